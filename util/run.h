/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running helper programs (qemu-img): errors carry their stderr's tail. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ASR_RUN_ERROR (asr_run_error_quark ())
GQuark asr_run_error_quark (void);

typedef enum {
  ASR_RUN_ERROR_SPAWN,  /* could not start (not installed?) */
  ASR_RUN_ERROR_FAILED, /* exited non-zero or died of a signal */
} AsrRunError;

/* Called with qemu-img's progress, 0.0 to 100.0. */
typedef void (*AsrRunProgressFunc) (double percent, void *opaque);

/* Runs argv to completion.  @stdout_out (optional) gets its standard
 * output; with @progress, standard output is read as qemu-img -p progress
 * instead.  A failure's message names the program and ends with the last
 * lines of its standard error. */
gboolean asr_run (const char *const *argv, char **stdout_out,
                  AsrRunProgressFunc progress, void *opaque, GError **error);

/* Escapes a value for qemu's --image-opts syntax (commas doubled). */
char *asr_qemu_opts_escape (const char *value);

G_END_DECLS
