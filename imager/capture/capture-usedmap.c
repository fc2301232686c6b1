/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Used data without a trim (docs/asr-capture.1, USED DATA): the free
 * extents of each volume whose filesystem asr reads (usedmap.h) are
 * zeroed in its disk's private overlay, through a qemu-storage-daemon
 * FUSE export of it, so they read as zeroes and qemu-img convert leaves
 * holes there.  The used blocks are not touched: the image holds them
 * exactly as the source does.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include "capture-private.h"
#include "export.h"
#include "usedmap.h"

void
capture_map_error (GError **error, const char *what, const char *fs, const GError *local)
{
  gboolean io = local->domain == ASR_USED_MAP_ERROR && local->code == ASR_USED_MAP_ERROR_IO;
  g_set_error (error, ASR_IMAGER_ERROR,
               io ? ASR_IMAGER_ERROR_FAILED : ASR_IMAGER_ERROR_INVALID_INPUT, "%s (%s): %s", what,
               fs, local->message);
}

static gboolean
zero_free (CaptureVolume *v, int fd, const AsrUsedMap *map, GError **error)
{
  for (guint i = 0; i < map->free->len; i++)
    {
      const AsrExtent *e = &g_array_index (map->free, AsrExtent, i);
      if (fallocate (fd, FALLOC_FL_ZERO_RANGE, (off_t) (v->offset + e->offset), (off_t) e->bytes)
          != 0)
        {
          int err = errno;
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED,
                       "%s: cannot zero its free space in the overlay: %s", v->what,
                       g_strerror (err));
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
map_volume (Capture *c, CaptureVolume *v, const char *raw, int fd, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (AsrUsedMap) map = g_steal_pointer (&v->map);

  if (map == NULL)
    map = asr_used_map_read (raw, v->offset, v->bytes, &local);
  if (map == NULL)
    {
      if (local->domain == ASR_USED_MAP_ERROR
          && (local->code == ASR_USED_MAP_ERROR_UNSUPPORTED
              || local->code == ASR_USED_MAP_ERROR_NEEDS_RECOVERY))
        {
          /* The appliance is gone: imaged whole, as an untrimmable one. */
          capture_message (c, "note: %s (%s): %s: imaged whole, free space included", v->what,
                           v->volume->fs, local->message);
          v->map_used = FALSE;
          return TRUE;
        }
      capture_map_error (error, v->what, v->volume->fs, local);
      return FALSE;
    }
  if (!zero_free (v, fd, map, error))
    return FALSE;
  v->used_bytes = v->bytes - map->free_bytes;
  g_autofree char *used = g_format_size_full (v->used_bytes, G_FORMAT_SIZE_IEC_UNITS);
  capture_message (c, "%s (%s): used blocks read from its metadata: %s used", v->what,
                   v->volume->fs, used);
  return TRUE;
}

static gboolean
export_disk (CaptureDisk *d, GError **error)
{
  g_autofree char *log = g_strdup_printf ("%s.log", d->overlay);

  d->raw = g_strdup_printf ("%s.raw", d->overlay);
  d->export = asr_fuse_export_start (d->overlay, d->bytes, d->raw, log, error);
  if (d->export == NULL)
    {
      g_clear_pointer (&d->raw, g_free);
      return FALSE;
    }
  return TRUE;
}

static gboolean
unexport_disk (CaptureDisk *d, GError **error)
{
  gboolean ok = asr_fuse_export_stop (g_steal_pointer (&d->export), error);
  g_clear_pointer (&d->raw, g_free);
  return ok;
}

gboolean
capture_export_disks (Capture *c, GError **error)
{
  for (guint i = 0; i < c->disks->len; i++)
    if (!export_disk (g_ptr_array_index (c->disks, i), error))
      return FALSE;
  return TRUE;
}

gboolean
capture_unexport_disks (Capture *c, GError **error)
{
  gboolean ok = TRUE;
  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *d = g_ptr_array_index (c->disks, i);
      /* every one stopped, the first failure reported */
      if (d->export && !unexport_disk (d, ok ? error : NULL))
        ok = FALSE;
    }
  return ok;
}

gboolean
capture_read_disk_into (CaptureDisk *d, guint64 offset, gsize bytes, void *buf, GError **error)
{
  int fd = d->raw ? open (d->raw, O_RDONLY | O_CLOEXEC) : -1;
  ssize_t n = fd >= 0 ? pread (fd, buf, bytes, (off_t) offset) : -1;
  int err = errno;

  if (fd >= 0)
    close (fd);
  if (n != (ssize_t) bytes)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "reading %s: %s", d->path,
                   n < 0 ? g_strerror (err) : "short read");
      return FALSE;
    }
  return TRUE;
}

gboolean
capture_read_disk (CaptureDisk *d, guint64 offset, gsize bytes, char **out, GError **error)
{
  g_autofree char *buf = g_malloc0 (bytes);

  if (!capture_read_disk_into (d, offset, bytes, buf, error))
    return FALSE;
  *out = g_steal_pointer (&buf);
  return TRUE;
}

static gboolean
map_disk (Capture *c, CaptureDisk *d, GError **error)
{
  gboolean ok = TRUE;
  int fd;

  /* exported already by the userspace inspection, or now */
  if (d->export == NULL && !export_disk (d, error))
    return FALSE;
  fd = open (d->raw, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    {
      int err = errno;
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "%s: %s", d->raw,
                   g_strerror (err));
      return FALSE;
    }
  for (guint i = 0; ok && i < c->volumes->len; i++)
    {
      CaptureVolume *v = g_ptr_array_index (c->volumes, i);
      if (v->map_used && v->disk == d)
        ok = map_volume (c, v, d->raw, fd, error);
    }
  close (fd);
  return ok;
}

gboolean
capture_map_used (Capture *c, GError **error)
{
  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *d = g_ptr_array_index (c->disks, i);
      gboolean any = FALSE;
      for (guint j = 0; j < c->volumes->len; j++)
        {
          CaptureVolume *v = g_ptr_array_index (c->volumes, j);
          any = any || (v->map_used && v->disk == d);
        }
      if (any && !map_disk (c, d, error))
        return FALSE;
    }
  return TRUE;
}
