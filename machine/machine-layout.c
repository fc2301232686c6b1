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
machine_fs_shrinks_by_copy (const char *fs)
{
  return fs && (strcmp (fs, "vfat") == 0 || strcmp (fs, "xfs") == 0);
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
  if (l->shrunk)
    g_array_unref (l->shrunk);
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

/* Whether partition @p changes size with @g, the one resized: @g itself,
 * or the extended partition around @g when @g is logical. */
static gboolean
resized_with (const MachinePartition *p, const MachinePartition *g)
{
  return p == g
         || (p->kind == MACHINE_PARTITION_KIND_EXTENDED && g->kind == MACHINE_PARTITION_KIND_LOGICAL
             && p->start < g->start && g->start < p->start + p->sectors);
}

/* Refuses @mp, given to @opt, unless it is a mount point some volume of
 * @m has; @also: what else @opt takes, for the message. */
static gboolean
mountpoint_named (const MachineDescriptor *m, const char *opt, const char *mp, const char *also,
                  GError **error)
{
  if (mp[0] != '/')
    return layout_fail (error, "%s=%s: not a mount point (/, /var, ...)%s", opt, mp, also);
  if (!mounted_anywhere (m, mp))
    return layout_fail (error, "%s=%s: no volume of the backup is mounted at %s", opt, mp, mp);
  return TRUE;
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

/* The partition of @d that one --shrink item (@mp: a mount point) names,
 * checked: NULL with @error unset when it is on another disk. */
static const MachinePartition *
shrink_item (const MachineDescriptor *m, const MachineDisk *d, const char *mp, MachineLayout *l,
             GError **error)
{
  const MachinePartition *g = NULL;
  MachineLayout probe = { 0 };

  if (!mountpoint_named (m, "--shrink", mp, " or swap", error))
    return NULL;
  if (!find_grow (m, d, "--shrink", mp, &probe, &g, error) || g == NULL)
    return NULL;
  const char *fs = probe.grow_volume && probe.grow_volume->fs ? probe.grow_volume->fs : "unknown";
  if (probe.grow_vg)
    {
      layout_fail (error,
                   "--shrink=%s: %s is on the LVM logical volume %s/%s: asr does not shrink "
                   "logical volumes yet",
                   mp, mp, probe.grow_vg->name, probe.grow_lv->name);
      return NULL;
    }
  if (!machine_fs_shrinks (fs) || probe.grow_volume->image == NULL)
    {
      layout_fail (error,
                   "--shrink=%s: its filesystem is %s%s, which asr does not shrink (ext2, ext3, "
                   "ext4, vfat, xfs captured in the backup)",
                   mp, fs, probe.grow_volume->image ? "" : ", not captured");
      return NULL;
    }
  if (l->grow_volume == NULL)
    l->grow_volume = probe.grow_volume;
  return g;
}

static gboolean
is_swap_partition (const MachinePartition *p)
{
  return p->kind != MACHINE_PARTITION_KIND_EXTENDED && p->volume
         && g_strcmp0 (p->volume->fs, "swap") == 0;
}

static void
add_shrink (GArray *shrunk, const MachinePartition *p, guint64 min_bytes)
{
  for (guint i = 0; i < shrunk->len; i++)
    if (g_array_index (shrunk, MachineShrink, i).partition == p)
      return; /* named twice: its first place counts */
  MachineShrink s = { p, min_bytes, 0 };
  g_array_append_val (shrunk, s);
}

/* --shrink onto a target whose usable sectors end at @limit, the source's
 * last partition at @end: the items of @o->shrink, in order, give up what
 * they can (each keeps its minimum and the margin, swap
 * MACHINE_SWAP_MIN_BYTES) until the target fits; whatever starts after one
 * moves towards the start by what those before it gave. */
static gboolean
layout_shrink (const MachineDescriptor *m, const MachineDisk *d, guint64 end, guint64 limit,
               guint64 align, const MachineLayoutOptions *o, MachineLayout *l, GError **error)
{
  guint32 ss = machine_disk_sector_size (d);
  g_auto (GStrv) items = g_strsplit (o->shrink, ",", -1);
  gboolean moves = FALSE;

  for (char **it = items; *it; it++)
    {
      if (**it == '\0')
        return layout_fail (error, "--shrink=%s: an empty item", o->shrink);
      if (strcmp (*it, "swap") == 0)
        {
          for (guint i = 0; i < d->partitions->len; i++)
            {
              const MachinePartition *p = g_ptr_array_index (d->partitions, i);
              if (is_swap_partition (p))
                add_shrink (l->shrunk, p, MACHINE_SWAP_MIN_BYTES);
            }
          continue;
        }
      g_autoptr (GError) local = NULL;
      const MachinePartition *g = shrink_item (m, d, *it, l, &local);
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (g == NULL)
        continue; /* on another disk */
      guint64 min = 0;
      if (o->min_bytes && !o->min_bytes (d, g, &min, o->min_bytes_opaque, error))
        return FALSE;
      add_shrink (l->shrunk, g, min);
    }
  if (l->shrunk->len == 0)
    {
      l->grow_volume = NULL;
      return TRUE; /* nothing named is here: restored as captured (or refused) */
    }

  /* Moves: a partition (an extended one too) after one that shrinks. */
  for (guint i = 0; i < d->partitions->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (d->partitions, i);
      for (guint j = 0; j < l->shrunk->len; j++)
        if (p->start > g_array_index (l->shrunk, MachineShrink, j).partition->start)
          moves = TRUE;
    }

  /* Who gives what: moved partitions stay aligned, so every share is
   * whole MiB then. */
  guint64 need = end - limit;
  if (moves && need % align)
    need += align - need % align;
  guint64 left = need;
  for (guint j = 0; j < l->shrunk->len; j++)
    {
      MachineShrink *s = &g_array_index (l->shrunk, MachineShrink, j);
      guint64 keep = MAX ((s->min_bytes + ss - 1) / ss, 1);
      if (is_swap_partition (s->partition))
        keep = MIN (keep, s->partition->sectors);
      guint64 can = s->partition->sectors > keep ? s->partition->sectors - keep : 0;
      if (moves)
        can -= can % align;
      s->lost = MIN (can, left);
      left -= s->lost;
    }
  if (left > 0)
    {
      g_autoptr (GString) why = g_string_new (NULL);
      for (guint j = 0; j < l->shrunk->len; j++)
        {
          const MachineShrink *s = &g_array_index (l->shrunk, MachineShrink, j);
          const MachinePartition *p = s->partition;
          g_string_append_printf (why,
                                  "%s%s partition %u (%s) can give up %" G_GUINT64_FORMAT " bytes",
                                  j ? "; " : "", d->id, p->number, p->volume->fs, s->lost * ss);
          if (is_swap_partition (p))
            g_string_append_printf (why, " (swap keeps at least %u)", MACHINE_SWAP_MIN_BYTES);
          else if (s->min_bytes)
            g_string_append_printf (why,
                                    " (its %s needs at least %" G_GUINT64_FORMAT
                                    ": its minimum and the margin)",
                                    p->volume->fs, s->min_bytes);
        }
      return layout_fail (error,
                          "--shrink=%s: %s; the disk needs %" G_GUINT64_FORMAT
                          " bytes less: the target is short by %" G_GUINT64_FORMAT " bytes",
                          o->shrink, why->str, need * ss, left * ss);
    }

  /* Each partition moves by what those before it gave; one that shrinks,
   * and an extended partition around a logical one that does, is that
   * much smaller. */
  for (guint i = 0; i < d->partitions->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (d->partitions, i);
      MachineExtent *e = &l->extents[i];
      guint64 shift = 0, smaller = 0;
      for (guint j = 0; j < l->shrunk->len; j++)
        {
          const MachineShrink *s = &g_array_index (l->shrunk, MachineShrink, j);
          const MachinePartition *g = s->partition;
          if (resized_with (p, g))
            smaller += s->lost;
          else if (p->start > g->start)
            shift += s->lost;
        }
      if (shift && !may_move (d, p, "--shrink", o->shrink, error))
        return FALSE;
      e->start -= shift;
      e->sectors -= smaller;
    }
  l->grown = g_array_index (l->shrunk, MachineShrink, 0).partition;
  l->lost = need;
  l->moves = moves;
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
  const char *mp;

  l->disk = d;
  l->target_sectors = target_bytes / ss;
  l->extents = g_new0 (MachineExtent, d->partitions->len + 1);
  l->shrunk = g_array_new (FALSE, FALSE, sizeof (MachineShrink));
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
  if (mp == NULL)
    return g_steal_pointer (&l);

  l->grow_mountpoint = g_strdup (mp);
  l->shrinks = shrink;
  if (shrink)
    {
      if (!layout_shrink (m, d, end, limit, align, o, l, error))
        return NULL;
      l->holds = l->grown != NULL;
      return g_steal_pointer (&l);
    }
  if (!mountpoint_named (m, "--grow", mp, "", error))
    return NULL;
  if (!find_grow (m, d, "--grow", mp, l, &g, error))
    return NULL;
  if (g == NULL)
    {
      l->grow_volume = NULL;
      return g_steal_pointer (&l); /* on another disk */
    }
  l->holds = TRUE;
  const char *fs = l->grow_volume && l->grow_volume->fs ? l->grow_volume->fs : "unknown";
  if (!machine_fs_grows (fs))
    {
      layout_fail (error,
                   "--grow=%s: its filesystem is %s, which asr does not grow (ext2, ext3, ext4, "
                   "xfs, btrfs)",
                   mp, fs);
      return NULL;
    }

  for (guint i = 0; i < d->partitions->len; i++)
    if (((const MachinePartition *) g_ptr_array_index (d->partitions, i))->start > g->start)
      moves = TRUE;
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

  /* What moves: every partition (an extended one too) that starts after
   * the grown one; it and the extended partition around it, if it is
   * logical, take the space. */
  for (guint i = 0; i < d->partitions->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (d->partitions, i);
      MachineExtent *e = &l->extents[i];
      if (resized_with (p, g))
        e->sectors += delta;
      else if (p->start > g->start)
        {
          if (!may_move (d, p, "--grow", mp, error))
            return NULL;
          e->start += delta;
        }
    }
  l->grown = g;
  l->gained = delta;
  l->moves = moves;
  return g_steal_pointer (&l);
}

const MachineShrink *
machine_layout_shrink_of (const MachineLayout *l, const MachinePartition *p)
{
  for (guint i = 0; l->shrunk && i < l->shrunk->len; i++)
    if (g_array_index (l->shrunk, MachineShrink, i).partition == p)
      return &g_array_index (l->shrunk, MachineShrink, i);
  return NULL;
}

const MachineExtent *
machine_layout_extent (const MachineLayout *l, const MachinePartition *p)
{
  for (guint i = 0; i < l->disk->partitions->len; i++)
    if (g_ptr_array_index (l->disk->partitions, i) == p)
      return &l->extents[i];
  g_return_val_if_reached (NULL);
}
