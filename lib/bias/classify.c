/* Binarization support: how a cell compares with the user's values under every dtype pandas
 * might give its column, plus the hash tables the cube is built from. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"

/* ---- the matcher ---- */

int bm__matcher_init(bm__matcher *m, const bm_value *vals, size_t n)
{
    memset(m, 0, sizeof(*m));
    m->vals = vals;
    m->n = n;
    if (!n) return BM_OK;
    m->conv_int = bm_calloc(n, sizeof(double));
    m->conv_float = bm_calloc(n, sizeof(double));
    m->pystr = bm_calloc(n, sizeof(char *));
    m->pystr_len = bm_calloc(n, sizeof(size_t));
    m->truthy = bm_calloc(n, 1);
    if (!m->conv_int || !m->conv_float || !m->pystr || !m->pystr_len || !m->truthy) goto nomem;

    /* threshold: the first value; a string is converted with float() (ensure_series_data_type) */
    const bm_value *v0 = &vals[0];
    if (v0->kind == BM_VAL_STR) {
        bm_slice s = {v0->s, v0->slen};
        m->t_ok = bm_py_parse_float(s, &m->t);
    } else {
        m->t_ok = 1;
        m->t = v0->f;
        m->t_is_int = v0->kind == BM_VAL_INT || v0->kind == BM_VAL_BOOL;
    }

    /* float(v) for every value */
    m->conv_float_ok = 1;
    for (size_t k = 0; k < n; k++) {
        if (vals[k].kind != BM_VAL_STR) {
            m->conv_float[k] = vals[k].f;
        } else {
            bm_slice s = {vals[k].s, vals[k].slen};
            if (!bm_py_parse_float(s, &m->conv_float[k]) && m->conv_float_ok) {
                m->conv_float_ok = 0;
                snprintf(m->conv_float_err, sizeof(m->conv_float_err),
                         "could not convert string to float: '%s'", vals[k].s);
            }
        }
    }
    /* int(v): floats truncate; a string int() rejects makes every value go through float() */
    m->conv_int_ok = 1;
    int need_float = 0;
    for (size_t k = 0; k < n && !need_float; k++) {
        if (vals[k].kind == BM_VAL_STR) {
            bm_slice s = {vals[k].s, vals[k].slen};
            int64_t iv;
            if (bm_py_parse_int(s, &iv))
                m->conv_int[k] = (double)iv;
            else
                need_float = 1;
        } else if (vals[k].kind == BM_VAL_FLOAT) {
            if (!isfinite(vals[k].f)) {
                m->conv_int_ok = 0;
                snprintf(m->conv_int_err, sizeof(m->conv_int_err),
                         "cannot convert float %s to integer",
                         isnan(vals[k].f) ? "NaN" : "infinity");
            }
            m->conv_int[k] = trunc(vals[k].f);
        } else {
            m->conv_int[k] = vals[k].f;
        }
    }
    if (need_float) {
        m->conv_int_ok = m->conv_float_ok;
        snprintf(m->conv_int_err, sizeof(m->conv_int_err), "%s", m->conv_float_err);
        memcpy(m->conv_int, m->conv_float, n * sizeof(double));
    }
    /* str(v) and bool(v) */
    for (size_t k = 0; k < n; k++) {
        char tmp[64];
        const char *s = tmp;
        size_t len;
        if (vals[k].kind == BM_VAL_STR) {
            s = vals[k].s;
            len = vals[k].slen;
            m->truthy[k] = len > 0;
        } else {
            len = bm_value_str(&vals[k], tmp, sizeof(tmp));
            m->truthy[k] = vals[k].f != 0;
        }
        m->pystr[k] = bm_strndup(s, len);
        if (!m->pystr[k]) goto nomem;
        m->pystr_len[k] = len;
    }
    return BM_OK;
nomem:
    bm__matcher_release(m);
    return BM_ENOMEM;
}

void bm__matcher_release(bm__matcher *m)
{
    if (m->pystr)
        for (size_t k = 0; k < m->n; k++)
            bm_free(m->pystr[k]);
    bm_free(m->pystr);
    bm_free(m->pystr_len);
    bm_free(m->conv_int);
    bm_free(m->conv_float);
    bm_free(m->truthy);
    memset(m, 0, sizeof(*m));
}

static int num_eq_any(const bm__matcher *m, const bm_cell *c, double x)
{
    for (size_t k = 0; k < m->n; k++) {
        const bm_value *v = &m->vals[k];
        if (v->kind == BM_VAL_STR) continue;
        if (c->kind == BM_CELL_INT && v->kind == BM_VAL_INT) {
            if (c->i == v->i) return 1;
        } else if (x == v->f) {
            return 1;
        }
    }
    return 0;
}

static int in_list(const double *list, size_t n, double x)
{
    for (size_t k = 0; k < n; k++)
        if (list[k] == x) return 1;
    return 0;
}

static int str_eq_any(const bm__matcher *m, bm_slice s)
{
    for (size_t k = 0; k < m->n; k++) {
        const bm_value *v = &m->vals[k];
        if (v->kind == BM_VAL_STR && v->slen == s.n && memcmp(v->s, s.p, s.n) == 0) return 1;
    }
    return 0;
}

static int pystr_eq_any(const bm__matcher *m, bm_slice s)
{
    for (size_t k = 0; k < m->n; k++)
        if (m->pystr_len[k] == s.n && memcmp(m->pystr[k], s.p, s.n) == 0) return 1;
    return 0;
}

static int truthy_eq_any(const bm__matcher *m, double x)
{
    for (size_t k = 0; k < m->n; k++)
        if ((double)m->truthy[k] == x) return 1;
    return 0;
}

static uint16_t cont_bits(const bm__matcher *m, double x)
{
    uint16_t r = 0;
    if (!m->t_ok || isnan(x)) return 0;
    if (x > m->t) r |= BM_M_CONT;
    if (isfinite(x) && trunc(x) > m->t) r |= BM_M_CONT_TRUNC;
    return r;
}

/* Bits for a cell whose Python value is a number or bool x (object column of JSON values). */
static uint16_t obj_native_bits(const bm__matcher *m, const bm_cell *c, double x)
{
    uint16_t r = 0;
    if (num_eq_any(m, c, x)) r |= BM_M_OBJ_DIRECT;
    if (m->conv_float_ok && in_list(m->conv_float, m->n, x)) r |= BM_M_OBJ_FB_FLOAT;
    if (truthy_eq_any(m, x)) r |= BM_M_OBJ_FB_BOOL;
    if (m->conv_int_ok && in_list(m->conv_int, m->n, x)) r |= BM_M_OBJ_FB_INT;
    return r;
}

/* Bits for a cell whose Python value in an object column is the string s. */
static uint16_t obj_str_bits(const bm__matcher *m, bm_slice s)
{
    uint16_t r = 0;
    if (str_eq_any(m, s)) r |= BM_M_OBJ_DIRECT;
    if (pystr_eq_any(m, s)) r |= BM_M_OBJ_FB_STR;
    return r;
}

uint16_t bm__match(const bm__matcher *m, const bm_cell *c)
{
    uint16_t r = 0;
    if (!m->n) return 0;
    switch (c->kind) {
    case BM_CELL_MISSING:
        return 0;
    case BM_CELL_INT:
    case BM_CELL_FLOAT: {
        double x = c->f;
        if (num_eq_any(m, c, x)) r |= BM_M_NUM_DIRECT;
        if (m->conv_int_ok && in_list(m->conv_int, m->n, x)) r |= BM_M_NUM_FB_INT;
        if (m->conv_float_ok && in_list(m->conv_float, m->n, x)) r |= BM_M_NUM_FB_FLOAT;
        r |= cont_bits(m, x);
        r |= c->textual ? obj_str_bits(m, c->text) : obj_native_bits(m, c, x);
        return r;
    }
    case BM_CELL_BOOL: {
        double x = c->b;
        bm_cell as_num = *c;
        as_num.kind = BM_CELL_FLOAT;
        if (num_eq_any(m, &as_num, x)) r |= BM_M_BOOL_DIRECT;
        if (truthy_eq_any(m, x)) r |= BM_M_BOOL_FB;
        if (m->conv_float_ok && in_list(m->conv_float, m->n, x)) r |= BM_M_BOOL_FB_FLOAT;
        r |= c->textual ? obj_str_bits(m, c->text) : obj_native_bits(m, &as_num, x);
        return r;
    }
    case BM_CELL_STR: {
        r |= obj_str_bits(m, c->text);
        int64_t iv;
        if (bm_py_parse_int(c->text, &iv)) r |= cont_bits(m, (double)iv);
        return r;
    }
    }
    return 0;
}

/* ---- u64 map ---- */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

int bm__map_init(bm__map *m, size_t cap)
{
    size_t c = 16;
    while (c < cap)
        c <<= 1;
    m->keys = bm_malloc(c * sizeof(uint64_t));
    m->vals = bm_calloc(c, sizeof(uint64_t));
    if (!m->keys || !m->vals) {
        bm_free(m->keys);
        bm_free(m->vals);
        memset(m, 0, sizeof(*m));
        return BM_ENOMEM;
    }
    memset(m->keys, 0xff, c * sizeof(uint64_t));
    m->cap = c;
    m->len = 0;
    return BM_OK;
}

void bm__map_release(bm__map *m)
{
    bm_free(m->keys);
    bm_free(m->vals);
    memset(m, 0, sizeof(*m));
}

static int map_grow(bm__map *m)
{
    bm__map n;
    if (bm__map_init(&n, m->cap * 2)) return BM_ENOMEM;
    for (size_t k = 0; k < m->cap; k++) {
        if (m->keys[k] == UINT64_MAX) continue;
        size_t s = mix64(m->keys[k]) & (n.cap - 1);
        while (n.keys[s] != UINT64_MAX)
            s = (s + 1) & (n.cap - 1);
        n.keys[s] = m->keys[k];
        n.vals[s] = m->vals[k];
        n.len++;
    }
    bm__map_release(m);
    *m = n;
    return BM_OK;
}

int bm__map_add(bm__map *m, uint64_t key, uint64_t delta)
{
    if (!m->cap && bm__map_init(m, 16)) return BM_ENOMEM;
    size_t s = mix64(key) & (m->cap - 1);
    for (;;) {
        if (m->keys[s] == key) {
            m->vals[s] += delta;
            return BM_OK;
        }
        if (m->keys[s] == UINT64_MAX) break;
        s = (s + 1) & (m->cap - 1);
    }
    if ((m->len + 1) * 4 > m->cap * 3) {
        if (map_grow(m)) return BM_ENOMEM;
        return bm__map_add(m, key, delta);
    }
    m->keys[s] = key;
    m->vals[s] = delta;
    m->len++;
    return BM_OK;
}

uint64_t bm__map_get(const bm__map *m, uint64_t key)
{
    if (!m->cap) return 0;
    size_t s = mix64(key) & (m->cap - 1);
    while (m->keys[s] != UINT64_MAX) {
        if (m->keys[s] == key) return m->vals[s];
        s = (s + 1) & (m->cap - 1);
    }
    return 0;
}

/* ---- dictionary ---- */

void bm__dict_init(bm__dict *d, size_t max)
{
    memset(d, 0, sizeof(*d));
    d->max = max;
    d->text_max = 64u << 20;
}

void bm__dict_release(bm__dict *d)
{
    bm_free(d->ents);
    bm_free(d->text);
    bm_free(d->slots);
    memset(d, 0, sizeof(*d));
}

/* The identity of a value: textual cells are their text (with kind), JSON numbers their value. */
static uint64_t cell_hash(const bm_cell *c)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)c->kind ^ ((uint64_t)c->textual << 8);
    if (c->textual || c->kind == BM_CELL_STR) {
        for (size_t k = 0; k < c->text.n; k++)
            h = (h ^ (unsigned char)c->text.p[k]) * 1099511628211ULL;
    } else if (c->kind == BM_CELL_INT) {
        h ^= mix64((uint64_t)c->i);
    } else if (c->kind == BM_CELL_FLOAT) {
        uint64_t bits;
        memcpy(&bits, &c->f, 8);
        h ^= mix64(bits);
    } else if (c->kind == BM_CELL_BOOL) {
        h ^= c->b;
    }
    return mix64(h);
}

static int dent_eq(const bm__dict *d, const bm__dent *e, const bm_cell *c)
{
    if (e->kind != c->kind || e->textual != c->textual) return 0;
    if (c->textual || c->kind == BM_CELL_STR)
        return e->text_len == c->text.n && memcmp(d->text + e->text_off, c->text.p, c->text.n) == 0;
    if (c->kind == BM_CELL_INT) return e->i == c->i;
    if (c->kind == BM_CELL_FLOAT) return memcmp(&e->f, &c->f, 8) == 0;
    if (c->kind == BM_CELL_BOOL) return e->b == c->b;
    return 1;
}

static int dict_rehash(bm__dict *d, size_t nslots)
{
    uint32_t *s = bm_calloc(nslots, sizeof(uint32_t));
    if (!s) return BM_ENOMEM;
    for (size_t id = 0; id < d->len; id++) {
        bm_cell c;
        bm__dict_cell(d, id, &c);
        size_t k = cell_hash(&c) & (nslots - 1);
        while (s[k])
            k = (k + 1) & (nslots - 1);
        s[k] = (uint32_t)id + 1;
    }
    bm_free(d->slots);
    d->slots = s;
    d->nslots = nslots;
    return BM_OK;
}

long bm__dict_id(bm__dict *d, const bm_cell *c)
{
    if (!d->nslots && dict_rehash(d, 64)) return -BM_ENOMEM;
    uint64_t h = cell_hash(c);
    size_t k = h & (d->nslots - 1);
    while (d->slots[k]) {
        const bm__dent *e = &d->ents[d->slots[k] - 1];
        if (dent_eq(d, e, c)) return (long)d->slots[k] - 1;
        k = (k + 1) & (d->nslots - 1);
    }
    if (d->len >= d->max) return -BM_ELIMIT;
    if (d->len == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 16;
        bm__dent *ne = bm_reallocarray(d->ents, nc, sizeof(*ne));
        if (!ne) return -BM_ENOMEM;
        d->ents = ne;
        d->cap = nc;
    }
    size_t tl = (c->textual || c->kind == BM_CELL_STR) ? c->text.n : 0;
    if (tl) {
        if (d->text_len + tl > d->text_max) return -BM_ELIMIT;
        if (d->text_len + tl > d->text_cap) {
            size_t nc = d->text_cap ? d->text_cap : 1024;
            while (nc < d->text_len + tl)
                nc *= 2;
            char *nt = bm_realloc(d->text, nc);
            if (!nt) return -BM_ENOMEM;
            d->text = nt;
            d->text_cap = nc;
        }
        memcpy(d->text + d->text_len, c->text.p, tl);
    }
    bm__dent *e = &d->ents[d->len];
    e->kind = c->kind;
    e->textual = c->textual;
    e->b = c->b;
    e->i = c->i;
    e->f = c->f;
    e->text_off = (uint32_t)d->text_len;
    e->text_len = (uint32_t)tl;
    d->text_len += tl;
    long id = (long)d->len++;
    d->slots[k] = (uint32_t)id + 1;
    if (d->len * 2 > d->nslots && dict_rehash(d, d->nslots * 2)) return -BM_ENOMEM;
    return id;
}

void bm__dict_cell(const bm__dict *d, size_t id, bm_cell *out)
{
    const bm__dent *e = &d->ents[id];
    memset(out, 0, sizeof(*out));
    out->kind = e->kind;
    out->textual = e->textual;
    out->b = e->b;
    out->i = e->i;
    out->f = e->f;
    out->text.p = e->text_len ? d->text + e->text_off : "";
    out->text.n = e->text_len;
}

/* ---- dtype inference (pandas read_csv / DataFrame construction) ---- */

bm__dtype bm__coltrack_dtype(const bm__coltrack *t)
{
    uint64_t nm = t->n[BM_CELL_MISSING], ni = t->n[BM_CELL_INT], nf = t->n[BM_CELL_FLOAT],
             nb = t->n[BM_CELL_BOOL], ns = t->n[BM_CELL_STR];
    if (nm + ni + nf + nb + ns == 0) return BM_DT_EMPTY;
    if (ns) return BM_DT_OBJECT;
    if (nb) {
        if (ni + nf) return BM_DT_OBJECT;
        return nm ? BM_DT_OBJECT_BOOLNA : BM_DT_BOOL;
    }
    if (nf || nm) return BM_DT_FLOAT64;
    return BM_DT_INT64;
}
