/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr_used_map_read on ext4 images made here by mke2fs -d (no mount):
 * the free extents are exactly the free blocks dumpe2fs counts, a file's
 * blocks are never among them, a volume at an offset reads the same,
 * and what cannot be trusted is refused with its reason: a bitmap that
 * disagrees with its group descriptor (with and without metadata
 * checksums), a journal that needs recovery, a filesystem larger than
 * its volume, no filesystem at all.  FAT12/16/32 images made by mkfs.vfat
 * and mcopy likewise: free bytes as mtools counts them, and refused for
 * two tables that differ, an entry past the last cluster, the dirty bit.
 * xfs (versions 5 and 4) made by mkfs.xfs -p: the free extents exactly
 * xfs_db's freesp -d, also after the log is reformatted to another
 * cycle, and refused for a free count its b-tree does not add up to, a
 * b-tree pointer outside its group, a log left dirty (mounted, shut
 * down; as root).  Skips itself without e2fsprogs, dosfstools, mtools or
 * xfsprogs.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "usedmap.h"

static char *tmpdir;

static char *
run (const char *cmd)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  int status;
  g_assert_true (g_spawn_command_line_sync (cmd, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", cmd, err);
  return g_steal_pointer (&out);
}

/* @fs copied to @offset of a new file @path (taken), returned. */
static char *
place_at (const char *fs, char *path, guint64 offset)
{
  g_autofree char *dd
    = g_strdup_printf ("sh -c 'rm -f %s && truncate -s %" G_GUINT64_FORMAT " %s && cat %s >> %s'",
                       path, offset, path, fs, path);
  g_free (run (dd));
  return path;
}

/* An ext4 image of @mib MiB at @offset of a file, holding a 3 MiB file
 * /big, made with @features (mke2fs -O). */
static char *
make_ext4 (const char *name, guint mib, guint64 offset, const char *features)
{
  g_autofree char *dir = g_build_filename (tmpdir, "content", NULL);
  g_autofree char *big = g_build_filename (dir, "big", NULL);
  g_autofree char *fs = g_build_filename (tmpdir, "fs.raw", NULL);
  char *path = g_build_filename (tmpdir, name, NULL);
  g_autofree char *data = g_malloc (3u << 20);

  memset (data, 0x5a, 3u << 20);
  g_mkdir_with_parents (dir, 0700);
  g_assert_true (g_file_set_contents (big, data, 3u << 20, NULL));
  g_autofree char *etc = g_build_filename (dir, "etc", NULL);
  g_autofree char *osr = g_build_filename (etc, "os-release", NULL);
  g_autofree char *link = g_build_filename (etc, "link", NULL);
  g_mkdir_with_parents (etc, 0700);
  g_assert_true (g_file_set_contents (osr, "ID=debian\n", -1, NULL));
  g_unlink (link);
  g_assert_cmpint (symlink ("/etc/os-release", link), ==, 0);
  g_unlink (fs);
  g_autofree char *mk
    = g_strdup_printf ("mke2fs -q -F -t ext4 -b 4096 -O %s -d %s %s %uM", features, dir, fs, mib);
  g_free (run (mk));
  return place_at (fs, path, offset);
}

static guint64
dumpe2fs_free_blocks (const char *path, guint64 offset)
{
  g_autofree char *cmd = g_strdup_printf ("sh -c 'tail -c +%" G_GUINT64_FORMAT
                                          " %s > %s/probe.raw && dumpe2fs -h %s/probe.raw'",
                                          offset + 1, path, tmpdir, tmpdir);
  g_autofree char *out = run (cmd);
  const char *line = strstr (out, "Free blocks:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("Free blocks:"), NULL, 10);
}

static void
check_map (const char *path, guint64 offset, guint64 bytes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrUsedMap) map = asr_used_map_read (path, offset, bytes, &error);
  g_assert_no_error (error);
  g_assert_nonnull (map);
  g_assert_cmpuint (map->free_bytes, ==, dumpe2fs_free_blocks (path, offset) * 4096);

  /* /big's blocks are used: none of its bytes lies in a free extent */
  g_autofree char *cmd = g_strdup_printf ("debugfs -R 'blocks /big' %s/probe.raw", tmpdir);
  g_autofree char *out = run (cmd);
  g_auto (GStrv) blocks = g_strsplit_set (g_strstrip (out), " \n", -1);
  g_assert_cmpuint (g_strv_length (blocks), ==, 768);
  for (char **b = blocks; *b; b++)
    {
      guint64 at = g_ascii_strtoull (*b, NULL, 10) * 4096;
      for (guint i = 0; i < map->free->len; i++)
        {
          const AsrExtent *e = &g_array_index (map->free, AsrExtent, i);
          g_assert_false (at >= e->offset && at < e->offset + e->bytes);
        }
    }
}

static void
test_ext4 (void)
{
  g_autofree char *img = make_ext4 ("plain.raw", 64, 0, "^metadata_csum");
  check_map (img, 0, 64u << 20);
}

static void
test_read_files (void)
{
  g_autofree char *img = make_ext4 ("files.raw", 64, 1u << 20, "metadata_csum");
  const char *names[] = { "/etc/os-release", "/etc/link", "/big", "/etc", "/nope/x", NULL };
  AsrVolumeFile f[5] = { { 0 } };
  g_autoptr (GError) error = NULL;

  g_assert_true (asr_used_map_read_files (img, 1u << 20, 64u << 20, names, 4096, f, &error));
  g_assert_no_error (error);
  g_assert_true (f[0].found && !f[0].truncated);
  g_assert_cmpmem (g_bytes_get_data (f[0].data, NULL), g_bytes_get_size (f[0].data), "ID=debian\n",
                   10);
  /* an absolute symlink resolves inside the filesystem */
  g_assert_true (f[1].found && g_bytes_equal (f[0].data, f[1].data));
  /* the first bytes of a larger file */
  g_assert_true (f[2].found && f[2].truncated);
  g_assert_cmpuint (g_bytes_get_size (f[2].data), ==, 4096);
  /* a directory and a missing path are absent */
  g_assert_false (f[3].found);
  g_assert_false (f[4].found);
  for (guint i = 0; i < G_N_ELEMENTS (f); i++)
    asr_volume_file_clear (&f[i]);

  /* not ext: refused before any child */
  g_assert_false (asr_used_map_read_files (img, 0, 64u << 20, names, 4096, f, &error));
  g_assert_error (error, ASR_USED_MAP_ERROR, ASR_USED_MAP_ERROR_NOT_FOUND);
}

static void
test_ext4_offset (void)
{
  g_autofree char *img = make_ext4 ("offset.raw", 64, 1u << 20, "metadata_csum");
  check_map (img, 1u << 20, 64u << 20);
}

static void
expect_refusal (const char *path, guint64 offset, guint64 bytes, AsrUsedMapError code,
                const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrUsedMap) map = asr_used_map_read (path, offset, bytes, &error);
  g_assert_null (map);
  g_assert_error (error, ASR_USED_MAP_ERROR, (gint) code);
  if (!strstr (error->message, message))
    g_error ("expected '%s' in '%s'", message, error->message);
}

/* Marks free block @block of the image used in its bitmap, behind the
 * group descriptor's back. */
static void
flip_bitmap_bit (const char *img, guint64 block)
{
  g_autofree char *cmd = g_strdup_printf ("dumpe2fs %s", img);
  g_autofree char *out = run (cmd);
  const char *at = strstr (out, "Block bitmap at ");
  g_assert_nonnull (at);
  guint64 bitmap = g_ascii_strtoull (at + strlen ("Block bitmap at "), NULL, 10);
  int fd = open (img, O_RDWR);
  guint8 byte;
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pread (fd, &byte, 1, (off_t) (bitmap * 4096 + block / 8)), ==, 1);
  g_assert_false (byte & (1u << (block % 8)));
  byte |= (guint8) (1u << (block % 8));
  g_assert_cmpint (pwrite (fd, &byte, 1, (off_t) (bitmap * 4096 + block / 8)), ==, 1);
  close (fd);
}

static void
test_corrupt_bitmap (void)
{
  /* the last block (64 MiB of 4 KiB blocks: one group) is free with 3 MiB used */
  g_autofree char *img = make_ext4 ("bitmap.raw", 64, 0, "^metadata_csum");
  flip_bitmap_bit (img, 16383);
  expect_refusal (img, 0, 64u << 20, ASR_USED_MAP_ERROR_CORRUPT, "block group 0: its bitmap has ");

  /* with checksums the bitmap's own checksum catches it first */
  g_autofree char *csum = make_ext4 ("bitmap-csum.raw", 64, 0, "metadata_csum");
  flip_bitmap_bit (csum, 16383);
  expect_refusal (csum, 0, 64u << 20, ASR_USED_MAP_ERROR_CORRUPT, "block bitmaps cannot be read");
}

static void
test_needs_recovery (void)
{
  g_autofree char *img = make_ext4 ("dirty.raw", 64, 0, "^metadata_csum");
  g_autofree char *cmd = g_strdup_printf ("debugfs -w -R 'feature needs_recovery' %s", img);
  g_free (run (cmd));
  expect_refusal (img, 0, 64u << 20, ASR_USED_MAP_ERROR_NEEDS_RECOVERY, "journal needs recovery");

  /* not marked clean, journal or not: its bitmaps may be stale too */
  g_autofree char *unclean = make_ext4 ("unclean.raw", 64, 0, "^metadata_csum");
  g_autofree char *ssv = g_strdup_printf ("debugfs -w -R 'ssv state 0' %s", unclean);
  g_free (run (ssv));
  expect_refusal (unclean, 0, 64u << 20, ASR_USED_MAP_ERROR_NEEDS_RECOVERY, "not marked clean");
}

static void
test_larger_than_volume (void)
{
  g_autofree char *img = make_ext4 ("large.raw", 64, 0, "^metadata_csum");
  expect_refusal (img, 0, 32u << 20, ASR_USED_MAP_ERROR_CORRUPT, "more than its 33554432-byte");
}

/* @img changed by the command @edit (the image appended), then refused
 * with @code and @message. */
static void
refused_after (const char *img, const char *edit, guint64 bytes, AsrUsedMapError code,
               const char *message)
{
  g_autofree char *cmd = g_strdup_printf ("%s %s", edit, img);
  g_free (run (cmd));
  expect_refusal (img, 0, bytes, code, message);
}

/* Geometry libext2fs 1.47.0 overflows its buffers on (found by
 * fuzz-used-map) is refused before it reads a bitmap. */
static void
test_bad_geometry (void)
{
  g_autofree char *img = make_ext4 ("first-block.raw", 64, 0, "^metadata_csum");
  refused_after (img, "debugfs -w -R 'ssv first_data_block 1'", 64u << 20,
                 ASR_USED_MAP_ERROR_CORRUPT,
                 "bad superblock geometry (first data block 1, 32768 blocks and ");
}

static void
test_not_ext (void)
{
  g_autofree char *img = g_build_filename (tmpdir, "zeros.raw", NULL);
  g_autofree char *zeros = g_malloc0 (1u << 20);
  g_assert_true (g_file_set_contents (img, zeros, 1u << 20, NULL));
  expect_refusal (img, 0, 1u << 20, ASR_USED_MAP_ERROR_NOT_FOUND, "no filesystem");
}

/* A FAT image of @mib MiB (mkfs.vfat -F @bits) at @offset of a file,
 * holding a 3 MB file. */
static char *
make_fat (const char *name, guint mib, guint64 offset, guint bits)
{
  g_autofree char *fs = g_build_filename (tmpdir, "fat.raw", NULL);
  g_autofree char *data = g_build_filename (tmpdir, "data.bin", NULL);
  char *path = g_build_filename (tmpdir, name, NULL);
  g_autofree char *buf = g_malloc (3000000);

  memset (buf, 0x7e, 3000000);
  g_assert_true (g_file_set_contents (data, buf, 3000000, NULL));
  g_autofree char *mk = g_strdup_printf ("sh -c 'rm -f %s && truncate -s %uM %s && mkfs.vfat -F %u "
                                         "%s >/dev/null && mcopy -i %s %s ::/data.bin'",
                                         fs, mib, fs, bits, fs, fs, data);
  g_free (run (mk));
  return place_at (fs, path, offset);
}

/* mtools's count of free bytes */
static guint64
mdir_free (const char *img, guint64 offset)
{
  g_autofree char *cmd = g_strdup_printf ("mdir -i %s@@%" G_GUINT64_FORMAT " ::/", img, offset);
  g_autofree char *out = run (cmd);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  for (char **l = lines; *l; l++)
    if (strstr (*l, "bytes free"))
      {
        GString *digits = g_string_new (NULL);
        for (const char *c = *l; *c && c < strstr (*l, "bytes"); c++)
          if (g_ascii_isdigit (*c))
            g_string_append_c (digits, *c);
        guint64 v = g_ascii_strtoull (digits->str, NULL, 10);
        g_string_free (digits, TRUE);
        return v;
      }
  g_error ("mdir printed no free bytes: %s", out);
}

static void
test_fat (void)
{
  const struct {
    guint bits, mib;
    guint64 offset;
  } cases[] = { { 12, 4, 0 }, { 16, 64, 1u << 20 }, { 32, 64, 0 }, { 32, 64, 1u << 20 } };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *img = make_fat ("fat.img", cases[i].mib, cases[i].offset, cases[i].bits);
      g_autoptr (GError) error = NULL;
      g_autoptr (AsrUsedMap) map
        = asr_used_map_read (img, cases[i].offset, (guint64) cases[i].mib << 20, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (map->fs, ==, "vfat");
      g_test_message ("FAT%u: %" G_GUINT64_FORMAT " bytes free in %u extents", cases[i].bits,
                      map->free_bytes, map->free->len);
      g_assert_cmpuint (map->free_bytes, ==, mdir_free (img, cases[i].offset));
    }
}

/* The boot sector's table geometry: first table's offset, its length. */
static void
fat_tables (const char *img, guint64 *fat, guint64 *fat_bytes)
{
  guint8 bs[512];
  int fd = open (img, O_RDONLY);
  g_assert_cmpint (pread (fd, bs, sizeof bs, 0), ==, 512);
  close (fd);
  guint sector = bs[11] | bs[12] << 8;
  guint64 len = bs[22] | bs[23] << 8;
  if (len == 0)
    len
      = (guint64) bs[36] | (guint64) bs[37] << 8 | (guint64) bs[38] << 16 | (guint64) bs[39] << 24;
  *fat = (guint64) (bs[14] | bs[15] << 8) * sector;
  *fat_bytes = len * sector;
}

static void
poke (const char *img, guint64 at, const void *bytes, gsize len)
{
  int fd = open (img, O_RDWR);
  g_assert_cmpint (pwrite (fd, bytes, len, (off_t) at), ==, (ssize_t) len);
  close (fd);
}

static void
test_fat_corrupt (void)
{
  guint64 fat, fat_bytes;
  g_autofree char *img = make_fat ("fat-bad.img", 64, 0, 16);
  fat_tables (img, &fat, &fat_bytes);

  /* a free cluster marked used in the second table only */
  guint8 eoc[2] = { 0xff, 0xff };
  poke (img, fat + fat_bytes + 2 * 30000, eoc, 2);
  expect_refusal (img, 0, 64u << 20, ASR_USED_MAP_ERROR_CORRUPT, "tables 1 and 2 differ");

  /* both tables: cluster 30000 points past the last cluster */
  guint8 past[2] = { 0xf0, 0xff };
  poke (img, fat + 2 * 30000, past, 2);
  poke (img, fat + fat_bytes + 2 * 30000, past, 2);
  expect_refusal (img, 0, 64u << 20, ASR_USED_MAP_ERROR_CORRUPT,
                  "cluster 30000 points to cluster 65520, which does not exist");

  /* marked dirty, as while mounted */
  g_autofree char *dirty = make_fat ("fat-dirty.img", 64, 0, 32);
  guint8 flag = 1;
  poke (dirty, 0x41, &flag, 1);
  expect_refusal (dirty, 0, 64u << 20, ASR_USED_MAP_ERROR_NEEDS_RECOVERY, "marked dirty");
}

/* An xfs image of 300 MiB at @offset of a file (mkfs.xfs -p: no mount),
 * version 5 with @crc, else 4, its root holding what the prototype
 * lines @root list (the files big and small available to them). */
static char *
make_xfs_with (const char *name, guint64 offset, gboolean crc, const char *root)
{
  g_autofree char *big = g_build_filename (tmpdir, "xfs-big", NULL);
  g_autofree char *small = g_build_filename (tmpdir, "xfs-small", NULL);
  g_autofree char *proto = g_build_filename (tmpdir, "xfs-proto", NULL);
  g_autofree char *fs = g_build_filename (tmpdir, "xfs.raw", NULL);
  g_autofree char *data = g_malloc (3u << 20);
  char *path = g_build_filename (tmpdir, name, NULL);

  memset (data, 0x6b, 3u << 20);
  g_assert_true (g_file_set_contents (big, data, 3u << 20, NULL));
  g_assert_true (g_file_set_contents (small, "small\n", -1, NULL));
  g_autofree char *text = g_strdup_printf ("/dev/null\n0 0\nd--755 0 0\n%s$\n$\n", root);
  g_assert_true (g_file_set_contents (proto, text, -1, NULL));
  g_autofree char *mk = g_strdup_printf ("sh -c 'cd %s && rm -f %s && truncate -s 300M %s && "
                                         "mkfs.xfs -q -m crc=%d -p %s %s "
                                         "2>/dev/null'",
                                         tmpdir, fs, fs, crc ? 1 : 0, proto, fs);
  g_free (run (mk));
  return place_at (fs, path, offset);
}

/* ... holding a 3 MiB file /big and two small ones. */
static char *
make_xfs (const char *name, guint64 offset, gboolean crc)
{
  return make_xfs_with (name, offset, crc,
                        "big ---644 0 0 xfs-big\nsmall ---644 0 0 xfs-small\n"
                        "sub d--755 0 0\ninner ---644 0 0 xfs-small\n$\n");
}

/* xfs_db's free extents (freesp -d: each group's free-space b-tree and
 * free list), as volume bytes. */
static GArray *
xfs_db_free (const char *img, guint64 offset)
{
  g_autofree char *cmd
    = g_strdup_printf ("sh -c 'tail -c +%" G_GUINT64_FORMAT " %s > %s/xfs-probe.raw && "
                       "xfs_db -r -c \"sb 0\" -c \"print agblocks blocksize\" "
                       "-c \"freesp -d\" %s/xfs-probe.raw'",
                       offset + 1, img, tmpdir, tmpdir);
  g_autofree char *out = run (cmd);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  GArray *free = g_array_new (FALSE, FALSE, sizeof (AsrExtent));
  guint64 agblocks = 0, bs = 0;
  for (char **l = lines; *l; l++)
    {
      guint64 agno, agbno, len;
      if (sscanf (*l, "agblocks = %" G_GUINT64_FORMAT, &agblocks) == 1
          || sscanf (*l, "blocksize = %" G_GUINT64_FORMAT, &bs) == 1)
        continue;
      if (sscanf (*l, " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &agno,
                  &agbno, &len)
            == 3
          && strstr (*l, "pct") == NULL && agblocks && bs)
        {
          AsrExtent e = { (agno * agblocks + agbno) * bs, len * bs };
          g_array_append_val (free, e);
        }
      if (strstr (*l, "from") && strstr (*l, "extents"))
        break; /* the histogram after the extents */
    }
  g_assert_cmpuint (free->len, >, 0);
  return free;
}

static void
check_xfs (const char *img, guint64 offset)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrUsedMap) map = asr_used_map_read (img, offset, 300u << 20, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (map->fs, ==, "xfs");
  g_autoptr (GArray) want = xfs_db_free (img, offset);
  g_assert_cmpuint (map->free->len, ==, want->len);
  g_assert_cmpmem (map->free->data, map->free->len * sizeof (AsrExtent), want->data,
                   want->len * sizeof (AsrExtent));
}

static void
test_xfs (void)
{
  g_autofree char *v5 = make_xfs ("xfs5.raw", 0, TRUE);
  check_xfs (v5, 0);
  g_autofree char *at = make_xfs ("xfs5-offset.raw", 1u << 20, TRUE);
  check_xfs (at, 1u << 20);
  g_autofree char *v4 = make_xfs ("xfs4.raw", 0, FALSE);
  check_xfs (v4, 0);

  /* a clean log of another cycle (as after the log wrapped) */
  g_autofree char *cmd = g_strdup_printf ("xfs_db -x -c 'logformat -c 7' %s", v5);
  g_free (run (cmd));
  check_xfs (v5, 0);
}

static void
test_xfs_corrupt (void)
{
  g_autofree char *img = make_xfs ("xfs-bad.raw", 0, TRUE);
  refused_after (img, "xfs_db -x -c 'agf 1' -c 'write -d freeblks 5'", 300u << 20,
                 ASR_USED_MAP_ERROR_CORRUPT, "allocation group 1: its free-space b-tree has ");

  g_autofree char *root = make_xfs ("xfs-root.raw", 0, FALSE);
  refused_after (root, "xfs_db -x -c 'agf 2' -c 'write -d bnoroot 4000000'", 300u << 20,
                 ASR_USED_MAP_ERROR_CORRUPT,
                 "allocation group 2: a free-space b-tree pointer outside the group");
}

/* Files read from an xfs root as inspection reads them: os-release
 * through Debian's relative symlink, an absolute symlink, a file in a
 * directory of 400 entries (data blocks, not short form), the first
 * bytes of a larger file, a directory and a missing path absent; and
 * through the sandboxed child, which finds the xfs itself. */
static void
check_xfs_files (gboolean crc)
{
  GString *root = g_string_new ("etc d--755 0 0\n"
                                "os-release l--777 0 0 ../usr/lib/os-release\n"
                                "link l--777 0 0 /etc/os-release\n"
                                "many d--755 0 0\n");
  for (guint i = 0; i < 400; i++)
    g_string_append_printf (root, "entry-number-%03u ---644 0 0 xfs-small\n", i);
  g_string_append (root, "$\n$\nusr d--755 0 0\nlib d--755 0 0\n"
                         "os-release ---644 0 0 os-release-src\n$\n$\n"
                         "big ---644 0 0 xfs-big\n");
  g_autofree char *src = g_build_filename (tmpdir, "os-release-src", NULL);
  g_assert_true (g_file_set_contents (src, "ID=rocky\nVERSION_ID=9\n", -1, NULL));
  g_autofree char *img
    = make_xfs_with (crc ? "xfs5-files.raw" : "xfs4-files.raw", 1u << 20, crc, root->str);
  g_string_free (root, TRUE);
  const char *names[] = {
    "/etc/os-release", "/etc/link", "/etc/many/entry-number-377", "/big", "/etc/many", "/etc/nope",
    "/etc/link/..",    NULL
  };
  AsrVolumeFile f[7] = { { 0 } };
  g_autoptr (GError) error = NULL;

  g_assert_true (asr_used_map_read_files (img, 1u << 20, 300u << 20, names, 4096, f, &error));
  g_assert_no_error (error);
  g_assert_true (f[0].found && !f[0].truncated);
  g_assert_cmpmem (g_bytes_get_data (f[0].data, NULL), g_bytes_get_size (f[0].data),
                   "ID=rocky\nVERSION_ID=9\n", 22);
  g_assert_true (f[1].found && g_bytes_equal (f[0].data, f[1].data));
  g_assert_true (f[2].found);
  g_assert_cmpmem (g_bytes_get_data (f[2].data, NULL), g_bytes_get_size (f[2].data), "small\n", 6);
  g_assert_true (f[3].found && f[3].truncated);
  g_assert_cmpuint (g_bytes_get_size (f[3].data), ==, 4096);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (f[3].data, NULL))[4095], ==, 0x6b);
  g_assert_false (f[4].found);
  g_assert_false (f[5].found);
  g_assert_false (f[6].found);
  for (guint i = 0; i < G_N_ELEMENTS (f); i++)
    asr_volume_file_clear (&f[i]);
}

static void
test_xfs_files (void)
{
  check_xfs_files (TRUE);
  check_xfs_files (FALSE);
}

/* A log left dirty: mounted, written, the filesystem shut down without
 * its unmount record (as a crash leaves it). */
static void
test_xfs_dirty_log (void)
{
  if (geteuid () != 0)
    {
      g_test_skip ("mounting a loop device needs root");
      return;
    }
  g_autofree char *img = make_xfs ("xfs-dirty.raw", 0, TRUE);
  g_autofree char *mnt = g_build_filename (tmpdir, "mnt", NULL);
  g_mkdir_with_parents (mnt, 0700);
  g_autofree char *cmd
    = g_strdup_printf ("sh -c 'mount -o loop %s %s && echo new > %s/new && sync && "
                       "xfs_io -x -c \"shutdown -f\" %s; umount %s'",
                       img, mnt, mnt, mnt, mnt);
  g_free (run (cmd));
  expect_refusal (img, 0, 300u << 20, ASR_USED_MAP_ERROR_NEEDS_RECOVERY, "its log is not clean");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autofree char *mke2fs = g_find_program_in_path ("mke2fs");
  g_autofree char *debugfs = g_find_program_in_path ("debugfs");
  g_autofree char *mkfat = g_find_program_in_path ("mkfs.vfat");
  g_autofree char *mdir = g_find_program_in_path ("mdir");
  g_autofree char *mkxfs = g_find_program_in_path ("mkfs.xfs");
  if (mke2fs == NULL || debugfs == NULL || mkfat == NULL || mdir == NULL || mkxfs == NULL)
    {
      g_test_skip ("needs mke2fs and debugfs (e2fsprogs), mkfs.vfat (dosfstools), mdir (mtools), "
                   "mkfs.xfs (xfsprogs)");
      return g_test_run ();
    }
  tmpdir = g_dir_make_tmp ("asr-usedmap-XXXXXX", NULL);
  g_test_add_func ("/usedmap/ext4/free-extents", test_ext4);
  g_test_add_func ("/usedmap/ext4/at-an-offset", test_ext4_offset);
  g_test_add_func ("/usedmap/ext4/corrupt-bitmap", test_corrupt_bitmap);
  g_test_add_func ("/usedmap/ext4/needs-recovery", test_needs_recovery);
  g_test_add_func ("/usedmap/ext4/larger-than-volume", test_larger_than_volume);
  g_test_add_func ("/usedmap/ext4/bad-geometry", test_bad_geometry);
  g_test_add_func ("/usedmap/not-ext", test_not_ext);
  g_test_add_func ("/usedmap/fat/free-extents", test_fat);
  g_test_add_func ("/usedmap/fat/corrupt", test_fat_corrupt);
  g_test_add_func ("/usedmap/ext4/read-files", test_read_files);
  g_test_add_func ("/usedmap/xfs/free-extents", test_xfs);
  g_test_add_func ("/usedmap/xfs/corrupt", test_xfs_corrupt);
  g_test_add_func ("/usedmap/xfs/dirty-log", test_xfs_dirty_log);
  g_test_add_func ("/usedmap/xfs/read-files", test_xfs_files);
  int rc = g_test_run ();
  g_autofree char *rm = g_strdup_printf ("rm -rf %s", tmpdir);
  g_free (run (rm));
  return rc;
}
