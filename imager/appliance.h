/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libguestfs appliance, started once per command: direct backend,
 * KVM where it works (accel.h), TCG otherwise; libguestfs never prints,
 * its errors become GErrors with guestfs_last_error().
 */
#pragma once

#include <glib.h>
#include <guestfs.h>

G_BEGIN_DECLS

/* A libguestfs call that failed is ASR_IMAGER_ERROR_FAILED (imager.h). */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (guestfs_h, guestfs_close)

/* A handle with the backend and acceleration set, not launched.
 * @accel_reason (optional) says which accelerator and why. */
guestfs_h *asr_appliance_new (char **accel_reason, GError **error);

/* Whether this host has a libguestfs appliance to launch: a supermin
 * appliance (supermin.d, and the supermin program) or a fixed one
 * (kernel, initrd, root) in libguestfs's path.  FALSE with *@why (the
 * path looked in) when not: a rescue medium has none. */
gboolean asr_appliance_available (char **why);

/* Adds a drive with an explicit format (never probed). */
gboolean asr_appliance_add_drive (guestfs_h *g, const char *path, const char *format,
                                  gboolean readonly, GError **error);

/* Launches, registering qemu's pid for cleanup on signals. */
gboolean asr_appliance_launch (guestfs_h *g, GError **error);

/* Sets @error from guestfs_last_error, prefixed with @what. */
void asr_appliance_set_error (guestfs_h *g, GError **error, const char *what, ...)
  G_GNUC_PRINTF (3, 4);

/* Shuts down (flushing writes to drives) and unregisters the pid. */
gboolean asr_appliance_shutdown (guestfs_h *g, GError **error);

G_END_DECLS
