/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asr_checksum_image(): the guest-visible content of a qemu image, read
 * through a private, read-only qemu-nbd and libnbd.
 *
 * Why NBD: qemu-img cannot write to a pipe (docs/architecture.md, platform facts), and
 * qemu's block status tells which extents read as zero, so a sparse image
 * costs what its data costs.
 */
#include "checksum-private.h"
#include "cleanup.h"
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libnbd.h>

/* Reads of 512 KiB, up to 24 buffers between reads in flight and the
 * hashing thread (12 MiB).  Measured on 1 GiB of random data through
 * qemu-nbd (2 cores, shared): 512 KiB x 24 and 2 MiB x 10 within noise of
 * each other, 4 MiB x 6 slower; smaller requests keep qemu-nbd's bounce
 * buffers on its heap instead of fresh mmaps. */
#define NBD_BUFFERS 24
#define NBD_CHUNK_BYTES ((gsize) 512 * 1024)
/* Block status is asked for at most this much at a time (the protocol's
 * length is 32 bits; qemu may answer for less). */
#define NBD_STATUS_BYTES ((guint64) 1024 * 1024 * 1024)
/* Segments queued ahead of the one being hashed (zero ones need no buffer). */
#define NBD_QUEUE 64
/* How much of qemu-nbd's stderr goes into an error message. */
#define LOG_TAIL_BYTES 1024

typedef struct nbd_handle NbdHandle;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbdHandle, nbd_close)

/* A private qemu-nbd serving one image. */
typedef struct {
  char *dir; /* 0700, holds the socket and qemu-nbd's stderr */
  char *socket_path;
  char *log_path;
  AsrRunChild *child;
} NbdServer;

static gboolean
format_name_is_valid (const char *format)
{
  gsize n = strlen (format);

  if (n == 0 || n > 32)
    return FALSE;
  for (const char *p = format; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

/* What qemu-nbd wrote, for error messages; NULL if nothing.  Each line
 * once, in the order first written, without qemu-nbd's own prefix: after
 * an I/O error it repeats "Broken pipe" for every request in flight, and
 * the first line is the one that says why. */
static char *
server_log_tail (const NbdServer *s)
{
  g_autofree char *text = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (s->log_path == NULL || !g_file_get_contents (s->log_path, &text, NULL, NULL))
    return NULL;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL && out->len < LOG_TAIL_BYTES; i++)
    {
      char *l = g_strstrip (lines[i]);
      if (g_str_has_prefix (l, "qemu-nbd: "))
        l += strlen ("qemu-nbd: ");
      if (*l == '\0' || !g_hash_table_add (seen, l))
        continue;
      if (out->len)
        g_string_append (out, "; ");
      g_string_append (out, l);
    }
  if (out->len == 0)
    return NULL;
  if (out->len > LOG_TAIL_BYTES)
    g_string_truncate (out, LOG_TAIL_BYTES);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Kills and reaps qemu-nbd.  Its stderr log is complete after this. */
static void
server_kill (NbdServer *s)
{
  g_clear_pointer (&s->child, asr_run_stop);
}

/* Kills qemu-nbd and removes the private directory.  Safe on a partly
 * started server and twice. */
static void
server_stop (NbdServer *s)
{
  server_kill (s);
  if (s->socket_path != NULL)
    (void) g_unlink (s->socket_path);
  if (s->log_path != NULL)
    (void) g_unlink (s->log_path);
  if (s->dir != NULL)
    {
      (void) g_rmdir (s->dir);
      asr_cleanup_remove_dir (s->dir);
    }
  g_clear_pointer (&s->socket_path, g_free);
  g_clear_pointer (&s->log_path, g_free);
  g_clear_pointer (&s->dir, g_free);
}

/*
 * qemu-nbd is started with socket activation: we create and listen on the
 * socket ourselves and hand it over as fd 3.  Connecting then never races
 * qemu-nbd's start-up (no polling for the socket to appear), and if qemu-nbd
 * fails to open the image it exits, the listening socket closes and our
 * connection is reset, so the error comes back at once.  LISTEN_PID must be
 * the pid of qemu-nbd itself, known only after fork: a shell sets it and
 * execs qemu-nbd, keeping its pid.
 */
static gboolean
server_start (NbdServer *s, const char *abs_path, const char *format, GError **error)
{
  g_autofree char *qemu_nbd = g_find_program_in_path ("qemu-nbd");
  g_autofree char *format_arg = NULL;
  g_autoptr (GError) spawn_error = NULL;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (qemu_nbd == NULL)
    {
      g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_SUBPROCESS,
                   "qemu-nbd not found in PATH (Debian package qemu-utils)");
      return FALSE;
    }
  s->dir = g_dir_make_tmp ("asr-checksum-XXXXXX", &spawn_error);
  if (s->dir == NULL)
    {
      g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_SUBPROCESS,
                   "cannot create a private directory for qemu-nbd: %s", spawn_error->message);
      return FALSE;
    }
  /* removed by the interrupt handler too, should asr be stopped here */
  asr_cleanup_add_dir (s->dir);
  s->socket_path = g_build_filename (s->dir, "nbd.sock", NULL);
  s->log_path = g_build_filename (s->dir, "qemu-nbd.log", NULL);
  if (strlen (s->socket_path) >= sizeof addr.sun_path)
    {
      g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_SUBPROCESS,
                   "socket path %s is too long (set TMPDIR to a shorter directory)",
                   s->socket_path);
      g_clear_pointer (&s->socket_path, g_free);
      return FALSE;
    }
  strcpy (addr.sun_path, s->socket_path);

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, 1) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_SUBPROCESS,
                   "cannot listen on %s: %s", s->socket_path, g_strerror (e));
      return FALSE;
    }

  format_arg = g_strdup_printf ("--format=%s", format);
  const char *argv[] = { qemu_nbd, "--read-only", format_arg, "--shared=1", abs_path, NULL };
  s->child = asr_run_start (argv, fd, s->log_path, &spawn_error);
  if (s->child == NULL)
    {
      g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_SUBPROCESS,
                   "cannot start qemu-nbd: %s", spawn_error->message);
      return FALSE;
    }
  return TRUE;
}

/* libnbd's message for the call that just failed, once, with context. */
static void set_nbd_error (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
set_nbd_error (GError **error, const char *fmt, ...)
{
  g_autofree char *what = NULL;
  const char *msg = nbd_get_error ();
  va_list ap;

  va_start (ap, fmt);
  what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_NBD, "%s: %s", what,
               msg != NULL ? msg : "unknown libnbd error");
}

/* ---- block status ------------------------------------------------------ */

typedef struct {
  guint64 length;
  gboolean zero;
} Extent;

typedef struct {
  GArray *extents; /* of Extent, for [offset, offset + requested) */
  guint64 requested;
  guint64 covered;
} StatusReply;

static int
status_cb (void *opaque, const char *metacontext, uint64_t offset, uint32_t *entries,
           size_t nr_entries, int *error)
{
  StatusReply *r = opaque;

  if (strcmp (metacontext, LIBNBD_CONTEXT_BASE_ALLOCATION) != 0)
    return 0;
  for (size_t i = 0; i + 1 < nr_entries && r->covered < r->requested; i += 2)
    {
      /* The server may describe more than was asked: clamp. */
      Extent e = {
        .length = MIN ((guint64) entries[i], r->requested - r->covered),
        /* Only ZERO promises zeros; the protocol lets a server report HOLE
       * without it, and such an extent must still be read. */
        .zero = (entries[i + 1] & LIBNBD_STATE_ZERO) != 0,
      };

      if (e.length == 0)
        continue;
      if (r->extents->len > 0)
        {
          Extent *last = &g_array_index (r->extents, Extent, r->extents->len - 1);
          if (last->zero == e.zero)
            {
              last->length += e.length;
              r->covered += e.length;
              continue;
            }
        }
      g_array_append_val (r->extents, e);
      r->covered += e.length;
    }
  return 0;
}

/* Fills extents with the allocation of [offset, offset + count), at least
 * one extent; all data if the server has no block status. */
static gboolean
query_extents (NbdHandle *nbd, gboolean have_status, guint64 offset, guint64 count, GArray *extents,
               GError **error)
{
  StatusReply r = { .extents = extents, .requested = MIN (count, NBD_STATUS_BYTES) };

  g_array_set_size (extents, 0);
  if (!have_status)
    {
      Extent e = { .length = count, .zero = FALSE };
      g_array_append_val (extents, e);
      return TRUE;
    }
  if (nbd_block_status (nbd, r.requested, offset,
                        (nbd_extent_callback){ .callback = status_cb, .user_data = &r }, 0)
      < 0)
    {
      set_nbd_error (error, "block status at offset %" G_GUINT64_FORMAT, offset);
      return FALSE;
    }
  if (extents->len == 0)
    {
      g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_NBD,
                   "block status at offset %" G_GUINT64_FORMAT ": the server "
                   "described no extent",
                   offset);
      return FALSE;
    }
  return TRUE;
}

/* ---- the read pipeline ------------------------------------------------- */

/* A piece of the content, in order: either known zeros, or a read in
 * flight into buffer. */
typedef struct {
  guint64 offset;
  guint64 length;
  AsrChecksumBuffer *buffer; /* NULL: zeros */
  int64_t cookie;
} Segment;

typedef struct {
  NbdHandle *nbd;
  gboolean have_status;
  AsrChecksumWorker *worker;
  Segment queue[NBD_QUEUE]; /* ring, in content order */
  guint head, len;
} Pipeline;

static Segment *
pipeline_push (Pipeline *p)
{
  g_assert (p->len < NBD_QUEUE);
  return &p->queue[(p->head + p->len++) % NBD_QUEUE];
}

/*
 * Reads [offset, end) and hands it to the hashing thread in order.  The
 * reads are issued ahead of the head of the queue, up to the number of
 * free buffers; the head is handed over as soon as its read completes, so
 * qemu-nbd, this thread and the hashing thread all work at once.
 */
static gboolean
pipeline_run (Pipeline *p, guint64 offset, guint64 end, AsrChecksumProgress *prog,
              AsrChecksumStats *st, GError **error)
{
  g_autoptr (GArray) extents = g_array_new (FALSE, FALSE, sizeof (Extent));
  guint ext_idx = 0;
  guint64 plan = offset;

  while (plan < end || p->len > 0)
    {
      Segment *seg;
      int r;

      /* Queue work ahead of the head segment. */
      while (plan < end && p->len < NBD_QUEUE)
        {
          AsrChecksumBuffer *b;
          Extent *e;

          if (ext_idx == extents->len)
            {
              if (!query_extents (p->nbd, p->have_status, plan, end - plan, extents, error))
                return FALSE;
              ext_idx = 0;
            }
          e = &g_array_index (extents, Extent, ext_idx);
          if (e->zero)
            {
              seg = pipeline_push (p);
              *seg = (Segment){ .offset = plan, .length = e->length };
              plan += e->length;
              ext_idx++;
              continue;
            }
          /* With nothing queued, all buffers are being hashed: wait for one
       * rather than for a read that was never issued. */
          b = asr_checksum_worker_get_buffer (p->worker, p->len == 0);
          if (b == NULL)
            break;
          seg = pipeline_push (p);
          *seg = (Segment){
            .offset = plan,
            .length = MIN (e->length, (guint64) NBD_CHUNK_BYTES),
            .buffer = b,
          };
          seg->cookie = nbd_aio_pread (p->nbd, b->buf, (size_t) seg->length, seg->offset,
                                       NBD_NULL_COMPLETION, 0);
          if (seg->cookie < 0)
            {
              set_nbd_error (error,
                             "read of %" G_GUINT64_FORMAT " bytes at offset %" G_GUINT64_FORMAT,
                             seg->length, seg->offset);
              return FALSE;
            }
          plan += seg->length;
          e->length -= seg->length;
          if (e->length == 0)
            ext_idx++;
        }

      /* Hand over the head segment once it is there. */
      seg = &p->queue[p->head];
      if (seg->buffer == NULL)
        {
          asr_checksum_worker_submit_zeros (p->worker, seg->length);
          st->bytes_skipped += seg->length;
        }
      else
        {
          r = nbd_aio_command_completed (p->nbd, (uint64_t) seg->cookie);
          if (r < 0)
            {
              set_nbd_error (error,
                             "read of %" G_GUINT64_FORMAT " bytes at offset %" G_GUINT64_FORMAT,
                             seg->length, seg->offset);
              return FALSE;
            }
          if (r == 0)
            {
              if (nbd_poll (p->nbd, -1) < 0)
                {
                  set_nbd_error (error, "waiting for qemu-nbd");
                  return FALSE;
                }
              continue;
            }
          seg->buffer->data = seg->buffer->buf;
          seg->buffer->len = (gsize) seg->length;
          asr_checksum_worker_submit (p->worker, seg->buffer);
          st->bytes_read += seg->length;
        }
      p->head = (p->head + 1) % NBD_QUEUE;
      p->len--;
      asr_checksum_progress_update (prog, asr_checksum_worker_get_done (p->worker));
    }
  return TRUE;
}

/* ---- public ------------------------------------------------------------ */

/* Appends qemu-nbd's stderr to a failure's message: libnbd only sees the
 * connection drop, qemu-nbd says why (bad image, I/O error). */
static void
add_server_log (GError **error, NbdServer *s)
{
  g_autofree char *tail = NULL;
  char *msg;

  server_kill (s);
  tail = server_log_tail (s);
  if (tail == NULL || error == NULL || *error == NULL)
    return;
  /* qemu-nbd prefixes its own messages with its name; say it once */
  msg = g_strdup_printf ("%s; qemu-nbd: %s", (*error)->message, tail);
  g_free ((*error)->message);
  (*error)->message = msg;
}

/* The image file's absolute path, once its format name is vetted and the
 * file is there. */
static char *
image_check_path (const char *path, const char *format, GError **error)
{
  g_autofree char *abs_path = NULL;
  GStatBuf sb;

  if (!format_name_is_valid (format))
    {
      g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_INVALID,
                   "invalid image format name “%s”", format);
      return NULL;
    }
  /* An absolute path is never parsed by qemu as a protocol ("nbd:...",
   * "json:{...}"): a file name is only ever a file name. */
  abs_path = g_canonicalize_filename (path, NULL);
  if (g_stat (abs_path, &sb) < 0)
    {
      int e = errno;
      g_set_error (error, ASR_CHECKSUM_ERROR, ASR_CHECKSUM_ERROR_IO, "%s: %s", path,
                   g_strerror (e));
      return NULL;
    }
  return g_steal_pointer (&abs_path);
}

/* A libnbd handle connected to @server, and the size of its export. */
static NbdHandle *
server_connect (NbdServer *server, const char *path, const char *format, guint64 *size,
                GError **error)
{
  g_autoptr (NbdHandle) nbd = nbd_create ();
  int64_t n;

  if (nbd == NULL)
    {
      set_nbd_error (error, "cannot create an NBD handle");
      return NULL;
    }
  /* The buffers are only used once a read has succeeded in full (libnbd
   * checks the reply's length), so clearing them first is wasted work. */
  if (nbd_set_pread_initialize (nbd, false) < 0)
    {
      set_nbd_error (error, "nbd_set_pread_initialize");
      return NULL;
    }
  if (nbd_add_meta_context (nbd, LIBNBD_CONTEXT_BASE_ALLOCATION) < 0
      || nbd_connect_unix (nbd, server->socket_path) < 0)
    {
      set_nbd_error (error, "cannot open %s (%s) through qemu-nbd", path, format);
      goto out_log;
    }
  n = nbd_get_size (nbd);
  if (n < 0)
    {
      set_nbd_error (error, "%s: cannot get the size", path);
      goto out_log;
    }
  *size = (guint64) n;
  return g_steal_pointer (&nbd);

out_log:
  /* The handle goes first: qemu-nbd may be waiting on it. */
  g_clear_pointer (&nbd, nbd_close);
  add_server_log (error, server);
  return NULL;
}

gboolean
asr_checksum_image_full (const char *path, const char *format, guint64 offset, guint64 length,
                         AsrProgressFunc progress, void *opaque, AsrChecksumStats *stats,
                         char **out, GError **error)
{
  g_autoptr (NbdHandle) nbd = NULL;
  g_autoptr (AsrChecksum) c = NULL;
  g_autofree char *abs_path = NULL;
  AsrChecksumStats st = { 0 };
  AsrChecksumProgress prog;
  NbdServer server = { 0 };
  Pipeline p = { 0 };
  gboolean ok = FALSE;
  guint64 size;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (format != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  abs_path = image_check_path (path, format, error);
  if (abs_path == NULL)
    return FALSE;
  if (!server_start (&server, abs_path, format, error))
    goto out;
  nbd = server_connect (&server, path, format, &size, error);
  if (nbd == NULL || !asr_checksum_check_range (path, size, offset, &length, error))
    goto out;

  p.nbd = nbd;
  p.have_status = nbd_can_meta_context (nbd, LIBNBD_CONTEXT_BASE_ALLOCATION) > 0;
  st.bytes_total = length;
  c = asr_checksum_new ();
  p.worker = asr_checksum_worker_new (c, NBD_BUFFERS, NBD_CHUNK_BYTES, 64);
  asr_checksum_progress_init (&prog, progress, opaque, length);
  if (!pipeline_run (&p, offset, offset + length, &prog, &st, error))
    goto out_log;
  g_clear_pointer (&p.worker, asr_checksum_worker_finish);
  asr_checksum_progress_update (&prog, length);

  if (nbd_shutdown (nbd, 0) < 0)
    {
      set_nbd_error (error, "disconnecting from qemu-nbd");
      goto out_log;
    }
  *out = asr_checksum_finish (c);
  ok = TRUE;
  goto out;

out_log:
  /* The handle goes first: qemu-nbd may be waiting on it. */
  g_clear_pointer (&nbd, nbd_close);
  add_server_log (error, &server);
out:
  /* Reads in flight write into the worker's buffers: the handle goes
   * before them. */
  g_clear_pointer (&nbd, nbd_close);
  g_clear_pointer (&p.worker, asr_checksum_worker_finish);
  server_stop (&server);
  if (stats != NULL)
    *stats = st;
  return ok;
}

gboolean
asr_checksum_image (const char *path, const char *format, char **out, GError **error)
{
  return asr_checksum_image_full (path, format, 0, ASR_CHECKSUM_TO_END, NULL, NULL, NULL, out,
                                  error);
}
