/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include <gio/gio.h>

#include "cleanup.h"
#include "cli.h"
#include "imager.h"
#include "machine.h"
#include "planner.h"
#include "probe.h"
#include "verify.h"

void
cli_error (const char *command, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  fprintf (stderr, "asr %s: %s\n", command, msg);
}

int
cli_exit_status_for_error (const GError *error)
{
  if (error == NULL)
    return ASR_EXIT_OK;
  if (error->domain == MACHINE_ERROR)
    {
      switch ((MachineError) error->code)
        {
        case MACHINE_ERROR_TOO_LARGE:
        case MACHINE_ERROR_MALFORMED:
        case MACHINE_ERROR_SCHEMA:
        case MACHINE_ERROR_INVALID:
          return ASR_EXIT_USAGE;
        case MACHINE_ERROR_IO:
        case MACHINE_ERROR_NO_SCHEMA:
          return ASR_EXIT_RUNTIME;
        }
    }
  if (error->domain == ASR_FILE_ERROR)
    return error->code == ASR_FILE_ERROR_IO ? ASR_EXIT_RUNTIME : ASR_EXIT_USAGE;
  if (error->domain == ASR_IMAGER_ERROR)
    {
      switch ((AsrImagerError) error->code)
        {
        case ASR_IMAGER_ERROR_INVALID_INPUT:
        case ASR_IMAGER_ERROR_UNSUPPORTED:
        case ASR_IMAGER_ERROR_EXISTS:
          return ASR_EXIT_USAGE;
        case ASR_IMAGER_ERROR_NO_SPACE:
        case ASR_IMAGER_ERROR_FAILED:
          return ASR_EXIT_RUNTIME;
        case ASR_IMAGER_ERROR_CHECK_FAILED:
          return ASR_EXIT_CHECK_FAILED;
        }
    }
  if (error->domain == ASR_PROBE_ERROR)
    return error->code == ASR_PROBE_ERROR_INVALID_INPUT ? ASR_EXIT_USAGE : ASR_EXIT_RUNTIME;
  if (error->domain == PLANNER_ERROR)
    {
      switch ((PlannerError) error->code)
        {
        case PLANNER_ERROR_INVALID:
        case PLANNER_ERROR_MALFORMED:
        case PLANNER_ERROR_SCHEMA:
          return ASR_EXIT_USAGE;
        case PLANNER_ERROR_IO:
        case PLANNER_ERROR_NO_SCHEMA:
          return ASR_EXIT_RUNTIME;
        }
    }
  if (error->domain == ASR_VERIFY_ERROR)
    return error->code == ASR_VERIFY_ERROR_INVALID_INPUT ? ASR_EXIT_USAGE : ASR_EXIT_RUNTIME;
  if (error->domain == G_FILE_ERROR || error->domain == G_IO_ERROR)
    return ASR_EXIT_RUNTIME;
  if (error->domain == G_OPTION_ERROR)
    return ASR_EXIT_USAGE;
  return ASR_EXIT_RUNTIME;
}

int
cli_report_error (const char *command, const GError *error)
{
  g_auto (GStrv) lines = NULL;

  /* "qemu-img failed (killed by signal 9)" after Ctrl-C is the
   * interruption itself: its handler says so and exits 128+N. */
  asr_cleanup_wait_if_interrupted ();
  lines = g_strsplit (error->message, "\n", -1);
  for (char **l = lines; *l; l++)
    if (**l)
      fprintf (stderr, "asr %s: %s\n", command, *l);
  return cli_exit_status_for_error (error);
}

gboolean
cli_plan_vet_image (const char *backup_dir, const char *file, gboolean text, const char *format,
                    guint64 bytes, const char *checksum, gboolean verify_checksum,
                    PlanImageVerdict *verdict, char **why, void *opaque, GError **error)
{
  g_autoptr (AsrCheckItem) item = NULL;

  (void) opaque;
  item = text ? asr_check_text (backup_dir, file, checksum, error)
              : asr_check_image (backup_dir, file, format, bytes, checksum, verify_checksum, error);
  if (item == NULL)
    return FALSE;
  switch (item->status)
    {
    case ASR_CHECK_OK:
      *verdict = PLAN_IMAGE_OK;
      return TRUE;
    case ASR_CHECK_CHECKSUM_MISMATCH:
      *verdict = PLAN_IMAGE_CHECKSUM_MISMATCH;
      break;
    case ASR_CHECK_MISSING:
    case ASR_CHECK_BAD_IMAGE:
    case ASR_CHECK_SIZE_MISMATCH:
      *verdict = PLAN_IMAGE_REFUSED;
      break;
    }
  *why = g_steal_pointer (&item->detail);
  return TRUE;
}

char *cli_grow_mountpoint;
char *cli_shrink_mountpoint;

gboolean
cli_resize_option (const char *name, const char *value, gpointer data, GError **error)
{
  char **out = strcmp (name, "--shrink") == 0 ? &cli_shrink_mountpoint : &cli_grow_mountpoint;
  (void) data;
  if (value != NULL && *value == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s= needs a mount point (/, /var, ...), or none: %s", name, name);
      return FALSE;
    }
  g_free (*out);
  *out = g_strdup (value ? value : out == &cli_shrink_mountpoint ? CLI_SHRINK_DEFAULT : "/");
  return TRUE;
}

void
cli_grow_prepare (int argc, char **argv)
{
  static char grow_root[] = "--grow=/";
  static char shrink_root[] = "--shrink=" CLI_SHRINK_DEFAULT;
  static const char *const takes_value[]
    = { "--plan", "--create", "--map", "--mode", "--connect", "-o", "--output", NULL };

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        return;
      if (g_strv_contains (takes_value, argv[i]))
        i++;
      else if (strcmp (argv[i], "--grow") == 0)
        argv[i] = grow_root;
      else if (strcmp (argv[i], "--shrink") == 0)
        argv[i] = shrink_root;
    }
}
