/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The storage stack's readers of disk content: LVM's labels, metadata
 * areas and text metadata, and md RAID superblocks, on what the test
 * machines' builds wrote (the fuzz corpus) and on damaged copies of it.
 */
#include "config.h"

#include <string.h>

#include "probe.h"
#include "ptable.h"

static GBytes *
corpus (const char *name)
{
  g_autofree char *path
    = g_build_filename (g_getenv ("ASR_SOURCE_ROOT"), "tests", "fuzz", "corpus", name, NULL);
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

static void
test_md_super_raid1 (void)
{
  g_autoptr (GBytes) b = corpus ("md-super/raid1-member0.sb");
  g_autoptr (GError) error = NULL;
  AsrMdSuper sb;

  g_assert_true (
    asr_md_super_parse (g_bytes_get_data (b, NULL), g_bytes_get_size (b), &sb, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (sb.uuid, ==, "4a1d5e01:7c2b4d8e:9f30a1b2:c3d4e5f6");
  g_assert_cmpstr (sb.name, ==, "raid1:root");
  g_assert_cmpint (sb.level, ==, 1);
  g_assert_cmpuint (sb.raid_disks, ==, 2);
  g_assert_cmpint (sb.role, ==, 0);
  g_assert_cmpuint (sb.data_offset, ==, 2048);
  g_assert_cmpuint (sb.super_offset, ==, 8);
}

/* One flipped bit anywhere in the checksummed part is refused. */
static void
test_md_super_damaged (void)
{
  g_autoptr (GBytes) b = corpus ("md-super/raid1-member0.sb");
  gsize len = g_bytes_get_size (b);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (b, NULL), len);
  const gsize at[] = { 16, 72, 128, 160, 256 };

  for (guint i = 0; i < G_N_ELEMENTS (at); i++)
    {
      g_autoptr (GError) error = NULL;
      AsrMdSuper sb;
      copy[at[i]] ^= 0x10;
      g_assert_false (asr_md_super_parse (copy, len, &sb, &error));
      g_assert_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT);
      g_assert_nonnull (strstr (error->message, "checksum"));
      copy[at[i]] ^= 0x10;
    }
  g_autoptr (GError) error = NULL;
  AsrMdSuper sb;
  g_assert_false (asr_md_super_parse (copy, 100, &sb, &error));
  g_assert_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT);
}

static void
test_lvm_text_machine (void)
{
  g_autoptr (GBytes) b = corpus ("lvm-text/rhel-like-vg0.vgcfg");
  g_autoptr (GError) error = NULL;
  g_autoptr (AsrLvmVg) vg
    = asr_lvm_text_parse (g_bytes_get_data (b, NULL), g_bytes_get_size (b), &error);

  g_assert_no_error (error);
  g_assert_cmpstr (vg->name, ==, "vg0");
  g_assert_cmpstr (vg->uuid, ==, "63USpb-Rf8f-jQJK-EuAd-i4pZ-vhkw-EhBe0J");
  g_assert_cmpuint (vg->extent_bytes, ==, 4194304);
  g_assert_cmpuint (vg->pvs->len, ==, 1);
  const AsrLvmPv *pv = g_ptr_array_index (vg->pvs, 0);
  g_assert_cmpstr (pv->uuid, ==, "LasBtN-DtLp-MWmb-JXKb-2oZe-gIUH-Os8FC6");
  g_assert_cmpuint (pv->pe_start_bytes, ==, 1048576);
  g_assert_cmpuint (vg->lvs->len, ==, 2);
  const AsrLvmLv *swap = g_ptr_array_index (vg->lvs, 1);
  g_assert_cmpstr (swap->name, ==, "swap");
  const AsrLvmSegment *seg = g_ptr_array_index (swap->segments, 0);
  g_assert_cmpstr (seg->type, ==, "striped");
  g_assert_cmpuint (seg->pv_extent, ==, 256);
  g_assert_cmpuint (seg->extents, ==, 32);
  g_assert_true (asr_lvm_vg_find_pv (vg, seg->pv_key) == pv);
}

/* Hostile texts: each refused with a message, none crashing. */
static void
test_lvm_text_hostile (void)
{
  static const char *const texts[] = {
    "",
    "vg0 {",
    "vg0 { id = \"x\" extent_size = 8192 }", /* no PV */
    "a { id = \"x\" } b { id = \"y\" }",     /* two groups */
    "vg0 { id = \"x\" extent_size = 0 physical_volumes { pv0 { id = \"p\" pe_start = 1 pe_count = "
    "1 } } }",
    "vg0 { id = \"x\" extent_size = 99999999999999999999999 }",
    "vg0 { a { b { c { d { e { f { g { h { i { } } } } } } } } } }",
    "vg0 { id = \"unterminated }",
    "vg0 { id = [ \"a\", [ \"b\" ] ] }",
    "vg0 { id = \"x\" extent_size = 8192 physical_volumes { pv0 { id = \"p\" pe_start = 2048 "
    "pe_count = 10 } } logical_volumes { lv { id = \"l\" segment_count = 2 segment1 { "
    "start_extent = 0 extent_count = 1 type = \"striped\" stripe_count = 1 stripes = [ \"pv0\", 0 "
    "] "
    "} } } }", /* segment2 missing */
  };
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (AsrLvmVg) vg = asr_lvm_text_parse (texts[i], strlen (texts[i]), &error);
      g_assert_null (vg);
      g_assert_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT);
      g_assert_nonnull (strstr (error->message, "LVM metadata"));
    }
}

/* A PV's first bytes as a device of pv_bytes: zeroes past them. */
typedef struct {
  const guint8 *data;
  gsize len;
  guint64 pv_bytes;
} PvBytes;

static gboolean
pv_bytes_read (gpointer data, guint64 offset, gsize bytes, guint8 *buf, GError **error)
{
  PvBytes *pv = data;
  if (offset > pv->pv_bytes || bytes > pv->pv_bytes - offset)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "read past the device");
      return FALSE;
    }
  memset (buf, 0, bytes);
  if (offset < pv->len)
    memcpy (buf, pv->data + offset, MIN (bytes, pv->len - offset));
  return TRUE;
}

static void
put_le32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static void
put_le64 (guint8 *p, guint64 v)
{
  put_le32 (p, (guint32) v);
  put_le32 (p + 4, (guint32) (v >> 32));
}

static guint64
get_le64 (const guint8 *p)
{
  guint64 v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* LVM's checksums over a label sector (from byte 20) and a metadata
 * area header (from byte 4), after a field is changed. */
static void
reseal (guint8 *sector, gsize from, gsize at)
{
  put_le32 (sector + at, ptable_crc32_register (0xf597a6cfu, sector + from, 512 - from));
}

static void
test_lvm_label_machines (void)
{
  static const struct {
    const char *file, *pv_uuid, *vg;
    guint64 pv_bytes;
  } pvs[] = {
    { "lvm-label/rhel-like-pv.head", "LasBtN-DtLp-MWmb-JXKb-2oZe-gIUH-Os8FC6", "vg0",
      3405824ull * 512 },
    { "lvm-label/ubuntu-like-pv.head", NULL, "ubuntu-vg", 2879488ull * 512 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (pvs); i++)
    {
      g_autoptr (GBytes) b = corpus (pvs[i].file);
      PvBytes pv = { g_bytes_get_data (b, NULL), g_bytes_get_size (b), pvs[i].pv_bytes };
      g_autoptr (GError) error = NULL;
      g_autofree char *text = NULL;
      gsize len = 0;
      AsrLvmLabel label;

      g_assert_true (
        asr_lvm_pv_read (pv.pv_bytes, pv_bytes_read, &pv, &label, &text, &len, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (label.label_sector, ==, 1);
      g_assert_cmpuint (label.mdas, ==, 1);
      g_assert_cmpuint (label.mda_offset[0], ==, 4096);
      g_assert_cmpuint (label.device_bytes, ==, pvs[i].pv_bytes);
      g_assert_cmpuint (strlen (label.uuid), ==, 38);
      if (pvs[i].pv_uuid)
        g_assert_cmpstr (label.uuid, ==, pvs[i].pv_uuid);
      g_assert_nonnull (text);
      g_assert_cmpuint (strlen (text), ==, len);
      g_autoptr (AsrLvmVg) vg = asr_lvm_text_parse (text, len, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (vg->name, ==, pvs[i].vg);
      g_assert_cmpuint (vg->seqno, >, 0);
      const AsrLvmPv *p = g_ptr_array_index (vg->pvs, 0);
      g_assert_cmpstr (p->uuid, ==, label.uuid);
    }
}

/* A text that runs past the end of its area continues after the area's
 * header: the same text read back. */
static void
test_lvm_label_ring (void)
{
  g_autoptr (GBytes) b = corpus ("lvm-label/rhel-like-pv.head");
  gsize len = 4096 + 8192; /* the label and the shrunk area */
  g_autofree guint8 *dev = g_malloc0 (len);
  PvBytes pv = { dev, len, 3405824ull * 512 };
  g_autoptr (GError) error = NULL;
  g_autofree char *straight = NULL, *wrapped = NULL;
  gsize straight_len = 0, wrapped_len = 0;
  AsrLvmLabel label;

  g_assert_cmpuint (g_bytes_get_size (b), <=, len);
  memcpy (dev, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  g_assert_true (
    asr_lvm_pv_read (pv.pv_bytes, pv_bytes_read, &pv, &label, &straight, &straight_len, &error));
  /* the area shrunk to 8 KiB, the text moved to its last 100 bytes and
   * the rest of it after the header */
  guint8 *lab = dev + 512, *hdr = dev + 4096;
  guint8 *pvh = lab + 32;
  guint64 text_off = get_le64 (hdr + 40), text_size = get_le64 (hdr + 48);
  g_autofree guint8 *text = g_memdup2 (hdr + text_off, text_size);
  guint8 *mda_size = pvh + 40 + 16 + 16 + 8; /* data area, its end, the mda's offset */
  g_assert_cmpuint (get_le64 (mda_size), ==, 0xff000);
  put_le64 (mda_size, 8192);
  reseal (lab, 20, 16);
  memset (hdr + 512, 0, 8192 - 512);
  memcpy (hdr + 8192 - 100, text, 100);
  memcpy (hdr + 512, text + 100, text_size - 100);
  put_le64 (hdr + 32, 8192);
  put_le64 (hdr + 40, 8192 - 100);
  reseal (hdr, 4, 0);
  g_assert_true (
    asr_lvm_pv_read (pv.pv_bytes, pv_bytes_read, &pv, &label, &wrapped, &wrapped_len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (label.mda_bytes[0], ==, 8192);
  g_assert_cmpmem (wrapped, wrapped_len, straight, straight_len);
}

/* Damaged labels and areas: each refused with a message naming the PV. */
static void
test_lvm_label_hostile (void)
{
  g_autoptr (GBytes) b = corpus ("lvm-label/rhel-like-pv.head");
  gsize len = g_bytes_get_size (b);
  static const struct {
    gsize at;      /* the byte changed */
    guint8 value;  /* its new value */
    gssize reseal; /* the checksum then fixed: 512 label, 4096 header, -1 none */
    const char *message;
  } cases[] = {
    { 512 + 8, 2, 512, "says it is in sector" },
    { 512 + 40, 0x55, -1, "label's checksum" },
    { 512 + 24, 'X', 512, "not of type LVM2 001" },
    { 512 + 21, 0x02, 512, "outside the label sector" },
    { 512 + 32, ' ', 512, "UUID holds a byte" },
    { 512 + 32 + 32 + 8 + 16 + 16 + 7, 0x7f, 512, "not inside" }, /* the mda's size */
    { 4096 + 4, 'x', 4096, "no metadata header" },
    { 4096 + 100, 1, -1, "header's checksum" },
    { 4096 + 20, 2, 4096, "version 2" },
    { 4096 + 24, 0x10, 4096, "its header says" },
    { 4096 + 40 + 7, 0x10, 4096, "outside it" },
    { 4096 + 48 + 3, 0x10, 4096, "a text of" },
    { 4096 + 0x1200 + 20, 'Y', -1, "does not match its checksum" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree guint8 *dev = g_memdup2 (g_bytes_get_data (b, NULL), len);
      PvBytes pv = { dev, len, 3405824ull * 512 };
      g_autoptr (GError) error = NULL;
      g_autofree char *text = NULL;
      gsize text_len = 0;
      AsrLvmLabel label;

      dev[cases[i].at] = cases[i].value;
      if (cases[i].reseal == 512)
        reseal (dev + 512, 20, 16);
      else if (cases[i].reseal == 4096)
        reseal (dev + 4096, 4, 0);
      g_assert_false (
        asr_lvm_pv_read (pv.pv_bytes, pv_bytes_read, &pv, &label, &text, &text_len, &error));
      g_assert_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("case %u: \"%s\" lacks \"%s\"", i, error->message, cases[i].message);
      g_assert_nonnull (strstr (error->message, "LVM physical volume"));
      g_assert_null (text);
    }
  /* no label at all */
  g_autofree guint8 *zero = g_malloc0 (len);
  PvBytes pv = { zero, len, len };
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gsize text_len = 0;
  AsrLvmLabel label;
  g_assert_false (
    asr_lvm_pv_read (pv.pv_bytes, pv_bytes_read, &pv, &label, &text, &text_len, &error));
  g_assert_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/probe/md-super/raid1", test_md_super_raid1);
  g_test_add_func ("/probe/md-super/damaged", test_md_super_damaged);
  g_test_add_func ("/probe/lvm-text/machine", test_lvm_text_machine);
  g_test_add_func ("/probe/lvm-text/hostile", test_lvm_text_hostile);
  g_test_add_func ("/probe/lvm-label/machines", test_lvm_label_machines);
  g_test_add_func ("/probe/lvm-label/ring", test_lvm_label_ring);
  g_test_add_func ("/probe/lvm-label/hostile", test_lvm_label_hostile);
  return g_test_run ();
}
