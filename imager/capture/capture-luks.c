/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LUKS containers in a capture.
 *
 * A container is captured whole, as it is on disk: encrypted bytes,
 * header and keyslots included.  The backup never holds the plaintext of
 * an encrypted volume, and neither capture nor restore needs its key.
 * "Used data only" cannot apply inside it: only the holes of a sparse
 * source are left out.
 *
 * Every container on a critical disk is captured: restore cannot recreate
 * one empty (that takes a key), so leaving it out would destroy it.  A
 * container whose volume is critical (--include /srv, through crypttab and
 * fstab) makes its disk critical.  What is inside is known only by name:
 * /etc/crypttab maps NAME to the container's UUID, and fstab mounts
 * /dev/mapper/NAME.
 */
#include "config.h"

#include <string.h>

#include "appliance.h"
#include "capture-private.h"

/* /etc/crypttab is a few lines; anything larger is not one. */
#define CRYPTTAB_MAX_BYTES (64 * 1024)

typedef struct {
  MachineLuks *luks;
  CaptureDisk *disk;
  MachinePartition *partition;
} CaptureLuks;

static void
capture_luks_free (CaptureLuks *l)
{
  g_free (l);
}

/* luks1 or luks2, from the header's magic and version (both big-endian
 * on disk); NULL when it is neither.  Read through the appliance, or from
 * the exported disk when there is none (the userspace path). */
static const char *
luks_type (Capture *c, const PartRef *ref)
{
  gsize got = 0;
  g_autofree char *h = NULL;

  capture_read_start (c, ref->disk, ref->gdev, ref->partition->start * ref->disk->logical_sector, 8,
                      "a LUKS header", &h, &got, NULL);

  if (h == NULL || got < 8 || memcmp (h, "LUKS\xba\xbe", 6) != 0)
    return NULL;
  if (h[6] == 0 && h[7] == 1)
    return "luks1";
  if (h[6] == 0 && h[7] == 2)
    return "luks2";
  return NULL;
}

gboolean
capture_luks_discover (Capture *c, GHashTable *parts, GError **error)
{
  GHashTableIter it;
  gpointer key, value;

  c->luks = g_ptr_array_new_with_free_func ((GDestroyNotify) capture_luks_free);
  c->encrypted_mountpoints = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&it, parts);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      PartRef *ref = value;
      MachinePartition *p = ref->partition;
      const char *type;

      if (p->volume == NULL || g_strcmp0 (p->volume->fs, "crypto_LUKS") != 0)
        continue;
      type = luks_type (c, ref);
      if (type == NULL || p->volume->uuid == NULL || !machine_is_guid (p->volume->uuid))
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_UNSUPPORTED,
                       "%s partition %u holds a LUKS header asr does not know (not LUKS1 or "
                       "LUKS2, or no UUID): restoring its disk would destroy it",
                       ref->disk->disk->id, p->number);
          return FALSE;
        }
      g_autofree char *id = g_strdup_printf ("luks-%s-p%u", ref->disk->disk->id, p->number);
      MachineLuks *l = machine_luks_new (id);
      l->uuid = g_strdup (p->volume->uuid);
      l->type = g_strdup (type);
      l->device = g_strdup_printf ("%s/p%u", ref->disk->disk->id, p->number);
      l->bytes = p->sectors * ref->disk->logical_sector;
      l->has_bytes = TRUE;
      g_ptr_array_add (c->m->luks, l);
      /* the partition carries the container, not a volume of its own */
      g_clear_pointer (&p->volume, machine_volume_free);

      CaptureLuks *cl = g_new0 (CaptureLuks, 1);
      cl->luks = l;
      cl->disk = ref->disk;
      cl->partition = p;
      g_ptr_array_add (c->luks, cl);
    }
  return TRUE;
}

/* "UUID=x" or "/dev/disk/by-uuid/x" → x; NULL for other sources. */
static const char *
crypttab_uuid (const char *source)
{
  if (g_ascii_strncasecmp (source, "UUID=", 5) == 0)
    return source + 5;
  if (g_str_has_prefix (source, "/dev/disk/by-uuid/"))
    return source + strlen ("/dev/disk/by-uuid/");
  return NULL;
}

static char *
read_small (guestfs_h *g, const char *path, size_t *len)
{
  gint64 size;
  if (guestfs_is_file (g, path) <= 0)
    return NULL;
  size = guestfs_filesize (g, path);
  if (size < 0 || size > CRYPTTAB_MAX_BYTES)
    return NULL;
  return guestfs_read_file (g, path, len);
}

/* Reads the OS's /etc/crypttab (and fstab, for capture_luks_fstab) once: each container it names takes the
 * name as its id (the name /dev/mapper/ shows it by). */
static gboolean
read_crypttab (Capture *c, const char *root, GError **error)
{
  g_autofree char *text = NULL;
  size_t len = 0;

  if (c->crypttab_read)
    return TRUE;
  c->crypttab_read = TRUE;
  if (c->luks->len == 0)
    return TRUE;
  if (guestfs_mount_ro (c->g, root, "/") == -1)
    {
      asr_appliance_set_error (c->g, error, "mounting the root filesystem to read /etc/crypttab");
      return FALSE;
    }
  guestfs_push_error_handler (c->g, NULL, NULL);
  text = read_small (c->g, "/etc/crypttab", &len);
  c->fstab = read_small (c->g, "/etc/fstab", &c->fstab_len);
  guestfs_pop_error_handler (c->g);
  if (guestfs_umount (c->g, "/") == -1)
    {
      asr_appliance_set_error (c->g, error, "unmounting the root filesystem");
      return FALSE;
    }
  capture_luks_crypttab (c, text, len);
  return TRUE;
}

void
capture_luks_crypttab (Capture *c, const char *text, gsize len)
{
  c->crypttab_read = TRUE;
  if (text == NULL)
    return;

  g_autofree char *copy = g_strndup (text, len);
  g_auto (GStrv) lines = g_strsplit (copy, "\n", -1);
  for (char **line = lines; *line; line++)
    {
      g_auto (GStrv) f = g_strsplit_set (g_strstrip (*line), " \t", -1);
      const char *name = NULL, *source = NULL, *uuid;
      for (char **w = f; *w; w++)
        if (**w)
          {
            if (name == NULL)
              name = *w;
            else if (source == NULL)
              source = *w;
          }
      if (name == NULL || name[0] == '#' || source == NULL
          || (uuid = crypttab_uuid (source)) == NULL)
        continue;
      for (guint i = 0; i < c->luks->len; i++)
        {
          MachineLuks *l = ((CaptureLuks *) g_ptr_array_index (c->luks, i))->luks;
          if (g_ascii_strcasecmp (l->uuid, uuid) != 0)
            continue;
          /* A name that is no descriptor id, or one already taken, keeps
           * asr's own. */
          MachineDeviceRef r;
          if (!machine_is_disk_id (name) || machine_descriptor_resolve (c->m, name, &r))
            continue;
          g_free (l->id);
          l->id = g_strdup (name);
        }
    }
}

gboolean
capture_luks_mountpoint (Capture *c, const char *root, const char *mountpoint, const char *dev,
                         gboolean *mapped, GError **error)
{
  *mapped = FALSE;
  if (!g_str_has_prefix (dev, "/dev/mapper/") || c->luks->len == 0)
    return TRUE;
  if (!read_crypttab (c, root, error))
    return FALSE;
  for (guint i = 0; i < c->luks->len; i++)
    {
      MachineLuks *l = ((CaptureLuks *) g_ptr_array_index (c->luks, i))->luks;
      if (strcmp (l->id, dev + strlen ("/dev/mapper/")) != 0)
        continue;
      if (l->volume == NULL)
        l->volume = machine_volume_new ();
      g_free (l->volume->mountpoint);
      l->volume->mountpoint = g_strdup (mountpoint);
      *mapped = TRUE;
    }
  return TRUE;
}

static gboolean
is_known_uuid (Capture *c, const char *uuid)
{
  for (guint i = 0; i < c->m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (c->m->disks, i);
      for (guint j = 0; j < d->partitions->len; j++)
        {
          const MachinePartition *p = g_ptr_array_index (d->partitions, j);
          if (p->volume && p->volume->uuid && g_ascii_strcasecmp (p->volume->uuid, uuid) == 0)
            return TRUE;
        }
    }
  for (guint i = 0; i < c->m->volume_groups->len; i++)
    {
      const MachineVolumeGroup *vg = g_ptr_array_index (c->m->volume_groups, i);
      for (guint j = 0; j < vg->lvs->len; j++)
        {
          const MachineLogicalVolume *lv = g_ptr_array_index (vg->lvs, j);
          if (lv->volume && lv->volume->uuid && g_ascii_strcasecmp (lv->volume->uuid, uuid) == 0)
            return TRUE;
        }
    }
  return FALSE;
}

gboolean
capture_luks_fstab (Capture *c, const char *root, GError **error)
{
  if (c->luks->len == 0)
    return TRUE;
  if (!read_crypttab (c, root, error))
    return FALSE;
  if (c->fstab == NULL)
    return TRUE;

  g_autofree char *copy = g_strndup (c->fstab, c->fstab_len);
  g_auto (GStrv) lines = g_strsplit (copy, "\n", -1);
  for (char **line = lines; *line; line++)
    {
      g_auto (GStrv) f = g_strsplit_set (g_strstrip (*line), " \t", -1);
      const char *w[3] = { NULL, NULL, NULL };
      guint n = 0;
      for (char **x = f; *x && n < 3; x++)
        if (**x)
          w[n++] = *x;
      if (n < 3 || w[0][0] == '#' || g_ascii_strncasecmp (w[0], "UUID=", 5) != 0 || w[1][0] != '/'
          || is_known_uuid (c, w[0] + 5))
        continue;
      /* A filesystem no volume asr sees has: inside an encrypted
       * container, if the OS has any.  Whole containers are captured, so
       * it is in the backup; which container holds it is known only when
       * crypttab names just one that holds nothing else. */
      MachineLuks *only = NULL;
      guint free_ones = 0;
      for (guint i = 0; i < c->luks->len; i++)
        {
          MachineLuks *l = ((CaptureLuks *) g_ptr_array_index (c->luks, i))->luks;
          if (l->volume == NULL || l->volume->mountpoint == NULL)
            {
              only = l;
              free_ones++;
            }
        }
      g_ptr_array_add (c->encrypted_mountpoints, g_strdup (w[1]));
      if (free_ones != 1)
        continue;
      if (only->volume == NULL)
        only->volume = machine_volume_new ();
      only->volume->mountpoint = g_strdup (w[1]);
      only->volume->fs = g_strdup (w[2]);
      only->volume->uuid = g_strdup (w[0] + 5);
    }
  return TRUE;
}

/* An --include inside a container asr could not tell: every container
 * that may hold it is captured. */
static gboolean
maybe_holds_include (Capture *c, const MachineLuks *l)
{
  if (l->volume && l->volume->mountpoint)
    return FALSE;
  for (const char *const *inc = c->opts->include; inc && *inc; inc++)
    {
      gboolean encrypted = FALSE, placed = FALSE;
      for (guint i = 0; i < c->encrypted_mountpoints->len; i++)
        if (strcmp (g_ptr_array_index (c->encrypted_mountpoints, i), *inc) == 0)
          encrypted = TRUE;
      for (guint i = 0; i < c->luks->len; i++)
        {
          const MachineLuks *o = ((CaptureLuks *) g_ptr_array_index (c->luks, i))->luks;
          if (o->volume && g_strcmp0 (o->volume->mountpoint, *inc) == 0)
            placed = TRUE;
        }
      if (encrypted && !placed)
        return TRUE;
    }
  return FALSE;
}

gboolean
capture_luks_select (Capture *c, GError **error)
{
  for (guint i = 0; i < c->luks->len; i++)
    {
      CaptureLuks *cl = g_ptr_array_index (c->luks, i);
      MachineLuks *l = cl->luks;
      MachineVolume *v = l->volume;
      gboolean critical = v && v->mountpoint && capture_is_critical_mountpoint (c, v->mountpoint);
      guint64 ss = cl->disk->logical_sector;

      if (v)
        v->critical = critical ? MACHINE_TRISTATE_YES : MACHINE_TRISTATE_NO;
      if (critical || c->opts->all || maybe_holds_include (c, l))
        cl->disk->disk->critical = MACHINE_TRISTATE_YES;
      if (cl->disk->disk->critical != MACHINE_TRISTATE_YES)
        continue;
      g_autofree char *what = g_strdup_printf ("LUKS container %s on %s partition %u", l->id,
                                               cl->disk->disk->id, cl->partition->number);
      g_autofree char *file
        = g_strdup_printf ("%s-p%u-luks.qcow2", cl->disk->disk->id, cl->partition->number);
      CaptureVolume *cv = capture_volume_new (cl->disk, what, file, cl->partition->start * ss,
                                              cl->partition->sectors * ss, NULL);
      cv->image = &l->image;
      g_ptr_array_add (c->volumes, cv);
      capture_message (c,
                       "note: %s%s%s is captured whole, as it is on disk: encrypted, header "
                       "included (used data only does not apply inside it, and no key is needed)",
                       what, v && v->mountpoint ? ", holding " : "",
                       v && v->mountpoint ? v->mountpoint : "");
    }
  (void) error;
  return TRUE;
}
