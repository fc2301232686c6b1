/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether @s holds a control character (C0, DEL or C1: Unicode's Cc,
 * which includes newline and tab) or bytes that are not UTF-8; the first
 * such character goes to @found (optional; 0xFFFD for a bad byte).  A
 * descriptor's text must hold none: a newline in a label would forge a
 * line of a report, an escape sequence would rewrite the terminal. */
gboolean asr_text_has_control (const char *s, gunichar *found);

/* @s as it is safe to print on one line of a report or a terminal:
 * newline, tab and carriage return as \n \t \r, other control characters
 * as \xNN (C0, DEL) or \u00NN (C1), bytes that are not UTF-8 as \xNN.  A
 * copy of @s when there is nothing to escape; NULL for NULL. */
char *asr_text_escape (const char *s);

G_END_DECLS
