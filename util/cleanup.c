/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cleanup.h"
#include "file.h"

static GMutex lock;
static gint interrupted; /* set once a signal is being handled */
static GPtrArray *dirs;  /* char* */
static GArray *pids;     /* pid_t */
static AsrInterruptHook interrupt_hook;

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

/* A mountinfo field with its octal escapes (\040 for a space) undone. */
static char *
unescape_mount_field (const char *f)
{
  GString *out = g_string_new (NULL);
  for (const char *c = f; *c; c++)
    if (c[0] == '\\' && c[1] >= '0' && c[1] <= '3' && c[2] >= '0' && c[2] <= '7' && c[3] >= '0'
        && c[3] <= '7')
      {
        g_string_append_c (out, (char) ((c[1] - '0') * 64 + (c[2] - '0') * 8 + (c[3] - '0')));
        c += 3;
      }
    else
      g_string_append_c (out, *c);
  return g_string_free (out, FALSE);
}

/* Detaches every mount below @path: the FUSE exports of overlays
 * (qemu-storage-daemon's), which outlive their daemon as dead mounts
 * when it is killed, and which nothing could remove otherwise. */
static void
detach_mounts_under (const char *path)
{
  g_autofree char *info = NULL;
  g_autofree char *prefix = g_strconcat (path, "/", NULL);

  if (!g_file_get_contents ("/proc/self/mountinfo", &info, NULL, NULL))
    return;
  g_auto (GStrv) lines = g_strsplit (info, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) f = g_strsplit (*l, " ", 6);
      if (g_strv_length (f) < 5)
        continue;
      g_autofree char *mp = unescape_mount_field (f[4]);
      if (!g_str_has_prefix (mp, prefix))
        continue;
      if (umount2 (mp, MNT_DETACH | UMOUNT_NOFOLLOW) != 0)
        {
          /* a user's FUSE mount: its helper unmounts it */
          const char *argv[] = { "fusermount3", "-u", "-z", mp, NULL };
          g_spawn_sync (NULL, (char **) argv, NULL,
                        G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL
                          | G_SPAWN_STDERR_TO_DEV_NULL,
                        NULL, NULL, NULL, NULL, NULL, NULL);
        }
    }
}

gboolean
asr_remove_tree (const char *path)
{
  detach_mounts_under (path);
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

  AsrInterruptHook hook = g_atomic_pointer_get (&interrupt_hook);
  if (hook)
    hook (sig);
  signal (sig, SIG_DFL);
  pthread_sigmask (SIG_UNBLOCK, &set, NULL);
  raise (sig);
  _exit (128 + sig);
}

void
asr_cleanup_set_interrupt_hook (AsrInterruptHook hook)
{
  g_atomic_pointer_set (&interrupt_hook, hook);
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

/* Field 22 of /proc/PID/stat: with the pid, it names a process uniquely
 * across pid reuse.  0 if unknown. */
static guint64
process_start_time (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *data = NULL;
  guint64 start = 0;

  if (!g_file_get_contents (path, &data, NULL, NULL))
    return 0;
  const char *p = strrchr (data, ')');
  if (p == NULL || p[1] != ' ')
    return 0;
  g_auto (GStrv) f = g_strsplit (p + 2, " ", 0);
  /* after ")": field 3 (state) is f[0], so field 22 is f[19] */
  if (g_strv_length (f) > 19)
    start = g_ascii_strtoull (f[19], NULL, 10);
  return start;
}

gboolean
asr_owner_claim (const char *dir, GError **error)
{
  g_autofree char *owner = g_build_filename (dir, ASR_OWNER_FILE, NULL);
  g_autofree char *who = g_strdup_printf ("%d %" G_GUINT64_FORMAT "\n", (int) getpid (),
                                          process_start_time (getpid ()));

  /* Written whole or not at all: another run may be reading it. */
  return g_file_set_contents_full (owner, who, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

AsrOwnerState
asr_owner_state (const char *dir)
{
  struct stat st;
  g_autofree char *owner = g_build_filename (dir, ASR_OWNER_FILE, NULL);
  g_autofree char *data = NULL;

  if (lstat (dir, &st) != 0 || !S_ISDIR (st.st_mode) || st.st_uid != geteuid ())
    return ASR_OWNER_UNKNOWN;
  /* Bounded: whoever can write into the parent could put anything here. */
  data = asr_file_read_bounded (owner, 64, NULL, NULL);
  if (data == NULL)
    return ASR_OWNER_UNKNOWN;
  /* Anything but "PID START" names no process: a record cut short (a
   * full disk, a crash) or garbled is unknown, never a dead owner. */
  g_auto (GStrv) f = g_strsplit (g_strstrip (data), " ", -1);
  guint64 pid = 0, start = 0;
  if (g_strv_length (f) != 2 || !g_ascii_string_to_unsigned (f[0], 10, 1, G_MAXINT32, &pid, NULL)
      || !g_ascii_string_to_unsigned (f[1], 10, 0, G_MAXUINT64, &start, NULL))
    return ASR_OWNER_UNKNOWN;
  if (kill ((pid_t) pid, 0) != 0 && errno == ESRCH)
    return ASR_OWNER_DEAD;
  return process_start_time ((pid_t) pid) == start ? ASR_OWNER_ALIVE : ASR_OWNER_DEAD;
}

gboolean
asr_owner_remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)) != NULL)
    if (strcmp (name, ASR_OWNER_FILE) != 0)
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);
        asr_remove_tree (path);
      }
  return asr_remove_tree (dir);
}
