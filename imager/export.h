/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A qcow2 file as a raw file that host tools read and write at any
 * offset (e2fsck, libext2fs, fallocate): a qemu-storage-daemon FUSE
 * export.  No kernel mounts the filesystem inside; the export is the
 * one file.  Shared by capture (used-block maps) and restore (--shrink).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AsrFuseExport AsrFuseExport;

/* Exports @qcow2 (opened writable, so qemu-storage-daemon holds its
 * lock) as the file @raw, created here, once it shows @bytes; the
 * daemon's standard error goes to @log.  ASR_IMAGER_ERROR_FAILED when
 * it does not come up within 30 s. */
AsrFuseExport *asr_fuse_export_start (const char *qcow2, guint64 bytes, const char *raw,
                                      const char *log, GError **error);

/* Ends it: qemu-storage-daemon flushes @qcow2 as it exits.  FALSE (with
 * @error) when it did not exit within 30 s of SIGTERM, so what was
 * written may be incomplete.  NULL is fine. */
gboolean asr_fuse_export_stop (AsrFuseExport *e, GError **error);

G_END_DECLS
