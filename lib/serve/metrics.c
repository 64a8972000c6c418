/* GET /metrics: the Prometheus text exposition of the latest bias metrics, violations and
 * execution counts of every schedule. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/pynum.h"
#include "biasmon/store.h"
#include "biasmon/verdict.h"
#include "serve/internal.h"
#include "serve/runtime.h"

/* Label values: backslash, double quote and line feed escaped. */
static int put_label(bm_buf *b, const char *name, const char *value, int first)
{
    int r = bm_buf_printf(b, "%s%s=\"", first ? "" : ",", name);
    for (const char *p = value ? value : ""; !r && *p; p++) {
        if (*p == '\\')
            r = bm_buf_puts(b, "\\\\");
        else if (*p == '"')
            r = bm_buf_puts(b, "\\\"");
        else if (*p == '\n')
            r = bm_buf_puts(b, "\\n");
        else
            r = bm_buf_putc(b, *p);
    }
    return r ? r : bm_buf_putc(b, '"');
}

static int put_value(bm_buf *b, double v)
{
    if (isinf(v)) return bm_buf_puts(b, v > 0 ? " +Inf\n" : " -Inf\n");
    if (isnan(v)) return bm_buf_puts(b, " NaN\n");
    char t[64];
    bm_py_float_repr(v, t, sizeof(t));
    return bm_buf_printf(b, " %s\n", t);
}

/* The analysis of an execution, cached by execution id. Returns a borrowed reference. */
static json_t *analysis_of(bm_service *s, const bm_exec_record *e)
{
    char key[32];
    snprintf(key, sizeof(key), "%lld", (long long)e->id);
    json_t *hit = json_object_get(s->metrics_cache, e->schedule);
    if (hit && json_integer_value(json_object_get(hit, "exec")) == e->id)
        return json_object_get(hit, "analysis");
    char uri[1300];
    bm_buf b;
    bm_buf_init(&b, 64u << 20);
    bm_error err;
    bm_error_clear(&err);
    json_t *a = NULL, *ev = NULL;
    if (!bm_uri_join(e->output_uri, "analysis.json", uri, sizeof(uri)) &&
        !bm_store_read(uri, 64u << 20, &b, &err))
        a = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    /* the statistical rule's evidence, when the execution ran under it (docs/alarms.md) */
    bm_buf_reset(&b);
    if (a && !bm_uri_join(e->output_uri, BM_EVIDENCE_NAME, uri, sizeof(uri)) &&
        !bm_store_read(uri, 64u << 20, &b, &err))
        ev = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    bm_buf_release(&b);
    if (!a) return NULL;
    json_t *entry = json_pack("{s:I,s:o,s:o}", "exec", (json_int_t)e->id, "analysis", a, "evidence",
                              ev ? ev : json_null());
    if (!entry || json_object_set_new(s->metrics_cache, e->schedule, entry)) return NULL;
    return a;
}

static int metric_lines(bm_service *s, bm_buf *b, const bm_exec_record *e, json_t *a)
{
    static const char *const stages[] = {"pre_training_bias_metrics", "post_training_bias_metrics"};
    static const char *const names[] = {"Pre-training", "Post-Training"};
    (void)s;
    int r = BM_OK;
    for (int st = 0; st < 2 && !r; st++) {
        json_t *stage = json_object_get(a, stages[st]);
        const char *label = json_string_value(json_object_get(stage, "label"));
        const char *lv = json_string_value(json_object_get(stage, "label_value_or_threshold"));
        const char *facet;
        json_t *entries;
        json_object_foreach(json_object_get(stage, "facets"), facet, entries)
        {
            size_t i, j;
            json_t *en, *m;
            if (!json_is_array(entries)) continue;
            json_array_foreach(entries, i, en)
            {
                const char *fv = json_string_value(json_object_get(en, "value_or_threshold"));
                json_array_foreach(json_object_get(en, "metrics"), j, m)
                {
                    json_t *v = json_object_get(m, "value");
                    double x;
                    if (json_is_number(v))
                        x = json_number_value(v);
                    else if (json_is_string(v) && !strcmp(json_string_value(v), "Infinity"))
                        x = INFINITY;
                    else if (json_is_string(v) && !strcmp(json_string_value(v), "-Infinity"))
                        x = -INFINITY;
                    else
                        continue; /* errored metrics are absent */
                    if (!r) r = bm_buf_puts(b, "biasmon_bias_metric{");
                    if (!r) r = put_label(b, "endpoint", e->endpoint, 1);
                    if (!r) r = put_label(b, "schedule", e->schedule, 0);
                    if (!r) r = put_label(b, "stage", names[st], 0);
                    if (!r) r = put_label(b, "label", label, 0);
                    if (!r) r = put_label(b, "label_value", lv, 0);
                    if (!r) r = put_label(b, "facet", facet, 0);
                    if (!r) r = put_label(b, "facet_value", fv, 0);
                    if (!r)
                        r = put_label(b, "metric", json_string_value(json_object_get(m, "name")),
                                      0);
                    if (!r) r = bm_buf_putc(b, '}');
                    if (!r) r = put_value(b, x);
                }
            }
        }
    }
    return r;
}

/* The statistical rule's tests of the latest execution: z and threshold per facet entry, metric
 * and pooled windows, and whether the window was decidable. */
static int alarm_lines(bm_buf *b, const bm_exec_record *e, const json_t *ev)
{
    int r = bm_buf_puts(b, "biasmon_alarm_decidable{");
    if (!r) r = put_label(b, "endpoint", e->endpoint, 1);
    if (!r) r = put_label(b, "schedule", e->schedule, 0);
    if (!r) r = bm_buf_printf(b, "} %d\n", json_is_false(json_object_get(ev, "decidable")) ? 0 : 1);
    const char *facet;
    json_t *entries;
    json_object_foreach(json_object_get(ev, "facets"), facet, entries)
    {
        size_t i, j, k;
        json_t *en, *m, *t;
        json_array_foreach(entries, i, en)
        {
            const char *fv = json_string_value(json_object_get(en, "value_or_threshold"));
            json_array_foreach(json_object_get(en, "metrics"), j, m)
            {
                json_array_foreach(json_object_get(m, "tests"), k, t)
                {
                    if (!json_is_number(json_object_get(t, "z"))) continue; /* not decidable */
                    char windows[24];
                    snprintf(windows, sizeof(windows), "%lld",
                             (long long)json_integer_value(json_object_get(t, "windows")));
                    for (int q = 0; q < 2 && !r; q++) {
                        r = bm_buf_puts(b, q ? "biasmon_alarm_threshold{" : "biasmon_alarm_z{");
                        if (!r) r = put_label(b, "endpoint", e->endpoint, 1);
                        if (!r) r = put_label(b, "schedule", e->schedule, 0);
                        if (!r) r = put_label(b, "facet", facet, 0);
                        if (!r) r = put_label(b, "facet_value", fv, 0);
                        if (!r)
                            r = put_label(b, "metric",
                                          json_string_value(json_object_get(m, "name")), 0);
                        if (!r) r = put_label(b, "windows", windows, 0);
                        if (!r) r = bm_buf_putc(b, '}');
                        if (!r)
                            r = put_value(
                                b, json_number_value(json_object_get(t, q ? "threshold" : "z")));
                    }
                }
            }
        }
    }
    return r;
}

typedef struct sched_stat {
    bm_exec_stats x;
    bm_exec_record *latest; /* latest finished, read by id; NULL for none */
} sched_stat;

/* The statuses biasmon_executions reports; "Stopping" is never stored, so it counts 0. */
static const char *const statuses[7] = {
    "Pending", "InProgress", "Completed", "CompletedWithViolations",
    "Failed",  "Stopping",   "Stopped"};

static uint64_t count_of(const bm_exec_stats *x, const char *status)
{
    for (int q = 0; q < BM_EXEC_STATUS_COUNT; q++)
        if (!strcmp(bm_exec_status_names[q], status)) return x->by_status[q];
    return 0;
}

/* The figures of every schedule from SQL aggregates (memory grows with schedules, not with
 * executions) and each one's latest finished execution. */
static int load_stats(bm_service *s, sched_stat **out, size_t *n, bm_error *err)
{
    bm_exec_stats *v = NULL;
    size_t nv = 0;
    *out = NULL;
    *n = 0;
    int r = bm_state_exec_stats(s->db, s->clock.scale, &v, &nv, err);
    if (r) return r;
    sched_stat *st = bm_calloc(nv ? nv : 1, sizeof(*st));
    if (!st) r = bm_error_set(err, BM_ENOMEM, "metrics: out of memory");
    for (size_t k = 0; !r && k < nv; k++) {
        st[k].x = v[k];
        if (!v[k].latest_finished) continue;
        if (!(st[k].latest = bm_malloc(sizeof(*st[k].latest))))
            r = bm_error_set(err, BM_ENOMEM, "metrics: out of memory");
        else
            r = bm_state_exec_get(s->db, v[k].latest_finished, st[k].latest, err);
    }
    bm_free(v);
    if (r) {
        for (size_t k = 0; st && k < nv; k++)
            bm_free(st[k].latest);
        bm_free(st);
        return r;
    }
    *out = st;
    *n = nv;
    return BM_OK;
}

int bm__metrics_render(bm_service *s, const bm_http_stats *http, bm_buf *b)
{
    sched_stat *st = NULL;
    size_t ns = 0;
    bm_error err;
    bm_error_clear(&err);
    if (load_stats(s, &st, &ns, &err)) return err.code ? err.code : BM_EINTERNAL;
    int r = BM_OK;
    if (!r)
        r = bm_buf_puts(
            b, "# HELP biasmon_up 1 while biasmon serve answers.\n# TYPE biasmon_up "
               "gauge\nbiasmon_up 1\n"
               "# HELP biasmon_bias_metric The latest value of a Clarify bias metric of a "
               "monitoring schedule "
               "(labels mirror the CloudWatch dimensions).\n# TYPE biasmon_bias_metric gauge\n");
    pthread_mutex_lock(&s->metrics_mu);
    for (size_t k = 0; !r && k < ns; k++) {
        if (!st[k].latest) continue;
        json_t *a = analysis_of(s, st[k].latest);
        if (a) r = metric_lines(s, b, st[k].latest, a);
    }
    pthread_mutex_unlock(&s->metrics_mu);
    if (!r)
        r = bm_buf_puts(
            b,
            "# HELP biasmon_alarm_z The statistical rule's statistic for a metric's change from "
            "the "
            "baseline over the latest pooled windows (docs/alarms.md); it alarms beyond the "
            "threshold.\n"
            "# TYPE biasmon_alarm_z gauge\n# HELP biasmon_alarm_threshold The |z| beyond which the "
            "statistical rule alarms.\n# TYPE biasmon_alarm_threshold gauge\n# HELP "
            "biasmon_alarm_decidable 0 when the latest window had too few labels to be judged.\n"
            "# TYPE biasmon_alarm_decidable gauge\n");
    pthread_mutex_lock(&s->metrics_mu);
    for (size_t k = 0; !r && k < ns; k++) {
        if (!st[k].latest || !analysis_of(s, st[k].latest)) continue;
        json_t *ev =
            json_object_get(json_object_get(s->metrics_cache, st[k].latest->schedule), "evidence");
        if (json_is_object(ev)) r = alarm_lines(b, st[k].latest, ev);
    }
    pthread_mutex_unlock(&s->metrics_mu);
    if (!r)
        r = bm_buf_puts(
            b, "# HELP biasmon_violations Violations found by the latest completed execution.\n"
               "# TYPE biasmon_violations gauge\n");
    for (size_t k = 0; !r && k < ns; k++) {
        if (!st[k].latest) continue;
        r = bm_buf_puts(b, "biasmon_violations{");
        if (!r) r = put_label(b, "endpoint", st[k].x.endpoint, 1);
        if (!r) r = put_label(b, "schedule", st[k].x.schedule, 0);
        if (!r) r = bm_buf_printf(b, "} %lld\n", (long long)st[k].latest->violations);
    }
    if (!r)
        r = bm_buf_puts(b, "# HELP biasmon_executions Monitoring executions by status (a gauge: an "
                           "execution moves from Pending to InProgress to its outcome).\n"
                           "# TYPE biasmon_executions gauge\n");
    for (size_t k = 0; !r && k < ns; k++)
        for (int q = 0; !r && q < 7; q++) {
            r = bm_buf_puts(b, "biasmon_executions{");
            if (!r) r = put_label(b, "schedule", st[k].x.schedule, 1);
            if (!r) r = put_label(b, "status", statuses[q], 0);
            if (!r)
                r = bm_buf_printf(b, "} %llu\n",
                                  (unsigned long long)count_of(&st[k].x, statuses[q]));
        }
    if (!r)
        r = bm_buf_puts(
            b, "# HELP biasmon_execution_duration_seconds Wall time of finished executions.\n"
               "# TYPE biasmon_execution_duration_seconds summary\n");
    for (size_t k = 0; !r && k < ns; k++) {
        r = bm_buf_puts(b, "biasmon_execution_duration_seconds_sum{");
        if (!r) r = put_label(b, "schedule", st[k].x.schedule, 1);
        if (!r) r = bm_buf_putc(b, '}');
        if (!r) r = put_value(b, st[k].x.duration_sum);
        if (!r) r = bm_buf_puts(b, "biasmon_execution_duration_seconds_count{");
        if (!r) r = put_label(b, "schedule", st[k].x.schedule, 1);
        if (!r) r = bm_buf_printf(b, "} %llu\n", (unsigned long long)st[k].x.duration_count);
    }
    if (!r && http)
        r = bm_buf_printf(
            b,
            "# HELP biasmon_http_connections Connections to the API and /metrics open now.\n"
            "# TYPE biasmon_http_connections gauge\nbiasmon_http_connections %llu\n"
            "# HELP biasmon_http_closed_total Connections the service closed to protect itself "
            "(request_deadline: a whole request had not arrived within --request-timeout).\n"
            "# TYPE biasmon_http_closed_total counter\n"
            "biasmon_http_closed_total{reason=\"request_deadline\"} %llu\n"
            "# HELP biasmon_http_refused_total Requests answered 503 to protect the service "
            "(body_memory: --max-body-memory was spent).\n"
            "# TYPE biasmon_http_refused_total counter\n"
            "biasmon_http_refused_total{reason=\"body_memory\"} %llu\n",
            (unsigned long long)http->open, (unsigned long long)http->deadline_closed,
            (unsigned long long)http->body_memory_refused);
    if (!r) r = bm__webhook_metrics(s, b);
    if (!r) r = bm__runtime_metrics(s, b);
    for (size_t k = 0; k < ns; k++)
        bm_free(st[k].latest);
    bm_free(st);
    return r;
}
