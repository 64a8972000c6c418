/* Tests of the analysis_config.json parser: valid configs, each error path, allocation failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "biasmon/config.h"
#include "biasmon/dataset.h"

#define ALL_PRE ((1u << BM_PRE_COUNT) - 1)
#define ALL_POST ((1u << BM_POST_COUNT) - 1)

/* Every key the parser knows, with every kind of value. */
static const char *full_config =
    "{\n"
    "  \"version\": \"1.0\",\n"
    "  \"dataset_type\": \"text/csv\",\n"
    "  \"headers\": [\"id\", \"sex\", \"age\", \"grp\", \"y\", \"yhat\", \"jid\"],\n"
    "  \"label\": \"y\",\n"
    "  \"label_values_or_threshold\": [1, 2.5, \"cat\", true],\n"
    "  \"facet\": [\n"
    "    {\"name_or_index\": \"sex\", \"value_or_threshold\": [\"F\", \"X\"]},\n"
    "    {\"name_or_index\": 2, \"value_or_threshold\": [40]},\n"
    "    {\"name_or_index\": \"grp\"},\n"
    "    {\"value_or_threshold\": [false, 1.5], \"name_or_index\": \"age\"}\n"
    "  ],\n"
    "  \"group_variable\": \"grp\",\n"
    "  \"predicted_label\": \"yhat\",\n"
    "  \"probability_threshold\": 0.7,\n"
    "  \"excluded_columns\": [\"id\", 0],\n"
    "  \"joinsource_name_or_index\": \"jid\",\n"
    "  \"methods\": {\n"
    "    \"report\": {\"name\": \"report\", \"title\": \"Analysis Report\"},\n"
    "    \"pre_training_bias\": {\"methods\": \"all\"},\n"
    "    \"post_training_bias\": {\"methods\": [\"DPPL\", \"DI\", \"AD\", \"TE\"]}\n"
    "  },\n"
    "  \"predictor\": {\"model_name\": \"m\", \"instance_count\": 1}\n"
    "}\n";

static int parse(const char *text, bm_analysis_config *c, bm_error *e)
{
    return bm_analysis_config_parse(text, strlen(text), "cfg.json", c, e);
}

/* Parses text that must fail with code; checks err->path and that err->msg mentions needle. */
static void expect_error(const char *text, int code, const char *path, const char *needle)
{
    bm_analysis_config c;
    bm_error e;
    int r = parse(text, &c, &e);
    if (r != code)
        fail_msg("expected code %d, got %d (%s at %s) for:\n%s", code, r, e.msg, e.path, text);
    assert_int_equal(e.code, code);
    if (strcmp(e.path, path) != 0)
        fail_msg("expected path \"%s\", got \"%s\" (%s) for:\n%s", path, e.path, e.msg, text);
    if (needle && !strstr(e.msg, needle))
        fail_msg("message \"%s\" does not mention \"%s\"", e.msg, needle);
    assert_string_equal(e.file, "cfg.json");
    /* the output is left empty on failure */
    assert_null(c.facets);
    assert_null(c.label_values);
    assert_null(c.label.name);
}

/* A minimal valid config with `extra` spliced in as more root members (may be ""). */
static char *with(const char *extra)
{
    static char buf[4096];
    snprintf(buf, sizeof(buf),
             "{\"label\": \"y\", \"label_values_or_threshold\": [1], "
             "\"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"F\"]}], "
             "\"predicted_label\": \"yhat\"%s%s}",
             *extra ? ", " : "", extra);
    return buf;
}

/* ==================================================================== valid configs */

static void test_full_config(void **state)
{
    (void)state;
    bm_analysis_config c;
    bm_error e;
    assert_int_equal(parse(full_config, &c, &e), BM_OK);
    assert_int_equal(e.code, BM_OK);
    assert_int_equal(c.dataset_type, BM_DATASET_CSV);

    assert_int_equal(c.nheaders, 7);
    assert_string_equal(c.headers[0], "id");
    assert_string_equal(c.headers[6], "jid");

    assert_int_equal(c.label.set, 1);
    assert_string_equal(c.label.name, "y");
    assert_int_equal(c.nlabel_values, 4);
    assert_int_equal(c.label_values[0].kind, BM_VAL_INT);
    assert_int_equal(c.label_values[0].i, 1);
    assert_true(c.label_values[0].f == 1.0);
    assert_int_equal(c.label_values[1].kind, BM_VAL_FLOAT);
    assert_true(c.label_values[1].f == 2.5);
    assert_int_equal(c.label_values[2].kind, BM_VAL_STR);
    assert_string_equal(c.label_values[2].s, "cat");
    assert_int_equal(c.label_values[2].slen, 3);
    assert_int_equal(c.label_values[3].kind, BM_VAL_BOOL);
    assert_int_equal(c.label_values[3].i, 1);
    assert_true(c.label_values[3].f == 1.0);

    assert_int_equal(c.nfacets, 4);
    assert_string_equal(c.facets[0].col.name, "sex");
    assert_int_equal(c.facets[0].nvalues, 2);
    assert_string_equal(c.facets[0].values[0].s, "F");
    assert_string_equal(c.facets[0].values[1].s, "X");
    assert_null(c.facets[1].col.name);
    assert_int_equal(c.facets[1].col.set, 1);
    assert_int_equal(c.facets[1].col.index, 2);
    assert_int_equal(c.facets[1].nvalues, 1);
    assert_int_equal(c.facets[1].values[0].kind, BM_VAL_INT);
    assert_int_equal(c.facets[1].values[0].i, 40);
    assert_string_equal(c.facets[2].col.name, "grp");
    assert_int_equal(c.facets[2].nvalues, 0); /* one-vs-all */
    assert_null(c.facets[2].values);
    assert_string_equal(c.facets[3].col.name, "age");
    assert_int_equal(c.facets[3].nvalues, 2);
    assert_int_equal(c.facets[3].values[0].kind, BM_VAL_BOOL);
    assert_int_equal(c.facets[3].values[0].i, 0);
    assert_int_equal(c.facets[3].values[1].kind, BM_VAL_FLOAT);
    assert_true(c.facets[3].values[1].f == 1.5);

    assert_string_equal(c.group_variable.name, "grp");
    assert_string_equal(c.predicted_label.name, "yhat");
    assert_int_equal(c.has_probability_threshold, 1);
    assert_true(c.probability_threshold == 0.7);

    /* excluded_columns and joinsource_name_or_index are never features */
    assert_int_equal(c.nexcluded, 3);
    assert_string_equal(c.excluded[0].name, "id");
    assert_null(c.excluded[1].name);
    assert_int_equal(c.excluded[1].index, 0);
    assert_string_equal(c.excluded[2].name, "jid");

    assert_int_equal(c.pre_requested, 1);
    assert_int_equal(c.pre_mask, ALL_PRE);
    assert_int_equal(c.post_requested, 1);
    assert_int_equal(c.post_mask, (1u << BM_POST_DPPL) | (1u << BM_POST_DI) | (1u << BM_POST_AD) |
                                      (1u << BM_POST_TE));
    assert_null(c.features);
    assert_int_equal(c.report_requested, 1);
    assert_string_equal(c.report_name, "report");
    assert_string_equal(c.report_title, "Analysis Report");
    bm_analysis_config_release(&c);
    /* release leaves an empty config; a second release is harmless */
    assert_null(c.facets);
    bm_analysis_config_release(&c);
}

static void test_metric_name_tables(void **state)
{
    (void)state;
    /* the bit order is the sorted order of the codes (the report's order) */
    static const char *pre[] = {"CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"};
    static const char *post[] = {"AD",  "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL",
                                 "DRR", "FT",    "GE",  "RD",  "SD",  "TE"};
    assert_int_equal(BM_PRE_COUNT, 8);
    assert_int_equal(BM_POST_COUNT, 13);
    for (int k = 0; k < BM_PRE_COUNT; k++)
        assert_string_equal(bm_pre_metric_names[k], pre[k]);
    for (int k = 0; k < BM_POST_COUNT; k++)
        assert_string_equal(bm_post_metric_names[k], post[k]);
}

static void test_methods_absent_means_all(void **state)
{
    (void)state;
    bm_analysis_config c;
    bm_error e;
    assert_int_equal(parse(with(""), &c, &e), BM_OK);
    assert_int_equal(c.pre_requested, 1);
    assert_int_equal(c.post_requested, 1);
    assert_int_equal(c.pre_mask, ALL_PRE);
    assert_int_equal(c.post_mask, ALL_POST);
    assert_int_equal(c.has_probability_threshold, 0);
    assert_int_equal(c.group_variable.set, 0);
    assert_int_equal(c.nexcluded, 0);
    assert_null(c.headers);
    assert_int_equal(c.report_requested, 0);
    assert_null(c.report_name);
    bm_analysis_config_release(&c);
}

static void test_methods_lists(void **state)
{
    (void)state;
    bm_analysis_config c;
    bm_error e;
    /* pre-training only: no predicted_label needed */
    const char *pre_only =
        "{\"label\": 3, \"label_values_or_threshold\": [\"yes\"],"
        " \"facet\": [{\"name_or_index\": 0}],"
        " \"methods\": {\"pre_training_bias\": {\"methods\": [\"TVD\", \"CDDL\", \"KL\"]}}}";
    assert_int_equal(parse(pre_only, &c, &e), BM_OK);
    assert_int_equal(c.pre_requested, 1);
    assert_int_equal(c.pre_mask, (1u << BM_PRE_TVD) | (1u << BM_PRE_CDDL) | (1u << BM_PRE_KL));
    assert_int_equal(c.post_requested, 0);
    assert_int_equal(c.post_mask, 0);
    /* label by index */
    assert_int_equal(c.label.set, 1);
    assert_null(c.label.name);
    assert_int_equal(c.label.index, 3);
    assert_int_equal(c.facets[0].col.index, 0);
    assert_int_equal(c.facets[0].nvalues, 0);
    bm_analysis_config_release(&c);

    /* post-training only, "all"; every post metric by name */
    assert_int_equal(
        parse(
            with("\"methods\": {\"post_training_bias\": {\"methods\": [\"AD\", \"CDDPL\", \"DAR\", "
                 "\"DCA\", \"DCR\", \"DI\", \"DPPL\", \"DRR\", \"FT\", \"GE\", \"RD\", \"SD\", "
                 "\"TE\"]}}"),
            &c, &e),
        BM_OK);
    assert_int_equal(c.pre_requested, 0);
    assert_int_equal(c.post_requested, 1);
    assert_int_equal(c.post_mask, ALL_POST);
    bm_analysis_config_release(&c);

    /* an empty list requests the stage with no metric */
    assert_int_equal(parse(with("\"methods\": {\"pre_training_bias\": {\"methods\": []}}"), &c, &e),
                     BM_OK);
    assert_int_equal(c.pre_requested, 1);
    assert_int_equal(c.pre_mask, 0);
    bm_analysis_config_release(&c);

    /* a duplicated name in a list is harmless */
    assert_int_equal(
        parse(with("\"methods\": {\"pre_training_bias\": {\"methods\": [\"CI\", \"CI\"]}}"), &c,
              &e),
        BM_OK);
    assert_int_equal(c.pre_mask, 1u << BM_PRE_CI);
    bm_analysis_config_release(&c);
}

static void test_facet_value_kinds(void **state)
{
    (void)state;
    bm_analysis_config c;
    bm_error e;
    const char *text = "{\"label\": \"y\", \"label_values_or_threshold\": [0.5],"
                       " \"facet\": [{\"name_or_index\": \"a\", \"value_or_threshold\": [7]},"
                       "             {\"name_or_index\": \"b\", \"value_or_threshold\": [-2.25]},"
                       "             {\"name_or_index\": \"c\", \"value_or_threshold\": [\"x y\"]},"
                       "             {\"name_or_index\": \"d\", \"value_or_threshold\": [true]},"
                       "             {\"name_or_index\": \"e\", \"value_or_threshold\": null},"
                       "             {\"name_or_index\": \"f\", \"value_or_threshold\": []},"
                       "             {\"name_or_index\": \"g\", \"value_or_threshold\": [\"\"]}],"
                       " \"methods\": {\"pre_training_bias\": {\"methods\": \"all\"}}}";
    assert_int_equal(parse(text, &c, &e), BM_OK);
    assert_int_equal(c.nfacets, 7);
    assert_int_equal(c.facets[0].values[0].kind, BM_VAL_INT);
    assert_int_equal(c.facets[0].values[0].i, 7);
    assert_true(c.facets[0].values[0].f == 7.0);
    assert_int_equal(c.facets[1].values[0].kind, BM_VAL_FLOAT);
    assert_true(c.facets[1].values[0].f == -2.25);
    assert_int_equal(c.facets[2].values[0].kind, BM_VAL_STR);
    assert_string_equal(c.facets[2].values[0].s, "x y");
    assert_int_equal(c.facets[3].values[0].kind, BM_VAL_BOOL);
    assert_int_equal(c.facets[3].values[0].i, 1);
    assert_int_equal(c.facets[4].nvalues, 0); /* null: one-vs-all */
    assert_int_equal(c.facets[5].nvalues, 0); /* []: one-vs-all */
    assert_int_equal(c.facets[6].nvalues, 1);
    assert_int_equal(c.facets[6].values[0].slen, 0);

    /* Python's str() of each value */
    char out[64];
    assert_int_equal(bm_value_str(&c.facets[0].values[0], out, sizeof(out)), 1);
    assert_string_equal(out, "7");
    bm_value_str(&c.facets[1].values[0], out, sizeof(out));
    assert_string_equal(out, "-2.25");
    bm_value_str(&c.facets[2].values[0], out, sizeof(out));
    assert_string_equal(out, "x y");
    bm_value_str(&c.facets[3].values[0], out, sizeof(out));
    assert_string_equal(out, "True");
    bm_value_str(&c.label_values[0], out, sizeof(out));
    assert_string_equal(out, "0.5");
    bm_analysis_config_release(&c);

    /* str(1e-05), str(2.0), str(False) */
    bm_value v = {.kind = BM_VAL_FLOAT, .f = 1e-05};
    bm_value_str(&v, out, sizeof(out));
    assert_string_equal(out, "1e-05");
    v.f = 2.0;
    bm_value_str(&v, out, sizeof(out));
    assert_string_equal(out, "2.0");
    v.kind = BM_VAL_BOOL;
    v.i = 0;
    v.f = 0;
    bm_value_str(&v, out, sizeof(out));
    assert_string_equal(out, "False");
}

static void test_jsonlines(void **state)
{
    (void)state;
    bm_analysis_config c;
    bm_error e;
    const char *text =
        "{\"dataset_type\": \"application/jsonlines\", \"headers\": [\"age\", \"sex\", \"y\"],"
        " \"features\": \"features\", \"label\": \"label\", \"predicted_label\": \"prediction\","
        " \"label_values_or_threshold\": [1], \"facet\": [{\"name_or_index\": \"sex\"}]}";
    assert_int_equal(parse(text, &c, &e), BM_OK);
    assert_int_equal(c.dataset_type, BM_DATASET_JSONLINES);
    assert_string_equal(c.features, "features");
    assert_string_equal(c.label.name, "label");
    assert_string_equal(c.predicted_label.name, "prediction");
    assert_int_equal(c.nheaders, 3);
    bm_analysis_config_release(&c);

    /* JSON Lines needs features and headers */
    expect_error("{\"dataset_type\": \"application/jsonlines\", \"headers\": [\"a\", \"y\"],"
                 " \"label\": \"label\", \"label_values_or_threshold\": [1],"
                 " \"facet\": [{\"name_or_index\": \"a\"}], \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.features", "missing");
    expect_error("{\"dataset_type\": \"application/jsonlines\", \"features\": \"f\","
                 " \"label\": \"label\", \"label_values_or_threshold\": [1],"
                 " \"facet\": [{\"name_or_index\": \"a\"}], \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.headers", "missing");
    /* a JSON Lines label is a JMESPath, not a column index; the dataset_type may come last */
    expect_error("{\"headers\": [\"a\", \"y\"], \"features\": \"f\", \"label\": 1,"
                 " \"label_values_or_threshold\": [1], \"facet\": [{\"name_or_index\": \"a\"}],"
                 " \"predicted_label\": \"p\", \"dataset_type\": \"application/jsonlines\"}",
                 BM_ECONFIG, "$.label", NULL);
    expect_error("{\"dataset_type\": \"application/jsonlines\", \"headers\": [\"a\", \"y\"],"
                 " \"features\": \"f\", \"label\": \"l\", \"label_values_or_threshold\": [1],"
                 " \"facet\": [{\"name_or_index\": \"a\"}], \"predicted_label\": 2}",
                 BM_ECONFIG, "$.predicted_label", NULL);
    /* features belong to JSON Lines only */
    expect_error(with("\"features\": \"f\""), BM_ECONFIG, "$.features", NULL);
}

static void test_load_golden_file(void **state)
{
    (void)state;
    const char *shared = getenv("BM_GOLDEN_DIR");
    if (!shared) fail_msg("BM_GOLDEN_DIR is not set (ctest sets it to tests/golden)");
    char path[1024];
    snprintf(path, sizeof(path), "%s/methods_subset/analysis_config.json", shared);
    bm_analysis_config c;
    bm_error e;
    assert_int_equal(bm_analysis_config_load(path, &c, &e), BM_OK);
    assert_string_equal(c.label.name, "y");
    assert_int_equal(c.pre_mask, (1u << BM_PRE_CI) | (1u << BM_PRE_DPL));
    assert_int_equal(c.post_mask, (1u << BM_POST_DPPL) | (1u << BM_POST_DI) | (1u << BM_POST_AD));
    assert_string_equal(c.facets[0].values[0].s, "B");
    assert_string_equal(c.group_variable.name, "grp");
    bm_analysis_config_release(&c);

    snprintf(path, sizeof(path), "%s/column_by_index/analysis_config.json", shared);
    assert_int_equal(bm_analysis_config_load(path, &c, &e), BM_OK);
    assert_int_equal(c.label.index, 5);
    assert_int_equal(c.facets[0].col.index, 4);
    assert_int_equal(c.group_variable.index, 3);
    assert_int_equal(c.predicted_label.index, 6);
    bm_analysis_config_release(&c);

    assert_int_equal(bm_analysis_config_load("/nonexistent/dir/analysis_config.json", &c, &e),
                     BM_EIO);
    assert_int_equal(e.code, BM_EIO);
    assert_string_equal(e.file, "/nonexistent/dir/analysis_config.json");
}

/* ==================================================================== errors */

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_error(with("\"foo\": 1"), BM_ECONFIG, "$.foo", "unknown");
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": [1],"
                 " \"facet\": [{\"name_or_index\": \"sex\"},"
                 " {\"name_or_index\": \"age\", \"value_or_threshhold\": [1]}],"
                 " \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.facet[1].value_or_threshhold", "unknown");
    expect_error(with("\"methods\": {\"shap\": {}}"), BM_ECONFIG, "$.methods.shap", NULL);
    expect_error(with("\"methods\": {\"pre_training_bias\": {\"methods\": \"all\", \"x\": 1}}"),
                 BM_ECONFIG, "$.methods.pre_training_bias.x", "unknown");
    expect_error(with("\"methods\": {\"report\": {\"name\": \"r\", \"format\": \"pdf\"}}"),
                 BM_ECONFIG, "$.methods.report.format", "unknown");
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_error("[1, 2]", BM_ECONFIG, "$", NULL);
    expect_error(with("\"version\": 1"), BM_ECONFIG, "$.version", NULL);
    expect_error(with("\"version\": \"2.0\""), BM_ECONFIG, "$.version", "2.0");
    expect_error(with("\"dataset_type\": \"text/parquet\""), BM_ECONFIG, "$.dataset_type",
                 "text/parquet");
    expect_error(with("\"dataset_type\": 5"), BM_ECONFIG, "$.dataset_type", NULL);
    expect_error(with("\"headers\": \"a,b\""), BM_ECONFIG, "$.headers", NULL);
    expect_error(with("\"headers\": [\"a\", 1]"), BM_ECONFIG, "$.headers[1]", NULL);
    expect_error(with("\"group_variable\": 1.5"), BM_ECONFIG, "$.group_variable", NULL);
    expect_error(with("\"group_variable\": \"\""), BM_ECONFIG, "$.group_variable", NULL);
    expect_error(with("\"probability_threshold\": \"0.5\""), BM_ECONFIG, "$.probability_threshold",
                 NULL);
    expect_error(with("\"excluded_columns\": \"id\""), BM_ECONFIG, "$.excluded_columns", NULL);
    expect_error(with("\"excluded_columns\": [\"id\", true]"), BM_ECONFIG, "$.excluded_columns[1]",
                 NULL);
    expect_error(with("\"joinsource_name_or_index\": [1]"), BM_ECONFIG,
                 "$.joinsource_name_or_index", NULL);
    expect_error(with("\"predictor\": \"endpoint\""), BM_ECONFIG, "$.predictor", NULL);
    expect_error(with("\"methods\": []"), BM_ECONFIG, "$.methods", NULL);
    expect_error(with("\"methods\": {\"pre_training_bias\": \"all\"}"), BM_ECONFIG,
                 "$.methods.pre_training_bias", NULL);
    expect_error(with("\"methods\": {\"pre_training_bias\": {\"methods\": 5}}"), BM_ECONFIG,
                 "$.methods.pre_training_bias.methods", NULL);
    expect_error(with("\"methods\": {\"post_training_bias\": {\"methods\": \"some\"}}"), BM_ECONFIG,
                 "$.methods.post_training_bias.methods", "some");
    expect_error(with("\"methods\": {\"post_training_bias\": {\"methods\": [\"DI\", 3]}}"),
                 BM_ECONFIG, "$.methods.post_training_bias.methods[1]", NULL);
    expect_error(with("\"methods\": {\"report\": {\"name\": 1}}"), BM_ECONFIG,
                 "$.methods.report.name", NULL);
    /* the report's name is a file beside analysis.json: one plain path component */
    expect_error(with("\"methods\": {\"report\": {\"name\": \"../x\"}}"), BM_ECONFIG,
                 "$.methods.report.name", "file name");
    expect_error(with("\"methods\": {\"report\": {\"name\": \"a/b\"}}"), BM_ECONFIG,
                 "$.methods.report.name", "file name");
    expect_error(with("\"methods\": {\"report\": {\"title\": \"t\", \"name\": \"\"}}"), BM_ECONFIG,
                 "$.methods.report.name", "file name");

    expect_error("{\"label\": true, \"label_values_or_threshold\": [1],"
                 " \"facet\": [{\"name_or_index\": \"s\"}], \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.label", NULL);
    expect_error("{\"label\": -1, \"label_values_or_threshold\": [1],"
                 " \"facet\": [{\"name_or_index\": \"s\"}], \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.label", NULL);
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": 1,"
                 " \"facet\": [{\"name_or_index\": \"s\"}], \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.label_values_or_threshold", NULL);
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": [1, [2]],"
                 " \"facet\": [{\"name_or_index\": \"s\"}], \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.label_values_or_threshold[1]", NULL);
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": [null],"
                 " \"facet\": [{\"name_or_index\": \"s\"}], \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.label_values_or_threshold[0]", NULL);
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": [1],"
                 " \"facet\": {\"name_or_index\": \"s\"}, \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.facet", NULL);
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": [1],"
                 " \"facet\": [{\"name_or_index\": \"s\"}, \"age\"], \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.facet[1]", NULL);
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": [1],"
                 " \"facet\": [{\"name_or_index\": \"s\"},"
                 " {\"name_or_index\": \"age\", \"value_or_threshold\": 40}],"
                 " \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.facet[1].value_or_threshold", NULL);
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": [1],"
                 " \"facet\": [{\"name_or_index\": \"s\", \"value_or_threshold\": [\"a\", {}]}],"
                 " \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.facet[0].value_or_threshold[1]", NULL);
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": [1],"
                 " \"facet\": [{\"name_or_index\": \"s\"}, {\"name_or_index\": 1.5}],"
                 " \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.facet[1].name_or_index", NULL);
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": [1],"
                 " \"facet\": [{\"name_or_index\": -3}], \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.facet[0].name_or_index", NULL);
}

static void test_missing_keys(void **state)
{
    (void)state;
    expect_error("{\"label_values_or_threshold\": [1], \"facet\": [{\"name_or_index\": \"s\"}],"
                 " \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.label", "missing");
    expect_error("{\"label\": \"y\", \"facet\": [{\"name_or_index\": \"s\"}],"
                 " \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.label_values_or_threshold", "missing");
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": [],"
                 " \"facet\": [{\"name_or_index\": \"s\"}], \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.label_values_or_threshold", NULL);
    expect_error(
        "{\"label\": \"y\", \"label_values_or_threshold\": [1], \"predicted_label\": \"p\"}",
        BM_ECONFIG, "$.facet", "missing");
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": [1], \"facet\": [],"
                 " \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.facet", NULL);
    expect_error("{\"label\": \"y\", \"label_values_or_threshold\": [1],"
                 " \"facet\": [{\"name_or_index\": \"s\"}, {\"value_or_threshold\": [1]}],"
                 " \"predicted_label\": \"p\"}",
                 BM_ECONFIG, "$.facet[1].name_or_index", "missing");
    expect_error(with("\"methods\": {\"report\": {\"name\": \"r\"}, \"post_training_bias\": {}}"),
                 BM_ECONFIG, "$.methods.post_training_bias.methods", "missing");
    expect_error(with("\"methods\": {\"pre_training_bias\": {}}"), BM_ECONFIG,
                 "$.methods.pre_training_bias.methods", "missing");
}

/* predicted_label is optional in the config (a monitoring execution takes predictions from
 * captured model output); reading a dataset for post-training metrics needs it. */
static void test_predicted_label_optional(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{\"label\": \"y\", \"label_values_or_threshold\": [1],"
        " \"facet\": [{\"name_or_index\": \"s\"}],"
        " \"methods\": {\"post_training_bias\": {\"methods\": \"all\"}}}",
        "{\"label\": \"y\", \"label_values_or_threshold\": [1],"
        " \"facet\": [{\"name_or_index\": \"s\"}]}",
    };
    char dir[] = "/tmp/test_config.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/data.csv", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("s,y\nA,1\nB,0\n", fp);
    assert_int_equal(fclose(fp), 0);
    for (size_t k = 0; k < 2; k++) {
        bm_analysis_config c;
        bm_error e;
        assert_int_equal(parse(texts[k], &c, &e), BM_OK);
        assert_int_equal(c.post_requested, 1);
        assert_int_equal(c.post_mask, ALL_POST);
        assert_int_equal(c.predicted_label.set, 0);
        bm_dataset_result res;
        int r = bm_dataset_read(&c, path, 1, &res, &e);
        if (r == BM_OK) bm_dataset_result_release(&res);
        bm_analysis_config_release(&c);
        assert_int_equal(r, BM_ECONFIG);
        assert_string_equal(e.path, "$.predicted_label");
        assert_non_null(strstr(e.msg, "predicted_label"));
        if (k == 1) {
            /* no methods: both ways out are named, not predicted_label alone */
            if (!strstr(e.msg, "no methods") || !strstr(e.msg, "add methods") ||
                !strstr(e.msg, "pre_training_bias"))
                fail_msg("the message names only predicted_label: %s", e.msg);
        }
    }
    /* pre-training only reads the same file fine */
    bm_analysis_config c;
    bm_error e;
    const char *pre = "{\"label\": \"y\", \"label_values_or_threshold\": [1],"
                      " \"facet\": [{\"name_or_index\": \"s\"}],"
                      " \"methods\": {\"pre_training_bias\": {\"methods\": \"all\"}}}";
    assert_int_equal(parse(pre, &c, &e), BM_OK);
    bm_dataset_result res;
    int r = bm_dataset_read(&c, path, 1, &res, &e);
    if (r == BM_OK) {
        assert_int_equal(bm_cube_rows(res.cube), 2);
        bm_dataset_result_release(&res);
    }
    bm_analysis_config_release(&c);
    unlink(path);
    rmdir(dir);
    if (r != BM_OK) fail_msg("pre-training read: %d %s", r, e.msg);
}

/* The SDK's predictor (ModelConfig + ModelPredictedLabelConfig): what biasmon reads of it, and
 * refusals that name the member. */
static void test_predictor(void **state)
{
    (void)state;
    bm_analysis_config c;
    bm_error e;
    assert_int_equal(
        parse(with("\"predictor\": {\"model_name\": \"m\", \"instance_type\": \"ml.m5.xlarge\", "
                   "\"initial_instance_count\": 1, \"content_type\": \"application/jsonlines\", "
                   "\"content_template\": \"{\\\"f\\\":$features}\", \"accept_type\": "
                   "\"application/json\", \"label\": \"predictions[*].l\", \"probability\": 1, "
                   "\"label_headers\": [\"no\", 1, 2.5], \"custom_attributes\": \"a=b\"}"),
              &c, &e),
        BM_OK);
    assert_true(c.predictor.set);
    assert_string_equal(c.predictor.model_name, "m");
    assert_null(c.predictor.endpoint_name);
    assert_string_equal(c.predictor.content_type, "application/jsonlines");
    assert_string_equal(c.predictor.content_template, "{\"f\":$features}");
    assert_string_equal(c.predictor.accept_type, "application/json");
    assert_string_equal(c.predictor.label.name, "predictions[*].l");
    assert_null(c.predictor.probability.name);
    assert_int_equal(c.predictor.probability.index, 1);
    assert_int_equal(c.predictor.nlabel_headers, 3);
    assert_string_equal(c.predictor.label_headers[0], "no");
    assert_string_equal(c.predictor.label_headers[1], "1");
    assert_string_equal(c.predictor.label_headers[2], "2.5");
    assert_string_equal(c.predictor.custom_attributes, "a=b");
    bm_analysis_config_release(&c);
    assert_int_equal(parse(with("\"predictor\": {\"endpoint_name\": \"ep\"}"), &c, &e), BM_OK);
    assert_string_equal(c.predictor.endpoint_name, "ep");
    assert_null(c.predictor.content_type); /* text/csv */
    bm_analysis_config_release(&c);
    expect_error(with("\"predictor\": {\"model_name\": \"m\", \"endpoint_name\": \"e\"}"),
                 BM_ECONFIG, "$.predictor.endpoint_name", "not both");
    expect_error(with("\"predictor\": {\"model_name\": 5}"), BM_ECONFIG, "$.predictor.model_name",
                 NULL);
    expect_error(with("\"predictor\": {\"model_name\": \"m\", \"content_type\": \"image/png\"}"),
                 BM_ECONFIG, "$.predictor.content_type", "image/png");
    expect_error(with("\"predictor\": {\"model_name\": \"m\", \"accept_type\": \"text/plain\"}"),
                 BM_ECONFIG, "$.predictor.accept_type", "text/plain");
    expect_error(
        with("\"predictor\": {\"model_name\": \"m\", \"content_type\": \"application/jsonlines\"}"),
        BM_ECONFIG, "$.predictor.content_template", "$features");
    expect_error(with("\"predictor\": {\"model_name\": \"m\", \"content_type\": "
                      "\"application/json\", \"content_template\": \"$records\", "
                      "\"record_template\": \"${A}\"}"),
                 BM_ECONFIG, "$.predictor.record_template", "$features_kvp");
    /* a header line of every model request: no CR/LF to start another header with */
    expect_error(with("\"predictor\": {\"model_name\": \"m\", \"custom_attributes\": "
                      "\"a=b\\r\\nX-Injected: 1\"}"),
                 BM_ECONFIG, "$.predictor.custom_attributes", "printable ASCII");
    expect_error(with("\"predictor\": {\"model_name\": \"m\", \"custom_attributes\": "
                      "\"a\\tb\"}"),
                 BM_ECONFIG, "$.predictor.custom_attributes", NULL);
    expect_error(with("\"predictor\": {\"model_name\": \"m\", \"label\": -1}"), BM_ECONFIG,
                 "$.predictor.label", NULL);
    expect_error(with("\"predictor\": {\"model_name\": \"m\", \"label_headers\": [[1]]}"),
                 BM_ECONFIG, "$.predictor.label_headers[0]", NULL);
    expect_error(with("\"predictor\": {\"model_name\": \"m\", \"label_headers\": []}"), BM_ECONFIG,
                 "$.predictor.label_headers", NULL);
}

static void test_unknown_metric(void **state)
{
    (void)state;
    expect_error(with("\"methods\": {\"post_training_bias\": {\"methods\": [\"DI\", \"XYZ\"]}}"),
                 BM_ECONFIG, "$.methods.post_training_bias.methods[1]", "\"XYZ\"");
    /* a pre-training code is not a post-training metric, and names are case-sensitive */
    expect_error(with("\"methods\": {\"post_training_bias\": {\"methods\": [\"CI\"]}}"), BM_ECONFIG,
                 "$.methods.post_training_bias.methods[0]", "\"CI\"");
    expect_error(with("\"methods\": {\"pre_training_bias\": {\"methods\": [\"ci\"]}}"), BM_ECONFIG,
                 "$.methods.pre_training_bias.methods[0]", "\"ci\"");
    /* Clarify's documentation name for DCA is not smclarify's */
    expect_error(with("\"methods\": {\"post_training_bias\": {\"methods\": [\"DCAcc\"]}}"),
                 BM_ECONFIG, "$.methods.post_training_bias.methods[0]", "DCAcc");
}

static void expect_parse_error(const char *text, long line, long col)
{
    bm_analysis_config c;
    bm_error e;
    int r = bm_analysis_config_parse(text, strlen(text), "bad.json", &c, &e);
    if (r != BM_EPARSE) fail_msg("expected BM_EPARSE, got %d for:\n%s", r, text);
    assert_int_equal(e.code, BM_EPARSE);
    if (e.line != line || e.col != col)
        fail_msg("expected %ld:%ld, got %ld:%ld (%s) for:\n%s", line, col, e.line, e.col, e.msg,
                 text);
    assert_string_equal(e.file, "bad.json");
    assert_string_equal(e.path, "");
    assert_null(c.facets);
}

static void test_malformed_json(void **state)
{
    (void)state;
    /* a closing brace where a list value should be: line 4, column 1 */
    expect_parse_error("{\n  \"label\": \"y\",\n  \"facet\": [\n}", 4, 1);
    /* a bare word: line 2, column 7 (the 'x') */
    expect_parse_error("{\"a\": 1,\n \"b\": x}", 2, 7);
    /* an empty list element: line 2, column 3 */
    expect_parse_error("{\"facet\": [1,\n2,,3]}", 2, 3);
    /* truncated and trailing garbage */
    expect_parse_error("{", 1, 1);
    expect_parse_error("{} x", 1, 4);
    /* duplicate keys are rejected, not silently merged */
    expect_parse_error("{\"label\": \"a\", \"label\": \"b\"}", 1, 22);

    bm_analysis_config c;
    bm_error e;
    assert_int_equal(bm_analysis_config_parse("", 0, NULL, &c, &e), BM_EPARSE);
    assert_int_equal(bm_analysis_config_parse("{\"label\": \"y\"}", 5, NULL, &c, &e), BM_EPARSE);
    /* a NUL byte inside the given length */
    assert_int_equal(bm_analysis_config_parse("{\"a\": 1}\0{", 10, NULL, &c, &e), BM_EPARSE);
}

/* Errors name the file given to parse; the formatted form is "file:line:col: message". */
static void test_error_format(void **state)
{
    (void)state;
    bm_analysis_config c;
    bm_error e;
    const char *text = "{\n\"a\": tru}";
    assert_int_equal(bm_analysis_config_parse(text, strlen(text), "x.json", &c, &e), BM_EPARSE);
    char out[1024];
    bm_error_format(&e, out, sizeof(out));
    assert_non_null(strstr(out, "x.json:2:8: "));

    assert_int_equal(parse(with("\"foo\": 1"), &c, &e), BM_ECONFIG);
    bm_error_format(&e, out, sizeof(out));
    assert_non_null(strstr(out, "cfg.json"));
    assert_non_null(strstr(out, "$.foo"));
}

/* ==================================================================== allocation failure */

static void test_alloc_failure_sweep(void **state)
{
    (void)state;
    int saw_enomem = 0, saw_ok = 0;
    for (long n = 1; n <= 60; n++) {
        bm_analysis_config c;
        bm_error e;
        bm_alloc_fail_after(n);
        int r = parse(full_config, &c, &e);
        bm_alloc_fail_after(0);
        if (r == BM_OK) {
            saw_ok = 1;
            assert_int_equal(c.nfacets, 4);
            assert_int_equal(c.nexcluded, 3);
            bm_analysis_config_release(&c);
        } else {
            if (r != BM_ENOMEM) fail_msg("n=%ld: code %d (%s at %s)", n, r, e.msg, e.path);
            assert_int_equal(e.code, BM_ENOMEM);
            assert_null(c.facets);
            saw_enomem = 1;
        }
    }
    assert_true(saw_enomem);
    assert_true(saw_ok); /* 60 allocations are enough for the whole config */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_metric_name_tables),
        cmocka_unit_test(test_methods_absent_means_all),
        cmocka_unit_test(test_methods_lists),
        cmocka_unit_test(test_facet_value_kinds),
        cmocka_unit_test(test_jsonlines),
        cmocka_unit_test(test_load_golden_file),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_predicted_label_optional),
        cmocka_unit_test(test_predictor),
        cmocka_unit_test(test_unknown_metric),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_alloc_failure_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
