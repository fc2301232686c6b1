/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --shrink (docs/asr-restore.1, DISKS OF OTHER SIZES): an ext2/3/4 image
 * shrunk before the first write, never the backup set's own file, or a
 * FAT or xfs one recreated smaller (xfs's files copied in the appliance,
 * which mounts the image).  A private qcow2 overlay over the image, exposed as a raw file by a
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

#include "appliance.h"
#include "checksum.h"
#include "export.h"
#include "probe.h"
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
  AsrFuseExport *export;
} Overlay;

/* Stops the export (qemu-storage-daemon flushes the overlay as it exits)
 * and, with @remove, removes the private directory. */
static gboolean
overlay_close (Overlay *o, gboolean remove, GError **error)
{
  g_autoptr (GError) local = NULL;
  gboolean clean = asr_fuse_export_stop (g_steal_pointer (&o->export), &local);

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
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: the shrunk copy may be incomplete",
                         local->message);
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
  g_autofree char *log = g_build_filename (o->dir, "qsd.log", NULL);
  o->export = asr_fuse_export_start (o->overlay, bytes, o->raw, log, &local);
  if (o->export == NULL)
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "an overlay of %s: %s", image,
                         local->message);
  return TRUE;
}

/* The checksum of the first @bytes of @path (read back against it). */
static gboolean
checksum_file (const char *path, guint64 bytes, const char *what, char **sum, GError **error)
{
  g_autoptr (GError) local = NULL;
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", path, g_strerror (errno));
  gboolean ok = asr_checksum_fd (fd, 0, bytes, sum, &local);
  close (fd);
  if (!ok)
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", what, local->message);
  return TRUE;
}

/* @v is written from @path (@format) from now on, and read back against
 * @sum; @o's directory, which holds it, goes to the caller. */
static void
adopt (RestoreVolume *v, char *path, const char *format, char *sum, Overlay *o, char **dir_out)
{
  g_free (v->image_path);
  v->image_path = path;
  g_free (v->format);
  v->format = g_strdup (format);
  v->shrunk_checksum = sum;
  v->checksum = v->shrunk_checksum;
  *dir_out = g_steal_pointer (&o->dir);
}

/* A new sparse file of @bytes at @path, the caller's alone. */
static gboolean
sparse_file (const char *path, guint64 bytes, GError **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || ftruncate (fd, (off_t) bytes) != 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", path, g_strerror (e));
    }
  close (fd);
  return TRUE;
}

/* @v is written from the raw file *@raw (its filesystem @fs recreated
 * with @used bytes of files), read back against its checksum; @o stops. */
static gboolean
adopt_recreated (RestoreVolume *v, char **raw, const char *fs, guint64 used, Overlay *o,
                 char **dir_out, AsrMessageFunc message, void *opaque, GError **error)
{
  g_autofree char *sum = NULL;
  if (!checksum_file (*raw, v->bytes, v->what, &sum, error))
    return FALSE;
  if (message)
    {
      g_autofree char *msg
        = g_strdup_printf ("%s: its %s recreated with %" G_GUINT64_FORMAT
                           " bytes and its files copied (%" G_GUINT64_FORMAT " bytes used)",
                           v->what, fs, v->bytes, used);
      message (msg, opaque);
    }
  if (!overlay_close (o, FALSE, error))
    return FALSE;
  adopt (v, g_steal_pointer (raw), "raw", g_steal_pointer (&sum), o, dir_out);
  return TRUE;
}

/* The first 512 bytes of @raw into @b: how many there are, -1 with @error. */
static gssize
first_sector (const char *raw, const char *what, guint8 b[512], GError **error)
{
  int fd = open (raw, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : pread (fd, b, 512, 0);
  int e = errno;
  if (fd >= 0)
    close (fd);
  if (n < 0)
    restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", what, g_strerror (e));
  return n;
}

/* Refuses a volume whose first sector is boot code that finds its loader
 * by sector (docs/asr-restore.1): shrinking or recreating it moves those
 * sectors, and asr does not reinstall boot loaders. */
static gboolean
boot_code_check (const char *raw, const char *what, GError **error)
{
  guint8 b[512];
  gssize n = first_sector (raw, what, b, error);
  if (n < 0)
    return FALSE;
  if (n != sizeof b || b[510] != 0x55 || b[511] != 0xaa)
    return TRUE;
  const char *loader = NULL;
  if (memmem (b, sizeof b, "SYSLINUX", 8) || memmem (b, sizeof b, "EXTLINUX", 8))
    loader = "SYSLINUX's (extlinux), which finds ldlinux.sys";
  else if (memmem (b, sizeof b, "GRUB", 4) && memmem (b, sizeof b, "Geom", 4))
    loader = "GRUB's, which finds its core image";
  if (loader == NULL)
    return TRUE;
  return restore_fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s: its first sector holds %s by sector, and shrinking it moves those "
                       "sectors: asr does not reinstall the boot loader, so it does not shrink "
                       "this volume",
                       what, loader);
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

/* ---- FAT: recreated smaller, with the same volume id, label and FAT size,
 * and its files copied with mtools (no kernel mounts either side) ------ */

/* FAT32 needs 65525 clusters: with 512-byte ones, and its FATs and
 * reserved sectors, about 34 MiB. */
#define FAT32_MIN_BYTES (36u * MIB)

static gboolean
mtools (const char *what, const char *const *args, AsrRunResult *r, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) local = NULL;
  AsrRunOptions ro = { .c_locale = TRUE, .capture_stdout = TRUE, .stdout_max_bytes = 16u << 20 };
  /* images of any size: mtools' geometry check is for floppies */
  g_ptr_array_add (argv, (gpointer) "env");
  g_ptr_array_add (argv, (gpointer) "MTOOLS_SKIP_CHECK=1");
  for (const char *const *a = args; *a; a++)
    g_ptr_array_add (argv, (gpointer) *a);
  g_ptr_array_add (argv, NULL);
  if (!asr_run_full ((const char *const *) argv->pdata, &ro, r, &local))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", what, local->message);
  return TRUE;
}

/* The bytes the FAT volume @raw (@total bytes) uses: what mdir does not
 * call free. */
static gboolean
vfat_used (const char *raw, const char *image, guint64 total, guint64 *used, GError **error)
{
  g_auto (AsrRunResult) r = { 0 };
  const char *args[] = { "mdir", "-i", raw, "::/", NULL };
  if (!mtools (image, args, &r, error))
    return FALSE;
  const char *f = r.stdout_text ? g_strrstr (r.stdout_text, " bytes free") : NULL;
  if (f == NULL)
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: mdir gave no free space", image);
  const char *line = f;
  while (line > r.stdout_text && line[-1] != '\n')
    line--;
  g_autoptr (GString) digits = g_string_new (NULL);
  for (const char *c = line; c < f; c++)
    if (g_ascii_isdigit (*c))
      g_string_append_c (digits, *c);
  guint64 free_bytes;
  if (!g_ascii_string_to_unsigned (digits->str, 10, 0, total, &free_bytes, NULL))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: mdir gave %s bytes free", image,
                         digits->str);
  *used = total - free_bytes;
  return TRUE;
}

/* FAT12, FAT16 or FAT32, as blkid reads @raw: 12, 16 or 32. */
static gboolean
vfat_bits (const char *raw, const char *image, guint *bits, GError **error)
{
  AsrRunOptions ro = { .c_locale = TRUE, .capture_stdout = TRUE, .stdout_max_bytes = 1 << 16 };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) local = NULL;
  const char *argv[] = { "blkid", "-p", "-o", "value", "-s", "VERSION", raw, NULL };
  if (!asr_run_full (argv, &ro, &r, &local))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", image, local->message);
  g_strstrip (r.stdout_text);
  *bits = strcmp (r.stdout_text, "FAT32") == 0   ? 32
          : strcmp (r.stdout_text, "FAT16") == 0 ? 16
          : strcmp (r.stdout_text, "FAT12") == 0 ? 12
                                                 : 0;
  if (*bits == 0)
    return restore_fail (error, ASR_IMAGER_ERROR_INVALID_INPUT, "%s: not a FAT volume (%s)", image,
                         r.stdout_text);
  return TRUE;
}

static guint64
vfat_min_bytes (guint64 used, guint bits)
{
  guint64 need = asr_shrink_margin (used);
  return bits == 32 ? MAX (need, (guint64) FAT32_MIN_BYTES) : need;
}

/* The FAT volume of @v recreated at @v->bytes in a raw file in @o's
 * directory, its files and their attributes copied from @o's view of the
 * image; the file's checksum into *@sum. */
static gboolean
vfat_recreate (RestoreVolume *v, const Overlay *o, guint bits, guint64 hidden, char **raw_out,
               GError **error)
{
  const MachineVolume *mv = v->partition->volume;
  g_autofree char *raw = g_build_filename (o->dir, "vfat.raw", NULL);
  g_autofree char *files = g_build_filename (o->dir, "files", NULL);
  g_autoptr (GError) local = NULL;

  if (!sparse_file (raw, v->bytes, error))
    return FALSE;
  if (g_mkdir (files, 0700) != 0)
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: %s", files, g_strerror (errno));

  /* the same volume id ("A5B1-E001" → A5B1E001), label and FAT size */
  g_autofree char *id = NULL;
  if (mv->uuid && strlen (mv->uuid) == 9 && mv->uuid[4] == '-')
    id = g_strdup_printf ("%.4s%.4s", mv->uuid, mv->uuid + 5);
  g_autofree char *fat = g_strdup_printf ("%u", bits);
  g_autofree char *hid = g_strdup_printf ("%" G_GUINT64_FORMAT, hidden);
  g_autoptr (GPtrArray) mkfs = g_ptr_array_new ();
  g_ptr_array_add (mkfs, (gpointer) "mkfs.vfat");
  g_ptr_array_add (mkfs, (gpointer) "-F");
  g_ptr_array_add (mkfs, fat);
  g_ptr_array_add (mkfs, (gpointer) "-h");
  g_ptr_array_add (mkfs, hid);
  if (id)
    {
      g_ptr_array_add (mkfs, (gpointer) "-i");
      g_ptr_array_add (mkfs, id);
    }
  if (mv->label && *mv->label)
    {
      g_ptr_array_add (mkfs, (gpointer) "-n");
      g_ptr_array_add (mkfs, mv->label);
    }
  g_ptr_array_add (mkfs, raw);
  g_ptr_array_add (mkfs, NULL);
  AsrRunOptions ro = { .c_locale = TRUE };
  if (!asr_run_full ((const char *const *) mkfs->pdata, &ro, NULL, &local))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED,
                         "%s: a FAT%u of %" G_GUINT64_FORMAT " bytes: %s", v->what, bits, v->bytes,
                         local->message);

  /* out to a private directory, and in again: every entry of the root,
   * hidden ones too (mtools' * matches them) */
  g_autofree char *to = g_strdup_printf ("%s/", files);
  const char *out[] = { "mcopy", "-s", "-p", "-m", "-n", "-i", o->raw, "::/*", to, NULL };
  g_auto (AsrRunResult) r1 = { 0 };
  g_auto (AsrRunResult) r0 = { 0 };
  const char *any[] = { "mdir", "-b", "-i", o->raw, "::/", NULL };
  gboolean empty = !mtools (v->what, any, &r0, NULL) || r0.stdout_text == NULL
                   || *g_strstrip (r0.stdout_text) == '\0';
  if (!empty && !mtools (v->what, out, &r1, error))
    return FALSE;
  g_autoptr (GPtrArray) in = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (in, g_strdup ("mcopy"));
  g_ptr_array_add (in, g_strdup ("-s"));
  g_ptr_array_add (in, g_strdup ("-p"));
  g_ptr_array_add (in, g_strdup ("-m"));
  g_ptr_array_add (in, g_strdup ("-i"));
  g_ptr_array_add (in, g_strdup (raw));
  g_autoptr (GDir) dir = g_dir_open (files, 0, &local);
  if (dir == NULL)
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s", local->message);
  guint n = 0;
  for (const char *name; (name = g_dir_read_name (dir)) != NULL; n++)
    g_ptr_array_add (in, g_build_filename (files, name, NULL));
  g_ptr_array_add (in, g_strdup ("::/"));
  g_ptr_array_add (in, NULL);
  g_auto (AsrRunResult) r2 = { 0 };
  if (n > 0 && !mtools (v->what, (const char *const *) in->pdata, &r2, error))
    return FALSE;

  /* read-only, system and hidden attributes, as the source has them */
  g_auto (AsrRunResult) r3 = { 0 };
  const char *attrs[] = { "mattrib", "-/", "-i", o->raw, "::/*", NULL };
  if (n > 0 && !mtools (v->what, attrs, &r3, error))
    return FALSE;
  g_auto (GStrv) lines = g_strsplit (r3.stdout_text ? r3.stdout_text : "", "\n", -1);
  for (char **l = lines; *l; l++)
    {
      const char *path = strstr (*l, "::/");
      if (path == NULL)
        continue;
      g_autoptr (GPtrArray) set = g_ptr_array_new ();
      g_ptr_array_add (set, (gpointer) "mattrib");
      g_ptr_array_add (set, (gpointer) "-i");
      g_ptr_array_add (set, raw);
      for (const char *c = *l; c < path; c++)
        {
          if (*c == 'R')
            g_ptr_array_add (set, (gpointer) "+r");
          else if (*c == 'S')
            g_ptr_array_add (set, (gpointer) "+s");
          else if (*c == 'H')
            g_ptr_array_add (set, (gpointer) "+h");
        }
      if (set->len == 3)
        continue;
      g_ptr_array_add (set, (gpointer) path);
      g_ptr_array_add (set, NULL);
      g_auto (AsrRunResult) r4 = { 0 };
      if (!mtools (v->what, (const char *const *) set->pdata, &r4, error))
        return FALSE;
    }
  asr_remove_tree (files);
  *raw_out = g_steal_pointer (&raw);
  return TRUE;
}

static gboolean
vfat_shrink (RestoreVolume *v, guint64 image_bytes, guint64 hidden, char **dir_out,
             AsrMessageFunc message, void *opaque, GError **error)
{
  g_auto (Overlay) o = { 0 };
  g_autofree char *raw = NULL;
  guint bits = 0;
  guint64 used = 0, need;

  if (!overlay_open (v->image_path, v->format, image_bytes, &o, error)
      || !boot_code_check (o.raw, v->what, error) || !vfat_bits (o.raw, v->image_path, &bits, error)
      || !vfat_used (o.raw, v->image_path, image_bytes, &used, error))
    return FALSE;
  need = vfat_min_bytes (used, bits);
  if (need > v->bytes)
    return restore_fail (error, ASR_IMAGER_ERROR_CHECK_FAILED,
                         "%s: its FAT%u needs at least %" G_GUINT64_FORMAT
                         " bytes (%" G_GUINT64_FORMAT
                         " used, and the margin), the new partition has %" G_GUINT64_FORMAT
                         ": the target is short by %" G_GUINT64_FORMAT
                         " bytes; nothing was written",
                         v->what, bits, need, used, v->bytes, need - v->bytes);
  if (!vfat_recreate (v, &o, bits, hidden, &raw, error))
    return FALSE;
  g_autofree char *fat = g_strdup_printf ("FAT%u", bits);
  return adopt_recreated (v, &raw, fat, used, &o, dir_out, message, opaque, error);
}

/* ---- xfs, which cannot shrink: recreated smaller in a raw file by the
 * host's mkfs.xfs with the UUID, label and features of the source, then
 * its files copied (cp -a) inside the appliance, which mounts the
 * backup's image; no kernel of this host mounts either ---------------- */

/* mkfs.xfs makes no filesystem under 300 MB. */
#define XFS_MIN_BYTES (300u * 1000u * 1000u)
/* The log mkfs.xfs gives a new filesystem of a few hundred MiB: the
 * copy needs room for it besides the data. */
#define XFS_NEW_LOG_BYTES (64u * MIB)

/* The superblock of the xfs in @raw (@bytes long), as
 * asr_xfs_super_parse checks it. */
static gboolean
xfs_super (const char *raw, const char *what, guint64 bytes, AsrXfsSuper *sb, GError **error)
{
  guint8 b[512];
  g_autoptr (GError) local = NULL;
  gssize n = first_sector (raw, what, b, error);
  if (n < 0)
    return FALSE;
  if (!asr_xfs_super_parse (b, (gsize) n, bytes, sb, &local))
    return restore_fail (error, ASR_IMAGER_ERROR_INVALID_INPUT, "%s: %s: asr does not shrink it",
                         what, local->message);
  return TRUE;
}

/* The least a copy of @sb's files needs: its data and metadata (not its
 * log), a new log, the margin; never under mkfs.xfs's 300 MB. */
static guint64
xfs_min_bytes (const AsrXfsSuper *sb, guint64 *used)
{
  guint64 blocks = sb->dblocks - sb->fdblocks;
  blocks -= MIN (blocks, (guint64) sb->logblocks);
  *used = blocks * sb->blocksize;
  return MAX (asr_shrink_margin (*used + XFS_NEW_LOG_BYTES), (guint64) XFS_MIN_BYTES);
}

static gboolean
xfs_appliance_check (const char *what, GError **error)
{
  g_autofree char *why = NULL;
  if (asr_appliance_available (&why))
    return TRUE;
  return restore_fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s: xfs cannot shrink: asr recreates it smaller and copies its files "
                       "inside the libguestfs appliance, and this host has none (%s)",
                       what, why);
}

/* mkfs.xfs of @raw with @sb's UUID, label, geometry and features. */
static gboolean
xfs_mkfs (const AsrXfsSuper *sb, const char *raw, const char *what, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  gboolean v5 = sb->version == 5;
#define ON(mask, bit) ((mask) & (bit) ? 1 : 0)
  g_ptr_array_add (argv, g_strdup ("mkfs.xfs"));
  g_ptr_array_add (argv, g_strdup ("-q"));
  g_ptr_array_add (argv, g_strdup ("-b"));
  g_ptr_array_add (argv, g_strdup_printf ("size=%u", sb->blocksize));
  g_ptr_array_add (argv, g_strdup ("-s"));
  g_ptr_array_add (argv, g_strdup_printf ("size=%u", sb->sectsize));
  g_ptr_array_add (argv, g_strdup ("-m"));
  if (v5)
    g_ptr_array_add (argv,
                     g_strdup_printf ("crc=1,uuid=%s,finobt=%d,rmapbt=%d,reflink=%d,bigtime=%d,"
                                      "inobtcount=%d",
                                      sb->uuid, ON (sb->ro_compat, ASR_XFS_RO_COMPAT_FINOBT),
                                      ON (sb->ro_compat, ASR_XFS_RO_COMPAT_RMAPBT),
                                      ON (sb->ro_compat, ASR_XFS_RO_COMPAT_REFLINK),
                                      ON (sb->incompat, ASR_XFS_INCOMPAT_BIGTIME),
                                      ON (sb->ro_compat, ASR_XFS_RO_COMPAT_INOBTCNT)));
  else
    g_ptr_array_add (argv, g_strdup_printf ("crc=0,uuid=%s", sb->uuid));
  g_ptr_array_add (argv, g_strdup ("-i"));
  if (v5)
    g_ptr_array_add (argv,
                     g_strdup_printf ("size=%u,sparse=%d%s", sb->inodesize,
                                      ON (sb->incompat, ASR_XFS_INCOMPAT_SPINODES),
                                      sb->incompat & ASR_XFS_INCOMPAT_NREXT64 ? ",nrext64=1" : ""));
  else
    g_ptr_array_add (argv, g_strdup_printf ("size=%u", sb->inodesize));
  g_ptr_array_add (argv, g_strdup ("-n"));
  g_ptr_array_add (argv, g_strdup_printf ("size=%u,ftype=%d", sb->blocksize << sb->dirblklog,
                                          v5 ? 1 : ON (sb->features2, ASR_XFS_VERSION2_FTYPE)));
#undef ON
  if (sb->label[0])
    {
      g_ptr_array_add (argv, g_strdup ("-L"));
      g_ptr_array_add (argv, g_strdup (sb->label));
    }
  g_ptr_array_add (argv, g_strdup (raw));
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) local = NULL;
  AsrRunOptions ro = { .c_locale = TRUE };
  if (!asr_run_full ((const char *const *) argv->pdata, &ro, NULL, &local))
    return restore_fail (error, ASR_IMAGER_ERROR_FAILED, "%s: recreating its xfs: %s", what,
                         local->message);
  return TRUE;
}

/* Every file of @image (@format, read-only) copied into @raw, both
 * mounted in the appliance; xfs refuses a second filesystem with the
 * same UUID unless told nouuid. */
static gboolean
xfs_copy (const char *image, const char *format, const char *raw, const char *what, GError **error)
{
  g_autoptr (guestfs_h) g = asr_appliance_new (NULL, error);
  if (g == NULL)
    return FALSE;
  if (!asr_appliance_add_drive (g, image, format, TRUE, error)
      || !asr_appliance_add_drive (g, raw, "raw", FALSE, error) || !asr_appliance_launch (g, error))
    return FALSE;
  if (guestfs_mkmountpoint (g, "/from") == -1 || guestfs_mkmountpoint (g, "/to") == -1
      || guestfs_mount_options (g, "ro,nouuid", "/dev/sda", "/from") == -1
      || guestfs_mount_options (g, "nouuid", "/dev/sdb", "/to") == -1)
    {
      asr_appliance_set_error (g, error, "%s: mounting its xfs and the recreated one", what);
      return FALSE;
    }
  if (guestfs_cp_a (g, "/from/.", "/to") == -1)
    {
      asr_appliance_set_error (g, error, "%s: copying its files into the recreated xfs", what);
      return FALSE;
    }
  if (guestfs_umount (g, "/to") == -1 || guestfs_umount (g, "/from") == -1)
    {
      asr_appliance_set_error (g, error, "%s: unmounting", what);
      return FALSE;
    }
  return asr_appliance_shutdown (g, error);
}

static gboolean
xfs_shrink (RestoreVolume *v, guint64 image_bytes, char **dir_out, AsrMessageFunc message,
            void *opaque, GError **error)
{
  g_auto (Overlay) o = { 0 };
  AsrXfsSuper sb;
  guint64 used = 0, need;

  if (!xfs_appliance_check (v->what, error)
      || !overlay_open (v->image_path, v->format, image_bytes, &o, error)
      || !boot_code_check (o.raw, v->what, error)
      || !xfs_super (o.raw, v->what, image_bytes, &sb, error))
    return FALSE;
  need = xfs_min_bytes (&sb, &used);
  if (need > v->bytes)
    return restore_fail (error, ASR_IMAGER_ERROR_CHECK_FAILED,
                         "%s: its xfs needs at least %" G_GUINT64_FORMAT
                         " bytes (%" G_GUINT64_FORMAT
                         " used, a new log and the margin), the new partition "
                         "has %" G_GUINT64_FORMAT ": the target is short by %" G_GUINT64_FORMAT
                         " bytes; nothing was written",
                         v->what, need, used, v->bytes, need - v->bytes);
  if (!overlay_close (&o, FALSE, error))
    return FALSE;

  g_autofree char *raw = g_build_filename (o.dir, "xfs.raw", NULL);
  if (!sparse_file (raw, v->bytes, error) || !xfs_mkfs (&sb, raw, v->what, error)
      || !xfs_copy (v->image_path, v->format, raw, v->what, error))
    return FALSE;
  return adopt_recreated (v, &raw, "xfs", used, &o, dir_out, message, opaque, error);
}

gboolean
asr_fs_shrink_min_bytes (const char *backup, const char *file, const char *format, guint64 bytes,
                         const char *fs, guint64 *min_bytes, void *opaque, GError **error)
{
  g_auto (Overlay) o = { 0 };
  g_autofree char *image = g_build_filename (backup, file, NULL);

  if (!machine_fs_shrinks (fs))
    return restore_fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
                         "%s: asr does not shrink %s (ext2, ext3, ext4, vfat, xfs)", file,
                         fs ? fs : "it");
  /* vetted first: qemu-storage-daemon opens it */
  g_autoptr (AsrCheckItem) item = asr_check_image (backup, file, format, bytes, NULL, FALSE, error);
  if (item == NULL)
    return FALSE;
  if (item->status != ASR_CHECK_OK)
    return restore_fail (error, ASR_IMAGER_ERROR_INVALID_INPUT, "%s: %s", file,
                         item->detail ? item->detail : asr_check_status_to_string (item->status));
  guint64 min = 0;
  if (!overlay_open (image, format, bytes, &o, error) || !boot_code_check (o.raw, file, error))
    return FALSE;
  if (strcmp (fs, "xfs") == 0)
    {
      AsrXfsSuper sb;
      if (!xfs_appliance_check (file, error) || !xfs_super (o.raw, file, bytes, &sb, error))
        return FALSE;
      *min_bytes = xfs_min_bytes (&sb, &min);
    }
  else if (strcmp (fs, "vfat") == 0)
    {
      guint bits = 0;
      if (!vfat_bits (o.raw, file, &bits, error) || !vfat_used (o.raw, file, bytes, &min, error))
        return FALSE;
      *min_bytes = vfat_min_bytes (min, bits);
    }
  else
    {
      if (!ext_minimum (&o, image, &min, error))
        return FALSE;
      *min_bytes = asr_shrink_margin (min);
    }
  return overlay_close (&o, TRUE, error);
}

gboolean
restore_shrink_volume (RestoreVolume *v, const char *fs, guint64 image_bytes, guint32 sector,
                       char **dir_out, AsrMessageFunc message, void *opaque, GError **error)
{
  g_auto (Overlay) o = { 0 };
  g_autoptr (GError) local = NULL;
  guint64 min = 0, need;

  if (g_strcmp0 (fs, "xfs") == 0)
    return xfs_shrink (v, image_bytes, dir_out, message, opaque, error);
  if (g_strcmp0 (fs, "vfat") == 0)
    return vfat_shrink (v, image_bytes, v->offset / sector, dir_out, message, opaque, error);
  if (!machine_fs_shrinks (fs))
    return restore_fail (error, ASR_IMAGER_ERROR_INVALID_INPUT,
                         "%s: asr does not shrink %s (ext2, ext3, ext4, vfat, xfs)", v->what,
                         fs ? fs : "it");
  if (!overlay_open (v->image_path, v->format, image_bytes, &o, error)
      || !boot_code_check (o.raw, v->what, error) || !ext_minimum (&o, v->image_path, &min, error))
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
  g_autofree char *sum = NULL;
  if (!checksum_file (o.raw, v->bytes, v->what, &sum, error))
    return FALSE;
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
  adopt (v, g_strdup (o.overlay), "qcow2", g_steal_pointer (&sum), &o, dir_out);
  return TRUE;
}
