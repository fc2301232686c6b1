/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where each partition of a source disk lies on a target of another size
 * (docs/asr-restore.1, "DISKS OF OTHER SIZES"): the one plan and restore
 * both use, so the plan shows exactly what restore writes.
 *
 * --grow[=MOUNTPOINT]: the partition holding that volume (itself, or an LVM
 * physical volume under the logical volume holding it) takes the space
 * the target has after the last partition; every partition that starts
 * after it moves that far towards the end, so their order, numbers and
 * gaps are kept.  A move is free in a restore: each image is written at
 * its new offset, swap and empty volumes are recreated at theirs.
 */
#include "config.h"

#include <string.h>

#include "machine.h"

/* Partitions that move keep a 1 MiB alignment. */
#define LAYOUT_ALIGN_BYTES (1024u * 1024u)

/* The GPT partition type of a BIOS boot partition: GRUB's core image,
 * which boot.img finds by sector. */
#define BIOS_BOOT_TYPE "21686148-6449-6e6f-744e-656564454649"

gboolean
machine_fs_shrinks (const char *fs)
{
  return fs
         && (strcmp (fs, "ext2") == 0 || strcmp (fs, "ext3") == 0 || strcmp (fs, "ext4") == 0
             || strcmp (fs, "vfat") == 0 || strcmp (fs, "xfs") == 0);
}

gboolean
machine_fs_grows (const char *fs)
{
  return fs
         && (strcmp (fs, "ext2") == 0 || strcmp (fs, "ext3") == 0 || strcmp (fs, "ext4") == 0
             || strcmp (fs, "xfs") == 0 || strcmp (fs, "btrfs") == 0);
}

void
machine_layout_free (MachineLayout *l)
{
  if (l == NULL)
    return;
  g_free (l->extents);
  g_free (l->grow_mountpoint);
  g_free (l);
}

static gboolean
volume_mounted_at (const MachineVolume *v, const char *mountpoint)
{
  if (v == NULL)
    return FALSE;
  if (g_strcmp0 (v->mountpoint, mountpoint) == 0)
    return TRUE;
  for (guint i = 0; v->subvolumes && i < v->subvolumes->len; i++)
    {
      const MachineSubvolume *s = g_ptr_array_index (v->subvolumes, i);
      if (g_strcmp0 (s->mountpoint, mountpoint) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean layout_fail (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
layout_fail (GError **error, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, MACHINE_ERROR, MACHINE_ERROR_INVALID, msg);
  return FALSE;
}

/* Whether any volume of @m, on any disk or layer, is mounted at @mp. */
static gboolean
mounted_anywhere (const MachineDescriptor *m, const char *mp)
{
  for (guint i = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      for (guint j = 0; j < d->partitions->len; j++)
        if (volume_mounted_at (((MachinePartition *) g_ptr_array_index (d->partitions, j))->volume,
                               mp))
          return TRUE;
    }
  for (guint i = 0; i < m->md_arrays->len; i++)
    if (volume_mounted_at (((MachineMdArray *) g_ptr_array_index (m->md_arrays, i))->volume, mp))
      return TRUE;
  for (guint i = 0; i < m->luks->len; i++)
    if (volume_mounted_at (((MachineLuks *) g_ptr_array_index (m->luks, i))->volume, mp))
      return TRUE;
  for (guint i = 0; i < m->volume_groups->len; i++)
    {
      const MachineVolumeGroup *vg = g_ptr_array_index (m->volume_groups, i);
      for (guint j = 0; j < vg->lvs->len; j++)
        if (volume_mounted_at (((MachineLogicalVolume *) g_ptr_array_index (vg->lvs, j))->volume,
                               mp))
          return TRUE;
    }
  return FALSE;
}

/* The partition of @d (and the LVM group and LV above it) that holds the
 * volume mounted at @mp: FALSE with @error when it is there but cannot
 * grow; TRUE with *@out NULL when it is not on @d. */
static gboolean
find_grow (const MachineDescriptor *m, const MachineDisk *d, const char *opt, const char *mp,
           MachineLayout *l, const MachinePartition **out, GError **error)
{
  *out = NULL;
  for (guint i = 0; i < d->partitions->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (d->partitions, i);
      g_autofree char *ref = g_strdup_printf ("%s/p%u", d->id, p->number);
      MachineHolder h;

      if (p->kind == MACHINE_PARTITION_KIND_EXTENDED)
        continue;
      if (volume_mounted_at (p->volume, mp))
        {
          l->grow_volume = p->volume;
          *out = p;
          return TRUE;
        }
      if (!machine_descriptor_find_holder (m, ref, &h))
        continue;
      if (h.md && volume_mounted_at (h.md->volume, mp))
        return layout_fail (error,
                            "%s=%s: %s is on the md array %s (%s partition %u is a member): "
                            "asr does not resize md arrays",
                            opt, mp, mp, h.md->id, d->id, p->number);
      if (h.luks && volume_mounted_at (h.luks->volume, mp))
        return layout_fail (error,
                            "%s=%s: %s is in the LUKS container %s (%s partition %u): asr "
                            "cannot resize what is inside it without its key",
                            opt, mp, mp, h.luks->id, d->id, p->number);
      if (h.vg)
        for (guint j = 0; j < h.vg->lvs->len; j++)
          {
            const MachineLogicalVolume *lv = g_ptr_array_index (h.vg->lvs, j);
            if (!volume_mounted_at (lv->volume, mp))
              continue;
            l->grow_vg = h.vg;
            l->grow_lv = lv;
            l->grow_volume = lv->volume;
            *out = p;
            return TRUE;
          }
    }
  return TRUE;
}

static guint64
layout_limit (const MachineDisk *d, guint64 disk_sectors, guint32 ss)
{
  if (d->ptable == MACHINE_PTABLE_GPT)
    {
      /* room for the backup entries and header at the end */
      guint64 entries = d->gpt_entries ? d->gpt_entries : 128;
      guint64 entry_bytes = d->gpt_entry_bytes ? d->gpt_entry_bytes : 128;
      guint64 entry_sectors = (entries * entry_bytes + ss - 1) / ss;
      return disk_sectors > entry_sectors + 1 ? disk_sectors - 1 - entry_sectors : 0;
    }
  return MIN (disk_sectors, (guint64) G_MAXUINT32); /* MBR: 32-bit LBAs */
}

/* Refuses a move of partition @p of @d: a boot loader may find it by
 * sector. */
static gboolean
may_move (const MachineDisk *d, const MachinePartition *p, const char *opt, const char *mp,
          GError **error)
{
  if (d->ptable == MACHINE_PTABLE_GPT
      && g_ascii_strcasecmp (p->type ? p->type : "", BIOS_BOOT_TYPE) == 0)
    return layout_fail (error,
                        "%s=%s: %s partition %u, a BIOS boot partition after it, would move, and "
                        "the boot code finds the loader in it by sector",
                        opt, mp, d->id, p->number);
  if (p->bootable == MACHINE_TRISTATE_YES)
    return layout_fail (error,
                        "%s=%s: %s partition %u, the bootable one, would move, and a boot loader "
                        "there (extlinux, GRUB) may find its files by sector",
                        opt, mp, d->id, p->number);
  return TRUE;
}

MachineLayout *
machine_layout_new (const MachineDescriptor *m, const MachineDisk *d, guint64 target_bytes,
                    const MachineLayoutOptions *o, GError **error)
{
  g_autoptr (MachineLayout) l = g_new0 (MachineLayout, 1);
  guint32 ss = machine_disk_sector_size (d);
  guint64 align = LAYOUT_ALIGN_BYTES / ss ? LAYOUT_ALIGN_BYTES / ss : 1;
  const MachinePartition *g = NULL;
  guint64 end = 0, limit, delta;
  gboolean moves = FALSE, shrink;
  const char *mp, *opt;

  l->disk = d;
  l->target_sectors = target_bytes / ss;
  l->extents = g_new0 (MachineExtent, d->partitions->len + 1);
  for (guint i = 0; i < d->partitions->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (d->partitions, i);
      l->extents[i].start = p->start;
      l->extents[i].sectors = p->sectors;
      end = MAX (end, p->start + p->sectors);
    }
  limit = layout_limit (d, l->target_sectors, ss);
  /* A larger target grows with --grow, a smaller one shrinks with
   * --shrink; anything else is restored as captured (and a target too
   * small is the caller's to refuse). */
  shrink = limit < end;
  mp = shrink ? (o ? o->shrink : NULL) : (o ? o->grow : NULL);
  opt = shrink ? "--shrink" : "--grow";
  if (mp == NULL)
    return g_steal_pointer (&l);

  l->grow_mountpoint = g_strdup (mp);
  if (mp[0] != '/')
    {
      layout_fail (error, "%s=%s: not a mount point (/, /var, ...)", opt, mp);
      return NULL;
    }
  if (!mounted_anywhere (m, mp))
    {
      layout_fail (error, "%s=%s: no volume of the backup is mounted at %s", opt, mp, mp);
      return NULL;
    }
  if (!find_grow (m, d, opt, mp, l, &g, error))
    return NULL;
  if (g == NULL)
    {
      l->grow_volume = NULL;
      return g_steal_pointer (&l); /* on another disk */
    }
  l->holds = TRUE;
  const char *fs = l->grow_volume && l->grow_volume->fs ? l->grow_volume->fs : "unknown";
  if (!shrink && !machine_fs_grows (fs))
    {
      layout_fail (error,
                   "--grow=%s: its filesystem is %s, which asr does not grow (ext2, ext3, ext4, "
                   "xfs, btrfs)",
                   mp, fs);
      return NULL;
    }
  if (shrink && l->grow_vg)
    {
      layout_fail (error,
                   "--shrink=%s: %s is on the LVM logical volume %s/%s: asr does not shrink "
                   "logical volumes yet",
                   mp, mp, l->grow_vg->name, l->grow_lv->name);
      return NULL;
    }
  if (shrink && (!machine_fs_shrinks (fs) || l->grow_volume->image == NULL))
    {
      layout_fail (error,
                   "--shrink=%s: its filesystem is %s%s, which asr does not shrink (ext2, ext3, "
                   "ext4, vfat, xfs captured in the backup)",
                   mp, fs, l->grow_volume->image ? "" : ", not captured");
      return NULL;
    }

  for (guint i = 0; i < d->partitions->len; i++)
    if (((const MachinePartition *) g_ptr_array_index (d->partitions, i))->start > g->start)
      moves = TRUE;
  if (!shrink)
    {
      delta = limit > end ? limit - end : 0;
      if (moves)
        delta -= delta % align; /* moved partitions stay aligned */
      if (delta == 0)
        {
          l->grow_volume = NULL; /* no room: nothing grows */
          l->grow_vg = NULL;
          l->grow_lv = NULL;
          return g_steal_pointer (&l);
        }
    }
  else
    {
      /* at least a sector, when the minimum is not known here */
      guint64 min_sectors = MAX ((o->min_bytes + ss - 1) / ss, 1);
      delta = end - limit;
      if (moves && delta % align)
        delta += align - delta % align;
      if (delta >= g->sectors || g->sectors - delta < min_sectors)
        {
          guint64 have = delta >= g->sectors ? 0 : g->sectors - delta;
          layout_fail (error,
                       "--shrink=%s: %s partition %u would have %" G_GUINT64_FORMAT
                       " bytes, and its %s needs at least %" G_GUINT64_FORMAT
                       " (its minimum and the margin): the target is short by %" G_GUINT64_FORMAT
                       " bytes",
                       mp, d->id, g->number, have * ss, fs, min_sectors * ss,
                       (min_sectors + delta - g->sectors) * ss);
          return NULL;
        }
    }

  /* What moves: every partition (an extended one too) that starts after
   * the resized one; it and the extended partition around it, if it is
   * logical, take or give the space. */
  for (guint i = 0; i < d->partitions->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (d->partitions, i);
      MachineExtent *e = &l->extents[i];
      if (p == g
          || (p->kind == MACHINE_PARTITION_KIND_EXTENDED
              && g->kind == MACHINE_PARTITION_KIND_LOGICAL && p->start < g->start
              && g->start < p->start + p->sectors))
        e->sectors = shrink ? e->sectors - delta : e->sectors + delta;
      else if (p->start > g->start)
        {
          if (!may_move (d, p, opt, mp, error))
            return NULL;
          e->start = shrink ? e->start - delta : e->start + delta;
        }
    }
  l->grown = g;
  l->gained = shrink ? 0 : delta;
  l->lost = shrink ? delta : 0;
  l->shrinks = shrink;
  l->moves = moves;
  return g_steal_pointer (&l);
}

const MachineExtent *
machine_layout_extent (const MachineLayout *l, const MachinePartition *p)
{
  for (guint i = 0; i < l->disk->partitions->len; i++)
    if (g_ptr_array_index (l->disk->partitions, i) == p)
      return &l->extents[i];
  g_return_val_if_reached (NULL);
}
