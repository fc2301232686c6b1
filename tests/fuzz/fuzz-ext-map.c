/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: an ext2/3/4 filesystem, as capture reads its used
 * blocks (usedmap/ext-map.c, through libext2fs).  The input is the whole
 * volume, in a memory file.  A refusal is an ASR_USED_MAP_ERROR with a
 * message; an accepted filesystem's free extents are in order, disjoint
 * and inside the volume.
 */
#include "config.h"

#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "usedmap.h"

typedef struct {
  guint64 bytes, end;
} Seen;

static gboolean
seen (const AsrExtent *e, gpointer opaque)
{
  Seen *s = opaque;
  if (e->bytes == 0 || e->offset < s->end || e->offset > s->bytes
      || e->bytes > s->bytes - e->offset)
    fuzz_fail ("free extent %llu+%llu is out of order or outside the %llu-byte volume",
               (unsigned long long) e->offset, (unsigned long long) e->bytes,
               (unsigned long long) s->bytes);
  s->end = e->offset + e->bytes;
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  static int fd = -1;
  char path[64];
  Seen s = { size, 0 };

  if (fd < 0)
    fd = memfd_create ("volume", MFD_CLOEXEC);
  if (fd < 0 || ftruncate (fd, 0) != 0 || pwrite (fd, data, size, 0) != (ssize_t) size)
    fuzz_fail ("cannot write the input to a memory file");
  g_snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  if (!asr_ext_free_extents (path, 0, size, seen, &s, &error))
    fuzz_check_refusal (error, ASR_USED_MAP_ERROR, -1);
  return 0;
}
