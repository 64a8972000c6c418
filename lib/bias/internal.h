/* Internals shared by the bias engine's files: value matching, hash tables, column facts. */
#ifndef BIASMON_BIAS_INTERNAL_H
#define BIASMON_BIAS_INTERNAL_H

#include "biasmon/bias.h"

/* ---- value matching: one bit per way pandas could compare a cell with the user's values ---- */
/* Which bits decide depends on the column's final dtype, known only after the last row; a
 * cell's bitmask is therefore all the answers at once. See classify.c for each bit's rule. */
enum {
    BM_M_NUM_DIRECT = 1 << 0,    /* int64/float64 column: cell == v */
    BM_M_NUM_FB_INT = 1 << 1,    /* int64 column, values cast to int (or float) */
    BM_M_NUM_FB_FLOAT = 1 << 2,  /* float64 column, values cast to float */
    BM_M_CONT = 1 << 3,          /* continuous: cell > threshold */
    BM_M_CONT_TRUNC = 1 << 4,    /* continuous, cell truncated to int first (pred cast to label) */
    BM_M_OBJ_DIRECT = 1 << 5,    /* object column: Python == */
    BM_M_OBJ_FB_STR = 1 << 6,    /* object column whose first element is str: str(v) */
    BM_M_OBJ_FB_FLOAT = 1 << 7,  /* ... first element NaN/float: float(v) */
    BM_M_OBJ_FB_BOOL = 1 << 8,   /* ... first element bool: bool(v) */
    BM_M_OBJ_FB_INT = 1 << 9,    /* ... first element int (JSON): int(v) */
    BM_M_BOOL_DIRECT = 1 << 10,  /* bool column (or bools with NaN): cell == v */
    BM_M_BOOL_FB = 1 << 11,      /* ... values cast with bool() */
    BM_M_BOOL_FB_FLOAT = 1 << 12 /* ... first element NaN: float(v) */
};

typedef struct bm__matcher {
    const bm_value *vals;
    size_t n;
    int t_ok; /* the first value is a usable threshold */
    double t;
    int t_is_int; /* threshold is an int (for interval text) */
    int conv_int_ok;
    double *conv_int; /* int(v), or float(v) for all when some int() failed */
    char conv_int_err[200];
    int conv_float_ok;
    double *conv_float;
    char conv_float_err[200];
    char **pystr; /* str(v) */
    size_t *pystr_len;
    uint8_t *truthy; /* bool(v) */
} bm__matcher;

int bm__matcher_init(bm__matcher *m, const bm_value *vals, size_t n);
void bm__matcher_release(bm__matcher *m);
uint16_t bm__match(const bm__matcher *m, const bm_cell *c);

/* ---- u64 -> u64 open-addressing map (key UINT64_MAX is reserved) ---- */
typedef struct bm__map {
    uint64_t *keys;
    uint64_t *vals;
    size_t cap; /* power of two */
    size_t len;
} bm__map;
int bm__map_init(bm__map *m, size_t cap);
void bm__map_release(bm__map *m);
/* Adds delta to key's value (inserting 0 first). */
int bm__map_add(bm__map *m, uint64_t key, uint64_t delta);
uint64_t bm__map_get(const bm__map *m, uint64_t key);

/* ---- a dictionary of cell values in first-appearance order ---- */
typedef struct bm__dent {
    uint8_t kind, textual, b;
    int64_t i;
    double f;
    uint32_t text_off, text_len; /* into the dictionary's text arena */
} bm__dent;

typedef struct bm__dict {
    bm__dent *ents;
    size_t len, cap, max;
    char *text;
    size_t text_len, text_cap, text_max;
    uint32_t *slots; /* hash index: id + 1, 0 = empty */
    size_t nslots;
} bm__dict;
void bm__dict_init(bm__dict *d, size_t max);
void bm__dict_release(bm__dict *d);
/* Returns the id of the cell's value (inserting it), or -BM_ELIMIT / -BM_ENOMEM. */
long bm__dict_id(bm__dict *d, const bm_cell *c);
/* The cell a dictionary entry stands for (text points into the dictionary). */
void bm__dict_cell(const bm__dict *d, size_t id, bm_cell *out);

/* ---- facts about a column that pandas' typing needs ---- */
typedef struct bm__coltrack {
    uint64_t n[BM_CELL_NKINDS]; /* cells by kind */
    uint64_t n_str_notint;      /* string cells Python's int() rejects */
    uint64_t n_textual_bool;
    int has_first;
    bm_cell first; /* row 0's cell (text not kept) */
    int has_max;
    double max;             /* over numeric cells (and int-like strings) */
    int distinct;           /* 1 when distinct values are tracked for this column */
    int ints_on, ints_over; /* distinct ints while every cell is an int */
    bm__map ints;
    int texts_on, texts_over; /* distinct values while every cell is int-castable */
    bm__map texts;
} bm__coltrack;

/* ---- dtypes as pandas would infer them ---- */
typedef enum bm__dtype {
    BM_DT_INT64,
    BM_DT_FLOAT64,
    BM_DT_BOOL,
    BM_DT_OBJECT_BOOLNA, /* bools and missing: an object column of Python bools and NaN */
    BM_DT_OBJECT,
    BM_DT_EMPTY
} bm__dtype;

bm__dtype bm__coltrack_dtype(const bm__coltrack *t);

#endif
