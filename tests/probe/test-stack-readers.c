/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The storage stack's readers of disk content: LVM's text metadata and md
 * RAID superblocks, on what the test machines' builds wrote (the fuzz
 * corpus) and on damaged copies of it.
 */
#include "config.h"

#include <string.h>

#include "probe.h"

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/probe/md-super/raid1", test_md_super_raid1);
  g_test_add_func ("/probe/md-super/damaged", test_md_super_damaged);
  g_test_add_func ("/probe/lvm-text/machine", test_lvm_text_machine);
  g_test_add_func ("/probe/lvm-text/hostile", test_lvm_text_hostile);
  return g_test_run ();
}
