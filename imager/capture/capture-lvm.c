/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LVM volume groups in a capture.
 *
 * What LVM is on the given disks comes from LVM's own record: each volume
 * group's text metadata, read from its metadata area in the appliance
 * (vgmeta) and parsed here (lvm-text.c), not from what the appliance's
 * device names suggest.  The appliance adds only the mapping from a PV's
 * UUID to the partition it is on (pvs), and the filesystems on the active
 * logical volumes (blkid).
 *
 * What a backup set holds of a volume group:
 *   - the metadata text, as the file lvm-VG.vgcfg (vgcfgrestore reads it);
 *   - each PV's label and metadata area, [0, pe_start) of its partition,
 *     as an image: restore writes it back, and with it every identity
 *     (PV, VG and LV names and UUIDs) and the LVs' segments exactly as LVM
 *     wrote them, with no LVM tool and no device-mapper on the restoring
 *     host;
 *   - each critical LV's used data, imaged from the LV's extents on its
 *     PV, like a partition's volume.
 * Restore recreates swap and the other filesystems on LVs empty, with
 * their UUIDs and labels.  Only linear LVs in one segment are restored for
 * now: thin pools and volumes, snapshots, caches, mirrors and RAID LVs are
 * refused by name, before anything is written.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "appliance.h"
#include "capture-private.h"
#include "checksum.h"

char *
capture_lvm_undash (const char *uuid)
{
  GString *s = g_string_new (NULL);
  for (const char *p = uuid; *p; p++)
    if (*p != '-')
      g_string_append_c (s, *p);
  return g_string_free (s, FALSE);
}

/* A refusal (what asr cannot restore yet) or an invalid input (a
 * metadata text that contradicts itself or the disks). */
static gboolean fail_with (GError **error, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail_with (GError **error, int code, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, ASR_IMAGER_ERROR, code, msg);
  return FALSE;
}

#define refuse(error, ...) fail_with (error, ASR_IMAGER_ERROR_UNSUPPORTED, __VA_ARGS__)
#define invalid(error, ...) fail_with (error, ASR_IMAGER_ERROR_INVALID_INPUT, __VA_ARGS__)

/* What an LV is, for the descriptor's segtype and for refusals. */
static char *
lv_segtype (const AsrLvmLv *lv)
{
  gboolean striped = FALSE;
  for (guint i = 0; i < lv->segments->len; i++)
    {
      const AsrLvmSegment *s = g_ptr_array_index (lv->segments, i);
      if (strcmp (s->type, "striped") != 0)
        return g_strdup (*s->type ? s->type : "unknown");
      if (s->stripes > 1)
        striped = TRUE;
    }
  return g_strdup (striped ? "striped" : "linear");
}

static const char *
segtype_what (const char *t)
{
  static const struct {
    const char *type, *what;
  } names[] = {
    { "thin-pool", "a thin pool" },
    { "thin", "a thin volume" },
    { "snapshot", "a snapshot" },
    { "cache", "a cached volume" },
    { "cache-pool", "a cache pool" },
    { "writecache", "a write-cached volume" },
    { "mirror", "a mirror" },
    { "vdo", "a VDO volume" },
    { "vdo-pool", "a VDO pool" },
    { "integrity", "an integrity volume" },
    { "striped", "striped over several physical volumes" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (t, names[i].type) == 0)
      return names[i].what;
  if (g_str_has_prefix (t, "raid"))
    return "a RAID logical volume";
  return NULL;
}

/* A PV's partition, from the appliance's device name. */
static gboolean
pv_device (Capture *c, GHashTable *parts, const char *gdev, char **ref, PartRef **part)
{
  PartRef *pr = g_hash_table_lookup (parts, gdev);

  *part = pr;
  if (pr)
    {
      *ref = g_strdup_printf ("%s/p%u", pr->disk->disk->id, pr->partition->number);
      return TRUE;
    }
  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *d = g_ptr_array_index (c->disks, i);
      if (g_strcmp0 (d->gdev, gdev) == 0)
        {
          *ref = g_strdup (d->disk->id);
          return TRUE;
        }
    }
  return FALSE;
}

static char *
metadata_file_name (const char *vg)
{
  g_autofree char *name = g_strdup_printf ("lvm-%s.vgcfg", vg);
  return strlen (name) <= 255 ? g_steal_pointer (&name) : NULL;
}

/* The metadata text into the backup set, with its checksum. */
static gboolean
save_metadata (Capture *c, MachineVolumeGroup *mvg, const char *text, gsize len, GError **error)
{
  g_autofree char *file = metadata_file_name (mvg->name);
  g_autofree char *path = NULL;
  g_autoptr (AsrChecksum) sum = asr_checksum_new ();

  if (file == NULL)
    return refuse (error, "volume group %s: its name is too long for a file name", mvg->name);
  path = g_build_filename (c->tmpdir, file, NULL);
  if (!g_file_set_contents_full (path, text, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    {
      g_prefix_error (error, "saving the metadata of %s: ", mvg->name);
      return FALSE;
    }
  asr_checksum_add_block (sum, text, len);
  mvg->metadata_file = g_steal_pointer (&file);
  mvg->metadata_checksum = asr_checksum_finish (sum);
  return TRUE;
}

/* LVM keeps a snapshot as an internal LV ("snapshot0") whose segment
 * names the LV users see (its cow_store) and its origin: refused here with
 * those names, whatever else is on the group. */
static char *
lv_problem (const AsrLvmVg *vg, const AsrLvmLv *lv, const char *segtype)
{
  for (guint i = 0; i < lv->segments->len; i++)
    {
      const AsrLvmSegment *s = g_ptr_array_index (lv->segments, i);
      if (strcmp (s->type, "snapshot") == 0)
        return g_strdup_printf ("logical volume %s/%s is a snapshot of %s/%s: asr restores "
                                "linear logical volumes only (remove or merge the snapshot "
                                "first); refused before anything was written",
                                vg->name, s->cow ? s->cow : lv->name, vg->name,
                                s->origin ? s->origin : "another volume");
    }
  if (strcmp (segtype, "linear") != 0)
    {
      const char *what = segtype_what (segtype);
      return g_strdup_printf ("logical volume %s/%s is %s (segment type %s): asr restores linear "
                              "logical volumes only; refused before anything was written",
                              vg->name, lv->name, what ? what : "of an unknown kind", segtype);
    }
  if (lv->segments->len != 1)
    return g_strdup_printf ("logical volume %s/%s has %u segments: asr restores logical volumes "
                            "in one segment only for now (pvmove it into one, or capture with "
                            "the volume group reduced); refused before anything was written",
                            vg->name, lv->name, lv->segments->len);
  return NULL;
}

char *
capture_lvm_lv_problem (const AsrLvmVg *vg, const AsrLvmLv *lv)
{
  g_autofree char *segtype = lv_segtype (lv);
  return lv_problem (vg, lv, segtype);
}

static MachineVolume *
appliance_lv_volume (Capture *c, const char *gdev, gpointer data)
{
  return capture_appliance_volume (c, gdev);
}

gboolean
capture_lvm_discover_vg (Capture *c, GHashTable *parts, GHashTable *pv_names, const char *text,
                         gsize len, const char *name, CaptureLvVolumeFn volume, gpointer data,
                         GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (AsrLvmVg) vg = NULL;
  MachineVolumeGroup *mvg;

  vg = asr_lvm_text_parse (text, len, &local);
  if (vg == NULL)
    return invalid (error, "volume group %s: %s", name ? name : "on these disks", local->message);
  if (name && strcmp (vg->name, name) != 0)
    return invalid (error, "volume group %s: its metadata names it %s", name, vg->name);
  for (guint i = 0; i < c->m->volume_groups->len; i++)
    if (strcmp (((MachineVolumeGroup *) g_ptr_array_index (c->m->volume_groups, i))->name, vg->name)
        == 0)
      return refuse (error,
                     "two volume groups are named %s on these disks: capture the disks of one "
                     "machine",
                     vg->name);
  if (machine_lvm_name_problem (vg->name) || !machine_is_lvm_uuid (vg->uuid))
    return invalid (error, "volume group %s: name or UUID '%s' is not LVM's", vg->name, vg->uuid);

  mvg = machine_volume_group_new (vg->name);
  g_ptr_array_add (c->m->volume_groups, mvg);
  mvg->uuid = g_strdup (vg->uuid);
  mvg->extent_bytes = vg->extent_bytes;
  if (!save_metadata (c, mvg, text, len, error))
    return FALSE;

  for (guint i = 0; i < vg->pvs->len; i++)
    {
      const AsrLvmPv *pv = g_ptr_array_index (vg->pvs, i);
      g_autofree char *key = capture_lvm_undash (pv->uuid);
      const char *gdev = g_hash_table_lookup (pv_names, key);
      MachinePhysicalVolume *mpv;
      PartRef *part = NULL;
      g_autofree char *ref = NULL;

      if (!machine_is_lvm_uuid (pv->uuid))
        return invalid (error, "volume group %s: physical volume UUID '%s' is not LVM's", vg->name,
                        pv->uuid);
      if (gdev != NULL && !pv_device (c, parts, gdev, &ref, &part))
        return refuse (error,
                       "volume group %s has its physical volume %s on %s, which is not a "
                       "partition or a disk (an md array or a LUKS container): LVM on md RAID "
                       "or LUKS is not captured yet",
                       vg->name, pv->uuid, gdev);
      if (gdev == NULL)
        return refuse (error,
                       "volume group %s is missing its physical volume %s: capture all of "
                       "the machine's disks together (a volume group with a missing PV cannot "
                       "be restored)",
                       vg->name, pv->uuid);
      mpv = machine_physical_volume_new ();
      g_ptr_array_add (mvg->pvs, mpv);
      mpv->uuid = g_strdup (pv->uuid);
      mpv->device = g_steal_pointer (&ref);
      mpv->pe_start = pv->pe_start_bytes;
      mpv->has_pe_start = TRUE;
      if (part)
        {
          mpv->bytes = part->partition->sectors * part->disk->logical_sector;
          mpv->has_bytes = TRUE;
          /* the partition carries the PV, not a volume of its own */
          g_clear_pointer (&part->partition->volume, machine_volume_free);
        }
    }

  for (guint i = 0; i < vg->lvs->len; i++)
    {
      const AsrLvmLv *lv = g_ptr_array_index (vg->lvs, i);
      MachineLogicalVolume *mlv;
      guint64 extents = 0;

      if (machine_lvm_name_problem (lv->name) || !machine_is_lvm_uuid (lv->uuid))
        return invalid (error,
                        "volume group %s: logical volume name or UUID '%s' '%s' is not LVM's",
                        vg->name, lv->name, lv->uuid);
      g_autofree char *segtype = lv_segtype (lv);
      g_autofree char *problem = lv_problem (vg, lv, segtype);
      if (problem)
        {
          /* Kept for the refusal if the group is to be restored; such an
           * LV is not one the descriptor can describe. */
          if (!g_hash_table_contains (c->vg_problems, mvg->name))
            g_hash_table_insert (c->vg_problems, g_strdup (mvg->name), g_steal_pointer (&problem));
          continue;
        }
      mlv = machine_logical_volume_new (lv->name);
      g_ptr_array_add (mvg->lvs, mlv);
      mlv->uuid = g_strdup (lv->uuid);
      mlv->segtype = g_steal_pointer (&segtype);
      for (guint k = 0; k < lv->segments->len; k++)
        {
          const AsrLvmSegment *s = g_ptr_array_index (lv->segments, k);
          const AsrLvmPv *on = asr_lvm_vg_find_pv (vg, s->pv_key);
          if (!g_uint64_checked_add (&extents, extents, s->extents))
            return invalid (error, "logical volume %s/%s: too many extents", vg->name, lv->name);
          if (on == NULL)
            continue; /* not striped: refused by its segtype if restored */
          MachineLvSegment *ms = machine_lv_segment_new ();
          ms->start_extent = s->start_extent;
          ms->extents = s->extents;
          ms->pv = g_strdup (on->uuid);
          ms->pv_extent = s->pv_extent;
          g_ptr_array_add (mlv->segments, ms);
        }
      if (!g_uint64_checked_mul (&mlv->bytes, extents, vg->extent_bytes))
        return invalid (error, "logical volume %s/%s: too large", vg->name, lv->name);

      /* Only a visible LV has a device to look at. */
      if (!lv->visible)
        continue;
      CaptureLv *cl = g_new0 (CaptureLv, 1);
      cl->vg = mvg;
      cl->lv = mlv;
      cl->gdev = g_strdup_printf ("/dev/%s/%s", vg->name, lv->name);
      mlv->volume = volume (c, cl->gdev, data);
      g_hash_table_insert (c->lvs, cl->gdev, cl);
    }
  return TRUE;
}

gboolean
capture_lvm_discover (Capture *c, GHashTable *parts, GError **error)
{
  g_auto (GStrv) vgs = guestfs_vgs (c->g);
  g_autoptr (GHashTable) pv_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter it;
  gpointer key, value;

  if (vgs == NULL)
    {
      asr_appliance_set_error (c->g, error, "listing LVM volume groups");
      return FALSE;
    }
  if (vgs[0] == NULL)
    return TRUE;
  /* Each PV by the UUID blkid reads on the partition (or whole disk)
   * itself: the appliance's LVM may name the disks with other letters
   * than libguestfs does (seen with libguestfs 1.48), so its pv_name is no
   * way to find the partition. */
  g_hash_table_iter_init (&it, parts);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      PartRef *r = value;
      const MachineVolume *v = r->partition->volume;
      if (v && g_strcmp0 (v->fs, "LVM2_member") == 0 && v->uuid)
        g_hash_table_insert (pv_names, capture_lvm_undash (v->uuid), g_strdup (r->gdev));
    }
  guestfs_push_error_handler (c->g, NULL, NULL);
  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *d = g_ptr_array_index (c->disks, i);
      g_autofree char *fs = guestfs_vfs_type (c->g, d->gdev);
      g_autofree char *uuid
        = fs && strcmp (fs, "LVM2_member") == 0 ? guestfs_vfs_uuid (c->g, d->gdev) : NULL;
      if (uuid && *uuid)
        g_hash_table_insert (pv_names, capture_lvm_undash (uuid), g_strdup (d->gdev));
    }
  /* PVs LVM sees that are none of those: on an md array or a LUKS
   * container (their names need no translation: not sdX). */
  struct guestfs_lvm_pv_list *pvs = guestfs_pvs_full (c->g);
  guestfs_pop_error_handler (c->g);
  for (guint32 i = 0; pvs && i < pvs->len; i++)
    {
      const struct guestfs_lvm_pv *pv = &pvs->val[i];
      g_autofree char *uuid = g_strndup (pv->pv_uuid, sizeof pv->pv_uuid);
      /* a missing PV is listed as "[unknown]": it has no device */
      if (pv->pv_name == NULL || !g_str_has_prefix (pv->pv_name, "/dev/")
          || g_hash_table_contains (pv_names, uuid))
        continue;
      g_hash_table_insert (pv_names, g_steal_pointer (&uuid), g_strdup (pv->pv_name));
    }
  if (pvs)
    guestfs_free_lvm_pv_list (pvs);

  for (char **vg = vgs; *vg; vg++)
    {
      size_t len = 0;
      g_autofree char *text = guestfs_vgmeta (c->g, *vg, &len);
      if (text == NULL)
        {
          asr_appliance_set_error (c->g, error, "reading the metadata of volume group %s", *vg);
          return FALSE;
        }
      if (!capture_lvm_discover_vg (c, parts, pv_names, text, len, *vg, appliance_lv_volume, NULL,
                                    error))
        return FALSE;
    }
  return TRUE;
}

/* --- which volume groups are restored, and what is imaged -------------- */

static CaptureDisk *
disk_of (Capture *c, const char *ref, MachinePartition **part)
{
  MachineDeviceRef r;

  *part = NULL;
  if (!machine_descriptor_resolve (c->m, ref, &r) || r.disk == NULL)
    return NULL;
  *part = r.partition;
  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *d = g_ptr_array_index (c->disks, i);
      if (d->disk == r.disk)
        return d;
    }
  return NULL;
}

/* A restored group must hold only what restore can recreate. */
static gboolean
check_restorable (Capture *c, MachineVolumeGroup *vg, GError **error)
{
  const char *problem = g_hash_table_lookup (c->vg_problems, vg->name);

  if (problem)
    return refuse (error, "%s", problem);
  for (guint i = 0; i < vg->pvs->len; i++)
    {
      const MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, i);
      if (strchr (pv->device, '/') == NULL)
        return refuse (error,
                       "volume group %s has its physical volume %s on the whole disk %s: "
                       "whole-disk physical volumes are not supported yet",
                       vg->name, pv->uuid, pv->device);
    }
  return TRUE;
}

static gboolean
select_vg (Capture *c, MachineVolumeGroup *vg, gboolean critical_pass, GError **error)
{
  gboolean critical = FALSE, on_critical_disk = FALSE, on_other_disk = FALSE;

  for (guint i = 0; i < vg->lvs->len; i++)
    {
      MachineLogicalVolume *lv = g_ptr_array_index (vg->lvs, i);
      MachineVolume *v = lv->volume;
      gboolean crit;
      if (v == NULL)
        continue;
      crit = (v->mountpoint && capture_is_critical_mountpoint (c, v->mountpoint))
             || (c->opts->all && v->fs != NULL);
      if (g_strcmp0 (v->fs, "swap") == 0)
        crit = FALSE;
      v->critical = crit ? MACHINE_TRISTATE_YES : MACHINE_TRISTATE_NO;
      critical |= crit;
    }
  if (critical != critical_pass)
    return TRUE;
  for (guint i = 0; i < vg->pvs->len; i++)
    {
      const MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, i);
      MachinePartition *part;
      CaptureDisk *d = disk_of (c, pv->device, &part);
      g_assert (d != NULL);
      if (d->disk->critical == MACHINE_TRISTATE_YES)
        on_critical_disk = TRUE;
      else
        on_other_disk = TRUE;
    }
  if (!critical && !on_critical_disk)
    {
      if (g_hash_table_contains (c->vg_problems, vg->name))
        capture_message (c,
                         "note: volume group %s (on disks that are not restored) holds logical "
                         "volumes asr does not describe yet (%s); they are left out of the "
                         "descriptor",
                         vg->name, (const char *) g_hash_table_lookup (c->vg_problems, vg->name));
      return TRUE; /* recorded; its disks are not restored */
    }
  if (!critical && on_other_disk)
    return refuse (error,
                   "volume group %s spans a critical disk and a disk that is not: restoring "
                   "the critical disk alone would break it; capture with --all to restore "
                   "all of its disks",
                   vg->name);
  if (!check_restorable (c, vg, error))
    return FALSE;

  for (guint i = 0; i < vg->pvs->len; i++)
    {
      MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, i);
      MachinePartition *part;
      CaptureDisk *d = disk_of (c, pv->device, &part);
      guint64 ss = d->logical_sector;
      g_autofree char *what
        = g_strdup_printf ("the LVM label and metadata area of %s on %s", vg->name, pv->device);
      g_autofree char *file = g_strdup_printf ("%s-p%u-lvm.qcow2", d->disk->id, part->number);

      if (pv->pe_start == 0 || pv->pe_start > part->sectors * ss || pv->pe_start % ss != 0)
        return invalid (error,
                        "volume group %s: pe_start %" G_GUINT64_FORMAT
                        " of its physical volume on %s is not inside the partition",
                        vg->name, pv->pe_start, pv->device);
      d->disk->critical = MACHINE_TRISTATE_YES;
      CaptureVolume *cv = capture_volume_new (d, what, file, part->start * ss, pv->pe_start, NULL);
      cv->image = &pv->image;
      g_ptr_array_add (c->volumes, cv);
    }

  for (guint i = 0; i < vg->lvs->len; i++)
    {
      MachineLogicalVolume *lv = g_ptr_array_index (vg->lvs, i);
      MachineVolume *v = lv->volume;
      const MachineLvSegment *seg = g_ptr_array_index (lv->segments, 0);
      const MachinePhysicalVolume *pv = machine_volume_group_find_pv (vg, seg->pv);
      MachinePartition *part;
      CaptureDisk *d;
      guint64 offset, bytes, ss;

      if (v == NULL || v->critical != MACHINE_TRISTATE_YES)
        {
          if (v && v->fs && g_strcmp0 (v->fs, "swap") != 0)
            capture_message (c,
                             "warning: logical volume %s/%s (%s%s%s) is not captured: restore "
                             "recreates it empty (same UUID and label); use --include %s to "
                             "keep its data",
                             vg->name, lv->name, v->fs, v->mountpoint ? ", " : "",
                             v->mountpoint ? v->mountpoint : "",
                             v->mountpoint ? v->mountpoint : "MOUNTPOINT");
          continue;
        }
      g_assert (pv != NULL);
      d = disk_of (c, pv->device, &part);
      ss = d->logical_sector;
      /* Bounded by the checks above: pe_start inside the partition, and
       * the descriptor check bounds extents by the PV's size. */
      if (!g_uint64_checked_mul (&offset, seg->pv_extent, vg->extent_bytes)
          || !g_uint64_checked_add (&offset, offset, pv->pe_start)
          || !g_uint64_checked_mul (&bytes, seg->extents, vg->extent_bytes)
          || offset + bytes > part->sectors * ss)
        return invalid (error, "logical volume %s/%s lies outside its physical volume on %s",
                        vg->name, lv->name, pv->device);
      g_autofree char *what = g_strdup_printf ("logical volume %s/%s", vg->name, lv->name);
      g_autofree char *file = g_strdup_printf ("lvm-%s-%s.qcow2", vg->name, lv->name);
      g_autofree char *gdev = g_strdup_printf ("/dev/%s/%s", vg->name, lv->name);
      if (strlen (file) > 255)
        {
          g_free (file);
          file = g_strdup_printf ("lvm-%s-lv%u.qcow2", vg->name, i);
        }
      CaptureVolume *cv
        = capture_volume_new (d, what, file, part->start * ss + offset, bytes, gdev);
      cv->volume = v;
      cv->image = &v->image;
      cv->has_fs = v->fs != NULL;
      g_ptr_array_add (c->volumes, cv);
    }
  return TRUE;
}

gboolean
capture_lvm_select (Capture *c, GError **error)
{
  /* Critical groups first: they make their disks critical, and a group
   * with no critical volume is restored when it is on such a disk. */
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < c->m->volume_groups->len; i++)
      if (!select_vg (c, g_ptr_array_index (c->m->volume_groups, i), pass == 0, error))
        return FALSE;
  return TRUE;
}
