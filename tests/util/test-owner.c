/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The owner record of a private directory (capture's temporary directory,
 * verify's work directory): a later run removes a directory whose owner
 * is provably dead, and never one in use or one it cannot vouch for.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cleanup.h"

static char *
make_dir (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("asr-owner-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
write_owner (const char *dir, const char *text)
{
  g_autofree char *path = g_build_filename (dir, ASR_OWNER_FILE, NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

/* The pid of a process that has exited and been reaped. */
static pid_t
dead_pid (void)
{
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (0);
  g_assert_cmpint (waitpid (pid, NULL, 0), ==, pid);
  return pid;
}

static void
test_claimed_is_alive (void)
{
  g_autofree char *dir = make_dir ();

  g_assert_true (asr_owner_claim (dir, NULL));
  g_assert_cmpint (asr_owner_state (dir), ==, ASR_OWNER_ALIVE);
  g_assert_true (asr_owner_remove_tree (dir));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

static void
test_dead_owner (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *text = g_strdup_printf ("%d 12345\n", (int) dead_pid ());

  write_owner (dir, text);
  g_assert_cmpint (asr_owner_state (dir), ==, ASR_OWNER_DEAD);
  g_assert_true (asr_owner_remove_tree (dir));
}

static void
test_reused_pid (void)
{
  g_autofree char *dir = make_dir ();
  /* This process, but not started then: its pid was reused. */
  g_autofree char *text = g_strdup_printf ("%d 1\n", (int) getpid ());

  write_owner (dir, text);
  g_assert_cmpint (asr_owner_state (dir), ==, ASR_OWNER_DEAD);
  g_assert_true (asr_owner_remove_tree (dir));
}

static void
test_unknown (void)
{
  static const char *const garbage[]
    = { "", "abc 1\n", "-1 5\n", "0 5\n", "123\n", "99999999999 1\n" };
  g_autofree char *dir = make_dir ();
  g_autofree char *owner = g_build_filename (dir, ASR_OWNER_FILE, NULL);
  g_autofree char *link = g_strconcat (dir, "-link", NULL);

  /* No record: nothing proves it a leftover. */
  g_assert_cmpint (asr_owner_state (dir), ==, ASR_OWNER_UNKNOWN);
  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      write_owner (dir, garbage[i]);
      g_assert_cmpint (asr_owner_state (dir), ==, ASR_OWNER_UNKNOWN);
    }
  /* A record that is not a file must not block the reader. */
  g_assert_cmpint (g_unlink (owner), ==, 0);
  g_assert_cmpint (mkfifo (owner, 0600), ==, 0);
  alarm (10);
  g_assert_cmpint (asr_owner_state (dir), ==, ASR_OWNER_UNKNOWN);
  alarm (0);
  g_assert_cmpint (g_unlink (owner), ==, 0);

  /* A symlink to a directory of a dead owner is not ours to remove. */
  g_autofree char *text = g_strdup_printf ("%d 12345\n", (int) dead_pid ());
  write_owner (dir, text);
  g_assert_cmpint (symlink (dir, link), ==, 0);
  g_assert_cmpint (asr_owner_state (link), ==, ASR_OWNER_UNKNOWN);
  g_assert_cmpint (g_unlink (link), ==, 0);
  g_assert_true (asr_owner_remove_tree (dir));
}

static void
test_remove_owner_last (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *sub = g_build_filename (dir, "sub", NULL);
  g_autofree char *file = g_build_filename (sub, "image.qcow2", NULL);
  g_autofree char *outside = make_dir ();
  g_autofree char *kept = g_build_filename (outside, "kept", NULL);
  g_autofree char *link = g_build_filename (dir, "link", NULL);

  g_assert_true (asr_owner_claim (dir, NULL));
  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  g_assert_true (g_file_set_contents (file, "x", -1, NULL));
  g_assert_true (g_file_set_contents (kept, "x", -1, NULL));
  g_assert_cmpint (symlink (outside, link), ==, 0);
  g_assert_true (asr_owner_remove_tree (dir));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  /* A symlink inside is removed, never followed. */
  g_assert_true (g_file_test (kept, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (g_unlink (kept), ==, 0);
  g_assert_cmpint (g_rmdir (outside), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  signal (SIGALRM, SIG_DFL);
  g_test_add_func ("/util/owner/claimed-is-alive", test_claimed_is_alive);
  g_test_add_func ("/util/owner/dead", test_dead_owner);
  g_test_add_func ("/util/owner/reused-pid", test_reused_pid);
  g_test_add_func ("/util/owner/unknown", test_unknown);
  g_test_add_func ("/util/owner/remove-owner-last", test_remove_owner_last);
  return g_test_run ();
}
