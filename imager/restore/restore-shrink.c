/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --shrink (docs/asr-restore.1, DISKS OF OTHER SIZES): an ext2/3/4 image
 * shrunk before the first write, never the backup set's own file.  A
 * private qcow2 overlay over the image, exposed as a raw file by a
 * qemu-storage-daemon FUSE export, is checked (e2fsck -f -y), measured
 * (resize2fs -P) and shrunk (resize2fs) by the host's e2fsprogs, which
 * read it as a file: no kernel mounts it.  The overlay, cut to the new
 * size, is then what restore writes, and the read-back compares with
 * its checksum.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "checksum.h"
#include "cleanup.h"
#include "restore-private.h"
#include "run.h"

/* The margin over resize2fs's minimum: a tenth of it, at least 16 MiB,
 * the sum rounded up to whole MiB (docs/asr-restore.1). */
#define SHRINK_MARGIN_MIN_BYTES (16u * 1024u * 1024u)
#define MIB (1024u * 1024u)

guint64
asr_shrink_margin (guint64 min_bytes)
{
  guint64 need = min_bytes + MAX (min_bytes / 10, (guint64) SHRINK_MARGIN_MIN_BYTES);
  return (need + MIB - 1) / MIB * MIB;
}

typedef struct {
  char *dir;
  char *overlay; /* qcow2, backed by the image */
  char *raw;     /* the FUSE export of it */
  AsrRunChild *qsd;
} Overlay;

/* Stops the export (qemu-storage-daemon flushes the overlay as it exits)
 * and, with @remove, removes the private directory. */
static gboolean
overlay_close (Overlay *o, gboolean remove, GError **error)
{
  gboolean clean = TRUE;
  if (o->qsd)
    {
      clean = asr_run_terminate (g_steal_pointer (&o->qsd), 30);
      if (o->raw)
        {
          /* gone with the daemon when it exits cleanly; lazily otherwise */
          const char *argv[] = { "fusermount3", "-u", "-z", o->raw, NULL };
          AsrRunOptions ro = { .c_locale = TRUE };
          (void) asr_run_full (argv, &ro, NULL, NULL);
        }
    }
  if (remove && o->dir)
    {
      asr_remove_tree (o->dir);
      asr_cleanup_remove_dir (o->dir);
    }
  if (remove)
    {
      g_clear_pointer (&o->dir, g_free);
      g_clear_pointer (&o->overlay, g_free);
      g_clear_pointer (&o->raw, g_free);
    }
  if (!clean)
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED,
                         "qemu-storage-daemon did not exit within 30 s of SIGTERM: the shrunk "
                         "copy may be incomplete");
  return TRUE;
}

static void
overlay_clear (Overlay *o)
{
  (void) overlay_close (o, TRUE, NULL);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Overlay, overlay_clear)

/* A writable raw view of @image (@format, @bytes long) whose writes go to
 * a private overlay. */
static gboolean
overlay_open (const char *image, const char *format, guint64 bytes, Overlay *o, GError **error)
{
  g_autofree char *abs = g_canonicalize_filename (image, NULL);
  g_autoptr (GError) local = NULL;

  o->dir = g_dir_make_tmp ("asr-shrink-XXXXXX", NULL);
  if (o->dir == NULL)
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "cannot create a temporary directory: %s",
                         g_strerror (errno));
  asr_cleanup_add_dir (o->dir);
  o->overlay = g_build_filename (o->dir, "overlay.qcow2", NULL);
  o->raw = g_build_filename (o->dir, "volume.raw", NULL);

  const char *create[]
    = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", format, "-b", abs, o->overlay, NULL };
  if (!asr_run (create, NULL, NULL, NULL, &local))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "an overlay of %s: %s", image,
                         local->message);
  if (!g_file_set_contents (o->raw, "", 0, &local))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s", local->message);

  g_autofree char *file_opts = asr_qemu_opts_escape (o->overlay);
  g_autofree char *mnt_opts = asr_qemu_opts_escape (o->raw);
  g_autofree char *bd_file = g_strdup_printf ("driver=file,node-name=f,filename=%s", file_opts);
  g_autofree char *export
    = g_strdup_printf ("type=fuse,id=e,node-name=q,mountpoint=%s,writable=on,allow-other=off",
                       mnt_opts);
  g_autofree char *log = g_build_filename (o->dir, "qsd.log", NULL);
  const char *qsd[] = { "qemu-storage-daemon",
                        "--blockdev",
                        bd_file,
                        "--blockdev",
                        "driver=qcow2,node-name=q,file=f",
                        "--export",
                        export,
                        NULL };
  o->qsd = asr_run_start (qsd, -1, log, &local);
  if (o->qsd == NULL)
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "qemu-storage-daemon: %s", local->message);
  /* The export is up when the file shows the image's size. */
  for (guint i = 0; i < 300; i++)
    {
      struct stat st;
      if (stat (o->raw, &st) == 0 && (guint64) st.st_size == bytes)
        return TRUE;
      g_usleep (G_USEC_PER_SEC / 10);
    }
  g_autofree char *tail = NULL;
  (void) g_file_get_contents (log, &tail, NULL, NULL);
  return restore_fail (error, ASR_IMAGER_ERROR_FAILED,
                       "qemu-storage-daemon did not export an overlay of %s as a file within "
                       "30 s%s%s",
                       image, tail && *tail ? ": " : "", tail ? g_strstrip (tail) : "");
}

/* e2fsck -f -y on the overlay (exit 1: errors corrected, fine), then
 * resize2fs -P: the filesystem's minimum in bytes. */
static gboolean
ext_minimum (const Overlay *o, const char *image, guint64 *min_bytes, GError **error)
{
  AsrRunOptions ro = { .c_locale = TRUE, .capture_stdout = TRUE, .stdout_max_bytes = 1 << 20 };
  g_autoptr (GError) local = NULL;

  {
    g_auto (AsrRunResult) r = { 0 };
    const char *argv[] = { "e2fsck", "-f", "-y", o->raw, NULL };
    if (!asr_run_full (argv, &ro, &r, &local) && r.exit_status != 1)
      return restore_fail (error, ASR_IMAGER_ERROR_CHECK_FAILED,
                           "the filesystem of %s has errors e2fsck cannot correct (checked in a "
                           "private copy): %s",
                           image, local->message);
    g_clear_error (&local);
  }
  g_auto (AsrRunResult) dump = { 0 };
  const char *dumpe2fs[] = { "dumpe2fs", "-h", o->raw, NULL };
  if (!asr_run_full (dumpe2fs, &ro, &dump, &local))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", image, local->message);
  const char *bs = strstr (dump.stdout_text, "\nBlock size:");
  g_autofree char *bs_text = bs ? g_strndup (bs + 12, strcspn (bs + 12, "\n")) : NULL;
  guint64 block = 0;
  if (bs_text == NULL
      || !g_ascii_string_to_unsigned (g_strstrip (bs_text), 10, 1024, 65536, &block, NULL))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: dumpe2fs gave no block size", image);

  g_auto (AsrRunResult) r = { 0 };
  const char *argv[] = { "resize2fs", "-P", o->raw, NULL };
  if (!asr_run_full (argv, &ro, &r, &local))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", image, local->message);
  const char *m = strstr (r.stdout_text, "minimum size of the filesystem:");
  guint64 blocks = 0;
  if (m == NULL)
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: resize2fs -P gave no minimum", image);
  m += strlen ("minimum size of the filesystem:");
  g_autofree char *num = g_strstrip (g_strndup (m, strcspn (m, "\n")));
  if (!g_ascii_string_to_unsigned (num, 10, 1, G_MAXUINT64 / block, &blocks, NULL))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: resize2fs -P gave %s", image, num);
  *min_bytes = blocks * block;
  return TRUE;
}

gboolean
asr_fs_shrink_min_bytes (const char *backup, const char *file, const char *format, guint64 bytes,
                         const char *fs, guint64 *min_bytes, GError **error)
{
  g_auto (Overlay) o = { 0 };
  g_autofree char *image = g_build_filename (backup, file, NULL);

  if (!machine_fs_shrinks (fs))
    return restore_fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
                         "%s: asr does not shrink %s (ext2, ext3, ext4)", file, fs ? fs : "it");
  /* vetted first: qemu-storage-daemon opens it */
  g_autoptr (AsrCheckItem) item = asr_check_image (backup, file, format, bytes, NULL, FALSE, error);
  if (item == NULL)
    return FALSE;
  if (item->status != ASR_CHECK_OK)
    return restore_fail (error, ASR_IMAGER_ERROR_INVALID_INPUT, "%s: %s", file,
                         item->detail ? item->detail : asr_check_status_to_string (item->status));
  guint64 min = 0;
  if (!overlay_open (image, format, bytes, &o, error) || !ext_minimum (&o, image, &min, error))
    return FALSE;
  *min_bytes = asr_shrink_margin (min);
  return overlay_close (&o, TRUE, error);
}

gboolean
restore_shrink_volume (RestoreVolume *v, const char *fs, guint64 image_bytes, char **dir_out,
                       AsrMessageFunc message, void *opaque, GError **error)
{
  g_auto (Overlay) o = { 0 };
  g_autoptr (GError) local = NULL;
  guint64 min = 0, need;

  if (!machine_fs_shrinks (fs))
    return restore_fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
                         "%s: asr does not shrink %s (ext2, ext3, ext4)", v->what, fs ? fs : "it");
  if (!overlay_open (v->image_path, v->format, image_bytes, &o, error)
      || !ext_minimum (&o, v->image_path, &min, error))
    return FALSE;
  need = asr_shrink_margin (min);
  if (need > v->bytes)
    return restore_fail (error, ASR_IMAGER_ERROR_CHECK_FAILED,
                         "%s: its %s needs at least %" G_GUINT64_FORMAT
                         " bytes (its minimum %" G_GUINT64_FORMAT
                         " and the margin), the new partition has %" G_GUINT64_FORMAT
                         ": the target is short by %" G_GUINT64_FORMAT
                         " bytes; nothing was written",
                         v->what, fs, need, min, v->bytes, need - v->bytes);

  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT "s", v->bytes / 512);
  const char *argv[] = { "resize2fs", o.raw, size, NULL };
  AsrRunOptions ro = { .c_locale = TRUE };
  if (!asr_run_full (argv, &ro, NULL, &local))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "shrinking %s (a private copy): %s",
                         v->what, local->message);

  /* The checksum the read-back compares with: the shrunk bytes, read
   * through the export before it goes. */
  int fd = open (o.raw, O_RDONLY | O_CLOEXEC);
  g_autofree char *sum = NULL;
  if (fd < 0)
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", o.raw, g_strerror (errno));
  gboolean ok = asr_checksum_fd (fd, 0, v->bytes, &sum, &local);
  close (fd);
  if (!ok)
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", v->what, local->message);
  if (!overlay_close (&o, FALSE, error))
    return FALSE;

  g_autofree char *bytes = g_strdup_printf ("%" G_GUINT64_FORMAT, v->bytes);
  const char *resize[]
    = { "qemu-img", "resize", "-q", "--shrink", "-f", "qcow2", o.overlay, bytes, NULL };
  if (!asr_run (resize, NULL, NULL, NULL, &local))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", o.overlay, local->message);

  if (message)
    {
      g_autofree char *msg
        = g_strdup_printf ("%s: its %s shrunk to %" G_GUINT64_FORMAT
                           " bytes in a private copy (minimum %" G_GUINT64_FORMAT " bytes)",
                           v->what, fs, v->bytes, min);
      message (msg, opaque);
    }
  g_free (v->image_path);
  v->image_path = g_strdup (o.overlay);
  g_free (v->format);
  v->format = g_strdup ("qcow2");
  v->shrunk_checksum = g_steal_pointer (&sum);
  v->checksum = v->shrunk_checksum;
  *dir_out = g_steal_pointer (&o.dir); /* the caller removes it when done */
  return TRUE;
}
