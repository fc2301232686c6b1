/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: MBR (with the EBR chain) and GPT tables read from a
 * disk's raw bytes (fuzz-ptable.h says how an input is laid out).  A
 * table that is read must, when ptable_build accepts it for a blank disk
 * of the same size, read back from that disk as the same layout: what
 * restore relies on to recreate a source's table.
 */
#include "config.h"

#include <string.h>

#include "ptable.h"
#include "ptable-private.h"
#include "fuzz-common.h"
#include "fuzz-ptable.h"

static void
check_round_trip (const PtableTable *t, gsize disk_bytes, guint32 ss)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtableWrites) w = NULL;
  g_autoptr (PtableTable) back = NULL;
  g_autofree guint8 *blank = NULL;
  g_autofree char *diff = NULL;
  PtableReader r;

  w = ptable_build (t, disk_bytes, ss, &error);
  if (w == NULL)
    {
      if (error == NULL || error->domain != PTABLE_ERROR)
        fuzz_fail ("ptable_build refused without a PTABLE_ERROR");
      return;
    }
  blank = g_malloc0 (disk_bytes);
  for (guint i = 0; i < w->writes->len; i++)
    {
      const PtableWrite *pw = g_ptr_array_index (w->writes, i);
      gsize n;
      const guint8 *bytes = g_bytes_get_data (pw->data, &n);
      if (pw->offset > disk_bytes || n > disk_bytes - pw->offset)
        fuzz_fail ("ptable_build wrote %s past the disk's end", pw->what);
      memcpy (blank + pw->offset, bytes, n);
    }
  ptable_reader_init_buffer (&r, blank, disk_bytes, ss);
  back = ptable_read (&r, &error);
  if (back == NULL)
    fuzz_fail ("a table ptable_build wrote is refused: %s", error->message);
  diff = ptable_table_diff (t, back);
  if (diff != NULL)
    fuzz_fail ("the table ptable_build wrote reads back differently: %s", diff);
}

/* Sets the entry-array CRC and then the header CRC of a GPT header at
 * @lba, where the bytes allow (UEFI's layout: header size at 12, header
 * CRC at 16, alternate LBA at 32, entries at 72, count at 80, entry size
 * at 84, entry-array CRC at 88).  Returns the alternate LBA. */
static guint64
fix_gpt_crcs (guint8 *disk, gsize len, guint32 ss, guint64 lba)
{
  guint8 *h;
  guint32 header_bytes, count, size;
  guint64 entries, array_bytes;

  if (lba == 0 || lba >= len / ss)
    return 0;
  h = disk + lba * ss;
  if (memcmp (h, "EFI PART", 8) != 0)
    return 0;
  entries = ptable_get_le64 (h + 72);
  count = ptable_get_le32 (h + 80);
  size = ptable_get_le32 (h + 84);
  array_bytes = (guint64) count * size;
  if (entries < len / ss && array_bytes <= len - entries * ss)
    ptable_put_le32 (h + 88, ptable_crc32 (disk + entries * ss, (gsize) array_bytes));
  header_bytes = ptable_get_le32 (h + 12);
  if (header_bytes >= 20 && header_bytes <= ss)
    {
      ptable_put_le32 (h + 16, 0);
      ptable_put_le32 (h + 16, ptable_crc32 (h, header_bytes));
    }
  return ptable_get_le64 (h + 32);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtableTable) t = NULL;
  PtableReader r;
  guint32 ss;

  if (size < 1)
    return 0;
  ss = FUZZ_PTABLE_SECTOR_SIZE (data[0]);
  /* A copy of exactly the disk's bytes, so that ASan sees any read past
   * its end. */
  g_autofree guint8 *disk = g_memdup2 (data + 1, size - 1);
  if (FUZZ_PTABLE_FIX_CRCS (data[0]))
    {
      guint64 alternate = fix_gpt_crcs (disk, size - 1, ss, 1);
      if (alternate != 1)
        fix_gpt_crcs (disk, size - 1, ss, alternate);
    }
  ptable_reader_init_buffer (&r, disk, size - 1, ss);
  t = ptable_read (&r, &error);
  if (t == NULL)
    {
      fuzz_check_refusal (error, PTABLE_ERROR, -1);
      return 0;
    }
  for (guint i = 0; i < t->partitions->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (t->partitions, i);
      if (p->name == NULL || !g_utf8_validate (p->name, -1, NULL))
        fuzz_fail ("partition %u: name is not UTF-8", p->number);
    }
  if (t->type != PTABLE_TYPE_NONE)
    check_round_trip (t, (size - 1) / ss * ss, ss);
  return 0;
}
