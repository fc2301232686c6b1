/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The private directory of a run, its overlays, and finding a qemu by
 * its domain name: a domain outlives the process that started it, so
 * both the normal end of a run and the next run after a crash confirm by
 * pid that no qemu of ours is left.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cleanup.h"
#include "run.h"
#include "verify-private.h"

#define WORKDIR_PREFIX "asr-verify-"

char *
asr_verify_parent_dir (void)
{
  const char *t = g_getenv ("TMPDIR");
  return g_strdup (t && *t ? t : "/var/tmp");
}

static char
process_state (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *data = NULL;

  if (!g_file_get_contents (path, &data, NULL, NULL))
    return 0;
  const char *p = strrchr (data, ')');
  return p && p[1] == ' ' ? p[2] : 0;
}

static gboolean
cmdline_names_domain (pid_t pid, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autofree char *needle = g_strdup_printf ("guest=%s,", name);

  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  for (gsize off = 0; off < len; off += strlen (data + off) + 1)
    if (g_str_has_prefix (data + off, needle))
      return TRUE;
  return FALSE;
}

gboolean
verify_qemu_alive (pid_t pid, const char *name)
{
  char st;

  if (pid <= 0)
    return FALSE;
  st = process_state (pid);
  return st != 0 && st != 'Z' && st != 'X' && cmdline_names_domain (pid, name);
}

pid_t
verify_find_qemu_pid (const char *libvirt_root, const char *name)
{
  if (libvirt_root)
    {
      g_autofree char *base = g_strdup_printf ("%s.pid", name);
      g_autofree char *path = g_build_filename (libvirt_root, "run", "qemu", base, NULL);
      g_autofree char *data = NULL;
      if (g_file_get_contents (path, &data, NULL, NULL))
        {
          pid_t pid = (pid_t) g_ascii_strtoll (data, NULL, 10);
          if (verify_qemu_alive (pid, name))
            return pid;
        }
    }

  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *e;
  while (proc && (e = g_dir_read_name (proc)) != NULL)
    {
      char *end = NULL;
      gint64 pid = g_ascii_strtoll (e, &end, 10);
      if (end == e || *end != '\0' || pid <= 0 || pid == getpid ())
        continue;
      if (verify_qemu_alive ((pid_t) pid, name))
        return (pid_t) pid;
    }
  return 0;
}

static gboolean
wait_gone (pid_t pid, const char *name, guint wait_ms)
{
  for (guint waited = 0; verify_qemu_alive (pid, name); waited += 20)
    {
      if (waited >= wait_ms)
        return FALSE;
      g_usleep (20 * 1000);
    }
  return TRUE;
}

gboolean
verify_qemu_reap (pid_t pid, const char *name, guint wait_ms)
{
  if (pid <= 0 || wait_gone (pid, name, wait_ms))
    return TRUE;
  g_debug ("qemu %d for %s still runs after destroy: killing it", (int) pid, name);
  kill (pid, SIGKILL);
  return wait_gone (pid, name, 5000);
}

/* A leftover is ours to remove when it is a directory we own whose owner
 * process is gone (or is another process that reused its pid). */
static gboolean
is_stale (const char *path)
{
  struct stat st;
  g_autofree char *kept = g_build_filename (path, "KEPT", NULL);

  if (lstat (path, &st) != 0 || !S_ISDIR (st.st_mode) || st.st_uid != geteuid ())
    return FALSE;
  if (g_file_test (kept, G_FILE_TEST_EXISTS))
    return FALSE;
  switch (asr_owner_state (path))
    {
    case ASR_OWNER_ALIVE:
      return FALSE;
    case ASR_OWNER_DEAD:
      return TRUE;
    case ASR_OWNER_UNKNOWN:
      break;
    }
  /* made but not yet claimed, or claimed and half removed: stale only
   * when old, so that a run starting right now keeps its directory */
  return time (NULL) - st.st_mtime > 60;
}

guint
asr_verify_remove_stale (const char *parent)
{
  g_autoptr (GDir) dir = g_dir_open (parent, 0, NULL);
  const char *e;
  guint removed = 0;

  while (dir && (e = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_has_prefix (e, WORKDIR_PREFIX) || strlen (e) != strlen (WORKDIR_PREFIX) + 6)
        continue;
      g_autofree char *path = g_build_filename (parent, e, NULL);
      if (!is_stale (path))
        continue;
      g_autofree char *root = g_build_filename (path, "libvirt", NULL);
      pid_t qemu = verify_find_qemu_pid (root, e);
      if (qemu > 0)
        {
          g_debug ("%s: killing the qemu (pid %d) of a run that died", path, (int) qemu);
          kill (qemu, SIGKILL);
          wait_gone (qemu, e, 5000);
        }
      if (asr_remove_tree (path))
        removed++;
    }
  return removed;
}

VerifyWorkdir *
verify_workdir_new (GError **error)
{
  g_autofree char *parent = asr_verify_parent_dir ();
  g_autofree char *tmpl = g_build_filename (parent, WORKDIR_PREFIX "XXXXXX", NULL);
  g_autoptr (VerifyWorkdir) w = g_new0 (VerifyWorkdir, 1);

  asr_verify_remove_stale (parent);
  if (g_mkdtemp_full (tmpl, 0700) == NULL)
    {
      int e = errno;
      g_set_error (error, ASR_VERIFY_ERROR, ASR_VERIFY_ERROR_FAILED,
                   "cannot create a private directory in %s: %s", parent, g_strerror (e));
      return NULL;
    }
  w->path = g_steal_pointer (&tmpl);
  asr_cleanup_add_dir (w->path);
  w->name = g_path_get_basename (w->path);
  w->libvirt_root = g_build_filename (w->path, "libvirt", NULL);

  /* qemu's monitor socket lives under the embedded driver's root, and a
   * UNIX socket path has at most 107 bytes. */
  if (strlen (w->libvirt_root) + strlen ("/lib/qemu/domain-999-") + strlen (w->name)
        + strlen ("/monitor.sock")
      > 107)
    {
      g_set_error (error, ASR_VERIFY_ERROR, ASR_VERIFY_ERROR_FAILED,
                   "%s: the path is too long for libvirt's sockets: set TMPDIR to a shorter"
                   " directory",
                   w->path);
      verify_workdir_finish (g_steal_pointer (&w), FALSE);
      return NULL;
    }

  if (!asr_owner_claim (w->path, error))
    {
      g_prefix_error (error, "private directory: ");
      verify_workdir_finish (g_steal_pointer (&w), FALSE);
      return NULL;
    }
  return g_steal_pointer (&w);
}

void
verify_workdir_free (VerifyWorkdir *w)
{
  if (w == NULL)
    return;
  g_free (w->path);
  g_free (w->name);
  g_free (w->libvirt_root);
  g_free (w);
}

void
verify_workdir_finish (VerifyWorkdir *w, gboolean keep)
{
  if (w == NULL)
    return;
  if (keep)
    {
      /* a kept directory is the user's now: not a leftover */
      g_autofree char *owner = g_build_filename (w->path, ASR_OWNER_FILE, NULL);
      g_unlink (owner);
      g_autofree char *kept = g_build_filename (w->path, "KEPT", NULL);
      g_file_set_contents (kept, "kept by asr verify --keep\n", -1, NULL);
    }
  else
    asr_remove_tree (w->path);
  asr_cleanup_remove_dir (w->path);
  verify_workdir_free (w);
}

gboolean
verify_make_overlay (const char *backing, const char *format, const char *overlay, GError **error)
{
  g_autofree char *abs = realpath (backing, NULL);

  if (abs == NULL)
    {
      int e = errno;
      g_set_error (error, ASR_VERIFY_ERROR, ASR_VERIFY_ERROR_INVALID_INPUT, "%s: %s", backing,
                   g_strerror (e));
      return FALSE;
    }
  const char *argv[]
    = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", format, "-b", abs, overlay, NULL };
  if (!asr_run (argv, NULL, NULL, NULL, error))
    {
      g_prefix_error (error, "creating an overlay over %s: ", backing);
      return FALSE;
    }
  return TRUE;
}
