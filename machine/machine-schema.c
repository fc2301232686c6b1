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

#define SCHEMA_FILE "machine.rng"

static gboolean
dir_has_schema (const char *dir)
{
  g_autofree char *file = g_build_filename (dir, SCHEMA_FILE, NULL);

  return g_file_test (file, G_FILE_TEST_IS_REGULAR);
}

char *
machine_schema_dir (void)
{
  const char *env = g_getenv ("ASR_SCHEMA_DIR");
  g_autofree char *exe = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  /* /proc/self/exe rather than argv[0]: it is right whatever the PATH or
   * working directory, and a library has no argv. */
  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe != NULL)
    {
      g_autofree char *bindir = g_path_get_dirname (exe);
      /* The build tree: builddir/cli/asr next to builddir/xml-schemas. */
      g_autofree char *build = g_build_filename (bindir, "..", "xml-schemas", NULL);
      g_autofree char *canon_build = g_canonicalize_filename (build, NULL);

      if (dir_has_schema (canon_build))
        return g_steal_pointer (&canon_build);
#ifdef ASR_SCHEMA_DIR_FROM_BINDIR
      {
        /* An installed tree that was moved (DESTDIR, a relocated prefix). */
        g_autofree char *rel = g_build_filename (bindir, ASR_SCHEMA_DIR_FROM_BINDIR, NULL);
        g_autofree char *canon_rel = g_canonicalize_filename (rel, NULL);

        if (dir_has_schema (canon_rel))
          return g_steal_pointer (&canon_rel);
      }
#endif
    }
  return g_strdup (ASR_SCHEMA_DIR_INSTALLED);
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
