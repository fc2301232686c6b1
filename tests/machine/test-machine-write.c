/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writing machine.xml: the mode asked for whatever the umask, atomic
 * replacement, nothing left behind on failure, nothing invalid written;
 * and finding the schema.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "machine.h"

static char *
example (const char *name)
{
  return g_build_filename (ASR_EXAMPLES_DIR, "valid", name, NULL);
}

static MachineDescriptor *
load_example (const char *name)
{
  g_autofree char *path = example (name);
  g_autoptr (GError) error = NULL;
  MachineDescriptor *m = machine_descriptor_parse_file (path, &error);

  g_assert_no_error (error);
  return m;
}

static char *
make_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("asr-write-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names in @dir, sorted, joined by spaces: what a failure left. */
static char *
list_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, (gpointer) name);
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        remove_tree (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

static void
assert_mode_with_umask (mode_t mask, int mode)
{
  g_autoptr (MachineDescriptor) m = load_example ("bios-mbr-server.xml");
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "machine.xml", NULL);
  g_autoptr (GError) error = NULL;
  struct stat st;
  mode_t old = umask (mask);
  gboolean ok = machine_descriptor_write_file (m, path, mode, &error);

  umask (old);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, mode);
  remove_tree (dir);
}

static void
test_mode_0600 (void)
{
  assert_mode_with_umask (022, 0600);
}

static void
test_mode_ignores_umask (void)
{
  /* Neither tightened by a strict umask nor loosened by a lax one. */
  assert_mode_with_umask (077, 0644);
  assert_mode_with_umask (0, 0600);
}

static void
test_writes_canonical (void)
{
  g_autoptr (MachineDescriptor) m = load_example ("uefi-gpt-server.xml");
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "machine.xml", NULL);
  g_autofree char *src = example ("uefi-gpt-server.xml");
  g_autofree char *expected = NULL;
  g_autofree char *written = NULL;
  g_autofree char *names = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (path, "old content\n", -1, NULL));
  g_assert_true (machine_descriptor_write_file (m, path, 0600, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (src, &expected, NULL, NULL));
  g_assert_true (g_file_get_contents (path, &written, NULL, NULL));
  g_assert_cmpstr (written, ==, expected);
  /* No temporary file left beside it. */
  names = list_dir (dir);
  g_assert_cmpstr (names, ==, "machine.xml");
  remove_tree (dir);
}

static void
test_invalid_not_written (void)
{
  g_autoptr (MachineDescriptor) m = load_example ("bios-mbr-server.xml");
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "machine.xml", NULL);
  g_autofree char *content = NULL;
  g_autofree char *names = NULL;
  g_autoptr (GError) error = NULL;
  MachinePartition *p;

  g_assert_true (g_file_set_contents (path, "old content\n", -1, NULL));
  p = g_ptr_array_index (((MachineDisk *) g_ptr_array_index (m->disks, 0))->partitions, 1);
  p->start = 2048; /* overlaps partition 1 */
  g_assert_false (machine_descriptor_write_file (m, path, 0600, &error));
  g_assert_error (error, MACHINE_ERROR, MACHINE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "refusing to write an invalid descriptor"));
  g_assert_nonnull (strstr (error->message, "overlaps partition 1"));
  g_assert_true (g_file_get_contents (path, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "old content\n");
  names = list_dir (dir);
  g_assert_cmpstr (names, ==, "machine.xml");
  remove_tree (dir);
}

static void
test_schema_invalid_not_written (void)
{
  g_autoptr (MachineDescriptor) m = load_example ("bios-mbr-server.xml");
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "machine.xml", NULL);
  g_autofree char *names = NULL;
  g_autoptr (GError) error = NULL;

  /* Passes the C checks, fails the schema: caught by reading it back. */
  m->origin->captured = (g_free (m->origin->captured), g_strdup ("yesterday"));
  g_assert_false (machine_descriptor_write_file (m, path, 0600, &error));
  g_assert_error (error, MACHINE_ERROR, MACHINE_ERROR_SCHEMA);
  g_assert_nonnull (strstr (error->message, "refusing to write"));
  names = list_dir (dir);
  g_assert_cmpstr (names, ==, "");
  remove_tree (dir);
}

static void
test_lossy_not_written (void)
{
  g_autoptr (MachineDescriptor) m = load_example ("probed-target.xml");
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "machine.xml", NULL);
  g_autofree char *names = NULL;
  g_autoptr (GError) error = NULL;
  MachineDisk *d = g_ptr_array_index (m->disks, 0);

  /* A signature on a disk without a partition table has no place in the
   * XML: refused, not silently dropped. */
  d->signature = g_strdup ("0x12345678");
  g_assert_false (machine_descriptor_write_file (m, path, 0600, &error));
  g_assert_error (error, MACHINE_ERROR, MACHINE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "a disk signature or GUID without a partition table"));
  names = list_dir (dir);
  g_assert_cmpstr (names, ==, "");
  remove_tree (dir);
}

static void
test_rename_fails_cleans_up (void)
{
  g_autoptr (MachineDescriptor) m = load_example ("bios-mbr-server.xml");
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "machine.xml", NULL);
  g_autofree char *inner = g_build_filename (path, "keep", NULL);
  g_autofree char *names = NULL;
  g_autoptr (GError) error = NULL;

  /* A non-empty directory where the file should go: rename() fails after
   * the temporary file was written, which must then be removed. */
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inner, "x", -1, NULL));
  g_assert_false (machine_descriptor_write_file (m, path, 0600, &error));
  g_assert_error (error, MACHINE_ERROR, MACHINE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "rename"));
  names = list_dir (dir);
  g_assert_cmpstr (names, ==, "machine.xml");
  remove_tree (dir);
}

static void
test_missing_directory (void)
{
  g_autoptr (MachineDescriptor) m = load_example ("bios-mbr-server.xml");
  g_autoptr (GError) error = NULL;

  g_assert_false (machine_descriptor_write_file (m, "/nonexistent/dir/machine.xml", 0600, &error));
  g_assert_error (error, MACHINE_ERROR, MACHINE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/dir/machine.xml"));
}

/* --- schema location -------------------------------------------------------- */

static void
test_schema_dir_env (void)
{
  g_autofree char *dir = machine_schema_dir ();

  /* tests/meson.build points ASR_SCHEMA_DIR at the source tree. */
  g_assert_cmpstr (dir, ==, g_getenv ("ASR_SCHEMA_DIR"));
}

static void
test_schema_dir_fallback (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *dir = NULL;

      g_unsetenv ("ASR_SCHEMA_DIR");
      dir = machine_schema_dir ();
      /* The test binary has no xml-schemas/ beside it: the installed
       * directory. */
      g_assert_cmpstr (dir, ==, ASR_SCHEMA_DIR_INSTALLED);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_schema_missing (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *path = example ("bios-mbr-server.xml");
      g_autoptr (GError) error = NULL;
      g_autoptr (MachineDescriptor) m = NULL;

      g_setenv ("ASR_SCHEMA_DIR", "/nonexistent", TRUE);
      m = machine_descriptor_parse_file (path, &error);
      g_assert_null (m);
      g_assert_error (error, MACHINE_ERROR, MACHINE_ERROR_NO_SCHEMA);
      g_assert_nonnull (strstr (error->message, "/nonexistent/machine.rng: schema not found"));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("");
}

static void
test_schema_broken (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *dir = make_tmpdir ();
      g_autofree char *rng = g_build_filename (dir, "machine.rng", NULL);
      g_autofree char *path = example ("bios-mbr-server.xml");
      g_autoptr (GError) error = NULL;
      g_autoptr (MachineDescriptor) m = NULL;

      g_assert_true (g_file_set_contents (rng, "<grammar><start>", -1, NULL));
      g_setenv ("ASR_SCHEMA_DIR", dir, TRUE);
      m = machine_descriptor_parse_file (path, &error);
      g_assert_null (m);
      g_assert_error (error, MACHINE_ERROR, MACHINE_ERROR_NO_SCHEMA);
      g_assert_nonnull (strstr (error->message, "unusable schema"));
      remove_tree (dir);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* libxml2 reported into the GError, not onto stderr. */
  g_test_trap_assert_stderr ("");
}

static gpointer
parse_in_thread (gpointer data)
{
  g_autofree char *path = example ("two-critical-disks.xml");

  for (int i = 0; i < 20; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (MachineDescriptor) m = machine_descriptor_parse_file (path, &error);
      g_assert_no_error (error);
    }
  return NULL;
}

static void
test_threads (void)
{
  GThread *threads[4];

  /* The cached schema is shared; its first load may race. */
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("parse", parse_in_thread, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/machine/schema/threads", test_threads);
  g_test_add_func ("/machine/write/mode-0600", test_mode_0600);
  g_test_add_func ("/machine/write/mode-ignores-umask", test_mode_ignores_umask);
  g_test_add_func ("/machine/write/canonical-replaces", test_writes_canonical);
  g_test_add_func ("/machine/write/invalid-not-written", test_invalid_not_written);
  g_test_add_func ("/machine/write/schema-invalid-not-written", test_schema_invalid_not_written);
  g_test_add_func ("/machine/write/lossy-not-written", test_lossy_not_written);
  g_test_add_func ("/machine/write/rename-fails-cleans-up", test_rename_fails_cleans_up);
  g_test_add_func ("/machine/write/missing-directory", test_missing_directory);
  g_test_add_func ("/machine/schema/dir-env", test_schema_dir_env);
  g_test_add_func ("/machine/schema/dir-fallback", test_schema_dir_fallback);
  g_test_add_func ("/machine/schema/missing", test_schema_missing);
  g_test_add_func ("/machine/schema/broken", test_schema_broken);
  return g_test_run ();
}
