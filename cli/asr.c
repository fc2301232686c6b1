/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr: dispatch to a subcommand.  The table below is the one list of
 * commands; `asr --help`, `asr help COMMAND` and the per-command --help
 * are all generated from it.
 */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cleanup.h"
#include "machine.h"

/* One command a line, in the order help lists them. */
/* clang-format off */
static const AsrCommand *const commands[] = {
  &asr_command_capture,
  &asr_command_check,
  &asr_command_probe,
  &asr_command_plan,
  &asr_command_rescue,
  &asr_command_restore,
  &asr_command_show,
  &asr_command_validate,
  &asr_command_verify,
};
/* clang-format on */

static const AsrCommand *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i]->name, name) == 0)
      return commands[i];
  return NULL;
}

static void
print_usage (FILE *fp)
{
  fprintf (fp, "Usage: asr COMMAND [OPTION...] [ARG...]\n"
               "       asr help [COMMAND]\n"
               "       asr --version\n"
               "\n"
               "Automated System Recovery for Linux machines on QEMU block formats.\n"
               "\n"
               "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (fp, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
  fprintf (fp,
           "  %-10s %s\n"
           "\n"
           "Exit status: 0 done, 1 a check failed, 2 bad usage or invalid input,\n"
           "3 runtime failure.  See asr(1) and 'asr help COMMAND'.\n",
           "help", "Show help for a command");
}

/* Options every command takes. */
static gboolean opt_verbose;
static gboolean opt_debug;

static const GOptionEntry common_options[] = {
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
    "Say what asr does, step by step (each helper program it runs)", NULL },
  { "debug", 0, 0, G_OPTION_ARG_NONE, &opt_debug, "As --verbose, and trace libguestfs too", NULL },
  { NULL },
};

static void
apply_common_options (void)
{
  if (opt_debug)
    {
      /* Read by guestfs_create(), which runs after this. */
      g_setenv ("LIBGUESTFS_DEBUG", "1", FALSE);
      g_setenv ("LIBGUESTFS_TRACE", "1", FALSE);
    }
  if (opt_verbose || opt_debug)
    g_log_set_debug_enabled (TRUE);
}

static GOptionContext *
command_context (const AsrCommand *cmd)
{
  g_autofree char *summary = g_strdup_printf ("%s", cmd->summary);
  g_autofree char *description
    = g_strdup_printf ("%s\n\nSee asr-%s(1) for details.", cmd->description, cmd->name);
  GOptionContext *ctx = g_option_context_new (cmd->parameters);
  g_option_context_set_summary (ctx, summary);
  g_option_context_set_description (ctx, description);
  g_option_context_set_strict_posix (ctx, FALSE);
  if (cmd->add_options)
    cmd->add_options (ctx);
  g_option_context_add_main_entries (ctx, common_options, NULL);
  return ctx;
}

static int
print_command_help (const char *name)
{
  const AsrCommand *cmd = find_command (name);
  if (cmd == NULL)
    {
      cli_error ("help", "unknown command '%s' (see 'asr --help')", name);
      return ASR_EXIT_USAGE;
    }
  g_autoptr (GOptionContext) ctx = command_context (cmd);
  g_autofree char *prgname = g_strdup_printf ("asr %s", cmd->name);
  g_set_prgname (prgname);
  g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);
  fputs (help, stdout);
  return ASR_EXIT_OK;
}

static int
run_command (const AsrCommand *cmd, int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = command_context (cmd);
  g_autoptr (GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("asr %s", cmd->name);

  g_set_prgname (prgname);
  if (cmd->prepare)
    cmd->prepare (argc, argv);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      cli_error (cmd->name, "%s (see 'asr help %s')", error->message, cmd->name);
      return ASR_EXIT_USAGE;
    }
  apply_common_options ();
  return cmd->run (argc, argv);
}

/* What asr says when a signal ends it, one message per signal, made
 * before any signal can come: the hook that prints it runs while other
 * threads may hold stdio's and malloc's locks (util/cleanup.h). */
static char *interrupt_messages[NSIG];

static void
say_interrupted (int signo)
{
  if (signo > 0 && signo < NSIG && interrupt_messages[signo] != NULL)
    {
      ssize_t ignored
        = write (STDERR_FILENO, interrupt_messages[signo], strlen (interrupt_messages[signo]));
      (void) ignored;
    }
}

static void
set_interrupt_messages (void)
{
  for (int sig = 1; sig < NSIG; sig++)
    interrupt_messages[sig]
      = g_strdup_printf ("asr: interrupted (%s), temporary files removed\n", strsignal (sig));
  asr_cleanup_set_interrupt_hook (say_interrupted);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* GLib writes debug and info lines to stdout by default, where they
   * would corrupt the XML or JSON a command prints; it takes this
   * setting only before any thread exists. */
  g_log_writer_default_set_use_stderr (TRUE);
  /* Before any thread exists: Ctrl-C and SIGTERM remove temporary files
   * and kill the qemu processes asr started. */
  set_interrupt_messages ();
  asr_cleanup_install ();

  if (argc < 2)
    {
      print_usage (stderr);
      return ASR_EXIT_USAGE;
    }

  const char *first = argv[1];
  if (strcmp (first, "--version") == 0 || strcmp (first, "-V") == 0)
    {
      printf ("asr %s\n", PACKAGE_VERSION);
      return ASR_EXIT_OK;
    }
  if (strcmp (first, "--help") == 0 || strcmp (first, "-h") == 0)
    {
      print_usage (stdout);
      return ASR_EXIT_OK;
    }
  if (strcmp (first, "help") == 0)
    {
      if (argc == 2)
        {
          print_usage (stdout);
          return ASR_EXIT_OK;
        }
      if (argc > 3)
        {
          cli_error ("help", "expects at most one command name");
          return ASR_EXIT_USAGE;
        }
      return print_command_help (argv[2]);
    }
  if (first[0] == '-')
    {
      fprintf (stderr, "asr: unknown option '%s' (see 'asr --help')\n", first);
      return ASR_EXIT_USAGE;
    }

  const AsrCommand *cmd = find_command (first);
  if (cmd == NULL)
    {
      fprintf (stderr, "asr: unknown command '%s' (see 'asr --help')\n", first);
      return ASR_EXIT_USAGE;
    }
  return run_command (cmd, argc - 1, argv + 1);
}
