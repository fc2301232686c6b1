/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The descriptor as JSON (`asr show --json`): the same facts as
 * machine.xml, unknown ones left out, sizes as integers.
 */
#include "config.h"

#include "machine-json.h"

static void
json_str (JsonBuilder *b, const char *name, const char *value)
{
  if (value == NULL)
    return; /* absent means unknown: leave it out */
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
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
  json_str (b, "file", img->file);
  json_str (b, "format", img->format);
  machine_json_add_u64 (b, "bytes", img->bytes);
  json_str (b, "checksum", img->checksum);
  json_builder_end_object (b);
}

static void
json_hardware (JsonBuilder *b, const MachineHardware *h)
{
  json_builder_set_member_name (b, "hardware");
  json_builder_begin_object (b);
  json_str (b, "architecture", h->architecture);
  if (h->firmware != MACHINE_FIRMWARE_UNKNOWN)
    json_str (b, "firmware", machine_firmware_to_string (h->firmware));
  json_str (b, "system_vendor", h->system_vendor);
  json_str (b, "system_product", h->system_product);
  json_str (b, "machine_type", h->machine_type);
  json_str (b, "cpu_vendor", h->cpu_vendor);
  json_str (b, "cpu_model", h->cpu_model);
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
      json_str (b, "class", machine_controller_class_to_string (c->klass));
      json_str (b, "bus", c->bus);
      json_str (b, "address", c->address);
      json_str (b, "vendor_id", c->vendor_id);
      json_str (b, "device_id", c->device_id);
      json_str (b, "driver", c->driver);
      json_str (b, "model", c->model);
      json_str (b, "mac", c->mac);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
json_partition (JsonBuilder *b, const MachineDisk *d, const MachinePartition *p)
{
  guint64 bytes;

  json_builder_begin_object (b);
  machine_json_add_u64 (b, "number", p->number);
  if (p->kind != MACHINE_PARTITION_KIND_UNKNOWN)
    json_str (b, "kind", machine_partition_kind_to_string (p->kind));
  machine_json_add_u64 (b, "start", p->start);
  machine_json_add_u64 (b, "sectors", p->sectors);
  if (g_uint64_checked_mul (&bytes, p->sectors, machine_disk_sector_size (d)))
    machine_json_add_u64 (b, "bytes", bytes);
  json_str (b, "type", p->type);
  json_str (b, "guid", p->guid);
  json_str (b, "name", p->name);
  if (p->has_attributes)
    {
      g_autofree char *attrs = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", p->attributes);
      json_str (b, "attributes", attrs);
    }
  json_tristate (b, "bootable", p->bootable);
  if (p->volume)
    {
      const MachineVolume *v = p->volume;
      json_builder_set_member_name (b, "volume");
      json_builder_begin_object (b);
      json_str (b, "fs", v->fs);
      json_str (b, "uuid", v->uuid);
      json_str (b, "label", v->label);
      json_str (b, "mountpoint", v->mountpoint);
      json_tristate (b, "critical", v->critical);
      if (v->image)
        json_image (b, v->image);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

static void
json_disk (JsonBuilder *b, const MachineDisk *d)
{
  json_builder_begin_object (b);
  json_str (b, "id", d->id);
  json_tristate (b, "critical", d->critical);
  json_tristate (b, "boot", d->boot);
  if (d->has_bytes)
    machine_json_add_u64 (b, "bytes", d->bytes);
  if (d->logical_sector)
    machine_json_add_u64 (b, "logical_sector", d->logical_sector);
  if (d->physical_sector)
    machine_json_add_u64 (b, "physical_sector", d->physical_sector);
  json_str (b, "bus", d->bus);
  json_str (b, "model", d->model);
  json_str (b, "serial", d->serial);
  json_str (b, "wwn", d->wwn);
  json_builder_set_member_name (b, "by_id");
  json_builder_begin_array (b);
  for (guint i = 0; i < d->by_id->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (d->by_id, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "in_use");
  json_builder_begin_array (b);
  for (guint i = 0; i < d->in_use->len; i++)
    {
      const MachineInUse *u = g_ptr_array_index (d->in_use, i);
      json_builder_begin_object (b);
      json_str (b, "reason", u->reason);
      json_str (b, "detail", u->detail);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "incomplete");
  json_builder_add_boolean_value (b, d->incomplete);
  json_builder_set_member_name (b, "partition_table");
  json_builder_begin_object (b);
  json_str (b, "type", d->ptable == MACHINE_PTABLE_NONE ? "none"
                                                       : machine_ptable_type_to_string (d->ptable));
  json_str (b, "signature", d->signature);
  json_str (b, "guid", d->guid);
  json_str (b, "unreadable", d->ptable_unreadable);
  json_builder_end_object (b);
  if (d->boot_area)
    {
      json_builder_set_member_name (b, "boot_area");
      json_builder_begin_object (b);
      machine_json_add_u64 (b, "bytes", d->boot_area->bytes);
      json_str (b, "image", d->boot_area->image);
      json_str (b, "checksum", d->boot_area->checksum);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "partitions");
  json_builder_begin_array (b);
  for (guint i = 0; i < d->partitions->len; i++)
    json_partition (b, d, g_ptr_array_index (d->partitions, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
}

char *
machine_descriptor_to_json (const MachineDescriptor *m)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  machine_json_add_u64 (b, "version", m->version);
  if (m->origin)
    {
      json_builder_set_member_name (b, "origin");
      json_builder_begin_object (b);
      json_str (b, "captured", m->origin->captured);
      json_str (b, "tool", m->origin->tool);
      json_builder_set_member_name (b, "sources");
      json_builder_begin_array (b);
      for (guint i = 0; i < m->origin->sources->len; i++)
        {
          const MachineSource *s = g_ptr_array_index (m->origin->sources, i);
          json_builder_begin_object (b);
          json_str (b, "disk", s->disk);
          json_str (b, "path", s->path);
          json_str (b, "format", s->format);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  if (m->os)
    {
      json_builder_set_member_name (b, "os");
      json_builder_begin_object (b);
      json_str (b, "name", m->os->name);
      json_str (b, "version", m->os->version);
      json_str (b, "hostname", m->os->hostname);
      json_builder_end_object (b);
    }
  if (m->hardware)
    json_hardware (b, m->hardware);
  json_builder_set_member_name (b, "disks");
  json_builder_begin_array (b);
  for (guint i = 0; i < m->disks->len; i++)
    json_disk (b, g_ptr_array_index (m->disks, i));
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}
