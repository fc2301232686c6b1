/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Is an image file or device open in qemu?  qemu (a VM, qemu-nbd,
 * qemu-img, qemu-storage-daemon) takes open file description (OFD) locks
 * on single bytes of every file it opens through its file driver: byte
 * 100 + n, shared, for each permission n it holds (consistent read, write,
 * write unchanged, resize, ...), byte 200 + n for each it does not share
 * with others.  It tests them, before opening, with F_OFD_GETLK for a
 * write lock on one byte: any lock there is another user.  Testing the
 * same bytes the same way answers what qemu itself would see.
 *
 * asr's own flock() on a target does not show here (flock and OFD locks
 * are separate on Linux), and asr's qemu children run one at a time and
 * have exited when this is called.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "probe-private.h"

/* As in qemu's block/file-posix.c. */
#define QEMU_LOCK_PERM_BASE 100
#define QEMU_LOCK_SHARED_BASE 200
/* qemu has five permission bits at most; a few more cost nothing and
 * cover later ones. */
#define QEMU_LOCK_PERMS 8

static const char *const perm_names[] = {
  "consistent read", "write", "write unchanged", "resize", "graph modification",
};

static const char *
perm_name (guint i)
{
  return i < G_N_ELEMENTS (perm_names) ? perm_names[i] : "another permission";
}

/* One byte, as qemu_lock_fd_test() does it; *held is TRUE when another
 * open file description has a lock on it. */
static gboolean
byte_locked (int fd, off_t off, gboolean *held, GError **error)
{
  struct flock fl = {
    .l_whence = SEEK_SET,
    .l_start = off,
    .l_len = 1,
    .l_type = F_WRLCK,
  };

  if (fcntl (fd, F_OFD_GETLK, &fl) != 0)
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                   "testing qemu's image lock on byte %ld: %s", (long) off, g_strerror (errno));
      return FALSE;
    }
  *held = fl.l_type != F_UNLCK;
  return TRUE;
}

gboolean
asr_probe_qemu_lock (const char *path, char **detail, GError **error)
{
  int fd;
  gboolean ok = TRUE;

  g_return_val_if_fail (path != NULL && detail != NULL, FALSE);
  *detail = NULL;

  /* O_RDONLY is enough for F_OFD_GETLK; O_NONBLOCK so a FIFO planted in
   * its place cannot hang us (probe refuses it afterwards). */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return TRUE; /* probe says it is missing, with its own message */
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                   "%s: cannot open to test qemu's image locks: %s", path, g_strerror (errno));
      return FALSE;
    }
  for (guint i = 0; ok && *detail == NULL && i < QEMU_LOCK_PERMS; i++)
    {
      gboolean held = FALSE;
      if (!(ok = byte_locked (fd, QEMU_LOCK_PERM_BASE + i, &held, error)))
        break;
      if (held)
        *detail = g_strdup_printf ("qemu's image lock for \"%s\" is held: a VM, qemu-nbd "
                                   "or qemu-img has it open",
                                   perm_name (i));
    }
  for (guint i = 0; ok && *detail == NULL && i < QEMU_LOCK_PERMS; i++)
    {
      gboolean held = FALSE;
      if (!(ok = byte_locked (fd, QEMU_LOCK_SHARED_BASE + i, &held, error)))
        break;
      if (held)
        *detail = g_strdup_printf ("qemu's image lock that denies others \"%s\" is held: a "
                                   "VM, qemu-nbd or qemu-img has it open",
                                   perm_name (i));
    }
  close (fd);
  if (!ok)
    g_prefix_error (error, "%s: ", path);
  return ok;
}

/* ---- flock -------------------------------------------------------------- */

/* Read from /proc/locks rather than by trying the lock: a test lock, even
 * a shared one held for an instant, could make another program's
 * exclusive attempt fail. */
char *
asr_probe_flock_holder (const char *path)
{
  g_autofree char *locks = NULL;
  g_auto (GStrv) lines = NULL;
  struct stat st;

  g_return_val_if_fail (path != NULL, NULL);

  if (stat (path, &st) != 0)
    return NULL; /* probe says it is missing, with its own message */
  if (!g_file_get_contents ("/proc/locks", &locks, NULL, NULL))
    return NULL; /* no procfs: nothing more to learn */
  lines = g_strsplit (locks, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      char kind[16], mode[16], access[16];
      long pid;
      unsigned int maj, min;
      guint64 ino;

      /* "1: FLOCK  ADVISORY  WRITE 4318 fe:00:10953743 0 EOF"; a waiter's
       * line has "->" after the number and no lock to report. */
      if (strstr (lines[i], "->") != NULL
          || sscanf (lines[i], "%*d: %15s %15s %15s %ld %x:%x:%" SCNu64, kind, mode, access, &pid,
                     &maj, &min, &ino)
               != 7)
        continue;
      if (strcmp (kind, "FLOCK") != 0 || strcmp (access, "WRITE") != 0 || maj != major (st.st_dev)
          || min != minor (st.st_dev) || ino != (guint64) st.st_ino)
        continue;
      /* our own: restore holds it while it looks at its targets again */
      if (pid == (long) getpid ())
        continue;
      g_autofree char *comm_rel = g_strdup_printf ("/proc/%ld/comm", pid);
      g_autofree char *comm = NULL;
      if (g_file_get_contents (comm_rel, &comm, NULL, NULL))
        g_strstrip (comm);
      return g_strdup_printf ("process %ld%s%s%s holds an exclusive lock on it (flock), as "
                              "asr restore and partitioning tools do while they write a disk",
                              pid, comm ? " (" : "", comm ? comm : "", comm ? ")" : "");
    }
  return NULL;
}
