/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by checksum.c and checksum-nbd.c; not part of the public API. */
#pragma once

#include "checksum.h"

/* Checks that [offset, offset + *length) lies inside @size bytes,
 * *length ASR_CHECKSUM_TO_END meaning up to the end; @name (may be NULL)
 * starts the message. */
gboolean asr_checksum_check_range (const char *name, guint64 size, guint64 offset, guint64 *length,
                                   GError **error);

/* Rate-limits the caller's progress callback (a terminal redraws a few
 * times a second; calling it per 2 MiB read would cost more than it shows). */
typedef struct {
  AsrProgressFunc func;
  void *opaque;
  guint64 total;
  gint64 last_us;
  guint64 last_done;
} AsrChecksumProgress;

void asr_checksum_progress_init (AsrChecksumProgress *p, AsrProgressFunc func, void *opaque,
                                 guint64 total);
/* Reports done unless the last report was less than 250 ms ago; always
 * reports done == total. */
void asr_checksum_progress_update (AsrChecksumProgress *p, guint64 done);

/*
 * A hashing thread.  SHA-256 runs at about the speed the data arrives
 * (page cache, O_DIRECT reads, an NBD socket): hashing on a second thread
 * while the caller reads the next buffers roughly doubles throughput on
 * two cores.  The worker owns buffers; the reader takes a free one, fills
 * it and submits it; the worker feeds the AsrChecksum in submission order
 * and hands the buffer back.  The AsrChecksum must not be touched by the
 * caller until asr_checksum_worker_finish() returns.
 */
typedef struct _AsrChecksumWorker AsrChecksumWorker;

typedef struct {
  guint8 *buf;        /* owned by the worker, buffer_bytes long, aligned */
  const guint8 *data; /* what to hash: inside buf */
  gsize len;
} AsrChecksumBuffer;

/* n_buffers of buffer_bytes, aligned to align (a power of two >= 8). */
AsrChecksumWorker *asr_checksum_worker_new (AsrChecksum *c, guint n_buffers, gsize buffer_bytes,
                                            gsize align);
/* A free buffer: waits for one if block, else NULL when none is free. */
AsrChecksumBuffer *asr_checksum_worker_get_buffer (AsrChecksumWorker *w, gboolean block);
/* Hash b->data[0..b->len) next; b goes back to the free list. */
void asr_checksum_worker_submit (AsrChecksumWorker *w, AsrChecksumBuffer *b);
/* Hash len zero bytes next. */
void asr_checksum_worker_submit_zeros (AsrChecksumWorker *w, guint64 len);
/* Bytes hashed so far (for progress). */
guint64 asr_checksum_worker_get_done (AsrChecksumWorker *w);
/* Hashes what was submitted, stops the thread, frees the buffers. */
void asr_checksum_worker_finish (AsrChecksumWorker *w);
