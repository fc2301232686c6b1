/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a file's or a device's bytes live (storage.c), on real loop
 * devices: root only, skipped with the reason elsewhere.  A file F, a
 * loop device A over it, B over a byte range of F, and C over B.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "storage.h"

typedef struct {
  char *dir;
  char *file;
  char *loops[3]; /* A over F, B over F at 1 MiB, C over B */
} Fixture;

/* The output of @command, stripped; NULL when it failed. */
static char *
sh (const char *command)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                     NULL)
      || !g_spawn_check_wait_status (status, NULL))
    {
      g_test_message ("%s: %s", command, err ? err : "");
      return NULL;
    }
  return g_strdup (g_strstrip (out));
}

static const char *
why_skip (void)
{
  g_autofree char *v = NULL;

  if (geteuid () != 0)
    return "not root: loop devices need root";
  if (!g_file_test ("/dev/loop-control", G_FILE_TEST_EXISTS))
    return "no /dev/loop-control: this kernel has no loop devices";
  if ((v = sh ("command -v losetup")) == NULL)
    return "no losetup (util-linux)";
  return NULL;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;

  f->dir = g_dir_make_tmp ("asr-storage-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->file = g_build_filename (f->dir, "f.raw", NULL);
  a = g_strdup_printf ("truncate -s 8M %s && losetup -f --show %s", f->file, f->file);
  f->loops[0] = sh (a);
  g_assert_nonnull (f->loops[0]);
  b = g_strdup_printf ("losetup -f --show -o 1048576 --sizelimit 2097152 %s", f->file);
  f->loops[1] = sh (b);
  g_assert_nonnull (f->loops[1]);
  c = g_strdup_printf ("losetup -f --show %s", f->loops[1]);
  f->loops[2] = sh (c);
  g_assert_nonnull (f->loops[2]);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  /* C first: it holds B */
  for (int i = 2; i >= 0; i--)
    if (f->loops[i])
      {
        g_autofree char *d = g_strdup_printf ("losetup -d %s", f->loops[i]);
        g_autofree char *out = sh (d);
        g_free (f->loops[i]);
      }
  g_unlink (f->file);
  g_rmdir (f->dir);
  g_free (f->file);
  g_free (f->dir);
}

static void
stat_of (const char *path, GStatBuf *st)
{
  g_assert_cmpint (g_stat (path, st), ==, 0);
}

static gboolean
has_name (GPtrArray *names, const char *dev)
{
  return g_ptr_array_find_with_equal_func (names, strrchr (dev, '/') + 1, g_str_equal, NULL);
}

static gboolean
holds (GArray *ids, const GStatBuf *st)
{
  AsrStorageId id = { S_ISBLK (st->st_mode), 0, 0 };
  id.dev = id.block ? st->st_rdev : st->st_dev;
  id.ino = id.block ? 0 : st->st_ino;
  return asr_storage_contains (ids, &id);
}

/* The loop devices over a file, a loop device over it and one over a
 * loop device over it: each sees the others, never itself. */
static void
test_loops_over (Fixture *f, gconstpointer data)
{
  GStatBuf file, a, c;
  g_autoptr (GPtrArray) of_file = NULL;
  g_autoptr (GPtrArray) of_a = NULL;
  g_autoptr (GPtrArray) of_c = NULL;

  stat_of (f->file, &file);
  stat_of (f->loops[0], &a);
  stat_of (f->loops[2], &c);

  of_file = asr_storage_loops_over (&file);
  g_assert_true (has_name (of_file, f->loops[0]));
  g_assert_true (has_name (of_file, f->loops[1]));
  /* C is over B, a block device over the file: found in a second round */
  g_assert_true (has_name (of_file, f->loops[2]));

  of_a = asr_storage_loops_over (&a);
  g_assert_false (has_name (of_a, f->loops[0]));
  g_assert_true (has_name (of_a, f->loops[1]));
  g_assert_true (has_name (of_a, f->loops[2]));

  /* C's bytes are B's, which are the file's: A and B reach them too */
  of_c = asr_storage_loops_over (&c);
  g_assert_false (has_name (of_c, f->loops[2]));
  g_assert_true (has_name (of_c, f->loops[0]));
  g_assert_true (has_name (of_c, f->loops[1]));
}

/* Aliases: what a loop device's bytes are; holders: what it lies within,
 * down to the file system under the backing file. */
static void
test_aliases_holders (Fixture *f, gconstpointer data)
{
  GStatBuf file, b, c, fs;
  g_autoptr (GArray) aliases = NULL;
  g_autoptr (GArray) holders = NULL;
  g_autofree char *fs_dev = NULL;

  stat_of (f->file, &file);
  stat_of (f->loops[1], &b);
  stat_of (f->loops[2], &c);
  aliases = asr_storage_aliases (&c);
  g_assert_true (holds (aliases, &c));
  g_assert_true (holds (aliases, &b));
  g_assert_true (holds (aliases, &file));

  holders = asr_storage_holders (&c);
  g_assert_true (holds (holders, &file));
  /* the backing file's file system, when it is a block device */
  fs.st_mode = S_IFBLK;
  fs.st_rdev = file.st_dev;
  g_test_message ("file system of %s: %u:%u", f->file, major (file.st_dev), minor (file.st_dev));
  fs_dev = g_strdup_printf ("/sys/dev/block/%u:%u", major (file.st_dev), minor (file.st_dev));
  if (g_file_test (fs_dev, G_FILE_TEST_EXISTS))
    g_assert_true (holds (holders, &fs));
  /* the file holds no block device: its aliases are itself alone */
  g_clear_pointer (&aliases, g_array_unref);
  aliases = asr_storage_aliases (&file);
  g_assert_cmpuint (aliases->len, ==, 1);
}

int
main (int argc, char **argv)
{
  const char *skip;

  g_test_init (&argc, &argv, NULL);
  skip = why_skip ();
  if (skip)
    {
      g_test_add_data_func ("/util/storage/loop-devices", skip, (GTestDataFunc) g_test_skip);
      return g_test_run ();
    }
  g_test_add ("/util/storage/loops-over", Fixture, NULL, fixture_set_up, test_loops_over,
              fixture_tear_down);
  g_test_add ("/util/storage/aliases-holders", Fixture, NULL, fixture_set_up, test_aliases_holders,
              fixture_tear_down);
  return g_test_run ();
}
