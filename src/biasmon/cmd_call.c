/* biasmon call: one signed API call to a running biasmon serve (a small stand-in for the aws CLI).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/client.h"
#include "biasmon/jsonw.h"
#include "cli.h"

int bm_cmd_call(int argc, char **argv)
{
    const char *dir = getenv("BIASMON_DATA_DIR");
    if (!dir) dir = "./biasmon-data";
    int i = 1;
    if (argc > 2 && !strcmp(argv[1], "--data-dir")) {
        dir = argv[2];
        i = 3;
    }
    if (argc - i < 1 || argc - i > 2 || !strcmp(argv[i], "--help")) {
        fputs(
            "usage: biasmon call [--data-dir DIR] OPERATION [JSON]\n\n"
            "Sends one SigV4-signed request to the biasmon serve running on DIR, e.g.\n"
            "  biasmon call DescribeMonitoringSchedule '{\"MonitoringScheduleName\": \"hourly\"}'\n"
            "OPERATION is a SageMaker operation name (or Target.Operation); JSON defaults to {}.\n"
            "Prints the response; exit 0 on success, 3 for an API error, 4 when unreachable.\n",
            argc - i >= 1 && !strcmp(argv[i], "--help") ? stdout : stderr);
        return argc - i >= 1 && !strcmp(argv[i], "--help") ? BM_EXIT_OK : BM_EXIT_USAGE;
    }
    char target[200];
    snprintf(target, sizeof(target), "%s%s", strchr(argv[i], '.') ? "" : "SageMaker.", argv[i]);
    json_error_t je;
    json_t *body = argc - i == 2 ? json_loads(argv[i + 1], 0, &je) : json_object();
    if (!body) {
        fprintf(stderr, "biasmon call: the request is not JSON: %s\n", je.text);
        return BM_EXIT_USAGE;
    }
    bm_error err;
    bm_error_clear(&err);
    bm_client c;
    json_t *resp = NULL;
    int r = bm_client_from_data_dir(&c, dir, &err);
    if (!r) r = bm_client_call(&c, target, body, &resp, &err);
    json_decref(body);
    if (resp) {
        bm_buf out;
        bm_buf_init(&out, 64u << 20);
        if (!bm_json_write(resp, 2, &out)) printf("%s\n", out.data);
        bm_buf_release(&out);
        json_decref(resp);
    }
    if (r) {
        bm_cli_error(&err);
        return r == BM_EDATA ? BM_EXIT_FAILED : BM_EXIT_OUTPUT;
    }
    return BM_EXIT_OK;
}
