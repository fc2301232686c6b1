/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The disk mapping: which target disks may be written, and which source
 * critical disk goes where.
 *
 * Among the valid assignments the plan prefers, in this order, most
 * signature/GUID matches, most serial/WWN matches, least total target bytes,
 * target order (PLAN_PREFERENCE_TEXT).  The search follows that order:
 * --map pins first, then identity matches, then capacity-only matching.
 * Capacity-only matching is a threshold problem (a target fits a source
 * when it is at least as large and has the same sector size), so sorting
 * both sides by size and giving each source, smallest first, the smallest
 * free target that fits finds an assignment whenever one exists, and the one
 * with the least total bytes.  If identity pins leave a source without a
 * disk, the search is redone without them: a valid plan beats a
 * recognisable one.
 */
#include "config.h"

#include <glib/gstdio.h>

#include <string.h>

#include "plan-private.h"

gboolean
plan_id_equal (const char *a, const char *b)
{
  return a && b && g_ascii_strcasecmp (a, b) == 0;
}

guint32
plan_disk_sector (const MachineDisk *d)
{
  return d->logical_sector ? d->logical_sector : 512;
}

char *
plan_disk_identity (const MachineDisk *d)
{
  if (d->ptable == MACHINE_PTABLE_MBR && d->signature)
    return g_strdup_printf ("MBR signature %s", d->signature);
  if (d->ptable == MACHINE_PTABLE_GPT && d->guid)
    return g_strdup_printf ("GPT disk GUID %s", d->guid);
  return NULL;
}

/* A hash key for identity lookups: kind and lowercased value. */
static char *
identity_key (const MachineDisk *d)
{
  if (d->ptable == MACHINE_PTABLE_MBR && d->signature)
    return g_strconcat ("mbr:", d->signature, NULL);
  if (d->ptable == MACHINE_PTABLE_GPT && d->guid)
    return g_strconcat ("gpt:", d->guid, NULL);
  return NULL;
}

static char *
lower_key (const char *prefix, const char *value)
{
  g_autofree char *v = g_ascii_strdown (value, -1);
  return g_strconcat (prefix, v, NULL);
}

static char *
lower_identity_key (const MachineDisk *d)
{
  g_autofree char *k = identity_key (d);
  return k ? g_ascii_strdown (k, -1) : NULL;
}

static const char *
in_use_phrase (const char *reason)
{
  if (g_strcmp0 (reason, "mounted") == 0)
    return "mounted";
  if (g_strcmp0 (reason, "swap") == 0)
    return "used as swap";
  if (g_strcmp0 (reason, "held") == 0)
    return "held by device-mapper, md or LVM";
  if (g_strcmp0 (reason, "running-system") == 0)
    return "holds the running system";
  if (g_strcmp0 (reason, "backup-set") == 0)
    return "holds the backup set";
  if (g_strcmp0 (reason, "locked") == 0)
    return "locked by another program";
  return reason;
}

static void
add_exclusion (GString **s, char *reason)
{
  if (*s == NULL)
    *s = g_string_new (NULL);
  else
    g_string_append (*s, "; ");
  g_string_append (*s, reason);
  g_free (reason);
}

/* What the backup's non-critical disks look like: a target disk that
 * carries one of these is that disk, and keeps its data.  WWNs are unique
 * by standard; serials are not (QEMU's defaults repeat), so they do not
 * protect. */
static GHashTable *
noncritical_index (const MachineDescriptor *src)
{
  GHashTable *noncritical = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < src->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (src->disks, i);
      if (d->critical == MACHINE_TRISTATE_YES)
        continue;
      char *k = lower_identity_key (d);
      if (k)
        g_hash_table_insert (noncritical, k, (gpointer) d);
      if (d->wwn)
        g_hash_table_insert (noncritical, lower_key ("wwn:", d->wwn), (gpointer) d);
    }
  return noncritical;
}

/* Why target disk @d may not be written, as far as the disk itself says:
 * in use, the identity of a non-critical disk, an unreadable partition
 * table.  The rules plan and restore's last check before writing share. */
typedef struct {
  gboolean in_use; /* any in-use reason but backup-set */
  gboolean holds_backup;
  gboolean protected_disk;
  gboolean unreadable;
} PlanProtection;

static void
protection_reasons (GHashTable *noncritical, const MachineDisk *d, PlanProtection *p,
                    GString **excluded)
{
  memset (p, 0, sizeof *p);
  for (guint u = 0; u < d->in_use->len; u++)
    {
      const MachineInUse *iu = g_ptr_array_index (d->in_use, u);
      if (g_strcmp0 (iu->reason, "backup-set") == 0)
        p->holds_backup = TRUE;
      else
        p->in_use = TRUE;
      add_exclusion (excluded,
                     g_strdup_printf ("%s%s%s%s", in_use_phrase (iu->reason),
                                      iu->detail ? " (" : "", iu->detail ? iu->detail : "",
                                      iu->detail ? ")" : ""));
    }
  g_autofree char *ik = lower_identity_key (d);
  const MachineDisk *nc = ik ? g_hash_table_lookup (noncritical, ik) : NULL;
  if (nc)
    {
      p->protected_disk = TRUE;
      g_autofree char *ident = plan_disk_identity (d);
      add_exclusion (excluded,
                     g_strdup_printf ("carries the %s of the backup's non-critical disk %s", ident,
                                      nc->id));
    }
  g_autofree char *wk = d->wwn ? lower_key ("wwn:", d->wwn) : NULL;
  const MachineDisk *ncw = wk ? g_hash_table_lookup (noncritical, wk) : NULL;
  if (ncw)
    p->protected_disk = TRUE;
  if (ncw && ncw != nc)
    add_exclusion (excluded, g_strdup_printf ("has the WWN %s of the backup's non-critical disk %s",
                                              d->wwn, ncw->id));
  /* A table asr cannot read is not a blank disk: Linux may read it, and
   * what it holds is unknown.  Only the user can say it may go. */
  if (d->ptable_unreadable)
    {
      p->unreadable = TRUE;
      add_exclusion (excluded,
                     g_strdup_printf ("its partition table cannot be read (%s), so what it "
                                      "holds is unknown%s",
                                      d->ptable_unreadable,
                                      p->protected_disk || p->holds_backup || p->in_use
                                        ? ""
                                        : ": only a --map naming it writes it"));
    }
}

/* The target's hardware: a plan restores onto one machine, so at most one
 * TARGET may describe it. */
static gboolean
take_target_hardware (PlanCtx *ctx, GPtrArray *targets, GError **error)
{
  const PlanTarget *hw_from = NULL;

  for (guint i = 0; i < targets->len; i++)
    {
      const PlanTarget *t = g_ptr_array_index (targets, i);
      if (!t->descriptor->hardware)
        continue;
      if (hw_from)
        {
          g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                       "TARGETs %s and %s both describe a machine's hardware: "
                       "a plan restores onto one machine",
                       hw_from->argument, t->argument);
          return FALSE;
        }
      hw_from = t;
      ctx->thw = t->descriptor->hardware;
    }
  return TRUE;
}

/* Target disk @d of TARGET @t as the plan shows it, named @name. */
static PlanTargetDisk *
target_disk_describe (const PlanTarget *t, const MachineDisk *d, const char *name)
{
  PlanTargetDisk *o = plan_target_disk_new (name);
  const MachineSource *src = machine_descriptor_find_source (t->descriptor, d->id);

  o->argument = g_strdup (t->argument);
  o->disk_id = g_strdup (d->id);
  if (src)
    o->path = g_strdup (src->path);
  o->bytes = d->bytes;
  o->has_bytes = d->has_bytes;
  o->logical_sector = d->logical_sector;
  o->serial = g_strdup (d->serial);
  o->wwn = g_strdup (d->wwn);
  for (guint b = 0; b < d->by_id->len; b++)
    g_ptr_array_add (o->by_id, g_strdup (g_ptr_array_index (d->by_id, b)));
  return o;
}

/* Whether @td may be written, and if not why, in td->out->excluded. */
static void
target_disk_judge (GHashTable *noncritical, PlanTDisk *td)
{
  const MachineDisk *d = td->disk;
  g_autoptr (GString) excluded = NULL;
  PlanProtection prot;

  protection_reasons (noncritical, d, &prot, &excluded);
  td->holds_backup = prot.holds_backup;
  td->protected_disk = prot.protected_disk;
  td->unreadable = prot.unreadable;
  /* the one exclusion a --map lifts */
  td->map_only
    = prot.unreadable && !prot.in_use && !prot.holds_backup && !prot.protected_disk && d->has_bytes;
  if (!d->has_bytes)
    add_exclusion (&excluded, g_strdup ("its size is not recorded"));

  td->out->excluded = excluded ? g_string_free (g_steal_pointer (&excluded), FALSE) : NULL;
  td->eligible = td->out->excluded == NULL;
}

/* Every disk of every TARGET, in order, each judged writable or not. */
static void
gather_target_disks (PlanCtx *ctx, GPtrArray *targets)
{
  g_autoptr (GHashTable) noncritical = noncritical_index (ctx->src);
  guint n = 0;

  for (guint i = 0; i < targets->len; i++)
    n += ((const PlanTarget *) g_ptr_array_index (targets, i))->descriptor->disks->len;
  ctx->targets = g_new0 (PlanTDisk, n);
  ctx->n_targets = n;
  guint k = 0;
  for (guint i = 0; i < targets->len; i++)
    {
      const PlanTarget *t = g_ptr_array_index (targets, i);
      const MachineDescriptor *m = t->descriptor;
      for (guint j = 0; j < m->disks->len; j++, k++)
        {
          const MachineDisk *d = g_ptr_array_index (m->disks, j);
          PlanTDisk *td = &ctx->targets[k];
          /* Several TARGETs are numbered as `asr probe` numbers them. */
          g_autofree char *name
            = targets->len == 1 ? g_strdup (d->id) : g_strdup_printf ("disk%u", k);

          td->disk = d;
          td->out = target_disk_describe (t, d, name);
          td->index = k;
          td->sector = plan_disk_sector (d);
          td->assigned = -1;
          target_disk_judge (noncritical, td);
          g_ptr_array_add (ctx->plan->targets, td->out);
        }
    }
}

/* The backup's critical disks, the ones the plan must place. */
static void
gather_source_disks (PlanCtx *ctx)
{
  guint n_crit = 0;
  for (guint i = 0; i < ctx->src->disks->len; i++)
    if (((MachineDisk *) g_ptr_array_index (ctx->src->disks, i))->critical == MACHINE_TRISTATE_YES)
      n_crit++;
  ctx->sources = g_new0 (PlanSDisk, n_crit);
  ctx->n_sources = n_crit;
  for (guint i = 0, s = 0; i < ctx->src->disks->len; i++)
    {
      const MachineDisk *d = g_ptr_array_index (ctx->src->disks, i);
      if (d->critical != MACHINE_TRISTATE_YES)
        continue;
      ctx->sources[s].disk = d;
      ctx->sources[s].index = s;
      ctx->sources[s].sector = plan_disk_sector (d);
      ctx->sources[s].target = -1;
      s++;
    }
}

gboolean
plan_gather_disks (PlanCtx *ctx, GPtrArray *targets, GError **error)
{
  if (!take_target_hardware (ctx, targets, error))
    return FALSE;
  gather_target_disks (ctx, targets);
  gather_source_disks (ctx);
  return TRUE;
}

gboolean
plan_recheck_target (const MachineDescriptor *backup, const PlanMapping *mapping,
                     const MachineDisk *now, const char *path, GError **error)
{
  g_autoptr (GHashTable) noncritical = NULL;
  g_autoptr (GString) why = NULL;
  PlanProtection prot;
  gboolean pinned;

  g_return_val_if_fail (backup != NULL && now != NULL && path != NULL, FALSE);

  noncritical = noncritical_index (backup);
  protection_reasons (noncritical, now, &prot, &why);
  pinned = mapping && mapping->reason && g_str_has_prefix (mapping->reason, PLAN_PINNED_BY_MAP);
  if (prot.in_use || prot.holds_backup || prot.protected_disk || (prot.unreadable && !pinned))
    {
      g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                   "%s has changed since it was planned (%s)%s: refusing to write it", path,
                   why->str,
                   prot.unreadable && !pinned ? " (the plan did not name it with --map)" : "");
      return FALSE;
    }
  return TRUE;
}

/* What a disk's layout is, in a few words, to compare and to tell. */
static char *
describe_layout (const MachineDisk *d)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autofree char *ident = plan_disk_identity (d);

  if (d->ptable == MACHINE_PTABLE_NONE)
    g_string_append (s, "no partition table");
  else
    g_string_append_printf (s, "%s%s", ident ? ident : machine_ptable_type_to_string (d->ptable),
                            d->ptable_unreadable ? " (unreadable)" : "");
  for (guint i = 0; i < d->partitions->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (d->partitions, i);
      g_string_append_printf (s, "%s p%u %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT, i ? "," : ";",
                              p->number, p->start, p->sectors);
    }
  if (d->incomplete)
    g_string_append (s, "; marked by an unfinished restore");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

gboolean
plan_recheck_target_since (const MachineDescriptor *backup, const PlanMapping *mapping,
                           const MachineDisk *before, const MachineDisk *now, const char *path,
                           GError **error)
{
  if (!plan_recheck_target (backup, mapping, now, path, error))
    return FALSE;
  if (before == NULL)
    return TRUE;
  g_autofree char *was = describe_layout (before);
  g_autofree char *is = describe_layout (now);
  if (g_ascii_strcasecmp (was, is) != 0)
    {
      g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                   "%s has changed since it was planned: another program wrote it (it was: %s; "
                   "it is now: %s), so it is in use elsewhere: refusing to write it",
                   path, was, is);
      return FALSE;
    }
  return TRUE;
}

/* --- --map --------------------------------------------------------------- */

static gboolean
target_matches (const PlanTDisk *t, const char *spec)
{
  const PlanTargetDisk *o = t->out;
  const char *byid
    = g_str_has_prefix (spec, "/dev/disk/by-id/") ? spec + strlen ("/dev/disk/by-id/") : spec;

  if (plan_id_equal (o->name, spec) || plan_id_equal (o->serial, spec)
      || plan_id_equal (o->wwn, spec))
    return TRUE;
  /* Paths are file names: compared canonical (t.raw, ./t.raw and the
   * absolute path that probe records are one file), then by device and
   * inode (a symlink or a hard link to it). */
  if (o->path != NULL)
    {
      g_autofree char *want = g_canonicalize_filename (spec, NULL);
      g_autofree char *have = g_canonicalize_filename (o->path, NULL);
      GStatBuf a, b;
      if (strcmp (want, have) == 0)
        return TRUE;
      if (g_stat (want, &a) == 0 && g_stat (have, &b) == 0 && a.st_dev == b.st_dev
          && a.st_ino == b.st_ino)
        return TRUE;
    }
  for (guint i = 0; i < o->by_id->len; i++)
    if (g_strcmp0 (g_ptr_array_index (o->by_id, i), byid) == 0)
      return TRUE;
  return FALSE;
}

static char *
list_names (const PlanCtx *ctx, gboolean sources)
{
  g_autoptr (GString) s = g_string_new (NULL);
  if (sources)
    for (guint i = 0; i < ctx->src->disks->len; i++)
      g_string_append_printf (s, "%s%s", i ? ", " : "",
                              ((MachineDisk *) g_ptr_array_index (ctx->src->disks, i))->id);
  else
    for (guint i = 0; i < ctx->n_targets; i++)
      g_string_append_printf (s, "%s%s", i ? ", " : "", ctx->targets[i].out->name);
  if (s->len == 0)
    g_string_append (s, "none");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
resolve_maps (PlanCtx *ctx, GError **error)
{
  for (guint i = 0; i < ctx->opt->maps->len; i++)
    {
      const PlanMapRequest *r = g_ptr_array_index (ctx->opt->maps, i);
      PlanSDisk *s = NULL;
      int found = -1;

      for (guint j = 0; j < ctx->n_sources; j++)
        if (plan_id_equal (ctx->sources[j].disk->id, r->source))
          s = &ctx->sources[j];
      if (s == NULL)
        {
          g_autofree char *names = list_names (ctx, TRUE);
          if (machine_descriptor_find_disk (ctx->src, r->source))
            g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                         "--map %s=%s: %s is not a critical disk of the backup: it is not restored",
                         r->source, r->target, r->source);
          else
            g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                         "--map %s=%s: the backup has no disk %s (its disks: %s)", r->source,
                         r->target, r->source, names);
          return FALSE;
        }
      for (guint j = 0; j < ctx->n_targets; j++)
        if (target_matches (&ctx->targets[j], r->target))
          {
            if (found >= 0)
              {
                g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                             "--map %s=%s: %s matches several target disks (%s and %s): "
                             "name one by its id",
                             r->source, r->target, r->target, ctx->targets[found].out->name,
                             ctx->targets[j].out->name);
                return FALSE;
              }
            found = (int) j;
          }
      if (found < 0)
        {
          g_autofree char *names = list_names (ctx, FALSE);
          g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                       "--map %s=%s: no target disk has the id, serial, WWN, by-id name or "
                       "path %s (target disks: %s)",
                       r->source, r->target, r->target, names);
          return FALSE;
        }
      if (ctx->targets[found].assigned >= 0)
        {
          const PlanSDisk *other = &ctx->sources[ctx->targets[found].assigned];
          g_set_error (error, PLANNER_ERROR, PLANNER_ERROR_INVALID,
                       "--map %s=%s: target disk %s is already the target of --map %s", r->source,
                       r->target, ctx->targets[found].out->name, other->map_spec);
          return FALSE;
        }
      s->target = found;
      s->pin = PLAN_PIN_MAP;
      s->map_spec = g_strdup_printf ("%s=%s", r->source, r->target);
      ctx->targets[found].assigned = (int) s->index;
    }
  return TRUE;
}

/* --- assignment ---------------------------------------------------------- */

static gboolean
fits (const PlanSDisk *s, const PlanTDisk *t)
{
  return t->eligible && t->disk->has_bytes && t->disk->bytes >= s->disk->bytes
         && t->sector == s->sector;
}

static void
assign (PlanCtx *ctx, PlanSDisk *s, PlanTDisk *t, PlanPin pin)
{
  s->target = (int) t->index;
  s->pin = pin;
  t->assigned = (int) s->index;
}

/* Pins sources to free fitting targets found in @index under @key. */
static void
pin_by_key (PlanCtx *ctx, GHashTable *index, PlanSDisk *s, const char *key, PlanPin pin)
{
  GArray *cands = key ? g_hash_table_lookup (index, key) : NULL;
  for (guint c = 0; cands && s->target < 0 && c < cands->len; c++)
    {
      PlanTDisk *t = &ctx->targets[g_array_index (cands, guint, c)];
      if (t->assigned < 0 && fits (s, t))
        assign (ctx, s, t, pin);
    }
}

static void
index_add (GHashTable *index, char *key, guint t)
{
  GArray *a = g_hash_table_lookup (index, key);
  if (a == NULL)
    {
      a = g_array_new (FALSE, FALSE, sizeof (guint));
      g_hash_table_insert (index, key, a);
    }
  else
    g_free (key);
  g_array_append_val (a, t);
}

static int
cmp_sources (gconstpointer a, gconstpointer b, gpointer data)
{
  const PlanSDisk *x = *(PlanSDisk *const *) a, *y = *(PlanSDisk *const *) b;
  if (x->sector != y->sector)
    return x->sector < y->sector ? -1 : 1;
  if (x->disk->bytes != y->disk->bytes)
    return x->disk->bytes < y->disk->bytes ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static int
cmp_targets (gconstpointer a, gconstpointer b, gpointer data)
{
  const PlanTDisk *x = *(PlanTDisk *const *) a, *y = *(PlanTDisk *const *) b;
  if (x->sector != y->sector)
    return x->sector < y->sector ? -1 : 1;
  if (x->disk->bytes != y->disk->bytes)
    return x->disk->bytes < y->disk->bytes ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* One full search with --map pins kept; returns how many sources are left
 * without a disk. */
static guint
search (PlanCtx *ctx, gboolean identity)
{
  for (guint i = 0; i < ctx->n_targets; i++)
    if (ctx->targets[i].assigned >= 0 && ctx->sources[ctx->targets[i].assigned].pin != PLAN_PIN_MAP)
      ctx->targets[i].assigned = -1;
  for (guint i = 0; i < ctx->n_sources; i++)
    if (ctx->sources[i].pin != PLAN_PIN_MAP)
      {
        ctx->sources[i].target = -1;
        ctx->sources[i].pin = PLAN_PIN_NONE;
      }

  if (identity)
    {
      g_autoptr (GHashTable) sig
        = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
      g_autoptr (GHashTable) ser
        = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
      for (guint i = 0; i < ctx->n_targets; i++)
        {
          const MachineDisk *d = ctx->targets[i].disk;
          char *k = lower_identity_key (d);
          if (k)
            index_add (sig, k, i);
          if (d->serial && *d->serial)
            index_add (ser, lower_key ("serial:", d->serial), i);
          if (d->wwn && *d->wwn)
            index_add (ser, lower_key ("wwn:", d->wwn), i);
        }
      for (guint i = 0; i < ctx->n_sources; i++)
        if (ctx->sources[i].target < 0)
          {
            g_autofree char *k = lower_identity_key (ctx->sources[i].disk);
            pin_by_key (ctx, sig, &ctx->sources[i], k, PLAN_PIN_SIGNATURE);
          }
      for (guint i = 0; i < ctx->n_sources; i++)
        {
          PlanSDisk *s = &ctx->sources[i];
          if (s->target >= 0)
            continue;
          g_autofree char *ks
            = s->disk->serial && *s->disk->serial ? lower_key ("serial:", s->disk->serial) : NULL;
          g_autofree char *kw
            = s->disk->wwn && *s->disk->wwn ? lower_key ("wwn:", s->disk->wwn) : NULL;
          pin_by_key (ctx, ser, s, kw, PLAN_PIN_SERIAL);
          pin_by_key (ctx, ser, s, ks, PLAN_PIN_SERIAL);
        }
    }

  g_autoptr (GPtrArray) ss = g_ptr_array_new ();
  g_autoptr (GPtrArray) ts = g_ptr_array_new ();
  for (guint i = 0; i < ctx->n_sources; i++)
    if (ctx->sources[i].target < 0 && ctx->sources[i].disk->has_bytes)
      g_ptr_array_add (ss, &ctx->sources[i]);
  for (guint i = 0; i < ctx->n_targets; i++)
    if (ctx->targets[i].assigned < 0 && ctx->targets[i].eligible)
      g_ptr_array_add (ts, &ctx->targets[i]);
  g_ptr_array_sort_with_data (ss, cmp_sources, NULL);
  g_ptr_array_sort_with_data (ts, cmp_targets, NULL);

  guint left = 0, j = 0;
  for (guint i = 0; i < ss->len; i++)
    {
      PlanSDisk *s = g_ptr_array_index (ss, i);
      while (j < ts->len)
        {
          const PlanTDisk *t = g_ptr_array_index (ts, j);
          if (t->sector < s->sector || (t->sector == s->sector && t->disk->bytes < s->disk->bytes))
            j++;
          else
            break;
        }
      if (j < ts->len && ((PlanTDisk *) g_ptr_array_index (ts, j))->sector == s->sector)
        assign (ctx, s, g_ptr_array_index (ts, j++), PLAN_PIN_CAPACITY);
    }
  for (guint i = 0; i < ctx->n_sources; i++)
    if (ctx->sources[i].target < 0)
      left++;
  return left;
}

/* Why @s has no disk: the nearest miss, and disks that would fit but may
 * not be written. */
static char *
explain_unmapped (const PlanCtx *ctx, const PlanSDisk *s)
{
  const PlanTDisk *largest = NULL;
  g_autoptr (GString) r = g_string_new (NULL);
  g_autoptr (GString) taken = g_string_new (NULL);
  g_autoptr (GString) excluded = g_string_new (NULL);

  if (!s->disk->has_bytes)
    return g_strdup_printf ("the size of %s is not recorded in the backup", s->disk->id);

  for (guint i = 0; i < ctx->n_targets; i++)
    {
      const PlanTDisk *t = &ctx->targets[i];
      gboolean big = t->disk->has_bytes && t->disk->bytes >= s->disk->bytes;
      if (!t->eligible)
        {
          if (big && excluded->len < 400)
            g_string_append_printf (excluded,
                                    "; target %s (%" G_GUINT64_FORMAT " bytes) would fit but %s",
                                    t->out->name, t->disk->bytes, t->out->excluded);
          continue;
        }
      if (t->sector != s->sector)
        {
          if (big)
            g_string_append_printf (excluded, "; target %s has %u-byte logical sectors",
                                    t->out->name, t->sector);
          continue;
        }
      if (big && t->assigned >= 0 && taken->len < 400)
        g_string_append_printf (taken, "%starget %s (to %s)", taken->len ? ", " : "", t->out->name,
                                ctx->sources[t->assigned].disk->id);
      if (largest == NULL || t->disk->bytes > largest->disk->bytes)
        largest = t;
    }

  if (taken->len)
    g_string_append_printf (r,
                            "every eligible target disk of at least %" G_GUINT64_FORMAT
                            " bytes is taken: %s",
                            s->disk->bytes, taken->str);
  else if (largest)
    {
      guint64 short_by = s->disk->bytes - largest->disk->bytes;
      g_string_append_printf (r,
                              "no eligible target disk has %" G_GUINT64_FORMAT
                              " bytes: the largest, target %s, has %" G_GUINT64_FORMAT
                              " (%" G_GUINT64_FORMAT " byte%s too small)",
                              s->disk->bytes, largest->out->name, largest->disk->bytes, short_by,
                              short_by == 1 ? "" : "s");
    }
  else
    g_string_append_printf (r, "no eligible target disk with %u-byte sectors", s->sector);
  g_string_append (r, excluded->str);
  return g_string_free (g_steal_pointer (&r), FALSE);
}

/* A target that could take @s instead of @t, found only by the order its
 * TARGET listed the disks: another eligible disk of the same TARGET with
 * @t's size and sector size, spare or itself chosen by capacity (a disk
 * pinned by --map or an identity is told apart).  The order of TARGET
 * arguments is the user's; the order of one TARGET's disks (kernel names
 * for `local`) says nothing about which disk is which. */
static const PlanTDisk *
find_tie (const PlanCtx *ctx, const PlanSDisk *s)
{
  const PlanTDisk *t = &ctx->targets[s->target];

  for (guint i = 0; i < ctx->n_targets; i++)
    {
      const PlanTDisk *o = &ctx->targets[i];
      if (o == t || !o->eligible || !fits (s, o) || o->disk->bytes != t->disk->bytes
          || o->sector != t->sector || g_strcmp0 (o->out->argument, t->out->argument) != 0)
        continue;
      if (o->assigned < 0 || ctx->sources[o->assigned].pin == PLAN_PIN_CAPACITY)
        return o;
    }
  return NULL;
}

gboolean
plan_map_disks (PlanCtx *ctx, GError **error)
{
  if (!resolve_maps (ctx, error))
    return FALSE;

  ctx->identity_dropped = FALSE;
  guint left = search (ctx, TRUE);
  if (left > 0)
    {
      /* Remember the identity result; keep it unless dropping the
       * identity pins maps more disks. */
      g_autofree int *saved = g_new (int, ctx->n_sources + 1);
      g_autofree PlanPin *saved_pin = g_new (PlanPin, ctx->n_sources + 1);
      for (guint i = 0; i < ctx->n_sources; i++)
        {
          saved[i] = ctx->sources[i].target;
          saved_pin[i] = ctx->sources[i].pin;
        }
      guint left2 = search (ctx, FALSE);
      if (left2 < left)
        ctx->identity_dropped = TRUE;
      else
        {
          for (guint i = 0; i < ctx->n_targets; i++)
            if (ctx->targets[i].assigned >= 0
                && ctx->sources[ctx->targets[i].assigned].pin != PLAN_PIN_MAP)
              ctx->targets[i].assigned = -1;
          for (guint i = 0; i < ctx->n_sources; i++)
            {
              ctx->sources[i].target = saved[i];
              ctx->sources[i].pin = saved_pin[i];
              if (saved[i] >= 0)
                ctx->targets[saved[i]].assigned = (int) i;
            }
        }
    }

  /* --shrink: a disk no target fits takes the largest one left; the
   * capacity check then says whether its volume shrinks enough */
  for (guint i = 0; ctx->opt->shrink && i < ctx->n_sources; i++)
    {
      PlanSDisk *s = &ctx->sources[i];
      PlanTDisk *best = NULL;
      if (s->target >= 0 || !s->disk->has_bytes)
        continue;
      for (guint j = 0; j < ctx->n_targets; j++)
        {
          PlanTDisk *t = &ctx->targets[j];
          if (t->assigned < 0 && t->eligible && t->disk->has_bytes && t->sector == s->sector
              && (best == NULL || t->disk->bytes > best->disk->bytes))
            best = t;
        }
      if (best)
        assign (ctx, s, best, PLAN_PIN_SHRINK);
    }

  for (guint i = 0; i < ctx->n_sources; i++)
    {
      const PlanSDisk *s = &ctx->sources[i];
      PlanMapping *m = plan_mapping_new (s->disk->id);
      m->source_bytes = s->disk->bytes;
      if (s->target >= 0)
        {
          const PlanTDisk *t = &ctx->targets[s->target];
          m->target = g_strdup (t->out->name);
          m->target_bytes = t->disk->bytes;
          g_free (t->out->source);
          t->out->source = g_strdup (s->disk->id);
          switch (s->pin)
            {
            case PLAN_PIN_MAP:
              m->reason = g_strdup_printf (PLAN_PINNED_BY_MAP "%s", s->map_spec);
              break;
            case PLAN_PIN_SIGNATURE:
              {
                g_autofree char *ident = plan_disk_identity (s->disk);
                m->reason = g_strdup_printf ("carries the source's %s", ident);
              }
              break;
            case PLAN_PIN_SERIAL:
              if (plan_id_equal (s->disk->wwn, t->disk->wwn))
                m->reason = g_strdup_printf ("same WWN %s", t->disk->wwn);
              else
                m->reason = g_strdup_printf ("same serial %s", t->disk->serial);
              break;
            case PLAN_PIN_SHRINK:
              m->reason = g_strdup_printf ("no free eligible disk has %" G_GUINT64_FORMAT
                                           " bytes: the largest with %u-byte sectors, for --shrink",
                                           s->disk->bytes, s->sector);
              break;
            case PLAN_PIN_CAPACITY:
            case PLAN_PIN_NONE:
              {
                const PlanTDisk *tie = find_tie (ctx, s);
                m->reason
                  = g_strdup_printf ("smallest free eligible disk of at least %" G_GUINT64_FORMAT
                                     " bytes with %u-byte sectors%s%s%s",
                                     s->disk->bytes, s->sector, tie ? "; so is target " : "",
                                     tie ? tie->out->name : "",
                                     tie ? ": chosen by disk order" : "");
                if (tie)
                  m->tie = g_strdup (tie->out->name);
              }
              break;
            }
        }
      else
        m->reason = explain_unmapped (ctx, s);
      g_ptr_array_add (ctx->plan->mappings, m);
    }
  return TRUE;
}

/* --- checks -------------------------------------------------------------- */

static const char *
tname (const PlanCtx *ctx, int t)
{
  return ctx->targets[t].out->name;
}

static void
check_disk_count (PlanCtx *ctx)
{
  PlanCheck *c = plan_check_new ("disk-count");
  guint eligible = 0;

  for (guint i = 0; i < ctx->n_targets; i++)
    if (ctx->targets[i].eligible || (ctx->targets[i].map_only && ctx->targets[i].assigned >= 0))
      eligible++;
  if (ctx->n_sources == 0)
    plan_check_add (c, PLAN_STATUS_FAIL,
                    "the backup has no critical disk: there is nothing to restore");
  else if (ctx->n_targets == 0)
    plan_check_add (c, PLAN_STATUS_FAIL,
                    "the target has no disks; the backup has %u critical disk%s", ctx->n_sources,
                    ctx->n_sources == 1 ? "" : "s");
  else if (eligible < ctx->n_sources)
    plan_check_add (c, PLAN_STATUS_FAIL,
                    "%u critical disk%s need%s %u distinct target disk%s; only %u of the %u target "
                    "disks %s eligible",
                    ctx->n_sources, ctx->n_sources == 1 ? "" : "s", ctx->n_sources == 1 ? "s" : "",
                    ctx->n_sources, ctx->n_sources == 1 ? "" : "s", eligible, ctx->n_targets,
                    eligible == 1 ? "is" : "are");
  else
    plan_check_add (c, PLAN_STATUS_PASS, "%u critical disk%s, %u eligible target disk%s of %u",
                    ctx->n_sources, ctx->n_sources == 1 ? "" : "s", eligible,
                    eligible == 1 ? "" : "s", ctx->n_targets);
  g_ptr_array_add (ctx->plan->checks, c);
}

static void
check_noncritical (PlanCtx *ctx)
{
  PlanCheck *c = plan_check_new ("noncritical-protection");
  guint n_nc = 0;

  for (guint i = 0; i < ctx->src->disks->len; i++)
    if (((MachineDisk *) g_ptr_array_index (ctx->src->disks, i))->critical != MACHINE_TRISTATE_YES)
      n_nc++;
  for (guint i = 0; i < ctx->n_targets; i++)
    {
      const PlanTDisk *t = &ctx->targets[i];
      if (t->unreadable && !t->protected_disk && !t->holds_backup)
        {
          if (t->assigned >= 0)
            plan_check_add (c, PLAN_STATUS_WARN,
                            "target %s: its partition table cannot be read (%s): --map %s names "
                            "it, so whatever it holds is overwritten",
                            t->out->name, t->disk->ptable_unreadable,
                            ctx->sources[t->assigned].map_spec);
          else
            plan_check_add (c, PLAN_STATUS_PASS, "target %s: %s: not written", t->out->name,
                            t->out->excluded);
          continue;
        }
      if (!t->protected_disk && !t->holds_backup)
        continue;
      if (t->assigned >= 0)
        plan_check_add (c, PLAN_STATUS_FAIL, "target %s %s: --map %s would write it", t->out->name,
                        t->out->excluded, ctx->sources[t->assigned].map_spec);
      else
        plan_check_add (c, PLAN_STATUS_PASS, "target %s %s: never written", t->out->name,
                        t->out->excluded);
    }
  if (c->findings->len == 0)
    {
      if (n_nc == 0)
        plan_check_add (c, PLAN_STATUS_PASS,
                        "the backup has no non-critical disks, and no target disk holds the backup "
                        "set");
      else
        plan_check_add (c, PLAN_STATUS_PASS,
                        "no target disk carries the signature/GUID or WWN of the backup's %u "
                        "non-critical disk%s or holds the backup set",
                        n_nc, n_nc == 1 ? "" : "s");
    }
  g_ptr_array_add (ctx->plan->checks, c);
}

static void
check_in_use (PlanCtx *ctx)
{
  PlanCheck *c = plan_check_new ("in-use");

  for (guint i = 0; i < ctx->n_targets; i++)
    {
      const PlanTDisk *t = &ctx->targets[i];
      for (guint u = 0; u < t->disk->in_use->len; u++)
        {
          const MachineInUse *iu = g_ptr_array_index (t->disk->in_use, u);
          if (g_strcmp0 (iu->reason, "backup-set") == 0)
            continue; /* reported by noncritical-protection */
          if (t->assigned >= 0)
            plan_check_add (c, PLAN_STATUS_FAIL, "target %s is %s%s%s%s: --map %s would write it",
                            t->out->name, in_use_phrase (iu->reason), iu->detail ? " (" : "",
                            iu->detail ? iu->detail : "", iu->detail ? ")" : "",
                            ctx->sources[t->assigned].map_spec);
          else
            plan_check_add (c, PLAN_STATUS_PASS, "target %s is %s%s%s%s: not eligible",
                            t->out->name, in_use_phrase (iu->reason), iu->detail ? " (" : "",
                            iu->detail ? iu->detail : "", iu->detail ? ")" : "");
        }
      if (t->disk->incomplete && t->assigned >= 0)
        plan_check_add (c, PLAN_STATUS_WARN,
                        "target %s was left by an interrupted restore: it will be rewritten from "
                        "the start",
                        t->out->name);
      else if (t->disk->incomplete)
        plan_check_add (c, PLAN_STATUS_WARN,
                        "target %s was left by an interrupted restore and is not used by this plan",
                        t->out->name);
    }
  if (c->findings->len == 0)
    plan_check_add (c, PLAN_STATUS_PASS,
                    "no target disk is recorded as mounted, swap, held or holding the running "
                    "system");
  g_ptr_array_add (ctx->plan->checks, c);
}

typedef struct {
  PlanCtx *ctx;
  PlanCheck *c;
} MinCtx;

/* --shrink: the least partition @p's filesystem may have, from the backup
 * set's image (PlanOptions.min_bytes); 0, with a warning, when it cannot
 * be known here (MachineMinBytesFunc). */
static gboolean
shrink_min_bytes (const MachineDisk *d, const MachinePartition *p, guint64 *min, void *opaque,
                  GError **error)
{
  MinCtx *mc = opaque;
  const MachineVolume *v = p->volume;
  g_autoptr (GError) local = NULL;

  *min = 0;
  if (mc->ctx->opt->min_bytes == NULL || mc->ctx->backup->dir == NULL)
    {
      plan_check_add (mc->c, PLAN_STATUS_WARN,
                      "--shrink: the minimum size of the %s on %s partition %u is not known "
                      "without the backup set's images: restore checks it before the first write",
                      v->fs, d->id, p->number);
      return TRUE;
    }
  if (!mc->ctx->opt->min_bytes (mc->ctx->backup->dir, v->image->file, v->image->format,
                                v->image->bytes, v->fs, min, mc->ctx->opt->min_bytes_opaque,
                                &local))
    {
      g_set_error (error, MACHINE_ERROR, MACHINE_ERROR_INVALID,
                   "--shrink: the %s on %s partition %u: %s", v->fs, d->id, p->number,
                   local->message);
      return FALSE;
    }
  return TRUE;
}

/* What --shrink takes from each partition, for the capacity finding. */
static char *
describe_shrunk (const MachineLayout *l)
{
  GString *s = g_string_new (NULL);
  for (guint j = 0; j < l->shrunk->len; j++)
    {
      const MachineShrink *sh = &g_array_index (l->shrunk, MachineShrink, j);
      const MachinePartition *p = sh->partition;
      const MachineExtent *e = machine_layout_extent (l, p);
      if (sh->lost == 0)
        continue;
      g_string_append_printf (s,
                              "%spartition %u and its %s shrink from %" G_GUINT64_FORMAT
                              " to %" G_GUINT64_FORMAT " sectors",
                              s->len ? "; " : "", p->number, p->volume->fs, p->sectors, e->sectors);
      gboolean recreated = machine_fs_shrinks_by_copy (p->volume->fs);
      if (g_strcmp0 (p->volume->fs, "swap") == 0)
        g_string_append (s, " (recreated smaller)");
      else if (sh->min_bytes)
        g_string_append_printf (s,
                                " (%sit needs at least %" G_GUINT64_FORMAT
                                " bytes: its minimum and the margin)",
                                recreated ? "recreated smaller, its files copied; " : "",
                                sh->min_bytes);
      else if (recreated)
        g_string_append (s, " (recreated smaller, its files copied)");
    }
  return g_string_free (s, FALSE);
}

/* --grow or --shrink onto target @t: the layout restore will write
 * (machine_layout_new), recorded in @m, and a finding saying what is
 * resized and what moves, or why it cannot be.  TRUE when the volume is
 * on this disk (or the option was refused). */
static gboolean
plan_grow (PlanCtx *ctx, PlanCheck *c, const PlanSDisk *s, const PlanTDisk *t, PlanMapping *m)
{
  g_autoptr (GError) error = NULL;
  MinCtx mc = { ctx, c };
  MachineLayoutOptions lo = { .grow = ctx->opt->grow,
                              .shrink = ctx->opt->shrink,
                              .min_bytes = shrink_min_bytes,
                              .min_bytes_opaque = &mc };
  g_autoptr (MachineLayout) l = machine_layout_new (ctx->src, s->disk, t->disk->bytes, &lo, &error);
  guint moved = 0;

  if (l == NULL)
    {
      plan_check_add (c, PLAN_STATUS_FAIL, "%s → target %s: %s", s->disk->id, t->out->name,
                      error->message);
      return TRUE;
    }
  if (l->holds && l->grown == NULL)
    plan_check_add (c, PLAN_STATUS_WARN,
                    "%s → target %s: --grow=%s: no room after the last partition: nothing grows",
                    s->disk->id, t->out->name, l->grow_mountpoint);
  if (l->grown == NULL)
    return l->holds; /* not on this disk, or no room: restored as captured */
  m->layout = g_array_new (FALSE, FALSE, sizeof (PlanPartitionMove));
  for (guint i = 0; i < s->disk->partitions->len; i++)
    {
      const MachinePartition *p = g_ptr_array_index (s->disk->partitions, i);
      const MachineShrink *sh = machine_layout_shrink_of (l, p);
      PlanPartitionMove mv = { p->number,
                               p->start,
                               p->sectors,
                               l->extents[i].start,
                               l->extents[i].sectors,
                               sh && sh->lost ? sh->min_bytes : 0 };
      g_array_append_val (m->layout, mv);
      if (mv.new_start != mv.start)
        moved++;
    }
  const MachineExtent *e = machine_layout_extent (l, l->grown);
  if (l->shrinks)
    {
      g_autofree char *what = describe_shrunk (l);
      g_autofree char *moves
        = moved ? g_strdup_printf ("%u partition%s after %s move%s towards the start", moved,
                                   moved == 1 ? "" : "s", l->shrunk->len > 1 ? "them" : "it",
                                   moved == 1 ? "s" : "")
                : g_strdup ("nothing moves");
      plan_check_add (c, PLAN_STATUS_PASS, "%s → target %s: --shrink=%s: %s; %s (Layout below)",
                      s->disk->id, t->out->name, l->grow_mountpoint, what, moves);
      return TRUE;
    }
  g_autofree char *what
    = l->grow_lv ? g_strdup_printf ("its LVM physical volume, logical volume %s/%s and its %s",
                                    l->grow_vg->name, l->grow_lv->name, l->grow_volume->fs)
                 : g_strdup_printf ("its %s", l->grow_volume->fs);
  plan_check_add (c, PLAN_STATUS_PASS,
                  "%s → target %s: --grow=%s: partition %u and %s grow from %" G_GUINT64_FORMAT
                  " to %" G_GUINT64_FORMAT " sectors; %u partition%s after it move%s towards the "
                  "end (Layout below)",
                  s->disk->id, t->out->name, l->grow_mountpoint, l->grown->number, what,
                  l->grown->sectors, e->sectors, moved, moved == 1 ? "" : "s",
                  moved == 1 ? "s" : "");
  return TRUE;
}

/* Whether a critical disk of the backup holds the volume at @mp, whatever
 * its target's size. */
static gboolean
grow_volume_is_critical (PlanCtx *ctx, const char *mp)
{
  MachineLayoutOptions lo = { .grow = mp };
  for (guint i = 0; i < ctx->n_sources; i++)
    {
      const MachineDisk *d = ctx->sources[i].disk;
      g_autoptr (MachineLayout) l
        = machine_layout_new (ctx->src, d, d->bytes + (G_GUINT64_CONSTANT (1) << 30), &lo, NULL);
      if (l && l->holds)
        return TRUE;
    }
  return FALSE;
}

static void
check_capacity (PlanCtx *ctx)
{
  PlanCheck *c = plan_check_new ("capacity");
  /* --grow (--shrink): a disk mapped to a larger (smaller) target, and
   * one of them holding the volume, or refused */
  gboolean grow_applies = FALSE, grow_found = FALSE;
  gboolean shrink_applies = FALSE, shrink_found = FALSE;

  for (guint i = 0; i < ctx->n_sources; i++)
    {
      const PlanSDisk *s = &ctx->sources[i];
      const PlanMapping *m = g_ptr_array_index (ctx->plan->mappings, i);
      if (s->target < 0)
        {
          plan_check_add (c, PLAN_STATUS_FAIL, "%s (%" G_GUINT64_FORMAT " bytes): %s", s->disk->id,
                          s->disk->bytes, m->reason);
          continue;
        }
      const PlanTDisk *t = &ctx->targets[s->target];
      if (!s->disk->has_bytes)
        plan_check_add (c, PLAN_STATUS_FAIL,
                        "%s → target %s: the size of %s is not recorded in the backup", s->disk->id,
                        tname (ctx, s->target), s->disk->id);
      else if (!t->disk->has_bytes)
        plan_check_add (c, PLAN_STATUS_FAIL,
                        "%s → target %s: the size of target %s is not recorded", s->disk->id,
                        tname (ctx, s->target), tname (ctx, s->target));
      else if (t->disk->bytes < s->disk->bytes && ctx->opt->shrink)
        {
          /* the layout's own findings say whether it fits */
          guint before = c->findings->len;
          shrink_applies = TRUE;
          if (plan_grow (ctx, c, s, t, (PlanMapping *) m))
            shrink_found = TRUE;
          if (m->layout == NULL && c->findings->len == before)
            plan_check_add (c, PLAN_STATUS_FAIL,
                            "%s → target %s: target %s has %" G_GUINT64_FORMAT
                            " bytes, fewer than %s's %" G_GUINT64_FORMAT
                            ", and --shrink=%s shrinks nothing on it",
                            s->disk->id, t->out->name, t->out->name, t->disk->bytes, s->disk->id,
                            s->disk->bytes, ctx->opt->shrink);
        }
      else if (t->disk->bytes < s->disk->bytes)
        {
          guint64 d = s->disk->bytes - t->disk->bytes;
          plan_check_add (c, PLAN_STATUS_FAIL,
                          "%s → target %s: target %s has %" G_GUINT64_FORMAT
                          " bytes, %" G_GUINT64_FORMAT " byte%s fewer than %s's %" G_GUINT64_FORMAT,
                          s->disk->id, t->out->name, t->out->name, t->disk->bytes, d,
                          d == 1 ? "" : "s", s->disk->id, s->disk->bytes);
        }
      else
        {
          plan_check_add (c, PLAN_STATUS_PASS,
                          "%s (%" G_GUINT64_FORMAT " bytes) → target %s (%" G_GUINT64_FORMAT
                          " bytes): %" G_GUINT64_FORMAT " bytes spare",
                          s->disk->id, s->disk->bytes, t->out->name, t->disk->bytes,
                          t->disk->bytes - s->disk->bytes);
          if (ctx->opt->grow && t->disk->bytes > s->disk->bytes)
            {
              grow_applies = TRUE;
              if (plan_grow (ctx, c, s, t, (PlanMapping *) m))
                grow_found = TRUE;
            }
        }
    }
  for (guint i = 0; i < ctx->n_sources; i++)
    {
      const PlanMapping *m = g_ptr_array_index (ctx->plan->mappings, i);
      if (m->target && m->tie)
        plan_check_add (c, PLAN_STATUS_WARN,
                        "%s → target %s: target %s fits as well and nothing tells the two "
                        "apart (same size and sector size, no identity of %s on either): "
                        "chosen by disk order; name the disk with --map %s=DISK, or a restore "
                        "with --yes refuses",
                        m->source, m->target, m->tie, m->source, m->source);
    }
  if (grow_applies && !grow_found && grow_volume_is_critical (ctx, ctx->opt->grow))
    plan_check_add (c, PLAN_STATUS_WARN,
                    "--grow=%s: the disk holding %s is not mapped to a larger target: nothing "
                    "grows",
                    ctx->opt->grow, ctx->opt->grow);
  else if (grow_applies && !grow_found)
    plan_check_add (c, PLAN_STATUS_FAIL,
                    "--grow=%s: no critical disk holds %s: nothing restored would grow",
                    ctx->opt->grow, ctx->opt->grow);
  if (shrink_applies && !shrink_found)
    plan_check_add (c, PLAN_STATUS_FAIL,
                    "--shrink=%s: no critical disk mapped to a smaller target holds %s: nothing "
                    "restored would shrink",
                    ctx->opt->shrink, ctx->opt->shrink);
  if (ctx->identity_dropped)
    plan_check_add (c, PLAN_STATUS_WARN,
                    "keeping every signature/GUID and serial/WWN match left a disk without a "
                    "target; "
                    "this mapping ignores those matches so that every disk has one");
  if (c->findings->len == 0)
    plan_check_add (c, PLAN_STATUS_FAIL, "no critical disk to compare");
  g_ptr_array_add (ctx->plan->checks, c);
}

static void
check_sector_size (PlanCtx *ctx)
{
  PlanCheck *c = plan_check_new ("sector-size");

  for (guint i = 0; i < ctx->n_sources; i++)
    {
      const PlanSDisk *s = &ctx->sources[i];
      if (s->target < 0)
        continue;
      const PlanTDisk *t = &ctx->targets[s->target];
      if (s->sector != t->sector)
        plan_check_add (c, PLAN_STATUS_FAIL,
                        s->sector < t->sector
                          ? "%s → target %s: a %u-byte-sector layout cannot go to a disk with "
                            "%u-byte logical sectors as is"
                          : "%s → target %s: a %u-byte-sector layout is recreated in its own "
                            "sector units, not converted to %u-byte sectors",
                        s->disk->id, t->out->name, s->sector, t->sector);
      else if (s->disk->logical_sector == 0 || t->disk->logical_sector == 0)
        plan_check_add (c, PLAN_STATUS_WARN,
                        "%s → target %s: not compared: the logical sector size of %s%s is not "
                        "recorded (taken as 512)",
                        s->disk->id, t->out->name, s->disk->logical_sector == 0 ? "" : "target ",
                        s->disk->logical_sector == 0 ? s->disk->id : t->out->name);
      else
        plan_check_add (c, PLAN_STATUS_PASS, "%s → target %s: %u-byte logical sectors on both",
                        s->disk->id, t->out->name, s->sector);
    }
  if (c->findings->len == 0)
    plan_check_add (c, PLAN_STATUS_WARN, "not compared: no disk is mapped");
  g_ptr_array_add (ctx->plan->checks, c);
}

void
plan_map_checks (PlanCtx *ctx)
{
  check_disk_count (ctx);
  check_noncritical (ctx);
  check_in_use (ctx);
  check_capacity (ctx);
  check_sector_size (ctx);
}
