/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Capture without the appliance (docs/asr-capture.1, WITHOUT THE
 * APPLIANCE): where every filesystem on the given disks is ext2/3/4, FAT,
 * xfs or swap on a partition, a linear LVM logical volume or an md RAID1
 * array, the OS is inspected in userspace.  Each disk's overlay is exported as a file
 * (export.h); LVM's labels and metadata are read from the physical
 * volumes' bytes (lvm-label.c, lvm-text.c), each logical volume a range
 * of its PV; a RAID1 array is its slot-0 member's copy of the data, from
 * the members' superblocks (md-super.c); blkid names each partition's and LV's filesystem, under
 * image probing's limits; the root is the one ext or xfs filesystem with
 * /etc/fstab and an os-release file, read (ext through libext2fs, xfs by
 * asr's own reader) in a sandboxed child (usedmap.h), which also reads
 * the used blocks; LUKS containers are captured whole, crypttab and fstab
 * read from the root name what they hold.  Anything else (md arrays but
 * whole RAID1 ones, btrfs, an LV that is not
 * linear in one segment, an fstab entry by a device name that is no LV,
 * a journal or log to replay, an xfs directory in b-tree format) leaves
 * the machine to the appliance, with nothing changed.
 */
#include "config.h"

#include <string.h>

#include "capture-private.h"
#include "run.h"

/* Files read from each candidate root, at most this many bytes each. */
#define INSPECT_MAX_FILE_BYTES (256u * 1024u)

/* os-release IDs and the names libguestfs inspection gives them, so a
 * descriptor says the same whichever path captured it.  Others go to
 * the appliance. */
static const struct {
  const char *id;
  const char *name;
} distros[] = {
  { "debian", "debian" },          { "ubuntu", "ubuntu" }, { "fedora", "fedora" },
  { "centos", "centos" },          { "rhel", "rhel" },     { "rocky", "rocky" },
  { "opensuse-leap", "opensuse" }, { "sles", "sles" },     { "arch", "archlinux" },
  { "alpine", "alpinelinux" },
};

/* Why the appliance must inspect these disks (kept for the error when it
 * cannot start, as on the rescue medium); FALSE, for `return`. */
static gboolean fallback (Capture *c, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fallback (Capture *c, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_free (c->appliance_why);
  c->appliance_why = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_debug ("%s: the appliance inspects", c->appliance_why);
  return FALSE;
}

typedef struct {
  CaptureDisk *disk;
  MachinePartition *part; /* NULL for a logical volume or an md array */
  char *gdev;             /* a name like the appliance's (/dev/sda2, /dev/VG/LV) */
  char *mapper;           /* a logical volume's /dev/mapper name */
  char *what;             /* "disk0 partition 2", "logical volume vg0/root" */
  guint64 offset, bytes;  /* its range in the disk */
  char *fs, *uuid, *label;
  AsrUsedMap *map;    /* its free extents, read here */
  gboolean map_again; /* none: the copy step reads it again and says why */
} Found;

static void
found_free (Found *f)
{
  g_free (f->gdev);
  g_free (f->mapper);
  g_free (f->what);
  g_free (f->fs);
  g_free (f->uuid);
  g_free (f->label);
  asr_used_map_free (f->map);
  g_free (f);
}

/* What blkid named on @f, as a volume of the descriptor; NULL when
 * nothing. */
static MachineVolume *
found_volume (const Found *f)
{
  if (f->fs == NULL)
    return NULL;
  MachineVolume *v = machine_volume_new ();
  v->fs = g_strdup (f->fs);
  v->uuid = g_strdup (f->uuid);
  v->label = g_strdup (f->label);
  return v;
}

/* blkid's answer for one partition: TYPE, UUID, LABEL (NULL when none).
 * FALSE (no error) when blkid cannot say for sure: the appliance decides. */
static gboolean
blkid_partition (Capture *c, Found *f)
{
  g_autofree char *off = g_strdup_printf ("%" G_GUINT64_FORMAT, f->offset);
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, f->bytes);
  const char *argv[] = { "blkid", "-p", "-o", "export", "-O", off, "-S", size, f->disk->raw, NULL };
  AsrRunOptions ro;
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) local = NULL;

  /* image probing's limits: blkid parses what the partition holds */
  asr_probe_run_options_image (&ro);
  ro.capture_stdout = TRUE;
  ro.stdout_max_bytes = 65536;
  ro.stderr_drop_prefix = NULL;
  if (!asr_run_full (argv, &ro, &r, &local))
    {
      if (r.exit_status == 2)
        return TRUE; /* nothing found */
      return fallback (c, "blkid on %s: %s", f->gdev, local->message);
    }
  g_auto (GStrv) lines = g_strsplit (r.stdout_text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      const char *eq = strchr (*l, '=');
      if (eq == NULL)
        continue;
      g_autofree char *key = g_strndup (*l, (gsize) (eq - *l));
      char **slot = strcmp (key, "TYPE") == 0    ? &f->fs
                    : strcmp (key, "UUID") == 0  ? &f->uuid
                    : strcmp (key, "LABEL") == 0 ? &f->label
                                                 : NULL;
      if (slot && *slot == NULL && eq[1] != '\0')
        *slot = g_strdup (eq + 1);
    }
  return TRUE;
}

/* A new Found in @found, taking @gdev and @what; blkid names what it
 * holds.  FALSE (no error) when the appliance must look instead: blkid
 * unsure, or something asr reads no used blocks from that is not swap
 * nor, where @members, an LVM, md or LUKS member (read by their own
 * readers). */
static gboolean
found_add (Capture *c, GPtrArray *found, CaptureDisk *disk, MachinePartition *part, char *gdev,
           char *what, guint64 offset, guint64 bytes, gboolean members, Found **out)
{
  static const char *const member_types[]
    = { "LVM2_member", "linux_raid_member", "crypto_LUKS", NULL };
  Found *f = g_new0 (Found, 1);

  g_ptr_array_add (found, f);
  f->disk = disk;
  f->part = part;
  f->gdev = gdev;
  f->what = what;
  f->offset = offset;
  f->bytes = bytes;
  if (out)
    *out = f;
  if (!blkid_partition (c, f))
    return FALSE;
  if (f->fs && !asr_used_map_knows (f->fs) && strcmp (f->fs, "swap") != 0
      && !(members && g_strv_contains (member_types, f->fs)))
    return fallback (c, "%s holds %s", f->what, f->fs);
  return TRUE;
}

/* A filesystem asr reads files from: one that may hold the OS. */
static gboolean
may_be_root (const char *fs)
{
  return fs && (g_str_has_prefix (fs, "ext") || strcmp (fs, "xfs") == 0) && asr_used_map_knows (fs);
}

/* KEY's value in an os-release text, unquoted; NULL when absent. */
static char *
os_release_value (const char *text, const char *key)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gsize klen = strlen (key);
  for (char **l = lines; *l; l++)
    {
      const char *s = g_strstrip (*l);
      if (strncmp (s, key, klen) != 0 || s[klen] != '=')
        continue;
      s += klen + 1;
      gsize len = strlen (s);
      if (len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0])
        return g_strndup (s + 1, len - 2);
      return g_strdup (s);
    }
  return NULL;
}

/* "12" → 12, 0; "22.04" → 22, 4, as libguestfs parses VERSION_ID. */
static void
parse_version (const char *v, int *major, int *minor)
{
  *major = *minor = 0;
  if (v == NULL)
    return;
  char *end = NULL;
  *major = (int) g_ascii_strtoll (v, &end, 10);
  if (end && *end == '.')
    *minor = (int) g_ascii_strtoll (end + 1, NULL, 10);
}

/* The architecture of an ELF binary's header, as libguestfs names it. */
static char *
elf_arch (GBytes *b)
{
  gsize len = 0;
  const guint8 *h = b ? g_bytes_get_data (b, &len) : NULL;
  if (len < 20 || memcmp (h, "\177ELF", 4) != 0)
    return NULL;
  guint16 machine = h[5] == 2 ? (guint16) (h[18] << 8 | h[19]) : (guint16) (h[19] << 8 | h[18]);
  switch (machine)
    {
    case 62:
      return g_strdup ("x86_64");
    case 3:
      return g_strdup ("i386");
    case 183:
      return g_strdup ("aarch64");
    case 40:
      return g_strdup ("arm");
    case 21:
      return g_strdup (h[4] == 2 ? "ppc64" : "ppc");
    case 22:
      return g_strdup ("s390x");
    case 243:
      return g_strdup ("riscv64");
    default:
      return NULL;
    }
}

/* The partition an fstab device names, by UUID, LABEL or PARTUUID;
 * NULL with *known FALSE for a form the appliance must resolve, or a name
 * two partitions answer to. */
static Found *
resolve_spec (GPtrArray *found, const char *spec, gboolean *known)
{
  const char *uuid = NULL, *label = NULL, *partuuid = NULL;
  *known = TRUE;
  if (g_str_has_prefix (spec, "UUID="))
    uuid = spec + 5;
  else if (g_str_has_prefix (spec, "/dev/disk/by-uuid/"))
    uuid = spec + strlen ("/dev/disk/by-uuid/");
  else if (g_str_has_prefix (spec, "LABEL="))
    label = spec + 6;
  else if (g_str_has_prefix (spec, "/dev/disk/by-label/"))
    label = spec + strlen ("/dev/disk/by-label/");
  else if (g_str_has_prefix (spec, "PARTUUID="))
    partuuid = spec + 9;
  else if (g_str_has_prefix (spec, "/dev/disk/by-partuuid/"))
    partuuid = spec + strlen ("/dev/disk/by-partuuid/");
  else
    {
      /* a logical volume by its device names: /dev/VG/LV, /dev/mapper/VG-LV */
      for (guint i = 0; i < found->len; i++)
        {
          Found *f = g_ptr_array_index (found, i);
          if (f->mapper && (strcmp (spec, f->gdev) == 0 || strcmp (spec, f->mapper) == 0))
            return f;
        }
      *known = FALSE;
      return NULL;
    }
  Found *match = NULL;
  for (guint i = 0; i < found->len; i++)
    {
      Found *f = g_ptr_array_index (found, i);
      const char *guid = f->part ? f->part->guid : NULL;
      gboolean hit = (uuid && f->uuid && g_ascii_strcasecmp (f->uuid, uuid) == 0)
                     || (label && f->label && strcmp (f->label, label) == 0)
                     || (partuuid && guid && g_ascii_strcasecmp (guid, partuuid) == 0);
      if (!hit && partuuid && f->part && f->disk->disk->signature && !guid)
        {
          /* MBR: the disk signature and the partition number, 0fa017ed-02 */
          const char *sig = f->disk->disk->signature;
          if (g_str_has_prefix (sig, "0x"))
            sig += 2;
          g_autofree char *want = g_strdup_printf ("%s-%02x", sig, f->part->number);
          hit = g_ascii_strcasecmp (want, partuuid) == 0;
        }
      if (hit && match)
        {
          /* two volumes answer to it (a cloned disk): which one the OS
           * mounts is not for asr to guess */
          *known = FALSE;
          return NULL;
        }
      if (hit)
        match = f;
    }
  return match;
}

/* Filesystem types of fstab entries that are no volume of a disk. */
static gboolean
virtual_fs (const char *type)
{
  static const char *const skip[]
    = { "swap",    "proc",    "sysfs",      "tmpfs",    "devpts",      "devtmpfs", "cgroup",
        "cgroup2", "debugfs", "securityfs", "nfs",      "nfs4",        "cifs",     "autofs",
        "none",    "bind",    "fuse",       "efivarfs", "binfmt_misc", NULL };
  return g_strv_contains (skip, type);
}

/* fstab → pairs (mountpoint, gdev); FALSE (no error) when an entry
 * needs the appliance to resolve it. */
static gboolean
fstab_mountpoints (Capture *c, GPtrArray *found, Found *root, const char *fstab, GPtrArray *mps)
{
  g_auto (GStrv) lines = g_strsplit (fstab, "\n", -1);
  gboolean has_root = FALSE, luks = FALSE;

  for (guint i = 0; i < found->len; i++)
    if (g_strcmp0 (((Found *) g_ptr_array_index (found, i))->fs, "crypto_LUKS") == 0)
      luks = TRUE;

  for (char **l = lines; *l; l++)
    {
      const char *line = g_strstrip (*l);
      if (*line == '\0' || *line == '#')
        continue;
      g_auto (GStrv) f = g_strsplit_set (line, " \t", -1);
      g_autoptr (GPtrArray) fields = g_ptr_array_new ();
      for (char **p = f; *p; p++)
        if (**p)
          g_ptr_array_add (fields, *p);
      if (fields->len < 3)
        continue;
      const char *spec = fields->pdata[0], *mp = fields->pdata[1], *type = fields->pdata[2];
      if (mp[0] != '/' || virtual_fs (type))
        continue;
      if (fields->len > 3 && strstr (fields->pdata[3], "bind"))
        continue;
      gboolean known;
      Found *v = resolve_spec (found, spec, &known);
      /* a crypttab name: capture_luks_mountpoint's */
      gboolean mapped = v == NULL && luks && g_str_has_prefix (spec, "/dev/mapper/");
      if (v == NULL && luks && known && g_str_has_prefix (spec, "UUID="))
        continue; /* inside a container, maybe: capture_luks_fstab's */
      if (!known && !mapped)
        {
          return fallback (c,
                           "fstab names %s as %s (a form that needs the appliance, or a name "
                           "several volumes share)",
                           mp, spec);
        }
      if (v == NULL && !mapped && capture_is_critical_mountpoint (c, mp))
        return fallback (c, "fstab's %s is on %s, not on these disks", mp, spec);
      g_ptr_array_add (mps, g_strdup (mp));
      g_ptr_array_add (mps, g_strdup (v ? v->gdev : spec));
      if (strcmp (mp, "/") == 0)
        has_root = TRUE;
    }
  if (!has_root)
    {
      g_ptr_array_add (mps, g_strdup ("/"));
      g_ptr_array_add (mps, g_strdup (root->gdev));
    }
  g_ptr_array_add (mps, NULL);
  return TRUE;
}

/* The OS facts from the root's files; FALSE (no error) for an OS the
 * appliance should name. */
static gboolean
os_facts (Capture *c, AsrVolumeFile *files)
{
  const AsrVolumeFile *osr = files[1].found ? &files[1] : &files[2];
  g_autofree char *text
    = g_strndup (g_bytes_get_data (osr->data, NULL), g_bytes_get_size (osr->data));
  g_autofree char *id = os_release_value (text, "ID");
  g_autofree char *version = os_release_value (text, "VERSION_ID");
  const char *name = NULL;
  int major, minor;

  for (gsize i = 0; id && i < G_N_ELEMENTS (distros); i++)
    if (strcmp (id, distros[i].id) == 0)
      name = distros[i].name;
  if (name == NULL)
    return fallback (c, "the OS is '%s' (os-release), which libguestfs names", id ? id : "");
  c->m->os = machine_os_new ();
  c->m->os->name = g_strdup (name);
  parse_version (version, &major, &minor);
  c->m->os->version = capture_os_version (major, minor);
  if (files[3].found)
    {
      g_autofree char *h
        = g_strndup (g_bytes_get_data (files[3].data, NULL), g_bytes_get_size (files[3].data));
      char *nl = strchr (h, '\n');
      if (nl)
        *nl = '\0';
      g_strstrip (h);
      if (*h && g_utf8_validate (h, -1, NULL))
        c->m->os->hostname = g_strdup (h);
    }
  c->m->hardware = machine_hardware_new ();
  c->m->hardware->architecture = elf_arch (files[4].found ? files[4].data : NULL);
  return TRUE;
}

/* ---- md RAID1, from the members' own superblocks ------------------------ */

/* An array's device name here, for fstab and the maps. */
static char *
md_gdev (const char *uuid)
{
  return g_strdup_printf ("/dev/md/%s", uuid);
}

/* An array as its members' superblocks describe it. */
typedef struct {
  AsrMdSuper first;    /* the first member's superblock */
  Found *copy;         /* the member whose copy of the data is read */
  gint32 copy_role;    /* its slot: 0 unless that member is missing */
  guint64 data_offset; /* of its data, in sectors */
} FoundMd;

/* Each RAID1 array on these disks as a Found: the slot-0 member's copy
 * of the data, as capture images it (capture_md_select), or another
 * member's when that one is missing (capture then refuses the array if
 * it is to be restored, as with the appliance).  FALSE (no error) for
 * what the appliance should assemble: another level or metadata, members
 * out of step. */
static gboolean
md_userspace (Capture *c, GPtrArray *found)
{
  g_autoptr (GHashTable) arrays = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  guint partitions = found->len;
  GHashTableIter it;
  gpointer key, value;

  for (guint i = 0; i < partitions; i++)
    {
      Found *f = g_ptr_array_index (found, i);
      g_autoptr (GError) local = NULL;
      g_autofree char *buf = NULL;
      AsrMdSuper sb;

      if (f->part == NULL || g_strcmp0 (f->fs, "linux_raid_member") != 0)
        continue;
      if (f->bytes < CAPTURE_MD_SUPER_BYTES
          || !capture_read_disk (f->disk, f->offset, CAPTURE_MD_SUPER_BYTES, &buf, &local))
        return fallback (c, "%s: %s", f->what, local ? local->message : "too small");
      if (!capture_md_parse_super (buf, CAPTURE_MD_SUPER_BYTES, &sb))
        return fallback (c, "%s is an md RAID member without a version-1 superblock at its start",
                         f->what);
      FoundMd *a = g_hash_table_lookup (arrays, sb.uuid);
      if (a == NULL)
        {
          a = g_new0 (FoundMd, 1);
          a->first = sb;
          a->copy_role = -1;
          g_hash_table_insert (arrays, g_strdup (sb.uuid), a);
        }
      else if (sb.size_sectors != a->first.size_sectors || sb.raid_disks != a->first.raid_disks
               || sb.events != a->first.events)
        return fallback (c, "the members of md array %s disagree (size, member count or events)",
                         sb.uuid);
      if (sb.role >= 0 && sb.role == a->copy_role)
        return fallback (c, "md array %s has two members in slot %d", sb.uuid, sb.role);
      if (sb.role >= 0 && (a->copy == NULL || sb.role < a->copy_role))
        {
          a->copy = f;
          a->copy_role = sb.role;
          a->data_offset = sb.data_offset;
        }
    }
  g_hash_table_iter_init (&it, arrays);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      const FoundMd *a = value;
      guint64 sectors = a->copy ? a->copy->bytes / 512 : 0;
      if (a->first.level != 1 || (a->first.feature_map & ~0x1u) != 0)
        return fallback (c, "md array %s is not a plain RAID1", (const char *) key);
      if (a->copy == NULL)
        return fallback (c, "md array %s has no active member on these disks", (const char *) key);
      if (a->data_offset == 0 || a->data_offset > sectors
          || a->first.size_sectors > sectors - a->data_offset)
        return fallback (c, "the data of md array %s lies outside its member's partition",
                         (const char *) key);
      if (!found_add (c, found, a->copy->disk, NULL, md_gdev (key),
                      g_strdup_printf ("md array %s", (const char *) key),
                      a->copy->offset + a->data_offset * 512, a->first.size_sectors * 512, FALSE,
                      NULL))
        return FALSE;
    }
  return TRUE;
}

/* An array's filesystem and name, as blkid named it
 * (capture_md_discover_with). */
static MachineVolume *
found_md_volume (Capture *c, const char *uuid, char **gdev, gpointer data)
{
  GPtrArray *found = data;
  g_autofree char *name = md_gdev (uuid);
  for (guint i = 0; i < found->len; i++)
    {
      const Found *f = g_ptr_array_index (found, i);
      if (f->part || strcmp (f->gdev, name) != 0)
        continue;
      *gdev = g_strdup (f->gdev);
      return found_volume (f);
    }
  return NULL;
}

/* ---- LVM, from the physical volumes' own bytes -------------------------- */

/* A volume group's newest metadata text among its PVs. */
typedef struct {
  char *text;
  gsize len;
  AsrLvmVg *vg;
} FoundVg;

static void
found_vg_free (FoundVg *v)
{
  g_free (v->text);
  asr_lvm_vg_free (v->vg);
  g_free (v);
}

/* asr_lvm_pv_read's reads, inside the PV's partition. */
static gboolean
pv_read (gpointer data, guint64 offset, gsize bytes, guint8 *buf, GError **error)
{
  const Found *f = data;

  if (offset > f->bytes || bytes > f->bytes - offset)
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                   "LVM physical volume: %" G_GSIZE_FORMAT " bytes at %" G_GUINT64_FORMAT
                   " are past its end",
                   bytes, offset);
      return FALSE;
    }
  return capture_read_disk_into (f->disk, f->offset + offset, bytes, buf, error);
}

static Found *
find_pv (GPtrArray *found, const char *uuid)
{
  for (guint i = 0; i < found->len; i++)
    {
      Found *f = g_ptr_array_index (found, i);
      if (g_strcmp0 (f->fs, "LVM2_member") == 0 && f->uuid
          && g_ascii_strcasecmp (f->uuid, uuid) == 0)
        return f;
    }
  return NULL;
}

/* NAME with each '-' doubled, as device-mapper names LVs. */
static void
append_dm_escaped (GString *s, const char *name)
{
  for (const char *p = name; *p; p++)
    {
      if (*p == '-')
        g_string_append_c (s, '-');
      g_string_append_c (s, *p);
    }
}

/* Each visible logical volume of @vg as a Found: a range of its PV's
 * partition.  FALSE (no error) for what the appliance should see. */
static gboolean
found_lvs (Capture *c, GPtrArray *found, const AsrLvmVg *vg)
{
  for (guint i = 0; i < vg->lvs->len; i++)
    {
      const AsrLvmLv *lv = g_ptr_array_index (vg->lvs, i);
      g_autofree char *problem = capture_lvm_lv_problem (vg, lv);
      guint64 offset, bytes;

      if (problem)
        return fallback (c, "logical volume %s/%s is not linear in one segment", vg->name,
                         lv->name);
      if (!lv->visible)
        continue;
      const AsrLvmSegment *seg = g_ptr_array_index (lv->segments, 0);
      const AsrLvmPv *pv = asr_lvm_vg_find_pv (vg, seg->pv_key);
      Found *on = pv ? find_pv (found, pv->uuid) : NULL;
      if (on == NULL || !g_uint64_checked_mul (&offset, seg->pv_extent, vg->extent_bytes)
          || !g_uint64_checked_add (&offset, offset, pv->pe_start_bytes)
          || !g_uint64_checked_mul (&bytes, seg->extents, vg->extent_bytes) || offset > on->bytes
          || bytes > on->bytes - offset)
        return fallback (c, "logical volume %s/%s lies outside its physical volume", vg->name,
                         lv->name);
      GString *mapper = g_string_new ("/dev/mapper/");
      append_dm_escaped (mapper, vg->name);
      g_string_append_c (mapper, '-');
      append_dm_escaped (mapper, lv->name);
      Found *f = NULL;
      gboolean ok
        = found_add (c, found, on->disk, NULL, g_strdup_printf ("/dev/%s/%s", vg->name, lv->name),
                     g_strdup_printf ("logical volume %s/%s", vg->name, lv->name),
                     on->offset + offset, bytes, FALSE, &f);
      f->mapper = g_string_free (mapper, FALSE);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/* Every volume group on the PVs among @found, from the metadata they
 * keep (the newest copy), into @vgs, and its logical volumes into
 * @found.  FALSE (no error) for what the appliance should see: a label
 * or text asr cannot read, a PV not on these disks, an LV asr does not
 * restore. */
static gboolean
lvm_userspace (Capture *c, GPtrArray *found, GPtrArray *vgs)
{
  guint partitions = found->len;

  for (guint i = 0; i < partitions; i++)
    {
      Found *f = g_ptr_array_index (found, i);
      g_autoptr (GError) local = NULL;
      g_autofree char *text = NULL;
      gsize len = 0;
      AsrLvmLabel label;

      if (g_strcmp0 (f->fs, "LVM2_member") != 0)
        continue;
      if (!asr_lvm_pv_read (f->bytes, pv_read, f, &label, &text, &len, &local))
        return fallback (c, "%s: %s", f->what, local->message);
      if (f->uuid == NULL || g_ascii_strcasecmp (f->uuid, label.uuid) != 0)
        return fallback (c, "%s: blkid and the LVM label name different physical volumes", f->what);
      if (find_pv (found, f->uuid) != f)
        return fallback (c, "%s and %s carry the same LVM physical volume %s (a cloned disk)",
                         find_pv (found, f->uuid)->what, f->what, f->uuid);
      if (text == NULL)
        continue; /* a PV that keeps no metadata: another one does */
      g_autoptr (AsrLvmVg) vg = asr_lvm_text_parse (text, len, &local);
      if (vg == NULL)
        return fallback (c, "%s: %s", f->what, local->message);
      FoundVg *have = NULL;
      for (guint k = 0; k < vgs->len && have == NULL; k++)
        {
          FoundVg *v = g_ptr_array_index (vgs, k);
          if (strcmp (v->vg->uuid, vg->uuid) == 0)
            have = v;
        }
      if (have && have->vg->seqno >= vg->seqno)
        continue;
      if (have == NULL)
        {
          have = g_new0 (FoundVg, 1);
          g_ptr_array_add (vgs, have);
        }
      g_free (have->text);
      asr_lvm_vg_free (have->vg);
      have->text = g_steal_pointer (&text);
      have->len = len;
      have->vg = g_steal_pointer (&vg);
    }
  for (guint k = 0; k < vgs->len; k++)
    {
      const AsrLvmVg *vg = ((FoundVg *) g_ptr_array_index (vgs, k))->vg;
      for (guint i = 0; i < vg->pvs->len; i++)
        {
          const AsrLvmPv *pv = g_ptr_array_index (vg->pvs, i);
          if (find_pv (found, pv->uuid) == NULL)
            return fallback (c, "volume group %s has its physical volume %s elsewhere", vg->name,
                             pv->uuid);
        }
      if (!found_lvs (c, found, vg))
        return FALSE;
    }
  return TRUE;
}

/* A visible LV's filesystem, as blkid named it (capture_lvm_discover_vg). */
static MachineVolume *
found_lv_volume (Capture *c, const char *gdev, gpointer data)
{
  GPtrArray *found = data;
  for (guint i = 0; i < found->len; i++)
    {
      const Found *f = g_ptr_array_index (found, i);
      if (f->mapper && strcmp (f->gdev, gdev) == 0)
        return found_volume (f);
    }
  return NULL;
}

/* The volume groups of @vgs into the descriptor, their PVs named as in
 * @parts. */
static gboolean
lvm_discover (Capture *c, GHashTable *parts, GPtrArray *found, GPtrArray *vgs, GError **error)
{
  g_autoptr (GHashTable) pv_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; i < found->len; i++)
    {
      const Found *f = g_ptr_array_index (found, i);
      if (f->part && g_strcmp0 (f->fs, "LVM2_member") == 0 && f->uuid)
        g_hash_table_insert (pv_names, capture_lvm_undash (f->uuid), g_strdup (f->gdev));
    }
  for (guint k = 0; k < vgs->len; k++)
    {
      const FoundVg *v = g_ptr_array_index (vgs, k);
      if (!capture_lvm_discover_vg (c, parts, pv_names, v->text, v->len, NULL, found_lv_volume,
                                    found, error))
        return FALSE;
    }
  return TRUE;
}

/* Everything read and decided before c->m is touched; FALSE (no error)
 * means the appliance. */
static gboolean
inspect_userspace (Capture *c, GPtrArray *found, GError **error)
{
  static const char *const names[] = { "/etc/fstab",
                                       "/etc/os-release",
                                       "/usr/lib/os-release",
                                       "/etc/hostname",
                                       "/bin/sh",
                                       "/etc/crypttab",
                                       NULL };
  Found *root = NULL;
  AsrVolumeFile root_files[G_N_ELEMENTS (names) - 1] = { { 0 } };
  g_autoptr (GPtrArray) mps = NULL; /* pairs: mountpoint, device */
  g_autofree char *fstab = NULL;
  g_autoptr (GHashTable) parts = NULL;
  g_autoptr (GPtrArray) vgs = g_ptr_array_new_with_free_func ((GDestroyNotify) found_vg_free);
  gboolean ok = FALSE;

  for (guint i = 0; i < c->disks->len; i++)
    {
      CaptureDisk *d = g_ptr_array_index (c->disks, i);
      if (d->disk->ptable == MACHINE_PTABLE_NONE)
        return fallback (c, "%s has no partition table", d->path);
      for (guint j = 0; j < d->disk->partitions->len; j++)
        {
          MachinePartition *p = g_ptr_array_index (d->disk->partitions, j);
          if (p->kind == MACHINE_PARTITION_KIND_EXTENDED)
            continue;
          /* LVM, md and LUKS members are read by their readers below */
          if (!found_add (c, found, d, p,
                          g_strdup_printf ("/dev/sd%c%u", 'a' + (int) MIN (i, 25u), p->number),
                          g_strdup_printf ("%s partition %u", d->disk->id, p->number),
                          p->start * d->logical_sector, p->sectors * d->logical_sector, TRUE, NULL))
            return FALSE;
        }
    }
  if (!md_userspace (c, found) || !lvm_userspace (c, found, vgs))
    return FALSE;

  for (guint i = 0; i < found->len; i++)
    {
      Found *f = g_ptr_array_index (found, i);
      g_autoptr (GError) local = NULL;
      AsrVolumeFile files[G_N_ELEMENTS (names) - 1] = { { 0 } };
      if (!asr_used_map_knows (f->fs))
        continue;
      f->map = asr_used_map_read (f->disk->raw, f->offset, f->bytes, &local);
      if (f->map == NULL && g_strcmp0 (f->fs, "vfat") == 0
          && g_error_matches (local, ASR_USED_MAP_ERROR, ASR_USED_MAP_ERROR_NEEDS_RECOVERY))
        {
          /* A FAT marked dirty is imaged whole whichever path inspects
           * it (the appliance has no log to replay for it): no reason to
           * start one. */
          f->map_again = TRUE;
          continue;
        }
      if (f->map == NULL)
        {
          if (local->domain == ASR_USED_MAP_ERROR
              && (local->code == ASR_USED_MAP_ERROR_NEEDS_RECOVERY
                  || local->code == ASR_USED_MAP_ERROR_UNSUPPORTED
                  || local->code == ASR_USED_MAP_ERROR_NOT_FOUND))
            {
              fallback (c, "%s (%s): %s", f->what, f->fs, local->message);
              goto out;
            }
          capture_map_error (error, f->what, f->fs, local);
          goto out;
        }
      if (!may_be_root (f->fs))
        continue; /* FAT: mapped, never a root */
      if (!asr_used_map_read_files (f->disk->raw, f->offset, f->bytes, names,
                                    INSPECT_MAX_FILE_BYTES, files, &local))
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT, "%s (%s): %s",
                       f->what, f->fs, local->message);
          goto out;
        }
      if (files[0].found && (files[1].found || files[2].found))
        {
          if (root != NULL)
            {
              for (guint k = 0; k < G_N_ELEMENTS (files); k++)
                asr_volume_file_clear (&files[k]);
              fallback (c, "more than one filesystem holds an OS");
              goto out; /* the appliance refuses, naming them */
            }
          root = f;
          memcpy (root_files, files, sizeof files);
        }
      else
        for (guint k = 0; k < G_N_ELEMENTS (files); k++)
          asr_volume_file_clear (&files[k]);
    }
  if (root == NULL || root_files[0].truncated || root_files[5].truncated)
    {
      fallback (c,
                root ? "the OS's /etc/fstab or /etc/crypttab is larger than %u bytes"
                     : "no ext or xfs filesystem holds an OS (/etc/fstab and os-release)",
                INSPECT_MAX_FILE_BYTES);
      goto out;
    }

  mps = g_ptr_array_new_with_free_func (g_free);
  fstab = g_strndup (g_bytes_get_data (root_files[0].data, NULL),
                     g_bytes_get_size (root_files[0].data));
  if (!fstab_mountpoints (c, found, root, fstab, mps) || !os_facts (c, root_files))
    goto out;

  /* From here on c->m changes: no way back to the appliance. */
  parts
    = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) capture_part_ref_free);
  for (guint i = 0; i < found->len; i++)
    {
      Found *f = g_ptr_array_index (found, i);
      if (f->fs && f->part)
        {
          machine_volume_free (f->part->volume);
          f->part->volume = found_volume (f);
        }
      if (f->part == NULL)
        continue; /* a logical volume: capture_lvm_discover_vg's */
      PartRef *ref = g_new0 (PartRef, 1);
      ref->disk = f->disk;
      ref->partition = f->part;
      ref->gdev = g_strdup (f->gdev);
      g_hash_table_insert (parts, ref->gdev, ref);
    }
  if (!capture_md_discover_with (c, parts, found_md_volume, found, error)
      || !lvm_discover (c, parts, found, vgs, error) || !capture_luks_discover (c, parts, error))
    {
      ok = TRUE; /* decided: the error stands */
      goto out;
    }
  c->fstab = g_strdup (fstab);
  c->fstab_len = strlen (fstab);
  capture_luks_crypttab (c,
                         root_files[5].found ? g_bytes_get_data (root_files[5].data, NULL) : NULL,
                         root_files[5].found ? g_bytes_get_size (root_files[5].data) : 0);
  if (!capture_assign_mountpoints (c, parts, root->gdev, (char **) mps->pdata, error)
      || !capture_discover_finish (c, parts, error))
    {
      ok = TRUE; /* decided: the error stands */
      goto out;
    }
  for (guint i = 0; i < c->volumes->len; i++)
    {
      CaptureVolume *v = g_ptr_array_index (c->volumes, i);
      for (guint k = 0; v->has_fs && k < found->len; k++)
        {
          Found *f = g_ptr_array_index (found, k);
          /* partitions, LVs and arrays: one device name each, both sides */
          if (g_strcmp0 (v->gdev, f->gdev) == 0 && (f->map || f->map_again))
            {
              v->map = g_steal_pointer (&f->map);
              v->map_used = TRUE;
            }
        }
    }
  ok = TRUE;
out:
  for (guint k = 0; k < G_N_ELEMENTS (root_files); k++)
    asr_volume_file_clear (&root_files[k]);
  return ok;
}

gboolean
capture_discover_userspace (Capture *c, gboolean *handled, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) found_free);

  *handled = FALSE;
  if (!capture_export_disks (c, &local))
    {
      capture_message (c, "note: the disks cannot be read without the appliance (%s)",
                       local->message);
      g_clear_error (&local);
      return capture_unexport_disks (c, error);
    }
  if (inspect_userspace (c, found, &local))
    {
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      *handled = TRUE;
      capture_message (c, "inspected without the appliance");
      return TRUE;
    }
  if (local)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  /* the path the volumes take, and why */
  if (c->appliance_why)
    capture_message (c, "%s: the appliance inspects the disks", c->appliance_why);
  return capture_unexport_disks (c, error);
}
