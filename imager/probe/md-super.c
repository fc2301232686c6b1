/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * md RAID superblocks, version 1 (mdadm metadata 1.0, 1.1 and 1.2): what
 * an array says about itself and about the member it is read from.  The
 * bytes come from a disk image: they are hostile.  The layout is the
 * kernel's struct mdp_superblock_1 (include/uapi/linux/raid/md_p.h), all
 * fields little-endian; the checksum is checked as mdadm computes it.
 */
#include "config.h"

#include <string.h>

#include "bytes.h"
#include "probe-private.h"

#define MD_SB_MAGIC 0xa92b4efcu
#define MD_SB_HEAD_BYTES 256u

static gboolean
bad (GError **error, const char *why)
{
  g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT, "md superblock: %s", why);
  return FALSE;
}

gboolean
asr_md_super_parse (const guint8 *buf, gsize len, AsrMdSuper *out, GError **error)
{
  guint32 max_dev, dev_number, csum;
  guint64 sum = 0;
  gsize size;

  g_return_val_if_fail (buf != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  if (len < MD_SB_HEAD_BYTES || asr_le32 (buf) != MD_SB_MAGIC)
    return bad (error, "no version-1 superblock (magic)");
  if (asr_le32 (buf + 4) != 1)
    return bad (error, "not major version 1");
  max_dev = asr_le32 (buf + 220);
  if (max_dev > (len - MD_SB_HEAD_BYTES) / 2 || max_dev > 1920)
    return bad (error, "more device roles than a superblock holds");
  /* mdadm's calc_sb_1_csum: 32-bit words, the checksum field as zero,
   * the carry folded in once. */
  size = MD_SB_HEAD_BYTES + (gsize) max_dev * 2;
  for (gsize i = 0; i + 4 <= size; i += 4)
    sum += i == 216 ? 0 : asr_le32 (buf + i);
  if (size % 4 == 2)
    sum += (guint32) buf[size - 2] | ((guint32) buf[size - 1] << 8);
  csum = (guint32) ((sum & 0xffffffffu) + (sum >> 32));
  if (csum != asr_le32 (buf + 216))
    return bad (error, "checksum mismatch");

  memcpy (out->set_uuid, buf + 16, 16);
  g_snprintf (out->uuid, sizeof out->uuid,
              "%02x%02x%02x%02x:%02x%02x%02x%02x:%02x%02x%02x%02x:%02x%02x%02x%02x", buf[16],
              buf[17], buf[18], buf[19], buf[20], buf[21], buf[22], buf[23], buf[24], buf[25],
              buf[26], buf[27], buf[28], buf[29], buf[30], buf[31]);
  memcpy (out->name, buf + 32, 32);
  out->name[32] = '\0';
  for (gsize i = 0; out->name[i]; i++)
    if (!g_ascii_isprint (out->name[i]))
      return bad (error, "a name that is not printable text");
  out->feature_map = asr_le32 (buf + 8);
  out->level = (gint32) asr_le32 (buf + 72);
  out->size_sectors = asr_le64 (buf + 80);
  out->chunk_sectors = asr_le32 (buf + 88);
  out->raid_disks = asr_le32 (buf + 92);
  out->data_offset = asr_le64 (buf + 128);
  out->super_offset = asr_le64 (buf + 144);
  out->events = asr_le64 (buf + 200);
  dev_number = asr_le32 (buf + 160);
  if (out->raid_disks == 0 || out->raid_disks > max_dev)
    return bad (error, "raid_disks out of range");
  if (dev_number >= max_dev)
    return bad (error, "this device's number is past its role table");
  {
    guint16 role = (guint16) (buf[MD_SB_HEAD_BYTES + 2 * dev_number]
                              | (buf[MD_SB_HEAD_BYTES + 2 * dev_number + 1] << 8));
    out->role = role == 0xffff   ? ASR_MD_ROLE_SPARE
                : role == 0xfffe ? ASR_MD_ROLE_FAULTY
                                 : (gint32) role;
  }
  if (out->role >= 0 && (guint32) out->role >= out->raid_disks)
    return bad (error, "a role past raid_disks");
  /* Sizes in sectors: bounded so that bytes fit 64 bits. */
  if (out->size_sectors > G_MAXUINT64 / 512 / 4 || out->data_offset > G_MAXUINT64 / 512 / 4
      || out->super_offset > G_MAXUINT64 / 512 / 4)
    return bad (error, "sizes past 2^62 bytes");
  return TRUE;
}
