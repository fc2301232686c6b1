/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr_probe_targets: many targets, one descriptor.  Each kind of target
 * (image file, block device, `local`, `domain:NAME`) adds its disks in
 * order; at most one of them brings hardware.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "probe-private.h"

#define LOCAL_TARGET "local"
#define DOMAIN_PREFIX "domain:"

/* clang-format off */
G_DEFINE_QUARK (asr-probe-error-quark, asr_probe_error)
/* clang-format on */

gboolean
asr_probe_refuse (GError **error, const char *name, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT, "%s: %s", name, msg);
  return FALSE;
}

void
asr_probe_add_source (MachineDescriptor *m, const char *disk_id, const char *path,
                      const char *format)
{
  MachineSource *s;

  if (m->origin == NULL)
    m->origin = machine_origin_new ();
  s = machine_source_new ();
  s->disk = g_strdup (disk_id);
  s->path = g_strdup (path);
  s->format = g_strdup (format);
  g_ptr_array_add (m->origin->sources, s);
}

/* Partition table and marker of a disk we can read as @info says. */
static gboolean
read_layout (MachineDisk *disk, const AsrImageInfo *info, GError **error)
{
  g_autoptr (AsrDiskReader) reader = asr_disk_reader_open (info, error);
  if (reader == NULL)
    return FALSE;
  return asr_probe_disk_read_layout (disk, reader, info->virtual_bytes,
                                     disk->logical_sector ? disk->logical_sector : 512, error);
}

/* <in-use reason="locked">: qemu's image locks, another program's flock;
 * and what uses @path's bytes through another loop device over it.
 * Tested before any qemu child of ours opens @path: those take qemu's
 * locks while they run. */
static gboolean
test_locks (const char *path, GPtrArray *in_use, GError **error)
{
  g_autofree char *qemu = NULL;
  g_autofree char *flocked = asr_probe_flock_holder (path);

  if (!asr_probe_qemu_lock (path, &qemu, error))
    return FALSE;
  if (qemu)
    g_ptr_array_add (in_use, machine_in_use_new ("locked", qemu));
  if (flocked)
    g_ptr_array_add (in_use, machine_in_use_new ("locked", flocked));
  asr_blockdev_loops_in_use (path, in_use);
  return TRUE;
}

static void
take_in_use (MachineDisk *disk, GPtrArray *in_use)
{
  for (guint i = 0; i < in_use->len; i++)
    g_ptr_array_add (disk->in_use, g_steal_pointer (&g_ptr_array_index (in_use, i)));
  g_ptr_array_set_size (in_use, 0);
}

static gboolean
probe_image (MachineDescriptor *m, const char *path, GError **error)
{
  g_autoptr (AsrImageInfo) info = NULL;
  g_autofree char *id = g_strdup_printf ("disk%u", m->disks->len);
  g_autoptr (GPtrArray) locked
    = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_in_use_free);
  MachineDisk *disk;

  if (!test_locks (path, locked, error))
    return FALSE;
  info = asr_image_info_probe (path, NULL, error);
  if (info == NULL)
    return FALSE;
  disk = machine_disk_new (id);
  g_ptr_array_add (m->disks, disk);
  take_in_use (disk, locked);
  disk->bytes = info->virtual_bytes;
  disk->has_bytes = TRUE;
  disk->logical_sector = 512;
  disk->physical_sector = 512;
  {
    g_autofree char *abs = g_canonicalize_filename (path, NULL);
    asr_probe_add_source (m, id, abs, info->format);
  }
  if (!read_layout (disk, info, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
probe_device (MachineDescriptor *m, const char *path, GError **error)
{
  g_autoptr (AsrBlockdev) b = NULL;
  g_autoptr (AsrImageInfo) info = NULL;
  g_autofree char *id = g_strdup_printf ("disk%u", m->disks->len);
  g_autoptr (GPtrArray) locked
    = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_in_use_free);
  MachineDisk *disk;

  /* qemu locks a device node it opens as it locks a file */
  if (!test_locks (path, locked, error))
    return FALSE;
  b = asr_blockdev_probe (path, error);
  if (b == NULL)
    return FALSE;
  info = asr_image_info_probe (path, "raw", error);
  if (info == NULL)
    return FALSE;
  disk = machine_disk_new (id);
  g_ptr_array_add (m->disks, disk);
  asr_probe_disk_set_blockdev (disk, b);
  take_in_use (disk, locked);
  {
    g_autofree char *abs = g_canonicalize_filename (path, NULL);
    asr_probe_add_source (m, id, abs, "raw");
  }
  if (!read_layout (disk, info, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
probe_local (MachineDescriptor *m, const char *root, GError **error)
{
  g_autoptr (GPtrArray) names = asr_probe_local_disk_names (root);

  m->hardware = asr_probe_local_hardware (root);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autoptr (AsrBlockdev) b = asr_blockdev_probe_sysfs (root, name, error);
      g_autofree char *id = g_strdup_printf ("disk%u", m->disks->len);
      g_autofree char *dev_rel = g_strdup_printf ("dev/%s", name);
      g_autofree char *dev_path = asr_host_path (root, dev_rel);
      g_autoptr (AsrImageInfo) info = NULL;
      g_autoptr (GError) local_error = NULL;
      MachineDisk *disk;
      struct stat st;

      if (b == NULL)
        return FALSE;
      disk = machine_disk_new (id);
      g_ptr_array_add (m->disks, disk);
      asr_probe_disk_set_blockdev (disk, b);
      asr_probe_add_source (m, id, b->path, "raw");

      /* The table needs the device node; a disk we cannot open (no medium,
       * not root) is still a disk, its table unknown. */
      if (stat (dev_path, &st) != 0)
        continue;
      if (S_ISREG (st.st_mode))
        {
          /* A fake tree's "device node" (tests): raw by construction, and
           * no qemu-img in the unit suite. */
          info = g_new0 (AsrImageInfo, 1);
          info->path = g_strdup (dev_path);
          info->format = g_strdup ("raw");
          info->virtual_bytes = (guint64) st.st_size;
        }
      else
        info = asr_image_info_probe (dev_path, "raw", &local_error);
      if (info == NULL || !read_layout (disk, info, &local_error))
        g_debug ("%s: partition table not read: %s", dev_path, local_error->message);
    }
  return TRUE;
}

/* Two targets naming the same disk would be mapped twice by a plan. */
typedef struct {
  dev_t dev;
  ino_t ino;
  dev_t rdev;
  gboolean is_block;
} Seen;

static gboolean
check_duplicate (GArray *seen, const char *target, GError **error)
{
  struct stat st;
  Seen s = { 0 };

  if (stat (target, &st) != 0)
    return TRUE; /* the probe itself reports it */
  s.is_block = S_ISBLK (st.st_mode);
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.rdev = st.st_rdev;
  for (guint i = 0; i < seen->len; i++)
    {
      const Seen *o = &g_array_index (seen, Seen, i);
      if ((s.is_block && o->is_block && o->rdev == s.rdev)
          || (!s.is_block && !o->is_block && o->dev == s.dev && o->ino == s.ino))
        {
          g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                       "%s: the same disk is given twice", target);
          return FALSE;
        }
    }
  g_array_append_val (seen, s);
  return TRUE;
}

static char *
now_utc (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

MachineDescriptor *
asr_probe_targets (const char *const *targets, const AsrProbeOptions *opts, GError **error)
{
  g_autoptr (MachineDescriptor) m = NULL;
  g_autoptr (GArray) seen = g_array_new (FALSE, TRUE, sizeof (Seen));
  /* For tests only (documented in probe.h): a fake /sys, /proc, /dev. */
  const char *root = g_getenv ("ASR_PROBE_ROOT");
  const char *machine_target = NULL;

  g_return_val_if_fail (targets != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (targets[0] == NULL)
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT, "no target given");
      return NULL;
    }

  m = machine_descriptor_new ();
  m->origin = machine_origin_new ();
  m->origin->captured = now_utc ();
  m->origin->tool = g_strdup ("asr " PACKAGE_VERSION);

  for (const char *const *t = targets; *t; t++)
    {
      const char *target = *t;
      gboolean is_local = strcmp (target, LOCAL_TARGET) == 0;
      gboolean is_domain = g_str_has_prefix (target, DOMAIN_PREFIX);
      struct stat st;

      if (is_local || is_domain)
        {
          if (machine_target)
            {
              g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                           "%s and %s: a descriptor describes one machine; give at most "
                           "one of local and domain:NAME",
                           machine_target, target);
              return NULL;
            }
          machine_target = target;
        }

      if (is_local)
        {
          if (!probe_local (m, root, error))
            return NULL;
        }
      else if (is_domain)
        {
          const char *name = target + strlen (DOMAIN_PREFIX);
          g_autoptr (MachineDescriptor) d = NULL;
          guint first = m->disks->len;

          if (*name == '\0')
            {
              g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                           "%s: no domain name after 'domain:'", target);
              return NULL;
            }
          d = asr_probe_domain (opts ? opts->connect_uri : NULL, name, first, error);
          if (d == NULL)
            return NULL;
          m->hardware = g_steal_pointer (&d->hardware);
          for (guint i = 0; i < d->disks->len; i++)
            g_ptr_array_add (m->disks, g_steal_pointer (&g_ptr_array_index (d->disks, i)));
          if (d->origin)
            for (guint i = 0; i < d->origin->sources->len; i++)
              g_ptr_array_add (m->origin->sources,
                               g_steal_pointer (&g_ptr_array_index (d->origin->sources, i)));
        }
      else
        {
          if (!check_duplicate (seen, target, error))
            return NULL;
          if (stat (target, &st) == 0 && S_ISBLK (st.st_mode))
            {
              if (!probe_device (m, target, error))
                return NULL;
            }
          else if (!probe_image (m, target, error))
            return NULL;
        }
    }
  return g_steal_pointer (&m);
}
