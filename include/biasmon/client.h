/* A small client of biasmon serve's API (AWS JSON 1.1, SigV4-signed), for biasmon run and demos. */
#ifndef BIASMON_CLIENT_H
#define BIASMON_CLIENT_H

#include <jansson.h>
#include "biasmon/common.h"

typedef struct bm_client {
    char endpoint_url[512]; /* http://127.0.0.1:8080 */
    char region[32];
    char key_id[64];
    char secret[128];
    int timeout_s;
} bm_client;

/* Fills c from a data directory: serve.json (written by a running biasmon serve) and the
 * credentials file. BM_ENOTFOUND when no service runs on that data directory. */
int bm_client_from_data_dir(bm_client *c, const char *data_dir, bm_error *err) BM_MUST_CHECK;

/* Calls target (e.g. "SageMaker.DescribeMonitoringSchedule") with body; *resp receives the
 * response object (a new reference). An AWS error response is BM_EDATA with err->msg
 * "<__type>: <message>" and *resp the error body; transport failures are BM_EIO. */
int bm_client_call(const bm_client *c, const char *target, json_t *body, json_t **resp,
                   bm_error *err) BM_MUST_CHECK;

#endif
