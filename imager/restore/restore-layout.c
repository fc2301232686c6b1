/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What restore writes where, computed from the descriptor and the target's
 * size before anything is written: the partition table's writes, each
 * volume's byte range, the boot area's pieces around the table, --grow's
 * new table.  Pure (no I/O), so the dry run and the unit tests see exactly
 * what a restore does.
 */
#include "config.h"

#include <string.h>

#include "probe.h"
#include "restore-private.h"

void
restore_disk_free (RestoreDisk *d)
{
  if (d == NULL)
    return;
  ptable_table_free (d->table);
  ptable_writes_free (d->writes);
  ptable_writes_free (d->grown_writes);
  machine_layout_free (d->layout);
  g_free (d->boot_image_path);
  if (d->boot_ranges)
    g_array_unref (d->boot_ranges);
  if (d->volumes)
    g_ptr_array_unref (d->volumes);
  if (d->recreate)
    g_ptr_array_unref (d->recreate);
  if (d->recreate_lvs)
    g_ptr_array_unref (d->recreate_lvs);
  g_free (d);
}

static void
restore_volume_free (RestoreVolume *v)
{
  if (v == NULL)
    return;
  g_free (v->what);
  g_free (v->image_path);
  g_free (v->format);
  g_free (v->shrunk_checksum);
  g_free (v);
}

static gboolean
parse_hex_u32 (const char *s, guint32 *out)
{
  guint64 v;
  if (s == NULL || !g_str_has_prefix (s, "0x") || s[2] == '\0')
    return FALSE;
  if (!g_ascii_string_to_unsigned (s + 2, 16, 0, G_MAXUINT32, &v, NULL))
    return FALSE;
  *out = (guint32) v;
  return TRUE;
}

PtableTable *
restore_table_from_disk (const MachineDisk *d, GError **error)
{
  guint32 ss = machine_disk_sector_size (d);
  g_autoptr (PtableTable) t = NULL;

  switch (d->ptable)
    {
    case MACHINE_PTABLE_MBR:
      t = ptable_table_new (PTABLE_TYPE_MBR, ss);
      if (!parse_hex_u32 (d->signature, &t->mbr_signature))
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s: the MBR disk signature is %s: restore needs it", d->id,
                       d->signature ? d->signature : "unknown");
          return NULL;
        }
      break;
    case MACHINE_PTABLE_GPT:
      t = ptable_table_new (PTABLE_TYPE_GPT, ss);
      if (d->guid == NULL || strlen (d->guid) != 36
          || !ptable_guid_from_string (d->guid, t->disk_guid_raw))
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s: the GPT disk GUID is %s: restore needs it", d->id,
                       d->guid ? d->guid : "unknown");
          return NULL;
        }
      ptable_guid_to_string (t->disk_guid_raw, t->disk_guid);
      /* The geometry the source had; a descriptor from before it was
       * recorded gets the usual one (ptable_table_new). */
      if (d->gpt_entries)
        t->entry_count = d->gpt_entries;
      if (d->gpt_entry_bytes)
        t->entry_size = d->gpt_entry_bytes;
      if (d->gpt_entries_start)
        t->entries_lba = d->gpt_entries_start;
      if (d->gpt_first_usable)
        t->first_usable_lba = d->gpt_first_usable;
      break;
    case MACHINE_PTABLE_NONE:
    default:
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "%s has no partition table: nothing asr can recreate", d->id);
      return NULL;
    }

  for (guint i = 0; i < d->partitions->len; i++)
    {
      const MachinePartition *mp = g_ptr_array_index (d->partitions, i);
      g_autoptr (PtablePartition) p = ptable_partition_new ();

      p->number = mp->number;
      p->start_sector = mp->start;
      p->sectors = mp->sectors;
      if (d->ptable == MACHINE_PTABLE_MBR)
        {
          guint32 type;
          p->kind = mp->kind == MACHINE_PARTITION_KIND_EXTENDED  ? PTABLE_KIND_EXTENDED
                    : mp->kind == MACHINE_PARTITION_KIND_LOGICAL ? PTABLE_KIND_LOGICAL
                                                                 : PTABLE_KIND_PRIMARY;
          if (!parse_hex_u32 (mp->type, &type) || type > 0xff)
            {
              g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                           "%s partition %u: MBR type %s is not a byte", d->id, mp->number,
                           mp->type ? mp->type : "unknown");
              return NULL;
            }
          p->mbr_type = (guint8) type;
          p->bootable = mp->bootable == MACHINE_TRISTATE_YES;
        }
      else
        {
          guint8 raw[16];
          if (mp->type == NULL || mp->guid == NULL || strlen (mp->type) != 36
              || strlen (mp->guid) != 36 || !ptable_guid_from_string (mp->type, raw)
              || !ptable_guid_from_string (mp->guid, raw))
            {
              g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                           "%s partition %u: its GPT type or GUID is missing or malformed", d->id,
                           mp->number);
              return NULL;
            }
          /* canonical lowercase, as ptable writes and compares them */
          for (guint k = 0; k < 36; k++)
            {
              p->type_guid[k] = g_ascii_tolower (mp->type[k]);
              p->guid[k] = g_ascii_tolower (mp->guid[k]);
            }
          g_free (p->name);
          p->name = g_strdup (mp->name ? mp->name : "");
          p->attributes = mp->has_attributes ? mp->attributes : 0;
        }
      ptable_table_add_partition (t, g_steal_pointer (&p));
    }
  return g_steal_pointer (&t);
}

void
restore_invalidate_ranges (guint64 target_bytes, RestoreRange out[2])
{
  out[0].offset = 0;
  out[0].bytes = MIN ((guint64) RESTORE_INVALIDATE_BYTES, target_bytes);
  /* the tail, not overlapping the head on a disk under 2 MiB */
  out[1].offset
    = MAX (out[0].bytes,
           target_bytes > RESTORE_INVALIDATE_BYTES ? target_bytes - RESTORE_INVALIDATE_BYTES : 0);
  out[1].bytes = target_bytes - out[1].offset;
}

static gint
compare_ranges (gconstpointer a, gconstpointer b)
{
  const RestoreRange *x = a, *y = b;
  return x->offset < y->offset ? -1 : x->offset > y->offset ? 1 : 0;
}

GArray *
restore_boot_ranges (guint64 boot_bytes, const PtableWrites *writes)
{
  g_autoptr (GArray) table = g_array_new (FALSE, FALSE, sizeof (RestoreRange));
  GArray *out = g_array_new (FALSE, FALSE, sizeof (RestoreRange));
  guint64 pos = 0;

  for (guint i = 0; writes && i < writes->writes->len; i++)
    {
      const PtableWrite *w = g_ptr_array_index (writes->writes, i);
      RestoreRange r = { w->offset, g_bytes_get_size (w->data) };
      g_array_append_val (table, r);
    }
  g_array_sort (table, compare_ranges);

  /* Walk the table's ranges in order; what lies between them (and before
   * boot_bytes) is the boot area's. */
  for (guint i = 0; i <= table->len && pos < boot_bytes; i++)
    {
      guint64 next = boot_bytes, next_end = boot_bytes;
      if (i < table->len)
        {
          const RestoreRange *r = &g_array_index (table, RestoreRange, i);
          next = MIN (r->offset, boot_bytes);
          next_end = MIN (r->offset + r->bytes, boot_bytes);
        }
      if (next > pos)
        {
          RestoreRange piece = { pos, next - pos };
          g_array_append_val (out, piece);
        }
      pos = MAX (pos, next_end);
    }
  return out;
}

/* Each partition of @t where @l puts it. */
static void
layout_table (PtableTable *t, const MachineLayout *l)
{
  for (guint i = 0; i < t->partitions->len; i++)
    {
      PtablePartition *p = g_ptr_array_index (t->partitions, i);
      for (guint j = 0; j < l->disk->partitions->len; j++)
        {
          const MachinePartition *mp = g_ptr_array_index (l->disk->partitions, j);
          if (mp->number != p->number)
            continue;
          p->start_sector = l->extents[j].start;
          p->sectors = l->extents[j].sectors;
        }
    }
}

/* --grow: the layout (machine/machine-layout.c) says which partition takes
 * the extra space and which move; here, the table with them. */
static gboolean
prepare_grow (RestoreDisk *rd, GError **error)
{
  const MachineDisk *d = rd->source;
  const MachineLayout *l = rd->layout;

  if (l->grown == NULL)
    return TRUE; /* nothing grows on this disk */
  rd->grow_partition = l->grown;
  rd->grow_sectors = machine_layout_extent (l, l->grown)->sectors;
  rd->grow_vg = l->grow_vg;
  rd->grow_lv = l->grow_lv;

  g_autoptr (PtableTable) grown = restore_table_from_disk (d, error);
  if (grown == NULL)
    return FALSE;
  layout_table (grown, l);
  rd->grown_writes = ptable_build (grown, rd->target_bytes, rd->sector, error);
  if (rd->grown_writes == NULL)
    {
      g_prefix_error (error, "%s: the grown partition table: ", d->id);
      return FALSE;
    }
  return TRUE;
}

/* Where partition @p starts on the target, in sectors. */
static guint64
part_start (const RestoreDisk *rd, const MachinePartition *p)
{
  return machine_layout_extent (rd->layout, p)->start;
}

static gboolean stack_fail (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
stack_fail (GError **error, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT, msg);
  return FALSE;
}

static RestoreVolume *
range_volume (const char *backup_dir, const MachineImage *img, guint64 offset, char *what)
{
  RestoreVolume *rv = g_new0 (RestoreVolume, 1);
  rv->what = what;
  rv->offset = offset;
  rv->bytes = img->bytes;
  rv->image_path
    = backup_dir ? g_build_filename (backup_dir, img->file, NULL) : g_strdup (img->file);
  rv->format = g_strdup (img->format ? img->format : "qcow2");
  rv->checksum = img->checksum;
  return rv;
}

/* The partition of this disk a PV is on, NULL if it is elsewhere. */
static const MachinePartition *
pv_partition (const MachineDescriptor *m, const RestoreDisk *rd, const MachinePhysicalVolume *pv)
{
  MachineDeviceRef r;
  if (!machine_descriptor_resolve (m, pv->device, &r) || r.disk != rd->source)
    return NULL;
  return r.partition;
}

/*
 * The LVM volume groups with a physical volume on this disk: each PV's
 * label and metadata area is written back byte for byte (every LVM
 * identity and the segments are in it), each captured logical volume into
 * the extents its one segment names, and swap and the other filesystems
 * on LVs are recreated empty.  A group on a restored disk whose label area
 * is not in the backup is refused: writing the disk would destroy it.
 */
static gboolean
prepare_lvm (RestoreDisk *rd, const MachineDescriptor *m, const char *backup_dir, GError **error)
{
  const char *id = rd->source->id;

  rd->recreate_lvs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < m->volume_groups->len; i++)
    {
      const MachineVolumeGroup *vg = g_ptr_array_index (m->volume_groups, i);
      gboolean here = FALSE;

      for (guint j = 0; j < vg->pvs->len; j++)
        {
          const MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, j);
          const MachinePartition *p = pv_partition (m, rd, pv);
          guint64 offset;
          if (p == NULL)
            continue;
          here = TRUE;
          if (pv->image == NULL || !pv->has_pe_start || pv->image->bytes != pv->pe_start)
            return stack_fail (error,
                               "%s partition %u is a physical volume of %s, but the backup has no "
                               "image of its label and metadata area: restoring %s would destroy "
                               "the volume group",
                               id, p->number, vg->name, id);
          if (!g_uint64_checked_mul (&offset, part_start (rd, p), rd->sector)
              || pv->pe_start > p->sectors * rd->sector)
            return stack_fail (error, "%s partition %u: the LVM label area does not fit in it", id,
                               p->number);
          g_ptr_array_add (rd->volumes,
                           range_volume (backup_dir, pv->image, offset,
                                         g_strdup_printf ("LVM label area of %s on partition %u",
                                                          vg->name, p->number)));
        }
      if (!here)
        continue;

      for (guint j = 0; j < vg->lvs->len; j++)
        {
          const MachineLogicalVolume *lv = g_ptr_array_index (vg->lvs, j);
          const MachineVolume *v = lv->volume;
          const MachineLvSegment *seg;
          const MachinePhysicalVolume *pv;
          const MachinePartition *p;
          guint64 at, offset, bytes;

          if (v == NULL || (v->image == NULL && v->fs == NULL))
            continue;
          seg = lv->segments->len ? g_ptr_array_index (lv->segments, 0) : NULL;
          pv = seg ? machine_volume_group_find_pv (vg, seg->pv) : NULL;
          p = pv ? pv_partition (m, rd, pv) : NULL;
          if (seg == NULL || lv->segments->len != 1 || pv == NULL)
            {
              if (v->image == NULL)
                continue; /* recreated on the disk of its segment, if any */
              return stack_fail (error,
                                 "logical volume %s/%s: the backup does not record one segment "
                                 "for it on a physical volume: asr cannot place its image",
                                 vg->name, lv->name);
            }
          if (p == NULL)
            continue; /* on another disk: restored with that disk */
          if (!g_uint64_checked_mul (&at, seg->pv_extent, vg->extent_bytes)
              || !g_uint64_checked_add (&at, at, pv->pe_start)
              || !g_uint64_checked_mul (&bytes, seg->extents, vg->extent_bytes)
              || !g_uint64_checked_mul (&offset, part_start (rd, p), rd->sector)
              || !g_uint64_checked_add (&offset, offset, at) || at + bytes < at
              || at + bytes > p->sectors * rd->sector)
            return stack_fail (error,
                               "logical volume %s/%s: its extents do not fit on %s partition %u",
                               vg->name, lv->name, id, p->number);
          if (v->image == NULL)
            {
              RestoreLv *l = g_new0 (RestoreLv, 1);
              l->vg = vg;
              l->lv = lv;
              l->partition = p;
              l->at = at;
              l->bytes = bytes;
              g_ptr_array_add (rd->recreate_lvs, l);
              continue;
            }
          if (bytes != v->image->bytes)
            return stack_fail (error,
                               "logical volume %s/%s: its image (%" G_GUINT64_FORMAT
                               " bytes) does not fit its extents on %s partition %u",
                               vg->name, lv->name, v->image->bytes, id, p->number);
          g_ptr_array_add (rd->volumes, range_volume (backup_dir, v->image, offset,
                                                      g_strdup_printf ("logical volume %s/%s",
                                                                       vg->name, lv->name)));
        }
    }
  return TRUE;
}

/* LUKS containers on this disk: each image written back whole (encrypted,
 * header included) over its partition.  A container on a restored disk
 * with no image is refused: restore cannot recreate it without its key. */
static gboolean
prepare_luks (RestoreDisk *rd, const MachineDescriptor *m, const char *backup_dir, GError **error)
{
  for (guint i = 0; i < m->luks->len; i++)
    {
      const MachineLuks *l = g_ptr_array_index (m->luks, i);
      MachineDeviceRef r;
      guint64 offset, bytes;

      if (!machine_descriptor_resolve (m, l->device, &r) || r.disk != rd->source)
        continue;
      if (r.partition == NULL)
        return stack_fail (error, "LUKS container %s is on the whole disk %s: not supported yet",
                           l->id, rd->source->id);
      if (l->image == NULL)
        return stack_fail (error,
                           "%s partition %u is the LUKS container %s, but the backup has no image "
                           "of it: restoring %s would destroy it (asr cannot recreate it without "
                           "its key)",
                           rd->source->id, r.partition->number, l->id, rd->source->id);
      if (!g_uint64_checked_mul (&offset, part_start (rd, r.partition), rd->sector)
          || !g_uint64_checked_mul (&bytes, r.partition->sectors, rd->sector)
          || l->image->bytes != bytes)
        return stack_fail (error,
                           "LUKS container %s: its image is %" G_GUINT64_FORMAT
                           " bytes, %s partition %u %" G_GUINT64_FORMAT " sectors",
                           l->id, l->image->bytes, rd->source->id, r.partition->number,
                           r.partition->sectors);
      g_ptr_array_add (rd->volumes,
                       range_volume (backup_dir, l->image, offset,
                                     g_strdup_printf ("LUKS container %s on partition %u (whole, "
                                                      "encrypted)",
                                                      l->id, r.partition->number)));
    }
  return TRUE;
}

/* md RAID1 arrays with a member on this disk: the member's superblock area
 * back byte for byte (the array's and the member's identities), then the
 * array's volume into the member's data, the same image into every member,
 * so the copies agree.  A member on a restored disk with no superblock
 * image is refused: writing the disk would destroy the array. */
static gboolean
prepare_md (RestoreDisk *rd, const MachineDescriptor *m, const char *backup_dir, GError **error)
{
  for (guint i = 0; i < m->md_arrays->len; i++)
    {
      const MachineMdArray *md = g_ptr_array_index (m->md_arrays, i);
      const MachineImage *data = md->volume ? md->volume->image : NULL;

      for (guint j = 0; j < md->members->len; j++)
        {
          const MachineMdMember *mm = g_ptr_array_index (md->members, j);
          MachineDeviceRef r;
          guint64 offset, part_bytes, at;

          if (!machine_descriptor_resolve (m, mm->device, &r) || r.disk != rd->source)
            continue;
          if (r.partition == NULL)
            return stack_fail (error,
                               "md array %s has a member on the whole disk %s: not "
                               "supported yet",
                               md->id, rd->source->id);
          if (mm->image == NULL || !mm->has_data_offset || mm->image->bytes != mm->data_offset)
            return stack_fail (error,
                               "%s partition %u is a member of the md array %s, but the backup "
                               "has no image of its superblock area: restoring %s would destroy "
                               "the array",
                               rd->source->id, r.partition->number, md->id, rd->source->id);
          if (g_strcmp0 (md->level, "raid1") != 0)
            return stack_fail (error, "md array %s is %s: asr restores RAID1 arrays only", md->id,
                               md->level ? md->level : "of an unknown level");
          if (!g_uint64_checked_mul (&offset, part_start (rd, r.partition), rd->sector)
              || !g_uint64_checked_mul (&part_bytes, r.partition->sectors, rd->sector)
              || mm->data_offset > part_bytes
              || (data && data->bytes > part_bytes - mm->data_offset)
              || !g_uint64_checked_add (&at, offset, mm->data_offset))
            return stack_fail (error, "md array %s: its member on %s partition %u does not fit it",
                               md->id, rd->source->id, r.partition->number);
          g_ptr_array_add (rd->volumes,
                           range_volume (backup_dir, mm->image, offset,
                                         g_strdup_printf ("md superblock area of %s on "
                                                          "partition %u",
                                                          md->id, r.partition->number)));
          if (data)
            g_ptr_array_add (rd->volumes,
                             range_volume (backup_dir, data, at,
                                           g_strdup_printf ("md array %s, its copy on partition "
                                                            "%u",
                                                            md->id, r.partition->number)));
        }
    }
  return TRUE;
}

RestoreDisk *
restore_disk_prepare (const MachineDescriptor *backup, const char *backup_dir,
                      const AsrRestoreTarget *target, const MachineLayoutOptions *lo,
                      GError **error)
{
  g_autoptr (RestoreDisk) rd = g_new0 (RestoreDisk, 1);
  const MachineDisk *d = machine_descriptor_find_disk (backup, target->source);
  g_autoptr (GError) local = NULL;

  if (d == NULL)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "the backup has no disk %s", target->source);
      return NULL;
    }
  if (d->critical != MACHINE_TRISTATE_YES)
    {
      /* ASR: a non-critical disk is never restored, its target never written */
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "%s is not a critical disk of the backup: it is never restored", d->id);
      return NULL;
    }
  rd->source = d;
  rd->target = target;
  rd->sector = machine_disk_sector_size (d);
  rd->target_bytes = target->bytes - target->bytes % rd->sector;
  rd->layout = machine_layout_new (backup, d, rd->target_bytes, lo, &local);
  if (rd->layout == NULL)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT, "%s: %s", d->id,
                   local->message);
      return NULL;
    }
  if (d->has_bytes && rd->target_bytes < d->bytes && !(rd->layout->shrinks && rd->layout->grown))
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "%s: %s is %" G_GUINT64_FORMAT " bytes, smaller than %s (%" G_GUINT64_FORMAT
                   " bytes)",
                   d->id, target->path, target->bytes, d->id, d->bytes);
      return NULL;
    }
  rd->table = restore_table_from_disk (d, error);
  if (rd->table == NULL)
    return NULL;
  if (rd->layout->shrinks && rd->layout->grown)
    {
      /* --shrink: the table of the new layout from the start (the
       * captured one does not fit), and no growth afterwards */
      layout_table (rd->table, rd->layout);
    }
  rd->writes = ptable_build (rd->table, rd->target_bytes, rd->sector, &local);
  if (rd->writes == NULL)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "%s on %s: the partition table cannot be written: %s", d->id, target->path,
                   local->message);
      return NULL;
    }
  if (!rd->layout->shrinks && !prepare_grow (rd, error))
    return NULL;

  rd->volumes = g_ptr_array_new_with_free_func ((GDestroyNotify) restore_volume_free);
  rd->recreate = g_ptr_array_new ();
  for (guint i = 0; i < d->partitions->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (d->partitions, i);
      const MachineVolume *v = p->volume;

      if (machine_partition_is_esp (d, p) && rd->esp == NULL)
        rd->esp = p;
      if (p->kind == MACHINE_PARTITION_KIND_EXTENDED || v == NULL)
        continue;
      if (v->image)
        {
          RestoreVolume *rv = g_new0 (RestoreVolume, 1);
          if (!g_uint64_checked_mul (&rv->offset, part_start (rd, p), rd->sector)
              || !g_uint64_checked_mul (&rv->bytes, p->sectors, rd->sector)
              || v->image->bytes != rv->bytes)
            {
              restore_volume_free (rv);
              g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                           "%s partition %u: its image %s is %" G_GUINT64_FORMAT
                           " bytes, the partition %" G_GUINT64_FORMAT " sectors",
                           d->id, p->number, v->image->file, v->image->bytes, p->sectors);
              return NULL;
            }
          rv->partition = p;
          const MachineShrink *sh = machine_layout_shrink_of (rd->layout, p);
          if (sh && sh->lost)
            {
              /* written from a shrunk copy of the image (restore-shrink.c) */
              rv->bytes = machine_layout_extent (rd->layout, p)->sectors * rd->sector;
              rv->shrink = TRUE;
            }
          rv->what = g_strdup_printf ("partition %u", p->number);
          rv->image_path = backup_dir ? g_build_filename (backup_dir, v->image->file, NULL)
                                      : g_strdup (v->image->file);
          rv->format = g_strdup (v->image->format ? v->image->format : "qcow2");
          rv->checksum = v->image->checksum;
          g_ptr_array_add (rd->volumes, rv);
        }
      else if (v->fs)
        g_ptr_array_add (rd->recreate, (gpointer) p);
    }

  if (!prepare_lvm (rd, backup, backup_dir, error) || !prepare_luks (rd, backup, backup_dir, error)
      || !prepare_md (rd, backup, backup_dir, error))
    return NULL;

  if (d->boot_area && d->boot_area->image)
    {
      if (d->boot_area->bytes > RESTORE_MAX_BOOT_AREA_BYTES || d->boot_area->bytes % rd->sector)
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s: a boot area of %" G_GUINT64_FORMAT " bytes is not supported", d->id,
                       d->boot_area->bytes);
          return NULL;
        }
      rd->boot_bytes = d->boot_area->bytes;
      rd->boot_image_path = backup_dir ? g_build_filename (backup_dir, d->boot_area->image, NULL)
                                       : g_strdup (d->boot_area->image);
    }
  rd->boot_ranges
    = restore_boot_ranges (rd->boot_bytes, rd->grown_writes ? rd->grown_writes : rd->writes);
  return g_steal_pointer (&rd);
}

static void line (GPtrArray *lines, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
line (GPtrArray *lines, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_ptr_array_add (lines, g_strdup_vprintf (format, ap));
  va_end (ap);
}

static void
describe_writes (const RestoreDisk *rd, const PtableWrites *w, GPtrArray *lines)
{
  for (guint i = 0; i < w->writes->len; i++)
    {
      const PtableWrite *pw = g_ptr_array_index (w->writes, i);
      line (lines, "%s: table: %s: %" G_GSIZE_FORMAT " bytes at %" G_GUINT64_FORMAT,
            rd->target->path, pw->what, g_bytes_get_size (pw->data), pw->offset);
    }
}

char *
restore_volume_identity (const MachineVolume *v)
{
  g_autofree char *uuid = v->uuid ? g_strdup_printf ("UUID %s", v->uuid) : g_strdup ("a new UUID");
  if (v->label == NULL || *v->label == '\0')
    return g_strdup_printf ("%s, no label", uuid);
  return g_strdup_printf ("%s, label %s", uuid, v->label);
}

void
restore_disk_describe (const RestoreDisk *rd, gboolean verify, GPtrArray *lines)
{
  const char *path = rd->target->path;

  line (lines, "%s: %s (%s, %" G_GUINT64_FORMAT " bytes) onto %s (%s, %" G_GUINT64_FORMAT " bytes)",
        path, rd->source->id, machine_ptable_type_to_string (rd->source->ptable), rd->source->bytes,
        path, rd->target->format, rd->target->bytes);
  RestoreRange inv[2];
  restore_invalidate_ranges (rd->target_bytes, inv);
  line (lines,
        "%s: invalidate: zero %" G_GUINT64_FORMAT " bytes at 0 and %" G_GUINT64_FORMAT
        " bytes at %" G_GUINT64_FORMAT ", incomplete-restore marker in bytes 0-%u",
        path, inv[0].bytes, inv[1].bytes, inv[1].offset, ASR_INCOMPLETE_MARKER_BYTES - 1);
  describe_writes (rd, rd->writes, lines);
  for (guint i = 0; i < rd->volumes->len; i++)
    {
      const RestoreVolume *v = g_ptr_array_index (rd->volumes, i);
      line (lines, "%s: volume: %s: %s → %" G_GUINT64_FORMAT " bytes at %" G_GUINT64_FORMAT "%s",
            path, v->what, v->image_path, v->bytes, v->offset,
            rd->target->known_zero ? " (target known zero)" : "");
    }
  if (verify)
    for (guint i = 0; i < rd->volumes->len; i++)
      {
        const RestoreVolume *v = g_ptr_array_index (rd->volumes, i);
        line (lines,
              "%s: verify: %s: read back %" G_GUINT64_FORMAT " bytes at %" G_GUINT64_FORMAT
              ", expect %s",
              path, v->what, v->bytes, v->offset, v->checksum ? v->checksum : "(no checksum)");
      }
  for (guint i = 0; i < rd->recreate->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (rd->recreate, i);
      g_autofree char *identity = restore_volume_identity (p->volume);
      line (lines, "%s: recreate: partition %u: empty %s, %s", path, p->number, p->volume->fs,
            identity);
    }
  for (guint i = 0; rd->recreate_lvs && i < rd->recreate_lvs->len; i++)
    {
      const RestoreLv *l = g_ptr_array_index (rd->recreate_lvs, i);
      g_autofree char *identity = restore_volume_identity (l->lv->volume);
      line (lines, "%s: recreate: logical volume %s/%s: empty %s, %s", path, l->vg->name,
            l->lv->name, l->lv->volume->fs, identity);
    }
  gboolean shrinks = rd->layout->shrinks && rd->layout->grown;
  for (guint i = 0; (rd->grow_partition || shrinks) && i < rd->source->partitions->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (rd->source->partitions, i);
      const MachineExtent *e = &rd->layout->extents[i];
      line (lines,
            "%s: layout: partition %u: start %" G_GUINT64_FORMAT " → %" G_GUINT64_FORMAT
            ", %" G_GUINT64_FORMAT " → %" G_GUINT64_FORMAT " sectors (%s)",
            path, p->number, p->start, e->start, p->sectors, e->sectors,
            p == rd->grow_partition ? "grows"
            : p->kind == MACHINE_PARTITION_KIND_EXTENDED && e->sectors != p->sectors
              ? (e->sectors > p->sectors ? "grows around it" : "shrinks around it")
            : e->sectors < p->sectors ? "shrinks"
            : e->start != p->start    ? "moves"
                                      : "stays");
    }
  for (guint i = 0; shrinks && i < rd->layout->shrunk->len; i++)
    {
      const MachineShrink *sh = &g_array_index (rd->layout->shrunk, MachineShrink, i);
      const MachinePartition *p = sh->partition;
      const char *fs = p->volume->fs;
      if (sh->lost == 0)
        continue;
      line (lines,
            "%s: shrink: partition %u from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
            " sectors: %s",
            path, p->number, p->sectors, machine_layout_extent (rd->layout, p)->sectors,
            strcmp (fs, "swap") == 0 ? "swap recreated smaller, with its UUID and label"
            : machine_fs_shrinks_by_copy (fs)
              ? "its filesystem recreated smaller in a private file and its files copied, "
                "refused if under its minimum and the margin"
              : "its filesystem shrunk first in a private overlay of its image (e2fsck -f, "
                "resize2fs), refused if under its minimum and the margin");
    }
  if (rd->grow_partition && rd->grow_vg)
    {
      line (lines,
            "%s: grow: partition %u from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
            " sectors, its LVM physical volume of %s%s%s%s",
            path, rd->grow_partition->number, rd->grow_partition->sectors, rd->grow_sectors,
            rd->grow_vg->name, rd->grow_lv ? ", logical volume " : "",
            rd->grow_lv ? rd->grow_lv->name : "",
            rd->grow_lv && rd->grow_lv->volume && rd->grow_lv->volume->fs ? " and its filesystem"
                                                                          : "");
      describe_writes (rd, rd->grown_writes, lines);
    }
  else if (rd->grow_partition)
    {
      line (lines,
            "%s: grow: partition %u from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
            " sectors, and its %s",
            path, rd->grow_partition->number, rd->grow_partition->sectors, rd->grow_sectors,
            rd->grow_partition->volume && rd->grow_partition->volume->fs
              ? rd->grow_partition->volume->fs
              : "contents (not a filesystem asr grows)");
      describe_writes (rd, rd->grown_writes, lines);
    }
  for (guint i = 0; i < rd->boot_ranges->len; i++)
    {
      const RestoreRange *r = &g_array_index (rd->boot_ranges, RestoreRange, i);
      line (lines,
            "%s: boot area: %s bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
            " → %" G_GUINT64_FORMAT " bytes at %" G_GUINT64_FORMAT,
            path, rd->boot_image_path, r->offset, r->offset + r->bytes - 1, r->bytes, r->offset);
    }
  if (rd->boot_ranges->len == 0)
    line (lines, "%s: clear the incomplete-restore marker: %u zero bytes at 0", path,
          ASR_INCOMPLETE_MARKER_BYTES);
}
