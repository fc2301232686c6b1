/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr capture: SOURCE disks → backup set.
 *
 * 1. Probe each source safely (image-info: no backing files, no external
 *    data files, sane sizes) and read its partition table with asr's own
 *    parser, read-only.
 * 2. Put a private qcow2 overlay over each source and start ONE libguestfs
 *    appliance on the overlays: inspection, filesystem facts, then fstrim
 *    of every captured filesystem, so free space reads as zeroes.  The
 *    sources are only ever backing files, which qemu opens read-only.
 * 3. qemu-img convert each captured partition's byte range from its overlay
 *    into a sparse qcow2 (used data only), and the boot area likewise;
 *    qemu-img check and checksum each image.
 * 4. machine.xml last, durably; then the temporary directory is renamed
 *    into place.  Any failure or signal removes it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "appliance.h"
#include "capture-private.h"
#include "checksum.h"
#include "cleanup.h"
#include "imager.h"
#include "probe.h"
#include "run.h"

void
asr_capture_source_free (AsrCaptureSource *s)
{
  if (s == NULL)
    return;
  g_free (s->path);
  g_free (s->format);
  g_free (s);
}

static void
capture_disk_free (CaptureDisk *d)
{
  if (d == NULL)
    return;
  g_free (d->path);
  g_free (d->format);
  g_free (d->overlay);
  g_free (d->gdev);
  (void) asr_fuse_export_stop (g_steal_pointer (&d->export), NULL);
  g_free (d->raw);
  asr_image_info_free (d->info);
  asr_blockdev_free (d->blockdev);
  g_free (d);
}

static void
capture_volume_free (CaptureVolume *v)
{
  g_free (v->what);
  g_free (v->file);
  g_free (v->gdev);
  asr_used_map_free (v->map);
  g_free (v);
}

CaptureVolume *
capture_volume_new (CaptureDisk *disk, const char *what, const char *file, guint64 offset,
                    guint64 bytes, const char *gdev)
{
  CaptureVolume *v = g_new0 (CaptureVolume, 1);
  v->disk = disk;
  v->what = g_strdup (what);
  v->file = g_strdup (file);
  v->offset = offset;
  v->bytes = bytes;
  v->gdev = g_strdup (gdev);
  v->used_bytes = bytes;
  return v;
}

static void
capture_lv_free (CaptureLv *l)
{
  g_free (l->gdev);
  g_free (l);
}

void
capture_message (Capture *c, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_debug ("%s", msg);
  if (c->opts->message)
    c->opts->message (msg, c->opts->opaque);
}

static void
capture_clear (Capture *c)
{
  g_clear_pointer (&c->disks, g_ptr_array_unref);
  g_clear_pointer (&c->volumes, g_ptr_array_unref);
  g_clear_pointer (&c->lvs, g_hash_table_unref);
  g_clear_pointer (&c->vg_problems, g_hash_table_unref);
  g_clear_pointer (&c->luks, g_ptr_array_unref);
  g_clear_pointer (&c->mds, g_ptr_array_unref);
  g_clear_pointer (&c->encrypted_mountpoints, g_ptr_array_unref);
  g_clear_pointer (&c->fstab, free);
  g_clear_pointer (&c->appliance_why, g_free);
  if (c->tmpdir)
    {
      asr_owner_remove_tree (c->tmpdir);
      asr_cleanup_remove_dir (c->tmpdir);
      g_clear_pointer (&c->tmpdir, g_free);
    }
  g_clear_pointer (&c->workdir, g_free);
  g_clear_pointer (&c->backup, g_free);
  g_clear_pointer (&c->accel, g_free);
  g_clear_pointer (&c->m, machine_descriptor_free);
}

/* A test-only way to stop a capture at a named step, as an interruption
 * would: ASR_CAPTURE_FAIL_AT=tmpdir|overlays|appliance|image|descriptor.
 * The failure takes the same path as any other, so the tests see what
 * users would: no backup set, the temporary directory gone. */
static gboolean
capture_fail_point (const char *step, GError **error)
{
  return asr_test_fail_point ("ASR_CAPTURE_FAIL_AT", step, ASR_IMAGER_ERROR,
                              ASR_IMAGER_ERROR_FAILED, error);
}

/* --- 1. sources --------------------------------------------------------- */

static gboolean
probe_sources (Capture *c, GPtrArray *sources, GError **error)
{
  for (guint i = 0; i < sources->len; i++)
    {
      const AsrCaptureSource *s = g_ptr_array_index (sources, i);
      g_autoptr (GError) local = NULL;
      CaptureDisk *d = g_new0 (CaptureDisk, 1);

      g_ptr_array_add (c->disks, d);
      d->index = i;
      d->path = g_canonicalize_filename (s->path, NULL);
      d->info = asr_image_info_probe (s->path, s->format, &local);
      if (d->info == NULL)
        {
          g_set_error (error, ASR_IMAGER_ERROR,
                       local->code == ASR_PROBE_ERROR_INVALID_INPUT ? ASR_IMAGER_ERROR_INVALID_INPUT
                                                                    : ASR_IMAGER_ERROR_FAILED,
                       "source %s: %s", s->path, local->message);
          return FALSE;
        }
      d->format = g_strdup (d->info->format);
      d->bytes = d->info->virtual_bytes;
      d->logical_sector = d->info->logical_sector ? d->info->logical_sector : 512;
      d->physical_sector = d->info->physical_sector ? d->info->physical_sector : d->logical_sector;

      if (d->info->is_block_device)
        {
          d->blockdev = asr_blockdev_probe (s->path, &local);
          if (d->blockdev == NULL)
            {
              g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "source %s: %s",
                           s->path, local->message);
              return FALSE;
            }
          for (guint u = 0; u < d->blockdev->in_use->len; u++)
            {
              const MachineInUse *iu = g_ptr_array_index (d->blockdev->in_use, u);
              if (g_strcmp0 (iu->reason, "mounted") == 0
                  || g_strcmp0 (iu->reason, "running-system") == 0)
                capture_message (c,
                                 "warning: %s is in use (%s%s%s): filesystems that are mounted "
                                 "read-write are captured as they are at this moment, "
                                 "not crash-consistent",
                                 s->path, iu->reason, iu->detail ? ": " : "",
                                 iu->detail ? iu->detail : "");
            }
        }
    }
  return TRUE;
}

/* The partition tables, read from the sources with asr's parser, before
 * the appliance starts: a table that parser refuses (a looping or endless
 * EBR chain) would keep the appliance's own tools busy for many minutes. */
static gboolean
read_layouts (Capture *c, GError **error)
{
  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *d = g_ptr_array_index (c->disks, i);
      g_autoptr (GError) local = NULL;
      g_autoptr (AsrDiskReader) reader = NULL;
      g_autofree char *id = g_strdup_printf ("disk%u", i);
      MachineDisk *disk = machine_disk_new (id);

      g_ptr_array_add (c->m->disks, disk);
      d->disk = disk;
      disk->bytes = d->bytes;
      disk->has_bytes = TRUE;
      disk->logical_sector = d->logical_sector;
      disk->physical_sector = d->physical_sector;
      if (d->blockdev)
        asr_probe_disk_set_blockdev (disk, d->blockdev);
      /* Capture records what a restore needs; in-use is a probe fact. */
      g_ptr_array_set_size (disk->in_use, 0);

      reader = asr_disk_reader_open (d->info, &local);
      if (reader == NULL
          || !asr_probe_disk_read_layout_strict (disk, reader, d->bytes, d->logical_sector, &local))
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s (%s): partition table: %s", d->path, id, local->message);
          return FALSE;
        }
      if (disk->incomplete)
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s (%s) carries the mark of an interrupted restore: "
                       "it is not a machine to capture",
                       d->path, id);
          return FALSE;
        }

      MachineSource *src = machine_source_new ();
      src->disk = g_strdup (id);
      src->path = g_strdup (d->path);
      src->format = g_strdup (d->format);
      g_ptr_array_add (c->m->origin->sources, src);
    }
  return TRUE;
}

/* --- 2. overlays and the appliance ------------------------------------- */

/* The name of a capture's temporary directory beside BACKUP, and how to
 * tell one: ".BASE.asr-capture-" and mkdtemp's six characters. */
#define TMPDIR_INFIX ".asr-capture-"

static gboolean
is_tmpdir_name (const char *name, const char *base)
{
  gsize blen = strlen (base);

  return name[0] == '.' && strncmp (name + 1, base, blen) == 0
         && g_str_has_prefix (name + 1 + blen, TMPDIR_INFIX)
         && strlen (name + 1 + blen + strlen (TMPDIR_INFIX)) == 6;
}

/* Earlier captures to the same BACKUP that were killed (kill -9, a power
 * cut) left their temporary directories: remove those whose owner is
 * provably dead, never one in use nor one without an owner record. */
static void
remove_stale_tmpdirs (Capture *c, const char *parent, const char *base)
{
  g_autoptr (GDir) dir = g_dir_open (parent, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      if (!is_tmpdir_name (name, base))
        continue;
      g_autofree char *path = g_build_filename (parent, name, NULL);
      if (asr_owner_state (path) != ASR_OWNER_DEAD)
        continue;
      if (asr_owner_remove_tree (path))
        capture_message (c, "removed %s, left by a capture that did not finish", path);
      else
        capture_message (c, "warning: could not remove %s, left by a capture that did not finish",
                         path);
    }
}

/* --force replaces an asr backup set and nothing else: a directory (not a
 * symlink to one) whose machine.xml is a descriptor and that holds only
 * the files of a backup set, machine.xml and the images it names. */
static gboolean
check_replaceable (const char *backup, GError **error)
{
  g_autofree char *xml = g_build_filename (backup, MACHINE_DESCRIPTOR_FILENAME, NULL);
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (MachineDescriptor) m = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *name;
  struct stat st;

  if (lstat (backup, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "%s exists and is not a backup set directory: --force replaces a backup "
                   "set only",
                   backup);
      return FALSE;
    }
  m = machine_descriptor_parse_file (xml, &local);
  if (m == NULL)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "%s exists and is not a backup set (%s): --force replaces a backup set only",
                   backup, local->message);
      return FALSE;
    }
  g_hash_table_add (names, (gpointer) MACHINE_DESCRIPTOR_FILENAME);
  files = machine_descriptor_list_files (m);
  for (guint i = 0; i < files->len; i++)
    g_hash_table_add (names, (gpointer) ((MachineFileRef *) g_ptr_array_index (files, i))->file);

  dir = g_dir_open (backup, 0, &local);
  if (dir == NULL)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "%s", local->message);
      return FALSE;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (backup, name, NULL);
      if (!g_hash_table_contains (names, name) || lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s holds %s, which is not part of its backup set: --force replaces a "
                       "backup set only, nothing else; nothing was removed",
                       backup, name);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
make_tmpdir (Capture *c, const char *backup, GError **error)
{
  g_autofree char *abs = g_canonicalize_filename (backup, NULL);
  g_autofree char *parent = g_path_get_dirname (abs);
  g_autofree char *base = g_path_get_basename (abs);
  g_autofree char *tmpl = NULL;
  struct stat st;

  if (!g_file_test (parent, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "%s: the directory to hold the backup set does not exist", parent);
      return FALSE;
    }
  if (lstat (abs, &st) == 0)
    {
      if (!c->opts->force)
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_EXISTS,
                       "%s already exists (use --force to replace it)", backup);
          return FALSE;
        }
      if (!check_replaceable (abs, error))
        return FALSE;
    }
  remove_stale_tmpdirs (c, parent, base);

  /* Beside BACKUP, so the final rename stays on one filesystem; a name
   * that does not look like a backup set. */
  tmpl = g_strdup_printf ("%s/.%s" TMPDIR_INFIX "XXXXXX", parent, base);
  if (g_mkdtemp_full (tmpl, 0700) == NULL)
    {
      int e = errno;
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED,
                   "cannot create a temporary directory in %s: %s", parent, g_strerror (e));
      return FALSE;
    }
  c->tmpdir = g_steal_pointer (&tmpl);
  asr_cleanup_add_dir (c->tmpdir);
  if (!asr_owner_claim (c->tmpdir, error))
    {
      g_prefix_error (error, "%s: ", c->tmpdir);
      return FALSE;
    }
  c->workdir = g_build_filename (c->tmpdir, ".work", NULL);
  if (g_mkdir (c->workdir, 0700) != 0)
    {
      int e = errno;
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "%s: %s", c->workdir,
                   g_strerror (e));
      return FALSE;
    }
  c->backup = g_steal_pointer (&abs);
  return TRUE;
}

static gboolean
make_overlays (Capture *c, GError **error)
{
  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *d = g_ptr_array_index (c->disks, i);
      g_autofree char *name = g_strdup_printf ("disk%u-overlay.qcow2", i);
      d->overlay = g_build_filename (c->workdir, name, NULL);
      const char *argv[] = { "qemu-img", "create", "-q",    "-f",       "qcow2", "-F",
                             d->format,  "-b",     d->path, d->overlay, NULL };
      if (!asr_run (argv, NULL, NULL, NULL, error))
        {
          g_prefix_error (error, "%s: cannot create a private overlay: ", d->path);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
start_appliance (Capture *c, GError **error)
{
  c->g = asr_appliance_new (&c->accel, error);
  if (c->g == NULL)
    return FALSE;
  capture_message (c, "appliance: %s", c->accel);
  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *d = g_ptr_array_index (c->disks, i);
      if (!asr_appliance_add_drive (c->g, d->overlay, "qcow2", FALSE, error))
        return FALSE;
    }
  if (!asr_appliance_launch (c->g, error))
    return FALSE;

  g_auto (GStrv) devices = guestfs_list_devices (c->g);
  if (devices == NULL || g_strv_length (devices) != c->disks->len)
    {
      asr_appliance_set_error (c->g, error, "listing the appliance's disks");
      return FALSE;
    }
  for (guint i = 0; i < c->disks->len; i++)
    ((CaptureDisk *) g_ptr_array_index (c->disks, i))->gdev = g_strdup (devices[i]);
  return TRUE;
}

/* --- 3. images ------------------------------------------------------------ */

typedef struct {
  Capture *c;
  const char *what;
  guint64 item_total;
} ConvertProgress;

static void
convert_progress (const char *what, guint64 share, guint64 shares, guint64 all_share,
                  guint64 all_shares, void *opaque)
{
  ConvertProgress *p = opaque;
  Capture *c = p->c;
  guint64 done
    = shares ? (guint64) ((double) p->item_total * ((double) share / (double) shares)) : 0;
  if (c->opts->progress)
    c->opts->progress (p->what, done, p->item_total, c->progress_done + done, c->progress_total,
                       c->opts->opaque);
}

static void
checksum_progress (const char *what, guint64 done, guint64 total, guint64 all_done,
                   guint64 all_total, void *opaque)
{
  ConvertProgress *p = opaque;
  Capture *c = p->c;
  if (c->opts->progress)
    c->opts->progress (p->what, done, total, c->progress_done + done, c->progress_total,
                       c->opts->opaque);
}

/* One byte range of a disk's overlay → @file in the backup set, checked
 * and checksummed.  @used_bytes only scales progress. */
static MachineImage *
write_image (Capture *c, CaptureDisk *d, guint64 offset, guint64 bytes, guint64 used_bytes,
             const char *file, GError **error)
{
  g_autofree char *out = g_build_filename (c->tmpdir, file, NULL);
  g_autofree char *overlay = asr_qemu_opts_escape (d->overlay);
  g_autofree char *opts
    = g_strdup_printf ("driver=raw,offset=%" G_GUINT64_FORMAT ",size=%" G_GUINT64_FORMAT
                       ",file.driver=qcow2,file.file.driver=file,"
                       "file.file.filename=%s",
                       offset, bytes, overlay);
  g_autofree char *what = g_strdup_printf ("writing %s", file);
  ConvertProgress p = { c, what, used_bytes };
  const char *convert[] = { "qemu-img", "convert", "-p",           "-W", "-m", "16",
                            "-O",       "qcow2",   "--image-opts", opts, out,  NULL };
  const char *check[] = { "qemu-img", "check", "-q", "-f", "qcow2", out, NULL };
  g_autoptr (MachineImage) img = machine_image_new ();
  AsrChecksumStats cstats = { 0 };

  if (!asr_run (convert, NULL, convert_progress, &p, error))
    {
      /* the set's final name: the temporary one means nothing to users */
      g_prefix_error (error, "writing %s of %s: ", file, c->backup);
      return NULL;
    }
  c->progress_done += used_bytes;
  if (g_chmod (out, 0600) != 0 || !asr_run (check, NULL, NULL, NULL, error))
    {
      if (error && *error == NULL)
        g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "%s: %s", out,
                     g_strerror (errno));
      g_prefix_error (error, "checking %s: ", file);
      return NULL;
    }

  g_free (what);
  what = g_strdup_printf ("checksumming %s", file);
  p.what = what;
  if (!asr_checksum_image_full (out, "qcow2", 0, ASR_CHECKSUM_TO_END, checksum_progress, &p,
                                &cstats, &img->checksum, error))
    {
      g_prefix_error (error, "checksum of %s: ", file);
      return NULL;
    }
  c->progress_done += used_bytes;

  struct stat st;
  if (stat (out, &st) == 0)
    c->image_bytes += (guint64) st.st_blocks * 512;
  c->images++;
  img->file = g_strdup (file);
  img->format = g_strdup ("qcow2");
  img->bytes = bytes;
  return g_steal_pointer (&img);
}

static gboolean
check_free_space (Capture *c, guint64 need, GError **error)
{
  struct statvfs sv;
  if (statvfs (c->tmpdir, &sv) != 0)
    return TRUE; /* cannot tell: the copy itself will fail cleanly */
  guint64 avail = (guint64) sv.f_bavail * sv.f_frsize;
  /* qcow2 metadata: an L2 entry per 64 KiB cluster, refcounts; 2 % is ample. */
  guint64 want = need + need / 50 + 4 * 1024 * 1024;
  if (avail < want)
    {
      g_autofree char *a = g_format_size_full (avail, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *w = g_format_size_full (want, G_FORMAT_SIZE_IEC_UNITS);
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_NO_SPACE,
                   "not enough space for the backup set: about %s needed, %s free "
                   "where %s goes",
                   w, a, c->backup);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_images (Capture *c, GError **error)
{
  guint64 need = 0;

  for (guint i = 0; i < c->volumes->len; i++)
    need += ((CaptureVolume *) g_ptr_array_index (c->volumes, i))->used_bytes;
  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *d = g_ptr_array_index (c->disks, i);
      if (d->disk->boot_area)
        need += d->disk->boot_area->bytes;
    }
  if (!check_free_space (c, need, error))
    return FALSE;
  c->progress_total = 2 * need;
  c->used_bytes = need;

  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *d = g_ptr_array_index (c->disks, i);
      MachineBootArea *ba = d->disk->boot_area;
      if (ba == NULL)
        continue;
      g_autofree char *file = g_strdup_printf ("%s-bootarea.qcow2", d->disk->id);
      g_autoptr (MachineImage) img = write_image (c, d, 0, ba->bytes, ba->bytes, file, error);
      if (img == NULL)
        return FALSE;
      ba->image = g_strdup (img->file);
      ba->checksum = g_strdup (img->checksum);
    }

  for (guint i = 0; i < c->volumes->len; i++)
    {
      CaptureVolume *v = g_ptr_array_index (c->volumes, i);
      MachineImage *img
        = write_image (c, v->disk, v->offset, v->bytes, v->used_bytes, v->file, error);
      if (img == NULL)
        return FALSE;
      machine_image_free (*v->image);
      *v->image = img;
      if (!capture_fail_point ("image", error))
        return FALSE;
    }
  return TRUE;
}

/* --- 4. into place ------------------------------------------------------- */

static gboolean
fsync_dir (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsync (fd) != 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "flushing %s: %s", path,
                   g_strerror (e));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* After the new set is in place, a failure to flush is no reason to undo
 * it nor to keep the old one. */
static void
sync_parent (Capture *c, const char *parent)
{
  g_autoptr (GError) local = NULL;

  if (!fsync_dir (parent, &local))
    capture_message (c, "warning: %s", local->message);
}

/* Removes the set that was replaced, now at @path: owner record first, so
 * that if this run is killed while removing, the next one can tell the
 * remains are a leftover. */
static void
remove_replaced (Capture *c, const char *path)
{
  if (!asr_owner_claim (path, NULL) || !asr_owner_remove_tree (path))
    capture_message (c, "warning: could not remove the replaced backup set, now %s", path);
}

/* --force: the new set takes the old one's place, and the old one is
 * removed only then, so a capture that fails never loses it. */
static gboolean
replace_backup_set (Capture *c, const char *parent, GError **error)
{
  g_autofree char *base = g_path_get_basename (c->backup);
  g_autofree char *aside = NULL;

  /* One step where the filesystem can: BACKUP is a whole set, old or new,
   * at every moment.  The old one is then where the new one was. */
  if (renameat2 (AT_FDCWD, c->tmpdir, AT_FDCWD, c->backup, RENAME_EXCHANGE) == 0)
    {
      sync_parent (c, parent);
      remove_replaced (c, c->tmpdir);
      asr_cleanup_remove_dir (c->tmpdir);
      g_clear_pointer (&c->tmpdir, g_free);
      return TRUE;
    }
  if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
    {
      int e = errno;
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "cannot swap %s and %s: %s",
                   c->tmpdir, c->backup, g_strerror (e));
      return FALSE;
    }

  /* Elsewhere in two renames: the old set aside under a temporary name
   * (onto an empty directory made for it), then the new one into place. */
  aside = g_strdup_printf ("%s/.%s" TMPDIR_INFIX "XXXXXX", parent, base);
  if (g_mkdtemp_full (aside, 0700) == NULL || rename (c->backup, aside) != 0)
    {
      int e = errno;
      g_rmdir (aside);
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED,
                   "cannot move the old %s aside: %s", c->backup, g_strerror (e));
      return FALSE;
    }
  if (renameat2 (AT_FDCWD, c->tmpdir, AT_FDCWD, c->backup, RENAME_NOREPLACE) != 0)
    {
      int e = errno;
      rename (aside, c->backup);
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "cannot rename %s to %s: %s",
                   c->tmpdir, c->backup, g_strerror (e));
      return FALSE;
    }
  asr_cleanup_remove_dir (c->tmpdir);
  g_clear_pointer (&c->tmpdir, g_free);
  sync_parent (c, parent);
  remove_replaced (c, aside);
  return TRUE;
}

static gboolean
finish_backup_set (Capture *c, GError **error)
{
  g_autofree char *xml = g_build_filename (c->tmpdir, MACHINE_DESCRIPTOR_FILENAME, NULL);
  g_autofree char *owner = g_build_filename (c->tmpdir, ASR_OWNER_FILE, NULL);
  g_autofree char *parent = g_path_get_dirname (c->backup);
  struct stat st;

  if (!asr_remove_tree (c->workdir))
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "cannot remove %s",
                   c->workdir);
      return FALSE;
    }
  /* Images are flushed before the descriptor that vouches for them. */
  sync ();
  if (!machine_descriptor_write_file (c->m, xml, 0600, error))
    return FALSE;
  /* A backup set holds its own files only. */
  if (g_unlink (owner) != 0)
    {
      int e = errno;
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "%s: %s", owner,
                   g_strerror (e));
      return FALSE;
    }
  if (!fsync_dir (c->tmpdir, error) || !capture_fail_point ("descriptor", error))
    return FALSE;

  if (lstat (c->backup, &st) == 0)
    {
      if (!c->opts->force)
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_EXISTS,
                       "%s appeared while capturing (use --force to replace it)", c->backup);
          return FALSE;
        }
      /* Checked again: what is there now may not be what was there. */
      if (!check_replaceable (c->backup, error) || !replace_backup_set (c, parent, error))
        return FALSE;
      return TRUE;
    }
  if (renameat2 (AT_FDCWD, c->tmpdir, AT_FDCWD, c->backup, RENAME_NOREPLACE) != 0)
    {
      int e = errno;
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "cannot rename %s to %s: %s",
                   c->tmpdir, c->backup, g_strerror (e));
      return FALSE;
    }
  asr_cleanup_remove_dir (c->tmpdir);
  g_clear_pointer (&c->tmpdir, g_free);
  return fsync_dir (parent, error);
}

MachineDescriptor *
asr_capture (GPtrArray *sources, const char *backup, const AsrCaptureOptions *opts,
             AsrCaptureStats *stats, GError **error)
{
  Capture c = { 0 };
  MachineDescriptor *result = NULL;
  gint64 start = g_get_monotonic_time ();
  AsrCaptureOptions defaults = { 0 };
  gboolean userspace = FALSE;

  g_return_val_if_fail (sources != NULL && sources->len > 0, NULL);
  g_return_val_if_fail (backup != NULL, NULL);

  c.opts = opts ? opts : &defaults;
  c.disks = g_ptr_array_new_with_free_func ((GDestroyNotify) capture_disk_free);
  c.volumes = g_ptr_array_new_with_free_func ((GDestroyNotify) capture_volume_free);
  c.lvs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) capture_lv_free);
  c.vg_problems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c.m = machine_descriptor_new ();
  c.m->origin = machine_origin_new ();
  {
    g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
    c.m->origin->captured = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
    c.m->origin->tool = g_strdup ("asr " PACKAGE_VERSION);
  }

  if (!probe_sources (&c, sources, error) || !read_layouts (&c, error)
      || !make_tmpdir (&c, backup, error) || !capture_fail_point ("tmpdir", error)
      || !make_overlays (&c, error) || !capture_fail_point ("overlays", error)
      || !capture_discover_userspace (&c, &userspace, error))
    goto out;
  if (!userspace)
    {
      if (!start_appliance (&c, error))
        {
          if (c.appliance_why)
            g_prefix_error (error, "%s, so these disks need the appliance, which cannot start: ",
                            c.appliance_why);
          goto out;
        }
      if (!capture_discover (&c, error) || !capture_trim (&c, error)
          || !asr_appliance_shutdown (c.g, error))
        goto out;
      g_clear_pointer (&c.g, guestfs_close);
    }
  /* the used blocks zeroed, through the exports the userspace inspection
   * left running, or new ones */
  if (!capture_map_used (&c, error) || !capture_unexport_disks (&c, error))
    goto out;
  if (!capture_fail_point ("appliance", error) || !write_images (&c, error)
      || !finish_backup_set (&c, error))
    goto out;

  if (stats)
    {
      stats->images = c.images;
      stats->image_bytes = c.image_bytes;
      stats->used_bytes = c.used_bytes;
      stats->seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
      stats->accel = g_steal_pointer (&c.accel);
    }
  result = g_steal_pointer (&c.m);

out:
  if (c.g)
    {
      int pid = guestfs_get_pid (c.g);
      if (pid > 0)
        asr_cleanup_remove_pid (pid);
      guestfs_close (c.g);
    }
  capture_clear (&c);
  return result;
}
