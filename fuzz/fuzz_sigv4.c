/* Fuzz target for SigV4 verification: the input is a request (its Authorization header value,
 * optional headers and request-line parts, and a body); verify must never crash, never say OK
 * without the key's signature, never put the secret in a message; and whatever bm_sigv4_sign
 * signs must verify.
 *
 * Input layout (every part optional):
 *   line 1                 the Authorization header value (none when the line is empty)
 *   "@method GET"          the method (default POST)
 *   "@path /a/b"           the path as on the request line (default "/")
 *   "@query a=1&b=2"       the raw query (default "")
 *   "Name: value"          a header (a line without ':' is a name with an empty value)
 *   ""                     an empty line: the rest is the body
 * With no header lines the request gets the headers the aws CLI sends at 20261124T100000Z. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "biasmon/isotime.h"
#include "biasmon/sigv4.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

#define KEY_ID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define MAX_HEADERS 64

static const bm_http_header defaults[] = {
    {"Host", "127.0.0.1:8080"},
    {"X-Amz-Target", "SageMaker.ListMonitoringSchedules"},
    {"Content-Type", "application/x-amz-json-1.1"},
    {"X-Amz-Date", "20261124T100000Z"},
};

static int64_t fixed_now(void)
{
    bm_civil c = {2026, 11, 24, 10, 0, 0};
    return bm_time_from_civil(&c);
}

static void check_why(const char *why, size_t whylen)
{
    CHECK(memchr(why, 0, whylen) != NULL);
    CHECK(strstr(why, SECRET) == NULL);
    CHECK(strstr(why, "other-secret") == NULL);
}

static bm_sigv4_result verify(const bm_sigv4_request *req, int64_t now)
{
    static const bm_sigv4_key keys[] = {{"BMOTHER", "other-secret"}, {KEY_ID, SECRET}};
    char why[512], tiny[1];
    size_t idx = 7;
    bm_sigv4_result r =
        bm_sigv4_verify(req, keys, 2, "us-east-1", "sagemaker", now, 900, &idx, why, sizeof(why));
    CHECK(r >= BM_SIGV4_OK && r <= BM_SIGV4_MISMATCH);
    check_why(why, sizeof(why));
    if (r == BM_SIGV4_OK) {
        CHECK(idx == 1 && why[0] == 0);
    } else {
        CHECK(idx == 7 && why[0] != 0);
    }
    /* the same answer with a one-byte message buffer, without one, and with no region or service
     * check (which can only turn a scope refusal into some other answer) */
    CHECK(bm_sigv4_verify(req, keys, 2, "us-east-1", "sagemaker", now, 900, NULL, tiny,
                          sizeof(tiny)) == r);
    CHECK(tiny[0] == 0);
    CHECK(bm_sigv4_verify(req, keys, 2, "us-east-1", "sagemaker", now, 900, NULL, NULL, 0) == r);
    bm_sigv4_result any = bm_sigv4_verify(req, keys, 2, NULL, NULL, now, 900, NULL, NULL, 0);
    if (r == BM_SIGV4_OK) CHECK(any == BM_SIGV4_OK);
    /* no key, no success */
    CHECK(bm_sigv4_verify(req, keys, 1, "us-east-1", "sagemaker", now, 900, NULL, NULL, 0) !=
          BM_SIGV4_OK);
    return r;
}

/* What bm_sigv4_sign signs, bm_sigv4_verify accepts. */
static void round_trip(const bm_sigv4_request *req, int64_t now)
{
    bm_http_header hs[MAX_HEADERS + 2];
    size_t n = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, "authorization") == 0 ||
            strcasecmp(req->headers[i].name, "x-amz-date") == 0)
            continue;
        if (strcasecmp(req->headers[i].name, "x-amz-content-sha256") == 0) return; /* may lie */
        hs[n++] = req->headers[i];
    }
    bm_sigv4_request s = *req;
    s.headers = hs;
    s.nheaders = n;
    char date[17], authz[2048];
    static const bm_sigv4_key key = {KEY_ID, SECRET};
    int r = bm_sigv4_sign(&s, &key, "us-east-1", "sagemaker", now, date, sizeof(date), authz,
                          sizeof(authz));
    CHECK(r == BM_OK || r == BM_EINVAL || r == BM_ELIMIT);
    if (r != BM_OK) return;
    CHECK(strlen(date) == 16 && strstr(authz, SECRET) == NULL);
    hs[n++] = (bm_http_header){"X-Amz-Date", date};
    hs[n++] = (bm_http_header){"Authorization", authz};
    s.nheaders = n;
    CHECK(verify(&s, now) == BM_SIGV4_OK);
    /* and a different body does not */
    if (s.body_len) {
        s.body_len--;
        CHECK(verify(&s, now) == BM_SIGV4_MISMATCH);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    CHECK(copy != NULL);
    if (size) memcpy(copy, data, size);
    copy[size] = 0;
    char *end = copy + size, *p = copy;

    bm_http_header hs[MAX_HEADERS + 1];
    size_t n = 0;
    bm_sigv4_request req = {"POST", "/", "", hs, 0, "", 0};
    char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *authorization = p;
    if (nl) *nl = 0;
    p = nl ? nl + 1 : end;
    int body_seen = 0;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        char *line = p;
        if (nl) *nl = 0;
        p = nl ? nl + 1 : end;
        if (*line == 0) {
            body_seen = 1;
            break;
        }
        if (strncmp(line, "@method ", 8) == 0) {
            req.method = line + 8;
        } else if (strncmp(line, "@path ", 6) == 0) {
            req.path = line + 6;
        } else if (strncmp(line, "@query ", 7) == 0) {
            req.query = line + 7;
        } else if (n < MAX_HEADERS) {
            char *colon = strchr(line, ':');
            if (colon) *colon = 0;
            hs[n++] = (bm_http_header){line, colon ? colon + 1 : ""};
        }
    }
    if (body_seen) {
        req.body = p;
        req.body_len = (size_t)(end - p);
    }
    if (n == 0)
        for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
            hs[n++] = defaults[i];
    int64_t now = fixed_now();
    round_trip(&(bm_sigv4_request){req.method, req.path, req.query, hs, n, req.body, req.body_len},
               now);
    if (*authorization) hs[n++] = (bm_http_header){"Authorization", authorization};
    req.nheaders = n;
    verify(&req, now);
    verify(&req, now + 3600);
    free(copy);
    return 0;
}
