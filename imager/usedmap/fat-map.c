/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * FAT12/16/32 free extents from the file allocation table, read with
 * pread, a megabyte at a time.  FAT keeps no count to check a table
 * against (FAT32's FSInfo free count is a hint), so the checks are:
 * every entry is free, end of chain, bad, or a cluster that exists, and
 * every copy of the table is the same.  A volume marked dirty (mounted,
 * or not cleanly unmounted) is refused as needing recovery.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "usedmap-private.h"

#define CHUNK (1u << 20)

typedef struct {
  guint bits; /* 12, 16, 32 */
  guint32 sector;
  guint32 cluster_bytes;
  guint64 fat_offset; /* of the first table, in the volume */
  guint64 fat_bytes;  /* one table */
  guint nfats;
  guint64 data_offset; /* cluster 2 */
  guint32 clusters;    /* data clusters: 2 .. clusters + 1 */
} Fat;

gboolean
asr_fat_sniff (const guint8 *bs, gsize len)
{
  return len >= 512 && bs[510] == 0x55 && bs[511] == 0xaa
         && (memcmp (bs + 0x52, "FAT32   ", 8) == 0 || memcmp (bs + 0x36, "FAT", 3) == 0);
}

/* The geometry from the boot sector, every field checked. */
static gboolean
fat_geometry (const guint8 *bs, guint64 bytes, Fat *f, GError **error)
{
  guint spc = bs[13];
  guint reserved = asr_le16 (bs + 14);
  guint root_entries = asr_le16 (bs + 17);
  guint64 total = asr_le16 (bs + 19) ? asr_le16 (bs + 19) : asr_le32 (bs + 32);
  guint64 fat_sectors = asr_le16 (bs + 22) ? asr_le16 (bs + 22) : asr_le32 (bs + 36);

  f->sector = asr_le16 (bs + 11);
  f->nfats = bs[16];
  if (f->sector < 512 || f->sector > 4096 || (f->sector & (f->sector - 1)) != 0 || spc == 0
      || (spc & (spc - 1)) != 0 || (guint64) spc * f->sector > 65536 || reserved == 0
      || f->nfats == 0 || f->nfats > 4 || total == 0 || fat_sectors == 0)
    return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT,
                          "its boot sector's geometry is invalid");
  if (total * f->sector > bytes)
    return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT,
                          "it says it is %" G_GUINT64_FORMAT
                          " bytes, more than its %" G_GUINT64_FORMAT "-byte volume",
                          total * f->sector, bytes);
  f->cluster_bytes = spc * f->sector;
  guint64 root_sectors = ((guint64) root_entries * 32 + f->sector - 1) / f->sector;
  guint64 data_start = reserved + f->nfats * fat_sectors + root_sectors;
  if (data_start >= total)
    return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT, "its tables fill the whole volume");
  guint64 clusters = (total - data_start) / spc;
  /* the type follows from the cluster count, as the specification says */
  f->bits = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
  if ((f->bits == 32) != (root_entries == 0) || clusters > 0x0ffffff5)
    return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT,
                          "its boot sector contradicts itself (FAT%u with %u root entries)",
                          f->bits, root_entries);
  f->clusters = (guint32) clusters;
  f->fat_offset = (guint64) reserved * f->sector;
  f->fat_bytes = fat_sectors * f->sector;
  f->data_offset = data_start * f->sector;
  if ((clusters + 2) * f->bits / 8 > f->fat_bytes)
    return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT,
                          "its table is too small for its %" G_GUINT64_FORMAT " clusters",
                          clusters);
  if (f->bits == 32 && (asr_le16 (bs + 40) & 0x80))
    return used_map_fail (error, ASR_USED_MAP_ERROR_UNSUPPORTED,
                          "only one of its tables is active (mirroring off)");
  /* the "dirty" bit the kernel sets while mounted */
  if (bs[f->bits == 32 ? 0x41 : 0x25] & 1)
    return used_map_fail (error, ASR_USED_MAP_ERROR_NEEDS_RECOVERY,
                          "it is marked dirty (in use, or not cleanly unmounted)");
  return TRUE;
}

static guint32
fat_entry (const Fat *f, const guint8 *table, guint64 n)
{
  switch (f->bits)
    {
    case 12:
      {
        guint v = asr_le16 (table + n * 3 / 2);
        return n & 1 ? v >> 4 : v & 0xfff;
      }
    case 16:
      return asr_le16 (table + n * 2);
    default:
      return asr_le32 (table + n * 4) & 0x0fffffff;
    }
}

/* Walks the table; with @emit NULL it only checks it. */
static gboolean
walk (int fd, guint64 offset, const Fat *f, AsrExtentFunc emit, gpointer opaque, GError **error)
{
  guint32 last = f->clusters + 1;
  guint32 bad = f->bits == 12 ? 0xff7 : f->bits == 16 ? 0xfff7 : 0x0ffffff7;
  guint64 table_len = ((guint64) last + 1) * f->bits / 8 + 2;
  table_len = MIN (table_len, f->fat_bytes);
  /* whole FAT12 entries straddle bytes: chunks hold a multiple of 3 bytes */
  gsize chunk = CHUNK - CHUNK % 12;
  g_autofree guint8 *a = g_malloc (chunk + 4);
  g_autofree guint8 *b = g_malloc (chunk + 4);
  guint64 run_start = 0, run_len = 0;

  for (guint64 at = 0; at < table_len; at += chunk)
    {
      gsize len = (gsize) MIN ((guint64) chunk, table_len - at);
      memset (a + len, 0, 4);
      if (!used_map_read_at (fd, offset + f->fat_offset + at, a, len, error))
        return FALSE;
      for (guint k = 1; emit == NULL && k < f->nfats; k++)
        {
          if (!used_map_read_at (fd, offset + f->fat_offset + k * f->fat_bytes + at, b, len, error))
            return FALSE;
          if (memcmp (a, b, len) != 0)
            return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT,
                                  "its file allocation tables 1 and %u differ (run fsck.fat)",
                                  k + 1);
        }
      guint64 first = at * 8 / f->bits, end = MIN ((at + len) * 8 / f->bits, (guint64) last + 1);
      for (guint64 n = MAX (first, 2); n < end; n++)
        {
          guint32 e = fat_entry (f, a, n - first);
          if (e == 0)
            {
              if (run_len == 0)
                run_start = n;
              run_len++;
              continue;
            }
          if (e < bad && (e < 2 || e > last))
            return used_map_fail (error, ASR_USED_MAP_ERROR_CORRUPT,
                                  "cluster %" G_GUINT64_FORMAT
                                  " points to cluster %u, which does not "
                                  "exist (run fsck.fat)",
                                  n, e);
          if (run_len && emit)
            {
              if (!used_map_emit (emit, opaque, f->data_offset + (run_start - 2) * f->cluster_bytes,
                                  run_len * f->cluster_bytes, error))
                return FALSE;
            }
          run_len = 0;
        }
    }
  if (run_len && emit)
    {
      if (!used_map_emit (emit, opaque, f->data_offset + (run_start - 2) * f->cluster_bytes,
                          run_len * f->cluster_bytes, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
asr_fat_free_extents (const char *path, guint64 offset, guint64 bytes, AsrExtentFunc emit,
                      gpointer opaque, GError **error)
{
  guint8 bs[512];
  Fat f = { 0 };
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return used_map_fail (error, ASR_USED_MAP_ERROR_IO, "%s: %s", path, g_strerror (errno));
  ok = bytes >= sizeof bs && used_map_read_at (fd, offset, bs, sizeof bs, error);
  if (ok && !asr_fat_sniff (bs, sizeof bs))
    ok = used_map_fail (error, ASR_USED_MAP_ERROR_NOT_FOUND, "not a FAT filesystem");
  /* checked whole before the first extent goes out */
  ok = ok && fat_geometry (bs, bytes, &f, error) && walk (fd, offset, &f, NULL, NULL, error)
       && walk (fd, offset, &f, emit, opaque, error);
  if (!ok && bytes < sizeof bs && error && *error == NULL)
    used_map_fail (error, ASR_USED_MAP_ERROR_NOT_FOUND, "not a FAT filesystem");
  close (fd);
  return ok;
}
