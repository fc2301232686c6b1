/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "export.h"

#include <sys/stat.h>

#include "imager.h"
#include "run.h"

struct _AsrFuseExport {
  char *raw;
  AsrRunChild *qsd;
};

static void
export_free (AsrFuseExport *e)
{
  g_free (e->raw);
  g_free (e);
}

gboolean
asr_fuse_export_stop (AsrFuseExport *e, GError **error)
{
  if (e == NULL)
    return TRUE;
  gboolean clean = asr_run_terminate (g_steal_pointer (&e->qsd), 30);
  /* gone with the daemon when it exits cleanly; lazily otherwise */
  const char *argv[] = { "fusermount3", "-u", "-z", e->raw, NULL };
  AsrRunOptions ro = { .c_locale = TRUE };
  (void) asr_run_full (argv, &ro, NULL, NULL);
  export_free (e);
  if (!clean)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED,
                   "qemu-storage-daemon did not exit within 30 s of SIGTERM: what was "
                   "written through it may be incomplete");
      return FALSE;
    }
  return TRUE;
}

AsrFuseExport *
asr_fuse_export_start (const char *qcow2, guint64 bytes, const char *raw, const char *log,
                       GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!g_file_set_contents (raw, "", 0, &local))
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "%s", local->message);
      return NULL;
    }
  g_autofree char *file_opts = asr_qemu_opts_escape (qcow2);
  g_autofree char *mnt_opts = asr_qemu_opts_escape (raw);
  g_autofree char *bd_file = g_strdup_printf ("driver=file,node-name=f,filename=%s", file_opts);
  g_autofree char *export
    = g_strdup_printf ("type=fuse,id=e,node-name=q,mountpoint=%s,writable=on,allow-other=off",
                       mnt_opts);
  const char *qsd[] = { "qemu-storage-daemon",
                        "--blockdev",
                        bd_file,
                        "--blockdev",
                        "driver=qcow2,node-name=q,file=f",
                        "--export",
                        export,
                        NULL };
  AsrFuseExport *e = g_new0 (AsrFuseExport, 1);
  e->raw = g_strdup (raw);
  e->qsd = asr_run_start (qsd, -1, log, &local);
  if (e->qsd == NULL)
    {
      export_free (e);
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "qemu-storage-daemon: %s",
                   local->message);
      return NULL;
    }
  /* The export is up when the file shows the image's size. */
  for (guint i = 0; i < 300; i++)
    {
      struct stat st;
      if (stat (raw, &st) == 0 && (guint64) st.st_size == bytes)
        return e;
      g_usleep (G_USEC_PER_SEC / 10);
    }
  (void) asr_fuse_export_stop (e, NULL);
  g_autofree char *tail = NULL;
  (void) g_file_get_contents (log, &tail, NULL, NULL);
  g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED,
               "qemu-storage-daemon did not export %s as a file within 30 s%s%s", qcow2,
               tail && *tail ? ": " : "", tail ? g_strstrip (tail) : "");
  return NULL;
}
