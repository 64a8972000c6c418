/* JSON text the way Python's json module writes it: what analysis.json and every other JSON
 * output is written with. */
#ifndef BIASMON_JSONW_H
#define BIASMON_JSONW_H

#include <jansson.h>
#include "biasmon/common.h"

/* Appends v as JSON text to out: keys in insertion order, indent spaces per level (0: compact
 * on one line), reals in Python's shortest repr ("0.1", "1e-05", "2.0"), strings escaped as
 * JSON requires (UTF-8 kept). Returns BM_OK, BM_ELIMIT (out's max, or nesting beyond 256) or
 * BM_ENOMEM. Reentrant: touches only v (read) and out. */
int bm_json_write(json_t *v, int indent, bm_buf *out) BM_MUST_CHECK;

#endif
