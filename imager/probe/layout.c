/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A target's current layout, read-only: its partition table (ptable.h),
 * disk signature or GUID, and asr's incomplete-restore marker.  Raw files
 * and block devices are read with pread; other formats through a limited
 * qemu-img child.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "probe-private.h"
#include "ptable.h"

/* What one qemu-img child reads at the start of a non-raw image: the MBR,
 * a GPT with 128 entries at 4096-byte sectors, and the usual first EBRs. */
#define HEAD_BYTES (1024u * 1024u)
/* Largest single read through qemu-img (a GPT entry array is at most
 * PTABLE_GPT_MAX_ENTRIES_BYTES). */
#define MAX_CHILD_READ_BYTES (4u * 1024u * 1024u)

struct _AsrDiskReader {
  char *path;
  char *format;
  guint64 size_bytes;
  int fd;       /* raw files and devices; -1 otherwise */
  guint8 *head; /* non-raw: the first head_len bytes, read once */
  gsize head_len;
  char *qemu_img;
};

void
asr_disk_reader_free (AsrDiskReader *r)
{
  if (r == NULL)
    return;
  if (r->fd >= 0)
    close (r->fd);
  g_free (r->path);
  g_free (r->format);
  g_free (r->head);
  g_free (r->qemu_img);
  g_free (r);
}

/* [offset, offset + len) of the guest-visible content through qemu-img
 * convert from a raw window over the image (qemu-img dd's skip= has
 * changed meaning between versions; a raw window has not). */
static gboolean
child_read (AsrDiskReader *r, void *buf, gsize len, guint64 offset, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *out = NULL;
  g_autofree char *abs = NULL;
  g_autofree char *esc = NULL;
  g_autofree char *opts = NULL;
  g_autofree char *data = NULL;
  g_autoptr (GError) local = NULL;
  g_auto (AsrRunResult) result = { 0 };
  AsrRunOptions options;
  gsize got = 0;
  gboolean ok;

  dir = g_dir_make_tmp ("asr-probe-XXXXXX", NULL);
  if (dir == NULL)
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                   "cannot create a temporary directory: %s", g_strerror (errno));
      return FALSE;
    }
  out = g_build_filename (dir, "sectors.raw", NULL);
  abs = g_canonicalize_filename (r->path, NULL);
  esc = asr_qemu_opts_escape (abs);
  opts = g_strdup_printf ("driver=raw,offset=%" G_GUINT64_FORMAT ",size=%" G_GSIZE_FORMAT
                          ",file.driver=%s,file.file.driver=file,file.file.filename=%s",
                          offset, len, r->format, esc);
  {
    const char *argv[]
      = { r->qemu_img, "convert", "-U", "--image-opts", opts, "-O", "raw", out, NULL };
    asr_probe_run_options_image (&options);
    options.limits.max_file_bytes = len + 65536;
    ok = asr_run_full (argv, &options, &result, &local);
  }
  /* killed by the limits or failed: the image's fault; not started or
   * unreadable output: not */
  if (!ok
      && (g_error_matches (local, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED)
          || g_error_matches (local, ASR_RUN_ERROR, ASR_RUN_ERROR_TIMEOUT)))
    g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                 "%s: cannot read %" G_GSIZE_FORMAT " bytes at %" G_GUINT64_FORMAT
                 " through qemu-img: %s",
                 r->path, len, offset, result.killed ? result.killed : result.stderr_tail);
  else if (!ok)
    g_set_error_literal (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME, local->message);
  if (ok && (!g_file_get_contents (out, &data, &got, NULL) || got != len))
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                   "%s: short read through qemu-img at %" G_GUINT64_FORMAT, r->path, offset);
      ok = FALSE;
    }
  if (ok)
    memcpy (buf, data, len);
  g_unlink (out);
  g_rmdir (dir);
  return ok;
}

AsrDiskReader *
asr_disk_reader_open (const AsrImageInfo *info, GError **error)
{
  g_autoptr (AsrDiskReader) r = g_new0 (AsrDiskReader, 1);

  g_return_val_if_fail (info != NULL && info->path != NULL && info->format != NULL, NULL);

  r->fd = -1;
  r->path = g_strdup (info->path);
  r->format = g_strdup (info->format);
  r->size_bytes = info->virtual_bytes;

  if (strcmp (info->format, "raw") == 0)
    {
      r->fd = open (info->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
      if (r->fd < 0)
        {
          g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME, "%s: cannot open: %s",
                       info->path, g_strerror (errno));
          return NULL;
        }
      return g_steal_pointer (&r);
    }

  r->qemu_img = asr_probe_find_qemu_img (error);
  if (r->qemu_img == NULL)
    return NULL;
  r->head_len = (gsize) MIN ((guint64) HEAD_BYTES, r->size_bytes);
  r->head = g_malloc (r->head_len);
  if (!child_read (r, r->head, r->head_len, 0, error))
    return NULL;
  return g_steal_pointer (&r);
}

gboolean
asr_disk_reader_pread (AsrDiskReader *r, void *buf, gsize len, guint64 offset, GError **error)
{
  guint64 end;

  g_return_val_if_fail (r != NULL, FALSE);

  if (!g_uint64_checked_add (&end, offset, len) || end > r->size_bytes)
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                   "%s: read of %" G_GSIZE_FORMAT " bytes at %" G_GUINT64_FORMAT
                   " is past the end (%" G_GUINT64_FORMAT " bytes)",
                   r->path, len, offset, r->size_bytes);
      return FALSE;
    }
  if (r->fd >= 0)
    {
      gsize done = 0;
      while (done < len)
        {
          ssize_t n = pread (r->fd, (guint8 *) buf + done, len - done, (off_t) (offset + done));
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                           "%s: read at %" G_GUINT64_FORMAT ": %s", r->path, offset + done,
                           n < 0 ? g_strerror (errno) : "unexpected end of file");
              return FALSE;
            }
          done += (gsize) n;
        }
      return TRUE;
    }
  if (end <= r->head_len)
    {
      memcpy (buf, r->head + offset, len);
      return TRUE;
    }
  if (len > MAX_CHILD_READ_BYTES)
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                   "%s: read of %" G_GSIZE_FORMAT " bytes is above the limit", r->path, len);
      return FALSE;
    }
  return child_read (r, buf, len, offset, error);
}

/* ---- incomplete marker ------------------------------------------------- */

void
asr_incomplete_marker_fill (guint8 *sector, const char *backup_id)
{
  g_return_if_fail (sector != NULL);
  g_return_if_fail (backup_id != NULL && strlen (backup_id) == ASR_INCOMPLETE_ID_BYTES);

  memcpy (sector, ASR_INCOMPLETE_MAGIC, ASR_INCOMPLETE_MAGIC_BYTES);
  memcpy (sector + ASR_INCOMPLETE_ID_OFFSET, backup_id, ASR_INCOMPLETE_ID_BYTES);
}

gboolean
asr_incomplete_marker_parse (const guint8 *sector, gsize len, char **backup_id)
{
  G_STATIC_ASSERT (sizeof ASR_INCOMPLETE_MAGIC == ASR_INCOMPLETE_MAGIC_BYTES + 1);

  if (backup_id)
    *backup_id = NULL;
  if (sector == NULL || len < ASR_INCOMPLETE_MARKER_BYTES
      || memcmp (sector, ASR_INCOMPLETE_MAGIC, ASR_INCOMPLETE_MAGIC_BYTES) != 0)
    return FALSE;
  for (gsize i = 0; i < ASR_INCOMPLETE_ID_BYTES; i++)
    if (!g_ascii_isgraph (sector[ASR_INCOMPLETE_ID_OFFSET + i]))
      return FALSE;
  if (backup_id)
    *backup_id
      = g_strndup ((const char *) sector + ASR_INCOMPLETE_ID_OFFSET, ASR_INCOMPLETE_ID_BYTES);
  return TRUE;
}

/* ---- into the descriptor ------------------------------------------------ */

void
asr_probe_disk_set_blockdev (MachineDisk *disk, const AsrBlockdev *b)
{
  g_return_if_fail (disk != NULL && b != NULL);

  disk->bytes = b->bytes;
  disk->has_bytes = b->bytes > 0;
  disk->logical_sector = b->logical_sector;
  disk->physical_sector = b->physical_sector;
  g_free (disk->bus);
  disk->bus = g_strdup (b->bus);
  g_free (disk->model);
  disk->model = g_strdup (b->model);
  g_free (disk->serial);
  disk->serial = g_strdup (b->serial);
  g_free (disk->wwn);
  disk->wwn = g_strdup (b->wwn);
  for (guint i = 0; i < b->by_id->len; i++)
    g_ptr_array_add (disk->by_id, g_strdup (g_ptr_array_index (b->by_id, i)));
  for (guint i = 0; i < b->in_use->len; i++)
    {
      const MachineInUse *u = g_ptr_array_index (b->in_use, i);
      g_ptr_array_add (disk->in_use, machine_in_use_new (u->reason, u->detail));
    }
}

static gboolean
reader_pread (void *opaque, void *buf, gsize len, guint64 offset, GError **error)
{
  return asr_disk_reader_pread (opaque, buf, len, offset, error);
}

static gboolean
read_layout (MachineDisk *disk, AsrDiskReader *reader, guint64 disk_bytes, guint32 logical_sector,
             gboolean strict, GError **error)
{
  g_autoptr (PtableTable) t = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree guint8 *sector0 = NULL;
  PtableReader pr = { 0 };

  g_return_val_if_fail (disk != NULL && reader != NULL, FALSE);

  if (logical_sector == 0)
    logical_sector = 512;
  if (disk_bytes < logical_sector)
    return TRUE; /* nothing to read: a blank, tiny disk */

  sector0 = g_malloc (logical_sector);
  if (!asr_disk_reader_pread (reader, sector0, logical_sector, 0, error))
    return FALSE;
  disk->incomplete = asr_incomplete_marker_parse (sector0, logical_sector, NULL);

  pr.pread = reader_pread;
  pr.opaque = reader;
  pr.size_bytes = disk_bytes;
  pr.logical_sector = logical_sector;
  t = ptable_read (&pr, &local_error);
  if (t == NULL)
    {
      /* A damaged table on a target is a fact to report, not a reason to
       * refuse the disk; a failed read is not.  It is not a blank disk
       * either: Linux may still read it, and the signature or GUID it
       * carries may be that of a disk to keep.  Record what identifies
       * it and why it could not be read; the planner decides. */
      if (local_error->domain == PTABLE_ERROR && local_error->code != PTABLE_ERROR_IO)
        {
          if (strict)
            {
              g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                           "unreadable or hostile: %s", local_error->message);
              return FALSE;
            }
          g_autoptr (PtableTable) id = NULL;
          g_autoptr (GError) id_error = NULL;

          g_debug ("%s: partition table unreadable: %s", disk->id, local_error->message);
          id = ptable_read_identity (&pr, &id_error);
          if (id == NULL)
            {
              g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                           "reading the partition table: %s", id_error->message);
              return FALSE;
            }
          /* Something was found, even if not its type: sector 0 is not
           * what a blank disk has. */
          disk->ptable = id->type == PTABLE_TYPE_GPT ? MACHINE_PTABLE_GPT : MACHINE_PTABLE_MBR;
          if (id->type == PTABLE_TYPE_MBR)
            disk->signature = g_strdup_printf ("0x%08x", id->mbr_signature);
          else if (id->type == PTABLE_TYPE_GPT && id->disk_guid[0] != '\0')
            disk->guid = g_strdup (id->disk_guid);
          disk->ptable_unreadable = g_strdup (local_error->message);
          return TRUE;
        }
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                   "reading the partition table: %s", local_error->message);
      return FALSE;
    }

  switch (t->type)
    {
    case PTABLE_TYPE_NONE:
      disk->ptable = MACHINE_PTABLE_NONE;
      return TRUE;
    case PTABLE_TYPE_MBR:
      disk->ptable = MACHINE_PTABLE_MBR;
      g_free (disk->signature);
      disk->signature = g_strdup_printf ("0x%08x", t->mbr_signature);
      break;
    case PTABLE_TYPE_GPT:
      disk->ptable = MACHINE_PTABLE_GPT;
      g_free (disk->guid);
      disk->guid = g_strdup (t->disk_guid);
      /* The geometry too: restore writes the same headers. */
      disk->gpt_first_usable = t->first_usable_lba;
      disk->gpt_entries_start = t->entries_lba;
      disk->gpt_entries = t->entry_count;
      disk->gpt_entry_bytes = t->entry_size;
      break;
    }

  for (guint i = 0; i < t->partitions->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (t->partitions, i);
      MachinePartition *mp = machine_partition_new (p->number);

      mp->start = p->start_sector;
      mp->sectors = p->sectors;
      if (t->type == PTABLE_TYPE_MBR)
        {
          mp->kind = p->kind == PTABLE_KIND_EXTENDED  ? MACHINE_PARTITION_KIND_EXTENDED
                     : p->kind == PTABLE_KIND_LOGICAL ? MACHINE_PARTITION_KIND_LOGICAL
                                                      : MACHINE_PARTITION_KIND_PRIMARY;
          mp->type = g_strdup_printf ("0x%02x", p->mbr_type);
          mp->bootable = p->bootable ? MACHINE_TRISTATE_YES : MACHINE_TRISTATE_NO;
        }
      else
        {
          mp->type = g_strdup (p->type_guid);
          mp->guid = g_strdup (p->guid);
          mp->name = g_strdup (p->name ? p->name : "");
          mp->attributes = p->attributes;
          mp->has_attributes = TRUE;
        }
      g_ptr_array_add (disk->partitions, mp);
    }
  return TRUE;
}

gboolean
asr_probe_disk_read_layout (MachineDisk *disk, AsrDiskReader *reader, guint64 disk_bytes,
                            guint32 logical_sector, GError **error)
{
  return read_layout (disk, reader, disk_bytes, logical_sector, FALSE, error);
}

gboolean
asr_probe_disk_read_layout_strict (MachineDisk *disk, AsrDiskReader *reader, guint64 disk_bytes,
                                   guint32 logical_sector, GError **error)
{
  return read_layout (disk, reader, disk_bytes, logical_sector, TRUE, error);
}
