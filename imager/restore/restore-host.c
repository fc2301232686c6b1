/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host-tools backend of the volume work (restore-backend.h), for
 * block-device targets: in the rescue system and on any host restoring
 * onto /dev/sdX.
 *
 * Each partition is reached through a loop device over its byte range of
 * the target, not through the kernel's partition node: asr holds the
 * whole disk O_EXCL for the restore, which keeps mkfs (which opens its
 * device O_EXCL) off a partition node, and a partition node may be stale
 * or missing until the table is re-read.  The loop devices are made with
 * LOOP_CONFIGURE and LO_FLAGS_AUTOCLEAR and held open by asr: they go
 * away when asr closes them, also when asr is killed.
 *
 * The ESP's files (the UEFI fallback loader) are worked on with mtools,
 * not through a mount: no FAT driver needed in the host's kernel, and
 * nothing on the volume (a hostile backup's) can lead a write out of it.
 *
 * LVM runs with --devices naming those loop devices only, so the host's
 * own volume groups are neither scanned nor touched, and a volume group
 * of the backup's name already active on the host is refused before the
 * first write.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cleanup.h"
#include "restore-backend.h"
#include "run.h"

/* How long /dev/VG/LV may take to appear after activation (udev). */
#define HOST_LV_WAIT_SECONDS 10

typedef struct {
  guint disk;
  guint number; /* the partition's; 0: a logical volume's, never looked up */
  int fd;       /* held open: the loop device lives while it is */
  char *dev;
} HostLoop;

typedef struct {
  RestoreBackend parent;
  GPtrArray *disks;  /* RestoreDisk*, borrowed */
  GArray *loops;     /* HostLoop */
  GPtrArray *active; /* char*: volume groups activated */
  char *lvm_devices; /* --devices: every loop device, comma-separated */
  char *mnt;         /* private mount point (xfs_growfs) */
  gboolean mounted;
  char *esp;            /* the FAT volume file work is on (mtools) */
  GPtrArray *esp_paths; /* its directories ("::/EFI/") and files, as mdir lists them */
} Host;

#define fail restore_fail

/* ---- the programs ------------------------------------------------------- */

/* Each program the backend runs, and the Debian package it is in. */
static const struct {
  const char *program;
  const char *package;
} host_programs[] = {
  { "mkswap", "util-linux" },
  { "mount", "mount" },
  { "umount", "mount" },
  { "mke2fs", "e2fsprogs" },
  { "e2fsck", "e2fsprogs" },
  { "resize2fs", "e2fsprogs" },
  { "mkfs.xfs", "xfsprogs" },
  { "xfs_growfs", "xfsprogs" },
  { "mkfs.vfat", "dosfstools" },
  { "mkfs.btrfs", "btrfs-progs" },
  { "lvm", "lvm2" },
  { "mdir", "mtools" },
  { "mmd", "mtools" },
  { "mcopy", "mtools" },
  { "modprobe", "kmod" },
};

static const char *
package_of (const char *program)
{
  for (guint i = 0; i < G_N_ELEMENTS (host_programs); i++)
    if (strcmp (host_programs[i].program, program) == 0)
      return host_programs[i].package;
  return NULL;
}

/* @program found in PATH or the sbin directories, which a user's PATH may
 * lack; NULL if it is nowhere. */
static char *
find_program (const char *program)
{
  char *p = g_find_program_in_path (program);
  if (p)
    return p;
  for (const char *const *d = (const char *const[]){ "/usr/sbin", "/sbin", NULL }; *d; d++)
    {
      g_autofree char *c = g_build_filename (*d, program, NULL);
      if (g_file_test (c, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&c);
    }
  return NULL;
}

static gboolean
need_program (const char *program, const char *what, GError **error)
{
  g_autofree char *p = find_program (program);
  if (p)
    return TRUE;
  return fail (error, ASR_IMAGER_ERROR_FAILED,
               "%s needs %s, which is not installed (Debian package %s); nothing was written", what,
               program, package_of (program));
}

/* Runs a program to completion in the C locale; @what names the step in
 * the error. */
static gboolean
run (GError **error, char **out, const char *what, const char *const *argv)
{
  AsrRunOptions o = { .c_locale = TRUE, .capture_stdout = out != NULL };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) local = NULL;
  g_autofree char *path = find_program (argv[0]);
  g_autoptr (GPtrArray) a = g_ptr_array_new ();

  g_ptr_array_add (a, path ? path : (char *) argv[0]);
  for (const char *const *p = argv + 1; *p; p++)
    g_ptr_array_add (a, (char *) *p);
  g_ptr_array_add (a, NULL);
  if (!asr_run_full ((const char *const *) a->pdata, &o, &r, &local))
    return fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", what, local->message);
  if (out)
    *out = g_steal_pointer (&r.stdout_text);
  return TRUE;
}

#define RUN(error, what, ...) run (error, NULL, what, (const char *const[]){ __VA_ARGS__, NULL })

/* ---- check -------------------------------------------------------------- */

static const char *
mkfs_program (const char *fs)
{
  if (strcmp (fs, "swap") == 0)
    return "mkswap";
  if (strcmp (fs, "ext2") == 0 || strcmp (fs, "ext3") == 0 || strcmp (fs, "ext4") == 0)
    return "mke2fs";
  if (strcmp (fs, "xfs") == 0)
    return "mkfs.xfs";
  if (strcmp (fs, "vfat") == 0)
    return "mkfs.vfat";
  if (strcmp (fs, "btrfs") == 0)
    return "mkfs.btrfs";
  return NULL;
}

/* The kernel has a driver: @sysfs exists (NULL: @module is a filesystem
 * in /proc/filesystems), after modprobe @module if it did not. */
static gboolean
listed (const char *sysfs, const char *module)
{
  g_autofree char *text = NULL;
  if (sysfs)
    return g_file_test (sysfs, G_FILE_TEST_EXISTS);
  if (!g_file_get_contents ("/proc/filesystems", &text, NULL, NULL))
    return FALSE;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      const char *name = strrchr (*l, '\t');
      if (g_strcmp0 (name ? name + 1 : g_strstrip (*l), module) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
kernel_has (const char *sysfs, const char *module)
{
  if (listed (sysfs, module))
    return TRUE;
  if (!RUN (NULL, "modprobe", "modprobe", "--quiet", "--", module))
    return FALSE;
  return listed (sysfs, module);
}

static gboolean
host_check (RestoreBackend *b, GPtrArray *disks, const RestoreWork *work, GError **error)
{
  if (!work->any)
    return TRUE;
  if (access ("/dev/loop-control", R_OK | W_OK) != 0)
    return fail (error, ASR_IMAGER_ERROR_FAILED,
                 "the volume work of this restore (recreating volumes, the fallback loader, "
                 "--grow) reaches partitions through loop devices, and /dev/loop-control "
                 "cannot be opened (%s: load the loop module, run as root); nothing was written",
                 g_strerror (errno));
  for (guint i = 0; i < work->filesystems->len; i++)
    {
      const char *fs = g_ptr_array_index (work->filesystems, i);
      const char *program = mkfs_program (fs);
      g_autofree char *what = g_strdup_printf ("recreating a %s volume empty", fs);
      if (program == NULL)
        return fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
                     "%s: asr recreates swap, ext2/3/4, xfs, vfat and btrfs volumes on block "
                     "devices; nothing was written",
                     what);
      if (!need_program (program, what, error))
        return FALSE;
    }
  for (guint i = 0; i < work->grown->len; i++)
    {
      const char *fs = g_ptr_array_index (work->grown, i);
      if (strcmp (fs, "xfs") == 0)
        {
          if (!need_program ("xfs_growfs", "growing xfs (--grow)", error)
              || !need_program ("mount", "growing xfs (--grow)", error))
            return FALSE;
          /* xfs grows mounted */
          if (!kernel_has (NULL, "xfs"))
            return fail (error, ASR_IMAGER_ERROR_FAILED,
                         "growing xfs (--grow) mounts it, and this host's kernel has no xfs "
                         "driver (modprobe xfs failed); nothing was written");
        }
      else if (strcmp (fs, "btrfs") == 0)
        {
          if (!need_program ("btrfs", "growing btrfs (--grow)", error)
              || !need_program ("mount", "growing btrfs (--grow)", error))
            return FALSE;
          if (!kernel_has (NULL, "btrfs"))
            return fail (error, ASR_IMAGER_ERROR_FAILED,
                         "growing btrfs (--grow) mounts it, and this host's kernel has no btrfs "
                         "driver (modprobe btrfs failed); nothing was written");
        }
      else if (g_str_has_prefix (fs, "ext")
               && (!need_program ("e2fsck", "growing ext2/3/4 (--grow)", error)
                   || !need_program ("resize2fs", "growing ext2/3/4 (--grow)", error)))
        return FALSE;
    }
  if (work->esp
      && (!need_program ("mdir", "installing the UEFI fallback loader", error)
          || !need_program ("mmd", "installing the UEFI fallback loader", error)
          || !need_program ("mcopy", "installing the UEFI fallback loader", error)))
    return FALSE;
  /* Logical volumes recreated empty are reached through a loop device
   * over their extents, with no LVM tool and no device-mapper; growth
   * changes the metadata, which only LVM does, on an active group. */
  if (work->lvm_grow)
    {
      if (!need_program ("lvm", "growing an LVM physical volume and its logical volume (--grow)",
                         error))
        return FALSE;
      if (!kernel_has ("/sys/class/misc/device-mapper", "dm_mod"))
        return fail (error, ASR_IMAGER_ERROR_FAILED,
                     "--grow through an LVM physical volume activates its volume group to grow "
                     "the logical volume holding /, and this host's kernel has no device-mapper "
                     "(modprobe dm_mod failed); restore without --grow, or from a rescue system; "
                     "nothing was written");
      for (guint i = 0; i < work->vgs->len; i++)
        {
          const MachineVolumeGroup *vg = g_ptr_array_index (work->vgs, i);
          g_autofree char *dir = g_build_filename ("/dev", vg->name, NULL);
          if (g_file_test (dir, G_FILE_TEST_EXISTS))
            return fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
                         "this host already has an active volume group named %s (%s): the "
                         "restored one could not be activated beside it to recreate or grow "
                         "its volumes; deactivate it (vgchange -an %s) or restore from a "
                         "rescue system; nothing was written",
                         vg->name, dir, vg->name);
        }
    }
  return TRUE;
}

/* ---- loop devices ------------------------------------------------------- */

static void
host_loop_clear (HostLoop *l)
{
  if (l->fd >= 0)
    close (l->fd); /* the last close: LO_FLAGS_AUTOCLEAR detaches it */
  l->fd = -1;
  g_clear_pointer (&l->dev, g_free);
}

/* A loop device over [offset, offset + bytes) of @path, with its logical
 * sector size. */
static gboolean
loop_attach (const char *path, guint64 offset, guint64 bytes, guint32 sector, HostLoop *out,
             GError **error)
{
  int ctl, backing;
  guint64 size = 0;

  ctl = open ("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (ctl < 0)
    return fail (error, ASR_IMAGER_ERROR_FAILED, "/dev/loop-control: %s", g_strerror (errno));
  /* not O_EXCL: asr's own fd holds the disk so */
  backing = open (path, O_RDWR | O_CLOEXEC);
  if (backing < 0)
    {
      int e = errno;
      close (ctl);
      return fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", path, g_strerror (e));
    }
  for (int attempt = 0; attempt < 16; attempt++)
    {
      struct loop_config c = { 0 };
      int n = ioctl (ctl, LOOP_CTL_GET_FREE);
      if (n < 0)
        break;
      g_autofree char *dev = g_strdup_printf ("/dev/loop%d", n);
      int fd = open (dev, O_RDWR | O_CLOEXEC);
      if (fd < 0)
        continue;
      c.fd = (guint32) backing;
      c.block_size = sector;
      c.info.lo_offset = offset;
      c.info.lo_sizelimit = bytes;
      c.info.lo_flags = LO_FLAGS_AUTOCLEAR;
      g_strlcpy ((char *) c.info.lo_file_name, path, sizeof c.info.lo_file_name);
      if (ioctl (fd, LOOP_CONFIGURE, &c) != 0)
        {
          int e = errno;
          close (fd);
          if (e == EBUSY)
            continue; /* another program took it first */
          close (backing);
          close (ctl);
          return fail (error, ASR_IMAGER_ERROR_FAILED,
                       "%s: a loop device over bytes %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT
                       ": %s",
                       path, offset, bytes, g_strerror (e));
        }
      close (backing);
      close (ctl);
      if (ioctl (fd, BLKGETSIZE64, &size) != 0 || size != bytes)
        {
          close (fd);
          return fail (error, ASR_IMAGER_ERROR_FAILED,
                       "%s: the loop device over bytes %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT
                       " is %" G_GUINT64_FORMAT " bytes",
                       dev, offset, bytes, size);
        }
      out->fd = fd;
      out->dev = g_steal_pointer (&dev);
      g_debug ("%s: bytes %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT " of %s", out->dev, offset,
               bytes, path);
      return TRUE;
    }
  close (backing);
  close (ctl);
  return fail (error, ASR_IMAGER_ERROR_FAILED, "no free loop device for %s", path);
}

static char *
host_partition (RestoreBackend *b, guint i, const RestoreDisk *rd, const MachinePartition *p,
                guint64 offset, guint64 bytes, GError **error)
{
  Host *h = (Host *) b;
  HostLoop l = { .disk = i, .number = p->number, .fd = -1 };

  for (guint j = 0; j < h->loops->len; j++)
    {
      const HostLoop *x = &g_array_index (h->loops, HostLoop, j);
      if (x->disk == i && x->number == p->number)
        return g_strdup (x->dev);
    }
  if (!loop_attach (rd->target->path, offset, bytes, rd->sector, &l, error))
    return NULL;
  g_array_append_val (h->loops, l);
  return g_strdup (l.dev);
}

static gboolean
host_start (RestoreBackend *b, GPtrArray *disks, const RestoreWork *work, GError **error)
{
  Host *h = (Host *) b;
  h->disks = disks;
  return TRUE;
}

/* ---- LVM ---------------------------------------------------------------- */

static gboolean
lvm (Host *h, GError **error, const char *what, const char *const *args)
{
  g_autoptr (GPtrArray) a = g_ptr_array_new ();
  g_ptr_array_add (a, "lvm");
  g_ptr_array_add (a, (gpointer) args[0]);
  g_ptr_array_add (a, "--devices");
  g_ptr_array_add (a, h->lvm_devices);
  for (const char *const *p = args + 1; *p; p++)
    g_ptr_array_add (a, (gpointer) *p);
  g_ptr_array_add (a, NULL);
  return run (error, NULL, what, (const char *const *) a->pdata);
}

#define LVM(h, error, what, ...) lvm (h, error, what, (const char *const[]){ __VA_ARGS__, NULL })

static gboolean
host_activate_vgs (RestoreBackend *b, const RestoreWork *work, GError **error)
{
  Host *h = (Host *) b;
  g_autoptr (GString) devices = g_string_new (NULL);
  gint64 until;

  if (!work->lvm_grow)
    return TRUE; /* logical volumes through loop devices (host_logical_volume) */

  /* every partition of every target: the PVs are among them, and LVM
   * sees nothing else */
  for (guint i = 0; i < h->disks->len; i++)
    {
      const RestoreDisk *rd = g_ptr_array_index (h->disks, i);
      for (guint j = 0; j < rd->source->partitions->len; j++)
        {
          const MachinePartition *p = g_ptr_array_index (rd->source->partitions, j);
          guint64 offset, bytes;
          if (p->kind == MACHINE_PARTITION_KIND_EXTENDED)
            continue;
          restore_partition_range (rd, p, &offset, &bytes);
          g_autofree char *dev = host_partition (b, i, rd, p, offset, bytes, error);
          if (dev == NULL)
            return FALSE;
          g_string_append_printf (devices, "%s%s", devices->len ? "," : "", dev);
        }
    }
  g_free (h->lvm_devices);
  h->lvm_devices = g_string_free (g_steal_pointer (&devices), FALSE);
  for (guint i = 0; i < work->vgs->len; i++)
    {
      const MachineVolumeGroup *vg = g_ptr_array_index (work->vgs, i);
      g_autofree char *what = g_strdup_printf ("activating the volume group %s", vg->name);
      if (!LVM (h, error, what, "vgchange", "--activate", "y", vg->name))
        return FALSE;
      g_ptr_array_add (h->active, g_strdup (vg->name));
    }
  /* /dev/VG/LV: made by udev on a normal host, by LVM itself without it */
  until = g_get_monotonic_time () + HOST_LV_WAIT_SECONDS * G_USEC_PER_SEC;
  for (guint i = 0; i < work->vgs->len; i++)
    {
      const MachineVolumeGroup *vg = g_ptr_array_index (work->vgs, i);
      for (guint j = 0; j < vg->lvs->len; j++)
        {
          const MachineLogicalVolume *lv = g_ptr_array_index (vg->lvs, j);
          g_autofree char *path = g_strdup_printf ("/dev/%s/%s", vg->name, lv->name);
          while (!g_file_test (path, G_FILE_TEST_EXISTS))
            {
              if (g_get_monotonic_time () > until)
                return fail (error, ASR_IMAGER_ERROR_FAILED,
                             "%s did not appear within %d s of activating %s", path,
                             HOST_LV_WAIT_SECONDS, vg->name);
              g_usleep (50 * 1000);
            }
        }
    }
  return TRUE;
}

/* /dev/VG/LV when its group is active; else a loop device over the LV's
 * extents on its PV's partition (prepare_lvm placed them), which needs no
 * device-mapper. */
static char *
host_logical_volume (RestoreBackend *b, guint i, const RestoreDisk *rd, const RestoreLv *l,
                     GError **error)
{
  Host *h = (Host *) b;
  HostLoop loop = { .disk = i, .number = 0, .fd = -1 };
  guint64 offset, bytes;

  if (g_ptr_array_find_with_equal_func (h->active, l->vg->name, g_str_equal, NULL))
    return g_strdup_printf ("/dev/%s/%s", l->vg->name, l->lv->name);
  restore_partition_range (rd, l->partition, &offset, &bytes);
  if (l->at > bytes || l->bytes > bytes - l->at)
    {
      fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
            "logical volume %s/%s: its extents do not fit on %s partition %u", l->vg->name,
            l->lv->name, rd->source->id, l->partition->number);
      return NULL;
    }
  if (!loop_attach (rd->target->path, offset + l->at, l->bytes, rd->sector, &loop, error))
    return NULL;
  g_array_append_val (h->loops, loop);
  return g_strdup (loop.dev);
}

static gboolean
host_pvresize (RestoreBackend *b, const char *dev, GError **error)
{
  Host *h = (Host *) b;
  g_autofree char *what = g_strdup_printf ("growing the LVM physical volume on %s", dev);
  return LVM (h, error, what, "pvresize", dev);
}

static gboolean
host_lvextend_free (RestoreBackend *b, const char *vg, const char *lv, GError **error)
{
  Host *h = (Host *) b;
  g_autofree char *name = g_strdup_printf ("%s/%s", vg, lv);
  g_autofree char *what = g_strdup_printf ("growing the logical volume %s", name);
  return LVM (h, error, what, "lvextend", "--extents", "+100%FREE", name);
}

/* ---- volumes ------------------------------------------------------------ */

/* A FAT volume id as blkid shows it, XXXX-YYYY, as mkfs.vfat -i takes it. */
static char *
vfat_id (const char *uuid)
{
  if (uuid == NULL || strlen (uuid) != 9 || uuid[4] != '-')
    return NULL;
  for (guint i = 0; i < 9; i++)
    if (i != 4 && !g_ascii_isxdigit (uuid[i]))
      return NULL;
  return g_strdup_printf ("%.4s%.4s", uuid, uuid + 5);
}

/* How each mkfs takes what restore gives it: its fixed options, and the
 * option before a label and a UUID (NULL: "-muuid=" style, xfs). */
static const struct {
  const char *fs;
  const char *options; /* space-separated; "%s" is the fs */
  const char *label;
  const char *uuid;
} mkfs_args[] = {
  { "swap", "", "-L", "-U" },
  { "ext2", "-F -q -t %s", "-L", "-U" },
  { "ext3", "-F -q -t %s", "-L", "-U" },
  { "ext4", "-F -q -t %s", "-L", "-U" },
  { "btrfs", "-f -q", "-L", "-U" },
  { "xfs", "-f -q", "-L", "-muuid=" },
  { "vfat", "", "-n", "-i" },
};

static gboolean
host_make (RestoreBackend *b, const char *dev, const char *fs, const char *label, const char *uuid,
           GError **error)
{
  g_autoptr (GPtrArray) a = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *what = g_strdup_printf ("%s on %s", fs, dev);
  g_autofree char *fat_id = NULL;
  const char *program = mkfs_program (fs);
  guint k = 0;

  while (k < G_N_ELEMENTS (mkfs_args) && strcmp (mkfs_args[k].fs, fs) != 0)
    k++;
  if (program == NULL || k == G_N_ELEMENTS (mkfs_args))
    return fail (error, ASR_IMAGER_ERROR_INVALID_INPUT, "%s: not a filesystem asr makes", what);
  if (strcmp (fs, "vfat") == 0)
    uuid = fat_id = vfat_id (uuid); /* NULL (a new id) if it is none */
  g_ptr_array_add (a, g_strdup (program));
  g_auto (GStrv) fixed = g_strsplit (mkfs_args[k].options, " ", -1);
  for (char **o = fixed; *o; o++)
    if (**o)
      g_ptr_array_add (a, strcmp (*o, "%s") == 0 ? g_strdup (fs) : g_strdup (*o));
  if (label)
    {
      g_ptr_array_add (a, g_strdup (mkfs_args[k].label));
      g_ptr_array_add (a, g_strdup (label));
    }
  if (uuid && g_str_has_suffix (mkfs_args[k].uuid, "="))
    g_ptr_array_add (a, g_strconcat (mkfs_args[k].uuid, uuid, NULL));
  else if (uuid)
    {
      g_ptr_array_add (a, g_strdup (mkfs_args[k].uuid));
      g_ptr_array_add (a, g_strdup (uuid));
    }
  g_ptr_array_add (a, g_strdup (dev));
  g_ptr_array_add (a, NULL);
  return run (error, NULL, what, (const char *const *) a->pdata);
}

static gboolean host_mount_opts (Host *h, const char *dev, const char *opts, GError **error);
static gboolean host_umount (RestoreBackend *b, GError **error);

static gboolean
host_grow_fs (RestoreBackend *b, const char *dev, const char *fs, GError **error)
{
  Host *h = (Host *) b;
  g_autofree char *what = g_strdup_printf ("growing %s on %s", fs, dev);

  if (strcmp (fs, "xfs") == 0)
    {
      /* xfs grows only mounted; nouuid: the host may have the original
       * mounted, with the same UUID */
      if (!host_mount_opts (h, dev, "nouuid", error))
        return FALSE;
      if (!RUN (error, what, "xfs_growfs", "-d", h->mnt))
        {
          host_umount (b, NULL);
          return FALSE;
        }
      return host_umount (b, error);
    }
  if (strcmp (fs, "btrfs") == 0)
    {
      /* btrfs grows only mounted, to the end of its device */
      if (!host_mount_opts (h, dev, NULL, error))
        return FALSE;
      if (!RUN (error, what, "btrfs", "filesystem", "resize", "max", h->mnt))
        {
          host_umount (b, NULL);
          return FALSE;
        }
      return host_umount (b, error);
    }
  /* resize2fs insists on a freshly checked filesystem; e2fsck's exit 1 is
   * "errors corrected", which resize2fs then accepts */
  {
    AsrRunOptions o = { .c_locale = TRUE };
    g_auto (AsrRunResult) r = { 0 };
    g_autofree char *e2fsck = find_program ("e2fsck");
    const char *argv[] = { e2fsck ? e2fsck : "e2fsck", "-f", "-y", dev, NULL };
    g_autoptr (GError) local = NULL;
    if (!asr_run_full (argv, &o, &r, &local) && r.exit_status != 1)
      return fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", what, local->message);
  }
  return RUN (error, what, "resize2fs", dev);
}

/* ---- file work ---------------------------------------------------------- */

static gboolean
host_mount_opts (Host *h, const char *dev, const char *opts, GError **error)
{
  g_autofree char *what = g_strdup_printf ("mounting %s", dev);
  g_autofree char *o
    = g_strdup_printf ("nosuid,nodev,noexec%s%s", opts ? "," : "", opts ? opts : "");

  if (h->mnt == NULL)
    {
      h->mnt = g_dir_make_tmp ("asr-restore-mnt-XXXXXX", NULL);
      if (h->mnt == NULL)
        return fail (error, ASR_IMAGER_ERROR_FAILED, "cannot create a mount point: %s",
                     g_strerror (errno));
      asr_cleanup_add_dir (h->mnt);
    }
  if (!RUN (error, what, "mount", "-o", o, dev, h->mnt))
    return FALSE;
  h->mounted = TRUE;
  return TRUE;
}

/* ::/PATH as mtools names it, PATH absolute. */
static char *
mpath (const char *path)
{
  return g_strdup_printf ("::%s", path);
}

/* File work is the ESP's, with mtools: mdir -/ lists the whole volume
 * once (a FAT ESP holds a few dozen files; its output is capped). */
static gboolean
host_mount (RestoreBackend *b, const char *dev, GError **error)
{
  Host *h = (Host *) b;
  AsrRunOptions o = { .c_locale = TRUE, .capture_stdout = TRUE, .stdout_max_bytes = 4u << 20 };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) local = NULL;
  g_autofree char *mdir = find_program ("mdir");
  const char *argv[] = { mdir ? mdir : "mdir", "-/", "-b", "-i", dev, "::/", NULL };

  /* mdir -/ on a FAT volume with no file at all exits 1 with 'File "::/"
   * not found': an empty ESP, not an error (a volume mtools cannot read
   * says "Cannot initialize" instead) */
  if (!asr_run_full (argv, &o, &r, &local)
      && !(r.exit_status == 1 && r.stderr_tail && strstr (r.stderr_tail, "File \"::/\" not found")))
    return fail (error, ASR_IMAGER_ERROR_FAILED, "reading the ESP %s (FAT, with mtools): %s", dev,
                 local->message);
  g_clear_pointer (&h->esp_paths, g_ptr_array_unref);
  h->esp_paths = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = g_strsplit (r.stdout_text ? r.stdout_text : "", "\n", -1);
  for (char **l = lines; *l; l++)
    if (g_str_has_prefix (*l, "::/"))
      g_ptr_array_add (h->esp_paths, g_strdup (*l));
  g_free (h->esp);
  h->esp = g_strdup (dev);
  return TRUE;
}

static gboolean
host_umount (RestoreBackend *b, GError **error)
{
  Host *h = (Host *) b;
  g_clear_pointer (&h->esp, g_free);
  g_clear_pointer (&h->esp_paths, g_ptr_array_unref);
  if (!h->mounted)
    return TRUE;
  if (!RUN (error, "unmounting a restored volume", "umount", h->mnt))
    return FALSE;
  h->mounted = FALSE;
  return TRUE;
}

/* FAT names compare without case; a directory is listed with a '/'. */
static gboolean
esp_has (Host *h, const char *path, gboolean dir)
{
  g_autofree char *want = g_strdup_printf ("::%s%s", path, dir ? "/" : "");
  for (guint i = 0; h->esp_paths && i < h->esp_paths->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (h->esp_paths, i), want) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
host_is_file (RestoreBackend *b, const char *path)
{
  return esp_has ((Host *) b, path, FALSE);
}

static char **
host_ls (RestoreBackend *b, const char *dir)
{
  Host *h = (Host *) b;
  g_autofree char *prefix = g_strdup_printf ("::%s/", dir);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  gsize n = strlen (prefix);

  if (!esp_has (h, dir, TRUE))
    return NULL;
  for (guint i = 0; i < h->esp_paths->len; i++)
    {
      const char *p = g_ptr_array_index (h->esp_paths, i);
      if (strlen (p) <= n || g_ascii_strncasecmp (p, prefix, n) != 0)
        continue;
      const char *rest = p + n, *slash = strchr (rest, '/');
      if (slash && slash[1] != '\0')
        continue; /* deeper down */
      g_ptr_array_add (names, g_strndup (rest, slash ? (gsize) (slash - rest) : strlen (rest)));
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static gboolean
host_mkdir_p (RestoreBackend *b, const char *path, GError **error)
{
  Host *h = (Host *) b;
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr (GString) at = g_string_new (NULL);

  for (char **p = parts; *p; p++)
    {
      if (**p == '\0')
        continue;
      g_string_append_printf (at, "/%s", *p);
      if (esp_has (h, at->str, TRUE))
        continue;
      g_autofree char *m = mpath (at->str);
      g_autofree char *what = g_strdup_printf ("creating %s on the ESP %s", at->str, h->esp);
      if (!RUN (error, what, "mmd", "-i", h->esp, m))
        return FALSE;
      g_ptr_array_add (h->esp_paths, g_strdup_printf ("%s/", m));
    }
  return TRUE;
}

static gboolean
host_cp (RestoreBackend *b, const char *src, const char *dst, GError **error)
{
  Host *h = (Host *) b;
  g_autofree char *s = mpath (src);
  g_autofree char *d = mpath (dst);
  g_autofree char *what = g_strdup_printf ("copying %s to %s on the ESP %s", src, dst, h->esp);

  /* -D o: an existing file of that name is overwritten */
  if (!RUN (error, what, "mcopy", "-D", "o", "-i", h->esp, s, d))
    return FALSE;
  g_ptr_array_add (h->esp_paths, g_strdup (d));
  return TRUE;
}

/* ---- the end ------------------------------------------------------------ */

static gboolean
host_finish (RestoreBackend *b, gboolean ok, GError **error)
{
  Host *h = (Host *) b;
  g_autoptr (GError) local = NULL;

  if (!host_umount (b, &local))
    ok = FALSE;
  for (guint i = h->active->len; i-- > 0;)
    {
      const char *vg = g_ptr_array_index (h->active, i);
      g_autofree char *what = g_strdup_printf ("deactivating the volume group %s", vg);
      if (!LVM (h, local ? NULL : &local, what, "vgchange", "--activate", "n", vg))
        ok = FALSE;
    }
  g_ptr_array_set_size (h->active, 0);
  for (guint i = 0; i < h->loops->len; i++)
    host_loop_clear (&g_array_index (h->loops, HostLoop, i));
  g_array_set_size (h->loops, 0);
  if (h->mnt && !h->mounted)
    {
      g_rmdir (h->mnt);
      asr_cleanup_remove_dir (h->mnt);
      g_clear_pointer (&h->mnt, g_free);
    }
  if (local && error)
    g_propagate_error (error, g_steal_pointer (&local));
  return ok;
}

static void
host_free (RestoreBackend *b)
{
  Host *h = (Host *) b;
  host_finish (b, FALSE, NULL);
  g_array_unref (h->loops);
  g_ptr_array_unref (h->active);
  g_free (h->lvm_devices);
  g_free (h->mnt);
  g_free (h);
}

static const RestoreBackendOps host_ops = {
  .name = "host tools",
  .check = host_check,
  .start = host_start,
  .partition = host_partition,
  .activate_vgs = host_activate_vgs,
  .logical_volume = host_logical_volume,
  .make = host_make,
  .grow_fs = host_grow_fs,
  .pvresize = host_pvresize,
  .lvextend_free = host_lvextend_free,
  .mount = host_mount,
  .umount = host_umount,
  .is_file = host_is_file,
  .ls = host_ls,
  .mkdir_p = host_mkdir_p,
  .cp = host_cp,
  .finish = host_finish,
  .free = host_free,
};

RestoreBackend *
restore_backend_host_new (void)
{
  Host *h = g_new0 (Host, 1);
  h->parent.ops = &host_ops;
  h->loops = g_array_new (FALSE, TRUE, sizeof (HostLoop));
  h->active = g_ptr_array_new_with_free_func (g_free);
  return &h->parent;
}
