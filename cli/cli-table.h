/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>

typedef struct CliTable CliTable;

/* @headers: NULL-terminated. */
CliTable *cli_table_new (const char *const *headers);
void cli_table_free (CliTable *t);
/* Exactly one cell per column; NULL or "" prints as "-". */
void cli_table_add_row (CliTable *t, ...);
void cli_table_print (const CliTable *t, const char *indent, FILE *fp);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliTable, cli_table_free)
