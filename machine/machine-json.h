/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The descriptor as JSON, apart from machine.h so that only what writes
 * JSON includes json-glib. */
#pragma once

#include <json-glib/json-glib.h>

#include "machine.h"

G_BEGIN_DECLS

/* The descriptor as `asr show --json` prints it: pretty-printed, no final
 * newline.  Unknown facts are left out. */
char *machine_descriptor_to_json (const MachineDescriptor *m);

/* Member @name: an integer, or beyond int64 (where JSON readers lose
 * precision) its decimal string. */
void machine_json_add_u64 (JsonBuilder *b, const char *name, guint64 value);

/* Member @name: the string @value, or nothing when @value is NULL (absent
 * means unknown). */
void machine_json_add_string (JsonBuilder *b, const char *name, const char *value);

/* Member @name: the string @value, or null when @value is NULL (for
 * reports whose members are always present). */
void machine_json_add_string_or_null (JsonBuilder *b, const char *name, const char *value);

/* Member @name: an array of the strings in @values (may be NULL: empty). */
void machine_json_add_strings (JsonBuilder *b, const char *name, const GPtrArray *values);

/* The document built in @b (one complete value), pretty-printed, no
 * final newline. */
char *machine_json_builder_to_text (JsonBuilder *b);

G_END_DECLS
