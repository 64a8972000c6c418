/* The operations biasmon serve dispatches and SageMaker's service model agree: every served
 * operation has a request shape (else each request to it would fail with InternalFailure), and
 * every operation of the model is served (else its shapes are dead). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "biasmon/sagemaker.h"
#include "serve/internal.h"

#define MAX_OPS 1000 /* far above the API's size: bounds the walks */

static void test_every_served_operation_has_a_shape(void **state)
{
    (void)state;
    size_t n = 0;
    const bm__op *op;
    for (; n < MAX_OPS && (op = bm__op_at(n)) != NULL; n++) {
        if (!bm_sagemaker_request_shape(op->name))
            fail_msg("%s is served but has no request shape in lib/aws/sagemaker_model.c",
                     op->name);
        assert_ptr_equal(bm__find_op(op->name), op);
    }
    assert_true(n > 30 && n < MAX_OPS);
}

static void test_every_modelled_operation_is_served(void **state)
{
    (void)state;
    size_t n = 0;
    const char *target;
    for (; n < MAX_OPS && (target = bm_sagemaker_operation_at(n)) != NULL; n++) {
        if (!bm__find_op(target))
            fail_msg("%s has a request shape but biasmon serve does not dispatch it", target);
        for (size_t k = 0; k < n; k++)
            if (!strcmp(bm_sagemaker_operation_at(k), target))
                fail_msg("%s is modelled twice", target);
    }
    assert_true(n > 30 && n < MAX_OPS);
    assert_null(bm_sagemaker_operation_at(n));
    assert_null(bm_sagemaker_operation_at((size_t)-1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_served_operation_has_a_shape),
        cmocka_unit_test(test_every_modelled_operation_is_served),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
