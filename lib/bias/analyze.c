/* From a count cube to Clarify's analysis.json: typing decisions, binarization, every metric. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/knn.h"
#include "biasmon/pynum.h"
#include "plan.h"

/* ==================================================================== small helpers */

static const char *const pre_desc[BM_PRE_COUNT] = {
    "Conditional Demographic Disparity in Labels (CDDL)",
    "Class Imbalance (CI)",
    "Difference in Positive Proportions in Labels (DPL)",
    "Jensen-Shannon Divergence (JS)",
    "Kullback-Liebler Divergence (KL)",
    "Kolmogorov-Smirnov Distance (KS)",
    "L-p Norm (LP)",
    "Total Variation Distance (TVD)",
};
static const char *const post_desc[BM_POST_COUNT] = {
    "Accuracy Difference (AD)",
    "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "Difference in Acceptance Rates (DAR)",
    "Difference in Conditional Acceptance (DCA)",
    "Difference in Conditional Rejection (DCR)",
    "Disparate Impact (DI)",
    "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "Difference in Rejection Rates (DRR)",
    "Flip Test (FT)",
    "Generalized Entropy (GE)",
    "Recall Difference (RD)",
    "Specificity Difference (SD)",
    "Treatment Equality (TE)",
};

/* smclarify's divide(): 0/0 = 0, x/0 = +-inf. */
static double divide(double a, double b)
{
    if (b == 0 && a == 0) return 0.0;
    if (b == 0) return a < 0 ? -INFINITY : INFINITY;
    return a / b;
}

/* numpy's pairwise summation (np.sum of a float64 vector), so sums round as the reference's. */
static double pairwise_sum(const double *a, size_t n)
{
    if (n < 8) {
        double s = 0.;
        for (size_t i = 0; i < n; i++)
            s += a[i];
        return s;
    }
    if (n <= 128) {
        double r[8];
        for (int k = 0; k < 8; k++)
            r[k] = a[k];
        size_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int k = 0; k < 8; k++)
                r[k] += a[i + k];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

typedef enum { MV_FLOAT, MV_INT0, MV_ERROR, MV_NOMEM } mv_kind;
typedef struct mval {
    mv_kind kind;
    double v;
    char err[300];
} mval;

static mval mv_float(double v)
{
    mval m;
    m.kind = MV_FLOAT;
    m.v = v;
    m.err[0] = 0;
    return m;
}

static mval mv_int0(void)
{
    mval m = mv_float(0);
    m.kind = MV_INT0;
    return m;
}

/* Out of memory while computing a metric: the whole analysis fails (never a silent null). */
static mval mv_nomem(void)
{
    mval m = mv_float(0);
    m.kind = MV_NOMEM;
    return m;
}

static mval mv_error(const char *msg)
{
    mval m;
    m.kind = MV_ERROR;
    m.v = 0;
    snprintf(m.err, sizeof(m.err), "%s", msg);
    return m;
}

/* ==================================================================== column decisions */

typedef struct colsel {
    bm__dtype dt;
    int continuous;
    uint16_t bit; /* a row is positive / in d when its class has this bit */
    int failed;
    char msg[400]; /* "ValueError: ..." when failed */
} colsel;

static uint64_t nonmissing(const bm__coltrack *t)
{
    uint64_t s = 0;
    for (int k = 1; k < BM_CELL_NKINDS; k++)
        s += t->n[k];
    return s;
}

/* smclarify's series_datatype(): categorical (0) or continuous (1). */
static int is_continuous(const bm__coltrack *t, bm__dtype dt, size_t nvalues)
{
    if (nvalues > 1) return 0;
    uint64_t count = nonmissing(t);
    double uniq;
    switch (dt) {
    case BM_DT_OBJECT:
    case BM_DT_OBJECT_BOOLNA: {
        /* astype(int64) must succeed for every cell */
        int castable = t->n[BM_CELL_MISSING] == 0 && t->n[BM_CELL_FLOAT] == 0 &&
                       t->n[BM_CELL_BOOL] == 0 && t->n_str_notint == 0;
        if (!castable || !t->texts_on) return 0;
        uniq = t->texts_over ? 1.0 : divide((double)t->texts.len, (double)count);
        return uniq >= 0.05;
    }
    case BM_DT_FLOAT64:
        return 1;
    case BM_DT_INT64:
        if (!t->ints_on) return 0;
        uniq = t->ints_over ? 1.0 : divide((double)t->ints.len, (double)count);
        return uniq >= 0.05;
    default:
        return 0;
    }
}

/* Rows per class mask of one column, from facet 0's count map. */
typedef struct maskcount {
    uint16_t mask;
    uint64_t n;
} maskcount;

static int any_with_bit(const maskcount *mc, size_t n, uint16_t bit)
{
    for (size_t k = 0; k < n; k++)
        if ((mc[k].mask & bit) && mc[k].n) return 1;
    return 0;
}

static const char *exc_nopos =
    "Exception: 'label' has not positive elements. Double-check if 'label' and "
    "'positive_label_values'have correct data-types or values.";

/* Categorical selection: equality, and if that selects nothing, the values cast to the type of
 * the column's first element (smclarify's convert_positive_label_values). */
static void select_categorical(colsel *s, const bm__coltrack *t, const bm__matcher *m,
                               const maskcount *mc, size_t nmc)
{
    uint16_t direct;
    switch (s->dt) {
    case BM_DT_INT64:
    case BM_DT_FLOAT64:
        direct = BM_M_NUM_DIRECT;
        break;
    case BM_DT_BOOL:
    case BM_DT_OBJECT_BOOLNA:
        direct = BM_M_BOOL_DIRECT;
        break;
    default:
        direct = BM_M_OBJ_DIRECT;
        break;
    }
    s->bit = direct;
    if (any_with_bit(mc, nmc, direct) || s->dt == BM_DT_EMPTY) return;
    const bm_cell *first = &t->first;
    switch (s->dt) {
    case BM_DT_INT64:
        s->bit = BM_M_NUM_FB_INT;
        if (!m->conv_int_ok) {
            s->failed = 1;
            snprintf(s->msg, sizeof(s->msg), "ValueError: %s", m->conv_int_err);
        }
        return;
    case BM_DT_FLOAT64:
        s->bit = BM_M_NUM_FB_FLOAT;
        if (!m->conv_float_ok) {
            s->failed = 1;
            snprintf(s->msg, sizeof(s->msg), "%s", exc_nopos);
        }
        return;
    case BM_DT_BOOL:
        s->bit = BM_M_BOOL_FB;
        return;
    case BM_DT_OBJECT_BOOLNA:
        if (first->kind == BM_CELL_BOOL) {
            s->bit = BM_M_BOOL_FB;
        } else {
            s->bit = BM_M_BOOL_FB_FLOAT;
            if (!m->conv_float_ok) {
                s->failed = 1;
                snprintf(s->msg, sizeof(s->msg), "%s", exc_nopos);
            }
        }
        return;
    default:
        if (first->kind == BM_CELL_MISSING) {
            s->bit = BM_M_OBJ_FB_FLOAT;
            if (!m->conv_float_ok) {
                s->failed = 1;
                snprintf(s->msg, sizeof(s->msg), "%s", exc_nopos);
            }
        } else if (first->textual || first->kind == BM_CELL_STR) {
            s->bit = BM_M_OBJ_FB_STR;
        } else if (first->kind == BM_CELL_INT) {
            s->bit = BM_M_OBJ_FB_INT;
            if (!m->conv_int_ok) {
                s->failed = 1;
                snprintf(s->msg, sizeof(s->msg), "ValueError: %s", m->conv_int_err);
            }
        } else if (first->kind == BM_CELL_FLOAT) {
            s->bit = BM_M_OBJ_FB_FLOAT;
            if (!m->conv_float_ok) {
                s->failed = 1;
                snprintf(s->msg, sizeof(s->msg), "%s", exc_nopos);
            }
        } else {
            s->bit = BM_M_OBJ_FB_BOOL;
        }
        return;
    }
}

static const char *msg_threshold =
    "ValueError: Facet/label value provided must be a single numeric threshold for continuous data";

static void decide(colsel *s, const bm__coltrack *t, const bm__matcher *m, const maskcount *mc,
                   size_t nmc)
{
    memset(s, 0, sizeof(*s));
    s->dt = bm__coltrack_dtype(t);
    s->continuous = is_continuous(t, s->dt, m->n);
    if (s->continuous) {
        s->bit = BM_M_CONT;
        if (!m->t_ok) {
            s->failed = 1;
            snprintf(s->msg, sizeof(s->msg), "%s", msg_threshold);
        }
        return;
    }
    select_categorical(s, t, m, mc, nmc);
}

/* Interval text "(lo, hi]" of smclarify's _interval_index for threshold t and column max. */
static void interval_text(const bm__coltrack *t, bm__dtype dt, const bm__matcher *m, double max,
                          int has_max, char *out, size_t outlen)
{
    out[0] = 0;
    if (!has_max || fabs(max) == m->t) return; /* a single break: no interval */
    double lo = m->t < max ? m->t : max, hi = m->t < max ? max : m->t;
    int ints = (dt == BM_DT_INT64 || dt == BM_DT_OBJECT) && m->t_is_int;
    (void)t;
    if (ints) {
        snprintf(out, outlen, "(%lld, %lld]", (long long)lo, (long long)hi);
    } else {
        char a[40], b[40];
        bm_py_float_repr(lo, a, sizeof(a));
        bm_py_float_repr(hi, b, sizeof(b));
        snprintf(out, outlen, "(%s, %s]", a, b);
    }
}

static void values_text(const bm_value *v, size_t n, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t k = 0; k < n && used + 1 < outlen; k++) {
        if (k) out[used++] = ',';
        out[used] = 0;
        used += bm_value_str(&v[k], out + used, outlen - used);
        if (used >= outlen) used = outlen - 1;
    }
}

/* ==================================================================== counts per facet entry */

typedef struct gstat {
    uint64_t c[2][2][2]; /* [d][y][yhat] */
} gstat;

/* A facet entry: which facet classes form d. */
typedef struct fentry {
    char text[512];
    int by_mask;
    uint16_t bit;
    uint8_t *ids; /* one-vs-all: ids[fc] != 0 when fc is in d */
    size_t nids;
} fentry;

static int in_d(const fentry *e, uint32_t fc)
{
    if (e->by_mask) return (fc & e->bit) != 0;
    return fc < e->nids && e->ids[fc];
}

/* Merged group values, sorted as np.unique sorts them. */
typedef struct gsort {
    double num;
    const char *s;
    size_t slen;
    int is_nan;
    size_t first_id;
} gsort;

typedef struct groups {
    int failed;
    char msg[200];
    size_t n;    /* merged groups */
    long *of_id; /* dict id -> merged group index (-1: dropped) */
} groups;

static int gsort_num_cmp(const void *a, const void *b)
{
    const gsort *x = a, *y = b;
    if (x->is_nan != y->is_nan) return x->is_nan - y->is_nan;
    if (x->num < y->num) return -1;
    if (x->num > y->num) return 1;
    return x->first_id < y->first_id ? -1 : (x->first_id > y->first_id);
}

static int gsort_str_cmp(const void *a, const void *b)
{
    const gsort *x = a, *y = b;
    if (x->is_nan != y->is_nan) return x->is_nan - y->is_nan;
    if (!x->s || !y->s) return (x->s == NULL) - (y->s == NULL);
    size_t n = x->slen < y->slen ? x->slen : y->slen;
    int c = n ? memcmp(x->s, y->s, n) : 0;
    if (c) return c;
    if (x->slen != y->slen) return x->slen < y->slen ? -1 : 1;
    return x->first_id < y->first_id ? -1 : (x->first_id > y->first_id);
}

static int build_groups(const bm_cube *c, groups *g)
{
    const bm_plan *p = c->plan;
    memset(g, 0, sizeof(*g));
    const bm__dict *d = &c->groups;
    g->of_id = bm_malloc((d->len ? d->len : 1) * sizeof(long));
    gsort *v = bm_calloc(d->len ? d->len : 1, sizeof(gsort));
    if (!g->of_id || !v) {
        bm_free(v);
        return BM_ENOMEM;
    }
    bm__dtype dt = bm__coltrack_dtype(&c->tracks[p->track_of[p->group_col]]);
    int strings = 0, numbers = 0, nans = 0;
    for (size_t id = 0; id < d->len; id++) {
        bm_cell cell;
        bm__dict_cell(d, id, &cell);
        v[id].first_id = id;
        if (cell.kind == BM_CELL_MISSING) {
            v[id].is_nan = 1;
            nans++;
        } else if (dt == BM_DT_OBJECT && (cell.textual || cell.kind == BM_CELL_STR)) {
            v[id].s = cell.text.p;
            v[id].slen = cell.text.n;
            strings++;
        } else {
            v[id].num = cell.kind == BM_CELL_BOOL ? cell.b : cell.f;
            numbers++;
        }
    }
    if ((dt == BM_DT_OBJECT || dt == BM_DT_OBJECT_BOOLNA) && ((strings && (nans || numbers)))) {
        g->failed = 1;
        snprintf(g->msg, sizeof(g->msg), "'<' not supported between instances of '%s' and '%s'",
                 "str", nans ? "float" : "int");
    }
    if (strings)
        qsort(v, d->len, sizeof(gsort), gsort_str_cmp);
    else
        qsort(v, d->len, sizeof(gsort), gsort_num_cmp);
    size_t n = 0;
    for (size_t k = 0; k < d->len; k++) {
        if (v[k].is_nan) { /* NaN == NaN is false: such rows belong to no group */
            g->of_id[v[k].first_id] = -1;
            continue;
        }
        int same = k > 0 && !v[k - 1].is_nan &&
                   (strings ? (v[k - 1].s && v[k].s && v[k - 1].slen == v[k].slen &&
                               (v[k].slen == 0 || memcmp(v[k - 1].s, v[k].s, v[k].slen) == 0))
                            : v[k - 1].num == v[k].num);
        if (!same) n++;
        g->of_id[v[k].first_id] = (long)n - 1;
    }
    g->n = n;
    bm_free(v);
    return BM_OK;
}

/* ==================================================================== the metrics */

typedef struct ctx {
    const bm_cube *cube;
    const bm_plan *plan;
    size_t facet;
    const fentry *fe;
    uint16_t lbit, pbit;
    int have_pred;
    gstat all;  /* counts over every row */
    gstat *per; /* per merged group */
    const groups *grp;
    int nthreads;
} ctx;

static uint64_t S(const gstat *s, int d, int y, int yh)
{
    uint64_t t = 0;
    for (int a = 0; a < 2; a++)
        if (d < 0 || d == a)
            for (int b = 0; b < 2; b++)
                if (y < 0 || y == b)
                    for (int c = 0; c < 2; c++)
                        if (yh < 0 || yh == c) t += s->c[a][b][c];
    return t;
}

/* CDD over the binary outcome o (0: label, 1: prediction). */
static mval cdd(const ctx *x, int use_pred)
{
    if (x->plan->group_col < 0 || x->cube->nrows == 0)
        return mv_error("Group variable is empty or not provided");
    if (x->grp->failed) return mv_error(x->grp->msg);
    uint64_t pos = use_pred ? S(&x->all, -1, -1, 1) : S(&x->all, -1, 1, -1);
    uint64_t neg = use_pred ? S(&x->all, -1, -1, 0) : S(&x->all, -1, 0, -1);
    if (pos == 0) return mv_error("No positive labels in set");
    if (neg == 0) return mv_error("No negative labels in set");
    size_t n = x->grp->n;
    double *counts = bm_malloc((n ? n : 1) * sizeof(double) * 2);
    if (!counts) return mv_nomem();
    double *terms = counts + n;
    for (size_t i = 0; i < n; i++) {
        const gstat *s = &x->per[i];
        double numA, denomA, numD, denomD;
        if (use_pred) {
            numA = (double)S(s, 1, -1, 1);
            denomA = (double)S(s, -1, -1, 1);
            numD = (double)S(s, 1, -1, 0);
            denomD = (double)S(s, -1, -1, 0);
        } else {
            numA = (double)S(s, 1, 1, -1);
            denomA = (double)S(s, -1, 1, -1);
            numD = (double)S(s, 1, 0, -1);
            denomD = (double)S(s, -1, 0, -1);
        }
        double A = denomA != 0 ? numA / denomA : 0;
        double D = denomD != 0 ? numD / denomD : 0;
        counts[i] = (double)S(s, -1, -1, -1);
        terms[i] = counts[i] * (D - A);
    }
    double r = divide(pairwise_sum(terms, n), pairwise_sum(counts, n));
    bm_free(counts);
    return mv_float(r);
}

/* KL, JS, LP, TVD, KS on the aligned non-zero label distributions. */
typedef enum { D_KL, D_JS, D_LP, D_TVD, D_KS } dist_kind;

static mval distribution(const ctx *x, dist_kind k)
{
    double na = (double)S(&x->all, 0, -1, -1), nd = (double)S(&x->all, 1, -1, -1);
    double ca[2] = {(double)S(&x->all, 0, 0, -1), (double)S(&x->all, 0, 1, -1)};
    double cd[2] = {(double)S(&x->all, 1, 0, -1), (double)S(&x->all, 1, 1, -1)};
    double Pa[2], Pd[2];
    size_t n = 0;
    for (int v = 0; v < 2; v++) { /* False before True */
        if (ca[v] == 0 || cd[v] == 0) continue;
        Pa[n] = ca[v] / na;
        Pd[n] = cd[v] / nd;
        n++;
    }
    if (n == 0) return mv_error("No instance of common facet found, dataset may be too small");
    double r = 0;
    switch (k) {
    case D_KL:
        for (size_t i = 0; i < n; i++)
            r += Pa[i] * log(Pa[i] / Pd[i]);
        break;
    case D_JS: {
        double s1 = 0, s2 = 0;
        for (size_t i = 0; i < n; i++) {
            double P = 0.5 * (Pa[i] + Pd[i]);
            s1 += Pa[i] * log(Pa[i] / P);
            s2 += Pd[i] * log(Pd[i] / P);
        }
        r = 0.5 * (s1 + s2);
        break;
    }
    case D_LP:
        for (size_t i = 0; i < n; i++)
            r += (Pa[i] - Pd[i]) * (Pa[i] - Pd[i]);
        r = sqrt(r);
        break;
    case D_TVD:
        for (size_t i = 0; i < n; i++)
            r += fabs(Pa[i] - Pd[i]);
        r = 0.5 * r;
        break;
    case D_KS:
        for (size_t i = 0; i < n; i++)
            if (fabs(Pa[i] - Pd[i]) > r) r = fabs(Pa[i] - Pd[i]);
        break;
    }
    return mv_float(r);
}

static mval pre_metric(const ctx *x, int m)
{
    const gstat *s = &x->all;
    uint64_t na = S(s, 0, -1, -1), nd = S(s, 1, -1, -1);
    switch (m) {
    case BM_PRE_CDDL:
        return cdd(x, 0);
    case BM_PRE_CI:
        if (na == 0)
            return mv_error(
                "CI: negated facet set is empty. Check that x[~facet] has non-zero length.");
        if (nd == 0)
            return mv_error("CI: facet set is empty. Check that x[facet] has non-zero length.");
        return mv_float(((double)na - (double)nd) / ((double)na + (double)nd));
    case BM_PRE_DPL:
        if (na == 0) return mv_error("Negative facet set is empty.");
        if (nd == 0) return mv_error("Facet set is empty.");
        return mv_float((double)S(s, 0, 1, -1) / (double)na - (double)S(s, 1, 1, -1) / (double)nd);
    case BM_PRE_JS:
        return distribution(x, D_JS);
    case BM_PRE_KL:
        return distribution(x, D_KL);
    case BM_PRE_KS:
        return distribution(x, D_KS);
    case BM_PRE_LP:
        return distribution(x, D_LP);
    case BM_PRE_TVD:
        return distribution(x, D_TVD);
    }
    return mv_error("unknown metric");
}

static mval flip_test(const ctx *x);

/* a - d of two divide() ratios with the "both +inf" collapse to integer 0. */
static mval diff_collapse(double first, double second, int int_zero)
{
    if (first == second && first == INFINITY) return int_zero ? mv_int0() : mv_float(0.0);
    return mv_float(first - second);
}

static mval ge(const ctx *x)
{
    const gstat *s = &x->all;
    double N = (double)S(s, -1, -1, -1);
    if (N == 0) return mv_error("dataset must be non-empty");
    double n0 = (double)s->c[0][1][0] + (double)s->c[1][1][0]; /* false negatives: b = 0 */
    double n2 = (double)s->c[0][0][1] + (double)s->c[1][0][1]; /* false positives: b = 2 */
    double n1 = N - n0 - n2;
    double mu = (n1 + 2 * n2) / N;
    if (mu == 0)
        return mv_error("All predicted labels are false negatives. There should be at least one "
                        "prediction that is not false negative.");
    double r0 = 0 / mu, r1 = 1 / mu, r2 = 2 / mu;
    double sum = n0 * (r0 * r0 - 1) + n1 * (r1 * r1 - 1) + n2 * (r2 * r2 - 1);
    return mv_float(sum / (N * 2 * 1));
}

static mval post_metric(const ctx *x, int m)
{
    const gstat *s = &x->all;
    double na = (double)S(s, 0, -1, -1), nd = (double)S(s, 1, -1, -1);
    double TPa = (double)s->c[0][1][1], FNa = (double)s->c[0][1][0], FPa = (double)s->c[0][0][1],
           TNa = (double)s->c[0][0][0];
    double TPd = (double)s->c[1][1][1], FNd = (double)s->c[1][1][0], FPd = (double)s->c[1][0][1],
           TNd = (double)s->c[1][0][0];
    double na1 = TPa + FNa, nd1 = TPd + FNd, na0 = TNa + FPa, nd0 = TNd + FPd;
    double na1h = TPa + FPa, nd1h = TPd + FPd, na0h = TNa + FNa, nd0h = TNd + FNd;
    const char *pfx = "";
    switch (m) {
    case BM_POST_DCA:
    case BM_POST_DCR:
        pfx = "DCO: ";
        break;
    case BM_POST_DAR:
    case BM_POST_DRR:
        pfx = "DLR: ";
        break;
    case BM_POST_RD:
    case BM_POST_SD:
        pfx = "DLA: ";
        break;
    }
    char e1[64], e2[64];
    snprintf(e1, sizeof(e1), "%sFacet set is empty", pfx);
    snprintf(e2, sizeof(e2), "%sNegated Facet set is empty", pfx);
    switch (m) {
    case BM_POST_CDDPL:
        return cdd(x, 1);
    case BM_POST_GE:
        return ge(x);
    case BM_POST_FT:
        return flip_test(x);
    case BM_POST_DPPL:
        if (na == 0) return mv_error("Negative facet set is empty.");
        if (nd == 0) return mv_error("Facet set is empty.");
        return mv_float(na1h / na - nd1h / nd);
    case BM_POST_DI:
        if (na == 0) return mv_error("Negated facet set is empty");
        if (nd == 0) return mv_error("Facet set is empty");
        return mv_float(divide(nd1h / nd, na1h / na));
    default:
        break;
    }
    if (nd == 0) return mv_error(e1);
    if (na == 0) return mv_error(e2);
    switch (m) {
    case BM_POST_AD:
        return diff_collapse(divide(TPa + TNa, na), divide(TPd + TNd, nd), 0);
    case BM_POST_DCA:
        return diff_collapse(divide(na1, na1h), divide(nd1, nd1h), 1);
    case BM_POST_DCR:
        return diff_collapse(divide(nd0, nd0h), divide(na0, na0h), 1);
    case BM_POST_DAR:
        return diff_collapse(divide(TPa, na1h), divide(TPd, nd1h), 1);
    case BM_POST_DRR:
        return diff_collapse(divide(TNd, nd0h), divide(TNa, na0h), 1);
    case BM_POST_RD:
        return diff_collapse(divide(TPa, TPa + FNa), divide(TPd, TPd + FNd), 1);
    case BM_POST_SD:
        return diff_collapse(divide(TNd, TNd + FPd), divide(TNa, TNa + FPa), 1);
    case BM_POST_TE:
        return diff_collapse(divide(FNd, FPd), divide(FNa, FPa), 0);
    }
    return mv_error("unknown metric");
}

/* ==================================================================== the flip test */

static mval flip_test(const ctx *x)
{
    const bm_plan *p = x->plan;
    const bm_cube *c = x->cube;
    const bm__ftstore *s = &c->ft;
    uint64_t nd = S(&x->all, 1, -1, -1), na = S(&x->all, 0, -1, -1);
    if (nd == 0) return mv_error("Facet set is empty");
    if (na == 0) return mv_error("Negated Facet set is empty");
    long fcol = p->facets[x->facet].col;
    size_t *cols = bm_malloc((p->nft ? p->nft : 1) * sizeof(size_t));
    if (!cols) return mv_nomem();
    size_t nf = 0;
    int nonnum = 0, nan = 0, inf = 0;
    for (size_t k = 0; k < p->nft; k++) {
        long col = p->ft_cols[k];
        if (col == fcol) continue;
        const bm__coltrack *t = &c->tracks[p->track_of[col]];
        bm__dtype dt = bm__coltrack_dtype(t);
        if (dt == BM_DT_OBJECT || dt == BM_DT_OBJECT_BOOLNA) nonnum = 1;
        if (t->n[BM_CELL_MISSING]) nan = 1;
        cols[nf++] = k;
    }
    if (nonnum) {
        bm_free(cols);
        return mv_error("FlipTest does not support non-numeric columns");
    }
    if (nan) {
        bm_free(cols);
        return mv_error("Input X contains NaN.");
    }
    if (nf == 0) {
        bm_free(cols);
        return mv_error("Found array with 0 feature(s) while a minimum of 1 is required by "
                        "KNeighborsClassifier.");
    }
    double *train = bm_malloc(na * nf * sizeof(double));
    double *query = bm_malloc(nd * nf * sizeof(double));
    uint8_t *tl = bm_malloc(na), *ql = bm_malloc(nd), *out = bm_malloc(nd);
    mval r;
    if (!train || !query || !tl || !ql || !out) {
        r = mv_nomem();
        goto out;
    }
    size_t ia = 0, id = 0;
    for (size_t row = 0; row < s->nrows; row++) {
        const double *src = s->x + row * p->nft;
        int isd = in_d(x->fe, s->fc[row * p->nfacets + x->facet]);
        int yh = (s->pc[row] & x->pbit) != 0;
        double *dst;
        if (isd) {
            if (id >= nd) continue;
            dst = query + id * nf;
            ql[id++] = (uint8_t)yh;
        } else {
            if (ia >= na) continue;
            dst = train + ia * nf;
            tl[ia++] = (uint8_t)yh;
        }
        for (size_t k = 0; k < nf; k++) {
            dst[k] = src[cols[k]];
            if (!isfinite(dst[k])) inf = 1;
        }
    }
    if (ia != na || id != nd) {
        r = mv_error("flip test rows are not available for this cube");
        goto out;
    }
    if (inf) {
        r = mv_error("Input X contains infinity or a value too large for dtype('float64').");
        goto out;
    }
    int k = na > 9 ? 5 : 1;
    int kr = bm_knn_classify(train, tl, na, nf, query, nd, k, x->nthreads, out);
    if (kr) {
        r = kr == BM_ENOMEM ? mv_nomem() : mv_error("nearest-neighbour search failed");
        goto out;
    }
    double pos = 0, neg = 0;
    for (size_t i = 0; i < nd; i++) {
        if (ql[i] > out[i]) pos++;
        if (ql[i] < out[i]) neg++;
    }
    r = mv_float(divide(pos - neg, (double)nd));
out:
    bm_free(cols);
    bm_free(train);
    bm_free(query);
    bm_free(tl);
    bm_free(ql);
    bm_free(out);
    return r;
}

/* ==================================================================== JSON assembly */

static json_t *metric_json(const char *name, const char *desc, const mval *v)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_t *val;
    if (v->kind == MV_ERROR)
        val = json_null();
    else if (v->kind == MV_INT0)
        val = json_integer(0);
    else if (isinf(v->v))
        val = json_string(v->v > 0 ? "Infinity" : "-Infinity");
    else if (isnan(v->v))
        val = json_string("NaN");
    else
        val = json_real(v->v);
    if (json_object_set_new(o, "name", json_string(name)) ||
        json_object_set_new(o, "description", json_string(desc)) ||
        json_object_set_new(o, "value", val) ||
        (v->kind == MV_ERROR && json_object_set_new(o, "error", json_string(v->err)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Fills x->all and x->per for facet entry fe. */
static int accumulate(ctx *x)
{
    memset(&x->all, 0, sizeof(x->all));
    if (x->per) memset(x->per, 0, x->grp->n * sizeof(gstat));
    const bm__map *m = &x->cube->counts[x->facet];
    for (size_t k = 0; k < m->cap; k++) {
        uint64_t key = m->keys[k];
        if (key == UINT64_MAX) continue;
        int d = in_d(x->fe, BM__KEY_FC(key));
        int y = (BM__KEY_LC(key) & x->lbit) != 0;
        int yh = x->have_pred ? (BM__KEY_PC(key) & x->pbit) != 0 : 0;
        x->all.c[d][y][yh] += m->vals[k];
        uint32_t g = BM__KEY_G(key);
        if (g && x->per) {
            long gi = x->grp->of_id[g - 1];
            if (gi >= 0) x->per[gi].c[d][y][yh] += m->vals[k];
        }
    }
    return BM_OK;
}

static json_t *entry_json(ctx *x, int post)
{
    accumulate(x);
    json_t *metrics = json_array();
    if (!metrics) return NULL;
    const bm_analysis_config *cfg = x->plan->cfg;
    int count = post ? BM_POST_COUNT : BM_PRE_COUNT;
    uint32_t mask = post ? cfg->post_mask : cfg->pre_mask;
    for (int m = 0; m < count; m++) {
        if (!(mask & (1u << m))) continue;
        mval v = post ? post_metric(x, m) : pre_metric(x, m);
        if (v.kind == MV_NOMEM) {
            json_decref(metrics);
            return NULL;
        }
        json_t *mj = metric_json(post ? bm_post_metric_names[m] : bm_pre_metric_names[m],
                                 post ? post_desc[m] : pre_desc[m], &v);
        if (!mj || json_array_append_new(metrics, mj)) {
            json_decref(metrics);
            return NULL;
        }
    }
    json_t *e = json_object();
    if (!e || json_object_set_new(e, "value_or_threshold", json_string(x->fe->text)) ||
        json_object_set_new(e, "metrics", metrics)) {
        json_decref(e);
        return NULL;
    }
    return e;
}

static json_t *error_obj(const char *msg)
{
    json_t *o = json_object();
    if (o && json_object_set_new(o, "error", json_string(msg))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Rows per mask of one dimension (0: facet fc of facet f, 1: label, 2: prediction). */
static maskcount *mask_counts(const bm_cube *c, size_t f, int dim, size_t *n)
{
    const bm__map *m = &c->counts[f];
    maskcount *mc = bm_calloc(m->len ? m->len : 1, sizeof(*mc));
    *n = 0;
    if (!mc) return NULL;
    for (size_t k = 0; k < m->cap; k++) {
        uint64_t key = m->keys[k];
        if (key == UINT64_MAX) continue;
        uint16_t mask = dim == 0   ? (uint16_t)BM__KEY_FC(key)
                        : dim == 1 ? BM__KEY_LC(key)
                                   : BM__KEY_PC(key);
        size_t i;
        for (i = 0; i < *n; i++)
            if (mc[i].mask == mask) break;
        if (i == *n) mc[(*n)++].mask = mask;
        mc[i].n += m->vals[k];
    }
    return mc;
}

/* Facet entries of facet f, or a failure message. */
typedef struct fplan {
    fentry *ents;
    size_t n;
    int failed;
    char msg[400];
} fplan;

static void fplan_release(fplan *fp)
{
    for (size_t k = 0; k < fp->n; k++)
        bm_free(fp->ents[k].ids);
    bm_free(fp->ents);
    memset(fp, 0, sizeof(*fp));
}

static int facet_one_vs_all(const bm_cube *c, size_t f, bm__dtype dt, fplan *fp)
{
    const bm__dict *d = &c->facet_dicts[f];
    const bm__coltrack *t = &c->tracks[c->plan->track_of[c->plan->facets[f].col]];
    fp->ents = bm_calloc(d->len ? d->len : 1, sizeof(fentry));
    if (!fp->ents) return BM_ENOMEM;
    long *ent_of = bm_malloc((d->len ? d->len : 1) * sizeof(long));
    if (!ent_of) return BM_ENOMEM;
    int r = BM_OK;
    for (size_t id = 0; id < d->len; id++) {
        bm_cell a;
        bm__dict_cell(d, id, &a);
        /* the value this cell has under the column's dtype; equal values share one entry */
        int a_str = dt == BM_DT_OBJECT && (a.textual || a.kind == BM_CELL_STR);
        double a_num = a.kind == BM_CELL_BOOL ? a.b : a.f;
        long found = -1;
        for (size_t prev = 0; prev < id && found < 0; prev++) {
            bm_cell b;
            bm__dict_cell(d, prev, &b);
            int b_str = dt == BM_DT_OBJECT && (b.textual || b.kind == BM_CELL_STR);
            if (a.kind == BM_CELL_MISSING || b.kind == BM_CELL_MISSING) {
                if (a.kind == b.kind) found = ent_of[prev];
                continue;
            }
            if (a_str != b_str) continue;
            if (a_str ? (a.text.n == b.text.n && memcmp(a.text.p, b.text.p, a.text.n) == 0)
                      : a_num == (b.kind == BM_CELL_BOOL ? b.b : b.f))
                found = ent_of[prev];
        }
        if (found >= 0) {
            ent_of[id] = found;
            continue;
        }
        fentry *e = &fp->ents[fp->n];
        ent_of[id] = (long)fp->n++;
        if (a.kind == BM_CELL_MISSING)
            snprintf(e->text, sizeof(e->text), "nan");
        else if (a_str)
            snprintf(e->text, sizeof(e->text), "%.*s", (int)a.text.n, a.text.p);
        else if (a.kind == BM_CELL_BOOL)
            snprintf(e->text, sizeof(e->text), "%s", bm_py_bool_str(a.b));
        else if (a.kind == BM_CELL_INT)
            snprintf(e->text, sizeof(e->text), "%lld", (long long)a.i);
        else
            bm_py_float_repr(a.f, e->text, sizeof(e->text));
        e->ids = bm_calloc(d->len ? d->len : 1, 1);
        e->nids = d->len;
        if (!e->ids) {
            r = BM_ENOMEM;
            goto out;
        }
    }
    for (size_t id = 0; id < d->len; id++) {
        bm_cell a;
        bm__dict_cell(d, id, &a);
        if (a.kind != BM_CELL_MISSING) fp->ents[ent_of[id]].ids[id] = 1;
    }
    /* the "nan" entry: equality selects nothing, then values are cast to the first element's
     * type; only bool(nan) == True selects anything (bools with NaN, first element a bool) */
    if (dt == BM_DT_OBJECT_BOOLNA && t->first.kind == BM_CELL_BOOL) {
        for (size_t k = 0; k < fp->n; k++) {
            if (strcmp(fp->ents[k].text, "nan") != 0) continue;
            for (size_t id = 0; id < d->len; id++) {
                bm_cell a;
                bm__dict_cell(d, id, &a);
                if (a.kind == BM_CELL_BOOL && a.b) fp->ents[k].ids[id] = 1;
            }
        }
    }
out:
    bm_free(ent_of);
    return r;
}

static int plan_facet(const bm_cube *c, size_t f, fplan *fp)
{
    const bm_plan *p = c->plan;
    const bm__facet_plan *fpl = &p->facets[f];
    const bm__coltrack *t = &c->tracks[p->track_of[fpl->col]];
    memset(fp, 0, sizeof(*fp));
    bm__dtype dt = bm__coltrack_dtype(t);
    if (fpl->one_vs_all) {
        if (is_continuous(t, dt, 0)) {
            fp->failed = 1;
            snprintf(fp->msg, sizeof(fp->msg),
                     "ValueError: Threshold values must be provided for continuous features");
            return BM_OK;
        }
        return facet_one_vs_all(c, f, dt, fp);
    }
    size_t nmc;
    maskcount *mc = mask_counts(c, f, 0, &nmc);
    if (!mc) return BM_ENOMEM;
    colsel s;
    decide(&s, t, &fpl->m, mc, nmc);
    bm_free(mc);
    if (s.failed) {
        fp->failed = 1;
        snprintf(fp->msg, sizeof(fp->msg), "%s", s.msg);
        return BM_OK;
    }
    fp->ents = bm_calloc(1, sizeof(fentry));
    if (!fp->ents) return BM_ENOMEM;
    fp->n = 1;
    fp->ents[0].by_mask = 1;
    fp->ents[0].bit = s.bit;
    if (s.continuous)
        interval_text(t, s.dt, &fpl->m, t->max, t->has_max, fp->ents[0].text,
                      sizeof(fp->ents[0].text));
    else
        values_text(fpl->m.vals, fpl->m.n, fp->ents[0].text, sizeof(fp->ents[0].text));
    return BM_OK;
}

/* The post-training counts of facet entry x->fe: {"value_or_threshold", "a": {...}, "d": {...}}
 * with tn, fp, fn, tp per group (the confusion matrix every post-training metric but CDDPL, GE and
 * FT is computed from). */
static json_t *counts_json(ctx *x)
{
    accumulate(x);
    json_t *g[2];
    for (int d = 0; d < 2; d++)
        g[d] = json_pack("{s:I,s:I,s:I,s:I}", "tn", (json_int_t)x->all.c[d][0][0], "fp",
                         (json_int_t)x->all.c[d][0][1], "fn", (json_int_t)x->all.c[d][1][0], "tp",
                         (json_int_t)x->all.c[d][1][1]);
    if (!g[0] || !g[1]) {
        json_decref(g[0]);
        json_decref(g[1]);
        return NULL;
    }
    return json_pack("{s:s,s:o,s:o}", "value_or_threshold", x->fe->text, "a", g[0], "d", g[1]);
}

static int analyze(const bm_cube *c, int nthreads, int counts, json_t **out, bm_error *err);

int bm_cube_analyze(const bm_cube *c, int nthreads, json_t **out, bm_error *err)
{
    return analyze(c, nthreads, 0, out, err);
}

int bm_cube_counts(const bm_cube *c, json_t **out, bm_error *err)
{
    return analyze(c, 1, 1, out, err);
}

/* counts: the counts document (bm_cube_counts) in place of the analysis */
static int analyze(const bm_cube *c, int nthreads, int counts, json_t **out, bm_error *err)
{
    const bm_plan *p = c->plan;
    int r = BM_ENOMEM;
    *out = NULL;
    json_t *root = json_object();
    groups grp;
    memset(&grp, 0, sizeof(grp));
    ctx x;
    memset(&x, 0, sizeof(x));
    fplan *fps = bm_calloc(p->nfacets, sizeof(fplan));
    maskcount *lmc = NULL, *pmc = NULL;
    if (!root || !fps) goto out;

    /* the label */
    size_t nl = 0, np = 0;
    const bm__coltrack *lt = &c->tracks[p->track_of[p->label_col]];
    if (!(lmc = mask_counts(c, 0, 1, &nl))) goto out;
    colsel ls;
    decide(&ls, lt, &p->label_m, lmc, nl);
    char label_text[512] = "";
    if (!ls.failed) {
        if (ls.continuous)
            interval_text(lt, ls.dt, &p->label_m, lt->max, lt->has_max, label_text,
                          sizeof(label_text));
        else
            values_text(p->label_m.vals, p->label_m.n, label_text, sizeof(label_text));
    }
    /* the prediction: typed with the label's values, cast to the label's dtype when continuous */
    colsel ps;
    memset(&ps, 0, sizeof(ps));
    if (p->want_post) {
        const bm__coltrack *pt = &c->tracks[p->track_of[p->pred_col]];
        if (!(pmc = mask_counts(c, 0, 2, &np))) goto out;
        decide(&ps, pt, &p->label_m, pmc, np);
        if (!ls.failed && !ps.failed) {
            if (ps.continuous != ls.continuous) {
                ps.failed = 1;
                snprintf(ps.msg, sizeof(ps.msg),
                         "ValueError: Predicted Label Column series datatype is not the same as "
                         "Label Column series");
            } else if (ps.continuous && ls.dt == BM_DT_INT64 && ps.dt == BM_DT_FLOAT64) {
                ps.bit = BM_M_CONT_TRUNC;
                if (pt->n[BM_CELL_MISSING] || (pt->has_max && isinf(pt->max))) {
                    ps.failed = 1;
                    snprintf(ps.msg, sizeof(ps.msg),
                             "ValueError: Cannot convert non-finite values (NA or inf) to integer");
                }
            }
            if (!ps.failed && !any_with_bit(pmc, np, ps.bit)) {
                ps.failed = 1;
                snprintf(ps.msg, sizeof(ps.msg),
                         "ValueError: No Label values are present in the predicted Label "
                         "Column,Positive Predicted Index Series contains all False values");
            }
        }
    }
    if (p->group_col >= 0) {
        if (build_groups(c, &grp)) goto out;
        x.per = bm_calloc(grp.n ? grp.n : 1, sizeof(gstat));
        if (!x.per) goto out;
    }
    for (size_t f = 0; f < p->nfacets; f++)
        if (plan_facet(c, f, &fps[f])) goto out;

    x.cube = c;
    x.plan = p;
    x.lbit = ls.bit;
    x.pbit = ps.bit;
    x.grp = &grp;
    x.nthreads = nthreads;
    if (json_object_set_new(root, "version", json_string("1.0"))) goto out;
    if (counts && json_object_set_new(root, "rows", json_integer((json_int_t)c->nrows))) goto out;
    for (int post = 0; post < 2; post++) {
        if (post ? !p->want_post : !p->want_pre) continue;
        if (counts && !post) continue;
        json_t *stage = counts ? json_incref(root) : json_object();
        if (!stage) goto out;
        if (counts)
            json_decref(stage); /* root holds it */
        else if (json_object_set_new(
                     root, post ? "post_training_bias_metrics" : "pre_training_bias_metrics",
                     stage))
            goto out;
        json_t *facets = json_object();
        if (json_object_set_new(stage, "label", json_string(p->label_name)) ||
            json_object_set_new(stage, "facets", facets) ||
            json_object_set_new(stage, "label_value_or_threshold", json_string(label_text)))
            goto out;
        x.have_pred = post;
        for (size_t f = 0; f < p->nfacets; f++) {
            const char *fail = ls.failed             ? ls.msg
                               : (post && ps.failed) ? ps.msg
                               : fps[f].failed       ? fps[f].msg
                                                     : NULL;
            json_t *fj;
            if (fail) {
                fj = error_obj(fail);
            } else {
                fj = json_array();
                x.facet = f;
                for (size_t e = 0; fj && e < fps[f].n; e++) {
                    x.fe = &fps[f].ents[e];
                    json_t *ej = counts ? counts_json(&x) : entry_json(&x, post);
                    if (!ej || json_array_append_new(fj, ej)) {
                        json_decref(fj);
                        fj = NULL;
                    }
                }
            }
            if (!fj) goto out;
            /* the same column twice (say sex=Female, then sex=Male): entries share one list */
            json_t *prev = json_object_get(facets, p->facets[f].name);
            if (prev && json_is_array(prev) && json_is_array(fj)) {
                int bad = json_array_extend(prev, fj);
                json_decref(fj);
                if (bad) goto out;
            } else if (json_object_set_new(facets, p->facets[f].name, fj)) {
                goto out;
            }
        }
    }
    *out = root;
    root = NULL;
    r = BM_OK;
out:
    if (r) bm_error_set(err, r, "out of memory");
    json_decref(root);
    for (size_t f = 0; fps && f < p->nfacets; f++)
        fplan_release(&fps[f]);
    bm_free(fps);
    bm_free(lmc);
    bm_free(pmc);
    bm_free(grp.of_id);
    bm_free(x.per);
    return r;
}

int bm_cube_facet_groups(const bm_cube *c, json_t **out, bm_error *err)
{
    const bm_plan *p = c->plan;
    *out = NULL;
    json_t *root = json_object();
    if (!root) return bm_error_set(err, BM_ENOMEM, "out of memory");
    ctx x;
    memset(&x, 0, sizeof(x));
    groups grp;
    memset(&grp, 0, sizeof(grp));
    x.cube = c;
    x.plan = p;
    x.grp = &grp;
    for (size_t f = 0; f < p->nfacets; f++) {
        fplan fp;
        if (plan_facet(c, f, &fp)) {
            fplan_release(&fp);
            json_decref(root);
            return bm_error_set(err, BM_ENOMEM, "out of memory");
        }
        json_t *fj = fp.failed ? error_obj(fp.msg) : json_array();
        for (size_t e = 0; fj && !fp.failed && e < fp.n; e++) {
            x.facet = f;
            x.fe = &fp.ents[e];
            accumulate(&x);
            json_t *ej = json_pack("{s:s,s:I,s:I}", "value_or_threshold", fp.ents[e].text, "rows",
                                   (json_int_t)S(&x.all, 1, -1, -1), "other_rows",
                                   (json_int_t)S(&x.all, 0, -1, -1));
            if (!ej || json_array_append_new(fj, ej)) {
                json_decref(fj);
                fj = NULL;
            }
        }
        fplan_release(&fp);
        json_t *prev = fj ? json_object_get(root, p->facets[f].name) : NULL;
        int bad = !fj;
        if (!bad && prev && json_is_array(prev) && json_is_array(fj)) {
            bad = json_array_extend(prev, fj);
            json_decref(fj);
        } else if (!bad) {
            bad = json_object_set_new(root, p->facets[f].name, fj);
        }
        if (bad) {
            json_decref(root);
            return bm_error_set(err, BM_ENOMEM, "out of memory");
        }
    }
    *out = root;
    return BM_OK;
}
