/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between capture.c (the flow) and capture-discover.c (what to capture). */
#pragma once

#include <glib.h>
#include <guestfs.h>

#include "imager.h"
#include "machine.h"
#include "probe.h"

typedef struct {
  guint index;
  char *path;   /* canonical source path */
  char *format; /* probed or given */
  guint64 bytes;
  guint32 logical_sector;
  guint32 physical_sector;
  AsrImageInfo *info;
  AsrBlockdev *blockdev; /* block devices only */
  char *overlay;         /* private qcow2 over the source */
  char *gdev;            /* the appliance's name for it, /dev/sda */
  MachineDisk *disk;     /* in Capture.m */
} CaptureDisk;

/* A volume to image. */
typedef struct {
  CaptureDisk *disk;
  MachinePartition *partition;
  char *gdev;         /* /dev/sda2 */
  gboolean has_fs;    /* mountable: trimmed before imaging */
  guint64 used_bytes; /* used data (the whole partition when raw) */
} CaptureVolume;

typedef struct {
  const AsrCaptureOptions *opts;
  MachineDescriptor *m;
  GPtrArray *disks;   /* CaptureDisk* */
  GPtrArray *volumes; /* CaptureVolume* */
  char *backup;       /* absolute */
  char *tmpdir;       /* the backup set being written */
  char *workdir;      /* tmpdir/.work: overlays */
  guestfs_h *g;
  char *accel;
  guint64 progress_done, progress_total;
  guint64 images, image_bytes, used_bytes;
} Capture;

void capture_message (Capture *c, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Inspection and filesystem facts: fills c->m (os, hardware, volumes,
 * critical flags, boot disk, boot areas) and c->volumes; refuses what
 * cannot be restored. */
gboolean capture_discover (Capture *c, GError **error);

/* Mounts each volume to image in the overlay, measures used data, and
 * discards free space. */
gboolean capture_trim (Capture *c, GError **error);
