/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The part of a restore that needs a Linux kernel: swap and uncaptured
 * volumes recreated empty with their UUID and label (so fstab still
 * mounts them), the UEFI fallback loader, and --grow's filesystem resize.
 * One libguestfs launch for all of it, over all target disks, after the
 * volumes were verified (the fallback loader changes the ESP) and before
 * the boot area (the marker stays until everything else is done).
 */
#include "config.h"

#include <string.h>

#include "appliance.h"
#include "cleanup.h"
#include "restore-private.h"

static gboolean fail (guestfs_h *g, GError **error, const char *what, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (guestfs_h *g, GError **error, const char *what, ...)
{
  va_list ap;
  va_start (ap, what);
  g_autofree char *w = g_strdup_vprintf (what, ap);
  va_end (ap);
  g_set_error (error, ASR_RESTORE_ERROR, ASR_RESTORE_ERROR_FAILED, "%s: %s", w,
               guestfs_last_error (g) ? guestfs_last_error (g) : "libguestfs failed");
  return FALSE;
}

/* set_uuid cannot set a vfat volume id (libguestfs 1.48): it is 4 bytes in
 * the boot sector, at 67 on FAT32 and 39 on FAT12/16, shown as XXXX-YYYY
 * (the high half first) and stored little-endian. */
static gboolean
set_vfat_id (guestfs_h *g, const char *dev, const char *uuid, GError **error)
{
  guint64 id;
  size_t got = 0;
  g_autofree char *hex = NULL;

  if (strlen (uuid) != 9 || uuid[4] != '-')
    return TRUE; /* not a FAT volume id: leave mkfs's */
  hex = g_strdup_printf ("%.4s%.4s", uuid, uuid + 5);
  if (!g_ascii_string_to_unsigned (hex, 16, 0, G_MAXUINT32, &id, NULL))
    return TRUE;
  g_autofree char *bs = guestfs_pread_device (g, dev, 512, 0, &got);
  if (bs == NULL || got < 90)
    return fail (g, error, "reading the boot sector of %s", dev);
  gboolean fat32 = memcmp (bs + 82, "FAT32   ", 8) == 0;
  char le[4] = { (char) (id & 0xff), (char) ((id >> 8) & 0xff), (char) ((id >> 16) & 0xff),
                 (char) ((id >> 24) & 0xff) };
  if (guestfs_pwrite_device (g, dev, le, 4, fat32 ? 67 : 39) != 4)
    return fail (g, error, "writing the volume id of %s", dev);
  return TRUE;
}

static gboolean
recreate (guestfs_h *g, const char *dev, const MachineVolume *v, GError **error)
{
  const char *label = v->label && *v->label ? v->label : NULL;

  if (strcmp (v->fs, "swap") == 0)
    {
      struct guestfs_mkswap_opts_argv a = { 0 };
      if (label)
        {
          a.bitmask |= GUESTFS_MKSWAP_OPTS_LABEL_BITMASK;
          a.label = label;
        }
      if (v->uuid)
        {
          a.bitmask |= GUESTFS_MKSWAP_OPTS_UUID_BITMASK;
          a.uuid = v->uuid;
        }
      if (guestfs_mkswap_opts_argv (g, dev, &a) == -1)
        return fail (g, error, "mkswap on %s", dev);
      return TRUE;
    }
  if (guestfs_mkfs (g, v->fs, dev) == -1)
    return fail (g, error, "mkfs %s on %s", v->fs, dev);
  if (label && guestfs_set_label (g, dev, label) == -1)
    return fail (g, error, "setting the label of %s", dev);
  if (v->uuid == NULL)
    return TRUE;
  if (strcmp (v->fs, "vfat") == 0)
    return set_vfat_id (g, dev, v->uuid, error);
  if (guestfs_set_uuid (g, dev, v->uuid) == -1)
    return fail (g, error, "setting the UUID of %s", dev);
  return TRUE;
}

/* A fresh machine or VM has no boot entry for the OS's loader: the
 * firmware's fallback path is all it will try. */
static gboolean
esp_fallback (guestfs_h *g, const char *dev, const char *disk_id, AsrMessageFunc message,
              void *opaque, GError **error)
{
  g_autofree char *have = NULL;
  const char *found_dir = NULL, *found = NULL;
  g_auto (GStrv) dirs = NULL;

  if (guestfs_mount (g, dev, "/") == -1)
    return fail (g, error, "mounting the ESP %s", dev);
  guestfs_push_error_handler (g, NULL, NULL);
  have = guestfs_case_sensitive_path (g, "/EFI/BOOT/BOOTX64.EFI");
  gboolean exists = have && guestfs_is_file (g, have) > 0;
  dirs = guestfs_ls (g, "/EFI");
  guestfs_pop_error_handler (g);
  if (!exists && dirs)
    {
      static const char *const loaders[] = { "shimx64.efi", "grubx64.efi" };
      for (guint l = 0; l < G_N_ELEMENTS (loaders) && found == NULL; l++)
        for (char **d = dirs; *d && found == NULL; d++)
          {
            if (g_ascii_strcasecmp (*d, "BOOT") == 0)
              continue;
            g_autofree char *path = g_strdup_printf ("/EFI/%s/%s", *d, loaders[l]);
            guestfs_push_error_handler (g, NULL, NULL);
            g_autofree char *real = guestfs_case_sensitive_path (g, path);
            gboolean is = real && guestfs_is_file (g, real) > 0;
            guestfs_pop_error_handler (g);
            if (is)
              {
                found_dir = *d;
                found = loaders[l];
              }
          }
    }
  if (!exists && found)
    {
      g_autofree char *src = g_strdup_printf ("/EFI/%s/%s", found_dir, found);
      if (guestfs_mkdir_p (g, "/EFI/BOOT") == -1
          || guestfs_cp (g, src, "/EFI/BOOT/BOOTX64.EFI") == -1)
        return fail (g, error, "installing the fallback loader on %s", dev);
      /* shim as the fallback loads grubx64.efi from its own directory */
      if (strcmp (found, "shimx64.efi") == 0)
        for (const char *const *f = (const char *const[]){ "grubx64.efi", "mmx64.efi", NULL }; *f;
             f++)
          {
            g_autofree char *s = g_strdup_printf ("/EFI/%s/%s", found_dir, *f);
            g_autofree char *t = g_strdup_printf ("/EFI/BOOT/%s", *f);
            if (guestfs_is_file (g, s) > 0 && guestfs_cp (g, s, t) == -1)
              return fail (g, error, "copying %s on %s", s, dev);
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
  if (guestfs_umount (g, "/") == -1)
    return fail (g, error, "unmounting the ESP %s", dev);
  return TRUE;
}

/* Grows the filesystem on @dev to its device's size; FALSE with @error
 * on failure, FALSE without it when @fs is not one asr grows. */
static gboolean
grow_fs (guestfs_h *g, const char *dev, const char *fs, GError **error)
{
  if (fs && (strcmp (fs, "ext2") == 0 || strcmp (fs, "ext3") == 0 || strcmp (fs, "ext4") == 0))
    {
      /* resize2fs insists on a freshly checked filesystem */
      if (guestfs_e2fsck (g, dev, GUESTFS_E2FSCK_FORCEALL, 1, -1) == -1
          || guestfs_resize2fs (g, dev) == -1)
        return fail (g, error, "growing %s on %s", fs, dev);
      return TRUE;
    }
  if (fs && strcmp (fs, "xfs") == 0)
    {
      /* xfs grows only mounted */
      if (guestfs_mount (g, dev, "/") == -1
          || guestfs_xfs_growfs (g, "/", GUESTFS_XFS_GROWFS_DATASEC, 1, -1) == -1
          || guestfs_umount (g, "/") == -1)
        return fail (g, error, "growing xfs on %s", dev);
      return TRUE;
    }
  return FALSE;
}

/* The grown partition is an LVM PV: the PV takes the partition, the LV
 * holding / the new extents, and its filesystem the LV. */
static gboolean
grow_lvm (guestfs_h *g, const char *dev, const RestoreDisk *rd, AsrMessageFunc message,
          void *opaque, GError **error)
{
  const MachineLogicalVolume *lv = rd->grow_lv;
  const char *fs = lv && lv->volume ? lv->volume->fs : NULL;
  g_autofree char *msg = NULL;
  g_autofree char *lvdev = NULL;

  if (guestfs_pvresize (g, dev) == -1)
    return fail (g, error, "growing the LVM physical volume on %s", dev);
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
  if (guestfs_lvresize_free (g, lvdev, 100) == -1)
    return fail (g, error, "growing the logical volume %s", lvdev);
  if (!grow_fs (g, lvdev, fs, error))
    {
      if (error && *error)
        return FALSE;
      msg
        = g_strdup_printf ("%s partition %u, its LVM physical volume and %s grown, but its %s "
                           "is not a filesystem asr grows (ext2/3/4, xfs): left as it was",
                           rd->source->id, rd->grow_partition->number, lvdev, fs ? fs : "content");
    }
  else
    msg = g_strdup_printf ("%s partition %u, its LVM physical volume, %s and its %s grown to "
                           "the new space",
                           rd->source->id, rd->grow_partition->number, lvdev, fs);
  if (message)
    message (msg, opaque);
  return TRUE;
}

static gboolean
grow (guestfs_h *g, const char *dev, const RestoreDisk *rd, AsrMessageFunc message, void *opaque,
      GError **error)
{
  const MachineVolume *v = rd->grow_partition->volume;
  const char *fs = v ? v->fs : NULL;
  g_autofree char *msg = NULL;

  if (rd->grow_vg)
    return grow_lvm (g, dev, rd, message, opaque, error);
  if (!grow_fs (g, dev, fs, error))
    {
      if (error && *error)
        return FALSE;
      msg = g_strdup_printf ("%s partition %u grew to %" G_GUINT64_FORMAT " sectors, but its %s "
                             "is not a filesystem asr grows (ext2/3/4, xfs): left as it was",
                             rd->source->id, rd->grow_partition->number, rd->grow_sectors,
                             fs ? fs : "content");
      if (message)
        message (msg, opaque);
      return TRUE;
    }
  msg = g_strdup_printf ("%s partition %u and its %s grown to %" G_GUINT64_FORMAT " sectors",
                         rd->source->id, rd->grow_partition->number, fs, rd->grow_sectors);
  if (message)
    message (msg, opaque);
  return TRUE;
}

gboolean
restore_appliance_run (GPtrArray *disks, gboolean grow_fs, gboolean uefi, AsrMessageFunc message,
                       void *opaque, char **accel, GError **error)
{
  gboolean needed = FALSE, lvm = FALSE;
  g_autoptr (guestfs_h) g = NULL;
  g_auto (GStrv) devices = NULL;
  gboolean ok = FALSE;

  for (guint i = 0; i < disks->len; i++)
    {
      const RestoreDisk *rd = g_ptr_array_index (disks, i);
      if (rd->recreate->len || rd->recreate_lvs->len || (grow_fs && rd->grow_partition)
          || (uefi && rd->esp))
        needed = TRUE;
      if (rd->recreate_lvs->len || (grow_fs && rd->grow_vg))
        lvm = TRUE;
    }
  if (!needed)
    return TRUE; /* no 20 s appliance start for nothing */

  g = asr_appliance_new (accel, error);
  if (g == NULL)
    return FALSE;
  for (guint i = 0; i < disks->len; i++)
    {
      const RestoreDisk *rd = g_ptr_array_index (disks, i);
      if (!asr_appliance_add_drive (g, rd->target->path, rd->target->format, FALSE, error))
        return FALSE;
    }
  if (!asr_appliance_launch (g, error))
    return FALSE;
  devices = guestfs_list_devices (g);
  if (devices == NULL || g_strv_length (devices) != disks->len)
    {
      fail (g, error, "listing the appliance's disks");
      goto out;
    }

  /* The volume groups restore wrote back, active: their LVs appear as
   * /dev/VG/LV. */
  if (lvm && guestfs_vg_activate_all (g, 1) == -1)
    {
      fail (g, error, "activating the restored LVM volume groups");
      goto out;
    }
  for (guint i = 0; i < disks->len; i++)
    {
      const RestoreDisk *rd = g_ptr_array_index (disks, i);
      for (guint j = 0; j < rd->recreate_lvs->len; j++)
        {
          const RestoreLv *l = g_ptr_array_index (rd->recreate_lvs, j);
          g_autofree char *dev = g_strdup_printf ("/dev/%s/%s", l->vg->name, l->lv->name);
          if (!recreate (g, dev, l->lv->volume, error))
            goto out;
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
          g_autofree char *dev = g_strdup_printf ("%s%u", devices[i], p->number);
          if (!recreate (g, dev, p->volume, error))
            goto out;
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
          g_autofree char *dev = g_strdup_printf ("%s%u", devices[i], rd->esp->number);
          if (!esp_fallback (g, dev, rd->source->id, message, opaque, error))
            goto out;
        }
      if (grow_fs && rd->grow_partition)
        {
          g_autofree char *dev = g_strdup_printf ("%s%u", devices[i], rd->grow_partition->number);
          if (!grow (g, dev, rd, message, opaque, error))
            goto out;
        }
    }
  ok = TRUE;

out:
  if (ok)
    return asr_appliance_shutdown (g, error);
  {
    int pid = guestfs_get_pid (g);
    if (pid > 0)
      asr_cleanup_remove_pid (pid);
  }
  return FALSE;
}
