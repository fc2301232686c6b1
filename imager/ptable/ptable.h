/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr's own partition-table reader and writer: MBR (with the EBR chain of
 * logical partitions) and GPT (protective MBR, primary and backup headers
 * and entry arrays).
 *
 * Why not libguestfs: 1.48 drops the high bits of GPT attributes and has no
 * call for the MBR disk signature; both must survive capture → restore.
 *
 * Reading goes through PtableReader (an fd, a memory buffer, libguestfs
 * pread_device, ...).  Everything on disk is hostile input: every offset and
 * count is range- and overflow-checked, the EBR chain has loop detection
 * and a cap, GPT sizes are capped, CRCs are checked.  A problem that makes
 * the table unusable is a GError; one that leaves a usable, reproducible
 * table (backup GPT used, hybrid MBR, ...) is a PtableWarning in the result,
 * never silent.
 *
 * Writing: ptable_build() turns a PtableTable into the list of (offset,
 * bytes) writes that recreate it on a target disk of a given size; the
 * caller applies them (ptable_writes_apply_fd() for a file or device).
 * Nothing is computed lazily: the writes are complete before the first one
 * is applied, so a dry run can print them.
 *
 * Units: sectors are logical sectors of PtableTable.sector_size bytes;
 * "LBA" is a sector number.  Sizes on the byte scale say bytes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PTABLE_ERROR (ptable_error_quark ())
GQuark ptable_error_quark (void);

typedef enum {
  PTABLE_ERROR_IO,          /* the reader failed or a write failed */
  PTABLE_ERROR_TOO_SMALL,   /* disk smaller than a sector / the table */
  PTABLE_ERROR_SECTOR_SIZE, /* unsupported or mismatched logical sector */
  PTABLE_ERROR_CORRUPT,     /* bad signature, CRC, flag, header field */
  PTABLE_ERROR_INVALID,     /* impossible layout: overlaps, past the end,
                             * loops, outside the extended partition */
  PTABLE_ERROR_LIMIT,       /* above a cap: entry count/size, EBR chain */
} PtableError;

/* Caps on what is read; far above what any partitioning tool writes. */
#define PTABLE_MAX_LOGICAL 128u /* EBRs in one chain */
#define PTABLE_GPT_MAX_ENTRIES 1024u
#define PTABLE_GPT_MAX_ENTRY_SIZE 4096u
#define PTABLE_GPT_MAX_ENTRIES_BYTES (1024u * 1024u)
#define PTABLE_GPT_NAME_UNITS 36u /* UTF-16 code units */

typedef enum {
  PTABLE_TYPE_NONE = 0,
  PTABLE_TYPE_MBR,
  PTABLE_TYPE_GPT,
} PtableType;

/* MBR only; GPT partitions are PTABLE_KIND_NONE (as in machine.xml). */
typedef enum {
  PTABLE_KIND_NONE = 0,
  PTABLE_KIND_PRIMARY,
  PTABLE_KIND_EXTENDED,
  PTABLE_KIND_LOGICAL,
} PtableKind;

typedef enum {
  /* sector 0 holds data but no 0x55AA: no partition table (type none) */
  PTABLE_WARNING_NO_MBR_SIGNATURE,
  /* the primary GPT was unusable and the backup was read instead */
  PTABLE_WARNING_GPT_PRIMARY_BAD,
  /* the primary GPT is good; the backup is damaged, missing or differs */
  PTABLE_WARNING_GPT_BACKUP_BAD,
  /* the backup header is not on the last sector (disk grown) */
  PTABLE_WARNING_GPT_BACKUP_NOT_AT_END,
  /* the MBR of a GPT disk has partitions besides the 0xEE one */
  PTABLE_WARNING_HYBRID_MBR,
  /* a GPT partition name had invalid UTF-16: replaced by U+FFFD */
  PTABLE_WARNING_GPT_NAME_INVALID,
  /* a used GPT entry has an all-zero unique partition GUID */
  PTABLE_WARNING_GPT_ZERO_GUID,
  /* an MBR entry with a type but zero sectors (ignored, as Linux does) */
  PTABLE_WARNING_MBR_EMPTY_ENTRY,
} PtableWarningCode;

const char *ptable_type_to_string (PtableType v); /* "none" "mbr" "gpt" */
const char *ptable_kind_to_string (PtableKind v); /* NULL for NONE */
const char *ptable_warning_code_to_string (PtableWarningCode v);
gboolean ptable_type_from_string (const char *s, PtableType *out);
gboolean ptable_kind_from_string (const char *s, PtableKind *out);

typedef struct {
  PtableWarningCode code;
  char *message; /* says what and where, for the user */
} PtableWarning;

typedef struct {
  guint32 number; /* MBR: slot 1-4, logicals 5..; GPT: entry index + 1 */
  PtableKind kind;
  guint64 start_sector;
  guint64 sectors;
  /* MBR */
  guint8 mbr_type;
  gboolean bootable;  /* boot flag 0x80 */
  guint64 ebr_sector; /* logical: where its EBR is; 0 = let ptable_build choose */
  /* GPT: canonical lowercase 8-4-4-4-12, "" for MBR */
  char type_guid[37];
  char guid[37];
  char *name;         /* UTF-8, never NULL after ptable_read (may be "") */
  guint64 attributes; /* all 64 bits */
} PtablePartition;

typedef struct {
  PtableType type;
  guint32 sector_size;  /* logical sector, bytes */
  guint64 disk_sectors; /* size of the disk read, in sectors */
  /* MBR disk signature (bytes 440-443, little-endian); for GPT that of the
   * protective MBR (usually 0) */
  guint32 mbr_signature;
  /* GPT */
  char disk_guid[37];
  guint8 disk_guid_raw[16]; /* as on disk; set by ptable_read, ptable_build uses disk_guid */
  guint64 first_usable_lba;
  guint64 last_usable_lba;
  guint64 entries_lba; /* of the primary array */
  guint32 entry_count;
  guint32 entry_size;
  /* lowest start of any partition (MBR: primaries and extended); 0 when
   * there is none.  The boot area is sectors [0, this). */
  guint64 first_partition_start_sector;
  GPtrArray *partitions; /* PtablePartition*, sorted by number */
  GPtrArray *warnings;   /* PtableWarning* */
} PtableTable;

/* Reading: pread must fill all len bytes or fail with a GError. */
typedef struct {
  gboolean (*pread) (void *opaque, void *buf, gsize len, guint64 offset, GError **error);
  void *opaque;
  guint64 size_bytes;
  guint32 logical_sector;
} PtableReader;

/* fd: any readable file or block device (not closed, not owned). */
void ptable_reader_init_fd (PtableReader *r, int fd, guint64 size_bytes, guint32 logical_sector);
/* buf: len bytes that outlive the reader. */
void ptable_reader_init_buffer (PtableReader *r, const void *buf, gsize len,
                                guint32 logical_sector);

PtableTable *ptable_read (const PtableReader *r, GError **error);

/* What identifies a disk whose table ptable_read() refused: the table type
 * sector 0 (or a GPT header) announces, the MBR disk signature (bytes
 * 440-443, MBR only) and the GPT disk GUID from any header carrying the
 * "EFI PART" signature, primary or backup, at any supported sector size,
 * whatever its CRC or entries say.  Never a reason to write a disk: only
 * to recognise one that must be kept.  Returns a table with no partitions
 * (type PTABLE_TYPE_NONE when nothing was recognised; disk_guid "" when no
 * header was found); NULL only when the reader fails. */
PtableTable *ptable_read_identity (const PtableReader *r, GError **error);

/* Construction, for restore (from the descriptor) and tests.  A GPT table
 * starts with the usual geometry: 128 entries of 128 bytes at LBA 2, first
 * usable LBA right after them (34 for 512-byte sectors, 6 for 4096); set
 * the fields when the source had others (sfdisk's default is 2048). */
PtableTable *ptable_table_new (PtableType type, guint32 sector_size);
PtablePartition *ptable_partition_new (void);
/* Takes ownership of p; keeps partitions sorted by number. */
void ptable_table_add_partition (PtableTable *t, PtablePartition *p);
const PtablePartition *ptable_table_find_partition (const PtableTable *t, guint32 number);
gboolean ptable_table_has_warning (const PtableTable *t, PtableWarningCode code);
void ptable_table_free (PtableTable *t);
void ptable_partition_free (PtablePartition *p);

/* NULL when a and b describe the same layout, else a description of the
 * first difference.  Ignores what depends on the disk size
 * (disk_sectors, last_usable_lba), what is derived from the partitions
 * (first_partition_start_sector), an ebr_sector left 0, and the warnings. */
char *ptable_table_diff (const PtableTable *a, const PtableTable *b);

/* GUIDs: raw is the on-disk mixed-endian form (first three fields
 * little-endian); text is canonical lowercase 8-4-4-4-12.  Parsing accepts
 * either case, nothing else (no braces). */
void ptable_guid_to_string (const guint8 raw[16], char out[37]);
gboolean ptable_guid_from_string (const char *text, guint8 raw[16]);

/* The CRC-32 of GPT (IEEE 802.3, the one zlib's crc32() computes). */
guint32 ptable_crc32 (const void *buf, gsize len);
/* The same polynomial with no inversion before or after: the register
 * carried from @crc over @buf.  LVM's checksums are this, started at
 * 0xf597a6cf. */
guint32 ptable_crc32_register (guint32 crc, const void *buf, gsize len);

/* Writing. */
typedef struct {
  guint64 offset; /* bytes from the start of the disk */
  GBytes *data;
  char *what; /* "protective MBR", "EBR of partition 6", ... */
} PtableWrite;

typedef struct {
  GPtrArray *writes; /* PtableWrite*, in ascending offset */
} PtableWrites;

/*
 * The writes that recreate t on a disk of disk_bytes with logical_sector
 * bytes per sector (which must be t's).  Only table bytes are written: in
 * sector 0 bytes 440-511 (disk signature, entries, 0x55AA) — the boot code
 * area 0-439 is left alone, it belongs to the boot area written separately;
 * EBRs and GPT headers as whole sectors.  GPT: the backup entries and
 * header go to the end of this disk and last_usable_lba is recomputed for
 * it; everything else (GUIDs, names, all 64 attribute bits, entry count and
 * size) is kept.  The layout is validated first (fits the disk, no
 * overlaps, MBR values fit 32 bits, names fit 36 UTF-16 units).
 *
 * The writes are exactly the table's bytes, so capture can also use them
 * (built for the source disk) to tell, inside the boot area, the table
 * from what is not the table (boot code, an embedded loader).
 */
PtableWrites *ptable_build (const PtableTable *t, guint64 disk_bytes, guint32 logical_sector,
                            GError **error);
/* pwrite each write; does not fsync. */
gboolean ptable_writes_apply_fd (const PtableWrites *w, int fd, GError **error);
void ptable_writes_free (PtableWrites *w);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtableTable, ptable_table_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtablePartition, ptable_partition_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PtableWrites, ptable_writes_free)

G_END_DECLS
