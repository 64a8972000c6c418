/* A typed data cell, read the way pandas reads it (CSV text) or as a JSON value is typed. */
#ifndef BIASMON_CELL_H
#define BIASMON_CELL_H

#include <stdint.h>
#include <jansson.h>
#include "biasmon/common.h"

typedef enum bm_cell_kind {
    BM_CELL_MISSING = 0, /* empty cell or a pandas NA token ("NA", "null", "nan", ...); JSON null */
    BM_CELL_INT = 1,     /* integer that fits int64 */
    BM_CELL_FLOAT = 2,   /* any other number (decimal point, exponent, inf, out of int64 range) */
    BM_CELL_BOOL = 3,    /* True/TRUE/true/False/FALSE/false; JSON true/false */
    BM_CELL_STR = 4,     /* anything else */
} bm_cell_kind;
#define BM_CELL_NKINDS 5

typedef struct bm_cell {
    uint8_t kind;    /* bm_cell_kind */
    uint8_t textual; /* 1 when read from text (CSV): in a string column it is the text itself */
    uint8_t b;       /* BM_CELL_BOOL */
    int64_t i;       /* BM_CELL_INT */
    double f;        /* numeric value for INT and FLOAT */
    bm_slice text;   /* the source text (CSV field, or the JSON string's bytes); may be empty */
} bm_cell;

/* Types a CSV field as pandas.read_csv's default parser would: NA tokens and empty fields are
 * missing; surrounding spaces are allowed around numbers; quoting does not change the type. */
void bm_cell_from_csv(bm_slice field, bm_cell *c);

/* Types a JSON scalar. Returns BM_EDATA for arrays and objects (a cell holds one value).
 * A string cell's text points into v: valid while v lives. */
int bm_cell_from_json(json_t *v, bm_cell *c) BM_MUST_CHECK;

/* Parses a number as Python's float() does (spaces, sign, digits, '.', exponent, inf, nan,
 * underscores between digits). Returns 1 and sets *out when the whole text is a number. */
int bm_py_parse_float(bm_slice s, double *out);
/* Parses as Python's int() does (spaces, sign, digits, underscores between digits). Returns 1
 * and sets *out when the text is an integer that fits int64. */
int bm_py_parse_int(bm_slice s, int64_t *out);

#endif
