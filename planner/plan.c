/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Plan model: constructors, destructors, string tables, options, and
 * reading the inputs (backup, --map). */
#include "config.h"

#include <string.h>

#include "planner.h"
#include "plan-private.h"

/* clang-format off */
G_DEFINE_QUARK (asr-planner-error-quark, planner_error)
/* clang-format on */

static const char *const mode_names[] = { "strict", "migrate" };
static const char *const status_names[] = { "pass", "warn", "fail" };

const char *
plan_mode_to_string (PlanMode v)
{
  g_return_val_if_fail ((guint) v < G_N_ELEMENTS (mode_names), NULL);
  return mode_names[v];
}

gboolean
plan_mode_from_string (const char *s, PlanMode *out)
{
  for (guint i = 0; s && i < G_N_ELEMENTS (mode_names); i++)
    if (strcmp (s, mode_names[i]) == 0)
      {
        *out = (PlanMode) i;
        return TRUE;
      }
  return FALSE;
}

const char *
plan_status_to_string (PlanStatus v)
{
  g_return_val_if_fail ((guint) v < G_N_ELEMENTS (status_names), NULL);
  return status_names[v];
}

gboolean
plan_status_from_string (const char *s, PlanStatus *out)
{
  for (guint i = 0; s && i < G_N_ELEMENTS (status_names); i++)
    if (strcmp (s, status_names[i]) == 0)
      {
        *out = (PlanStatus) i;
        return TRUE;
      }
  return FALSE;
}

/* --- Plan ---------------------------------------------------------------- */

Plan *
plan_new (void)
{
  Plan *p = g_new0 (Plan, 1);
  p->version = PLAN_VERSION;
  p->checks = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_check_free);
  p->mappings = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_mapping_free);
  p->targets = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_target_disk_free);
  return p;
}

void
plan_free (Plan *p)
{
  if (p == NULL)
    return;
  g_free (p->backup_sha256);
  g_free (p->grow);
  g_free (p->shrink);
  g_ptr_array_unref (p->checks);
  g_ptr_array_unref (p->mappings);
  g_ptr_array_unref (p->targets);
  g_free (p);
}

void
plan_finding_free (PlanFinding *f)
{
  if (f == NULL)
    return;
  g_free (f->message);
  g_free (f);
}

PlanCheck *
plan_check_new (const char *name)
{
  PlanCheck *c = g_new0 (PlanCheck, 1);
  c->name = g_strdup (name);
  c->findings = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_finding_free);
  return c;
}

void
plan_check_free (PlanCheck *c)
{
  if (c == NULL)
    return;
  g_free (c->name);
  g_ptr_array_unref (c->findings);
  g_free (c);
}

void
plan_check_add_take (PlanCheck *c, PlanStatus status, char *message)
{
  PlanFinding *f = g_new0 (PlanFinding, 1);
  f->status = status;
  f->message = message;
  g_ptr_array_add (c->findings, f);
  if (status > c->status)
    c->status = status;
}

void
plan_check_add (PlanCheck *c, PlanStatus status, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  plan_check_add_take (c, status, g_strdup_vprintf (format, ap));
  va_end (ap);
}

PlanTargetDisk *
plan_target_disk_new (const char *name)
{
  PlanTargetDisk *t = g_new0 (PlanTargetDisk, 1);
  t->name = g_strdup (name);
  t->by_id = g_ptr_array_new_with_free_func (g_free);
  return t;
}

void
plan_target_disk_free (PlanTargetDisk *t)
{
  if (t == NULL)
    return;
  g_free (t->name);
  g_free (t->argument);
  g_free (t->disk_id);
  g_free (t->path);
  g_free (t->serial);
  g_free (t->wwn);
  g_ptr_array_unref (t->by_id);
  g_free (t->excluded);
  g_free (t->source);
  g_free (t);
}

PlanMapping *
plan_mapping_new (const char *source)
{
  PlanMapping *m = g_new0 (PlanMapping, 1);
  m->source = g_strdup (source);
  return m;
}

void
plan_mapping_free (PlanMapping *m)
{
  if (m == NULL)
    return;
  g_free (m->source);
  g_free (m->target);
  g_free (m->reason);
  g_free (m->tie);
  if (m->layout)
    g_array_unref (m->layout);
  g_free (m);
}

const PlanCheck *
plan_find_check (const Plan *p, const char *name)
{
  for (guint i = 0; i < p->checks->len; i++)
    {
      const PlanCheck *c = g_ptr_array_index (p->checks, i);
      if (strcmp (c->name, name) == 0)
        return c;
    }
  return NULL;
}

const PlanMapping *
plan_find_mapping (const Plan *p, const char *source)
{
  for (guint i = 0; i < p->mappings->len; i++)
    {
      const PlanMapping *m = g_ptr_array_index (p->mappings, i);
      if (strcmp (m->source, source) == 0)
        return m;
    }
  return NULL;
}

gboolean
plan_is_restorable (const Plan *p)
{
  return p->status != PLAN_STATUS_FAIL;
}

const PlanMapping *
plan_find_tie (const Plan *p)
{
  for (guint i = 0; i < p->mappings->len; i++)
    {
      const PlanMapping *m = g_ptr_array_index (p->mappings, i);
      if (m->target && m->tie)
        return m;
    }
  return NULL;
}

/* --- inputs -------------------------------------------------------------- */

PlanTarget *
plan_target_new (const char *argument, MachineDescriptor *descriptor)
{
  PlanTarget *t = g_new0 (PlanTarget, 1);
  t->argument = g_strdup (argument);
  t->descriptor = descriptor;
  return t;
}

void
plan_target_free (PlanTarget *t)
{
  if (t == NULL)
    return;
  g_free (t->argument);
  machine_descriptor_free (t->descriptor);
  g_free (t);
}

PlanOptions *
plan_options_new (void)
{
  PlanOptions *o = g_new0 (PlanOptions, 1);
  o->mode = PLAN_MODE_STRICT;
  o->maps = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_map_request_free);
  return o;
}

void
plan_map_request_free (PlanMapRequest *r)
{
  if (r == NULL)
    return;
  g_free (r->source);
  g_free (r->target);
  g_free (r);
}

void
plan_options_free (PlanOptions *o)
{
  if (o == NULL)
    return;
  g_ptr_array_unref (o->maps);
  g_free (o->grow);
  g_free (o->shrink);
  g_free (o);
}

gboolean
plan_options_add_map (PlanOptions *o, const char *spec, GError **error)
{
  const char *eq = strchr (spec, '=');

  if (eq == NULL || eq == spec || eq[1] == '\0')
    {
      g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                   "--map %s: expected SRC=DST (a source disk id, then a target disk's "
                   "id, serial, WWN, by-id name or path)",
                   spec);
      return FALSE;
    }
  g_autofree char *src = g_strndup (spec, eq - spec);
  for (guint i = 0; i < o->maps->len; i++)
    {
      const PlanMapRequest *r = g_ptr_array_index (o->maps, i);
      if (g_ascii_strcasecmp (r->source, src) == 0)
        {
          g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                       "--map %s: source disk %s is already mapped (--map %s=%s)", spec, src,
                       r->source, r->target);
          return FALSE;
        }
    }
  PlanMapRequest *r = g_new0 (PlanMapRequest, 1);
  r->source = g_steal_pointer (&src);
  r->target = g_strdup (eq + 1);
  g_ptr_array_add (o->maps, r);
  return TRUE;
}

PlanBackup *
plan_backup_load (const char *path, GError **error)
{
  g_autoptr (PlanBackup) b = g_new0 (PlanBackup, 1);
  g_autofree char *data = NULL;
  gsize len = 0;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      b->dir = g_strdup (path);
      b->path = g_build_filename (path, MACHINE_DESCRIPTOR_FILENAME, NULL);
    }
  else
    b->path = g_strdup (path);

  if (!g_file_test (b->path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID, "%s: no such file%s", b->path,
                   b->dir ? " (not a backup set?)" : "");
      return NULL;
    }
  data = asr_file_read_bounded (b->path, MACHINE_DESCRIPTOR_MAX_BYTES, &len, error);
  if (data == NULL)
    return NULL;

  /* Hash and parse the same bytes: the plan names what was checked. */
  b->sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
  b->descriptor = machine_descriptor_parse_data (data, len, b->path, error);
  if (b->descriptor == NULL)
    return NULL;
  return g_steal_pointer (&b);
}

void
plan_backup_free (PlanBackup *b)
{
  if (b == NULL)
    return;
  machine_descriptor_free (b->descriptor);
  g_free (b->sha256);
  g_free (b->dir);
  g_free (b->path);
  g_free (b);
}

const MachineDisk *
plan_find_target_disk (GPtrArray *targets, const char *path, const MachineSource **src_out)
{
  g_autofree char *want = path ? g_canonicalize_filename (path, NULL) : NULL;

  for (guint i = 0; want && i < targets->len; i++)
    {
      const PlanTarget *t = g_ptr_array_index (targets, i);
      for (guint j = 0; j < t->descriptor->disks->len; j++)
        {
          const MachineDisk *d = g_ptr_array_index (t->descriptor->disks, j);
          const MachineSource *s = machine_descriptor_find_source (t->descriptor, d->id);
          g_autofree char *have = s && s->path ? g_canonicalize_filename (s->path, NULL) : NULL;
          if (have && strcmp (have, want) == 0)
            {
              *src_out = s;
              return d;
            }
        }
    }
  return NULL;
}

gboolean
plan_check_binding (const Plan *plan, const PlanBackup *backup, GPtrArray *targets,
                    const char *plan_path, GError **error)
{
  if (plan->backup_sha256 == NULL || g_ascii_strcasecmp (plan->backup_sha256, backup->sha256) != 0)
    {
      g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                   "%s was made for another backup (machine.xml sha256 %s), not %s (sha256 %s): "
                   "refused, nothing was written",
                   plan_path, plan->backup_sha256 ? plan->backup_sha256 : "unknown", backup->path,
                   backup->sha256);
      return FALSE;
    }
  for (guint i = 0; i < plan->targets->len; i++)
    {
      const PlanTargetDisk *pt = g_ptr_array_index (plan->targets, i);
      const MachineSource *src = NULL;
      const MachineDisk *d;

      if (pt->source == NULL)
        continue; /* not written: its identity does not matter */
      d = plan_find_target_disk (targets, pt->path, &src);
      if (d == NULL)
        {
          g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                       "%s maps %s onto %s, which is not among the TARGETs given: refused, "
                       "nothing was written",
                       plan_path, pt->source, pt->path ? pt->path : pt->name);
          return FALSE;
        }
      if ((pt->has_bytes && (!d->has_bytes || d->bytes != pt->bytes))
          || (pt->serial && g_strcmp0 (pt->serial, d->serial) != 0)
          || (pt->wwn && (d->wwn == NULL || g_ascii_strcasecmp (pt->wwn, d->wwn) != 0)))
        {
          g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                       "%s is stale: %s is now %" G_GUINT64_FORMAT " bytes (serial %s), the "
                       "plan saw %" G_GUINT64_FORMAT " bytes (serial %s): refused, nothing was "
                       "written",
                       plan_path, pt->path, d->bytes, d->serial ? d->serial : "none", pt->bytes,
                       pt->serial ? pt->serial : "none");
          return FALSE;
        }
    }
  return TRUE;
}
