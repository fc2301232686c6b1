/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

G_BEGIN_DECLS

#define ASR_XML_ERROR (asr_xml_error_quark ())
GQuark asr_xml_error_quark (void);

typedef enum {
  ASR_XML_ERROR_MALFORMED, /* empty, a NUL byte, not UTF-8, another encoding, not well-formed */
  ASR_XML_ERROR_DOCTYPE,   /* a DOCTYPE: refused before its internal subset is read */
  ASR_XML_ERROR_TOO_LARGE, /* above the caller's limit: not a byte was parsed */
} AsrXmlError;

/* Initialises libxml2 once per process, before the first parse. */
void asr_xml_init (void);

/* The libxml2 options of every document asr reads: no network, libxml2's
 * limits for huge input kept (no XML_PARSE_HUGE), no entity substitution,
 * no DTD loading, no XInclude. */
int asr_xml_parse_options (void);

/* Parses a document a user, a backup set or libvirt hands in, of at most
 * @max_bytes: UTF-8 without NUL bytes, no DOCTYPE at all (so neither an
 * entity nor an external DTD can be declared), well-formed.  Each error
 * message is one or more lines "NAME:LINE: message" ("NAME: message" when
 * there is no line); libxml2 never prints.  The caller translates
 * ASR_XML_ERROR into its own domain. */
xmlDoc *asr_xml_load_data (const char *data, gsize len, const char *name, gsize max_bytes,
                           GError **error);
/* The same for a file, read with asr_file_read_bounded (its ASR_FILE_ERROR
 * is passed on as it is). */
xmlDoc *asr_xml_load_file (const char *path, gsize max_bytes, GError **error);

/* A libxml2 error report as one line, with the element it is about when
 * it has one; @line (optional) gets its line, 0 when unknown.  NULL for a
 * warning, which fails no document. */
char *asr_xml_error_describe (const xmlError *e, guint *line);

/* A structured error handler that adds each error (not warning) to
 * @problems, an AsrProblems (problems.h). */
void asr_xml_collect_error (void *problems, xmlErrorPtr e);

/* While a quiet scope is active, libxml2 reports to @handler on this
 * thread and never prints (its global handlers are thread-local). */
typedef struct {
  xmlStructuredErrorFunc serror;
  void *serror_ctx;
  xmlGenericErrorFunc gerror;
  void *gerror_ctx;
} AsrXmlQuiet;

void asr_xml_quiet_begin (AsrXmlQuiet *q, xmlStructuredErrorFunc handler, void *data);
void asr_xml_quiet_end (AsrXmlQuiet *q);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlParserCtxt, xmlFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlRelaxNG, xmlRelaxNGFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlRelaxNGParserCtxt, xmlRelaxNGFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlRelaxNGValidCtxt, xmlRelaxNGFreeValidCtxt)

/* The text of @n and its descendants, as is ("" when it has none). */
char *asr_xml_node_text (xmlNode *n);

G_END_DECLS
