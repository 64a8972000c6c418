/* biasmon serve's runtime: InvokeEndpoint in front of model servers, and data capture (internal).
 */
#ifndef BIASMON_SERVE_RUNTIME_H
#define BIASMON_SERVE_RUNTIME_H

#include "biasmon/http.h"
#include "biasmon/service.h"

typedef struct bm__runtime bm__runtime;

/* The runtime of a service: the pool of connections to model servers and the capture writer
 * (its thread starts here). NULL with err set on failure. */
bm__runtime *bm__runtime_new(bm_service *s, bm_error *err);
/* Shutdown, before the HTTP server stops: new invocations are refused (503 ServiceUnavailable),
 * those in flight get up to grace_s seconds to be answered by their model server, then the rest
 * are answered 503; returns when every invocation has been answered. NULL is a no-op. */
void bm__runtime_stop_invocations(bm__runtime *rt, unsigned grace_s);
/* Answers any invocation still in flight (503), writes out the capture still queued, then frees.
 * NULL is a no-op. Call after the HTTP server stopped (no request may be running). */
void bm__runtime_free(bm__runtime *rt);
/* Something the runtime reads (an endpoint, its config, a model) may have changed: invocations
 * read the state again instead of what their thread kept. Called after every API call that
 * changes anything. */
void bm__runtime_changed(bm_service *s);
/* Writes out every capture file being filled now and waits for it. */
void bm__runtime_flush(bm__runtime *rt);

/* POST /endpoints/{EndpointName}/invocations, already authenticated: answers res as the
 * SageMaker runtime does (docs/serve.md, "Endpoints that serve"): errors found at once are
 * answered in res; otherwise the call to the model server is admitted against
 * --invoke-max-inflight and --invoke-max-inflight-per-endpoint (429 ThrottlingException or 503
 * ServiceUnavailable beyond them) and the response deferred (bm_http_defer) until the invocation
 * engine has the model's answer. Never waits for a model server. Safe from any server thread. */
void bm__runtime_invoke(bm_service *s, const bm_http_request *req, bm_http_response *res);

/* Biasmon.PutGroundTruth: {"GroundTruthS3Uri", "Labels": [{"InferenceId", "Data", "Encoding"}]}
 * queues one SageMaker ground-truth record per label for GroundTruthS3Uri/yyyy/mm/dd/HH/ (the
 * service clock's hour), written by the capture writer; answers {"Accepted": n} and, when the
 * queue was full, "Dropped" with the inference ids not queued. */
int bm__runtime_put_ground_truth(bm_service *s, json_t *req, json_t **resp, bm_error *err);

/* Appends the runtime's Prometheus metrics (invocations, capture records by result). */
int bm__runtime_metrics(bm_service *s, bm_buf *b) BM_MUST_CHECK;

/* Models (models.c). BM_RES_MODEL resources; a model's server is the URL in its container's
 * Environment under BM_MODEL_URL_KEY. */
#define BM_RES_MODEL "Model"
#define BM_MODEL_URL_KEY "BIASMON_MODEL_URL"
/* The model server URL of a model document (PrimaryContainer, else the first of Containers),
 * borrowed from doc; NULL when it has none. */
const char *bm__model_url(json_t *doc);
/* Whether model server URL url names a host --model-allow lists (s->cfg.model_allow, default
 * loopback: 127.0.0.1, ::1, localhost; "*" any host), parsed as libcurl parses it (user info in
 * the URL is refused, so "http://127.0.0.1:80@elsewhere/" cannot pass). 1 when allowed; else 0
 * with a sentence in why that names the host and the setting. Checked by CreateModel and again
 * before every use, since the setting may have changed since. */
int bm__model_url_allowed(const bm_service *s, const char *url, char *why, size_t whyn);
/* What an endpoint serves, copied into its document under BM_DEPLOYMENT_KEY when CreateEndpoint or
 * UpdateEndpoint deploys an endpoint config, as SageMaker deploys the config's models onto the
 * endpoint's instances then: {"ProductionVariants", "DataCaptureConfig" (when the config has one),
 * "ModelUrls": {ModelName: URL}} with the URL of each variant's model that exists at that moment.
 * DeleteEndpointConfig and DeleteModel, which SageMaker allows while an endpoint uses them, then
 * leave the endpoint serving. A new reference the caller owns; NULL when out of memory. */
#define BM_DEPLOYMENT_KEY "BiasmonDeployment"
json_t *bm__deployment_new(bm_service *s, json_t *cfg_doc);
/* The operations models.c implements (CreateModel, ..., UpdateEndpoint,
 * UpdateEndpointWeightsAndCapacities), by X-Amz-Target; NULL for others. */
const struct bm__op *bm__find_model_op(const char *target);
/* The i-th of those operations (from 0), NULL past the last. */
const struct bm__op *bm__model_op_at(size_t i);

#endif
