/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rescue medium (docs/asr-rescue.1): asr_rescue_build() checks the
 * request, then runs mkrescue, the builder beside this file, which makes
 * the ISO from the host's own kernel and programs.  The builder is a
 * shell script because the medium is assembled from files and programs
 * (cpio, grub-mkrescue), as ReaR's is; asr's part is what goes on it and
 * that nothing is half-built.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "file.h"
#include "imager.h"
#include "run.h"

/* The directory holding mkrescue and init: $ASR_RESCUE_DIR, the build
 * tree (builddir/cli/asr beside builddir/imager/rescue), the installed
 * one relative to the program (a moved tree, DESTDIR), or the installed
 * one. */
static char *
rescue_dir (void)
{
  static const char *const from_bindir[] = { "../imager/rescue", ASR_RESCUE_DIR_FROM_BINDIR, NULL };
  return asr_file_find_data_dir ("ASR_RESCUE_DIR", from_bindir, "mkrescue",
                                 ASR_RESCUE_DIR_INSTALLED);
}

gboolean
asr_rescue_build (const AsrRescueOptions *opts, AsrRescueResult *result, GError **error)
{
  g_autofree char *dir = rescue_dir ();
  g_autofree char *mkrescue = g_build_filename (dir, "mkrescue", NULL);
  g_autofree char *init = g_build_filename (dir, "init", NULL);
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *schemas = machine_schema_dir ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  AsrRunOptions o = { .c_locale = TRUE, .stderr_tail_lines = 40 };
  g_auto (AsrRunResult) r = { 0 };
  g_autoptr (GError) local = NULL;
  gint64 start = g_get_monotonic_time ();
  GStatBuf st;

  g_return_val_if_fail (opts != NULL && opts->output != NULL, FALSE);

  if (exe == NULL)
    {
      g_set_error_literal (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED,
                           "cannot find asr's own program (/proc/self/exe) to put on the medium");
      return FALSE;
    }
  if (!g_file_test (mkrescue, G_FILE_TEST_IS_EXECUTABLE) || !g_file_test (init, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED,
                   "%s: the medium's builder is missing (set ASR_RESCUE_DIR to the directory "
                   "holding mkrescue and init)",
                   dir);
      return FALSE;
    }
  if (opts->unattended && opts->backup_dir == NULL)
    {
      g_set_error_literal (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                           "--unattended restores the backup set on the medium: give --backup");
      return FALSE;
    }
  if (opts->backup_dir)
    {
      /* one restore can use, before a minute goes into building */
      g_autoptr (PlanBackup) b = asr_backup_set_load (opts->backup_dir, error);
      if (b == NULL)
        return FALSE;
    }

  g_ptr_array_add (argv, mkrescue);
  g_ptr_array_add (argv, "--asr");
  g_ptr_array_add (argv, exe);
  g_ptr_array_add (argv, "--schemas");
  g_ptr_array_add (argv, schemas);
  g_ptr_array_add (argv, "--init");
  g_ptr_array_add (argv, init);
  g_ptr_array_add (argv, "--out");
  g_ptr_array_add (argv, (gpointer) opts->output);
  if (opts->backup_dir)
    {
      g_ptr_array_add (argv, "--backup");
      g_ptr_array_add (argv, (gpointer) opts->backup_dir);
    }
  if (opts->unattended)
    g_ptr_array_add (argv, "--unattended");
  g_ptr_array_add (argv, NULL);

  if (!asr_run_full ((const char *const *) argv->pdata, &o, &r, &local))
    {
      /* exit 2: a missing program, named with its package; nothing built */
      g_set_error (error, ASR_IMAGER_ERROR,
                   r.exit_status == 2 ? ASR_IMAGER_ERROR_UNSUPPORTED : ASR_IMAGER_ERROR_FAILED,
                   "building the rescue medium: %s", local->message);
      return FALSE;
    }
  if (g_stat (opts->output, &st) != 0)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "%s: %s", opts->output,
                   g_strerror (errno));
      return FALSE;
    }
  if (result)
    {
      result->bytes = (guint64) st.st_size;
      result->seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
    }
  return TRUE;
}
