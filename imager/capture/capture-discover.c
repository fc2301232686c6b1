/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What to capture: the OS (libguestfs inspection), its mountpoints, the
 * critical volumes (asr-capture(1): ESP, BIOS boot partition, /boot, /, /usr,
 * /var, plus --include; every volume with --all), critical disks, the boot
 * disk and the firmware — and the layouts asr cannot restore yet, refused
 * before anything is written.
 */
#include "config.h"

#include <string.h>

#include "appliance.h"
#include "capture-private.h"
#include "usedmap.h"

#define GUID_BIOS_BOOT "21686148-6e6f-7744-6150-6e6f74656564"

/* Filesystem types that are containers for layouts asr cannot recreate. */
static const struct {
  const char *fs;
  const char *what;
} unsupported_fs[] = {
  { "LVM2_member", "an LVM physical volume" },
  { "linux_raid_member", "an md RAID member" },
  { "crypto_LUKS", "a LUKS encrypted volume" },
  { "zfs_member", "a ZFS pool member" },
  { "bcache", "a bcache device" },
};

void
capture_part_ref_free (PartRef *r)
{
  g_free (r->gdev);
  g_free (r);
}

static gboolean
is_bios_boot (const MachineDisk *d, const MachinePartition *p)
{
  return d->ptable == MACHINE_PTABLE_GPT && p->type
         && g_ascii_strcasecmp (p->type, GUID_BIOS_BOOT) == 0;
}

static const char *
unsupported_what (const char *fs)
{
  for (gsize i = 0; fs && i < G_N_ELEMENTS (unsupported_fs); i++)
    if (strcmp (fs, unsupported_fs[i].fs) == 0)
      return unsupported_fs[i].what;
  return NULL;
}

/* NULL for "" (unknown to blkid) and for errors: no filesystem. */
static char *
vfs_string (guestfs_h *g, char *(*fn) (guestfs_h *, const char *), const char *dev)
{
  char *s = fn (g, dev);
  if (s && *s == '\0' && fn == guestfs_vfs_type)
    g_clear_pointer (&s, free);
  return s;
}

gboolean
capture_read_start (Capture *c, CaptureDisk *d, const char *gdev, guint64 offset, gsize bytes,
                    const char *what, char **out, gsize *got, GError **error)
{
  size_t n = 0;

  if (c->g == NULL)
    {
      if (!capture_read_disk (d, offset, bytes, out, error))
        return FALSE;
      *got = bytes;
      return TRUE;
    }
  *out = guestfs_pread_device (c->g, gdev, (int) bytes, 0, &n);
  if (*out == NULL)
    {
      asr_appliance_set_error (c->g, error, "reading %s", what);
      return FALSE;
    }
  *got = n;
  return TRUE;
}

MachineVolume *
capture_appliance_volume (Capture *c, const char *gdev)
{
  guestfs_push_error_handler (c->g, NULL, NULL);
  g_autofree char *fs = guestfs_vfs_type (c->g, gdev);
  MachineVolume *v = NULL;
  if (fs && *fs)
    {
      v = machine_volume_new ();
      v->fs = g_steal_pointer (&fs);
      v->uuid = guestfs_vfs_uuid (c->g, gdev);
      v->label = guestfs_vfs_label (c->g, gdev);
      if (v->uuid && *v->uuid == '\0')
        g_clear_pointer (&v->uuid, g_free);
    }
  guestfs_pop_error_handler (c->g);
  return v;
}

/* device name in the appliance → partition, with volume facts filled. */
static GHashTable *
map_partitions (Capture *c, GError **error)
{
  g_autoptr (GHashTable) map
    = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) capture_part_ref_free);
  g_auto (GStrv) parts = guestfs_list_partitions (c->g);

  if (parts == NULL)
    {
      asr_appliance_set_error (c->g, error, "listing partitions");
      return NULL;
    }
  for (char **pp = parts; *pp; pp++)
    {
      g_autofree char *dev = guestfs_part_to_dev (c->g, *pp);
      int num = guestfs_part_to_partnum (c->g, *pp);
      CaptureDisk *cd = NULL;
      MachinePartition *part = NULL;

      for (guint i = 0; dev && i < c->disks->len; i++)
        if (strcmp (((CaptureDisk *) g_ptr_array_index (c->disks, i))->gdev, dev) == 0)
          cd = g_ptr_array_index (c->disks, i);
      for (guint i = 0; cd && i < cd->disk->partitions->len; i++)
        {
          MachinePartition *p = g_ptr_array_index (cd->disk->partitions, i);
          if ((int) p->number == num)
            part = p;
        }
      if (part == NULL)
        {
          /* The kernel sees a partition asr's parser did not: two readers
           * disagree about the table, so neither can be trusted. */
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "the kernel sees partition %s that the partition table read by asr "
                       "does not have",
                       *pp);
          return NULL;
        }
      if (part->kind == MACHINE_PARTITION_KIND_EXTENDED)
        continue;

      g_autofree char *fs = vfs_string (c->g, guestfs_vfs_type, *pp);
      if (fs)
        {
          MachineVolume *v = machine_volume_new ();
          v->fs = g_steal_pointer (&fs);
          v->uuid = vfs_string (c->g, guestfs_vfs_uuid, *pp);
          v->label = vfs_string (c->g, guestfs_vfs_label, *pp);
          if (v->uuid && *v->uuid == '\0')
            g_clear_pointer (&v->uuid, g_free);
          machine_volume_free (part->volume);
          part->volume = v;
        }
      PartRef *ref = g_new0 (PartRef, 1);
      ref->disk = cd;
      ref->partition = part;
      ref->gdev = g_strdup (*pp);
      g_hash_table_insert (map, ref->gdev, ref);
    }
  return g_steal_pointer (&map);
}

gboolean
capture_is_critical_mountpoint (Capture *c, const char *mp)
{
  if (machine_mountpoint_is_critical (mp))
    return TRUE;
  return c->opts->include && g_strv_contains (c->opts->include, mp);
}

static char *
describe_device (const char *dev)
{
  if (g_str_has_prefix (dev, "/dev/md"))
    return g_strdup_printf ("%s (md RAID)", dev);
  if (g_str_has_prefix (dev, "/dev/mapper/") || g_str_has_prefix (dev, "/dev/dm-"))
    return g_strdup_printf ("%s (device-mapper: LVM or LUKS)", dev);
  if (g_str_has_prefix (dev, "btrfsvol:"))
    return g_strdup_printf ("%s (a btrfs subvolume)", dev);
  if (g_str_has_prefix (dev, "/dev/") && strchr (dev + 5, '/') != NULL)
    return g_strdup_printf ("%s (an LVM logical volume)", dev);
  return g_strdup_printf ("%s (not a partition of the given disks)", dev);
}

/* "btrfsvol:/dev/sda2/@home" → the partition /dev/sda2 and "@home".
 * libguestfs 1.48 may name the disk of a subvolume with another letter than
 * its partition list does (seen on a single disk): a name that is not in
 * the list is matched by partition number, when exactly one btrfs
 * partition has it. */
static PartRef *
btrfs_subvolume (GHashTable *parts, const char *dev, const char **path)
{
  const char *rest, *slash;
  g_autofree char *part = NULL;
  PartRef *found = NULL;
  guint matches = 0;

  if (!g_str_has_prefix (dev, "btrfsvol:/dev/"))
    return NULL;
  rest = dev + strlen ("btrfsvol:");
  slash = strchr (rest + strlen ("/dev/"), '/');
  if (slash == NULL || slash[1] == '\0')
    return NULL;
  part = g_strndup (rest, slash - rest);
  *path = slash + 1;
  if ((found = g_hash_table_lookup (parts, part)) != NULL)
    return found;

  gsize n = strlen (part);
  while (n > 0 && g_ascii_isdigit (part[n - 1]))
    n--;
  guint64 number;
  if (!g_ascii_string_to_unsigned (part + n, 10, 1, G_MAXUINT32, &number, NULL))
    return NULL;
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, parts);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      PartRef *r = value;
      if (r->partition->number == number && r->partition->volume
          && g_strcmp0 (r->partition->volume->fs, "btrfs") == 0)
        {
          found = r;
          matches++;
        }
    }
  return matches == 1 ? found : NULL;
}

/* Inspection reports a multi-device btrfs once per device: the same
 * filesystem UUID on every root. */
static gboolean
same_btrfs (GHashTable *parts, char **roots)
{
  const char *uuid = NULL;
  for (char **r = roots; *r; r++)
    {
      PartRef *ref = g_hash_table_lookup (parts, *r);
      const MachineVolume *v = ref ? ref->partition->volume : NULL;
      if (v == NULL || g_strcmp0 (v->fs, "btrfs") != 0 || v->uuid == NULL)
        return FALSE;
      if (uuid && g_ascii_strcasecmp (uuid, v->uuid) != 0)
        return FALSE;
      uuid = v->uuid;
    }
  return TRUE;
}

char *
capture_os_version (int major, int minor)
{
  if (major <= 0)
    return NULL;
  return minor > 0 ? g_strdup_printf ("%d.%d", major, minor) : g_strdup_printf ("%d", major);
}

static gboolean
inspect (Capture *c, GHashTable *parts, GError **error)
{
  g_auto (GStrv) roots = guestfs_inspect_os (c->g);
  g_autofree char *disk_list = NULL;

  {
    g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
    for (guint i = 0; i < c->disks->len; i++)
      g_strv_builder_add (b, ((CaptureDisk *) g_ptr_array_index (c->disks, i))->path);
    g_auto (GStrv) paths = g_strv_builder_end (b);
    disk_list = g_strjoinv (", ", paths);
  }
  if (roots == NULL)
    {
      asr_appliance_set_error (c->g, error, "inspecting %s", disk_list);
      return FALSE;
    }
  if (roots[0] == NULL)
    {
      const char *md = capture_md_problem (c);
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_UNSUPPORTED,
                   "no operating system found on %s (libguestfs inspection found no root "
                   "filesystem with /etc/fstab and an OS release file)%s%s",
                   disk_list, md ? "; " : "", md ? md : "");
      return FALSE;
    }
  if (roots[1] != NULL && same_btrfs (parts, roots))
    {
      g_autofree char *all = g_strjoinv (", ", roots);
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_UNSUPPORTED,
                   "the root filesystem is one btrfs on %u devices (%s): multi-device btrfs is "
                   "not supported yet; refused before anything was written",
                   g_strv_length (roots), all);
      return FALSE;
    }
  if (roots[1] != NULL)
    {
      g_autofree char *all = g_strjoinv (", ", roots);
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_UNSUPPORTED,
                   "%u operating systems found (roots %s): capturing a machine with more "
                   "than one OS is not supported yet",
                   g_strv_length (roots), all);
      return FALSE;
    }
  const char *root = roots[0];

  const char *subvol_path = NULL;
  if (!g_hash_table_contains (parts, root) && !g_hash_table_contains (c->lvs, root)
      && btrfs_subvolume (parts, root, &subvol_path) == NULL && !capture_md_is_root (c, root))
    {
      g_autofree char *d = describe_device (root);
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_UNSUPPORTED,
                   "the root filesystem is on %s: asr captures filesystems on partitions, "
                   "on LVM logical volumes, on md RAID1 arrays and btrfs subvolumes, and "
                   "no other",
                   d);
      return FALSE;
    }

  c->m->os = machine_os_new ();
  c->m->os->name = guestfs_inspect_get_distro (c->g, root);
  if (c->m->os->name && strcmp (c->m->os->name, "unknown") == 0)
    g_clear_pointer (&c->m->os->name, free);
  c->m->os->version = capture_os_version (guestfs_inspect_get_major_version (c->g, root),
                                          guestfs_inspect_get_minor_version (c->g, root));
  c->m->os->hostname = guestfs_inspect_get_hostname (c->g, root);
  if (c->m->os->hostname && strcmp (c->m->os->hostname, "unknown") == 0)
    g_clear_pointer (&c->m->os->hostname, free);

  c->m->hardware = machine_hardware_new ();
  c->m->hardware->architecture = guestfs_inspect_get_arch (c->g, root);
  if (c->m->hardware->architecture && strcmp (c->m->hardware->architecture, "unknown") == 0)
    g_clear_pointer (&c->m->hardware->architecture, free);

  /* Mountpoints from the OS's fstab, as devices of the appliance. */
  g_auto (GStrv) mps = guestfs_inspect_get_mountpoints (c->g, root);
  if (mps == NULL)
    {
      asr_appliance_set_error (c->g, error, "reading the OS's mountpoints");
      return FALSE;
    }
  return capture_assign_mountpoints (c, parts, root, mps, error);
}

gboolean
capture_assign_mountpoints (Capture *c, GHashTable *parts, const char *root, char **mps,
                            GError **error)
{
  for (char **mp = mps; mp[0] && mp[1]; mp += 2)
    {
      PartRef *ref = g_hash_table_lookup (parts, mp[1]);
      CaptureLv *lv = g_hash_table_lookup (c->lvs, mp[1]);
      const char *path = NULL;
      PartRef *bref = ref ? NULL : btrfs_subvolume (parts, mp[1], &path);
      if (bref != NULL && bref->partition->volume != NULL)
        {
          MachineSubvolume *sv = machine_subvolume_new (path);
          sv->mountpoint = g_strdup (mp[0]);
          g_ptr_array_add (bref->partition->volume->subvolumes, sv);
          continue;
        }
      if (ref == NULL && lv != NULL)
        {
          if (lv->lv->volume == NULL)
            lv->lv->volume = machine_volume_new ();
          g_free (lv->lv->volume->mountpoint);
          lv->lv->volume->mountpoint = g_strdup (mp[0]);
          continue;
        }
      if (ref == NULL && capture_md_mountpoint (c, mp[0], mp[1]))
        continue;
      gboolean mapped = FALSE;
      if (ref == NULL && !capture_luks_mountpoint (c, root, mp[0], mp[1], &mapped, error))
        return FALSE;
      if (mapped)
        continue;
      if (ref == NULL)
        {
          if (capture_is_critical_mountpoint (c, mp[0]))
            {
              g_autofree char *d = describe_device (mp[1]);
              g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_UNSUPPORTED,
                           "%s is on %s: asr captures filesystems on partitions, on LVM "
                           "logical volumes, on md RAID1 arrays, in LUKS containers and btrfs "
                           "subvolumes, and no other",
                           mp[0], d);
              return FALSE;
            }
          capture_message (c, "note: %s is on %s, which asr does not capture", mp[0], mp[1]);
          continue;
        }
      if (ref->partition->volume == NULL)
        ref->partition->volume = machine_volume_new ();
      g_free (ref->partition->volume->mountpoint);
      ref->partition->volume->mountpoint = g_strdup (mp[0]);
    }
  if (!capture_luks_fstab (c, root, error))
    return FALSE;
  for (const char *const *inc = c->opts->include; inc && *inc; inc++)
    {
      gboolean found = FALSE;
      for (guint i = 0; i < c->encrypted_mountpoints->len; i++)
        if (strcmp (g_ptr_array_index (c->encrypted_mountpoints, i), *inc) == 0)
          found = TRUE;
      for (char **mp = mps; mp[0] && mp[1]; mp += 2)
        if (strcmp (mp[0], *inc) == 0)
          found = TRUE;
      if (!found)
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "--include %s: not a mountpoint in the OS's fstab", *inc);
          return FALSE;
        }
    }
  return TRUE;
}

/* A btrfs filesystem on several devices is not one partition's image:
 * refused.  (An error of the listing itself leaves the question open,
 * and the capture goes on: mounting it is the real test.) */
static gboolean
btrfs_single_device (Capture *c, const PartRef *ref, GError **error)
{
  guestfs_push_error_handler (c->g, NULL, NULL);
  g_auto (GStrv) devs = guestfs_btrfs_filesystem_show (c->g, ref->gdev);
  guestfs_pop_error_handler (c->g);
  if (devs == NULL || g_strv_length (devs) <= 1)
    return TRUE;
  g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_UNSUPPORTED,
               "the btrfs filesystem on %s partition %u spans %u devices: multi-device btrfs "
               "is not supported yet; refused before anything was written",
               ref->disk->disk->id, ref->partition->number, g_strv_length (devs));
  return FALSE;
}

/* Sets volume and disk critical flags and collects the volumes to image. */
static gboolean
select_volumes (Capture *c, GHashTable *parts, GError **error)
{
  GHashTableIter it;
  gpointer key, value;

  g_hash_table_iter_init (&it, parts);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      PartRef *ref = value;
      MachinePartition *p = ref->partition;
      MachineVolume *v = p->volume;
      gboolean critical = FALSE;
      gboolean raw = FALSE;

      if (v && v->mountpoint && capture_is_critical_mountpoint (c, v->mountpoint))
        critical = TRUE;
      for (guint k = 0; v && k < v->subvolumes->len; k++)
        {
          const MachineSubvolume *sv = g_ptr_array_index (v->subvolumes, k);
          if (sv->mountpoint && capture_is_critical_mountpoint (c, sv->mountpoint))
            critical = TRUE;
        }
      if (machine_partition_is_esp (ref->disk->disk, p))
        critical = TRUE;
      if (is_bios_boot (ref->disk->disk, p))
        critical = raw = TRUE;
      if (c->opts->all)
        critical = TRUE;
      if (v && g_strcmp0 (v->fs, "swap") == 0)
        critical = FALSE; /* recorded; restore recreates it with its UUID and label */
      if (v && unsupported_what (v->fs))
        critical = FALSE; /* refused below if its disk is critical */
      if (v == NULL && !raw && !c->opts->all)
        critical = FALSE;

      if (v)
        v->critical = critical ? MACHINE_TRISTATE_YES : MACHINE_TRISTATE_NO;
      if (!critical)
        continue;
      if (v && g_strcmp0 (v->fs, "btrfs") == 0 && !btrfs_single_device (c, ref, error))
        return FALSE;
      if (v == NULL)
        {
          /* Critical with no filesystem (BIOS boot, --all on unknown data):
           * imaged raw, still sparse. */
          v = p->volume = machine_volume_new ();
          v->critical = MACHINE_TRISTATE_YES;
          raw = TRUE;
        }
      ref->disk->disk->critical = MACHINE_TRISTATE_YES;

      g_autofree char *what = g_strdup_printf ("%s partition %u", ref->disk->disk->id, p->number);
      g_autofree char *file = g_strdup_printf ("%s-p%u.qcow2", ref->disk->disk->id, p->number);
      guint64 ss = ref->disk->logical_sector;
      CaptureVolume *cv
        = capture_volume_new (ref->disk, what, file, p->start * ss, p->sectors * ss, ref->gdev);
      cv->partition = p;
      cv->volume = v;
      cv->image = &v->image;
      cv->has_fs = !raw && v->fs != NULL;
      g_ptr_array_add (c->volumes, cv);
    }
  return TRUE;
}

static gint
compare_volumes (gconstpointer a, gconstpointer b)
{
  const CaptureVolume *x = *(CaptureVolume *const *) a;
  const CaptureVolume *y = *(CaptureVolume *const *) b;
  if (x->disk->index != y->disk->index)
    return x->disk->index < y->disk->index ? -1 : 1;
  return x->offset < y->offset ? -1 : x->offset > y->offset ? 1 : 0;
}

/* Refusals and warnings per disk, once critical disks are known. */
static gboolean
check_disks (Capture *c, GError **error)
{
  gboolean any_critical = FALSE;

  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *cd = g_ptr_array_index (c->disks, i);
      MachineDisk *d = cd->disk;

      if (d->critical != MACHINE_TRISTATE_YES)
        {
          d->critical = MACHINE_TRISTATE_NO;
          continue;
        }
      any_critical = TRUE;
      if (d->ptable == MACHINE_PTABLE_NONE)
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_UNSUPPORTED,
                       "%s (%s) has no partition table: whole-disk filesystems are not "
                       "supported yet",
                       cd->path, d->id);
          return FALSE;
        }
      for (guint j = 0; j < d->partitions->len; j++)
        {
          MachinePartition *p = g_ptr_array_index (d->partitions, j);
          MachineVolume *v = p->volume;
          const char *what = v ? unsupported_what (v->fs) : NULL;
          g_autofree char *ref = g_strdup_printf ("%s/p%u", d->id, p->number);
          MachineHolder holder;

          if (v == NULL && machine_descriptor_find_holder (c->m, ref, &holder)
              && (holder.pv || holder.luks || holder.md))
            continue; /* an LVM PV or a LUKS container: restored with what it carries */

          if (what)
            {
              g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_UNSUPPORTED,
                           "%s partition %u (%s) is %s that asr cannot restore (no volume "
                           "group, md array or LUKS container read from the SOURCEs holds "
                           "it): restoring its disk would destroy it",
                           cd->path, p->number, d->id, what);
              return FALSE;
            }
          if (p->kind == MACHINE_PARTITION_KIND_EXTENDED)
            continue;
          if (v && v->critical == MACHINE_TRISTATE_YES)
            continue;
          if (v && g_strcmp0 (v->fs, "swap") == 0)
            continue;
          if (v && v->fs)
            capture_message (c,
                             "warning: %s partition %u (%s%s%s) is on a critical disk but not "
                             "captured: restore recreates it empty (same UUID and label); "
                             "use --include %s to keep its data",
                             d->id, p->number, v->fs, v->mountpoint ? ", " : "",
                             v->mountpoint ? v->mountpoint : "",
                             v->mountpoint ? v->mountpoint : "MOUNTPOINT");
          else
            capture_message (c,
                             "warning: %s partition %u holds no filesystem asr knows and is "
                             "not captured: restore recreates it empty (use --all to image it "
                             "raw)",
                             d->id, p->number);
        }
    }
  if (!any_critical)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_UNSUPPORTED,
                   "no critical volume found: the OS's /, /boot, /usr, /var and ESP are "
                   "not on partitions of the given disks");
      return FALSE;
    }
  return TRUE;
}

/* Boot areas, the boot disk and the firmware. */
static gboolean
boot_facts (Capture *c, GError **error)
{
  gboolean esp_mounted = FALSE, any_esp = FALSE, any_boot_code = FALSE;
  CaptureDisk *esp_disk = NULL, *code_disk = NULL;

  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *cd = g_ptr_array_index (c->disks, i);
      MachineDisk *d = cd->disk;
      guint64 first = G_MAXUINT64;
      gsize got = 0;
      gboolean code = FALSE;

      for (guint j = 0; j < d->partitions->len; j++)
        {
          MachinePartition *p = g_ptr_array_index (d->partitions, j);
          if (p->kind != MACHINE_PARTITION_KIND_LOGICAL)
            first = MIN (first, p->start);
          if (machine_partition_is_esp (d, p) && d->critical == MACHINE_TRISTATE_YES)
            {
              any_esp = TRUE;
              if (esp_disk == NULL)
                esp_disk = cd;
              if (p->volume && p->volume->mountpoint
                  && (strcmp (p->volume->mountpoint, "/boot/efi") == 0
                      || strcmp (p->volume->mountpoint, "/efi") == 0))
                esp_mounted = TRUE;
            }
        }

      g_autofree char *sector0 = NULL;
      g_autofree char *what = g_strdup_printf ("the boot code of %s", d->id);
      if (!capture_read_start (c, cd, cd->gdev, 0, 440, what, &sector0, &got, error))
        return FALSE;
      for (size_t k = 0; k < got; k++)
        if (sector0[k] != 0)
          code = TRUE;
      if (code && d->critical == MACHINE_TRISTATE_YES)
        {
          any_boot_code = TRUE;
          if (code_disk == NULL)
            code_disk = cd;
        }

      d->boot = MACHINE_TRISTATE_NO;
      if (d->critical == MACHINE_TRISTATE_YES && first != G_MAXUINT64 && first > 0)
        {
          d->boot_area = machine_boot_area_new ();
          d->boot_area->bytes = first * cd->logical_sector;
        }
    }

  MachineFirmware fw
    = (any_esp && (esp_mounted || !any_boot_code)) ? MACHINE_FIRMWARE_UEFI : MACHINE_FIRMWARE_BIOS;
  c->m->hardware->firmware = fw;
  CaptureDisk *boot = fw == MACHINE_FIRMWARE_UEFI ? esp_disk : code_disk;
  if (boot)
    boot->disk->boot = MACHINE_TRISTATE_YES;
  else
    capture_message (c, "warning: no boot code and no EFI system partition found on the "
                        "critical disks: the machine may not boot after a restore");
  return TRUE;
}

gboolean
capture_discover (Capture *c, GError **error)
{
  g_autoptr (GHashTable) parts = map_partitions (c, error);

  if (parts == NULL)
    return FALSE;
  return capture_md_discover (c, parts, error) && capture_lvm_discover (c, parts, error)
         && capture_luks_discover (c, parts, error) && inspect (c, parts, error)
         && capture_discover_finish (c, parts, error);
}

gboolean
capture_discover_finish (Capture *c, GHashTable *parts, GError **error)
{
  if (!select_volumes (c, parts, error) || !capture_md_select (c, error)
      || !capture_lvm_select (c, error) || !capture_luks_select (c, error)
      || !check_disks (c, error) || !boot_facts (c, error))
    return FALSE;
  /* Disk and partition order, so images are written predictably. */
  g_ptr_array_sort (c->volumes, compare_volumes);
  return TRUE;
}

/* Why @v's used blocks cannot be read from its bitmaps now (a journal
 * to replay first, features the reader refuses), NULL if they can: the
 * appliance, which replays a journal as it mounts, takes it instead. */
static char *
map_refused (Capture *c, const CaptureVolume *v)
{
  g_auto (GStrv) kv = guestfs_tune2fs_l (c->g, v->gdev);
  const char *features = NULL, *state = NULL;

  if (kv == NULL)
    return g_strdup_printf ("tune2fs -l failed: %s", guestfs_last_error (c->g));
  for (char **p = kv; p[0] && p[1]; p += 2)
    if (strcmp (p[0], "Filesystem features") == 0)
      features = p[1];
    else if (strcmp (p[0], "Filesystem state") == 0)
      state = p[1];
  g_auto (GStrv) f = g_strsplit (features ? features : "", " ", -1);
  if (g_strv_contains ((const char *const *) f, "needs_recovery"))
    return g_strdup ("its journal needs recovery");
  if (g_strv_contains ((const char *const *) f, "bigalloc"))
    return g_strdup ("bigalloc is not read");
  if (state == NULL || strcmp (state, "clean") != 0)
    return g_strdup_printf ("its state is '%s'", state ? state : "unknown");
  return NULL;
}

/* Mounts @v at / in the appliance; FALSE, saying so, when it cannot (an
 * fs the appliance lacks): the volume is imaged whole. */
static gboolean
mount_or_note (Capture *c, CaptureVolume *v)
{
  if (guestfs_mount (c->g, v->gdev, "/") == 0)
    return TRUE;
  capture_message (c,
                   "note: %s (%s) cannot be mounted in the appliance: "
                   "imaged whole, free space included",
                   v->what, v->volume->fs);
  return FALSE;
}

gboolean
capture_trim (Capture *c, GError **error)
{
  for (guint i = 0; i < c->volumes->len; i++)
    {
      CaptureVolume *v = g_ptr_array_index (c->volumes, i);
      if (!v->has_fs)
        continue;
      if (g_strcmp0 (v->volume->fs, "xfs") == 0)
        {
          /* A mount replays a log left dirty (in the overlay) and the
           * unmount writes the clean one the map reader requires. */
          if (!mount_or_note (c, v))
            continue;
          if (guestfs_umount (c->g, "/") == -1)
            {
              asr_appliance_set_error (c->g, error, "unmounting %s", v->gdev);
              return FALSE;
            }
          v->map_used = TRUE;
          continue;
        }
      if (asr_used_map_knows (v->volume->fs))
        {
          /* FAT: a dirty one is imaged whole after the appliance */
          g_autofree char *why
            = g_str_has_prefix (v->volume->fs, "ext") ? map_refused (c, v) : NULL;
          if (why == NULL)
            {
              v->map_used = TRUE;
              continue;
            }
          capture_message (c, "%s (%s): %s: its free space is trimmed in the appliance", v->what,
                           v->volume->fs, why);
        }
      if (!mount_or_note (c, v))
        continue;
      struct guestfs_statvfs *sv = guestfs_statvfs (c->g, "/");
      if (sv)
        {
          guint64 used = (guint64) (sv->blocks - sv->bfree) * (guint64) sv->frsize;
          v->used_bytes = MIN (used, v->used_bytes);
          guestfs_free_statvfs (sv);
        }
      /* Discarded blocks read as zeroes in the overlay: qemu-img convert
       * skips them.  A filesystem that cannot trim is imaged whole. */
      if (guestfs_fstrim (c->g, "/", -1) == -1)
        capture_message (c, "note: %s (%s): fstrim failed (%s): free space is imaged too", v->what,
                         v->volume->fs, guestfs_last_error (c->g));
      if (guestfs_umount (c->g, "/") == -1)
        {
          asr_appliance_set_error (c->g, error, "unmounting %s", v->gdev);
          return FALSE;
        }
    }
  return TRUE;
}
