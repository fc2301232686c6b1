/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Partition-table reader and writer on in-memory disks: round trips
 * (build → apply → read → equal) and hostile tables, each asserting the
 * specific error or warning.
 */
#include "config.h"

#include <string.h>

#include "ptable.h"

#define ESP_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define LINUX_TYPE "0fc63daf-8483-4772-8e79-3d69d8477de4"
#define BIOS_BOOT_TYPE "21686148-6449-6e6f-744e-656564454649"
#define DISK_GUID "5a4b3c2d-1e0f-4a5b-8c7d-6e5f4a3b2c1d"

/* ---- an in-memory disk ---------------------------------------------- */

typedef struct {
  guint8 *buf;
  gsize len;
  guint32 ss;
} Disk;

static Disk *
disk_new (guint64 sectors, guint32 ss)
{
  Disk *d = g_new0 (Disk, 1);
  d->len = sectors * ss;
  d->ss = ss;
  d->buf = g_malloc0 (d->len);
  return d;
}

static void
disk_free (Disk *d)
{
  if (d == NULL)
    return;
  g_free (d->buf);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Disk, disk_free)

static guint8 *
sec (Disk *d, guint64 lba)
{
  g_assert_cmpuint ((lba + 1) * d->ss, <=, d->len);
  return d->buf + lba * d->ss;
}

static PtableTable *
disk_read_as (Disk *d, guint32 ss, GError **error)
{
  PtableReader r;
  ptable_reader_init_buffer (&r, d->buf, d->len, ss);
  return ptable_read (&r, error);
}

static PtableTable *
disk_read (Disk *d, GError **error)
{
  return disk_read_as (d, d->ss, error);
}

static void
disk_apply (Disk *d, const PtableWrites *w)
{
  for (guint i = 0; i < w->writes->len; i++)
    {
      const PtableWrite *pw = g_ptr_array_index (w->writes, i);
      gsize n;
      const guint8 *p = g_bytes_get_data (pw->data, &n);
      g_assert_cmpuint (pw->offset + n, <=, d->len);
      memcpy (d->buf + pw->offset, p, n);
    }
}

static void
disk_build (Disk *d, const PtableTable *t)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtableWrites) w = ptable_build (t, d->len, d->ss, &error);
  g_assert_no_error (error);
  g_assert_nonnull (w);
  disk_apply (d, w);
}

static void
put32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static void
put64 (guint8 *p, guint64 v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint64
get64 (const guint8 *p)
{
  return get32 (p) | (guint64) get32 (p + 4) << 32;
}

/* A raw MBR-style entry in the given sector (0 or an EBR). */
static void
raw_entry (Disk *d, guint64 lba, int slot, guint8 boot, guint8 type, guint32 start, guint32 size)
{
  guint8 *e = sec (d, lba) + 446 + 16 * slot;
  e[0] = boot;
  e[4] = type;
  put32 (e + 8, start);
  put32 (e + 12, size);
  sec (d, lba)[510] = 0x55;
  sec (d, lba)[511] = 0xaa;
}

/* ---- table construction --------------------------------------------- */

static PtablePartition *
mbr_part (guint32 number, PtableKind kind, guint64 start, guint64 sectors, guint8 type,
          gboolean bootable)
{
  PtablePartition *p = ptable_partition_new ();
  p->number = number;
  p->kind = kind;
  p->start_sector = start;
  p->sectors = sectors;
  p->mbr_type = type;
  p->bootable = bootable;
  return p;
}

static PtablePartition *
gpt_part (guint32 number, guint64 start, guint64 sectors, const char *type, const char *guid,
          const char *name, guint64 attributes)
{
  PtablePartition *p = ptable_partition_new ();
  p->number = number;
  p->start_sector = start;
  p->sectors = sectors;
  g_strlcpy (p->type_guid, type, sizeof p->type_guid);
  g_strlcpy (p->guid, guid, sizeof p->guid);
  g_free (p->name);
  p->name = g_strdup (name);
  p->attributes = attributes;
  return p;
}

static PtableTable *
mbr_logicals_table (void)
{
  PtableTable *t = ptable_table_new (PTABLE_TYPE_MBR, 512);
  PtablePartition *p;

  t->mbr_signature = 0xdeadbeef;
  ptable_table_add_partition (t, mbr_part (1, PTABLE_KIND_PRIMARY, 2048, 4096, 0x83, TRUE));
  ptable_table_add_partition (t, mbr_part (2, PTABLE_KIND_EXTENDED, 6144, 20480, 0x0f, FALSE));
  p = mbr_part (5, PTABLE_KIND_LOGICAL, 8192, 2048, 0x83, FALSE);
  p->ebr_sector = 6144;
  ptable_table_add_partition (t, p);
  p = mbr_part (6, PTABLE_KIND_LOGICAL, 12288, 4096, 0x82, FALSE);
  p->ebr_sector = 10240;
  ptable_table_add_partition (t, p);
  p = mbr_part (7, PTABLE_KIND_LOGICAL, 18432, 8192, 0x07, TRUE);
  p->ebr_sector = 16384;
  ptable_table_add_partition (t, p);
  t->first_partition_start_sector = 2048;
  return t;
}

static PtableTable *
gpt_table (guint32 ss)
{
  PtableTable *t = ptable_table_new (PTABLE_TYPE_GPT, ss);
  guint64 unit = ss == 512 ? 1 : 8; /* keep 1 MiB alignment in bytes */

  g_strlcpy (t->disk_guid, DISK_GUID, sizeof t->disk_guid);
  t->entry_count = 128;
  t->entry_size = 128;
  t->entries_lba = 2;
  t->first_usable_lba = ss == 512 ? 34 : 6;
  ptable_table_add_partition (t, gpt_part (1, 2048 / unit, 2048 / unit, BIOS_BOOT_TYPE,
                                           "11111111-2222-4333-8444-555555555555", "bios",
                                           0x8000000000000000ull));
  ptable_table_add_partition (t, gpt_part (2, 4096 / unit, 8192 / unit, ESP_TYPE,
                                           "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
                                           "EFI System Partition", 0x1));
  /* 36 UTF-16 units: no terminator on disk; and a non-BMP character */
  ptable_table_add_partition (t, gpt_part (4, 12288 / unit, 4096 / unit, LINUX_TYPE,
                                           "01234567-89ab-4def-8123-456789abcdef",
                                           "root-\xf0\x9f\x90\xa7-0123456789abcdefghijklmnopqr",
                                           0xffffffffffffffffull));
  t->first_partition_start_sector = 2048 / unit;
  return t;
}

static void
assert_same (const PtableTable *a, const PtableTable *b)
{
  g_autofree char *diff = ptable_table_diff (a, b);
  g_assert_cmpstr (diff, ==, NULL);
}

static void
assert_no_warnings (const PtableTable *t)
{
  if (t->warnings->len > 0)
    g_assert_cmpstr (((PtableWarning *) g_ptr_array_index (t->warnings, 0))->message, ==, NULL);
}

static void
assert_warning (const PtableTable *t, PtableWarningCode code, const char *substring)
{
  for (guint i = 0; i < t->warnings->len; i++)
    {
      const PtableWarning *w = g_ptr_array_index (t->warnings, i);
      if (w->code == code)
        {
          if (strstr (w->message, substring) == NULL)
            g_assert_cmpstr (w->message, ==, substring);
          return;
        }
    }
  g_error ("no %s warning", ptable_warning_code_to_string (code));
}

#define assert_read_error(disk, code, substring)            \
  G_STMT_START                                              \
  {                                                         \
    g_autoptr (GError) err_ = NULL;                         \
    g_autoptr (PtableTable) t_ = disk_read ((disk), &err_); \
    g_assert_null (t_);                                     \
    g_assert_error (err_, PTABLE_ERROR, (code));            \
    if (strstr (err_->message, (substring)) == NULL)        \
      g_assert_cmpstr (err_->message, ==, (substring));     \
  }                                                         \
  G_STMT_END

#define assert_build_error(table, bytes, ss, code, substring)                   \
  G_STMT_START                                                                  \
  {                                                                             \
    g_autoptr (GError) err_ = NULL;                                             \
    g_autoptr (PtableWrites) w_ = ptable_build ((table), (bytes), (ss), &err_); \
    g_assert_null (w_);                                                         \
    g_assert_error (err_, PTABLE_ERROR, (code));                                \
    if (strstr (err_->message, (substring)) == NULL)                            \
      g_assert_cmpstr (err_->message, ==, (substring));                         \
  }                                                                             \
  G_STMT_END

/* ---- basics --------------------------------------------------------- */

static void
test_crc32 (void)
{
  g_assert_cmphex (ptable_crc32 ("123456789", 9), ==, 0xcbf43926);
  g_assert_cmphex (ptable_crc32 ("", 0), ==, 0);
}

static void
test_guid (void)
{
  static const guint8 esp[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                  0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };
  guint8 raw[16];
  char text[37];

  ptable_guid_to_string (esp, text);
  g_assert_cmpstr (text, ==, ESP_TYPE);
  g_assert_true (ptable_guid_from_string ("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", raw));
  g_assert_cmpmem (raw, 16, esp, 16);
  g_assert_false (ptable_guid_from_string ("{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}", raw));
  g_assert_false (ptable_guid_from_string ("c12a7328f81f-11d2-ba4b-00a0c93ec93b0", raw));
  g_assert_false (ptable_guid_from_string ("c12a7328-f81f-11d2-ba4b-00a0c93ec93g", raw));
  g_assert_false (ptable_guid_from_string ("", raw));
  g_assert_false (ptable_guid_from_string (NULL, raw));
}

static void
test_strings (void)
{
  PtableType type;
  PtableKind kind;

  g_assert_cmpstr (ptable_type_to_string (PTABLE_TYPE_GPT), ==, "gpt");
  g_assert_true (ptable_type_from_string ("mbr", &type));
  g_assert_cmpint (type, ==, PTABLE_TYPE_MBR);
  g_assert_false (ptable_type_from_string ("MBR", &type));
  g_assert_true (ptable_kind_from_string ("logical", &kind));
  g_assert_cmpint (kind, ==, PTABLE_KIND_LOGICAL);
  g_assert_false (ptable_kind_from_string ("", &kind));
  g_assert_cmpstr (ptable_kind_to_string (PTABLE_KIND_NONE), ==, NULL);
}

/* ---- none ----------------------------------------------------------- */

static void
test_none_empty (void)
{
  g_autoptr (Disk) d = disk_new (64, 512);
  g_autoptr (GError) error = NULL;
  g_autoptr (PtableTable) t = disk_read (d, &error);

  g_assert_no_error (error);
  g_assert_cmpint (t->type, ==, PTABLE_TYPE_NONE);
  g_assert_cmpuint (t->partitions->len, ==, 0);
  assert_no_warnings (t);
}

static void
test_none_bad_signature (void)
{
  g_autoptr (Disk) d = disk_new (64, 512);
  g_autoptr (GError) error = NULL;
  g_autoptr (PtableTable) t = NULL;

  raw_entry (d, 0, 0, 0x80, 0x83, 2, 10);
  sec (d, 0)[511] = 0xab;
  t = disk_read (d, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->type, ==, PTABLE_TYPE_NONE);
  g_assert_cmpuint (t->partitions->len, ==, 0);
  assert_warning (t, PTABLE_WARNING_NO_MBR_SIGNATURE, "found 0x55AB");
}

static void
test_none_gpt_without_pmbr (void)
{
  g_autoptr (Disk) d = disk_new (20480, 512);
  g_autoptr (PtableTable) t = gpt_table (512);

  disk_build (d, t);
  sec (d, 0)[510] = 0;
  assert_read_error (d, PTABLE_ERROR_CORRUPT, "no protective MBR");
}

static void
test_too_small (void)
{
  g_autoptr (Disk) d = disk_new (1, 512);
  d->len = 100;
  assert_read_error (d, PTABLE_ERROR_TOO_SMALL,
                     "the disk (100 bytes) is smaller than one sector (512 bytes)");
}

static void
test_bad_sector_size (void)
{
  g_autoptr (Disk) d = disk_new (8, 512);
  g_autoptr (GError) error = NULL;
  g_autoptr (PtableTable) t = disk_read_as (d, 1000, &error);

  g_assert_null (t);
  g_assert_error (error, PTABLE_ERROR, PTABLE_ERROR_SECTOR_SIZE);
}

static gboolean
failing_pread (void *opaque, void *buf, gsize len, guint64 offset, GError **error)
{
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "injected failure");
  return FALSE;
}

static void
test_read_io_error (void)
{
  PtableReader r = { failing_pread, NULL, 1 << 20, 512 };
  g_autoptr (GError) error = NULL;
  g_autoptr (PtableTable) t = ptable_read (&r, &error);

  g_assert_null (t);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "reading sector 0: injected failure"));
}

/* ---- MBR round trips ------------------------------------------------ */

static void
test_mbr_roundtrip_primaries (void)
{
  g_autoptr (Disk) d = disk_new (65536, 512);
  g_autoptr (PtableTable) t = ptable_table_new (PTABLE_TYPE_MBR, 512);
  g_autoptr (PtableTable) back = NULL;
  g_autoptr (GError) error = NULL;

  t->mbr_signature = 0x1234abcd;
  ptable_table_add_partition (t, mbr_part (3, PTABLE_KIND_PRIMARY, 40960, 24576, 0x0c, FALSE));
  ptable_table_add_partition (t, mbr_part (1, PTABLE_KIND_PRIMARY, 2048, 30720, 0x83, TRUE));
  ptable_table_add_partition (t, mbr_part (2, PTABLE_KIND_PRIMARY, 32768, 8192, 0x82, FALSE));
  t->first_partition_start_sector = 2048;

  /* the boot code area is not the table's: it must survive */
  memset (d->buf, 0xab, 440);
  disk_build (d, t);
  for (guint i = 0; i < 440; i++)
    g_assert_cmphex (d->buf[i], ==, 0xab);
  g_assert_cmphex (get32 (d->buf + 440), ==, 0x1234abcd);

  back = disk_read (d, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->type, ==, PTABLE_TYPE_MBR);
  g_assert_cmpuint (back->partitions->len, ==, 3);
  g_assert_cmpuint (((PtablePartition *) g_ptr_array_index (back->partitions, 0))->number, ==, 1);
  g_assert_true (ptable_table_find_partition (back, 1)->bootable);
  g_assert_false (ptable_table_find_partition (back, 2)->bootable);
  g_assert_cmpuint (back->first_partition_start_sector, ==, 2048);
  assert_same (t, back);
  assert_no_warnings (back);
}

static void
test_mbr_roundtrip_logicals (void)
{
  g_autoptr (Disk) d = disk_new (32768, 512);
  g_autoptr (PtableTable) t = mbr_logicals_table ();
  g_autoptr (PtableTable) back = NULL;
  g_autoptr (GError) error = NULL;

  disk_build (d, t);
  back = disk_read (d, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->partitions->len, ==, 5);
  g_assert_cmpint (ptable_table_find_partition (back, 2)->kind, ==, PTABLE_KIND_EXTENDED);
  g_assert_cmpint (ptable_table_find_partition (back, 7)->kind, ==, PTABLE_KIND_LOGICAL);
  g_assert_cmpuint (ptable_table_find_partition (back, 6)->ebr_sector, ==, 10240);
  g_assert_true (ptable_table_find_partition (back, 7)->bootable);
  assert_same (t, back);
  assert_no_warnings (back);

  /* link entries: relative to the extended start, type 0x05 */
  g_assert_cmphex (sec (d, 6144)[446 + 16 + 4], ==, 0x05);
  g_assert_cmpuint (get32 (sec (d, 6144) + 446 + 16 + 8), ==, 10240 - 6144);
  g_assert_cmpuint (get32 (sec (d, 10240) + 446 + 8), ==, 12288 - 10240);
}

static void
test_mbr_ebr_default_placement (void)
{
  g_autoptr (Disk) d = disk_new (32768, 512);
  g_autoptr (PtableTable) t = mbr_logicals_table ();
  g_autoptr (PtableTable) back = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < t->partitions->len; i++)
    ((PtablePartition *) g_ptr_array_index (t->partitions, i))->ebr_sector = 0;
  disk_build (d, t);
  back = disk_read (d, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ptable_table_find_partition (back, 5)->ebr_sector, ==, 6144);
  g_assert_cmpuint (ptable_table_find_partition (back, 6)->ebr_sector, ==, 12287);
  g_assert_cmpuint (ptable_table_find_partition (back, 7)->ebr_sector, ==, 18431);
  assert_same (t, back);
}

static void
test_mbr_empty_extended (void)
{
  g_autoptr (Disk) d = disk_new (32768, 512);
  g_autoptr (PtableTable) t = ptable_table_new (PTABLE_TYPE_MBR, 512);
  g_autoptr (PtableTable) back = NULL;
  g_autoptr (GError) error = NULL;

  ptable_table_add_partition (t, mbr_part (1, PTABLE_KIND_EXTENDED, 2048, 8192, 0x05, FALSE));
  t->first_partition_start_sector = 2048;
  memset (sec (d, 2048), 0x5a, 512); /* stale data where the EBR goes */
  disk_build (d, t);
  back = disk_read (d, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->partitions->len, ==, 1);
  assert_same (t, back);
}

/* ---- MBR hostile ---------------------------------------------------- */

static void
test_mbr_boot_flag (void)
{
  g_autoptr (Disk) d = disk_new (64, 512);
  raw_entry (d, 0, 0, 0x00, 0x83, 2, 10);
  raw_entry (d, 0, 2, 0x7f, 0x83, 20, 10);
  assert_read_error (d, PTABLE_ERROR_CORRUPT,
                     "MBR entry of partition 3: boot flag 0x7f is neither 0x00 nor 0x80");
}

static void
test_mbr_past_end (void)
{
  g_autoptr (Disk) d = disk_new (64, 512);
  raw_entry (d, 0, 0, 0, 0x83, 2, 10);
  raw_entry (d, 0, 2, 0, 0x83, 20, 45);
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "partition 3 ends at sector 64, past the disk end (64 sectors)");
}

static void
test_mbr_overflow32 (void)
{
  g_autoptr (Disk) d = disk_new (64, 512);
  raw_entry (d, 0, 0, 0, 0x83, 0xffffffff, 0xffffffff);
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "partition 1 ends at sector 8589934589, past the disk end");
}

static void
test_mbr_starts_at_zero (void)
{
  g_autoptr (Disk) d = disk_new (64, 512);
  raw_entry (d, 0, 0, 0, 0x83, 0, 10);
  assert_read_error (d, PTABLE_ERROR_INVALID, "partition 1 starts at sector 0");
}

static void
test_mbr_overlap (void)
{
  g_autoptr (Disk) d = disk_new (64, 512);
  raw_entry (d, 0, 0, 0, 0x83, 2, 20);
  raw_entry (d, 0, 1, 0, 0x83, 21, 10);
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "partitions 1 and 2 overlap (sectors 2-21 and 21-30)");
}

static void
test_mbr_two_extended (void)
{
  g_autoptr (Disk) d = disk_new (64, 512);
  raw_entry (d, 0, 0, 0, 0x05, 2, 20);
  raw_entry (d, 0, 3, 0, 0x0f, 30, 10);
  assert_read_error (d, PTABLE_ERROR_INVALID, "two extended partitions (1 and 4)");
}

static void
test_mbr_empty_entry (void)
{
  g_autoptr (Disk) d = disk_new (64, 512);
  g_autoptr (GError) error = NULL;
  g_autoptr (PtableTable) t = NULL;

  raw_entry (d, 0, 0, 0, 0x83, 2, 20);
  raw_entry (d, 0, 1, 0, 0x83, 30, 0);
  t = disk_read (d, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->partitions->len, ==, 1);
  assert_warning (t, PTABLE_WARNING_MBR_EMPTY_ENTRY, "MBR entry 2 has type 0x83 but 0 sectors");
}

/* extended partition at sector 100..(100+900), EBRs built by hand */
static Disk *
ebr_disk (void)
{
  Disk *d = disk_new (1024, 512);
  raw_entry (d, 0, 0, 0, 0x83, 2, 50);
  raw_entry (d, 0, 1, 0, 0x05, 100, 900);
  return d;
}

static void
test_ebr_loop_self (void)
{
  g_autoptr (Disk) d = ebr_disk ();
  raw_entry (d, 100, 0, 0, 0x83, 1, 10);
  raw_entry (d, 100, 1, 0, 0x05, 0, 20); /* links to itself */
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "EBR chain loops at sector 100 (EBR 1 points back to EBR 1)");
}

static void
test_ebr_loop_back (void)
{
  g_autoptr (Disk) d = ebr_disk ();
  raw_entry (d, 100, 0, 0, 0x83, 1, 10);
  raw_entry (d, 100, 1, 0, 0x05, 20, 20);
  raw_entry (d, 120, 0, 0, 0x83, 1, 10);
  raw_entry (d, 120, 1, 0, 0x05, 40, 20);
  raw_entry (d, 140, 0, 0, 0x83, 1, 10);
  raw_entry (d, 140, 1, 0, 0x05, 20, 20); /* back to the second */
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "EBR chain loops at sector 120 (EBR 3 points back to EBR 2)");
}

static void
test_ebr_chain_too_long (void)
{
  g_autoptr (Disk) d = disk_new (2048, 512);

  raw_entry (d, 0, 0, 0, 0x05, 100, 1900);
  for (guint i = 0; i <= PTABLE_MAX_LOGICAL; i++)
    {
      raw_entry (d, 100 + 2 * i, 0, 0, 0x83, 1, 1);
      raw_entry (d, 100 + 2 * i, 1, 0, 0x05, 2 * (i + 1), 2);
    }
  assert_read_error (d, PTABLE_ERROR_LIMIT, "EBR chain is longer than 128 logical partitions");

  /* exactly the cap is fine */
  raw_entry (d, 100 + 2 * (PTABLE_MAX_LOGICAL - 1), 1, 0, 0x00, 0, 0);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (PtableTable) t = disk_read (d, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (t->partitions->len, ==, 1 + PTABLE_MAX_LOGICAL);
    g_assert_nonnull (ptable_table_find_partition (t, 4 + PTABLE_MAX_LOGICAL));
  }
}

static void
test_ebr_logical_outside (void)
{
  g_autoptr (Disk) d = ebr_disk ();
  raw_entry (d, 100, 0, 0, 0x83, 1, 10);
  raw_entry (d, 100, 1, 0, 0x05, 20, 20);
  raw_entry (d, 120, 0, 0, 0x83, 890, 10); /* 1010..1019: past the extended */
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "logical partition 6 (sectors 1010-1019) is outside the extended "
                     "partition 2 (sectors 100-999)");
}

static void
test_ebr_logical_past_disk_end (void)
{
  g_autoptr (Disk) d = ebr_disk ();
  raw_entry (d, 100, 0, 0, 0x83, 1, 0xfffffff0);
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "partition 5 ends at sector 4294967380, past the disk end (1024 sectors)");
}

static void
test_ebr_outside_extended (void)
{
  g_autoptr (Disk) d = ebr_disk ();
  raw_entry (d, 100, 0, 0, 0x83, 1, 10);
  raw_entry (d, 100, 1, 0, 0x05, 900, 20); /* sector 1000 */
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "EBR of partition 6 at sector 1000 is outside the extended partition 2");
}

static void
test_ebr_no_signature (void)
{
  g_autoptr (Disk) d = ebr_disk ();
  raw_entry (d, 100, 0, 0, 0x83, 1, 10);
  raw_entry (d, 100, 1, 0, 0x05, 20, 20);
  sec (d, 120)[0] = 1;
  assert_read_error (d, PTABLE_ERROR_CORRUPT, "EBR at sector 120 has no 0x55AA signature");
}

static void
test_ebr_bad_link (void)
{
  g_autoptr (Disk) d = ebr_disk ();
  raw_entry (d, 100, 0, 0, 0x83, 1, 10);
  raw_entry (d, 100, 1, 0, 0x83, 20, 20);
  assert_read_error (d, PTABLE_ERROR_CORRUPT,
                     "EBR at sector 100: second entry has type 0x83, not a link");
}

static void
test_ebr_boot_flag (void)
{
  g_autoptr (Disk) d = ebr_disk ();
  raw_entry (d, 100, 0, 0x7f, 0x83, 1, 10);
  assert_read_error (d, PTABLE_ERROR_CORRUPT, "EBR entry of partition 5: boot flag 0x7f");
}

static void
test_ebr_logicals_overlap (void)
{
  g_autoptr (Disk) d = ebr_disk ();
  raw_entry (d, 100, 0, 0, 0x83, 50, 100); /* 150..249 */
  raw_entry (d, 100, 1, 0, 0x05, 10, 20);
  raw_entry (d, 110, 0, 0, 0x83, 100, 10); /* 210..219 */
  assert_read_error (d, PTABLE_ERROR_INVALID, "partitions 5 and 6 overlap");
}

static void
test_ebr_inside_logical (void)
{
  g_autoptr (Disk) d = ebr_disk ();
  raw_entry (d, 100, 0, 0, 0x83, 1, 100);  /* 101..200 */
  raw_entry (d, 100, 1, 0, 0x05, 50, 200); /* EBR at 150 */
  raw_entry (d, 150, 0, 0, 0x83, 100, 10); /* 250..259 */
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "EBR of partition 6 at sector 150 is inside partition 5");
}

static void
test_ebr_empty_with_link (void)
{
  g_autoptr (Disk) d = ebr_disk ();
  raw_entry (d, 100, 1, 0, 0x05, 20, 20);
  assert_read_error (d, PTABLE_ERROR_INVALID, "EBR at sector 100 holds no logical partition");
}

/* ---- MBR build refusals --------------------------------------------- */

static void
test_mbr_build_refusals (void)
{
  g_autoptr (PtableTable) t = mbr_logicals_table ();
  PtablePartition *p;

  /* 26624 sectors are used: one fewer is too small */
  assert_build_error (t, 26623 * 512ull, 512, PTABLE_ERROR_TOO_SMALL,
                      "partition 2 ends at sector 26623, past the end of the target "
                      "disk (26623 sectors)");
  assert_build_error (t, 26624 * 512ull, 4096, PTABLE_ERROR_SECTOR_SIZE,
                      "the table has 512-byte sectors, the target disk 4096-byte ones");

  p = (PtablePartition *) ptable_table_find_partition (t, 1);
  p->start_sector = 1ull << 32;
  assert_build_error (t, 1ull << 42, 512, PTABLE_ERROR_INVALID,
                      "partition 1: start 4294967296 does not fit the 32 bits");
  p->start_sector = 2048;

  p = (PtablePartition *) ptable_table_find_partition (t, 6);
  p->ebr_sector = 12290;
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID,
                      "the EBR of partition 6 (sector 12290) must be inside");
  p->ebr_sector = 8200;
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID,
                      "the EBR of partition 6 (sector 8200) is inside partition 5");
  p->ebr_sector = 10240;
  p->number = 8;
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID, "numbered 5, 6, ...");
  p->number = 6;

  p = (PtablePartition *) ptable_table_find_partition (t, 1);
  p->mbr_type = 0x05;
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID,
                      "partition 1: kind primary, type 0x05 is not a valid MBR entry");
  p->mbr_type = 0x83;
  p->sectors = 5000;
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID, "partitions 1 and 2 overlap");
}

/* ---- GPT round trips ------------------------------------------------ */

static void
check_gpt_roundtrip (guint32 ss, guint64 sectors)
{
  g_autoptr (Disk) d = disk_new (sectors, ss);
  g_autoptr (PtableTable) t = gpt_table (ss);
  g_autoptr (PtableTable) back = NULL;
  g_autoptr (GError) error = NULL;
  guint64 entries_sectors = 128 * 128 / ss;

  disk_build (d, t);
  back = disk_read (d, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->type, ==, PTABLE_TYPE_GPT);
  g_assert_cmpuint (back->sector_size, ==, ss);
  g_assert_cmpstr (back->disk_guid, ==, DISK_GUID);
  g_assert_cmpuint (back->last_usable_lba, ==, sectors - 2 - entries_sectors);
  g_assert_cmpuint (ptable_table_find_partition (back, 1)->attributes, ==, 0x8000000000000000ull);
  g_assert_cmpuint (ptable_table_find_partition (back, 4)->attributes, ==, 0xffffffffffffffffull);
  g_assert_cmpstr (ptable_table_find_partition (back, 4)->name, ==,
                   "root-\xf0\x9f\x90\xa7-0123456789abcdefghijklmnopqr");
  g_assert_null (ptable_table_find_partition (back, 3));
  g_assert_cmpint (ptable_table_find_partition (back, 2)->kind, ==, PTABLE_KIND_NONE);
  assert_same (t, back);
  assert_no_warnings (back);

  /* on disk: backup header on the last sector, pointing at LBA 1 */
  g_assert_cmpmem (sec (d, sectors - 1), 8, "EFI PART", 8);
  g_assert_cmpuint (get64 (sec (d, sectors - 1) + 32), ==, 1);
  g_assert_cmpuint (get64 (sec (d, 1) + 32), ==, sectors - 1);
  /* protective MBR: 0xEE from LBA 1 over the whole disk */
  g_assert_cmphex (d->buf[446 + 4], ==, 0xee);
  g_assert_cmpuint (get32 (d->buf + 446 + 8), ==, 1);
  g_assert_cmpuint (get32 (d->buf + 446 + 12), ==, sectors - 1);
  /* the 36-unit name fills its 72 bytes: no terminator */
  g_assert_cmphex (sec (d, 2)[3 * 128 + 56 + 70], !=, 0);
}

static void
test_gpt_roundtrip_512 (void)
{
  check_gpt_roundtrip (512, 20480);
}

static void
test_gpt_roundtrip_4096 (void)
{
  check_gpt_roundtrip (4096, 4096);
}

static void
test_gpt_larger_target (void)
{
  g_autoptr (Disk) small = disk_new (20480, 512);
  g_autoptr (Disk) large = disk_new (3 * 20480 + 7, 512);
  g_autoptr (PtableTable) t = gpt_table (512);
  g_autoptr (PtableTable) first = NULL;
  g_autoptr (PtableTable) second = NULL;
  g_autoptr (GError) error = NULL;

  disk_build (small, t);
  first = disk_read (small, &error);
  g_assert_no_error (error);
  disk_build (large, first);
  second = disk_read (large, &error);
  g_assert_no_error (error);
  assert_same (first, second);
  assert_no_warnings (second);
  g_assert_cmpuint (second->last_usable_lba, ==, 3 * 20480 + 7 - 34);
  g_assert_cmpuint (get64 (sec (large, 1) + 32), ==, 3 * 20480 + 6);
}

static void
test_gpt_too_small_target (void)
{
  g_autoptr (PtableTable) t = gpt_table (512);

  /* the last partition ends at 16383; with 33 sectors at the end: 16417 */
  assert_build_error (t, 16416 * 512ull, 512, PTABLE_ERROR_TOO_SMALL,
                      "partition 4 ends at LBA 16383, past the last usable LBA 16382 "
                      "of the target disk (16416 sectors)");
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (PtableWrites) w = ptable_build (t, 16417 * 512ull, 512, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (w->writes->len, ==, 5);
  }
  assert_build_error (t, 60 * 512, 512, PTABLE_ERROR_TOO_SMALL, "too small for this GPT");
}

static void
test_gpt_build_refusals (void)
{
  g_autoptr (PtableTable) t = gpt_table (512);
  PtablePartition *p = (PtablePartition *) ptable_table_find_partition (t, 2);

  g_free (p->name);
  p->name = g_strdup ("0123456789012345678901234567890123456");
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID, "is longer than 36 UTF-16 code units");
  g_free (p->name);
  p->name = g_strdup ("01234567890123456789012345678901234\xf0\x9f\x90\xa7");
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID, "is longer than 36 UTF-16 code units");
  g_free (p->name);
  p->name = g_strdup ("ok");
  g_strlcpy (p->guid, "not-a-guid", sizeof p->guid);
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID, "is not a GUID");
  g_strlcpy (p->guid, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", sizeof p->guid);
  g_strlcpy (p->type_guid, "00000000-0000-0000-0000-000000000000", sizeof p->type_guid);
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID, "all-zero type GUID");
  g_strlcpy (p->type_guid, ESP_TYPE, sizeof p->type_guid);
  p->number = 129;
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID,
                      "partition 129: not a valid entry number for 128 entries");
  p->number = 2;
  p->start_sector = 20;
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID, "is outside the usable sectors 34-");
  p->start_sector = G_MAXUINT64 - 4;
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID, "overflows");
  p->start_sector = 4096;
  t->entry_size = 100;
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_CORRUPT, "GPT entry size 100");
  t->entry_size = 128;
  t->first_usable_lba = 20;
  assert_build_error (t, 1 << 24, 512, PTABLE_ERROR_INVALID,
                      "do not fit between the header and the first usable LBA 20");
}

/* ---- GPT hostile ---------------------------------------------------- */

static Disk *
gpt_disk (void)
{
  Disk *d = disk_new (20480, 512);
  g_autoptr (PtableTable) t = gpt_table (512);
  disk_build (d, t);
  return d;
}

static void
fix_header_crc (Disk *d, guint64 lba)
{
  guint8 *h = sec (d, lba);
  guint32 size = MIN (MAX (get32 (h + 12), 92u), d->ss);
  put32 (h + 16, 0);
  put32 (h + 16, ptable_crc32 (h, size));
}

/* after editing entries: recompute both arrays' CRC and both headers' */
static void
fix_entries_crc (Disk *d)
{
  const guint64 lbas[2] = { 1, d->len / d->ss - 1 };
  for (int i = 0; i < 2; i++)
    {
      guint8 *h = sec (d, lbas[i]);
      guint64 entries = get64 (h + 72);
      put32 (h + 88, ptable_crc32 (sec (d, entries), get32 (h + 80) * get32 (h + 84)));
      fix_header_crc (d, lbas[i]);
    }
}

/* the same entry edit in both arrays */
static guint8 *
entry (Disk *d, int which, guint32 number)
{
  guint64 lba = which == 0 ? 2 : d->len / d->ss - 33;
  return sec (d, lba) + (number - 1) * 128;
}

/* patch a header field in both headers, CRCs fixed */
static void
patch_headers32 (Disk *d, guint offset, guint32 v)
{
  put32 (sec (d, 1) + offset, v);
  put32 (sec (d, d->len / d->ss - 1) + offset, v);
  fix_header_crc (d, 1);
  fix_header_crc (d, d->len / d->ss - 1);
}

static void
patch_headers64 (Disk *d, guint offset, guint64 v)
{
  put64 (sec (d, 1) + offset, v);
  put64 (sec (d, d->len / d->ss - 1) + offset, v);
  fix_header_crc (d, 1);
  fix_header_crc (d, d->len / d->ss - 1);
}

static void
test_gpt_bad_header_crc (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  sec (d, 1)[60] ^= 1;
  sec (d, 20479)[60] ^= 1;
  assert_read_error (d, PTABLE_ERROR_CORRUPT, "GPT header CRC mismatch at LBA 1 (stored 0x");
  assert_read_error (d, PTABLE_ERROR_CORRUPT, "; backup: GPT header CRC mismatch at LBA 20479");
}

static void
test_gpt_primary_bad_backup_used (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  g_autoptr (PtableTable) t = gpt_table (512);
  g_autoptr (PtableTable) back = NULL;
  g_autoptr (GError) error = NULL;

  sec (d, 1)[60] ^= 1;
  back = disk_read (d, &error);
  g_assert_no_error (error);
  assert_warning (back, PTABLE_WARNING_GPT_PRIMARY_BAD,
                  "the primary GPT is unusable (GPT header CRC mismatch at LBA 1");
  assert_warning (back, PTABLE_WARNING_GPT_PRIMARY_BAD, "the backup at LBA 20479 was read");
  g_assert_cmpuint (back->warnings->len, ==, 1);
  assert_same (t, back);
}

static void
test_gpt_primary_entries_bad (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  g_autoptr (PtableTable) back = NULL;
  g_autoptr (GError) error = NULL;

  entry (d, 0, 2)[56] ^= 1;
  back = disk_read (d, &error);
  g_assert_no_error (error);
  assert_warning (back, PTABLE_WARNING_GPT_PRIMARY_BAD, "GPT entries CRC mismatch");
  g_assert_cmpstr (ptable_table_find_partition (back, 2)->name, ==, "EFI System Partition");
}

static void
test_gpt_bad_entries_crc (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  entry (d, 0, 2)[56] ^= 1;
  entry (d, 1, 2)[56] ^= 1;
  assert_read_error (d, PTABLE_ERROR_CORRUPT,
                     "GPT entries CRC mismatch (entries at LBA 2 of the header at LBA 1");
}

/* ---- what identifies a disk whose table cannot be read ------------- */

static PtableTable *
disk_identity (Disk *d, guint32 ss)
{
  g_autoptr (GError) error = NULL;
  PtableReader r;
  PtableTable *t;

  ptable_reader_init_buffer (&r, d->buf, d->len, ss);
  t = ptable_read_identity (&r, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t);
  g_assert_cmpuint (t->partitions->len, ==, 0);
  return t;
}

static void
test_identity_mbr_past_end (void)
{
  g_autoptr (Disk) d = disk_new (64, 512);
  g_autoptr (PtableTable) t = NULL;

  raw_entry (d, 0, 0, 0, 0x83, 2, 100);
  put32 (sec (d, 0) + 440, 0xdada0001);
  assert_read_error (d, PTABLE_ERROR_INVALID, "past the disk end");
  t = disk_identity (d, 512);
  g_assert_cmpint (t->type, ==, PTABLE_TYPE_MBR);
  g_assert_cmphex (t->mbr_signature, ==, 0xdada0001);
  g_assert_cmpstr (t->disk_guid, ==, "");
}

static void
test_identity_gpt_bad_entries (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  g_autoptr (PtableTable) t = NULL;

  entry (d, 0, 2)[56] ^= 1;
  entry (d, 1, 2)[56] ^= 1;
  assert_read_error (d, PTABLE_ERROR_CORRUPT, "GPT entries CRC mismatch");
  t = disk_identity (d, 512);
  g_assert_cmpint (t->type, ==, PTABLE_TYPE_GPT);
  g_assert_cmpstr (t->disk_guid, ==, DISK_GUID);
}

static void
test_identity_gpt_headers_damaged (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  g_autoptr (PtableTable) t = NULL;

  /* both header CRCs wrong, and no protective MBR either: the GUID is
   * still there to recognise the disk by */
  sec (d, 1)[16] ^= 1;
  sec (d, 20479)[16] ^= 1;
  sec (d, 0)[510] = 0;
  assert_read_error (d, PTABLE_ERROR_CORRUPT, "no protective MBR");
  t = disk_identity (d, 512);
  g_assert_cmpint (t->type, ==, PTABLE_TYPE_GPT);
  g_assert_cmpstr (t->disk_guid, ==, DISK_GUID);

  /* only the backup header left */
  memset (sec (d, 1), 0, 512);
  g_clear_pointer (&t, ptable_table_free);
  t = disk_identity (d, 512);
  g_assert_cmpstr (t->disk_guid, ==, DISK_GUID);
}

static void
test_identity_gpt_other_sector_size (void)
{
  g_autoptr (Disk) d = disk_new (4096, 4096);
  g_autoptr (PtableTable) g = gpt_table (4096);
  g_autoptr (PtableTable) t = NULL;

  disk_build (d, g);
  t = disk_identity (d, 512);
  g_assert_cmpint (t->type, ==, PTABLE_TYPE_GPT);
  g_assert_cmpstr (t->disk_guid, ==, DISK_GUID);
}

static void
test_identity_blank (void)
{
  g_autoptr (Disk) d = disk_new (64, 512);
  g_autoptr (PtableTable) t = disk_identity (d, 512);
  g_assert_cmpint (t->type, ==, PTABLE_TYPE_NONE);
}

static void
test_gpt_backup_damaged (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  g_autoptr (PtableTable) back = NULL;
  g_autoptr (GError) error = NULL;

  sec (d, 20479)[0] = 'X';
  back = disk_read (d, &error);
  g_assert_no_error (error);
  assert_warning (back, PTABLE_WARNING_GPT_BACKUP_BAD,
                  "the backup GPT is damaged: no GPT header signature at LBA 20479");
}

static void
test_gpt_backup_differs (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  g_autoptr (PtableTable) back = NULL;
  g_autoptr (GError) error = NULL;

  sec (d, 20479)[56] ^= 1; /* disk GUID */
  fix_header_crc (d, 20479);
  back = disk_read (d, &error);
  g_assert_no_error (error);
  assert_warning (back, PTABLE_WARNING_GPT_BACKUP_BAD, "differs from the primary");
}

static void
test_gpt_grown_disk (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  g_autoptr (PtableTable) back = NULL;
  g_autoptr (GError) error = NULL;

  d->buf = g_realloc (d->buf, 2 * d->len);
  memset (d->buf + d->len, 0, d->len);
  d->len *= 2;
  back = disk_read (d, &error);
  g_assert_no_error (error);
  assert_warning (back, PTABLE_WARNING_GPT_BACKUP_NOT_AT_END,
                  "the backup GPT header is at LBA 20479, not at the last LBA 40959");
  g_assert_false (ptable_table_has_warning (back, PTABLE_WARNING_GPT_BACKUP_BAD));
}

static void
test_gpt_shrunk_disk (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  /* cut so that the partitions still fit but the last usable LBA does not */
  d->len = 16400 * 512;
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "GPT header at LBA 1: last usable LBA 20446 is past the disk end "
                     "(16400 sectors); backup: no GPT header signature at LBA 16399");
}

static void
test_gpt_header_size (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  patch_headers32 (d, 12, 91);
  assert_read_error (d, PTABLE_ERROR_CORRUPT,
                     "GPT header at LBA 1: header size 91 is not between 92 and the "
                     "sector size 512");
  patch_headers32 (d, 12, 513);
  assert_read_error (d, PTABLE_ERROR_CORRUPT, "header size 513 is not between");
  patch_headers32 (d, 12, 512);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (PtableTable) t = disk_read (d, &error);
    g_assert_no_error (error); /* a larger header is allowed, CRC over all of it */
    g_assert_cmpint (t->type, ==, PTABLE_TYPE_GPT);
  }
}

static void
test_gpt_entry_count (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  patch_headers32 (d, 80, 0x80000000u);
  assert_read_error (d, PTABLE_ERROR_LIMIT,
                     "2147483648 GPT entries of 128 bytes, more than the supported");
  patch_headers32 (d, 80, PTABLE_GPT_MAX_ENTRIES + 1);
  assert_read_error (d, PTABLE_ERROR_LIMIT, "1025 GPT entries");
}

static void
test_gpt_entry_size (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  patch_headers32 (d, 84, 0);
  assert_read_error (d, PTABLE_ERROR_CORRUPT,
                     "GPT header at LBA 1: GPT entry size 0 is not a multiple of 8 of at least "
                     "128");
  patch_headers32 (d, 84, 7);
  assert_read_error (d, PTABLE_ERROR_CORRUPT, "GPT entry size 7 is not");
  patch_headers32 (d, 84, 132);
  assert_read_error (d, PTABLE_ERROR_CORRUPT, "GPT entry size 132 is not");
  patch_headers32 (d, 84, 1u << 20);
  assert_read_error (d, PTABLE_ERROR_LIMIT,
                     "GPT entry size 1048576 is above the supported 4096 bytes");
  patch_headers32 (d, 84, 4096); /* 128 * 4096 = 512 KiB: within the cap */
  assert_read_error (d, PTABLE_ERROR_INVALID, "overlap the MBR, the header or the usable LBAs");
}

static void
test_gpt_entries_past_end (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  patch_headers64 (d, 72, 20470);
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "GPT header at LBA 1: entries at LBA 20470 (32 sectors) are past "
                     "the disk end (20480 sectors)");
  patch_headers64 (d, 72, G_MAXUINT64 - 3);
  assert_read_error (d, PTABLE_ERROR_INVALID, "are past the disk end");
}

static void
test_gpt_my_lba (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  patch_headers64 (d, 24, 7);
  assert_read_error (d, PTABLE_ERROR_CORRUPT, "GPT header at LBA 1 says it is at LBA 7");
}

static void
test_gpt_usable_range (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  patch_headers64 (d, 40, 20000);
  patch_headers64 (d, 48, 19999);
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "GPT header at LBA 1: first usable LBA 20000 is after the last "
                     "usable LBA 19999");
  patch_headers64 (d, 40, 0);
  patch_headers64 (d, 48, 20446);
  assert_read_error (d, PTABLE_ERROR_INVALID, "include the header or the MBR");
}

static void
test_gpt_zero_partition_guid (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  g_autoptr (PtableTable) t = NULL;
  g_autoptr (GError) error = NULL;

  memset (entry (d, 0, 2) + 16, 0, 16);
  memset (entry (d, 1, 2) + 16, 0, 16);
  fix_entries_crc (d);
  t = disk_read (d, &error);
  g_assert_no_error (error);
  assert_warning (t, PTABLE_WARNING_GPT_ZERO_GUID,
                  "GPT partition 2 has an all-zero unique partition GUID");
  g_assert_cmpstr (ptable_table_find_partition (t, 2)->guid, ==,
                   "00000000-0000-0000-0000-000000000000");
}

static void
test_gpt_invalid_surrogates (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  g_autoptr (PtableTable) t = NULL;
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < 2; i++)
    {
      guint8 *n = entry (d, i, 2) + 56;
      memset (n, 0, 72);
      n[0] = 'a';
      n[2] = 0x00;
      n[3] = 0xdc; /* lone low surrogate */
      n[4] = 'b';
      n[6] = 0x00;
      n[7] = 0xd8; /* high surrogate, then 'c' */
      n[8] = 'c';
      n[70] = 0x00;
      n[71] = 0xd8; /* high surrogate in the last unit */
      n[10] = 'd';
      for (int k = 12; k < 70; k += 2)
        n[k] = 'e';
    }
  fix_entries_crc (d);
  t = disk_read (d, &error);
  g_assert_no_error (error);
  assert_warning (t, PTABLE_WARNING_GPT_NAME_INVALID,
                  "GPT partition 2: the name has invalid UTF-16");
  {
    g_autofree char *es = g_strnfill (29, 'e');
    g_autofree char *expected = g_strconcat ("a\xef\xbf\xbd"
                                             "b\xef\xbf\xbd"
                                             "cd",
                                             es, "\xef\xbf\xbd", NULL);
    g_assert_cmpstr (ptable_table_find_partition (t, 2)->name, ==, expected);
  }
  g_assert_true (g_utf8_validate (ptable_table_find_partition (t, 2)->name, -1, NULL));
}

static void
test_gpt_name_unterminated (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  g_autoptr (PtableTable) t = NULL;
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < 2; i++)
    {
      guint8 *n = entry (d, i, 1) + 56;
      for (int k = 0; k < 72; k += 2)
        {
          n[k] = 'Z';
          n[k + 1] = 0;
        }
      /* and the bytes after the name (a larger entry) are not read */
    }
  fix_entries_crc (d);
  t = disk_read (d, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (ptable_table_find_partition (t, 1)->name), ==, 36);
  assert_no_warnings (t);
}

static void
test_gpt_partition_reversed (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  for (int i = 0; i < 2; i++)
    {
      put64 (entry (d, i, 2) + 32, 9000);
      put64 (entry (d, i, 2) + 40, 8000);
    }
  fix_entries_crc (d);
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "GPT partition 2 starts at LBA 9000, after its last LBA 8000");
}

static void
test_gpt_partition_all_lbas (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  for (int i = 0; i < 2; i++)
    {
      put64 (entry (d, i, 2) + 32, 0);
      put64 (entry (d, i, 2) + 40, G_MAXUINT64);
    }
  fix_entries_crc (d);
  assert_read_error (d, PTABLE_ERROR_INVALID, "GPT partition 2 covers all 2^64 sectors");
}

static void
test_gpt_partition_outside_usable (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  for (int i = 0; i < 2; i++)
    put64 (entry (d, i, 2) + 40, 20450);
  fix_entries_crc (d);
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "partition 2 (sectors 4096-20450) is outside the usable sectors 34-20446");
}

static void
test_gpt_partition_past_end (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  for (int i = 0; i < 2; i++)
    put64 (entry (d, i, 2) + 40, G_MAXUINT64 - 1);
  fix_entries_crc (d);
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "partition 2 ends at sector 18446744073709551614, past the disk end");
}

static void
test_gpt_overlap (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  for (int i = 0; i < 2; i++)
    put64 (entry (d, i, 2) + 40, 12288);
  fix_entries_crc (d);
  assert_read_error (d, PTABLE_ERROR_INVALID,
                     "partitions 2 and 4 overlap (sectors 4096-12288 and 12288-16383)");
}

static void
test_gpt_hybrid (void)
{
  g_autoptr (Disk) d = gpt_disk ();
  g_autoptr (PtableTable) t = NULL;
  g_autoptr (GError) error = NULL;

  raw_entry (d, 0, 1, 0x80, 0x0c, 4096, 8192);
  t = disk_read (d, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->type, ==, PTABLE_TYPE_GPT);
  assert_warning (t, PTABLE_WARNING_HYBRID_MBR, "partitions 2 (type 0x0c)");
}

static void
test_gpt_wrong_sector_size (void)
{
  g_autoptr (Disk) d4k = disk_new (4096, 4096);
  g_autoptr (Disk) d512 = gpt_disk ();
  g_autoptr (PtableTable) t = gpt_table (4096);
  g_autoptr (GError) error = NULL;
  g_autoptr (PtableTable) back = NULL;

  disk_build (d4k, t);
  back = disk_read_as (d4k, 512, &error);
  g_assert_null (back);
  g_assert_error (error, PTABLE_ERROR, PTABLE_ERROR_SECTOR_SIZE);
  g_assert_cmpstr (error->message, ==,
                   "GPT header found at byte 4096 (LBA 1 of 4096-byte sectors), but "
                   "the disk's logical sector size is 512");
  g_clear_error (&error);
  back = disk_read_as (d512, 4096, &error);
  g_assert_null (back);
  g_assert_error (error, PTABLE_ERROR, PTABLE_ERROR_SECTOR_SIZE);
  g_assert_nonnull (strstr (error->message, "found at byte 512"));
}

static void
test_gpt_tiny_disk (void)
{
  g_autoptr (Disk) d = disk_new (2, 512);
  raw_entry (d, 0, 0, 0, 0xee, 1, 1);
  assert_read_error (d, PTABLE_ERROR_TOO_SMALL, "too small for a GPT");
}

static void
test_gpt_defaults (void)
{
  g_autoptr (PtableTable) t512 = ptable_table_new (PTABLE_TYPE_GPT, 512);
  g_autoptr (PtableTable) t4k = ptable_table_new (PTABLE_TYPE_GPT, 4096);
  g_autoptr (Disk) d = disk_new (256, 4096);
  g_autoptr (PtableTable) back = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (t512->entry_count, ==, 128);
  g_assert_cmpuint (t512->entry_size, ==, 128);
  g_assert_cmpuint (t512->entries_lba, ==, 2);
  g_assert_cmpuint (t512->first_usable_lba, ==, 34);
  g_assert_cmpuint (t4k->first_usable_lba, ==, 6);

  /* enough for a restore from the descriptor: GUIDs and partitions */
  g_strlcpy (t4k->disk_guid, DISK_GUID, sizeof t4k->disk_guid);
  ptable_table_add_partition (t4k, gpt_part (1, 250, 1, LINUX_TYPE,
                                             "01234567-89ab-4def-8123-456789abcdef", "", 0));
  disk_build (d, t4k);
  back = disk_read (d, &error);
  g_assert_no_error (error);
  assert_same (t4k, back);
  g_assert_cmpuint (back->last_usable_lba, ==, 256 - 6);
  assert_build_error (t4k, 255 * 4096, 4096, PTABLE_ERROR_TOO_SMALL,
                      "partition 1 ends at LBA 250, past the last usable LBA 249");
}

static void
test_diff (void)
{
  g_autoptr (PtableTable) a = gpt_table (512);
  g_autoptr (PtableTable) b = gpt_table (512);
  g_autofree char *d1 = NULL;
  g_autofree char *d2 = NULL;

  g_assert_null (ptable_table_diff (a, b));
  ((PtablePartition *) ptable_table_find_partition (b, 1))->attributes = 1;
  d1 = ptable_table_diff (a, b);
  g_assert_cmpstr (d1, ==, "partition 1: attributes 9223372036854775808 != 1");
  b->disk_guid[0] = 'f';
  d2 = ptable_table_diff (a, b);
  g_assert_nonnull (strstr (d2, "disk GUID"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/imager/ptable/crc32", test_crc32);
  g_test_add_func ("/imager/ptable/guid", test_guid);
  g_test_add_func ("/imager/ptable/strings", test_strings);
  g_test_add_func ("/imager/ptable/diff", test_diff);
  g_test_add_func ("/imager/ptable/none/empty", test_none_empty);
  g_test_add_func ("/imager/ptable/none/bad-signature", test_none_bad_signature);
  g_test_add_func ("/imager/ptable/none/gpt-without-pmbr", test_none_gpt_without_pmbr);
  g_test_add_func ("/imager/ptable/read/too-small", test_too_small);
  g_test_add_func ("/imager/ptable/read/bad-sector-size", test_bad_sector_size);
  g_test_add_func ("/imager/ptable/read/io-error", test_read_io_error);

  g_test_add_func ("/imager/ptable/mbr/roundtrip-primaries", test_mbr_roundtrip_primaries);
  g_test_add_func ("/imager/ptable/mbr/roundtrip-logicals", test_mbr_roundtrip_logicals);
  g_test_add_func ("/imager/ptable/mbr/ebr-default-placement", test_mbr_ebr_default_placement);
  g_test_add_func ("/imager/ptable/mbr/empty-extended", test_mbr_empty_extended);
  g_test_add_func ("/imager/ptable/mbr/boot-flag", test_mbr_boot_flag);
  g_test_add_func ("/imager/ptable/mbr/past-end", test_mbr_past_end);
  g_test_add_func ("/imager/ptable/mbr/overflow-32", test_mbr_overflow32);
  g_test_add_func ("/imager/ptable/mbr/starts-at-zero", test_mbr_starts_at_zero);
  g_test_add_func ("/imager/ptable/mbr/overlap", test_mbr_overlap);
  g_test_add_func ("/imager/ptable/mbr/two-extended", test_mbr_two_extended);
  g_test_add_func ("/imager/ptable/mbr/empty-entry", test_mbr_empty_entry);
  g_test_add_func ("/imager/ptable/mbr/ebr-loop-self", test_ebr_loop_self);
  g_test_add_func ("/imager/ptable/mbr/ebr-loop-back", test_ebr_loop_back);
  g_test_add_func ("/imager/ptable/mbr/ebr-chain-too-long", test_ebr_chain_too_long);
  g_test_add_func ("/imager/ptable/mbr/ebr-logical-outside", test_ebr_logical_outside);
  g_test_add_func ("/imager/ptable/mbr/ebr-logical-past-disk-end", test_ebr_logical_past_disk_end);
  g_test_add_func ("/imager/ptable/mbr/ebr-outside-extended", test_ebr_outside_extended);
  g_test_add_func ("/imager/ptable/mbr/ebr-no-signature", test_ebr_no_signature);
  g_test_add_func ("/imager/ptable/mbr/ebr-bad-link", test_ebr_bad_link);
  g_test_add_func ("/imager/ptable/mbr/ebr-boot-flag", test_ebr_boot_flag);
  g_test_add_func ("/imager/ptable/mbr/ebr-logicals-overlap", test_ebr_logicals_overlap);
  g_test_add_func ("/imager/ptable/mbr/ebr-inside-logical", test_ebr_inside_logical);
  g_test_add_func ("/imager/ptable/mbr/ebr-empty-with-link", test_ebr_empty_with_link);
  g_test_add_func ("/imager/ptable/mbr/build-refusals", test_mbr_build_refusals);

  g_test_add_func ("/imager/ptable/gpt/roundtrip-512", test_gpt_roundtrip_512);
  g_test_add_func ("/imager/ptable/gpt/roundtrip-4096", test_gpt_roundtrip_4096);
  g_test_add_func ("/imager/ptable/gpt/larger-target", test_gpt_larger_target);
  g_test_add_func ("/imager/ptable/gpt/too-small-target", test_gpt_too_small_target);
  g_test_add_func ("/imager/ptable/gpt/build-refusals", test_gpt_build_refusals);
  g_test_add_func ("/imager/ptable/gpt/bad-header-crc", test_gpt_bad_header_crc);
  g_test_add_func ("/imager/ptable/gpt/primary-bad-backup-used", test_gpt_primary_bad_backup_used);
  g_test_add_func ("/imager/ptable/gpt/primary-entries-bad", test_gpt_primary_entries_bad);
  g_test_add_func ("/imager/ptable/gpt/bad-entries-crc", test_gpt_bad_entries_crc);
  g_test_add_func ("/imager/ptable/gpt/backup-damaged", test_gpt_backup_damaged);
  g_test_add_func ("/imager/ptable/gpt/backup-differs", test_gpt_backup_differs);
  g_test_add_func ("/imager/ptable/gpt/grown-disk", test_gpt_grown_disk);
  g_test_add_func ("/imager/ptable/gpt/shrunk-disk", test_gpt_shrunk_disk);
  g_test_add_func ("/imager/ptable/gpt/header-size", test_gpt_header_size);
  g_test_add_func ("/imager/ptable/gpt/entry-count", test_gpt_entry_count);
  g_test_add_func ("/imager/ptable/gpt/entry-size", test_gpt_entry_size);
  g_test_add_func ("/imager/ptable/gpt/entries-past-end", test_gpt_entries_past_end);
  g_test_add_func ("/imager/ptable/gpt/my-lba", test_gpt_my_lba);
  g_test_add_func ("/imager/ptable/gpt/usable-range", test_gpt_usable_range);
  g_test_add_func ("/imager/ptable/gpt/zero-partition-guid", test_gpt_zero_partition_guid);
  g_test_add_func ("/imager/ptable/gpt/invalid-surrogates", test_gpt_invalid_surrogates);
  g_test_add_func ("/imager/ptable/gpt/name-unterminated", test_gpt_name_unterminated);
  g_test_add_func ("/imager/ptable/gpt/partition-reversed", test_gpt_partition_reversed);
  g_test_add_func ("/imager/ptable/gpt/partition-all-lbas", test_gpt_partition_all_lbas);
  g_test_add_func ("/imager/ptable/gpt/partition-outside-usable",
                   test_gpt_partition_outside_usable);
  g_test_add_func ("/imager/ptable/gpt/partition-past-end", test_gpt_partition_past_end);
  g_test_add_func ("/imager/ptable/gpt/overlap", test_gpt_overlap);
  g_test_add_func ("/imager/ptable/gpt/hybrid", test_gpt_hybrid);
  g_test_add_func ("/imager/ptable/gpt/wrong-sector-size", test_gpt_wrong_sector_size);
  g_test_add_func ("/imager/ptable/gpt/tiny-disk", test_gpt_tiny_disk);
  g_test_add_func ("/imager/ptable/gpt/defaults", test_gpt_defaults);

  g_test_add_func ("/imager/ptable/identity/mbr-past-end", test_identity_mbr_past_end);
  g_test_add_func ("/imager/ptable/identity/gpt-bad-entries", test_identity_gpt_bad_entries);
  g_test_add_func ("/imager/ptable/identity/gpt-headers-damaged",
                   test_identity_gpt_headers_damaged);
  g_test_add_func ("/imager/ptable/identity/gpt-other-sector-size",
                   test_identity_gpt_other_sector_size);
  g_test_add_func ("/imager/ptable/identity/blank", test_identity_blank);
  return g_test_run ();
}
