/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Progress of long work on a terminal; silent when stderr is not one. */
#pragma once

#include <glib.h>

typedef struct CliProgress CliProgress;

/* @command: for the message prefix.  Disabled unless stderr is a tty. */
CliProgress *cli_progress_new (const char *command);
void cli_progress_free (CliProgress *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliProgress, cli_progress_free)

/* An AsrProgressFunc (imager.h): @opaque is the CliProgress. */
void cli_progress_update (const char *what, guint64 done, guint64 total, guint64 all_done,
                          guint64 all_total, void *opaque);
/* An AsrMessageFunc: prints a message on its own line (clearing the
 * progress line first) and keeps it for a JSON summary. */
void cli_progress_message (const char *message, void *opaque);
/* Clears the progress line. */
void cli_progress_done (CliProgress *p);
/* Messages printed so far (char*). */
GPtrArray *cli_progress_messages (CliProgress *p);
