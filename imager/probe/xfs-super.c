/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An xfs superblock (struct xfs_dsb of the kernel's
 * fs/xfs/libxfs/xfs_format.h, big-endian): what restore --shrink reads to
 * recreate an xfs smaller (docs/asr-restore.1).  The bytes come from a
 * backup set's image: they are hostile.
 */
#include "config.h"

#include <string.h>

#include "probe.h"

static guint64
be (const guint8 *p, guint n)
{
  guint64 v = 0;
  for (guint i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

static gboolean
power_of_two_in (guint64 v, guint64 lo, guint64 hi)
{
  return v >= lo && v <= hi && (v & (v - 1)) == 0;
}

/* The allocation groups cover the data blocks, the last one at least a
 * block long; an AG block number fits agblklog bits; the log (an
 * internal one) lies inside one group. */
static gboolean
ag_geometry_fits (const AsrXfsSuper *sb)
{
  if (sb->agblocks == 0 || sb->agcount == 0 || sb->agblklog > 31
      || (guint64) sb->agblocks > (G_GUINT64_CONSTANT (1) << sb->agblklog)
      || (guint64) sb->agcount * sb->agblocks < sb->dblocks
      || (guint64) (sb->agcount - 1) * sb->agblocks >= sb->dblocks)
    return FALSE;
  if (sb->logstart == 0)
    return TRUE; /* an external log: refused below */
  guint64 agno = sb->logstart >> sb->agblklog;
  guint64 agbno = sb->logstart & ((G_GUINT64_CONSTANT (1) << sb->agblklog) - 1);
  guint64 aglen = agno + 1 < sb->agcount ? sb->agblocks : sb->dblocks - agno * sb->agblocks;
  return agno < sb->agcount && agbno < aglen && sb->logblocks > 0 && sb->logblocks <= aglen - agbno;
}

gboolean
asr_xfs_super_parse (const guint8 *b, gsize len, guint64 bytes, AsrXfsSuper *sb, GError **error)
{
  if (len < 512 || memcmp (b, "XFSB", 4) != 0)
    {
      g_set_error_literal (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                           "no xfs superblock");
      return FALSE;
    }
  memset (sb, 0, sizeof *sb);
  sb->blocksize = be (b + 4, 4);
  sb->dblocks = be (b + 8, 8);
  sb->rblocks = be (b + 16, 8);
  sb->logstart = be (b + 48, 8);
  sb->agblocks = be (b + 84, 4);
  sb->agcount = be (b + 88, 4);
  sb->logblocks = be (b + 96, 4);
  sb->agblklog = b[124];
  sb->version = be (b + 100, 2) & 0xf;
  sb->sectsize = be (b + 102, 2);
  sb->inodesize = be (b + 104, 2);
  sb->fdblocks = be (b + 144, 8);
  sb->dirblklog = b[192];
  sb->features2 = be (b + 200, 4);
  if (sb->version == 5)
    {
      sb->ro_compat = be (b + 212, 4);
      sb->incompat = be (b + 216, 4);
    }
  g_snprintf (sb->uuid, sizeof sb->uuid,
              "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[32], b[33],
              b[34], b[35], b[36], b[37], b[38], b[39], b[40], b[41], b[42], b[43], b[44], b[45],
              b[46], b[47]);
  memcpy (sb->label, b + 108, 12);

  const char *bad = NULL;
  if (!power_of_two_in (sb->blocksize, 512, 65536) || !power_of_two_in (sb->sectsize, 512, 32768)
      || !power_of_two_in (sb->inodesize, 256, 2048) || sb->dirblklog > 8 || sb->dblocks == 0
      || sb->dblocks > bytes / sb->blocksize || sb->fdblocks > sb->dblocks
      || sb->logblocks > sb->dblocks)
    bad = "a superblock that does not add up (sizes, counts)";
  else if (!ag_geometry_fits (sb))
    bad = "allocation groups that do not add up (sizes, counts, where the log lies)";
  else if (b[126] != 0)
    bad = "its mkfs unfinished (the in-progress flag set)";
  else if (sb->version != 4 && sb->version != 5)
    bad = "an xfs version other than 4 or 5";
  else if (sb->logstart == 0)
    bad = "an external log, which asr does not recreate";
  else if (sb->rblocks != 0)
    bad = "a realtime section, which asr does not recreate";
  else if (sb->incompat & ASR_XFS_INCOMPAT_NEEDSREPAIR)
    bad = "the needs-repair flag set (run xfs_repair on the source)";
  else if (sb->ro_compat
             & ~(ASR_XFS_RO_COMPAT_FINOBT | ASR_XFS_RO_COMPAT_RMAPBT | ASR_XFS_RO_COMPAT_REFLINK
                 | ASR_XFS_RO_COMPAT_INOBTCNT)
           || sb->incompat
                & ~(ASR_XFS_INCOMPAT_FTYPE | ASR_XFS_INCOMPAT_SPINODES | ASR_XFS_INCOMPAT_META_UUID
                    | ASR_XFS_INCOMPAT_BIGTIME | ASR_XFS_INCOMPAT_NREXT64))
    bad = "features asr does not know how to recreate";
  if (bad)
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT, "its xfs has %s", bad);
      return FALSE;
    }
  return TRUE;
}
