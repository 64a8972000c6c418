/* A JMESPath subset over jansson values: the expressions SageMaker's attributes use. */
#ifndef BIASMON_JMESPATH_H
#define BIASMON_JMESPATH_H

#include <jansson.h>
#include "biasmon/common.h"

/* Supported grammar (JMESPath specification semantics):
 *   identifiers (foo), quoted identifiers ("foo bar", with JSON escapes), sub-expressions (a.b),
 *   index expressions ([0], [-1]), slices ([start:stop:step], any part optional),
 *   wildcard projections ([*] and .*), flatten projections ([]), the current node (@),
 *   and literal-free pipes (a | b). Anything else is a parse error naming the offset.
 * Projections stop at pipes, as the specification says. */
typedef struct bm_jmespath bm_jmespath;

/* Compiles expr (NUL-terminated, at most 1024 bytes). Returns NULL with err set
 * (BM_EPARSE with the 1-based column of the problem in err->col, or BM_ENOMEM). */
bm_jmespath *bm_jmespath_compile(const char *expr, bm_error *err);

/* Evaluates against doc. Returns a new reference (caller json_decref's it); JSON null when the
 * expression selects nothing, as the specification says. Returns NULL only when memory runs out.
 * Evaluation is bounded: results never hold more elements than the input has. */
json_t *bm_jmespath_eval(const bm_jmespath *e, json_t *doc);

/* The source text the expression was compiled from. */
const char *bm_jmespath_source(const bm_jmespath *e);

void bm_jmespath_free(bm_jmespath *e);

#endif
