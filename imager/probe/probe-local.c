/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `local`: this machine's hardware from sysfs, DMI and /proc, and the list
 * of its disks.  Every fact is optional: containers, micro-VMs and odd
 * firmware leave out DMI, /sys/firmware or whole classes, and an unknown
 * fact is better than a guess.
 */
#include "config.h"

#include <string.h>
#include <sys/utsname.h>

#include "probe-private.h"

/* ---- CPU ----------------------------------------------------------------- */

/* The value of the first "key : value" line of /proc/cpuinfo. */
static char *
cpuinfo_value (const char *cpuinfo, const char *key)
{
  g_auto (GStrv) lines = g_strsplit (cpuinfo, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      char *colon = strchr (*l, ':');
      if (colon == NULL)
        continue;
      *colon = '\0';
      if (strcmp (g_strstrip (*l), key) == 0)
        {
          char *v = g_strstrip (colon + 1);
          return *v ? g_strdup (v) : NULL;
        }
    }
  return NULL;
}

static guint
cpuinfo_processors (const char *cpuinfo)
{
  g_auto (GStrv) lines = g_strsplit (cpuinfo, "\n", -1);
  guint n = 0;
  for (char **l = lines; *l; l++)
    if (g_str_has_prefix (*l, "processor") && strchr (*l, ':'))
      n++;
  return n;
}

/* "0-3,6,8-9" → 7; FALSE on anything else. */
static gboolean
parse_cpu_list (const char *s, guint32 *count)
{
  g_auto (GStrv) ranges = NULL;
  guint64 total = 0;

  if (s == NULL || *s == '\0')
    return FALSE;
  ranges = g_strsplit (s, ",", -1);
  for (char **r = ranges; *r; r++)
    {
      g_auto (GStrv) ends = g_strsplit (*r, "-", 3);
      guint64 a, b;
      guint n = g_strv_length (ends);
      if (n < 1 || n > 2 || !g_ascii_string_to_unsigned (ends[0], 10, 0, 1u << 20, &a, NULL))
        return FALSE;
      b = a;
      if (n == 2 && !g_ascii_string_to_unsigned (ends[1], 10, a, 1u << 20, &b, NULL))
        return FALSE;
      total += b - a + 1;
    }
  if (total == 0 || total > G_MAXUINT32)
    return FALSE;
  *count = (guint32) total;
  return TRUE;
}

static void
fill_cpu (const char *root, MachineHardware *h)
{
  g_autofree char *cpuinfo = asr_host_read_all (root, "proc/cpuinfo");
  g_autofree char *online = asr_host_read_line (root, "sys/devices/system/cpu/online");

  if (cpuinfo)
    {
      h->cpu_vendor = cpuinfo_value (cpuinfo, "vendor_id");
      h->cpu_model = cpuinfo_value (cpuinfo, "model name");
    }
  if (parse_cpu_list (online, &h->cpu_count))
    h->has_cpu_count = TRUE;
  else if (cpuinfo && (h->cpu_count = cpuinfo_processors (cpuinfo)) > 0)
    h->has_cpu_count = TRUE;
}

/* ---- memory -------------------------------------------------------------- */

/* Installed memory: the sum of DMI type 17 (memory device) sizes.  The
 * kernel's MemTotal is less than installed (firmware and kernel
 * reservations) and varies with the kernel; DMI says what a VM was given
 * (libvirt's <memory>) and what a server has in its slots. */
static gboolean
dmi_memory_bytes (const char *root, guint64 *bytes)
{
  g_autoptr (GPtrArray) entries = asr_host_list_dir (root, "sys/firmware/dmi/entries");
  guint64 total = 0;
  gboolean any = FALSE;

  for (guint i = 0; i < entries->len; i++)
    {
      const char *e = g_ptr_array_index (entries, i);
      g_autofree char *rel = NULL;
      g_autofree char *path = NULL;
      g_autofree guint8 *raw = NULL;
      gsize len = 0;
      guint64 size;
      guint16 w;

      if (!g_str_has_prefix (e, "17-"))
        continue;
      rel = g_strdup_printf ("sys/firmware/dmi/entries/%s/raw", e);
      path = asr_host_path (root, rel);
      if (!g_file_get_contents (path, (char **) &raw, &len, NULL) || len < 0x0e || raw[0] != 17
          || raw[1] < 0x0e || raw[1] > len)
        continue;
      w = (guint16) (raw[0x0c] | (raw[0x0d] << 8));
      if (w == 0 || w == 0xffff)
        continue; /* empty slot, unknown size */
      if (w == 0x7fff)
        {
          if (raw[1] < 0x20)
            continue;
          size = ((guint64) (raw[0x1c] | (raw[0x1d] << 8) | (raw[0x1e] << 16)
                             | ((guint32) (raw[0x1f] & 0x7f) << 24)))
                 << 20;
        }
      else if (w & 0x8000)
        size = (guint64) (w & 0x7fff) << 10;
      else
        size = (guint64) w << 20;
      if (!g_uint64_checked_add (&total, total, size))
        return FALSE;
      any = TRUE;
    }
  if (any)
    *bytes = total;
  return any;
}

static void
fill_memory (const char *root, MachineHardware *h)
{
  g_autofree char *meminfo = NULL;

  if (dmi_memory_bytes (root, &h->memory_bytes))
    {
      h->has_memory_bytes = TRUE;
      g_debug ("memory: %" G_GUINT64_FORMAT " bytes installed (DMI)", h->memory_bytes);
      return;
    }
  meminfo = asr_host_read_all (root, "proc/meminfo");
  if (meminfo)
    {
      g_auto (GStrv) lines = g_strsplit (meminfo, "\n", -1);
      for (char **l = lines; *l; l++)
        {
          guint64 kib;
          char *v;
          if (!g_str_has_prefix (*l, "MemTotal:"))
            continue;
          v = g_strstrip (*l + strlen ("MemTotal:"));
          if (g_str_has_suffix (v, " kB"))
            v[strlen (v) - 3] = '\0';
          if (g_ascii_string_to_unsigned (v, 10, 1, G_MAXUINT64 / 1024, &kib, NULL))
            {
              h->memory_bytes = kib * 1024;
              h->has_memory_bytes = TRUE;
              g_debug ("memory: %" G_GUINT64_FORMAT " bytes (MemTotal; no DMI: less than "
                       "installed)",
                       h->memory_bytes);
            }
          break;
        }
    }
}

/* ---- PCI controllers ------------------------------------------------------ */

/* The MAC of a network device: net/IF/address directly under the PCI
 * device, or under a virtio child (virtio-net: virtioN/net/IF). */
static char *
pci_mac (const char *root, const char *dev_rel)
{
  g_autoptr (GPtrArray) children = asr_host_list_dir (root, dev_rel);
  g_autoptr (GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (dirs, g_strdup_printf ("%s/net", dev_rel));
  for (guint i = 0; i < children->len; i++)
    {
      const char *c = g_ptr_array_index (children, i);
      if (g_str_has_prefix (c, "virtio"))
        g_ptr_array_add (dirs, g_strdup_printf ("%s/%s/net", dev_rel, c));
    }
  for (guint d = 0; d < dirs->len; d++)
    {
      g_autoptr (GPtrArray) ifs = asr_host_list_dir (root, g_ptr_array_index (dirs, d));
      for (guint i = 0; i < ifs->len; i++)
        {
          g_autofree char *rel
            = g_strdup_printf ("%s/%s/address", (const char *) g_ptr_array_index (dirs, d),
                               (const char *) g_ptr_array_index (ifs, i));
          char *mac = asr_host_read_line (root, rel);
          if (mac)
            return mac;
        }
    }
  return NULL;
}

static void
fill_pci (const char *root, MachineHardware *h)
{
  g_autoptr (GPtrArray) devs = asr_host_list_dir (root, "sys/bus/pci/devices");

  for (guint i = 0; i < devs->len; i++)
    {
      const char *addr = g_ptr_array_index (devs, i);
      g_autofree char *dev_rel = g_strdup_printf ("sys/bus/pci/devices/%s", addr);
      g_autofree char *class_rel = g_strdup_printf ("%s/class", dev_rel);
      g_autofree char *vendor_rel = g_strdup_printf ("%s/vendor", dev_rel);
      g_autofree char *device_rel = g_strdup_printf ("%s/device", dev_rel);
      g_autofree char *driver_rel = g_strdup_printf ("%s/driver", dev_rel);
      g_autofree char *klass_s = asr_host_read_line (root, class_rel);
      guint64 klass;
      MachineControllerClass cc;
      MachineController *c;

      if (klass_s == NULL
          || !g_ascii_string_to_unsigned (g_str_has_prefix (klass_s, "0x") ? klass_s + 2 : klass_s,
                                          16, 0, 0xffffff, &klass, NULL))
        continue;
      switch (klass >> 16)
        {
        case 0x01:
          cc = MACHINE_CONTROLLER_STORAGE;
          break;
        case 0x02:
          cc = MACHINE_CONTROLLER_NETWORK;
          break;
        case 0x03:
          cc = MACHINE_CONTROLLER_VIDEO;
          break;
        default:
          continue;
        }
      c = machine_controller_new (cc);
      c->bus = g_strdup ("pci");
      c->address = g_strdup (addr);
      c->vendor_id = asr_host_read_line (root, vendor_rel);
      c->device_id = asr_host_read_line (root, device_rel);
      c->driver = asr_host_link_basename (root, driver_rel);
      if (cc == MACHINE_CONTROLLER_NETWORK)
        c->mac = pci_mac (root, dev_rel);
      g_ptr_array_add (h->controllers, c);
    }
}

/* ---- entry points -------------------------------------------------------- */

MachineHardware *
asr_probe_local_hardware (const char *root)
{
  MachineHardware *h = machine_hardware_new ();
  struct utsname u;

  if (uname (&u) == 0 && u.machine[0])
    h->architecture = g_strdup (u.machine);
  /* No sysfs at all (a chroot, a bare fake tree): firmware unknown. */
  if (asr_host_exists (root, "sys/firmware/efi"))
    h->firmware = MACHINE_FIRMWARE_UEFI;
  else if (asr_host_exists (root, "sys/firmware"))
    h->firmware = MACHINE_FIRMWARE_BIOS;
  h->system_vendor = asr_host_read_line (root, "sys/class/dmi/id/sys_vendor");
  h->system_product = asr_host_read_line (root, "sys/class/dmi/id/product_name");
  fill_cpu (root, h);
  fill_memory (root, h);
  fill_pci (root, h);
  return h;
}

static gboolean
is_disk_name (const char *name)
{
  static const char *const skip[] = { "loop", "ram", "zram", "sr", "fd", "nbd", "dm-", "md", NULL };
  for (const char *const *s = skip; *s; s++)
    if (g_str_has_prefix (name, *s))
      return FALSE;
  return *name != '.';
}

static gint
compare_kernel_names (gconstpointer a, gconstpointer b)
{
  const char *x = *(const char *const *) a;
  const char *y = *(const char *const *) b;
  /* sda < sdb < sdz < sdaa, vda < vdb: shorter first, then bytewise. */
  gsize lx = strlen (x), ly = strlen (y);
  if (lx != ly)
    return lx < ly ? -1 : 1;
  return strcmp (x, y);
}

GPtrArray *
asr_probe_local_disk_names (const char *root)
{
  g_autoptr (GPtrArray) entries = asr_host_list_dir (root, "sys/block");
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < entries->len; i++)
    {
      const char *e = g_ptr_array_index (entries, i);
      g_autofree char *size_rel = g_strdup_printf ("sys/block/%s/size", e);
      guint64 sectors;
      if (!is_disk_name (e) || !asr_host_read_u64 (root, size_rel, &sectors) || sectors == 0)
        continue;
      g_ptr_array_add (names, g_strdup (e));
    }
  g_ptr_array_sort (names, compare_kernel_names);
  return names;
}
