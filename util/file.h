/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ASR_FILE_ERROR (asr_file_error_quark ())
GQuark asr_file_error_quark (void);

typedef enum {
  ASR_FILE_ERROR_NOT_FILE,  /* missing, or not a regular file (directory, FIFO, device) */
  ASR_FILE_ERROR_TOO_LARGE, /* above the caller's limit */
  ASR_FILE_ERROR_IO,        /* the file could not be read */
} AsrFileError;

/* Reads a whole regular file a user or a backup set hands in, never more
 * than @max_bytes: opens without blocking (a FIFO), refuses anything but a
 * regular file (ASR_FILE_ERROR_NOT_FILE, also for a missing file), and caps
 * the read itself whatever st_size says (ASR_FILE_ERROR_TOO_LARGE).  Other
 * failures are ASR_FILE_ERROR_IO.  The result is NUL-terminated; @len
 * (optional) gets its length without the NUL. */
char *asr_file_read_bounded (const char *path, gsize max_bytes, gsize *len, GError **error);

/* A directory of asr's own data (the schemas, the rescue medium's
 * builder): $@env_var when set and not empty; else the first of
 * @from_bindir (NULL-terminated paths relative to the directory of the
 * running program: the build tree's, an installed tree that was moved)
 * that holds the file @marker; else @installed. */
char *asr_file_find_data_dir (const char *env_var, const char *const *from_bindir,
                              const char *marker, const char *installed);

G_END_DECLS
