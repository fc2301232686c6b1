/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdarg.h>

#include "accel.h"
#include "appliance.h"
#include "cleanup.h"
#include "imager.h"

void
asr_appliance_set_error (guestfs_h *g, GError **error, const char *what, ...)
{
  va_list ap;
  g_autofree char *prefix = NULL;
  const char *msg = guestfs_last_error (g);

  va_start (ap, what);
  prefix = g_strdup_vprintf (what, ap);
  va_end (ap);
  g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "%s: %s", prefix,
               msg ? msg : "libguestfs failed");
}

guestfs_h *
asr_appliance_new (char **accel_reason, GError **error)
{
  g_autoptr (guestfs_h) g = guestfs_create ();
  g_autofree char *reason = NULL;

  if (g == NULL)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED,
                   "cannot create a libguestfs handle");
      return NULL;
    }
  /* Only the command line prints: errors come back through last_error. */
  guestfs_set_error_handler (g, NULL, NULL);

  if (g_getenv ("LIBGUESTFS_BACKEND") == NULL && guestfs_set_backend (g, "direct") == -1)
    {
      asr_appliance_set_error (g, error, "libguestfs backend");
      return NULL;
    }
  if (asr_accel_decide (&reason) == ASR_ACCEL_TCG)
    {
      /* Keep settings the user gave through LIBGUESTFS_BACKEND_SETTINGS. */
      char **settings = guestfs_get_backend_settings (g);
      g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
      if (settings)
        {
          g_strv_builder_addv (b, (const char **) settings);
          g_strfreev (settings);
        }
      g_strv_builder_add (b, "force_tcg");
      g_auto (GStrv) all = g_strv_builder_end (b);
      if (guestfs_set_backend_settings (g, all) == -1)
        {
          asr_appliance_set_error (g, error, "libguestfs backend settings");
          return NULL;
        }
    }
  if (accel_reason)
    *accel_reason = g_steal_pointer (&reason);
  return g_steal_pointer (&g);
}

static gboolean
is_file_in (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

gboolean
asr_appliance_available (char **why)
{
  g_autoptr (guestfs_h) g = guestfs_create ();
  if (g == NULL)
    {
      if (why)
        *why = g_strdup ("libguestfs cannot create a handle");
      return FALSE;
    }
  guestfs_set_error_handler (g, NULL, NULL);
  const char *path = guestfs_get_path (g); /* LIBGUESTFS_PATH, or where it was built to look */
  g_autofree char *supermin = g_find_program_in_path ("supermin");
  g_auto (GStrv) dirs = g_strsplit (path ? path : "", ":", -1);
  for (char **d = dirs; *d; d++)
    {
      if (**d == '\0')
        continue;
      if (supermin && is_file_in (*d, "supermin.d"))
        return TRUE;
      if (is_file_in (*d, "kernel") && is_file_in (*d, "initrd") && is_file_in (*d, "root"))
        return TRUE;
    }
  if (why)
    *why = g_strdup_printf ("no libguestfs appliance in %s%s", path && *path ? path : "(no path)",
                            supermin ? "" : ", and no supermin program to build one");
  return FALSE;
}

gboolean
asr_appliance_add_drive (guestfs_h *g, const char *path, const char *format, gboolean readonly,
                         GError **error)
{
  int r;
  if (readonly)
    r = guestfs_add_drive_opts (g, path, GUESTFS_ADD_DRIVE_OPTS_FORMAT, format,
                                GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1);
  else
    r = guestfs_add_drive_opts (g, path, GUESTFS_ADD_DRIVE_OPTS_FORMAT, format,
                                GUESTFS_ADD_DRIVE_OPTS_READONLY, 0, GUESTFS_ADD_DRIVE_OPTS_DISCARD,
                                "besteffort", -1);
  if (r == -1)
    {
      asr_appliance_set_error (g, error, "adding %s", path);
      return FALSE;
    }
  return TRUE;
}

gboolean
asr_appliance_launch (guestfs_h *g, GError **error)
{
  if (guestfs_launch (g) == -1)
    {
      asr_appliance_set_error (g, error, "starting the libguestfs appliance");
      return FALSE;
    }
  int pid = guestfs_get_pid (g);
  if (pid > 0)
    asr_cleanup_add_pid (pid);
  return TRUE;
}

gboolean
asr_appliance_shutdown (guestfs_h *g, GError **error)
{
  int pid = guestfs_get_pid (g);
  if (pid > 0)
    asr_cleanup_remove_pid (pid);
  if (guestfs_shutdown (g) == -1)
    {
      asr_appliance_set_error (g, error, "shutting down the libguestfs appliance");
      return FALSE;
    }
  return TRUE;
}
