/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "text.h"

#include <string.h>

static gboolean
is_control (gunichar u)
{
  return u < 0x20 || (u >= 0x7f && u <= 0x9f);
}

gboolean
asr_text_has_control (const char *s, gunichar *found)
{
  const char *end;

  if (s == NULL)
    return FALSE;
  if (!g_utf8_validate (s, -1, &end))
    {
      /* a control character before the bad byte is the one to name */
      for (const char *c = s; c < end; c = g_utf8_next_char (c))
        if (is_control (g_utf8_get_char (c)))
          {
            if (found)
              *found = g_utf8_get_char (c);
            return TRUE;
          }
      if (found)
        *found = 0xfffd;
      return TRUE;
    }
  for (const char *c = s; *c; c = g_utf8_next_char (c))
    if (is_control (g_utf8_get_char (c)))
      {
        if (found)
          *found = g_utf8_get_char (c);
        return TRUE;
      }
  return FALSE;
}

char *
asr_text_escape (const char *s)
{
  GString *out;
  const char *c;

  if (s == NULL)
    return NULL;
  if (!asr_text_has_control (s, NULL))
    return g_strdup (s);
  out = g_string_sized_new (strlen (s) + 16);
  c = s;
  while (*c)
    {
      gunichar u = g_utf8_get_char_validated (c, -1);
      if (u == (gunichar) -1 || u == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guchar) *c);
          c++;
          continue;
        }
      if (u == '\n')
        g_string_append (out, "\\n");
      else if (u == '\t')
        g_string_append (out, "\\t");
      else if (u == '\r')
        g_string_append (out, "\\r");
      else if (u < 0x20 || u == 0x7f)
        g_string_append_printf (out, "\\x%02x", (unsigned) u);
      else if (u >= 0x80 && u <= 0x9f)
        g_string_append_printf (out, "\\u%04x", (unsigned) u);
      else
        g_string_append_len (out, c, g_utf8_next_char (c) - c);
      c = g_utf8_next_char (c);
    }
  return g_string_free (out, FALSE);
}
