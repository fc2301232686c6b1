/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Safe image info: what an image file or block device is, before anything
 * else touches it.  An image is untrusted input: its header can name host
 * files (backing files, external data files) that qemu would open, and a
 * crafted one can make qemu-img spin or allocate.  So qemu-img runs as a
 * limited child (util/run.h), the answer is checked against rules shared by
 * capture and probe, and afterwards the format is always passed explicitly.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "probe-private.h"

/* Largest qemu-img JSON answer we parse (it is a few hundred bytes; a vmdk
 * with many extents is still far below this). */
#define MAX_JSON_BYTES (1024u * 1024u)

/* qcow2 header (docs/interop/qcow2.txt): a few fields read before qemu-img
 * runs, because qemu opens an external data file while probing. */
#define QCOW2_MAGIC 0x514649fbu
#define QCOW2_INCOMPAT_DATA_FILE (1u << 2)

void
asr_image_info_free (AsrImageInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->path);
  g_free (info->format);
  g_free (info);
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* A qcow2 header declaring an external data file: refuse before qemu-img
 * opens whatever file it names (a device, a FIFO...).  Only when the file
 * would be opened as qcow2 (probed, or given as qcow2). */
static gboolean
check_qcow2_header (const char *path, const char *format, GError **error)
{
  guint8 hdr[104];
  ssize_t n;
  int fd;

  if (format != NULL && strcmp (format, "qcow2") != 0)
    return TRUE;
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return TRUE; /* qemu-img reports it */
  n = pread (fd, hdr, sizeof hdr, 0);
  close (fd);
  if (n < (ssize_t) sizeof hdr || be32 (hdr) != QCOW2_MAGIC || be32 (hdr + 4) < 3)
    return TRUE;
  /* incompatible_features: big-endian u64 at 72; bit 2 in the low word */
  if (be32 (hdr + 76) & QCOW2_INCOMPAT_DATA_FILE)
    return asr_probe_refuse (error, path,
                             "the qcow2 image uses an external data file, which could be any host "
                             "file; refused (convert it to a self-contained image first)");
  return TRUE;
}

static gboolean
json_get_u64 (JsonObject *o, const char *member, guint64 *out)
{
  JsonNode *n = json_object_get_member (o, member);
  gint64 v;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE
      || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (n);
  if (v < 0)
    return FALSE;
  *out = (guint64) v;
  return TRUE;
}

static const char *
json_get_str (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);
  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
json_get_bool (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);
  return n && JSON_NODE_TYPE (n) == JSON_NODE_VALUE
         && json_node_get_value_type (n) == G_TYPE_BOOLEAN && json_node_get_boolean (n);
}

void
asr_probe_run_options_image (AsrRunOptions *o)
{
  *o = (AsrRunOptions){
    .timeout_seconds = ASR_IMAGE_PROBE_TIMEOUT_SECONDS,
    .limits = { .enabled = TRUE,
                .max_as_bytes = ASR_IMAGE_PROBE_MAX_AS_BYTES,
                .max_cpu_seconds = ASR_IMAGE_PROBE_MAX_CPU_SECONDS,
                .max_file_bytes = 0 },
    .stderr_tail_lines = 1,
    .stderr_drop_prefix = "qemu-img: ",
    .c_locale = TRUE,
  };
}

char *
asr_probe_find_qemu_img (GError **error)
{
  char *p = g_find_program_in_path ("qemu-img");
  if (p == NULL)
    g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                 "qemu-img not found in PATH (Debian: apt install qemu-utils)");
  return p;
}

char *
asr_probe_qemu_safe_path (const char *path)
{
  if (g_path_is_absolute (path))
    return g_strdup (path);
  return g_strconcat ("./", path, NULL);
}

/* Runs qemu-img with the image limits; a non-zero exit is the image's
 * fault (invalid input), as is being killed by the limits.  @out
 * (optional) gets its standard output, at most @out_max_bytes of it. */
static gboolean
run_qemu_img (const char *path, const char *const *argv, char **out, gsize out_max_bytes,
              int *status, GError **error)
{
  AsrRunOptions options;
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) local = NULL;

  asr_probe_run_options_image (&options);
  options.capture_stdout = out != NULL;
  options.stdout_max_bytes = out_max_bytes;
  if (!asr_run_full (argv, &options, &r, &local))
    {
      if (g_error_matches (local, ASR_RUN_ERROR, ASR_RUN_ERROR_OUTPUT))
        return asr_probe_refuse (error, path, "qemu-img %s gave no usable answer", argv[1]);
      if (r.killed && !g_error_matches (local, ASR_RUN_ERROR, ASR_RUN_ERROR_IO))
        return asr_probe_refuse (error, path,
                                 "qemu-img %s %s (limits: %" G_GUINT64_FORMAT " MiB, %d s CPU): "
                                 "refused as a possibly hostile image",
                                 argv[1], r.killed, (guint64) (ASR_IMAGE_PROBE_MAX_AS_BYTES >> 20),
                                 ASR_IMAGE_PROBE_MAX_CPU_SECONDS);
      if (!g_error_matches (local, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED))
        {
          /* not started, or its output unreadable: not the image's fault */
          g_set_error_literal (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME, local->message);
          return FALSE;
        }
    }
  *status = r.exit_status;
  if (out)
    *out = g_steal_pointer (&r.stdout_text);
  if (*status != 0 && strcmp (argv[1], "check") != 0)
    return asr_probe_refuse (error, path, "not a readable disk image: %s",
                             *r.stderr_tail ? r.stderr_tail : "qemu-img failed");
  if (strcmp (argv[1], "check") == 0 && (*status == 1 || *status == 2))
    return asr_probe_refuse (error, path, "the image is truncated or corrupt (qemu-img check%s%s)",
                             *r.stderr_tail ? ": " : "", r.stderr_tail);
  return TRUE;
}

/* What qemu-img info said, checked: everything in it is the image's word. */
gboolean
asr_image_info_read_json (AsrImageInfo *info, const char *path, const char *out, guint64 file_bytes,
                          GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) json_error = NULL;
  JsonNode *root;
  JsonObject *o;
  const char *s;

  if (out == NULL || strlen (out) > MAX_JSON_BYTES)
    return asr_probe_refuse (error, path, "qemu-img info gave no usable answer");
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, out, -1, &json_error)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                   "%s: cannot parse qemu-img info output: %s", path,
                   json_error ? json_error->message : "not a JSON object");
      return FALSE;
    }
  o = json_node_get_object (root);

  s = json_get_str (o, "format");
  if (s == NULL || !json_get_u64 (o, "virtual-size", &info->virtual_bytes))
    return asr_probe_refuse (error, path, "qemu-img info reports no format or virtual size");
  info->format = g_strdup (s);
  json_get_u64 (o, "actual-size", &info->actual_bytes);
  json_get_u64 (o, "cluster-size", &info->cluster_bytes);
  info->dirty = json_get_bool (o, "dirty-flag");

  /* A backing file can be any host file: /etc/shadow as the base of a disk. */
  s = json_get_str (o, "full-backing-filename");
  if (s == NULL)
    s = json_get_str (o, "backing-filename");
  if (s != NULL || json_object_has_member (o, "backing-filename"))
    return asr_probe_refuse (error, path,
                             "the %s image has a backing file (%s); refused: it could name any "
                             "host file (flatten it with qemu-img convert first, or give "
                             "--format raw if this file really is a raw disk)",
                             info->format, s ? s : "unnamed");

  {
    JsonNode *fs = json_object_get_member (o, "format-specific");
    if (fs && JSON_NODE_HOLDS_OBJECT (fs))
      {
        JsonNode *data = json_object_get_member (json_node_get_object (fs), "data");
        if (data && JSON_NODE_HOLDS_OBJECT (data))
          {
            JsonObject *d = json_node_get_object (data);
            const char *df = json_get_str (d, "data-file");
            if (df != NULL || json_object_has_member (d, "data-file"))
              return asr_probe_refuse (error, path,
                                       "the image uses an external data file (%s); refused: it "
                                       "could "
                                       "name any host file",
                                       df ? df : "unnamed");
            info->corrupt = json_get_bool (d, "corrupt");
          }
      }
  }
  if (info->corrupt)
    return asr_probe_refuse (error, path, "the %s image is marked corrupt", info->format);

  if (info->virtual_bytes == 0)
    return asr_probe_refuse (error, path, "the image has a virtual size of 0 bytes");
  if (info->virtual_bytes > ASR_IMAGE_MAX_VIRTUAL_BYTES)
    return asr_probe_refuse (error, path,
                             "virtual size %" G_GUINT64_FORMAT
                             " bytes is above the limit of %" G_GUINT64_FORMAT " bytes (64 TiB)",
                             info->virtual_bytes, (guint64) ASR_IMAGE_MAX_VIRTUAL_BYTES);

  if (strcmp (info->format, "raw") == 0)
    {
      /* qemu rounds a raw file's size up to 512: use the file's own. */
      if (file_bytes % 512 != 0)
        return asr_probe_refuse (error, path,
                                 "%" G_GUINT64_FORMAT " bytes is not a multiple of 512: not a raw "
                                 "disk image",
                                 file_bytes);
      info->virtual_bytes = file_bytes;
    }
  return TRUE;
}

static gboolean
probe_file (AsrImageInfo *info, const char *path, const char *format, guint64 file_bytes,
            GError **error)
{
  g_autofree char *qemu_img = asr_probe_find_qemu_img (error);
  g_autofree char *safe = NULL;
  g_autofree char *out = NULL;
  int status;

  if (qemu_img == NULL)
    return FALSE;
  if (!check_qcow2_header (path, format, error))
    return FALSE;

  safe = asr_probe_qemu_safe_path (path);
  {
    /* --force-share: a source may be in use by a running VM; we only read
     * metadata, and never write (RLIMIT_FSIZE 0).  info never opens a
     * backing file; an external data file was refused above. */
    const char *argv[8] = { qemu_img, "info", "--output=json", "--force-share", NULL };
    int n = 4;
    if (format)
      {
        argv[n++] = "-f";
        argv[n++] = format;
      }
    argv[n] = safe;
    if (!run_qemu_img (path, argv, &out, MAX_JSON_BYTES, &status, error))
      return FALSE;
  }

  if (!asr_image_info_read_json (info, path, out, file_bytes, error))
    return FALSE;
  if (strcmp (info->format, "raw") != 0)
    {
      /* Metadata that points past the end of the file (a truncated copy)
       * only shows in a check.  Exit 63: the format has no check. */
      g_autofree char *check_out = NULL;
      const char *argv[] = { qemu_img, "check", "--force-share", "-f", info->format, safe, NULL };
      if (!run_qemu_img (path, argv, &check_out, 0, &status, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
probe_blockdev (AsrImageInfo *info, const char *path, const char *format, GError **error)
{
  int fd;
  guint64 bytes = 0;
  int lss = 0;
  unsigned int pss = 0;

  if (format && strcmp (format, "raw") != 0)
    return asr_probe_refuse (error, path,
                             "a block device is read as raw; format %s is not supported on devices",
                             format);
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, ASR_PROBE_ERROR,
                   e == ENOENT || e == ENXIO || e == ENOMEDIUM ? ASR_PROBE_ERROR_INVALID_INPUT
                                                               : ASR_PROBE_ERROR_RUNTIME,
                   "%s: cannot open: %s", path, g_strerror (e));
      return FALSE;
    }
  if (ioctl (fd, BLKGETSIZE64, &bytes) != 0)
    {
      int e = errno;
      close (fd);
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME, "%s: BLKGETSIZE64: %s", path,
                   g_strerror (e));
      return FALSE;
    }
  if (ioctl (fd, BLKSSZGET, &lss) == 0 && lss > 0)
    info->logical_sector = (guint32) lss;
  if (ioctl (fd, BLKPBSZGET, &pss) == 0 && pss > 0)
    info->physical_sector = pss;
  close (fd);

  if (bytes == 0)
    return asr_probe_refuse (error, path, "the device has a size of 0 bytes (no medium?)");
  if (bytes > ASR_IMAGE_MAX_VIRTUAL_BYTES)
    return asr_probe_refuse (error, path,
                             "size %" G_GUINT64_FORMAT
                             " bytes is above the limit of %" G_GUINT64_FORMAT " bytes (64 TiB)",
                             bytes, (guint64) ASR_IMAGE_MAX_VIRTUAL_BYTES);
  info->format = g_strdup ("raw");
  info->is_block_device = TRUE;
  info->virtual_bytes = bytes;
  return TRUE;
}

AsrImageInfo *
asr_image_info_probe (const char *path, const char *format, GError **error)
{
  g_autoptr (AsrImageInfo) info = NULL;
  struct stat st;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (format != NULL && *format == '\0')
    {
      asr_probe_refuse (error, path, "empty format name");
      return NULL;
    }
  if (*path == '\0')
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT, "empty path");
      return NULL;
    }
  if (stat (path, &st) != 0)
    {
      int e = errno;
      g_set_error (error, ASR_PROBE_ERROR,
                   e == ENOENT || e == ENOTDIR || e == ELOOP || e == ENAMETOOLONG
                     ? ASR_PROBE_ERROR_INVALID_INPUT
                     : ASR_PROBE_ERROR_RUNTIME,
                   "%s: %s", path, g_strerror (e));
      return NULL;
    }

  info = g_new0 (AsrImageInfo, 1);
  info->path = g_strdup (path);

  if (S_ISBLK (st.st_mode))
    {
      if (!probe_blockdev (info, path, format, error))
        return NULL;
      return g_steal_pointer (&info);
    }
  if (S_ISDIR (st.st_mode))
    {
      asr_probe_refuse (error, path, "is a directory, not a disk image");
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      asr_probe_refuse (error, path, "not a regular file or block device");
      return NULL;
    }
  if (st.st_size == 0)
    {
      asr_probe_refuse (error, path, "empty file (0 bytes): not a disk image");
      return NULL;
    }
  info->logical_sector = 512;
  info->physical_sector = 512;
  if (!probe_file (info, path, format, (guint64) st.st_size, error))
    return NULL;
  return g_steal_pointer (&info);
}
