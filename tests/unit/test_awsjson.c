/* Unit tests for biasmon/awsjson.h: AWS JSON 1.1 bodies, replies and errors as the SDKs read them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "biasmon/awsjson.h"

static void res_init(bm_http_response *res)
{
    memset(res, 0, sizeof(*res));
    res->status = 500;
    bm_buf_init(&res->body, 1u << 20);
}

static const char *body_of(bm_http_response *res)
{
    if (bm_buf_putc(&res->body, 0)) fail_msg("body full");
    res->body.len--;
    return res->body.data;
}

static const char *extra(const bm_http_response *res, const char *name)
{
    for (size_t k = 0; k < res->nextra; k++)
        if (!strcmp(res->extra[k].name, name)) return res->extra[k].value;
    return NULL;
}

static void test_header_value(void **state)
{
    (void)state;
    bm_http_header hs[] = {
        {"Host", "h"}, {"X-Amz-Target", "SageMaker.AddTags"}, {"x-amz-target", "second"}};
    bm_http_request req = {
        .method = "POST", .path = "/", .query = "", .headers = hs, .nheaders = 3};
    assert_string_equal(bm_http_header_value(&req, "x-amz-target"), "SageMaker.AddTags");
    assert_string_equal(bm_http_header_value(&req, "HOST"), "h");
    assert_null(bm_http_header_value(&req, "Authorization"));
}

static void test_body(void **state)
{
    (void)state;
    bm_http_response res;
    json_t *body;
    bm_http_request req = {.method = "POST", .path = "/", .query = ""};
    /* empty: {} */
    res_init(&res);
    assert_int_equal(bm_awsjson_body(&req, &body, &res), BM_OK);
    assert_true(json_is_object(body) && json_object_size(body) == 0);
    json_decref(body);
    bm_buf_release(&res.body);
    /* an object */
    req.body = "{\"A\": [1, 2]}";
    req.body_len = strlen(req.body);
    res_init(&res);
    assert_int_equal(bm_awsjson_body(&req, &body, &res), BM_OK);
    assert_int_equal(json_array_size(json_object_get(body, "A")), 2);
    json_decref(body);
    bm_buf_release(&res.body);
    /* not an object, malformed, a duplicate key: 400 SerializationException, nothing returned */
    const char *bad[] = {"[1]", "{\"A\":", "{\"A\": 1, \"A\": 2}", "\"s\""};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        req.body = bad[k];
        req.body_len = strlen(bad[k]);
        res_init(&res);
        body = (json_t *)&res; /* must be reset */
        assert_int_equal(bm_awsjson_body(&req, &body, &res), BM_EPARSE);
        assert_null(body);
        assert_int_equal(res.status, 400);
        assert_string_equal(res.content_type, "application/x-amz-json-1.1");
        assert_string_equal(extra(&res, "x-amzn-ErrorType"), "SerializationException");
        json_t *e = json_loads(body_of(&res), 0, NULL);
        assert_non_null(e);
        assert_string_equal(json_string_value(json_object_get(e, "__type")),
                            "SerializationException");
        assert_non_null(strstr(json_string_value(json_object_get(e, "message")),
                               "the request body is not a JSON object"));
        json_decref(e);
        bm_buf_release(&res.body);
    }
}

static void test_reply(void **state)
{
    (void)state;
    bm_http_response res;
    res_init(&res);
    json_t *v = json_pack("{s:s}", "MonitoringScheduleArn", "arn:x");
    bm_awsjson_reply(&res, 200, v);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.content_type, "application/x-amz-json-1.1");
    assert_string_equal(body_of(&res), "{\"MonitoringScheduleArn\": \"arn:x\"}");
    assert_int_equal(res.nextra, 0);
    json_decref(v);
    bm_buf_release(&res.body);
    res_init(&res);
    bm_awsjson_reply(&res, 200, NULL);
    assert_string_equal(body_of(&res), "{}");
    bm_buf_release(&res.body);
    /* a response over the body's maximum: 500 InternalFailure */
    memset(&res, 0, sizeof(res));
    bm_buf_init(&res.body, 100);
    char big[200];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    v = json_pack("{s:s}", "A", big);
    bm_awsjson_reply(&res, 200, v);
    assert_int_equal(res.status, 500);
    assert_non_null(strstr(body_of(&res), "InternalFailure"));
    json_decref(v);
    bm_buf_release(&res.body);
}

static void expect_error(const bm_error *err, int status, const char *type, const char *message)
{
    bm_http_response res;
    res_init(&res);
    bm_awsjson_error_from(&res, err);
    assert_int_equal(res.status, status);
    assert_string_equal(extra(&res, "x-amzn-ErrorType"), type);
    json_t *e = json_loads(body_of(&res), 0, NULL);
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "__type")), type);
    assert_string_equal(json_string_value(json_object_get(e, "message")), message);
    json_decref(e);
    bm_buf_release(&res.body);
}

static void test_error_from(void **state)
{
    (void)state;
    static const struct {
        int code, status;
        const char *type;
    } map[] = {
        {BM_ECONFIG, 400, "ValidationException"},  {BM_EPARSE, 400, "ValidationException"},
        {BM_EINVAL, 400, "ValidationException"},   {BM_ENOTFOUND, 400, "ResourceNotFound"},
        {BM_EEXISTS, 400, "ResourceInUse"},        {BM_EBUSY, 400, "ResourceInUse"},
        {BM_ELIMIT, 400, "ResourceLimitExceeded"}, {BM_EACCESS, 400, "AccessDeniedException"},
        {BM_EIO, 500, "InternalFailure"},          {BM_ENOMEM, 500, "InternalFailure"},
        {BM_EINTERNAL, 500, "InternalFailure"},
    };
    for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
        bm_error err;
        bm_error_clear(&err);
        bm_error_set(&err, map[k].code, "what went wrong");
        expect_error(&err, map[k].status, map[k].type, "what went wrong");
    }
    bm_error err;
    bm_error_clear(&err);
    bm_error_set(&err, BM_ECONFIG, "must match [a-z]+");
    snprintf(err.path, sizeof(err.path), "$.Tags[0].Key");
    expect_error(&err, 400, "ValidationException", "$.Tags[0].Key: must match [a-z]+");
    bm_error_clear(&err);
    err.code = BM_ENOTFOUND;
    expect_error(&err, 400, "ResourceNotFound", bm_strerror(BM_ENOTFOUND));
}

static void test_error_extra_headers_bounded(void **state)
{
    (void)state;
    bm_http_response res;
    res_init(&res);
    res.nextra = sizeof(res.extra) / sizeof(res.extra[0]); /* all taken */
    bm_awsjson_error(&res, 404, "UnknownOperationException", "no");
    assert_int_equal(res.status, 404);
    assert_int_equal(res.nextra, sizeof(res.extra) / sizeof(res.extra[0]));
    assert_non_null(strstr(body_of(&res), "UnknownOperationException"));
    bm_buf_release(&res.body);
}

static void test_auth_error(void **state)
{
    (void)state;
    static const struct {
        bm_sigv4_result r;
        const char *type;
    } map[] = {
        {BM_SIGV4_MISSING, "MissingAuthenticationTokenException"},
        {BM_SIGV4_UNKNOWN_KEY, "UnrecognizedClientException"},
        {BM_SIGV4_MALFORMED, "IncompleteSignatureException"},
        {BM_SIGV4_MISMATCH, "InvalidSignatureException"},
    };
    for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
        bm_http_response res;
        res_init(&res);
        assert_string_equal(bm_awsjson_auth_error(&res, map[k].r, "why"), map[k].type);
        assert_int_equal(res.status, 403);
        assert_string_equal(extra(&res, "x-amzn-ErrorType"), map[k].type);
        assert_non_null(strstr(body_of(&res), "\"why\""));
        bm_buf_release(&res.body);
    }
    bm_http_response res;
    res_init(&res);
    bm_awsjson_auth_error(&res, BM_SIGV4_MISMATCH, NULL);
    assert_non_null(strstr(body_of(&res), "does not match the signature you provided"));
    bm_buf_release(&res.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_value),
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_error_from),
        cmocka_unit_test(test_error_extra_headers_bounded),
        cmocka_unit_test(test_auth_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
