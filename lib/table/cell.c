/* Cell typing with pandas' read_csv rules, and Python's int() and float() (which share them). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/cell.h"

/* pandas' default na_values (read_csv, keep_default_na=True), with their lengths. */
static const struct {
    const char *s;
    size_t n;
} na_tokens[] = {
    {"#N/A", 4}, {"#N/A N/A", 8}, {"#NA", 3},     {"-1.#IND", 7}, {"-1.#QNAN", 8}, {"-NaN", 4},
    {"-nan", 4}, {"1.#IND", 6},   {"1.#QNAN", 7}, {"<NA>", 4},    {"N/A", 3},      {"NA", 2},
    {"NULL", 4}, {"NaN", 3},      {"None", 4},    {"n/a", 3},     {"nan", 3},      {"null", 4},
};

static int is_na(bm_slice s)
{
    if (s.n == 0) return 1;
    if (s.n > 8) return 0;
    switch (s.p[0]) { /* every token starts with one of these */
    case '#':
    case '-':
    case '1':
    case '<':
    case 'N':
    case 'n':
        break;
    default:
        return 0;
    }
    for (size_t k = 0; k < sizeof(na_tokens) / sizeof(na_tokens[0]); k++)
        if (na_tokens[k].n == s.n && memcmp(na_tokens[k].s, s.p, s.n) == 0) return 1;
    return 0;
}

#define eq(s, lit) ((s).n == sizeof(lit) - 1 && memcmp((s).p, lit, sizeof(lit) - 1) == 0)

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bm_slice trim(bm_slice s)
{
    while (s.n && is_space(s.p[0]))
        s.p++, s.n--;
    while (s.n && is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* pandas' integer rule: optional spaces, sign, digits, optional spaces; fits int64. */
static int pd_int(bm_slice s, int64_t *out)
{
    s = trim(s);
    if (!s.n) return 0;
    size_t k = 0;
    int neg = 0;
    if (s.p[0] == '+' || s.p[0] == '-') neg = s.p[k++] == '-';
    if (k == s.n) return 0;
    uint64_t v = 0;
    for (; k < s.n; k++) {
        unsigned d = (unsigned char)s.p[k] - '0';
        if (d > 9) return 0;
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return 0;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX) return 0;
        *out = (int64_t)v;
    }
    return 1;
}

static int ci_eq(bm_slice s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n) return 0;
    for (size_t k = 0; k < n; k++)
        if (tolower((unsigned char)s.p[k]) != lit[k]) return 0;
    return 1;
}

/* pandas' float rule: decimal with optional fraction and exponent, or inf/infinity. */
static int pd_float(bm_slice s, double *out)
{
    s = trim(s);
    if (!s.n || s.n > 400) return 0;
    bm_slice t = s;
    int neg = 0;
    if (t.p[0] == '+' || t.p[0] == '-') {
        neg = t.p[0] == '-';
        t.p++, t.n--;
    }
    if (ci_eq(t, "inf") || ci_eq(t, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 1;
    }
    size_t k = 0, digits = 0;
    while (k < t.n && isdigit((unsigned char)t.p[k]))
        k++, digits++;
    if (k < t.n && t.p[k] == '.') {
        k++;
        while (k < t.n && isdigit((unsigned char)t.p[k]))
            k++, digits++;
    }
    if (!digits) return 0;
    if (k < t.n && (t.p[k] == 'e' || t.p[k] == 'E')) {
        size_t e = k + 1;
        if (e < t.n && (t.p[e] == '+' || t.p[e] == '-')) e++;
        size_t ed = e;
        while (e < t.n && isdigit((unsigned char)t.p[e]))
            e++;
        if (e == ed) return 0;
        k = e;
    }
    if (k != t.n) return 0;
    char tmp[416];
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = 0;
    *out = strtod(tmp, NULL);
    return 1;
}

/* A plain number: [-]digits[.digits] with at least one digit and at most 19 (v cannot overflow). */
typedef struct plain {
    uint64_t v;    /* the digits as an integer */
    size_t digits; /* all of them */
    size_t frac;   /* after the dot */
    int dot, neg;
} plain;

static int plain_number(bm_slice f, plain *p)
{
    if (!f.n || f.n > 24) return 0;
    p->neg = f.p[0] == '-';
    p->v = 0;
    p->digits = p->frac = 0;
    p->dot = 0;
    for (size_t k = (size_t)p->neg; k < f.n; k++) {
        unsigned d = (unsigned char)f.p[k] - '0';
        if (d > 9) {
            if (f.p[k] != '.' || p->dot) return 0;
            p->dot = 1;
            continue;
        }
        if (++p->digits > 19) return 0;
        p->v = p->v * 10 + d;
        p->frac += (size_t)p->dot;
    }
    return p->digits > 0;
}

/* When v fits 2^53 and the fraction has at most 22 digits, v and 10^frac are exact doubles, so
 * v / 10^frac is correctly rounded (Clinger's fast path): what strtod returns. 1 when used. */
static int plain_to_double(const plain *p, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (p->v > (1ULL << 53) || p->frac > 22) return 0;
    double x = (double)p->v / pow10[p->frac];
    *out = p->neg ? -x : x;
    return 1;
}

/* Plain decimals with a dot ("-12.345", "5.", ".5", "0.7310585786300049") by the fast path. */
static int fast_decimal(bm_slice field, double *out)
{
    plain p;
    return plain_number(field, &p) && p.dot && plain_to_double(&p, out);
}

void bm_cell_from_csv(bm_slice field, bm_cell *c)
{
    c->textual = 1;
    c->text = field;
    c->b = 0;
    c->i = 0;
    c->f = 0;
    /* fast path: plain integers of up to 18 digits ("-42") and plain decimals that
     * plain_to_double converts exactly */
    plain p;
    if (plain_number(field, &p)) {
        if (!p.dot && p.digits <= 18) {
            c->kind = BM_CELL_INT;
            c->i = p.neg ? -(int64_t)p.v : (int64_t)p.v;
            c->f = (double)c->i;
            return;
        }
        if (p.dot && plain_to_double(&p, &c->f)) {
            c->kind = BM_CELL_FLOAT;
            return;
        }
    }
    if (is_na(field)) {
        c->kind = BM_CELL_MISSING;
        c->f = NAN;
        return;
    }
    if (pd_int(field, &c->i)) {
        c->kind = BM_CELL_INT;
        c->f = (double)c->i;
        return;
    }
    if (pd_float(field, &c->f)) {
        c->kind = BM_CELL_FLOAT;
        return;
    }
    if (eq(field, "True") || eq(field, "TRUE") || eq(field, "true")) {
        c->kind = BM_CELL_BOOL;
        c->b = 1;
        return;
    }
    if (eq(field, "False") || eq(field, "FALSE") || eq(field, "false")) {
        c->kind = BM_CELL_BOOL;
        c->b = 0;
        return;
    }
    c->kind = BM_CELL_STR;
}

int bm_cell_from_json(json_t *v, bm_cell *c)
{
    memset(c, 0, sizeof(*c));
    switch (json_typeof(v)) {
    case JSON_NULL:
        c->kind = BM_CELL_MISSING;
        c->f = NAN;
        return BM_OK;
    case JSON_TRUE:
    case JSON_FALSE:
        c->kind = BM_CELL_BOOL;
        c->b = json_is_true(v);
        c->text.p = c->b ? "True" : "False";
        c->text.n = strlen(c->text.p);
        return BM_OK;
    case JSON_INTEGER:
        c->kind = BM_CELL_INT;
        c->i = (int64_t)json_integer_value(v);
        c->f = (double)c->i;
        return BM_OK;
    case JSON_REAL:
        c->kind = BM_CELL_FLOAT;
        c->f = json_real_value(v);
        return BM_OK;
    case JSON_STRING:
        c->kind = BM_CELL_STR;
        c->text.p = json_string_value(v);
        c->text.n = json_string_length(v);
        return BM_OK;
    default:
        return BM_EDATA;
    }
}

/* ---- Python's int() and float() ---- */

/* Copies s without underscores that sit between digits; fails on misplaced underscores. */
static int strip_underscores(bm_slice s, char *out, size_t outlen, size_t *n)
{
    size_t o = 0;
    for (size_t k = 0; k < s.n; k++) {
        char ch = s.p[k];
        if (ch == '_') {
            if (k == 0 || k + 1 == s.n || !isdigit((unsigned char)s.p[k - 1]) ||
                !isdigit((unsigned char)s.p[k + 1]))
                return 0;
            continue;
        }
        if (o + 1 >= outlen) return 0;
        out[o++] = ch;
    }
    out[o] = 0;
    *n = o;
    return 1;
}

int bm_py_parse_int(bm_slice s, int64_t *out)
{
    char tmp[128];
    size_t n;
    s = trim(s);
    if (!strip_underscores(s, tmp, sizeof(tmp), &n)) return 0;
    bm_slice t = {tmp, n};
    return pd_int(t, out);
}

int bm_py_parse_float(bm_slice s, double *out)
{
    if (fast_decimal(s, out)) return 1;
    int64_t iv;
    if (s.n && s.n <= 15 && pd_int(s, &iv) && s.p[0] != ' ' && s.p[s.n - 1] != ' ') {
        *out = iv == 0 && s.p[0] == '-' ? -0.0 : (double)iv; /* float("-0") is -0.0 */
        return 1;
    }
    char tmp[416];
    size_t n;
    s = trim(s);
    if (!strip_underscores(s, tmp, sizeof(tmp), &n)) return 0;
    bm_slice t = {tmp, n};
    bm_slice u = t;
    int neg = 0;
    if (u.n && (u.p[0] == '+' || u.p[0] == '-')) {
        neg = u.p[0] == '-';
        u.p++, u.n--;
    }
    if (ci_eq(u, "nan")) {
        *out = NAN;
        return 1;
    }
    (void)neg;
    return pd_float(t, out);
}
