/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: the filesystems whose used blocks capture reads
 * (usedmap/): byte 0 selects the reader (bit 0: FAT, else bit 1: xfs,
 * else ext2/3/4 through libext2fs), the rest is the start of a 64 MiB
 * volume (zeroes after it), in a memory file.  The readers run in-process, where
 * libFuzzer sees their coverage (through a fork it would see none) and
 * ASan their faults, libext2fs's among them: capture runs the ext reader
 * in a sandboxed child, but a libext2fs overflow on some geometry is a
 * geometry ext-map.c must refuse before it calls libext2fs.  A refusal
 * is an ASR_USED_MAP_ERROR with a message; an accepted filesystem's free
 * extents are in order, disjoint and inside the volume, and the ext
 * reader's cross the sandbox unchanged (asr_used_map_read); an accepted
 * xfs's files are read as inspection reads them (asr_xfs_read_files).
 */
#include "config.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "usedmap.h"

#define VOLUME_BYTES (64u << 20)

typedef struct {
  guint64 end;
} Seen;

static gboolean
seen (const AsrExtent *e, gpointer opaque)
{
  Seen *s = opaque;
  if (e->bytes == 0 || e->offset < s->end || e->offset > VOLUME_BYTES
      || e->bytes > VOLUME_BYTES - e->offset)
    fuzz_fail ("free extent %llu+%llu is out of order or outside the volume",
               (unsigned long long) e->offset, (unsigned long long) e->bytes);
  s->end = e->offset + e->bytes;
  return TRUE;
}

static gboolean
keep (const AsrExtent *e, gpointer opaque)
{
  g_array_append_val ((GArray *) opaque, *e);
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  static int fd = -1;
  char path[64];
  Seen s = { 0 };
  gboolean ok;

  if (size < 1)
    return 0;
  if (fd < 0)
    fd = memfd_create ("volume", MFD_CLOEXEC);
  if (fd < 0 || ftruncate (fd, 0) != 0 || pwrite (fd, data + 1, size - 1, 0) != (ssize_t) size - 1
      || ftruncate (fd, VOLUME_BYTES) != 0)
    fuzz_fail ("cannot write the input to a memory file");
  g_snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  if (data[0] & 1)
    ok = asr_fat_free_extents (path, 0, VOLUME_BYTES, seen, &s, &error);
  else if (data[0] & 2)
    {
      ok = asr_xfs_free_extents (path, 0, VOLUME_BYTES, seen, &s, &error);
      if (ok)
        {
          /* what inspection reads, through directories and symlinks */
          static const char *const names[] = {
            "/etc/os-release", "/etc/many/entry-number-377", "/big", "/sub/inner", "/bin/sh", NULL
          };
          AsrVolumeFile files[G_N_ELEMENTS (names) - 1] = { { 0 } };
          ok = asr_xfs_read_files (path, 0, VOLUME_BYTES, names, 4096, files, &error);
          for (guint i = 0; i < G_N_ELEMENTS (files); i++)
            {
              if (files[i].found
                  && (files[i].data == NULL || g_bytes_get_size (files[i].data) > 4096))
                fuzz_fail ("%s: found, but with no data or more than asked for", names[i]);
              asr_volume_file_clear (&files[i]);
            }
        }
    }
  else
    {
      g_autoptr (GArray) direct = g_array_new (FALSE, FALSE, sizeof (AsrExtent));
      ok = asr_ext_free_extents (path, 0, VOLUME_BYTES, keep, direct, &error);
      for (guint i = 0; ok && i < direct->len; i++)
        seen (&g_array_index (direct, AsrExtent, i), &s);
      if (ok)
        {
          g_autoptr (GError) local = NULL;
          g_autoptr (AsrUsedMap) map = asr_used_map_read (path, 0, VOLUME_BYTES, &local);
          if (map == NULL)
            fuzz_fail ("the sandboxed reader refused what the reader accepts: %s", local->message);
          if (map->free->len != direct->len
              || (direct->len > 0
                  && memcmp (map->free->data, direct->data, direct->len * sizeof (AsrExtent)) != 0))
            fuzz_fail ("the sandboxed reader's %u free extents differ from the reader's %u",
                       map->free->len, direct->len);
        }
    }
  if (!ok)
    fuzz_check_refusal (error, ASR_USED_MAP_ERROR, -1);
  return 0;
}
