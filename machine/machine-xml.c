/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxml2 glue: one-time initialisation, and error handlers that turn
 * libxml2's reports into "name:line: message" problems instead of letting
 * it print to stderr.
 */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>

#include "machine.h"
#include "machine-private.h"

void
machine_xml_init (void)
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

static void
discard_generic_error (void *ctx, const char *msg, ...)
{
  /* Everything worth reporting also arrives through the structured
   * handler; the rest (a generic fallback) must not reach stderr. */
}

void
machine_xml_quiet_begin (MachineXmlQuiet *q, MachineProblems *problems)
{
  q->serror = xmlStructuredError;
  q->serror_ctx = xmlStructuredErrorContext;
  q->gerror = xmlGenericError;
  q->gerror_ctx = xmlGenericErrorContext;
  xmlSetStructuredErrorFunc (problems, machine_xml_collect_error);
  xmlSetGenericErrorFunc (NULL, discard_generic_error);
}

void
machine_xml_quiet_end (MachineXmlQuiet *q)
{
  xmlSetStructuredErrorFunc (q->serror_ctx, q->serror);
  xmlSetGenericErrorFunc (q->gerror_ctx, q->gerror);
}

void
machine_xml_collect_error (void *data, xmlErrorPtr e)
{
  MachineProblems *p = data;
  g_autofree char *msg = NULL;
  xmlNode *node;
  guint line;

  /* Warnings (a relative namespace URI, ...) are not problems of ours;
   * errors are, and only they fail a document. */
  if (e == NULL || e->level < XML_ERR_ERROR)
    return;

  msg = g_strdup (e->message ? e->message : "unknown libxml2 error");
  g_strstrip (msg);
  node = e->node;
  line = e->line > 0 ? (guint) e->line : 0;

  /* Validation errors go through machine-diagnose.c; what arrives here
   * is from the parser (located by line) or from loading the schema. */
  if (node != NULL && node->type == XML_ELEMENT_NODE)
    {
      long l = xmlGetLineNo (node);
      machine_problems_add (p, l > 0 ? (guint) l : line, "element %s: %s", (const char *) node->name, msg);
    }
  else
    machine_problems_add (p, line, "%s", msg);
}
