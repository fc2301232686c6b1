/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The partition-table module against the real tools, on plain files (no
 * loop device): sfdisk writes a table, ptable_read must see what
 * `sfdisk --json` sees; ptable_build writes it again and the bytes must be
 * sfdisk's, and sfdisk and sgdisk must find no problem in what we wrote.
 * Skipped (TAP "1..0 # SKIP") without sfdisk; the sgdisk checks skip alone.
 */
#include "config.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "ptable.h"

#define DISK_BYTES (64u * 1024u * 1024u)

static char *tmpdir;
static char *sfdisk_path;
static char *sgdisk_path;

static const char mbr_script[] = "label: dos\n"
                                 "label-id: 0x1234abcd\n"
                                 "unit: sectors\n"
                                 "\n"
                                 "start=2048, size=20480, type=83, bootable\n"
                                 "start=22528, size=100000, type=f\n"
                                 "start=24576, size=8192, type=82\n"
                                 "start=34816, size=8192, type=83, bootable\n"
                                 "start=45056, size=16384, type=7\n";

static const char gpt_script[]
  = "label: gpt\n"
    "label-id: 5A4B3C2D-1E0F-4A5B-8C7D-6E5F4A3B2C1D\n"
    "unit: sectors\n"
    "first-lba: 34\n"
    "\n"
    "start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, "
    "uuid=11111111-2222-4333-8444-555555555555, name=\"bios\", attrs=\"GUID:63\"\n"
    "start=4096, size=8192, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, "
    "uuid=AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE, name=\"EFI System Partition\", "
    "attrs=\"RequiredPartition,LegacyBIOSBootable,GUID:48,GUID:60,GUID:63\"\n"
    "start=16384, size=40960, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, "
    "uuid=01234567-89AB-4DEF-8123-456789ABCDEF, name=\"root fs \xc3\xbcn\xc3\xaf"
    "c\xc3\xb8"
    "d\xc3\xa9\"\n"
    "start=61440, size=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, "
    "uuid=01234567-89AB-4DEF-8123-456789ABCDE0, name=\"abcdefghijklmnopqrstuvwxyz0123456789\"\n";

/* ---- helpers -------------------------------------------------------- */

static char *
run (const char *const *argv, const char *input, GError **error)
{
  g_autoptr (GSubprocess) p = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  p = g_subprocess_newv (argv,
                         G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                           | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                         error);
  if (p == NULL || !g_subprocess_communicate_utf8 (p, input, NULL, &out, &err, error))
    return NULL;
  if (!g_subprocess_get_successful (p))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s%s", argv[0], out, err);
      return NULL;
    }
  return g_strconcat (out, err, NULL);
}

static char *
new_disk (const char *name, guint64 bytes)
{
  char *path = g_build_filename (tmpdir, name, NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) bytes), ==, 0);
  close (fd);
  return path;
}

static char *
sfdisk_disk (const char *name, const char *script)
{
  g_autoptr (GError) error = NULL;
  char *path = new_disk (name, DISK_BYTES);
  const char *argv[] = { sfdisk_path, "-q", "--no-reread", "--no-tell-kernel", path, NULL };
  g_autofree char *out = run (argv, script, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  return path;
}

static PtableTable *
read_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  PtableReader r;
  PtableTable *t;
  struct stat st;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (fstat (fd, &st), ==, 0);
  ptable_reader_init_fd (&r, fd, (guint64) st.st_size, 512);
  t = ptable_read (&r, &error);
  close (fd);
  g_assert_no_error (error);
  return t;
}

static char *
build_file (const char *name, const PtableTable *t, guint64 bytes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PtableWrites) w = ptable_build (t, bytes, 512, &error);
  char *path = new_disk (name, bytes);
  int fd;

  g_assert_no_error (error);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_true (ptable_writes_apply_fd (w, fd, &error));
  g_assert_no_error (error);
  close (fd);
  return path;
}

static JsonObject *
sfdisk_json (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *argv[] = { sfdisk_path, "--json", path, NULL };
  g_autofree char *out = run (argv, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (
    json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                   "partitiontable"));
}

static guint32
node_number (JsonObject *p, const char *path)
{
  const char *node = json_object_get_string_member (p, "node");
  g_assert_true (g_str_has_prefix (node, path));
  return (guint32) g_ascii_strtoull (node + strlen (path), NULL, 10);
}

/* sfdisk's spelling of GPT attributes: names for bits 0-2, "GUID:a,b"
 * for bits 48-63 */
static guint64
sfdisk_attrs (const char *s)
{
  g_auto (GStrv) words = g_strsplit (s != NULL ? s : "", " ", -1);
  guint64 v = 0;

  for (guint i = 0; words[i] != NULL; i++)
    {
      if (g_str_equal (words[i], "RequiredPartition"))
        v |= 1;
      else if (g_str_equal (words[i], "NoBlockIOProtocol"))
        v |= 2;
      else if (g_str_equal (words[i], "LegacyBIOSBootable"))
        v |= 4;
      else if (g_str_has_prefix (words[i], "GUID:"))
        {
          g_auto (GStrv) bits = g_strsplit (words[i] + 5, ",", -1);
          for (guint k = 0; bits[k] != NULL; k++)
            v |= 1ull << g_ascii_strtoull (bits[k], NULL, 10);
        }
      else if (words[i][0] != '\0')
        g_error ("unknown sfdisk attribute %s", words[i]);
    }
  return v;
}

/* t must say what sfdisk --json says about path. */
static void
assert_matches_sfdisk (const PtableTable *t, const char *path)
{
  g_autoptr (JsonObject) pt = sfdisk_json (path);
  JsonArray *parts = json_object_get_array_member (pt, "partitions");

  g_assert_cmpuint (json_object_get_int_member (pt, "sectorsize"), ==, t->sector_size);
  g_assert_cmpuint (json_array_get_length (parts), ==, t->partitions->len);
  if (t->type == PTABLE_TYPE_MBR)
    {
      g_autofree char *id = g_strdup_printf ("0x%08x", t->mbr_signature);
      g_assert_cmpstr (json_object_get_string_member (pt, "label"), ==, "dos");
      g_assert_cmpstr (json_object_get_string_member (pt, "id"), ==, id);
    }
  else
    {
      g_assert_cmpstr (json_object_get_string_member (pt, "label"), ==, "gpt");
      g_assert_cmpint (g_ascii_strcasecmp (json_object_get_string_member (pt, "id"), t->disk_guid),
                       ==, 0);
      g_assert_cmpuint (json_object_get_int_member (pt, "firstlba"), ==, t->first_usable_lba);
      g_assert_cmpuint (json_object_get_int_member (pt, "lastlba"), ==, t->last_usable_lba);
    }

  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonObject *jp = json_array_get_object_element (parts, i);
      const PtablePartition *p = ptable_table_find_partition (t, node_number (jp, path));

      g_assert_nonnull (p);
      g_test_message ("partition %u", p->number);
      g_assert_cmpuint (json_object_get_int_member (jp, "start"), ==, p->start_sector);
      g_assert_cmpuint (json_object_get_int_member (jp, "size"), ==, p->sectors);
      if (t->type == PTABLE_TYPE_MBR)
        {
          g_assert_cmphex (g_ascii_strtoull (json_object_get_string_member (jp, "type"), NULL, 16),
                           ==, p->mbr_type);
          g_assert_cmpint (json_object_get_boolean_member_with_default (jp, "bootable", FALSE), ==,
                           p->bootable);
          g_assert_cmpint (p->kind, ==,
                           p->number >= 5        ? PTABLE_KIND_LOGICAL
                           : p->mbr_type == 0x0f ? PTABLE_KIND_EXTENDED
                                                 : PTABLE_KIND_PRIMARY);
        }
      else
        {
          g_assert_cmpint (g_ascii_strcasecmp (json_object_get_string_member (jp, "type"),
                                               p->type_guid),
                           ==, 0);
          g_assert_cmpint (g_ascii_strcasecmp (json_object_get_string_member (jp, "uuid"), p->guid),
                           ==, 0);
          g_assert_cmpstr (json_object_get_string_member_with_default (jp, "name", ""), ==,
                           p->name);
          g_assert_cmphex (sfdisk_attrs (
                             json_object_get_string_member_with_default (jp, "attrs", NULL)),
                           ==, p->attributes);
        }
    }
}

static void
assert_same_bytes (const char *a, const char *b, guint64 offset, gsize len, const char *what)
{
  g_autofree char *ca = NULL;
  g_autofree char *cb = NULL;
  gsize la, lb;

  g_test_message ("comparing %s: %zu bytes at %" G_GUINT64_FORMAT, what, len, offset);
  g_assert_true (g_file_get_contents (a, &ca, &la, NULL));
  g_assert_true (g_file_get_contents (b, &cb, &lb, NULL));
  g_assert_cmpuint (offset + len, <=, MIN (la, lb));
  g_assert_cmpmem (ca + offset, len, cb + offset, len);
}

static void
assert_sfdisk_verifies (const char *path)
{
  g_autoptr (GError) error = NULL;
  const char *argv[] = { sfdisk_path, "--verify", path, NULL };
  g_autofree char *out = run (argv, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out, "No errors detected."));
}

static void
assert_sgdisk_verifies (const char *path)
{
  g_autoptr (GError) error = NULL;
  const char *argv[] = { sgdisk_path, "-v", path, NULL };
  g_autofree char *out = run (argv, NULL, &error);
  g_assert_no_error (error);
  if (strstr (out, "No problems found.") == NULL)
    g_assert_cmpstr (out, ==, "No problems found.");
}

/* ---- tests ---------------------------------------------------------- */

static void
test_mbr_read (void)
{
  g_autofree char *path = sfdisk_disk ("mbr-read.img", mbr_script);
  g_autoptr (PtableTable) t = read_file (path);

  g_assert_cmpint (t->type, ==, PTABLE_TYPE_MBR);
  g_assert_cmphex (t->mbr_signature, ==, 0x1234abcd);
  g_assert_cmpuint (t->partitions->len, ==, 5);
  g_assert_cmpuint (t->first_partition_start_sector, ==, 2048);
  g_assert_cmpuint (t->warnings->len, ==, 0);
  assert_matches_sfdisk (t, path);
}

static void
test_mbr_build (void)
{
  g_autofree char *orig = sfdisk_disk ("mbr-orig.img", mbr_script);
  g_autoptr (PtableTable) t = read_file (orig);
  g_autofree char *ours = build_file ("mbr-ours.img", t, DISK_BYTES);
  g_autoptr (PtableTable) back = read_file (ours);
  g_autofree char *diff = ptable_table_diff (t, back);

  g_assert_cmpstr (diff, ==, NULL);
  /* the table bytes are sfdisk's, CHS included */
  assert_same_bytes (orig, ours, 440, 72, "MBR");
  for (guint i = 0; i < t->partitions->len; i++)
    {
      const PtablePartition *p = g_ptr_array_index (t->partitions, i);
      if (p->kind == PTABLE_KIND_LOGICAL)
        assert_same_bytes (orig, ours, p->ebr_sector * 512, 512, "EBR");
    }
  assert_matches_sfdisk (t, ours);
  assert_sfdisk_verifies (ours);
}

static void
test_gpt_read (void)
{
  g_autofree char *path = sfdisk_disk ("gpt-read.img", gpt_script);
  g_autoptr (PtableTable) t = read_file (path);

  g_assert_cmpint (t->type, ==, PTABLE_TYPE_GPT);
  g_assert_cmpstr (t->disk_guid, ==, "5a4b3c2d-1e0f-4a5b-8c7d-6e5f4a3b2c1d");
  g_assert_cmpuint (t->partitions->len, ==, 4);
  g_assert_cmphex (ptable_table_find_partition (t, 2)->attributes, ==, 0x9001000000000005ull);
  g_assert_cmphex (ptable_table_find_partition (t, 1)->attributes, ==, 0x8000000000000000ull);
  g_assert_cmpstr (ptable_table_find_partition (t, 4)->name, ==,
                   "abcdefghijklmnopqrstuvwxyz0123456789");
  g_assert_cmpuint (t->warnings->len, ==, 0);
  assert_matches_sfdisk (t, path);
}

static void
test_gpt_build (void)
{
  g_autofree char *orig = sfdisk_disk ("gpt-orig.img", gpt_script);
  g_autoptr (PtableTable) t = read_file (orig);
  g_autofree char *ours = build_file ("gpt-ours.img", t, DISK_BYTES);
  g_autoptr (PtableTable) back = read_file (ours);
  g_autofree char *diff = ptable_table_diff (t, back);
  const guint64 last = DISK_BYTES / 512 - 1;

  g_assert_cmpstr (diff, ==, NULL);
  assert_same_bytes (orig, ours, 440, 72, "protective MBR");
  assert_same_bytes (orig, ours, 512, 512 * 33, "primary GPT header and entries");
  assert_same_bytes (orig, ours, (last - 32) * 512, 512 * 33, "backup GPT entries and header");
  assert_matches_sfdisk (back, ours);
  assert_sfdisk_verifies (ours);
}

static void
test_gpt_sgdisk (void)
{
  g_autofree char *orig = NULL;
  g_autofree char *same = NULL;
  g_autofree char *larger = NULL;
  g_autoptr (PtableTable) t = NULL;
  g_autoptr (PtableTable) back = NULL;
  g_autofree char *diff = NULL;

  if (sgdisk_path == NULL)
    {
      g_test_skip ("sgdisk (gdisk) not installed");
      return;
    }
  orig = sfdisk_disk ("gpt-sg-orig.img", gpt_script);
  assert_sgdisk_verifies (orig);
  t = read_file (orig);
  same = build_file ("gpt-sg-same.img", t, DISK_BYTES);
  assert_sgdisk_verifies (same);
  larger = build_file ("gpt-sg-larger.img", t, 3ull * DISK_BYTES + 4096);
  assert_sgdisk_verifies (larger);
  back = read_file (larger);
  g_assert_cmpuint (back->last_usable_lba, ==, (3ull * DISK_BYTES + 4096) / 512 - 34);
  g_assert_cmpuint (back->warnings->len, ==, 0);
  diff = ptable_table_diff (t, back);
  g_assert_cmpstr (diff, ==, NULL);
  assert_matches_sfdisk (back, larger);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  sfdisk_path = g_find_program_in_path ("sfdisk");
  if (sfdisk_path == NULL)
    sfdisk_path = g_strdup (
      g_file_test ("/usr/sbin/sfdisk", G_FILE_TEST_IS_EXECUTABLE) ? "/usr/sbin/sfdisk" : NULL);
  sgdisk_path = g_find_program_in_path ("sgdisk");
  if (sgdisk_path == NULL && g_file_test ("/usr/sbin/sgdisk", G_FILE_TEST_IS_EXECUTABLE))
    sgdisk_path = g_strdup ("/usr/sbin/sgdisk");
  if (sfdisk_path == NULL)
    {
      g_print ("1..0 # SKIP sfdisk (util-linux) not installed\n");
      return 0;
    }

  tmpdir = g_dir_make_tmp ("asr-ptable-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/imager/ptable-tools/mbr/read-sfdisk", test_mbr_read);
  g_test_add_func ("/imager/ptable-tools/mbr/build-like-sfdisk", test_mbr_build);
  g_test_add_func ("/imager/ptable-tools/gpt/read-sfdisk", test_gpt_read);
  g_test_add_func ("/imager/ptable-tools/gpt/build-like-sfdisk", test_gpt_build);
  g_test_add_func ("/imager/ptable-tools/gpt/sgdisk-verify", test_gpt_sgdisk);
  ret = g_test_run ();

  {
    g_autoptr (GDir) dir = g_dir_open (tmpdir, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *p = g_build_filename (tmpdir, name, NULL);
        g_unlink (p);
      }
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  g_free (sfdisk_path);
  g_free (sgdisk_path);
  return ret;
}
