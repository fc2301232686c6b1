/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What restore writes where, without writing: the boot area's pieces
 * around MBR and GPT tables, and the dry run's list of writes. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "restore-backend.h"
#include "restore-private.h"

static MachineDescriptor *
make_backup (MachinePtableType type)
{
  MachineDescriptor *m = machine_descriptor_new ();
  MachineDisk *d = machine_disk_new ("disk0");
  MachinePartition *p = machine_partition_new (1);

  d->critical = MACHINE_TRISTATE_YES;
  d->bytes = 64 * 1024 * 1024;
  d->has_bytes = TRUE;
  d->logical_sector = 512;
  d->ptable = type;
  p->start = 2048;
  p->sectors = 65536;
  if (type == MACHINE_PTABLE_MBR)
    {
      d->signature = g_strdup ("0x1234abcd");
      p->kind = MACHINE_PARTITION_KIND_PRIMARY;
      p->type = g_strdup ("0x83");
      p->bootable = MACHINE_TRISTATE_YES;
    }
  else
    {
      d->guid = g_strdup ("01234567-89ab-cdef-0123-456789abcdef");
      p->type = g_strdup ("0fc63daf-8483-4772-8e79-3d69d8477de4");
      p->guid = g_strdup ("11111111-2222-3333-4444-555555555555");
      p->name = g_strdup ("root");
    }
  p->volume = machine_volume_new ();
  p->volume->fs = g_strdup ("ext4");
  p->volume->image = machine_image_new ();
  p->volume->image->file = g_strdup ("disk0-p1.qcow2");
  p->volume->image->bytes = 65536 * 512;
  p->volume->image->checksum = g_strdup ("asr-sha256-64k:00");
  g_ptr_array_add (d->partitions, p);
  d->boot_area = machine_boot_area_new ();
  d->boot_area->bytes = 2048 * 512;
  d->boot_area->image = g_strdup ("disk0-bootarea.qcow2");
  g_ptr_array_add (m->disks, d);
  return m;
}

static RestoreDisk *
prepare (MachineDescriptor *m, guint64 target_bytes, AsrRestoreTarget **t_out)
{
  g_autoptr (GError) error = NULL;
  AsrRestoreTarget *t = asr_restore_target_new ("disk0", "/dev/null/target.raw", "raw");
  t->bytes = target_bytes;
  RestoreDisk *rd = restore_disk_prepare (m, "/backup", t, NULL, &error);
  g_assert_no_error (error);
  *t_out = t;
  return rd;
}

static void
assert_range (GArray *a, guint i, guint64 offset, guint64 bytes)
{
  g_assert_cmpuint (i, <, a->len);
  g_assert_cmpuint (g_array_index (a, RestoreRange, i).offset, ==, offset);
  g_assert_cmpuint (g_array_index (a, RestoreRange, i).bytes, ==, bytes);
}

static void
test_boot_ranges_mbr (void)
{
  g_autoptr (MachineDescriptor) m = make_backup (MACHINE_PTABLE_MBR);
  g_autoptr (AsrRestoreTarget) t = NULL;
  g_autoptr (RestoreDisk) rd = prepare (m, 128 * 1024 * 1024, &t);

  /* bytes 0-439 and sectors 1..2047: never 440-511 */
  g_assert_cmpuint (rd->boot_ranges->len, ==, 2);
  assert_range (rd->boot_ranges, 0, 0, 440);
  assert_range (rd->boot_ranges, 1, 512, 2047 * 512);
}

static void
test_boot_ranges_gpt (void)
{
  g_autoptr (MachineDescriptor) m = make_backup (MACHINE_PTABLE_GPT);
  g_autoptr (AsrRestoreTarget) t = NULL;
  g_autoptr (RestoreDisk) rd = prepare (m, 128 * 1024 * 1024, &t);

  /* protective MBR boot code, then the gap after the entries (LBA 34..) */
  g_assert_cmpuint (rd->boot_ranges->len, ==, 2);
  assert_range (rd->boot_ranges, 0, 0, 440);
  assert_range (rd->boot_ranges, 1, 34 * 512, (2048 - 34) * 512);
}

static void
test_boot_ranges_pure (void)
{
  /* table bytes straddling the end of the boot area, and none at all */
  g_autoptr (PtableWrites) w = g_new0 (PtableWrites, 1);
  w->writes = g_ptr_array_new ();
  PtableWrite a = { 440, g_bytes_new_static ("x", 1), (char *) "a" };
  PtableWrite b = { 1000, g_bytes_new_take (g_malloc0 (100), 100), (char *) "b" };
  g_ptr_array_add (w->writes, &b);
  g_ptr_array_add (w->writes, &a);
  g_autoptr (GArray) r = restore_boot_ranges (1050, w);
  g_assert_cmpuint (r->len, ==, 2);
  assert_range (r, 0, 0, 440);
  assert_range (r, 1, 441, 559);
  g_autoptr (GArray) none = restore_boot_ranges (0, w);
  g_assert_cmpuint (none->len, ==, 0);
  g_bytes_unref (a.data);
  g_bytes_unref (b.data);
  g_ptr_array_unref (w->writes);
  w->writes = NULL;
  g_free (g_steal_pointer (&w));
}

static void
test_invalidate_ranges (void)
{
  RestoreRange r[2];
  restore_invalidate_ranges (64 * 1024 * 1024, r);
  g_assert_cmpuint (r[0].offset, ==, 0);
  g_assert_cmpuint (r[0].bytes, ==, 1024 * 1024);
  g_assert_cmpuint (r[1].offset, ==, 63 * 1024 * 1024);
  g_assert_cmpuint (r[1].bytes, ==, 1024 * 1024);
  restore_invalidate_ranges (1536 * 1024, r); /* the tail never overlaps the head */
  g_assert_cmpuint (r[1].offset, ==, 1024 * 1024);
  g_assert_cmpuint (r[1].bytes, ==, 512 * 1024);
}

/* The dry run's lines for @m onto @targets with @opts, one string. */
static char *
describe_targets (const MachineDescriptor *m, GPtrArray *targets, const AsrRestoreOptions *opts)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) lines = asr_restore_describe (m, "/b", targets, opts, &error);
  g_assert_no_error (error);
  g_ptr_array_add (lines, NULL);
  return g_strjoinv ("\n", (char **) lines->pdata);
}

/* The dry run's lines for @m onto a 128 MiB t.raw, one string. */
static char *
describe_all (const MachineDescriptor *m)
{
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) asr_restore_target_free);
  AsrRestoreTarget *t = asr_restore_target_new ("disk0", "t.raw", "raw");
  t->bytes = 128 * 1024 * 1024;
  g_ptr_array_add (targets, t);
  return describe_targets (m, targets, NULL);
}

static void
test_describe (void)
{
  g_autoptr (MachineDescriptor) m = make_backup (MACHINE_PTABLE_MBR);
  g_autofree char *all = describe_all (m);
  const char *want[] = {
    "t.raw: invalidate: zero 1048576 bytes at 0 and 1048576 bytes at 133169152",
    "t.raw: table: MBR",
    "t.raw: volume: partition 1: /b/disk0-p1.qcow2 → 33554432 bytes at 1048576",
    "t.raw: verify: partition 1: read back 33554432 bytes at 1048576",
    "t.raw: boot area: /b/disk0-bootarea.qcow2 bytes 0-439 → 440 bytes at 0",
    "t.raw: boot area: /b/disk0-bootarea.qcow2 bytes 512-1048575",
  };
  const char *pos = all;
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const char *hit = strstr (pos, want[i]);
      if (hit == NULL)
        g_error ("missing or out of order: %s\nin:\n%s", want[i], all);
      pos = hit;
    }
}

/* A swap partition restore recreates empty, after partition 1. */
static void
add_swap (MachineDescriptor *m, guint number, const char *uuid, const char *label)
{
  MachineDisk *d = g_ptr_array_index (m->disks, 0);
  MachinePartition *p = machine_partition_new (number);
  p->kind = MACHINE_PARTITION_KIND_PRIMARY;
  p->type = g_strdup ("0x82");
  p->start = 2048 + 65536 + 8192 * (number - 2);
  p->sectors = 8192;
  p->volume = machine_volume_new ();
  p->volume->fs = g_strdup ("swap");
  p->volume->uuid = g_strdup (uuid);
  p->volume->label = g_strdup (label);
  g_ptr_array_add (d->partitions, p);
}

static void
test_describe_recreate (void)
{
  g_autoptr (MachineDescriptor) m = make_backup (MACHINE_PTABLE_MBR);
  /* label="" is known to be empty; no label attribute, not recorded */
  add_swap (m, 2, "aada925f-faf8-4b54-944a-81005177fadb", "");
  add_swap (m, 3, "11112222-faf8-4b54-944a-81005177fadb", "swap");
  add_swap (m, 4, NULL, NULL);
  g_autofree char *all = describe_all (m);
  const char *want[] = {
    "t.raw: recreate: partition 2: empty swap, UUID aada925f-faf8-4b54-944a-81005177fadb, no "
    "label\n",
    "t.raw: recreate: partition 3: empty swap, UUID 11112222-faf8-4b54-944a-81005177fadb, label "
    "swap\n",
    "t.raw: recreate: partition 4: empty swap, a new UUID, no label\n",
  };
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    if (strstr (all, want[i]) == NULL)
      g_error ("missing: %s\nin:\n%s", want[i], all);
}

/* A second GPT partition beside make_backup's, with its own GUID, type,
 * name and attributes. */
static void
add_gpt_partition (MachineDescriptor *m)
{
  MachineDisk *d = g_ptr_array_index (m->disks, 0);
  MachinePartition *p = machine_partition_new (2);
  p->start = 2048 + 65536;
  p->sectors = 8192;
  p->type = g_strdup ("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F");
  p->guid = g_strdup ("AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE");
  p->name = g_strdup ("swap");
  p->attributes = G_GUINT64_CONSTANT (0x8000000000000001);
  p->has_attributes = TRUE;
  p->volume = machine_volume_new ();
  p->volume->fs = g_strdup ("swap");
  g_ptr_array_add (d->partitions, p);
}

/* The table restore writes, read back from a sparse file as a disk would
 * be: every partition keeps its own GUID, type, name and attributes (an
 * fstab or a boot entry naming a PARTUUID finds the same partition), and
 * the backup GPT is there at the end of the disk, equal to the primary. */
static void
test_table_gpt_identity (void)
{
  g_autoptr (MachineDescriptor) m = make_backup (MACHINE_PTABLE_GPT);
  g_autoptr (AsrRestoreTarget) t = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-restore-layout-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "t.raw", NULL);
  const guint64 bytes = 128 * 1024 * 1024;

  add_gpt_partition (m);
  g_autoptr (RestoreDisk) rd = prepare (m, bytes, &t);
  int fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) bytes), ==, 0);
  g_assert_true (ptable_writes_apply_fd (rd->writes, fd, &error));
  g_assert_no_error (error);

  PtableReader r;
  ptable_reader_init_fd (&r, fd, bytes, 512);
  g_autoptr (PtableTable) got = ptable_read (&r, &error);
  close (fd);
  g_unlink (path);
  g_rmdir (dir);
  g_assert_no_error (error);

  const MachineDisk *d = g_ptr_array_index (m->disks, 0);
  g_assert_cmpint (got->type, ==, PTABLE_TYPE_GPT);
  g_assert_cmpstr (got->disk_guid, ==, d->guid);
  for (guint i = 0; i < got->warnings->len; i++)
    g_test_message ("warning: %s",
                    ((PtableWarning *) g_ptr_array_index (got->warnings, i))->message);
  g_assert_cmpuint (got->warnings->len, ==, 0);
  g_assert_cmpuint (got->partitions->len, ==, d->partitions->len);
  for (guint i = 0; i < d->partitions->len; i++)
    {
      const MachinePartition *want = g_ptr_array_index (d->partitions, i);
      const PtablePartition *p = ptable_table_find_partition (got, want->number);
      g_assert_nonnull (p);
      g_assert_cmpuint (p->start_sector, ==, want->start);
      g_assert_cmpuint (p->sectors, ==, want->sectors);
      g_assert_cmpint (g_ascii_strcasecmp (p->guid, want->guid), ==, 0);
      g_assert_cmpint (g_ascii_strcasecmp (p->type_guid, want->type), ==, 0);
      g_assert_cmpstr (p->name, ==, want->name);
      g_assert_cmpuint (p->attributes, ==, want->has_attributes ? want->attributes : 0);
    }
}

static void
test_refusals (void)
{
  g_autoptr (MachineDescriptor) m = make_backup (MACHINE_PTABLE_MBR);
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) asr_restore_target_free);
  g_autoptr (GError) error = NULL;
  AsrRestoreTarget *t = asr_restore_target_new ("disk0", "t.raw", "raw");
  t->bytes = 64 * 1024 * 1024 - 512; /* one sector too small */
  g_ptr_array_add (targets, t);
  g_assert_null (asr_restore_describe (m, "/b", targets, NULL, &error));
  g_assert_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "smaller than disk0"));
  g_clear_error (&error);

  t->bytes = 128 * 1024 * 1024;
  ((MachineDisk *) g_ptr_array_index (m->disks, 0))->critical = MACHINE_TRISTATE_NO;
  g_assert_null (asr_restore_describe (m, "/b", targets, NULL, &error));
  g_assert_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "never restored"));
}

/* --- --grow: the named volume takes the space, what follows it moves ------- */

/* A partition of @d: @fs with an image unless swap, mounted at @mp. */
static MachinePartition *
add_part (MachineDisk *d, guint number, MachinePartitionKind kind, guint64 start, guint64 sectors,
          const char *fs, const char *mp)
{
  MachinePartition *p = machine_partition_new (number);
  p->kind = kind;
  p->start = start;
  p->sectors = sectors;
  if (d->ptable == MACHINE_PTABLE_MBR)
    p->type = g_strdup (kind == MACHINE_PARTITION_KIND_EXTENDED ? "0x05"
                        : g_strcmp0 (fs, "swap") == 0           ? "0x82"
                                                                : "0x83");
  else
    {
      p->type = g_strdup ("0fc63daf-8483-4772-8e79-3d69d8477de4");
      p->guid = g_strdup_printf ("11111111-2222-3333-4444-55555555555%u", number);
    }
  if (fs)
    {
      p->volume = machine_volume_new ();
      p->volume->fs = g_strdup (fs);
      p->volume->mountpoint = g_strdup (mp);
      p->volume->uuid = g_strdup_printf ("aada925f-faf8-4b54-944a-81005177fad%u", number);
      if (g_strcmp0 (fs, "swap") != 0)
        {
          p->volume->image = machine_image_new ();
          p->volume->image->file = g_strdup_printf ("disk0-p%u.qcow2", number);
          p->volume->image->bytes = sectors * 512;
          p->volume->image->checksum = g_strdup ("asr-sha256-64k:00");
        }
    }
  g_ptr_array_add (d->partitions, p);
  return p;
}

/* Debian's default: /boot (bootable), /, then swap, the last partition. */
static MachineDescriptor *
swap_last (MachinePtableType type)
{
  MachineDescriptor *m = machine_descriptor_new ();
  MachineDisk *d = machine_disk_new ("disk0");
  d->critical = MACHINE_TRISTATE_YES;
  d->logical_sector = 512;
  d->ptable = type;
  d->signature = g_strdup ("0x1234abcd");
  d->guid = g_strdup ("01234567-89ab-cdef-0123-456789abcdef");
  add_part (d, 1, MACHINE_PARTITION_KIND_PRIMARY, 2048, 65536, "ext4", "/boot")->bootable
    = MACHINE_TRISTATE_YES;
  add_part (d, 2, MACHINE_PARTITION_KIND_PRIMARY, 67584, 131072, "ext4", "/");
  add_part (d, 3, MACHINE_PARTITION_KIND_PRIMARY, 198656, 32768, "swap", NULL);
  d->bytes = 231424 * 512;
  d->has_bytes = TRUE;
  g_ptr_array_add (m->disks, d);
  return m;
}

static RestoreDisk *
prepare_grow (MachineDescriptor *m, guint64 target_bytes, const char *grow, AsrRestoreTarget **t,
              GError **error)
{
  *t = asr_restore_target_new ("disk0", "t.raw", "raw");
  (*t)->bytes = target_bytes;
  MachineLayoutOptions lo = { .grow = grow, .shrink = grow };
  return restore_disk_prepare (m, "/b", *t, &lo, error);
}

static const RestoreVolume *
volume_of (const RestoreDisk *rd, const char *what)
{
  for (guint i = 0; i < rd->volumes->len; i++)
    {
      const RestoreVolume *v = g_ptr_array_index (rd->volumes, i);
      if (strcmp (v->what, what) == 0)
        return v;
    }
  g_error ("no volume %s", what);
}

/* The dry run's lines for one prepared disk, one string. */
static char *
describe_disk (const RestoreDisk *rd)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  restore_disk_describe (rd, FALSE, lines);
  g_ptr_array_add (lines, NULL);
  return g_strjoinv ("\n", (char **) lines->pdata);
}

static void
test_grow_swap_last (void)
{
  g_autoptr (MachineDescriptor) m = swap_last (MACHINE_PTABLE_MBR);
  MachineDisk *d = g_ptr_array_index (m->disks, 0);
  MachinePartition *p2 = g_ptr_array_index (d->partitions, 1);
  MachinePartition *p3 = g_ptr_array_index (d->partitions, 2);
  g_autoptr (AsrRestoreTarget) t = NULL;
  g_autoptr (GError) error = NULL;
  guint64 offset, bytes;

  /* 256 MiB: 524288 sectors; the last partition ends at 231424, so /
   * gains 292864 sectors (a whole number of MiB) and swap ends the disk */
  g_autoptr (RestoreDisk) rd = prepare_grow (m, 256 * 1024 * 1024, "/", &t, &error);
  g_assert_no_error (error);
  g_assert_true (rd->grow_partition == p2);
  g_assert_cmpuint (rd->grow_sectors, ==, 131072 + 292864);
  g_assert_cmpuint (machine_layout_extent (rd->layout, p3)->start, ==, 198656 + 292864);
  g_assert_cmpuint (machine_layout_extent (rd->layout, p3)->start + 32768, ==, 524288);
  /* /'s image where it was, swap recreated at its new place */
  g_assert_cmpuint (volume_of (rd, "partition 2")->offset, ==, 67584 * 512);
  restore_partition_range (rd, p3, &offset, &bytes);
  g_assert_cmpuint (offset, ==, (198656 + 292864) * 512ull);
  g_assert_cmpuint (bytes, ==, 32768 * 512);
  restore_partition_range (rd, p2, &offset, &bytes);
  g_assert_cmpuint (bytes, ==, (131072 + 292864) * 512ull);

  /* the dry run shows each partition's old and new place */
  g_autofree char *all = describe_disk (rd);
  const char *want[] = {
    "t.raw: layout: partition 1: start 2048 → 2048, 65536 → 65536 sectors (stays)\n",
    "t.raw: layout: partition 2: start 67584 → 67584, 131072 → 423936 sectors (grows)\n",
    "t.raw: layout: partition 3: start 198656 → 491520, 32768 → 32768 sectors (moves)\n",
    "t.raw: grow: partition 2 from 131072 to 423936 sectors, and its ext4\n",
  };
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    if (strstr (all, want[i]) == NULL)
      g_error ("missing: %s\nin:\n%s", want[i], all);

  /* the grown table holds the moved partition; GPT the same */
  g_autoptr (MachineDescriptor) g = swap_last (MACHINE_PTABLE_GPT);
  g_autoptr (AsrRestoreTarget) t2 = NULL;
  g_autoptr (RestoreDisk) rg = prepare_grow (g, 256 * 1024 * 1024, "/", &t2, &error);
  g_assert_no_error (error);
  MachinePartition *g3
    = g_ptr_array_index (((MachineDisk *) g_ptr_array_index (g->disks, 0))->partitions, 2);
  /* GPT keeps 33 sectors at the end: 524255 usable, aligned down */
  g_assert_cmpuint (rg->layout->gained, ==, 292864 - 2048);
  g_assert_cmpuint (machine_layout_extent (rg->layout, g3)->start, ==, 198656 + 290816);

  /* without --grow, or with no room, nothing moves */
  g_autoptr (AsrRestoreTarget) t3 = NULL;
  g_autoptr (RestoreDisk) same = prepare_grow (m, d->bytes, "/", &t3, &error);
  g_assert_no_error (error);
  g_assert_null (same->grow_partition);
  g_assert_null (same->grown_writes);
  g_autoptr (AsrRestoreTarget) t4 = NULL;
  g_autoptr (RestoreDisk) none = prepare_grow (m, 256 * 1024 * 1024, NULL, &t4, &error);
  g_assert_no_error (error);
  g_assert_null (none->grow_partition);
  g_assert_cmpuint (machine_layout_extent (none->layout, p3)->start, ==, 198656);
}

/* MBR with logical partitions: the grown one's extended partition grows
 * with it, the logical ones after it move, each EBR with its partition. */
static void
test_grow_logical (void)
{
  g_autoptr (MachineDescriptor) m = machine_descriptor_new ();
  MachineDisk *d = machine_disk_new ("disk0");
  d->critical = MACHINE_TRISTATE_YES;
  d->ptable = MACHINE_PTABLE_MBR;
  d->signature = g_strdup ("0x1234abcd");
  add_part (d, 1, MACHINE_PARTITION_KIND_PRIMARY, 2048, 65536, "ext4", "/");
  add_part (d, 2, MACHINE_PARTITION_KIND_EXTENDED, 67584, 100352, NULL, NULL);
  MachinePartition *p5
    = add_part (d, 5, MACHINE_PARTITION_KIND_LOGICAL, 69632, 65536, "ext4", "/var");
  MachinePartition *p6
    = add_part (d, 6, MACHINE_PARTITION_KIND_LOGICAL, 137216, 30720, "swap", NULL);
  d->bytes = 167936 * 512;
  d->has_bytes = TRUE;
  g_ptr_array_add (m->disks, d);
  MachinePartition *p2 = g_ptr_array_index (d->partitions, 1);
  g_autoptr (GError) error = NULL;

  /* 128 MiB = 262144 sectors: 94208 more, 46 MiB */
  g_autoptr (AsrRestoreTarget) t = NULL;
  g_autoptr (RestoreDisk) rd = prepare_grow (m, 128 * 1024 * 1024, "/var", &t, &error);
  g_assert_no_error (error);
  g_assert_true (rd->grow_partition == p5);
  g_assert_cmpuint (machine_layout_extent (rd->layout, p2)->sectors, ==, 100352 + 94208);
  g_assert_cmpuint (machine_layout_extent (rd->layout, p5)->sectors, ==, 65536 + 94208);
  g_assert_cmpuint (machine_layout_extent (rd->layout, p6)->start, ==, 137216 + 94208);
  g_assert_nonnull (rd->grown_writes);

  /* / first: the extended partition and both logical ones move */
  g_autoptr (AsrRestoreTarget) t2 = NULL;
  g_autoptr (RestoreDisk) r2 = prepare_grow (m, 128 * 1024 * 1024, "/", &t2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (machine_layout_extent (r2->layout, p2)->start, ==, 67584 + 94208);
  g_assert_cmpuint (machine_layout_extent (r2->layout, p2)->sectors, ==, 100352);
  g_assert_cmpuint (volume_of (r2, "partition 5")->offset, ==, (69632 + 94208) * 512ull);
  g_assert_nonnull (r2->grown_writes);
}

static void
test_grow_refusals (void)
{
  g_autoptr (MachineDescriptor) m = swap_last (MACHINE_PTABLE_MBR);
  MachineDisk *d = g_ptr_array_index (m->disks, 0);
  guint64 big = 256 * 1024 * 1024;
  struct {
    const char *grow, *why;
  } cases[] = {
    { "swap", "--grow=swap: not a mount point" },
    { "/srv", "--grow=/srv: no volume of the backup is mounted at /srv" },
    /* /boot grows, /: fine; but with / made bootable, growing /boot
     * would move it */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (AsrRestoreTarget) t = NULL;
      g_autoptr (GError) error = NULL;
      g_assert_null (prepare_grow (m, big, cases[i].grow, &t, &error));
      g_assert_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT);
      if (strstr (error->message, cases[i].why) == NULL)
        g_error ("%s: %s", cases[i].grow, error->message);
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrRestoreTarget) t = NULL;
  g_autoptr (RestoreDisk) boot = prepare_grow (m, big, "/boot", &t, &error);
  g_assert_no_error (error);
  g_assert_true (boot->grow_partition == g_ptr_array_index (d->partitions, 0));

  ((MachinePartition *) g_ptr_array_index (d->partitions, 1))->bootable = MACHINE_TRISTATE_YES;
  g_autoptr (AsrRestoreTarget) t2 = NULL;
  g_assert_null (prepare_grow (m, big, "/boot", &t2, &error));
  g_assert_nonnull (strstr (error->message, "partition 2, the bootable one, would move"));
  g_clear_error (&error);

  /* vfat is not grown */
  MachinePartition *p1 = g_ptr_array_index (d->partitions, 0);
  g_free (p1->volume->fs);
  p1->volume->fs = g_strdup ("vfat");
  g_autoptr (AsrRestoreTarget) t3 = NULL;
  g_assert_null (prepare_grow (m, big, "/boot", &t3, &error));
  g_assert_nonnull (strstr (error->message, "its filesystem is vfat, which asr does not grow"));
}

/* A MachineMinBytesFunc: the same minimum (*@opaque bytes) for every
 * filesystem. */
static gboolean
fixed_min (const MachineDisk *d, const MachinePartition *p, guint64 *min_bytes, void *opaque,
           GError **error)
{
  *min_bytes = *(const guint64 *) opaque;
  return TRUE;
}

/* --shrink: / gives up what the smaller target lacks, swap moves back */
static void
test_shrink_swap_last (void)
{
  g_autoptr (MachineDescriptor) m = swap_last (MACHINE_PTABLE_MBR);
  MachineDisk *d = g_ptr_array_index (m->disks, 0);
  MachinePartition *p2 = g_ptr_array_index (d->partitions, 1);
  MachinePartition *p3 = g_ptr_array_index (d->partitions, 2);
  g_autoptr (GError) error = NULL;
  guint64 offset, bytes;

  /* 100 MiB = 204800 sectors; the last partition ends at 231424: 26624
   * sectors short, 13 MiB */
  g_autoptr (AsrRestoreTarget) t = NULL;
  g_autoptr (RestoreDisk) rd = prepare_grow (m, 100 * 1024 * 1024, "/", &t, &error);
  g_assert_no_error (error);
  g_assert_true (rd->layout->grown == p2);
  g_assert_cmpuint (rd->layout->shrunk->len, ==, 1);
  g_assert_nonnull (machine_layout_shrink_of (rd->layout, p2));
  g_assert_null (rd->grow_partition);
  g_assert_null (rd->grown_writes);
  g_assert_cmpuint (machine_layout_extent (rd->layout, p2)->sectors, ==, 131072 - 26624);
  g_assert_cmpuint (machine_layout_extent (rd->layout, p3)->start, ==, 198656 - 26624);
  const RestoreVolume *v = volume_of (rd, "partition 2");
  g_assert_true (v->shrink);
  g_assert_cmpuint (v->offset, ==, 67584 * 512);
  g_assert_cmpuint (v->bytes, ==, (131072 - 26624) * 512ull);
  restore_partition_range (rd, p3, &offset, &bytes);
  g_assert_cmpuint (offset, ==, (198656 - 26624) * 512ull);
  /* the volume work sees the shrunk partition at its new size */
  restore_partition_range (rd, p2, &offset, &bytes);
  g_assert_cmpuint (bytes, ==, (131072 - 26624) * 512ull);

  g_autofree char *all = describe_disk (rd);
  if (strstr (all, "t.raw: layout: partition 2: start 67584 → 67584, 131072 → 104448 sectors "
                   "(shrinks)\n")
        == NULL
      || strstr (all, "t.raw: shrink: partition 2 from 131072 to 104448 sectors") == NULL)
    g_error ("%s", all);

  /* the minimum known: too little room is refused, saying by how much */
  guint64 min = 60 * 1024 * 1024;
  MachineLayoutOptions lo = { .shrink = "/", .min_bytes = fixed_min, .min_bytes_opaque = &min };
  g_assert_null (machine_layout_new (m, d, 100 * 1024 * 1024, &lo, &error));
  g_assert_nonnull (strstr (error->message, "disk0 partition 2 (ext4) can give up 4194304 bytes "
                                            "(its ext4 needs at least 62914560"));
  g_assert_nonnull (strstr (error->message, "the target is short by 9437184 bytes"));
  g_clear_error (&error);

  /* the minimum not known: all but a sector, in whole MiB (swap moves) */
  MachineLayoutOptions unknown = { .shrink = "/" };
  g_assert_null (machine_layout_new (m, d, 40 * 1024 * 1024, &unknown, &error));
  g_assert_nonnull (strstr (error->message, "can give up 66060288 bytes"));
  g_assert_nonnull (strstr (error->message, "the target is short by 10485760 bytes"));
  g_clear_error (&error);

  /* without --shrink, a smaller target is refused as before */
  MachineLayoutOptions grow_only = { .grow = "/" };
  g_autoptr (AsrRestoreTarget) t2 = asr_restore_target_new ("disk0", "t.raw", "raw");
  t2->bytes = 100 * 1024 * 1024;
  g_assert_null (restore_disk_prepare (m, "/b", t2, &grow_only, &error));
  g_assert_nonnull (strstr (error->message, "smaller than disk0"));
  g_clear_error (&error);

  /* swap under 64 MiB keeps its size; "boot" is no mount point; an
   * uncaptured ext4 cannot shrink */
  MachineLayoutOptions swap = { .shrink = "swap" };
  g_assert_null (machine_layout_new (m, d, 100 * 1024 * 1024, &swap, &error));
  g_assert_nonnull (strstr (error->message, "disk0 partition 3 (swap) can give up 0 bytes (swap "
                                            "keeps at least 67108864)"));
  g_clear_error (&error);
  MachineLayoutOptions boot = { .shrink = "boot" };
  g_assert_null (machine_layout_new (m, d, 100 * 1024 * 1024, &boot, &error));
  g_assert_nonnull (strstr (error->message, "not a mount point (/, /var, ...) or swap"));
  g_clear_error (&error);
  machine_image_free (p2->volume->image);
  p2->volume->image = NULL;
  MachineLayoutOptions root = { .shrink = "/" };
  g_assert_null (machine_layout_new (m, d, 100 * 1024 * 1024, &root, &error));
  g_assert_nonnull (strstr (error->message, "not captured"));
}

/* --shrink=/,swap (and /boot): each gives up what it can, in order, until
 * the target fits; what follows a partition that shrank moves back by what
 * those before it gave. */
static void
test_shrink_several (void)
{
  g_autoptr (MachineDescriptor) m = swap_last (MACHINE_PTABLE_GPT);
  MachineDisk *d = g_ptr_array_index (m->disks, 0);
  MachinePartition *p1 = g_ptr_array_index (d->partitions, 0);
  MachinePartition *p2 = g_ptr_array_index (d->partitions, 1);
  MachinePartition *p3 = g_ptr_array_index (d->partitions, 2);
  g_autoptr (GError) error = NULL;

  /* swap of 256 MiB (524288 sectors) after /: the disk ends at 722944 */
  p3->sectors = 524288;
  d->bytes = (198656 + 524288 + 2048) * 512ull;
  /* the target (300 MiB, GPT: 614367 usable) lacks 108577 sectors, 54
   * whole MiB; / (64 MiB) needs 40: it gives 24 MiB, swap the other 30 */
  guint64 min = 40 * 1024 * 1024;
  MachineLayoutOptions lo
    = { .shrink = "/,swap", .min_bytes = fixed_min, .min_bytes_opaque = &min };
  g_autoptr (MachineLayout) l = machine_layout_new (m, d, 300 * 1024 * 1024, &lo, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (l->shrunk->len, ==, 2);
  g_assert_true (g_array_index (l->shrunk, MachineShrink, 0).partition == p2);
  g_assert_cmpuint (g_array_index (l->shrunk, MachineShrink, 0).lost, ==, 24 * 2048);
  g_assert_cmpuint (g_array_index (l->shrunk, MachineShrink, 1).lost, ==, 30 * 2048);
  g_assert_cmpuint (machine_layout_extent (l, p2)->sectors, ==, 131072 - 24 * 2048);
  g_assert_cmpuint (machine_layout_extent (l, p3)->start, ==, 198656 - 24 * 2048);
  g_assert_cmpuint (machine_layout_extent (l, p3)->sectors, ==, 524288 - 30 * 2048);
  g_assert_cmpuint (machine_layout_extent (l, p3)->start + machine_layout_extent (l, p3)->sectors,
                    <=, 614367);

  /* swap first: it alone gives the 54 MiB, / keeps its size */
  MachineLayoutOptions swap_first
    = { .shrink = "swap,/", .min_bytes = fixed_min, .min_bytes_opaque = &min };
  g_autoptr (MachineLayout) l2 = machine_layout_new (m, d, 300 * 1024 * 1024, &swap_first, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (machine_layout_extent (l2, p2)->sectors, ==, 131072);
  g_assert_cmpuint (machine_layout_extent (l2, p3)->sectors, ==, 524288 - 54 * 2048);

  /* /boot, then /: /boot (32 MiB) under its minimum gives nothing, / 24
   * MiB: 30 short, each named */
  MachineLayoutOptions both
    = { .shrink = "/boot,/", .min_bytes = fixed_min, .min_bytes_opaque = &min };
  g_assert_null (machine_layout_new (m, d, 300 * 1024 * 1024, &both, &error));
  g_assert_nonnull (strstr (error->message, "disk0 partition 1 (ext4) can give up 0 bytes"));
  g_assert_nonnull (strstr (error->message, "disk0 partition 2 (ext4) can give up 25165824 bytes"));
  g_assert_nonnull (strstr (error->message, "the target is short by 31457280 bytes"));
  g_clear_error (&error);

  /* restore lays the disk out with the minimums the plan measured (the
   * target's shrink_mins): / from a shrunk copy, swap recreated smaller
   * at its new place; the dry run says each.  Without them / alone would
   * give it all. */
  g_autoptr (AsrRestoreTarget) t = asr_restore_target_new ("disk0", "t.raw", "raw");
  t->bytes = 300 * 1024 * 1024;
  g_autoptr (GPtrArray) targets = g_ptr_array_new ();
  g_ptr_array_add (targets, t);
  AsrRestoreOptions opts = { .shrink = "/,swap" };
  g_autofree char *alone = describe_targets (m, targets, &opts);
  g_assert_nonnull (strstr (alone, "t.raw: shrink: partition 2 from 131072 to 20480 sectors"));
  AsrShrinkMin sm = { 2, min };
  t->shrink_mins = g_array_new (FALSE, FALSE, sizeof (AsrShrinkMin));
  g_array_append_val (t->shrink_mins, sm);
  g_autofree char *all = describe_targets (m, targets, &opts);
  if (strstr (all, "t.raw: shrink: partition 2 from 131072 to 81920 sectors: its filesystem "
                   "shrunk first")
        == NULL
      || strstr (all, "t.raw: shrink: partition 3 from 524288 to 462848 sectors: swap recreated "
                      "smaller")
           == NULL
      || strstr (all, "t.raw: layout: partition 3: start 198656 → 149504, 524288 → 462848 "
                      "sectors (shrinks)")
           == NULL)
    g_error ("%s", all);
  (void) p1;
}

/* --- the storage stacks: where each image of a stack lands ----------------- */

/* A valid schema example (xml-schemas/examples/valid), the fixture of the
 * stack tests: its numbers are the expected offsets' source. */
static MachineDescriptor *
load_example (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("ASR_SOURCE_ROOT"), "xml-schemas", "examples",
                                            "valid", name, NULL);
  g_autoptr (GError) error = NULL;
  MachineDescriptor *m = machine_descriptor_parse_file (path, &error);
  g_assert_no_error (error);
  return m;
}

typedef struct {
  AsrRestoreTarget *t;
  RestoreDisk *rd;
} Prepared;

static void
prepared_clear (Prepared *p)
{
  g_clear_pointer (&p->rd, restore_disk_free);
  g_clear_pointer (&p->t, asr_restore_target_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Prepared, prepared_clear)

static void
prepare_disk (const MachineDescriptor *m, const char *disk, guint64 bytes, Prepared *out)
{
  g_autoptr (GError) error = NULL;

  out->t = asr_restore_target_new (disk, "/dev/null/target.raw", "raw");
  out->t->bytes = bytes;
  out->rd = restore_disk_prepare (m, "/backup", out->t, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out->rd);
}

/* The one volume written from @image, at @offset, @bytes long. */
static void
assert_volume (const RestoreDisk *rd, const char *image, guint64 offset, guint64 bytes)
{
  g_autofree char *path = g_build_filename ("/backup", image, NULL);
  const RestoreVolume *found = NULL;

  for (guint i = 0; i < rd->volumes->len; i++)
    {
      const RestoreVolume *v = g_ptr_array_index (rd->volumes, i);
      if (strcmp (v->image_path, path) != 0)
        continue;
      g_assert_null (found);
      found = v;
    }
  if (found == NULL)
    g_error ("%s: no write of %s", rd->source->id, image);
  g_assert_cmpuint (found->offset, ==, offset);
  g_assert_cmpuint (found->bytes, ==, bytes);
}

/* rhel-lvm-server: p2 (sector 2099200) is the PV, pe-start 1 MiB, extents
 * of 4 MiB; root is extents 0-1535, swap 1536-1790 (recreated). */
static void
test_stack_lvm (void)
{
  g_autoptr (MachineDescriptor) m = load_example ("rhel-lvm-server.xml");
  g_auto (Prepared) p = { 0 };
  const guint64 pv = 2099200ull * 512;

  prepare_disk (m, "disk0", 8589934592ull, &p);
  g_assert_cmpuint (p.rd->volumes->len, ==, 3);
  assert_volume (p.rd, "disk0-p1.qcow2", 2048 * 512, 1073741824);
  /* the PV's label and metadata area, at the partition's first byte */
  assert_volume (p.rd, "disk0-p2-lvm.qcow2", pv, 1048576);
  /* root at pe-start + 0 extents */
  assert_volume (p.rd, "vg0-root.qcow2", pv + 1048576, 6442450944ull);
  g_assert_cmpuint (p.rd->recreate_lvs->len, ==, 1);
  g_assert_cmpstr (((RestoreLv *) g_ptr_array_index (p.rd->recreate_lvs, 0))->lv->name, ==, "swap");
}

/* raid1-server: each member's own superblock area at its partition's
 * start, and the array's one image into each member after data-offset. */
static void
test_stack_md (void)
{
  g_autoptr (MachineDescriptor) m = load_example ("raid1-server.xml");
  static const char *const disks[] = { "disk0", "disk1" };

  for (guint i = 0; i < G_N_ELEMENTS (disks); i++)
    {
      g_auto (Prepared) p = { 0 };
      g_autofree char *own = g_strdup_printf ("%s-p1-md.qcow2", disks[i]);
      g_autofree char *other = g_strdup_printf ("%s-p1-md.qcow2", disks[1 - i]);
      g_autofree char *other_path = g_build_filename ("/backup", other, NULL);

      prepare_disk (m, disks[i], 4294967296ull, &p);
      g_assert_cmpuint (p.rd->volumes->len, ==, 2);
      assert_volume (p.rd, own, 2048 * 512, 1048576);
      assert_volume (p.rd, "md0.qcow2", 2048 * 512 + 1048576, 4292870144ull);
      for (guint j = 0; j < p.rd->volumes->len; j++)
        g_assert_cmpstr (((RestoreVolume *) g_ptr_array_index (p.rd->volumes, j))->image_path, !=,
                         other_path);
    }
}

/* luks-server: the container on disk1 p1, whole: its partition's bytes. */
static void
test_stack_luks (void)
{
  g_autoptr (MachineDescriptor) m = load_example ("luks-server.xml");
  g_auto (Prepared) p = { 0 };

  prepare_disk (m, "disk1", 2147483648ull, &p);
  g_assert_cmpuint (p.rd->volumes->len, ==, 1);
  assert_volume (p.rd, "crypt-srv.qcow2", 2048 * 512, 4190208ull * 512);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/restore/boot-area/mbr", test_boot_ranges_mbr);
  g_test_add_func ("/restore/boot-area/gpt", test_boot_ranges_gpt);
  g_test_add_func ("/restore/boot-area/ranges", test_boot_ranges_pure);
  g_test_add_func ("/restore/invalidate/ranges", test_invalidate_ranges);
  g_test_add_func ("/restore/table/gpt-identity", test_table_gpt_identity);
  g_test_add_func ("/restore/dry-run/writes", test_describe);
  g_test_add_func ("/restore/dry-run/recreate", test_describe_recreate);
  g_test_add_func ("/restore/dry-run/refusals", test_refusals);
  g_test_add_func ("/restore/grow/swap-last", test_grow_swap_last);
  g_test_add_func ("/restore/grow/logical", test_grow_logical);
  g_test_add_func ("/restore/grow/refusals", test_grow_refusals);
  g_test_add_func ("/restore/shrink/swap-last", test_shrink_swap_last);
  g_test_add_func ("/restore/shrink/several", test_shrink_several);
  g_test_add_func ("/restore/stack/lvm", test_stack_lvm);
  g_test_add_func ("/restore/stack/md", test_stack_md);
  g_test_add_func ("/restore/stack/luks", test_stack_luks);
  return g_test_run ();
}
