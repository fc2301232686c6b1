/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the verify library: the private directory and libvirt. */
#pragma once

#include <sys/types.h>

#include "verify.h"

/* ---- verify-workdir.c ---------------------------------------------------- */

/* The private directory of one run: <parent>/asr-verify-XXXXXX, 0700,
 * with an owner file naming this process, registered for cleanup on
 * signals.  Its base name is also the domain name. */
typedef struct {
  char *path;
  char *name;         /* base name: the domain's name */
  char *libvirt_root; /* path/libvirt: the embedded driver's root */
} VerifyWorkdir;

VerifyWorkdir *verify_workdir_new (GError **error);
/* Removes the directory (unless @keep) and unregisters it; frees. */
void verify_workdir_finish (VerifyWorkdir *w, gboolean keep);
void verify_workdir_free (VerifyWorkdir *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VerifyWorkdir, verify_workdir_free)

/* A qcow2 overlay at @overlay over @backing (any path; made absolute)
 * whose format is @format. */
gboolean verify_make_overlay (const char *backing, const char *format, const char *overlay,
                              GError **error);

/* The pid of the qemu running domain @name on this host (the embedded
 * driver's pid file under @libvirt_root if given, else a /proc scan for
 * "guest=NAME,"), or 0. */
pid_t verify_find_qemu_pid (const char *libvirt_root, const char *name);
/* TRUE if @pid still runs qemu for domain @name (a zombie does not). */
gboolean verify_qemu_alive (pid_t pid, const char *name);
/* Waits up to @wait_ms for it to go, then SIGKILLs it and waits again.
 * TRUE when it is gone. */
gboolean verify_qemu_reap (pid_t pid, const char *name, guint wait_ms);

/* ---- verify-libvirt.c ---------------------------------------------------- */

typedef struct _VerifyVm VerifyVm;

/* Connects to @uri (NULL: the embedded driver rooted at
 * @w->libvirt_root), starts the transient domain from @xml and watches
 * its lifecycle.  @uri_out gets the URI used. */
VerifyVm *verify_vm_start (const VerifyWorkdir *w, const char *uri, const char *xml, char **uri_out,
                           GError **error);
/* TRUE once libvirt said the domain stopped (or crashed). */
gboolean verify_vm_stopped (VerifyVm *vm);
/* virDomainDestroy, then makes sure the qemu process is gone; frees. */
void verify_vm_stop (VerifyVm *vm);
