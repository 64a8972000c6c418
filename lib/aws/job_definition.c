/* CreateModelBiasJobDefinition: a validated request (its shapes are in sagemaker_model.c) turned
 * into bm_job_definition. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/file.h"
#include "biasmon/jobdef.h"
#include "biasmon/verdict.h"
#include "aws/shape.h"

#define MAX_REQUEST_BYTES (16u << 20)

/* ================================================================================================
 * Extraction: string members copied by table (release frees by the same tables)
 * ============================================================================================== */

typedef struct field {
    const char *path; /* below the request (or the input object) */
    size_t off;       /* of a char * in the target struct */
    const char *dflt; /* copied when the member is absent; NULL leaves NULL */
} field;

#define OUTPUT_S3 "ModelBiasJobOutputConfig.MonitoringOutputs[0].S3Output."
static const field def_fields[] = {
    {"JobDefinitionName", offsetof(bm_job_definition, name), NULL},
    {"ModelBiasAppSpecification.ImageUri", offsetof(bm_job_definition, image_uri), NULL},
    {"ModelBiasAppSpecification.ConfigUri", offsetof(bm_job_definition, config_uri), NULL},
    {"ModelBiasBaselineConfig.ConstraintsResource.S3Uri", offsetof(bm_job_definition, baseline_uri),
     NULL},
    {"ModelBiasBaselineConfig.BaseliningJobName", offsetof(bm_job_definition, baselining_job_name),
     NULL},
    {"ModelBiasJobInput.GroundTruthS3Input.S3Uri", offsetof(bm_job_definition, ground_truth_uri),
     NULL},
    {OUTPUT_S3 "S3Uri", offsetof(bm_job_definition, output_uri), NULL},
    {OUTPUT_S3 "LocalPath", offsetof(bm_job_definition, output_local_path), NULL},
    {OUTPUT_S3 "S3UploadMode", offsetof(bm_job_definition, output_upload_mode), "Continuous"},
    {"RoleArn", offsetof(bm_job_definition, role_arn), NULL},
};

static const field input_fields[] = {
    {"EndpointName", offsetof(bm_job_input, endpoint_name), NULL},
    {"DataCapturedDestinationS3Uri", offsetof(bm_job_input, data_captured_destination), NULL},
    {"LocalPath", offsetof(bm_job_input, local_path), NULL},
    {"S3InputMode", offsetof(bm_job_input, s3_input_mode), "File"},
    {"S3DataDistributionType", offsetof(bm_job_input, s3_data_distribution_type),
     "FullyReplicated"},
    {"FeaturesAttribute", offsetof(bm_job_input, features_attribute), NULL},
    {"InferenceAttribute", offsetof(bm_job_input, inference_attribute), NULL},
    {"ProbabilityAttribute", offsetof(bm_job_input, probability_attribute), NULL},
    {"StartTimeOffset", offsetof(bm_job_input, start_time_offset), NULL},
    {"EndTimeOffset", offsetof(bm_job_input, end_time_offset), NULL},
    {"ExcludeFeaturesAttribute", offsetof(bm_job_input, exclude_features_attribute), NULL},
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static char **field_ptr(void *base, const field *f)
{
    return (char **)(void *)((char *)base + f->off);
}

static int copy_fields(json_t *obj, const field *fields, size_t n, void *base)
{
    for (size_t k = 0; k < n; k++) {
        const char *s = bm_json_string(obj, fields[k].path);
        if (!s) s = fields[k].dflt;
        if (!s) continue;
        if (!(*field_ptr(base, &fields[k]) = bm_strdup(s))) return BM_ENOMEM;
    }
    return BM_OK;
}

static void free_fields(const field *fields, size_t n, void *base)
{
    for (size_t k = 0; k < n; k++) {
        char **p = field_ptr(base, &fields[k]);
        bm_free(*p);
        *p = NULL;
    }
}

static int extract_input(json_t *request, bm_job_input *in)
{
    json_t *obj = bm_json_get(request, "ModelBiasJobInput.BatchTransformInput");
    in->batch = obj != NULL;
    if (!obj) obj = bm_json_get(request, "ModelBiasJobInput.EndpointInput");
    if (in->batch) {
        if (bm_json_get(obj, "DatasetFormat.Csv"))
            in->format = BM_FORMAT_CSV;
        else if (bm_json_get(obj, "DatasetFormat.Json"))
            in->format = BM_FORMAT_JSON;
        else
            in->format = BM_FORMAT_PARQUET;
        in->csv_header = json_is_true(bm_json_get(obj, "DatasetFormat.Csv.Header"));
        in->json_line = json_is_true(bm_json_get(obj, "DatasetFormat.Json.Line"));
    }
    json_t *threshold = bm_json_get(obj, "ProbabilityThresholdAttribute");
    if (threshold) {
        in->has_probability_threshold = 1;
        in->probability_threshold = json_number_value(threshold);
    }
    return copy_fields(obj, input_fields, NFIELDS(input_fields), in);
}

/* Validates and extracts; err is not cleared (parse/load have set err->file). */
static int from_json(json_t *request, bm_job_definition *out, bm_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!request) return bm_error_set(err, BM_EINVAL, "no request");
    int r = bm_shape_validate(&bm__shape_create_model_bias_job_definition, request, "$", err);
    if (r != BM_OK) return r;
    out->request = json_incref(request);
    out->environment = json_incref(bm_json_get(request, "ModelBiasAppSpecification.Environment"));
    bm_alarm_settings alarm;
    if ((r = bm_alarm_settings_from_env(out->environment, &alarm, err)) != BM_OK) {
        json_decref(out->environment);
        json_decref(out->request);
        memset(out, 0, sizeof(*out));
        return r;
    }
    json_t *runtime = bm_json_get(request, "StoppingCondition.MaxRuntimeInSeconds");
    out->max_runtime_seconds = runtime ? (int)json_integer_value(runtime) : 0;
    if ((r = copy_fields(request, def_fields, NFIELDS(def_fields), out)) != BM_OK ||
        (r = extract_input(request, &out->input)) != BM_OK) {
        bm_error_set(err, r, "out of memory");
        bm_job_definition_release(out);
    }
    return r;
}

/* ================================================================================================
 * Public API
 * ============================================================================================== */

int bm_job_definition_from_json(json_t *request, bm_job_definition *out, bm_error *err)
{
    bm_error_clear(err);
    return from_json(request, out, err);
}

int bm_job_definition_parse(const char *text, size_t len, const char *name, bm_job_definition *out,
                            bm_error *err)
{
    memset(out, 0, sizeof(*out));
    bm_error_clear(err);
    if (name) bm_error_at(err, name, 0, 0, NULL);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        /* jansson 2.14 leaves the error record empty when its lexer cannot allocate */
        if (json_error_code(&je) == json_error_out_of_memory || je.text[0] == 0)
            return bm_error_set(err, BM_ENOMEM, "out of memory");
        return bm_json_error(err, NULL, &je);
    }
    int r = from_json(root, out, err);
    json_decref(root);
    return r;
}

int bm_job_definition_load(const char *path, bm_job_definition *out, bm_error *err)
{
    memset(out, 0, sizeof(*out));
    bm_error_clear(err);
    bm_error_at(err, path, 0, 0, NULL);
    bm_buf b;
    bm_buf_init(&b, MAX_REQUEST_BYTES);
    int r = bm_file_read(path, MAX_REQUEST_BYTES, &b, err);
    if (!r) r = bm_job_definition_parse(b.data ? b.data : "", b.len, path, out, err);
    bm_buf_release(&b);
    return r;
}

void bm_job_definition_release(bm_job_definition *d)
{
    if (!d) return;
    free_fields(def_fields, NFIELDS(def_fields), d);
    free_fields(input_fields, NFIELDS(input_fields), &d->input);
    json_decref(d->environment);
    json_decref(d->request);
    memset(d, 0, sizeof(*d));
}

int bm_is_resource_name(const char *s)
{
    return s && bm__pat_resource_name.match(s, strlen(s));
}
