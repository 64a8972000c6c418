/* Request shapes of biasmon serve's operations. Bounds, patterns and enums are those of botocore's
 * sagemaker/2017-07-24/service-2.json; biasmon departures are marked "biasmon:". */
#include <stddef.h>
#include "aws/shapes.h"

#define STRING BM__SHAPE_STRING
#define URI BM__SHAPE_URI /* biasmon: URIs may also be local paths or file:// URIs */
#define INTEGER BM__SHAPE_INTEGER
#define END {NULL, NULL, 0}

static const bm__shape name_shape = STRING("MonitoringScheduleName", 1, 63, &bm__pat_resource_name);
static const bm__shape endpoint_config_name = STRING("EndpointConfigName", 0, 63, &bm__pat_resource_name);
static const bm__shape variant_name = STRING("VariantName", 0, 63, &bm__pat_resource_name);
static const bm__shape model_name = STRING("ModelName", 0, 63, &bm__pat_resource_name);
static const bm__shape any_string = STRING("String", 0, 0, NULL);
static const bm__shape timestamp = {.kind = BM__TIMESTAMP, .name = "Timestamp"};
static const bm__shape boolean = {.kind = BM__BOOLEAN, .name = "Boolean"};
static const bm__shape next_token = STRING("NextToken", 0, 8192, &bm__pat_line);
static const bm__shape max_results = INTEGER("MaxResults", 1, 100);
static int name_contains_match(const char *s, size_t n)
{
    if (!n) return 0;
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}
static const bm__pattern pat_name_contains = {"[a-zA-Z0-9\\-]+", name_contains_match};
static const bm__shape name_contains = STRING("NameContains", 0, 63, &pat_name_contains);
static const bm__shape sort_order = {.kind = BM__STRING,
                                     .name = "SortOrder",
                                     .enums = (const char *const[]){"Ascending", "Descending", NULL}};
static const bm__shape monitoring_type = {
    .kind = BM__STRING,
    .name = "MonitoringType",
    .enums = (const char *const[]){"DataQuality", "ModelQuality", "ModelBias", "ModelExplainability", NULL}};
static const bm__shape schedule_status = {
    .kind = BM__STRING,
    .name = "ScheduleStatus",
    .enums = (const char *const[]){"Pending", "Failed", "Scheduled", "Stopped", NULL}};
static const bm__shape execution_status = {
    .kind = BM__STRING,
    .name = "ExecutionStatus",
    .enums = (const char *const[]){"Pending", "Completed", "CompletedWithViolations", "InProgress",
                                   "Failed", "Stopping", "Stopped", NULL}};
static const bm__shape kms = STRING("KmsKeyId", 0, 2048, &bm__pat_kms_key_id);

/* ---- endpoint configs and endpoints: a name and a capture destination (no model is hosted) ---- */
static const bm__shape initial_instance_count = INTEGER("InitialTaskCount", 1, 1e9);
static const bm__shape variant_weight = {.kind = BM__DOUBLE, .name = "VariantWeight", .has_min = 1, .min = 0};
static const bm__shape production_variant = {
    .kind = BM__STRUCT,
    .name = "ProductionVariant",
    .members = (const bm__member[]){{"VariantName", &variant_name, 1},
                                    {"ModelName", &model_name, 0},
                                    {"InitialInstanceCount", &initial_instance_count, 0},
                                    {"InstanceType", &any_string, 0},
                                    {"InitialVariantWeight", &variant_weight, 0},
                                    {"AcceleratorType", &any_string, 0},
                                    {"VolumeSizeInGB", &any_string, 0},
                                    END}};
static const bm__shape production_variants = {.kind = BM__LIST,
                                              .name = "ProductionVariantList",
                                              .member = &production_variant,
                                              .min_items = 1,
                                              .max_items = 10};
static const bm__shape sampling = INTEGER("SamplingPercentage", 0, 100);
static const bm__shape destination_s3_uri = URI("DestinationS3Uri", 512, &bm__pat_dest_s3_uri);
static const bm__shape capture_mode = {.kind = BM__STRING,
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
static const bm__shape content_types = {
    .kind = BM__LIST, .name = "ContentTypeList", .member = &content_type, .min_items = 1, .max_items = 10};
static const bm__shape content_type_header = {
    .kind = BM__STRUCT,
    .name = "CaptureContentTypeHeader",
    .members = (const bm__member[]){{"CsvContentTypes", &content_types, 0},
                                    {"JsonContentTypes", &content_types, 0},
                                    END}};
static const bm__shape data_capture_config = {
    .kind = BM__STRUCT,
    .name = "DataCaptureConfig",
    .members = (const bm__member[]){{"EnableCapture", &boolean, 0},
                                    {"InitialSamplingPercentage", &sampling, 1},
                                    {"DestinationS3Uri", &destination_s3_uri, 1},
                                    {"KmsKeyId", &kms, 0},
                                    {"CaptureOptions", &capture_options, 1},
                                    {"CaptureContentTypeHeader", &content_type_header, 0},
                                    END}};
const bm__shape bm__req_create_endpoint_config = {
    .kind = BM__STRUCT,
    .name = "CreateEndpointConfigInput",
    .members = (const bm__member[]){{"EndpointConfigName", &endpoint_config_name, 1},
                                    {"ProductionVariants", &production_variants, 1},
                                    {"DataCaptureConfig", &data_capture_config, 0},
                                    {"Tags", &bm__shape_tag_list, 0},
                                    {"KmsKeyId", &kms, 0},
                                    {"ExecutionRoleArn", &bm__shape_role_arn, 0},
                                    {"EnableNetworkIsolation", &boolean, 0},
                                    END}};
const bm__shape bm__req_delete_endpoint_config = {
    .kind = BM__STRUCT,
    .name = "DeleteEndpointConfigInput",
    .members = (const bm__member[]){{"EndpointConfigName", &endpoint_config_name, 1}, END}};
const bm__shape bm__req_describe_endpoint_config = {
    .kind = BM__STRUCT,
    .name = "DescribeEndpointConfigInput",
    .members = (const bm__member[]){{"EndpointConfigName", &endpoint_config_name, 1}, END}};
const bm__shape bm__req_create_endpoint = {
    .kind = BM__STRUCT,
    .name = "CreateEndpointInput",
    .members = (const bm__member[]){{"EndpointName", &bm__shape_endpoint_name, 1},
                                    {"EndpointConfigName", &endpoint_config_name, 1},
                                    {"Tags", &bm__shape_tag_list, 0},
                                    END}};
const bm__shape bm__req_describe_endpoint = {
    .kind = BM__STRUCT,
    .name = "DescribeEndpointInput",
    .members = (const bm__member[]){{"EndpointName", &bm__shape_endpoint_name, 1}, END}};
const bm__shape bm__req_delete_endpoint = {
    .kind = BM__STRUCT,
    .name = "DeleteEndpointInput",
    .members = (const bm__member[]){{"EndpointName", &bm__shape_endpoint_name, 1}, END}};

/* ---- job definitions ---- */
const bm__shape bm__req_describe_job_definition = {
    .kind = BM__STRUCT,
    .name = "DescribeModelBiasJobDefinitionRequest",
    .members = (const bm__member[]){{"JobDefinitionName", &bm__shape_monitoring_job_definition_name, 1}, END}};
const bm__shape bm__req_delete_job_definition = {
    .kind = BM__STRUCT,
    .name = "DeleteModelBiasJobDefinitionRequest",
    .members = (const bm__member[]){{"JobDefinitionName", &bm__shape_monitoring_job_definition_name, 1}, END}};
static const bm__shape job_definition_sort_key = {
    .kind = BM__STRING,
    .name = "MonitoringJobDefinitionSortKey",
    .enums = (const char *const[]){"Name", "CreationTime", NULL}};
const bm__shape bm__req_list_job_definitions = {
    .kind = BM__STRUCT,
    .name = "ListModelBiasJobDefinitionsRequest",
    .members = (const bm__member[]){{"EndpointName", &bm__shape_endpoint_name, 0},
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
                                    {"DataAnalysisStartTime", &bm__shape_time_offset, 0},
                                    {"DataAnalysisEndTime", &bm__shape_time_offset, 0},
                                    END}};
/* biasmon: MonitoringJobDefinition (an inline definition, which the other monitoring types use)
 * is not declared, so it is refused as an unknown member: bias schedules name a job definition. */
static const bm__shape monitoring_schedule_config = {
    .kind = BM__STRUCT,
    .name = "MonitoringScheduleConfig",
    .members = (const bm__member[]){{"ScheduleConfig", &schedule_config, 0},
                                    {"MonitoringJobDefinitionName", &bm__shape_monitoring_job_definition_name, 0},
                                    {"MonitoringType", &monitoring_type, 0},
                                    END}};
const bm__shape bm__req_create_schedule = {
    .kind = BM__STRUCT,
    .name = "CreateMonitoringScheduleRequest",
    .members = (const bm__member[]){{"MonitoringScheduleName", &name_shape, 1},
                                    {"MonitoringScheduleConfig", &monitoring_schedule_config, 1},
                                    {"Tags", &bm__shape_tag_list, 0},
                                    END}};
const bm__shape bm__req_update_schedule = {
    .kind = BM__STRUCT,
    .name = "UpdateMonitoringScheduleRequest",
    .members = (const bm__member[]){{"MonitoringScheduleName", &name_shape, 1},
                                    {"MonitoringScheduleConfig", &monitoring_schedule_config, 1},
                                    END}};
const bm__shape bm__req_schedule_name = {
    .kind = BM__STRUCT,
    .name = "MonitoringScheduleNameRequest",
    .members = (const bm__member[]){{"MonitoringScheduleName", &name_shape, 1}, END}};
static const bm__shape schedule_sort_key = {.kind = BM__STRING,
                                            .name = "MonitoringScheduleSortKey",
                                            .enums = (const char *const[]){"Name", "CreationTime", "Status", NULL}};
const bm__shape bm__req_list_schedules = {
    .kind = BM__STRUCT,
    .name = "ListMonitoringSchedulesRequest",
    .members = (const bm__member[]){{"EndpointName", &bm__shape_endpoint_name, 0},
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
                                    {"MonitoringJobDefinitionName", &bm__shape_monitoring_job_definition_name, 0},
                                    {"MonitoringTypeEquals", &monitoring_type, 0},
                                    END}};
static const bm__shape execution_sort_key = {
    .kind = BM__STRING,
    .name = "MonitoringExecutionSortKey",
    .enums = (const char *const[]){"CreationTime", "ScheduledTime", "Status", NULL}};
const bm__shape bm__req_list_executions = {
    .kind = BM__STRUCT,
    .name = "ListMonitoringExecutionsRequest",
    .members = (const bm__member[]){{"MonitoringScheduleName", &name_shape, 0},
                                    {"EndpointName", &bm__shape_endpoint_name, 0},
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
                                    {"MonitoringJobDefinitionName", &bm__shape_monitoring_job_definition_name, 0},
                                    {"MonitoringTypeEquals", &monitoring_type, 0},
                                    END}};
const bm__shape bm__req_describe_processing_job = {
    .kind = BM__STRUCT,
    .name = "DescribeProcessingJobRequest",
    .members = (const bm__member[]){{"ProcessingJobName", &bm__shape_processing_job_name, 1}, END}};
const bm__shape bm__req_stop_processing_job = {
    .kind = BM__STRUCT,
    .name = "StopProcessingJobRequest",
    .members = (const bm__member[]){{"ProcessingJobName", &bm__shape_processing_job_name, 1}, END}};
static const bm__shape processing_job_status = {
    .kind = BM__STRING,
    .name = "ProcessingJobStatus",
    .enums = (const char *const[]){"InProgress", "Completed", "Failed", "Stopping", "Stopped", NULL}};
static const bm__shape processing_sort_by = {
    .kind = BM__STRING, .name = "SortBy", .enums = (const char *const[]){"Name", "CreationTime", "Status", NULL}};
const bm__shape bm__req_list_processing_jobs = {
    .kind = BM__STRUCT,
    .name = "ListProcessingJobsRequest",
    .members = (const bm__member[]){{"CreationTimeAfter", &timestamp, 0},
                                    {"CreationTimeBefore", &timestamp, 0},
                                    {"LastModifiedTimeAfter", &timestamp, 0},
                                    {"LastModifiedTimeBefore", &timestamp, 0},
                                    {"NameContains", &any_string, 0},
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
static const bm__pattern pat_arn = {"arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:.+", arn_match};
static const bm__shape resource_arn = STRING("ResourceArn", 0, 256, &pat_arn);
static const bm__shape tag_key = STRING("TagKey", 1, 128, &bm__pat_tag);
static const bm__shape tag_keys = {.kind = BM__LIST, .name = "TagKeyList", .member = &tag_key, .min_items = 1, .max_items = 50};
static const bm__shape list_tags_max = {.kind = BM__INTEGER, .name = "ListTagsMaxResults", .has_min = 1, .min = 50};
const bm__shape bm__req_add_tags = {
    .kind = BM__STRUCT,
    .name = "AddTagsInput",
    .members = (const bm__member[]){{"ResourceArn", &resource_arn, 1}, {"Tags", &bm__shape_tag_list, 1}, END}};
const bm__shape bm__req_list_tags = {
    .kind = BM__STRUCT,
    .name = "ListTagsInput",
    .members = (const bm__member[]){{"ResourceArn", &resource_arn, 1},
                                    {"NextToken", &next_token, 0},
                                    {"MaxResults", &list_tags_max, 0},
                                    END}};
const bm__shape bm__req_delete_tags = {
    .kind = BM__STRUCT,
    .name = "DeleteTagsInput",
    .members = (const bm__member[]){{"ResourceArn", &resource_arn, 1}, {"TagKeys", &tag_keys, 1}, END}};

/* ---- biasmon: run one execution now (biasmon run) ---- */
const bm__shape bm__req_run_schedule = {
    .kind = BM__STRUCT,
    .name = "StartMonitoringExecutionRequest",
    .members = (const bm__member[]){{"MonitoringScheduleName", &name_shape, 1},
                                    {"ScheduledTime", &timestamp, 0},
                                    END}};
