/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fields of on-disk structures read from bytes that may be anywhere (no
 * alignment), whatever the host's byte order: little-endian (md, LVM,
 * FAT) and big-endian (xfs).
 */
#pragma once

#include <glib.h>

static inline guint16
asr_le16 (const guint8 *p)
{
  return (guint16) (p[0] | p[1] << 8);
}

static inline guint32
asr_le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static inline guint64
asr_le64 (const guint8 *p)
{
  return (guint64) asr_le32 (p) | ((guint64) asr_le32 (p + 4) << 32);
}

static inline guint16
asr_be16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static inline guint32
asr_be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static inline guint64
asr_be64 (const guint8 *p)
{
  return (guint64) asr_be32 (p) << 32 | asr_be32 (p + 4);
}
