/* biasmon run: ask a running biasmon serve for one execution of a schedule now. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "biasmon/client.h"
#include "biasmon/isotime.h"
#include "biasmon/jsonw.h"
#include "cli.h"

static void usage(FILE *out)
{
    fputs("usage: biasmon run SCHEDULE [--at T] [--wait] [--data-dir DIR]\n\n"
          "Asks the biasmon serve running on DIR (default ./biasmon-data, or BIASMON_DATA_DIR) to "
          "run one\n"
          "execution of SCHEDULE now, for scheduled time T (default: the schedule's latest tick). "
          "The\n"
          "request is signed with the data directory's keys. --wait waits for the execution to "
          "finish\n"
          "and prints its summary. Exit status: 0 queued (or Completed with --wait), 1 "
          "CompletedWithViolations,\n"
          "3 Failed or refused, 2 bad command line, 4 the service cannot be reached.\n",
          out);
}

int bm_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"at", required_argument, NULL, 'a'},
                                         {"wait", no_argument, NULL, 'w'},
                                         {"data-dir", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *at = NULL, *dir = getenv("BIASMON_DATA_DIR");
    int wait = 0, ch;
    if (!dir) dir = "./biasmon-data";
    optind = 1;
    while ((ch = getopt_long(argc, argv, "a:wd:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'a':
            at = optarg;
            break;
        case 'w':
            wait = 1;
            break;
        case 'd':
            dir = optarg;
            break;
        case 'h':
            usage(stdout);
            return BM_EXIT_OK;
        default:
            usage(stderr);
            return BM_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return BM_EXIT_USAGE;
    }
    const char *name = argv[optind];
    bm_error err;
    bm_error_clear(&err);
    int64_t T = 0;
    if (at && bm_time_parse(at, strlen(at), &T, &err)) {
        fprintf(stderr, "biasmon run: --at: %s\n", err.msg);
        return BM_EXIT_USAGE;
    }
    bm_client c;
    if (bm_client_from_data_dir(&c, dir, &err)) {
        bm_cli_error(&err);
        return BM_EXIT_OUTPUT;
    }
    json_t *body = json_pack("{s:s}", "MonitoringScheduleName", name), *resp = NULL;
    if (at) json_object_set_new(body, "ScheduledTime", json_integer(T));
    int r = bm_client_call(&c, "Biasmon.StartMonitoringExecution", body, &resp, &err);
    json_decref(body);
    if (r) {
        bm_cli_error(&err);
        json_decref(resp);
        return r == BM_EIO ? BM_EXIT_OUTPUT : BM_EXIT_FAILED;
    }
    json_int_t when = json_integer_value(json_object_get(resp, "ScheduledTime"));
    char ts[32];
    bm_time_format(when, ts, sizeof(ts));
    fprintf(stderr, "biasmon: queued an execution of %s for %s\n", name, ts);
    json_decref(resp);
    if (!wait) return BM_EXIT_OK;
    for (int i = 0; i < 3600 * 4; i++) { /* at most an hour */
        json_t *q =
            json_pack("{s:s,s:I,s:I,s:s,s:s}", "MonitoringScheduleName", name, "ScheduledTimeAfter",
                      (json_int_t)when - 1, "ScheduledTimeBefore", (json_int_t)when + 1, "SortBy",
                      "CreationTime", "SortOrder", "Descending");
        json_t *l = NULL;
        r = bm_client_call(&c, "SageMaker.ListMonitoringExecutions", q, &l, &err);
        json_decref(q);
        if (r) {
            bm_cli_error(&err);
            json_decref(l);
            return BM_EXIT_OUTPUT;
        }
        json_t *sum = json_array_get(json_object_get(l, "MonitoringExecutionSummaries"), 0);
        const char *st =
            sum ? json_string_value(json_object_get(sum, "MonitoringExecutionStatus")) : NULL;
        if (st && strcmp(st, "Pending") && strcmp(st, "InProgress") && strcmp(st, "Stopping")) {
            bm_buf out;
            bm_buf_init(&out, 1 << 20);
            if (!bm_json_write(sum, 2, &out)) printf("%s\n", out.data);
            bm_buf_release(&out);
            int rc = !strcmp(st, "Completed")                 ? BM_EXIT_OK
                     : !strcmp(st, "CompletedWithViolations") ? BM_EXIT_VIOLATIONS
                                                              : BM_EXIT_FAILED;
            json_decref(l);
            return rc;
        }
        json_decref(l);
        struct timespec d = {0, 250 * 1000000L};
        nanosleep(&d, NULL);
    }
    fprintf(stderr, "biasmon run: the execution did not finish within an hour\n");
    return BM_EXIT_FAILED;
}
