/* Unit tests for the capture record scanner and base64: spec examples, errors, limits, jansson. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "biasmon/capture.h"

#define BIG_SCRATCH ((size_t)1 << 20)

/* ==================================================================== helpers */

static bm_capture_scanner *scanner;

static int setup(void **state)
{
    (void)state;
    scanner = bm_capture_scanner_new(BIG_SCRATCH);
    return scanner ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    bm_capture_scanner_free(scanner);
    scanner = NULL;
    return 0;
}

static int scan_str(const char *line, bm_capture_record *rec, bm_error *err)
{
    bm_error_clear(err);
    return bm_capture_scan(scanner, line, strlen(line), rec, err);
}

/* Scans a line that must be accepted. */
static void scan_ok(const char *line, bm_capture_record *rec)
{
    bm_error err;
    int r = scan_str(line, rec, &err);
    if (r != BM_OK)
        print_error("unexpected error %d at col %ld: %s\n  in %s\n", r, err.col, err.msg, line);
    assert_int_equal(r, BM_OK);
}

static void assert_slice(bm_slice s, const char *want)
{
    if (!want) {
        assert_null(s.p);
        assert_int_equal(s.n, 0);
        return;
    }
    assert_non_null(s.p);
    if (s.n != strlen(want) || memcmp(s.p, want, s.n) != 0)
        print_error("got \"%.*s\", want \"%s\"\n", (int)s.n, s.p, want);
    assert_int_equal(s.n, strlen(want));
    assert_memory_equal(s.p, want, s.n);
}

/* Whether s points into [line, line + len). */
static int slice_in(bm_slice s, const char *line, size_t len)
{
    return s.p >= line && s.p + s.n <= line + len;
}

static void assert_payload(const bm_capture_payload *pl, const char *data, const char *encoding,
                           const char *content_type, const char *mode)
{
    assert_true(pl->present);
    assert_slice(pl->data, data);
    assert_slice(pl->encoding, encoding);
    assert_slice(pl->content_type, content_type);
    assert_slice(pl->mode, mode);
}

static void assert_no_payload(const bm_capture_payload *pl)
{
    assert_false(pl->present);
    assert_slice(pl->data, NULL);
    assert_slice(pl->encoding, NULL);
    assert_slice(pl->content_type, NULL);
    assert_slice(pl->mode, NULL);
}

/* ==================================================================== the jansson reference */

/* The JSON value at a path such as "$.captureData.endpointInput.data", or NULL when an ancestor
 * is missing or not an object. */
static json_t *at_path(json_t *root, const char *path)
{
    json_t *v = root;
    const char *p = path + 1; /* after '$' */
    while (*p == '.') {
        const char *name = p + 1, *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        if (!json_is_object(v)) return NULL;
        v = json_object_getn(v, name, n);
        if (!v) return NULL;
        p = name + n;
    }
    return v;
}

static const char *const string_paths[] = {
    "$.captureData.endpointInput.data",
    "$.captureData.endpointInput.encoding",
    "$.captureData.endpointInput.observedContentType",
    "$.captureData.endpointInput.mode",
    "$.captureData.endpointOutput.data",
    "$.captureData.endpointOutput.encoding",
    "$.captureData.endpointOutput.observedContentType",
    "$.captureData.endpointOutput.mode",
    "$.captureData.batchTransformOutput.data",
    "$.captureData.batchTransformOutput.encoding",
    "$.captureData.batchTransformOutput.observedContentType",
    "$.captureData.batchTransformOutput.mode",
    "$.groundTruthData.data",
    "$.groundTruthData.encoding",
    "$.groundTruthData.observedContentType",
    "$.groundTruthData.mode",
    "$.eventMetadata.eventId",
    "$.eventMetadata.inferenceId",
    "$.eventMetadata.inferenceTime",
    "$.eventVersion",
};

static const char *const object_paths[] = {
    "$.captureData",
    "$.captureData.endpointInput",
    "$.captureData.endpointOutput",
    "$.captureData.batchTransformOutput",
    "$.groundTruthData",
    "$.eventMetadata",
};

/* The record's slices in string_paths order. */
static void record_strings(const bm_capture_record *rec, bm_slice out[20])
{
    const bm_capture_payload *pl[4] = {&rec->input, &rec->output, &rec->batch_output,
                                       &rec->ground_truth};
    for (int i = 0; i < 4; i++) {
        out[4 * i] = pl[i]->data;
        out[4 * i + 1] = pl[i]->encoding;
        out[4 * i + 2] = pl[i]->content_type;
        out[4 * i + 3] = pl[i]->mode;
    }
    out[16] = rec->event_id;
    out[17] = rec->inference_id;
    out[18] = rec->inference_time;
    out[19] = rec->event_version;
}

/* Nesting depth just before byte `at` of a line (strings skipped), or -1 when `at` is not an
 * opening bracket outside a string. */
static int depth_before(const char *line, size_t len, size_t at)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len && i <= at; i++) {
        char c = line[i];
        if (in_str) {
            if (i == at) return -1;
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (i == at) return c == '{' || c == '[' ? depth : -1;
        if (c == '"')
            in_str = 1;
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
    }
    return -1;
}

/* Whether the error column points at a NUL byte that directly follows the last character of a
 * number or of true/false/null (jansson's lexer drops such a byte). */
static int nul_after_scalar(const char *line, long col)
{
    if (col < 2 || line[col - 1] != 0) return 0;
    char c = line[col - 2];
    return (c >= '0' && c <= '9') || c == 'e' || c == 'l';
}

/* Checks one scan result against json_loadb; returns 0 when they agree, else prints why. */
static int agrees_with_jansson(const char *line, size_t len, int r, const bm_capture_record *rec,
                               const bm_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(line, len, 0, &jerr);
    int jok = root && json_is_object(root), bad = 0;
    if (r == BM_OK) {
        if (!jok) {
            print_error("scanner accepts, jansson: %s\n", root ? "not an object" : jerr.text);
            bad = 1;
            goto out;
        }
        bm_slice got[20];
        record_strings(rec, got);
        for (int i = 0; i < 20; i++) {
            json_t *v = at_path(root, string_paths[i]);
            if (!v) {
                if (got[i].p || got[i].n) {
                    print_error("%s: scanner has a value, jansson none\n", string_paths[i]);
                    bad = 1;
                }
            } else if (!json_is_string(v) || !got[i].p || got[i].n != json_string_length(v) ||
                       memcmp(got[i].p, json_string_value(v), got[i].n) != 0) {
                print_error("%s differs\n", string_paths[i]);
                bad = 1;
            }
        }
        const bm_capture_payload *pl[4] = {&rec->input, &rec->output, &rec->batch_output,
                                           &rec->ground_truth};
        for (int i = 0; i < 4; i++)
            if (!!pl[i]->present != !!json_is_object(at_path(root, object_paths[i + 1]))) {
                print_error("%s: present differs\n", object_paths[i + 1]);
                bad = 1;
            }
    } else if (r == BM_EPARSE && err->path[0]) {
        /* the documented difference: valid JSON, a needed member of the wrong type */
        json_t *v = jok ? at_path(root, err->path) : NULL;
        int want_object = 0;
        for (size_t i = 0; i < sizeof(object_paths) / sizeof(object_paths[0]); i++)
            want_object |= strcmp(err->path, object_paths[i]) == 0;
        if (!v || (want_object ? json_is_object(v) : json_is_string(v))) {
            print_error("wrong type at %s, but jansson %s\n", err->path,
                        !jok ? "refuses the line"
                        : v  ? "has the right type"
                             : "has no such member");
            bad = 1;
        }
    } else if (r == BM_ELIMIT) {
        if (err->col < 1 || depth_before(line, len, (size_t)err->col - 1) != 64) {
            print_error("BM_ELIMIT at col %ld is not a 65th nesting level\n", err->col);
            bad = 1;
        }
    } else if (r == BM_EPARSE && jok && nul_after_scalar(line, err->col)) {
        /* the documented difference: jansson skips a NUL byte right after a number/literal */
    } else if (r != BM_EPARSE || jok) {
        print_error("scanner: %d col %ld %s; jansson accepts\n", r, err->col, err->msg);
        bad = 1;
    }
out:
    if (bad) print_error("  line (%zu bytes): %.*s\n", len, (int)len, line);
    json_decref(root);
    return bad;
}

/* ==================================================================== spec examples */

static const char spec_capture[] =
    "{\"captureData\": {"
    "\"endpointInput\":  {\"observedContentType\": \"text/csv\", \"mode\": \"INPUT\", "
    "\"data\": \"69,0,153.7,109,194.0\\n\", \"encoding\": \"CSV\"}, "
    "\"endpointOutput\": {\"observedContentType\": \"text/csv; charset=utf-8\", \"mode\": "
    "\"OUTPUT\", "
    "\"data\": \"0.0254181120544672\", \"encoding\": \"CSV\"}}, "
    "\"eventMetadata\": {\"eventId\": \"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\", "
    "\"inferenceId\": \"7\", \"inferenceTime\": \"2024-01-19T20:06:08Z\"}, "
    "\"eventVersion\": \"0\"}";

static void test_spec_capture(void **state)
{
    (void)state;
    bm_capture_record rec;
    scan_ok(spec_capture, &rec);
    assert_payload(&rec.input, "69,0,153.7,109,194.0\n", "CSV", "text/csv", "INPUT");
    assert_payload(&rec.output, "0.0254181120544672", "CSV", "text/csv; charset=utf-8", "OUTPUT");
    assert_no_payload(&rec.batch_output);
    assert_no_payload(&rec.ground_truth);
    assert_slice(rec.event_id, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    assert_slice(rec.inference_id, "7");
    assert_slice(rec.inference_time, "2024-01-19T20:06:08Z");
    assert_slice(rec.event_version, "0");
    /* zero copy for strings without escapes; the escaped one lives in the scratch area */
    size_t len = strlen(spec_capture);
    assert_true(slice_in(rec.output.data, spec_capture, len));
    assert_true(slice_in(rec.event_id, spec_capture, len));
    assert_false(slice_in(rec.input.data, spec_capture, len));
}

static void test_spec_ground_truth(void **state)
{
    (void)state;
    bm_capture_record rec;
    scan_ok("{\"groundTruthData\": {\"data\": \"1\", \"encoding\": \"CSV\"},\n"
            " \"eventMetadata\": {\"eventId\": \"7\"},\n"
            " \"eventVersion\": \"0\"}",
            &rec);
    assert_payload(&rec.ground_truth, "1", "CSV", NULL, NULL);
    assert_no_payload(&rec.input);
    assert_no_payload(&rec.output);
    assert_slice(rec.event_id, "7");
    assert_slice(rec.inference_id, NULL);
    assert_slice(rec.inference_time, NULL);
    assert_slice(rec.event_version, "0");

    scan_ok("{\"groundTruthData\": {\"data\": \"{\\\"instances\\\": [{\\\"label\\\": 0}, "
            "{\\\"label\\\": 1}]}\", \"encoding\": \"JSON\"}, \"eventMetadata\": {\"eventId\": "
            "\"eed5a268-2703-4392-901f-70ffab9a7fd3\"}, \"eventVersion\": \"0\"}",
            &rec);
    assert_payload(&rec.ground_truth, "{\"instances\": [{\"label\": 0}, {\"label\": 1}]}", "JSON",
                   NULL, NULL);
    assert_slice(rec.event_id, "eed5a268-2703-4392-901f-70ffab9a7fd3");
}

static void test_spec_merged(void **state)
{
    (void)state;
    bm_capture_record rec;
    scan_ok(
        "{\"eventVersion\": \"0\",\n"
        " \"groundTruthData\": {\"data\": \"{\\\"instances\\\": [{\\\"label\\\": 0}, "
        "{\\\"label\\\": 1}]}\", \"encoding\": \"JSON\"},\n"
        " \"captureData\": {\"endpointInput\": {\"data\": \"{\\\"instances\\\": "
        "[{\\\"features\\\": [1, 2.5]}, {\\\"features\\\": [3, 4]}]}\", \"encoding\": \"JSON\", "
        "\"mode\": \"INPUT\", \"observedContentType\": \"application/json\"},\n"
        "                 \"endpointOutput\": {\"data\": \"{\\\"predictions\\\": "
        "[{\\\"predicted_label\\\": 0}, {\\\"predicted_label\\\": 1}]}\", \"encoding\": "
        "\"JSON\", \"mode\": \"OUTPUT\", \"observedContentType\": \"application/json\"}},\n"
        " \"eventMetadata\": {\"eventId\": \"eed5a268-2703-4392-901f-70ffab9a7fd3\", "
        "\"inferenceId\": \"7\", \"inferenceTime\": \"2024-01-19T20:06:08Z\"}}",
        &rec);
    assert_payload(&rec.ground_truth, "{\"instances\": [{\"label\": 0}, {\"label\": 1}]}", "JSON",
                   NULL, NULL);
    assert_payload(&rec.input,
                   "{\"instances\": [{\"features\": [1, 2.5]}, {\"features\": [3, 4]}]}", "JSON",
                   "application/json", "INPUT");
    assert_payload(&rec.output,
                   "{\"predictions\": [{\"predicted_label\": 0}, {\"predicted_label\": 1}]}",
                   "JSON", "application/json", "OUTPUT");
    assert_no_payload(&rec.batch_output);
    assert_slice(rec.event_id, "eed5a268-2703-4392-901f-70ffab9a7fd3");
    assert_slice(rec.inference_id, "7");
    assert_slice(rec.inference_time, "2024-01-19T20:06:08Z");
    assert_slice(rec.event_version, "0");
}

static void test_spec_batch_merged(void **state)
{
    (void)state;
    bm_capture_record rec;
    scan_ok("{\"captureData\": {\"batchTransformOutput\": {\"data\": \"{\\\"output\\\": 0, "
            "\\\"SageMakerInferenceId\\\": \\\"f8a1c2d3-0000-4a4a-9b9b-123456789abc\\\", "
            "\\\"SageMakerInferenceTime\\\": \\\"2022-08-30T00:49:15Z\\\"}\", \"encoding\": "
            "\"JSON\"}}, \"eventMetadata\": {\"eventId\": "
            "\"f8a1c2d3-0000-4a4a-9b9b-123456789abc\"}, \"groundTruthData\": {\"data\": \"1\", "
            "\"encoding\": \"CSV\"}, \"eventVersion\": \"0\"}",
            &rec);
    assert_payload(&rec.batch_output,
                   "{\"output\": 0, \"SageMakerInferenceId\": "
                   "\"f8a1c2d3-0000-4a4a-9b9b-123456789abc\", \"SageMakerInferenceTime\": "
                   "\"2022-08-30T00:49:15Z\"}",
                   "JSON", NULL, NULL);
    assert_no_payload(&rec.input);
    assert_no_payload(&rec.output);
    assert_payload(&rec.ground_truth, "1", "CSV", NULL, NULL);
    assert_slice(rec.event_id, "f8a1c2d3-0000-4a4a-9b9b-123456789abc");
    assert_slice(rec.inference_id, NULL);
}

static void test_input_output_only(void **state)
{
    (void)state;
    bm_capture_record rec;
    scan_ok("{\"captureData\":{\"endpointInput\":{\"observedContentType\":\"text/csv\",\"mode\":"
            "\"INPUT\",\"data\":\"1,2,3\",\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":"
            "\"e1\",\"inferenceTime\":\"2024-01-19T20:06:08Z\"},\"eventVersion\":\"0\"}",
            &rec);
    assert_payload(&rec.input, "1,2,3", "CSV", "text/csv", "INPUT");
    assert_no_payload(&rec.output);
    assert_slice(rec.inference_id, NULL);

    scan_ok("{\"captureData\":{\"endpointOutput\":{\"observedContentType\":\"text/csv\",\"mode\":"
            "\"OUTPUT\",\"data\":\"0.9\",\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":"
            "\"e2\",\"inferenceTime\":\"2024-01-19T20:06:08Z\"},\"eventVersion\":\"0\"}",
            &rec);
    assert_no_payload(&rec.input);
    assert_payload(&rec.output, "0.9", "CSV", "text/csv", "OUTPUT");
    assert_slice(rec.event_id, "e2");

    /* empty objects and an empty record are fine; empty strings are present, not absent */
    scan_ok("{\"captureData\":{\"endpointInput\":{}},\"eventMetadata\":{},\"eventVersion\":\"\"}",
            &rec);
    assert_payload(&rec.input, NULL, NULL, NULL, NULL);
    assert_slice(rec.event_version, "");
    scan_ok("{}", &rec);
    assert_no_payload(&rec.input);
    assert_slice(rec.event_version, NULL);
    scan_ok(" \t\r\n{ } \n", &rec);
}

/* ==================================================================== escapes */

static void test_escapes(void **state)
{
    (void)state;
    bm_capture_record rec;
    /* \n in CSV data, \" and \u escapes in ids: 2-, 3- and 4-byte UTF-8 (a surrogate pair) */
    scan_ok("{\"captureData\":{\"endpointInput\":{\"data\":\"1,2\\n3,4\\r\\n\\\"q\\\",\\t5\\n\","
            "\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":\"id-\\\"quoted\\\"\","
            "\"inferenceId\":\"caf\\u00e9-\\u4e2D-\\ud83d\\ude00-\\u0041\",\"inferenceTime\":"
            "\"a\\/b\\\\c\\bd\\fe\"}}",
            &rec);
    assert_slice(rec.input.data, "1,2\n3,4\r\n\"q\",\t5\n");
    assert_slice(rec.event_id, "id-\"quoted\"");
    assert_slice(rec.inference_id, "caf\xc3\xa9-\xe4\xb8\xad-\xf0\x9f\x98\x80-A");
    assert_slice(rec.inference_time, "a/b\\c\bd\fe");

    /* raw UTF-8 passes through zero copy */
    const char *raw =
        "{\"eventMetadata\":{\"eventId\":\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"}}";
    scan_ok(raw, &rec);
    assert_slice(rec.event_id, "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80");
    assert_true(slice_in(rec.event_id, raw, strlen(raw)));

    /* keys are compared unescaped, as jansson stores them */
    scan_ok("{\"capture\\u0044ata\":{\"endpoint\\u0049nput\":{\"d\\u0061ta\":\"x\",\"mo\\u0064e\":"
            "\"INPUT\"}},\"event\\u0056ersion\":\"0\",\"\\u0065ventMetadata\":{\"eventI\\u0064\":"
            "\"e\"}}",
            &rec);
    assert_payload(&rec.input, "x", NULL, NULL, "INPUT");
    assert_slice(rec.event_version, "0");
    assert_slice(rec.event_id, "e");
    /* a near miss is just another member */
    scan_ok("{\"captureData \":5,\"eventversion\":5,\"eventMetadata\\u0020\":{\"eventId\":\"no\"}}",
            &rec);
    assert_no_payload(&rec.input);
    assert_slice(rec.event_id, NULL);
    assert_slice(rec.event_version, NULL);

    /* long strings, escapes at every position relative to the 16/32-byte blocks */
    char line[512], want[256];
    for (int pos = 0; pos < 70; pos++) {
        char data[128];
        size_t n = 0;
        for (int i = 0; i < pos; i++)
            data[n++] = (char)('a' + i % 26);
        memcpy(data + n, "\\n", 2);
        n += 2;
        for (int i = 0; i < 40; i++)
            data[n++] = (char)('0' + i % 10);
        data[n] = 0;
        snprintf(line, sizeof(line), "{\"groundTruthData\":{\"data\":\"%s\"}}", data);
        size_t w = 0;
        for (int i = 0; i < pos; i++)
            want[w++] = (char)('a' + i % 26);
        want[w++] = '\n';
        for (int i = 0; i < 40; i++)
            want[w++] = (char)('0' + i % 10);
        want[w] = 0;
        scan_ok(line, &rec);
        assert_slice(rec.ground_truth.data, want);
    }
}

/* ==================================================================== unknown members */

static void test_unknown_members(void **state)
{
    (void)state;
    bm_capture_record rec;
    scan_ok("{\"x\":{\"captureData\":{\"endpointInput\":{\"data\":\"no\"}}},\"a\":[1,-2.5e+3,true,"
            "false,null,{\"b\":[[],{}]},\"s\\\"}\"],\"captureData\":{\"foo\":[{\"data\":\"no\"}],"
            "\"endpointInput\":{\"bar\":{\"mode\":\"no\"},\"data\":\"yes\",\"baz\":-0,\"qux\":"
            "[\"x\",{\"y\":null}],\"encoding\":\"CSV\",\"t\":true,\"f\":false,\"n\":null},"
            "\"endpointOutput\":{\"data\":\"o\",\"extra\":1E-7}},\"eventMetadata\":{"
            "\"customAttributes\":\"c=1\",\"eventId\":\"e\",\"nested\":{\"eventId\":\"no\"},"
            "\"inferenceTime\":\"t\"},\"eventVersion\":\"0\",\"z\":0.5,\"zz\":[],\"zzz\":{}}",
            &rec);
    assert_payload(&rec.input, "yes", "CSV", NULL, NULL);
    assert_payload(&rec.output, "o", NULL, NULL, NULL);
    assert_slice(rec.event_id, "e");
    assert_slice(rec.inference_time, "t");
    assert_slice(rec.inference_id, NULL);
    assert_slice(rec.event_version, "0");

    /* an unknown member whose value holds the needed names does not leak into the record */
    scan_ok("{\"unknown\":{\"eventMetadata\":{\"eventId\":\"no\"},\"eventVersion\":\"no\"}}", &rec);
    assert_slice(rec.event_id, NULL);
    assert_slice(rec.event_version, NULL);

    /* unknown members of every type at the record level, with whitespace everywhere */
    scan_ok(" {\n\t\"n\" : null , \"t\" :true,\"f\":false ,\"i\": 12345678901234567 ,\"r\":"
            "-0.0e-0 ,\"s\":\"\",\"a\":[ ],\"o\":{ },\"eventVersion\" : \"0\" \r\n} \r\n",
            &rec);
    assert_slice(rec.event_version, "0");
}

/* ==================================================================== wrong types */

struct wrong_case {
    const char *line;
    const char *path;
    const char *at; /* the error column is where this text first occurs */
};

static const struct wrong_case wrong_cases[] = {
    {"{\"captureData\": []}", "$.captureData", "[]"},
    {"{\"captureData\": \"x\"}", "$.captureData", "\"x\""},
    {"{\"captureData\": null}", "$.captureData", "null"},
    {"{\"captureData\": {\"endpointInput\": 5}}", "$.captureData.endpointInput", "5"},
    {"{\"captureData\": {\"endpointOutput\": true}}", "$.captureData.endpointOutput", "true"},
    {"{\"captureData\": {\"batchTransformOutput\": [{}]}}", "$.captureData.batchTransformOutput",
     "[{}]"},
    {"{\"captureData\": {\"endpointInput\": {\"data\": 5}}}", "$.captureData.endpointInput.data",
     "5"},
    {"{\"captureData\": {\"endpointInput\": {\"encoding\": {\"a\":1}}}}",
     "$.captureData.endpointInput.encoding", "{\"a\""},
    {"{\"captureData\": {\"endpointInput\": {\"observedContentType\": [\"text/csv\"]}}}",
     "$.captureData.endpointInput.observedContentType", "[\"text"},
    {"{\"captureData\": {\"endpointOutput\": {\"mode\": false}}}",
     "$.captureData.endpointOutput.mode", "false"},
    {"{\"captureData\": {\"endpointOutput\": {\"data\": null}}}",
     "$.captureData.endpointOutput.data", "null"},
    {"{\"captureData\": {\"batchTransformOutput\": {\"data\": -1.5}}}",
     "$.captureData.batchTransformOutput.data", "-1.5"},
    {"{\"groundTruthData\": 1}", "$.groundTruthData", "1"},
    {"{\"groundTruthData\": {\"data\": 1}}", "$.groundTruthData.data", "1}"},
    {"{\"groundTruthData\": {\"encoding\": null}}", "$.groundTruthData.encoding", "null"},
    {"{\"eventMetadata\": \"e\"}", "$.eventMetadata", "\"e\""},
    {"{\"eventMetadata\": {\"eventId\": 7}}", "$.eventMetadata.eventId", "7"},
    {"{\"eventMetadata\": {\"inferenceId\": 7}}", "$.eventMetadata.inferenceId", "7"},
    {"{\"eventMetadata\": {\"inferenceTime\": 1705694768}}", "$.eventMetadata.inferenceTime",
     "1705694768"},
    {"{\"eventVersion\": 0}", "$.eventVersion", "0}"},
    /* the leftmost of several */
    {"{\"eventVersion\": 0, \"eventMetadata\": {\"eventId\": 7}}", "$.eventVersion", "0,"},
    {"{\"eventMetadata\": {\"eventId\": 7}, \"eventVersion\": 0}", "$.eventMetadata.eventId", "7"},
    /* duplicates: the last value decides */
    {"{\"eventVersion\": \"0\", \"eventVersion\": 0}", "$.eventVersion", "0}"},
    {"{\"captureData\": {}, \"captureData\": []}", "$.captureData", "[]"},
    {"{\"captureData\": {\"endpointInput\": {\"data\": \"x\", \"data\": [1]}}}",
     "$.captureData.endpointInput.data", "[1]"},
};

static void test_wrong_types(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(wrong_cases) / sizeof(wrong_cases[0]); i++) {
        const struct wrong_case *c = &wrong_cases[i];
        bm_capture_record rec;
        bm_error err;
        memset(&rec, 0x5a, sizeof(rec));
        int r = scan_str(c->line, &rec, &err);
        long want_col = (long)(strstr(c->line, c->at) - c->line) + 1;
        if (r != BM_EPARSE || strcmp(err.path, c->path) != 0 || err.col != want_col)
            print_error("case %zu: r %d path \"%s\" col %ld (want %s col %ld): %s\n", i, r,
                        err.path, err.col, c->path, want_col, err.msg);
        assert_int_equal(r, BM_EPARSE);
        assert_string_equal(err.path, c->path);
        assert_int_equal(err.col, want_col);
        assert_int_equal(err.code, BM_EPARSE);
        assert_non_null(strstr(err.msg, "must be "));
        char text[800];
        bm_error_format(&err, text, sizeof(text));
        assert_non_null(strstr(text, c->path));
        /* on failure the record is cleared */
        assert_no_payload(&rec.input);
        assert_slice(rec.event_id, NULL);
        /* jansson accepts each of these, and the member has the wrong type */
        assert_int_equal(agrees_with_jansson(c->line, strlen(c->line), r, &rec, &err), 0);
    }
}

static void test_duplicates(void **state)
{
    (void)state;
    bm_capture_record rec;
    /* a later good value replaces a wrong-typed one */
    scan_ok("{\"eventVersion\": 0, \"eventVersion\": \"1\"}", &rec);
    assert_slice(rec.event_version, "1");
    scan_ok("{\"captureData\": 5, \"captureData\": {\"endpointInput\": {\"data\": \"d\"}}}", &rec);
    assert_payload(&rec.input, "d", NULL, NULL, NULL);
    /* a later object replaces every member of an earlier one, wrong types included */
    scan_ok("{\"captureData\": {\"endpointInput\": {\"data\": 5, \"mode\": \"INPUT\"}, "
            "\"endpointOutput\": {\"data\": \"o\"}}, \"captureData\": {\"endpointInput\": "
            "{\"encoding\": \"CSV\"}}}",
            &rec);
    assert_payload(&rec.input, NULL, "CSV", NULL, NULL);
    assert_no_payload(&rec.output);
    scan_ok("{\"eventMetadata\": {\"eventId\": \"a\", \"inferenceId\": \"b\"}, \"eventMetadata\": "
            "{\"inferenceTime\": \"c\"}}",
            &rec);
    assert_slice(rec.event_id, NULL);
    assert_slice(rec.inference_id, NULL);
    assert_slice(rec.inference_time, "c");
    /* the last of duplicate strings, escaped or not */
    scan_ok("{\"groundTruthData\": {\"data\": \"a\\n\", \"data\": \"b\", \"encoding\": \"x\", "
            "\"encoding\": \"y\\t\"}}",
            &rec);
    assert_payload(&rec.ground_truth, "b", "y\t", NULL, NULL);
    /* a later wrong type replaces a good value */
    bm_error err;
    assert_int_equal(scan_str("{\"captureData\": {\"endpointInput\": {}}, \"captureData\": "
                              "{\"endpointInput\": []}}",
                              &rec, &err),
                     BM_EPARSE);
    assert_string_equal(err.path, "$.captureData.endpointInput");
}

/* ==================================================================== malformed JSON */

struct bad_case {
    const char *line;
    size_t len;     /* 0: strlen(line) */
    const char *at; /* the error column is where this text first occurs; NULL: the end (len + 1) */
    int off;        /* added to the column of `at` */
    int code;
};

static const struct bad_case bad_cases[] = {
    {"", 0, NULL, 0, BM_EPARSE},
    {"   ", 0, NULL, 0, BM_EPARSE},
    {"[]", 0, "[", 0, BM_EPARSE},
    {"\"x\"", 0, "\"", 0, BM_EPARSE},
    {"5", 0, "5", 0, BM_EPARSE},
    {"null", 0, "n", 0, BM_EPARSE},
    {"\xef\xbb\xbf{}", 0, "\xef", 0, BM_EPARSE},
    {"{", 0, NULL, 0, BM_EPARSE},
    {"{\"a\"", 0, NULL, 0, BM_EPARSE},
    {"{\"a\":", 0, NULL, 0, BM_EPARSE},
    {"{\"a\":1", 0, NULL, 0, BM_EPARSE},
    {"{\"a\":1,", 0, NULL, 0, BM_EPARSE},
    {"{\"a\" 1}", 0, "1", 0, BM_EPARSE},
    {"{\"a\":}", 0, "}", 0, BM_EPARSE},
    {"{\"a\":1,}", 0, "}", 0, BM_EPARSE},
    {"{,}", 0, ",", 0, BM_EPARSE},
    {"{\"a\":1 \"b\":2}", 0, "\"b", 0, BM_EPARSE},
    {"{\"a\":1]", 0, "]", 0, BM_EPARSE},
    {"{\"a\":[1,]}", 0, "]", 0, BM_EPARSE},
    {"{\"a\":[1 2]}", 0, "2", 0, BM_EPARSE},
    {"{\"a\":[1}", 0, "}", 0, BM_EPARSE},
    {"{\"a\":{\"b\":1]}", 0, "]", 0, BM_EPARSE},
    {"{\"a\":{\"b\" 1}}", 0, "1", 0, BM_EPARSE},
    {"{\"a\":{1:1}}", 0, "1", 0, BM_EPARSE},
    {"{'a':1}", 0, "'", 0, BM_EPARSE},
    {"{a:1}", 0, "a", 0, BM_EPARSE},
    {"{\"a\":01}", 0, "1}", 0, BM_EPARSE},
    {"{\"a\":-}", 0, "}", 0, BM_EPARSE},
    {"{\"a\":-a}", 0, "a}", 0, BM_EPARSE},
    {"{\"a\":1.}", 0, "}", 0, BM_EPARSE},
    {"{\"a\":1.e5}", 0, "e5", 0, BM_EPARSE},
    {"{\"a\":1e}", 0, "}", 0, BM_EPARSE},
    {"{\"a\":1e+}", 0, "}", 0, BM_EPARSE},
    {"{\"a\":.5}", 0, ".", 0, BM_EPARSE},
    {"{\"a\":+1}", 0, "+", 0, BM_EPARSE},
    {"{\"a\":0x1}", 0, "x", 0, BM_EPARSE},
    {"{\"a\":1a}", 0, "a}", 0, BM_EPARSE},
    {"{\"a\":NaN}", 0, "N", 0, BM_EPARSE},
    {"{\"a\":Infinity}", 0, "I", 0, BM_EPARSE},
    {"{\"a\":tru}", 0, "t", 0, BM_EPARSE},
    {"{\"a\":True}", 0, "T", 0, BM_EPARSE},
    {"{\"a\":nul}", 0, "n", 0, BM_EPARSE},
    {"{\"a\":falsey}", 0, "y", 0, BM_EPARSE},
    {"{\"a\":\"x}", 0, NULL, 0, BM_EPARSE},
    {"{\"a\":\"x\\", 0, NULL, -1, BM_EPARSE},
    {"{\"a\":\"\\x\"}", 0, "\\", 0, BM_EPARSE},
    {"{\"a\":\"\\U0041\"}", 0, "\\", 0, BM_EPARSE},
    {"{\"a\":\"\\u12G4\"}", 0, "\\", 0, BM_EPARSE},
    {"{\"a\":\"\\u12\"}", 0, "\\", 0, BM_EPARSE},
    {"{\"a\":\"\\u0000\"}", 0, "\\", 0, BM_EPARSE},
    {"{\"a\\u0000\":1}", 0, "\\", 0, BM_EPARSE},
    {"{\"a\":\"\\uD800\"}", 0, "\\", 0, BM_EPARSE},
    {"{\"a\":\"\\uD800x\"}", 0, "\\", 0, BM_EPARSE},
    {"{\"a\":\"\\uD800\\u0041\"}", 0, "\\", 0, BM_EPARSE},
    {"{\"a\":\"\\uD800\\uD800\"}", 0, "\\", 0, BM_EPARSE},
    {"{\"a\":\"\\uD800\\n\"}", 0, "\\", 0, BM_EPARSE},
    {"{\"a\":\"\\uDC00\"}", 0, "\\", 0, BM_EPARSE},
    {"{\"a\":\"x\ty\"}", 0, "\t", 0, BM_EPARSE},
    {"{\"a\":\"x\ny\"}", 0, "\n", 0, BM_EPARSE},
    {"{\"a\":\"x\x1f\"}", 0, "\x1f", 0, BM_EPARSE},
    {"{\"a\":\"x\0\"}", 10, "x", 1, BM_EPARSE},
    {"{\"a\":1}x", 0, "x", 0, BM_EPARSE},
    {"{\"a\":1} {}", 0, "{}", 0, BM_EPARSE},
    {"{\"a\":1},", 0, ",", 0, BM_EPARSE},
    {"{\"a\":1}\0", 8, "}", 1, BM_EPARSE},
    /* jansson skips a NUL right after a number or literal; the scanner does not */
    {"{\"a\":1\0}", 8, "1", 1, BM_EPARSE},
    {"{\"a\":[true\0,null\0]}", 19, "true", 4, BM_EPARSE},
    {"{\"eventVersion\":\"0\",\"n\":-0.5e3\0}", 32, "-", 6, BM_EPARSE},
    {"{\"a\":1}\f", 0, "\f", 0, BM_EPARSE},
    {"{\f\"a\":1}", 0, "\f", 0, BM_EPARSE},
    {"{\"a\"\v:1}", 0, "\v", 0, BM_EPARSE},
    /* UTF-8: truncated, stray continuation, overlong, surrogate, above U+10FFFF, 0xFE/0xFF */
    {"{\"a\":\"\xc3\"}", 0, "\xc3", 0, BM_EPARSE},
    {"{\"a\":\"\xe4\xb8\"}", 0, "\xe4", 0, BM_EPARSE},
    {"{\"a\":\"\xf0\x9f\x98\"}", 0, "\xf0", 0, BM_EPARSE},
    {"{\"a\":\"x\x80\"}", 0, "\x80", 0, BM_EPARSE},
    {"{\"a\":\"\xc0\xaf\"}", 0, "\xc0", 0, BM_EPARSE},
    {"{\"a\":\"\xc1\xbf\"}", 0, "\xc1", 0, BM_EPARSE},
    {"{\"a\":\"\xe0\x80\xaf\"}", 0, "\xe0", 0, BM_EPARSE},
    {"{\"a\":\"\xf0\x80\x80\xaf\"}", 0, "\xf0", 0, BM_EPARSE},
    {"{\"a\":\"\xed\xa0\x80\"}", 0, "\xed", 0, BM_EPARSE},
    {"{\"a\":\"\xed\xbf\xbf\"}", 0, "\xed", 0, BM_EPARSE},
    {"{\"a\":\"\xf4\x90\x80\x80\"}", 0, "\xf4", 0, BM_EPARSE},
    {"{\"a\":\"\xf5\x80\x80\x80\"}", 0, "\xf5", 0, BM_EPARSE},
    {"{\"a\":\"\xfe\"}", 0, "\xfe", 0, BM_EPARSE},
    {"{\"a\":\"\xff\"}", 0, "\xff", 0, BM_EPARSE},
    {"{\"a\":\"\xc3\xa9\xc3\"}", 0, "\xc3\"", 0, BM_EPARSE},
    {"{\"\xc3\xa9\":1,\xc3\xa9}", 0, "\xc3\xa9}", 0, BM_EPARSE},
    {"{\"a\":1}\xc3\xa9", 0, "\xc3\xa9", 0, BM_EPARSE},
    /* integers: int64; reals: no overflow to infinity */
    {"{\"a\":9223372036854775808}", 0, "9", 0, BM_EPARSE},
    {"{\"a\":-9223372036854775809}", 0, "-", 0, BM_EPARSE},
    {"{\"a\":100000000000000000000}", 0, "1", 0, BM_EPARSE},
    {"{\"a\":1e309}", 0, "1", 0, BM_EPARSE},
    {"{\"a\":-1.8e308}", 0, "-", 0, BM_EPARSE},
    {"{\"a\":1.7976931348623159e308}", 0, "1", 0, BM_EPARSE},
    {"{\"a\":0.000001e315}", 0, "0", 0, BM_EPARSE},
    {"{\"a\":1e99999999999999999999}", 0, "1", 0, BM_EPARSE},
    /* errors inside the members the scanner descends into */
    {"{\"captureData\":{\"endpointInput\":{\"data\":\"x\" \"mode\":1}}}", 0, "\"mode", 0,
     BM_EPARSE},
    {"{\"captureData\":{\"endpointInput\":{\"data\":\"a\\qb\"}}}", 0, "\\q", 0, BM_EPARSE},
    {"{\"captureData\":{\"endpointInput\":{\"data\":\"\\u00e9\\uDFFF\"}}}", 0, "\\uDFFF", 0,
     BM_EPARSE},
    {"{\"captureData\":{\"endpointInput\":[}}", 0, "}", 0, BM_EPARSE},
    {"{\"captureData\":{\"endpointInput\":{\"data\":5,}}}", 0, "}}}", 0, BM_EPARSE},
    {"{\"captureData\":{\"endpointInput\":{\"data\":\"x\"}}", 0, NULL, 0, BM_EPARSE},
    {"{\"eventMetadata\":{\"eventId\":\"e\",\"inferenceId\"}}", 0, "}}", 0, BM_EPARSE},
    {"{\"eventMetadata\":{\"eventId\":\"e\"}}}", 0, "}", 2, BM_EPARSE},
    /* a syntax error wins over a wrong type before it */
    {"{\"eventVersion\":0,\"x\":[}", 0, "}", 0, BM_EPARSE},
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        size_t len = c->len ? c->len : strlen(c->line);
        long want_col =
            c->at ? (long)(strstr(c->line, c->at) - c->line) + 1 + c->off : (long)len + 1 + c->off;
        bm_capture_record rec;
        bm_error err;
        bm_error_clear(&err);
        int r = bm_capture_scan(scanner, c->line, len, &rec, &err);
        if (r != c->code || err.col != want_col || err.path[0])
            print_error("case %zu (%s): r %d col %ld, want %d col %ld: %s\n", i, c->line, r,
                        err.col, c->code, want_col, err.msg);
        assert_int_equal(r, c->code);
        assert_int_equal(err.code, c->code);
        assert_int_equal(err.col, want_col);
        assert_string_equal(err.path, "");
        assert_true(err.msg[0] != 0);
        /* jansson refuses each of these too */
        assert_int_equal(agrees_with_jansson(c->line, len, r, &rec, &err), 0);
    }
    /* the scanner leaves file and line for the caller */
    bm_error err;
    bm_capture_record rec;
    bm_error_clear(&err);
    bm_error_at(&err, "capture.jsonl", 42, 0, NULL);
    assert_int_equal(bm_capture_scan(scanner, "{x}", 3, &rec, &err), BM_EPARSE);
    assert_string_equal(err.file, "capture.jsonl");
    assert_int_equal(err.line, 42);
    assert_int_equal(err.col, 2);
    char text[600];
    bm_error_format(&err, text, sizeof(text));
    assert_non_null(strstr(text, "capture.jsonl:42:2: "));
    /* NULL arguments */
    assert_int_equal(bm_capture_scan(NULL, "{}", 2, &rec, &err), BM_EINVAL);
    assert_int_equal(bm_capture_scan(scanner, NULL, 2, &rec, &err), BM_EINVAL);
    assert_int_equal(bm_capture_scan(scanner, "{}", 2, NULL, &err), BM_EINVAL);
    assert_int_equal(bm_capture_scan(scanner, NULL, 0, &rec, NULL), BM_EPARSE);
    assert_int_equal(bm_capture_scan(scanner, "{}", 2, &rec, NULL), BM_OK);
}

static void test_numbers(void **state)
{
    (void)state;
    static const char *const good[] = {
        "0",
        "-0",
        "1",
        "-1",
        "0.0",
        "-0.0e-0",
        "1e5",
        "1E+5",
        "1e-5",
        "123.456e-789",
        "9223372036854775807",
        "-9223372036854775808",
        "0.5e1",
        "1e-99999999999999999999",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "-1.7976931348623158e308",
        "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649"
        "017977587207096330286416692887910946555547851940402630657488671505820681908902000708383"
        "676273854845817711531764475730270069855571366959622842914819860834936475292719074168444"
        "365510704342711559699508093042880177904174497791.9999",
        "0.00000000000000000000000000001e337",
        "1e308",
        "10e307",
        "0.1e309",
        "4.9e-324",
        "2e-400"};
    static const char *const bad[] = {
        "9223372036854775808",
        "-9223372036854775809",
        "12345678901234567890",
        "1.7976931348623159e308",
        "1e309",
        "0.1e310",
        "10e308",
        "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649"
        "017977587207096330286416692887910946555547851940402630657488671505820681908902000708383"
        "676273854845817711531764475730270069855571366959622842914819860834936475292719074168444"
        "365510704342711559699508093042880177904174497792.0",
        "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649"
        "017977587207096330286416692887910946555547851940402630657488671505820681908902000708383"
        "676273854845817711531764475730270069855571366959622842914819860834936475292719074168444"
        "365510704342711559699508093042880177904174497792e0"};
    char line[1024];
    bm_capture_record rec;
    bm_error err;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(line, sizeof(line), "{\"n\":%s,\"a\":[%s]}", good[i], good[i]);
        scan_ok(line, &rec);
        assert_int_equal(agrees_with_jansson(line, strlen(line), BM_OK, &rec, &err), 0);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(line, sizeof(line), "{\"n\":%s}", bad[i]);
        int r = scan_str(line, &rec, &err);
        assert_int_equal(r, BM_EPARSE);
        assert_int_equal(err.col, 6);
        assert_int_equal(agrees_with_jansson(line, strlen(line), r, &rec, &err), 0);
    }
}

/* Random numbers around the two range limits (int64, and the largest double) against jansson. */
static void test_number_limits(void **state)
{
    (void)state;
    static const char h[] = "17976931348623158079372897140530341507993413271003782693617377898"
                            "04449682927647509466490179775872070963302864166928879109465555478"
                            "51940402630657488671505820681908902000708383676273854845817711531"
                            "76447573027006985557136695962284291481986083493647529271907416844"
                            "4365510704342711559699508093042880177904174497792";
    uint64_t x = 0x243f6a8885a308d3u;
    char line[1200], num[1100];
    bm_capture_record rec;
    bm_error err;
    int accepted = 0, refused = 0;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = 0;
        if (x & 1) num[n++] = '-';
        if (i % 2) {
            /* an integer of 18-20 digits near 2^63 */
            const char *base = x & 2 ? "9223372036854775807" : "9223372036854775808";
            size_t keep = (size_t)(x >> 8) % 20;
            memcpy(num + n, base, keep);
            n += keep;
            for (size_t k = keep; k < 19; k++)
                num[n++] = (char)('0' + (x >> (k % 60)) % 10);
            if ((x >> 40) % 4 == 0) num[n++] = '0';
            if (num[x & 1] == '0') num[x & 1] = '9';
        } else {
            /* a prefix of the overflow threshold, changed near its end, with a moved point */
            size_t keep = 1 + (size_t)(x >> 8) % 330, digits = keep + (size_t)(x >> 20) % 40;
            for (size_t k = 0; k < digits; k++) {
                char c = k < keep && k < sizeof(h) - 1 ? h[k] : (char)('0' + (x >> (k % 50)) % 10);
                if (k == keep - 1 && (x >> 30) % 3 == 0) c = c == '0' ? '1' : (char)(c - 1);
                if (k == keep - 1 && (x >> 30) % 3 == 1) c = c == '9' ? '8' : (char)(c + 1);
                num[n++] = c;
            }
            if (num[n - digits] == '0') num[n - digits] = '1';
            size_t point = 1 + (size_t)(x >> 36) % digits;
            if (point < digits) {
                memmove(num + n - digits + point + 1, num + n - digits + point, digits - point);
                num[n - digits + point] = '.';
                n++;
            }
            long e = 309 - (long)point + (long)((x >> 44) % 5) - 2;
            n += (size_t)snprintf(num + n, sizeof(num) - n, (x >> 50) & 1 ? "e%ld" : "E%+ld", e);
        }
        num[n] = 0;
        snprintf(line, sizeof(line), "{\"n\":%s}", num);
        int r = scan_str(line, &rec, &err);
        if (r == BM_OK)
            accepted++;
        else
            refused++;
        assert_int_equal(agrees_with_jansson(line, strlen(line), r, &rec, &err), 0);
    }
    assert_true(accepted > 2000 && refused > 2000);
}

/* ==================================================================== depth, UTF-8, limits */

/* Builds {"k": [[...]]} with `arrays` nested arrays (depth 1 + arrays); objects instead of
 * arrays when `objects`. */
static char *nested(const char *k, int n, int objects)
{
    size_t cap = strlen(k) + 16 + (size_t)n * 8;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t w = (size_t)snprintf(s, cap, "{\"%s\":", k);
    for (int i = 0; i < n; i++)
        w += (size_t)snprintf(s + w, cap - w, "%s", objects ? (i + 1 < n ? "{\"o\":" : "{") : "[");
    for (int i = 0; i < n; i++)
        s[w++] = objects ? '}' : ']';
    s[w++] = '}';
    s[w] = 0;
    return s;
}

static void test_depth(void **state)
{
    (void)state;
    bm_capture_record rec;
    bm_error err;
    const char *keys[] = {"x", "captureData", "eventVersion"};
    for (int obj = 0; obj < 2; obj++) {
        for (int k = 0; k < 3; k++) {
            char *ok = nested(keys[k], 63, obj); /* 64 levels with the record */
            int r = scan_str(ok, &rec, &err);
            /* captureData made of objects is an object; otherwise a wrong type */
            if (k == 0 || (k == 1 && obj))
                assert_int_equal(r, BM_OK);
            else
                assert_int_equal(r, BM_EPARSE);
            assert_int_equal(agrees_with_jansson(ok, strlen(ok), r, &rec, &err), 0);
            free(ok);
            char *deep = nested(keys[k], 64, obj);
            r = scan_str(deep, &rec, &err);
            assert_int_equal(r, BM_ELIMIT);
            /* the 64th opening bracket of the value is the 65th level */
            const char *p = deep;
            for (int i = 0; i < 64; i++)
                p = strpbrk(p + 1, obj ? "{" : "[");
            assert_int_equal(err.col, (long)(p - deep) + 1);
            assert_int_equal(agrees_with_jansson(deep, strlen(deep), r, &rec, &err), 0);
            free(deep);
        }
    }
    /* depth counts inside the members the scanner descends into */
    char line[1024];
    int n = snprintf(line, sizeof(line), "{\"captureData\":{\"endpointInput\":{\"x\":");
    for (int i = 0; i < 61; i++)
        line[n++] = '[';
    for (int i = 0; i < 61; i++)
        line[n++] = ']';
    snprintf(line + n, sizeof(line) - (size_t)n, "}}}");
    scan_ok(line, &rec);
    n = snprintf(line, sizeof(line), "{\"captureData\":{\"endpointInput\":{\"x\":");
    for (int i = 0; i < 62; i++)
        line[n++] = '[';
    for (int i = 0; i < 62; i++)
        line[n++] = ']';
    snprintf(line + n, sizeof(line) - (size_t)n, "}}}");
    assert_int_equal(scan_str(line, &rec, &err), BM_ELIMIT);
    assert_int_equal(err.col, (long)(strchr(line, '[') - line) + 62);
}

static void test_utf8_valid(void **state)
{
    (void)state;
    /* boundaries of each sequence length, in a needed and in a skipped string */
    static const char *const ok[] = {"\x7f",
                                     "\xc2\x80",
                                     "\xdf\xbf",
                                     "\xe0\xa0\x80",
                                     "\xec\xbf\xbf",
                                     "\xed\x9f\xbf",
                                     "\xee\x80\x80",
                                     "\xef\xbf\xbf",
                                     "\xf0\x90\x80\x80",
                                     "\xf3\xbf\xbf\xbf",
                                     "\xf4\x8f\xbf\xbf"};
    char line[256];
    bm_capture_record rec;
    bm_error err;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        /* once in a skipped string, 13 times in a needed one (crossing the 16-byte blocks) */
        int n =
            snprintf(line, sizeof(line), "{\"x\":\"%s\",\"eventMetadata\":{\"eventId\":\"a", ok[i]);
        for (int k = 0; k < 13; k++)
            n += snprintf(line + n, sizeof(line) - (size_t)n, "%s", ok[i]);
        snprintf(line + n, sizeof(line) - (size_t)n, "\"}}");
        scan_ok(line, &rec);
        assert_int_equal(agrees_with_jansson(line, strlen(line), BM_OK, &rec, &err), 0);
    }
}

static void test_scratch_limit(void **state)
{
    (void)state;
    bm_capture_record rec;
    bm_error err;
    const char *one = "{\"groundTruthData\":{\"data\":\"abc\\n\"}}"; /* 4 bytes unescaped */
    const char *two = "{\"groundTruthData\":{\"data\":\"abc\\n\",\"mode\":\"x\\ty\"}}"; /* 4+3 */
    const char *plain = "{\"groundTruthData\":{\"data\":\"abcdefghijkl\"},\"x\":\"\\n\\n\\n\\n\","
                        "\"k\\u0065y\":1}";
    const char *wide = "{\"x\":\"................................\",\"eventVersion\":"
                       "\"\\u00e9\\u00e9\"}"; /* 12 escaped bytes, 4 unescaped */
    struct {
        size_t max;
        const char *line;
        int r;
    } cases[] = {
        {0, one, BM_ELIMIT},  {3, one, BM_ELIMIT}, {4, one, BM_OK},
        {6, two, BM_ELIMIT},  {7, two, BM_OK},     {0, plain, BM_OK},
        {3, wide, BM_ELIMIT}, {4, wide, BM_OK},    {100, two, BM_OK},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bm_capture_scanner *s = bm_capture_scanner_new(cases[i].max);
        assert_non_null(s);
        bm_error_clear(&err);
        int r = bm_capture_scan(s, cases[i].line, strlen(cases[i].line), &rec, &err);
        if (r != cases[i].r) print_error("case %zu: %d (%s)\n", i, r, err.msg);
        assert_int_equal(r, cases[i].r);
        if (r == BM_ELIMIT) {
            /* at the string that did not fit */
            assert_true(err.col > 1);
            assert_int_equal(cases[i].line[err.col - 1], '"');
            assert_string_equal(err.path, "");
        }
        /* the same scanner is fine afterwards */
        r = bm_capture_scan(s, "{\"eventVersion\":\"0\"}", 20, &rec, &err);
        assert_int_equal(r, BM_OK);
        assert_slice(rec.event_version, "0");
        bm_capture_scanner_free(s);
    }
    bm_capture_scanner_free(NULL);

    /* slices from earlier lines are not needed to stay valid, but each line's are: a short
     * escaped line, then a longer one that grows the scratch area */
    bm_capture_scanner *s = bm_capture_scanner_new(BIG_SCRATCH);
    assert_non_null(s);
    assert_int_equal(bm_capture_scan(s, one, strlen(one), &rec, &err), BM_OK);
    assert_slice(rec.ground_truth.data, "abc\n");
    char line[4096];
    int n = snprintf(line, sizeof(line), "{\"groundTruthData\":{\"data\":\"");
    for (int i = 0; i < 500; i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, "x\\n");
    snprintf(line + n, sizeof(line) - (size_t)n, "\",\"encoding\":\"C\\u0053V\"}}");
    assert_int_equal(bm_capture_scan(s, line, strlen(line), &rec, &err), BM_OK);
    assert_int_equal(rec.ground_truth.data.n, 1000);
    assert_slice(rec.ground_truth.encoding, "CSV");
    bm_capture_scanner_free(s);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    int saw_fail = 0, done = 0;
    for (long n = 1; n < 50 && !done; n++) {
        bm_alloc_fail_after(n);
        bm_capture_scanner *s = bm_capture_scanner_new(BIG_SCRATCH);
        if (!s) {
            bm_alloc_fail_after(0);
            saw_fail = 1;
            continue;
        }
        bm_capture_record rec;
        bm_error err;
        bm_error_clear(&err);
        int r = bm_capture_scan(s, spec_capture, strlen(spec_capture), &rec, &err);
        int r2 = bm_capture_scan(s, spec_capture, strlen(spec_capture), &rec, &err);
        bm_alloc_fail_after(0);
        if (r == BM_ENOMEM) {
            saw_fail = 1;
            assert_int_equal(err.code, BM_ENOMEM);
            assert_int_equal(r2, BM_ENOMEM);
            assert_no_payload(&rec.input);
            /* recovers once memory is back */
            assert_int_equal(bm_capture_scan(s, spec_capture, strlen(spec_capture), &rec, &err),
                             BM_OK);
        } else {
            assert_int_equal(r, BM_OK);
            assert_int_equal(r2, BM_OK);
            done = 1;
        }
        assert_slice(rec.input.data, "69,0,153.7,109,194.0\n");
        bm_capture_scanner_free(s);
    }
    assert_true(saw_fail);
    assert_true(done);
}

/* ==================================================================== differential vs jansson */

typedef struct gen {
    uint64_t state;
    bm_buf b;
} gen;

static uint64_t rnd(gen *g)
{
    g->state ^= g->state << 13;
    g->state ^= g->state >> 7;
    g->state ^= g->state << 17;
    return g->state;
}

static unsigned below(gen *g, unsigned n)
{
    return (unsigned)(rnd(g) % n);
}

static void put(gen *g, const char *s)
{
    assert_int_equal(bm_buf_puts(&g->b, s), BM_OK);
}

static void putn(gen *g, const char *s, size_t n)
{
    assert_int_equal(bm_buf_append(&g->b, s, n), BM_OK);
}

static void ws(gen *g)
{
    static const char *const w[] = {"", "", "", " ", " ", "  ", "\t", "\n", "\r\n", " \t "};
    put(g, w[below(g, 10)]);
}

/* Writes a code point as JSON string content, raw or escaped at random. */
static void put_cp(gen *g, uint32_t cp)
{
    char tmp[16];
    int esc = below(g, 4) == 0;
    if (cp == '"' || cp == '\\' || cp < 0x20) esc = 1;
    if (!esc) {
        if (cp < 0x80) {
            tmp[0] = (char)cp;
            putn(g, tmp, 1);
        } else if (cp < 0x800) {
            tmp[0] = (char)(0xc0 | cp >> 6);
            tmp[1] = (char)(0x80 | (cp & 0x3f));
            putn(g, tmp, 2);
        } else if (cp < 0x10000) {
            tmp[0] = (char)(0xe0 | cp >> 12);
            tmp[1] = (char)(0x80 | (cp >> 6 & 0x3f));
            tmp[2] = (char)(0x80 | (cp & 0x3f));
            putn(g, tmp, 3);
        } else {
            tmp[0] = (char)(0xf0 | cp >> 18);
            tmp[1] = (char)(0x80 | (cp >> 12 & 0x3f));
            tmp[2] = (char)(0x80 | (cp >> 6 & 0x3f));
            tmp[3] = (char)(0x80 | (cp & 0x3f));
            putn(g, tmp, 4);
        }
        return;
    }
    const char *shorthand = NULL;
    switch (cp) {
    case '"':
        shorthand = "\\\"";
        break;
    case '\\':
        shorthand = "\\\\";
        break;
    case '/':
        shorthand = "\\/";
        break;
    case '\b':
        shorthand = "\\b";
        break;
    case '\f':
        shorthand = "\\f";
        break;
    case '\n':
        shorthand = "\\n";
        break;
    case '\r':
        shorthand = "\\r";
        break;
    case '\t':
        shorthand = "\\t";
        break;
    }
    if (shorthand && below(g, 3)) {
        put(g, shorthand);
    } else if (cp >= 0x10000) {
        uint32_t v = cp - 0x10000;
        snprintf(tmp, sizeof(tmp), below(g, 2) ? "\\u%04X\\u%04x" : "\\u%04x\\u%04X",
                 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
        put(g, tmp);
    } else {
        snprintf(tmp, sizeof(tmp), below(g, 2) ? "\\u%04x" : "\\u%04X", cp);
        put(g, tmp);
    }
}

/* A JSON string of random text (CSV-like, JSON-like, non-ASCII, controls). */
static void put_text(gen *g, const char *plain)
{
    put(g, "\"");
    if (plain && below(g, 2)) {
        for (const char *p = plain; *p; p++)
            put_cp(g, (unsigned char)*p);
    } else {
        static const uint32_t pool[] = {'a', 'z',  '0',  '9',  ',',    '.',    '-',     ' ',
                                        '"', '\\', '/',  '\n', '\r',   '\t',   '\b',    '\f',
                                        1,   0x1f, 0x7f, 0xe9, 0x4e2d, 0xffff, 0x1f600, 0x10ffff,
                                        '{', '}',  '[',  ']',  ':'};
        unsigned n = below(g, 5) == 0 ? below(g, 200) : below(g, 24);
        for (unsigned i = 0; i < n; i++)
            put_cp(g, below(g, 3) ? (uint32_t)('a' + below(g, 26))
                                  : pool[below(g, sizeof(pool) / sizeof(pool[0]))]);
    }
    put(g, "\"");
}

/* A key, escaped at random (so that "d\u0061ta" still names data). */
static void put_key(gen *g, const char *name)
{
    put(g, "\"");
    for (const char *p = name; *p; p++) {
        if (below(g, 12) == 0) {
            char tmp[8];
            snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned char)*p);
            put(g, tmp);
        } else {
            putn(g, p, 1);
        }
    }
    put(g, "\"");
}

static void put_number(gen *g)
{
    static const char *const nums[] = {"0",
                                       "-0",
                                       "1",
                                       "-17",
                                       "3.25",
                                       "1e5",
                                       "2E-3",
                                       "-0.5e+2",
                                       "123456789012",
                                       "9223372036854775807",
                                       "-9223372036854775808",
                                       "1.5e308",
                                       "4e-320",
                                       "0.0"};
    put(g, nums[below(g, sizeof(nums) / sizeof(nums[0]))]);
}

static void put_value(gen *g, int depth)
{
    unsigned k = below(g, depth > 4 ? 6 : 8);
    switch (k) {
    case 0:
    case 1:
        put_text(g, NULL);
        break;
    case 2:
        put_number(g);
        break;
    case 3:
        put(g, "true");
        break;
    case 4:
        put(g, "false");
        break;
    case 5:
        put(g, "null");
        break;
    case 6: {
        put(g, "[");
        ws(g);
        unsigned n = below(g, 4);
        for (unsigned i = 0; i < n; i++) {
            if (i) put(g, ",");
            ws(g);
            put_value(g, depth + 1);
            ws(g);
        }
        put(g, "]");
        break;
    }
    default: {
        static const char *const names[] = {"a",           "data", "mode",          "eventId",
                                            "captureData", "x y",  "endpointInput", "\xc3\xa9"};
        put(g, "{");
        ws(g);
        unsigned n = below(g, 4);
        for (unsigned i = 0; i < n; i++) {
            if (i) put(g, ",");
            ws(g);
            put_key(g, names[below(g, sizeof(names) / sizeof(names[0]))]);
            ws(g);
            put(g, ":");
            ws(g);
            put_value(g, depth + 1);
            ws(g);
        }
        put(g, "}");
        break;
    }
    }
}

/* A needed string member: usually a string, sometimes (rarely) another type. */
static void put_needed_string(gen *g, const char *plain, int depth)
{
    if (below(g, 40) == 0)
        put_value(g, depth);
    else
        put_text(g, plain);
}

typedef void (*member_fn)(gen *g, int depth);

/* Writes an object whose members are `names` (each written by fn, or as a string when fn is
 * NULL) in random order, some left out, some repeated, with random extra members. */
static void put_object(gen *g, int depth, const char *const *names, const member_fn *fns,
                       const char *const *plains, unsigned n)
{
    unsigned order[16], m = 0;
    for (unsigned i = 0; i < n; i++)
        if (below(g, 5)) order[m++] = i;
    if (m && below(g, 10) == 0) { /* a duplicate */
        unsigned j = below(g, m);
        order[m] = order[j];
        m++;
    }
    for (unsigned i = 0; i < 3; i++)
        if (below(g, 4) == 0) order[m++] = 100; /* an extra member */
    for (unsigned i = m; i > 1; i--) {
        unsigned j = below(g, i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    if (below(g, 30) == 0) { /* the wrong type for the object itself */
        put_value(g, depth);
        return;
    }
    put(g, "{");
    for (unsigned i = 0; i < m; i++) {
        if (i) put(g, ",");
        ws(g);
        if (order[i] == 100) {
            static const char *const extras[] = {
                "customAttributes", "extra", "Data", "nested", "", "eventId ", "\xe4\xb8\xad"};
            put_key(g, extras[below(g, sizeof(extras) / sizeof(extras[0]))]);
            ws(g);
            put(g, ":");
            ws(g);
            put_value(g, depth + 1);
        } else {
            put_key(g, names[order[i]]);
            ws(g);
            put(g, ":");
            ws(g);
            if (fns[order[i]])
                fns[order[i]](g, depth + 1);
            else
                put_needed_string(g, plains[order[i]], depth + 1);
        }
        ws(g);
    }
    put(g, "}");
}

static void put_payload(gen *g, int depth)
{
    static const char *const names[] = {"data", "encoding", "observedContentType", "mode"};
    static const member_fn fns[] = {NULL, NULL, NULL, NULL};
    static const char *const plains[] = {"69,0,153.7,109,194.0\n", "CSV", "text/csv", "INPUT"};
    put_object(g, depth, names, fns, plains, 4);
}

static void put_capture(gen *g, int depth)
{
    static const char *const names[] = {"endpointInput", "endpointOutput", "batchTransformOutput"};
    static const member_fn fns[] = {put_payload, put_payload, put_payload};
    put_object(g, depth, names, fns, NULL, 3);
}

static void put_meta(gen *g, int depth)
{
    static const char *const names[] = {"eventId", "inferenceId", "inferenceTime"};
    static const member_fn fns[] = {NULL, NULL, NULL};
    static const char *const plains[] = {"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "id \"7\"",
                                         "2024-01-19T20:06:08Z"};
    put_object(g, depth, names, fns, plains, 3);
}

static void put_record(gen *g)
{
    static const char *const names[] = {"captureData", "groundTruthData", "eventMetadata",
                                        "eventVersion"};
    static const member_fn fns[] = {put_capture, put_payload, put_meta, NULL};
    static const char *const plains[] = {NULL, NULL, NULL, "0"};
    ws(g);
    /* the record itself is always an object */
    do {
        size_t mark = g->b.len;
        put_object(g, 0, names, fns, plains, 4);
        if (g->b.data[mark] == '{') break;
        g->b.len = mark;
    } while (1);
    ws(g);
}

/* Damages a line in place (one of: flip, delete, insert, truncate); returns its new length. */
static size_t mutate(gen *g, char *line, size_t len, size_t cap)
{
    static const char tokens[] = "{}[]:,\"\\ \t-+.eE0u1aftn\x80\xc3\xe4\xff";
    size_t at = len ? below(g, (unsigned)len) : 0;
    switch (below(g, 4)) {
    case 0:
        if (len) line[at] = tokens[below(g, sizeof(tokens) - 1)];
        return len;
    case 1:
        if (!len) return len;
        memmove(line + at, line + at + 1, len - at - 1);
        return len - 1;
    case 2:
        if (len + 1 > cap) return len;
        memmove(line + at + 1, line + at, len - at);
        line[at] = tokens[below(g, sizeof(tokens) - 1)];
        return len + 1;
    default:
        return at;
    }
}

static void test_differential(void **state)
{
    (void)state;
    gen g = {.state = 0x9e3779b97f4a7c15u};
    bm_buf_init(&g.b, (size_t)1 << 20);
    size_t accepted = 0, wrong_type = 0, escaped = 0, refused = 0, total = 0;
    char *copy = malloc(((size_t)1 << 20) + 8);
    assert_non_null(copy);
    for (int i = 0; i < 4000; i++) {
        bm_buf_reset(&g.b);
        put_record(&g);
        bm_capture_record rec;
        bm_error err;
        bm_error_clear(&err);
        int r = bm_capture_scan(scanner, g.b.data, g.b.len, &rec, &err);
        total++;
        if (r == BM_OK)
            accepted++;
        else if (r == BM_EPARSE && err.path[0])
            wrong_type++;
        if (memchr(g.b.data, '\\', g.b.len)) escaped++;
        assert_int_equal(agrees_with_jansson(g.b.data, g.b.len, r, &rec, &err), 0);
        /* and damaged copies */
        for (int k = 0; k < 4; k++) {
            memcpy(copy, g.b.data, g.b.len);
            size_t len = g.b.len;
            for (unsigned m = 1 + below(&g, 2); m > 0; m--)
                len = mutate(&g, copy, len, ((size_t)1 << 20) + 8);
            bm_error_clear(&err);
            r = bm_capture_scan(scanner, copy, len, &rec, &err);
            total++;
            if (r != BM_OK && !err.path[0]) refused++;
            assert_int_equal(agrees_with_jansson(copy, len, r, &rec, &err), 0);
        }
    }
    /* the generator exercises every outcome */
    assert_true(accepted > 2000);
    assert_true(wrong_type > 200);
    assert_true(escaped > 3000);
    assert_true(refused > 4000);
    print_message("differential: %zu lines, %zu accepted, %zu wrong type, %zu refused\n", total,
                  accepted, wrong_type, refused);
    free(copy);
    bm_buf_release(&g.b);
}

/* ==================================================================== base64 */

static void assert_b64(const char *in, const char *want, size_t want_len)
{
    bm_buf out;
    bm_buf_init(&out, 1 << 20);
    int r = bm_base64_decode((bm_slice){in, strlen(in)}, &out);
    if (r != BM_OK) print_error("base64 \"%s\": %d\n", in, r);
    assert_int_equal(r, BM_OK);
    assert_int_equal(out.len, want_len);
    if (want_len) assert_memory_equal(out.data, want, want_len);
    bm_buf_release(&out);
}

static void test_base64(void **state)
{
    (void)state;
    /* RFC 4648 section 10, padded and unpadded */
    static const char *const vec[][3] = {
        {"", "", ""},
        {"f", "Zg==", "Zg"},
        {"fo", "Zm8=", "Zm8"},
        {"foo", "Zm9v", "Zm9v"},
        {"foob", "Zm9vYg==", "Zm9vYg"},
        {"fooba", "Zm9vYmE=", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        assert_b64(vec[i][1], vec[i][0], strlen(vec[i][0]));
        assert_b64(vec[i][2], vec[i][0], strlen(vec[i][0]));
    }
    /* the whole alphabet, binary output, non-zero unused bits ignored */
    assert_b64("+/+/", "\xfb\xff\xbf", 3);
    assert_b64("AAECAwQFBgcICQoLDA0ODw==", "\0\1\2\3\4\5\6\7\10\11\12\13\14\15\16\17", 16);
    assert_b64("Zh==", "f", 1);
    assert_b64("Zm9=", "fo", 2);
    assert_b64("Zh", "f", 1);
    {
        char text[257], enc[400];
        static const char alpha[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < 256; i++)
            text[i] = (char)i;
        size_t w = 0;
        for (int i = 0; i < 256; i += 3) {
            uint32_t v = (uint32_t)(unsigned char)text[i] << 16;
            if (i + 1 < 256) v |= (uint32_t)(unsigned char)text[i + 1] << 8;
            if (i + 2 < 256) v |= (unsigned char)text[i + 2];
            enc[w++] = alpha[v >> 18];
            enc[w++] = alpha[v >> 12 & 63];
            enc[w++] = i + 1 < 256 ? alpha[v >> 6 & 63] : '=';
            enc[w++] = i + 2 < 256 ? alpha[v & 63] : '=';
        }
        enc[w] = 0;
        assert_b64(enc, text, 256);
    }
    /* refused */
    static const char *const bad[] = {"Z",         "Zm9vY",      "Zg=",   "Zg===",    "=",
                                      "==",        "====",       "Z===",  "Zg==Zg==", "Zm=8",
                                      "Zm9v\n",    " Zm9v",      "Zm 9v", "Zm9v-_",   "Zm9v_A==",
                                      "Zm9v\0A==", "Zm\xc3\xa9", "Zg=A"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bm_buf out;
        bm_buf_init(&out, 1 << 20);
        assert_int_equal(bm_buf_puts(&out, "keep"), BM_OK);
        size_t n = i == 15 ? 8 : strlen(bad[i]);
        int r = bm_base64_decode((bm_slice){bad[i], n}, &out);
        if (r != BM_EPARSE) print_error("base64 \"%s\" accepted\n", bad[i]);
        assert_int_equal(r, BM_EPARSE);
        assert_int_equal(out.len, 4); /* unchanged */
        assert_string_equal(out.data, "keep");
        bm_buf_release(&out);
    }
    /* appends; BM_ELIMIT at the buffer's maximum leaves it unchanged; NULL empty input */
    bm_buf out;
    bm_buf_init(&out, 8);
    assert_int_equal(bm_base64_decode((bm_slice){"Zm9v", 4}, &out), BM_OK);
    assert_int_equal(bm_base64_decode((bm_slice){"YmFy", 4}, &out), BM_OK);
    assert_string_equal(out.data, "foobar");
    assert_int_equal(bm_base64_decode((bm_slice){"YmFy", 4}, &out), BM_ELIMIT);
    assert_string_equal(out.data, "foobar");
    assert_int_equal(bm_base64_decode((bm_slice){NULL, 0}, &out), BM_OK);
    assert_int_equal(out.len, 6);
    bm_buf_release(&out);
    /* long input (several stack chunks) and allocation failure */
    size_t n = 30000;
    char *in = malloc(n + 1);
    assert_non_null(in);
    for (size_t i = 0; i < n; i += 4)
        memcpy(in + i, "Zm9v", 4);
    in[n] = 0;
    bm_buf_init(&out, 1 << 20);
    assert_int_equal(bm_base64_decode((bm_slice){in, n}, &out), BM_OK);
    assert_int_equal(out.len, n / 4 * 3);
    for (size_t i = 0; i < out.len; i += 3)
        assert_memory_equal(out.data + i, "foo", 3);
    bm_buf_release(&out);
    int saw_enomem = 0;
    for (long k = 1; k < 10; k++) {
        bm_buf_init(&out, 1 << 20);
        bm_alloc_fail_after(k);
        int r = bm_base64_decode((bm_slice){in, n}, &out);
        bm_alloc_fail_after(0);
        if (r == BM_ENOMEM) {
            saw_enomem = 1;
            assert_int_equal(out.len, 0);
        } else {
            assert_int_equal(r, BM_OK);
        }
        bm_buf_release(&out);
    }
    assert_true(saw_enomem);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_capture),
        cmocka_unit_test(test_spec_ground_truth),
        cmocka_unit_test(test_spec_merged),
        cmocka_unit_test(test_spec_batch_merged),
        cmocka_unit_test(test_input_output_only),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_unknown_members),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_number_limits),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_scratch_limit),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
