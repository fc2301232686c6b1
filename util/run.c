/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <gio/gio.h>

#include "cleanup.h"
#include "run-private.h"
#include "run.h"

/* clang-format off */
G_DEFINE_QUARK (asr-run-error-quark, asr_run_error)
/* clang-format on */

/* How much of the end of standard error is kept: the tail's lines come
 * from there, and a child that writes without end costs no more. */
#define STDERR_KEEP_BYTES (64 * 1024)

/* The last @n lines of @text (trailing empty ones dropped), each
 * stripped and without @drop_prefix, joined with "; ". */
static char *
tail_lines (const char *text, guint n, const char *drop_prefix)
{
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);
  guint len = g_strv_length (lines);
  g_autoptr (GString) out = g_string_new (NULL);

  while (len > 0 && *g_strstrip (lines[len - 1]) == '\0')
    len--;
  for (guint i = len > n ? len - n : 0; i < len; i++)
    {
      const char *l = g_strstrip (lines[i]);
      if (drop_prefix && g_str_has_prefix (l, drop_prefix))
        l += strlen (drop_prefix);
      if (out->len)
        g_string_append (out, "; ");
      g_string_append (out, l);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static AsrRunSpawnedHook spawned_hook;

void
asr_run_set_spawned_hook (AsrRunSpawnedHook hook)
{
  spawned_hook = hook;
}

/* The pid of @proc for the interrupt handler, or 0 when there is none to
 * kill.  GLib reaps a child in its worker thread as soon as it exits and
 * from then on has no identifier for it (NULL): on a loaded machine a
 * short-lived child, qemu-img on a 1 MiB boot area, can be gone before
 * the spawn returns to us. */
static pid_t
child_pid (GSubprocess *proc)
{
  const char *id = g_subprocess_get_identifier (proc);
  guint64 pid = 0;

  if (id == NULL || !g_ascii_string_to_unsigned (id, 10, 1, G_MAXINT32, &pid, NULL))
    return 0;
  return (pid_t) pid;
}

void
asr_run_limit_self (const AsrRunLimits *l, gboolean keep_address_space)
{
  if (l == NULL || !l->enabled)
    return;

  struct rlimit as = { l->max_as_bytes, l->max_as_bytes };
  struct rlimit cpu = { l->max_cpu_seconds, l->max_cpu_seconds + 1 };
  struct rlimit fsize = { l->max_file_bytes, l->max_file_bytes };
  struct rlimit core = { 0, 0 };

  if ((!keep_address_space && setrlimit (RLIMIT_AS, &as) != 0) || setrlimit (RLIMIT_CPU, &cpu) != 0
      || setrlimit (RLIMIT_FSIZE, &fsize) != 0)
    _exit (126); /* never run unlimited */
  /* A crash on a hostile image must not leave a core of its memory. */
  setrlimit (RLIMIT_CORE, &core);
}

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void
child_setup (gpointer data)
{
  asr_cleanup_child_setup (NULL);
  asr_run_limit_self (data, FALSE);
}

typedef struct Run Run;

/* One of the child's output pipes, read until end of file. */
typedef struct {
  Run *run;
  GInputStream *in;
  gboolean open;
  void (*take) (Run *run, const char *data, gsize len);
  char buf[4096];
} Pipe;

struct Run {
  const AsrRunOptions *opts;
  GSubprocess *proc;
  GCancellable *cancel;
  Pipe out, err;
  GString *stdout_text;  /* with capture_stdout */
  GString *progress_acc; /* with progress: what is not parsed yet */
  GString *stderr_end;   /* the last STDERR_KEEP_BYTES of standard error */
  gboolean waited;
  gboolean timed_out;
  gboolean over_cap;
  GError *io_error;
};

/* qemu-img -p writes "    (12.34/100%)\r" repeatedly. */
static void
take_progress (Run *r, const char *data, gsize len)
{
  GString *acc = r->progress_acc;
  char *open;

  g_string_append_len (acc, data, len);
  while ((open = strchr (acc->str, '(')) != NULL)
    {
      char *close = strchr (open, ')');
      if (close == NULL)
        break;
      double pct = g_ascii_strtod (open + 1, NULL);
      guint64 share = (guint64) (CLAMP (pct, 0.0, 100.0) * (ASR_PROGRESS_SHARE / 100));
      r->opts->progress (NULL, share, ASR_PROGRESS_SHARE, share, ASR_PROGRESS_SHARE,
                         r->opts->progress_opaque);
      g_string_erase (acc, 0, close + 1 - acc->str);
    }
  if (acc->len > 4096)
    g_string_truncate (acc, 0);
}

static void
take_stdout (Run *r, const char *data, gsize len)
{
  gsize cap = r->opts->stdout_max_bytes;

  if (r->over_cap)
    return;
  if (cap > 0 && len > cap - r->stdout_text->len)
    {
      r->over_cap = TRUE;
      g_subprocess_force_exit (r->proc);
      return;
    }
  g_string_append_len (r->stdout_text, data, len);
}

static void
take_nothing (Run *r, const char *data, gsize len)
{
  (void) r;
  (void) data;
  (void) len;
}

static void
take_stderr (Run *r, const char *data, gsize len)
{
  g_string_append_len (r->stderr_end, data, len);
  if (r->stderr_end->len > STDERR_KEEP_BYTES)
    g_string_erase (r->stderr_end, 0, r->stderr_end->len - STDERR_KEEP_BYTES);
}

static void pipe_read (Pipe *p);

static void
pipe_read_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Pipe *p = data;
  g_autoptr (GError) local = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, &local);

  if (n > 0)
    {
      p->take (p->run, p->buf, (gsize) n);
      pipe_read (p);
      return;
    }
  p->open = FALSE;
  if (n < 0 && !g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && p->run->io_error == NULL)
    {
      p->run->io_error = g_steal_pointer (&local);
      /* nobody reads this pipe any more: the child could block on it */
      g_subprocess_force_exit (p->run->proc);
    }
}

static void
pipe_read (Pipe *p)
{
  g_input_stream_read_async (p->in, p->buf, sizeof p->buf, G_PRIORITY_DEFAULT, p->run->cancel,
                             pipe_read_done, p);
}

static void
wait_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Run *r = data;
  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  r->waited = TRUE;
}

static gboolean
on_timeout (gpointer data)
{
  Run *r = data;
  r->timed_out = TRUE;
  g_subprocess_force_exit (r->proc);
  return G_SOURCE_REMOVE;
}

/* Everything the child writes is read as it comes, in a private main
 * context: a progress callback, a timeout and a cap on its output all
 * work the same, and neither pipe can fill up and stall the child. */
static void
run_to_end (Run *r)
{
  g_autoptr (GSource) timeout = NULL;
  GMainContext *ctx = g_main_context_get_thread_default ();

  r->out = (Pipe){ .run = r,
                   .in = g_subprocess_get_stdout_pipe (r->proc),
                   .open = TRUE,
                   .take = r->opts->progress         ? take_progress
                           : r->opts->capture_stdout ? take_stdout
                                                     : take_nothing };
  r->err = (Pipe){
    .run = r, .in = g_subprocess_get_stderr_pipe (r->proc), .open = TRUE, .take = take_stderr
  };
  if (r->opts->timeout_seconds > 0)
    {
      timeout = g_timeout_source_new_seconds (r->opts->timeout_seconds);
      g_source_set_callback (timeout, on_timeout, r, NULL);
      g_source_attach (timeout, ctx);
    }
  pipe_read (&r->out);
  pipe_read (&r->err);
  g_subprocess_wait_async (r->proc, NULL, wait_done, r);

  /* Once the child was killed, its output is not waited for: something
   * it started could hold the pipes open. */
  while (!r->waited
         || ((r->out.open || r->err.open) && !r->timed_out && !r->over_cap && !r->io_error))
    g_main_context_iteration (ctx, TRUE);
  if (timeout)
    g_source_destroy (timeout);
  /* no callback may outlive this frame */
  g_cancellable_cancel (r->cancel);
  while (r->out.open || r->err.open)
    g_main_context_iteration (ctx, TRUE);
}

/* Why the child did not exit by itself (NULL if it did), in the words of
 * AsrRunResult.killed, and for the failure's message in @why. */
static char *
describe_end (Run *r, char **why)
{
  const AsrRunOptions *o = r->opts;

  if (r->timed_out)
    {
      *why = g_strdup_printf ("did not finish within %u s", o->timeout_seconds);
      return g_strdup (*why);
    }
  if (r->over_cap)
    {
      *why = g_strdup_printf ("more than %" G_GSIZE_FORMAT " bytes of output", o->stdout_max_bytes);
      return g_strdup_printf ("was killed after %s", *why);
    }
  if (g_subprocess_get_if_exited (r->proc))
    {
      *why = g_strdup_printf ("exit status %d", g_subprocess_get_exit_status (r->proc));
      return NULL;
    }
  int sig = g_subprocess_get_term_sig (r->proc);
  if (o->limits.enabled && (sig == SIGXCPU || sig == SIGKILL))
    {
      /* SIGKILL: the hard limit, one second after the soft one */
      *why = g_strdup_printf ("killed after its %" G_GUINT64_FORMAT " s CPU limit",
                              o->limits.max_cpu_seconds);
      return g_strdup_printf ("was %s", *why);
    }
  *why = g_strdup_printf ("killed by signal %d", sig);
  return g_strdup_printf ("was killed by signal %d (%s)", sig, g_strsignal (sig));
}

void
asr_run_result_clear (AsrRunResult *result)
{
  g_clear_pointer (&result->stdout_text, g_free);
  g_clear_pointer (&result->stderr_tail, g_free);
  g_clear_pointer (&result->killed, g_free);
}

gboolean
asr_run_full (const char *const *argv, const AsrRunOptions *options, AsrRunResult *result,
              GError **error)
{
  static const AsrRunOptions defaults = { 0 };
  const AsrRunOptions *o = options ? options : &defaults;
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autoptr (GString) stdout_text = g_string_new (NULL);
  g_autoptr (GString) progress_acc = g_string_new (NULL);
  g_autoptr (GString) stderr_end = g_string_new (NULL);
  g_autoptr (GError) local = NULL;
  g_autofree char *cmdline = NULL;
  g_autofree char *tail = NULL;
  g_autofree char *killed = NULL;
  g_autofree char *why = NULL;
  AsrRunResult ignored = { 0 };
  AsrRunResult *res = result ? result : &ignored;
  const char *bad = NULL;
  gboolean ok = FALSE;
  Run r = { .opts = o,
            .cancel = cancel,
            .stdout_text = stdout_text,
            .progress_acc = progress_acc,
            .stderr_end = stderr_end };

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);
  res->exit_status = -1;

  launcher
    = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (o->c_locale)
    g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, (gpointer) &o->limits, NULL);
  cmdline = g_strjoinv (" ", (char **) argv);
  g_debug ("running: %s", cmdline);

  g_main_context_push_thread_default (ctx);
  proc = g_subprocess_launcher_spawnv (launcher, argv, &local);
  if (proc == NULL)
    {
      g_main_context_pop_thread_default (ctx);
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_SPAWN, "cannot run %s: %s", argv[0],
                   local->message);
      return FALSE;
    }
  if (spawned_hook)
    spawned_hook (proc);
  pid_t pid = child_pid (proc);
  if (pid > 0)
    asr_cleanup_add_pid (pid);

  r.proc = proc;
  run_to_end (&r);
  g_main_context_pop_thread_default (ctx);
  asr_cleanup_remove_pid (pid);

  tail = tail_lines (stderr_end->str,
                     o->stderr_tail_lines ? o->stderr_tail_lines : ASR_RUN_STDERR_TAIL_LINES,
                     o->stderr_drop_prefix);
  res->stderr_tail = g_utf8_make_valid (tail, -1);
  killed = describe_end (&r, &why);
  if (killed == NULL)
    res->exit_status = g_subprocess_get_exit_status (proc);
  res->killed = g_strdup (killed);

  if (r.timed_out)
    g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_TIMEOUT, "%s failed (%s)%s%s", argv[0], why,
                 *res->stderr_tail ? ": " : "", res->stderr_tail);
  else if (r.over_cap)
    g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_OUTPUT, "%s failed (%s)", argv[0], why);
  else if (r.io_error)
    g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_IO, "%s: %s", argv[0], r.io_error->message);
  else if (o->capture_stdout && !o->progress && !g_utf8_validate (stdout_text->str, -1, &bad))
    g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_IO,
                 "%s: Invalid UTF-8 in child stdout at offset %" G_GSIZE_FORMAT, argv[0],
                 (gsize) (bad - stdout_text->str));
  else if (res->exit_status != 0)
    g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED, "%s failed (%s)%s%s", argv[0], why,
                 *res->stderr_tail ? ": " : "", res->stderr_tail);
  else
    ok = TRUE;

  if (o->capture_stdout && !o->progress)
    res->stdout_text = g_string_free (g_steal_pointer (&stdout_text), FALSE);
  g_clear_error (&r.io_error);
  asr_run_result_clear (&ignored);
  return ok;
}

struct _AsrRunChild {
  GSubprocess *proc;
  pid_t pid; /* registered with the interrupt handler; 0: none */
};

AsrRunChild *
asr_run_start (const char *const *argv, int listen_fd, const char *stderr_path, GError **error)
{
  static const AsrRunLimits no_limits = { 0 };
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GError) local = NULL;
  g_autofree char *cmdline = NULL;
  AsrRunChild *child;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  if (stderr_path)
    g_subprocess_launcher_set_stderr_file_path (launcher, stderr_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, (gpointer) &no_limits, NULL);
  if (listen_fd >= 0)
    {
      g_subprocess_launcher_take_fd (launcher, listen_fd, 3);
      g_subprocess_launcher_setenv (launcher, "LISTEN_FDS", "1", TRUE);
      g_subprocess_launcher_unsetenv (launcher, "LISTEN_FDNAMES");
      g_subprocess_launcher_unsetenv (launcher, "LISTEN_PID");
      g_ptr_array_add (args, (gpointer) "/bin/sh");
      g_ptr_array_add (args, (gpointer) "-c");
      g_ptr_array_add (args, (gpointer) "LISTEN_PID=$$; export LISTEN_PID; exec \"$0\" \"$@\"");
    }
  for (const char *const *a = argv; *a; a++)
    g_ptr_array_add (args, (gpointer) *a);
  g_ptr_array_add (args, NULL);
  cmdline = g_strjoinv (" ", (char **) argv);
  g_debug ("starting: %s", cmdline);

  GSubprocess *proc
    = g_subprocess_launcher_spawnv (launcher, (const char *const *) args->pdata, &local);
  /* Our copy of the listening socket goes with the launcher: only the
   * child's keeps it open, so its exit resets a pending connection. */
  g_clear_object (&launcher);
  if (proc == NULL)
    {
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_SPAWN, "cannot run %s: %s", argv[0],
                   local->message);
      return NULL;
    }
  child = g_new0 (AsrRunChild, 1);
  child->proc = proc;
  child->pid = child_pid (proc);
  if (child->pid > 0)
    asr_cleanup_add_pid (child->pid);
  return child;
}

/* Waits for it, forgets it and frees it. */
static void
reap (AsrRunChild *child)
{
  (void) g_subprocess_wait (child->proc, NULL, NULL);
  if (child->pid > 0)
    asr_cleanup_remove_pid (child->pid);
  g_object_unref (child->proc);
  g_free (child);
}

void
asr_run_stop (AsrRunChild *child)
{
  if (child == NULL)
    return;
  /* A server has nothing to flush that asr needs: no graceful exit to
   * wait for, which a stuck one might never make. */
  g_subprocess_force_exit (child->proc);
  reap (child);
}

gboolean
asr_run_terminate (AsrRunChild *child, guint timeout_seconds)
{
  gboolean clean = FALSE;

  if (child == NULL)
    return TRUE;
  g_subprocess_send_signal (child->proc, SIGTERM);
  /* GLib's worker reaps it; its identifier is gone once it has */
  for (guint i = 0; i < timeout_seconds * 10; i++)
    {
      if (g_subprocess_get_identifier (child->proc) == NULL)
        {
          clean = TRUE;
          break;
        }
      g_usleep (G_USEC_PER_SEC / 10);
    }
  if (!clean)
    g_subprocess_force_exit (child->proc);
  reap (child);
  return clean;
}

gboolean
asr_run (const char *const *argv, char **stdout_out, AsrProgressFunc progress, void *opaque,
         GError **error)
{
  AsrRunOptions options
    = { .capture_stdout = stdout_out != NULL, .progress = progress, .progress_opaque = opaque };
  g_auto (AsrRunResult) result = { 0 };

  if (!asr_run_full (argv, &options, &result, error))
    return FALSE;
  if (stdout_out)
    *stdout_out = g_steal_pointer (&result.stdout_text);
  return TRUE;
}

char *
asr_qemu_opts_escape (const char *value)
{
  g_autoptr (GString) s = g_string_new (NULL);
  for (const char *p = value; *p; p++)
    {
      if (*p == ',')
        g_string_append_c (s, ',');
      g_string_append_c (s, *p);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}
