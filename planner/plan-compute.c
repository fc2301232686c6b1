/* SPDX-License-Identifier: GPL-2.0-or-later */
/* plan_compute(): the checks in their fixed order. */
#include "config.h"

#include <string.h>

#include "plan-private.h"

static void
ctx_clear (PlanCtx *ctx)
{
  for (guint i = 0; i < ctx->n_sources; i++)
    g_free (ctx->sources[i].map_spec);
  g_free (ctx->sources);
  g_free (ctx->targets);
}

/* One path of a TARGET against the backup set. */
static gboolean
check_not_in_backup (const PlanBackup *backup, const char *argument, const char *path,
                     GError **error)
{
  g_autofree char *member = NULL;

  if (!machine_backup_set_find_member (backup->dir, path, &member, error))
    return FALSE;
  if (member == NULL)
    return TRUE;
  if (strcmp (member, ".") == 0)
    g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                 "TARGET %s holds the backup set %s itself: restoring onto it would destroy "
                 "the backup it reads; refused",
                 argument, backup->dir);
  else
    g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                 "TARGET %s is %s, a file of the backup set %s: restoring onto it would "
                 "destroy the backup it reads; refused",
                 argument, member, backup->dir);
  return FALSE;
}

/* TARGET local: each disk of this machine that holds the backup set, or
 * is one of its files, is in use (reason backup-set) and so never
 * eligible, while the other disks stay targets. */
static gboolean
mark_local_disks (const PlanBackup *backup, MachineDescriptor *m, GError **error)
{
  for (guint j = 0; m->origin && j < m->origin->sources->len; j++)
    {
      const MachineSource *s = g_ptr_array_index (m->origin->sources, j);
      g_autofree char *member = NULL;
      MachineDisk *d;

      if (s->path == NULL || s->disk == NULL)
        continue;
      if (!machine_backup_set_find_member (backup->dir, s->path, &member, error))
        return FALSE;
      if (member == NULL || (d = machine_descriptor_find_disk (m, s->disk)) == NULL)
        continue;
      g_ptr_array_add (d->in_use, machine_in_use_new ("backup-set", backup->dir));
    }
  return TRUE;
}

/* A TARGET that is one of the backup's own files (by device and inode:
 * another name or a link is the same file) would be overwritten while it
 * is being read.  Only TARGETs probed here count: a descriptor file
 * (.xml) may describe another machine, whose paths mean nothing on this
 * one (and restore, which refuses descriptor files, checks again). */
static gboolean
check_targets_not_in_backup (const PlanBackup *backup, GPtrArray *targets, GError **error)
{
  if (backup->dir == NULL)
    return TRUE;
  for (guint i = 0; i < targets->len; i++)
    {
      const PlanTarget *t = g_ptr_array_index (targets, i);
      const MachineOrigin *o = t->descriptor->origin;
      if (g_str_has_suffix (t->argument, ".xml"))
        continue;
      if (strcmp (t->argument, "local") == 0)
        {
          /* This machine's disks: the one holding the set (a rescue
           * medium, a backup disk) is in use, not the whole TARGET. */
          if (!mark_local_disks (backup, t->descriptor, error))
            return FALSE;
          continue;
        }
      if (!check_not_in_backup (backup, t->argument, t->argument, error))
        return FALSE;
      for (guint j = 0; o && j < o->sources->len; j++)
        {
          const MachineSource *s = g_ptr_array_index (o->sources, j);
          if (s->path && !check_not_in_backup (backup, t->argument, s->path, error))
            return FALSE;
        }
    }
  return TRUE;
}

Plan *
plan_compute (const PlanBackup *backup, GPtrArray *targets, const PlanOptions *options,
              GError **error)
{
  g_autoptr (Plan) plan = plan_new ();
  PlanCtx ctx = { 0 };
  gboolean ok = FALSE;

  g_return_val_if_fail (backup != NULL && backup->descriptor != NULL, NULL);
  g_return_val_if_fail (targets != NULL && targets->len > 0, NULL);
  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (backup->dir == NULL || options->vet_image != NULL, NULL);

  plan->mode = options->mode;
  plan->grow = g_strdup (options->grow);
  plan->shrink = g_strdup (options->shrink);
  plan->backup_sha256 = g_strdup (backup->sha256);
  ctx.backup = backup;
  ctx.src = backup->descriptor;
  ctx.opt = options;
  ctx.plan = plan;

  if (!check_targets_not_in_backup (backup, targets, error))
    goto out;
  if (!plan_gather_disks (&ctx, targets, error))
    goto out;
  plan_rules_hardware (&ctx);
  if (!plan_map_disks (&ctx, error))
    goto out;
  plan_map_checks (&ctx);
  if (!plan_rules_images (&ctx, error))
    goto out;
  plan_rules_volumes (&ctx);
  plan_rules_stack (&ctx);
  plan_rules_fstab (&ctx);
  plan_rules_boot (&ctx);

  for (guint i = 0; i < plan->checks->len; i++)
    {
      const PlanCheck *c = g_ptr_array_index (plan->checks, i);
      if (c->status > plan->status)
        plan->status = c->status;
    }
  ok = TRUE;
out:
  ctx_clear (&ctx);
  return ok ? g_steal_pointer (&plan) : NULL;
}
