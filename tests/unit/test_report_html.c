/* Tests of report.html: every text from the inputs escaped, violations marked, exact values kept,
 * nothing that could fetch, every metric explained, allocation failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/reportdoc.h"

static json_t *load(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v) fail_msg("bad test JSON: %s", je.text);
    return v;
}

static const char ANALYSIS[] =
    "{\"version\": \"1.0\", \"post_training_bias_metrics\": {\"label\": \"y<&>\", "
    "\"label_value_or_threshold\": \"1\","
    " \"facets\": {\"se\\\"x<script>alert(1)</script>\": [{\"value_or_threshold\": \"F'&<b>\", "
    "\"metrics\": ["
    "  {\"name\": \"DI\", \"description\": \"Disparate Impact (DI)\", \"value\": "
    "0.6123456789012345},"
    "  {\"name\": \"DPPL\", \"description\": \"Difference in Positive Proportions in Predicted "
    "Labels (DPPL)\", "
    "\"value\": 0.1},"
    "  {\"name\": \"TE\", \"description\": \"Treatment Equality (TE)\", \"value\": \"Infinity\"},"
    "  {\"name\": \"CDDPL\", \"description\": \"x\", \"value\": null, \"error\": \"<img src=x "
    "onerror=alert(1)>\"}"
    "]}]}}}";

static const char BASELINE[] = "{\"version\": \"1.0\", \"post_training_bias_metrics\": {\"label\": "
                               "\"y\", \"label_value_or_threshold\": \"1\","
                               " \"facets\": {\"se\\\"x<script>alert(1)</script>\": "
                               "[{\"value_or_threshold\": \"F'&<b>\", \"metrics\": ["
                               "  {\"name\": \"DI\", \"value\": 0.9}, {\"name\": \"DPPL\", "
                               "\"value\": 0.2}, {\"name\": \"TE\", \"value\": 1.5}"
                               "]}]}}}";

static const char VIOLATIONS[] =
    "{\"version\": \"1.0\", \"violations\": [{\"facet\": \"se\\\"x<script>alert(1)</script>\", "
    "\"facet_value\": "
    "\"F'&<b>\", \"metric_name\": \"DI\", \"constraint_check_type\": \"bias_drift_check\", "
    "\"description\": "
    "\"Metric value 0.6123456789012345 doesn't meet the baseline constraint requirement 0.9\"}]}";

static const char ACCOUNT[] =
    "{\"MonitoringScheduleName\": \"s<1>\", \"ScheduledTime\": \"2026-11-24T12:00:00Z\", "
    "\"Status\": "
    "\"CompletedWithViolations\", \"window\": {\"start\": \"2026-11-24T11:00:00Z\", \"end\": "
    "\"2026-11-24T12:00:00Z\"},"
    " \"counts\": {\"capture_records\": 700, \"records_in_window\": 600, \"joined_records\": 450, "
    "\"malformed_capture_records\": 3, \"rows\": 450},"
    " \"first_malformed\": [{\"file\": \"cap<t>.jsonl\", \"line\": 7, \"reason\": \"bad & "
    "worse\"}],"
    " \"facet_groups\": {\"se\\\"x<script>alert(1)</script>\": [{\"value_or_threshold\": "
    "\"F'&<b>\", \"rows\": 200,"
    " \"other_rows\": 400, \"labelled_rows\": 150, \"other_labelled_rows\": 300}]}}";

static char *render(json_t *a, json_t *b, json_t *v, json_t *acc)
{
    bm_report_input in = {"My <title>", a, b, v, acc, NULL};
    bm_buf out;
    bm_buf_init(&out, 1 << 22);
    assert_int_equal(bm_report_html(&in, &out), BM_OK);
    return bm_buf_take(&out, NULL);
}

static void test_escaped_and_marked(void **state)
{
    (void)state;
    json_t *a = load(ANALYSIS), *b = load(BASELINE), *v = load(VIOLATIONS), *acc = load(ACCOUNT);
    char *h = render(a, b, v, acc);
    /* no raw markup from the inputs: every '<' of theirs arrives as &lt; */
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "<img"));
    assert_null(strstr(h, "<b>\""));
    assert_null(strstr(h, "<title>My <title>"));
    assert_non_null(strstr(h, "<title>My &lt;title&gt;</title>"));
    assert_non_null(strstr(h, "data-facet=\"se&quot;x&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert_non_null(strstr(h, "data-facet-value=\"F&#39;&amp;&lt;b&gt;\""));
    assert_non_null(strstr(h, "&lt;img src=x onerror=alert(1)&gt;"));
    assert_non_null(strstr(h, "cap&lt;t&gt;.jsonl:7: bad &amp; worse"));
    /* the violation: its row is marked, and it is listed with a link to its section */
    assert_non_null(strstr(h, "<tr data-metric=\"DI\" class=\"violation\">"));
    assert_non_null(strstr(h, "<tr data-metric=\"DPPL\">"));
    assert_non_null(strstr(h, "<li class=\"violation\" data-metric=\"DI\"><a href=\"#s1-f1-v0\">"));
    assert_non_null(strstr(h, "id=\"s1-f1-v0\""));
    assert_non_null(strstr(h, "<span data-field=\"violations\">1</span> metric farther"));
    /* exact values kept, shown rounded; infinities; the baseline's value beside the value */
    assert_non_null(strstr(h, "data-value=\"0.6123456789012345\">0.6123</td>"));
    assert_non_null(strstr(h, "data-value=\"0.9\">0.9000</td>"));
    assert_non_null(strstr(h, "data-value=\"Infinity\">+\xe2\x88\x9e</td>"));
    assert_non_null(strstr(h, "data-value=\"1.5\">1.5000</td>"));
    assert_non_null(strstr(h, "data-value=\"null\">error</td>"));
    /* counts, label coverage, group sizes */
    assert_non_null(
        strstr(h, "<tr data-count=\"joined_records\"><td>records joined with ground truth</td>"
                  "<td class=\"num\">450</td></tr>"));
    assert_non_null(strstr(h, "<td class=\"num\">75.0%</td>"));
    assert_non_null(strstr(h, "<b data-group=\"d\">200</b>"));
    assert_non_null(strstr(h, "<b data-group=\"a\">400</b>"));
    assert_non_null(strstr(h, "<b data-field=\"schedule\">s&lt;1&gt;</b>"));
    /* nothing that could fetch: no script, no external reference */
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, " src=\""));
    assert_null(strstr(h, "http://"));
    assert_null(strstr(h, "https://"));
    assert_null(strstr(h, "<link"));
    bm_free(h);
    json_decref(a);
    json_decref(b);
    json_decref(v);
    json_decref(acc);
}

/* Without a baseline, violations or account: no baseline column, no check, no counts. */
static void test_analysis_alone(void **state)
{
    (void)state;
    json_t *a = load(ANALYSIS);
    char *h = render(a, NULL, NULL, NULL);
    assert_null(strstr(h, "<th>baseline</th>"));
    assert_null(strstr(h, "class=\"violation\""));
    assert_null(strstr(h, "data-count="));
    assert_null(strstr(h, "data-field=\"status\""));
    assert_non_null(strstr(h, "analysis of a dataset"));
    assert_non_null(strstr(h, "</html>\n"));
    bm_free(h);
    json_decref(a);
}

static void test_every_metric_explained(void **state)
{
    (void)state;
    const char *codes[] = {"CDDL", "CI",  "DPL",   "JS",  "KL",  "KS",  "LP",
                           "TVD",  "AD",  "CDDPL", "DAR", "DCA", "DCR", "DI",
                           "DPPL", "DRR", "FT",    "GE",  "RD",  "SD",  "TE"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *m = bm_report_metric_meaning(codes[i]);
        assert_non_null(m);
        assert_true(strlen(m) > 40);
        assert_non_null(strchr(m, '.'));
    }
    assert_null(bm_report_metric_meaning("XX"));
    assert_null(bm_report_metric_meaning(NULL));
}

static void test_refusals_and_bounds(void **state)
{
    (void)state;
    bm_report_input in;
    memset(&in, 0, sizeof(in));
    bm_buf out;
    bm_buf_init(&out, 1 << 20);
    assert_int_equal(bm_report_html(&in, &out), BM_EINVAL);
    assert_int_equal(bm_report_html(NULL, &out), BM_EINVAL);
    bm_buf_release(&out);
    in.analysis = load(ANALYSIS);
    bm_buf_init(&out, 1000);
    assert_int_equal(bm_report_html(&in, &out), BM_ELIMIT);
    bm_buf_release(&out);
    json_decref(in.analysis);
}

static void test_allocation_failure(void **state)
{
    (void)state;
    json_t *a = load(ANALYSIS), *b = load(BASELINE), *v = load(VIOLATIONS), *acc = load(ACCOUNT);
    bm_report_input in = {NULL, a, b, v, acc, NULL};
    int ok = 0;
    for (long n = 1; n < 200 && !ok; n++) {
        bm_buf out;
        bm_buf_init(&out, 1 << 22);
        bm_alloc_fail_after(n);
        int r = bm_report_html(&in, &out);
        bm_alloc_fail_after(0);
        assert_true(r == BM_OK || r == BM_ENOMEM);
        ok = r == BM_OK;
        bm_buf_release(&out);
    }
    assert_true(ok);
    json_decref(a);
    json_decref(b);
    json_decref(v);
    json_decref(acc);
}

/* The statistical rule's evidence: a row of tests under each tested post-training metric, exact
 * values kept, |z| shown, an undecidable test's reason and the alarm's sentence escaped. */
static const char EVIDENCE[] =
    "{\"facets\": {\"se\\\"x<script>alert(1)</script>\": [{\"value_or_threshold\": \"F'&<b>\", "
    "\"metrics\": ["
    " {\"name\": \"DI\", \"alarm\": true, \"reason\": \"DI <moved> & alarmed\", \"tests\": ["
    "  {\"windows\": 2, \"rows\": {\"a\": 680.0, \"d\": 320.0}, \"window\": 0.6123456789012345,"
    "   \"baseline\": 0.9, \"change\": -0.2876543210987655, \"se\": 0.05, \"interval\": [-0.51, "
    "-0.06],"
    "   \"z\": -5.25, \"threshold\": 4.36, \"alarm\": true},"
    "  {\"windows\": 3, \"rows\": {\"a\": 9.0, \"d\": 1.0}, \"decidable\": false, \"why\": \"fewer "
    "than 5 <expected>\"}]},"
    " {\"name\": \"DPPL\", \"alarm\": false, \"reason\": null, \"tests\": ["
    "  {\"windows\": 2, \"rows\": {\"a\": 680.0, \"d\": 320.0}, \"window\": 0.1, \"baseline\": 0.2,"
    "   \"change\": -0.1, \"se\": 0.05, \"interval\": [-0.3, 0.1], \"z\": -2.0, \"threshold\": "
    "4.36, \"alarm\": false}]}"
    "]}]}}";

static void test_evidence(void **state)
{
    (void)state;
    json_t *a = load(ANALYSIS), *b = load(BASELINE), *v = load(VIOLATIONS), *acc = load(ACCOUNT),
           *ev = load(EVIDENCE);
    bm_report_input in = {NULL, a, b, v, acc, ev};
    bm_buf out;
    bm_buf_init(&out, 1 << 22);
    assert_int_equal(bm_report_html(&in, &out), BM_OK);
    const char *h = out.data;
    assert_non_null(strstr(h, "<tr class=\"evidence\" data-evidence=\"DI\"><td colspan=\"6\">"));
    assert_non_null(strstr(h, "<tr class=\"evidence\" data-evidence=\"DPPL\">"));
    assert_null(strstr(h, "data-evidence=\"TE\"")); /* no tests in the evidence: no row */
    assert_non_null(strstr(h, "<tr data-test=\"0\" class=\"alarm\"><td class=\"num windows\" "
                              "data-value=\"2\">2</td><td class=\"num rows-d\" "
                              "data-value=\"320.0\">320</td>"));
    assert_non_null(strstr(h, "data-value=\"0.6123456789012345\">0.6123</td>"));
    assert_non_null(strstr(h, "<span class=\"lo\" data-value=\"-0.51\">-0.5100</span>, <span "
                              "class=\"hi\" data-value=\"-0.06\">-0.0600</span>]"));
    assert_non_null(strstr(h, "<td class=\"num z\" data-value=\"5.25\">5.2500</td>"));
    assert_non_null(strstr(h, "fewer than 5 &lt;expected&gt;</td><td>not decidable</td>"));
    assert_non_null(strstr(h, "<p class=\"verdict alarm\">DI &lt;moved&gt; &amp; alarmed</p>"));
    assert_non_null(strstr(h, "<p class=\"verdict\">No alarm:"));
    assert_null(strstr(h, "<moved>"));
    assert_null(strstr(h, "class=\"undecided\"")); /* a decided window */
    bm_buf_release(&out);
    /* a window not yet decidable says why above the metrics, escaped */
    json_t *why = json_string("not yet decidable: none of the 5 <rows> has a label yet");
    assert_int_equal(json_object_set_new(ev, "decidable", json_false()), 0);
    assert_int_equal(json_object_set_new(ev, "why", why), 0);
    bm_buf_init(&out, 1 << 22);
    assert_int_equal(bm_report_html(&in, &out), BM_OK);
    assert_non_null(strstr(out.data, "<p class=\"undecided\">Not decided: not yet decidable: none "
                                     "of the 5 &lt;rows&gt; has a label yet</p>"));
    bm_buf_release(&out);
    for (long n = 1; n < 400; n++) { /* allocation failure anywhere: an error, never a crash */
        bm_buf_init(&out, 1 << 22);
        bm_alloc_fail_after(n);
        int r = bm_report_html(&in, &out);
        bm_alloc_fail_after(0);
        bm_buf_release(&out);
        assert_true(r == BM_OK || r == BM_ENOMEM);
        if (r == BM_OK) break;
    }
    json_decref(a);
    json_decref(b);
    json_decref(v);
    json_decref(acc);
    json_decref(ev);
}

/* The notebook: nbformat 4 JSON whose Markdown holds no markup from the inputs. */
static void test_notebook(void **state)
{
    (void)state;
    json_t *a = load(ANALYSIS), *b = load(BASELINE), *v = load(VIOLATIONS), *acc = load(ACCOUNT);
    bm_report_input in = {"T <1>", a, b, v, acc, NULL};
    bm_buf out;
    bm_buf_init(&out, 1 << 22);
    assert_int_equal(bm_report_ipynb(&in, &out), BM_OK);
    json_error_t je;
    json_t *nb = json_loadb(out.data, out.len, 0, &je);
    assert_non_null(nb);
    assert_int_equal(json_integer_value(json_object_get(nb, "nbformat")), 4);
    json_t *cells = json_object_get(nb, "cells");
    assert_int_equal(json_array_size(cells), 3); /* the run, the one facet entry, the code */
    const char *head = json_string_value(json_object_get(json_array_get(cells, 0), "source"));
    const char *facet = json_string_value(json_object_get(json_array_get(cells, 1), "source"));
    assert_non_null(strstr(head, "# T &lt;1&gt;"));
    assert_non_null(strstr(head, "status **CompletedWithViolations**"));
    assert_null(strstr(facet, "<script"));
    assert_non_null(
        strstr(facet, "se\"x&lt;script&gt;alert\\(1\\)&lt;/script&gt; = F'&amp;&lt;b&gt;"));
    assert_non_null(strstr(facet, "| **DI** | 0\\.6123456789012345 | 0\\.9 | **violation** |"));
    assert_non_null(strstr(facet, "| DPPL | 0\\.1 | 0\\.2 | ok |"));
    assert_null(strstr(facet, "<img"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(cells, 2), "cell_type")),
                        "code");
    json_decref(nb);
    bm_buf_release(&out);
    for (long n = 1; n < 400; n++) { /* allocation failure anywhere: an error, never a crash */
        bm_buf_init(&out, 1 << 22);
        bm_alloc_fail_after(n);
        int r = bm_report_ipynb(&in, &out);
        bm_alloc_fail_after(0);
        bm_buf_release(&out);
        assert_true(r == BM_OK || r == BM_ENOMEM);
        if (r == BM_OK) break;
    }
    json_decref(a);
    json_decref(b);
    json_decref(v);
    json_decref(acc);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* The dashboard's charts: a point per value, gaps where there is none, a mark per violation, a
 * band only where an interval exists, the baseline line only with a baseline. */
static void test_series_and_sparkline(void **state)
{
    (void)state;
    bm_report_point pts[5] = {
        {0, 0.8, NAN, NAN, 0},          {3600, NAN, NAN, NAN, 0},   {7200, 0.7, 0.6, 0.9, 1},
        {10800, INFINITY, 0.6, 0.9, 1}, {14400, 0.75, 0.6, 0.9, 0},
    };
    bm_report_series sr = {"DI", pts, 5, 0.8, 0, 14400};
    bm_buf b;
    bm_buf_init(&b, 1 << 20);
    assert_int_equal(bm_report_series_svg(&sr, &b), BM_OK);
    assert_non_null(strstr(b.data, "data-points=\"4\" data-violations=\"2\""));
    assert_non_null(strstr(b.data, "<path class=\"line\" d=\"M52.0 ")); /* x of t0: the margin */
    assert_int_equal(count(b.data, "<path class=\"marks\""), 1);
    assert_int_equal(count(b.data, "h0"), 2);                   /* a dot per violation */
    assert_int_equal(count(b.data, "<path class=\"band\""), 1); /* one run of intervals */
    assert_int_equal(count(b.data, "<line class=\"base\""), 1);
    assert_int_equal(count(b.data, "<circle class=\"dot\""), 1); /* 0.8 alone before the gap */
    assert_int_equal(count(b.data, "M"), 5); /* the line starts twice, the band once, 2 marks */
    assert_non_null(strstr(b.data, ">1970-01-01 00:00<")); /* the time axis' ends */
    assert_non_null(strstr(b.data, ">1970-01-01 04:00<"));
    bm_buf_reset(&b);
    sr.baseline = NAN;
    for (int k = 0; k < 5; k++)
        pts[k].lo = pts[k].hi = NAN, pts[k].violated = 0;
    assert_int_equal(bm_report_series_svg(&sr, &b), BM_OK);
    assert_int_equal(count(b.data, "class=\"band\""), 0);
    assert_int_equal(count(b.data, "class=\"base\""), 0);
    assert_int_equal(count(b.data, "class=\"marks\""), 0);
    sr.t1 = sr.t0;
    assert_int_equal(bm_report_series_svg(&sr, &b), BM_EINVAL);
    bm_buf_reset(&b);
    int64_t c[6] = {0, 3, -1, -2, 1, -1};
    assert_int_equal(bm_report_sparkline_svg(c, 6, &b), BM_OK);
    assert_int_equal(count(b.data, "class=\"viol\""), 1); /* one path of two bars */
    assert_int_equal(count(b.data, "class=\"failed\""), 1);
    assert_int_equal(count(b.data, "z"), 4); /* a bar or a mark each */
    bm_buf_reset(&b);
    int64_t none[2] = {0, -2};
    assert_int_equal(bm_report_sparkline_svg(none, 2, &b), BM_OK);
    assert_int_equal(count(b.data, "<path"), 0);
    bm_buf_reset(&b);
    assert_int_equal(bm_html_escape(&b, "<a href=\"x\">&'</a>"), BM_OK);
    assert_int_equal(bm_buf_putc(&b, 0), BM_OK);
    assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    bm_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evidence),
        cmocka_unit_test(test_escaped_and_marked),
        cmocka_unit_test(test_analysis_alone),
        cmocka_unit_test(test_every_metric_explained),
        cmocka_unit_test(test_refusals_and_bounds),
        cmocka_unit_test(test_allocation_failure),
        cmocka_unit_test(test_notebook),
        cmocka_unit_test(test_series_and_sparkline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
