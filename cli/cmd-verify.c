/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr verify [--timeout SECONDS] [--connect URI] [--expect REGEX] [--network]
 *            [--keep] [--json] BACKUP
 * asr verify --disks [--firmware bios|uefi] [--bus virtio|sata|scsi|nvme] [...] IMAGE...
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "machine-json.h"

#include "cli-progress.h"
#include "cli.h"
#include "verify.h"

static int opt_timeout = -1;
static char *opt_connect;
static char *opt_expect;
static gboolean opt_network;
static gboolean opt_keep;
static gboolean opt_json;
static gboolean opt_disks;
static char *opt_firmware;
static char *opt_bus;

static const GOptionEntry verify_options[] = {
  { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout,
    "Give up after this many seconds (default 300)", "SECONDS" },
  { "connect", 'c', 0, G_OPTION_ARG_STRING, &opt_connect,
    "libvirt URI (default: an embedded driver in a private directory)", "URI" },
  { "expect", 0, 0, G_OPTION_ARG_STRING, &opt_expect,
    "Console line that means booted (default 'login:')", "REGEX" },
  { "network", 0, 0, G_OPTION_ARG_NONE, &opt_network, "Give the VM a user-mode network", NULL },
  { "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep, "Keep the temporary disks and logs", NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the result as JSON", NULL },
  { "disks", 0, 0, G_OPTION_ARG_NONE, &opt_disks,
    "Boot the IMAGEs (through overlays) instead of restoring a BACKUP", NULL },
  { "firmware", 0, 0, G_OPTION_ARG_STRING, &opt_firmware, "With --disks: bios (default) or uefi",
    "bios|uefi" },
  { "bus", 0, 0, G_OPTION_ARG_STRING, &opt_bus,
    "With --disks: virtio (default), sata, scsi or nvme", "BUS" },
  { NULL },
};

static void
verify_add_options (GOptionContext *ctx)
{
  g_option_context_add_main_entries (ctx, verify_options, NULL);
}

/* libvirt reads LIBVIRT_LOG_OUTPUTS once, in virInitialize(), and
 * libguestfs's library constructor calls that before main() runs: setting
 * it later is too late, and without it libvirt's embedded driver writes
 * its warnings to our stderr.  So verify sets it and runs itself again,
 * once.  A user's own setting wins, for debugging. */
static void
verify_prepare (int argc, char **argv)
{
  if (g_getenv ("LIBVIRT_LOG_OUTPUTS") != NULL)
    return;
  g_setenv ("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", TRUE);
  g_autofree char **args = g_new0 (char *, argc + 2);
  args[0] = (char *) "asr";
  for (int i = 0; i < argc; i++)
    args[i + 1] = argv[i];
  execv ("/proc/self/exe", args);
  /* not re-executed: carry on, with libvirt's warnings on stderr */
}

static void
print_json (const AsrVerifyResult *r)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "verdict");
  json_builder_add_string_value (b, asr_verify_verdict_to_string (r->verdict));
  json_builder_set_member_name (b, "booted");
  json_builder_add_boolean_value (b, r->verdict == ASR_VERIFY_BOOTED);
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, r->reason ? r->reason : "");
  json_builder_set_member_name (b, "detail");
  json_builder_add_string_value (b, r->detail ? r->detail : "");
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, r->seconds);
  json_builder_set_member_name (b, "console_log");
  if (r->console_log)
    json_builder_add_string_value (b, r->console_log);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "kept");
  if (r->workdir)
    json_builder_add_string_value (b, r->workdir);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "accel");
  json_builder_add_string_value (b, r->accel ? r->accel : "");
  json_builder_set_member_name (b, "connect");
  json_builder_add_string_value (b, r->uri ? r->uri : "");
  machine_json_add_strings (b, "console_tail", r->tail);
  json_builder_end_object (b);

  g_autofree char *s = machine_json_builder_to_text (b);
  printf ("%s\n", s);
}

static void
print_text (const char *what, const AsrVerifyResult *r)
{
  if (r->verdict == ASR_VERIFY_BOOTED)
    printf ("%s: booted in %.1f s: %s\n", what, r->seconds, r->detail ? r->detail : "");
  else if (r->verdict == ASR_VERIFY_DID_NOT_BOOT)
    printf ("%s: did not boot (%s, after %.1f s): %s\n", what, r->reason, r->seconds,
            r->detail ? r->detail : "");
  else
    printf ("%s: %s: %s\n", what,
            r->verdict == ASR_VERIFY_CHECKSUM_MISMATCH ? "checksum mismatch" : "incomplete restore",
            r->detail ? r->detail : "");
  if (r->tail && r->tail->len > 0)
    {
      printf ("last console lines:\n");
      for (guint i = 0; i < r->tail->len; i++)
        printf ("  | %s\n", (char *) g_ptr_array_index (r->tail, i));
    }
  if (r->console_log)
    printf ("console log: %s\n", r->console_log);
  if (r->workdir)
    printf ("kept: %s\n", r->workdir);
}

static int
verify_run (int argc, char **argv)
{
  g_autoptr (CliProgress) progress = cli_progress_new ("verify");
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrVerifyResult) r = NULL;
  g_autofree AsrVerifyImage *images = NULL;
  AsrVerifyOptions opts = {
    .timeout_seconds = opt_timeout > 0 ? (guint) opt_timeout : 0,
    .connect_uri = opt_connect,
    .expect = opt_expect,
    .network = opt_network,
    .keep = opt_keep,
    .firmware = MACHINE_FIRMWARE_BIOS,
    .bus = ASR_VERIFY_BUS_VIRTIO,
    .progress = cli_progress_update,
    .message = cli_progress_message,
    .opaque = progress,
  };

  if (opt_timeout == 0 || opt_timeout < -1)
    {
      cli_error ("verify", "--timeout: expects a positive number of seconds");
      return ASR_EXIT_USAGE;
    }
  if (!opt_disks && (opt_firmware || opt_bus))
    {
      cli_error ("verify", "--firmware and --bus go with --disks (a BACKUP says these itself)");
      return ASR_EXIT_USAGE;
    }
  if (opt_firmware
      && (!machine_firmware_from_string (opt_firmware, &opts.firmware)
          || opts.firmware == MACHINE_FIRMWARE_UNKNOWN))
    {
      cli_error ("verify", "--firmware: '%s' is not bios or uefi", opt_firmware);
      return ASR_EXIT_USAGE;
    }
  if (opt_bus
      && (!asr_verify_bus_from_string (opt_bus, &opts.bus)
          || g_ascii_strcasecmp (opt_bus, asr_verify_bus_to_string (opts.bus)) != 0))
    {
      cli_error ("verify", "--bus: '%s' is not virtio, sata, scsi or nvme", opt_bus);
      return ASR_EXIT_USAGE;
    }
  if (opt_expect)
    {
      g_autoptr (GError) re_error = NULL;
      g_autoptr (GRegex) re = g_regex_new (opt_expect, 0, 0, &re_error);
      if (re == NULL)
        {
          cli_error ("verify", "--expect: not a regular expression: %s", re_error->message);
          return ASR_EXIT_USAGE;
        }
    }
  if (opt_disks && argc < 2)
    {
      cli_error ("verify", "--disks expects at least one IMAGE (see 'asr help verify')");
      return ASR_EXIT_USAGE;
    }
  if (!opt_disks && argc != 2)
    {
      cli_error ("verify", "expects one BACKUP, or --disks IMAGE... (see 'asr help verify')");
      return ASR_EXIT_USAGE;
    }

  if (opt_disks)
    {
      images = g_new0 (AsrVerifyImage, argc - 1);
      for (int i = 1; i < argc; i++)
        images[i - 1].path = argv[i];
      r = asr_verify_disks (images, (guint) argc - 1, &opts, &error);
    }
  else
    r = asr_verify_backup (argv[1], &opts, &error);
  cli_progress_done (progress);

  if (r == NULL)
    {
      return cli_report_error ("verify", error);
    }
  if (opt_json)
    print_json (r);
  else
    print_text (argv[1], r);
  return r->verdict == ASR_VERIFY_BOOTED ? ASR_EXIT_OK : ASR_EXIT_CHECK_FAILED;
}

const AsrCommand asr_command_verify = {
  .name = "verify",
  .parameters = "BACKUP | --disks IMAGE...",
  .summary = "Test-restore a backup into a throwaway VM and boot it",
  .description = "Restores BACKUP into temporary qcow2 disks (or, with --disks, puts qcow2\n"
                 "overlays over the IMAGEs so they are never written), boots them in a\n"
                 "transient libvirt domain without network, and watches the serial console:\n"
                 "a line matching --expect means booted; a kernel panic, an emergency shell,\n"
                 "firmware finding nothing to boot, the VM stopping or the timeout mean it\n"
                 "did not.  Everything temporary is removed afterwards unless --keep.\n"
                 "Exit status: 0 booted, 1 did not boot or a checksum mismatch, 2 bad input,\n"
                 "3 no VM could be started.",
  .add_options = verify_add_options,
  .prepare = verify_prepare,
  .run = verify_run,
};
