/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block device facts: size, sector sizes, identity, and whether anything
 * uses the disk.  Identity comes from sysfs and, when udev ran, its
 * database (the same names /dev/disk/by-id shows); "in use" from
 * /proc/self/mountinfo, /proc/swaps and sysfs holders, following holders
 * chains (partition → dm/md/LVM → filesystem) so a disk under LVM that
 * holds / is recognised as the running system.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "probe-private.h"
#include "storage.h"

/* Bounds on hostile or pathological sysfs trees (a fake root in tests). */
#define MAX_HOLDER_NODES 256u

void
asr_blockdev_free (AsrBlockdev *b)
{
  if (b == NULL)
    return;
  g_free (b->name);
  g_free (b->path);
  g_free (b->bus);
  g_free (b->model);
  g_free (b->serial);
  g_free (b->wwn);
  if (b->by_id)
    g_ptr_array_unref (b->by_id);
  if (b->in_use)
    g_ptr_array_unref (b->in_use);
  g_free (b);
}

static AsrBlockdev *
blockdev_new (const char *name)
{
  AsrBlockdev *b = g_new0 (AsrBlockdev, 1);
  b->name = g_strdup (name);
  b->by_id = g_ptr_array_new_with_free_func (g_free);
  b->in_use = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_in_use_free);
  return b;
}

/* A kernel block name as it may appear in a path: no '/', not "." or "..". */
static gboolean
name_is_safe (const char *name)
{
  return name && *name && strchr (name, '/') == NULL && strcmp (name, ".") != 0
         && strcmp (name, "..") != 0;
}

static char *
sys_block_rel (const char *name, const char *file)
{
  return file ? g_strdup_printf ("sys/class/block/%s/%s", name, file)
              : g_strdup_printf ("sys/class/block/%s", name);
}

static char *
sys_read (const char *root, const char *name, const char *file)
{
  g_autofree char *rel = sys_block_rel (name, file);
  return asr_host_read_line (root, rel);
}

static gboolean
parse_majmin (const char *s, guint *major, guint *minor)
{
  guint64 a, b;
  g_auto (GStrv) parts = NULL;

  if (s == NULL)
    return FALSE;
  parts = g_strsplit (s, ":", 3);
  if (g_strv_length (parts) != 2
      || !g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT32, &a, NULL)
      || !g_ascii_string_to_unsigned (parts[1], 10, 0, G_MAXUINT32, &b, NULL))
    return FALSE;
  *major = (guint) a;
  *minor = (guint) b;
  return TRUE;
}

/* Names of NAME's partitions: subdirectories carrying a "partition" file
 * (covers sda1, nvme0n1p1, mmcblk0p1 alike). */
static GPtrArray *
list_partitions (const char *root, const char *name)
{
  g_autofree char *rel = sys_block_rel (name, NULL);
  g_autoptr (GPtrArray) entries = asr_host_list_dir (root, rel);
  GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < entries->len; i++)
    {
      const char *e = g_ptr_array_index (entries, i);
      g_autofree char *prel = g_strdup_printf ("%s/%s/partition", rel, e);
      if (name_is_safe (e) && asr_host_exists (root, prel))
        g_ptr_array_add (parts, g_strdup (e));
    }
  return parts;
}

/* ---- udev database ------------------------------------------------------ */

/* E:KEY=VALUE properties of block device MAJ:MIN, as udev stored them. */
static GHashTable *
udev_properties (const char *root, guint major, guint minor)
{
  g_autofree char *rel = g_strdup_printf ("run/udev/data/b%u:%u", major, minor);
  g_autofree char *data = asr_host_read_all (root, rel);
  GHashTable *props = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) lines = NULL;

  if (data == NULL)
    return props;
  lines = g_strsplit (data, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      char *eq;
      if (!g_str_has_prefix (*l, "E:") || (eq = strchr (*l, '=')) == NULL)
        continue;
      *eq = '\0';
      if (g_utf8_validate (eq + 1, -1, NULL) && eq[1] != '\0')
        g_hash_table_replace (props, g_strdup (*l + 2), g_strdup (eq + 1));
    }
  return props;
}

/* SCSI VPD page 0x80 (unit serial number): 4-byte header, then the serial
 * of the length in byte 3, padded with spaces. */
static char *
vpd_pg80_serial (const char *root, const char *name)
{
  g_autofree char *rel = sys_block_rel (name, "device/vpd_pg80");
  g_autofree char *path = asr_host_path (root, rel);
  g_autofree char *data = NULL;
  gsize len = 0;
  gsize n;
  g_autofree char *s = NULL;

  if (!g_file_get_contents (path, &data, &len, NULL) || len < 4 || len > 4096)
    return NULL;
  n = (guint8) data[3];
  if (n == 0 || 4 + n > len)
    return NULL;
  s = g_strndup (data + 4, n);
  for (char *p = s; *p; p++)
    if (!g_ascii_isprint (*p))
      return NULL;
  g_strstrip (s);
  return *s ? g_steal_pointer (&s) : NULL;
}

static char *
first_of (char *a, char *b)
{
  if (a)
    {
      g_free (b);
      return a;
    }
  return b;
}

static void
fill_identity (const char *root, AsrBlockdev *b)
{
  g_autoptr (GHashTable) udev = udev_properties (root, b->major, b->minor);
  const char *ubus = g_hash_table_lookup (udev, "ID_BUS");

  b->model = first_of (sys_read (root, b->name, "device/model"),
                       g_strdup (g_hash_table_lookup (udev, "ID_MODEL")));
  b->serial = g_strdup (g_hash_table_lookup (udev, "ID_SERIAL_SHORT"));
  if (b->serial == NULL)
    b->serial = sys_read (root, b->name, "serial"); /* virtio-blk */
  if (b->serial == NULL)
    b->serial = sys_read (root, b->name, "device/serial"); /* nvme */
  if (b->serial == NULL)
    b->serial = vpd_pg80_serial (root, b->name); /* scsi, sata via libata */
  b->wwn = g_strdup (g_hash_table_lookup (udev, "ID_WWN_WITH_EXTENSION"));
  if (b->wwn == NULL)
    b->wwn = g_strdup (g_hash_table_lookup (udev, "ID_WWN"));
  if (b->wwn == NULL)
    b->wwn = sys_read (root, b->name, "wwid"); /* nvme */
  if (b->wwn == NULL)
    b->wwn = sys_read (root, b->name, "device/wwid"); /* scsi */

  /* Bus, in libvirt's <target bus=> words so plans compare like with like. */
  if (g_str_has_prefix (b->name, "vd"))
    b->bus = g_strdup ("virtio");
  else if (g_str_has_prefix (b->name, "nvme"))
    b->bus = g_strdup ("nvme");
  else if (g_str_has_prefix (b->name, "hd"))
    b->bus = g_strdup ("ide");
  else if (g_strcmp0 (ubus, "ata") == 0)
    b->bus = g_strdup (g_hash_table_contains (udev, "ID_ATA_SATA") ? "sata" : "ide");
  else if (g_strcmp0 (ubus, "usb") == 0 || g_strcmp0 (ubus, "scsi") == 0)
    b->bus = g_strdup (ubus);
  else if (g_str_has_prefix (b->name, "sd"))
    b->bus = g_strdup ("scsi");
}

static void
fill_by_id (const char *root, AsrBlockdev *b)
{
  g_autoptr (GPtrArray) links = asr_host_list_dir (root, "dev/disk/by-id");

  for (guint i = 0; i < links->len; i++)
    {
      const char *l = g_ptr_array_index (links, i);
      g_autofree char *rel = g_strdup_printf ("dev/disk/by-id/%s", l);
      g_autofree char *target = asr_host_link_basename (root, rel);
      if (target && strcmp (target, b->name) == 0)
        g_ptr_array_add (b->by_id, g_strdup (l));
    }
}

/* ---- in use ------------------------------------------------------------- */

typedef struct {
  char *name;
  char *via;      /* the disk or partition this node is reached from */
  gboolean alias; /* reached through another loop device over the disk */
  guint major, minor;
  gboolean has_dev;
} Node;

static void
node_free (Node *n)
{
  g_free (n->name);
  g_free (n->via);
  g_free (n);
}

static Node *
find_node (GPtrArray *nodes, const char *name)
{
  for (guint i = 0; i < nodes->len; i++)
    {
      Node *n = g_ptr_array_index (nodes, i);
      if (strcmp (n->name, name) == 0)
        return n;
    }
  return NULL;
}

static void
add_node (const char *root, GPtrArray *nodes, const char *name, const char *via, gboolean alias)
{
  Node *n;
  g_autofree char *dev = NULL;

  if (!name_is_safe (name) || find_node (nodes, name) || nodes->len >= MAX_HOLDER_NODES)
    return;
  n = g_new0 (Node, 1);
  n->name = g_strdup (name);
  n->via = g_strdup (via);
  n->alias = alias;
  dev = sys_read (root, name, "dev");
  n->has_dev = parse_majmin (dev, &n->major, &n->minor);
  g_ptr_array_add (nodes, n);
}

static Node *
node_by_dev (GPtrArray *nodes, guint major, guint minor)
{
  for (guint i = 0; i < nodes->len; i++)
    {
      Node *n = g_ptr_array_index (nodes, i);
      if (n->has_dev && n->major == major && n->minor == minor)
        return n;
    }
  return NULL;
}

/* A mountinfo source or /proc/swaps name like /dev/vda2 or /dev/mapper/vg-root:
 * the node it names, by basename or, on the real root, by the device it
 * resolves to. */
static Node *
node_by_dev_path (const char *root, GPtrArray *nodes, const char *path)
{
  g_autofree char *base = NULL;
  Node *n;
  struct stat st;

  if (!g_str_has_prefix (path, "/dev/"))
    return NULL;
  base = g_path_get_basename (path);
  if ((n = find_node (nodes, base)) != NULL)
    return n;
  if ((root == NULL || strcmp (root, "/") == 0) && stat (path, &st) == 0 && S_ISBLK (st.st_mode))
    return node_by_dev (nodes, major (st.st_rdev), minor (st.st_rdev));
  return NULL;
}

static gboolean
has_in_use (GPtrArray *in_use, const char *reason, const char *detail)
{
  for (guint i = 0; i < in_use->len; i++)
    {
      const MachineInUse *u = g_ptr_array_index (in_use, i);
      if (strcmp (u->reason, reason) == 0 && g_strcmp0 (u->detail, detail) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
add_in_use (GPtrArray *in_use, const char *reason, const char *detail)
{
  if (!has_in_use (in_use, reason, detail))
    g_ptr_array_add (in_use, machine_in_use_new (reason, detail));
}

/* "/dev/dm-0 (through /dev/vda2)": a node, and the disk's own node it was
 * reached from when that is another one. */
static char *
node_where (const Node *n)
{
  if (n->alias)
    return strcmp (n->name, n->via) == 0
             ? g_strdup_printf ("/dev/%s (a loop device over this disk)", n->name)
             : g_strdup_printf ("/dev/%s (through /dev/%s, a loop device over this disk)", n->name,
                                n->via);
  return strcmp (n->name, n->via) == 0
           ? g_strdup_printf ("/dev/%s", n->name)
           : g_strdup_printf ("/dev/%s (through /dev/%s)", n->name, n->via);
}

static void
check_mounts (const char *root, GPtrArray *in_use, GPtrArray *nodes)
{
  g_autofree char *data = asr_host_read_all (root, "proc/self/mountinfo");
  g_auto (GStrv) lines = NULL;

  if (data == NULL)
    return;
  lines = g_strsplit (data, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      /* id parent MAJ:MIN root mountpoint opts [optional...] - fstype source superopts */
      g_auto (GStrv) f = g_strsplit (*l, " ", -1);
      guint nf = g_strv_length (f);
      guint dash = 0;
      guint major, minor;
      Node *n;
      g_autofree char *mp = NULL;
      g_autofree char *where = NULL;
      g_autofree char *detail = NULL;

      if (nf < 7 || !parse_majmin (f[2], &major, &minor))
        continue;
      for (guint i = 6; i < nf; i++)
        if (strcmp (f[i], "-") == 0)
          {
            dash = i;
            break;
          }
      n = node_by_dev (nodes, major, minor);
      /* btrfs and friends report an anonymous 0:N device: use the source. */
      if (n == NULL && dash && dash + 2 < nf)
        {
          g_autofree char *src = g_strcompress (f[dash + 2]);
          n = node_by_dev_path (root, nodes, src);
        }
      if (n == NULL)
        continue;
      mp = g_strcompress (f[4]); /* \040 and friends */
      where = node_where (n);
      detail = g_strdup_printf ("%s on %s", mp, where);
      add_in_use (in_use, "mounted", detail);
      /* Mount points whose disks are the running system: the critical
       * volumes, as far as a running machine shows them. */
      if (machine_mountpoint_is_critical (mp))
        add_in_use (in_use, "running-system", detail);
    }
}

static void
check_swaps (const char *root, GPtrArray *in_use, GPtrArray *nodes)
{
  g_autofree char *data = asr_host_read_all (root, "proc/swaps");
  g_auto (GStrv) lines = NULL;

  if (data == NULL)
    return;
  lines = g_strsplit (data, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) f = g_strsplit_set (*l, " \t", 2);
      g_autofree char *name = NULL;
      Node *n;

      if (f[0] == NULL || f[0][0] != '/')
        continue; /* the header line, a blank one */
      name = g_strcompress (f[0]);
      n = node_by_dev_path (root, nodes, name);
      if (n)
        {
          g_autofree char *detail = node_where (n);
          add_in_use (in_use, "swap", detail);
        }
    }
}

/* What uses the nodes in @nodes (the first @direct of them the disk's own:
 * itself and its partitions) and, breadth first, their holders: dm-0
 * holds vda2, dm-1 holds dm-0... */
static void
walk_in_use (const char *root, GPtrArray *in_use, GPtrArray *nodes, guint direct)
{
  for (guint i = 0; i < nodes->len; i++)
    {
      Node *n = g_ptr_array_index (nodes, i);
      g_autofree char *rel = sys_block_rel (n->name, "holders");
      g_autoptr (GPtrArray) holders = asr_host_list_dir (root, rel);
      g_autofree char *via = g_strdup (n->via);
      gboolean alias = n->alias;

      if (i < direct && holders->len > 0)
        {
          g_autofree char *list = NULL;
          g_autofree char *where = node_where (n);
          g_autoptr (GString) s = g_string_new (NULL);
          for (guint h = 0; h < holders->len; h++)
            g_string_append_printf (s, "%s%s", h ? ", " : "",
                                    (const char *) g_ptr_array_index (holders, h));
          list = g_strdup_printf ("%s by %s", where, s->str);
          add_in_use (in_use, "held", list);
        }
      for (guint h = 0; h < holders->len; h++)
        add_node (root, nodes, g_ptr_array_index (holders, h), via, alias);
    }

  check_mounts (root, in_use, nodes);
  check_swaps (root, in_use, nodes);
}

/* Adds @name and its partitions to @nodes, each reached from itself. */
static void
add_disk_nodes (const char *root, GPtrArray *nodes, const char *name, gboolean alias)
{
  g_autoptr (GPtrArray) parts = list_partitions (root, name);

  add_node (root, nodes, name, name, alias);
  for (guint i = 0; i < parts->len; i++)
    add_node (root, nodes, g_ptr_array_index (parts, i), g_ptr_array_index (parts, i), alias);
}

static void
fill_in_use (const char *root, AsrBlockdev *b)
{
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);

  add_disk_nodes (root, nodes, b->name, FALSE);
  walk_in_use (root, b->in_use, nodes, nodes->len);
}

void
asr_blockdev_loops_in_use (const char *path, GPtrArray *in_use)
{
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  g_autoptr (GPtrArray) loops = NULL;
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return;
  loops = asr_storage_loops_over (&st);
  for (guint i = 0; i < loops->len; i++)
    add_disk_nodes (NULL, nodes, g_ptr_array_index (loops, i), TRUE);
  walk_in_use (NULL, in_use, nodes, nodes->len);
}

/* ---- entry points -------------------------------------------------------- */

static void
fill_common (const char *root, AsrBlockdev *b)
{
  fill_identity (root, b);
  fill_by_id (root, b);
  fill_in_use (root, b);
}

AsrBlockdev *
asr_blockdev_probe_sysfs (const char *root, const char *name, GError **error)
{
  g_autoptr (AsrBlockdev) b = NULL;
  g_autofree char *dev = NULL;
  g_autofree char *part_rel = NULL;
  guint64 v;

  g_return_val_if_fail (name != NULL, NULL);

  if (!name_is_safe (name) || (dev = sys_read (root, name, "dev")) == NULL)
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                   "%s: no such block device", name);
      return NULL;
    }
  part_rel = sys_block_rel (name, "partition");
  if (asr_host_exists (root, part_rel))
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                   "/dev/%s is a partition; give the whole disk", name);
      return NULL;
    }
  b = blockdev_new (name);
  b->path = g_strdup_printf ("/dev/%s", name);
  parse_majmin (dev, &b->major, &b->minor);
  /* sysfs "size" is in 512-byte units whatever the logical sector. */
  {
    g_autofree char *size_rel = sys_block_rel (name, "size");
    g_autofree char *lss_rel = sys_block_rel (name, "queue/logical_block_size");
    g_autofree char *pss_rel = sys_block_rel (name, "queue/physical_block_size");
    if (asr_host_read_u64 (root, size_rel, &v) && v <= G_MAXUINT64 / 512)
      b->bytes = v * 512;
    if (asr_host_read_u64 (root, lss_rel, &v) && v >= 512 && v <= 65536)
      b->logical_sector = (guint32) v;
    if (asr_host_read_u64 (root, pss_rel, &v) && v >= 512 && v <= 65536)
      b->physical_sector = (guint32) v;
  }
  fill_common (root, b);
  return g_steal_pointer (&b);
}

AsrBlockdev *
asr_blockdev_probe (const char *path, GError **error)
{
  g_autoptr (AsrBlockdev) b = NULL;
  g_autoptr (AsrImageInfo) info = NULL;
  g_autofree char *majmin = NULL;
  g_autofree char *name = NULL;
  struct stat st;

  g_return_val_if_fail (path != NULL, NULL);

  if (stat (path, &st) != 0 || !S_ISBLK (st.st_mode))
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT, "%s: not a block device",
                   path);
      return NULL;
    }
  majmin = g_strdup_printf ("sys/dev/block/%u:%u", major (st.st_rdev), minor (st.st_rdev));
  name = asr_host_link_basename (NULL, majmin);
  if (name == NULL)
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME,
                   "%s: device %u:%u not found in /sys/dev/block", path, major (st.st_rdev),
                   minor (st.st_rdev));
      return NULL;
    }
  b = asr_blockdev_probe_sysfs (NULL, name, error);
  if (b == NULL)
    return NULL;
  g_free (b->path);
  b->path = g_strdup (path);

  /* The ioctls are the authority for a device we can open. */
  info = asr_image_info_probe (path, "raw", error);
  if (info == NULL)
    return NULL;
  b->bytes = info->virtual_bytes;
  if (info->logical_sector)
    b->logical_sector = info->logical_sector;
  if (info->physical_sector)
    b->physical_sector = info->physical_sector;
  return g_steal_pointer (&b);
}
