/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The imager: capture (SOURCE disks → backup set), check (a backup set
 * against its descriptor) and restore (a backup set → target disks).
 *
 * Library code never prints: progress and warnings go through callbacks,
 * the command line decides what a user sees.
 */
#pragma once

#include <glib.h>

#include "machine.h"
#include "progress.h"
#include "planner.h"

G_BEGIN_DECLS

#define ASR_IMAGER_ERROR (asr_imager_error_quark ())
GQuark asr_imager_error_quark (void);

typedef enum {
  ASR_IMAGER_ERROR_INVALID_INPUT, /* bad source, refused layout: exit 2 */
  ASR_IMAGER_ERROR_UNSUPPORTED, /* a storage layout asr cannot restore, no OS, several OSes: exit 2 */
  ASR_IMAGER_ERROR_EXISTS,      /* BACKUP exists and no --force: exit 2 */
  ASR_IMAGER_ERROR_NO_SPACE,    /* not enough room for the backup set: exit 3 */
  ASR_IMAGER_ERROR_FAILED,      /* a runtime failure: exit 3 */
  ASR_IMAGER_ERROR_CHECK_FAILED, /* an image's checksum does not match: exit 1 */
} AsrImagerError;

/* AsrProgressFunc: util/progress.h. */
/* A warning or a notice the user must see ("/home on disk0 is not
 * captured: restore recreates it empty"). */
typedef void (*AsrMessageFunc) (const char *message, void *opaque);

typedef struct {
  char *path;
  char *format; /* NULL: probe safely */
} AsrCaptureSource;

typedef struct {
  gboolean all;               /* --all: every volume of every disk */
  const char *const *include; /* --include MOUNTPOINT..., NULL-terminated or NULL */
  gboolean force;             /* replace an existing BACKUP */
  AsrProgressFunc progress;
  AsrMessageFunc message;
  void *opaque;
} AsrCaptureOptions;

typedef struct {
  guint64 images;      /* images written */
  guint64 image_bytes; /* their size on the host */
  guint64 used_bytes;  /* used data in the captured volumes */
  double seconds;
  char *accel; /* how the appliance ran, and why */
} AsrCaptureStats;

void asr_capture_source_free (AsrCaptureSource *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsrCaptureSource, asr_capture_source_free)

/* Captures @sources (AsrCaptureSource*, disk0 first) into the backup set
 * directory @backup, which appears only when complete.  Returns the
 * descriptor written (also in @backup/machine.xml). */
MachineDescriptor *asr_capture (GPtrArray *sources, const char *backup,
                                const AsrCaptureOptions *opts, AsrCaptureStats *stats,
                                GError **error);

/* --- asr check ---------------------------------------------------------- */

typedef enum {
  ASR_CHECK_OK = 0,
  ASR_CHECK_MISSING,       /* the image file is not there */
  ASR_CHECK_BAD_IMAGE,     /* qemu-img check or info refused it */
  ASR_CHECK_SIZE_MISMATCH, /* guest-visible size differs from the descriptor */
  ASR_CHECK_CHECKSUM_MISMATCH,
} AsrCheckStatus;

const char *asr_check_status_to_string (AsrCheckStatus s);

typedef struct {
  char *file; /* image name in the backup set */
  char *what; /* "disk0 boot area", "disk0 partition 2 (/)" */
  AsrCheckStatus status;
  char *detail;   /* why, for anything but OK */
  char *expected; /* checksum in the descriptor */
  char *actual;   /* checksum computed, NULL if not computed */
} AsrCheckItem;

void asr_check_item_free (AsrCheckItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsrCheckItem, asr_check_item_free)

/* Checks every image of the backup set @backup.  Returns the items
 * (AsrCheckItem*), or NULL with @error when the set cannot be checked at
 * all (no machine.xml, invalid descriptor). */
GPtrArray *asr_check_backup (const char *backup, AsrProgressFunc progress, void *opaque,
                             MachineDescriptor **descriptor_out, GError **error);

/* One image of the backup set at @backup (@file, a plain name in it) as
 * the descriptor records it (@format: NULL for a boot area, which is always
 * qcow2), vetted by the rules asr_check_backup() applies: qcow2 only (never
 * probed), a regular file in the set (not a symlink), no backing file, no
 * external data file, qemu-img check clean, the virtual size @bytes; with
 * @verify_checksum, its checksum against @checksum.  Returns the item (its
 * status and detail say what was found), or NULL with @error when the host
 * failed (qemu-img or qemu-nbd missing, an I/O error). */
AsrCheckItem *asr_check_image (const char *backup, const char *file, const char *format,
                               guint64 bytes, const char *checksum, gboolean verify_checksum,
                               GError **error);

/* --shrink: the least filesystem @fs (ext2/3/4, vfat, xfs) in image @file
 * of the backup set @backup may have once shrunk: resize2fs's minimum, or
 * the bytes in use, plus the margin (asr_shrink_margin), measured in a
 * private overlay of the image after vetting it as asr_check_image()
 * does (docs/asr-restore.1).  xfs fails where no appliance could copy it.
 * The planner's PlanMinBytesFunc (@opaque unused), for plan and restore. */
gboolean asr_fs_shrink_min_bytes (const char *backup, const char *file, const char *format,
                                  guint64 bytes, const char *fs, guint64 *min_bytes, void *opaque,
                                  GError **error);
/* resize2fs's minimum @min_bytes plus the margin: a tenth of it, at least
 * 16 MiB, rounded up to whole MiB. */
guint64 asr_shrink_margin (guint64 min_bytes);

/* One text file of the backup set (LVM metadata), vetted as
 * asr_check_backup() does: a regular file inside the set (not a symlink,
 * directory, FIFO or device), of bounded size, whose checksum is always
 * compared with @checksum (it is small).  Returns the item, or NULL with
 * @error when it could not be read for a reason of the host's. */
AsrCheckItem *asr_check_text (const char *backup, const char *file, const char *checksum,
                              GError **error);

/* Every image @m names in the backup set @backup, as asr_check_image():
 * the structure of all of them first, then, with @verify_checksums, their
 * checksums.  Stops at the first bad image: ASR_IMAGER_ERROR_INVALID_INPUT
 * (missing, refused, wrong size) or ASR_IMAGER_ERROR_CHECK_FAILED (checksum
 * mismatch), the message naming the image and why; a runtime failure
 * keeps its own error. */
gboolean asr_check_backup_images (const char *backup, const MachineDescriptor *m,
                                  gboolean verify_checksums, AsrProgressFunc progress, void *opaque,
                                  GError **error);

/* --- asr restore --------------------------------------------------------- */

/* Restore's errors are the imager's (ASR_IMAGER_ERROR): INVALID_INPUT for
 * bad input or a refused target with nothing written (exit 2),
 * CHECK_FAILED for a checksum that did not match (exit 1), FAILED for I/O,
 * qemu-img or libguestfs (exit 3). */

/* One mapped disk: which source disk goes where.  The identity fields are
 * what the plan saw; restore re-checks them right before the first write
 * and refuses a disk that changed. */
typedef struct {
  char *source; /* source disk id in the backup's descriptor */
  char *path;   /* the target: an image file or a block device */
  char *format; /* "raw" or "qcow2", as probed: never probed again */
  gboolean is_block_device;
  guint64 bytes; /* size the plan saw */
  char *serial;  /* block devices: as the plan saw them, NULL = unknown */
  char *wwn;
  /* asr has just created it (--create): it reads as zeroes, so qemu-img
   * may skip writing zeroes (--target-is-zero) */
  gboolean known_zero;
  /* --shrink: the least each shrinking partition may have, as the plan
   * measured it (PlanPartitionMove.min_bytes), so restore lays the disk
   * out as planned; NULL: none known (each is checked when shrunk). */
  GArray *shrink_mins; /* AsrShrinkMin */
} AsrRestoreTarget;

typedef struct {
  guint32 number; /* partition */
  guint64 min_bytes;
} AsrShrinkMin;

AsrRestoreTarget *asr_restore_target_new (const char *source, const char *path, const char *format);
void asr_restore_target_free (AsrRestoreTarget *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsrRestoreTarget, asr_restore_target_free)

/* The disks @plan maps, as asr_restore takes them (AsrRestoreTarget*), each
 * found among @targets (PlanTarget*, as probed) by the path the plan
 * recorded.  @created: asr has just created the targets (--create).  NULL
 * with ASR_IMAGER_ERROR_INVALID_INPUT when a mapping names no TARGET given. */
GPtrArray *asr_restore_targets_from_plan (const Plan *plan, GPtrArray *targets, gboolean created,
                                          GError **error);

/* Restore's last check of a target: @now is the target probed again (as
 * `asr probe` describes it) after every target was opened and locked,
 * right before the first write.  FALSE refuses the whole restore. */
typedef gboolean (*AsrRestoreRecheckFunc) (const AsrRestoreTarget *t, const MachineDisk *now,
                                           void *opaque, GError **error);

typedef struct {
  /* --grow: the mount point of the volume that takes a larger disk's
   * space (partitions after it move towards the end); NULL: none. */
  const char *grow;
  /* --shrink: the mount point of the volume that gives up what a smaller
   * disk lacks (its ext2/3/4 shrunk in a private overlay); NULL: none. */
  const char *shrink;
  /* Block devices: this host's kernel may mount a filesystem asr has just
   * written and verified, to grow it (xfs and btrfs grow only mounted).  Without
   * it, that growth runs in the appliance (docs/asr-restore.1). */
  gboolean mount_to_grow;
  gboolean no_verify; /* skip the read-back checksums */
  /* skip the images' checksums before the first write (their structure
   * is vetted all the same) */
  gboolean no_check_images;
  AsrProgressFunc progress;
  AsrMessageFunc message;
  void *opaque;
  /* The planner's protection rules, applied to what the target is now:
   * a plan is computed, or read, before the targets are locked, and a disk
   * can change in between.  NULL: only restore_target_open's checks. */
  AsrRestoreRecheckFunc recheck;
  void *recheck_opaque;
} AsrRestoreOptions;

typedef struct {
  guint64 disks;
  guint64 volumes;     /* images written */
  guint64 image_bytes; /* their guest-visible bytes */
  guint64 verified;    /* volumes read back and matched */
  double seconds;
  char *accel; /* how the appliance ran, NULL if not started */
} AsrRestoreStats;

/* The restore's id, written into the incomplete marker: the first 16
 * bytes of the backup's machine.xml SHA-256 (@sha256_hex, 64 hex digits)
 * in UUID form.  Free with g_free(). */
char *asr_restore_backup_id (const char *sha256_hex);

/*
 * The writes restore would make, one line each, in order, with offsets and
 * sizes: what --dry-run prints.  Pure: reads no file, writes nothing.
 * Refuses (ASR_IMAGER_ERROR_INVALID_INPUT) what restore would refuse: an
 * unknown or non-critical source disk, a target smaller than its source,
 * a sector-size mismatch, a layout ptable_build cannot write.
 */
GPtrArray *asr_restore_describe (const MachineDescriptor *backup, const char *backup_dir,
                                 GPtrArray *targets, const AsrRestoreOptions *opts, GError **error);

/*
 * Restores the critical disks of @backup (the backup set at @backup_dir,
 * its descriptor parsed) onto @targets (AsrRestoreTarget*, one per mapped
 * source disk: the caller has planned and confirmed).  Per disk, in this
 * order: invalidate (first and last MiB zeroed, the incomplete marker in
 * sector 0), the partition table, the volume images; then, for all disks,
 * flush and read-back verification, one appliance launch (swap and
 * uncaptured volumes recreated, UEFI fallback loader, --grow), and last
 * each disk's boot area, which also removes the marker.  Every target is
 * locked for the whole run.  On any failure the marker stays: the disk
 * never looks restored when it is not.
 */
gboolean asr_restore (const MachineDescriptor *backup, const char *backup_dir,
                      const char *backup_id, GPtrArray *targets, const AsrRestoreOptions *opts,
                      AsrRestoreStats *stats, GError **error);

/*
 * A whole restore as the user asks for it (docs/asr-restore.1), for the
 * command line and the rescue medium alike: BACKUP loaded (a backup-set
 * directory), the TARGETs probed (or --create's made), the plan computed
 * (or --plan read and bound to them), shown, and, unless it is blocked
 * (ASR_IMAGER_ERROR_CHECK_FAILED), either the writes of --dry-run
 * described or, once confirmed, asr_restore() run with the planner's
 * rules re-checked on each target once locked.  Every refusal says that
 * nothing was written.
 */
typedef struct {
  const char *plan_file;  /* --plan PLAN.xml, or NULL: plan now */
  const char *create_dir; /* --create DIR: blank qcow2 targets made there */
  gboolean dry_run;       /* describe the writes; write nothing, make nothing */
  /* Nobody is asked (--yes, the rescue medium): a plan that chose a disk
   * by disk order alone (PlanMapping.tie) is refused, as blocked. */
  gboolean unattended;
  AsrRestoreOptions restore; /* its recheck is the job's own */
  PlanImageFunc vet_image;   /* how the plan vets the set's files */
  void *vet_image_opaque;
  /* The plan, before anything is written or refused for it. */
  void (*show_plan) (const Plan *plan, void *opaque);
  /* --create with --dry-run: a disk that would be made. */
  void (*show_created) (const char *path, guint64 bytes, void *opaque);
  /* --dry-run: the writes (char*), in order. */
  void (*show_writes) (GPtrArray *lines, void *opaque);
  /* Right before the first write: may @rts (AsrRestoreTarget*) be
   * overwritten?  @targets: PlanTarget*, as probed.  FALSE with @error
   * set: refused.  NULL: yes. */
  gboolean (*confirm) (GPtrArray *rts, GPtrArray *targets, void *opaque, GError **error);
  void *opaque;
} AsrRestoreJob;

/* BACKUP as restore and the rescue medium take it: a backup-set directory,
 * loaded as plan loads it.  A descriptor file alone is refused
 * (ASR_IMAGER_ERROR_INVALID_INPUT): its images are needed. */
PlanBackup *asr_backup_set_load (const char *argument, GError **error);

/* @target_args: the TARGETs (NULL-terminated; none with --create).
 * @stats: filled when asr_restore() ran. */
gboolean asr_restore_job_run (const AsrRestoreJob *job, const char *backup_arg,
                              const char *const *target_args, AsrRestoreStats *stats,
                              GError **error);

/*
 * The rescue medium (docs/asr-rescue.1): a hybrid ISO, BIOS and UEFI, CD
 * or USB stick, that boots a machine with asr and the programs restore
 * runs on block devices, made from this host's newest kernel and its own
 * programs.  With @backup_dir, the set goes on the medium; with
 * @unattended, the medium restores it onto the machine it boots when the
 * plan passes, and powers off.  A backup set restore could not use
 * (asr_backup_set_load) and a missing program are refused before
 * anything is built (ASR_IMAGER_ERROR_UNSUPPORTED, named with its Debian
 * package); @output appears only when whole.
 */
typedef struct {
  const char *output;     /* FILE.iso */
  const char *backup_dir; /* NULL: a medium without a backup set */
  gboolean unattended;
} AsrRescueOptions;

/* What a CD holds: 80 minutes of 2048-byte sectors, 360000 of them. */
#define ASR_RESCUE_CD_BYTES (360000ull * 2048ull)

typedef struct {
  guint64 bytes;
  double seconds;
} AsrRescueResult;

gboolean asr_rescue_build (const AsrRescueOptions *opts, AsrRescueResult *result, GError **error);

/* --create DIR: one blank qcow2 per critical source disk, DIR/<disk id>.qcow2,
 * sized like it.  DIR is created if missing; an existing file is refused
 * (ASR_IMAGER_ERROR_INVALID_INPUT).  Returns the paths (char*), in disk order. */
GPtrArray *asr_restore_create_targets (const MachineDescriptor *backup, const char *dir,
                                       GError **error);

G_END_DECLS
