/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr_run with a child that is already gone when the runner first looks
 * at it: GLib reaps an exited child in its worker thread at once and has
 * no identifier for it from then on, which is what a fast qemu-img on a
 * loaded machine looks like.  The hook makes that happen every time.
 */
#include "config.h"

#include <string.h>

#include "run-private.h"
#include "run.h"

static void
wait_until_reaped (GSubprocess *proc)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_subprocess_wait (proc, NULL, &error));
  g_assert_no_error (error);
  /* the state the runner has to cope with */
  g_assert_null (g_subprocess_get_identifier (proc));
}

static void
test_reaped_success (void)
{
  const char *argv[] = { "sh", "-c", "echo out; echo chatter >&2", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;

  asr_run_set_spawned_hook (wait_until_reaped);
  g_assert_true (asr_run (argv, &out, NULL, NULL, &error));
  asr_run_set_spawned_hook (NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "out\n");
}

static void
test_reaped_failure (void)
{
  const char *argv[] = { "sh", "-c", "echo 'no such image' >&2; exit 3", NULL };
  g_autoptr (GError) error = NULL;

  asr_run_set_spawned_hook (wait_until_reaped);
  g_assert_false (asr_run (argv, NULL, NULL, NULL, &error));
  asr_run_set_spawned_hook (NULL);
  g_assert_error (error, ASR_RUN_ERROR, ASR_RUN_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "sh failed (exit status 3): no such image");
}

static void
record_percent (double percent, void *opaque)
{
  *(double *) opaque = percent;
}

static void
test_reaped_progress (void)
{
  const char *argv[] = { "sh", "-c", "printf '    (0.00/100%%)\\r    (100.00/100%%)\\r'", NULL };
  g_autoptr (GError) error = NULL;
  double last = -1;

  asr_run_set_spawned_hook (wait_until_reaped);
  g_assert_true (asr_run (argv, NULL, record_percent, &last, &error));
  asr_run_set_spawned_hook (NULL);
  g_assert_no_error (error);
  g_assert_cmpfloat (last, ==, 100.0);
}

static void
test_running (void)
{
  /* the ordinary case, for comparison: a child still there to register */
  const char *argv[] = { "sh", "-c", "sleep 0.1; echo done", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;

  g_assert_true (asr_run (argv, &out, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "done\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/imager/run/reaped-before-registered/success", test_reaped_success);
  g_test_add_func ("/imager/run/reaped-before-registered/failure", test_reaped_failure);
  g_test_add_func ("/imager/run/reaped-before-registered/progress", test_reaped_progress);
  g_test_add_func ("/imager/run/running", test_running);
  return g_test_run ();
}
