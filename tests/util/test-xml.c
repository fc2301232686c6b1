/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one XML loader (util/xml.c): what it refuses, in which words, and
 * that a valid document still loads.  Every refusal must come with the
 * document's name and line, fast, without libxml2 printing anything and
 * without a file being read on the document's behalf.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libxml/parserInternals.h>

#include "file.h"
#include "xml.h"

/* Generous for a slow CI machine under sanitizers; an expansion bomb
 * takes minutes, not seconds. */
#define QUICK_USEC (5 * G_USEC_PER_SEC)
#define LIMIT 4096

#define VALID \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<doc a=\"1\">\n  <item>x</item>\n</doc>\n"

/* Loads @data and returns the error, asserting it is @code and that the
 * message contains @expected. */
static GError *
refused (const char *data, gsize len, AsrXmlError code, const char *expected)
{
  GError *error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  gint64 t0 = g_get_monotonic_time ();

  doc = asr_xml_load_data (data, len, "t.xml", LIMIT, &error);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, QUICK_USEC);
  g_assert_null (doc);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_error (error, ASR_XML_ERROR, (gint) code);
  if (strstr (error->message, expected) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", error->message, expected);
  return error;
}

static void
assert_refused (const char *data, AsrXmlError code, const char *expected)
{
  g_error_free (refused (data, strlen (data), code, expected));
}

static void
test_valid (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = asr_xml_load_data (VALID, strlen (VALID), "ok.xml", LIMIT, &error);
  xmlNode *root;

  g_assert_no_error (error);
  g_assert_nonnull (doc);
  root = xmlDocGetRootElement (doc);
  g_assert_nonnull (root);
  g_assert_cmpstr ((const char *) root->name, ==, "doc");
  /* Line numbers are what every later message of a caller cites. */
  g_assert_cmpint (xmlGetLineNo (xmlFirstElementChild (root)), ==, 3);
}

static void
test_doctype (void)
{
  assert_refused ("<?xml version=\"1.0\"?>\n<!DOCTYPE doc>\n<doc/>\n", ASR_XML_ERROR_DOCTYPE,
                  "t.xml:2: DOCTYPE is not allowed");
}

static void
test_doctype_internal_subset (void)
{
  /* The DOCTYPE on line 3, its internal subset below it: refused where
   * the DOCTYPE starts, before a declaration in it is read. */
  assert_refused ("<?xml version=\"1.0\"?>\n<!-- a comment -->\n<!DOCTYPE doc [\n"
                  "  <!ELEMENT doc (#PCDATA)>\n  <!ENTITY greeting \"hello\">\n]>\n"
                  "<doc>&greeting;</doc>\n",
                  ASR_XML_ERROR_DOCTYPE, "t.xml:3: DOCTYPE is not allowed");
}

static void
test_entity_bomb (void)
{
  /* Quadratic blow-up: one long entity, referenced over and over, in an
   * attribute and in text: 4 KiB that would expand to megabytes. */
  g_autoptr (GString) s
    = g_string_new ("<?xml version=\"1.0\"?>\n<!DOCTYPE doc [\n  <!ENTITY a \"");
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < 2000; i++)
    g_string_append_c (s, 'a');
  g_string_append (s, "\">\n]>\n<doc b=\"&a;&a;&a;\">");
  while (s->len < LIMIT - 16)
    g_string_append (s, "&a;");
  g_string_append (s, "</doc>\n");
  g_assert_cmpuint (s->len, <=, LIMIT);
  error = refused (s->str, s->len, ASR_XML_ERROR_DOCTYPE, "t.xml:2: DOCTYPE is not allowed");
  /* One line, not one per reference. */
  g_assert_null (strchr (error->message, '\n'));
}

/* --- nothing is fetched -------------------------------------------------- */

static guint fetches;
static xmlExternalEntityLoader default_loader;

static xmlParserInputPtr
counting_loader (const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
  fetches++;
  return default_loader (url, id, ctxt);
}

static void
test_external_entity (void)
{
  g_autofree char *dir = g_dir_make_tmp ("asr-xml-XXXXXX", NULL);
  g_autofree char *secret = g_build_filename (dir, "secret", NULL);
  g_autofree char *dtd = g_build_filename (dir, "doc.dtd", NULL);
  g_autofree char *with_entity = NULL;
  g_autofree char *with_dtd = NULL;
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;

  g_assert_nonnull (dir);
  g_assert_true (g_file_set_contents (secret, "SECRET-CONTENT", -1, NULL));
  g_assert_true (g_file_set_contents (dtd,
                                      "<!ENTITY e SYSTEM \"file://"
                                      "/dev/null\">",
                                      -1, NULL));
  with_entity = g_strdup_printf ("<?xml version=\"1.0\"?>\n"
                                 "<!DOCTYPE doc [<!ENTITY e SYSTEM \"file://%s\">]>\n"
                                 "<doc a=\"x\">&e;</doc>\n",
                                 secret);
  with_dtd = g_strdup_printf ("<?xml version=\"1.0\"?>\n<!DOCTYPE doc SYSTEM \"file://%s\">\n"
                              "<doc>&e;</doc>\n",
                              dtd);

  /* Every file or URL libxml2 opens on a document's behalf goes through
   * the external entity loader. */
  fetches = 0;
  default_loader = xmlGetExternalEntityLoader ();
  xmlSetExternalEntityLoader (counting_loader);
  {
    g_autoptr (xmlDoc) d1
      = asr_xml_load_data (with_entity, strlen (with_entity), "t.xml", LIMIT, &e1);
    g_autoptr (xmlDoc) d2 = asr_xml_load_data (with_dtd, strlen (with_dtd), "t.xml", LIMIT, &e2);
    xmlSetExternalEntityLoader (default_loader);
    g_assert_cmpuint (fetches, ==, 0);
    g_assert_null (d1);
    g_assert_null (d2);
  }
  g_assert_error (e1, ASR_XML_ERROR, ASR_XML_ERROR_DOCTYPE);
  g_assert_error (e2, ASR_XML_ERROR, ASR_XML_ERROR_DOCTYPE);
  g_assert_true (g_str_has_prefix (e1->message, "t.xml:2: DOCTYPE is not allowed"));
  g_assert_true (g_str_has_prefix (e2->message, "t.xml:2: DOCTYPE is not allowed"));
  g_assert_null (strstr (e1->message, "SECRET"));
  g_unlink (secret);
  g_unlink (dtd);
  g_rmdir (dir);
}

static void
test_parse_options (void)
{
  int o = asr_xml_parse_options ();

  /* No network, whatever a document names; libxml2's limits for huge
   * input kept; nothing substituted, loaded, included or validated on a
   * document's behalf. */
  g_assert_cmpint (o & XML_PARSE_NONET, ==, XML_PARSE_NONET);
  g_assert_cmpint (o
                     & (XML_PARSE_HUGE | XML_PARSE_NOENT | XML_PARSE_DTDLOAD | XML_PARSE_DTDATTR
                        | XML_PARSE_DTDVALID | XML_PARSE_XINCLUDE | XML_PARSE_RECOVER),
                   ==, 0);
}

static void
test_deep_nesting (void)
{
  g_autoptr (GString) s = g_string_new ("<doc>\n");
  g_autoptr (GError) error = NULL;

  /* libxml2's own limit without XML_PARSE_HUGE is 256 levels. */
  for (int i = 0; i < 300; i++)
    g_string_append (s, "<a>");
  for (int i = 0; i < 300; i++)
    g_string_append (s, "</a>");
  g_string_append (s, "\n</doc>\n");
  g_assert_cmpuint (s->len, <=, LIMIT);
  error = refused (s->str, s->len, ASR_XML_ERROR_MALFORMED, "t.xml:2: ");
  g_assert_nonnull (strstr (error->message, "Excessive depth"));
}

/* --- size ------------------------------------------------------------------ */

static char *
padded (gsize len)
{
  /* A valid document of exactly @len bytes: a comment fills it up. */
  static const char head[] = "<doc/>\n<!--";
  static const char tail[] = "-->\n";
  char *s;

  g_assert_cmpuint (len, >=, sizeof head + sizeof tail);
  s = g_malloc (len + 1);
  memset (s, ' ', len);
  memcpy (s, head, sizeof head - 1);
  memcpy (s + len - (sizeof tail - 1), tail, sizeof tail - 1);
  s[len] = '\0';
  return s;
}

static void
test_size_limit (void)
{
  g_autofree char *at = padded (LIMIT);
  g_autofree char *over = padded (LIMIT + 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = asr_xml_load_data (at, LIMIT, "t.xml", LIMIT, &error);
  gsize huge = 100u * 1024u * 1024u;
  /* calloc'd pages stay untouched (and unbacked) if the cap comes first. */
  g_autofree char *zeros = g_malloc0 (huge);

  g_assert_no_error (error);
  g_assert_nonnull (doc);
  g_error_free (refused (over, LIMIT + 1, ASR_XML_ERROR_TOO_LARGE,
                         "t.xml: too large: 4097 bytes, at most 4096"));
  g_error_free (refused (zeros, huge, ASR_XML_ERROR_TOO_LARGE, "too large"));
}

static void
test_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("asr-xml-XXXXXX", NULL);
  g_autofree char *ok = g_build_filename (dir, "ok.xml", NULL);
  g_autofree char *big = g_build_filename (dir, "big.xml", NULL);
  g_autofree char *over = padded (LIMIT + 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;

  g_assert_true (g_file_set_contents (ok, VALID, -1, NULL));
  g_assert_true (g_file_set_contents (big, over, LIMIT + 1, NULL));
  doc = asr_xml_load_file (ok, LIMIT, &error);
  g_assert_no_error (error);
  g_assert_nonnull (doc);
  /* The file's name is the document's name. */
  g_assert_cmpstr ((const char *) doc->URL, ==, ok);
  g_clear_pointer (&doc, xmlFreeDoc);

  /* Too large on disk: the bounded reader says so, in its own domain. */
  doc = asr_xml_load_file (big, LIMIT, &error);
  g_assert_null (doc);
  g_assert_error (error, ASR_FILE_ERROR, ASR_FILE_ERROR_TOO_LARGE);
  g_unlink (ok);
  g_unlink (big);
  g_rmdir (dir);
}

/* --- malformed ------------------------------------------------------------- */

static void
test_malformed_line (void)
{
  g_autoptr (GError) error = NULL;
  /* The mismatched end tag is on line 3. */
  static const char bad[] = "<doc>\n  <a>\n  </b>\n</doc>\n";

  error = refused (bad, sizeof bad - 1, ASR_XML_ERROR_MALFORMED, "t.xml:3: ");
  g_assert_true (g_str_has_prefix (error->message, "t.xml:3: "));
  g_assert_nonnull (strstr (error->message, "mismatch"));
}

static void
test_bytes (void)
{
  static const char nul[] = "<doc>\n<a/>\0<b/>\n</doc>\n";

  assert_refused ("", ASR_XML_ERROR_MALFORMED, "t.xml: empty document");
  g_error_free (
    refused (nul, sizeof nul - 1, ASR_XML_ERROR_MALFORMED, "t.xml:2: NUL byte at offset 10"));
  assert_refused ("<doc>\n<a b=\"d\xe9"
                  "bian\"/>\n</doc>\n",
                  ASR_XML_ERROR_MALFORMED, "t.xml:2: not UTF-8 (invalid byte 0xe9");
  assert_refused ("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<doc/>\n",
                  ASR_XML_ERROR_MALFORMED, "t.xml:1: encoding \"ISO-8859-1\" is not allowed");
  assert_refused ("just text\n", ASR_XML_ERROR_MALFORMED, "t.xml:1: ");
}

static void
test_many_problems (void)
{
  g_autoptr (GString) s = g_string_new ("<doc>\n");
  g_autoptr (GError) error = NULL;

  /* Undeclared namespace prefixes: an error each, parsing goes on. */
  for (int i = 0; i < 60; i++)
    g_string_append_printf (s, "<p%d:a/>\n", i);
  g_string_append (s, "</doc>\n");
  error = refused (s->str, s->len, ASR_XML_ERROR_MALFORMED, "t.xml:2: Namespace prefix p0");
  g_assert_nonnull (strstr (error->message, "t.xml: 10 more problems not shown"));
}

/* libxml2 reports through the loader only: stderr stays empty. */
static void
test_quiet (void)
{
  g_autofree char *path = NULL;
  g_autofree char *printed = NULL;
  int fd = g_file_open_tmp ("asr-xml-stderr-XXXXXX", &path, NULL);
  int saved = dup (STDERR_FILENO);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (saved, >=, 0);
  g_assert_cmpint (dup2 (fd, STDERR_FILENO), ==, STDERR_FILENO);
  for (int i = 0; i < 2; i++)
    {
      const char *bad = i == 0 ? "<doc>\n  <a>\n  </b>\n</doc>\n" : "<doc><x:a/></doc>";
      g_autoptr (GError) error = NULL;
      g_autoptr (xmlDoc) doc = asr_xml_load_data (bad, strlen (bad), "t.xml", LIMIT, &error);
      g_assert_null (doc);
    }
  g_assert_cmpint (dup2 (saved, STDERR_FILENO), ==, STDERR_FILENO);
  close (saved);
  close (fd);
  g_assert_true (g_file_get_contents (path, &printed, NULL, NULL));
  g_assert_cmpstr (printed, ==, "");
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/util/xml/valid", test_valid);
  g_test_add_func ("/util/xml/doctype", test_doctype);
  g_test_add_func ("/util/xml/doctype-internal-subset", test_doctype_internal_subset);
  g_test_add_func ("/util/xml/entity-bomb", test_entity_bomb);
  g_test_add_func ("/util/xml/external-entity-not-fetched", test_external_entity);
  g_test_add_func ("/util/xml/parse-options", test_parse_options);
  g_test_add_func ("/util/xml/deep-nesting", test_deep_nesting);
  g_test_add_func ("/util/xml/size-limit", test_size_limit);
  g_test_add_func ("/util/xml/file", test_file);
  g_test_add_func ("/util/xml/malformed-file-line", test_malformed_line);
  g_test_add_func ("/util/xml/bytes", test_bytes);
  g_test_add_func ("/util/xml/many-problems", test_many_problems);
  g_test_add_func ("/util/xml/quiet", test_quiet);
  return g_test_run ();
}
