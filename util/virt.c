/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt, initialised once for the process.  Two libvirt 9.0 details
 * (docs/architecture.md, platform facts): it logs to stderr unless its log outputs are
 * set, and seeing a guest stop needs an event loop running.
 */
#include "config.h"

#include "virt.h"

/* clang-format off */
G_DEFINE_QUARK (asr-virt-error-quark, asr_virt_error)
/* clang-format on */

static void
silent_error_func (void *user_data, virErrorPtr err)
{
  /* errors come back through virGetLastErrorMessage() */
}

static gpointer
init_libvirt (gpointer unused)
{
  /* Only cli/ prints; a user's own setting wins, for debugging. */
  if (g_getenv ("LIBVIRT_LOG_OUTPUTS") == NULL)
    g_setenv ("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", FALSE);
  virSetErrorFunc (NULL, silent_error_func);
  if (virInitialize () < 0)
    return GINT_TO_POINTER (FALSE);
  /* The embedded driver needs an event loop implementation registered,
   * before the first connection. */
  if (virEventRegisterDefaultImpl () < 0)
    return GINT_TO_POINTER (FALSE);
  return GINT_TO_POINTER (TRUE);
}

static gpointer
event_thread (gpointer unused)
{
  for (;;)
    if (virEventRunDefaultImpl () < 0)
      g_usleep (100 * 1000);
  return NULL;
}

static gpointer
start_event_thread (gpointer unused)
{
  /* Lives as long as the process: libvirt has no way to wake the default
   * loop for good, and the embedded driver needs it until the end. */
  g_thread_unref (g_thread_new ("asr-libvirt-events", event_thread, NULL));
  return NULL;
}

void
asr_virt_set_error (GError **error, GQuark domain, int code, const char *what)
{
  g_set_error (error, domain, code, "%s: %s", what, virGetLastErrorMessage ());
}

char *
asr_virt_embed_uri (const char *root)
{
  return g_strdup_printf ("qemu:///embed?root=%s", root);
}

virConnect *
asr_virt_connect (const char *uri, AsrVirtConnectFlags flags, GError **error)
{
  static GOnce init_once = G_ONCE_INIT;
  static GOnce events_once = G_ONCE_INIT;
  virConnect *conn;

  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!GPOINTER_TO_INT (g_once (&init_once, init_libvirt, NULL)))
    {
      asr_virt_set_error (error, ASR_VIRT_ERROR, ASR_VIRT_ERROR_FAILED, "initialising libvirt");
      return NULL;
    }
  if (flags & ASR_VIRT_CONNECT_EVENTS)
    g_once (&events_once, start_event_thread, NULL);
  if (flags & ASR_VIRT_CONNECT_READ_ONLY)
    conn = virConnectOpenReadOnly (uri);
  else
    conn = virConnectOpen (uri);
  if (conn == NULL)
    {
      g_autofree char *what = g_strdup_printf ("cannot connect to libvirt at %s", uri);
      asr_virt_set_error (error, ASR_VIRT_ERROR, ASR_VIRT_ERROR_FAILED, what);
      return NULL;
    }
  return conn;
}
