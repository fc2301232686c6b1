/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The storage stack in the descriptor, on structs built in C: a valid
 * machine with LVM (on a partition and a whole disk), an md RAID1, a LUKS
 * container and btrfs subvolumes passes and survives format and parse;
 * each rule, broken on its own, fails with its message; device references
 * resolve both ways.
 */
#include "config.h"

#include <string.h>

#include "machine.h"

static MachinePartition *
add_partition (MachineDisk *d, guint32 number, guint64 start, guint64 sectors, const char *type)
{
  MachinePartition *p = machine_partition_new (number);

  p->start = start;
  p->sectors = sectors;
  p->type = g_strdup (type);
  if (d->ptable == MACHINE_PTABLE_MBR)
    p->kind = MACHINE_PARTITION_KIND_PRIMARY;
  g_ptr_array_add (d->partitions, p);
  return p;
}

static MachineVolume *
new_volume (const char *fs, const char *mountpoint, const char *image, guint64 bytes)
{
  MachineVolume *v = machine_volume_new ();

  v->fs = g_strdup (fs);
  v->mountpoint = g_strdup (mountpoint);
  v->critical = MACHINE_TRISTATE_YES;
  if (image != NULL)
    {
      v->image = machine_image_new ();
      v->image->file = g_strdup (image);
      v->image->format = g_strdup ("qcow2");
      v->image->bytes = bytes;
    }
  return v;
}

static MachineDisk *
new_disk (MachineDescriptor *m, const char *id, guint64 bytes, MachinePtableType t)
{
  MachineDisk *d = machine_disk_new (id);

  d->critical = MACHINE_TRISTATE_YES;
  d->bytes = bytes;
  d->has_bytes = TRUE;
  d->ptable = t;
  g_ptr_array_add (m->disks, d);
  return d;
}

#define GIB G_GUINT64_CONSTANT (1073741824)
#define EXTENT 4194304

/* disk0: 8 GiB MBR: p1 /boot, p2 PV of vg0 (4 GiB), p3 md0 member 0 (2 GiB).
 * disk1: 4 GiB GPT: p1 md0 member 1 (2 GiB), p2 LUKS crypt0 (1 GiB).
 * disk2: 1 GiB, no table: a whole-disk PV of vg0.
 * vg0: 1280 extents of 4 MiB, all used: root (4 GiB, /), swap (1 GiB).
 * md0: raid1 holding btrfs with subvolume @srv on /srv.
 * crypt0: luks2 holding xfs /home. */
static MachineDescriptor *
make_stack (void)
{
  MachineDescriptor *m = machine_descriptor_new ();
  MachineDisk *d0 = new_disk (m, "disk0", 8 * GIB, MACHINE_PTABLE_MBR);
  MachineDisk *d1 = new_disk (m, "disk1", 4 * GIB, MACHINE_PTABLE_GPT);
  MachineVolumeGroup *vg = machine_volume_group_new ("vg0");
  MachinePhysicalVolume *pv;
  MachineLogicalVolume *lv;
  MachineMdArray *md = machine_md_array_new ("md0");
  MachineLuks *l = machine_luks_new ("crypt0");
  MachinePartition *p;
  MachineSubvolume *sv;

  new_disk (m, "disk2", GIB, MACHINE_PTABLE_NONE);
  p = add_partition (d0, 1, 2048, 1048576, "0x83");
  p->volume = new_volume ("ext4", "/boot", "disk0-p1.qcow2", 1048576 * 512);
  add_partition (d0, 2, 1050624, 8388608, "0x8e");
  add_partition (d0, 3, 9439232, 4194304, "0xfd");
  add_partition (d1, 1, 2048, 4194304, "A19D880F-05FC-4D3B-A006-743F0F84911E");
  add_partition (d1, 2, 4196352, 2097152, "CA7D7CCB-63ED-4C53-861C-1742536059CC");

  vg->uuid = g_strdup ("Hk2Vq1-8mZx-Rt4e-Wp0L-aB3c-Dd5E-fG6hJ7");
  vg->extent_bytes = EXTENT;
  vg->metadata_file = g_strdup ("lvm-vg0.vgcfg");
  pv = machine_physical_volume_new ();
  pv->uuid = g_strdup ("pV9x2K-Lm3n-Qr4s-Tu5v-Wx6y-Za7b-Cd8eF9");
  pv->device = g_strdup ("disk0/p2");
  pv->bytes = 4 * GIB;
  pv->has_bytes = TRUE;
  g_ptr_array_add (vg->pvs, pv);
  pv = machine_physical_volume_new ();
  pv->uuid = g_strdup ("pV9x2K-Lm3n-Qr4s-Tu5v-Wx6y-Za7b-Cd8eF0");
  pv->device = g_strdup ("disk2");
  pv->bytes = GIB;
  pv->has_bytes = TRUE;
  g_ptr_array_add (vg->pvs, pv);
  lv = machine_logical_volume_new ("root");
  lv->uuid = g_strdup ("rO0tLv-1a2B-3c4D-5e6F-7g8H-9i0J-kL1mN2");
  lv->bytes = 4 * GIB;
  lv->segtype = g_strdup ("linear");
  lv->volume = new_volume ("xfs", "/", "vg0-root.qcow2", 4 * GIB);
  g_ptr_array_add (vg->lvs, lv);
  lv = machine_logical_volume_new ("swap");
  lv->uuid = g_strdup ("sW4pLv-3o4P-5q6R-7s8T-9u0V-1w2X-yZ3aB4");
  lv->bytes = GIB;
  lv->segtype = g_strdup ("striped");
  g_ptr_array_add (vg->lvs, lv);
  g_ptr_array_add (m->volume_groups, vg);

  md->uuid = g_strdup ("4e1a2b3c:5d6e7f80:91a2b3c4:d5e6f708");
  md->name = g_strdup ("host:0");
  md->level = g_strdup ("raid1");
  md->metadata = g_strdup ("1.2");
  md->bytes = 2 * GIB - 1048576;
  md->has_bytes = TRUE;
  g_ptr_array_add (md->members, machine_md_member_new ("disk0/p3", 0));
  g_ptr_array_add (md->members, machine_md_member_new ("disk1/p1", 1));
  md->volume = new_volume ("btrfs", NULL, "md0.qcow2", md->bytes);
  md->volume->uuid = g_strdup ("e4f5a6b7-c8d9-4e0f-a1b2-c3d4e5f6a7b8");
  sv = machine_subvolume_new ("@srv");
  sv->id = 256;
  sv->has_id = TRUE;
  sv->mountpoint = g_strdup ("/srv");
  g_ptr_array_add (md->volume->subvolumes, sv);
  g_ptr_array_add (m->md_arrays, md);

  l->uuid = g_strdup ("c0ffee00-1234-4abc-8def-0123456789ab");
  l->type = g_strdup ("luks2");
  l->device = g_strdup ("disk1/p2");
  l->bytes = GIB;
  l->has_bytes = TRUE;
  l->image = machine_image_new ();
  l->image->file = g_strdup ("crypt0.qcow2");
  l->image->format = g_strdup ("qcow2");
  l->image->bytes = GIB;
  l->volume = new_volume ("xfs", "/home", NULL, 0);
  g_ptr_array_add (m->luks, l);
  return m;
}

static MachineDisk *
disk (MachineDescriptor *m, guint i)
{
  return g_ptr_array_index (m->disks, i);
}

static MachineVolumeGroup *
vg0 (MachineDescriptor *m)
{
  return g_ptr_array_index (m->volume_groups, 0);
}

static MachinePhysicalVolume *
pv (MachineDescriptor *m, guint i)
{
  return g_ptr_array_index (vg0 (m)->pvs, i);
}

static MachineLogicalVolume *
lv (MachineDescriptor *m, guint i)
{
  return g_ptr_array_index (vg0 (m)->lvs, i);
}

static MachineMdArray *
md0 (MachineDescriptor *m)
{
  return g_ptr_array_index (m->md_arrays, 0);
}

static MachineMdMember *
member (MachineDescriptor *m, guint i)
{
  return g_ptr_array_index (md0 (m)->members, i);
}

static MachineLuks *
luks0 (MachineDescriptor *m)
{
  return g_ptr_array_index (m->luks, 0);
}

static MachineSubvolume *
subvol (MachineDescriptor *m, guint i)
{
  return g_ptr_array_index (md0 (m)->volume->subvolumes, i);
}

static void
set_str (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static MachineImage *
an_image (const char *file, guint64 bytes)
{
  MachineImage *i = machine_image_new ();

  i->file = g_strdup (file);
  i->format = g_strdup ("qcow2");
  i->bytes = bytes;
  return i;
}

typedef struct {
  const char *name;
  void (*breaks) (MachineDescriptor *m);
  const char *expected;
} Rule;

/* One line per broken rule: the table reads as a list. */
/* clang-format off */
static void pv_unknown_disk (MachineDescriptor *m) { set_str (&pv (m, 0)->device, "disk9/p2"); }
static void pv_unknown_partition (MachineDescriptor *m) { set_str (&pv (m, 0)->device, "disk0/p7"); }
static void pv_partition_zero (MachineDescriptor *m) { set_str (&pv (m, 0)->device, "disk0/p02"); }
static void pv_whole_disk_with_table (MachineDescriptor *m) { set_str (&pv (m, 1)->device, "disk1"); }
static void pv_on_volume (MachineDescriptor *m) { set_str (&pv (m, 0)->device, "disk0/p1"); }
static void pv_on_md_with_volume (MachineDescriptor *m) { set_str (&pv (m, 1)->device, "md0"); }
static void member_on_pv (MachineDescriptor *m) { set_str (&member (m, 1)->device, "DISK0/p2"); }
static void luks_on_member (MachineDescriptor *m) { set_str (&luks0 (m)->device, "disk1/p1"); }
static void pv_on_extended (MachineDescriptor *m) { MachinePartition *p = g_ptr_array_index (disk (m, 0)->partitions, 1); p->kind = MACHINE_PARTITION_KIND_EXTENDED; set_str (&p->type, "0x05"); }
static void md_id_is_disk (MachineDescriptor *m) { set_str (&md0 (m)->id, "DISK2"); }
static void luks_id_is_md (MachineDescriptor *m) { set_str (&luks0 (m)->id, "md0"); }
static void md_id_bad (MachineDescriptor *m) { set_str (&md0 (m)->id, "md/0"); }
static void vg_name_dash (MachineDescriptor *m) { set_str (&vg0 (m)->name, "-vg"); }
static void vg_name_dotdot (MachineDescriptor *m) { set_str (&vg0 (m)->name, ".."); }
static void vg_name_long (MachineDescriptor *m) { g_autofree char *s = g_strnfill (128, 'v'); set_str (&vg0 (m)->name, s); }
static void lv_name_slash (MachineDescriptor *m) { set_str (&lv (m, 1)->name, "a/b"); }
static void lv_name_duplicate (MachineDescriptor *m) { set_str (&lv (m, 1)->name, "root"); }
static void vg_duplicate (MachineDescriptor *m) { MachineVolumeGroup *vg = machine_volume_group_new ("vg0"); MachinePhysicalVolume *p = machine_physical_volume_new (); vg->uuid = g_strdup ("Hk2Vq1-8mZx-Rt4e-Wp0L-aB3c-Dd5E-fG6hJ9"); vg->extent_bytes = EXTENT; p->uuid = g_strdup ("pV9x2K-Lm3n-Qr4s-Tu5v-Wx6y-Za7b-Cd8eF1"); p->device = g_strdup ("disk0/p1"); g_ptr_array_add (vg->pvs, p); g_clear_pointer (&((MachinePartition *) g_ptr_array_index (disk (m, 0)->partitions, 0))->volume, machine_volume_free); g_ptr_array_add (m->volume_groups, vg); }
static void pv_bad_uuid (MachineDescriptor *m) { set_str (&pv (m, 0)->uuid, "0b5a4c3e-8f3d-4c39-9d61-0c1f9b2f6a11"); }
static void vg_bad_uuid (MachineDescriptor *m) { set_str (&vg0 (m)->uuid, "Hk2Vq1-8mZx-Rt4e-Wp0L-aB3c-Dd5E-fG6h!7"); }
static void lv_uuid_is_vg_uuid (MachineDescriptor *m) { set_str (&lv (m, 0)->uuid, "HK2VQ1-8mZx-Rt4e-Wp0L-aB3c-Dd5E-fG6hJ7"); }
static void extent_odd (MachineDescriptor *m) { vg0 (m)->extent_bytes = 3000; }
static void extent_zero (MachineDescriptor *m) { vg0 (m)->extent_bytes = 0; }
static void lv_not_extents (MachineDescriptor *m) { lv (m, 1)->bytes -= 512; }
static void lv_zero (MachineDescriptor *m) { lv (m, 1)->bytes = 0; }
static void lvs_exceed_pvs (MachineDescriptor *m) { lv (m, 1)->bytes += EXTENT; }
static void pv_larger_than_device (MachineDescriptor *m) { pv (m, 1)->bytes += 512; }
static void segtype_thin (MachineDescriptor *m) { set_str (&lv (m, 1)->segtype, "thin-pool"); }
static void vg_without_pv (MachineDescriptor *m) { g_ptr_array_set_size (vg0 (m)->pvs, 0); }
static void metadata_name_clash (MachineDescriptor *m) { set_str (&vg0 (m)->metadata_file, "VG0-root.qcow2"); }
static void metadata_bad_name (MachineDescriptor *m) { set_str (&vg0 (m)->metadata_file, "../vg0"); }
static void lv_image_larger (MachineDescriptor *m) { lv (m, 0)->volume->image->bytes += 1; }
static void md_bad_uuid (MachineDescriptor *m) { set_str (&md0 (m)->uuid, "4e1a2b3c-5d6e-7f80-91a2-b3c4d5e6f708"); }
static void md_bad_level (MachineDescriptor *m) { set_str (&md0 (m)->level, "raid7"); }
static void md_bad_metadata (MachineDescriptor *m) { set_str (&md0 (m)->metadata, "1.3"); }
static void raid1_one_member (MachineDescriptor *m) { g_ptr_array_remove_index (md0 (m)->members, 1); }
static void raid1_spare_only (MachineDescriptor *m) { member (m, 1)->spare = TRUE; }
static void raid5_two (MachineDescriptor *m) { set_str (&md0 (m)->level, "raid5"); }
static void raid6_three (MachineDescriptor *m) { set_str (&md0 (m)->level, "raid6"); g_ptr_array_add (md0 (m)->members, machine_md_member_new ("disk2", 2)); g_ptr_array_set_size (vg0 (m)->pvs, 1); lv (m, 1)->bytes = EXTENT; }
static void md_duplicate_role (MachineDescriptor *m) { member (m, 1)->role = 0; }
static void md_role_out_of_range (MachineDescriptor *m) { member (m, 1)->role = 5; }
static void md_chunk_on_raid1 (MachineDescriptor *m) { md0 (m)->chunk_bytes = 524288; md0 (m)->has_chunk_bytes = TRUE; }
static void md_chunk_odd (MachineDescriptor *m) { set_str (&md0 (m)->level, "raid0"); md0 (m)->chunk_bytes = 5000; md0 (m)->has_chunk_bytes = TRUE; }
static void md_name_on_090 (MachineDescriptor *m) { set_str (&md0 (m)->metadata, "0.90"); }
static void md_image_larger (MachineDescriptor *m) { md0 (m)->volume->image->bytes = md0 (m)->bytes + 1; }
static void md_uuid_duplicate (MachineDescriptor *m) { MachineMdArray *md = machine_md_array_new ("md1"); md->uuid = g_strdup ("4E1A2B3C:5d6e7f80:91a2b3c4:d5e6f708"); md->level = g_strdup ("raid1"); md->metadata = g_strdup ("1.2"); g_ptr_array_add (md->members, machine_md_member_new ("disk2", 0)); g_ptr_array_add (md->members, machine_md_member_new ("disk0/p2", 1)); g_ptr_array_set_size (m->volume_groups, 0); g_ptr_array_add (m->md_arrays, md); }
static void luks_bad_uuid (MachineDescriptor *m) { set_str (&luks0 (m)->uuid, "c0ffee00:1234"); }
static void luks_bad_type (MachineDescriptor *m) { set_str (&luks0 (m)->type, "luks3"); }
static void luks_plaintext (MachineDescriptor *m) { luks0 (m)->volume->image = an_image ("home.qcow2", 1024); }
static void luks_image_larger (MachineDescriptor *m) { luks0 (m)->image->bytes += 1; }
static void luks_larger_than_device (MachineDescriptor *m) { luks0 (m)->bytes += 512; }
static void luks_image_no_format (MachineDescriptor *m) { set_str (&luks0 (m)->image->format, NULL); }
static void luks_on_itself (MachineDescriptor *m) { set_str (&luks0 (m)->device, "crypt0"); }
static void md_luks_loop (MachineDescriptor *m) { set_str (&member (m, 1)->device, "crypt0"); set_str (&luks0 (m)->device, "md0"); g_clear_pointer (&md0 (m)->volume, machine_volume_free); }
static void critical_lv_noncritical_disk (MachineDescriptor *m) { disk (m, 2)->critical = MACHINE_TRISTATE_NO; }
static void critical_md_noncritical_disk (MachineDescriptor *m) { disk (m, 1)->critical = MACHINE_TRISTATE_NO; }
static void critical_md_two_noncritical (MachineDescriptor *m) { disk (m, 1)->critical = MACHINE_TRISTATE_NO; disk (m, 0)->critical = MACHINE_TRISTATE_NO; lv (m, 0)->volume->critical = MACHINE_TRISTATE_NO; ((MachinePartition *) g_ptr_array_index (disk (m, 0)->partitions, 0))->volume->critical = MACHINE_TRISTATE_NO; luks0 (m)->volume->critical = MACHINE_TRISTATE_NO; }
static void critical_through_luks_on_md (MachineDescriptor *m) { MachineDisk *d = new_disk (m, "disk3", GIB, MACHINE_PTABLE_NONE); d->critical = MACHINE_TRISTATE_NO; set_str (&member (m, 1)->device, "disk3"); set_str (&luks0 (m)->device, "md0"); g_clear_pointer (&md0 (m)->volume, machine_volume_free); }
static void subvolumes_on_ext4 (MachineDescriptor *m) { set_str (&md0 (m)->volume->fs, "ext4"); }
static void subvolume_duplicate_path (MachineDescriptor *m) { MachineSubvolume *s = machine_subvolume_new ("@srv"); g_ptr_array_add (md0 (m)->volume->subvolumes, s); }
static void subvolume_duplicate_id (MachineDescriptor *m) { MachineSubvolume *s = machine_subvolume_new ("@home"); s->id = 256; s->has_id = TRUE; g_ptr_array_add (md0 (m)->volume->subvolumes, s); }
static void subvolume_bad_id (MachineDescriptor *m) { subvol (m, 0)->id = 100; }
static void subvolume_relative (MachineDescriptor *m) { set_str (&subvol (m, 0)->mountpoint, "srv"); }
static void subvolume_no_path (MachineDescriptor *m) { set_str (&subvol (m, 0)->path, NULL); }
static void btrfs_bad_uuid (MachineDescriptor *m) { set_str (&md0 (m)->volume->uuid, "1234-ABCD"); }
static void lv_relative_mountpoint (MachineDescriptor *m) { set_str (&lv (m, 0)->volume->mountpoint, "root"); }

static const Rule rules[] = {
  { "pv-unknown-disk", pv_unknown_disk, "c.xml: volume-group[name=vg0]/pv[device=disk9/p2]: device 'disk9/p2' is no disk, partition, md array or LUKS container" },
  { "pv-unknown-partition", pv_unknown_partition, "pv[device=disk0/p7]: device 'disk0/p7' is no disk, partition" },
  { "pv-partition-leading-zero", pv_partition_zero, "device 'disk0/p02' is no disk, partition" },
  { "pv-whole-disk-with-table", pv_whole_disk_with_table, "pv[device=disk1]: device 'disk1' is a whole disk with a partition table" },
  { "pv-on-a-volume", pv_on_volume, "pv[device=disk0/p1]: device 'disk0/p1' holds a volume already (a device carries one thing)" },
  { "pv-on-md-with-volume", pv_on_md_with_volume, "device 'md0' holds a volume already" },
  { "member-on-a-pv", member_on_pv, "volume-group[name=vg0]/pv[device=disk0/p2]: device 'disk0/p2' already carries md-array[id=md0]/member[device=DISK0/p2]" },
  { "luks-on-a-member", luks_on_member, "luks[id=crypt0]: device 'disk1/p1' already carries md-array[id=md0]/member[device=disk1/p1]" },
  { "pv-on-extended", pv_on_extended, "device 'disk0/p2' is an extended partition" },
  { "md-id-is-a-disk-id", md_id_is_disk, "md-array[id=DISK2]: duplicate id (disks, md arrays and LUKS containers share ids)" },
  { "luks-id-is-an-md-id", luks_id_is_md, "luks[id=md0]: duplicate id" },
  { "md-id-bad", md_id_bad, "md-array[id=md/0]: not an id" },
  { "vg-name-dash", vg_name_dash, "volume-group[name=-vg]: name '-vg' is not an LVM name (starting with '-')" },
  { "vg-name-dotdot", vg_name_dotdot, "name '..' is not an LVM name ('.' or '..')" },
  { "vg-name-long", vg_name_long, "is not an LVM name (longer than 127 characters)" },
  { "lv-name-slash", lv_name_slash, "lv[name=a/b]: name 'a/b' is not an LVM name (not only letters" },
  { "lv-name-duplicate", lv_name_duplicate, "volume-group[name=vg0]/lv[name=root]: duplicate logical volume name 'root'" },
  { "vg-name-duplicate", vg_duplicate, "volume-group[name=vg0]: duplicate volume group name 'vg0'" },
  { "pv-bad-uuid", pv_bad_uuid, "pv[device=disk0/p2]: uuid '0b5a4c3e-8f3d-4c39-9d61-0c1f9b2f6a11' is not an LVM UUID (32 letters and digits, dashed 6-4-4-4-4-4-6)" },
  { "vg-bad-uuid", vg_bad_uuid, "volume-group[name=vg0]: uuid 'Hk2Vq1-8mZx-Rt4e-Wp0L-aB3c-Dd5E-fG6h!7' is not an LVM UUID" },
  { "lv-uuid-duplicate", lv_uuid_is_vg_uuid, "lv[name=root]: duplicate LVM uuid 'HK2VQ1-8mZx-Rt4e-Wp0L-aB3c-Dd5E-fG6hJ7'" },
  { "extent-odd", extent_odd, "volume-group[name=vg0]: extent of 3000 bytes (a power of two from 512, or a multiple of 128 KiB)" },
  { "extent-zero", extent_zero, "extent of 0 bytes" },
  { "lv-not-whole-extents", lv_not_extents, "lv[name=swap]: 1073741312 bytes is not a whole number of extents (4194304 bytes)" },
  { "lv-zero-bytes", lv_zero, "lv[name=swap]: a logical volume of 0 bytes" },
  { "lvs-exceed-pvs", lvs_exceed_pvs, "volume-group[name=vg0]: its logical volumes need 1281 extents, its physical volumes hold 1280" },
  { "pv-larger-than-device", pv_larger_than_device, "pv[device=disk2]: 1073742336 bytes, larger than its device (1073741824 bytes)" },
  { "segtype-thin-pool", segtype_thin, "lv[name=swap]: segment type 'thin-pool' is not one asr restores (linear, striped)" },
  { "vg-without-pv", vg_without_pv, "volume-group[name=vg0]: no physical volume" },
  { "metadata-name-clash", metadata_name_clash, "lv[name=root]/volume/image: duplicate image file name 'vg0-root.qcow2' (also used by volume-group[name=vg0]/metadata)" },
  { "metadata-bad-name", metadata_bad_name, "volume-group[name=vg0]/metadata: image file '../vg0' is a path" },
  { "lv-image-larger", lv_image_larger, "lv[name=root]/volume/image: image of 4294967297 bytes is larger than its logical volume (4294967296 bytes)" },
  { "md-bad-uuid", md_bad_uuid, "md-array[id=md0]: uuid '4e1a2b3c-5d6e-7f80-91a2-b3c4d5e6f708' is not an md UUID" },
  { "md-bad-level", md_bad_level, "md-array[id=md0]: level 'raid7' is not one of raid0, raid1, raid4, raid5, raid6, raid10" },
  { "md-bad-metadata", md_bad_metadata, "metadata '1.3' is not one of 0.90, 1.0, 1.1, 1.2" },
  { "raid1-one-member", raid1_one_member, "md-array[id=md0]: raid1 needs at least 2 active members, this array has 1" },
  { "raid1-member-and-spare", raid1_spare_only, "raid1 needs at least 2 active members, this array has 1" },
  { "raid5-two-members", raid5_two, "raid5 needs at least 3 active members, this array has 2" },
  { "raid6-three-members", raid6_three, "raid6 needs at least 4 active members, this array has 3" },
  { "md-duplicate-role", md_duplicate_role, "member[device=disk1/p1]: duplicate role 0" },
  { "md-role-out-of-range", md_role_out_of_range, "member[device=disk1/p1]: role 5, but the array has 2 active members (roles 0-1)" },
  { "md-chunk-on-raid1", md_chunk_on_raid1, "md-array[id=md0]: a chunk size on raid1, which has none" },
  { "md-chunk-odd", md_chunk_odd, "chunk of 5000 bytes is not a power of two of at least 4096" },
  { "md-name-on-0.90", md_name_on_090, "a name on metadata 0.90, which has none" },
  { "md-image-larger", md_image_larger, "md-array[id=md0]/volume/image: image of 2146435073 bytes is larger than its md array (2146435072 bytes)" },
  { "md-uuid-duplicate", md_uuid_duplicate, "md-array[id=md1]: duplicate md array uuid '4E1A2B3C:5d6e7f80:91a2b3c4:d5e6f708'" },
  { "luks-bad-uuid", luks_bad_uuid, "luks[id=crypt0]: uuid 'c0ffee00:1234' is not an RFC 4122 UUID" },
  { "luks-bad-type", luks_bad_type, "luks[id=crypt0]: type 'luks3' is not luks1 or luks2" },
  { "luks-plaintext-image", luks_plaintext, "luks[id=crypt0]/volume: an image of the volume inside a LUKS container (the backup never holds plaintext" },
  { "luks-image-larger", luks_image_larger, "luks[id=crypt0]/image: image of 1073741825 bytes is larger than its LUKS container (1073741824 bytes)" },
  { "luks-larger-than-device", luks_larger_than_device, "luks[id=crypt0]: 1073742336 bytes, larger than its device 'disk1/p2' (1073741824 bytes)" },
  { "luks-image-no-format", luks_image_no_format, "luks[id=crypt0]/image: image without a format" },
  { "luks-on-itself", luks_on_itself, "luks[id=crypt0]: sits on itself (its device references loop)" },
  { "md-luks-loop", md_luks_loop, "md-array[id=md0]: sits on itself (its device references loop)" },
  { "critical-lv-noncritical-disk", critical_lv_noncritical_disk, "volume-group[name=vg0]/lv[name=root]/volume: a critical volume on disk disk2, marked critical=\"no\" (a critical volume's whole stack is on critical disks)" },
  { "critical-md-noncritical-disk", critical_md_noncritical_disk, "md-array[id=md0]/volume: a critical volume on disk disk1, marked critical=\"no\"" },
  { "critical-md-two-noncritical-disks", critical_md_two_noncritical, "md-array[id=md0]/volume: a critical volume on disk disk0 and 1 more, marked critical=\"no\"" },
  { "critical-luks-on-md", critical_through_luks_on_md, "luks[id=crypt0]/volume: a critical volume on disk disk3, marked critical=\"no\"" },
  { "subvolumes-on-ext4", subvolumes_on_ext4, "md-array[id=md0]/volume: subvolumes on a filesystem of type ext4 (btrfs only)" },
  { "subvolume-duplicate-path", subvolume_duplicate_path, "volume/subvolume[path=@srv]: duplicate subvolume path" },
  { "subvolume-duplicate-id", subvolume_duplicate_id, "subvolume[path=@home]: duplicate subvolume id 256" },
  { "subvolume-bad-id", subvolume_bad_id, "subvolume[path=@srv]: id 100 is not a btrfs subvolume id (5, or 256 and above)" },
  { "subvolume-relative-mountpoint", subvolume_relative, "subvolume[path=@srv]: mountpoint 'srv' is not an absolute path" },
  { "subvolume-without-path", subvolume_no_path, "volume/subvolume: without a path" },
  { "btrfs-bad-uuid", btrfs_bad_uuid, "md-array[id=md0]/volume: btrfs uuid '1234-ABCD' is not an RFC 4122 UUID" },
  { "lv-relative-mountpoint", lv_relative_mountpoint, "lv[name=root]/volume: mountpoint 'root' is not an absolute path" },
};
/* clang-format on */

static void
test_valid (void)
{
  g_autoptr (MachineDescriptor) m = make_stack ();
  g_autoptr (GError) error = NULL;

  g_assert_true (machine_descriptor_check (m, "c.xml", &error));
  g_assert_no_error (error);
}

/* What passes the C checks passes the schema too, and reads back into the
 * same structs: format, parse, format gives the same bytes. */
static void
test_valid_parses_back (void)
{
  g_autoptr (MachineDescriptor) m = make_stack ();
  g_autoptr (MachineDescriptor) m2 = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = machine_descriptor_format (m, &error);
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  m2 = machine_descriptor_parse_data (text, strlen (text), "c.xml", &error);
  g_assert_no_error (error);
  again = machine_descriptor_format (m2, &error);
  g_assert_cmpstr (again, ==, text);
  g_assert_cmpuint (m2->volume_groups->len, ==, 1);
  g_assert_cmpuint (vg0 (m2)->pvs->len, ==, 2);
  g_assert_cmpstr (pv (m2, 1)->device, ==, "disk2");
  g_assert_cmpuint (lv (m2, 0)->bytes, ==, 4 * GIB);
  g_assert_cmpstr (lv (m2, 1)->segtype, ==, "striped");
  g_assert_cmpstr (md0 (m2)->level, ==, "raid1");
  g_assert_cmpuint (member (m2, 1)->role, ==, 1);
  g_assert_cmpstr (subvol (m2, 0)->mountpoint, ==, "/srv");
  g_assert_cmpuint (subvol (m2, 0)->id, ==, 256);
  g_assert_cmpstr (luks0 (m2)->volume->fs, ==, "xfs");
  g_assert_null (luks0 (m2)->volume->image);
  g_assert_cmpstr (luks0 (m2)->image->file, ==, "crypt0.qcow2");
  /* The stack comes after the disks, bottom layer first. */
  g_assert_true (
    strstr (text, "<disk id=\"disk2\" critical=\"yes\" bytes=\"1073741824\"/>\n  <md-array")
    != NULL);
  g_assert_true (strstr (text, "</md-array>\n  <luks") != NULL);
  g_assert_true (strstr (text, "</luks>\n  <volume-group") != NULL);
}

/* A spare has no role number, and says so. */
static void
test_spare (void)
{
  g_autoptr (MachineDescriptor) m = make_stack ();
  g_autoptr (MachineDescriptor) m2 = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  MachineDisk *d = new_disk (m, "disk3", GIB, MACHINE_PTABLE_NONE);
  MachineMdMember *mm = machine_md_member_new ("disk3", 0);

  mm->spare = TRUE;
  g_ptr_array_add (md0 (m)->members, mm);
  g_assert_true (machine_descriptor_check (m, "c.xml", &error));
  text = machine_descriptor_format (m, &error);
  g_assert_nonnull (strstr (text, "<member device=\"disk3\" role=\"spare\"/>"));
  m2 = machine_descriptor_parse_data (text, strlen (text), "c.xml", &error);
  g_assert_no_error (error);
  g_assert_true (member (m2, 2)->spare);
  (void) d;
}

static void
test_rule (gconstpointer data)
{
  const Rule *r = data;
  g_autoptr (MachineDescriptor) m = make_stack ();
  g_autoptr (GError) error = NULL;

  r->breaks (m);
  g_assert_false (machine_descriptor_check (m, "c.xml", &error));
  g_assert_error (error, MACHINE_ERROR, MACHINE_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, r->expected));
  g_assert_true (g_str_has_prefix (error->message, "c.xml: "));
}

static void
test_resolve (void)
{
  g_autoptr (MachineDescriptor) m = make_stack ();
  MachineDeviceRef r;

  g_assert_true (machine_descriptor_resolve (m, "DISK0/p2", &r));
  g_assert_true (r.disk == disk (m, 0));
  g_assert_true (r.partition == g_ptr_array_index (disk (m, 0)->partitions, 1));
  g_assert_true (machine_descriptor_resolve (m, "disk2", &r));
  g_assert_true (r.disk == disk (m, 2) && r.partition == NULL);
  g_assert_true (machine_descriptor_resolve (m, "MD0", &r));
  g_assert_true (r.md == md0 (m) && r.disk == NULL);
  g_assert_true (machine_descriptor_resolve (m, "crypt0", &r));
  g_assert_true (r.luks == luks0 (m));
  g_assert_false (machine_descriptor_resolve (m, "disk0/p9", &r));
  g_assert_false (machine_descriptor_resolve (m, "disk0/2", &r));
  g_assert_false (machine_descriptor_resolve (m, "disk0/p", &r));
  g_assert_false (machine_descriptor_resolve (m, "disk0/p02", &r));
  g_assert_false (machine_descriptor_resolve (m, "nothing", &r));
  g_assert_false (machine_descriptor_resolve (m, NULL, &r));
  g_assert_null (r.disk);
}

/* The walk from a device up: disk -> partition -> PV -> VG. */
static void
test_holder (void)
{
  g_autoptr (MachineDescriptor) m = make_stack ();
  MachineHolder h;

  g_assert_true (machine_descriptor_find_holder (m, "disk0/p2", &h));
  g_assert_true (h.vg == vg0 (m) && h.pv == pv (m, 0) && h.md == NULL && h.luks == NULL);
  g_assert_true (machine_descriptor_find_holder (m, "disk2", &h));
  g_assert_true (h.pv == pv (m, 1));
  g_assert_true (machine_descriptor_find_holder (m, "Disk1/p1", &h));
  g_assert_true (h.md == md0 (m) && h.member == member (m, 1) && h.vg == NULL);
  g_assert_true (machine_descriptor_find_holder (m, "disk1/p2", &h));
  g_assert_true (h.luks == luks0 (m));
  g_assert_false (machine_descriptor_find_holder (m, "disk0/p1", &h)); /* a plain volume */
  g_assert_false (machine_descriptor_find_holder (m, "md0", &h));      /* holds a volume */
  g_assert_false (machine_descriptor_find_holder (m, "disk9", &h));
}

static void
test_syntax (void)
{
  /* machine_descriptor_check is the way in: names and UUIDs one at a time. */
  static const char *const good_names[] = { "vg0", "ubuntu-vg", "a+b_c.d", "_x", ".x", "x-" };
  static const char *const bad_names[] = { "", "-a", ".", "..", "a b", "a/b", "é" };

  for (guint i = 0; i < G_N_ELEMENTS (good_names); i++)
    {
      g_autoptr (MachineDescriptor) m = make_stack ();
      g_autoptr (GError) error = NULL;
      set_str (&vg0 (m)->name, good_names[i]);
      g_assert_true (machine_descriptor_check (m, "c.xml", &error));
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_names); i++)
    {
      g_autoptr (MachineDescriptor) m = make_stack ();
      g_autoptr (GError) error = NULL;
      set_str (&lv (m, 0)->name, bad_names[i]);
      g_assert_false (machine_descriptor_check (m, "c.xml", &error));
      g_assert_nonnull (strstr (error->message, "is not an LVM name"));
    }
}

static void
test_free_null (void)
{
  machine_subvolume_free (NULL);
  machine_physical_volume_free (NULL);
  machine_logical_volume_free (NULL);
  machine_volume_group_free (NULL);
  machine_md_member_free (NULL);
  machine_md_array_free (NULL);
  machine_luks_free (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/machine/stack/valid", test_valid);
  g_test_add_func ("/machine/stack/valid-parses-back", test_valid_parses_back);
  g_test_add_func ("/machine/stack/md-spare", test_spare);
  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      g_autofree char *path = g_strdup_printf ("/machine/stack/check/%s", rules[i].name);
      g_test_add_data_func (path, &rules[i], test_rule);
    }
  g_test_add_func ("/machine/stack/resolve", test_resolve);
  g_test_add_func ("/machine/stack/holder", test_holder);
  g_test_add_func ("/machine/stack/lvm-names", test_syntax);
  g_test_add_func ("/machine/stack/free-null", test_free_null);
  return g_test_run ();
}
