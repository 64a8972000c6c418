/* SageMaker's CreateModelBiasJobDefinition request: parsing and validation as the service does. */
#ifndef BIASMON_JOBDEF_H
#define BIASMON_JOBDEF_H

#include <jansson.h>
#include "biasmon/common.h"

typedef enum bm_dataset_format {
    BM_FORMAT_NONE = 0, /* endpoint input: SageMaker's capture JSON Lines */
    BM_FORMAT_CSV,      /* BatchTransformInput.DatasetFormat.Csv */
    BM_FORMAT_JSON,     /* ... .Json */
    BM_FORMAT_PARQUET   /* ... .Parquet (accepted by validation; not readable by biasmon) */
} bm_dataset_format;

/* EndpointInput or BatchTransformInput (ModelBiasJobInput). Strings are owned; NULL when absent,
 * except members with a service default, which hold the default then. */
typedef struct bm_job_input {
    int batch;                       /* 1: BatchTransformInput, 0: EndpointInput */
    char *endpoint_name;             /* EndpointInput.EndpointName */
    char *data_captured_destination; /* BatchTransformInput.DataCapturedDestinationS3Uri */
    bm_dataset_format format;        /* BatchTransformInput.DatasetFormat */
    int csv_header;                  /* DatasetFormat.Csv.Header (0 when absent) */
    int json_line;                   /* DatasetFormat.Json.Line (0 when absent) */
    char *local_path;                /* LocalPath (required) */
    char *s3_input_mode;             /* "File" or "Pipe" (default File) */
    char *s3_data_distribution_type; /* "FullyReplicated" (default) or "ShardedByS3Key" */
    char *features_attribute;
    char *inference_attribute;
    char *probability_attribute;
    int has_probability_threshold;
    double probability_threshold; /* ProbabilityThresholdAttribute (any number) */
    char *start_time_offset;      /* ISO-8601 durations, e.g. "-PT1H" */
    char *end_time_offset;
    char *exclude_features_attribute;
} bm_job_input;

typedef struct bm_job_definition {
    char *name;                /* JobDefinitionName */
    char *image_uri;           /* ModelBiasAppSpecification.ImageUri */
    char *config_uri;          /* ModelBiasAppSpecification.ConfigUri */
    json_t *environment;       /* ModelBiasAppSpecification.Environment (object) or NULL */
    char *baseline_uri;        /* ModelBiasBaselineConfig.ConstraintsResource.S3Uri */
    char *baselining_job_name; /* ModelBiasBaselineConfig.BaseliningJobName */
    bm_job_input input;
    char *ground_truth_uri; /* ModelBiasJobInput.GroundTruthS3Input.S3Uri */
    char *output_uri;       /* ModelBiasJobOutputConfig.MonitoringOutputs[0].S3Output.S3Uri */
    char *output_local_path;
    char *output_upload_mode; /* "Continuous" (default) or "EndOfJob" */
    char *role_arn;
    int max_runtime_seconds; /* StoppingCondition.MaxRuntimeInSeconds, 0 when absent */
    json_t *request;         /* the whole request as given (a new reference), for Describe */
} bm_job_definition;

/* Validates a CreateModelBiasJobDefinition request body and fills out. Checks what the service
 * model checks: required members, types, string lengths, patterns, enums, list sizes, numeric
 * ranges, exactly one of EndpointInput/BatchTransformInput, exactly one MonitoringOutput, no
 * unknown members. Patterns match the whole value; lengths count UTF-16 code units, as the service
 * does; a member set to JSON null counts as absent.
 * biasmon departures from the service:
 *  - URI members (ModelBiasAppSpecification.ConfigUri, ConstraintsResource.S3Uri,
 *    GroundTruthS3Input.S3Uri, MonitoringOutputs[0].S3Output.S3Uri, BatchTransformInput.
 *    DataCapturedDestinationS3Uri) also accept biasmon's embedded storage: a file:///absolute/path
 *    URI, or a local absolute or relative path (one that does not begin with "scheme:");
 *  - unknown members are errors (the AWS SDKs refuse to send them, so the service never sees them);
 *  - GroundTruthS3Input.S3Uri is required, and DatasetFormat needs exactly one of Csv, Json and
 *    Parquet (the model leaves both optional; a job cannot run without them);
 *  - strings containing NUL are rejected.
 * The first problem found is reported. Errors are BM_ECONFIG with err->path naming the member
 * ("$.ModelBiasJobInput.EndpointInput.StartTimeOffset") and a message saying what is expected
 * ("must match .?P.* (got \"1H\")", "missing required member (expected a string)", "unknown
 * member (expected one of: ...)"); BM_EPARSE for malformed JSON text or duplicate keys (with line
 * and column); BM_ENOMEM. request may not be NULL (BM_EINVAL) and is not modified; on success out
 * owns everything (bm_job_definition_release), on failure out is zeroed. parse takes len bytes of
 * text, name (may be NULL) goes into err->file; load reads a regular file of at most 16 MiB
 * (bm_file_read: BM_ENOTFOUND when missing, BM_EIO, BM_ELIMIT). */
int bm_job_definition_from_json(json_t *request, bm_job_definition *out,
                                bm_error *err) BM_MUST_CHECK;
int bm_job_definition_parse(const char *text, size_t len, const char *name, bm_job_definition *out,
                            bm_error *err) BM_MUST_CHECK;
int bm_job_definition_load(const char *path, bm_job_definition *out, bm_error *err) BM_MUST_CHECK;
void bm_job_definition_release(bm_job_definition *d);

/* 1 when all of s matches SageMaker's resource name pattern [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}
 * (names of job definitions, schedules, processing jobs, endpoints); 0 otherwise or for NULL.
 * The 1-63 length bound of those members is separate (hyphens are not counted by the pattern). */
int bm_is_resource_name(const char *s);

#endif
