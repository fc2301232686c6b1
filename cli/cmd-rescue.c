/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr rescue -o FILE.iso [--backup BACKUP] [--unattended]
 *
 * Builds the rescue medium (asr_rescue_build); prints its size and build
 * time.  Exit 0 built, 2 bad usage, a missing program or an invalid
 * backup set (nothing built), 3 a failure while building.
 */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "imager.h"

static char *opt_output;
static char *opt_backup;
static gboolean opt_unattended;

static const GOptionEntry rescue_options[] = {
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output, "Write the medium to FILE.iso",
    "FILE.iso" },
  { "backup", 0, 0, G_OPTION_ARG_FILENAME, &opt_backup, "Put this backup set on the medium",
    "BACKUP" },
  { "unattended", 0, 0, G_OPTION_ARG_NONE, &opt_unattended,
    "Restore the backup set when the plan passes, without a prompt, then power off", NULL },
  { NULL },
};

static void
rescue_add_options (GOptionContext *ctx)
{
  g_option_context_add_main_entries (ctx, rescue_options, NULL);
}

static int
rescue_run (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  AsrRescueOptions opts = { opt_output, opt_backup, opt_unattended };
  AsrRescueResult result = { 0 };

  if (argc != 1 || opt_output == NULL)
    {
      cli_error ("rescue", "expects -o FILE.iso and no other argument (see 'asr help rescue')");
      return ASR_EXIT_USAGE;
    }
  fprintf (stderr, "asr rescue: building %s (about a minute)\n", opt_output);
  if (!asr_rescue_build (&opts, &result, &error))
    return cli_report_error ("rescue", error);
  printf ("built %s: %.1f MiB in %.0f s%s\n", opt_output, (double) result.bytes / (1024 * 1024),
          result.seconds,
          opt_backup
            ? (opt_unattended ? ", with the backup set, unattended" : ", with the backup set")
            : "");
  fflush (stdout);
  if (result.bytes > ASR_RESCUE_CD_BYTES)
    fprintf (stderr,
             "asr rescue: note: %s has %" G_GUINT64_FORMAT " bytes, more than a CD holds "
             "(%llu): write it to a USB stick or a DVD\n",
             opt_output, result.bytes, ASR_RESCUE_CD_BYTES);
  return ASR_EXIT_OK;
}

const AsrCommand asr_command_rescue = {
  .name = "rescue",
  .parameters = "-o FILE.iso [--backup BACKUP] [--unattended]",
  .summary = "Make a bootable medium that restores a machine",
  .description = "Builds a hybrid ISO (BIOS and UEFI; a CD or, written to it, a USB stick)\n"
                 "from this host's newest kernel and programs, holding asr and what restore\n"
                 "runs on block devices.  With --backup the set goes on the medium, which\n"
                 "plans it against the machine it boots; with --unattended it restores when\n"
                 "the plan passes and powers off, and otherwise stays at a shell.\n"
                 "See asr-rescue(1).",
  .add_options = rescue_add_options,
  .run = rescue_run,
};
