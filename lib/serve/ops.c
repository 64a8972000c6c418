/* The API operations of biasmon serve: endpoint configs and endpoints (a name and a capture
 * destination), model bias job definitions, monitoring schedules, executions, tags. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/cron.h"
#include "biasmon/execution.h"
#include "biasmon/isotime.h"
#include "biasmon/jobdef.h"
#include "biasmon/store.h"
#include "biasmon/violations.h"
#include "biasmon/sagemaker.h"
#include "serve/internal.h"
#include "serve/runtime.h"

#define ENOMEM_RET(err) bm_error_set(err, BM_ENOMEM, "out of memory")

static double now(bm_service *s)
{
    return floor(bm_clock_now(&s->clock) * 1000) / 1000; /* milliseconds, as AWS reports */
}

static const char *str(json_t *o, const char *path)
{
    return bm_json_string(o, path);
}

static int vfail(bm_error *err, int code, const char *path, const char *fmt, ...) BM_PRINTF(4, 5);
static int vfail(bm_error *err, int code, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
    return code;
}

static int put_tags(bm_service *s, const char *arn, json_t *req, bm_error *err)
{
    json_t *tags = json_object_get(req, "Tags");
    if (!tags || !json_array_size(tags)) return BM_OK;
    return bm_state_tags_add(s->db, arn, tags, err);
}

/* Copies the members of src listed in names into dst. */
static int copy_members(json_t *dst, json_t *src, const char *const *names)
{
    for (; *names; names++) {
        json_t *v = json_object_get(src, *names);
        if (v && !json_is_null(v) && json_object_set(dst, *names, v)) return BM_ENOMEM;
    }
    return BM_OK;
}

/* ---- listing: filter, sort, paginate ---- */

typedef struct item {
    json_t *v;
    double t;
    const char *s;
} item;

static int sort_desc;
static int cmp_t(const void *a, const void *b)
{
    const item *x = a, *y = b;
    int c = x->t < y->t ? -1 : x->t > y->t ? 1 : strcmp(x->s ? x->s : "", y->s ? y->s : "");
    return sort_desc ? -c : c;
}
static int cmp_s(const void *a, const void *b)
{
    const item *x = a, *y = b;
    int c = strcasecmp(x->s ? x->s : "", y->s ? y->s : "");
    if (!c) c = x->t < y->t ? -1 : x->t > y->t;
    return sort_desc ? -c : c;
}

/* Sorts items (by time when by_time, else by string) and writes one page into resp[key]. */
static int page(item *items, size_t n, int by_time, json_t *req, json_t *resp, const char *key,
                bm_error *err)
{
    const char *order = str(req, "SortOrder");
    sort_desc = !order || !strcmp(order, "Descending");
    qsort(items, n, sizeof(item),
          by_time ? cmp_t : cmp_s); /* requests are serialized by this lock */
    size_t offset = 0;
    const char *tok = str(req, "NextToken");
    if (tok) {
        char *end;
        if (strncmp(tok, "bm1-", 4) || !tok[4] || (offset = strtoul(tok + 4, &end, 10), *end) ||
            offset > n)
            return vfail(err, BM_ECONFIG, "$.NextToken", "invalid pagination token");
    }
    json_t *mr = json_object_get(req, "MaxResults");
    size_t max = mr ? (size_t)json_integer_value(mr) : 10;
    json_t *list = json_array();
    if (!list || json_object_set_new(resp, key, list)) return ENOMEM_RET(err);
    for (size_t k = offset; k < n && k < offset + max; k++)
        if (json_array_append(list, items[k].v)) return ENOMEM_RET(err);
    if (offset + max < n) {
        char t[40];
        snprintf(t, sizeof(t), "bm1-%zu", offset + max);
        if (json_object_set_new(resp, "NextToken", json_string(t))) return ENOMEM_RET(err);
    }
    return BM_OK;
}

static pthread_mutex_t list_mu = PTHREAD_MUTEX_INITIALIZER;

static int time_ok(json_t *req, const char *before, const char *after, double t)
{
    json_t *b = json_object_get(req, before), *a = json_object_get(req, after);
    if (b && !(t < json_number_value(b))) return 0;
    if (a && !(t > json_number_value(a))) return 0;
    return 1;
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n)) return 1;
    return n == 0;
}

/* ==================================================================== endpoint configs */

static int op_create_endpoint_config(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *name = str(req, "EndpointConfigName");
    if (!*name) return vfail(err, BM_ECONFIG, "$.EndpointConfigName", "must not be empty");
    int rc = bm__check_uris(req, bm__endpoint_config_uris, err);
    if (rc) return rc;
    bm_resource r;
    memset(&r, 0, sizeof(r));
    snprintf(r.kind, sizeof(r.kind), BM_RES_ENDPOINT_CONFIG);
    snprintf(r.name, sizeof(r.name), "%s", name);
    bm__arn(s, "endpoint-config", name, r.arn, sizeof(r.arn));
    r.created = r.modified = now(s);
    r.next_tick = -1;
    r.doc = json_pack("{s:s,s:s,s:f}", "EndpointConfigName", name, "EndpointConfigArn", r.arn,
                      "CreationTime", r.created);
    static const char *const keep[] = {"ProductionVariants", "DataCaptureConfig", "KmsKeyId", NULL};
    if (!r.doc || copy_members(r.doc, req, keep)) {
        json_decref(r.doc);
        return ENOMEM_RET(err);
    }
    rc = bm_state_resource_create(s->db, &r, err);
    if (rc == BM_EEXISTS)
        rc = vfail(err, BM_ECONFIG, NULL,
                   "Cannot create already existing endpoint configuration \"%s\".", r.arn);
    if (!rc) rc = put_tags(s, r.arn, req, err);
    if (!rc && !(*resp = json_pack("{s:s}", "EndpointConfigArn", r.arn))) rc = ENOMEM_RET(err);
    json_decref(r.doc);
    return rc;
}

static int get_or_validation(bm_service *s, const char *kind, const char *name, const char *what,
                             bm_resource *r, bm_error *err)
{
    int rc = bm_state_resource_get(s->db, kind, name, r, err);
    if (rc == BM_ENOTFOUND)
        return vfail(err, BM_ECONFIG, NULL, "Could not find %s \"%s\".", what, name);
    return rc;
}

static int op_describe_endpoint_config(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    bm_resource r;
    int rc = get_or_validation(s, BM_RES_ENDPOINT_CONFIG, str(req, "EndpointConfigName"),
                               "endpoint configuration", &r, err);
    if (rc) return rc;
    *resp = json_incref(r.doc);
    bm_resource_release(&r);
    return BM_OK;
}

static int op_delete_endpoint_config(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    (void)resp;
    const char *name = str(req, "EndpointConfigName");
    int rc = bm_state_resource_delete(s->db, BM_RES_ENDPOINT_CONFIG, name, err);
    if (rc == BM_ENOTFOUND)
        return vfail(err, BM_ECONFIG, NULL, "Could not find endpoint configuration \"%s\".", name);
    return rc;
}

/* ==================================================================== endpoints */

/* Sets an endpoint document's ProductionVariants (with their weights) and DataCaptureConfig from
 * its endpoint configuration's document, and its deployment (the copy it serves from, see
 * bm__deployment_new). BM_ENOMEM on failure. */
static int endpoint_from_config(bm_service *s, json_t *doc, json_t *cfg)
{
    if (json_object_set_new(doc, BM_DEPLOYMENT_KEY, bm__deployment_new(s, cfg))) return BM_ENOMEM;
    json_t *variants = json_array();
    size_t i;
    json_t *v;
    if (!variants || json_object_set_new(doc, "ProductionVariants", variants)) return BM_ENOMEM;
    json_array_foreach(json_object_get(cfg, "ProductionVariants"), i, v)
    {
        json_t *w = json_object_get(v, "InitialVariantWeight");
        double weight = w ? json_number_value(w) : 1.0;
        if (json_array_append_new(variants,
                                  json_pack("{s:O,s:[],s:f,s:f}", "VariantName",
                                            json_object_get(v, "VariantName"), "DeployedImages",
                                            "CurrentWeight", weight, "DesiredWeight", weight)))
            return BM_ENOMEM;
    }
    json_object_del(doc, "DataCaptureConfig");
    json_t *dc = json_object_get(cfg, "DataCaptureConfig");
    if (dc) {
        json_t *enable = json_object_get(dc, "EnableCapture");
        int on = !enable || json_is_true(enable);
        json_t *d = json_pack("{s:b,s:s,s:O,s:O}", "EnableCapture", on, "CaptureStatus",
                              on ? "Started" : "Stopped", "CurrentSamplingPercentage",
                              json_object_get(dc, "InitialSamplingPercentage"), "DestinationS3Uri",
                              json_object_get(dc, "DestinationS3Uri"));
        if (d && json_object_get(dc, "KmsKeyId"))
            json_object_set(d, "KmsKeyId", json_object_get(dc, "KmsKeyId"));
        if (!d || json_object_set_new(doc, "DataCaptureConfig", d)) return BM_ENOMEM;
    }
    return BM_OK;
}

static int op_create_endpoint(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *name = str(req, "EndpointName"), *cname = str(req, "EndpointConfigName");
    if (!*name) return vfail(err, BM_ECONFIG, "$.EndpointName", "must not be empty");
    bm_resource cfg;
    int rc =
        get_or_validation(s, BM_RES_ENDPOINT_CONFIG, cname, "endpoint configuration", &cfg, err);
    if (rc) return rc;
    bm_resource r;
    memset(&r, 0, sizeof(r));
    snprintf(r.kind, sizeof(r.kind), BM_RES_ENDPOINT);
    snprintf(r.name, sizeof(r.name), "%s", name);
    snprintf(r.ref, sizeof(r.ref), "%s", cname);
    snprintf(r.status, sizeof(r.status), "InService");
    bm__arn(s, "endpoint", name, r.arn, sizeof(r.arn));
    r.created = r.modified = now(s);
    r.next_tick = -1;
    r.doc = json_pack("{s:s,s:s,s:s,s:s,s:f,s:f}", "EndpointName", name, "EndpointArn", r.arn,
                      "EndpointConfigName", cname, "EndpointStatus", "InService", "CreationTime",
                      r.created, "LastModifiedTime", r.modified);
    if (r.doc && endpoint_from_config(s, r.doc, cfg.doc)) {
        json_decref(r.doc);
        r.doc = NULL;
    }
    bm_resource_release(&cfg);
    if (!r.doc) return ENOMEM_RET(err);
    rc = bm_state_resource_create(s->db, &r, err);
    if (rc == BM_EEXISTS)
        rc = vfail(err, BM_ECONFIG, NULL, "Cannot create already existing endpoint \"%s\".", r.arn);
    if (!rc) rc = put_tags(s, r.arn, req, err);
    if (!rc && !(*resp = json_pack("{s:s}", "EndpointArn", r.arn))) rc = ENOMEM_RET(err);
    json_decref(r.doc);
    return rc;
}

static int op_describe_endpoint(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    bm_resource r;
    int rc = get_or_validation(s, BM_RES_ENDPOINT, str(req, "EndpointName"), "endpoint", &r, err);
    if (rc) return rc;
    /* the deployment is biasmon's own: SageMaker's answer has no such member */
    if (!(*resp = json_copy(r.doc)))
        rc = ENOMEM_RET(err);
    else
        json_object_del(*resp, BM_DEPLOYMENT_KEY); /* -1 for an endpoint made before it existed */
    bm_resource_release(&r);
    return rc;
}

static int op_delete_endpoint(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    (void)resp;
    const char *name = str(req, "EndpointName");
    int rc = bm_state_resource_delete(s->db, BM_RES_ENDPOINT, name, err);
    if (rc == BM_ENOTFOUND)
        return vfail(err, BM_ECONFIG, NULL, "Could not find endpoint \"%s\".", name);
    return rc;
}

/* UpdateEndpoint and UpdateEndpointWeightsAndCapacities change the endpoint's row in one write:
 * an invocation reads the row before or after it, never a mix, so none is dropped. */
static pthread_mutex_t endpoint_mu = PTHREAD_MUTEX_INITIALIZER;

static int op_update_endpoint(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *name = str(req, "EndpointName"), *cname = str(req, "EndpointConfigName");
    bm_resource r, cfg;
    pthread_mutex_lock(&endpoint_mu);
    int rc = get_or_validation(s, BM_RES_ENDPOINT, name, "endpoint", &r, err);
    if (rc) goto out_unlocked;
    rc = get_or_validation(s, BM_RES_ENDPOINT_CONFIG, cname, "endpoint configuration", &cfg, err);
    if (rc) goto out_ep;
    json_t *doc = json_deep_copy(r.doc);
    r.modified = now(s);
    snprintf(r.ref, sizeof(r.ref), "%s", cname);
    if (!doc || json_object_set_new(doc, "EndpointConfigName", json_string(cname)) ||
        json_object_set_new(doc, "LastModifiedTime", json_real(r.modified)) ||
        endpoint_from_config(s, doc, cfg.doc)) {
        json_decref(doc);
        rc = ENOMEM_RET(err);
    } else {
        json_decref(r.doc);
        r.doc = doc;
        rc = bm_state_resource_update(s->db, &r, err);
    }
    if (!rc && !(*resp = json_pack("{s:s}", "EndpointArn", r.arn))) rc = ENOMEM_RET(err);
    bm_resource_release(&cfg);
out_ep:
    bm_resource_release(&r);
out_unlocked:
    pthread_mutex_unlock(&endpoint_mu);
    return rc;
}

static int op_update_weights(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *name = str(req, "EndpointName");
    bm_resource r;
    pthread_mutex_lock(&endpoint_mu);
    int rc = get_or_validation(s, BM_RES_ENDPOINT, name, "endpoint", &r, err);
    if (rc) {
        pthread_mutex_unlock(&endpoint_mu);
        return rc;
    }
    json_t *doc = json_deep_copy(r.doc), *want, *v;
    size_t i, j;
    if (!doc) rc = ENOMEM_RET(err);
    json_array_foreach(json_object_get(req, "DesiredWeightsAndCapacities"), i, want)
    {
        const char *vn = str(want, "VariantName");
        json_t *found = NULL;
        json_array_foreach(json_object_get(doc, "ProductionVariants"), j,
                           v) if (!strcmp(str(v, "VariantName") ? str(v, "VariantName") : "", vn))
            found = v;
        if (!rc && !found) {
            char path[64];
            snprintf(path, sizeof(path), "$.DesiredWeightsAndCapacities[%zu].VariantName", i);
            rc = vfail(err, BM_ECONFIG, path,
                       "The variant(s) \"[%s]\" are not present in the endpoint \"%s\".", vn, name);
        }
        json_t *w = json_object_get(want, "DesiredWeight");
        if (!rc && w &&
            (json_object_set_new(found, "CurrentWeight", json_real(json_number_value(w))) ||
             json_object_set_new(found, "DesiredWeight", json_real(json_number_value(w)))))
            rc = ENOMEM_RET(err);
    }
    if (!rc) {
        r.modified = now(s);
        if (json_object_set_new(doc, "LastModifiedTime", json_real(r.modified)))
            rc = ENOMEM_RET(err);
    }
    if (!rc) {
        json_decref(r.doc);
        r.doc = json_incref(doc);
        rc = bm_state_resource_update(s->db, &r, err);
    }
    if (!rc && !(*resp = json_pack("{s:s}", "EndpointArn", r.arn))) rc = ENOMEM_RET(err);
    json_decref(doc);
    bm_resource_release(&r);
    pthread_mutex_unlock(&endpoint_mu);
    return rc;
}

/* ==================================================================== job definitions */

#define BASELINE_MEMBER "$.ModelBiasBaselineConfig.ConstraintsResource.S3Uri"
#define MAX_BASELINE_BYTES (64u << 20) /* as an execution reads it */

/* A baseline that can be read now must be able to constrain the schedule (violations.h): its
 * shape, and with a readable analysis config its stages, facets and metrics. One that cannot be
 * read yet (not written, or not readable) is checked when an execution runs. Messages never
 * quote the file. */
static int check_baseline(json_t *req, bm_error *err)
{
    const char *uri = str(req, "ModelBiasBaselineConfig.ConstraintsResource.S3Uri");
    if (!uri || !*uri) return BM_OK;
    bm_buf b;
    bm_buf_init(&b, MAX_BASELINE_BYTES);
    bm_error e;
    bm_error_clear(&e);
    int rc = bm_store_read(uri, MAX_BASELINE_BYTES, &b, &e);
    if (rc) {
        bm_buf_release(&b);
        if (rc == BM_ENOMEM) return ENOMEM_RET(err);
        if (rc == BM_ELIMIT)
            return vfail(err, BM_ECONFIG, BASELINE_MEMBER, "the baseline is larger than %u MiB",
                         MAX_BASELINE_BYTES >> 20);
        return BM_OK;
    }
    json_error_t je;
    json_t *base = json_loadb(b.data ? b.data : "", b.len, 0, &je);
    bm_buf_release(&b);
    if (!base) {
        char what[JSON_ERROR_TEXT_LENGTH];
        if (json_error_code(&je) == json_error_out_of_memory) return ENOMEM_RET(err);
        return vfail(err, BM_ECONFIG, BASELINE_MEMBER,
                     "the baseline is not valid JSON (line %d, column %d: %s)", je.line, je.column,
                     bm_json_error_what(&je, what, sizeof(what)));
    }
    bm_analysis_config cfg;
    const char *cfg_uri = str(req, "ModelBiasAppSpecification.ConfigUri");
    int have_cfg = cfg_uri && *cfg_uri && bm_analysis_config_load(cfg_uri, &cfg, &e) == BM_OK;
    bm_error_clear(&e);
    rc = bm_baseline_validate(base, have_cfg ? &cfg : NULL, &e);
    json_decref(base);
    if (have_cfg) bm_analysis_config_release(&cfg);
    if (rc == BM_ENOMEM) return ENOMEM_RET(err);
    if (rc) {
        if (e.path[0] && strcmp(e.path, "$"))
            return vfail(err, BM_ECONFIG, BASELINE_MEMBER, "%s (at %s in the file)", e.msg, e.path);
        return vfail(err, BM_ECONFIG, BASELINE_MEMBER, "%s", e.msg);
    }
    return BM_OK;
}

static int op_create_job_definition(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    bm_job_definition jd;
    int rc = bm_job_definition_from_json(req, &jd, err);
    if (rc) return rc;
    if ((rc = bm__check_uris(req, bm__job_definition_uris, err)) ||
        (rc = bm__webhook_check_env(s, jd.environment, err)) || (rc = check_baseline(req, err))) {
        bm_job_definition_release(&jd);
        return rc;
    }
    /* a baseline named by its baselining job (what the SDK sends without constraints): the job
     * must exist; it may still be running, and is resolved when each execution starts */
    const char *bjn = str(req, "ModelBiasBaselineConfig.BaseliningJobName");
    if (bjn && !str(req, "ModelBiasBaselineConfig.ConstraintsResource.S3Uri")) {
        char uri[1100];
        bm_error e2;
        bm_error_clear(&e2);
        if (bm__processing_baseline(s, bjn, uri, sizeof(uri), &e2) == BM_ENOTFOUND) {
            bm_job_definition_release(&jd);
            return vfail(err, BM_ECONFIG, "$.ModelBiasBaselineConfig.BaseliningJobName", "%s",
                         e2.msg);
        }
    }
    bm_resource r;
    memset(&r, 0, sizeof(r));
    snprintf(r.kind, sizeof(r.kind), BM_RES_JOB_DEFINITION);
    snprintf(r.name, sizeof(r.name), "%s", jd.name);
    snprintf(r.endpoint, sizeof(r.endpoint), "%s",
             jd.input.endpoint_name ? jd.input.endpoint_name : "");
    bm__arn(s, "model-bias-job-definition", jd.name, r.arn, sizeof(r.arn));
    r.created = r.modified = now(s);
    r.next_tick = -1;
    bm_job_definition_release(&jd);
    r.doc = json_deep_copy(req);
    if (!r.doc || json_object_del(r.doc, "Tags") < -1 ||
        json_object_set_new(r.doc, "JobDefinitionArn", json_string(r.arn)) ||
        json_object_set_new(r.doc, "CreationTime", json_real(r.created))) {
        json_decref(r.doc);
        return ENOMEM_RET(err);
    }
    json_object_del(r.doc, "Tags");
    rc = bm_state_resource_create(s->db, &r, err);
    if (rc == BM_EEXISTS)
        rc = vfail(err, BM_EEXISTS, NULL, "Job definition \"%s\" already exists.", r.name);
    if (!rc) rc = put_tags(s, r.arn, req, err);
    if (!rc && !(*resp = json_pack("{s:s}", "JobDefinitionArn", r.arn))) rc = ENOMEM_RET(err);
    json_decref(r.doc);
    return rc;
}

static int op_describe_job_definition(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *name = str(req, "JobDefinitionName");
    bm_resource r;
    int rc = bm_state_resource_get(s->db, BM_RES_JOB_DEFINITION, name, &r, err);
    if (rc == BM_ENOTFOUND)
        return vfail(err, BM_ENOTFOUND, NULL, "Job definition \"%s\" does not exist.", name);
    if (rc) return rc;
    static const char *const keep[] = {"JobDefinitionArn",
                                       "JobDefinitionName",
                                       "CreationTime",
                                       "ModelBiasBaselineConfig",
                                       "ModelBiasAppSpecification",
                                       "ModelBiasJobInput",
                                       "ModelBiasJobOutputConfig",
                                       "JobResources",
                                       "NetworkConfig",
                                       "RoleArn",
                                       "StoppingCondition",
                                       NULL};
    *resp = json_object();
    rc = !*resp || copy_members(*resp, r.doc, keep) ? ENOMEM_RET(err) : BM_OK;
    bm_resource_release(&r);
    return rc;
}

static int op_delete_job_definition(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    (void)resp;
    const char *name = str(req, "JobDefinitionName");
    size_t users;
    int rc = bm_state_resource_count_ref(s->db, BM_RES_SCHEDULE, name, &users, err);
    if (rc) return rc;
    if (users)
        return vfail(err, BM_EBUSY, NULL,
                     "Job definition \"%s\" is used by %zu monitoring schedule%s: delete %s first.",
                     name, users, users == 1 ? "" : "s", users == 1 ? "it" : "them");
    rc = bm_state_resource_delete(s->db, BM_RES_JOB_DEFINITION, name, err);
    if (rc == BM_ENOTFOUND)
        return vfail(err, BM_ENOTFOUND, NULL, "Job definition \"%s\" does not exist.", name);
    return rc;
}

static int op_list_job_definitions(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    bm_resource *v;
    size_t n;
    int rc = bm_state_resource_list(s->db, BM_RES_JOB_DEFINITION, &v, &n, err);
    if (rc) return rc;
    item *items = bm_calloc(n ? n : 1, sizeof(item));
    json_t *all = json_array();
    size_t m = 0;
    const char *ep = str(req, "EndpointName"), *nc = str(req, "NameContains"),
               *by = str(req, "SortBy");
    if (!items || !all) rc = ENOMEM_RET(err);
    for (size_t k = 0; !rc && k < n; k++) {
        if (ep && strcasecmp(ep, v[k].endpoint)) continue;
        if (nc && !contains_ci(v[k].name, nc)) continue;
        if (!time_ok(req, "CreationTimeBefore", "CreationTimeAfter", v[k].created)) continue;
        json_t *sum = json_pack("{s:s,s:s,s:f,s:s}", "MonitoringJobDefinitionName", v[k].name,
                                "MonitoringJobDefinitionArn", v[k].arn, "CreationTime",
                                v[k].created, "EndpointName", v[k].endpoint);
        if (!sum || json_array_append_new(all, sum)) {
            rc = ENOMEM_RET(err);
            break;
        }
        items[m].v = sum;
        items[m].t = v[k].created;
        items[m].s = json_string_value(json_object_get(sum, "MonitoringJobDefinitionName"));
        m++;
    }
    if (!rc && !(*resp = json_object())) rc = ENOMEM_RET(err);
    pthread_mutex_lock(&list_mu);
    if (!rc)
        rc =
            page(items, m, !(by && !strcmp(by, "Name")), req, *resp, "JobDefinitionSummaries", err);
    pthread_mutex_unlock(&list_mu);
    json_decref(all);
    bm_free(items);
    bm_resources_free(v, n);
    return rc;
}

/* ==================================================================== schedules */

/* Checks a MonitoringScheduleConfig beyond its shape and fills in the defaults; sets the
 * schedule's endpoint, job definition and first tick. */
static int check_schedule_config(bm_service *s, json_t *cfg, bm_resource *r, bm_error *err)
{
    const char *jdn = str(cfg, "MonitoringJobDefinitionName");
    const char *type = str(cfg, "MonitoringType");
    if (!jdn)
        return vfail(err, BM_ECONFIG, "$.MonitoringScheduleConfig.MonitoringJobDefinitionName",
                     "missing: a ModelBias schedule names its job definition "
                     "(CreateModelBiasJobDefinition)");
    if (type && strcmp(type, "ModelBias"))
        return vfail(err, BM_ECONFIG, "$.MonitoringScheduleConfig.MonitoringType",
                     "biasmon runs ModelBias schedules only (got \"%s\")", type);
    bm_resource jd;
    int rc = bm_state_resource_get(s->db, BM_RES_JOB_DEFINITION, jdn, &jd, err);
    if (rc == BM_ENOTFOUND)
        return vfail(err, BM_ECONFIG, "$.MonitoringScheduleConfig.MonitoringJobDefinitionName",
                     "job definition \"%s\" does not exist", jdn);
    if (rc) return rc;
    snprintf(r->ref, sizeof(r->ref), "%s", jd.name);
    snprintf(r->endpoint, sizeof(r->endpoint), "%s", jd.endpoint);
    json_t *maxrt = bm_json_get(jd.doc, "StoppingCondition.MaxRuntimeInSeconds");
    bm_resource_release(&jd);
    if (json_object_set_new(cfg, "MonitoringType", json_string("ModelBias")))
        return ENOMEM_RET(err);
    json_t *sc = json_object_get(cfg, "ScheduleConfig");
    if (!sc) { /* the service picks a daily time when ScheduleConfig is omitted: biasmon picks 00:00
                  UTC */
        sc = json_pack("{s:s}", "ScheduleExpression", "cron(0 0 ? * * *)");
        if (!sc || json_object_set_new(cfg, "ScheduleConfig", sc)) return ENOMEM_RET(err);
    }
    const char *expr = str(sc, "ScheduleExpression");
    bm_schedule_expr x;
    bm_error e2;
    bm_error_clear(&e2);
    if (bm_schedule_parse(expr, strlen(expr), &x, &e2))
        return vfail(err, BM_ECONFIG,
                     "$.MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression", "%s", e2.msg);
    const char *ws = str(sc, "DataAnalysisStartTime"), *we = str(sc, "DataAnalysisEndTime");
    if (x.now && (!ws || !we))
        return vfail(err, BM_ECONFIG, "$.MonitoringScheduleConfig.ScheduleConfig",
                     "a NOW schedule needs both DataAnalysisStartTime and DataAnalysisEndTime");
    if ((ws != NULL) != (we != NULL))
        return vfail(err, BM_ECONFIG, "$.MonitoringScheduleConfig.ScheduleConfig",
                     "DataAnalysisStartTime and DataAnalysisEndTime go together");
    if (ws) {
        int64_t a, b;
        if (bm_duration_parse(ws, strlen(ws), &a, &e2))
            return vfail(err, BM_ECONFIG,
                         "$.MonitoringScheduleConfig.ScheduleConfig.DataAnalysisStartTime", "%s",
                         e2.msg);
        if (bm_duration_parse(we, strlen(we), &b, &e2))
            return vfail(err, BM_ECONFIG,
                         "$.MonitoringScheduleConfig.ScheduleConfig.DataAnalysisEndTime", "%s",
                         e2.msg);
        if (a >= b)
            return vfail(err, BM_ECONFIG, "$.MonitoringScheduleConfig.ScheduleConfig",
                         "DataAnalysisStartTime (%s) must come before DataAnalysisEndTime (%s)", ws,
                         we);
        if (b - a > 86400)
            return vfail(err, BM_ECONFIG, "$.MonitoringScheduleConfig.ScheduleConfig",
                         "the analysis window may not exceed 24 hours (%s to %s)", ws, we);
    }
    if (!x.now && maxrt && bm_schedule_period(&x) <= 3600 && json_integer_value(maxrt) > 1800)
        return vfail(err, BM_ECONFIG, "$.MonitoringScheduleConfig",
                     "job definition \"%s\" has MaxRuntimeInSeconds %lld; for hourly ModelBias "
                     "schedules it must be "
                     "at most 1800",
                     jdn, (long long)json_integer_value(maxrt));
    if (r->endpoint[0]) {
        bm_resource ep;
        rc = bm_state_resource_get(s->db, BM_RES_ENDPOINT, r->endpoint, &ep, err);
        if (rc == BM_ENOTFOUND)
            return vfail(err, BM_ECONFIG, "$.MonitoringScheduleConfig.MonitoringJobDefinitionName",
                         "endpoint \"%s\" of job definition \"%s\" does not exist (CreateEndpoint)",
                         r->endpoint, jdn);
        if (rc) return rc;
        json_t *en = bm_json_get(ep.doc, "DataCaptureConfig.EnableCapture");
        int capture = en && json_is_true(en);
        bm_resource_release(&ep);
        if (!capture)
            return vfail(err, BM_ECONFIG, "$.MonitoringScheduleConfig.MonitoringJobDefinitionName",
                         "endpoint \"%s\" has no data capture: its endpoint configuration needs a "
                         "DataCaptureConfig",
                         r->endpoint);
    }
    double t = now(s);
    r->next_tick = x.now ? (int64_t)floor(t) : bm_schedule_next(&x, (int64_t)floor(t));
    return BM_OK;
}

static int op_create_schedule(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *name = str(req, "MonitoringScheduleName");
    bm_resource r;
    memset(&r, 0, sizeof(r));
    snprintf(r.kind, sizeof(r.kind), BM_RES_SCHEDULE);
    snprintf(r.name, sizeof(r.name), "%s", name);
    snprintf(r.status, sizeof(r.status), "Scheduled");
    bm__arn(s, "monitoring-schedule", name, r.arn, sizeof(r.arn));
    r.created = r.modified = now(s);
    json_t *cfg = json_deep_copy(json_object_get(req, "MonitoringScheduleConfig"));
    if (!cfg) return ENOMEM_RET(err);
    int rc = check_schedule_config(s, cfg, &r, err);
    if (rc) {
        json_decref(cfg);
        return rc;
    }
    r.doc = json_pack("{s:s,s:s,s:s,s:s,s:f,s:f,s:o}", "MonitoringScheduleArn", r.arn,
                      "MonitoringScheduleName", name, "MonitoringScheduleStatus", "Scheduled",
                      "MonitoringType", "ModelBias", "CreationTime", r.created, "LastModifiedTime",
                      r.modified, "MonitoringScheduleConfig", cfg);
    if (r.doc && r.endpoint[0]) json_object_set_new(r.doc, "EndpointName", json_string(r.endpoint));
    if (!r.doc) return ENOMEM_RET(err);
    rc = bm_state_resource_create(s->db, &r, err);
    if (rc == BM_EEXISTS)
        rc = vfail(err, BM_EEXISTS, NULL, "Monitoring schedule \"%s\" already exists.", name);
    if (!rc) rc = put_tags(s, r.arn, req, err);
    if (!rc && !(*resp = json_pack("{s:s}", "MonitoringScheduleArn", r.arn))) rc = ENOMEM_RET(err);
    json_decref(r.doc);
    if (!rc) {
        bm__log(s, BM_LOG_INFO, "schedule_created", "schedule=%s next_tick=%lld", name,
                (long long)r.next_tick);
        bm__scheduler_wake(s);
    }
    return rc;
}

static int get_schedule(bm_service *s, const char *name, bm_resource *r, bm_error *err)
{
    int rc = bm_state_resource_get(s->db, BM_RES_SCHEDULE, name, r, err);
    if (rc == BM_ENOTFOUND)
        return vfail(err, BM_ENOTFOUND, NULL, "Monitoring Schedule \"%s\" does not exist.", name);
    return rc;
}

json_t *bm__execution_summary(bm_service *s, const bm_exec_record *e)
{
    json_t *o =
        json_pack("{s:s,s:I,s:f,s:f,s:s,s:s,s:s}", "MonitoringScheduleName", e->schedule,
                  "ScheduledTime", (json_int_t)e->scheduled_time, "CreationTime", e->created,
                  "LastModifiedTime", e->modified, "MonitoringExecutionStatus", e->status,
                  "MonitoringJobDefinitionName", e->job_definition, "MonitoringType", "ModelBias");
    if (!o) return NULL;
    if (e->job_name[0]) {
        char arn[256];
        bm__arn(s, "processing-job", e->job_name, arn, sizeof(arn));
        json_object_set_new(o, "ProcessingJobArn", json_string(arn));
    }
    if (e->endpoint[0]) json_object_set_new(o, "EndpointName", json_string(e->endpoint));
    if (e->failure_reason[0])
        json_object_set_new(o, "FailureReason", json_string(e->failure_reason));
    return o;
}

static int op_describe_schedule(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    bm_resource r;
    int rc = get_schedule(s, str(req, "MonitoringScheduleName"), &r, err);
    if (rc) return rc;
    bm_exec_record e;
    *resp = json_deep_copy(r.doc);
    if (!*resp) rc = ENOMEM_RET(err);
    if (!rc) {
        json_object_set_new(*resp, "MonitoringScheduleStatus", json_string(r.status));
        json_object_set_new(*resp, "LastModifiedTime", json_real(r.modified));
        bm_error e2;
        bm_error_clear(&e2);
        if (!bm_state_exec_latest(s->db, r.name, &e, &e2)) {
            json_t *sum = bm__execution_summary(s, &e);
            if (!sum || json_object_set_new(*resp, "LastMonitoringExecutionSummary", sum))
                rc = ENOMEM_RET(err);
        }
    }
    bm_resource_release(&r);
    return rc;
}

static int op_update_schedule_locked(bm_service *s, json_t *req, json_t **resp, bm_error *err);

static int op_update_schedule(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    pthread_mutex_lock(&s->sched_mu);
    int rc = op_update_schedule_locked(s, req, resp, err);
    pthread_mutex_unlock(&s->sched_mu);
    return rc;
}

static int op_update_schedule_locked(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    bm_resource r;
    int rc = get_schedule(s, str(req, "MonitoringScheduleName"), &r, err);
    if (rc) return rc;
    json_t *cfg = json_deep_copy(json_object_get(req, "MonitoringScheduleConfig"));
    if (!cfg) rc = ENOMEM_RET(err);
    if (!rc) rc = check_schedule_config(s, cfg, &r, err);
    if (!rc) {
        r.modified = now(s);
        snprintf(r.status, sizeof(r.status), "Scheduled");
        json_object_set_new(r.doc, "MonitoringScheduleConfig", cfg);
        cfg = NULL;
        json_object_set_new(r.doc, "MonitoringScheduleStatus", json_string("Scheduled"));
        json_object_set_new(r.doc, "LastModifiedTime", json_real(r.modified));
        if (r.endpoint[0])
            json_object_set_new(r.doc, "EndpointName", json_string(r.endpoint));
        else
            json_object_del(r.doc, "EndpointName");
        rc = bm_state_resource_update(s->db, &r, err);
    }
    if (!rc && !(*resp = json_pack("{s:s}", "MonitoringScheduleArn", r.arn))) rc = ENOMEM_RET(err);
    json_decref(cfg);
    bm_resource_release(&r);
    if (!rc) bm__scheduler_wake(s);
    return rc;
}

static int set_schedule_status(bm_service *s, json_t *req, const char *status, bm_error *err)
{
    bm_resource r;
    pthread_mutex_lock(&s->sched_mu);
    int rc = get_schedule(s, str(req, "MonitoringScheduleName"), &r, err);
    if (rc) {
        pthread_mutex_unlock(&s->sched_mu);
        return rc;
    }
    if (!strcmp(status, "Scheduled") && strcmp(r.status, "Scheduled")) {
        /* a started schedule continues from the next tick: the stopped period is not backfilled */
        r.next_tick = bm__schedule_next_tick(r.doc, (int64_t)floor(now(s)));
    }
    snprintf(r.status, sizeof(r.status), "%s", status);
    r.modified = now(s);
    json_object_set_new(r.doc, "MonitoringScheduleStatus", json_string(status));
    json_object_set_new(r.doc, "LastModifiedTime", json_real(r.modified));
    rc = bm_state_resource_update(s->db, &r, err);
    pthread_mutex_unlock(&s->sched_mu);
    bm_resource_release(&r);
    if (!rc) bm__scheduler_wake(s);
    return rc;
}

static int op_start_schedule(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    (void)resp;
    return set_schedule_status(s, req, "Scheduled", err);
}

static int op_stop_schedule(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    (void)resp;
    return set_schedule_status(s, req, "Stopped", err);
}

static int op_delete_schedule(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    (void)resp;
    const char *name = str(req, "MonitoringScheduleName");
    pthread_mutex_lock(&s->sched_mu);
    int rc = bm_state_resource_delete(s->db, BM_RES_SCHEDULE, name, err);
    pthread_mutex_unlock(&s->sched_mu);
    if (!rc) bm__scheduler_wake(s);
    if (rc == BM_ENOTFOUND)
        return vfail(err, BM_ENOTFOUND, NULL, "Monitoring Schedule \"%s\" does not exist.", name);
    return rc;
}

static int op_list_schedules(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    bm_resource *v;
    size_t n;
    int rc = bm_state_resource_list(s->db, BM_RES_SCHEDULE, &v, &n, err);
    if (rc) return rc;
    item *items = bm_calloc(n ? n : 1, sizeof(item));
    json_t *all = json_array();
    size_t m = 0;
    const char *ep = str(req, "EndpointName"), *nc = str(req, "NameContains"),
               *by = str(req, "SortBy"), *st = str(req, "StatusEquals"),
               *jd = str(req, "MonitoringJobDefinitionName"),
               *ty = str(req, "MonitoringTypeEquals");
    if (!items || !all) rc = ENOMEM_RET(err);
    for (size_t k = 0; !rc && k < n; k++) {
        if (ep && strcasecmp(ep, v[k].endpoint)) continue;
        if (nc && !contains_ci(v[k].name, nc)) continue;
        if (st && strcmp(st, v[k].status)) continue;
        if (jd && strcasecmp(jd, v[k].ref)) continue;
        if (ty && strcmp(ty, "ModelBias")) continue;
        if (!time_ok(req, "CreationTimeBefore", "CreationTimeAfter", v[k].created) ||
            !time_ok(req, "LastModifiedTimeBefore", "LastModifiedTimeAfter", v[k].modified))
            continue;
        json_t *sum =
            json_pack("{s:s,s:s,s:f,s:f,s:s,s:s,s:s}", "MonitoringScheduleName", v[k].name,
                      "MonitoringScheduleArn", v[k].arn, "CreationTime", v[k].created,
                      "LastModifiedTime", v[k].modified, "MonitoringScheduleStatus", v[k].status,
                      "MonitoringJobDefinitionName", v[k].ref, "MonitoringType", "ModelBias");
        if (sum && v[k].endpoint[0])
            json_object_set_new(sum, "EndpointName", json_string(v[k].endpoint));
        if (!sum || json_array_append_new(all, sum)) {
            rc = ENOMEM_RET(err);
            break;
        }
        items[m].v = sum;
        items[m].t = v[k].created;
        items[m].s = json_string_value(json_object_get(sum, by && !strcmp(by, "Status")
                                                                ? "MonitoringScheduleStatus"
                                                                : "MonitoringScheduleName"));
        m++;
    }
    if (!rc && !(*resp = json_object())) rc = ENOMEM_RET(err);
    pthread_mutex_lock(&list_mu);
    if (!rc)
        rc = page(items, m, !by || !strcmp(by, "CreationTime"), req, *resp,
                  "MonitoringScheduleSummaries", err);
    pthread_mutex_unlock(&list_mu);
    json_decref(all);
    bm_free(items);
    bm_resources_free(v, n);
    return rc;
}

/* ==================================================================== executions */

/* A time bound of the request: NULL when absent, else its number (0 for a non-number, as the
 * in-memory filter read it). */
static const double *bound(json_t *req, const char *key, double *slot)
{
    json_t *v = json_object_get(req, key);
    if (!v) return NULL;
    *slot = json_number_value(v);
    return slot;
}

/* Filters, sort and page go to SQL: a request reads one page of records, whatever the history. */
static int op_list_executions(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *ty = str(req, "MonitoringTypeEquals"), *by = str(req, "SortBy"),
               *order = str(req, "SortOrder"), *tok = str(req, "NextToken");
    double slots[6];
    bm_exec_filter f = {
        .schedule = str(req, "MonitoringScheduleName"),
        .status = str(req, "StatusEquals"),
        .endpoint = str(req, "EndpointName"),
        .job_definition = str(req, "MonitoringJobDefinitionName"),
        .scheduled_before = bound(req, "ScheduledTimeBefore", &slots[0]),
        .scheduled_after = bound(req, "ScheduledTimeAfter", &slots[1]),
        .created_before = bound(req, "CreationTimeBefore", &slots[2]),
        .created_after = bound(req, "CreationTimeAfter", &slots[3]),
        .modified_before = bound(req, "LastModifiedTimeBefore", &slots[4]),
        .modified_after = bound(req, "LastModifiedTimeAfter", &slots[5]),
        .sort = by && !strcmp(by, "Status")          ? BM_EXEC_BY_STATUS
                : by && !strcmp(by, "ScheduledTime") ? BM_EXEC_BY_SCHEDULED
                                                     : BM_EXEC_BY_CREATED,
        .descending = !order || !strcmp(order, "Descending"),
    };
    if (tok) {
        char *end;
        if (strncmp(tok, "bm1-", 4) || !tok[4] || (f.offset = strtoul(tok + 4, &end, 10), *end))
            return vfail(err, BM_ECONFIG, "$.NextToken", "invalid pagination token");
    }
    json_t *mr = json_object_get(req, "MaxResults");
    size_t max = mr ? (size_t)json_integer_value(mr) : 10, end = f.offset + max;
    f.limit = end > f.offset ? max : 0; /* an offset + max past SIZE_MAX lists nothing */
    bm_exec_record *v = NULL;
    size_t n = 0, total = 0;
    int rc = BM_OK;
    if (!ty || !strcmp(ty, "ModelBias")) rc = bm_state_exec_page(s->db, &f, &v, &n, &total, err);
    if (rc) return rc;
    json_t *list = json_array();
    if (f.offset > total)
        rc = vfail(err, BM_ECONFIG, "$.NextToken", "invalid pagination token");
    else if (!list || !(*resp = json_object()) ||
             json_object_set(*resp, "MonitoringExecutionSummaries", list))
        rc = ENOMEM_RET(err);
    for (size_t k = 0; !rc && k < n; k++) {
        json_t *sum = bm__execution_summary(s, &v[k]);
        if (!sum || json_array_append_new(list, sum)) rc = ENOMEM_RET(err);
    }
    if (!rc && end < total) {
        char t[40];
        snprintf(t, sizeof(t), "bm1-%zu", end);
        if (json_object_set_new(*resp, "NextToken", json_string(t))) rc = ENOMEM_RET(err);
    }
    if (rc && *resp) {
        json_decref(*resp);
        *resp = NULL;
    }
    json_decref(list);
    bm_free(v);
    return rc;
}

/* ==================================================================== processing jobs */

static int op_create_processing_job(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    return bm__processing_create(s, req, resp, err);
}

static int op_stop_processing_job(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    (void)resp;
    return bm__processing_stop(s, str(req, "ProcessingJobName"), err);
}

/* The processing-job summary of a monitoring execution that has started. */
static json_t *execution_job_summary(bm_service *s, const bm_exec_record *e)
{
    char arn[256];
    bm__arn(s, "processing-job", e->job_name, arn, sizeof(arn));
    const char *status = !strcmp(e->status, "CompletedWithViolations") ? "Completed"
                         : !strcmp(e->status, "Pending")               ? "InProgress"
                                                                       : e->status;
    json_t *o = json_pack("{s:s,s:s,s:f,s:f,s:s}", "ProcessingJobName", e->job_name,
                          "ProcessingJobArn", arn, "CreationTime", e->created, "LastModifiedTime",
                          e->modified, "ProcessingJobStatus", status);
    if (o && e->ended > 0) json_object_set_new(o, "ProcessingEndTime", json_real(e->ended));
    if (o && e->failure_reason[0])
        json_object_set_new(o, "FailureReason", json_string(e->failure_reason));
    return o;
}

static int op_list_processing_jobs(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *nc = str(req, "NameContains"), *st = str(req, "StatusEquals"),
               *by = str(req, "SortBy");
    json_t *all = json_array();
    bm_exec_record *v = NULL;
    size_t n = 0;
    int rc = all ? bm__processing_summaries(s, all, err) : ENOMEM_RET(err);
    if (!rc) rc = bm_state_exec_list(s->db, NULL, NULL, 0, &v, &n, err);
    for (size_t k = 0; !rc && k < n; k++) { /* monitoring executions run as processing jobs too */
        if (!v[k].job_name[0]) continue;
        json_t *sum = execution_job_summary(s, &v[k]);
        if (!sum || json_array_append_new(all, sum)) rc = ENOMEM_RET(err);
    }
    bm_free(v);
    size_t total = json_array_size(all), m = 0;
    item *items = rc ? NULL : bm_calloc(total ? total : 1, sizeof(item));
    if (!rc && !items) rc = ENOMEM_RET(err);
    for (size_t k = 0; !rc && k < total; k++) {
        json_t *sum = json_array_get(all, k);
        const char *name = str(sum, "ProcessingJobName"), *status = str(sum, "ProcessingJobStatus");
        double created = json_number_value(json_object_get(sum, "CreationTime")),
               modified = json_number_value(json_object_get(sum, "LastModifiedTime"));
        if (nc && !contains_ci(name, nc)) continue;
        if (st && strcmp(st, status)) continue;
        if (!time_ok(req, "CreationTimeBefore", "CreationTimeAfter", created) ||
            !time_ok(req, "LastModifiedTimeBefore", "LastModifiedTimeAfter", modified))
            continue;
        items[m].v = sum;
        items[m].t = created;
        items[m].s = by && !strcmp(by, "Status") ? status : name;
        m++;
    }
    if (!rc && !(*resp = json_object())) rc = ENOMEM_RET(err);
    pthread_mutex_lock(&list_mu);
    if (!rc)
        rc = page(items, m, !by || !strcmp(by, "CreationTime"), req, *resp,
                  "ProcessingJobSummaries", err);
    pthread_mutex_unlock(&list_mu);
    json_decref(all);
    bm_free(items);
    return rc;
}

static int op_describe_processing_job(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *name = str(req, "ProcessingJobName");
    int rc = bm__processing_describe(s, name, resp, err);
    if (rc != BM_ENOTFOUND) return rc;
    bm_error_clear(err);
    /* else the processing job of a monitoring execution */
    bm_exec_record *e = bm_malloc(sizeof(*e));
    if (!e) return ENOMEM_RET(err);
    rc = bm_state_exec_by_job(s->db, name, e, err);
    if (rc == BM_ENOTFOUND || rc == BM_EINVAL) { /* EINVAL: a name no job can have */
        bm_free(e);
        bm_error_clear(err);
        return vfail(err, BM_ENOTFOUND, NULL, "Could not find job to update with name %s", name);
    }
    if (rc) {
        bm_free(e);
        return rc;
    }
    char sched_arn[256];
    bm__arn(s, "monitoring-schedule", e->schedule, sched_arn, sizeof(sched_arn));
    bm_resource jd;
    json_t *res = NULL, *app = NULL, *role = NULL, *stop = NULL;
    bm_error e2;
    bm_error_clear(&e2);
    if (!bm_state_resource_get(s->db, BM_RES_JOB_DEFINITION, e->job_definition, &jd, &e2)) {
        res = json_incref(json_object_get(jd.doc, "JobResources"));
        app = json_incref(bm_json_get(jd.doc, "ModelBiasAppSpecification.ImageUri"));
        role = json_incref(json_object_get(jd.doc, "RoleArn"));
        stop = json_incref(json_object_get(jd.doc, "StoppingCondition"));
        bm_resource_release(&jd);
    }
    /* the summary ListProcessingJobs gives, and what only a description has */
    *resp = execution_job_summary(s, e);
    json_t *more =
        json_pack("{s:s,s:{s:[{s:s,s:{s:s,s:s,s:s}}]},s:o,s:{s:o},s:o}", "MonitoringScheduleArn",
                  sched_arn, "ProcessingOutputConfig", "Outputs", "OutputName", "result",
                  "S3Output", "S3Uri", e->output_uri, "LocalPath", "/opt/ml/processing/output",
                  "S3UploadMode", "Continuous", "ProcessingResources",
                  res ? res
                      : json_pack("{s:{s:i,s:s,s:i}}", "ClusterConfig", "InstanceCount", 1,
                                  "InstanceType", "ml.m5.xlarge", "VolumeSizeInGB", 30),
                  "AppSpecification", "ImageUri", app ? app : json_string("biasmon"),
                  "ProcessingInputs", json_array());
    if (!more || (*resp && json_object_update(*resp, more))) {
        json_decref(*resp);
        *resp = NULL;
    }
    json_decref(more);
    if (*resp) {
        if (role) json_object_set(*resp, "RoleArn", role);
        if (stop) json_object_set(*resp, "StoppingCondition", stop);
        if (e->started > 0)
            json_object_set_new(*resp, "ProcessingStartTime", json_real(e->started));
        if (e->failure_reason[0])
            json_object_set_new(*resp, "ExitMessage", json_string(e->failure_reason));
    }
    json_decref(role);
    json_decref(stop);
    bm_free(e);
    return *resp ? BM_OK : ENOMEM_RET(err);
}

/* ==================================================================== tags */

/* The resource an ARN names must exist. */
static int check_arn(bm_service *s, const char *arn, bm_error *err)
{
    static const struct {
        const char *type, *kind;
    } kinds[] = {{"monitoring-schedule", BM_RES_SCHEDULE},
                 {"model-bias-job-definition", BM_RES_JOB_DEFINITION},
                 {"endpoint", BM_RES_ENDPOINT},
                 {"endpoint-config", BM_RES_ENDPOINT_CONFIG},
                 {"processing-job", BM_RES_PROCESSING_JOB}};
    const char *slash = strrchr(arn, '/');
    const char *colon = slash ? slash : arn;
    while (colon > arn && *colon != ':')
        colon--;
    if (slash && *colon == ':') {
        size_t tl = (size_t)(slash - colon - 1);
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
            if (strlen(kinds[k].type) != tl || strncmp(colon + 1, kinds[k].type, tl)) continue;
            bm_resource r;
            int rc = bm_state_resource_get(s->db, kinds[k].kind, slash + 1, &r, err);
            if (rc == BM_ENOTFOUND) break;
            if (rc) return rc;
            int same = !strcmp(r.arn, arn);
            bm_resource_release(&r);
            if (same) return BM_OK;
        }
    }
    return vfail(err, BM_ECONFIG, "$.ResourceArn", "Resource %s does not exist", arn);
}

static int op_add_tags(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *arn = str(req, "ResourceArn");
    int rc = check_arn(s, arn, err);
    if (!rc) rc = bm_state_tags_add(s->db, arn, json_object_get(req, "Tags"), err);
    if (!rc && !(*resp = json_pack("{s:O}", "Tags", json_object_get(req, "Tags"))))
        rc = ENOMEM_RET(err);
    return rc;
}

static int op_list_tags(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *arn = str(req, "ResourceArn");
    json_t *tags = NULL;
    int rc = check_arn(s, arn, err);
    if (!rc) rc = bm_state_tags_list(s->db, arn, &tags, err);
    if (!rc && !(*resp = json_pack("{s:o}", "Tags", tags))) rc = ENOMEM_RET(err);
    return rc;
}

static int op_delete_tags(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    (void)resp;
    const char *arn = str(req, "ResourceArn");
    int rc = check_arn(s, arn, err);
    if (!rc) rc = bm_state_tags_delete(s->db, arn, json_object_get(req, "TagKeys"), err);
    return rc;
}

/* ==================================================================== biasmon run */

static int op_run(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *name = str(req, "MonitoringScheduleName");
    bm_resource r;
    int rc = get_schedule(s, name, &r, err);
    if (rc) return rc;
    json_t *at = json_object_get(req, "ScheduledTime");
    const char *e = str(r.doc, "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression");
    bm_schedule_expr x;
    int cron = e && !bm_schedule_parse(e, strlen(e), &x, NULL) && !x.now;
    int64_t T;
    if (at) {
        T = (int64_t)floor(json_number_value(at));
        /* outputs live in the hour folder of T: a time within an hour would share (and
         * overwrite) the folder of that hour's execution */
        bm_error te;
        bm_error_clear(&te);
        if (cron && bm_execution_time_check(T, &te)) {
            bm_resource_release(&r);
            return vfail(err, BM_ECONFIG, "$.ScheduledTime", "%s", te.msg);
        }
    } else { /* the latest tick at or before now (NOW schedules: now) */
        T = (int64_t)floor(now(s));
        if (cron) T = bm_schedule_prev(&x, T);
    }
    bm_resource_release(&r);
    int64_t id;
    rc = bm__scheduler_run(s, name, T, &id, err);
    if (rc == BM_EEXISTS) {
        char t[32];
        bm_time_format(T, t, sizeof(t));
        return vfail(err, BM_EEXISTS, NULL, "schedule \"%s\" already has an execution for %s", name,
                     t);
    }
    if (!rc && !(*resp = json_pack("{s:s,s:I,s:I}", "MonitoringScheduleName", name, "ScheduledTime",
                                   (json_int_t)T, "ExecutionId", (json_int_t)id)))
        rc = ENOMEM_RET(err);
    return rc;
}

/* ==================================================================== dispatch */

static const bm__op ops[] = {
    {"SageMaker.CreateEndpointConfig", op_create_endpoint_config},
    {"SageMaker.DescribeEndpointConfig", op_describe_endpoint_config},
    {"SageMaker.DeleteEndpointConfig", op_delete_endpoint_config},
    {"SageMaker.CreateEndpoint", op_create_endpoint},
    {"SageMaker.DescribeEndpoint", op_describe_endpoint},
    {"SageMaker.DeleteEndpoint", op_delete_endpoint},
    {"SageMaker.UpdateEndpoint", op_update_endpoint},
    {"SageMaker.UpdateEndpointWeightsAndCapacities", op_update_weights},
    {"SageMaker.CreateModelBiasJobDefinition", op_create_job_definition},
    {"SageMaker.DescribeModelBiasJobDefinition", op_describe_job_definition},
    {"SageMaker.ListModelBiasJobDefinitions", op_list_job_definitions},
    {"SageMaker.DeleteModelBiasJobDefinition", op_delete_job_definition},
    {"SageMaker.CreateMonitoringSchedule", op_create_schedule},
    {"SageMaker.DescribeMonitoringSchedule", op_describe_schedule},
    {"SageMaker.ListMonitoringSchedules", op_list_schedules},
    {"SageMaker.UpdateMonitoringSchedule", op_update_schedule},
    {"SageMaker.StartMonitoringSchedule", op_start_schedule},
    {"SageMaker.StopMonitoringSchedule", op_stop_schedule},
    {"SageMaker.DeleteMonitoringSchedule", op_delete_schedule},
    {"SageMaker.ListMonitoringExecutions", op_list_executions},
    {"SageMaker.CreateProcessingJob", op_create_processing_job},
    {"SageMaker.DescribeProcessingJob", op_describe_processing_job},
    {"SageMaker.ListProcessingJobs", op_list_processing_jobs},
    {"SageMaker.StopProcessingJob", op_stop_processing_job},
    {"SageMaker.AddTags", op_add_tags},
    {"SageMaker.ListTags", op_list_tags},
    {"SageMaker.DeleteTags", op_delete_tags},
    {"Biasmon.StartMonitoringExecution", op_run},
    /* the runtime's (runtime.c): labels by inference id */
    {"Biasmon.PutGroundTruth", bm__runtime_put_ground_truth},
};

const bm__op *bm__op_at(size_t i)
{
    size_t n = sizeof(ops) / sizeof(ops[0]);
    return i < n ? &ops[i] : bm__model_op_at(i - n);
}

const bm__op *bm__find_op(const char *target)
{
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
        if (!strcmp(ops[k].name, target)) return &ops[k];
    return bm__find_model_op(target);
}
