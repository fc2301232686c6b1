/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GPT (UEFI 2.10, chapter 5.3): protective MBR in sector 0, primary header
 * in LBA 1 and its entry array, backup entry array and header at the end of
 * the disk.  Every header field that decides a read is checked before it is
 * used; the primary is preferred, the backup read when the primary is
 * unusable, and the result says so.
 */
#include "config.h"

#include <string.h>

#include "ptable-private.h"

#define GPT_SIGNATURE "EFI PART"
#define GPT_REVISION 0x00010000u
#define GPT_HEADER_SIZE 92u
#define GPT_NAME_OFFSET 56u
#define GPT_NAME_BYTES (PTABLE_GPT_NAME_UNITS * 2u)

typedef struct {
  guint64 lba; /* where it was read */
  guint64 alternate_lba;
  guint64 first_usable;
  guint64 last_usable;
  guint64 entries_lba;
  guint64 entries_sectors;
  guint32 entry_count;
  guint32 entry_size;
  guint32 entries_crc;
  guint8 disk_guid[16];
  guint8 *entries; /* entry_count * entry_size bytes */
} GptHeader;

static void
gpt_header_clear (GptHeader *h)
{
  g_clear_pointer (&h->entries, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GptHeader, gpt_header_clear)

/* The caps on entry size and count, shared by reading and building. */
static gboolean
check_entry_geometry (guint32 count, guint32 size, guint32 sector_size, const char *where,
                      guint64 *entries_sectors, GError **error)
{
  if (size < 128 || size % 8 != 0)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_CORRUPT,
                   "%s: GPT entry size %u is not a multiple of 8 of at least 128", where, size);
      return FALSE;
    }
  if (size > PTABLE_GPT_MAX_ENTRY_SIZE)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_LIMIT,
                   "%s: GPT entry size %u is above the supported %u bytes", where, size,
                   PTABLE_GPT_MAX_ENTRY_SIZE);
      return FALSE;
    }
  if (count > PTABLE_GPT_MAX_ENTRIES || (guint64) count * size > PTABLE_GPT_MAX_ENTRIES_BYTES)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_LIMIT,
                   "%s: %u GPT entries of %u bytes, more than the supported %u "
                   "entries or %u bytes",
                   where, count, size, PTABLE_GPT_MAX_ENTRIES, PTABLE_GPT_MAX_ENTRIES_BYTES);
      return FALSE;
    }
  *entries_sectors = ((guint64) count * size + sector_size - 1) / sector_size;
  return TRUE;
}

static gboolean
gpt_read_header (const PtableReader *r, guint64 lba, guint64 disk_sectors, GptHeader *h,
                 GError **error)
{
  const guint32 ss = r->logical_sector;
  g_autofree guint8 *s = g_malloc (ss);
  g_autofree char *where = g_strdup_printf ("GPT header at LBA %" G_GUINT64_FORMAT, lba);
  guint32 header_size, stored_crc, computed_crc;
  guint64 entries_end;

  if (!ptable_read_sectors (r, lba, 1, s, error))
    return FALSE;
  if (memcmp (s, GPT_SIGNATURE, 8) != 0)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_CORRUPT,
                   "no GPT header signature at LBA %" G_GUINT64_FORMAT, lba);
      return FALSE;
    }
  header_size = ptable_get_le32 (s + 12);
  if (header_size < GPT_HEADER_SIZE || header_size > ss)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_CORRUPT,
                   "%s: header size %u is not between %u and the sector size %u", where,
                   header_size, GPT_HEADER_SIZE, ss);
      return FALSE;
    }
  stored_crc = ptable_get_le32 (s + 16);
  ptable_put_le32 (s + 16, 0);
  computed_crc = ptable_crc32 (s, header_size);
  if (stored_crc != computed_crc)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_CORRUPT,
                   "GPT header CRC mismatch at LBA %" G_GUINT64_FORMAT
                   " (stored 0x%08x, computed 0x%08x)",
                   lba, stored_crc, computed_crc);
      return FALSE;
    }
  h->lba = lba;
  if (ptable_get_le64 (s + 24) != lba)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_CORRUPT,
                   "%s says it is at LBA %" G_GUINT64_FORMAT, where, ptable_get_le64 (s + 24));
      return FALSE;
    }
  h->alternate_lba = ptable_get_le64 (s + 32);
  h->first_usable = ptable_get_le64 (s + 40);
  h->last_usable = ptable_get_le64 (s + 48);
  memcpy (h->disk_guid, s + 56, 16);
  h->entries_lba = ptable_get_le64 (s + 72);
  h->entry_count = ptable_get_le32 (s + 80);
  h->entry_size = ptable_get_le32 (s + 84);
  h->entries_crc = ptable_get_le32 (s + 88);

  if (!check_entry_geometry (h->entry_count, h->entry_size, ss, where, &h->entries_sectors, error))
    return FALSE;
  if (h->first_usable > h->last_usable)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                   "%s: first usable LBA %" G_GUINT64_FORMAT " is after the last "
                   "usable LBA %" G_GUINT64_FORMAT,
                   where, h->first_usable, h->last_usable);
      return FALSE;
    }
  if (h->last_usable >= disk_sectors)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                   "%s: last usable LBA %" G_GUINT64_FORMAT " is past the disk end "
                   "(%" G_GUINT64_FORMAT " sectors)",
                   where, h->last_usable, disk_sectors);
      return FALSE;
    }
  if (h->first_usable == 0 || (lba >= h->first_usable && lba <= h->last_usable))
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                   "%s: the usable LBAs %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                   " include the header or the MBR",
                   where, h->first_usable, h->last_usable);
      return FALSE;
    }
  if (!g_uint64_checked_add (&entries_end, h->entries_lba, h->entries_sectors)
      || entries_end > disk_sectors)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                   "%s: entries at LBA %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
                   " sectors) are past the disk end (%" G_GUINT64_FORMAT " sectors)",
                   where, h->entries_lba, h->entries_sectors, disk_sectors);
      return FALSE;
    }
  if (h->entries_sectors > 0
      && (h->entries_lba == 0 || (lba >= h->entries_lba && lba < entries_end)
          || (h->entries_lba <= h->last_usable && entries_end > h->first_usable)))
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                   "%s: entries at LBA %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                   " overlap the MBR, the header or the usable LBAs %" G_GUINT64_FORMAT
                   "-%" G_GUINT64_FORMAT,
                   where, h->entries_lba, entries_end - 1, h->first_usable, h->last_usable);
      return FALSE;
    }

  h->entries = g_malloc0 (h->entries_sectors * ss + 1);
  if (h->entries_sectors > 0
      && !ptable_read_sectors (r, h->entries_lba, h->entries_sectors, h->entries, error))
    return FALSE;
  computed_crc = ptable_crc32 (h->entries, (gsize) h->entry_count * h->entry_size);
  if (computed_crc != h->entries_crc)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_CORRUPT,
                   "GPT entries CRC mismatch (entries at LBA %" G_GUINT64_FORMAT
                   " of the header at LBA %" G_GUINT64_FORMAT ": stored 0x%08x, "
                   "computed 0x%08x)",
                   h->entries_lba, lba, h->entries_crc, computed_crc);
      return FALSE;
    }
  return TRUE;
}

/* UTF-16LE, at most 36 units, NUL-terminated only when shorter.  Lone
 * surrogates become U+FFFD and *invalid is set. */
static char *
name_from_utf16 (const guint8 *raw, gboolean *invalid)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < PTABLE_GPT_NAME_UNITS; i++)
    {
      gunichar2 u = ptable_get_le16 (raw + 2 * i);
      gunichar c = u;

      if (u == 0)
        break;
      if (u >= 0xd800 && u < 0xdc00)
        {
          gunichar2 lo = i + 1 < PTABLE_GPT_NAME_UNITS ? ptable_get_le16 (raw + 2 * (i + 1)) : 0;
          if (lo >= 0xdc00 && lo < 0xe000)
            {
              c = 0x10000 + (((gunichar) u - 0xd800) << 10) + (lo - 0xdc00);
              i++;
            }
          else
            {
              c = 0xfffd;
              *invalid = TRUE;
            }
        }
      else if (u >= 0xdc00 && u < 0xe000)
        {
          c = 0xfffd;
          *invalid = TRUE;
        }
      g_string_append_unichar (s, c);
    }
  return g_string_free (s, FALSE);
}

static gboolean
name_to_utf16 (const char *name, guint32 number, guint8 *out, GError **error)
{
  guint n = 0;

  if (!g_utf8_validate (name, -1, NULL))
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                   "partition %u: the name is not valid UTF-8", number);
      return FALSE;
    }
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      guint units = c >= 0x10000 ? 2 : 1;

      if (n + units > PTABLE_GPT_NAME_UNITS)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "partition %u: the name \"%s\" is longer than %u UTF-16 "
                       "code units",
                       number, name, PTABLE_GPT_NAME_UNITS);
          return FALSE;
        }
      if (units == 2)
        {
          c -= 0x10000;
          ptable_put_le16 (out + 2 * n++, (guint16) (0xd800 + (c >> 10)));
          ptable_put_le16 (out + 2 * n++, (guint16) (0xdc00 + (c & 0x3ff)));
        }
      else
        ptable_put_le16 (out + 2 * n++, (guint16) c);
    }
  return TRUE;
}

static gboolean
parse_entries (PtableTable *t, const GptHeader *h, GError **error)
{
  static const guint8 zero[16];

  for (guint32 i = 0; i < h->entry_count; i++)
    {
      const guint8 *e = h->entries + (gsize) i * h->entry_size;
      g_autoptr (PtablePartition) p = NULL;
      guint64 first, last;
      gboolean invalid = FALSE;

      if (memcmp (e, zero, 16) == 0)
        continue;
      first = ptable_get_le64 (e + 32);
      last = ptable_get_le64 (e + 40);
      p = ptable_partition_new ();
      p->number = i + 1;
      if (first > last)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "GPT partition %u starts at LBA %" G_GUINT64_FORMAT
                       ", after its last LBA %" G_GUINT64_FORMAT,
                       p->number, first, last);
          return FALSE;
        }
      p->start_sector = first;
      if (!g_uint64_checked_add (&p->sectors, last - first, 1))
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "GPT partition %u covers all 2^64 sectors", p->number);
          return FALSE;
        }
      ptable_guid_to_string (e, p->type_guid);
      ptable_guid_to_string (e + 16, p->guid);
      if (memcmp (e + 16, zero, 16) == 0)
        ptable_add_warning (t, PTABLE_WARNING_GPT_ZERO_GUID,
                            "GPT partition %u has an all-zero unique partition GUID", p->number);
      p->attributes = ptable_get_le64 (e + 48);
      g_free (p->name);
      p->name = name_from_utf16 (e + GPT_NAME_OFFSET, &invalid);
      if (invalid)
        ptable_add_warning (t, PTABLE_WARNING_GPT_NAME_INVALID,
                            "GPT partition %u: the name has invalid UTF-16 "
                            "(unpaired surrogates), replaced by U+FFFD",
                            p->number);
      ptable_table_add_partition (t, g_steal_pointer (&p));
    }
  return TRUE;
}

static void
fill_from_header (PtableTable *t, const GptHeader *h)
{
  memcpy (t->disk_guid_raw, h->disk_guid, 16);
  ptable_guid_to_string (h->disk_guid, t->disk_guid);
  t->first_usable_lba = h->first_usable;
  t->last_usable_lba = h->last_usable;
  t->entry_count = h->entry_count;
  t->entry_size = h->entry_size;
}

/* With a good primary: is the backup there and the same?  Only warnings. */
static void
check_backup (const PtableReader *r, PtableTable *t, const GptHeader *primary)
{
  g_auto (GptHeader) backup = { 0 };
  g_autoptr (GError) local = NULL;
  const guint64 last = t->disk_sectors - 1;

  if (primary->alternate_lba >= t->disk_sectors || primary->alternate_lba <= 1)
    {
      ptable_add_warning (t, PTABLE_WARNING_GPT_BACKUP_BAD,
                          "the primary GPT header puts the backup at LBA %" G_GUINT64_FORMAT
                          ", outside the disk (%" G_GUINT64_FORMAT " sectors)",
                          primary->alternate_lba, t->disk_sectors);
      return;
    }
  if (primary->alternate_lba != last)
    ptable_add_warning (t, PTABLE_WARNING_GPT_BACKUP_NOT_AT_END,
                        "the backup GPT header is at LBA %" G_GUINT64_FORMAT
                        ", not at the last LBA %" G_GUINT64_FORMAT " (the disk was grown?)",
                        primary->alternate_lba, last);
  if (!gpt_read_header (r, primary->alternate_lba, t->disk_sectors, &backup, &local))
    {
      ptable_add_warning (t, PTABLE_WARNING_GPT_BACKUP_BAD, "the backup GPT is damaged: %s",
                          local->message);
      return;
    }
  if (memcmp (backup.disk_guid, primary->disk_guid, 16) != 0
      || backup.entries_crc != primary->entries_crc || backup.entry_count != primary->entry_count
      || backup.entry_size != primary->entry_size || backup.first_usable != primary->first_usable
      || backup.last_usable != primary->last_usable || backup.alternate_lba != 1)
    ptable_add_warning (t, PTABLE_WARNING_GPT_BACKUP_BAD,
                        "the backup GPT header at LBA %" G_GUINT64_FORMAT
                        " differs from the primary",
                        backup.lba);
}

gboolean
ptable_gpt_read (const PtableReader *r, const guint8 *sector0, PtableTable *t, GError **error)
{
  g_auto (GptHeader) primary = { 0 };
  g_auto (GptHeader) backup = { 0 };
  g_autoptr (GError) primary_error = NULL;
  g_autoptr (GString) others = g_string_new (NULL);
  const GptHeader *used;

  t->mbr_signature = ptable_get_le32 (sector0 + PTABLE_MBR_SIGNATURE_OFFSET);
  for (guint i = 0; i < 4; i++)
    {
      guint8 type = sector0[PTABLE_MBR_ENTRIES_OFFSET + 16 * i + 4];
      if (type != 0 && type != PTABLE_MBR_TYPE_GPT)
        g_string_append_printf (others, " %u (type 0x%02x)", i + 1, type);
    }
  if (others->len > 0)
    ptable_add_warning (t, PTABLE_WARNING_HYBRID_MBR,
                        "hybrid MBR: besides the protective 0xEE entry the MBR has "
                        "partitions%s; restore writes a plain protective MBR",
                        others->str);

  if (t->disk_sectors < 3)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_TOO_SMALL,
                   "protective MBR on a disk of %" G_GUINT64_FORMAT " sectors, too small for a GPT",
                   t->disk_sectors);
      return FALSE;
    }

  if (gpt_read_header (r, 1, t->disk_sectors, &primary, &primary_error))
    {
      used = &primary;
      t->entries_lba = primary.entries_lba;
      check_backup (r, t, &primary);
    }
  else
    {
      g_autoptr (GError) backup_error = NULL;
      guint64 last = t->disk_sectors - 1;

      if (!gpt_read_header (r, last, t->disk_sectors, &backup, &backup_error))
        {
          /* the primary's error is the one to act on; the code too */
          g_set_error (error, primary_error->domain, primary_error->code, "%s; backup: %s",
                       primary_error->message, backup_error->message);
          return FALSE;
        }
      ptable_add_warning (t, PTABLE_WARNING_GPT_PRIMARY_BAD,
                          "the primary GPT is unusable (%s); the backup at LBA %" G_GUINT64_FORMAT
                          " was read instead",
                          primary_error->message, last);
      used = &backup;
      /* where the primary array belongs when it is recreated */
      t->entries_lba = 2;
    }

  fill_from_header (t, used);
  if (!parse_entries (t, used, error))
    return FALSE;
  return ptable_check_layout (t, t->disk_sectors, &t->first_partition_start_sector, error);
}

/* ---- building ------------------------------------------------------- */

static GBytes *
make_header (const PtableTable *t, const guint8 disk_guid[16], guint64 lba, guint64 alternate,
             guint64 last_usable, guint64 entries_lba, guint32 entries_crc)
{
  guint8 *s = g_malloc0 (t->sector_size);

  memcpy (s, GPT_SIGNATURE, 8);
  ptable_put_le32 (s + 8, GPT_REVISION);
  ptable_put_le32 (s + 12, GPT_HEADER_SIZE);
  ptable_put_le64 (s + 24, lba);
  ptable_put_le64 (s + 32, alternate);
  ptable_put_le64 (s + 40, t->first_usable_lba);
  ptable_put_le64 (s + 48, last_usable);
  memcpy (s + 56, disk_guid, 16);
  ptable_put_le64 (s + 72, entries_lba);
  ptable_put_le32 (s + 80, t->entry_count);
  ptable_put_le32 (s + 84, t->entry_size);
  ptable_put_le32 (s + 88, entries_crc);
  ptable_put_le32 (s + 16, ptable_crc32 (s, GPT_HEADER_SIZE));
  return g_bytes_new_take (s, t->sector_size);
}

/* The sectors the table takes on a disk of @disk_sectors: the entries
 * (*entries_sectors, between the primary header and @t's first usable
 * LBA, and again before the backup header) and the last usable LBA. */
static gboolean
gpt_fit_disk (const PtableTable *t, guint64 disk_sectors, guint64 *entries_sectors,
              guint64 *last_usable, GError **error)
{
  guint64 need;

  if (!check_entry_geometry (t->entry_count, t->entry_size, t->sector_size, "the table",
                             entries_sectors, error))
    return FALSE;
  if (t->entries_lba < 2 || t->first_usable_lba < t->entries_lba + *entries_sectors)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                   "GPT entries at LBA %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
                   " sectors) do not fit between the header and the first usable "
                   "LBA %" G_GUINT64_FORMAT,
                   t->entries_lba, *entries_sectors, t->first_usable_lba);
      return FALSE;
    }
  /* first usable .. last usable (at least one sector), backup entries,
   * backup header */
  need = t->first_usable_lba + 1 + *entries_sectors + 1;
  if (disk_sectors < need)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_TOO_SMALL,
                   "the target disk (%" G_GUINT64_FORMAT " sectors) is too small "
                   "for this GPT (%" G_GUINT64_FORMAT " sectors at least)",
                   disk_sectors, need);
      return FALSE;
    }
  *last_usable = disk_sectors - 1 - *entries_sectors - 1;
  return TRUE;
}

/* Checks that each partition has an entry of its own and ends by
 * @last_usable, then the layout rules every table shares. */
static gboolean
gpt_check_partitions (const PtableTable *t, guint64 disk_sectors, guint64 last_usable,
                      GError **error)
{
  PtableTable target;

  for (guint i = 0; i < t->partitions->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (t->partitions, i);
      guint64 end;
      if (p->number == 0 || p->number > t->entry_count)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "partition %u: not a valid entry number for %u entries", p->number,
                       t->entry_count);
          return FALSE;
        }
      if (g_uint64_checked_add (&end, p->start_sector, p->sectors) && end > last_usable + 1
          && p->start_sector >= t->first_usable_lba)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_TOO_SMALL,
                       "partition %u ends at LBA %" G_GUINT64_FORMAT ", past the "
                       "last usable LBA %" G_GUINT64_FORMAT
                       " of the target disk (%" G_GUINT64_FORMAT " sectors)",
                       p->number, end - 1, last_usable, disk_sectors);
          return FALSE;
        }
    }
  target = *t;
  target.last_usable_lba = last_usable;
  return ptable_check_layout (&target, disk_sectors, NULL, error);
}

/* The partition entry array, @entries_sectors long (NULL when that is
 * none), in *out; FALSE when a GUID or a name cannot be encoded. */
static gboolean
gpt_encode_entries (const PtableTable *t, guint64 entries_sectors, guint8 **out, GError **error)
{
  g_autofree guint8 *entries = g_malloc0 (entries_sectors * t->sector_size);

  for (guint i = 0; i < t->partitions->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (t->partitions, i);
      guint8 *e = entries + (gsize) (p->number - 1) * t->entry_size;
      static const guint8 zero[16];

      if (!ptable_guid_from_string (p->type_guid, e) || !ptable_guid_from_string (p->guid, e + 16))
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "partition %u: type \"%s\" or GUID \"%s\" is not a GUID", p->number,
                       p->type_guid, p->guid);
          return FALSE;
        }
      if (memcmp (e, zero, 16) == 0)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "partition %u: an all-zero type GUID marks an unused entry", p->number);
          return FALSE;
        }
      ptable_put_le64 (e + 32, p->start_sector);
      ptable_put_le64 (e + 40, p->start_sector + p->sectors - 1);
      ptable_put_le64 (e + 48, p->attributes);
      if (!name_to_utf16 (p->name != NULL ? p->name : "", p->number, e + GPT_NAME_OFFSET, error))
        return FALSE;
    }
  *out = g_steal_pointer (&entries);
  return TRUE;
}

/* The protective MBR, bytes 440-511 of sector 0: one 0xEE entry over the
 * disk so MBR-only tools see it in use.  The boot code before them is the
 * boot area's. */
static void
gpt_write_protective_mbr (const PtableTable *t, guint64 disk_sectors, PtableWrites *w)
{
  g_autofree guint8 *mbr = g_malloc0 (512);

  ptable_put_le32 (mbr + PTABLE_MBR_SIGNATURE_OFFSET, t->mbr_signature);
  ptable_mbr_put_entry (mbr + PTABLE_MBR_ENTRIES_OFFSET, FALSE, PTABLE_MBR_TYPE_GPT, 1,
                        (guint32) MIN (disk_sectors - 1, G_MAXUINT32));
  /* ending CHS: 0xFFFFFF ("not representable", allowed by UEFI), as
   * sfdisk writes it */
  memset (mbr + PTABLE_MBR_ENTRIES_OFFSET + 5, 0xff, 3);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  ptable_writes_add (w, PTABLE_MBR_SIGNATURE_OFFSET,
                     g_bytes_new (mbr + PTABLE_MBR_SIGNATURE_OFFSET,
                                  512 - PTABLE_MBR_SIGNATURE_OFFSET),
                     "protective MBR");
}

gboolean
ptable_gpt_build (const PtableTable *t, guint64 disk_sectors, PtableWrites *w, GError **error)
{
  const guint32 ss = t->sector_size;
  guint8 disk_guid[16];
  guint64 entries_sectors, last_lba, backup_entries_lba, last_usable;
  g_autofree guint8 *entries = NULL;
  guint32 entries_crc;

  if (!ptable_guid_from_string (t->disk_guid, disk_guid))
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID, "disk GUID \"%s\" is not a GUID",
                   t->disk_guid);
      return FALSE;
    }
  if (!gpt_fit_disk (t, disk_sectors, &entries_sectors, &last_usable, error)
      || !gpt_check_partitions (t, disk_sectors, last_usable, error))
    return FALSE;
  if (!gpt_encode_entries (t, entries_sectors, &entries, error))
    return FALSE;
  entries_crc = ptable_crc32 (entries, (gsize) t->entry_count * t->entry_size);
  last_lba = disk_sectors - 1;
  backup_entries_lba = last_lba - entries_sectors;

  gpt_write_protective_mbr (t, disk_sectors, w);
  ptable_writes_add (w, ss,
                     make_header (t, disk_guid, 1, last_lba, last_usable, t->entries_lba,
                                  entries_crc),
                     "primary GPT header");
  if (entries_sectors > 0)
    {
      ptable_writes_add (w, t->entries_lba * ss, g_bytes_new (entries, entries_sectors * ss),
                         "primary GPT entries");
      ptable_writes_add (w, backup_entries_lba * ss, g_bytes_new (entries, entries_sectors * ss),
                         "backup GPT entries");
    }
  ptable_writes_add (w, last_lba * ss,
                     make_header (t, disk_guid, last_lba, 1, last_usable, backup_entries_lba,
                                  entries_crc),
                     "backup GPT header");
  return TRUE;
}
