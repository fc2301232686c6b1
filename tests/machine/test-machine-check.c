/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine_descriptor_check on structs built in C: a valid machine passes,
 * and each rule, broken on its own, fails with its message.  Also the enum
 * string tables and the canonical writer's escaping.
 */
#include "config.h"

#include <string.h>

#include "machine.h"

#define CHECKSUM "asr-sha256-64k:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static MachinePartition *
add_partition (MachineDisk *d, guint32 number, MachinePartitionKind kind, guint64 start,
               guint64 sectors, const char *type)
{
  MachinePartition *p = machine_partition_new (number);

  p->kind = kind;
  p->start = start;
  p->sectors = sectors;
  p->type = g_strdup (type);
  g_ptr_array_add (d->partitions, p);
  return p;
}

static MachineVolume *
add_volume (MachinePartition *p, const char *mountpoint, const char *image)
{
  MachineVolume *v = machine_volume_new ();

  v->fs = g_strdup ("ext4");
  v->mountpoint = g_strdup (mountpoint);
  v->critical = MACHINE_TRISTATE_YES;
  if (image != NULL)
    {
      v->image = machine_image_new ();
      v->image->file = g_strdup (image);
      v->image->format = g_strdup ("qcow2");
      v->image->bytes = p->sectors * 512;
      v->image->checksum = g_strdup (CHECKSUM);
    }
  p->volume = v;
  return v;
}

/* disk0: 4 GiB MBR, p1 /boot, p2 extended with p5 / and p6 swap.
 * disk1: 1 GiB GPT, p1 /var. */
static MachineDescriptor *
make_valid (void)
{
  MachineDescriptor *m = machine_descriptor_new ();
  MachineDisk *d0 = machine_disk_new ("disk0");
  MachineDisk *d1 = machine_disk_new ("disk1");
  MachineSource *s = machine_source_new ();
  MachinePartition *p;
  MachineController *c;

  m->origin = machine_origin_new ();
  m->origin->captured = g_strdup ("2026-11-25T15:00:00Z");
  m->origin->tool = g_strdup ("asr 0.1.0");
  s->disk = g_strdup ("disk0");
  s->path = g_strdup ("a.raw");
  s->format = g_strdup ("raw");
  g_ptr_array_add (m->origin->sources, s);

  m->hardware = machine_hardware_new ();
  m->hardware->architecture = g_strdup ("x86_64");
  m->hardware->firmware = MACHINE_FIRMWARE_BIOS;
  c = machine_controller_new (MACHINE_CONTROLLER_NETWORK);
  c->mac = g_strdup ("52:54:00:12:34:56");
  g_ptr_array_add (m->hardware->controllers, c);

  d0->critical = MACHINE_TRISTATE_YES;
  d0->bytes = G_GUINT64_CONSTANT (4294967296);
  d0->has_bytes = TRUE;
  d0->logical_sector = 512;
  d0->ptable = MACHINE_PTABLE_MBR;
  d0->signature = g_strdup ("0x1234abcd");
  d0->boot_area = machine_boot_area_new ();
  d0->boot_area->bytes = 1048576;
  d0->boot_area->image = g_strdup ("disk0-bootarea.qcow2");
  p = add_partition (d0, 1, MACHINE_PARTITION_KIND_PRIMARY, 2048, 614400, "0x83");
  p->bootable = MACHINE_TRISTATE_YES;
  add_volume (p, "/boot", "disk0-p1.qcow2");
  add_partition (d0, 2, MACHINE_PARTITION_KIND_EXTENDED, 616448, 7772160, "0x05");
  p = add_partition (d0, 5, MACHINE_PARTITION_KIND_LOGICAL, 618496, 6291456, "0x83");
  add_volume (p, "/", "disk0-p5.qcow2");
  add_partition (d0, 6, MACHINE_PARTITION_KIND_LOGICAL, 6912000, 1476608, "0x82");
  g_ptr_array_add (m->disks, d0);

  d1->critical = MACHINE_TRISTATE_YES;
  d1->bytes = G_GUINT64_CONSTANT (1073741824); /* 2097152 sectors */
  d1->has_bytes = TRUE;
  d1->ptable = MACHINE_PTABLE_GPT;
  d1->guid = g_strdup ("5E1F2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B");
  p = add_partition (d1, 1, MACHINE_PARTITION_KIND_UNKNOWN, 2048, 2093056,
                     "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
  p->guid = g_strdup ("8c2d3e4f-5a6b-4c7d-9e8f-a0b1c2d3e4f5");
  p->name = g_strdup ("var");
  p->attributes = G_GUINT64_CONSTANT (0x8000000000000000);
  p->has_attributes = TRUE;
  add_volume (p, "/var", "disk1-p1.qcow2");
  g_ptr_array_add (m->disks, d1);
  return m;
}

static MachineDisk *
disk (MachineDescriptor *m, guint i)
{
  return g_ptr_array_index (m->disks, i);
}

static MachinePartition *
part (MachineDescriptor *m, guint d, guint i)
{
  return g_ptr_array_index (disk (m, d)->partitions, i);
}

static void
set_str (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

typedef struct {
  const char *name;
  void (*breaks) (MachineDescriptor *m);
  const char *expected;
} Rule;

/* One line per broken rule: the table reads as a list. */
/* clang-format off */
static void duplicate_disk_id (MachineDescriptor *m) { set_str (&disk (m, 1)->id, "DISK0"); }
static void bad_disk_id (MachineDescriptor *m) { set_str (&disk (m, 1)->id, "../disk1"); }
static void no_disks (MachineDescriptor *m) { g_ptr_array_set_size (m->disks, 0); g_ptr_array_set_size (m->origin->sources, 0); }
static void bad_version (MachineDescriptor *m) { m->version = 2; }
static void source_unknown_disk (MachineDescriptor *m) { set_str (&((MachineSource *) g_ptr_array_index (m->origin->sources, 0))->disk, "disk9"); }
static void duplicate_source (MachineDescriptor *m)
{
  MachineSource *s = machine_source_new ();
  s->disk = g_strdup ("Disk0");
  g_ptr_array_add (m->origin->sources, s);
}
static void mac_on_storage (MachineDescriptor *m) { ((MachineController *) g_ptr_array_index (m->hardware->controllers, 0))->klass = MACHINE_CONTROLLER_STORAGE; }
static void cpu_count_zero (MachineDescriptor *m) { m->hardware->has_cpu_count = TRUE; }
static void duplicate_number (MachineDescriptor *m) { part (m, 0, 3)->number = 5; }
static void partition_overlap (MachineDescriptor *m) { part (m, 1, 0)->sectors = 100; add_partition (disk (m, 1), 2, 0, 2100, 10, NULL); }
static void logical_overlap (MachineDescriptor *m) { part (m, 0, 3)->start -= 3000; }
static void primary_overlaps_extended (MachineDescriptor *m) { part (m, 0, 0)->sectors += 1; }
static void past_end (MachineDescriptor *m) { disk (m, 0)->bytes = 2147483648; }
static void past_end_4k (MachineDescriptor *m) { disk (m, 0)->logical_sector = 4096; disk (m, 0)->bytes = 4194304; }
static void zero_sectors (MachineDescriptor *m) { part (m, 0, 3)->sectors = 0; }
static void number_zero (MachineDescriptor *m) { part (m, 1, 0)->number = 0; }
static void start_overflow (MachineDescriptor *m) { part (m, 1, 0)->start = G_MAXUINT64 - 5; }
static void mbr_sector_zero (MachineDescriptor *m) { part (m, 0, 0)->start = 0; disk (m, 0)->boot_area->bytes = 0; }
static void gpt_header_overlap (MachineDescriptor *m) { part (m, 1, 0)->start = 33; }
static void gpt_backup_overlap (MachineDescriptor *m) { part (m, 1, 0)->sectors = 2097152 - 2048 - 10; }
static void gpt_too_small (MachineDescriptor *m) { disk (m, 1)->bytes = 512 * 40; }
static void logical_outside (MachineDescriptor *m) { part (m, 0, 3)->sectors += 1; }
static void logical_at_ebr (MachineDescriptor *m) { part (m, 0, 2)->start = 616448; part (m, 0, 2)->volume->image->bytes = 0; }
static void logical_without_extended (MachineDescriptor *m) { g_ptr_array_remove_index (disk (m, 0)->partitions, 1); }
static void two_extended (MachineDescriptor *m) { add_partition (disk (m, 0), 3, MACHINE_PARTITION_KIND_EXTENDED, 8388600, 4, "0x0f"); }
static void primary_numbered_5 (MachineDescriptor *m) { part (m, 0, 0)->number = 7; }
static void logical_numbered_3 (MachineDescriptor *m) { part (m, 0, 3)->number = 3; }
static void extended_wrong_type (MachineDescriptor *m) { set_str (&part (m, 0, 1)->type, "0x83"); }
static void primary_extended_type (MachineDescriptor *m) { set_str (&part (m, 0, 0)->type, "0x0f"); }
static void mbr_bad_type (MachineDescriptor *m) { set_str (&part (m, 0, 0)->type, "0FC63DAF-8483-4772-8E79-3D69D8477DE4"); }
static void mbr_32bit (MachineDescriptor *m) { disk (m, 0)->bytes = G_GUINT64_CONSTANT (1) << 44; part (m, 0, 0)->sectors = G_GUINT64_CONSTANT (1) << 32; part (m, 0, 0)->start = G_GUINT64_CONSTANT (1) << 40; part (m, 0, 0)->volume->image->bytes = 0; }
static void guid_on_mbr (MachineDescriptor *m) { set_str (&part (m, 0, 0)->guid, "8c2d3e4f-5a6b-4c7d-9e8f-a0b1c2d3e4f5"); }
static void name_on_mbr (MachineDescriptor *m) { set_str (&part (m, 0, 0)->name, "boot"); }
static void attributes_on_mbr (MachineDescriptor *m) { part (m, 0, 0)->has_attributes = TRUE; }
static void kind_on_gpt (MachineDescriptor *m) { part (m, 1, 0)->kind = MACHINE_PARTITION_KIND_PRIMARY; }
static void bootable_on_gpt (MachineDescriptor *m) { part (m, 1, 0)->bootable = MACHINE_TRISTATE_YES; }
static void gpt_bad_type (MachineDescriptor *m) { set_str (&part (m, 1, 0)->type, "0x83"); }
static void gpt_bad_guid (MachineDescriptor *m) { set_str (&part (m, 1, 0)->guid, "8c2d3e4f-5a6b-4c7d-9e8f-a0b1c2d3e4fZ"); }
static void gpt_long_name (MachineDescriptor *m) { set_str (&part (m, 1, 0)->name, "0123456789012345678901234567890123456"); }
static void gpt_number_129 (MachineDescriptor *m) { part (m, 1, 0)->number = 129; }
static void signature_on_gpt (MachineDescriptor *m) { set_str (&disk (m, 1)->signature, "0x12345678"); }
static void guid_on_mbr_disk (MachineDescriptor *m) { set_str (&disk (m, 0)->guid, "5E1F2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B"); }
static void bad_signature (MachineDescriptor *m) { set_str (&disk (m, 0)->signature, "0x1234ABCD"); }
static void bad_disk_guid (MachineDescriptor *m) { set_str (&disk (m, 1)->guid, "not-a-guid"); }
static void partitions_without_table (MachineDescriptor *m) { disk (m, 1)->ptable = MACHINE_PTABLE_NONE; g_clear_pointer (&disk (m, 1)->guid, g_free); }
static void odd_sector_size (MachineDescriptor *m) { disk (m, 1)->logical_sector = 520; }
static void physical_below_logical (MachineDescriptor *m) { disk (m, 1)->logical_sector = 4096; disk (m, 1)->physical_sector = 512; }
static void image_slash (MachineDescriptor *m) { set_str (&part (m, 0, 0)->volume->image->file, "sub/disk0-p1.qcow2"); }
static void image_dotdot (MachineDescriptor *m) { set_str (&part (m, 0, 0)->volume->image->file, ".."); }
static void image_hidden (MachineDescriptor *m) { set_str (&part (m, 0, 0)->volume->image->file, ".machine.xml"); }
static void image_dash (MachineDescriptor *m) { set_str (&part (m, 0, 0)->volume->image->file, "-p1.qcow2"); }
static void image_protocol (MachineDescriptor *m) { set_str (&part (m, 0, 0)->volume->image->file, "nbd:localhost:10809"); }
static void image_empty (MachineDescriptor *m) { set_str (&part (m, 0, 0)->volume->image->file, ""); }
static void image_too_long (MachineDescriptor *m)
{
  g_autofree char *s = g_strnfill (256, 'a');
  set_str (&part (m, 0, 0)->volume->image->file, s);
}
static void image_duplicate (MachineDescriptor *m) { set_str (&part (m, 1, 0)->volume->image->file, "DISK0-P1.qcow2"); }
static void image_duplicates_boot_area (MachineDescriptor *m) { set_str (&part (m, 0, 0)->volume->image->file, "disk0-bootarea.qcow2"); }
static void image_bad_checksum (MachineDescriptor *m) { set_str (&part (m, 0, 0)->volume->image->checksum, "sha256:abc"); }
static void image_no_format (MachineDescriptor *m) { set_str (&part (m, 0, 0)->volume->image->format, NULL); }
static void image_larger (MachineDescriptor *m) { part (m, 0, 0)->volume->image->bytes += 1; }
static void critical_volume_noncritical_disk (MachineDescriptor *m) { disk (m, 1)->critical = MACHINE_TRISTATE_NO; }
static void relative_mountpoint (MachineDescriptor *m) { set_str (&part (m, 0, 0)->volume->mountpoint, "boot"); }
static void boot_area_overlap (MachineDescriptor *m) { disk (m, 0)->boot_area->bytes = 2049 * 512; }
static void boot_area_bad_name (MachineDescriptor *m) { set_str (&disk (m, 0)->boot_area->image, "/etc/passwd"); }
static void in_use_no_reason (MachineDescriptor *m) { g_ptr_array_add (disk (m, 0)->in_use, machine_in_use_new (NULL, "x")); }

static const Rule rules[] = {
  { "duplicate-disk-id", duplicate_disk_id, "disk[id=DISK0]: duplicate disk id" },
  { "bad-disk-id", bad_disk_id, "disk[id=../disk1]: not a disk id" },
  { "no-disks", no_disks, "machine: no disks" },
  { "bad-version", bad_version, "version 2 is not supported" },
  { "source-unknown-disk", source_unknown_disk, "origin/source[disk=disk9]: no disk has this id" },
  { "duplicate-source", duplicate_source, "origin/source[disk=Disk0]: a second source" },
  { "mac-on-storage", mac_on_storage, "hardware/controller[1]: a MAC address on a storage controller" },
  { "cpu-count-zero", cpu_count_zero, "hardware/cpu: a count of 0" },
  { "duplicate-partition-number", duplicate_number, "disk[id=disk0]/partition[number=5]: duplicate partition number 5" },
  { "partition-overlap", partition_overlap, "disk[id=disk1]/partition[number=2]: overlaps partition 1 (sectors 2048-2147)" },
  { "logical-overlap", logical_overlap, "disk[id=disk0]/partition[number=6]: overlaps partition 5" },
  { "primary-overlaps-extended", primary_overlaps_extended, "partition[number=1]: overlaps extended partition 2" },
  { "past-end", past_end, "partition[number=5]: ends at sector 6909951, past the end of the disk (4194304 sectors of 512 bytes)" },
  { "past-end-4k-sectors", past_end_4k, "past the end of the disk (1024 sectors of 4096 bytes)" },
  { "zero-sectors", zero_sectors, "disk[id=disk0]/partition[number=6]: a partition of 0 sectors" },
  { "number-zero", number_zero, "partition[number=0]: partition numbers start at 1" },
  { "start-overflow", start_overflow, "start + sectors is beyond 64 bits" },
  { "mbr-sector-zero", mbr_sector_zero, "overlaps the partition table (MBR, sector 0)" },
  { "gpt-header-overlap", gpt_header_overlap, "overlaps the GPT header and partition entries (sectors 0-33)" },
  { "gpt-backup-overlap", gpt_backup_overlap, "overlaps the backup GPT (the last 33 sectors of the disk)" },
  { "gpt-too-small", gpt_too_small, "disk[id=disk1]: too small for a GPT" },
  { "logical-outside-extended", logical_outside, "partition[number=6]: logical partition outside its extended partition 2 (sectors 616448-8388607)" },
  { "logical-on-ebr", logical_at_ebr, "partition[number=5]: logical partition outside its extended partition 2" },
  { "logical-without-extended", logical_without_extended, "a logical partition without an extended partition" },
  { "two-extended", two_extended, "partition[number=3]: a second extended partition (partition 2 is one already)" },
  { "primary-numbered-7", primary_numbered_5, "a primary MBR partition is numbered 1 to 4" },
  { "logical-numbered-3", logical_numbered_3, "logical partitions are numbered from 5" },
  { "extended-wrong-type", extended_wrong_type, "an extended partition of type 0x83" },
  { "primary-extended-type", primary_extended_type, "type 0x0f is an extended partition type, but the partition is primary" },
  { "mbr-gpt-type", mbr_bad_type, "is not an MBR partition type" },
  { "mbr-32-bit-fields", mbr_32bit, "does not fit the MBR's 32-bit fields" },
  { "guid-on-mbr", guid_on_mbr, "guid is for GPT partitions; this disk is MBR" },
  { "name-on-mbr", name_on_mbr, "name is for GPT partitions; this disk is MBR" },
  { "attributes-on-mbr", attributes_on_mbr, "attributes are for GPT partitions; this disk is MBR" },
  { "kind-on-gpt", kind_on_gpt, "kind is for MBR partitions; this disk is GPT" },
  { "bootable-on-gpt", bootable_on_gpt, "bootable (the MBR active flag) is for MBR partitions" },
  { "gpt-mbr-type", gpt_bad_type, "type '0x83' is not a GPT partition type GUID" },
  { "gpt-bad-guid", gpt_bad_guid, "is not a GUID" },
  { "gpt-long-name", gpt_long_name, "name is longer than a GPT name (36 UTF-16 code units)" },
  { "gpt-number-129", gpt_number_129, "GPT partitions are numbered 1 to 128" },
  { "signature-on-gpt", signature_on_gpt, "an MBR signature on a GPT disk" },
  { "guid-on-mbr-disk", guid_on_mbr_disk, "a GPT disk GUID on an MBR disk" },
  { "bad-signature", bad_signature, "signature '0x1234ABCD' is not 0x and 8 lowercase hex digits" },
  { "bad-disk-guid", bad_disk_guid, "guid 'not-a-guid' is not a GUID" },
  { "partitions-without-table", partitions_without_table, "disk[id=disk1]: partitions without a partition-table" },
  { "odd-sector-size", odd_sector_size, "logical sector size 520 is not a power of two" },
  { "physical-below-logical", physical_below_logical, "physical sector size 512 is smaller than the logical 4096" },
  { "image-path-slash", image_slash, "image file 'sub/disk0-p1.qcow2' is a path, not a plain file name" },
  { "image-path-dotdot", image_dotdot, "image file '..' is not a file name" },
  { "image-hidden", image_hidden, "a hidden file name" },
  { "image-dash", image_dash, "a file name starting with '-'" },
  { "image-protocol", image_protocol, "not a plain file name (only letters" },
  { "image-empty", image_empty, "an empty file name" },
  { "image-too-long", image_too_long, "too long (more than 255 bytes)" },
  { "image-duplicate", image_duplicate, "disk[id=disk1]/partition[number=1]/volume/image: duplicate image file name 'DISK0-P1.qcow2' (also used by disk[id=disk0]/partition[number=1]/volume/image)" },
  { "image-duplicates-boot-area", image_duplicates_boot_area, "duplicate image file name 'disk0-bootarea.qcow2'" },
  { "image-bad-checksum", image_bad_checksum, "checksum 'sha256:abc' is not asr-sha256-64k:" },
  { "image-no-format", image_no_format, "image without a format" },
  { "image-larger-than-partition", image_larger, "image of 314572801 bytes is larger than its partition (314572800 bytes)" },
  { "critical-volume-noncritical-disk", critical_volume_noncritical_disk, "a critical volume on a disk marked critical=\"no\"" },
  { "relative-mountpoint", relative_mountpoint, "mountpoint 'boot' is not an absolute path" },
  { "boot-area-overlap", boot_area_overlap, "disk[id=disk0]/boot-area: 1049088 bytes overlap partition 1" },
  { "boot-area-bad-name", boot_area_bad_name, "disk[id=disk0]/boot-area: image file '/etc/passwd' is a path" },
  { "in-use-without-reason", in_use_no_reason, "in-use: without a reason" },
};
/* clang-format on */

static void
test_valid_machine (void)
{
  g_autoptr (MachineDescriptor) m = make_valid ();
  g_autoptr (GError) error = NULL;

  g_assert_true (machine_descriptor_check (m, "c.xml", &error));
  g_assert_no_error (error);
}

/* What passes the C checks must also pass the schema: format it and read
 * it back through the full parser. */
static void
test_valid_machine_parses (void)
{
  g_autoptr (MachineDescriptor) m = make_valid ();
  g_autoptr (MachineDescriptor) m2 = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = machine_descriptor_format (m, &error);
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  m2 = machine_descriptor_parse_data (text, strlen (text), "c.xml", &error);
  g_assert_no_error (error);
  again = machine_descriptor_format (m2, &error);
  g_assert_cmpstr (again, ==, text);
  g_assert_cmpuint (part (m2, 1, 0)->attributes, ==, G_GUINT64_CONSTANT (0x8000000000000000));
  g_assert_nonnull (strstr (text, " attributes=\"0x8000000000000000\""));
}

static void
test_rule (gconstpointer data)
{
  const Rule *r = data;
  g_autoptr (MachineDescriptor) m = make_valid ();
  g_autoptr (GError) error = NULL;
  g_autofree char *prefixed = g_strconcat ("c.xml: ", r->expected, NULL);

  r->breaks (m);
  g_assert_false (machine_descriptor_check (m, "c.xml", &error));
  g_assert_error (error, MACHINE_ERROR, MACHINE_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, r->expected));
  /* Built in C: no line numbers, but the name and the element path. */
  g_assert_true (g_str_has_prefix (error->message, "c.xml: "));
}

static void
test_several_problems (void)
{
  g_autoptr (MachineDescriptor) m = make_valid ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;

  duplicate_disk_id (m);
  image_slash (m);
  g_assert_false (machine_descriptor_check (m, "c.xml", &error));
  lines = g_strsplit (error->message, "\n", -1);
  /* One line per problem. */
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
}

static void
test_blank_target (void)
{
  g_autoptr (MachineDescriptor) m = machine_descriptor_new ();
  g_autoptr (GError) error = NULL;
  MachineDisk *d = machine_disk_new ("sda");

  /* Nothing known but an id: a valid probe of a blank disk. */
  g_ptr_array_add (m->disks, d);
  g_assert_true (machine_descriptor_check (m, NULL, &error));
  g_assert_no_error (error);
}

/* --- enum tables ---------------------------------------------------------- */

static void
test_enums (void)
{
  MachineTristate t;
  MachineFirmware f;
  MachinePtableType p;
  MachinePartitionKind k;
  MachineControllerClass c;

  g_assert_null (machine_tristate_to_string (MACHINE_TRISTATE_UNKNOWN));
  g_assert_cmpstr (machine_tristate_to_string (MACHINE_TRISTATE_YES), ==, "yes");
  g_assert_cmpstr (machine_tristate_to_string (MACHINE_TRISTATE_NO), ==, "no");
  g_assert_null (machine_tristate_to_string ((MachineTristate) 42));
  g_assert_true (machine_tristate_from_string ("yes", &t));
  g_assert_cmpint (t, ==, MACHINE_TRISTATE_YES);
  g_assert_true (machine_tristate_from_string ("no", &t));
  g_assert_cmpint (t, ==, MACHINE_TRISTATE_NO);
  g_assert_false (machine_tristate_from_string ("YES", &t));
  g_assert_false (machine_tristate_from_string ("", &t));
  g_assert_false (machine_tristate_from_string (NULL, &t));

  g_assert_null (machine_firmware_to_string (MACHINE_FIRMWARE_UNKNOWN));
  g_assert_cmpstr (machine_firmware_to_string (MACHINE_FIRMWARE_BIOS), ==, "bios");
  g_assert_cmpstr (machine_firmware_to_string (MACHINE_FIRMWARE_UEFI), ==, "uefi");
  g_assert_true (machine_firmware_from_string ("uefi", &f));
  g_assert_cmpint (f, ==, MACHINE_FIRMWARE_UEFI);
  g_assert_false (machine_firmware_from_string ("efi", &f));

  g_assert_null (machine_ptable_type_to_string (MACHINE_PTABLE_NONE));
  g_assert_cmpstr (machine_ptable_type_to_string (MACHINE_PTABLE_MBR), ==, "mbr");
  g_assert_cmpstr (machine_ptable_type_to_string (MACHINE_PTABLE_GPT), ==, "gpt");
  g_assert_true (machine_ptable_type_from_string ("gpt", &p));
  g_assert_cmpint (p, ==, MACHINE_PTABLE_GPT);
  g_assert_false (machine_ptable_type_from_string ("dos", &p));

  g_assert_null (machine_partition_kind_to_string (MACHINE_PARTITION_KIND_UNKNOWN));
  g_assert_cmpstr (machine_partition_kind_to_string (MACHINE_PARTITION_KIND_PRIMARY), ==,
                   "primary");
  g_assert_cmpstr (machine_partition_kind_to_string (MACHINE_PARTITION_KIND_EXTENDED), ==,
                   "extended");
  g_assert_cmpstr (machine_partition_kind_to_string (MACHINE_PARTITION_KIND_LOGICAL), ==,
                   "logical");
  g_assert_true (machine_partition_kind_from_string ("logical", &k));
  g_assert_cmpint (k, ==, MACHINE_PARTITION_KIND_LOGICAL);
  g_assert_false (machine_partition_kind_from_string ("unknown", &k));

  g_assert_cmpstr (machine_controller_class_to_string (MACHINE_CONTROLLER_STORAGE), ==, "storage");
  g_assert_cmpstr (machine_controller_class_to_string (MACHINE_CONTROLLER_NETWORK), ==, "network");
  g_assert_cmpstr (machine_controller_class_to_string (MACHINE_CONTROLLER_VIDEO), ==, "video");
  g_assert_null (machine_controller_class_to_string ((MachineControllerClass) 3));
  g_assert_true (machine_controller_class_from_string ("video", &c));
  g_assert_cmpint (c, ==, MACHINE_CONTROLLER_VIDEO);
  g_assert_false (machine_controller_class_from_string ("sound", &c));
}

static void
test_lookups (void)
{
  g_autoptr (MachineDescriptor) m = make_valid ();

  g_assert_true (machine_descriptor_find_disk (m, "DISK1") == disk (m, 1));
  g_assert_null (machine_descriptor_find_disk (m, "disk2"));
  g_assert_null (machine_descriptor_find_disk (m, NULL));
  g_assert_true (machine_disk_find_partition (disk (m, 0), 5) == part (m, 0, 2));
  g_assert_null (machine_disk_find_partition (disk (m, 0), 3));
  g_assert_cmpuint (machine_disk_sector_size (disk (m, 1)), ==, 512);
  disk (m, 1)->logical_sector = 4096;
  g_assert_cmpuint (machine_disk_sector_size (disk (m, 1)), ==, 4096);
}

static void
test_free_null (void)
{
  machine_descriptor_free (NULL);
  machine_origin_free (NULL);
  machine_source_free (NULL);
  machine_os_free (NULL);
  machine_hardware_free (NULL);
  machine_controller_free (NULL);
  machine_disk_free (NULL);
  machine_boot_area_free (NULL);
  machine_in_use_free (NULL);
  machine_partition_free (NULL);
  machine_volume_free (NULL);
  machine_image_free (NULL);
}

/* --- canonical writer ------------------------------------------------------ */

static void
test_format_escaping (void)
{
  g_autoptr (MachineDescriptor) m = machine_descriptor_new ();
  g_autoptr (MachineDescriptor) m2 = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  static const char tricky[] = "a&b<c>d\"e'f g h i \xc3\xa9 ]]>";

  m->os = machine_os_new ();
  m->os->name = g_strdup (tricky);
  m->os->hostname = g_strdup ("");
  g_ptr_array_add (m->disks, machine_disk_new ("disk0"));
  text = machine_descriptor_format (m, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "name=\"a&amp;b&lt;c&gt;d&quot;e'f g h i \xc3\xa9 ]]&gt;\""));
  /* Empty is known-empty, and kept; absent stays absent. */
  g_assert_nonnull (strstr (text, "hostname=\"\""));
  g_assert_null (strstr (text, "version=\"\""));

  m2 = machine_descriptor_parse_data (text, strlen (text), "esc.xml", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (m2->os->name, ==, tricky);
  g_assert_cmpstr (m2->os->hostname, ==, "");
  g_assert_null (m2->os->version);
}

static void
test_format_refuses_control_chars (void)
{
  g_autoptr (MachineDescriptor) m = make_valid ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  /* C0 (which XML cannot hold), and newline, tab, DEL and C1, which it
   * can but which would forge a line or an escape in a report */
  static const char *const bad[]
    = { "bo\x01ot", "boot\nResult: restorable", "bo\tot", "bo\x7fot", "bo\xc2\x9bot" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      set_str (&part (m, 0, 0)->volume->label, bad[i]);
      text = machine_descriptor_format (m, &error);
      g_assert_null (text);
      g_assert_error (error, MACHINE_ERROR, MACHINE_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "label"));
      g_clear_error (&error);
    }
}

static void
test_format_refuses_bad_utf8 (void)
{
  g_autoptr (MachineDescriptor) m = make_valid ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  set_str (&disk (m, 0)->model, "\xff");
  text = machine_descriptor_format (m, &error);
  g_assert_null (text);
  g_assert_error (error, MACHINE_ERROR, MACHINE_ERROR_INVALID);
}

static void
test_format_no_empty_elements (void)
{
  g_autoptr (MachineDescriptor) m = machine_descriptor_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  MachineDisk *d = machine_disk_new ("disk0");

  /* Elements that would say nothing are left out. */
  m->origin = machine_origin_new ();
  m->os = machine_os_new ();
  m->hardware = machine_hardware_new ();
  d->incomplete = TRUE;
  g_ptr_array_add (m->disks, d);
  text = machine_descriptor_format (m, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<machine version=\"1\">\n"
                   "  <disk id=\"disk0\">\n"
                   "    <incomplete/>\n"
                   "  </disk>\n"
                   "</machine>\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/machine/check/valid", test_valid_machine);
  g_test_add_func ("/machine/check/valid-parses-back", test_valid_machine_parses);
  g_test_add_func ("/machine/check/blank-target", test_blank_target);
  g_test_add_func ("/machine/check/several-problems", test_several_problems);
  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      g_autofree char *path = g_strdup_printf ("/machine/check/%s", rules[i].name);
      g_test_add_data_func (path, &rules[i], test_rule);
    }
  g_test_add_func ("/machine/enum/tables", test_enums);
  g_test_add_func ("/machine/model/lookups", test_lookups);
  g_test_add_func ("/machine/model/free-null", test_free_null);
  g_test_add_func ("/machine/format/escaping", test_format_escaping);
  g_test_add_func ("/machine/format/control-chars", test_format_refuses_control_chars);
  g_test_add_func ("/machine/format/bad-utf8", test_format_refuses_bad_utf8);
  g_test_add_func ("/machine/format/no-empty-elements", test_format_no_empty_elements);
  return g_test_run ();
}
