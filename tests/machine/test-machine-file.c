/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bounded reader every command uses for the files it is handed:
 * a file at the limit is read whole, anything over it, anything that is
 * not a regular file (reached directly or through a symlink) is refused
 * at once, without blocking on a FIFO and without reading /dev/zero.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "machine.h"

#define LIMIT 4096u
/* Generous for a loaded CI machine under sanitizers; a blocked open or a
 * read of /dev/zero up to memory exhaustion takes far longer. */
#define QUICK_USEC (5 * G_USEC_PER_SEC)

typedef struct {
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  GError *error = NULL;

  f->dir = g_dir_make_tmp ("asr-file-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autoptr (GDir) d = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      if (g_unlink (p) != 0)
        g_rmdir (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

static char *
make_file (Fixture *f, const char *name, gsize bytes)
{
  char *path = g_build_filename (f->dir, name, NULL);
  g_autofree char *data = g_malloc (bytes);
  GError *error = NULL;

  if (bytes > 0)
    memset (data, 'x', bytes);
  g_assert_true (g_file_set_contents (path, data, (gssize) bytes, &error));
  g_assert_no_error (error);
  return path;
}

static char *
make_link (Fixture *f, const char *target)
{
  g_autofree char *base = g_path_get_basename (target);
  g_autofree char *name = g_strconcat ("link-to-", base, NULL);
  char *path = g_build_filename (f->dir, name, NULL);

  g_assert_cmpint (symlink (target, path), ==, 0);
  return path;
}

/* Refused quickly, with @code and a message naming the file and @why. */
static void
assert_refused (const char *path, gsize limit, AsrFileError code, const char *why)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len = 12345;
  gint64 t0 = g_get_monotonic_time ();

  /* A blocked open must fail the test, not hang it until meson's timeout. */
  alarm (10);
  data = asr_file_read_bounded (path, limit, &len, &error);
  alarm (0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, QUICK_USEC);
  g_assert_null (data);
  g_assert_cmpuint (len, ==, 12345);
  g_assert_error (error, ASR_FILE_ERROR, (int) code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, why));
}

/* @path itself and a symlink to it are refused alike. */
static void
assert_refused_both (Fixture *f, const char *path, AsrFileError code, const char *why)
{
  g_autofree char *link = make_link (f, path);

  assert_refused (path, LIMIT, code, why);
  assert_refused (link, LIMIT, code, why);
}

static void
assert_read (const char *path, gsize limit, gsize expected)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  data = asr_file_read_bounded (path, limit, &len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (data);
  g_assert_cmpuint (len, ==, expected);
  g_assert_cmpint (data[len], ==, '\0');
  for (gsize i = 0; i < len; i++)
    if (data[i] != 'x')
      g_assert_not_reached ();
}

static void
test_at_limit (Fixture *f, gconstpointer data)
{
  g_autofree char *path = make_file (f, "limit.xml", LIMIT);
  g_autofree char *link = make_link (f, path);

  assert_read (path, LIMIT, LIMIT);
  assert_read (link, LIMIT, LIMIT);
}

static void
test_empty (Fixture *f, gconstpointer data)
{
  g_autofree char *path = make_file (f, "empty.xml", 0);

  assert_read (path, LIMIT, 0);
}

static void
test_one_over (Fixture *f, gconstpointer data)
{
  g_autofree char *path = make_file (f, "over.xml", LIMIT + 1);

  assert_refused_both (f, path, ASR_FILE_ERROR_TOO_LARGE, "too large");
}

static void
test_size_lies (Fixture *f, gconstpointer data)
{
  /* A regular file whose st_size is 0 but which reads as more: the read
   * itself is capped, not only the size stat reports. */
  g_autofree char *content = NULL;
  gsize real = 0;
  struct stat st;

  if (stat ("/proc/self/status", &st) != 0 || !S_ISREG (st.st_mode) || st.st_size != 0
      || !g_file_get_contents ("/proc/self/status", &content, &real, NULL) || real < 200)
    {
      g_test_skip ("no /proc/self/status with a size of 0");
      return;
    }
  assert_refused ("/proc/self/status", 100, ASR_FILE_ERROR_TOO_LARGE, "more than 100 bytes");
}

static void
test_dev_zero (Fixture *f, gconstpointer data)
{
  assert_refused_both (f, "/dev/zero", ASR_FILE_ERROR_NOT_FILE,
                       "not a regular file (it is a character device)");
}

static void
test_fifo (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "fifo.xml", NULL);

  /* No writer: a plain open would wait for one forever. */
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  assert_refused_both (f, path, ASR_FILE_ERROR_NOT_FILE, "not a regular file (it is a FIFO)");
}

static void
test_directory (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "dir.xml", NULL);

  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  assert_refused_both (f, path, ASR_FILE_ERROR_NOT_FILE, "not a regular file (it is a directory)");
}

static void
test_missing (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "absent.xml", NULL);

  assert_refused_both (f, path, ASR_FILE_ERROR_NOT_FILE, "cannot open: No such file");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The default action of SIGALRM ends the test: a hang becomes a failure. */
  signal (SIGALRM, SIG_DFL);

#define ADD(name, fn) \
  g_test_add ("/machine/file/" name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("regular/at-limit", test_at_limit);
  ADD ("regular/empty", test_empty);
  ADD ("regular/one-byte-over", test_one_over);
  ADD ("regular/size-says-0", test_size_lies);
  ADD ("dev-zero", test_dev_zero);
  ADD ("fifo-without-writer", test_fifo);
  ADD ("directory", test_directory);
  ADD ("missing", test_missing);
#undef ADD
  return g_test_run ();
}
