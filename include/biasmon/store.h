/* Object storage addressed by URI: the local file system today, other back-ends behind the same calls. */
#ifndef BIASMON_STORE_H
#define BIASMON_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "biasmon/common.h"

/* URIs: a plain path ("data/capture", "/srv/x") or file:// URI ("file:///srv/x") is the local
 * file system. Any other scheme (s3://, https://) is BM_ENOTFOUND with a message saying which
 * back-ends exist; a new back-end is one more entry in store.c's table, the pipeline does not
 * change. "Objects" are regular files; "prefixes" are directories. */

/* A list of object names (relative to the listed prefix), sorted bytewise. */
typedef struct bm_strlist {
    char **v;
    size_t n, cap;
} bm_strlist;
void bm_strlist_release(bm_strlist *l);
int bm_strlist_push(bm_strlist *l, const char *s, size_t n) BM_MUST_CHECK;

/* Joins a URI and a relative key with exactly one '/' between them into out. */
int bm_uri_join(const char *uri, const char *key, char *out, size_t outlen) BM_MUST_CHECK;

/* Lists the objects directly under prefix (files when dirs == 0, sub-prefixes when dirs == 1).
 * A missing prefix is an empty list, not an error. At most max entries (BM_ELIMIT beyond). */
int bm_store_list(const char *prefix, int dirs, size_t max, bm_strlist *out,
                  bm_error *err) BM_MUST_CHECK;

/* Reads a whole object of at most max bytes into out (appending). BM_ENOTFOUND when missing. */
int bm_store_read(const char *uri, size_t max, bm_buf *out, bm_error *err) BM_MUST_CHECK;

/* A sequential reader for large objects. */
typedef struct bm_store_reader bm_store_reader;
bm_store_reader *bm_store_open(const char *uri, bm_error *err);
/* Reads up to n bytes; returns the count, 0 at the end, -1 on error (err set). */
long bm_store_reader_read(bm_store_reader *r, void *buf, size_t n, bm_error *err);
void bm_store_reader_close(bm_store_reader *r);

/* Writes an object atomically (temporary name, then rename); creates missing prefixes. */
int bm_store_write(const char *uri, const void *data, size_t len, bm_error *err) BM_MUST_CHECK;

/* The local path of a file-system URI into out; BM_ENOTFOUND for other schemes. */
int bm_store_local_path(const char *uri, char *out, size_t outlen, bm_error *err) BM_MUST_CHECK;

#endif
