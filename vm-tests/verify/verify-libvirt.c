/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transient domain through libvirt.  qemu runs with -no-shutdown
 * (docs/architecture.md, platform facts), so seeing the guest stop needs an event loop
 * running: the connection asks util/virt.c for one.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cleanup.h"
#include "verify-private.h"
#include "virt.h"

/* What the lifecycle callback sees, shared (a reference count) between
 * the VerifyVm and libvirt: libvirt may be running the callback in the
 * event thread while the main thread deregisters it, and frees its
 * reference (freecb) only once the callback cannot run any more. */
typedef struct {
  char *name;
  gint stopped; /* atomic: set from the event thread */
} VmWatch;

static void
vm_watch_clear (gpointer data)
{
  g_free (((VmWatch *) data)->name);
}

static void
vm_watch_release (void *watch)
{
  g_atomic_rc_box_release_full (watch, vm_watch_clear);
}

struct _VerifyVm {
  virConnect *conn;
  virDomain *dom;
  int callback_id;
  char *name;
  char *libvirt_root; /* embedded driver only */
  pid_t qemu_pid;
  VmWatch *watch;
};

static void
set_libvirt_error (GError **error, AsrVerifyError code, const char *what)
{
  asr_virt_set_error (error, ASR_VERIFY_ERROR, code, what);
}

static int
lifecycle_cb (virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
  VmWatch *watch = opaque;

  if (g_strcmp0 (virDomainGetName (dom), watch->name) != 0)
    return 0;
  if (event == VIR_DOMAIN_EVENT_STOPPED || event == VIR_DOMAIN_EVENT_CRASHED
      || event == VIR_DOMAIN_EVENT_SHUTDOWN)
    g_atomic_int_set (&watch->stopped, 1);
  return 0;
}

/* The embedded driver reads <root>/etc/qemu.conf.  No virtlogd runs for
 * it, so qemu's own output goes to a plain file. */
static gboolean
write_embedded_config (const char *root, GError **error)
{
  g_autofree char *etc = g_build_filename (root, "etc", NULL);
  g_autofree char *conf = g_build_filename (etc, "qemu.conf", NULL);

  if (g_mkdir_with_parents (etc, 0700) != 0)
    {
      int e = errno;
      g_set_error (error, ASR_VERIFY_ERROR, ASR_VERIFY_ERROR_FAILED, "%s: %s", etc, g_strerror (e));
      return FALSE;
    }
  return g_file_set_contents_full (conf, "stdio_handler = \"file\"\n", -1, G_FILE_SET_CONTENTS_NONE,
                                   0600, error);
}

/* The last lines of qemu's own log, when the embedded driver kept one:
 * why qemu refused to start is there, not in libvirt's message. */
static char *
qemu_log_tail (const char *root, const char *name)
{
  g_autofree char *base = g_strdup_printf ("%s.log", name);
  g_autofree char *path = root ? g_build_filename (root, "log", "qemu", base, NULL) : NULL;
  g_autoptr (GPtrArray) tail = asr_console_tail (path, 3);
  g_autoptr (GString) s = g_string_new (NULL);

  for (guint i = 0; i < tail->len; i++)
    if (strstr (g_ptr_array_index (tail, i), "qemu") != NULL
        || strstr (g_ptr_array_index (tail, i), "error") != NULL)
      g_string_append_printf (s, "\n%s", (char *) g_ptr_array_index (tail, i));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
vm_free (VerifyVm *vm)
{
  if (vm == NULL)
    return;
  if (vm->callback_id >= 0 && vm->conn)
    virConnectDomainEventDeregisterAny (vm->conn, vm->callback_id);
  if (vm->dom)
    virDomainFree (vm->dom);
  if (vm->conn)
    virConnectClose (vm->conn);
  if (vm->watch)
    vm_watch_release (vm->watch);
  g_free (vm->name);
  g_free (vm->libvirt_root);
  g_free (vm);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VerifyVm, vm_free)

VerifyVm *
verify_vm_start (const VerifyWorkdir *w, const char *uri, const char *xml, char **uri_out,
                 GError **error)
{
  g_autoptr (VerifyVm) vm = g_new0 (VerifyVm, 1);
  g_autofree char *use_uri = NULL;
  g_autoptr (GError) local = NULL;

  vm->callback_id = -1;
  vm->name = g_strdup (w->name);
  vm->watch = g_atomic_rc_box_new0 (VmWatch);
  vm->watch->name = g_strdup (w->name);
  if (uri == NULL)
    {
      if (!write_embedded_config (w->libvirt_root, error))
        return NULL;
      vm->libvirt_root = g_strdup (w->libvirt_root);
      use_uri = asr_virt_embed_uri (w->libvirt_root);
    }
  else
    use_uri = g_strdup (uri);

  vm->conn = asr_virt_connect (use_uri, ASR_VIRT_CONNECT_EVENTS, &local);
  if (vm->conn == NULL)
    {
      g_set_error_literal (error, ASR_VERIFY_ERROR, ASR_VERIFY_ERROR_NO_VM, local->message);
      return NULL;
    }
  vm->callback_id
    = virConnectDomainEventRegisterAny (vm->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                        VIR_DOMAIN_EVENT_CALLBACK (lifecycle_cb),
                                        g_atomic_rc_box_acquire (vm->watch), vm_watch_release);
  if (vm->callback_id < 0)
    {
      /* a failed registration does not call freecb */
      vm_watch_release (vm->watch);
      set_libvirt_error (error, ASR_VERIFY_ERROR_NO_VM, "watching domain events");
      return NULL;
    }

  vm->dom = virDomainCreateXML (vm->conn, xml, VIR_DOMAIN_NONE);
  if (vm->dom == NULL)
    {
      g_autofree char *tail = qemu_log_tail (vm->libvirt_root, vm->name);
      g_set_error (error, ASR_VERIFY_ERROR, ASR_VERIFY_ERROR_NO_VM,
                   "libvirt could not start the VM: %s%s", virGetLastErrorMessage (), tail);
      /* a half-started qemu must not survive us */
      pid_t pid = verify_find_qemu_pid (vm->libvirt_root, vm->name);
      verify_qemu_reap (pid, vm->name, 0);
      return NULL;
    }
  /* Ctrl-C from here on kills it by pid: the embedded driver dies with us
   * and cannot destroy it then. */
  vm->qemu_pid = verify_find_qemu_pid (vm->libvirt_root, vm->name);
  if (vm->qemu_pid > 0)
    asr_cleanup_add_pid (vm->qemu_pid);
  else
    g_debug ("%s: the qemu process is not on this host, or not found", vm->name);
  if (uri_out)
    *uri_out = g_steal_pointer (&use_uri);
  return g_steal_pointer (&vm);
}

gboolean
verify_vm_stopped (VerifyVm *vm)
{
  int state = 0, reason = 0;

  if (g_atomic_int_get (&vm->watch->stopped))
    return TRUE;
  /* In case an event was missed (a remote connection dropped): the
   * state, and the process when it is ours to see. */
  if (virDomainGetState (vm->dom, &state, &reason, 0) == 0
      && (state == VIR_DOMAIN_SHUTOFF || state == VIR_DOMAIN_CRASHED
          || (state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_SHUTTING_DOWN)))
    return TRUE;
  if (vm->qemu_pid > 0 && !verify_qemu_alive (vm->qemu_pid, vm->name))
    return TRUE;
  return FALSE;
}

void
verify_vm_stop (VerifyVm *vm)
{
  if (vm == NULL)
    return;
  if (virDomainDestroy (vm->dom) < 0)
    g_debug ("%s: destroy: %s", vm->name, virGetLastErrorMessage ());
  /* A domain outlives the connection that made it: confirm by pid. */
  pid_t pid = vm->qemu_pid > 0 ? vm->qemu_pid : verify_find_qemu_pid (vm->libvirt_root, vm->name);
  if (!verify_qemu_reap (pid, vm->name, 5000))
    g_debug ("%s: qemu %d would not die", vm->name, (int) pid);
  if (vm->qemu_pid > 0)
    asr_cleanup_remove_pid (vm->qemu_pid);
  vm_free (vm);
}
