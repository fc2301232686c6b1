/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the xfs readers (xfs-map.c, xfs-files.c) and nothing else. */
#pragma once

#include "probe.h"
#include "bytes.h"
#include "usedmap-private.h"

typedef struct {
  int fd;
  guint64 offset; /* of the volume in the file */
  AsrXfsSuper sb;
  gboolean crc;    /* version 5: longer headers that carry their address */
  guint8 inopblog; /* bits of an inode number that pick it in its block */
  gboolean ftype;  /* directory entries carry a file type byte */
  guint64 rootino;
} Xfs;

/* The byte in the volume of block @agbno of group @agno. */
static inline guint64
xfs_ag_byte (const Xfs *x, guint32 agno, guint64 agbno)
{
  return ((guint64) agno * x->sb.agblocks + agbno) * x->sb.blocksize;
}

/* A filesystem block number (AG << agblklog | block) and @count blocks
 * from it as a volume byte in *@byte; FALSE when they do not lie inside
 * the data blocks. */
gboolean xfs_fsb_byte (const Xfs *x, guint64 fsb, guint64 count, guint64 *byte);

/* Opens @path and checks the superblock of the xfs at @offset, @bytes
 * long, into @x: NOT_FOUND for another filesystem, UNSUPPORTED for one
 * asr_xfs_super_parse refuses.  xfs_close after. */
gboolean xfs_open (Xfs *x, const char *path, guint64 offset, guint64 bytes, GError **error);
void xfs_close (Xfs *x);
/* NEEDS_RECOVERY unless its log is clean (xfs-map.c). */
gboolean xfs_log_clean (Xfs *x, GError **error);
