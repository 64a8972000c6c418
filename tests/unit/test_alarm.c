/* Tests of the statistical alarm rule: the statistics against hand maths from the formulas of
 * docs/alarms.md, the settings, pooled windows, evidence, and allocation failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/verdict.h"

static json_t *load(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    if (!v) fail_msg("bad test JSON: %s", je.text);
    return v;
}

/* cells {tn, fp, fn, tp} of a (other rows) and d (the facet's rows) */
static bm_alarm_cells cells(double atn, double afp, double afn, double atp, double dtn, double dfp,
                            double dfn, double dtp)
{
    bm_alarm_cells c = {{{atn, afp, afn, atp}, {dtn, dfp, dfn, dtp}}};
    return c;
}

static json_t *counts_doc(const bm_alarm_cells *c)
{
    return json_pack("{s:s,s:{s:[{s:s,s:{s:I,s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I}}]}}", "version",
                     "1.0", "facets", "sex", "value_or_threshold", "Female", "a", "tn",
                     (json_int_t)c->n[0][0], "fp", (json_int_t)c->n[0][1], "fn",
                     (json_int_t)c->n[0][2], "tp", (json_int_t)c->n[0][3], "d", "tn",
                     (json_int_t)c->n[1][0], "fp", (json_int_t)c->n[1][1], "fn",
                     (json_int_t)c->n[1][2], "tp", (json_int_t)c->n[1][3]);
}

static const char *ANALYSIS =
    "{\"post_training_bias_metrics\": {\"facets\": {\"sex\": [{\"value_or_threshold\": \"Female\", "
    "\"metrics\": "
    "[{\"name\": \"DPPL\"}, {\"name\": \"DI\"}, {\"name\": \"FT\"}, {\"name\": \"DCA\"}]}]}}}";

static double T(double x, double n)
{
    return asin(sqrt((x + 0.375) / (n + 0.75)));
}

static void test_zcrit(void **state)
{
    (void)state;
    assert_true(fabs(bm_alarm_zcrit(0.05) - 1.959964) < 1e-5);
    assert_true(fabs(bm_alarm_zcrit(0.01) - 2.575829) < 1e-5);
    double z = bm_alarm_zcrit(1e-5);
    assert_true(fabs(erfc(z / sqrt(2.0)) - 1e-5) < 1e-12);
    assert_true(isinf(bm_alarm_zcrit(0)));
}

/* DPPL: pi = predicted positives / rows per group, weights +1 (a), -1 (d) */
static void test_dppl_hand_maths(void **state)
{
    (void)state;
    bm_alarm_cells b = cells(13190, 1938, 3103, 3559, 8311, 1281, 581, 598);
    bm_alarm_cells w = cells(200, 60, 30, 45, 120, 15, 10, 20);
    bm_alarm_test t;
    bm_alarm_test_metric("DPPL", &b, &w, 4.0, &t);
    assert_true(t.tested);
    double nba = 13190 + 1938 + 3103 + 3559, nbd = 8311 + 1281 + 581 + 598;
    double pa = (1938 + 3559) / nba, pd = (1281 + 598) / nbd;
    double nwa = 335, nwd = 165, xwa = 105, xwd = 35;
    assert_true(fabs(t.baseline - (pa - pd)) < 1e-12);
    assert_true(fabs(t.window - (xwa / nwa - xwd / nwd)) < 1e-12);
    double var = pa * (1 - pa) * (1 / nwa + 1 / nba) + pd * (1 - pd) * (1 / nwd + 1 / nbd);
    assert_true(fabs(t.se - sqrt(var)) < 1e-12);
    double num = 2 * sqrt(pa * (1 - pa)) * (T(xwa, nwa) - T(1938 + 3559, nba)) -
                 2 * sqrt(pd * (1 - pd)) * (T(xwd, nwd) - T(1281 + 598, nbd));
    assert_true(fabs(t.z - num / sqrt(var)) < 1e-9);
    assert_int_equal(t.alarm, fabs(num / sqrt(var)) > 4.0);
    assert_true(fabs(t.estimate - num) < 1e-12);
    assert_true(fabs(t.lo - (num - 4.0 * t.se)) < 1e-12);
    assert_true(fabs(t.hi - (num + 4.0 * t.se)) < 1e-12);
    assert_int_equal(t.alarm, !(t.lo <= 0 && 0 <= t.hi));
}

/* DI = pi_d / pi_a: weights -pi_d / pi_a^2 (a) and 1 / pi_a (d) */
static void test_di_hand_maths(void **state)
{
    (void)state;
    bm_alarm_cells b = cells(1000, 300, 200, 500, 800, 100, 60, 40);
    bm_alarm_cells w = cells(100, 30, 20, 50, 80, 30, 6, 20);
    bm_alarm_test t;
    bm_alarm_test_metric("DI", &b, &w, 3.0, &t);
    assert_true(t.tested);
    double pa = 800.0 / 2000, pd = 140.0 / 1000, wa = 80.0 / 200, wd = 50.0 / 136;
    assert_true(fabs(t.baseline - pd / pa) < 1e-12);
    assert_true(fabs(t.window - wd / wa) < 1e-12);
    double ca = -pd / (pa * pa), cd = 1 / pa;
    double var = ca * ca * pa * (1 - pa) * (1 / 200.0 + 1 / 2000.0) +
                 cd * cd * pd * (1 - pd) * (1 / 136.0 + 1 / 1000.0);
    double num = ca * 2 * sqrt(pa * (1 - pa)) * (T(80, 200) - T(800, 2000)) +
                 cd * 2 * sqrt(pd * (1 - pd)) * (T(50, 136) - T(140, 1000));
    assert_true(fabs(t.se - sqrt(var)) < 1e-12);
    assert_true(fabs(t.z - num / sqrt(var)) < 1e-9);
    assert_true(t.z > 3.0 && t.alarm); /* the facet's rate went from 0.14 to 0.37 */
}

/* TE = FN/FP: pi = FN / (FN + FP), phi = pi / (1 - pi), phi' = 1 / (1 - pi)^2; weights -1 (a), +1
 * (d) */
static void test_te_hand_maths(void **state)
{
    (void)state;
    bm_alarm_cells b = cells(1000, 300, 200, 500, 800, 100, 60, 40);
    bm_alarm_cells w = cells(100, 30, 20, 50, 80, 10, 9, 4);
    bm_alarm_test t;
    bm_alarm_test_metric("TE", &b, &w, 3.0, &t);
    assert_true(t.tested);
    double pa = 200.0 / 500, pd = 60.0 / 160;
    assert_true(fabs(t.baseline - (60.0 / 100 - 200.0 / 300)) < 1e-12);
    assert_true(fabs(t.window - (9.0 / 10 - 20.0 / 30)) < 1e-12);
    double ca = -1 / ((1 - pa) * (1 - pa)), cd = 1 / ((1 - pd) * (1 - pd));
    double var = ca * ca * pa * (1 - pa) * (1 / 50.0 + 1 / 500.0) +
                 cd * cd * pd * (1 - pd) * (1 / 19.0 + 1 / 160.0);
    double num = ca * 2 * sqrt(pa * (1 - pa)) * (T(20, 50) - T(200, 500)) +
                 cd * 2 * sqrt(pd * (1 - pd)) * (T(9, 19) - T(60, 160));
    assert_true(fabs(t.z - num / sqrt(var)) < 1e-9);
}

static void test_not_decidable(void **state)
{
    (void)state;
    bm_alarm_cells b = cells(1000, 300, 200, 500, 800, 100, 60, 40);
    bm_alarm_cells w =
        cells(100, 30, 20, 50, 8, 1, 1, 1); /* 11 rows of the facet: 1.5 positives expected */
    bm_alarm_test t;
    bm_alarm_test_metric("DPPL", &b, &w, 3.0, &t);
    assert_false(t.tested);
    assert_false(t.alarm);
    assert_non_null(strstr(t.why, "too few rows of the facet's rows"));
    bm_alarm_test_metric("FT", &b, &b, 3.0, &t);
    assert_false(t.tested);
    assert_non_null(strstr(t.why, "not tested"));
    assert_false(bm_alarm_testable("DCA"));
    assert_false(bm_alarm_testable("CDDPL"));
    assert_true(bm_alarm_testable("DPPL"));
}

static void test_coverage(void **state)
{
    (void)state;
    json_t *all =
        load("{\"sex\": [{\"value_or_threshold\": \"Female\", \"rows\": 100, \"other_rows\": 200}],"
             " \"race\": {\"error\": \"x\"}}");
    json_t *lab = load(
        "{\"sex\": [{\"value_or_threshold\": \"Female\", \"rows\": 49, \"other_rows\": 200}]}");
    json_t *cov = NULL;
    char why[600];
    assert_int_equal(bm_alarm_coverage(all, lab, 0.5, &cov, why, sizeof(why)), 0);
    assert_non_null(strstr(
        why, "not yet decidable: 49 of 100 in-window rows of sex = Female have a label (49%)"));
    json_t *want = load("[{\"facet\": \"sex\", \"value_or_threshold\": \"Female\", \"rows\": 100, "
                        "\"labelled_rows\": 49,"
                        " \"other_rows\": 200, \"other_labelled_rows\": 200}]");
    assert_true(json_equal(cov, want));
    json_decref(cov);
    assert_int_equal(bm_alarm_coverage(all, lab, 0.49, &cov, why, sizeof(why)), 1);
    assert_string_equal(why, "");
    json_decref(cov);
    json_decref(want);
    json_decref(all);
    json_decref(lab);
}

static void test_settings(void **state)
{
    (void)state;
    bm_alarm_settings s;
    bm_error e;
    bm_error_clear(&e);
    assert_int_equal(bm_alarm_settings_from_env(NULL, &s, &e), BM_OK);
    assert_int_equal(s.rule, BM_RULE_SAGEMAKER);
    assert_true(s.budget == BM_ALARM_DEFAULT_BUDGET);
    json_t *env =
        load("{\"BIASMON_ALARM_RULE\": \"statistical\", \"BIASMON_ALARM_BUDGET\": \"0.003\"}");
    assert_int_equal(bm_alarm_settings_from_env(env, &s, &e), BM_OK);
    assert_int_equal(s.rule, BM_RULE_STATISTICAL);
    assert_true(s.budget == 0.003);
    json_decref(env);
    env = load("{\"BIASMON_ALARM_RULE\": \"Statistical\"}");
    assert_int_equal(bm_alarm_settings_from_env(env, &s, &e), BM_ECONFIG);
    assert_string_equal(e.path, "$.ModelBiasAppSpecification.Environment.BIASMON_ALARM_RULE");
    assert_non_null(strstr(e.msg, "\"statistical\""));
    json_decref(env);
    assert_true(s.min_coverage == BM_ALARM_DEFAULT_COVERAGE);
    env = load("{\"BIASMON_ALARM_MIN_COVERAGE\": \"0.9\"}");
    assert_int_equal(bm_alarm_settings_from_env(env, &s, &e), BM_OK);
    assert_true(s.min_coverage == 0.9);
    json_decref(env);
    env = load("{\"BIASMON_ALARM_MIN_COVERAGE\": \"1.5\"}");
    assert_int_equal(bm_alarm_settings_from_env(env, &s, &e), BM_ECONFIG);
    assert_string_equal(e.path,
                        "$.ModelBiasAppSpecification.Environment.BIASMON_ALARM_MIN_COVERAGE");
    json_decref(env);
    static const char *const bad[] = {"\"0\"", "\"0.6\"", "\"1e-2x\"", "\"\"", "\"nan\""};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        char text[100];
        snprintf(text, sizeof(text), "{\"BIASMON_ALARM_BUDGET\": %s}", bad[k]);
        env = load(text);
        bm_error_clear(&e);
        assert_int_equal(bm_alarm_settings_from_env(env, &s, &e), BM_ECONFIG);
        assert_string_equal(e.path, "$.ModelBiasAppSpecification.Environment.BIASMON_ALARM_BUDGET");
        json_decref(env);
    }
}

/* A window like the baseline does not alarm; a drifted one does, with evidence and a reason; the
 * earlier windows are pooled; a missing baseline is an error that names the file. */
static void test_evaluate(void **state)
{
    (void)state;
    bm_alarm_cells b = cells(13190, 1938, 3103, 3559, 8311, 1281, 581, 598);
    bm_alarm_cells same = cells(203, 30, 48, 54, 127, 20, 9, 9);  /* DPPL 0.25 - 0.176 */
    bm_alarm_cells drift = cells(203, 30, 48, 54, 146, 1, 16, 2); /* the facet's rate 0.018 */
    json_t *bd = counts_doc(&b), *sd = counts_doc(&same), *dd = counts_doc(&drift);
    json_t *an = load(ANALYSIS);
    bm_alarm_settings s = {BM_RULE_STATISTICAL, 0.01, 24, 0.5, 7, 1};
    json_t *viol = NULL, *ev = NULL;
    size_t nv = 99;
    bm_error e;
    bm_error_clear(&e);
    const json_t *w1[BM_ALARM_MAX_WINDOWS] = {sd, sd, NULL, sd};
    assert_int_equal(bm_alarm_evaluate(bd, w1, BM_ALARM_MAX_WINDOWS, an, &s, &viol, &nv, &ev, &e),
                     BM_OK);
    assert_int_equal(nv, 0);
    assert_int_equal(json_array_size(json_object_get(viol, "violations")), 0);
    /* 24 looks x 4 lengths x 1 entry x 2 testable metrics */
    assert_true(fabs(json_real_value(json_array_get(json_object_get(ev, "alpha_per_test"), 0)) -
                     0.01 / 192) < 1e-15);
    json_t *want_untested = load("[\"FT\", \"DCA\"]"), *want_found = load("[0, 1, 3]");
    assert_true(json_equal(json_object_get(ev, "untested_metrics"), want_untested));
    assert_true(json_equal(json_object_get(ev, "windows_found"), want_found));
    json_decref(want_untested);
    json_decref(want_found);
    json_t *tests = json_object_get(
        json_array_get(json_object_get(
                           json_array_get(json_object_get(json_object_get(ev, "facets"), "sex"), 0),
                           "metrics"),
                       0),
        "tests");
    /* lengths 2 (2 windows found), 3 (no more: not repeated), 5 (3 found), 8 (no more) */
    assert_int_equal(json_array_size(tests), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(tests, 0), "windows")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(tests, 1), "windows")), 3);
    assert_true(json_real_value(json_object_get(json_object_get(json_array_get(tests, 1), "rows"),
                                                "d")) == 3 * 165);
    json_decref(viol);
    json_decref(ev);

    const json_t *w2[BM_ALARM_MAX_WINDOWS] = {dd, dd};
    assert_int_equal(bm_alarm_evaluate(bd, w2, 2, an, &s, &viol, &nv, &ev, &e), BM_OK);
    assert_true(nv >= 1);
    json_t *v0 = json_array_get(json_object_get(viol, "violations"), 0);
    assert_string_equal(json_string_value(json_object_get(v0, "metric_name")), "DPPL");
    assert_string_equal(json_string_value(json_object_get(v0, "constraint_check_type")),
                        "bias_drift_check");
    assert_string_equal(json_string_value(json_object_get(v0, "facet")), "sex");
    assert_string_equal(json_string_value(json_object_get(v0, "facet_value")), "Female");
    assert_non_null(strstr(json_string_value(json_object_get(v0, "reason")),
                           "DPPL for sex = Female moved from 0.078"));
    json_decref(viol);
    json_decref(ev);

    assert_int_equal(bm_alarm_evaluate(NULL, w2, 2, an, &s, &viol, &nv, &ev, &e), BM_EDATA);
    assert_non_null(strstr(e.msg, "bias_counts.json"));
    assert_null(viol);
    assert_null(ev);
    json_decref(bd);
    json_decref(sd);
    json_decref(dd);
    json_decref(an);
}

static void test_alloc_failure_sweep(void **state)
{
    (void)state;
    bm_alarm_cells b = cells(13190, 1938, 3103, 3559, 8311, 1281, 581, 598);
    bm_alarm_cells drift = cells(203, 30, 48, 54, 146, 1, 16, 2);
    json_t *bd = counts_doc(&b), *dd = counts_doc(&drift), *an = load(ANALYSIS);
    bm_alarm_settings s = {BM_RULE_STATISTICAL, 0.01, 24, 0.5, 7, 1};
    const json_t *w[2] = {dd, dd};
    int saw_enomem = 0, saw_ok = 0;
    for (long n = 1; n <= 400 && !saw_ok; n++) {
        json_t *viol = NULL, *ev = NULL;
        size_t nv = 0;
        bm_error e;
        bm_error_clear(&e);
        bm_alloc_fail_after(n);
        int r = bm_alarm_evaluate(bd, w, 2, an, &s, &viol, &nv, &ev, &e);
        bm_alloc_fail_after(0);
        if (r == BM_OK) {
            saw_ok = 1;
            assert_true(nv >= 1);
        } else {
            assert_int_equal(r, BM_ENOMEM);
            assert_null(viol);
            assert_null(ev);
            assert_int_equal(nv, 0);
            saw_enomem = 1;
        }
        json_decref(viol);
        json_decref(ev);
    }
    assert_true(saw_enomem && saw_ok);
    json_decref(bd);
    json_decref(dd);
    json_decref(an);
}

/* BIASMON_ALARM_REVISIT: 0 to 24, default 7; each look of a window with incomplete labels gets
 * 1 / (1 + K) of its share of the budget. */
static void test_revisit_settings(void **state)
{
    (void)state;
    bm_alarm_settings s;
    bm_error e;
    bm_error_clear(&e);
    assert_int_equal(bm_alarm_settings_from_env(NULL, &s, &e), BM_OK);
    assert_int_equal(s.revisit, BM_ALARM_DEFAULT_REVISIT);
    assert_true(s.looks_per_window == 1);
    json_t *env = load("{\"BIASMON_ALARM_REVISIT\": \"24\"}");
    assert_int_equal(bm_alarm_settings_from_env(env, &s, &e), BM_OK);
    assert_int_equal(s.revisit, 24);
    json_decref(env);
    static const char *const bad[] = {"\"25\"", "\"-1\"", "\"+3\"", "\"3.5\"", "\"\"", "7"};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        char text[100];
        snprintf(text, sizeof(text), "{\"BIASMON_ALARM_REVISIT\": %s}", bad[k]);
        env = load(text);
        bm_error_clear(&e);
        assert_int_equal(bm_alarm_settings_from_env(env, &s, &e), BM_ECONFIG);
        assert_string_equal(e.path,
                            "$.ModelBiasAppSpecification.Environment.BIASMON_ALARM_REVISIT");
        json_decref(env);
    }
    /* the threshold of a look that is one of 8: alpha / 8 */
    bm_alarm_cells b = cells(13190, 1938, 3103, 3559, 8311, 1281, 581, 598);
    json_t *bd = counts_doc(&b), *an = load(ANALYSIS);
    const json_t *w[1] = {bd};
    bm_alarm_settings s1 = {BM_RULE_STATISTICAL, 0.01, 24, 0.5, 7, 1}, s8 = s1;
    s8.looks_per_window = 8;
    json_t *v1 = NULL, *e1 = NULL, *v8 = NULL, *e8 = NULL;
    size_t n1, n8;
    assert_int_equal(bm_alarm_evaluate(bd, w, 1, an, &s1, &v1, &n1, &e1, &e), BM_OK);
    assert_int_equal(bm_alarm_evaluate(bd, w, 1, an, &s8, &v8, &n8, &e8, &e), BM_OK);
    double a1 = json_real_value(json_array_get(json_object_get(e1, "alpha_per_test"), 0));
    double a8 = json_real_value(json_array_get(json_object_get(e8, "alpha_per_test"), 0));
    assert_true(fabs(a1 / a8 - 8) < 1e-9);
    assert_true(json_real_value(json_object_get(e8, "looks_per_window")) == 8);
    double z8 = json_real_value(json_array_get(json_object_get(e8, "thresholds"), 0));
    assert_true(fabs(z8 - bm_alarm_zcrit(a8)) < 1e-12 && z8 > 4.36);
    json_decref(v1);
    json_decref(e1);
    json_decref(v8);
    json_decref(e8);
    json_decref(bd);
    json_decref(an);
}

static json_t *coverage_of(long rows, long lab, long other, long olab)
{
    return json_pack("[{s:s,s:s,s:i,s:i,s:i,s:i}]", "facet", "sex", "value_or_threshold", "Female",
                     "rows", (int)rows, "labelled_rows", (int)lab, "other_rows", (int)other,
                     "other_labelled_rows", (int)olab);
}

/* A revision is recorded when the verdict changes or a group's labelled share rises by the
 * margin (or to every row); its new alarms are those the previous record lacked. */
static void test_revise(void **state)
{
    (void)state;
    bm_alarm_cells b = cells(13190, 1938, 3103, 3559, 8311, 1281, 581, 598);
    bm_alarm_cells drift = cells(203, 30, 48, 54, 146, 1, 16, 2);
    json_t *bd = counts_doc(&b), *dd = counts_doc(&drift), *an = load(ANALYSIS);
    const json_t *w[2] = {dd, dd};
    bm_alarm_settings s = {BM_RULE_STATISTICAL, 0.01, 24, 0.5, 7, 8};
    bm_error e;
    bm_error_clear(&e);
    char note[400];
    json_t *rev = NULL, *fresh = NULL;
    /* not yet decidable at 20%, decidable now: the drift alarms, a revision with new alarms */
    json_t *prev = json_pack("{s:b,s:o,s:{}}", "decidable", 0, "coverage",
                             coverage_of(168, 33, 332, 300), "facets");
    json_t *cov = coverage_of(168, 168, 332, 332);
    assert_int_equal(
        bm_alarm_revise(bd, w, 2, an, &s, prev, cov, 1, NULL, &rev, &fresh, note, sizeof(note), &e),
        BM_OK);
    assert_non_null(rev);
    assert_true(json_array_size(fresh) >= 1);
    assert_true(json_array_size(json_object_get(rev, "alarms")) == json_array_size(fresh));
    assert_string_equal(json_string_value(json_object_get(json_object_get(rev, "verdict"), "old")),
                        "not yet decidable");
    assert_non_null(strstr(json_string_value(json_object_get(rev, "reason")),
                           "the labelled rows of sex = Female went from 33 of 168 (20%) to 168 of "
                           "168 (100%); the verdict went from not yet decidable to alarm on "));
    assert_true(json_real_value(
                    json_object_get(json_object_get(rev, "evidence"), "looks_per_window")) == 8);
    json_decref(fresh);
    /* the same again from that revision: nothing new, nothing recorded */
    json_t *again = NULL;
    assert_int_equal(bm_alarm_revise(bd, w, 2, an, &s, rev, cov, 1, NULL, &again, &fresh, note,
                                     sizeof(note), &e),
                     BM_OK);
    assert_null(again);
    assert_non_null(strstr(note, "no revision: "));
    /* an alarm the previous record had is not new; a rise of 5 points alone records nothing,
     * of 10 points it does (the verdict stays) */
    json_decref(cov);
    cov = coverage_of(168, 150, 332, 332);
    json_t *prev2 =
        json_pack("{s:b,s:o,s:O}", "decidable", 1, "coverage", coverage_of(168, 142, 332, 332),
                  "alarms", json_object_get(rev, "alarms"));
    assert_int_equal(bm_alarm_revise(bd, w, 2, an, &s, prev2, cov, 1, NULL, &again, &fresh, note,
                                     sizeof(note), &e),
                     BM_OK);
    assert_null(again);
    assert_null(fresh);
    json_decref(prev2);
    prev2 = json_pack("{s:b,s:o,s:O}", "decidable", 1, "coverage", coverage_of(168, 133, 332, 332),
                      "alarms", json_object_get(rev, "alarms"));
    assert_int_equal(bm_alarm_revise(bd, w, 2, an, &s, prev2, cov, 1, NULL, &again, &fresh, note,
                                     sizeof(note), &e),
                     BM_OK);
    assert_non_null(again);
    assert_int_equal(json_array_size(fresh), 0);
    assert_non_null(strstr(json_string_value(json_object_get(again, "reason")), "verdict stays"));
    json_decref(again);
    json_decref(fresh);
    /* allocation failure: BM_ENOMEM and nothing handed out, never a crash or a leak */
    int saw_enomem = 0, saw_ok = 0;
    for (long n = 1; n <= 2000 && !saw_ok; n++) {
        json_t *r2 = NULL, *f2 = NULL;
        bm_error_clear(&e);
        bm_alloc_fail_after(n);
        int r =
            bm_alarm_revise(bd, w, 2, an, &s, prev, cov, 1, NULL, &r2, &f2, note, sizeof(note), &e);
        bm_alloc_fail_after(0);
        if (r == BM_OK) {
            saw_ok = 1;
            assert_non_null(r2);
        } else {
            assert_int_equal(r, BM_ENOMEM);
            assert_null(r2);
            assert_null(f2);
            saw_enomem = 1;
        }
        json_decref(r2);
        json_decref(f2);
    }
    assert_true(saw_enomem && saw_ok);
    json_decref(prev2);
    json_decref(rev);
    json_decref(prev);
    json_decref(cov);
    json_decref(bd);
    json_decref(dd);
    json_decref(an);
}

int main(void)
{
    json_set_alloc_funcs(bm_malloc, bm_free); /* so the sweep reaches jansson's allocations */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zcrit),         cmocka_unit_test(test_dppl_hand_maths),
        cmocka_unit_test(test_di_hand_maths), cmocka_unit_test(test_te_hand_maths),
        cmocka_unit_test(test_not_decidable), cmocka_unit_test(test_settings),
        cmocka_unit_test(test_evaluate),      cmocka_unit_test(test_alloc_failure_sweep),
        cmocka_unit_test(test_coverage),      cmocka_unit_test(test_revisit_settings),
        cmocka_unit_test(test_revise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
