/* AWS Signature Version 4: verifying signed requests, and signing them (for biasmon's own client).
 */
#ifndef BIASMON_SIGV4_H
#define BIASMON_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include "biasmon/common.h"

/* One HTTP header as received (name case as sent; values untrimmed). */
typedef struct bm_http_header {
    const char *name;
    const char *value;
} bm_http_header;

typedef struct bm_sigv4_request {
    const char *method; /* "POST" */
    const char *path;   /* "/" (already percent-decoded? no: as on the request line) */
    const char *query;  /* raw query string without '?', "" when none */
    const bm_http_header *headers;
    size_t nheaders;
    const void *body;
    size_t body_len;
} bm_sigv4_request;

/* A credential the server accepts. */
typedef struct bm_sigv4_key {
    const char *access_key_id;
    const char *secret_access_key;
} bm_sigv4_key;

typedef enum bm_sigv4_result {
    BM_SIGV4_OK = 0,
    BM_SIGV4_MISSING,     /* no Authorization header (and no presigned query) */
    BM_SIGV4_MALFORMED,   /* Authorization header or X-Amz-Date unparseable */
    BM_SIGV4_UNKNOWN_KEY, /* access key id not among the keys */
    BM_SIGV4_EXPIRED,     /* X-Amz-Date more than max_skew seconds from now */
    BM_SIGV4_MISMATCH,    /* signature does not match */
} bm_sigv4_result;

/* Verifies a request signed with AWS4-HMAC-SHA256 in the Authorization header, as AWS does:
 * canonical request (method, canonical URI with each segment URI-encoded as AWS does for
 * non-S3 services, canonical query string sorted by key, the signed headers lower-cased with
 * trimmed and space-collapsed values, signed header list, hex SHA-256 of the body or the
 * x-amz-content-sha256 value when present), string to sign with the credential scope
 * date/region/service/aws4_request, signing key by HMAC chain. The date in the scope must
 * equal X-Amz-Date's day; |X-Amz-Date - now| <= max_skew (AWS: 900 s). region and service must
 * match the scope's region and service exactly when not NULL (MISMATCH; the region message
 * names the expected region and the one signed for). The comparison is constant-time. `why` (may be
 * NULL) receives a message for the client that never contains a secret. On success *key_index is
 * the index of the key used. Also refused: an unsigned Host (MALFORMED, as AWS does) or an unsigned
 * X-Amz-Target when one is present (MALFORMED: it names the operation); an x-amz-content-sha256
 * that is not 64 hex digits (UNSIGNED-PAYLOAD included: MALFORMED) or not the body's hash
 * (MISMATCH); a scope date or service that does not match (MISMATCH, with AWS's messages); a
 * presigned URL (MALFORMED: unsupported). Headers outside SignedHeaders are ignored; repeated
 * headers are joined with ','. A '+' in the query means a space. */
bm_sigv4_result bm_sigv4_verify(const bm_sigv4_request *req, const bm_sigv4_key *keys, size_t nkeys,
                                const char *region, const char *service, int64_t now,
                                int64_t max_skew, size_t *key_index, char *why, size_t whylen);

/* Signs a request: writes the X-Amz-Date value (YYYYMMDDTHHMMSSZ for `now`) and the
 * Authorization header value into the buffers. The request must already carry every header to
 * sign (host, content-type, x-amz-target...; x-amz-date is added by the signer to the signed
 * set). Like botocore, every header is signed except authorization, an existing x-amz-date, and
 * the ones proxies rewrite (user-agent, expect, connection, keep-alive, te, trailer, upgrade,
 * transfer-encoding, proxy-authenticate, proxy-authorization, x-amzn-trace-id); the
 * Authorization value has botocore's layout ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
 * Signature=..."). Returns BM_OK or BM_ELIMIT (buffers too small); BM_EINVAL for a request
 * without Host, a header name that is not an HTTP token, an id/region/service that is empty or
 * holds '/', ',', '=' or blanks, an x-amz-content-sha256 that is not 64 characters, or a `now`
 * outside years 0000-9999; BM_ENOMEM. */
int bm_sigv4_sign(const bm_sigv4_request *req, const bm_sigv4_key *key, const char *region,
                  const char *service, int64_t now, char *amz_date, size_t amz_date_len,
                  char *authorization, size_t auth_len) BM_MUST_CHECK;

/* Signs a request to S3 (service "s3") as botocore's S3SigV4Auth does: as bm_sigv4_sign, except
 * that the canonical URI is the path as sent, neither normalized nor encoded twice (S3's rule:
 * each byte but the unreserved ones and '/' percent-encoded once, an existing %XY kept), and
 * that the request must carry x-amz-content-sha256 (64 hex digits of the body's SHA-256; S3
 * requires the header). The query is canonicalized as for every service: decoded, re-encoded
 * with UriEncode, sorted by name then value. Same results as bm_sigv4_sign; BM_EINVAL also when
 * x-amz-content-sha256 is missing. */
int bm_sigv4_sign_s3(const bm_sigv4_request *req, const bm_sigv4_key *key, const char *region,
                     int64_t now, char *amz_date, size_t amz_date_len, char *authorization,
                     size_t auth_len) BM_MUST_CHECK;

/* hex(SHA-256(p[0..n))) into hex: 64 lowercase hex digits and a NUL (an x-amz-content-sha256
 * value). p may be NULL when n is 0. Cannot fail; safe from any thread. */
void bm_sigv4_sha256_hex(const void *p, size_t n, char hex[65]);

/* Loads the credentials file of a data directory ({dir}/credentials, two lines
 * "access_key_id=..." and "secret_access_key=..."), creating it with fresh random keys
 * (20-character id "BM" + 18 [A-Z0-9], 40-character secret from /dev/urandom) and mode 0600 when
 * missing. Refuses a file readable by group or others (BM_EINVAL naming the path and mode).
 * The strings are written into the caller's buffers.
 * Details: the secret's 40 characters are [A-Za-z0-9+/]; the file is written complete under a
 * temporary name (O_CREAT|O_EXCL, 0600 whatever the umask, fsync'ed) and hard-linked into place,
 * so processes starting together all read the same keys. Any group/other permission bit is
 * refused (0600 and 0400 are fine). A hand-written file may hold other keys: id 1-128 of
 * [A-Za-z0-9_], secret 1-128 printable characters without blanks; '#' lines and blank lines are
 * ignored. BM_EPARSE (err has the file and line) for anything else; BM_EIO when the directory or
 * file cannot be read or created; BM_ELIMIT when a buffer is too small (id needs 21 bytes and
 * secret 41 for generated keys). */
int bm_credentials_load(const char *dir, char *id, size_t idlen, char *secret, size_t secretlen,
                        bm_error *err) BM_MUST_CHECK;

#endif
