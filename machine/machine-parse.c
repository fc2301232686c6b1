/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading machine.xml: util's hardened loader (bounded, UTF-8, no DOCTYPE,
 * well-formed), then RELAX NG validation, then the C structs, then the
 * meaning checks.
 */
#include "config.h"

#include <string.h>

#include "machine.h"
#include "machine-private.h"

/* --- well-formedness ----------------------------------------------------- */

/* util's loader says what is wrong with the text; the error says so in
 * this module's domain, the message unchanged. */
static void
translate_load_error (GError *local, GError **error)
{
  if (local->domain != ASR_XML_ERROR)
    {
      g_propagate_error (error, local);
      return;
    }
  g_set_error_literal (error, MACHINE_ERROR,
                       local->code == ASR_XML_ERROR_TOO_LARGE ? MACHINE_ERROR_TOO_LARGE
                                                              : MACHINE_ERROR_MALFORMED,
                       local->message);
  g_error_free (local);
}

/* --- building the structs ----------------------------------------------- */

typedef struct {
  MachineProblems problems;
} Builder;

static guint
node_line (xmlNode *n)
{
  long l = xmlGetLineNo (n);

  return l > 0 ? (guint) l : 0;
}

static gboolean
is_element (xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && xmlStrEqual (n->name, (const xmlChar *) name);
}

static char *
get_attr (xmlNode *n, const char *name)
{
  xmlChar *v = xmlGetNoNsProp (n, (const xmlChar *) name);
  char *s;

  if (v == NULL)
    return NULL;
  s = g_strdup ((const char *) v);
  xmlFree (v);
  return s;
}

/* Reads an optional integer attribute; *has is FALSE when it is absent.
 * The schema's pattern has already refused signs, spaces and leading
 * zeros; what it cannot refuse is a value above 2^64-1 (or @max). */
static void
get_uint (Builder *b, xmlNode *n, const char *name, guint64 max, guint64 *out, gboolean *has)
{
  g_autofree char *s = get_attr (n, name);
  g_autofree char *why = NULL;

  *out = 0;
  if (has)
    *has = FALSE;
  if (s == NULL)
    return;
  if (!machine_parse_uint (s, max, out, &why))
    {
      machine_problems_add (&b->problems, node_line (n), "element %s: attribute %s: %s",
                            (const char *) n->name, name, why);
      return;
    }
  if (has)
    *has = TRUE;
}

static void
get_tristate (Builder *b, xmlNode *n, const char *name, MachineTristate *out)
{
  g_autofree char *s = get_attr (n, name);

  *out = MACHINE_TRISTATE_UNKNOWN;
  if (s != NULL && !machine_tristate_from_string (s, out))
    machine_problems_add (&b->problems, node_line (n),
                          "element %s: attribute %s: '%s' is not yes or no", (const char *) n->name,
                          name, s);
}

static MachineOrigin *
build_origin (Builder *b, xmlNode *n)
{
  MachineOrigin *o = machine_origin_new ();

  o->captured = get_attr (n, "captured");
  o->tool = get_attr (n, "tool");
  for (xmlNode *c = n->children; c; c = c->next)
    if (is_element (c, "source"))
      {
        MachineSource *s = machine_source_new ();
        s->disk = get_attr (c, "disk");
        s->path = get_attr (c, "path");
        s->format = get_attr (c, "format");
        s->line = node_line (c);
        g_ptr_array_add (o->sources, s);
      }
  return o;
}

static MachineOs *
build_os (Builder *b, xmlNode *n)
{
  MachineOs *o = machine_os_new ();

  o->name = get_attr (n, "name");
  o->version = get_attr (n, "version");
  o->hostname = get_attr (n, "hostname");
  return o;
}

static MachineController *
build_controller (Builder *b, xmlNode *n)
{
  g_autofree char *klass = get_attr (n, "class");
  MachineControllerClass k = MACHINE_CONTROLLER_STORAGE;
  MachineController *c;

  if (!machine_controller_class_from_string (klass, &k))
    machine_problems_add (&b->problems, node_line (n), "element controller: unknown class '%s'",
                          klass ? klass : "");
  c = machine_controller_new (k);
  c->bus = get_attr (n, "bus");
  c->address = get_attr (n, "address");
  c->vendor_id = get_attr (n, "vendor-id");
  c->device_id = get_attr (n, "device-id");
  c->driver = get_attr (n, "driver");
  c->model = get_attr (n, "model");
  c->mac = get_attr (n, "mac");
  c->line = node_line (n);
  return c;
}

static MachineHardware *
build_hardware (Builder *b, xmlNode *n)
{
  MachineHardware *h = machine_hardware_new ();

  for (xmlNode *c = n->children; c; c = c->next)
    {
      if (is_element (c, "architecture"))
        {
          g_free (h->architecture);
          h->architecture = asr_xml_node_text (c);
        }
      else if (is_element (c, "firmware"))
        {
          g_autofree char *type = get_attr (c, "type");
          if (!machine_firmware_from_string (type, &h->firmware))
            machine_problems_add (&b->problems, node_line (c),
                                  "element firmware: unknown type '%s'", type ? type : "");
        }
      else if (is_element (c, "system"))
        {
          h->system_vendor = get_attr (c, "vendor");
          h->system_product = get_attr (c, "product");
          h->machine_type = get_attr (c, "machine-type");
        }
      else if (is_element (c, "cpu"))
        {
          guint64 count;
          h->cpu_vendor = get_attr (c, "vendor");
          h->cpu_model = get_attr (c, "model");
          get_uint (b, c, "count", G_MAXUINT32, &count, &h->has_cpu_count);
          h->cpu_count = (guint32) count;
        }
      else if (is_element (c, "memory"))
        get_uint (b, c, "bytes", G_MAXUINT64, &h->memory_bytes, &h->has_memory_bytes);
      else if (is_element (c, "controller"))
        g_ptr_array_add (h->controllers, build_controller (b, c));
    }
  return h;
}

static MachineImage *
build_image (Builder *b, xmlNode *n)
{
  MachineImage *i = machine_image_new ();

  i->file = get_attr (n, "file");
  i->format = get_attr (n, "format");
  get_uint (b, n, "bytes", G_MAXUINT64, &i->bytes, NULL);
  i->checksum = get_attr (n, "checksum");
  i->line = node_line (n);
  return i;
}

static MachineVolume *
build_volume (Builder *b, xmlNode *n)
{
  MachineVolume *v = machine_volume_new ();

  v->fs = get_attr (n, "fs");
  v->uuid = get_attr (n, "uuid");
  v->label = get_attr (n, "label");
  v->mountpoint = get_attr (n, "mountpoint");
  get_tristate (b, n, "critical", &v->critical);
  v->line = node_line (n);
  for (xmlNode *c = n->children; c; c = c->next)
    if (is_element (c, "image") && v->image == NULL)
      v->image = build_image (b, c);
    else if (is_element (c, "subvolume"))
      {
        g_autofree char *path = get_attr (c, "path");
        MachineSubvolume *s = machine_subvolume_new (path);
        get_uint (b, c, "id", G_MAXUINT64, &s->id, &s->has_id);
        s->mountpoint = get_attr (c, "mountpoint");
        s->line = node_line (c);
        g_ptr_array_add (v->subvolumes, s);
      }
  return v;
}

static MachinePartition *
build_partition (Builder *b, xmlNode *n)
{
  g_autofree char *kind = get_attr (n, "kind");
  g_autofree char *attributes = get_attr (n, "attributes");
  guint64 number;
  MachinePartition *p;

  get_uint (b, n, "number", G_MAXUINT32, &number, NULL);
  p = machine_partition_new ((guint32) number);
  if (kind != NULL && !machine_partition_kind_from_string (kind, &p->kind))
    machine_problems_add (&b->problems, node_line (n), "element partition: unknown kind '%s'",
                          kind);
  get_uint (b, n, "start", G_MAXUINT64, &p->start, NULL);
  get_uint (b, n, "sectors", G_MAXUINT64, &p->sectors, NULL);
  p->type = get_attr (n, "type");
  p->guid = get_attr (n, "guid");
  p->name = get_attr (n, "name");
  if (attributes != NULL)
    {
      /* The schema allows 0x and 1-16 hex digits: always fits. */
      if (g_str_has_prefix (attributes, "0x")
          && g_ascii_string_to_unsigned (attributes + 2, 16, 0, G_MAXUINT64, &p->attributes, NULL))
        p->has_attributes = TRUE;
      else
        machine_problems_add (&b->problems, node_line (n),
                              "element partition: attribute attributes: '%s' is not 0x and hex "
                              "digits",
                              attributes);
    }
  get_tristate (b, n, "bootable", &p->bootable);
  p->line = node_line (n);
  for (xmlNode *c = n->children; c; c = c->next)
    if (is_element (c, "volume") && p->volume == NULL)
      p->volume = build_volume (b, c);
  return p;
}

static MachineDisk *
build_disk (Builder *b, xmlNode *n)
{
  g_autofree char *id = get_attr (n, "id");
  MachineDisk *d = machine_disk_new (id);
  guint64 v;

  get_tristate (b, n, "critical", &d->critical);
  get_tristate (b, n, "boot", &d->boot);
  get_uint (b, n, "bytes", G_MAXUINT64, &d->bytes, &d->has_bytes);
  get_uint (b, n, "logical-sector", G_MAXUINT32, &v, NULL);
  d->logical_sector = (guint32) v;
  get_uint (b, n, "physical-sector", G_MAXUINT32, &v, NULL);
  d->physical_sector = (guint32) v;
  d->bus = get_attr (n, "bus");
  d->model = get_attr (n, "model");
  d->serial = get_attr (n, "serial");
  d->wwn = get_attr (n, "wwn");
  d->line = node_line (n);

  for (xmlNode *c = n->children; c; c = c->next)
    {
      if (is_element (c, "by-id"))
        g_ptr_array_add (d->by_id, asr_xml_node_text (c));
      else if (is_element (c, "in-use"))
        {
          g_autofree char *reason = get_attr (c, "reason");
          g_autofree char *detail = get_attr (c, "detail");
          g_ptr_array_add (d->in_use, machine_in_use_new (reason, detail));
        }
      else if (is_element (c, "incomplete"))
        d->incomplete = TRUE;
      else if (is_element (c, "partition-table"))
        {
          g_autofree char *type = get_attr (c, "type");
          if (!machine_ptable_type_from_string (type, &d->ptable))
            machine_problems_add (&b->problems, node_line (c),
                                  "element partition-table: unknown type '%s'", type ? type : "");
          d->signature = get_attr (c, "signature");
          d->guid = get_attr (c, "guid");
          d->ptable_unreadable = get_attr (c, "unreadable");
          d->ptable_line = node_line (c);
          guint64 entries = 0, entry_bytes = 0;
          get_uint (b, c, "first-usable", G_MAXUINT64, &d->gpt_first_usable, NULL);
          get_uint (b, c, "entries-start", G_MAXUINT64, &d->gpt_entries_start, NULL);
          get_uint (b, c, "entries", G_MAXUINT32, &entries, NULL);
          get_uint (b, c, "entry-bytes", G_MAXUINT32, &entry_bytes, NULL);
          d->gpt_entries = (guint32) entries;
          d->gpt_entry_bytes = (guint32) entry_bytes;
        }
      else if (is_element (c, "boot-area"))
        {
          machine_boot_area_free (d->boot_area);
          d->boot_area = machine_boot_area_new ();
          get_uint (b, c, "bytes", G_MAXUINT64, &d->boot_area->bytes, NULL);
          d->boot_area->image = get_attr (c, "image");
          d->boot_area->checksum = get_attr (c, "checksum");
          d->boot_area->line = node_line (c);
        }
      else if (is_element (c, "partition"))
        g_ptr_array_add (d->partitions, build_partition (b, c));
    }
  return d;
}

static MachineMdArray *
build_md_array (Builder *b, xmlNode *n)
{
  g_autofree char *id = get_attr (n, "id");
  MachineMdArray *md = machine_md_array_new (id);

  md->uuid = get_attr (n, "uuid");
  md->name = get_attr (n, "name");
  md->level = get_attr (n, "level");
  md->metadata = get_attr (n, "metadata");
  get_uint (b, n, "chunk-bytes", G_MAXUINT64, &md->chunk_bytes, &md->has_chunk_bytes);
  get_uint (b, n, "bytes", G_MAXUINT64, &md->bytes, &md->has_bytes);
  md->line = node_line (n);
  for (xmlNode *c = n->children; c; c = c->next)
    if (is_element (c, "member"))
      {
        g_autofree char *device = get_attr (c, "device");
        g_autofree char *role = get_attr (c, "role");
        MachineMdMember *mm = machine_md_member_new (device, 0);
        if (g_strcmp0 (role, "spare") == 0)
          mm->spare = TRUE;
        else
          {
            guint64 r;
            get_uint (b, c, "role", G_MAXUINT32, &r, NULL);
            mm->role = (guint32) r;
          }
        get_uint (b, c, "data-offset", G_MAXUINT64, &mm->data_offset, &mm->has_data_offset);
        mm->line = node_line (c);
        for (xmlNode *cc = c->children; cc; cc = cc->next)
          if (is_element (cc, "image") && mm->image == NULL)
            mm->image = build_image (b, cc);
        g_ptr_array_add (md->members, mm);
      }
    else if (is_element (c, "volume") && md->volume == NULL)
      md->volume = build_volume (b, c);
  return md;
}

static MachineLuks *
build_luks (Builder *b, xmlNode *n)
{
  g_autofree char *id = get_attr (n, "id");
  MachineLuks *l = machine_luks_new (id);

  l->uuid = get_attr (n, "uuid");
  l->type = get_attr (n, "type");
  l->device = get_attr (n, "device");
  get_uint (b, n, "bytes", G_MAXUINT64, &l->bytes, &l->has_bytes);
  l->line = node_line (n);
  for (xmlNode *c = n->children; c; c = c->next)
    if (is_element (c, "image") && l->image == NULL)
      l->image = build_image (b, c);
    else if (is_element (c, "volume") && l->volume == NULL)
      l->volume = build_volume (b, c);
  return l;
}

static MachineVolumeGroup *
build_volume_group (Builder *b, xmlNode *n)
{
  g_autofree char *name = get_attr (n, "name");
  MachineVolumeGroup *vg = machine_volume_group_new (name);

  vg->uuid = get_attr (n, "uuid");
  get_uint (b, n, "extent-bytes", G_MAXUINT64, &vg->extent_bytes, NULL);
  vg->line = node_line (n);
  for (xmlNode *c = n->children; c; c = c->next)
    if (is_element (c, "metadata") && vg->metadata_file == NULL)
      {
        vg->metadata_file = get_attr (c, "file");
        vg->metadata_checksum = get_attr (c, "checksum");
        vg->metadata_line = node_line (c);
      }
    else if (is_element (c, "pv"))
      {
        MachinePhysicalVolume *pv = machine_physical_volume_new ();
        pv->uuid = get_attr (c, "uuid");
        pv->device = get_attr (c, "device");
        get_uint (b, c, "bytes", G_MAXUINT64, &pv->bytes, &pv->has_bytes);
        get_uint (b, c, "pe-start", G_MAXUINT64, &pv->pe_start, &pv->has_pe_start);
        pv->line = node_line (c);
        for (xmlNode *cc = c->children; cc; cc = cc->next)
          if (is_element (cc, "image") && pv->image == NULL)
            pv->image = build_image (b, cc);
        g_ptr_array_add (vg->pvs, pv);
      }
    else if (is_element (c, "lv"))
      {
        g_autofree char *lvname = get_attr (c, "name");
        MachineLogicalVolume *lv = machine_logical_volume_new (lvname);
        lv->uuid = get_attr (c, "uuid");
        get_uint (b, c, "bytes", G_MAXUINT64, &lv->bytes, NULL);
        lv->segtype = get_attr (c, "segtype");
        lv->line = node_line (c);
        for (xmlNode *cc = c->children; cc; cc = cc->next)
          if (is_element (cc, "volume") && lv->volume == NULL)
            lv->volume = build_volume (b, cc);
          else if (is_element (cc, "segment"))
            {
              MachineLvSegment *seg = machine_lv_segment_new ();
              get_uint (b, cc, "start-extent", G_MAXUINT64, &seg->start_extent, NULL);
              get_uint (b, cc, "extents", G_MAXUINT64, &seg->extents, NULL);
              seg->pv = get_attr (cc, "pv");
              get_uint (b, cc, "pv-extent", G_MAXUINT64, &seg->pv_extent, NULL);
              seg->line = node_line (cc);
              g_ptr_array_add (lv->segments, seg);
            }
        g_ptr_array_add (vg->lvs, lv);
      }
  return vg;
}

/* The schema has fixed the shape; this only copies values, and reports the
 * few things a pattern cannot (integers above 64 bits). */
static MachineDescriptor *
build_descriptor (xmlDoc *doc, const char *name, GError **error)
{
  g_autoptr (MachineDescriptor) m = machine_descriptor_new ();
  xmlNode *root = xmlDocGetRootElement (doc);
  Builder b;
  guint64 version;

  machine_problems_init (&b.problems, name);
  get_uint (&b, root, "version", G_MAXUINT32, &version, NULL);
  m->version = (guint32) version;
  for (xmlNode *c = root->children; c; c = c->next)
    {
      if (is_element (c, "origin") && m->origin == NULL)
        m->origin = build_origin (&b, c);
      else if (is_element (c, "os") && m->os == NULL)
        m->os = build_os (&b, c);
      else if (is_element (c, "hardware") && m->hardware == NULL)
        m->hardware = build_hardware (&b, c);
      else if (is_element (c, "disk"))
        g_ptr_array_add (m->disks, build_disk (&b, c));
      else if (is_element (c, "md-array"))
        g_ptr_array_add (m->md_arrays, build_md_array (&b, c));
      else if (is_element (c, "luks"))
        g_ptr_array_add (m->luks, build_luks (&b, c));
      else if (is_element (c, "volume-group"))
        g_ptr_array_add (m->volume_groups, build_volume_group (&b, c));
    }
  if (!machine_problems_take (&b.problems, MACHINE_ERROR_INVALID, error))
    {
      machine_problems_clear (&b.problems);
      return NULL;
    }
  machine_problems_clear (&b.problems);
  return g_steal_pointer (&m);
}

/* --- entry points -------------------------------------------------------- */

static MachineDescriptor *
descriptor_from_doc (xmlDoc *doc, const char *name, GError **error)
{
  g_autoptr (MachineDescriptor) m = NULL;

  if (!machine_schema_validate (doc, name, error))
    return NULL;
  m = build_descriptor (doc, name, error);
  if (m == NULL)
    return NULL;
  if (!machine_descriptor_check (m, name, error))
    return NULL;
  return g_steal_pointer (&m);
}

MachineDescriptor *
machine_descriptor_parse_data (const char *data, gsize len, const char *name, GError **error)
{
  g_autoptr (xmlDoc) doc = NULL;
  GError *local = NULL;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (name == NULL)
    name = "(memory)";
  doc = asr_xml_load_data (data, len, name, MACHINE_DESCRIPTOR_MAX_BYTES, &local);
  if (doc == NULL)
    {
      translate_load_error (local, error);
      return NULL;
    }
  return descriptor_from_doc (doc, name, error);
}

MachineDescriptor *
machine_descriptor_parse_file (const char *path, GError **error)
{
  g_autoptr (xmlDoc) doc = NULL;
  GError *local = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  doc = asr_xml_load_file (path, MACHINE_DESCRIPTOR_MAX_BYTES, &local);
  if (doc == NULL)
    {
      translate_load_error (local, error);
      return NULL;
    }
  return descriptor_from_doc (doc, path, error);
}
