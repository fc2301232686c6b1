/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The volume work of a restore and its two backends: which one a set of
 * targets gets, what the shared logic asks of a backend (a fake that
 * records each call), and the host-tools backend on a real target file
 * through real loop devices (root only: skipped with the reason
 * otherwise). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "restore-backend.h"

#define MiB (1024u * 1024u)
#define ESP_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define LINUX_TYPE "0fc63daf-8483-4772-8e79-3d69d8477de4"
/* xfs's smallest: 300 MiB */
#define ROOT_SECTORS (320u * 2048u)
/* the targets: 1 GiB, room for --grow */
#define TARGET_BYTES (1024ull * MiB)

/* The critical disk0 of a backup, of @bytes with 512-byte sectors. */
static MachineDisk *
critical_disk (guint64 bytes, MachinePtableType ptable)
{
  MachineDisk *d = machine_disk_new ("disk0");
  d->critical = MACHINE_TRISTATE_YES;
  d->bytes = bytes;
  d->has_bytes = TRUE;
  d->logical_sector = 512;
  d->ptable = ptable;
  return d;
}

static MachinePartition *
add_partition (MachineDisk *d, guint number, guint64 start, guint64 sectors, const char *type,
               const char *fs, const char *uuid, const char *label, gboolean image)
{
  MachinePartition *p = machine_partition_new (number);
  p->start = start;
  p->sectors = sectors;
  p->type = g_strdup (type);
  p->guid = g_strdup_printf ("%08u-2222-3333-4444-555555555555", number);
  p->volume = machine_volume_new ();
  p->volume->fs = g_strdup (fs);
  p->volume->uuid = g_strdup (uuid);
  p->volume->label = g_strdup (label);
  if (image)
    {
      p->volume->image = machine_image_new ();
      p->volume->image->file = g_strdup_printf ("disk0-p%u.qcow2", number);
      p->volume->image->bytes = sectors * 512;
      p->volume->image->checksum = g_strdup ("asr-sha256-64k:00");
    }
  g_ptr_array_add (d->partitions, p);
  return p;
}

/* A UEFI machine on a 512 MiB GPT disk: a captured ESP, swap and an
 * uncaptured ext4 recreated, and a captured xfs / last, which --grow
 * grows. */
static MachineDescriptor *
make_backup (void)
{
  MachineDescriptor *m = machine_descriptor_new ();
  MachineDisk *d = critical_disk (512 * MiB, MACHINE_PTABLE_GPT);

  d->guid = g_strdup ("01234567-89ab-cdef-0123-456789abcdef");
  add_partition (d, 1, 2048, 16384, ESP_TYPE, "vfat", "1A2B-3C4D", "ESP", TRUE);
  add_partition (d, 2, 18432, 8192, "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", "swap",
                 "aada925f-faf8-4b54-944a-81005177fadb", "swap", FALSE);
  add_partition (d, 3, 26624, 16384, LINUX_TYPE, "ext4", "11112222-3333-4444-5555-666677778888",
                 "scratch", FALSE);
  MachinePartition *root = add_partition (d, 4, 43008, ROOT_SECTORS, LINUX_TYPE, "xfs",
                                          "99998888-7777-6666-5555-444433332222", "root", TRUE);
  root->volume->mountpoint = g_strdup ("/");
  g_ptr_array_add (m->disks, d);
  m->hardware = machine_hardware_new ();
  m->hardware->firmware = MACHINE_FIRMWARE_UEFI;
  return m;
}

static GPtrArray *
prepare (const MachineDescriptor *m, const char *path, guint64 bytes, gboolean block, gboolean grow,
         AsrRestoreTarget **t_out)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *disks = g_ptr_array_new_with_free_func ((GDestroyNotify) restore_disk_free);
  AsrRestoreTarget *t = asr_restore_target_new ("disk0", path, "raw");

  t->bytes = bytes;
  t->is_block_device = block;
  MachineLayoutOptions lo = { .grow = "/" };
  RestoreDisk *rd = restore_disk_prepare (m, "/backup", t, grow ? &lo : NULL, &error);
  g_assert_no_error (error);
  g_ptr_array_add (disks, rd);
  *t_out = t;
  return disks;
}

static void
test_choice (void)
{
  g_autoptr (MachineDescriptor) m = make_backup ();
  g_autoptr (AsrRestoreTarget) t = NULL;
  g_autoptr (GPtrArray) disks = prepare (m, "/dev/sdz", TARGET_BYTES, TRUE, FALSE, &t);
  const char *why = "unset";
  g_autoptr (RestoreBackend) host = restore_backend_for (disks, NULL, FALSE, &why);
  g_assert_cmpstr (host->ops->name, ==, "host tools");
  g_assert_null (why);

  /* --grow of xfs, which grows only mounted: the host kernel mounts it
   * only with --mount-to-grow, else the appliance grows it */
  g_auto (RestoreWork) w = { 0 };
  g_autoptr (AsrRestoreTarget) t3 = NULL;
  g_autoptr (GPtrArray) grown = prepare (m, "/dev/sdy", TARGET_BYTES, TRUE, TRUE, &t3);
  restore_work_compute (grown, TRUE, FALSE, &w);
  g_assert_cmpstr (g_ptr_array_index (w.grown, 0), ==, "xfs");
  g_autoptr (RestoreBackend) no_mount = restore_backend_for (grown, &w, FALSE, &why);
  g_assert_cmpstr (no_mount->ops->name, ==, "appliance");
  g_assert_nonnull (strstr (why, "--mount-to-grow"));
  g_autoptr (RestoreBackend) mount = restore_backend_for (grown, &w, TRUE, &why);
  g_assert_cmpstr (mount->ops->name, ==, "host tools");
  g_assert_null (why);

  g_autoptr (AsrRestoreTarget) t2 = NULL;
  g_autoptr (GPtrArray) files = prepare (m, "/srv/new.raw", TARGET_BYTES, FALSE, FALSE, &t2);
  g_autoptr (RestoreBackend) app = restore_backend_for (files, NULL, FALSE, &why);
  g_assert_cmpstr (app->ops->name, ==, "appliance");

  /* a file among block devices: the appliance serves the set whole */
  g_ptr_array_add (disks, g_ptr_array_steal_index (files, 0));
  g_autoptr (RestoreBackend) mixed = restore_backend_for (disks, NULL, FALSE, &why);
  g_assert_cmpstr (mixed->ops->name, ==, "appliance");
}

static void
test_work (void)
{
  g_autoptr (MachineDescriptor) m = make_backup ();
  g_autoptr (AsrRestoreTarget) t = NULL;
  g_autoptr (GPtrArray) disks = prepare (m, "/dev/sdz", TARGET_BYTES, TRUE, TRUE, &t);
  g_auto (RestoreWork) w = { 0 };

  restore_work_compute (disks, TRUE, TRUE, &w);
  g_assert_true (w.any && w.esp && w.grow && !w.lvm);
  g_assert_cmpuint (w.filesystems->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (w.filesystems, 0), ==, "swap");
  g_assert_cmpstr (g_ptr_array_index (w.filesystems, 1), ==, "ext4");
  g_assert_cmpuint (w.grown->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (w.grown, 0), ==, "xfs");

  /* a BIOS backup with nothing to recreate and no --grow: no work at all */
  MachineDisk *d = g_ptr_array_index (m->disks, 0);
  g_ptr_array_remove_range (d->partitions, 1, 2);
  m->hardware->firmware = MACHINE_FIRMWARE_BIOS;
  g_autoptr (AsrRestoreTarget) t2 = NULL;
  g_autoptr (GPtrArray) none = prepare (m, "/dev/sdz", TARGET_BYTES, TRUE, FALSE, &t2);
  g_auto (RestoreWork) w2 = { 0 };
  restore_work_compute (none, FALSE, FALSE, &w2);
  g_assert_false (w2.any);
}

/* ---- the fake backend: each call recorded, one line each ---------------- */

typedef struct {
  RestoreBackend parent;
  GString *log;
  const char *fail_on; /* the call that fails, NULL: none */
} Fake;

static gboolean fake_call (RestoreBackend *b, GError **error, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static gboolean
fake_call (RestoreBackend *b, GError **error, const char *format, ...)
{
  Fake *f = (Fake *) b;
  va_list ap;
  va_start (ap, format);
  g_autofree char *line = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_string_append_printf (f->log, "%s\n", line);
  if (f->fail_on && g_str_has_prefix (line, f->fail_on))
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "%s failed", line);
      return FALSE;
    }
  return TRUE;
}

static gboolean
fake_check (RestoreBackend *b, GPtrArray *d, const RestoreWork *w, GError **e)
{
  return fake_call (b, e, "check");
}
static gboolean
fake_start (RestoreBackend *b, GPtrArray *d, const RestoreWork *w, GError **e)
{
  return fake_call (b, e, "start");
}
static char *
fake_partition (RestoreBackend *b, guint i, const RestoreDisk *rd, const MachinePartition *p,
                guint64 offset, guint64 bytes, GError **e)
{
  if (!fake_call (b, e, "partition %u/%u %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT, i, p->number,
                  offset, bytes))
    return NULL;
  return g_strdup_printf ("/dev/fake%u", p->number);
}
static gboolean
fake_activate (RestoreBackend *b, const RestoreWork *w, GError **e)
{
  return fake_call (b, e, "activate");
}
static char *
fake_logical_volume (RestoreBackend *b, guint i, const RestoreDisk *rd, const RestoreLv *l,
                     GError **e)
{
  if (!fake_call (b, e, "lv %u %s/%s %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT, i, l->vg->name,
                  l->lv->name, l->at, l->bytes))
    return NULL;
  return g_strdup_printf ("/dev/%s/%s", l->vg->name, l->lv->name);
}

static gboolean
fake_make (RestoreBackend *b, const char *dev, const char *fs, const char *label, const char *uuid,
           GError **e)
{
  return fake_call (b, e, "make %s %s %s %s", dev, fs, label ? label : "-", uuid ? uuid : "-");
}
static gboolean
fake_grow_fs (RestoreBackend *b, const char *dev, const char *fs, GError **e)
{
  return fake_call (b, e, "grow %s %s", dev, fs);
}
static gboolean
fake_pvresize (RestoreBackend *b, const char *dev, GError **e)
{
  return fake_call (b, e, "pvresize %s", dev);
}
static gboolean
fake_lvextend (RestoreBackend *b, const char *vg, const char *lv, GError **e)
{
  return fake_call (b, e, "lvextend %s/%s", vg, lv);
}
static gboolean
fake_mount (RestoreBackend *b, const char *dev, GError **e)
{
  return fake_call (b, e, "mount %s", dev);
}
static gboolean
fake_umount (RestoreBackend *b, GError **e)
{
  return fake_call (b, e, "umount");
}
/* The ESP holds EFI/debian/grubx64.efi and no fallback loader. */
static gboolean
fake_is_file (RestoreBackend *b, const char *path)
{
  fake_call (b, NULL, "is_file %s", path);
  return strcmp (path, "/EFI/debian/grubx64.efi") == 0;
}
static char **
fake_ls (RestoreBackend *b, const char *dir)
{
  fake_call (b, NULL, "ls %s", dir);
  return g_strsplit ("BOOT debian", " ", -1);
}
static gboolean
fake_mkdir_p (RestoreBackend *b, const char *path, GError **e)
{
  return fake_call (b, e, "mkdir_p %s", path);
}
static gboolean
fake_cp (RestoreBackend *b, const char *s, const char *d, GError **e)
{
  return fake_call (b, e, "cp %s %s", s, d);
}
static gboolean
fake_finish (RestoreBackend *b, gboolean ok, GError **e)
{
  fake_call (b, NULL, "finish %s", ok ? "ok" : "failed");
  return ok;
}
static void
fake_free (RestoreBackend *b)
{
  Fake *f = (Fake *) b;
  g_string_free (f->log, TRUE);
  g_free (f);
}

static const RestoreBackendOps fake_ops = {
  .name = "fake",
  .check = fake_check,
  .start = fake_start,
  .partition = fake_partition,
  .activate_vgs = fake_activate,
  .logical_volume = fake_logical_volume,
  .make = fake_make,
  .grow_fs = fake_grow_fs,
  .pvresize = fake_pvresize,
  .lvextend_free = fake_lvextend,
  .mount = fake_mount,
  .umount = fake_umount,
  .is_file = fake_is_file,
  .ls = fake_ls,
  .mkdir_p = fake_mkdir_p,
  .cp = fake_cp,
  .finish = fake_finish,
  .free = fake_free,
};

static Fake *
fake_new (const char *fail_on)
{
  Fake *f = g_new0 (Fake, 1);
  f->parent.ops = &fake_ops;
  f->log = g_string_new (NULL);
  f->fail_on = fail_on;
  return f;
}

static void
message_to (const char *msg, void *opaque)
{
  g_string_append_printf (opaque, "%s\n", msg);
}

static void
test_fake (void)
{
  g_autoptr (MachineDescriptor) m = make_backup ();
  g_autoptr (AsrRestoreTarget) t = NULL;
  g_autoptr (GPtrArray) disks = prepare (m, "/dev/sdz", TARGET_BYTES, TRUE, TRUE, &t);
  g_auto (RestoreWork) w = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) messages = g_string_new (NULL);
  Fake *f = fake_new (NULL);
  RestoreDisk *rd = g_ptr_array_index (disks, 0);

  restore_work_compute (disks, TRUE, TRUE, &w);
  g_assert_true (
    restore_volumes_run (&f->parent, disks, &w, TRUE, TRUE, message_to, messages, &error));
  g_assert_no_error (error);
  /* GPT: the last usable sector is 33 before the end */
  g_assert_cmpuint (rd->grow_sectors, ==, TARGET_BYTES / 512 - 1 - 32 - 43008);
  g_autofree char *grown = g_strdup_printf ("partition 0/4 %u+%" G_GUINT64_FORMAT "\n", 43008 * 512,
                                            rd->grow_sectors * 512);
  g_autofree char *want
    = g_strconcat ("start\n"
                   "partition 0/2 9437184+4194304\n"
                   "make /dev/fake2 swap swap aada925f-faf8-4b54-944a-81005177fadb\n"
                   "partition 0/3 13631488+8388608\n"
                   "make /dev/fake3 ext4 scratch 11112222-3333-4444-5555-666677778888\n"
                   "partition 0/1 1048576+8388608\n"
                   "mount /dev/fake1\n"
                   "is_file /EFI/BOOT/BOOTX64.EFI\n"
                   "ls /EFI\n"
                   "is_file /EFI/debian/shimx64.efi\n"
                   "is_file /EFI/debian/grubx64.efi\n"
                   "mkdir_p /EFI/BOOT\n"
                   "cp /EFI/debian/grubx64.efi /EFI/BOOT/BOOTX64.EFI\n"
                   "umount\n",
                   grown, "grow /dev/fake4 xfs\nfinish ok\n", NULL);
  g_assert_cmpstr (f->log->str, ==, want);
  g_assert_nonnull (strstr (messages->str, "disk0 partition 2: swap recreated empty"));
  g_assert_nonnull (strstr (messages->str, "installed a copy of EFI/debian/grubx64.efi"));
  g_assert_nonnull (strstr (messages->str, "disk0 partition 4 and its xfs grown"));
  restore_backend_free (&f->parent);

  /* a failing step: nothing after it, and the backend is finished as failed */
  Fake *f2 = fake_new ("make /dev/fake3");
  g_clear_error (&error);
  g_assert_false (restore_volumes_run (&f2->parent, disks, &w, TRUE, TRUE, NULL, NULL, &error));
  g_assert_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED);
  g_assert_true (g_str_has_suffix (f2->log->str, "make /dev/fake3 ext4 scratch "
                                                 "11112222-3333-4444-5555-666677778888\n"
                                                 "finish failed\n"));
  restore_backend_free (&f2->parent);

  /* no work: the backend is not even started */
  Fake *f3 = fake_new (NULL);
  RestoreWork none = { 0 };
  g_assert_true (restore_volumes_run (&f3->parent, disks, &none, FALSE, FALSE, NULL, NULL, NULL));
  g_assert_cmpstr (f3->log->str, ==, "");
  restore_backend_free (&f3->parent);
}

/* ---- the host-tools backend on a real file, through loop devices -------- */

static char *
sh (const char *cmd)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_autofree char *full = g_strdup_printf ("/bin/sh -c '%s'", cmd);
  if (!g_spawn_command_line_sync (full, &out, &err, &status, &error))
    g_error ("%s: %s", cmd, error->message);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", cmd, err);
  return g_strstrip (g_steal_pointer (&out));
}

static void
copy_in (const char *image, const char *target, guint64 offset)
{
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (image, &data, &len, &error));
  int fd = open (target, O_WRONLY);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, data, len, (off_t) offset), ==, (gssize) len);
  close (fd);
}

/* "LABEL=... TYPE=... UUID=..." of what blkid finds in bytes [@offset,
 * @offset + @bytes) of @target. */
static char *
identity_at (const char *target, guint64 offset, guint64 bytes)
{
  g_autofree char *cmd
    = g_strdup_printf ("blkid -p -o export -O %" G_GUINT64_FORMAT " -S %" G_GUINT64_FORMAT
                       " %s | grep -E \"^(TYPE|UUID|LABEL)=\" | sort | tr \"\\n\" \" \"",
                       offset, bytes, target);
  return sh (cmd);
}

/* Nothing left behind: no loop device over @target; then @dir goes. */
static void
assert_no_loop_left (const char *target, const char *dir)
{
  g_autofree char *c6 = g_strdup_printf ("losetup -n -j %s", target);
  g_autofree char *loops = sh (c6);
  g_assert_cmpstr (loops, ==, "");
  g_autofree char *rm = g_strdup_printf ("rm -rf %s", dir);
  g_free (sh (rm));
}

static void
test_host (void)
{
  const char *skip = NULL;
  if (geteuid () != 0)
    skip = "not root: loop devices need root";
  else if (access ("/dev/loop-control", R_OK | W_OK) != 0)
    skip = "no /dev/loop-control: this kernel has no loop devices";
  else
    for (const char *const *p = (const char *const[]){ "mkfs.vfat", "mmd", "mcopy", "mdir",
                                                       "mkfs.xfs", "xfs_db", "blkid", NULL };
         *p; p++)
      {
        g_autofree char *path = g_find_program_in_path (*p);
        if (path == NULL)
          {
            skip = "a tool of the test is missing (dosfstools, mtools, xfsprogs, util-linux)";
            break;
          }
      }
  if (skip)
    {
      g_test_skip (skip);
      return;
    }

  g_autofree char *dir = g_dir_make_tmp ("asr-backend-XXXXXX", NULL);
  g_autofree char *target = g_build_filename (dir, "target.raw", NULL);
  g_autoptr (MachineDescriptor) m = make_backup ();
  g_autoptr (AsrRestoreTarget) t = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) messages = g_string_new (NULL);
  g_auto (RestoreWork) w = { 0 };

  /* What restore wrote before the volume work: the ESP's and /'s images
   * at their partitions' offsets (a loader in EFI/debian only), made here
   * with the tools themselves. */
  g_autofree char *cmd = g_strdup_printf (
    "cd %s && truncate -s 1G target.raw && truncate -s 8M esp.img && mkfs.vfat -i 1A2B3C4D -n ESP "
    "esp.img >/dev/null && mmd -i esp.img ::/EFI ::/EFI/debian && echo loader > grubx64.efi && "
    "mcopy -i esp.img grubx64.efi ::/EFI/debian/grubx64.efi && truncate -s 320M root.img && "
    "mkfs.xfs -q -L root -m uuid=99998888-7777-6666-5555-444433332222 root.img",
    dir);
  g_free (sh (cmd));
  g_autofree char *esp = g_build_filename (dir, "esp.img", NULL);
  g_autofree char *root = g_build_filename (dir, "root.img", NULL);
  copy_in (esp, target, 2048 * 512);
  copy_in (root, target, 43008 * 512);

  g_autoptr (GPtrArray) disks = prepare (m, target, TARGET_BYTES, TRUE, TRUE, &t);
  RestoreDisk *rd = g_ptr_array_index (disks, 0);
  g_autoptr (RestoreBackend) b = restore_backend_host_new ();
  restore_work_compute (disks, TRUE, TRUE, &w);
  g_assert_true (b->ops->check (b, disks, &w, &error));
  g_assert_no_error (error);
  if (!restore_volumes_run (b, disks, &w, TRUE, TRUE, message_to, messages, &error))
    g_error ("%s\n%s", error->message, messages->str);

  /* each volume with its identity, read from the target's bytes */
  g_autofree char *swap = identity_at (target, 18432 * 512, 8192 * 512);
  g_assert_cmpstr (swap, ==, "LABEL=swap TYPE=swap UUID=aada925f-faf8-4b54-944a-81005177fadb");
  g_autofree char *ext = identity_at (target, 26624 * 512, 16384 * 512);
  g_assert_cmpstr (ext, ==, "LABEL=scratch TYPE=ext4 UUID=11112222-3333-4444-5555-666677778888");
  /* the fallback loader, a copy of the distribution's */
  g_autofree char *c4
    = g_strdup_printf ("mtype -i %s@@%u ::/EFI/BOOT/BOOTX64.EFI", target, 2048 * 512);
  g_autofree char *loader = sh (c4);
  g_assert_cmpstr (loader, ==, "loader");
  /* / grown: its data blocks (4 KiB) fill the grown partition */
  g_autofree char *c5
    = g_strdup_printf ("l=$(losetup -f --show -r -o %u --sizelimit %" G_GUINT64_FORMAT
                       " %s) && xfs_db -r -c \"sb 0\" "
                       "-c \"p dblocks\" $l; s=$?; losetup -d $l; exit $s",
                       43008 * 512, rd->grow_sectors * 512, target);
  g_autofree char *dblocks = sh (c5);
  g_autofree char *want = g_strdup_printf ("dblocks = %" G_GUINT64_FORMAT, rd->grow_sectors / 8);
  g_assert_cmpstr (dblocks, ==, want);
  /* a FAT volume id as blkid shows it, given to mkfs.vfat as it takes it */
  g_autoptr (RestoreBackend) b2 = restore_backend_host_new ();
  MachinePartition *p3 = g_ptr_array_index (rd->source->partitions, 2);
  g_assert_true (b2->ops->start (b2, disks, &w, &error));
  g_autofree char *dev3 = b2->ops->partition (b2, 0, rd, p3, 26624 * 512, 16384 * 512, &error);
  g_assert_no_error (error);
  g_assert_true (b2->ops->make (b2, dev3, "vfat", "EFI", "ABCD-1234", &error));
  g_assert_no_error (error);
  g_assert_true (b2->ops->finish (b2, TRUE, &error));
  g_autofree char *fat = identity_at (target, 26624 * 512, 16384 * 512);
  g_assert_cmpstr (fat, ==, "LABEL=EFI TYPE=vfat UUID=ABCD-1234");
  /* that FAT volume is empty: an ESP with no file at all is read as such
   * (mdir -/ fails on it), and has no fallback loader */
  g_autoptr (RestoreBackend) b3 = restore_backend_host_new ();
  g_assert_true (b3->ops->start (b3, disks, &w, &error));
  g_autofree char *dev3b = b3->ops->partition (b3, 0, rd, p3, 26624 * 512, 16384 * 512, &error);
  g_assert_no_error (error);
  g_assert_true (b3->ops->mount (b3, dev3b, &error));
  g_assert_no_error (error);
  g_assert_false (b3->ops->is_file (b3, "/EFI/BOOT/BOOTX64.EFI"));
  g_assert_null (b3->ops->ls (b3, "/EFI"));
  g_assert_true (b3->ops->umount (b3, &error));
  g_assert_true (b3->ops->finish (b3, TRUE, &error));
  g_assert_no_error (error);

  assert_no_loop_left (target, dir);
}

/* A swap logical volume recreated on the host with no LVM tool and no
 * device-mapper: a loop device over its extents (one segment: extents 2-5
 * of a PV on partition 1, extents of 4 MiB after a 1 MiB label area). */
static void
test_host_lv (void)
{
  if (geteuid () != 0 || access ("/dev/loop-control", R_OK | W_OK) != 0)
    {
      g_test_skip ("not root, or no /dev/loop-control: loop devices need both");
      return;
    }
  g_autofree char *dir = g_dir_make_tmp ("asr-backend-XXXXXX", NULL);
  g_autofree char *target = g_build_filename (dir, "target.raw", NULL);
  g_autoptr (MachineDescriptor) m = machine_descriptor_new ();
  MachineDisk *d = critical_disk (64 * MiB, MACHINE_PTABLE_MBR);
  g_autoptr (AsrRestoreTarget) t = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (RestoreWork) w = { 0 };
  g_autoptr (GString) messages = g_string_new (NULL);

  d->signature = g_strdup ("0x5a5a0003");
  MachinePartition *p = machine_partition_new (1);
  p->start = 2048;
  p->sectors = 120000;
  p->type = g_strdup ("0x8e");
  g_ptr_array_add (d->partitions, p);
  g_ptr_array_add (m->disks, d);

  MachineVolumeGroup *vg = machine_volume_group_new ("vg0");
  vg->uuid = g_strdup ("vvvvvv-vvvv-vvvv-vvvv-vvvv-vvvv-vvvvvv");
  vg->extent_bytes = 4 * MiB;
  MachinePhysicalVolume *pv = machine_physical_volume_new ();
  pv->uuid = g_strdup ("pppppp-pppp-pppp-pppp-pppp-pppp-pppppp");
  pv->device = g_strdup ("disk0/p1");
  pv->pe_start = 1 * MiB;
  pv->has_pe_start = TRUE;
  pv->image = machine_image_new ();
  pv->image->file = g_strdup ("disk0-p1-pv.qcow2");
  pv->image->bytes = 1 * MiB;
  g_ptr_array_add (vg->pvs, pv);
  MachineLogicalVolume *lv = machine_logical_volume_new ("swap");
  lv->uuid = g_strdup ("llllll-llll-llll-llll-llll-llll-llllll");
  lv->bytes = 16 * MiB;
  lv->segtype = g_strdup ("linear");
  MachineLvSegment *seg = machine_lv_segment_new ();
  seg->extents = 4;
  seg->pv = g_strdup (pv->uuid);
  seg->pv_extent = 2;
  g_ptr_array_add (lv->segments, seg);
  lv->volume = machine_volume_new ();
  lv->volume->fs = g_strdup ("swap");
  lv->volume->uuid = g_strdup ("c556fe4c-0129-447f-ac0f-b69d7241b771");
  lv->volume->label = g_strdup ("lvswap");
  g_ptr_array_add (vg->lvs, lv);
  g_ptr_array_add (m->volume_groups, vg);

  g_autofree char *cmd = g_strdup_printf ("truncate -s 64M %s", target);
  g_free (sh (cmd));
  g_autoptr (GPtrArray) disks = prepare (m, target, 64 * MiB, TRUE, FALSE, &t);
  RestoreDisk *rd = g_ptr_array_index (disks, 0);
  g_assert_cmpuint (rd->recreate_lvs->len, ==, 1);
  restore_work_compute (disks, FALSE, FALSE, &w);
  g_assert_true (w.lvm && !w.lvm_grow);

  /* needs neither LVM nor device-mapper (this host has none): the check
   * passes, and the group is never activated */
  g_autoptr (RestoreBackend) b = restore_backend_host_new ();
  g_assert_true (b->ops->check (b, disks, &w, &error));
  g_assert_no_error (error);
  if (!restore_volumes_run (b, disks, &w, FALSE, FALSE, message_to, messages, &error))
    g_error ("%s\n%s", error->message, messages->str);
  g_assert_nonnull (strstr (messages->str, "logical volume vg0/swap: swap recreated empty"));

  g_autofree char *swap = identity_at (target, 2048 * 512 + 1 * MiB + 2 * 4 * MiB, 16 * MiB);
  g_assert_cmpstr (swap, ==, "LABEL=lvswap TYPE=swap UUID=c556fe4c-0129-447f-ac0f-b69d7241b771");
  /* and nothing else written: the bytes before the LV are still zero */
  g_autofree char *c3 = g_strdup_printf ("cmp -n %u %s /dev/zero && echo zero",
                                         2048 * 512 + 1 * MiB + 2 * 4 * MiB, target);
  g_autofree char *zero = sh (c3);
  g_assert_cmpstr (zero, ==, "zero");
  assert_no_loop_left (target, dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/restore/backend/choice", test_choice);
  g_test_add_func ("/restore/backend/work", test_work);
  g_test_add_func ("/restore/backend/fake", test_fake);
  g_test_add_func ("/restore/backend/host", test_host);
  g_test_add_func ("/restore/backend/host-lv", test_host_lv);
  return g_test_run ();
}
