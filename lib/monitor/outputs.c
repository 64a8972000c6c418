/* The outputs of an execution: the output folder, rendering, and writing a complete set or none. */
#include <stdio.h>
#include <string.h>
#include "biasmon/bias.h"
#include "biasmon/isotime.h"
#include "biasmon/jsonw.h"
#include "biasmon/reportdoc.h"
#include "biasmon/store.h"
#include "biasmon/verdict.h"
#include "biasmon/violations.h"
#include "internal.h"

static json_t *account_json(bm__run *r, json_t *groups)
{
    char sched[32], a[32], b[32], g[32];
    bm_time_format(r->T, sched, sizeof(sched));
    bm_time_format(r->ws, a, sizeof(a));
    bm_time_format(r->we, b, sizeof(b));
    bm_time_format(bm_time_hour_floor(r->ws), g, sizeof(g));
    json_t *first = json_array();
    for (size_t k = 0; first && k < r->nfirst; k++)
        json_array_append_new(first, json_pack("{s:s,s:I,s:s}", "file", r->first[k].file, "line",
                                               (json_int_t)r->first[k].line, "reason",
                                               r->first[k].reason));
    const bm_job_definition *jd = r->jd;
    json_t *o = json_pack(
        "{s:s,s:s,s:o,s:s,s:s,s:s,s:{s:s,s:s},s:{s:s,s:s},s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:"
        "I,s:I,s:I,s:I,s:I},s:o,s:o,s:o,s:o,s:I}",
        "MonitoringScheduleName", r->p->schedule_name ? r->p->schedule_name : jd->name,
        "JobDefinitionName", jd->name, "EndpointName",
        jd->input.endpoint_name ? json_string(jd->input.endpoint_name) : json_null(),
        "ScheduledTime", sched, "Status", bm_exec_status_name(r->res->status), "FailureReason",
        r->res->failure_reason, "window", "start", a, "end", b, "ground_truth_hours", "start", g,
        "end", sched, "counts", "capture_files", (json_int_t)r->capture_files, "capture_records",
        (json_int_t)r->capture_records, "records_in_window", (json_int_t)r->in_window,
        "records_outside_window", (json_int_t)r->outside_window, "malformed_capture_records",
        (json_int_t)r->malformed_capture, "ground_truth_files", (json_int_t)r->gt_files,
        "ground_truth_records", (json_int_t)r->gt_records, "malformed_ground_truth_records",
        (json_int_t)r->malformed_gt, "duplicate_ground_truth_ids", (json_int_t)r->gt.duplicates,
        "duplicate_capture_records", (json_int_t)r->duplicate_capture, "joined_records",
        (json_int_t)r->joined_records, "rows", (json_int_t)r->rows,
        "capture_records_without_ground_truth", (json_int_t)r->unjoined_capture,
        "ground_truth_without_capture", (json_int_t)r->gt_unmatched, "first_malformed",
        first ? first : json_array(), "first_unmatched_capture_id",
        r->first_unmatched_capture[0] ? json_string(r->first_unmatched_capture) : json_null(),
        "first_unmatched_ground_truth_id",
        r->first_unmatched_gt[0] ? json_string(r->first_unmatched_gt) : json_null(), "facet_groups",
        groups ? groups : json_object(), "violations", (json_int_t)r->res->violations);
    /* hour partials: how this run read its capture (docs/partials.md); null when it read every
     * hour from the capture itself */
    json_t *parts = NULL;
    if (o && r->partials) {
        json_t *notes = json_array();
        for (size_t k = 0; notes && k < r->npartial_notes; k++)
            json_array_append_new(notes, json_string(r->partial_notes[k]));
        parts = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "folder", r->partials_root, "reused",
                          (json_int_t)r->partials_reused, "built", (json_int_t)r->partials_built,
                          "rejected", (json_int_t)r->partials_rejected, "not_saved",
                          (json_int_t)r->partials_unsaved, "ground_truth_files_summarised",
                          (json_int_t)r->gtc_reused, "ground_truth_summaries_saved",
                          (json_int_t)r->gtc_saved, "notes", notes ? notes : json_array());
        if (!parts) {
            json_decref(o);
            return NULL;
        }
    }
    if (o && json_object_set_new(o, "partials", parts ? parts : json_null())) {
        json_decref(o);
        return NULL;
    }
    /* a sharded execution: its workers, and the parts rank 0 read again itself (docs/shards.md);
     * absent otherwise */
    if (o && r->nshards > 1 &&
        json_object_set_new(o, "shards",
                            json_pack("{s:i,s:s,s:I,s:I}", "workers", r->nshards, "over",
                                      r->p->comm ? "processes" : "threads", "read_again",
                                      (json_int_t)r->shards_reread, "part_bytes",
                                      (json_int_t)r->shards_bytes))) {
        json_decref(o);
        return NULL;
    }
    /* metrics a baseline could not check (null without a baseline or before the check) */
    if (o && json_object_set_new(o, "baseline_unchecked_metrics",
                                 r->unchecked ? json_incref(r->unchecked) : json_null())) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Merges the group sizes of all in-window rows and of labelled rows into one report. */
static json_t *facet_groups(bm__run *r, bm_error *err)
{
    json_t *all = NULL, *lab = NULL;
    if (bm_cube_facet_groups(r->all, &all, err) || bm_cube_facet_groups(r->joined, &lab, err)) {
        json_decref(all);
        return NULL;
    }
    const char *facet;
    json_t *entries;
    json_object_foreach(all, facet, entries)
    {
        json_t *le = json_object_get(lab, facet);
        size_t i;
        json_t *e;
        if (!json_is_array(entries)) continue;
        json_array_foreach(entries, i, e)
        {
            json_t *match = NULL;
            size_t j;
            json_t *f;
            if (json_is_array(le))
                json_array_foreach(
                    le, j, f) if (json_equal(json_object_get(f, "value_or_threshold"),
                                             json_object_get(e, "value_or_threshold"))) match = f;
            json_object_set_new(
                e, "labelled_rows",
                json_integer(match ? json_integer_value(json_object_get(match, "rows")) : 0));
            json_object_set_new(
                e, "other_labelled_rows",
                json_integer(match ? json_integer_value(json_object_get(match, "other_rows")) : 0));
        }
    }
    json_decref(lab);
    return all;
}

int bm_execution_output_folder(const char *s3_uri, const char *endpoint, const char *schedule,
                               int64_t T, char *out, size_t n, bm_error *err)
{
    bm_civil c;
    bm_time_civil(T, &c);
    if (!s3_uri) s3_uri = "";
    int w;
    if (!endpoint || !*endpoint)
        w = snprintf(out, n, "%s/%s/%04d/%02d/%02d/%02d", s3_uri, schedule, c.year, c.month, c.day,
                     c.hour);
    else
        w = snprintf(out, n, "%s/%s/%s/%04d/%02d/%02d/%02d", s3_uri, endpoint, schedule, c.year,
                     c.month, c.day, c.hour);
    if (w > 0 && (size_t)w < n) return BM_OK;
    if (n) out[0] = 0;
    return bm_error_set(err, BM_ELIMIT,
                        "the output folder under MonitoringOutputs[0].S3Output.S3Uri (%zu bytes) "
                        "would be %d bytes, more than %zu: use a shorter S3Uri",
                        strlen(s3_uri), w, n ? n - 1 : 0);
}

int bm__folder_at(bm__run *r, int64_t T, char *out, size_t n)
{
    const bm_job_definition *jd = r->jd;
    bm_error e;
    bm_error_clear(&e);
    return bm_execution_output_folder(
        jd->output_uri, jd->input.batch ? NULL : jd->input.endpoint_name,
        r->p->schedule_name ? r->p->schedule_name : jd->name, T, out, n, &e);
}

int bm__output_folder(bm__run *r)
{
    return bm__folder_at(r, r->T, r->res->output_uri, sizeof(r->res->output_uri));
}

/* The outputs beside execution.json, in the order they are written. */
enum { OUT_ANALYSIS, OUT_VIOLATIONS, OUT_METRICS, OUT_REPORT, OUT_COUNTS, OUT_EVIDENCE, NOUT };
static const char *const out_name[NOUT] = {"analysis.json",
                                           "constraint_violations.json",
                                           "cloudwatch_metrics.jsonl",
                                           "report.html",
                                           BM_COUNTS_NAME,
                                           BM_EVIDENCE_NAME};

/* report.html beside analysis.json: the analysis, the baseline, the violations and the account as
 * execution.json will have it, and the statistical rule's evidence (NULL under SageMaker's). */
static int render_report(bm__run *r, json_t *analysis, json_t *violations, json_t *evidence,
                         json_t *groups, bm_buf *b, bm_error *err)
{
    json_t *account = account_json(r, json_incref(groups));
    if (!account) return bm_error_set(err, BM_ENOMEM, "out of memory");
    bm_report_input in = {NULL, analysis, r->baseline, violations, account, evidence};
    int rc = bm_report_html(&in, b);
    json_decref(account);
    return rc ? bm_error_set(err, rc, "cannot render %s", out_name[OUT_REPORT]) : BM_OK;
}

static int render_json(json_t *v, bm_buf *b, bm_error *err, const char *name)
{
    int rc = bm_json_write(v, 2, b);
    if (!rc) rc = bm_buf_putc(b, '\n');
    return rc ? bm_error_set(err, rc, "cannot render %s", name) : BM_OK;
}

/* Removes the outputs k < n of the folder (those of an earlier run, or this run's own when the
 * set cannot be completed); the first failure is kept in err. */
static int remove_outputs(const char *dir, int n, bm_error *err)
{
    int rc = BM_OK;
    for (int k = 0; k < n; k++) {
        char uri[4200];
        bm_error e;
        bm_error_clear(&e);
        int r = bm_uri_join(dir, out_name[k], uri, sizeof(uri));
        if (!r) r = bm_store_remove(uri, &e);
        if (r && !rc) {
            rc = r;
            *err = e;
        }
    }
    return rc;
}

/* Writes the rendered outputs (body[k] when have[k]) so that a folder holds a complete set or
 * none: execution.json of an earlier run goes first (nothing pairs it with new outputs), then
 * every output this run does not write, then this run's, and execution.json last (finish). When
 * a write fails (a full disk, a quota) the outputs written are removed and the run is Failed
 * with the write's error. Returns an error only when the folder cannot be cleared. */
static int commit_outputs(bm__run *r, bm_buf body[NOUT], const int have[NOUT], bm_error *err)
{
    const char *dir = r->res->output_uri;
    char uri[4200];
    int rc = bm_uri_join(dir, "execution.json", uri, sizeof(uri));
    if (!rc) rc = bm_store_remove(uri, err);
    for (int k = 0; !rc && k < NOUT; k++) {
        if (have[k]) continue;
        if (!(rc = bm_uri_join(dir, out_name[k], uri, sizeof(uri)))) rc = bm_store_remove(uri, err);
    }
    if (rc) return rc;
    for (int k = 0; k < NOUT; k++) {
        if (!have[k]) continue;
        bm_error e;
        bm_error_clear(&e);
        rc = bm_uri_join(dir, out_name[k], uri, sizeof(uri));
        if (!rc) rc = bm_store_write(uri, body[k].data ? body[k].data : "", body[k].len, &e);
        if (rc == BM_OK) continue;
        if (rc == BM_ENOMEM) return bm_error_set(err, rc, "out of memory");
        char msg[1200];
        bm_error_format(&e, msg, sizeof(msg));
        /* the set cannot be complete: none of it stays */
        if (remove_outputs(dir, NOUT, err)) return err->code;
        bm__fail_run(
            r,
            "cannot write the outputs: %s: free space (or raise the quota) there and run the "
            "execution again",
            msg);
        r->res->violations = 0;
        return BM_OK;
    }
    return BM_OK;
}

int bm__finish(bm__run *r, bm_error *err)
{
    int rc = BM_OK;
    json_t *analysis = NULL, *violations = NULL, *groups = NULL, *evidence = NULL, *counts = NULL;
    bm_alarm_settings alarm;
    bm_error ae;
    if (bm_alarm_settings_from_env(r->jd->environment, &alarm, &ae))
        alarm.rule = BM_RULE_SAGEMAKER; /* validated */
    bm_buf body[NOUT];
    int have[NOUT] = {0};
    for (int k = 0; k < NOUT; k++)
        bm_buf_init(&body[k], (size_t)1 << 30);
    const char *out = r->res->output_uri;
    /* everything is rendered before anything is written */
    if (r->res->status != BM_EXEC_FAILED) {
        if ((rc = bm_cube_analyze(r->joined, 0, &analysis, err))) goto out;
        /* the baseline first: a Failed execution writes execution.json alone */
        if (r->jd->baseline_uri && alarm.rule == BM_RULE_STATISTICAL) {
            if ((rc = bm__statistical_verdict(r, analysis, &violations, &evidence, &counts, err)))
                goto out;
        } else if (r->jd->baseline_uri) {
            if ((rc = bm__check_baseline(r, analysis, &violations))) {
                bm_error_set(err, rc, "out of memory");
                goto out;
            }
        } else if (r->jd->baselining_job_name) {
            bm__fail_run(
                r, "ModelBiasBaselineConfig.BaseliningJobName needs biasmon serve; for biasmon "
                   "execute give ConstraintsResource.S3Uri (a baseline analysis.json)");
        }
        int k = OUT_ANALYSIS; /* the output being rendered */
        if (r->res->status != BM_EXEC_FAILED) {
            rc = render_json(analysis, &body[k], err, out_name[k]);
            have[k] = !rc;
            if (!rc && violations) {
                k = OUT_VIOLATIONS;
                rc = render_json(violations, &body[k], err, out_name[k]);
                have[k] = !rc;
                if (!rc && r->res->violations) r->res->status = BM_EXEC_COMPLETED_WITH_VIOLATIONS;
            }
            for (int j = 0; j < 2 && !rc && evidence && counts; j++) {
                k = j ? OUT_EVIDENCE : OUT_COUNTS;
                rc = render_json(j ? evidence : counts, &body[k], err, out_name[k]);
                have[k] = !rc;
            }
        }
        json_t *pub = r->jd->environment
                          ? json_object_get(r->jd->environment, "publish_cloudwatch_metrics")
                          : NULL;
        if (!rc && r->res->status != BM_EXEC_FAILED &&
            !(json_is_string(pub) && !strcmp(json_string_value(pub), "Disabled"))) {
            size_t n;
            char ts[32];
            bm_time_format(r->ws, ts, sizeof(ts));
            k = OUT_METRICS;
            rc = bm_cloudwatch_records(
                analysis, r->jd->input.batch ? NULL : r->jd->input.endpoint_name,
                r->p->schedule_name ? r->p->schedule_name : r->jd->name, ts, &body[k], &n);
            if (rc) bm_error_set(err, rc, "cannot render %s", out_name[k]);
            have[k] = !rc;
        }
        if (rc == BM_ELIMIT) { /* an output beyond its bound: the execution fails with none */
            bm__fail_run(r, "%s would be larger than %zu bytes: analyse fewer facets or metrics",
                         out_name[k], body[k].max);
            memset(have, 0, sizeof(have));
            r->res->violations = 0;
            rc = BM_OK;
        }
        if (rc) goto out;
        groups = facet_groups(r, err);
        if (!groups) {
            rc = err->code ? err->code : BM_ENOMEM;
            goto out;
        }
        if (have[OUT_ANALYSIS] &&
            (rc = render_report(r, analysis, violations, evidence, groups, &body[OUT_REPORT], err)))
            goto out;
        have[OUT_REPORT] = have[OUT_ANALYSIS];
    }
    if ((rc = commit_outputs(r, body, have, err))) goto out;
    r->res->account = account_json(r, groups);
    groups = NULL;
    if (!r->res->account) {
        rc = bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    bm_buf_release(&body[0]);
    bm_buf_init(&body[0], (size_t)1 << 30);
    char uri[4200];
    if (!(rc = render_json(r->res->account, &body[0], err, "execution.json")) &&
        !(rc = bm_uri_join(out, "execution.json", uri, sizeof(uri))))
        rc = bm_store_write(uri, body[0].data, body[0].len, err);
    if (rc) {
        /* without its account the set is not complete either: the caller reports the error */
        bm_error ignored;
        (void)remove_outputs(out, NOUT, &ignored);
    }
out:
    for (int k = 0; k < NOUT; k++)
        bm_buf_release(&body[k]);
    json_decref(analysis);
    json_decref(violations);
    json_decref(evidence);
    json_decref(counts);
    json_decref(groups);
    return rc;
}
