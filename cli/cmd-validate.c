/* SPDX-License-Identifier: GPL-2.0-or-later */
/* asr validate FILE.xml...: schema and meaning checks, one line per problem. */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "machine.h"

static int
validate_run (int argc, char **argv)
{
  int status = ASR_EXIT_OK;

  if (argc < 2)
    {
      cli_error ("validate", "expects at least one FILE.xml (see 'asr help validate')");
      return ASR_EXIT_USAGE;
    }

  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (MachineDescriptor) m = NULL;

      if (!g_file_test (argv[i], G_FILE_TEST_EXISTS))
        {
          fprintf (stderr, "%s: no such file\n", argv[i]);
          status = MAX (status, ASR_EXIT_USAGE);
          continue;
        }
      m = machine_descriptor_parse_file (argv[i], &error);
      if (m == NULL)
        {
          /* The messages already read "file:line: message". */
          fprintf (stderr, "%s\n", error->message);
          status = MAX (status, cli_exit_status_for_error (error));
          continue;
        }
      printf ("%s: valid\n", argv[i]);
    }
  return status;
}

const AsrCommand asr_command_validate = {
  .name = "validate",
  .parameters = "FILE.xml...",
  .summary = "Check machine descriptors against the schema and for meaning",
  .description = "Validates each FILE.xml against machine.rng, then checks what the schema\n"
                 "cannot: duplicate disk ids, overlapping partitions, partitions past the\n"
                 "end of their disk, logical partitions outside their extended partition,\n"
                 "integer overflow, image names that are not plain file names.  Prints\n"
                 "'FILE: valid' or one 'FILE:LINE: message' line per problem.",
  .add_options = NULL,
  .run = validate_run,
};
