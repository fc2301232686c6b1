/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * md RAID arrays in a capture.
 *
 * What an array is comes from its members' own superblocks (md-super.c),
 * read from the partitions in the appliance or, without one, from the
 * exported disks; the appliance's assembled array gives only the
 * filesystem on it (without one: blkid on a member's copy of the data,
 * capture-inspect.c).  A RAID1 member is a superblock
 * area ([0, data_offset): superblock, write-intent bitmap, bad-block log)
 * followed by a full copy of the array's data, so a backup set holds:
 *   - each member's superblock area, as an image: restore writes it back,
 *     and with it the array's UUID, name, level and metadata version and
 *     the member's own role and device UUID, exactly;
 *   - the array's volume once, used data only, imaged from one member's
 *     data; restore writes it into every member, so the copies agree and
 *     nothing needs a resync.
 * Only RAID1 with its superblock at the start (metadata 1.1, 1.2) is
 * restored for now; other arrays that would be restored are refused by
 * name, before anything is written.
 */
#include "config.h"

#include <string.h>

#include "appliance.h"
#include "capture-private.h"

typedef struct {
  PartRef *part;
  AsrMdSuper sb;
  MachineMdMember *member;
} CaptureMdMember;

struct _CaptureMd {
  MachineMdArray *md;
  GPtrArray *members; /* CaptureMdMember* */
  char *gdev;         /* the appliance's assembled array, NULL if none */
  char *problem;      /* why restore cannot recreate it, NULL if it can */
};

void
capture_md_free (CaptureMd *m)
{
  if (m == NULL)
    return;
  g_ptr_array_unref (m->members);
  g_free (m->gdev);
  g_free (m->problem);
  g_free (m);
}

gboolean
capture_md_parse_super (const char *buf, gsize len, AsrMdSuper *sb)
{
  g_autoptr (GError) at_4k = NULL;
  g_autoptr (GError) at_0 = NULL;

  if (len < CAPTURE_MD_SUPER_BYTES)
    return FALSE;
  if (asr_md_super_parse ((const guint8 *) buf + 4096, 4096, sb, &at_4k) && sb->super_offset == 8)
    return TRUE;
  return asr_md_super_parse ((const guint8 *) buf, 4096, sb, &at_0) && sb->super_offset == 0;
}

/* The superblock of a member: through the appliance, or from the
 * exported disk when there is none (the userspace path). */
static gboolean
read_super (Capture *c, const PartRef *r, AsrMdSuper *sb, GError **error)
{
  gsize got = 0;
  g_autofree char *buf = NULL;
  g_autofree char *what = g_strdup_printf ("the md superblock of %s partition %u",
                                           r->disk->disk->id, r->partition->number);

  if (!capture_read_start (c, r->disk, r->gdev, r->partition->start * r->disk->logical_sector,
                           CAPTURE_MD_SUPER_BYTES, what, &buf, &got, error))
    return FALSE;
  if (got < CAPTURE_MD_SUPER_BYTES)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "reading %s: short read",
                   what);
      return FALSE;
    }
  if (capture_md_parse_super (buf, got, sb))
    return TRUE;
  g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_UNSUPPORTED,
               "%s partition %u is an md RAID member without a superblock at its start "
               "(metadata 1.1 or 1.2): metadata 1.0 and 0.90 keep theirs at the end, which asr "
               "does not restore yet; restoring its disk would destroy the array",
               r->disk->disk->id, r->partition->number);
  return FALSE;
}

static CaptureMd *
find_array (Capture *c, const AsrMdSuper *sb)
{
  for (guint i = 0; i < c->mds->len; i++)
    {
      CaptureMd *m = g_ptr_array_index (c->mds, i);
      if (strcmp (m->md->uuid, sb->uuid) == 0)
        return m;
    }
  return NULL;
}

/* The appliance's device for each array, by the UUID md_detail reports. */
static void
find_assembled (Capture *c)
{
  g_auto (GStrv) devs = guestfs_list_md_devices (c->g);

  for (char **d = devs; d && *d; d++)
    {
      g_auto (GStrv) detail = guestfs_md_detail (c->g, *d);
      for (char **kv = detail; kv && kv[0] && kv[1]; kv += 2)
        if (strcmp (kv[0], "uuid") == 0)
          for (guint i = 0; i < c->mds->len; i++)
            {
              CaptureMd *m = g_ptr_array_index (c->mds, i);
              if (m->gdev == NULL && g_ascii_strcasecmp (m->md->uuid, kv[1]) == 0)
                m->gdev = g_strdup (*d);
            }
    }
}

static void
set_problem (CaptureMd *m, char *why)
{
  if (m->problem == NULL)
    m->problem = why;
  else
    g_free (why);
}

/* What restore needs of a RAID1: every member present in its slot, the
 * same geometry on each, its data inside its partition. */
static void
judge (CaptureMd *m)
{
  const CaptureMdMember *first = g_ptr_array_index (m->members, 0);
  guint32 roles = 0;

  if (first->sb.level != 1)
    set_problem (m, g_strdup_printf ("md array %s (%s) is %s: asr restores RAID1 arrays only "
                                     "for now; refused before anything was written",
                                     m->md->id, m->md->uuid, m->md->level));
  if (first->sb.feature_map & ~0x1u)
    set_problem (m, g_strdup_printf ("md array %s (%s) has features asr does not restore "
                                     "(feature map 0x%x: a reshape, a journal or a PPL); "
                                     "refused before anything was written",
                                     m->md->id, m->md->uuid, first->sb.feature_map));
  for (guint i = 0; i < m->members->len; i++)
    {
      const CaptureMdMember *mm = g_ptr_array_index (m->members, i);
      guint64 part_sectors = mm->part->partition->sectors * (mm->part->disk->logical_sector / 512);
      if (mm->sb.role >= 0)
        roles++;
      if (mm->sb.size_sectors != first->sb.size_sectors
          || mm->sb.raid_disks != first->sb.raid_disks)
        set_problem (m, g_strdup_printf ("md array %s: its members disagree about its size or "
                                         "member count",
                                         m->md->id));
      if (mm->sb.data_offset == 0 || mm->sb.data_offset > part_sectors
          || mm->sb.size_sectors > part_sectors - mm->sb.data_offset)
        set_problem (m, g_strdup_printf ("md array %s: the data of its member %s lies outside "
                                         "its partition",
                                         m->md->id, mm->member->device));
    }
  if (roles != first->sb.raid_disks)
    set_problem (m, g_strdup_printf ("md array %s (%s) has %u of its %u members on the given "
                                     "disks: an array whose members are not all present is "
                                     "not restored; give every disk of the machine",
                                     m->md->id, m->md->uuid, roles, first->sb.raid_disks));
}

static gint
compare_parts (gconstpointer a, gconstpointer b)
{
  const PartRef *x = *(PartRef *const *) a, *y = *(PartRef *const *) b;
  if (x->disk->index != y->disk->index)
    return x->disk->index < y->disk->index ? -1 : 1;
  return x->partition->number < y->partition->number   ? -1
         : x->partition->number > y->partition->number ? 1
                                                       : 0;
}

gboolean
capture_md_discover (Capture *c, GHashTable *parts, GError **error)
{
  return capture_md_discover_with (c, parts, NULL, NULL, error);
}

gboolean
capture_md_discover_with (Capture *c, GHashTable *parts, CaptureMdVolumeFn volume, gpointer data,
                          GError **error)
{
  GHashTableIter it;
  gpointer key, value;
  g_autoptr (GPtrArray) members = g_ptr_array_new ();

  c->mds = g_ptr_array_new_with_free_func ((GDestroyNotify) capture_md_free);
  g_hash_table_iter_init (&it, parts);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      PartRef *r = value;
      if (r->partition->volume && g_strcmp0 (r->partition->volume->fs, "linux_raid_member") == 0)
        g_ptr_array_add (members, r);
    }
  /* In disk and partition order: array ids that do not depend on hashing. */
  g_ptr_array_sort (members, compare_parts);

  for (guint i = 0; i < members->len; i++)
    {
      PartRef *r = g_ptr_array_index (members, i);
      AsrMdSuper sb;
      CaptureMd *m;

      if (!read_super (c, r, &sb, error))
        return FALSE;
      m = find_array (c, &sb);
      if (m == NULL)
        {
          g_autofree char *id = g_strdup_printf ("md%u", c->mds->len);
          m = g_new0 (CaptureMd, 1);
          m->members = g_ptr_array_new_with_free_func (g_free);
          m->md = machine_md_array_new (id);
          m->md->uuid = g_strdup (sb.uuid);
          m->md->name = sb.name[0] ? g_strdup (sb.name) : NULL;
          m->md->level = sb.level >= 0 ? g_strdup_printf ("raid%d", sb.level) : g_strdup ("linear");
          m->md->metadata = g_strdup (sb.super_offset == 8 ? "1.2" : "1.1");
          if (sb.level == 0 || sb.level >= 4)
            {
              m->md->chunk_bytes = (guint64) sb.chunk_sectors * 512;
              m->md->has_chunk_bytes = TRUE;
            }
          if (sb.level == 1)
            {
              m->md->bytes = sb.size_sectors * 512;
              m->md->has_bytes = TRUE;
            }
          g_ptr_array_add (c->m->md_arrays, m->md);
          g_ptr_array_add (c->mds, m);
        }
      CaptureMdMember *cm = g_new0 (CaptureMdMember, 1);
      cm->part = r;
      cm->sb = sb;
      cm->member = machine_md_member_new (NULL, sb.role >= 0 ? (guint32) sb.role : 0);
      cm->member->device = g_strdup_printf ("%s/p%u", r->disk->disk->id, r->partition->number);
      cm->member->spare = sb.role < 0;
      cm->member->data_offset = sb.data_offset * 512;
      cm->member->has_data_offset = TRUE;
      g_ptr_array_add (m->md->members, cm->member);
      g_ptr_array_add (m->members, cm);
      /* the partition carries the member, not a volume of its own */
      g_clear_pointer (&r->partition->volume, machine_volume_free);
    }
  if (c->mds->len == 0)
    return TRUE;

  if (volume == NULL)
    find_assembled (c);
  for (guint i = 0; i < c->mds->len; i++)
    {
      CaptureMd *m = g_ptr_array_index (c->mds, i);
      judge (m);
      if (volume)
        m->md->volume = volume (c, m->md->uuid, &m->gdev, data);
      else if (m->gdev)
        m->md->volume = capture_appliance_volume (c, m->gdev);
      if (m->md->volume
          && (g_strcmp0 (m->md->volume->fs, "LVM2_member") == 0
              || g_strcmp0 (m->md->volume->fs, "crypto_LUKS") == 0))
        set_problem (m, g_strdup_printf ("md array %s holds %s: LVM and LUKS on md RAID "
                                         "are not restored yet",
                                         m->md->id, m->md->volume->fs));
    }
  return TRUE;
}

gboolean
capture_md_mountpoint (Capture *c, const char *mountpoint, const char *dev)
{
  for (guint i = 0; c->mds && i < c->mds->len; i++)
    {
      CaptureMd *m = g_ptr_array_index (c->mds, i);
      if (m->gdev == NULL || m->md->volume == NULL || strcmp (m->gdev, dev) != 0)
        continue;
      g_free (m->md->volume->mountpoint);
      m->md->volume->mountpoint = g_strdup (mountpoint);
      return TRUE;
    }
  return FALSE;
}

const char *
capture_md_problem (Capture *c)
{
  for (guint i = 0; c->mds && i < c->mds->len; i++)
    {
      CaptureMd *m = g_ptr_array_index (c->mds, i);
      if (m->problem)
        return m->problem;
    }
  return NULL;
}

gboolean
capture_md_is_root (Capture *c, const char *dev)
{
  for (guint i = 0; c->mds && i < c->mds->len; i++)
    {
      CaptureMd *m = g_ptr_array_index (c->mds, i);
      if (m->gdev && strcmp (m->gdev, dev) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
capture_md_select (Capture *c, GError **error)
{
  for (guint i = 0; i < c->mds->len; i++)
    {
      CaptureMd *m = g_ptr_array_index (c->mds, i);
      MachineVolume *v = m->md->volume;
      gboolean critical = v && v->mountpoint && capture_is_critical_mountpoint (c, v->mountpoint);
      gboolean restored = critical || c->opts->all;
      const CaptureMdMember *source = NULL;

      for (guint j = 0; j < m->members->len; j++)
        {
          const CaptureMdMember *mm = g_ptr_array_index (m->members, j);
          if (mm->part->disk->disk->critical == MACHINE_TRISTATE_YES)
            restored = TRUE;
        }
      if (v)
        v->critical = critical ? MACHINE_TRISTATE_YES : MACHINE_TRISTATE_NO;
      if (!restored)
        continue;
      if (m->problem)
        {
          g_set_error_literal (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_UNSUPPORTED, m->problem);
          return FALSE;
        }
      for (guint j = 0; j < m->members->len; j++)
        {
          CaptureMdMember *mm = g_ptr_array_index (m->members, j);
          CaptureDisk *d = mm->part->disk;
          guint64 ss = d->logical_sector;
          g_autofree char *what = g_strdup_printf ("the md superblock area of %s member %s",
                                                   m->md->id, mm->member->device);
          g_autofree char *file
            = g_strdup_printf ("%s-p%u-md.qcow2", d->disk->id, mm->part->partition->number);

          d->disk->critical = MACHINE_TRISTATE_YES;
          CaptureVolume *cv = capture_volume_new (d, what, file, mm->part->partition->start * ss,
                                                  mm->member->data_offset, NULL);
          cv->image = &mm->member->image;
          g_ptr_array_add (c->volumes, cv);
          if (source == NULL && mm->sb.role == 0)
            source = mm;
        }
      if (v == NULL || v->fs == NULL)
        {
          capture_message (c,
                           "warning: md array %s holds no filesystem asr knows: restore writes "
                           "its members' superblocks, not its data",
                           m->md->id);
          continue;
        }
      /* One copy of the data, from the member in slot 0: restore writes it
       * into every member.  Trimmed through the assembled array. */
      g_assert (source != NULL);
      guint64 ss = source->part->disk->logical_sector;
      g_autofree char *what = g_strdup_printf ("md array %s", m->md->id);
      g_autofree char *file = g_strdup_printf ("%s.qcow2", m->md->id);
      CaptureVolume *cv
        = capture_volume_new (source->part->disk, what, file,
                              source->part->partition->start * ss + source->member->data_offset,
                              m->md->bytes, g_strcmp0 (v->fs, "swap") == 0 ? NULL : m->gdev);
      cv->volume = v;
      cv->image = &v->image;
      cv->has_fs = cv->gdev != NULL;
      g_ptr_array_add (c->volumes, cv);
    }
  return TRUE;
}
