/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * From a plan to the disks restore writes: each mapping found among the
 * TARGETs by the path the plan recorded, with the identity probed.
 */
#include "config.h"

#include "imager.h"

static GPtrArray *
one_target (const char *path, const char *format)
{
  GPtrArray *targets = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_free);
  MachineDescriptor *t = machine_descriptor_new ();
  MachineDisk *d = machine_disk_new ("disk0");
  MachineSource *src = machine_source_new ();

  d->bytes = 1000000;
  d->has_bytes = TRUE;
  d->serial = g_strdup ("S1");
  d->wwn = g_strdup ("0x5000c500a1b2c3d4");
  g_ptr_array_add (t->disks, d);
  t->origin = machine_origin_new ();
  src->disk = g_strdup ("disk0");
  src->path = g_strdup (path);
  src->format = g_strdup (format);
  g_ptr_array_add (t->origin->sources, src);
  g_ptr_array_add (targets, plan_target_new (path, t));
  return targets;
}

static Plan *
plan_onto (const char *target_name, const char *path)
{
  Plan *p = plan_new ();
  PlanTargetDisk *pt = plan_target_disk_new ("disk0");
  PlanMapping *m = plan_mapping_new ("src0");

  pt->path = g_strdup (path);
  pt->source = g_strdup ("src0");
  g_ptr_array_add (p->targets, pt);
  m->target = g_strdup (target_name);
  g_ptr_array_add (p->mappings, m);
  return p;
}

static void
test_mapped (void)
{
  g_autoptr (GPtrArray) targets = one_target ("/nonexistent/t.qcow2", "qcow2");
  g_autoptr (Plan) p = plan_onto ("disk0", "/nonexistent/./t.qcow2");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rts = asr_restore_targets_from_plan (p, targets, TRUE, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (rts->len, ==, 1);
  const AsrRestoreTarget *t = g_ptr_array_index (rts, 0);
  g_assert_cmpstr (t->source, ==, "src0");
  g_assert_cmpstr (t->path, ==, "/nonexistent/t.qcow2");
  g_assert_cmpstr (t->format, ==, "qcow2");
  g_assert_cmpuint (t->bytes, ==, 1000000);
  g_assert_cmpstr (t->serial, ==, "S1");
  g_assert_cmpstr (t->wwn, ==, "0x5000c500a1b2c3d4");
  g_assert_false (t->is_block_device);
  g_assert_true (t->known_zero);
}

static void
test_not_given (void)
{
  g_autoptr (GPtrArray) targets = one_target ("/nonexistent/t.qcow2", "qcow2");

  {
    g_autoptr (Plan) p = plan_onto ("disk0", "/nonexistent/other.qcow2");
    g_autoptr (GError) error = NULL;
    g_assert_null (asr_restore_targets_from_plan (p, targets, FALSE, &error));
    g_assert_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT);
    g_assert_cmpstr (error->message, ==,
                     "src0: the plan maps it to disk0, which is not a TARGET given");
  }
  {
    g_autoptr (Plan) p = plan_onto (NULL, "/nonexistent/t.qcow2");
    g_autoptr (GError) error = NULL;
    g_assert_null (asr_restore_targets_from_plan (p, targets, FALSE, &error));
    g_assert_cmpstr (error->message, ==,
                     "src0: the plan maps it to nothing, which is not a TARGET given");
  }
  {
    /* A target whose format was not probed is not one restore can open. */
    g_autoptr (GPtrArray) unprobed = one_target ("/nonexistent/t.qcow2", NULL);
    g_autoptr (Plan) p = plan_onto ("disk0", "/nonexistent/t.qcow2");
    g_autoptr (GError) error = NULL;
    g_assert_null (asr_restore_targets_from_plan (p, unprobed, FALSE, &error));
    g_assert_error (error, ASR_IMAGER_ERROR, ASR_IMAGER_ERROR_INVALID_INPUT);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/restore/plan/mapped", test_mapped);
  g_test_add_func ("/restore/plan/target-not-given", test_not_given);
  return g_test_run ();
}
