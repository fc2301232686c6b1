/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probe — what a SOURCE or TARGET is, read without writing anything.
 *
 *   - image files: qemu-img info under resource limits, with the safety
 *     rules capture and probe share (no backing file, no external data
 *     file, a virtual size ceiling, no truncated or corrupt image);
 *   - block devices: size, sector sizes, identity (model, serial, WWN,
 *     /dev/disk/by-id) and whether anything uses them;
 *   - `local`: this machine's hardware and disks (sysfs, DMI, /proc);
 *   - `domain:NAME`: a libvirt domain's hardware and disks (its XML).
 *
 * Everything here reads; nothing is written, block devices are opened
 * O_RDONLY.  Library code: errors are GErrors, nothing is printed.
 */
#pragma once

#include <glib.h>

#include "machine.h"
#include "run.h"

G_BEGIN_DECLS

#define ASR_PROBE_ERROR (asr_probe_error_quark ())
GQuark asr_probe_error_quark (void);

typedef enum {
  /* the input is not acceptable: missing, not an image, refused by a
   * safety rule, a malformed domain XML... (exit status 2) */
  ASR_PROBE_ERROR_INVALID_INPUT,
  /* the host failed us: qemu-img missing, I/O error, libvirt (exit 3) */
  ASR_PROBE_ERROR_RUNTIME,
} AsrProbeError;

/* ---- safe image info (shared with capture) ---------------------------- */

/* Images declaring a larger virtual size are refused: a typo or a hostile
 * header, never a disk asr should try to copy or plan for. */
#define ASR_IMAGE_MAX_VIRTUAL_BYTES (G_GUINT64_CONSTANT (64) << 40) /* 64 TiB */
/* Limits on the qemu-img child: a crafted image must not take the host
 * down with it. */
#define ASR_IMAGE_PROBE_MAX_AS_BYTES (G_GUINT64_CONSTANT (1) << 30) /* 1 GiB */
#define ASR_IMAGE_PROBE_MAX_CPU_SECONDS 10
#define ASR_IMAGE_PROBE_TIMEOUT_SECONDS 30

/* How a program runs on an untrusted image (util/run.h): under these
 * limits, in the C locale (its messages end up in ours and in tests), its
 * stderr tail the last line without "qemu-img: ".  For qemu-img, and
 * blkid on a capture's disks. */
void asr_probe_run_options_image (AsrRunOptions *o);

typedef struct {
  char *path;   /* as given */
  char *format; /* qemu format name: "raw", "qcow2", ... */
  gboolean is_block_device;
  guint64 virtual_bytes; /* guest-visible size */
  guint64 actual_bytes;  /* space used on the host; 0 if unknown */
  guint64 cluster_bytes; /* 0 if the format has none */
  /* block devices only (0 = unknown); images are 512/512 */
  guint32 logical_sector;
  guint32 physical_sector;
  gboolean dirty;   /* qemu-img info "dirty-flag" (an unclean qcow2) */
  gboolean corrupt; /* never TRUE in a returned info: refused */
} AsrImageInfo;

/*
 * What path is, checked safely.  @format: the qemu format to use as given
 * (capture's --format), or NULL to probe it.
 *
 * Block devices: format raw, sizes from ioctls; no qemu-img.
 * Regular files: `qemu-img info --output=json --force-share` (a source may
 * be in use by a running VM: we only read its metadata, and capture works
 * from a private overlay), then `qemu-img check` where the format supports
 * it, both as children limited to ASR_IMAGE_PROBE_MAX_AS_BYTES of address
 * space, ASR_IMAGE_PROBE_MAX_CPU_SECONDS of CPU, no file writes, and
 * ASR_IMAGE_PROBE_TIMEOUT_SECONDS of wall time.
 *
 * Refused with ASR_PROBE_ERROR_INVALID_INPUT, the message saying why:
 * missing path, not a regular file or block device, an empty file, a raw
 * image whose size is not a multiple of 512 (a raw image is any other
 * regular file: a text file of 1024 bytes is a valid raw disk, as qemu sees
 * it), a file qemu-img cannot open in that format, a truncated or corrupt
 * image, any backing file (named in the message), an external data file,
 * a virtual size above ASR_IMAGE_MAX_VIRTUAL_BYTES.
 * ASR_PROBE_ERROR_RUNTIME: qemu-img missing or could not be started, I/O
 * errors on a device.
 */
AsrImageInfo *asr_image_info_probe (const char *path, const char *format, GError **error);
void asr_image_info_free (AsrImageInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsrImageInfo, asr_image_info_free)

/* ---- reading a few sectors of a target -------------------------------- */

/*
 * Reads the guest-visible content of an image or device: a raw file or a
 * block device directly (pread on an O_RDONLY fd), any other format
 * through `qemu-img dd` under the same limits as the info probe (the head
 * of the disk is read once and cached, so a partition table costs one
 * child).  Used to read partition tables and the incomplete-restore marker.
 */
typedef struct _AsrDiskReader AsrDiskReader;

/* @info: from asr_image_info_probe (or made by the caller for a device). */
AsrDiskReader *asr_disk_reader_open (const AsrImageInfo *info, GError **error);
gboolean asr_disk_reader_pread (AsrDiskReader *r, void *buf, gsize len, guint64 offset,
                                GError **error);
void asr_disk_reader_free (AsrDiskReader *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsrDiskReader, asr_disk_reader_free)

/* ---- the incomplete-restore marker ------------------------------------ */

/*
 * Restore writes this into sector 0 of a target disk before anything else
 * and removes it (by writing the real boot area) last, so a disk left by an
 * interrupted restore is recognisable: bytes 0..15 are ASR_INCOMPLETE_MAGIC
 * (16 bytes, the last two NUL), bytes 16..51 the 36-character id of the
 * backup being restored (a UUID in text form).  Probe reports <incomplete/>.
 * Bytes 440..511 (MBR signature and table) are not part of the marker.
 */
#define ASR_INCOMPLETE_MAGIC "ASR-INCOMPLETE\0\0"
#define ASR_INCOMPLETE_MAGIC_BYTES 16u
#define ASR_INCOMPLETE_ID_OFFSET 16u
#define ASR_INCOMPLETE_ID_BYTES 36u
#define ASR_INCOMPLETE_MARKER_BYTES (ASR_INCOMPLETE_ID_OFFSET + ASR_INCOMPLETE_ID_BYTES)

/* Writes the marker into the first ASR_INCOMPLETE_MARKER_BYTES of @sector
 * (which has at least that many bytes); @backup_id is 36 printable ASCII
 * characters.  For restore: the one place the layout is spelled out. */
void asr_incomplete_marker_fill (guint8 *sector, const char *backup_id);
/* TRUE if @sector (len bytes, the start of sector 0) carries the marker;
 * @backup_id (optional) gets the id.  An id that is not 36 printable
 * characters does not count as a marker. */
gboolean asr_incomplete_marker_parse (const guint8 *sector, gsize len, char **backup_id);

/* ---- block devices ----------------------------------------------------- */

/*
 * Where the host's /sys, /proc, /dev and /run are.  NULL or "/" is this
 * machine.  Tests pass a fake tree (or set ASR_PROBE_ROOT, read only by
 * asr_probe_targets(), for tests only): sysfs under ROOT/sys, procfs under
 * ROOT/proc, ROOT/dev/disk/by-id, ROOT/run/udev/data.
 */
typedef struct {
  char *name; /* kernel name: "sda", "nvme0n1", "vda" */
  char *path; /* /dev/NAME or the path given */
  guint major, minor;
  guint64 bytes;
  guint32 logical_sector;
  guint32 physical_sector;
  char *bus; /* virtio | sata | scsi | usb | nvme | ide; NULL = unknown */
  char *model;
  char *serial;
  char *wwn;
  GPtrArray *by_id;  /* char*: names in /dev/disk/by-id pointing at it, sorted */
  GPtrArray *in_use; /* MachineInUse*: mounted | swap | held | running-system */
} AsrBlockdev;

void asr_blockdev_free (AsrBlockdev *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsrBlockdev, asr_blockdev_free)

/* A block device node (/dev/sdb, a /dev/disk/by-id link): opened O_RDONLY
 * for the size and sector-size ioctls, the rest from sysfs, udev, /proc.
 * A partition (/dev/sda1) is refused: targets and sources are whole disks. */
AsrBlockdev *asr_blockdev_probe (const char *path, GError **error);
/* A whole disk known by its kernel name, facts from sysfs under @root only
 * (no device node needed). */
AsrBlockdev *asr_blockdev_probe_sysfs (const char *root, const char *name, GError **error);
/* What uses the bytes of @path (an image file or a block device) through
 * another loop device over it (asr_storage_loops_over), appended to
 * @in_use as MachineInUse: mounted, swap or held, as for the disk's own
 * partitions.  A partition mounted through an offset loop device shows in
 * no holders/ of the disk.  The real system only. */
void asr_blockdev_loops_in_use (const char *path, GPtrArray *in_use);

/* ---- qemu's image locks ------------------------------------------------ */

/* Whether a process has @path open through qemu (a VM, qemu-nbd, qemu-img,
 * qemu-storage-daemon), tested on qemu's lock bytes exactly as qemu tests
 * them before it opens an image.  *detail: NULL when nothing holds them,
 * else why it is in use (for <in-use reason="locked">).  A missing file is
 * not locked.  Call it before any qemu child of ours opens the file. */
gboolean asr_probe_qemu_lock (const char *path, char **detail, GError **error);
/* Whether another process holds an exclusive flock() on @path, as asr
 * restore does on every target for the whole restore (and systemd's tools
 * on a disk they write): who, for <in-use reason="locked">, or NULL.  The
 * calling process's own locks do not count. */
char *asr_probe_flock_holder (const char *path);

/* ---- filling a descriptor disk ----------------------------------------- */

/* Copies a block device's facts into @disk (bytes, sectors, bus, model,
 * serial, wwn, by-id, in-use). */
void asr_probe_disk_set_blockdev (MachineDisk *disk, const AsrBlockdev *b);
/* Reads the partition table (ptable.h) and the incomplete marker through
 * @reader into @disk: <partition-table>, <partition>s without volumes,
 * <incomplete/>.  A disk with no table stays without one. */
gboolean asr_probe_disk_read_layout (MachineDisk *disk, AsrDiskReader *reader, guint64 disk_bytes,
                                     guint32 logical_sector, GError **error);
/* The same for a disk about to be captured: a table asr's parser refuses
 * (damaged, or hostile: an EBR chain that loops or runs past the caps) is
 * ASR_PROBE_ERROR_INVALID_INPUT, not a fact to note, so nothing else (the
 * appliance's own tools) ever reads it. */
gboolean asr_probe_disk_read_layout_strict (MachineDisk *disk, AsrDiskReader *reader,
                                            guint64 disk_bytes, guint32 logical_sector,
                                            GError **error);

/* ---- local machine and libvirt domains --------------------------------- */

/* Hardware of the machine whose /sys and /proc are under @root (NULL = this
 * one).  Never fails on missing entries: a fact not found stays unknown. */
MachineHardware *asr_probe_local_hardware (const char *root);
/* The kernel names of the machine's disks, sorted: /sys/block without
 * loop, ram, zram, sr, fd, nbd, dm-, md devices and empty (0-byte) ones. */
GPtrArray *asr_probe_local_disk_names (const char *root);

/* A libvirt domain read from its XML: hardware, and one disk per
 * <disk device='disk'|'lun'> in document order with ids disk<first_index>...
 * and an origin source each.  Disk sizes: from @size_func (libvirt's
 * virDomainGetBlockInfo when connected), else from the source image through
 * asr_image_info_probe when @probe_images.  The XML is parsed with
 * XML_PARSE_NONET, no DOCTYPE. */
typedef gboolean (*AsrDomainDiskSizeFunc) (const char *target_dev, guint64 *bytes, void *opaque);
MachineDescriptor *asr_probe_domain_from_xml (const char *xml, gsize len, const char *name,
                                              guint first_index, AsrDomainDiskSizeFunc size_func,
                                              void *opaque, gboolean probe_images, GError **error);
/* The default libvirt URI: the embedded driver in a private directory. */
char *asr_probe_default_connect_uri (void);
/* domain:NAME through libvirt at @uri (NULL = the default). */
MachineDescriptor *asr_probe_domain (const char *uri, const char *name, guint first_index,
                                     GError **error);

/* ---- the probe entry point ---------------------------------------------- */

typedef struct {
  const char *connect_uri; /* --connect; NULL = the default */
} AsrProbeOptions;

/*
 * One descriptor for all @targets (NULL-terminated, at least one): image
 * files, block devices, `local`, `domain:NAME`.  Disk ids disk0, disk1...
 * in target order (a `local` or domain target contributes all its disks),
 * an <origin><source> per disk, hardware from `local` or the domain (at
 * most one of those; image files and devices alone leave it unknown), no
 * images, `critical` absent.
 */
MachineDescriptor *asr_probe_targets (const char *const *targets, const AsrProbeOptions *opts,
                                      GError **error);

/* ---- LVM text metadata (lvm-text.c) ------------------------------------ */

/* A volume group as its text metadata describes it (vgmeta, vgcfgbackup):
 * the facts capture records and checks.  Sizes in bytes. */
typedef struct {
  char *key;  /* its name inside the metadata: "pv0" */
  char *uuid; /* as LVM writes it, dashed */
  guint64 pe_start_bytes;
  guint64 pe_count;
  guint64 dev_bytes; /* 0 when the metadata does not say */
} AsrLvmPv;

typedef struct {
  guint64 start_extent;
  guint64 extents;
  char *type;      /* "striped" for linear and striped; else thin, snapshot... */
  guint64 stripes; /* striped only */
  char *pv_key;    /* striped only: the first stripe's PV and extent */
  guint64 pv_extent;
  char *origin; /* snapshot only: the LV it is a snapshot of, and the LV */
  char *cow;    /* holding its changes (the one users name) */
} AsrLvmSegment;

typedef struct {
  char *name;
  char *uuid;
  gboolean visible;    /* status has VISIBLE: not an internal LV of a pool or RAID */
  GPtrArray *segments; /* AsrLvmSegment* */
} AsrLvmLv;

typedef struct {
  char *name;
  char *uuid;
  guint64 seqno; /* which copy is newest; 0 when the text has none */
  guint64 extent_bytes;
  GPtrArray *pvs; /* AsrLvmPv* */
  GPtrArray *lvs; /* AsrLvmLv* */
} AsrLvmVg;

void asr_lvm_vg_free (AsrLvmVg *vg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsrLvmVg, asr_lvm_vg_free)

/* Reads the text of one volume group's metadata; @text is hostile (from a
 * disk), bounded here in size, nesting and count.  Refusals are
 * ASR_PROBE_ERROR_INVALID_INPUT naming the line or the element. */
AsrLvmVg *asr_lvm_text_parse (const char *text, gsize len, GError **error);
/* The PV a segment names ("pv0"), NULL if none. */
const AsrLvmPv *asr_lvm_vg_find_pv (const AsrLvmVg *vg, const char *key);

/* ---- LVM2 labels and metadata areas (lvm-label.c) --------------------- */

/* The most metadata text asr reads or parses. */
#define ASR_LVM_TEXT_MAX_BYTES (16u * 1024u * 1024u)

/* A physical volume's label.  Offsets and sizes in bytes from the PV's
 * start. */
typedef struct {
  char uuid[39]; /* dashed, as LVM prints it */
  guint64 device_bytes;
  guint label_sector;
  guint mdas; /* metadata areas: none (--metadatacopies 0), one or two */
  guint64 mda_offset[2], mda_bytes[2];
} AsrLvmLabel;

/* Where a metadata area's current text is: one piece, or two where it
 * wraps around the area's ring; bytes[0] 0 when the area holds none. */
typedef struct {
  guint64 offset[2], bytes[2];
  guint32 checksum;
  gboolean ignored; /* LVM keeps its metadata in another area */
} AsrLvmMdaText;

/* @buf: the PV's first bytes (2048 hold every place a label may be);
 * @pv_bytes: the PV's size, which bounds every area. */
gboolean asr_lvm_label_parse (const guint8 *buf, gsize len, guint64 pv_bytes, AsrLvmLabel *out,
                              GError **error);
/* @hdr: the 512-byte header at @mda_offset. */
gboolean asr_lvm_mda_parse (const guint8 *hdr, gsize len, guint64 mda_offset, guint64 mda_bytes,
                            AsrLvmMdaText *out, GError **error);

/* Reads @bytes at @offset of the PV into @buf; FALSE with @error when it
 * cannot (outside the PV included). */
typedef gboolean (*AsrLvmReadFn) (gpointer data, guint64 offset, gsize bytes, guint8 *buf,
                                  GError **error);
/* The label of a PV of @pv_bytes and the volume group's metadata text
 * from its first metadata area that holds one, checked against its
 * checksum, without its terminating NUL (*text NULL when the PV keeps no
 * metadata).  The text is for asr_lvm_text_parse.  Refusals are
 * ASR_PROBE_ERROR_INVALID_INPUT; @read's errors are passed on. */
gboolean asr_lvm_pv_read (guint64 pv_bytes, AsrLvmReadFn read, gpointer data, AsrLvmLabel *label,
                          char **text, gsize *text_len, GError **error);

/* ---- md RAID superblocks (md-super.c) ---------------------------------- */

#define ASR_MD_ROLE_SPARE (-1)
#define ASR_MD_ROLE_FAULTY (-2)

/* A version-1 superblock (metadata 1.0, 1.1, 1.2) as read from one member.
 * Sizes and offsets in 512-byte sectors, as the superblock keeps them. */
typedef struct {
  guint8 set_uuid[16];
  char uuid[36]; /* mdadm's form: 4 groups of 8 hex digits joined by ':' */
  char name[33]; /* "homehost:name", may be empty */
  guint32 feature_map;
  gint32 level;         /* 0, 1, 4, 5, 6, 10; -1 linear */
  guint64 size_sectors; /* used per member */
  guint32 chunk_sectors;
  guint32 raid_disks;
  guint64 data_offset;  /* from the member's start */
  guint64 super_offset; /* where this superblock is */
  guint64 events;
  gint32 role; /* slot, or ASR_MD_ROLE_SPARE / _FAULTY */
} AsrMdSuper;

/* @buf: the bytes at the superblock (at least 256, usually 4096).
 * Checked: magic, version, role table bounds, checksum, printable name.
 * Refusals are ASR_PROBE_ERROR_INVALID_INPUT. */
gboolean asr_md_super_parse (const guint8 *buf, gsize len, AsrMdSuper *out, GError **error);

/* ---- xfs superblocks (xfs-super.c) ------------------------------------- */

#define ASR_XFS_VERSION2_FTYPE 0x200u
#define ASR_XFS_RO_COMPAT_FINOBT 0x1u
#define ASR_XFS_RO_COMPAT_RMAPBT 0x2u
#define ASR_XFS_RO_COMPAT_REFLINK 0x4u
#define ASR_XFS_RO_COMPAT_INOBTCNT 0x8u
#define ASR_XFS_INCOMPAT_FTYPE 0x1u
#define ASR_XFS_INCOMPAT_SPINODES 0x2u
#define ASR_XFS_INCOMPAT_META_UUID 0x4u
#define ASR_XFS_INCOMPAT_BIGTIME 0x8u
#define ASR_XFS_INCOMPAT_NEEDSREPAIR 0x10u
#define ASR_XFS_INCOMPAT_NREXT64 0x20u

/* What restore --shrink reads of an xfs superblock to recreate it. */
typedef struct {
  guint32 blocksize;
  guint64 dblocks, fdblocks, rblocks,
    logstart; /* logstart: a filesystem block (AG << agblklog | block) */
  guint32 logblocks;
  guint32 agblocks, agcount; /* allocation groups: the last may be shorter */
  guint8 agblklog;           /* bits of an AG block number in a filesystem block */
  guint16 version, sectsize, inodesize;
  guint8 dirblklog;
  guint32 features2, ro_compat, incompat;
  char uuid[37];
  char label[13]; /* up to 12 bytes, NUL-terminated */
} AsrXfsSuper;

/* @buf: the first @len bytes (at least 512) of an xfs of @bytes.  Checked:
 * magic, sizes (powers of two in range), counts within the volume,
 * allocation groups that cover the data blocks and an internal log inside
 * one, no mkfs in progress, version 4 or 5, no realtime section, no needs-repair
 * flag, only feature bits asr can recreate.  Refusals are
 * ASR_PROBE_ERROR_INVALID_INPUT. */
gboolean asr_xfs_super_parse (const guint8 *buf, gsize len, guint64 bytes, AsrXfsSuper *out,
                              GError **error);

G_END_DECLS
