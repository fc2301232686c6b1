/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `local` on fake /sys, /proc, /dev and /run trees built here (suite unit):
 * hardware, disks, identity, in-use through holders chains, and no crash
 * when entries are missing.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "probe.h"

typedef struct {
  char *root;
} Fixture;

static void
put (const char *root, const char *rel, const void *data, gssize len)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  /* no fsync: a throwaway tree */
  g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_NONE, 0644, &error);
  g_assert_no_error (error);
}

static void
put_s (const char *root, const char *rel, const char *text)
{
  put (root, rel, text, -1);
}

static void
mkdirs (const char *root, const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
}

static void
link_to (const char *root, const char *rel, const char *target)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (symlink (target, path), ==, 0);
}

/* A block device (or partition) in sysfs: class/block/NAME with dev and
 * size, and for a whole disk the sys/block/NAME link. */
static void
block (const char *root, const char *name, const char *parent, const char *dev, const char *sectors)
{
  g_autofree char *base = parent ? g_strdup_printf ("sys/class/block/%s/%s", parent, name)
                                 : g_strdup_printf ("sys/class/block/%s", name);
  g_autofree char *dev_rel = g_strdup_printf ("%s/dev", base);
  g_autofree char *size_rel = g_strdup_printf ("%s/size", base);
  g_autofree char *holders_rel = g_strdup_printf ("%s/holders", base);

  put_s (root, dev_rel, dev);
  put_s (root, size_rel, sectors);
  mkdirs (root, holders_rel);
  if (parent)
    {
      /* partitions are also reachable as class/block/NAME */
      g_autofree char *part_rel = g_strdup_printf ("%s/partition", base);
      g_autofree char *alias = g_strdup_printf ("sys/class/block/%s", name);
      g_autofree char *target = g_strdup_printf ("%s/%s", parent, name);
      put_s (root, part_rel, "1\n");
      link_to (root, alias, target);
    }
  else
    {
      g_autofree char *blk = g_strdup_printf ("sys/block/%s", name);
      g_autofree char *target = g_strdup_printf ("../class/block/%s", name);
      link_to (root, blk, target);
    }
}

/* DMI type 17 (memory device) with the given size word (and extended size). */
static void
dmi_memory (const char *root, const char *entry, guint16 size, guint32 extended_mib)
{
  guint8 raw[0x28] = { 0 };
  g_autofree char *rel = g_strdup_printf ("sys/firmware/dmi/entries/%s/raw", entry);

  raw[0] = 17;
  raw[1] = sizeof raw;
  raw[0x0c] = (guint8) size;
  raw[0x0d] = (guint8) (size >> 8);
  for (int i = 0; i < 4; i++)
    raw[0x1c + i] = (guint8) (extended_mib >> (8 * i));
  put (root, rel, raw, sizeof raw);
}

static void
build_server (const char *root)
{
  guint8 mbr[64 * 1024] = { 0 };
  const guint8 vpd[] = { 0x00, 0x80, 0x00, 0x08, 'S', 'E', 'R', 'I', 'A', 'L', '0', '1' };

  mkdirs (root, "sys/firmware/efi/efivars");
  put_s (root, "sys/class/dmi/id/sys_vendor", "Dell Inc.\n");
  put_s (root, "sys/class/dmi/id/product_name", "PowerEdge R650\n");
  put_s (root, "proc/cpuinfo",
         "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Silver 4314\n\n"
         "processor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Silver "
         "4314\n\n");
  put_s (root, "sys/devices/system/cpu/online", "0-3,6\n");
  put_s (root, "proc/meminfo", "MemTotal:       16303412 kB\nMemFree: 1 kB\n");
  dmi_memory (root, "17-0", 8192, 0);       /* 8 GiB */
  dmi_memory (root, "17-1", 0x7fff, 65536); /* extended: 64 GiB */
  dmi_memory (root, "17-2", 0, 0);          /* empty slot */

  /* PCI: AHCI, a NIC behind virtio, a display without driver, a bridge */
  put_s (root, "sys/bus/pci/devices/0000:00:1f.2/class", "0x010601\n");
  put_s (root, "sys/bus/pci/devices/0000:00:1f.2/vendor", "0x8086\n");
  put_s (root, "sys/bus/pci/devices/0000:00:1f.2/device", "0x2922\n");
  link_to (root, "sys/bus/pci/devices/0000:00:1f.2/driver", "../../../bus/pci/drivers/ahci");
  put_s (root, "sys/bus/pci/devices/0000:00:03.0/class", "0x020000\n");
  put_s (root, "sys/bus/pci/devices/0000:00:03.0/vendor", "0x1af4\n");
  put_s (root, "sys/bus/pci/devices/0000:00:03.0/device", "0x1041\n");
  put_s (root, "sys/bus/pci/devices/0000:00:03.0/virtio2/net/eth0/address", "52:54:00:12:34:56\n");
  link_to (root, "sys/bus/pci/devices/0000:00:03.0/driver", "../../../bus/pci/drivers/virtio-pci");
  put_s (root, "sys/bus/pci/devices/0000:00:02.0/class", "0x030000\n");
  put_s (root, "sys/bus/pci/devices/0000:00:00.0/class", "0x060000\n");
  mkdirs (root, "sys/bus/pci/devices/0000:00:05.0"); /* no class file at all */

  /* sda: SATA SSD, sda2 under LVM (dm-0) which is / */
  block (root, "sda", NULL, "8:0\n", "2097152\n");
  put_s (root, "sys/class/block/sda/queue/logical_block_size", "512\n");
  put_s (root, "sys/class/block/sda/queue/physical_block_size", "4096\n");
  put_s (root, "sys/class/block/sda/device/model", "Samsung SSD 870\n");
  put (root, "sys/class/block/sda/device/vpd_pg80", vpd, sizeof vpd);
  block (root, "sda1", "sda", "8:1\n", "1024\n");
  block (root, "sda2", "sda", "8:2\n", "4096\n");
  block (root, "dm-0", NULL, "254:0\n", "4096\n");
  mkdirs (root, "sys/class/block/sda/sda2/holders/dm-0");
  put_s (root, "run/udev/data/b8:0",
         "S:disk/by-id/ata-Samsung_SSD_870_S1\nE:ID_BUS=ata\nE:ID_ATA_SATA=1\n"
         "E:ID_WWN=0x5002538e40a1b2c3\nE:ID_MODEL=ignored_because_sysfs_has_one\n");
  link_to (root, "dev/disk/by-id/ata-Samsung_SSD_870_SERIAL01", "../../sda");
  link_to (root, "dev/disk/by-id/ata-Samsung_SSD_870_SERIAL01-part1", "../../sda1");
  link_to (root, "dev/disk/by-id/wwn-0x5002538e40a1b2c3", "../../sda");
  /* its "device node": an MBR, signature 0xdeadbeef, one bootable 0x83 */
  mbr[440] = 0xef, mbr[441] = 0xbe, mbr[442] = 0xad, mbr[443] = 0xde;
  mbr[446] = 0x80;
  mbr[446 + 4] = 0x83;
  mbr[446 + 8] = 32;  /* start LBA 32 */
  mbr[446 + 12] = 64; /* 64 sectors */
  mbr[510] = 0x55, mbr[511] = 0xaa;
  put (root, "dev/sda", mbr, sizeof mbr);

  /* vda: virtio, serial in sysfs; vdb: swap */
  block (root, "vda", NULL, "252:0\n", "41943040\n");
  put_s (root, "sys/class/block/vda/serial", "VIRT123\n");
  block (root, "vdb", NULL, "252:16\n", "2048\n");

  /* nvme0n1: 4Kn, its partition held by md127 */
  block (root, "nvme0n1", NULL, "259:0\n", "3125627568\n");
  put_s (root, "sys/class/block/nvme0n1/queue/logical_block_size", "4096\n");
  put_s (root, "sys/class/block/nvme0n1/queue/physical_block_size", "4096\n");
  put_s (root, "sys/class/block/nvme0n1/wwid", "eui.0025388b91b2c3d4\n");
  put_s (root, "sys/class/block/nvme0n1/device/model", "Dell Ent NVMe\n");
  put_s (root, "sys/class/block/nvme0n1/device/serial", "S61ANE\n");
  block (root, "nvme0n1p1", "nvme0n1", "259:1\n", "2048\n");
  mkdirs (root, "sys/class/block/nvme0n1/nvme0n1p1/holders/md127");

  /* not disks */
  block (root, "loop0", NULL, "7:0\n", "100\n");
  block (root, "sr0", NULL, "11:0\n", "100\n");
  block (root, "zram0", NULL, "251:0\n", "100\n");
  block (root, "mmcblk0", NULL, "179:0\n", "0\n"); /* empty card reader */

  put_s (root, "proc/self/mountinfo",
         "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
         "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw\n"
         "28 27 8:1 / /boot\\040old rw,relatime - ext4 /dev/sda1 rw\n");
  put_s (root, "proc/swaps",
         "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
         "/dev/vdb                                partition\t1020\t\t0\t\t-2\n");
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->root = g_dir_make_tmp ("asr-test-local-XXXXXX", NULL);
  g_assert_nonnull (f->root);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->root);
  g_assert_true (g_str_has_prefix (f->root, g_get_tmp_dir ()));
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->root);
}

static const MachineController *
find_controller (const MachineHardware *h, const char *address)
{
  for (guint i = 0; i < h->controllers->len; i++)
    {
      const MachineController *c = g_ptr_array_index (h->controllers, i);
      if (g_strcmp0 (c->address, address) == 0)
        return c;
    }
  g_error ("no controller at %s", address);
}

static gboolean
has_in_use (const AsrBlockdev *b, const char *reason, const char *detail)
{
  for (guint i = 0; i < b->in_use->len; i++)
    {
      const MachineInUse *u = g_ptr_array_index (b->in_use, i);
      if (strcmp (u->reason, reason) == 0 && (detail == NULL || g_strcmp0 (u->detail, detail) == 0))
        return TRUE;
    }
  return FALSE;
}

static void
test_hardware (Fixture *f, gconstpointer data)
{
  g_autoptr (MachineHardware) h = NULL;
  const MachineController *c;

  build_server (f->root);
  h = asr_probe_local_hardware (f->root);
  g_assert_nonnull (h->architecture);
  g_assert_cmpint (h->firmware, ==, MACHINE_FIRMWARE_UEFI);
  g_assert_cmpstr (h->system_vendor, ==, "Dell Inc.");
  g_assert_cmpstr (h->system_product, ==, "PowerEdge R650");
  g_assert_cmpstr (h->cpu_vendor, ==, "GenuineIntel");
  g_assert_cmpstr (h->cpu_model, ==, "Intel(R) Xeon(R) Silver 4314");
  g_assert_true (h->has_cpu_count);
  g_assert_cmpuint (h->cpu_count, ==, 5); /* online 0-3,6 beats 2 in cpuinfo */
  g_assert_true (h->has_memory_bytes);
  g_assert_cmpuint (h->memory_bytes, ==, (G_GUINT64_CONSTANT (8) + 64) << 30); /* DMI */
  g_assert_cmpuint (h->controllers->len, ==, 3);

  c = find_controller (h, "0000:00:1f.2");
  g_assert_cmpint (c->klass, ==, MACHINE_CONTROLLER_STORAGE);
  g_assert_cmpstr (c->bus, ==, "pci");
  g_assert_cmpstr (c->vendor_id, ==, "0x8086");
  g_assert_cmpstr (c->device_id, ==, "0x2922");
  g_assert_cmpstr (c->driver, ==, "ahci");
  g_assert_null (c->mac);
  c = find_controller (h, "0000:00:03.0");
  g_assert_cmpint (c->klass, ==, MACHINE_CONTROLLER_NETWORK);
  g_assert_cmpstr (c->mac, ==, "52:54:00:12:34:56");
  g_assert_cmpstr (c->driver, ==, "virtio-pci");
  c = find_controller (h, "0000:00:02.0");
  g_assert_cmpint (c->klass, ==, MACHINE_CONTROLLER_VIDEO);
  g_assert_null (c->driver);
  g_assert_null (c->vendor_id);
}

static void
test_memory_without_dmi (Fixture *f, gconstpointer data)
{
  g_autoptr (MachineHardware) h = NULL;

  put_s (f->root, "proc/meminfo", "MemTotal:       16303412 kB\n");
  mkdirs (f->root, "sys/firmware");
  h = asr_probe_local_hardware (f->root);
  g_assert_true (h->has_memory_bytes);
  g_assert_cmpuint (h->memory_bytes, ==, G_GUINT64_CONSTANT (16303412) * 1024);
  g_assert_cmpint (h->firmware, ==, MACHINE_FIRMWARE_BIOS);
  g_assert_null (h->system_vendor);
  g_assert_null (h->cpu_vendor);
  g_assert_false (h->has_cpu_count);
}

/* Nothing at all under the root: everything unknown, nothing crashes. */
static void
test_empty_root (Fixture *f, gconstpointer data)
{
  g_autoptr (MachineHardware) h = asr_probe_local_hardware (f->root);
  g_autoptr (GPtrArray) names = asr_probe_local_disk_names (f->root);
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrBlockdev) b = asr_blockdev_probe_sysfs (f->root, "sda", &error);

  g_assert_cmpint (h->firmware, ==, MACHINE_FIRMWARE_UNKNOWN);
  g_assert_false (h->has_memory_bytes);
  g_assert_false (h->has_cpu_count);
  g_assert_cmpuint (h->controllers->len, ==, 0);
  g_assert_cmpuint (names->len, ==, 0);
  g_assert_null (b);
  g_assert_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT);
}

static void
test_disk_names (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) names = NULL;

  build_server (f->root);
  names = asr_probe_local_disk_names (f->root);
  g_assert_cmpuint (names->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, "sda");
  g_assert_cmpstr (g_ptr_array_index (names, 1), ==, "vda");
  g_assert_cmpstr (g_ptr_array_index (names, 2), ==, "vdb");
  g_assert_cmpstr (g_ptr_array_index (names, 3), ==, "nvme0n1");
}

static void
test_blockdev_sata (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrBlockdev) b = NULL;

  build_server (f->root);
  b = asr_blockdev_probe_sysfs (f->root, "sda", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (b->path, ==, "/dev/sda");
  g_assert_cmpuint (b->major, ==, 8);
  g_assert_cmpuint (b->bytes, ==, G_GUINT64_CONSTANT (1) << 30);
  g_assert_cmpuint (b->logical_sector, ==, 512);
  g_assert_cmpuint (b->physical_sector, ==, 4096);
  g_assert_cmpstr (b->bus, ==, "sata");
  g_assert_cmpstr (b->model, ==, "Samsung SSD 870");
  g_assert_cmpstr (b->serial, ==, "SERIAL01"); /* VPD page 0x80 */
  g_assert_cmpstr (b->wwn, ==, "0x5002538e40a1b2c3");
  g_assert_cmpuint (b->by_id->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (b->by_id, 0), ==, "ata-Samsung_SSD_870_SERIAL01");
  g_assert_cmpstr (g_ptr_array_index (b->by_id, 1), ==, "wwn-0x5002538e40a1b2c3");
  /* sda2 → dm-0 → / ; sda1 on "/boot old" */
  g_assert_true (has_in_use (b, "held", "/dev/sda2 by dm-0"));
  g_assert_true (has_in_use (b, "mounted", "/ on /dev/dm-0 (through /dev/sda2)"));
  g_assert_true (has_in_use (b, "running-system", "/ on /dev/dm-0 (through /dev/sda2)"));
  g_assert_true (has_in_use (b, "mounted", "/boot old on /dev/sda1"));
  g_assert_false (has_in_use (b, "swap", NULL));
}

static void
test_blockdev_others (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrBlockdev) vda = NULL;
  g_autoptr (AsrBlockdev) vdb = NULL;
  g_autoptr (AsrBlockdev) nvme = NULL;
  g_autoptr (AsrBlockdev) part = NULL;

  build_server (f->root);
  vda = asr_blockdev_probe_sysfs (f->root, "vda", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vda->bus, ==, "virtio");
  g_assert_cmpstr (vda->serial, ==, "VIRT123");
  g_assert_null (vda->wwn);
  g_assert_cmpuint (vda->logical_sector, ==, 0); /* no queue/: unknown */
  g_assert_cmpuint (vda->in_use->len, ==, 0);
  g_assert_cmpuint (vda->by_id->len, ==, 0);

  vdb = asr_blockdev_probe_sysfs (f->root, "vdb", &error);
  g_assert_no_error (error);
  g_assert_true (has_in_use (vdb, "swap", "/dev/vdb"));

  nvme = asr_blockdev_probe_sysfs (f->root, "nvme0n1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nvme->bus, ==, "nvme");
  g_assert_cmpuint (nvme->logical_sector, ==, 4096);
  g_assert_cmpstr (nvme->wwn, ==, "eui.0025388b91b2c3d4");
  g_assert_cmpstr (nvme->serial, ==, "S61ANE");
  g_assert_cmpstr (nvme->model, ==, "Dell Ent NVMe");
  g_assert_true (has_in_use (nvme, "held", "/dev/nvme0n1p1 by md127"));

  part = asr_blockdev_probe_sysfs (f->root, "sda1", &error);
  g_assert_null (part);
  g_assert_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  part = asr_blockdev_probe_sysfs (f->root, "../sda", &error);
  g_assert_null (part);
  g_assert_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT);
}

/* The whole `local` target: a descriptor that passes the checks and the
 * schema, with the table of sda read from its "device node". */
static void
test_probe_local (Fixture *f, gconstpointer data)
{
  const char *targets[] = { "local", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;
  g_autoptr (MachineDescriptor) back = NULL;
  g_autofree char *xml = NULL;
  const MachineDisk *sda;
  const MachinePartition *p;

  build_server (f->root);
  g_setenv ("ASR_PROBE_ROOT", f->root, TRUE);
  m = asr_probe_targets (targets, NULL, &error);
  g_unsetenv ("ASR_PROBE_ROOT");
  g_assert_no_error (error);
  g_assert_nonnull (m->hardware);
  g_assert_cmpuint (m->disks->len, ==, 4);
  g_assert_cmpuint (m->origin->sources->len, ==, 4);
  g_assert_cmpstr (((MachineSource *) g_ptr_array_index (m->origin->sources, 3))->path, ==,
                   "/dev/nvme0n1");

  sda = g_ptr_array_index (m->disks, 0);
  g_assert_cmpstr (sda->id, ==, "disk0");
  g_assert_cmpint (sda->critical, ==, MACHINE_TRISTATE_UNKNOWN);
  g_assert_cmpint (sda->ptable, ==, MACHINE_PTABLE_MBR);
  g_assert_cmpstr (sda->signature, ==, "0xdeadbeef");
  g_assert_false (sda->incomplete);
  g_assert_cmpuint (sda->partitions->len, ==, 1);
  p = g_ptr_array_index (sda->partitions, 0);
  g_assert_cmpuint (p->start, ==, 32);
  g_assert_cmpuint (p->sectors, ==, 64);
  g_assert_cmpstr (p->type, ==, "0x83");
  g_assert_cmpint (p->bootable, ==, MACHINE_TRISTATE_YES);

  machine_descriptor_check (m, "local", &error);
  g_assert_no_error (error);
  xml = machine_descriptor_format (m, &error);
  g_assert_no_error (error);
  back = machine_descriptor_parse_data (xml, strlen (xml), "local.xml", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->disks->len, ==, 4);
}

/* The incomplete-restore marker written by restore shows as <incomplete/>. */
static void
test_probe_local_incomplete (Fixture *f, gconstpointer data)
{
  const char *targets[] = { "local", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;
  g_autofree char *path = NULL;
  g_autofree char *sector = NULL;
  gsize len;

  build_server (f->root);
  path = g_build_filename (f->root, "dev/sda", NULL);
  g_assert_true (g_file_get_contents (path, &sector, &len, NULL));
  asr_incomplete_marker_fill ((guint8 *) sector, "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b");
  put (f->root, "dev/sda", sector, (gssize) len);

  g_setenv ("ASR_PROBE_ROOT", f->root, TRUE);
  m = asr_probe_targets (targets, NULL, &error);
  g_unsetenv ("ASR_PROBE_ROOT");
  g_assert_no_error (error);
  g_assert_true (((MachineDisk *) g_ptr_array_index (m->disks, 0))->incomplete);
  g_assert_false (((MachineDisk *) g_ptr_array_index (m->disks, 1))->incomplete);
}

static void
test_two_machines (Fixture *f, gconstpointer data)
{
  const char *targets[] = { "local", "domain:web1", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;

  g_setenv ("ASR_PROBE_ROOT", f->root, TRUE);
  m = asr_probe_targets (targets, NULL, &error);
  g_unsetenv ("ASR_PROBE_ROOT");
  g_assert_null (m);
  g_assert_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "at most one of local and domain:NAME"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/probe/local/hardware", test_hardware);
  ADD ("/probe/local/memory-without-dmi", test_memory_without_dmi);
  ADD ("/probe/local/empty-root", test_empty_root);
  ADD ("/probe/local/disk-names", test_disk_names);
  ADD ("/probe/local/blockdev-sata-lvm-root", test_blockdev_sata);
  ADD ("/probe/local/blockdev-virtio-swap-nvme-md", test_blockdev_others);
  ADD ("/probe/local/descriptor", test_probe_local);
  ADD ("/probe/local/incomplete", test_probe_local_incomplete);
  ADD ("/probe/local/two-machines", test_two_machines);
#undef ADD
  return g_test_run ();
}
