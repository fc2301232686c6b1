/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The volume work of a restore, whichever backend does it (see
 * restore-backend.h): swap and uncaptured volumes recreated empty with
 * their UUID and label (so fstab still mounts them), the UEFI fallback
 * loader, and --grow's filesystem and LVM growth.  It runs after the
 * volumes were verified (the fallback loader changes the ESP) and before
 * the boot area (the incomplete marker stays until everything else is
 * done).
 */
#include "config.h"

#include <string.h>

#include "restore-backend.h"

static void
add_once (GPtrArray *a, const char *s)
{
  for (guint i = 0; i < a->len; i++)
    if (strcmp (g_ptr_array_index (a, i), s) == 0)
      return;
  g_ptr_array_add (a, (gpointer) s);
}

void
restore_work_clear (RestoreWork *w)
{
  g_clear_pointer (&w->filesystems, g_ptr_array_unref);
  g_clear_pointer (&w->grown, g_ptr_array_unref);
  g_clear_pointer (&w->vgs, g_ptr_array_unref);
}

static void
add_vg (RestoreWork *w, const MachineVolumeGroup *vg)
{
  for (guint i = 0; i < w->vgs->len; i++)
    if (g_ptr_array_index (w->vgs, i) == vg)
      return;
  g_ptr_array_add (w->vgs, (gpointer) vg);
}

void
restore_work_compute (GPtrArray *disks, gboolean grow, gboolean uefi, RestoreWork *out)
{
  memset (out, 0, sizeof *out);
  out->filesystems = g_ptr_array_new ();
  out->grown = g_ptr_array_new ();
  out->vgs = g_ptr_array_new ();
  for (guint i = 0; i < disks->len; i++)
    {
      const RestoreDisk *rd = g_ptr_array_index (disks, i);
      for (guint j = 0; j < rd->recreate->len; j++)
        add_once (out->filesystems,
                  ((const MachinePartition *) g_ptr_array_index (rd->recreate, j))->volume->fs);
      for (guint j = 0; j < rd->recreate_lvs->len; j++)
        {
          const RestoreLv *l = g_ptr_array_index (rd->recreate_lvs, j);
          add_once (out->filesystems, l->lv->volume->fs);
          add_vg (out, l->vg);
        }
      if (uefi && rd->esp)
        out->esp = TRUE;
      if (grow && rd->grow_partition)
        {
          const MachineVolume *v
            = rd->grow_vg ? (rd->grow_lv ? rd->grow_lv->volume : NULL) : rd->grow_partition->volume;
          out->grow = TRUE;
          if (v && v->fs)
            add_once (out->grown, v->fs);
          if (rd->grow_vg)
            {
              add_vg (out, rd->grow_vg);
              out->lvm_grow = TRUE;
            }
        }
    }
  out->lvm = out->vgs->len > 0;
  out->any = out->filesystems->len || out->esp || out->grow;
}

void
restore_backend_free (RestoreBackend *b)
{
  if (b == NULL)
    return;
  g_free (b->accel);
  b->ops->free (b);
}

RestoreBackend *
restore_backend_for (GPtrArray *disks, const RestoreWork *work, gboolean mount_to_grow,
                     const char **why)
{
  if (why)
    *why = NULL;
  for (guint i = 0; i < disks->len; i++)
    {
      const RestoreDisk *rd = g_ptr_array_index (disks, i);
      if (!rd->target->is_block_device)
        return restore_backend_appliance_new ();
    }
  /* Mounting a filesystem in this host's kernel trusts the backup set,
   * which asr otherwise never does: only when the user says so. */
  if (!mount_to_grow && work != NULL)
    for (guint i = 0; i < work->grown->len; i++)
      {
        const char *fs = g_ptr_array_index (work->grown, i);
        if (strcmp (fs, "xfs") != 0 && strcmp (fs, "btrfs") != 0)
          continue;
        if (why)
          *why = strcmp (fs, "xfs") == 0
                   ? "xfs grows only mounted, and without --mount-to-grow this host's kernel "
                     "mounts no filesystem from a backup set"
                   : "btrfs grows only mounted, and without --mount-to-grow this host's kernel "
                     "mounts no filesystem from a backup set";
        return restore_backend_appliance_new ();
      }
  return restore_backend_host_new ();
}

/* Whether asr grows @fs (the backends know how for these). */
static gboolean
grows (const char *fs)
{
  return machine_fs_grows (fs);
}

static gboolean
recreate (RestoreBackend *b, const char *dev, const MachineVolume *v, GError **error)
{
  const char *label = v->label && *v->label ? v->label : NULL;
  return b->ops->make (b, dev, v->fs, label, v->uuid, error);
}

static gboolean
is_file (RestoreBackend *b, const char *path)
{
  return b->ops->is_file (b, path);
}

/* A fresh machine or VM has no boot entry for the OS's loader: the
 * firmware's fallback path is all it will try. */
static gboolean
esp_fallback (RestoreBackend *b, const char *dev, const char *disk_id, AsrMessageFunc message,
              void *opaque, GError **error)
{
  const char *found_dir = NULL, *found = NULL;
  g_auto (GStrv) dirs = NULL;
  gboolean exists;

  if (!b->ops->mount (b, dev, error))
    return FALSE;
  exists = is_file (b, "/EFI/BOOT/BOOTX64.EFI");
  dirs = exists ? NULL : b->ops->ls (b, "/EFI");
  if (dirs)
    {
      static const char *const loaders[] = { "shimx64.efi", "grubx64.efi" };
      for (guint l = 0; l < G_N_ELEMENTS (loaders) && found == NULL; l++)
        for (char **d = dirs; *d && found == NULL; d++)
          {
            if (g_ascii_strcasecmp (*d, "BOOT") == 0)
              continue;
            g_autofree char *path = g_strdup_printf ("/EFI/%s/%s", *d, loaders[l]);
            if (is_file (b, path))
              {
                found_dir = *d;
                found = loaders[l];
              }
          }
    }
  if (!exists && found)
    {
      g_autofree char *src = g_strdup_printf ("/EFI/%s/%s", found_dir, found);
      if (!b->ops->mkdir_p (b, "/EFI/BOOT", error)
          || !b->ops->cp (b, src, "/EFI/BOOT/BOOTX64.EFI", error))
        {
          g_prefix_error (error, "installing the fallback loader on %s: ", disk_id);
          b->ops->umount (b, NULL);
          return FALSE;
        }
      /* shim as the fallback loads grubx64.efi from its own directory */
      if (strcmp (found, "shimx64.efi") == 0)
        for (const char *const *f = (const char *const[]){ "grubx64.efi", "mmx64.efi", NULL }; *f;
             f++)
          {
            g_autofree char *s = g_strdup_printf ("/EFI/%s/%s", found_dir, *f);
            g_autofree char *t = g_strdup_printf ("/EFI/BOOT/%s", *f);
            if (is_file (b, s) && !b->ops->cp (b, s, t, error))
              {
                b->ops->umount (b, NULL);
                return FALSE;
              }
          }
      g_autofree char *msg = g_strdup_printf ("%s: the ESP had no fallback loader "
                                              "EFI/BOOT/BOOTX64.EFI: installed a copy of "
                                              "EFI/%s/%s (a new machine has no boot entry for it)",
                                              disk_id, found_dir, found);
      if (message)
        message (msg, opaque);
    }
  else if (!exists && message)
    {
      g_autofree char *msg
        = g_strdup_printf ("warning: %s: the ESP has no EFI/BOOT/BOOTX64.EFI and no shimx64.efi or "
                           "grubx64.efi "
                           "under EFI/<distro>/ to install there: the firmware needs a boot entry",
                           disk_id);
      message (msg, opaque);
    }
  return b->ops->umount (b, error);
}

/* The grown partition is an LVM PV: the PV takes the partition, the LV
 * holding / the new extents, and its filesystem the LV. */
static gboolean
grow_lvm (RestoreBackend *b, const char *dev, const RestoreDisk *rd, AsrMessageFunc message,
          void *opaque, GError **error)
{
  const MachineLogicalVolume *lv = rd->grow_lv;
  const char *fs = lv && lv->volume ? lv->volume->fs : NULL;
  g_autofree char *msg = NULL;
  g_autofree char *lvdev = NULL;

  if (!b->ops->pvresize (b, dev, error))
    return FALSE;
  if (lv == NULL)
    {
      msg = g_strdup_printf ("%s partition %u and its LVM physical volume of %s grown to "
                             "%" G_GUINT64_FORMAT
                             " sectors: the new extents are free (no logical volume of %s holds /)",
                             rd->source->id, rd->grow_partition->number, rd->grow_vg->name,
                             rd->grow_sectors, rd->grow_vg->name);
      if (message)
        message (msg, opaque);
      return TRUE;
    }
  lvdev = g_strdup_printf ("/dev/%s/%s", rd->grow_vg->name, lv->name);
  if (!b->ops->lvextend_free (b, rd->grow_vg->name, lv->name, error))
    return FALSE;
  if (!grows (fs))
    msg = g_strdup_printf ("%s partition %u, its LVM physical volume and %s grown, but its %s "
                           "is not a filesystem asr grows (ext2/3/4, xfs, btrfs): left as it was",
                           rd->source->id, rd->grow_partition->number, lvdev, fs ? fs : "content");
  else if (!b->ops->grow_fs (b, lvdev, fs, error))
    return FALSE;
  else
    msg = g_strdup_printf ("%s partition %u, its LVM physical volume, %s and its %s grown to "
                           "the new space",
                           rd->source->id, rd->grow_partition->number, lvdev, fs);
  if (message)
    message (msg, opaque);
  return TRUE;
}

static gboolean
grow (RestoreBackend *b, const char *dev, const RestoreDisk *rd, AsrMessageFunc message,
      void *opaque, GError **error)
{
  const MachineVolume *v = rd->grow_partition->volume;
  const char *fs = v ? v->fs : NULL;
  g_autofree char *msg = NULL;

  if (rd->grow_vg)
    return grow_lvm (b, dev, rd, message, opaque, error);
  if (!grows (fs))
    msg = g_strdup_printf ("%s partition %u grew to %" G_GUINT64_FORMAT " sectors, but its %s "
                           "is not a filesystem asr grows (ext2/3/4, xfs, btrfs): left as it was",
                           rd->source->id, rd->grow_partition->number, rd->grow_sectors,
                           fs ? fs : "content");
  else if (!b->ops->grow_fs (b, dev, fs, error))
    return FALSE;
  else
    msg = g_strdup_printf ("%s partition %u and its %s grown to %" G_GUINT64_FORMAT " sectors",
                           rd->source->id, rd->grow_partition->number, fs, rd->grow_sectors);
  if (message)
    message (msg, opaque);
  return TRUE;
}

void
restore_partition_range (const RestoreDisk *rd, const MachinePartition *p, guint64 *offset,
                         guint64 *bytes)
{
  const MachineExtent *e = machine_layout_extent (rd->layout, p);
  *offset = e->start * rd->sector;
  *bytes = e->sectors * rd->sector;
}

static char *
partition (RestoreBackend *b, guint i, const RestoreDisk *rd, const MachinePartition *p,
           GError **error)
{
  guint64 offset, bytes;
  restore_partition_range (rd, p, &offset, &bytes);
  return b->ops->partition (b, i, rd, p, offset, bytes, error);
}

static gboolean
work_disk (RestoreBackend *b, guint i, const RestoreDisk *rd, gboolean grow_fs, gboolean uefi,
           AsrMessageFunc message, void *opaque, GError **error)
{
  for (guint j = 0; j < rd->recreate_lvs->len; j++)
    {
      const RestoreLv *l = g_ptr_array_index (rd->recreate_lvs, j);
      g_autofree char *dev = b->ops->logical_volume (b, i, rd, l, error);
      if (dev == NULL || !recreate (b, dev, l->lv->volume, error))
        return FALSE;
      if (message)
        {
          g_autofree char *identity = restore_volume_identity (l->lv->volume);
          g_autofree char *msg
            = g_strdup_printf ("logical volume %s/%s: %s recreated empty (%s)", l->vg->name,
                               l->lv->name, l->lv->volume->fs, identity);
          message (msg, opaque);
        }
    }
  for (guint j = 0; j < rd->recreate->len; j++)
    {
      const MachinePartition *p = g_ptr_array_index (rd->recreate, j);
      g_autofree char *dev = partition (b, i, rd, p, error);
      if (dev == NULL || !recreate (b, dev, p->volume, error))
        return FALSE;
      if (message)
        {
          g_autofree char *identity = restore_volume_identity (p->volume);
          g_autofree char *msg
            = g_strdup_printf ("%s partition %u: %s recreated empty (%s)", rd->source->id,
                               p->number, p->volume->fs, identity);
          message (msg, opaque);
        }
    }
  if (uefi && rd->esp)
    {
      g_autofree char *dev = partition (b, i, rd, rd->esp, error);
      if (dev == NULL || !esp_fallback (b, dev, rd->source->id, message, opaque, error))
        return FALSE;
    }
  if (grow_fs && rd->grow_partition)
    {
      g_autofree char *dev = partition (b, i, rd, rd->grow_partition, error);
      if (dev == NULL || !grow (b, dev, rd, message, opaque, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
restore_volumes_run (RestoreBackend *b, GPtrArray *disks, const RestoreWork *work, gboolean grow_fs,
                     gboolean uefi, AsrMessageFunc message, void *opaque, GError **error)
{
  gboolean ok = TRUE;

  if (!work->any)
    return TRUE; /* no appliance start, no loop device, for nothing */
  if (!b->ops->start (b, disks, work, error))
    {
      b->ops->finish (b, FALSE, NULL);
      return FALSE;
    }
  /* The volume groups restore wrote back, active: their LVs appear as
   * /dev/VG/LV. */
  if (work->lvm && !b->ops->activate_vgs (b, work, error))
    ok = FALSE;
  for (guint i = 0; ok && i < disks->len; i++)
    ok = work_disk (b, i, g_ptr_array_index (disks, i), grow_fs, uefi, message, opaque, error);
  if (!ok)
    {
      b->ops->finish (b, FALSE, NULL);
      return FALSE;
    }
  return b->ops->finish (b, TRUE, error);
}
