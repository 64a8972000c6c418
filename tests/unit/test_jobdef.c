/* Unit tests for CreateModelBiasJobDefinition validation: SDK requests, every constraint, OOM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "biasmon/jobdef.h"
#include "biasmon/sagemaker.h"

/* The request the Python SDK sends (spec §3.3), with real-looking VPC ids: the spec's "sg-..."
 * placeholders do not match [-0-9a-zA-Z]+. */
static const char *full_request =
    "{\n"
    " \"JobDefinitionName\": \"model-bias-job-definition-2024-01-19-19-38-53-206\",\n"
    " \"ModelBiasAppSpecification\": {\n"
    "   \"ImageUri\": \"306415355426.dkr.ecr.us-west-2.amazonaws.com/"
    "sagemaker-clarify-processing:1.0\",\n"
    "   \"ConfigUri\": \"s3://bucket/output/model-bias-job-definition-2024-01-19-19-38-53-206/"
    "0d1c5d6e-4a4b-4b8e-9d43-3a5f0e0e1c2b/analysis_config.json\",\n"
    "   \"Environment\": {\"publish_cloudwatch_metrics\": \"Enabled\"}},\n"
    " \"ModelBiasBaselineConfig\": {\"ConstraintsResource\": "
    "{\"S3Uri\": \"s3://bucket/baselining-output/analysis.json\"}},\n"
    " \"ModelBiasJobInput\": {\n"
    "   \"EndpointInput\": {\"EndpointName\": \"endpoint\", "
    "\"LocalPath\": \"/opt/ml/processing/input/endpoint\",\n"
    "     \"S3InputMode\": \"File\", \"S3DataDistributionType\": \"FullyReplicated\",\n"
    "     \"StartTimeOffset\": \"-PT1H\", \"EndTimeOffset\": \"-PT0H\", "
    "\"FeaturesAttribute\": \"features\",\n"
    "     \"InferenceAttribute\": \"0\", \"ProbabilityAttribute\": \"1\", "
    "\"ProbabilityThresholdAttribute\": 0.6},\n"
    "   \"GroundTruthS3Input\": {\"S3Uri\": \"s3://bucket/monitoring_captured/actuals\"}},\n"
    " \"ModelBiasJobOutputConfig\": {\"MonitoringOutputs\": [{\"S3Output\": "
    "{\"S3Uri\": \"s3://bucket/output\",\n"
    "     \"LocalPath\": \"/opt/ml/processing/output\", \"S3UploadMode\": \"Continuous\"}}], "
    "\"KmsKeyId\": \"output-kms-key\"},\n"
    " \"JobResources\": {\"ClusterConfig\": {\"InstanceCount\": 1, "
    "\"InstanceType\": \"ml.m5.xlarge\", \"VolumeSizeInGB\": 30}},\n"
    " \"NetworkConfig\": {\"EnableNetworkIsolation\": false, "
    "\"EnableInterContainerTrafficEncryption\": false,\n"
    "     \"VpcConfig\": {\"SecurityGroupIds\": [\"sg-0123456789abcdef0\"], "
    "\"Subnets\": [\"subnet-0123456789abcdef0\"]}},\n"
    " \"RoleArn\": \"arn:aws:iam::012345678901:role/SageMakerRole\",\n"
    " \"StoppingCondition\": {\"MaxRuntimeInSeconds\": 1800}\n"
    "}\n";

/* The SDK's batch-transform variant: BatchTransformInput in place of EndpointInput. */
static const char *batch_request =
    "{\"JobDefinitionName\": \"bias-batch\",\n"
    " \"ModelBiasAppSpecification\": {\"ImageUri\": \"img\", "
    "\"ConfigUri\": \"s3://bucket/analysis_config.json\"},\n"
    " \"ModelBiasJobInput\": {\n"
    "   \"BatchTransformInput\": {\"DataCapturedDestinationS3Uri\": "
    "\"s3://bucket/batch-capture\",\n"
    "     \"DatasetFormat\": {\"Csv\": {\"Header\": true}}, "
    "\"LocalPath\": \"/opt/ml/processing/input/batch\",\n"
    "     \"S3InputMode\": \"Pipe\", \"S3DataDistributionType\": \"ShardedByS3Key\",\n"
    "     \"StartTimeOffset\": \"-P1D\", \"EndTimeOffset\": \"-PT0H\", "
    "\"InferenceAttribute\": \"2\",\n"
    "     \"ProbabilityThresholdAttribute\": 1, \"ExcludeFeaturesAttribute\": \"0,1\"},\n"
    "   \"GroundTruthS3Input\": {\"S3Uri\": \"https://bucket.s3.amazonaws.com/gt\"}},\n"
    " \"ModelBiasJobOutputConfig\": {\"MonitoringOutputs\": [{\"S3Output\": "
    "{\"S3Uri\": \"s3://bucket/out\", \"LocalPath\": \"/opt/ml/processing/output\", "
    "\"S3UploadMode\": \"EndOfJob\"}}]},\n"
    " \"JobResources\": {\"ClusterConfig\": {\"InstanceCount\": 100, "
    "\"InstanceType\": \"ml.g7.48xlarge\", \"VolumeSizeInGB\": 16384, "
    "\"VolumeKmsKeyId\": \"arn:aws:kms:us-west-2:012345678901:key/abc-def\"}},\n"
    " \"RoleArn\": \"arn:aws-cn:iam::012345678901:role/service-role/X_y+z=1,a.b@c-d\",\n"
    " \"StoppingCondition\": {\"MaxRuntimeInSeconds\": 86400},\n"
    " \"Tags\": [{\"Key\": \"team\", \"Value\": \"ml-platform\"}, "
    "{\"Key\": \"Grüße 東京 ٣\", \"Value\": \"\"}]}\n";

/* Only the required members, with biasmon's local storage for every URI. */
static const char *minimal_request =
    "{\"JobDefinitionName\": \"a\",\n"
    " \"ModelBiasAppSpecification\": {\"ImageUri\": \"\", \"ConfigUri\": "
    "\"analysis_config.json\"},\n"
    " \"ModelBiasJobInput\": {\"EndpointInput\": {\"EndpointName\": \"e\", \"LocalPath\": \"\"},\n"
    "   \"GroundTruthS3Input\": {\"S3Uri\": \"file:///var/lib/biasmon/gt\"}},\n"
    " \"ModelBiasJobOutputConfig\": {\"MonitoringOutputs\": [{\"S3Output\": "
    "{\"S3Uri\": \"/var/lib/biasmon/out\", \"LocalPath\": \"/out\"}}]},\n"
    " \"JobResources\": {\"ClusterConfig\": {\"InstanceCount\": 1, "
    "\"InstanceType\": \"ml.t3.medium\", \"VolumeSizeInGB\": 1}},\n"
    " \"RoleArn\": \"arn:aws:iam::000000000000:role/\"}\n";

enum { FULL, BATCH, MINIMAL };

static json_t *load_base(int base)
{
    const char *text = base == FULL    ? full_request
                       : base == BATCH ? batch_request
                                       : minimal_request;
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    if (!root) fail_msg("base %d: %s at %d:%d", base, je.text, je.line, je.column);
    return root;
}

static int parse(const char *text, bm_job_definition *d, bm_error *e)
{
    return bm_job_definition_parse(text, strlen(text), "job.json", d, e);
}

/* Sets (value != NULL: JSON text) or deletes the member at target ("A.B[0].C") below root. */
static json_t *mutate(json_t *root, const char *target, const char *value)
{
    json_t *v = NULL;
    if (value) {
        json_error_t je;
        v = json_loads(value, JSON_DECODE_ANY, &je);
        if (!v) fail_msg("bad test value %s: %s", value, je.text);
    }
    if (!*target) {
        json_decref(root);
        return v;
    }
    const char *dot = strrchr(target, '.'), *bracket = strrchr(target, '[');
    const char *last = dot > bracket ? dot : bracket;
    char parent_path[256];
    size_t plen = last ? (size_t)(last - target) : 0;
    snprintf(parent_path, sizeof(parent_path), "%.*s", (int)plen, target);
    json_t *parent = plen ? bm_json_get(root, parent_path) : root;
    if (!parent) fail_msg("no parent for %s", target);
    if (last && *last == '[') {
        size_t idx = strtoul(last + 1, NULL, 10);
        if (v)
            assert_int_equal(json_array_set_new(parent, idx, v), 0);
        else
            assert_int_equal(json_array_remove(parent, idx), 0);
    } else {
        const char *key = last ? last + 1 : target;
        if (v)
            assert_int_equal(json_object_set_new(parent, key, v), 0);
        else
            assert_int_equal(json_object_del(parent, key), 0);
    }
    return root;
}

/* Applies one mutation to a base request, which must then fail at path with needle in msg. */
static void expect_bad(int base, const char *target, const char *value, const char *path,
                       const char *needle)
{
    json_t *root = mutate(load_base(base), target, value);
    char *text = json_dumps(root, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(root);
    assert_non_null(text);
    bm_job_definition d;
    bm_error e;
    int r = parse(text, &d, &e);
    if (r != BM_ECONFIG)
        fail_msg("%s = %.80s: expected BM_ECONFIG, got %d (%s)", target, value ? value : "(del)", r,
                 e.msg);
    if (strcmp(e.path, path) != 0)
        fail_msg("%s = %.80s: expected path \"%s\", got \"%s\" (%s)", target,
                 value ? value : "(del)", path, e.path, e.msg);
    if (needle && !strstr(e.msg, needle))
        fail_msg("%s: message \"%s\" does not mention \"%s\"", target, e.msg, needle);
    assert_int_equal(e.code, BM_ECONFIG);
    assert_string_equal(e.file, "job.json");
    assert_null(d.name);
    assert_null(d.request);
    free(text);
}

/* Applies one mutation to a base request, which must still be accepted. */
static void expect_good(int base, const char *target, const char *value)
{
    json_t *root = mutate(load_base(base), target, value);
    bm_job_definition d;
    bm_error e;
    int r = bm_job_definition_from_json(root, &d, &e);
    if (r != BM_OK)
        fail_msg("%s = %.80s: expected success, got %d (%s: %s)", target, value ? value : "(del)",
                 r, e.path, e.msg);
    bm_job_definition_release(&d);
    json_decref(root);
}

/* A JSON string literal of n copies of the UTF-8 sequence unit, between prefix and suffix. */
static char *repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
    size_t len = strlen(prefix) + strlen(unit) * n + strlen(suffix) + 3;
    char *s = malloc(len);
    assert_non_null(s);
    size_t k = (size_t)snprintf(s, len, "\"%s", prefix);
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(s + k, len - k, "%s", unit);
    snprintf(s + k, len - k, "%s\"", suffix);
    return s;
}

/* open, then n comma-separated copies of fmt (with %d the index), then close. */
static char *entries(const char *open, const char *fmt, int n, const char *close)
{
    size_t cap = 64 + (size_t)n * (strlen(fmt) + 16), len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    len += (size_t)snprintf(s + len, cap - len, "%s", open);
    for (int i = 0; i < n; i++) {
        if (i) len += (size_t)snprintf(s + len, cap - len, ",");
        len += (size_t)snprintf(s + len, cap - len, fmt, i);
    }
    snprintf(s + len, cap - len, "%s", close);
    return s;
}

/* ============================================================================ valid requests */

static void test_full_sdk_request(void **state)
{
    (void)state;
    bm_job_definition d;
    bm_error e;
    int r = parse(full_request, &d, &e);
    if (r) fail_msg("%s: %s", e.path, e.msg);
    assert_string_equal(d.name, "model-bias-job-definition-2024-01-19-19-38-53-206");
    assert_string_equal(d.image_uri, "306415355426.dkr.ecr.us-west-2.amazonaws.com/"
                                     "sagemaker-clarify-processing:1.0");
    assert_non_null(strstr(d.config_uri, "/analysis_config.json"));
    assert_true(json_is_object(d.environment));
    assert_string_equal(
        json_string_value(json_object_get(d.environment, "publish_cloudwatch_metrics")), "Enabled");
    assert_string_equal(d.baseline_uri, "s3://bucket/baselining-output/analysis.json");
    assert_null(d.baselining_job_name);
    assert_int_equal(d.input.batch, 0);
    assert_string_equal(d.input.endpoint_name, "endpoint");
    assert_null(d.input.data_captured_destination);
    assert_int_equal(d.input.format, BM_FORMAT_NONE);
    assert_string_equal(d.input.local_path, "/opt/ml/processing/input/endpoint");
    assert_string_equal(d.input.s3_input_mode, "File");
    assert_string_equal(d.input.s3_data_distribution_type, "FullyReplicated");
    assert_string_equal(d.input.features_attribute, "features");
    assert_string_equal(d.input.inference_attribute, "0");
    assert_string_equal(d.input.probability_attribute, "1");
    assert_int_equal(d.input.has_probability_threshold, 1);
    assert_true(d.input.probability_threshold == 0.6);
    assert_string_equal(d.input.start_time_offset, "-PT1H");
    assert_string_equal(d.input.end_time_offset, "-PT0H");
    assert_null(d.input.exclude_features_attribute);
    assert_string_equal(d.ground_truth_uri, "s3://bucket/monitoring_captured/actuals");
    assert_string_equal(d.output_uri, "s3://bucket/output");
    assert_string_equal(d.output_local_path, "/opt/ml/processing/output");
    assert_string_equal(d.output_upload_mode, "Continuous");
    assert_string_equal(d.role_arn, "arn:aws:iam::012345678901:role/SageMakerRole");
    assert_int_equal(d.max_runtime_seconds, 1800);
    assert_true(json_is_object(d.request));
    assert_string_equal(json_string_value(json_object_get(d.request, "JobDefinitionName")), d.name);
    assert_int_equal(
        json_integer_value(bm_json_get(d.request, "JobResources.ClusterConfig.VolumeSizeInGB")),
        30);
    bm_job_definition_release(&d);
    assert_null(d.name);
    bm_job_definition_release(&d); /* twice is harmless */
    bm_job_definition_release(NULL);
}

static void test_batch_request(void **state)
{
    (void)state;
    bm_job_definition d;
    bm_error e;
    int r = parse(batch_request, &d, &e);
    if (r) fail_msg("%s: %s", e.path, e.msg);
    assert_int_equal(d.input.batch, 1);
    assert_null(d.input.endpoint_name);
    assert_string_equal(d.input.data_captured_destination, "s3://bucket/batch-capture");
    assert_int_equal(d.input.format, BM_FORMAT_CSV);
    assert_int_equal(d.input.csv_header, 1);
    assert_int_equal(d.input.json_line, 0);
    assert_string_equal(d.input.local_path, "/opt/ml/processing/input/batch");
    assert_string_equal(d.input.s3_input_mode, "Pipe");
    assert_string_equal(d.input.s3_data_distribution_type, "ShardedByS3Key");
    assert_int_equal(d.input.has_probability_threshold, 1);
    assert_true(d.input.probability_threshold == 1.0);
    assert_string_equal(d.input.start_time_offset, "-P1D");
    assert_string_equal(d.input.exclude_features_attribute, "0,1");
    assert_null(d.input.features_attribute);
    assert_string_equal(d.ground_truth_uri, "https://bucket.s3.amazonaws.com/gt");
    assert_string_equal(d.output_upload_mode, "EndOfJob");
    assert_int_equal(d.max_runtime_seconds, 86400);
    assert_null(d.environment);
    assert_null(d.baseline_uri);
    bm_job_definition_release(&d);

    /* the other dataset formats */
    json_t *root = mutate(load_base(BATCH), "ModelBiasJobInput.BatchTransformInput.DatasetFormat",
                          "{\"Json\": {\"Line\": true}}");
    assert_int_equal(bm_job_definition_from_json(root, &d, &e), BM_OK);
    assert_int_equal(d.input.format, BM_FORMAT_JSON);
    assert_int_equal(d.input.json_line, 1);
    assert_int_equal(d.input.csv_header, 0);
    bm_job_definition_release(&d);
    root = mutate(root, "ModelBiasJobInput.BatchTransformInput.DatasetFormat", "{\"Parquet\": {}}");
    assert_int_equal(bm_job_definition_from_json(root, &d, &e), BM_OK);
    assert_int_equal(d.input.format, BM_FORMAT_PARQUET);
    bm_job_definition_release(&d);
    root = mutate(root, "ModelBiasJobInput.BatchTransformInput.DatasetFormat",
                  "{\"Csv\": {}, \"Json\": null}");
    assert_int_equal(bm_job_definition_from_json(root, &d, &e), BM_OK);
    assert_int_equal(d.input.format, BM_FORMAT_CSV);
    assert_int_equal(d.input.csv_header, 0);
    bm_job_definition_release(&d);
    json_decref(root);
}

static void test_minimal_request(void **state)
{
    (void)state;
    bm_job_definition d;
    bm_error e;
    int r = parse(minimal_request, &d, &e);
    if (r) fail_msg("%s: %s", e.path, e.msg);
    assert_string_equal(d.name, "a");
    assert_string_equal(d.image_uri, "");
    assert_string_equal(d.config_uri, "analysis_config.json");
    assert_null(d.environment);
    assert_null(d.baseline_uri);
    assert_string_equal(d.input.endpoint_name, "e");
    assert_string_equal(d.input.local_path, "");
    assert_string_equal(d.input.s3_input_mode, "File");                        /* default */
    assert_string_equal(d.input.s3_data_distribution_type, "FullyReplicated"); /* default */
    assert_int_equal(d.input.has_probability_threshold, 0);
    assert_null(d.input.start_time_offset);
    assert_string_equal(d.ground_truth_uri, "file:///var/lib/biasmon/gt");
    assert_string_equal(d.output_uri, "/var/lib/biasmon/out");
    assert_string_equal(d.output_upload_mode, "Continuous"); /* default */
    assert_string_equal(d.role_arn, "arn:aws:iam::000000000000:role/");
    assert_int_equal(d.max_runtime_seconds, 0);
    bm_job_definition_release(&d);
}

/* Variations the service accepts (and biasmon's local URIs). */
static void test_valid_variations(void **state)
{
    (void)state;
    expect_good(MINIMAL, "NetworkConfig", "null"); /* null is absent */
    expect_good(MINIMAL, "StoppingCondition", "{\"MaxRuntimeInSeconds\": 1}");
    expect_good(MINIMAL, "ModelBiasBaselineConfig", "{}");
    expect_good(MINIMAL, "ModelBiasBaselineConfig", "{\"BaseliningJobName\": \"baseline-job-1\"}");
    expect_good(MINIMAL, "ModelBiasBaselineConfig", "{\"ConstraintsResource\": {}}");
    expect_good(MINIMAL, "Tags", "[]");
    expect_good(MINIMAL, "ModelBiasAppSpecification.Environment", "{}");
    expect_good(MINIMAL, "ModelBiasAppSpecification.Environment", "{\"_x1\": \"any\\nthing\"}");
    expect_good(MINIMAL, "ModelBiasAppSpecification.ConfigUri", "\"s3://b\"");
    expect_good(MINIMAL, "ModelBiasAppSpecification.ConfigUri", "\"https://h/\"");
    expect_good(MINIMAL, "ModelBiasAppSpecification.ConfigUri", "\"./cfg/analysis.json\"");
    expect_good(MINIMAL, "ModelBiasAppSpecification.ConfigUri", "\"file:///etc/a.json\"");
    expect_good(MINIMAL, "ModelBiasJobInput.EndpointInput.ProbabilityThresholdAttribute", "-3.5e2");
    expect_good(MINIMAL, "ModelBiasJobInput.EndpointInput.ProbabilityThresholdAttribute", "1e300");
    expect_good(MINIMAL, "ModelBiasJobInput.EndpointInput.StartTimeOffset", "\"P\"");
    expect_good(MINIMAL, "ModelBiasJobInput.EndpointInput.StartTimeOffset", "\"xP123456789abcd\"");
    expect_good(MINIMAL, "ModelBiasJobInput.EndpointInput.StartTimeOffset", "\"\\u00e9P\"");
    expect_good(MINIMAL, "ModelBiasJobInput.EndpointInput.EndpointName", "\"a--b-C9\"");
    expect_good(MINIMAL, "ModelBiasJobInput.EndpointInput.ExcludeFeaturesAttribute", "\"\"");
    expect_good(BATCH, "ModelBiasJobInput.BatchTransformInput.DataCapturedDestinationS3Uri",
                "\"s3://b\"");
    expect_good(FULL, "ModelBiasJobOutputConfig.KmsKeyId", "\"\"");
    expect_good(FULL, "NetworkConfig.VpcConfig.SecurityGroupIds",
                "[\"sg-1\", \"sg-2\", \"sg-3\", \"sg-4\", \"sg-5\"]");
    expect_good(FULL, "Tags", "[{\"Key\": \"k\", \"Value\": \"a b_c.d:e/f=g+h-i@j 1\"}]");
    /* 128 three-byte letters: 384 bytes but 128 characters */
    char *v = repeat("", "\xe6\x9d\xb1", 128, "");
    char tags[1024];
    snprintf(tags, sizeof(tags), "[{\"Key\": %s, \"Value\": %s}]", v, v);
    expect_good(FULL, "Tags", tags);
    free(v);
    char *name = repeat("", "a", 63, "");
    expect_good(FULL, "JobDefinitionName", name);
    free(name);
}

/* =========================================================================== invalid requests */

#define EI "ModelBiasJobInput.EndpointInput"
#define BTI "ModelBiasJobInput.BatchTransformInput"
#define S3O "ModelBiasJobOutputConfig.MonitoringOutputs[0].S3Output"
#define CC "JobResources.ClusterConfig"

typedef struct bad_case {
    int base;
    const char *target; /* member path below the root, "" for the root itself */
    const char *value;  /* JSON text to set there; NULL deletes the member */
    const char *path;   /* expected err->path */
    const char *needle; /* expected inside err->msg */
} bad_case;

static const bad_case bad_cases[] = {
    /* missing required members, at every depth */
    {FULL, "JobDefinitionName", NULL, "$.JobDefinitionName", "missing required member"},
    {FULL, "JobDefinitionName", "null", "$.JobDefinitionName", "missing required member"},
    {FULL, "ModelBiasAppSpecification", NULL, "$.ModelBiasAppSpecification",
     "missing required member (expected an object)"},
    {FULL, "ModelBiasAppSpecification.ImageUri", NULL, "$.ModelBiasAppSpecification.ImageUri",
     "missing required member (expected a string)"},
    {FULL, "ModelBiasAppSpecification.ConfigUri", NULL, "$.ModelBiasAppSpecification.ConfigUri",
     "missing required member"},
    {FULL, "ModelBiasJobInput", NULL, "$.ModelBiasJobInput", "missing required member"},
    {FULL, EI ".EndpointName", NULL, "$." EI ".EndpointName", "missing required member"},
    {FULL, EI ".LocalPath", NULL, "$." EI ".LocalPath", "missing required member"},
    {FULL, "ModelBiasJobInput.GroundTruthS3Input", NULL, "$.ModelBiasJobInput.GroundTruthS3Input",
     "missing required member"},
    {FULL, "ModelBiasJobInput.GroundTruthS3Input.S3Uri", NULL,
     "$.ModelBiasJobInput.GroundTruthS3Input.S3Uri", "missing required member"},
    {FULL, "ModelBiasJobOutputConfig", NULL, "$.ModelBiasJobOutputConfig",
     "missing required member"},
    {FULL, "ModelBiasJobOutputConfig.MonitoringOutputs", NULL,
     "$.ModelBiasJobOutputConfig.MonitoringOutputs", "missing required member (expected a list)"},
    {FULL, S3O, NULL, "$." S3O, "missing required member"},
    {FULL, S3O ".S3Uri", NULL, "$." S3O ".S3Uri", "missing required member"},
    {FULL, S3O ".LocalPath", NULL, "$." S3O ".LocalPath", "missing required member"},
    {FULL, "JobResources", NULL, "$.JobResources", "missing required member"},
    {FULL, CC, NULL, "$." CC, "missing required member"},
    {FULL, CC ".InstanceCount", NULL, "$." CC ".InstanceCount",
     "missing required member (expected an integer)"},
    {FULL, CC ".InstanceType", NULL, "$." CC ".InstanceType", "missing required member"},
    {FULL, CC ".VolumeSizeInGB", NULL, "$." CC ".VolumeSizeInGB", "missing required member"},
    {FULL, "NetworkConfig.VpcConfig.SecurityGroupIds", NULL,
     "$.NetworkConfig.VpcConfig.SecurityGroupIds", "missing required member"},
    {FULL, "NetworkConfig.VpcConfig.Subnets", NULL, "$.NetworkConfig.VpcConfig.Subnets",
     "missing required member"},
    {FULL, "RoleArn", NULL, "$.RoleArn", "missing required member"},
    {FULL, "StoppingCondition.MaxRuntimeInSeconds", NULL, "$.StoppingCondition.MaxRuntimeInSeconds",
     "missing required member"},
    {FULL, "Tags", "[{\"Value\": \"v\"}]", "$.Tags[0].Key", "missing required member"},
    {FULL, "Tags", "[{\"Key\": \"k\"}]", "$.Tags[0].Value", "missing required member"},
    {BATCH, BTI ".DataCapturedDestinationS3Uri", NULL, "$." BTI ".DataCapturedDestinationS3Uri",
     "missing required member"},
    {BATCH, BTI ".DatasetFormat", NULL, "$." BTI ".DatasetFormat", "missing required member"},
    {BATCH, BTI ".LocalPath", NULL, "$." BTI ".LocalPath", "missing required member"},

    /* wrong types */
    {FULL, "", "[]", "$", "must be an object (got a list)"},
    {FULL, "JobDefinitionName", "5", "$.JobDefinitionName", "must be a string (got 5)"},
    {FULL, "ModelBiasJobInput", "[]", "$.ModelBiasJobInput", "must be an object (got a list)"},
    {FULL, CC ".InstanceCount", "\"1\"", "$." CC ".InstanceCount",
     "must be an integer (got \"1\")"},
    {FULL, CC ".InstanceCount", "1.5", "$." CC ".InstanceCount", "must be an integer (got 1.5)"},
    {FULL, CC ".VolumeSizeInGB", "30.0", "$." CC ".VolumeSizeInGB",
     "must be an integer (got 30.0)"},
    {FULL, CC ".VolumeSizeInGB", "-1e300", "$." CC ".VolumeSizeInGB",
     "must be an integer (got -1e+300)"},
    {FULL, "NetworkConfig.EnableNetworkIsolation", "\"false\"",
     "$.NetworkConfig.EnableNetworkIsolation", "must be a boolean (got \"false\")"},
    {FULL, EI ".ProbabilityThresholdAttribute", "\"0.6\"", "$." EI ".ProbabilityThresholdAttribute",
     "must be a number (got \"0.6\")"},
    {FULL, EI ".ProbabilityThresholdAttribute", "true", "$." EI ".ProbabilityThresholdAttribute",
     "must be a number (got true)"},
    {FULL, "ModelBiasAppSpecification.Environment", "[]", "$.ModelBiasAppSpecification.Environment",
     "must be an object (got a list)"},
    {FULL, "ModelBiasAppSpecification.Environment.publish_cloudwatch_metrics", "5",
     "$.ModelBiasAppSpecification.Environment.publish_cloudwatch_metrics",
     "must be a string (got 5)"},
    {FULL, "ModelBiasJobOutputConfig.MonitoringOutputs", "{}",
     "$.ModelBiasJobOutputConfig.MonitoringOutputs", "must be a list (got an object)"},
    {FULL, "ModelBiasJobOutputConfig.MonitoringOutputs[0]", "null",
     "$.ModelBiasJobOutputConfig.MonitoringOutputs[0]", "must be an object (got null)"},
    {FULL, "Tags", "{}", "$.Tags", "must be a list"},
    {FULL, "NetworkConfig.VpcConfig.Subnets", "[7]", "$.NetworkConfig.VpcConfig.Subnets[0]",
     "must be a string (got 7)"},

    /* names */
    {FULL, "JobDefinitionName", "\"\"", "$.JobDefinitionName",
     "must be at least 1 character long (got 0)"},
    {FULL, "JobDefinitionName", "\"-abc\"", "$.JobDefinitionName",
     "must match [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} (got \"-abc\")"},
    {FULL, "JobDefinitionName", "\"abc-\"", "$.JobDefinitionName", "must match"},
    {FULL, "JobDefinitionName", "\"bad_name\"", "$.JobDefinitionName", "(got \"bad_name\")"},
    {FULL, "JobDefinitionName", "\"caf\\u00e9\"", "$.JobDefinitionName", "must match"},
    {FULL, EI ".EndpointName", "\"bad_name\"", "$." EI ".EndpointName", "must match"},
    {FULL, EI ".EndpointName", "\"\"", "$." EI ".EndpointName", "must match"}, /* min 0 */
    {FULL, "ModelBiasBaselineConfig.BaseliningJobName", "\"job.1\"",
     "$.ModelBiasBaselineConfig.BaseliningJobName", "must match"},

    /* enums */
    {FULL, EI ".S3InputMode", "\"FastFile\"", "$." EI ".S3InputMode",
     "must be one of: Pipe, File (got \"FastFile\")"},
    {FULL, EI ".S3DataDistributionType", "\"fullyreplicated\"", "$." EI ".S3DataDistributionType",
     "must be one of: FullyReplicated, ShardedByS3Key"},
    {FULL, S3O ".S3UploadMode", "\"Always\"", "$." S3O ".S3UploadMode",
     "must be one of: Continuous, EndOfJob (got \"Always\")"},
    {FULL, CC ".InstanceType", "\"m5.xlarge\"", "$." CC ".InstanceType",
     "must be one of the 133 ProcessingInstanceType values (ml.t3.medium, "},
    {FULL, CC ".InstanceType", "\"ml.m5.xlarge \"", "$." CC ".InstanceType",
     "(got \"ml.m5.xlarge \")"},

    /* inputs */
    {FULL, "ModelBiasJobInput.BatchTransformInput",
     "{\"DataCapturedDestinationS3Uri\": \"s3://b/c\", \"DatasetFormat\": {\"Parquet\": {}}, "
     "\"LocalPath\": \"/x\"}",
     "$.ModelBiasJobInput",
     "exactly one of EndpointInput and BatchTransformInput is required "
     "(got both)"},
    {FULL, EI, NULL, "$.ModelBiasJobInput",
     "exactly one of EndpointInput and BatchTransformInput is required (got neither)"},
    {FULL, EI, "null", "$.ModelBiasJobInput", "(got neither)"},
    {BATCH, BTI ".DatasetFormat", "{}", "$." BTI ".DatasetFormat",
     "exactly one of Csv, Json and Parquet is required (got none)"},
    {BATCH, BTI ".DatasetFormat", "{\"Csv\": {}, \"Parquet\": {}}", "$." BTI ".DatasetFormat",
     "(got Csv and Parquet)"},
    {BATCH, BTI ".DatasetFormat.Csv.Header", "\"yes\"", "$." BTI ".DatasetFormat.Csv.Header",
     "must be a boolean"},
    {BATCH, BTI ".DataCapturedDestinationS3Uri", "\"gs://b/x\"",
     "$." BTI ".DataCapturedDestinationS3Uri",
     "must match (https|s3)://([^/])/?(.*), or be a file:/// URI or a local path (got "
     "\"gs://b/x\")"},
    {BATCH, BTI ".DataCapturedDestinationS3Uri", "\"s3://b/x\\ny\"",
     "$." BTI ".DataCapturedDestinationS3Uri", "(got \"s3://b/x\\ny\")"},

    /* outputs */
    {FULL, "ModelBiasJobOutputConfig.MonitoringOutputs",
     "[{\"S3Output\": {\"S3Uri\": \"s3://b/1\", \"LocalPath\": \"/o\"}}, "
     "{\"S3Output\": {\"S3Uri\": \"s3://b/2\", \"LocalPath\": \"/o\"}}]",
     "$.ModelBiasJobOutputConfig.MonitoringOutputs", "must have exactly 1 item (got 2)"},
    {FULL, "ModelBiasJobOutputConfig.MonitoringOutputs", "[]",
     "$.ModelBiasJobOutputConfig.MonitoringOutputs", "must have exactly 1 item (got 0)"},
    {FULL, "ModelBiasJobOutputConfig.KmsKeyId", "\"key with space\"",
     "$.ModelBiasJobOutputConfig.KmsKeyId", "must match [a-zA-Z0-9:/_-]*"},

    /* numbers */
    {FULL, CC ".VolumeSizeInGB", "0", "$." CC ".VolumeSizeInGB",
     "must be between 1 and 16384 (got 0)"},
    {FULL, CC ".VolumeSizeInGB", "16385", "$." CC ".VolumeSizeInGB", "(got 16385)"},
    {FULL, CC ".InstanceCount", "101", "$." CC ".InstanceCount", "must be between 1 and 100"},
    {FULL, CC ".InstanceCount", "-9223372036854775807", "$." CC ".InstanceCount",
     "(got -9223372036854775807)"},
    {FULL, "StoppingCondition.MaxRuntimeInSeconds", "86401",
     "$.StoppingCondition.MaxRuntimeInSeconds", "must be between 1 and 86400 (got 86401)"},
    {FULL, "StoppingCondition.MaxRuntimeInSeconds", "0", "$.StoppingCondition.MaxRuntimeInSeconds",
     "must be between 1 and 86400 (got 0)"},

    /* environment */
    {FULL, "ModelBiasAppSpecification.Environment", "{\"1BAD\": \"x\"}",
     "$.ModelBiasAppSpecification.Environment[\"1BAD\"]",
     "key must match [a-zA-Z_][a-zA-Z0-9_]* (got \"1BAD\")"},
    {FULL, "ModelBiasAppSpecification.Environment", "{\"bad-key\": \"x\"}",
     "$.ModelBiasAppSpecification.Environment[\"bad-key\"]", "key must match"},
    {FULL, "ModelBiasAppSpecification.Environment", "{\"\": \"x\"}",
     "$.ModelBiasAppSpecification.Environment[\"\"]", "key must match"},

    /* unknown members at several depths */
    {FULL, "Foo", "1", "$.Foo",
     "unknown member (expected one of: JobDefinitionName, ModelBiasBaselineConfig, "
     "ModelBiasAppSpecification, ModelBiasJobInput, ModelBiasJobOutputConfig, JobResources, "
     "NetworkConfig, RoleArn, StoppingCondition, Tags)"},
    {FULL, "bad key", "1", "$[\"bad key\"]", "unknown member"},
    {FULL, "jobDefinitionName", "\"x\"", "$.jobDefinitionName", "unknown member"},
    {FULL, EI ".EndpointNmae", "\"e\"", "$." EI ".EndpointNmae",
     "unknown member (expected one of: EndpointName, LocalPath, S3InputMode, "},
    {FULL, CC ".Foo", "{}", "$." CC ".Foo", "unknown member"},
    {FULL, S3O ".KmsKeyId", "\"k\"", "$." S3O ".KmsKeyId",
     "unknown member (expected one of: S3Uri, LocalPath, S3UploadMode)"},
    {FULL, "ModelBiasAppSpecification.RecordPreprocessorSourceUri", "\"s3://b/p.py\"",
     "$.ModelBiasAppSpecification.RecordPreprocessorSourceUri", "unknown member"},
    {BATCH, BTI ".DatasetFormat.Parquet", "{\"x\": 1}", "$." BTI ".DatasetFormat.Parquet.x",
     "unknown member (expected no members)"},
    {BATCH, "Tags[0].Extra", "1", "$.Tags[0].Extra", "unknown member"},

    /* time offsets */
    {FULL, EI ".StartTimeOffset", "\"-PT1H0M0S0000000\"", "$." EI ".StartTimeOffset",
     "must be at most 15 characters long (got 16)"},
    {FULL, EI ".StartTimeOffset", "\"1H\"", "$." EI ".StartTimeOffset",
     "must match .?P.* (got \"1H\")"},
    {FULL, EI ".EndTimeOffset", "\"--PT1H\"", "$." EI ".EndTimeOffset", "must match .?P.*"},
    {FULL, EI ".EndTimeOffset", "\"\"", "$." EI ".EndTimeOffset",
     "must be at least 1 character long (got 0)"},
    {FULL, EI ".EndTimeOffset", "\"-PT1H\\n\"", "$." EI ".EndTimeOffset", "must match .?P.*"},

    /* URIs and other strings */
    {FULL, "ModelBiasAppSpecification.ConfigUri", "\"http://bucket/x\"",
     "$.ModelBiasAppSpecification.ConfigUri",
     "must match (https|s3)://([^/]+)/?(.*), or be a file:/// URI or a local path"},
    {FULL, "ModelBiasAppSpecification.ConfigUri", "\"s3:///key\"",
     "$.ModelBiasAppSpecification.ConfigUri", "must match"},
    {FULL, "ModelBiasAppSpecification.ConfigUri", "\"s3://\"",
     "$.ModelBiasAppSpecification.ConfigUri", "must match"},
    {FULL, "ModelBiasAppSpecification.ConfigUri", "\"\"", "$.ModelBiasAppSpecification.ConfigUri",
     "must match"},
    {FULL, "ModelBiasAppSpecification.ConfigUri", "\"file://host/x\"",
     "$.ModelBiasAppSpecification.ConfigUri", "must match"},
    {FULL, "ModelBiasBaselineConfig.ConstraintsResource.S3Uri", "\"s3:/bucket/x\"",
     "$.ModelBiasBaselineConfig.ConstraintsResource.S3Uri", "must match"},
    {FULL, "ModelBiasAppSpecification.ImageUri", "\"image\\r\"",
     "$.ModelBiasAppSpecification.ImageUri", "must match .* (got \"image\\u000d\")"},
    {FULL, "RoleArn", "\"arn:aws:iam::1\"", "$.RoleArn",
     "must be at least 20 characters long (got 14)"},
    {FULL, "RoleArn", "\"arn:aws:iam::01234567890:role/x\"", "$.RoleArn",
     "must match arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"},
    {FULL, "RoleArn", "\"arn:aws:iam::012345678901:user/x\"", "$.RoleArn", "must match"},
    {FULL, "RoleArn", "\"arn:aws:iam::012345678901:role\"", "$.RoleArn", "must match"},
    {FULL, "RoleArn", "\"arn:AWS:iam::012345678901:role/x\"", "$.RoleArn", "must match"},

    /* lists */
    {FULL, "NetworkConfig.VpcConfig.SecurityGroupIds", "[]",
     "$.NetworkConfig.VpcConfig.SecurityGroupIds", "must have at least 1 item (got 0)"},
    {FULL, "NetworkConfig.VpcConfig.SecurityGroupIds", "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]",
     "$.NetworkConfig.VpcConfig.SecurityGroupIds", "must have at most 5 items (got 6)"},
    {FULL, "NetworkConfig.VpcConfig.Subnets", "[\"subnet-1\", \"subnet_2\"]",
     "$.NetworkConfig.VpcConfig.Subnets[1]", "must match [-0-9a-zA-Z]+ (got \"subnet_2\")"},
    {FULL, "NetworkConfig.VpcConfig.Subnets", "[\"\"]", "$.NetworkConfig.VpcConfig.Subnets[0]",
     "must match [-0-9a-zA-Z]+"},

    /* tags */
    {FULL, "Tags", "[{\"Key\": \"\", \"Value\": \"v\"}]", "$.Tags[0].Key",
     "must be at least 1 character long (got 0)"},
    {FULL, "Tags", "[{\"Key\": \"k\", \"Value\": \"v\"}, {\"Key\": \"a*b\", \"Value\": \"v\"}]",
     "$.Tags[1].Key", "must match ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*) (got \"a*b\")"},
    {FULL, "Tags", "[{\"Key\": \"k\", \"Value\": \"\\ud83d\\ude00\"}]", "$.Tags[0].Value",
     "must match"},
    {FULL, "Tags", "[{\"Key\": \"k\", \"Value\": \"tab\\there\"}]", "$.Tags[0].Value",
     "must match"},
    {FULL, "Tags", "[{\"Key\": \"k\", \"Value\": \"\\u2013\"}]", "$.Tags[0].Value", "must match"},
};

static void test_bad_requests(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(bad_cases) / sizeof(bad_cases[0]); k++) {
        const bad_case *c = &bad_cases[k];
        expect_bad(c->base, c->target, c->value, c->path, c->needle);
    }
}

/* Cases whose values are built: long strings, many entries. */
static void test_bad_sizes(void **state)
{
    (void)state;
    char *s = repeat("", "a", 64, "");
    expect_bad(FULL, "JobDefinitionName", s, "$.JobDefinitionName",
               "must be at most 63 characters long (got 64)");
    expect_bad(FULL, EI ".EndpointName", s, "$." EI ".EndpointName", "at most 63");
    free(s);

    s = repeat("s3://bucket/", "k", 501, ""); /* 513 characters */
    expect_bad(FULL, "ModelBiasJobInput.GroundTruthS3Input.S3Uri", s,
               "$.ModelBiasJobInput.GroundTruthS3Input.S3Uri",
               "must be at most 512 characters long (got 513)");
    expect_good(FULL, "ModelBiasAppSpecification.ConfigUri", s); /* S3Uri allows 1024 */
    free(s);
    s = repeat("s3://bucket/", "k", 1013, "");
    expect_bad(FULL, "ModelBiasAppSpecification.ConfigUri", s,
               "$.ModelBiasAppSpecification.ConfigUri", "at most 1024 characters long (got 1025)");
    free(s);
    s = repeat("/", "p", 256, "");
    expect_bad(FULL, EI ".LocalPath", s, "$." EI ".LocalPath", "at most 256 characters");
    free(s);
    s = repeat("", "f", 101, "");
    expect_bad(FULL, EI ".ExcludeFeaturesAttribute", s, "$." EI ".ExcludeFeaturesAttribute",
               "at most 100 characters long (got 101)");
    free(s);
    s = repeat("", "i", 256, "");
    expect_bad(FULL, "ModelBiasAppSpecification.ImageUri", s,
               "$.ModelBiasAppSpecification.ImageUri", "at most 255 characters");
    free(s);

    /* 129 two-byte letters: a length error, counted in characters */
    s = repeat("", "\xc3\xa9", 129, "");
    char tags[2048];
    snprintf(tags, sizeof(tags), "[{\"Key\": %s, \"Value\": \"v\"}]", s);
    expect_bad(FULL, "Tags", tags, "$.Tags[0].Key", "at most 128 characters long (got 129)");
    free(s);
    /* 65 supplementary-plane letters (U+20000) are 130 UTF-16 units */
    s = repeat("", "\xf0\xa0\x80\x80", 65, "");
    snprintf(tags, sizeof(tags), "[{\"Key\": %s, \"Value\": \"v\"}]", s);
    expect_bad(FULL, "Tags", tags, "$.Tags[0].Key", "at most 128 characters long (got 130)");
    free(s);

    /* Environment: 50 entries are fine, 51 are not; values up to 256 characters */
    char *env = entries("{", "\"K%d\": \"v\"", 50, "}");
    expect_good(FULL, "ModelBiasAppSpecification.Environment", env);
    free(env);
    env = entries("{", "\"K%d\": \"v\"", 51, "}");
    expect_bad(FULL, "ModelBiasAppSpecification.Environment", env,
               "$.ModelBiasAppSpecification.Environment", "must have at most 50 entries (got 51)");
    free(env);
    s = repeat("", "v", 257, "");
    char one[512];
    snprintf(one, sizeof(one), "{\"K\": %s}", s);
    expect_bad(FULL, "ModelBiasAppSpecification.Environment", one,
               "$.ModelBiasAppSpecification.Environment.K",
               "at most 256 characters long (got 257)");
    free(s);

    /* Tags: 50 are fine, 51 are not */
    char *list = entries("[", "{\"Key\": \"k%d\", \"Value\": \"v\"}", 50, "]");
    expect_good(FULL, "Tags", list);
    free(list);
    list = entries("[", "{\"Key\": \"k%d\", \"Value\": \"v\"}", 51, "]");
    expect_bad(FULL, "Tags", list, "$.Tags", "must have at most 50 items (got 51)");
    free(list);
}

/* The whole rendered error, as the CLI prints it. */
static void test_error_text(void **state)
{
    (void)state;
    json_t *root = mutate(load_base(FULL), EI ".EndpointName", "\"bad_name\"");
    char *text = json_dumps(root, 0);
    json_decref(root);
    bm_job_definition d;
    bm_error e;
    assert_int_equal(parse(text, &d, &e), BM_ECONFIG);
    free(text);
    char out[1024];
    bm_error_format(&e, out, sizeof(out));
    assert_string_equal(out, "job.json: $.ModelBiasJobInput.EndpointInput.EndpointName: must match "
                             "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} (got \"bad_name\")");

    /* long offending values are shortened in messages */
    char *s = repeat("", "x", 300, "");
    root = mutate(load_base(FULL), "JobDefinitionName", s);
    free(s);
    assert_int_equal(bm_job_definition_from_json(root, &d, &e), BM_ECONFIG);
    assert_string_equal(e.msg, "must be at most 63 characters long (got 300)");
    root = mutate(root, EI ".S3InputMode",
                  "\"0123456789012345678901234567890123456789"
                  "01234567890123456789012345678901234567890\"");
    root = mutate(root, "JobDefinitionName", "\"ok\"");
    assert_int_equal(bm_job_definition_from_json(root, &d, &e), BM_ECONFIG);
    assert_non_null(strstr(e.msg, "0123456789012345678901234567890123456789012345678901234567890123"
                                  "\"...)"));
    json_decref(root);
}

static void test_malformed_json(void **state)
{
    (void)state;
    bm_job_definition d;
    bm_error e;
    assert_int_equal(parse("{\"JobDefinitionName\": \n  \"a\",}", &d, &e), BM_EPARSE);
    assert_int_equal(e.line, 2);
    assert_string_equal(e.file, "job.json");
    assert_null(d.name);
    assert_int_equal(parse("{\"RoleArn\": \"a\", \"RoleArn\": \"b\"}", &d, &e), BM_EPARSE);
    assert_int_equal(parse("", &d, &e), BM_EPARSE);
    assert_int_equal(bm_job_definition_parse("{}", 2, NULL, &d, &e), BM_ECONFIG);
    assert_string_equal(e.file, "");
    assert_string_equal(e.path, "$.JobDefinitionName");
    assert_int_equal(bm_job_definition_from_json(NULL, &d, &e), BM_EINVAL);
    json_t *text = json_string("text");
    assert_int_equal(bm_job_definition_from_json(text, &d, &e), BM_ECONFIG);
    assert_string_equal(e.path, "$");
    assert_string_equal(e.msg, "must be an object (got \"text\")");
    json_decref(text);

    /* embedded NUL (only possible through from_json) */
    json_t *root = load_base(MINIMAL);
    json_object_set_new(root, "JobDefinitionName", json_stringn("a\0b", 3));
    assert_int_equal(bm_job_definition_from_json(root, &d, &e), BM_ECONFIG);
    assert_string_equal(e.path, "$.JobDefinitionName");
    assert_non_null(strstr(e.msg, "NUL"));
    json_decref(root);
}

static void test_load(void **state)
{
    (void)state;
    char path[] = "/tmp/test_jobdef_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(batch_request);
    assert_int_equal(write(fd, batch_request, n), (ssize_t)n);
    close(fd);
    bm_job_definition d;
    bm_error e;
    assert_int_equal(bm_job_definition_load(path, &d, &e), BM_OK);
    assert_string_equal(d.name, "bias-batch");
    bm_job_definition_release(&d);
    unlink(path);
    assert_int_equal(bm_job_definition_load(path, &d, &e), BM_ENOTFOUND);
    assert_string_equal(e.file, path);
    assert_null(d.name);
}

/* A FIFO in place of the job definition is refused at once (it used to wait for a writer
 * forever); the alarm turns a wait into a failure instead of a hang. */
static void test_load_fifo(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_jobdef_fifo_XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/jd.json", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    bm_job_definition d;
    bm_error e;
    alarm(30);
    assert_int_equal(bm_job_definition_load(path, &d, &e), BM_EIO);
    alarm(0);
    assert_string_equal(e.file, path);
    assert_non_null(strstr(e.msg, "FIFO"));
    unlink(path);
    rmdir(dir);
}

static void test_is_resource_name(void **state)
{
    (void)state;
    assert_true(bm_is_resource_name("a"));
    assert_true(bm_is_resource_name("A-b--c9"));
    assert_true(bm_is_resource_name("model-bias-job-definition-2024-01-19-19-38-53-206"));
    assert_false(bm_is_resource_name(""));
    assert_false(bm_is_resource_name(NULL));
    assert_false(bm_is_resource_name("-a"));
    assert_false(bm_is_resource_name("a-"));
    assert_false(bm_is_resource_name("a_b"));
    assert_false(bm_is_resource_name("a.b"));
    assert_false(bm_is_resource_name("a b"));
    char s[200];
    memset(s, 'x', 63);
    s[63] = 0;
    assert_true(bm_is_resource_name(s));
    s[63] = 'x', s[64] = 0;
    assert_false(bm_is_resource_name(s)); /* 64 alphanumerics: {0,62} exceeded */
    /* hyphens are not counted by the pattern (the member length bound catches them) */
    memset(s, '-', 150);
    s[0] = 'a', s[150] = 'b', s[151] = 0;
    assert_true(bm_is_resource_name(s));
}

/* ============================================================================ allocation failure
 */

static void test_alloc_failure_from_json(void **state)
{
    (void)state;
    json_t *root = load_base(FULL);
    int saw_enomem = 0, saw_ok = 0;
    for (long n = 1; n <= 80; n++) {
        bm_job_definition d;
        bm_error e;
        bm_alloc_fail_after(n);
        int r = bm_job_definition_from_json(root, &d, &e);
        bm_alloc_fail_after(0);
        if (r == BM_OK) {
            saw_ok = 1;
            assert_string_equal(d.input.end_time_offset, "-PT0H");
            bm_job_definition_release(&d);
        } else {
            if (r != BM_ENOMEM) fail_msg("n=%ld: code %d (%s at %s)", n, r, e.msg, e.path);
            assert_int_equal(e.code, BM_ENOMEM);
            assert_null(d.name);
            assert_null(d.request);
            saw_enomem = 1;
        }
    }
    assert_true(saw_enomem);
    assert_true(saw_ok);
    assert_int_equal(root->refcount, 1); /* every failure gave its references back */
    json_decref(root);
}

/* With jansson on the same allocator (main), parsing itself fails too: an error, never a crash. */
static void test_alloc_failure_parse(void **state)
{
    (void)state;
    int saw_enomem = 0, saw_ok = 0;
    for (long n = 1; n <= 400 && !saw_ok; n++) {
        bm_job_definition d;
        bm_error e;
        bm_alloc_fail_after(n);
        int r = parse(batch_request, &d, &e);
        bm_alloc_fail_after(0);
        if (r == BM_OK) {
            saw_ok = 1;
            assert_string_equal(d.name, "bias-batch");
            bm_job_definition_release(&d);
        } else {
            /* jansson's lexer reports some allocation failures as syntax errors */
            if (r != BM_ENOMEM && r != BM_EPARSE)
                fail_msg("n=%ld: code %d (%s at %s)", n, r, e.msg, e.path);
            assert_null(d.name);
            saw_enomem |= r == BM_ENOMEM;
        }
    }
    assert_true(saw_enomem);
    assert_true(saw_ok);
}

/* Tag keys and values match SageMaker's pattern ([\p{L}\p{Z}\p{N}_.:/=+\-@]*) exactly, by the
 * Unicode general categories: letters, separators and numbers of any script are accepted; marks,
 * symbols, punctuation, controls and unassigned code points are refused, also inside a script's
 * own block (a Devanagari vowel sign, the Thai baht sign). */
static void test_tag_pattern_unicode(void **state)
{
    (void)state;
    static const char *good[] = {
        "",
        "team",
        "a b_c.d:e/f=g+h-i@j 1",
        "caf\u00e9",
        "stra\u00dfe",
        "\u65e5\u672c",
        "\u03a9",
        "\u0661\u0662", /* Arabic-Indic digits (Nd) */
        "\u2160",
        "\u00bd", /* Roman numeral one (Nl), one half (No) */
        "\u0915", /* Devanagari KA (Lo) */
        "a\u3000b",
        "a\u00a0b",
        "a\u2028b",   /* ideographic space, no-break space (Zs), line sep (Zl) */
        "\U00010400", /* Deseret capital long I (Lu, outside the BMP) */
        "\u02b0",     /* modifier letter small h (Lm) */
        "\u2e2f",     /* vertical tilde: Lm inside a punctuation block */
    };
    static const char *bad[] = {
        "!",       "#",      "a,b",    "(x)",        "\u0915\u093f", /* KA + vowel sign I (Mc) */
        "e\u0301",                                   /* combining acute accent (Mn) */
        "\u0e3f",                                    /* Thai baht sign (Sc) */
        "\u2100",                                    /* account of (So, letterlike symbols) */
        "\u00a9",  "\u00bf", "\u20ac", "\U0001f600", /* (c), inverted ?, euro, emoji */
        "\u0378",                                    /* unassigned (Cn) */
        "\u00ad",                                    /* soft hyphen (Cf) */
    };
    /* the literals are UTF-8 (C's \u escapes), put raw into the request's JSON text */
    char tags[256];
    for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
        snprintf(tags, sizeof(tags), "[{\"Key\": \"k%s\", \"Value\": \"%s\"}]", good[k], good[k]);
        expect_good(FULL, "Tags", tags);
    }
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        snprintf(tags, sizeof(tags), "[{\"Key\": \"k\", \"Value\": \"%s\"}]", bad[k]);
        expect_bad(FULL, "Tags", tags, "$.Tags[0].Value", "must match");
        snprintf(tags, sizeof(tags), "[{\"Key\": \"k%s\", \"Value\": \"v\"}]", bad[k]);
        expect_bad(FULL, "Tags", tags, "$.Tags[0].Key", "must match");
    }
}

int main(void)
{
    json_set_alloc_funcs(bm_malloc, bm_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_sdk_request),
        cmocka_unit_test(test_batch_request),
        cmocka_unit_test(test_minimal_request),
        cmocka_unit_test(test_valid_variations),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_error_text),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_load_fifo),
        cmocka_unit_test(test_tag_pattern_unicode),
        cmocka_unit_test(test_is_resource_name),
        cmocka_unit_test(test_alloc_failure_from_json),
        cmocka_unit_test(test_alloc_failure_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
