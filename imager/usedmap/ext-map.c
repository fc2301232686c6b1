/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ext2/3/4 free extents through libext2fs, read-only.  The block bitmaps
 * are checked against the group descriptors' free counts (kept exactly
 * with them, unlike the superblock's, which is kept lazily), so a
 * corrupt bitmap is an error, not an image missing used blocks.
 */
#include "config.h"

#include <ext2fs/ext2_fs.h>
#include <et/com_err.h>
#include <ext2fs/ext2fs.h>
#include <stdarg.h>
#include <string.h>

#include "usedmap-private.h"

/* The next run of blocks in [*blk, end] with the bitmap's bit @set:
 * its first block in *blk, its last in *last.  FALSE when none. */
static gboolean
next_run (ext2fs_block_bitmap map, blk64_t end, gboolean set, blk64_t *blk, blk64_t *last)
{
  blk64_t start, stop;
  errcode_t err = set ? ext2fs_find_first_set_block_bitmap2 (map, *blk, end, &start)
                      : ext2fs_find_first_zero_block_bitmap2 (map, *blk, end, &start);
  if (err != 0)
    return FALSE;
  err = set ? ext2fs_find_first_zero_block_bitmap2 (map, start, end, &stop)
            : ext2fs_find_first_set_block_bitmap2 (map, start, end, &stop);
  *blk = start;
  *last = err == 0 ? stop - 1 : end;
  return TRUE;
}

static gboolean
check_groups (ext2_filsys fs, GError **error)
{
  blk64_t first = fs->super->s_first_data_block;
  blk64_t end = ext2fs_blocks_count (fs->super) - 1;
  blk64_t per_group = fs->super->s_blocks_per_group;
  g_autofree guint64 *counted = g_new0 (guint64, fs->group_desc_count);
  blk64_t blk = first, last;

  while (blk <= end && next_run (fs->block_map, end, FALSE, &blk, &last))
    {
      /* split at group boundaries */
      while (blk <= last)
        {
          dgrp_t g = (dgrp_t) ((blk - first) / per_group);
          blk64_t group_last = MIN (ext2fs_group_last_block2 (fs, g), last);
          if (g >= fs->group_desc_count)
            return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT,
                                  "block %llu lies past the last block group",
                                  (unsigned long long) blk);
          counted[g] += group_last - blk + 1;
          blk = group_last + 1;
        }
      if (last == end)
        break;
    }
  for (dgrp_t g = 0; g < fs->group_desc_count; g++)
    if (counted[g] != ext2fs_bg_free_blocks_count (fs, g))
      return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT,
                            "block group %u: its bitmap has %" G_GUINT64_FORMAT
                            " free blocks, its descriptor says %u (run e2fsck)",
                            g, counted[g], ext2fs_bg_free_blocks_count (fs, g));
  return TRUE;
}

static gboolean
ext_read (ext2_filsys fs, guint64 bytes, AsrExtentFunc emit, gpointer opaque, GError **error)
{
  struct ext2_super_block *sb = fs->super;
  guint64 block = EXT2_BLOCK_SIZE (sb);
  guint64 blocks = ext2fs_blocks_count (sb);
  errcode_t err;

  if (ext2fs_has_feature_journal_needs_recovery (sb))
    return used_map_fail (error, ASR_USED_MAP_ERROR_NEEDS_RECOVERY,
                          "its journal needs recovery (in use, or not cleanly unmounted)");
  if (!(sb->s_state & EXT2_VALID_FS))
    return used_map_fail (error, ASR_USED_MAP_ERROR_NEEDS_RECOVERY,
                          "it is not marked clean (in use, or not cleanly unmounted)");
  if (sb->s_state & EXT2_ERROR_FS)
    return used_map_fail (error, ASR_USED_MAP_ERROR_UNSUPPORTED,
                          "it has errors recorded (run e2fsck)");
  if (ext2fs_has_feature_bigalloc (sb))
    return used_map_fail (error, ASR_USED_MAP_ERROR_UNSUPPORTED, "bigalloc is not read");
  if (blocks == 0 || blocks > bytes / block)
    return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT,
                          "it says it is %" G_GUINT64_FORMAT " blocks of %" G_GUINT64_FORMAT
                          " bytes, more than its %" G_GUINT64_FORMAT "-byte volume",
                          blocks, block, bytes);
  /* A group's bitmap is one block: libext2fs 1.47.0 copies
   * blocks-per-group / 8 bytes into a block-sized buffer without checking
   * (a heap overflow found by fuzz-used-map), so more than 8 per byte of a
   * block is refused here, as e2fsck refuses it.  So is a first data
   * block other than the one e2fsck requires (1 for 1024-byte blocks, 0
   * otherwise): with another, the same function writes a block past its
   * bitmap (found by fuzz-used-map). */
  if (sb->s_first_data_block != (block == 1024 ? 1u : 0u) || sb->s_first_data_block >= blocks
      || sb->s_blocks_per_group == 0 || sb->s_blocks_per_group > 8 * block
      || sb->s_clusters_per_group != sb->s_blocks_per_group || sb->s_inodes_per_group == 0
      || sb->s_inodes_per_group > 8 * block)
    return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT,
                          "bad superblock geometry (first data block %u, %u blocks and %u inodes "
                          "a group of %" G_GUINT64_FORMAT "-byte blocks)",
                          sb->s_first_data_block, sb->s_blocks_per_group, sb->s_inodes_per_group,
                          block);

  err = ext2fs_read_block_bitmap (fs);
  if (err != 0)
    return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT, "its block bitmaps cannot be read: %s",
                          error_message (err));
  if (!check_groups (fs, error))
    return FALSE;

  blk64_t blk = sb->s_first_data_block, last, end = blocks - 1;
  while (blk <= end && next_run (fs->block_map, end, FALSE, &blk, &last))
    {
      if (!used_map_emit (emit, opaque, blk * block, (last - blk + 1) * block, error))
        return FALSE;
      if (last == end)
        break;
      blk = last + 1;
    }
  return TRUE;
}

/* libext2fs's own warnings (a bitmap asked for a block outside it, on
 * hostile metadata) are detail for --debug: the error asr reports is the
 * user's message. */
static void G_GNUC_PRINTF (3, 0)
  warning_to_debug (const char *whoami, long code, const char *fmt, va_list args)
{
  g_autofree char *text = g_strdup_vprintf (fmt, args);
  g_debug ("libext2fs: %s%s%s %s", whoami ? whoami : "", whoami ? ": " : "", error_message (code),
           text);
}

/* Opens the filesystem read-only, mapped to our error codes. */
static ext2_filsys
ext_open (const char *path, guint64 offset, GError **error)
{
  static gsize once = 0;
  ext2_filsys fs = NULL;

  /* error_message() names libext2fs's codes only once their table is in */
  if (g_once_init_enter (&once))
    {
      initialize_ext2_error_table ();
      set_com_err_hook (warning_to_debug);
      g_once_init_leave (&once, 1);
    }
  g_autofree char *io_options = g_strdup_printf ("offset=%" G_GUINT64_FORMAT, offset);

  /* Read-only; no MMP (the volume is not live); checksums verified. */
  errcode_t err = ext2fs_open2 (path, io_options, EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP, 0, 0,
                                unix_io_manager, &fs);
  if (err == 0)
    return fs;
  if (err == EXT2_ET_BAD_MAGIC)
    used_map_fail (error, ASR_USED_MAP_ERROR_NOT_FOUND, "not an ext2/3/4 filesystem");
  else if (err == EXT2_ET_UNSUPP_FEATURE || err == EXT2_ET_RO_UNSUPP_FEATURE)
    used_map_fail (error, ASR_USED_MAP_ERROR_UNSUPPORTED, "%s", error_message (err));
  else if (err == EXT2_ET_SHORT_READ || err == EXT2_ET_LLSEEK_FAILED)
    used_map_fail (error, ASR_USED_MAP_ERROR_IO, "%s", error_message (err));
  else
    used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT, "%s", error_message (err));
  return NULL;
}

/* One file's first @max bytes into @out; FALSE with @error only for
 * what makes the whole filesystem suspect. */
static gboolean
ext_read_one (ext2_filsys fs, const char *name, gsize max, AsrVolumeFile *out, GError **error)
{
  ext2_ino_t ino;
  struct ext2_inode inode;
  ext2_file_t file;
  errcode_t err;

  /* symlinks followed, absolute ones from this filesystem's root */
  err = ext2fs_namei_follow (fs, EXT2_ROOT_INO, EXT2_ROOT_INO, name, &ino);
  if (err == EXT2_ET_FILE_NOT_FOUND || err == EXT2_ET_NO_DIRECTORY || err == EXT2_ET_SYMLINK_LOOP)
    return TRUE; /* absent */
  if (err == 0)
    err = ext2fs_read_inode (fs, ino, &inode);
  if (err != 0)
    return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT, "%s: %s", name, error_message (err));
  if (!LINUX_S_ISREG (inode.i_mode))
    return TRUE; /* not a file: absent for our purposes */
  err = ext2fs_file_open (fs, ino, 0, &file);
  if (err != 0)
    return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT, "%s: %s", name, error_message (err));
  guint64 size = EXT2_I_SIZE (&inode);
  gsize want = (gsize) MIN (size, (guint64) max);
  g_autofree char *buf = g_malloc (want + 1);
  gsize got = 0;
  while (got < want)
    {
      unsigned int n = 0;
      err = ext2fs_file_read (file, buf + got, (unsigned int) MIN (want - got, 1u << 20), &n);
      if (err != 0 || n == 0)
        break;
      got += n;
    }
  ext2fs_file_close (file);
  if (err != 0)
    return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT, "%s: %s", name, error_message (err));
  out->found = TRUE;
  out->truncated = size > max;
  out->data = g_bytes_new (buf, got);
  return TRUE;
}

gboolean
asr_ext_read_files (const char *path, guint64 offset, const char *const *names, gsize max,
                    AsrVolumeFile *files, GError **error)
{
  ext2_filsys fs = ext_open (path, offset, error);
  gboolean ok = fs != NULL;

  for (guint i = 0; ok && names[i]; i++)
    ok = ext_read_one (fs, names[i], max, &files[i], error);
  if (fs)
    ext2fs_close_free (&fs);
  return ok;
}

gboolean
asr_ext_free_extents (const char *path, guint64 offset, guint64 bytes, AsrExtentFunc emit,
                      gpointer opaque, GError **error)
{
  ext2_filsys fs = ext_open (path, offset, error);
  if (fs == NULL)
    return FALSE;
  gboolean ok = ext_read (fs, bytes, emit, opaque, error);
  ext2fs_close_free (&fs);
  return ok;
}
