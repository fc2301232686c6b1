/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The imager: capture (SOURCE disks → backup set) and check (a backup set
 * against its descriptor).  Restore joins it later.
 *
 * Library code never prints: progress and warnings go through callbacks,
 * the command line decides what a user sees.
 */
#pragma once

#include <glib.h>

#include "machine.h"

G_BEGIN_DECLS

#define ASR_IMAGER_ERROR (asr_imager_error_quark ())
GQuark asr_imager_error_quark (void);

typedef enum {
  ASR_IMAGER_ERROR_INVALID_INPUT, /* bad source, refused layout: exit 2 */
  ASR_IMAGER_ERROR_UNSUPPORTED,   /* LVM, md, LUKS, no OS, several OSes: exit 2 */
  ASR_IMAGER_ERROR_EXISTS,        /* BACKUP exists and no --force: exit 2 */
  ASR_IMAGER_ERROR_NO_SPACE,      /* not enough room for the backup set: exit 3 */
  ASR_IMAGER_ERROR_FAILED,        /* a runtime failure: exit 3 */
} AsrImagerError;

/* Progress of long work: @what names the item ("disk0-p2.qcow2"),
 * @done/@total in bytes of that item, @all_done/@all_total overall. */
typedef void (*AsrProgressFunc) (const char *what, guint64 done, guint64 total,
                                 guint64 all_done, guint64 all_total, void *opaque);
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
  guint64 images;        /* images written */
  guint64 image_bytes;   /* their size on the host */
  guint64 used_bytes;    /* used data in the captured volumes */
  double seconds;
  char *accel;           /* how the appliance ran, and why */
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
  char *file;       /* image name in the backup set */
  char *what;       /* "disk0 boot area", "disk0 partition 2 (/)" */
  AsrCheckStatus status;
  char *detail;     /* why, for anything but OK */
  char *expected;   /* checksum in the descriptor */
  char *actual;     /* checksum computed, NULL if not computed */
} AsrCheckItem;

void asr_check_item_free (AsrCheckItem *item);

/* Checks every image of the backup set @backup.  Returns the items
 * (AsrCheckItem*), or NULL with @error when the set cannot be checked at
 * all (no machine.xml, invalid descriptor). */
GPtrArray *asr_check_backup (const char *backup, AsrProgressFunc progress, void *opaque,
                             MachineDescriptor **descriptor_out, GError **error);

G_END_DECLS
