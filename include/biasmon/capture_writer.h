/* Writes SageMaker data capture files (JSON Lines) off the request path: a bounded queue and one
 * writer thread that batches records into files under their hour prefixes. */
#ifndef BIASMON_CAPTURE_WRITER_H
#define BIASMON_CAPTURE_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include "biasmon/common.h"

typedef struct bm_capture_writer bm_capture_writer;

/* Called on the writer thread when a file could not be written: prefix is where it was going
 * (a URI, never the records' content), records how many records it held, err why. */
typedef void (*bm_capture_fail_fn)(void *ctx, const char *prefix, size_t records,
                                   const bm_error *err);

typedef struct bm_capture_writer_opts {
    size_t max_queued_bytes; /* records waiting for the writer plus records in files not yet
                              * written, together; a record that would exceed it is refused
                              * (BM_ELIMIT) and counted as dropped. Default 64 MiB */
    size_t max_file_bytes;   /* a file is written out when it reaches this size; default 4 MiB */
    unsigned flush_s;        /* a file is written out at most this many seconds after its first
                              * record (what a kill -9 may lose); default 10 */
    size_t max_open;         /* files being filled at once (one per prefix); when more prefixes
                              * are in use, the oldest file is written out; default 64 */
    bm_capture_fail_fn on_fail;
    void *ctx;
} bm_capture_writer_opts;

/* Counters since bm_capture_writer_new (monotonic). */
typedef struct bm_capture_stats {
    uint64_t written;      /* records in files written out */
    uint64_t dropped_full; /* records refused because max_queued_bytes was reached */
    uint64_t failed;       /* records in files whose write failed (the file is absent) */
    uint64_t files;        /* files written out */
    uint64_t queued_bytes; /* gauge: bytes waiting (queue and files being filled) */
} bm_capture_stats;

/* Starts the writer thread. opts may be NULL (defaults). NULL with err set (BM_ENOMEM, BM_EIO
 * when the thread cannot start). */
bm_capture_writer *bm_capture_writer_new(const bm_capture_writer_opts *opts, bm_error *err);

/* Queues one record (a JSON text without its newline; copied) for the file under prefix (a URI
 * for bm_store_write, such as DEST/endpoint/variant/2024/01/19/19) whose name is taken from `at`
 * (epoch milliseconds) when the record opens a new file. Never waits for the writer nor for any
 * storage: BM_ELIMIT when the queue is full, BM_ENOMEM, BM_EINVAL after stop; the record is then
 * counted in dropped_full (BM_ELIMIT) or failed (others). Safe from any thread. */
int bm_capture_writer_put(bm_capture_writer *w, const char *prefix, int64_t at, const char *rec,
                          size_t len) BM_MUST_CHECK;

/* Writes out every file being filled now and waits until they are written (for tests and
 * shutdown). Safe from any thread except the writer's callback. */
void bm_capture_writer_flush(bm_capture_writer *w);

void bm_capture_writer_stats(bm_capture_writer *w, bm_capture_stats *out);

/* Writes out everything queued, stops the thread, frees. NULL is a no-op. */
void bm_capture_writer_free(bm_capture_writer *w);

/* The file name of a capture file started at `at` (epoch milliseconds) as SageMaker names them:
 * "MM-SS-mmm-<uuid4>.jsonl" (minute, second, millisecond of the hour). out needs 56 bytes. */
void bm_capture_file_name(int64_t at, const unsigned char uuid_bytes[16], char *out, size_t n);
/* A random (version 4) UUID in its 36-character text form; out needs 37 bytes. BM_EIO when no
 * randomness is available. */
int bm_uuid4(char *out, size_t n) BM_MUST_CHECK;

#endif
