/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What to undo when asr is interrupted (Ctrl-C, SIGTERM, SIGHUP): child
 * processes to kill and temporary directories to remove, so an
 * interrupted capture or restore leaves nothing that looks valid and no
 * qemu running.  Library code registers; the command line installs the
 * handler once, first thing in main().
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* Blocks SIGINT, SIGTERM and SIGHUP in every thread and starts a thread
 * that waits for them: it kills registered processes, removes registered
 * directories, calls the interrupt hook, then dies of the same signal.
 * Call before any thread exists.  Children started through asr_run_full
 * get the signals unblocked. */
void asr_cleanup_install (void);

/* Called once the children are killed and the directories removed, just
 * before the process dies of @signo: where the command line says so
 * (library code does not print).  It runs in the signal thread while the
 * other threads go on and may hold any lock, malloc's and stdio's
 * included: only async-signal-safe calls (write(2), not printf or
 * strsignal), no asr_cleanup_* call, and it must return. */
typedef void (*AsrInterruptHook) (int signo);
void asr_cleanup_set_interrupt_hook (AsrInterruptHook hook);

void asr_cleanup_add_dir (const char *path);
void asr_cleanup_remove_dir (const char *path);
void asr_cleanup_add_pid (pid_t pid);
void asr_cleanup_remove_pid (pid_t pid);

/* rm -rf that never follows symlinks out of @path, and first detaches any
 * mount below it (a FUSE export whose daemon was killed); TRUE if it is
 * gone. */
gboolean asr_remove_tree (const char *path);

/* The owner of a private directory, for the run after a `kill -9`: a file
 * ASR_OWNER_FILE in the directory names this process by pid and start time
 * (a pid alone may be reused), so a later run removes the directories of
 * dead runs and never one still in use. */
#define ASR_OWNER_FILE "asr.pid"

typedef enum {
  ASR_OWNER_UNKNOWN, /* not a directory of ours, or no readable owner record */
  ASR_OWNER_ALIVE,   /* its owner process still runs */
  ASR_OWNER_DEAD,    /* its owner process is gone: a leftover */
} AsrOwnerState;

/* Writes this process's record into @dir (0600). */
gboolean asr_owner_claim (const char *dir, GError **error);
/* What @dir's record says; only a directory of this user (not a symlink). */
AsrOwnerState asr_owner_state (const char *dir);
/* asr_remove_tree, with the owner record removed last: a run killed while
 * removing leaves a directory the next run can still tell is a leftover. */
gboolean asr_owner_remove_tree (const char *dir);

/* If a signal is being handled, never returns: the handler ends the
 * process.  For the command line, before it reports an error, which may
 * only be a child the handler killed. */
void asr_cleanup_wait_if_interrupted (void);

/* Tests only: if the environment variable @variable names @step, sets
 * @error (@domain, @code: "stopped at step '@step' (@variable)") and
 * returns FALSE, so that a test can stop a capture or a restore at a
 * named step and see what an interruption there leaves. */
gboolean asr_test_fail_point (const char *variable, const char *step, GQuark domain, gint code,
                              GError **error);

/* For GSubprocessLauncher child setup: unblock the signals blocked above. */
void asr_cleanup_child_setup (gpointer unused);

G_END_DECLS
