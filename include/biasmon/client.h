/* A small client of biasmon serve's API (AWS JSON 1.1, SigV4-signed), for biasmon run and demos. */
#ifndef BIASMON_CLIENT_H
#define BIASMON_CLIENT_H

#include <jansson.h>
#include "biasmon/common.h"

/*
 * Ownership: a bm_client is a caller-owned value with no heap behind it: nothing to release. It
 * holds the service's secret key in clear (secret): a caller that keeps it around long should
 * wipe it when done (OPENSSL_cleanse), and never log or print it.
 * Thread-safety: bm_client_call only reads the client, so one filled bm_client may serve calls
 * from several threads at once (each call has its own libcurl handle; libcurl's global
 * initialisation is thread-safe from 7.84, Debian 12 has 7.88). Filling one is not synchronised.
 * Errors: every failure sets err->code and err->msg (which names paths and the endpoint, never a
 * file's content or the secret) and returns that code.
 */

typedef struct bm_client {
    char endpoint_url[512]; /* http://127.0.0.1:8080 */
    char region[32];
    char key_id[64];
    char secret[128];
    int timeout_s;
} bm_client;

/* Fills c from a data directory: serve.json (written by a running biasmon serve: endpoint_url,
 * region) and the credentials file (bm_credentials_load; an absent one is not created). c is
 * zeroed first (timeout_s 60); on failure its contents are unspecified. Returns BM_OK;
 * BM_ENOTFOUND when no service runs on that data directory (no serve.json, or no credentials);
 * BM_EINVAL when data_dir's path is too long for the buffers; BM_EDATA when serve.json is not
 * biasmon's or its endpoint_url or region do not fit c (nothing is cut); bm_credentials_load's
 * errors (BM_EINVAL for a file others may read, BM_EPARSE, BM_EIO, BM_ELIMIT). data_dir may not
 * be NULL. */
int bm_client_from_data_dir(bm_client *c, const char *data_dir, bm_error *err) BM_MUST_CHECK;

/* Calls target (the X-Amz-Target, e.g. "SageMaker.DescribeMonitoringSchedule") with body (a
 * JSON object, borrowed, not modified), signed with c's key for c->region, and waits at most
 * c->timeout_s seconds (60 when <= 0). *resp is set to NULL first; it receives the response
 * object, a new reference the caller json_decref()s, on BM_OK and also on BM_EDATA (an AWS error
 * response: *resp is the error body and err->msg "<__type>: <message>"); on any other failure it
 * stays NULL. Errors: BM_EINVAL when target is longer than 199 bytes; BM_ELIMIT when body
 * serialises to more than 16 MiB; BM_ENOMEM; BM_EIO when the service cannot be reached, times
 * out, answers more than 64 MiB or a body that is not JSON. */
int bm_client_call(const bm_client *c, const char *target, json_t *body, json_t **resp,
                   bm_error *err) BM_MUST_CHECK;

#endif
