/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: plan.xml as restore --plan reads it (a file the user
 * hands in, maybe stale or edited).  An accepted plan must format, and its
 * canonical form must be accepted again and format to the same bytes.
 */
#include "config.h"

#include <string.h>

#include "planner.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Plan) p = NULL;
  g_autoptr (Plan) again = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text2 = NULL;

  p = plan_parse_data ((const char *) data, size, "fuzz-plan.xml", &error);
  if (p == NULL)
    {
      fuzz_check_refusal (error, PLANNER_ERROR, PLANNER_ERROR_NO_SCHEMA);
      return 0;
    }
  g_assert_no_error (error);

  text = plan_format_xml (p);
  again = plan_parse_data (text, strlen (text), "formatted-plan.xml", &error);
  if (again == NULL)
    fuzz_fail ("the canonical form of an accepted plan is refused: %s\n%s", error->message, text);
  text2 = plan_format_xml (again);
  if (strcmp (text, text2) != 0)
    fuzz_fail ("format -> parse -> format is not stable:\n%s\n----\n%s", text, text2);
  return 0;
}
