/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The storage stack in a plan: what restore writes back of each LVM
 * volume group on a restored disk, shown from the disk up
 * (disk → partition → PV → VG → LV → volume), and the rules a stack adds:
 * every PV of a restored group on a mapped disk, each PV inside its
 * partition, the group's extents on its PVs, and each captured LV's image
 * where its extents are.
 */
#include "config.h"

#include <string.h>

#include "plan-private.h"

static const PlanSDisk *
source_of (const PlanCtx *ctx, const MachineDisk *d)
{
  for (guint i = 0; i < ctx->n_sources; i++)
    if (ctx->sources[i].disk == d)
      return &ctx->sources[i];
  return NULL;
}

static const char *
target_name (const PlanCtx *ctx, const PlanSDisk *s)
{
  return s && s->target >= 0 ? ctx->targets[s->target].out->name : NULL;
}

static void
lv_lines (const PlanCtx *ctx, PlanCheck *c, const MachineVolumeGroup *vg, const char *chain)
{
  for (guint i = 0; i < vg->lvs->len; i++)
    {
      const MachineLogicalVolume *lv = g_ptr_array_index (vg->lvs, i);
      const MachineVolume *v = lv->volume;
      g_autofree char *what
        = g_strdup_printf ("%s → LV %s (%s)", chain, lv->name, lv->uuid ? lv->uuid : "no uuid");
      g_autofree char *vol = v && v->fs
                               ? g_strdup_printf ("%s%s%s", v->fs, v->mountpoint ? " on " : "",
                                                  v->mountpoint ? v->mountpoint : "")
                               : g_strdup ("no filesystem recorded");
      const MachineLvSegment *seg
        = lv->segments->len == 1 ? g_ptr_array_index (lv->segments, 0) : NULL;
      const MachinePhysicalVolume *pv = seg ? machine_volume_group_find_pv (vg, seg->pv) : NULL;
      MachineDeviceRef r;
      const char *to = NULL;

      if (pv && machine_descriptor_resolve (ctx->src, pv->device, &r) && r.disk)
        to = target_name (ctx, source_of (ctx, r.disk));
      if (v && v->image)
        {
          if (pv == NULL)
            plan_check_add (c, PLAN_STATUS_FAIL,
                            "%s → %s: its image %s cannot be placed: the backup records no "
                            "single segment for it on a physical volume",
                            what, vol, v->image->file);
          else
            plan_check_add (c, PLAN_STATUS_PASS,
                            "%s → %s: restored from %s into extents %" G_GUINT64_FORMAT
                            "-%" G_GUINT64_FORMAT " of its PV on %s (target %s)",
                            what, vol, v->image->file, seg->pv_extent,
                            seg->pv_extent + seg->extents - 1, pv->device, to ? to : "unmapped");
        }
      else if (v && g_strcmp0 (v->fs, "swap") == 0)
        plan_check_add (c, PLAN_STATUS_PASS, "%s → %s: recreated with the same UUID and label",
                        what, vol);
      else if (v && v->fs)
        plan_check_add (c, PLAN_STATUS_WARN,
                        "%s → %s: not captured: recreated empty (same UUID and label, so fstab "
                        "still mounts it); its data is not in the backup",
                        what, vol);
      else
        plan_check_add (c, PLAN_STATUS_WARN,
                        "%s → %s: not captured: the logical volume is restored, its contents "
                        "are not",
                        what, vol);
    }
}

/* An md array: each member's target, members on distinct target disks
 * (a mirror on one disk is no mirror), and what restore writes. */
static void
md_lines (const PlanCtx *ctx, PlanCheck *c, const MachineMdArray *md)
{
  g_autoptr (GString) chain = g_string_new (NULL);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const MachineVolume *v = md->volume;
  gboolean mapped = FALSE, unmapped = FALSE, missing_image = FALSE;

  for (guint j = 0; j < md->members->len; j++)
    {
      const MachineMdMember *mm = g_ptr_array_index (md->members, j);
      MachineDeviceRef r;
      const char *to;

      if (!machine_descriptor_resolve (ctx->src, mm->device, &r) || r.disk == NULL)
        continue;
      to = target_name (ctx, source_of (ctx, r.disk));
      if (chain->len)
        g_string_append (chain, " + ");
      if (mm->spare)
        g_string_append_printf (chain, "%s → p%u (spare)", r.disk->id,
                                r.partition ? r.partition->number : 0);
      else
        g_string_append_printf (chain, "%s → p%u (member %u)", r.disk->id,
                                r.partition ? r.partition->number : 0, mm->role);
      if (to == NULL)
        {
          unmapped = TRUE;
          continue;
        }
      mapped = TRUE;
      if (mm->image == NULL)
        missing_image = TRUE;
      const char *other = g_hash_table_lookup (seen, to);
      if (other)
        plan_check_add (c, PLAN_STATUS_FAIL,
                        "md array %s: members %s and %s would both be on target %s: a RAID "
                        "array needs its members on distinct disks",
                        md->id, other, mm->device, to);
      else
        g_hash_table_insert (seen, (gpointer) to, mm->device);
    }
  if (!mapped)
    return;
  g_string_append_printf (chain, " → md %s (%s, metadata %s, %s%s%s)", md->id,
                          md->level ? md->level : "?", md->metadata ? md->metadata : "?",
                          md->uuid ? md->uuid : "no uuid", md->name ? ", " : "",
                          md->name ? md->name : "");
  if (unmapped)
    plan_check_add (c, PLAN_STATUS_FAIL,
                    "%s: members on disks that are not mapped: an array is restored whole or "
                    "not at all",
                    chain->str);
  else if (missing_image || g_strcmp0 (md->level, "raid1") != 0)
    plan_check_add (c, PLAN_STATUS_FAIL,
                    "%s: restore recreates RAID1 arrays whose members' superblock areas are in "
                    "the backup, and this one is not",
                    chain->str);
  else if (v && v->image)
    plan_check_add (c, PLAN_STATUS_PASS,
                    "%s → %s%s%s: each member's superblock area written back (the array's and "
                    "the member's identities), and %s written into every member, so the copies "
                    "agree and nothing resyncs",
                    chain->str, v->fs ? v->fs : "a volume", v->mountpoint ? " on " : "",
                    v->mountpoint ? v->mountpoint : "", v->image->file);
  else
    plan_check_add (c, PLAN_STATUS_WARN,
                    "%s: the members' superblocks are restored, the array's contents are not",
                    chain->str);
}

void
plan_rules_stack (PlanCtx *ctx)
{
  PlanCheck *c;

  /* Only a backup with a storage stack has this check: the others' plans
   * stay as they were. */
  if (ctx->src->volume_groups->len == 0 && ctx->src->md_arrays->len == 0
      && ctx->src->luks->len == 0)
    return;
  c = plan_check_new ("storage-stack");
  for (guint i = 0; i < ctx->src->volume_groups->len; i++)
    {
      const MachineVolumeGroup *vg = g_ptr_array_index (ctx->src->volume_groups, i);
      g_autoptr (GString) chain = g_string_new (NULL);
      gboolean mapped = FALSE, unmapped = FALSE;

      for (guint j = 0; j < vg->pvs->len; j++)
        {
          const MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, j);
          MachineDeviceRef r;
          const char *to = NULL;

          if (!machine_descriptor_resolve (ctx->src, pv->device, &r) || r.disk == NULL)
            continue;
          to = target_name (ctx, source_of (ctx, r.disk));
          if (to)
            mapped = TRUE;
          else
            unmapped = TRUE;
          if (chain->len)
            g_string_append (chain, " + ");
          if (r.partition)
            g_string_append_printf (chain, "%s → p%u → PV %s", r.disk->id, r.partition->number,
                                    pv->uuid);
          else
            g_string_append_printf (chain, "%s (whole disk) → PV %s", r.disk->id, pv->uuid);
          if (!to)
            continue;
          if (pv->image == NULL)
            plan_check_add (c, PLAN_STATUS_FAIL,
                            "PV %s of %s on %s: its label and metadata area is not in the "
                            "backup: restoring %s would destroy the volume group",
                            pv->uuid, vg->name, pv->device, r.disk->id);
          else
            plan_check_add (c, PLAN_STATUS_PASS,
                            "PV %s of %s on %s: its label and metadata area (%" G_GUINT64_FORMAT
                            " bytes: every LVM name and UUID) written back from %s onto target %s",
                            pv->uuid, vg->name, pv->device, pv->pe_start, pv->image->file, to);
        }
      if (!mapped)
        continue; /* on disks that are not restored */
      if (unmapped)
        {
          plan_check_add (c, PLAN_STATUS_FAIL,
                          "volume group %s has physical volumes on disks that are not mapped: a "
                          "volume group is restored whole or not at all",
                          vg->name);
          continue;
        }
      g_string_append_printf (chain, " → VG %s (%s)", vg->name, vg->uuid);
      lv_lines (ctx, c, vg, chain->str);
    }
  for (guint i = 0; i < ctx->src->md_arrays->len; i++)
    md_lines (ctx, c, g_ptr_array_index (ctx->src->md_arrays, i));
  for (guint i = 0; i < ctx->src->luks->len; i++)
    {
      const MachineLuks *l = g_ptr_array_index (ctx->src->luks, i);
      const MachineVolume *v = l->volume;
      MachineDeviceRef r;
      const char *to;

      if (!machine_descriptor_resolve (ctx->src, l->device, &r) || r.disk == NULL)
        continue;
      to = target_name (ctx, source_of (ctx, r.disk));
      if (to == NULL)
        continue;
      g_autofree char *chain
        = g_strdup_printf ("%s → %s%u → LUKS %s (%s, %s)%s%s", r.disk->id,
                           r.partition ? "p" : "whole disk ", r.partition ? r.partition->number : 0,
                           l->id, l->type ? l->type : "?", l->uuid ? l->uuid : "no uuid",
                           v && v->mountpoint ? " → " : "",
                           v && v->mountpoint ? v->mountpoint : "");
      if (l->image == NULL)
        plan_check_add (c, PLAN_STATUS_FAIL,
                        "%s: the container is not in the backup: restoring %s would destroy it, "
                        "and asr cannot recreate it without its key",
                        chain, r.disk->id);
      else
        plan_check_add (c, PLAN_STATUS_PASS,
                        "%s: restored whole onto target %s from %s: encrypted bytes, header "
                        "included (used data only does not apply inside it; no key is needed)",
                        chain, to, l->image->file);
    }
  if (c->findings->len == 0)
    plan_check_add (c, PLAN_STATUS_PASS,
                    "no LVM volume group or LUKS container on the restored "
                    "disks");
  g_ptr_array_add (ctx->plan->checks, c);
}
