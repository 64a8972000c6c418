/* Builds a data directory for biasmon serve holding S monitoring schedules with D days of hourly
 * executions each (and their dashboard index), to measure the dashboard at scale. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sqlite3.h>
#include "biasmon/state.h"
#include "biasmon/store.h"
#include "serve/internal.h"

/* usage: ui_state_gen DATA_DIR [SCHEDULES [DAYS]]   (defaults: 1000 schedules, 30 days)
 *
 * DATA_DIR must not exist. Writes state.db through bm_state_open (the service's schema) with
 * SCHEDULES schedules (every tenth Stopped, the others Scheduled with their next tick in 2100, so
 * a service started on the directory runs none of them) and, in one transaction, 24 x DAYS hourly
 * executions of each ending 2026-11-24T00:00Z: 2% Failed with a reason, the others Completed or,
 * when a metric left its band, CompletedWithViolations. For each schedule it writes the dashboard's
 * index file (bm__series_encode, the service's own encoding) with 20 metrics of one facet entry per
 * completed execution, a baseline, and on every other schedule the statistical rule's interval.
 * The first schedule's completed executions also get analysis.json and constraint_violations.json
 * in their output folders (DATA_DIR/files/out/...), with the values of the index, so that its index
 * can be rebuilt from them; the other output folders are not written (their report links answer
 * 404). Values come from a fixed seed. Prints the time taken. */

static unsigned seed = 0x5eed0123u;

static double uniform(void)
{
    return rand_r(&seed) / ((double)RAND_MAX + 1.0);
}

static const char *const metrics[2][10] = {
    {"CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL", NULL, NULL},
    {"AD", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "RD", "TE"}};

/* analysis.json and constraint_violations.json of one execution from its index entries. */
static int write_outputs(const char *folder, json_t *m)
{
    bm_error err;
    bm_error_clear(&err);
    if (bm_mkdirs(folder, &err)) return -1;
    json_t *a = json_pack("{s:s}", "version", "1.0"), *viol = json_array();
    for (int st = 0; st < 2; st++) {
        json_t *list = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(m, i, e)
        {
            if (json_integer_value(json_array_get(e, 0)) != st) continue;
            json_array_append_new(list,
                                  json_pack("{s:O,s:s,s:O}", "name", json_array_get(e, 3),
                                            "description", "", "value", json_array_get(e, 4)));
            if (json_is_true(json_array_get(e, 8)))
                json_array_append_new(viol,
                                      json_pack("{s:s,s:s,s:O,s:s,s:s}", "facet", "sex",
                                                "facet_value", "Female", "metric_name",
                                                json_array_get(e, 3), "constraint_check_type",
                                                "bias_drift_check", "description", "generated"));
        }
        json_object_set_new(a, st ? "post_training_bias_metrics" : "pre_training_bias_metrics",
                            json_pack("{s:s,s:s,s:{s:[{s:s,s:o}]}}", "label", "Salary",
                                      "label_value_or_threshold", ">50K", "facets", "sex",
                                      "value_or_threshold", "Female", "metrics", list));
    }
    char path[1200];
    snprintf(path, sizeof(path), "%s/analysis.json", folder);
    int r = json_dump_file(a, path, JSON_COMPACT);
    snprintf(path, sizeof(path), "%s/constraint_violations.json", folder);
    json_t *cv = json_pack("{s:o}", "violations", viol);
    if (!r) r = json_dump_file(cv, path, JSON_COMPACT);
    json_decref(a);
    json_decref(cv);
    return r;
}

static int fail(const char *what, const char *why)
{
    fprintf(stderr, "ui_state_gen: %s: %s\n", what, why);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: ui_state_gen DATA_DIR [SCHEDULES [DAYS]]\n");
        return 2;
    }
    const char *dir = argv[1];
    long ns = argc > 2 ? strtol(argv[2], NULL, 10) : 1000,
         days = argc > 3 ? strtol(argv[3], NULL, 10) : 30;
    if (ns < 1 || ns > 100000 || days < 1 || days > 400)
        return fail("arguments", "1-100000 schedules, 1-400 days");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char path[1200];
    if (mkdir(dir, 0700) != 0) return fail(dir, "cannot create (it must not exist)");
    snprintf(path, sizeof(path), "%s/series", dir);
    if (mkdir(path, 0700) != 0) return fail(path, "cannot create");
    snprintf(path, sizeof(path), "%s/state.db", dir);
    bm_state *st;
    bm_error err;
    bm_error_clear(&err);
    if (bm_state_open(path, &st, &err)) return fail(path, err.msg);
    const int64_t end = 1795478400; /* 2026-11-24T00:00:00Z */
    const long nexec = 24 * days;
    for (long k = 0; k < ns; k++) {
        bm_resource r;
        memset(&r, 0, sizeof(r));
        snprintf(r.kind, sizeof(r.kind), BM_RES_SCHEDULE);
        snprintf(r.name, sizeof(r.name), "model-%04ld-hourly", k);
        snprintf(r.endpoint, sizeof(r.endpoint), "model-%04ld", k);
        snprintf(r.ref, sizeof(r.ref), "model-%04ld-bias", k);
        snprintf(r.arn, sizeof(r.arn),
                 "arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/%s", r.name);
        snprintf(r.status, sizeof(r.status), k % 10 == 9 ? "Stopped" : "Scheduled");
        r.created = r.modified = (double)(end - nexec * 3600 - 86400) + (double)k;
        r.next_tick = 4102444800; /* 2100-01-01 */
        r.doc =
            json_pack("{s:s,s:s,s:s,s:s,s:{s:{s:s},s:s,s:s},s:s}", "MonitoringScheduleArn", r.arn,
                      "MonitoringScheduleName", r.name, "MonitoringScheduleStatus", r.status,
                      "MonitoringType", "ModelBias", "MonitoringScheduleConfig", "ScheduleConfig",
                      "ScheduleExpression", "cron(0 * ? * * *)", "MonitoringJobDefinitionName",
                      r.ref, "MonitoringType", "ModelBias", "EndpointName", r.endpoint);
        int rc = r.doc ? bm_state_resource_create(st, &r, &err) : BM_ENOMEM;
        json_decref(r.doc);
        if (rc) return fail(r.name, err.msg);
    }
    bm_state_close(st);

    sqlite3 *db;
    sqlite3_stmt *ins;
    if (sqlite3_open(path, &db) != SQLITE_OK) return fail(path, sqlite3_errmsg(db));
    if (sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(
            db,
            "INSERT INTO executions (id, schedule, scheduled_time, created, modified, status,"
            " failure_reason, job_name, endpoint, job_definition, output_uri, violations,"
            " started, ended) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            -1, &ins, NULL) != SQLITE_OK)
        return fail(path, sqlite3_errmsg(db));
    int64_t id = 0;
    for (long k = 0; k < ns; k++) {
        char name[64], ep[64], jd[64], uri[600], job[64];
        snprintf(name, sizeof(name), "model-%04ld-hourly", k);
        snprintf(ep, sizeof(ep), "model-%04ld", k);
        snprintf(jd, sizeof(jd), "model-%04ld-bias", k);
        json_t *lines = json_array();
        double base[2][10], level[2][10];
        for (int s = 0; s < 2; s++)
            for (int m = 0; m < 10; m++)
                base[s][m] = level[s][m] =
                    metrics[s][m] && !strcmp(metrics[s][m], "DI") ? 0.8 : 0.1 * uniform();
        for (long i = 0; i < nexec; i++) {
            int64_t T = end - (int64_t)(nexec - 1 - i) * 3600;
            int failed = uniform() < 0.02;
            double started = (double)T + 5, ended = (double)T + 35;
            json_t *m = json_array();
            int nviol = 0;
            for (int s = 0; s < 2 && !failed; s++)
                for (int q = 0; q < 10 && metrics[s][q]; q++) {
                    level[s][q] += (uniform() - 0.5) * 0.02;
                    double b = base[s][q], half = 0.05, v = level[s][q] + (uniform() - 0.5) * 0.04;
                    int viol = fabs(v - b) > half;
                    nviol += viol;
                    json_t *band =
                        k % 2 ? json_pack("[f,f]", b - half, b + half) : json_pack("[n,n]");
                    json_array_append_new(m, json_pack("[i,s,s,s,f,f,O,O,b]", s, "sex", "Female",
                                                       metrics[s][q], v, b, json_array_get(band, 0),
                                                       json_array_get(band, 1), viol));
                    json_decref(band);
                }
            const char *status = failed  ? "Failed"
                                 : nviol ? "CompletedWithViolations"
                                         : "Completed";
            snprintf(uri, sizeof(uri), "file://%s/files/out/%s/%s/%lld", dir, ep, name,
                     (long long)T);
            snprintf(job, sizeof(job), "model-bias-monitoring-%lld-%08llx", (long long)T,
                     (unsigned long long)rand_r(&seed));
            sqlite3_bind_int64(ins, 1, ++id);
            sqlite3_bind_text(ins, 2, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(ins, 3, T);
            sqlite3_bind_double(ins, 4, (double)T);
            sqlite3_bind_text(ins, 5, status, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 6,
                              failed ? "0 of 600 capture records in the window joined ground "
                                       "truth: no label arrived for the window"
                                     : "",
                              -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 7, job, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 8, ep, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 9, jd, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 10, uri, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(ins, 11, nviol);
            sqlite3_bind_double(ins, 12, started);
            sqlite3_bind_double(ins, 13, ended);
            if (sqlite3_step(ins) != SQLITE_DONE) return fail(path, sqlite3_errmsg(db));
            sqlite3_reset(ins);
            if (!failed && k == 0 && write_outputs(uri + 7, m))
                return fail(uri, "cannot write the outputs");
            if (!failed)
                json_array_append_new(lines,
                                      json_pack("{s:I,s:I,s:f,s:s,s:I,s:o}", "id", (json_int_t)id,
                                                "t", (json_int_t)T, "end", ended, "st", status, "v",
                                                (json_int_t)nviol, "m", m));
            else
                json_decref(m);
        }
        /* the service's encoding, written without its fsync (a thousand of those take minutes) */
        char ipath[1200];
        bm_buf text;
        bm_buf_init(&text, 256u << 20);
        FILE *f = NULL;
        if (bm__series_path(dir, name, ipath, sizeof(ipath)) || bm__series_encode(lines, &text) ||
            !(f = fopen(ipath, "w")) || fwrite(text.data, 1, text.len, f) != text.len || fclose(f))
            return fail(name, "cannot write the index file");
        bm_buf_release(&text);
        json_decref(lines);
    }
    if (sqlite3_finalize(ins) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return fail(path, sqlite3_errmsg(db));
    sqlite3_close(db);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("ui_state_gen: %ld schedules x %ld executions (%lld in all) in %s, %.1f s\n", ns, nexec,
           (long long)id, dir, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
