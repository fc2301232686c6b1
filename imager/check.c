/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The images of a backup set against its own descriptor: `asr check`, and
 * the vetting plan and restore do before an image is read or written
 * anywhere.  Every image is probed with the same safety rules as a capture
 * source (a qcow2 that grew a backing file since is refused), and its
 * checksum recomputed where asked.  One implementation for all three.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "checksum.h"
#include "imager.h"
#include "probe.h"
#include "run.h"

const char *
asr_check_status_to_string (AsrCheckStatus s)
{
  switch (s)
    {
    case ASR_CHECK_OK:
      return "ok";
    case ASR_CHECK_MISSING:
      return "missing";
    case ASR_CHECK_BAD_IMAGE:
      return "bad-image";
    case ASR_CHECK_SIZE_MISMATCH:
      return "size-mismatch";
    case ASR_CHECK_CHECKSUM_MISMATCH:
      return "checksum-mismatch";
    }
  g_return_val_if_reached (NULL);
}

void
asr_check_item_free (AsrCheckItem *item)
{
  if (item == NULL)
    return;
  g_free (item->file);
  g_free (item->what);
  g_free (item->detail);
  g_free (item->expected);
  g_free (item->actual);
  g_free (item);
}

typedef struct {
  AsrProgressFunc progress;
  void *opaque;
  const char *what;
  guint64 all_done, all_total;
} CheckProgress;

static void
checksum_progress (const char *what, guint64 done, guint64 total, guint64 all_done,
                   guint64 all_total, void *opaque)
{
  CheckProgress *p = opaque;
  if (p->progress)
    p->progress (p->what, done, total, p->all_done + done, p->all_total, p->opaque);
}

static AsrCheckItem *
item_set (AsrCheckItem *item, AsrCheckStatus status, char *detail)
{
  item->status = status;
  item->detail = detail;
  return item;
}

/*
 * The rules, in order: the descriptor says qcow2 (the format is never
 * probed: a raw file renamed .qcow2 is refused, not read as raw); the file
 * is a regular file in the set itself, not a symlink to somewhere else;
 * then asr_image_info_probe(), the rules a capture source passes (no
 * backing file, no external data file, looked at before qemu opens it,
 * qemu-img check clean: a truncated image is refused); the virtual size
 * the descriptor records; last, with @verify_checksum, the checksum.
 * *runtime is set when the host failed us rather than the image (qemu-img
 * or qemu-nbd missing, an I/O error): the item then says so too.
 */
static AsrCheckItem *
check_image (const char *backup, const char *file, const char *format, guint64 bytes,
             const char *checksum, gboolean verify_checksum, char *what, CheckProgress *progress,
             GError **runtime)
{
  AsrCheckItem *item = g_new0 (AsrCheckItem, 1);
  g_autofree char *path = g_build_filename (backup, file, NULL);
  g_autoptr (GError) local = NULL;
  g_autoptr (AsrImageInfo) info = NULL;
  GStatBuf st;

  item->file = g_strdup (file);
  item->what = what;
  item->expected = g_strdup (checksum);

  if (format != NULL && strcmp (format, "qcow2") != 0)
    return item_set (item, ASR_CHECK_BAD_IMAGE,
                     g_strdup_printf ("the descriptor says format %s: backup-set images are "
                                      "qcow2 only",
                                      format));
  if (g_lstat (path, &st) != 0)
    {
      int e = errno;
      if (e == ENOENT)
        return item_set (item, ASR_CHECK_MISSING, g_strdup_printf ("%s is missing", path));
      return item_set (item, ASR_CHECK_BAD_IMAGE, g_strdup_printf ("%s: %s", path, g_strerror (e)));
    }
  if (S_ISLNK (st.st_mode))
    return item_set (item, ASR_CHECK_BAD_IMAGE,
                     g_strdup_printf ("%s is a symbolic link: the images of a backup set are "
                                      "regular files inside it",
                                      path));
  if (!S_ISREG (st.st_mode))
    return item_set (item, ASR_CHECK_BAD_IMAGE,
                     g_strdup_printf ("%s is %s, not a regular file", path,
                                      S_ISDIR (st.st_mode) ? "a directory" : "a special file"));

  info = asr_image_info_probe (path, "qcow2", &local);
  if (info == NULL)
    {
      if (g_error_matches (local, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME) && runtime)
        *runtime = g_error_copy (local);
      return item_set (item, ASR_CHECK_BAD_IMAGE, g_strdup (local->message));
    }
  if (info->virtual_bytes != bytes)
    return item_set (item, ASR_CHECK_SIZE_MISMATCH,
                     g_strdup_printf ("its size is %" G_GUINT64_FORMAT
                                      " bytes, the descriptor says %" G_GUINT64_FORMAT,
                                      info->virtual_bytes, bytes));
  if (!verify_checksum)
    return item_set (item, ASR_CHECK_OK, NULL);
  if (checksum == NULL)
    return item_set (item, ASR_CHECK_CHECKSUM_MISMATCH,
                     g_strdup ("the descriptor records no checksum for it"));

  g_autofree char *label = g_strdup_printf ("checksumming %s", file);
  progress->what = label;
  if (!asr_checksum_image_full (path, "qcow2", 0, ASR_CHECKSUM_TO_END, checksum_progress, progress,
                                NULL, &item->actual, &local))
    {
      if (runtime)
        *runtime = g_error_copy (local);
      return item_set (item, ASR_CHECK_BAD_IMAGE,
                       g_strdup_printf ("cannot read it: %s", local->message));
    }
  progress->all_done += bytes;
  if (g_ascii_strcasecmp (item->actual, checksum) != 0)
    return item_set (item, ASR_CHECK_CHECKSUM_MISMATCH,
                     g_strdup_printf ("its content differs from what was captured (checksum "
                                      "%s, the descriptor says %s)",
                                      item->actual, checksum));
  return item_set (item, ASR_CHECK_OK, NULL);
}

AsrCheckItem *
asr_check_image (const char *backup, const char *file, const char *format, guint64 bytes,
                 const char *checksum, gboolean verify_checksum, GError **error)
{
  CheckProgress p = { 0 };
  GError *runtime = NULL;
  AsrCheckItem *item;

  g_return_val_if_fail (backup != NULL && file != NULL, NULL);
  item = check_image (backup, file, format, bytes, checksum, verify_checksum, g_strdup (file), &p,
                      &runtime);
  if (runtime != NULL)
    {
      g_propagate_error (error, runtime);
      asr_check_item_free (item);
      return NULL;
    }
  return item;
}

/* LVM metadata text in the backup set is small: what LVM writes in its
 * metadata area (1 MiB by default). */
#define CHECK_TEXT_MAX_BYTES (16u * 1024u * 1024u)

/* A text file of the set (LVM metadata): a regular file inside it, not
 * larger than any LVM writes, whose asr-sha256-64k checksum is the one
 * recorded. */
static AsrCheckItem *
check_text (const char *backup, const char *file, const char *checksum, char *what,
            GError **runtime)
{
  AsrCheckItem *item = g_new0 (AsrCheckItem, 1);
  g_autofree char *path = g_build_filename (backup, file, NULL);
  g_autoptr (GError) local = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  GStatBuf st;

  item->file = g_strdup (file);
  item->what = what;
  item->expected = g_strdup (checksum);
  if (g_lstat (path, &st) != 0)
    {
      int e = errno;
      return item_set (item, e == ENOENT ? ASR_CHECK_MISSING : ASR_CHECK_BAD_IMAGE,
                       g_strdup_printf ("%s: %s", path, g_strerror (e)));
    }
  if (!S_ISREG (st.st_mode))
    return item_set (item, ASR_CHECK_BAD_IMAGE,
                     g_strdup_printf ("%s is not a regular file inside the backup set", path));
  data = asr_file_read_bounded (path, CHECK_TEXT_MAX_BYTES, &len, &local);
  if (data == NULL)
    {
      if (!g_error_matches (local, ASR_FILE_ERROR, ASR_FILE_ERROR_TOO_LARGE) && runtime)
        *runtime = g_error_copy (local);
      return item_set (item, ASR_CHECK_BAD_IMAGE, g_strdup (local->message));
    }
  if (checksum == NULL)
    return item_set (item, ASR_CHECK_CHECKSUM_MISMATCH,
                     g_strdup ("the descriptor records no checksum for it"));
  g_autoptr (AsrChecksum) c = asr_checksum_new ();
  asr_checksum_add_block (c, data, len);
  item->actual = asr_checksum_finish (c);
  if (g_ascii_strcasecmp (item->actual, checksum) != 0)
    return item_set (item, ASR_CHECK_CHECKSUM_MISMATCH,
                     g_strdup_printf ("its content differs from what was captured (checksum "
                                      "%s, the descriptor says %s)",
                                      item->actual, checksum));
  return item_set (item, ASR_CHECK_OK, NULL);
}

AsrCheckItem *
asr_check_text (const char *backup, const char *file, const char *checksum, GError **error)
{
  GError *runtime = NULL;
  AsrCheckItem *item;

  g_return_val_if_fail (backup != NULL && file != NULL, NULL);
  item = check_text (backup, file, checksum, g_strdup (file), &runtime);
  if (runtime != NULL)
    {
      g_propagate_error (error, runtime);
      asr_check_item_free (item);
      return NULL;
    }
  return item;
}

static GPtrArray *
list_images (const MachineDescriptor *m, guint64 *total_bytes)
{
  GPtrArray *refs = machine_descriptor_list_files (m);

  *total_bytes = 0;
  for (guint i = 0; i < refs->len; i++)
    *total_bytes += ((MachineFileRef *) g_ptr_array_index (refs, i))->bytes;
  return refs;
}

static AsrCheckItem *
check_ref (const char *backup, const MachineFileRef *r, gboolean verify_checksum, CheckProgress *p,
           GError **runtime)
{
  if (r->text)
    return check_text (backup, r->file, r->checksum, g_strdup (r->what), runtime);
  return check_image (backup, r->file, r->format, r->bytes, r->checksum, verify_checksum,
                      g_strdup (r->what), p, runtime);
}

GPtrArray *
asr_check_backup (const char *backup, AsrProgressFunc progress, void *opaque,
                  MachineDescriptor **descriptor_out, GError **error)
{
  g_autofree char *xml = g_build_filename (backup, MACHINE_DESCRIPTOR_FILENAME, NULL);
  g_autoptr (MachineDescriptor) m = NULL;
  g_autoptr (GPtrArray) items
    = g_ptr_array_new_with_free_func ((GDestroyNotify) asr_check_item_free);
  g_autoptr (GPtrArray) refs = NULL;
  CheckProgress p = { progress, opaque, NULL, 0, 0 };

  if (!g_file_test (backup, G_FILE_TEST_IS_DIR) || !g_file_test (xml, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "%s is not a backup set (no %s)", backup, MACHINE_DESCRIPTOR_FILENAME);
      return NULL;
    }
  m = machine_descriptor_parse_file (xml, error);
  if (m == NULL)
    return NULL;

  refs = list_images (m, &p.all_total);
  for (guint i = 0; i < refs->len; i++)
    {
      const MachineFileRef *r = g_ptr_array_index (refs, i);
      g_ptr_array_add (items, check_ref (backup, r, TRUE, &p, NULL));
    }
  if (descriptor_out)
    *descriptor_out = g_steal_pointer (&m);
  return g_steal_pointer (&items);
}

gboolean
asr_check_backup_images (const char *backup, const MachineDescriptor *m, gboolean verify_checksums,
                         AsrProgressFunc progress, void *opaque, GError **error)
{
  g_autoptr (GPtrArray) refs = NULL;
  CheckProgress p = { progress, opaque, NULL, 0, 0 };

  g_return_val_if_fail (backup != NULL && m != NULL, FALSE);
  refs = list_images (m, &p.all_total);
  /* Every image's structure before any checksum: a hostile image is
   * refused in a second, not after reading the good ones. */
  for (int pass = 0; pass < (verify_checksums ? 2 : 1); pass++)
    for (guint i = 0; i < refs->len; i++)
      {
        const MachineFileRef *r = g_ptr_array_index (refs, i);
        GError *runtime = NULL;
        g_autoptr (AsrCheckItem) item = check_ref (backup, r, pass == 1, &p, &runtime);
        if (runtime != NULL)
          {
            g_autofree char *path = g_build_filename (backup, r->file, NULL);
            g_propagate_prefixed_error (error, runtime, "%s (%s): ", path, r->what);
            return FALSE;
          }
        if (item->status == ASR_CHECK_OK)
          continue;
        g_set_error (error, ASR_IMAGER_ERROR,
                     item->status == ASR_CHECK_CHECKSUM_MISMATCH ? ASR_IMAGER_ERROR_CHECK_FAILED
                                                                 : ASR_IMAGER_ERROR_INVALID_INPUT,
                     "image %s (%s) of the backup set %s is refused: %s", r->file, r->what, backup,
                     item->detail);
        return FALSE;
      }
  return TRUE;
}
