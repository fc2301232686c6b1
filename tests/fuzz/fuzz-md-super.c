/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: an md RAID version-1 superblock, as capture reads it
 * from a member partition.  A refusal is an ASR_PROBE_ERROR_INVALID_INPUT
 * with a message; an accepted superblock has a role inside its array, a
 * printable name and an mdadm-form UUID.
 */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "probe.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  AsrMdSuper sb;

  if (!asr_md_super_parse (data, size, &sb, &error))
    {
      fuzz_check_refusal (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME);
      return 0;
    }
  if (sb.raid_disks == 0 || (sb.role >= 0 && (guint32) sb.role >= sb.raid_disks)
      || strlen (sb.uuid) != 35 || strlen (sb.name) > 32)
    fuzz_fail ("an accepted superblock is inconsistent");
  for (const char *p = sb.name; *p; p++)
    if (!g_ascii_isprint (*p))
      fuzz_fail ("an accepted superblock has an unprintable name");
  return 0;
}
