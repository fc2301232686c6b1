/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
  /* The schemas from the source tree, unless the caller chose others:
   * a harness run by hand finds them too. */
  g_setenv ("ASR_SCHEMA_DIR", ASR_FUZZ_SCHEMA_DIR, FALSE);
  return 0;
}

void
fuzz_check_refusal (const GError *error, GQuark domain, int fatal_code)
{
  if (error == NULL || error->domain != domain || error->message == NULL
      || error->message[0] == '\0')
    fuzz_fail ("refused without a %s message", g_quark_to_string (domain));
  if (error->code == fatal_code)
    fuzz_fail ("%s", error->message);
}
