/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr check: a backup set against its own descriptor.  Every image is
 * probed with the same safety rules as a capture source (a qcow2 that grew
 * a backing file since is refused), checked by qemu-img, and its
 * checksum recomputed.
 */
#include "config.h"

#include <string.h>

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
checksum_progress (guint64 done, guint64 total, void *opaque)
{
  CheckProgress *p = opaque;
  if (p->progress)
    p->progress (p->what, done, total, p->all_done + done, p->all_total, p->opaque);
}

static AsrCheckItem *
check_image (const char *backup, const char *file, guint64 bytes, const char *checksum,
             char *what, CheckProgress *progress)
{
  AsrCheckItem *item = g_new0 (AsrCheckItem, 1);
  g_autofree char *path = g_build_filename (backup, file, NULL);
  g_autoptr (GError) local = NULL;
  g_autoptr (AsrImageInfo) info = NULL;

  item->file = g_strdup (file);
  item->what = what;
  item->expected = g_strdup (checksum);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      item->status = ASR_CHECK_MISSING;
      item->detail = g_strdup_printf ("%s is missing", path);
      return item;
    }
  info = asr_image_info_probe (path, "qcow2", &local);
  if (info == NULL)
    {
      item->status = ASR_CHECK_BAD_IMAGE;
      item->detail = g_strdup (local->message);
      return item;
    }
  if (info->virtual_bytes != bytes)
    {
      item->status = ASR_CHECK_SIZE_MISMATCH;
      item->detail = g_strdup_printf ("its size is %" G_GUINT64_FORMAT
                                      " bytes, the descriptor says %" G_GUINT64_FORMAT,
                                      info->virtual_bytes, bytes);
      return item;
    }
  const char *argv[] = { "qemu-img", "check", "-q", "-f", "qcow2", path, NULL };
  if (!asr_run (argv, NULL, NULL, NULL, &local))
    {
      item->status = ASR_CHECK_BAD_IMAGE;
      item->detail = g_strdup (local->message);
      return item;
    }
  g_autofree char *label = g_strdup_printf ("checksumming %s", file);
  progress->what = label;
  if (!asr_checksum_image_full (path, "qcow2", 0, ASR_CHECKSUM_TO_END, checksum_progress,
                                progress, NULL, &item->actual, &local))
    {
      item->status = ASR_CHECK_BAD_IMAGE;
      item->detail = g_strdup_printf ("cannot read it: %s", local->message);
      return item;
    }
  progress->all_done += bytes;
  if (g_ascii_strcasecmp (item->actual, checksum) != 0)
    {
      item->status = ASR_CHECK_CHECKSUM_MISMATCH;
      item->detail = g_strdup ("its content differs from what was captured");
      return item;
    }
  item->status = ASR_CHECK_OK;
  return item;
}

GPtrArray *
asr_check_backup (const char *backup, AsrProgressFunc progress, void *opaque,
                  MachineDescriptor **descriptor_out, GError **error)
{
  g_autofree char *xml = g_build_filename (backup, MACHINE_DESCRIPTOR_FILENAME, NULL);
  g_autoptr (MachineDescriptor) m = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) asr_check_item_free);
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

  for (guint i = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      if (d->boot_area && d->boot_area->image)
        p.all_total += d->boot_area->bytes;
      for (guint j = 0; j < d->partitions->len; j++)
        {
          const MachinePartition *part = g_ptr_array_index (d->partitions, j);
          if (part->volume && part->volume->image)
            p.all_total += part->volume->image->bytes;
        }
    }

  for (guint i = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      if (d->boot_area && d->boot_area->image)
        g_ptr_array_add (items, check_image (backup, d->boot_area->image, d->boot_area->bytes,
                                             d->boot_area->checksum,
                                             g_strdup_printf ("%s boot area", d->id), &p));
      for (guint j = 0; j < d->partitions->len; j++)
        {
          const MachinePartition *part = g_ptr_array_index (d->partitions, j);
          const MachineVolume *v = part->volume;
          if (v == NULL || v->image == NULL)
            continue;
          char *what = g_strdup_printf ("%s partition %u%s%s%s", d->id, part->number,
                                        v->mountpoint ? " (" : "",
                                        v->mountpoint ? v->mountpoint : "",
                                        v->mountpoint ? ")" : "");
          g_ptr_array_add (items, check_image (backup, v->image->file, v->image->bytes,
                                               v->image->checksum, what, &p));
        }
    }
  if (descriptor_out)
    *descriptor_out = g_steal_pointer (&m);
  return g_steal_pointer (&items);
}
