/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One verify run: disks ready, boot, watch the console, clean up. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "probe.h"
#include "verify-private.h"

#define POLL_INTERVAL_MS 100
#define TAIL_LINES 20
/* A console line longer than this is judged by its start. */
#define MAX_LINE_BYTES 4096

/* clang-format off */
G_DEFINE_QUARK (asr-verify-error-quark, asr_verify_error)
/* clang-format on */

static const char *const verdict_names[] = {
  [ASR_VERIFY_BOOTED] = "booted",
  [ASR_VERIFY_DID_NOT_BOOT] = "did-not-boot",
  [ASR_VERIFY_CHECKSUM_MISMATCH] = "checksum-mismatch",
  [ASR_VERIFY_INCOMPLETE_RESTORE] = "incomplete-restore",
};

const char *
asr_verify_verdict_to_string (AsrVerifyVerdict v)
{
  g_return_val_if_fail ((guint) v < G_N_ELEMENTS (verdict_names), "did-not-boot");
  return verdict_names[v];
}

void
asr_verify_result_free (AsrVerifyResult *r)
{
  if (r == NULL)
    return;
  g_free (r->reason);
  g_free (r->detail);
  g_free (r->console_log);
  g_free (r->workdir);
  if (r->tail)
    g_ptr_array_unref (r->tail);
  g_free (r->accel);
  g_free (r->uri);
  g_free (r);
}

static void notify (const AsrVerifyOptions *opts, const char *format, ...) G_GNUC_PRINTF (2, 3);
static void
notify (const AsrVerifyOptions *opts, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  if (opts->message == NULL)
    return;
  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  opts->message (msg, opts->opaque);
}

/* ---- watching the console --------------------------------------------------- */

typedef struct {
  int fd;
  GString *partial; /* the line being written */
  const GRegex *expect;
  AsrConsoleClass found;
  char *line; /* the deciding line */
} Console;

static gboolean
console_judge (Console *c, char *line)
{
  asr_console_clean_line (line);
  AsrConsoleClass k = asr_console_classify_line (line, c->expect);
  if (k == ASR_CONSOLE_NOTHING)
    return FALSE;
  c->found = k;
  c->line = g_strdup (g_strstrip (line));
  return TRUE;
}

/* Reads what is new; TRUE once a line decided.  A prompt ("login: ",
 * "(initramfs) ") has no newline yet: the partial line is judged too. */
static gboolean
console_poll (Console *c, const char *path)
{
  char buf[8192];
  ssize_t n;

  if (c->fd < 0)
    {
      c->fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (c->fd < 0)
        return FALSE; /* qemu has not created it yet */
    }
  while ((n = read (c->fd, buf, sizeof buf)) > 0)
    {
      for (ssize_t i = 0; i < n; i++)
        {
          if (buf[i] == '\n')
            {
              g_autofree char *line = g_strdup (c->partial->str);
              g_string_truncate (c->partial, 0);
              if (console_judge (c, line))
                return TRUE;
            }
          else if (c->partial->len < MAX_LINE_BYTES && buf[i] != '\0')
            g_string_append_c (c->partial, buf[i]);
        }
    }
  if (c->partial->len > 0)
    {
      g_autofree char *line = g_strdup (c->partial->str);
      if (console_judge (c, line))
        return TRUE;
    }
  return FALSE;
}

typedef struct {
  MachineFirmware firmware;
  AsrVerifyBus bus;
  guint64 memory_bytes;
  guint vcpus;
} BootShape;

/* Boots @disks (qcow2 files in @w) and returns the verdict; NULL with
 * @error when no VM could be started. */
static AsrVerifyResult *
boot_and_watch (VerifyWorkdir *w, GPtrArray *disk_paths, const BootShape *shape,
                const AsrVerifyOptions *opts, GError **error)
{
  g_autoptr (AsrVerifyResult) r = g_new0 (AsrVerifyResult, 1);
  g_autoptr (GRegex) expect = NULL;
  g_autofree char *console_path = g_build_filename (w->path, "console.log", NULL);
  g_autofree char *nvram = g_build_filename (w->path, "nvram.fd", NULL);
  g_autofree char *sercon = g_build_filename (w->path, "sercon-port", NULL);
  g_autofree AsrVerifyDomainDisk *disks = g_new0 (AsrVerifyDomainDisk, disk_paths->len);
  g_autofree char *accel_why = NULL;
  g_autofree char *xml = NULL;
  Console con = { .fd = -1 };
  guint timeout
    = opts->timeout_seconds ? opts->timeout_seconds : ASR_VERIFY_DEFAULT_TIMEOUT_SECONDS;
  g_autoptr (GError) re_error = NULL;

  expect = g_regex_new (opts->expect ? opts->expect : ASR_VERIFY_DEFAULT_EXPECT, 0, 0, &re_error);
  if (expect == NULL)
    {
      g_set_error (error, ASR_VERIFY_ERROR, ASR_VERIFY_ERROR_INVALID_INPUT,
                   "--expect: not a regular expression: %s", re_error->message);
      return NULL;
    }

  AsrAccel accel = asr_accel_decide (&accel_why);
  r->accel = g_strdup_printf ("%s%s%s", asr_accel_to_string (accel), accel_why ? ": " : "",
                              accel_why ? accel_why : "");
  notify (opts, "acceleration: %s", r->accel);

  /* SeaBIOS's serial console port, a little-endian 0x3f8 (COM1). */
  static const char sercon_port[2] = { '\xf8', '\x03' };
  if (!g_file_set_contents_full (sercon, sercon_port, 2, G_FILE_SET_CONTENTS_NONE, 0600, error))
    return NULL;

  for (guint i = 0; i < disk_paths->len; i++)
    {
      disks[i].path = g_ptr_array_index (disk_paths, i);
      disks[i].format = "qcow2";
    }
  AsrVerifyDomainConfig cfg = {
    .name = w->name,
    .accel = accel,
    .firmware = shape->firmware,
    .memory_bytes = shape->memory_bytes,
    .vcpus = shape->vcpus,
    .bus = shape->bus,
    .disks = disks,
    .n_disks = disk_paths->len,
    .network = opts->network,
    .console_path = console_path,
    .nvram_path = nvram,
    .sercon_path = sercon,
    .run_as_root = geteuid () == 0,
  };
  xml = asr_verify_domain_xml (&cfg);
  g_autofree char *xml_path = g_build_filename (w->path, "domain.xml", NULL);
  g_file_set_contents_full (xml_path, xml, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL);

  gint64 start = g_get_monotonic_time ();
  VerifyVm *vm = verify_vm_start (w, opts->connect_uri, xml, &r->uri, error);
  if (vm == NULL)
    return NULL;

  con.partial = g_string_new (NULL);
  con.expect = expect;
  gint64 deadline = start + (gint64) timeout * G_USEC_PER_SEC;
  gboolean decided = FALSE;
  while (!(decided = console_poll (&con, console_path)))
    {
      if (verify_vm_stopped (vm))
        {
          /* what it wrote before it stopped */
          decided = console_poll (&con, console_path);
          if (!decided)
            {
              r->reason = g_strdup ("domain-stopped");
              r->detail = g_strdup ("the VM stopped before the expected console line");
            }
          break;
        }
      if (g_get_monotonic_time () >= deadline)
        {
          r->reason = g_strdup ("timeout");
          r->detail = g_strdup_printf ("no expected console line within %u s", timeout);
          break;
        }
      g_usleep (POLL_INTERVAL_MS * 1000);
    }
  r->seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  verify_vm_stop (vm);
  if (con.fd >= 0)
    close (con.fd);
  g_string_free (con.partial, TRUE);

  if (decided)
    {
      r->reason = g_strdup (asr_console_class_to_string (con.found));
      r->detail = g_steal_pointer (&con.line);
    }
  r->verdict
    = decided && con.found == ASR_CONSOLE_EXPECTED ? ASR_VERIFY_BOOTED : ASR_VERIFY_DID_NOT_BOOT;
  g_free (con.line);
  if (r->verdict != ASR_VERIFY_BOOTED)
    r->tail = asr_console_tail (console_path, TAIL_LINES);
  r->console_log = g_steal_pointer (&console_path);
  return g_steal_pointer (&r);
}

/* The end of every run: the console log of a failure survives the
 * directory, beside it; the directory goes unless kept. */
static AsrVerifyResult *
finish_run (VerifyWorkdir *w, AsrVerifyResult *r, const AsrVerifyOptions *opts)
{
  if (r && opts->keep)
    {
      r->workdir = g_strdup (w->path);
      notify (opts, "kept %s", w->path);
    }
  else if (r && r->console_log)
    {
      if (r->verdict == ASR_VERIFY_BOOTED)
        g_clear_pointer (&r->console_log, g_free);
      else
        {
          g_autofree char *kept = g_strdup_printf ("%s-console.log", w->path);
          if (g_rename (r->console_log, kept) == 0)
            {
              g_free (r->console_log);
              r->console_log = g_steal_pointer (&kept);
            }
          else
            g_clear_pointer (&r->console_log, g_free);
        }
    }
  verify_workdir_finish (w, r != NULL && opts->keep);
  return r;
}

/* TRUE if the first sector of the image @info describes carries restore's
 * incomplete marker. */
static gboolean
info_has_incomplete_marker (const AsrImageInfo *info)
{
  g_autoptr (AsrDiskReader) reader = asr_disk_reader_open (info, NULL);
  guint8 sector[512];

  if (reader == NULL || !asr_disk_reader_pread (reader, sector, sizeof sector, 0, NULL))
    return FALSE;
  return asr_incomplete_marker_parse (sector, sizeof sector, NULL);
}

static AsrVerifyResult *
restore_verdict (AsrVerifyVerdict v, const char *detail)
{
  AsrVerifyResult *r = g_new0 (AsrVerifyResult, 1);
  r->verdict = v;
  r->reason = g_strdup ("restore");
  r->detail = g_strdup (detail);
  return r;
}

/* ---- --disks ------------------------------------------------------------------ */

AsrVerifyResult *
asr_verify_disks (const AsrVerifyImage *images, guint n_images, const AsrVerifyOptions *opts,
                  GError **error)
{
  g_autoptr (GPtrArray) infos
    = g_ptr_array_new_with_free_func ((GDestroyNotify) asr_image_info_free);
  g_autoptr (GPtrArray) overlays = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (VerifyWorkdir) w = NULL;
  BootShape shape = { .firmware = opts->firmware, .bus = opts->bus };

  g_return_val_if_fail (n_images > 0, NULL);
  if (shape.firmware == MACHINE_FIRMWARE_UNKNOWN)
    shape.firmware = MACHINE_FIRMWARE_BIOS;
  asr_verify_size_machine (NULL, &shape.memory_bytes, &shape.vcpus);

  /* Every image is checked before anything is made. */
  for (guint i = 0; i < n_images; i++)
    {
      g_autoptr (GError) e = NULL;
      AsrImageInfo *info = asr_image_info_probe (images[i].path, images[i].format, &e);
      if (info == NULL)
        {
          g_set_error (error, ASR_VERIFY_ERROR,
                       e->domain == ASR_PROBE_ERROR && e->code == ASR_PROBE_ERROR_RUNTIME
                         ? ASR_VERIFY_ERROR_FAILED
                         : ASR_VERIFY_ERROR_INVALID_INPUT,
                       "%s", e->message);
          return NULL;
        }
      g_ptr_array_add (infos, info);
      /* A disk an interrupted restore left is known not to be whole:
       * booting it proves nothing, and could hang on the marker. */
      if (info_has_incomplete_marker (info))
        {
          g_autofree char *detail
            = g_strdup_printf ("%s carries the incomplete-restore marker: a restore onto it was "
                               "interrupted; it was not booted",
                               images[i].path);
          return restore_verdict (ASR_VERIFY_INCOMPLETE_RESTORE, detail);
        }
    }

  w = verify_workdir_new (error);
  if (w == NULL)
    return NULL;
  for (guint i = 0; i < n_images; i++)
    {
      const AsrImageInfo *info = g_ptr_array_index (infos, i);
      g_autofree char *base = g_strdup_printf ("disk%u.qcow2", i);
      g_autofree char *overlay = g_build_filename (w->path, base, NULL);
      if (!verify_make_overlay (images[i].path, info->format, overlay, error))
        {
          verify_workdir_finish (g_steal_pointer (&w), FALSE);
          return NULL;
        }
      g_ptr_array_add (overlays, g_steal_pointer (&overlay));
    }

  AsrVerifyResult *r = boot_and_watch (w, overlays, &shape, opts, error);
  return finish_run (g_steal_pointer (&w), r, opts);
}

/* ---- BACKUP ------------------------------------------------------------------- */

/* TRUE if the first sector of @path carries restore's incomplete marker. */
static gboolean
has_incomplete_marker (const char *path)
{
  g_autoptr (AsrImageInfo) info = asr_image_info_probe (path, "qcow2", NULL);
  return info != NULL && info_has_incomplete_marker (info);
}

/* Restores into @w/disks; returns the disks to boot (boot disk first) in
 * @boot_paths, or a restore verdict in @verdict, or FALSE with @error. */
static gboolean
restore_into (VerifyWorkdir *w, const MachineDescriptor *m, const char *backup,
              const char *backup_id, const AsrVerifyOptions *opts, GPtrArray *boot_paths,
              AsrVerifyResult **verdict, GError **error)
{
  g_autofree char *dir = g_build_filename (w->path, "disks", NULL);
  g_autoptr (GPtrArray) paths = asr_restore_create_targets (m, dir, error);
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) asr_restore_target_free);
  g_autoptr (GPtrArray) boot_first = g_ptr_array_new ();
  g_autoptr (GError) e = NULL;
  AsrRestoreStats stats = { 0 };
  AsrRestoreOptions ropts
    = { .progress = opts->progress, .message = opts->message, .opaque = opts->opaque };

  if (paths == NULL)
    return FALSE;
  for (guint i = 0, t = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      if (d->critical != MACHINE_TRISTATE_YES)
        continue;
      g_assert (t < paths->len); /* one path per critical disk, in order */
      const char *path = g_ptr_array_index (paths, t++);
      AsrRestoreTarget *target = asr_restore_target_new (d->id, path, "qcow2");
      target->bytes = d->bytes;
      target->known_zero = TRUE;
      g_ptr_array_add (targets, target);
      if (d->boot == MACHINE_TRISTATE_YES)
        g_ptr_array_insert (boot_first, 0, (gpointer) path);
      else
        g_ptr_array_add (boot_first, (gpointer) path);
    }

  if (!asr_restore (m, backup, backup_id, targets, &ropts, &stats, &e))
    {
      g_free (stats.accel);
      if (g_error_matches (e, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_CHECK_FAILED))
        {
          *verdict = restore_verdict (ASR_VERIFY_CHECKSUM_MISMATCH, e->message);
          return TRUE;
        }
      g_propagate_prefixed_error (error, g_steal_pointer (&e), "restoring %s: ", backup);
      return FALSE;
    }
  g_free (stats.accel);
  for (guint i = 0; i < boot_first->len; i++)
    if (has_incomplete_marker (g_ptr_array_index (boot_first, i)))
      {
        g_autofree char *detail = g_strdup_printf ("%s still carries the incomplete-restore marker",
                                                   (char *) g_ptr_array_index (boot_first, i));
        *verdict = restore_verdict (ASR_VERIFY_INCOMPLETE_RESTORE, detail);
        return TRUE;
      }
  for (guint i = 0; i < boot_first->len; i++)
    g_ptr_array_add (boot_paths, g_strdup (g_ptr_array_index (boot_first, i)));
  return TRUE;
}

AsrVerifyResult *
asr_verify_backup (const char *backup, const AsrVerifyOptions *opts, GError **error)
{
  g_autofree char *xml_path = g_build_filename (backup, MACHINE_DESCRIPTOR_FILENAME, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (MachineDescriptor) m = NULL;
  g_autoptr (GPtrArray) boot_paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (VerifyWorkdir) w = NULL;
  AsrVerifyResult *verdict = NULL;
  BootShape shape = { 0 };

  if (!g_file_test (backup, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, ASR_VERIFY_ERROR, ASR_VERIFY_ERROR_INVALID_INPUT,
                   "%s: not a backup set directory", backup);
      return NULL;
    }
  data = asr_file_read_bounded (xml_path, MACHINE_DESCRIPTOR_MAX_BYTES, &len, error);
  if (data == NULL)
    return NULL;
  m = machine_descriptor_parse_data (data, len, xml_path, error);
  if (m == NULL)
    return NULL;

  /* Firmware, bus and size from the descriptor, as the machine had them. */
  shape.firmware = m->hardware ? m->hardware->firmware : MACHINE_FIRMWARE_UNKNOWN;
  if (shape.firmware == MACHINE_FIRMWARE_UNKNOWN)
    {
      notify (opts, "%s does not say the machine's firmware: booting with BIOS", backup);
      shape.firmware = MACHINE_FIRMWARE_BIOS;
    }
  asr_verify_size_machine (m->hardware, &shape.memory_bytes, &shape.vcpus);
  shape.bus = ASR_VERIFY_BUS_VIRTIO;
  for (guint i = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      if (d->boot == MACHINE_TRISTATE_YES && d->bus
          && !asr_verify_bus_from_string (d->bus, &shape.bus))
        notify (opts, "%s: bus %s cannot be emulated here: using virtio", d->id, d->bus);
    }

  g_autofree char *sha
    = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
  g_autofree char *backup_id = asr_restore_backup_id (sha);

  w = verify_workdir_new (error);
  if (w == NULL)
    return NULL;
  if (!restore_into (w, m, backup, backup_id, opts, boot_paths, &verdict, error))
    {
      verify_workdir_finish (g_steal_pointer (&w), FALSE);
      return NULL;
    }
  if (verdict == NULL && boot_paths->len == 0)
    verdict
      = restore_verdict (ASR_VERIFY_INCOMPLETE_RESTORE, "the backup has no critical disk to boot");
  if (verdict)
    return finish_run (g_steal_pointer (&w), verdict, opts);

  AsrVerifyResult *r = boot_and_watch (w, boot_paths, &shape, opts, error);
  return finish_run (g_steal_pointer (&w), r, opts);
}
