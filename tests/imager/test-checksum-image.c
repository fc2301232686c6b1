/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Integration tests of asr_checksum_image(): real qemu images through a
 * private qemu-nbd.  Every test is skipped when qemu-img, qemu-io or
 * qemu-nbd is missing (meson's TAP protocol treats exit 77 as an error, so
 * the skip is per test: all skipped makes meson report SKIP).
 */
#include "checksum.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#define MiB ((guint64) 1024 * 1024)

static char *missing_tool;

typedef struct {
  char *dir;
} Fixture;

/* The fds the code under test could leak: sockets (listening or NBD) and
 * files in its private directory.  (A count would also see GLib's own
 * lazily opened eventfds.) */
static void
assert_no_leaked_fds (void)
{
  g_autoptr (GDir) d = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *link = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (target == NULL)
        continue; /* the directory's own fd, closed by now */
      g_assert_false (g_str_has_prefix (target, "socket:"));
      g_assert_null (strstr (target, "/asr-checksum-"));
    }
}

/* Children of this process, running or zombie, from /proc (waitpid would
 * reap them behind GSubprocess's back). */
static guint
count_children (void)
{
  g_autoptr (GDir) d = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc", name, "stat", NULL);
      g_autofree char *stat = NULL;
      const char *p;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      /* pid (comm) state ppid ...; comm may hold spaces and parentheses */
      p = strrchr (stat, ')');
      if (p != NULL && p[1] == ' ' && p[2] != '\0' && p[3] == ' '
          && g_ascii_strtoll (p + 4, NULL, 10) == getpid ())
        n++;
    }
  return n;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("test-checksum-image-XXXXXX", &error);
  g_assert_no_error (error);
}

/* After every test, success or failure: no qemu-nbd left running or
 * unreaped, no private directory left behind, no fd leaked. */
static void
assert_cleaned_up (Fixture *f)
{
  GDir *tmp = g_dir_open (g_get_tmp_dir (), 0, NULL);
  const char *name;

  g_assert_cmpuint (count_children (), ==, 0);
  while ((name = g_dir_read_name (tmp)) != NULL)
    g_assert_false (g_str_has_prefix (name, "asr-checksum-"));
  g_dir_close (tmp);
  assert_no_leaked_fds ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr (GDir) d = NULL;
  const char *name;

  assert_cleaned_up (f);
  d = g_dir_open (f->dir, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_assert_cmpint (g_unlink (p), ==, 0);
    }
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->dir);
}

static gboolean
skip_without_tools (void)
{
  if (missing_tool == NULL)
    return FALSE;
  {
    g_autofree char *msg = g_strdup_printf ("%s not found", missing_tool);
    g_test_skip (msg);
  }
  return TRUE;
}

static void run (const char *first, ...) G_GNUC_NULL_TERMINATED;

static void
run (const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  va_list ap;

  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", first, err);
}

static void
write_at (const char *path, guint64 offset, const guint8 *buf, gsize len)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, buf, len, (off_t) offset), ==, (gssize) len);
  g_assert_cmpint (close (fd), ==, 0);
}

/* A sparse raw file of size bytes: random data at a few places (not
 * cluster or block aligned), explicit zero bytes, holes elsewhere. */
static char *
make_raw (Fixture *f, const char *name, guint64 size)
{
  char *path = g_build_filename (f->dir, name, NULL);
  g_autofree guint8 *buf = g_malloc (3 * MiB);
  GRand *r = g_rand_new_with_seed (99);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpuint (size, >=, 6 * MiB); /* the writes below fit */
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) size), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);
  for (gsize i = 0; i < 3 * MiB; i++)
    buf[i] = (guint8) g_rand_int (r);
  g_rand_free (r);
  write_at (path, 0, buf, 1000);
  write_at (path, 70001, buf + 1000, 3 * MiB - 1000);
  memset (buf, 0, 200000);
  write_at (path, 5 * MiB, buf, 200000); /* written zeros */
  write_at (path, size - 1, (const guint8 *) "\x01", 1);
  return path;
}

static char *
checksum_raw_fd (const char *path, guint64 offset, guint64 length)
{
  g_autoptr (GError) error = NULL;
  char *s = NULL;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_true (asr_checksum_fd (fd, offset, length, &s, &error));
  g_assert_no_error (error);
  close (fd);
  return s;
}

static void
test_qcow2_equals_raw (Fixture *f, gconstpointer data)
{
  g_autofree char *raw = NULL, *qcow2 = NULL;
  g_autofree char *s_fd = NULL, *s_raw = NULL, *s_qcow2 = NULL;
  g_autoptr (GError) error = NULL;
  AsrChecksumStats st;

  if (skip_without_tools ())
    return;
  raw = make_raw (f, "disk.raw", 9 * MiB + 4608);
  qcow2 = g_build_filename (f->dir, "disk.qcow2", NULL);
  run ("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2, NULL);

  s_fd = checksum_raw_fd (raw, 0, ASR_CHECKSUM_TO_END);
  g_assert_true (asr_checksum_image (raw, "raw", &s_raw, &error));
  g_assert_no_error (error);
  g_assert_true (asr_checksum_image_full (qcow2, "qcow2", 0, ASR_CHECKSUM_TO_END, NULL, NULL, &st,
                                          &s_qcow2, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (s_raw, ==, s_fd);
  g_assert_cmpstr (s_qcow2, ==, s_fd);
  g_assert_cmpuint (st.bytes_total, ==, 9 * MiB + 4608);
  g_assert_cmpuint (st.bytes_read + st.bytes_skipped, ==, st.bytes_total);
  /* qemu-img convert drops zero clusters: well over half is skipped */
  g_assert_cmpuint (st.bytes_skipped, >, 5 * MiB);
}

static void
test_ranges (Fixture *f, gconstpointer data)
{
  const struct {
    guint64 offset, length;
  } ranges[] = {
    { 0, 0 },
    { 0, 1 },
    { 999, 2 },
    { 65536, 65536 },
    { 4097, 4 * MiB + 3 },
    { 9 * MiB, 4608 },
    { 9 * MiB + 4607, 1 },
    { 2 * MiB, 7 * MiB },
  };
  g_autofree char *raw = NULL, *qcow2 = NULL;

  if (skip_without_tools ())
    return;
  raw = make_raw (f, "disk.raw", 9 * MiB + 4608);
  qcow2 = g_build_filename (f->dir, "disk.qcow2", NULL);
  run ("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (ranges); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *s = NULL;
      g_autofree char *ref = checksum_raw_fd (raw, ranges[i].offset, ranges[i].length);

      g_test_message ("[%" G_GUINT64_FORMAT ", +%" G_GUINT64_FORMAT ")", ranges[i].offset,
                      ranges[i].length);
      g_assert_true (asr_checksum_image_full (qcow2, "qcow2", ranges[i].offset, ranges[i].length,
                                              NULL, NULL, NULL, &s, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (s, ==, ref);
    }
  {
    g_autoptr (GError) error = NULL;
    char *s = NULL;

    g_assert_false (
      asr_checksum_image_full (qcow2, "qcow2", 9 * MiB, 4609, NULL, NULL, NULL, &s, &error));
    g_assert_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_RANGE);
    g_assert_null (s);
  }
}

/* Unallocated clusters of an overlay read from the backing file: they must
 * be hashed, not skipped as holes.  (A backing file is refused by capture,
 * but the checksum works on any image qemu opens with the given format.) */
static void
test_backing_chain (Fixture *f, gconstpointer data)
{
  g_autofree char *raw = NULL, *base = NULL, *overlay = NULL;
  g_autofree char *s_base = NULL, *s_overlay = NULL, *s_changed = NULL;
  g_autoptr (GError) error = NULL;

  if (skip_without_tools ())
    return;
  raw = make_raw (f, "disk.raw", 6 * MiB);
  base = g_build_filename (f->dir, "base.qcow2", NULL);
  overlay = g_build_filename (f->dir, "overlay.qcow2", NULL);
  run ("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, base, NULL);
  run ("qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", overlay, NULL);

  g_assert_true (asr_checksum_image (base, "qcow2", &s_base, &error));
  g_assert_no_error (error);
  g_assert_true (asr_checksum_image (overlay, "qcow2", &s_overlay, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (s_overlay, ==, s_base);

  /* zeroing a data cluster in the overlay changes the content */
  run ("qemu-io", "-f", "qcow2", "-c", "write -z 0 64k", overlay, NULL);
  g_assert_true (asr_checksum_image (overlay, "qcow2", &s_changed, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (s_changed, !=, s_base);
}

static void
assert_image_fails (const char *path, const char *format, int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  char *s = NULL;

  g_assert_false (asr_checksum_image (path, format, &s, &error));
  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  g_assert_error (error, ASR_CHECKSUM_ERROR, code);
  g_assert_null (s);
  if (needle != NULL)
    g_assert_nonnull (strstr (error->message, needle));
}

static void
test_bad_images (Fixture *f, gconstpointer data)
{
  g_autofree char *raw = NULL, *qcow2 = NULL, *text = NULL, *missing = NULL;

  if (skip_without_tools ())
    return;
  raw = make_raw (f, "disk.raw", 6 * MiB);
  qcow2 = g_build_filename (f->dir, "disk.qcow2", NULL);
  text = g_build_filename (f->dir, "text", NULL);
  missing = g_build_filename (f->dir, "missing.qcow2", NULL);
  run ("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2, NULL);
  g_assert_true (g_file_set_contents (text, "not an image\n", -1, NULL));

  assert_image_fails (missing, "qcow2", ASR_CHECKSUM_ERROR_IO, "No such file");
  assert_image_fails (text, "qcow2", ASR_CHECKSUM_ERROR_NBD, "qemu-nbd: ");
  assert_image_fails (qcow2, "qcow2,backing.driver=raw", ASR_CHECKSUM_ERROR_INVALID, NULL);
  assert_image_fails (qcow2, "", ASR_CHECKSUM_ERROR_INVALID, NULL);
  assert_image_fails (qcow2, "no-such-format", ASR_CHECKSUM_ERROR_NBD, "qemu-nbd: ");

  /* truncated to its header: qemu-nbd refuses to open it */
  g_assert_cmpint (truncate (qcow2, 100), ==, 0);
  assert_image_fails (qcow2, "qcow2", ASR_CHECKSUM_ERROR_NBD, "qemu-nbd: ");
}

static guint64
read_be64 (const guint8 *p)
{
  guint64 v;

  memcpy (&v, p, 8);
  return GUINT64_FROM_BE (v);
}

/* Opens fine, fails once qemu looks at the cluster: an L2 entry pointing
 * to an unaligned offset makes qemu call the image corrupt and return EIO
 * (to block status, which asks first). */
static void
test_corrupt_l2 (Fixture *f, gconstpointer data)
{
  g_autofree char *raw = NULL, *qcow2 = NULL;
  g_autofree guint8 *img = NULL;
  gsize img_len;
  guint64 l1_offset, l2_offset, entry;
  gboolean corrupted = FALSE;

  if (skip_without_tools ())
    return;
  raw = make_raw (f, "disk.raw", 6 * MiB);
  qcow2 = g_build_filename (f->dir, "disk.qcow2", NULL);
  run ("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2, NULL);

  g_assert_true (g_file_get_contents (qcow2, (char **) &img, &img_len, NULL));
  l1_offset = read_be64 (img + 40);
  g_assert_cmpuint (l1_offset + 8, <=, img_len);
  l2_offset = read_be64 (img + l1_offset) & G_GUINT64_CONSTANT (0x00fffffffffffe00);
  g_assert_cmpuint (l2_offset, >, 0);
  /* the 17th cluster (1 MiB at 64 KiB clusters) holds random data */
  for (gsize i = 16; i < 32 && !corrupted; i++)
    {
      guint8 *p = img + l2_offset + i * 8;

      entry = read_be64 (p);
      if ((entry & G_GUINT64_CONSTANT (0x00fffffffffffe00)) == 0)
        continue;
      entry = GUINT64_TO_BE (entry | 0x200);
      memcpy (p, &entry, 8);
      corrupted = TRUE;
    }
  g_assert_true (corrupted);
  g_assert_true (g_file_set_contents (qcow2, (char *) img, (gssize) img_len, NULL));

  assert_image_fails (qcow2, "qcow2", ASR_CHECKSUM_ERROR_NBD, "Image is corrupt");
}

/* 4 GiB virtual, 1 MiB of data: only the data is read. */
static void
test_sparse_4g (Fixture *f, gconstpointer data)
{
  const guint64 size = 4096 * MiB;
  g_autofree char *raw = g_build_filename (f->dir, "sparse.raw", NULL);
  g_autofree char *qcow2 = g_build_filename (f->dir, "sparse.qcow2", NULL);
  g_autofree char *s_fd = NULL, *s_img = NULL;
  g_autofree guint8 *buf = g_malloc (MiB);
  g_autoptr (GError) error = NULL;
  AsrChecksumStats st;
  int fd;

  if (skip_without_tools ())
    return;
  fd = open (raw, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_cmpint (ftruncate (fd, (off_t) size), ==, 0);
  close (fd);
  memset (buf, 0xab, MiB);
  write_at (raw, 3 * 1024 * MiB + 12345, buf, MiB);
  run ("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2, NULL);

  s_fd = checksum_raw_fd (raw, 0, ASR_CHECKSUM_TO_END);
  g_assert_true (asr_checksum_image_full (qcow2, "qcow2", 0, ASR_CHECKSUM_TO_END, NULL, NULL, &st,
                                          &s_img, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (s_img, ==, s_fd);
  g_assert_cmpuint (st.bytes_total, ==, size);
  /* 1 MiB at an unaligned offset touches 17 clusters of 64 KiB */
  g_assert_cmpuint (st.bytes_read, >=, MiB);
  g_assert_cmpuint (st.bytes_read, <=, MiB + 128 * 1024);
  g_assert_cmpuint (st.bytes_skipped, ==, size - st.bytes_read);
}

/* qemu shows a raw file whose size is not a multiple of 512 rounded up to
 * whole sectors, the tail reading as zeros: that is its guest-visible
 * content, and what the checksum covers. */
static void
test_raw_odd_size (Fixture *f, gconstpointer data)
{
  g_autofree char *raw = NULL, *padded = NULL;
  g_autofree char *s_img = NULL, *s_padded = NULL, *s_exact = NULL;
  g_autoptr (GError) error = NULL;
  AsrChecksumStats st;

  if (skip_without_tools ())
    return;
  raw = make_raw (f, "odd.raw", 6 * MiB + 4321);
  padded = make_raw (f, "padded.raw", 6 * MiB + 4608);
  write_at (padded, 6 * MiB + 4320, (const guint8 *) "\x01", 1);
  write_at (padded, 6 * MiB + 4607, (const guint8 *) "\0", 1);
  s_exact = checksum_raw_fd (raw, 0, ASR_CHECKSUM_TO_END);
  s_padded = checksum_raw_fd (padded, 0, ASR_CHECKSUM_TO_END);
  g_assert_true (
    asr_checksum_image_full (raw, "raw", 0, ASR_CHECKSUM_TO_END, NULL, NULL, &st, &s_img, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (st.bytes_total, ==, 6 * MiB + 4608);
  g_assert_cmpstr (s_img, ==, s_padded);
  g_assert_cmpstr (s_img, !=, s_exact);
}

/* L = 0: SHA-256 of the empty string, as documented in checksum.h. */
static void
test_empty_image (Fixture *f, gconstpointer data)
{
  g_autofree char *qcow2 = g_build_filename (f->dir, "empty.qcow2", NULL);
  g_autofree char *s = NULL;
  g_autoptr (GError) error = NULL;

  if (skip_without_tools ())
    return;
  run ("qemu-img", "create", "-q", "-f", "qcow2", qcow2, "0", NULL);
  g_assert_true (asr_checksum_image (qcow2, "qcow2", &s, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (s, ==,
                   "asr-sha256-64k:"
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

typedef struct {
  guint calls;
  guint64 last_done;
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
}

static void
test_progress (Fixture *f, gconstpointer data)
{
  g_autofree char *raw = NULL;
  g_autofree char *s = NULL;
  g_autoptr (GError) error = NULL;
  ProgressLog log = { 0 };

  if (skip_without_tools ())
    return;
  raw = make_raw (f, "disk.raw", 6 * MiB);
  g_assert_true (asr_checksum_image_full (raw, "raw", 0, ASR_CHECKSUM_TO_END, record_progress, &log,
                                          NULL, &s, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (log.calls, >=, 2);
  g_assert_cmpuint (log.last_done, ==, 6 * MiB);
}

int
main (int argc, char **argv)
{
  const char *tools[] = { "qemu-img", "qemu-io", "qemu-nbd" };
  const char *base = g_getenv ("TMPDIR");
  g_autofree char *tmpdir = NULL;
  int ret;

  /* A private TMPDIR, set before anything caches g_get_tmp_dir(): the
   * clean-up checks must not see other tests' directories. */
  tmpdir = g_build_filename (base != NULL && *base != '\0' ? base : "/tmp",
                             "test-checksum-image-XXXXXX", NULL);
  if (g_mkdtemp (tmpdir) == NULL)
    g_error ("mkdtemp: %s", g_strerror (errno));
  g_setenv ("TMPDIR", tmpdir, TRUE);

  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (tools) && missing_tool == NULL; i++)
    {
      g_autofree char *p = g_find_program_in_path (tools[i]);
      if (p == NULL)
        missing_tool = g_strdup (tools[i]);
    }

#define ADD(name, func) \
  g_test_add ("/imager/checksum-image/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("qcow2-equals-raw", test_qcow2_equals_raw);
  ADD ("ranges", test_ranges);
  ADD ("backing-chain", test_backing_chain);
  ADD ("bad-images", test_bad_images);
  ADD ("corrupt-l2", test_corrupt_l2);
  ADD ("sparse-4g-reads-only-data", test_sparse_4g);
  ADD ("progress", test_progress);
  ADD ("raw-odd-size-is-sector-padded", test_raw_odd_size);
  ADD ("empty-image", test_empty_image);
#undef ADD

  ret = g_test_run ();
  g_rmdir (tmpdir);
  return ret;
}
