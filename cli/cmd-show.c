/* SPDX-License-Identifier: GPL-2.0-or-later */
/* asr show [--json] BACKUP|FILE.xml: a readable summary of a descriptor. */
#include "config.h"

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "cli-table.h"
#include "cli.h"
#include "machine.h"

static gboolean opt_json;

static const GOptionEntry show_options[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the descriptor as JSON", NULL },
  { NULL },
};

static void
show_add_options (GOptionContext *ctx)
{
  g_option_context_add_main_entries (ctx, show_options, NULL);
}

/* "4.0 GiB (4294967296 bytes)" */
static char *
human_bytes (guint64 bytes)
{
  g_autofree char *h = g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
  return g_strdup_printf ("%s (%" G_GUINT64_FORMAT " bytes)", h, bytes);
}

static const char *
tristate (MachineTristate t)
{
  return t == MACHINE_TRISTATE_UNKNOWN ? NULL : machine_tristate_to_string (t);
}

static guint32
sector_size (const MachineDisk *d)
{
  return d->logical_sector ? d->logical_sector : 512;
}

/* --- text --------------------------------------------------------------- */

static void
print_field (const char *name, const char *value)
{
  if (value && *value)
    printf ("  %-12s %s\n", name, value);
}

static void
print_machine (const MachineDescriptor *m)
{
  if (m->os)
    {
      g_autofree char *os = g_strjoin (" ", m->os->name ? m->os->name : "unknown OS",
                                       m->os->version ? m->os->version : "", NULL);
      g_autofree char *host = m->os->hostname ? g_strdup_printf (" (host %s)", m->os->hostname)
                                              : g_strdup ("");
      printf ("Machine: %s%s\n", g_strstrip (os), host);
    }
  else
    printf ("Machine: OS unknown\n");

  if (m->origin)
    {
      g_autofree char *captured = g_strdup_printf ("%s%s%s",
                                                   m->origin->captured ? m->origin->captured : "",
                                                   m->origin->tool ? " by " : "",
                                                   m->origin->tool ? m->origin->tool : "");
      print_field ("captured", g_strstrip (captured));
      for (guint i = 0; i < m->origin->sources->len; i++)
        {
          const MachineSource *s = g_ptr_array_index (m->origin->sources, i);
          g_autofree char *v = g_strdup_printf ("%s: %s%s%s%s", s->disk ? s->disk : "?",
                                                s->path ? s->path : "?",
                                                s->format ? " (" : "",
                                                s->format ? s->format : "",
                                                s->format ? ")" : "");
          print_field ("source", v);
        }
    }

  const MachineHardware *h = m->hardware;
  if (h == NULL)
    {
      print_field ("hardware", "unknown (not recorded)");
      return;
    }
  print_field ("firmware", h->firmware == MACHINE_FIRMWARE_UNKNOWN
                             ? "unknown"
                             : machine_firmware_to_string (h->firmware));
  print_field ("arch", h->architecture);
  if (h->system_vendor || h->system_product || h->machine_type)
    {
      g_autofree char *v = g_strdup_printf ("%s %s%s%s%s", h->system_vendor ? h->system_vendor : "",
                                            h->system_product ? h->system_product : "",
                                            h->machine_type ? " [" : "",
                                            h->machine_type ? h->machine_type : "",
                                            h->machine_type ? "]" : "");
      print_field ("system", g_strstrip (v));
    }
  if (h->cpu_vendor || h->cpu_model || h->has_cpu_count)
    {
      g_autofree char *count = h->has_cpu_count ? g_strdup_printf (" x %u", h->cpu_count)
                                                : g_strdup ("");
      g_autofree char *v = g_strdup_printf ("%s %s%s", h->cpu_vendor ? h->cpu_vendor : "",
                                            h->cpu_model ? h->cpu_model : "", count);
      print_field ("cpu", g_strstrip (v));
    }
  if (h->has_memory_bytes)
    {
      g_autofree char *v = human_bytes (h->memory_bytes);
      print_field ("memory", v);
    }
  if (h->controllers->len > 0)
    {
      const char *headers[] = { "CLASS", "BUS", "ADDRESS", "VENDOR:DEVICE", "DRIVER", "MODEL", "MAC", NULL };
      g_autoptr (CliTable) t = cli_table_new (headers);
      for (guint i = 0; i < h->controllers->len; i++)
        {
          const MachineController *c = g_ptr_array_index (h->controllers, i);
          g_autofree char *ids = (c->vendor_id || c->device_id)
                                   ? g_strdup_printf ("%s:%s", c->vendor_id ? c->vendor_id : "?",
                                                      c->device_id ? c->device_id : "?")
                                   : NULL;
          cli_table_add_row (t, machine_controller_class_to_string (c->klass), c->bus,
                             c->address, ids, c->driver, c->model, c->mac);
        }
      printf ("  controllers:\n");
      cli_table_print (t, "    ", stdout);
    }
}

static void
print_disks (const MachineDescriptor *m)
{
  const char *headers[] = { "DISK", "CRITICAL", "BOOT", "SIZE", "SECTOR", "TABLE",
                            "SIGNATURE/GUID", "BUS", "MODEL", "SERIAL", NULL };
  g_autoptr (CliTable) t = cli_table_new (headers);

  for (guint i = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      g_autofree char *size = d->has_bytes ? human_bytes (d->bytes) : NULL;
      g_autofree char *sector = d->logical_sector
                                  ? g_strdup_printf ("%u/%u", d->logical_sector,
                                                     d->physical_sector ? d->physical_sector
                                                                        : d->logical_sector)
                                  : NULL;
      g_autofree char *table = g_strdup_printf ("%s%s", d->ptable == MACHINE_PTABLE_NONE
                                                           ? "none"
                                                           : machine_ptable_type_to_string (d->ptable),
                                                 d->ptable_unreadable ? " (unreadable)" : "");
      const char *ident = d->ptable == MACHINE_PTABLE_MBR ? d->signature : d->guid;
      cli_table_add_row (t, d->id, tristate (d->critical), tristate (d->boot), size, sector,
                         table, ident, d->bus, d->model, d->serial);
    }
  printf ("\nDisks:\n");
  cli_table_print (t, "  ", stdout);

  for (guint i = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      const char *pheaders[] = { "#", "KIND", "START", "SECTORS", "SIZE", "TYPE", "FS",
                                 "LABEL", "UUID", "MOUNTPOINT", "CRITICAL", "IMAGE", NULL };
      g_autoptr (CliTable) pt = cli_table_new (pheaders);

      printf ("\n%s:", d->id);
      if (d->incomplete)
        printf (" INCOMPLETE RESTORE (an interrupted restore left this disk)");
      for (guint u = 0; u < d->in_use->len; u++)
        {
          const MachineInUse *iu = g_ptr_array_index (d->in_use, u);
          printf (" in use (%s%s%s)", iu->reason, iu->detail ? ": " : "",
                  iu->detail ? iu->detail : "");
        }
      printf ("\n");
      for (guint b = 0; b < d->by_id->len; b++)
        printf ("  by-id: %s\n", (const char *) g_ptr_array_index (d->by_id, b));
      if (d->boot_area)
        {
          g_autofree char *size = human_bytes (d->boot_area->bytes);
          printf ("  boot area: %s%s%s\n", size, d->boot_area->image ? ", image " : ", not captured",
                  d->boot_area->image ? d->boot_area->image : "");
        }

      for (guint p = 0; p < d->partitions->len; p++)
        {
          const MachinePartition *part = g_ptr_array_index (d->partitions, p);
          const MachineVolume *v = part->volume;
          g_autofree char *num = g_strdup_printf ("%u", part->number);
          g_autofree char *start = g_strdup_printf ("%" G_GUINT64_FORMAT, part->start);
          g_autofree char *sectors = g_strdup_printf ("%" G_GUINT64_FORMAT, part->sectors);
          guint64 bytes;
          g_autofree char *size = NULL;
          g_autofree char *image = NULL;

          if (g_uint64_checked_mul (&bytes, part->sectors, sector_size (d)))
            size = g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
          if (v && v->image)
            {
              g_autofree char *isize = g_format_size_full (v->image->bytes, G_FORMAT_SIZE_IEC_UNITS);
              image = g_strdup_printf ("%s (%s)", v->image->file, isize);
            }
          cli_table_add_row (pt, num,
                             part->kind ? machine_partition_kind_to_string (part->kind) : NULL,
                             start, sectors, size, part->type,
                             v ? v->fs : NULL, v ? v->label : NULL, v ? v->uuid : NULL,
                             v ? v->mountpoint : NULL, v ? tristate (v->critical) : NULL, image);
        }
      if (d->partitions->len > 0)
        cli_table_print (pt, "  ", stdout);
      else
        printf ("  no partitions recorded\n");
    }
}

/* --- JSON --------------------------------------------------------------- */

static void
json_str (JsonBuilder *b, const char *name, const char *value)
{
  if (value == NULL)
    return; /* absent means unknown: leave it out */
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
json_u64 (JsonBuilder *b, const char *name, guint64 value)
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
  json_u64 (b, "bytes", img->bytes);
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
    json_u64 (b, "cpu_count", h->cpu_count);
  if (h->has_memory_bytes)
    json_u64 (b, "memory_bytes", h->memory_bytes);
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
  json_u64 (b, "number", p->number);
  if (p->kind != MACHINE_PARTITION_KIND_UNKNOWN)
    json_str (b, "kind", machine_partition_kind_to_string (p->kind));
  json_u64 (b, "start", p->start);
  json_u64 (b, "sectors", p->sectors);
  if (g_uint64_checked_mul (&bytes, p->sectors, sector_size (d)))
    json_u64 (b, "bytes", bytes);
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
    json_u64 (b, "bytes", d->bytes);
  if (d->logical_sector)
    json_u64 (b, "logical_sector", d->logical_sector);
  if (d->physical_sector)
    json_u64 (b, "physical_sector", d->physical_sector);
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
      json_u64 (b, "bytes", d->boot_area->bytes);
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

static char *
descriptor_to_json (const MachineDescriptor *m)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_u64 (b, "version", m->version);
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

/* --- command ------------------------------------------------------------ */

static int
show_run (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MachineDescriptor) m = NULL;
  g_autofree char *path = NULL;

  if (argc != 2)
    {
      cli_error ("show", "expects one BACKUP directory or FILE.xml (see 'asr help show')");
      return ASR_EXIT_USAGE;
    }
  if (g_file_test (argv[1], G_FILE_TEST_IS_DIR))
    path = g_build_filename (argv[1], MACHINE_DESCRIPTOR_FILENAME, NULL);
  else
    path = g_strdup (argv[1]);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      cli_error ("show", "%s: no such file%s", path,
                 g_file_test (argv[1], G_FILE_TEST_IS_DIR) ? " (not a backup set?)" : "");
      return ASR_EXIT_USAGE;
    }

  m = machine_descriptor_parse_file (path, &error);
  if (m == NULL)
    return cli_report_error ("show", error);

  if (opt_json)
    {
      g_autofree char *json = descriptor_to_json (m);
      printf ("%s\n", json);
      return ASR_EXIT_OK;
    }
  print_machine (m);
  print_disks (m);
  return ASR_EXIT_OK;
}

const AsrCommand asr_command_show = {
  .name = "show",
  .parameters = "BACKUP|FILE.xml",
  .summary = "Summarise a backup set or a machine descriptor",
  .description =
    "Prints the machine (OS, firmware, hardware), a table of its disks\n"
    "(critical or not, size, partition table, signature or GUID) and each\n"
    "disk's partitions and volumes (mountpoint, filesystem, size, image).\n"
    "The descriptor is validated first.  Absent facts print as '-'.",
  .add_options = show_add_options,
  .run = show_run,
};
