/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine descriptor: the C model of machine.xml (xml-schemas/machine.rng).
 *
 * One model serves a captured machine (with images) and a probed target
 * (without).  Conventions, as in the schema:
 *   - a NULL string means the attribute is absent (unknown); "" means it is
 *     known to be empty;
 *   - an integer that may be absent has a has_* flag beside it;
 *   - sizes are bytes or sectors, named so, always guint64.
 *
 * Later work adds behaviour (filling fields), never renames.
 */
#pragma once

#include <glib.h>

#include "file.h"

G_BEGIN_DECLS

#define MACHINE_DESCRIPTOR_VERSION 1
/* Largest machine.xml we read: bounds memory before libxml2 sees a byte. */
#define MACHINE_DESCRIPTOR_MAX_BYTES (16u * 1024u * 1024u)
#define MACHINE_DESCRIPTOR_FILENAME "machine.xml"

#define MACHINE_ERROR (machine_error_quark ())
GQuark machine_error_quark (void);

typedef enum {
  MACHINE_ERROR_IO,        /* the file could not be read or written */
  MACHINE_ERROR_TOO_LARGE, /* above MACHINE_DESCRIPTOR_MAX_BYTES */
  MACHINE_ERROR_MALFORMED, /* not well-formed XML, DOCTYPE, bad encoding */
  MACHINE_ERROR_SCHEMA,    /* does not validate against machine.rng */
  MACHINE_ERROR_INVALID,   /* validates, but means something impossible */
  MACHINE_ERROR_NO_SCHEMA, /* machine.rng not found or unusable */
} MachineError;

/* Three states for yes/no attributes: absent means unknown. */
typedef enum {
  MACHINE_TRISTATE_UNKNOWN = 0,
  MACHINE_TRISTATE_NO,
  MACHINE_TRISTATE_YES,
} MachineTristate;

typedef enum {
  MACHINE_FIRMWARE_UNKNOWN = 0,
  MACHINE_FIRMWARE_BIOS,
  MACHINE_FIRMWARE_UEFI,
} MachineFirmware;

typedef enum {
  MACHINE_PTABLE_NONE = 0, /* no <partition-table>: blank or unknown */
  MACHINE_PTABLE_MBR,
  MACHINE_PTABLE_GPT,
} MachinePtableType;

typedef enum {
  MACHINE_PARTITION_KIND_UNKNOWN = 0, /* GPT partitions have no kind */
  MACHINE_PARTITION_KIND_PRIMARY,
  MACHINE_PARTITION_KIND_EXTENDED,
  MACHINE_PARTITION_KIND_LOGICAL,
} MachinePartitionKind;

typedef enum {
  MACHINE_CONTROLLER_STORAGE = 0,
  MACHINE_CONTROLLER_NETWORK,
  MACHINE_CONTROLLER_VIDEO,
} MachineControllerClass;

/* String tables for the enums: the XML spelling.  _from_string returns
 * FALSE for an unknown spelling. */
const char *machine_tristate_to_string (MachineTristate v);
const char *machine_firmware_to_string (MachineFirmware v);
const char *machine_ptable_type_to_string (MachinePtableType v);
const char *machine_partition_kind_to_string (MachinePartitionKind v);
const char *machine_controller_class_to_string (MachineControllerClass v);
gboolean machine_tristate_from_string (const char *s, MachineTristate *out);
gboolean machine_firmware_from_string (const char *s, MachineFirmware *out);
gboolean machine_ptable_type_from_string (const char *s, MachinePtableType *out);
gboolean machine_partition_kind_from_string (const char *s, MachinePartitionKind *out);
gboolean machine_controller_class_from_string (const char *s, MachineControllerClass *out);

/* <origin><source disk= path= format=/> */
typedef struct {
  char *disk; /* disk id, e.g. "disk0" */
  char *path;
  char *format; /* qemu format name */
  guint line;   /* line in the file read, 0 if built in C */
} MachineSource;

/* <origin captured= tool=> */
typedef struct {
  char *captured;     /* ISO 8601 UTC, e.g. 2026-11-25T15:00:00Z */
  char *tool;         /* "asr 0.1.0" */
  GPtrArray *sources; /* MachineSource* */
} MachineOrigin;

/* <os name= version= hostname=/> */
typedef struct {
  char *name;
  char *version;
  char *hostname;
} MachineOs;

/* <controller class= bus= address= vendor-id= device-id= driver= mac= model=/> */
typedef struct {
  MachineControllerClass klass;
  char *bus;       /* "pci", "usb", ... */
  char *address;   /* bus address, e.g. 0000:00:01.1 */
  char *vendor_id; /* "0x8086" */
  char *device_id; /* "0x7010" */
  char *driver;    /* kernel driver, e.g. ata_piix */
  char *model;     /* libvirt model name where the source is a domain */
  char *mac;       /* network only */
  guint line;
} MachineController;

/* <hardware> */
typedef struct {
  char *architecture; /* x86_64, aarch64 */
  MachineFirmware firmware;
  char *system_vendor; /* <system vendor= product=/> */
  char *system_product;
  char *machine_type; /* <system machine-type=/>: libvirt machine type, e.g. pc-i440fx-7.2 */
  char *cpu_vendor;   /* <cpu vendor= model= count=/> */
  char *cpu_model;
  guint32 cpu_count;
  gboolean has_cpu_count;
  guint64 memory_bytes; /* <memory bytes=/> */
  gboolean has_memory_bytes;
  GPtrArray *controllers; /* MachineController* */
} MachineHardware;

/* <image file= format= bytes= checksum=/>: a volume image in the backup set */
typedef struct {
  char *file;     /* plain name inside the backup directory */
  char *format;   /* "qcow2" */
  guint64 bytes;  /* guest-visible size */
  char *checksum; /* "asr-sha256-64k:<hex>" */
  guint line;
} MachineImage;

/* <subvolume path= id= mountpoint=/>: a btrfs subvolume of its volume */
typedef struct {
  char *path; /* inside the filesystem, e.g. "@" or "@home" */
  guint64 id; /* btrfs subvolume id (5 is the top level) */
  gboolean has_id;
  char *mountpoint; /* where it is mounted, NULL if not */
  guint line;
} MachineSubvolume;

/* <volume fs= uuid= label= mountpoint= critical=> */
typedef struct {
  char *fs; /* ext4, xfs, vfat, swap, ...; NULL = none found */
  char *uuid;
  char *label;
  char *mountpoint;
  MachineTristate critical;
  GPtrArray *subvolumes; /* MachineSubvolume*: btrfs only */
  MachineImage *image;   /* NULL: not captured */
  guint line;
} MachineVolume;

/* <partition number= kind= start= sectors= type= guid= name= attributes= bootable=> */
typedef struct {
  guint32 number;
  MachinePartitionKind kind;
  guint64 start; /* in logical sectors */
  guint64 sectors;
  char *type;         /* MBR: "0x83"; GPT: type GUID */
  char *guid;         /* GPT partition GUID */
  char *name;         /* GPT partition name */
  guint64 attributes; /* GPT attribute bits */
  gboolean has_attributes;
  MachineTristate bootable; /* MBR active flag */
  MachineVolume *volume;    /* NULL: nothing recorded on it */
  guint line;
} MachinePartition;

/* <boot-area bytes= image= checksum=/> */
typedef struct {
  guint64 bytes;
  char *image; /* plain name inside the backup directory, NULL if not captured */
  char *checksum;
  guint line;
} MachineBootArea;

/* <in-use reason= detail=/> (probe only) */
typedef struct {
  char *reason; /* mounted | swap | held | running-system | backup-set | locked */
  char *detail;
} MachineInUse;

/* <disk id= critical= boot= bytes= logical-sector= physical-sector= bus= model= serial= wwn=> */
typedef struct {
  char *id;
  MachineTristate critical;
  MachineTristate boot;
  guint64 bytes;
  gboolean has_bytes;
  guint32 logical_sector;  /* 0 = unknown */
  guint32 physical_sector; /* 0 = unknown */
  char *bus;
  char *model;
  char *serial;
  char *wwn;
  GPtrArray *by_id;    /* char*: <by-id> names */
  GPtrArray *in_use;   /* MachineInUse* */
  gboolean incomplete; /* <incomplete/>: an interrupted restore */
  MachinePtableType ptable;
  char *signature; /* MBR disk signature, "0x1234abcd" */
  char *guid;      /* GPT disk GUID */
  /* <partition-table unreadable=>: probe found a table it could not read
   * (why, for the user); type, signature and GUID are what it could still
   * read, and no partitions are recorded.  NULL: read, or none found. */
  char *ptable_unreadable;
  /* GPT geometry, from <partition-table first-usable= entries-start=
   * entries= entry-bytes=>; 0 = unknown.  Restore needs them to write the
   * header the source had (sfdisk's first usable LBA is 2048, not 34). */
  guint64 gpt_first_usable;  /* LBA */
  guint64 gpt_entries_start; /* LBA of the primary entry array */
  guint32 gpt_entries;       /* number of entries */
  guint32 gpt_entry_bytes;   /* size of one entry */
  MachineBootArea *boot_area;
  GPtrArray *partitions; /* MachinePartition*, in document order */
  guint line;            /* of <disk>; of <partition-table> below */
  guint ptable_line;
} MachineDisk;

/*
 * The storage stack between partitions and volumes.  Each layer names the
 * device it sits on with a device reference (the attribute device=):
 *   "disk0"      the whole disk disk0 (which then has no partition table),
 *   "disk0/p2"   partition 2 of disk0,
 *   "md0"        the md array whose id is md0,
 *   "crypt-srv"  the LUKS container whose id is crypt-srv.
 * Disk, md array and LUKS ids share one namespace.  The reference is the
 * only link: a partition does not repeat what it carries, so nothing can
 * disagree; machine_descriptor_find_holder walks the other way.
 */

/* <pv uuid= device= bytes= pe-start=> <image/>? </pv>: an LVM physical
 * volume.  Its image, when captured, is the PV's first pe-start bytes: the
 * label and the metadata area, which hold every LVM identity (PV, VG and LV
 * UUIDs and names) and the LVs' segments, as LVM wrote them. */
typedef struct {
  char *uuid;    /* LVM form: 32 characters, dashed 6-4-4-4-4-4-6 */
  char *device;  /* device reference */
  guint64 bytes; /* the PV's size as LVM records it (pv_size) */
  gboolean has_bytes;
  guint64 pe_start; /* bytes from the start of the device to extent 0 */
  gboolean has_pe_start;
  MachineImage *image; /* [0, pe_start) of the device; NULL: not captured */
  guint line;
} MachinePhysicalVolume;

/* <segment start-extent= extents= pv= pv-extent=/>: extents
 * [start-extent, start-extent + extents) of a logical volume lie on the
 * physical volume whose UUID is pv, from its extent pv-extent on. */
typedef struct {
  guint64 start_extent;
  guint64 extents;
  char *pv; /* the PV's uuid */
  guint64 pv_extent;
  guint line;
} MachineLvSegment;

/* <lv name= uuid= bytes= segtype=> <segment/>* <volume/>? </lv> */
typedef struct {
  char *name;
  char *uuid;
  guint64 bytes;
  char *segtype;         /* "linear" or "striped": the ones asr restores */
  GPtrArray *segments;   /* MachineLvSegment*, in start-extent order */
  MachineVolume *volume; /* NULL: nothing recorded on it */
  guint line;
} MachineLogicalVolume;

/* <volume-group name= uuid= extent-bytes=> */
typedef struct {
  char *name;
  char *uuid;
  guint64 extent_bytes;
  char *metadata_file;     /* <metadata file=>: vgcfgbackup text in the backup set */
  char *metadata_checksum; /* <metadata checksum=> */
  GPtrArray *pvs;          /* MachinePhysicalVolume* */
  GPtrArray *lvs;          /* MachineLogicalVolume* */
  guint line;
  guint metadata_line;
} MachineVolumeGroup;

/* <member device= role=/>: one device of an md array */
typedef struct {
  char *device;        /* device reference */
  guint32 role;        /* slot in the array, from 0 */
  gboolean spare;      /* role="spare": no slot */
  guint64 data_offset; /* <member data-offset=>: bytes before the array's data */
  gboolean has_data_offset;
  MachineImage *image; /* [0, data-offset) of the member: its superblock area */
  guint line;
} MachineMdMember;

/* <md-array id= uuid= name= level= metadata= chunk-bytes= bytes=> */
typedef struct {
  char *id;       /* device reference of the array, e.g. "md0" */
  char *uuid;     /* mdadm's form: 4 groups of 8 hex digits joined by ':' */
  char *name;     /* "host:name" (metadata 1.x), NULL if none */
  char *level;    /* raid0, raid1, raid4, raid5, raid6, raid10 */
  char *metadata; /* 0.90, 1.0, 1.1, 1.2 */
  guint64 chunk_bytes;
  gboolean has_chunk_bytes;
  guint64 bytes; /* size of the assembled array */
  gboolean has_bytes;
  GPtrArray *members;    /* MachineMdMember* */
  MachineVolume *volume; /* NULL: nothing, or an LVM PV or LUKS on it */
  guint line;
} MachineMdArray;

/* <luks id= uuid= type= device= bytes=>: a LUKS container, captured whole
 * (encrypted bytes, header included): the backup never holds plaintext. */
typedef struct {
  char *id;      /* device reference of the opened container */
  char *uuid;    /* RFC 4122 */
  char *type;    /* luks1 or luks2 */
  char *device;  /* device reference of what it sits on */
  guint64 bytes; /* size of the container (its device) */
  gboolean has_bytes;
  MachineImage *image;   /* the encrypted bytes; NULL: not captured */
  MachineVolume *volume; /* what is inside, when known; never an image */
  guint line;
} MachineLuks;

/* <machine version=> */
typedef struct {
  guint32 version;
  MachineOrigin *origin;     /* NULL: absent */
  MachineOs *os;             /* NULL: absent */
  MachineHardware *hardware; /* NULL: absent */
  GPtrArray *disks;          /* MachineDisk* */
  GPtrArray *md_arrays;      /* MachineMdArray* */
  GPtrArray *luks;           /* MachineLuks* */
  GPtrArray *volume_groups;  /* MachineVolumeGroup* */
  /* Private: machine_descriptor_find_disk()'s index (id folded to lower
   * case -> 1 + the position of the first disk with it), rebuilt when
   * @disks has changed length or a hit no longer matches. */
  GHashTable *disk_index;
  guint disk_index_len;
} MachineDescriptor;

/* Constructors return zeroed structs with their arrays allocated.  Every
 * _free accepts NULL. */
MachineDescriptor *machine_descriptor_new (void);
MachineOrigin *machine_origin_new (void);
MachineSource *machine_source_new (void);
MachineOs *machine_os_new (void);
MachineHardware *machine_hardware_new (void);
MachineController *machine_controller_new (MachineControllerClass klass);
MachineDisk *machine_disk_new (const char *id);
MachineBootArea *machine_boot_area_new (void);
MachineInUse *machine_in_use_new (const char *reason, const char *detail);
MachinePartition *machine_partition_new (guint32 number);
MachineVolume *machine_volume_new (void);
MachineImage *machine_image_new (void);
MachineSubvolume *machine_subvolume_new (const char *path);
MachinePhysicalVolume *machine_physical_volume_new (void);
MachineLogicalVolume *machine_logical_volume_new (const char *name);
MachineLvSegment *machine_lv_segment_new (void);
MachineVolumeGroup *machine_volume_group_new (const char *name);
MachineMdMember *machine_md_member_new (const char *device, guint32 role);
MachineMdArray *machine_md_array_new (const char *id);
MachineLuks *machine_luks_new (const char *id);

void machine_descriptor_free (MachineDescriptor *m);
void machine_origin_free (MachineOrigin *o);
void machine_source_free (MachineSource *s);
void machine_os_free (MachineOs *o);
void machine_hardware_free (MachineHardware *h);
void machine_controller_free (MachineController *c);
void machine_disk_free (MachineDisk *d);
void machine_boot_area_free (MachineBootArea *b);
void machine_in_use_free (MachineInUse *u);
void machine_partition_free (MachinePartition *p);
void machine_volume_free (MachineVolume *v);
void machine_image_free (MachineImage *i);
void machine_subvolume_free (MachineSubvolume *s);
void machine_physical_volume_free (MachinePhysicalVolume *pv);
void machine_logical_volume_free (MachineLogicalVolume *lv);
void machine_lv_segment_free (MachineLvSegment *s);
void machine_volume_group_free (MachineVolumeGroup *vg);
void machine_md_member_free (MachineMdMember *mm);
void machine_md_array_free (MachineMdArray *md);
void machine_luks_free (MachineLuks *l);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineDescriptor, machine_descriptor_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineOrigin, machine_origin_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineSource, machine_source_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineOs, machine_os_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineHardware, machine_hardware_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineController, machine_controller_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineDisk, machine_disk_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineBootArea, machine_boot_area_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineInUse, machine_in_use_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachinePartition, machine_partition_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineVolume, machine_volume_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineImage, machine_image_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineSubvolume, machine_subvolume_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachinePhysicalVolume, machine_physical_volume_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineLogicalVolume, machine_logical_volume_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineLvSegment, machine_lv_segment_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineVolumeGroup, machine_volume_group_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineMdMember, machine_md_member_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineMdArray, machine_md_array_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineLuks, machine_luks_free)

/* Lookups; NULL when absent.  A disk is found in constant time (a
 * descriptor may have many thousands), the others by a scan. */
MachineDisk *machine_descriptor_find_disk (const MachineDescriptor *m, const char *id);
MachinePartition *machine_disk_find_partition (const MachineDisk *d, guint32 number);
/* The <source> of disk @disk_id in @m's origin: where its image or device is. */
MachineSource *machine_descriptor_find_source (const MachineDescriptor *m, const char *disk_id);

/* The physical volume of @vg whose UUID is @uuid (without case), NULL if none. */
MachinePhysicalVolume *machine_volume_group_find_pv (const MachineVolumeGroup *vg,
                                                     const char *uuid);

/* What a device reference names: exactly one of the four is set, or none
 * when nothing has that name. */
typedef struct {
  MachineDisk *disk;           /* the whole disk, or the disk of @partition */
  MachinePartition *partition; /* set for "DISK/pN" */
  MachineMdArray *md;
  MachineLuks *luks;
} MachineDeviceRef;

/* Resolves @ref ("disk0", "disk0/p2", an md array id, a LUKS id); ids are
 * compared without case.  FALSE when it names nothing. */
gboolean machine_descriptor_resolve (const MachineDescriptor *m, const char *ref,
                                     MachineDeviceRef *out);

/* What sits on device @ref: the walk from a partition up the stack.  At
 * most one of the three is set (the checks refuse a device that carries
 * two); the md array is returned through its member. */
typedef struct {
  MachineVolumeGroup *vg; /* with @pv, its physical volume */
  MachinePhysicalVolume *pv;
  MachineMdArray *md; /* with @member */
  MachineMdMember *member;
  MachineLuks *luks;
} MachineHolder;
gboolean machine_descriptor_find_holder (const MachineDescriptor *m, const char *ref,
                                         MachineHolder *out);

/* An RFC 4122 UUID (36 characters, dashed 8-4-4-4-12). */
gboolean machine_is_guid (const char *s);
/* A disk, md or LUKS id as machine.rng allows it. */
gboolean machine_is_disk_id (const char *s);
/* LVM's UUID form: 32 letters and digits, dashed 6-4-4-4-4-4-6. */
gboolean machine_is_lvm_uuid (const char *s);
/* NULL if @s is a VG or LV name LVM accepts, else why not. */
const char *machine_lvm_name_problem (const char *s);

/* A file of the backup set that the descriptor names: every image (boot
 * areas, volumes, LUKS containers, LVM label areas, logical volumes) and
 * the LVM metadata text.  The strings belong to the descriptor. */
typedef struct {
  const MachineDisk *disk; /* its disk (boot areas, partitions); NULL: the storage stack */
  const char *file;
  const char *format; /* NULL: a boot area (qcow2) or a text file */
  guint64 bytes;      /* guest-visible size; 0 for a text file */
  const char *checksum;
  gboolean text; /* not an image: LVM metadata, checked by checksum only */
  char *what;    /* for messages: "disk0 partition 2 (/)", "logical volume vg0/root (/)" */
} MachineFileRef;
void machine_file_ref_free (MachineFileRef *r);
/* Every file the descriptor names, disks first, in document order. */
GPtrArray *machine_descriptor_list_files (const MachineDescriptor *m);

/* The rules every part of asr applies alike. */
gboolean machine_partition_is_esp (const MachineDisk *d, const MachinePartition *p);
gboolean machine_mountpoint_is_critical (const char *mountpoint);

/* The logical sector size, 512 when unknown: what start and sectors count. */
guint32 machine_disk_sector_size (const MachineDisk *d);

/* --- a disk's layout on a target of another size (machine-layout.c) ---- */

/* Whether asr grows filesystem @fs: ext2, ext3, ext4, xfs, btrfs. */
gboolean machine_fs_grows (const char *fs);
/* Whether asr shrinks filesystem @fs: ext2, ext3, ext4 (in a private overlay
 * of its image), vfat and xfs (recreated smaller, their files copied). */
gboolean machine_fs_shrinks (const char *fs);
/* Of those, the ones shrunk by recreating them smaller and copying their
 * files (vfat, xfs), not in place. */
gboolean machine_fs_shrinks_by_copy (const char *fs);

typedef struct {
  guint64 start; /* logical sectors */
  guint64 sectors;
} MachineExtent;

/* A partition --shrink makes smaller. */
typedef struct {
  const MachinePartition *partition;
  guint64 min_bytes; /* the least it keeps: its filesystem's minimum and the margin, or
                      * swap's; 0 not known */
  guint64 lost;      /* sectors it gives up */
} MachineShrink;

/* Where each partition of one source disk lies on a target, and which
 * volume --grow or --shrink resizes there (docs/asr-restore.1, DISKS OF
 * OTHER SIZES). */
typedef struct {
  const MachineDisk *disk;
  guint64 target_sectors;
  MachineExtent *extents; /* one per disk->partitions, in that order */
  char *grow_mountpoint;  /* the mount point of the option that applies; NULL: none */
  /* The partition that takes (or gives) the space (NULL: nothing resized
   * on this disk: no option for this size, no room, or the volume is on
   * another disk); the partitions after it move that far. */
  const MachinePartition *grown;
  guint64 gained;   /* --grow: sectors it gains */
  guint64 lost;     /* --shrink: sectors it gives up */
  gboolean shrinks; /* the target is smaller: --shrink's layout */
  gboolean moves;
  gboolean holds; /* the volume is on this disk (grown NULL: no room) */
  /* What is resized with it: its filesystem, or an LVM physical volume
   * whose group's logical volume @grow_lv takes the new extents and whose
   * filesystem grows. */
  const MachineVolume *grow_volume;
  const MachineVolumeGroup *grow_vg;
  const MachineLogicalVolume *grow_lv;
  /* --shrink: each partition that gives up space, in the option's order
   * (@grown is the first); empty for --grow */
  GArray *shrunk; /* MachineShrink */
} MachineLayout;

/* --shrink: the least the filesystem on partition @p of @d (captured in the
 * backup) may have once shrunk: its minimum plus the margin
 * (docs/asr-restore.1); *@min_bytes 0: not known here, checked when
 * shrunk.  FALSE with @error: it cannot be measured. */
typedef gboolean (*MachineMinBytesFunc) (const MachineDisk *d, const MachinePartition *p,
                                         guint64 *min_bytes, void *opaque, GError **error);

typedef struct {
  const char *grow; /* --grow: the mount point of the volume that takes a larger target's space */
  /* --shrink: what gives up what a smaller target lacks, in this order,
   * comma-separated: mount points, and "swap" for the swap partitions */
  const char *shrink;
  MachineMinBytesFunc min_bytes; /* NULL: no minimum known here */
  void *min_bytes_opaque;
} MachineLayoutOptions;

/* The least a swap partition keeps under --shrink (or its size, when
 * smaller). */
#define MACHINE_SWAP_MIN_BYTES (64u * 1024u * 1024u)

/* The layout of @d on a target of @target_bytes: a larger target with
 * @o->grow, a smaller one with @o->shrink; otherwise (or @o NULL) every
 * partition where the source had it.  MACHINE_ERROR_INVALID, naming the
 * volume and why, when it cannot be done: nothing mounted there, a
 * filesystem asr does not resize, an md array or LUKS container (or, to
 * shrink, LVM) under it, a partition found by sector (bootable, BIOS
 * boot) that would move, too little room for the minimums. */
MachineLayout *machine_layout_new (const MachineDescriptor *m, const MachineDisk *d,
                                   guint64 target_bytes, const MachineLayoutOptions *o,
                                   GError **error);
void machine_layout_free (MachineLayout *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MachineLayout, machine_layout_free)
/* Where partition @p of the layout's disk lies on the target. */
const MachineExtent *machine_layout_extent (const MachineLayout *l, const MachinePartition *p);
/* What --shrink takes from @p; NULL: it does not shrink. */
const MachineShrink *machine_layout_shrink_of (const MachineLayout *l, const MachinePartition *p);

/* --- schema location --------------------------------------------------- */

/* The directory holding machine.rng: $ASR_SCHEMA_DIR if set; else the
 * build tree's xml-schemas/ next to the running binary; else the installed
 * data directory.  Never NULL; the file may still be missing. */
char *machine_schema_dir (void);

/* --- reading ------------------------------------------------------------ */

/* Parse, validate against machine.rng, then check meaning.  @name is used
 * in messages ("name:line: ...").  Bounded: data above
 * MACHINE_DESCRIPTOR_MAX_BYTES, any DOCTYPE, entities, non-canonical
 * integers are refused.  Errors are MACHINE_ERROR; a message may hold
 * several lines, one per problem, each "name:line: message". */
MachineDescriptor *machine_descriptor_parse_data (const char *data, gsize len, const char *name,
                                                  GError **error);
MachineDescriptor *machine_descriptor_parse_file (const char *path, GError **error);

/* Meaning checks only (duplicate ids, overlaps, ...): run by the parser,
 * and by writers before they write.  @name as above.  Problems name the
 * element (disk[id=disk0]/partition[number=2]) and, for structs that came
 * from a file (line != 0), its line: "name:line: disk[id=disk0]/...: ...". */
gboolean machine_descriptor_check (const MachineDescriptor *m, const char *name, GError **error);

/* --- the backup set on disk --------------------------------------------- */

/*
 * Whether @path, followed through symlinks, is the backup-set directory
 * @backup_dir or one of the files in it (machine.xml, an image, anything
 * else there), compared by device and inode, so another name, a hard link
 * or a symlink still matches; a block device also matches when the set
 * lives on a file system on that very device, on a partition of it or on
 * a device stacked on it, and a loop device matches when its backing file
 * is such a file or holds the set (util/storage.h).  Restore must never write
 * such a target: it would destroy the backup it reads.
 * Returns TRUE and *member (NULL when not a member; otherwise the name in
 * the set, "." for the directory itself or the device under it), FALSE
 * with @error (MACHINE_ERROR_IO) when the set cannot be listed.  A @path
 * that does not exist is no member.
 */
gboolean machine_backup_set_find_member (const char *backup_dir, const char *path, char **member,
                                         GError **error);

/* --- writing ------------------------------------------------------------ */

/* Canonical XML: fixed element and attribute order, two-space indent,
 * no empty elements, trailing newline.  parse → format is byte-identical
 * for canonical input. */
char *machine_descriptor_format (const MachineDescriptor *m, GError **error);

/* Format, check, and write atomically (temporary file, fsync, rename)
 * with the given mode (0600 for backup sets). */
gboolean machine_descriptor_write_file (const MachineDescriptor *m, const char *path, int mode,
                                        GError **error);

G_END_DECLS
