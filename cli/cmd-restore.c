/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr restore [--plan PLAN.xml] [--create DIR] [--grow[=MP]] [--shrink[=MP]] [--no-verify]
 *             [--no-check-images] [--dry-run] [--yes] BACKUP TARGET...
 *
 * Parses and prints; asr_restore_job_run() (imager) plans first (or reads
 * --plan and refuses a plan made for another backup or other disks), and
 * this asks, through its callbacks, before the first write.  Exit 0 restored, 1 the plan is blocked
 * or a checksum did not match, 2 bad input or a refused target (nothing
 * written), 3 a runtime failure.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli-progress.h"
#include "imager.h"
#include "machine.h"
#include "planner.h"
#include "text.h"

static char *opt_plan;
static char *opt_create;
static gboolean opt_mount_to_grow;
static gboolean opt_no_verify;
static gboolean opt_no_check_images;
static gboolean opt_dry_run;
static gboolean opt_yes;

static const GOptionEntry restore_options[] = {
  { "plan", 0, 0, G_OPTION_ARG_FILENAME, &opt_plan,
    "Use PLAN.xml from 'asr plan -o' (refused if made for another backup or other disks)",
    "PLAN.xml" },
  { "create", 0, 0, G_OPTION_ARG_FILENAME, &opt_create,
    "Create blank qcow2 targets in DIR, sized like the source disks", "DIR" },
  CLI_RESIZE_OPTIONS,
  { "mount-to-grow", 0, 0, G_OPTION_ARG_NONE, &opt_mount_to_grow,
    "Block devices: let this host's kernel mount a filesystem just restored and verified, to "
    "grow it (xfs, btrfs); otherwise the appliance grows it",
    NULL },
  { "no-verify", 0, 0, G_OPTION_ARG_NONE, &opt_no_verify,
    "Do not read back and verify the volumes written", NULL },
  { "no-check-images", 0, 0, G_OPTION_ARG_NONE, &opt_no_check_images,
    "Do not verify the images' checksums before writing (their structure is still vetted)", NULL },
  { "dry-run", 0, 0, G_OPTION_ARG_NONE, &opt_dry_run,
    "Print every write with offsets and sizes; write nothing", NULL },
  { "yes", 'y', 0, G_OPTION_ARG_NONE, &opt_yes,
    "Do not ask for confirmation (needed when not on a terminal)", NULL },
  { NULL },
};

static void
restore_add_options (GOptionContext *ctx)
{
  g_option_context_add_main_entries (ctx, restore_options, NULL);
}

/* What the user types to go ahead: the names of the block devices
 * ("sda vdb"), which says which disks, or 'yes' when every target is an
 * image file, whose path was typed already. */
static char *
confirmation_word (GPtrArray *rts)
{
  g_autoptr (GString) names = g_string_new (NULL);
  for (guint i = 0; i < rts->len; i++)
    {
      const AsrRestoreTarget *t = g_ptr_array_index (rts, i);
      if (!t->is_block_device)
        continue;
      g_autofree char *base = g_path_get_basename (t->path);
      g_string_append_printf (names, "%s%s", names->len ? " " : "", base);
    }
  return names->len ? g_string_free (g_steal_pointer (&names), FALSE) : g_strdup ("yes");
}

static gboolean
confirm (GPtrArray *rts, GPtrArray *targets)
{
  char answer[256];
  g_autofree char *word = confirmation_word (rts);

  fprintf (stderr, "\nasr restore will OVERWRITE these disks; everything on them is lost:\n");
  for (guint i = 0; i < rts->len; i++)
    {
      const AsrRestoreTarget *t = g_ptr_array_index (rts, i);
      const MachineSource *src = NULL;
      const MachineDisk *d = plan_find_target_disk (targets, t->path, &src);
      g_autofree char *size
        = g_format_size_full (t->bytes, G_FORMAT_SIZE_IEC_UNITS | G_FORMAT_SIZE_LONG_FORMAT);
      /* what the disk says of itself, as it is safe to print */
      g_autofree char *model = asr_text_escape (d && d->model ? d->model : "-");
      g_autofree char *serial = asr_text_escape (d && d->serial ? d->serial : "-");
      fprintf (stderr, "  %s  %s, model %s, serial %s  (restoring %s)\n", t->path, size, model,
               serial, t->source);
    }
  if (strcmp (word, "yes") == 0)
    fprintf (stderr, "Type 'yes' to go ahead: ");
  else
    fprintf (stderr, "Type '%s' (the disk%s to overwrite) to go ahead: ", word,
             strchr (word, ' ') ? "s" : "");
  fflush (stderr);
  if (fgets (answer, sizeof answer, stdin) == NULL)
    return FALSE;
  g_strstrip (answer);
  return strcmp (answer, word) == 0;
}

static int
check_arguments (int argc)
{
  if (argc < 2 || (argc < 3 && opt_create == NULL))
    {
      cli_error ("restore", "expects a BACKUP and at least one TARGET, or --create DIR "
                            "(see 'asr help restore')");
      return ASR_EXIT_USAGE;
    }
  if (opt_create && argc > 2)
    {
      cli_error ("restore", "--create DIR makes the targets: no TARGET goes with it");
      return ASR_EXIT_USAGE;
    }
  return ASR_EXIT_OK;
}

/* The plan as `asr plan` prints it. */
static void
show_plan (const Plan *plan, void *opaque)
{
  g_autofree char *text = plan_format_text (plan);

  fputs (text, stdout);
  fflush (stdout);
}

static void
show_created (const char *path, guint64 bytes, void *opaque)
{
  printf ("would create %s (qcow2, %" G_GUINT64_FORMAT " bytes)\n", path, bytes);
}

static void
show_writes (GPtrArray *lines, void *opaque)
{
  printf ("\nDry run: these writes would be made, in this order (nothing was written):\n");
  for (guint i = 0; i < lines->len; i++)
    printf ("  %s\n", (const char *) g_ptr_array_index (lines, i));
}

/* --yes, or the disks' names ('yes' for image files) typed on a terminal:
 * nobody overwrites a disk by accident, and a script must say so. */
static gboolean
ask_to_overwrite (GPtrArray *rts, GPtrArray *targets, void *opaque, GError **error)
{
  if (opt_yes)
    return TRUE;
  if (!isatty (STDIN_FILENO) || !isatty (STDERR_FILENO))
    {
      g_set_error_literal (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                           "not on a terminal: pass --yes to overwrite the target disks "
                           "(nothing was written)");
      return FALSE;
    }
  if (!confirm (rts, targets))
    {
      g_set_error_literal (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                           "not confirmed: nothing was written");
      return FALSE;
    }
  return TRUE;
}

static int
restore_run (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CliProgress) progress = cli_progress_new ("restore");
  AsrRestoreStats stats = { 0 };
  AsrRestoreJob job = {
    .plan_file = opt_plan,
    .create_dir = opt_create,
    .dry_run = opt_dry_run,
    .unattended = opt_yes,
    .restore = {
      .grow = cli_grow_mountpoint,
      .shrink = cli_shrink_mountpoint,
      .mount_to_grow = opt_mount_to_grow,
      .no_verify = opt_no_verify,
      .no_check_images = opt_no_check_images,
      .progress = cli_progress_update,
      .message = cli_progress_message,
      .opaque = progress,
    },
    .vet_image = cli_plan_vet_image,
    .show_plan = show_plan,
    .show_created = show_created,
    .show_writes = show_writes,
    .confirm = ask_to_overwrite,
  };
  gboolean ok;
  int status;

  if ((status = check_arguments (argc)) != ASR_EXIT_OK)
    return status;
  ok = asr_restore_job_run (&job, argv[1], (const char *const *) argv + 2, &stats, &error);
  cli_progress_done (progress);
  g_free (stats.accel);
  if (!ok)
    return cli_report_error ("restore", error);
  if (!opt_dry_run)
    printf ("restored %" G_GUINT64_FORMAT " disk%s: %" G_GUINT64_FORMAT
            " volumes, %" G_GUINT64_FORMAT " verified, %.1f s\n",
            stats.disks, stats.disks == 1 ? "" : "s", stats.volumes, stats.verified, stats.seconds);
  return ASR_EXIT_OK;
}

const AsrCommand asr_command_restore = {
  .name = "restore",
  .parameters = "BACKUP TARGET...",
  .prepare = cli_grow_prepare,
  .summary = "Recreate the critical disks of a backup on target disks",
  .description = "Plans (or reads --plan), then for each mapped target disk: invalidates it,\n"
                 "writes the partition table with the same signatures and GUIDs, the volume\n"
                 "images, verifies them, recreates swap and uncaptured volumes empty, and\n"
                 "writes the boot area last.  Disks the plan did not map are never written.\n"
                 "Before the first write every image is vetted as 'asr check' does and its\n"
                 "checksum verified (--no-check-images skips the checksums), and a TARGET\n"
                 "that is the backup set or one of its files is refused.\n"
                 "See asr-restore(1) for the order of writes and the safety rules.",
  .add_options = restore_add_options,
  .run = restore_run,
};
