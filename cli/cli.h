/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The asr command line: one file per subcommand, one table (asr.c) that
 * drives dispatch and help.  Only cli/ prints.
 */
#pragma once

#include <glib.h>

#include "planner.h"

/* Exit statuses, asr(1) "EXIT STATUS". */
typedef enum {
  ASR_EXIT_OK = 0,           /* done / plan passes / VM booted / backup checks out */
  ASR_EXIT_CHECK_FAILED = 1, /* a check failed; the report says which */
  ASR_EXIT_USAGE = 2,        /* bad usage or invalid input */
  ASR_EXIT_RUNTIME = 3,      /* I/O, libguestfs, libvirt, qemu failure */
} AsrExit;

typedef struct {
  const char *name;
  const char *parameters;  /* synopsis after the command name */
  const char *summary;     /* one line, for `asr --help` */
  const char *description; /* a paragraph, for `asr help COMMAND` */
  /* Adds the command's options to @ctx (may be NULL: no options). */
  void (*add_options) (GOptionContext *ctx);
  /* Optional: sees the whole argv before option parsing, for options
   * whose meaning depends on their position (capture's --format). */
  void (*prepare) (int argc, char **argv);
  /* Runs with the non-option arguments (argv[0] is the command name). */
  int (*run) (int argc, char **argv);
} AsrCommand;

extern const AsrCommand asr_command_validate;
extern const AsrCommand asr_command_show;
extern const AsrCommand asr_command_capture;
extern const AsrCommand asr_command_check;
extern const AsrCommand asr_command_probe;
extern const AsrCommand asr_command_plan;
extern const AsrCommand asr_command_verify;
extern const AsrCommand asr_command_rescue;
extern const AsrCommand asr_command_restore;

/* "asr COMMAND: message" on stderr. */
void cli_error (const char *command, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Prints @error's message (one line per problem, each prefixed with
 * "asr COMMAND: ") and returns the exit status its domain and code call for. */
int cli_report_error (const char *command, const GError *error);

/* The exit status an error calls for. */
int cli_exit_status_for_error (const GError *error);

/* The planner's PlanImageFunc, done by the imager's asr_check_image() and
 * asr_check_text(): plan and restore vet every file of the set with the
 * same rules as `asr check`. */
gboolean cli_plan_vet_image (const char *backup_dir, const char *file, gboolean text,
                             const char *format, guint64 bytes, const char *checksum,
                             gboolean verify_checksum, PlanImageVerdict *verdict, char **why,
                             void *opaque, GError **error);

/* --grow[=MOUNTPOINT] of plan and restore: the mount point, "/" when none
 * is given; NULL when the option is absent.  GOption would take the next
 * argument (the BACKUP) as an optional value, so cli_grow_prepare(), the
 * commands' prepare hook, first turns a bare --grow into --grow=/. */
extern char *cli_grow_mountpoint;
void cli_grow_prepare (int argc, char **argv);
/* --shrink[=MOUNTPOINT], the same way (cli_grow_prepare turns a bare
 * --shrink into --shrink=/). */
extern char *cli_shrink_mountpoint;
/* The GOptionArgFunc of both: @name says which. */
gboolean cli_resize_option (const char *name, const char *value, gpointer data, GError **error);
/* A bare --shrink: / gives up what it can, then swap. */
#define CLI_SHRINK_DEFAULT "/,swap"
/* Their two GOptionEntry lines, the same in plan's and restore's tables. */
/* clang-format off */
#define CLI_RESIZE_OPTIONS                                                                       \
  { "grow", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, cli_resize_option,             \
    "On a larger disk, the volume mounted at MOUNTPOINT (default /) takes the space; the "       \
    "partitions after it move towards the end",                                                  \
    "[MOUNTPOINT]" },                                                                            \
  { "shrink", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, cli_resize_option,           \
    "On a smaller disk, the volumes at MOUNTPOINT,... (and swap; default /,swap), in order, "     \
    "give up what it lacks, each down to its used data and a margin; the partitions after them " \
    "move towards the start",                                                                     \
    "[MOUNTPOINT,...]" }
/* clang-format on */
