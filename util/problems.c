/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One error message for everything wrong with a document, one line per
 * problem, bounded.
 */
#include "config.h"

#include <stdarg.h>

#include "problems.h"
#include "text.h"

void
asr_problems_init (AsrProblems *p, const char *name)
{
  p->name = name;
  p->text = g_string_new (NULL);
  p->count = 0;
  p->dropped = 0;
}

void
asr_problems_clear (AsrProblems *p)
{
  if (p->text)
    g_string_free (p->text, TRUE);
  p->text = NULL;
}

void
asr_problems_add (AsrProblems *p, guint line, const char *fmt, ...)
{
  va_list ap;

  if (p->count >= ASR_PROBLEMS_MAX)
    {
      p->dropped++;
      return;
    }
  if (p->text->len > 0)
    g_string_append_c (p->text, '\n');
  if (line > 0)
    g_string_append_printf (p->text, "%s:%u: ", p->name, line);
  else
    g_string_append_printf (p->text, "%s: ", p->name);
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  /* libxml2 messages end in newlines; one problem is one line, whatever
   * the document's values hold (a newline in one would forge a line). */
  g_strchomp (msg);
  g_autofree char *safe = asr_text_escape (msg);
  g_string_append (p->text, safe);
  p->count++;
}

gboolean
asr_problems_take (AsrProblems *p, GQuark domain, int code, GError **error)
{
  if (p->count == 0)
    return TRUE;
  if (p->dropped > 0)
    g_string_append_printf (p->text, "\n%s: %u more problems not shown", p->name, p->dropped);
  g_set_error_literal (error, domain, code, p->text->str);
  return FALSE;
}
