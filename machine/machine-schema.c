/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finding machine.rng and validating against it.
 */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "machine.h"
#include "machine-private.h"
#include "file.h"

#define SCHEMA_FILE "machine.rng"

char *
machine_schema_dir (void)
{
  /* the build tree (builddir/cli/asr beside builddir/xml-schemas), then an
   * installed tree that was moved (DESTDIR, a relocated prefix) */
  static const char *const from_bindir[] = { "../xml-schemas",
#ifdef ASR_SCHEMA_DIR_FROM_BINDIR
                                             ASR_SCHEMA_DIR_FROM_BINDIR,
#endif
                                             NULL };
  return asr_file_find_data_dir ("ASR_SCHEMA_DIR", from_bindir, SCHEMA_FILE,
                                 ASR_SCHEMA_DIR_INSTALLED);
}

/* The parsed schema is read-only once built and shared by every caller.
 * A mutex rather than g_once: a failed load (no schema yet) is retried,
 * not remembered, and validation is serialised because libxml2 does not
 * promise that validating against one xmlRelaxNG from several threads is
 * safe; descriptors are small, so this costs nothing. */
static GMutex schema_lock;
static xmlRelaxNGPtr schema_cached;

static xmlRelaxNGPtr
schema_get_locked (GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  xmlRelaxNGParserCtxtPtr pctxt;
  xmlRelaxNGPtr schema;
  MachineProblems problems;
  AsrXmlQuiet quiet;

  if (schema_cached != NULL)
    return schema_cached;

  dir = machine_schema_dir ();
  path = g_build_filename (dir, SCHEMA_FILE, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, MACHINE_ERROR, MACHINE_ERROR_NO_SCHEMA,
                   "%s: schema not found (set ASR_SCHEMA_DIR to the directory holding %s)", path,
                   SCHEMA_FILE);
      return NULL;
    }

  asr_xml_init ();
  machine_problems_init (&problems, path);
  asr_xml_quiet_begin (&quiet, asr_xml_collect_error, &problems);
  pctxt = xmlRelaxNGNewParserCtxt (path);
  if (pctxt != NULL)
    {
      xmlRelaxNGSetParserStructuredErrors (pctxt, asr_xml_collect_error, &problems);
      schema = xmlRelaxNGParse (pctxt);
      xmlRelaxNGFreeParserCtxt (pctxt);
    }
  else
    schema = NULL;
  asr_xml_quiet_end (&quiet);

  if (schema == NULL)
    {
      if (problems.count == 0)
        machine_problems_add (&problems, 0, "cannot be parsed as RELAX NG");
      machine_problems_take (&problems, MACHINE_ERROR_NO_SCHEMA, error);
      g_prefix_error (error, "unusable schema:\n");
      machine_problems_clear (&problems);
      return NULL;
    }
  machine_problems_clear (&problems);
  g_debug ("loaded schema %s", path);
  schema_cached = schema;
  return schema;
}

gboolean
machine_schema_validate (xmlDoc *doc, const char *name, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&schema_lock);
  xmlRelaxNGPtr schema;
  xmlRelaxNGValidCtxtPtr vctxt;
  MachineProblems problems;
  AsrXmlQuiet quiet;
  g_autoptr (GArray) errors = NULL;
  int rc;
  gboolean ok;

  schema = schema_get_locked (error);
  if (schema == NULL)
    return FALSE;

  machine_problems_init (&problems, name);
  errors = machine_schema_errors_new ();
  asr_xml_quiet_begin (&quiet, asr_xml_collect_error, &problems);
  vctxt = xmlRelaxNGNewValidCtxt (schema);
  if (vctxt == NULL)
    rc = -1;
  else
    {
      xmlRelaxNGSetValidStructuredErrors (vctxt, machine_schema_errors_collect, errors);
      rc = xmlRelaxNGValidateDoc (vctxt, doc);
      xmlRelaxNGFreeValidCtxt (vctxt);
    }
  asr_xml_quiet_end (&quiet);
  machine_schema_errors_report (errors, doc, &problems);

  if (rc != 0 && problems.count == 0)
    machine_problems_add (&problems, 0, "does not validate against %s", SCHEMA_FILE);
  ok = machine_problems_take (&problems, MACHINE_ERROR_SCHEMA, error);
  machine_problems_clear (&problems);
  return ok;
}
