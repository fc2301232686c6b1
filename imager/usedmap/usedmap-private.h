/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the readers of usedmap/ and nothing else. */
#pragma once

#include "usedmap.h"

/* Sets @error (ASR_USED_MAP_ERROR, @code) and returns FALSE. */
gboolean used_map_fail (GError **error, AsrUsedMapError code, const char *format, ...)
  G_GNUC_PRINTF (3, 4);
