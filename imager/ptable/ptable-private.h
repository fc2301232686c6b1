/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between ptable.c, ptable-mbr.c and ptable-gpt.c; not installed. */
#pragma once

#include "ptable.h"

G_BEGIN_DECLS

#define PTABLE_MBR_SIGNATURE_OFFSET 440u
#define PTABLE_MBR_ENTRIES_OFFSET 446u
#define PTABLE_MBR_BOOT_SIG_OFFSET 510u
#define PTABLE_MBR_TYPE_GPT 0xeeu

static inline guint16
ptable_get_le16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static inline guint32
ptable_get_le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static inline guint64
ptable_get_le64 (const guint8 *p)
{
  return (guint64) ptable_get_le32 (p) | ((guint64) ptable_get_le32 (p + 4) << 32);
}

static inline void
ptable_put_le16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) v;
  p[1] = (guint8) (v >> 8);
}

static inline void
ptable_put_le32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static inline void
ptable_put_le64 (guint8 *p, guint64 v)
{
  for (int i = 0; i < 8; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static inline gboolean
ptable_is_zero (const guint8 *p, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (p[i] != 0)
      return FALSE;
  return TRUE;
}

/* Reads len bytes at sector lba; refuses anything past the disk end. */
gboolean ptable_read_sectors (const PtableReader *r, guint64 lba, guint64 count, guint8 *buf,
                              GError **error);

void ptable_add_warning (PtableTable *t, PtableWarningCode code, const char *fmt, ...)
  G_GNUC_PRINTF (3, 4);

/* Layout rules common to reading and building: unique numbers, every
 * partition non-empty, inside [1, disk_sectors) (GPT: inside the usable
 * LBAs); MBR logicals inside the extended partition; no overlaps.
 * first_start (may be NULL): the lowest start outside the extended one. */
gboolean ptable_check_layout (const PtableTable *t, guint64 disk_sectors, guint64 *first_start,
                              GError **error);

void ptable_writes_add (PtableWrites *w, guint64 offset, GBytes *data, const char *fmt, ...)
  G_GNUC_PRINTF (4, 5);

gboolean ptable_mbr_is_extended_type (guint8 type);

/* sector0: the first sector, already read; has 0x55AA, no 0xEE entry. */
gboolean ptable_mbr_read (const PtableReader *r, const guint8 *sector0, PtableTable *t,
                          GError **error);
/* sector0: has 0x55AA and an 0xEE entry. */
gboolean ptable_gpt_read (const PtableReader *r, const guint8 *sector0, PtableTable *t,
                          GError **error);

gboolean ptable_mbr_build (const PtableTable *t, guint64 disk_sectors, PtableWrites *w,
                           GError **error);
gboolean ptable_gpt_build (const PtableTable *t, guint64 disk_sectors, PtableWrites *w,
                           GError **error);
/* The 16-byte MBR entry, with CHS computed from LBA (255 heads, 63 sectors)
 * as fdisk/sfdisk write it. */
void ptable_mbr_put_entry (guint8 *e, gboolean bootable, guint8 type, guint32 start,
                           guint32 sectors);

G_END_DECLS
