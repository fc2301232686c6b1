/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LVM2's text metadata: what a volume group says about itself, read from
 * the metadata area of one of its physical volumes (libguestfs vgmeta) or
 * from a vgcfgbackup file.  Both are the same "Text Format Volume Group":
 *
 *   vg0 {
 *     id = "63USpb-..."
 *     extent_size = 8192            # in 512-byte sectors
 *     physical_volumes { pv0 { id = "..."  pe_start = 2048  pe_count = 415 } }
 *     logical_volumes {
 *       root { id = "..."  status = ["READ", "WRITE", "VISIBLE"]
 *              segment1 { start_extent = 0  extent_count = 256
 *                         type = "striped"  stripe_count = 1
 *                         stripes = [ "pv0", 0 ] } }
 *     }
 *   }
 *   contents = "Text Format Volume Group"
 *
 * The text comes from a disk image: it is hostile.  The reader is a small
 * tokenizer and a recursive descent bounded in size, depth and count; every
 * number is checked before it is multiplied into bytes.
 */
#include "config.h"

#include <string.h>

#include "probe-private.h"

#define LVM_TEXT_MAX_DEPTH 8
#define LVM_TEXT_MAX_NODES 1000000u
#define LVM_TEXT_MAX_STRING 4096u

typedef enum {
  NODE_SECTION,
  NODE_INT,
  NODE_STRING,
  NODE_ARRAY,
} NodeKind;

typedef struct _Node Node;
struct _Node {
  char *key; /* NULL for array elements */
  NodeKind kind;
  gint64 i;
  char *s;
  GPtrArray *children; /* Node*: a section's entries, an array's elements */
};

static void
node_free (Node *n)
{
  if (n == NULL)
    return;
  g_free (n->key);
  g_free (n->s);
  if (n->children)
    g_ptr_array_unref (n->children);
  g_free (n);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Node, node_free)

static Node *
node_new (NodeKind kind, char *key)
{
  Node *n = g_new0 (Node, 1);
  n->kind = kind;
  n->key = key;
  if (kind == NODE_SECTION || kind == NODE_ARRAY)
    n->children = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  return n;
}

typedef struct {
  const char *p, *end;
  guint line;
  guint nodes;
  GError **error;
} Reader;

static gboolean reader_fail (Reader *r, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
reader_fail (Reader *r, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (r->error && *r->error == NULL)
    g_set_error (r->error, ASR_PROBE_ERROR, ASR_PROBE_ERROR_INVALID_INPUT,
                 "LVM metadata line %u: %s", r->line, msg);
  return FALSE;
}

static void
skip_space (Reader *r)
{
  while (r->p < r->end)
    {
      if (*r->p == '\n')
        r->line++;
      if (*r->p == '#')
        {
          while (r->p < r->end && *r->p != '\n')
            r->p++;
          continue;
        }
      if (*r->p != ' ' && *r->p != '\t' && *r->p != '\n' && *r->p != '\r')
        return;
      r->p++;
    }
}

static gboolean
is_ident_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-' || c == '.' || c == '+' || c == '/';
}

static char *
read_ident (Reader *r)
{
  const char *start = r->p;
  while (r->p < r->end && is_ident_char (*r->p) && r->p - start < (ptrdiff_t) LVM_TEXT_MAX_STRING)
    r->p++;
  if (r->p == start)
    return NULL;
  return g_strndup (start, r->p - start);
}

static Node *
read_value (Reader *r, char *key, gboolean in_array)
{
  skip_space (r);
  if (r->p >= r->end)
    {
      g_free (key);
      reader_fail (r, "a value is missing at the end");
      return NULL;
    }
  if (++r->nodes > LVM_TEXT_MAX_NODES)
    {
      g_free (key);
      reader_fail (r, "more than %u values", LVM_TEXT_MAX_NODES);
      return NULL;
    }
  if (*r->p == '"')
    {
      g_autoptr (GString) s = g_string_new (NULL);
      r->p++;
      while (r->p < r->end && *r->p != '"')
        {
          if (*r->p == '\\' && r->p + 1 < r->end)
            r->p++;
          if (*r->p == '\n' || *r->p == '\0')
            break;
          g_string_append_c (s, *r->p++);
          if (s->len > LVM_TEXT_MAX_STRING)
            break;
        }
      if (r->p >= r->end || *r->p != '"')
        {
          g_free (key);
          reader_fail (r, "an unterminated or overlong string");
          return NULL;
        }
      r->p++;
      Node *n = node_new (NODE_STRING, key);
      n->s = g_string_free (g_steal_pointer (&s), FALSE);
      return n;
    }
  if (*r->p == '[' && !in_array)
    {
      g_autoptr (Node) n = node_new (NODE_ARRAY, key);
      r->p++;
      for (;;)
        {
          skip_space (r);
          if (r->p < r->end && *r->p == ']')
            {
              r->p++;
              return g_steal_pointer (&n);
            }
          if (n->children->len > 0)
            {
              if (r->p >= r->end || *r->p != ',')
                {
                  reader_fail (r, "',' or ']' expected in an array");
                  return NULL;
                }
              r->p++;
            }
          Node *e = read_value (r, NULL, TRUE);
          if (e == NULL)
            return NULL;
          g_ptr_array_add (n->children, e);
        }
    }
  if (*r->p == '-' || g_ascii_isdigit (*r->p))
    {
      const char *start = r->p;
      r->p++;
      while (r->p < r->end && (g_ascii_isdigit (*r->p) || *r->p == '.'))
        r->p++;
      g_autofree char *num = g_strndup (start, r->p - start);
      Node *n = node_new (NODE_INT, key);
      /* Floats (rare: none in the fields read here) keep 0 and their text. */
      if (strchr (num, '.') == NULL
          && !g_ascii_string_to_signed (num, 10, G_MININT64, G_MAXINT64, &n->i, NULL))
        {
          node_free (n);
          reader_fail (r, "number '%s' out of range", num);
          return NULL;
        }
      n->s = g_steal_pointer (&num);
      return n;
    }
  g_free (key);
  reader_fail (r, "a value expected, found '%c'", *r->p);
  return NULL;
}

/* Entries until '}' (or the end, at the top level). */
static gboolean
read_entries (Reader *r, Node *section, guint depth)
{
  for (;;)
    {
      skip_space (r);
      if (r->p >= r->end)
        return depth == 0 ? TRUE : reader_fail (r, "'}' missing at the end");
      if (*r->p == '}')
        {
          if (depth == 0)
            return reader_fail (r, "'}' without a section");
          r->p++;
          return TRUE;
        }
      char *key = read_ident (r);
      if (key == NULL)
        return reader_fail (r, "a name expected, found '%c'", *r->p);
      skip_space (r);
      if (r->p < r->end && *r->p == '{')
        {
          r->p++;
          if (depth + 1 > LVM_TEXT_MAX_DEPTH)
            {
              g_free (key);
              return reader_fail (r, "sections nested deeper than %d", LVM_TEXT_MAX_DEPTH);
            }
          if (++r->nodes > LVM_TEXT_MAX_NODES)
            {
              g_free (key);
              return reader_fail (r, "more than %u values", LVM_TEXT_MAX_NODES);
            }
          Node *sub = node_new (NODE_SECTION, key);
          g_ptr_array_add (section->children, sub);
          if (!read_entries (r, sub, depth + 1))
            return FALSE;
          continue;
        }
      if (r->p >= r->end || *r->p != '=')
        {
          g_free (key);
          return reader_fail (r, "'=' or '{' expected");
        }
      r->p++;
      Node *v = read_value (r, key, FALSE);
      if (v == NULL)
        return FALSE;
      g_ptr_array_add (section->children, v);
    }
}

static const Node *
find (const Node *section, const char *key, NodeKind kind)
{
  const Node *found = NULL;
  for (guint i = 0; section && i < section->children->len; i++)
    {
      const Node *n = g_ptr_array_index (section->children, i);
      if (n->kind == kind && g_strcmp0 (n->key, key) == 0)
        found = n; /* the last one counts, as in LVM's own reader */
    }
  return found;
}

static const char *
get_string (const Node *section, const char *key)
{
  const Node *n = find (section, key, NODE_STRING);
  return n ? n->s : NULL;
}

static gboolean
get_uint (const Node *section, const char *key, guint64 *out)
{
  const Node *n = find (section, key, NODE_INT);
  if (n == NULL || n->i < 0 || strchr (n->s, '.') != NULL)
    return FALSE;
  *out = (guint64) n->i;
  return TRUE;
}

static gboolean
array_has (const Node *section, const char *key, const char *word)
{
  const Node *a = find (section, key, NODE_ARRAY);
  for (guint i = 0; a && i < a->children->len; i++)
    {
      const Node *e = g_ptr_array_index (a->children, i);
      if (e->kind == NODE_STRING && strcmp (e->s, word) == 0)
        return TRUE;
    }
  return FALSE;
}

void
asr_lvm_vg_free (AsrLvmVg *vg)
{
  if (vg == NULL)
    return;
  g_free (vg->name);
  g_free (vg->uuid);
  g_clear_pointer (&vg->pvs, g_ptr_array_unref);
  g_clear_pointer (&vg->lvs, g_ptr_array_unref);
  g_free (vg);
}

static void
lvm_pv_free (AsrLvmPv *pv)
{
  g_free (pv->key);
  g_free (pv->uuid);
  g_free (pv);
}

static void
lvm_segment_free (AsrLvmSegment *s)
{
  g_free (s->type);
  g_free (s->pv_key);
  g_free (s->origin);
  g_free (s->cow);
  g_free (s);
}

static void
lvm_lv_free (AsrLvmLv *lv)
{
  g_free (lv->name);
  g_free (lv->uuid);
  g_clear_pointer (&lv->segments, g_ptr_array_unref);
  g_free (lv);
}

#define bad(error, ...) asr_probe_refuse (error, "LVM metadata", __VA_ARGS__)

static gboolean
read_segment (const Node *s, AsrLvmLv *lv, guint64 pe_limit, GError **error)
{
  AsrLvmSegment *seg = g_new0 (AsrLvmSegment, 1);
  const char *type = get_string (s, "type");

  g_ptr_array_add (lv->segments, seg);
  seg->type = g_strdup (type ? type : "");
  if (!get_uint (s, "start_extent", &seg->start_extent)
      || !get_uint (s, "extent_count", &seg->extents) || seg->extents == 0
      || seg->extents > pe_limit)
    return bad (error, "logical volume %s: %s without a valid start_extent and extent_count",
                lv->name, s->key);
  if (strcmp (seg->type, "snapshot") == 0)
    {
      seg->origin = g_strdup (get_string (s, "origin"));
      seg->cow = g_strdup (get_string (s, "cow_store"));
    }
  if (strcmp (seg->type, "striped") != 0)
    return TRUE; /* the caller refuses it by its type */
  if (!get_uint (s, "stripe_count", &seg->stripes) || seg->stripes == 0)
    return bad (error, "logical volume %s: %s without a stripe_count", lv->name, s->key);
  const Node *stripes = find (s, "stripes", NODE_ARRAY);
  if (stripes == NULL || stripes->children->len != 2 * seg->stripes)
    return bad (error, "logical volume %s: %s: stripes do not match stripe_count", lv->name,
                s->key);
  const Node *pv = g_ptr_array_index (stripes->children, 0);
  const Node *pe = g_ptr_array_index (stripes->children, 1);
  if (pv->kind != NODE_STRING || pe->kind != NODE_INT || pe->i < 0 || (guint64) pe->i > pe_limit)
    return bad (error, "logical volume %s: %s: stripes are not a PV name and an extent", lv->name,
                s->key);
  seg->pv_key = g_strdup (pv->s);
  seg->pv_extent = (guint64) pe->i;
  return TRUE;
}

static gboolean
read_lv (const Node *n, AsrLvmVg *vg, GError **error)
{
  AsrLvmLv *lv = g_new0 (AsrLvmLv, 1);
  const char *id = get_string (n, "id");
  guint64 count = 0;

  g_ptr_array_add (vg->lvs, lv);
  lv->name = g_strdup (n->key);
  lv->segments = g_ptr_array_new_with_free_func ((GDestroyNotify) lvm_segment_free);
  if (id == NULL)
    return bad (error, "logical volume %s has no id", lv->name);
  lv->uuid = g_strdup (id);
  lv->visible = array_has (n, "status", "VISIBLE");
  if (!get_uint (n, "segment_count", &count) || count == 0 || count > 100000)
    return bad (error, "logical volume %s has no valid segment_count", lv->name);
  for (guint64 k = 1; k <= count; k++)
    {
      g_autofree char *key = g_strdup_printf ("segment%" G_GUINT64_FORMAT, k);
      const Node *s = find (n, key, NODE_SECTION);
      if (s == NULL)
        return bad (error, "logical volume %s has no %s", lv->name, key);
      if (!read_segment (s, lv, G_MAXUINT32, error))
        return FALSE;
    }
  return TRUE;
}

AsrLvmVg *
asr_lvm_text_parse (const char *text, gsize len, GError **error)
{
  Reader r = { text, text + len, 1, 0, error };
  g_autoptr (Node) top = node_new (NODE_SECTION, NULL);
  g_autoptr (AsrLvmVg) vg = g_new0 (AsrLvmVg, 1);
  const Node *vgn = NULL;
  guint64 extent_sectors;

  g_return_val_if_fail (text != NULL, NULL);
  if (len > ASR_LVM_TEXT_MAX_BYTES)
    {
      bad (error, "%" G_GSIZE_FORMAT " bytes, more than %u", len, ASR_LVM_TEXT_MAX_BYTES);
      return NULL;
    }
  if (memchr (text, '\0', len) != NULL)
    {
      bad (error, "a NUL byte in the text");
      return NULL;
    }
  if (!read_entries (&r, top, 0))
    return NULL;
  for (guint i = 0; i < top->children->len; i++)
    {
      const Node *n = g_ptr_array_index (top->children, i);
      if (n->kind != NODE_SECTION)
        continue;
      if (vgn != NULL)
        {
          bad (error, "more than one volume group (%s and %s)", vgn->key, n->key);
          return NULL;
        }
      vgn = n;
    }
  if (vgn == NULL)
    {
      bad (error, "no volume group");
      return NULL;
    }
  vg->name = g_strdup (vgn->key);
  vg->pvs = g_ptr_array_new_with_free_func ((GDestroyNotify) lvm_pv_free);
  vg->lvs = g_ptr_array_new_with_free_func ((GDestroyNotify) lvm_lv_free);
  vg->uuid = g_strdup (get_string (vgn, "id"));
  if (vg->uuid == NULL)
    {
      bad (error, "volume group %s has no id", vg->name);
      return NULL;
    }
  /* In sectors; at most 2^32 of them, which is more than LVM allows. */
  if (!get_uint (vgn, "extent_size", &extent_sectors) || extent_sectors == 0
      || extent_sectors > G_MAXUINT32)
    {
      bad (error, "volume group %s has no valid extent_size", vg->name);
      return NULL;
    }
  vg->extent_bytes = extent_sectors * 512;
  if (!get_uint (vgn, "seqno", &vg->seqno))
    vg->seqno = 0;

  const Node *pvs = find (vgn, "physical_volumes", NODE_SECTION);
  for (guint i = 0; pvs && i < pvs->children->len; i++)
    {
      const Node *n = g_ptr_array_index (pvs->children, i);
      guint64 pe_start = 0, dev_size = 0, pe_count = 0;
      if (n->kind != NODE_SECTION)
        continue;
      AsrLvmPv *pv = g_new0 (AsrLvmPv, 1);
      g_ptr_array_add (vg->pvs, pv);
      pv->key = g_strdup (n->key);
      pv->uuid = g_strdup (get_string (n, "id"));
      if (pv->uuid == NULL || !get_uint (n, "pe_start", &pe_start) || pe_start > G_MAXUINT32
          || !get_uint (n, "pe_count", &pe_count) || pe_count > G_MAXUINT32)
        {
          bad (error, "physical volume %s of %s lacks a valid id, pe_start or pe_count", n->key,
               vg->name);
          return NULL;
        }
      /* dev_size is recent LVM's; older metadata may lack it. */
      if (get_uint (n, "dev_size", &dev_size) && dev_size <= G_MAXUINT64 / 512)
        pv->dev_bytes = dev_size * 512;
      pv->pe_start_bytes = pe_start * 512;
      pv->pe_count = pe_count;
    }
  if (vg->pvs->len == 0)
    {
      bad (error, "volume group %s has no physical volume", vg->name);
      return NULL;
    }
  const Node *lvs = find (vgn, "logical_volumes", NODE_SECTION);
  for (guint i = 0; lvs && i < lvs->children->len; i++)
    {
      const Node *n = g_ptr_array_index (lvs->children, i);
      if (n->kind == NODE_SECTION && !read_lv (n, vg, error))
        return NULL;
    }
  return g_steal_pointer (&vg);
}

const AsrLvmPv *
asr_lvm_vg_find_pv (const AsrLvmVg *vg, const char *key)
{
  for (guint i = 0; key && i < vg->pvs->len; i++)
    {
      const AsrLvmPv *pv = g_ptr_array_index (vg->pvs, i);
      if (strcmp (pv->key, key) == 0)
        return pv;
    }
  return NULL;
}
