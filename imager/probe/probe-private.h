/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the probe modules; not part of the public API. */
#pragma once

#include "probe.h"
#include "run.h"

G_BEGIN_DECLS

/* Sets ASR_PROBE_ERROR_INVALID_INPUT, "NAME: message", and returns FALSE:
 * what is wrong with a SOURCE or TARGET the user named (probe.c). */
gboolean asr_probe_refuse (GError **error, const char *name, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

/* ---- qemu-img on images nobody vouches for (image-info.c) -------------- */

/* The qemu-img binary, or NULL with RUNTIME. */
char *asr_probe_find_qemu_img (GError **error);

/* A path qemu reads as a plain file name, never as a protocol or a json:
 * pseudo-filename ("nbd:...", "json:{...}"): absolute, or prefixed "./". */
char *asr_probe_qemu_safe_path (const char *path);

/* ---- qemu-img info's answer (image-info.c) ------------------------------ */

/* Fills @info from @json, qemu-img info --output=json's stdout (a C
 * string, NULL if there was none), with the rules of
 * asr_image_info_probe: no backing or external data file, not corrupt, a
 * size in range; a raw image takes @file_bytes, which must be a multiple
 * of 512.  Separate from running qemu-img so that it can be fuzzed. */
gboolean asr_image_info_read_json (AsrImageInfo *info, const char *path, const char *json,
                                   guint64 file_bytes, GError **error);

/* ---- the host's files under a root (host.c) ----------------------------- */

/* ROOT/rel, with NULL or "/" meaning the real root. */
char *asr_host_path (const char *root, const char *rel);
/* The first line of ROOT/rel, stripped; NULL if missing, unreadable, empty,
 * or above 64 KiB. */
char *asr_host_read_line (const char *root, const char *rel);
/* The whole of ROOT/rel (bounded to 4 MiB); NULL if missing. */
char *asr_host_read_all (const char *root, const char *rel);
/* An unsigned decimal from the first line of ROOT/rel. */
gboolean asr_host_read_u64 (const char *root, const char *rel, guint64 *out);
/* Names in directory ROOT/rel, sorted; an empty array if missing. */
GPtrArray *asr_host_list_dir (const char *root, const char *rel);
gboolean asr_host_exists (const char *root, const char *rel);
/* The last component of the symlink ROOT/rel's target; NULL if not a link. */
char *asr_host_link_basename (const char *root, const char *rel);

/* ---- descriptor helpers (probe.c) --------------------------------------- */

void asr_probe_add_source (MachineDescriptor *m, const char *disk_id, const char *path,
                           const char *format);

G_END_DECLS
