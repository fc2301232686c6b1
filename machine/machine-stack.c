/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The storage stack's model: LVM volume groups, md arrays, LUKS
 * containers and btrfs subvolumes; device references and the walk from a
 * device to what it carries.
 */
#include "config.h"

#include <string.h>

#include "machine.h"
#include "machine-private.h"

/* --- constructors and destructors ---------------------------------------- */

MachineSubvolume *
machine_subvolume_new (const char *path)
{
  MachineSubvolume *s = g_new0 (MachineSubvolume, 1);

  s->path = g_strdup (path);
  return s;
}

MachinePhysicalVolume *
machine_physical_volume_new (void)
{
  return g_new0 (MachinePhysicalVolume, 1);
}

MachineLogicalVolume *
machine_logical_volume_new (const char *name)
{
  MachineLogicalVolume *lv = g_new0 (MachineLogicalVolume, 1);

  lv->name = g_strdup (name);
  lv->segments = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_lv_segment_free);
  return lv;
}

MachineLvSegment *
machine_lv_segment_new (void)
{
  return g_new0 (MachineLvSegment, 1);
}

MachineVolumeGroup *
machine_volume_group_new (const char *name)
{
  MachineVolumeGroup *vg = g_new0 (MachineVolumeGroup, 1);

  vg->name = g_strdup (name);
  vg->pvs = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_physical_volume_free);
  vg->lvs = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_logical_volume_free);
  return vg;
}

MachineMdMember *
machine_md_member_new (const char *device, guint32 role)
{
  MachineMdMember *mm = g_new0 (MachineMdMember, 1);

  mm->device = g_strdup (device);
  mm->role = role;
  return mm;
}

MachineMdArray *
machine_md_array_new (const char *id)
{
  MachineMdArray *md = g_new0 (MachineMdArray, 1);

  md->id = g_strdup (id);
  md->members = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_md_member_free);
  return md;
}

MachineLuks *
machine_luks_new (const char *id)
{
  MachineLuks *l = g_new0 (MachineLuks, 1);

  l->id = g_strdup (id);
  return l;
}

void
machine_subvolume_free (MachineSubvolume *s)
{
  if (s == NULL)
    return;
  g_free (s->path);
  g_free (s->mountpoint);
  g_free (s);
}

void
machine_physical_volume_free (MachinePhysicalVolume *pv)
{
  if (pv == NULL)
    return;
  g_free (pv->uuid);
  g_free (pv->device);
  machine_image_free (pv->image);
  g_free (pv);
}

MachinePhysicalVolume *
machine_volume_group_find_pv (const MachineVolumeGroup *vg, const char *uuid)
{
  for (guint i = 0; uuid && i < vg->pvs->len; i++)
    {
      MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, i);
      if (pv->uuid && g_ascii_strcasecmp (pv->uuid, uuid) == 0)
        return pv;
    }
  return NULL;
}

void
machine_lv_segment_free (MachineLvSegment *s)
{
  if (s == NULL)
    return;
  g_free (s->pv);
  g_free (s);
}

void
machine_logical_volume_free (MachineLogicalVolume *lv)
{
  if (lv == NULL)
    return;
  g_free (lv->name);
  g_free (lv->uuid);
  g_free (lv->segtype);
  g_clear_pointer (&lv->segments, g_ptr_array_unref);
  machine_volume_free (lv->volume);
  g_free (lv);
}

void
machine_volume_group_free (MachineVolumeGroup *vg)
{
  if (vg == NULL)
    return;
  g_free (vg->name);
  g_free (vg->uuid);
  g_free (vg->metadata_file);
  g_free (vg->metadata_checksum);
  g_clear_pointer (&vg->pvs, g_ptr_array_unref);
  g_clear_pointer (&vg->lvs, g_ptr_array_unref);
  g_free (vg);
}

void
machine_md_member_free (MachineMdMember *mm)
{
  if (mm == NULL)
    return;
  g_free (mm->device);
  machine_image_free (mm->image);
  g_free (mm);
}

void
machine_md_array_free (MachineMdArray *md)
{
  if (md == NULL)
    return;
  g_free (md->id);
  g_free (md->uuid);
  g_free (md->name);
  g_free (md->level);
  g_free (md->metadata);
  g_clear_pointer (&md->members, g_ptr_array_unref);
  machine_volume_free (md->volume);
  g_free (md);
}

void
machine_luks_free (MachineLuks *l)
{
  if (l == NULL)
    return;
  g_free (l->id);
  g_free (l->uuid);
  g_free (l->type);
  g_free (l->device);
  machine_image_free (l->image);
  machine_volume_free (l->volume);
  g_free (l);
}

/* --- syntax -------------------------------------------------------------- */

static gboolean
groups_ok (const char *s, const gsize *groups, gsize n, char sep, gboolean (*ok) (char))
{
  for (gsize g = 0; g < n; g++)
    {
      for (gsize i = 0; i < groups[g]; i++)
        if (!ok (*s++))
          return FALSE;
      if (g + 1 < n && *s++ != sep)
        return FALSE;
    }
  return *s == '\0';
}

static gboolean
is_alnum (char c)
{
  return g_ascii_isalnum (c);
}

static gboolean
is_hex (char c)
{
  return g_ascii_isxdigit (c);
}

gboolean
machine_is_lvm_uuid (const char *s)
{
  static const gsize groups[] = { 6, 4, 4, 4, 4, 4, 6 };

  return s != NULL && strlen (s) == 38
         && groups_ok (s, groups, G_N_ELEMENTS (groups), '-', is_alnum);
}

gboolean
machine_is_md_uuid (const char *s)
{
  static const gsize groups[] = { 8, 8, 8, 8 };

  return s != NULL && strlen (s) == 35 && groups_ok (s, groups, G_N_ELEMENTS (groups), ':', is_hex);
}

/* LVM's own rule (lib/misc/lvm-string.c): letters, digits and "+_.-", not
 * starting with '-', not "." or "..", at most 127 characters. */
const char *
machine_lvm_name_problem (const char *s)
{
  if (s == NULL || *s == '\0')
    return "empty";
  if (strlen (s) > 127)
    return "longer than 127 characters";
  if (s[0] == '-')
    return "starting with '-'";
  if (strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return "'.' or '..'";
  for (const char *c = s; *c; c++)
    if (!g_ascii_isalnum (*c) && strchr ("+_.-", *c) == NULL)
      return "not only letters, digits and '+', '_', '.', '-'";
  return NULL;
}

/* --- references ---------------------------------------------------------- */

gboolean
machine_descriptor_resolve (const MachineDescriptor *m, const char *ref, MachineDeviceRef *out)
{
  const char *slash;

  memset (out, 0, sizeof *out);
  if (ref == NULL)
    return FALSE;
  slash = strchr (ref, '/');
  if (slash != NULL)
    {
      g_autofree char *id = g_strndup (ref, (gsize) (slash - ref));
      guint64 number;

      /* "p" and a canonical partition number, nothing else. */
      if (slash[1] != 'p' || slash[2] == '0'
          || !g_ascii_string_to_unsigned (slash + 2, 10, 1, G_MAXUINT32, &number, NULL))
        return FALSE;
      out->disk = machine_descriptor_find_disk (m, id);
      if (out->disk != NULL)
        out->partition = machine_disk_find_partition (out->disk, (guint32) number);
      if (out->partition == NULL)
        out->disk = NULL;
      return out->partition != NULL;
    }
  out->disk = machine_descriptor_find_disk (m, ref);
  if (out->disk != NULL)
    return TRUE;
  for (guint i = 0; m->md_arrays && i < m->md_arrays->len; i++)
    {
      MachineMdArray *md = g_ptr_array_index (m->md_arrays, i);
      if (md->id != NULL && g_ascii_strcasecmp (md->id, ref) == 0)
        {
          out->md = md;
          return TRUE;
        }
    }
  for (guint i = 0; m->luks && i < m->luks->len; i++)
    {
      MachineLuks *l = g_ptr_array_index (m->luks, i);
      if (l->id != NULL && g_ascii_strcasecmp (l->id, ref) == 0)
        {
          out->luks = l;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
same_device (const MachineDescriptor *m, const MachineDeviceRef *want, const char *ref)
{
  MachineDeviceRef r;

  return machine_descriptor_resolve (m, ref, &r) && r.disk == want->disk
         && r.partition == want->partition && r.md == want->md && r.luks == want->luks;
}

gboolean
machine_descriptor_find_holder (const MachineDescriptor *m, const char *ref, MachineHolder *out)
{
  MachineDeviceRef want;

  memset (out, 0, sizeof *out);
  if (!machine_descriptor_resolve (m, ref, &want))
    return FALSE;
  for (guint i = 0; i < m->volume_groups->len; i++)
    {
      MachineVolumeGroup *vg = g_ptr_array_index (m->volume_groups, i);
      for (guint j = 0; j < vg->pvs->len; j++)
        {
          MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, j);
          if (same_device (m, &want, pv->device))
            {
              out->vg = vg;
              out->pv = pv;
              return TRUE;
            }
        }
    }
  for (guint i = 0; i < m->md_arrays->len; i++)
    {
      MachineMdArray *md = g_ptr_array_index (m->md_arrays, i);
      for (guint j = 0; j < md->members->len; j++)
        {
          MachineMdMember *mm = g_ptr_array_index (md->members, j);
          if (same_device (m, &want, mm->device))
            {
              out->md = md;
              out->member = mm;
              return TRUE;
            }
        }
    }
  for (guint i = 0; i < m->luks->len; i++)
    {
      MachineLuks *l = g_ptr_array_index (m->luks, i);
      if (same_device (m, &want, l->device))
        {
          out->luks = l;
          return TRUE;
        }
    }
  return FALSE;
}
