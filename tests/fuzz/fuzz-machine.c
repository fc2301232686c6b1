/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: the machine descriptor (machine.xml) as read from a
 * backup set or a probe: parse, schema validation and the meaning checks.
 * A descriptor that is accepted must format, and its canonical form must
 * be accepted again and format to the same bytes.
 */
#include "config.h"

#include <string.h>

#include "machine.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;
  g_autoptr (MachineDescriptor) again = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text2 = NULL;

  m = machine_descriptor_parse_data ((const char *) data, size, "fuzz.xml", &error);
  if (m == NULL)
    {
      fuzz_check_refusal (error, MACHINE_ERROR, MACHINE_ERROR_NO_SCHEMA);
      return 0;
    }
  g_assert_no_error (error);

  text = machine_descriptor_format (m, &error);
  if (text == NULL)
    fuzz_fail ("an accepted descriptor does not format: %s", error->message);
  again = machine_descriptor_parse_data (text, strlen (text), "formatted.xml", &error);
  if (again == NULL)
    fuzz_fail ("the canonical form of an accepted descriptor is refused: %s\n%s", error->message,
               text);
  text2 = machine_descriptor_format (again, &error);
  if (text2 == NULL || strcmp (text, text2) != 0)
    fuzz_fail ("format -> parse -> format is not stable:\n%s\n----\n%s", text,
               text2 ? text2 : error->message);
  return 0;
}
