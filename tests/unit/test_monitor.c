/* Unit tests for the stages of a monitoring execution (lib/monitor/): the window bounds, the output
 * folder (the one rule the worker and the scheduler share), the result a worker hands back, and the
 * ground-truth join's edge cases through bm_execute on small files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "biasmon/execution.h"
#include "biasmon/isotime.h"
#include "biasmon/jobdef.h"
#include "monitor/internal.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/bm-test-monitor-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int64_t at(const char *iso)
{
    int64_t t = 0;
    bm_error e;
    bm_error_clear(&e);
    assert_int_equal(bm_time_parse(iso, strlen(iso), &t, &e), BM_OK);
    return t;
}

/* ==================================================================== the window */

static void window_of(const char *sched_start, const char *sched_end, const char *job_start,
                      const char *job_end, int64_t period, int want_rc, const char *want_ws,
                      const char *want_we, const char *why_has)
{
    bm_execution_params p;
    memset(&p, 0, sizeof(p));
    bm_job_input in;
    memset(&in, 0, sizeof(in));
    p.scheduled_time = at("2026-11-24T12:00:00Z");
    p.window_start = sched_start;
    p.window_end = sched_end;
    p.default_period = period;
    in.start_time_offset = (char *)job_start;
    in.end_time_offset = (char *)job_end;
    int64_t ws = -1, we = -1;
    char why[1024] = "";
    int rc = bm__window_bounds(&p, &in, &ws, &we, why, sizeof(why));
    assert_int_equal(rc, want_rc);
    assert_int_equal(ws, want_ws ? at(want_ws) : 0);
    assert_int_equal(we, want_we ? at(want_we) : 0);
    if (why_has) {
        if (!strstr(why, why_has)) fail_msg("\"%s\" does not say \"%s\"", why, why_has);
    } else {
        assert_string_equal(why, "");
    }
}

static void test_window_default_is_the_hour_before_T(void **state)
{
    (void)state;
    window_of(NULL, NULL, NULL, NULL, 0, BM_OK, "2026-11-24T11:00:00Z", "2026-11-24T12:00:00Z",
              NULL);
    /* the schedule's period when the daemon gives one */
    window_of(NULL, NULL, NULL, NULL, 86400, BM_OK, "2026-11-23T12:00:00Z", "2026-11-24T12:00:00Z",
              NULL);
}

static void test_window_offsets_and_overrides(void **state)
{
    (void)state;
    /* the job's offsets */
    window_of(NULL, NULL, "-PT3H", "-PT1H", 0, BM_OK, "2026-11-24T09:00:00Z",
              "2026-11-24T11:00:00Z", NULL);
    /* one offset alone: the other keeps its default (start T - period, end T) */
    window_of(NULL, NULL, "-PT2H", NULL, 0, BM_OK, "2026-11-24T10:00:00Z", "2026-11-24T12:00:00Z",
              NULL);
    window_of(NULL, NULL, NULL, "-PT30M", 7200, BM_OK, "2026-11-24T10:00:00Z",
              "2026-11-24T11:30:00Z", NULL);
}

static void test_window_schedule_overrides_job(void **state)
{
    (void)state;
    window_of("-PT5H", "-PT2H", "-PT3H", "-PT1H", 0, BM_OK, "2026-11-24T07:00:00Z",
              "2026-11-24T10:00:00Z", NULL);
    /* each override alone */
    window_of("-PT5H", NULL, "-PT3H", "-PT1H", 0, BM_OK, "2026-11-24T07:00:00Z",
              "2026-11-24T11:00:00Z", NULL);
}

static void test_window_bounds_refused(void **state)
{
    (void)state;
    /* unreadable: which setting is named, and no window */
    window_of(NULL, NULL, "yesterday", NULL, 0, BM_ECONFIG, NULL, NULL,
              "StartTimeOffset is not a window offset");
    window_of(NULL, "soon", NULL, NULL, 0, BM_ECONFIG, NULL, NULL,
              "ScheduleConfig.DataAnalysisEndTime is not a window offset");
    /* reach: 400 days from T is the most */
    window_of(NULL, NULL, "-P400D", "-PT0H", 0, BM_OK, "2025-10-20T12:00:00Z",
              "2026-11-24T12:00:00Z", NULL);
    window_of(NULL, NULL, "-P400DT1H", "-PT1H", 0, BM_ECONFIG, NULL, NULL,
              "the start offset -P400DT1H reaches more");
    window_of(NULL, NULL, "-PT1H", "P400DT1H", 0, BM_ECONFIG, NULL, NULL,
              "the end offset P400DT1H reaches more");
    /* empty: start == end (the window is half-open) */
    window_of(NULL, NULL, "-PT1H", "-PT1H", 0, BM_ECONFIG, "2026-11-24T11:00:00Z",
              "2026-11-24T11:00:00Z",
              "the window [2026-11-24T11:00:00Z, 2026-11-24T11:00:00Z) is empty");
    /* longer than 400 days */
    window_of(NULL, NULL, "-P400D", "PT1H", 0, BM_ECONFIG, "2025-10-20T12:00:00Z",
              "2026-11-24T13:00:00Z", "is longer than 400 days");
}

/* ==================================================================== the output folder */

static void test_output_folder_layout(void **state)
{
    (void)state;
    char out[BM_EXECUTION_OUTPUT_MAX];
    bm_error e;
    bm_error_clear(&e);
    int64_t T = at("2026-03-05T07:00:00Z");
    assert_int_equal(
        bm_execution_output_folder("s3://b/out", "ep-1", "sched", T, out, sizeof(out), &e), BM_OK);
    assert_string_equal(out, "s3://b/out/ep-1/sched/2026/03/05/07");
    /* batch transform: no endpoint folder, whether NULL or "" */
    assert_int_equal(
        bm_execution_output_folder("/data/out", NULL, "sched", T, out, sizeof(out), &e), BM_OK);
    assert_string_equal(out, "/data/out/sched/2026/03/05/07");
    assert_int_equal(bm_execution_output_folder("/data/out", "", "sched", T, out, sizeof(out), &e),
                     BM_OK);
    assert_string_equal(out, "/data/out/sched/2026/03/05/07");
    /* the folder is of T's hour, in UTC */
    assert_int_equal(
        bm_execution_output_folder("o", "e", "s", at("2026-12-31T23:00:00Z"), out, sizeof(out), &e),
        BM_OK);
    assert_string_equal(out, "o/e/s/2026/12/31/23");
}

static void test_output_folder_never_cut(void **state)
{
    (void)state;
    const char *want = "o/e/s/2026/03/05/07"; /* 19 bytes */
    int64_t T = at("2026-03-05T07:00:00Z");
    char out[64];
    bm_error e;
    bm_error_clear(&e);
    assert_int_equal(bm_execution_output_folder("o", "e", "s", T, out, strlen(want) + 1, &e),
                     BM_OK);
    assert_string_equal(out, want);
    /* one byte short: refused, nothing half-named left */
    memset(out, 'x', sizeof(out));
    assert_int_equal(bm_execution_output_folder("o", "e", "s", T, out, strlen(want), &e),
                     BM_ELIMIT);
    assert_string_equal(out, "");
    assert_non_null(strstr(e.msg, "use a shorter S3Uri"));
    /* a 4,000-byte S3Uri fits the worker's folder and the scheduler's record alike, 4,100 does not
     */
    static char uri[4200], big[BM_EXECUTION_OUTPUT_MAX];
    memset(uri, 'u', 4000);
    uri[4000] = 0;
    assert_int_equal(bm_execution_output_folder(uri, "e", "s", T, big, sizeof(big), &e), BM_OK);
    assert_int_equal(strlen(big), 4000 + strlen(want) - 1);
    memset(uri, 'u', 4100);
    uri[4100] = 0;
    assert_int_equal(bm_execution_output_folder(uri, "e", "s", T, big, sizeof(big), &e), BM_ELIMIT);
}

/* ==================================================================== the worker's result */

static void test_result_round_trip(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/result.json", dir);
    bm_execution_result a, b;
    memset(&a, 0, sizeof(a));
    a.status = BM_EXEC_COMPLETED_WITH_VIOLATIONS;
    snprintf(a.failure_reason, sizeof(a.failure_reason), "a \"quoted\" reason\nwith a line");
    memset(a.output_uri, 'o', sizeof(a.output_uri) - 1); /* the longest folder there is */
    a.violations = 7;
    bm_error e;
    bm_error_clear(&e);
    assert_int_equal(bm_execution_result_write(&a, path, &e), BM_OK);
    assert_int_equal(bm_execution_result_read(path, &b, &e), BM_OK);
    assert_int_equal(b.status, a.status);
    assert_string_equal(b.failure_reason, a.failure_reason);
    assert_string_equal(b.output_uri, a.output_uri);
    assert_int_equal(b.violations, 7);
    assert_null(b.account);
    a.status = BM_EXEC_FAILED;
    a.violations = 0;
    assert_int_equal(bm_execution_result_write(&a, path, &e), BM_OK);
    assert_int_equal(bm_execution_result_read(path, &b, &e), BM_OK);
    assert_int_equal(b.status, BM_EXEC_FAILED);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_result_refused(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/result.json", dir);
    bm_execution_result b;
    bm_error e;
    bm_error_clear(&e);
    /* none left: the worker ended without an outcome */
    assert_int_equal(bm_execution_result_read(path, &b, &e), BM_ENOTFOUND);
    write_text(
        path,
        "{\"Status\": \"Done\", \"FailureReason\": \"\", \"Violations\": 0, \"OutputUri\": \"o\"}");
    assert_int_equal(bm_execution_result_read(path, &b, &e), BM_EDATA);
    assert_string_equal(e.path, "$.Status");
    write_text(path, "{\"Status\": \"Completed\", \"FailureReason\": \"\", \"Violations\": -1, "
                     "\"OutputUri\": \"o\"}");
    assert_int_equal(bm_execution_result_read(path, &b, &e), BM_EDATA);
    assert_string_equal(e.path, "$.Violations");
    write_text(path, "{\"Status\": \"Completed\", \"FailureReason\": \"\", \"Violations\": 0}");
    assert_int_equal(bm_execution_result_read(path, &b, &e), BM_EDATA);
    assert_string_equal(e.path, "$.OutputUri");
    write_text(path, "{\"Status\": \"Compl");
    assert_int_equal(bm_execution_result_read(path, &b, &e), BM_EDATA);
    /* a directory in its place is refused at once */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(bm_execution_result_read(path, &b, &e), BM_EIO);
}

/* ==================================================================== the ground-truth join */

static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = 0;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
    *slash = '/';
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void cap(const char *hour, const char *time, const char *event, const char *inference,
                const char *x, const char *yhat)
{
    char rel[128], line[1024], inf[128] = "";
    snprintf(rel, sizeof(rel), "capture/ep/AllTraffic/2026/11/24/%s/c.jsonl", hour);
    if (inference) snprintf(inf, sizeof(inf), ", \"inferenceId\": \"%s\"", inference);
    snprintf(
        line, sizeof(line),
        "{\"captureData\": {\"endpointInput\": {\"observedContentType\": \"text/csv\", \"mode\": "
        "\"INPUT\", "
        "\"data\": \"%s\", \"encoding\": \"CSV\"}, \"endpointOutput\": {\"observedContentType\": "
        "\"text/csv\", \"mode\": \"OUTPUT\", \"data\": \"%s\", \"encoding\": \"CSV\"}}, "
        "\"eventMetadata\": "
        "{\"eventId\": \"%s\"%s, \"inferenceTime\": \"2026-11-24T%sZ\"}, \"eventVersion\": "
        "\"0\"}\n",
        x, yhat, event, inf, time);
    put(rel, line);
}

static void gt(const char *hour, const char *id, const char *data, const char *encoding)
{
    char rel[128], line[512], meta[160] = "";
    snprintf(rel, sizeof(rel), "gt/2026/11/24/%s/g.jsonl", hour);
    if (id) snprintf(meta, sizeof(meta), "\"eventMetadata\": {\"eventId\": \"%s\"}, ", id);
    snprintf(line, sizeof(line),
             "{\"groundTruthData\": {\"data\": \"%s\", \"encoding\": \"%s\"}, %s\"eventVersion\": "
             "\"0\"}\n",
             data, encoding, meta);
    put(rel, line);
}

static json_t *execute(void)
{
    char text[2048], path[128];
    snprintf(text, sizeof(text),
             "{\"headers\": [\"x0\", \"sex\", \"y\"], \"label\": \"y\", "
             "\"label_values_or_threshold\": [1], "
             "\"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"F\"]}]}");
    snprintf(path, sizeof(path), "%s/ac.json", dir);
    write_text(path, text);
    snprintf(
        text, sizeof(text),
        "{\"JobDefinitionName\": \"jd\", \"ModelBiasAppSpecification\": {\"ImageUri\": "
        "\"biasmon\", "
        "\"ConfigUri\": \"%s/ac.json\"}, \"ModelBiasJobInput\": {\"EndpointInput\": "
        "{\"EndpointName\": \"ep\", "
        "\"LocalPath\": \"/opt/ml/processing/input/endpoint\"}, \"GroundTruthS3Input\": "
        "{\"S3Uri\": \"%s/gt\"}}, "
        "\"ModelBiasJobOutputConfig\": {\"MonitoringOutputs\": [{\"S3Output\": {\"S3Uri\": "
        "\"%s/out\", "
        "\"LocalPath\": \"/opt/ml/processing/output\"}}]}, \"JobResources\": {\"ClusterConfig\": "
        "{\"InstanceCount\": 1, \"InstanceType\": \"ml.m5.xlarge\", \"VolumeSizeInGB\": 30}}, "
        "\"RoleArn\": \"arn:aws:iam::012345678901:role/SageMakerRole\"}",
        dir, dir, dir);
    snprintf(path, sizeof(path), "%s/jd.json", dir);
    write_text(path, text);
    bm_job_definition jd;
    bm_error e;
    bm_error_clear(&e);
    if (bm_job_definition_load(path, &jd, &e)) fail_msg("job definition: %s", e.msg);
    char capture[128];
    snprintf(capture, sizeof(capture), "%s/capture", dir);
    bm_execution_params p;
    memset(&p, 0, sizeof(p));
    p.job = &jd;
    p.scheduled_time = at("2026-11-24T12:00:00Z");
    p.capture_uri = capture;
    bm_execution_result res;
    if (bm_execute(&p, &res, &e)) fail_msg("bm_execute: %s", e.msg);
    bm_job_definition_release(&jd);
    assert_non_null(res.account);
    char want[256];
    snprintf(want, sizeof(want), "%s/out/ep/jd/2026/11/24/12", dir);
    assert_string_equal(res.output_uri, want);
    return res.account;
}

static json_int_t count(json_t *acc, const char *name)
{
    json_t *v = json_object_get(json_object_get(acc, "counts"), name);
    if (!json_is_integer(v)) fail_msg("no count %s", name);
    return json_integer_value(v);
}

static void test_join_edge_cases(void **state)
{
    (void)state;
    /* window [11:00, 12:00), ground truth from hours 11 and 12 */
    cap("11", "11:00:00", "e-1", NULL, "1,F", "1"); /* joined on its eventId */
    cap("11", "11:05:00", "e-1", NULL, "1,F", "1"); /* a second delivery of e-1: a duplicate */
    cap("11", "11:10:00", "e-2", "i-2", "2,M",
        "0");                                       /* joined on its inferenceId, not its eventId */
    cap("11", "11:20:00", "e-3", NULL, "3,F", "1"); /* its ground truth has two labels: unusable */
    cap("11", "11:30:00", "e-4", NULL, "4,M", "1"); /* no ground truth: unjoined */
    gt("11", "e-1", "1", "CSV");
    /* the eventId of a record that has an inferenceId: never matched (its two labels would make
     * a join on the eventId fail that record) */
    gt("11", "e-2", "0\\n0", "CSV");
    gt("12", "i-2", "1", "CSV");
    gt("12", "e-3", "1\\n0", "CSV");
    gt("12", NULL, "1", "CSV");  /* no eventId: malformed */
    gt("12", "e-5", "1", "XML"); /* an encoding biasmon does not read: malformed */
    gt("12", "e-6", "0", "CSV"); /* no capture record: unmatched */
    json_t *acc = execute();
    assert_string_equal(json_string_value(json_object_get(acc, "Status")), "Completed");
    assert_int_equal(count(acc, "records_in_window"), 5);
    assert_int_equal(count(acc, "duplicate_capture_records"), 1);
    assert_int_equal(count(acc, "joined_records"), 2);
    assert_int_equal(count(acc, "rows"), 2);
    assert_int_equal(count(acc, "capture_records_without_ground_truth"), 1);
    assert_string_equal(json_string_value(json_object_get(acc, "first_unmatched_capture_id")),
                        "e-4");
    assert_int_equal(count(acc, "ground_truth_records"), 5);
    /* two malformed records, and e-3's labels that do not fit its invocation */
    assert_int_equal(count(acc, "malformed_ground_truth_records"), 3);
    /* e-2 (an eventId nothing joins on) and e-6; e-3's was read but could not be used */
    assert_int_equal(count(acc, "ground_truth_without_capture"), 3);
    json_decref(acc);
}

static void test_join_nothing_joined_says_why(void **state)
{
    (void)state;
    cap("11", "11:00:00", "e-1", NULL, "1,F", "1");
    gt("12", "other", "1", "CSV");
    json_t *acc = execute();
    assert_string_equal(json_string_value(json_object_get(acc, "Status")), "Failed");
    const char *why = json_string_value(json_object_get(acc, "FailureReason"));
    assert_non_null(why);
    if (!strstr(why, "0 joined ground truth: first unmatched id e-1") ||
        !strstr(why, "first id other"))
        fail_msg("the reason does not name both ids: %s", why);
    json_decref(acc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_default_is_the_hour_before_T),
        cmocka_unit_test(test_window_offsets_and_overrides),
        cmocka_unit_test(test_window_schedule_overrides_job),
        cmocka_unit_test(test_window_bounds_refused),
        cmocka_unit_test(test_output_folder_layout),
        cmocka_unit_test(test_output_folder_never_cut),
        cmocka_unit_test_setup_teardown(test_result_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_result_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_edge_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_nothing_joined_says_why, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
