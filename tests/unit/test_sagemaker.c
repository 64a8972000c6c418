/* Unit tests for biasmon/sagemaker.h: the service model's operations, request validation through
 * the public header, and member lookups. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "biasmon/sagemaker.h"

/* Every X-Amz-Target biasmon serve dispatches (lib/serve/ops.c): each has a request shape. */
static const char *const served[] = {
    "SageMaker.CreateEndpointConfig",
    "SageMaker.DescribeEndpointConfig",
    "SageMaker.DeleteEndpointConfig",
    "SageMaker.CreateEndpoint",
    "SageMaker.DescribeEndpoint",
    "SageMaker.DeleteEndpoint",
    "SageMaker.CreateModelBiasJobDefinition",
    "SageMaker.DescribeModelBiasJobDefinition",
    "SageMaker.ListModelBiasJobDefinitions",
    "SageMaker.DeleteModelBiasJobDefinition",
    "SageMaker.CreateMonitoringSchedule",
    "SageMaker.DescribeMonitoringSchedule",
    "SageMaker.ListMonitoringSchedules",
    "SageMaker.UpdateMonitoringSchedule",
    "SageMaker.StartMonitoringSchedule",
    "SageMaker.StopMonitoringSchedule",
    "SageMaker.DeleteMonitoringSchedule",
    "SageMaker.ListMonitoringExecutions",
    "SageMaker.CreateProcessingJob",
    "SageMaker.DescribeProcessingJob",
    "SageMaker.ListProcessingJobs",
    "SageMaker.StopProcessingJob",
    "SageMaker.AddTags",
    "SageMaker.ListTags",
    "SageMaker.DeleteTags",
    "Biasmon.StartMonitoringExecution",
};

static void test_every_operation_has_a_shape(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(served) / sizeof(served[0]); k++)
        if (!bm_sagemaker_request_shape(served[k])) fail_msg("%s has no request shape", served[k]);
    /* the five schedule operations that take only a name share one shape */
    assert_ptr_equal(bm_sagemaker_request_shape("SageMaker.StartMonitoringSchedule"),
                     bm_sagemaker_request_shape("SageMaker.DeleteMonitoringSchedule"));
}

static void test_unknown_operations(void **state)
{
    (void)state;
    assert_null(bm_sagemaker_request_shape(NULL));
    assert_null(bm_sagemaker_request_shape(""));
    assert_null(bm_sagemaker_request_shape("SageMaker.CreateTrainingJob"));
    assert_null(bm_sagemaker_request_shape("sagemaker.CreateEndpoint")); /* targets are exact */
    assert_null(bm_sagemaker_request_shape("CreateEndpoint"));
}

static int validate(const char *target, const char *text, bm_error *err)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    if (!v) fail_msg("bad test JSON %s: %s", text, je.text);
    bm_error_clear(err);
    int r = bm_shape_validate(bm_sagemaker_request_shape(target), v, "$", err);
    json_decref(v);
    return r;
}

static void test_validate_through_the_public_header(void **state)
{
    (void)state;
    bm_error err;
    const char *describe = "SageMaker.DescribeMonitoringSchedule";
    assert_int_equal(validate(describe, "{\"MonitoringScheduleName\": \"a-1\"}", &err), BM_OK);
    assert_int_equal(validate(describe, "{}", &err), BM_ECONFIG);
    assert_string_equal(err.path, "$.MonitoringScheduleName");
    assert_int_equal(validate(describe, "{\"MonitoringScheduleName\": \"-a\"}", &err), BM_ECONFIG);
    assert_string_equal(err.path, "$.MonitoringScheduleName");
    assert_int_equal(validate(describe, "{\"MonitoringScheduleName\": \"a\", \"X\": 1}", &err),
                     BM_ECONFIG);
    assert_string_equal(err.path, "$.X");
    /* tags: the pattern and the list's bound */
    const char *add = "SageMaker.AddTags";
    assert_int_equal(validate(add,
                              "{\"ResourceArn\": \"arn:aws:sagemaker:us-west-2:012345678901:"
                              "monitoring-schedule/a\", \"Tags\": [{\"Key\": \"k\", \"Value\": "
                              "\"v\"}]}",
                              &err),
                     BM_OK);
    assert_int_equal(validate(add,
                              "{\"ResourceArn\": \"arn:aws:sagemaker:us-west-2:012345678901:"
                              "monitoring-schedule/a\", \"Tags\": [{\"Key\": \"k!\", \"Value\": "
                              "\"v\"}]}",
                              &err),
                     BM_ECONFIG);
    assert_string_equal(err.path, "$.Tags[0].Key");
    /* a path other than "$", and NULL for "$" */
    json_t *v = json_pack("{s:i}", "MonitoringScheduleName", 3);
    assert_non_null(v);
    bm_error_clear(&err);
    assert_int_equal(bm_shape_validate(bm_sagemaker_request_shape(describe), v, "$.req", &err),
                     BM_ECONFIG);
    assert_string_equal(err.path, "$.req.MonitoringScheduleName");
    bm_error_clear(&err);
    assert_int_equal(bm_shape_validate(bm_sagemaker_request_shape(describe), v, NULL, &err),
                     BM_ECONFIG);
    assert_string_equal(err.path, "$.MonitoringScheduleName");
    /* a missing value is reported as missing */
    bm_error_clear(&err);
    assert_int_equal(bm_shape_validate(bm_sagemaker_request_shape(describe), NULL, "$", &err),
                     BM_ECONFIG);
    json_decref(v);
}

static void test_json_lookups(void **state)
{
    (void)state;
    json_error_t je;
    json_t *v = json_loads("{\"A\": {\"B\": [{\"C\": \"x\"}, {\"C\": 2}]}, \"N\": null}", 0, &je);
    assert_non_null(v);
    assert_string_equal(bm_json_string(v, "A.B[0].C"), "x");
    assert_non_null(bm_json_get(v, "A.B[1].C"));
    assert_null(bm_json_string(v, "A.B[1].C")); /* not a string */
    assert_null(bm_json_get(v, "A.B[2].C"));    /* past the end */
    assert_null(bm_json_get(v, "A.B.C"));       /* an array is not an object */
    assert_null(bm_json_get(v, "A[0]"));        /* an object is not an array */
    assert_null(bm_json_get(v, "N"));           /* JSON null counts as absent */
    assert_null(bm_json_get(v, "A.B[x]"));      /* malformed index */
    assert_null(bm_json_get(NULL, "A"));
    assert_ptr_equal(bm_json_get(v, ""), v);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_operation_has_a_shape),
        cmocka_unit_test(test_unknown_operations),
        cmocka_unit_test(test_validate_through_the_public_header),
        cmocka_unit_test(test_json_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
