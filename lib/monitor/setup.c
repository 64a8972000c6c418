/* An execution's set-up: the analysis config, the columns and the cubes' plan, the extraction
 * settings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/bias.h"
#include "biasmon/config.h"
#include "biasmon/jmespath.h"
#include "biasmon/sigv4.h"
#include "biasmon/store.h"
#include "internal.h"

/* ==================================================================== set-up */

int bm__is_digits(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* A JMESPath from an attribute: "0" (a column index for CSV) means [0] for JSON. */
static int attribute_expr(bm__run *r, const char *attr, const char *member, bm_jmespath **expr,
                          long *index, bm_error *err)
{
    *expr = NULL;
    *index = -1;
    if (!attr) return BM_OK;
    char src[64];
    const char *text = attr;
    if (bm__is_digits(attr) && strlen(attr) < 10) {
        *index = strtol(attr, NULL, 10); /* at most 9 digits: always in range */
        snprintf(src, sizeof(src), "[%s]", attr);
        text = src;
    }
    *expr = bm_jmespath_compile(text, err);
    if (!*expr) {
        char path[128];
        snprintf(path, sizeof(path), "$.ModelBiasJobInput.%s.%s",
                 r->jd->input.batch ? "BatchTransformInput" : "EndpointInput", member);
        bm_error_at(err, NULL, 0, 0, path);
        return err->code;
    }
    return BM_OK;
}

int bm__setup(bm__run *r, bm_error *err)
{
    const bm_job_definition *jd = r->jd;
    const bm_execution_params *p = r->p;
    const bm_job_input *in = &jd->input;
    bm_error e2;
    bm_error_clear(&e2);
    int rc;
    if (bm__window(r)) return BM_OK;
    bm_buf text;
    bm_buf_init(&text, 16u << 20);
    if ((rc = bm_store_read(jd->config_uri, 16u << 20, &text, err))) {
        bm__fail_run(r, "cannot read the analysis config %s: %s", jd->config_uri, err->msg);
        bm_buf_release(&text);
        return BM_OK;
    }
    char config_sum[65]; /* what hour partials depend on (bm__partials_setup) */
    bm_sigv4_sha256_hex(text.data ? text.data : "", text.len, config_sum);
    rc = bm_analysis_config_parse(text.data ? text.data : "", text.len, jd->config_uri, &r->cfg,
                                  err);
    bm_buf_release(&text);
    if (rc == BM_ENOMEM) return rc;
    if (rc) {
        char msg[1200];
        bm_error_format(err, msg, sizeof(msg));
        bm__fail_run(r, "invalid analysis config: %s", msg);
        return BM_OK;
    }
    r->have_cfg = 1;
    const bm_analysis_config *cfg = &r->cfg;
    if (!cfg->headers || cfg->nheaders < 2) {
        bm__fail_run(
            r,
            "the analysis config %s has no headers: monitoring names the captured features "
            "and the label with them (feature names in order, label last)",
            jd->config_uri);
        return BM_OK;
    }
    /* columns: the features, the label (last header), the prediction. A last header that
     * predicted_label names is the prediction's name, not a feature: the SDK's ModelBiasMonitor
     * with analysis_config=None sends the baseline's config, headers [features..., label,
     * PREDICTION], and SageMaker's container reads it so (the prediction comes from the capture) */
    size_t nh = cfg->nheaders;
    if (nh >= 3 && cfg->predicted_label.set && cfg->predicted_label.name &&
        !strcmp(cfg->predicted_label.name, cfg->headers[nh - 1]))
        nh--;
    r->nfeat = nh - 1;
    r->ncols = nh + 1;
    r->names = bm_calloc(r->ncols, sizeof(char *));
    r->cells = bm_calloc(r->ncols, sizeof(bm_cell));
    r->fields = bm_calloc(r->ncols, sizeof(bm_slice));
    if (!r->names || !r->cells || !r->fields) return bm_error_set(err, BM_ENOMEM, "out of memory");
    for (size_t k = 0; k < nh; k++)
        r->names[k] = cfg->headers[k];
    r->names[nh] = "predicted_label";
    r->view = *cfg;
    r->view.label.name = cfg->headers[nh - 1];
    r->view.label.index = -1;
    r->view.predicted_label.set = 1;
    r->view.predicted_label.name = "predicted_label";
    r->view.predicted_label.index = -1;
    r->view.has_probability_threshold = 0; /* predictions arrive thresholded */
    if ((rc = bm_plan_new(&r->view, (const char *const *)r->names, r->ncols, &r->plan, err))) {
        if (rc == BM_ENOMEM) return rc;
        char msg[1200];
        bm_error_format(err, msg, sizeof(msg));
        bm__fail_run(r, "the analysis config %s does not fit the captured columns: %s",
                     jd->config_uri, msg);
        return BM_OK;
    }
    r->joined = bm_cube_new(r->plan);
    r->all = bm_cube_new(r->plan);
    r->scan[0] = bm_capture_scanner_new(MAX_LINE);
    r->scan[1] = bm_capture_scanner_new(MAX_LINE);
    r->stage = bm_calloc(2, sizeof(bm__staged));
    if (!r->joined || !r->all || !r->scan[0] || !r->scan[1] || !r->stage)
        return bm_error_set(err, BM_ENOMEM, "out of memory");
    bm__gt_init(&r->gt, p->max_pending_ids ? p->max_pending_ids : 50000000);
    bm_buf_init(&r->x.arena, (size_t)1 << 30);
    bm_buf_init(&r->x.copy, (size_t)1 << 30);

    /* extraction settings */
    r->x.nfeat = r->nfeat;
    r->x.threshold = in->has_probability_threshold ? in->probability_threshold : 0.5;
    const char *features = in->features_attribute ? in->features_attribute : cfg->features;
    long unused;
    if (attribute_expr(r, features, "FeaturesAttribute", &r->x.features_expr, &unused, &e2) ||
        attribute_expr(r, in->inference_attribute, "InferenceAttribute", &r->x.inference_expr,
                       &r->x.inference_index, &e2) ||
        attribute_expr(r, in->probability_attribute, "ProbabilityAttribute", &r->x.probability_expr,
                       &r->x.probability_index, &e2)) {
        if (e2.code == BM_ENOMEM) return bm_error_set(err, BM_ENOMEM, "out of memory");
        char msg[1200];
        bm_error_format(&e2, msg, sizeof(msg));
        bm__fail_run(r, "invalid attribute: %s", msg);
        return BM_OK;
    }
    if (cfg->label.name) {
        bm_error_clear(&e2);
        r->x.label_expr = bm_jmespath_compile(cfg->label.name, &e2);
        if (!r->x.label_expr && e2.code == BM_ENOMEM)
            return bm_error_set(err, BM_ENOMEM, "out of memory");
        /* a label that is not a JMESPath only matters for JSON ground truth: then it is an error */
    }
    if (in->exclude_features_attribute) {
        const char *s = in->exclude_features_attribute;
        size_t cap = strlen(s) / 2 + 1;
        r->x.exclude = bm_calloc(cap, sizeof(size_t));
        if (!r->x.exclude) return bm_error_set(err, BM_ENOMEM, "out of memory");
        while (*s) {
            while (*s == ' ' || *s == ',')
                s++;
            if (!*s) break;
            char *end;
            long v = strtol(s, &end, 10);
            if (end == s || v < 0 || v > 100000) {
                bm__fail_run(r,
                             "ExcludeFeaturesAttribute \"%s\" must be comma-separated 0-based "
                             "column indices",
                             in->exclude_features_attribute);
                return BM_OK;
            }
            r->x.exclude[r->x.nexclude++] = (size_t)v;
            s = end;
        }
    }

    return bm__partials_setup(r, config_sum, 64, err);
}
