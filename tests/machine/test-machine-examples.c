/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every schema example, data-driven: each valid/ example parses, validates
 * with the meaning checks, and formats back to the same bytes; each
 * invalid/ example fails with the message in NAME.expected beside it.
 */
#include "config.h"

#include <string.h>

#include "machine.h"

static char *
example_path (const char *sub, const char *file)
{
  return g_build_filename (ASR_EXAMPLES_DIR, sub, file, NULL);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  /* g_ptr_array_sort passes pointers to the elements. */
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
list_examples (const char *sub)
{
  g_autofree char *dir = g_build_filename (ASR_EXAMPLES_DIR, sub, NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".xml"))
      g_ptr_array_add (names, g_strndup (name, strlen (name) - 4));
  g_ptr_array_sort (names, compare_names);
  return names;
}

static void
test_valid (gconstpointer data)
{
  const char *name = data;
  g_autofree char *file = g_strconcat (name, ".xml", NULL);
  g_autofree char *path = example_path ("valid", file);
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = machine_descriptor_parse_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (m);
  g_assert_cmpuint (m->version, ==, 1);
  g_assert_cmpuint (m->disks->len, >, 0);
  g_assert_true (machine_descriptor_check (m, path, &error));
  g_assert_no_error (error);
}

static void
test_roundtrip (gconstpointer data)
{
  const char *name = data;
  g_autofree char *file = g_strconcat (name, ".xml", NULL);
  g_autofree char *path = example_path ("valid", file);
  g_autofree char *text = NULL;
  g_autofree char *formatted = NULL;
  g_autofree char *again = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;
  g_autoptr (MachineDescriptor) m2 = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &text, &len, &error));
  g_assert_no_error (error);
  m = machine_descriptor_parse_data (text, len, file, &error);
  g_assert_no_error (error);
  formatted = machine_descriptor_format (m, &error);
  g_assert_no_error (error);
  /* Byte-identical: the examples are written in canonical form. */
  g_assert_cmpstr (formatted, ==, text);

  m2 = machine_descriptor_parse_data (formatted, strlen (formatted), file, &error);
  g_assert_no_error (error);
  again = machine_descriptor_format (m2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, formatted);
}

static void
test_invalid (gconstpointer data)
{
  const char *name = data;
  g_autofree char *file = g_strconcat (name, ".xml", NULL);
  g_autofree char *efile = g_strconcat (name, ".expected", NULL);
  g_autofree char *path = example_path ("invalid", file);
  g_autofree char *epath = example_path ("invalid", efile);
  g_autofree char *expected = NULL;
  g_autofree char *located = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;

  g_assert_true (g_file_get_contents (epath, &expected, NULL, &error));
  g_assert_no_error (error);
  g_strchomp (expected);
  g_assert_cmpstr (expected, !=, "");

  m = machine_descriptor_parse_file (path, &error);
  g_assert_null (m);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_true (error->domain == MACHINE_ERROR);
  g_assert_true (error->code == MACHINE_ERROR_MALFORMED || error->code == MACHINE_ERROR_SCHEMA
                 || error->code == MACHINE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, expected));
  /* Every problem names the file and, since it came from a file, a line. */
  located = g_strconcat (path, ":", NULL);
  g_assert_true (g_str_has_prefix (error->message, located));
  g_assert_true (g_ascii_isdigit (error->message[strlen (located)]));
}

/* An invalid example without its .expected could pass for any reason. */
static void
test_expected_files (void)
{
  g_autoptr (GPtrArray) invalid = list_examples ("invalid");
  g_autofree char *dir = g_build_filename (ASR_EXAMPLES_DIR, "invalid", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_cmpuint (invalid->len, >=, 20);
  for (guint i = 0; i < invalid->len; i++)
    {
      g_autofree char *efile = g_strconcat (g_ptr_array_index (invalid, i), ".expected", NULL);
      g_autofree char *epath = example_path ("invalid", efile);
      g_assert_true (g_file_test (epath, G_FILE_TEST_IS_REGULAR));
    }
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *base = NULL;
      g_autofree char *xml = NULL;
      g_autofree char *xpath = NULL;

      if (!g_str_has_suffix (name, ".expected"))
        continue;
      base = g_strndup (name, strlen (name) - strlen (".expected"));
      xml = g_strconcat (base, ".xml", NULL);
      xpath = example_path ("invalid", xml);
      g_assert_true (g_file_test (xpath, G_FILE_TEST_IS_REGULAR));
    }
}

static void
test_required_examples (void)
{
  static const char *const required[] = {
    "bios-mbr-server", "uefi-gpt-server", "two-critical-disks", "probed-target", "mbr-extended",
  };

  for (guint i = 0; i < G_N_ELEMENTS (required); i++)
    {
      g_autofree char *file = g_strconcat (required[i], ".xml", NULL);
      g_autofree char *path = example_path ("valid", file);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    }
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) valid = NULL;
  g_autoptr (GPtrArray) invalid = NULL;

  g_test_init (&argc, &argv, NULL);

  valid = list_examples ("valid");
  invalid = list_examples ("invalid");
  g_test_add_func ("/machine/examples/required", test_required_examples);
  g_test_add_func ("/machine/examples/expected-files", test_expected_files);
  for (guint i = 0; i < valid->len; i++)
    {
      const char *name = g_ptr_array_index (valid, i);
      g_autofree char *p1 = g_strdup_printf ("/machine/parse/valid/%s", name);
      g_autofree char *p2 = g_strdup_printf ("/machine/roundtrip/%s", name);
      g_test_add_data_func_full (p1, g_strdup (name), test_valid, g_free);
      g_test_add_data_func_full (p2, g_strdup (name), test_roundtrip, g_free);
    }
  for (guint i = 0; i < invalid->len; i++)
    {
      const char *name = g_ptr_array_index (invalid, i);
      g_autofree char *p = g_strdup_printf ("/machine/parse/invalid/%s", name);
      g_test_add_data_func_full (p, g_strdup (name), test_invalid, g_free);
    }
  return g_test_run ();
}
