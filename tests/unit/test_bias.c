/* Tests of the bias engine: binarization, hand-counted metrics, cube merge/serialization, OOM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/bias.h"
#include "biasmon/csv.h"
#include "biasmon/jsonw.h"

#define PRE "pre_training_bias_metrics"
#define POST "post_training_bias_metrics"
#define MAXCOLS 16

/* ==================================================================== fixtures */

/* A config, the plan it gives for a header, and the number of columns. */
typedef struct fx {
    bm_analysis_config cfg;
    bm_plan *plan;
    size_t ncols;
} fx;

static void fx_init(fx *f, const char *config, const char *header)
{
    bm_error e;
    memset(f, 0, sizeof(*f));
    if (bm_analysis_config_parse(config, strlen(config), "test", &f->cfg, &e) != BM_OK)
        fail_msg("config: %s at %s", e.msg, e.path);
    char names[MAXCOLS][64];
    const char *ptrs[MAXCOLS];
    const char *p = header;
    while (p) {
        assert_true(f->ncols < MAXCOLS);
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        assert_true(n < 64);
        memcpy(names[f->ncols], p, n);
        names[f->ncols][n] = 0;
        ptrs[f->ncols] = names[f->ncols];
        f->ncols++;
        p = comma ? comma + 1 : NULL;
    }
    if (bm_plan_new(&f->cfg, ptrs, f->ncols, &f->plan, &e) != BM_OK)
        fail_msg("plan: %s at %s", e.msg, e.path);
}

static void fx_release(fx *f)
{
    bm_plan_free(f->plan);
    bm_analysis_config_release(&f->cfg);
}

/* Types the comma-separated fields of row as CSV cells; missing trailing fields are empty. */
static void cells_of(const char *row, bm_cell *cells, size_t ncols)
{
    const char *p = row;
    for (size_t k = 0; k < ncols; k++) {
        bm_slice s = {"", 0};
        if (p) {
            const char *comma = strchr(p, ',');
            s.p = p;
            s.n = comma ? (size_t)(comma - p) : strlen(p);
            p = comma ? comma + 1 : NULL;
        }
        bm_cell_from_csv(s, &cells[k]);
    }
}

/* Adds rows[from..to) to c; returns the first failure. */
static int add_rows(bm_cube *c, size_t ncols, const char *const *rows, size_t from, size_t to)
{
    bm_cell cells[MAXCOLS];
    bm_error e;
    for (size_t k = from; k < to; k++) {
        cells_of(rows[k], cells, ncols);
        int r = bm_cube_add(c, cells, &e);
        if (r) return r;
    }
    return BM_OK;
}

static bm_cube *cube_of(const fx *f, const char *const *rows, size_t from, size_t to)
{
    bm_cube *c = bm_cube_new(f->plan);
    assert_non_null(c);
    assert_int_equal(add_rows(c, f->ncols, rows, from, to), BM_OK);
    assert_int_equal(bm_cube_rows(c), to - from);
    return c;
}

static json_t *analysis(const bm_cube *c)
{
    json_t *j = NULL;
    bm_error e;
    int r = bm_cube_analyze(c, 1, &j, &e);
    if (r != BM_OK) fail_msg("analyze: %d %s", r, e.msg);
    assert_non_null(j);
    return j;
}

static char *json_text(json_t *j)
{
    bm_buf b;
    bm_buf_init(&b, (size_t)256 << 20);
    assert_int_equal(bm_json_write(j, 0, &b), BM_OK);
    char *s = bm_buf_take(&b, NULL);
    assert_non_null(s);
    return s;
}

/* The analysis of c as compact JSON text (bm_free it). */
static char *analysis_text(const bm_cube *c)
{
    json_t *j = analysis(c);
    char *s = json_text(j);
    json_decref(j);
    return s;
}

/* The serialized cube (bm_free it). */
static char *cube_text(const bm_cube *c)
{
    bm_buf b;
    bm_buf_init(&b, (size_t)256 << 20);
    int r = bm_cube_write(c, &b);
    if (r != BM_OK) {
        bm_buf_release(&b);
        fail_msg("bm_cube_write: %d (%s)", r, bm_strerror(r));
    }
    char *s = bm_buf_take(&b, NULL);
    assert_non_null(s);
    return s;
}

static bm_cube *cube_from_text(const bm_plan *p, const char *text)
{
    bm_cube *c = NULL;
    bm_error e;
    memset(&e, 0, sizeof(e));
    int r = bm_cube_read(p, text, strlen(text), &c, &e);
    if (r != BM_OK) fail_msg("bm_cube_read: %d %s", r, e.msg);
    assert_non_null(c);
    return c;
}

/* ---- reading the analysis ---- */

static json_t *facet_list(json_t *root, const char *stage, const char *facet)
{
    json_t *st = json_object_get(root, stage);
    if (!st) fail_msg("no %s", stage);
    json_t *l = json_object_get(json_object_get(st, "facets"), facet);
    if (!l) fail_msg("no facet %s in %s", facet, stage);
    return l;
}

static json_t *entry(json_t *root, const char *stage, const char *facet, size_t k)
{
    json_t *l = facet_list(root, stage, facet);
    if (!json_is_array(l)) {
        char *s = json_dumps(l, 0);
        print_error("%s.%s is %s\n", stage, facet, s);
        free(s);
        fail_msg("%s.%s is not a list of entries", stage, facet);
    }
    json_t *e = json_array_get(l, k);
    if (!e) fail_msg("%s.%s has no entry %zu", stage, facet, k);
    return e;
}

static const char *entry_text(json_t *e)
{
    json_t *t = json_object_get(e, "value_or_threshold");
    assert_true(json_is_string(t));
    return json_string_value(t);
}

static const char *label_text(json_t *root, const char *stage)
{
    json_t *t = json_object_get(json_object_get(root, stage), "label_value_or_threshold");
    assert_true(json_is_string(t));
    return json_string_value(t);
}

/* The facet's error text when the whole facet failed, else NULL. */
static const char *facet_error(json_t *root, const char *stage, const char *facet)
{
    json_t *l = facet_list(root, stage, facet);
    if (!json_is_object(l)) return NULL;
    json_t *e = json_object_get(l, "error");
    assert_true(json_is_string(e));
    assert_int_equal(json_object_size(l), 1);
    return json_string_value(e);
}

static json_t *metric(json_t *e, const char *name)
{
    json_t *ms = json_object_get(e, "metrics");
    for (size_t i = 0; i < json_array_size(ms); i++) {
        json_t *m = json_array_get(ms, i);
        if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0) return m;
    }
    fail_msg("metric %s missing", name);
    return NULL;
}

static int close_to(double got, double want)
{
    return fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want));
}

static void expect_num(json_t *e, const char *name, double want)
{
    json_t *m = metric(e, name);
    json_t *v = json_object_get(m, "value");
    if (!json_is_real(v)) {
        char *s = json_dumps(m, 0);
        print_error("%s\n", s);
        free(s);
        fail_msg("%s: value is not a float", name);
    }
    if (!close_to(json_real_value(v), want))
        fail_msg("%s = %.17g, expected %.17g", name, json_real_value(v), want);
    assert_null(json_object_get(m, "error"));
    assert_int_equal(json_object_size(m), 3);
}

static void expect_err(json_t *e, const char *name, const char *msg)
{
    json_t *m = metric(e, name);
    json_t *v = json_object_get(m, "value");
    json_t *err = json_object_get(m, "error");
    if (!json_is_null(v) || !json_is_string(err)) {
        char *s = json_dumps(m, 0);
        print_error("%s\n", s);
        free(s);
        fail_msg("%s: expected an error", name);
    }
    if (strcmp(json_string_value(err), msg) != 0)
        fail_msg("%s: error \"%s\", expected \"%s\"", name, json_string_value(err), msg);
}

/* "Infinity" / "-Infinity" */
static void expect_str(json_t *e, const char *name, const char *want)
{
    json_t *v = json_object_get(metric(e, name), "value");
    if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
        fail_msg("%s: expected the string \"%s\"", name, want);
}

/* The integer 0 of smclarify's both-infinite collapse. */
static void expect_int0(json_t *e, const char *name)
{
    json_t *v = json_object_get(metric(e, name), "value");
    if (!json_is_integer(v) || json_integer_value(v) != 0)
        fail_msg("%s: expected the integer 0", name);
}

static void expect_metric_names(json_t *e, const char *const *names, size_t n)
{
    json_t *ms = json_object_get(e, "metrics");
    assert_int_equal(json_array_size(ms), n);
    for (size_t k = 0; k < n; k++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(ms, k), "name")),
                            names[k]);
}

/* Rows built at run time. */
typedef struct rowset {
    char buf[512][48];
    const char *row[512];
    size_t n;
} rowset;

static void rs_add(rowset *rs, const char *fmt, ...) BM_PRINTF(2, 3);
static void rs_add(rowset *rs, const char *fmt, ...)
{
    assert_true(rs->n < 512);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rs->buf[rs->n], sizeof(rs->buf[0]), fmt, ap);
    va_end(ap);
    rs->row[rs->n] = rs->buf[rs->n];
    rs->n++;
}

/* ==================================================================== table T1: every metric */

/* 12 rows; d = sex F. Counted by hand (y, yhat): group a (M): TP 3, FN 2, FP 1, TN 2;
 * group d (F): TP 1, FN 0, FP 0, TN 3. Groups (grp): 1 and 2, six rows each. Features for
 * the flip test: grp and x (sex is the facet, y and yhat are excluded). */
static const char *t1_header = "sex,grp,x,y,yhat";
static const char *const t1_rows[] = {
    "M,1,1.0,p,p", /* a TP */
    "F,1,1.1,p,p", /* d TP */
    "M,1,2.0,p,p", /* a TP */
    "M,2,3.0,p,p", /* a TP */
    "F,1,4.1,n,n", /* d TN */
    "M,1,4.0,p,n", /* a FN */
    "M,2,5.0,p,n", /* a FN */
    "F,2,6.1,n,n", /* d TN */
    "M,2,6.0,n,p", /* a FP */
    "M,1,7.0,n,n", /* a TN */
    "F,2,8.1,n,n", /* d TN */
    "M,2,8.0,n,n", /* a TN */
};
#define T1_N (sizeof(t1_rows) / sizeof(t1_rows[0]))

static const char *t1_config =
    "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
    " \"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"F\"]}],"
    " \"group_variable\": \"grp\", \"predicted_label\": \"yhat\"}";

static const char *const pre_names[] = {"CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"};
static const char *const pre_descs[] = {
    "Conditional Demographic Disparity in Labels (CDDL)",
    "Class Imbalance (CI)",
    "Difference in Positive Proportions in Labels (DPL)",
    "Jensen-Shannon Divergence (JS)",
    "Kullback-Liebler Divergence (KL)",
    "Kolmogorov-Smirnov Distance (KS)",
    "L-p Norm (LP)",
    "Total Variation Distance (TVD)",
};
static const char *const post_names[] = {"AD",  "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL",
                                         "DRR", "FT",    "GE",  "RD",  "SD",  "TE"};
static const char *const post_descs[] = {
    "Accuracy Difference (AD)",
    "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "Difference in Acceptance Rates (DAR)",
    "Difference in Conditional Acceptance (DCA)",
    "Difference in Conditional Rejection (DCR)",
    "Disparate Impact (DI)",
    "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "Difference in Rejection Rates (DRR)",
    "Flip Test (FT)",
    "Generalized Entropy (GE)",
    "Recall Difference (RD)",
    "Specificity Difference (SD)",
    "Treatment Equality (TE)",
};

/* GE of T1: b = yhat - y + 1 over all 12 rows: two 0s (FN), one 2 (FP), nine 1s; mean 11/12;
 * sum((b/mean)^2 - 1) / (2 * 12) = (-2 + 9 * 23/121 + 455/121) / 24 = 35/242. */
#define T1_GE (35.0 / 242.0)

static void test_t1_every_metric(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, t1_config, t1_header);
    bm_cube *c = cube_of(&f, t1_rows, 0, T1_N);
    json_t *root = analysis(c);

    assert_string_equal(json_string_value(json_object_get(root, "version")), "1.0");
    assert_string_equal(label_text(root, PRE), "p");
    assert_string_equal(label_text(root, POST), "p");
    assert_string_equal(json_string_value(json_object_get(json_object_get(root, PRE), "label")),
                        "y");
    json_t *pre = entry(root, PRE, "sex", 0);
    json_t *post = entry(root, POST, "sex", 0);
    assert_int_equal(json_array_size(facet_list(root, PRE, "sex")), 1);
    assert_string_equal(entry_text(pre), "F");
    assert_string_equal(entry_text(post), "F");

    /* names sorted, descriptions as smclarify prints them */
    expect_metric_names(pre, pre_names, 8);
    expect_metric_names(post, post_names, 13);
    for (size_t k = 0; k < 8; k++)
        assert_string_equal(
            json_string_value(json_object_get(metric(pre, pre_names[k]), "description")),
            pre_descs[k]);
    for (size_t k = 0; k < 13; k++)
        assert_string_equal(
            json_string_value(json_object_get(metric(post, post_names[k]), "description")),
            post_descs[k]);

    /* pre-training: n_a = 8 (5 positive), n_d = 4 (1 positive) */
    double pa0 = 3.0 / 8, pa1 = 5.0 / 8, pd0 = 3.0 / 4, pd1 = 1.0 / 4;
    double m0 = (pa0 + pd0) / 2, m1 = (pa1 + pd1) / 2;
    /* CDDL: grp 1: A = 1/4, D = 1/2; grp 2: A = 0, D = 1/2; (6/4 + 6/2) / 12 */
    expect_num(pre, "CDDL", 0.375);
    expect_num(pre, "CI", (8.0 - 4.0) / 12.0);
    expect_num(pre, "DPL", 5.0 / 8 - 1.0 / 4);
    expect_num(pre, "KL", pa0 * log(pa0 / pd0) + pa1 * log(pa1 / pd1));
    expect_num(pre, "JS",
               0.5 * (pa0 * log(pa0 / m0) + pa1 * log(pa1 / m1) + pd0 * log(pd0 / m0) +
                      pd1 * log(pd1 / m1)));
    expect_num(pre, "LP", sqrt((pa0 - pd0) * (pa0 - pd0) + (pa1 - pd1) * (pa1 - pd1)));
    expect_num(pre, "TVD", 0.375);
    expect_num(pre, "KS", 0.375);

    /* post-training */
    expect_num(post, "AD", 5.0 / 8 - 4.0 / 4);
    /* CDDPL: grp 1: A = 1/3, D = 1/3; grp 2: A = 0, D = 1/2 */
    expect_num(post, "CDDPL", 0.25);
    expect_num(post, "DAR", 3.0 / 4 - 1.0 / 1);
    expect_num(post, "DCA", 5.0 / 4 - 1.0 / 1);
    expect_num(post, "DCR", 3.0 / 3 - 3.0 / 4);
    expect_num(post, "DI", (1.0 / 4) / (4.0 / 8));
    expect_num(post, "DPPL", 4.0 / 8 - 1.0 / 4);
    expect_num(post, "DRR", 3.0 / 3 - 2.0 / 4);
    /* k = 1 (n_a <= 9): the d rows' nearest a rows predict p, n, p, n; d predicts p, n, n, n:
     * one row with yhat = 0 and knn = 1 */
    expect_num(post, "FT", -1.0 / 4);
    expect_num(post, "GE", T1_GE);
    expect_num(post, "RD", 3.0 / 5 - 1.0 / 1);
    expect_num(post, "SD", 3.0 / 3 - 2.0 / 3);
    expect_num(post, "TE", 0.0 / 1 - 2.0 / 1); /* FN_d / FP_d = 0/0 = 0 */
    json_decref(root);

    /* the exact text: key order, Python float repr, ", " and ": " separators */
    char *s = analysis_text(c);
    const char *head =
        "{\"version\": \"1.0\", \"pre_training_bias_metrics\": {\"label\": \"y\", \"facets\": "
        "{\"sex\": [{\"value_or_threshold\": \"F\", \"metrics\": [{\"name\": \"CDDL\", "
        "\"description\": \"Conditional Demographic Disparity in Labels (CDDL)\", \"value\": "
        "0.375}, {\"name\": \"CI\", \"description\": \"Class Imbalance (CI)\", \"value\": "
        "0.3333333333333333}, ";
    if (strncmp(s, head, strlen(head)) != 0) fail_msg("analysis text starts\n%.400s", s);
    assert_non_null(strstr(s, "]}]}, \"label_value_or_threshold\": \"p\"}, "
                              "\"post_training_bias_metrics\": {\"label\": \"y\", "));
    assert_non_null(strstr(s, "{\"name\": \"TE\", \"description\": \"Treatment Equality (TE)\", "
                              "\"value\": -2.0}]}]}, \"label_value_or_threshold\": \"p\"}}"));
    bm_free(s);
    bm_cube_free(c);
    fx_release(&f);
}

/* The same rows in another order give the same metrics (first appearance aside). */
static void test_t1_row_order(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, t1_config, t1_header);
    const char *rev[T1_N];
    for (size_t k = 0; k < T1_N; k++)
        rev[k] = t1_rows[T1_N - 1 - k];
    bm_cube *a = cube_of(&f, t1_rows, 0, T1_N), *b = cube_of(&f, rev, 0, T1_N);
    char *sa = analysis_text(a), *sb = analysis_text(b);
    assert_string_equal(sa, sb);
    bm_free(sa);
    bm_free(sb);
    bm_cube_free(a);
    bm_cube_free(b);
    fx_release(&f);
}

static void test_methods_subset_and_order(void **state)
{
    (void)state;
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"F\"]},"
            "             {\"name_or_index\": \"sex\", \"value_or_threshold\": [\"M\"]}],"
            " \"predicted_label\": \"yhat\", \"methods\": {"
            " \"pre_training_bias\": {\"methods\": [\"KL\", \"CI\"]},"
            " \"post_training_bias\": {\"methods\": [\"TE\", \"AD\", \"DI\"]}}}",
            t1_header);
    assert_int_equal(bm_plan_wants_ft(f.plan), 0);
    bm_cube *c = cube_of(&f, t1_rows, 0, T1_N);
    json_t *root = analysis(c);
    static const char *const pre[] = {"CI", "KL"}, *const post[] = {"AD", "DI", "TE"};
    /* the same column twice: both entries in one list, in config order */
    assert_int_equal(json_array_size(facet_list(root, PRE, "sex")), 2);
    assert_string_equal(entry_text(entry(root, PRE, "sex", 0)), "F");
    assert_string_equal(entry_text(entry(root, PRE, "sex", 1)), "M");
    expect_metric_names(entry(root, PRE, "sex", 0), pre, 2);
    expect_metric_names(entry(root, POST, "sex", 1), post, 3);
    expect_num(entry(root, PRE, "sex", 0), "CI", 4.0 / 12);
    expect_num(entry(root, PRE, "sex", 1), "CI", -4.0 / 12);
    expect_num(entry(root, POST, "sex", 1), "DI", (4.0 / 8) / (1.0 / 4));
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);

    /* no predicted_label: post-training metrics cannot be computed from the data */
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"F\"]}]}",
            t1_header);
    assert_int_equal(bm_plan_wants_ft(f.plan), 0);
    c = cube_of(&f, t1_rows, 0, T1_N);
    root = analysis(c);
    assert_null(json_object_get(root, POST));
    expect_num(entry(root, PRE, "sex", 0), "CI", 4.0 / 12);
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);

    /* pre-training only: no post-training section at all */
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"F\"]}],"
            " \"methods\": {\"pre_training_bias\": {\"methods\": \"all\"}}}",
            t1_header);
    c = cube_of(&f, t1_rows, 0, T1_N);
    root = analysis(c);
    assert_null(json_object_get(root, POST));
    assert_non_null(json_object_get(root, PRE));
    expect_err(entry(root, PRE, "sex", 0), "CDDL", "Group variable is empty or not provided");
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);
}

/* ==================================================================== empty groups */

static void test_empty_facet_group(void **state)
{
    (void)state;
    fx f;
    /* a value no row has: d is empty */
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"Z\"]}],"
            " \"group_variable\": \"grp\", \"predicted_label\": \"yhat\"}",
            t1_header);
    bm_cube *c = cube_of(&f, t1_rows, 0, T1_N);
    json_t *root = analysis(c);
    json_t *pre = entry(root, PRE, "sex", 0), *post = entry(root, POST, "sex", 0);
    assert_string_equal(entry_text(pre), "Z");
    expect_err(pre, "CI", "CI: facet set is empty. Check that x[facet] has non-zero length.");
    expect_err(pre, "DPL", "Facet set is empty.");
    const char *nocommon = "No instance of common facet found, dataset may be too small";
    expect_err(pre, "KL", nocommon);
    expect_err(pre, "JS", nocommon);
    expect_err(pre, "LP", nocommon);
    expect_err(pre, "TVD", nocommon);
    expect_err(pre, "KS", nocommon);
    expect_num(pre, "CDDL", 0.0); /* CDD does not check for an empty d */
    expect_err(post, "DPPL", "Facet set is empty.");
    expect_err(post, "DI", "Facet set is empty");
    expect_err(post, "DCA", "DCO: Facet set is empty");
    expect_err(post, "DCR", "DCO: Facet set is empty");
    expect_err(post, "DAR", "DLR: Facet set is empty");
    expect_err(post, "DRR", "DLR: Facet set is empty");
    expect_err(post, "RD", "DLA: Facet set is empty");
    expect_err(post, "SD", "DLA: Facet set is empty");
    expect_err(post, "AD", "Facet set is empty");
    expect_err(post, "TE", "Facet set is empty");
    expect_err(post, "FT", "Facet set is empty");
    expect_num(post, "GE", T1_GE); /* every row, whatever the facet */
    expect_num(post, "CDDPL", 0.0);
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);

    /* values covering every row: a is empty */
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"F\", \"M\"]}],"
            " \"group_variable\": \"grp\", \"predicted_label\": \"yhat\"}",
            t1_header);
    c = cube_of(&f, t1_rows, 0, T1_N);
    root = analysis(c);
    pre = entry(root, PRE, "sex", 0);
    post = entry(root, POST, "sex", 0);
    assert_string_equal(entry_text(pre), "F,M");
    expect_err(pre, "CI",
               "CI: negated facet set is empty. Check that x[~facet] has non-zero length.");
    expect_err(pre, "DPL", "Negative facet set is empty.");
    expect_err(pre, "KL", nocommon);
    expect_err(pre, "KS", nocommon);
    expect_num(pre, "CDDL", 0.0);
    expect_err(post, "DPPL", "Negative facet set is empty.");
    expect_err(post, "DI", "Negated facet set is empty");
    expect_err(post, "DCA", "DCO: Negated Facet set is empty");
    expect_err(post, "DCR", "DCO: Negated Facet set is empty");
    expect_err(post, "DAR", "DLR: Negated Facet set is empty");
    expect_err(post, "DRR", "DLR: Negated Facet set is empty");
    expect_err(post, "RD", "DLA: Negated Facet set is empty");
    expect_err(post, "SD", "DLA: Negated Facet set is empty");
    expect_err(post, "AD", "Negated Facet set is empty");
    expect_err(post, "TE", "Negated Facet set is empty");
    expect_err(post, "FT", "Negated Facet set is empty");
    expect_num(post, "GE", T1_GE);
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);
}

/* ==================================================================== infinities */

static const char *edge_config =
    "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
    " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"A\"]}],"
    " \"group_variable\": \"grp\", \"predicted_label\": \"yhat\"}";

static json_t *edge_analysis(const char *const *rows, size_t n, fx *f, bm_cube **c)
{
    fx_init(f, edge_config, "f,grp,y,yhat");
    *c = cube_of(f, rows, 0, n);
    return analysis(*c);
}

static void edge_done(json_t *root, fx *f, bm_cube *c)
{
    json_decref(root);
    bm_cube_free(c);
    fx_release(f);
}

static void test_infinities(void **state)
{
    (void)state;
    fx f;
    bm_cube *c;
    /* a never predicted positive: a TP 0 FN 2 FP 0 TN 2; d TP 1 FN 1 FP 1 TN 1 */
    static const char *const r1[] = {"B,1,p,n", "A,1,p,p", "B,1,p,n", "A,1,n,p",
                                     "B,1,n,n", "A,1,n,n", "B,1,n,n", "A,1,p,n"};
    json_t *root = edge_analysis(r1, 8, &f, &c);
    json_t *e = entry(root, POST, "f", 0);
    expect_str(e, "DI", "Infinity");  /* (2/4) / (0/4) */
    expect_str(e, "DCA", "Infinity"); /* 2/0 - 2/2 */
    expect_str(e, "TE", "-Infinity"); /* 1/1 - 2/0 */
    expect_num(e, "DPPL", 0.0 / 4 - 2.0 / 4);
    expect_num(e, "DCR", 2.0 / 2 - 2.0 / 4);
    expect_num(e, "DAR", 0.0 - 1.0 / 2); /* TP_a / nhat_a(1) = 0/0 = 0 */
    expect_num(e, "DRR", 1.0 / 2 - 2.0 / 4);
    expect_num(e, "RD", 0.0 / 2 - 1.0 / 2);
    expect_num(e, "SD", 1.0 / 2 - 2.0 / 2);
    expect_num(e, "AD", 2.0 / 4 - 2.0 / 4);
    /* GE: three FN (b = 0), one FP (b = 2), four b = 1; mean 6/8 */
    expect_num(e, "GE", (3 * (0 - 1.0) + 4 * (16.0 / 9 - 1) + (64.0 / 9 - 1)) / 16);
    char *s = analysis_text(c);
    assert_non_null(
        strstr(s, "\"description\": \"Disparate Impact (DI)\", \"value\": \"Infinity\"}"));
    assert_non_null(
        strstr(s, "\"description\": \"Treatment Equality (TE)\", \"value\": \"-Infinity\"}"));
    bm_free(s);
    edge_done(root, &f, c);

    /* a always predicted positive: a TP 2 FP 2; d FN 2 TN 1 TP 1 */
    static const char *const r2[] = {"B,1,p,p", "B,1,p,p", "B,1,n,p", "B,1,n,p",
                                     "A,1,p,n", "A,1,p,n", "A,1,n,n", "A,1,p,p"};
    root = edge_analysis(r2, 8, &f, &c);
    e = entry(root, POST, "f", 0);
    expect_str(e, "TE", "Infinity");   /* 2/0 - 0/2 */
    expect_str(e, "DCR", "-Infinity"); /* 1/3 - 2/0 */
    expect_num(e, "DRR", 1.0 / 3 - 0.0);
    expect_num(e, "DI", (1.0 / 4) / (4.0 / 4));
    expect_num(e, "DCA", 2.0 / 4 - 3.0 / 1);
    expect_num(e, "DAR", 2.0 / 4 - 1.0 / 1);
    expect_num(e, "RD", 2.0 / 2 - 1.0 / 3);
    expect_num(e, "SD", 1.0 / 1 - 0.0 / 2);
    expect_num(e, "AD", 2.0 / 4 - 2.0 / 4);
    expect_num(e, "DPPL", 4.0 / 4 - 1.0 / 4);
    edge_done(root, &f, c);
}

static void test_both_infinite_collapse(void **state)
{
    (void)state;
    fx f;
    bm_cube *c;
    /* everything predicted positive, negatives in both groups: DCR = inf - inf -> integer 0 */
    static const char *const r1[] = {"B,1,p,p", "A,1,p,p", "B,1,p,p",
                                     "A,1,n,p", "B,1,n,p", "A,1,n,p"};
    json_t *root = edge_analysis(r1, 6, &f, &c);
    json_t *e = entry(root, POST, "f", 0);
    expect_int0(e, "DCR");
    expect_num(e, "DRR", 0.0); /* 0/0 - 0/0: a float 0, not the collapse */
    expect_num(e, "TE", 0.0);
    expect_num(e, "DCA", 2.0 / 3 - 1.0 / 3);
    expect_num(e, "DAR", 2.0 / 3 - 1.0 / 3);
    expect_num(e, "DI", 1.0);
    expect_num(e, "RD", 0.0);
    expect_num(e, "SD", 0.0);
    char *s = analysis_text(c);
    assert_non_null(strstr(s, "\"description\": \"Difference in Conditional Rejection (DCR)\", "
                              "\"value\": 0}"));
    assert_non_null(strstr(s, "\"description\": \"Difference in Rejection Rates (DRR)\", "
                              "\"value\": 0.0}"));
    bm_free(s);
    edge_done(root, &f, c);

    /* no false positive anywhere, false negatives in both: TE = inf - inf -> float 0.0 */
    static const char *const r2[] = {"B,1,p,p", "B,1,p,n", "B,1,p,n", "B,1,n,n",
                                     "A,1,p,p", "A,1,p,n", "A,1,n,n", "A,1,n,n"};
    root = edge_analysis(r2, 8, &f, &c);
    e = entry(root, POST, "f", 0);
    expect_num(e, "TE", 0.0);
    expect_num(e, "RD", 1.0 / 3 - 1.0 / 2);
    expect_num(e, "DCA", 3.0 / 1 - 2.0 / 1);
    s = analysis_text(c);
    assert_non_null(strstr(s, "\"description\": \"Treatment Equality (TE)\", \"value\": 0.0}"));
    bm_free(s);
    edge_done(root, &f, c);
}

/* No row predicted positive: the whole post-training facet fails (this is also the only way
 * to make every row a false negative, so GE's own error cannot be reached in a report). */
static void test_no_predicted_positive(void **state)
{
    (void)state;
    fx f;
    bm_cube *c;
    static const char *const r1[] = {"B,1,p,n", "A,1,p,n", "B,2,n,n", "A,2,n,n", "B,1,p,n"};
    json_t *root = edge_analysis(r1, 5, &f, &c);
    const char *msg = facet_error(root, POST, "f");
    assert_non_null(msg);
    assert_string_equal(msg, "ValueError: No Label values are present in the predicted Label "
                             "Column,Positive Predicted Index Series contains all False values");
    assert_string_equal(label_text(root, POST), "p");
    /* pre-training is unaffected */
    assert_null(facet_error(root, PRE, "f"));
    expect_num(entry(root, PRE, "f", 0), "CI", (3.0 - 2.0) / 5);
    expect_num(entry(root, PRE, "f", 0), "DPL", 2.0 / 3 - 1.0 / 2);
    edge_done(root, &f, c);

    /* every row a false negative */
    static const char *const r2[] = {"B,1,p,n", "A,1,p,n", "B,2,p,n", "A,2,p,n"};
    root = edge_analysis(r2, 4, &f, &c);
    assert_non_null(facet_error(root, POST, "f"));
    expect_err(entry(root, PRE, "f", 0), "CDDL", "No negative labels in set");
    edge_done(root, &f, c);
}

/* ==================================================================== distribution metrics */

static const char *pre_config =
    "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
    " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"A\"]}],"
    " \"methods\": {\"pre_training_bias\": {\"methods\": \"all\"}}}";

static void test_kl_negative_one_sided_group(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, pre_config, "f,y");
    /* a: one positive of four; d: three positives of three */
    static const char *const rows[] = {"B,p", "A,p", "B,n", "A,p", "B,n", "A,p", "B,n"};
    bm_cube *c = cube_of(&f, rows, 0, 7);
    json_t *root = analysis(c);
    json_t *e = entry(root, PRE, "f", 0);
    double pa1 = 0.25, m = (pa1 + 1) / 2;
    /* only the True outcome is common: KL = pa1 ln(pa1 / 1) < 0 */
    expect_num(e, "KL", pa1 * log(pa1));
    assert_true(json_real_value(json_object_get(metric(e, "KL"), "value")) < 0);
    expect_num(e, "JS", 0.5 * (pa1 * log(pa1 / m) + log(1 / m)));
    expect_num(e, "LP", 0.75);
    expect_num(e, "KS", 0.75);
    expect_num(e, "TVD", 0.375);
    expect_num(e, "DPL", 0.25 - 1.0);
    expect_num(e, "CI", (4.0 - 3.0) / 7);
    expect_err(e, "CDDL", "Group variable is empty or not provided");
    json_decref(root);
    bm_cube_free(c);

    /* no common outcome: d all positive, a all negative */
    static const char *const disjoint[] = {"B,n", "A,p", "B,n", "A,p", "B,n"};
    c = cube_of(&f, disjoint, 0, 5);
    root = analysis(c);
    e = entry(root, PRE, "f", 0);
    const char *nocommon = "No instance of common facet found, dataset may be too small";
    expect_err(e, "KL", nocommon);
    expect_err(e, "JS", nocommon);
    expect_err(e, "LP", nocommon);
    expect_err(e, "TVD", nocommon);
    expect_err(e, "KS", nocommon);
    expect_num(e, "DPL", 0.0 - 1.0);
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);
}

static void test_all_labels_one_outcome(void **state)
{
    (void)state;
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"A\"]}],"
            " \"group_variable\": \"grp\","
            " \"methods\": {\"pre_training_bias\": {\"methods\": \"all\"}}}",
            "f,grp,y");
    static const char *const neg[] = {"B,1,n", "A,1,n", "B,2,n", "A,2,n", "B,2,n"};
    bm_cube *c = cube_of(&f, neg, 0, 5);
    json_t *root = analysis(c);
    json_t *e = entry(root, PRE, "f", 0);
    expect_num(e, "KL", 0.0);
    expect_num(e, "JS", 0.0);
    expect_num(e, "LP", 0.0);
    expect_num(e, "TVD", 0.0);
    expect_num(e, "KS", 0.0);
    expect_num(e, "DPL", 0.0);
    expect_err(e, "CDDL", "No positive labels in set");
    json_decref(root);
    bm_cube_free(c);

    static const char *const pos[] = {"B,1,p", "A,1,p", "B,2,p", "A,2,p", "B,2,p"};
    c = cube_of(&f, pos, 0, 5);
    root = analysis(c);
    e = entry(root, PRE, "f", 0);
    expect_num(e, "KL", 0.0);
    expect_num(e, "DPL", 0.0);
    expect_err(e, "CDDL", "No negative labels in set");
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);
}

/* ==================================================================== CDD and groups */

/* g1: 5 rows, A = 1/2, D = 1/3; g2: 3 rows, no positive (A = 0), D = 1/3;
 * g3: 4 rows, no negative (D = 0), A = 1/2. CDD = (5 (-1/6) + 3 (1/3) + 4 (-1/2)) / 12. */
#define E7_CDD (-11.0 / 72.0)

static void cdd_case(const char *const *rows, size_t n, const char *grp_a, const char *grp_b,
                     const char *grp_c, const char *extra_row, double *value, char *err,
                     size_t errlen)
{
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"A\"]}],"
            " \"group_variable\": \"grp\","
            " \"methods\": {\"pre_training_bias\": {\"methods\": [\"CDDL\"]}}}",
            "f,grp,y");
    rowset *rs = calloc(1, sizeof(*rs));
    assert_non_null(rs);
    for (size_t k = 0; k < n; k++) {
        /* rows are "f,<group letter>,y" with letters a, b, c */
        const char *g = rows[k][2] == 'a' ? grp_a : rows[k][2] == 'b' ? grp_b : grp_c;
        rs_add(rs, "%c,%s,%s", rows[k][0], g, rows[k] + 4);
    }
    if (extra_row) rs_add(rs, "%s", extra_row);
    bm_cube *c = cube_of(&f, rs->row, 0, rs->n);
    json_t *root = analysis(c);
    json_t *m = metric(entry(root, PRE, "f", 0), "CDDL");
    json_t *v = json_object_get(m, "value");
    *value = json_is_number(v) ? json_number_value(v) : NAN;
    json_t *e = json_object_get(m, "error");
    snprintf(err, errlen, "%s", e ? json_string_value(e) : "");
    json_decref(root);
    bm_cube_free(c);
    free(rs);
    fx_release(&f);
}

static const char *const e7_rows[] = {
    "A,a,p", "B,b,n", "A,c,p", "B,a,p", "A,b,n", "A,a,n",
    "B,c,p", "B,a,n", "B,b,n", "A,c,p", "B,a,n", "B,c,p",
};

static void test_cdd_groups(void **state)
{
    (void)state;
    double v;
    char err[256];
    cdd_case(e7_rows, 12, "g1", "g2", "g3", NULL, &v, err, sizeof(err));
    assert_string_equal(err, "");
    if (!close_to(v, E7_CDD)) fail_msg("CDDL = %.17g", v);

    /* numeric groups: the same value; a row whose group is empty belongs to no group */
    cdd_case(e7_rows, 12, "1", "2", "3", "A,,p", &v, err, sizeof(err));
    assert_string_equal(err, "");
    if (!close_to(v, E7_CDD)) fail_msg("numeric groups: CDDL = %.17g", v);
    cdd_case(e7_rows, 12, "10", "2.5", "-3", NULL, &v, err, sizeof(err));
    if (!close_to(v, E7_CDD)) fail_msg("float groups: CDDL = %.17g", v);

    /* string groups with an empty cell cannot be sorted */
    cdd_case(e7_rows, 12, "g1", "g2", "g3", "A,,p", &v, err, sizeof(err));
    assert_true(isnan(v));
    assert_string_equal(err, "'<' not supported between instances of 'str' and 'float'");
}

/* ==================================================================== binarization */

static void test_multi_value_facet_and_label(void **state)
{
    (void)state;
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"cat\", \"dog\"],"
            " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"A\", \"C\"]}],"
            " \"methods\": {\"pre_training_bias\": {\"methods\": [\"CI\", \"DPL\"]}}}",
            "f,y");
    static const char *const rows[] = {"A,cat", "B,cow", "C,cow", "D,cat", "A,cow",
                                       "C,dog", "B,cow", "E,cow", "C,cat", "B,cat"};
    bm_cube *c = cube_of(&f, rows, 0, 10);
    json_t *root = analysis(c);
    json_t *e = entry(root, PRE, "f", 0);
    assert_string_equal(entry_text(e), "A,C");
    assert_string_equal(label_text(root, PRE), "cat,dog");
    /* d = A or C: 5 rows, 3 positive (cat, dog, cat); a: 5 rows, 2 positive (cat, cat).
     * Matching "cat" alone would give 2/5 - 2/5. */
    expect_num(e, "CI", 0.0);
    expect_num(e, "DPL", 2.0 / 5 - 3.0 / 5);
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);
}

static void test_one_vs_all(void **state)
{
    (void)state;
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"f\"}],"
            " \"methods\": {\"pre_training_bias\": {\"methods\": [\"CI\", \"DPL\"]}}}",
            "f,y");
    /* first appearance: B, A, (empty), C */
    static const char *const rows[] = {"B,p", "A,n", ",p", "B,n", "C,p",
                                       "A,p", "B,p", ",n", "C,n", "A,n"};
    bm_cube *c = cube_of(&f, rows, 0, 10);
    json_t *root = analysis(c);
    assert_int_equal(json_array_size(facet_list(root, PRE, "f")), 4);
    json_t *b = entry(root, PRE, "f", 0), *a = entry(root, PRE, "f", 1),
           *nan = entry(root, PRE, "f", 2), *cc = entry(root, PRE, "f", 3);
    assert_string_equal(entry_text(b), "B");
    assert_string_equal(entry_text(a), "A");
    assert_string_equal(entry_text(nan), "nan");
    assert_string_equal(entry_text(cc), "C");
    expect_num(b, "CI", (7.0 - 3.0) / 10);
    expect_num(b, "DPL", 3.0 / 7 - 2.0 / 3);
    expect_num(a, "CI", (7.0 - 3.0) / 10);
    expect_num(a, "DPL", 4.0 / 7 - 1.0 / 3);
    /* the "nan" entry selects nothing */
    expect_err(nan, "CI", "CI: facet set is empty. Check that x[facet] has non-zero length.");
    expect_err(nan, "DPL", "Facet set is empty.");
    expect_num(cc, "CI", (8.0 - 2.0) / 10);
    expect_num(cc, "DPL", 4.0 / 8 - 1.0 / 2);
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);
}

/* Continuous facets: the facet column with one value, pre-training CI only. */
static json_t *facet_case(const char *column, const char *value, const char *const *vals, size_t n,
                          fx *f, bm_cube **c)
{
    char cfg[512];
    snprintf(cfg, sizeof(cfg),
             "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
             " \"facet\": [{\"name_or_index\": \"%s\"%s%s%s}],"
             " \"methods\": {\"pre_training_bias\": {\"methods\": [\"CI\"]}}}",
             column, value ? ", \"value_or_threshold\": [" : "", value ? value : "",
             value ? "]" : "");
    char header[64];
    snprintf(header, sizeof(header), "%s,y", column);
    fx_init(f, cfg, header);
    rowset *rs = calloc(1, sizeof(*rs));
    assert_non_null(rs);
    for (size_t k = 0; k < n; k++)
        rs_add(rs, "%s,%s", vals[k], k % 2 ? "p" : "n");
    *c = cube_of(f, rs->row, 0, rs->n);
    free(rs);
    return analysis(*c);
}

static void expect_facet(const char *column, const char *value, const char *const *vals, size_t n,
                         const char *text, double ci, const char *ci_err)
{
    fx f;
    bm_cube *c;
    json_t *root = facet_case(column, value, vals, n, &f, &c);
    json_t *e = entry(root, PRE, column, 0);
    /* copy what is checked, release, then check: a failure leaves no leak behind */
    char got_text[128], got_err[256] = "";
    snprintf(got_text, sizeof(got_text), "%s", entry_text(e));
    json_t *m = metric(e, "CI");
    json_t *v = json_object_get(m, "value"), *err = json_object_get(m, "error");
    int is_real = json_is_real(v);
    double got = is_real ? json_real_value(v) : NAN;
    if (err) snprintf(got_err, sizeof(got_err), "%s", json_string_value(err));
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);
    if (strcmp(got_text, text) != 0)
        fail_msg("%s %s: value_or_threshold \"%s\", expected \"%s\"", column, value, got_text,
                 text);
    if (ci_err) {
        if (strcmp(got_err, ci_err) != 0)
            fail_msg("%s %s: CI error \"%s\"", column, value, got_err);
    } else if (!is_real || !close_to(got, ci)) {
        fail_msg("%s %s: CI = %.17g, expected %.17g", column, value, got, ci);
    }
}

static const char *facet_failure(const char *column, const char *value, const char *const *vals,
                                 size_t n, char *out, size_t outlen)
{
    fx f;
    bm_cube *c;
    json_t *root = facet_case(column, value, vals, n, &f, &c);
    const char *msg = facet_error(root, PRE, column);
    snprintf(out, outlen, "%s", msg ? msg : "");
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);
    return msg ? out : NULL;
}

static void test_continuous_facets(void **state)
{
    (void)state;
    const char *empty_d = "CI: facet set is empty. Check that x[facet] has non-zero length.";
    const char *empty_a =
        "CI: negated facet set is empty. Check that x[~facet] has non-zero length.";
    /* ages 21..40: an int column, 100% unique, so continuous */
    static const char *ages[20];
    static char agebuf[20][8];
    for (int k = 0; k < 20; k++) {
        snprintf(agebuf[k], sizeof(agebuf[k]), "%d", 21 + k);
        ages[k] = agebuf[k];
    }
    expect_facet("age", "35", ages, 20, "(35, 40]", (15.0 - 5.0) / 20, NULL);
    expect_facet("age", "30", ages, 20, "(30, 40]", 0.0, NULL);
    expect_facet("age", "35.5", ages, 20, "(35.5, 40.0]", (15.0 - 5.0) / 20, NULL);
    expect_facet("age", "\"35\"", ages, 20, "(35.0, 40.0]", (15.0 - 5.0) / 20, NULL);
    expect_facet("age", "40", ages, 20, "", 0, empty_d);           /* threshold == max */
    expect_facet("age", "500", ages, 20, "(40, 500]", 0, empty_d); /* above the max */
    expect_facet("age", "0", ages, 20, "(0, 40]", 0, empty_a);     /* below the min */

    /* a float column is continuous whatever its uniqueness */
    static const char *const income[] = {"10.5", "20.0", "30.25", "55.5", "55.6",
                                         "60.0", "70.0", "81.4",  "40.0", "50.0"};
    expect_facet("income", "55.5", income, 10, "(55.5, 81.4]", (6.0 - 4.0) / 10, NULL);
    expect_facet("income", "50", income, 10, "(50.0, 81.4]", (5.0 - 5.0) / 10, NULL);
    expect_facet("income", "\"45\"", income, 10, "(45.0, 81.4]", (4.0 - 6.0) / 10, NULL);
    static const char *const income_na[] = {"10.5", "20.0", "30.25", "55.5", "55.6", "60.0",
                                            "70.0", "81.4", "40.0",  "50.0", ""};
    /* an empty cell is never in d */
    expect_facet("income", "55.5", income_na, 11, "(55.5, 81.4]", (7.0 - 4.0) / 11, NULL);
    static const char *const twos[] = {"2.0", "2.0", "2.0", "2.0"};
    expect_facet("income", "1", twos, 4, "(1.0, 2.0]", 0, empty_a);

    char msg[512];
    /* a continuous facet needs a numeric threshold, and one-vs-all cannot apply */
    assert_non_null(facet_failure("income", "\"abc\"", income, 10, msg, sizeof(msg)));
    assert_non_null(strstr(msg, "single numeric threshold for continuous data"));
    assert_non_null(facet_failure("income", NULL, income, 10, msg, sizeof(msg)));
    assert_non_null(strstr(msg, "Threshold values must be provided for continuous features"));
    /* two values are always categorical: equality with 55.5 or 60.0 */
    expect_facet("income", "55.5, 60", income, 10, "55.5,60", (8.0 - 2.0) / 10, NULL);
}

/* uniqueness = distinct / non-missing; >= 0.05 makes an int column continuous. */
static void test_uniqueness_rule(void **state)
{
    (void)state;
    const char *cfg = "{\"label\": \"y\", \"label_values_or_threshold\": [1],"
                      " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"A\"]}],"
                      " \"group_variable\": \"grp\", \"predicted_label\": \"yhat\","
                      " \"methods\": {\"pre_training_bias\": {\"methods\": [\"CDDL\", \"DPL\"]},"
                      "               \"post_training_bias\": {\"methods\": [\"DPPL\"]}}}";
    for (int n = 20; n <= 41; n++) {
        if (n != 20 && n != 40 && n != 41) continue;
        fx f;
        fx_init(&f, cfg, "f,grp,y,yhat");
        rowset *rs = calloc(1, sizeof(*rs));
        assert_non_null(rs);
        double na = 0, nd = 0, pa = 0, pd = 0, qa = 0, qd = 0;
        for (int k = 0; k < n; k++) {
            int d = k % 2, y = k % 4 < 2, yh = k % 3 == 0;
            rs_add(rs, "%s,g%d,%d,%d", d ? "A" : "B", k % 3, y, yh);
            if (d) {
                nd++;
                pd += y;
                qd += yh;
            } else {
                na++;
                pa += y;
                qa += yh;
            }
        }
        bm_cube *c = cube_of(&f, rs->row, 0, rs->n);
        json_t *root = analysis(c);
        json_t *pre = entry(root, PRE, "f", 0);
        if (n <= 40) {
            /* 2/n >= 0.05: continuous; [1] means "> 1" and 1 is the max: nothing is positive */
            assert_string_equal(label_text(root, PRE), "");
            expect_num(pre, "DPL", 0.0);
            expect_err(pre, "CDDL", "No positive labels in set");
            assert_non_null(facet_error(root, POST, "f"));
            assert_non_null(strstr(facet_error(root, POST, "f"), "No Label values are present"));
        } else {
            /* 2/41 < 0.05: categorical equality */
            assert_string_equal(label_text(root, PRE), "1");
            expect_num(pre, "DPL", pa / na - pd / nd);
            expect_num(entry(root, POST, "f", 0), "DPPL", qa / na - qd / nd);
        }
        json_decref(root);
        bm_cube_free(c);
        free(rs);
        fx_release(&f);
    }

    /* a 0/1 int facet in 30 rows: [1] is a threshold equal to the max, so d is empty */
    static const char *flags[30];
    for (int k = 0; k < 30; k++)
        flags[k] = k % 3 ? "0" : "1";
    expect_facet("flag", "1", flags, 30, "", 0,
                 "CI: facet set is empty. Check that x[facet] has non-zero length.");
}

/* Distinct -1 and -2 are two values: 2/40 = 0.05, so the column is continuous and [-2] is
 * the threshold of (-2, -1]. The control with 1 and 2 must behave the same way. */
static void test_uniqueness_negative_ints(void **state)
{
    (void)state;
    static const char *pos[40], *neg[40];
    for (int k = 0; k < 40; k++) {
        pos[k] = k < 25 ? "2" : "1";
        neg[k] = k < 25 ? "-1" : "-2";
    }
    expect_facet("f", "1", pos, 40, "(1, 2]", (15.0 - 25.0) / 40, NULL);
    expect_facet("f", "-2", neg, 40, "(-2, -1]", (15.0 - 25.0) / 40, NULL);
}

/* JSON values typed as JSON (JSON Lines): string cells make an object column. If every string
 * is an integer to int(), uniqueness decides as for ints, counted on the distinct strings. */
static void json_string_facet(int n, int *d_is_two, char *text, size_t textlen, double *ci)
{
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [1]}],"
            " \"methods\": {\"pre_training_bias\": {\"methods\": [\"CI\"]}}}",
            "f,y");
    bm_cube *c = bm_cube_new(f.plan);
    assert_non_null(c);
    int ntwo = 0;
    for (int k = 0; k < n; k++) {
        json_t *v[2] = {json_string(k % 8 < 5 ? "2" : "1"), json_string(k % 2 ? "p" : "n")};
        ntwo += k % 8 < 5;
        bm_cell cells[2];
        bm_error e;
        assert_int_equal(bm_cell_from_json(v[0], &cells[0]), BM_OK);
        assert_int_equal(bm_cell_from_json(v[1], &cells[1]), BM_OK);
        assert_int_equal(cells[0].kind, BM_CELL_STR);
        assert_int_equal(bm_cube_add(c, cells, &e), BM_OK);
        json_decref(v[0]);
        json_decref(v[1]);
    }
    json_t *root = analysis(c);
    json_t *en = entry(root, PRE, "f", 0);
    snprintf(text, textlen, "%s", entry_text(en));
    json_t *v = json_object_get(metric(en, "CI"), "value");
    *ci = json_is_number(v) ? json_number_value(v) : NAN;
    *d_is_two = ntwo;
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);
}

static void test_json_string_column_typing(void **state)
{
    (void)state;
    char text[64];
    double ci;
    int ntwo;
    /* 2 distinct / 40 = 0.05: continuous; [1] means "> 1": the "2" rows */
    json_string_facet(40, &ntwo, text, sizeof(text), &ci);
    assert_string_equal(text, "(1, 2]");
    if (!close_to(ci, (40.0 - 2 * ntwo) / 40)) fail_msg("CI = %.17g", ci);
    /* 2 / 41 < 0.05: categorical; 1 == "1" is False, so 1 is cast to str: the "1" rows */
    json_string_facet(41, &ntwo, text, sizeof(text), &ci);
    assert_string_equal(text, "1");
    if (!close_to(ci, (ntwo - (41.0 - ntwo)) / 41)) fail_msg("CI = %.17g", ci);
}

static void test_cast_and_retry(void **state)
{
    (void)state;
    fx f;
    /* a categorical int label (2/41 < 0.05) and a string value: "1" == 1 is False, so the
     * values are cast to int and matching is retried; the text shows the original value */
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"1\"],"
            " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"2\"]}],"
            " \"methods\": {\"pre_training_bias\": {\"methods\": [\"CI\", \"DPL\"]}}}",
            "f,y");
    rowset *rs = calloc(1, sizeof(*rs));
    assert_non_null(rs);
    double na = 0, nd = 0, pa = 0, pd = 0;
    for (int k = 0; k < 41; k++) {
        int d = k % 3 == 0, y = k % 5 < 2;
        rs_add(rs, "%d,%d", d ? 2 : 1, y);
        na += !d;
        nd += d;
        pa += !d && y;
        pd += d && y;
    }
    bm_cube *c = cube_of(&f, rs->row, 0, rs->n);
    json_t *root = analysis(c);
    json_t *e = entry(root, PRE, "f", 0);
    assert_string_equal(entry_text(e), "2");
    assert_string_equal(label_text(root, PRE), "1");
    expect_num(e, "CI", (na - nd) / 41);
    expect_num(e, "DPL", pa / na - pd / nd);
    json_decref(root);
    bm_cube_free(c);
    free(rs);
    fx_release(&f);

    /* two values make even a small int column categorical */
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"1\", \"2\"],"
            " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"A\"]}],"
            " \"methods\": {\"pre_training_bias\": {\"methods\": [\"DPL\"]}}}",
            "f,y");
    static const char *const rows[] = {"A,0", "B,1", "A,2", "B,3", "A,1", "B,0", "A,3", "B,2"};
    c = cube_of(&f, rows, 0, 8);
    root = analysis(c);
    assert_string_equal(label_text(root, PRE), "1,2");
    expect_num(entry(root, PRE, "f", 0), "DPL", 2.0 / 4 - 2.0 / 4);
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);

    /* a value that int() rejects on an int facet: the whole facet fails */
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"1\", \"2\"],"
            " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"abc\", \"x\"]}],"
            " \"methods\": {\"pre_training_bias\": {\"methods\": [\"DPL\"]}}}",
            "f,y");
    static const char *const rows2[] = {"1,0", "2,1", "1,2", "2,3"};
    c = cube_of(&f, rows2, 0, 4);
    root = analysis(c);
    assert_non_null(facet_error(root, PRE, "f"));
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);

    /* a string column keeps string values as they are: "Z" selects nothing */
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [true],"
            " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"Z\"]}],"
            " \"methods\": {\"pre_training_bias\": {\"methods\": [\"DPL\"]}}}",
            "f,y");
    static const char *const rows3[] = {"A,True", "B,False", "A,False", "B,true"};
    c = cube_of(&f, rows3, 0, 4);
    root = analysis(c);
    assert_string_equal(label_text(root, PRE), "True");
    expect_err(entry(root, PRE, "f", 0), "DPL", "Facet set is empty.");
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);
}

static void test_continuous_label(void **state)
{
    (void)state;
    fx f;
    const char *cfg = "{\"label\": \"score\", \"label_values_or_threshold\": [60],"
                      " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"A\"]}],"
                      " \"predicted_label\": \"pscore\", \"methods\": {"
                      " \"pre_training_bias\": {\"methods\": [\"DPL\"]},"
                      " \"post_training_bias\": {\"methods\": [\"DPPL\"]}}}";
    fx_init(&f, cfg, "f,score,pscore");
    /* positive = 60 < x <= max; for predictions max covers the predictions too (95) */
    static const char *const rows[] = {
        "A,10.0,95.0", "B,65.5,50.0", "A,70.0,70.0", "B,90.0,85.0", "A,30.0,30.0",
        "B,61.0,62.0", "A,59.0,58.0", "B,20.0,20.0", "A,80.0,75.0", "B,45.0,40.0",
    };
    bm_cube *c = cube_of(&f, rows, 0, 10);
    json_t *root = analysis(c);
    assert_string_equal(label_text(root, PRE), "(60.0, 90.0]");
    assert_string_equal(label_text(root, POST), "(60.0, 90.0]");
    expect_num(entry(root, PRE, "f", 0), "DPL", 3.0 / 5 - 2.0 / 5);
    expect_num(entry(root, POST, "f", 0), "DPPL", 2.0 / 5 - 3.0 / 5);
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);

    /* an int label: float predictions are cast to int first (60.7 -> 60 is not > 60) */
    fx_init(&f, cfg, "f,score,pscore");
    static const char *const rows2[] = {
        "A,10,60.7", "B,65,50.0", "A,70,70.0", "B,90,85.0", "A,30,30.0",
        "B,61,62.0", "A,59,58.0", "B,20,20.0", "A,80,75.0", "B,45,40.0",
    };
    c = cube_of(&f, rows2, 0, 10);
    root = analysis(c);
    assert_string_equal(label_text(root, PRE), "(60, 90]");
    expect_num(entry(root, PRE, "f", 0), "DPL", 3.0 / 5 - 2.0 / 5);
    expect_num(entry(root, POST, "f", 0), "DPPL", 2.0 / 5 - 2.0 / 5);
    json_decref(root);
    bm_cube_free(c);
    fx_release(&f);
}

static void test_label_prediction_type_mismatch(void **state)
{
    (void)state;
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [1],"
            " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"A\"]}],"
            " \"predicted_label\": \"yhat\", \"methods\": {"
            " \"post_training_bias\": {\"methods\": [\"DPPL\"]}}}",
            "f,y,yhat");
    /* categorical int label (2/41), float predictions (always continuous) */
    rowset *rs = calloc(1, sizeof(*rs));
    assert_non_null(rs);
    for (int k = 0; k < 41; k++)
        rs_add(rs, "%s,%d,%s", k % 2 ? "A" : "B", k % 3 == 0, k % 4 == 0 ? "1.0" : "0.0");
    bm_cube *c = cube_of(&f, rs->row, 0, rs->n);
    json_t *root = analysis(c);
    const char *msg = facet_error(root, POST, "f");
    assert_non_null(msg);
    assert_non_null(strstr(
        msg, "Predicted Label Column series datatype is not the same as Label Column series"));
    json_decref(root);
    bm_cube_free(c);
    free(rs);
    fx_release(&f);
}

static void test_probability_threshold(void **state)
{
    (void)state;
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [1],"
            " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"A\"]}],"
            " \"predicted_label\": \"score\", \"probability_threshold\": 0.7,"
            " \"methods\": {\"post_training_bias\": {\"methods\": [\"DPPL\", \"DI\"]}}}",
            "f,y,score");
    /* a score strictly above 0.7 is a positive prediction (0.7 itself is not); labels: 0/1
     * ints in 41+ rows */
    rowset *rs = calloc(1, sizeof(*rs));
    assert_non_null(rs);
    static const char *const sd[] = {"0.95", "0.1", "0.71", "0.7", "0.3", "0.8", "0.05"};
    static const char *const sa[] = {"0.7", "0.2", "0.9", "0.75", "0.7"};
    double na = 0, nd = 0, qa = 0, qd = 0;
    for (int k = 0; k < 42; k++) {
        int d = k % 2;
        const char *s = d ? sd[k / 2 % 7] : sa[k / 2 % 5];
        int pos = strtod(s, NULL) > 0.7;
        rs_add(rs, "%s,%d,%s", d ? "A" : "B", k % 5 == 0, s);
        if (d) {
            nd++;
            qd += pos;
        } else {
            na++;
            qa += pos;
        }
    }
    /* by hand: d has 9 positive predictions of 21, a 8 of 21 */
    assert_true(qd == 9 && qa == 8);
    bm_cube *c = cube_of(&f, rs->row, 0, rs->n);
    json_t *root = analysis(c);
    json_t *e = entry(root, POST, "f", 0);
    expect_num(e, "DPPL", qa / na - qd / nd);
    expect_num(e, "DI", (qd / nd) / (qa / na));
    json_decref(root);
    bm_cube_free(c);
    free(rs);
    fx_release(&f);
}

static void test_flip_test_errors(void **state)
{
    (void)state;
    fx f;
    bm_cube *c;
    /* edge tables: grp is the only feature; "g1" is a string */
    static const char *const rows[] = {"B,g1,p,p", "A,g1,p,n", "B,g2,n,n", "A,g2,n,p"};
    json_t *root = edge_analysis(rows, 4, &f, &c);
    expect_err(entry(root, POST, "f", 0), "FT", "FlipTest does not support non-numeric columns");
    edge_done(root, &f, c);
    /* an empty numeric feature cell */
    static const char *const rows2[] = {"B,1,p,p", "A,,p,n", "B,2,n,n", "A,2,n,p"};
    root = edge_analysis(rows2, 4, &f, &c);
    json_t *m = metric(entry(root, POST, "f", 0), "FT");
    assert_true(json_is_null(json_object_get(m, "value")));
    assert_non_null(strstr(json_string_value(json_object_get(m, "error")), "NaN"));
    edge_done(root, &f, c);
}

static void test_empty_cube(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, t1_config, t1_header);
    bm_cube *c = bm_cube_new(f.plan);
    assert_non_null(c);
    assert_int_equal(bm_cube_rows(c), 0);
    json_t *root = analysis(c);
    /* both groups are empty; CI and DPL check the negated group first */
    expect_err(entry(root, PRE, "sex", 0), "CI",
               "CI: negated facet set is empty. Check that x[~facet] has non-zero length.");
    expect_err(entry(root, PRE, "sex", 0), "DPL", "Negative facet set is empty.");
    json_decref(root);
    char *t = cube_text(c);
    bm_cube *back = cube_from_text(f.plan, t);
    assert_int_equal(bm_cube_rows(back), 0);
    bm_free(t);
    bm_cube_free(back);
    bm_cube_free(c);
    bm_cube_free(NULL);
    fx_release(&f);
}

static void test_plan(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, t1_config, "id,sex,grp,x,y,yhat,unused");
    const size_t *cols;
    size_t n = bm_plan_used_columns(f.plan, &cols);
    /* FT wants every column but the label and the prediction as a feature */
    assert_int_equal(bm_plan_ncols(f.plan), 7);
    assert_int_equal(bm_plan_wants_ft(f.plan), 1);
    assert_int_equal(n, 7);
    for (size_t k = 1; k < n; k++)
        assert_true(cols[k - 1] < cols[k]);
    fx_release(&f);

    /* without FT only the named columns are read */
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"F\"]}],"
            " \"group_variable\": \"grp\", \"predicted_label\": \"yhat\","
            " \"methods\": {\"post_training_bias\": {\"methods\": [\"DI\"]}}}",
            "id,sex,grp,x,y,yhat,unused");
    n = bm_plan_used_columns(f.plan, &cols);
    assert_int_equal(bm_plan_wants_ft(f.plan), 0);
    assert_int_equal(n, 4);
    assert_int_equal(cols[0], 1);
    assert_int_equal(cols[1], 2);
    assert_int_equal(cols[2], 4);
    assert_int_equal(cols[3], 5);
    fx_release(&f);

    /* a column the dataset does not have */
    bm_analysis_config cfg;
    bm_error e;
    const char *text = "{\"label\": \"y\", \"label_values_or_threshold\": [1],"
                       " \"facet\": [{\"name_or_index\": \"sex\"}, {\"name_or_index\": \"age\"}],"
                       " \"predicted_label\": 9}";
    assert_int_equal(bm_analysis_config_parse(text, strlen(text), NULL, &cfg, &e), BM_OK);
    const char *names[] = {"sex", "y", "yhat"};
    bm_plan *p = (bm_plan *)1;
    assert_int_equal(bm_plan_new(&cfg, names, 3, &p, &e), BM_ECONFIG);
    assert_null(p);
    assert_string_equal(e.path, "$.predicted_label");
    bm_analysis_config_release(&cfg);
    text = "{\"label\": \"y\", \"label_values_or_threshold\": [1],"
           " \"facet\": [{\"name_or_index\": \"sex\"}, {\"name_or_index\": \"age\"}],"
           " \"predicted_label\": 2}";
    assert_int_equal(bm_analysis_config_parse(text, strlen(text), NULL, &cfg, &e), BM_OK);
    assert_int_equal(bm_plan_new(&cfg, names, 3, &p, &e), BM_ECONFIG);
    assert_string_equal(e.path, "$.facet[1].name_or_index");
    assert_non_null(strstr(e.msg, "age"));
    bm_analysis_config_release(&cfg);
}

/* ==================================================================== cube algebra */

/* Fills one cube per shard (cuts are row indexes), merges them in order into a fresh cube,
 * and checks that the analysis and the serialized cube equal the one-pass ones; then the
 * same through bm_cube_write / bm_cube_read of every shard. */
static void check_shards(const fx *f, const char *const *rows, size_t n, const size_t *cuts,
                         size_t ncuts)
{
    bm_cube *one = cube_of(f, rows, 0, n);
    char *want = analysis_text(one), *want_cube = cube_text(one);
    bm_cube *shards[8];
    size_t from = 0;
    assert_true(ncuts < 8);
    for (size_t s = 0; s <= ncuts; s++) {
        size_t to = s < ncuts ? cuts[s] : n;
        shards[s] = cube_of(f, rows, from, to);
        from = to;
    }
    bm_error e;
    bm_cube *merged = bm_cube_new(f->plan), *viaread = bm_cube_new(f->plan);
    assert_non_null(merged);
    assert_non_null(viaread);
    for (size_t s = 0; s <= ncuts; s++) {
        assert_int_equal(bm_cube_merge(merged, shards[s], &e), BM_OK);
        char *t = cube_text(shards[s]);
        bm_cube *back = cube_from_text(f->plan, t);
        /* write(read(write(c))) == write(c) */
        char *t2 = cube_text(back);
        assert_string_equal(t, t2);
        assert_int_equal(bm_cube_merge(viaread, back, &e), BM_OK);
        bm_free(t);
        bm_free(t2);
        bm_cube_free(back);
    }
    assert_int_equal(bm_cube_rows(merged), n);
    char *got = analysis_text(merged), *got_cube = cube_text(merged);
    char *got2 = analysis_text(viaread);
    if (strcmp(got, want) != 0) fail_msg("merged analysis differs:\n%s\n%s", want, got);
    assert_string_equal(got2, want);
    assert_string_equal(got_cube, want_cube);

    /* merging into the first shard directly, as a reader thread would */
    bm_cube *acc = cube_of(f, rows, 0, ncuts ? cuts[0] : n);
    for (size_t s = 1; s <= ncuts; s++)
        assert_int_equal(bm_cube_merge(acc, shards[s], &e), BM_OK);
    char *got3 = analysis_text(acc);
    assert_string_equal(got3, want);

    bm_free(want);
    bm_free(want_cube);
    bm_free(got);
    bm_free(got_cube);
    bm_free(got2);
    bm_free(got3);
    for (size_t s = 0; s <= ncuts; s++)
        bm_cube_free(shards[s]);
    bm_cube_free(merged);
    bm_cube_free(viaread);
    bm_cube_free(acc);
    bm_cube_free(one);
}

static void test_merge_t1(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, t1_config, t1_header);
    static const size_t c3[] = {4, 8}, c2[] = {1}, c_empty[] = {0, 0, 6, 12};
    check_shards(&f, t1_rows, T1_N, c3, 2);
    check_shards(&f, t1_rows, T1_N, c2, 1);
    check_shards(&f, t1_rows, T1_N, c_empty, 4);
    fx_release(&f);

    /* one-vs-all with the flip test: facet ids are remapped on merge (FT rows too) */
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"sex\"}, {\"name_or_index\": \"grp\"}],"
            " \"group_variable\": \"grp\", \"predicted_label\": \"yhat\"}",
            t1_header);
    static const size_t c4[] = {2, 5, 9};
    check_shards(&f, t1_rows, T1_N, c4, 3);
    fx_release(&f);
}

static void test_merge_one_vs_all_order(void **state)
{
    (void)state;
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"f\"}],"
            " \"methods\": {\"pre_training_bias\": {\"methods\": [\"CI\", \"DPL\"]}}}",
            "f,y");
    static const char *const rows[] = {"B,p", "A,n", ",p", "B,n", "C,p",
                                       "A,p", "B,p", ",n", "C,n", "A,n"};
    /* the second shard meets C, A, B, nan in that order; the merge keeps B, A, nan, C */
    static const size_t cuts[] = {4};
    check_shards(&f, rows, 10, cuts, 1);
    bm_cube *a = cube_of(&f, rows, 0, 4), *b = cube_of(&f, rows, 4, 10);
    bm_error e;
    assert_int_equal(bm_cube_merge(a, b, &e), BM_OK);
    json_t *root = analysis(a);
    assert_string_equal(entry_text(entry(root, PRE, "f", 0)), "B");
    assert_string_equal(entry_text(entry(root, PRE, "f", 1)), "A");
    assert_string_equal(entry_text(entry(root, PRE, "f", 2)), "nan");
    assert_string_equal(entry_text(entry(root, PRE, "f", 3)), "C");
    expect_num(entry(root, PRE, "f", 3), "CI", (8.0 - 2.0) / 10);
    json_decref(root);
    bm_cube_free(a);
    bm_cube_free(b);

    /* cubes of different plans do not merge */
    fx g;
    fx_init(&g, pre_config, "f,y");
    a = cube_of(&f, rows, 0, 2);
    b = cube_of(&g, rows, 0, 2);
    assert_int_equal(bm_cube_merge(a, b, &e), BM_EINVAL);
    bm_cube_free(a);
    bm_cube_free(b);
    fx_release(&g);
    fx_release(&f);
}

/* The typing facts merge too: a shard of ints and a shard with a float make a float column. */
static void test_merge_typing_facts(void **state)
{
    (void)state;
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"age\", \"value_or_threshold\": [35]}],"
            " \"methods\": {\"pre_training_bias\": {\"methods\": [\"CI\"]}}}",
            "age,y");
    rowset *rs = calloc(1, sizeof(*rs));
    assert_non_null(rs);
    for (int k = 0; k < 19; k++)
        rs_add(rs, "%d,%s", 21 + k, k % 2 ? "p" : "n");
    rs_add(rs, "40.0,p");
    static const size_t cuts[] = {10, 19};
    check_shards(&f, rs->row, rs->n, cuts, 2);
    bm_cube *c = cube_of(&f, rs->row, 0, rs->n);
    json_t *root = analysis(c);
    assert_string_equal(entry_text(entry(root, PRE, "age", 0)), "(35.0, 40.0]");
    json_decref(root);
    bm_cube_free(c);
    free(rs);
    fx_release(&f);

    /* int uniqueness across shards: 20 rows of 0/1 in each of two shards = 2/40 = 0.05 */
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [1],"
            " \"facet\": [{\"name_or_index\": \"f\", \"value_or_threshold\": [\"A\"]}],"
            " \"methods\": {\"pre_training_bias\": {\"methods\": [\"DPL\"]}}}",
            "f,y");
    rs = calloc(1, sizeof(*rs));
    assert_non_null(rs);
    for (int k = 0; k < 41; k++)
        rs_add(rs, "%s,%d", k % 2 ? "A" : "B", k % 3 == 0);
    static const size_t cuts2[] = {20};
    check_shards(&f, rs->row, 40, cuts2, 1);
    check_shards(&f, rs->row, 41, cuts2, 1);
    free(rs);
    fx_release(&f);
}

/* ==================================================================== golden datasets */

static const char *const golden_cases[] = {
    "basic_binary_cat_facet",
    "facet_one_vs_all",
    "nan_in_facet_one_vs_all",
    "multiple_facets",
    "label_threshold_continuous",
    "probability_threshold_07",
    "string_group_variable",
    "nan_in_group_numeric",
    "facet_numeric_threshold_float",
    "label_values_as_strings_on_int",
    "column_by_index",
    "small_int_labels_n30",
    "tiny_knn_k1",
    "facet_one_vs_all_int",
    "medium_5000",
};

/* Reads a golden case: the header gives the plan; every record goes to the one-pass cube and
 * to shard k of 3 (contiguous thirds). Then merge, write/read and compare. */
static void check_golden(const char *shared, const char *name)
{
    char path[1024], cfgpath[1024];
    snprintf(path, sizeof(path), "%s/%s/data.csv", shared, name);
    snprintf(cfgpath, sizeof(cfgpath), "%s/%s/analysis_config.json", shared, name);
    bm_analysis_config cfg;
    bm_error e;
    if (bm_analysis_config_load(cfgpath, &cfg, &e) != BM_OK) fail_msg("%s: %s", cfgpath, e.msg);

    /* pass 1: the header and the number of records */
    bm_csv *csv = bm_csv_open_file(path, 0, -1, NULL, &e);
    if (!csv) fail_msg("%s: %s", path, e.msg);
    bm_csv_record rec;
    assert_int_equal(bm_csv_next(csv, &rec, &e), BM_OK);
    size_t ncols = rec.nfields;
    assert_true(ncols > 0 && ncols <= 64);
    char *names[64];
    for (size_t k = 0; k < ncols; k++)
        names[k] = bm_strndup(rec.fields[k].p, rec.fields[k].n);
    size_t nrows = 0;
    for (;;) {
        assert_int_equal(bm_csv_next(csv, &rec, &e), BM_OK);
        if (!rec.nfields) break;
        nrows++;
    }
    bm_csv_close(csv);

    bm_plan *plan;
    if (bm_plan_new(&cfg, (const char *const *)names, ncols, &plan, &e) != BM_OK)
        fail_msg("%s: plan: %s", name, e.msg);
    bm_cube *one = bm_cube_new(plan), *shard[3];
    for (int s = 0; s < 3; s++)
        shard[s] = bm_cube_new(plan);

    /* pass 2: fill */
    csv = bm_csv_open_file(path, 0, -1, NULL, &e);
    assert_non_null(csv);
    assert_int_equal(bm_csv_next(csv, &rec, &e), BM_OK);
    bm_cell cells[64];
    for (size_t row = 0;; row++) {
        assert_int_equal(bm_csv_next(csv, &rec, &e), BM_OK);
        if (!rec.nfields) break;
        assert_true(rec.nfields <= ncols);
        for (size_t k = 0; k < ncols; k++) {
            bm_slice empty = {"", 0};
            bm_cell_from_csv(k < rec.nfields ? rec.fields[k] : empty, &cells[k]);
        }
        assert_int_equal(bm_cube_add(one, cells, &e), BM_OK);
        assert_int_equal(bm_cube_add(shard[row * 3 / nrows], cells, &e), BM_OK);
    }
    bm_csv_close(csv);

    char *want = analysis_text(one), *want_cube = cube_text(one);
    bm_cube *merged = bm_cube_new(plan), *viaread = bm_cube_new(plan);
    for (int s = 0; s < 3; s++) {
        assert_int_equal(bm_cube_merge(merged, shard[s], &e), BM_OK);
        char *t = cube_text(shard[s]);
        bm_cube *back = cube_from_text(plan, t);
        assert_int_equal(bm_cube_merge(viaread, back, &e), BM_OK);
        bm_cube_free(back);
        bm_free(t);
    }
    char *got = analysis_text(merged), *got2 = analysis_text(viaread),
         *got_cube = cube_text(merged);
    if (strcmp(got, want) != 0) fail_msg("%s: merged analysis differs", name);
    if (strcmp(got2, want) != 0) fail_msg("%s: analysis after write/read differs", name);
    if (strcmp(got_cube, want_cube) != 0) fail_msg("%s: merged cube differs", name);
    assert_int_equal(bm_cube_rows(merged), nrows);

    bm_free(want);
    bm_free(want_cube);
    bm_free(got);
    bm_free(got2);
    bm_free(got_cube);
    bm_cube_free(merged);
    bm_cube_free(viaread);
    for (int s = 0; s < 3; s++)
        bm_cube_free(shard[s]);
    bm_cube_free(one);
    bm_plan_free(plan);
    for (size_t k = 0; k < ncols; k++)
        bm_free(names[k]);
    bm_analysis_config_release(&cfg);
}

static void test_golden_merge(void **state)
{
    (void)state;
    const char *shared = getenv("BM_GOLDEN_DIR");
    if (!shared) fail_msg("BM_GOLDEN_DIR is not set (ctest sets it to tests/golden)");
    for (size_t k = 0; k < sizeof(golden_cases) / sizeof(golden_cases[0]); k++)
        check_golden(shared, golden_cases[k]);
}

/* ==================================================================== serialization */

/* A column holding inf has an infinite maximum; the cube must still serialize. */
static void test_cube_write_infinite_values(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, t1_config, t1_header);
    const char *rows[T1_N];
    memcpy(rows, t1_rows, sizeof(rows));
    rows[3] = "M,2,inf,p,p";
    bm_cube *c = cube_of(&f, rows, 0, T1_N);
    json_t *root = analysis(c);
    assert_non_null(strstr(
        json_string_value(json_object_get(metric(entry(root, POST, "sex", 0), "FT"), "error")),
        "infinity"));
    json_decref(root);
    bm_buf b;
    bm_buf_init(&b, (size_t)64 << 20);
    int r = bm_cube_write(c, &b);
    if (r == BM_OK) {
        char *want = analysis_text(c);
        bm_cube *back = cube_from_text(f.plan, b.data);
        char *got = analysis_text(back);
        assert_string_equal(got, want);
        bm_free(want);
        bm_free(got);
        bm_cube_free(back);
    }
    bm_buf_release(&b);
    bm_cube_free(c);
    fx_release(&f);
    assert_int_equal(r, BM_OK);
}

/* Parses text as JSON, lets edit change it, and returns bm_cube_read's status on the result. */
static int read_edited(const bm_plan *p, const char *text, void (*edit)(json_t *))
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    assert_non_null(j);
    edit(j);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    bm_cube *c = NULL;
    bm_error e;
    memset(&e, 0, sizeof(e));
    int r = bm_cube_read(p, s, strlen(s), &c, &e);
    free(s);
    if (r == BM_OK) {
        assert_non_null(c);
        bm_cube_free(c);
    } else {
        assert_null(c);
        assert_int_equal(e.code, r);
        assert_true(e.msg[0] != 0);
    }
    return r;
}

static void ed_format(json_t *j)
{
    json_object_set_new(j, "biasmon_cube", json_integer(2));
}
static void ed_rows_plus(json_t *j)
{
    json_object_set_new(j, "rows",
                        json_integer(json_integer_value(json_object_get(j, "rows")) + 1));
}
static void ed_rows_negative(json_t *j)
{
    json_object_set_new(j, "rows", json_integer(-1));
}
static void ed_column_name(json_t *j)
{
    json_array_set_new(json_object_get(j, "columns"), 0, json_string("gender"));
}
static void ed_column_extra(json_t *j)
{
    json_array_append_new(json_object_get(j, "columns"), json_string("extra"));
}
static void ed_no_tracks(json_t *j)
{
    json_object_del(j, "tracks");
}
static void ed_track_missing(json_t *j)
{
    json_array_remove(json_object_get(j, "tracks"), 0);
}
static void ed_track_bad(json_t *j)
{
    json_array_set_new(json_object_get(j, "tracks"), 0, json_string("x"));
}
static void ed_track_negative(json_t *j)
{
    json_t *n = json_object_get(json_array_get(json_object_get(j, "tracks"), 0), "n");
    json_array_set_new(n, 1, json_integer(-5));
}
static void ed_track_distinct(json_t *j)
{
    json_t *t = json_array_get(json_object_get(j, "tracks"), 0);
    json_object_set_new(t, "distinct", json_boolean(!json_is_true(json_object_get(t, "distinct"))));
}
static void ed_count_negative(json_t *j)
{
    json_t *first = json_array_get(json_array_get(json_object_get(j, "counts"), 0), 0);
    json_array_set_new(first, 1, json_integer(-1));
}
static void ed_count_reserved_key(json_t *j)
{
    json_t *first = json_array_get(json_array_get(json_object_get(j, "counts"), 0), 0);
    json_array_set_new(first, 0, json_integer(-1));
}
static void ed_count_unknown_group(json_t *j)
{
    /* group id 1000 (+1) in the key */
    json_t *first = json_array_get(json_array_get(json_object_get(j, "counts"), 0), 0);
    json_int_t key = json_integer_value(json_array_get(first, 0));
    key = (json_int_t)(((uint64_t)key & ~((uint64_t)0x3ffff << 26)) | ((uint64_t)1001 << 26));
    json_array_set_new(first, 0, json_integer(key));
}
static void ed_count_bad_shape(json_t *j)
{
    json_array_set_new(json_array_get(json_object_get(j, "counts"), 0), 0, json_string("1"));
}
static void ed_counts_missing_facet(json_t *j)
{
    json_array_clear(json_object_get(j, "counts"));
}
static void ed_groups_duplicate(json_t *j)
{
    json_t *g = json_object_get(j, "groups");
    json_array_append(g, json_array_get(g, 0));
}
static void ed_groups_bad_cell(json_t *j)
{
    json_t *g = json_object_get(j, "groups");
    json_array_set_new(g, 0, json_pack("[iiiIns]", 9, 1, 0, (json_int_t)0, "x"));
}
static void ed_no_ft(json_t *j)
{
    json_object_del(j, "ft");
}
static void ed_ft_short(json_t *j)
{
    json_array_remove(json_object_get(json_object_get(j, "ft"), "pc"), 0);
}
static void ed_ft_pc_range(json_t *j)
{
    json_array_set_new(json_object_get(json_object_get(j, "ft"), "pc"), 0, json_integer(0x2000));
}
static void ed_ft_fc_negative(json_t *j)
{
    json_array_set_new(json_object_get(json_object_get(j, "ft"), "fc"), 0, json_integer(-1));
}
static void ed_ft_x_string(json_t *j)
{
    json_array_set_new(json_object_get(json_object_get(j, "ft"), "x"), 0, json_string("1.0"));
}
static void ed_nothing(json_t *j)
{
    (void)j;
}

static void test_cube_read_rejects(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, t1_config, t1_header);
    bm_cube *c = cube_of(&f, t1_rows, 0, T1_N);
    char *text = cube_text(c);
    size_t len = strlen(text);

    /* control: an edit that changes nothing reads fine */
    assert_int_equal(read_edited(f.plan, text, ed_nothing), BM_OK);
    void (*const edits[])(json_t *) = {
        ed_format,
        ed_rows_plus,
        ed_rows_negative,
        ed_column_name,
        ed_column_extra,
        ed_no_tracks,
        ed_track_missing,
        ed_track_bad,
        ed_track_negative,
        ed_track_distinct,
        ed_count_negative,
        ed_count_reserved_key,
        ed_count_unknown_group,
        ed_count_bad_shape,
        ed_counts_missing_facet,
        ed_groups_duplicate,
        ed_groups_bad_cell,
        ed_no_ft,
        ed_ft_short,
        ed_ft_pc_range,
        ed_ft_fc_negative,
    };
    for (size_t k = 0; k < sizeof(edits) / sizeof(edits[0]); k++) {
        int r = read_edited(f.plan, text, edits[k]);
        if (r != BM_EPARSE) fail_msg("edit %zu: status %d, expected BM_EPARSE", k, r);
    }
    /* a non-number feature value reads as a missing one (no crash either way) */
    int r = read_edited(f.plan, text, ed_ft_x_string);
    assert_true(r == BM_OK || r == BM_EPARSE);

    /* without the flip test only the counts can tell that the row count is wrong */
    fx nf;
    fx_init(&nf, pre_config, "f,y");
    static const char *const nfrows[] = {"A,p", "B,n", "A,n"};
    bm_cube *nfc = cube_of(&nf, nfrows, 0, 3);
    char *nftext = cube_text(nfc);
    assert_int_equal(read_edited(nf.plan, nftext, ed_nothing), BM_OK);
    assert_int_equal(read_edited(nf.plan, nftext, ed_rows_plus), BM_EPARSE);
    assert_int_equal(read_edited(nf.plan, nftext, ed_count_negative), BM_EPARSE);
    bm_free(nftext);
    bm_cube_free(nfc);
    fx_release(&nf);

    /* garbage */
    static const char *const garbage[] = {"",
                                          "null",
                                          "[]",
                                          "{}",
                                          "1",
                                          "\"cube\"",
                                          "{\"a\": 1}",
                                          "{\"biasmon_cube\": 1}",
                                          "\x01\x02\xff",
                                          "[[[[[[[["};
    for (size_t k = 0; k < sizeof(garbage) / sizeof(garbage[0]); k++) {
        bm_cube *out = (bm_cube *)1;
        bm_error e;
        assert_int_equal(bm_cube_read(f.plan, garbage[k], strlen(garbage[k]), &out, &e), BM_EPARSE);
        assert_null(out);
    }
    /* every truncation */
    for (size_t n = 0; n < len; n++) {
        bm_cube *out = NULL;
        bm_error e;
        int rr = bm_cube_read(f.plan, text, n, &out, &e);
        if (rr != BM_EPARSE) fail_msg("prefix of %zu bytes: status %d", n, rr);
        assert_null(out);
    }
    /* a cube of another plan */
    fx g;
    fx_init(&g, pre_config, "f,y");
    bm_cube *out = NULL;
    bm_error e;
    assert_int_equal(bm_cube_read(g.plan, text, len, &out, &e), BM_EPARSE);
    fx_release(&g);

    /* single-byte corruptions: a status, never a crash; analyze whatever reads */
    char *mut = malloc(len + 1);
    assert_non_null(mut);
    static const char subst[] = {'0', '9', '-', '"', ']', '}', ',', 'x', ' ', '1'};
    for (size_t pos = 0; pos < len; pos++) {
        for (size_t k = 0; k < sizeof(subst); k++) {
            if (text[pos] == subst[k]) continue;
            memcpy(mut, text, len + 1);
            mut[pos] = subst[k];
            bm_cube *mc = NULL;
            int rr = bm_cube_read(f.plan, mut, len, &mc, &e);
            if (rr == BM_OK) {
                json_t *j = NULL;
                assert_int_equal(bm_cube_analyze(mc, 1, &j, &e), BM_OK);
                json_decref(j);
                bm_cube_free(mc);
            } else {
                assert_int_equal(rr, BM_EPARSE);
            }
        }
    }
    free(mut);
    bm_free(text);
    bm_cube_free(c);
    fx_release(&f);
}

/* Counts whose sum wraps around 2^64 must not pass for the row count. */
static void ed_counts_overflow(json_t *j)
{
    json_object_set_new(j, "rows", json_integer(0));
    json_t *ft = json_object_get(j, "ft");
    json_array_clear(json_object_get(ft, "x"));
    json_array_clear(json_object_get(ft, "fc"));
    json_array_clear(json_object_get(ft, "pc"));
    json_t *counts = json_array_get(json_object_get(j, "counts"), 0);
    json_array_clear(counts);
    /* keys: facet class 0/1, no group, label class 0, prediction class 0 */
    json_array_append_new(counts, json_pack("[II]", (json_int_t)0, (json_int_t)INT64_MAX));
    json_array_append_new(counts, json_pack("[II]", (json_int_t)1 << 44, (json_int_t)INT64_MAX));
    json_array_append_new(counts, json_pack("[II]", (json_int_t)1, (json_int_t)2));
}

static void test_cube_read_count_overflow(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, t1_config, t1_header);
    bm_cube *c = bm_cube_new(f.plan);
    char *text = cube_text(c);
    int r = read_edited(f.plan, text, ed_counts_overflow);
    bm_free(text);
    bm_cube_free(c);
    fx_release(&f);
    assert_int_equal(r, BM_EPARSE);
}

/* The flip-test rows name one-vs-all facet values by id; an id the dictionary does not have is
 * inconsistent input (merging such a cube would index past the id map). */
static void ed_ft_unknown_facet_id(json_t *j)
{
    json_array_set_new(json_object_get(json_object_get(j, "ft"), "fc"), 0, json_integer(1000));
}

static void test_cube_read_ft_facet_ids(void **state)
{
    (void)state;
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"sex\"}],"
            " \"group_variable\": \"grp\", \"predicted_label\": \"yhat\"}",
            t1_header);
    bm_cube *c = cube_of(&f, t1_rows, 0, T1_N);
    char *text = cube_text(c);
    assert_int_equal(read_edited(f.plan, text, ed_nothing), BM_OK);
    int r = read_edited(f.plan, text, ed_ft_unknown_facet_id);
    bm_free(text);
    bm_cube_free(c);
    fx_release(&f);
    assert_int_equal(r, BM_EPARSE);
}

/* ==================================================================== allocation failure */

static void test_alloc_fail_plan_and_add(void **state)
{
    (void)state;
    bm_analysis_config cfg;
    bm_error e;
    assert_int_equal(bm_analysis_config_parse(t1_config, strlen(t1_config), NULL, &cfg, &e), BM_OK);
    const char *names[] = {"sex", "grp", "x", "y", "yhat"};
    int ok = 0;
    for (long n = 1; n <= 100; n++) {
        bm_plan *p = NULL;
        bm_alloc_fail_after(n);
        int r = bm_plan_new(&cfg, names, 5, &p, &e);
        bm_alloc_fail_after(0);
        if (r == BM_OK) {
            ok = 1;
            bm_plan_free(p);
        } else {
            assert_int_equal(r, BM_ENOMEM);
            assert_null(p);
        }
    }
    assert_true(ok);
    bm_analysis_config_release(&cfg);

    fx f;
    fx_init(&f, t1_config, t1_header);
    int complete = 0;
    for (long n = 1; n <= 200; n++) {
        bm_alloc_fail_after(n);
        bm_cube *c = bm_cube_new(f.plan);
        int r = c ? add_rows(c, f.ncols, t1_rows, 0, T1_N) : BM_ENOMEM;
        bm_alloc_fail_after(0);
        if (r != BM_OK && r != BM_ENOMEM) fail_msg("n=%ld: status %d", n, r);
        if (c && r == BM_OK && bm_cube_rows(c) == T1_N) complete = 1;
        bm_cube_free(c);
    }
    assert_true(complete);
    fx_release(&f);
}

static void test_alloc_fail_merge(void **state)
{
    (void)state;
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"sex\"}, {\"name_or_index\": \"x\", "
            " \"value_or_threshold\": [4]}],"
            " \"group_variable\": \"grp\", \"predicted_label\": \"yhat\"}",
            t1_header);
    bm_cube *b = cube_of(&f, t1_rows, 5, T1_N);
    int complete = 0;
    for (long n = 1; n <= 200; n++) {
        bm_cube *a = cube_of(&f, t1_rows, 0, 5);
        bm_error e;
        bm_alloc_fail_after(n);
        int r = bm_cube_merge(a, b, &e);
        bm_alloc_fail_after(0);
        if (r != BM_OK && r != BM_ENOMEM) fail_msg("n=%ld: status %d", n, r);
        if (r == BM_OK) {
            assert_int_equal(bm_cube_rows(a), T1_N);
            complete = 1;
        }
        bm_cube_free(a);
    }
    assert_true(complete);
    bm_cube_free(b);
    fx_release(&f);
}

/* An allocation failure inside bm_cube_analyze is BM_ENOMEM or nothing: it never crashes. */
static void test_alloc_fail_analyze(void **state)
{
    (void)state;
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"F\"]},"
            "             {\"name_or_index\": \"grp\"}],"
            " \"group_variable\": \"grp\", \"predicted_label\": \"yhat\"}",
            t1_header);
    bm_cube *c = cube_of(&f, t1_rows, 0, T1_N);
    int complete = 0;
    for (long n = 1; n <= 300; n++) {
        json_t *j = NULL;
        bm_error e;
        bm_alloc_fail_after(n);
        int r = bm_cube_analyze(c, 1, &j, &e);
        bm_alloc_fail_after(0);
        if (r == BM_OK) {
            assert_non_null(j);
            complete = 1;
            json_decref(j);
        } else {
            if (r != BM_ENOMEM) fail_msg("n=%ld: status %d", n, r);
            assert_null(j);
        }
    }
    assert_true(complete);
    bm_cube_free(c);
    fx_release(&f);
}

/* ... and when it returns BM_OK, the analysis is the real one: an allocation failure must
 * not turn into a metric "error" in an otherwise successful analysis. */
static void test_alloc_fail_analyze_no_silent_errors(void **state)
{
    (void)state;
    fx f;
    fx_init(&f, t1_config, t1_header);
    bm_cube *c = cube_of(&f, t1_rows, 0, T1_N);
    char *want = analysis_text(c);
    int bad = 0;
    for (long n = 1; n <= 300; n++) {
        json_t *j = NULL;
        bm_error e;
        bm_alloc_fail_after(n);
        int r = bm_cube_analyze(c, 1, &j, &e);
        bm_alloc_fail_after(0);
        if (r != BM_OK) continue;
        char *got = json_text(j);
        json_decref(j);
        if (strcmp(got, want) != 0) {
            if (!bad) {
                const char *p = strstr(got, "out of memory");
                print_error("n=%ld: BM_OK with a different analysis: ...%.120s\n", n,
                            p ? (p > got + 80 ? p - 80 : got) : got);
            }
            bad++;
        }
        bm_free(got);
    }
    bm_free(want);
    bm_cube_free(c);
    fx_release(&f);
    assert_int_equal(bad, 0);
}

static void test_alloc_fail_write_read(void **state)
{
    (void)state;
    fx f;
    fx_init(&f,
            "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
            " \"facet\": [{\"name_or_index\": \"sex\"}],"
            " \"group_variable\": \"grp\", \"predicted_label\": \"yhat\"}",
            t1_header);
    bm_cube *c = cube_of(&f, t1_rows, 0, T1_N);
    char *text = cube_text(c);
    int complete = 0;
    for (long n = 1; n <= 200; n++) {
        bm_cube *out = NULL;
        bm_error e;
        bm_alloc_fail_after(n);
        int r = bm_cube_read(f.plan, text, strlen(text), &out, &e);
        bm_alloc_fail_after(0);
        if (r == BM_OK) {
            complete = 1;
            char *again = cube_text(out);
            assert_string_equal(again, text);
            bm_free(again);
            bm_cube_free(out);
        } else {
            if (r != BM_ENOMEM) fail_msg("read n=%ld: status %d (%s)", n, r, e.msg);
            assert_null(out);
        }
        bm_buf b;
        bm_buf_init(&b, (size_t)64 << 20);
        bm_alloc_fail_after(n);
        r = bm_cube_write(c, &b);
        bm_alloc_fail_after(0);
        if (r == BM_OK)
            assert_string_equal(b.data, text);
        else if (r != BM_ENOMEM)
            fail_msg("write n=%ld: status %d", n, r);
        bm_buf_release(&b);
    }
    assert_true(complete);
    bm_free(text);
    bm_cube_free(c);
    fx_release(&f);
}

/* ==================================================================== probability_threshold */

/* README and docs/metrics.md: with probability_threshold a score strictly greater than the
 * threshold is a positive prediction; a score equal to it is negative, as a lower one is. */
static void test_score_at_threshold_is_negative(void **state)
{
    (void)state;
    static const char *config =
        "{\"label\": \"y\", \"label_values_or_threshold\": [1], \"predicted_label\": \"score\","
        " \"probability_threshold\": 0.5,"
        " \"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"F\"]}],"
        " \"methods\": {\"post_training_bias\": {\"methods\": [\"DI\", \"DPPL\"]}}}";
    char *text[2];
    for (int v = 0; v < 2; v++) {
        /* 48 rows (so that the 0/1 label is categorical); d = F, every 4th row. Positive
         * predictions: half of d (6 of 12), a third of a (12 of 36). Negative scores are exactly
         * the threshold in the first variant, below it in the second. */
        rowset *rs = calloc(1, sizeof(*rs));
        assert_non_null(rs);
        for (int i = 0; i < 48; i++) {
            int d = i % 4 == 0, pos = d ? i % 8 == 0 : i % 3 == 0;
            rs_add(rs, "%s,%d,%s", d ? "F" : "M", i / 2 % 2, pos ? "0.75" : v ? "0.25" : "0.5");
        }
        fx f;
        fx_init(&f, config, "sex,y,score");
        bm_cube *c = cube_of(&f, rs->row, 0, rs->n);
        json_t *root = analysis(c);
        json_t *post = entry(root, POST, "sex", 0);
        expect_num(post, "DPPL", 1.0 / 3 - 0.5); /* q_a - q_d */
        expect_num(post, "DI", 0.5 / (1.0 / 3)); /* q_d / q_a */
        text[v] = json_text(root);
        json_decref(root);
        bm_cube_free(c);
        fx_release(&f);
        free(rs);
    }
    assert_string_equal(text[0], text[1]);
    bm_free(text[0]);
    bm_free(text[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_t1_every_metric),
        cmocka_unit_test(test_t1_row_order),
        cmocka_unit_test(test_methods_subset_and_order),
        cmocka_unit_test(test_empty_facet_group),
        cmocka_unit_test(test_infinities),
        cmocka_unit_test(test_both_infinite_collapse),
        cmocka_unit_test(test_no_predicted_positive),
        cmocka_unit_test(test_kl_negative_one_sided_group),
        cmocka_unit_test(test_all_labels_one_outcome),
        cmocka_unit_test(test_cdd_groups),
        cmocka_unit_test(test_multi_value_facet_and_label),
        cmocka_unit_test(test_one_vs_all),
        cmocka_unit_test(test_continuous_facets),
        cmocka_unit_test(test_uniqueness_rule),
        cmocka_unit_test(test_uniqueness_negative_ints),
        cmocka_unit_test(test_json_string_column_typing),
        cmocka_unit_test(test_cast_and_retry),
        cmocka_unit_test(test_continuous_label),
        cmocka_unit_test(test_label_prediction_type_mismatch),
        cmocka_unit_test(test_probability_threshold),
        cmocka_unit_test(test_flip_test_errors),
        cmocka_unit_test(test_empty_cube),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_merge_t1),
        cmocka_unit_test(test_merge_one_vs_all_order),
        cmocka_unit_test(test_merge_typing_facts),
        cmocka_unit_test(test_golden_merge),
        cmocka_unit_test(test_cube_write_infinite_values),
        cmocka_unit_test(test_cube_read_rejects),
        cmocka_unit_test(test_cube_read_count_overflow),
        cmocka_unit_test(test_cube_read_ft_facet_ids),
        cmocka_unit_test(test_alloc_fail_plan_and_add),
        cmocka_unit_test(test_alloc_fail_merge),
        cmocka_unit_test(test_alloc_fail_analyze),
        cmocka_unit_test(test_alloc_fail_analyze_no_silent_errors),
        cmocka_unit_test(test_alloc_fail_write_read),
        cmocka_unit_test(test_score_at_threshold_is_negative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
