/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Progress of long work: the one callback type of every part.  @what
 * names the item ("disk0-p2.qcow2"; NULL where the caller knows it),
 * @done and @total are that item's, @all_done and @all_total the whole
 * work's (the item's own where the reporter knows of no other).  Units
 * are bytes, except where a helper only reports a share: qemu-img's
 * percentage comes as hundredths of a percent of ASR_PROGRESS_SHARE. */
typedef void (*AsrProgressFunc) (const char *what, guint64 done, guint64 total, guint64 all_done,
                                 guint64 all_total, void *opaque);

#define ASR_PROGRESS_SHARE 10000

G_END_DECLS
