/* Clarify processing jobs: what SageMakerClarifyProcessor (and so
 * ModelBiasMonitor.suggest_baseline) sends as CreateProcessingJob, run as `biasmon analyze` in the
 * worker pool.
 *
 * A job is a BM_RES_PROCESSING_JOB resource whose document is what DescribeProcessingJob returns.
 * Its internal status: Pending (queued, described as InProgress) -> InProgress (a worker runs it)
 * -> Completed | Failed | Stopped, with Stopping between InProgress and Stopped when asked to
 * stop. pj_mu is held over every read-modify-write of a job, so the API's Stop and the
 * scheduler's start and reap never overwrite each other. The worker is confined to the service's
 * roots as execution workers are; its last log line becomes FailureReason or ExitMessage. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include "biasmon/store.h"
#include "biasmon/sagemaker.h"
#include "serve/internal.h"
#include "serve/runtime.h"

/* SageMaker's FailureReason and ExitMessage are at most 1,024 characters */
#define MAX_REASON 1024

static double now_ms(bm_service *s)
{
    return floor(bm_clock_now(&s->clock) * 1000) / 1000;
}

static int fail_at(bm_error *err, int code, const char *path, const char *msg)
{
    bm_error_set(err, code, "%s", msg);
    snprintf(err->path, sizeof(err->path), "%s", path);
    return code;
}

/* What biasmon runs, for the refusals. */
#define WHAT_BIASMON_RUNS                                                                          \
    "biasmon runs SageMaker Clarify bias analysis jobs as SageMakerClarifyProcessor sends them: "  \
    "inputs \"analysis_config\" and \"dataset\" (S3Input, S3Prefix), one output "                  \
    "\"analysis_result\" (S3Output)"

/* The input named name ("analysis_config", "dataset") of a request or document, and its index. */
static json_t *input_named(json_t *doc, const char *name, size_t *at)
{
    json_t *inputs = json_object_get(doc, "ProcessingInputs"), *v;
    size_t k;
    json_array_foreach(inputs, k, v)
    {
        const char *n = json_string_value(json_object_get(v, "InputName"));
        if (n && !strcmp(n, name)) {
            if (at) *at = k;
            return v;
        }
    }
    return NULL;
}

static const char *input_uri(json_t *doc, const char *name)
{
    return bm_json_string(input_named(doc, name, NULL), "S3Input.S3Uri");
}

static const char *output_uri(json_t *doc)
{
    return bm_json_string(doc, "ProcessingOutputConfig.Outputs[0].S3Output.S3Uri");
}

/* A request biasmon can run: a Clarify bias job, nothing else. */
static int check_clarify_job(json_t *req, bm_error *err)
{
    if (json_object_get(json_object_get(req, "AppSpecification"), "ContainerEntrypoint"))
        return fail_at(err, BM_ECONFIG, "$.AppSpecification.ContainerEntrypoint",
                       WHAT_BIASMON_RUNS "; it does not run containers or scripts");
    json_t *inputs = json_object_get(req, "ProcessingInputs"), *v;
    size_t k;
    char path[96];
    json_array_foreach(inputs, k, v)
    {
        const char *n = json_string_value(json_object_get(v, "InputName"));
        snprintf(path, sizeof(path), "$.ProcessingInputs[%zu].InputName", k);
        if (strcmp(n, "analysis_config") && strcmp(n, "dataset"))
            return fail_at(err, BM_ECONFIG, path, WHAT_BIASMON_RUNS "; this input is neither");
        size_t first;
        if (input_named(req, n, &first) && first != k)
            return fail_at(err, BM_ECONFIG, path, "this input name appears twice");
        json_t *s3 = json_object_get(v, "S3Input");
        snprintf(path, sizeof(path), "$.ProcessingInputs[%zu].S3Input", k);
        if (!s3)
            return fail_at(err, BM_ECONFIG, path,
                           "required: biasmon reads inputs from S3Input URIs");
        const char *type = json_string_value(json_object_get(s3, "S3DataType"));
        snprintf(path, sizeof(path), "$.ProcessingInputs[%zu].S3Input.S3DataType", k);
        if (strcmp(type, "S3Prefix"))
            return fail_at(err, BM_ECONFIG, path,
                           "biasmon reads S3Prefix inputs (an object, or a folder holding one)");
        const char *gz = json_string_value(json_object_get(s3, "S3CompressionType"));
        snprintf(path, sizeof(path), "$.ProcessingInputs[%zu].S3Input.S3CompressionType", k);
        if (gz && strcmp(gz, "None"))
            return fail_at(err, BM_ECONFIG, path, "biasmon reads uncompressed inputs (None)");
    }
    if (!input_named(req, "analysis_config", NULL) || !input_named(req, "dataset", NULL))
        return fail_at(err, BM_ECONFIG, "$.ProcessingInputs",
                       WHAT_BIASMON_RUNS "; an input is missing");
    json_t *outputs = bm_json_get(req, "ProcessingOutputConfig.Outputs");
    if (json_array_size(outputs) != 1)
        return fail_at(err, BM_ECONFIG, "$.ProcessingOutputConfig.Outputs", WHAT_BIASMON_RUNS);
    const char *on = bm_json_string(req, "ProcessingOutputConfig.Outputs[0].OutputName");
    if (strcmp(on, "analysis_result"))
        return fail_at(err, BM_ECONFIG, "$.ProcessingOutputConfig.Outputs[0].OutputName",
                       WHAT_BIASMON_RUNS);
    if (!output_uri(req))
        return fail_at(err, BM_ECONFIG, "$.ProcessingOutputConfig.Outputs[0].S3Output",
                       "required: biasmon writes analysis.json to an S3Output URI");
    return BM_OK;
}

/* Every URI of a job against the store's confinement; err->path names the member. */
static int check_job_uris(json_t *doc, bm_error *err)
{
    static const char *const names[] = {"analysis_config", "dataset"};
    for (size_t k = 0; k < 2; k++) {
        size_t at = 0;
        json_t *in = input_named(doc, names[k], &at);
        const char *uri = bm_json_string(in, "S3Input.S3Uri");
        if (!uri) continue;
        int rc = bm_store_check(uri, err);
        if (rc) {
            snprintf(err->path, sizeof(err->path), "$.ProcessingInputs[%zu].S3Input.S3Uri", at);
            return rc == BM_ENOTFOUND ? (err->code = BM_EINVAL) : rc;
        }
    }
    const char *out = output_uri(doc);
    int rc = out ? bm_store_check(out, err) : BM_OK;
    if (rc) {
        snprintf(err->path, sizeof(err->path),
                 "$.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri");
        return rc == BM_ENOTFOUND ? (err->code = BM_EINVAL) : rc;
    }
    return BM_OK;
}

/* ==================================================================== the predictor */

/* The job document's member that records the model a config's predictor names (resolved to its
 * URL when the job starts); never described. */
#define PREDICTOR_KEY "BiasmonPredictor"
#define MAX_CONFIG_BYTES (16u << 20)

/* When the job's analysis config has a `predictor` and no `predicted_label` (the SDK's
 * suggest_baseline(model_config=...)), the model or endpoint it names must exist: recorded in
 * doc as {"ModelName"} or {"EndpointName"}. A config that cannot be read now is left to the
 * worker, which reports it as it does without a predictor. */
static int check_predictor(bm_service *s, json_t *req, json_t *doc, bm_error *err)
{
    size_t at = 0;
    const char *uri = bm_json_string(input_named(req, "analysis_config", &at), "S3Input.S3Uri");
    char one[4096];
    bm_error e;
    bm_error_clear(&e);
    if (!uri || bm_store_resolve_one(uri, one, sizeof(one), &e)) return BM_OK;
    bm_buf b;
    bm_buf_init(&b, MAX_CONFIG_BYTES + 1);
    json_t *cfg = NULL;
    if (!bm_store_read(one, MAX_CONFIG_BYTES, &b, &e))
        cfg = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    bm_buf_release(&b);
    json_t *p = json_object_get(cfg, "predictor");
    int rc = BM_OK;
    json_t *methods = json_object_get(cfg, "methods");
    /* the model is asked only for post-training metrics (all of them when methods is absent) */
    if (!json_is_object(p) || json_object_get(cfg, "predicted_label") ||
        (methods && !json_object_get(methods, "post_training_bias")))
        goto out;
    const char *model = json_string_value(json_object_get(p, "model_name"));
    const char *ep = json_string_value(json_object_get(p, "endpoint_name"));
    bm_resource r;
    char path[96];
    snprintf(path, sizeof(path), "$.ProcessingInputs[%zu].S3Input.S3Uri", at);
    if (model) {
        if (bm_state_resource_get(s->db, BM_RES_MODEL, model, &r, &e)) {
            rc = fail_at(err, BM_ECONFIG, path, "");
            bm_error_set(err, BM_ECONFIG,
                         "the analysis config's predictor.model_name is %.64s, and there is no "
                         "such model: CreateModel it first (its container's Environment gives "
                         "%s, the URL of the model server biasmon asks for predictions)",
                         model, BM_MODEL_URL_KEY);
            goto out;
        }
        bm_resource_release(&r);
        json_object_set_new(doc, PREDICTOR_KEY, json_pack("{s:s}", "ModelName", model));
    } else if (ep) {
        if (bm_state_resource_get(s->db, BM_RES_ENDPOINT, ep, &r, &e)) {
            rc = fail_at(err, BM_ECONFIG, path, "");
            bm_error_set(err, BM_ECONFIG,
                         "the analysis config's predictor.endpoint_name is %.64s, and there is no "
                         "such endpoint: CreateEndpoint it first, or name a model (model_name)",
                         ep);
            goto out;
        }
        bm_resource_release(&r);
        json_object_set_new(doc, PREDICTOR_KEY, json_pack("{s:s}", "EndpointName", ep));
    } else {
        rc = fail_at(err, BM_ECONFIG, path,
                     "the analysis config has a predictor with neither model_name nor "
                     "endpoint_name, and no predicted_label: name the model biasmon asks for "
                     "predictions");
    }
out:
    json_decref(cfg);
    return rc;
}

/* The weight an endpoint gives variant v: its CurrentWeight, else InitialVariantWeight, else 1. */
static double variant_weight(json_t *ep_doc, json_t *v)
{
    const char *name = json_string_value(json_object_get(v, "VariantName"));
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(ep_doc, "ProductionVariants"), i, e)
    {
        const char *n = json_string_value(json_object_get(e, "VariantName"));
        json_t *w = json_object_get(e, "CurrentWeight");
        if (w && name && n && !strcmp(n, name)) return json_number_value(w);
    }
    json_t *w = json_object_get(v, "InitialVariantWeight");
    return w ? json_number_value(w) : 1.0;
}

/* The URL of the model server a job's predictor names (an endpoint: its variant of the largest
 * weight, the first of equals) into url; "" when the job has no predictor. Returns 0, or -1 with
 * why filled. */
static int predictor_url(bm_service *s, json_t *doc, char *url, size_t n, char *why, size_t whyn)
{
    url[0] = 0;
    json_t *p = json_object_get(doc, PREDICTOR_KEY);
    if (!p) return 0;
    const char *model = json_string_value(json_object_get(p, "ModelName"));
    const char *ep = json_string_value(json_object_get(p, "EndpointName"));
    bm_error e;
    bm_error_clear(&e);
    bm_resource r, c, m;
    char mname[64] = "", deployed[2048] = "";
    if (ep) {
        if (bm_state_resource_get(s->db, BM_RES_ENDPOINT, ep, &r, &e)) {
            snprintf(why, whyn,
                     "ClientError: predictor.endpoint_name: the endpoint %s no longer exists", ep);
            return -1;
        }
        /* the endpoint's own copy of its config and models (bm__deployment_new), which outlives
         * DeleteEndpointConfig and DeleteModel as the endpoint does; else its config */
        json_t *dep = json_object_get(r.doc, BM_DEPLOYMENT_KEY);
        memset(&c, 0, sizeof(c));
        if (dep)
            c.doc = json_incref(dep);
        else if (bm_state_resource_get(s->db, BM_RES_ENDPOINT_CONFIG, r.ref, &c, &e)) {
            snprintf(why, whyn,
                     "ClientError: predictor.endpoint_name: the configuration of endpoint %s "
                     "does not exist",
                     ep);
            bm_resource_release(&r);
            return -1;
        }
        double best = -1;
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(c.doc, "ProductionVariants"), i, v)
        {
            double w = variant_weight(r.doc, v);
            const char *mn = json_string_value(json_object_get(v, "ModelName"));
            if (mn && w > best) {
                best = w;
                snprintf(mname, sizeof(mname), "%s", mn);
            }
        }
        const char *du =
            mname[0] ? json_string_value(json_object_get(json_object_get(dep, "ModelUrls"), mname))
                     : NULL;
        if (du) snprintf(deployed, sizeof(deployed), "%s", du);
        bm_resource_release(&c);
        bm_resource_release(&r);
        model = mname;
        if (deployed[0]) {
            if (snprintf(url, n, "%s", deployed) < (int)n) return 0;
            url[0] = 0;
            snprintf(why, whyn, "ClientError: predictor: the model %s has no usable %s", model,
                     BM_MODEL_URL_KEY);
            return -1;
        }
    }
    if (!model || !model[0] || bm_state_resource_get(s->db, BM_RES_MODEL, model, &m, &e)) {
        snprintf(why, whyn,
                 "ClientError: predictor: the model %s no longer exists: CreateModel it and "
                 "create the job again",
                 model && model[0] ? model : "(none)");
        return -1;
    }
    const char *u = bm__model_url(m.doc);
    int rc = 0;
    if (!u || snprintf(url, n, "%s", u) >= (int)n) {
        snprintf(why, whyn, "ClientError: predictor: the model %s has no usable %s", model,
                 BM_MODEL_URL_KEY);
        rc = -1;
    }
    bm_resource_release(&m);
    return rc;
}

static const char *public_status(const char *status)
{
    return !strcmp(status, "Pending") ? "InProgress" : status;
}

/* Sets the status members of a job's document (and its resource row) and saves it. */
static void save(bm_service *s, bm_resource *r, const char *status, const char *failure,
                 const char *exit_msg)
{
    double t = now_ms(s);
    snprintf(r->status, sizeof(r->status), "%s", status);
    r->modified = t;
    json_t *d = r->doc;
    json_object_set_new(d, "ProcessingJobStatus", json_string(public_status(status)));
    json_object_set_new(d, "LastModifiedTime", json_real(t));
    if (!strcmp(status, "InProgress")) json_object_set_new(d, "ProcessingStartTime", json_real(t));
    if (!strcmp(status, "Completed") || !strcmp(status, "Failed") || !strcmp(status, "Stopped"))
        json_object_set_new(d, "ProcessingEndTime", json_real(t));
    char buf[MAX_REASON + 1];
    if (failure && failure[0]) {
        snprintf(buf, sizeof(buf), "%s", failure);
        json_object_set_new(d, "FailureReason", json_string(buf));
    }
    if (exit_msg && exit_msg[0]) {
        snprintf(buf, sizeof(buf), "%s", exit_msg);
        json_object_set_new(d, "ExitMessage", json_string(buf));
    }
    bm_error err;
    bm_error_clear(&err);
    if (bm_state_resource_update(s->db, r, &err))
        bm__log(s, BM_LOG_ERROR, "state_error", "processing_job=%s msg=\"%s\"", r->name, err.msg);
    if (strcmp(status, "InProgress") && strcmp(status, "Stopping"))
        bm__log(s, BM_LOG_INFO, "processing_job_finished", "job=%s status=%s reason=\"%s\"",
                r->name, status, failure ? failure : "");
}

/* DATA_DIR/processing-jobs/<name, lower case>: the job's log. */
static void job_dir(bm_service *s, const char *name, char *out, size_t n)
{
    char lower[64];
    size_t k = 0;
    for (; name[k] && k + 1 < sizeof(lower); k++)
        lower[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] - 'A' + 'a' : name[k]);
    lower[k] = 0;
    snprintf(out, n, "%s/processing-jobs/%s", s->data_dir, lower);
}

/* ==================================================================== the API */

int bm__processing_create(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    int rc = check_clarify_job(req, err);
    if (!rc) rc = check_job_uris(req, err);
    if (rc) return rc;
    static const char *const keep[] = {"ProcessingInputs",    "ProcessingOutputConfig",
                                       "ProcessingResources", "StoppingCondition",
                                       "AppSpecification",    "Environment",
                                       "NetworkConfig",       "RoleArn",
                                       "ExperimentConfig",    NULL};
    const char *name = bm_json_string(req, "ProcessingJobName");
    bm_resource r;
    memset(&r, 0, sizeof(r));
    snprintf(r.kind, sizeof(r.kind), "%s", BM_RES_PROCESSING_JOB);
    snprintf(r.name, sizeof(r.name), "%s", name);
    bm__arn(s, "processing-job", name, r.arn, sizeof(r.arn));
    r.created = r.modified = now_ms(s);
    snprintf(r.status, sizeof(r.status), "Pending");
    r.next_tick = -1;
    if (!(r.doc = json_object())) return bm_error_set(err, BM_ENOMEM, "out of memory");
    for (const char *const *k = keep; *k; k++) {
        json_t *v = json_object_get(req, *k);
        if (v && !json_is_null(v)) json_object_set(r.doc, *k, v);
    }
    if ((rc = check_predictor(s, req, r.doc, err))) {
        bm_resource_release(&r);
        return rc;
    }
    json_object_set_new(r.doc, "ProcessingJobName", json_string(name));
    json_object_set_new(r.doc, "ProcessingJobArn", json_string(r.arn));
    json_object_set_new(r.doc, "ProcessingJobStatus", json_string("InProgress"));
    json_object_set_new(r.doc, "CreationTime", json_real(r.created));
    json_object_set_new(r.doc, "LastModifiedTime", json_real(r.created));
    pthread_mutex_lock(&s->pj_mu);
    rc = bm_state_resource_create(s->db, &r, err);
    pthread_mutex_unlock(&s->pj_mu);
    if (rc == BM_EEXISTS)
        bm_error_set(err, BM_EEXISTS,
                     "Job name %s is already in use: processing job names are unique", name);
    json_t *tags = json_object_get(req, "Tags");
    if (!rc && json_array_size(tags)) rc = bm_state_tags_add(s->db, r.arn, tags, err);
    if (!rc && !(*resp = json_pack("{s:s}", "ProcessingJobArn", r.arn)))
        rc = bm_error_set(err, BM_ENOMEM, "out of memory");
    if (!rc) {
        bm__log(s, BM_LOG_INFO, "processing_job_created", "job=%s", name);
        atomic_store(&s->pj_dirty, 1);
        bm__scheduler_wake(s);
    }
    bm_resource_release(&r);
    return rc;
}

int bm__processing_stop(bm_service *s, const char *name, bm_error *err)
{
    bm_resource r;
    pthread_mutex_lock(&s->pj_mu);
    int rc = bm_state_resource_get(s->db, BM_RES_PROCESSING_JOB, name, &r, err);
    if (rc == BM_ENOTFOUND) {
        bm_error_set(err, BM_ENOTFOUND, "Could not find processing job %s", name);
    } else if (!rc) {
        if (!strcmp(r.status, "Pending")) {
            save(s, &r, "Stopped", NULL, "stopped by StopProcessingJob before it started");
        } else if (!strcmp(r.status, "InProgress")) {
            save(s, &r, "Stopping", NULL, NULL);
            atomic_store(&s->pj_dirty, 1);
            bm__scheduler_wake(s);
        } else if (strcmp(r.status, "Stopping")) {
            rc = bm_error_set(err, BM_ECONFIG,
                              "Processing job %s is %s: only a job in progress can be stopped",
                              r.name, r.status);
        }
        bm_resource_release(&r);
    }
    pthread_mutex_unlock(&s->pj_mu);
    return rc;
}

int bm__processing_describe(bm_service *s, const char *name, json_t **out, bm_error *err)
{
    bm_resource r;
    int rc = bm_state_resource_get(s->db, BM_RES_PROCESSING_JOB, name, &r, err);
    if (rc) return rc;
    *out = json_deep_copy(r.doc);
    if (*out) {
        json_object_del(*out, PREDICTOR_KEY);
        json_object_set_new(*out, "ProcessingJobStatus", json_string(public_status(r.status)));
    }
    bm_resource_release(&r);
    return *out ? BM_OK : bm_error_set(err, BM_ENOMEM, "out of memory");
}

int bm__processing_summaries(bm_service *s, json_t *arr, bm_error *err)
{
    static const char *const keep[] = {
        "ProcessingJobName", "ProcessingJobArn", "CreationTime", "ProcessingEndTime",
        "LastModifiedTime",  "FailureReason",    "ExitMessage",  NULL};
    bm_resource *v;
    size_t n;
    int rc = bm_state_resource_list(s->db, BM_RES_PROCESSING_JOB, &v, &n, err);
    if (rc) return rc;
    for (size_t k = 0; k < n && !rc; k++) {
        json_t *sum = json_object();
        if (!sum || json_array_append_new(arr, sum)) {
            rc = bm_error_set(err, BM_ENOMEM, "out of memory");
            break;
        }
        for (const char *const *m = keep; *m; m++) {
            json_t *x = json_object_get(v[k].doc, *m);
            if (x) json_object_set(sum, *m, x);
        }
        json_object_set_new(sum, "ProcessingJobStatus", json_string(public_status(v[k].status)));
    }
    bm_resources_free(v, n);
    return rc;
}

int bm__processing_baseline(bm_service *s, const char *name, char *out, size_t n, bm_error *err)
{
    bm_resource r;
    int rc = bm_state_resource_get(s->db, BM_RES_PROCESSING_JOB, name, &r, err);
    if (rc == BM_ENOTFOUND)
        return bm_error_set(err, BM_ENOTFOUND, "there is no processing job named %s", name);
    if (rc) return rc;
    const char *o = output_uri(r.doc);
    if (strcmp(r.status, "Completed"))
        rc = bm_error_set(
            err, BM_EBUSY,
            "the baselining job %s is %s: its analysis.json is the baseline once it has Completed",
            r.name, public_status(r.status));
    else if (!o || bm_uri_join(o, "analysis.json", out, n))
        rc = bm_error_set(err, BM_ELIMIT, "the output of the baselining job %s is too long a URI",
                          r.name);
    bm_resource_release(&r);
    return rc;
}

/* ==================================================================== the scheduler's side */

static bm__worker *worker_of(bm_service *s, const char *name)
{
    for (int k = 0; k < BM__MAX_WORKERS; k++)
        if (s->workers[k].pid && !strcasecmp(s->workers[k].job, name)) return &s->workers[k];
    return NULL;
}

/* Starts a queued job (pj_mu held). */
static void start(bm_service *s, bm_resource *r)
{
    bm_error err;
    bm_error_clear(&err);
    char why[MAX_REASON] = "", dir[1200], log_path[1300];
    /* the roots may have changed, or a link been planted, since the job was created */
    if (check_job_uris(r->doc, &err)) {
        snprintf(why, sizeof(why), "ClientError: %s: %s", err.path, err.msg);
        save(s, r, "Failed", why, NULL);
        return;
    }
    job_dir(s, r->name, dir, sizeof(dir));
    snprintf(log_path, sizeof(log_path), "%s/log.txt", dir);
    if (bm_mkdirs(dir, &err)) {
        bm__log(s, BM_LOG_ERROR, "processing_job_error", "job=%s msg=\"%s\"", r->name, err.msg);
        save(s, r, "Failed",
             "InternalServerError: biasmon cannot prepare the job's folder; see its log", NULL);
        return;
    }
    char cfg[1100], data[1100], out[1100], model_url[1100], url_file[1300];
    if (predictor_url(s, r->doc, model_url, sizeof(model_url), why, sizeof(why))) {
        save(s, r, "Failed", why, why);
        return;
    }
    char denied[400];
    if (model_url[0] && !bm__model_url_allowed(s, model_url, denied, sizeof(denied))) {
        snprintf(why, sizeof(why), "ClientError: predictor: %s", denied);
        save(s, r, "Failed", why, why);
        return;
    }
    /* the URL goes to the worker in a file of the job's folder, not on its command line, which
     * any local user can read: it may hold credentials */
    snprintf(url_file, sizeof(url_file), "%s/model-url", dir);
    if (model_url[0] && bm_write_file_atomic(url_file, model_url, strlen(model_url), &err)) {
        bm__log(s, BM_LOG_ERROR, "processing_job_error", "job=%s msg=\"%s\"", r->name, err.msg);
        save(s, r, "Failed",
             "InternalServerError: biasmon cannot prepare the job's folder; see its log", NULL);
        return;
    }
    snprintf(cfg, sizeof(cfg), "%s", input_uri(r->doc, "analysis_config"));
    snprintf(data, sizeof(data), "%s", input_uri(r->doc, "dataset"));
    snprintf(out, sizeof(out), "%s", output_uri(r->doc));
    char *argv[16 + 2 * (BM_SERVICE_MAX_ALLOW_ROOTS + 1)];
    int a = 0;
    argv[a++] = s->worker_exe;
    argv[a++] = "analyze";
    argv[a++] = "--analysis-config";
    argv[a++] = cfg;
    argv[a++] = "--dataset";
    argv[a++] = data;
    argv[a++] = "--output";
    argv[a++] = out;
    if (model_url[0]) { /* the predictor's model server, which only CreateModel configures */
        argv[a++] = "--model-url-file";
        argv[a++] = url_file;
    }
    for (size_t k = 0; k < s->nroots; k++) { /* the worker is confined as this process is */
        argv[a++] = "--confine";
        argv[a++] = s->roots[k];
    }
    argv[a] = NULL;
    bm__worker *w = bm__worker_start(s, argv, log_path, why, sizeof(why));
    if (!w) {
        bm__log(s, BM_LOG_ERROR, "processing_job_error", "job=%s msg=\"%s\"", r->name, why);
        save(s, r, "Failed", "InternalServerError: biasmon cannot start a worker process", NULL);
        return;
    }
    snprintf(w->job, sizeof(w->job), "%s", r->name);
    json_t *mrt = bm_json_get(r->doc, "StoppingCondition.MaxRuntimeInSeconds");
    w->max_runtime = mrt ? (int)json_integer_value(mrt) : 0;
    save(s, r, "InProgress", NULL, NULL);
    bm__log(s, BM_LOG_INFO, "processing_job_started", "job=%s pid=%d", r->name, (int)w->pid);
}

void bm__processing_dispatch(bm_service *s)
{
    if (!atomic_exchange(&s->pj_dirty, 0)) return;
    bm_resource *v;
    size_t n;
    bm_error err;
    bm_error_clear(&err);
    pthread_mutex_lock(&s->pj_mu);
    if (bm_state_resource_list(s->db, BM_RES_PROCESSING_JOB, &v, &n, &err)) {
        pthread_mutex_unlock(&s->pj_mu);
        bm__log(s, BM_LOG_ERROR, "scheduler_error", "msg=\"%s\"", err.msg);
        atomic_store(&s->pj_dirty, 1);
        return;
    }
    for (size_t k = 0; k < n; k++) { /* oldest first: the list is ordered by creation */
        bm_resource *r = &v[k];
        if (!strcmp(r->status, "Pending")) {
            if (s->stopping || !bm__workers_free(s)) continue; /* a reaped worker asks again */
            start(s, r);
        } else if (!strcmp(r->status, "Stopping")) {
            bm__worker *w = worker_of(s, r->name);
            if (w && !w->killed) {
                kill(w->pid, SIGKILL);
                w->killed = 3;
            } else if (!w) {
                save(s, r, "Stopped", NULL, "stopped by StopProcessingJob");
            }
        }
    }
    pthread_mutex_unlock(&s->pj_mu);
    bm_resources_free(v, n);
}

void bm__processing_reap(bm_service *s, bm__worker *w, int wstatus)
{
    char dir[1200], log_path[1300], last[MAX_REASON - 32], why[MAX_REASON];
    job_dir(s, w->job, dir, sizeof(dir));
    snprintf(log_path, sizeof(log_path), "%s/log.txt", dir);
    bm__worker_last_word(log_path, last, sizeof(last));
    bm_resource r;
    bm_error err;
    bm_error_clear(&err);
    pthread_mutex_lock(&s->pj_mu);
    if (bm_state_resource_get(s->db, BM_RES_PROCESSING_JOB, w->job, &r, &err)) {
        pthread_mutex_unlock(&s->pj_mu);
        bm__log(s, BM_LOG_ERROR, "state_error", "processing_job=%s msg=\"%s\"", w->job, err.msg);
        return;
    }
    if (w->killed == 3) {
        save(s, &r, "Stopped", NULL, "stopped by StopProcessingJob");
    } else if (w->killed == 1) {
        snprintf(why, sizeof(why), "MaxRuntimeInSeconds (%d s) exceeded: the job was stopped",
                 w->max_runtime);
        save(s, &r, "Stopped", why, why);
    } else if (w->killed == 2) {
        save(s, &r, "Failed",
             "InternalServerError: biasmon serve stopped during the job; create it again", NULL);
    } else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
        save(s, &r, "Completed", NULL, last[0] ? last : "Completed");
    } else if (WIFEXITED(wstatus)) {
        /* 2 a bad command line, 3 unusable config or data, 4 an output not writable: the user's to
         * fix; anything else is biasmon's */
        int st = WEXITSTATUS(wstatus);
        const char *kind = st >= 2 && st <= 4 ? "ClientError" : "AlgorithmError";
        if (last[0])
            snprintf(why, sizeof(why), "%s: %s", kind, last);
        else
            snprintf(why, sizeof(why), "%s: the analysis exited with status %d", kind, st);
        save(s, &r, "Failed", why, why);
    } else {
        snprintf(why, sizeof(why), "AlgorithmError: the analysis was killed by signal %d",
                 WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
        save(s, &r, "Failed", why, why);
    }
    pthread_mutex_unlock(&s->pj_mu);
    bm_resource_release(&r);
}

int bm__processing_recover(bm_service *s, bm_error *err)
{
    bm_resource *v;
    size_t n, lost = 0;
    int rc = bm_state_resource_list(s->db, BM_RES_PROCESSING_JOB, &v, &n, err);
    if (rc) return rc;
    for (size_t k = 0; k < n; k++) {
        if (!strcmp(v[k].status, "InProgress") || !strcmp(v[k].status, "Stopping")) {
            save(s, &v[k], "Failed",
                 "InternalServerError: interrupted by restart: biasmon serve stopped during the "
                 "job; create it again",
                 NULL);
            lost++;
        }
    }
    bm_resources_free(v, n);
    if (lost) bm__log(s, BM_LOG_WARN, "recovered", "interrupted_processing_jobs=%zu", lost);
    atomic_store(&s->pj_dirty, 1); /* queued jobs run */
    return BM_OK;
}
