/* SPDX-License-Identifier: GPL-2.0-or-later */
/* plan_compute(): the checks in their fixed order. */
#include "config.h"

#include "plan-private.h"

static void
ctx_clear (PlanCtx *ctx)
{
  for (guint i = 0; i < ctx->n_sources; i++)
    g_free (ctx->sources[i].map_spec);
  g_free (ctx->sources);
  g_free (ctx->targets);
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
  g_return_val_if_fail (!options->check_images || options->checksum != NULL, NULL);

  plan->mode = options->mode;
  plan->backup_sha256 = g_strdup (backup->sha256);
  ctx.backup = backup;
  ctx.src = backup->descriptor;
  ctx.opt = options;
  ctx.plan = plan;

  if (!plan_map_targets (&ctx, targets, error))
    goto out;
  plan_rules_hardware (&ctx);
  if (!plan_map_disks (&ctx, error))
    goto out;
  plan_map_checks (&ctx);
  if (!plan_rules_images (&ctx, error))
    goto out;
  plan_rules_volumes (&ctx);
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
