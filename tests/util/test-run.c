/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr_run with a child that is already gone when the runner first looks
 * at it: GLib reaps an exited child in its worker thread at once and has
 * no identifier for it from then on, which is what a fast qemu-img on a
 * loaded machine looks like.  The hook makes that happen every time.
 *
 * Then asr_run_full's options, each with sh, true or sleep only: the
 * timeout, the resource limits, the stderr tail, the stdout cap.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "run-private.h"
#include "run.h"
#include "sandbox.h"

static void
wait_until_reaped (GSubprocess *proc)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_subprocess_wait (proc, NULL, &error));
  g_assert_no_error (error);
  /* the state the runner has to cope with */
  g_assert_null (g_subprocess_get_identifier (proc));
}

static void
test_reaped_success (void)
{
  const char *argv[] = { "sh", "-c", "echo out; echo chatter >&2", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;

  asr_run_set_spawned_hook (wait_until_reaped);
  g_assert_true (asr_run (argv, &out, NULL, NULL, &error));
  asr_run_set_spawned_hook (NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "out\n");
}

static void
test_reaped_failure (void)
{
  const char *argv[] = { "sh", "-c", "echo 'no such image' >&2; exit 3", NULL };
  g_autoptr (GError) error = NULL;

  asr_run_set_spawned_hook (wait_until_reaped);
  g_assert_false (asr_run (argv, NULL, NULL, NULL, &error));
  asr_run_set_spawned_hook (NULL);
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "sh failed (exit status 3): no such image");
}

/* qemu-img's percentage, as a share of ASR_PROGRESS_SHARE */
static void
record_percent (const char *what, guint64 share, guint64 shares, guint64 all_share,
                guint64 all_shares, void *opaque)
{
  g_assert_cmpuint (shares, ==, ASR_PROGRESS_SHARE);
  g_assert_cmpuint (all_share, ==, share);
  *(double *) opaque = 100.0 * (double) share / (double) shares;
}

static void
test_reaped_progress (void)
{
  const char *argv[] = { "sh", "-c", "printf '    (0.00/100%%)\\r    (100.00/100%%)\\r'", NULL };
  g_autoptr (GError) error = NULL;
  double last = -1;

  asr_run_set_spawned_hook (wait_until_reaped);
  g_assert_true (asr_run (argv, NULL, record_percent, &last, &error));
  asr_run_set_spawned_hook (NULL);
  g_assert_no_error (error);
  g_assert_cmpfloat (last, ==, 100.0);
}

static void
test_running (void)
{
  /* the ordinary case, for comparison: a child still there to register */
  const char *argv[] = { "sh", "-c", "sleep 0.1; echo done", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;

  g_assert_true (asr_run (argv, &out, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "done\n");
}

/* Seconds since @start, for a child that must be stopped early. */
static double
seconds_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static void
test_timeout (void)
{
  /* sleep is a grandchild that keeps the pipes open after sh is killed:
   * the runner must not wait for it */
  const char *argv[] = { "sh", "-c", "echo started >&2; sleep 6; :", NULL };
  AsrRunOptions options = { .timeout_seconds = 1 };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_false (asr_run_full (argv, &options, &r, &error));
  g_assert_cmpfloat (seconds_since (start), <, 4.0);
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_TIMEOUT);
  g_assert_cmpstr (error->message, ==, "sh failed (did not finish within 1 s): started");
  g_assert_cmpint (r.exit_status, ==, -1);
  g_assert_cmpstr (r.killed, ==, "did not finish within 1 s");
}

static void
test_timeout_not_reached (void)
{
  const char *argv[] = { "true", NULL };
  AsrRunOptions options = { .timeout_seconds = 5 };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (asr_run_full (argv, &options, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r.exit_status, ==, 0);
  g_assert_null (r.killed);
}

/* The child sees the limits (ulimit prints its own), no core dump. */
static void
test_limits_seen (void)
{
  const char *argv[] = { "sh", "-c", "ulimit -f; ulimit -t; ulimit -v; ulimit -c", NULL };
  AsrRunOptions options = { .capture_stdout = TRUE,
                            .limits = { .enabled = TRUE,
                                        .max_as_bytes = 512 * 1024 * 1024,
                                        .max_cpu_seconds = 7,
                                        .max_file_bytes = 8 * 512 } };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (asr_run_full (argv, &options, &r, &error));
  g_assert_no_error (error);
  /* dash counts -f in 512-byte blocks, -v in KiB */
  g_assert_cmpstr (r.stdout_text, ==, "8\n7\n524288\n0\n");
}

/* RLIMIT_FSIZE 0: a child writes nothing into a file. */
static void
test_limits_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("asr-test-run-XXXXXX", NULL);
  g_autofree char *target = g_build_filename (dir, "written", NULL);
  g_autofree char *script = g_strdup_printf ("echo data > '%s'", target);
  const char *argv[] = { "sh", "-c", script, NULL };
  AsrRunOptions options
    = { .limits = {
          .enabled = TRUE, .max_as_bytes = G_GUINT64_CONSTANT (1) << 30, .max_cpu_seconds = 10 } };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  g_assert_false (asr_run_full (argv, &options, &r, &error));
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED);
  g_assert_cmpstr (r.killed, ==, "was killed by signal 25 (File size limit exceeded)");
  /* the shell may create it; it cannot put a byte in it */
  if (g_stat (target, &st) == 0)
    g_assert_cmpint (st.st_size, ==, 0);
  g_unlink (target);
  g_rmdir (dir);
}

/* A CPU hog under RLIMIT_CPU: killed, and said so. */
static void
test_limits_cpu (void)
{
  const char *argv[] = { "sh", "-c", "while :; do :; done", NULL };
  /* a second of CPU can take many more on a loaded machine */
  AsrRunOptions options = { .timeout_seconds = 40,
                            .limits = { .enabled = TRUE,
                                        .max_as_bytes = G_GUINT64_CONSTANT (1) << 30,
                                        .max_cpu_seconds = 1,
                                        .max_file_bytes = 0 } };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_false (asr_run_full (argv, &options, &r, &error));
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "sh failed (killed after its 1 s CPU limit)");
  g_assert_cmpstr (r.killed, ==, "was killed after its 1 s CPU limit");
}

#define TEN_LINES "for i in 1 2 3 4 5 6 7 8 9 10; do echo \"  line$i  \" >&2; done; "

static void
test_stderr_tail_default (void)
{
  const char *argv[] = { "sh", "-c", TEN_LINES "echo >&2; exit 4", NULL };
  g_autoptr (GError) error = NULL;

  g_assert_false (asr_run (argv, NULL, NULL, NULL, &error));
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "sh failed (exit status 4): line3; line4; line5; line6; line7; line8; "
                   "line9; line10");
}

static void
test_stderr_tail_options (void)
{
  const char *argv[] = { "sh", "-c", TEN_LINES "echo 'qemu-img: the reason' >&2; exit 1", NULL };
  AsrRunOptions options = { .stderr_tail_lines = 2, .stderr_drop_prefix = "qemu-img: " };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_false (asr_run_full (argv, &options, &r, &error));
  g_assert_cmpstr (error->message, ==, "sh failed (exit status 1): line10; the reason");
  g_assert_cmpstr (r.stderr_tail, ==, "line10; the reason");
  g_assert_cmpint (r.exit_status, ==, 1);
  g_assert_null (r.killed);
}

/* 200 KB of stderr: only its end is kept, and the tail is still right. */
static void
test_stderr_tail_long (void)
{
  const char *argv[] = { "sh", "-c",
                         "i=0; while [ $i -lt 2000 ]; do echo "
                         "0123456789012345678901234567890123456789012345678901234567890123456789"
                         "0123456789012345678901234567890 >&2; i=$((i+1)); done; "
                         "echo 'the end' >&2; exit 2",
                         NULL };
  AsrRunOptions options = { .stderr_tail_lines = 1 };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_false (asr_run_full (argv, &options, &r, &error));
  g_assert_cmpstr (error->message, ==, "sh failed (exit status 2): the end");
}

static void
test_stdout_cap (void)
{
  const char *exact[] = { "sh", "-c", "printf 0123456789", NULL };
  const char *over[] = { "sh", "-c", "printf 0123456789A", NULL };
  AsrRunOptions options = { .capture_stdout = TRUE, .stdout_max_bytes = 10 };

  {
    g_auto (AsrRunResult) r = { 0 };
    g_autoptr (GError) error = NULL;
    g_assert_true (asr_run_full (exact, &options, &r, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (r.stdout_text, ==, "0123456789");
  }
  {
    g_auto (AsrRunResult) r = { 0 };
    g_autoptr (GError) error = NULL;
    g_assert_false (asr_run_full (over, &options, &r, &error));
    g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_OUTPUT);
    g_assert_cmpstr (error->message, ==, "sh failed (more than 10 bytes of output)");
    g_assert_cmpuint (strlen (r.stdout_text), <=, 10);
  }
}

/* A child that writes without end is killed at the cap, not at the
 * timeout. */
static void
test_stdout_cap_endless (void)
{
  const char *argv[]
    = { "sh", "-c", "while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done", NULL };
  AsrRunOptions options
    = { .capture_stdout = TRUE, .stdout_max_bytes = 100000, .timeout_seconds = 20 };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_false (asr_run_full (argv, &options, &r, &error));
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_OUTPUT);
  g_assert_cmpfloat (seconds_since (start), <, 15.0);
  g_assert_cmpstr (r.killed, ==, "was killed after more than 100000 bytes of output");
}

/* The child reads nothing from our stdin (it has /dev/null), and runs in
 * the C locale when asked, not ours: here both of ours say something else. */
static void
test_stdin_and_locale (void)
{
  const char *argv[] = { "sh", "-c", "read x; echo \"[$x] $LC_ALL\"", NULL };
  AsrRunOptions options = { .capture_stdout = TRUE, .c_locale = TRUE, .timeout_seconds = 20 };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *old_lc_all = g_strdup (g_getenv ("LC_ALL"));
  int fds[2];
  int saved_stdin = dup (0);

  g_assert_cmpint (saved_stdin, >=, 0);
  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (write (fds[1], "ours\n", 5), ==, 5);
  close (fds[1]);
  g_assert_cmpint (dup2 (fds[0], 0), ==, 0);
  close (fds[0]);
  g_setenv ("LC_ALL", "en_US.UTF-8", TRUE);

  /* read fails at end of file: the status of the echo is what counts */
  gboolean ok = asr_run_full (argv, &options, &r, &error);

  dup2 (saved_stdin, 0);
  close (saved_stdin);
  if (old_lc_all)
    g_setenv ("LC_ALL", old_lc_all, TRUE);
  else
    g_unsetenv ("LC_ALL");
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpstr (r.stdout_text, ==, "[] C\n");
}

static void
test_not_utf8 (void)
{
  const char *argv[] = { "sh", "-c", "printf 'ok\\377'", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;

  g_assert_false (asr_run (argv, &out, NULL, NULL, &error));
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_IO);
  g_assert_cmpstr (error->message, ==, "sh: Invalid UTF-8 in child stdout at offset 2");
  g_assert_null (out);
}

static void
test_spawn_failure (void)
{
  const char *argv[] = { "/nonexistent/asr-no-such-program", NULL };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_false (asr_run_full (argv, NULL, &r, &error));
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_SPAWN);
  g_assert_true (
    g_str_has_prefix (error->message, "cannot run /nonexistent/asr-no-such-program: "));
  g_assert_cmpint (r.exit_status, ==, -1);
  g_assert_null (r.killed);
}

/* asr_run_sandboxed: a forked function under limits (sandbox.c). */

static gboolean
sandbox_writes (int fd, gpointer data, GError **error)
{
  const char *text = data;
  return write (fd, text, strlen (text)) == (ssize_t) strlen (text);
}

static gboolean
sandbox_fails (int fd, gpointer data, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bitmap %d is wrong", 7);
  return FALSE;
}

static gboolean
sandbox_spins (int fd, gpointer data, GError **error)
{
  volatile guint64 n = 0;
  for (;;)
    n++;
  return TRUE;
}

static gboolean
sandbox_allocates (int fd, gpointer data, GError **error)
{
  /* past the address-space limit: malloc fails, and the child says so */
  void *p = malloc ((gsize) 512 * 1024 * 1024);
  if (p == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "out of memory");
      return FALSE;
    }
  free (p);
  return TRUE;
}

static gboolean
sandbox_floods (int fd, gpointer data, GError **error)
{
  char buf[4096] = { 0 };
  for (;;)
    if (write (fd, buf, sizeof buf) < 0)
      return FALSE;
}

static gboolean
sandbox_blocks (int fd, gpointer data, GError **error)
{
  pause (); /* no CPU used: only the wall-clock limit ends it */
  return TRUE;
}

static gboolean
sandbox_chatters (int fd, gpointer data, GError **error)
{
  /* 100 KiB of messages, more than are passed on, then its answer */
  for (int i = 0; i < 1600; i++)
    fprintf (stderr, "warning %04d: a bitmap block lies outside its group..\n", i);
  fflush (stderr);
  return write (fd, "done", 4) == 4;
}

static gboolean
sandbox_aborts (int fd, gpointer data, GError **error)
{
  abort ();
}

/* The child's standard error reaches asr's, also when that is a file (a
 * log under cron) and the child may write no file; a crash is a failure
 * naming its signal. */
static void
test_sandbox_stderr (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) out = NULL;
  g_autofree char *log = NULL, *text = NULL;
  AsrRunLimits limits = { TRUE, 256u << 20, 5, 0 };
  int fd = g_file_open_tmp ("asr-sandbox-XXXXXX.log", &log, &error);
  g_assert_no_error (error);
  int saved = dup (STDERR_FILENO);
  g_assert_cmpint (dup2 (fd, STDERR_FILENO), ==, STDERR_FILENO);

  gboolean ok = asr_run_sandboxed (sandbox_chatters, NULL, &limits, 30, 64, &out, &error);
  g_assert_cmpint (dup2 (saved, STDERR_FILENO), ==, STDERR_FILENO);
  close (saved);
  close (fd);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "done", 4);
  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "warning 0000: a bitmap block"));
  /* 1600 lines of 54 bytes: 65536 passed on, the rest counted */
  g_assert_nonnull (strstr (text, "[20864 more bytes of the sandboxed reader's messages dropped]"));
  g_unlink (log);

  g_assert_false (asr_run_sandboxed (sandbox_aborts, NULL, &limits, 30, 64, NULL, &error));
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "the sandboxed reader was killed by signal 6 (Aborted)");
}

static gboolean
refused (int rc)
{
  return rc == -1 && errno == EPERM;
}

static gboolean
say (int fd, const char *what)
{
  return write (fd, what, strlen (what)) == (ssize_t) strlen (what);
}

/* Each thing a reader must not do, tried in turn: "ok" if every one
 * failed with EPERM, else the first that did not (exec last: it would
 * end the test's function). */
static gboolean
sandbox_tries (int fd, gpointer data, GError **error)
{
  const char *path = data;
  char *const argv[] = { (char *) "/bin/true", NULL };

  if (!refused (open (path, O_WRONLY | O_CREAT, 0600)))
    return say (fd, "open for writing");
  if (!refused (open ("/proc/self/status", O_RDWR)))
    return say (fd, "open read-write");
  if (!refused (socket (AF_UNIX, SOCK_STREAM, 0)))
    return say (fd, "socket");
  if (!refused (unlink (path)))
    return say (fd, "unlink");
  if (!refused (mkdir (path, 0700)))
    return say (fd, "mkdir");
  if (!refused (setuid (0)))
    return say (fd, "setuid");
  /* reading is what it is for */
  int r = open ("/proc/self/status", O_RDONLY);
  if (r < 0)
    return say (fd, "open for reading");
  close (r);
  if (!refused (execv ("/bin/true", argv)))
    return say (fd, "exec");
  return say (fd, "ok");
}

/* The child runs under the seccomp filter: every call a reader never
 * needs fails with EPERM, reading still works. */
static void
test_sandbox_filter (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) out = NULL;
  g_autofree char *dir = g_dir_make_tmp ("asr-sandbox-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "made", NULL);
  AsrRunLimits limits = { TRUE, 256u << 20, 5, 1u << 20 };

  if (!asr_sandbox_denies_syscalls ())
    {
      g_test_skip ("no seccomp filter for this architecture");
      return;
    }
  g_assert_true (asr_run_sandboxed (sandbox_tries, path, &limits, 30, 64, &out, &error));
  g_assert_no_error (error);
  g_autofree char *said = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  g_assert_cmpstr (said, ==, "ok");
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_rmdir (dir);
}

static void
test_sandbox_timeout (void)
{
  g_autoptr (GError) error = NULL;
  AsrRunLimits limits = { TRUE, 256u << 20, 5, 0 };

  g_assert_false (asr_run_sandboxed (sandbox_blocks, NULL, &limits, 1, 64, NULL, &error));
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_TIMEOUT);
  g_assert_cmpstr (error->message, ==, "the sandboxed reader did not finish within 1 s");
}

static void
test_sandbox_output (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) out = NULL;
  AsrRunLimits limits = { TRUE, 256u << 20, 5, 0 };

  g_assert_true (asr_run_sandboxed (sandbox_writes, "free 1+2", &limits, 30, 64, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), "free 1+2", 8);
}

static void
test_sandbox_error (void)
{
  g_autoptr (GError) error = NULL;
  AsrRunLimits limits = { TRUE, 256u << 20, 5, 0 };

  g_assert_false (asr_run_sandboxed (sandbox_fails, NULL, &limits, 30, 64, NULL, &error));
  /* domain, code and message cross the fork */
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==, "bitmap 7 is wrong");
}

static void
test_sandbox_limits (void)
{
  g_autoptr (GError) error = NULL;
  AsrRunLimits limits = { TRUE, 256u << 20, 1, 0 };

  g_assert_false (asr_run_sandboxed (sandbox_spins, NULL, &limits, 30, 64, NULL, &error));
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "the sandboxed reader was killed after its 1 s CPU limit");
  g_clear_error (&error);

  if (!asr_sandbox_address_space_unlimited ())
    {
      g_assert_false (asr_run_sandboxed (sandbox_allocates, NULL, &limits, 30, 64, NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
      g_clear_error (&error);
    }

  g_assert_false (asr_run_sandboxed (sandbox_floods, NULL, &limits, 30, 65536, NULL, &error));
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_OUTPUT);
  g_assert_cmpstr (error->message, ==,
                   "the sandboxed reader was killed after more than 65536 bytes of output");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/util/run/reaped-before-registered/success", test_reaped_success);
  g_test_add_func ("/util/run/reaped-before-registered/failure", test_reaped_failure);
  g_test_add_func ("/util/run/reaped-before-registered/progress", test_reaped_progress);
  g_test_add_func ("/util/run/running", test_running);
  g_test_add_func ("/util/run/timeout/kills", test_timeout);
  g_test_add_func ("/util/run/timeout/not-reached", test_timeout_not_reached);
  g_test_add_func ("/util/run/limits/seen-by-child", test_limits_seen);
  g_test_add_func ("/util/run/limits/no-file-written", test_limits_file);
  g_test_add_func ("/util/run/limits/cpu", test_limits_cpu);
  g_test_add_func ("/util/run/stderr-tail/default", test_stderr_tail_default);
  g_test_add_func ("/util/run/stderr-tail/lines-and-prefix", test_stderr_tail_options);
  g_test_add_func ("/util/run/stderr-tail/long", test_stderr_tail_long);
  g_test_add_func ("/util/run/stdout-cap/exact-and-over", test_stdout_cap);
  g_test_add_func ("/util/run/stdout-cap/endless", test_stdout_cap_endless);
  g_test_add_func ("/util/run/stdin-null-and-c-locale", test_stdin_and_locale);
  g_test_add_func ("/util/run/stdout-not-utf8", test_not_utf8);
  g_test_add_func ("/util/run/spawn-failure", test_spawn_failure);
  g_test_add_func ("/util/run/sandbox/output", test_sandbox_output);
  g_test_add_func ("/util/run/sandbox/error", test_sandbox_error);
  g_test_add_func ("/util/run/sandbox/limits", test_sandbox_limits);
  g_test_add_func ("/util/run/sandbox/timeout", test_sandbox_timeout);
  g_test_add_func ("/util/run/sandbox/stderr", test_sandbox_stderr);
  g_test_add_func ("/util/run/sandbox/filter", test_sandbox_filter);
  return g_test_run ();
}
