/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rules that are not about the mapping: architecture, firmware,
 * hardware, images, what restore overwrites, fstab and boot.
 *
 * A fact either side does not record is "not compared", a warning: never a
 * silent pass (the user would believe it was checked) and never a failure
 * (a backup from image files has no hardware, and is still restorable).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "plan-private.h"

static PlanStatus
mismatch_status (const PlanCtx *ctx)
{
  return ctx->opt->mode == PLAN_MODE_STRICT ? PLAN_STATUS_FAIL : PLAN_STATUS_WARN;
}

static const char *
unknown_side (gboolean src_known, gboolean tgt_known)
{
  if (!src_known && !tgt_known)
    return "neither the backup nor the target records";
  return src_known ? "the target does not record" : "the backup does not record";
}

static void
check_architecture (PlanCtx *ctx)
{
  PlanCheck *c = plan_check_new ("architecture");
  const char *a = ctx->src->hardware ? ctx->src->hardware->architecture : NULL;
  const char *b = ctx->thw ? ctx->thw->architecture : NULL;

  if (a == NULL || b == NULL)
    plan_check_add (c, PLAN_STATUS_WARN, "not compared: %s its architecture",
                    unknown_side (a != NULL, b != NULL));
  else if (plan_id_equal (a, b))
    plan_check_add (c, PLAN_STATUS_PASS, "%s on both", a);
  else
    plan_check_add (c, PLAN_STATUS_FAIL,
                    "the backup is %s, the target %s: a restored system does not run on "
                    "another architecture (in either mode)",
                    a, b);
  g_ptr_array_add (ctx->plan->checks, c);
}

static void
check_firmware (PlanCtx *ctx)
{
  PlanCheck *c = plan_check_new ("firmware");
  MachineFirmware a = ctx->src->hardware ? ctx->src->hardware->firmware : MACHINE_FIRMWARE_UNKNOWN;
  MachineFirmware b = ctx->thw ? ctx->thw->firmware : MACHINE_FIRMWARE_UNKNOWN;

  if (a == MACHINE_FIRMWARE_UNKNOWN || b == MACHINE_FIRMWARE_UNKNOWN)
    plan_check_add (c, PLAN_STATUS_WARN, "not compared: %s its firmware type",
                    unknown_side (a != MACHINE_FIRMWARE_UNKNOWN, b != MACHINE_FIRMWARE_UNKNOWN));
  else if (a == b)
    plan_check_add (c, PLAN_STATUS_PASS, "%s on both", machine_firmware_to_string (a));
  else
    plan_check_add (c, PLAN_STATUS_FAIL,
                    "the backup boots with %s firmware, the target has %s: the restored boot "
                    "loader would not start (in either mode)",
                    machine_firmware_to_string (a), machine_firmware_to_string (b));
  g_ptr_array_add (ctx->plan->checks, c);
}

static char *
or_unknown (const char *vendor, const char *product)
{
  return g_strdup_printf ("\"%s%s%s\"", vendor ? vendor : "", vendor && product ? " " : "",
                          product ? product : "");
}

/* How a storage controller is compared: PCI ids and driver, or model; the
 * bus address is not (the same card in another slot is the same
 * hardware). */
static char *
controller_key (const MachineController *c)
{
  g_autoptr (GString) s = g_string_new (NULL);
  if (c->vendor_id || c->device_id)
    g_string_append_printf (s, "%s:%s", c->vendor_id ? c->vendor_id : "?",
                            c->device_id ? c->device_id : "?");
  if (c->model)
    g_string_append_printf (s, "%s%s", s->len ? " " : "", c->model);
  if (c->driver)
    g_string_append_printf (s, "%s(%s)", s->len ? " " : "", c->driver);
  if (s->len == 0)
    g_string_append (s, "unidentified");
  g_autofree char *k = g_string_free (g_steal_pointer (&s), FALSE);
  return g_ascii_strdown (k, -1);
}

static int
cmp_str_ptr (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static GPtrArray *
storage_keys (const MachineHardware *h)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < h->controllers->len; i++)
    {
      const MachineController *c = g_ptr_array_index (h->controllers, i);
      if (c->klass == MACHINE_CONTROLLER_STORAGE)
        g_ptr_array_add (a, controller_key (c));
    }
  g_ptr_array_sort (a, cmp_str_ptr);
  return a;
}

/* Keys in @a missing from @b (multiset difference), joined. */
static char *
missing_keys (GPtrArray *a, GPtrArray *b)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autofree gboolean *used = g_new0 (gboolean, b->len + 1);
  for (guint i = 0; i < a->len; i++)
    {
      gboolean found = FALSE;
      for (guint j = 0; j < b->len && !found; j++)
        if (!used[j] && strcmp (g_ptr_array_index (a, i), g_ptr_array_index (b, j)) == 0)
          used[j] = found = TRUE;
      if (!found)
        g_string_append_printf (s, "%s%s", s->len ? ", " : "", (char *) g_ptr_array_index (a, i));
    }
  return s->len ? g_string_free (g_steal_pointer (&s), FALSE) : NULL;
}

static void
check_hardware (PlanCtx *ctx)
{
  PlanCheck *c = plan_check_new ("hardware");
  const MachineHardware *a = ctx->src->hardware, *b = ctx->thw;
  PlanStatus bad = mismatch_status (ctx);

  if (a == NULL || b == NULL)
    {
      plan_check_add (c, PLAN_STATUS_WARN,
                      "not compared: %s its hardware (system, CPU, memory, storage controllers)",
                      unknown_side (a != NULL, b != NULL));
      g_ptr_array_add (ctx->plan->checks, c);
      return;
    }

  /* system */
  gboolean sa = a->system_vendor || a->system_product, sb = b->system_vendor || b->system_product;
  g_autofree char *sys_a = or_unknown (a->system_vendor, a->system_product);
  g_autofree char *sys_b = or_unknown (b->system_vendor, b->system_product);
  if (!sa || !sb)
    plan_check_add (c, PLAN_STATUS_WARN, "system: not compared: %s its vendor and product",
                    unknown_side (sa, sb));
  else if (plan_id_equal (a->system_vendor, b->system_vendor)
           && plan_id_equal (a->system_product, b->system_product))
    plan_check_add (c, PLAN_STATUS_PASS, "system: %s on both", sys_a);
  else
    plan_check_add (c, bad, "system differs: backup %s, target %s", sys_a, sys_b);

  /* CPU vendor and model; the count is not compared (fewer CPUs boot). */
  gboolean ca = a->cpu_vendor || a->cpu_model, cb = b->cpu_vendor || b->cpu_model;
  g_autofree char *cpu_a = or_unknown (a->cpu_vendor, a->cpu_model);
  g_autofree char *cpu_b = or_unknown (b->cpu_vendor, b->cpu_model);
  if (!ca || !cb)
    plan_check_add (c, PLAN_STATUS_WARN, "CPU: not compared: %s its vendor and model",
                    unknown_side (ca, cb));
  else if (plan_id_equal (a->cpu_vendor, b->cpu_vendor)
           && plan_id_equal (a->cpu_model, b->cpu_model))
    plan_check_add (c, PLAN_STATUS_PASS, "CPU: %s on both", cpu_a);
  else
    plan_check_add (c, bad, "CPU differs: backup %s, target %s", cpu_a, cpu_b);

  /* memory */
  if (!a->has_memory_bytes || !b->has_memory_bytes)
    plan_check_add (c, PLAN_STATUS_WARN, "memory: not compared: %s its size",
                    unknown_side (a->has_memory_bytes, b->has_memory_bytes));
  else if (b->memory_bytes < a->memory_bytes)
    plan_check_add (c, bad,
                    "memory: the target has %" G_GUINT64_FORMAT " bytes, %" G_GUINT64_FORMAT
                    " fewer than the backup's %" G_GUINT64_FORMAT,
                    b->memory_bytes, a->memory_bytes - b->memory_bytes, a->memory_bytes);
  else
    plan_check_add (c, PLAN_STATUS_PASS,
                    "memory: the target has %" G_GUINT64_FORMAT
                    " bytes, the backup %" G_GUINT64_FORMAT,
                    b->memory_bytes, a->memory_bytes);

  /* storage controllers */
  g_autoptr (GPtrArray) ka = storage_keys (a);
  g_autoptr (GPtrArray) kb = storage_keys (b);
  if (ka->len == 0 || kb->len == 0)
    plan_check_add (c, PLAN_STATUS_WARN, "storage controllers: not compared: %s any",
                    unknown_side (ka->len > 0, kb->len > 0));
  else
    {
      g_autofree char *only_a = missing_keys (ka, kb);
      g_autofree char *only_b = missing_keys (kb, ka);
      if (only_a == NULL && only_b == NULL)
        plan_check_add (c, PLAN_STATUS_PASS, "storage controllers: the same %u on both", ka->len);
      else
        {
          if (only_b)
            plan_check_add (c, bad,
                            "storage controllers: the target has %s, which the backup has not",
                            only_b);
          if (only_a)
            plan_check_add (c, bad,
                            "storage controllers: the backup has %s, which the target has not",
                            only_a);
        }
      if (ctx->opt->mode == PLAN_MODE_MIGRATE)
        {
          /* All asr knows of the backup's drivers is what its own storage
           * controllers used: a driver outside that list may still be a
           * module of the backup's kernel, but its initramfs is unlikely
           * to load it. */
          g_autoptr (GHashTable) drivers = g_hash_table_new (g_str_hash, g_str_equal);
          for (guint i = 0; i < a->controllers->len; i++)
            {
              const MachineController *ctl = g_ptr_array_index (a->controllers, i);
              if (ctl->klass == MACHINE_CONTROLLER_STORAGE && ctl->driver)
                g_hash_table_add (drivers, ctl->driver);
            }
          for (guint i = 0; i < b->controllers->len; i++)
            {
              const MachineController *ctl = g_ptr_array_index (b->controllers, i);
              if (ctl->klass != MACHINE_CONTROLLER_STORAGE)
                continue;
              g_autofree char *k = controller_key (ctl);
              if (ctl->driver == NULL)
                plan_check_add (c, PLAN_STATUS_WARN,
                                "storage controller %s: its driver is not recorded: whether the "
                                "backup's OS can use it is not known",
                                k);
              else if (!g_hash_table_contains (drivers, ctl->driver))
                plan_check_add (c, PLAN_STATUS_WARN,
                                "storage controller %s: driver %s is not known to the backup's OS "
                                "(judged only by the drivers of the backup's own storage "
                                "controllers); "
                                "its initramfs may not load it",
                                k, ctl->driver);
            }
        }
    }

  plan_check_add (c, PLAN_STATUS_PASS,
                  "video and network adapters are not compared: they may differ");
  g_ptr_array_add (ctx->plan->checks, c);
}

void
plan_rules_hardware (PlanCtx *ctx)
{
  check_architecture (ctx);
  check_firmware (ctx);
  check_hardware (ctx);
}

/* --- images -------------------------------------------------------------- */

/* One image through the caller's vetting: what restore would refuse is
 * refused here already, with the same words. */
static gboolean
check_one_image (PlanCtx *ctx, PlanCheck *c, const char *what, const char *file, gboolean text,
                 const char *format, guint64 bytes, const char *checksum, GError **error)
{
  PlanImageVerdict verdict = PLAN_IMAGE_OK;
  g_autofree char *why = NULL;

  if (!ctx->opt->vet_image (ctx->backup->dir, file, text, format, bytes, checksum,
                            ctx->opt->check_images, &verdict, &why, ctx->opt->vet_image_opaque,
                            error))
    return FALSE;
  switch (verdict)
    {
    case PLAN_IMAGE_REFUSED:
      g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                   "%s: image %s of the backup set %s is refused: %s", what, file, ctx->backup->dir,
                   why ? why : "no reason given");
      return FALSE;
    case PLAN_IMAGE_CHECKSUM_MISMATCH:
      plan_check_add (c, PLAN_STATUS_FAIL, "%s: %s: %s", what, file,
                      why ? why : "checksum mismatch");
      return TRUE;
    case PLAN_IMAGE_OK:
      break;
    }
  if (text)
    plan_check_add (c, PLAN_STATUS_PASS, "%s: %s, checksum verified", what, file);
  else if (ctx->opt->check_images)
    plan_check_add (c, PLAN_STATUS_PASS, "%s: %s, %" G_GUINT64_FORMAT " bytes, checksum verified",
                    what, file, bytes);
  else
    plan_check_add (c, PLAN_STATUS_PASS, "%s: %s, %" G_GUINT64_FORMAT " bytes", what, file, bytes);
  return TRUE;
}

gboolean
plan_rules_images (PlanCtx *ctx, GError **error)
{
  g_autoptr (PlanCheck) c = plan_check_new ("images");
  guint n = 0;

  g_return_val_if_fail (ctx->backup->dir == NULL || ctx->opt->vet_image != NULL, FALSE);

  if (ctx->backup->dir == NULL)
    {
      plan_check_add (c, PLAN_STATUS_WARN,
                      "not checked: BACKUP is a descriptor file, not a backup-set directory");
      g_ptr_array_add (ctx->plan->checks, g_steal_pointer (&c));
      return TRUE;
    }
  for (guint i = 0; i < ctx->n_sources; i++)
    {
      const MachineDisk *d = ctx->sources[i].disk;
      if (d->boot_area && d->boot_area->image)
        {
          g_autofree char *what = g_strdup_printf ("%s boot area", d->id);
          n++;
          if (!check_one_image (ctx, c, what, d->boot_area->image, FALSE, "qcow2",
                                d->boot_area->bytes, d->boot_area->checksum, error))
            return FALSE;
        }
      for (guint p = 0; p < d->partitions->len; p++)
        {
          const MachinePartition *part = g_ptr_array_index (d->partitions, p);
          const MachineVolume *v = part->volume;
          g_autofree char *what
            = g_strdup_printf ("%s p%u%s%s%s", d->id, part->number, v && v->mountpoint ? " (" : "",
                               v && v->mountpoint ? v->mountpoint : "",
                               v && v->mountpoint ? ")" : "");
          if (v == NULL)
            continue;
          if (v->image == NULL)
            {
              if (v->critical == MACHINE_TRISTATE_YES)
                plan_check_add (c, PLAN_STATUS_FAIL, "%s: a critical volume without an image",
                                what);
              continue;
            }
          n++;
          if (!check_one_image (ctx, c, what, v->image->file, FALSE, v->image->format,
                                v->image->bytes, v->image->checksum, error))
            return FALSE;
        }
    }
  /* The storage stack's files: LVM label areas, logical volumes, LUKS
   * containers, and its text files (LVM metadata), which restore does not
   * read but `check` and restore vet: the plan vets exactly what they do. */
  g_autoptr (GPtrArray) files = machine_descriptor_list_files (ctx->src);
  for (guint i = 0; i < files->len; i++)
    {
      const MachineFileRef *r = g_ptr_array_index (files, i);
      if (r->disk != NULL)
        continue;
      n++;
      if (!check_one_image (ctx, c, r->what, r->file, r->text, r->format, r->bytes, r->checksum,
                            error))
        return FALSE;
    }
  if (n == 0 && c->findings->len == 0)
    plan_check_add (c, PLAN_STATUS_FAIL, "the backup's critical disks have no images");
  else if (!ctx->opt->check_images && c->status != PLAN_STATUS_FAIL)
    plan_check_add (c, PLAN_STATUS_PASS, "checksums not verified (--check-images verifies them)");
  g_ptr_array_add (ctx->plan->checks, g_steal_pointer (&c));
  return TRUE;
}

/* --- volumes ------------------------------------------------------------- */

static char *
describe_volume (const MachineVolume *v)
{
  g_autoptr (GString) s = g_string_new (NULL);
  if (v == NULL)
    return g_strdup ("no filesystem recorded");
  g_string_append (s, v->fs ? v->fs : "unknown filesystem");
  if (v->label && *v->label)
    g_string_append_printf (s, " '%s'", v->label);
  if (v->mountpoint)
    g_string_append_printf (s, " on %s", v->mountpoint);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

void
plan_rules_volumes (PlanCtx *ctx)
{
  PlanCheck *c = plan_check_new ("volumes");

  for (guint i = 0; i < ctx->n_sources; i++)
    {
      const PlanSDisk *s = &ctx->sources[i];
      const MachineDisk *d = s->disk;
      g_autofree char *to = s->target >= 0
                              ? g_strdup_printf ("target %s", ctx->targets[s->target].out->name)
                              : g_strdup ("its target");

      for (guint p = 0; p < d->partitions->len; p++)
        {
          const MachinePartition *part = g_ptr_array_index (d->partitions, p);
          const MachineVolume *v = part->volume;
          g_autofree char *desc = describe_volume (v);
          g_autofree char *ref = g_strdup_printf ("%s/p%u", d->id, part->number);
          MachineHolder holder = { 0 };
          if (part->kind == MACHINE_PARTITION_KIND_EXTENDED)
            continue;
          if (v == NULL)
            (void) machine_descriptor_find_holder (ctx->src, ref, &holder);
          if (v == NULL && holder.pv)
            plan_check_add (c, PLAN_STATUS_PASS,
                            "%s p%u (LVM PV of %s): restored onto %s with its volume group "
                            "(storage-stack says how)",
                            d->id, part->number, holder.vg->name, to);
          else if (v == NULL && holder.md)
            plan_check_add (c, PLAN_STATUS_PASS,
                            "%s p%u (a member of md array %s): restored onto %s with its array "
                            "(storage-stack says how)",
                            d->id, part->number, holder.md->id, to);
          else if (v == NULL && holder.luks)
            plan_check_add (c, PLAN_STATUS_PASS,
                            "%s p%u (LUKS container %s): restored whole onto %s "
                            "(storage-stack says how)",
                            d->id, part->number, holder.luks->id, to);
          else if (v && v->image)
            plan_check_add (c, PLAN_STATUS_PASS, "%s p%u (%s): restored onto %s from %s", d->id,
                            part->number, desc, to, v->image->file);
          else if (v && g_strcmp0 (v->fs, "swap") == 0)
            plan_check_add (c, PLAN_STATUS_PASS, "%s p%u (%s): recreated on %s with the same UUID",
                            d->id, part->number, desc, to);
          else if (v && v->fs)
            plan_check_add (c, PLAN_STATUS_WARN,
                            "%s p%u (%s): not captured: recreated empty on %s (same UUID and "
                            "label, so fstab still mounts it); its data is not in the backup",
                            d->id, part->number, desc, to);
          else
            plan_check_add (c, PLAN_STATUS_WARN,
                            "%s p%u (%s): not captured: the partition is recreated on %s, its "
                            "contents are not",
                            d->id, part->number, desc, to);
        }

      if (s->target < 0)
        continue;
      const PlanTDisk *t = &ctx->targets[s->target];
      if (t->disk->ptable == MACHINE_PTABLE_NONE && t->disk->partitions->len == 0)
        {
          plan_check_add (c, PLAN_STATUS_PASS,
                          "target %s: no partition table recorded: nothing on it is known to be "
                          "lost",
                          t->out->name);
          continue;
        }
      g_autofree char *ident = plan_disk_identity (t->disk);
      if (t->disk->ptable_unreadable)
        {
          plan_check_add (c, PLAN_STATUS_WARN,
                          "target %s: its partition table%s%s%s cannot be read (%s): what it holds "
                          "is unknown, and all of it is replaced by the layout of the backup's %s",
                          t->out->name, ident ? " (" : "", ident ? ident : "", ident ? ")" : "",
                          t->disk->ptable_unreadable, d->id);
          continue;
        }
      plan_check_add (c, PLAN_STATUS_WARN,
                      "target %s: its partition table%s%s%s is replaced by the layout of the "
                      "backup's %s",
                      t->out->name, ident ? " (" : "", ident ? ident : "", ident ? ")" : "", d->id);
      for (guint p = 0; p < t->disk->partitions->len; p++)
        {
          const MachinePartition *part = g_ptr_array_index (t->disk->partitions, p);
          g_autofree char *desc = describe_volume (part->volume);
          if (part->kind == MACHINE_PARTITION_KIND_EXTENDED)
            continue;
          plan_check_add (c, PLAN_STATUS_WARN,
                          "target %s p%u (%s, %" G_GUINT64_FORMAT " sectors): overwritten",
                          t->out->name, part->number, desc, part->sectors);
        }
    }
  if (c->findings->len == 0)
    plan_check_add (c, PLAN_STATUS_PASS, "no volume is restored");
  g_ptr_array_add (ctx->plan->checks, c);
}

/* --- fstab --------------------------------------------------------------- */

static gboolean
target_has_uuid (const PlanCtx *ctx, const char *uuid)
{
  for (guint i = 0; uuid && i < ctx->n_targets; i++)
    {
      const MachineDisk *d = ctx->targets[i].disk;
      if (ctx->targets[i].assigned >= 0)
        continue; /* it is about to be overwritten */
      for (guint p = 0; p < d->partitions->len; p++)
        {
          const MachinePartition *part = g_ptr_array_index (d->partitions, p);
          if (part->volume && plan_id_equal (part->volume->uuid, uuid))
            return TRUE;
        }
    }
  return FALSE;
}

static const PlanTDisk *
target_carrying (const PlanCtx *ctx, const MachineDisk *d)
{
  g_autofree char *ident = plan_disk_identity (d);
  for (guint i = 0; ident && i < ctx->n_targets; i++)
    {
      g_autofree char *ti = plan_disk_identity (ctx->targets[i].disk);
      if (ti && g_ascii_strcasecmp (ti, ident) == 0 && ctx->targets[i].assigned < 0)
        return &ctx->targets[i];
    }
  return NULL;
}

void
plan_rules_fstab (PlanCtx *ctx)
{
  PlanCheck *c = plan_check_new ("fstab");

  for (guint i = 0; i < ctx->src->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (ctx->src->disks, i);
      if (d->critical == MACHINE_TRISTATE_YES)
        continue;
      const PlanTDisk *kept = target_carrying (ctx, d);
      for (guint p = 0; p < d->partitions->len; p++)
        {
          const MachinePartition *part = g_ptr_array_index (d->partitions, p);
          const MachineVolume *v = part->volume;
          if (v == NULL || (v->mountpoint == NULL && g_strcmp0 (v->fs, "swap") != 0))
            continue;
          g_autofree char *desc = describe_volume (v);
          if (kept)
            plan_check_add (c, PLAN_STATUS_PASS, "%s p%u (%s): on target %s, which is kept", d->id,
                            part->number, desc, kept->out->name);
          else if (target_has_uuid (ctx, v->uuid))
            plan_check_add (c, PLAN_STATUS_PASS,
                            "%s p%u (%s): a volume with UUID %s is on the target", d->id,
                            part->number, desc, v->uuid);
          else
            plan_check_add (
              c, PLAN_STATUS_WARN,
              "%s p%u (%s) is on the non-critical disk %s, which the target does not have: "
              "the restored system waits for it at boot unless its fstab entry has nofail "
              "(the descriptor does not record mount options)",
              d->id, part->number, desc, d->id);
        }
    }
  for (guint i = 0; i < ctx->n_sources; i++)
    {
      const PlanSDisk *s = &ctx->sources[i];
      if (s->target < 0)
        continue;
      const MachineDisk *t = ctx->targets[s->target].disk;
      if (s->disk->bus && t->bus && !plan_id_equal (s->disk->bus, t->bus))
        plan_check_add (
          c, PLAN_STATUS_WARN,
          "%s moves from bus %s to %s (target %s): fstab entries naming /dev/sdX-style devices, "
          "rather than UUID= or LABEL=, will not match (the descriptor does not record "
          "fstab's device names)",
          s->disk->id, s->disk->bus, t->bus, ctx->targets[s->target].out->name);
    }
  if (c->findings->len == 0)
    plan_check_add (c, PLAN_STATUS_PASS,
                    "every recorded mountpoint is on a critical disk, restored; no disk changes "
                    "bus");
  g_ptr_array_add (ctx->plan->checks, c);
}

/* --- boot ---------------------------------------------------------------- */

static const char *
fallback_loader (const char *arch)
{
  if (plan_id_equal (arch, "aarch64"))
    return "EFI/BOOT/BOOTAA64.EFI";
  if (plan_id_equal (arch, "i686") || plan_id_equal (arch, "i386"))
    return "EFI/BOOT/BOOTIA32.EFI";
  return "EFI/BOOT/BOOTX64.EFI";
}

void
plan_rules_boot (PlanCtx *ctx)
{
  PlanCheck *c = plan_check_new ("boot");
  MachineFirmware fw = ctx->src->hardware ? ctx->src->hardware->firmware : MACHINE_FIRMWARE_UNKNOWN;
  const char *arch = ctx->src->hardware ? ctx->src->hardware->architecture : NULL;

  for (guint i = 0; i < ctx->n_sources; i++)
    {
      const PlanSDisk *s = &ctx->sources[i];
      g_autofree char *to = s->target >= 0
                              ? g_strdup_printf ("target %s", ctx->targets[s->target].out->name)
                              : g_strdup ("no target (unmapped)");

      if (fw != MACHINE_FIRMWARE_BIOS)
        for (guint p = 0; p < s->disk->partitions->len; p++)
          {
            const MachinePartition *part = g_ptr_array_index (s->disk->partitions, p);
            if (!machine_partition_is_esp (s->disk, part))
              continue;
            plan_check_add (
              c, PLAN_STATUS_WARN,
              "%s p%u is an EFI system partition, restored onto %s: the target's firmware "
              "needs a boot entry for it or the fallback path %s on it; the descriptor "
              "does not record which the ESP has, and restore does not create boot entries",
              s->disk->id, part->number, to, fallback_loader (arch));
          }
      if (fw != MACHINE_FIRMWARE_UEFI && s->disk->boot == MACHINE_TRISTATE_YES)
        {
          if (s->disk->boot_area && s->disk->boot_area->image)
            plan_check_add (c, PLAN_STATUS_PASS,
                            "%s is the boot disk: its boot code is restored onto %s from %s; the "
                            "target "
                            "must boot from %s",
                            s->disk->id, to, s->disk->boot_area->image, to);
          else
            plan_check_add (c, PLAN_STATUS_WARN,
                            "%s is the boot disk but its boot area was not captured: %s gets no "
                            "boot code",
                            s->disk->id, to);
        }
    }
  if (fw == MACHINE_FIRMWARE_UEFI && c->findings->len == 0)
    plan_check_add (c, PLAN_STATUS_WARN,
                    "the backup boots with UEFI but no critical disk has an EFI system partition");
  if (fw == MACHINE_FIRMWARE_UNKNOWN)
    plan_check_add (c, PLAN_STATUS_WARN,
                    "not compared: the backup does not record its firmware type, so its boot path "
                    "is not known");
  else if (c->findings->len == 0)
    plan_check_add (c, PLAN_STATUS_WARN, "no critical disk is marked as the boot disk");
  g_ptr_array_add (ctx->plan->checks, c);
}
