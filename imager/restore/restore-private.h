/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by restore.c (the flow), restore-layout.c (what is written where:
 * pure, unit-tested), restore-target.c (how bytes reach a target) and
 * the volume work (restore-backend.h).  Not part of the public API.
 */
#pragma once

#include <glib.h>

#include "imager.h"
#include "machine.h"
#include "ptable.h"

/* How much of each end of a target is zeroed before anything else: old
 * partition tables (MBR, primary and backup GPT) and the signatures of
 * filesystems, RAID and LVM that blkid looks for all lie in it. */
#define RESTORE_INVALIDATE_BYTES (1024u * 1024u)
/* The boot area is read into memory to be written around the table. */
#define RESTORE_MAX_BOOT_AREA_BYTES (64u * 1024u * 1024u)

typedef struct {
  guint64 offset;
  guint64 bytes;
} RestoreRange;

/* A captured volume (or an LVM label area): its image → a byte range of
 * the target. */
typedef struct {
  const MachinePartition *partition; /* a partition's volume; NULL otherwise */
  char *what;                        /* "partition 2", "logical volume vg0/root", ... */
  guint64 offset;                    /* bytes from the start of the target */
  guint64 bytes;
  char *image_path; /* in the backup set */
  char *format;
  const char *checksum;
  /* --shrink: the image's filesystem is shrunk to @bytes in a private
   * overlay before the first write, which @image_path then names, and
   * @checksum is the overlay's (@shrunk_checksum) */
  gboolean shrink;
  char *shrunk_checksum;
} RestoreVolume;

/* What is written on one target disk: computed fully before the first
 * write, so a dry run prints exactly what a restore does. */
typedef struct {
  const MachineDisk *source;
  const AsrRestoreTarget *target;
  guint32 sector; /* logical sector size, both sides */
  guint64 target_bytes;
  PtableTable *table;   /* as captured */
  PtableWrites *writes; /* ... for the target's size */
  /* Where each partition goes (machine_layout_new): as captured, or
   * --grow's layout; the volumes are written at its starts. */
  MachineLayout *layout;
  /* --grow, when the disk is larger and the named volume can grow */
  const MachinePartition *grow_partition;
  guint64 grow_sectors;       /* its new size */
  PtableWrites *grown_writes; /* the table with it */
  /* The boot area: the image, and the pieces of [0, its size) that are not
   * table bytes (of the final table): written last. */
  char *boot_image_path;
  guint64 boot_bytes;
  GArray *boot_ranges;     /* RestoreRange */
  GPtrArray *volumes;      /* RestoreVolume* */
  GPtrArray *recreate;     /* const MachinePartition*: swap, uncaptured fs */
  GPtrArray *recreate_lvs; /* RestoreLv*: the same, on logical volumes */
  /* --grow of a partition that is an LVM PV: the PV grows, and the LV
   * holding the named volume takes the new extents. */
  const MachineVolumeGroup *grow_vg;
  const MachineLogicalVolume *grow_lv;
  const MachinePartition *esp; /* UEFI backups: where the fallback loader goes */
} RestoreDisk;

/* A logical volume recreated empty: /dev/VG/LV once its group is active,
 * or, with no device-mapper, bytes [at, at + bytes) of @partition (its one
 * segment's extents on the PV there). */
typedef struct {
  const MachineVolumeGroup *vg;
  const MachineLogicalVolume *lv;
  const MachinePartition *partition;
  guint64 at;
  guint64 bytes;
} RestoreLv;

void restore_disk_free (RestoreDisk *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RestoreDisk, restore_disk_free)

/* What invalidation zeroes on a disk of @target_bytes: the head and the
 * tail (empty when the disk is no larger than the head). */
void restore_invalidate_ranges (guint64 target_bytes, RestoreRange out[2]);

/* The descriptor's layout as a PtableTable. */
PtableTable *restore_table_from_disk (const MachineDisk *d, GError **error);

/* [0, boot_bytes) without the bytes of @writes: what the boot area may
 * write around the partition table.  Ranges in ascending order. */
GArray *restore_boot_ranges (guint64 boot_bytes, const PtableWrites *writes);

/* Everything written on one disk.  @backup_dir may be NULL (paths are then
 * the bare image names). */
RestoreDisk *restore_disk_prepare (const MachineDescriptor *backup, const char *backup_dir,
                                   const AsrRestoreTarget *target, const MachineLayoutOptions *lo,
                                   GError **error);

/* "UUID u, label l" of a volume restore recreates empty, for messages:
 * "no label" when it has none (an empty label, or none recorded), "a new
 * UUID" when none is recorded. */
char *restore_volume_identity (const MachineVolume *v);

/* The writes of a prepared disk, one line each, in the order restore makes
 * them, appended to @lines (char*). */
void restore_disk_describe (const RestoreDisk *d, gboolean verify, GPtrArray *lines);

/* ---- targets: how bytes reach a disk ------------------------------------ */

typedef struct _RestoreTargetIO RestoreTargetIO;

/* Opens and locks a target for the whole restore: block devices O_EXCL,
 * every target flock(LOCK_EX) (systemd's convention for whole disks), and
 * the identity the plan saw re-checked (size; serial and WWN of a block
 * device; nothing of it mounted or used as swap). */
RestoreTargetIO *restore_target_open (const AsrRestoreTarget *t, GError **error);
void restore_target_close (RestoreTargetIO *io);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RestoreTargetIO, restore_target_close)

/* Small writes (tables, marker, boot area) and zeroing.  Raw files and
 * block devices: pwrite on the locked fd.  qcow2: one qemu-io batch per
 * call. */
typedef struct {
  guint64 offset;
  GBytes *data;       /* NULL: write zeroes */
  guint64 zero_bytes; /* when data is NULL */
} RestoreWrite;

gboolean restore_target_write (RestoreTargetIO *io, const RestoreWrite *writes, guint n,
                               GError **error);
/* fsync (qcow2: what qemu-img/qemu-io closed is flushed; this syncs the file). */
gboolean restore_target_flush (RestoreTargetIO *io, GError **error);
/* The --target-image-opts of the byte range [offset, offset + bytes). */
char *restore_target_range_opts (const RestoreTargetIO *io, guint64 offset, guint64 bytes);
/* After the last write, the kernel re-reads a block device's partition
 * table, so its partitions appear as restored.  NULL when done or nothing
 * to do (an image file; a device without partitions, as a loop device
 * made without partition scanning); else a warning for the user. */
char *restore_target_reread (RestoreTargetIO *io);
/* asr-sha256-64k of a byte range, read back (block devices with O_DIRECT). */
gboolean restore_target_checksum (RestoreTargetIO *io, guint64 offset, guint64 bytes,
                                  AsrProgressFunc progress, const char *what, void *opaque,
                                  char **out, GError **error);

/* --shrink (restore-shrink.c): the image of @v (@image_bytes, its
 * source partition's size) shrunk to @v->bytes in a private overlay,
 * refused (ASR_IMAGER_ERROR_CHECK_FAILED) when its ext2/3/4 needs more
 * (its minimum and the margin); @v then names the overlay and its
 * checksum, whose directory *@dir_out the caller removes when done. */
gboolean restore_shrink_volume (RestoreVolume *v, const char *fs, guint64 image_bytes,
                                guint32 sector, char **dir_out, AsrMessageFunc message,
                                void *opaque, GError **error);

/* Sets @error (ASR_IMAGER_ERROR, @code) and returns FALSE. */
gboolean restore_fail (GError **error, AsrImagerError code, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

/* ASR_RESTORE_FAIL_AT=<step> (tests only): fail at a named step, so an
 * interrupted restore can be tested deterministically.  Steps: invalidate,
 * table, volume, verify, appliance, bootarea. */
gboolean restore_fail_point (const char *step, GError **error);
