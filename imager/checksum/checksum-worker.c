/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hashing thread shared by the fd and NBD readers (checksum-private.h). */
#include "checksum-private.h"

#include <stdatomic.h>
#include <stdlib.h>

typedef struct {
  AsrChecksumBuffer *buffer; /* NULL: zeros */
  guint64 zero_len;
  gboolean stop;
} WorkItem;

struct _AsrChecksumWorker {
  AsrChecksum *c;
  GThread *thread;
  GAsyncQueue *todo;         /* WorkItem *, in content order */
  GAsyncQueue *free_buffers; /* AsrChecksumBuffer * */
  AsrChecksumBuffer *buffers;
  guint n_buffers;
  atomic_uint_fast64_t done;
};

static gpointer
worker_thread (gpointer data)
{
  AsrChecksumWorker *w = data;

  for (;;)
    {
      WorkItem *it = g_async_queue_pop (w->todo);
      guint64 len;

      if (it->stop)
        {
          g_free (it);
          return NULL;
        }
      if (it->buffer != NULL)
        {
          len = it->buffer->len;
          asr_checksum_add_block (w->c, it->buffer->data, it->buffer->len);
          g_async_queue_push (w->free_buffers, it->buffer);
        }
      else
        {
          len = it->zero_len;
          asr_checksum_add_zero_blocks (w->c, it->zero_len);
        }
      g_free (it);
      atomic_fetch_add (&w->done, len);
    }
}

AsrChecksumWorker *
asr_checksum_worker_new (AsrChecksum *c, guint n_buffers, gsize buffer_bytes, gsize align)
{
  AsrChecksumWorker *w = g_new0 (AsrChecksumWorker, 1);

  g_return_val_if_fail (n_buffers > 0, NULL);
  w->c = c;
  w->todo = g_async_queue_new ();
  w->free_buffers = g_async_queue_new ();
  w->n_buffers = n_buffers;
  w->buffers = g_new0 (AsrChecksumBuffer, n_buffers);
  atomic_init (&w->done, 0);
  for (guint i = 0; i < n_buffers; i++)
    {
      void *p = NULL;
      int e = posix_memalign (&p, align, buffer_bytes);

      if (e != 0)
        g_error ("posix_memalign: %s", g_strerror (e));
      w->buffers[i].buf = p;
      g_async_queue_push (w->free_buffers, &w->buffers[i]);
    }
  w->thread = g_thread_new ("asr-checksum", worker_thread, w);
  return w;
}

AsrChecksumBuffer *
asr_checksum_worker_get_buffer (AsrChecksumWorker *w, gboolean block)
{
  return block ? g_async_queue_pop (w->free_buffers) : g_async_queue_try_pop (w->free_buffers);
}

void
asr_checksum_worker_submit (AsrChecksumWorker *w, AsrChecksumBuffer *b)
{
  WorkItem *it = g_new0 (WorkItem, 1);

  it->buffer = b;
  g_async_queue_push (w->todo, it);
}

void
asr_checksum_worker_submit_zeros (AsrChecksumWorker *w, guint64 len)
{
  WorkItem *it = g_new0 (WorkItem, 1);

  it->zero_len = len;
  g_async_queue_push (w->todo, it);
}

guint64
asr_checksum_worker_get_done (AsrChecksumWorker *w)
{
  return atomic_load (&w->done);
}

void
asr_checksum_worker_finish (AsrChecksumWorker *w)
{
  WorkItem *it;

  if (w == NULL)
    return;
  it = g_new0 (WorkItem, 1);
  it->stop = TRUE;
  g_async_queue_push (w->todo, it);
  g_thread_join (w->thread);
  /* Buffers still out with the caller (an NBD read that failed) are
   * freed here too: the caller must not use them after finish. */
  for (guint i = 0; i < w->n_buffers; i++)
    free (w->buffers[i].buf);
  g_free (w->buffers);
  g_async_queue_unref (w->todo);
  g_async_queue_unref (w->free_buffers);
  g_free (w);
}
