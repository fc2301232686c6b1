/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The machine descriptor model: constructors, destructors, the enum string
 * tables, lookups, and the small syntax helpers the reader and the checks
 * share.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "machine.h"
#include "machine-private.h"
#include "storage.h"

/* clang-format off */
G_DEFINE_QUARK (asr-machine-error-quark, machine_error)
/* clang-format on */

/* --- enum string tables ------------------------------------------------- */

/* The absent state (UNKNOWN, NONE) has no XML spelling: it is written by
 * leaving the attribute out, so its string is NULL. */
static const char *const tristate_names[] = { NULL, "no", "yes" };
static const char *const firmware_names[] = { NULL, "bios", "uefi" };
static const char *const ptable_names[] = { NULL, "mbr", "gpt" };
static const char *const kind_names[] = { NULL, "primary", "extended", "logical" };
static const char *const controller_names[] = { "storage", "network", "video" };

static const char *
enum_to_string (const char *const *names, guint n, int v)
{
  if (v < 0 || (guint) v >= n)
    return NULL;
  return names[v];
}

static gboolean
enum_from_string (const char *const *names, guint n, const char *s, int *out)
{
  if (s == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (names[i] != NULL && strcmp (names[i], s) == 0)
      {
        *out = (int) i;
        return TRUE;
      }
  return FALSE;
}

#define ENUM_FUNCS(prefix, Type, table)                           \
  const char *prefix##_to_string (Type v)                         \
  {                                                               \
    return enum_to_string (table, G_N_ELEMENTS (table), (int) v); \
  }                                                               \
  gboolean prefix##_from_string (const char *s, Type *out)        \
  {                                                               \
    int v;                                                        \
    g_return_val_if_fail (out != NULL, FALSE);                    \
    if (!enum_from_string (table, G_N_ELEMENTS (table), s, &v))   \
      return FALSE;                                               \
    *out = (Type) v;                                              \
    return TRUE;                                                  \
  }

ENUM_FUNCS (machine_tristate, MachineTristate, tristate_names)
ENUM_FUNCS (machine_firmware, MachineFirmware, firmware_names)
ENUM_FUNCS (machine_ptable_type, MachinePtableType, ptable_names)
ENUM_FUNCS (machine_partition_kind, MachinePartitionKind, kind_names)
ENUM_FUNCS (machine_controller_class, MachineControllerClass, controller_names)

/* --- constructors and destructors ---------------------------------------- */

MachineDescriptor *
machine_descriptor_new (void)
{
  MachineDescriptor *m = g_new0 (MachineDescriptor, 1);

  m->version = MACHINE_DESCRIPTOR_VERSION;
  m->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_disk_free);
  m->md_arrays = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_md_array_free);
  m->luks = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_luks_free);
  m->volume_groups = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_volume_group_free);
  return m;
}

MachineOrigin *
machine_origin_new (void)
{
  MachineOrigin *o = g_new0 (MachineOrigin, 1);

  o->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_source_free);
  return o;
}

MachineSource *
machine_source_new (void)
{
  return g_new0 (MachineSource, 1);
}

MachineOs *
machine_os_new (void)
{
  return g_new0 (MachineOs, 1);
}

MachineHardware *
machine_hardware_new (void)
{
  MachineHardware *h = g_new0 (MachineHardware, 1);

  h->controllers = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_controller_free);
  return h;
}

MachineController *
machine_controller_new (MachineControllerClass klass)
{
  MachineController *c = g_new0 (MachineController, 1);

  c->klass = klass;
  return c;
}

MachineDisk *
machine_disk_new (const char *id)
{
  MachineDisk *d = g_new0 (MachineDisk, 1);

  d->id = g_strdup (id);
  d->by_id = g_ptr_array_new_with_free_func (g_free);
  d->in_use = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_in_use_free);
  d->partitions = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_partition_free);
  return d;
}

MachineBootArea *
machine_boot_area_new (void)
{
  return g_new0 (MachineBootArea, 1);
}

MachineInUse *
machine_in_use_new (const char *reason, const char *detail)
{
  MachineInUse *u = g_new0 (MachineInUse, 1);

  u->reason = g_strdup (reason);
  u->detail = g_strdup (detail);
  return u;
}

MachinePartition *
machine_partition_new (guint32 number)
{
  MachinePartition *p = g_new0 (MachinePartition, 1);

  p->number = number;
  return p;
}

MachineVolume *
machine_volume_new (void)
{
  MachineVolume *v = g_new0 (MachineVolume, 1);

  v->subvolumes = g_ptr_array_new_with_free_func ((GDestroyNotify) machine_subvolume_free);
  return v;
}

MachineImage *
machine_image_new (void)
{
  return g_new0 (MachineImage, 1);
}

void
machine_descriptor_free (MachineDescriptor *m)
{
  if (m == NULL)
    return;
  machine_origin_free (m->origin);
  machine_os_free (m->os);
  machine_hardware_free (m->hardware);
  g_clear_pointer (&m->disks, g_ptr_array_unref);
  g_clear_pointer (&m->md_arrays, g_ptr_array_unref);
  g_clear_pointer (&m->luks, g_ptr_array_unref);
  g_clear_pointer (&m->volume_groups, g_ptr_array_unref);
  g_clear_pointer (&m->disk_index, g_hash_table_unref);
  g_free (m);
}

void
machine_origin_free (MachineOrigin *o)
{
  if (o == NULL)
    return;
  g_free (o->captured);
  g_free (o->tool);
  g_clear_pointer (&o->sources, g_ptr_array_unref);
  g_free (o);
}

void
machine_source_free (MachineSource *s)
{
  if (s == NULL)
    return;
  g_free (s->disk);
  g_free (s->path);
  g_free (s->format);
  g_free (s);
}

void
machine_os_free (MachineOs *o)
{
  if (o == NULL)
    return;
  g_free (o->name);
  g_free (o->version);
  g_free (o->hostname);
  g_free (o);
}

void
machine_hardware_free (MachineHardware *h)
{
  if (h == NULL)
    return;
  g_free (h->architecture);
  g_free (h->system_vendor);
  g_free (h->system_product);
  g_free (h->machine_type);
  g_free (h->cpu_vendor);
  g_free (h->cpu_model);
  g_clear_pointer (&h->controllers, g_ptr_array_unref);
  g_free (h);
}

void
machine_controller_free (MachineController *c)
{
  if (c == NULL)
    return;
  g_free (c->bus);
  g_free (c->address);
  g_free (c->vendor_id);
  g_free (c->device_id);
  g_free (c->driver);
  g_free (c->model);
  g_free (c->mac);
  g_free (c);
}

void
machine_disk_free (MachineDisk *d)
{
  if (d == NULL)
    return;
  g_free (d->id);
  g_free (d->bus);
  g_free (d->model);
  g_free (d->serial);
  g_free (d->wwn);
  g_clear_pointer (&d->by_id, g_ptr_array_unref);
  g_clear_pointer (&d->in_use, g_ptr_array_unref);
  g_free (d->signature);
  g_free (d->guid);
  g_free (d->ptable_unreadable);
  machine_boot_area_free (d->boot_area);
  g_clear_pointer (&d->partitions, g_ptr_array_unref);
  g_free (d);
}

void
machine_boot_area_free (MachineBootArea *b)
{
  if (b == NULL)
    return;
  g_free (b->image);
  g_free (b->checksum);
  g_free (b);
}

void
machine_in_use_free (MachineInUse *u)
{
  if (u == NULL)
    return;
  g_free (u->reason);
  g_free (u->detail);
  g_free (u);
}

void
machine_partition_free (MachinePartition *p)
{
  if (p == NULL)
    return;
  g_free (p->type);
  g_free (p->guid);
  g_free (p->name);
  machine_volume_free (p->volume);
  g_free (p);
}

void
machine_volume_free (MachineVolume *v)
{
  if (v == NULL)
    return;
  g_free (v->fs);
  g_free (v->uuid);
  g_free (v->label);
  g_free (v->mountpoint);
  g_clear_pointer (&v->subvolumes, g_ptr_array_unref);
  machine_image_free (v->image);
  g_free (v);
}

void
machine_image_free (MachineImage *i)
{
  if (i == NULL)
    return;
  g_free (i->file);
  g_free (i->format);
  g_free (i->checksum);
  g_free (i);
}

/* --- lookups ------------------------------------------------------------- */

static MachineDisk *
find_disk_scan (const MachineDescriptor *m, const char *id)
{
  for (guint i = 0; i < m->disks->len; i++)
    {
      MachineDisk *d = g_ptr_array_index (m->disks, i);
      if (d->id != NULL && g_ascii_strcasecmp (d->id, id) == 0)
        return d;
    }
  return NULL;
}

MachineDisk *
machine_descriptor_find_disk (const MachineDescriptor *m, const char *id)
{
  /* The index is a cache: filling it does not change the descriptor. */
  MachineDescriptor *mm = (MachineDescriptor *) m;
  g_autofree char *folded = NULL;
  gpointer slot;
  MachineDisk *d;

  g_return_val_if_fail (m != NULL, NULL);

  if (id == NULL)
    return NULL;
  /* Identifiers are compared without case (asr-machine(5)).  Every lookup
   * used to scan the disks: show, check and the plan look up each disk and
   * each stack member, which made them quadratic.  The index maps an id to
   * a position in @disks, never to a pointer, and is rebuilt when @disks
   * changes length; every hit is checked against the disk now at that
   * position. */
  if (mm->disk_index == NULL || mm->disk_index_len != m->disks->len)
    {
      g_clear_pointer (&mm->disk_index, g_hash_table_unref);
      mm->disk_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < m->disks->len; i++)
        {
          MachineDisk *di = g_ptr_array_index (m->disks, i);
          g_autofree char *key = di->id ? g_ascii_strdown (di->id, -1) : NULL;
          /* the first disk with an id wins, as a scan would find it */
          if (key && !g_hash_table_contains (mm->disk_index, key))
            g_hash_table_insert (mm->disk_index, g_steal_pointer (&key), GUINT_TO_POINTER (i + 1));
        }
      mm->disk_index_len = m->disks->len;
    }
  folded = g_ascii_strdown (id, -1);
  slot = g_hash_table_lookup (mm->disk_index, folded);
  if (slot != NULL && GPOINTER_TO_UINT (slot) <= m->disks->len)
    {
      d = g_ptr_array_index (m->disks, GPOINTER_TO_UINT (slot) - 1);
      if (d->id != NULL && g_ascii_strcasecmp (d->id, id) == 0)
        return d;
    }
  if (slot == NULL)
    return NULL;
  /* a hit that no longer matches: some disk changed after all (disks are
   * appended, their ids set when made); scan, and index afresh next time */
  mm->disk_index_len = G_MAXUINT;
  d = find_disk_scan (m, id);
  return d;
}

MachineSource *
machine_descriptor_find_source (const MachineDescriptor *m, const char *disk_id)
{
  g_return_val_if_fail (m != NULL, NULL);

  if (disk_id == NULL || m->origin == NULL)
    return NULL;
  /* Identifiers are compared without case (asr-machine(5)), as disks are. */
  for (guint i = 0; i < m->origin->sources->len; i++)
    {
      MachineSource *s = g_ptr_array_index (m->origin->sources, i);
      if (s->disk != NULL && g_ascii_strcasecmp (s->disk, disk_id) == 0)
        return s;
    }
  return NULL;
}

/* An EFI system partition is what the firmware takes for one: the ESP
 * type of the disk's own table (the GPT type GUID, or MBR type 0xef).
 * Where it is mounted does not make it one: firmware never sees mounts. */
gboolean
machine_partition_is_esp (const MachineDisk *d, const MachinePartition *p)
{
  g_return_val_if_fail (d != NULL && p != NULL, FALSE);

  if (p->type == NULL)
    return FALSE;
  if (d->ptable == MACHINE_PTABLE_GPT)
    return g_ascii_strcasecmp (p->type, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b") == 0;
  return g_ascii_strcasecmp (p->type, "0xef") == 0;
}

/* The mount points of the critical volumes (asr-capture(1)): a disk holding
 * one is the system's, whether being captured or running. */
gboolean
machine_mountpoint_is_critical (const char *mountpoint)
{
  static const char *const critical[] = { "/", "/boot", "/boot/efi", "/efi", "/usr", "/var", NULL };

  return mountpoint != NULL && g_strv_contains (critical, mountpoint);
}

MachinePartition *
machine_disk_find_partition (const MachineDisk *d, guint32 number)
{
  g_return_val_if_fail (d != NULL, NULL);

  for (guint i = 0; i < d->partitions->len; i++)
    {
      MachinePartition *p = g_ptr_array_index (d->partitions, i);
      if (p->number == number)
        return p;
    }
  return NULL;
}

guint32
machine_disk_sector_size (const MachineDisk *d)
{
  g_return_val_if_fail (d != NULL, 512);
  return d->logical_sector ? d->logical_sector : 512;
}

/* --- problems ------------------------------------------------------------ */

gboolean
machine_problems_take (MachineProblems *p, MachineError code, GError **error)
{
  return asr_problems_take (p, MACHINE_ERROR, code, error);
}

/* --- syntax helpers ------------------------------------------------------ */

gboolean
machine_parse_uint (const char *s, guint64 max, guint64 *out, char **why)
{
  guint64 v = 0;

  if (s == NULL || *s == '\0')
    {
      *why = g_strdup ("an empty value is not a number");
      return FALSE;
    }
  if (s[0] == '0' && s[1] != '\0')
    {
      *why = g_strdup_printf ("'%s' has a leading zero (plain decimal integers only)", s);
      return FALSE;
    }
  for (const char *c = s; *c; c++)
    {
      if (!g_ascii_isdigit (*c))
        {
          *why = g_strdup_printf ("'%s' is not a plain decimal integer", s);
          return FALSE;
        }
      if (!g_uint64_checked_mul (&v, v, 10) || !g_uint64_checked_add (&v, v, (guint64) (*c - '0')))
        {
          *why = g_strdup_printf ("'%s' is too large (more than 64 bits)", s);
          return FALSE;
        }
    }
  if (v > max)
    {
      *why = g_strdup_printf ("'%s' is too large (at most %" G_GUINT64_FORMAT ")", s, max);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
is_hex_run (const char *s, gsize n, gboolean upper_ok)
{
  for (gsize i = 0; i < n; i++)
    {
      char c = s[i];
      if (!(g_ascii_isdigit (c) || (c >= 'a' && c <= 'f') || (upper_ok && c >= 'A' && c <= 'F')))
        return FALSE;
    }
  return TRUE;
}

gboolean
machine_is_guid (const char *s)
{
  static const gsize groups[] = { 8, 4, 4, 4, 12 };

  if (s == NULL || strlen (s) != 36)
    return FALSE;
  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      if (!is_hex_run (s, groups[g], TRUE))
        return FALSE;
      s += groups[g];
      if (g + 1 < G_N_ELEMENTS (groups) && *s++ != '-')
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_0x_hex (const char *s, gsize digits)
{
  return s != NULL && strlen (s) == digits + 2 && s[0] == '0' && s[1] == 'x'
         && is_hex_run (s + 2, digits, FALSE);
}

gboolean
machine_is_mbr_type (const char *s)
{
  return is_0x_hex (s, 2);
}

gboolean
machine_is_mbr_signature (const char *s)
{
  return is_0x_hex (s, 8);
}

gboolean
machine_is_checksum (const char *s)
{
  static const char prefix[] = "asr-sha256-64k:";

  return s != NULL && g_str_has_prefix (s, prefix) && strlen (s) == strlen (prefix) + 64
         && is_hex_run (s + strlen (prefix), 64, FALSE);
}

gboolean
machine_is_disk_id (const char *s)
{
  gsize n;

  if (s == NULL || !g_ascii_isalnum (s[0]))
    return FALSE;
  n = strlen (s);
  if (n > 64)
    return FALSE;
  for (gsize i = 1; i < n; i++)
    if (!(g_ascii_isalnum (s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
      return FALSE;
  return TRUE;
}

const char *
machine_file_name_problem (const char *s)
{
  gsize n;

  if (s == NULL || *s == '\0')
    return "an empty file name";
  if (strchr (s, '/') != NULL)
    return "a path, not a plain file name (it contains '/')";
  if (strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return "not a file name ('.' or '..')";
  if (s[0] == '.')
    return "a hidden file name (leading '.')";
  n = strlen (s);
  if (n > 255)
    return "too long (more than 255 bytes)";
  /* The characters asr itself uses: nothing a shell, qemu's protocol
   * prefixes ("nbd:", "json:") or an option parser ("-x") would read. */
  if (s[0] == '-')
    return "a file name starting with '-'";
  for (gsize i = 0; i < n; i++)
    if (!(g_ascii_isalnum (s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '+' || s[i] == '-'))
      return "not a plain file name (only letters, digits, '_', '.', '+' and '-')";
  return NULL;
}

gboolean
machine_mbr_type_is_extended (const char *type)
{
  return type != NULL
         && (strcmp (type, "0x05") == 0 || strcmp (type, "0x0f") == 0
             || strcmp (type, "0x85") == 0);
}

/* --- the backup set on disk --------------------------------------------- */

/* Whether any of @ids is the file @st. */
static gboolean
ids_have_file (const GArray *ids, const GStatBuf *st)
{
  AsrStorageId id = { FALSE, st->st_dev, st->st_ino };
  return asr_storage_contains (ids, &id);
}

gboolean
machine_backup_set_find_member (const char *backup_dir, const char *path, char **member,
                                GError **error)
{
  GStatBuf target, dir;
  g_autoptr (GDir) d = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (GArray) aliases = NULL;
  g_autoptr (GArray) holders = NULL;
  const char *name;

  g_return_val_if_fail (backup_dir != NULL && path != NULL && member != NULL, FALSE);
  *member = NULL;

  if (g_stat (path, &target) != 0)
    return TRUE;
  if (g_stat (backup_dir, &dir) != 0)
    {
      int e = errno;
      g_set_error (error, MACHINE_ERROR, MACHINE_ERROR_IO, "%s: %s", backup_dir, g_strerror (e));
      return FALSE;
    }
  /* What writing the target writes (a loop device's backing file too),
   * against everything the set lies within: its directory, the file
   * system's device, that device's disk and members, a loop device's
   * backing file (a file system image holding the set). */
  aliases = asr_storage_aliases (&target);
  holders = asr_storage_holders (&dir);
  for (guint i = 0; i < aliases->len; i++)
    if (asr_storage_contains (holders, &g_array_index (aliases, AsrStorageId, i)))
      {
        *member = g_strdup (".");
        return TRUE;
      }
  d = g_dir_open (backup_dir, 0, &local);
  if (d == NULL)
    {
      g_set_error (error, MACHINE_ERROR, MACHINE_ERROR_IO, "%s: cannot list the backup set: %s",
                   backup_dir, local->message);
      return FALSE;
    }
  /* Every entry, not only the files the descriptor names: a stray file
   * in the set is still the user's. */
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (backup_dir, name, NULL);
      GStatBuf st;
      if ((g_stat (p, &st) == 0 && ids_have_file (aliases, &st))
          || (g_lstat (p, &st) == 0 && ids_have_file (aliases, &st)))
        {
          *member = g_strdup (name);
          return TRUE;
        }
    }
  return TRUE;
}
