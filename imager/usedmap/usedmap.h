/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Used-block maps read from a filesystem's own metadata, in userspace
 * (docs/asr-capture.1, USED DATA): the free extents of a volume, so a
 * capture copies used blocks only.  The readers parse untrusted
 * metadata: asr_used_map_read runs them in a sandboxed child
 * (util/sandbox.h) and checks what it returns.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ASR_USED_MAP_ERROR (asr_used_map_error_quark ())
GQuark asr_used_map_error_quark (void);

typedef enum {
  ASR_USED_MAP_ERROR_NOT_FOUND,      /* not a filesystem this reader knows */
  ASR_USED_MAP_ERROR_UNSUPPORTED,    /* one it cannot map (features, too fragmented) */
  ASR_USED_MAP_ERROR_NEEDS_RECOVERY, /* its journal or log is not replayed: stale maps */
  ASR_USED_MAP_ERROR_CORRUPT,        /* its metadata contradicts itself */
  ASR_USED_MAP_ERROR_IO,             /* the volume could not be read */
} AsrUsedMapError;

/* A free byte range, from the volume's start. */
typedef struct {
  guint64 offset;
  guint64 bytes;
} AsrExtent;

/* Called for each free extent, in increasing order; FALSE stops. */
typedef gboolean (*AsrExtentFunc) (const AsrExtent *free, gpointer opaque);

/* An ext2/3/4 filesystem at @offset of @path, @bytes long, through
 * libext2fs: every group's bitmap is checked against its descriptor's
 * free count before the first extent.  In-process: for the sandbox and
 * the fuzz harness. */
gboolean asr_ext_free_extents (const char *path, guint64 offset, guint64 bytes, AsrExtentFunc emit,
                               gpointer opaque, GError **error);

/* A FAT12/16/32 filesystem likewise, from its allocation table: every
 * entry a cluster that exists or a marker, every copy of the table the
 * same, before the first extent.  In-process. */
gboolean asr_fat_free_extents (const char *path, guint64 offset, guint64 bytes, AsrExtentFunc emit,
                               gpointer opaque, GError **error);
/* An xfs filesystem likewise, from its free-space b-trees and free
 * lists: every group's records in order and summing to its header's free
 * count, before the first extent; a log that is not clean is
 * NEEDS_RECOVERY.  In-process. */
gboolean asr_xfs_free_extents (const char *path, guint64 offset, guint64 bytes, AsrExtentFunc emit,
                               gpointer opaque, GError **error);
/* A FAT boot sector's signature (mkfs.fat's and the specification's). */
gboolean asr_fat_sniff (const guint8 *boot_sector, gsize len);

/* A file read from a filesystem: absent (not found, or not a regular
 * file) when !found; its first bytes, and whether there were more. */
typedef struct {
  gboolean found;
  gboolean truncated;
  GBytes *data;
} AsrVolumeFile;

void asr_volume_file_clear (AsrVolumeFile *f);

/* Each of @names (absolute paths, NULL-terminated; symlinks followed
 * inside the filesystem) from the ext2/3/4 filesystem at @offset of
 * @path, at most @max bytes each, into @files (as many, zeroed).
 * In-process, as asr_ext_free_extents. */
gboolean asr_ext_read_files (const char *path, guint64 offset, const char *const *names, gsize max,
                             AsrVolumeFile *files, GError **error);

/* The same from an xfs filesystem @bytes long (its log clean): a path
 * through a data fork in b-tree format is UNSUPPORTED.  In-process. */
gboolean asr_xfs_read_files (const char *path, guint64 offset, guint64 bytes,
                             const char *const *names, gsize max, AsrVolumeFile *files,
                             GError **error);

/* Either, whichever the volume at @offset of @path, @bytes long, holds
 * (NOT_FOUND for another), in a sandboxed child, its answer checked:
 * @files as many as @names, zeroed; each cleared with
 * asr_volume_file_clear. */
gboolean asr_used_map_read_files (const char *path, guint64 offset, guint64 bytes,
                                  const char *const *names, gsize max, AsrVolumeFile *files,
                                  GError **error);

/* The filesystem types asr_used_map_read reads. */
gboolean asr_used_map_knows (const char *fs);

typedef struct {
  char *fs;           /* "ext2/3/4", "vfat", "xfs" */
  GArray *free;       /* AsrExtent, sorted, disjoint, inside the volume */
  guint64 free_bytes; /* their sum */
} AsrUsedMap;

void asr_used_map_free (AsrUsedMap *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsrUsedMap, asr_used_map_free)

/* The free extents of the volume at @offset of @path (a file, a block
 * device or an export of one), @bytes long, whatever filesystem it holds
 * among those known, read in a sandboxed child.  NOT_FOUND when none. */
AsrUsedMap *asr_used_map_read (const char *path, guint64 offset, guint64 bytes, GError **error);

G_END_DECLS
