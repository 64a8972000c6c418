/* Tests of the baseline check: what a baseline must cover, the messages (bounded, valid text,
 * never more of the file than 5 facet entries), the metrics it cannot check, allocation failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/config.h"
#include "biasmon/violations.h"

static json_t *load(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v) fail_msg("bad test JSON: %s", je.text);
    return v;
}

/* An analysis with one facet entry per (facet, value) and the given metrics and value. */
static json_t *analysis(const char *stage, const char *facet, const char *value,
                        const char *const *names, json_t *v)
{
    json_t *ms = json_array();
    for (; *names; names++)
        json_array_append_new(
            ms, json_pack("{s:s,s:s,s:O}", "name", *names, "description", *names, "value", v));
    json_decref(v);
    return json_pack("{s:s,s:{s:s,s:s,s:{s:[{s:s,s:o}]}}}", "version", "1.0", stage, "label", "y",
                     "label_value_or_threshold", "1", "facets", facet, "value_or_threshold", value,
                     "metrics", ms);
}

static const char *const PRE3[] = {"CI", "DPL", "KL", NULL};

static int valid_utf8(const char *s)
{
    json_t *j = json_string(s); /* jansson refuses invalid UTF-8 */
    int ok = j != NULL;
    json_decref(j);
    return ok;
}

static void test_not_an_analysis(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{}",
        "[]",
        "3",
        "{\"label\": \"y\", \"label_values_or_threshold\": [1], \"facet\": [{\"name_or_index\": "
        "\"s\"}]}",
    };
    json_t *cur = analysis("pre_training_bias_metrics", "sex", "F", PRE3, json_real(0.1));
    for (size_t k = 0; k < sizeof(docs) / sizeof(docs[0]); k++) {
        json_t *b = load(docs[k]);
        bm_error e;
        bm_error_clear(&e);
        json_t *out = (json_t *)1, *unchecked = (json_t *)1;
        size_t nv = 9, nu = 9;
        assert_int_equal(bm_violations_check(cur, b, &out, &nv, &unchecked, &nu, &e), BM_EDATA);
        assert_null(out);
        assert_null(unchecked);
        assert_string_equal(e.path, "$");
        assert_non_null(strstr(e.msg, "not an analysis.json"));
        assert_null(strstr(e.msg, "label_values_or_threshold")); /* nothing of the file */
        bm_error_clear(&e);
        assert_int_equal(bm_baseline_validate(b, NULL, &e), BM_EDATA);
        json_decref(b);
    }
    /* a stage without a facets object */
    json_t *b = load("{\"pre_training_bias_metrics\": {\"label\": \"y\"}}");
    bm_error e;
    bm_error_clear(&e);
    assert_int_equal(bm_baseline_validate(b, NULL, &e), BM_EDATA);
    assert_string_equal(e.path, "$.pre_training_bias_metrics.facets");
    json_decref(b);
    json_decref(cur);
}

static void test_facet_coverage_messages(void **state)
{
    (void)state;
    json_t *cur = analysis("pre_training_bias_metrics", "sex", "F", PRE3, json_real(0.1));
    /* seven entries of another facet, with long names, multi-byte text and a control character */
    json_t *base = analysis("pre_training_bias_metrics", "sex", "M", PRE3, json_real(0.1));
    json_t *facets = json_object_get(json_object_get(base, "pre_training_bias_metrics"), "facets");
    char longname[200] = "x"; /* so that byte 40 falls inside a character */
    for (int k = 0; k < 30; k++)
        memcpy(longname + 1 + 2 * k, "\xc3\xa9", 3); /* é: 60 bytes */
    for (int k = 0; k < 6; k++) {
        char v[16];
        snprintf(v, sizeof(v), "v\x01%d", k);
        json_t *arr = json_object_get(facets, longname);
        if (!arr) json_object_set_new(facets, longname, arr = json_array());
        json_array_append_new(arr, json_pack("{s:s,s:[]}", "value_or_threshold", v, "metrics"));
    }
    bm_error e;
    bm_error_clear(&e);
    json_t *out, *unchecked;
    size_t nv, nu;
    assert_int_equal(bm_violations_check(cur, base, &out, &nv, &unchecked, &nu, &e), BM_EDATA);
    assert_string_equal(e.path, "$.pre_training_bias_metrics.facets");
    assert_true(valid_utf8(e.msg));
    if (strncmp(e.msg, "the baseline has no facet sex = F; it covers ", 45) ||
        !strstr(e.msg, " and 2 more") || !strstr(e.msg, "...") || !strstr(e.msg, "v?") ||
        strchr(e.msg, '\x01'))
        fail_msg("%s", e.msg);
    assert_true(strlen(e.msg) < 480); /* 5 entries of at most 40 + 40 bytes: never truncated */
    json_decref(base);

    /* no post stage in the baseline while the analysis has one */
    json_t *post = analysis("post_training_bias_metrics", "sex", "F",
                            (const char *const[]){"DI", NULL}, json_real(1.0));
    json_object_set(cur, "post_training_bias_metrics",
                    json_object_get(post, "post_training_bias_metrics"));
    base = analysis("pre_training_bias_metrics", "sex", "F", PRE3, json_real(0.1));
    bm_error_clear(&e);
    assert_int_equal(bm_violations_check(cur, base, &out, &nv, &unchecked, &nu, &e), BM_EDATA);
    assert_non_null(strstr(e.msg, "the baseline has no post_training_bias_metrics"));
    json_decref(base);
    json_decref(post);
    json_decref(cur);
}

static void test_metric_coverage(void **state)
{
    (void)state;
    json_t *cur = analysis("pre_training_bias_metrics", "sex", "F", PRE3, json_real(0.5));
    /* CDDL: errored in both (no group variable): neither compared nor named */
    json_t *ms = json_object_get(
        json_array_get(
            json_object_get(
                json_object_get(json_object_get(cur, "pre_training_bias_metrics"), "facets"),
                "sex"),
            0),
        "metrics");
    json_array_insert_new(ms, 0,
                          json_pack("{s:s,s:n,s:s}", "name", "CDDL", "value", "error", "no group"));
    /* baseline: CI 0.1 (violated), DPL null, no KL, CDDL null */
    json_t *base = load(
        "{\"pre_training_bias_metrics\": {\"facets\": {\"sex\": [{\"value_or_threshold\": \"F\","
        " \"metrics\": [{\"name\": \"CDDL\", \"value\": null}, {\"name\": \"CI\", \"value\": 0.1},"
        " {\"name\": \"DPL\", \"value\": null, \"error\": \"x\"}]}]}}}");
    bm_error e;
    bm_error_clear(&e);
    json_t *out, *unchecked;
    size_t nv, nu;
    assert_int_equal(bm_violations_check(cur, base, &out, &nv, &unchecked, &nu, &e), BM_OK);
    assert_int_equal(nv, 1);
    assert_int_equal(nu, 2);
    char *u = json_dumps(unchecked, JSON_COMPACT);
    assert_string_equal(
        u, "[{\"stage\":\"pre_training_bias_metrics\",\"facet\":\"sex\",\"facet_value\":\"F\","
           "\"metrics\":[\"DPL\",\"KL\"]}]");
    free(u);
    json_decref(out);
    json_decref(unchecked);

    /* a value for none of them: nothing would be checked */
    json_decref(base);
    base = analysis("pre_training_bias_metrics", "sex", "F", PRE3, json_null());
    bm_error_clear(&e);
    assert_int_equal(bm_violations_check(cur, base, &out, &nv, &unchecked, &nu, &e), BM_EDATA);
    assert_non_null(strstr(
        e.msg, "the baseline has a value for none of the 4 pre-training metrics of facet sex = F"));
    json_decref(base);
    json_decref(cur);
}

static void test_validate_with_config(void **state)
{
    (void)state;
    const char *cfgtext = "{\"headers\": [\"a\", \"sex\", \"y\"], \"label\": \"y\", "
                          "\"label_values_or_threshold\": [1],"
                          " \"facet\": [{\"name_or_index\": 1, \"value_or_threshold\": [\"F\"]}],"
                          " \"methods\": {\"pre_training_bias\": {\"methods\": [\"KL\"]}}}";
    bm_analysis_config cfg;
    bm_error e;
    assert_int_equal(bm_analysis_config_parse(cfgtext, strlen(cfgtext), NULL, &cfg, &e), BM_OK);
    json_t *good = analysis("pre_training_bias_metrics", "sex", "whatever", PRE3, json_real(0.1));
    bm_error_clear(&e);
    assert_int_equal(bm_baseline_validate(good, &cfg, &e), BM_OK);
    json_t *other = analysis("pre_training_bias_metrics", "race", "1", PRE3, json_real(0.1));
    bm_error_clear(&e);
    assert_int_equal(bm_baseline_validate(other, &cfg, &e),
                     BM_EDATA); /* the facet by index, named by headers */
    assert_string_equal(e.msg, "the baseline has no facet sex; it covers race = 1");
    json_t *nokl = analysis("pre_training_bias_metrics", "sex", "F",
                            (const char *const[]){"CI", NULL}, json_real(0.1));
    bm_error_clear(&e);
    assert_int_equal(bm_baseline_validate(nokl, &cfg, &e), BM_EDATA);
    assert_non_null(strstr(e.msg, "a value for none of the 1 pre-training metrics of facet sex"));
    json_t *post = analysis("post_training_bias_metrics", "sex", "F",
                            (const char *const[]){"DI", NULL}, json_real(1.0));
    bm_error_clear(&e);
    assert_int_equal(bm_baseline_validate(post, &cfg, &e), BM_EDATA);
    assert_non_null(strstr(e.msg, "the baseline has no pre_training_bias_metrics"));
    json_decref(good);
    json_decref(other);
    json_decref(nokl);
    json_decref(post);
    bm_analysis_config_release(&cfg);
}

static void test_alloc_failure_sweep(void **state)
{
    (void)state;
    json_t *cur = analysis("pre_training_bias_metrics", "sex", "F", PRE3, json_real(0.5));
    json_t *base = load(
        "{\"pre_training_bias_metrics\": {\"facets\": {\"sex\": [{\"value_or_threshold\": \"F\","
        " \"metrics\": [{\"name\": \"CI\", \"value\": 0.1}]}]}}}");
    int saw_enomem = 0, saw_ok = 0;
    for (long n = 1; n <= 80; n++) {
        bm_error e;
        bm_error_clear(&e);
        json_t *out = NULL, *unchecked = NULL;
        size_t nv, nu;
        bm_alloc_fail_after(n);
        int r = bm_violations_check(cur, base, &out, &nv, &unchecked, &nu, &e);
        bm_alloc_fail_after(0);
        if (r == BM_OK) {
            saw_ok = 1;
            assert_int_equal(nv, 1);
            assert_int_equal(nu, 2);
            json_decref(out);
            json_decref(unchecked);
        } else {
            assert_int_equal(r, BM_ENOMEM);
            assert_null(out);
            assert_null(unchecked);
            saw_enomem = 1;
        }
    }
    assert_true(saw_enomem);
    assert_true(saw_ok);
    json_decref(cur);
    json_decref(base);
}

/* ==================================================================== the rule itself */

/* 1 when a current value x of metric `name` violates a baseline value b (both JSON texts). */
static int violates(const char *name, const char *x, const char *b)
{
    char cur[512], base[512];
    snprintf(
        cur, sizeof(cur),
        "{\"post_training_bias_metrics\": {\"facets\": {\"sex\": [{\"value_or_threshold\": \"F\","
        " \"metrics\": [{\"name\": \"%s\", \"value\": %s}]}]}}}",
        name, x);
    snprintf(
        base, sizeof(base),
        "{\"post_training_bias_metrics\": {\"facets\": {\"sex\": [{\"value_or_threshold\": \"F\","
        " \"metrics\": [{\"name\": \"%s\", \"value\": %s}]}]}}}",
        name, b);
    json_t *c = load(cur), *bl = load(base);
    bm_error e;
    bm_error_clear(&e);
    json_t *out = NULL, *unchecked = NULL;
    size_t nv = 9, nu = 9;
    assert_int_equal(bm_violations_check(c, bl, &out, &nv, &unchecked, &nu, &e), BM_OK);
    assert_int_equal(nu, 0);
    assert_int_equal(json_array_size(json_object_get(out, "violations")), nv);
    json_decref(out);
    json_decref(unchecked);
    json_decref(c);
    json_decref(bl);
    return (int)nv;
}

/* README: a metric violates when it is farther from neutral than the baseline (0 for every
 * metric, 1 for DI); farther is strictly farther, and the distance is absolute. */
static void test_rule_farther_from_neutral(void **state)
{
    (void)state;
    /* a tie never violates: equal values, equal distances on either side, infinities */
    assert_int_equal(violates("DPPL", "0.25", "0.25"), 0);
    assert_int_equal(violates("DPPL", "-0.25", "0.25"), 0);
    assert_int_equal(violates("DPPL", "0.25", "-0.25"), 0);
    assert_int_equal(violates("DPPL", "0", "0"), 0);
    assert_int_equal(violates("DPPL", "\"Infinity\"", "\"Infinity\""), 0);
    assert_int_equal(violates("DPPL", "\"-Infinity\"", "\"Infinity\""), 0);
    assert_int_equal(violates("DI", "0.75", "1.25"), 0);
    assert_int_equal(violates("DI", "1.5", "1.5"), 0);
    /* strictly farther violates, on either side of neutral */
    assert_int_equal(violates("DPPL", "0.2500001", "0.25"), 1);
    assert_int_equal(violates("DPPL", "-0.3", "0.2"), 1); /* absolute: below neutral counts */
    assert_int_equal(violates("DPPL", "0.3", "-0.2"), 1);
    assert_int_equal(violates("DPPL", "\"Infinity\"", "1e300"), 1);
    assert_int_equal(violates("DPPL", "\"-Infinity\"", "1e300"), 1);
    /* closer does not, even when the signed value is larger */
    assert_int_equal(violates("DPPL", "0.1", "-0.2"), 0);
    assert_int_equal(violates("DPPL", "-0.1", "0.2"), 0);
    /* DI's neutral is 1: 0.8 is farther from 1 than 1.1 is, 1.2 is closer than 0.7 */
    assert_int_equal(violates("DI", "0.8", "1.1"), 1);
    assert_int_equal(violates("DI", "1.2", "0.7"), 0);
    assert_int_equal(violates("DI", "1.0", "0.999"), 0);
    assert_int_equal(violates("DI", "0", "0.5"), 1);
    /* every other metric's neutral is 0, the same pairs on other metrics */
    static const char *const others[] = {"CI",   "DPL", "KL",    "JS",  "LP",  "TVD", "KS",
                                         "CDDL", "AD",  "CDDPL", "DAR", "DCA", "DCR", "DPPL",
                                         "DRR",  "FT",  "GE",    "RD",  "SD",  "TE"};
    for (size_t k = 0; k < sizeof(others) / sizeof(others[0]); k++) {
        if (violates(others[k], "0.8", "1.1") != 0 || violates(others[k], "1.2", "0.7") != 1 ||
            violates(others[k], "0.5", "0.5") != 0)
            fail_msg("%s: neutral value is not 0", others[k]);
    }
}

int main(void)
{
    json_set_alloc_funcs(bm_malloc, bm_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_an_analysis),
        cmocka_unit_test(test_facet_coverage_messages),
        cmocka_unit_test(test_metric_coverage),
        cmocka_unit_test(test_validate_with_config),
        cmocka_unit_test(test_alloc_failure_sweep),
        cmocka_unit_test(test_rule_farther_from_neutral),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
