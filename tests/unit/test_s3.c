/* Tests for the S3 back-end's pieces: requests signed by bm_sigv4_sign_s3 carry the very
 * Authorization botocore's S3SigV4Auth computes for them (keys with blanks, '+', '=', '*' and
 * UTF-8; ListObjectsV2 queries with continuation tokens; a ranged GET with a session token; a PUT),
 * and S3's XML answers parsed within their bounds. python3 with botocore (python3-boto3) is a
 * test dependency: its absence fails the test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "biasmon/sigv4.h"
#include "store/s3.h"

#define KEY_ID "AKIAIOSFODNN7EXAMPLE"
#define KEY_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define TOKEN "FQoGZXIvYXdzEXAMPLE//+="
#define T 1795514400 /* 2026-11-24T10:00:00Z */

/* The requests, as lib/store/s3.c builds them: method, path (key encoded with UriEncode, '/'
 * kept), query (sorted, encoded), range, token, body. */
typedef struct s3case {
    const char *name, *method, *path, *query, *range;
    int token;
    const char *body;
} s3case;

static const s3case cases[] = {
    {"get", "GET", "/bkt/a%20b/c%2Bd%3De%2A%C3%A9~_-.json", "", NULL, 0, NULL},
    {"ranged", "GET", "/bkt/capture/ep-1/AllTraffic/2026/11/24/10/00-00-000-x.jsonl", "",
     "bytes=8388608-16777215", 1, NULL},
    {"list", "GET", "/bkt",
     "continuation-token=1%2FabC%2B%3D%3D&delimiter=%2F&list-type=2&max-keys=2&prefix=with%20space%"
     "2Fx%2B%C3%A9%2F",
     NULL, 0, NULL},
    {"list-root", "GET", "/bkt", "delimiter=%2F&list-type=2&prefix=", NULL, 0, NULL},
    {"put", "PUT", "/bkt/out/ep-1/analysis.json", "", NULL, 0, "{\"version\": \"1.0\"}\n"},
    {"base", "GET", "/s3-prefix/bkt/k", "", NULL, 0, NULL},
};

/* Signs each case with botocore's S3SigV4Auth at T and prints "name\tAuthorization". */
static const char botocore_script[] =
    "import datetime, sys, types\n"
    "try:\n"
    "    import botocore.auth\n"
    "    from botocore.awsrequest import AWSRequest\n"
    "    from botocore.credentials import Credentials\n"
    "except ImportError as e:\n"
    "    sys.stderr.write('botocore is not importable (%s); install python3-boto3\\n' % e)\n"
    "    sys.exit(3)\n"
    "FIXED = datetime.datetime(2026, 11, 24, 10, 0, 0)\n"
    "class _DT(datetime.datetime):\n"
    "    @classmethod\n"
    "    def utcnow(cls):\n"
    "        return FIXED\n"
    "    @classmethod\n"
    "    def now(cls, tz=None):\n"
    "        return FIXED if tz is None else FIXED.replace(tzinfo=tz)\n"
    "botocore.auth.datetime = types.SimpleNamespace(datetime=_DT, timedelta=datetime.timedelta,\n"
    "                                               timezone=datetime.timezone)\n"
    "if hasattr(botocore.auth, 'get_current_datetime'):\n"
    "    botocore.auth.get_current_datetime = lambda *a, **k: FIXED\n"
    "for line in sys.stdin.read().splitlines():\n"
    "    name, method, path, query, rng, token, body = line.split('\\t')\n"
    "    creds = Credentials('" KEY_ID "', '" KEY_SECRET "', '" TOKEN
    "' if token == '1' else None)\n"
    "    headers = {'Range': rng} if rng else {}\n"
    "    url = 'http://127.0.0.1:9000' + path + ('?' + query if query else '')\n"
    "    req = AWSRequest(method=method, url=url, headers=headers, data=bytes.fromhex(body))\n"
    "    botocore.auth.S3SigV4Auth(creds, 's3', 'eu-west-3').add_auth(req)\n"
    "    print(name + '\\t' + req.headers['Authorization'])\n";

static void test_sign_like_botocore(void **state)
{
    (void)state;
    char dir[] = "/tmp/bm-test-s3-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char script[256], input[256], cmd[1024];
    snprintf(script, sizeof(script), "%s/sign.py", dir);
    snprintf(input, sizeof(input), "%s/cases.tsv", dir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs(botocore_script, f);
    fclose(f);
    f = fopen(input, "w");
    assert_non_null(f);
    size_t ncases = sizeof(cases) / sizeof(cases[0]);
    for (size_t c = 0; c < ncases; c++) {
        fprintf(f, "%s\t%s\t%s\t%s\t%s\t%d\t", cases[c].name, cases[c].method, cases[c].path,
                cases[c].query, cases[c].range ? cases[c].range : "", cases[c].token);
        for (const char *p = cases[c].body ? cases[c].body : ""; *p; p++)
            fprintf(f, "%02x", (unsigned char)*p);
        fputc('\n', f);
    }
    fclose(f);
    const char *python = getenv("BM_PYTHON");
    snprintf(cmd, sizeof(cmd), "%s %s < %s", python && *python ? python : "python3", script, input);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[16384];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = 0;
    int status = pclose(p);
    unlink(script);
    unlink(input);
    rmdir(dir);
    if (status != 0)
        fail_msg("`%s` failed (status %d): python3 with botocore is required (python3-boto3)", cmd,
                 status);

    char *line = out;
    for (size_t c = 0; c < ncases; c++) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = 0;
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = 0;
        assert_string_equal(line, cases[c].name);
        const char *expected = tab + 1;

        char hash[65], amz_date[32], auth[1024];
        const char *body = cases[c].body ? cases[c].body : "";
        bm_sigv4_sha256_hex(body, strlen(body), hash);
        bm_http_header hs[4];
        size_t nh = 0;
        hs[nh++] = (bm_http_header){"Host", "127.0.0.1:9000"};
        hs[nh++] = (bm_http_header){"x-amz-content-sha256", hash};
        if (cases[c].range) hs[nh++] = (bm_http_header){"Range", cases[c].range};
        if (cases[c].token) hs[nh++] = (bm_http_header){"x-amz-security-token", TOKEN};
        bm_sigv4_request req = {cases[c].method, cases[c].path, cases[c].query, hs, nh, body,
                                strlen(body)};
        bm_sigv4_key key = {KEY_ID, KEY_SECRET};
        assert_int_equal(bm_sigv4_sign_s3(&req, &key, "eu-west-3", T, amz_date, sizeof(amz_date),
                                          auth, sizeof(auth)),
                         BM_OK);
        assert_string_equal(amz_date, "20261124T100000Z");
        if (strcmp(auth, expected) != 0)
            fail_msg("case %s:\n biasmon  %s\n botocore %s", cases[c].name, auth, expected);
        line = nl + 1;
    }
}

static void test_sign_needs_content_sha256(void **state)
{
    (void)state;
    bm_http_header hs[] = {{"Host", "h"}};
    bm_sigv4_request req = {"GET", "/b/k", "", hs, 1, NULL, 0};
    bm_sigv4_key key = {KEY_ID, KEY_SECRET};
    char d[32], a[512];
    assert_int_equal(bm_sigv4_sign_s3(&req, &key, "us-east-1", T, d, sizeof(d), a, sizeof(a)),
                     BM_EINVAL);
}

/* S3 does not normalize its paths: "a/./b" and "a//b" are keys of their own, signed as sent,
 * where other services remove the dot segment and the empty one. */
static void test_s3_path_not_normalized(void **state)
{
    (void)state;
    char hash[65], d[32], a1[512], a2[512];
    bm_sigv4_sha256_hex("", 0, hash);
    bm_http_header hs[] = {{"Host", "h"}, {"x-amz-content-sha256", hash}};
    bm_sigv4_key key = {KEY_ID, KEY_SECRET};
    bm_sigv4_request r1 = {"GET", "/b/a/./x//y", "", hs, 2, NULL, 0};
    bm_sigv4_request r2 = {"GET", "/b/a/x/y", "", hs, 2, NULL, 0};
    assert_int_equal(bm_sigv4_sign_s3(&r1, &key, "us-east-1", T, d, sizeof(d), a1, sizeof(a1)),
                     BM_OK);
    assert_int_equal(bm_sigv4_sign_s3(&r2, &key, "us-east-1", T, d, sizeof(d), a2, sizeof(a2)),
                     BM_OK);
    assert_string_not_equal(a1, a2);
    assert_int_equal(bm_sigv4_sign(&r1, &key, "us-east-1", "s3", T, d, sizeof(d), a1, sizeof(a1)),
                     BM_OK);
    assert_int_equal(bm_sigv4_sign(&r2, &key, "us-east-1", "s3", T, d, sizeof(d), a2, sizeof(a2)),
                     BM_OK);
    assert_string_equal(a1, a2);
}

/* ==================================================================================== */
/* XML                                                                                  */
/* ==================================================================================== */

static const char list_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bkt</Name>"
    "<Prefix>gt/2026/</Prefix><KeyCount>5</KeyCount><MaxKeys>5</MaxKeys><Delimiter>/</Delimiter>"
    "<IsTruncated>true</IsTruncated>"
    "<Contents><Key>gt/2026/b&amp;c.jsonl</Key><Size>3</Size></Contents>"
    "<Contents><Key>gt/2026/a &lt;1&gt; &#233;&#x20AC;.jsonl</Key><Size>3</Size></Contents>"
    "<Contents><Key>gt/2026/.hidden</Key></Contents>"
    "<Contents><Key>gt/2026/</Key></Contents>"
    "<Contents><Key>other/x</Key></Contents>"
    "<CommonPrefixes><Prefix>gt/2026/11/</Prefix></CommonPrefixes>"
    "<CommonPrefixes><Prefix>gt/2026/12/</Prefix></CommonPrefixes>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "</ListBucketResult>";

/* An answer without delimiter (bm_store_list_range): the keys exactly one folder down. */
static const char range_xml[] =
    "<ListBucketResult><IsTruncated>false</IsTruncated>"
    "<Contents><Key>c/v/2026/11/24/10/a.jsonl</Key></Contents>"
    "<Contents><Key>c/v/2026/11/24/10/.hidden</Key></Contents>"
    "<Contents><Key>c/v/2026/11/24/10/deeper/x.jsonl</Key></Contents>"
    "<Contents><Key>c/v/2026/11/24/10/</Key></Contents>"
    "<Contents><Key>c/v/2026/11/24/11/b c=d+e.jsonl</Key></Contents>"
    "<Contents><Key>c/v/2026/11/24/top.jsonl</Key></Contents>"
    "<CommonPrefixes><Prefix>c/v/2026/11/24/12/</Prefix></CommonPrefixes>"
    "</ListBucketResult>";

static void test_parse_list_one_folder_down(void **state)
{
    (void)state;
    bm_strlist l = {0};
    int truncated = 1;
    char token[64];
    assert_int_equal(bm__s3_parse_list(range_xml, strlen(range_xml), "c/v/2026/11/24/", 2, 100, &l,
                                       &truncated, token, sizeof(token)),
                     BM_OK);
    assert_int_equal(truncated, 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0], "10/a.jsonl");
    assert_string_equal(l.v[1], "11/b c=d+e.jsonl");
    bm_strlist_release(&l);
}

static void test_parse_list(void **state)
{
    (void)state;
    bm_strlist l = {0};
    int truncated = 0;
    char token[256];
    assert_int_equal(bm__s3_parse_list(list_xml, strlen(list_xml), "gt/2026/", 0, 100, &l,
                                       &truncated, token, sizeof(token)),
                     BM_OK);
    assert_int_equal(truncated, 1);
    assert_string_equal(token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0], "b&c.jsonl");
    assert_string_equal(l.v[1], "a <1> \xc3\xa9\xe2\x82\xac.jsonl");
    bm_strlist_release(&l);

    assert_int_equal(bm__s3_parse_list(list_xml, strlen(list_xml), "gt/2026/", 1, 100, &l,
                                       &truncated, token, sizeof(token)),
                     BM_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0], "11");
    assert_string_equal(l.v[1], "12");
    bm_strlist_release(&l);

    /* bounds: max entries, a token buffer too small, every prefix of the answer */
    assert_int_equal(bm__s3_parse_list(list_xml, strlen(list_xml), "gt/2026/", 0, 1, &l, &truncated,
                                       token, sizeof(token)),
                     BM_ELIMIT);
    bm_strlist_release(&l);
    assert_int_equal(
        bm__s3_parse_list(list_xml, strlen(list_xml), "gt/2026/", 0, 10, &l, &truncated, token, 8),
        BM_ELIMIT);
    bm_strlist_release(&l);
    for (size_t n = 0; n < sizeof(list_xml); n++) {
        int rc = bm__s3_parse_list(list_xml, n, "gt/2026/", 0, 100, &l, &truncated, token,
                                   sizeof(token));
        assert_true(rc == BM_OK || rc == BM_EPARSE);
        bm_strlist_release(&l);
    }
    static const char *const bad[] = {
        "<Error><Code>NoSuchBucket</Code></Error>",
        "<ListBucketResult><Contents><Key>a&bogus;</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a&#0;</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a&#xD800;</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        assert_int_equal(bm__s3_parse_list(bad[k], strlen(bad[k]), "", 0, 10, &l, &truncated, token,
                                           sizeof(token)),
                         BM_EPARSE);
        bm_strlist_release(&l);
    }
}

static void test_parse_error(void **state)
{
    (void)state;
    static const char xml[] =
        "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key "
        "does not exist.\x01 &amp; more</Message><Key>k</Key></Error>";
    char code[32], msg[64];
    bm__s3_parse_error(xml, strlen(xml), code, sizeof(code), msg, sizeof(msg));
    assert_string_equal(code, "NoSuchKey");
    assert_string_equal(msg, "The specified key does not exist.? & more");
    bm__s3_parse_error("<html>502</html>", 16, code, sizeof(code), msg, sizeof(msg));
    assert_string_equal(code, "");
    assert_string_equal(msg, "");
    bm__s3_parse_error(xml, strlen(xml), code, 4, msg, 8);
    assert_string_equal(code, "NoS");
    assert_string_equal(msg, "The spe");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_like_botocore),
        cmocka_unit_test(test_sign_needs_content_sha256),
        cmocka_unit_test(test_s3_path_not_normalized),
        cmocka_unit_test(test_parse_list),
        cmocka_unit_test(test_parse_list_one_folder_down),
        cmocka_unit_test(test_parse_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
