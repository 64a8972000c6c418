/* Models: CreateModel, DescribeModel, ListModels, DeleteModel. A biasmon model stands for an HTTP
 * model server that already runs; its container's Environment names it (BIASMON_MODEL_URL). Their
 * request shapes are in lib/aws/sagemaker_model.c. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "serve/internal.h"
#include "serve/runtime.h"

/* ==================================================================== operations */

static int fail(bm_error *err, int code, const char *path, const char *fmt, ...) BM_PRINTF(4, 5);
static int fail(bm_error *err, int code, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
    return code;
}

const char *bm__model_url(json_t *doc)
{
    json_t *c = json_object_get(doc, "PrimaryContainer");
    if (!c) c = json_array_get(json_object_get(doc, "Containers"), 0);
    return json_string_value(json_object_get(json_object_get(c, "Environment"), BM_MODEL_URL_KEY));
}

json_t *bm__deployment_new(bm_service *s, json_t *cfg_doc)
{
    json_t *vs = json_object_get(cfg_doc, "ProductionVariants"),
           *dc = json_object_get(cfg_doc, "DataCaptureConfig");
    json_t *urls = json_object();
    json_t *d = urls ? json_pack("{s:O,s:O}", "ProductionVariants", vs ? vs : json_null(),
                                 "ModelUrls", urls)
                     : NULL;
    json_decref(urls);
    if (!d || (dc && json_object_set(d, "DataCaptureConfig", dc))) goto nomem;
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v)
    {
        const char *mn = json_string_value(json_object_get(v, "ModelName"));
        bm_resource m;
        bm_error e;
        bm_error_clear(&e);
        if (!mn || json_object_get(urls, mn) ||
            bm_state_resource_get(s->db, BM_RES_MODEL, mn, &m, &e))
            continue; /* a model created later is looked up at each invocation */
        const char *url = bm__model_url(m.doc);
        int bad = url && json_object_set_new(urls, mn, json_string(url));
        bm_resource_release(&m);
        if (bad) goto nomem;
    }
    return d;
nomem:
    json_decref(d);
    return NULL;
}

/* http:// or https://, a host, nothing that is not a visible ASCII character. */
static int url_ok(const char *u)
{
    const char *h = !strncmp(u, "http://", 7) ? u + 7 : !strncmp(u, "https://", 8) ? u + 8 : NULL;
    if (!h || !*h || *h == '/') return 0;
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) return 0;
    return 1;
}

#define MODEL_ALLOW_DEFAULT "127.0.0.1,::1,localhost"

int bm__model_url_allowed(const bm_service *s, const char *url, char *why, size_t whyn)
{
    const char *list =
        s->cfg.model_allow && s->cfg.model_allow[0] ? s->cfg.model_allow : MODEL_ALLOW_DEFAULT;
    CURLU *h = curl_url();
    char *host = NULL, *user = NULL;
    int ok = 0;
    if (!h) {
        snprintf(why, whyn, "out of memory");
        return 0;
    }
    if (curl_url_set(h, CURLUPART_URL, url, 0) || curl_url_get(h, CURLUPART_HOST, &host, 0) ||
        !host) {
        snprintf(why, whyn, "the model server URL cannot be parsed");
        goto out;
    }
    if (!curl_url_get(h, CURLUPART_USER, &user, 0) && user) {
        snprintf(why, whyn, "the model server URL has user information before its host");
        goto out;
    }
    size_t hl = strlen(host);
    const char *hp = host;
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') hp++, hl -= 2; /* an IPv6 address */
    for (const char *p = list; *p && !ok;) {
        size_t n = strcspn(p, ",");
        if ((n == 1 && *p == '*') || (n == hl && !strncasecmp(p, hp, n))) ok = 1;
        p += n + (p[n] == ',');
    }
    if (!ok)
        snprintf(why, whyn,
                 "the model server's host %.*s is not one biasmon serve --model-allow lists "
                 "(default: loopback only, %s); the operator adds it there",
                 (int)(hl > 200 ? 200 : hl), hp, MODEL_ALLOW_DEFAULT);
out:
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(h);
    return ok;
}

static int op_create_model(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *name = json_string_value(json_object_get(req, "ModelName"));
    const char *where =
        json_object_get(req, "PrimaryContainer") ? "$.PrimaryContainer" : "$.Containers[0]";
    if (!json_object_get(req, "PrimaryContainer") &&
        !json_array_size(json_object_get(req, "Containers")))
        return fail(err, BM_ECONFIG, "$.PrimaryContainer",
                    "a model needs a container whose Environment gives %s, the URL biasmon sends "
                    "invocations to "
                    "(e.g. http://127.0.0.1:8080/invocations)",
                    BM_MODEL_URL_KEY);
    const char *url = bm__model_url(req);
    char path[80];
    snprintf(path, sizeof(path), "%s.Environment.%s", where, BM_MODEL_URL_KEY);
    if (!url)
        return fail(
            err, BM_ECONFIG, path,
            "missing: give the URL of the model server biasmon sends invocations to, such as "
            "http://127.0.0.1:8080/invocations (biasmon hosts no images)");
    if (!url_ok(url))
        return fail(err, BM_ECONFIG, path,
                    "must be an http:// or https:// URL with a host and no spaces");
    char why[400];
    if (!bm__model_url_allowed(s, url, why, sizeof(why)))
        return fail(err, BM_ECONFIG, path, "%s", why);
    bm_resource r;
    memset(&r, 0, sizeof(r));
    snprintf(r.kind, sizeof(r.kind), BM_RES_MODEL);
    snprintf(r.name, sizeof(r.name), "%s", name);
    bm__arn(s, "model", name, r.arn, sizeof(r.arn));
    r.created = r.modified = (double)(int64_t)(bm_clock_now(&s->clock) * 1000) / 1000;
    r.next_tick = -1;
    r.doc = json_deep_copy(req);
    int rc = BM_OK;
    if (!r.doc || json_object_set_new(r.doc, "ModelArn", json_string(r.arn)) ||
        json_object_set_new(r.doc, "CreationTime", json_real(r.created)))
        rc = bm_error_set(err, BM_ENOMEM, "out of memory");
    if (!rc) {
        json_object_del(r.doc, "Tags");
        rc = bm_state_resource_create(s->db, &r, err);
        if (rc == BM_EEXISTS)
            rc = fail(err, BM_ECONFIG, NULL, "Cannot create already existing model \"%s\".", r.arn);
    }
    json_t *tags = json_object_get(req, "Tags");
    if (!rc && json_array_size(tags)) rc = bm_state_tags_add(s->db, r.arn, tags, err);
    if (!rc && !(*resp = json_pack("{s:s}", "ModelArn", r.arn)))
        rc = bm_error_set(err, BM_ENOMEM, "out of memory");
    json_decref(r.doc);
    return rc;
}

static int op_describe_model(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    const char *name = json_string_value(json_object_get(req, "ModelName"));
    bm_resource r;
    int rc = bm_state_resource_get(s->db, BM_RES_MODEL, name, &r, err);
    if (rc == BM_ENOTFOUND) {
        char arn[300];
        bm__arn(s, "model", name, arn, sizeof(arn));
        return fail(err, BM_ECONFIG, NULL, "Could not find model \"%s\".", arn);
    }
    if (rc) return rc;
    *resp = json_incref(r.doc);
    bm_resource_release(&r);
    return BM_OK;
}

static int op_delete_model(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    (void)resp;
    const char *name = json_string_value(json_object_get(req, "ModelName"));
    int rc = bm_state_resource_delete(s->db, BM_RES_MODEL, name, err);
    if (rc == BM_ENOTFOUND)
        return fail(err, BM_ECONFIG, NULL, "Could not find model \"%s\".", name);
    return rc;
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n)) return 1;
    return n == 0;
}

static int sort_desc, sort_by_name;
static int cmp_models(const void *a, const void *b)
{
    const bm_resource *x = a, *y = b;
    int c = sort_by_name ? strcasecmp(x->name, y->name)
                         : (x->created > y->created) - (x->created < y->created);
    if (!c) c = strcmp(x->name, y->name);
    return sort_desc ? -c : c;
}
static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;

static int op_list_models(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    bm_resource *v;
    size_t n;
    int rc = bm_state_resource_list(s->db, BM_RES_MODEL, &v, &n, err);
    if (rc) return rc;
    const char *by = json_string_value(json_object_get(req, "SortBy"));
    const char *order = json_string_value(json_object_get(req, "SortOrder"));
    const char *nc = json_string_value(json_object_get(req, "NameContains"));
    json_t *before = json_object_get(req, "CreationTimeBefore"),
           *after = json_object_get(req, "CreationTimeAfter");
    /* filter in place */
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        int keep = (!nc || contains_ci(v[k].name, nc)) &&
                   (!before || v[k].created < json_number_value(before)) &&
                   (!after || v[k].created > json_number_value(after));
        if (keep) {
            bm_resource t = v[m];
            v[m++] = v[k];
            v[k] = t;
        }
    }
    pthread_mutex_lock(&sort_mu);
    sort_desc = !order || !strcmp(order, "Descending");
    sort_by_name = by && !strcmp(by, "Name");
    qsort(v, m, sizeof(*v), cmp_models);
    pthread_mutex_unlock(&sort_mu);
    size_t offset = 0;
    const char *tok = json_string_value(json_object_get(req, "NextToken"));
    if (tok) {
        char *end;
        if (strncmp(tok, "bm1-", 4) || !tok[4] || (offset = strtoul(tok + 4, &end, 10), *end) ||
            offset > m)
            rc = fail(err, BM_ECONFIG, "$.NextToken", "invalid pagination token");
    }
    json_t *mr = json_object_get(req, "MaxResults");
    size_t max = mr ? (size_t)json_integer_value(mr) : 10;
    json_t *list = json_array();
    if (!rc && (!list || !(*resp = json_pack("{s:O}", "Models", list))))
        rc = bm_error_set(err, BM_ENOMEM, "out of memory");
    for (size_t k = offset; !rc && k < m && k < offset + max; k++)
        if (json_array_append_new(list,
                                  json_pack("{s:s,s:s,s:f}", "ModelName", v[k].name, "ModelArn",
                                            v[k].arn, "CreationTime", v[k].created)))
            rc = bm_error_set(err, BM_ENOMEM, "out of memory");
    if (!rc && offset + max < m) {
        char t[40];
        snprintf(t, sizeof(t), "bm1-%zu", offset + max);
        if (json_object_set_new(*resp, "NextToken", json_string(t)))
            rc = bm_error_set(err, BM_ENOMEM, "out of memory");
    }
    json_decref(list);
    bm_resources_free(v, n);
    return rc;
}

static const bm__op ops[] = {
    {"SageMaker.CreateModel", op_create_model},
    {"SageMaker.DescribeModel", op_describe_model},
    {"SageMaker.ListModels", op_list_models},
    {"SageMaker.DeleteModel", op_delete_model},
};

const bm__op *bm__model_op_at(size_t i)
{
    return i < sizeof(ops) / sizeof(ops[0]) ? &ops[i] : NULL;
}

const bm__op *bm__find_model_op(const char *target)
{
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
        if (!strcmp(ops[k].name, target)) return &ops[k];
    return NULL;
}
