/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CRC-32 as GPT uses it (IEEE 802.3, reflected polynomial 0xedb88320, init
 * and final xor 0xffffffff) — the same as zlib's crc32().  Our own so the
 * module has no dependency beyond GLib; headers and entry arrays are small.
 */
#include "config.h"

#include "ptable-private.h"

static guint32 crc_table[256];

static void
crc_table_init (void)
{
  for (guint32 n = 0; n < 256; n++)
    {
      guint32 c = n;
      for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      crc_table[n] = c;
    }
}

guint32
ptable_crc32_register (guint32 crc, const void *buf, gsize len)
{
  static gsize initialised = 0;
  const guint8 *p = buf;

  if (g_once_init_enter (&initialised))
    {
      crc_table_init ();
      g_once_init_leave (&initialised, 1);
    }

  for (gsize i = 0; i < len; i++)
    crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

guint32
ptable_crc32 (const void *buf, gsize len)
{
  return ptable_crc32_register (0xffffffffu, buf, len) ^ 0xffffffffu;
}
