/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The interrupt handler (cleanup.c) in a child process: it removes the
 * registered directories and dies of the signal, and says nothing of its
 * own: only the hook the command line sets speaks.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

#define DIR_VARIABLE "ASR_TEST_INTERRUPT_DIR"

static void
hook (int signo)
{
  /* async-signal-safe, as the hook's contract asks */
  char msg[] = "hook: signal 00\n";
  msg[13] = (char) ('0' + signo / 10 % 10);
  msg[14] = (char) ('0' + signo % 10);
  ssize_t ignored = write (STDERR_FILENO, msg, sizeof msg - 1);
  (void) ignored;
}

static void
interrupted_child (gboolean with_hook)
{
  if (with_hook)
    asr_cleanup_set_interrupt_hook (hook);
  asr_cleanup_install ();
  asr_cleanup_add_dir (g_getenv (DIR_VARIABLE));
  kill (getpid (), SIGTERM);
  for (;;)
    pause ();
}

static void
child_with_hook (void)
{
  interrupted_child (TRUE);
}

static void
child_without_hook (void)
{
  interrupted_child (FALSE);
}

/* A directory with a file in it, for the child to register. */
static char *
make_dir (void)
{
  char *dir = g_dir_make_tmp ("asr-test-interrupt-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "partial.qcow2", NULL);

  g_assert_nonnull (dir);
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_setenv (DIR_VARIABLE, dir, TRUE);
  return dir;
}

/* Runs @subprocess, which interrupts itself: it must die of the signal,
 * its stderr be @expected, its directory be gone. */
static void
check_interrupted (const char *subprocess, const char *expected)
{
  g_autofree char *dir = make_dir ();

  g_test_trap_subprocess (subprocess, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr (expected);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

static void
test_hook (void)
{
  check_interrupted ("/util/cleanup/interrupt/hook/subprocess", "hook: signal 15\n");
}

static void
test_silent (void)
{
  /* library code does not print */
  check_interrupted ("/util/cleanup/interrupt/silent/subprocess", "");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/util/cleanup/interrupt/hook", test_hook);
  g_test_add_func ("/util/cleanup/interrupt/hook/subprocess", child_with_hook);
  g_test_add_func ("/util/cleanup/interrupt/silent", test_silent);
  g_test_add_func ("/util/cleanup/interrupt/silent/subprocess", child_without_hook);
  return g_test_run ();
}
