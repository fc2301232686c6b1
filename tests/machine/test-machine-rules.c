/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rules every part of asr applies alike: which partition is an ESP,
 * which mount points are critical, a disk's <source> by its id.
 */
#include "config.h"

#include "machine.h"

static MachinePartition *
typed (MachineDisk *d, guint32 number, const char *type, const char *mountpoint)
{
  MachinePartition *p = machine_partition_new (number);
  p->type = g_strdup (type);
  if (mountpoint)
    {
      p->volume = machine_volume_new ();
      p->volume->mountpoint = g_strdup (mountpoint);
    }
  g_ptr_array_add (d->partitions, p);
  return p;
}

static void
test_esp (void)
{
  g_autoptr (MachineDisk) gpt = machine_disk_new ("disk0");
  g_autoptr (MachineDisk) mbr = machine_disk_new ("disk1");

  gpt->ptable = MACHINE_PTABLE_GPT;
  mbr->ptable = MACHINE_PTABLE_MBR;
  g_assert_true (
    machine_partition_is_esp (gpt, typed (gpt, 1, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", NULL)));
  g_assert_true (
    machine_partition_is_esp (gpt,
                              typed (gpt, 2, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "/boot/efi")));
  g_assert_true (machine_partition_is_esp (mbr, typed (mbr, 1, "0xEF", NULL)));
  /* Mounted where an ESP usually is, but of another type: the firmware
   * does not take it for one. */
  g_assert_false (
    machine_partition_is_esp (gpt,
                              typed (gpt, 3, "0fc63daf-8483-4772-8e79-3d69d8477de4", "/boot/efi")));
  g_assert_false (machine_partition_is_esp (mbr, typed (mbr, 2, "0x83", "/efi")));
  g_assert_false (machine_partition_is_esp (mbr, typed (mbr, 3, NULL, "/boot/efi")));
  /* A type of the other table kind is not it. */
  g_assert_false (machine_partition_is_esp (gpt, typed (gpt, 4, "0xef", NULL)));
  g_assert_false (
    machine_partition_is_esp (mbr, typed (mbr, 4, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", NULL)));
}

static void
test_critical_mountpoints (void)
{
  const char *yes[] = { "/", "/boot", "/boot/efi", "/efi", "/usr", "/var" };
  const char *no[] = { "/home", "/srv", "/var/lib", "/boot/", "", "/usr/local", "/mnt" };

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    g_assert_true (machine_mountpoint_is_critical (yes[i]));
  for (guint i = 0; i < G_N_ELEMENTS (no); i++)
    g_assert_false (machine_mountpoint_is_critical (no[i]));
  g_assert_false (machine_mountpoint_is_critical (NULL));
}

static void
test_find_source (void)
{
  g_autoptr (MachineDescriptor) m = machine_descriptor_new ();
  MachineSource *a = machine_source_new ();
  MachineSource *b = machine_source_new ();

  g_assert_null (machine_descriptor_find_source (m, "disk0")); /* no origin */
  m->origin = machine_origin_new ();
  a->disk = g_strdup ("disk0");
  a->path = g_strdup ("/images/a.qcow2");
  b->disk = g_strdup ("disk1");
  b->path = g_strdup ("/dev/sdb");
  g_ptr_array_add (m->origin->sources, a);
  g_ptr_array_add (m->origin->sources, b);
  g_assert_true (machine_descriptor_find_source (m, "disk1") == b);
  /* Identifiers are compared without case, as disks are. */
  g_assert_true (machine_descriptor_find_source (m, "DISK0") == a);
  g_assert_null (machine_descriptor_find_source (m, "disk2"));
  g_assert_null (machine_descriptor_find_source (m, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/machine/rules/esp", test_esp);
  g_test_add_func ("/machine/rules/critical-mountpoints", test_critical_mountpoints);
  g_test_add_func ("/machine/rules/find-source", test_find_source);
  return g_test_run ();
}
