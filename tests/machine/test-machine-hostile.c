/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hostile input: each is refused quickly, with bounded memory, without
 * touching the file system or the network, with a specific message and
 * error code, and without libxml2 printing anything.
 */
#include "config.h"

#include <fcntl.h>
#include <malloc.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "machine.h"

/* Work is bounded by what it does, never by the clock (a loaded machine
 * under sanitizers stretches wall time without limit): a refusal takes
 * less CPU time than this, which an expansion bomb or a quadratic check
 * (minutes) exceeds; big inputs are checked to scale linearly. */
#define QUICK_CPU_USEC (30 * G_USEC_PER_SEC)

static gint64
cpu_usec (void)
{
  struct timespec ts;

  g_assert_cmpint (clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts), ==, 0);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* The CPU time of @work (@n), in microseconds. */
static gint64
cpu_of (void (*work) (guint n), guint n)
{
  gint64 t0 = cpu_usec ();

  work (n);
  return cpu_usec () - t0;
}

/* @work (16 @n) against @work (@n): linear work takes about 16 times the
 * CPU time (up to 40 with the allocator, caches and n log n sorting, as
 * measured), quadratic 256 (over 100 at these sizes, with the linear
 * parts); a bound of 64 leaves room on both sides.  Constant costs only
 * lower the ratio. */
static void
assert_linear (void (*work) (guint n), guint n, const char *what)
{
  gint64 small = MAX (cpu_of (work, n), 1000);
  gint64 big = cpu_of (work, 16 * n);

  g_test_message ("%s: %u in %" G_GINT64_FORMAT " ms, %u in %" G_GINT64_FORMAT " ms of CPU", what,
                  n, small / 1000, 16 * n, big / 1000);
  g_assert_cmpint (big, <, 64 * small);
}

#define DISK_OPEN "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<machine version=\"1\">\n"
#define MINIMAL DISK_OPEN "  <disk id=\"disk0\"/>\n</machine>\n"

static void
assert_refused (const char *data, gsize len, MachineError code, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;
  gint64 t0 = cpu_usec ();

  m = machine_descriptor_parse_data (data, len, "hostile.xml", &error);
  g_assert_cmpint (cpu_usec () - t0, <, QUICK_CPU_USEC);
  g_assert_null (m);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_true (error->domain == MACHINE_ERROR);
  g_assert_cmpint (error->code, ==, code);
  g_assert_nonnull (strstr (error->message, expected));
  g_assert_true (g_str_has_prefix (error->message, "hostile.xml:"));
}

static void
assert_refused_str (const char *data, MachineError code, const char *expected)
{
  assert_refused (data, strlen (data), code, expected);
}

static void
test_minimal_accepted (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m
    = machine_descriptor_parse_data (MINIMAL, strlen (MINIMAL), "ok.xml", &error);

  /* The other tests only mean something if the baseline parses. */
  g_assert_no_error (error);
  g_assert_nonnull (m);
}

static void
test_external_entity (void)
{
  assert_refused_str ("<?xml version=\"1.0\"?>\n"
                      "<!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
                      "<machine version=\"1\"><disk id=\"&x;\"/></machine>\n",
                      MACHINE_ERROR_MALFORMED, "hostile.xml:2: DOCTYPE is not allowed");
}

static void
test_external_dtd (void)
{
  assert_refused_str ("<?xml version=\"1.0\"?>\n"
                      "<!DOCTYPE machine SYSTEM \"http://127.0.0.1:9/machine.dtd\">\n"
                      "<machine version=\"1\"><disk id=\"disk0\"/></machine>\n",
                      MACHINE_ERROR_MALFORMED, "DOCTYPE is not allowed");
}

static void
test_billion_laughs (void)
{
  g_autoptr (GString) s = g_string_new ("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
                                        "  <!ENTITY lol \"lol\">\n");

  for (int i = 1; i <= 9; i++)
    {
      g_string_append_printf (s, "  <!ENTITY lol%d \"", i);
      for (int j = 0; j < 10; j++)
        {
          if (i == 1)
            g_string_append (s, "&lol;");
          else
            g_string_append_printf (s, "&lol%d;", i - 1);
        }
      g_string_append (s, "\">\n");
    }
  g_string_append (s, "]>\n<machine version=\"1\"><disk id=\"&lol9;\"/></machine>\n");
  assert_refused (s->str, s->len, MACHINE_ERROR_MALFORMED, "DOCTYPE is not allowed");
}

static void
test_undefined_entity (void)
{
  assert_refused_str (DISK_OPEN "  <disk id=\"&x;\"/>\n</machine>\n", MACHINE_ERROR_MALFORMED,
                      "Entity 'x' not defined");
}

static void
test_xinclude_not_processed (void)
{
  /* No XInclude processing: an include is just an unknown element. */
  assert_refused_str (DISK_OPEN "  <xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" "
                                "href=\"/etc/passwd\"/>\n"
                                "  <disk id=\"disk0\"/>\n</machine>\n",
                      MACHINE_ERROR_SCHEMA, "include");
}

static void
test_too_large (void)
{
  gsize len = 100u * 1024u * 1024u;
  /* calloc'd pages stay untouched (and unbacked) if the cap works. */
  g_autofree char *big = g_malloc0 (len);

  assert_refused (big, len, MACHINE_ERROR_TOO_LARGE, "too large");
}

static void
test_just_over_cap (void)
{
  gsize len = MACHINE_DESCRIPTOR_MAX_BYTES + 1;
  g_autofree char *big = g_malloc0 (len);

  assert_refused (big, len, MACHINE_ERROR_TOO_LARGE, "too large");
}

static char *
tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("asr-hostile-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
test_too_large_file (void)
{
  g_autofree char *dir = tmpdir ();
  g_autofree char *path = g_build_filename (dir, "big.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;
  gint64 t0;
  int fd;

  /* A sparse 100 MiB file: refused from its size, never read. */
  fd = open (path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 100 * 1024 * 1024), ==, 0);
  close (fd);

  t0 = cpu_usec ();
  m = machine_descriptor_parse_file (path, &error);
  g_assert_cmpint (cpu_usec () - t0, <, QUICK_CPU_USEC);
  g_assert_null (m);
  g_assert_error (error, ASR_FILE_ERROR, ASR_FILE_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "too large"));
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_fifo (void)
{
  g_autofree char *dir = tmpdir ();
  g_autofree char *path = g_build_filename (dir, "fifo.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;

  /* Must neither block waiting for a writer nor read without end. */
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  m = machine_descriptor_parse_file (path, &error);
  g_assert_null (m);
  g_assert_error (error, ASR_FILE_ERROR, ASR_FILE_ERROR_NOT_FILE);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_directory (void)
{
  g_autofree char *dir = tmpdir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = machine_descriptor_parse_file (dir, &error);

  g_assert_null (m);
  g_assert_error (error, ASR_FILE_ERROR, ASR_FILE_ERROR_NOT_FILE);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_rmdir (dir);
}

static void
test_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m
    = machine_descriptor_parse_file ("/nonexistent/machine.xml", &error);

  g_assert_null (m);
  g_assert_error (error, ASR_FILE_ERROR, ASR_FILE_ERROR_NOT_FILE);
  g_assert_nonnull (strstr (error->message, "/nonexistent/machine.xml: cannot open"));
}

static void
test_deep_nesting (void)
{
  g_autoptr (GString) s = g_string_new (DISK_OPEN "  <disk id=\"disk0\">");

  for (int i = 0; i < 10000; i++)
    g_string_append (s, "<a>");
  for (int i = 0; i < 10000; i++)
    g_string_append (s, "</a>");
  g_string_append (s, "</disk>\n</machine>\n");
  /* libxml2's own limit without XML_PARSE_HUGE is 256 levels. */
  assert_refused (s->str, s->len, MACHINE_ERROR_MALFORMED, "Excessive depth");
}

static void
test_non_utf8 (void)
{
  assert_refused_str (DISK_OPEN "  <os name=\"d\xe9"
                                "bian\"/>\n  <disk id=\"disk0\"/>\n</machine>\n",
                      MACHINE_ERROR_MALFORMED, "hostile.xml:3: not UTF-8 (invalid byte 0xe9");
}

static void
test_overlong_utf8 (void)
{
  /* An overlong '<' must not sneak markup past a byte-level reader. */
  assert_refused_str (DISK_OPEN "  <os name=\"\xc0\xbc\"/>\n  <disk id=\"disk0\"/>\n</machine>\n",
                      MACHINE_ERROR_MALFORMED, "not UTF-8");
}

static void
test_declared_latin1 (void)
{
  assert_refused_str ("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<machine version=\"1\">\n"
                      "  <disk id=\"disk0\"/>\n</machine>\n",
                      MACHINE_ERROR_MALFORMED, "encoding \"ISO-8859-1\" is not allowed");
}

static void
test_utf16 (void)
{
  static const char utf16[] = "\xff\xfe<\0m\0/\0>\0";

  /* ASCII in UTF-16 is half NUL bytes: refused before any decoding. */
  assert_refused (utf16, sizeof utf16 - 1, MACHINE_ERROR_MALFORMED, "NUL byte at offset");
}

static void
test_nul_byte (void)
{
  static const char data[] = DISK_OPEN "  <disk id=\"disk0\"/>\0<disk id=\"disk1\"/>\n</machine>\n";

  assert_refused (data, sizeof data - 1, MACHINE_ERROR_MALFORMED,
                  "hostile.xml:3: NUL byte at offset");
}

static void
test_empty (void)
{
  assert_refused ("", 0, MACHINE_ERROR_MALFORMED, "empty document");
}

static void
test_not_xml (void)
{
  assert_refused_str ("this is not XML\n", MACHINE_ERROR_MALFORMED, "hostile.xml:1:");
}

static void
test_truncated (void)
{
  assert_refused_str (DISK_OPEN "  <disk id=\"disk0\">\n", MACHINE_ERROR_MALFORMED, "hostile.xml:");
}

typedef struct {
  const char *value;
  MachineError code;
  const char *expected;
} NumberCase;

static const NumberCase numbers[] = {
  { "-1", MACHINE_ERROR_SCHEMA,
    "element disk: Invalid attribute bytes for element disk '-1': expected a plain decimal "
    "integer" },
  { "18446744073709551616", MACHINE_ERROR_INVALID,
    "attribute bytes: '18446744073709551616' is too large (more than 64 bits)" },
  { "99999999999999999999", MACHINE_ERROR_INVALID, "too large (more than 64 bits)" },
  { "0x10", MACHINE_ERROR_SCHEMA, "Invalid attribute bytes for element disk '0x10'" },
  { "1e9", MACHINE_ERROR_SCHEMA, "Invalid attribute bytes for element disk '1e9'" },
  { "007", MACHINE_ERROR_SCHEMA, "Invalid attribute bytes for element disk '007'" },
  { " 5", MACHINE_ERROR_SCHEMA, "Invalid attribute bytes for element disk ' 5'" },
  { "+5", MACHINE_ERROR_SCHEMA, "Invalid attribute bytes for element disk '+5'" },
  { "5.0", MACHINE_ERROR_SCHEMA, "Invalid attribute bytes for element disk '5.0'" },
  { "", MACHINE_ERROR_SCHEMA, "Invalid attribute bytes for element disk ''" },
  { "123456789012345678901", MACHINE_ERROR_SCHEMA, "Invalid attribute bytes" },
};

static void
test_number (gconstpointer data)
{
  const NumberCase *c = data;
  g_autofree char *doc
    = g_strdup_printf (DISK_OPEN "  <disk id=\"disk0\" bytes=\"%s\"/>\n</machine>\n", c->value);

  assert_refused_str (doc, c->code, c->expected);
}

static void
test_number_max (void)
{
  static const char doc[]
    = DISK_OPEN "  <disk id=\"disk0\" bytes=\"18446744073709551615\"/>\n</machine>\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m
    = machine_descriptor_parse_data (doc, strlen (doc), "max.xml", &error);

  g_assert_no_error (error);
  g_assert_true (((MachineDisk *) g_ptr_array_index (m->disks, 0))->has_bytes);
  g_assert_cmpuint (((MachineDisk *) g_ptr_array_index (m->disks, 0))->bytes, ==, G_MAXUINT64);
}

static void
test_number_32bit (void)
{
  assert_refused_str (DISK_OPEN
                      "  <disk id=\"disk0\" bytes=\"1048576\">\n"
                      "    <partition-table type=\"gpt\"/>\n"
                      "    <partition number=\"4294967296\" start=\"34\" sectors=\"1\"/>\n"
                      "  </disk>\n</machine>\n",
                      MACHINE_ERROR_INVALID,
                      "hostile.xml:5: element partition: attribute number: '4294967296' is too "
                      "large");
}

/* Big but valid documents: every check, and every lookup the commands
 * make per disk, must be n log n at worst (assert_linear). */
static void
many_partitions (guint n)
{
  g_autoptr (GString) s = g_string_new (DISK_OPEN);
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;

  g_string_append_printf (s,
                          "  <disk id=\"disk0\" bytes=\"%" G_GUINT64_FORMAT "\">\n"
                          "    <partition-table type=\"mbr\"/>\n"
                          "    <partition number=\"1\" kind=\"extended\" start=\"2048\" "
                          "sectors=\"%u\" type=\"0x05\"/>\n",
                          (guint64) (2048 + 2 * n + 8) * 512, 2 * n + 8);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s,
                            "    <partition number=\"%u\" kind=\"logical\" start=\"%u\" "
                            "sectors=\"1\"/>\n",
                            i + 5, 2048 + 2 * i + 1);
  g_string_append (s, "  </disk>\n</machine>\n");
  g_assert_cmpuint (s->len, <=, MACHINE_DESCRIPTOR_MAX_BYTES);

  m = machine_descriptor_parse_data (s->str, s->len, "many.xml", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (((MachineDisk *) g_ptr_array_index (m->disks, 0))->partitions->len, ==, n + 1);
}

static void
test_many_partitions (void)
{
  assert_linear (many_partitions, 2500, "logical partitions");
}

/* Many disks, each with a partition, and what `asr show` asks of each
 * (what sits on the disk and on its partition): the lookup of a disk by
 * id once scanned every disk. */
static void
many_disks (guint n)
{
  g_autoptr (GString) s = g_string_new (DISK_OPEN);
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;
  MachineHolder h;

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s,
                            "  <disk id=\"d%u\" critical=\"no\" bytes=\"1073741824\">\n"
                            "    <partition-table type=\"mbr\" signature=\"0x%08x\"/>\n"
                            "    <partition number=\"1\" kind=\"primary\" start=\"2048\" "
                            "sectors=\"2048\" type=\"0x83\"/>\n"
                            "  </disk>\n",
                            i, i);
  g_string_append (s, "</machine>\n");
  g_assert_cmpuint (s->len, <=, MACHINE_DESCRIPTOR_MAX_BYTES);

  m = machine_descriptor_parse_data (s->str, s->len, "disks.xml", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      g_autofree char *part = g_strdup_printf ("%s/p1", d->id);
      g_autofree char *upper = g_ascii_strup (d->id, -1);
      g_assert_false (machine_descriptor_find_holder (m, d->id, &h));
      g_assert_false (machine_descriptor_find_holder (m, part, &h));
      g_assert_true (machine_descriptor_find_disk (m, upper) == d);
    }
  g_assert_null (machine_descriptor_find_disk (m, "nosuchdisk"));
}

static void
test_many_disks (void)
{
  assert_linear (many_disks, 1000, "disks");
}

/* A wide stack: thousands of whole-disk PVs in one group, and as many
 * critical LVs, each of which could make the checks walk every PV. */
static void
wide_stack (guint n)
{
  g_autoptr (GString) s = g_string_new (DISK_OPEN);
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "  <disk id=\"d%u\" critical=\"yes\" bytes=\"4194304\"/>\n", i);
  g_string_append (s,
                   "  <volume-group name=\"vg0\" uuid=\"vvvvvv-vvvv-vvvv-vvvv-vvvv-vvvv-vvvvvv\" "
                   "extent-bytes=\"4194304\">\n");
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s,
                            "    <pv uuid=\"pppppp-pppp-pppp-pppp-pppp-pppp-%06u\" device=\"d%u\" "
                            "bytes=\"4194304\"/>\n",
                            i, i);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s,
                            "    <lv name=\"lv%u\" uuid=\"llllll-llll-llll-llll-llll-llll-%06u\" "
                            "bytes=\"4194304\">\n"
                            "      <volume fs=\"xfs\" critical=\"yes\"/>\n"
                            "    </lv>\n",
                            i, i);
  g_string_append (s, "  </volume-group>\n</machine>\n");
  g_assert_cmpuint (s->len, <=, MACHINE_DESCRIPTOR_MAX_BYTES);

  m = machine_descriptor_parse_data (s->str, s->len, "wide.xml", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (((MachineVolumeGroup *) g_ptr_array_index (m->volume_groups, 0))->lvs->len, ==,
                    n);
}

static void
test_wide_stack (void)
{
  assert_linear (wide_stack, 500, "PVs and LVs");
}

/* A deep stack: LUKS containers one on another, twenty thousand deep,
 * must neither overflow the C stack nor take long: refused. */
static void
test_deep_stack (void)
{
  const guint n = 20000;
  g_autoptr (GString) s = g_string_new (DISK_OPEN);

  g_string_append (s, "  <disk id=\"disk0\" bytes=\"1073741824\"/>\n");
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *below = i == 0 ? g_strdup ("disk0") : g_strdup_printf ("c%u", i - 1);
      g_string_append_printf (s,
                              "  <luks id=\"c%u\" uuid=\"00000000-0000-4000-8000-%012u\" "
                              "type=\"luks2\" device=\"%s\"/>\n",
                              i, i, below);
    }
  g_string_append (s, "</machine>\n");
  g_assert_cmpuint (s->len, <=, MACHINE_DESCRIPTOR_MAX_BYTES);
  assert_refused (s->str, s->len, MACHINE_ERROR_INVALID,
                  "more than 8 md arrays and LUKS containers on one another");
}

/* Many problems: the message is capped, not one line per problem. */
static void
test_many_problems (void)
{
  const guint n = 20000;
  g_autoptr (GString) s = g_string_new (DISK_OPEN);

  for (guint i = 0; i < n; i++)
    g_string_append (s, "  <disk id=\"disk0\"/>\n");
  g_string_append (s, "</machine>\n");
  assert_refused (s->str, s->len, MACHINE_ERROR_INVALID, "more problems not shown");
}

/* libxml2 must not print: run the worst of the above in a child and look
 * at what it wrote. */
static void
test_quiet (void)
{
  if (g_test_subprocess ())
    {
      test_external_entity ();
      test_billion_laughs ();
      test_deep_nesting ();
      test_undefined_entity ();
      test_not_xml ();
      test_truncated ();
      test_xinclude_not_processed ();
      test_number (&numbers[0]);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("");
  g_test_trap_assert_stderr ("");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* meson sets MALLOC_PERTURB_: glibc then fills every chunk it hands out
   * or takes back, and with the heap this program leaves behind, that
   * fill alone made 16000 disks cost 2 s against 16 ms for 1000 (libxml2
   * 2.9.14+dfsg-1.3~deb12u6).  The CPU-time checks measure asr's
   * parsing, not the allocator's debug fill. */
  mallopt (M_PERTURB, 0);

  g_test_add_func ("/machine/hostile/baseline-accepted", test_minimal_accepted);
  g_test_add_func ("/machine/hostile/external-entity", test_external_entity);
  g_test_add_func ("/machine/hostile/external-dtd", test_external_dtd);
  g_test_add_func ("/machine/hostile/billion-laughs", test_billion_laughs);
  g_test_add_func ("/machine/hostile/undefined-entity", test_undefined_entity);
  g_test_add_func ("/machine/hostile/xinclude", test_xinclude_not_processed);
  g_test_add_func ("/machine/hostile/size/100MiB-buffer", test_too_large);
  g_test_add_func ("/machine/hostile/size/cap-plus-one", test_just_over_cap);
  g_test_add_func ("/machine/hostile/size/100MiB-file", test_too_large_file);
  g_test_add_func ("/machine/hostile/file/fifo", test_fifo);
  g_test_add_func ("/machine/hostile/file/directory", test_directory);
  g_test_add_func ("/machine/hostile/file/missing", test_missing_file);
  g_test_add_func ("/machine/hostile/nesting-10000", test_deep_nesting);
  g_test_add_func ("/machine/hostile/encoding/non-utf8", test_non_utf8);
  g_test_add_func ("/machine/hostile/encoding/overlong-utf8", test_overlong_utf8);
  g_test_add_func ("/machine/hostile/encoding/declared-latin1", test_declared_latin1);
  g_test_add_func ("/machine/hostile/encoding/utf16", test_utf16);
  g_test_add_func ("/machine/hostile/nul-byte", test_nul_byte);
  g_test_add_func ("/machine/hostile/empty", test_empty);
  g_test_add_func ("/machine/hostile/not-xml", test_not_xml);
  g_test_add_func ("/machine/hostile/truncated", test_truncated);
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      g_autofree char *escaped = g_strescape (numbers[i].value, NULL);
      g_autofree char *path = g_strdup_printf ("/machine/hostile/number/'%s'", escaped);
      g_test_add_data_func (path, &numbers[i], test_number);
    }
  g_test_add_func ("/machine/hostile/number/max-accepted", test_number_max);
  g_test_add_func ("/machine/hostile/number/over-32-bits", test_number_32bit);
  g_test_add_func ("/machine/hostile/many-partitions", test_many_partitions);
  g_test_add_func ("/machine/hostile/many-disks", test_many_disks);
  g_test_add_func ("/machine/hostile/many-problems", test_many_problems);
  g_test_add_func ("/machine/hostile/stack/wide", test_wide_stack);
  g_test_add_func ("/machine/hostile/stack/deep", test_deep_stack);
  g_test_add_func ("/machine/hostile/quiet", test_quiet);
  return g_test_run ();
}
