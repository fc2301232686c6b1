/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Meaning checks: what machine.rng cannot express.  They run on every
 * parsed descriptor and on structs built in C before they are written, so
 * they re-check the syntax the schema would have checked too.
 *
 * Every check is linear or n log n in the size of the document: a hostile
 * file with a hundred thousand partitions must not take minutes.
 */
#include "config.h"

#include <string.h>

#include "machine.h"
#include "machine-private.h"

/* GPT as written by every partitioner asr knows: a protective MBR at LBA 0,
 * the header at LBA 1, then 128 entries of 128 bytes; the backup entries
 * and header at the end of the disk.  Larger entry arrays exist in theory;
 * asr creates and accepts only the standard one. */
#define GPT_ENTRIES 128u
#define GPT_ENTRY_ARRAY_BYTES (GPT_ENTRIES * 128u)
/* The MBR's start and size fields are 32 bits wide. */
#define MBR_MAX_SECTORS G_GUINT64_CONSTANT (0xffffffff)
#define GPT_NAME_MAX_UNITS 36

typedef struct {
  MachineProblems *p;
  const MachineDescriptor *m;
  GHashTable *image_names; /* lowercased file name → owned element path */
} Checker;

/* The partition-table area, in logical sectors: partitions must lie in
 * [first_usable, last_usable].  last_usable is meaningless when !has_total. */
typedef struct {
  guint32 sector;
  gboolean has_total;
  guint64 total;
  guint64 first_usable;
  guint64 last_usable;
  guint64 table_sectors; /* GPT: header + entries, at each end */
} DiskGeometry;

static guint
pick_line (guint a, guint b)
{
  return a ? a : b;
}

static gboolean
sector_size_ok (guint32 s)
{
  return s >= 512 && s <= 65536 && (s & (s - 1)) == 0;
}

static char *
disk_path (const MachineDisk *d)
{
  return g_strdup_printf ("disk[id=%s]", d->id ? d->id : "");
}

static char *
partition_path (const MachineDisk *d, const MachinePartition *p)
{
  return g_strdup_printf ("disk[id=%s]/partition[number=%u]", d->id ? d->id : "", p->number);
}

/* MBR partitions whose kind was not recorded still have one: the number
 * and the type say which. */
static MachinePartitionKind
mbr_kind (const MachinePartition *p)
{
  if (p->kind != MACHINE_PARTITION_KIND_UNKNOWN)
    return p->kind;
  if (p->number >= 5)
    return MACHINE_PARTITION_KIND_LOGICAL;
  if (machine_mbr_type_is_extended (p->type))
    return MACHINE_PARTITION_KIND_EXTENDED;
  return MACHINE_PARTITION_KIND_PRIMARY;
}

static void
check_image_name (Checker *ck, guint line, const char *where, const char *file)
{
  const char *why = machine_file_name_problem (file);
  g_autofree char *key = NULL;
  const char *first;

  if (why != NULL)
    {
      machine_problems_add (ck->p, line, "%s: image file '%s' is %s", where, file ? file : "", why);
      return;
    }
  /* Without case: a backup set copied to a case-insensitive file system
   * (a vfat USB stick) must not have two images collide. */
  key = g_ascii_strdown (file, -1);
  first = g_hash_table_lookup (ck->image_names, key);
  if (first != NULL)
    machine_problems_add (ck->p, line, "%s: duplicate image file name '%s' (also used by %s)",
                          where, file, first);
  else
    g_hash_table_insert (ck->image_names, g_steal_pointer (&key), g_strdup (where));
}

static void
check_checksum (Checker *ck, guint line, const char *where, const char *checksum)
{
  if (checksum != NULL && !machine_is_checksum (checksum))
    machine_problems_add (ck->p, line,
                          "%s: checksum '%s' is not asr-sha256-64k: and 64 lowercase hex digits",
                          where, checksum);
}

/* What every volume must satisfy wherever it sits: @vpath names it,
 * @container says what holds it ("partition", "logical volume", ...) and
 * @has_size its size in bytes. */
static void
check_volume_at (Checker *ck, const MachineVolume *v, const char *vpath, guint line,
                 const char *container, gboolean has_size, guint64 size)
{
  const MachineImage *i = v->image;

  line = pick_line (v->line, line);
  if (v->mountpoint != NULL && v->mountpoint[0] != '/')
    machine_problems_add (ck->p, line, "%s: mountpoint '%s' is not an absolute path", vpath,
                          v->mountpoint);
  if (g_strcmp0 (v->fs, "btrfs") == 0 && v->uuid != NULL && !machine_is_guid (v->uuid))
    machine_problems_add (ck->p, line, "%s: btrfs uuid '%s' is not an RFC 4122 UUID", vpath,
                          v->uuid);
  if (v->subvolumes != NULL && v->subvolumes->len > 0)
    {
      g_autoptr (GHashTable) paths = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr (GHashTable) ids = g_hash_table_new (g_int64_hash, g_int64_equal);

      if (g_strcmp0 (v->fs, "btrfs") != 0)
        machine_problems_add (ck->p, line, "%s: subvolumes on a %s volume (btrfs only)", vpath,
                              v->fs ? v->fs : "unknown");
      for (guint k = 0; k < v->subvolumes->len; k++)
        {
          const MachineSubvolume *sv = g_ptr_array_index (v->subvolumes, k);
          guint sline = pick_line (sv->line, line);

          if (sv->path == NULL || *sv->path == '\0')
            machine_problems_add (ck->p, sline, "%s/subvolume: without a path", vpath);
          else if (!g_hash_table_add (paths, sv->path))
            machine_problems_add (ck->p, sline, "%s/subvolume[path=%s]: duplicate subvolume path",
                                  vpath, sv->path);
          /* btrfs numbers the top level 5 and subvolumes from 256. */
          if (sv->has_id && sv->id != 5 && sv->id < 256)
            machine_problems_add (ck->p, sline,
                                  "%s/subvolume[path=%s]: id %" G_GUINT64_FORMAT
                                  " is not a btrfs subvolume id (5, or 256 and above)",
                                  vpath, sv->path ? sv->path : "", sv->id);
          else if (sv->has_id && !g_hash_table_add (ids, (gpointer) &sv->id))
            machine_problems_add (ck->p, sline,
                                  "%s/subvolume[path=%s]: duplicate subvolume id %" G_GUINT64_FORMAT,
                                  vpath, sv->path ? sv->path : "", sv->id);
          if (sv->mountpoint != NULL && sv->mountpoint[0] != '/')
            machine_problems_add (ck->p, sline,
                                  "%s/subvolume[path=%s]: mountpoint '%s' is not an absolute path",
                                  vpath, sv->path ? sv->path : "", sv->mountpoint);
        }
    }
  if (i == NULL)
    return;

  line = pick_line (i->line, line);
  {
    g_autofree char *where = g_strdup_printf ("%s/image", vpath);

    check_image_name (ck, line, where, i->file);
    check_checksum (ck, line, where, i->checksum);
    if (i->format == NULL || *i->format == '\0')
      machine_problems_add (ck->p, line, "%s: image without a format", where);
    if (has_size && i->bytes > size)
      machine_problems_add (ck->p, line,
                            "%s: image of %" G_GUINT64_FORMAT
                            " bytes is larger than its %s (%" G_GUINT64_FORMAT " bytes)",
                            where, i->bytes, container, size);
  }
}

static void
check_volume (Checker *ck, const MachineDisk *d, const MachinePartition *p, const char *ppath,
              guint32 sector)
{
  const MachineVolume *v = p->volume;
  guint line = pick_line (v->line, p->line);
  g_autofree char *vpath = g_strdup_printf ("%s/volume", ppath);
  guint64 part_bytes;
  gboolean has_size = g_uint64_checked_mul (&part_bytes, p->sectors, sector);

  /* A critical disk is one that holds a critical volume (DESIGN.md). */
  if (v->critical == MACHINE_TRISTATE_YES && d->critical == MACHINE_TRISTATE_NO)
    machine_problems_add (ck->p, line,
                          "%s/volume: a critical volume on a disk marked critical=\"no\"", ppath);
  check_volume_at (ck, v, vpath, line, "partition", has_size, part_bytes);
}

static void
check_partition (Checker *ck, const MachineDisk *d, const MachinePartition *p,
                 const MachinePartition *ext, const DiskGeometry *g)
{
  g_autofree char *ppath = partition_path (d, p);
  guint line = pick_line (p->line, d->line);
  guint64 end; /* exclusive */
  gboolean end_ok;

  if (p->number == 0)
    machine_problems_add (ck->p, line, "%s: partition numbers start at 1", ppath);
  if (p->sectors == 0)
    machine_problems_add (ck->p, line, "%s: a partition of 0 sectors", ppath);
  end_ok = g_uint64_checked_add (&end, p->start, p->sectors);
  if (!end_ok)
    machine_problems_add (ck->p, line, "%s: start + sectors is beyond 64 bits", ppath);

  if (d->ptable == MACHINE_PTABLE_MBR)
    {
      MachinePartitionKind kind = mbr_kind (p);

      if ((kind == MACHINE_PARTITION_KIND_PRIMARY || kind == MACHINE_PARTITION_KIND_EXTENDED)
          && (p->number < 1 || p->number > 4))
        machine_problems_add (ck->p, line, "%s: a %s MBR partition is numbered 1 to 4", ppath,
                              machine_partition_kind_to_string (kind));
      if (kind == MACHINE_PARTITION_KIND_LOGICAL && p->number < 5)
        machine_problems_add (ck->p, line, "%s: logical partitions are numbered from 5", ppath);
      if (p->type != NULL && !machine_is_mbr_type (p->type))
        machine_problems_add (ck->p, line,
                              "%s: type '%s' is not an MBR partition type (0x and 2 hex digits)",
                              ppath, p->type);
      else if (kind == MACHINE_PARTITION_KIND_EXTENDED && p->type != NULL
               && !machine_mbr_type_is_extended (p->type))
        machine_problems_add (ck->p, line,
                              "%s: an extended partition of type %s (0x05, 0x0f or 0x85 expected)",
                              ppath, p->type);
      else if (kind != MACHINE_PARTITION_KIND_EXTENDED && machine_mbr_type_is_extended (p->type))
        machine_problems_add (ck->p, line,
                              "%s: type %s is an extended partition type, but the partition is %s",
                              ppath, p->type, machine_partition_kind_to_string (kind));
      if (p->guid != NULL)
        machine_problems_add (ck->p, line, "%s: guid is for GPT partitions; this disk is MBR",
                              ppath);
      if (p->name != NULL)
        machine_problems_add (ck->p, line, "%s: name is for GPT partitions; this disk is MBR",
                              ppath);
      if (p->has_attributes)
        machine_problems_add (ck->p, line,
                              "%s: attributes are for GPT partitions; this disk is MBR", ppath);
      if (kind != MACHINE_PARTITION_KIND_LOGICAL
          && (p->start > MBR_MAX_SECTORS || p->sectors > MBR_MAX_SECTORS))
        machine_problems_add (ck->p, line, "%s: start or size does not fit the MBR's 32-bit fields",
                              ppath);
      if (p->start < g->first_usable)
        machine_problems_add (ck->p, line, "%s: overlaps the partition table (MBR, sector 0)",
                              ppath);
      if (kind == MACHINE_PARTITION_KIND_LOGICAL)
        {
          if (ext == NULL)
            machine_problems_add (ck->p, line,
                                  "%s: a logical partition without an extended partition", ppath);
          /* The first sector of the extended range holds the EBR: a logical
           * partition starts after it. */
          else if (end_ok && (p->start <= ext->start || end > ext->start + ext->sectors))
            machine_problems_add (ck->p, line,
                                  "%s: logical partition outside its extended partition %u "
                                  "(sectors %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT ")",
                                  ppath, ext->number, ext->start, ext->start + ext->sectors - 1);
        }
    }
  else if (d->ptable == MACHINE_PTABLE_GPT)
    {
      if (p->kind != MACHINE_PARTITION_KIND_UNKNOWN)
        machine_problems_add (ck->p, line, "%s: kind is for MBR partitions; this disk is GPT",
                              ppath);
      if (p->bootable != MACHINE_TRISTATE_UNKNOWN)
        machine_problems_add (ck->p, line,
                              "%s: bootable (the MBR active flag) is for MBR partitions; this disk "
                              "is GPT",
                              ppath);
      if (p->type != NULL && !machine_is_guid (p->type))
        machine_problems_add (ck->p, line, "%s: type '%s' is not a GPT partition type GUID", ppath,
                              p->type);
      if (p->guid != NULL && !machine_is_guid (p->guid))
        machine_problems_add (ck->p, line, "%s: guid '%s' is not a GUID", ppath, p->guid);
      if (p->name != NULL)
        {
          glong units = 0;
          g_autofree gunichar2 *utf16 = g_utf8_to_utf16 (p->name, -1, NULL, &units, NULL);

          if (utf16 == NULL || units > GPT_NAME_MAX_UNITS)
            machine_problems_add (ck->p, line,
                                  "%s: name is longer than a GPT name (%d UTF-16 code units)",
                                  ppath, GPT_NAME_MAX_UNITS);
        }
      if (p->number > GPT_ENTRIES)
        machine_problems_add (ck->p, line, "%s: GPT partitions are numbered 1 to %u", ppath,
                              GPT_ENTRIES);
      if (p->start < g->first_usable)
        machine_problems_add (ck->p, line,
                              "%s: overlaps the GPT header and partition entries (sectors "
                              "0-%" G_GUINT64_FORMAT ")",
                              ppath, g->first_usable - 1);
      else if (g->has_total && end_ok && end <= g->total && end > g->last_usable + 1)
        machine_problems_add (ck->p, line,
                              "%s: overlaps the backup GPT (the last %" G_GUINT64_FORMAT
                              " sectors of the disk)",
                              ppath, g->table_sectors);
    }

  if (g->has_total && end_ok && end > g->total)
    machine_problems_add (ck->p, line,
                          "%s: ends at sector %" G_GUINT64_FORMAT
                          ", past the end of the disk (%" G_GUINT64_FORMAT " sectors of %u bytes)",
                          ppath, end - 1, g->total, g->sector);

  if (p->volume != NULL)
    check_volume (ck, d, p, ppath, g->sector);
}

static int
compare_by_start (gconstpointer a, gconstpointer b)
{
  const MachinePartition *pa = *(const MachinePartition *const *) a;
  const MachinePartition *pb = *(const MachinePartition *const *) b;

  if (pa->start != pb->start)
    return pa->start < pb->start ? -1 : 1;
  if (pa->sectors != pb->sectors)
    return pa->sectors < pb->sectors ? -1 : 1;
  return 0;
}

static gboolean
range_ok (const MachinePartition *p)
{
  guint64 end;

  return p->sectors > 0 && g_uint64_checked_add (&end, p->start, p->sectors);
}

/* Overlaps in n log n: sort by start, sweep keeping the furthest end.  An
 * extended partition contains its logical partitions by design, so it is
 * left out of the sweep and compared with the others on its own. */
static void
check_overlaps (Checker *ck, const MachineDisk *d, const MachinePartition *ext)
{
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  const MachinePartition *furthest = NULL;

  for (guint i = 0; i < d->partitions->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (d->partitions, i);
      if (p != ext && range_ok (p))
        g_ptr_array_add (sorted, (gpointer) p);
    }
  g_ptr_array_sort (sorted, compare_by_start);

  for (guint i = 0; i < sorted->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (sorted, i);

      if (furthest != NULL && p->start < furthest->start + furthest->sectors)
        {
          g_autofree char *ppath = partition_path (d, p);
          machine_problems_add (ck->p, pick_line (p->line, d->line),
                                "%s: overlaps partition %u (sectors %" G_GUINT64_FORMAT
                                "-%" G_GUINT64_FORMAT ")",
                                ppath, furthest->number, furthest->start,
                                furthest->start + furthest->sectors - 1);
        }
      if (furthest == NULL || p->start + p->sectors > furthest->start + furthest->sectors)
        furthest = p;
    }

  if (ext == NULL || !range_ok (ext))
    return;
  for (guint i = 0; i < sorted->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (sorted, i);

      if (mbr_kind (p) == MACHINE_PARTITION_KIND_LOGICAL)
        continue;
      if (p->start < ext->start + ext->sectors && ext->start < p->start + p->sectors)
        {
          g_autofree char *ppath = partition_path (d, p);
          machine_problems_add (ck->p, pick_line (p->line, d->line),
                                "%s: overlaps extended partition %u (sectors %" G_GUINT64_FORMAT
                                "-%" G_GUINT64_FORMAT ")",
                                ppath, ext->number, ext->start, ext->start + ext->sectors - 1);
        }
    }
}

static void
disk_geometry (Checker *ck, const MachineDisk *d, const char *dpath, DiskGeometry *g)
{
  memset (g, 0, sizeof *g);
  g->sector = machine_disk_sector_size (d);
  g->has_total = d->has_bytes;
  g->total = d->has_bytes ? d->bytes / g->sector : 0;

  switch (d->ptable)
    {
    case MACHINE_PTABLE_MBR:
      g->table_sectors = 1;
      g->first_usable = 1;
      g->last_usable = g->total > 0 ? g->total - 1 : 0;
      break;
    case MACHINE_PTABLE_GPT:
      g->table_sectors = 1 + (GPT_ENTRY_ARRAY_BYTES + g->sector - 1) / g->sector;
      g->first_usable = 1 + g->table_sectors;
      if (g->has_total && g->total < 2 * g->table_sectors + 2)
        {
          machine_problems_add (ck->p, pick_line (d->ptable_line, d->line),
                                "%s: too small for a GPT (%" G_GUINT64_FORMAT " sectors)", dpath,
                                g->total);
          g->has_total = FALSE;
        }
      g->last_usable = g->has_total ? g->total - 1 - g->table_sectors : 0;
      break;
    case MACHINE_PTABLE_NONE:
    default:
      break;
    }
}

static void
check_disk (Checker *ck, const MachineDisk *d)
{
  g_autofree char *dpath = disk_path (d);
  g_autoptr (GHashTable) numbers = g_hash_table_new (g_direct_hash, g_direct_equal);
  const MachinePartition *ext = NULL;
  const MachinePartition *first = NULL;
  guint ptline = pick_line (d->ptable_line, d->line);
  DiskGeometry g;

  if (d->logical_sector != 0 && !sector_size_ok (d->logical_sector))
    machine_problems_add (ck->p, d->line,
                          "%s: logical sector size %u is not a power of two from 512 to 65536",
                          dpath, d->logical_sector);
  if (d->physical_sector != 0 && !sector_size_ok (d->physical_sector))
    machine_problems_add (ck->p, d->line,
                          "%s: physical sector size %u is not a power of two from 512 to 65536",
                          dpath, d->physical_sector);
  if (d->physical_sector != 0 && d->physical_sector < machine_disk_sector_size (d))
    machine_problems_add (ck->p, d->line,
                          "%s: physical sector size %u is smaller than the logical %u", dpath,
                          d->physical_sector, machine_disk_sector_size (d));
  for (guint i = 0; i < d->in_use->len; i++)
    {
      const MachineInUse *u = g_ptr_array_index (d->in_use, i);
      if (u->reason == NULL || *u->reason == '\0')
        machine_problems_add (ck->p, d->line, "%s/in-use: without a reason", dpath);
    }

  switch (d->ptable)
    {
    case MACHINE_PTABLE_NONE:
      if (d->signature != NULL || d->guid != NULL)
        machine_problems_add (ck->p, d->line,
                              "%s: a disk signature or GUID without a partition table", dpath);
      if (d->partitions->len > 0)
        machine_problems_add (ck->p, d->line, "%s: partitions without a partition-table", dpath);
      if (d->ptable_unreadable != NULL)
        machine_problems_add (ck->p, d->line, "%s: an unreadable partition table without its type",
                              dpath);
      break;
    case MACHINE_PTABLE_MBR:
      if (d->guid != NULL)
        machine_problems_add (ck->p, ptline, "%s/partition-table: a GPT disk GUID on an MBR disk",
                              dpath);
      if (d->signature != NULL && !machine_is_mbr_signature (d->signature))
        machine_problems_add (ck->p, ptline,
                              "%s/partition-table: signature '%s' is not 0x and 8 lowercase hex "
                              "digits",
                              dpath, d->signature);
      break;
    case MACHINE_PTABLE_GPT:
      if (d->signature != NULL)
        machine_problems_add (ck->p, ptline, "%s/partition-table: an MBR signature on a GPT disk",
                              dpath);
      if (d->guid != NULL && !machine_is_guid (d->guid))
        machine_problems_add (ck->p, ptline, "%s/partition-table: guid '%s' is not a GUID", dpath,
                              d->guid);
      break;
    default:
      break;
    }
  /* What probe could not read, it does not describe: a restore cannot
   * recreate partitions nobody could read. */
  if (d->ptable_unreadable != NULL && d->partitions->len > 0)
    machine_problems_add (ck->p, ptline,
                          "%s/partition-table: partitions recorded on an unreadable partition "
                          "table",
                          dpath);

  disk_geometry (ck, d, dpath, &g);

  for (guint i = 0; i < d->partitions->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (d->partitions, i);
      const MachinePartition *dup = g_hash_table_lookup (numbers, GUINT_TO_POINTER (p->number));

      if (dup != NULL)
        {
          g_autofree char *ppath = partition_path (d, p);
          machine_problems_add (ck->p, pick_line (p->line, d->line),
                                "%s: duplicate partition number %u on this disk", ppath, p->number);
        }
      else
        g_hash_table_insert (numbers, GUINT_TO_POINTER (p->number), (gpointer) p);

      if (d->ptable == MACHINE_PTABLE_MBR && mbr_kind (p) == MACHINE_PARTITION_KIND_EXTENDED)
        {
          if (ext != NULL)
            {
              g_autofree char *ppath = partition_path (d, p);
              machine_problems_add (ck->p, pick_line (p->line, d->line),
                                    "%s: a second extended partition (partition %u is one already)",
                                    ppath, ext->number);
            }
          else
            ext = p;
        }
      if (first == NULL || p->start < first->start)
        first = p;
    }

  for (guint i = 0; i < d->partitions->len; i++)
    check_partition (ck, d, g_ptr_array_index (d->partitions, i), ext, &g);
  check_overlaps (ck, d, ext);

  if (d->boot_area != NULL)
    {
      const MachineBootArea *ba = d->boot_area;
      guint line = pick_line (ba->line, d->line);
      g_autofree char *where = g_strdup_printf ("%s/boot-area", dpath);
      guint64 first_bytes;

      if (d->has_bytes && ba->bytes > d->bytes)
        machine_problems_add (ck->p, line, "%s: %" G_GUINT64_FORMAT " bytes, larger than the disk",
                              where, ba->bytes);
      else if (first != NULL && g_uint64_checked_mul (&first_bytes, first->start, g.sector)
               && ba->bytes > first_bytes)
        machine_problems_add (ck->p, line,
                              "%s: %" G_GUINT64_FORMAT
                              " bytes overlap partition %u (which starts at byte %" G_GUINT64_FORMAT
                              ")",
                              where, ba->bytes, first->number, first_bytes);
      if (ba->image != NULL)
        check_image_name (ck, line, where, ba->image);
      check_checksum (ck, line, where, ba->checksum);
    }
}

gboolean
machine_descriptor_check (const MachineDescriptor *m, const char *name, GError **error)
{
  g_autoptr (GHashTable) ids = NULL;
  MachineProblems problems;
  Checker ck;
  gboolean ok;

  g_return_val_if_fail (m != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (name == NULL)
    name = "(memory)";
  machine_problems_init (&problems, name);
  ck.p = &problems;
  ck.m = m;
  ck.image_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  if (m->version != MACHINE_DESCRIPTOR_VERSION)
    machine_problems_add (&problems, 0,
                          "machine: version %u is not supported (this asr reads version %d)",
                          m->version, MACHINE_DESCRIPTOR_VERSION);
  if (m->disks->len == 0)
    machine_problems_add (&problems, 0, "machine: no disks");

  ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      const MachineDisk *dup;
      g_autofree char *key = NULL;

      if (!machine_is_disk_id (d->id))
        {
          machine_problems_add (&problems, d->line,
                                "disk[id=%s]: not a disk id (letters, digits, '_', '.', '-')",
                                d->id ? d->id : "");
          continue;
        }
      /* Identifiers are compared without case (DESIGN.md). */
      key = g_ascii_strdown (d->id, -1);
      dup = g_hash_table_lookup (ids, key);
      if (dup != NULL)
        {
          if (dup->line > 0)
            machine_problems_add (&problems, d->line,
                                  "disk[id=%s]: duplicate disk id (first on line %u)", d->id,
                                  dup->line);
          else
            machine_problems_add (&problems, d->line, "disk[id=%s]: duplicate disk id", d->id);
        }
      else
        g_hash_table_insert (ids, g_steal_pointer (&key), (gpointer) d);
    }

  if (m->origin != NULL)
    {
      g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

      for (guint i = 0; i < m->origin->sources->len; i++)
        {
          const MachineSource *s = g_ptr_array_index (m->origin->sources, i);
          g_autofree char *key = s->disk ? g_ascii_strdown (s->disk, -1) : NULL;

          if (s->disk == NULL || machine_descriptor_find_disk (m, s->disk) == NULL)
            machine_problems_add (&problems, s->line, "origin/source[disk=%s]: no disk has this id",
                                  s->disk ? s->disk : "");
          else if (g_hash_table_contains (seen, key))
            machine_problems_add (&problems, s->line,
                                  "origin/source[disk=%s]: a second source for this disk", s->disk);
          else
            g_hash_table_add (seen, g_steal_pointer (&key));
        }
    }

  if (m->hardware != NULL)
    {
      const MachineHardware *h = m->hardware;

      if (h->has_cpu_count && h->cpu_count == 0)
        machine_problems_add (&problems, 0, "hardware/cpu: a count of 0");
      for (guint i = 0; i < h->controllers->len; i++)
        {
          const MachineController *c = g_ptr_array_index (h->controllers, i);
          if (c->mac != NULL && c->klass != MACHINE_CONTROLLER_NETWORK)
            machine_problems_add (&problems, c->line,
                                  "hardware/controller[%u]: a MAC address on a %s controller",
                                  i + 1, machine_controller_class_to_string (c->klass));
        }
    }

  for (guint i = 0; i < m->disks->len; i++)
    check_disk (&ck, g_ptr_array_index (m->disks, i));

  g_hash_table_unref (ck.image_names);
  ok = machine_problems_take (&problems, MACHINE_ERROR_INVALID, error);
  machine_problems_clear (&problems);
  return ok;
}
