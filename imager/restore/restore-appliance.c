/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The appliance backend of the volume work (restore-backend.h): one
 * libguestfs launch over all target disks, for image files, which have no
 * device nodes on the host.
 */
#include "config.h"

#include <string.h>

#include "appliance.h"
#include "cleanup.h"
#include "restore-backend.h"

typedef struct {
  RestoreBackend parent;
  guestfs_h *g;
  char **devices; /* the appliance's names of the disks, in order */
} Appliance;

static gboolean fail (guestfs_h *g, GError **error, const char *what, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (guestfs_h *g, GError **error, const char *what, ...)
{
  va_list ap;
  va_start (ap, what);
  g_autofree char *w = g_strdup_vprintf (what, ap);
  va_end (ap);
  g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "%s: %s", w,
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
app_check (RestoreBackend *b, GPtrArray *disks, const RestoreWork *work, GError **error)
{
  return TRUE; /* the appliance has every tool; starting it is the check */
}

static gboolean
app_start (RestoreBackend *b, GPtrArray *disks, const RestoreWork *work, GError **error)
{
  Appliance *a = (Appliance *) b;

  a->g = asr_appliance_new (&b->accel, error);
  if (a->g == NULL)
    return FALSE;
  for (guint i = 0; i < disks->len; i++)
    {
      const RestoreDisk *rd = g_ptr_array_index (disks, i);
      if (!asr_appliance_add_drive (a->g, rd->target->path, rd->target->format, FALSE, error))
        return FALSE;
    }
  if (!asr_appliance_launch (a->g, error))
    return FALSE;
  a->devices = guestfs_list_devices (a->g);
  if (a->devices == NULL || g_strv_length (a->devices) != disks->len)
    return fail (a->g, error, "listing the appliance's disks");
  return TRUE;
}

static char *
app_partition (RestoreBackend *b, guint i, const RestoreDisk *rd, const MachinePartition *p,
               guint64 offset, guint64 bytes, GError **error)
{
  Appliance *a = (Appliance *) b;
  return g_strdup_printf ("%s%u", a->devices[i], p->number);
}

static gboolean
app_activate_vgs (RestoreBackend *b, const RestoreWork *work, GError **error)
{
  Appliance *a = (Appliance *) b;
  if (guestfs_vg_activate_all (a->g, 1) == -1)
    return fail (a->g, error, "activating the restored LVM volume groups");
  return TRUE;
}

static char *
app_logical_volume (RestoreBackend *b, guint i, const RestoreDisk *rd, const RestoreLv *l,
                    GError **error)
{
  return g_strdup_printf ("/dev/%s/%s", l->vg->name, l->lv->name);
}

static gboolean
app_make (RestoreBackend *b, const char *dev, const char *fs, const char *label, const char *uuid,
          GError **error)
{
  guestfs_h *g = ((Appliance *) b)->g;

  if (strcmp (fs, "swap") == 0)
    {
      struct guestfs_mkswap_opts_argv o = { 0 };
      if (label)
        {
          o.bitmask |= GUESTFS_MKSWAP_OPTS_LABEL_BITMASK;
          o.label = label;
        }
      if (uuid)
        {
          o.bitmask |= GUESTFS_MKSWAP_OPTS_UUID_BITMASK;
          o.uuid = uuid;
        }
      if (guestfs_mkswap_opts_argv (g, dev, &o) == -1)
        return fail (g, error, "mkswap on %s", dev);
      return TRUE;
    }
  if (guestfs_mkfs (g, fs, dev) == -1)
    return fail (g, error, "mkfs %s on %s", fs, dev);
  if (label && guestfs_set_label (g, dev, label) == -1)
    return fail (g, error, "setting the label of %s", dev);
  if (uuid == NULL)
    return TRUE;
  if (strcmp (fs, "vfat") == 0)
    return set_vfat_id (g, dev, uuid, error);
  if (guestfs_set_uuid (g, dev, uuid) == -1)
    return fail (g, error, "setting the UUID of %s", dev);
  return TRUE;
}

static gboolean
app_grow_fs (RestoreBackend *b, const char *dev, const char *fs, GError **error)
{
  guestfs_h *g = ((Appliance *) b)->g;

  if (strcmp (fs, "xfs") == 0)
    {
      /* xfs grows only mounted */
      if (guestfs_mount (g, dev, "/") == -1
          || guestfs_xfs_growfs (g, "/", GUESTFS_XFS_GROWFS_DATASEC, 1, -1) == -1
          || guestfs_umount (g, "/") == -1)
        return fail (g, error, "growing xfs on %s", dev);
      return TRUE;
    }
  if (strcmp (fs, "btrfs") == 0)
    {
      /* btrfs grows only mounted, to the end of its device */
      if (guestfs_mount (g, dev, "/") == -1 || guestfs_btrfs_filesystem_resize (g, "/", -1) == -1
          || guestfs_umount (g, "/") == -1)
        return fail (g, error, "growing btrfs on %s", dev);
      return TRUE;
    }
  /* resize2fs insists on a freshly checked filesystem */
  if (guestfs_e2fsck (g, dev, GUESTFS_E2FSCK_FORCEALL, 1, -1) == -1
      || guestfs_resize2fs (g, dev) == -1)
    return fail (g, error, "growing %s on %s", fs, dev);
  return TRUE;
}

static gboolean
app_pvresize (RestoreBackend *b, const char *dev, GError **error)
{
  guestfs_h *g = ((Appliance *) b)->g;
  if (guestfs_pvresize (g, dev) == -1)
    return fail (g, error, "growing the LVM physical volume on %s", dev);
  return TRUE;
}

static gboolean
app_lvextend_free (RestoreBackend *b, const char *vg, const char *lv, GError **error)
{
  guestfs_h *g = ((Appliance *) b)->g;
  g_autofree char *dev = g_strdup_printf ("/dev/%s/%s", vg, lv);
  if (guestfs_lvresize_free (g, dev, 100) == -1)
    return fail (g, error, "growing the logical volume %s", dev);
  return TRUE;
}

static gboolean
app_mount (RestoreBackend *b, const char *dev, GError **error)
{
  guestfs_h *g = ((Appliance *) b)->g;
  if (guestfs_mount (g, dev, "/") == -1)
    return fail (g, error, "mounting %s", dev);
  return TRUE;
}

static gboolean
app_umount (RestoreBackend *b, GError **error)
{
  guestfs_h *g = ((Appliance *) b)->g;
  if (guestfs_umount (g, "/") == -1)
    return fail (g, error, "unmounting /");
  return TRUE;
}

/* FAT is case-insensitive; the appliance's paths are not. */
static gboolean
app_is_file (RestoreBackend *b, const char *path)
{
  guestfs_h *g = ((Appliance *) b)->g;
  guestfs_push_error_handler (g, NULL, NULL);
  g_autofree char *real = guestfs_case_sensitive_path (g, path);
  gboolean is = real && guestfs_is_file (g, real) > 0;
  guestfs_pop_error_handler (g);
  return is;
}

static char **
app_ls (RestoreBackend *b, const char *dir)
{
  guestfs_h *g = ((Appliance *) b)->g;
  guestfs_push_error_handler (g, NULL, NULL);
  g_autofree char *real = guestfs_case_sensitive_path (g, dir);
  char **names = real ? guestfs_ls (g, real) : NULL;
  guestfs_pop_error_handler (g);
  return names;
}

static gboolean
app_mkdir_p (RestoreBackend *b, const char *path, GError **error)
{
  guestfs_h *g = ((Appliance *) b)->g;
  if (guestfs_mkdir_p (g, path) == -1)
    return fail (g, error, "creating %s", path);
  return TRUE;
}

static gboolean
app_cp (RestoreBackend *b, const char *src, const char *dst, GError **error)
{
  guestfs_h *g = ((Appliance *) b)->g;
  guestfs_push_error_handler (g, NULL, NULL);
  g_autofree char *real = guestfs_case_sensitive_path (g, src);
  guestfs_pop_error_handler (g);
  if (guestfs_cp (g, real ? real : src, dst) == -1)
    return fail (g, error, "copying %s to %s", src, dst);
  return TRUE;
}

static gboolean
app_finish (RestoreBackend *b, gboolean ok, GError **error)
{
  Appliance *a = (Appliance *) b;
  g_autoptr (guestfs_h) g = g_steal_pointer (&a->g);

  g_clear_pointer (&a->devices, g_strfreev);
  if (g == NULL)
    return ok;
  if (ok)
    return asr_appliance_shutdown (g, error);
  int pid = guestfs_get_pid (g);
  if (pid > 0)
    asr_cleanup_remove_pid (pid);
  return FALSE;
}

static void
app_free (RestoreBackend *b)
{
  Appliance *a = (Appliance *) b;
  app_finish (b, FALSE, NULL);
  g_free (a);
}

static const RestoreBackendOps appliance_ops = {
  .name = "appliance",
  .check = app_check,
  .start = app_start,
  .partition = app_partition,
  .activate_vgs = app_activate_vgs,
  .logical_volume = app_logical_volume,
  .make = app_make,
  .grow_fs = app_grow_fs,
  .pvresize = app_pvresize,
  .lvextend_free = app_lvextend_free,
  .mount = app_mount,
  .umount = app_umount,
  .is_file = app_is_file,
  .ls = app_ls,
  .mkdir_p = app_mkdir_p,
  .cp = app_cp,
  .finish = app_finish,
  .free = app_free,
};

RestoreBackend *
restore_backend_appliance_new (void)
{
  Appliance *a = g_new0 (Appliance, 1);
  a->parent.ops = &appliance_ops;
  return &a->parent;
}
