/* SPDX-License-Identifier: GPL-2.0-or-later */
/* For tests of run.c: what asr_run_full sees right after a spawn. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Called by asr_run_full with each child just spawned, before anything
 * else looks at it: a test can wait for the child to exit and be reaped
 * there, as happens by itself to a fast child on a loaded machine. */
typedef void (*AsrRunSpawnedHook) (GSubprocess *proc);
void asr_run_set_spawned_hook (AsrRunSpawnedHook hook);

G_END_DECLS
