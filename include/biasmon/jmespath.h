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

/* Threads: a compiled expression is never modified after bm_jmespath_compile, so several threads
 * may evaluate one expression at once; a document is jansson's, used by one thread at a time
 * (eval takes references into it). Nothing here keeps global state. err may be NULL anywhere. */

/* Compiles expr (NUL-terminated, at most 1024 bytes; nesting at most 64 deep). Returns a new
 * expression the caller frees with bm_jmespath_free, or NULL with err set (BM_EPARSE with the
 * 1-based column of the problem in err->col, BM_EINVAL when expr is NULL, or BM_ENOMEM).
 * The expression keeps its own copy of the text: expr may be freed at once. */
bm_jmespath *bm_jmespath_compile(const char *expr, bm_error *err);

/* Evaluates against doc (borrowed; not modified). Returns a new reference the caller
 * json_decref's; it may share nodes with doc (incremented references), so it must not be
 * modified while doc is in use. JSON null when the expression selects nothing, as the
 * specification says. Returns NULL only when memory runs out (there is no other error: any
 * document is a valid input). Evaluation is bounded: results never hold more elements than the
 * input has, and recursion is bounded by the expression's depth. */
json_t *bm_jmespath_eval(const bm_jmespath *e, json_t *doc);

/* The source text the expression was compiled from; owned by e, valid until bm_jmespath_free. */
const char *bm_jmespath_source(const bm_jmespath *e);

/* Frees the expression; NULL is a no-op. */
void bm_jmespath_free(bm_jmespath *e);

#endif
