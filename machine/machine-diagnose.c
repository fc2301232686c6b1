/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Better messages for RELAX NG failures.
 *
 * libxml2 often says only "Element image failed to validate attributes",
 * sometimes without a line.  The schema stays the judge of validity; this
 * only explains a failure it found, attribute by attribute, from a table
 * that mirrors machine.rng's attributes.  When the table has nothing to
 * say, libxml2's own message stands.
 */
#include "config.h"

#include <string.h>

#include <libxml/relaxng.h>

#include "machine.h"
#include "machine-private.h"
#include "text.h"

typedef gboolean (*ValueOk) (const char *element, const char *value);

static gboolean
is_uint (const char *element, const char *v)
{
  gsize n = strlen (v);

  if (n == 0 || n > 20 || (v[0] == '0' && n > 1))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit (v[i]))
      return FALSE;
  return TRUE;
}

static gboolean
in_list (const char *v, const char *const *list)
{
  for (; *list; list++)
    if (strcmp (v, *list) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_yes_no (const char *element, const char *v)
{
  static const char *const l[] = { "yes", "no", NULL };
  return in_list (v, l);
}

static gboolean
is_sector_size (const char *element, const char *v)
{
  static const char *const l[]
    = { "512", "1024", "2048", "4096", "8192", "16384", "32768", "65536", NULL };
  return in_list (v, l);
}

static gboolean
is_kind (const char *element, const char *v)
{
  static const char *const l[] = { "primary", "extended", "logical", NULL };
  return in_list (v, l);
}

static gboolean
is_class (const char *element, const char *v)
{
  static const char *const l[] = { "storage", "network", "video", NULL };
  return in_list (v, l);
}

static gboolean
is_reason (const char *element, const char *v)
{
  static const char *const l[] = { "mounted", "swap", "held", "running-system", NULL };
  return in_list (v, l);
}

static gboolean
is_type (const char *element, const char *v)
{
  static const char *const fw[] = { "bios", "uefi", NULL };
  static const char *const pt[] = { "mbr", "gpt", NULL };

  if (strcmp (element, "firmware") == 0)
    return in_list (v, fw);
  if (strcmp (element, "partition-table") == 0)
    return in_list (v, pt);
  return machine_is_mbr_type (v) || machine_is_guid (v);
}

static gboolean
is_file (const char *element, const char *v)
{
  return machine_file_name_problem (v) == NULL;
}

static gboolean
is_guid (const char *element, const char *v)
{
  return machine_is_guid (v);
}

static gboolean
is_signature (const char *element, const char *v)
{
  return machine_is_mbr_signature (v);
}

static gboolean
is_checksum (const char *element, const char *v)
{
  return machine_is_checksum (v);
}

static gboolean
is_disk_id (const char *element, const char *v)
{
  return machine_is_disk_id (v);
}

static gboolean
is_version (const char *element, const char *v)
{
  return strcmp (v, "1") == 0;
}

static gboolean
is_absolute (const char *element, const char *v)
{
  return v[0] == '/';
}

static gboolean
is_timestamp (const char *element, const char *v)
{
  static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

  if (strlen (v) != strlen (shape))
    return FALSE;
  for (gsize i = 0; shape[i]; i++)
    if (shape[i] == 'd' ? !g_ascii_isdigit (v[i]) : v[i] != shape[i])
      return FALSE;
  return TRUE;
}

static gboolean
is_hex_shape (const char *v, const char *shape)
{
  if (strlen (v) != strlen (shape))
    return FALSE;
  for (gsize i = 0; shape[i]; i++)
    if (shape[i] == 'h' ? !(g_ascii_isdigit (v[i]) || (v[i] >= 'a' && v[i] <= 'f'))
                        : v[i] != shape[i])
      return FALSE;
  return TRUE;
}

static gboolean
is_mac (const char *element, const char *v)
{
  return is_hex_shape (v, "hh:hh:hh:hh:hh:hh");
}

static gboolean
is_hex16 (const char *element, const char *v)
{
  return is_hex_shape (v, "0xhhhh");
}

static gboolean
is_gpt_attributes (const char *element, const char *v)
{
  gsize n = strlen (v);

  if (n < 3 || n > 18 || v[0] != '0' || v[1] != 'x' || (v[2] == '0' && n > 3))
    return FALSE;
  for (gsize i = 2; i < n; i++)
    if (!(g_ascii_isdigit (v[i]) || (v[i] >= 'a' && v[i] <= 'f')))
      return FALSE;
  return TRUE;
}

static gboolean
is_lvm_uuid (const char *element, const char *v)
{
  return machine_is_lvm_uuid (v);
}

static gboolean
is_md_uuid (const char *element, const char *v)
{
  return machine_is_md_uuid (v);
}

static gboolean
is_lvm_name (const char *element, const char *v)
{
  return machine_lvm_name_problem (v) == NULL;
}

static gboolean
is_md_level (const char *element, const char *v)
{
  static const char *const l[] = { "raid0", "raid1", "raid4", "raid5", "raid6", "raid10", NULL };
  return in_list (v, l);
}

static gboolean
is_md_metadata (const char *element, const char *v)
{
  static const char *const l[] = { "0.90", "1.0", "1.1", "1.2", NULL };
  return in_list (v, l);
}

static gboolean
is_md_role (const char *element, const char *v)
{
  return strcmp (v, "spare") == 0 || is_uint (element, v);
}

static gboolean
is_luks_type (const char *element, const char *v)
{
  static const char *const l[] = { "luks1", "luks2", NULL };
  return in_list (v, l);
}

/* "disk0", "disk0/p2", an md array or LUKS id. */
static gboolean
is_device_ref (const char *element, const char *v)
{
  const char *slash = strchr (v, '/');
  g_autofree char *id = slash ? g_strndup (v, (gsize) (slash - v)) : g_strdup (v);

  if (!machine_is_disk_id (id))
    return FALSE;
  if (slash == NULL)
    return TRUE;
  return slash[1] == 'p' && slash[2] >= '1' && slash[2] <= '9' && is_uint (element, slash + 2);
}

/* Any text attribute: "contains a control character (U+000A)", or NULL. */
static char *
control_problem (const char *v)
{
  gunichar u;

  if (!asr_text_has_control (v, &u))
    return NULL;
  return g_strdup_printf ("contains a control character (U+%04X), which no text in a "
                          "descriptor may hold",
                          (unsigned) u);
}

/* @element NULL: the rule holds for the attribute on any element.  The
 * first rule that matches counts: element rules come first. */
static const struct {
  const char *element;
  const char *attribute;
  ValueOk ok;
  const char *expected;
} value_rules[] = {
  { "pv", "uuid", is_lvm_uuid, "an LVM UUID: 32 letters and digits, dashed 6-4-4-4-4-4-6" },
  { "lv", "uuid", is_lvm_uuid, "an LVM UUID: 32 letters and digits, dashed 6-4-4-4-4-4-6" },
  { "volume-group", "uuid", is_lvm_uuid,
    "an LVM UUID: 32 letters and digits, dashed 6-4-4-4-4-4-6" },
  { "volume-group", "name", is_lvm_name, "an LVM name: letters, digits, '+', '_', '.', '-'" },
  { "lv", "name", is_lvm_name, "an LVM name: letters, digits, '+', '_', '.', '-'" },
  { "md-array", "uuid", is_md_uuid, "an md UUID: 4 groups of 8 hex digits joined by ':'" },
  { "md-array", "level", is_md_level, "raid0, raid1, raid4, raid5, raid6 or raid10" },
  { "md-array", "metadata", is_md_metadata, "0.90, 1.0, 1.1 or 1.2" },
  { "member", "role", is_md_role, "a slot number from 0, or spare" },
  { "luks", "uuid", is_guid, "a UUID, 8-4-4-4-12 hex digits" },
  { "luks", "type", is_luks_type, "luks1 or luks2" },
  { "subvolume", "id", is_uint, "a plain decimal integer: no sign, no leading zeros, no spaces" },
  { NULL, "device", is_device_ref,
    "a disk id, DISK/pN for a partition, or the id of an md array or LUKS container" },
  { NULL, "extent-bytes", is_uint,
    "a plain decimal integer: no sign, no leading zeros, no spaces" },
  { NULL, "chunk-bytes", is_uint, "a plain decimal integer: no sign, no leading zeros, no spaces" },
  { NULL, "bytes", is_uint, "a plain decimal integer: no sign, no leading zeros, no spaces" },
  { NULL, "start", is_uint, "a plain decimal integer: no sign, no leading zeros, no spaces" },
  { NULL, "sectors", is_uint, "a plain decimal integer: no sign, no leading zeros, no spaces" },
  { NULL, "number", is_uint, "a plain decimal integer: no sign, no leading zeros, no spaces" },
  { NULL, "count", is_uint, "a plain decimal integer: no sign, no leading zeros, no spaces" },
  { NULL, "logical-sector", is_sector_size, "a sector size: 512, 1024, ... 65536" },
  { NULL, "physical-sector", is_sector_size, "a sector size: 512, 1024, ... 65536" },
  { NULL, "critical", is_yes_no, "yes or no" },
  { NULL, "boot", is_yes_no, "yes or no" },
  { NULL, "bootable", is_yes_no, "yes or no" },
  { NULL, "file", is_file, "a plain file name in the backup directory (no '/', not '..')" },
  { NULL, "image", is_file, "a plain file name in the backup directory (no '/', not '..')" },
  { NULL, "checksum", is_checksum, "asr-sha256-64k: and 64 lowercase hex digits" },
  { NULL, "guid", is_guid, "a GUID, 8-4-4-4-12 hex digits" },
  { "firmware", "type", is_type, "bios or uefi" },
  { "partition-table", "type", is_type, "mbr or gpt" },
  { "partition", "type", is_type, "an MBR type (0x83) or a GPT type GUID" },
  { NULL, "signature", is_signature, "an MBR disk signature, 0x and 8 lowercase hex digits" },
  { NULL, "kind", is_kind, "primary, extended or logical" },
  { NULL, "class", is_class, "storage, network or video" },
  { NULL, "reason", is_reason, "mounted, swap, held or running-system" },
  { NULL, "id", is_disk_id, "a disk id: letters, digits, '_', '.', '-'" },
  { NULL, "disk", is_disk_id, "a disk id: letters, digits, '_', '.', '-'" },
  { "machine", "version", is_version, "1" },
  { "origin", "captured", is_timestamp, "a UTC time, 2026-11-25T15:00:00Z" },
  { "controller", "mac", is_mac, "a MAC address, 52:54:00:12:34:56 in lowercase" },
  { "controller", "vendor-id", is_hex16, "0x and 4 lowercase hex digits" },
  { "controller", "device-id", is_hex16, "0x and 4 lowercase hex digits" },
  { NULL, "mountpoint", is_absolute, "an absolute path" },
  { "partition", "attributes", is_gpt_attributes,
    "0x and 1 to 16 lowercase hex digits, no leading zeros" },
};

/* machine.rng's attributes, required ones marked with '!'. */
static const struct {
  const char *element;
  const char *const attributes[12];
} element_attributes[] = {
  { "machine", { "!version" } },
  { "origin", { "captured", "tool" } },
  { "source", { "!disk", "path", "format" } },
  { "os", { "name", "version", "hostname" } },
  { "firmware", { "!type" } },
  { "system", { "vendor", "product", "machine-type" } },
  { "cpu", { "vendor", "model", "count" } },
  { "memory", { "!bytes" } },
  { "controller",
    { "!class", "bus", "address", "vendor-id", "device-id", "driver", "model", "mac" } },
  { "disk",
    { "!id", "critical", "boot", "bytes", "logical-sector", "physical-sector", "bus", "model",
      "serial", "wwn" } },
  { "in-use", { "!reason", "detail" } },
  { "partition-table", { "!type", "signature", "guid", "unreadable" } },
  { "boot-area", { "!bytes", "image", "checksum" } },
  { "partition",
    { "!number", "kind", "!start", "!sectors", "type", "guid", "name", "attributes", "bootable" } },
  { "volume", { "fs", "uuid", "label", "mountpoint", "critical" } },
  { "image", { "!file", "!format", "!bytes", "checksum" } },
  { "subvolume", { "!path", "id", "mountpoint" } },
  { "md-array", { "!id", "!uuid", "name", "!level", "!metadata", "chunk-bytes", "bytes" } },
  { "member", { "!device", "!role" } },
  { "luks", { "!id", "!uuid", "!type", "!device", "bytes" } },
  { "volume-group", { "!name", "!uuid", "!extent-bytes" } },
  { "metadata", { "!file", "checksum" } },
  { "pv", { "!uuid", "!device", "bytes" } },
  { "lv", { "!name", "!uuid", "!bytes", "segtype" } },
};

static int
rule_for (const char *element, const char *attribute)
{
  for (guint r = 0; r < G_N_ELEMENTS (value_rules); r++)
    if (strcmp (value_rules[r].attribute, attribute) == 0
        && (value_rules[r].element == NULL || strcmp (value_rules[r].element, element) == 0))
      return (int) r;
  return -1;
}

static const char *const *
attributes_of (const char *element)
{
  for (guint i = 0; i < G_N_ELEMENTS (element_attributes); i++)
    if (strcmp (element_attributes[i].element, element) == 0)
      return element_attributes[i].attributes;
  return NULL;
}

/* "; attribute X 'v': expected ..." for each fault found on @node, or NULL. */
static char *
diagnose_node (xmlNode *node)
{
  const char *element = (const char *) node->name;
  const char *const *known = attributes_of (element);
  g_autoptr (GString) s = g_string_new (NULL);

  if (known == NULL)
    return NULL;
  for (guint i = 0; i < 12 && known[i]; i++)
    {
      const char *name = known[i][0] == '!' ? known[i] + 1 : known[i];
      if (known[i][0] == '!' && xmlHasProp (node, (const xmlChar *) name) == NULL)
        g_string_append_printf (s, "; attribute %s is missing", name);
    }
  for (xmlAttr *a = node->properties; a; a = a->next)
    {
      const char *name = (const char *) a->name;
      gboolean allowed = FALSE;
      xmlChar *value;

      for (guint i = 0; i < 12 && known[i]; i++)
        if (strcmp (known[i][0] == '!' ? known[i] + 1 : known[i], name) == 0)
          allowed = TRUE;
      if (!allowed || a->ns != NULL)
        {
          g_string_append_printf (s, "; attribute %s is not allowed here", name);
          continue;
        }
      value = xmlNodeGetContent ((xmlNode *) a);
      {
        int r = rule_for (element, name);
        g_autofree char *control = control_problem (value ? (const char *) value : "");
        if (control)
          g_string_append_printf (s, "; attribute %s: %s", name, control);
        else if (r >= 0 && !value_rules[r].ok (element, value ? (const char *) value : ""))
          g_string_append_printf (s, "; attribute %s '%s': expected %s", name,
                                  value ? (const char *) value : "", value_rules[r].expected);
      }
      xmlFree (value);
    }
  if (s->len == 0)
    return NULL;
  return g_strdup (s->str + 2);
}

typedef struct {
  int code;
  guint line;
  char *message;
  char *str1;
  xmlNode *node;
} SchemaError;

static void
schema_error_clear (gpointer p)
{
  SchemaError *e = p;

  g_free (e->message);
  g_free (e->str1);
}

GArray *
machine_schema_errors_new (void)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (SchemaError));

  g_array_set_clear_func (a, schema_error_clear);
  return a;
}

void
machine_schema_errors_collect (void *data, xmlErrorPtr e)
{
  GArray *errors = data;
  SchemaError se = { 0 };

  if (e == NULL || e->level < XML_ERR_ERROR || errors->len >= 4 * MACHINE_MAX_PROBLEMS)
    return;
  se.code = e->code;
  se.message = g_strstrip (g_strdup (e->message ? e->message : "unknown libxml2 error"));
  se.str1 = g_strdup (e->str1);
  se.node = e->node;
  if (se.node != NULL && se.node->type != XML_ELEMENT_NODE)
    se.node = NULL;
  if (se.node != NULL)
    {
      long l = xmlGetLineNo (se.node);
      se.line = l > 0 ? (guint) l : 0;
    }
  else if (e->line > 0)
    se.line = (guint) e->line;
  g_array_append_val (errors, se);
}

static void
add_for_node (MachineProblems *p, const SchemaError *se, xmlNode *node)
{
  g_autofree char *why = diagnose_node (node);
  long l = xmlGetLineNo (node);
  const char *message = se->message;

  /* libxml2's wording when a required child is missing. */
  if (strstr (message, "Expecting an element , got nothing") != NULL)
    message = "a required element is missing (see machine.rng)";
  machine_problems_add (p, l > 0 ? (guint) l : 0, "element %s: %s%s%s", (const char *) node->name,
                        message, why ? ": " : "", why ? why : "");
}

static void
find_and_diagnose (MachineProblems *p, const SchemaError *se, xmlNode *n, guint *found)
{
  for (; n; n = n->next)
    {
      if (n->type != XML_ELEMENT_NODE)
        continue;
      if (xmlStrEqual (n->name, (const xmlChar *) se->str1))
        {
          g_autofree char *why = diagnose_node (n);
          if (why != NULL)
            {
              add_for_node (p, se, n);
              (*found)++;
            }
        }
      find_and_diagnose (p, se, n->children, found);
    }
}

void
machine_schema_errors_report (GArray *errors, xmlDoc *doc, MachineProblems *p)
{
  gboolean any_located = FALSE;

  for (guint i = 0; i < errors->len; i++)
    if (g_array_index (errors, SchemaError, i).line > 0)
      any_located = TRUE;

  for (guint i = 0; i < errors->len; i++)
    {
      const SchemaError *se = &g_array_index (errors, SchemaError, i);

      if (se->node != NULL)
        {
          /* The value itself, for a pattern failure libxml2 only names. */
          if (se->code == XML_RELAXNG_ERR_INVALIDATTR && se->str1 != NULL)
            {
              xmlChar *value = xmlGetNoNsProp (se->node, (const xmlChar *) se->str1);
              const char *element = (const char *) se->node->name;
              const char *v = value ? (const char *) value : "";
              int r = rule_for (element, se->str1);
              g_autofree char *control = control_problem (v);

              if (control)
                machine_problems_add (p, se->line, "element %s: attribute %s: %s", element,
                                      se->str1, control);
              else if (r >= 0 && value_rules[r].ok (element, v))
                /* Well formed, but the schema does not allow it in this
                 * combination (a signature on a GPT partition table). */
                machine_problems_add (p, se->line,
                                      "element %s: %s '%s': not allowed with the other attributes "
                                      "here",
                                      element, se->message, v);
              else if (r >= 0)
                machine_problems_add (p, se->line, "element %s: %s '%s': expected %s", element,
                                      se->message, v, value_rules[r].expected);
              else
                {
                  g_autofree char *why = diagnose_node (se->node);
                  machine_problems_add (p, se->line, "element %s: %s '%s'%s%s", element,
                                        se->message, v, why ? ": " : "", why ? why : "");
                }
              xmlFree (value);
            }
          else
            add_for_node (p, se, se->node);
          continue;
        }
      /* Without a node, libxml2's summary of an attribute failure comes
       * beside a located report of the same fault: keep only that one. */
      if (se->code == XML_RELAXNG_ERR_ATTRVALID && any_located)
        continue;
      if (se->code == XML_RELAXNG_ERR_ATTRVALID && se->str1 != NULL)
        {
          guint found = 0;
          find_and_diagnose (p, se, xmlDocGetRootElement (doc), &found);
          if (found > 0)
            continue;
        }
      machine_problems_add (p, se->line, "%s", se->message);
    }
}
