/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The descriptor as JSON: each valid schema example gives exactly the
 * bytes recorded in tests/machine/json/ (what `asr show --json` printed
 * before the writer moved here: scripts read it), and sizes beyond int64
 * stay exact.
 */
#include "config.h"

#include <string.h>

#include "machine-json.h"

static void
test_example (gconstpointer data)
{
  const char *name = data;
  g_autofree char *xml = g_strdup_printf ("%s/valid/%s.xml", ASR_EXAMPLES_DIR, name);
  g_autofree char *golden = g_strdup_printf ("%s/%s.json", ASR_JSON_DIR, name);
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = machine_descriptor_parse_file (xml, &error);
  g_autofree char *want = NULL;

  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (golden, &want, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *json = machine_descriptor_to_json (m);
  g_autofree char *got = g_strconcat (json, "\n", NULL);
  g_assert_cmpstr (got, ==, want);
}

static void
test_u64 (void)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  machine_json_add_u64 (b, "small", 512);
  machine_json_add_u64 (b, "max", G_MAXINT64);
  machine_json_add_u64 (b, "beyond", G_MAXUINT64);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  g_autofree char *s = json_generator_to_data (gen, NULL);
  g_assert_cmpstr (
    s, ==, "{\"small\":512,\"max\":9223372036854775807,\"beyond\":\"18446744073709551615\"}");
}

static int
cmp_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_build_filename (ASR_EXAMPLES_DIR, "valid", NULL);
  g_autoptr (GDir) d = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *n;

  g_test_init (&argc, &argv, NULL);
  d = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((n = g_dir_read_name (d)))
    if (g_str_has_suffix (n, ".xml"))
      g_ptr_array_add (names, g_strndup (n, strlen (n) - 4));
  g_ptr_array_sort (names, cmp_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path
        = g_strdup_printf ("/machine/json/example/%s", (char *) g_ptr_array_index (names, i));
      g_test_add_data_func (path, g_ptr_array_index (names, i), test_example);
    }
  g_test_add_func ("/machine/json/u64", test_u64);
  return g_test_run ();
}
