/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An LVM2 physical volume's label and the volume group metadata it keeps,
 * read from the PV's bytes without LVM (docs/asr-capture.1, WITHOUT THE
 * APPLIANCE).  The layout is LVM2's on-disk format, all fields
 * little-endian:
 *
 *   - the label, in one of the first four 512-byte sectors: "LABELONE",
 *     its own sector number, a CRC of the rest of the sector, the offset
 *     of the PV header in the sector, and the type "LVM2 001";
 *   - the PV header: the UUID (32 characters, undashed), the device's
 *     size, then two lists of (offset, size) pairs, each ended by a zero
 *     pair: the data areas, then the metadata areas;
 *   - a metadata area starts with a 512-byte header: CRC, the magic
 *     " LVM2 x[5A%r0N*>", version 1, the area's own offset and size, and
 *     a list of locations of which the first is the current metadata text
 *     (offset from the area's start, size, CRC, flags).  The area is a
 *     ring after its header: a text that runs past its end continues
 *     512 bytes into the area.
 *
 * LVM's CRCs are CRC-32 (the GPT polynomial) started at 0xf597a6cf with no
 * final inversion.  The bytes come from a disk image: they are hostile,
 * and every offset is checked against the PV before it is read.
 */
#include "config.h"

#include <string.h>

#include "bytes.h"
#include "probe-private.h"
#include "ptable.h"

#define LVM_SECTOR 512u
#define LVM_LABEL_SCAN_SECTORS 4u
#define LVM_INITIAL_CRC 0xf597a6cfu
#define LVM_MDA_MAGIC " LVM2 x[5A%r0N*>"
#define LVM_RAW_LOCN_IGNORED 0x1u

#define bad(error, ...) asr_probe_refuse (error, "LVM physical volume", __VA_ARGS__)

static guint32
lvm_crc (guint32 crc, const guint8 *buf, gsize len)
{
  return ptable_crc32_register (crc, buf, len);
}

/* The label in @sector (512 bytes, number @n), into @out; FALSE without
 * an error when the sector holds no label. */
static gboolean
read_label (const guint8 *sector, guint n, guint64 pv_bytes, AsrLvmLabel *out, GError **error)
{
  guint32 offset;
  const guint8 *p, *end = sector + LVM_SECTOR;
  int list = 0;

  if (memcmp (sector, "LABELONE", 8) != 0)
    return FALSE;
  if (asr_le64 (sector + 8) != n)
    return bad (error, "the label in sector %u says it is in sector %" G_GUINT64_FORMAT, n,
                asr_le64 (sector + 8));
  if (lvm_crc (LVM_INITIAL_CRC, sector + 20, LVM_SECTOR - 20) != asr_le32 (sector + 16))
    return bad (error, "the label's checksum does not match");
  if (memcmp (sector + 24, "LVM2 001", 8) != 0)
    return bad (error, "the label is not of type LVM2 001");
  offset = asr_le32 (sector + 20);
  /* the header: a 32-byte UUID, the size, then at least two end pairs */
  if (offset < 32 || offset > LVM_SECTOR - 32 - 8 - 32)
    return bad (error, "the PV header's offset %u is outside the label sector", offset);
  p = sector + offset;
  for (guint i = 0; i < 32; i++)
    if (!g_ascii_isalnum (p[i]) && p[i] != '!' && p[i] != '#')
      return bad (error, "the PV UUID holds a byte LVM does not write (0x%02x)", p[i]);
  /* dashed as LVM prints it: 6-4-4-4-4-4-6 */
  {
    static const guint groups[] = { 6, 4, 4, 4, 4, 4, 6 };
    char *u = out->uuid;
    const guint8 *q = p;
    for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
      {
        if (g > 0)
          *u++ = '-';
        memcpy (u, q, groups[g]);
        u += groups[g];
        q += groups[g];
      }
    *u = '\0';
  }
  out->device_bytes = asr_le64 (p + 32);
  out->label_sector = n;
  p += 40;
  /* the data areas, then the metadata areas, each list ended by a zero
   * offset; only the metadata areas are kept */
  while (list < 2)
    {
      if (p + 16 > end)
        return bad (error, "the PV header's area lists run past the label sector");
      guint64 off = asr_le64 (p), size = asr_le64 (p + 8);
      p += 16;
      if (off == 0)
        {
          list++;
          continue;
        }
      if (list == 0)
        continue;
      if (out->mdas == G_N_ELEMENTS (out->mda_offset))
        return bad (error, "more than %u metadata areas", (guint) G_N_ELEMENTS (out->mda_offset));
      if (size < 2 * LVM_SECTOR || off % LVM_SECTOR != 0 || off > pv_bytes || size > pv_bytes - off)
        return bad (error,
                    "metadata area at %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
                    " bytes) is not inside the %" G_GUINT64_FORMAT "-byte device",
                    off, size, pv_bytes);
      out->mda_offset[out->mdas] = off;
      out->mda_bytes[out->mdas] = size;
      out->mdas++;
    }
  return TRUE;
}

gboolean
asr_lvm_label_parse (const guint8 *buf, gsize len, guint64 pv_bytes, AsrLvmLabel *out,
                     GError **error)
{
  g_return_val_if_fail (buf != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  for (guint n = 0; n < LVM_LABEL_SCAN_SECTORS && (gsize) (n + 1) * LVM_SECTOR <= len; n++)
    {
      g_autoptr (GError) local = NULL;
      if (read_label (buf + (gsize) n * LVM_SECTOR, n, pv_bytes, out, &local))
        return TRUE;
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
  return bad (error, "no LVM2 label in its first %u sectors", LVM_LABEL_SCAN_SECTORS);
}

gboolean
asr_lvm_mda_parse (const guint8 *hdr, gsize len, guint64 mda_offset, guint64 mda_bytes,
                   AsrLvmMdaText *out, GError **error)
{
  guint64 off, size;

  g_return_val_if_fail (hdr != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  if (len < LVM_SECTOR)
    return bad (error, "metadata area header: %" G_GSIZE_FORMAT " bytes", len);
  if (memcmp (hdr + 4, LVM_MDA_MAGIC, 16) != 0)
    return bad (error, "metadata area at %" G_GUINT64_FORMAT ": no metadata header (magic)",
                mda_offset);
  if (lvm_crc (LVM_INITIAL_CRC, hdr + 4, LVM_SECTOR - 4) != asr_le32 (hdr))
    return bad (error,
                "metadata area at %" G_GUINT64_FORMAT ": the header's checksum does not "
                "match",
                mda_offset);
  if (asr_le32 (hdr + 20) != 1)
    return bad (error, "metadata area at %" G_GUINT64_FORMAT ": header version %u, not 1",
                mda_offset, asr_le32 (hdr + 20));
  if (asr_le64 (hdr + 24) != mda_offset || asr_le64 (hdr + 32) != mda_bytes)
    return bad (error,
                "metadata area at %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
                " bytes): its header says %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " bytes)",
                mda_offset, mda_bytes, asr_le64 (hdr + 24), asr_le64 (hdr + 32));
  off = asr_le64 (hdr + 40);
  size = asr_le64 (hdr + 48);
  out->checksum = asr_le32 (hdr + 56);
  out->ignored = (asr_le32 (hdr + 60) & LVM_RAW_LOCN_IGNORED) != 0;
  if (off == 0 && size == 0)
    return TRUE; /* no metadata written here */
  if (size == 0 || size > ASR_LVM_TEXT_MAX_BYTES || size > mda_bytes - LVM_SECTOR)
    return bad (error,
                "metadata area at %" G_GUINT64_FORMAT ": a text of %" G_GUINT64_FORMAT " bytes",
                mda_offset, size);
  if (off < LVM_SECTOR || off >= mda_bytes)
    return bad (error,
                "metadata area at %" G_GUINT64_FORMAT ": its text at %" G_GUINT64_FORMAT
                " is outside it",
                mda_offset, off);
  out->offset[0] = mda_offset + off;
  out->bytes[0] = MIN (size, mda_bytes - off);
  if (out->bytes[0] < size)
    {
      /* the ring: the rest follows the header */
      out->offset[1] = mda_offset + LVM_SECTOR;
      out->bytes[1] = size - out->bytes[0];
    }
  return TRUE;
}

gboolean
asr_lvm_pv_read (guint64 pv_bytes, AsrLvmReadFn read, gpointer data, AsrLvmLabel *label,
                 char **text, gsize *text_len, GError **error)
{
  guint8 head[LVM_LABEL_SCAN_SECTORS * LVM_SECTOR];
  gsize head_len = (gsize) MIN (pv_bytes, (guint64) sizeof head);

  *text = NULL;
  *text_len = 0;
  if (!read (data, 0, head_len, head, error)
      || !asr_lvm_label_parse (head, head_len, pv_bytes, label, error))
    return FALSE;
  for (guint i = 0; i < label->mdas; i++)
    {
      guint8 hdr[LVM_SECTOR];
      AsrLvmMdaText where;
      if (!read (data, label->mda_offset[i], sizeof hdr, hdr, error)
          || !asr_lvm_mda_parse (hdr, sizeof hdr, label->mda_offset[i], label->mda_bytes[i], &where,
                                 error))
        return FALSE;
      if (where.ignored || where.bytes[0] == 0)
        continue;
      gsize size = (gsize) (where.bytes[0] + where.bytes[1]);
      g_autofree char *buf = g_malloc (size + 1);
      if (!read (data, where.offset[0], (gsize) where.bytes[0], (guint8 *) buf, error)
          || (where.bytes[1]
              && !read (data, where.offset[1], (gsize) where.bytes[1],
                        (guint8 *) buf + where.bytes[0], error)))
        return FALSE;
      if (lvm_crc (LVM_INITIAL_CRC, (const guint8 *) buf, size) != where.checksum)
        return bad (error,
                    "the metadata text at %" G_GUINT64_FORMAT " does not match its "
                    "checksum",
                    where.offset[0]);
      /* LVM writes the text with its terminating NUL */
      while (size > 0 && buf[size - 1] == '\0')
        size--;
      if (memchr (buf, '\0', size) != NULL)
        return bad (error, "the metadata text at %" G_GUINT64_FORMAT " holds a NUL byte",
                    where.offset[0]);
      buf[size] = '\0';
      *text = g_steal_pointer (&buf);
      *text_len = size;
      return TRUE;
    }
  return TRUE; /* no metadata kept on this PV */
}
