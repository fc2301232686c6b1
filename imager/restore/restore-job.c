/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A whole restore, from the user's BACKUP and TARGETs to the last write
 * (docs/asr-restore.1): the backup set loaded, the targets probed (or made
 * by --create), the plan computed (or --plan read and bound to them), its
 * report shown, the writes of --dry-run described, the user asked, and
 * asr_restore() run with the planner's rules re-checked on each target
 * once it is locked.  The command line and the rescue medium call this
 * one entry point; they only print and ask, through the job's callbacks.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "imager.h"
#include "probe.h"

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

/* --create with --dry-run: a disk that would be created, described
 * without creating it (a dry run writes nothing, not even new files). */
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

static gboolean refuse (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
refuse (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT, message);
  return FALSE;
}

/* --create --dry-run: the disks that would be created, planned on their
 * description alone. */
static void
describe_created (const AsrRestoreJob *job, const PlanBackup *backup, GPtrArray *targets)
{
  for (guint i = 0; i < backup->descriptor->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (backup->descriptor->disks, i);
      if (d->critical != MACHINE_TRISTATE_YES)
        continue;
      g_autofree char *name = g_strdup_printf ("%s.qcow2", d->id);
      g_autofree char *path = g_build_filename (job->create_dir, name, NULL);
      if (job->show_created)
        job->show_created (path, d->bytes, job->opaque);
      g_ptr_array_add (targets, plan_target_new (path, virtual_target (d, path)));
    }
}

/* --create: the blank targets made, never inside the backup set, and
 * probed. */
static gboolean
create_targets (const AsrRestoreJob *job, const PlanBackup *backup, GPtrArray *targets,
                GError **error)
{
  g_autoptr (GPtrArray) created = NULL;
  g_autofree char *member = NULL;

  if (!machine_backup_set_find_member (backup->dir, job->create_dir, &member, error))
    return FALSE;
  if (member != NULL)
    /* The new disks would be files of the set, written while it is read. */
    return refuse (error,
                   "--create %s: that is the backup set %s%s%s: refused, nothing was written",
                   job->create_dir, backup->dir,
                   strcmp (member, ".") == 0 ? "" : " or a file in it: ",
                   strcmp (member, ".") == 0 ? "" : member);
  created = asr_restore_create_targets (backup->descriptor, job->create_dir, error);
  if (created == NULL)
    return FALSE;
  for (guint i = 0; i < created->len; i++)
    {
      const char *path = g_ptr_array_index (created, i);
      MachineDescriptor *m = load_target (path, error);
      if (m == NULL)
        return FALSE;
      g_ptr_array_add (targets, plan_target_new (path, m));
    }
  return TRUE;
}

/* --grow or --shrink (@option) given to restore with --plan may only
 * repeat the plan's: its layout is what the user reviewed. */
static gboolean
same_as_planned (const char *option, const char *given, const char *planned, const char *plan_file,
                 GError **error)
{
  if (given == NULL || g_strcmp0 (given, planned) == 0)
    return TRUE;
  g_autofree char *made = planned ? g_strdup_printf ("with %s=%s", option, planned)
                                  : g_strdup_printf ("without %s", option);
  g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
               "%s=%s, but %s was made %s: make the plan again with %s=%s, or restore with "
               "its layout (without %s); nothing was written",
               option, given, plan_file, made, option, given, option);
  return FALSE;
}

/* The plan of --plan, refused if made for another backup or other disks,
 * else one computed now. */
static Plan *
obtain_plan (const AsrRestoreJob *job, const PlanBackup *backup, GPtrArray *targets, GError **error)
{
  g_autoptr (Plan) plan = NULL;
  g_autoptr (GError) local = NULL;

  if (job->plan_file)
    {
      plan = plan_parse_file (job->plan_file, error);
      if (plan == NULL || !plan_check_binding (plan, backup, targets, job->plan_file, error))
        return NULL;
      /* The plan's layout is what the user reviewed: --grow here may only
       * repeat it. */
      if (!same_as_planned ("--shrink", job->restore.shrink, plan->shrink, job->plan_file, error)
          || !same_as_planned ("--grow", job->restore.grow, plan->grow, job->plan_file, error))
        return NULL;
      return g_steal_pointer (&plan);
    }
  g_autoptr (PlanOptions) po = plan_options_new ();
  po->grow = g_strdup (job->restore.grow);
  po->shrink = g_strdup (job->restore.shrink);
  po->min_bytes = asr_fs_shrink_min_bytes;
  po->vet_image = job->vet_image;
  po->vet_image_opaque = job->vet_image_opaque;
  plan = plan_compute (backup, targets, po, &local);
  if (plan == NULL)
    {
      g_set_error (error, local->domain, local->code, "%s; nothing was written", local->message);
      return NULL;
    }
  return g_steal_pointer (&plan);
}

PlanBackup *
asr_backup_set_load (const char *argument, GError **error)
{
  g_autoptr (PlanBackup) backup = plan_backup_load (argument, error);

  if (backup == NULL)
    return NULL;
  if (backup->dir == NULL)
    {
      refuse (error, "%s: BACKUP is a backup-set directory (its images are needed)", argument);
      return NULL;
    }
  return g_steal_pointer (&backup);
}

gboolean
asr_restore_job_run (const AsrRestoreJob *job, const char *backup_arg,
                     const char *const *target_args, AsrRestoreStats *stats, GError **error)
{
  g_autoptr (PlanBackup) backup = NULL;
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_free);
  g_autoptr (GPtrArray) rts = NULL;
  g_autoptr (Plan) plan = NULL;
  g_autofree char *backup_id = NULL;

  g_return_val_if_fail (job != NULL && backup_arg != NULL, FALSE);

  backup = asr_backup_set_load (backup_arg, error);
  if (backup == NULL)
    return FALSE;

  if (job->create_dir && job->dry_run)
    describe_created (job, backup, targets);
  else if (job->create_dir)
    {
      if (!create_targets (job, backup, targets, error))
        return FALSE;
    }
  else
    for (const char *const *t = target_args; t && *t; t++)
      {
        MachineDescriptor *m = load_target (*t, error);
        if (m == NULL)
          return FALSE;
        g_ptr_array_add (targets, plan_target_new (*t, m));
      }

  plan = obtain_plan (job, backup, targets, error);
  if (plan == NULL)
    return FALSE;
  if (job->show_plan)
    job->show_plan (plan, job->opaque);
  if (!plan_is_restorable (plan))
    {
      g_set_error_literal (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_CHECK_FAILED,
                           "the plan is blocked: nothing was written");
      return FALSE;
    }

  rts = asr_restore_targets_from_plan (plan, targets, job->create_dir != NULL, error);
  if (rts == NULL)
    return FALSE;

  Recheck rc = { plan, backup->descriptor, targets };
  AsrRestoreOptions opts = job->restore;
  opts.grow = plan->grow; /* --plan: the plan's, else the same */
  opts.shrink = plan->shrink;
  opts.recheck = recheck_target;
  opts.recheck_opaque = &rc;

  if (job->dry_run)
    {
      g_autoptr (GPtrArray) lines
        = asr_restore_describe (backup->descriptor, backup->dir, rts, &opts, error);
      if (lines == NULL)
        return FALSE;
      if (job->show_writes)
        job->show_writes (lines, job->opaque);
      return TRUE;
    }
  const PlanMapping *tie = job->unattended ? plan_find_tie (plan) : NULL;
  if (tie)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_CHECK_FAILED,
                   "%s could go to target %s or target %s, and nothing tells the two apart: "
                   "an unattended restore does not choose by disk order; name the disk with "
                   "asr plan --map %s=DISK -o PLAN.xml and restore with --plan PLAN.xml "
                   "(nothing was written)",
                   tie->source, tie->target, tie->tie, tie->source);
      return FALSE;
    }
  if (job->confirm && !job->confirm (rts, targets, job->opaque, error))
    return FALSE;
  backup_id = asr_restore_backup_id (backup->sha256);
  return asr_restore (backup->descriptor, backup->dir, backup_id, rts, &opts, stats, error);
}
