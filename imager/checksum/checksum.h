/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * checksum.h — the asr-sha256-64k checksum of guest-visible content.
 *
 * Definition (quoted by the descriptor man page):
 *
 *   Let C be the guest-visible content of an image (or of a byte range of
 *   a disk), L bytes long.  Split C into blocks of 65536 bytes (64 KiB),
 *   in order from offset 0; the last block is shorter when L is not a
 *   multiple of 65536.  For each block B_i, let D_i = SHA-256(B_i), the
 *   32-byte binary digest.  The checksum is
 *
 *       SHA-256(D_0 || D_1 || ... || D_n-1)
 *
 *   written as "asr-sha256-64k:" followed by the 64 lowercase hexadecimal
 *   digits of that digest.
 *
 *   A block whose bytes are all zero is not hashed: its digest is a fixed
 *   value, SHA-256 of 65536 zero bytes (precomputed), or, for a short last
 *   block of k zero bytes, SHA-256 of k zero bytes.  That is the digest
 *   hashing would give, so the shortcut never changes the result: a reader
 *   may hash every block and get the same checksum.  The shortcut is what
 *   makes the checksum follow used data: extents that the storage reports
 *   as zero are never read.
 *
 *   An empty content (L = 0) has no blocks; its checksum is SHA-256 of the
 *   empty string:
 *   asr-sha256-64k:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
 *
 *   L is bound by the checksum: contents of different lengths differ in
 *   their number of blocks or in the length of the last one.
 *
 *   This is NOT a sha256sum of the image file nor of its content, and must
 *   never be called one.  The same content gives the same checksum whatever
 *   the container (raw, qcow2, a partition of a block device).
 *
 *   "Guest-visible" is what qemu shows a guest: for a raw file whose size
 *   is not a multiple of 512, qemu rounds the size up to whole 512-byte
 *   sectors that read as zeros, so asr_checksum_image() of such a file
 *   covers those zeros and differs from asr_checksum_fd() of it.  Images
 *   asr writes are always whole sectors.
 *
 * The streaming core (AsrChecksum) computes it from data fed in pieces of
 * any size; asr_checksum_fd() reads a file or block device range;
 * asr_checksum_image() reads any qemu image through a private qemu-nbd.
 * Both readers hash on a second thread while they read the next buffers;
 * the progress callback is called from the caller's thread.  An AsrChecksum
 * is not thread-safe: one thread feeds it at a time.
 */
#pragma once

#include <glib.h>

#include "progress.h"

G_BEGIN_DECLS

#define ASR_CHECKSUM_PREFIX "asr-sha256-64k:"
#define ASR_CHECKSUM_BLOCK_BYTES ((gsize) 65536)
/* Length of a checksum string: prefix + 64 hex digits (no NUL). */
#define ASR_CHECKSUM_STRING_LENGTH (sizeof ASR_CHECKSUM_PREFIX - 1 + 64)
/* Pass as length to mean "up to the end of the file, device or image". */
#define ASR_CHECKSUM_TO_END G_MAXUINT64

#define ASR_CHECKSUM_ERROR (asr_checksum_error_quark ())
GQuark asr_checksum_error_quark (void);

typedef enum {
  ASR_CHECKSUM_ERROR_IO,         /* read/seek/stat on the fd or path failed */
  ASR_CHECKSUM_ERROR_RANGE,      /* offset/length past the end, short read */
  ASR_CHECKSUM_ERROR_NBD,        /* libnbd: connect, block status, read */
  ASR_CHECKSUM_ERROR_SUBPROCESS, /* qemu-nbd missing, failed to start, exited */
  ASR_CHECKSUM_ERROR_INVALID,    /* a bad argument from the user (format name) */
} AsrChecksumError;

/* What a checksum run did, for progress reports and benchmarks.
 * bytes_read + bytes_skipped == bytes_total on success. */
typedef struct {
  guint64 bytes_total;   /* length of the content checksummed */
  guint64 bytes_read;    /* read from the storage (data extents) */
  guint64 bytes_skipped; /* known to be zero (holes, zero extents), not read */
} AsrChecksumStats;

/* Progress (util/progress.h) is called with bytes done (read or skipped)
 * and the total, at most about four times a second, and once more when
 * done == total; @what is NULL. */

/* ---- streaming core ---------------------------------------------------- */

typedef struct _AsrChecksum AsrChecksum;

AsrChecksum *asr_checksum_new (void);
void asr_checksum_free (AsrChecksum *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AsrChecksum, asr_checksum_free)

/* Feed the next len bytes of content.  Any len, any alignment: pieces are
 * gathered into 64 KiB blocks.  (Despite the name, buf need not be a whole
 * block.) */
void asr_checksum_add_block (AsrChecksum *c, const void *buf, gsize len);
/* Feed the next len bytes of content, all zero, without touching memory:
 * whole blocks cost one 32-byte update of the outer hash. */
void asr_checksum_add_zero_blocks (AsrChecksum *c, guint64 len);
/* Bytes fed so far. */
guint64 asr_checksum_get_length (const AsrChecksum *c);
/* The checksum string ("asr-sha256-64k:<hex>"), free with g_free().  Call
 * once; after it, only asr_checksum_free() may be called on c. */
char *asr_checksum_finish (AsrChecksum *c);

/* TRUE if s is exactly "asr-sha256-64k:" and 64 lowercase hex digits. */
gboolean asr_checksum_verify_string (const char *s);

/* ---- whole files, devices and images ---------------------------------- */

/* Checksum of bytes [offset, offset + length) of fd: a regular file or a
 * block device.  length may be ASR_CHECKSUM_TO_END.  Holes (SEEK_DATA /
 * SEEK_HOLE, where the file system has them) are counted as zero without
 * reading.  If fd was opened with O_DIRECT, reads are 4096-aligned into
 * aligned buffers.  Uses pread(); the fd's file position is restored. */
gboolean asr_checksum_fd (int fd, guint64 offset, guint64 length, char **out, GError **error);
gboolean asr_checksum_fd_full (int fd, guint64 offset, guint64 length, AsrProgressFunc progress,
                               void *opaque, AsrChecksumStats *stats, char **out, GError **error);

/* Checksum of the guest-visible content of the image at path, opened
 * read-only with the given qemu format ("qcow2", "raw", ...; never probed),
 * through a private qemu-nbd (found in PATH; started in a private 0700
 * directory under g_get_tmp_dir(), killed and reaped before returning,
 * its stderr quoted in errors).  Zero extents (NBD base:allocation) are
 * not read.  A backing chain is followed as qemu follows it: refusing
 * backing files is the caller's job.  The _full variant checksums the byte range [offset, offset +
 * length) of the content (length may be ASR_CHECKSUM_TO_END), e.g. one
 * partition of a qcow2 disk. */
gboolean asr_checksum_image (const char *path, const char *format, char **out, GError **error);
gboolean asr_checksum_image_full (const char *path, const char *format, guint64 offset,
                                  guint64 length, AsrProgressFunc progress, void *opaque,
                                  AsrChecksumStats *stats, char **out, GError **error);

G_END_DECLS
