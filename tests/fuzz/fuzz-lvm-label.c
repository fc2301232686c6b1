/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: an LVM2 physical volume's first bytes (label, PV
 * header, metadata area header, metadata text), as capture reads them
 * without the appliance, through to the text's parse.  The input is the
 * start of a 1 GiB device that reads as zeroes past it.  Each input runs
 * twice: as it is, and with its checksums made right (the label sector's,
 * the area header's at 4096 and the text's), so the fuzzer gets past them
 * to the offsets and the text.  A refusal is an
 * ASR_PROBE_ERROR_INVALID_INPUT with a message; what is accepted lies
 * inside the device and parses or is refused by the text's reader.
 */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "probe.h"
#include "ptable.h"

#define PV_BYTES (1024ull * 1024 * 1024)

typedef struct {
  const guint8 *data;
  gsize len;
} Input;

static gboolean
read_input (gpointer data, guint64 offset, gsize bytes, guint8 *buf, GError **error)
{
  Input *in = data;
  if (offset > PV_BYTES || bytes > PV_BYTES - offset)
    {
      g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT, "read past the device");
      return FALSE;
    }
  memset (buf, 0, bytes);
  if (offset < in->len)
    memcpy (buf, in->data + offset, MIN (bytes, in->len - offset));
  return TRUE;
}

static guint64
le64 (const guint8 *p)
{
  guint64 v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static void
put_le32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static void
reseal (guint8 *data, gsize len)
{
  for (gsize s = 0; s < 4 && (s + 1) * 512 <= len; s++)
    if (memcmp (data + s * 512, "LABELONE", 8) == 0)
      put_le32 (data + s * 512 + 16,
                ptable_crc32_register (0xf597a6cfu, data + s * 512 + 20, 512 - 20));
  if (len < 4096 + 512)
    return;
  guint8 *hdr = data + 4096;
  guint64 off = le64 (hdr + 40), size = le64 (hdr + 48);
  if (off < len - 4096 && size <= len - 4096 - off)
    put_le32 (hdr + 56, ptable_crc32_register (0xf597a6cfu, hdr + off, size));
  put_le32 (hdr, ptable_crc32_register (0xf597a6cfu, hdr + 4, 512 - 4));
}

static void
one (const guint8 *data, gsize len)
{
  Input in = { data, len };
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gsize text_len = 0;
  AsrLvmLabel label;

  if (!asr_lvm_pv_read (PV_BYTES, read_input, &in, &label, &text, &text_len, &error))
    {
      fuzz_check_refusal (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME);
      if (text != NULL)
        fuzz_fail ("a refused PV gave a text");
      return;
    }
  if (strlen (label.uuid) != 38 || label.mdas > 2 || label.label_sector > 3)
    fuzz_fail ("an accepted label is inconsistent");
  for (guint i = 0; i < label.mdas; i++)
    if (label.mda_offset[i] > PV_BYTES || label.mda_bytes[i] > PV_BYTES - label.mda_offset[i])
      fuzz_fail ("a metadata area outside the device was accepted");
  if (text == NULL)
    return;
  if (strlen (text) != text_len || text_len > ASR_LVM_TEXT_MAX_BYTES)
    fuzz_fail ("the text's length is not what was read");
  g_autoptr (AsrLvmVg) vg = asr_lvm_text_parse (text, text_len, &error);
  if (vg == NULL)
    fuzz_check_refusal (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree guint8 *sealed = g_memdup2 (data, size);

  one (data, size);
  reseal (sealed, size);
  one (sealed, size);
  return 0;
}
