/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

G_BEGIN_DECLS

/*
 * Where the bytes of a file or a block device live, by identity (device
 * and inode, or a block device's number), never by path: a path changes
 * with a rename, and a loop device's backing_file in sysfs reads
 * "(deleted)" after an unlink.  Used to refuse a restore TARGET that would
 * overwrite the backup set it reads (docs/asr-restore.1).
 */
typedef struct {
  gboolean block; /* TRUE: a block device, @dev its number (st_rdev) */
  guint64 dev;    /* a file: its st_dev */
  guint64 ino;    /* a file: its st_ino; 0 for a block device */
} AsrStorageId;

/* The identities whose bytes are @st's bytes: @st itself and, for a loop
 * device, its backing file (from LOOP_GET_STATUS64: lo_device and
 * lo_inode) and, when that is itself a block device (lo_rdevice), that
 * device and what it is in turn.  Writing @st writes all of them.
 * Returns a GArray of AsrStorageId. */
GArray *asr_storage_aliases (const GStatBuf *st);

/* Everything @st lies within, so that writing any of them can destroy it:
 * @st itself; for a file, the block device of its file system; for a block
 * device, the disk a partition is on, the devices a stacked device (md,
 * device-mapper) is made of (sysfs "slaves"), and a loop device's backing
 * file and, through it, that file's own file system; recursively.  An nbd
 * device is not followed (its server is another process).
 * Returns a GArray of AsrStorageId. */
GArray *asr_storage_holders (const GStatBuf *st);

/* The other loop devices that reach @st's bytes, by their sysfs names
 * ("loop5"): those whose backing file is @st (or what @st is a loop device
 * over), whose backing block device is @st or lies within it (one of its
 * partitions), and loop devices over those in turn; whatever their offset
 * and size.  @st itself is not listed.  A partition mounted through such
 * a loop device shows in no holders/ directory of @st: this is how a
 * restore finds it (docs/asr-restore.1).  The real /sys only.
 * Returns a GPtrArray of strings. */
GPtrArray *asr_storage_loops_over (const GStatBuf *st);

/* Whether @id is in @ids (AsrStorageId). */
gboolean asr_storage_contains (const GArray *ids, const AsrStorageId *id);

G_END_DECLS
