/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan.xml (xml-schemas/plan.rng): written by `asr plan -o`, read by
 * `asr restore --plan`.  Formatting is canonical, so parse → format is
 * byte-identical; reading validates against the schema before a field is
 * looked at.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "plan-private.h"
#include "xml.h"

/* --- writing ------------------------------------------------------------- */

static void
attr (GString *s, const char *name, const char *value)
{
  if (value == NULL)
    return;
  g_autofree char *e = g_markup_escape_text (value, -1);
  g_string_append_printf (s, " %s=\"%s\"", name, e);
}

static void
attr_u64 (GString *s, const char *name, guint64 v)
{
  g_string_append_printf (s, " %s=\"%" G_GUINT64_FORMAT "\"", name, v);
}

char *
plan_format_xml (const Plan *p)
{
  GString *s = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");

  g_string_append_printf (s, "<plan version=\"%u\"", p->version);
  attr (s, "mode", plan_mode_to_string (p->mode));
  attr (s, "grow", p->grow);
  attr (s, "shrink", p->shrink);
  attr (s, "status", plan_status_to_string (p->status));
  g_string_append (s, ">\n  <backup");
  attr (s, "sha256", p->backup_sha256);
  g_string_append (s, "/>\n");

  for (guint i = 0; i < p->targets->len; i++)
    {
      const PlanTargetDisk *d = g_ptr_array_index (p->targets, i);
      g_string_append (s, "  <target");
      attr (s, "name", d->name);
      attr (s, "argument", d->argument);
      attr (s, "disk-id", d->disk_id);
      attr (s, "path", d->path);
      if (d->has_bytes)
        attr_u64 (s, "bytes", d->bytes);
      if (d->logical_sector)
        attr_u64 (s, "logical-sector", d->logical_sector);
      attr (s, "serial", d->serial);
      attr (s, "wwn", d->wwn);
      attr (s, "excluded", d->excluded);
      if (d->by_id->len == 0)
        {
          g_string_append (s, "/>\n");
          continue;
        }
      g_string_append (s, ">\n");
      for (guint j = 0; j < d->by_id->len; j++)
        {
          g_autofree char *e = g_markup_escape_text (g_ptr_array_index (d->by_id, j), -1);
          g_string_append_printf (s, "    <by-id>%s</by-id>\n", e);
        }
      g_string_append (s, "  </target>\n");
    }

  for (guint i = 0; i < p->mappings->len; i++)
    {
      const PlanMapping *m = g_ptr_array_index (p->mappings, i);
      g_string_append (s, "  <map");
      attr (s, "source", m->source);
      attr_u64 (s, "source-bytes", m->source_bytes);
      attr (s, "target", m->target);
      if (m->target)
        attr_u64 (s, "target-bytes", m->target_bytes);
      attr (s, "reason", m->reason);
      attr (s, "tie", m->tie);
      if (m->layout == NULL)
        {
          g_string_append (s, "/>\n");
          continue;
        }
      g_string_append (s, ">\n");
      for (guint j = 0; j < m->layout->len; j++)
        {
          const PlanPartitionMove *mv = &g_array_index (m->layout, PlanPartitionMove, j);
          g_string_append (s, "    <partition");
          attr_u64 (s, "number", mv->number);
          attr_u64 (s, "start", mv->start);
          attr_u64 (s, "sectors", mv->sectors);
          attr_u64 (s, "new-start", mv->new_start);
          attr_u64 (s, "new-sectors", mv->new_sectors);
          if (mv->min_bytes)
            attr_u64 (s, "min-bytes", mv->min_bytes);
          g_string_append (s, "/>\n");
        }
      g_string_append (s, "  </map>\n");
    }

  for (guint i = 0; i < p->checks->len; i++)
    {
      const PlanCheck *c = g_ptr_array_index (p->checks, i);
      g_string_append (s, "  <check");
      attr (s, "name", c->name);
      attr (s, "status", plan_status_to_string (c->status));
      g_string_append (s, ">\n");
      for (guint j = 0; j < c->findings->len; j++)
        {
          const PlanFinding *f = g_ptr_array_index (c->findings, j);
          g_autofree char *e = g_markup_escape_text (f->message, -1);
          g_string_append_printf (s, "    <finding status=\"%s\">%s</finding>\n",
                                  plan_status_to_string (f->status), e);
        }
      g_string_append (s, "  </check>\n");
    }
  g_string_append (s, "</plan>\n");
  return g_string_free (s, FALSE);
}

gboolean
plan_write_file (const Plan *p, const char *path, GError **error)
{
  g_autofree char *data = plan_format_xml (p);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmpl = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  gsize len = strlen (data), done = 0;
  int fd;

  /* mkstemp creates 0600: the plan names disks and paths of a machine. */
  fd = g_mkstemp_full (tmpl, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_IO, "%s: cannot create a temporary file: %s",
                   path, g_strerror (e));
      return FALSE;
    }
  while (done < len)
    {
      ssize_t n = write (fd, data + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        goto fail;
      done += (gsize) n;
    }
  if (fsync (fd) != 0)
    goto fail;
  if (close (fd) != 0)
    {
      fd = -1;
      goto fail;
    }
  fd = -1;
  if (g_rename (tmpl, path) != 0)
    goto fail;
  return TRUE;

fail:
  {
    int e = errno;
    if (fd >= 0)
      close (fd);
    g_unlink (tmpl);
    g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_IO, "%s: %s", path, g_strerror (e));
    return FALSE;
  }
}

/* --- reading ------------------------------------------------------------- */

typedef struct {
  const char *name;
  GString *messages;
} ErrorSink;

static void
collect_error (void *data, xmlError *err)
{
  ErrorSink *sink = data;
  g_autofree char *msg = g_strdup (err->message ? err->message : "error");
  g_strchomp (msg);
  if (sink->messages->len)
    g_string_append_c (sink->messages, '\n');
  g_string_append_printf (sink->messages, "%s:%d: %s", sink->name, err->line, msg);
}

static const char *
prop (xmlNode *n, const char *name, GHashTable *strings)
{
  xmlChar *v = xmlGetProp (n, (const xmlChar *) name);
  if (v == NULL)
    return NULL;
  char *s = g_strdup ((const char *) v);
  xmlFree (v);
  g_hash_table_add (strings, s);
  return s;
}

static gboolean
prop_u64 (xmlNode *n, const char *name, guint64 *out, const char *fname, GError **error)
{
  xmlChar *v = xmlGetProp (n, (const xmlChar *) name);
  g_autoptr (GError) local = NULL;
  if (v == NULL)
    return FALSE;
  gboolean ok = g_ascii_string_to_unsigned ((const char *) v, 10, 0, G_MAXUINT64, out, &local);
  xmlFree (v);
  if (!ok)
    g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_SCHEMA, "%s:%ld: %s: %s", fname,
                 xmlGetLineNo (n), name, local->message);
  return ok;
}

static gboolean
is_elem (xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0;
}

static Plan *
plan_from_tree (xmlNode *root, const char *name, GError **error)
{
  g_autoptr (Plan) p = plan_new ();
  g_autoptr (GHashTable) strings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint64 v = 0;
  GError *e = NULL;

  /* The schema has checked presence and spelling; these cannot fail on a
   * valid document, but a bug in plan.rng must not become a crash. */
  if (!prop_u64 (root, "version", &v, name, &e) || v != PLAN_VERSION
      || !plan_mode_from_string (prop (root, "mode", strings), &p->mode)
      || !plan_status_from_string (prop (root, "status", strings), &p->status))
    goto bad;
  p->grow = g_strdup (prop (root, "grow", strings));
  p->shrink = g_strdup (prop (root, "shrink", strings));

  for (xmlNode *n = root->children; n; n = n->next)
    {
      if (is_elem (n, "backup"))
        p->backup_sha256 = g_strdup (prop (n, "sha256", strings));
      else if (is_elem (n, "target"))
        {
          PlanTargetDisk *d = plan_target_disk_new (prop (n, "name", strings));
          g_ptr_array_add (p->targets, d);
          d->argument = g_strdup (prop (n, "argument", strings));
          d->disk_id = g_strdup (prop (n, "disk-id", strings));
          d->path = g_strdup (prop (n, "path", strings));
          d->has_bytes = prop_u64 (n, "bytes", &d->bytes, name, &e);
          if (e)
            goto bad;
          if (prop_u64 (n, "logical-sector", &v, name, &e))
            {
              if (v > G_MAXUINT32)
                goto bad;
              d->logical_sector = (guint32) v;
            }
          if (e)
            goto bad;
          d->serial = g_strdup (prop (n, "serial", strings));
          d->wwn = g_strdup (prop (n, "wwn", strings));
          d->excluded = g_strdup (prop (n, "excluded", strings));
          for (xmlNode *c = n->children; c; c = c->next)
            if (is_elem (c, "by-id"))
              g_ptr_array_add (d->by_id, asr_xml_node_text (c));
        }
      else if (is_elem (n, "map"))
        {
          PlanMapping *m = plan_mapping_new (prop (n, "source", strings));
          g_ptr_array_add (p->mappings, m);
          if (!prop_u64 (n, "source-bytes", &m->source_bytes, name, &e))
            goto bad;
          m->target = g_strdup (prop (n, "target", strings));
          if (m->target && !prop_u64 (n, "target-bytes", &m->target_bytes, name, &e))
            goto bad;
          m->reason = g_strdup (prop (n, "reason", strings));
          m->tie = g_strdup (prop (n, "tie", strings));
          for (xmlNode *c = n->children; c; c = c->next)
            {
              PlanPartitionMove mv = { 0 };
              guint64 number;
              if (!is_elem (c, "partition"))
                continue;
              if (!prop_u64 (c, "number", &number, name, &e) || number > G_MAXUINT32
                  || !prop_u64 (c, "start", &mv.start, name, &e)
                  || !prop_u64 (c, "sectors", &mv.sectors, name, &e)
                  || !prop_u64 (c, "new-start", &mv.new_start, name, &e)
                  || !prop_u64 (c, "new-sectors", &mv.new_sectors, name, &e)
                  || (xmlHasProp (c, BAD_CAST "min-bytes")
                      && !prop_u64 (c, "min-bytes", &mv.min_bytes, name, &e)))
                goto bad;
              mv.number = (guint32) number;
              if (m->layout == NULL)
                m->layout = g_array_new (FALSE, FALSE, sizeof (PlanPartitionMove));
              g_array_append_val (m->layout, mv);
            }
        }
      else if (is_elem (n, "check"))
        {
          PlanCheck *c = plan_check_new (prop (n, "name", strings));
          PlanStatus st;
          g_ptr_array_add (p->checks, c);
          if (!plan_status_from_string (prop (n, "status", strings), &st))
            goto bad;
          for (xmlNode *f = n->children; f; f = f->next)
            if (is_elem (f, "finding"))
              {
                PlanStatus fs;
                if (!plan_status_from_string (prop (f, "status", strings), &fs))
                  goto bad;
                plan_check_add_take (c, fs, asr_xml_node_text (f));
              }
          if (c->status != st)
            {
              g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_SCHEMA,
                           "%s:%ld: check %s says %s, its findings %s", name, xmlGetLineNo (n),
                           c->name, plan_status_to_string (st), plan_status_to_string (c->status));
              return NULL;
            }
        }
    }

  /* Meaning: each mapping names a known target, each target at most once. */
  for (guint i = 0; i < p->mappings->len; i++)
    {
      const PlanMapping *m = g_ptr_array_index (p->mappings, i);
      PlanTargetDisk *found = NULL;
      if (m->target == NULL)
        continue;
      for (guint j = 0; j < p->targets->len; j++)
        {
          PlanTargetDisk *d = g_ptr_array_index (p->targets, j);
          if (g_strcmp0 (d->name, m->target) == 0)
            found = d;
        }
      if (found == NULL || found->source != NULL)
        {
          g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_SCHEMA,
                       found ? "%s: target %s is mapped twice"
                             : "%s: map names an unknown target %s",
                       name, m->target);
          return NULL;
        }
      found->source = g_strdup (m->source);
    }
  return g_steal_pointer (&p);

bad:
  if (e)
    g_propagate_error (error, e);
  else
    g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_SCHEMA, "%s: not a version %u plan", name,
                 PLAN_VERSION);
  return NULL;
}

/* util's loader refuses the text; the error says so in the planner's
 * domain.  A plan never has a DOCTYPE, and says so in its own words. */
static void
translate_load_error (GError *local, const char *name, GError **error)
{
  if (local->domain != ASR_XML_ERROR)
    g_propagate_error (error, local);
  else
    {
      if (local->code == ASR_XML_ERROR_DOCTYPE)
        g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_MALFORMED,
                     "%s: a DOCTYPE is not allowed in a plan", name);
      else
        g_set_error_literal (error, PLANNER_ERROR, PLANNER_ERROR_MALFORMED, local->message);
      g_error_free (local);
    }
}

static Plan *
plan_from_doc (xmlDoc *doc, const char *name, GError **error)
{
  g_autofree char *dir = machine_schema_dir ();
  g_autofree char *rng = g_build_filename (dir, PLAN_SCHEMA_FILENAME, NULL);
  g_autoptr (GString) messages = g_string_new (NULL);
  ErrorSink sink = { rng, messages };
  AsrXmlQuiet quiet;

  asr_xml_quiet_begin (&quiet, collect_error, &sink);
  g_autoptr (xmlRelaxNGParserCtxt) pctxt = xmlRelaxNGNewParserCtxt (rng);
  g_autoptr (xmlRelaxNG) schema = pctxt ? xmlRelaxNGParse (pctxt) : NULL;
  asr_xml_quiet_end (&quiet);
  if (schema == NULL)
    {
      g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_NO_SCHEMA,
                   "%s: cannot load the plan schema%s%s", rng, messages->len ? ": " : "",
                   messages->str);
      return NULL;
    }

  g_string_truncate (messages, 0);
  sink.name = name;
  g_autoptr (xmlRelaxNGValidCtxt) vctxt = xmlRelaxNGNewValidCtxt (schema);
  xmlRelaxNGSetValidStructuredErrors (vctxt, collect_error, &sink);
  if (xmlRelaxNGValidateDoc (vctxt, doc) != 0)
    {
      g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_SCHEMA, "%s",
                   messages->len ? messages->str : "does not validate against plan.rng");
      return NULL;
    }
  return plan_from_tree (xmlDocGetRootElement (doc), name, error);
}

Plan *
plan_parse_data (const char *data, gsize len, const char *name, GError **error)
{
  g_autoptr (xmlDoc) doc = NULL;
  GError *local = NULL;

  doc = asr_xml_load_data (data, len, name, PLAN_MAX_BYTES, &local);
  if (doc == NULL)
    {
      translate_load_error (local, name, error);
      return NULL;
    }
  return plan_from_doc (doc, name, error);
}

Plan *
plan_parse_file (const char *path, GError **error)
{
  g_autoptr (xmlDoc) doc = NULL;
  GError *local = NULL;

  doc = asr_xml_load_file (path, PLAN_MAX_BYTES, &local);
  if (doc == NULL)
    {
      translate_load_error (local, path, error);
      return NULL;
    }
  return plan_from_doc (doc, path, error);
}
