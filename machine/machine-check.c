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

/* An image in the backup set of something @container (its size @size
 * bytes when @has_size). */
static void
check_image (Checker *ck, const MachineImage *i, const char *where, guint line,
             const char *container, gboolean has_size, guint64 size)
{
  line = pick_line (i->line, line);
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
        machine_problems_add (ck->p, line, "%s: subvolumes on a filesystem of type %s (btrfs only)",
                              vpath, v->fs ? v->fs : "unknown");
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
                                  "%s/subvolume[path=%s]: duplicate subvolume id "
                                  "%" G_GUINT64_FORMAT,
                                  vpath, sv->path ? sv->path : "", sv->id);
          if (sv->mountpoint != NULL && sv->mountpoint[0] != '/')
            machine_problems_add (ck->p, sline,
                                  "%s/subvolume[path=%s]: mountpoint '%s' is not an absolute path",
                                  vpath, sv->path ? sv->path : "", sv->mountpoint);
        }
    }
  if (i != NULL)
    {
      g_autofree char *where = g_strdup_printf ("%s/image", vpath);
      check_image (ck, i, where, line, container, has_size, size);
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

  /* A critical disk is one that holds a critical volume (asr-capture(1)). */
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

/* --- the storage stack ----------------------------------------------------- */

/* One device reference resolved, and what uses it. */
typedef struct {
  MachineDeviceRef ref;
  char *user; /* element path of the first layer on it, NULL if none */
} StackDevice;

static void
stack_device_free (StackDevice *sd)
{
  g_free (sd->user);
  g_free (sd);
}

typedef struct {
  Checker *ck;
  GHashTable *devices;    /* lowercased reference → StackDevice* */
  GHashTable *state;      /* md array or LUKS → see stack_height */
  GHashTable *disk_index; /* disk → its index in the document */
} Stack;

static void
stack_insert (Stack *st, const char *ref, MachineDisk *d, MachinePartition *p, MachineMdArray *md,
              MachineLuks *l)
{
  g_autofree char *key = g_ascii_strdown (ref, -1);
  StackDevice *sd;

  if (g_hash_table_contains (st->devices, key))
    return; /* a duplicate id, reported on its own */
  sd = g_new0 (StackDevice, 1);
  sd->ref.disk = d;
  sd->ref.partition = p;
  sd->ref.md = md;
  sd->ref.luks = l;
  g_hash_table_insert (st->devices, g_steal_pointer (&key), sd);
}

static StackDevice *
stack_lookup (Stack *st, const char *ref)
{
  g_autofree char *key = NULL;

  if (ref == NULL)
    return NULL;
  key = g_ascii_strdown (ref, -1);
  return g_hash_table_lookup (st->devices, key);
}

/* The size of a device in bytes, when known. */
static gboolean
device_bytes (const MachineDeviceRef *r, guint64 *out)
{
  if (r->partition != NULL)
    return g_uint64_checked_mul (out, r->partition->sectors, machine_disk_sector_size (r->disk));
  if (r->disk != NULL)
    {
      *out = r->disk->bytes;
      return r->disk->has_bytes;
    }
  if (r->md != NULL)
    {
      *out = r->md->bytes;
      return r->md->has_bytes;
    }
  if (r->luks != NULL)
    {
      *out = r->luks->bytes;
      return r->luks->has_bytes;
    }
  return FALSE;
}

/* A layer @user (an element path) sits on device @ref: it must exist, be
 * free to carry it, and carry nothing else. */
static StackDevice *
use_device (Stack *st, const char *user, guint line, const char *ref)
{
  StackDevice *sd = stack_lookup (st, ref);
  const MachineDeviceRef *r;

  if (sd == NULL)
    {
      machine_problems_add (st->ck->p, line,
                            "%s: device '%s' is no disk, partition, md array or LUKS container",
                            user, ref ? ref : "");
      return NULL;
    }
  r = &sd->ref;
  if (r->partition == NULL && r->disk != NULL
      && (r->disk->ptable != MACHINE_PTABLE_NONE || r->disk->partitions->len > 0))
    machine_problems_add (st->ck->p, line,
                          "%s: device '%s' is a whole disk with a partition table (name one of "
                          "its partitions, DISK/pN)",
                          user, ref);
  else if (r->partition != NULL && r->disk->ptable == MACHINE_PTABLE_MBR
           && mbr_kind (r->partition) == MACHINE_PARTITION_KIND_EXTENDED)
    machine_problems_add (st->ck->p, line, "%s: device '%s' is an extended partition", user, ref);
  if ((r->partition != NULL && r->partition->volume != NULL)
      || (r->md != NULL && r->md->volume != NULL) || (r->luks != NULL && r->luks->volume != NULL))
    machine_problems_add (st->ck->p, line,
                          "%s: device '%s' holds a volume already (a device carries one thing)",
                          user, ref);
  if (sd->user != NULL)
    machine_problems_add (st->ck->p, line,
                          "%s: device '%s' already carries %s (a device carries one thing)", user,
                          ref, sd->user);
  else
    sd->user = g_strdup (user);
  return sd;
}

static gboolean
is_power_of_two (guint64 v)
{
  return v != 0 && (v & (v - 1)) == 0;
}

/* Adds @value (without case) to @seen; a problem when it was there already. */
static void
check_unique (Stack *st, GHashTable *seen, guint line, const char *where, const char *what,
              const char *value)
{
  g_autofree char *key = NULL;

  if (value == NULL)
    return;
  key = g_ascii_strdown (value, -1);
  if (g_hash_table_contains (seen, key))
    machine_problems_add (st->ck->p, line, "%s: duplicate %s '%s'", where, what, value);
  else
    g_hash_table_add (seen, g_steal_pointer (&key));
}

static void
check_lvm_name (Stack *st, GHashTable *seen, guint line, const char *where, const char *what,
                const char *name)
{
  const char *why = machine_lvm_name_problem (name);

  if (why != NULL)
    machine_problems_add (st->ck->p, line, "%s: name '%s' is not an LVM name (%s)", where,
                          name ? name : "", why);
  else
    check_unique (st, seen, line, where, what, name);
}

static void
check_lvm_uuid (Stack *st, GHashTable *uuids, guint line, const char *where, const char *uuid)
{
  if (!machine_is_lvm_uuid (uuid))
    machine_problems_add (st->ck->p, line,
                          "%s: uuid '%s' is not an LVM UUID (32 letters and digits, dashed "
                          "6-4-4-4-4-4-6)",
                          where, uuid ? uuid : "");
  else
    check_unique (st, uuids, line, where, "LVM uuid", uuid);
}

static const struct {
  const char *level;
  guint min_members;
  gboolean striped; /* has a chunk size */
} md_levels[] = {
  /* mdadm's minimums, and what a working array of that level needs. */
  { "raid0", 2, TRUE }, { "raid1", 2, FALSE }, { "raid4", 3, TRUE },
  { "raid5", 3, TRUE }, { "raid6", 4, TRUE },  { "raid10", 2, TRUE },
};

static void
check_md_array (Stack *st, const MachineMdArray *md, GHashTable *uuids)
{
  g_autofree char *where = g_strdup_printf ("md-array[id=%s]", md->id ? md->id : "");
  g_autoptr (GHashTable) roles = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint line = md->line;
  gint level = -1;
  guint active = 0;

  if (!machine_is_md_uuid (md->uuid))
    machine_problems_add (st->ck->p, line,
                          "%s: uuid '%s' is not an md UUID (4 groups of 8 hex digits joined by "
                          "':')",
                          where, md->uuid ? md->uuid : "");
  else
    check_unique (st, uuids, line, where, "md array uuid", md->uuid);
  for (guint i = 0; i < G_N_ELEMENTS (md_levels); i++)
    if (g_strcmp0 (md->level, md_levels[i].level) == 0)
      level = (gint) i;
  if (level < 0)
    machine_problems_add (st->ck->p, line,
                          "%s: level '%s' is not one of raid0, raid1, raid4, raid5, raid6, raid10",
                          where, md->level ? md->level : "");
  if (g_strcmp0 (md->metadata, "0.90") != 0 && g_strcmp0 (md->metadata, "1.0") != 0
      && g_strcmp0 (md->metadata, "1.1") != 0 && g_strcmp0 (md->metadata, "1.2") != 0)
    machine_problems_add (st->ck->p, line, "%s: metadata '%s' is not one of 0.90, 1.0, 1.1, 1.2",
                          where, md->metadata ? md->metadata : "");
  else if (md->name != NULL && g_strcmp0 (md->metadata, "0.90") == 0)
    machine_problems_add (st->ck->p, line, "%s: a name on metadata 0.90, which has none", where);
  if (md->has_chunk_bytes)
    {
      if (level >= 0 && !md_levels[level].striped)
        machine_problems_add (st->ck->p, line, "%s: a chunk size on %s, which has none", where,
                              md->level);
      else if (!is_power_of_two (md->chunk_bytes) || md->chunk_bytes < 4096)
        machine_problems_add (st->ck->p, line,
                              "%s: chunk of %" G_GUINT64_FORMAT
                              " bytes is not a power of two of at least 4096",
                              where, md->chunk_bytes);
    }

  for (guint i = 0; i < md->members->len; i++)
    {
      const MachineMdMember *mm = g_ptr_array_index (md->members, i);
      g_autofree char *mpath
        = g_strdup_printf ("%s/member[device=%s]", where, mm->device ? mm->device : "");
      guint mline = pick_line (mm->line, line);

      StackDevice *sd = use_device (st, mpath, mline, mm->device);
      guint64 dev = 0;
      if (mm->has_data_offset && mm->data_offset % 512 != 0)
        machine_problems_add (st->ck->p, mline,
                              "%s: data-offset %" G_GUINT64_FORMAT
                              " is not a whole number of sectors",
                              mpath, mm->data_offset);
      if (mm->has_data_offset && md->has_bytes && sd != NULL && device_bytes (&sd->ref, &dev)
          && (mm->data_offset > dev || md->bytes > dev - mm->data_offset))
        machine_problems_add (st->ck->p, mline,
                              "%s: data-offset %" G_GUINT64_FORMAT
                              " and the array's %" G_GUINT64_FORMAT
                              " bytes do not fit in the member's %" G_GUINT64_FORMAT " bytes",
                              mpath, mm->data_offset, md->bytes, dev);
      if (mm->image != NULL)
        {
          g_autofree char *ipath = g_strconcat (mpath, "/image", NULL);
          check_image (st->ck, mm->image, ipath, mline, "md member", FALSE, 0);
          if (!mm->has_data_offset || mm->image->bytes != mm->data_offset)
            machine_problems_add (st->ck->p, pick_line (mm->image->line, mline),
                                  "%s: an image of the superblock area must be data-offset "
                                  "bytes",
                                  ipath);
        }
      if (mm->spare)
        continue;
      active++;
      if (g_hash_table_contains (roles, GUINT_TO_POINTER (mm->role + 1)))
        machine_problems_add (st->ck->p, mline, "%s: duplicate role %u", mpath, mm->role);
      else
        g_hash_table_add (roles, GUINT_TO_POINTER (mm->role + 1));
    }
  for (guint i = 0; i < md->members->len; i++)
    {
      const MachineMdMember *mm = g_ptr_array_index (md->members, i);
      if (!mm->spare && mm->role >= active)
        machine_problems_add (st->ck->p, pick_line (mm->line, line),
                              "%s/member[device=%s]: role %u, but the array has %u active "
                              "members (roles 0-%u)",
                              where, mm->device ? mm->device : "", mm->role, active,
                              active ? active - 1 : 0);
    }
  if (level >= 0 && active < md_levels[level].min_members)
    machine_problems_add (st->ck->p, line,
                          "%s: %s needs at least %u active members, this array has %u", where,
                          md->level, md_levels[level].min_members, active);
  if (md->volume != NULL)
    {
      g_autofree char *vpath = g_strconcat (where, "/volume", NULL);
      check_volume_at (st->ck, md->volume, vpath, line, "md array", md->has_bytes, md->bytes);
    }
}

static void
check_luks (Stack *st, const MachineLuks *l, GHashTable *uuids)
{
  g_autofree char *where = g_strdup_printf ("luks[id=%s]", l->id ? l->id : "");
  guint line = l->line;
  StackDevice *sd;
  guint64 size = l->bytes;
  gboolean has_size = l->has_bytes;

  if (!machine_is_guid (l->uuid))
    machine_problems_add (st->ck->p, line, "%s: uuid '%s' is not an RFC 4122 UUID", where,
                          l->uuid ? l->uuid : "");
  else
    check_unique (st, uuids, line, where, "LUKS uuid", l->uuid);
  if (g_strcmp0 (l->type, "luks1") != 0 && g_strcmp0 (l->type, "luks2") != 0)
    machine_problems_add (st->ck->p, line, "%s: type '%s' is not luks1 or luks2", where,
                          l->type ? l->type : "");
  sd = use_device (st, where, line, l->device);
  if (sd != NULL)
    {
      guint64 dev;
      if (device_bytes (&sd->ref, &dev))
        {
          if (has_size && size > dev)
            machine_problems_add (st->ck->p, line,
                                  "%s: %" G_GUINT64_FORMAT
                                  " bytes, larger than its device '%s' (%" G_GUINT64_FORMAT
                                  " bytes)",
                                  where, size, l->device, dev);
          else if (!has_size)
            {
              size = dev;
              has_size = TRUE;
            }
        }
    }
  if (l->image != NULL)
    {
      g_autofree char *ipath = g_strconcat (where, "/image", NULL);
      check_image (st->ck, l->image, ipath, line, "LUKS container", has_size, size);
    }
  if (l->volume != NULL)
    {
      g_autofree char *vpath = g_strconcat (where, "/volume", NULL);

      /* The container is captured whole, encrypted: a plaintext image of
       * what is inside would defeat the encryption. */
      if (l->volume->image != NULL)
        machine_problems_add (st->ck->p, pick_line (l->volume->line, line),
                              "%s: an image of the volume inside a LUKS container (the backup "
                              "never holds plaintext; the container's own image holds it)",
                              vpath);
      check_volume_at (st->ck, l->volume, vpath, line, "LUKS container", FALSE, 0);
    }
}

/* Where the first extent starts, and the image of what lies before it. */
static void
check_pv_start (Stack *st, const MachinePhysicalVolume *pv, const char *ppath, guint line)
{
  if (pv->has_pe_start && pv->has_bytes && pv->pe_start > pv->bytes)
    machine_problems_add (st->ck->p, line,
                          "%s: pe-start %" G_GUINT64_FORMAT
                          " is past the end of the physical volume (%" G_GUINT64_FORMAT " bytes)",
                          ppath, pv->pe_start, pv->bytes);
  if (pv->has_pe_start && pv->pe_start % 512 != 0)
    machine_problems_add (st->ck->p, line,
                          "%s: pe-start %" G_GUINT64_FORMAT " is not a whole number of sectors",
                          ppath, pv->pe_start);
  if (pv->image == NULL)
    return;
  g_autofree char *ipath = g_strconcat (ppath, "/image", NULL);
  check_image (st->ck, pv->image, ipath, line, "physical volume", FALSE, 0);
  if (!pv->has_pe_start)
    machine_problems_add (st->ck->p, pick_line (pv->image->line, line),
                          "%s: an image of the label and metadata area without pe-start", ipath);
  else if (pv->image->bytes != pv->pe_start)
    machine_problems_add (st->ck->p, pick_line (pv->image->line, line),
                          "%s: %" G_GUINT64_FORMAT
                          " bytes, but the label and metadata area is pe-start, %" G_GUINT64_FORMAT
                          " bytes",
                          ipath, pv->image->bytes, pv->pe_start);
}

/* Extents of a physical volume in use by a segment, for the overlap check. */
typedef struct {
  const char *pv;
  guint64 first, count;
  const char *lv;
  guint line;
} ExtentUse;

static gint
compare_extent_use (gconstpointer a, gconstpointer b)
{
  const ExtentUse *x = a, *y = b;
  int c = g_ascii_strcasecmp (x->pv, y->pv);
  if (c != 0)
    return c;
  return x->first < y->first ? -1 : x->first > y->first ? 1 : 0;
}

/* Segments, when recorded, cover the LV from extent 0 without gaps, each
 * on a physical volume of this group and inside it. */
static void
check_lv_segments (Stack *st, const MachineVolumeGroup *vg, const MachineLogicalVolume *lv,
                   const char *lpath, guint line, guint64 extent, GArray *used)
{
  guint64 next = 0;

  if (lv->segments->len == 0)
    return;
  for (guint i = 0; i < lv->segments->len; i++)
    {
      const MachineLvSegment *seg = g_ptr_array_index (lv->segments, i);
      g_autofree char *spath = g_strdup_printf ("%s/segment[start-extent=%" G_GUINT64_FORMAT "]",
                                                lpath, seg->start_extent);
      guint sline = pick_line (seg->line, line);
      const MachinePhysicalVolume *on = NULL;
      guint64 end;

      if (seg->start_extent != next)
        machine_problems_add (st->ck->p, sline,
                              "%s: starts at extent %" G_GUINT64_FORMAT
                              ", the previous segment ends at %" G_GUINT64_FORMAT,
                              spath, seg->start_extent, next);
      if (seg->extents == 0)
        machine_problems_add (st->ck->p, sline, "%s: a segment of 0 extents", spath);
      if (!g_uint64_checked_add (&next, seg->start_extent, seg->extents))
        {
          machine_problems_add (st->ck->p, sline, "%s: extents past 2^64", spath);
          return;
        }
      for (guint k = 0; seg->pv && k < vg->pvs->len; k++)
        {
          const MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, k);
          if (pv->uuid && g_ascii_strcasecmp (pv->uuid, seg->pv) == 0)
            on = pv;
        }
      if (on == NULL)
        {
          machine_problems_add (st->ck->p, sline,
                                "%s: pv '%s' is not a physical volume of the group", spath,
                                seg->pv ? seg->pv : "");
          continue;
        }
      if (!g_uint64_checked_add (&end, seg->pv_extent, seg->extents))
        {
          /* a range that cannot be printed as FIRST-LAST */
          machine_problems_add (st->ck->p, sline,
                                "%s: extents from %" G_GUINT64_FORMAT " of pv %s run past 2^64",
                                spath, seg->pv_extent, on->uuid);
          continue;
        }
      if (seg->extents > 0 && on->has_bytes && on->has_pe_start && on->pe_start <= on->bytes
          && end > (on->bytes - on->pe_start) / extent)
        machine_problems_add (st->ck->p, sline,
                              "%s: extents %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                              " of pv %s, which has %" G_GUINT64_FORMAT,
                              spath, seg->pv_extent, end - 1, on->uuid,
                              (on->bytes - on->pe_start) / extent);
      ExtentUse u = { on->uuid, seg->pv_extent, seg->extents, lv->name ? lv->name : "", sline };
      g_array_append_val (used, u);
    }
  if (next != G_MAXUINT64 && lv->bytes / extent != next)
    machine_problems_add (st->ck->p, line,
                          "%s: its segments hold %" G_GUINT64_FORMAT
                          " extents, its size is %" G_GUINT64_FORMAT,
                          lpath, next, lv->bytes / extent);
}

/* No two segments on the same extents: sorted, each starts after the
 * previous one on its PV ends. */
static void
check_extent_overlaps (Stack *st, const char *where, guint line, GArray *used)
{
  g_array_sort (used, compare_extent_use);
  for (guint i = 1; i < used->len; i++)
    {
      const ExtentUse *a = &g_array_index (used, ExtentUse, i - 1);
      const ExtentUse *b = &g_array_index (used, ExtentUse, i);
      guint64 a_end;
      if (!g_uint64_checked_add (&a_end, a->first, a->count))
        a_end = G_MAXUINT64;
      if (g_ascii_strcasecmp (a->pv, b->pv) == 0 && a_end > b->first)
        machine_problems_add (st->ck->p, pick_line (b->line, line),
                              "%s: lv %s and lv %s share extent %" G_GUINT64_FORMAT " of pv %s",
                              where, a->lv, b->lv, b->first, b->pv);
    }
}

static void
check_volume_group (Stack *st, const MachineVolumeGroup *vg, GHashTable *names, GHashTable *uuids)
{
  g_autofree char *where = g_strdup_printf ("volume-group[name=%s]", vg->name ? vg->name : "");
  g_autoptr (GHashTable) lv_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint line = vg->line;
  guint64 extent = vg->extent_bytes;
  gboolean extent_ok;
  gboolean all_sizes = TRUE;
  guint64 pv_extents = 0;
  guint64 lv_extents = 0;
  g_autoptr (GArray) used = g_array_new (FALSE, FALSE, sizeof (ExtentUse));

  check_lvm_name (st, names, line, where, "volume group name", vg->name);
  check_lvm_uuid (st, uuids, line, where, vg->uuid);
  /* vgcreate -s: a power of two of at least a sector, or a multiple of
   * 128 KiB. */
  extent_ok = extent >= 512 && extent % 512 == 0
              && (is_power_of_two (extent) || extent % (128 * 1024) == 0);
  if (!extent_ok)
    machine_problems_add (st->ck->p, line,
                          "%s: extent of %" G_GUINT64_FORMAT
                          " bytes (a power of two from 512, or a multiple of 128 KiB)",
                          where, extent);
  if (vg->metadata_file != NULL)
    {
      g_autofree char *mpath = g_strconcat (where, "/metadata", NULL);
      guint mline = pick_line (vg->metadata_line, line);
      check_image_name (st->ck, mline, mpath, vg->metadata_file);
      check_checksum (st->ck, mline, mpath, vg->metadata_checksum);
    }
  if (vg->pvs->len == 0)
    machine_problems_add (st->ck->p, line, "%s: no physical volume", where);

  for (guint i = 0; i < vg->pvs->len; i++)
    {
      const MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, i);
      g_autofree char *ppath
        = g_strdup_printf ("%s/pv[device=%s]", where, pv->device ? pv->device : "");
      guint pline = pick_line (pv->line, line);
      StackDevice *sd;
      guint64 dev;

      check_lvm_uuid (st, uuids, pline, ppath, pv->uuid);
      sd = use_device (st, ppath, pline, pv->device);
      check_pv_start (st, pv, ppath, pline);
      if (!pv->has_bytes)
        {
          all_sizes = FALSE;
          continue;
        }
      if (sd != NULL && device_bytes (&sd->ref, &dev) && pv->bytes > dev)
        machine_problems_add (st->ck->p, pline,
                              "%s: %" G_GUINT64_FORMAT
                              " bytes, larger than its device (%" G_GUINT64_FORMAT " bytes)",
                              ppath, pv->bytes, dev);
      if (extent_ok)
        pv_extents += pv->bytes / extent;
    }

  for (guint i = 0; i < vg->lvs->len; i++)
    {
      const MachineLogicalVolume *lv = g_ptr_array_index (vg->lvs, i);
      g_autofree char *lpath = g_strdup_printf ("%s/lv[name=%s]", where, lv->name ? lv->name : "");
      guint lline = pick_line (lv->line, line);

      check_lvm_name (st, lv_names, lline, lpath, "logical volume name", lv->name);
      check_lvm_uuid (st, uuids, lline, lpath, lv->uuid);
      /* Thin pools, snapshots, caches and RAID LVs are refused at
       * capture: restore recreates plain segments only. */
      if (lv->segtype != NULL && strcmp (lv->segtype, "linear") != 0
          && strcmp (lv->segtype, "striped") != 0)
        machine_problems_add (st->ck->p, lline,
                              "%s: segment type '%s' is not one asr restores (linear, striped)",
                              lpath, lv->segtype);
      if (lv->bytes == 0)
        machine_problems_add (st->ck->p, lline, "%s: a logical volume of 0 bytes", lpath);
      else if (extent_ok && lv->bytes % extent != 0)
        machine_problems_add (st->ck->p, lline,
                              "%s: %" G_GUINT64_FORMAT
                              " bytes is not a whole number of extents (%" G_GUINT64_FORMAT
                              " bytes)",
                              lpath, lv->bytes, extent);
      if (extent_ok)
        lv_extents += (lv->bytes + extent - 1) / extent;
      if (extent_ok)
        check_lv_segments (st, vg, lv, lpath, lline, extent, used);
      if (lv->volume != NULL)
        {
          g_autofree char *vpath = g_strconcat (lpath, "/volume", NULL);
          check_volume_at (st->ck, lv->volume, vpath, lline, "logical volume", TRUE, lv->bytes);
        }
    }
  if (used->len > 1)
    check_extent_overlaps (st, where, line, used);
  if (extent_ok && all_sizes && vg->pvs->len > 0 && lv_extents > pv_extents)
    machine_problems_add (st->ck->p, line,
                          "%s: its logical volumes need %" G_GUINT64_FORMAT
                          " extents, its physical volumes hold %" G_GUINT64_FORMAT,
                          where, lv_extents, pv_extents);
}

/* Layers of md arrays and LUKS containers one on another: real machines
 * have two at most (LUKS on md); the bound keeps every walk of the stack
 * short and its recursion shallow, whatever a file says. */
#define STACK_MAX_LAYERS 8
#define STACK_LOOP (-1)
#define STACK_TOO_DEEP (-2)

/* The number of md and LUKS layers under and including @r (0 for a disk
 * or partition), STACK_LOOP when the references loop, STACK_TOO_DEEP
 * beyond STACK_MAX_LAYERS.  Depth-first; each node's height is kept
 * (state: 1 while visited, height + 2 once done), so each is visited
 * once. */
static gint
stack_height (Stack *st, const MachineDeviceRef *r, guint depth)
{
  gpointer node = r->md ? (gpointer) r->md : (gpointer) r->luks;
  guint state;
  gint height = 0;
  guint n;

  if (node == NULL)
    return 0;
  state = GPOINTER_TO_UINT (g_hash_table_lookup (st->state, node));
  if (state == 1)
    return STACK_LOOP;
  if (state >= 2)
    return (gint) state - 2;
  if (depth >= STACK_MAX_LAYERS)
    return STACK_TOO_DEEP;
  g_hash_table_insert (st->state, node, GUINT_TO_POINTER (1));
  n = r->md ? r->md->members->len : 1;
  for (guint i = 0; i < n; i++)
    {
      const char *ref = r->md ? ((MachineMdMember *) g_ptr_array_index (r->md->members, i))->device
                              : r->luks->device;
      StackDevice *sd = stack_lookup (st, ref);
      gint h = sd ? stack_height (st, &sd->ref, depth + 1) : 0;

      if (h < 0)
        return h;
      height = MAX (height, h);
    }
  height++;
  if (height > STACK_MAX_LAYERS)
    return STACK_TOO_DEEP;
  g_hash_table_insert (st->state, node, GUINT_TO_POINTER ((guint) height + 2));
  return height;
}

/* The disks under device @ref, into @disks (a set).  Only called once the
 * references are known not to loop and to be at most STACK_MAX_LAYERS
 * deep. */
static void
disks_under (Stack *st, const char *ref, GHashTable *disks, GHashTable *seen)
{
  StackDevice *sd = stack_lookup (st, ref);
  const MachineDeviceRef *r;

  if (sd == NULL)
    return;
  r = &sd->ref;
  if (r->disk != NULL)
    {
      g_hash_table_add (disks, r->disk);
      return;
    }
  if (!g_hash_table_add (seen, r->md ? (gpointer) r->md : (gpointer) r->luks))
    return;
  if (r->luks != NULL)
    disks_under (st, r->luks->device, disks, seen);
  else
    for (guint i = 0; i < r->md->members->len; i++)
      disks_under (st, ((MachineMdMember *) g_ptr_array_index (r->md->members, i))->device, disks,
                   seen);
}

/* Of the disks under a volume, those marked critical="no": how many, and
 * the first in document order. */
typedef struct {
  const MachineDisk *first;
  guint count;
} NonCritical;

static NonCritical
noncritical_under (Stack *st, const char *const *refs, guint n_refs)
{
  g_autoptr (GHashTable) disks = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  NonCritical nc = { NULL, 0 };
  guint first_index = 0;
  GHashTableIter it;
  gpointer key;

  for (guint i = 0; i < n_refs; i++)
    disks_under (st, refs[i], disks, seen);
  g_hash_table_iter_init (&it, disks);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      const MachineDisk *d = key;
      guint index = GPOINTER_TO_UINT (g_hash_table_lookup (st->disk_index, d));

      if (d->critical != MACHINE_TRISTATE_NO)
        continue;
      nc.count++;
      if (nc.first == NULL || index < first_index)
        {
          nc.first = d;
          first_index = index;
        }
    }
  return nc;
}

/* A critical disk is one that holds a critical volume: for a volume on
 * the stack, that is every disk under it.  One line per volume, naming
 * the first such disk: a group of thousands of PVs must not give
 * thousands of lines per LV. */
static void
check_critical_disks (Stack *st, const MachineVolume *v, const char *vpath, guint line,
                      const NonCritical *nc)
{
  if (nc->first == NULL)
    return;
  if (nc->count == 1)
    machine_problems_add (st->ck->p, pick_line (v->line, line),
                          "%s: a critical volume on disk %s, marked critical=\"no\" (a critical "
                          "volume's whole stack is on critical disks)",
                          vpath, nc->first->id);
  else
    machine_problems_add (st->ck->p, pick_line (v->line, line),
                          "%s: a critical volume on disk %s and %u more, marked critical=\"no\" "
                          "(a critical volume's whole stack is on critical disks)",
                          vpath, nc->first->id, nc->count - 1);
}

static gboolean
is_critical (const MachineVolume *v)
{
  return v != NULL && v->critical == MACHINE_TRISTATE_YES;
}

static void
check_stack_critical (Stack *st, const MachineDescriptor *m)
{
  for (guint i = 0; i < m->md_arrays->len + m->luks->len; i++)
    {
      const MachineMdArray *md = i < m->md_arrays->len ? g_ptr_array_index (m->md_arrays, i) : NULL;
      const MachineLuks *l = md ? NULL : g_ptr_array_index (m->luks, i - m->md_arrays->len);
      const MachineVolume *v = md ? md->volume : l->volume;
      const char *ref = md ? md->id : l->id;
      g_autofree char *vpath = NULL;
      NonCritical nc;

      if (!is_critical (v))
        continue;
      vpath = g_strdup_printf ("%s[id=%s]/volume", md ? "md-array" : "luks", ref ? ref : "");
      nc = noncritical_under (st, &ref, 1);
      check_critical_disks (st, v, vpath, md ? md->line : l->line, &nc);
    }
  for (guint i = 0; i < m->volume_groups->len; i++)
    {
      const MachineVolumeGroup *vg = g_ptr_array_index (m->volume_groups, i);
      gboolean known = FALSE;
      NonCritical nc = { NULL, 0 };

      for (guint j = 0; j < vg->lvs->len; j++)
        {
          const MachineLogicalVolume *lv = g_ptr_array_index (vg->lvs, j);
          g_autofree char *vpath = NULL;

          if (!is_critical (lv->volume))
            continue;
          /* Without the segment map, any LV may use any PV of its group:
           * the disks under all of them, found once per group. */
          if (!known)
            {
              g_autofree const char **refs = g_new0 (const char *, vg->pvs->len + 1);
              for (guint k = 0; k < vg->pvs->len; k++)
                refs[k] = ((MachinePhysicalVolume *) g_ptr_array_index (vg->pvs, k))->device;
              nc = noncritical_under (st, refs, vg->pvs->len);
              known = TRUE;
            }
          vpath = g_strdup_printf ("volume-group[name=%s]/lv[name=%s]/volume",
                                   vg->name ? vg->name : "", lv->name ? lv->name : "");
          check_critical_disks (st, lv->volume, vpath, lv->line, &nc);
        }
    }
}

static void
check_stack (Checker *ck, const MachineDescriptor *m)
{
  g_autoptr (GHashTable) uuids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Stack st = { ck, NULL, NULL, NULL };
  gboolean deep_or_loop = FALSE;

  if (m->md_arrays->len == 0 && m->luks->len == 0 && m->volume_groups->len == 0)
    return;
  st.devices
    = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) stack_device_free);
  st.state = g_hash_table_new (g_direct_hash, g_direct_equal);
  st.disk_index = g_hash_table_new (g_direct_hash, g_direct_equal);

  for (guint i = 0; i < m->disks->len; i++)
    {
      MachineDisk *d = g_ptr_array_index (m->disks, i);
      g_hash_table_insert (st.disk_index, d, GUINT_TO_POINTER (i));
      if (d->id == NULL)
        continue;
      stack_insert (&st, d->id, d, NULL, NULL, NULL);
      for (guint j = 0; j < d->partitions->len; j++)
        {
          MachinePartition *p = g_ptr_array_index (d->partitions, j);
          g_autofree char *ref = g_strdup_printf ("%s/p%u", d->id, p->number);
          stack_insert (&st, ref, d, p, NULL, NULL);
        }
    }
  /* md arrays and LUKS containers are named like disks, in the same
   * namespace: a reference must name one thing. */
  for (guint i = 0; i < m->md_arrays->len + m->luks->len; i++)
    {
      MachineMdArray *md = i < m->md_arrays->len ? g_ptr_array_index (m->md_arrays, i) : NULL;
      MachineLuks *l = md ? NULL : g_ptr_array_index (m->luks, i - m->md_arrays->len);
      const char *id = md ? md->id : l->id;
      g_autofree char *where = md ? g_strdup_printf ("md-array[id=%s]", id ? id : "")
                                  : g_strdup_printf ("luks[id=%s]", id ? id : "");
      guint line = md ? md->line : l->line;

      if (!machine_is_disk_id (id))
        machine_problems_add (ck->p, line, "%s: not an id (letters, digits, '_', '.', '-')", where);
      else if (stack_lookup (&st, id) != NULL)
        machine_problems_add (ck->p, line,
                              "%s: duplicate id (disks, md arrays and LUKS containers share ids)",
                              where);
      else
        stack_insert (&st, id, NULL, NULL, md, l);
    }

  for (guint i = 0; i < m->md_arrays->len + m->luks->len; i++)
    {
      MachineDeviceRef r = { 0 };
      const char *id;
      guint line;
      gint height;

      if (i < m->md_arrays->len)
        {
          r.md = g_ptr_array_index (m->md_arrays, i);
          id = r.md->id;
          line = r.md->line;
        }
      else
        {
          r.luks = g_ptr_array_index (m->luks, i - m->md_arrays->len);
          id = r.luks->id;
          line = r.luks->line;
        }
      height = stack_height (&st, &r, 0);
      if (height == STACK_LOOP)
        machine_problems_add (ck->p, line, "%s[id=%s]: sits on itself (its device references loop)",
                              r.md ? "md-array" : "luks", id ? id : "");
      else if (height == STACK_TOO_DEEP)
        machine_problems_add (ck->p, line,
                              "%s[id=%s]: more than %d md arrays and LUKS containers on one "
                              "another",
                              r.md ? "md-array" : "luks", id ? id : "", STACK_MAX_LAYERS);
      if (height < 0)
        {
          deep_or_loop = TRUE;
          break;
        }
    }

  for (guint i = 0; i < m->md_arrays->len; i++)
    check_md_array (&st, g_ptr_array_index (m->md_arrays, i), uuids);
  for (guint i = 0; i < m->luks->len; i++)
    check_luks (&st, g_ptr_array_index (m->luks, i), uuids);
  for (guint i = 0; i < m->volume_groups->len; i++)
    check_volume_group (&st, g_ptr_array_index (m->volume_groups, i), names, uuids);
  if (!deep_or_loop)
    check_stack_critical (&st, m);

  g_hash_table_unref (st.devices);
  g_hash_table_unref (st.state);
  g_hash_table_unref (st.disk_index);
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
      /* Identifiers are compared without case (asr-machine(5)). */
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
  check_stack (&ck, m);

  g_hash_table_unref (ck.image_names);
  ok = machine_problems_take (&problems, MACHINE_ERROR_INVALID, error);
  machine_problems_clear (&problems);
  return ok;
}
