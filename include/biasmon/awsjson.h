/* The AWS JSON 1.1 protocol, server side: a request's body and target, responses and errors as the
 * AWS SDKs read them (application/x-amz-json-1.1, {"__type", "message"}, x-amzn-ErrorType). */
#ifndef BIASMON_AWSJSON_H
#define BIASMON_AWSJSON_H

#include <jansson.h>
#include "biasmon/common.h"
#include "biasmon/http.h"
#include "biasmon/sigv4.h"

/*
 * Thread-safety: every function works only on its arguments; several server threads may use
 * them at once on different responses. Nothing here keeps state. Strings passed as an error's
 * type must be static (the x-amzn-ErrorType header points at them until the response is sent).
 * Writing into res->body is bounded by the body's own maximum (bm_http_response): a response that
 * does not fit becomes a 500 InternalFailure.
 */

/* The value of a request header, name compared case-insensitively (the first one when repeated);
 * NULL when absent. Borrowed from req. */
const char *bm_http_header_value(const bm_http_request *req, const char *name);

/* The request's body as a JSON object (an empty body is {}): *body receives a new reference and
 * BM_OK is returned. When the body is not a JSON object (malformed, a duplicate key, another
 * type), res is answered 400 SerializationException saying why (with jansson's message, which may
 * show a few bytes of the request's own body near the error), *body is NULL and BM_EPARSE is
 * returned; BM_ENOMEM (res answered 500) when even {} cannot be allocated. */
int bm_awsjson_body(const bm_http_request *req, json_t **body, bm_http_response *res) BM_MUST_CHECK;

/* Answers res with status and body (borrowed; NULL is sent as {}). */
void bm_awsjson_reply(bm_http_response *res, int status, json_t *body);

/* Answers res with an AWS error: status, {"__type": type, "message": message} and the
 * x-amzn-ErrorType header (when one of res->extra is free). type must be static. */
void bm_awsjson_error(bm_http_response *res, int status, const char *type, const char *message);

/* Answers res with the AWS error of a biasmon error: BM_ECONFIG, BM_EPARSE and BM_EINVAL are 400
 * ValidationException; BM_ENOTFOUND 400 ResourceNotFound; BM_EEXISTS and BM_EBUSY 400
 * ResourceInUse; BM_ELIMIT 400 ResourceLimitExceeded; BM_EACCESS 400 AccessDeniedException;
 * anything else 500 InternalFailure. The message is "<path>: <msg>" when err->path is set, else
 * err->msg (bm_strerror(err->code) when empty). */
void bm_awsjson_error_from(bm_http_response *res, const bm_error *err);

/* Answers res for a request bm_sigv4_verify refused (r != BM_SIGV4_OK) as AWS does: 403 with
 * MissingAuthenticationTokenException, UnrecognizedClientException, IncompleteSignatureException
 * or InvalidSignatureException; why (may be NULL or "") is the message. Returns the type sent
 * (static), for logs. */
const char *bm_awsjson_auth_error(bm_http_response *res, bm_sigv4_result r, const char *why);

#endif
