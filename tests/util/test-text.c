/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util/text.c: control characters found and escaped, so that no value
 * can forge a line of a report or a terminal escape. */
#include "config.h"

#include "problems.h"
#include "text.h"

static void
test_has_control (void)
{
  gunichar u = 0;

  g_assert_false (asr_text_has_control ("root", NULL));
  g_assert_false (asr_text_has_control ("r\xc3\xa9pertoire / \xe2\x86\x92", NULL));
  g_assert_false (asr_text_has_control (NULL, NULL));
  g_assert_true (asr_text_has_control ("a\nb", &u));
  g_assert_cmpuint (u, ==, '\n');
  g_assert_true (asr_text_has_control ("a\tb", &u));
  g_assert_cmpuint (u, ==, '\t');
  g_assert_true (asr_text_has_control ("\x1b[2J", &u));
  g_assert_cmpuint (u, ==, 0x1b);
  g_assert_true (asr_text_has_control ("a\x7f", &u));
  g_assert_cmpuint (u, ==, 0x7f);
  g_assert_true (asr_text_has_control ("web1\xc2\x9b"
                                       "2J",
                                       &u));
  g_assert_cmpuint (u, ==, 0x9b);
  /* not UTF-8 */
  g_assert_true (asr_text_has_control ("a\xff", &u));
  g_assert_cmpuint (u, ==, 0xfffd);
  /* a control before the bad byte is the one named */
  g_assert_true (asr_text_has_control ("\n\xff", &u));
  g_assert_cmpuint (u, ==, '\n');
}

static void
test_escape (void)
{
  static const struct {
    const char *in, *out;
  } cases[] = {
    { "root", "root" },
    { "", "" },
    { "r\xc3\xa9", "r\xc3\xa9" },
    { "root\nResult: restorable", "root\\nResult: restorable" },
    { "a\tb\rc", "a\\tb\\rc" },
    { "\x1b[2J", "\\x1b[2J" },
    { "x\x7fy", "x\\x7fy" },
    { "web1\xc2\x9b"
      "2J",
      "web1\\u009b2J" },
    { "bad\xff\xfe", "bad\\xff\\xfe" },
  };

  g_assert_null (asr_text_escape (NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *e = asr_text_escape (cases[i].in);
      g_assert_cmpstr (e, ==, cases[i].out);
      g_assert_false (asr_text_has_control (e, NULL));
    }
}

/* A problem is one line, whatever the value it quotes holds. */
static void
test_problem_one_line (void)
{
  AsrProblems p;
  g_autoptr (GError) error = NULL;

  asr_problems_init (&p, "m.xml");
  asr_problems_add (&p, 3, "label '%s'", "x\nm.xml:4: forged");
  g_assert_false (asr_problems_take (&p, G_FILE_ERROR, 0, &error));
  asr_problems_clear (&p);
  g_assert_cmpstr (error->message, ==, "m.xml:3: label 'x\\nm.xml:4: forged'");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/util/text/has-control", test_has_control);
  g_test_add_func ("/util/text/escape", test_escape);
  g_test_add_func ("/util/text/problem-one-line", test_problem_one_line);
  return g_test_run ();
}
