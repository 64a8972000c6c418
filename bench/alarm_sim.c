/* Simulates hourly executions on the Adult data to measure both alarm rules: false alarms per
 * schedule-day without drift, and the delay to detect a DPPL change of 0.1 (docs/alarms.md).
 *
 * usage: alarm_sim ADULT_CSV [--days N] [--trials N] [--per-hour N] [--seed N] [--budget B]
 *                  [--baseline full|half] [--late P,H] [--revisit K] [--min-coverage C]
 *
 * The model is the demo's rule (scripts/demo.sh); the facet sex = Female. The baseline is the
 * confusion counts of the whole file (or of a random half, the traffic then drawn from the other
 * half); each hour's window draws --per-hour rows with replacement, every row labelled. The
 * statistical rule runs through bm_alarm_evaluate exactly as an execution calls it (the counts
 * of the 8 latest windows); SageMaker's rule compares the window's metrics with the baseline's
 * on the 10 post-training metrics computable from the counts (all but CDDPL, FT and GE).
 * Drift scenarios from the first drifted hour on: "a+" the other rows approved more (each
 * negative prediction of a man turned positive with the probability that raises his group's rate
 * by 0.1), "d-" women approved less (rate -0.1), "d+" women approved more (DPPL -0.1).
 *
 * --late P,H: labels arrive late. Each row's label is there by its window's own execution with
 * probability P, else it arrives after one of the next H - 1 executions, uniformly. Executions
 * then revise the windows of the K (--revisit, default 7) periods before whose labels were
 * incomplete, through bm_alarm_revise as lib/monitor/revisions.c does, and a revision's new
 * alarm counts as an alarm at the execution that made it (docs/alarms.md "Late labels"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "biasmon/verdict.h"

typedef struct row {
    unsigned char d, y, yh;
    unsigned char late; /* executions after its window's own that its label arrives */
} row;

static uint64_t rng_state;
static uint64_t next_u64(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double uniform(void)
{
    return (double)(next_u64() >> 11) / 9007199254740992.0;
}

/* one field of a ", "-separated line (the file's own layout) */
static int field(const char *line, int k, char *out, size_t n)
{
    const char *p = line;
    for (int i = 0; i < k; i++) {
        p = strchr(p, ',');
        if (!p) return -1;
        p++;
        while (*p == ' ')
            p++;
    }
    size_t len = strcspn(p, ",\r\n");
    if (len >= n) len = n - 1;
    memcpy(out, p, len);
    out[len] = 0;
    return 0;
}

static row *load(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 40000, len = 0;
    row *rows = malloc(cap * sizeof(row));
    char line[4096];
    int first = 1;
    while (rows && fgets(line, sizeof(line), f)) {
        if (first) {
            first = 0;
            continue;
        }
        char edu[32], hours[32], gain[32], sex[32], sal[32];
        if (field(line, 4, edu, sizeof(edu)) || field(line, 12, hours, sizeof(hours)) ||
            field(line, 10, gain, sizeof(gain)) || field(line, 9, sex, sizeof(sex)) ||
            field(line, 14, sal, sizeof(sal)))
            continue;
        if (len == cap) {
            row *bigger = realloc(rows, 2 * cap * sizeof(row));
            if (!bigger) break;
            rows = bigger;
            cap *= 2;
        }
        long e = strtol(edu, NULL, 10), h = strtol(hours, NULL, 10), g = strtol(gain, NULL, 10);
        rows[len].d = !strcmp(sex, "Female");
        rows[len].y = !strcmp(sal, ">50K");
        rows[len].yh = (e >= 13 && h >= 40) || g >= 7000;
        len++;
    }
    fclose(f);
    *n = len;
    return rows;
}

typedef struct cells {
    double n[2][4];
} cells;

static void add(cells *c, int d, int y, int yh)
{
    c->n[d][y * 2 + yh] += 1; /* tn, fp, fn, tp */
}

static json_t *counts_doc(const cells *c)
{
    json_t *g[2];
    for (int d = 0; d < 2; d++)
        g[d] = json_pack("{s:I,s:I,s:I,s:I}", "tn", (json_int_t)c->n[d][0], "fp",
                         (json_int_t)c->n[d][1], "fn", (json_int_t)c->n[d][2], "tp",
                         (json_int_t)c->n[d][3]);
    return json_pack("{s:{s:[{s:s,s:o,s:o}]}}", "facets", "sex", "value_or_threshold", "Female",
                     "a", g[0], "d", g[1]);
}

/* ---- SageMaker's rule on the metrics computable from the counts ---- */
static double ratio(double a, double b)
{
    return b != 0 ? a / b : (a != 0 ? INFINITY : NAN);
}
static int metrics_of(const cells *c, double *m)
{
    const double *A = c->n[0], *D = c->n[1];
    double na = A[0] + A[1] + A[2] + A[3], nd = D[0] + D[1] + D[2] + D[3];
    double qa = (A[1] + A[3]) / na, qd = (D[1] + D[3]) / nd;
    int k = 0;
    m[k++] = qa - qd;                                             /* DPPL */
    m[k++] = ratio(qd, qa) - 1;                                   /* DI (distance from 1) */
    m[k++] = (A[0] + A[3]) / na - (D[0] + D[3]) / nd;             /* AD */
    m[k++] = ratio(A[3], A[3] + A[2]) - ratio(D[3], D[3] + D[2]); /* RD */
    m[k++] = ratio(D[0], D[0] + D[1]) - ratio(A[0], A[0] + A[1]); /* SD */
    m[k++] = ratio(A[3], A[3] + A[1]) - ratio(D[3], D[3] + D[1]); /* DAR */
    m[k++] = ratio(D[0], D[0] + D[2]) - ratio(A[0], A[0] + A[2]); /* DRR */
    m[k++] = ratio(D[2], D[1]) - ratio(A[2], A[1]);               /* TE */
    m[k++] = ratio(A[3] + A[2], A[3] + A[1]) - ratio(D[3] + D[2], D[3] + D[1]); /* DCA */
    m[k++] = ratio(D[0] + D[1], D[0] + D[2]) - ratio(A[0] + A[1], A[0] + A[2]); /* DCR */
    return k;
}
static int sagemaker_violates(const cells *base, const cells *w)
{
    double mb[16], mw[16];
    int n = metrics_of(base, mb);
    metrics_of(w, mw);
    for (int k = 0; k < n; k++) {
        if (isnan(mw[k]) || isnan(mb[k])) continue;
        if (fabs(mw[k]) > fabs(mb[k])) return 1;
    }
    return 0;
}

/* ---- one schedule ---- */
typedef struct sim {
    const row *rows;
    size_t n;
    const size_t *pool; /* indices traffic is drawn from */
    size_t npool;
    cells base;
    json_t *base_doc, *analysis;
    bm_alarm_settings s;
    int per_hour;
    json_t *win[BM_ALARM_MAX_WINDOWS]; /* [0] latest */
    double qa, qd;                     /* group rates of positive predictions in the pool */
    int tally;                         /* ALARM_SIM_TALLY set: each false alarm on stderr */
    /* late labels (--late): the windows of the revisit span, [0] the latest */
    double late_p;
    int late_h;
    struct lwin {
        row *rows;
        json_t *counts; /* the latest counts (revised or first) */
        json_t *record; /* the latest record: decidable, coverage, alarms */
    } * lw;
    int nlw; /* K + BM_ALARM_MAX_WINDOWS */
    long revisions, revised_alarms;
} sim;

static cells draw(sim *S, const char *drift, row *keep)
{
    cells c;
    memset(&c, 0, sizeof(c));
    for (int i = 0; i < S->per_hour; i++) {
        const row *r = &S->rows[S->pool[next_u64() % S->npool]];
        int yh = r->yh;
        if (keep) {
            keep[i] = *r;
            keep[i].late = 0;
            if (uniform() >= S->late_p)
                keep[i].late = (unsigned char)(1 + next_u64() % (uint64_t)(S->late_h - 1));
        }
        if (drift && !strcmp(drift, "a+") && !r->d && !yh && uniform() < 0.1 / (1 - S->qa)) yh = 1;
        if (drift && !strcmp(drift, "d-") && r->d && yh && uniform() < 0.1 / S->qd) yh = 0;
        if (drift && !strcmp(drift, "d+") && r->d && !yh && uniform() < 0.1 / (1 - S->qd)) yh = 1;
        add(&c, r->d, r->y, yh);
        if (keep) keep[i].yh = (unsigned char)yh;
    }
    return c;
}

/* ---- late labels ---- */

/* The counts of a window's rows whose labels arrived by `after` executions after its own, and
 * their coverage (bm_alarm_coverage's layout); 1 when decidable under s->min_coverage. */
static int labelled(const sim *S, const row *rows, int after, cells *c, json_t **cov)
{
    long n[2] = {0, 0}, l[2] = {0, 0};
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < S->per_hour; i++) {
        n[rows[i].d]++;
        if (rows[i].late > after) continue;
        l[rows[i].d]++;
        add(c, rows[i].d, rows[i].y, rows[i].yh);
    }
    *cov = json_pack("[{s:s,s:s,s:I,s:I,s:I,s:I}]", "facet", "sex", "value_or_threshold", "Female",
                     "rows", (json_int_t)n[1], "labelled_rows", (json_int_t)l[1], "other_rows",
                     (json_int_t)n[0], "other_labelled_rows", (json_int_t)l[0]);
    for (int g = 0; g < 2; g++)
        if (n[g] > 0 && (double)l[g] < S->s.min_coverage * (double)n[g]) return 0;
    return 1;
}

static json_t *alarm_list(const json_t *viol, int decidable)
{
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(decidable ? json_object_get(viol, "violations") : NULL, i, v)
        json_array_append_new(out, json_pack("{s:O,s:O,s:O}", "facet", json_object_get(v, "facet"),
                                             "facet_value", json_object_get(v, "facet_value"),
                                             "metric_name", json_object_get(v, "metric_name")));
    return out;
}

/* One hour with late labels: the revisions of the windows before, oldest first, then the new
 * window's own look. Returns 1 when any alarm was raised (its own or a revision's new one). */
static int late_hour(sim *S, const char *drift)
{
    struct lwin *w = S->lw;
    int K = S->s.revisit, alarmed = 0;
    bm_error err;
    bm_error_clear(&err);
    /* the oldest window leaves; the new one comes in at [0] */
    struct lwin old = w[S->nlw - 1];
    json_decref(old.counts);
    json_decref(old.record);
    memmove(&w[1], &w[0], (size_t)(S->nlw - 1) * sizeof(*w));
    w[0].rows = old.rows;
    w[0].counts = w[0].record = NULL;
    (void)draw(S, drift, w[0].rows);
    for (int k = K; k >= 1; k--) {
        if (!w[k].record || bm_alarm_coverage_complete(json_object_get(w[k].record, "coverage")))
            continue;
        cells c;
        json_t *cov;
        int dec = labelled(S, w[k].rows, k, &c, &cov);
        const json_t *ws[BM_ALARM_MAX_WINDOWS] = {NULL};
        json_t *now = counts_doc(&c);
        ws[0] = now;
        for (int j = 1; j < BM_ALARM_MAX_WINDOWS && k + j < S->nlw; j++)
            ws[j] = w[k + j].counts;
        bm_alarm_settings s2 = S->s;
        s2.looks_per_window = 1 + K;
        json_t *rev = NULL, *fresh = NULL;
        char note[600];
        if (bm_alarm_revise(S->base_doc, ws, BM_ALARM_MAX_WINDOWS, S->analysis, &s2, w[k].record,
                            cov, dec, NULL, &rev, &fresh, note, sizeof(note), &err)) {
            fprintf(stderr, "alarm_sim: %s\n", err.msg);
            exit(1);
        }
        json_decref(cov);
        if (!rev) {
            json_decref(now);
            continue;
        }
        S->revisions++;
        json_decref(w[k].counts);
        w[k].counts = now;
        json_decref(w[k].record);
        w[k].record = rev;
        if (json_array_size(fresh)) {
            alarmed = 1;
            S->revised_alarms++;
        }
        json_decref(fresh);
    }
    cells c;
    json_t *cov;
    int dec = labelled(S, w[0].rows, 0, &c, &cov);
    w[0].counts = counts_doc(&c);
    const json_t *ws[BM_ALARM_MAX_WINDOWS];
    for (int j = 0; j < BM_ALARM_MAX_WINDOWS; j++)
        ws[j] = j < S->nlw ? w[j].counts : NULL;
    bm_alarm_settings s1 = S->s;
    s1.looks_per_window = bm_alarm_coverage_complete(cov) ? 1 : 1 + K;
    json_t *viol = NULL, *ev = NULL;
    size_t nv = 0;
    if (bm_alarm_evaluate(S->base_doc, ws, BM_ALARM_MAX_WINDOWS, S->analysis, &s1, &viol, &nv, &ev,
                          &err)) {
        fprintf(stderr, "alarm_sim: %s\n", err.msg);
        exit(1);
    }
    w[0].record = json_pack("{s:b,s:o,s:o}", "decidable", dec, "coverage", cov, "alarms",
                            alarm_list(viol, dec));
    alarmed |= dec && nv > 0;
    json_decref(viol);
    json_decref(ev);
    return alarmed;
}

static void clear_history(sim *S)
{
    for (int k = 0; k < BM_ALARM_MAX_WINDOWS; k++) {
        json_decref(S->win[k]);
        S->win[k] = NULL;
    }
    for (int k = 0; k < S->nlw; k++) {
        json_decref(S->lw[k].counts);
        json_decref(S->lw[k].record);
        S->lw[k].counts = S->lw[k].record = NULL;
    }
}

/* One hour: returns bit 0 the statistical rule alarmed, bit 1 SageMaker's. */
static int hour(sim *S, const char *drift)
{
    if (S->lw) return late_hour(S, drift); /* the statistical rule only */
    cells c = draw(S, drift, NULL);
    json_decref(S->win[BM_ALARM_MAX_WINDOWS - 1]);
    memmove(&S->win[1], &S->win[0], (BM_ALARM_MAX_WINDOWS - 1) * sizeof(json_t *));
    S->win[0] = counts_doc(&c);
    json_t *viol = NULL, *ev = NULL;
    size_t nv = 0;
    bm_error err;
    bm_error_clear(&err);
    if (bm_alarm_evaluate(S->base_doc, (const json_t *const *)S->win, BM_ALARM_MAX_WINDOWS,
                          S->analysis, &S->s, &viol, &nv, &ev, &err)) {
        fprintf(stderr, "alarm_sim: %s\n", err.msg);
        exit(1);
    }
    if (S->tally && !drift) { /* which metrics and lengths raise the false alarms */
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(viol, "violations"), i, v)
        {
            const char *name = json_string_value(json_object_get(v, "metric_name"));
            int len = (int)json_integer_value(json_object_get(v, "windows"));
            fprintf(stderr, "false alarm: %s over %d windows, z %.2f\n", name, len,
                    json_real_value(json_object_get(v, "z")));
        }
    }
    json_decref(viol);
    json_decref(ev);
    return (nv > 0) | (sagemaker_violates(&S->base, &c) << 1);
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static void delays(sim *S, const char *drift, int trials, int rule_bit, int cap)
{
    int *d = malloc((size_t)trials * sizeof(int));
    int missed = 0;
    for (int t = 0; t < trials; t++) {
        clear_history(S);
        for (int h = 0; h < BM_ALARM_MAX_WINDOWS + (S->lw ? S->s.revisit : 0); h++)
            (void)hour(S, NULL); /* history without drift */
        d[t] = cap + 1;
        for (int h = 1; h <= cap; h++)
            if (hour(S, drift) & rule_bit) {
                d[t] = h;
                break;
            }
        if (d[t] > cap) missed++;
    }
    qsort(d, (size_t)trials, sizeof(int), cmp_int);
    double mean = 0;
    for (int t = 0; t < trials; t++)
        mean += d[t];
    printf("  %-11s drift %-2s: delay median %d, p90 %d, max %d, mean %.2f windows (%d trials, %d "
           "not detected in %d)\n",
           rule_bit == 1 ? "statistical" : "sagemaker", drift, d[trials / 2], d[(trials * 9) / 10],
           d[trials - 1], mean / trials, trials, missed, cap);
    free(d);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: alarm_sim ADULT_CSV [--days N] [--trials N] [--per-hour N] [--seed "
                        "N] [--budget B] "
                        "[--baseline full|half]\n");
        return 2;
    }
    int days = 1000, trials = 500, per_hour = 500;
    unsigned long long seed = 1;
    double budget = BM_ALARM_DEFAULT_BUDGET;
    const char *baseline = "full";
    const char *late = NULL;
    int revisit = BM_ALARM_DEFAULT_REVISIT;
    double min_coverage = BM_ALARM_DEFAULT_COVERAGE;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--days"))
            days = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--trials"))
            trials = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--per-hour"))
            per_hour = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--budget"))
            budget = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--baseline"))
            baseline = argv[i + 1];
        else if (!strcmp(argv[i], "--late"))
            late = argv[i + 1];
        else if (!strcmp(argv[i], "--revisit"))
            revisit = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--min-coverage"))
            min_coverage = strtod(argv[i + 1], NULL);
        else {
            fprintf(stderr, "alarm_sim: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (days < 1 || trials < 1 || per_hour < 1 || !(budget > 0 && budget <= 0.5) || revisit < 0 ||
        revisit > BM_ALARM_MAX_REVISIT || !(min_coverage >= 0 && min_coverage <= 1)) {
        fprintf(stderr,
                "alarm_sim: --days, --trials, --per-hour >= 1, --budget in (0, 0.5], "
                "--revisit 0 to %d, --min-coverage in [0, 1]\n",
                BM_ALARM_MAX_REVISIT);
        return 2;
    }
    double late_p = 1;
    int late_h = 1;
    if (late) {
        char *end = NULL;
        late_p = strtod(late, &end);
        if (end && *end == ',') late_h = (int)strtol(end + 1, &end, 10);
        if (!end || *end || !(late_p >= 0 && late_p <= 1) || late_h < 2 || late_h > 200) {
            fprintf(stderr, "alarm_sim: --late P,H: P in [0, 1], H from 2 to 200\n");
            return 2;
        }
    }
    rng_state = seed;
    sim S;
    memset(&S, 0, sizeof(S));
    S.rows = load(argv[1], &S.n);
    if (!S.rows || S.n == 0) {
        fprintf(stderr, "alarm_sim: cannot read %s\n", argv[1]);
        return 1;
    }
    size_t *idx = malloc(S.n * sizeof(size_t));
    for (size_t i = 0; i < S.n; i++)
        idx[i] = i;
    int half = !strcmp(baseline, "half");
    if (half)
        for (size_t i = S.n - 1; i > 0; i--) { /* shuffle: the first half is the baseline */
            size_t j = next_u64() % (i + 1), t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
    size_t nbase = half ? S.n / 2 : S.n;
    for (size_t i = 0; i < nbase; i++)
        add(&S.base, S.rows[idx[i]].d, S.rows[idx[i]].y, S.rows[idx[i]].yh);
    S.pool = half ? idx + nbase : idx;
    S.npool = half ? S.n - nbase : S.n;
    double pa = 0, na = 0, pd = 0, nd = 0;
    for (size_t i = 0; i < S.npool; i++) {
        const row *r = &S.rows[S.pool[i]];
        if (r->d) {
            nd++;
            pd += r->yh;
        } else {
            na++;
            pa += r->yh;
        }
    }
    S.qa = pa / na;
    S.qd = pd / nd;
    S.base_doc = counts_doc(&S.base);
    S.analysis = json_loads(
        "{\"post_training_bias_metrics\": {\"facets\": {\"sex\": [{\"metrics\": ["
        "{\"name\": \"AD\"}, {\"name\": \"CDDPL\"}, {\"name\": \"DAR\"}, {\"name\": \"DCA\"}, "
        "{\"name\": \"DCR\"}, {\"name\": \"DI\"}, {\"name\": \"DPPL\"}, {\"name\": \"DRR\"}, "
        "{\"name\": \"FT\"}, {\"name\": \"GE\"}, {\"name\": \"RD\"}, {\"name\": \"SD\"}, "
        "{\"name\": \"TE\"}]}]}}}",
        0, NULL);
    S.s.rule = BM_RULE_STATISTICAL;
    S.s.budget = budget;
    S.s.looks_per_day = 24;
    S.s.looks_per_window = 1;
    S.s.revisit = revisit;
    S.s.min_coverage = min_coverage;
    if (late) {
        S.late_p = late_p;
        S.late_h = late_h;
        S.nlw = revisit + BM_ALARM_MAX_WINDOWS;
        S.lw = calloc((size_t)S.nlw, sizeof(*S.lw));
        for (int k = 0; S.lw && k < S.nlw; k++)
            if (!(S.lw[k].rows = calloc((size_t)per_hour, sizeof(row)))) {
                fprintf(stderr, "alarm_sim: out of memory\n");
                return 1;
            }
        if (!S.lw) {
            fprintf(stderr, "alarm_sim: out of memory\n");
            return 1;
        }
    }
    S.per_hour = per_hour;
    S.tally = getenv("ALARM_SIM_TALLY") != NULL;
    printf(
        "alarm_sim: %zu rows, baseline %s (%zu rows), %d requests an hour, budget %g, seed %llu\n",
        S.n, baseline, nbase, per_hour, budget, seed);
    printf(
        "  traffic rates of positive predictions: other rows %.3f, sex = Female %.3f (DPPL %.3f)\n",
        S.qa, S.qd, S.qa - S.qd);
    if (late)
        printf("  late labels: %.0f%% by the window's own execution, the rest over the next %d; "
               "revisit %d, min coverage %g (the statistical rule only)\n",
               100 * late_p, late_h - 1, revisit, min_coverage);

    /* no drift: one long schedule, days of 24 hourly executions */
    long days_stat = 0, days_sm = 0, win_stat = 0, win_sm = 0;
    for (int d = 0; d < days; d++) {
        int any_stat = 0, any_sm = 0;
        for (int h = 0; h < 24; h++) {
            int r = hour(&S, NULL);
            win_stat += r & 1;
            win_sm += (r >> 1) & 1;
            any_stat |= r & 1;
            any_sm |= (r >> 1) & 1;
        }
        days_stat += any_stat;
        days_sm += any_sm;
    }
    if (late)
        printf("  no drift, %d schedule-days: statistical %ld days with a false alarm (%.2f%%), "
               "%ld of %d executions\n",
               days, days_stat, 100.0 * days_stat / days, win_stat, days * 24);
    else
        printf("  no drift, %d schedule-days: statistical %ld days with a false alarm (%.2f%%), "
               "%ld of %d windows; sagemaker %ld days (%.1f%%), %ld windows\n",
               days, days_stat, 100.0 * days_stat / days, win_stat, days * 24, days_sm,
               100.0 * days_sm / days, win_sm);
    if (late)
        printf("  revisions recorded: %ld, of which raised a new alarm: %ld\n", S.revisions,
               S.revised_alarms);
    static const char *const drifts[] = {"a+", "d-", "d+"};
    for (int k = 0; k < 3; k++) {
        delays(&S, drifts[k], trials, 1, 48);
        if (!late) delays(&S, drifts[k], trials < 100 ? trials : 100, 2, 48);
    }
    clear_history(&S);
    for (int k = 0; S.lw && k < S.nlw; k++)
        free(S.lw[k].rows);
    free(S.lw);
    json_decref(S.base_doc);
    json_decref(S.analysis);
    free(idx);
    free((void *)S.rows);
    return 0;
}
