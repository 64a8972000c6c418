/* Unit tests for the extraction messages (lib/capture/extract.c): a record that cannot be used
 * is described by what is wrong with it, never by its bytes (they go to execution.json, the
 * API's FailureReason and the terminal). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "biasmon/capture_extract.h"

static void init(bm__extractor *x)
{
    memset(x, 0, sizeof(*x));
    bm_buf_init(&x->arena, 1 << 20);
    bm_buf_init(&x->copy, 1 << 20);
    x->inference_index = -1;
    x->probability_index = -1;
    x->threshold = 0.5;
    x->nfeat = 1;
}

static void expect_plain(const char *why, const char *needle)
{
    assert_non_null(strstr(why, needle));
    for (const char *p = why; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            fail_msg("a raw byte in \"%s\"", why);
    assert_null(strstr(why, "evil"));
}

static void test_score_not_quoted(void **state)
{
    (void)state;
    bm__extractor x;
    init(&x);
    bm_slice f[2] = {{"1", 1},
                     {"\x1b]0;evil\x07\xff", 10}}; /* a feature, then the score (the last column) */
    assert_int_equal(bm__extract_batch_csv(&x, f, 2), BM_EDATA);
    expect_plain(x.why, "the model output (10 bytes) is not a numeric score");
    bm__extractor_release(&x);
}

static void test_payload_not_quoted(void **state)
{
    (void)state;
    bm__extractor x;
    init(&x);
    bm_capture_payload p;
    memset(&p, 0, sizeof(p));
    p.present = 1;
    p.data = (bm_slice){"1,2", 3};
    p.encoding = (bm_slice){"\x1b[2Jevil", 9};
    p.content_type = (bm_slice){"text/csv", 8};
    assert_int_equal(bm__extract_features(&x, &p), BM_EDATA);
    expect_plain(x.why, "unknown encoding (expected CSV, JSON or BASE64)");
    bm__extractor_reset(&x);
    p.encoding = (bm_slice){"JSON", 4};
    p.content_type = (bm_slice){"application/json", 16};
    p.data = (bm_slice){"evil\x01", 5};
    assert_int_equal(bm__extract_features(&x, &p), BM_EDATA);
    expect_plain(x.why, "JSON payload: ");
    bm__extractor_release(&x);
}

/* README: a score counts as positive when it is greater than ProbabilityThresholdAttribute
 * (strictly: a score equal to the threshold is negative). */
static void test_score_strictly_above_threshold(void **state)
{
    (void)state;
    static const struct {
        const char *score;
        double threshold;
        const char *want;
    } cases[] = {
        {"0.5", 0.5, "0"},  {"0.5000001", 0.5, "1"}, {"0.4999999", 0.5, "0"}, {"0.8", 0.8, "0"},
        {"0.81", 0.8, "1"}, {"0", 0, "0"},           {"1e-9", 0, "1"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        bm__extractor x;
        init(&x);
        x.threshold = cases[k].threshold;
        bm_slice f[2] = {{"1", 1}, {cases[k].score, strlen(cases[k].score)}};
        assert_int_equal(bm__extract_batch_csv(&x, f, 2), BM_OK);
        assert_int_equal(x.preds.n, 1);
        bm_slice got = bm__xval_text(&x, &x.preds.v[0]);
        if (got.n != 1 || got.p[0] != cases[k].want[0])
            fail_msg("score %s, threshold %g: got %.*s, want %s", cases[k].score,
                     cases[k].threshold, (int)got.n, got.p, cases[k].want);
        bm__extractor_release(&x);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_not_quoted),
        cmocka_unit_test(test_payload_not_quoted),
        cmocka_unit_test(test_score_strictly_above_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
