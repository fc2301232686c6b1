/* SPDX-License-Identifier: GPL-2.0-or-later */
/* asr check [--json] BACKUP: every image against the descriptor. */
#include "config.h"

#include <stdio.h>

#include "machine-json.h"

#include "cli-progress.h"
#include "cli-table.h"
#include "cli.h"
#include "imager.h"

static gboolean opt_json;

static const GOptionEntry check_options[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the result as JSON", NULL },
  { NULL },
};

static void
check_add_options (GOptionContext *ctx)
{
  g_option_context_add_main_entries (ctx, check_options, NULL);
}

static void
print_json (const char *backup, GPtrArray *items, guint bad)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "backup");
  json_builder_add_string_value (b, backup);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, bad == 0);
  json_builder_set_member_name (b, "images");
  json_builder_begin_array (b);
  for (guint i = 0; i < items->len; i++)
    {
      const AsrCheckItem *it = g_ptr_array_index (items, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "file");
      json_builder_add_string_value (b, it->file);
      json_builder_set_member_name (b, "what");
      json_builder_add_string_value (b, it->what);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, asr_check_status_to_string (it->status));
      if (it->detail)
        {
          json_builder_set_member_name (b, "detail");
          json_builder_add_string_value (b, it->detail);
        }
      json_builder_set_member_name (b, "expected");
      json_builder_add_string_value (b, it->expected ? it->expected : "");
      if (it->actual)
        {
          json_builder_set_member_name (b, "actual");
          json_builder_add_string_value (b, it->actual);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_autofree char *s = machine_json_builder_to_text (b);
  printf ("%s\n", s);
}

static int
check_run (int argc, char **argv)
{
  g_autoptr (CliProgress) progress = cli_progress_new ("check");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) items = NULL;
  guint bad = 0;

  if (argc != 2)
    {
      cli_error ("check", "expects one BACKUP directory (see 'asr help check')");
      return ASR_EXIT_USAGE;
    }
  items = asr_check_backup (argv[1], cli_progress_update, progress, NULL, &error);
  cli_progress_done (progress);
  if (items == NULL)
    return cli_report_error ("check", error);

  for (guint i = 0; i < items->len; i++)
    if (((AsrCheckItem *) g_ptr_array_index (items, i))->status != ASR_CHECK_OK)
      bad++;

  if (opt_json)
    print_json (argv[1], items, bad);
  else
    {
      const char *headers[] = { "STATUS", "IMAGE", "WHAT", "DETAIL", NULL };
      g_autoptr (CliTable) t = cli_table_new (headers);
      for (guint i = 0; i < items->len; i++)
        {
          const AsrCheckItem *it = g_ptr_array_index (items, i);
          cli_table_add_row (t, asr_check_status_to_string (it->status), it->file, it->what,
                             it->detail);
        }
      cli_table_print (t, "", stdout);
      if (bad)
        printf ("%s: %u of %u images FAILED the check\n", argv[1], bad, items->len);
      else
        printf ("%s: all %u images check out\n", argv[1], items->len);
    }
  return bad ? ASR_EXIT_CHECK_FAILED : ASR_EXIT_OK;
}

const AsrCommand asr_command_check = {
  .name = "check",
  .parameters = "BACKUP",
  .summary = "Check a backup set's images against its descriptor",
  .description = "Validates BACKUP/machine.xml, then for every image: a regular file in the\n"
                 "set, a qcow2 (never probed) with no backing or external data file, the\n"
                 "size the descriptor says, clean under qemu-img check,\n"
                 "and its asr-sha256-64k checksum recomputed.  Exit status 1 if any image\n"
                 "fails: the nightly job for a shelf of backups.",
  .add_options = check_add_options,
  .run = check_run,
};
