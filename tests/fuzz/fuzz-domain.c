/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: a libvirt domain's XML as `probe domain:NAME` reads
 * it (from a libvirt server that may be remote, or a file).  Disk sizes
 * come from a stand-in for virDomainGetBlockInfo; images are never
 * probed (that would run qemu-img on paths from the input).  A descriptor
 * built from it must format.
 */
#include "config.h"

#include <string.h>

#include "probe.h"
#include "fuzz-common.h"

/* Known sizes for some disks, none for others: both branches run. */
static gboolean
disk_size (const char *target_dev, guint64 *bytes, void *opaque)
{
  if (target_dev == NULL || target_dev[0] == '\0' || strlen (target_dev) % 2 == 0)
    return FALSE;
  *bytes = (guint64) strlen (target_dev) << 30;
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;
  g_autofree char *text = NULL;

  m = asr_probe_domain_from_xml ((const char *) data, size, "fuzz-domain.xml", 0, disk_size, NULL,
                                 FALSE, &error);
  if (m == NULL)
    {
      fuzz_check_refusal (error, ASR_PROBE_ERROR, -1);
      return 0;
    }
  text = machine_descriptor_format (m, &error);
  if (text == NULL)
    fuzz_fail ("a probed domain does not format: %s", error->message);
  g_clear_error (&error);
  /* Reached for coverage of the meaning checks on probed descriptors; a
   * refusal is a message for the user, not a crash. */
  (void) machine_descriptor_check (m, "fuzz-domain.xml", &error);
  return 0;
}
