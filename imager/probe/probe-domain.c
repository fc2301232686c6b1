/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `domain:NAME`: a libvirt domain described from its XML.  The parsing
 * works on a string (asr_probe_domain_from_xml), so tests need no libvirt
 * at all; asr_probe_domain() only fetches the XML and the disk capacities.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "probe-private.h"
#include "virt.h"
#include "xml.h"

/* Largest domain XML accepted (libvirt's own are a few KiB). */
#define MAX_DOMAIN_XML_BYTES (4u * 1024u * 1024u)

/* ---- XML helpers ---------------------------------------------------------- */

static gboolean
is_element (xmlNode *n, const char *name)
{
  return n && n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0;
}

static xmlNode *
child (xmlNode *parent, const char *name)
{
  if (parent == NULL)
    return NULL;
  for (xmlNode *c = parent->children; c; c = c->next)
    if (is_element (c, name))
      return c;
  return NULL;
}

/* An attribute, stripped; NULL if absent or empty. */
static char *
prop (xmlNode *n, const char *name)
{
  xmlChar *v;
  char *s;

  if (n == NULL)
    return NULL;
  v = xmlGetProp (n, (const xmlChar *) name);
  if (v == NULL)
    return NULL;
  s = g_strstrip (g_strdup ((const char *) v));
  xmlFree (v);
  if (*s == '\0')
    g_clear_pointer (&s, g_free);
  return s;
}

/* An element's text, stripped; NULL if absent or empty. */
static char *
text (xmlNode *n)
{
  xmlChar *v;
  char *s;

  if (n == NULL)
    return NULL;
  v = xmlNodeGetContent (n);
  if (v == NULL)
    return NULL;
  s = g_strstrip (g_strdup ((const char *) v));
  xmlFree (v);
  if (*s == '\0')
    g_clear_pointer (&s, g_free);
  return s;
}

/* libvirt's memory units (virScaleInteger): b/bytes; k, M, G, T, P, E with
 * "" or "iB" for powers of 1024, "B" for powers of 1000; default KiB. */
static gboolean
scaled_bytes (xmlNode *n, guint64 *out)
{
  g_autofree char *unit = prop (n, "unit");
  g_autofree char *v = text (n);
  guint64 value, scale = 1024;

  if (v == NULL || !g_ascii_string_to_unsigned (v, 10, 0, G_MAXUINT64, &value, NULL))
    return FALSE;
  if (unit)
    {
      const char *powers = "kmgtpe";
      const char *p = strchr (powers, g_ascii_tolower (unit[0]));
      if (g_ascii_strcasecmp (unit, "b") == 0 || g_ascii_strcasecmp (unit, "bytes") == 0)
        scale = 1;
      else if (unit[0] == '\0' || p == NULL)
        return FALSE;
      else
        {
          guint64 base;
          if (strcmp (unit + 1, "") == 0 || strcmp (unit + 1, "iB") == 0)
            base = 1024;
          else if (strcmp (unit + 1, "B") == 0)
            base = 1000;
          else
            return FALSE;
          scale = 1;
          for (long i = 0; i <= p - powers; i++)
            scale *= base;
        }
    }
  return g_uint64_checked_mul (out, value, scale);
}

/* <address type='pci' domain= bus= slot= function=> → 0000:00:01.1 */
static char *
pci_address (xmlNode *dev)
{
  xmlNode *a = child (dev, "address");
  g_autofree char *type = prop (a, "type");
  g_autofree char *dom = prop (a, "domain");
  g_autofree char *bus = prop (a, "bus");
  g_autofree char *slot = prop (a, "slot");
  g_autofree char *fn = prop (a, "function");
  guint64 d = 0, b = 0, s = 0, f = 0;

  if (g_strcmp0 (type, "pci") != 0 || bus == NULL || slot == NULL)
    return NULL;
  if ((dom
       && !g_ascii_string_to_unsigned (g_str_has_prefix (dom, "0x") ? dom + 2 : dom, 16, 0, 0xffff,
                                       &d, NULL))
      || !g_ascii_string_to_unsigned (g_str_has_prefix (bus, "0x") ? bus + 2 : bus, 16, 0, 0xff, &b,
                                      NULL)
      || !g_ascii_string_to_unsigned (g_str_has_prefix (slot, "0x") ? slot + 2 : slot, 16, 0, 0x1f,
                                      &s, NULL)
      || (fn
          && !g_ascii_string_to_unsigned (g_str_has_prefix (fn, "0x") ? fn + 2 : fn, 16, 0, 7, &f,
                                          NULL)))
    return NULL;
  return g_strdup_printf ("%04x:%02x:%02x.%x", (guint) d, (guint) b, (guint) s, (guint) f);
}

static MachineController *
controller_new (MachineHardware *h, MachineControllerClass klass, xmlNode *dev, const char *model)
{
  MachineController *c = machine_controller_new (klass);
  c->address = pci_address (dev);
  c->bus = c->address ? g_strdup ("pci") : NULL;
  c->model = g_strdup (model);
  g_ptr_array_add (h->controllers, c);
  return c;
}

/* ---- hardware ------------------------------------------------------------- */

/* What the guest's DMI will say when the domain does not set <sysinfo>:
 * QEMU's defaults per machine type, so a VM target compares with a backup
 * captured inside a VM of the same kind. */
static void
default_system (MachineHardware *h, const char *domain_type)
{
  const char *mt = h->machine_type;

  if (g_strcmp0 (domain_type, "kvm") != 0 && g_strcmp0 (domain_type, "qemu") != 0)
    return;
  if (mt == NULL)
    return;
  if (g_str_has_prefix (mt, "pc-i440fx") || strcmp (mt, "pc") == 0)
    h->system_product = g_strdup ("Standard PC (i440FX + PIIX, 1996)");
  else if (g_str_has_prefix (mt, "pc-q35") || strcmp (mt, "q35") == 0)
    h->system_product = g_strdup ("Standard PC (Q35 + ICH9, 2009)");
  else if (g_str_has_prefix (mt, "virt"))
    h->system_product = g_strdup ("QEMU Virtual Machine");
  else
    return;
  h->system_vendor = g_strdup ("QEMU");
}

static void
fill_sysinfo (MachineHardware *h, xmlNode *dom)
{
  for (xmlNode *si = dom->children; si; si = si->next)
    {
      g_autofree char *type = NULL;
      if (!is_element (si, "sysinfo"))
        continue;
      type = prop (si, "type");
      if (g_strcmp0 (type, "smbios") != 0)
        continue;
      for (xmlNode *e = child (child (si, "system"), "entry"); e; e = e->next)
        {
          g_autofree char *name = NULL;
          if (!is_element (e, "entry"))
            continue;
          name = prop (e, "name");
          if (g_strcmp0 (name, "manufacturer") == 0 && h->system_vendor == NULL)
            h->system_vendor = text (e);
          else if (g_strcmp0 (name, "product") == 0 && h->system_product == NULL)
            h->system_product = text (e);
        }
    }
}

static gboolean
fill_hardware (MachineHardware *h, xmlNode *dom, const char *name, GError **error)
{
  xmlNode *os = child (dom, "os");
  xmlNode *type = child (os, "type");
  xmlNode *loader = child (os, "loader");
  xmlNode *vcpu = child (dom, "vcpu");
  xmlNode *cpu = child (dom, "cpu");
  xmlNode *memory = child (dom, "memory");
  g_autofree char *fw = prop (os, "firmware");
  g_autofree char *domain_type = prop (dom, "type");

  if (os == NULL)
    return asr_probe_refuse (error, name, "the domain XML has no <os> element");
  h->architecture = prop (type, "arch");
  h->machine_type = prop (type, "machine");

  if (g_strcmp0 (fw, "efi") == 0)
    h->firmware = MACHINE_FIRMWARE_UEFI;
  else if (loader)
    {
      g_autofree char *ltype = prop (loader, "type");
      g_autofree char *path = text (loader);
      g_autofree char *lower = path ? g_ascii_strdown (path, -1) : NULL;
      /* A <loader> can also be a custom SeaBIOS rom: UEFI only when it
       * looks like one. */
      if (g_strcmp0 (ltype, "pflash") == 0
          || (lower
              && (strstr (lower, "ovmf") || strstr (lower, "aavmf") || strstr (lower, "edk2")
                  || strstr (lower, "qemu_efi"))))
        h->firmware = MACHINE_FIRMWARE_UEFI;
      else
        h->firmware = MACHINE_FIRMWARE_BIOS;
    }
  else if (h->architecture == NULL || g_strcmp0 (h->architecture, "x86_64") == 0
           || g_strcmp0 (h->architecture, "i686") == 0)
    h->firmware = MACHINE_FIRMWARE_BIOS; /* libvirt's x86 default: SeaBIOS */

  fill_sysinfo (h, dom);
  if (h->system_vendor == NULL && h->system_product == NULL)
    default_system (h, domain_type);

  if (vcpu)
    {
      g_autofree char *current = prop (vcpu, "current");
      g_autofree char *count = text (vcpu);
      guint64 n;
      if ((current && g_ascii_string_to_unsigned (current, 10, 1, G_MAXUINT32, &n, NULL))
          || (count && g_ascii_string_to_unsigned (count, 10, 1, G_MAXUINT32, &n, NULL)))
        {
          h->cpu_count = (guint32) n;
          h->has_cpu_count = TRUE;
        }
      else
        return asr_probe_refuse (error, name, "bad <vcpu> count '%s'", count ? count : "");
    }
  if (cpu)
    {
      h->cpu_model = text (child (cpu, "model"));
      h->cpu_vendor = text (child (cpu, "vendor"));
    }
  if (memory)
    {
      if (!scaled_bytes (memory, &h->memory_bytes))
        return asr_probe_refuse (error, name, "bad <memory> value");
      h->has_memory_bytes = TRUE;
    }
  return TRUE;
}

/* ---- devices ---------------------------------------------------------------- */

static const char *
storage_model (const char *type, const char *model)
{
  if (model)
    return model;
  return type;
}

static gboolean
parse_disk (MachineDescriptor *m, MachineHardware *h, xmlNode *d, const char *name, guint index,
            AsrDomainDiskSizeFunc size_func, void *opaque, gboolean probe_images, GError **error)
{
  xmlNode *source = child (d, "source");
  xmlNode *target = child (d, "target");
  xmlNode *blockio = child (d, "blockio");
  g_autofree char *dev = prop (target, "dev");
  g_autofree char *bus = prop (target, "bus");
  g_autofree char *path = prop (source, "file");
  g_autofree char *format = prop (child (d, "driver"), "type");
  g_autofree char *id = g_strdup_printf ("disk%u", index);
  g_autofree char *lss = prop (blockio, "logical_block_size");
  g_autofree char *pss = prop (blockio, "physical_block_size");
  MachineDisk *disk;
  guint64 v;

  if (dev == NULL)
    return asr_probe_refuse (error, name, "a <disk> has no <target dev=>");
  if (path == NULL)
    path = prop (source, "dev");
  if (path == NULL)
    path = prop (source, "name"); /* network disks: pool/image, export */

  disk = machine_disk_new (id);
  g_ptr_array_add (m->disks, disk);
  disk->bus = g_strdup (bus);
  disk->serial = text (child (d, "serial"));
  disk->wwn = text (child (d, "wwn"));
  /* QEMU's default block sizes unless <blockio> says otherwise. */
  disk->logical_sector = 512;
  disk->physical_sector = 512;
  if (lss && g_ascii_string_to_unsigned (lss, 10, 512, 65536, &v, NULL))
    disk->logical_sector = (guint32) v;
  if (pss && g_ascii_string_to_unsigned (pss, 10, 512, 65536, &v, NULL))
    disk->physical_sector = (guint32) v;
  asr_probe_add_source (m, id, path, format ? format : (path ? "raw" : NULL));

  if (g_strcmp0 (bus, "virtio") == 0)
    controller_new (h, MACHINE_CONTROLLER_STORAGE, d, "virtio-blk");

  if (size_func && size_func (dev, &disk->bytes, opaque))
    disk->has_bytes = TRUE;

  /* A local image: its size (offline) and its current partition table,
   * under the same safety rules as any image. */
  if (probe_images && path && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr (AsrImageInfo) info = asr_image_info_probe (path, format, error);
      g_autoptr (AsrDiskReader) reader = NULL;
      if (info == NULL)
        {
          g_prefix_error (error, "%s: disk %s: ", name, dev);
          return FALSE;
        }
      if (!disk->has_bytes)
        {
          disk->bytes = info->virtual_bytes;
          disk->has_bytes = TRUE;
        }
      reader = asr_disk_reader_open (info, error);
      if (reader == NULL
          || !asr_probe_disk_read_layout (disk, reader, info->virtual_bytes, disk->logical_sector,
                                          error))
        {
          g_prefix_error (error, "%s: disk %s: ", name, dev);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse_devices (MachineDescriptor *m, MachineHardware *h, xmlNode *devices, const char *name,
               guint first_index, AsrDomainDiskSizeFunc size_func, void *opaque,
               gboolean probe_images, GError **error)
{
  guint index = first_index;

  for (xmlNode *n = devices ? devices->children : NULL; n; n = n->next)
    {
      if (is_element (n, "disk"))
        {
          g_autofree char *device = prop (n, "device");
          /* cdrom and floppy are not disks asr restores onto */
          if (device && strcmp (device, "disk") != 0 && strcmp (device, "lun") != 0)
            continue;
          if (!parse_disk (m, h, n, name, index++, size_func, opaque, probe_images, error))
            return FALSE;
        }
      else if (is_element (n, "controller"))
        {
          g_autofree char *type = prop (n, "type");
          g_autofree char *model = prop (n, "model");
          if (type
              && (strcmp (type, "scsi") == 0 || strcmp (type, "sata") == 0
                  || strcmp (type, "ide") == 0 || strcmp (type, "nvme") == 0))
            controller_new (h, MACHINE_CONTROLLER_STORAGE, n, storage_model (type, model));
        }
      else if (is_element (n, "interface"))
        {
          g_autofree char *model = prop (child (n, "model"), "type");
          MachineController *c = controller_new (h, MACHINE_CONTROLLER_NETWORK, n, model);
          g_autofree char *mac = prop (child (n, "mac"), "address");
          c->mac = mac ? g_ascii_strdown (mac, -1) : NULL;
        }
      else if (is_element (n, "video"))
        {
          g_autofree char *model = prop (child (n, "model"), "type");
          if (g_strcmp0 (model, "none") != 0)
            controller_new (h, MACHINE_CONTROLLER_VIDEO, n, model);
        }
    }
  return TRUE;
}

/* ---- parsing ------------------------------------------------------------ */

MachineDescriptor *
asr_probe_domain_from_xml (const char *xml, gsize len, const char *name, guint first_index,
                           AsrDomainDiskSizeFunc size_func, void *opaque, gboolean probe_images,
                           GError **error)
{
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (MachineDescriptor) m = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *formatted = NULL;
  xmlNode *dom;

  g_return_val_if_fail (xml != NULL && name != NULL, NULL);

  doc = asr_xml_load_data (xml, len, name, MAX_DOMAIN_XML_BYTES, &local);
  if (doc == NULL)
    {
      /* A bad domain XML is bad input, whatever is wrong with it. */
      if (local->code == ASR_XML_ERROR_TOO_LARGE)
        asr_probe_refuse (error, name, "domain XML larger than %u bytes", MAX_DOMAIN_XML_BYTES);
      else if (local->code == ASR_XML_ERROR_DOCTYPE)
        asr_probe_refuse (error, name, "the domain XML has a DOCTYPE; refused");
      else
        g_set_error_literal (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT, local->message);
      return NULL;
    }
  dom = xmlDocGetRootElement (doc);
  if (!is_element (dom, "domain"))
    {
      asr_probe_refuse (error, name, "not a libvirt domain XML (root element is not <domain>)");
      return NULL;
    }

  m = machine_descriptor_new ();
  m->hardware = machine_hardware_new ();
  if (!fill_hardware (m->hardware, dom, name, error))
    return NULL;
  if (!parse_devices (m, m->hardware, child (dom, "devices"), name, first_index, size_func, opaque,
                      probe_images, error))
    return NULL;
  /* Every value taken must be one a descriptor can hold (no control
   * characters, asr-machine(5)): a domain XML can carry &#127; in a path
   * or a newline in a serial, which would forge lines in every report. */
  formatted = machine_descriptor_format (m, &local);
  if (formatted == NULL)
    {
      asr_probe_refuse (error, name, "the domain XML holds a value a descriptor cannot: %s",
                        local->message);
      return NULL;
    }
  return g_steal_pointer (&m);
}

/* ---- libvirt ---------------------------------------------------------------- */

static gboolean
libvirt_error (GError **error, const char *what)
{
  asr_virt_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME, what);
  return FALSE;
}

char *
asr_probe_default_connect_uri (void)
{
  g_autofree char *root = g_build_filename (g_get_user_state_dir (), "asr", "libvirt", NULL);
  return asr_virt_embed_uri (root);
}

/* qemu:///system, qemu+unix:///system, test:///default: this host.  A URI
 * naming a server (qemu+ssh://host/system), or one we cannot parse, is not. */
static gboolean
uri_is_local (const char *uri)
{
  g_autoptr (GUri) u = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  const char *host;

  if (u == NULL)
    return FALSE;
  host = g_uri_get_host (u);
  return host == NULL || *host == '\0' || g_ascii_strcasecmp (host, "localhost") == 0;
}

typedef struct {
  virDomain *dom;
} SizeCtx;

static gboolean
libvirt_disk_size (const char *target_dev, guint64 *bytes, void *opaque)
{
  SizeCtx *s = opaque;
  virDomainBlockInfo info;

  if (virDomainGetBlockInfo (s->dom, target_dev, &info, 0) < 0)
    {
      g_debug ("virDomainGetBlockInfo %s: %s", target_dev, virGetLastErrorMessage ());
      return FALSE;
    }
  *bytes = info.capacity;
  return TRUE;
}

MachineDescriptor *
asr_probe_domain (const char *uri, const char *name, guint first_index, GError **error)
{
  g_autofree char *default_uri = NULL;
  g_autoptr (virConnect) conn = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *label = NULL;
  g_autoptr (GError) local = NULL;
  SizeCtx sc;

  g_return_val_if_fail (name != NULL, NULL);

  if (uri == NULL)
    {
      g_autofree char *root = g_build_filename (g_get_user_state_dir (), "asr", "libvirt", NULL);
      if (g_mkdir_with_parents (root, 0700) != 0)
        {
          g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME, "%s: %s", root,
                       g_strerror (errno));
          return NULL;
        }
      uri = default_uri = asr_probe_default_connect_uri ();
    }
  conn = asr_virt_connect (uri, ASR_VIRT_CONNECT_READ_ONLY, &local);
  if (conn == NULL)
    {
      g_set_error_literal (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_RUNTIME, local->message);
      return NULL;
    }
  dom = virDomainLookupByName (conn, name);
  if (dom == NULL)
    {
      virErrorPtr e = virGetLastError ();
      if (e && e->code == VIR_ERR_NO_DOMAIN)
        g_set_error (error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                     "domain:%s: no such domain at %s", name, uri);
      else
        {
          g_autofree char *what = g_strdup_printf ("domain:%s", name);
          libvirt_error (error, what);
        }
      return NULL;
    }
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  if (xml == NULL)
    {
      g_autofree char *what = g_strdup_printf ("domain:%s: reading its XML", name);
      libvirt_error (error, what);
      return NULL;
    }
  sc.dom = dom;
  label = g_strdup_printf ("domain:%s", name);
  /* Disk images are readable here only when libvirt runs on this host. */
  return asr_probe_domain_from_xml (xml, strlen (xml), label, first_index, libvirt_disk_size, &sc,
                                    uri_is_local (uri), error);
}
