/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MBR: four primary entries in sector 0, and the chain of EBRs that holds
 * the logical partitions inside the extended partition.  Each EBR's first
 * entry is its logical partition (start relative to the EBR), the second
 * links to the next EBR (start relative to the extended partition's start).
 */
#include "config.h"

#include <string.h>

#include "ptable-private.h"

gboolean
ptable_mbr_is_extended_type (guint8 type)
{
  return type == 0x05 || type == 0x0f || type == 0x85;
}

static gboolean
boot_flag_ok (const guint8 *entry, const char *where, guint32 number, GError **error)
{
  if (entry[0] == 0x00 || entry[0] == 0x80)
    return TRUE;
  g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_CORRUPT,
               "%s entry of partition %u: boot flag 0x%02x is neither 0x00 nor 0x80", where, number,
               entry[0]);
  return FALSE;
}

static gboolean
walk_ebr_chain (const PtableReader *r, PtableTable *t, const PtablePartition *ext, GError **error)
{
  const guint64 ext_start = ext->start_sector;
  const guint64 ext_end = ext->start_sector + ext->sectors; /* checked by layout */
  g_autoptr (GArray) visited = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autofree guint8 *buf = g_malloc (t->sector_size);
  guint64 cur = ext_start;
  guint32 number = 5;

  for (;;)
    {
      const guint8 *e1 = buf + PTABLE_MBR_ENTRIES_OFFSET;
      const guint8 *e2 = e1 + 16;
      guint64 next;

      for (guint i = 0; i < visited->len; i++)
        if (g_array_index (visited, guint64, i) == cur)
          {
            g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                         "EBR chain loops at sector %" G_GUINT64_FORMAT
                         " (EBR %u points back to EBR %u)",
                         cur, visited->len, i + 1);
            return FALSE;
          }
      if (visited->len >= PTABLE_MAX_LOGICAL)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_LIMIT,
                       "EBR chain is longer than %u logical partitions", PTABLE_MAX_LOGICAL);
          return FALSE;
        }
      if (cur < ext_start || cur >= ext_end)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "EBR of partition %u at sector %" G_GUINT64_FORMAT
                       " is outside the extended partition %u (sectors %" G_GUINT64_FORMAT
                       "-%" G_GUINT64_FORMAT ")",
                       number, cur, ext->number, ext_start, ext_end - 1);
          return FALSE;
        }
      g_array_append_val (visited, cur);
      if (!ptable_read_sectors (r, cur, 1, buf, error))
        return FALSE;

      if (buf[510] != 0x55 || buf[511] != 0xaa)
        {
          /* fdisk leaves the first EBR of an empty extended partition zero */
          if (cur == ext_start && ptable_is_zero (buf, t->sector_size))
            return TRUE;
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_CORRUPT,
                       "EBR at sector %" G_GUINT64_FORMAT " has no 0x55AA signature", cur);
          return FALSE;
        }

      if (e1[4] == 0)
        {
          if (cur == ext_start && e2[4] == 0)
            return TRUE; /* empty extended partition */
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "EBR at sector %" G_GUINT64_FORMAT " holds no logical partition", cur);
          return FALSE;
        }
      if (!boot_flag_ok (e1, "EBR", number, error))
        return FALSE;

      {
        g_autoptr (PtablePartition) p = ptable_partition_new ();
        guint32 rel = ptable_get_le32 (e1 + 8);

        if (rel == 0)
          {
            g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                         "logical partition %u starts on its own EBR (sector %" G_GUINT64_FORMAT
                         ")",
                         number, cur);
            return FALSE;
          }
        p->number = number++;
        p->kind = PTABLE_KIND_LOGICAL;
        p->start_sector = cur + rel; /* cur < 2^64 - 2^32: cur < disk end */
        p->sectors = ptable_get_le32 (e1 + 12);
        p->mbr_type = e1[4];
        p->bootable = e1[0] == 0x80;
        p->ebr_sector = cur;
        ptable_table_add_partition (t, g_steal_pointer (&p));
      }

      if (e2[4] == 0)
        return TRUE;
      if (!ptable_mbr_is_extended_type (e2[4]))
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_CORRUPT,
                       "EBR at sector %" G_GUINT64_FORMAT ": second entry has type "
                       "0x%02x, not a link to the next EBR",
                       cur, e2[4]);
          return FALSE;
        }
      next = ext_start + ptable_get_le32 (e2 + 8);
      cur = next;
    }
}

/* Each EBR sector must not lie inside a logical partition (the extended
 * partition's rules keep it away from the primaries). */
static gboolean
check_ebrs (const PtableTable *t, GError **error)
{
  for (guint i = 0; i < t->partitions->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (t->partitions, i);
      if (p->kind != PTABLE_KIND_LOGICAL)
        continue;
      for (guint j = 0; j < t->partitions->len; j++)
        {
          const PtablePartition *q = g_ptr_array_index (t->partitions, j);
          if (q->kind == PTABLE_KIND_LOGICAL && p->ebr_sector >= q->start_sector
              && p->ebr_sector - q->start_sector < q->sectors)
            {
              g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                           "EBR of partition %u at sector %" G_GUINT64_FORMAT
                           " is inside partition %u",
                           p->number, p->ebr_sector, q->number);
              return FALSE;
            }
        }
    }
  return TRUE;
}

gboolean
ptable_mbr_read (const PtableReader *r, const guint8 *sector0, PtableTable *t, GError **error)
{
  const PtablePartition *ext = NULL;

  t->mbr_signature = ptable_get_le32 (sector0 + PTABLE_MBR_SIGNATURE_OFFSET);

  for (guint32 i = 0; i < 4; i++)
    {
      const guint8 *e = sector0 + PTABLE_MBR_ENTRIES_OFFSET + 16 * i;
      g_autoptr (PtablePartition) p = NULL;

      /* as Linux does: a bad flag anywhere means this is no MBR */
      if (!boot_flag_ok (e, "MBR", i + 1, error))
        return FALSE;
      if (e[4] == 0)
        continue;
      p = ptable_partition_new ();
      p->number = i + 1;
      p->mbr_type = e[4];
      p->kind = ptable_mbr_is_extended_type (e[4]) ? PTABLE_KIND_EXTENDED : PTABLE_KIND_PRIMARY;
      p->bootable = e[0] == 0x80;
      p->start_sector = ptable_get_le32 (e + 8);
      p->sectors = ptable_get_le32 (e + 12);
      if (p->sectors == 0)
        {
          ptable_add_warning (t, PTABLE_WARNING_MBR_EMPTY_ENTRY,
                              "MBR entry %u has type 0x%02x but 0 sectors: ignored", i + 1, e[4]);
          continue;
        }
      ptable_table_add_partition (t, g_steal_pointer (&p));
    }

  /* The primaries first: the chain walk relies on a sane extended one. */
  if (!ptable_check_layout (t, t->disk_sectors, &t->first_partition_start_sector, error))
    return FALSE;

  for (guint i = 0; i < t->partitions->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (t->partitions, i);
      if (p->kind == PTABLE_KIND_EXTENDED)
        ext = p;
    }
  if (ext == NULL)
    return TRUE;

  if (!walk_ebr_chain (r, t, ext, error))
    return FALSE;
  return ptable_check_layout (t, t->disk_sectors, NULL, error) && check_ebrs (t, error);
}

/* ---- building ------------------------------------------------------- */

static void
put_chs (guint8 *p, guint64 lba)
{
  guint64 c, h, s;

  if (lba >= 1024u * 255u * 63u)
    {
      c = 1023;
      h = 254;
      s = 63;
    }
  else
    {
      c = lba / (255u * 63u);
      h = (lba / 63u) % 255u;
      s = lba % 63u + 1;
    }
  p[0] = (guint8) h;
  p[1] = (guint8) (s | ((c >> 2) & 0xc0));
  p[2] = (guint8) c;
}

void
ptable_mbr_put_entry (guint8 *e, gboolean bootable, guint8 type, guint32 start, guint32 sectors)
{
  e[0] = bootable ? 0x80 : 0x00;
  put_chs (e + 1, start);
  e[4] = type;
  put_chs (e + 5, (guint64) start + sectors - 1);
  ptable_put_le32 (e + 8, start);
  ptable_put_le32 (e + 12, sectors);
}

static gboolean
fits32 (guint64 v, guint32 number, const char *what, GError **error)
{
  if (v <= G_MAXUINT32)
    return TRUE;
  g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
               "partition %u: %s %" G_GUINT64_FORMAT " does not fit the 32 bits "
               "of an MBR entry",
               number, what, v);
  return FALSE;
}

/* Checks that each partition of @t is a valid MBR entry that fits
 * @disk_sectors, and collects the logical partitions, in order, and the
 * extended one. */
static gboolean
mbr_check_entries (const PtableTable *t, guint64 disk_sectors, GPtrArray *logicals,
                   const PtablePartition **ext, GError **error)
{
  for (guint i = 0; i < t->partitions->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (t->partitions, i);
      gboolean is_ext = p->kind == PTABLE_KIND_EXTENDED;

      if (p->kind == PTABLE_KIND_NONE || (p->kind == PTABLE_KIND_LOGICAL) != (p->number >= 5)
          || p->number == 0 || p->mbr_type == 0 || p->mbr_type == PTABLE_MBR_TYPE_GPT
          || is_ext != ptable_mbr_is_extended_type (p->mbr_type))
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "partition %u: kind %s, type 0x%02x is not a valid MBR entry", p->number,
                       p->kind == PTABLE_KIND_NONE ? "none" : ptable_kind_to_string (p->kind),
                       p->mbr_type);
          return FALSE;
        }
      if (!fits32 (p->start_sector, p->number, "start", error)
          || !fits32 (p->sectors, p->number, "size", error))
        return FALSE;
      if (p->start_sector + p->sectors > disk_sectors) /* < 2^33: no overflow */
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_TOO_SMALL,
                       "partition %u ends at sector %" G_GUINT64_FORMAT ", past the "
                       "end of the target disk (%" G_GUINT64_FORMAT " sectors)",
                       p->number, p->start_sector + p->sectors - 1, disk_sectors);
          return FALSE;
        }
      if (is_ext)
        *ext = p;
      if (p->kind == PTABLE_KIND_LOGICAL)
        {
          if (p->number != 5 + logicals->len)
            {
              g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                           "logical partition %u: logical partitions must be "
                           "numbered 5, 6, ... without gaps",
                           p->number);
              return FALSE;
            }
          g_ptr_array_add (logicals, (gpointer) p);
        }
    }
  return TRUE;
}

/* Checks that sector @e can hold the EBR of the @i-th logical partition @p:
 * the first at the extended partition's start, each inside the extended
 * partition, before its own partition, in no partition, not shared, and
 * every offset it implies within 32 bits.  @placed: the EBRs placed so far. */
static gboolean
mbr_check_ebr_sector (guint64 e, guint i, const PtablePartition *p, const PtablePartition *ext,
                      GPtrArray *logicals, const guint64 *placed, GError **error)
{
  if (i == 0 && e != ext->start_sector)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                   "the EBR of partition %u is at sector %" G_GUINT64_FORMAT
                   ", not at the start of the extended partition (%" G_GUINT64_FORMAT ")",
                   p->number, e, ext->start_sector);
      return FALSE;
    }
  if (e < ext->start_sector || e >= p->start_sector)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                   "the EBR of partition %u (sector %" G_GUINT64_FORMAT
                   ") must be inside the extended partition and before the "
                   "partition",
                   p->number, e);
      return FALSE;
    }
  for (guint j = 0; j < logicals->len; j++)
    {
      const PtablePartition *q = g_ptr_array_index (logicals, j);
      if (e >= q->start_sector && e - q->start_sector < q->sectors)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "the EBR of partition %u (sector %" G_GUINT64_FORMAT
                       ") is inside partition %u",
                       p->number, e, q->number);
          return FALSE;
        }
    }
  for (guint j = 0; j < i; j++)
    if (placed[j] == e)
      {
        g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                     "partitions %u and %u have their EBR at the same sector %" G_GUINT64_FORMAT,
                     5 + j, p->number, e);
        return FALSE;
      }
  return fits32 (p->start_sector - e, p->number, "start relative to its EBR", error)
         && fits32 (e - ext->start_sector, p->number, "EBR offset in the extended partition", error)
         && fits32 (p->start_sector + p->sectors - e, p->number, "size with its EBR", error);
}

/* Where each EBR goes: as recorded, else the extended partition's first
 * sector for the first one and the sector before the partition for the
 * others.  Returns one sector per logical partition, NULL on error. */
static guint64 *
mbr_place_ebrs (GPtrArray *logicals, const PtablePartition *ext, GError **error)
{
  g_autofree guint64 *ebr = g_new0 (guint64, logicals->len + 1);

  for (guint i = 0; i < logicals->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (logicals, i);
      guint64 e = p->ebr_sector;

      if (e == 0)
        e = i == 0 ? ext->start_sector : p->start_sector - 1;
      if (!mbr_check_ebr_sector (e, i, p, ext, logicals, ebr, error))
        return NULL;
      ebr[i] = e;
    }
  return g_steal_pointer (&ebr);
}

/* Sector 0, bytes 440-511: disk signature, primary entries, 0x55AA.  The
 * boot code before them is the boot area's, not the table's. */
static void
mbr_write_sector0 (const PtableTable *t, PtableWrites *w)
{
  g_autofree guint8 *mbr = g_malloc0 (512);

  ptable_put_le32 (mbr + PTABLE_MBR_SIGNATURE_OFFSET, t->mbr_signature);
  for (guint i = 0; i < t->partitions->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (t->partitions, i);
      if (p->kind == PTABLE_KIND_LOGICAL)
        continue;
      ptable_mbr_put_entry (mbr + PTABLE_MBR_ENTRIES_OFFSET + 16 * (p->number - 1), p->bootable,
                            p->mbr_type, (guint32) p->start_sector, (guint32) p->sectors);
    }
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  ptable_writes_add (w, PTABLE_MBR_SIGNATURE_OFFSET,
                     g_bytes_new (mbr + PTABLE_MBR_SIGNATURE_OFFSET,
                                  512 - PTABLE_MBR_SIGNATURE_OFFSET),
                     "MBR (disk signature, partition entries)");
}

/* One EBR per logical partition at the sectors @ebr, each linking to the
 * next; an extended partition without logicals gets an empty one, so no
 * stale chain is read there. */
static void
mbr_write_ebrs (const PtablePartition *ext, GPtrArray *logicals, const guint64 *ebr, guint32 ss,
                PtableWrites *w)
{
  if (ext != NULL && logicals->len == 0)
    ptable_writes_add (w, ext->start_sector * ss, g_bytes_new_take (g_malloc0 (ss), ss),
                       "empty EBR of extended partition %u", ext->number);

  for (guint i = 0; i < logicals->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (logicals, i);
      guint8 *s = g_malloc0 (ss);

      ptable_mbr_put_entry (s + PTABLE_MBR_ENTRIES_OFFSET, p->bootable, p->mbr_type,
                            (guint32) (p->start_sector - ebr[i]), (guint32) p->sectors);
      /* CHS are absolute even where LBAs are relative */
      put_chs (s + PTABLE_MBR_ENTRIES_OFFSET + 1, p->start_sector);
      put_chs (s + PTABLE_MBR_ENTRIES_OFFSET + 5, p->start_sector + p->sectors - 1);
      if (i + 1 < logicals->len)
        {
          const PtablePartition *n = g_ptr_array_index (logicals, i + 1);
          guint8 *l = s + PTABLE_MBR_ENTRIES_OFFSET + 16;
          ptable_mbr_put_entry (l, FALSE, 0x05, (guint32) (ebr[i + 1] - ext->start_sector),
                                (guint32) (n->start_sector + n->sectors - ebr[i + 1]));
          put_chs (l + 1, ebr[i + 1]);
          put_chs (l + 5, n->start_sector + n->sectors - 1);
        }
      s[510] = 0x55;
      s[511] = 0xaa;
      ptable_writes_add (w, ebr[i] * ss, g_bytes_new_take (s, ss), "EBR of partition %u",
                         p->number);
    }
}

gboolean
ptable_mbr_build (const PtableTable *t, guint64 disk_sectors, PtableWrites *w, GError **error)
{
  g_autoptr (GPtrArray) logicals = g_ptr_array_new ();
  g_autofree guint64 *ebr = NULL;
  const PtablePartition *ext = NULL;

  if (disk_sectors < 2)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_TOO_SMALL,
                   "the target disk (%" G_GUINT64_FORMAT " sectors) is too small "
                   "for an MBR",
                   disk_sectors);
      return FALSE;
    }
  if (!mbr_check_entries (t, disk_sectors, logicals, &ext, error)
      || !ptable_check_layout (t, disk_sectors, NULL, error))
    return FALSE;
  ebr = mbr_place_ebrs (logicals, ext, error);
  if (ebr == NULL)
    return FALSE;

  mbr_write_sector0 (t, w);
  mbr_write_ebrs (ext, logicals, ebr, t->sector_size, w);
  return TRUE;
}
