/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's /sys, /proc, /dev and /run under a root prefix, so tests can
 * hand in a fake tree.  Every read is bounded and a missing entry is a
 * NULL, never an error: sysfs differs between kernels, buses and
 * hypervisors, and an unknown fact is fine.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probe-private.h"

#define MAX_LINE_FILE_BYTES (64u * 1024u)
#define MAX_FILE_BYTES (4u * 1024u * 1024u)

char *
asr_host_path (const char *root, const char *rel)
{
  while (*rel == '/')
    rel++;
  if (root == NULL || *root == '\0' || strcmp (root, "/") == 0)
    return g_strconcat ("/", rel, NULL);
  return g_build_filename (root, rel, NULL);
}

static char *
read_bounded (const char *path, gsize max)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  FILE *fp;

  /* sysfs and procfs report a size of 4096 or 0 whatever the content:
   * read in a loop up to the bound rather than trusting stat. */
  fp = fopen (path, "re");
  if (fp == NULL)
    return NULL;
  data = g_malloc (max + 1);
  while (len < max)
    {
      size_t n = fread (data + len, 1, max - len, fp);
      if (n == 0)
        break;
      len += n;
    }
  if (ferror (fp))
    {
      fclose (fp);
      return NULL;
    }
  fclose (fp);
  data[len] = '\0';
  return g_steal_pointer (&data);
}

char *
asr_host_read_all (const char *root, const char *rel)
{
  g_autofree char *path = asr_host_path (root, rel);
  return read_bounded (path, MAX_FILE_BYTES);
}

char *
asr_host_read_line (const char *root, const char *rel)
{
  g_autofree char *path = asr_host_path (root, rel);
  g_autofree char *data = read_bounded (path, MAX_LINE_FILE_BYTES);
  char *nl;

  if (data == NULL)
    return NULL;
  nl = strchr (data, '\n');
  if (nl)
    *nl = '\0';
  g_strstrip (data);
  if (*data == '\0' || !g_utf8_validate (data, -1, NULL))
    return NULL;
  return g_steal_pointer (&data);
}

gboolean
asr_host_read_u64 (const char *root, const char *rel, guint64 *out)
{
  g_autofree char *line = asr_host_read_line (root, rel);
  return line && g_ascii_string_to_unsigned (line, 10, 0, G_MAXUINT64, out, NULL);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
asr_host_list_dir (const char *root, const char *rel)
{
  g_autofree char *path = asr_host_path (root, rel);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return names;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  return names;
}

gboolean
asr_host_exists (const char *root, const char *rel)
{
  g_autofree char *path = asr_host_path (root, rel);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

char *
asr_host_link_basename (const char *root, const char *rel)
{
  g_autofree char *path = asr_host_path (root, rel);
  g_autofree char *target = g_file_read_link (path, NULL);
  if (target == NULL)
    return NULL;
  return g_path_get_basename (target);
}
