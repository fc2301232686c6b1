/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The volume work of a restore (swap and uncaptured volumes recreated
 * empty with their UUID and label, the UEFI fallback loader, --grow's
 * filesystem and LVM growth) is the same whatever does it; what differs is
 * how a volume is reached and which program acts on it.  Two backends:
 *
 *   - "appliance": one libguestfs launch over all targets.  Image files
 *     have no device nodes, and the host may lack the tools or the kernel
 *     (device-mapper) the work needs; the appliance has both.
 *   - "host tools": the host's own mkswap, mkfs.*, e2fsck/resize2fs,
 *     xfs_growfs and lvm, on a loop device over each partition's byte
 *     range of the target (asr holds the whole disk O_EXCL, which keeps a
 *     partition node from being opened exclusively by mkfs; a loop device
 *     is a disk of its own).  Block devices, in a rescue system or on a
 *     normal host: no appliance, nested virtualisation or 20 s start.
 *
 * restore_backend_for() is the one place the choice is made;
 * restore_volumes_run() (restore-volumes.c) drives either.  Private.
 */
#pragma once

#include "restore-private.h"

typedef struct _RestoreBackend RestoreBackend;

/* What the volume work of a restore needs, computed from the prepared
 * disks before the first write. */
typedef struct {
  gboolean any;           /* anything at all (FALSE: no backend starts) */
  gboolean lvm;           /* LVs recreated or grown (the appliance activates) */
  gboolean lvm_grow;      /* --grow through an LVM PV: pvresize, lvextend */
  gboolean grow;          /* --grow of a filesystem or a PV */
  gboolean esp;           /* the UEFI fallback loader */
  GPtrArray *filesystems; /* const char*: each fs recreated ("swap", "ext4", ...), once */
  GPtrArray *grown;       /* const char*: each fs grown, once */
  GPtrArray *vgs;         /* const MachineVolumeGroup*: activated */
} RestoreWork;

void restore_work_clear (RestoreWork *w);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RestoreWork, restore_work_clear)
void restore_work_compute (GPtrArray *disks, gboolean grow, gboolean uefi, RestoreWork *out);

/* Each operation returns FALSE with @error set on failure.  Device paths
 * are the backend's own ("/dev/sda3" in the appliance, "/dev/loop7" on the
 * host); file paths are absolute within the volume mounted by mount(). */
typedef struct {
  const char *name; /* "appliance", "host tools" */
  /* Before the first write: everything @work needs is at hand (programs,
   * device-mapper, no name clash with the host's volume groups), so a
   * restore the backend cannot finish is refused with nothing written. */
  gboolean (*check) (RestoreBackend *b, GPtrArray *disks, const RestoreWork *work, GError **error);
  /* After the volumes were written and verified, and the final table is
   * on disk. */
  gboolean (*start) (RestoreBackend *b, GPtrArray *disks, const RestoreWork *work, GError **error);
  /* Partition @p of disk @i (@rd), whose bytes are [offset, offset + bytes)
   * of its target. */
  char *(*partition) (RestoreBackend *b, guint i, const RestoreDisk *rd, const MachinePartition *p,
                      guint64 offset, guint64 bytes, GError **error);
  /* @work->vgs active where the backend needs them so: /dev/VG/LV exists
   * for each of their LVs. */
  gboolean (*activate_vgs) (RestoreBackend *b, const RestoreWork *work, GError **error);
  /* The device of logical volume @l of disk @i (@rd), recreated empty. */
  char *(*logical_volume) (RestoreBackend *b, guint i, const RestoreDisk *rd, const RestoreLv *l,
                           GError **error);
  /* swap, or a filesystem, with @label and @uuid (either may be NULL:
   * none, a new one). */
  gboolean (*make) (RestoreBackend *b, const char *dev, const char *fs, const char *label,
                    const char *uuid, GError **error);
  /* @fs (ext2/3/4 or xfs) on @dev grown to fill it. */
  gboolean (*grow_fs) (RestoreBackend *b, const char *dev, const char *fs, GError **error);
  gboolean (*pvresize) (RestoreBackend *b, const char *dev, GError **error);
  gboolean (*lvextend_free) (RestoreBackend *b, const char *vg, const char *lv, GError **error);
  /* File work on one volume at a time. */
  gboolean (*mount) (RestoreBackend *b, const char *dev, GError **error);
  gboolean (*umount) (RestoreBackend *b, GError **error);
  gboolean (*is_file) (RestoreBackend *b, const char *path);
  char **(*ls) (RestoreBackend *b, const char *dir); /* NULL: none, or not a directory */
  gboolean (*mkdir_p) (RestoreBackend *b, const char *path, GError **error);
  gboolean (*cp) (RestoreBackend *b, const char *src, const char *dst, GError **error);
  /* Everything started undone (volume groups deactivated, loop devices
   * detached, the appliance shut down), also after a failure (@ok FALSE),
   * when it must not hide the first error. */
  gboolean (*finish) (RestoreBackend *b, gboolean ok, GError **error);
  void (*free) (RestoreBackend *b);
} RestoreBackendOps;

struct _RestoreBackend {
  const RestoreBackendOps *ops;
  char *accel; /* the appliance: the accelerator it ran with, or why TCG */
};

void restore_backend_free (RestoreBackend *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RestoreBackend, restore_backend_free)

RestoreBackend *restore_backend_appliance_new (void);
RestoreBackend *restore_backend_host_new (void);

/* The choice: host tools when every target is a block device, the
 * appliance otherwise (an image file has no device node; the appliance
 * serves a mixed set whole).  Also the appliance when @work grows xfs,
 * which grows only mounted, and @mount_to_grow does not let this host's
 * kernel mount a filesystem from the backup set.  @why (may be NULL): the
 * reason the appliance serves block devices, or NULL. */
RestoreBackend *restore_backend_for (GPtrArray *disks, const RestoreWork *work,
                                     gboolean mount_to_grow, const char **why);

/* Where partition @p of @rd lies on its target once the final table is
 * written (its layout's place: --grow's or --shrink's size for the one
 * resized). */
void restore_partition_range (const RestoreDisk *rd, const MachinePartition *p, guint64 *offset,
                              guint64 *bytes);

/* The volume work of @disks (RestoreDisk*) with @b: check() is the
 * caller's, before the first write; this starts, works and finishes.
 * @message: notices for the user. */
gboolean restore_volumes_run (RestoreBackend *b, GPtrArray *disks, const RestoreWork *work,
                              gboolean grow, gboolean uefi, AsrMessageFunc message, void *opaque,
                              GError **error);
