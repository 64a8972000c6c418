/* SageMaker's service model as biasmon serves it: the request shape of each operation, request
 * validation against it, and member lookups in a request. */
#ifndef BIASMON_SAGEMAKER_H
#define BIASMON_SAGEMAKER_H

#include <jansson.h>
#include "biasmon/common.h"

/*
 * Thread-safety: everything here is safe from any thread. Shapes are static const tables built
 * into the library (lib/aws/sagemaker_model.c); nothing here allocates or keeps state.
 */

/* One shape of the service model (botocore's service-2.json): opaque, static, never freed. */
typedef struct bm_shape bm_shape;

/* The request shape of an operation by its X-Amz-Target ("SageMaker.CreateMonitoringSchedule",
 * "Biasmon.StartMonitoringExecution"); NULL when the model has no such operation (target NULL
 * included). The pointer is valid for the life of the program. */
const bm_shape *bm_sagemaker_request_shape(const char *target);
/* The X-Amz-Target of the i-th operation of the model (from 0), NULL past the last: with
 * bm_sagemaker_request_shape, a walk over every operation the model knows. Static strings. */
const char *bm_sagemaker_operation_at(size_t i);

/* Validates v against shape as the service does (types, required members, UTF-16 lengths,
 * whole-value patterns, enums, list sizes, numeric ranges; a member set to JSON null counts as
 * absent; unknown members are errors; URI members also accept biasmon's local storage).
 * path names v in messages ("$" for a request body; NULL means "$"). v NULL is reported as
 * missing. Returns BM_OK, or BM_ECONFIG with err->path naming the first offending member
 * ("$.Tags[0].Key") and err->msg saying what is expected; err->file/line/col are left alone.
 * v is not modified; nothing is allocated. shape may not be NULL. */
int bm_shape_validate(const bm_shape *shape, json_t *v, const char *path,
                      bm_error *err) BM_MUST_CHECK;

/* The member at a path such as "A.B[0].C" below root: a borrowed reference (valid while root
 * is), or NULL when root is NULL or any step is missing, of the wrong type or JSON null. */
json_t *bm_json_get(json_t *root, const char *path);
/* Like bm_json_get, for string values: the borrowed C string, or NULL. */
const char *bm_json_string(json_t *root, const char *path);

#endif
