/* Request shapes of the API operations biasmon serve implements (from SageMaker's service model). */
#ifndef BIASMON_AWS_SHAPES_H
#define BIASMON_AWS_SHAPES_H

#include "aws/shape.h"

extern const bm__shape bm__req_create_endpoint_config, bm__req_delete_endpoint_config,
    bm__req_describe_endpoint_config, bm__req_create_endpoint, bm__req_describe_endpoint,
    bm__req_delete_endpoint, bm__req_describe_job_definition, bm__req_delete_job_definition,
    bm__req_list_job_definitions, bm__req_create_schedule, bm__req_update_schedule,
    bm__req_schedule_name, bm__req_list_schedules, bm__req_list_executions,
    bm__req_describe_processing_job, bm__req_stop_processing_job, bm__req_list_processing_jobs, bm__req_add_tags, bm__req_list_tags, bm__req_delete_tags,
    bm__req_run_schedule;

#endif
