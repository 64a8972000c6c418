/* SigV4's intermediate strings (canonical request, string to sign, signature), for tests. */
#ifndef BIASMON_AWS_SIGV4_INTERNAL_H
#define BIASMON_AWS_SIGV4_INTERNAL_H

#include <stddef.h>
#include "biasmon/common.h"
#include "biasmon/sigv4.h"

/* Largest canonical request or string to sign built (the headers are bounded by the HTTP layer
 * long before this). */
#define BM__SIGV4_MAX_CANONICAL (256u * 1024u)

/* Appends the canonical request of req to out (bm_buf_init'ed by the caller, max at least
 * BM__SIGV4_MAX_CANONICAL):
 *   METHOD \n canonical URI \n canonical query \n (name:value \n)* \n signed_headers \n hash
 * signed_headers is a SignedHeaders value ("host;x-amz-date", n bytes, not NUL-terminated): its
 * names, in the order given, are looked up case-insensitively among req->headers; repeated
 * headers are joined with ',' in the order received, each value trimmed with inner runs of
 * whitespace collapsed to one space. payload_hash is the last line (64 hex digits or whatever
 * the client declared in x-amz-content-sha256). Returns BM_OK; BM_ENOTFOUND when a signed header
 * is not in the request (*missing, when not NULL, then names it: a slice of signed_headers);
 * BM_EPARSE when a name is empty; BM_ELIMIT; BM_ENOMEM. */
int bm__sigv4_canonical_request(const bm_sigv4_request *req, const char *signed_headers, size_t n,
                                const char *payload_hash, bm_buf *out,
                                bm_slice *missing) BM_MUST_CHECK;

/* Appends "AWS4-HMAC-SHA256\n" amz_date "\n" scope "\n" hex(SHA-256(creq)) to out; scope is
 * "YYYYMMDD/region/service/aws4_request". Returns BM_OK, BM_ELIMIT or BM_ENOMEM. */
int bm__sigv4_string_to_sign(const char *amz_date, const char *scope, size_t scope_len,
                             const char *creq, size_t creq_len, bm_buf *out) BM_MUST_CHECK;

/* hex(HMAC(signing key, sts)) into hex (65 bytes, NUL-terminated), the signing key being
 * HMAC chain "AWS4"+secret -> date8 -> region -> service -> "aws4_request". Returns BM_OK or
 * BM_ENOMEM; the key material is wiped before returning. */
int bm__sigv4_signature(const char *secret, const char *date8, const char *region,
                        size_t region_len, const char *service, size_t service_len, const char *sts,
                        size_t sts_len, char hex[65]) BM_MUST_CHECK;

#endif
