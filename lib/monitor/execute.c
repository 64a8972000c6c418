/* One monitoring execution, stage by stage: window, ground truth, capture or batch rows, cubes,
 * verdict, outputs (each stage in its own file of lib/monitor/; their shared state is internal.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/bias.h"
#include "biasmon/config.h"
#include "biasmon/execution.h"
#include "biasmon/isotime.h"
#include "biasmon/verdict.h"
#include "internal.h"

const char *bm_exec_status_name(bm_exec_status s)
{
    switch (s) {
    case BM_EXEC_COMPLETED:
        return "Completed";
    case BM_EXEC_COMPLETED_WITH_VIOLATIONS:
        return "CompletedWithViolations";
    case BM_EXEC_FAILED:
        return "Failed";
    }
    return "Failed";
}

int bm_execution_time_check(int64_t T, bm_error *err)
{
    if (T % 3600 == 0) return BM_OK;
    char t[32];
    bm_time_format(T, t, sizeof(t));
    return bm_error_set(
        err, BM_ECONFIG,
        "%s is not on the hour: an execution's outputs go to the folder of its hour", t);
}

void bm__note_problem(bm__run *r, const char *file, long line, const char *fmt, const char *a)
{
    bm__problem q, *p = r->nfirst < MAX_FIRST ? &r->first[r->nfirst++] : &q;
    if (p == &q && !r->hb) return;
    (void)bm_fmt_fit(p->file, sizeof(p->file), "%s", file);
    p->line = line;
    (void)bm_fmt_fit(p->reason, sizeof(p->reason), fmt, a); /* shown only: ends in "..." if cut */
    if (r->hb) bm__hour_problem(r->hb, p);
}

/* An in-window record that could not be used: counted as malformed, and the first one kept for
 * the reason when no record is left (bm__explain_no_data). */
void bm__in_window_problem(bm__run *r, const char *file, long line)
{
    r->malformed_capture++;
    bm__note_problem(r, file, line, "%s", r->x.why);
    bm__problem q, *p = r->malformed_in_window++ ? &q : &r->first_in_window;
    if (p == &q && !r->hb) return;
    (void)bm_fmt_fit(p->file, sizeof(p->file), "%s", file);
    p->line = line;
    if (r->x.why_setting)
        (void)bm_fmt_fit(p->reason, sizeof(p->reason), "%s ($.ModelBiasJobInput.%s.%s)", r->x.why,
                         r->jd->input.batch ? "BatchTransformInput" : "EndpointInput",
                         r->x.why_setting);
    else
        (void)bm_fmt_fit(p->reason, sizeof(p->reason), "%s", r->x.why);
    if (r->hb) bm__hour_window_problem(r->hb, p);
}

void bm__fail_run(bm__run *r, const char *fmt, ...)
{
    if (r->res->status == BM_EXEC_FAILED) return; /* keep the first reason */
    r->res->status = BM_EXEC_FAILED;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->res->failure_reason, sizeof(r->res->failure_reason), fmt, ap);
    va_end(ap);
}

int bm_execute(const bm_execution_params *p, bm_execution_result *res, bm_error *err)
{
    bm__run r;
    memset(&r, 0, sizeof(r));
    memset(res, 0, sizeof(*res));
    bm_error_clear(err);
    r.p = p;
    r.jd = p->job;
    r.res = res;
    r.T = p->scheduled_time;
    res->status = BM_EXEC_COMPLETED;
    bm_alarm_settings alarm;
    bm_error ae;
    r.unlabelled_ok = p->job->baseline_uri &&
                      !bm_alarm_settings_from_env(p->job->environment, &alarm, &ae) &&
                      alarm.rule == BM_RULE_STATISTICAL;
    int rc = BM_OK;
    if (bm__output_folder(&r)) {
        rc = bm_error_set(err, BM_ELIMIT,
                          "the output folder under %.200s... is longer than %zu bytes: use a "
                          "shorter MonitoringOutputs[0].S3Output.S3Uri",
                          p->job->output_uri, sizeof(res->output_uri) - 1);
        goto out;
    }
    if ((rc = bm__gather(&r, err))) goto out;
    if (p->comm && p->comm->rank != 0) goto out; /* a worker: rank 0 writes the outputs */
    rc = bm__finish(&r, err);
out:
    bm__run_release(&r);
    return rc;
}

int bm__gather(bm__run *r, bm_error *err)
{
    int rc;
    r->nshards = r->p->comm ? r->p->comm->size : r->p->shards > 1 ? r->p->shards : 1;
    if ((rc = bm__setup(r, err))) return rc;
    if (r->res->status != BM_EXEC_FAILED && (rc = bm__read_ground_truth(r, err))) return rc;
    if (r->res->status != BM_EXEC_FAILED) {
        if ((rc = r->jd->input.batch ? bm__read_batch(r, err) : bm__read_capture(r, err)))
            return rc;
    }
    if ((rc = bm__shards_settle(r, err))) return rc;
    bm__count_unmatched_gt(r);
    if (r->res->status != BM_EXEC_FAILED && r->rows == 0 && !bm__unlabelled_window(r))
        bm__explain_no_data(r);
    return BM_OK;
}

int bm__unlabelled_window(const bm__run *r)
{
    return r->unlabelled_ok && r->rows == 0 && r->joined_records == 0 && r->unjoined_capture > 0 &&
           bm_cube_rows(r->all) > 0;
}

void bm__run_release(bm__run *r)
{
    if (r->have_cfg) bm_analysis_config_release(&r->cfg);
    bm_free(r->names);
    bm_free(r->cells);
    bm_free(r->fields);
    bm_cube_free(r->joined);
    bm_cube_free(r->all);
    bm_plan_free(r->plan);
    bm__gt_release(&r->gt);
    json_decref(r->unchecked);
    json_decref(r->baseline);
    bm__extractor_release(&r->x);
    bm_capture_scanner_free(r->scan[0]);
    bm_capture_scanner_free(r->scan[1]);
    bm_free(r->stage);
    memset(r, 0, sizeof(*r));
}
