/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xfs free extents, read with pread (the on-disk format of the kernel's
 * fs/xfs/libxfs/xfs_format.h and xfs_log_format.h, big-endian).  Each
 * allocation group's free space is its by-block free-space b-tree plus
 * the blocks on its free list (AGFL: reserved for b-tree growth, their
 * contents never read), as `xfs_db -c 'freesp -d'` counts it.  Checked:
 * every header's magic, group number and length; every b-tree block's
 * magic, level and record count (and, on version 5, its own address);
 * the records in increasing order inside the group; their sum equal to
 * the AGF's free count.  The log must be clean (its last record an
 * unmount record ending at its head): otherwise the free-space trees on
 * disk may be stale, and the volume needs its log replayed first.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "xfs-private.h"

#define BB 512u                     /* the log's basic block */
#define LOG_MAGIC 0xFEEDBABEu       /* a log record header */
#define LOG_UNMOUNT_TRANS 0x20u     /* an op header's flag: the unmount record */
#define LOG_HEADER_CYCLE_SIZE 32768 /* log record bytes one header block covers */
#define LOG_MAX_RECORD_BB 520u      /* 256 KiB of record and its header blocks */
#define BTREE_MAX_LEVELS 9u
#define LOG_CHUNK (1u << 20)

typedef struct {
  guint32 start, len; /* in AG blocks */
} AgExtent;

static guint64
ag_length (const Xfs *x, guint32 agno)
{
  return agno + 1 < x->sb.agcount ? x->sb.agblocks
                                  : x->sb.dblocks - (guint64) agno * x->sb.agblocks;
}

gboolean
xfs_fsb_byte (const Xfs *x, guint64 fsb, guint64 count, guint64 *byte)
{
  guint64 agno = fsb >> x->sb.agblklog;
  guint64 agbno = fsb & ((G_GUINT64_CONSTANT (1) << x->sb.agblklog) - 1);
  if (agno >= x->sb.agcount || agbno >= x->sb.agblocks)
    return FALSE;
  guint64 block = agno * x->sb.agblocks + agbno;
  if (count > x->sb.dblocks || block > x->sb.dblocks - count)
    return FALSE;
  *byte = block * x->sb.blocksize;
  return TRUE;
}

/* ---- the log -------------------------------------------------------- */

/* A basic block's cycle: a record header's field, else the word every
 * other block of a record is stamped with. */
static guint32
bb_cycle (const guint8 *b)
{
  return asr_be32 (b) == LOG_MAGIC ? asr_be32 (b + 4) : asr_be32 (b);
}

static gboolean
read_bb (const Xfs *x, guint64 log, guint64 i, guint8 *b, GError **error)
{
  return used_map_read_at (x->fd, x->offset + log + i * BB, b, BB, error);
}

static gboolean
log_dirty (GError **error)
{
  return used_map_fail (error, ASR_USED_MAP_ERROR_NEEDS_RECOVERY,
                        "its log is not clean (in use, or not cleanly unmounted)");
}

gboolean
xfs_log_clean (Xfs *x, GError **error)
{
  const AsrXfsSuper *sb = &x->sb;
  guint64 n = (guint64) sb->logblocks * sb->blocksize / BB, log;
  g_autofree guint8 *chunk = g_malloc (LOG_CHUNK);
  guint8 b[BB];
  guint32 c0 = 0;
  guint64 head = n; /* none found: every block has the first one's cycle */

  /* asr_xfs_super_parse put the log inside a group */
  if (!xfs_fsb_byte (x, sb->logstart, sb->logblocks, &log))
    return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT, "its log lies outside it");

  /* The head is the first block whose cycle is not the first block's;
   * every block from it on has the cycle before.  Read whole: a torn
   * write anywhere means the log needs recovery. */
  for (guint64 i = 0; i < n;)
    {
      guint64 count = MIN ((guint64) LOG_CHUNK / BB, n - i);
      if (!used_map_read_at (x->fd, x->offset + log + i * BB, chunk, count * BB, error))
        return FALSE;
      for (guint64 k = 0; k < count; k++, i++)
        {
          guint32 c = bb_cycle (chunk + k * BB);
          if (i == 0)
            c0 = c;
          else if (head == n && c != c0)
            head = i;
          if (c0 == 0 || (head < n && c != c0 - 1))
            return log_dirty (error);
        }
    }
  if (head == n)
    head = 0;

  /* The last record before the head: one header, one op, the unmount
   * flag, ending at the head. */
  for (guint64 back = 1; back <= MIN (n, (guint64) LOG_MAX_RECORD_BB); back++)
    {
      guint64 at = (head + n - back) % n;
      if (!read_bb (x, log, at, b, error))
        return FALSE;
      if (asr_be32 (b) != LOG_MAGIC)
        continue;
      guint32 version = asr_be32 (b + 8), len = asr_be32 (b + 12), ops = asr_be32 (b + 40);
      guint32 size = asr_be32 (b + 320);
      guint64 hblks = (version & 2) && size > LOG_HEADER_CYCLE_SIZE
                        ? (size + LOG_HEADER_CYCLE_SIZE - 1) / LOG_HEADER_CYCLE_SIZE
                        : 1;
      guint64 len_bb = ((guint64) len + BB - 1) / BB;
      if (ops != 1 || hblks + len_bb != back)
        break;
      if (!read_bb (x, log, (at + hblks) % n, b, error))
        return FALSE;
      if (b[9] & LOG_UNMOUNT_TRANS)
        return TRUE;
      break;
    }
  return log_dirty (error);
}

/* ---- free space ----------------------------------------------------- */

typedef struct {
  Xfs *x;
  guint32 agno;
  guint64 length;
  GArray *out;     /* AgExtent */
  guint64 sum;     /* blocks in the records */
  guint64 next;    /* the first block the next record may start at */
  guint64 visited; /* b-tree blocks read */
} Walk;

static gboolean
bad_ag (GError **error, guint32 agno, const char *what)
{
  return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT,
                        "allocation group %u: %s (run xfs_repair)", agno, what);
}

static gboolean
walk_btree (Walk *w, guint64 agbno, guint level, GError **error)
{
  Xfs *x = w->x;
  guint32 bs = x->sb.blocksize;
  gsize hdr = x->crc ? 56 : 16;
  guint8 *b;

  if (agbno == 0 || agbno >= w->length || ++w->visited > w->length)
    return bad_ag (error, w->agno, "a free-space b-tree pointer outside the group");
  b = g_malloc (bs);
  gboolean ok = used_map_read_at (x->fd, x->offset + xfs_ag_byte (x, w->agno, agbno), b, bs, error);
  if (!ok)
    goto out;
  guint numrecs = (guint) b[6] << 8 | b[7];
  if (memcmp (b, x->crc ? "AB3B" : "ABTB", 4) != 0 || ((guint) b[4] << 8 | b[5]) != level
      || (x->crc && asr_be64 (b + 16) != xfs_ag_byte (x, w->agno, agbno) / BB))
    {
      ok = bad_ag (error, w->agno, "a free-space b-tree block that is not one");
      goto out;
    }
  if (level == 0)
    {
      if (numrecs > (bs - hdr) / 8)
        {
          ok = bad_ag (error, w->agno, "a free-space b-tree block with too many records");
          goto out;
        }
      for (guint i = 0; i < numrecs; i++)
        {
          AgExtent e = { asr_be32 (b + hdr + i * 8), asr_be32 (b + hdr + i * 8 + 4) };
          if (e.len == 0 || e.start < w->next || e.start >= w->length
              || e.len > w->length - e.start)
            {
              ok = bad_ag (error, w->agno,
                           "free-space records out of order, overlapping or outside the group");
              goto out;
            }
          g_array_append_val (w->out, e);
          w->sum += e.len;
          w->next = (guint64) e.start + e.len;
        }
      goto out;
    }
  guint maxrecs = (guint) ((bs - hdr) / 12);
  if (numrecs == 0 || numrecs > maxrecs)
    {
      ok = bad_ag (error, w->agno, "a free-space b-tree node with a bad record count");
      goto out;
    }
  for (guint i = 0; ok && i < numrecs; i++)
    ok = walk_btree (w, asr_be32 (b + hdr + maxrecs * 8 + i * 4), level - 1, error);
out:
  g_free (b);
  return ok;
}

static gint
by_start (gconstpointer a, gconstpointer b)
{
  const AgExtent *p = a, *q = b;
  return p->start < q->start ? -1 : p->start > q->start;
}

/* Group @agno's free extents, in order, into @out (AgExtent). */
static gboolean
ag_free (Xfs *x, guint32 agno, GArray *out, GError **error)
{
  guint32 ss = x->sb.sectsize;
  g_autofree guint8 *agf = g_malloc (ss);
  g_autofree guint8 *agfl = g_malloc (ss);
  Walk w = { x, agno, ag_length (x, agno), out, 0, 0, 0 };

  if (w.length * x->sb.blocksize < 4 * (guint64) ss)
    return bad_ag (error, agno, "it is too short for its headers");
  if (!used_map_read_at (x->fd, x->offset + xfs_ag_byte (x, agno, 0) + ss, agf, ss, error)
      || !used_map_read_at (x->fd, x->offset + xfs_ag_byte (x, agno, 0) + 3 * (guint64) ss, agfl,
                            ss, error))
    return FALSE;
  if (memcmp (agf, "XAGF", 4) != 0 || asr_be32 (agf + 4) != 1 || asr_be32 (agf + 8) != agno
      || asr_be32 (agf + 12) != w.length)
    return bad_ag (error, agno, "its free-space header (AGF) is not one");

  guint32 bnoroot = asr_be32 (agf + 16), bnolevel = asr_be32 (agf + 28);
  guint32 flfirst = asr_be32 (agf + 40), fllast = asr_be32 (agf + 44),
          flcount = asr_be32 (agf + 48);
  guint32 freeblks = asr_be32 (agf + 52);
  gsize flhdr = x->crc ? 36 : 0;
  guint32 flsize = (guint32) ((ss - flhdr) / 4);

  if (bnolevel == 0 || bnolevel > BTREE_MAX_LEVELS)
    return bad_ag (error, agno, "its free-space b-tree has a bad height");
  if (!walk_btree (&w, bnoroot, bnolevel - 1, error))
    return FALSE;
  if (w.sum != freeblks)
    {
      g_autofree char *what = g_strdup_printf ("its free-space b-tree has %" G_GUINT64_FORMAT
                                               " free blocks, its header says %u",
                                               w.sum, freeblks);
      return bad_ag (error, agno, what);
    }

  /* The free list: flcount entries from flfirst to fllast, around. */
  if (x->crc && (memcmp (agfl, "XAFL", 4) != 0 || asr_be32 (agfl + 4) != agno))
    return bad_ag (error, agno, "its free list (AGFL) is not one");
  if (flcount > flsize || flfirst >= flsize || fllast >= flsize
      || (flcount > 0 && (fllast + flsize - flfirst) % flsize + 1 != flcount))
    return bad_ag (error, agno, "its free list's bounds do not add up");
  for (guint32 k = 0, i = flfirst; k < flcount; k++, i = (i + 1) % flsize)
    {
      AgExtent e = { asr_be32 (agfl + flhdr + (gsize) i * 4), 1 };
      if (e.start == 0 || e.start >= w.length)
        return bad_ag (error, agno, "a free-list block outside the group");
      g_array_append_val (out, e);
    }

  /* One order for both; nothing counted twice. */
  g_array_sort (out, by_start);
  for (guint i = 1; i < out->len; i++)
    {
      const AgExtent *p = &g_array_index (out, AgExtent, i - 1);
      if ((guint64) p->start + p->len > g_array_index (out, AgExtent, i).start)
        return bad_ag (error, agno, "a free-list block the free-space b-tree also holds");
    }
  return TRUE;
}

static gboolean
xfs_walk (Xfs *x, AsrExtentFunc emit, gpointer opaque, GError **error)
{
  g_autoptr (GArray) ag = g_array_new (FALSE, FALSE, sizeof (AgExtent));
  for (guint32 agno = 0; agno < x->sb.agcount; agno++)
    {
      g_array_set_size (ag, 0);
      if (!ag_free (x, agno, ag, error))
        return FALSE;
      for (guint i = 0; emit && i < ag->len; i++)
        {
          const AgExtent *e = &g_array_index (ag, AgExtent, i);
          if (!used_map_emit (emit, opaque, xfs_ag_byte (x, agno, e->start),
                              (guint64) e->len * x->sb.blocksize, error))
            return FALSE;
        }
    }
  return TRUE;
}

gboolean
xfs_open (Xfs *x, const char *path, guint64 offset, guint64 bytes, GError **error)
{
  g_autoptr (GError) local = NULL;
  guint8 sb[512];

  memset (x, 0, sizeof *x);
  x->fd = -1;
  x->offset = offset;
  if (bytes < sizeof sb)
    return used_map_fail (error, ASR_USED_MAP_ERROR_NOT_FOUND, "not an xfs filesystem");
  x->fd = open (path, O_RDONLY | O_CLOEXEC);
  if (x->fd < 0)
    return used_map_fail (error, ASR_USED_MAP_ERROR_IO, "%s: %s", path, g_strerror (errno));
  if (!used_map_read_at (x->fd, offset, sb, sizeof sb, error))
    return FALSE;
  if (memcmp (sb, "XFSB", 4) != 0)
    return used_map_fail (error, ASR_USED_MAP_ERROR_NOT_FOUND, "not an xfs filesystem");
  if (!asr_xfs_super_parse (sb, sizeof sb, bytes, &x->sb, &local))
    return used_map_fail (error, ASR_USED_MAP_ERROR_UNSUPPORTED, "%s", local->message);
  x->crc = x->sb.version == 5;
  x->rootino = asr_be64 (sb + 56);
  x->inopblog = sb[123];
  x->ftype = x->crc || (x->sb.features2 & ASR_XFS_VERSION2_FTYPE);
  return TRUE;
}

void
xfs_close (Xfs *x)
{
  if (x->fd >= 0)
    close (x->fd);
  x->fd = -1;
}

gboolean
asr_xfs_free_extents (const char *path, guint64 offset, guint64 bytes, AsrExtentFunc emit,
                      gpointer opaque, GError **error)
{
  Xfs x;
  /* checked whole before the first extent goes out */
  gboolean ok = xfs_open (&x, path, offset, bytes, error) && xfs_log_clean (&x, error)
                && xfs_walk (&x, NULL, NULL, error) && xfs_walk (&x, emit, opaque, error);
  xfs_close (&x);
  return ok;
}
