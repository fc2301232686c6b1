/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block-device stacks, followed through sysfs and the loop driver.  The
 * kernel is trusted here (sysfs and ioctl answers); the walk is bounded
 * anyway, so a strange stack ends the walk instead of looping.
 */
#include "config.h"

#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "file.h"

/* More identities than any real stack has (a partition of a loop device
 * over a file on an md array of partitions is about ten). */
#define MAX_IDS 256

/* Every sysfs attribute file says it is this large (st_size), whatever
 * it holds: a read bounded below it is refused before it starts. */
#define SYSFS_PAGE 4096

gboolean
asr_storage_contains (const GArray *ids, const AsrStorageId *id)
{
  for (guint i = 0; i < ids->len; i++)
    {
      const AsrStorageId *x = &g_array_index (ids, AsrStorageId, i);
      if (x->block == id->block && x->dev == id->dev && x->ino == id->ino)
        return TRUE;
    }
  return FALSE;
}

/* Appends @id unless present; FALSE when it was (nothing new to follow)
 * or the list is full. */
static gboolean
add (GArray *ids, gboolean block, guint64 dev, guint64 ino)
{
  AsrStorageId id = { block, dev, block ? 0 : ino };
  if (ids->len >= MAX_IDS || asr_storage_contains (ids, &id))
    return FALSE;
  g_array_append_val (ids, id);
  return TRUE;
}

/* The kernel's encoding of a device number in struct loop_info64
 * (huge_encode_dev: minor's low byte, major, minor's upper bits), as
 * userspace's dev_t. */
static guint64
loop_decode_dev (guint64 v)
{
  unsigned int maj = (unsigned int) ((v & 0xfff00) >> 8);
  unsigned int min = (unsigned int) ((v & 0xff) | ((v >> 12) & 0xfff00));
  return makedev (maj, min);
}

/* The sysfs directory of block device @rdev, resolved; NULL when there is
 * none (an anonymous device: tmpfs, btrfs subvolumes, FUSE). */
static char *
sysfs_dir (guint64 rdev)
{
  g_autofree char *link = g_strdup_printf ("/sys/dev/block/%u:%u", major (rdev), minor (rdev));
  return realpath (link, NULL);
}

/* The "MAJ:MIN" in @dir/dev as a dev_t; 0 when unreadable. */
static guint64
sysfs_read_dev (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "dev", NULL);
  /* a sysfs attribute's size reads as a page, whatever it holds */
  g_autofree char *text = asr_file_read_bounded (path, SYSFS_PAGE, NULL, NULL);
  unsigned int maj, min;
  if (text == NULL || sscanf (text, "%u:%u", &maj, &min) != 2)
    return 0;
  return makedev (maj, min);
}

/* A node for block device @rdev whose sysfs name is @name, checked by
 * number: /dev/block/MAJ:MIN (udev) or /dev/NAME (devtmpfs). */
static int
open_node (guint64 rdev, const char *name)
{
  g_autofree char *by_num = g_strdup_printf ("/dev/block/%u:%u", major (rdev), minor (rdev));
  g_autofree char *by_name = g_build_filename ("/dev", name, NULL);
  const char *paths[] = { by_num, by_name };
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      int fd = open (paths[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      struct stat st;
      if (fd < 0)
        continue;
      if (fstat (fd, &st) == 0 && S_ISBLK (st.st_mode) && st.st_rdev == rdev)
        return fd;
      close (fd);
    }
  return -1;
}

/* The backing file of loop device @rdev (@dir its sysfs directory): its
 * file system's device and inode and, when it is a block device, its
 * number.  FALSE when the device is unbound or cannot be asked; then the
 * path in sysfs is the best left (it can be stale: "(deleted)"). */
static gboolean
loop_backing (guint64 rdev, const char *dir, guint64 *dev, guint64 *ino, guint64 *back_rdev)
{
  g_autofree char *name = g_path_get_basename (dir);
  struct loop_info64 info;
  int fd = open_node (rdev, name);
  if (fd >= 0)
    {
      int r = ioctl (fd, LOOP_GET_STATUS64, &info);
      close (fd);
      if (r != 0)
        return FALSE; /* ENXIO: not bound to anything */
      *dev = loop_decode_dev (info.lo_device);
      *ino = info.lo_inode;
      *back_rdev = info.lo_rdevice ? loop_decode_dev (info.lo_rdevice) : 0;
      return TRUE;
    }
  g_autofree char *path = g_build_filename (dir, "loop", "backing_file", NULL);
  g_autofree char *text = asr_file_read_bounded (path, SYSFS_PAGE, NULL, NULL);
  GStatBuf st;
  if (text == NULL || g_stat (g_strchomp (text), &st) != 0)
    return FALSE;
  *dev = st.st_dev;
  *ino = st.st_ino;
  *back_rdev = S_ISBLK (st.st_mode) ? st.st_rdev : 0;
  return TRUE;
}

static void walk_block (GArray *ids, guint64 rdev, gboolean down);

/* A file: itself and, with @down, what its file system is on. */
static void
walk_file (GArray *ids, guint64 dev, guint64 ino, gboolean down)
{
  if (!add (ids, FALSE, dev, ino) || !down)
    return;
  walk_block (ids, dev, TRUE);
}

/* Block device @rdev and, through loop devices, what its bytes are; with
 * @down also what it lies within (a partition's disk, a stacked device's
 * members, a backing file's file system). */
static void
walk_block (GArray *ids, guint64 rdev, gboolean down)
{
  if (rdev == 0 || !add (ids, TRUE, rdev, 0))
    return;
  g_autofree char *dir = sysfs_dir (rdev);
  if (dir == NULL)
    return;

  g_autofree char *loop = g_build_filename (dir, "loop", NULL);
  guint64 dev, ino, back;
  if (g_file_test (loop, G_FILE_TEST_IS_DIR) && loop_backing (rdev, dir, &dev, &ino, &back))
    {
      if (back != 0)
        walk_block (ids, back, down);
      else
        walk_file (ids, dev, ino, down);
    }
  if (!down)
    return;

  g_autofree char *partition = g_build_filename (dir, "partition", NULL);
  if (g_file_test (partition, G_FILE_TEST_EXISTS))
    {
      g_autofree char *parent = g_path_get_dirname (dir);
      walk_block (ids, sysfs_read_dev (parent), TRUE);
    }

  g_autofree char *slaves = g_build_filename (dir, "slaves", NULL);
  g_autoptr (GDir) d = g_dir_open (slaves, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *link = g_build_filename (slaves, name, NULL);
      g_autofree char *slave = realpath (link, NULL);
      if (slave)
        walk_block (ids, sysfs_read_dev (slave), TRUE);
    }
}

static GArray *
walk (const GStatBuf *st, gboolean down)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (AsrStorageId));
  if (S_ISBLK (st->st_mode))
    walk_block (ids, st->st_rdev, down);
  else
    walk_file (ids, st->st_dev, st->st_ino, down);
  return ids;
}

GArray *
asr_storage_aliases (const GStatBuf *st)
{
  return walk (st, FALSE);
}

GArray *
asr_storage_holders (const GStatBuf *st)
{
  return walk (st, TRUE);
}

/* The number of the block device whose sysfs directory is /sys/block/@name. */
static guint64
sysfs_block_dev (const char *name)
{
  g_autofree char *dir = g_build_filename ("/sys/block", name, NULL);
  return sysfs_read_dev (dir);
}

/* Whether loop device @name (bound, not @self) reads or writes bytes of
 * @ids: its backing file is one of them, or its backing block device is
 * or lies within one (a partition of the disk, a member of it). */
static gboolean
loop_over (const char *name, const GArray *ids, guint64 self)
{
  g_autofree char *dir = g_build_filename ("/sys/block", name, NULL);
  g_autoptr (GArray) within = NULL;
  guint64 rdev = sysfs_block_dev (name);
  guint64 dev, ino, back;

  if (rdev == 0 || rdev == self || !loop_backing (rdev, dir, &dev, &ino, &back))
    return FALSE;
  within = g_array_new (FALSE, FALSE, sizeof (AsrStorageId));
  if (back != 0)
    walk_block (within, back, TRUE);
  else
    walk_file (within, dev, ino, FALSE);
  for (guint i = 0; i < within->len; i++)
    if (asr_storage_contains (ids, &g_array_index (within, AsrStorageId, i)))
      return TRUE;
  return FALSE;
}

GPtrArray *
asr_storage_loops_over (const GStatBuf *st)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) ids = asr_storage_aliases (st);
  g_autoptr (GPtrArray) loops = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open ("/sys/block", 0, NULL);
  guint64 self = S_ISBLK (st->st_mode) ? st->st_rdev : 0;
  const char *name;
  gboolean grew = TRUE;

  while (d && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "loop"))
      g_ptr_array_add (loops, g_strdup (name));
  /* Until nothing new: a loop device over a loop device over @st reads
   * @st's bytes as well.  Each round adds one, so the bound holds. */
  while (grew && names->len < MAX_IDS)
    {
      grew = FALSE;
      for (guint i = 0; i < loops->len; i++)
        {
          const char *l = g_ptr_array_index (loops, i);
          if (g_ptr_array_find_with_equal_func (names, l, g_str_equal, NULL)
              || !loop_over (l, ids, self))
            continue;
          g_ptr_array_add (names, g_strdup (l));
          add (ids, TRUE, sysfs_block_dev (l), 0);
          grew = TRUE;
        }
    }
  return names;
}
