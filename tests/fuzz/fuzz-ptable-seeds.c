/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the seed corpus of fuzz-ptable into a directory: small disks
 * carrying the tables asr meets (primaries, an EBR chain, GPT with few and
 * with the usual 128 entries, 4096-byte sectors, a hybrid MBR), written by
 * ptable_build so they are exactly what restore writes.  Usage:
 *   fuzz-ptable-seeds DIR
 */
#include "config.h"

#include <string.h>

#include "ptable.h"
#include "fuzz-ptable.h"

#define LINUX_TYPE "0fc63daf-8483-4772-8e79-3d69d8477de4"
#define ESP_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"

/* One partition: MBR kind, type and EBR, or the GPT type GUID and name. */
typedef struct {
  guint32 number;
  PtableKind kind;
  guint64 start, sectors;
  guint8 mbr_type;
  guint64 ebr_sector;
  const char *type_guid;
  const char *name;
} Part;

typedef struct {
  const char *file;
  PtableType type;
  guint32 sector_size;
  guint32 gpt_entries;
  guint64 disk_sectors;
  gboolean hybrid; /* a second MBR entry beside the 0xEE one */
  Part parts[6];   /* up to the first with number 0 */
} Seed;

static const Seed seeds[] = {
  { "mbr-empty", PTABLE_TYPE_MBR, 512, 0, 16, FALSE, { { 0 } } },
  { "mbr-primaries",
    PTABLE_TYPE_MBR,
    512,
    0,
    40,
    FALSE,
    { { 1, PTABLE_KIND_PRIMARY, 2, 10, 0x83 }, { 2, PTABLE_KIND_PRIMARY, 12, 20, 0x82 } } },
  { "mbr-logicals",
    PTABLE_TYPE_MBR,
    512,
    0,
    48,
    FALSE,
    { { 1, PTABLE_KIND_PRIMARY, 2, 6, 0x83 },
      { 2, PTABLE_KIND_EXTENDED, 8, 40, 0x05 },
      { 5, PTABLE_KIND_LOGICAL, 10, 6, 0x83, 8 },
      { 6, PTABLE_KIND_LOGICAL, 18, 6, 0x82, 16 },
      { 7, PTABLE_KIND_LOGICAL, 26, 20, 0x07, 24 } } },
  { "gpt-4-entries",
    PTABLE_TYPE_GPT,
    512,
    4,
    20,
    FALSE,
    { { 1, 0, 4, 4, 0, 0, ESP_TYPE, "EFI system" },
      { 2, 0, 8, 8, 0, 0, LINUX_TYPE, "root \u00e9t\u00e9" } } },
  { "gpt-128-entries",
    PTABLE_TYPE_GPT,
    512,
    128,
    100,
    FALSE,
    { { 1, 0, 34, 8, 0, 0, ESP_TYPE, "EFI" }, { 3, 0, 42, 20, 0, 0, LINUX_TYPE, "root" } } },
  { "gpt-4096",
    PTABLE_TYPE_GPT,
    4096,
    4,
    10,
    FALSE,
    { { 1, 0, 3, 2, 0, 0, ESP_TYPE, "esp" }, { 2, 0, 5, 3, 0, 0, LINUX_TYPE, "root" } } },
  { "gpt-hybrid",
    PTABLE_TYPE_GPT,
    512,
    4,
    16,
    TRUE,
    { { 1, 0, 4, 4, 0, 0, ESP_TYPE, "esp" }, { 2, 0, 8, 4, 0, 0, LINUX_TYPE, "root" } } },
};

static PtableTable *
seed_table (const Seed *s)
{
  PtableTable *t = ptable_table_new (s->type, s->sector_size);

  t->mbr_signature = 0x1234abcd;
  if (s->type == PTABLE_TYPE_GPT)
    {
      g_strlcpy (t->disk_guid, "5a4b3c2d-1e0f-4a5b-8c7d-6e5f4a3b2c1d", sizeof t->disk_guid);
      t->mbr_signature = 0;
      t->entry_count = s->gpt_entries;
      t->entry_size = 128;
      t->entries_lba = 2;
      t->first_usable_lba = 2 + (s->gpt_entries * 128u + s->sector_size - 1) / s->sector_size;
    }
  for (const Part *q = s->parts; q < s->parts + G_N_ELEMENTS (s->parts) && q->number; q++)
    {
      PtablePartition *p = ptable_partition_new ();
      p->number = q->number;
      p->kind = q->kind;
      p->start_sector = q->start;
      p->sectors = q->sectors;
      p->mbr_type = q->mbr_type;
      p->ebr_sector = q->ebr_sector;
      p->bootable = s->type == PTABLE_TYPE_MBR && q->number == 1;
      if (q->type_guid)
        {
          g_strlcpy (p->type_guid, q->type_guid, sizeof p->type_guid);
          g_snprintf (p->guid, sizeof p->guid, "1111%04x-2222-4333-8444-555555555555", q->number);
          g_free (p->name);
          p->name = g_strdup (q->name);
          p->attributes = q->number == 1 ? 0x8000000000000001ull : 0;
        }
      ptable_table_add_partition (t, p);
    }
  return t;
}

/* Byte 0 (the sector size), then the disk with the seed's table on it. */
static void
write_seed (const char *dir, const Seed *s)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtableTable) t = seed_table (s);
  guint32 ss = s->sector_size;
  gsize len = 1 + s->disk_sectors * ss;
  g_autofree guint8 *buf = g_malloc0 (len);
  g_autoptr (PtableWrites) w = ptable_build (t, s->disk_sectors * ss, ss, &error);
  g_autofree char *path = g_build_filename (dir, s->file, NULL);

  if (w == NULL)
    g_error ("%s: %s", s->file, error->message);
  /* GPT seeds ask for their CRCs to be fixed: what is mutated from them
   * then gets past the CRC checks. */
  buf[0] = (ss == 4096 ? 1 : 0) | (s->type == PTABLE_TYPE_GPT ? 2 : 0);
  g_assert (FUZZ_PTABLE_SECTOR_SIZE (buf[0]) == ss);
  for (guint i = 0; i < w->writes->len; i++)
    {
      const PtableWrite *pw = g_ptr_array_index (w->writes, i);
      gsize n;
      const guint8 *p = g_bytes_get_data (pw->data, &n);
      memcpy (buf + 1 + pw->offset, p, n);
    }
  if (s->hybrid)
    {
      guint8 *e = buf + 1 + 446 + 16;
      e[4] = 0x83;
      e[8] = 8;  /* start LBA 8 */
      e[12] = 4; /* 4 sectors */
    }
  if (!g_file_set_contents (path, (const char *) buf, len, &error))
    g_error ("%s", error->message);
}

int
main (int argc, char **argv)
{
  if (argc != 2)
    g_error ("usage: %s DIR", argv[0]);
  if (g_mkdir_with_parents (argv[1], 0755) != 0)
    g_error ("%s: cannot create", argv[1]);
  for (guint i = 0; i < G_N_ELEMENTS (seeds); i++)
    write_seed (argv[1], &seeds[i]);
  return 0;
}
