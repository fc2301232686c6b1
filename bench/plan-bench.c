/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan-bench: plan_compute() on N source critical disks and N target disks
 * (default 1,000 each), then the text, JSON and XML formatting.  An
 * operator plans before a recovery and waits for the answer, so even a
 * machine room's worth of disks must plan in well under a second; this
 * prints the times and exits 1 above the budget (default 1 s;
 * `plan-bench N BUDGET_SECONDS`).
 *
 * The case is built to exercise every part of the search: a third of the
 * targets carry the signature of a source disk (identity pins), a few
 * share serials, the rest match by capacity only, and sizes are spread so
 * the sorted capacity pass has work to do.  Deterministic (fixed seed).
 * No images are checked (BACKUP as a descriptor: backup->dir is NULL).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "planner.h"

static MachineDisk *
make_disk (const char *prefix, guint i, guint64 bytes)
{
  g_autofree char *id = g_strdup_printf ("%s%u", prefix, i);
  MachineDisk *d = machine_disk_new (id);
  d->bytes = bytes;
  d->has_bytes = TRUE;
  d->logical_sector = 512;
  d->physical_sector = 512;
  d->ptable = MACHINE_PTABLE_MBR;
  d->signature = g_strdup_printf ("0x%08x", 0x10000000u + i);
  return d;
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 1000;
  double budget = argc > 2 ? g_ascii_strtod (argv[2], NULL) : 1.0;
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261125);
  g_autoptr (PlanBackup) backup = g_new0 (PlanBackup, 1);
  g_autoptr (GPtrArray) targets
    = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_free);
  g_autoptr (PlanOptions) options = plan_options_new ();
  g_autoptr (GError) error = NULL;
  MachineDescriptor *t = machine_descriptor_new ();

  backup->descriptor = machine_descriptor_new ();
  backup->sha256 = g_strnfill (64, '0');
  for (guint i = 0; i < n; i++)
    {
      guint64 gib = 8 + g_rand_int_range (rand, 0, 1000);
      MachineDisk *d = make_disk ("disk", i, gib << 30);
      d->critical = MACHINE_TRISTATE_YES;
      if (i % 7 == 0)
        d->serial = g_strdup_printf ("SER%u", i);
      g_ptr_array_add (backup->descriptor->disks, d);
    }
  for (guint i = 0; i < n; i++)
    {
      /* Targets slightly larger on the whole, shuffled against sources. */
      guint64 gib = 8 + g_rand_int_range (rand, 0, 1100);
      MachineDisk *d = make_disk ("t", i, gib << 30);
      guint src = (i * 7919u) % n;
      g_free (d->signature);
      if (i % 3 == 0)
        {
          const MachineDisk *s = g_ptr_array_index (backup->descriptor->disks, src);
          d->signature = g_strdup (s->signature); /* the same disk, back again */
          d->bytes = s->bytes + ((guint64) g_rand_int_range (rand, 0, 4) << 30);
        }
      else
        d->signature = g_strdup_printf ("0x%08x", 0x70000000u + i);
      if (i % 11 == 0)
        d->serial = g_strdup_printf ("SER%u", src);
      g_ptr_array_add (t->disks, d);
    }
  g_ptr_array_add (targets, plan_target_new ("bench", t));

  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (Plan) plan = plan_compute (backup, targets, options, &error);
  gint64 t1 = g_get_monotonic_time ();
  if (plan == NULL)
    {
      fprintf (stderr, "plan-bench: %s\n", error->message);
      return 2;
    }
  g_autofree char *text = plan_format_text (plan);
  gint64 t2 = g_get_monotonic_time ();
  g_autofree char *json = plan_format_json (plan);
  gint64 t3 = g_get_monotonic_time ();
  g_autofree char *xml = plan_format_xml (plan);
  gint64 t4 = g_get_monotonic_time ();

  guint mapped = 0;
  for (guint i = 0; i < plan->mappings->len; i++)
    if (((PlanMapping *) g_ptr_array_index (plan->mappings, i))->target)
      mapped++;
  double total = (t4 - t0) / 1e6;
  printf ("plan-bench: %u source x %u target disks: %u mapped, status %s\n", n, n, mapped,
          plan_status_to_string (plan->status));
  printf ("  plan_compute %.3f s, text %.3f s, json %.3f s, xml %.3f s, total %.3f s (budget %.3f "
          "s)\n",
          (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t4 - t3) / 1e6, total, budget);
  return total <= budget ? 0 : 1;
}
