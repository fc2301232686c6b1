/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr capture [--all] [--include MOUNTPOINT]... [--force] [--json]
 *             -o BACKUP [--format FMT] SOURCE...
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "machine-json.h"

#include "cli-progress.h"
#include "cli.h"
#include "imager.h"

static gboolean opt_all;
static char **opt_include;
static gboolean opt_force;
static gboolean opt_json;
static char *opt_output;
/* --format applies to the SOURCEs after it, as in the libguestfs tools:
 * GOption loses the interleaving, so prepare() records it first. */
static GPtrArray *source_formats; /* char* or NULL, one per SOURCE in order */

static gboolean
accept_format (const char *name, const char *value, gpointer data, GError **error)
{
  if (value == NULL || *value == '\0' || strchr (value, ',') || strchr (value, '/'))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--format: '%s' is not a format name", value ? value : "");
      return FALSE;
    }
  return TRUE;
}

static const GOptionEntry capture_options[] = {
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output, "The backup set to create", "BACKUP" },
  { "all", 0, 0, G_OPTION_ARG_NONE, &opt_all, "Capture every volume of every disk", NULL },
  { "include", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_include,
    "Also capture the volume mounted here (repeatable)", "MOUNTPOINT" },
  { "force", 0, 0, G_OPTION_ARG_NONE, &opt_force,
    "Replace an existing backup set BACKUP (nothing else)", NULL },
  { "format", 0, 0, G_OPTION_ARG_CALLBACK, accept_format,
    "Format of the SOURCEs after it (default: probed safely)", "FMT" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print a JSON summary", NULL },
  { NULL },
};

static void
capture_add_options (GOptionContext *ctx)
{
  g_option_context_add_main_entries (ctx, capture_options, NULL);
}

static gboolean
takes_value (const char *arg)
{
  return strcmp (arg, "-o") == 0 || strcmp (arg, "--output") == 0 || strcmp (arg, "--include") == 0
         || strcmp (arg, "--format") == 0;
}

static void
capture_prepare (int argc, char **argv)
{
  const char *format = NULL;
  gboolean only_sources = FALSE;

  source_formats = g_ptr_array_new_with_free_func (g_free);
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (!only_sources && strcmp (a, "--") == 0)
        only_sources = TRUE;
      else if (!only_sources && strcmp (a, "--format") == 0 && i + 1 < argc)
        format = argv[++i];
      else if (!only_sources && g_str_has_prefix (a, "--format="))
        format = a + strlen ("--format=");
      else if (!only_sources && takes_value (a))
        i++;
      else if (!only_sources && a[0] == '-' && a[1] != '\0')
        ; /* a flag, or -oVALUE / --opt=VALUE */
      else
        g_ptr_array_add (source_formats,
                         format && strcmp (format, "auto") != 0 ? g_strdup (format) : NULL);
    }
}

static char *
summary_json (const char *backup, const MachineDescriptor *m, const AsrCaptureStats *st,
              GPtrArray *messages)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "backup");
  json_builder_add_string_value (b, backup);
  json_builder_set_member_name (b, "images");
  json_builder_add_int_value (b, (gint64) st->images);
  json_builder_set_member_name (b, "image_bytes");
  json_builder_add_int_value (b, (gint64) st->image_bytes);
  json_builder_set_member_name (b, "used_bytes");
  json_builder_add_int_value (b, (gint64) st->used_bytes);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, st->seconds);
  json_builder_set_member_name (b, "accel");
  json_builder_add_string_value (b, st->accel ? st->accel : "");
  json_builder_set_member_name (b, "critical_disks");
  json_builder_begin_array (b);
  for (guint i = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      if (d->critical == MACHINE_TRISTATE_YES)
        json_builder_add_string_value (b, d->id);
    }
  json_builder_end_array (b);
  machine_json_add_strings (b, "messages", messages);
  json_builder_end_object (b);
  return machine_json_builder_to_text (b);
}

static int
capture_run (int argc, char **argv)
{
  g_autoptr (GPtrArray) sources
    = g_ptr_array_new_with_free_func ((GDestroyNotify) asr_capture_source_free);
  g_autoptr (CliProgress) progress = cli_progress_new ("capture");
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;
  AsrCaptureStats stats = { 0 };
  AsrCaptureOptions opts = {
    .all = opt_all,
    .include = (const char *const *) opt_include,
    .force = opt_force,
    .progress = cli_progress_update,
    .message = cli_progress_message,
    .opaque = progress,
  };

  if (opt_output == NULL)
    {
      cli_error ("capture", "-o BACKUP is required (see 'asr help capture')");
      return ASR_EXIT_USAGE;
    }
  if (argc < 2)
    {
      cli_error ("capture", "expects at least one SOURCE disk (see 'asr help capture')");
      return ASR_EXIT_USAGE;
    }
  for (const char *const *inc = opts.include; inc && *inc; inc++)
    if ((*inc)[0] != '/')
      {
        cli_error ("capture", "--include %s: a mountpoint is an absolute path", *inc);
        return ASR_EXIT_USAGE;
      }
  for (int i = 1; i < argc; i++)
    {
      AsrCaptureSource *s = g_new0 (AsrCaptureSource, 1);
      s->path = g_strdup (argv[i]);
      /* prepare() saw the same SOURCEs in the same order. */
      if (source_formats && (guint) (i - 1) < source_formats->len)
        s->format = g_strdup (g_ptr_array_index (source_formats, i - 1));
      g_ptr_array_add (sources, s);
    }

  m = asr_capture (sources, opt_output, &opts, &stats, &error);
  cli_progress_done (progress);
  if (m == NULL)
    {
      int status = cli_report_error ("capture", error);
      cli_error ("capture", "nothing was written to %s", opt_output);
      return status;
    }

  if (opt_json)
    {
      g_autofree char *s = summary_json (opt_output, m, &stats, cli_progress_messages (progress));
      printf ("%s\n", s);
    }
  else
    {
      g_autofree char *ib = g_format_size_full (stats.image_bytes, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *ub = g_format_size_full (stats.used_bytes, G_FORMAT_SIZE_IEC_UNITS);
      printf ("%s: %" G_GUINT64_FORMAT " images, %s on disk for %s of used data, %.1f s\n",
              opt_output, stats.images, ib, ub, stats.seconds);
    }
  g_free (stats.accel);
  return ASR_EXIT_OK;
}

const AsrCommand asr_command_capture = {
  .name = "capture",
  .parameters = "-o BACKUP [--format FMT] SOURCE...",
  .summary = "Capture the critical volumes of a machine into a backup set",
  .description = "Reads the SOURCE disks (image files or block devices, disk0 first) without\n"
                 "writing them, finds the OS and its critical volumes (ESP, BIOS boot\n"
                 "partition, /boot, /, /usr, /var, and --include), and writes BACKUP: one\n"
                 "sparse qcow2 per captured volume holding used data only, the boot area of\n"
                 "each critical disk, and machine.xml.  BACKUP appears only when complete.",
  .add_options = capture_add_options,
  .prepare = capture_prepare,
  .run = capture_run,
};
