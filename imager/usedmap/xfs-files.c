/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files read from an xfs filesystem, for inspection without the
 * appliance (docs/asr-capture.1): a path walked from the root inode
 * through directories (short form in the inode, or data blocks mapped by
 * extents), symlinks followed inside the filesystem, and a regular
 * file's first bytes read through its extents.  What a small /etc needs,
 * not all of xfs: a data fork in b-tree format (a very fragmented file
 * or a huge directory) or large extent counters are refused as
 * UNSUPPORTED, and capture leaves the machine to the appliance.  The
 * on-disk format is that of the kernel's fs/xfs/libxfs/xfs_format.h and
 * xfs_da_format.h; every count and offset read is checked against the
 * block it lies in.
 */
#include "config.h"

#include <string.h>

#include "xfs-private.h"

#define FMT_LOCAL 1
#define FMT_EXTENTS 2
#define S_IFMT_ 0170000
#define S_IFDIR_ 0040000
#define S_IFREG_ 0100000
#define S_IFLNK_ 0120000
#define MAX_SYMLINKS 40
#define MAX_SYMLINK_BYTES 1024
#define MAX_DIR_BYTES (64u << 20)                      /* a directory read at most */
#define DIR_LEAF_OFFSET (G_GUINT64_CONSTANT (1) << 35) /* data blocks end here */

typedef struct {
  guint64 off, block, count; /* file block, filesystem block, blocks */
  gboolean unwritten;
} Extent;

typedef struct {
  guint16 mode;
  guint8 format;
  guint64 size;
  guint8 *fork; /* the data fork's bytes in the inode */
  gsize fork_len;
  GArray *extents; /* Extent, with FMT_EXTENTS */
} Inode;

static void
inode_clear (Inode *n)
{
  g_clear_pointer (&n->fork, g_free);
  g_clear_pointer (&n->extents, g_array_unref);
}

static gboolean
corrupt (GError **error, const char *what, guint64 ino)
{
  return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT, "inode %" G_GUINT64_FORMAT ": %s", ino,
                        what);
}

static gboolean
read_inode (Xfs *x, guint64 ino, Inode *n, GError **error)
{
  guint isize = x->sb.inodesize;
  gsize core = x->crc ? 176 : 100;
  guint64 at;

  /* an inode number is its block's number, then its slot in the block */
  memset (n, 0, sizeof *n);
  if ((guint) x->sb.agblklog + x->inopblog >= 64)
    return corrupt (error, "its number lies outside the filesystem", ino);
  guint64 slot = ino & ((G_GUINT64_CONSTANT (1) << x->inopblog) - 1);
  if ((slot + 1) * isize > x->sb.blocksize || !xfs_fsb_byte (x, ino >> x->inopblog, 1, &at))
    return corrupt (error, "its number lies outside the filesystem", ino);
  g_autofree guint8 *b = g_malloc (isize);
  if (!used_map_read_at (x->fd, x->offset + at + slot * isize, b, isize, error))
    return FALSE;
  if (memcmp (b, "IN", 2) != 0 || (x->crc ? b[4] != 3 : b[4] != 1 && b[4] != 2)
      || (x->crc && asr_be64 (b + 152) != ino))
    return corrupt (error, "not an inode", ino);
  n->mode = asr_be16 (b + 2);
  n->format = b[5];
  n->size = asr_be64 (b + 56);
  guint32 nextents = asr_be32 (b + 76);
  guint forkoff = b[82];
  n->fork_len = forkoff ? (gsize) forkoff * 8 : isize - core;
  if (core + n->fork_len > isize)
    return corrupt (error, "its fork offset lies outside it", ino);
  n->fork = g_memdup2 (b + core, n->fork_len);
  if (n->format == FMT_LOCAL)
    {
      if (n->size > n->fork_len)
        return corrupt (error, "its inline data is larger than its fork", ino);
      return TRUE;
    }
  if (n->format != FMT_EXTENTS)
    return used_map_fail (error, ASR_USED_MAP_ERROR_UNSUPPORTED,
                          "inode %" G_GUINT64_FORMAT ": a data fork in b-tree format is not read",
                          ino);
  if ((gsize) nextents * 16 > n->fork_len)
    return corrupt (error, "more extents than its fork holds", ino);
  n->extents = g_array_sized_new (FALSE, FALSE, sizeof (Extent), nextents);
  for (guint32 i = 0; i < nextents; i++)
    {
      guint64 l0 = asr_be64 (n->fork + i * 16), l1 = asr_be64 (n->fork + i * 16 + 8);
      Extent e = { (l0 & G_GUINT64_CONSTANT (0x7fffffffffffffff)) >> 9,
                   (l0 & 0x1ff) << 43 | l1 >> 21, l1 & 0x1fffff, (l0 >> 63) != 0 };
      g_array_append_val (n->extents, e);
    }
  return TRUE;
}

/* Reads @len bytes of @n's data from byte @pos into @buf (holes and
 * unwritten extents read as zeroes). */
static gboolean
read_data (Xfs *x, guint64 ino, const Inode *n, guint64 pos, guint8 *buf, gsize len, GError **error)
{
  guint64 bs = x->sb.blocksize;
  memset (buf, 0, len);
  if (n->format == FMT_LOCAL)
    {
      if (pos < n->fork_len)
        memcpy (buf, n->fork + pos, (gsize) MIN ((guint64) len, n->fork_len - pos));
      return TRUE;
    }
  for (guint i = 0; i < n->extents->len; i++)
    {
      const Extent *e = &g_array_index (n->extents, Extent, i);
      guint64 start = e->off * bs, end = start + e->count * bs, at;
      if (e->unwritten || end <= pos || start >= pos + len)
        continue;
      if (!xfs_fsb_byte (x, e->block, e->count, &at))
        return corrupt (error, "an extent outside the filesystem", ino);
      guint64 from = MAX (start, pos), to = MIN (end, pos + len);
      if (!used_map_read_at (x->fd, x->offset + at + (from - start), buf + (from - pos),
                             (gsize) (to - from), error))
        return FALSE;
    }
  return TRUE;
}

/* The inode of @name in directory @dir (0 when absent). */
static gboolean
dir_lookup (Xfs *x, guint64 dino, const Inode *dir, const char *name, guint64 *ino, GError **error)
{
  gsize nlen = strlen (name);
  *ino = 0;
  if (dir->format == FMT_LOCAL)
    {
      /* short form: count, i8count, parent, then entries */
      const guint8 *p = dir->fork, *end = dir->fork + MIN (dir->size, (guint64) dir->fork_len);
      if (end - p < 2 || end - p < 2 + (p[1] ? 8 : 4))
        return corrupt (error, "a short-form directory without its header", dino);
      guint count = p[0], wide = p[1] ? 8 : 4;
      p += 2 + wide;
      for (guint i = 0; i < count; i++)
        {
          if (end - p < 3 || (gsize) (end - p) < 3u + p[0] + (x->ftype ? 1u : 0u) + wide)
            return corrupt (error, "a short-form directory entry past its end", dino);
          guint len = p[0];
          const guint8 *ename = p + 3, *num = ename + len + (x->ftype ? 1 : 0);
          if (len == nlen && memcmp (ename, name, nlen) == 0)
            {
              *ino = wide == 8 ? asr_be64 (num) : asr_be32 (num);
              return TRUE;
            }
          p = num + wide;
        }
      return TRUE;
    }

  /* data blocks: entries after the header; a single-block directory
   * keeps its hash leaf and tail at the block's end */
  guint64 dbs = (guint64) x->sb.blocksize << x->sb.dirblklog;
  gsize hdr = x->crc ? 64 : 16;
  if (dir->size > MAX_DIR_BYTES || dbs > MAX_DIR_BYTES)
    return used_map_fail (error, ASR_USED_MAP_ERROR_UNSUPPORTED,
                          "inode %" G_GUINT64_FORMAT ": a directory too large to read", dino);
  g_autofree guint8 *b = g_malloc (dbs);
  for (guint64 pos = 0; pos < MIN (dir->size, DIR_LEAF_OFFSET); pos += dbs)
    {
      if (!read_data (x, dino, dir, pos, b, dbs, error))
        return FALSE;
      gsize end = dbs;
      if (memcmp (b, x->crc ? "XDB3" : "XD2B", 4) == 0)
        {
          guint32 leaves = asr_be32 (b + dbs - 8);
          if (leaves > (dbs - hdr - 8) / 8)
            return corrupt (error, "a directory block's leaf count past its end", dino);
          end = dbs - 8 - (gsize) leaves * 8;
        }
      else if (memcmp (b, x->crc ? "XDD3" : "XD2D", 4) != 0)
        continue; /* a hole, or not a data block */
      for (gsize at = hdr; at + 8 <= end;)
        {
          if (asr_be16 (b + at) == 0xffff) /* unused: its length */
            {
              guint16 len = asr_be16 (b + at + 2);
              if (len < 8 || len % 8 || len > end - at)
                return corrupt (error, "a directory block's free entry past its end", dino);
              at += len;
              continue;
            }
          if (end - at < 16) /* the smallest entry */
            return corrupt (error, "a directory entry past its block's end", dino);
          guint len = b[at + 8];
          gsize size = (8 + 1 + len + (x->ftype ? 1 : 0) + 2 + 7) & ~(gsize) 7;
          if (len == 0 || size > end - at)
            return corrupt (error, "a directory entry past its block's end", dino);
          if (len == nlen && memcmp (b + at + 9, name, nlen) == 0)
            {
              *ino = asr_be64 (b + at);
              return TRUE;
            }
          at += size;
        }
    }
  return TRUE;
}

/* Splits @path into @parts (components, "." dropped). */
static void
push_parts (GPtrArray *parts, const char *path)
{
  g_auto (GStrv) v = g_strsplit (path, "/", -1);
  /* in reverse: the stack's top is the next component */
  for (gint i = (gint) g_strv_length (v) - 1; i >= 0; i--)
    if (*v[i] && strcmp (v[i], ".") != 0)
      g_ptr_array_add (parts, g_strdup (v[i]));
}

/* One file's first @max bytes into @out; FALSE with @error only for
 * what makes the whole filesystem suspect. */
static gboolean
xfs_read_one (Xfs *x, const char *name, gsize max, AsrVolumeFile *out, GError **error)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (guint64)); /* dirs walked */
  guint64 root = x->rootino, n_ino = 0; /* n_ino: the inode @n holds */
  guint links = 0;
  Inode n = { 0 };
  gboolean ok = TRUE;

  push_parts (parts, name);
  g_array_append_val (stack, root);
  while (ok && parts->len > 0)
    {
      g_autofree char *part = g_ptr_array_steal_index (parts, parts->len - 1);
      guint64 dino = g_array_index (stack, guint64, stack->len - 1), child;
      if (strcmp (part, "..") == 0)
        {
          if (stack->len > 1)
            g_array_set_size (stack, stack->len - 1);
          continue;
        }
      inode_clear (&n);
      n_ino = dino;
      if (!(ok = read_inode (x, dino, &n, error)))
        break;
      if ((n.mode & S_IFMT_) != S_IFDIR_)
        goto absent;
      if (!(ok = dir_lookup (x, dino, &n, part, &child, error)))
        break;
      if (child == 0)
        goto absent;
      inode_clear (&n);
      n_ino = child;
      if (!(ok = read_inode (x, child, &n, error)))
        break;
      if ((n.mode & S_IFMT_) == S_IFLNK_)
        {
          gsize skip = n.format == FMT_EXTENTS && x->crc ? 56 : 0; /* a remote header */
          /* one block's target at most (a remote one has a header a block) */
          if (++links > MAX_SYMLINKS || n.size == 0 || n.size > MAX_SYMLINK_BYTES
              || n.size + skip > x->sb.blocksize)
            goto absent;
          g_autofree guint8 *target = g_malloc0 (MAX_SYMLINK_BYTES + 1);
          if (!(ok = read_data (x, child, &n, skip, target, (gsize) n.size, error)))
            break;
          if (target[0] == '/')
            g_array_set_size (stack, 1);
          push_parts (parts, (const char *) target);
          continue;
        }
      g_array_append_val (stack, child);
    }
  if (ok && parts->len == 0 && (n.mode & S_IFMT_) == S_IFREG_
      && n_ino == g_array_index (stack, guint64, stack->len - 1))
    {
      gsize want = (gsize) MIN (n.size, (guint64) max);
      g_autofree guint8 *buf = g_malloc (want + 1);
      ok = read_data (x, n_ino, &n, 0, buf, want, error);
      if (ok)
        {
          out->found = TRUE;
          out->truncated = n.size > max;
          out->data = g_bytes_new (buf, want);
        }
    }
absent:
  inode_clear (&n);
  return ok;
}

gboolean
asr_xfs_read_files (const char *path, guint64 offset, guint64 bytes, const char *const *names,
                    gsize max, AsrVolumeFile *files, GError **error)
{
  Xfs x;
  gboolean ok = xfs_open (&x, path, offset, bytes, error) && xfs_log_clean (&x, error);
  if (ok && (x.sb.incompat & ASR_XFS_INCOMPAT_NREXT64))
    ok
      = used_map_fail (error, ASR_USED_MAP_ERROR_UNSUPPORTED, "large extent counters are not read");
  for (guint i = 0; ok && names[i]; i++)
    ok = xfs_read_one (&x, names[i], max, &files[i], error);
  xfs_close (&x);
  return ok;
}
