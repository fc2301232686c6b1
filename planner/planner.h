/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planner: the ASR rules and the disk mapping, checked before anything
 * is written.
 *
 * plan_compute() is a function of (backup descriptor, target descriptors,
 * options) → Plan.  It writes nothing and prints nothing; the only things it
 * reads besides its arguments are the backup set's image files, through the
 * caller's vetting function (structure always, checksums with
 * --check-images), and the TARGETs' stat() against the set's files, so
 * that the plan refuses what restore would refuse.  The same inputs always give the same Plan, byte for byte once
 * formatted: golden tests depend on it.
 *
 * The Plan formats as a readable report, as JSON, and as plan.xml
 * (xml-schemas/plan.rng), which restore reads back with plan_parse_file()
 * and which binds the plan to its inputs (SHA-256 of the backup's
 * machine.xml, each target disk's identity).
 */
#pragma once

#include <glib.h>

#include "machine.h"

G_BEGIN_DECLS

#define PLAN_VERSION 1
#define PLAN_SCHEMA_FILENAME "plan.rng"
/* Largest plan.xml we read. */
#define PLAN_MAX_BYTES (16u * 1024u * 1024u)

#define PLANNER_ERROR (planner_error_quark ())
GQuark planner_error_quark (void);

typedef enum {
  PLANNER_ERROR_INVALID,   /* bad options (--map), conflicting targets: exit 2 */
  PLANNER_ERROR_IO,        /* a file could not be read or written: exit 3 */
  PLANNER_ERROR_MALFORMED, /* plan.xml not well-formed or has a DOCTYPE: exit 2 */
  PLANNER_ERROR_SCHEMA,    /* plan.xml does not validate against plan.rng: exit 2 */
  PLANNER_ERROR_NO_SCHEMA, /* plan.rng not found or unusable: exit 3 */
} PlannerError;

typedef enum {
  PLAN_MODE_STRICT = 0,
  PLAN_MODE_MIGRATE,
} PlanMode;

/* Ordered: the worst status wins. */
typedef enum {
  PLAN_STATUS_PASS = 0,
  PLAN_STATUS_WARN,
  PLAN_STATUS_FAIL,
} PlanStatus;

const char *plan_mode_to_string (PlanMode v);
gboolean plan_mode_from_string (const char *s, PlanMode *out);
const char *plan_status_to_string (PlanStatus v);
gboolean plan_status_from_string (const char *s, PlanStatus *out);

/* --- inputs -------------------------------------------------------------- */

/* A backup as plan reads it: the descriptor, the SHA-256 of the exact
 * machine.xml bytes it was parsed from (lowercase hex), and the backup-set
 * directory, or NULL when BACKUP was a descriptor file (no images to
 * check). */
typedef struct {
  MachineDescriptor *descriptor;
  char *sha256;
  char *dir;
  char *path; /* the machine.xml read */
} PlanBackup;

/* @path: a backup-set directory (machine.xml inside) or a descriptor file.
 * Reads the bytes once, hashes and parses the same bytes, so the hash names
 * what was checked.  Errors: MACHINE_ERROR from the parser, PLANNER_ERROR_IO
 * when the file cannot be read, PLANNER_ERROR_INVALID when it is missing. */
PlanBackup *plan_backup_load (const char *path, GError **error);
void plan_backup_free (PlanBackup *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlanBackup, plan_backup_free)

/* One TARGET: the argument as the user gave it (for messages and plan.xml)
 * and its descriptor. */
typedef struct {
  char *argument;
  MachineDescriptor *descriptor;
} PlanTarget;

/* Takes ownership of @descriptor. */
PlanTarget *plan_target_new (const char *argument, MachineDescriptor *descriptor);
void plan_target_free (PlanTarget *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlanTarget, plan_target_free)

/* What vetting one image of the backup set found. */
typedef enum {
  PLAN_IMAGE_OK = 0,
  /* refused by a safety rule (not a qcow2, a backing or data file, the
   * wrong size, missing, not a regular file, corrupt): the backup set is
   * invalid input, plan_compute() fails (PLANNER_ERROR_INVALID, exit 2) */
  PLAN_IMAGE_REFUSED,
  /* its checksum differs from the descriptor's: the images check fails */
  PLAN_IMAGE_CHECKSUM_MISMATCH,
} PlanImageVerdict;

/*
 * Vets one file of the backup set: @file (a plain name in @backup_dir) as
 * the descriptor records it (@format, @bytes, @checksum, which may be
 * NULL); with @text, a text file (LVM metadata; @format and @bytes unused).
 * The same rules as a capture source and `asr check`, for every file
 * `check` vets; with @verify_checksum (--check-images) an image's
 * asr-sha256-64k checksum too (a text file's is always compared).  The
 * planner does not depend on the imager: the command line passes
 * asr_check_image() and asr_check_text() through this.  Returns TRUE with *verdict and, unless
 * PLAN_IMAGE_OK, *why (a sentence); FALSE with @error for a runtime
 * failure, which ends planning.
 */
typedef gboolean (*PlanImageFunc) (const char *backup_dir, const char *file, gboolean text,
                                   const char *format, guint64 bytes, const char *checksum,
                                   gboolean verify_checksum, PlanImageVerdict *verdict, char **why,
                                   void *opaque, GError **error);

/* The least filesystem @fs in image @file of the backup set may have once
 * shrunk: its minimum and the margin (docs/asr-restore.1), in bytes. */
typedef gboolean (*PlanMinBytesFunc) (const char *backup_dir, const char *file, const char *format,
                                      guint64 bytes, const char *fs, guint64 *min_bytes,
                                      void *opaque, GError **error);

typedef struct {
  char *source; /* a source disk id */
  char *target; /* id, serial, WWN, by-id name or path of a target disk */
} PlanMapRequest;

typedef struct {
  PlanMode mode;
  GPtrArray *maps;         /* PlanMapRequest*, in command-line order */
  gboolean check_images;   /* --check-images: @vet_image verifies checksums too */
  PlanImageFunc vet_image; /* required when BACKUP is a backup-set directory */
  void *vet_image_opaque;
  /* --grow[=MOUNTPOINT]: that volume takes a larger target's space, the
   * partitions after it move (machine_layout_new); NULL: sizes as captured */
  char *grow;
  /* --shrink[=MOUNTPOINT]: that volume gives up what a smaller target
   * lacks, as long as its filesystem's minimum (@min_bytes) fits */
  char *shrink;
  PlanMinBytesFunc min_bytes; /* NULL: the minimum is checked by restore */
  void *min_bytes_opaque;
} PlanOptions;

PlanOptions *plan_options_new (void);
void plan_options_free (PlanOptions *o);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlanOptions, plan_options_free)

/* Adds a --map SRC=DST.  Refuses (PLANNER_ERROR_INVALID) a malformed one
 * and a second --map for the same SRC; whether SRC and DST exist is checked
 * by plan_compute(), which knows the disks. */
gboolean plan_options_add_map (PlanOptions *o, const char *spec, GError **error);

/* --- the plan ----------------------------------------------------------- */

/* One line of a check: its own status and a sentence naming disks and
 * numbers. */
typedef struct {
  PlanStatus status;
  char *message;
} PlanFinding;

/* A named check (architecture, firmware, hardware, disk-count,
 * noncritical-protection, in-use, capacity, sector-size, images, volumes,
 * fstab, boot); its status is the worst of its findings, and it has at
 * least one. */
typedef struct {
  char *name;
  PlanStatus status;
  GPtrArray *findings; /* PlanFinding* */
} PlanCheck;

/* A target disk as the plan sees it.  With one TARGET, names are the
 * descriptor's disk ids; with several, the disks are numbered disk0,
 * disk1, ... in argument order, as `asr probe` numbers several TARGETs. */
typedef struct {
  char *name;
  char *argument; /* the TARGET it came from */
  char *disk_id;  /* its id in that TARGET's descriptor */
  /* Identity, recorded so restore can refuse a plan made for other disks. */
  char *path; /* origin/source path of the disk, NULL if unknown */
  guint64 bytes;
  gboolean has_bytes;
  guint32 logical_sector; /* 0 = unknown */
  char *serial;
  char *wwn;
  GPtrArray *by_id; /* char* */
  char *excluded;   /* NULL: eligible; else why it is never written */
  char *source;     /* the source disk restored onto it, or NULL */
} PlanTargetDisk;

/* One partition's place on the source disk and on the target. */
typedef struct {
  guint32 number;
  guint64 start, sectors;         /* on the source, in its sectors */
  guint64 new_start, new_sectors; /* on the target */
  /* --shrink: the least it may have (its filesystem's minimum and the
   * margin, or swap's); 0: it does not shrink, or not known */
  guint64 min_bytes;
} PlanPartitionMove;

/* One source critical disk and where it goes. */
typedef struct {
  char *source;
  guint64 source_bytes;
  char *target; /* NULL: no target disk found */
  guint64 target_bytes;
  char *reason; /* why this target, or why none */
  /* Another target disk of the same TARGET that could take this source
   * just as well (same size and sector size, no identity of the source
   * on either): the plan chose by the order the TARGET listed its disks,
   * which says nothing about which disk is which.  NULL: no such disk.
   * A restore that asks nobody (--yes) refuses such a plan. */
  char *tie;
  /* --grow: where each partition of the source goes on the target, when
   * anything grows there; NULL: every partition as captured. */
  GArray *layout; /* PlanPartitionMove */
} PlanMapping;

typedef struct {
  guint32 version;
  PlanMode mode;
  char *grow;        /* --grow's mount point, NULL without it */
  char *shrink;      /* --shrink's */
  PlanStatus status; /* worst check status */
  char *backup_sha256;
  GPtrArray *checks;   /* PlanCheck*, in the fixed order above */
  GPtrArray *mappings; /* PlanMapping*, in source disk order */
  GPtrArray *targets;  /* PlanTargetDisk*, in target order */
} Plan;

Plan *plan_new (void);
void plan_free (Plan *p);
PlanCheck *plan_check_new (const char *name);
void plan_check_free (PlanCheck *c);
void plan_finding_free (PlanFinding *f);
PlanTargetDisk *plan_target_disk_new (const char *name);
void plan_target_disk_free (PlanTargetDisk *t);
PlanMapping *plan_mapping_new (const char *source);
void plan_mapping_free (PlanMapping *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Plan, plan_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlanCheck, plan_check_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlanTargetDisk, plan_target_disk_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlanMapping, plan_mapping_free)

/* Appends a finding and raises the check's status to it if worse. */
void plan_check_add (PlanCheck *c, PlanStatus status, const char *format, ...) G_GNUC_PRINTF (3, 4);

/* NULL when absent. */
const PlanCheck *plan_find_check (const Plan *p, const char *name);
const PlanMapping *plan_find_mapping (const Plan *p, const char *source);

/* TRUE when restore may go ahead: no check failed (warnings allowed). */
gboolean plan_is_restorable (const Plan *p);
/* The first mapping chosen by disk order alone (PlanMapping.tie), or
 * NULL. */
const PlanMapping *plan_find_tie (const Plan *p);

/* The rules and the mapping.  @targets: PlanTarget*, at least one.  A
 * failed check is not an error: it is in the Plan.  Errors: bad --map
 * (unknown or ambiguous disk, two sources onto one target), several
 * TARGETs describing hardware, an image of the backup set refused by
 * @vet_image, a TARGET that is the backup set or one of its files
 * (PLANNER_ERROR_INVALID); the vetting function's runtime error. */
Plan *plan_compute (const PlanBackup *backup, GPtrArray *targets, const PlanOptions *options,
                    GError **error);

/* Restore's last word, right before its first write: target disk @now,
 * probed again once restore has locked it, against the rules that keep a
 * disk from being written, as plan_compute() applies them: in use (mounted,
 * swap, held, open in qemu, ...), holding the backup set, carrying the
 * signature/GUID or WWN of one of @backup's non-critical disks, or a
 * partition table asr cannot read that no --map named (@mapping: the
 * plan's mapping onto it).  An incomplete marker is no reason: the plan
 * only warns about it.  @path names the disk in the message.  FALSE with
 * PLANNER_ERROR_INVALID saying what is wrong now. */
gboolean plan_recheck_target (const MachineDescriptor *backup, const PlanMapping *mapping,
                              const MachineDisk *now, const char *path, GError **error);
/* The same, and also refused: a layout (table type, signature or GUID,
 * readability, partitions, incomplete marker) other than @before's, the
 * disk as restore probed it when it started: another program wrote it in
 * between, e.g. another restore that finished just before this one took
 * the lock.  @before may be NULL (not known). */
gboolean plan_recheck_target_since (const MachineDescriptor *backup, const PlanMapping *mapping,
                                    const MachineDisk *before, const MachineDisk *now,
                                    const char *path, GError **error);

/* The target disk a plan's PlanTargetDisk names, among @targets
 * (PlanTarget*): by canonical path, what the plan recorded as its
 * identity; its <source> in *@src_out.  NULL when none is. */
const MachineDisk *plan_find_target_disk (GPtrArray *targets, const char *path,
                                          const MachineSource **src_out);

/* A plan read from @plan_path binds to its inputs: the SHA-256 of the
 * backup's machine.xml, and each mapped target disk's identity (path,
 * size, serial, WWN) among @targets (PlanTarget*).  Anything else is a
 * foreign or stale plan: FALSE with PLANNER_ERROR_INVALID, to be refused
 * before anything is written. */
gboolean plan_check_binding (const Plan *plan, const PlanBackup *backup, GPtrArray *targets,
                             const char *plan_path, GError **error);

/* The preference among valid assignments, as the report and the man page
 * state it. */
#define PLAN_PREFERENCE_TEXT                                    \
  "most signature/GUID matches, then most serial/WWN matches, " \
  "then least total target bytes, then target order"

/* --- output ------------------------------------------------------------- */

/* The readable report: checks, then the source → target table, then the
 * target disks with why each is used, spare or excluded. */
char *plan_format_text (const Plan *p);
/* One pretty-printed JSON object, trailing newline. */
char *plan_format_json (const Plan *p);
/* plan.xml: canonical (fixed order, two-space indent, trailing newline);
 * parse → format is byte-identical. */
char *plan_format_xml (const Plan *p);
/* Formats and writes atomically (temporary file in the same directory,
 * fsync, rename) with mode 0600. */
gboolean plan_write_file (const Plan *p, const char *path, GError **error);

/* Reads plan.xml: refuses a DOCTYPE and anything above PLAN_MAX_BYTES,
 * validates against plan.rng (machine_schema_dir()), then builds the
 * Plan. */
Plan *plan_parse_data (const char *data, gsize len, const char *name, GError **error);
Plan *plan_parse_file (const char *path, GError **error);

G_END_DECLS
