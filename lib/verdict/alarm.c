/* The statistical alarm rule: per-metric change tests on counts, pooled windows, a daily budget. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/store.h"
#include "biasmon/verdict.h"

/* ==================================================================== settings */

int bm_alarm_settings_from_env(const json_t *env, bm_alarm_settings *s, bm_error *err)
{
    s->rule = BM_RULE_SAGEMAKER;
    s->budget = BM_ALARM_DEFAULT_BUDGET;
    s->looks_per_day = 24;
    s->min_coverage = BM_ALARM_DEFAULT_COVERAGE;
    s->revisit = BM_ALARM_DEFAULT_REVISIT;
    s->looks_per_window = 1;
    if (!env) return BM_OK;
    json_t *rule = json_object_get(env, "BIASMON_ALARM_RULE");
    if (rule) {
        const char *v = json_string_value(rule);
        if (v && !strcmp(v, "statistical"))
            s->rule = BM_RULE_STATISTICAL;
        else if (!v || strcmp(v, "sagemaker") != 0) {
            bm_error_set(
                err, BM_ECONFIG,
                "BIASMON_ALARM_RULE must be \"sagemaker\" (the default) or \"statistical\"");
            bm_error_at(err, NULL, 0, 0,
                        "$.ModelBiasAppSpecification.Environment.BIASMON_ALARM_RULE");
            return BM_ECONFIG;
        }
    }
    json_t *budget = json_object_get(env, "BIASMON_ALARM_BUDGET");
    if (budget) {
        const char *v = json_string_value(budget);
        char *end = NULL;
        double b = v ? strtod(v, &end) : NAN;
        if (!v || end == v || *end || !(b > 0 && b <= 0.5)) {
            bm_error_set(err, BM_ECONFIG,
                         "BIASMON_ALARM_BUDGET must be a number in (0, 0.5] as text, the "
                         "probability of a schedule-day with any false alarm (default \"0.01\")");
            bm_error_at(err, NULL, 0, 0,
                        "$.ModelBiasAppSpecification.Environment.BIASMON_ALARM_BUDGET");
            return BM_ECONFIG;
        }
        s->budget = b;
    }
    json_t *cov = json_object_get(env, "BIASMON_ALARM_MIN_COVERAGE");
    if (cov) {
        const char *v = json_string_value(cov);
        char *end = NULL;
        double c = v ? strtod(v, &end) : NAN;
        if (!v || end == v || *end || !(c >= 0 && c <= 1)) {
            bm_error_set(err, BM_ECONFIG,
                         "BIASMON_ALARM_MIN_COVERAGE must be a number in [0, 1] as text, the share "
                         "of each facet group's rows that must have a label (default \"0.5\")");
            bm_error_at(err, NULL, 0, 0,
                        "$.ModelBiasAppSpecification.Environment.BIASMON_ALARM_MIN_COVERAGE");
            return BM_ECONFIG;
        }
        s->min_coverage = c;
    }
    json_t *rev = json_object_get(env, "BIASMON_ALARM_REVISIT");
    if (rev) {
        const char *v = json_string_value(rev);
        char *end = NULL;
        long k = v ? strtol(v, &end, 10) : -1;
        if (!v || end == v || *end || *v == '-' || *v == '+' || k < 0 || k > BM_ALARM_MAX_REVISIT) {
            bm_error_set(err, BM_ECONFIG,
                         "BIASMON_ALARM_REVISIT must be an integer from 0 to %d as text, the "
                         "later periods that re-evaluate a window whose labels were incomplete "
                         "(default \"%d\")",
                         BM_ALARM_MAX_REVISIT, BM_ALARM_DEFAULT_REVISIT);
            bm_error_at(err, NULL, 0, 0,
                        "$.ModelBiasAppSpecification.Environment.BIASMON_ALARM_REVISIT");
            return BM_ECONFIG;
        }
        s->revisit = (int)k;
    }
    return BM_OK;
}

/* ==================================================================== label coverage */

static json_int_t group_rows(const json_t *groups, const char *facet, const char *value,
                             const char *key)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(groups, facet), i, e)
    {
        const char *v = json_string_value(json_object_get(e, "value_or_threshold"));
        if (v && !strcmp(v, value)) return json_integer_value(json_object_get(e, key));
    }
    return 0;
}

int bm_alarm_coverage(const json_t *all, const json_t *labelled, double min, json_t **coverage,
                      char *why, size_t whylen)
{
    int decidable = 1;
    why[0] = 0;
    *coverage = json_array();
    if (!*coverage) return -1;
    const char *facet;
    json_t *entries;
    json_object_foreach((json_t *)all, facet, entries)
    {
        size_t i;
        json_t *e;
        if (!json_is_array(entries)) continue;
        json_array_foreach(entries, i, e)
        {
            const char *v = json_string_value(json_object_get(e, "value_or_threshold"));
            if (!v) continue;
            json_int_t n[2] = {json_integer_value(json_object_get(e, "rows")),
                               json_integer_value(json_object_get(e, "other_rows"))};
            json_int_t l[2] = {group_rows(labelled, facet, v, "rows"),
                               group_rows(labelled, facet, v, "other_rows")};
            json_t *c = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "facet", facet, "value_or_threshold",
                                  v, "rows", n[0], "labelled_rows", l[0], "other_rows", n[1],
                                  "other_labelled_rows", l[1]);
            if (!c || json_array_append_new(*coverage, c)) {
                json_decref(*coverage);
                *coverage = NULL;
                return -1;
            }
            for (int g = 0; g < 2 && decidable; g++) {
                if (n[g] > 0 && (double)l[g] < min * (double)n[g]) {
                    decidable = 0;
                    snprintf(why, whylen,
                             "not yet decidable: %lld of %lld in-window rows %s %s = %s have a "
                             "label (%.0f%%), below "
                             "BIASMON_ALARM_MIN_COVERAGE %.0f%%; run the execution again when more "
                             "labels have arrived",
                             (long long)l[g], (long long)n[g], g ? "outside" : "of", facet, v,
                             100.0 * (double)l[g] / (double)n[g], 100 * min);
                }
            }
        }
    }
    return decidable;
}

/* ==================================================================== the tests */

enum { C_TN = 1 << BM_TN, C_FP = 1 << BM_FP, C_FN = 1 << BM_FN, C_TP = 1 << BM_TP, C_ALL = 15 };
typedef enum { K_DIFF, K_ODDS, K_RATIO } mkind;

/* Each testable metric is a function of one proportion pi_g = count(num) / count(den) per group:
 * s_a * phi(pi_a) + s_d * phi(pi_d) (phi the identity, or pi / (1 - pi) for TE), or pi_d / pi_a
 * for DI. */
typedef struct mdef {
    const char *name;
    unsigned num, den;
    int s_a, s_d;
    mkind kind;
    const char *what; /* the proportion, for reasons */
} mdef;

static const mdef mdefs[] = {
    {"DPPL", C_FP | C_TP, C_ALL, 1, -1, K_DIFF, "rate of positive predictions"},
    {"DI", C_FP | C_TP, C_ALL, 0, 0, K_RATIO, "rate of positive predictions"},
    {"AD", C_TN | C_TP, C_ALL, 1, -1, K_DIFF, "accuracy"},
    {"RD", C_TP, C_TP | C_FN, 1, -1, K_DIFF, "recall"},
    {"SD", C_TN, C_TN | C_FP, -1, 1, K_DIFF, "specificity"},
    {"DAR", C_TP, C_TP | C_FP, 1, -1, K_DIFF, "precision"},
    {"DRR", C_TN, C_TN | C_FN, -1, 1, K_DIFF, "rejection precision"},
    {"TE", C_FN, C_FN | C_FP, -1, 1, K_ODDS, "share of false negatives among errors"},
};
#define NMDEFS (sizeof(mdefs) / sizeof(mdefs[0]))

static const mdef *find_mdef(const char *name)
{
    for (size_t k = 0; name && k < NMDEFS; k++)
        if (!strcmp(mdefs[k].name, name)) return &mdefs[k];
    return NULL;
}

int bm_alarm_testable(const char *name)
{
    return find_mdef(name) != NULL;
}

static double sum_cells(const double *c, unsigned mask)
{
    double s = 0;
    for (int i = 0; i < 4; i++)
        if (mask & (1u << i)) s += c[i];
    return s;
}

static double phi(const mdef *m, double p)
{
    return m->kind == K_ODDS ? p / (1 - p) : p;
}

static double dphi(const mdef *m, double p)
{
    return m->kind == K_ODDS ? 1 / ((1 - p) * (1 - p)) : 1;
}

/* The metric from the two groups' proportions (NaN when undefined). */
static double metric_of(const mdef *m, const double pi[2])
{
    if (isnan(pi[0]) || isnan(pi[1])) return NAN;
    if (m->kind == K_RATIO) return pi[0] > 0 ? pi[1] / pi[0] : NAN;
    if (m->kind == K_ODDS && (pi[0] >= 1 || pi[1] >= 1)) return NAN;
    return m->s_a * phi(m, pi[0]) + m->s_d * phi(m, pi[1]);
}

/* Anscombe's variance-stabilising transform of x successes in n: asin sqrt((x + 3/8) / (n + 3/4)),
 * with variance close to 1 / (4 n) even for a handful of successes. */
static double stabilise(double x, double n)
{
    return asin(sqrt((x + 0.375) / (n + 0.75)));
}

void bm_alarm_test_metric(const char *name, const bm_alarm_cells *b, const bm_alarm_cells *w,
                          double zcrit, bm_alarm_test *t)
{
    memset(t, 0, sizeof(*t));
    t->window = t->baseline = t->change = t->se = t->estimate = t->z = t->lo = t->hi = NAN;
    const mdef *m = find_mdef(name);
    if (!m) {
        snprintf(t->why, sizeof(t->why), "%s is not tested by the statistical rule",
                 name ? name : "(null)");
        return;
    }
    double pib[2], piw[2], xw[2], nw[2], xb[2], nb[2];
    for (int g = 0; g < 2; g++) {
        xb[g] = sum_cells(b->n[g], m->num & m->den);
        nb[g] = sum_cells(b->n[g], m->den);
        xw[g] = sum_cells(w->n[g], m->num & m->den);
        nw[g] = sum_cells(w->n[g], m->den);
        pib[g] = nb[g] > 0 ? xb[g] / nb[g] : NAN;
        piw[g] = nw[g] > 0 ? xw[g] / nw[g] : NAN;
    }
    t->baseline = metric_of(m, pib);
    t->window = metric_of(m, piw);
    t->change = t->window - t->baseline;
    static const char *const gname[2] = {"the other rows", "the facet's rows"};
    for (int g = 0; g < 2; g++) {
        /* expected successes and failures in the window if nothing changed */
        double e1 = nw[g] * pib[g], e0 = nw[g] * (1 - pib[g]);
        double f1 = xb[g], f0 = nb[g] - xb[g];
        if (!(nb[g] > 0) || !(f1 >= BM_ALARM_MIN_EXPECTED) || !(f0 >= BM_ALARM_MIN_EXPECTED)) {
            snprintf(t->why, sizeof(t->why),
                     "too few baseline rows of %s for the %s (%.0f of %.0f)", gname[g], m->what, f1,
                     nb[g]);
            return;
        }
        if (!(e1 >= BM_ALARM_MIN_EXPECTED) || !(e0 >= BM_ALARM_MIN_EXPECTED)) {
            snprintf(t->why, sizeof(t->why),
                     "too few rows of %s for the %s (%.0f rows; at the baseline's rate %.1f and "
                     "%.1f expected "
                     "each way, %.0f needed)",
                     gname[g], m->what, nw[g], e1, e0, BM_ALARM_MIN_EXPECTED);
            return;
        }
    }
    /* linearisation: d metric = sum_g c_g d pi_g at the baseline */
    double c[2];
    if (m->kind == K_RATIO) {
        c[0] = -pib[1] / (pib[0] * pib[0]);
        c[1] = 1 / pib[0];
    } else {
        c[0] = m->s_a * dphi(m, pib[0]);
        c[1] = m->s_d * dphi(m, pib[1]);
    }
    double num = 0, var = 0;
    for (int g = 0; g < 2; g++) {
        double q = pib[g] * (1 - pib[g]);
        /* d pi = 2 sqrt(pi (1 - pi)) d T */
        num += c[g] * 2 * sqrt(q) * (stabilise(xw[g], nw[g]) - stabilise(xb[g], nb[g]));
        var += c[g] * c[g] * q * (1 / nw[g] + 1 / nb[g]);
    }
    t->se = sqrt(var);
    t->estimate = num;
    t->z = t->se > 0 ? num / t->se : 0;
    /* The interval is the test's own, around its estimate, so that it leaves out 0 exactly when
     * the metric alarms; around the raw change it could hold 0 beside an alarm (small groups). */
    t->lo = num - zcrit * t->se;
    t->hi = num + zcrit * t->se;
    t->tested = 1;
    t->alarm = fabs(t->z) > zcrit;
}

double bm_alarm_zcrit(double alpha)
{
    if (!(alpha > 0)) return INFINITY;
    if (alpha >= 1) return 0;
    double lo = 0, hi = 40;
    for (int k = 0; k < 200; k++) { /* P(|Z| > z) = erfc(z / sqrt 2) decreases in z */
        double mid = 0.5 * (lo + hi);
        if (erfc(mid / sqrt(2.0)) > alpha)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* ==================================================================== counts documents */

static int cells_of(const json_t *entry, bm_alarm_cells *c)
{
    static const char *const keys[4] = {"tn", "fp", "fn", "tp"};
    static const char *const side[2] = {"a", "d"};
    for (int g = 0; g < 2; g++) {
        json_t *o = json_object_get(entry, side[g]);
        for (int i = 0; i < 4; i++) {
            json_t *v = json_object_get(o, keys[i]);
            if (!json_is_integer(v) || json_integer_value(v) < 0) return -1;
            c->n[g][i] = (double)json_integer_value(v);
        }
    }
    return 0;
}

/* The entry of facet `facet` with value_or_threshold `value` in a counts document, or NULL. */
static const json_t *find_entry(const json_t *doc, const char *facet, const char *value)
{
    json_t *entries = json_object_get(json_object_get(doc, "facets"), facet);
    size_t i;
    json_t *e;
    if (!json_is_array(entries)) return NULL;
    json_array_foreach(entries, i, e)
    {
        const char *v = json_string_value(json_object_get(e, "value_or_threshold"));
        if (v && !strcmp(v, value)) return e;
    }
    return NULL;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static void fmt_num(double v, char *out, size_t n)
{
    if (!isfinite(v))
        snprintf(out, n, "undefined");
    else
        snprintf(out, n, "%.3f", v);
}

/* Windows pooled. No single window: a change of 0.1 needs about two windows of 500 requests to
 * stand out, and single windows, independent from one look to the next, raised most false alarms
 * for little detection (bench/alarm_sim, docs/alarms.md). */
static const int lengths[BM_ALARM_NLENGTHS] = {2, 3, 5, 8};
/* the share of the budget each length spends (sums to 1) */
static const double weight[BM_ALARM_NLENGTHS] = {0.25, 0.25, 0.25, 0.25};

/* ==================================================================== the rule */

int bm_alarm_evaluate(const json_t *baseline, const json_t *const *windows, size_t nwindows,
                      const json_t *analysis, const bm_alarm_settings *s, json_t **violations,
                      size_t *nviolations, json_t **evidence, bm_error *err)
{
    int rc = BM_ENOMEM;
    *violations = *evidence = NULL;
    *nviolations = 0;
    if (nwindows > BM_ALARM_MAX_WINDOWS) nwindows = BM_ALARM_MAX_WINDOWS;
    json_t *list = json_array(), *ev = json_object(), *efacets = json_object(),
           *untestable = json_array();
    if (!list || !ev || !efacets || !untestable) {
        json_decref(efacets);
        json_decref(untestable);
        goto out;
    }
    /* ev owns them from here; the pointers stay borrowed (set_new takes the reference even when
     * it fails) */
    if (json_object_set_new(ev, "untested_metrics", untestable)) {
        json_decref(efacets);
        goto out;
    }
    if (json_object_set_new(ev, "facets", efacets) ||
        json_object_set_new(ev, "version", json_string("1.0")) ||
        json_object_set_new(ev, "rule", json_string("statistical")))
        goto out;
    if (!baseline) {
        rc = bm_error_set(err, BM_EDATA,
                          "the statistical rule needs the baseline's counts (bias_counts.json "
                          "beside the baseline's analysis.json, written by biasmon analyze)");
        goto out;
    }
    const json_t *cur = nwindows ? windows[0] : NULL;
    if (!json_is_object(cur)) {
        rc = bm_error_set(err, BM_EINVAL, "no counts for the current window");
        goto out;
    }
    /* the metrics to test (those the analysis computed), and those that never alarm */
    const char *names[NMDEFS];
    size_t nnames = 0;
    const char *an;
    json_t *aentries;
    json_object_foreach(
        json_object_get(json_object_get(analysis, "post_training_bias_metrics"), "facets"), an,
        aentries)
    {
        size_t ai;
        json_t *ae;
        if (!json_is_array(aentries)) continue;
        json_array_foreach(aentries, ai, ae)
        {
            size_t mi;
            json_t *mv;
            json_array_foreach(json_object_get(ae, "metrics"), mi, mv)
            {
                const char *n = json_string_value(json_object_get(mv, "name"));
                if (!n) continue;
                int dup = 0;
                if (bm_alarm_testable(n)) {
                    for (size_t k = 0; k < nnames; k++)
                        dup |= !strcmp(names[k], n);
                    if (!dup && nnames < NMDEFS) names[nnames++] = find_mdef(n)->name;
                    continue;
                }
                size_t ui;
                json_t *uv;
                json_array_foreach(untestable, ui, uv) dup |= !strcmp(json_string_value(uv), n);
                if (!dup && json_array_append_new(untestable, json_string(n))) goto out;
            }
        }
    }
    /* the tests of one look: lengths x facet entries x metrics */
    size_t nentries = 0;
    const char *facet;
    json_t *entries;
    json_object_foreach(json_object_get(cur, "facets"), facet, entries)
    {
        if (json_is_array(entries)) nentries += json_array_size(entries);
    }
    double per_day = s->looks_per_day >= 1 ? s->looks_per_day : 1;
    double per_window = s->looks_per_window >= 1 ? s->looks_per_window : 1;
    double ntests = per_day * per_window * BM_ALARM_NLENGTHS * (double)(nentries ? nentries : 1) *
                    (double)(nnames ? nnames : 1);
    double alpha = s->budget / ntests, alpha_l[BM_ALARM_NLENGTHS], zcrit_l[BM_ALARM_NLENGTHS];
    for (int l = 0; l < BM_ALARM_NLENGTHS; l++) {
        alpha_l[l] = alpha * BM_ALARM_NLENGTHS * weight[l];
        zcrit_l[l] = bm_alarm_zcrit(alpha_l[l]);
    }

    json_t *avail = json_array();
    if (!avail || json_object_set_new(ev, "windows_found", avail)) goto out;
    for (size_t k = 0; k < nwindows; k++)
        if (windows[k] && json_array_append_new(avail, json_integer((json_int_t)k))) goto out;

    json_object_foreach(json_object_get(cur, "facets"), facet, entries)
    {
        json_t *elist = json_array();
        if (!elist || json_object_set_new(efacets, facet, elist)) goto out;
        if (!json_is_array(entries))
            continue; /* the facet could not be binarised: analysis.json says why */
        size_t ei;
        json_t *entry;
        json_array_foreach(entries, ei, entry)
        {
            const char *value = json_string_value(json_object_get(entry, "value_or_threshold"));
            if (!value) continue;
            json_t *ej = json_pack("{s:s,s:[]}", "value_or_threshold", value, "metrics");
            if (!ej || json_array_append_new(elist, ej)) goto out;
            json_t *emetrics = json_object_get(ej, "metrics");
            const json_t *bentry = find_entry(baseline, facet, value);
            bm_alarm_cells bc;
            int have_base = bentry && cells_of(bentry, &bc) == 0;
            /* pooled windows: the latest 2, 3, 5, 8 (a length that adds no window is not repeated)
             */
            bm_alarm_cells pooled[BM_ALARM_NLENGTHS];
            int used[BM_ALARM_NLENGTHS];
            memset(pooled, 0, sizeof(pooled));
            for (int l = 0; l < BM_ALARM_NLENGTHS; l++) {
                used[l] = 0;
                for (size_t k = 0; k < (size_t)lengths[l] && k < nwindows; k++) {
                    const json_t *we = windows[k] ? find_entry(windows[k], facet, value) : NULL;
                    bm_alarm_cells wc;
                    if (!we) continue;
                    if (cells_of(we, &wc)) {
                        rc = bm_error_set(
                            err, BM_EDATA,
                            "the counts of the window %zu periods earlier are malformed at "
                            "facets.%s: remove that bias_counts.json",
                            k, facet);
                        goto out;
                    }
                    for (int g = 0; g < 2; g++)
                        for (int i = 0; i < 4; i++)
                            pooled[l].n[g][i] += wc.n[g][i];
                    used[l]++;
                }
            }
            for (size_t k = 0; k < nnames; k++) {
                json_t *tests = json_array();
                json_t *mj = json_pack("{s:s,s:o}", "name", names[k], "tests", tests);
                if (!mj || json_array_append_new(emetrics, mj)) goto out;
                int alarmed = 0;
                bm_alarm_test best;
                memset(&best, 0, sizeof(best));
                int best_len = 0, best_l = 0;
                double best_rows[2] = {0, 0};
                for (int l = 0; l < BM_ALARM_NLENGTHS; l++) {
                    if (used[l] == 0 || (l > 0 && used[l] == used[l - 1])) continue;
                    bm_alarm_test t;
                    if (!have_base) {
                        memset(&t, 0, sizeof(t));
                        snprintf(t.why, sizeof(t.why),
                                 "the baseline's counts have no facet %s = %s", facet, value);
                    } else {
                        bm_alarm_test_metric(names[k], &bc, &pooled[l], zcrit_l[l], &t);
                    }
                    double na = sum_cells(pooled[l].n[0], C_ALL),
                           nd = sum_cells(pooled[l].n[1], C_ALL);
                    json_t *tj;
                    if (t.tested)
                        tj = json_pack("{s:i,s:{s:f,s:f},s:o,s:o,s:o,s:o,s:o,s:[oo],s:o,s:f,s:b}",
                                       "windows", used[l], "rows", "a", na, "d", nd, "window",
                                       num(t.window), "baseline", num(t.baseline), "change",
                                       num(t.change), "estimate", num(t.estimate), "se", num(t.se),
                                       "interval", num(t.lo), num(t.hi), "z", num(t.z), "threshold",
                                       zcrit_l[l], "alarm", t.alarm);
                    else
                        tj = json_pack("{s:i,s:{s:f,s:f},s:b,s:s}", "windows", used[l], "rows", "a",
                                       na, "d", nd, "decidable", 0, "why", t.why);
                    if (!tj || json_array_append_new(tests, tj)) goto out;
                    if (t.tested && t.alarm &&
                        (!alarmed || fabs(t.z) / zcrit_l[l] > fabs(best.z) / zcrit_l[best_l])) {
                        alarmed = 1;
                        best = t;
                        best_l = l;
                        best_len = used[l];
                        best_rows[0] = na;
                        best_rows[1] = nd;
                    }
                }
                if (json_object_set_new(mj, "alarm", json_boolean(alarmed))) goto out;
                if (!alarmed) {
                    if (json_object_set_new(mj, "reason", json_null())) goto out;
                    continue;
                }
                char wv[32], bv[32], ch[32], reason[600], desc[300];
                fmt_num(best.window, wv, sizeof(wv));
                fmt_num(best.baseline, bv, sizeof(bv));
                if (isfinite(best.change))
                    snprintf(ch, sizeof(ch), "%+.3f", best.change);
                else
                    snprintf(ch, sizeof(ch), "undefined size");
                snprintf(
                    reason, sizeof(reason),
                    "%s for %s = %s moved from %s in the baseline to %s over the last %d window%s "
                    "(%.0f rows, %.0f "
                    "of them %s = %s), a change of %s that chance alone explains with probability "
                    "below %.2g "
                    "(|z| = %.2f > %.2f, the test's share of the %.3g daily false-alarm budget).",
                    names[k], facet, value, bv, wv, best_len, best_len == 1 ? "" : "s",
                    best_rows[0] + best_rows[1], best_rows[1], facet, value, ch, alpha_l[best_l],
                    fabs(best.z), zcrit_l[best_l], s->budget);
                snprintf(desc, sizeof(desc),
                         "Metric value %s changed by %s from the baseline value %s beyond its "
                         "sampling error",
                         wv, ch, bv);
                if (json_object_set_new(mj, "reason", json_string(reason))) goto out;
                json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:i}", "facet", facet,
                                      "facet_value", value, "metric_name", names[k],
                                      "constraint_check_type", "bias_drift_check", "description",
                                      desc, "reason", reason, "z", best.z, "threshold",
                                      zcrit_l[best_l], "windows", best_len);
                if (!v || json_array_append_new(list, v)) goto out;
                (*nviolations)++;
            }
        }
    }
    {
        if (json_object_set_new(ev, "budget", json_real(s->budget)) ||
            json_object_set_new(ev, "looks_per_day", json_real(per_day)) ||
            json_object_set_new(ev, "looks_per_window", json_real(per_window)) ||
            json_object_set_new(
                ev, "lengths",
                json_pack("[iiii]", lengths[0], lengths[1], lengths[2], lengths[3])) ||
            json_object_set_new(ev, "tests_per_day", json_real(ntests)) ||
            json_object_set_new(
                ev, "alpha_per_test",
                json_pack("[ffff]", alpha_l[0], alpha_l[1], alpha_l[2], alpha_l[3])) ||
            json_object_set_new(
                ev, "thresholds",
                json_pack("[ffff]", zcrit_l[0], zcrit_l[1], zcrit_l[2], zcrit_l[3])))
            goto out;
        *violations = json_pack("{s:s,s:o}", "version", "1.0", "violations", list);
        list = NULL;
        if (!*violations) goto out;
        *evidence = ev;
        ev = NULL;
        rc = BM_OK;
    }
out:
    if (rc == BM_ENOMEM) bm_error_set(err, rc, "out of memory");
    json_decref(list);
    json_decref(ev);
    if (rc) *nviolations = 0;
    return rc;
}

/* ==================================================================== revisions */

int bm_alarm_coverage_complete(const json_t *coverage)
{
    size_t i;
    json_t *c;
    if (!json_is_array(coverage)) return 0;
    json_array_foreach(coverage, i, c)
    {
        if (json_integer_value(json_object_get(c, "labelled_rows")) <
                json_integer_value(json_object_get(c, "rows")) ||
            json_integer_value(json_object_get(c, "other_labelled_rows")) <
                json_integer_value(json_object_get(c, "other_rows")))
            return 0;
    }
    return 1;
}

static int has_alarm(const json_t *list, const char *facet, const char *value, const char *name)
{
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a)
    {
        const char *f = json_string_value(json_object_get(a, "facet"));
        const char *v = json_string_value(json_object_get(a, "facet_value"));
        const char *m = json_string_value(json_object_get(a, "metric_name"));
        if (f && v && m && !strcmp(f, facet) && !strcmp(v, value) && !strcmp(m, name)) return 1;
    }
    return 0;
}

static int append_alarm(json_t *list, const char *facet, const char *value, const char *name)
{
    return json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "facet", facet, "facet_value",
                                                 value, "metric_name", name));
}

/* The alarms of a record: its "alarms" (a revision), else the alarmed metrics of an evidence
 * document that was decidable. A new reference, or NULL when out of memory. */
static json_t *alarms_of(const json_t *rec)
{
    json_t *a = json_object_get(rec, "alarms");
    if (json_is_array(a)) return json_deep_copy(a);
    json_t *out = json_array();
    if (!out || json_is_false(json_object_get(rec, "decidable"))) return out;
    const char *facet;
    json_t *entries;
    json_object_foreach(json_object_get(rec, "facets"), facet, entries)
    {
        size_t i, j;
        json_t *e, *m;
        json_array_foreach(entries, i, e)
        {
            const char *v = json_string_value(json_object_get(e, "value_or_threshold"));
            json_array_foreach(json_object_get(e, "metrics"), j, m)
            {
                const char *name = json_string_value(json_object_get(m, "name"));
                if (!v || !name || !json_is_true(json_object_get(m, "alarm"))) continue;
                if (append_alarm(out, facet, v, name)) {
                    json_decref(out);
                    return NULL;
                }
            }
        }
    }
    return out;
}

/* "not yet decidable", "no alarm" or "alarm on DPPL, DI" (names cut to fit). */
static void verdict_words(int decidable, const json_t *alarms, char *out, size_t n)
{
    if (!decidable) {
        snprintf(out, n, "not yet decidable");
        return;
    }
    if (json_array_size(alarms) == 0) {
        snprintf(out, n, "no alarm");
        return;
    }
    size_t len = (size_t)snprintf(out, n, "alarm on");
    size_t i;
    json_t *a;
    json_array_foreach(alarms, i, a)
    {
        if (len >= n) break;
        len += (size_t)snprintf(out + len, n - len, "%s %s", i ? "," : "",
                                json_string_value(json_object_get(a, "metric_name")));
    }
}

/* The largest rise of a group's labelled share from old to new coverage, described in what
 * (n bytes); *full is 1 when a group short of labels before has all of them now. */
static double coverage_rise(const json_t *old, const json_t *cur, int *full, char *what, size_t n)
{
    static const char *const keys[2][2] = {{"rows", "labelled_rows"},
                                           {"other_rows", "other_labelled_rows"}};
    double best = -1;
    *full = 0;
    snprintf(what, n, "the labelled rows did not change");
    size_t i;
    json_t *c;
    json_array_foreach(cur, i, c)
    {
        const char *facet = json_string_value(json_object_get(c, "facet"));
        const char *value = json_string_value(json_object_get(c, "value_or_threshold"));
        const json_t *o = NULL;
        size_t j;
        json_t *e;
        json_array_foreach(old, j, e)
        {
            const char *f = json_string_value(json_object_get(e, "facet"));
            const char *v = json_string_value(json_object_get(e, "value_or_threshold"));
            if (facet && value && f && v && !strcmp(f, facet) && !strcmp(v, value)) o = e;
        }
        for (int g = 0; g < 2 && facet && value; g++) {
            json_int_t rows = json_integer_value(json_object_get(c, keys[g][0]));
            json_int_t lab = json_integer_value(json_object_get(c, keys[g][1]));
            /* no entry before (nothing was labelled): none of the rows */
            json_int_t orows = o ? json_integer_value(json_object_get(o, keys[g][0])) : rows;
            json_int_t olab = o ? json_integer_value(json_object_get(o, keys[g][1])) : 0;
            if (rows <= 0) continue;
            double was = orows > 0 ? (double)olab / (double)orows : 0,
                   now = (double)lab / (double)rows;
            if (lab >= rows && !(orows > 0 && olab >= orows)) *full = 1;
            if (now - was > best) {
                best = now - was;
                snprintf(what, n,
                         "the labelled rows %s %s = %s went from %lld of %lld (%.0f%%) to %lld of "
                         "%lld (%.0f%%)",
                         g ? "outside" : "of", facet, value, (long long)olab, (long long)orows,
                         100 * was, (long long)lab, (long long)rows, 100 * now);
            }
        }
    }
    return best;
}

int bm_alarm_revise(const json_t *baseline, const json_t *const *windows, size_t nwindows,
                    const json_t *analysis, const bm_alarm_settings *s, const json_t *previous,
                    json_t *coverage, int decidable, const char *why, json_t **revision,
                    json_t **new_alarms, char *note, size_t n, bm_error *err)
{
    json_t *viol = NULL, *ev = NULL, *alarms_new = NULL, *alarms_old = NULL, *fresh = NULL,
           *rec = NULL;
    size_t nv = 0;
    *revision = *new_alarms = NULL;
    if (n) note[0] = 0;
    int rc = bm_alarm_evaluate(baseline, windows, nwindows, analysis, s, &viol, &nv, &ev, err);
    if (rc) return rc;
    rc = BM_ENOMEM;
    alarms_new = json_array();
    fresh = json_array();
    alarms_old = alarms_of(previous);
    if (!alarms_new || !fresh || !alarms_old) goto out;
    size_t i;
    json_t *v;
    json_array_foreach(decidable ? json_object_get(viol, "violations") : NULL, i, v)
    {
        const char *f = json_string_value(json_object_get(v, "facet"));
        const char *fv = json_string_value(json_object_get(v, "facet_value"));
        const char *m = json_string_value(json_object_get(v, "metric_name"));
        if (!f || !fv || !m) continue;
        if (append_alarm(alarms_new, f, fv, m)) goto out;
        if (!has_alarm(alarms_old, f, fv, m) && json_array_append(fresh, v)) goto out;
    }
    int was_decidable = !json_is_false(json_object_get(previous, "decidable"));
    int changed = was_decidable != decidable ||
                  json_array_size(alarms_old) != json_array_size(alarms_new) ||
                  json_array_size(fresh) > 0;
    const json_t *old_cov = json_object_get(previous, "coverage");
    int full;
    char rose[400];
    double rise = coverage_rise(old_cov, coverage, &full, rose, sizeof(rose));
    if (!changed && !full && rise < BM_ALARM_REVISION_MARGIN - 1e-12) {
        snprintf(note, n,
                 "no revision: %s, less than the %.0f points a revision needs, and the verdict is "
                 "the same",
                 rose, 100 * BM_ALARM_REVISION_MARGIN);
        rc = BM_OK;
        goto out;
    }
    char was[200], now[200], reason[900];
    verdict_words(was_decidable, alarms_old, was, sizeof(was));
    verdict_words(decidable, alarms_new, now, sizeof(now));
    if (changed)
        snprintf(reason, sizeof(reason),
                 "With the labels that arrived since, %s; the verdict went from %s to %s.", rose,
                 was, now);
    else
        snprintf(reason, sizeof(reason),
                 "With the labels that arrived since, %s; the verdict stays %s.", rose, was);
    /* json_pack's "o" takes each reference, even when it fails */
    rec =
        json_pack("{s:{s:b,s:o,s:o},s:b,s:o,s:O,s:o,s:{s:s,s:s},s:s,s:o}", "previous", "decidable",
                  was_decidable, "coverage", old_cov ? json_deep_copy(old_cov) : json_null(),
                  "alarms", alarms_old, "decidable", decidable, "why",
                  why && *why ? json_string(why) : json_null(), "coverage", coverage, "alarms",
                  alarms_new, "verdict", "old", was, "new", now, "reason", reason, "evidence", ev);
    alarms_old = alarms_new = ev = NULL;
    if (!rec) goto out;
    *revision = rec;
    rec = NULL;
    *new_alarms = fresh;
    fresh = NULL;
    rc = BM_OK;
out:
    if (rc == BM_ENOMEM) bm_error_set(err, rc, "out of memory");
    json_decref(viol);
    json_decref(ev);
    json_decref(alarms_new);
    json_decref(alarms_old);
    json_decref(fresh);
    json_decref(rec);
    return rc;
}

/* ==================================================================== files */

int bm_alarm_counts_read(const char *uri, json_t **out, bm_error *err)
{
    *out = NULL;
    bm_buf b;
    bm_buf_init(&b, 64u << 20);
    bm_error e;
    bm_error_clear(&e);
    int rc = bm_store_read(uri, 64u << 20, &b, &e);
    if (rc == BM_ENOTFOUND) {
        bm_buf_release(&b);
        return BM_OK;
    }
    if (rc) {
        bm_buf_release(&b);
        *err = e;
        return rc;
    }
    json_error_t je;
    json_t *doc = json_loadb(b.data ? b.data : "", b.len, 0, &je);
    bm_buf_release(&b);
    if (!json_is_object(doc) || !json_is_object(json_object_get(doc, "facets"))) {
        json_decref(doc);
        return bm_error_set(err, BM_EDATA,
                            "%s is not a counts document (bias_counts.json): write it again with "
                            "biasmon analyze",
                            uri);
    }
    *out = doc;
    return BM_OK;
}

int bm_alarm_sibling_uri(const char *uri, const char *name, char *out, size_t n)
{
    const char *slash = strrchr(uri, '/');
    size_t dir = slash ? (size_t)(slash - uri) + 1 : 0;
    int w = snprintf(out, n, "%.*s%s", (int)dir, uri, name);
    return w > 0 && (size_t)w < n ? BM_OK : BM_ELIMIT;
}
