/* CreateModelBiasJobDefinition: the request's shapes (from SageMaker's service model) and the
 * extraction of a validated request into bm_job_definition. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/jobdef.h"
#include "aws/shape.h"

#define MAX_REQUEST_BYTES (16u << 20)

/* ================================================================================================
 * Shapes. Names, bounds and patterns are those of botocore's sagemaker/2017-07-24/service-2.json;
 * departures are marked "biasmon:".
 * ============================================================================================== */

#define STRING BM__SHAPE_STRING
#define URI BM__SHAPE_URI /* biasmon: URIs may also be local paths or file:// URIs */
#define INTEGER BM__SHAPE_INTEGER

const bm__shape bm__shape_monitoring_job_definition_name =
    STRING("MonitoringJobDefinitionName", 1, 63, &bm__pat_resource_name);
const bm__shape bm__shape_processing_job_name = STRING("ProcessingJobName", 1, 63, &bm__pat_resource_name);
const bm__shape bm__shape_endpoint_name = STRING("EndpointName", 0, 63, &bm__pat_resource_name);
static const bm__shape s3_uri = URI("S3Uri", 1024, &bm__pat_s3_uri);
static const bm__shape monitoring_s3_uri = URI("MonitoringS3Uri", 512, &bm__pat_s3_uri);
static const bm__shape destination_s3_uri = URI("DestinationS3Uri", 512, &bm__pat_dest_s3_uri);
static const bm__shape image_uri = STRING("ImageUri", 0, 255, &bm__pat_line);
static const bm__shape local_path = STRING("ProcessingLocalPath", 0, 256, &bm__pat_line);
static const bm__shape string = STRING("String", 0, 0, NULL);
static const bm__shape boolean = {.kind = BM__BOOLEAN, .name = "Boolean"};
static const bm__shape kms_key_id = STRING("KmsKeyId", 0, 2048, &bm__pat_kms_key_id);
const bm__shape bm__shape_time_offset =
    STRING("MonitoringTimeOffsetString", 1, 15, &bm__pat_time_offset);
static const bm__shape exclude_features = STRING("ExcludeFeaturesAttribute", 0, 100, NULL);
static const bm__shape probability_threshold = {.kind = BM__DOUBLE,
                                                .name = "ProbabilityThresholdAttribute"};
const bm__shape bm__shape_role_arn = STRING("RoleArn", 20, 2048, &bm__pat_role_arn);

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
const bm__shape bm__shape_monitoring_environment_map = {.kind = BM__MAP,
                                                        .name = "MonitoringEnvironmentMap",
                                                        .key = &env_key,
                                                        .member = &env_value,
                                                        .max_items = 50};

/* ---- EndpointInput, BatchTransformInput ---- */
const bm__shape bm__shape_endpoint_input = {
    .kind = BM__STRUCT,
    .name = "EndpointInput",
    .members = (const bm__member[]){{"EndpointName", &bm__shape_endpoint_name, 1},
                                    {"LocalPath", &local_path, 1},
                                    {"S3InputMode", &s3_input_mode, 0},
                                    {"S3DataDistributionType", &s3_distribution_type, 0},
                                    {"FeaturesAttribute", &string, 0},
                                    {"InferenceAttribute", &string, 0},
                                    {"ProbabilityAttribute", &string, 0},
                                    {"ProbabilityThresholdAttribute", &probability_threshold, 0},
                                    {"StartTimeOffset", &bm__shape_time_offset, 0},
                                    {"EndTimeOffset", &bm__shape_time_offset, 0},
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

const bm__shape bm__shape_batch_transform_input = {
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
                                    {"StartTimeOffset", &bm__shape_time_offset, 0},
                                    {"EndTimeOffset", &bm__shape_time_offset, 0},
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
    .members = (const bm__member[]){{"EndpointInput", &bm__shape_endpoint_input, 0},
                                    {"BatchTransformInput", &bm__shape_batch_transform_input, 0},
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
                                    {"Environment", &bm__shape_monitoring_environment_map, 0},
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
    .members = (const bm__member[]){{"BaseliningJobName", &bm__shape_processing_job_name, 0},
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
const bm__shape bm__shape_monitoring_output_config = {
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
const bm__shape bm__shape_monitoring_resources = {
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
const bm__shape bm__shape_monitoring_network_config = {
    .kind = BM__STRUCT,
    .name = "MonitoringNetworkConfig",
    .members = (const bm__member[]){{"EnableInterContainerTrafficEncryption", &boolean, 0},
                                    {"EnableNetworkIsolation", &boolean, 0},
                                    {"VpcConfig", &vpc_config, 0},
                                    {NULL, NULL, 0}},
};

/* ---- MonitoringStoppingCondition ---- */
static const bm__shape max_runtime = INTEGER("MonitoringMaxRuntimeInSeconds", 1, 86400);
const bm__shape bm__shape_monitoring_stopping_condition = {
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
const bm__shape bm__shape_tag_list = {
    .kind = BM__LIST, .name = "TagList", .member = &tag, .max_items = 50};

/* ---- the request ---- */
const bm__shape bm__shape_create_model_bias_job_definition = {
    .kind = BM__STRUCT,
    .name = "CreateModelBiasJobDefinitionRequest",
    .members =
        (const bm__member[]){{"JobDefinitionName", &bm__shape_monitoring_job_definition_name, 1},
                             {"ModelBiasBaselineConfig", &baseline_config, 0},
                             {"ModelBiasAppSpecification", &app_specification, 1},
                             {"ModelBiasJobInput", &model_bias_job_input, 1},
                             {"ModelBiasJobOutputConfig", &bm__shape_monitoring_output_config, 1},
                             {"JobResources", &bm__shape_monitoring_resources, 1},
                             {"NetworkConfig", &bm__shape_monitoring_network_config, 0},
                             {"RoleArn", &bm__shape_role_arn, 1},
                             {"StoppingCondition", &bm__shape_monitoring_stopping_condition, 0},
                             {"Tags", &bm__shape_tag_list, 0},
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
static const bm__shape container_strings = {
    .kind = BM__LIST, .name = "ContainerArguments", .member = &container_string, .min_items = 1, .max_items = 100};
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
    .members = (const bm__member[]){{"MaxRuntimeInSeconds", &processing_max_runtime, 1}, {NULL, NULL, 0}},
};
static const bm__shape processing_environment_map = {.kind = BM__MAP,
                                                     .name = "ProcessingEnvironmentMap",
                                                     .key = &env_key,
                                                     .member = &env_value,
                                                     .max_items = 100};
static const bm__shape experiment_entity_name = STRING("ExperimentEntityName", 1, 120, &bm__pat_resource_name);
static const bm__shape experiment_config = {
    .kind = BM__STRUCT,
    .name = "ExperimentConfig",
    .members = (const bm__member[]){{"ExperimentName", &experiment_entity_name, 0},
                                    {"TrialName", &experiment_entity_name, 0},
                                    {"TrialComponentDisplayName", &experiment_entity_name, 0},
                                    {"RunName", &experiment_entity_name, 0},
                                    {NULL, NULL, 0}},
};
const bm__shape bm__shape_create_processing_job = {
    .kind = BM__STRUCT,
    .name = "CreateProcessingJobRequest",
    .members = (const bm__member[]){{"ProcessingJobName", &bm__shape_processing_job_name, 1},
                                    {"ProcessingInputs", &processing_inputs, 0},
                                    {"ProcessingOutputConfig", &processing_output_config, 0},
                                    {"ProcessingResources", &bm__shape_monitoring_resources, 1},
                                    {"StoppingCondition", &processing_stopping_condition, 0},
                                    {"AppSpecification", &processing_app_specification, 1},
                                    {"Environment", &processing_environment_map, 0},
                                    {"NetworkConfig", &bm__shape_monitoring_network_config, 0},
                                    {"RoleArn", &bm__shape_role_arn, 1},
                                    {"Tags", &bm__shape_tag_list, 0},
                                    {"ExperimentConfig", &experiment_config, 0},
                                    {NULL, NULL, 0}},
};

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
        const char *s = bm__json_string(obj, fields[k].path);
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
    json_t *obj = bm__json_get(request, "ModelBiasJobInput.BatchTransformInput");
    in->batch = obj != NULL;
    if (!obj) obj = bm__json_get(request, "ModelBiasJobInput.EndpointInput");
    if (in->batch) {
        if (bm__json_get(obj, "DatasetFormat.Csv"))
            in->format = BM_FORMAT_CSV;
        else if (bm__json_get(obj, "DatasetFormat.Json"))
            in->format = BM_FORMAT_JSON;
        else
            in->format = BM_FORMAT_PARQUET;
        in->csv_header = json_is_true(bm__json_get(obj, "DatasetFormat.Csv.Header"));
        in->json_line = json_is_true(bm__json_get(obj, "DatasetFormat.Json.Line"));
    }
    json_t *threshold = bm__json_get(obj, "ProbabilityThresholdAttribute");
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
    int r = bm__shape_validate(&bm__shape_create_model_bias_job_definition, request, "$", err);
    if (r != BM_OK) return r;
    out->request = json_incref(request);
    out->environment = json_incref(bm__json_get(request, "ModelBiasAppSpecification.Environment"));
    json_t *runtime = bm__json_get(request, "StoppingCondition.MaxRuntimeInSeconds");
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
    FILE *f = fopen(path, "rb");
    if (!f) return bm_error_set(err, BM_EIO, "cannot open: %s", strerror(errno));
    bm_buf b;
    bm_buf_init(&b, MAX_REQUEST_BYTES);
    char chunk[65536];
    size_t n;
    int r = BM_OK;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if ((r = bm_buf_append(&b, chunk, n)) != BM_OK) break;
    if (!r && ferror(f))
        r = bm_error_set(err, BM_EIO, "read error");
    else if (r == BM_ELIMIT)
        bm_error_set(err, r, "file larger than 16 MiB");
    else if (r)
        bm_error_set(err, r, "out of memory");
    fclose(f);
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
