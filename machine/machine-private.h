/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the machine/ sources; not part of the public API.
 */
#pragma once

#include <glib.h>

#include "machine.h"

/* At most this many problems are reported for one document: a hostile
 * input must not turn into an unbounded error message. */
#define MACHINE_MAX_PROBLEMS 50

/* Collects "name:line: message" lines for one GError. */
typedef struct {
  const char *name;
  GString *text;
  guint count;
  guint dropped;
} MachineProblems;

void machine_problems_init (MachineProblems *p, const char *name);
void machine_problems_clear (MachineProblems *p);
void machine_problems_add (MachineProblems *p, guint line, const char *fmt, ...)
  G_GNUC_PRINTF (3, 4);
/* Sets @error from the collected problems (if any) and returns FALSE;
 * returns TRUE when there were none. */
gboolean machine_problems_take (MachineProblems *p, MachineError code, GError **error);

/* Canonical decimal: "0" or [1-9][0-9]*, at most @max.  On failure, a
 * message fit to follow "attribute X: ". */
gboolean machine_parse_uint (const char *s, guint64 max, guint64 *out, char **why);

/* Syntax of identifiers, as in machine.rng. */
gboolean machine_is_guid (const char *s);
gboolean machine_is_mbr_type (const char *s);
gboolean machine_is_mbr_signature (const char *s);
gboolean machine_is_checksum (const char *s);
gboolean machine_is_disk_id (const char *s);
/* NULL if @s is a plain file name in the backup directory, else why not. */
const char *machine_file_name_problem (const char *s);

/* MBR partition types that hold logical partitions. */
gboolean machine_mbr_type_is_extended (const char *type);

/* --- libxml2 glue (machine-xml.c) ---------------------------------------- */

#include <libxml/tree.h>
#include <libxml/xmlerror.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)

/* Initialises libxml2 once per process. */
void machine_xml_init (void);

/* While a quiet scope is active, libxml2 reports to @problems on this
 * thread and never prints (its global handlers are thread-local). */
typedef struct {
  xmlStructuredErrorFunc serror;
  void *serror_ctx;
  xmlGenericErrorFunc gerror;
  void *gerror_ctx;
} MachineXmlQuiet;

void machine_xml_quiet_begin (MachineXmlQuiet *q, MachineProblems *problems);
void machine_xml_quiet_end (MachineXmlQuiet *q);

/* A structured error handler; @data is a MachineProblems. */
void machine_xml_collect_error (void *data, xmlErrorPtr e);

/* Schema errors are gathered first, then explained (machine-diagnose.c):
 * libxml2's RELAX NG reports are terse and not always located. */
GArray *machine_schema_errors_new (void);
void machine_schema_errors_collect (void *data, xmlErrorPtr e);
void machine_schema_errors_report (GArray *errors, xmlDoc *doc, MachineProblems *p);

/* Validates @doc against machine.rng (loaded once, then cached).
 * MACHINE_ERROR_SCHEMA, or MACHINE_ERROR_NO_SCHEMA. */
gboolean machine_schema_validate (xmlDoc *doc, const char *name, GError **error);
