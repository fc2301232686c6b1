/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Children under resource limits: qemu-img on images nobody vouches for. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include <gio/gio.h>

#include "probe-private.h"

void
asr_probe_limits_init_image (AsrProbeLimits *l)
{
  l->max_as_bytes = ASR_IMAGE_PROBE_MAX_AS_BYTES;
  l->max_cpu_seconds = ASR_IMAGE_PROBE_MAX_CPU_SECONDS;
  l->max_file_bytes = 0;
  l->timeout_seconds = ASR_IMAGE_PROBE_TIMEOUT_SECONDS;
}

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void
child_setup (gpointer data)
{
  const AsrProbeLimits *l = data;
  struct rlimit as = { l->max_as_bytes, l->max_as_bytes };
  struct rlimit cpu = { l->max_cpu_seconds, l->max_cpu_seconds + 1 };
  struct rlimit fsize = { l->max_file_bytes, l->max_file_bytes };
  struct rlimit core = { 0, 0 };
  sigset_t set;

  /* The CLI may block these in every thread to handle them in one
   * (util/cleanup.h); the child must die of them as usual. */
  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGHUP);
  sigprocmask (SIG_UNBLOCK, &set, NULL);

  if (setrlimit (RLIMIT_AS, &as) != 0 || setrlimit (RLIMIT_CPU, &cpu) != 0
      || setrlimit (RLIMIT_FSIZE, &fsize) != 0)
    _exit (126); /* never run unlimited */
  /* A crash on a hostile image must not leave a core of its memory. */
  setrlimit (RLIMIT_CORE, &core);
}

typedef struct {
  GMainLoop *loop;
  char *out;
  char *err;
  GError *error;
  gboolean done;
  gboolean timed_out;
} RunState;

static void
communicate_done (GObject *source, GAsyncResult *res, gpointer data)
{
  RunState *s = data;
  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), res, &s->out, &s->err,
                                        &s->error);
  s->done = TRUE;
  g_main_loop_quit (s->loop);
}

static gboolean
on_timeout (gpointer data)
{
  RunState *s = data;
  s->timed_out = TRUE;
  g_main_loop_quit (s->loop);
  return G_SOURCE_REMOVE;
}

static void
wait_done (GObject *source, GAsyncResult *res, gpointer data)
{
  RunState *s = data;
  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  g_main_loop_quit (s->loop);
}

gboolean
asr_probe_run_limited (const char *const *argv, const AsrProbeLimits *limits,
                       char **out_stdout, char **out_stderr, int *status,
                       char **killed_reason, GError **error)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (GMainLoop) loop = g_main_loop_new (ctx, FALSE);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GSource) timeout = NULL;
  g_autoptr (GError) local_error = NULL;
  RunState s = { .loop = loop };

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);

  *status = -1;
  if (killed_reason)
    *killed_reason = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                        | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* qemu-img messages in English, whatever the user's locale: they end up
   * in our messages and in tests. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, (gpointer) limits, NULL);

  g_main_context_push_thread_default (ctx);
  proc = g_subprocess_launcher_spawnv (launcher, argv, &local_error);
  if (proc == NULL)
    {
      g_main_context_pop_thread_default (ctx);
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                   "could not run %s: %s", argv[0], local_error->message);
      return FALSE;
    }

  timeout = g_timeout_source_new_seconds (limits->timeout_seconds);
  g_source_set_callback (timeout, on_timeout, &s, NULL);
  g_source_attach (timeout, ctx);

  /* An empty stdin: closed at once, so nothing waits on us. */
  g_subprocess_communicate_utf8_async (proc, "", NULL, communicate_done, &s);
  g_main_loop_run (loop);
  g_source_destroy (timeout);

  if (!s.done)
    {
      /* Timed out: kill it, and let the pending communicate finish so no
       * callback outlives this frame. */
      g_subprocess_force_exit (proc);
      while (!s.done)
        g_main_context_iteration (ctx, TRUE);
      g_clear_error (&s.error);
      g_subprocess_wait_async (proc, NULL, wait_done, &s);
      g_main_loop_run (loop);
    }
  g_main_context_pop_thread_default (ctx);

  if (s.error && !s.timed_out)
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                   "%s: %s", argv[0], s.error->message);
      g_clear_error (&s.error);
      g_free (s.out);
      g_free (s.err);
      return FALSE;
    }
  g_clear_error (&s.error);

  if (s.timed_out)
    {
      if (killed_reason)
        *killed_reason = g_strdup_printf ("did not finish within %u s", limits->timeout_seconds);
    }
  else if (g_subprocess_get_if_exited (proc))
    *status = g_subprocess_get_exit_status (proc);
  else if (killed_reason)
    {
      int sig = g_subprocess_get_term_sig (proc);
      if (sig == SIGXCPU || sig == SIGKILL)
        *killed_reason = g_strdup_printf ("was killed after its %" G_GUINT64_FORMAT
                                          " s CPU limit", limits->max_cpu_seconds);
      else
        *killed_reason = g_strdup_printf ("was killed by signal %d (%s)", sig,
                                          g_strsignal (sig));
    }

  if (out_stdout)
    *out_stdout = g_steal_pointer (&s.out);
  if (out_stderr)
    *out_stderr = g_steal_pointer (&s.err);
  g_free (s.out);
  g_free (s.err);
  return TRUE;
}

char *
asr_probe_stderr_tail (const char *err)
{
  g_auto (GStrv) lines = NULL;
  guint n;

  if (err == NULL)
    return g_strdup ("");
  lines = g_strsplit (err, "\n", -1);
  n = g_strv_length (lines);
  while (n > 0)
    {
      char *l = g_strstrip (lines[--n]);
      if (*l)
        {
          /* "qemu-img: file.qcow2: message" → "message"-ish: keep it whole,
           * minus the program name, so the user sees qemu's words. */
          if (g_str_has_prefix (l, "qemu-img: "))
            l += strlen ("qemu-img: ");
          return g_strdup (l);
        }
    }
  return g_strdup ("");
}

char *
asr_probe_find_qemu_img (GError **error)
{
  char *p = g_find_program_in_path ("qemu-img");
  if (p == NULL)
    g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                 "qemu-img not found in PATH (Debian: apt install qemu-utils)");
  return p;
}

char *
asr_probe_qemu_safe_path (const char *path)
{
  if (g_path_is_absolute (path))
    return g_strdup (path);
  return g_strconcat ("./", path, NULL);
}
