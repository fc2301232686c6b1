/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `domain:NAME` from libvirt domain XML strings (suite unit: no libvirt). */
#include "config.h"

#include <string.h>

#include "probe.h"

static const char bios_i440fx[]
  = "<domain type='kvm'>\n"
    "  <name>web1</name>\n"
    "  <memory unit='KiB'>2097152</memory>\n"
    "  <currentMemory unit='KiB'>1048576</currentMemory>\n"
    "  <vcpu placement='static'>2</vcpu>\n"
    "  <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type><boot dev='hd'/></os>\n"
    "  <cpu mode='custom' match='exact'><model fallback='allow'>Skylake-Client</model>"
    "<vendor>Intel</vendor></cpu>\n"
    "  <devices>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='qcow2'/>\n"
    "      <source file='/var/lib/libvirt/images/web1.qcow2'/>\n"
    "      <target dev='vda' bus='virtio'/>\n"
    "      <serial>WEB1-SYS</serial>\n"
    "      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>\n"
    "    </disk>\n"
    "    <disk type='file' device='cdrom'>\n"
    "      <source file='/srv/debian.iso'/><target dev='hdc' bus='ide'/><readonly/>\n"
    "    </disk>\n"
    "    <disk type='block' device='disk'>\n"
    "      <driver name='qemu' type='raw'/>\n"
    "      <source dev='/dev/vg/web1-data'/>\n"
    "      <target dev='sda' bus='sata'/>\n"
    "      <wwn>5000c50015ea71ac</wwn>\n"
    "      <blockio logical_block_size='4096' physical_block_size='4096'/>\n"
    "    </disk>\n"
    "    <controller type='usb' model='piix3-uhci'/>\n"
    "    <controller type='sata' index='0'>\n"
    "      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>\n"
    "    </controller>\n"
    "    <controller type='ide' index='0'>\n"
    "      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x1'/>\n"
    "    </controller>\n"
    "    <interface type='network'>\n"
    "      <mac address='52:54:00:AB:CD:EF'/><source network='default'/>\n"
    "      <model type='virtio'/>\n"
    "      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\n"
    "    </interface>\n"
    "    <video><model type='cirrus' vram='16384' heads='1'/>"
    "<address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/></video>\n"
    "  </devices>\n"
    "</domain>\n";

static const char uefi_q35[]
  = "<domain type='kvm'>\n"
    "  <name>db1</name>\n"
    "  <memory unit='GiB'>4</memory>\n"
    "  <vcpu current='2'>8</vcpu>\n"
    "  <sysinfo type='smbios'><system><entry name='manufacturer'>ACME</entry>"
    "<entry name='product'>Rack 9</entry></system></sysinfo>\n"
    "  <os>\n"
    "    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
    "    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>\n"
    "    <nvram>/var/lib/libvirt/qemu/nvram/db1_VARS.fd</nvram>\n"
    "  </os>\n"
    "  <cpu mode='host-passthrough'/>\n"
    "  <devices>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='raw'/>\n"
    "      <source file='/images/db1-nvme.raw'/>\n"
    "      <target dev='nvme0n1' bus='nvme'/>\n"
    "      <serial>NVME-DB1</serial>\n"
    "    </disk>\n"
    "    <controller type='scsi' index='0' model='virtio-scsi'/>\n"
    "    <video><model type='none'/></video>\n"
    "  </devices>\n"
    "</domain>\n";

static const char minimal[]
  = "<domain type='qemu'><name>bare</name><os><type>hvm</type></os></domain>";

static gboolean
fake_size (const char *target_dev, guint64 *bytes, void *opaque)
{
  if (strcmp (target_dev, "vda") == 0)
    {
      *bytes = G_GUINT64_CONSTANT (21474836480);
      return TRUE;
    }
  return FALSE; /* libvirt could not tell */
}

static MachineDescriptor *
parse_ok (const char *xml, guint first)
{
  g_autoptr (GError) error = NULL;
  MachineDescriptor *m
    = asr_probe_domain_from_xml (xml, strlen (xml), "test", first, fake_size, NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

static void
parse_fails (const char *xml, const char *expect)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m
    = asr_probe_domain_from_xml (xml, strlen (xml), "bad.xml", 0, NULL, NULL, FALSE, &error);
  g_assert_null (m);
  g_assert_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT);
  if (strstr (error->message, expect) == NULL)
    g_error ("message \"%s\" does not contain \"%s\"", error->message, expect);
}

static const MachineController *
controller (const MachineHardware *h, guint i)
{
  g_assert_cmpuint (i, <, h->controllers->len);
  return g_ptr_array_index (h->controllers, i);
}

static void
test_bios_i440fx (void)
{
  g_autoptr (MachineDescriptor) m = parse_ok (bios_i440fx, 0);
  const MachineHardware *h = m->hardware;
  const MachineDisk *d;
  const MachineSource *s;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (h->firmware, ==, MACHINE_FIRMWARE_BIOS);
  g_assert_cmpstr (h->architecture, ==, "x86_64");
  g_assert_cmpstr (h->machine_type, ==, "pc-i440fx-7.2");
  g_assert_cmpstr (h->system_vendor, ==, "QEMU");
  g_assert_cmpstr (h->system_product, ==, "Standard PC (i440FX + PIIX, 1996)");
  g_assert_cmpuint (h->cpu_count, ==, 2);
  g_assert_cmpstr (h->cpu_model, ==, "Skylake-Client");
  g_assert_cmpstr (h->cpu_vendor, ==, "Intel");
  g_assert_cmpuint (h->memory_bytes, ==, G_GUINT64_CONSTANT (2) << 30);

  /* cdrom skipped */
  g_assert_cmpuint (m->disks->len, ==, 2);
  d = g_ptr_array_index (m->disks, 0);
  g_assert_cmpstr (d->id, ==, "disk0");
  g_assert_cmpstr (d->bus, ==, "virtio");
  g_assert_cmpstr (d->serial, ==, "WEB1-SYS");
  g_assert_true (d->has_bytes);
  g_assert_cmpuint (d->bytes, ==, G_GUINT64_CONSTANT (21474836480));
  g_assert_cmpuint (d->logical_sector, ==, 512);
  d = g_ptr_array_index (m->disks, 1);
  g_assert_cmpstr (d->bus, ==, "sata");
  g_assert_cmpstr (d->wwn, ==, "5000c50015ea71ac");
  g_assert_false (d->has_bytes); /* unknown: no libvirt answer, images not probed */
  g_assert_cmpuint (d->logical_sector, ==, 4096);
  g_assert_cmpuint (d->physical_sector, ==, 4096);

  g_assert_cmpuint (m->origin->sources->len, ==, 2);
  s = g_ptr_array_index (m->origin->sources, 0);
  g_assert_cmpstr (s->path, ==, "/var/lib/libvirt/images/web1.qcow2");
  g_assert_cmpstr (s->format, ==, "qcow2");
  s = g_ptr_array_index (m->origin->sources, 1);
  g_assert_cmpstr (s->path, ==, "/dev/vg/web1-data");
  g_assert_cmpstr (s->format, ==, "raw");

  /* virtio-blk of vda, sata, ide (not usb), the NIC, the video card */
  g_assert_cmpuint (h->controllers->len, ==, 5);
  g_assert_cmpint (controller (h, 0)->klass, ==, MACHINE_CONTROLLER_STORAGE);
  g_assert_cmpstr (controller (h, 0)->model, ==, "virtio-blk");
  g_assert_cmpstr (controller (h, 0)->address, ==, "0000:00:04.0");
  g_assert_cmpstr (controller (h, 1)->model, ==, "sata");
  g_assert_cmpstr (controller (h, 1)->address, ==, "0000:00:05.0");
  g_assert_cmpstr (controller (h, 2)->model, ==, "ide");
  g_assert_cmpstr (controller (h, 2)->address, ==, "0000:00:01.1");
  g_assert_cmpint (controller (h, 3)->klass, ==, MACHINE_CONTROLLER_NETWORK);
  g_assert_cmpstr (controller (h, 3)->mac, ==, "52:54:00:ab:cd:ef");
  g_assert_cmpstr (controller (h, 3)->model, ==, "virtio");
  g_assert_cmpstr (controller (h, 3)->bus, ==, "pci");
  g_assert_cmpint (controller (h, 4)->klass, ==, MACHINE_CONTROLLER_VIDEO);
  g_assert_cmpstr (controller (h, 4)->model, ==, "cirrus");

  /* what it produces is a valid descriptor */
  machine_descriptor_check (m, "web1", &error);
  g_assert_no_error (error);
}

static void
test_uefi_q35 (void)
{
  g_autoptr (MachineDescriptor) m = parse_ok (uefi_q35, 3);
  const MachineHardware *h = m->hardware;
  const MachineDisk *d;

  g_assert_cmpint (h->firmware, ==, MACHINE_FIRMWARE_UEFI);
  g_assert_cmpstr (h->machine_type, ==, "pc-q35-7.2");
  /* <sysinfo> wins over QEMU's defaults */
  g_assert_cmpstr (h->system_vendor, ==, "ACME");
  g_assert_cmpstr (h->system_product, ==, "Rack 9");
  g_assert_cmpuint (h->cpu_count, ==, 2); /* current, not the maximum */
  g_assert_null (h->cpu_model);           /* host-passthrough */
  g_assert_cmpuint (h->memory_bytes, ==, G_GUINT64_CONSTANT (4) << 30);
  g_assert_cmpuint (m->disks->len, ==, 1);
  d = g_ptr_array_index (m->disks, 0);
  g_assert_cmpstr (d->id, ==, "disk3"); /* numbering continues from first_index */
  g_assert_cmpstr (d->bus, ==, "nvme");
  g_assert_cmpstr (d->serial, ==, "NVME-DB1");
  /* virtio-scsi controller, no video (model none) */
  g_assert_cmpuint (h->controllers->len, ==, 1);
  g_assert_cmpstr (controller (h, 0)->model, ==, "virtio-scsi");
  g_assert_null (controller (h, 0)->address);
}

static void
test_firmware_variants (void)
{
  const char efi[] = "<domain type='kvm'><os firmware='efi'><type arch='x86_64' "
                     "machine='q35'>hvm</type></os></domain>";
  const char seabios_rom[] = "<domain type='kvm'><os><type arch='x86_64'>hvm</type>"
                             "<loader type='rom'>/usr/share/seabios/bios-256k.bin</loader>"
                             "</os></domain>";
  const char aarch64[] = "<domain type='qemu'><os><type arch='aarch64' machine='virt'>hvm"
                         "</type></os></domain>";
  g_autoptr (MachineDescriptor) a = parse_ok (efi, 0);
  g_autoptr (MachineDescriptor) b = parse_ok (seabios_rom, 0);
  g_autoptr (MachineDescriptor) c = parse_ok (aarch64, 0);

  g_assert_cmpint (a->hardware->firmware, ==, MACHINE_FIRMWARE_UEFI);
  g_assert_cmpstr (a->hardware->system_product, ==, "Standard PC (Q35 + ICH9, 2009)");
  g_assert_cmpint (b->hardware->firmware, ==, MACHINE_FIRMWARE_BIOS);
  /* no loader on aarch64: libvirt picks, we do not guess */
  g_assert_cmpint (c->hardware->firmware, ==, MACHINE_FIRMWARE_UNKNOWN);
  g_assert_cmpstr (c->hardware->system_product, ==, "QEMU Virtual Machine");
}

static void
test_minimal (void)
{
  g_autoptr (MachineDescriptor) m = parse_ok (minimal, 0);
  g_assert_null (m->hardware->architecture);
  g_assert_null (m->hardware->machine_type);
  g_assert_false (m->hardware->has_cpu_count);
  g_assert_false (m->hardware->has_memory_bytes);
  g_assert_cmpuint (m->hardware->controllers->len, ==, 0);
  g_assert_cmpuint (m->disks->len, ==, 0);
}

static void
test_memory_units (void)
{
  static const struct {
    const char *memory;
    guint64 bytes;
  } cases[] = {
    { "<memory>1024</memory>", 1024 * 1024 },
    { "<memory unit='b'>4096</memory>", 4096 },
    { "<memory unit='MB'>3</memory>", 3000000 },
    { "<memory unit='M'>3</memory>", 3 << 20 },
    { "<memory unit='TiB'>1</memory>", G_GUINT64_CONSTANT (1) << 40 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = g_strdup_printf ("<domain type='kvm'>%s<os><type>hvm</type></os>"
                                              "</domain>",
                                              cases[i].memory);
      g_autoptr (MachineDescriptor) m = parse_ok (xml, 0);
      g_assert_cmpuint (m->hardware->memory_bytes, ==, cases[i].bytes);
    }
  parse_fails ("<domain><memory unit='parsecs'>1</memory><os/></domain>", "bad <memory>");
  parse_fails ("<domain><memory unit='EiB'>99999</memory><os/></domain>", "bad <memory>");
  parse_fails ("<domain><memory>-1</memory><os/></domain>", "bad <memory>");
}

static void
test_refused (void)
{
  parse_fails ("<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
               "<domain><name>&x;</name><os/></domain>",
               "DOCTYPE");
  parse_fails ("<domain><os>", "line");
  parse_fails ("not xml at all", "bad.xml:1: Start tag expected");
  parse_fails ("<network><name>default</name></network>", "not a libvirt domain XML");
  parse_fails ("<domain type='kvm'><name>x</name></domain>", "no <os> element");
  parse_fails ("<domain><os/><vcpu>many</vcpu></domain>", "bad <vcpu>");
  parse_fails ("<domain><os/><devices><disk device='disk'><source file='/x'/></disk></devices>"
               "</domain>",
               "no <target dev=>");
  /* values a descriptor cannot hold: control characters anywhere */
  parse_fails ("<domain><os/><devices><disk device='disk'><source file='/x&#127;y'/>"
               "<target dev='vda' bus='virtio'/></disk></devices></domain>",
               "the domain XML holds a value a descriptor cannot: path: ");
  parse_fails ("<domain><os/><devices><disk device='disk'><source file='/x'/>"
               "<target dev='vda' bus='virtio'/><serial>A&#10;B</serial></disk></devices>"
               "</domain>",
               "holds a control character");
  parse_fails ("<domain><os><type arch='x86&#9;64'>hvm</type></os></domain>",
               "holds a control character");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/probe/domain/bios-i440fx", test_bios_i440fx);
  g_test_add_func ("/probe/domain/uefi-q35-ovmf", test_uefi_q35);
  g_test_add_func ("/probe/domain/firmware-variants", test_firmware_variants);
  g_test_add_func ("/probe/domain/minimal", test_minimal);
  g_test_add_func ("/probe/domain/memory-units", test_memory_units);
  g_test_add_func ("/probe/domain/refused", test_refused);
  return g_test_run ();
}
