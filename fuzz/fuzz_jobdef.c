/* Fuzz target for CreateModelBiasJobDefinition validation: parse, check invariants, re-parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/jobdef.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bm_job_definition d;
    bm_error err;
    int r = bm_job_definition_parse((const char *)data, size, "fuzz", &d, &err);
    if (r != BM_OK) {
        CHECK(err.code == r && err.msg[0]);
        CHECK(r != BM_ECONFIG || err.path[0] == '$');
        CHECK(d.name == NULL && d.request == NULL);
        return 0;
    }
    /* what validation promises to the rest of biasmon */
    CHECK(d.name && bm_is_resource_name(d.name));
    CHECK(d.image_uri && d.config_uri && d.ground_truth_uri && d.output_uri && d.role_arn);
    CHECK(d.output_local_path && d.output_upload_mode && d.input.local_path);
    CHECK(d.input.s3_input_mode && d.input.s3_data_distribution_type);
    CHECK(d.input.batch ? d.input.data_captured_destination && !d.input.endpoint_name &&
                              d.input.format != BM_FORMAT_NONE
                        : d.input.endpoint_name && !d.input.data_captured_destination);
    CHECK(d.max_runtime_seconds >= 0 && d.max_runtime_seconds <= 86400);
    CHECK(!d.environment || json_is_object(d.environment));

    /* the request as stored validates again, to the same result */
    char *text = json_dumps(d.request, JSON_COMPACT);
    if (text) {
        bm_job_definition again;
        r = bm_job_definition_parse(text, strlen(text), "again", &again, &err);
        CHECK(r == BM_OK || r == BM_ENOMEM);
        if (r == BM_OK) {
            CHECK(strcmp(again.name, d.name) == 0 && again.input.batch == d.input.batch);
            bm_job_definition_release(&again);
        }
        free(text);
    }
    bm_job_definition_release(&d);
    return 0;
}
