/* biasmon execute: one monitoring execution of a schedule at scheduled time T, offline. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/execution.h"
#include "biasmon/isotime.h"
#include "biasmon/jobdef.h"
#include "biasmon/store.h"
#include "cli.h"

void bm_cmd_execute_usage(FILE *out)
{
    fputs(
        "usage: biasmon execute --job-definition FILE --scheduled-time T [--schedule-name NAME]\n"
        "                       [--capture-uri URI] [--data-analysis-start-time OFFSET]\n"
        "                       [--data-analysis-end-time OFFSET] [--confine DIR]...\n"
        "                       [--result FILE] [--looks-per-day N] [--no-partials]\n"
        "                       [--shards N] [--summary] [--json]\n"
        "       mpirun -np N biasmon execute ...   (the same options but --shards)\n"
        "\n"
        "Runs one execution of a model bias monitoring schedule, as SageMaker Model Monitor\n"
        "does at the schedule's tick T: captured traffic with eventMetadata.inferenceTime in\n"
        "[T + StartTimeOffset, T + EndTimeOffset) is joined with ground truth uploaded in the\n"
        "hours from the window start to T (on inferenceId when the record has one, else\n"
        "eventId), analysed as the analysis config says, and checked against the baseline.\n"
        "\n"
        "  --job-definition FILE   a CreateModelBiasJobDefinition request body (JSON)\n"
        "  --scheduled-time T      the tick, on the hour, e.g. 2026-11-24T10:00:00Z\n"
        "  --schedule-name NAME    the schedule (output folder); default: the job definition name\n"
        "  --capture-uri URI       the endpoint's DataCaptureConfig.DestinationS3Uri, under which\n"
        "                          records live at {EndpointName}/{variant}/yyyy/mm/dd/HH/\n"
        "  --data-analysis-start-time, --data-analysis-end-time OFFSET\n"
        "                          ScheduleConfig's window (e.g. -PT2H), overriding the offsets\n"
        "  --confine DIR           read and write only beneath DIR (repeatable): the URIs of the\n"
        "                          job definition must be absolute paths inside one of them, and\n"
        "                          no symbolic link may lead out; biasmon serve runs its workers "
        "so\n"
        "                          (docs/serve.md). Without it, any file the user names is used.\n"
        "  --result FILE           also write the outcome (status, reason, violations, output\n"
        "                          folder) to FILE, a local path outside --confine's rule, when\n"
        "                          the execution reached one: how biasmon serve's workers report\n"
        "                          to the scheduler (docs/serve.md)\n"
        "  --looks-per-day N       executions a day of the schedule (1-1440), which the\n"
        "                          statistical rule counts as looks when it splits its budget\n"
        "                          (the larger of N and a day over the window length is used;\n"
        "                          biasmon serve passes its cron's)\n"
        "  --no-partials           read every capture hour of the window from the capture,\n"
        "                          neither using nor saving hour partials (by default each\n"
        "                          hour is reduced once to a partial under\n"
        "                          {S3Uri}/{EndpointName}/_partials/ that later executions\n"
        "                          reuse; docs/partials.md)\n"
        "  --shards N              read the window's capture objects with N threads (1-1024),\n"
        "                          each a contiguous part of about equal bytes, merged exactly\n"
        "                          (the outputs are those of one thread; hour partials are not\n"
        "                          used; docs/shards.md). Under mpirun (when biasmon was built\n"
        "                          with Open MPI) the ranks are the shards instead: each reads\n"
        "                          its part, rank 0 merges them and writes the outputs.\n"
        "  --summary               print the summary (status, records, headline metrics,\n"
        "                          violations, report) even when stdout is not a terminal\n"
        "  --json                  print execution.json (with output and report) to stdout\n"
        "\n"
        "Without offsets the window is the hour before T. URIs are local paths or file:// URIs.\n"
        "Outputs go to {S3Uri}/{EndpointName}/{schedule}/yyyy/mm/dd/HH/: analysis.json,\n"
        "constraint_violations.json (with a baseline), cloudwatch_metrics.jsonl, report.html\n"
        "(for people) and execution.json (the status, the window and what was read, joined\n"
        "and skipped).\n"
        "The baseline (ConstraintsResource.S3Uri) must be an analysis.json covering the\n"
        "analysis's stages and facets, or the execution fails saying what is missing; metrics\n"
        "it has no value for are named in execution.json (baseline_unchecked_metrics).\n"
        "\n"
        "Exit status: 0 Completed, 1 CompletedWithViolations, 3 Failed (execution.json and\n"
        "stderr say why), 2 bad command line, 4 execution.json could not be written (no output\n"
        "is left), 5 out of memory.\n",
        out);
}

int bm_cmd_execute(int argc, char **argv)
{
    static const struct option opts[] = {
        {"job-definition", required_argument, NULL, 'j'},
        {"scheduled-time", required_argument, NULL, 't'},
        {"schedule-name", required_argument, NULL, 's'},
        {"capture-uri", required_argument, NULL, 'c'},
        {"data-analysis-start-time", required_argument, NULL, 'a'},
        {"data-analysis-end-time", required_argument, NULL, 'b'},
        {"confine", required_argument, NULL, 'C'},
        {"result", required_argument, NULL, 'r'},
        {"looks-per-day", required_argument, NULL, 'L'},
        {"no-partials", no_argument, NULL, 'P'},
        {"shards", required_argument, NULL, 'N'},
        {"summary", no_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *jd_path = NULL, *when = NULL, *result_path = NULL;
    const char *roots[BM_STORE_MAX_ROOTS];
    size_t nroots = 0;
    int confine = 0, summary = 0, as_json = 0;
    bm_execution_params p;
    memset(&p, 0, sizeof(p));
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "j:t:s:c:a:b:C:r:L:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'j':
            jd_path = optarg;
            break;
        case 't':
            when = optarg;
            break;
        case 's':
            p.schedule_name = optarg;
            break;
        case 'c':
            p.capture_uri = optarg;
            break;
        case 'a':
            p.window_start = optarg;
            break;
        case 'b':
            p.window_end = optarg;
            break;
        case 'r':
            result_path = optarg;
            break;
        case 'L': {
            char *end = NULL;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1 || v > 1440) {
                fprintf(stderr, "biasmon execute: --looks-per-day takes a whole number from 1 to "
                                "1440 (executions a day)\n");
                return BM_EXIT_USAGE;
            }
            p.looks_per_day = (int)v;
            break;
        }
        case 'C':
            if (nroots == BM_STORE_MAX_ROOTS) {
                fprintf(stderr, "biasmon execute: at most %d --confine folders\n",
                        BM_STORE_MAX_ROOTS);
                return BM_EXIT_USAGE;
            }
            roots[nroots++] = optarg;
            confine = 1;
            break;
        case 'P':
            p.no_partials = 1;
            break;
        case 'N': {
            char *end = NULL;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1 || v > BM_SHARDS_MAX) {
                fprintf(stderr, "biasmon execute: --shards takes a whole number from 1 to %d\n",
                        BM_SHARDS_MAX);
                return BM_EXIT_USAGE;
            }
            p.shards = (int)v;
            break;
        }
        case 'S':
            summary = 1;
            break;
        case 'J':
            as_json = 1;
            break;
        case 'h':
            bm_cmd_execute_usage(stdout);
            return BM_EXIT_OK;
        default:
            bm_cmd_execute_usage(stderr);
            return BM_EXIT_USAGE;
        }
    }
    if (optind < argc || !jd_path || !when) {
        fprintf(stderr, "biasmon execute: --job-definition and --scheduled-time are required\n");
        return BM_EXIT_USAGE;
    }
    bm_error err;
    bm_error_clear(&err);
    if (bm_time_parse(when, strlen(when), &p.scheduled_time, &err) ||
        bm_execution_time_check(p.scheduled_time, &err)) {
        fprintf(stderr, "biasmon execute: --scheduled-time: %s\n", err.msg);
        return BM_EXIT_USAGE;
    }
    if (p.schedule_name && !bm_is_resource_name(p.schedule_name)) {
        fprintf(stderr,
                "biasmon execute: --schedule-name must match [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}\n");
        return BM_EXIT_USAGE;
    }
    /* under mpirun the ranks are the shards (docs/shards.md); from here a rank that cannot go
     * on ends them all (bm_cli_mpi_abort), so that none waits for it */
    const bm_shard_comm *comm = bm_cli_mpi_start();
    if (comm && comm->size > 1 && p.shards > 1) {
        if (comm->rank == 0)
            fprintf(stderr, "biasmon execute: under mpirun the ranks are the shards: leave out "
                            "--shards\n");
        bm_cli_mpi_abort(BM_EXIT_USAGE);
    }
    if (comm && comm->size > 1) p.comm = comm;
    bm_job_definition jd;
    int r = bm_job_definition_load(jd_path, &jd, &err);
    if (r) {
        if (comm) fprintf(stderr, "biasmon: rank %d: ", comm->rank);
        bm_cli_error(&err);
        if (comm) bm_cli_mpi_abort(r == BM_ENOMEM ? BM_EXIT_INTERNAL : BM_EXIT_FAILED);
        return r == BM_ENOMEM ? BM_EXIT_INTERNAL : BM_EXIT_FAILED;
    }
    /* the job definition itself is the caller's; what it points to is confined */
    if (confine && bm_store_confine(roots, nroots, &err)) {
        if (comm) fprintf(stderr, "biasmon: rank %d: ", comm->rank);
        bm_cli_error(&err);
        if (comm) bm_cli_mpi_abort(BM_EXIT_USAGE);
        bm_job_definition_release(&jd);
        return BM_EXIT_USAGE;
    }
    p.job = &jd;
    int rank = p.comm ? p.comm->rank : 0;
    bm_execution_result res;
    struct bm_cli_progress *progress = rank ? NULL : bm_cli_progress_start("execute", as_json);
    r = bm_execute(&p, &res, &err);
    bm_cli_progress_stop(progress);
    int rc;
    if (r && comm) { /* a rank that cannot go on ends every rank, none left waiting */
        fprintf(stderr, "biasmon: rank %d: ", rank);
        bm_cli_error(&err);
        bm_cli_mpi_abort(r == BM_EIO || r == BM_EACCESS || r == BM_ELIMIT ? BM_EXIT_OUTPUT
                                                                          : BM_EXIT_INTERNAL);
    }
    if (rank) { /* a worker rank: its part went to rank 0, which writes and reports */
        json_decref(res.account);
        bm_job_definition_release(&jd);
        bm_cli_mpi_stop();
        return BM_EXIT_OK;
    }
    if (r) {
        bm_cli_error(&err);
        /* the outputs could not be written (or their folder named); everything else ends as Failed
         */
        rc = r == BM_EIO || r == BM_EACCESS || r == BM_ELIMIT ? BM_EXIT_OUTPUT : BM_EXIT_INTERNAL;
    } else {
        fprintf(stderr, "biasmon: %s: %s\n", bm_exec_status_name(res.status), res.output_uri);
        if (res.status == BM_EXEC_FAILED)
            fprintf(stderr, "biasmon: FailureReason: %s\n", res.failure_reason);
        /* hour partials rejected (stale, corrupt) or not saved, and the hours read again */
        json_t *parts = json_object_get(res.account, "partials"), *note;
        size_t k;
        json_array_foreach(json_object_get(parts, "notes"), k, note)
            fprintf(stderr, "biasmon: hour partial %s; the hour was read from its capture\n",
                    json_string_value(note));
        if (res.status == BM_EXEC_COMPLETED_WITH_VIOLATIONS)
            fprintf(stderr, "biasmon: %zu violations (constraint_violations.json)\n",
                    res.violations);
        if (res.status != BM_EXEC_FAILED && res.baseline_unchecked)
            fprintf(stderr,
                    "biasmon: warning: %zu metric%s not checked: the baseline has no value for %s "
                    "(execution.json baseline_unchecked_metrics)\n",
                    res.baseline_unchecked, res.baseline_unchecked == 1 ? "" : "s",
                    res.baseline_unchecked == 1 ? "it" : "them");
        if (as_json || bm_cli_summary_wanted(summary))
            bm_cli_summary(res.output_uri, res.status == BM_EXEC_FAILED ? NULL : jd.baseline_uri,
                           res.account, res.status == BM_EXEC_FAILED ? NULL : "report.html",
                           as_json);
        rc = res.status == BM_EXEC_COMPLETED                   ? BM_EXIT_OK
             : res.status == BM_EXEC_COMPLETED_WITH_VIOLATIONS ? BM_EXIT_VIOLATIONS
                                                               : BM_EXIT_FAILED;
        /* the outcome for whoever started this process; without it that one knows only the exit */
        if (result_path && (r = bm_execution_result_write(&res, result_path, &err))) {
            bm_cli_error(&err);
            rc = r == BM_ENOMEM ? BM_EXIT_INTERNAL : BM_EXIT_OUTPUT;
        }
    }
    json_decref(res.account);
    bm_job_definition_release(&jd);
    if (comm) bm_cli_mpi_stop();
    return rc;
}
