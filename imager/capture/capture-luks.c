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
 * on disk); NULL when it is neither. */
static const char *
luks_type (guestfs_h *g, const char *dev)
{
  size_t got = 0;
  g_autofree char *h = guestfs_pread_device (g, dev, 8, 0, &got);

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
  g_hash_table_iter_init (&it, parts);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      PartRef *ref = value;
      MachinePartition *p = ref->partition;
      const char *type;

      if (p->volume == NULL || g_strcmp0 (p->volume->fs, "crypto_LUKS") != 0)
        continue;
      type = luks_type (c->g, ref->gdev);
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

/* Reads the OS's /etc/crypttab once: each container it names takes the
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
  if (guestfs_is_file (c->g, "/etc/crypttab") > 0)
    {
      gint64 size = guestfs_filesize (c->g, "/etc/crypttab");
      if (size >= 0 && size <= CRYPTTAB_MAX_BYTES)
        text = guestfs_read_file (c->g, "/etc/crypttab", &len);
    }
  guestfs_pop_error_handler (c->g);
  if (guestfs_umount (c->g, "/") == -1)
    {
      asr_appliance_set_error (c->g, error, "unmounting the root filesystem");
      return FALSE;
    }
  if (text == NULL)
    return TRUE;

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
  return TRUE;
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

gboolean
capture_luks_select (Capture *c, GError **error)
{
  for (guint i = 0; i < c->luks->len; i++)
    {
      CaptureLuks *cl = g_ptr_array_index (c->luks, i);
      MachineLuks *l = cl->luks;
      MachineVolume *v = l->volume;
      gboolean critical
        = v && v->mountpoint
          && (machine_mountpoint_is_critical (v->mountpoint)
              || (c->opts->include && g_strv_contains (c->opts->include, v->mountpoint)));
      guint64 ss = cl->disk->logical_sector;

      if (v)
        v->critical = critical ? MACHINE_TRISTATE_YES : MACHINE_TRISTATE_NO;
      if (critical || c->opts->all)
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
