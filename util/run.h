/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running helper programs (qemu-img): errors carry their stderr's tail. */
#pragma once

#include <glib.h>

#include "progress.h"

G_BEGIN_DECLS

#define ASR_RUN_ERROR (asr_run_error_quark ())
GQuark asr_run_error_quark (void);

typedef enum {
  ASR_RUN_ERROR_SPAWN,   /* could not start (not installed?) */
  ASR_RUN_ERROR_FAILED,  /* exited non-zero or died of a signal (a limit's included) */
  ASR_RUN_ERROR_TIMEOUT, /* killed at AsrRunOptions.timeout_seconds */
  ASR_RUN_ERROR_OUTPUT,  /* killed for more standard output than AsrRunOptions allow */
  ASR_RUN_ERROR_IO,      /* its output could not be read, or was not UTF-8 */
} AsrRunError;

/* The last lines of standard error kept for a failure's message. */
#define ASR_RUN_STDERR_TAIL_LINES 8

/* Resource limits for a child that reads input nobody vouches for (a
 * hostile image can make qemu-img allocate, loop or write without end). */
typedef struct {
  gboolean enabled;        /* FALSE: the child has asr's own limits */
  guint64 max_as_bytes;    /* RLIMIT_AS */
  guint64 max_cpu_seconds; /* RLIMIT_CPU; the child dies of SIGXCPU after it */
  guint64 max_file_bytes;  /* RLIMIT_FSIZE: 0 = the child may write nothing */
} AsrRunLimits;

/* In a child (after fork, before it runs anything): @l's limits, and no
 * core file; RLIMIT_AS left as it is with @keep_address_space (a child
 * under AddressSanitizer, which reserves terabytes).  _exit (126) when a
 * limit cannot be set: never run unlimited.  Nothing when @l is NULL or
 * not enabled.  Async-signal-safe; asr_run_full's children and
 * asr_run_sandboxed's (sandbox.h) both get it. */
void asr_run_limit_self (const AsrRunLimits *l, gboolean keep_address_space);

/* How to run a child.  All zero is asr_run without standard output: the
 * user's locale, no timeout, no limits.  Its stdin is always /dev/null. */
typedef struct {
  /* Standard output: kept in AsrRunResult.stdout_text (UTF-8 text), or
   * read as qemu-img -p progress when @progress is set, or discarded. */
  gboolean capture_stdout;
  gsize stdout_max_bytes; /* with capture_stdout: killed past it (0: no cap) */
  AsrProgressFunc progress;
  void *progress_opaque;

  guint timeout_seconds; /* wall clock; killed after it (0: none) */
  AsrRunLimits limits;

  /* Standard error's last lines (0: ASR_RUN_STDERR_TAIL_LINES), each
   * without @stderr_drop_prefix (e.g. "qemu-img: ") when given. */
  guint stderr_tail_lines;
  const char *stderr_drop_prefix;

  gboolean c_locale; /* LC_ALL=C: messages in English whatever the user's locale */
} AsrRunOptions;

/* What became of a child, for callers whose message depends on it. */
typedef struct {
  char *stdout_text; /* with capture_stdout */
  char *stderr_tail; /* standard error's last lines, "; "-joined ("" if none) */
  int exit_status;   /* when it exited by itself; -1 otherwise */
  char *killed;      /* why it did not exit by itself: "did not finish within
                       * 30 s", "was killed after its 10 s CPU limit", "was
                       * killed by signal 11 (Segmentation fault)"; NULL if it
                       * exited or never ran */
} AsrRunResult;

void asr_run_result_clear (AsrRunResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AsrRunResult, asr_run_result_clear)

/* Runs argv to completion as @options say.  TRUE only for exit status 0.
 * A failure's message names the program, says why (exit status, signal,
 * timeout) and ends with the tail of its standard error.  @result
 * (optional, zero-initialised) is filled on success and on failure alike.
 * The child dies with asr (a kill -9 included), and the interrupt handler
 * (cleanup.h) kills it. */
gboolean asr_run_full (const char *const *argv, const AsrRunOptions *options, AsrRunResult *result,
                       GError **error);

/* asr_run_full with the user's locale and no limits.  @stdout_out
 * (optional) gets its standard output; with @progress, standard output is
 * read as qemu-img -p progress instead. */
gboolean asr_run (const char *const *argv, char **stdout_out, AsrProgressFunc progress,
                  void *opaque, GError **error);

/* A helper that runs beside asr (a server: qemu-nbd), started by
 * asr_run_start() and ended by asr_run_stop(). */
typedef struct _AsrRunChild AsrRunChild;

/* Starts argv in the background, as asr_run_full starts its children: the
 * signals unblocked, dying with asr (a kill -9 included), killed by the
 * interrupt handler; standard input /dev/null, standard output discarded,
 * standard error into @stderr_path.  With @listen_fd >= 0, the listening
 * socket is handed over by systemd's socket-activation protocol: it is
 * the child's fd 3, with LISTEN_FDS=1 and LISTEN_PID its own pid (set
 * through "/bin/sh -c 'exec ...'", since only the child knows its pid
 * before the exec), so a client never races the server's start and sees
 * a reset, not a hang, when the server fails.  @listen_fd is taken either
 * way. */
AsrRunChild *asr_run_start (const char *const *argv, int listen_fd, const char *stderr_path,
                            GError **error);
/* Kills and reaps it (its standard error is complete after this) and
 * frees it.  NULL is fine. */
void asr_run_stop (AsrRunChild *child);
/* Ends it gracefully: SIGTERM, then up to @timeout_seconds for it to exit
 * (a server that must flush what it wrote: qemu-storage-daemon), else as
 * asr_run_stop.  TRUE when it exited by itself.  Frees it. */
gboolean asr_run_terminate (AsrRunChild *child, guint timeout_seconds);

/* Escapes a value for qemu's --image-opts syntax (commas doubled). */
char *asr_qemu_opts_escape (const char *value);

G_END_DECLS
