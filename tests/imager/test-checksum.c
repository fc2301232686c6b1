/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the asr-sha256-64k checksum: the streaming core and the
 * file reader, against a reference computed the slow obvious way with
 * GChecksum (independent of the libcrypto code under test), and against
 * constants computed outside C (Python hashlib) so the definition itself
 * cannot drift.
 */
#include "checksum.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#define BLOCK ((gsize) 65536)

/* Hash every block (zero or not), concatenate the digests, hash that. */
static char *
reference_checksum (const guint8 *data, gsize len)
{
  g_autoptr (GChecksum) outer = g_checksum_new (G_CHECKSUM_SHA256);

  for (gsize off = 0; off < len; off += BLOCK)
    {
      g_autoptr (GChecksum) inner = g_checksum_new (G_CHECKSUM_SHA256);
      guint8 digest[32];
      gsize dlen = sizeof digest;

      g_checksum_update (inner, data + off, MIN (BLOCK, len - off));
      g_checksum_get_digest (inner, digest, &dlen);
      g_assert_cmpuint (dlen, ==, 32);
      g_checksum_update (outer, digest, dlen);
    }
  return g_strconcat ("asr-sha256-64k:", g_checksum_get_string (outer), NULL);
}

static char *
checksum_in_chunks (const guint8 *data, gsize len, gsize chunk)
{
  g_autoptr (AsrChecksum) c = asr_checksum_new ();

  for (gsize off = 0; off < len; off += chunk)
    asr_checksum_add_block (c, data + off, MIN (chunk, len - off));
  g_assert_cmpuint (asr_checksum_get_length (c), ==, len);
  return asr_checksum_finish (c);
}

/* Feeds runs of zeros through add_zero_blocks, the rest as data, split at
 * every change: the path the readers take for holes. */
static char *
checksum_zeros_as_holes (const guint8 *data, gsize len)
{
  g_autoptr (AsrChecksum) c = asr_checksum_new ();
  gsize off = 0;

  while (off < len)
    {
      gboolean zero = data[off] == 0;
      gsize end = off;

      while (end < len && (data[end] == 0) == zero)
        end++;
      if (zero)
        asr_checksum_add_zero_blocks (c, end - off);
      else
        asr_checksum_add_block (c, data + off, end - off);
      off = end;
    }
  return asr_checksum_finish (c);
}

/* ---- contents -------------------------------------------------------- */

typedef struct {
  const char *name;
  gsize length;
  void (*fill) (guint8 *buf, gsize len);
  const char *expected; /* from Python hashlib, or NULL */
} Content;

static void
fill_zero (guint8 *buf, gsize len)
{
  memset (buf, 0, len);
}

/* The pattern the Python constants were computed from. */
static void
fill_pattern (guint8 *buf, gsize len)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) ((i * 7 + i / 65536) & 0xff);
}

static void
fill_a (guint8 *buf, gsize len)
{
  memset (buf, 'a', len);
}

/* data, zero, zero, data (one byte), zero, data ..., not block aligned,
 * with a zero block that is not a whole block at both ends. */
static void
fill_mixed (guint8 *buf, gsize len)
{
  GRand *r = g_rand_new_with_seed (42);

  memset (buf, 0, len);
  for (gsize i = 0; i < MIN (len, BLOCK + 100); i++)
    buf[i] = (guint8) g_rand_int_range (r, 1, 256);
  if (len > 3 * BLOCK + 5)
    buf[3 * BLOCK + 5] = 1;
  for (gsize i = 5 * BLOCK - 17; i < MIN (len, 6 * BLOCK + 3); i++)
    buf[i] = (guint8) g_rand_int (r);
  g_rand_free (r);
}

/* a full data block then a short all-zero last block */
static void
fill_short_zero_tail (guint8 *buf, gsize len)
{
  fill_pattern (buf, len);
  memset (buf + BLOCK, 0, len - BLOCK);
}

static const Content contents[] = {
  { "empty", 0, fill_zero,
    "asr-sha256-64k:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
  { "one-byte", 1, fill_a,
    "asr-sha256-64k:bf5d3affb73efd2ec6c36ad3112dd933efed63c4e1cbffcfa88e2759c144f2d8" },
  { "one-zero-byte", 1, fill_zero, NULL },
  { "one-block", BLOCK, fill_pattern, NULL },
  { "one-block-plus-one", BLOCK + 1, fill_pattern, NULL },
  { "pattern", 3 * BLOCK + 1000, fill_pattern,
    "asr-sha256-64k:8626746806f098cff45399f44952d15ad9fd60a728591fbe68b95317f4b737aa" },
  { "zero-1m", 1024 * 1024, fill_zero,
    "asr-sha256-64k:89e3932606f35fe40122f1fef83b84e8626a26620e91abe05012e884f605c051" },
  { "mixed", 8 * BLOCK + 12345, fill_mixed, NULL },
  { "short-zero-tail", BLOCK + 1000, fill_short_zero_tail, NULL },
};

static guint8 *
make_content (const Content *ct)
{
  guint8 *buf = g_malloc (MAX (ct->length, 1));

  ct->fill (buf, ct->length);
  return buf;
}

static void
test_known_answer (gconstpointer data)
{
  const Content *ct = data;
  g_autofree guint8 *buf = make_content (ct);
  g_autofree char *ref = reference_checksum (buf, ct->length);
  g_autofree char *one = checksum_in_chunks (buf, ct->length, MAX (ct->length, 1));

  g_assert_true (asr_checksum_verify_string (one));
  g_assert_cmpstr (one, ==, ref);
  if (ct->expected != NULL)
    g_assert_cmpstr (one, ==, ct->expected);
}

static void
test_streaming (gconstpointer data)
{
  const Content *ct = data;
  g_autofree guint8 *buf = make_content (ct);
  g_autofree char *ref = reference_checksum (buf, ct->length);
  const gsize chunks[] = { 1, 4095, 70000, BLOCK, 3 * BLOCK + 1 };

  for (gsize i = 0; i < G_N_ELEMENTS (chunks); i++)
    {
      g_autofree char *s = checksum_in_chunks (buf, ct->length, chunks[i]);

      g_test_message ("chunk %" G_GSIZE_FORMAT, chunks[i]);
      g_assert_cmpstr (s, ==, ref);
    }
}

static void
test_zero_runs (gconstpointer data)
{
  const Content *ct = data;
  g_autofree guint8 *buf = make_content (ct);
  g_autofree char *ref = reference_checksum (buf, ct->length);
  g_autofree char *s = checksum_zeros_as_holes (buf, ct->length);

  g_assert_cmpstr (s, ==, ref);
}

/* Many whole zero blocks go through the batched path; odd splits. */
static void
test_zero_large (void)
{
  const gsize len = 8 * 1024 * 1024 + 4097;
  g_autofree guint8 *zeros = g_malloc0 (len);
  g_autofree char *ref = reference_checksum (zeros, len);
  g_autoptr (AsrChecksum) c = asr_checksum_new ();
  g_autofree char *s = NULL;

  asr_checksum_add_zero_blocks (c, 3);
  asr_checksum_add_zero_blocks (c, 0);
  asr_checksum_add_block (c, zeros, 70000);
  asr_checksum_add_zero_blocks (c, len - 3 - 70000 - 10);
  asr_checksum_add_block (c, zeros, 10);
  s = asr_checksum_finish (c);
  g_assert_cmpstr (s, ==, ref);
}

/* The checksum binds the length: more zeros is another checksum. */
static void
test_length_matters (void)
{
  g_autoptr (AsrChecksum) a = asr_checksum_new ();
  g_autoptr (AsrChecksum) b = asr_checksum_new ();
  g_autofree char *sa = NULL, *sb = NULL;

  asr_checksum_add_zero_blocks (a, BLOCK);
  asr_checksum_add_zero_blocks (b, BLOCK + 1);
  sa = asr_checksum_finish (a);
  sb = asr_checksum_finish (b);
  g_assert_cmpstr (sa, !=, sb);
}

static void
test_verify_string (void)
{
  const char *good
    = "asr-sha256-64k:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  const char *bad[] = {
    "",
    "asr-sha256-64k:",
    "asr-sha256-64k:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
    "asr-sha256-64k:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
    "asr-sha256-64k:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
    "asr-sha256-64k:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g",
    "asr-sha256-64k:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ",
    " asr-sha256-64k:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "asr-sha256-4k:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  };

  g_assert_true (asr_checksum_verify_string (good));
  g_assert_cmpuint (strlen (good), ==, ASR_CHECKSUM_STRING_LENGTH);
  g_assert_false (asr_checksum_verify_string (NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("%s", bad[i]);
      g_assert_false (asr_checksum_verify_string (bad[i]));
    }
}

/* ---- files ------------------------------------------------------------ */

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("test-checksum-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr (GDir) d = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_assert_cmpint (g_unlink (p), ==, 0);
    }
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->dir);
}

static void
write_all (int fd, const guint8 *buf, gsize len, guint64 offset)
{
  while (len > 0)
    {
      ssize_t n = pwrite (fd, buf, len, (off_t) offset);

      g_assert_cmpint (n, >, 0);
      buf += n;
      len -= (gsize) n;
      offset += (guint64) n;
    }
}

/* Writes buf densely (every byte) to one file and sparsely (only its
 * non-zero 4 KiB pieces, the rest left as holes) to another. */
static void
write_dense_and_sparse (const char *dense, const char *sparse, const guint8 *buf, gsize len)
{
  int fd = open (dense, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  write_all (fd, buf, len, 0);
  g_assert_cmpint (close (fd), ==, 0);

  fd = open (sparse, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) len), ==, 0);
  for (gsize off = 0; off < len; off += 4096)
    {
      gsize n = MIN ((gsize) 4096, len - off);
      gboolean zero = TRUE;

      for (gsize i = 0; i < n && zero; i++)
        zero = buf[off + i] == 0;
      if (!zero)
        write_all (fd, buf + off, n, off);
    }
  g_assert_cmpint (close (fd), ==, 0);
}

static gboolean
file_has_hole (int fd)
{
  off_t h = lseek (fd, 0, SEEK_HOLE);
  struct stat st;

  g_assert_cmpint (fstat (fd, &st), ==, 0);
  return h >= 0 && h < st.st_size;
}

/* Large enough for several 4 MiB reads, holes of many sizes. */
static guint8 *
make_sparse_content (gsize *len_out)
{
  const gsize len = 13 * 1024 * 1024 + 777;
  guint8 *buf = g_malloc0 (len);
  GRand *r = g_rand_new_with_seed (7);

  for (gsize off = 0; off < len; off += 4096)
    {
      /* about half the 4 KiB pieces hold data, in runs */
      if ((off / 4096) % 7 < 3 || (off > 5 * 1024 * 1024 && off < 9 * 1024 * 1024))
        for (gsize i = off; i < MIN (off + 4096, len); i++)
          buf[i] = (guint8) g_rand_int (r);
    }
  for (gsize i = len - 500; i < len; i++)
    buf[i] = 0x5a;
  g_rand_free (r);
  *len_out = len;
  return buf;
}

static void
test_fd_sparse (Fixture *f, gconstpointer data)
{
  g_autofree char *dense = g_build_filename (f->dir, "dense", NULL);
  g_autofree char *sparse = g_build_filename (f->dir, "sparse", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *s_dense = NULL, *s_sparse = NULL, *ref = NULL;
  AsrChecksumStats st_dense, st_sparse;
  gsize len;
  g_autofree guint8 *buf = make_sparse_content (&len);
  int fd;

  write_dense_and_sparse (dense, sparse, buf, len);
  ref = reference_checksum (buf, len);

  fd = open (dense, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_true (
    asr_checksum_fd_full (fd, 0, ASR_CHECKSUM_TO_END, NULL, NULL, &st_dense, &s_dense, &error));
  g_assert_no_error (error);
  close (fd);

  fd = open (sparse, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (lseek (fd, 1234, SEEK_SET), ==, 1234);
  g_assert_true (
    asr_checksum_fd_full (fd, 0, ASR_CHECKSUM_TO_END, NULL, NULL, &st_sparse, &s_sparse, &error));
  g_assert_no_error (error);
  /* the caller's file position is kept */
  g_assert_cmpint (lseek (fd, 0, SEEK_CUR), ==, 1234);

  g_assert_cmpstr (s_dense, ==, ref);
  g_assert_cmpstr (s_sparse, ==, ref);
  g_assert_cmpuint (st_dense.bytes_total, ==, len);
  g_assert_cmpuint (st_sparse.bytes_total, ==, len);
  g_assert_cmpuint (st_sparse.bytes_read + st_sparse.bytes_skipped, ==, len);
  g_assert_cmpuint (st_dense.bytes_read + st_dense.bytes_skipped, ==, len);
  if (file_has_hole (fd))
    g_assert_cmpuint (st_sparse.bytes_skipped, >, 0);
  else
    g_test_message ("file system made no holes: skipping is not exercised");
  close (fd);
}

static void
test_fd_ranges (Fixture *f, gconstpointer data)
{
  g_autofree char *dense = g_build_filename (f->dir, "dense", NULL);
  g_autofree char *sparse = g_build_filename (f->dir, "sparse", NULL);
  gsize len;
  g_autofree guint8 *buf = make_sparse_content (&len);
  const struct {
    guint64 offset, length;
  } ranges[] = {
    { 0, 0 },
    { 0, 1 },
    { 1, 1 },
    { 4095, 70000 },
    { 65536, 65536 },
    { 4096 * 3 + 5, 5 * 1024 * 1024 + 3 },
    { 100, 0 },
    { 0, len },
    { len, 0 },
    { len - 1, 1 },
    { 12 * 1024 * 1024, len - 12 * 1024 * 1024 },
  };
  const char *files[] = { dense, sparse };

  write_dense_and_sparse (dense, sparse, buf, len);
  for (gsize fi = 0; fi < G_N_ELEMENTS (files); fi++)
    {
      int fd = open (files[fi], O_RDONLY | O_CLOEXEC);

      g_assert_cmpint (fd, >=, 0);
      for (gsize i = 0; i < G_N_ELEMENTS (ranges); i++)
        {
          g_autoptr (GError) error = NULL;
          g_autofree char *s = NULL;
          g_autofree char *ref
            = reference_checksum (buf + ranges[i].offset, (gsize) ranges[i].length);

          g_test_message ("%s [%" G_GUINT64_FORMAT ", +%" G_GUINT64_FORMAT ")", files[fi],
                          ranges[i].offset, ranges[i].length);
          g_assert_true (asr_checksum_fd (fd, ranges[i].offset, ranges[i].length, &s, &error));
          g_assert_no_error (error);
          g_assert_cmpstr (s, ==, ref);
        }
      {
        /* to the end from an offset */
        g_autoptr (GError) error = NULL;
        g_autofree char *s = NULL;
        g_autofree char *ref = reference_checksum (buf + 99999, len - 99999);

        g_assert_true (asr_checksum_fd (fd, 99999, ASR_CHECKSUM_TO_END, &s, &error));
        g_assert_no_error (error);
        g_assert_cmpstr (s, ==, ref);
      }
      close (fd);
    }
}

static void
test_fd_bad_range (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "small", NULL);
  const struct {
    guint64 offset, length;
  } bad[] = {
    { 0, 4097 },
    { 4097, 0 },
    { 4097, ASR_CHECKSUM_TO_END },
    { 1, 4096 },
    { 2, G_MAXUINT64 - 1 },
    { G_MAXUINT64 - 1, 2 },
  };
  int fd;

  g_assert_true (g_file_set_contents (path, "x", 1, NULL));
  fd = open (path, O_RDWR | O_CLOEXEC);
  g_assert_cmpint (ftruncate (fd, 4096), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      char *s = NULL;

      g_assert_false (asr_checksum_fd (fd, bad[i].offset, bad[i].length, &s, &error));
      g_assert_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_RANGE);
      g_assert_null (s);
      g_assert_nonnull (strstr (error->message, "past the end"));
    }
  close (fd);
}

static void
test_fd_not_a_file (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  char *s = NULL;
  int fd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int pipefd[2];

  g_assert_cmpint (fd, >=, 0);
  g_assert_false (asr_checksum_fd (fd, 0, ASR_CHECKSUM_TO_END, &s, &error));
  g_assert_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_IO);
  g_assert_null (s);
  close (fd);
  g_clear_error (&error);

  g_assert_cmpint (pipe (pipefd), ==, 0);
  g_assert_false (asr_checksum_fd (pipefd[0], 0, 10, &s, &error));
  g_assert_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_IO);
  close (pipefd[0]);
  close (pipefd[1]);
}

/* Needs a file system with O_DIRECT (not tmpfs): skipped otherwise. */
static void
test_fd_direct (Fixture *f, gconstpointer data)
{
  g_autofree char *dense = g_build_filename (f->dir, "dense", NULL);
  g_autofree char *sparse = g_build_filename (f->dir, "sparse", NULL);
  gsize len;
  g_autofree guint8 *buf = make_sparse_content (&len);
  const struct {
    guint64 offset, length;
  } ranges[] = {
    { 0, len },     { 1000, 300000 }, { 4096, 8 * 1024 * 1024 }, { 511, 4 * 1024 * 1024 + 1 },
    { len - 3, 3 },
  };
  const char *files[] = { dense, sparse };

  write_dense_and_sparse (dense, sparse, buf, len);
  for (gsize fi = 0; fi < G_N_ELEMENTS (files); fi++)
    {
      int fd = open (files[fi], O_RDONLY | O_DIRECT | O_CLOEXEC);

      if (fd < 0 && errno == EINVAL)
        {
          g_test_skip ("O_DIRECT not supported by this file system");
          return;
        }
      g_assert_cmpint (fd, >=, 0);
      for (gsize i = 0; i < G_N_ELEMENTS (ranges); i++)
        {
          g_autoptr (GError) error = NULL;
          g_autofree char *s = NULL;
          g_autofree char *ref
            = reference_checksum (buf + ranges[i].offset, (gsize) ranges[i].length);

          g_test_message ("%s [%" G_GUINT64_FORMAT ", +%" G_GUINT64_FORMAT ")", files[fi],
                          ranges[i].offset, ranges[i].length);
          g_assert_true (asr_checksum_fd (fd, ranges[i].offset, ranges[i].length, &s, &error));
          g_assert_no_error (error);
          g_assert_cmpstr (s, ==, ref);
        }
      close (fd);
    }
}

typedef struct {
  guint calls;
  guint64 last_done;
  guint64 total;
} ProgressLog;

static void
record_progress (const char *what, guint64 done, guint64 total, guint64 all_done, guint64 all_total,
                 void *opaque)
{
  ProgressLog *log = opaque;

  if (log->calls > 0)
    g_assert_cmpuint (done, >, log->last_done);
  g_assert_cmpuint (done, <=, total);
  log->calls++;
  log->last_done = done;
  log->total = total;
}

static void
test_fd_progress (Fixture *f, gconstpointer data)
{
  g_autofree char *dense = g_build_filename (f->dir, "dense", NULL);
  g_autofree char *sparse = g_build_filename (f->dir, "sparse", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *s = NULL;
  ProgressLog log = { 0 };
  gint64 start, elapsed;
  gsize len;
  g_autofree guint8 *buf = make_sparse_content (&len);
  int fd;

  write_dense_and_sparse (dense, sparse, buf, len);
  fd = open (sparse, O_RDONLY | O_CLOEXEC);
  start = g_get_monotonic_time ();
  g_assert_true (
    asr_checksum_fd_full (fd, 0, ASR_CHECKSUM_TO_END, record_progress, &log, NULL, &s, &error));
  elapsed = g_get_monotonic_time () - start;
  g_assert_no_error (error);
  close (fd);
  /* 0 at the start, total at the end, at most 4 a second in between
   * (a bound from the run's own duration, not a timing assertion) */
  g_assert_cmpuint (log.calls, >=, 2);
  g_assert_cmpuint (log.calls, <=, 3 + 4 * (guint64) elapsed / G_USEC_PER_SEC);
  g_assert_cmpuint (log.last_done, ==, len);
  g_assert_cmpuint (log.total, ==, len);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (contents); i++)
    {
      g_autofree char *a = g_strdup_printf ("/imager/checksum/known-answer/%s", contents[i].name);
      g_autofree char *b = g_strdup_printf ("/imager/checksum/streaming/%s", contents[i].name);
      g_autofree char *c = g_strdup_printf ("/imager/checksum/zero-runs/%s", contents[i].name);

      g_test_add_data_func (a, &contents[i], test_known_answer);
      g_test_add_data_func (b, &contents[i], test_streaming);
      g_test_add_data_func (c, &contents[i], test_zero_runs);
    }
  g_test_add_func ("/imager/checksum/zero-large", test_zero_large);
  g_test_add_func ("/imager/checksum/length-matters", test_length_matters);
  g_test_add_func ("/imager/checksum/verify-string", test_verify_string);
  g_test_add ("/imager/checksum/fd/sparse-equals-dense", Fixture, NULL, fixture_setup,
              test_fd_sparse, fixture_teardown);
  g_test_add ("/imager/checksum/fd/ranges", Fixture, NULL, fixture_setup, test_fd_ranges,
              fixture_teardown);
  g_test_add ("/imager/checksum/fd/range-past-end", Fixture, NULL, fixture_setup, test_fd_bad_range,
              fixture_teardown);
  g_test_add ("/imager/checksum/fd/not-a-file", Fixture, NULL, fixture_setup, test_fd_not_a_file,
              fixture_teardown);
  g_test_add ("/imager/checksum/fd/o-direct", Fixture, NULL, fixture_setup, test_fd_direct,
              fixture_teardown);
  g_test_add ("/imager/checksum/fd/progress", Fixture, NULL, fixture_setup, test_fd_progress,
              fixture_teardown);

  return g_test_run ();
}
