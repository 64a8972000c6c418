/* SageMaker's service model as biasmon serves it: the patterns of its strings, the shapes of the
 * requests of every operation biasmon implements, and the table from X-Amz-Target to request
 * shape. Names, bounds, patterns and enums are those of botocore's sagemaker/2017-07-24/
 * service-2.json; biasmon departures are marked "biasmon:". The walker is shape.c. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include "biasmon/sagemaker.h"
#include "aws/shape.h"

#define STRING BM__SHAPE_STRING
#define URI BM__SHAPE_URI /* biasmon: URIs may also be local paths or file:// URIs */
#define INTEGER BM__SHAPE_INTEGER
#define END                                                                                        \
    {                                                                                              \
        NULL, NULL, 0                                                                              \
    }

/* ================================================================================================
 * Pattern matchers: each decides whether the whole string matches the model's regex
 * ============================================================================================== */

/* [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} */
static int match_resource_name(const char *s, size_t n)
{
    if (n == 0 || !bm__is_alnum(s[0]) || s[n - 1] == '-') return 0;
    size_t groups = 0;
    for (size_t k = 1; k < n; k++) {
        if (s[k] == '-') continue;
        if (!bm__is_alnum(s[k])) return 0;
        groups++;
    }
    return groups <= 62;
}

static size_t s3_scheme_len(const char *s, size_t n)
{
    if (n >= 8 && memcmp(s, "https://", 8) == 0) return 8;
    if (n >= 5 && memcmp(s, "s3://", 5) == 0) return 5;
    return 0;
}

/* (https|s3)://([^/]+)/?(.*): a host of at least one character (which may be anything but '/'),
 * then no line terminator from the first '/' on (the greedy host leaves ".*" the least to match).
 */
static int match_s3_uri(const char *s, size_t n)
{
    size_t p = s3_scheme_len(s, n);
    if (p == 0 || p >= n || s[p] == '/') return 0;
    const char *slash = memchr(s + p, '/', n - p);
    size_t q = slash ? (size_t)(slash - s) : n;
    return !bm__has_line_terminator(s + q, n - q);
}

/* (https|s3)://([^/])/?(.*): one host character, then no line terminators. (The service model
 * really has no '+' here; since ".*" takes the rest of the host it accepts the same URIs.) */
static int match_dest_s3_uri(const char *s, size_t n)
{
    size_t p = s3_scheme_len(s, n);
    if (p == 0 || p >= n || s[p] == '/') return 0;
    uint32_t cp;
    size_t k = bm__utf8_next(s + p, n - p, &cp);
    if (k == 0) k = 1;
    return !bm__has_line_terminator(s + p + k, n - p - k);
}

/* .* */
static int match_line(const char *s, size_t n)
{
    return !bm__has_line_terminator(s, n);
}

/* [a-zA-Z0-9:/_-]* */
static int match_kms_key_id(const char *s, size_t n)
{
    return bm__all_in(s, n, ":/_-");
}

/* [-0-9a-zA-Z]+ */
static int match_vpc_id(const char *s, size_t n)
{
    return n > 0 && bm__all_in(s, n, "-");
}

/* [a-zA-Z_][a-zA-Z0-9_]* */
static int match_env_key(const char *s, size_t n)
{
    return n > 0 && (bm__is_alpha(s[0]) || s[0] == '_') && bm__all_in(s, n, "_");
}

/* .?P.* */
static int match_time_offset(const char *s, size_t n)
{
    if (n == 0 || bm__has_line_terminator(s, n)) return 0;
    if (s[0] == 'P') return 1;
    uint32_t cp;
    size_t k = bm__utf8_next(s, n, &cp);
    if (k == 0) k = 1;
    return k < n && s[k] == 'P';
}

/* arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+ ('/' is in the last class, so "role/?"
 * then "[...]+" is "role" followed by at least one character of the class). */
static int match_role_arn(const char *s, size_t n)
{
    size_t k = 7;
    if (n < k || memcmp(s, "arn:aws", 7) != 0) return 0;
    while (k < n && ((s[k] >= 'a' && s[k] <= 'z') || s[k] == '-'))
        k++;
    if (n - k < 6 || memcmp(s + k, ":iam::", 6) != 0) return 0;
    k += 6;
    for (int d = 0; d < 12; d++, k++)
        if (k >= n || !bm__is_digit(s[k])) return 0;
    if (n - k < 5 || memcmp(s + k, ":role", 5) != 0) return 0;
    k += 5;
    return k < n && bm__all_in(s + k, n - k, "_+=,.@-/");
}

/* ([\p{L}\p{Z}\p{N}_.:/=+\-@]*) by PCRE2 and its Unicode tables: the general categories exactly
 * (a mark or symbol inside a script's block is refused, unassigned code points too), the whole
 * string, valid UTF-8 only. Compiled once (system allocator: it lives as long as the process);
 * each match's data comes from bm_malloc, so an allocation failure is reported as one (-1). */
static pcre2_code *tag_re;
static pcre2_general_context *tag_gctx;
static pthread_once_t tag_once = PTHREAD_ONCE_INIT;

static void *re_malloc(PCRE2_SIZE n, void *ud)
{
    (void)ud;
    return bm_malloc(n);
}

static void re_free(void *p, void *ud)
{
    (void)ud;
    bm_free(p);
}

static void tag_compile(void)
{
    int code;
    PCRE2_SIZE at;
    tag_re = pcre2_compile((PCRE2_SPTR) "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", PCRE2_ZERO_TERMINATED,
                           PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_NO_AUTO_CAPTURE,
                           &code, &at, NULL);
    tag_gctx = pcre2_general_context_create(re_malloc, re_free, NULL);
}

static int match_tag(const char *s, size_t n)
{
    pthread_once(&tag_once, tag_compile);
    if (!tag_re || !tag_gctx) return -1; /* PCRE2 could not compile it: out of memory */
    pcre2_match_data *md = pcre2_match_data_create(1, tag_gctx);
    if (!md) return -1;
    int rc = pcre2_match(tag_re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    if (rc == PCRE2_ERROR_NOMEMORY || rc == PCRE2_ERROR_HEAPLIMIT) return -1;
    return rc >= 0; /* no match, or invalid UTF-8 (PCRE2_ERROR_UTF8_*): 0 */
}

const bm__pattern bm__pat_resource_name = {"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", match_resource_name};
const bm__pattern bm__pat_s3_uri = {"(https|s3)://([^/]+)/?(.*)", match_s3_uri};
const bm__pattern bm__pat_dest_s3_uri = {"(https|s3)://([^/])/?(.*)", match_dest_s3_uri};
const bm__pattern bm__pat_line = {".*", match_line};
const bm__pattern bm__pat_kms_key_id = {"[a-zA-Z0-9:/_-]*", match_kms_key_id};
const bm__pattern bm__pat_vpc_id = {"[-0-9a-zA-Z]+", match_vpc_id};
const bm__pattern bm__pat_env_key = {"[a-zA-Z_][a-zA-Z0-9_]*", match_env_key};
const bm__pattern bm__pat_time_offset = {".?P.*", match_time_offset};
const bm__pattern bm__pat_role_arn = {"arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
                                      match_role_arn};
const bm__pattern bm__pat_tag = {"([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)", match_tag};

/* ================================================================================================
 * Shapes of CreateModelBiasJobDefinition and CreateProcessingJob, and the members other requests
 * share with them
 * ============================================================================================== */

static const bm__shape shape_monitoring_job_definition_name =
    STRING("MonitoringJobDefinitionName", 1, 63, &bm__pat_resource_name);
static const bm__shape shape_processing_job_name =
    STRING("ProcessingJobName", 1, 63, &bm__pat_resource_name);
static const bm__shape shape_endpoint_name = STRING("EndpointName", 0, 63, &bm__pat_resource_name);
static const bm__shape s3_uri = URI("S3Uri", 1024, &bm__pat_s3_uri);
static const bm__shape monitoring_s3_uri = URI("MonitoringS3Uri", 512, &bm__pat_s3_uri);
static const bm__shape destination_s3_uri = URI("DestinationS3Uri", 512, &bm__pat_dest_s3_uri);
static const bm__shape image_uri = STRING("ImageUri", 0, 255, &bm__pat_line);
static const bm__shape local_path = STRING("ProcessingLocalPath", 0, 256, &bm__pat_line);
static const bm__shape string = STRING("String", 0, 0, NULL);
static const bm__shape boolean = {.kind = BM__BOOLEAN, .name = "Boolean"};
static const bm__shape kms_key_id = STRING("KmsKeyId", 0, 2048, &bm__pat_kms_key_id);
static const bm__shape shape_time_offset =
    STRING("MonitoringTimeOffsetString", 1, 15, &bm__pat_time_offset);
static const bm__shape exclude_features = STRING("ExcludeFeaturesAttribute", 0, 100, NULL);
static const bm__shape probability_threshold = {.kind = BM__DOUBLE,
                                                .name = "ProbabilityThresholdAttribute"};
static const bm__shape shape_role_arn = STRING("RoleArn", 20, 2048, &bm__pat_role_arn);

static const char *const s3_input_modes[] = {"Pipe", "File", NULL};
static const char *const s3_distribution_types[] = {"FullyReplicated", "ShardedByS3Key", NULL};
static const char *const s3_upload_modes[] = {"Continuous", "EndOfJob", NULL};
/* clang-format off */
static const char *const instance_types[] = {
    "ml.t3.medium", "ml.t3.large", "ml.t3.xlarge", "ml.t3.2xlarge", "ml.m4.xlarge",
    "ml.m4.2xlarge", "ml.m4.4xlarge", "ml.m4.10xlarge", "ml.m4.16xlarge", "ml.c4.xlarge",
    "ml.c4.2xlarge", "ml.c4.4xlarge", "ml.c4.8xlarge", "ml.p2.xlarge", "ml.p2.8xlarge",
    "ml.p2.16xlarge", "ml.p3.2xlarge", "ml.p3.8xlarge", "ml.p3.16xlarge", "ml.c5.xlarge",
    "ml.c5.2xlarge", "ml.c5.4xlarge", "ml.c5.9xlarge", "ml.c5.18xlarge", "ml.m5.large",
    "ml.m5.xlarge", "ml.m5.2xlarge", "ml.m5.4xlarge", "ml.m5.12xlarge", "ml.m5.24xlarge",
    "ml.r5.large", "ml.r5.xlarge", "ml.r5.2xlarge", "ml.r5.4xlarge", "ml.r5.8xlarge",
    "ml.r5.12xlarge", "ml.r5.16xlarge", "ml.r5.24xlarge", "ml.g4dn.xlarge", "ml.g4dn.2xlarge",
    "ml.g4dn.4xlarge", "ml.g4dn.8xlarge", "ml.g4dn.12xlarge", "ml.g4dn.16xlarge", "ml.g5.xlarge",
    "ml.g5.2xlarge", "ml.g5.4xlarge", "ml.g5.8xlarge", "ml.g5.16xlarge", "ml.g5.12xlarge",
    "ml.g5.24xlarge", "ml.g5.48xlarge", "ml.r5d.large", "ml.r5d.xlarge", "ml.r5d.2xlarge",
    "ml.r5d.4xlarge", "ml.r5d.8xlarge", "ml.r5d.12xlarge", "ml.r5d.16xlarge", "ml.r5d.24xlarge",
    "ml.g6.xlarge", "ml.g6.2xlarge", "ml.g6.4xlarge", "ml.g6.8xlarge", "ml.g6.12xlarge",
    "ml.g6.16xlarge", "ml.g6.24xlarge", "ml.g6.48xlarge", "ml.g6e.xlarge", "ml.g6e.2xlarge",
    "ml.g6e.4xlarge", "ml.g6e.8xlarge", "ml.g6e.12xlarge", "ml.g6e.16xlarge", "ml.g6e.24xlarge",
    "ml.g6e.48xlarge", "ml.m6i.large", "ml.m6i.xlarge", "ml.m6i.2xlarge", "ml.m6i.4xlarge",
    "ml.m6i.8xlarge", "ml.m6i.12xlarge", "ml.m6i.16xlarge", "ml.m6i.24xlarge", "ml.m6i.32xlarge",
    "ml.c6i.xlarge", "ml.c6i.2xlarge", "ml.c6i.4xlarge", "ml.c6i.8xlarge", "ml.c6i.12xlarge",
    "ml.c6i.16xlarge", "ml.c6i.24xlarge", "ml.c6i.32xlarge", "ml.m7i.large", "ml.m7i.xlarge",
    "ml.m7i.2xlarge", "ml.m7i.4xlarge", "ml.m7i.8xlarge", "ml.m7i.12xlarge", "ml.m7i.16xlarge",
    "ml.m7i.24xlarge", "ml.m7i.48xlarge", "ml.c7i.large", "ml.c7i.xlarge", "ml.c7i.2xlarge",
    "ml.c7i.4xlarge", "ml.c7i.8xlarge", "ml.c7i.12xlarge", "ml.c7i.16xlarge", "ml.c7i.24xlarge",
    "ml.c7i.48xlarge", "ml.r7i.large", "ml.r7i.xlarge", "ml.r7i.2xlarge", "ml.r7i.4xlarge",
    "ml.r7i.8xlarge", "ml.r7i.12xlarge", "ml.r7i.16xlarge", "ml.r7i.24xlarge", "ml.r7i.48xlarge",
    "ml.p5.4xlarge", "ml.g7e.2xlarge", "ml.g7e.4xlarge", "ml.g7e.8xlarge", "ml.g7e.12xlarge",
    "ml.g7e.24xlarge", "ml.g7e.48xlarge", "ml.g7.2xlarge", "ml.g7.4xlarge", "ml.g7.8xlarge",
    "ml.g7.12xlarge", "ml.g7.24xlarge", "ml.g7.48xlarge", NULL,
};
/* clang-format on */
static const bm__shape s3_input_mode = {
    .kind = BM__STRING, .name = "ProcessingS3InputMode", .enums = s3_input_modes};
static const bm__shape s3_distribution_type = {
    .kind = BM__STRING, .name = "ProcessingS3DataDistributionType", .enums = s3_distribution_types};
static const bm__shape s3_upload_mode = {
    .kind = BM__STRING, .name = "ProcessingS3UploadMode", .enums = s3_upload_modes};
static const bm__shape instance_type = {
    .kind = BM__STRING, .name = "ProcessingInstanceType", .enums = instance_types};

/* ---- MonitoringEnvironmentMap ---- */
static const bm__shape env_key = STRING("ProcessingEnvironmentKey", 0, 256, &bm__pat_env_key);
static const bm__shape env_value = STRING("ProcessingEnvironmentValue", 0, 256, NULL); /* [\S\s]* */
static const bm__shape shape_monitoring_environment_map = {.kind = BM__MAP,
                                                           .name = "MonitoringEnvironmentMap",
                                                           .key = &env_key,
                                                           .member = &env_value,
                                                           .max_items = 50};

/* ---- EndpointInput, BatchTransformInput ---- */
static const bm__shape shape_endpoint_input = {
    .kind = BM__STRUCT,
    .name = "EndpointInput",
    .members = (const bm__member[]){{"EndpointName", &shape_endpoint_name, 1},
                                    {"LocalPath", &local_path, 1},
                                    {"S3InputMode", &s3_input_mode, 0},
                                    {"S3DataDistributionType", &s3_distribution_type, 0},
                                    {"FeaturesAttribute", &string, 0},
                                    {"InferenceAttribute", &string, 0},
                                    {"ProbabilityAttribute", &string, 0},
                                    {"ProbabilityThresholdAttribute", &probability_threshold, 0},
                                    {"StartTimeOffset", &shape_time_offset, 0},
                                    {"EndTimeOffset", &shape_time_offset, 0},
                                    {"ExcludeFeaturesAttribute", &exclude_features, 0},
                                    {NULL, NULL, 0}},
};

static const bm__shape csv_format = {
    .kind = BM__STRUCT,
    .name = "MonitoringCsvDatasetFormat",
    .members = (const bm__member[]){{"Header", &boolean, 0}, {NULL, NULL, 0}},
};
static const bm__shape json_format = {
    .kind = BM__STRUCT,
    .name = "MonitoringJsonDatasetFormat",
    .members = (const bm__member[]){{"Line", &boolean, 0}, {NULL, NULL, 0}},
};
static const bm__shape parquet_format = {
    .kind = BM__STRUCT,
    .name = "MonitoringParquetDatasetFormat",
    .members = (const bm__member[]){{NULL, NULL, 0}},
};
static const bm__shape dataset_format = {
    .kind = BM__STRUCT,
    .name = "MonitoringDatasetFormat",
    .members = (const bm__member[]){{"Csv", &csv_format, 0},
                                    {"Json", &json_format, 0},
                                    {"Parquet", &parquet_format, 0},
                                    {NULL, NULL, 0}},
    /* biasmon: the model does not say so, but a format is needed to read the data */
    .one_of = (const char *const[]){"Csv", "Json", "Parquet", NULL},
};

static const bm__shape shape_batch_transform_input = {
    .kind = BM__STRUCT,
    .name = "BatchTransformInput",
    .members = (const bm__member[]){{"DataCapturedDestinationS3Uri", &destination_s3_uri, 1},
                                    {"DatasetFormat", &dataset_format, 1},
                                    {"LocalPath", &local_path, 1},
                                    {"S3InputMode", &s3_input_mode, 0},
                                    {"S3DataDistributionType", &s3_distribution_type, 0},
                                    {"FeaturesAttribute", &string, 0},
                                    {"InferenceAttribute", &string, 0},
                                    {"ProbabilityAttribute", &string, 0},
                                    {"ProbabilityThresholdAttribute", &probability_threshold, 0},
                                    {"StartTimeOffset", &shape_time_offset, 0},
                                    {"EndTimeOffset", &shape_time_offset, 0},
                                    {"ExcludeFeaturesAttribute", &exclude_features, 0},
                                    {NULL, NULL, 0}},
};

/* biasmon: S3Uri is required; the model leaves it optional, but a bias job without ground truth
 * cannot run. */
static const bm__shape ground_truth_input = {
    .kind = BM__STRUCT,
    .name = "MonitoringGroundTruthS3Input",
    .members = (const bm__member[]){{"S3Uri", &monitoring_s3_uri, 1}, {NULL, NULL, 0}},
};

static const bm__shape model_bias_job_input = {
    .kind = BM__STRUCT,
    .name = "ModelBiasJobInput",
    .members = (const bm__member[]){{"EndpointInput", &shape_endpoint_input, 0},
                                    {"BatchTransformInput", &shape_batch_transform_input, 0},
                                    {"GroundTruthS3Input", &ground_truth_input, 1},
                                    {NULL, NULL, 0}},
    .one_of = (const char *const[]){"EndpointInput", "BatchTransformInput", NULL},
};

/* ---- app specification, baseline ---- */
static const bm__shape app_specification = {
    .kind = BM__STRUCT,
    .name = "ModelBiasAppSpecification",
    .members = (const bm__member[]){{"ImageUri", &image_uri, 1},
                                    {"ConfigUri", &s3_uri, 1},
                                    {"Environment", &shape_monitoring_environment_map, 0},
                                    {NULL, NULL, 0}},
};

static const bm__shape constraints_resource = {
    .kind = BM__STRUCT,
    .name = "MonitoringConstraintsResource",
    .members = (const bm__member[]){{"S3Uri", &s3_uri, 0}, {NULL, NULL, 0}},
};

static const bm__shape baseline_config = {
    .kind = BM__STRUCT,
    .name = "ModelBiasBaselineConfig",
    .members = (const bm__member[]){{"BaseliningJobName", &shape_processing_job_name, 0},
                                    {"ConstraintsResource", &constraints_resource, 0},
                                    {NULL, NULL, 0}},
};

/* ---- MonitoringOutputConfig ---- */
static const bm__shape s3_output = {
    .kind = BM__STRUCT,
    .name = "MonitoringS3Output",
    .members = (const bm__member[]){{"S3Uri", &monitoring_s3_uri, 1},
                                    {"LocalPath", &local_path, 1},
                                    {"S3UploadMode", &s3_upload_mode, 0},
                                    {NULL, NULL, 0}},
};
static const bm__shape monitoring_output = {
    .kind = BM__STRUCT,
    .name = "MonitoringOutput",
    .members = (const bm__member[]){{"S3Output", &s3_output, 1}, {NULL, NULL, 0}},
};
static const bm__shape monitoring_outputs = {.kind = BM__LIST,
                                             .name = "MonitoringOutputs",
                                             .member = &monitoring_output,
                                             .min_items = 1,
                                             .max_items = 1};
static const bm__shape shape_monitoring_output_config = {
    .kind = BM__STRUCT,
    .name = "MonitoringOutputConfig",
    .members = (const bm__member[]){{"MonitoringOutputs", &monitoring_outputs, 1},
                                    {"KmsKeyId", &kms_key_id, 0},
                                    {NULL, NULL, 0}},
};

/* ---- MonitoringResources ---- */
static const bm__shape instance_count = INTEGER("ProcessingInstanceCount", 1, 100);
static const bm__shape volume_size = INTEGER("ProcessingVolumeSizeInGB", 1, 16384);
static const bm__shape cluster_config = {
    .kind = BM__STRUCT,
    .name = "MonitoringClusterConfig",
    .members = (const bm__member[]){{"InstanceCount", &instance_count, 1},
                                    {"InstanceType", &instance_type, 1},
                                    {"VolumeSizeInGB", &volume_size, 1},
                                    {"VolumeKmsKeyId", &kms_key_id, 0},
                                    {NULL, NULL, 0}},
};
static const bm__shape shape_monitoring_resources = {
    .kind = BM__STRUCT,
    .name = "MonitoringResources",
    .members = (const bm__member[]){{"ClusterConfig", &cluster_config, 1}, {NULL, NULL, 0}},
};

/* ---- MonitoringNetworkConfig ---- */
static const bm__shape vpc_id = STRING("SecurityGroupId", 0, 32, &bm__pat_vpc_id);
static const bm__shape subnet_id = STRING("SubnetId", 0, 32, &bm__pat_vpc_id);
static const bm__shape security_group_ids = {.kind = BM__LIST,
                                             .name = "VpcSecurityGroupIds",
                                             .member = &vpc_id,
                                             .min_items = 1,
                                             .max_items = 5};
static const bm__shape subnets = {
    .kind = BM__LIST, .name = "Subnets", .member = &subnet_id, .min_items = 1, .max_items = 16};
static const bm__shape vpc_config = {
    .kind = BM__STRUCT,
    .name = "VpcConfig",
    .members = (const bm__member[]){{"SecurityGroupIds", &security_group_ids, 1},
                                    {"Subnets", &subnets, 1},
                                    {NULL, NULL, 0}},
};
static const bm__shape shape_monitoring_network_config = {
    .kind = BM__STRUCT,
    .name = "MonitoringNetworkConfig",
    .members = (const bm__member[]){{"EnableInterContainerTrafficEncryption", &boolean, 0},
                                    {"EnableNetworkIsolation", &boolean, 0},
                                    {"VpcConfig", &vpc_config, 0},
                                    {NULL, NULL, 0}},
};

/* ---- MonitoringStoppingCondition ---- */
static const bm__shape max_runtime = INTEGER("MonitoringMaxRuntimeInSeconds", 1, 86400);
static const bm__shape shape_monitoring_stopping_condition = {
    .kind = BM__STRUCT,
    .name = "MonitoringStoppingCondition",
    .members = (const bm__member[]){{"MaxRuntimeInSeconds", &max_runtime, 1}, {NULL, NULL, 0}},
};

/* ---- TagList ---- */
static const bm__shape tag_key = STRING("TagKey", 1, 128, &bm__pat_tag);
static const bm__shape tag_value = STRING("TagValue", 0, 256, &bm__pat_tag);
static const bm__shape tag = {
    .kind = BM__STRUCT,
    .name = "Tag",
    .members =
        (const bm__member[]){{"Key", &tag_key, 1}, {"Value", &tag_value, 1}, {NULL, NULL, 0}},
};
static const bm__shape shape_tag_list = {
    .kind = BM__LIST, .name = "TagList", .member = &tag, .max_items = 50};

/* ---- the request ---- */
const bm__shape bm__shape_create_model_bias_job_definition = {
    .kind = BM__STRUCT,
    .name = "CreateModelBiasJobDefinitionRequest",
    .members =
        (const bm__member[]){{"JobDefinitionName", &shape_monitoring_job_definition_name, 1},
                             {"ModelBiasBaselineConfig", &baseline_config, 0},
                             {"ModelBiasAppSpecification", &app_specification, 1},
                             {"ModelBiasJobInput", &model_bias_job_input, 1},
                             {"ModelBiasJobOutputConfig", &shape_monitoring_output_config, 1},
                             {"JobResources", &shape_monitoring_resources, 1},
                             {"NetworkConfig", &shape_monitoring_network_config, 0},
                             {"RoleArn", &shape_role_arn, 1},
                             {"StoppingCondition", &shape_monitoring_stopping_condition, 0},
                             {"Tags", &shape_tag_list, 0},
                             {NULL, NULL, 0}},
};

/* ---- CreateProcessingJob (the jobs SageMakerClarifyProcessor sends; biasmon runs Clarify's
 * bias analysis for them, serve/processing.c) ---- */
static const char *const s3_data_types[] = {"ManifestFile", "S3Prefix", NULL};
static const char *const s3_compression_types[] = {"None", "Gzip", NULL};
static const bm__shape s3_data_type = {
    .kind = BM__STRING, .name = "ProcessingS3DataType", .enums = s3_data_types};
static const bm__shape s3_compression_type = {
    .kind = BM__STRING, .name = "ProcessingS3CompressionType", .enums = s3_compression_types};
static const bm__shape processing_s3_input = {
    .kind = BM__STRUCT,
    .name = "ProcessingS3Input",
    .members = (const bm__member[]){{"S3Uri", &s3_uri, 1},
                                    {"LocalPath", &local_path, 0},
                                    {"S3DataType", &s3_data_type, 1},
                                    {"S3InputMode", &s3_input_mode, 0},
                                    {"S3DataDistributionType", &s3_distribution_type, 0},
                                    {"S3CompressionType", &s3_compression_type, 0},
                                    {NULL, NULL, 0}},
};
static const bm__shape processing_input = {
    .kind = BM__STRUCT,
    .name = "ProcessingInput",
    .members = (const bm__member[]){{"InputName", &string, 1},
                                    {"AppManaged", &boolean, 0},
                                    {"S3Input", &processing_s3_input, 0},
                                    {NULL, NULL, 0}},
};
static const bm__shape processing_inputs = {
    .kind = BM__LIST, .name = "ProcessingInputs", .member = &processing_input, .max_items = 10};
static const bm__shape processing_s3_output = {
    .kind = BM__STRUCT,
    .name = "ProcessingS3Output",
    .members = (const bm__member[]){{"S3Uri", &s3_uri, 1},
                                    {"LocalPath", &local_path, 0},
                                    {"S3UploadMode", &s3_upload_mode, 1},
                                    {NULL, NULL, 0}},
};
static const bm__shape processing_output = {
    .kind = BM__STRUCT,
    .name = "ProcessingOutput",
    .members = (const bm__member[]){{"OutputName", &string, 1},
                                    {"S3Output", &processing_s3_output, 0},
                                    {"AppManaged", &boolean, 0},
                                    {NULL, NULL, 0}},
};
static const bm__shape processing_outputs = {
    .kind = BM__LIST, .name = "ProcessingOutputs", .member = &processing_output, .max_items = 10};
static const bm__shape processing_output_config = {
    .kind = BM__STRUCT,
    .name = "ProcessingOutputConfig",
    .members = (const bm__member[]){{"Outputs", &processing_outputs, 1},
                                    {"KmsKeyId", &kms_key_id, 0},
                                    {NULL, NULL, 0}},
};
static const bm__shape container_string = STRING("ContainerArgument", 0, 256, &bm__pat_line);
static const bm__shape container_strings = {.kind = BM__LIST,
                                            .name = "ContainerArguments",
                                            .member = &container_string,
                                            .min_items = 1,
                                            .max_items = 100};
static const bm__shape processing_app_specification = {
    .kind = BM__STRUCT,
    .name = "AppSpecification",
    .members = (const bm__member[]){{"ImageUri", &image_uri, 1},
                                    {"ContainerEntrypoint", &container_strings, 0},
                                    {"ContainerArguments", &container_strings, 0},
                                    {NULL, NULL, 0}},
};
static const bm__shape processing_max_runtime = INTEGER("ProcessingMaxRuntimeInSeconds", 1, 777600);
static const bm__shape processing_stopping_condition = {
    .kind = BM__STRUCT,
    .name = "ProcessingStoppingCondition",
    .members =
        (const bm__member[]){{"MaxRuntimeInSeconds", &processing_max_runtime, 1}, {NULL, NULL, 0}},
};
static const bm__shape processing_environment_map = {.kind = BM__MAP,
                                                     .name = "ProcessingEnvironmentMap",
                                                     .key = &env_key,
                                                     .member = &env_value,
                                                     .max_items = 100};
static const bm__shape experiment_entity_name =
    STRING("ExperimentEntityName", 1, 120, &bm__pat_resource_name);
static const bm__shape experiment_config = {
    .kind = BM__STRUCT,
    .name = "ExperimentConfig",
    .members = (const bm__member[]){{"ExperimentName", &experiment_entity_name, 0},
                                    {"TrialName", &experiment_entity_name, 0},
                                    {"TrialComponentDisplayName", &experiment_entity_name, 0},
                                    {"RunName", &experiment_entity_name, 0},
                                    {NULL, NULL, 0}},
};
static const bm__shape shape_create_processing_job = {
    .kind = BM__STRUCT,
    .name = "CreateProcessingJobRequest",
    .members = (const bm__member[]){{"ProcessingJobName", &shape_processing_job_name, 1},
                                    {"ProcessingInputs", &processing_inputs, 0},
                                    {"ProcessingOutputConfig", &processing_output_config, 0},
                                    {"ProcessingResources", &shape_monitoring_resources, 1},
                                    {"StoppingCondition", &processing_stopping_condition, 0},
                                    {"AppSpecification", &processing_app_specification, 1},
                                    {"Environment", &processing_environment_map, 0},
                                    {"NetworkConfig", &shape_monitoring_network_config, 0},
                                    {"RoleArn", &shape_role_arn, 1},
                                    {"Tags", &shape_tag_list, 0},
                                    {"ExperimentConfig", &experiment_config, 0},
                                    {NULL, NULL, 0}},
};

/* ================================================================================================
 * Shapes of the other operations' requests
 * ============================================================================================== */

static const bm__shape name_shape = STRING("MonitoringScheduleName", 1, 63, &bm__pat_resource_name);
static const bm__shape endpoint_config_name =
    STRING("EndpointConfigName", 0, 63, &bm__pat_resource_name);
static const bm__shape variant_name = STRING("VariantName", 0, 63, &bm__pat_resource_name);
static const bm__shape model_name = STRING("ModelName", 0, 63, &bm__pat_resource_name);
static const bm__shape timestamp = {.kind = BM__TIMESTAMP, .name = "Timestamp"};
static const bm__shape next_token = STRING("NextToken", 0, 8192, &bm__pat_line);
static const bm__shape max_results = INTEGER("MaxResults", 1, 100);
static int name_contains_match(const char *s, size_t n)
{
    if (!n) return 0;
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return 0;
    }
    return 1;
}
static const bm__pattern pat_name_contains = {"[a-zA-Z0-9\\-]+", name_contains_match};
static const bm__shape name_contains = STRING("NameContains", 0, 63, &pat_name_contains);
static const bm__shape sort_order = {.kind = BM__STRING,
                                     .name = "SortOrder",
                                     .enums =
                                         (const char *const[]){"Ascending", "Descending", NULL}};
static const bm__shape monitoring_type = {
    .kind = BM__STRING,
    .name = "MonitoringType",
    .enums = (const char *const[]){"DataQuality", "ModelQuality", "ModelBias",
                                   "ModelExplainability", NULL}};
static const bm__shape schedule_status = {
    .kind = BM__STRING,
    .name = "ScheduleStatus",
    .enums = (const char *const[]){"Pending", "Failed", "Scheduled", "Stopped", NULL}};
static const bm__shape execution_status = {
    .kind = BM__STRING,
    .name = "ExecutionStatus",
    .enums = (const char *const[]){"Pending", "Completed", "CompletedWithViolations", "InProgress",
                                   "Failed", "Stopping", "Stopped", NULL}};

/* ---- endpoint configs and endpoints: a name and a capture destination (no model is hosted) ----
 */
static const bm__shape initial_instance_count = INTEGER("InitialTaskCount", 1, 1e9);
static const bm__shape variant_weight = {
    .kind = BM__DOUBLE, .name = "VariantWeight", .has_min = 1, .min = 0};
static const bm__shape production_variant = {
    .kind = BM__STRUCT,
    .name = "ProductionVariant",
    .members = (const bm__member[]){{"VariantName", &variant_name, 1},
                                    {"ModelName", &model_name, 0},
                                    {"InitialInstanceCount", &initial_instance_count, 0},
                                    {"InstanceType", &string, 0},
                                    {"InitialVariantWeight", &variant_weight, 0},
                                    {"AcceleratorType", &string, 0},
                                    {"VolumeSizeInGB", &string, 0},
                                    END}};
static const bm__shape production_variants = {.kind = BM__LIST,
                                              .name = "ProductionVariantList",
                                              .member = &production_variant,
                                              .min_items = 1,
                                              .max_items = 10};
static const bm__shape sampling = INTEGER("SamplingPercentage", 0, 100);
static const bm__shape capture_mode = {
    .kind = BM__STRING,
    .name = "CaptureMode",
    .enums = (const char *const[]){"Input", "Output", "InputAndOutput", NULL}};
static const bm__shape capture_option = {
    .kind = BM__STRUCT,
    .name = "CaptureOption",
    .members = (const bm__member[]){{"CaptureMode", &capture_mode, 1}, END}};
static const bm__shape capture_options = {.kind = BM__LIST,
                                          .name = "CaptureOptionList",
                                          .member = &capture_option,
                                          .min_items = 1,
                                          .max_items = 32};
static const bm__shape content_type = STRING("CaptureContentTypeHeaderItem", 1, 256, &bm__pat_line);
static const bm__shape content_types = {.kind = BM__LIST,
                                        .name = "ContentTypeList",
                                        .member = &content_type,
                                        .min_items = 1,
                                        .max_items = 10};
static const bm__shape content_type_header = {
    .kind = BM__STRUCT,
    .name = "CaptureContentTypeHeader",
    .members = (const bm__member[]){
        {"CsvContentTypes", &content_types, 0}, {"JsonContentTypes", &content_types, 0}, END}};
static const bm__shape data_capture_config = {
    .kind = BM__STRUCT,
    .name = "DataCaptureConfig",
    .members = (const bm__member[]){{"EnableCapture", &boolean, 0},
                                    {"InitialSamplingPercentage", &sampling, 1},
                                    {"DestinationS3Uri", &destination_s3_uri, 1},
                                    {"KmsKeyId", &kms_key_id, 0},
                                    {"CaptureOptions", &capture_options, 1},
                                    {"CaptureContentTypeHeader", &content_type_header, 0},
                                    END}};
static const bm__shape req_create_endpoint_config = {
    .kind = BM__STRUCT,
    .name = "CreateEndpointConfigInput",
    .members = (const bm__member[]){{"EndpointConfigName", &endpoint_config_name, 1},
                                    {"ProductionVariants", &production_variants, 1},
                                    {"DataCaptureConfig", &data_capture_config, 0},
                                    {"Tags", &shape_tag_list, 0},
                                    {"KmsKeyId", &kms_key_id, 0},
                                    {"ExecutionRoleArn", &shape_role_arn, 0},
                                    {"EnableNetworkIsolation", &boolean, 0},
                                    END}};
static const bm__shape req_delete_endpoint_config = {
    .kind = BM__STRUCT,
    .name = "DeleteEndpointConfigInput",
    .members = (const bm__member[]){{"EndpointConfigName", &endpoint_config_name, 1}, END}};
static const bm__shape req_describe_endpoint_config = {
    .kind = BM__STRUCT,
    .name = "DescribeEndpointConfigInput",
    .members = (const bm__member[]){{"EndpointConfigName", &endpoint_config_name, 1}, END}};
static const bm__shape req_create_endpoint = {
    .kind = BM__STRUCT,
    .name = "CreateEndpointInput",
    .members = (const bm__member[]){{"EndpointName", &shape_endpoint_name, 1},
                                    {"EndpointConfigName", &endpoint_config_name, 1},
                                    {"Tags", &shape_tag_list, 0},
                                    END}};
static const bm__shape req_describe_endpoint = {
    .kind = BM__STRUCT,
    .name = "DescribeEndpointInput",
    .members = (const bm__member[]){{"EndpointName", &shape_endpoint_name, 1}, END}};
static const bm__shape req_delete_endpoint = {
    .kind = BM__STRUCT,
    .name = "DeleteEndpointInput",
    .members = (const bm__member[]){{"EndpointName", &shape_endpoint_name, 1}, END}};

/* ---- job definitions ---- */
static const bm__shape req_describe_job_definition = {
    .kind = BM__STRUCT,
    .name = "DescribeModelBiasJobDefinitionRequest",
    .members =
        (const bm__member[]){{"JobDefinitionName", &shape_monitoring_job_definition_name, 1}, END}};
static const bm__shape req_delete_job_definition = {
    .kind = BM__STRUCT,
    .name = "DeleteModelBiasJobDefinitionRequest",
    .members =
        (const bm__member[]){{"JobDefinitionName", &shape_monitoring_job_definition_name, 1}, END}};
static const bm__shape job_definition_sort_key = {
    .kind = BM__STRING,
    .name = "MonitoringJobDefinitionSortKey",
    .enums = (const char *const[]){"Name", "CreationTime", NULL}};
static const bm__shape req_list_job_definitions = {
    .kind = BM__STRUCT,
    .name = "ListModelBiasJobDefinitionsRequest",
    .members = (const bm__member[]){{"EndpointName", &shape_endpoint_name, 0},
                                    {"SortBy", &job_definition_sort_key, 0},
                                    {"SortOrder", &sort_order, 0},
                                    {"NextToken", &next_token, 0},
                                    {"MaxResults", &max_results, 0},
                                    {"NameContains", &name_contains, 0},
                                    {"CreationTimeBefore", &timestamp, 0},
                                    {"CreationTimeAfter", &timestamp, 0},
                                    END}};

/* ---- monitoring schedules ---- */
static const bm__shape schedule_expression = STRING("ScheduleExpression", 1, 256, NULL);
static const bm__shape schedule_config = {
    .kind = BM__STRUCT,
    .name = "ScheduleConfig",
    .members = (const bm__member[]){{"ScheduleExpression", &schedule_expression, 1},
                                    {"DataAnalysisStartTime", &shape_time_offset, 0},
                                    {"DataAnalysisEndTime", &shape_time_offset, 0},
                                    END}};
/* biasmon: MonitoringJobDefinition (an inline definition, which the other monitoring types use)
 * is not declared, so it is refused as an unknown member: bias schedules name a job definition. */
static const bm__shape monitoring_schedule_config = {
    .kind = BM__STRUCT,
    .name = "MonitoringScheduleConfig",
    .members = (const bm__member[]){
        {"ScheduleConfig", &schedule_config, 0},
        {"MonitoringJobDefinitionName", &shape_monitoring_job_definition_name, 0},
        {"MonitoringType", &monitoring_type, 0},
        END}};
static const bm__shape req_create_schedule = {
    .kind = BM__STRUCT,
    .name = "CreateMonitoringScheduleRequest",
    .members = (const bm__member[]){{"MonitoringScheduleName", &name_shape, 1},
                                    {"MonitoringScheduleConfig", &monitoring_schedule_config, 1},
                                    {"Tags", &shape_tag_list, 0},
                                    END}};
static const bm__shape req_update_schedule = {
    .kind = BM__STRUCT,
    .name = "UpdateMonitoringScheduleRequest",
    .members = (const bm__member[]){{"MonitoringScheduleName", &name_shape, 1},
                                    {"MonitoringScheduleConfig", &monitoring_schedule_config, 1},
                                    END}};
static const bm__shape req_schedule_name = {
    .kind = BM__STRUCT,
    .name = "MonitoringScheduleNameRequest",
    .members = (const bm__member[]){{"MonitoringScheduleName", &name_shape, 1}, END}};
static const bm__shape schedule_sort_key = {
    .kind = BM__STRING,
    .name = "MonitoringScheduleSortKey",
    .enums = (const char *const[]){"Name", "CreationTime", "Status", NULL}};
static const bm__shape req_list_schedules = {
    .kind = BM__STRUCT,
    .name = "ListMonitoringSchedulesRequest",
    .members = (const bm__member[]){
        {"EndpointName", &shape_endpoint_name, 0},
        {"SortBy", &schedule_sort_key, 0},
        {"SortOrder", &sort_order, 0},
        {"NextToken", &next_token, 0},
        {"MaxResults", &max_results, 0},
        {"NameContains", &name_contains, 0},
        {"CreationTimeBefore", &timestamp, 0},
        {"CreationTimeAfter", &timestamp, 0},
        {"LastModifiedTimeBefore", &timestamp, 0},
        {"LastModifiedTimeAfter", &timestamp, 0},
        {"StatusEquals", &schedule_status, 0},
        {"MonitoringJobDefinitionName", &shape_monitoring_job_definition_name, 0},
        {"MonitoringTypeEquals", &monitoring_type, 0},
        END}};
static const bm__shape execution_sort_key = {
    .kind = BM__STRING,
    .name = "MonitoringExecutionSortKey",
    .enums = (const char *const[]){"CreationTime", "ScheduledTime", "Status", NULL}};
static const bm__shape req_list_executions = {
    .kind = BM__STRUCT,
    .name = "ListMonitoringExecutionsRequest",
    .members = (const bm__member[]){
        {"MonitoringScheduleName", &name_shape, 0},
        {"EndpointName", &shape_endpoint_name, 0},
        {"SortBy", &execution_sort_key, 0},
        {"SortOrder", &sort_order, 0},
        {"NextToken", &next_token, 0},
        {"MaxResults", &max_results, 0},
        {"ScheduledTimeBefore", &timestamp, 0},
        {"ScheduledTimeAfter", &timestamp, 0},
        {"CreationTimeBefore", &timestamp, 0},
        {"CreationTimeAfter", &timestamp, 0},
        {"LastModifiedTimeBefore", &timestamp, 0},
        {"LastModifiedTimeAfter", &timestamp, 0},
        {"StatusEquals", &execution_status, 0},
        {"MonitoringJobDefinitionName", &shape_monitoring_job_definition_name, 0},
        {"MonitoringTypeEquals", &monitoring_type, 0},
        END}};
static const bm__shape req_describe_processing_job = {
    .kind = BM__STRUCT,
    .name = "DescribeProcessingJobRequest",
    .members = (const bm__member[]){{"ProcessingJobName", &shape_processing_job_name, 1}, END}};
static const bm__shape req_stop_processing_job = {
    .kind = BM__STRUCT,
    .name = "StopProcessingJobRequest",
    .members = (const bm__member[]){{"ProcessingJobName", &shape_processing_job_name, 1}, END}};
static const bm__shape processing_job_status = {
    .kind = BM__STRING,
    .name = "ProcessingJobStatus",
    .enums =
        (const char *const[]){"InProgress", "Completed", "Failed", "Stopping", "Stopped", NULL}};
static const bm__shape processing_sort_by = {
    .kind = BM__STRING,
    .name = "SortBy",
    .enums = (const char *const[]){"Name", "CreationTime", "Status", NULL}};
static const bm__shape req_list_processing_jobs = {
    .kind = BM__STRUCT,
    .name = "ListProcessingJobsRequest",
    .members = (const bm__member[]){{"CreationTimeAfter", &timestamp, 0},
                                    {"CreationTimeBefore", &timestamp, 0},
                                    {"LastModifiedTimeAfter", &timestamp, 0},
                                    {"LastModifiedTimeBefore", &timestamp, 0},
                                    {"NameContains", &string, 0},
                                    {"StatusEquals", &processing_job_status, 0},
                                    {"SortBy", &processing_sort_by, 0},
                                    {"SortOrder", &sort_order, 0},
                                    {"NextToken", &next_token, 0},
                                    {"MaxResults", &max_results, 0},
                                    END}};

/* ---- tags ---- */
static int arn_match(const char *s, size_t n)
{
    static const char pfx[] = "arn:aws";
    if (n < sizeof(pfx) - 1) return 0;
    for (size_t k = 0; k < sizeof(pfx) - 1; k++)
        if (s[k] != pfx[k]) return 0;
    for (size_t k = 0; k < n; k++)
        if (s[k] == '\n' || s[k] == '\r') return 0;
    return 1;
}
static const bm__pattern pat_arn = {"arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:.+",
                                    arn_match};
static const bm__shape resource_arn = STRING("ResourceArn", 0, 256, &pat_arn);
static const bm__shape tag_keys = {
    .kind = BM__LIST, .name = "TagKeyList", .member = &tag_key, .min_items = 1, .max_items = 50};
static const bm__shape list_tags_max = {
    .kind = BM__INTEGER, .name = "ListTagsMaxResults", .has_min = 1, .min = 50};
static const bm__shape req_add_tags = {
    .kind = BM__STRUCT,
    .name = "AddTagsInput",
    .members =
        (const bm__member[]){{"ResourceArn", &resource_arn, 1}, {"Tags", &shape_tag_list, 1}, END}};
static const bm__shape req_list_tags = {.kind = BM__STRUCT,
                                        .name = "ListTagsInput",
                                        .members =
                                            (const bm__member[]){{"ResourceArn", &resource_arn, 1},
                                                                 {"NextToken", &next_token, 0},
                                                                 {"MaxResults", &list_tags_max, 0},
                                                                 END}};
static const bm__shape req_delete_tags = {
    .kind = BM__STRUCT,
    .name = "DeleteTagsInput",
    .members =
        (const bm__member[]){{"ResourceArn", &resource_arn, 1}, {"TagKeys", &tag_keys, 1}, END}};

/* ---- biasmon: run one execution now (biasmon run) ---- */
static const bm__shape req_run_schedule = {
    .kind = BM__STRUCT,
    .name = "StartMonitoringExecutionRequest",
    .members = (const bm__member[]){
        {"MonitoringScheduleName", &name_shape, 1}, {"ScheduledTime", &timestamp, 0}, END}};

/* ---- models (a model server named by its container's Environment, BIASMON_MODEL_URL) and
 * endpoint updates ---- */

static const bm__shape mdl_model_name = STRING("ModelName", 1, 63, &bm__pat_resource_name);
static const bm__shape mdl_any_string = STRING("String", 0, 0, NULL);
static const bm__shape mdl_boolean = {.kind = BM__BOOLEAN, .name = "Boolean"};
static const bm__shape mdl_timestamp = {.kind = BM__TIMESTAMP, .name = "Timestamp"};
static const bm__shape mdl_env_key = STRING("EnvironmentKey", 0, 1024, &bm__pat_env_key);
static const bm__shape mdl_env_value = STRING("EnvironmentValue", 0, 1024, NULL);
static const bm__shape mdl_environment = {.kind = BM__MAP,
                                          .name = "EnvironmentMap",
                                          .key = &mdl_env_key,
                                          .member = &mdl_env_value,
                                          .max_items = 16};
static const bm__shape mdl_image = STRING("ContainerImage", 0, 255, NULL);
static const bm__shape mdl_container_mode = {
    .kind = BM__STRING,
    .name = "ContainerMode",
    .enums = (const char *const[]){"SingleModel", "MultiModel", NULL}};
static const bm__shape mdl_anything = {
    .kind = BM__MAP, .name = "Structure", .key = &mdl_any_string, .member = &mdl_any_string};
/* biasmon: the members that only matter to SageMaker's hosting (ImageConfig, MultiModelConfig,
 * ModelDataSource) are not declared; a model server is reached by its URL. */
static const bm__shape mdl_container = {
    .kind = BM__STRUCT,
    .name = "ContainerDefinition",
    .members = (const bm__member[]){{"ContainerHostname", &mdl_any_string, 0},
                                    {"Image", &mdl_image, 0},
                                    {"Mode", &mdl_container_mode, 0},
                                    {"ModelDataUrl", &mdl_any_string, 0},
                                    {"Environment", &mdl_environment, 0},
                                    {"ModelPackageName", &mdl_any_string, 0},
                                    {"InferenceSpecificationName", &mdl_any_string, 0},
                                    END}};
static const bm__shape mdl_containers = {
    .kind = BM__LIST, .name = "ContainerDefinitionList", .member = &mdl_container, .max_items = 15};
static const bm__shape mdl_security_group_ids = {
    .kind = BM__LIST, .name = "VpcSecurityGroupIds", .member = &mdl_any_string};
static const bm__shape mdl_vpc_config = {
    .kind = BM__STRUCT,
    .name = "VpcConfig",
    .members = (const bm__member[]){{"SecurityGroupIds", &mdl_security_group_ids, 1},
                                    {"Subnets", &mdl_security_group_ids, 1},
                                    END}};
static const bm__shape mdl_inference_execution_config = {
    .kind = BM__STRUCT,
    .name = "InferenceExecutionConfig",
    .members = (const bm__member[]){{"Mode", &mdl_any_string, 1}, END}};
static const bm__shape mdl_req_create_model = {
    .kind = BM__STRUCT,
    .name = "CreateModelInput",
    .members =
        (const bm__member[]){{"ModelName", &mdl_model_name, 1},
                             {"PrimaryContainer", &mdl_container, 0},
                             {"Containers", &mdl_containers, 0},
                             {"InferenceExecutionConfig", &mdl_inference_execution_config, 0},
                             {"ExecutionRoleArn", &shape_role_arn, 0},
                             {"Tags", &shape_tag_list, 0},
                             {"VpcConfig", &mdl_vpc_config, 0},
                             {"EnableNetworkIsolation", &mdl_boolean, 0},
                             END}};
static const bm__shape mdl_req_model_name = {
    .kind = BM__STRUCT,
    .name = "DescribeModelInput",
    .members = (const bm__member[]){{"ModelName", &mdl_model_name, 1}, END}};
static const bm__shape mdl_sort_key = {.kind = BM__STRING,
                                       .name = "ModelSortKey",
                                       .enums =
                                           (const char *const[]){"Name", "CreationTime", NULL}};
static const bm__shape mdl_sort_order = {
    .kind = BM__STRING,
    .name = "OrderKey",
    .enums = (const char *const[]){"Ascending", "Descending", NULL}};
static const bm__shape mdl_next_token = STRING("PaginationToken", 0, 8192, &bm__pat_line);
static const bm__shape mdl_max_results = BM__SHAPE_INTEGER("MaxResults", 1, 100);
static const bm__shape mdl_name_contains = STRING("ModelNameContains", 0, 63, NULL);
static const bm__shape mdl_req_list_models = {
    .kind = BM__STRUCT,
    .name = "ListModelsInput",
    .members = (const bm__member[]){{"SortBy", &mdl_sort_key, 0},
                                    {"SortOrder", &mdl_sort_order, 0},
                                    {"NextToken", &mdl_next_token, 0},
                                    {"MaxResults", &mdl_max_results, 0},
                                    {"NameContains", &mdl_name_contains, 0},
                                    {"CreationTimeBefore", &mdl_timestamp, 0},
                                    {"CreationTimeAfter", &mdl_timestamp, 0},
                                    END}};

static const bm__shape mdl_endpoint_config_name =
    STRING("EndpointConfigName", 0, 63, &bm__pat_resource_name);
static const bm__shape mdl_variant_name = STRING("VariantName", 0, 63, &bm__pat_resource_name);
static const bm__shape mdl_variant_properties = {
    .kind = BM__LIST, .name = "VariantPropertyList", .member = &mdl_anything};
static const bm__shape req_update_endpoint = {
    .kind = BM__STRUCT,
    .name = "UpdateEndpointInput",
    .members =
        (const bm__member[]){{"EndpointName", &shape_endpoint_name, 1},
                             {"EndpointConfigName", &mdl_endpoint_config_name, 1},
                             {"RetainAllVariantProperties", &mdl_boolean, 0},
                             {"ExcludeRetainedVariantProperties", &mdl_variant_properties, 0},
                             {"RetainDeploymentConfig", &mdl_boolean, 0},
                             END}};
static const bm__shape mdl_weight = {
    .kind = BM__DOUBLE, .name = "VariantWeight", .has_min = 1, .min = 0};
static const bm__shape mdl_task_count = BM__SHAPE_INTEGER("TaskCount", 0, 1e9);
static const bm__shape mdl_desired = {
    .kind = BM__STRUCT,
    .name = "DesiredWeightAndCapacity",
    .members = (const bm__member[]){{"VariantName", &mdl_variant_name, 1},
                                    {"DesiredWeight", &mdl_weight, 0},
                                    {"DesiredInstanceCount", &mdl_task_count, 0},
                                    END}};
static const bm__shape mdl_desired_list = {.kind = BM__LIST,
                                           .name = "DesiredWeightAndCapacityList",
                                           .member = &mdl_desired,
                                           .min_items = 1};
static const bm__shape req_update_endpoint_weights = {
    .kind = BM__STRUCT,
    .name = "UpdateEndpointWeightsAndCapacitiesInput",
    .members = (const bm__member[]){{"EndpointName", &shape_endpoint_name, 1},
                                    {"DesiredWeightsAndCapacities", &mdl_desired_list, 1},
                                    END}};

/* ---- biasmon: ground truth pushed by inference id (Biasmon.PutGroundTruth) ---- */
static const bm__shape gt_inference_id = STRING("InferenceId", 1, 64, &bm__pat_line);
static const bm__shape gt_data = STRING("LabelData", 0, 65536, NULL);
static const bm__shape gt_encoding = {.kind = BM__STRING,
                                      .name = "LabelEncoding",
                                      .enums = (const char *const[]){"CSV", "JSON", NULL}};
static const bm__shape gt_label = {.kind = BM__STRUCT,
                                   .name = "GroundTruthLabel",
                                   .members =
                                       (const bm__member[]){{"InferenceId", &gt_inference_id, 1},
                                                            {"Data", &gt_data, 1},
                                                            {"Encoding", &gt_encoding, 0},
                                                            END}};
static const bm__shape gt_labels = {.kind = BM__LIST,
                                    .name = "GroundTruthLabelList",
                                    .member = &gt_label,
                                    .min_items = 1,
                                    .max_items = 1000};
static const bm__shape req_put_ground_truth = {
    .kind = BM__STRUCT,
    .name = "PutGroundTruthRequest",
    .members =
        (const bm__member[]){{"GroundTruthS3Uri", &s3_uri, 1}, {"Labels", &gt_labels, 1}, END}};

/* ================================================================================================
 * Operations: X-Amz-Target to request shape
 * ============================================================================================== */

static const struct {
    const char *target;
    const bm__shape *request;
} operations[] = {
    {"SageMaker.CreateEndpointConfig", &req_create_endpoint_config},
    {"SageMaker.DescribeEndpointConfig", &req_describe_endpoint_config},
    {"SageMaker.DeleteEndpointConfig", &req_delete_endpoint_config},
    {"SageMaker.CreateEndpoint", &req_create_endpoint},
    {"SageMaker.DescribeEndpoint", &req_describe_endpoint},
    {"SageMaker.DeleteEndpoint", &req_delete_endpoint},
    {"SageMaker.UpdateEndpoint", &req_update_endpoint},
    {"SageMaker.UpdateEndpointWeightsAndCapacities", &req_update_endpoint_weights},
    {"SageMaker.CreateModel", &mdl_req_create_model},
    {"SageMaker.DescribeModel", &mdl_req_model_name},
    {"SageMaker.ListModels", &mdl_req_list_models},
    {"SageMaker.DeleteModel", &mdl_req_model_name},
    {"SageMaker.CreateModelBiasJobDefinition", &bm__shape_create_model_bias_job_definition},
    {"SageMaker.DescribeModelBiasJobDefinition", &req_describe_job_definition},
    {"SageMaker.ListModelBiasJobDefinitions", &req_list_job_definitions},
    {"SageMaker.DeleteModelBiasJobDefinition", &req_delete_job_definition},
    {"SageMaker.CreateMonitoringSchedule", &req_create_schedule},
    {"SageMaker.DescribeMonitoringSchedule", &req_schedule_name},
    {"SageMaker.ListMonitoringSchedules", &req_list_schedules},
    {"SageMaker.UpdateMonitoringSchedule", &req_update_schedule},
    {"SageMaker.StartMonitoringSchedule", &req_schedule_name},
    {"SageMaker.StopMonitoringSchedule", &req_schedule_name},
    {"SageMaker.DeleteMonitoringSchedule", &req_schedule_name},
    {"SageMaker.ListMonitoringExecutions", &req_list_executions},
    {"SageMaker.CreateProcessingJob", &shape_create_processing_job},
    {"SageMaker.DescribeProcessingJob", &req_describe_processing_job},
    {"SageMaker.ListProcessingJobs", &req_list_processing_jobs},
    {"SageMaker.StopProcessingJob", &req_stop_processing_job},
    {"SageMaker.AddTags", &req_add_tags},
    {"SageMaker.ListTags", &req_list_tags},
    {"SageMaker.DeleteTags", &req_delete_tags},
    /* biasmon: run one execution now (biasmon run) */
    {"Biasmon.StartMonitoringExecution", &req_run_schedule},
    /* biasmon: labels by inference id, written as ground truth (biasmon label) */
    {"Biasmon.PutGroundTruth", &req_put_ground_truth},
};

const char *bm_sagemaker_operation_at(size_t i)
{
    return i < sizeof(operations) / sizeof(operations[0]) ? operations[i].target : NULL;
}

const bm_shape *bm_sagemaker_request_shape(const char *target)
{
    if (!target) return NULL;
    for (size_t k = 0; k < sizeof(operations) / sizeof(operations[0]); k++)
        if (!strcmp(operations[k].target, target)) return operations[k].request;
    return NULL;
}
