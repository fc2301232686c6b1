/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the readers of usedmap/ and nothing else. */
#pragma once

#include "usedmap.h"

/* Sets @error (ASR_USED_MAP_ERROR, @code) and returns FALSE. */
gboolean used_map_fail (GError **error, AsrUsedMapError code, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

/* Reads @len bytes at @offset of @fd (retrying short reads): an
 * ASR_USED_MAP_ERROR_IO naming the offset when it cannot. */
gboolean used_map_read_at (int fd, guint64 offset, guint8 *buf, gsize len, GError **error);

/* Passes the free extent @offset+@bytes to @emit: an ASR_USED_MAP_ERROR_IO
 * when it takes no more. */
gboolean used_map_emit (AsrExtentFunc emit, gpointer opaque, guint64 offset, guint64 bytes,
                        GError **error);
