/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "cleanup.h"
#include "run-private.h"
#include "run.h"

G_DEFINE_QUARK (asr-run-error-quark, asr_run_error)

#define STDERR_TAIL_LINES 8

static char *
tail_lines (const char *text, guint n)
{
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);
  guint len = g_strv_length (lines);
  g_autoptr (GString) out = g_string_new (NULL);

  while (len > 0 && *g_strstrip (lines[len - 1]) == '\0')
    len--;
  for (guint i = len > n ? len - n : 0; i < len; i++)
    {
      if (out->len)
        g_string_append (out, "; ");
      g_string_append (out, g_strstrip (lines[i]));
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

/* qemu-img -p writes "    (12.34/100%)\r" repeatedly. */
static void
read_progress (GInputStream *in, AsrRunProgressFunc progress, void *opaque)
{
  char buf[512];
  g_autoptr (GString) acc = g_string_new (NULL);
  gssize n;

  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL)) > 0)
    {
      g_string_append_len (acc, buf, n);
      char *open;
      while ((open = strchr (acc->str, '(')) != NULL)
        {
          char *close = strchr (open, ')');
          if (close == NULL)
            break;
          double pct = g_ascii_strtod (open + 1, NULL);
          progress (CLAMP (pct, 0.0, 100.0), opaque);
          g_string_erase (acc, 0, close + 1 - acc->str);
        }
      if (acc->len > 4096)
        g_string_truncate (acc, 0);
    }
}

gboolean
asr_run (const char *const *argv, char **stdout_out, AsrRunProgressFunc progress,
         void *opaque, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *cmdline = g_strjoinv (" ", (char **) argv);

  g_subprocess_launcher_set_child_setup (launcher, asr_cleanup_child_setup, NULL, NULL);
  g_debug ("running: %s", cmdline);
  proc = g_subprocess_launcher_spawnv (launcher, argv, &local);
  if (proc == NULL)
    {
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_SPAWN, "cannot run %s: %s", argv[0],
                   local->message);
      return FALSE;
    }
  if (spawned_hook)
    spawned_hook (proc);
  pid_t pid = child_pid (proc);
  if (pid > 0)
    asr_cleanup_add_pid (pid);

  if (progress)
    {
      /* stderr is drained in a thread by communicate below only after
       * stdout closes; qemu-img writes little to stderr, which a pipe
       * buffer holds. */
      read_progress (g_subprocess_get_stdout_pipe (proc), progress, opaque);
      g_autoptr (GBytes) errb = NULL;
      if (!g_subprocess_communicate (proc, NULL, NULL, NULL, &errb, &local))
        {
          asr_cleanup_remove_pid (pid);
          g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED, "%s: %s", argv[0],
                       local->message);
          return FALSE;
        }
      err = g_strndup (g_bytes_get_data (errb, NULL), g_bytes_get_size (errb));
    }
  else if (!g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &local))
    {
      asr_cleanup_remove_pid (pid);
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED, "%s: %s", argv[0], local->message);
      return FALSE;
    }
  g_subprocess_wait (proc, NULL, NULL);
  asr_cleanup_remove_pid (pid);

  if (!g_subprocess_get_successful (proc))
    {
      g_autofree char *tail = tail_lines (err, STDERR_TAIL_LINES);
      g_autofree char *status =
        g_subprocess_get_if_signaled (proc)
          ? g_strdup_printf ("killed by signal %d", g_subprocess_get_term_sig (proc))
          : g_strdup_printf ("exit status %d", g_subprocess_get_exit_status (proc));
      g_set_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED, "%s failed (%s)%s%s", argv[0],
                   status, *tail ? ": " : "", tail);
      return FALSE;
    }
  if (stdout_out)
    *stdout_out = g_steal_pointer (&out);
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
