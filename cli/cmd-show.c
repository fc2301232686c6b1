/* SPDX-License-Identifier: GPL-2.0-or-later */
/* asr show [--json] BACKUP|FILE.xml: a readable summary of a descriptor. */
#include "config.h"

#include <stdio.h>

#include "cli-table.h"
#include "cli.h"
#include "machine.h"
#include "machine-json.h"
#include "text.h"

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

/* --- text --------------------------------------------------------------- */

/* Values are escaped (util/text.h): one field, one line, whatever the
 * descriptor holds.  A descriptor that passed the schema has no control
 * characters; this holds for any other too. */
static void
print_field (const char *name, const char *value)
{
  g_autofree char *safe = asr_text_escape (value);
  if (safe && *safe)
    printf ("  %-12s %s\n", name, safe);
}

static void
print_machine (const MachineDescriptor *m)
{
  if (m->os)
    {
      g_autofree char *os = g_strjoin (" ", m->os->name ? m->os->name : "unknown OS",
                                       m->os->version ? m->os->version : "", NULL);
      g_autofree char *host
        = m->os->hostname ? g_strdup_printf (" (host %s)", m->os->hostname) : g_strdup ("");
      g_autofree char *line = g_strconcat (g_strstrip (os), host, NULL);
      g_autofree char *safe = asr_text_escape (line);
      printf ("Machine: %s\n", safe);
    }
  else
    printf ("Machine: OS unknown\n");

  if (m->origin)
    {
      g_autofree char *captured
        = g_strdup_printf ("%s%s%s", m->origin->captured ? m->origin->captured : "",
                           m->origin->tool ? " by " : "", m->origin->tool ? m->origin->tool : "");
      print_field ("captured", g_strstrip (captured));
      for (guint i = 0; i < m->origin->sources->len; i++)
        {
          const MachineSource *s = g_ptr_array_index (m->origin->sources, i);
          g_autofree char *v = g_strdup_printf ("%s: %s%s%s%s", s->disk ? s->disk : "?",
                                                s->path ? s->path : "?", s->format ? " (" : "",
                                                s->format ? s->format : "", s->format ? ")" : "");
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
      g_autofree char *v
        = g_strdup_printf ("%s %s%s%s%s", h->system_vendor ? h->system_vendor : "",
                           h->system_product ? h->system_product : "", h->machine_type ? " [" : "",
                           h->machine_type ? h->machine_type : "", h->machine_type ? "]" : "");
      print_field ("system", g_strstrip (v));
    }
  if (h->cpu_vendor || h->cpu_model || h->has_cpu_count)
    {
      g_autofree char *count
        = h->has_cpu_count ? g_strdup_printf (" x %u", h->cpu_count) : g_strdup ("");
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
      const char *headers[]
        = { "CLASS", "BUS", "ADDRESS", "VENDOR:DEVICE", "DRIVER", "MODEL", "MAC", NULL };
      g_autoptr (CliTable) t = cli_table_new (headers);
      for (guint i = 0; i < h->controllers->len; i++)
        {
          const MachineController *c = g_ptr_array_index (h->controllers, i);
          g_autofree char *ids = (c->vendor_id || c->device_id)
                                   ? g_strdup_printf ("%s:%s", c->vendor_id ? c->vendor_id : "?",
                                                      c->device_id ? c->device_id : "?")
                                   : NULL;
          cli_table_add_row (t, machine_controller_class_to_string (c->klass), c->bus, c->address,
                             ids, c->driver, c->model, c->mac);
        }
      printf ("  controllers:\n");
      cli_table_print (t, "    ", stdout);
    }
}

/* What sits on device @ref, as the FS column shows it: "LVM PV of vg0". */
static char *
holder_text (const MachineDescriptor *m, const char *ref)
{
  MachineHolder h;

  if (!machine_descriptor_find_holder (m, ref, &h))
    return NULL;
  if (h.vg)
    return g_strdup_printf ("LVM PV of %s", h.vg->name);
  if (h.md)
    return h.member->spare ? g_strdup_printf ("md spare of %s", h.md->id)
                           : g_strdup_printf ("md member %u of %s", h.member->role, h.md->id);
  return g_strdup_printf ("LUKS %s", h.luks->id);
}

static void
print_subvolumes (guint number, const MachineVolume *v)
{
  printf ("  btrfs subvolumes on partition %u:\n", number);
  for (guint i = 0; i < v->subvolumes->len; i++)
    {
      const MachineSubvolume *sv = g_ptr_array_index (v->subvolumes, i);
      g_autofree char *id
        = sv->has_id ? g_strdup_printf (" (id %" G_GUINT64_FORMAT ")", sv->id) : g_strdup ("");
      printf ("    %s%s%s%s\n", sv->path, id, sv->mountpoint ? " on " : "",
              sv->mountpoint ? sv->mountpoint : "");
    }
}

/* "xfs on /, critical, image vg0-root.qcow2 (6.0 GiB)" */
static char *
volume_text (const MachineVolume *v)
{
  GString *s = g_string_new (v->fs ? v->fs : "unknown filesystem");

  if (v->mountpoint)
    g_string_append_printf (s, " on %s", v->mountpoint);
  if (v->label && *v->label)
    g_string_append_printf (s, ", label %s", v->label);
  if (v->uuid)
    g_string_append_printf (s, ", uuid %s", v->uuid);
  if (v->critical == MACHINE_TRISTATE_YES)
    g_string_append (s, ", critical");
  if (v->image)
    {
      g_autofree char *isize = g_format_size_full (v->image->bytes, G_FORMAT_SIZE_IEC_UNITS);
      g_string_append_printf (s, ", image %s (%s)", v->image->file, isize);
    }
  for (guint i = 0; v->subvolumes && i < v->subvolumes->len; i++)
    {
      const MachineSubvolume *sv = g_ptr_array_index (v->subvolumes, i);
      g_string_append_printf (s, "%s%s%s%s", i == 0 ? ", subvolumes " : ", ", sv->path,
                              sv->mountpoint ? " on " : "", sv->mountpoint ? sv->mountpoint : "");
    }
  g_autofree char *text = g_string_free (s, FALSE);
  return asr_text_escape (text);
}

static char *
size_text (gboolean has, guint64 bytes)
{
  g_autofree char *h = NULL;

  if (!has)
    return g_strdup ("");
  h = g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
  return g_strdup_printf (", %s", h);
}

/* The layers between partitions and volumes, each with what it sits on:
 * read from the disks up (disk -> partition -> PV -> VG -> LV -> volume). */
static void
print_stack (const MachineDescriptor *m)
{
  if (m->md_arrays->len == 0 && m->luks->len == 0 && m->volume_groups->len == 0)
    return;
  printf ("\nStorage stack:\n");
  for (guint i = 0; i < m->md_arrays->len; i++)
    {
      const MachineMdArray *md = g_ptr_array_index (m->md_arrays, i);
      g_autofree char *size = size_text (md->has_bytes, md->bytes);
      printf ("  md array %s: %s, metadata %s, uuid %s%s\n", md->id, md->level, md->metadata,
              md->uuid, size);
      for (guint j = 0; j < md->members->len; j++)
        {
          const MachineMdMember *mm = g_ptr_array_index (md->members, j);
          if (mm->spare)
            printf ("    member %s (spare)\n", mm->device);
          else
            printf ("    member %s (role %u)\n", mm->device, mm->role);
        }
      if (md->volume)
        {
          g_autofree char *v = volume_text (md->volume);
          printf ("    -> %s\n", v);
        }
    }
  for (guint i = 0; i < m->luks->len; i++)
    {
      const MachineLuks *l = g_ptr_array_index (m->luks, i);
      g_autofree char *size = size_text (l->has_bytes, l->bytes);
      printf ("  LUKS %s: %s on %s, uuid %s%s\n", l->id, l->type, l->device, l->uuid, size);
      if (l->image)
        printf ("    image %s: the encrypted container, whole\n", l->image->file);
      if (l->volume)
        {
          g_autofree char *v = volume_text (l->volume);
          printf ("    -> inside: %s\n", v);
        }
    }
  for (guint i = 0; i < m->volume_groups->len; i++)
    {
      const MachineVolumeGroup *vg = g_ptr_array_index (m->volume_groups, i);
      g_autofree char *extent = g_format_size_full (vg->extent_bytes, G_FORMAT_SIZE_IEC_UNITS);
      printf ("  LVM volume group %s: uuid %s, extents of %s%s%s\n", vg->name, vg->uuid, extent,
              vg->metadata_file ? ", metadata " : "", vg->metadata_file ? vg->metadata_file : "");
      for (guint j = 0; j < vg->pvs->len; j++)
        {
          const MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, j);
          g_autofree char *size = size_text (pv->has_bytes, pv->bytes);
          printf ("    pv on %s: uuid %s%s", pv->device, pv->uuid, size);
          if (pv->has_pe_start)
            printf (", extents from byte %" G_GUINT64_FORMAT, pv->pe_start);
          if (pv->image)
            printf (", label area image %s", pv->image->file);
          printf ("\n");
        }
      for (guint j = 0; j < vg->lvs->len; j++)
        {
          const MachineLogicalVolume *lv = g_ptr_array_index (vg->lvs, j);
          g_autofree char *size = g_format_size_full (lv->bytes, G_FORMAT_SIZE_IEC_UNITS);
          printf ("    lv %s: %s%s%s, uuid %s\n", lv->name, size, lv->segtype ? ", " : "",
                  lv->segtype ? lv->segtype : "", lv->uuid);
          for (guint k = 0; k < lv->segments->len; k++)
            {
              const MachineLvSegment *seg = g_ptr_array_index (lv->segments, k);
              printf ("      extents %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                      " on pv %s from its extent %" G_GUINT64_FORMAT "\n",
                      seg->start_extent, seg->start_extent + seg->extents - 1, seg->pv,
                      seg->pv_extent);
            }
          if (lv->volume)
            {
              g_autofree char *v = volume_text (lv->volume);
              printf ("      -> %s\n", v);
            }
        }
    }
}

static void
print_disks (const MachineDescriptor *m)
{
  const char *headers[] = { "DISK",           "CRITICAL", "BOOT",  "SIZE",   "SECTOR", "TABLE",
                            "SIGNATURE/GUID", "BUS",      "MODEL", "SERIAL", NULL };
  g_autoptr (CliTable) t = cli_table_new (headers);

  for (guint i = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      g_autofree char *size = d->has_bytes ? human_bytes (d->bytes) : NULL;
      g_autofree char *sector
        = d->logical_sector
            ? g_strdup_printf ("%u/%u", d->logical_sector,
                               d->physical_sector ? d->physical_sector : d->logical_sector)
            : NULL;
      g_autofree char *table = g_strdup_printf ("%s%s",
                                                d->ptable == MACHINE_PTABLE_NONE
                                                  ? "none"
                                                  : machine_ptable_type_to_string (d->ptable),
                                                d->ptable_unreadable ? " (unreadable)" : "");
      const char *ident = d->ptable == MACHINE_PTABLE_MBR ? d->signature : d->guid;
      cli_table_add_row (t, d->id, tristate (d->critical), tristate (d->boot), size, sector, table,
                         ident, d->bus, d->model, d->serial);
    }
  printf ("\nDisks:\n");
  cli_table_print (t, "  ", stdout);

  for (guint i = 0; i < m->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (m->disks, i);
      const char *pheaders[] = { "#",     "KIND", "START",      "SECTORS",  "SIZE",  "TYPE", "FS",
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
          printf ("  boot area: %s%s%s\n", size,
                  d->boot_area->image ? ", image " : ", not captured",
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

          if (g_uint64_checked_mul (&bytes, part->sectors, machine_disk_sector_size (d)))
            size = g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
          if (v && v->image)
            {
              g_autofree char *isize
                = g_format_size_full (v->image->bytes, G_FORMAT_SIZE_IEC_UNITS);
              image = g_strdup_printf ("%s (%s)", v->image->file, isize);
            }
          g_autofree char *ref = g_strdup_printf ("%s/p%u", d->id, part->number);
          g_autofree char *carries = v ? NULL : holder_text (m, ref);
          cli_table_add_row (pt, num,
                             part->kind ? machine_partition_kind_to_string (part->kind) : NULL,
                             start, sectors, size, part->type, v ? v->fs : carries,
                             v ? v->label : NULL, v ? v->uuid : NULL, v ? v->mountpoint : NULL,
                             v ? tristate (v->critical) : NULL, image);
        }
      if (d->partitions->len > 0)
        cli_table_print (pt, "  ", stdout);
      else
        {
          g_autofree char *carries = holder_text (m, d->id);
          if (carries)
            printf ("  whole disk: %s\n", carries);
          else
            printf ("  no partitions recorded\n");
        }
      for (guint p = 0; p < d->partitions->len; p++)
        {
          const MachinePartition *part = g_ptr_array_index (d->partitions, p);
          if (part->volume && part->volume->subvolumes->len > 0)
            print_subvolumes (part->number, part->volume);
        }
    }
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
      g_autofree char *json = machine_descriptor_to_json (m);
      printf ("%s\n", json);
      return ASR_EXIT_OK;
    }
  print_machine (m);
  print_disks (m);
  print_stack (m);
  return ASR_EXIT_OK;
}

const AsrCommand asr_command_show = {
  .name = "show",
  .parameters = "BACKUP|FILE.xml",
  .summary = "Summarise a backup set or a machine descriptor",
  .description = "Prints the machine (OS, firmware, hardware), a table of its disks\n"
                 "(critical or not, size, partition table, signature or GUID) and each\n"
                 "disk's partitions and volumes (mountpoint, filesystem, size, image),\n"
                 "then the storage stack: md arrays, LUKS containers, LVM volume groups,\n"
                 "each with the devices it sits on and the volumes on it.\n"
                 "The descriptor is validated first.  Absent facts print as '-'.",
  .add_options = show_add_options,
  .run = show_run,
};
