/* SPDX-License-Identifier: GPL-2.0-or-later */
/* asr probe [--connect URI] [-o FILE.xml] TARGET...: describe a target machine. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "machine.h"
#include "probe.h"

static char *opt_connect;
static char *opt_output;

static const GOptionEntry probe_options[] = {
  { "connect", 0, 0, G_OPTION_ARG_STRING, &opt_connect,
    "libvirt URI for domain:NAME targets (default: an embedded driver)", "URI" },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
    "Write the descriptor to FILE.xml (atomically) instead of standard output", "FILE.xml" },
  { NULL },
};

static void
probe_add_options (GOptionContext *ctx)
{
  g_option_context_add_main_entries (ctx, probe_options, NULL);
}

/* cli_exit_status_for_error maps ASR_PROBE_ERROR: invalid input 2, else 3. */
static int
report (const GError *error)
{
  return cli_report_error ("probe", error);
}

static int
probe_run (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;
  g_autofree char *connect = g_steal_pointer (&opt_connect);
  g_autofree char *output = g_steal_pointer (&opt_output);
  AsrProbeOptions opts = { .connect_uri = connect };

  if (argc < 2)
    {
      cli_error ("probe", "expects at least one TARGET (see 'asr help probe')");
      return ASR_EXIT_USAGE;
    }
  if (output && *output == '\0')
    {
      cli_error ("probe", "-o needs a file name");
      return ASR_EXIT_USAGE;
    }

  m = asr_probe_targets ((const char *const *) argv + 1, &opts, &error);
  if (m == NULL)
    return report (error);

  /* -o - is standard output, as everywhere */
  if (output && strcmp (output, "-") != 0)
    {
      /* A probed target holds no secrets, but by-id names and serials are
       * nobody else's business either: same mode as a backup set's files. */
      if (!machine_descriptor_write_file (m, output, 0600, &error))
        return report (error);
      return ASR_EXIT_OK;
    }

  g_autofree char *xml = machine_descriptor_format (m, &error);
  if (xml == NULL)
    return report (error);
  if (fputs (xml, stdout) == EOF || fflush (stdout) != 0)
    {
      cli_error ("probe", "writing to standard output failed");
      return ASR_EXIT_RUNTIME;
    }
  return ASR_EXIT_OK;
}

const AsrCommand asr_command_probe = {
  .name = "probe",
  .parameters = "[--connect URI] [-o FILE.xml] TARGET...",
  .summary = "Describe a target machine (image files, devices, local, domain:NAME)",
  .description = "Writes a machine descriptor (no images) for the TARGETs: disk image files, "
                 "block devices, 'local' (this machine) or 'domain:NAME' (a libvirt domain). "
                 "Disks are disk0, disk1, ... in target order. Nothing is written to any "
                 "target.",
  .add_options = probe_add_options,
  .run = probe_run,
};
