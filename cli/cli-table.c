/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Plain text tables with columns as wide as their widest cell. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli-table.h"
#include "text.h"

struct CliTable {
  guint columns;
  GPtrArray *rows; /* GStrv each, @columns cells */
};

CliTable *
cli_table_new (const char *const *headers)
{
  CliTable *t = g_new0 (CliTable, 1);
  t->columns = g_strv_length ((char **) headers);
  t->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_ptr_array_add (t->rows, g_strdupv ((char **) headers));
  return t;
}

void
cli_table_free (CliTable *t)
{
  if (t == NULL)
    return;
  g_ptr_array_unref (t->rows);
  g_free (t);
}

void
cli_table_add_row (CliTable *t, ...)
{
  va_list ap;
  char **row = g_new0 (char *, t->columns + 1);

  va_start (ap, t);
  for (guint i = 0; i < t->columns; i++)
    {
      const char *cell = va_arg (ap, const char *);
      /* one cell, one line: a value's control characters are escaped */
      row[i] = asr_text_escape (cell && *cell ? cell : "-");
    }
  va_end (ap);
  g_ptr_array_add (t->rows, row);
}

void
cli_table_print (const CliTable *t, const char *indent, FILE *fp)
{
  g_autofree gsize *width = g_new0 (gsize, t->columns);

  for (guint r = 0; r < t->rows->len; r++)
    {
      char **row = g_ptr_array_index (t->rows, r);
      for (guint c = 0; c < t->columns; c++)
        width[c] = MAX (width[c], (gsize) g_utf8_strlen (row[c], -1));
    }
  for (guint r = 0; r < t->rows->len; r++)
    {
      char **row = g_ptr_array_index (t->rows, r);
      fputs (indent, fp);
      for (guint c = 0; c < t->columns; c++)
        {
          gsize pad = width[c] - (gsize) g_utf8_strlen (row[c], -1);
          fputs (row[c], fp);
          if (c + 1 < t->columns)
            fprintf (fp, "%*s", (int) (pad + 2), "");
        }
      fputc ('\n', fp);
    }
}
