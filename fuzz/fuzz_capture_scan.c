/* Fuzz target for the capture record scanner: differential against jansson's json_loadb. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "biasmon/capture.h"

/* Checked, in this order:
 *   1. the scanner accepts iff json_loadb(data, size, 0) returns an object, except for the
 *      documented differences: a needed member of the wrong type (BM_EPARSE with err.path; then
 *      jansson must accept and that member must exist with the wrong type) and nesting deeper
 *      than 64 (BM_ELIMIT at an opening bracket that is the 65th level); a NUL byte right after
 *      a number or literal (jansson skips one; the scanner reports BM_EPARSE at it);
 *   2. when both accept, each of the 20 extracted strings is byte for byte jansson's string, or
 *      absent (p NULL, n 0) in both; `present` matches an object payload;
 *   3. error records: col within [1, size + 1], path only for wrong types, record zeroed;
 *   4. a scanner with an 8-byte scratch limit gives the same result or BM_ELIMIT at a needed
 *      escaped string that comes no later than the first scanner's error. */

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static const char *const string_paths[20] = {
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

static const char *const object_paths[6] = {
    "$.captureData",
    "$.captureData.endpointInput",
    "$.captureData.endpointOutput",
    "$.captureData.batchTransformOutput",
    "$.groundTruthData",
    "$.eventMetadata",
};

/* The value at a path like "$.a.b", or NULL when a step is missing or not an object. */
static json_t *at_path(json_t *root, const char *path)
{
    json_t *v = root;
    const char *p = path + 1;
    while (*p == '.') {
        const char *name = p + 1, *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        if (!json_is_object(v)) return NULL;
        if (!(v = json_object_getn(v, name, n))) return NULL;
        p = name + n;
    }
    return v;
}

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

static int is_zero(const bm_capture_record *rec)
{
    bm_slice s[20];
    record_strings(rec, s);
    for (int i = 0; i < 20; i++)
        if (s[i].p || s[i].n) return 0;
    return !rec->input.present && !rec->output.present && !rec->batch_output.present &&
           !rec->ground_truth.present;
}

/* Nesting depth just before byte `at` (strings skipped), or -1 when `at` is not an opening
 * bracket outside a string. */
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

static bm_capture_scanner *big, *small;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    if (!big) {
        big = bm_capture_scanner_new((size_t)1 << 30);
        small = bm_capture_scanner_new(8);
        CHECK(big && small);
    }
    bm_capture_record rec, rec2;
    bm_error err, err2;
    bm_error_clear(&err);
    bm_error_clear(&err2);
    int r = bm_capture_scan(big, line, size, &rec, &err);

    json_error_t jerr;
    json_t *root = json_loadb(line, size, 0, &jerr);
    int jok = root && json_is_object(root);

    if (r == BM_OK) {
        CHECK(jok);
        bm_slice got[20];
        record_strings(&rec, got);
        for (int i = 0; i < 20; i++) {
            json_t *v = at_path(root, string_paths[i]);
            if (!v) {
                CHECK(got[i].p == NULL && got[i].n == 0);
                continue;
            }
            CHECK(json_is_string(v) && got[i].p != NULL);
            CHECK(got[i].n == json_string_length(v));
            CHECK(memcmp(got[i].p, json_string_value(v), got[i].n) == 0);
        }
        const bm_capture_payload *pl[4] = {&rec.input, &rec.output, &rec.batch_output,
                                           &rec.ground_truth};
        for (int i = 0; i < 4; i++)
            CHECK(!!pl[i]->present == !!json_is_object(at_path(root, object_paths[i + 1])));
    } else {
        CHECK(err.code == r);
        CHECK(err.col >= 1 && (size_t)err.col <= size + 1);
        CHECK(is_zero(&rec));
        if (r == BM_EPARSE && err.path[0]) {
            CHECK(jok);
            json_t *v = at_path(root, err.path);
            int want_object = 0, known = 0;
            for (int i = 0; i < 6; i++)
                if (strcmp(err.path, object_paths[i]) == 0) want_object = known = 1;
            for (int i = 0; i < 20; i++)
                if (strcmp(err.path, string_paths[i]) == 0) known = 1;
            CHECK(known && v != NULL);
            CHECK(want_object ? !json_is_object(v) : !json_is_string(v));
        } else if (r == BM_ELIMIT) {
            CHECK(depth_before(line, size, (size_t)err.col - 1) == 64);
        } else {
            CHECK(r == BM_EPARSE && (!jok || nul_after_scalar(line, err.col)));
        }
    }

    /* a tiny scratch area changes nothing but may stop at a needed escaped string */
    int r2 = bm_capture_scan(small, line, size, &rec2, &err2);
    if (r2 == r && err2.col == err.col) {
        CHECK(strcmp(err2.path, err.path) == 0);
        if (r == BM_OK) {
            bm_slice a[20], b[20];
            record_strings(&rec, a);
            record_strings(&rec2, b);
            for (int i = 0; i < 20; i++) {
                CHECK(a[i].n == b[i].n && !a[i].p == !b[i].p);
                CHECK(a[i].n == 0 || memcmp(a[i].p, b[i].p, a[i].n) == 0);
            }
        }
    } else {
        CHECK(r2 == BM_ELIMIT && err2.col >= 1 && line[err2.col - 1] == '"');
        CHECK(r == BM_OK || (r == BM_EPARSE && err.path[0]) || err.col > err2.col);
        CHECK(is_zero(&rec2));
    }
    json_decref(root);
    return 0;
}
