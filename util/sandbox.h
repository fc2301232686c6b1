/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A parser that is a library, not a program (libext2fs), run on input
 * nobody vouches for: in a forked child, under resource limits. */
#pragma once

#include <glib.h>

#include "run.h"

G_BEGIN_DECLS

/* Runs in the child: writes its result to @fd.  A FALSE return sets
 * @error, which reaches the caller with its domain, code and message. */
typedef gboolean (*AsrSandboxFunc) (int fd, gpointer data, GError **error);

/* For @fn: writes all of @buf to @fd (retrying short writes); FALSE on
 * an error (errno set). */
gboolean asr_sandbox_write (int fd, const void *buf, gsize len);

/* TRUE in a build with AddressSanitizer, which reserves terabytes of
 * address space at start: there the child has no RLIMIT_AS (its other
 * limits stay). */
gboolean asr_sandbox_address_space_unlimited (void);

/* TRUE where the child runs under a seccomp filter (x86-64, arm64): no
 * exec, no network, no file changed or opened for writing, no mount, no
 * privilege or kernel state changed (each fails with EPERM). */
gboolean asr_sandbox_denies_syscalls (void);

/* Forks; the child sets @limits (as asr_run_full's children), dies with
 * asr, and runs @fn.  What it wrote (at most @max_output bytes, or the
 * child is killed and the call fails) is returned in @output.  TRUE only
 * when @fn returned TRUE and the child exited by itself; a child killed
 * by a limit or a signal is an ASR_RUN_ERROR_FAILED naming it, one past
 * @max_output an ASR_RUN_ERROR_OUTPUT, and one still running after
 * @timeout_seconds of wall time (blocked reading, say) is killed: an
 * ASR_RUN_ERROR_TIMEOUT.  What the child writes to standard error (the
 * first 64 KiB) is passed on to asr's; a crash ends it by the signal's
 * default action, whatever handlers the caller set.  The child also runs
 * under asr_sandbox_denies_syscalls's filter. */
gboolean asr_run_sandboxed (AsrSandboxFunc fn, gpointer data, const AsrRunLimits *limits,
                            guint timeout_seconds, gsize max_output, GBytes **output,
                            GError **error);

G_END_DECLS
