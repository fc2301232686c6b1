/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one XML loader for documents asr did not write itself in this
 * process: machine.xml, plan XML, probe descriptors, libvirt domain XML.
 *
 * libxml2 2.9.14 has no XML_PARSE_NO_XXE.  Entity declarations can only
 * come from a DOCTYPE, so refusing every DOCTYPE the moment the parser
 * meets one (the SAX internalSubset hook, before the internal subset is
 * read) rules out external entities, external DTDs and entity expansion
 * bombs alike, wherever the DOCTYPE hides (a search of the text would be
 * fooled by a comment, and would refuse valid text that mentions one).
 * XML_PARSE_NOENT, DTDLOAD and HUGE are never set: HUGE would lift the
 * 256-level nesting limit and the other limits for huge input.
 */
#include "config.h"

#include <string.h>

#include <libxml/parserInternals.h>

#include "file.h"
#include "problems.h"
#include "xml.h"

/* clang-format off */
G_DEFINE_QUARK (asr-xml-error-quark, asr_xml_error)
/* clang-format on */

#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_BIG_LINES)

void
asr_xml_init (void)
{
  static gsize done = 0;

  /* xmlInitParser is not safe to race with the first parse on another
   * thread; do it once, first. */
  if (g_once_init_enter (&done))
    {
      xmlInitParser ();
      g_once_init_leave (&done, 1);
    }
}

int
asr_xml_parse_options (void)
{
  return PARSE_OPTIONS;
}

/* --- quiet scope --------------------------------------------------------- */

static void
discard_generic_error (void *ctx, const char *msg, ...)
{
  /* Everything worth reporting also arrives through the structured
   * handler; the rest (a generic fallback) must not reach stderr. */
}

void
asr_xml_quiet_begin (AsrXmlQuiet *q, xmlStructuredErrorFunc handler, void *data)
{
  q->serror = xmlStructuredError;
  q->serror_ctx = xmlStructuredErrorContext;
  q->gerror = xmlGenericError;
  q->gerror_ctx = xmlGenericErrorContext;
  xmlSetStructuredErrorFunc (data, handler);
  xmlSetGenericErrorFunc (NULL, discard_generic_error);
}

void
asr_xml_quiet_end (AsrXmlQuiet *q)
{
  xmlSetStructuredErrorFunc (q->serror_ctx, q->serror);
  xmlSetGenericErrorFunc (q->gerror_ctx, q->gerror);
}

char *
asr_xml_error_describe (const xmlError *e, guint *line)
{
  g_autofree char *msg = NULL;
  xmlNode *node;
  guint l;

  /* Warnings (a relative namespace URI, ...) are not problems of ours;
   * errors are, and only they fail a document. */
  if (e == NULL || e->level < XML_ERR_ERROR)
    return NULL;
  msg = g_strstrip (g_strdup (e->message ? e->message : "unknown libxml2 error"));
  l = e->line > 0 ? (guint) e->line : 0;
  node = e->node;
  if (node != NULL && node->type == XML_ELEMENT_NODE)
    {
      long nl = xmlGetLineNo (node);
      if (line)
        *line = nl > 0 ? (guint) nl : l;
      return g_strdup_printf ("element %s: %s", (const char *) node->name, msg);
    }
  if (line)
    *line = l;
  return g_steal_pointer (&msg);
}

/* --- problems of one document -------------------------------------------- */

void
asr_xml_collect_error (void *data, xmlErrorPtr e)
{
  AsrProblems *p = data;
  guint line = 0;
  g_autofree char *msg = asr_xml_error_describe (e, &line);

  if (msg != NULL)
    asr_problems_add (p, line, "%s", msg);
}

/* What the parser's SAX hook sees (ctxt->_private). */
typedef struct {
  AsrProblems problems;
  gboolean doctype;
} Load;

static void
refuse_doctype (void *ctx, const xmlChar *name, const xmlChar *external_id,
                const xmlChar *system_id)
{
  xmlParserCtxtPtr ctxt = ctx;
  Load *load = ctxt->_private;

  load->doctype = TRUE;
  asr_problems_add (&load->problems, (guint) xmlSAX2GetLineNumber (ctxt),
                    "DOCTYPE is not allowed (no DTDs, no entities)");
  /* Stop before the internal subset is read: no entity is ever declared,
   * no external subset ever looked for. */
  xmlStopParser (ctxt);
}

static guint
line_of_offset (const char *data, gsize offset)
{
  guint line = 1;

  for (gsize i = 0; i < offset; i++)
    if (data[i] == '\n')
      line++;
  return line;
}

/* The byte-level checks, before libxml2 sees the document. */
static gboolean
check_bytes (const char *data, gsize len, const char *name, gsize max_bytes, GError **error)
{
  const char *nul;
  const char *end;

  /* The cap comes first, before any byte is looked at, let alone copied. */
  if (len > max_bytes)
    {
      g_set_error (error, ASR_XML_ERROR, ASR_XML_ERROR_TOO_LARGE,
                   "%s: too large: %" G_GSIZE_FORMAT " bytes, at most %" G_GSIZE_FORMAT " accepted",
                   name, len, max_bytes);
      return FALSE;
    }
  if (len == 0)
    {
      g_set_error (error, ASR_XML_ERROR, ASR_XML_ERROR_MALFORMED, "%s: empty document", name);
      return FALSE;
    }
  /* libxml2 would take a NUL as the end of the document or a character
   * error, depending on where it falls; say what it is. */
  nul = memchr (data, '\0', len);
  if (nul != NULL)
    {
      g_set_error (error, ASR_XML_ERROR, ASR_XML_ERROR_MALFORMED,
                   "%s:%u: NUL byte at offset %" G_GSIZE_FORMAT ": not an XML document", name,
                   line_of_offset (data, (gsize) (nul - data)), (gsize) (nul - data));
      return FALSE;
    }
  if (!g_utf8_validate_len (data, len, &end))
    {
      g_set_error (error, ASR_XML_ERROR, ASR_XML_ERROR_MALFORMED,
                   "%s:%u: not UTF-8 (invalid byte 0x%02x at offset %" G_GSIZE_FORMAT ")", name,
                   line_of_offset (data, (gsize) (end - data)), (guint) (guchar) *end,
                   (gsize) (end - data));
      return FALSE;
    }
  return TRUE;
}

xmlDoc *
asr_xml_load_data (const char *data, gsize len, const char *name, gsize max_bytes, GError **error)
{
  g_autoptr (xmlParserCtxt) ctxt = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  Load load = { { 0 }, FALSE };
  AsrXmlQuiet quiet;
  gboolean well_formed;
  gboolean ok;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* libxml2 takes an int length. */
  if (!check_bytes (data ? data : "", len, name, MIN (max_bytes, (gsize) G_MAXINT), error))
    return NULL;

  asr_xml_init ();
  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    g_error ("out of memory");
  asr_problems_init (&load.problems, name);
  ctxt->_private = &load;
  ctxt->sax->internalSubset = refuse_doctype;
  /* No sax->serror: parser errors go to the thread-local structured
   * handler of the quiet scope, like every other libxml2 report. */
  asr_xml_quiet_begin (&quiet, asr_xml_collect_error, &load.problems);
  doc = xmlCtxtReadMemory (ctxt, data, (int) len, name, NULL, PARSE_OPTIONS);
  asr_xml_quiet_end (&quiet);
  /* A stopped parser may still hand back the document so far. */
  well_formed = ctxt->wellFormed && !ctxt->disableSAX;

  /* Should a DOCTYPE ever get past the hook, it is still refused. */
  if (!load.doctype && doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL))
    {
      load.doctype = TRUE;
      asr_problems_add (&load.problems, 0, "DOCTYPE is not allowed (no DTDs, no entities)");
    }
  if (doc != NULL && doc->encoding != NULL
      && g_ascii_strcasecmp ((const char *) doc->encoding, "UTF-8") != 0)
    asr_problems_add (&load.problems, 1, "encoding \"%s\" is not allowed: only UTF-8 is",
                      (const char *) doc->encoding);
  if (load.problems.count == 0
      && (doc == NULL || !well_formed || xmlDocGetRootElement (doc) == NULL))
    asr_problems_add (&load.problems, 0, "not a well-formed XML document");
  ok = asr_problems_take (&load.problems, ASR_XML_ERROR,
                          load.doctype ? ASR_XML_ERROR_DOCTYPE : ASR_XML_ERROR_MALFORMED, error);
  asr_problems_clear (&load.problems);
  return ok ? g_steal_pointer (&doc) : NULL;
}

xmlDoc *
asr_xml_load_file (const char *path, gsize max_bytes, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = asr_file_read_bounded (path, max_bytes, &len, error);
  if (data == NULL)
    return NULL;
  return asr_xml_load_data (data, len, path, max_bytes, error);
}

char *
asr_xml_node_text (xmlNode *n)
{
  xmlChar *v = xmlNodeGetContent (n);
  char *s = g_strdup (v ? (const char *) v : "");

  xmlFree (v);
  return s;
}
