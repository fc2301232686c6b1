/* SPDX-License-Identifier: GPL-2.0-or-later */
/* asr_used_map_read: which reader, in a sandboxed child, its answer checked. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"
#include "sandbox.h"
#include "usedmap-private.h"

/* clang-format off */
G_DEFINE_QUARK (asr-used-map-error-quark, asr_used_map_error)
/* clang-format on */

/* A reader's limits: image probing's address space; CPU for a bitmap of
 * a multi-terabyte volume with a wide margin (reading is I/O, not CPU). */
#define USED_MAP_MAX_CPU_SECONDS 120
/* ... and of wall time, for a read that blocks (a stalled disk or export) */
#define USED_MAP_TIMEOUT_SECONDS 600
/* Extents passed back at most (16 bytes each): a volume more fragmented
 * than this is imaged the old way. */
#define USED_MAP_MAX_EXTENTS (4u * 1024u * 1024u)

#define EXT_MAGIC_OFFSET (1024 + 56)

typedef enum {
  FS_NONE,
  FS_EXT,
  FS_FAT,
  FS_XFS,
} FsKind;

gboolean
used_map_fail (GError **error, AsrUsedMapError code, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, ASR_USED_MAP_ERROR, code, msg);
  return FALSE;
}

gboolean
used_map_emit (AsrExtentFunc emit, gpointer opaque, guint64 offset, guint64 bytes, GError **error)
{
  AsrExtent e = { offset, bytes };
  return emit (&e, opaque)
         || used_map_fail (error, ASR_USED_MAP_ERROR_IO, "cannot pass its free extents on");
}

gboolean
used_map_read_at (int fd, guint64 offset, guint8 *buf, gsize len, GError **error)
{
  gsize got = 0;
  while (got < len)
    {
      ssize_t n = pread (fd, buf + got, len - got, (off_t) (offset + got));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return used_map_fail (error, ASR_USED_MAP_ERROR_IO, "reading at %" G_GUINT64_FORMAT ": %s",
                              offset + got, n < 0 ? g_strerror (errno) : "short read");
      got += (gsize) n;
    }
  return TRUE;
}

gboolean
asr_used_map_knows (const char *fs)
{
  return fs
         && (strcmp (fs, "ext2") == 0 || strcmp (fs, "ext3") == 0 || strcmp (fs, "ext4") == 0
             || strcmp (fs, "vfat") == 0 || strcmp (fs, "xfs") == 0);
}

void
asr_used_map_free (AsrUsedMap *map)
{
  if (map == NULL)
    return;
  g_free (map->fs);
  if (map->free)
    g_array_unref (map->free);
  g_free (map);
}

/* The signature at its place, read by the parent: a volume no reader
 * knows costs no child. */
static FsKind
sniff (const char *path, guint64 offset, guint64 bytes, GError **error)
{
  guint8 head[EXT_MAGIC_OFFSET + 2];
  int fd;

  if (bytes < 512)
    return FS_NONE;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, ASR_USED_MAP_ERROR, ASR_USED_MAP_ERROR_IO, "%s: %s", path,
                   g_strerror (errno));
      return FS_NONE;
    }
  gsize want = (gsize) MIN ((guint64) sizeof head, bytes);
  ssize_t n = pread (fd, head, want, (off_t) offset);
  int e = errno;
  close (fd);
  if (n != (ssize_t) want)
    {
      g_set_error (error, ASR_USED_MAP_ERROR, ASR_USED_MAP_ERROR_IO, "%s: %s", path,
                   n < 0 ? g_strerror (e) : "short read");
      return FS_NONE;
    }
  if (want == sizeof head && head[EXT_MAGIC_OFFSET] == 0x53 && head[EXT_MAGIC_OFFSET + 1] == 0xef)
    return FS_EXT;
  if (asr_fat_sniff (head, want))
    return FS_FAT;
  if (memcmp (head, "XFSB", 4) == 0)
    return FS_XFS;
  return FS_NONE;
}

typedef struct {
  const char *path;
  guint64 offset, bytes;
  FsKind kind;
  int fd;
  guint64 n;
} Job;

static gboolean
put_extent (const AsrExtent *e, gpointer opaque)
{
  Job *j = opaque;

  if (++j->n > USED_MAP_MAX_EXTENTS)
    return FALSE;
  return asr_sandbox_write (j->fd, e, sizeof *e);
}

static gboolean
child_read (int fd, gpointer data, GError **error)
{
  Job *j = data;
  j->fd = fd;
  gboolean ok = j->kind == FS_EXT
                  ? asr_ext_free_extents (j->path, j->offset, j->bytes, put_extent, j, error)
                : j->kind == FS_XFS
                  ? asr_xfs_free_extents (j->path, j->offset, j->bytes, put_extent, j, error)
                  : asr_fat_free_extents (j->path, j->offset, j->bytes, put_extent, j, error);
  if (!ok && j->n > USED_MAP_MAX_EXTENTS)
    {
      g_clear_error (error);
      g_set_error (error, ASR_USED_MAP_ERROR, ASR_USED_MAP_ERROR_UNSUPPORTED,
                   "more than %u free extents", USED_MAP_MAX_EXTENTS);
    }
  return ok;
}

/* @fn in the sandboxed child, under the readers' limits; its output, at
 * most @max_output bytes.  A child killed (a limit, a crash) is
 * ASR_USED_MAP_ERROR_CORRUPT: the metadata is hostile.  One that could
 * not start (no process, no pipe, no filter) is ASR_USED_MAP_ERROR_IO:
 * that is this machine's fault, not the volume's. */
static GBytes *
run_reader (AsrSandboxFunc fn, gpointer job, gsize max_output, GError **error)
{
  g_autoptr (GError) local = NULL;
  GBytes *out = NULL;
  AsrRunLimits limits = { .enabled = TRUE,
                          .max_as_bytes = ASR_IMAGE_PROBE_MAX_AS_BYTES,
                          .max_cpu_seconds = USED_MAP_MAX_CPU_SECONDS,
                          .max_file_bytes = 0 };

  if (asr_run_sandboxed (fn, job, &limits, USED_MAP_TIMEOUT_SECONDS, max_output, &out, &local))
    return out;
  if (g_error_matches (local, ASR_RUN_ERROR, ASR_RUN_ERROR_SPAWN))
    g_set_error (error, ASR_USED_MAP_ERROR, ASR_USED_MAP_ERROR_IO, "%s", local->message);
  else if (local->domain != ASR_USED_MAP_ERROR)
    g_set_error (error, ASR_USED_MAP_ERROR, ASR_USED_MAP_ERROR_CORRUPT, "%s", local->message);
  else
    g_propagate_error (error, g_steal_pointer (&local));
  return NULL;
}

AsrUsedMap *
asr_used_map_read (const char *path, guint64 offset, guint64 bytes, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GBytes) out = NULL;
  Job job = { path, offset, bytes, FS_NONE, -1, 0 };

  job.kind = sniff (path, offset, bytes, &local);
  if (local)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (job.kind == FS_NONE)
    {
      g_set_error (error, ASR_USED_MAP_ERROR, ASR_USED_MAP_ERROR_NOT_FOUND,
                   "no filesystem whose used blocks asr reads");
      return NULL;
    }
  out = run_reader (child_read, &job, (gsize) USED_MAP_MAX_EXTENTS * sizeof (AsrExtent), error);
  if (out == NULL)
    return NULL;

  /* What the child says is checked, not trusted: in order, disjoint,
   * inside the volume. */
  gsize len = 0;
  const AsrExtent *e = g_bytes_get_data (out, &len);
  g_autoptr (AsrUsedMap) map = g_new0 (AsrUsedMap, 1);
  guint64 end = 0;

  if (len % sizeof (AsrExtent) != 0)
    {
      g_set_error (error, ASR_USED_MAP_ERROR, ASR_USED_MAP_ERROR_CORRUPT,
                   "the reader's answer is cut short");
      return NULL;
    }
  map->fs = g_strdup (job.kind == FS_EXT ? "ext2/3/4" : job.kind == FS_XFS ? "xfs" : "vfat");
  map->free = g_array_sized_new (FALSE, FALSE, sizeof (AsrExtent), (guint) (len / sizeof *e));
  for (gsize i = 0; i < len / sizeof *e; i++)
    {
      if (e[i].bytes == 0 || e[i].offset < end || e[i].offset > bytes
          || e[i].bytes > bytes - e[i].offset)
        {
          g_set_error (error, ASR_USED_MAP_ERROR, ASR_USED_MAP_ERROR_CORRUPT,
                       "free extent %" G_GSIZE_FORMAT " (%" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT
                       ") is out of order or outside the volume",
                       i, e[i].offset, e[i].bytes);
          return NULL;
        }
      end = e[i].offset + e[i].bytes;
      map->free_bytes += e[i].bytes;
      g_array_append_val (map->free, e[i]);
    }
  return g_steal_pointer (&map);
}

void
asr_volume_file_clear (AsrVolumeFile *f)
{
  g_clear_pointer (&f->data, g_bytes_unref);
  f->found = f->truncated = FALSE;
}

typedef struct {
  const char *path;
  guint64 offset, bytes;
  FsKind kind;
  const char *const *names;
  gsize max;
} FilesJob;

/* Each file as: found (1 byte), truncated (1 byte), length (8 bytes), data. */
static gboolean
child_read_files (int fd, gpointer data, GError **error)
{
  FilesJob *j = data;
  guint n = g_strv_length ((char **) j->names);
  g_autofree AsrVolumeFile *files = g_new0 (AsrVolumeFile, n);
  gboolean ok
    = j->kind == FS_XFS
        ? asr_xfs_read_files (j->path, j->offset, j->bytes, j->names, j->max, files, error)
        : asr_ext_read_files (j->path, j->offset, j->names, j->max, files, error);

  for (guint i = 0; ok && i < n; i++)
    {
      gsize len = 0;
      const void *bytes = files[i].data ? g_bytes_get_data (files[i].data, &len) : NULL;
      guint8 flags[2] = { (guint8) files[i].found, (guint8) files[i].truncated };
      guint64 len64 = len;
      ok = asr_sandbox_write (fd, flags, sizeof flags)
           && asr_sandbox_write (fd, &len64, sizeof len64)
           && (len == 0 || asr_sandbox_write (fd, bytes, len));
    }
  for (guint i = 0; i < n; i++)
    asr_volume_file_clear (&files[i]);
  return ok;
}

gboolean
asr_used_map_read_files (const char *path, guint64 offset, guint64 bytes, const char *const *names,
                         gsize max, AsrVolumeFile *files, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GBytes) out = NULL;
  FilesJob job = { path, offset, bytes, FS_NONE, names, max };
  guint n = g_strv_length ((char **) names);

  if (n == 0)
    return TRUE;
  job.kind = sniff (path, offset, bytes, &local);
  if (job.kind != FS_EXT && job.kind != FS_XFS)
    {
      if (local == NULL)
        g_set_error (&local, ASR_USED_MAP_ERROR, ASR_USED_MAP_ERROR_NOT_FOUND,
                     "not an ext2/3/4 or xfs filesystem");
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  out = run_reader (child_read_files, &job, (gsize) n * (max + 10), error);
  if (out == NULL)
    return FALSE;

  /* checked, not trusted */
  gsize len = 0, at = 0;
  const guint8 *p = g_bytes_get_data (out, &len);
  for (guint i = 0; i < n; i++)
    {
      guint64 flen;
      if (len - at < 10)
        break;
      memcpy (&flen, p + at + 2, sizeof flen);
      if (p[at] > 1 || p[at + 1] > 1 || flen > max || flen > len - at - 10
          || (p[at] == 0 && flen != 0))
        break;
      files[i].found = p[at];
      files[i].truncated = p[at + 1];
      files[i].data = files[i].found ? g_bytes_new (p + at + 10, (gsize) flen) : NULL;
      at += 10 + (gsize) flen;
      if (i + 1 == n && at == len)
        return TRUE;
    }
  for (guint i = 0; i < n; i++)
    asr_volume_file_clear (&files[i]);
  g_set_error (error, ASR_USED_MAP_ERROR, ASR_USED_MAP_ERROR_CORRUPT,
               "the reader's answer is malformed");
  return FALSE;
}
