/* The store's S3 back-end (s3://bucket/key over S3's REST API), used by store.c only. */
#ifndef BIASMON_STORE_S3_H
#define BIASMON_STORE_S3_H

#include <stddef.h>
#include <stdint.h>
#include "biasmon/common.h"
#include "biasmon/store.h"

/* Every call takes the URI without its scheme ("bucket/key"); errors name "s3://bucket/key", the
 * S3 error code and message, never a credential. Configuration comes from the environment at each
 * call, as AWS's tools read it:
 *   endpoint  AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL (path-style addressing:
 * endpoint/bucket/key), else https://s3.REGION.amazonaws.com (virtual-hosted:
 * https://bucket.s3.REGION...) keys      AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, else the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or
 * ~/.aws/credentials), profile AWS_PROFILE or "default" region    AWS_REGION, else
 * AWS_DEFAULT_REGION, else us-east-1 attempts  AWS_MAX_ATTEMPTS (1-10, default 4): a request that
 * fails with a 5xx, SlowDown, RequestTimeout, a timeout or a lost connection is tried again after
 * an exponential, jittered wait (0.1 s doubling, at most 5 s) Status codes: NoSuchKey, NoSuchBucket
 * (and 404) are BM_ENOTFOUND; AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch (and 403)
 * BM_EACCESS; others BM_EIO; a configuration that cannot be used BM_EINVAL. */

int bm__s3_list(const char *rest, int dirs, size_t max, bm_strlist *out,
                bm_error *err) BM_MUST_CHECK;
/* bm_store_list_range's S3 side: one ListObjectsV2 without delimiter, from start-after
 * PREFIX+from, its pages followed until a key's folder passes to. */
int bm__s3_list_range(const char *rest, const char *from, const char *to, size_t max,
                      bm_strlist *out, bm_error *err) BM_MUST_CHECK;
int bm__s3_read(const char *rest, size_t max, bm_buf *out, bm_error *err) BM_MUST_CHECK;
int bm__s3_write(const char *rest, const void *data, size_t len, bm_error *err) BM_MUST_CHECK;
int bm__s3_remove(const char *rest, bm_error *err) BM_MUST_CHECK;
/* The object's size (HEAD); BM_ENOTFOUND when missing. */
int bm__s3_size(const char *rest, uint64_t *size, bm_error *err) BM_MUST_CHECK;

/* A streaming reader: ranged GETs of BM__S3_CHUNK bytes on one connection, each checked against
 * the first one's ETag (an object replaced while being read is BM_EIO, never a mix of both). */
#define BM__S3_CHUNK (8u << 20)
typedef struct bm__s3_reader bm__s3_reader;
bm__s3_reader *bm__s3_reader_open(const char *rest, bm_error *err);
long bm__s3_reader_read(bm__s3_reader *r, void *buf, size_t n, bm_error *err);
/* The object's bytes when the first GET fetched them all and none was read yet: a buffer of
 * *len bytes and a NUL, the caller's to bm_free; the reader is then at the end. NULL otherwise. */
char *bm__s3_reader_take(bm__s3_reader *r, size_t *len);
/* The object's size (known after the first GET, so always once open); BM_ENOTFOUND when not. */
int bm__s3_reader_size(const bm__s3_reader *r, uint64_t *size) BM_MUST_CHECK;
void bm__s3_reader_close(bm__s3_reader *r);

/* ---- S3's XML answers (bounded, no allocation beyond the outputs; for tests and fuzzing) ---- */
/* A ListObjectsV2 result: appends the names under prefix (the request's prefix, "" or ending in
 * '/') to out, files (Contents keys directly under it, hidden ".names" skipped) when dirs == 0,
 * sub-prefixes without their '/' when dirs == 1, "FOLDER/NAME" for the keys exactly one folder
 * down (NAME not hidden) when dirs == 2, files as "NAME\tSIZE\tETAG" when dirs == 3
 * (bm_store_list_stamped); at most max in out (BM_ELIMIT). *truncated and
 * token (NextContinuationToken, NUL-terminated, toklen bytes) say whether to go on. BM_EPARSE for
 * a body that is not such a result; BM_ENOMEM. */
int bm__s3_parse_list(const char *xml, size_t n, const char *prefix, int dirs, size_t max,
                      bm_strlist *out, int *truncated, char *token, size_t toklen) BM_MUST_CHECK;
/* An S3 error body's Code and Message (printable ASCII, truncated); "" when absent. */
void bm__s3_parse_error(const char *xml, size_t n, char *code, size_t codelen, char *msg,
                        size_t msglen);

#endif
