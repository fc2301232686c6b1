/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: the filesystems whose used blocks capture reads
 * (usedmap/): byte 0 selects the reader (bit 0: FAT, in-process; else
 * ext2/3/4 through libext2fs, in the sandboxed child, as capture runs
 * it), the rest is the start of a 64 MiB volume (zeroes after it), in a
 * memory file.  A refusal is an ASR_USED_MAP_ERROR with
 * a message; an accepted filesystem's free extents are in order,
 * disjoint and inside the volume.
 */
#include "config.h"

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
  else
    {
      /* libext2fs is not asr's code, and hostile bitmaps overflow its
       * buffers (1.47.0, ext2fs_rw_bitmaps): as capture does, it runs in
       * the sandboxed child, where a crash is a refusal; the answer the
       * parent accepts is what is checked. */
      g_autoptr (AsrUsedMap) map = asr_used_map_read (path, 0, VOLUME_BYTES, &error);
      ok = map != NULL;
      for (guint i = 0; ok && i < map->free->len; i++)
        seen (&g_array_index (map->free, AsrExtent, i), &s);
    }
  if (!ok)
    fuzz_check_refusal (error, ASR_USED_MAP_ERROR, -1);
  return 0;
}
