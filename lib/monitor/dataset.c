/* The analyze run's first stage: a dataset (CSV in parallel byte ranges, or JSON Lines) read
 * through lib/table/'s row sources into count cubes (plans, filling cubes on threads, merging). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "biasmon/csv.h"
#include "biasmon/dataset.h"
#include "biasmon/progress.h"
#include "biasmon/jmespath.h"
#include "biasmon/store.h"

#define PARALLEL_MIN_BYTES (16u << 20)
#define MAX_THREADS 64
#define MAX_JSONL_LINE (16u << 20)

void bm_dataset_result_release(bm_dataset_result *r)
{
    bm_cube_free(r->cube);
    bm_plan_free(r->plan);
    for (size_t k = 0; k < r->nowned; k++)
        bm_free(r->owned[k]);
    bm_free(r->owned);
    bm_free(r->view.facets);
    memset(r, 0, sizeof(*r));
}

static int nthreads_default(int n)
{
    if (n > 0) return n > MAX_THREADS ? MAX_THREADS : n;
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c < 1 ? 1 : c > MAX_THREADS ? MAX_THREADS : (int)c;
}

/* ==================================================================== CSV */

typedef struct range_job {
    const char *path;
    const bm_plan *plan;
    off_t start, limit;
    bm_cube *cube;
    off_t end;  /* where the range's last record ended */
    long lines; /* physical lines consumed */
    int status;
    bm_error err;
} range_job;

/* Parses records of one byte range into job->cube. */
static void *range_main(void *arg)
{
    range_job *j = arg;
    const bm_plan *p = j->plan;
    size_t ncols = bm_plan_ncols(p);
    bm_csv *csv = NULL;
    j->status = BM_ENOMEM;
    csv = bm_csv_open_file(j->path, j->start, j->limit, NULL, &j->err);
    if (!csv) {
        j->status = j->err.code ? j->err.code : BM_EIO;
        goto out;
    }
    uint64_t rows = 0, shown = (uint64_t)j->start; /* progress: told every 8192 rows */
    for (;;) {
        bm_csv_record rec;
        int r = bm_csv_next(csv, &rec, &j->err);
        if (r) {
            j->status = r;
            goto out;
        }
        if (!rec.nfields) break;
        if (++rows == 8192) {
            uint64_t at = (uint64_t)bm_csv_offset(csv);
            bm_progress_add(at - shown, rows);
            shown = at;
            rows = 0;
        }
        if (rec.nfields > ncols) {
            bm_error_set(&j->err, BM_EPARSE, "expected %zu fields, saw %zu", ncols, rec.nfields);
            bm_error_at(&j->err, j->path, rec.line, (long)ncols + 1, NULL);
            j->status = BM_EPARSE;
            goto out;
        }
        if ((r = bm_cube_add_csv(j->cube, rec.fields, rec.nfields, &j->err))) {
            bm_error_at(&j->err, j->path, rec.line, 0, NULL);
            j->status = r;
            goto out;
        }
    }
    j->end = bm_csv_offset(csv);
    j->lines = bm_csv_lines(csv);
    bm_progress_add((uint64_t)j->end - shown, rows);
    j->status = BM_OK;
out:
    bm_csv_close(csv);
    return NULL;
}

static int own(bm_dataset_result *res, char *s)
{
    if (!s) return BM_ENOMEM;
    char **n = bm_reallocarray(res->owned, res->nowned + 1, sizeof(char *));
    if (!n) {
        bm_free(s);
        return BM_ENOMEM;
    }
    res->owned = n;
    res->owned[res->nowned++] = s;
    return BM_OK;
}

static int read_csv(const bm_analysis_config *cfg, const char *path, int nthreads,
                    bm_dataset_result *res, bm_error *err)
{
    int r;
    bm_csv *csv = bm_csv_open_file(path, 0, -1, NULL, err);
    if (!csv) return err->code ? err->code : BM_EIO;
    bm_csv_record rec;
    if ((r = bm_csv_next(csv, &rec, err))) {
        bm_csv_close(csv);
        return r;
    }
    const char **names = NULL;
    size_t ncols;
    off_t data_start = 0;
    long header_lines = 0;
    if (cfg->headers) {
        ncols = cfg->nheaders;
        names = (const char **)cfg->headers;
        if (rec.nfields && bm_csv_record_is(&rec, cfg->headers, cfg->nheaders)) {
            data_start = bm_csv_offset(csv);
            header_lines = bm_csv_lines(csv);
        }
    } else {
        if (!rec.nfields) {
            bm_csv_close(csv);
            bm_error_at(err, path, 1, 0, NULL);
            return bm_error_set(err, BM_EDATA, "the file is empty: expected a header row");
        }
        ncols = rec.nfields;
        names = bm_calloc(ncols, sizeof(char *));
        if (!names) {
            bm_csv_close(csv);
            return bm_error_set(err, BM_ENOMEM, "out of memory");
        }
        for (size_t k = 0; k < ncols; k++) {
            char *s = bm_strndup(rec.fields[k].p, rec.fields[k].n);
            if ((r = own(res, s))) {
                bm_free(names);
                bm_csv_close(csv);
                return bm_error_set(err, BM_ENOMEM, "out of memory");
            }
            names[k] = s;
        }
        data_start = bm_csv_offset(csv);
        header_lines = bm_csv_lines(csv);
    }
    bm_csv_close(csv);
    res->view = *cfg;
    res->view.facets = NULL; /* CSV plans read cfg itself; the view is unused */
    r = bm_plan_new(cfg, names, ncols, &res->plan, err);
    if (names != (const char **)cfg->headers) bm_free(names);
    if (r) return r;

    struct stat st;
    if (stat(path, &st) != 0) {
        bm_error_at(err, path, 0, 0, NULL);
        return bm_error_set(err, BM_EIO, "cannot stat: %s", strerror(errno));
    }
    /* one thread per CPU for large files; an explicit thread count is always honoured */
    int nt = nthreads_default(nthreads);
    if (nthreads <= 0 && st.st_size - data_start < (off_t)PARALLEL_MIN_BYTES) nt = 1;
    range_job jobs[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    memset(jobs, 0, sizeof(jobs));
    off_t prev = data_start;
    int njobs = 0;
    for (int t = 0; t < nt; t++) {
        off_t lim = -1;
        if (t + 1 < nt) {
            off_t pos = data_start + (st.st_size - data_start) * (t + 1) / nt;
            if ((r = bm_csv_find_boundary(path, pos, &lim, err))) goto join;
            if (lim <= prev) continue;
        }
        range_job *j = &jobs[njobs];
        j->path = path;
        j->plan = res->plan;
        j->start = prev;
        j->limit = lim;
        j->cube = bm_cube_new(res->plan);
        if (!j->cube) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            goto join;
        }
        njobs++;
        prev = lim;
        if (lim < 0) break;
    }
    int started = 0;
    for (int t = 1; t < njobs; t++, started++)
        if (pthread_create(&tids[t], NULL, range_main, &jobs[t]) != 0) break;
    range_main(&jobs[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(tids[t], NULL);
    for (int t = started + 1; t < njobs; t++)
        range_main(&jobs[t]); /* threads unavailable */
    r = BM_OK;
join:
    if (r) {
        for (int t = 0; t < njobs; t++)
            bm_cube_free(jobs[t].cube);
        return r;
    }
    /* Stitch: range t is valid only if range t-1 ended exactly where t started (a quoted line
     * break at a split point breaks that); otherwise re-read sequentially from there. */
    long lines_before = header_lines;
    res->cube = jobs[0].cube;
    jobs[0].cube = NULL;
    int t = 0;
    for (;;) {
        range_job *j = &jobs[t];
        if (j->status) {
            *err = j->err;
            if (err->line) err->line += lines_before;
            bm_error_at(err, path, err->line, err->col, NULL);
            r = j->status;
            break;
        }
        lines_before += j->lines;
        if (t + 1 >= njobs) break;
        range_job *n = &jobs[t + 1];
        if (n->start == j->end) {
            if ((r = bm_cube_merge(res->cube, n->cube, err))) break;
            t++;
            continue;
        }
        /* mismatch: discard the following ranges and continue from j->end in one pass */
        for (int k = t + 1; k < njobs; k++) {
            bm_cube_free(jobs[k].cube);
            jobs[k].cube = NULL;
        }
        range_job seq;
        memset(&seq, 0, sizeof(seq));
        seq.path = path;
        seq.plan = res->plan;
        seq.start = j->end;
        seq.limit = -1;
        seq.cube = res->cube;
        range_main(&seq);
        if (seq.status) {
            *err = seq.err;
            if (err->line) err->line += lines_before;
            bm_error_at(err, path, err->line, err->col, NULL);
            r = seq.status;
        }
        njobs = t + 1;
        break;
    }
    for (int k = 0; k < njobs; k++)
        bm_cube_free(jobs[k].cube);
    return r;
}

/* ==================================================================== JSON Lines */

static int jsonl_columns(const bm_analysis_config *cfg, bm_dataset_result *res, const char ***names,
                         size_t *ncols, bm_error *err)
{
    /* columns: the headers (features..., label last), then the prediction if configured */
    size_t nh = cfg->nheaders;
    if (nh < 2) {
        bm_error_at(err, NULL, 0, 0, "$.headers");
        return bm_error_set(
            err, BM_ECONFIG,
            "JSON Lines datasets need headers for the features and the label (last)");
    }
    *ncols = nh + (cfg->predicted_label.set ? 1 : 0);
    const char **n = bm_calloc(*ncols, sizeof(char *));
    if (!n) return bm_error_set(err, BM_ENOMEM, "out of memory");
    for (size_t k = 0; k < nh; k++)
        n[k] = cfg->headers[k];
    if (cfg->predicted_label.set) n[nh] = "predicted_label";
    for (size_t k = 0; k + 1 < nh; k++)
        if (strcmp(cfg->headers[k], "predicted_label") == 0 && cfg->predicted_label.set) {
            bm_free(n);
            bm_error_at(err, NULL, 0, 0, "$.headers");
            return bm_error_set(err, BM_ECONFIG,
                                "\"predicted_label\" is reserved for the prediction column");
        }
    res->view = *cfg;
    /* the view owns its facet array (released with the result); the values stay cfg's */
    res->view.facets = bm_calloc(cfg->nfacets, sizeof(*cfg->facets));
    if (!res->view.facets) {
        bm_free(n);
        return bm_error_set(err, BM_ENOMEM, "out of memory");
    }
    memcpy(res->view.facets, cfg->facets, cfg->nfacets * sizeof(*cfg->facets));
    char *label = bm_strdup(cfg->headers[nh - 1]);
    if (own(res, label)) {
        bm_free(n);
        return bm_error_set(err, BM_ENOMEM, "out of memory");
    }
    res->view.label.name = label;
    res->view.label.index = -1;
    if (cfg->predicted_label.set) {
        char *pl = bm_strdup("predicted_label");
        if (own(res, pl)) {
            bm_free(n);
            return bm_error_set(err, BM_ENOMEM, "out of memory");
        }
        res->view.predicted_label.name = pl;
        res->view.predicted_label.index = -1;
    }
    *names = n;
    return BM_OK;
}

static int read_jsonl(const bm_analysis_config *cfg, const char *path, bm_dataset_result *res,
                      bm_error *err)
{
    const char **names = NULL;
    size_t ncols = 0;
    int r = jsonl_columns(cfg, res, &names, &ncols, err);
    if (r) return r;
    bm_jmespath *jf = NULL, *jl = NULL, *jp = NULL;
    FILE *f = NULL;
    bm_cell *cells = NULL;
    bm_buf line;
    bm_buf_init(&line, MAX_JSONL_LINE);
    if ((r = bm_plan_new(&res->view, names, ncols, &res->plan, err))) goto out;
    if (!(res->cube = bm_cube_new(res->plan)) || !(cells = bm_calloc(ncols, sizeof(bm_cell)))) {
        r = bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    if (!(jf = bm_jmespath_compile(cfg->features, err))) {
        bm_error_at(err, NULL, 0, 0, "$.features");
        r = err->code;
        goto out;
    }
    if (!(jl = bm_jmespath_compile(cfg->label.name, err))) {
        bm_error_at(err, NULL, 0, 0, "$.label");
        r = err->code;
        goto out;
    }
    if (cfg->predicted_label.set && !(jp = bm_jmespath_compile(cfg->predicted_label.name, err))) {
        bm_error_at(err, NULL, 0, 0, "$.predicted_label");
        r = err->code;
        goto out;
    }
    f = fopen(path, "rb");
    if (!f) {
        bm_error_at(err, path, 0, 0, NULL);
        r = bm_error_set(err, BM_EIO, "cannot open: %s", strerror(errno));
        goto out;
    }
    long lineno = 0;
    size_t nfeat = cfg->nheaders - 1;
    for (;;) {
        bm_buf_reset(&line);
        int ch, eof = 0;
        while ((ch = getc(f)) != EOF && ch != '\n')
            if ((r = bm_buf_putc(&line, (char)ch))) {
                bm_error_at(err, path, lineno + 1, 0, NULL);
                bm_error_set(err, r, r == BM_ELIMIT ? "line longer than 16 MiB" : "out of memory");
                goto out;
            }
        if (ch == EOF) eof = 1;
        if (eof && line.len == 0) break;
        lineno++;
        bm_progress_add(line.len + !eof, 1);
        size_t n = line.len;
        while (n &&
               (line.data[n - 1] == '\r' || line.data[n - 1] == ' ' || line.data[n - 1] == '\t'))
            n--;
        if (n == 0) continue;
        json_error_t je;
        json_t *doc = json_loadb(line.data, n, 0, &je);
        if (!doc) {
            r = bm_json_error(err, path, &je);
            bm_error_at(err, NULL, lineno, je.column, NULL);
            goto out;
        }
        json_t *fv = bm_jmespath_eval(jf, doc);
        json_t *lv = fv ? bm_jmespath_eval(jl, doc) : NULL;
        json_t *pv = (lv && jp) ? bm_jmespath_eval(jp, doc) : NULL;
        if (!fv || !lv || (jp && !pv)) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
        } else if (!json_is_array(fv) || json_array_size(fv) != nfeat) {
            bm_error_at(err, path, lineno, 0, "$.features");
            r = bm_error_set(err, BM_EDATA,
                             "features expression \"%s\" must give a list of %zu values (one per "
                             "header but the last), got %s",
                             cfg->features, nfeat,
                             json_is_array(fv) ? "a list of another length" : "no list");
        } else {
            r = BM_OK;
            size_t bad = 0;
            for (size_t k = 0; !r && k < nfeat; k++)
                if ((r = bm_cell_from_json(json_array_get(fv, k), &cells[k]))) bad = k;
            if (!r && (r = bm_cell_from_json(lv, &cells[nfeat]))) bad = nfeat;
            if (!r && jp && (r = bm_cell_from_json(pv, &cells[nfeat + 1]))) bad = nfeat + 1;
            if (r)
                bm_error_set(err, r,
                             "column \"%s\" holds a list or an object; expected a single value",
                             names[bad]);
            if (!r) r = bm_cube_add(res->cube, cells, err);
            if (r) bm_error_at(err, path, lineno, 0, NULL);
        }
        json_decref(fv);
        json_decref(lv);
        json_decref(pv);
        json_decref(doc);
        if (r) goto out;
        if (eof) break;
    }
    r = BM_OK;
out:
    if (f) fclose(f);
    bm_jmespath_free(jf);
    bm_jmespath_free(jl);
    bm_jmespath_free(jp);
    bm_free(cells);
    bm_free(names);
    bm_buf_release(&line);
    return r;
}

/* Post-training metrics need the predictions in the data: said before any byte is fetched. */
static int needs_predictions(const bm_analysis_config *cfg, bm_error *err)
{
    if (cfg->post_requested && cfg->post_mask && !cfg->predicted_label.set) {
        bm_error_at(err, NULL, 0, 0, "$.predicted_label");
        if (cfg->methods_absent)
            return bm_error_set(
                err, BM_ECONFIG,
                "no methods are given, so every pre- and post-training metric is computed, and "
                "post-training metrics need predicted_label: add predicted_label (the dataset "
                "column of the model's predictions) or a predictor (the model to ask for them), "
                "or add methods with pre_training_bias only");
        return bm_error_set(
            err, BM_ECONFIG,
            "post_training_bias needs predicted_label (the dataset column of the model's "
            "predictions) or a predictor (the model to ask for them): add one, or remove "
            "methods.post_training_bias");
    }
    return BM_OK;
}

int bm_dataset_read_local(const bm_analysis_config *cfg, const char *local, const char *shown,
                          int nthreads, bm_dataset_result *out, bm_error *err)
{
    memset(out, 0, sizeof(*out));
    bm_error_clear(err);
    if (needs_predictions(cfg, err)) return err->code;
    int r = cfg->dataset_type == BM_DATASET_JSONLINES ? read_jsonl(cfg, local, out, err)
                                                      : read_csv(cfg, local, nthreads, out, err);
    if (r) {
        if ((!err->file[0] && err->path[0] == 0) || !strcmp(err->file, local))
            bm_error_at(err, shown, err->line, err->col, NULL);
        bm_dataset_result_release(out);
    }
    return r;
}

int bm_dataset_read(const bm_analysis_config *cfg, const char *path, int nthreads,
                    bm_dataset_result *out, bm_error *err)
{
    memset(out, 0, sizeof(*out));
    bm_error_clear(err);
    if (needs_predictions(cfg, err)) return err->code;
    /* an object that is not a local file (s3://) is read from a temporary copy, which errors
     * never name: they name the URI */
    char local[4096];
    int temporary = 0;
    int r = bm_store_local_copy(path, local, sizeof(local), &temporary, err);
    if (!r) r = bm_dataset_read_local(cfg, local, path, nthreads, out, err);
    if (temporary) unlink(local);
    return r;
}
