/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How restore's bytes reach a target, and how it is held while they do.
 *
 * Two backends behind RestoreTargetIO:
 *   - raw image files and block devices: an fd of our own, pwrite for the
 *     small writes (tables, marker, boot area), qemu-img through the raw
 *     driver's offset/size window for volumes, asr_checksum_fd for the
 *     read-back (O_DIRECT on a device, so the page cache cannot answer);
 *   - qcow2 image files: qemu-io for the small writes (one child per
 *     batch), qemu-img through raw-over-qcow2 for volumes, qemu-nbd for
 *     the read-back.
 * Both hold an flock(LOCK_EX) on the target for the whole restore; qemu's
 * own locks (OFD byte-range locks) do not conflict with it, so qemu-img
 * and qemu-io can still open the file, while another asr or a tool that
 * follows systemd's block-device locking convention cannot.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "checksum.h"
#include "cleanup.h"
#include "probe.h"
#include "restore-private.h"
#include "run.h"

struct _RestoreTargetIO {
  const AsrRestoreTarget *t;
  char *abs; /* canonical path */
  int fd;    /* O_RDWR, flocked; O_EXCL on a device */
  gboolean qcow2;
  char *tmpdir; /* qcow2: where qemu-io's data files go */
  guint seq;
};

void
restore_target_close (RestoreTargetIO *io)
{
  if (io == NULL)
    return;
  if (io->fd >= 0)
    close (io->fd); /* releases the flock */
  if (io->tmpdir)
    {
      asr_remove_tree (io->tmpdir);
      asr_cleanup_remove_dir (io->tmpdir);
      g_free (io->tmpdir);
    }
  g_free (io->abs);
  g_free (io);
}

#define fail restore_fail

/* Identity of a block device, as the plan saw it, and nothing of it in use. */
static gboolean
recheck_blockdev (const AsrRestoreTarget *t, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (AsrBlockdev) b = asr_blockdev_probe (t->path, &local);

  if (b == NULL)
    return fail (error, ASR_IMAGER_ERROR_INVALID_INPUT, "%s: %s", t->path, local->message);
  if (b->bytes != t->bytes)
    return fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
                 "%s is now %" G_GUINT64_FORMAT " bytes, the plan saw %" G_GUINT64_FORMAT
                 ": not the disk that was planned",
                 t->path, b->bytes, t->bytes);
  if ((t->serial && g_strcmp0 (t->serial, b->serial) != 0)
      || (t->wwn && (b->wwn == NULL || g_ascii_strcasecmp (t->wwn, b->wwn) != 0)))
    return fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
                 "%s now has serial %s, WWN %s; the plan saw %s, %s: not the disk that was "
                 "planned",
                 t->path, b->serial ? b->serial : "unknown", b->wwn ? b->wwn : "unknown",
                 t->serial ? t->serial : "unknown", t->wwn ? t->wwn : "unknown");
  for (guint i = 0; i < b->in_use->len; i++)
    {
      const MachineInUse *u = g_ptr_array_index (b->in_use, i);
      return fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "%s is in use (%s%s%s): refusing to write it", t->path, u->reason,
                   u->detail ? ": " : "", u->detail ? u->detail : "");
    }
  return TRUE;
}

RestoreTargetIO *
restore_target_open (const AsrRestoreTarget *t, GError **error)
{
  g_autoptr (RestoreTargetIO) io = g_new0 (RestoreTargetIO, 1);
  struct stat st;
  int flags = O_RDWR | O_CLOEXEC | O_NOCTTY;

  io->t = t;
  io->fd = -1;
  io->abs = g_canonicalize_filename (t->path, NULL);
  if (strcmp (t->format, "raw") != 0 && strcmp (t->format, "qcow2") != 0)
    {
      fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
            "%s: format %s: restore writes raw and qcow2 targets only", t->path, t->format);
      return NULL;
    }
  io->qcow2 = strcmp (t->format, "qcow2") == 0;
  if (t->is_block_device)
    {
      if (io->qcow2)
        {
          fail (error, ASR_IMAGER_ERROR_INVALID_INPUT, "%s: a block device is written raw",
                t->path);
          return NULL;
        }
      /* O_EXCL on a block device fails while it, or a partition of it, is
       * mounted or held (device-mapper, md), and keeps it so until we close. */
      flags |= O_EXCL;
    }
  io->fd = open (io->abs, flags);
  if (io->fd < 0)
    {
      int e = errno;
      fail (error, e == EBUSY ? ASR_IMAGER_ERROR_INVALID_INPUT : ASR_IMAGER_ERROR_FAILED,
            "%s: cannot open for writing: %s", t->path,
            e == EBUSY ? "in use: mounted, held, or open exclusively by another program "
                         "(another asr restore holds its targets so)"
                       : g_strerror (e));
      return NULL;
    }
  if (flock (io->fd, LOCK_EX | LOCK_NB) != 0)
    {
      int e = errno;
      fail (error, ASR_IMAGER_ERROR_INVALID_INPUT, "%s: %s", t->path,
            e == EWOULDBLOCK ? "locked by another program (flock), as another asr restore "
                               "holds its targets: in use"
                             : g_strerror (e));
      return NULL;
    }
  if (fstat (io->fd, &st) != 0)
    {
      fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", t->path, g_strerror (errno));
      return NULL;
    }
  if (t->is_block_device != S_ISBLK (st.st_mode))
    {
      fail (error, ASR_IMAGER_ERROR_INVALID_INPUT, "%s is no longer what the plan saw", t->path);
      return NULL;
    }
  if (t->is_block_device)
    {
      if (!recheck_blockdev (t, error))
        return NULL;
    }
  else
    {
      /* the file the plan saw: the same format and size, still no backing file */
      g_autoptr (GError) local = NULL;
      g_autoptr (AsrImageInfo) info = asr_image_info_probe (t->path, t->format, &local);
      if (info == NULL)
        {
          fail (error, ASR_IMAGER_ERROR_INVALID_INPUT, "%s: %s", t->path, local->message);
          return NULL;
        }
      if (info->virtual_bytes != t->bytes)
        {
          fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
                "%s is now %" G_GUINT64_FORMAT " bytes, the plan saw %" G_GUINT64_FORMAT
                ": not the disk that was planned",
                t->path, info->virtual_bytes, t->bytes);
          return NULL;
        }
    }
  if (io->qcow2)
    {
      io->tmpdir = g_dir_make_tmp ("asr-restore-XXXXXX", NULL);
      if (io->tmpdir == NULL)
        {
          fail (error, ASR_IMAGER_ERROR_FAILED, "cannot create a temporary directory: %s",
                g_strerror (errno));
          return NULL;
        }
      asr_cleanup_add_dir (io->tmpdir);
    }
  return g_steal_pointer (&io);
}

static gboolean
pwrite_all (RestoreTargetIO *io, const void *buf, gsize len, guint64 offset, GError **error)
{
  gsize done = 0;
  while (done < len)
    {
      ssize_t n = pwrite (io->fd, (const guint8 *) buf + done, len - done, (off_t) (offset + done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return fail (error, ASR_IMAGER_ERROR_FAILED, "%s: write at %" G_GUINT64_FORMAT ": %s",
                     io->t->path, offset + done, n < 0 ? g_strerror (errno) : "short write");
      done += (gsize) n;
    }
  return TRUE;
}

static gboolean
write_fd (RestoreTargetIO *io, const RestoreWrite *writes, guint n, GError **error)
{
  for (guint i = 0; i < n; i++)
    {
      const RestoreWrite *w = &writes[i];
      if (w->data)
        {
          gsize len;
          const void *buf = g_bytes_get_data (w->data, &len);
          if (!pwrite_all (io, buf, len, w->offset, error))
            return FALSE;
          continue;
        }
      /* zeroes in 1 MiB pieces: bounded memory for any length */
      g_autofree guint8 *zero = g_malloc0 (RESTORE_INVALIDATE_BYTES);
      for (guint64 off = 0; off < w->zero_bytes; off += RESTORE_INVALIDATE_BYTES)
        if (!pwrite_all (io, zero, MIN ((guint64) RESTORE_INVALIDATE_BYTES, w->zero_bytes - off),
                         w->offset + off, error))
          return FALSE;
    }
  return TRUE;
}

/* One qemu-io child for the batch: `write -s FILE OFF LEN` fills LEN bytes
 * by repeating FILE, so each FILE holds exactly LEN bytes; `write -z` for
 * zeroes; `flush` last. */
static gboolean
write_qcow2 (RestoreTargetIO *io, const RestoreWrite *writes, guint n, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;

  g_ptr_array_add (argv, g_strdup ("qemu-io"));
  g_ptr_array_add (argv, g_strdup ("-f"));
  g_ptr_array_add (argv, g_strdup ("qcow2"));
  for (guint i = 0; i < n; i++)
    {
      const RestoreWrite *w = &writes[i];
      g_ptr_array_add (argv, g_strdup ("-c"));
      if (w->data == NULL)
        {
          g_ptr_array_add (argv,
                           g_strdup_printf ("write -q -z %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                                            w->offset, w->zero_bytes));
          continue;
        }
      gsize len;
      const void *buf = g_bytes_get_data (w->data, &len);
      /* a private 0700 directory, simple names: nothing for qemu-io's
       * command parser to misread */
      char *file = g_strdup_printf ("%s/w%u", io->tmpdir, io->seq++);
      g_ptr_array_add (files, file);
      if (!g_file_set_contents (file, buf, (gssize) len, NULL))
        return fail (error, ASR_IMAGER_ERROR_FAILED, "cannot write %s", file);
      g_ptr_array_add (argv,
                       g_strdup_printf ("write -q -s %s %" G_GUINT64_FORMAT " %" G_GSIZE_FORMAT,
                                        file, w->offset, len));
    }
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strdup ("flush"));
  g_ptr_array_add (argv, g_strdup (io->abs));
  g_ptr_array_add (argv, NULL);

  g_autofree char *out = NULL;
  g_autoptr (GError) local = NULL;
  ok = asr_run ((const char *const *) argv->pdata, &out, NULL, NULL, &local);
  for (guint i = 0; i < files->len; i++)
    g_unlink (g_ptr_array_index (files, i));
  if (!ok)
    return fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", io->t->path, local->message);
  /* qemu-io reports a failed command on stdout and may still exit 0 */
  if (out && (strstr (out, "failed") || strstr (out, "error")))
    return fail (error, ASR_IMAGER_ERROR_FAILED, "%s: qemu-io: %s", io->t->path, g_strstrip (out));
  return TRUE;
}

gboolean
restore_target_write (RestoreTargetIO *io, const RestoreWrite *writes, guint n, GError **error)
{
  if (n == 0)
    return TRUE;
  return io->qcow2 ? write_qcow2 (io, writes, n, error) : write_fd (io, writes, n, error);
}

gboolean
restore_target_flush (RestoreTargetIO *io, GError **error)
{
  if (fsync (io->fd) != 0)
    return fail (error, ASR_IMAGER_ERROR_FAILED, "%s: flush: %s", io->t->path, g_strerror (errno));
  return TRUE;
}

char *
restore_target_range_opts (const RestoreTargetIO *io, guint64 offset, guint64 bytes)
{
  g_autofree char *esc = asr_qemu_opts_escape (io->abs);
  if (io->qcow2)
    return g_strdup_printf ("driver=raw,offset=%" G_GUINT64_FORMAT ",size=%" G_GUINT64_FORMAT
                            ",file.driver=qcow2,file.file.driver=file,file.file.filename=%s",
                            offset, bytes, esc);
  return g_strdup_printf ("driver=raw,offset=%" G_GUINT64_FORMAT ",size=%" G_GUINT64_FORMAT
                          ",file.driver=%s,file.filename=%s",
                          offset, bytes, io->t->is_block_device ? "host_device" : "file", esc);
}

char *
restore_target_reread (RestoreTargetIO *io)
{
  if (!io->t->is_block_device)
    return NULL;
  /* our fd is O_EXCL: the kernel lets its holder re-read */
  if (ioctl (io->fd, BLKRRPART) == 0)
    {
      g_debug ("%s: the kernel re-read the partition table", io->t->path);
      return NULL;
    }
  if (errno == EINVAL)
    return NULL; /* no partitions on this device (a loop device without partscan) */
  return g_strdup_printf ("%s: the kernel could not re-read the partition table (%s): its "
                          "partitions appear after a reboot or partprobe",
                          io->t->path, g_strerror (errno));
}

typedef struct {
  AsrProgressFunc func;
  const char *what;
  void *opaque;
} ChecksumProgress;

static void
checksum_progress (const char *what, guint64 done, guint64 total, guint64 all_done,
                   guint64 all_total, void *opaque)
{
  ChecksumProgress *p = opaque;
  if (p->func)
    p->func (p->what, done, total, done, total, p->opaque);
}

gboolean
restore_target_checksum (RestoreTargetIO *io, guint64 offset, guint64 bytes,
                         AsrProgressFunc progress, const char *what, void *opaque, char **out,
                         GError **error)
{
  ChecksumProgress p = { progress, what, opaque };
  g_autoptr (GError) local = NULL;
  gboolean ok;

  if (io->qcow2)
    ok = asr_checksum_image_full (io->abs, "qcow2", offset, bytes, checksum_progress, &p, NULL, out,
                                  &local);
  else
    {
      /* a fresh fd: O_DIRECT on a device so the read is the disk's, not
       * the page cache's; a file was fsynced, its cache is its content */
      int fd = open (io->abs, O_RDONLY | O_CLOEXEC | (io->t->is_block_device ? O_DIRECT : 0));
      if (fd < 0)
        return fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", io->t->path, g_strerror (errno));
      ok = asr_checksum_fd_full (fd, offset, bytes, checksum_progress, &p, NULL, out, &local);
      close (fd);
    }
  if (!ok)
    return fail (error, ASR_IMAGER_ERROR_FAILED, "reading back %s: %s", io->t->path,
                 local->message);
  return TRUE;
}
