/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The transient domain's XML: pure, so that golden files pin it down. */
#include "config.h"

#include <string.h>

#include "run.h"
#include "verify.h"

static const char *const bus_names[] = {
  [ASR_VERIFY_BUS_VIRTIO] = "virtio",
  [ASR_VERIFY_BUS_SATA] = "sata",
  [ASR_VERIFY_BUS_SCSI] = "scsi",
  [ASR_VERIFY_BUS_NVME] = "nvme",
};

const char *
asr_verify_bus_to_string (AsrVerifyBus bus)
{
  g_return_val_if_fail ((guint) bus < G_N_ELEMENTS (bus_names), "virtio");
  return bus_names[bus];
}

gboolean
asr_verify_bus_from_string (const char *s, AsrVerifyBus *out)
{
  if (s == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (bus_names); i++)
    if (g_ascii_strcasecmp (s, bus_names[i]) == 0)
      {
        *out = (AsrVerifyBus) i;
        return TRUE;
      }
  /* A captured IDE or USB disk: SATA is the emulated bus a Linux guest
   * most likely has a driver for (ahci), and libvirt's pc machine has no
   * second IDE channel worth relying on. */
  if (g_ascii_strcasecmp (s, "ide") == 0 || g_ascii_strcasecmp (s, "usb") == 0)
    {
      *out = ASR_VERIFY_BUS_SATA;
      return TRUE;
    }
  return FALSE;
}

void
asr_verify_size_machine (const MachineHardware *hw, guint64 *memory_bytes, guint *vcpus)
{
  guint64 mem = ASR_VERIFY_DEFAULT_MEMORY_BYTES;
  guint cpus = 1;

  if (hw && hw->has_memory_bytes && hw->memory_bytes > 0)
    mem = CLAMP (hw->memory_bytes, ASR_VERIFY_MIN_MEMORY_BYTES, ASR_VERIFY_MAX_MEMORY_BYTES);
  if (hw && hw->has_cpu_count && hw->cpu_count > 0)
    cpus = MIN (hw->cpu_count, ASR_VERIFY_MAX_VCPUS);
  *memory_bytes = mem;
  *vcpus = cpus;
}

/* vda, vdb, ... vdz, vdaa: libvirt's own naming. */
static char *
disk_target (const char *prefix, guint index)
{
  g_autoptr (GString) s = g_string_new (NULL);
  guint i = index;

  do
    {
      g_string_prepend_c (s, (char) ('a' + i % 26));
      i = i / 26;
    }
  while (i-- > 0);
  g_string_prepend (s, prefix);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
append_escaped (GString *out, const char *text)
{
  g_autofree char *e = g_markup_escape_text (text, -1);
  g_string_append (out, e);
}

static void
append_disk (GString *x, const AsrVerifyDomainConfig *c, guint i)
{
  const AsrVerifyDomainDisk *d = &c->disks[i];
  const char *prefix = c->bus == ASR_VERIFY_BUS_VIRTIO ? "vd" : "sd";
  g_autofree char *dev = disk_target (prefix, i);

  g_string_append (x, "    <disk type='file' device='disk'>\n");
  g_string_append_printf (x,
                          "      <driver name='qemu' type='%s' cache='unsafe' discard='unmap'/>\n",
                          d->format);
  g_string_append (x, "      <source file='");
  append_escaped (x, d->path);
  g_string_append (x, "'/>\n");
  g_string_append_printf (x, "      <target dev='%s' bus='%s'/>\n", dev,
                          c->bus == ASR_VERIFY_BUS_VIRTIO ? "virtio"
                          : c->bus == ASR_VERIFY_BUS_SATA ? "sata"
                                                          : "scsi");
  if (i == 0)
    g_string_append (x, "      <boot order='1'/>\n");
  g_string_append (x, "    </disk>\n");
}

/* libvirt 9.0 has no NVMe disk bus: qemu's own options, through the qemu
 * namespace.  Such disks are invisible to libvirt, which is acceptable
 * for a throwaway domain whose images are private and not relabelled. */
static void
append_nvme_args (GString *x, const AsrVerifyDomainConfig *c)
{
  for (guint i = 0; i < c->n_disks; i++)
    {
      const AsrVerifyDomainDisk *d = &c->disks[i];
      g_autofree char *path = asr_qemu_opts_escape (d->path);
      g_autofree char *drive
        = g_strdup_printf ("file=%s,format=%s,if=none,id=asr-nvme%u,cache=unsafe,discard=unmap",
                           path, d->format, i);
      g_autofree char *device = g_strdup_printf ("nvme,drive=asr-nvme%u,serial=asr%u%s", i, i,
                                                 i == 0 ? ",bootindex=1" : "");

      g_string_append (x, "    <qemu:arg value='-drive'/>\n    <qemu:arg value='");
      append_escaped (x, drive);
      g_string_append (x, "'/>\n    <qemu:arg value='-device'/>\n    <qemu:arg value='");
      append_escaped (x, device);
      g_string_append (x, "'/>\n");
    }
}

char *
asr_verify_domain_xml (const AsrVerifyDomainConfig *c)
{
  g_autoptr (GString) x = g_string_new (NULL);
  gboolean uefi = c->firmware == MACHINE_FIRMWARE_UEFI;
  gboolean nvme = c->bus == ASR_VERIFY_BUS_NVME;
  gboolean qemu_args = nvme || (!uefi && c->sercon_path != NULL);

  g_return_val_if_fail (c->name && c->console_path && c->n_disks > 0, NULL);
  g_return_val_if_fail (!uefi || c->nvram_path != NULL, NULL);

  g_string_append_printf (x, "<domain type='%s'%s>\n", c->accel == ASR_ACCEL_KVM ? "kvm" : "qemu",
                          qemu_args ? " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
                                    : "");
  g_string_append (x, "  <name>");
  append_escaped (x, c->name);
  g_string_append (x, "</name>\n");
  g_string_append (x, "  <description>asr verify: a throwaway test boot</description>\n");
  g_string_append_printf (x, "  <memory unit='KiB'>%" G_GUINT64_FORMAT "</memory>\n",
                          c->memory_bytes / 1024);
  g_string_append_printf (x, "  <vcpu>%u</vcpu>\n", c->vcpus);

  /* UEFI on q35 (what OVMF is built and tested for); BIOS on pc. */
  if (uefi)
    {
      g_string_append (x, "  <os firmware='efi'>\n"
                          "    <type arch='x86_64' machine='q35'>hvm</type>\n"
                          /* libvirt 9.0 otherwise picks the Secure Boot build with
                           * Microsoft keys enrolled, which refuses unsigned loaders */
                          "    <firmware>\n"
                          "      <feature enabled='no' name='secure-boot'/>\n"
                          "      <feature enabled='no' name='enrolled-keys'/>\n"
                          "    </firmware>\n");
      /* No template attribute: libvirt 9.0 refuses one with firmware
       * autoselection, and copies the selected firmware's template into a
       * path that does not exist yet: a fresh NVRAM each run. */
      g_string_append (x, "    <nvram>");
      append_escaped (x, c->nvram_path);
      g_string_append (x, "</nvram>\n");
    }
  else
    g_string_append (x, "  <os>\n"
                        "    <type arch='x86_64' machine='pc'>hvm</type>\n");
  g_string_append (x, "  </os>\n");
  /* UEFI requires ACPI on x86 (libvirt refuses the domain without it). */
  g_string_append (x, "  <features>\n    <acpi/>\n    <apic/>\n  </features>\n");
  g_string_append (x, "  <on_poweroff>destroy</on_poweroff>\n"
                      "  <on_reboot>destroy</on_reboot>\n"
                      "  <on_crash>destroy</on_crash>\n");

  g_string_append (x, "  <devices>\n");
  if (!nvme)
    {
      if (c->bus == ASR_VERIFY_BUS_SCSI)
        g_string_append (x, "    <controller type='scsi' index='0' model='virtio-scsi'/>\n");
      for (guint i = 0; i < c->n_disks; i++)
        append_disk (x, c, i);
    }
  if (c->network)
    g_string_append (x, "    <interface type='user'>\n"
                        "      <model type='virtio'/>\n"
                        "    </interface>\n");
  g_string_append (x, "    <serial type='file'>\n      <source path='");
  append_escaped (x, c->console_path);
  g_string_append (x, "'/>\n      <target port='0'/>\n    </serial>\n");
  g_string_append (x, "    <console type='file'>\n      <source path='");
  append_escaped (x, c->console_path);
  g_string_append (x, "'/>\n      <target type='serial' port='0'/>\n    </console>\n");
  g_string_append (x, "    <memballoon model='none'/>\n");
  g_string_append (x, "  </devices>\n");

  if (c->run_as_root)
    /* As root, libvirt still runs qemu as its own user, who cannot enter
     * the private 0700 directory. */
    g_string_append (x, "  <seclabel type='static' model='dac' relabel='no'>\n"
                        "    <label>+0:+0</label>\n"
                        "  </seclabel>\n");

  if (qemu_args)
    {
      g_string_append (x, "  <qemu:commandline>\n");
      if (nvme)
        append_nvme_args (x, c);
      if (!uefi && c->sercon_path)
        {
          /* SeaBIOS writes to the serial port only when told its I/O port
           * through fw_cfg: without it "No bootable device" is on a screen
           * nobody sees, and a broken boot loader waits out the timeout. */
          g_autofree char *file = asr_qemu_opts_escape (c->sercon_path);
          g_autofree char *fw = g_strdup_printf ("name=etc/sercon-port,file=%s", file);
          g_string_append (x, "    <qemu:arg value='-fw_cfg'/>\n    <qemu:arg value='");
          append_escaped (x, fw);
          g_string_append (x, "'/>\n");
        }
      g_string_append (x, "  </qemu:commandline>\n");
    }
  g_string_append (x, "</domain>\n");
  return g_string_free (g_steal_pointer (&x), FALSE);
}
