/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* At most this many problems are reported for one document: a hostile
 * input must not turn into an unbounded error message. */
#define ASR_PROBLEMS_MAX 50

/* Collects "name:line: message" lines ("name: message" without a line)
 * for one GError about one document. */
typedef struct {
  const char *name;
  GString *text;
  guint count;
  guint dropped;
} AsrProblems;

void asr_problems_init (AsrProblems *p, const char *name);
void asr_problems_clear (AsrProblems *p);
void asr_problems_add (AsrProblems *p, guint line, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
/* Sets @error (@domain, @code) from the collected problems, if any, and
 * returns FALSE; returns TRUE when there were none. */
gboolean asr_problems_take (AsrProblems *p, GQuark domain, int code, GError **error);

G_END_DECLS
