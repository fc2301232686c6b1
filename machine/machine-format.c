/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The canonical writer, and writing machine.xml atomically.
 *
 * Canonical form: the element and attribute order of the outline in
 * asr-machine(5) (and machine.rng), two-space indent, one element per line with
 * all its attributes, double quotes, a fixed set of escapes, no element
 * without attributes or children (it would say nothing), a trailing
 * newline.  Reading canonical text and writing it back gives the same
 * bytes, which is what makes golden tests and diffs of backups useful.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine.h"
#include "machine-private.h"
#include "text.h"

typedef struct {
  GString *out;
  const char *bad_name; /* the first attribute whose value cannot be XML */
} Writer;

static void
indent (Writer *w, guint level)
{
  for (guint i = 0; i < level; i++)
    g_string_append (w->out, "  ");
}

/* No control character (C0, DEL, C1; util/text.h): XML 1.0 cannot hold
 * most C0 ones even as character references, and the schema refuses all
 * of them in text, which would forge lines or terminal escapes in a
 * report.  Nor U+FFFE and U+FFFF. */
static gboolean
xml_text_ok (const char *s)
{
  if (asr_text_has_control (s, NULL))
    return FALSE;
  for (const char *c = s; *c; c = g_utf8_next_char (c))
    {
      gunichar u = g_utf8_get_char (c);
      if (u == 0xfffe || u == 0xffff)
        return FALSE;
    }
  return TRUE;
}

/* Escapes for an attribute value in double quotes.  Tab, newline and
 * carriage return never get here (xml_text_ok), so attribute-value
 * normalisation has nothing to change. */
static void
escape (Writer *w, const char *name, const char *s, gboolean attribute)
{
  if (!xml_text_ok (s))
    {
      if (w->bad_name == NULL)
        w->bad_name = name;
      return;
    }
  for (const char *c = s; *c; c++)
    {
      switch (*c)
        {
        case '&':
          g_string_append (w->out, "&amp;");
          break;
        case '<':
          g_string_append (w->out, "&lt;");
          break;
        case '>':
          g_string_append (w->out, "&gt;");
          break;
        case '"':
          if (attribute)
            g_string_append (w->out, "&quot;");
          else
            g_string_append_c (w->out, '"');
          break;
        default:
          g_string_append_c (w->out, *c);
          break;
        }
    }
}

static void
attr_str (Writer *w, const char *name, const char *value)
{
  if (value == NULL)
    return;
  g_string_append_printf (w->out, " %s=\"", name);
  escape (w, name, value, TRUE);
  g_string_append_c (w->out, '"');
}

static void
attr_u64 (Writer *w, const char *name, guint64 value)
{
  g_string_append_printf (w->out, " %s=\"%" G_GUINT64_FORMAT "\"", name, value);
}

static void
attr_tristate (Writer *w, const char *name, MachineTristate value)
{
  attr_str (w, name, machine_tristate_to_string (value));
}

static void
text_element (Writer *w, guint level, const char *name, const char *text)
{
  indent (w, level);
  g_string_append_printf (w->out, "<%s>", name);
  escape (w, name, text, FALSE);
  g_string_append_printf (w->out, "</%s>\n", name);
}

static void
format_origin (Writer *w, const MachineOrigin *o)
{
  if (o->captured == NULL && o->tool == NULL && o->sources->len == 0)
    return;
  g_string_append (w->out, "  <origin");
  attr_str (w, "captured", o->captured);
  attr_str (w, "tool", o->tool);
  if (o->sources->len == 0)
    {
      g_string_append (w->out, "/>\n");
      return;
    }
  g_string_append (w->out, ">\n");
  for (guint i = 0; i < o->sources->len; i++)
    {
      const MachineSource *s = g_ptr_array_index (o->sources, i);
      g_string_append (w->out, "    <source");
      attr_str (w, "disk", s->disk);
      attr_str (w, "path", s->path);
      attr_str (w, "format", s->format);
      g_string_append (w->out, "/>\n");
    }
  g_string_append (w->out, "  </origin>\n");
}

static void
format_os (Writer *w, const MachineOs *o)
{
  if (o->name == NULL && o->version == NULL && o->hostname == NULL)
    return;
  g_string_append (w->out, "  <os");
  attr_str (w, "name", o->name);
  attr_str (w, "version", o->version);
  attr_str (w, "hostname", o->hostname);
  g_string_append (w->out, "/>\n");
}

static void
format_hardware (Writer *w, const MachineHardware *h)
{
  gboolean has_system = h->system_vendor || h->system_product || h->machine_type;
  gboolean has_cpu = h->cpu_vendor || h->cpu_model || h->has_cpu_count;

  if (h->architecture == NULL && h->firmware == MACHINE_FIRMWARE_UNKNOWN && !has_system && !has_cpu
      && !h->has_memory_bytes && h->controllers->len == 0)
    return;

  g_string_append (w->out, "  <hardware>\n");
  if (h->architecture != NULL)
    text_element (w, 2, "architecture", h->architecture);
  if (h->firmware != MACHINE_FIRMWARE_UNKNOWN)
    {
      g_string_append (w->out, "    <firmware");
      attr_str (w, "type", machine_firmware_to_string (h->firmware));
      g_string_append (w->out, "/>\n");
    }
  if (has_system)
    {
      g_string_append (w->out, "    <system");
      attr_str (w, "vendor", h->system_vendor);
      attr_str (w, "product", h->system_product);
      attr_str (w, "machine-type", h->machine_type);
      g_string_append (w->out, "/>\n");
    }
  if (has_cpu)
    {
      g_string_append (w->out, "    <cpu");
      attr_str (w, "vendor", h->cpu_vendor);
      attr_str (w, "model", h->cpu_model);
      if (h->has_cpu_count)
        attr_u64 (w, "count", h->cpu_count);
      g_string_append (w->out, "/>\n");
    }
  if (h->has_memory_bytes)
    {
      g_string_append (w->out, "    <memory");
      attr_u64 (w, "bytes", h->memory_bytes);
      g_string_append (w->out, "/>\n");
    }
  for (guint i = 0; i < h->controllers->len; i++)
    {
      const MachineController *c = g_ptr_array_index (h->controllers, i);
      g_string_append (w->out, "    <controller");
      attr_str (w, "class", machine_controller_class_to_string (c->klass));
      attr_str (w, "bus", c->bus);
      attr_str (w, "address", c->address);
      attr_str (w, "vendor-id", c->vendor_id);
      attr_str (w, "device-id", c->device_id);
      attr_str (w, "driver", c->driver);
      attr_str (w, "model", c->model);
      attr_str (w, "mac", c->mac);
      g_string_append (w->out, "/>\n");
    }
  g_string_append (w->out, "  </hardware>\n");
}

static void
format_image (Writer *w, guint level, const MachineImage *i)
{
  indent (w, level);
  g_string_append (w->out, "<image");
  attr_str (w, "file", i->file);
  attr_str (w, "format", i->format);
  attr_u64 (w, "bytes", i->bytes);
  attr_str (w, "checksum", i->checksum);
  g_string_append (w->out, "/>\n");
}

static void
format_volume (Writer *w, guint level, const MachineVolume *v)
{
  indent (w, level);
  g_string_append (w->out, "<volume");
  attr_str (w, "fs", v->fs);
  attr_str (w, "uuid", v->uuid);
  attr_str (w, "label", v->label);
  attr_str (w, "mountpoint", v->mountpoint);
  attr_tristate (w, "critical", v->critical);
  if (v->image == NULL && (v->subvolumes == NULL || v->subvolumes->len == 0))
    {
      g_string_append (w->out, "/>\n");
      return;
    }
  g_string_append (w->out, ">\n");
  for (guint i = 0; v->subvolumes && i < v->subvolumes->len; i++)
    {
      const MachineSubvolume *sv = g_ptr_array_index (v->subvolumes, i);
      indent (w, level + 1);
      g_string_append (w->out, "<subvolume");
      attr_str (w, "path", sv->path);
      if (sv->has_id)
        attr_u64 (w, "id", sv->id);
      attr_str (w, "mountpoint", sv->mountpoint);
      g_string_append (w->out, "/>\n");
    }
  if (v->image != NULL)
    format_image (w, level + 1, v->image);
  indent (w, level);
  g_string_append (w->out, "</volume>\n");
}

static void
format_partition (Writer *w, const MachinePartition *p)
{
  g_string_append (w->out, "    <partition");
  attr_u64 (w, "number", p->number);
  attr_str (w, "kind", machine_partition_kind_to_string (p->kind));
  attr_u64 (w, "start", p->start);
  attr_u64 (w, "sectors", p->sectors);
  attr_str (w, "type", p->type);
  attr_str (w, "guid", p->guid);
  attr_str (w, "name", p->name);
  if (p->has_attributes)
    g_string_append_printf (w->out, " attributes=\"0x%" G_GINT64_MODIFIER "x\"", p->attributes);
  attr_tristate (w, "bootable", p->bootable);
  if (p->volume == NULL)
    {
      g_string_append (w->out, "/>\n");
      return;
    }
  g_string_append (w->out, ">\n");
  format_volume (w, 3, p->volume);
  g_string_append (w->out, "    </partition>\n");
}

static void
format_disk (Writer *w, const MachineDisk *d)
{
  gboolean empty = d->by_id->len == 0 && d->in_use->len == 0 && !d->incomplete
                   && d->ptable == MACHINE_PTABLE_NONE && d->boot_area == NULL
                   && d->partitions->len == 0;

  g_string_append (w->out, "  <disk");
  attr_str (w, "id", d->id);
  attr_tristate (w, "critical", d->critical);
  attr_tristate (w, "boot", d->boot);
  if (d->has_bytes)
    attr_u64 (w, "bytes", d->bytes);
  if (d->logical_sector)
    attr_u64 (w, "logical-sector", d->logical_sector);
  if (d->physical_sector)
    attr_u64 (w, "physical-sector", d->physical_sector);
  attr_str (w, "bus", d->bus);
  attr_str (w, "model", d->model);
  attr_str (w, "serial", d->serial);
  attr_str (w, "wwn", d->wwn);
  if (empty)
    {
      g_string_append (w->out, "/>\n");
      return;
    }
  g_string_append (w->out, ">\n");

  for (guint i = 0; i < d->by_id->len; i++)
    text_element (w, 2, "by-id", g_ptr_array_index (d->by_id, i));
  for (guint i = 0; i < d->in_use->len; i++)
    {
      const MachineInUse *u = g_ptr_array_index (d->in_use, i);
      g_string_append (w->out, "    <in-use");
      attr_str (w, "reason", u->reason);
      attr_str (w, "detail", u->detail);
      g_string_append (w->out, "/>\n");
    }
  if (d->incomplete)
    g_string_append (w->out, "    <incomplete/>\n");
  if (d->ptable != MACHINE_PTABLE_NONE)
    {
      g_string_append (w->out, "    <partition-table");
      attr_str (w, "type", machine_ptable_type_to_string (d->ptable));
      attr_str (w, "signature", d->signature);
      attr_str (w, "guid", d->guid);
      if (d->gpt_first_usable)
        attr_u64 (w, "first-usable", d->gpt_first_usable);
      if (d->gpt_entries_start)
        attr_u64 (w, "entries-start", d->gpt_entries_start);
      if (d->gpt_entries)
        attr_u64 (w, "entries", d->gpt_entries);
      if (d->gpt_entry_bytes)
        attr_u64 (w, "entry-bytes", d->gpt_entry_bytes);
      attr_str (w, "unreadable", d->ptable_unreadable);
      g_string_append (w->out, "/>\n");
    }
  if (d->boot_area != NULL)
    {
      g_string_append (w->out, "    <boot-area");
      attr_u64 (w, "bytes", d->boot_area->bytes);
      attr_str (w, "image", d->boot_area->image);
      attr_str (w, "checksum", d->boot_area->checksum);
      g_string_append (w->out, "/>\n");
    }
  for (guint i = 0; i < d->partitions->len; i++)
    format_partition (w, g_ptr_array_index (d->partitions, i));
  g_string_append (w->out, "  </disk>\n");
}

static void
format_md_array (Writer *w, const MachineMdArray *md)
{
  g_string_append (w->out, "  <md-array");
  attr_str (w, "id", md->id);
  attr_str (w, "uuid", md->uuid);
  attr_str (w, "name", md->name);
  attr_str (w, "level", md->level);
  attr_str (w, "metadata", md->metadata);
  if (md->has_chunk_bytes)
    attr_u64 (w, "chunk-bytes", md->chunk_bytes);
  if (md->has_bytes)
    attr_u64 (w, "bytes", md->bytes);
  g_string_append (w->out, ">\n");
  for (guint i = 0; i < md->members->len; i++)
    {
      const MachineMdMember *mm = g_ptr_array_index (md->members, i);
      g_string_append (w->out, "    <member");
      attr_str (w, "device", mm->device);
      if (mm->spare)
        attr_str (w, "role", "spare");
      else
        attr_u64 (w, "role", mm->role);
      if (mm->has_data_offset)
        attr_u64 (w, "data-offset", mm->data_offset);
      if (mm->image == NULL)
        {
          g_string_append (w->out, "/>\n");
          continue;
        }
      g_string_append (w->out, ">\n");
      format_image (w, 3, mm->image);
      g_string_append (w->out, "    </member>\n");
    }
  if (md->volume != NULL)
    format_volume (w, 2, md->volume);
  g_string_append (w->out, "  </md-array>\n");
}

static void
format_luks (Writer *w, const MachineLuks *l)
{
  g_string_append (w->out, "  <luks");
  attr_str (w, "id", l->id);
  attr_str (w, "uuid", l->uuid);
  attr_str (w, "type", l->type);
  attr_str (w, "device", l->device);
  if (l->has_bytes)
    attr_u64 (w, "bytes", l->bytes);
  if (l->image == NULL && l->volume == NULL)
    {
      g_string_append (w->out, "/>\n");
      return;
    }
  g_string_append (w->out, ">\n");
  if (l->image != NULL)
    format_image (w, 2, l->image);
  if (l->volume != NULL)
    format_volume (w, 2, l->volume);
  g_string_append (w->out, "  </luks>\n");
}

static void
format_volume_group (Writer *w, const MachineVolumeGroup *vg)
{
  g_string_append (w->out, "  <volume-group");
  attr_str (w, "name", vg->name);
  attr_str (w, "uuid", vg->uuid);
  attr_u64 (w, "extent-bytes", vg->extent_bytes);
  g_string_append (w->out, ">\n");
  if (vg->metadata_file != NULL)
    {
      g_string_append (w->out, "    <metadata");
      attr_str (w, "file", vg->metadata_file);
      attr_str (w, "checksum", vg->metadata_checksum);
      g_string_append (w->out, "/>\n");
    }
  for (guint i = 0; i < vg->pvs->len; i++)
    {
      const MachinePhysicalVolume *pv = g_ptr_array_index (vg->pvs, i);
      g_string_append (w->out, "    <pv");
      attr_str (w, "uuid", pv->uuid);
      attr_str (w, "device", pv->device);
      if (pv->has_bytes)
        attr_u64 (w, "bytes", pv->bytes);
      if (pv->has_pe_start)
        attr_u64 (w, "pe-start", pv->pe_start);
      if (pv->image == NULL)
        {
          g_string_append (w->out, "/>\n");
          continue;
        }
      g_string_append (w->out, ">\n");
      format_image (w, 3, pv->image);
      g_string_append (w->out, "    </pv>\n");
    }
  for (guint i = 0; i < vg->lvs->len; i++)
    {
      const MachineLogicalVolume *lv = g_ptr_array_index (vg->lvs, i);
      g_string_append (w->out, "    <lv");
      attr_str (w, "name", lv->name);
      attr_str (w, "uuid", lv->uuid);
      attr_u64 (w, "bytes", lv->bytes);
      attr_str (w, "segtype", lv->segtype);
      if (lv->volume == NULL && lv->segments->len == 0)
        {
          g_string_append (w->out, "/>\n");
          continue;
        }
      g_string_append (w->out, ">\n");
      for (guint j = 0; j < lv->segments->len; j++)
        {
          const MachineLvSegment *seg = g_ptr_array_index (lv->segments, j);
          g_string_append (w->out, "      <segment");
          attr_u64 (w, "start-extent", seg->start_extent);
          attr_u64 (w, "extents", seg->extents);
          attr_str (w, "pv", seg->pv);
          attr_u64 (w, "pv-extent", seg->pv_extent);
          g_string_append (w->out, "/>\n");
        }
      if (lv->volume != NULL)
        format_volume (w, 3, lv->volume);
      g_string_append (w->out, "    </lv>\n");
    }
  g_string_append (w->out, "  </volume-group>\n");
}

char *
machine_descriptor_format (const MachineDescriptor *m, GError **error)
{
  g_autoptr (GString) out = g_string_sized_new (4096);
  Writer w = { out, NULL };

  g_return_val_if_fail (m != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_string_append (out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  g_string_append_printf (out, "<machine version=\"%u\">\n", m->version);
  if (m->origin != NULL)
    format_origin (&w, m->origin);
  if (m->os != NULL)
    format_os (&w, m->os);
  if (m->hardware != NULL)
    format_hardware (&w, m->hardware);
  for (guint i = 0; i < m->disks->len; i++)
    format_disk (&w, g_ptr_array_index (m->disks, i));
  for (guint i = 0; i < m->md_arrays->len; i++)
    format_md_array (&w, g_ptr_array_index (m->md_arrays, i));
  for (guint i = 0; i < m->luks->len; i++)
    format_luks (&w, g_ptr_array_index (m->luks, i));
  for (guint i = 0; i < m->volume_groups->len; i++)
    format_volume_group (&w, g_ptr_array_index (m->volume_groups, i));
  g_string_append (out, "</machine>\n");

  if (w.bad_name != NULL)
    {
      g_set_error (error, MACHINE_ERROR, MACHINE_ERROR_INVALID,
                   "%s: the value is not UTF-8 or holds a control character or a character XML "
                   "cannot carry",
                   w.bad_name);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* --- atomic write -------------------------------------------------------- */

static gboolean
write_all (int fd, const char *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
fsync_dir (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc;

  if (fd < 0)
    return FALSE;
  rc = fsync (fd);
  close (fd);
  return rc == 0;
}

gboolean
machine_descriptor_write_file (const MachineDescriptor *m, const char *path, int mode,
                               GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp = NULL;
  g_autoptr (MachineDescriptor) reread = NULL;
  const char *step;
  int fd;
  int saved;

  g_return_val_if_fail (m != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Check the structs first: the writer leaves out what has no place in
   * the XML (a signature without a partition table), and that loss would
   * not show when reading the text back. */
  if (!machine_descriptor_check (m, path, error))
    {
      g_prefix_error (error, "refusing to write an invalid descriptor:\n");
      return FALSE;
    }
  text = machine_descriptor_format (m, error);
  if (text == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  /* Never write what we would refuse to read back: the schema and the
   * meaning checks both run on the exact bytes about to be written. */
  reread = machine_descriptor_parse_data (text, strlen (text), path, error);
  if (reread == NULL)
    {
      g_prefix_error (error, "refusing to write an invalid descriptor:\n");
      return FALSE;
    }

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  /* Same directory, so rename() is atomic; a dot name, so a reader
   * listing the directory does not mistake it for the real file. */
  tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, mode);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, MACHINE_ERROR, MACHINE_ERROR_IO,
                   "%s: cannot create a temporary file in %s: %s", path, dir, g_strerror (saved));
      return FALSE;
    }

  /* The umask must not loosen or tighten what the caller asked for: a
   * backup set's files are 0600 whatever the user's umask. */
  step = "chmod";
  if (fchmod (fd, (mode_t) mode) < 0)
    goto fail_fd;
  step = "write";
  if (!write_all (fd, text, strlen (text)))
    goto fail_fd;
  step = "fsync";
  if (fsync (fd) < 0)
    goto fail_fd;
  step = "close";
  if (close (fd) < 0)
    {
      fd = -1;
      goto fail_fd;
    }
  fd = -1;
  step = "rename";
  if (rename (tmp, path) < 0)
    goto fail_fd;
  if (!fsync_dir (dir))
    {
      saved = errno;
      /* The file is in place; only its durability is in doubt. */
      g_set_error (error, MACHINE_ERROR, MACHINE_ERROR_IO, "%s: fsync of the directory: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;

fail_fd:
  saved = errno;
  if (fd >= 0)
    close (fd);
  unlink (tmp);
  g_set_error (error, MACHINE_ERROR, MACHINE_ERROR_IO, "%s: %s: %s", path, step,
               g_strerror (saved));
  return FALSE;
}
