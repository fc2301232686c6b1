/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: LVM2's text metadata of a volume group, as capture
 * reads it from a disk's metadata area (vgmeta).  A refusal is an
 * ASR_PROBE_ERROR_INVALID_INPUT with a message; an accepted group has a
 * name, a UUID, a whole number of sectors per extent and at least one PV,
 * and every striped segment names a PV of the group or none.
 */
#include "config.h"

#include "fuzz-common.h"
#include "probe.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrLvmVg) vg = asr_lvm_text_parse ((const char *) data, size, &error);

  if (vg == NULL)
    {
      fuzz_check_refusal (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME);
      return 0;
    }
  if (vg->name == NULL || vg->uuid == NULL || vg->extent_bytes == 0 || vg->extent_bytes % 512
      || vg->pvs->len == 0)
    fuzz_fail ("an accepted volume group lacks a name, UUID, extent size or PV");
  for (guint i = 0; i < vg->lvs->len; i++)
    {
      const AsrLvmLv *lv = g_ptr_array_index (vg->lvs, i);
      if (lv->name == NULL || lv->uuid == NULL || lv->segments->len == 0)
        fuzz_fail ("an accepted logical volume lacks a name, UUID or segment");
      for (guint k = 0; k < lv->segments->len; k++)
        {
          const AsrLvmSegment *s = g_ptr_array_index (lv->segments, k);
          if (s->extents == 0 || s->type == NULL)
            fuzz_fail ("an accepted segment of %s is empty or untyped", lv->name);
          (void) asr_lvm_vg_find_pv (vg, s->pv_key);
        }
    }
  return 0;
}
