/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * verify without a VM: the domain XML against golden files
 * (REGENERATE_OUTPUT=1 rewrites them: review the diff), the memory and
 * CPU caps, and console classification on sample logs named
 * <expected-class>.<what>.log.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <gio/gio.h>

#include <glib/gstdio.h>

#include "cleanup.h"
#include "verify.h"

static const char *srcdir;

/* ---- domain XML ------------------------------------------------------------ */

typedef struct {
  const char *name; /* golden file: golden/<name>.xml */
  AsrAccel accel;
  MachineFirmware firmware;
  AsrVerifyBus bus;
  guint n_disks;
  gboolean network;
  gboolean root;
} XmlCase;

static const XmlCase xml_cases[] = {
  { "bios-virtio", ASR_ACCEL_TCG, MACHINE_FIRMWARE_BIOS, ASR_VERIFY_BUS_VIRTIO, 2, FALSE, TRUE },
  { "uefi-virtio", ASR_ACCEL_TCG, MACHINE_FIRMWARE_UEFI, ASR_VERIFY_BUS_VIRTIO, 1, FALSE, TRUE },
  { "uefi-sata-kvm", ASR_ACCEL_KVM, MACHINE_FIRMWARE_UEFI, ASR_VERIFY_BUS_SATA, 2, FALSE, FALSE },
  { "bios-scsi-network", ASR_ACCEL_TCG, MACHINE_FIRMWARE_BIOS, ASR_VERIFY_BUS_SCSI, 1, TRUE, TRUE },
  { "bios-nvme", ASR_ACCEL_TCG, MACHINE_FIRMWARE_BIOS, ASR_VERIFY_BUS_NVME, 2, FALSE, TRUE },
};

static void
test_xml (gconstpointer data)
{
  const XmlCase *t = data;
  AsrVerifyDomainDisk disks[] = {
    { "/var/tmp/asr-verify-AbC123/disk0.qcow2", "qcow2" },
    { "/var/tmp/asr-verify-AbC123/a <&'odd>, name.qcow2", "qcow2" },
  };
  AsrVerifyDomainConfig c = {
    .name = "asr-verify-AbC123",
    .accel = t->accel,
    .firmware = t->firmware,
    .bus = t->bus,
    .disks = disks,
    .n_disks = t->n_disks,
    .network = t->network,
    .console_path = "/var/tmp/asr-verify-AbC123/console.log",
    .nvram_path = "/var/tmp/asr-verify-AbC123/nvram.fd",
    .sercon_path = "/var/tmp/asr-verify-AbC123/sercon-port",
    .run_as_root = t->root,
  };
  asr_verify_size_machine (NULL, &c.memory_bytes, &c.vcpus);
  g_autofree char *xml = asr_verify_domain_xml (&c);
  g_autofree char *base = g_strdup_printf ("%s.xml", t->name);
  g_autofree char *golden = g_build_filename (srcdir, "golden", base, NULL);
  g_autofree char *expected = NULL;
  g_autoptr (GError) error = NULL;

  if (g_getenv ("REGENERATE_OUTPUT"))
    {
      g_assert_true (g_file_set_contents (golden, xml, -1, &error));
      g_assert_no_error (error);
    }
  g_assert_true (g_file_get_contents (golden, &expected, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (xml, ==, expected);

  /* What every domain must say, whatever the golden holds. */
  g_assert_nonnull (strstr (xml, "<on_poweroff>destroy</on_poweroff>"));
  g_assert_nonnull (strstr (xml, "<on_reboot>destroy</on_reboot>"));
  g_assert_nonnull (strstr (xml, "<on_crash>destroy</on_crash>"));
  g_assert_nonnull (strstr (xml, "<serial type='file'>"));
  g_assert_true ((strstr (xml, "<interface") != NULL) == t->network);
  g_assert_true ((strstr (xml, "secure-boot") != NULL) == (t->firmware == MACHINE_FIRMWARE_UEFI));
  g_assert_true ((strstr (xml, "seclabel") != NULL) == t->root);
  g_assert_nonnull (
    strstr (xml, t->accel == ASR_ACCEL_KVM ? "<domain type='kvm'" : "<domain type='qemu'"));
  g_assert_null (strstr (xml, "<odd>"));
}

/* ---- sizes ------------------------------------------------------------------ */

static void
test_size_caps (void)
{
  g_autoptr (MachineHardware) hw = machine_hardware_new ();
  guint64 mem = 0;
  guint cpus = 0;

  asr_verify_size_machine (NULL, &mem, &cpus);
  g_assert_cmpuint (mem, ==, G_GUINT64_CONSTANT (1) << 30);
  g_assert_cmpuint (cpus, ==, 1);

  asr_verify_size_machine (hw, &mem, &cpus); /* nothing known */
  g_assert_cmpuint (mem, ==, G_GUINT64_CONSTANT (1) << 30);
  g_assert_cmpuint (cpus, ==, 1);

  hw->has_memory_bytes = TRUE;
  hw->memory_bytes = G_GUINT64_CONSTANT (64) << 30;
  hw->has_cpu_count = TRUE;
  hw->cpu_count = 64;
  asr_verify_size_machine (hw, &mem, &cpus);
  g_assert_cmpuint (mem, ==, ASR_VERIFY_MAX_MEMORY_BYTES);
  g_assert_cmpuint (cpus, ==, ASR_VERIFY_MAX_VCPUS);

  hw->memory_bytes = G_GUINT64_CONSTANT (128) << 20;
  hw->cpu_count = 1;
  asr_verify_size_machine (hw, &mem, &cpus);
  g_assert_cmpuint (mem, ==, ASR_VERIFY_MIN_MEMORY_BYTES);
  g_assert_cmpuint (cpus, ==, 1);

  hw->memory_bytes = G_GUINT64_CONSTANT (1536) << 20;
  hw->cpu_count = 2;
  asr_verify_size_machine (hw, &mem, &cpus);
  g_assert_cmpuint (mem, ==, G_GUINT64_CONSTANT (1536) << 20);
  g_assert_cmpuint (cpus, ==, 2);
}

static void
test_bus_names (void)
{
  AsrVerifyBus b = ASR_VERIFY_BUS_VIRTIO;

  g_assert_true (asr_verify_bus_from_string ("NVMe", &b));
  g_assert_cmpint (b, ==, ASR_VERIFY_BUS_NVME);
  g_assert_true (asr_verify_bus_from_string ("ide", &b));
  g_assert_cmpint (b, ==, ASR_VERIFY_BUS_SATA);
  g_assert_false (asr_verify_bus_from_string ("floppy", &b));
  g_assert_false (asr_verify_bus_from_string (NULL, &b));
  g_assert_cmpstr (asr_verify_bus_to_string (ASR_VERIFY_BUS_SCSI), ==, "scsi");
}

/* ---- console ---------------------------------------------------------------- */

static void
test_console_sample (gconstpointer data)
{
  const char *file = data;
  g_autofree char *path = g_build_filename (srcdir, "consoles", file, NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GRegex) expect = g_regex_new (ASR_VERIFY_DEFAULT_EXPECT, 0, 0, NULL);
  g_autofree char *expected = g_strndup (file, strcspn (file, "."));
  AsrConsoleClass found = ASR_CONSOLE_NOTHING;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  /* line by line, the last one possibly without its newline: as verify
   * reads a console that is still being written */
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l && found == ASR_CONSOLE_NOTHING; l++)
    found = asr_console_classify_line (asr_console_clean_line (*l), expect);
  g_assert_cmpstr (asr_console_class_to_string (found), ==, expected);
}

static void
test_console_lines (void)
{
  g_autoptr (GRegex) expect = g_regex_new ("booted .*, fstab ok", 0, 0, NULL);
  g_autoptr (GRegex) broad = g_regex_new (".", 0, 0, NULL);

  g_assert_cmpint (asr_console_classify_line ("asr-test-machine: booted x, fstab ok", expect), ==,
                   ASR_CONSOLE_EXPECTED);
  g_assert_cmpint (asr_console_classify_line ("login:", expect), ==, ASR_CONSOLE_NOTHING);
  /* a failure wins even over an --expect that matches anything */
  g_assert_cmpint (asr_console_classify_line ("[ 1.0] Kernel panic - not syncing: x", broad), ==,
                   ASR_CONSOLE_KERNEL_PANIC);
  /* OVMF's ordinary boot line is not a failure */
  g_assert_cmpint (asr_console_classify_line ("BdsDxe: loading Boot0001 \"UEFI Misc Device\"",
                                              NULL),
                   ==, ASR_CONSOLE_NOTHING);
  g_assert_cmpint (asr_console_classify_line ("", expect), ==, ASR_CONSOLE_NOTHING);
}

static void
test_console_clean (void)
{
  char a[] = "\x1b[2J\x1b[01;01H\x1b[=3hBdsDxe: loading\r";
  char b[] = "\x1b(Bplain\x1b[0m text\x07";
  char c[] = "\x1b[";

  g_assert_cmpstr (asr_console_clean_line (a), ==, "BdsDxe: loading");
  g_assert_cmpstr (asr_console_clean_line (b), ==, "plain text");
  g_assert_cmpstr (asr_console_clean_line (c), ==, "");
}

static void
test_console_tail (void)
{
  g_autofree char *dir = g_dir_make_tmp ("asr-verify-tail-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "c.log", NULL);
  g_autoptr (GString) s = g_string_new (NULL);

  for (int i = 0; i < 50; i++)
    g_string_append_printf (s, "line %d\r\n\n", i);
  g_string_append (s, "\x1b[0mlast without newline");
  g_assert_true (g_file_set_contents (path, s->str, -1, NULL));
  g_autoptr (GPtrArray) tail = asr_console_tail (path, 3);
  g_assert_cmpuint (tail->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (tail, 0), ==, "line 48");
  g_assert_cmpstr (g_ptr_array_index (tail, 2), ==, "last without newline");
  g_autoptr (GPtrArray) none = asr_console_tail ("/nonexistent/c.log", 3);
  g_assert_cmpuint (none->len, ==, 0);

  /* A guest that filled its log: 8 GiB (sparse) and the last lines at its
   * end.  Only the end is read, never the whole. */
  {
    static const char end[] = "booting\nasr-verify: done\n";
    int fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (ftruncate (fd, G_GINT64_CONSTANT (8) << 30), ==, 0);
    g_assert_cmpint (pwrite (fd, end, strlen (end), (G_GINT64_CONSTANT (8) << 30)), ==,
                     (gssize) strlen (end));
    close (fd);
    g_autoptr (GPtrArray) big = asr_console_tail (path, 2);
    g_assert_cmpuint (big->len, ==, 2);
    g_assert_cmpstr (g_ptr_array_index (big, 1), ==, "asr-verify: done");
  }
  /* A FIFO is no log: nothing, and no wait for a writer. */
  g_unlink (path);
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  g_autoptr (GPtrArray) fifo = asr_console_tail (path, 3);
  g_assert_cmpuint (fifo->len, ==, 0);
  g_unlink (path);
  g_rmdir (dir);
}

/* ---- leftovers of runs that died ------------------------------------------- */

/* A private directory as a run leaves it, owner file @owner (NULL: none),
 * last changed @age seconds ago. */
static char *
make_leftover (const char *parent, const char *owner, time_t age)
{
  g_autofree char *dir = g_build_filename (parent, "asr-verify-XXXXXX", NULL);
  g_assert_nonnull (g_mkdtemp_full (dir, 0700));
  if (owner)
    {
      g_autofree char *path = g_build_filename (dir, "asr.pid", NULL);
      g_assert_true (g_file_set_contents (path, owner, -1, NULL));
    }
  struct utimbuf t = { time (NULL) - age, time (NULL) - age };
  g_assert_cmpint (utime (dir, &t), ==, 0);
  return g_steal_pointer (&dir);
}

static void
test_stale_owner (void)
{
  g_autofree char *parent = g_dir_make_tmp ("asr-verify-stale-XXXXXX", NULL);
  /* an owner file cut short or garbled names no process: such a
   * directory is treated as not yet claimed, kept while young */
  const char *unreadable[] = { "", "\n", " ", "12", "abc def", "-1 5", "0 0", "12 x", "1 2 3" };

  for (guint i = 0; i < G_N_ELEMENTS (unreadable); i++)
    {
      g_autofree char *young = make_leftover (parent, unreadable[i], 0);
      g_assert_cmpuint (asr_verify_remove_stale (parent), ==, 0);
      g_assert_true (g_file_test (young, G_FILE_TEST_IS_DIR));
      g_autofree char *old = make_leftover (parent, unreadable[i], 3600);
      g_assert_cmpuint (asr_verify_remove_stale (parent), ==, 1);
      g_assert_false (g_file_test (old, G_FILE_TEST_EXISTS));
      g_assert_true (g_file_test (young, G_FILE_TEST_IS_DIR));
      g_assert_true (asr_remove_tree (young));
    }

  /* a run whose process is gone: stale at once (the child lives until
   * killed, so that its identifier is there to read) */
  const char *argv[] = { "sleep", "600", NULL };
  g_autoptr (GSubprocess) p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, NULL);
  g_assert_nonnull (p);
  g_autofree char *dead = g_strdup_printf ("%s 12345\n", g_subprocess_get_identifier (p));
  g_subprocess_force_exit (p);
  g_assert_true (g_subprocess_wait (p, NULL, NULL));
  g_autofree char *gone = make_leftover (parent, dead, 0);
  g_assert_cmpuint (asr_verify_remove_stale (parent), ==, 1);
  g_assert_false (g_file_test (gone, G_FILE_TEST_EXISTS));

  /* this process, as verify_workdir_new writes it: never stale */
  g_autofree char *stat = NULL;
  g_assert_true (g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL));
  g_auto (GStrv) f = g_strsplit (strrchr (stat, ')') + 2, " ", -1);
  g_autofree char *self = g_strdup_printf ("%d %s\n", (int) getpid (), f[19]);
  g_autofree char *mine = make_leftover (parent, self, 3600);
  g_assert_cmpuint (asr_verify_remove_stale (parent), ==, 0);
  g_assert_true (g_file_test (mine, G_FILE_TEST_IS_DIR));

  g_assert_true (asr_remove_tree (parent));
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  srcdir = g_getenv ("VERIFY_TEST_SRCDIR");
  g_assert_nonnull (srcdir);

  for (guint i = 0; i < G_N_ELEMENTS (xml_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/verify/xml/%s", xml_cases[i].name);
      g_test_add_data_func (name, &xml_cases[i], test_xml);
    }
  g_test_add_func ("/verify/size/caps", test_size_caps);
  g_test_add_func ("/verify/bus/names", test_bus_names);
  g_test_add_func ("/verify/console/lines", test_console_lines);
  g_test_add_func ("/verify/console/clean", test_console_clean);
  g_test_add_func ("/verify/console/tail", test_console_tail);
  g_test_add_func ("/verify/workdir/stale/owner", test_stale_owner);

  g_autofree char *consoles = g_build_filename (srcdir, "consoles", NULL);
  g_autoptr (GDir) dir = g_dir_open (consoles, 0, NULL);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *e;
  g_assert_nonnull (dir);
  while ((e = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (e, ".log"))
      g_ptr_array_add (files, g_strdup (e));
  g_ptr_array_sort (files, compare_names);
  g_assert_cmpuint (files->len, >=, 8);
  for (guint i = 0; i < files->len; i++)
    {
      const char *f = g_ptr_array_index (files, i);
      g_autofree char *name
        = g_strdup_printf ("/verify/console/sample/%.*s", (int) (strlen (f) - 4), f);
      g_test_add_data_func (name, f, test_console_sample);
    }
  return g_test_run ();
}
