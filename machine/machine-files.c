/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The files of a backup set, as its descriptor names them: one list that
 * check, plan, restore and capture --force all walk, so that a new kind
 * of image (the storage stack's) can never be left out of one of them.
 */
#include "config.h"

#include "machine.h"

void
machine_file_ref_free (MachineFileRef *r)
{
  if (r == NULL)
    return;
  g_free (r->what);
  g_free (r);
}

static MachineFileRef *
add (GPtrArray *refs, const MachineDisk *disk, const char *file, const char *format, guint64 bytes,
     const char *checksum, char *what)
{
  MachineFileRef *r = g_new0 (MachineFileRef, 1);
  r->disk = disk;
  r->file = file;
  r->format = format;
  r->bytes = bytes;
  r->checksum = checksum;
  r->what = what;
  g_ptr_array_add (refs, r);
  return r;
}

static char *
mounted (const char *base, const MachineVolume *v)
{
  if (v && v->mountpoint)
    return g_strdup_printf ("%s (%s)", base, v->mountpoint);
  return g_strdup (base);
}

GPtrArray *
machine_descriptor_list_files (const MachineDescriptor *m)
{
  GPtrArray *refs = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_file_ref_free);

  g_return_val_if_fail (m != NULL, refs);
  for (guint i = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      if (d->boot_area && d->boot_area->image)
        add (refs, d, d->boot_area->image, NULL, d->boot_area->bytes, d->boot_area->checksum,
             g_strdup_printf ("%s boot area", d->id));
      for (guint j = 0; j < d->partitions->len; j++)
        {
          const MachinePartition *p = g_ptr_array_index (d->partitions, j);
          const MachineVolume *v = p->volume;
          if (v == NULL || v->image == NULL)
            continue;
          g_autofree char *base = g_strdup_printf ("%s partition %u", d->id, p->number);
          add (refs, d, v->image->file, v->image->format, v->image->bytes, v->image->checksum,
               mounted (base, v));
        }
    }
  for (guint i = 0; i < m->md_arrays->len; i++)
    {
      const MachineMdArray *md = g_ptr_array_index (m->md_arrays, i);
      for (guint j = 0; j < md->members->len; j++)
        {
          const MachineMdMember *mm = g_ptr_array_index (md->members, j);
          if (mm->image)
            add (refs, NULL, mm->image->file, mm->image->format, mm->image->bytes,
                 mm->image->checksum,
                 g_strdup_printf ("md superblock area of %s member %s", md->id, mm->device));
        }
      if (md->volume && md->volume->image)
        {
          const MachineImage *img = md->volume->image;
          g_autofree char *base = g_strdup_printf ("md array %s", md->id);
          add (refs, NULL, img->file, img->format, img->bytes, img->checksum,
               mounted (base, md->volume));
        }
    }
  for (guint i = 0; i < m->luks->len; i++)
    {
      const MachineLuks *l = g_ptr_array_index (m->luks, i);
      if (l->image)
        add (refs, NULL, l->image->file, l->image->format, l->image->bytes, l->image->checksum,
             g_strdup_printf ("LUKS container %s (encrypted, whole)", l->id));
    }
  for (guint i = 0; i < m->volume_groups->len; i++)
    {
      const MachineVolumeGroup *vg = g_ptr_array_index (m->volume_groups, i);
      if (vg->metadata_file)
        add (refs, NULL, vg->metadata_file, NULL, 0, vg->metadata_checksum,
             g_strdup_printf ("LVM metadata of %s", vg->name))
          ->text
          = TRUE;
      for (guint j = 0; j < vg->pvs->len; j++)
        {
          const MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, j);
          if (pv->image)
            add (refs, NULL, pv->image->file, pv->image->format, pv->image->bytes,
                 pv->image->checksum,
                 g_strdup_printf ("LVM label and metadata area of %s on %s", vg->name, pv->device));
        }
      for (guint j = 0; j < vg->lvs->len; j++)
        {
          const MachineLogicalVolume *lv = g_ptr_array_index (vg->lvs, j);
          const MachineVolume *v = lv->volume;
          if (v == NULL || v->image == NULL)
            continue;
          g_autofree char *base = g_strdup_printf ("logical volume %s/%s", vg->name, lv->name);
          add (refs, NULL, v->image->file, v->image->format, v->image->bytes, v->image->checksum,
               mounted (base, v));
        }
    }
  return refs;
}
