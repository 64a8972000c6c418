/* What every layer of biasmon serve uses (docs/design.md, "The service's layers"): logging, ARNs,
 * the scheduler's doorbell, the monotonic clock and the confinement check of a document's URIs.
 * It calls nothing else in lib/serve/. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "biasmon/sagemaker.h"
#include "biasmon/store.h"
#include "serve/internal.h"

void bm__log(bm_service *s, bm_log_level lvl, const char *event, const char *fmt, ...)
{
    if (!s->cfg.log || lvl > s->cfg.log_level) return;
    char fields[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fields, sizeof(fields), fmt, ap);
    va_end(ap);
    s->cfg.log(s->cfg.log_ctx, lvl, event, fields);
}

void bm__arn(const bm_service *s, const char *kind, const char *name, char *out, size_t n)
{
    char lower[128];
    size_t k = 0;
    for (; name[k] && k + 1 < sizeof(lower); k++)
        lower[k] = (char)tolower((unsigned char)name[k]);
    lower[k] = 0;
    snprintf(out, n, "arn:aws:sagemaker:%s:%s:%s/%s", s->region, s->account, kind, lower);
}

void bm__scheduler_wake(bm_service *s)
{
    atomic_store(&s->sched_dirty, 1);
    pthread_mutex_lock(&s->mu);
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
}

double bm__mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *const bm__job_definition_uris[] = {
    "ModelBiasAppSpecification.ConfigUri",
    "ModelBiasBaselineConfig.ConstraintsResource.S3Uri",
    "ModelBiasJobInput.GroundTruthS3Input.S3Uri",
    "ModelBiasJobInput.BatchTransformInput.DataCapturedDestinationS3Uri",
    "ModelBiasJobOutputConfig.MonitoringOutputs[0].S3Output.S3Uri",
    NULL,
};
const char *const bm__endpoint_config_uris[] = {"DataCaptureConfig.DestinationS3Uri", NULL};

int bm__check_uris(json_t *doc, const char *const *members, bm_error *err)
{
    for (; *members; members++) {
        const char *uri = bm_json_string(doc, *members);
        if (!uri) continue;
        bm_error e;
        bm_error_clear(&e);
        int rc = bm_store_check(uri, &e);
        if (rc) {
            if (rc == BM_ENOTFOUND) rc = BM_EINVAL;
            bm_error_set(err, rc, "%s", e.msg);
            snprintf(err->path, sizeof(err->path), "$.%s", *members);
            return rc;
        }
    }
    return BM_OK;
}
