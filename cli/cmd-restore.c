/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr restore [--plan PLAN.xml] [--create DIR] [--grow] [--no-verify]
 *             [--no-check-images] [--dry-run] [--yes] BACKUP TARGET...
 *
 * Plans first (or reads --plan and refuses a plan made for another backup
 * or other disks), prints what will be overwritten, asks, then hands the
 * mapped disks to asr_restore().  Exit 0 restored, 1 the plan is blocked
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
#include "probe.h"

static char *opt_plan;
static char *opt_create;
static gboolean opt_grow;
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
  { "grow", 0, 0, G_OPTION_ARG_NONE, &opt_grow,
    "Grow the last partition and its filesystem to fill a larger disk", NULL },
  { "mount-to-grow", 0, 0, G_OPTION_ARG_NONE, &opt_mount_to_grow,
    "Block devices: let this host's kernel mount a filesystem just restored and verified, to "
    "grow it (xfs); otherwise the appliance grows it",
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

/* A TARGET as restore accepts it: an existing image file or block device
 * (what probe reads), or `local`, this machine's own disks (a rescue
 * system's: the running system's disks are in use and refused), never a
 * libvirt domain, whose disks a VM may use, or a descriptor. */
static MachineDescriptor *
load_target (const char *argument, GError **error)
{
  if (g_str_has_prefix (argument, "domain:") || g_str_has_suffix (argument, ".xml"))
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "TARGET %s: restore writes image files, block devices and local only", argument);
      return NULL;
    }
  const char *targets[] = { argument, NULL };
  return asr_probe_targets (targets, NULL, error);
}

/* --create with --dry-run: the disks that would be created, described
 * without creating them (a dry run writes nothing, not even new files). */
static MachineDescriptor *
virtual_target (const MachineDisk *src, const char *path)
{
  MachineDescriptor *m = machine_descriptor_new ();
  MachineDisk *d = machine_disk_new ("disk0");
  MachineSource *s = machine_source_new ();

  d->bytes = src->bytes;
  d->has_bytes = TRUE;
  d->logical_sector = machine_disk_sector_size (src);
  d->physical_sector = d->logical_sector;
  g_ptr_array_add (m->disks, d);
  m->origin = machine_origin_new ();
  s->disk = g_strdup ("disk0");
  s->path = g_strdup (path);
  s->format = g_strdup ("qcow2");
  g_ptr_array_add (m->origin->sources, s);
  return m;
}

typedef struct {
  const Plan *plan;
  const MachineDescriptor *backup;
  GPtrArray *targets; /* PlanTarget*: as probed when restore started */
} Recheck;

/* The planner's rules once more, on the target as it is once locked, and
 * the same layout as when restore started. */
static gboolean
recheck_target (const AsrRestoreTarget *t, const MachineDisk *now, void *opaque, GError **error)
{
  const Recheck *rc = opaque;
  const MachineSource *src = NULL;
  const MachineDisk *before = plan_find_target_disk (rc->targets, t->path, &src);
  return plan_recheck_target_since (rc->backup, plan_find_mapping (rc->plan, t->source), before,
                                    now, t->path, error);
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
      g_autofree char *size = g_format_size_full (t->bytes, G_FORMAT_SIZE_IEC_UNITS);
      fprintf (stderr, "  %s  %s, model %s, serial %s  (restoring %s)\n", t->path, size,
               d && d->model ? d->model : "-", d && d->serial ? d->serial : "-", t->source);
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

/* The helpers below each do one step of restore_run() and return the exit
 * status it ends with, ASR_EXIT_OK to go on. */

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

static int
load_backup (const char *argument, PlanBackup **out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlanBackup) backup = plan_backup_load (argument, &error);

  if (backup == NULL)
    return cli_report_error ("restore", error);
  if (backup->dir == NULL)
    {
      cli_error ("restore", "%s: BACKUP is a backup-set directory (its images are needed)",
                 argument);
      return ASR_EXIT_USAGE;
    }
  *out = g_steal_pointer (&backup);
  return ASR_EXIT_OK;
}

/* --create --dry-run: says which disks would be created and plans on
 * their description alone. */
static void
describe_created_targets (const PlanBackup *backup, GPtrArray *targets)
{
  for (guint i = 0; i < backup->descriptor->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (backup->descriptor->disks, i);
      if (d->critical != MACHINE_TRISTATE_YES)
        continue;
      g_autofree char *name = g_strdup_printf ("%s.qcow2", d->id);
      g_autofree char *path = g_build_filename (opt_create, name, NULL);
      printf ("would create %s (qcow2, %" G_GUINT64_FORMAT " bytes)\n", path, d->bytes);
      g_ptr_array_add (targets, plan_target_new (path, virtual_target (d, path)));
    }
}

/* --create: makes the blank targets, never inside the backup set, and
 * probes them. */
static int
create_targets (const PlanBackup *backup, GPtrArray *targets)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) created = NULL;
  g_autofree char *member = NULL;

  if (!machine_backup_set_find_member (backup->dir, opt_create, &member, &error))
    return cli_report_error ("restore", error);
  if (member != NULL)
    {
      /* The new disks would be files of the set, written while it is read. */
      cli_error ("restore",
                 "--create %s: that is the backup set %s%s%s: refused, nothing "
                 "was written",
                 opt_create, backup->dir, strcmp (member, ".") == 0 ? "" : " or a file in it: ",
                 strcmp (member, ".") == 0 ? "" : member);
      return ASR_EXIT_USAGE;
    }
  created = asr_restore_create_targets (backup->descriptor, opt_create, &error);
  if (created == NULL)
    return cli_report_error ("restore", error);
  for (guint i = 0; i < created->len; i++)
    {
      const char *path = g_ptr_array_index (created, i);
      MachineDescriptor *m = load_target (path, &error);
      if (m == NULL)
        return cli_report_error ("restore", error);
      g_ptr_array_add (targets, plan_target_new (path, m));
    }
  return ASR_EXIT_OK;
}

/* The TARGETs of the command line, probed. */
static int
probe_targets (int argc, char **argv, GPtrArray *targets)
{
  g_autoptr (GError) error = NULL;

  for (int i = 2; i < argc; i++)
    {
      MachineDescriptor *m = load_target (argv[i], &error);
      if (m == NULL)
        return cli_report_error ("restore", error);
      g_ptr_array_add (targets, plan_target_new (argv[i], m));
    }
  return ASR_EXIT_OK;
}

/* The plan of --plan, refused if made for another backup or other disks,
 * else one computed now. */
static int
obtain_plan (const PlanBackup *backup, GPtrArray *targets, Plan **out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Plan) plan = NULL;

  if (opt_plan)
    {
      plan = plan_parse_file (opt_plan, &error);
      if (plan == NULL)
        return cli_report_error ("restore", error);
      if (!plan_check_binding (plan, backup, targets, opt_plan, &error))
        return cli_report_error ("restore", error);
    }
  else
    {
      g_autoptr (PlanOptions) po = plan_options_new ();
      po->vet_image = cli_plan_vet_image;
      plan = plan_compute (backup, targets, po, &error);
      if (plan == NULL)
        {
          cli_error ("restore", "%s; nothing was written", error->message);
          return cli_exit_status_for_error (error);
        }
    }
  *out = g_steal_pointer (&plan);
  return ASR_EXIT_OK;
}

/* The plan as `asr plan` prints it; a blocked plan ends here. */
static int
print_plan (const Plan *plan)
{
  g_autofree char *text = plan_format_text (plan);

  fputs (text, stdout);
  fflush (stdout);
  if (!plan_is_restorable (plan))
    {
      cli_error ("restore", "the plan is blocked: nothing was written");
      return ASR_EXIT_CHECK_FAILED;
    }
  return ASR_EXIT_OK;
}

static int
print_dry_run (const PlanBackup *backup, GPtrArray *rts, const AsrRestoreOptions *opts)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) lines
    = asr_restore_describe (backup->descriptor, backup->dir, rts, opts, &error);

  if (lines == NULL)
    return cli_report_error ("restore", error);
  printf ("\nDry run: these writes would be made, in this order (nothing was written):\n");
  for (guint i = 0; i < lines->len; i++)
    printf ("  %s\n", (const char *) g_ptr_array_index (lines, i));
  return ASR_EXIT_OK;
}

/* --yes, or the disks' names ('yes' for image files) typed on a terminal:
 * nobody overwrites a disk by accident, and a script must say so. */
static int
ask_to_overwrite (GPtrArray *rts, GPtrArray *targets)
{
  if (opt_yes)
    return ASR_EXIT_OK;
  if (!isatty (STDIN_FILENO) || !isatty (STDERR_FILENO))
    {
      cli_error ("restore", "not on a terminal: pass --yes to overwrite the target disks "
                            "(nothing was written)");
      return ASR_EXIT_USAGE;
    }
  if (!confirm (rts, targets))
    {
      cli_error ("restore", "not confirmed: nothing was written");
      return ASR_EXIT_USAGE;
    }
  return ASR_EXIT_OK;
}

static int
write_targets (const PlanBackup *backup, GPtrArray *rts, const AsrRestoreOptions *opts,
               CliProgress *progress)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *backup_id = asr_restore_backup_id (backup->sha256);
  AsrRestoreStats stats = { 0 };
  gboolean ok = asr_restore (backup->descriptor, backup->dir, backup_id, rts, opts, &stats, &error);

  cli_progress_done (progress);
  g_free (stats.accel);
  if (!ok)
    return cli_report_error ("restore", error);
  printf ("restored %" G_GUINT64_FORMAT " disk%s: %" G_GUINT64_FORMAT " volumes, %" G_GUINT64_FORMAT
          " verified, %.1f s\n",
          stats.disks, stats.disks == 1 ? "" : "s", stats.volumes, stats.verified, stats.seconds);
  return ASR_EXIT_OK;
}

static int
restore_run (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlanBackup) backup = NULL;
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_free);
  g_autoptr (GPtrArray) rts = NULL;
  g_autoptr (Plan) plan = NULL;
  g_autoptr (CliProgress) progress = cli_progress_new ("restore");
  int status;

  if ((status = check_arguments (argc)) != ASR_EXIT_OK
      || (status = load_backup (argv[1], &backup)) != ASR_EXIT_OK)
    return status;

  if (opt_create && opt_dry_run)
    describe_created_targets (backup, targets);
  else if (opt_create)
    status = create_targets (backup, targets);
  else
    status = probe_targets (argc, argv, targets);
  if (status != ASR_EXIT_OK || (status = obtain_plan (backup, targets, &plan)) != ASR_EXIT_OK
      || (status = print_plan (plan)) != ASR_EXIT_OK)
    return status;

  rts = asr_restore_targets_from_plan (plan, targets, opt_create != NULL, &error);
  if (rts == NULL)
    return cli_report_error ("restore", error);

  Recheck rc = { plan, backup->descriptor, targets };
  AsrRestoreOptions opts = {
    .grow = opt_grow,
    .mount_to_grow = opt_mount_to_grow,
    .no_verify = opt_no_verify,
    .no_check_images = opt_no_check_images,
    .progress = cli_progress_update,
    .message = cli_progress_message,
    .opaque = progress,
    .recheck = recheck_target,
    .recheck_opaque = &rc,
  };

  if (opt_dry_run)
    return print_dry_run (backup, rts, &opts);
  if ((status = ask_to_overwrite (rts, targets)) != ASR_EXIT_OK)
    return status;
  return write_targets (backup, rts, &opts, progress);
}

const AsrCommand asr_command_restore = {
  .name = "restore",
  .parameters = "BACKUP TARGET...",
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
