/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASR_ASAN 1
#endif
#endif
#ifdef ASR_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

/* The child's error, after its output: "domain\ncode\nmessage". */
#define MAX_STATUS_BYTES 8192

gboolean
asr_sandbox_write (int fd, const void *data, gsize len)
{
  const char *buf = data;
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      buf += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static G_GNUC_NORETURN void
child_main (AsrSandboxFunc fn, gpointer data, const AsrRunLimits *limits, int out_fd, int status_fd)
{
  g_autoptr (GError) local = NULL;

  asr_cleanup_child_setup (NULL);
#ifdef ASR_ASAN
  /* A sanitizer's report ends the child alone: a death callback the
   * parent set (libFuzzer's, which takes locks another thread of the
   * parent held at the fork) would hang it. */
  __sanitizer_set_death_callback (NULL);
#endif
  asr_run_limit_self (limits, asr_sandbox_address_space_unlimited ());

  gboolean ok = fn (out_fd, data, &local);
  close (out_fd);
  if (!ok)
    {
      g_autofree char *status
        = local ? g_strdup_printf ("%s\n%d\n%s", g_quark_to_string (local->domain), local->code,
                                   local->message)
                : g_strdup ("asr-run-error-quark\n1\nfailed without saying why");
      (void) asr_sandbox_write (status_fd, status, strlen (status));
      _exit (1);
    }
  _exit (0);
}

gboolean
asr_sandbox_address_space_unlimited (void)
{
#ifdef ASR_ASAN
  return TRUE;
#else
  return FALSE;
#endif
}

/* Reads @fd to its end, at most @max bytes (FALSE past them, *err 0),
 * before @deadline (monotonic µs; FALSE after it, *err ETIMEDOUT). */
static gboolean
read_to_end (int fd, GByteArray *into, gsize max, gint64 deadline, int *err)
{
  char buf[65536];
  for (;;)
    {
      gint64 left = deadline - g_get_monotonic_time ();
      struct pollfd p = { fd, POLLIN, 0 };
      if (left <= 0 || poll (&p, 1, (int) MIN (left / 1000 + 1, G_MAXINT)) == 0)
        {
          *err = ETIMEDOUT;
          return FALSE;
        }
      ssize_t n = read (fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          *err = errno;
          return FALSE;
        }
      if (n == 0)
        return TRUE;
      if (into->len + (gsize) n > max)
        {
          *err = 0;
          return FALSE;
        }
      g_byte_array_append (into, (const guint8 *) buf, (guint) n);
    }
}

static void
set_child_error (GError **error, const char *status)
{
  g_auto (GStrv) f = g_strsplit (status, "\n", 3);
  gint64 code = 0;
  if (g_strv_length (f) == 3
      && g_ascii_string_to_signed (f[1], 10, G_MININT, G_MAXINT, &code, NULL))
    g_set_error_literal (error, g_quark_from_string (f[0]), (gint) code, f[2]);
  else
    g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED, "the sandboxed reader failed");
}

gboolean
asr_run_sandboxed (AsrSandboxFunc fn, gpointer data, const AsrRunLimits *limits,
                   guint timeout_seconds, gsize max_output, GBytes **output, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_seconds * G_USEC_PER_SEC;
  int out[2], status[2];
  g_autoptr (GByteArray) got = g_byte_array_new ();
  g_autoptr (GByteArray) st = g_byte_array_new ();
  int err = 0, ws = 0;
  gboolean over = FALSE;

  if (pipe2 (out, O_CLOEXEC) != 0)
    {
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_SPAWN, "pipe: %s", g_strerror (errno));
      return FALSE;
    }
  if (pipe2 (status, O_CLOEXEC) != 0)
    {
      int e = errno;
      close (out[0]);
      close (out[1]);
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_SPAWN, "pipe: %s", g_strerror (e));
      return FALSE;
    }
  pid_t pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      close (out[0]);
      close (out[1]);
      close (status[0]);
      close (status[1]);
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_SPAWN, "fork: %s", g_strerror (e));
      return FALSE;
    }
  if (pid == 0)
    {
      close (out[0]);
      close (status[0]);
      child_main (fn, data, limits, out[1], status[1]);
    }
  asr_cleanup_add_pid (pid);
  close (out[1]);
  close (status[1]);

  /* Output first (the child writes its status only after closing it). */
  if (!read_to_end (out[0], got, max_output, deadline, &err))
    {
      over = err == 0;
      kill (pid, SIGKILL);
    }
  else if (!read_to_end (status[0], st, MAX_STATUS_BYTES, deadline, &err))
    kill (pid, SIGKILL);
  close (out[0]);
  close (status[0]);
  while (waitpid (pid, &ws, 0) < 0 && errno == EINTR)
    ;
  asr_cleanup_remove_pid (pid);

  if (over)
    {
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_OUTPUT,
                   "the sandboxed reader was killed after more than %" G_GSIZE_FORMAT
                   " bytes of output",
                   max_output);
      return FALSE;
    }
  if (err == ETIMEDOUT)
    {
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_TIMEOUT,
                   "the sandboxed reader did not finish within %u s", timeout_seconds);
      return FALSE;
    }
  if (err != 0)
    {
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_IO, "reading the sandboxed reader: %s",
                   g_strerror (err));
      return FALSE;
    }
  if (WIFSIGNALED (ws))
    {
      int sig = WTERMSIG (ws);
      if (limits && limits->enabled && (sig == SIGXCPU || sig == SIGKILL))
        g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED,
                     "the sandboxed reader was killed after its %" G_GUINT64_FORMAT " s CPU limit",
                     limits->max_cpu_seconds);
      else
        g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED,
                     "the sandboxed reader was killed by signal %d (%s)", sig, g_strsignal (sig));
      return FALSE;
    }
  if (!WIFEXITED (ws) || WEXITSTATUS (ws) != 0)
    {
      if (st->len > 0)
        {
          g_byte_array_append (st, (const guint8 *) "", 1);
          set_child_error (error, (const char *) st->data);
        }
      else
        g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED,
                     "the sandboxed reader failed with exit status %d",
                     WIFEXITED (ws) ? WEXITSTATUS (ws) : -1);
      return FALSE;
    }
  if (output)
    *output = g_byte_array_free_to_bytes (g_steal_pointer (&got));
  return TRUE;
}
