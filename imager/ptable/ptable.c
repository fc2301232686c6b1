/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Partition tables: the types, detection (none / MBR / GPT), the layout
 * rules shared by reading and building, readers and the write list.  The
 * formats themselves are in ptable-mbr.c and ptable-gpt.c.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ptable-private.h"

/* clang-format off */
G_DEFINE_QUARK (asr-ptable-error-quark, ptable_error)
/* clang-format on */

static const char *const type_names[] = { "none", "mbr", "gpt" };
static const char *const kind_names[] = { NULL, "primary", "extended", "logical" };
static const char *const warning_names[] = {
  "no-mbr-signature", "gpt-primary-bad",  "gpt-backup-bad", "gpt-backup-not-at-end",
  "hybrid-mbr",       "gpt-name-invalid", "gpt-zero-guid",  "mbr-empty-entry",
};

const char *
ptable_type_to_string (PtableType v)
{
  g_return_val_if_fail ((guint) v < G_N_ELEMENTS (type_names), NULL);
  return type_names[v];
}

const char *
ptable_kind_to_string (PtableKind v)
{
  g_return_val_if_fail ((guint) v < G_N_ELEMENTS (kind_names), NULL);
  return kind_names[v];
}

const char *
ptable_warning_code_to_string (PtableWarningCode v)
{
  g_return_val_if_fail ((guint) v < G_N_ELEMENTS (warning_names), NULL);
  return warning_names[v];
}

gboolean
ptable_type_from_string (const char *s, PtableType *out)
{
  for (guint i = 0; s != NULL && i < G_N_ELEMENTS (type_names); i++)
    if (g_str_equal (s, type_names[i]))
      {
        *out = (PtableType) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
ptable_kind_from_string (const char *s, PtableKind *out)
{
  for (guint i = 1; s != NULL && i < G_N_ELEMENTS (kind_names); i++)
    if (g_str_equal (s, kind_names[i]))
      {
        *out = (PtableKind) i;
        return TRUE;
      }
  return FALSE;
}

/* ---- GUIDs ---------------------------------------------------------- */

/* Byte order of the text form's 16 bytes in the on-disk form. */
static const guint8 guid_order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

void
ptable_guid_to_string (const guint8 raw[16], char out[37])
{
  static const char hex[] = "0123456789abcdef";
  char *o = out;

  for (int i = 0; i < 16; i++)
    {
      guint8 b = raw[guid_order[i]];
      if (i == 4 || i == 6 || i == 8 || i == 10)
        *o++ = '-';
      *o++ = hex[b >> 4];
      *o++ = hex[b & 0xf];
    }
  *o = '\0';
}

gboolean
ptable_guid_from_string (const char *text, guint8 raw[16])
{
  guint8 bytes[16];
  int n = 0;

  if (text == NULL || strlen (text) != 36)
    return FALSE;
  for (int i = 0; i < 36;)
    {
      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (text[i] != '-')
            return FALSE;
          i++;
          continue;
        }
      int hi = g_ascii_xdigit_value (text[i]);
      int lo = g_ascii_xdigit_value (text[i + 1]);
      if (hi < 0 || lo < 0)
        return FALSE;
      bytes[n++] = (guint8) (hi << 4 | lo);
      i += 2;
    }
  for (int i = 0; i < 16; i++)
    raw[guid_order[i]] = bytes[i];
  return TRUE;
}

/* ---- types ---------------------------------------------------------- */

static gboolean
sector_size_ok (guint32 s)
{
  return s >= 512 && s <= 65536 && (s & (s - 1)) == 0;
}

static void
warning_free (gpointer p)
{
  PtableWarning *w = p;
  g_free (w->message);
  g_free (w);
}

PtableTable *
ptable_table_new (PtableType type, guint32 sector_size)
{
  PtableTable *t = g_new0 (PtableTable, 1);
  t->type = type;
  t->sector_size = sector_size;
  t->partitions = g_ptr_array_new_with_free_func ((GDestroyNotify) ptable_partition_free);
  t->warnings = g_ptr_array_new_with_free_func (warning_free);
  if (type == PTABLE_TYPE_GPT && sector_size_ok (sector_size))
    {
      /* what every partitioning tool writes: 128 entries of 128 bytes at
       * LBA 2, the smallest array UEFI allows (16 KiB) */
      t->entry_count = 128;
      t->entry_size = 128;
      t->entries_lba = 2;
      t->first_usable_lba = 2 + (16384 + sector_size - 1) / sector_size;
    }
  return t;
}

void
ptable_table_free (PtableTable *t)
{
  if (t == NULL)
    return;
  g_ptr_array_unref (t->partitions);
  g_ptr_array_unref (t->warnings);
  g_free (t);
}

PtablePartition *
ptable_partition_new (void)
{
  PtablePartition *p = g_new0 (PtablePartition, 1);
  p->name = g_strdup ("");
  return p;
}

void
ptable_partition_free (PtablePartition *p)
{
  if (p == NULL)
    return;
  g_free (p->name);
  g_free (p);
}

void
ptable_table_add_partition (PtableTable *t, PtablePartition *p)
{
  guint i;

  g_return_if_fail (t != NULL && p != NULL);
  for (i = t->partitions->len; i > 0; i--)
    {
      const PtablePartition *q = g_ptr_array_index (t->partitions, i - 1);
      if (q->number <= p->number)
        break;
    }
  g_ptr_array_insert (t->partitions, (gint) i, p);
}

const PtablePartition *
ptable_table_find_partition (const PtableTable *t, guint32 number)
{
  for (guint i = 0; i < t->partitions->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (t->partitions, i);
      if (p->number == number)
        return p;
    }
  return NULL;
}

gboolean
ptable_table_has_warning (const PtableTable *t, PtableWarningCode code)
{
  for (guint i = 0; i < t->warnings->len; i++)
    if (((const PtableWarning *) g_ptr_array_index (t->warnings, i))->code == code)
      return TRUE;
  return FALSE;
}

void
ptable_add_warning (PtableTable *t, PtableWarningCode code, const char *fmt, ...)
{
  PtableWarning *w = g_new0 (PtableWarning, 1);
  va_list ap;

  va_start (ap, fmt);
  w->code = code;
  w->message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_debug ("ptable: %s", w->message);
  g_ptr_array_add (t->warnings, w);
}

char *
ptable_table_diff (const PtableTable *a, const PtableTable *b)
{
#define DIFF_U(field, what)                                                        \
  if (a->field != b->field)                                                        \
  return g_strdup_printf ("%s: %" G_GUINT64_FORMAT " != %" G_GUINT64_FORMAT, what, \
                          (guint64) a->field, (guint64) b->field)
#define DIFF_S(field, what)                \
  if (g_strcmp0 (a->field, b->field) != 0) \
  return g_strdup_printf ("%s: \"%s\" != \"%s\"", what, a->field, b->field)

  DIFF_U (type, "table type");
  DIFF_U (sector_size, "sector size");
  DIFF_U (mbr_signature, "MBR disk signature");
  if (a->type == PTABLE_TYPE_GPT)
    {
      DIFF_S (disk_guid, "disk GUID");
      DIFF_U (first_usable_lba, "first usable LBA");
      DIFF_U (entries_lba, "entries LBA");
      DIFF_U (entry_count, "entry count");
      DIFF_U (entry_size, "entry size");
    }
  DIFF_U (partitions->len, "number of partitions");
  for (guint i = 0; i < a->partitions->len; i++)
    {
      const PtablePartition *pa = g_ptr_array_index (a->partitions, i);
      const PtablePartition *pb = g_ptr_array_index (b->partitions, i);
      g_autofree char *d = NULL;

#define PDIFF_U(field)                                                                             \
  if (d == NULL && pa->field != pb->field)                                                         \
  d = g_strdup_printf (#field " %" G_GUINT64_FORMAT " != %" G_GUINT64_FORMAT, (guint64) pa->field, \
                       (guint64) pb->field)
#define PDIFF_S(field)                                    \
  if (d == NULL && g_strcmp0 (pa->field, pb->field) != 0) \
  d = g_strdup_printf (#field " \"%s\" != \"%s\"", pa->field, pb->field)

      PDIFF_U (number);
      PDIFF_U (kind);
      PDIFF_U (start_sector);
      PDIFF_U (sectors);
      PDIFF_U (mbr_type);
      PDIFF_U (bootable);
      PDIFF_U (attributes);
      PDIFF_S (type_guid);
      PDIFF_S (guid);
      PDIFF_S (name);
      /* ebr_sector: only when both know it (0 = let the builder choose) */
      if (d == NULL && pa->ebr_sector != 0 && pb->ebr_sector != 0)
        PDIFF_U (ebr_sector);
      if (d != NULL)
        return g_strdup_printf ("partition %u: %s", pa->number, d);
#undef PDIFF_U
#undef PDIFF_S
    }
  return NULL;
#undef DIFF_U
#undef DIFF_S
}

/* ---- readers -------------------------------------------------------- */

static gboolean
fd_pread (void *opaque, void *buf, gsize len, guint64 offset, GError **error)
{
  int fd = GPOINTER_TO_INT (opaque);
  guint8 *p = buf;

  while (len > 0)
    {
      if (offset > G_MAXINT64)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_IO,
                       "offset %" G_GUINT64_FORMAT " is too large", offset);
          return FALSE;
        }
      ssize_t n = pread (fd, p, len, (off_t) offset);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_IO,
                       "read at byte %" G_GUINT64_FORMAT ": %s", offset, g_strerror (saved));
          return FALSE;
        }
      if (n == 0)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_IO,
                       "read at byte %" G_GUINT64_FORMAT ": unexpected end of file", offset);
          return FALSE;
        }
      p += n;
      len -= (gsize) n;
      offset += (guint64) n;
    }
  return TRUE;
}

void
ptable_reader_init_fd (PtableReader *r, int fd, guint64 size_bytes, guint32 logical_sector)
{
  g_return_if_fail (r != NULL && fd >= 0);
  r->pread = fd_pread;
  r->opaque = GINT_TO_POINTER (fd);
  r->size_bytes = size_bytes;
  r->logical_sector = logical_sector;
}

/* The buffer's length is the reader's size_bytes. */
static gboolean
buffer_pread (void *opaque, void *buf, gsize len, guint64 offset, GError **error)
{
  /* ptable_read_sectors() has checked offset + len <= size_bytes, which is
   * the buffer's length (ptable_reader_init_buffer). */
  memcpy (buf, (const guint8 *) opaque + offset, len);
  return TRUE;
}

void
ptable_reader_init_buffer (PtableReader *r, const void *buf, gsize len, guint32 logical_sector)
{
  g_return_if_fail (r != NULL && (buf != NULL || len == 0));
  r->pread = buffer_pread;
  r->opaque = (void *) buf;
  r->size_bytes = len;
  r->logical_sector = logical_sector;
}

gboolean
ptable_read_sectors (const PtableReader *r, guint64 lba, guint64 count, guint8 *buf, GError **error)
{
  guint64 offset, len, end;

  if (!g_uint64_checked_mul (&offset, lba, r->logical_sector)
      || !g_uint64_checked_mul (&len, count, r->logical_sector)
      || !g_uint64_checked_add (&end, offset, len) || end > r->size_bytes || len > G_MAXSIZE)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                   "%" G_GUINT64_FORMAT " sectors at sector %" G_GUINT64_FORMAT
                   " are past the disk end (%" G_GUINT64_FORMAT " sectors)",
                   count, lba, r->size_bytes / r->logical_sector);
      return FALSE;
    }
  if (!r->pread (r->opaque, buf, (gsize) len, offset, error))
    {
      g_prefix_error (error, "reading sector %" G_GUINT64_FORMAT ": ", lba);
      return FALSE;
    }
  return TRUE;
}

/* ---- layout rules --------------------------------------------------- */

typedef struct {
  guint64 start, end; /* end exclusive */
  guint32 number;
} Extent;

static gint
extent_cmp (gconstpointer a, gconstpointer b)
{
  const Extent *x = a, *y = b;
  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return x->number < y->number ? -1 : x->number > y->number;
}

static gboolean
check_overlaps (GArray *extents, GError **error)
{
  g_array_sort (extents, extent_cmp);
  for (guint i = 1; i < extents->len; i++)
    {
      const Extent *prev = &g_array_index (extents, Extent, i - 1);
      const Extent *cur = &g_array_index (extents, Extent, i);
      if (cur->start < prev->end)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "partitions %u and %u overlap (sectors %" G_GUINT64_FORMAT
                       "-%" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT ")",
                       MIN (prev->number, cur->number), MAX (prev->number, cur->number),
                       prev->start, prev->end - 1, cur->start, cur->end - 1);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
ptable_check_layout (const PtableTable *t, guint64 disk_sectors, guint64 *first_start,
                     GError **error)
{
  g_autoptr (GArray) outer = g_array_new (FALSE, FALSE, sizeof (Extent));
  g_autoptr (GArray) logicals = g_array_new (FALSE, FALSE, sizeof (Extent));
  const PtablePartition *ext = NULL;
  guint64 first = 0;

  for (guint i = 0; i < t->partitions->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (t->partitions, i);
      Extent e = { p->start_sector, 0, p->number };

      if (i > 0
          && p->number
               == ((const PtablePartition *) g_ptr_array_index (t->partitions, i - 1))->number)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID, "two partitions numbered %u",
                       p->number);
          return FALSE;
        }
      if (p->sectors == 0)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "partition %u is empty (0 sectors)", p->number);
          return FALSE;
        }
      if (p->start_sector == 0)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "partition %u starts at sector 0, over the partition table", p->number);
          return FALSE;
        }
      if (!g_uint64_checked_add (&e.end, p->start_sector, p->sectors))
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "partition %u: start %" G_GUINT64_FORMAT " + %" G_GUINT64_FORMAT
                       " sectors overflows",
                       p->number, p->start_sector, p->sectors);
          return FALSE;
        }
      if (e.end > disk_sectors)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "partition %u ends at sector %" G_GUINT64_FORMAT ", past the "
                       "disk end (%" G_GUINT64_FORMAT " sectors)",
                       p->number, e.end - 1, disk_sectors);
          return FALSE;
        }
      if (t->type == PTABLE_TYPE_GPT
          && (p->start_sector < t->first_usable_lba || e.end - 1 > t->last_usable_lba))
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "partition %u (sectors %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                       ") is outside the usable sectors %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                       p->number, p->start_sector, e.end - 1, t->first_usable_lba,
                       t->last_usable_lba);
          return FALSE;
        }
      if (p->kind == PTABLE_KIND_LOGICAL)
        g_array_append_val (logicals, e);
      else
        {
          g_array_append_val (outer, e);
          if (first == 0 || p->start_sector < first)
            first = p->start_sector;
        }
      if (p->kind == PTABLE_KIND_EXTENDED)
        {
          if (ext != NULL)
            {
              g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                           "two extended partitions (%u and %u)", ext->number, p->number);
              return FALSE;
            }
          ext = p;
        }
    }

  for (guint i = 0; i < logicals->len; i++)
    {
      const Extent *e = &g_array_index (logicals, Extent, i);
      if (ext == NULL)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "logical partition %u without an extended partition", e->number);
          return FALSE;
        }
      /* the first sector of the extended partition holds the first EBR */
      if (e->start <= ext->start_sector || e->end > ext->start_sector + ext->sectors)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_INVALID,
                       "logical partition %u (sectors %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                       ") is outside the extended partition %u"
                       " (sectors %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT ")",
                       e->number, e->start, e->end - 1, ext->number, ext->start_sector,
                       ext->start_sector + ext->sectors - 1);
          return FALSE;
        }
    }

  if (!check_overlaps (outer, error) || !check_overlaps (logicals, error))
    return FALSE;
  if (first_start != NULL)
    *first_start = first;
  return TRUE;
}

/* ---- detection ------------------------------------------------------ */

/* A GPT header signature where a disk of another sector size has it:
 * the caller was given the wrong logical sector size. */
static gboolean
gpt_at_other_sector_size (const PtableReader *r, GError **error)
{
  static const guint32 sizes[] = { 512, 4096 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guint8 sig[8];
      if (sizes[i] == r->logical_sector || r->size_bytes < sizes[i] + 8u)
        continue;
      if (!r->pread (r->opaque, sig, sizeof sig, sizes[i], NULL))
        continue;
      if (memcmp (sig, "EFI PART", 8) == 0)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_SECTOR_SIZE,
                       "GPT header found at byte %u (LBA 1 of %u-byte sectors), "
                       "but the disk's logical sector size is %u",
                       sizes[i], sizes[i], r->logical_sector);
          return TRUE;
        }
    }
  return FALSE;
}

PtableTable *
ptable_read (const PtableReader *r, GError **error)
{
  g_autoptr (PtableTable) t = NULL;
  g_autofree guint8 *s0 = NULL;
  guint64 disk_sectors;
  gboolean gpt = FALSE;

  g_return_val_if_fail (r != NULL && r->pread != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!sector_size_ok (r->logical_sector))
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_SECTOR_SIZE,
                   "unsupported logical sector size %u", r->logical_sector);
      return NULL;
    }
  disk_sectors = r->size_bytes / r->logical_sector;
  if (disk_sectors == 0)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_TOO_SMALL,
                   "the disk (%" G_GUINT64_FORMAT " bytes) is smaller than one "
                   "sector (%u bytes)",
                   r->size_bytes, r->logical_sector);
      return NULL;
    }

  t = ptable_table_new (PTABLE_TYPE_NONE, r->logical_sector);
  t->disk_sectors = disk_sectors;
  s0 = g_malloc (r->logical_sector);
  if (!ptable_read_sectors (r, 0, 1, s0, error))
    return NULL;

  if (s0[510] != 0x55 || s0[511] != 0xaa)
    {
      guint8 sig[8];

      if (ptable_is_zero (s0, r->logical_sector))
        return g_steal_pointer (&t);
      if (r->size_bytes >= (guint64) r->logical_sector + 8u)
        {
          if (!r->pread (r->opaque, sig, sizeof sig, r->logical_sector, error))
            {
              g_prefix_error (error, "reading sector 1: ");
              return NULL;
            }
          if (memcmp (sig, "EFI PART", 8) == 0)
            {
              g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_CORRUPT,
                           "GPT header at LBA 1 but no protective MBR: sector 0 "
                           "has no 0x55AA signature (found 0x%02X%02X)",
                           s0[510], s0[511]);
              return NULL;
            }
        }
      ptable_add_warning (t, PTABLE_WARNING_NO_MBR_SIGNATURE,
                          "sector 0 holds data but no 0x55AA signature (found "
                          "0x%02X%02X): no partition table",
                          s0[510], s0[511]);
      return g_steal_pointer (&t);
    }

  for (guint i = 0; i < 4; i++)
    if (s0[PTABLE_MBR_ENTRIES_OFFSET + 16 * i + 4] == PTABLE_MBR_TYPE_GPT)
      gpt = TRUE;

  if (gpt)
    {
      t->type = PTABLE_TYPE_GPT;
      if (!ptable_gpt_read (r, s0, t, error))
        {
          GError *other = NULL;
          /* A more useful message when the sector size is the cause. */
          if (gpt_at_other_sector_size (r, &other))
            {
              g_clear_error (error);
              g_propagate_error (error, other);
            }
          return NULL;
        }
    }
  else
    {
      t->type = PTABLE_TYPE_MBR;
      if (!ptable_mbr_read (r, s0, t, error))
        return NULL;
    }
  return g_steal_pointer (&t);
}

/* The disk GUID of a GPT header at @lba of @sector-byte sectors, when the
 * sector holds the header signature (*found). */
static gboolean
identity_gpt_guid (const PtableReader *r, guint32 sector, guint64 lba, gboolean *found,
                   char out[37], GError **error)
{
  guint8 h[72];
  guint64 off;

  if (!g_uint64_checked_mul (&off, lba, sector) || off > r->size_bytes
      || r->size_bytes - off < sizeof h)
    return TRUE;
  if (!r->pread (r->opaque, h, sizeof h, off, error))
    return FALSE;
  if (memcmp (h, "EFI PART", 8) != 0)
    return TRUE;
  *found = TRUE;
  if (!ptable_is_zero (h + 56, 16))
    ptable_guid_to_string (h + 56, out);
  return TRUE;
}

PtableTable *
ptable_read_identity (const PtableReader *r, GError **error)
{
  static const guint32 sizes[] = { 512, 4096 };
  g_autoptr (PtableTable) t = NULL;
  g_autofree guint8 *s0 = NULL;
  gboolean protective = FALSE, header = FALSE;

  g_return_val_if_fail (r != NULL && r->pread != NULL, NULL);

  t = ptable_table_new (PTABLE_TYPE_NONE, r->logical_sector);
  if (!sector_size_ok (r->logical_sector) || r->size_bytes < r->logical_sector)
    return g_steal_pointer (&t);
  t->disk_sectors = r->size_bytes / r->logical_sector;
  s0 = g_malloc (r->logical_sector);
  if (!ptable_read_sectors (r, 0, 1, s0, error))
    return NULL;
  if (s0[510] == 0x55 && s0[511] == 0xaa)
    {
      for (guint i = 0; i < 4; i++)
        if (s0[PTABLE_MBR_ENTRIES_OFFSET + 16 * i + 4] == PTABLE_MBR_TYPE_GPT)
          protective = TRUE;
      t->type = protective ? PTABLE_TYPE_GPT : PTABLE_TYPE_MBR;
      t->mbr_signature = ptable_get_le32 (s0 + PTABLE_MBR_SIGNATURE_OFFSET);
    }
  /* A header is looked for even without a protective MBR: a GPT disk whose
   * sector 0 was damaged is still that disk.  A plain MBR is what Linux
   * reads, whatever an old GPT header behind it says. */
  if (t->type == PTABLE_TYPE_MBR)
    return g_steal_pointer (&t);
  for (guint i = 0; i < G_N_ELEMENTS (sizes) && t->disk_guid[0] == '\0'; i++)
    {
      guint64 last = r->size_bytes / sizes[i];
      if (!identity_gpt_guid (r, sizes[i], 1, &header, t->disk_guid, error)
          || (t->disk_guid[0] == '\0' && last > 2
              && !identity_gpt_guid (r, sizes[i], last - 1, &header, t->disk_guid, error)))
        return NULL;
    }
  if (header)
    t->type = PTABLE_TYPE_GPT;
  return g_steal_pointer (&t);
}

/* ---- writes --------------------------------------------------------- */

static void
write_free (gpointer p)
{
  PtableWrite *w = p;
  g_bytes_unref (w->data);
  g_free (w->what);
  g_free (w);
}

void
ptable_writes_add (PtableWrites *w, guint64 offset, GBytes *data, const char *fmt, ...)
{
  PtableWrite *pw = g_new0 (PtableWrite, 1);
  va_list ap;

  va_start (ap, fmt);
  pw->offset = offset;
  pw->data = data;
  pw->what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_ptr_array_add (w->writes, pw);
}

void
ptable_writes_free (PtableWrites *w)
{
  if (w == NULL)
    return;
  g_ptr_array_unref (w->writes);
  g_free (w);
}

static gint
write_cmp (gconstpointer a, gconstpointer b)
{
  const PtableWrite *x = *(PtableWrite *const *) a;
  const PtableWrite *y = *(PtableWrite *const *) b;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

PtableWrites *
ptable_build (const PtableTable *t, guint64 disk_bytes, guint32 logical_sector, GError **error)
{
  g_autoptr (PtableWrites) w = NULL;
  guint64 disk_sectors;

  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!sector_size_ok (logical_sector) || logical_sector != t->sector_size)
    {
      g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_SECTOR_SIZE,
                   "the table has %u-byte sectors, the target disk %u-byte ones", t->sector_size,
                   logical_sector);
      return NULL;
    }
  disk_sectors = disk_bytes / logical_sector;

  w = g_new0 (PtableWrites, 1);
  w->writes = g_ptr_array_new_with_free_func (write_free);
  switch (t->type)
    {
    case PTABLE_TYPE_NONE:
      break;
    case PTABLE_TYPE_MBR:
      if (!ptable_mbr_build (t, disk_sectors, w, error))
        return NULL;
      break;
    case PTABLE_TYPE_GPT:
      if (!ptable_gpt_build (t, disk_sectors, w, error))
        return NULL;
      break;
    default:
      g_return_val_if_reached (NULL);
    }
  g_ptr_array_sort (w->writes, write_cmp);
  return g_steal_pointer (&w);
}

gboolean
ptable_writes_apply_fd (const PtableWrites *w, int fd, GError **error)
{
  for (guint i = 0; i < w->writes->len; i++)
    {
      const PtableWrite *pw = g_ptr_array_index (w->writes, i);
      gsize len;
      const guint8 *p = g_bytes_get_data (pw->data, &len);
      guint64 offset = pw->offset;

      if (offset > (guint64) G_MAXINT64 - len)
        {
          g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_IO,
                       "writing the %s: offset %" G_GUINT64_FORMAT " is too large", pw->what,
                       offset);
          return FALSE;
        }
      while (len > 0)
        {
          ssize_t n = pwrite (fd, p, len, (off_t) offset);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              int saved = errno;
              g_set_error (error, PTABLE_ERROR, PTABLE_ERROR_IO,
                           "writing the %s at byte %" G_GUINT64_FORMAT ": %s", pw->what, offset,
                           n < 0 ? g_strerror (saved) : "nothing written");
              return FALSE;
            }
          p += n;
          len -= (gsize) n;
          offset += (guint64) n;
        }
    }
  return TRUE;
}
