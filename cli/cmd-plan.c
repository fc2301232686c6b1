/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr plan [--mode strict|migrate] [--map SRC=DST]... [--grow[=MOUNTPOINT]] [--shrink[=MP]]
 *          [--check-images] [--connect URI] [--json] [-o PLAN.xml] BACKUP TARGET...
 *
 * Parses arguments, loads the inputs, calls plan_compute() and prints.
 * Exit 0 restorable, 1 a check failed, 2 bad input, 3 runtime failure.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "imager.h"
#include "probe.h"
#include "machine.h"
#include "planner.h"

static char *opt_mode;
static char **opt_maps;
static gboolean opt_check_images;
static char *opt_connect;
static gboolean opt_json;
static char *opt_output;

static const GOptionEntry plan_options[] = {
  { "mode", 0, 0, G_OPTION_ARG_STRING, &opt_mode,
    "strict (default: hardware identical but disks, video, NICs) or migrate", "MODE" },
  { "map", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_maps,
    "Restore source disk SRC onto target disk DST (id, serial, WWN, by-id name or path)",
    "SRC=DST" },
  { "check-images", 0, 0, G_OPTION_ARG_NONE, &opt_check_images,
    "Also verify each image's checksum (reads every image; without it, only the images' "
    "structure and size are vetted)",
    NULL },
  { "connect", 0, 0, G_OPTION_ARG_STRING, &opt_connect, "libvirt URI for domain:NAME targets",
    "URI" },
  CLI_RESIZE_OPTIONS,
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the plan as JSON", NULL },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
    "Write the plan to PLAN.xml (only when restorable)", "PLAN.xml" },
  { NULL },
};

static void
plan_add_options (GOptionContext *ctx)
{
  g_option_context_add_main_entries (ctx, plan_options, NULL);
}

/* TARGET → MachineDescriptor, the one place: a descriptor file
 * (FILE.xml, as written by `asr probe -o`), or anything probe accepts —
 * image files, block devices, `local`, `domain:NAME` (with @connect_uri). */
static MachineDescriptor *
cmd_plan_load_target (const char *argument, const char *connect_uri, GError **error)
{
  if (g_str_has_suffix (argument, ".xml"))
    {
      /* Anything else that exists (a FIFO, a device) is for the bounded
       * reader to refuse, with its reason. */
      if (!g_file_test (argument, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID, "TARGET %s: no such file",
                       argument);
          return NULL;
        }
      return machine_descriptor_parse_file (argument, error);
    }

  /* Anything probe accepts: image files, block devices, local, domain:NAME. */
  const char *targets[] = { argument, NULL };
  AsrProbeOptions popts = { .connect_uri = connect_uri };
  return asr_probe_targets (targets, &popts, error);
}

static int
plan_run (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlanOptions) options = plan_options_new ();
  g_autoptr (PlanBackup) backup = NULL;
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_free);
  g_autoptr (Plan) plan = NULL;

  if (argc < 3)
    {
      cli_error ("plan", "expects a BACKUP and at least one TARGET (see 'asr help plan')");
      return ASR_EXIT_USAGE;
    }
  if (opt_mode && !plan_mode_from_string (opt_mode, &options->mode))
    {
      cli_error ("plan", "--mode %s: expected strict or migrate", opt_mode);
      return ASR_EXIT_USAGE;
    }
  options->grow = g_strdup (cli_grow_mountpoint);
  options->shrink = g_strdup (cli_shrink_mountpoint);
  options->min_bytes = asr_fs_shrink_min_bytes;
  for (char **m = opt_maps; m && *m; m++)
    if (!plan_options_add_map (options, *m, &error))
      return cli_report_error ("plan", error);
  options->check_images = opt_check_images;
  options->vet_image = cli_plan_vet_image;

  backup = plan_backup_load (argv[1], &error);
  if (backup == NULL)
    return cli_report_error ("plan", error);
  for (int i = 2; i < argc; i++)
    {
      MachineDescriptor *m = cmd_plan_load_target (argv[i], opt_connect, &error);
      if (m == NULL)
        return cli_report_error ("plan", error);
      g_ptr_array_add (targets, plan_target_new (argv[i], m));
    }

  plan = plan_compute (backup, targets, options, &error);
  if (plan == NULL)
    return cli_report_error ("plan", error);

  /* -o - is standard output, as everywhere: the plan's XML goes there,
   * and the report to standard error, so the two never mix. */
  gboolean xml_to_stdout = opt_output && strcmp (opt_output, "-") == 0;
  g_autofree char *out = opt_json ? plan_format_json (plan) : plan_format_text (plan);
  fputs (out, xml_to_stdout ? stderr : stdout);
  fflush (xml_to_stdout ? stderr : stdout);

  if (xml_to_stdout)
    {
      g_autofree char *xml = NULL;
      if (!plan_is_restorable (plan))
        cli_error ("plan", "the plan is blocked: nothing written to standard output");
      else if ((xml = plan_format_xml (plan)) == NULL || fputs (xml, stdout) == EOF
               || fflush (stdout) != 0)
        {
          cli_error ("plan", "writing the plan to standard output failed");
          return ASR_EXIT_RUNTIME;
        }
    }
  else if (opt_output)
    {
      if (!plan_is_restorable (plan))
        cli_error ("plan", "the plan is blocked: %s not written", opt_output);
      else if (!plan_write_file (plan, opt_output, &error))
        return cli_report_error ("plan", error);
    }
  return plan_is_restorable (plan) ? ASR_EXIT_OK : ASR_EXIT_CHECK_FAILED;
}

const AsrCommand asr_command_plan = {
  .name = "plan",
  .parameters = "BACKUP TARGET...",
  .prepare = cli_grow_prepare,
  .summary = "Check the ASR rules and map disks before a restore",
  .description = "Checks whether BACKUP (a backup-set directory, or its machine.xml) can be\n"
                 "restored onto TARGET (a descriptor written by 'asr probe -o', or anything\n"
                 "'asr probe' reads), and maps each critical source disk to a target disk.\n"
                 "Every image of the set is vetted as 'asr check' does (qcow2, no backing or\n"
                 "data file, the recorded size, qemu-img check clean); --check-images adds\n"
                 "the checksums.\n"
                 "A TARGET that is the backup set or one of its files is refused.  Nothing\n"
                 "is written, except PLAN.xml with -o.  Exit 0 restorable, 1 a check\n"
                 "failed (a checksum mismatch), 2 bad input (a refused image or TARGET).",
  .add_options = plan_add_options,
  .run = plan_run,
};
