/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Planner golden tests.  Each directory in scenarios/ is one test:
 *
 *   source.xml      the backup's machine.xml
 *   target*.xml     the TARGET descriptors, in name order
 *   target-empty    instead: one TARGET with no disks and no hardware
 *   args            optional: --mode M, --map S=D, --check-images, --grow[=MP],
 *                   --shrink[=MP] (the filesystem's minimum not known: a warning),
 *                   --descriptor-backup (pass source.xml itself as BACKUP)
 *   images          optional: how the backup set's images differ from the
 *                   descriptor, one per line: "missing FILE", "size FILE
 *                   BYTES", "corrupt FILE", "garbage FILE"
 *   expected.txt    the report, or the error message for status 2
 *   expected.json   the JSON report (absent for status 2)
 *   expected-status 0, 1 or 2, as `asr plan` exits
 *
 * The backup set is built in a temporary directory: machine.xml is
 * source.xml's bytes and each image is a qcow2 header giving the virtual
 * size the descriptor records, followed by the checksum the fake checksum
 * function reports.  REGENERATE_OUTPUT=1 rewrites the expected files
 * (review the diff).  Every plan is also written as plan.xml, validated
 * against plan.rng and read back byte-identical.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "planner.h"

typedef struct {
  char *name;
  char *dir;
} Scenario;

static void
scenario_free (gpointer p)
{
  Scenario *s = p;
  g_free (s->name);
  g_free (s->dir);
  g_free (s);
}

/* The source tree: $ASR_SOURCE_ROOT (tests/meson.build sets it), else the
 * one this test was built from. */
static const char *
source_root (void)
{
  const char *r = g_getenv ("ASR_SOURCE_ROOT");
  return r && *r ? r : ASR_SOURCE_DIR;
}

static gboolean
regenerate (void)
{
  return g_strcmp0 (g_getenv ("REGENERATE_OUTPUT"), "1") == 0;
}

static void
compare_or_write (const char *dir, const char *file, const char *actual)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *expected = NULL;
  g_autoptr (GError) error = NULL;

  if (regenerate ())
    {
      if (actual)
        g_file_set_contents (path, actual, -1, &error);
      else
        g_unlink (path);
      g_assert_no_error (error);
      return;
    }
  if (actual == NULL)
    {
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      return;
    }
  g_file_get_contents (path, &expected, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (actual, ==, expected);
}

/* A qcow2 header with the virtual size at offset 24, then the checksum the
 * fake checksum function will report. */
static void
write_image (const char *path, guint64 bytes, const char *checksum)
{
  guint8 h[32] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < 8; i++)
    h[24 + i] = (guint8) (bytes >> (56 - 8 * i));
  g_byte_array_append (data, h, sizeof h);
  if (checksum)
    g_byte_array_append (data, (const guint8 *) checksum, strlen (checksum));
  g_file_set_contents (path, (const char *) data->data, data->len, &error);
  g_assert_no_error (error);
}

/* Stands in for the imager's vetting (asr_check_image(), which runs
 * qemu-img): an image is a regular file with a qcow2 header giving the
 * recorded size, and its checksum is what follows the header.  What the
 * imager's rules refuse is tested where qemu-img runs
 * (tests/restore/test-restore-hostile.sh); here, what the planner does with
 * the verdict. */
static gboolean
fake_vet_image (const char *backup_dir, const char *file, gboolean text, const char *format,
                guint64 bytes, const char *checksum, gboolean verify_checksum,
                PlanImageVerdict *verdict, char **why, void *opaque, GError **error)
{
  g_autofree char *path = g_build_filename (backup_dir, file, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  guint64 size = 0;

  *verdict = PLAN_IMAGE_REFUSED;
  if (text)
    {
      /* a text file: a regular file is all the fake asks */
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        *verdict = PLAN_IMAGE_OK;
      else
        *why = g_strdup_printf ("%s is not a regular file inside the backup set", path);
      return TRUE;
    }
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      *why = g_strdup_printf ("%s is missing", path);
      return TRUE;
    }
  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  if (len < 32 || memcmp (data, "QFI\xfb", 4) != 0)
    {
      *why = g_strdup_printf ("%s: not a readable disk image", path);
      return TRUE;
    }
  for (int i = 24; i < 32; i++)
    size = (size << 8) | (guint8) data[i];
  if (size != bytes)
    {
      *why = g_strdup_printf ("its size is %" G_GUINT64_FORMAT
                              " bytes, the descriptor says %" G_GUINT64_FORMAT,
                              size, bytes);
      return TRUE;
    }
  *verdict = PLAN_IMAGE_OK;
  if (verify_checksum && (checksum == NULL || strcmp (data + 32, checksum) != 0))
    {
      *verdict = PLAN_IMAGE_CHECKSUM_MISMATCH;
      *why = checksum ? g_strdup_printf ("its content differs from what was captured (checksum %s, "
                                         "the descriptor says %s)",
                                         data + 32, checksum)
                      : g_strdup ("the descriptor records no checksum for it");
    }
  return TRUE;
}

static void
make_backup_set (const char *dir, const MachineDescriptor *m)
{
  for (guint i = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      if (d->boot_area && d->boot_area->image)
        {
          g_autofree char *p = g_build_filename (dir, d->boot_area->image, NULL);
          write_image (p, d->boot_area->bytes, d->boot_area->checksum);
        }
      for (guint j = 0; j < d->partitions->len; j++)
        {
          const MachinePartition *part = g_ptr_array_index (d->partitions, j);
          if (part->volume && part->volume->image)
            {
              g_autofree char *p = g_build_filename (dir, part->volume->image->file, NULL);
              write_image (p, part->volume->image->bytes, part->volume->image->checksum);
            }
        }
    }
}

static void
apply_image_changes (const char *dir, const char *spec)
{
  g_auto (GStrv) lines = g_strsplit (spec, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) w = g_strsplit (*l, " ", -1);
      if (w[0] == NULL || *w[0] == '\0' || *w[0] == '#')
        continue;
      g_assert_nonnull (w[1]);
      /* size and corrupt take a size in bytes */
      if (strcmp (w[0], "size") == 0 || strcmp (w[0], "corrupt") == 0)
        g_assert_nonnull (w[2]);
      g_autofree char *p = g_build_filename (dir, w[1], NULL);
      if (strcmp (w[0], "missing") == 0)
        g_assert_cmpint (g_unlink (p), ==, 0);
      else if (strcmp (w[0], "size") == 0)
        write_image (p, g_ascii_strtoull (w[2], NULL, 10), NULL);
      else if (strcmp (w[0], "corrupt") == 0)
        write_image (p, g_ascii_strtoull (w[2], NULL, 10),
                     "asr-sha256-64k:"
                     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
      else if (strcmp (w[0], "garbage") == 0)
        g_assert_true (g_file_set_contents (p, "not an image", -1, NULL));
      else
        g_error ("images: unknown change %s", w[0]);
    }
}

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, n, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

static char *
replace_all (const char *s, const char *what, const char *with)
{
  g_auto (GStrv) parts = g_strsplit (s, what, -1);
  return g_strjoinv (with, parts);
}

static int
cmp_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
check_plan_xml (const Plan *plan, const char *tmp)
{
  g_autofree char *path = g_build_filename (tmp, "plan.xml", NULL);
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  g_assert_true (plan_write_file (plan, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_autoptr (Plan) back = plan_parse_file (path, &error);
  g_assert_no_error (error);
  g_autofree char *a = plan_format_xml (plan);
  g_autofree char *b = plan_format_xml (back);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpint (plan_is_restorable (back), ==, plan_is_restorable (plan));
}

static void
run_scenario (gconstpointer data)
{
  const Scenario *sc = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *src_path = g_build_filename (sc->dir, "source.xml", NULL);
  g_autofree char *args_path = g_build_filename (sc->dir, "args", NULL);
  g_autofree char *images_path = g_build_filename (sc->dir, "images", NULL);
  g_autofree char *args_text = NULL;
  g_autofree char *images_text = NULL;
  g_auto (GStrv) argv = NULL;
  g_autoptr (PlanOptions) options = plan_options_new ();
  gboolean descriptor_backup = FALSE;
  g_autofree char *tmp = g_dir_make_tmp ("asr-plan-XXXXXX", &error);
  g_autofree char *text = NULL;
  g_autofree char *json = NULL;
  g_autoptr (Plan) plan = NULL;
  int status;

  g_assert_no_error (error);

  /* Options, parsed as the command line would. */
  if (g_file_get_contents (args_path, &args_text, NULL, NULL))
    {
      g_strstrip (args_text);
      if (*args_text && !g_shell_parse_argv (args_text, NULL, &argv, &error))
        g_error ("%s: %s", args_path, error->message);
    }
  for (char **a = argv; a && *a && error == NULL; a++)
    {
      if (strcmp (*a, "--mode") == 0 && a[1])
        g_assert_true (plan_mode_from_string (*++a, &options->mode));
      else if (strcmp (*a, "--map") == 0 && a[1])
        plan_options_add_map (options, *++a, &error);
      else if (strcmp (*a, "--check-images") == 0)
        options->check_images = TRUE;
      else if (strcmp (*a, "--grow") == 0 || g_str_has_prefix (*a, "--grow="))
        options->grow = g_strdup ((*a)[6] == '=' ? *a + 7 : "/");
      else if (strcmp (*a, "--shrink") == 0 || g_str_has_prefix (*a, "--shrink="))
        options->shrink = g_strdup ((*a)[8] == '=' ? *a + 9 : "/");
      else if (strcmp (*a, "--descriptor-backup") == 0)
        descriptor_backup = TRUE;
      else
        g_error ("%s: unknown argument %s", args_path, *a);
    }
  options->vet_image = fake_vet_image;

  g_autoptr (PlanBackup) backup = NULL;
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_free);
  if (error == NULL)
    {
      g_autofree char *bytes = NULL;
      gsize len = 0;
      g_autofree char *machine = g_build_filename (tmp, "machine.xml", NULL);
      g_assert_true (g_file_get_contents (src_path, &bytes, &len, NULL));
      g_assert_true (g_file_set_contents (machine, bytes, len, NULL));
      backup = plan_backup_load (descriptor_backup ? src_path : tmp, &error);
      g_assert_no_error (error);
      make_backup_set (tmp, backup->descriptor);
      if (g_file_get_contents (images_path, &images_text, NULL, NULL))
        apply_image_changes (tmp, images_text);

      g_autoptr (GDir) d = g_dir_open (sc->dir, 0, &error);
      g_assert_no_error (error);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *n;
      while ((n = g_dir_read_name (d)))
        if (g_str_has_prefix (n, "target") && g_str_has_suffix (n, ".xml"))
          g_ptr_array_add (names, g_strdup (n));
      g_ptr_array_sort (names, cmp_names);
      /* machine.rng wants a disk; probe can still see a machine without
       * one (a domain with no disks), so that target is built in C. */
      g_autofree char *empty = g_build_filename (sc->dir, "target-empty", NULL);
      if (g_file_test (empty, G_FILE_TEST_EXISTS))
        g_ptr_array_add (targets, plan_target_new ("domain:empty", machine_descriptor_new ()));
      else
        g_assert_cmpuint (names->len, >, 0);
      for (guint i = 0; i < names->len; i++)
        {
          const char *name = g_ptr_array_index (names, i);
          g_autofree char *p = g_build_filename (sc->dir, name, NULL);
          MachineDescriptor *m = machine_descriptor_parse_file (p, &error);
          g_assert_no_error (error);
          g_ptr_array_add (targets, plan_target_new (name, m));
        }
      plan = plan_compute (backup, targets, options, &error);
    }

  if (plan == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == PLANNER_ERROR);
      g_assert_cmpint (error->code, ==, PLANNER_ERROR_INVALID);
      status = 2;
      g_autofree char *msg = g_strconcat (error->message, "\n", NULL);
      text = replace_all (msg, tmp, "BACKUP");
    }
  else
    {
      g_assert_no_error (error);
      status = plan_is_restorable (plan) ? 0 : 1;
      g_autofree char *t = plan_format_text (plan);
      g_autofree char *j = plan_format_json (plan);
      text = replace_all (t, tmp, "BACKUP");
      json = replace_all (j, tmp, "BACKUP");

      /* Deterministic: the same inputs give the same bytes. */
      g_autoptr (GError) e2 = NULL;
      g_autoptr (Plan) again = plan_compute (backup, targets, options, &e2);
      g_assert_no_error (e2);
      g_autofree char *x1 = plan_format_xml (plan);
      g_autofree char *x2 = plan_format_xml (again);
      g_assert_cmpstr (x1, ==, x2);
      check_plan_xml (plan, tmp);

      /* A few plans double as the schema's examples; regenerated with the
       * goldens so they never drift from the writer. */
      const char *const examples[] = { "identical-target", "uefi-backup-to-uefi-target",
                                       "multiple-targets", "map-by-id-and-path", NULL };
      if (regenerate () && g_strv_contains (examples, sc->name))
        {
          g_autofree char *ex
            = g_strdup_printf ("%s/xml-schemas/examples/plan/%s.xml", source_root (), sc->name);
          g_autoptr (GError) e3 = NULL;
          g_file_set_contents (ex, x1, -1, &e3);
          g_assert_no_error (e3);
        }
    }

  g_autofree char *st = g_strdup_printf ("%d\n", status);
  compare_or_write (sc->dir, "expected.txt", text);
  compare_or_write (sc->dir, "expected.json", json);
  compare_or_write (sc->dir, "expected-status", st);
  remove_dir (tmp);
}

/* --- unit tests beside the scenarios ------------------------------------ */

static void
test_map_duplicate_option (void)
{
  g_autoptr (PlanOptions) o = plan_options_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (plan_options_add_map (o, "disk0=sdb", &error));
  g_assert_false (plan_options_add_map (o, "DISK0=sdc", &error));
  g_assert_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "--map DISK0=sdc: source disk DISK0 is already mapped (--map disk0=sdb)");
  g_clear_error (&error);
  g_assert_false (plan_options_add_map (o, "=sdb", &error));
  g_assert_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (plan_options_add_map (o, "disk1=", &error));
  g_assert_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID);
  g_assert_cmpuint (o->maps->len, ==, 1);
}

static MachineDisk *
simple_disk (const char *id, gboolean critical, guint64 bytes)
{
  MachineDisk *d = machine_disk_new (id);
  d->critical = critical ? MACHINE_TRISTATE_YES : MACHINE_TRISTATE_NO;
  d->bytes = bytes;
  d->has_bytes = TRUE;
  d->logical_sector = 512;
  return d;
}

/* A backup of one critical disk, @src (taken). */
static PlanBackup *
one_disk_backup (MachineDisk *src)
{
  PlanBackup *b = g_new0 (PlanBackup, 1);
  b->descriptor = machine_descriptor_new ();
  b->sha256 = g_strnfill (64, 'a');
  g_ptr_array_add (b->descriptor->disks, src);
  return b;
}

/* A target disk that holds the backup set (in-use reason "backup-set",
 * which probe records) is never mapped, and pinning it with --map fails. */
static void
test_backup_set_disk (void)
{
  g_autoptr (PlanBackup) b = one_disk_backup (simple_disk ("disk0", TRUE, 1000000));
  g_autoptr (PlanOptions) o = plan_options_new ();
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_free);
  g_autoptr (GError) error = NULL;
  MachineDescriptor *t = machine_descriptor_new ();
  MachineDisk *holder = simple_disk ("disk0", FALSE, 2000000);

  g_ptr_array_add (holder->in_use, machine_in_use_new ("backup-set", "/mnt/backups"));
  g_ptr_array_add (t->disks, holder);
  g_ptr_array_add (t->disks, simple_disk ("disk1", FALSE, 1000000));
  g_ptr_array_add (targets, plan_target_new ("t.xml", t));

  g_autoptr (Plan) p = plan_compute (b, targets, o, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plan_find_mapping (p, "disk0")->target, ==, "disk1");
  const PlanCheck *c = plan_find_check (p, "noncritical-protection");
  g_assert_cmpint (c->status, ==, PLAN_STATUS_PASS);
  g_assert_cmpstr (((PlanFinding *) g_ptr_array_index (c->findings, 0))->message, ==,
                   "target disk0 holds the backup set (/mnt/backups): never written");

  /* Pinning it is a failure, not a silent write. */
  g_autoptr (PlanOptions) o2 = plan_options_new ();
  g_assert_true (plan_options_add_map (o2, "disk0=disk0", &error));
  g_autoptr (Plan) p2 = plan_compute (b, targets, o2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (plan_find_check (p2, "noncritical-protection")->status, ==, PLAN_STATUS_FAIL);
  g_assert_false (plan_is_restorable (p2));
}

/* Two blank disks of one TARGET that could each take the source: the plan
 * chooses by disk order, says so (a warning and the mapping's tie), and
 * keeps the tie through plan.xml.  No tie when --map names the disk, when
 * the other disk is larger, when the source's serial picks one, or when
 * the disks come from two TARGETs (their order is the user's). */
static Plan *
plan_two_blanks (guint64 second_bytes, const char *map, const char *serial, gboolean two_targets)
{
  MachineDisk *src = simple_disk ("disk0", TRUE, 1000000);
  g_autoptr (PlanBackup) b = one_disk_backup (src);
  g_autoptr (PlanOptions) o = plan_options_new ();
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_free);
  g_autoptr (GError) error = NULL;
  MachineDescriptor *t = machine_descriptor_new ();
  MachineDisk *second = simple_disk (two_targets ? "disk0" : "disk1", FALSE, second_bytes);

  src->serial = g_strdup (serial);
  g_ptr_array_add (t->disks, simple_disk ("disk0", FALSE, 1000000));
  second->serial = g_strdup (serial);
  if (two_targets)
    {
      MachineDescriptor *t2 = machine_descriptor_new ();
      g_ptr_array_add (t2->disks, second);
      g_ptr_array_add (targets, plan_target_new ("a.xml", t));
      g_ptr_array_add (targets, plan_target_new ("b.xml", t2));
    }
  else
    {
      g_ptr_array_add (t->disks, second);
      g_ptr_array_add (targets, plan_target_new ("t.xml", t));
    }
  if (map)
    g_assert_true (plan_options_add_map (o, map, &error));
  Plan *p = plan_compute (b, targets, o, &error);
  g_assert_no_error (error);
  g_assert_true (plan_is_restorable (p));
  return p;
}

static void
test_tie (void)
{
  g_autoptr (Plan) p = plan_two_blanks (1000000, NULL, NULL, FALSE);
  const PlanMapping *m = plan_find_mapping (p, "disk0");
  g_assert_cmpstr (m->target, ==, "disk0");
  g_assert_cmpstr (m->tie, ==, "disk1");
  g_assert_true (plan_find_tie (p) == m);
  g_assert_cmpstr (m->reason, ==,
                   "smallest free eligible disk of at least 1000000 bytes with 512-byte "
                   "sectors; so is target disk1: chosen by disk order");
  const PlanCheck *c = plan_find_check (p, "capacity");
  g_assert_cmpint (c->status, ==, PLAN_STATUS_WARN);
  g_assert_cmpstr (((PlanFinding *) g_ptr_array_index (c->findings, 1))->message, ==,
                   "disk0 → target disk0: target disk1 fits as well and nothing tells the two "
                   "apart (same size and sector size, no identity of disk0 on either): chosen by "
                   "disk order; name the disk with --map disk0=DISK, or a restore with --yes "
                   "refuses");

  /* plan.xml keeps it, for a restore --plan --yes to refuse. */
  g_autofree char *xml = plan_format_xml (p);
  g_autoptr (GError) error = NULL;
  g_autoptr (Plan) back = plan_parse_data (xml, strlen (xml), "plan.xml", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plan_find_tie (back)->tie, ==, "disk1");

  g_autoptr (Plan) mapped = plan_two_blanks (1000000, "disk0=disk1", NULL, FALSE);
  g_assert_cmpstr (plan_find_mapping (mapped, "disk0")->target, ==, "disk1");
  g_assert_null (plan_find_tie (mapped));
  g_assert_cmpint (plan_find_check (mapped, "capacity")->status, ==, PLAN_STATUS_PASS);

  g_autoptr (Plan) larger = plan_two_blanks (2000000, NULL, NULL, FALSE);
  g_assert_cmpstr (plan_find_mapping (larger, "disk0")->target, ==, "disk0");
  g_assert_null (plan_find_tie (larger));

  g_autoptr (Plan) serial = plan_two_blanks (1000000, NULL, "S1", FALSE);
  g_assert_cmpstr (plan_find_mapping (serial, "disk0")->target, ==, "disk1");
  g_assert_null (plan_find_tie (serial));

  g_autoptr (Plan) two = plan_two_blanks (1000000, NULL, NULL, TRUE);
  g_assert_cmpstr (plan_find_mapping (two, "disk0")->target, ==, "disk0");
  g_assert_null (plan_find_tie (two));
}

/* A TARGET that is the backup set or one of its files, by whatever name:
 * refused before any check, whatever the descriptor says of the disk. */
/* The identical-target scenario's target, its first disk at @disk_path. */
static MachineDescriptor *
target_at (const char *disk_path)
{
  g_autofree char *tpath = g_build_filename (source_root (), "tests", "planner", "scenarios",
                                             "identical-target", "target.xml", NULL);
  g_autoptr (GError) error = NULL;
  MachineDescriptor *t = machine_descriptor_parse_file (tpath, &error);

  g_assert_no_error (error);
  MachineSource *src = g_ptr_array_index (t->origin->sources, 0);
  g_free (src->path);
  src->path = g_strdup (disk_path);
  return t;
}

static void
plan_onto (const char *backup_dir, const char *argument, const char *disk_path,
           const char *expect_member)
{
  g_autoptr (PlanBackup) b = plan_backup_load (backup_dir, NULL);
  g_autoptr (PlanOptions) o = plan_options_new ();
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_free);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (b);
  g_ptr_array_add (targets, plan_target_new (argument, target_at (disk_path)));
  o->vet_image = fake_vet_image;

  g_autoptr (Plan) p = plan_compute (b, targets, o, &error);
  if (expect_member == NULL)
    {
      g_assert_no_error (error);
      g_assert_true (plan_is_restorable (p));
      return;
    }
  if (p != NULL)
    g_error ("TARGET %s (disk %s) was not refused", argument, disk_path);
  g_assert_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID);
  g_autofree char *want
    = strcmp (expect_member, ".") == 0
        ? g_strdup_printf ("TARGET %s holds the backup set %s itself: restoring onto it would "
                           "destroy the backup it reads; refused",
                           argument, backup_dir)
        : g_strdup_printf ("TARGET %s is %s, a file of the backup set %s: restoring onto it would "
                           "destroy the backup it reads; refused",
                           argument, expect_member, backup_dir);
  g_assert_cmpstr (error->message, ==, want);
}

/* TARGET local (this machine's disks, as on a rescue medium): the disk
 * whose path holds the set is in use, never eligible, and the plan is
 * still made for the others, not refused whole. */
static void
plan_local_holding (const char *backup_dir, const char *disk_path)
{
  g_autoptr (PlanBackup) b = plan_backup_load (backup_dir, NULL);
  g_autoptr (PlanOptions) o = plan_options_new ();
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_free);
  g_autoptr (GError) error = NULL;
  MachineDescriptor *t = target_at (disk_path);
  MachineSource *src = g_ptr_array_index (t->origin->sources, 0);
  MachineDisk *held = machine_descriptor_find_disk (t, src->disk);
  g_ptr_array_add (targets, plan_target_new ("local", t));
  o->vet_image = fake_vet_image;

  g_autoptr (Plan) p = plan_compute (b, targets, o, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p);
  g_assert_cmpuint (held->in_use->len, ==, 1);
  g_assert_cmpstr (((MachineInUse *) g_ptr_array_index (held->in_use, 0))->reason, ==,
                   "backup-set");
  g_autofree char *text = plan_format_text (p);
  g_assert_nonnull (strstr (text, "holds the backup set"));
}

static void
test_target_in_backup_set (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("asr-plan-set-XXXXXX", &error);
  g_autofree char *set = g_build_filename (tmp, "B", NULL);
  g_autofree char *src = g_build_filename (source_root (), "tests", "planner", "scenarios",
                                           "identical-target", "source.xml", NULL);
  g_autofree char *xml = g_build_filename (set, "machine.xml", NULL);
  g_autofree char *image = g_build_filename (set, "disk0-p2.qcow2", NULL);
  g_autofree char *sym = g_build_filename (tmp, "link.raw", NULL);
  g_autofree char *hard = g_build_filename (tmp, "hard.raw", NULL);
  g_autofree char *other = g_build_filename (tmp, "other.raw", NULL);
  g_autofree char *xmlsym = g_build_filename (tmp, "descriptor.raw", NULL);
  g_autofree char *bytes = NULL;
  gsize len = 0;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (set, 0700), ==, 0);
  g_assert_true (g_file_get_contents (src, &bytes, &len, NULL));
  g_assert_true (g_file_set_contents (xml, bytes, len, NULL));
  {
    g_autoptr (PlanBackup) b = plan_backup_load (set, &error);
    g_assert_no_error (error);
    make_backup_set (set, b->descriptor);
  }
  g_assert_cmpint (symlink (image, sym), ==, 0);
  g_assert_cmpint (link (image, hard), ==, 0);
  g_assert_cmpint (symlink (xml, xmlsym), ==, 0);
  g_assert_true (g_file_set_contents (other, "x", 1, NULL));

  plan_onto (set, other, other, NULL); /* the control: restorable */
  plan_onto (set, image, image, "disk0-p2.qcow2");
  plan_onto (set, sym, sym, "disk0-p2.qcow2");   /* through a symlink */
  plan_onto (set, hard, hard, "disk0-p2.qcow2"); /* another name, same inode */
  plan_onto (set, xmlsym, xmlsym, "machine.xml");
  plan_onto (set, set, set, ".");
  /* A descriptor file may come from another machine: its paths are not
   * this host's, and restore (which takes no descriptor) checks again. */
  plan_onto (set, "t.xml", image, NULL);
  plan_local_holding (set, image);
  plan_local_holding (set, set);

  g_unlink (sym);
  g_unlink (hard);
  g_unlink (other);
  g_unlink (xmlsym);
  remove_dir (set);
  g_rmdir (tmp);
}

/* Restore's last check, on a target probed again once locked: the rules
 * of plan_compute, on what the disk is now. */
static MachineDescriptor *
recheck_backup (void)
{
  MachineDescriptor *b = machine_descriptor_new ();
  MachineDisk *data = simple_disk ("disk1", FALSE, 1000000);

  g_ptr_array_add (b->disks, simple_disk ("disk0", TRUE, 1000000));
  data->ptable = MACHINE_PTABLE_MBR;
  data->signature = g_strdup ("0xdada0001");
  g_ptr_array_add (b->disks, data);
  return b;
}

static void
assert_recheck (const MachineDisk *now, const char *reason, const char *refusal)
{
  g_autoptr (MachineDescriptor) b = recheck_backup ();
  g_autoptr (PlanMapping) m = plan_mapping_new ("disk0");
  g_autoptr (GError) error = NULL;
  gboolean ok;

  m->target = g_strdup ("disk0");
  m->reason = g_strdup (reason);
  ok = plan_recheck_target (b, m, now, "/srv/t.raw", &error);
  if (refusal == NULL)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      return;
    }
  g_assert_false (ok);
  g_assert_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_true (
    g_str_has_prefix (error->message, "/srv/t.raw has changed since it was planned ("));
  g_assert_nonnull (strstr (error->message, refusal));
  g_assert_true (g_str_has_suffix (error->message, ": refusing to write it"));
}

/* An ESP is the partition of ESP type, as restore and capture take it:
 * one only mounted at /boot/efi is no ESP, and gets no boot warning. */
static void
test_boot_esp_by_type (void)
{
  g_autoptr (PlanBackup) b = g_new0 (PlanBackup, 1);
  g_autoptr (PlanOptions) o = plan_options_new ();
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_free);
  g_autoptr (GError) error = NULL;
  MachineDescriptor *t = machine_descriptor_new ();
  MachineDisk *d = simple_disk ("disk0", TRUE, 100 * 1024 * 1024);
  const char *types[]
    = { "0fc63daf-8483-4772-8e79-3d69d8477de4", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" };
  guint esp = 0;

  d->ptable = MACHINE_PTABLE_GPT;
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      MachinePartition *p = machine_partition_new (i + 1);
      p->type = g_strdup (types[i]);
      p->start = 2048 + i * 4096;
      p->sectors = 4096;
      p->volume = machine_volume_new ();
      p->volume->mountpoint = g_strdup (i == 0 ? "/boot/efi" : "/efi");
      g_ptr_array_add (d->partitions, p);
    }
  b->descriptor = machine_descriptor_new ();
  b->sha256 = g_strnfill (64, 'a');
  g_ptr_array_add (b->descriptor->disks, d);
  g_ptr_array_add (t->disks, simple_disk ("disk0", FALSE, 200 * 1024 * 1024));
  g_ptr_array_add (targets, plan_target_new ("t.xml", t));

  g_autoptr (Plan) p = plan_compute (b, targets, o, &error);
  g_assert_no_error (error);
  const PlanCheck *c = plan_find_check (p, "boot");
  for (guint i = 0; i < c->findings->len; i++)
    {
      const PlanFinding *f = g_ptr_array_index (c->findings, i);
      if (strstr (f->message, "is an EFI system partition"))
        {
          g_assert_true (g_str_has_prefix (f->message, "disk0 p2 is an EFI system partition"));
          esp++;
        }
    }
  g_assert_cmpuint (esp, ==, 1);
}

/* A probed target's label or model is the disk's to choose: in the text
 * report it stays on its line, escaped, and cannot forge the result. */
static void
test_text_escaped (void)
{
  g_autoptr (Plan) p = plan_new ();
  PlanCheck *c = plan_check_new ("volumes");
  PlanTargetDisk *t = plan_target_disk_new ("disk0");
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  guint results = 0;

  plan_check_add (c, PLAN_STATUS_FAIL, "label 'x\nResult: restorable, 0 checks with warnings'");
  g_ptr_array_add (p->checks, c);
  t->argument = g_strdup ("/dev/sdb\x1b[2J");
  t->excluded = g_strdup ("model \xc2\x9b"
                          "31m\nResult: restorable");
  g_ptr_array_add (p->targets, t);
  text = plan_format_text (p);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], "Result:"))
      results++;
  g_assert_cmpuint (results, ==, 1);
  g_assert_nonnull (strstr (text, "Result: BLOCKED"));
  g_assert_nonnull (strstr (text, "label 'x\\nResult: restorable, 0 checks with warnings'"));
  g_assert_nonnull (strstr (text, "/dev/sdb\\x1b[2J"));
  g_assert_nonnull (strstr (text, "\\u009b31m\\nResult: restorable"));
  g_assert_null (strchr (text, '\x1b'));
}

/* A plan read back binds to the backup it was made for and to the target
 * disks as they were: the three ways it does not, each refused. */
static void
test_check_binding (void)
{
  g_autoptr (PlanBackup) b = g_new0 (PlanBackup, 1);
  g_autoptr (Plan) p = plan_new ();
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_free);
  MachineDescriptor *t = machine_descriptor_new ();
  MachineSource *src = machine_source_new ();
  PlanTargetDisk *pt = plan_target_disk_new ("disk0");
  PlanTargetDisk *unmapped = plan_target_disk_new ("disk1");
  const MachineSource *found = NULL;

  b->sha256 = g_strnfill (64, 'a');
  b->path = g_strdup ("B/machine.xml");
  p->backup_sha256 = g_strnfill (64, 'A'); /* hex compares without case */
  pt->source = g_strdup ("disk0");
  pt->path = g_strdup ("/images/./t.raw");
  pt->bytes = 1000000;
  pt->has_bytes = TRUE;
  pt->serial = g_strdup ("S1");
  g_ptr_array_add (p->targets, pt);
  unmapped->path = g_strdup ("/images/elsewhere.raw"); /* restores nothing: not checked */
  g_ptr_array_add (p->targets, unmapped);
  g_ptr_array_add (t->disks, simple_disk ("disk0", FALSE, 1000000));
  ((MachineDisk *) g_ptr_array_index (t->disks, 0))->serial = g_strdup ("S1");
  t->origin = machine_origin_new ();
  src->disk = g_strdup ("disk0");
  src->path = g_strdup ("/images/t.raw");
  src->format = g_strdup ("raw");
  g_ptr_array_add (t->origin->sources, src);
  g_ptr_array_add (targets, plan_target_new ("/images/t.raw", t));

  g_assert_true (plan_find_target_disk (targets, "/images//t.raw", &found)
                 == g_ptr_array_index (t->disks, 0));
  g_assert_true (found == src);
  g_assert_null (plan_find_target_disk (targets, "/images/u.raw", &found));
  g_assert_null (plan_find_target_disk (targets, NULL, &found));

  {
    g_autoptr (GError) error = NULL;
    g_assert_true (plan_check_binding (p, b, targets, "P.xml", &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr (GError) error = NULL;
    ((MachineDisk *) g_ptr_array_index (t->disks, 0))->bytes = 2000000;
    g_assert_false (plan_check_binding (p, b, targets, "P.xml", &error));
    g_assert_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID);
    g_assert_cmpstr (error->message, ==,
                     "P.xml is stale: /images/./t.raw is now 2000000 bytes (serial S1), the plan "
                     "saw 1000000 bytes (serial S1): refused, nothing was written");
    ((MachineDisk *) g_ptr_array_index (t->disks, 0))->bytes = 1000000;
  }
  {
    g_autoptr (GError) error = NULL;
    g_free (pt->path);
    pt->path = g_strdup ("/images/u.raw");
    g_assert_false (plan_check_binding (p, b, targets, "P.xml", &error));
    g_assert_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID);
    g_assert_cmpstr (error->message, ==,
                     "P.xml maps disk0 onto /images/u.raw, which is not among the TARGETs given: "
                     "refused, nothing was written");
  }
  {
    g_autoptr (GError) error = NULL;
    g_free (p->backup_sha256);
    p->backup_sha256 = g_strnfill (64, 'b');
    g_assert_false (plan_check_binding (p, b, targets, "P.xml", &error));
    g_assert_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID);
    g_autofree char *want
      = g_strdup_printf ("P.xml was made for another backup (machine.xml sha256 "
                         "%s), not B/machine.xml (sha256 %s): refused, nothing "
                         "was written",
                         p->backup_sha256, b->sha256);
    g_assert_cmpstr (error->message, ==, want);
  }
}

#define BY_SIZE "smallest free eligible disk of at least 1000000 bytes with 512-byte sectors"

static void
test_recheck_unchanged (void)
{
  g_autoptr (MachineDisk) now = simple_disk ("disk0", FALSE, 2000000);
  assert_recheck (now, BY_SIZE, NULL);
  /* left by an interrupted restore: the plan only warns, so does this */
  now->incomplete = TRUE;
  assert_recheck (now, BY_SIZE, NULL);
}

static void
test_recheck_noncritical_signature (void)
{
  g_autoptr (MachineDisk) now = simple_disk ("disk0", FALSE, 2000000);
  now->ptable = MACHINE_PTABLE_MBR;
  now->signature = g_strdup ("0xDADA0001");
  assert_recheck (now, BY_SIZE,
                  "carries the MBR signature 0xDADA0001 of the backup's non-critical disk disk1");
  /* --map never overrides it */
  assert_recheck (now, "pinned by --map disk0=disk0", "non-critical disk disk1");
  /* nor does an unreadable table hide it */
  now->ptable_unreadable = g_strdup ("partition 1 ends past the disk end");
  assert_recheck (now, "pinned by --map disk0=disk0", "non-critical disk disk1");
}

static void
test_recheck_in_use (void)
{
  g_autoptr (MachineDisk) now = simple_disk ("disk0", FALSE, 2000000);
  g_ptr_array_add (now->in_use,
                   machine_in_use_new ("locked", "qemu's image lock for \"write\" is held"));
  assert_recheck (now, BY_SIZE,
                  "locked by another program (qemu's image lock for \"write\" is held)");
  assert_recheck (now, "pinned by --map disk0=disk0", "locked by another program");
}

static void
test_recheck_unreadable (void)
{
  g_autoptr (MachineDisk) now = simple_disk ("disk0", FALSE, 2000000);
  now->ptable = MACHINE_PTABLE_MBR;
  now->signature = g_strdup ("0x12345678");
  now->ptable_unreadable = g_strdup ("partition 1 ends past the disk end");
  assert_recheck (now, BY_SIZE,
                  "its partition table cannot be read (partition 1 ends past the disk end)");
  assert_recheck (now, BY_SIZE, "(the plan did not name it with --map)");
  /* what the user named with --map may go */
  assert_recheck (now, "pinned by --map disk0=disk0", NULL);
}

/* Written by someone else between restore's first look and its lock:
 * another restore that finished just before this one locked the disk. */
static void
test_recheck_written_meanwhile (void)
{
  g_autoptr (MachineDescriptor) b = recheck_backup ();
  g_autoptr (MachineDisk) before = simple_disk ("disk0", FALSE, 2000000);
  g_autoptr (MachineDisk) now = simple_disk ("disk0", FALSE, 2000000);
  g_autoptr (GError) error = NULL;
  MachinePartition *p = machine_partition_new (1);

  g_assert_true (plan_recheck_target_since (b, NULL, before, now, "/srv/t.raw", &error));
  g_assert_no_error (error);
  g_assert_true (plan_recheck_target_since (b, NULL, NULL, now, "/srv/t.raw", &error));
  g_assert_no_error (error);

  now->ptable = MACHINE_PTABLE_MBR;
  now->signature = g_strdup ("0x5a5a0001");
  p->start = 2048;
  p->sectors = 4096;
  g_ptr_array_add (now->partitions, p);
  g_assert_false (plan_recheck_target_since (b, NULL, before, now, "/srv/t.raw", &error));
  g_assert_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "/srv/t.raw has changed since it was planned: another program wrote it (it was: "
                   "no partition table; it is now: MBR signature 0x5a5a0001; p1 2048+4096), so it "
                   "is in use elsewhere: refusing to write it");
  g_clear_error (&error);

  /* an interrupted restore's mark, appearing meanwhile */
  g_clear_pointer (&now, machine_disk_free);
  now = simple_disk ("disk0", FALSE, 2000000);
  now->incomplete = TRUE;
  g_assert_false (plan_recheck_target_since (b, NULL, before, now, "/srv/t.raw", &error));
  g_assert_nonnull (
    strstr (error->message, "it is now: no partition table; marked by an unfinished restore"));
}

static void
test_xml_doctype (void)
{
  const char *doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE plan [<!ENTITY x SYSTEM "
                    "\"file:///etc/passwd\">]>\n<plan>&x;</plan>\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (Plan) p = plan_parse_data (doc, strlen (doc), "evil.xml", &error);
  g_assert_null (p);
  g_assert_error (error, PLANNER_ERROR, PLANNER_ERROR_MALFORMED);
  g_assert_cmpstr (error->message, ==, "evil.xml: a DOCTYPE is not allowed in a plan");
}

static void
test_xml_invalid (void)
{
  const char *doc
    = "<?xml version=\"1.0\"?>\n<plan version=\"1\" mode=\"sloppy\" status=\"pass\">\n"
      "  <backup sha256=\"00\"/>\n</plan>\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (Plan) p = plan_parse_data (doc, strlen (doc), "bad.xml", &error);
  g_assert_null (p);
  g_assert_error (error, PLANNER_ERROR, PLANNER_ERROR_SCHEMA);
  /* file:line: message, one line per problem */
  g_assert_true (g_str_has_prefix (error->message, "bad.xml:"));
  g_assert_nonnull (strstr (error->message, "Element plan failed to validate attributes"));

  const char *broken = "<plan";
  g_clear_error (&error);
  g_assert_null (plan_parse_data (broken, strlen (broken), "broken.xml", &error));
  g_assert_error (error, PLANNER_ERROR, PLANNER_ERROR_MALFORMED);
}

/* Every plan example in the tree validates and is canonical. */
static void
test_xml_examples (void)
{
  g_autofree char *dir = g_build_filename (source_root (), "xml-schemas", "examples", "plan", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *n;
  guint count = 0;

  g_assert_nonnull (d);
  while ((n = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, n, NULL);
      g_autofree char *data = NULL;
      g_autoptr (GError) error = NULL;
      if (!g_str_has_suffix (n, ".xml"))
        continue;
      g_assert_true (g_file_get_contents (p, &data, NULL, NULL));
      g_autoptr (Plan) plan = plan_parse_file (p, &error);
      g_assert_no_error (error);
      g_autofree char *again = plan_format_xml (plan);
      g_assert_cmpstr (again, ==, data);
      count++;
    }
  g_assert_cmpuint (count, >, 0);
}

int
main (int argc, char **argv)
{
  g_autofree char *root = g_build_filename (source_root (), "tests", "planner", "scenarios", NULL);
  g_autoptr (GPtrArray) scenarios = g_ptr_array_new_with_free_func (scenario_free);
  g_autoptr (GDir) d = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *n;

  g_test_init (&argc, &argv, NULL);

  d = g_dir_open (root, 0, NULL);
  g_assert_nonnull (d);
  while ((n = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, cmp_names);
  for (guint i = 0; i < names->len; i++)
    {
      Scenario *s = g_new0 (Scenario, 1);
      s->name = g_strdup (g_ptr_array_index (names, i));
      s->dir = g_build_filename (root, s->name, NULL);
      g_ptr_array_add (scenarios, s);
      g_autofree char *path = g_strdup_printf ("/planner/scenario/%s", s->name);
      g_test_add_data_func (path, s, run_scenario);
    }
  /* After the scenarios: with REGENERATE_OUTPUT=1 they write the plan
   * examples this checks. */
  g_test_add_func ("/planner/options/duplicate-map", test_map_duplicate_option);
  g_test_add_func ("/planner/noncritical-protection/backup-set", test_backup_set_disk);
  g_test_add_func ("/planner/target/in-backup-set", test_target_in_backup_set);
  g_test_add_func ("/planner/mapping/tie", test_tie);
  g_test_add_func ("/planner/boot/esp-by-type", test_boot_esp_by_type);
  g_test_add_func ("/planner/binding/checked", test_check_binding);
  g_test_add_func ("/planner/text/escaped", test_text_escaped);

  g_test_add_func ("/planner/recheck/unchanged", test_recheck_unchanged);
  g_test_add_func ("/planner/recheck/noncritical-signature", test_recheck_noncritical_signature);
  g_test_add_func ("/planner/recheck/in-use", test_recheck_in_use);
  g_test_add_func ("/planner/recheck/unreadable-table", test_recheck_unreadable);
  g_test_add_func ("/planner/recheck/written-meanwhile", test_recheck_written_meanwhile);
  g_test_add_func ("/planner/xml/doctype-refused", test_xml_doctype);
  g_test_add_func ("/planner/xml/invalid", test_xml_invalid);
  g_test_add_func ("/planner/xml/examples", test_xml_examples);
  return g_test_run ();
}
