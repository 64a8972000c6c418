/* The plan (config resolved against columns) and the count cube: fill, merge, serialize. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "plan.h"

/* ==================================================================== the plan */

static int resolve(const bm_plan *p, const bm_colref *ref, const char *path, long *col,
                   bm_error *err)
{
    if (ref->name) {
        for (size_t k = 0; k < p->ncols; k++)
            if (strcmp(p->colnames[k], ref->name) == 0) {
                *col = (long)k;
                return BM_OK;
            }
        /* the names are not listed: they are the dataset's bytes (a binary file read as CSV would
         * put raw bytes on the terminal, and the service must not echo files into its answers) */
        bm_error_set(
            err, BM_ECONFIG,
            "column \"%s\" is not one of the dataset's %zu column names (its header row, or the "
            "config's headers); names must match exactly",
            ref->name, p->ncols);
        bm_error_at(err, NULL, 0, 0, path);
        return BM_ECONFIG;
    }
    if (ref->index < 0 || (size_t)ref->index >= p->ncols) {
        bm_error_set(err, BM_ECONFIG,
                     "column index %ld is out of range (the dataset has %zu columns)", ref->index,
                     p->ncols);
        bm_error_at(err, NULL, 0, 0, path);
        return BM_ECONFIG;
    }
    *col = ref->index;
    return BM_OK;
}

void bm_plan_free(bm_plan *p)
{
    if (!p) return;
    if (p->colnames)
        for (size_t k = 0; k < p->ncols; k++)
            bm_free(p->colnames[k]);
    bm_free(p->colnames);
    bm__matcher_release(&p->label_m);
    if (p->facets)
        for (size_t k = 0; k < p->nfacets; k++)
            bm__matcher_release(&p->facets[k].m);
    bm_free(p->facets);
    bm_free(p->track_of);
    bm_free(p->used);
    bm_free(p->ft_cols);
    bm_free(p->memo_ok);
    bm_free(p->nfacet_on);
    bm_free(p->facet_on);
    bm_free(p);
}

int bm_plan_new(const bm_analysis_config *cfg, const char *const *colnames, size_t ncols,
                bm_plan **out, bm_error *err)
{
    int r = BM_ENOMEM;
    *out = NULL;
    bm_plan *p = bm_calloc(1, sizeof(*p));
    if (!p) goto nomem;
    p->cfg = cfg;
    p->ncols = ncols;
    p->label_col = p->pred_col = p->group_col = -1;
    p->colnames = bm_calloc(ncols, sizeof(char *));
    p->track_of = bm_malloc(ncols * sizeof(long));
    p->facets = bm_calloc(cfg->nfacets, sizeof(*p->facets));
    if (!p->colnames || !p->track_of || !p->facets) goto nomem;
    for (size_t k = 0; k < ncols; k++) {
        if (!(p->colnames[k] = bm_strdup(colnames[k]))) goto nomem;
        p->track_of[k] = -1;
    }
    p->nfacets = cfg->nfacets;
    if ((r = resolve(p, &cfg->label, "$.label", &p->label_col, err))) goto fail;
    p->label_name = p->colnames[p->label_col];
    if (cfg->predicted_label.set &&
        (r = resolve(p, &cfg->predicted_label, "$.predicted_label", &p->pred_col, err)))
        goto fail;
    if (cfg->group_variable.set &&
        (r = resolve(p, &cfg->group_variable, "$.group_variable", &p->group_col, err)))
        goto fail;
    r = BM_ENOMEM;
    if (bm__matcher_init(&p->label_m, cfg->label_values, cfg->nlabel_values)) goto nomem;
    for (size_t f = 0; f < cfg->nfacets; f++) {
        char path[64];
        snprintf(path, sizeof(path), "$.facet[%zu].name_or_index", f);
        if ((r = resolve(p, &cfg->facets[f].col, path, &p->facets[f].col, err))) goto fail;
        p->facets[f].name = p->colnames[p->facets[f].col];
        p->facets[f].one_vs_all = cfg->facets[f].nvalues == 0;
        r = BM_ENOMEM;
        if (bm__matcher_init(&p->facets[f].m, cfg->facets[f].values, cfg->facets[f].nvalues))
            goto nomem;
    }
    p->want_pre = cfg->pre_requested && cfg->pre_mask;
    p->want_post = cfg->post_requested && cfg->post_mask && p->pred_col >= 0;
    p->want_ft = p->want_post && (cfg->post_mask & (1u << BM_POST_FT));

    /* FT candidates: every column but the label, the prediction and excluded ones. */
    if (p->want_ft) {
        uint8_t *excl = bm_calloc(ncols, 1);
        p->ft_cols = bm_malloc(ncols * sizeof(long));
        if (!excl || !p->ft_cols) {
            bm_free(excl);
            goto nomem;
        }
        excl[p->label_col] = 1;
        if (p->pred_col >= 0) excl[p->pred_col] = 1;
        for (size_t k = 0; k < cfg->nexcluded; k++) {
            long c;
            char path[64];
            snprintf(path, sizeof(path), "$.excluded_columns[%zu]", k);
            if ((r = resolve(p, &cfg->excluded[k], path, &c, err))) {
                bm_free(excl);
                goto fail;
            }
            excl[c] = 1;
        }
        for (size_t k = 0; k < ncols; k++)
            if (!excl[k]) p->ft_cols[p->nft++] = (long)k;
        bm_free(excl);
    }
    /* tracked columns: label, prediction, group, facets, FT candidates */
    long want[4];
    want[0] = p->label_col;
    want[1] = p->pred_col;
    want[2] = p->group_col;
    for (int k = 0; k < 3; k++)
        if (want[k] >= 0 && p->track_of[want[k]] < 0) p->track_of[want[k]] = (long)p->ntracks++;
    for (size_t f = 0; f < p->nfacets; f++)
        if (p->track_of[p->facets[f].col] < 0) p->track_of[p->facets[f].col] = (long)p->ntracks++;
    for (size_t k = 0; k < p->nft; k++)
        if (p->track_of[p->ft_cols[k]] < 0) p->track_of[p->ft_cols[k]] = (long)p->ntracks++;
    r = BM_ENOMEM;
    p->used = bm_malloc((p->ntracks ? p->ntracks : 1) * sizeof(size_t));
    if (!p->used) goto nomem;
    for (size_t k = 0; k < ncols; k++)
        if (p->track_of[k] >= 0) p->used[p->nused++] = k;
    /* memoizable columns: those with a role besides being a feature */
    p->memo_ok = bm_calloc(ncols, 1);
    p->nfacet_on = bm_calloc(ncols, 1);
    p->facet_on = bm_calloc(ncols, sizeof(*p->facet_on));
    if (!p->memo_ok || !p->nfacet_on || !p->facet_on) goto nomem;
    for (size_t f = 0; f < p->nfacets; f++) {
        long col = p->facets[f].col;
        if (p->nfacet_on[col] < BM__MEMO_FACETS) p->facet_on[col][p->nfacet_on[col]] = (uint16_t)f;
        if (p->nfacet_on[col] < 255) p->nfacet_on[col]++;
        p->memo_ok[col] = 1;
    }
    p->memo_ok[p->label_col] = 1;
    if (p->group_col >= 0) p->memo_ok[p->group_col] = 1;
    if (p->pred_col >= 0) p->memo_ok[p->pred_col] = 1;
    for (size_t k = 0; k < ncols; k++) {
        if (p->nfacet_on[k] > BM__MEMO_FACETS) p->memo_ok[k] = 0;
        /* a thresholded score column tracks a transformed cell: give it no other role */
        if ((long)k == p->pred_col && cfg->has_probability_threshold &&
            (p->nfacet_on[k] || (long)k == p->label_col || (long)k == p->group_col))
            p->memo_ok[k] = 0;
    }
    *out = p;
    return BM_OK;
nomem:
    bm_error_set(err, BM_ENOMEM, "out of memory");
    r = BM_ENOMEM;
fail:
    bm_plan_free(p);
    return r;
}

size_t bm_plan_used_columns(const bm_plan *p, const size_t **cols)
{
    *cols = p->used;
    return p->nused;
}

size_t bm_plan_ncols(const bm_plan *p)
{
    return p->ncols;
}

int bm_plan_wants_ft(const bm_plan *p)
{
    return p->want_ft;
}

/* ==================================================================== column facts */

static int distinct_tracked(const bm_plan *p, size_t col)
{
    if ((long)col == p->label_col || (long)col == p->pred_col) return 1;
    for (size_t f = 0; f < p->nfacets; f++)
        if ((size_t)p->facets[f].col == col) return 1;
    return 0;
}

/* Keys of the distinct-value sets go through a bijective mixer first, so that the map's
 * reserved key (UINT64_MAX) stands for one arbitrary 64-bit pattern instead of the integer -1. */
static uint64_t set_key(uint64_t v)
{
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdULL;
    v ^= v >> 33;
    v *= 0xc4ceb9fe1a85ec53ULL;
    v ^= v >> 33;
    return v == UINT64_MAX ? v - 1 : v;
}

static uint64_t text_key(const bm_cell *c)
{
    uint64_t h = 1469598103934665603ULL;
    if (c->textual || c->kind == BM_CELL_STR) {
        for (size_t k = 0; k < c->text.n; k++)
            h = (h ^ (unsigned char)c->text.p[k]) * 1099511628211ULL;
    } else {
        h ^= (uint64_t)c->i * 0x9e3779b97f4a7c15ULL;
        h ^= 0x5bd1e995;
    }
    return set_key(h);
}

static int set_insert(bm__map *m, int *over, uint64_t key)
{
    if (*over) return BM_OK;
    if (m->len >= BM_MAX_DISTINCT_TRACK && !bm__map_get(m, key)) {
        /* more distinct values than tracked: certainly >= 5% unique for any realistic count */
        *over = 1;
        bm__map_release(m);
        return BM_OK;
    }
    return bm__map_add(m, key, 1);
}

static int track_cell(bm__coltrack *t, const bm_cell *c)
{
    t->n[c->kind]++;
    int64_t iv = 0;
    int str_int = 0;
    if (c->kind == BM_CELL_STR) {
        str_int = bm_py_parse_int(c->text, &iv);
        if (!str_int) t->n_str_notint++;
    }
    if (c->kind == BM_CELL_BOOL && c->textual) t->n_textual_bool++;
    if (!t->has_first) {
        t->has_first = 1;
        t->first = *c;
        t->first.text.p = NULL;
        t->first.text.n = 0;
    }
    double x = NAN;
    if (c->kind == BM_CELL_INT || c->kind == BM_CELL_FLOAT)
        x = c->f;
    else if (str_int)
        x = (double)iv;
    if (!isnan(x) && (!t->has_max || x > t->max)) {
        t->max = x;
        t->has_max = 1;
    }
    if (!t->distinct) return BM_OK;
    if (t->ints_on) {
        if (c->kind != BM_CELL_INT) {
            t->ints_on = 0;
            bm__map_release(&t->ints);
        } else if (set_insert(&t->ints, &t->ints_over, set_key((uint64_t)c->i))) {
            return BM_ENOMEM;
        }
    }
    if (t->texts_on) {
        int castable = c->kind == BM_CELL_INT || (c->kind == BM_CELL_STR && str_int);
        if (!castable) {
            t->texts_on = 0;
            bm__map_release(&t->texts);
        } else if (set_insert(&t->texts, &t->texts_over, text_key(c))) {
            return BM_ENOMEM;
        }
    }
    return BM_OK;
}

static int merge_set(bm__map *into, int *into_on, int *into_over, const bm__map *from, int from_on,
                     int from_over)
{
    if (!*into_on) return BM_OK;
    if (!from_on) {
        *into_on = 0;
        bm__map_release(into);
        return BM_OK;
    }
    if (from_over) {
        *into_over = 1;
        bm__map_release(into);
        return BM_OK;
    }
    for (size_t k = 0; k < from->cap; k++)
        if (from->keys[k] != UINT64_MAX && set_insert(into, into_over, from->keys[k]))
            return BM_ENOMEM;
    return BM_OK;
}

static int merge_track(bm__coltrack *a, const bm__coltrack *b)
{
    for (int k = 0; k < BM_CELL_NKINDS; k++)
        a->n[k] += b->n[k];
    a->n_str_notint += b->n_str_notint;
    a->n_textual_bool += b->n_textual_bool;
    if (!a->has_first && b->has_first) {
        a->has_first = 1;
        a->first = b->first;
    }
    if (b->has_max && (!a->has_max || b->max > a->max)) {
        a->has_max = 1;
        a->max = b->max;
    }
    if (!a->distinct) return BM_OK;
    if (merge_set(&a->ints, &a->ints_on, &a->ints_over, &b->ints, b->ints_on, b->ints_over))
        return BM_ENOMEM;
    return merge_set(&a->texts, &a->texts_on, &a->texts_over, &b->texts, b->texts_on,
                     b->texts_over);
}

/* ==================================================================== the cube */

bm_cube *bm_cube_new(const bm_plan *p)
{
    bm_cube *c = bm_calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->plan = p;
    c->tracks = bm_calloc(p->ntracks ? p->ntracks : 1, sizeof(*c->tracks));
    c->facet_dicts = bm_calloc(p->nfacets, sizeof(*c->facet_dicts));
    c->counts = bm_calloc(p->nfacets, sizeof(*c->counts));
    if (!c->tracks || !c->facet_dicts || !c->counts) {
        bm_free(c->tracks);
        bm_free(c->facet_dicts);
        bm_free(c->counts);
        bm_free(c);
        return NULL;
    }
    for (size_t col = 0; col < p->ncols; col++) {
        long t = p->track_of[col];
        if (t < 0) continue;
        if (distinct_tracked(p, col)) {
            c->tracks[t].distinct = 1;
            c->tracks[t].ints_on = c->tracks[t].texts_on = 1;
        }
    }
    for (size_t f = 0; f < p->nfacets; f++)
        bm__dict_init(&c->facet_dicts[f], BM_MAX_FACET_VALUES);
    bm__dict_init(&c->groups, BM_MAX_GROUP_VALUES);
    c->memo = bm_calloc(p->ncols, sizeof(bm__memo));
    if (!c->memo) {
        bm_cube_free(c);
        return NULL;
    }
    return c;
}

void bm_cube_free(bm_cube *c)
{
    if (!c) return;
    const bm_plan *p = c->plan;
    for (size_t t = 0; t < p->ntracks; t++) {
        bm__map_release(&c->tracks[t].ints);
        bm__map_release(&c->tracks[t].texts);
    }
    bm_free(c->tracks);
    for (size_t f = 0; f < p->nfacets; f++) {
        bm__dict_release(&c->facet_dicts[f]);
        bm__map_release(&c->counts[f]);
    }
    bm_free(c->facet_dicts);
    bm_free(c->counts);
    bm__dict_release(&c->groups);
    bm_free(c->ft.x);
    bm_free(c->ft.fc);
    bm_free(c->ft.pc);
    if (c->memo)
        for (size_t k = 0; k < p->ncols; k++)
            bm_free(c->memo[k].slots);
    bm_free(c->memo);
    bm_free(c->scratch);
    bm_free(c);
}

uint64_t bm_cube_rows(const bm_cube *c)
{
    return c->nrows;
}

/* With probability_threshold the prediction column holds scores: score > threshold is 1. */
static void threshold_score(const bm_plan *p, const bm_cell *in, bm_cell *out)
{
    double x = (in->kind == BM_CELL_INT || in->kind == BM_CELL_FLOAT) ? in->f : NAN;
    int pos = !isnan(x) && x > p->cfg->probability_threshold;
    memset(out, 0, sizeof(*out));
    out->kind = BM_CELL_INT;
    out->textual = 1;
    out->i = pos;
    out->f = pos;
    out->text.p = pos ? "1" : "0";
    out->text.n = 1;
}

static int ft_reserve(bm__ftstore *s, const bm_plan *p, size_t need)
{
    if (need <= s->cap) return BM_OK;
    size_t cap = s->cap ? s->cap : 1024;
    while (cap < need)
        cap *= 2;
    double *x = bm_reallocarray(s->x, cap, p->nft ? p->nft * sizeof(double) : 1);
    if (!x) return BM_ENOMEM;
    s->x = x;
    uint32_t *fc = bm_reallocarray(s->fc, cap, p->nfacets * sizeof(uint32_t));
    if (!fc) return BM_ENOMEM;
    s->fc = fc;
    uint16_t *pc = bm_reallocarray(s->pc, cap, sizeof(uint16_t));
    if (!pc) return BM_ENOMEM;
    s->pc = pc;
    s->cap = cap;
    return BM_OK;
}

static double feature_value(const bm_cell *c)
{
    switch (c->kind) {
    case BM_CELL_INT:
    case BM_CELL_FLOAT:
        return c->f;
    case BM_CELL_BOOL:
        return c->b;
    default:
        return NAN;
    }
}

static int limit_error(bm_error *err, long r, const char *what, const char *col, size_t max)
{
    if (r == -BM_ENOMEM) return bm_error_set(err, BM_ENOMEM, "out of memory");
    return bm_error_set(err, BM_ELIMIT,
                        "%s \"%s\" has more than %zu distinct values: name a column with fewer "
                        "values, or bucket this one",
                        what, col, max);
}

int bm_cube_add(bm_cube *c, const bm_cell *cells, bm_error *err)
{
    const bm_plan *p = c->plan;
    bm_cell pred;
    const bm_cell *predp = NULL;
    if (p->pred_col >= 0) {
        predp = &cells[p->pred_col];
        if (p->cfg->has_probability_threshold) {
            threshold_score(p, predp, &pred);
            predp = &pred;
        }
    }
    for (size_t k = 0; k < p->nused; k++) {
        size_t col = p->used[k];
        const bm_cell *cell = (long)col == p->pred_col ? predp : &cells[col];
        if (track_cell(&c->tracks[p->track_of[col]], cell))
            return bm_error_set(err, BM_ENOMEM, "out of memory");
    }
    uint16_t lc = bm__match(&p->label_m, &cells[p->label_col]);
    uint16_t pc = predp ? bm__match(&p->label_m, predp) : 0;
    uint32_t g = 0;
    if (p->group_col >= 0) {
        long id = bm__dict_id(&c->groups, &cells[p->group_col]);
        if (id < 0)
            return limit_error(err, id, "group_variable", p->colnames[p->group_col],
                               BM_MAX_GROUP_VALUES);
        g = (uint32_t)id + 1;
    }
    uint32_t fcs[64];
    uint32_t *fcv = p->nfacets <= 64 ? fcs : NULL;
    for (size_t f = 0; f < p->nfacets; f++) {
        const bm__facet_plan *fp = &p->facets[f];
        uint32_t fc;
        if (fp->one_vs_all) {
            long id = bm__dict_id(&c->facet_dicts[f], &cells[fp->col]);
            if (id < 0) return limit_error(err, id, "facet", fp->name, BM_MAX_FACET_VALUES);
            fc = (uint32_t)id;
        } else {
            fc = bm__match(&fp->m, &cells[fp->col]);
        }
        if (fcv) fcv[f] = fc;
        if (bm__map_add(&c->counts[f], BM__KEY(fc, g, lc, pc), 1))
            return bm_error_set(err, BM_ENOMEM, "out of memory");
    }
    if (p->want_ft) {
        bm__ftstore *s = &c->ft;
        if (ft_reserve(s, p, s->nrows + 1)) return bm_error_set(err, BM_ENOMEM, "out of memory");
        double *x = s->x + s->nrows * p->nft;
        for (size_t k = 0; k < p->nft; k++)
            x[k] = feature_value(&cells[p->ft_cols[k]]);
        for (size_t f = 0; f < p->nfacets; f++) {
            uint32_t fc =
                fcv ? fcv[f]
                    : (p->facets[f].one_vs_all
                           ? (uint32_t)bm__dict_id(&c->facet_dicts[f], &cells[p->facets[f].col])
                           : bm__match(&p->facets[f].m, &cells[p->facets[f].col]));
            s->fc[s->nrows * p->nfacets + f] = fc;
        }
        s->pc[s->nrows] = pc;
        s->nrows++;
    }
    c->nrows++;
    return BM_OK;
}

/* ==================================================================== the CSV hot path */

static int resolve_roles(bm_cube *c, size_t col, const bm_cell *raw, const bm_cell *tracked,
                         bm__roles *r, bm_error *err)
{
    const bm_plan *p = c->plan;
    memset(r, 0, sizeof(*r));
    if ((long)col == p->label_col) r->lmask = bm__match(&p->label_m, raw);
    if ((long)col == p->pred_col) r->pmask = bm__match(&p->label_m, tracked);
    if ((long)col == p->group_col) {
        long id = bm__dict_id(&c->groups, raw);
        if (id < 0)
            return limit_error(err, id, "group_variable", p->colnames[col], BM_MAX_GROUP_VALUES);
        r->gid1 = (uint32_t)id + 1;
    }
    for (size_t j = 0; j < p->nfacet_on[col] && j < BM__MEMO_FACETS; j++) {
        size_t f = p->facet_on[col][j];
        if (p->facets[f].one_vs_all) {
            long id = bm__dict_id(&c->facet_dicts[f], raw);
            if (id < 0)
                return limit_error(err, id, "facet", p->facets[f].name, BM_MAX_FACET_VALUES);
            r->fc[j] = (uint32_t)id;
        } else {
            r->fc[j] = bm__match(&p->facets[f].m, raw);
        }
    }
    return BM_OK;
}

static inline uint64_t text_hash(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 32);
}

int bm_cube_add_csv(bm_cube *c, const bm_slice *fields, size_t nfields, bm_error *err)
{
    const bm_plan *p = c->plan;
    uint16_t lc = 0, pc = 0;
    uint32_t g = 0;
    uint32_t fcs[64];
    if (p->nfacets > 64 || p->want_ft) {
        /* general path: the flip test needs every feature cell anyway */
        if (!c->scratch && !(c->scratch = bm_calloc(p->ncols, sizeof(bm_cell))))
            return bm_error_set(err, BM_ENOMEM, "out of memory");
        bm_cell *cells = c->scratch;
        for (size_t k = 0; k < p->nused; k++) {
            size_t col = p->used[k];
            bm_slice f = col < nfields ? fields[col] : (bm_slice){"", 0};
            bm_cell_from_csv(f, &cells[col]);
        }
        return bm_cube_add(c, cells, err);
    }
    for (size_t k = 0; k < p->nused; k++) {
        size_t col = p->used[k];
        bm_slice f = col < nfields ? fields[col] : (bm_slice){"", 0};
        bm__memo *m = &c->memo[col];
        bm__coltrack *t = &c->tracks[p->track_of[col]];
        bm__memo_slot *slot = NULL;
        bm__roles rr;
        const bm__roles *ro = &rr;
        if (!p->memo_ok[col]) {
            bm_cell cell;
            bm_cell_from_csv(f, &cell);
            if (track_cell(t, &cell)) return bm_error_set(err, BM_ENOMEM, "out of memory");
            continue;
        }
        uint64_t h = 0;
        if (f.n <= BM__MEMO_TEXT && c->nrows > 0 && (m->slots || m->lookups == 0)) {
            if (!m->slots && !(m->slots = bm_calloc(BM__MEMO_SLOTS, sizeof(bm__memo_slot))))
                return bm_error_set(err, BM_ENOMEM, "out of memory");
            h = text_hash(f.p, f.n);
            slot = &m->slots[h & (BM__MEMO_SLOTS - 1)];
            m->lookups++;
            int same = slot->used && slot->hash == h && slot->len == f.n;
            for (size_t i = 0; same && i < f.n; i++)
                same = slot->text[i] == f.p[i];
            if (same) {
                /* seen before: its distinct values, max and first row are already recorded */
                t->n[slot->cell.kind]++;
                t->n_str_notint += slot->str_notint;
                t->n_textual_bool += slot->cell.kind == BM_CELL_BOOL;
                ro = &slot->roles;
                goto have_roles;
            }
            /* a column of mostly distinct values (scores, ids) is not worth memoizing */
            if (++m->misses > 4096 && m->misses * 2 > m->lookups) {
                bm_free(m->slots);
                m->slots = NULL;
                slot = NULL;
            }
        }
        {
            bm_cell raw, tracked;
            bm_cell_from_csv(f, &raw);
            tracked = raw;
            if ((long)col == p->pred_col && p->cfg->has_probability_threshold)
                threshold_score(p, &raw, &tracked);
            if (track_cell(t, &tracked)) return bm_error_set(err, BM_ENOMEM, "out of memory");
            int r = resolve_roles(c, col, &raw, &tracked, &rr, err);
            if (r) return r;
            if (slot) {
                int64_t iv;
                slot->used = 1;
                slot->hash = h;
                slot->len = (uint8_t)f.n;
                memcpy(slot->text, f.p, f.n);
                slot->cell = tracked;
                slot->cell.text.p = NULL;
                slot->cell.text.n = 0;
                slot->str_notint =
                    tracked.kind == BM_CELL_STR && !bm_py_parse_int(tracked.text, &iv);
                slot->roles = rr;
            }
        }
    have_roles:
        if ((long)col == p->label_col) lc = ro->lmask;
        if ((long)col == p->pred_col) pc = ro->pmask;
        if ((long)col == p->group_col) g = ro->gid1;
        for (size_t j = 0; j < p->nfacet_on[col]; j++)
            fcs[p->facet_on[col][j]] = ro->fc[j];
    }
    for (size_t f = 0; f < p->nfacets; f++)
        if (bm__map_add(&c->counts[f], BM__KEY(fcs[f], g, lc, pc), 1))
            return bm_error_set(err, BM_ENOMEM, "out of memory");
    c->nrows++;
    return BM_OK;
}

/* ==================================================================== merge */

static int dict_remap(bm__dict *into, const bm__dict *from, uint32_t **map, bm_error *err,
                      const char *what, const char *name, size_t max)
{
    *map = bm_malloc((from->len ? from->len : 1) * sizeof(uint32_t));
    if (!*map) return bm_error_set(err, BM_ENOMEM, "out of memory");
    for (size_t id = 0; id < from->len; id++) {
        bm_cell cell;
        bm__dict_cell(from, id, &cell);
        long nid = bm__dict_id(into, &cell);
        if (nid < 0) {
            bm_free(*map);
            *map = NULL;
            return limit_error(err, nid, what, name, max);
        }
        (*map)[id] = (uint32_t)nid;
    }
    return BM_OK;
}

int bm_cube_merge(bm_cube *into, const bm_cube *from, bm_error *err)
{
    const bm_plan *p = into->plan;
    int r = BM_OK;
    uint32_t *gmap = NULL;
    uint32_t **fmaps = bm_calloc(p->nfacets, sizeof(uint32_t *));
    if (!fmaps) return bm_error_set(err, BM_ENOMEM, "out of memory");
    if (from->plan != p) {
        r = bm_error_set(err, BM_EINVAL, "cubes from different plans cannot be merged");
        goto out;
    }
    for (size_t t = 0; t < p->ntracks; t++)
        if (merge_track(&into->tracks[t], &from->tracks[t])) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            goto out;
        }
    if (p->group_col >= 0 &&
        (r = dict_remap(&into->groups, &from->groups, &gmap, err, "group_variable",
                        p->colnames[p->group_col], BM_MAX_GROUP_VALUES)))
        goto out;
    for (size_t f = 0; f < p->nfacets; f++) {
        if (p->facets[f].one_vs_all &&
            (r = dict_remap(&into->facet_dicts[f], &from->facet_dicts[f], &fmaps[f], err, "facet",
                            p->facets[f].name, BM_MAX_FACET_VALUES)))
            goto out;
        const bm__map *m = &from->counts[f];
        for (size_t k = 0; k < m->cap; k++) {
            uint64_t key = m->keys[k];
            if (key == UINT64_MAX) continue;
            uint32_t fc = BM__KEY_FC(key), g = BM__KEY_G(key);
            if (fmaps[f]) fc = fmaps[f][fc];
            if (g) g = gmap[g - 1] + 1;
            if (bm__map_add(&into->counts[f], BM__KEY(fc, g, BM__KEY_LC(key), BM__KEY_PC(key)),
                            m->vals[k])) {
                r = bm_error_set(err, BM_ENOMEM, "out of memory");
                goto out;
            }
        }
    }
    if (p->want_ft && from->ft.nrows) {
        bm__ftstore *s = &into->ft;
        const bm__ftstore *o = &from->ft;
        if (ft_reserve(s, p, s->nrows + o->nrows)) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(s->x + s->nrows * p->nft, o->x, o->nrows * p->nft * sizeof(double));
        memcpy(s->pc + s->nrows, o->pc, o->nrows * sizeof(uint16_t));
        for (size_t row = 0; row < o->nrows; row++)
            for (size_t f = 0; f < p->nfacets; f++) {
                uint32_t fc = o->fc[row * p->nfacets + f];
                if (fmaps[f] && fc >= from->facet_dicts[f].len) {
                    r = bm_error_set(err, BM_EINVAL,
                                     "flip-test row refers to an unknown facet value");
                    goto out;
                }
                s->fc[(s->nrows + row) * p->nfacets + f] = fmaps[f] ? fmaps[f][fc] : fc;
            }
        s->nrows += o->nrows;
    }
    into->nrows += from->nrows;
out:
    bm_free(gmap);
    for (size_t f = 0; f < p->nfacets; f++)
        bm_free(fmaps[f]);
    bm_free(fmaps);
    return r;
}
