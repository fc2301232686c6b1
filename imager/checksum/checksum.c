/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The asr-sha256-64k streaming core and the file/block-device reader.
 * The definition is in checksum.h.
 */
#include "checksum-private.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

/* clang-format off */
G_DEFINE_QUARK (asr-checksum-error-quark, asr_checksum_error)
/* clang-format on */

#define DIGEST_BYTES 32

struct _AsrChecksum {
  EVP_MD_CTX *outer; /* over the block digests, in block order */
  EVP_MD_CTX *inner; /* reused for each block */
  guint8 *block;     /* the partial block being gathered */
  gsize pending;     /* bytes of it filled */
  guint64 length;    /* bytes fed */
  gboolean finished;
};

/* SHA-256 of 64 KiB of zeros, repeated: whole zero blocks are fed to the
 * outer hash from here in batches, since a 4 TiB sparse disk has 64 M of
 * them and one EVP call each would cost seconds. */
#define ZERO_DIGEST_BATCH 128
static guint8 zero_digests[ZERO_DIGEST_BATCH * DIGEST_BYTES];

static void
sha256_or_die (EVP_MD_CTX *ctx, const void *buf, gsize len, guint8 *digest)
{
  /* These fail only without SHA-256 in libcrypto or out of memory: there
   * is nothing a caller could do about either. */
  if (EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL) != 1 || EVP_DigestUpdate (ctx, buf, len) != 1
      || EVP_DigestFinal_ex (ctx, digest, NULL) != 1)
    g_error ("libcrypto: SHA-256 failed");
}

static const guint8 *
zero_block_digests (void)
{
  static gsize inited;

  if (g_once_init_enter (&inited))
    {
      g_autofree guint8 *zeros = g_malloc0 (ASR_CHECKSUM_BLOCK_BYTES);
      EVP_MD_CTX *ctx = EVP_MD_CTX_new ();

      if (ctx == NULL)
        g_error ("libcrypto: out of memory");
      sha256_or_die (ctx, zeros, ASR_CHECKSUM_BLOCK_BYTES, zero_digests);
      EVP_MD_CTX_free (ctx);
      for (gsize i = 1; i < ZERO_DIGEST_BATCH; i++)
        memcpy (zero_digests + i * DIGEST_BYTES, zero_digests, DIGEST_BYTES);
      g_once_init_leave (&inited, 1);
    }
  return zero_digests;
}

/* memcmp against itself shifted by 16 runs at memory speed (glibc's
 * vectorised memcmp), far above SHA-256's ~1.5 GB/s. */
static gboolean
buffer_is_zero (const guint8 *p, gsize len)
{
  gsize head = MIN (len, 16);

  for (gsize i = 0; i < head; i++)
    if (p[i] != 0)
      return FALSE;
  return len <= 16 || memcmp (p, p + 16, len - 16) == 0;
}

static void
outer_update (AsrChecksum *c, const guint8 *digests, gsize len)
{
  if (EVP_DigestUpdate (c->outer, digests, len) != 1)
    g_error ("libcrypto: SHA-256 failed");
}

static void
hash_one_block (AsrChecksum *c, const guint8 *buf, gsize len)
{
  guint8 digest[DIGEST_BYTES];

  /* Only whole blocks take the shortcut: a short zero block can only be
   * the last one, hashed once. */
  if (len == ASR_CHECKSUM_BLOCK_BYTES && buffer_is_zero (buf, len))
    {
      outer_update (c, zero_block_digests (), DIGEST_BYTES);
      return;
    }
  sha256_or_die (c->inner, buf, len, digest);
  outer_update (c, digest, DIGEST_BYTES);
}

AsrChecksum *
asr_checksum_new (void)
{
  AsrChecksum *c = g_new0 (AsrChecksum, 1);

  c->outer = EVP_MD_CTX_new ();
  c->inner = EVP_MD_CTX_new ();
  if (c->outer == NULL || c->inner == NULL
      || EVP_DigestInit_ex (c->outer, EVP_sha256 (), NULL) != 1)
    g_error ("libcrypto: cannot start SHA-256");
  c->block = g_malloc (ASR_CHECKSUM_BLOCK_BYTES);
  return c;
}

void
asr_checksum_free (AsrChecksum *c)
{
  if (c == NULL)
    return;
  EVP_MD_CTX_free (c->outer);
  EVP_MD_CTX_free (c->inner);
  g_free (c->block);
  g_free (c);
}

void
asr_checksum_add_block (AsrChecksum *c, const void *buf, gsize len)
{
  const guint8 *p = buf;

  g_return_if_fail (c != NULL);
  g_return_if_fail (!c->finished);
  g_return_if_fail (buf != NULL || len == 0);

  c->length += len;
  if (c->pending > 0)
    {
      gsize n = MIN (len, ASR_CHECKSUM_BLOCK_BYTES - c->pending);

      memcpy (c->block + c->pending, p, n);
      c->pending += n;
      p += n;
      len -= n;
      if (c->pending < ASR_CHECKSUM_BLOCK_BYTES)
        return;
      hash_one_block (c, c->block, ASR_CHECKSUM_BLOCK_BYTES);
      c->pending = 0;
    }
  /* Whole blocks straight from the caller's buffer, no copy. */
  for (; len >= ASR_CHECKSUM_BLOCK_BYTES;
       p += ASR_CHECKSUM_BLOCK_BYTES, len -= ASR_CHECKSUM_BLOCK_BYTES)
    hash_one_block (c, p, ASR_CHECKSUM_BLOCK_BYTES);
  if (len > 0)
    {
      memcpy (c->block, p, len);
      c->pending = len;
    }
}

void
asr_checksum_add_zero_blocks (AsrChecksum *c, guint64 len)
{
  const guint8 *zd;
  guint64 nblocks;

  g_return_if_fail (c != NULL);
  g_return_if_fail (!c->finished);

  c->length += len;
  if (c->pending > 0)
    {
      gsize n = (gsize) MIN (len, (guint64) (ASR_CHECKSUM_BLOCK_BYTES - c->pending));

      memset (c->block + c->pending, 0, n);
      c->pending += n;
      len -= n;
      if (c->pending < ASR_CHECKSUM_BLOCK_BYTES)
        return;
      hash_one_block (c, c->block, ASR_CHECKSUM_BLOCK_BYTES);
      c->pending = 0;
    }
  zd = zero_block_digests ();
  nblocks = len / ASR_CHECKSUM_BLOCK_BYTES;
  while (nblocks > 0)
    {
      gsize n = (gsize) MIN (nblocks, (guint64) ZERO_DIGEST_BATCH);

      outer_update (c, zd, n * DIGEST_BYTES);
      nblocks -= n;
    }
  len %= ASR_CHECKSUM_BLOCK_BYTES;
  if (len > 0)
    {
      memset (c->block, 0, (gsize) len);
      c->pending = (gsize) len;
    }
}

guint64
asr_checksum_get_length (const AsrChecksum *c)
{
  g_return_val_if_fail (c != NULL, 0);
  return c->length;
}

char *
asr_checksum_finish (AsrChecksum *c)
{
  static const char hex[] = "0123456789abcdef";
  guint8 digest[DIGEST_BYTES];
  char *s, *q;

  g_return_val_if_fail (c != NULL, NULL);
  g_return_val_if_fail (!c->finished, NULL);

  if (c->pending > 0)
    hash_one_block (c, c->block, c->pending);
  c->pending = 0;
  if (EVP_DigestFinal_ex (c->outer, digest, NULL) != 1)
    g_error ("libcrypto: SHA-256 failed");
  c->finished = TRUE;

  s = g_malloc (ASR_CHECKSUM_STRING_LENGTH + 1);
  q = g_stpcpy (s, ASR_CHECKSUM_PREFIX);
  for (gsize i = 0; i < DIGEST_BYTES; i++)
    {
      *q++ = hex[digest[i] >> 4];
      *q++ = hex[digest[i] & 0xf];
    }
  *q = '\0';
  return s;
}

gboolean
asr_checksum_verify_string (const char *s)
{
  const gsize plen = sizeof ASR_CHECKSUM_PREFIX - 1;

  if (s == NULL || strncmp (s, ASR_CHECKSUM_PREFIX, plen) != 0)
    return FALSE;
  s += plen;
  for (gsize i = 0; i < 64; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return FALSE; /* also stops at a NUL: too short */
  return s[64] == '\0';
}

/* ---- progress ---------------------------------------------------------- */

#define PROGRESS_INTERVAL_US (G_USEC_PER_SEC / 4)

void
asr_checksum_progress_init (AsrChecksumProgress *p, AsrProgressFunc func, void *opaque,
                            guint64 total)
{
  p->func = func;
  p->opaque = opaque;
  p->total = total;
  p->last_us = g_get_monotonic_time ();
  p->last_done = 0;
  if (func != NULL)
    func (NULL, 0, total, 0, total, opaque);
}

void
asr_checksum_progress_update (AsrChecksumProgress *p, guint64 done)
{
  gint64 now;

  if (p->func == NULL || done == p->last_done)
    return;
  now = g_get_monotonic_time ();
  if (done < p->total && now - p->last_us < PROGRESS_INTERVAL_US)
    return;
  p->last_us = now;
  p->last_done = done;
  p->func (NULL, done, p->total, done, p->total, p->opaque);
}

/* ---- files and block devices ------------------------------------------- */

/* 4 MiB reads: large enough that syscall cost vanishes against hashing,
 * small enough to stay in L2/L3 between read and hash. */
#define FD_CHUNK_BYTES ((gsize) 4 * 1024 * 1024)
/* O_DIRECT alignment when the device does not say more: covers 512- and
 * 4096-byte logical sectors and the page size. */
#define FD_DIRECT_ALIGN ((gsize) 4096)

/* Buffers: one being read, one being hashed, one spare for jitter. */
#define FD_BUFFERS 3

typedef struct {
  int fd;
  gboolean direct;
  gsize align; /* O_DIRECT alignment of offsets, lengths and buffer */
} FdReader;

static gboolean
fd_get_size (int fd, const struct stat *st, guint64 *size, gsize *sector, GError **error)
{
  *sector = 0;
  if (S_ISREG (st->st_mode))
    {
      *size = (guint64) st->st_size;
      return TRUE;
    }
  if (S_ISBLK (st->st_mode))
    {
      int ssz = 0;

      if (ioctl (fd, BLKGETSIZE64, size) < 0)
        {
          int e = errno;
          g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_IO,
                       "cannot get the size of the block device: %s", g_strerror (e));
          return FALSE;
        }
      if (ioctl (fd, BLKSSZGET, &ssz) == 0 && ssz > 0)
        *sector = (gsize) ssz;
      return TRUE;
    }
  g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_IO,
               "not a regular file or block device");
  return FALSE;
}

/* Reads [pos, pos + len) into b, setting b->data and b->len.  With
 * O_DIRECT the read is widened to aligned bounds; bytes outside the range
 * are read and ignored (the fd is read-only to us, reading more is
 * harmless).  len must be at most FD_CHUNK_BYTES. */
static gboolean
fd_read_range (FdReader *r, AsrChecksumBuffer *b, guint64 pos, gsize len, GError **error)
{
  guint64 start = pos;
  gsize skew = 0, want = len, got = 0;

  if (r->direct)
    {
      start = pos - pos % r->align;
      skew = (gsize) (pos - start);
      want = skew + len;
      want += (r->align - want % r->align) % r->align;
    }
  while (got < skew + len)
    {
      ssize_t n = pread (r->fd, b->buf + got, want - got, (off_t) (start + got));

      if (n < 0)
        {
          int e = errno;
          if (e == EINTR)
            continue;
          g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_IO,
                       "read at offset %" G_GUINT64_FORMAT ": %s", start + got, g_strerror (e));
          return FALSE;
        }
      if (n == 0)
        {
          g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_RANGE,
                       "unexpected end of file at offset %" G_GUINT64_FORMAT
                       " (was it truncated while being read?)",
                       start + got);
          return FALSE;
        }
      got += (gsize) n;
      /* A short O_DIRECT read at the end of a device whose size is not a
     * multiple of the alignment leaves got unaligned; the next pread would
     * then be misaligned, but it is only reached if the data we need is
     * beyond the end, which the n == 0 case reports. */
    }
  b->data = b->buf + skew;
  b->len = len;
  return TRUE;
}

static gboolean
fd_is_seek_unsupported (int e)
{
  return e == EINVAL || e == EOPNOTSUPP || e == ENOTSUP || e == ESPIPE;
}

gboolean
asr_checksum_check_range (const char *name, guint64 size, guint64 offset, guint64 *length,
                          GError **error)
{
  const char *sep = name ? ": " : "";
  guint64 end;

  if (name == NULL)
    name = "";
  if (offset > size)
    {
      g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_RANGE,
                   "%s%soffset %" G_GUINT64_FORMAT " is past the end (%" G_GUINT64_FORMAT " bytes)",
                   name, sep, offset, size);
      return FALSE;
    }
  if (*length == ASR_CHECKSUM_TO_END)
    *length = size - offset;
  if (!g_uint64_checked_add (&end, offset, *length) || end > size)
    {
      g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_RANGE,
                   "%s%srange of %" G_GUINT64_FORMAT " bytes at offset %" G_GUINT64_FORMAT
                   " is past the end (%" G_GUINT64_FORMAT " bytes)",
                   name, sep, *length, offset, size);
      return FALSE;
    }
  return TRUE;
}

/* Checks that [offset, offset + *length) lies inside @fd, a regular file
 * or a block device, as asr_checksum_check_range() does; *sector: the
 * device's logical sector size, 0 when it does not say. */
static gboolean
fd_check_range (int fd, guint64 offset, guint64 *length, gsize *sector, GError **error)
{
  struct stat sb;
  guint64 size;

  if (fstat (fd, &sb) < 0)
    {
      int e = errno;
      g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_IO, "fstat: %s", g_strerror (e));
      return FALSE;
    }
  return fd_get_size (fd, &sb, &size, sector, error)
         && asr_checksum_check_range (NULL, size, offset, length, error);
}

/* The extent of @fd that starts at @pos: a hole (*is_hole) or data, up to
 * *extent_end (at most @end).  Where the file system has no hole
 * information *use_seek turns FALSE and the rest counts as data. */
static gboolean
fd_next_extent (int fd, guint64 pos, guint64 end, gboolean *use_seek, gboolean *is_hole,
                guint64 *extent_end, GError **error)
{
  guint64 data_start = pos;

  *is_hole = FALSE;
  *extent_end = end;
  if (!*use_seek)
    return TRUE;

  off_t d = lseek (fd, (off_t) pos, SEEK_DATA);
  if (d < 0 && errno == ENXIO)
    {
      data_start = end; /* a hole up to the end of the file */
    }
  else if (d < 0 && fd_is_seek_unsupported (errno))
    {
      *use_seek = FALSE; /* no hole information: all data */
      return TRUE;
    }
  else if (d < 0)
    {
      int e = errno;
      g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_IO,
                   "lseek(SEEK_DATA) at offset %" G_GUINT64_FORMAT ": %s", pos, g_strerror (e));
      return FALSE;
    }
  else
    {
      data_start = (guint64) d;
    }
  if (data_start > pos)
    {
      *is_hole = TRUE;
      *extent_end = MIN (data_start, end);
      return TRUE;
    }

  off_t h = lseek (fd, (off_t) pos, SEEK_HOLE);
  /* A hole at or before pos means the file changed under us; read
   * rather than guess, the read reports a truncation. */
  if (h > 0 && (guint64) h > pos)
    *extent_end = MIN ((guint64) h, end);
  return TRUE;
}

/* Reads [pos, data_end) in chunks and hands each to the worker. */
static gboolean
fd_hash_data (FdReader *r, AsrChecksumWorker *w, AsrChecksumProgress *prog, AsrChecksumStats *st,
              guint64 pos, guint64 data_end, GError **error)
{
  while (pos < data_end)
    {
      gsize len = (gsize) MIN (data_end - pos, (guint64) FD_CHUNK_BYTES);
      AsrChecksumBuffer *b = asr_checksum_worker_get_buffer (w, TRUE);

      /* Keep later O_DIRECT reads aligned: end this one on a boundary. */
      if (r->direct && len == FD_CHUNK_BYTES)
        len -= (gsize) (pos % r->align);
      if (!fd_read_range (r, b, pos, len, error))
        return FALSE;
      asr_checksum_worker_submit (w, b);
      st->bytes_read += len;
      pos += len;
      asr_checksum_progress_update (prog, asr_checksum_worker_get_done (w));
    }
  return TRUE;
}

/* Hashes [offset, end): holes as zero blocks without reading them, data
 * as read. */
static gboolean
fd_hash_extents (FdReader *r, AsrChecksumWorker *w, AsrChecksumProgress *prog, AsrChecksumStats *st,
                 guint64 offset, guint64 end, GError **error)
{
  gboolean use_seek = TRUE;
  guint64 extent_end;

  for (guint64 pos = offset; pos < end; pos = extent_end)
    {
      gboolean is_hole;

      if (!fd_next_extent (r->fd, pos, end, &use_seek, &is_hole, &extent_end, error))
        return FALSE;
      if (is_hole)
        {
          asr_checksum_worker_submit_zeros (w, extent_end - pos);
          st->bytes_skipped += extent_end - pos;
          asr_checksum_progress_update (prog, asr_checksum_worker_get_done (w));
        }
      else if (!fd_hash_data (r, w, prog, st, pos, extent_end, error))
        {
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
asr_checksum_fd_full (int fd, guint64 offset, guint64 length, AsrProgressFunc progress,
                      void *opaque, AsrChecksumStats *stats, char **out, GError **error)
{
  g_autoptr (AsrChecksum) c = NULL;
  AsrChecksumWorker *w = NULL;
  AsrChecksumProgress prog;
  AsrChecksumStats st = { 0 };
  FdReader r = { .fd = fd };
  gsize sector;
  gboolean ok = FALSE;
  off_t saved_pos;
  int flags;

  g_return_val_if_fail (fd >= 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!fd_check_range (fd, offset, &length, &sector, error))
    return FALSE;

  flags = fcntl (fd, F_GETFL);
  r.direct = flags >= 0 && (flags & O_DIRECT) != 0;
  r.align = MAX (FD_DIRECT_ALIGN, sector);

  /* SEEK_DATA/SEEK_HOLE move the file position, which the caller may rely
   * on; put it back afterwards. */
  saved_pos = lseek (fd, 0, SEEK_CUR);
  st.bytes_total = length;
  c = asr_checksum_new ();
  w = asr_checksum_worker_new (c, FD_BUFFERS, FD_CHUNK_BYTES + 2 * r.align, r.align);
  asr_checksum_progress_init (&prog, progress, opaque, length);

  if (fd_hash_extents (&r, w, &prog, &st, offset, offset + length, error))
    {
      g_clear_pointer (&w, asr_checksum_worker_finish);
      asr_checksum_progress_update (&prog, length);
      *out = asr_checksum_finish (c);
      ok = TRUE;
    }

  g_clear_pointer (&w, asr_checksum_worker_finish);
  if (saved_pos >= 0)
    (void) lseek (fd, saved_pos, SEEK_SET);
  if (stats != NULL)
    *stats = st;
  return ok;
}

gboolean
asr_checksum_fd (int fd, guint64 offset, guint64 length, char **out, GError **error)
{
  return asr_checksum_fd_full (fd, offset, length, NULL, NULL, NULL, out, error);
}
