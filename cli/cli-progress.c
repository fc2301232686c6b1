/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "cli-progress.h"

/* Redraw at most this often: a terminal is not a log. */
#define REDRAW_USEC (200 * 1000)

struct CliProgress {
  char *command;
  gboolean tty;
  gboolean line_shown;
  gint64 start;
  gint64 last_draw;
  GPtrArray *messages;
};

CliProgress *
cli_progress_new (const char *command)
{
  CliProgress *p = g_new0 (CliProgress, 1);
  p->command = g_strdup (command);
  p->tty = isatty (STDERR_FILENO) && g_getenv ("ASR_NO_PROGRESS") == NULL;
  p->start = g_get_monotonic_time ();
  p->messages = g_ptr_array_new_with_free_func (g_free);
  return p;
}

void
cli_progress_free (CliProgress *p)
{
  if (p == NULL)
    return;
  cli_progress_done (p);
  g_ptr_array_unref (p->messages);
  g_free (p->command);
  g_free (p);
}

void
cli_progress_done (CliProgress *p)
{
  if (p->line_shown)
    {
      fputs ("\r\033[K", stderr);
      fflush (stderr);
      p->line_shown = FALSE;
    }
}

GPtrArray *
cli_progress_messages (CliProgress *p)
{
  return p->messages;
}

void
cli_progress_update (const char *what, guint64 done, guint64 total, guint64 all_done,
                     guint64 all_total, void *opaque)
{
  CliProgress *p = opaque;
  gint64 now = g_get_monotonic_time ();

  if (!p->tty || (now - p->last_draw < REDRAW_USEC && done < total))
    return;
  p->last_draw = now;

  double secs = (now - p->start) / (double) G_USEC_PER_SEC;
  g_autofree char *d = g_format_size_full (done, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *t = g_format_size_full (total, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *rate
    = g_format_size_full (secs > 0 ? (guint64) (all_done / secs) : 0, G_FORMAT_SIZE_IEC_UNITS);
  int all_pct = all_total ? (int) (100.0 * all_done / all_total) : 0;

  fprintf (stderr, "\r\033[K%s: %s / %s, %d%% overall, %s/s", what, d, t, MIN (all_pct, 100), rate);
  fflush (stderr);
  p->line_shown = TRUE;
}

void
cli_progress_message (const char *message, void *opaque)
{
  CliProgress *p = opaque;
  cli_progress_done (p);
  fprintf (stderr, "asr %s: %s\n", p->command, message);
  g_ptr_array_add (p->messages, g_strdup (message));
}
