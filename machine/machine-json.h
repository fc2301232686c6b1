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

G_END_DECLS
