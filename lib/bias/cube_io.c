/* The cube as a value on disk: JSON serialization that restores it exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/jsonw.h"
#include "plan.h"

#define CUBE_FORMAT 1

static json_t *num_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *cell_json(const bm_cell *c)
{
    return json_pack("[iiiIos#]", c->kind, c->textual, c->b, (json_int_t)c->i, num_or_null(c->f),
                     c->text.p ? c->text.p : "", (int)c->text.n);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The keys of a map, sorted, as JSON (with values when with_vals). */
static json_t *map_json(const bm__map *m, int with_vals)
{
    uint64_t *k = bm_malloc((m->len ? m->len : 1) * sizeof(uint64_t));
    json_t *a = json_array();
    if (!k || !a) goto fail;
    size_t n = 0;
    for (size_t s = 0; s < m->cap; s++)
        if (m->keys[s] != UINT64_MAX) k[n++] = m->keys[s];
    qsort(k, n, sizeof(uint64_t), cmp_u64);
    for (size_t i = 0; i < n; i++) {
        json_t *e = with_vals
                        ? json_pack("[II]", (json_int_t)k[i], (json_int_t)bm__map_get(m, k[i]))
                        : json_integer((json_int_t)k[i]);
        if (!e || json_array_append_new(a, e)) goto fail;
    }
    bm_free(k);
    return a;
fail:
    bm_free(k);
    json_decref(a);
    return NULL;
}

static json_t *dict_json(const bm__dict *d)
{
    json_t *a = json_array();
    for (size_t id = 0; a && id < d->len; id++) {
        bm_cell c;
        bm__dict_cell(d, id, &c);
        if (json_array_append_new(a, cell_json(&c))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *track_json(const bm__coltrack *t)
{
    json_t *n = json_pack("[IIIII]", (json_int_t)t->n[0], (json_int_t)t->n[1], (json_int_t)t->n[2],
                          (json_int_t)t->n[3], (json_int_t)t->n[4]);
    json_t *o =
        json_pack("{s:o,s:I,s:I,s:o,s:o,s:b,s:b,s:b,s:b,s:b}", "n", n, "str_notint",
                  (json_int_t)t->n_str_notint, "textual_bool", (json_int_t)t->n_textual_bool,
                  "first", t->has_first ? cell_json(&t->first) : json_null(), "max",
                  !t->has_max     ? json_null()
                  : isinf(t->max) ? json_string(t->max > 0 ? "inf" : "-inf")
                                  : json_real(t->max),
                  "distinct", t->distinct, "ints_on", t->ints_on, "ints_over", t->ints_over,
                  "texts_on", t->texts_on, "texts_over", t->texts_over);
    if (!o) return NULL;
    if (t->ints_on && !t->ints_over && json_object_set_new(o, "ints", map_json(&t->ints, 0)))
        goto fail;
    if (t->texts_on && !t->texts_over && json_object_set_new(o, "texts", map_json(&t->texts, 0)))
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

int bm_cube_write(const bm_cube *c, bm_buf *out)
{
    const bm_plan *p = c->plan;
    int r = BM_ENOMEM;
    json_t *root = json_object(), *cols = json_array(), *tracks = json_array(),
           *fvals = json_array(), *counts = json_array();
    if (!root || !cols || !tracks || !fvals || !counts) goto out;
    json_object_set_new(root, "biasmon_cube", json_integer(CUBE_FORMAT));
    json_object_set_new(root, "columns", cols);
    json_object_set_new(root, "rows", json_integer((json_int_t)c->nrows));
    json_object_set_new(root, "tracks", tracks);
    json_object_set_new(root, "facet_values", fvals);
    json_object_set_new(root, "counts", counts);
    for (size_t k = 0; k < p->ncols; k++)
        if (json_array_append_new(cols, json_string(p->colnames[k]))) goto out;
    for (size_t t = 0; t < p->ntracks; t++)
        if (json_array_append_new(tracks, track_json(&c->tracks[t]))) goto out;
    if (json_object_set_new(root, "groups", dict_json(&c->groups))) goto out;
    for (size_t f = 0; f < p->nfacets; f++)
        if (json_array_append_new(fvals, dict_json(&c->facet_dicts[f])) ||
            json_array_append_new(counts, map_json(&c->counts[f], 1)))
            goto out;
    if (p->want_ft) {
        json_t *x = json_array(), *fc = json_array(), *pc = json_array();
        if (json_object_set_new(root, "ft", json_pack("{s:o,s:o,s:o}", "x", x, "fc", fc, "pc", pc)))
            goto out;
        for (size_t i = 0; i < c->ft.nrows * p->nft; i++)
            if (json_array_append_new(x, num_or_null(c->ft.x[i]))) goto out;
        for (size_t i = 0; i < c->ft.nrows * p->nfacets; i++)
            if (json_array_append_new(fc, json_integer(c->ft.fc[i]))) goto out;
        for (size_t i = 0; i < c->ft.nrows; i++)
            if (json_array_append_new(pc, json_integer(c->ft.pc[i]))) goto out;
    }
    r = bm_json_write(root, 0, out);
out:
    json_decref(root);
    return r;
}

/* ---- reading ---- */

static int bad(bm_error *err, const char *what)
{
    return bm_error_set(err, BM_EPARSE, "not a biasmon cube for this configuration: %s", what);
}

static int read_cell(json_t *j, bm_cell *c, bm_buf *texts, bm_error *err)
{
    json_int_t kind, textual, b, i;
    json_t *f;
    const char *s;
    size_t sl;
    memset(c, 0, sizeof(*c));
    if (json_unpack(j, "[IIIIos%]", &kind, &textual, &b, &i, &f, &s, &sl) || kind < 0 ||
        kind >= BM_CELL_NKINDS || textual < 0 || textual > 1 || b < 0 || b > 1)
        return bad(err, "bad cell");
    c->kind = (uint8_t)kind;
    c->textual = (uint8_t)textual;
    c->b = (uint8_t)b;
    c->i = i;
    c->f = json_is_number(f) ? json_number_value(f) : NAN;
    c->text.p = s;
    c->text.n = sl;
    (void)texts;
    return BM_OK;
}

static int read_dict(json_t *a, bm__dict *d, bm_error *err)
{
    if (!json_is_array(a)) return bad(err, "dictionary is not a list");
    for (size_t k = 0; k < json_array_size(a); k++) {
        bm_cell c;
        int r = read_cell(json_array_get(a, k), &c, NULL, err);
        if (r) return r;
        long id = bm__dict_id(d, &c);
        if (id == -BM_ENOMEM) return bm_error_set(err, BM_ENOMEM, "out of memory");
        if (id != (long)k) return bad(err, "dictionary has duplicates or too many values");
    }
    return BM_OK;
}

static int read_set(json_t *a, bm__map *m, bm_error *err)
{
    if (!a) return BM_OK;
    if (!json_is_array(a)) return bad(err, "set is not a list");
    for (size_t k = 0; k < json_array_size(a); k++) {
        json_t *v = json_array_get(a, k);
        if (!json_is_integer(v) || (uint64_t)json_integer_value(v) == UINT64_MAX)
            return bad(err, "bad set value");
        if (bm__map_add(m, (uint64_t)json_integer_value(v), 1))
            return bm_error_set(err, BM_ENOMEM, "out of memory");
    }
    return BM_OK;
}

static int read_track(json_t *j, bm__coltrack *t, bm_error *err)
{
    json_int_t n[5], sn, tb;
    json_t *first, *max, *ints = NULL, *texts = NULL;
    int distinct, ion, iov, ton, tov;
    if (json_unpack(j, "{s:[IIIII],s:I,s:I,s:o,s:o,s:b,s:b,s:b,s:b,s:b,s?o,s?o}", "n", &n[0], &n[1],
                    &n[2], &n[3], &n[4], "str_notint", &sn, "textual_bool", &tb, "first", &first,
                    "max", &max, "distinct", &distinct, "ints_on", &ion, "ints_over", &iov,
                    "texts_on", &ton, "texts_over", &tov, "ints", &ints, "texts", &texts))
        return bad(err, "bad column facts");
    for (int k = 0; k < 5; k++) {
        if (n[k] < 0) return bad(err, "negative count");
        t->n[k] = (uint64_t)n[k];
    }
    t->n_str_notint = (uint64_t)sn;
    t->n_textual_bool = (uint64_t)tb;
    if (!json_is_null(first)) {
        int r = read_cell(first, &t->first, NULL, err);
        if (r) return r;
        t->first.text.p = NULL;
        t->first.text.n = 0;
        t->has_first = 1;
    }
    if (json_is_number(max)) {
        t->has_max = 1;
        t->max = json_number_value(max);
    } else if (json_is_string(max) && (!strcmp(json_string_value(max), "inf") ||
                                       !strcmp(json_string_value(max), "-inf"))) {
        t->has_max = 1;
        t->max = json_string_value(max)[0] == '-' ? -INFINITY : INFINITY;
    } else if (!json_is_null(max)) {
        return bad(err, "bad column maximum");
    }
    if (distinct != t->distinct) return bad(err, "column facts do not match the plan");
    t->ints_on = ion;
    t->ints_over = iov;
    t->texts_on = ton;
    t->texts_over = tov;
    if (!t->ints_on) bm__map_release(&t->ints);
    if (!t->texts_on) bm__map_release(&t->texts);
    int r = read_set(ints, &t->ints, err);
    return r ? r : read_set(texts, &t->texts, err);
}

int bm_cube_read(const bm_plan *p, const char *text, size_t len, bm_cube **out, bm_error *err)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root) {
        return bm_json_error(err, NULL, &je);
    }
    int r;
    bm_cube *c = bm_cube_new(p);
    if (!c) {
        r = bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    json_int_t fmt, rows;
    json_t *cols, *tracks, *groups, *fvals, *counts, *ft = NULL;
    if (json_unpack(root, "{s:I,s:o,s:I,s:o,s:o,s:o,s:o,s?o}", "biasmon_cube", &fmt, "columns",
                    &cols, "rows", &rows, "tracks", &tracks, "groups", &groups, "facet_values",
                    &fvals, "counts", &counts, "ft", &ft) ||
        fmt != CUBE_FORMAT || rows < 0) {
        r = bad(err, "missing members or unknown format");
        goto out;
    }
    c->nrows = (uint64_t)rows;
    if (!json_is_array(cols) || json_array_size(cols) != p->ncols) {
        r = bad(err, "different columns");
        goto out;
    }
    for (size_t k = 0; k < p->ncols; k++) {
        json_t *s = json_array_get(cols, k);
        if (!json_is_string(s) || strcmp(json_string_value(s), p->colnames[k])) {
            r = bad(err, "different columns");
            goto out;
        }
    }
    if (!json_is_array(tracks) || json_array_size(tracks) != p->ntracks) {
        r = bad(err, "column facts do not match the plan");
        goto out;
    }
    for (size_t t = 0; t < p->ntracks; t++)
        if ((r = read_track(json_array_get(tracks, t), &c->tracks[t], err))) goto out;
    if ((r = read_dict(groups, &c->groups, err))) goto out;
    if (!json_is_array(fvals) || json_array_size(fvals) != p->nfacets || !json_is_array(counts) ||
        json_array_size(counts) != p->nfacets) {
        r = bad(err, "facets do not match the plan");
        goto out;
    }
    for (size_t f = 0; f < p->nfacets; f++) {
        if ((r = read_dict(json_array_get(fvals, f), &c->facet_dicts[f], err))) goto out;
        json_t *cm = json_array_get(counts, f);
        if (!json_is_array(cm)) {
            r = bad(err, "counts are not a list");
            goto out;
        }
        uint64_t total = 0;
        for (size_t k = 0; k < json_array_size(cm); k++) {
            json_int_t key, n;
            if (json_unpack(json_array_get(cm, k), "[II]", &key, &n) || n < 0 ||
                (uint64_t)key == UINT64_MAX || (uint64_t)n > c->nrows - total) {
                r = bad(err, "bad count (or counts exceeding the rows)");
                goto out;
            }
            uint32_t fc = BM__KEY_FC((uint64_t)key), g = BM__KEY_G((uint64_t)key);
            if ((p->facets[f].one_vs_all && fc >= c->facet_dicts[f].len) || g > c->groups.len ||
                (p->group_col < 0 && g)) {
                r = bad(err, "count refers to an unknown value");
                goto out;
            }
            total += (uint64_t)n;
            if (bm__map_add(&c->counts[f], (uint64_t)key, (uint64_t)n)) {
                r = bm_error_set(err, BM_ENOMEM, "out of memory");
                goto out;
            }
        }
        if (total != c->nrows) {
            r = bad(err, "counts do not add up to the rows");
            goto out;
        }
    }
    if (p->want_ft) {
        json_t *x, *fc, *pc;
        if (!ft || json_unpack(ft, "{s:o,s:o,s:o}", "x", &x, "fc", &fc, "pc", &pc) ||
            !json_is_array(x) || !json_is_array(fc) || !json_is_array(pc) ||
            json_array_size(pc) != c->nrows || json_array_size(x) != c->nrows * p->nft ||
            json_array_size(fc) != c->nrows * p->nfacets) {
            r = bad(err, "flip-test rows missing or inconsistent");
            goto out;
        }
        bm__ftstore *s = &c->ft;
        size_t nx = c->nrows * p->nft, nfc = c->nrows * p->nfacets;
        s->x = bm_malloc((nx ? nx : 1) * sizeof(double));
        s->fc = bm_malloc((nfc ? nfc : 1) * sizeof(uint32_t));
        s->pc = bm_malloc((c->nrows ? c->nrows : 1) * sizeof(uint16_t));
        if (!s->x || !s->fc || !s->pc) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            goto out;
        }
        s->cap = s->nrows = c->nrows;
        for (size_t i = 0; i < c->nrows * p->nft; i++) {
            json_t *v = json_array_get(x, i);
            s->x[i] = json_is_number(v) ? json_number_value(v) : NAN;
        }
        for (size_t i = 0; i < c->nrows * p->nfacets; i++) {
            json_t *v = json_array_get(fc, i);
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                json_integer_value(v) > UINT32_MAX) {
                r = bad(err, "bad flip-test row");
                goto out;
            }
            s->fc[i] = (uint32_t)json_integer_value(v);
            size_t f = i % p->nfacets;
            if (p->facets[f].one_vs_all && s->fc[i] >= c->facet_dicts[f].len) {
                r = bad(err, "flip-test row refers to an unknown facet value");
                goto out;
            }
        }
        for (size_t i = 0; i < c->nrows; i++) {
            json_t *v = json_array_get(pc, i);
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                json_integer_value(v) > 0x1fff) {
                r = bad(err, "bad flip-test row");
                goto out;
            }
            s->pc[i] = (uint16_t)json_integer_value(v);
        }
    }
    *out = c;
    c = NULL;
    r = BM_OK;
out:
    bm_cube_free(c);
    json_decref(root);
    return r;
}
