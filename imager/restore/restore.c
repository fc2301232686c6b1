/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr restore: a backup set → the target disks the plan mapped.
 *
 * The order of writes is the safety argument (asr-restore(1), DESCRIPTION):
 *   1. per disk, invalidate first: the first and last MiB zeroed (old
 *      tables and signatures gone) and the incomplete marker in sector 0;
 *   2. the partition table, from the descriptor;
 *   3. the volume images into their partitions' byte ranges;
 *   4. flush, read back, compare checksums with the descriptor;
 *   5. the volume work (restore-backend.h: the appliance for image files,
 *      the host's tools for block devices): swap and uncaptured volumes
 *      recreated, the UEFI fallback loader, --grow;
 *   6. last, the boot area around the table, which removes the marker;
 *      then the kernel re-reads a block device's table.
 * Until 6 the disk is marked incomplete; any failure before it leaves it
 * so.  Everything written is computed (restore-layout.c) and every target
 * opened and locked before the first write.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "checksum.h"
#include "cleanup.h"
#include "probe.h"
#include "restore-backend.h"
#include "run.h"

AsrRestoreTarget *
asr_restore_target_new (const char *source, const char *path, const char *format)
{
  AsrRestoreTarget *t = g_new0 (AsrRestoreTarget, 1);
  t->source = g_strdup (source);
  t->path = g_strdup (path);
  t->format = g_strdup (format);
  return t;
}

void
asr_restore_target_free (AsrRestoreTarget *t)
{
  if (t == NULL)
    return;
  g_free (t->source);
  g_free (t->path);
  g_free (t->format);
  g_free (t->serial);
  g_free (t->wwn);
  if (t->shrink_mins)
    g_array_unref (t->shrink_mins);
  g_free (t);
}

char *
asr_restore_backup_id (const char *sha256_hex)
{
  g_return_val_if_fail (sha256_hex != NULL && strlen (sha256_hex) >= 32, NULL);
  return g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", sha256_hex, sha256_hex + 8, sha256_hex + 12,
                          sha256_hex + 16, sha256_hex + 20);
}

gboolean
restore_fail (GError **error, AsrImagerError code, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, ASR_IMAGER_ERROR, code, msg);
  return FALSE;
}

gboolean
restore_fail_point (const char *step, GError **error)
{
  return asr_test_fail_point ("ASR_RESTORE_FAIL_AT", step, ASR_IMAGER_ERROR,
                              ASR_IMAGER_ERROR_FAILED, error);
}

typedef struct {
  const AsrRestoreOptions *opts;
  GPtrArray *disks;        /* RestoreDisk* */
  GPtrArray *ios;          /* RestoreTargetIO*, parallel to disks */
  GPtrArray *shrink_dirs;  /* char*: --shrink's private overlays, removed at the end */
  RestoreBackend *backend; /* the volume work's */
  const char *backend_why; /* why the appliance serves block devices, or NULL */
  RestoreWork work;
  const char *backup_id;
  AsrRestoreStats st;
  guint64 all_done, all_total;
} Restore;

static void message (Restore *r, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
message (Restore *r, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_debug ("%s", msg);
  if (r->opts->message)
    r->opts->message (msg, r->opts->opaque);
}

/* Whether disk @id is among the targets' sources. */
static gboolean
is_mapped (GPtrArray *targets, const char *id)
{
  for (guint k = 0; k < targets->len; k++)
    if (g_strcmp0 (((const AsrRestoreTarget *) g_ptr_array_index (targets, k))->source, id) == 0)
      return TRUE;
  return FALSE;
}

/* The devices @refs (n of them) are all on mapped disks, or none is. */
static gboolean
whole_or_none (const MachineDescriptor *backup, GPtrArray *targets, const char *what,
               const char *const *refs, guint n, GError **error)
{
  const char *in = NULL, *out = NULL;
  for (guint j = 0; j < n; j++)
    {
      MachineDeviceRef r;
      if (!machine_descriptor_resolve (backup, refs[j], &r) || r.disk == NULL)
        continue;
      if (is_mapped (targets, r.disk->id))
        in = r.disk->id;
      else
        out = r.disk->id;
    }
  if (in && out)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "%s is on %s and on %s: restore both disks together, or neither", what, in, out);
      return FALSE;
    }
  return TRUE;
}

/* A volume group or an md array is restored whole or not at all: a
 * restore onto some of its disks only would leave it with members
 * missing. */
static gboolean
check_stacks_whole (const MachineDescriptor *backup, GPtrArray *targets, GError **error)
{
  for (guint i = 0; i < backup->md_arrays->len; i++)
    {
      const MachineMdArray *md = g_ptr_array_index (backup->md_arrays, i);
      g_autofree const char **refs = g_new0 (const char *, md->members->len + 1);
      g_autofree char *what = g_strdup_printf ("md array %s", md->id);
      for (guint j = 0; j < md->members->len; j++)
        refs[j] = ((const MachineMdMember *) g_ptr_array_index (md->members, j))->device;
      if (!whole_or_none (backup, targets, what, refs, md->members->len, error))
        return FALSE;
    }
  for (guint i = 0; i < backup->volume_groups->len; i++)
    {
      const MachineVolumeGroup *vg = g_ptr_array_index (backup->volume_groups, i);
      g_autofree const char **refs = g_new0 (const char *, vg->pvs->len + 1);
      g_autofree char *what = g_strdup_printf ("volume group %s", vg->name);
      for (guint j = 0; j < vg->pvs->len; j++)
        refs[j] = ((const MachinePhysicalVolume *) g_ptr_array_index (vg->pvs, j))->device;
      if (!whole_or_none (backup, targets, what, refs, vg->pvs->len, error))
        return FALSE;
    }
  return TRUE;
}

/* --shrink: the minimum the plan measured for partition @p of the target
 * @opaque (MachineMinBytesFunc); restore measures again when it shrinks. */
static gboolean
planned_min_bytes (const MachineDisk *d, const MachinePartition *p, guint64 *min_bytes,
                   void *opaque, GError **error)
{
  const AsrRestoreTarget *t = opaque;
  *min_bytes = 0;
  for (guint i = 0; t->shrink_mins && i < t->shrink_mins->len; i++)
    if (g_array_index (t->shrink_mins, AsrShrinkMin, i).number == p->number)
      *min_bytes = g_array_index (t->shrink_mins, AsrShrinkMin, i).min_bytes;
  return TRUE;
}

static GPtrArray *
prepare_all (const MachineDescriptor *backup, const char *backup_dir, GPtrArray *targets,
             const AsrRestoreOptions *opts, GError **error)
{
  g_autoptr (GPtrArray) disks = g_ptr_array_new_with_free_func ((GDestroyNotify) restore_disk_free);
  g_autoptr (GHashTable) seen_src = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) seen_dst = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_return_val_if_fail (targets != NULL, NULL);
  if (targets->len == 0)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT, "no disk to restore");
      return NULL;
    }
  for (guint i = 0; i < targets->len; i++)
    {
      const AsrRestoreTarget *t = g_ptr_array_index (targets, i);
      g_autofree char *abs = g_canonicalize_filename (t->path, NULL);
      if (!g_hash_table_add (seen_src, t->source) || g_hash_table_contains (seen_dst, abs))
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s → %s: each source disk and each target once", t->source, t->path);
          return NULL;
        }
      g_hash_table_add (seen_dst, g_steal_pointer (&abs));
      MachineLayoutOptions lo = { .grow = opts->grow,
                                  .shrink = opts->shrink,
                                  .min_bytes = planned_min_bytes,
                                  .min_bytes_opaque = (void *) t };
      RestoreDisk *rd = restore_disk_prepare (backup, backup_dir, t, &lo, error);
      if (rd == NULL)
        return NULL;
      g_ptr_array_add (disks, rd);
    }
  if (!check_stacks_whole (backup, targets, error))
    return NULL;
  return g_steal_pointer (&disks);
}

GPtrArray *
asr_restore_describe (const MachineDescriptor *backup, const char *backup_dir, GPtrArray *targets,
                      const AsrRestoreOptions *opts, GError **error)
{
  AsrRestoreOptions defaults = { 0 };
  const AsrRestoreOptions *o = opts ? opts : &defaults;
  g_autoptr (GPtrArray) disks = prepare_all (backup, backup_dir, targets, o, error);
  GPtrArray *lines;

  if (disks == NULL)
    return NULL;
  lines = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < disks->len; i++)
    restore_disk_describe (g_ptr_array_index (disks, i), !o->no_verify, lines);
  return lines;
}

/* ---- the steps ----------------------------------------------------------- */

static gboolean
step_invalidate (Restore *r, RestoreDisk *rd, RestoreTargetIO *io, GError **error)
{
  RestoreRange inv[2];
  g_autofree guint8 *sector0 = g_malloc0 (rd->sector);
  RestoreWrite w[3] = { { 0 } };
  guint n = 0;

  /* Sector 0 first, marker in it: from the first write on, the disk is
   * marked (a kill while zeroing must not leave a disk that is neither
   * the old system nor marked), and the rest of the head is zeroed
   * around it. */
  restore_invalidate_ranges (rd->target_bytes, inv);
  asr_incomplete_marker_fill (sector0, r->backup_id);
  g_autoptr (GBytes) marker = g_bytes_new (sector0, rd->sector);
  w[n++] = (RestoreWrite){ .offset = 0, .data = marker };
  for (guint i = 0; i < 2; i++)
    {
      guint64 skip = inv[i].offset == 0 ? MIN ((guint64) rd->sector, inv[i].bytes) : 0;
      if (inv[i].bytes > skip)
        w[n++]
          = (RestoreWrite){ .offset = inv[i].offset + skip, .zero_bytes = inv[i].bytes - skip };
    }
  /* The marker must be on the disk before anything that could make it
   * look valid: flushed here, ahead of the table. */
  return restore_target_write (io, w, n, error) && restore_target_flush (io, error);
}

static gboolean
step_table (RestoreTargetIO *io, const PtableWrites *pw, GError **error)
{
  g_autofree RestoreWrite *w = g_new0 (RestoreWrite, pw->writes->len);
  for (guint i = 0; i < pw->writes->len; i++)
    {
      const PtableWrite *x = g_ptr_array_index (pw->writes, i);
      w[i].offset = x->offset;
      w[i].data = x->data;
    }
  return restore_target_write (io, w, pw->writes->len, error);
}

typedef struct {
  Restore *r;
  const char *what;
  guint64 total;
} ConvertProgress;

static void
convert_progress (const char *what, guint64 share, guint64 shares, guint64 all_share,
                  guint64 all_shares, void *opaque)
{
  ConvertProgress *p = opaque;
  guint64 done = shares ? (guint64) ((double) p->total * ((double) share / (double) shares)) : 0;
  if (p->r->opts->progress)
    p->r->opts->progress (p->what, done, p->total, p->r->all_done + done, p->r->all_total,
                          p->r->opts->opaque);
}

static gboolean
step_volumes (Restore *r, RestoreDisk *rd, RestoreTargetIO *io, GError **error)
{
  for (guint i = 0; i < rd->volumes->len; i++)
    {
      const RestoreVolume *v = g_ptr_array_index (rd->volumes, i);
      g_autofree char *opts = restore_target_range_opts (io, v->offset, v->bytes);
      g_autofree char *what = g_strdup_printf ("writing %s %s", rd->source->id, v->what);
      ConvertProgress p = { r, what, v->bytes };
      g_autoptr (GPtrArray) argv = g_ptr_array_new ();
      g_autoptr (GError) local = NULL;

      g_ptr_array_add (argv, (gpointer) "qemu-img");
      g_ptr_array_add (argv, (gpointer) "convert");
      g_ptr_array_add (argv, (gpointer) "-p");
      g_ptr_array_add (argv, (gpointer) "-n");
      g_ptr_array_add (argv, (gpointer) "-W");
      g_ptr_array_add (argv, (gpointer) "-m");
      g_ptr_array_add (argv, (gpointer) "16");
      /* zero clusters are skipped only where the target already reads as
       * zero: a disk asr just created, never a used one */
      if (rd->target->known_zero)
        g_ptr_array_add (argv, (gpointer) "--target-is-zero");
      g_ptr_array_add (argv, (gpointer) "-f");
      g_ptr_array_add (argv, v->format);
      g_ptr_array_add (argv, v->image_path);
      g_ptr_array_add (argv, (gpointer) "--target-image-opts");
      g_ptr_array_add (argv, opts);
      g_ptr_array_add (argv, NULL);
      if (!asr_run ((const char *const *) argv->pdata, NULL, convert_progress, &p, &local))
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED,
                       "writing %s onto %s %s: %s", v->image_path, rd->target->path, v->what,
                       local->message);
          return FALSE;
        }
      r->all_done += v->bytes;
      r->st.volumes++;
      r->st.image_bytes += v->bytes;
      if (!restore_fail_point ("volume", error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
step_verify (Restore *r, RestoreDisk *rd, RestoreTargetIO *io, GError **error)
{
  for (guint i = 0; i < rd->volumes->len; i++)
    {
      const RestoreVolume *v = g_ptr_array_index (rd->volumes, i);
      g_autofree char *what = g_strdup_printf ("verifying %s %s", rd->source->id, v->what);
      g_autofree char *sum = NULL;

      if (!restore_target_checksum (io, v->offset, v->bytes, r->opts->progress, what,
                                    r->opts->opaque, &sum, error))
        return FALSE;
      if (v->checksum == NULL || g_ascii_strcasecmp (sum, v->checksum) != 0)
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_CHECK_FAILED,
                       "checksum mismatch on %s %s (%s, from %s): read back %s, "
                       "the backup says %s; the disk stays marked incomplete",
                       rd->target->path, v->what, rd->source->id, v->image_path, sum,
                       v->checksum ? v->checksum : "nothing");
          return FALSE;
        }
      r->st.verified++;
    }
  return TRUE;
}

/* The boot area image, read whole (it is small: sectors before the first
 * partition) and its checksum checked, since on the target it is cut
 * around the new table and cannot be verified there. */
static GBytes *
read_boot_area (Restore *r, RestoreDisk *rd, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("asr-restore-XXXXXX", NULL);
  g_autofree char *raw = NULL;
  g_autofree char *data = NULL;
  g_autoptr (GError) local = NULL;
  gsize len = 0;
  gboolean ok;

  if (dir == NULL)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED,
                   "cannot create a temporary directory: %s", g_strerror (errno));
      return NULL;
    }
  asr_cleanup_add_dir (dir);
  raw = g_build_filename (dir, "bootarea.raw", NULL);
  const char *argv[]
    = { "qemu-img", "convert", "-f", "qcow2", "-O", "raw", rd->boot_image_path, raw, NULL };
  /* Bounded by the descriptor's size: the image's virtual size is the
   * backup set's word, and could be anything. */
  ok = asr_run (argv, NULL, NULL, NULL, &local)
       && (data = asr_file_read_bounded (raw, rd->boot_bytes, &len, &local)) != NULL;
  asr_remove_tree (dir);
  asr_cleanup_remove_dir (dir);
  if (!ok)
    {
      g_set_error (error, ASR_IMAGER_ERROR,
                   g_error_matches (local, ASR_FILE_ERROR, ASR_FILE_ERROR_TOO_LARGE)
                     ? ASR_IMAGER_ERROR_INVALID_INPUT
                     : ASR_IMAGER_ERROR_FAILED,
                   "reading %s: %s", rd->boot_image_path, local->message);
      return NULL;
    }
  if (len != rd->boot_bytes)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                   "%s is %" G_GSIZE_FORMAT " bytes, the descriptor says %" G_GUINT64_FORMAT,
                   rd->boot_image_path, len, rd->boot_bytes);
      return NULL;
    }
  if (!r->opts->no_verify)
    {
      g_autoptr (AsrChecksum) c = asr_checksum_new ();
      asr_checksum_add_block (c, data, len);
      g_autofree char *sum = asr_checksum_finish (c);
      const char *want = rd->source->boot_area->checksum;
      if (want == NULL || g_ascii_strcasecmp (sum, want) != 0)
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_CHECK_FAILED,
                       "checksum mismatch on the boot area %s: %s, the backup says %s; "
                       "the disk stays marked incomplete",
                       rd->boot_image_path, sum, want ? want : "nothing");
          return NULL;
        }
    }
  return g_bytes_new_take (g_steal_pointer (&data), len);
}

static gboolean
step_boot_area (Restore *r, RestoreDisk *rd, RestoreTargetIO *io, GError **error)
{
  g_autoptr (GBytes) area = NULL;
  g_autoptr (GPtrArray) pieces = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree RestoreWrite *w = NULL;

  if (rd->boot_ranges->len == 0)
    {
      /* no boot area captured: the marker still has to go */
      g_autoptr (GBytes) zero
        = g_bytes_new_take (g_malloc0 (ASR_INCOMPLETE_MARKER_BYTES), ASR_INCOMPLETE_MARKER_BYTES);
      RestoreWrite z = { .offset = 0, .data = zero };
      return restore_target_write (io, &z, 1, error) && restore_target_flush (io, error);
    }
  area = read_boot_area (r, rd, error);
  if (area == NULL)
    return FALSE;
  w = g_new0 (RestoreWrite, rd->boot_ranges->len);
  /* Sector 0's boot code last of all: it is what removes the marker. */
  for (guint i = rd->boot_ranges->len; i-- > 0;)
    {
      const RestoreRange *x = &g_array_index (rd->boot_ranges, RestoreRange, i);
      guint k = rd->boot_ranges->len - 1 - i;
      w[k].offset = x->offset;
      w[k].data = g_bytes_new_from_bytes (area, x->offset, x->bytes);
      g_ptr_array_add (pieces, w[k].data);
    }
  /* Everything else first, flushed; then the marker goes. */
  if (!restore_target_flush (io, error))
    return FALSE;
  return restore_target_write (io, w, rd->boot_ranges->len, error)
         && restore_target_flush (io, error);
}

static gboolean
run_restore (Restore *r, gboolean uefi, GError **error)
{
  for (guint i = 0; i < r->disks->len; i++)
    {
      RestoreDisk *rd = g_ptr_array_index (r->disks, i);
      for (guint j = 0; j < rd->volumes->len; j++)
        r->all_total += ((RestoreVolume *) g_ptr_array_index (rd->volumes, j))->bytes;
    }

  for (guint i = 0; i < r->disks->len; i++)
    {
      RestoreDisk *rd = g_ptr_array_index (r->disks, i);
      RestoreTargetIO *io = g_ptr_array_index (r->ios, i);

      message (r, "%s → %s: invalidating, then the partition table (%s)", rd->source->id,
               rd->target->path, machine_ptable_type_to_string (rd->source->ptable));
      if (!step_invalidate (r, rd, io, error) || !restore_fail_point ("invalidate", error)
          || !step_table (io, rd->writes, error) || !restore_target_flush (io, error)
          || !restore_fail_point ("table", error) || !step_volumes (r, rd, io, error)
          || !restore_target_flush (io, error))
        return FALSE;
      r->st.disks++;
    }

  if (!r->opts->no_verify)
    {
      r->all_done = 0;
      for (guint i = 0; i < r->disks->len; i++)
        if (!step_verify (r, g_ptr_array_index (r->disks, i), g_ptr_array_index (r->ios, i), error))
          return FALSE;
      if (!restore_fail_point ("verify", error))
        return FALSE;
    }

  /* --grow: the new table before the filesystem is grown into it */
  for (guint i = 0; i < r->disks->len; i++)
    {
      RestoreDisk *rd = g_ptr_array_index (r->disks, i);
      if (rd->grown_writes
          && (!step_table (g_ptr_array_index (r->ios, i), rd->grown_writes, error)
              || !restore_target_flush (g_ptr_array_index (r->ios, i), error)
              || !restore_fail_point ("grow", error)))
        return FALSE;
    }
  if (r->work.any && r->backend_why)
    message (r, "swap, empty volumes, the fallback loader, --grow: with the %s (%s)",
             r->backend->ops->name, r->backend_why);
  else if (r->work.any)
    message (r, "swap, empty volumes, the fallback loader, --grow: with the %s",
             r->backend->ops->name);
  if (!restore_volumes_run (r->backend, r->disks, &r->work, r->opts->grow != NULL, uefi,
                            r->opts->message, r->opts->opaque, error)
      || !restore_fail_point ("appliance", error) || !restore_fail_point ("bootarea", error))
    return FALSE;
  r->st.accel = g_strdup (r->backend->accel);

  for (guint i = 0; i < r->disks->len; i++)
    if (!step_boot_area (r, g_ptr_array_index (r->disks, i), g_ptr_array_index (r->ios, i), error))
      return FALSE;
  for (guint i = 0; i < r->disks->len; i++)
    {
      g_autofree char *warning = restore_target_reread (g_ptr_array_index (r->ios, i));
      if (warning)
        message (r, "warning: %s", warning);
    }
  return TRUE;
}

/* No target may be the backup set or one of its files (restore would
 * destroy what it reads), and every image passes asr_check_image()'s
 * rules.  Refusals are ASR_IMAGER_ERROR_INVALID_INPUT (a checksum mismatch
 * ASR_IMAGER_ERROR_CHECK_FAILED) and say that nothing was written. */
static gboolean
vet_backup (const MachineDescriptor *backup, const char *backup_dir, GPtrArray *targets,
            const AsrRestoreOptions *opts, GError **error)
{
  g_autoptr (GError) local = NULL;

  for (guint i = 0; i < targets->len; i++)
    {
      const AsrRestoreTarget *t = g_ptr_array_index (targets, i);
      g_autofree char *member = NULL;
      if (!machine_backup_set_find_member (backup_dir, t->path, &member, &local))
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "%s: nothing was written",
                       local->message);
          return FALSE;
        }
      if (member != NULL)
        {
          if (strcmp (member, ".") == 0)
            g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                         "target %s holds the backup set %s itself: restoring onto it would "
                         "destroy the backup it reads; refused, nothing was written",
                         t->path, backup_dir);
          else
            g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                         "target %s is %s, a file of the backup set %s: restoring onto it "
                         "would destroy the backup it reads; refused, nothing was written",
                         t->path, member, backup_dir);
          return FALSE;
        }
    }
  if (!asr_check_backup_images (backup_dir, backup, !opts->no_check_images, opts->progress,
                                opts->opaque, &local))
    {
      int code = ASR_IMAGER_ERROR_FAILED;
      if (g_error_matches (local, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT))
        code = ASR_IMAGER_ERROR_INVALID_INPUT;
      else if (g_error_matches (local, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_CHECK_FAILED))
        code = ASR_IMAGER_ERROR_CHECK_FAILED;
      g_set_error (error, ASR_IMAGER_ERROR, code, "%s; nothing was written", local->message);
      return FALSE;
    }
  return TRUE;
}

/* Every target as it is now that it is locked: nothing can change it
 * behind our back any more (another asr, a tool following the flock
 * convention), except a program that ignores locks, which the probe's in-use
 * checks look for.  The probe's own qemu children have exited when it
 * returns, so they hold no image lock of their own on the target. */
static gboolean
recheck_targets (Restore *r, GError **error)
{
  if (r->opts->recheck == NULL)
    return TRUE;
  for (guint i = 0; i < r->disks->len; i++)
    {
      RestoreDisk *rd = g_ptr_array_index (r->disks, i);
      const char *argv[] = { rd->target->path, NULL };
      g_autoptr (GError) local = NULL;
      g_autoptr (MachineDescriptor) now = asr_probe_targets (argv, NULL, &local);

      if (now == NULL || now->disks->len != 1)
        {
          /* a target that no longer probes is refused; a host that fails
           * us (qemu-img missing, I/O) is a runtime failure */
          gboolean runtime
            = local && g_error_matches (local, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME);
          g_set_error (error, ASR_IMAGER_ERROR,
                       runtime ? ASR_IMAGER_ERROR_FAILED : ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s: probing it again before writing: %s", rd->target->path,
                       local ? local->message : "not one disk");
          return FALSE;
        }
      if (!r->opts->recheck (rd->target, g_ptr_array_index (now->disks, 0), r->opts->recheck_opaque,
                             &local))
        {
          g_set_error_literal (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                               local->message);
          return FALSE;
        }
    }
  return TRUE;
}

/* A message of a disk's volume work, the disk named first. */
typedef struct {
  const char *disk;
  AsrMessageFunc message;
  void *opaque;
} DiskMessage;

static void
disk_message (const char *msg, void *opaque)
{
  DiskMessage *d = opaque;
  g_autofree char *m = g_strdup_printf ("%s %s", d->disk, msg);
  d->message (m, d->opaque);
}

gboolean
asr_restore (const MachineDescriptor *backup, const char *backup_dir, const char *backup_id,
             GPtrArray *targets, const AsrRestoreOptions *opts, AsrRestoreStats *stats,
             GError **error)
{
  AsrRestoreOptions defaults = { 0 };
  Restore r = { 0 };
  gint64 start = g_get_monotonic_time ();
  gboolean ok = FALSE;

  g_return_val_if_fail (backup != NULL && backup_dir != NULL, FALSE);
  g_return_val_if_fail (backup_id != NULL && strlen (backup_id) == ASR_INCOMPLETE_ID_BYTES, FALSE);

  r.opts = opts ? opts : &defaults;
  r.backup_id = backup_id;
  r.disks = prepare_all (backup, backup_dir, targets, r.opts, error);
  if (r.disks == NULL)
    return FALSE;

  /* Every image vetted, and by default checksummed, before any write: a
   * hostile or damaged image is found now, not after the first disk has
   * been wiped.  The plan vetted them too, but a plan may be old (--plan)
   * and the set may have changed since. */
  if (!vet_backup (backup, backup_dir, targets, r.opts, error))
    goto out;
  /* --shrink: each image shrunk in a private copy, refused if it does not
   * fit, still before the first write */
  r.shrink_dirs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < r.disks->len; i++)
    {
      RestoreDisk *rd = g_ptr_array_index (r.disks, i);
      for (guint j = 0; j < rd->volumes->len; j++)
        {
          RestoreVolume *v = g_ptr_array_index (rd->volumes, j);
          char *dir = NULL;
          DiskMessage dm = { rd->source->id, r.opts->message, r.opts->opaque };
          if (!v->shrink)
            continue;
          if (!restore_shrink_volume (v, v->partition->volume->fs,
                                      v->partition->sectors * rd->sector, rd->sector, &dir,
                                      r.opts->message ? disk_message : NULL, &dm, error))
            {
              g_prefix_error (error, "%s: ", rd->source->id);
              goto out;
            }
          g_ptr_array_add (r.shrink_dirs, dir);
        }
    }

  /* What does the volume work must have what it needs: a restore it
   * could not finish is refused now. */
  restore_work_compute (r.disks, r.opts->grow != NULL,
                        backup->hardware && backup->hardware->firmware == MACHINE_FIRMWARE_UEFI,
                        &r.work);
  r.backend = restore_backend_for (r.disks, &r.work, r.opts->mount_to_grow, &r.backend_why);
  if (!r.backend->ops->check (r.backend, r.disks, &r.work, error))
    goto out;

  /* All targets opened, locked and re-identified before the first write. */
  r.ios = g_ptr_array_new_with_free_func ((GDestroyNotify) restore_target_close);
  for (guint i = 0; i < r.disks->len; i++)
    {
      RestoreDisk *rd = g_ptr_array_index (r.disks, i);
      RestoreTargetIO *io = restore_target_open (rd->target, error);
      if (io == NULL)
        {
          g_prefix_error (error, "nothing was written: ");
          goto out;
        }
      g_ptr_array_add (r.ios, io);
    }
  if (!recheck_targets (&r, error))
    {
      g_prefix_error (error, "nothing was written: ");
      goto out;
    }

  ok = run_restore (&r, backup->hardware && backup->hardware->firmware == MACHINE_FIRMWARE_UEFI,
                    error);

out:
  if (stats)
    {
      *stats = r.st;
      r.st.accel = NULL;
      stats->seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
    }
  g_free (r.st.accel);
  g_clear_pointer (&r.ios, g_ptr_array_unref);
  restore_work_clear (&r.work);
  g_clear_pointer (&r.backend, restore_backend_free);
  g_clear_pointer (&r.disks, g_ptr_array_unref);
  for (guint i = 0; r.shrink_dirs && i < r.shrink_dirs->len; i++)
    {
      const char *dir = g_ptr_array_index (r.shrink_dirs, i);
      asr_remove_tree (dir);
      asr_cleanup_remove_dir (dir);
    }
  g_clear_pointer (&r.shrink_dirs, g_ptr_array_unref);
  return ok;
}

GPtrArray *
asr_restore_create_targets (const MachineDescriptor *backup, const char *dir, GError **error)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "%s: %s", dir,
                   g_strerror (errno));
      return NULL;
    }
  for (guint i = 0; i < backup->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (backup->disks, i);
      if (d->critical != MACHINE_TRISTATE_YES)
        continue;
      g_autofree char *name = g_strdup_printf ("%s.qcow2", d->id);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (!d->has_bytes)
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s: its size is unknown: cannot create a target for it", d->id);
          return NULL;
        }
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT,
                       "%s already exists: --create makes new disks only", path);
          return NULL;
        }
      g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, d->bytes);
      const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", path, size, NULL };
      g_autoptr (GError) local = NULL;
      if (!asr_run (argv, NULL, NULL, NULL, &local))
        {
          g_set_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_FAILED, "creating %s: %s", path,
                       local->message);
          return NULL;
        }
      g_chmod (path, 0600);
      g_ptr_array_add (paths, g_steal_pointer (&path));
    }
  return g_steal_pointer (&paths);
}
