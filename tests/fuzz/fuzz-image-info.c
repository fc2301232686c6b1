/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: qemu-img info --output=json's answer, which reports
 * what an untrusted image's header says (format, sizes, backing and data
 * files).  An accepted answer must leave a usable info: a format, a size
 * in range, no corruption.
 */
#include "config.h"

#include <string.h>

#include "probe-private.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrImageInfo) info = g_new0 (AsrImageInfo, 1);
  /* qemu-img's stdout as run.c hands it over: a C string. */
  g_autofree char *json = g_strndup ((const char *) data, size);
  /* The low bit of the length decides whether a raw file's size is a
   * whole number of sectors, so both ways through the raw rule run. */
  guint64 file_bytes = (size & 1) ? 1048576 + 100 : 1048576;

  info->path = g_strdup ("fuzz.img");
  if (!asr_image_info_read_json (info, info->path, json, file_bytes, &error))
    {
      fuzz_check_refusal (error, ASR_PROBE_ERROR, -1);
      return 0;
    }
  if (info->format == NULL || info->virtual_bytes == 0
      || info->virtual_bytes > ASR_IMAGE_MAX_VIRTUAL_BYTES || info->corrupt)
    fuzz_fail ("accepted an unusable answer: format %s, %" G_GUINT64_FORMAT " bytes%s",
               info->format ? info->format : "(none)", info->virtual_bytes,
               info->corrupt ? ", corrupt" : "");
  return 0;
}
