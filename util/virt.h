/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one libvirt connection set-up (probe of `domain:NAME`, verify's
 * throwaway VM), and the autoptr cleanups of libvirt's types.  A library
 * of its own (util_virt_dep): only the parts that talk to libvirt link it.
 */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

G_BEGIN_DECLS

#define ASR_VIRT_ERROR (asr_virt_error_quark ())
GQuark asr_virt_error_quark (void);

typedef enum {
  ASR_VIRT_ERROR_FAILED, /* libvirt could not be initialised, or not reached */
} AsrVirtError;

typedef enum {
  ASR_VIRT_CONNECT_NONE = 0,
  ASR_VIRT_CONNECT_READ_ONLY = 1 << 0,
  /* Runs libvirt's default event loop in a thread, for the rest of the
   * process: domain events need it, and the embedded driver needs it
   * until the end. */
  ASR_VIRT_CONNECT_EVENTS = 1 << 1,
} AsrVirtConnectFlags;

/* qemu:///embed?root=ROOT: the embedded driver, private to @root. */
char *asr_virt_embed_uri (const char *root);

/* Opens a connection to @uri.  libvirt is initialised once, first, never
 * to print (errors come back in the GError; its log goes to /dev/null
 * unless LIBVIRT_LOG_OUTPUTS says otherwise).  ASR_VIRT_ERROR_FAILED
 * carries libvirt's own message; the caller translates it into its
 * domain. */
virConnect *asr_virt_connect (const char *uri, AsrVirtConnectFlags flags, GError **error);

/* "@what: libvirt's last error message", in @domain / @code. */
void asr_virt_set_error (GError **error, GQuark domain, int code, const char *what);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virDomain, virDomainFree)

G_END_DECLS
