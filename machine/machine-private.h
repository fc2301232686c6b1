/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the machine/ sources; not part of the public API.
 */
#pragma once

#include <glib.h>

#include "machine.h"

#include "problems.h"

#define MACHINE_MAX_PROBLEMS ASR_PROBLEMS_MAX

/* Collects "name:line: message" lines for one GError (util/problems.h). */
typedef AsrProblems MachineProblems;

#define machine_problems_init(p, name) asr_problems_init ((p), (name))
#define machine_problems_clear(p) asr_problems_clear (p)
#define machine_problems_add(p, line, ...) asr_problems_add ((p), (line), __VA_ARGS__)
/* Sets @error from the collected problems (if any) and returns FALSE;
 * returns TRUE when there were none. */
gboolean machine_problems_take (MachineProblems *p, MachineError code, GError **error);

/* Canonical decimal: "0" or [1-9][0-9]*, at most @max.  On failure, a
 * message fit to follow "attribute X: ". */
gboolean machine_parse_uint (const char *s, guint64 max, guint64 *out, char **why);

/* Syntax of identifiers, as in machine.rng. */
gboolean machine_is_mbr_type (const char *s);
gboolean machine_is_mbr_signature (const char *s);
gboolean machine_is_checksum (const char *s);
/* mdadm's UUID form: 32 hex digits in 4 groups of 8 joined by ':'. */
gboolean machine_is_md_uuid (const char *s);
/* NULL if @s is a plain file name in the backup directory, else why not. */
const char *machine_file_name_problem (const char *s);

/* MBR partition types that hold logical partitions. */
gboolean machine_mbr_type_is_extended (const char *type);

/* --- libxml2 glue -------------------------------------------------------- */

#include "xml.h"

/* Schema errors are gathered first, then explained (machine-diagnose.c):
 * libxml2's RELAX NG reports are terse and not always located. */
GArray *machine_schema_errors_new (void);
void machine_schema_errors_collect (void *data, xmlErrorPtr e);
void machine_schema_errors_report (GArray *errors, xmlDoc *doc, MachineProblems *p);

/* Validates @doc against machine.rng (loaded once, then cached).
 * MACHINE_ERROR_SCHEMA, or MACHINE_ERROR_NO_SCHEMA. */
gboolean machine_schema_validate (xmlDoc *doc, const char *name, GError **error);
