/* The plan and cube structures, shared by cube.c (filling) and analyze.c (metrics). */
#ifndef BIASMON_BIAS_PLAN_H
#define BIASMON_BIAS_PLAN_H

#include "internal.h"

/* Per-column memo of the CSV hot path: a field's text maps to its parsed cell and to the
 * classes it gives for each role of its column, so repeated values cost one lookup. */
#define BM__MEMO_SLOTS 512
#define BM__MEMO_TEXT 32
#define BM__MEMO_FACETS 4

/* The classes one cell gives for each role of its column. */
typedef struct bm__roles {
    uint16_t lmask, pmask;
    uint32_t gid1;
    uint32_t fc[BM__MEMO_FACETS];
} bm__roles;

typedef struct bm__memo_slot {
    uint64_t hash;
    uint8_t used, len, str_notint;
    char text[BM__MEMO_TEXT];
    bm_cell cell; /* as tracked (a score already thresholded); text not kept */
    bm__roles roles;
} bm__memo_slot;

typedef struct bm__memo {
    bm__memo_slot *slots; /* NULL: the column is not memoized */
    uint64_t lookups, misses;
} bm__memo;

typedef struct bm__facet_plan {
    long col;
    int one_vs_all;   /* no values given: one entry per distinct value */
    bm__matcher m;    /* when values are given */
    const char *name; /* the facet key in analysis.json */
} bm__facet_plan;

struct bm_plan {
    const bm_analysis_config *cfg;
    size_t ncols;
    char **colnames;
    long label_col, pred_col, group_col; /* -1 when absent */
    bm__matcher label_m;                 /* label values; also binarize predictions */
    size_t nfacets;
    bm__facet_plan *facets;
    long *track_of; /* column -> coltrack slot, -1 when untracked */
    size_t ntracks;
    size_t *used; /* columns bm_cube_add reads */
    size_t nused;
    int want_pre, want_post, want_ft;
    size_t nft; /* FT candidate columns (all but label, prediction, excluded) */
    long *ft_cols;
    const char *label_name;
    /* roles of each column, for the memo: facets reading it, and whether it can be memoized */
    uint8_t *memo_ok;
    uint8_t *nfacet_on;
    uint16_t (*facet_on)[BM__MEMO_FACETS];
};

/* A key of the per-facet count map: facet class (mask or one-vs-all id), group id + 1 (0 = no
 * group column), label class mask, prediction class mask. */
#define BM__KEY(fc, g, lc, pc)                                                                     \
    (((uint64_t)(fc) << 44) | ((uint64_t)(g) << 26) | ((uint64_t)(lc) << 13) | (uint64_t)(pc))
#define BM__KEY_FC(k) ((uint32_t)((k) >> 44))
#define BM__KEY_G(k) ((uint32_t)(((k) >> 26) & 0x3ffff))
#define BM__KEY_LC(k) ((uint16_t)(((k) >> 13) & 0x1fff))
#define BM__KEY_PC(k) ((uint16_t)((k)&0x1fff))

typedef struct bm__ftstore {
    size_t nrows, cap;
    double *x;    /* nrows x plan->nft */
    uint32_t *fc; /* nrows x plan->nfacets */
    uint16_t *pc; /* nrows */
} bm__ftstore;

struct bm_cube {
    const bm_plan *plan;
    uint64_t nrows;
    bm__coltrack *tracks;
    bm__dict *facet_dicts; /* per facet (used when one-vs-all) */
    bm__dict groups;
    bm__map *counts; /* per facet */
    bm__ftstore ft;
    bm__memo *memo;   /* per column */
    bm_cell *scratch; /* one row of cells for bm_cube_add_csv's general path */
};

#endif
