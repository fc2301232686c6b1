/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

static GMutex lock;
static gint interrupted; /* set once a signal is being handled */
static GPtrArray *dirs; /* char* */
static GArray *pids;    /* pid_t */

static void
signal_set (sigset_t *set)
{
  sigemptyset (set);
  sigaddset (set, SIGINT);
  sigaddset (set, SIGTERM);
  sigaddset (set, SIGHUP);
}

static int
remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st;
  (void) ftw;
  if (flag == FTW_DP)
    rmdir (path);
  else
    unlink (path);
  return 0;
}

gboolean
asr_remove_tree (const char *path)
{
  /* FTW_PHYS: a symlink inside is removed, never followed. */
  nftw (path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  return access (path, F_OK) != 0;
}

/* Every child of this process is something asr started (qemu-img,
 * qemu-nbd, the libguestfs appliance — whose pid is known only once its
 * launch returns): kill them all, registered or not. */
static void
kill_children (void)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  pid_t self = getpid ();

  while (proc && (name = g_dir_read_name (proc)) != NULL)
    {
      char path[64];
      g_autofree char *stat = NULL;

      if (!g_ascii_isdigit (name[0]))
        continue;
      g_snprintf (path, sizeof path, "/proc/%s/stat", name);
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      /* "pid (comm) state ppid ...": comm may hold spaces and ')'. */
      const char *end = strrchr (stat, ')');
      long ppid = 0;
      if (end && sscanf (end + 1, " %*c %ld", &ppid) == 1 && ppid == self)
        kill ((pid_t) g_ascii_strtoll (name, NULL, 10), SIGKILL);
    }
}

static gpointer
signal_thread (gpointer unused)
{
  sigset_t set;
  int sig = 0;

  signal_set (&set);
  if (sigwait (&set, &sig) != 0)
    return NULL;
  g_atomic_int_set (&interrupted, 1);

  g_mutex_lock (&lock);
  kill_children ();
  for (guint i = 0; pids && i < pids->len; i++)
    kill (g_array_index (pids, pid_t, i), SIGKILL);
  for (guint i = 0; pids && i < pids->len; i++)
    {
      /* Reap so that a qemu holding an image is really gone before its
       * directory is removed. */
      pid_t p = g_array_index (pids, pid_t, i);
      for (int tries = 0; tries < 50 && kill (p, 0) == 0; tries++)
        g_usleep (20 * 1000);
    }
  for (guint i = 0; dirs && i < dirs->len; i++)
    asr_remove_tree (g_ptr_array_index (dirs, i));
  g_mutex_unlock (&lock);

  fprintf (stderr, "asr: interrupted (%s), temporary files removed\n", strsignal (sig));
  signal (sig, SIG_DFL);
  pthread_sigmask (SIG_UNBLOCK, &set, NULL);
  raise (sig);
  _exit (128 + sig);
}

void
asr_cleanup_install (void)
{
  sigset_t set;
  signal_set (&set);
  pthread_sigmask (SIG_BLOCK, &set, NULL);
  g_thread_unref (g_thread_new ("asr-signals", signal_thread, NULL));
}

gboolean
asr_test_fail_point (const char *variable, const char *step, GQuark domain, gint code,
                     GError **error)
{
  const char *at = g_getenv (variable);
  if (at && strcmp (at, step) == 0)
    {
      g_set_error (error, domain, code, "stopped at step '%s' (%s)", step, variable);
      return FALSE;
    }
  return TRUE;
}

void
asr_cleanup_wait_if_interrupted (void)
{
  /* The children this thread was waiting for were killed by the signal
   * thread: their failure is the interruption, not an error to report.
   * That thread ends the process once the temporary files are gone. */
  while (g_atomic_int_get (&interrupted))
    pause ();
}

void
asr_cleanup_child_setup (gpointer unused)
{
  sigset_t set;
  (void) unused;
  signal_set (&set);
  pthread_sigmask (SIG_UNBLOCK, &set, NULL);
  /* A kill -9 of asr runs no cleanup: without this, a qemu-img convert
   * would go on writing a target (or a backup set) after asr is gone,
   * and beside the next restore of that disk.  Async-signal-safe; it
   * survives the exec. */
  (void) prctl (PR_SET_PDEATHSIG, SIGKILL);
}

void
asr_cleanup_add_dir (const char *path)
{
  g_mutex_lock (&lock);
  if (dirs == NULL)
    dirs = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (dirs, g_strdup (path));
  g_mutex_unlock (&lock);
}

void
asr_cleanup_remove_dir (const char *path)
{
  g_mutex_lock (&lock);
  for (guint i = 0; dirs && i < dirs->len; i++)
    if (strcmp (g_ptr_array_index (dirs, i), path) == 0)
      {
        g_ptr_array_remove_index (dirs, i);
        break;
      }
  g_mutex_unlock (&lock);
}

void
asr_cleanup_add_pid (pid_t pid)
{
  /* kill (0) would hit our whole process group and kill (-1) every
   * process we may signal: never a child to register. */
  if (pid <= 0)
    return;
  g_mutex_lock (&lock);
  if (pids == NULL)
    pids = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_array_append_val (pids, pid);
  g_mutex_unlock (&lock);
}

void
asr_cleanup_remove_pid (pid_t pid)
{
  g_mutex_lock (&lock);
  for (guint i = 0; pids && i < pids->len; i++)
    if (g_array_index (pids, pid_t, i) == pid)
      {
        g_array_remove_index (pids, i);
        break;
      }
  g_mutex_unlock (&lock);
}
