/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Safe image info on files made here with qemu-img (suite integration):
 * every refusal with its message, what is accepted, and reading sectors
 * back through a qcow2.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "probe-private.h"

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* Runs a command line (argv) that must succeed. */
static void
run_ok (const char *const *argv)
{
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  int status = -1;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err);
}

static char *
make_qcow2 (const char *name, const char *size, const char *options)
{
  char *path = tmp_path (name);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, "qemu-img");
  g_ptr_array_add (argv, "create");
  g_ptr_array_add (argv, "-q");
  g_ptr_array_add (argv, "-f");
  g_ptr_array_add (argv, "qcow2");
  if (options)
    {
      g_ptr_array_add (argv, "-o");
      g_ptr_array_add (argv, (char *) options);
    }
  g_ptr_array_add (argv, path);
  g_ptr_array_add (argv, (char *) size);
  g_ptr_array_add (argv, NULL);
  run_ok ((const char *const *) argv->pdata);
  return path;
}

static char *
make_file (const char *name, const void *data, gsize len)
{
  char *path = tmp_path (name);
  g_autoptr (GError) error = NULL;
  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
  return path;
}

/* Probing @path (format @format) is refused as invalid input, the message
 * containing @expect. */
static void
assert_refused (const char *path, const char *format, const char *expect)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrImageInfo) info = asr_image_info_probe (path, format, &error);

  g_assert_null (info);
  g_assert_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT);
  if (strstr (error->message, expect) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", error->message, expect);
}

static void
test_missing (void)
{
  g_autofree char *p = tmp_path ("no-such-file");
  assert_refused (p, NULL, "No such file");
}

static void
test_directory (void)
{
  assert_refused (tmpdir, NULL, "is a directory");
}

static void
test_empty (void)
{
  g_autofree char *p = make_file ("empty", "", 0);
  assert_refused (p, NULL, "empty file");
  assert_refused (p, "raw", "empty file");
}

static void
test_text_file (void)
{
  /* A text file is raw to qemu; its size decides. */
  const char text[] = "this is not a disk\n";
  g_autofree char *p = make_file ("notes.txt", text, strlen (text));
  assert_refused (p, NULL, "not a multiple of 512");
}

static void
test_raw_any_file (void)
{
  g_autofree char *buf = g_malloc0 (4096);
  g_autofree char *p = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrImageInfo) info = NULL;

  memset (buf, 'x', 4096);
  p = make_file ("x.raw", buf, 4096);
  info = asr_image_info_probe (p, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->format, ==, "raw");
  g_assert_cmpuint (info->virtual_bytes, ==, 4096);
  g_assert_false (info->is_block_device);
}

static void
test_qcow2_ok (void)
{
  g_autofree char *p = make_qcow2 ("ok.qcow2", "64M", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrImageInfo) info = asr_image_info_probe (p, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (info->format, ==, "qcow2");
  g_assert_cmpuint (info->virtual_bytes, ==, 64u << 20);
  g_assert_cmpuint (info->cluster_bytes, ==, 65536);
  g_assert_cmpuint (info->actual_bytes, >, 0);
  g_assert_false (info->dirty);
  g_assert_false (info->corrupt);

  /* Given as qcow2, same answer; given as the wrong format: refused. */
  g_clear_pointer (&info, asr_image_info_free);
  info = asr_image_info_probe (p, "qcow2", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->format, ==, "qcow2");
  assert_refused (p, "vmdk", "not a readable disk image");
}

static void
test_truncated_qcow2 (void)
{
  g_autofree char *full = make_qcow2 ("full.qcow2", "64M", NULL);
  g_autofree char *data = NULL;
  g_autofree char *p = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (full, &data, &len, NULL));
  g_assert_cmpuint (len, >, 1000);
  p = make_file ("truncated.qcow2", data, 1000);
  assert_refused (p, NULL, "truncated or corrupt");
  /* The header alone, cut inside: qemu-img cannot open it at all. */
  g_free (p);
  p = make_file ("header-only.qcow2", data, 64);
  assert_refused (p, NULL, "");
}

static void
test_backing_file (void)
{
  g_autofree char *p = tmp_path ("backed.qcow2");
  const char *argv[]
    = { "qemu-img", "create", "-q", "-f", "qcow2", "-b", "/etc/passwd", "-F", "raw", p, NULL };
  run_ok (argv);
  assert_refused (p, NULL, "backing file (/etc/passwd)");
  assert_refused (p, "qcow2", "backing file (/etc/passwd)");
}

static void
test_data_file (void)
{
  g_autofree char *ext = tmp_path ("external.raw");
  g_autofree char *opts = g_strdup_printf ("data_file=%s", ext);
  g_autofree char *p = make_qcow2 ("datafile.qcow2", "8M", opts);
  assert_refused (p, NULL, "external data file");
  assert_refused (p, "qcow2", "external data file");
}

static void
test_too_large (void)
{
  g_autofree char *p = make_qcow2 ("huge.qcow2", "65T", NULL);
  g_autofree char *ok = make_qcow2 ("limit.qcow2", "64T", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrImageInfo) info = NULL;

  assert_refused (p, NULL, "above the limit");
  info = asr_image_info_probe (ok, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->virtual_bytes, ==, ASR_IMAGE_MAX_VIRTUAL_BYTES);
}

/* A raw disk whose first sectors happen to be a qcow2 header naming a
 * backing file: probed, it is that qcow2 and refused; declared raw, it is
 * the raw disk it is. */
static void
test_raw_with_qcow2_header (void)
{
  g_autofree char *q = tmp_path ("header.qcow2");
  g_autofree char *data = NULL;
  g_autofree char *p = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrImageInfo) info = NULL;
  gsize len;
  const char *argv[]
    = { "qemu-img", "create", "-q", "-f", "qcow2", "-b", "/etc/passwd", "-F", "raw", q, NULL };
  run_ok (argv);
  g_assert_true (g_file_get_contents (q, &data, &len, NULL));
  data = g_realloc (data, 1 << 20);
  memset (data + MIN (len, 1u << 20), 0, (1u << 20) - MIN (len, 1u << 20));
  p = make_file ("qcow2-header.raw", data, 1 << 20);

  assert_refused (p, NULL, "backing file (/etc/passwd)");
  info = asr_image_info_probe (p, "raw", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->format, ==, "raw");
  g_assert_cmpuint (info->virtual_bytes, ==, 1 << 20);
}

static void
test_not_regular (void)
{
  assert_refused ("/dev/null", NULL, "not a regular file or block device");
}

/* A sector written into a qcow2 reads back through the disk reader, also
 * past the cached head. */
static void
test_reader_qcow2 (void)
{
  g_autofree char *raw = tmp_path ("pattern.raw");
  g_autofree char *q = tmp_path ("pattern.qcow2");
  g_autofree guint8 *buf = g_malloc0 (4 << 20);
  guint8 got[512];
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrImageInfo) info = NULL;
  g_autoptr (AsrDiskReader) r = NULL;

  memcpy (buf, "head", 4);
  memcpy (buf + (3 << 20) + 512, "tail", 4);
  g_file_set_contents (raw, (char *) buf, 4 << 20, &error);
  g_assert_no_error (error);
  {
    const char *argv[] = { "qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, q, NULL };
    run_ok (argv);
  }
  info = asr_image_info_probe (q, NULL, &error);
  g_assert_no_error (error);
  r = asr_disk_reader_open (info, &error);
  g_assert_no_error (error);
  g_assert_true (asr_disk_reader_pread (r, got, 512, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (got, 4, "head", 4);
  g_assert_true (asr_disk_reader_pread (r, got, 512, (3 << 20) + 512, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (got, 4, "tail", 4);
  g_assert_false (asr_disk_reader_pread (r, got, 512, 4 << 20, &error));
  g_assert_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT);
}

/* What restore writes is what probe reads. */
static void
test_incomplete_marker (void)
{
  const char *id = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b";
  guint8 sector[512] = { 0 };
  g_autofree char *back = NULL;

  g_assert_false (asr_incomplete_marker_parse (sector, sizeof sector, NULL));
  asr_incomplete_marker_fill (sector, id);
  g_assert_cmpmem (sector, 16, "ASR-INCOMPLETE\0\0", 16);
  g_assert_true (asr_incomplete_marker_parse (sector, sizeof sector, &back));
  g_assert_cmpstr (back, ==, id);
  g_assert_false (asr_incomplete_marker_parse (sector, 40, NULL));
  sector[20] = '\0';
  g_assert_false (asr_incomplete_marker_parse (sector, sizeof sector, NULL));
}

/* The limits really apply to the child: a CPU hog is killed by RLIMIT_CPU,
 * a hang by the wall timeout, a writer by RLIMIT_FSIZE. */
static void
test_limits (void)
{
  AsrRunOptions options;
  g_autofree char *target = tmp_path ("written-by-child");
  g_autofree char *script = g_strdup_printf ("echo data > '%s'", target);
  const char *hog[] = { "/bin/sh", "-c", "while :; do :; done", NULL };
  const char *hang[] = { "/bin/sleep", "30", NULL };
  const char *writer[] = { "/bin/sh", "-c", script, NULL };
  const char *echo[] = { "/bin/sh", "-c", "echo hello", NULL };

  asr_probe_run_options_image (&options);
  options.limits.max_cpu_seconds = 1;
  options.timeout_seconds = 20;
  {
    g_auto (AsrRunResult) r = { 0 };
    g_autoptr (GError) error = NULL;
    g_assert_false (asr_run_full (hog, &options, &r, &error));
    g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED);
    g_assert_cmpint (r.exit_status, ==, -1);
    g_assert_nonnull (strstr (r.killed, "CPU limit"));
  }

  options.timeout_seconds = 1;
  {
    g_auto (AsrRunResult) r = { 0 };
    g_autoptr (GError) error = NULL;
    g_assert_false (asr_run_full (hang, &options, &r, &error));
    g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_TIMEOUT);
    g_assert_cmpint (r.exit_status, ==, -1);
    g_assert_nonnull (strstr (r.killed, "did not finish within 1 s"));
  }

  options.timeout_seconds = 10;
  {
    g_auto (AsrRunResult) r = { 0 };
    g_autoptr (GError) error = NULL;
    g_assert_false (asr_run_full (writer, &options, &r, &error));
    g_assert_true (r.exit_status != 0 || r.killed != NULL);
    /* the shell may create it; it cannot put a byte in it */
    GStatBuf st;
    if (g_stat (target, &st) == 0)
      g_assert_cmpint (st.st_size, ==, 0);
  }

  options.capture_stdout = TRUE;
  {
    g_auto (AsrRunResult) r = { 0 };
    g_autoptr (GError) error = NULL;
    g_assert_true (asr_run_full (echo, &options, &r, &error));
    g_assert_no_error (error);
    g_assert_cmpint (r.exit_status, ==, 0);
    g_assert_null (r.killed);
    g_assert_cmpstr (r.stdout_text, ==, "hello\n");
  }
}

static void
skip_no_qemu_img (void)
{
  g_test_skip ("qemu-img not installed");
}

int
main (int argc, char **argv)
{
  int rc;
  g_autofree char *qemu_img = NULL;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("asr-test-image-info-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);

  g_test_add_func ("/probe/image-info/marker", test_incomplete_marker);
  g_test_add_func ("/probe/run/limits", test_limits);
  qemu_img = g_find_program_in_path ("qemu-img");
  if (qemu_img == NULL)
    g_test_add_func ("/probe/image-info/qemu-img", skip_no_qemu_img);
  else
    {
      g_test_add_func ("/probe/image-info/missing", test_missing);
      g_test_add_func ("/probe/image-info/directory", test_directory);
      g_test_add_func ("/probe/image-info/empty", test_empty);
      g_test_add_func ("/probe/image-info/text-file", test_text_file);
      g_test_add_func ("/probe/image-info/raw-any-file", test_raw_any_file);
      g_test_add_func ("/probe/image-info/not-regular", test_not_regular);
      g_test_add_func ("/probe/image-info/qcow2", test_qcow2_ok);
      g_test_add_func ("/probe/image-info/truncated-qcow2", test_truncated_qcow2);
      g_test_add_func ("/probe/image-info/backing-file", test_backing_file);
      g_test_add_func ("/probe/image-info/data-file", test_data_file);
      g_test_add_func ("/probe/image-info/too-large", test_too_large);
      g_test_add_func ("/probe/image-info/raw-with-qcow2-header", test_raw_with_qcow2_header);
      g_test_add_func ("/probe/image-info/reader-qcow2", test_reader_qcow2);
    }
  rc = g_test_run ();
  {
    g_autoptr (GDir) d = g_dir_open (tmpdir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *p = tmp_path (n);
        g_unlink (p);
      }
  }
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return rc;
}
