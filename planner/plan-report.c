/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plan as a readable report and as JSON.  Both are deterministic: the
 * golden files in tests/planner/scenarios compare them byte for byte.
 * Every value in the text is escaped (util/text.h): a probed target's
 * label or model is the disk's to choose, and must not forge a line. */
#include "config.h"

#include <string.h>

#include "machine-json.h"

#include "plan-private.h"
#include "text.h"

/* --- a small column table ----------------------------------------------- */

typedef struct {
  guint n_cols;
  GPtrArray *cells; /* char*, row-major */
} Table;

static void
table_row (Table *t, ...)
{
  va_list ap;
  va_start (ap, t);
  for (guint i = 0; i < t->n_cols; i++)
    {
      const char *s = va_arg (ap, const char *);
      g_ptr_array_add (t->cells, asr_text_escape (s && *s ? s : "-"));
    }
  va_end (ap);
}

static void
table_print (Table *t, GString *out, const char *indent)
{
  g_autofree guint *w = g_new0 (guint, t->n_cols);
  for (guint i = 0; i < t->cells->len; i++)
    {
      guint len = g_utf8_strlen (g_ptr_array_index (t->cells, i), -1);
      w[i % t->n_cols] = MAX (w[i % t->n_cols], len);
    }
  for (guint i = 0; i < t->cells->len; i++)
    {
      const char *s = g_ptr_array_index (t->cells, i);
      guint col = i % t->n_cols;
      if (col == 0)
        g_string_append (out, indent);
      g_string_append (out, s);
      if (col + 1 == t->n_cols)
        g_string_append_c (out, '\n');
      else
        for (guint k = g_utf8_strlen (s, -1); k < w[col] + 2; k++)
          g_string_append_c (out, ' ');
    }
  g_ptr_array_unref (t->cells);
}

static char *
human (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static char *
u64 (guint64 v)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT, v);
}

/* --- text ---------------------------------------------------------------- */

char *
plan_format_text (const Plan *p)
{
  GString *s = g_string_new (NULL);
  guint n_warn = 0, n_fail = 0;
  g_autoptr (GString) failed = g_string_new (NULL);

  for (guint i = 0; i < p->checks->len; i++)
    {
      const PlanCheck *c = g_ptr_array_index (p->checks, i);
      if (c->status == PLAN_STATUS_FAIL)
        {
          n_fail++;
          g_string_append_printf (failed, "%s%s", failed->len ? ", " : "", c->name);
        }
      else if (c->status == PLAN_STATUS_WARN)
        n_warn++;
    }
  g_string_append_printf (s, "Plan (%s mode) for backup sha256:%s\n", plan_mode_to_string (p->mode),
                          p->backup_sha256 ? p->backup_sha256 : "unknown");
  if (n_fail)
    g_string_append_printf (s, "Result: BLOCKED: %u check%s failed (%s)\n", n_fail,
                            n_fail == 1 ? "" : "s", failed->str);
  else
    g_string_append_printf (s, "Result: restorable, %u check%s with warnings\n", n_warn,
                            n_warn == 1 ? "" : "s");

  g_string_append (s, "\nChecks:\n");
  for (guint i = 0; i < p->checks->len; i++)
    {
      const PlanCheck *c = g_ptr_array_index (p->checks, i);
      if (c->findings->len == 1)
        {
          const PlanFinding *f = g_ptr_array_index (c->findings, 0);
          g_autofree char *msg = asr_text_escape (f->message);
          g_string_append_printf (s, "  %s  %-22s  %s\n", plan_status_to_string (c->status),
                                  c->name, msg);
          continue;
        }
      g_string_append_printf (s, "  %s  %s\n", plan_status_to_string (c->status), c->name);
      for (guint j = 0; j < c->findings->len; j++)
        {
          const PlanFinding *f = g_ptr_array_index (c->findings, j);
          g_autofree char *msg = asr_text_escape (f->message);
          g_string_append_printf (s, "        %s  %s\n", plan_status_to_string (f->status), msg);
        }
    }

  g_string_append (s, "\nMapping (preference: " PLAN_PREFERENCE_TEXT "):\n");
  if (p->mappings->len == 0)
    g_string_append (s, "  no critical disk\n");
  else
    {
      Table t = { 6, g_ptr_array_new_with_free_func (g_free) };
      table_row (&t, "SOURCE", "BYTES", "→", "TARGET", "BYTES", "REASON");
      for (guint i = 0; i < p->mappings->len; i++)
        {
          const PlanMapping *m = g_ptr_array_index (p->mappings, i);
          g_autofree char *sb = u64 (m->source_bytes);
          g_autofree char *tb = m->target ? u64 (m->target_bytes) : NULL;
          table_row (&t, m->source, sb, "→", m->target ? m->target : "NONE", tb, m->reason);
        }
      table_print (&t, s, "  ");
    }

  for (guint i = 0, n = 0; i < p->mappings->len; i++)
    {
      const PlanMapping *m = g_ptr_array_index (p->mappings, i);
      if (m->layout == NULL)
        continue;
      if (n++ == 0)
        {
          g_autofree char *g = asr_text_escape (p->grow);
          g_autofree char *k = asr_text_escape (p->shrink);
          g_string_append_printf (s, "\nLayout (%s%s%s%s%s; start and size in sectors):\n",
                                  g ? "--grow=" : "", g ? g : "", g && k ? ", " : "",
                                  k ? "--shrink=" : "", k ? k : "");
        }
      Table t = { 7, g_ptr_array_new_with_free_func (g_free) };
      table_row (&t, "SOURCE", "PARTITION", "START", "→ START", "SECTORS", "→ SECTORS", "CHANGE");
      for (guint j = 0; j < m->layout->len; j++)
        {
          const PlanPartitionMove *mv = &g_array_index (m->layout, PlanPartitionMove, j);
          g_autofree char *num = g_strdup_printf ("%u", mv->number);
          g_autofree char *a = u64 (mv->start),
                          *b = g_strdup_printf ("→ %" G_GUINT64_FORMAT, mv->new_start);
          g_autofree char *c = u64 (mv->sectors),
                          *d = g_strdup_printf ("→ %" G_GUINT64_FORMAT, mv->new_sectors);
          table_row (&t, m->source, num, a, b, c, d,
                     mv->new_sectors > mv->sectors   ? "grows"
                     : mv->new_sectors < mv->sectors ? "shrinks"
                     : mv->new_start != mv->start    ? "moves"
                                                     : "stays");
        }
      table_print (&t, s, "  ");
    }

  g_string_append (s, "\nTarget disks:\n");
  if (p->targets->len == 0)
    g_string_append (s, "  none\n");
  else
    {
      Table t = { 5, g_ptr_array_new_with_free_func (g_free) };
      table_row (&t, "TARGET", "BYTES", "SIZE", "FROM", "USE");
      for (guint i = 0; i < p->targets->len; i++)
        {
          const PlanTargetDisk *d = g_ptr_array_index (p->targets, i);
          g_autofree char *b = d->has_bytes ? u64 (d->bytes) : NULL;
          g_autofree char *h = d->has_bytes ? human (d->bytes) : NULL;
          g_autofree char *from = g_strcmp0 (d->name, d->disk_id) == 0
                                    ? g_strdup (d->argument)
                                    : g_strdup_printf ("%s %s", d->argument, d->disk_id);
          g_autofree char *use = d->source     ? g_strdup_printf ("restore %s%s%s", d->source,
                                                              d->excluded ? " despite: " : "",
                                                              d->excluded ? d->excluded : "")
                                 : d->excluded ? g_strdup_printf ("excluded: %s", d->excluded)
                                               : g_strdup ("spare, not written");
          table_row (&t, d->name, b, h, from, use);
        }
      table_print (&t, s, "  ");
    }
  return g_string_free (s, FALSE);
}

/* --- JSON ---------------------------------------------------------------- */

char *
plan_format_json (const Plan *p)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  machine_json_add_u64 (b, "version", p->version);
  machine_json_add_string_or_null (b, "mode", plan_mode_to_string (p->mode));
  machine_json_add_string_or_null (b, "grow", p->grow);
  machine_json_add_string_or_null (b, "shrink", p->shrink);
  machine_json_add_string_or_null (b, "status", plan_status_to_string (p->status));
  json_builder_set_member_name (b, "restorable");
  json_builder_add_boolean_value (b, plan_is_restorable (p));
  machine_json_add_string_or_null (b, "backup_sha256", p->backup_sha256);
  machine_json_add_string_or_null (b, "preference", PLAN_PREFERENCE_TEXT);

  json_builder_set_member_name (b, "checks");
  json_builder_begin_array (b);
  for (guint i = 0; i < p->checks->len; i++)
    {
      const PlanCheck *c = g_ptr_array_index (p->checks, i);
      json_builder_begin_object (b);
      machine_json_add_string_or_null (b, "name", c->name);
      machine_json_add_string_or_null (b, "status", plan_status_to_string (c->status));
      json_builder_set_member_name (b, "findings");
      json_builder_begin_array (b);
      for (guint j = 0; j < c->findings->len; j++)
        {
          const PlanFinding *f = g_ptr_array_index (c->findings, j);
          json_builder_begin_object (b);
          machine_json_add_string_or_null (b, "status", plan_status_to_string (f->status));
          machine_json_add_string_or_null (b, "message", f->message);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "mapping");
  json_builder_begin_array (b);
  for (guint i = 0; i < p->mappings->len; i++)
    {
      const PlanMapping *m = g_ptr_array_index (p->mappings, i);
      json_builder_begin_object (b);
      machine_json_add_string_or_null (b, "source", m->source);
      machine_json_add_u64 (b, "source_bytes", m->source_bytes);
      machine_json_add_string_or_null (b, "target", m->target);
      if (m->target)
        machine_json_add_u64 (b, "target_bytes", m->target_bytes);
      machine_json_add_string_or_null (b, "reason", m->reason);
      machine_json_add_string_or_null (b, "tie", m->tie);
      json_builder_set_member_name (b, "layout");
      if (m->layout == NULL)
        json_builder_add_null_value (b);
      else
        {
          json_builder_begin_array (b);
          for (guint j = 0; j < m->layout->len; j++)
            {
              const PlanPartitionMove *mv = &g_array_index (m->layout, PlanPartitionMove, j);
              json_builder_begin_object (b);
              machine_json_add_u64 (b, "number", mv->number);
              machine_json_add_u64 (b, "start", mv->start);
              machine_json_add_u64 (b, "sectors", mv->sectors);
              machine_json_add_u64 (b, "new_start", mv->new_start);
              machine_json_add_u64 (b, "new_sectors", mv->new_sectors);
              if (mv->min_bytes)
                machine_json_add_u64 (b, "min_bytes", mv->min_bytes);
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "targets");
  json_builder_begin_array (b);
  for (guint i = 0; i < p->targets->len; i++)
    {
      const PlanTargetDisk *d = g_ptr_array_index (p->targets, i);
      json_builder_begin_object (b);
      machine_json_add_string_or_null (b, "name", d->name);
      machine_json_add_string_or_null (b, "argument", d->argument);
      machine_json_add_string_or_null (b, "disk_id", d->disk_id);
      machine_json_add_string_or_null (b, "path", d->path);
      if (d->has_bytes)
        machine_json_add_u64 (b, "bytes", d->bytes);
      if (d->logical_sector)
        machine_json_add_u64 (b, "logical_sector", d->logical_sector);
      machine_json_add_string_or_null (b, "serial", d->serial);
      machine_json_add_string_or_null (b, "wwn", d->wwn);
      machine_json_add_strings (b, "by_id", d->by_id);
      json_builder_set_member_name (b, "eligible");
      json_builder_add_boolean_value (b, d->excluded == NULL);
      machine_json_add_string_or_null (b, "excluded", d->excluded);
      machine_json_add_string_or_null (b, "source", d->source);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  text = machine_json_builder_to_text (b);
  return g_strconcat (text, "\n", NULL);
}
