/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between capture.c (the flow) and capture-discover.c (what to capture). */
#pragma once

#include <glib.h>
#include <guestfs.h>

#include "imager.h"
#include "machine.h"
#include "probe.h"
#include "export.h"
#include "usedmap.h"

typedef struct {
  guint index;
  char *path;   /* canonical source path */
  char *format; /* probed or given */
  guint64 bytes;
  guint32 logical_sector;
  guint32 physical_sector;
  AsrImageInfo *info;
  AsrBlockdev *blockdev; /* block devices only */
  char *overlay;         /* private qcow2 over the source */
  char *gdev;            /* the appliance's name for it, /dev/sda */
  MachineDisk *disk;     /* in Capture.m */
  char *raw;             /* while exported: the overlay as a raw file */
  AsrFuseExport *export;
} CaptureDisk;

/* A partition as the appliance names it (capture_discover's map). */
typedef struct {
  CaptureDisk *disk;
  MachinePartition *partition;
  char *gdev;
} PartRef;

void capture_part_ref_free (PartRef *r);

/* A byte range of a disk to image: a partition's volume, a logical
 * volume, an LVM label and metadata area. */
typedef struct {
  CaptureDisk *disk;
  MachinePartition *partition; /* a partition's volume; NULL otherwise */
  MachineVolume *volume;       /* the volume imaged, NULL for raw areas */
  MachineImage **image;        /* where the image's record goes */
  char *what;                  /* for messages: "disk0 partition 2", "vg0/root" */
  char *file;                  /* the image's name in the backup set */
  guint64 offset, bytes;       /* the range in the disk */
  char *gdev;                  /* /dev/sda2, /dev/vg0/root; NULL for raw areas */
  gboolean has_fs;             /* mountable: trimmed before imaging */
  guint64 used_bytes;          /* used data (the whole range when raw) */
  gboolean map_used;           /* its used blocks are read from its metadata */
  AsrUsedMap *map;             /* read already (the userspace path), or NULL */
} CaptureVolume;

/* A logical volume as the appliance sees it (Capture.lvs). */
typedef struct {
  MachineVolumeGroup *vg;
  MachineLogicalVolume *lv;
  char *gdev; /* /dev/VG/LV */
} CaptureLv;

typedef struct {
  const AsrCaptureOptions *opts;
  MachineDescriptor *m;
  GPtrArray *disks;        /* CaptureDisk* */
  GPtrArray *volumes;      /* CaptureVolume* */
  char *backup;            /* absolute */
  char *tmpdir;            /* the backup set being written */
  char *workdir;           /* tmpdir/.work: overlays */
  GHashTable *lvs;         /* appliance device → CaptureLv* */
  GHashTable *vg_problems; /* VG name → why restore cannot recreate it */
  GPtrArray *luks;         /* LUKS containers found (capture-luks.c) */
  GPtrArray *mds;          /* CaptureMd*: md arrays found (capture-md.c) */
  gboolean crypttab_read;
  char *fstab; /* the OS's /etc/fstab, read with crypttab */
  size_t fstab_len;
  GPtrArray *encrypted_mountpoints; /* char*: fstab mountpoints inside a container */
  guestfs_h *g;
  char *appliance_why; /* why the userspace path could not inspect */
  char *accel;
  guint64 progress_done, progress_total;
  guint64 images, image_bytes, used_bytes;
} Capture;

void capture_message (Capture *c, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* The OS's version as descriptors record it: "12", "22.4". */
char *capture_os_version (int major, int minor);

/* Each fstab mountpoint in @mps (pairs: mountpoint, device in @parts'
 * or c->lvs' names, NULL-terminated) onto its volume; --include
 * checked against them. */
gboolean capture_assign_mountpoints (Capture *c, GHashTable *parts, const char *root, char **mps,
                                     GError **error);

/* Once mountpoints are known, by either path: the critical volumes, the
 * volumes to image (c->volumes, in disk order), the disks, the boot
 * facts. */
gboolean capture_discover_finish (Capture *c, GHashTable *parts, GError **error);

/* Without the appliance (capture-inspect.c): every disk's overlay is
 * exported (CaptureDisk.raw) and, where every filesystem on the disks
 * is one asr reads in userspace, the OS is inspected there and the
 * volumes chosen, *handled set.  Otherwise nothing is changed, the
 * exports are stopped and the appliance takes over. */
gboolean capture_discover_userspace (Capture *c, gboolean *handled, GError **error);

/* @bytes at @offset of the exported disk @d into a new buffer, or into
 * @buf. */
gboolean capture_read_disk (CaptureDisk *d, guint64 offset, gsize bytes, char **out,
                            GError **error);
gboolean capture_read_disk_into (CaptureDisk *d, guint64 offset, gsize bytes, void *buf,
                                 GError **error);

/* The first @bytes of a disk or partition: through the appliance's device
 * @gdev (*got may then be short, at the device's end), or at @offset of
 * the exported disk @d when there is no appliance.  An appliance error is
 * "reading @what: ...". */
gboolean capture_read_start (Capture *c, CaptureDisk *d, const char *gdev, guint64 offset,
                             gsize bytes, const char *what, char **out, gsize *got, GError **error);

/* What the appliance's blkid says is on @gdev (its filesystem, UUID,
 * label), NULL when nothing. */
MachineVolume *capture_appliance_volume (Capture *c, const char *gdev);

/* Starts (and stops) every disk's export. */
gboolean capture_export_disks (Capture *c, GError **error);
gboolean capture_unexport_disks (Capture *c, GError **error);

/* A critical mountpoint (machine_mountpoint_is_critical) or an --include. */
gboolean capture_is_critical_mountpoint (Capture *c, const char *mp);

/* Inspection and filesystem facts: fills c->m (os, hardware, volumes,
 * critical flags, boot disk, boot areas) and c->volumes; refuses what
 * cannot be restored. */
gboolean capture_discover (Capture *c, GError **error);

/* LVM (capture-lvm.c).  Discover: every volume group of the given disks
 * from its own metadata (vgmeta), into c->m->volume_groups, its logical
 * volumes' filesystems into c->lvs, and the text into the backup set; PV
 * partitions lose the blkid volume map_partitions gave them.  Select, once
 * mountpoints and the partitions' critical flags are known: the volume
 * groups to restore, their label areas and critical LVs as volumes to
 * image, their disks critical, and what cannot be restored refused. */
gboolean capture_lvm_discover (Capture *c, GHashTable *parts, GError **error);
/* "abc-def" → "abcdef": PV UUIDs as the appliance's pvs gives them. */
char *capture_lvm_undash (const char *uuid);
/* Why asr cannot restore @lv (not linear, or in several segments), NULL
 * when it can. */
char *capture_lvm_lv_problem (const AsrLvmVg *vg, const AsrLvmLv *lv);
/* What is on a visible LV (/dev/VG/LV), by the path that inspects: a new
 * volume, or NULL when it holds no filesystem. */
typedef MachineVolume *(*CaptureLvVolumeFn) (Capture *c, const char *gdev, gpointer data);
/* One volume group from its metadata @text (named @name, or NULL when
 * the text says), its PVs found by undashed UUID in @pv_names (→ the
 * device names of @parts), into the descriptor and c->lvs. */
gboolean capture_lvm_discover_vg (Capture *c, GHashTable *parts, GHashTable *pv_names,
                                  const char *text, gsize len, const char *name,
                                  CaptureLvVolumeFn volume, gpointer data, GError **error);
gboolean capture_lvm_select (Capture *c, GError **error);

/* LUKS (capture-luks.c).  Discover: every LUKS container on a partition,
 * into c->m->luks (the partition loses its blkid volume).  Mountpoint:
 * an fstab device /dev/mapper/NAME that crypttab maps to a container sets
 * *mapped and the container's volume.  Select: every container on a
 * critical disk (and the disk of one whose volume is critical) is imaged
 * whole, encrypted. */
gboolean capture_luks_discover (Capture *c, GHashTable *parts, GError **error);
gboolean capture_luks_mountpoint (Capture *c, const char *root, const char *mountpoint,
                                  const char *dev, gboolean *mapped, GError **error);
/* fstab entries by a UUID no visible volume has, when the OS has LUKS
 * containers: inside one of them (c->encrypted_mountpoints), and the
 * container's volume when crypttab leaves just one candidate. */
gboolean capture_luks_fstab (Capture *c, const char *root, GError **error);
gboolean capture_luks_select (Capture *c, GError **error);
/* The OS's /etc/crypttab (@text NULL when it has none): each container it
 * names takes that name as its id.  Called once, by the path that read
 * the file; c->fstab is set beside it. */
void capture_luks_crypttab (Capture *c, const char *text, gsize len);

/* md RAID (capture-md.c).  Discover: every array from its members'
 * superblocks, into c->m->md_arrays (member partitions lose their blkid
 * volume), with the filesystem on the appliance's assembled array.
 * Mountpoint: sets the array's volume's when @dev is its device.  Select:
 * every array with a member on a critical disk or a critical volume is
 * restored: its disks critical, each member's superblock area and the
 * volume imaged, or refused with why. */
typedef struct _CaptureMd CaptureMd;
void capture_md_free (CaptureMd *m);
gboolean capture_md_discover (Capture *c, GHashTable *parts, GError **error);
/* Without the appliance: superblocks read from the exported disks, and
 * each array's volume and device name (*gdev, set) from @volume. */
typedef MachineVolume *(*CaptureMdVolumeFn) (Capture *c, const char *uuid, char **gdev,
                                             gpointer data);
gboolean capture_md_discover_with (Capture *c, GHashTable *parts, CaptureMdVolumeFn volume,
                                   gpointer data, GError **error);
/* A member's superblock from its first CAPTURE_MD_SUPER_BYTES: metadata
 * 1.2 (4 KiB in) or 1.1 (at the start); FALSE for anything else. */
#define CAPTURE_MD_SUPER_BYTES 8192u
gboolean capture_md_parse_super (const char *buf, gsize len, AsrMdSuper *sb);
gboolean capture_md_mountpoint (Capture *c, const char *mountpoint, const char *dev);
gboolean capture_md_is_root (Capture *c, const char *dev);
/* The first array's reason it cannot be restored, NULL if none: a hint
 * when no OS is found (a degraded array is not assembled). */
const char *capture_md_problem (Capture *c);
gboolean capture_md_select (Capture *c, GError **error);

/* The CaptureVolume for a byte range (capture.c); @gdev NULL for raw. */
CaptureVolume *capture_volume_new (CaptureDisk *disk, const char *what, const char *file,
                                   guint64 offset, guint64 bytes, const char *gdev);

/* Each volume to image whose used blocks asr reads from its metadata
 * (usedmap.h) is marked map_used; every other one is mounted in the
 * overlay, measured and trimmed in the appliance. */
gboolean capture_trim (Capture *c, GError **error);

/* After the inspection (capture-usedmap.c): each map_used volume's free
 * extents, read from its metadata in a sandboxed child (or read already:
 * CaptureVolume.map), are zeroed in its disk's overlay through a FUSE
 * export (the disk exported if it is not yet; capture_unexport_disks
 * ends them), so they read as zeroes and qemu-img convert skips them,
 * as after a trim.  A corrupt map is ASR_IMAGER_ERROR_INVALID_INPUT
 * naming the volume. */
gboolean capture_map_used (Capture *c, GError **error);

/* A used-map reader's failure @local as capture's error, "@what (@fs):
 * ...": ASR_IMAGER_ERROR_FAILED when the volume could not be read,
 * ASR_IMAGER_ERROR_INVALID_INPUT (its metadata is not to be trusted)
 * otherwise. */
void capture_map_error (GError **error, const char *what, const char *fs, const GError *local);
