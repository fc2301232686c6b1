/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The descriptor as JSON (`asr show --json`): the same facts as
 * machine.xml, unknown ones left out, sizes as integers.
 */
#include "config.h"

#include "machine-json.h"

void
machine_json_add_string (JsonBuilder *b, const char *name, const char *value)
{
  if (value == NULL)
    return; /* absent means unknown: leave it out */
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

void
machine_json_add_string_or_null (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

void
machine_json_add_strings (JsonBuilder *b, const char *name, const GPtrArray *values)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; values && i < values->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (values, i));
  json_builder_end_array (b);
}

char *
machine_json_builder_to_text (JsonBuilder *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

void
machine_json_add_u64 (JsonBuilder *b, const char *name, guint64 value)
{
  json_builder_set_member_name (b, name);
  /* JSON readers hold integers as int64 (or doubles): beyond that, a
   * decimal string keeps the exact value. */
  if (value <= G_MAXINT64)
    json_builder_add_int_value (b, (gint64) value);
  else
    {
      g_autofree char *s = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
      json_builder_add_string_value (b, s);
    }
}

static void
json_tristate (JsonBuilder *b, const char *name, MachineTristate t)
{
  if (t == MACHINE_TRISTATE_UNKNOWN)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, t == MACHINE_TRISTATE_YES);
}

static void
json_image (JsonBuilder *b, const MachineImage *img)
{
  json_builder_set_member_name (b, "image");
  json_builder_begin_object (b);
  machine_json_add_string (b, "file", img->file);
  machine_json_add_string (b, "format", img->format);
  machine_json_add_u64 (b, "bytes", img->bytes);
  machine_json_add_string (b, "checksum", img->checksum);
  json_builder_end_object (b);
}

static void
json_hardware (JsonBuilder *b, const MachineHardware *h)
{
  json_builder_set_member_name (b, "hardware");
  json_builder_begin_object (b);
  machine_json_add_string (b, "architecture", h->architecture);
  if (h->firmware != MACHINE_FIRMWARE_UNKNOWN)
    machine_json_add_string (b, "firmware", machine_firmware_to_string (h->firmware));
  machine_json_add_string (b, "system_vendor", h->system_vendor);
  machine_json_add_string (b, "system_product", h->system_product);
  machine_json_add_string (b, "machine_type", h->machine_type);
  machine_json_add_string (b, "cpu_vendor", h->cpu_vendor);
  machine_json_add_string (b, "cpu_model", h->cpu_model);
  if (h->has_cpu_count)
    machine_json_add_u64 (b, "cpu_count", h->cpu_count);
  if (h->has_memory_bytes)
    machine_json_add_u64 (b, "memory_bytes", h->memory_bytes);
  json_builder_set_member_name (b, "controllers");
  json_builder_begin_array (b);
  for (guint i = 0; i < h->controllers->len; i++)
    {
      const MachineController *c = g_ptr_array_index (h->controllers, i);
      json_builder_begin_object (b);
      machine_json_add_string (b, "class", machine_controller_class_to_string (c->klass));
      machine_json_add_string (b, "bus", c->bus);
      machine_json_add_string (b, "address", c->address);
      machine_json_add_string (b, "vendor_id", c->vendor_id);
      machine_json_add_string (b, "device_id", c->device_id);
      machine_json_add_string (b, "driver", c->driver);
      machine_json_add_string (b, "model", c->model);
      machine_json_add_string (b, "mac", c->mac);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/* Member "volume".  Subvolumes only when there are some, so that the
 * output for volumes without any stays as it was. */
static void
json_volume (JsonBuilder *b, const MachineVolume *v)
{
  json_builder_set_member_name (b, "volume");
  json_builder_begin_object (b);
  machine_json_add_string (b, "fs", v->fs);
  machine_json_add_string (b, "uuid", v->uuid);
  machine_json_add_string (b, "label", v->label);
  machine_json_add_string (b, "mountpoint", v->mountpoint);
  json_tristate (b, "critical", v->critical);
  if (v->subvolumes && v->subvolumes->len > 0)
    {
      json_builder_set_member_name (b, "subvolumes");
      json_builder_begin_array (b);
      for (guint i = 0; i < v->subvolumes->len; i++)
        {
          const MachineSubvolume *sv = g_ptr_array_index (v->subvolumes, i);
          json_builder_begin_object (b);
          machine_json_add_string (b, "path", sv->path);
          if (sv->has_id)
            machine_json_add_u64 (b, "id", sv->id);
          machine_json_add_string (b, "mountpoint", sv->mountpoint);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  if (v->image)
    json_image (b, v->image);
  json_builder_end_object (b);
}

static void
json_partition (JsonBuilder *b, const MachineDisk *d, const MachinePartition *p)
{
  guint64 bytes;

  json_builder_begin_object (b);
  machine_json_add_u64 (b, "number", p->number);
  if (p->kind != MACHINE_PARTITION_KIND_UNKNOWN)
    machine_json_add_string (b, "kind", machine_partition_kind_to_string (p->kind));
  machine_json_add_u64 (b, "start", p->start);
  machine_json_add_u64 (b, "sectors", p->sectors);
  if (g_uint64_checked_mul (&bytes, p->sectors, machine_disk_sector_size (d)))
    machine_json_add_u64 (b, "bytes", bytes);
  machine_json_add_string (b, "type", p->type);
  machine_json_add_string (b, "guid", p->guid);
  machine_json_add_string (b, "name", p->name);
  if (p->has_attributes)
    {
      g_autofree char *attrs = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", p->attributes);
      machine_json_add_string (b, "attributes", attrs);
    }
  json_tristate (b, "bootable", p->bootable);
  if (p->volume)
    json_volume (b, p->volume);
  json_builder_end_object (b);
}

static void
json_disk (JsonBuilder *b, const MachineDisk *d)
{
  json_builder_begin_object (b);
  machine_json_add_string (b, "id", d->id);
  json_tristate (b, "critical", d->critical);
  json_tristate (b, "boot", d->boot);
  if (d->has_bytes)
    machine_json_add_u64 (b, "bytes", d->bytes);
  if (d->logical_sector)
    machine_json_add_u64 (b, "logical_sector", d->logical_sector);
  if (d->physical_sector)
    machine_json_add_u64 (b, "physical_sector", d->physical_sector);
  machine_json_add_string (b, "bus", d->bus);
  machine_json_add_string (b, "model", d->model);
  machine_json_add_string (b, "serial", d->serial);
  machine_json_add_string (b, "wwn", d->wwn);
  machine_json_add_strings (b, "by_id", d->by_id);
  json_builder_set_member_name (b, "in_use");
  json_builder_begin_array (b);
  for (guint i = 0; i < d->in_use->len; i++)
    {
      const MachineInUse *u = g_ptr_array_index (d->in_use, i);
      json_builder_begin_object (b);
      machine_json_add_string (b, "reason", u->reason);
      machine_json_add_string (b, "detail", u->detail);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "incomplete");
  json_builder_add_boolean_value (b, d->incomplete);
  json_builder_set_member_name (b, "partition_table");
  json_builder_begin_object (b);
  machine_json_add_string (b, "type",
                           d->ptable == MACHINE_PTABLE_NONE
                             ? "none"
                             : machine_ptable_type_to_string (d->ptable));
  machine_json_add_string (b, "signature", d->signature);
  machine_json_add_string (b, "guid", d->guid);
  machine_json_add_string (b, "unreadable", d->ptable_unreadable);
  json_builder_end_object (b);
  if (d->boot_area)
    {
      json_builder_set_member_name (b, "boot_area");
      json_builder_begin_object (b);
      machine_json_add_u64 (b, "bytes", d->boot_area->bytes);
      machine_json_add_string (b, "image", d->boot_area->image);
      machine_json_add_string (b, "checksum", d->boot_area->checksum);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "partitions");
  json_builder_begin_array (b);
  for (guint i = 0; i < d->partitions->len; i++)
    json_partition (b, d, g_ptr_array_index (d->partitions, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
json_md_array (JsonBuilder *b, const MachineMdArray *md)
{
  json_builder_begin_object (b);
  machine_json_add_string (b, "id", md->id);
  machine_json_add_string (b, "uuid", md->uuid);
  machine_json_add_string (b, "name", md->name);
  machine_json_add_string (b, "level", md->level);
  machine_json_add_string (b, "metadata", md->metadata);
  if (md->has_chunk_bytes)
    machine_json_add_u64 (b, "chunk_bytes", md->chunk_bytes);
  if (md->has_bytes)
    machine_json_add_u64 (b, "bytes", md->bytes);
  json_builder_set_member_name (b, "members");
  json_builder_begin_array (b);
  for (guint i = 0; i < md->members->len; i++)
    {
      const MachineMdMember *mm = g_ptr_array_index (md->members, i);
      json_builder_begin_object (b);
      machine_json_add_string (b, "device", mm->device);
      if (mm->spare)
        machine_json_add_string (b, "role", "spare");
      else
        machine_json_add_u64 (b, "role", mm->role);
      if (mm->has_data_offset)
        machine_json_add_u64 (b, "data_offset", mm->data_offset);
      if (mm->image)
        json_image (b, mm->image);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (md->volume)
    json_volume (b, md->volume);
  json_builder_end_object (b);
}

static void
json_luks (JsonBuilder *b, const MachineLuks *l)
{
  json_builder_begin_object (b);
  machine_json_add_string (b, "id", l->id);
  machine_json_add_string (b, "uuid", l->uuid);
  machine_json_add_string (b, "type", l->type);
  machine_json_add_string (b, "device", l->device);
  if (l->has_bytes)
    machine_json_add_u64 (b, "bytes", l->bytes);
  if (l->image)
    json_image (b, l->image);
  if (l->volume)
    json_volume (b, l->volume);
  json_builder_end_object (b);
}

static void
json_volume_group (JsonBuilder *b, const MachineVolumeGroup *vg)
{
  json_builder_begin_object (b);
  machine_json_add_string (b, "name", vg->name);
  machine_json_add_string (b, "uuid", vg->uuid);
  machine_json_add_u64 (b, "extent_bytes", vg->extent_bytes);
  if (vg->metadata_file)
    {
      json_builder_set_member_name (b, "metadata");
      json_builder_begin_object (b);
      machine_json_add_string (b, "file", vg->metadata_file);
      machine_json_add_string (b, "checksum", vg->metadata_checksum);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "pvs");
  json_builder_begin_array (b);
  for (guint i = 0; i < vg->pvs->len; i++)
    {
      const MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, i);
      json_builder_begin_object (b);
      machine_json_add_string (b, "uuid", pv->uuid);
      machine_json_add_string (b, "device", pv->device);
      if (pv->has_bytes)
        machine_json_add_u64 (b, "bytes", pv->bytes);
      if (pv->has_pe_start)
        machine_json_add_u64 (b, "pe_start", pv->pe_start);
      if (pv->image)
        json_image (b, pv->image);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "lvs");
  json_builder_begin_array (b);
  for (guint i = 0; i < vg->lvs->len; i++)
    {
      const MachineLogicalVolume *lv = g_ptr_array_index (vg->lvs, i);
      json_builder_begin_object (b);
      machine_json_add_string (b, "name", lv->name);
      machine_json_add_string (b, "uuid", lv->uuid);
      machine_json_add_u64 (b, "bytes", lv->bytes);
      machine_json_add_string (b, "segtype", lv->segtype);
      if (lv->segments->len > 0)
        {
          json_builder_set_member_name (b, "segments");
          json_builder_begin_array (b);
          for (guint j = 0; j < lv->segments->len; j++)
            {
              const MachineLvSegment *seg = g_ptr_array_index (lv->segments, j);
              json_builder_begin_object (b);
              machine_json_add_u64 (b, "start_extent", seg->start_extent);
              machine_json_add_u64 (b, "extents", seg->extents);
              machine_json_add_string (b, "pv", seg->pv);
              machine_json_add_u64 (b, "pv_extent", seg->pv_extent);
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
        }
      if (lv->volume)
        json_volume (b, lv->volume);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

char *
machine_descriptor_to_json (const MachineDescriptor *m)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  machine_json_add_u64 (b, "version", m->version);
  if (m->origin)
    {
      json_builder_set_member_name (b, "origin");
      json_builder_begin_object (b);
      machine_json_add_string (b, "captured", m->origin->captured);
      machine_json_add_string (b, "tool", m->origin->tool);
      json_builder_set_member_name (b, "sources");
      json_builder_begin_array (b);
      for (guint i = 0; i < m->origin->sources->len; i++)
        {
          const MachineSource *s = g_ptr_array_index (m->origin->sources, i);
          json_builder_begin_object (b);
          machine_json_add_string (b, "disk", s->disk);
          machine_json_add_string (b, "path", s->path);
          machine_json_add_string (b, "format", s->format);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  if (m->os)
    {
      json_builder_set_member_name (b, "os");
      json_builder_begin_object (b);
      machine_json_add_string (b, "name", m->os->name);
      machine_json_add_string (b, "version", m->os->version);
      machine_json_add_string (b, "hostname", m->os->hostname);
      json_builder_end_object (b);
    }
  if (m->hardware)
    json_hardware (b, m->hardware);
  json_builder_set_member_name (b, "disks");
  json_builder_begin_array (b);
  for (guint i = 0; i < m->disks->len; i++)
    json_disk (b, g_ptr_array_index (m->disks, i));
  json_builder_end_array (b);
  /* The stack only when there is one: descriptors without it print as
   * they always have. */
  if (m->md_arrays->len > 0)
    {
      json_builder_set_member_name (b, "md_arrays");
      json_builder_begin_array (b);
      for (guint i = 0; i < m->md_arrays->len; i++)
        json_md_array (b, g_ptr_array_index (m->md_arrays, i));
      json_builder_end_array (b);
    }
  if (m->luks->len > 0)
    {
      json_builder_set_member_name (b, "luks");
      json_builder_begin_array (b);
      for (guint i = 0; i < m->luks->len; i++)
        json_luks (b, g_ptr_array_index (m->luks, i));
      json_builder_end_array (b);
    }
  if (m->volume_groups->len > 0)
    {
      json_builder_set_member_name (b, "volume_groups");
      json_builder_begin_array (b);
      for (guint i = 0; i < m->volume_groups->len; i++)
        json_volume_group (b, g_ptr_array_index (m->volume_groups, i));
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  return machine_json_builder_to_text (b);
}
