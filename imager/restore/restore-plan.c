/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * From a plan to what restore writes: the mapped disks, each found among
 * the TARGETs as they were probed, by the identity the plan recorded.
 */
#include "config.h"

#include <sys/stat.h>

#include "imager.h"

GPtrArray *
asr_restore_targets_from_plan (const Plan *plan, GPtrArray *targets, gboolean created,
                               GError **error)
{
  g_autoptr (GPtrArray) out
    = g_ptr_array_new_with_free_func ((GDestroyNotify) asr_restore_target_free);

  g_return_val_if_fail (plan != NULL && targets != NULL, NULL);

  for (guint i = 0; i < plan->mappings->len; i++)
    {
      const PlanMapping *m = g_ptr_array_index (plan->mappings, i);
      const PlanTargetDisk *pt = NULL;
      const MachineSource *src = NULL;
      const MachineDisk *d;
      struct stat st;

      for (guint j = 0; j < plan->targets->len && m->target; j++)
        {
          const PlanTargetDisk *x = g_ptr_array_index (plan->targets, j);
          if (g_strcmp0 (x->name, m->target) == 0)
            pt = x;
        }
      d = pt ? plan_find_target_disk (targets, pt->path, &src) : NULL;
      if (d == NULL || src->format == NULL)
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s: the plan maps it to %s, which is not a TARGET given", m->source,
                       m->target ? m->target : "nothing");
          return NULL;
        }
      AsrRestoreTarget *t = asr_restore_target_new (m->source, src->path, src->format);
      t->bytes = d->bytes;
      t->serial = g_strdup (d->serial);
      t->wwn = g_strdup (d->wwn);
      t->is_block_device = stat (src->path, &st) == 0 && S_ISBLK (st.st_mode);
      t->known_zero = created;
      for (guint j = 0; m->layout && j < m->layout->len; j++)
        {
          const PlanPartitionMove *mv = &g_array_index (m->layout, PlanPartitionMove, j);
          AsrShrinkMin sm = { mv->number, mv->min_bytes };
          if (mv->min_bytes == 0)
            continue;
          if (t->shrink_mins == NULL)
            t->shrink_mins = g_array_new (FALSE, FALSE, sizeof (AsrShrinkMin));
          g_array_append_val (t->shrink_mins, sm);
        }
      g_ptr_array_add (out, t);
    }
  return g_steal_pointer (&out);
}
