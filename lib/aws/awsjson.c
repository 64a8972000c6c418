/* The AWS JSON 1.1 protocol, server side (see biasmon/awsjson.h): request bodies, responses and
 * errors in the shape the AWS SDKs parse. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "biasmon/awsjson.h"
#include "biasmon/jsonw.h"

#define CONTENT_TYPE "application/x-amz-json-1.1"

/* Best-effort text for error bodies: the body's limit is far above these. */
static void put_text(bm_buf *b, const char *t)
{
    if (bm_buf_puts(b, t)) b->len = 0;
}

const char *bm_http_header_value(const bm_http_request *req, const char *name)
{
    for (size_t k = 0; k < req->nheaders; k++)
        if (!strcasecmp(req->headers[k].name, name)) return req->headers[k].value;
    return NULL;
}

void bm_awsjson_reply(bm_http_response *res, int status, json_t *body)
{
    res->status = status;
    res->content_type = CONTENT_TYPE;
    bm_buf_reset(&res->body);
    if (!body) {
        put_text(&res->body, "{}");
    } else if (bm_json_write(body, 0, &res->body)) {
        bm_buf_reset(&res->body);
        res->status = 500;
        put_text(&res->body, "{\"__type\":\"InternalFailure\",\"message\":\"response too large\"}");
    }
}

void bm_awsjson_error(bm_http_response *res, int status, const char *type, const char *message)
{
    json_t *b = json_pack("{s:s,s:s}", "__type", type, "message", message ? message : "");
    res->status = status;
    res->content_type = CONTENT_TYPE;
    bm_buf_reset(&res->body);
    if (!b || bm_json_write(b, 0, &res->body)) {
        bm_buf_reset(&res->body);
        put_text(&res->body, "{\"__type\":\"InternalFailure\"}");
    }
    json_decref(b);
    if (res->nextra < sizeof(res->extra) / sizeof(res->extra[0])) {
        res->extra[res->nextra].name = "x-amzn-ErrorType";
        res->extra[res->nextra].value = type; /* static strings only */
        res->nextra++;
    }
}

void bm_awsjson_error_from(bm_http_response *res, const bm_error *err)
{
    char msg[1100];
    if (err->path[0])
        snprintf(msg, sizeof(msg), "%s: %s", err->path, err->msg);
    else
        snprintf(msg, sizeof(msg), "%s", err->msg[0] ? err->msg : bm_strerror(err->code));
    switch (err->code) {
    case BM_ECONFIG:
    case BM_EPARSE:
    case BM_EINVAL:
        bm_awsjson_error(res, 400, "ValidationException", msg);
        break;
    case BM_ENOTFOUND:
        bm_awsjson_error(res, 400, "ResourceNotFound", msg);
        break;
    case BM_EEXISTS:
    case BM_EBUSY:
        bm_awsjson_error(res, 400, "ResourceInUse", msg);
        break;
    case BM_ELIMIT:
        bm_awsjson_error(res, 400, "ResourceLimitExceeded", msg);
        break;
    case BM_EACCESS:
        bm_awsjson_error(res, 400, "AccessDeniedException", msg);
        break;
    default:
        bm_awsjson_error(res, 500, "InternalFailure", msg);
        break;
    }
}

int bm_awsjson_body(const bm_http_request *req, json_t **body, bm_http_response *res)
{
    json_error_t je;
    *body = NULL;
    if (!req->body_len) {
        if ((*body = json_object())) return BM_OK;
        bm_awsjson_error(res, 500, "InternalFailure", "out of memory");
        return BM_ENOMEM;
    }
    json_t *v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (v && json_is_object(v)) {
        *body = v;
        return BM_OK;
    }
    char msg[300];
    snprintf(msg, sizeof(msg), "the request body is not a JSON object%s%s", v ? "" : ": ",
             v ? "" : je.text);
    bm_awsjson_error(res, 400, "SerializationException", msg);
    json_decref(v);
    return BM_EPARSE;
}

const char *bm_awsjson_auth_error(bm_http_response *res, bm_sigv4_result r, const char *why)
{
    const char *type = r == BM_SIGV4_MISSING       ? "MissingAuthenticationTokenException"
                       : r == BM_SIGV4_UNKNOWN_KEY ? "UnrecognizedClientException"
                       : r == BM_SIGV4_MALFORMED   ? "IncompleteSignatureException"
                                                   : "InvalidSignatureException";
    bm_awsjson_error(
        res, 403, type,
        why && why[0]
            ? why
            : "The request signature we calculated does not match the signature you provided.");
    return type;
}
