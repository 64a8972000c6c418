/* biasmon analyze: what a SageMaker Clarify bias processing job does, on local files. */
#define _GNU_SOURCE /* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "biasmon/bias.h"
#include "biasmon/config.h"
#include "biasmon/dataset.h"
#include "biasmon/jsonw.h"
#include "biasmon/predict.h"
#include "biasmon/reportdoc.h"
#include "biasmon/store.h"
#include "biasmon/verdict.h"
#include "cli.h"

void bm_cmd_analyze_usage(FILE *out)
{
    fputs(
        "usage: biasmon analyze --analysis-config URI --dataset URI [--output URI] [--threads N]\n"
        "                       [--cube URI] [--confine DIR]...\n"
        "                       [--model-url URL | --model-url-file FILE]\n"
        "\n"
        "Computes SageMaker Clarify's pre-training (CI, DPL, KL, JS, LP, TVD, KS, CDDL) and\n"
        "post-training (AD, CDDPL, DAR, DCA, DCR, DI, DPPL, DRR, FT, GE, RD, SD, TE) bias\n"
        "metrics of a dataset and writes OUTPUT/analysis.json in Clarify's layout, and\n"
        "OUTPUT/{name}.html, .ipynb and .pdf (printed by /usr/bin/chromium, or\n"
        "$BIASMON_CHROMIUM, when installed) when the config's methods has report.\n"
        "\n"
        "URIs are local paths, file:///path or s3://bucket/key (AWS_ENDPOINT_URL_S3, AWS_REGION,\n"
        "AWS_ACCESS_KEY_ID... as the aws CLI reads them).\n"
        "\n"
        "  --analysis-config URI   Clarify's analysis_config.json (dataset_type text/csv or\n"
        "                          application/jsonlines, label, label_values_or_threshold,\n"
        "                          facet, group_variable, predicted_label, probability_threshold,\n"
        "                          methods)\n"
        "  --dataset URI           the data: CSV with a header row (or the config's headers),\n"
        "                          or JSON Lines\n"
        "                          Both inputs may also name a folder (an S3 prefix) that holds\n"
        "                          just the one object, as a processing job's inputs do.\n"
        "  --output URI            where analysis.json goes (default: the current directory)\n"
        "  --threads N             reading threads for large CSV files (default: one per CPU)\n"
        "  --cube URI              also write the count cube (mergeable statistics) as JSON\n"
        "  --confine DIR           read and write local files only beneath DIR (repeatable), as\n"
        "                          biasmon serve's processing jobs do: a path outside, or a link\n"
        "                          that leads out, is refused\n"
        "  --model-url URL         when the config has a predictor and the dataset no\n"
        "                          predicted_label: the model server the rows' features are\n"
        "                          POSTed to for predictions, as Clarify asks its model\n"
        "                          (biasmon serve passes its model's BIASMON_MODEL_URL)\n"
        "  --model-url-file FILE   the same URL, read from the first line of FILE (so it is not\n"
        "                          on a command line other users can read)\n"
        "  --summary               print the summary (rows, headline metrics, report) even when\n"
        "                          stdout is not a terminal\n"
        "  --json                  print {counts, facet_groups, output, report} to stdout\n"
        "\n"
        "Exit status: 0 when the analysis ran (metric-level errors are recorded in the JSON),\n"
        "2 for a bad command line, 3 when the config or the data cannot be used, 4 when an\n"
        "output cannot be written, 5 for internal errors.\n",
        out);
}

/* report.html (named by methods.report.name) beside analysis.json, with the group sizes. */
static int write_report(const bm_analysis_config *cfg, const bm_cube *cube, json_t *analysis,
                        const char *dir, bm_error *err)
{
    json_t *groups = NULL;
    int r = bm_cube_facet_groups(cube, &groups, err);
    if (r) return r;
    json_t *account = json_pack("{s:{s:I},s:o}", "counts", "rows", (json_int_t)bm_cube_rows(cube),
                                "facet_groups", groups);
    if (!account) return bm_error_set(err, BM_ENOMEM, "out of memory");
    bm_report_input in = {cfg->report_title, analysis, NULL, NULL, account, NULL};
    /* the PDF is printed by Debian's chromium when it is installed (BIASMON_CHROMIUM names another)
     */
    const char *chromium = getenv("BIASMON_CHROMIUM");
    if (!chromium || !chromium[0]) chromium = "/usr/bin/chromium";
    if (access(chromium, X_OK)) {
        fprintf(stderr, "biasmon: no %s.pdf: %s is not installed (apt install chromium)\n",
                cfg->report_name ? cfg->report_name : "report", chromium);
        chromium = NULL;
    }
    r = bm_report_write(dir, cfg->report_name, chromium, &in, err);
    json_decref(account);
    return r;
}

/* Asks the model at url for the predictions of the dataset (read from `read`, named `shown`) and
 * leaves the dataset with them in *fd, a temporary file already unlinked; cfg then reads it. */
static int predict(bm_analysis_config *cfg, const char *read, const char *shown, const char *url,
                   int *fd, bm_error *err)
{
    char local[4096], tmp[4096];
    int temporary = 0, r;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    if (snprintf(tmp, sizeof(tmp), "%s/biasmon-predicted-XXXXXX", dir) >= (int)sizeof(tmp))
        return bm_error_set(err, BM_ELIMIT, "TMPDIR path too long");
    if (!strncmp(read, "/proc/self/fd/", 14))
        snprintf(local, sizeof(local), "%s", read);
    else if ((r = bm_store_local_copy(read, local, sizeof(local), &temporary, err)))
        return r;
    *fd = mkostemp(tmp, O_CLOEXEC);
    if (*fd < 0) {
        int e = errno;
        if (temporary) unlink(local);
        bm_error_at(err, dir, 0, 0, NULL);
        return bm_error_set(err, BM_EIO, "cannot make a temporary file: %s", strerror(e));
    }
    unlink(tmp);
    bm_predict_opts o = {url, 0, 0};
    bm_predict_stats st;
    r = bm_predict_dataset(cfg, local, shown, &o, *fd, &st, err);
    if (temporary) unlink(local);
    if (!r)
        fprintf(stderr, "biasmon: the model predicted %llu rows (%llu requests, %llu retried)\n",
                st.rows, st.requests, st.retries);
    return r;
}

int bm_cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {
        {"analysis-config", required_argument, NULL, 'c'},
        {"dataset", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 't'},
        {"cube", required_argument, NULL, 'k'},
        {"confine", required_argument, NULL, 'C'},
        {"summary", no_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'J'},
        {"model-url", required_argument, NULL, 'M'},
        {"model-url-file", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL, *data_path = NULL, *out_dir = ".", *cube_path = NULL;
    const char *model_url = NULL;
    char url_buf[4097];
    const char *roots[BM_STORE_MAX_ROOTS];
    size_t nroots = 0;
    int threads = 0, summary = 0, as_json = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:d:o:t:k:C:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config_path = optarg;
            break;
        case 'd':
            data_path = optarg;
            break;
        case 'o':
            out_dir = optarg;
            break;
        case 'k':
            cube_path = optarg;
            break;
        case 'C':
            if (nroots == BM_STORE_MAX_ROOTS) {
                fprintf(stderr, "biasmon analyze: at most %d --confine folders\n",
                        BM_STORE_MAX_ROOTS);
                return BM_EXIT_USAGE;
            }
            roots[nroots++] = optarg;
            break;
        case 't': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 64) {
                fprintf(stderr, "biasmon analyze: --threads must be 1..64\n");
                return BM_EXIT_USAGE;
            }
            threads = (int)v;
            break;
        }
        case 'S':
            summary = 1;
            break;
        case 'J':
            as_json = 1;
            break;
        case 'M':
            if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8)) {
                fprintf(stderr,
                        "biasmon analyze: --model-url must be an http:// or https:// URL\n");
                return BM_EXIT_USAGE;
            }
            model_url = optarg;
            break;
        case 'F': {
            FILE *f = fopen(optarg, "r");
            size_t n = f ? fread(url_buf, 1, sizeof(url_buf) - 1, f) : 0;
            if (f) fclose(f);
            url_buf[n] = 0;
            url_buf[strcspn(url_buf, "\r\n")] = 0;
            if (!f || (strncmp(url_buf, "http://", 7) && strncmp(url_buf, "https://", 8))) {
                fprintf(stderr,
                        "biasmon analyze: --model-url-file: %s must hold an http:// or https:// "
                        "URL on its first line\n",
                        f ? "the file" : "cannot read the file; it");
                return BM_EXIT_USAGE;
            }
            model_url = url_buf;
            break;
        }
        case 'h':
            bm_cmd_analyze_usage(stdout);
            return BM_EXIT_OK;
        default:
            bm_cmd_analyze_usage(stderr);
            return BM_EXIT_USAGE;
        }
    }
    if (optind < argc || !config_path || !data_path) {
        fprintf(stderr, "biasmon analyze: --analysis-config and --dataset are required\n");
        bm_cmd_analyze_usage(stderr);
        return BM_EXIT_USAGE;
    }
    int rc = BM_EXIT_INTERNAL;
    bm_error err;
    bm_error_clear(&err);
    if (nroots && bm_store_confine(roots, nroots, &err)) {
        bm_cli_error(&err);
        return BM_EXIT_USAGE;
    }
    /* each input is an object or a folder holding just one (a processing job's S3Prefix input) */
    char config_uri[4096], data_uri[4096];
    if (bm_store_resolve_one(config_path, config_uri, sizeof(config_uri), &err) ||
        bm_store_resolve_one(data_path, data_uri, sizeof(data_uri), &err)) {
        bm_cli_error(&err);
        return err.code == BM_ENOMEM ? BM_EXIT_INTERNAL : BM_EXIT_INPUT;
    }
    config_path = config_uri;
    /* confined, a local dataset is opened beneath its root once, and read through that
     * descriptor, so a link planted after the check leads nowhere */
    char data_fd_path[64];
    const char *data_read = data_uri;
    int data_fd = -1;
    if (nroots && bm_store_is_local(data_uri)) {
        if (bm_store_open_fd(data_uri, &data_fd, &err)) {
            bm_cli_error(&err);
            return BM_EXIT_INPUT;
        }
        snprintf(data_fd_path, sizeof(data_fd_path), "/proc/self/fd/%d", data_fd);
        data_read = data_fd_path;
    }
    bm_analysis_config cfg;
    int pred_fd = -1;
    char pred_path[64];
    bm_dataset_result ds;
    memset(&ds, 0, sizeof(ds));
    json_t *analysis = NULL, *counts = NULL;
    bm_buf out, cbuf;
    bm_buf_init(&out, (size_t)1 << 30);
    bm_buf_init(&cbuf, (size_t)1 << 30);
    int r = bm_analysis_config_load(config_path, &cfg, &err);
    if (r) {
        bm_cli_error(&err);
        bm_buf_release(&out);
        if (data_fd >= 0) close(data_fd);
        return r == BM_ENOMEM ? BM_EXIT_INTERNAL : BM_EXIT_INPUT;
    }
    /* a config with a predictor and no predicted_label: the model's predictions are added as a
     * column of a temporary copy of the dataset, which is then analysed as one that had them */
    struct bm_cli_progress *progress = bm_cli_progress_start("analyze", as_json);
    if (cfg.predictor.set && !cfg.predicted_label.set && cfg.post_requested && cfg.post_mask) {
        r = predict(&cfg, data_fd >= 0 ? data_read : data_uri, data_uri, model_url, &pred_fd, &err);
        if (r) {
            bm_cli_progress_stop(progress);
            if (err.path[0] && !err.file[0]) bm_error_at(&err, config_path, 0, 0, NULL);
            bm_cli_error(&err);
            rc = r == BM_ENOMEM || r == BM_EINTERNAL ? BM_EXIT_INTERNAL : BM_EXIT_INPUT;
            goto out;
        }
        snprintf(pred_path, sizeof(pred_path), "/proc/self/fd/%d", pred_fd);
        r = bm_dataset_read_local(&cfg, pred_path, data_uri, threads, &ds, &err);
    } else {
        r = data_fd >= 0 ? bm_dataset_read_local(&cfg, data_read, data_uri, threads, &ds, &err)
                         : bm_dataset_read(&cfg, data_uri, threads, &ds, &err);
    }
    if (r) {
        bm_cli_progress_stop(progress); /* the line is cleared before anything else is printed */
        if (err.path[0] && !err.file[0]) bm_error_at(&err, config_path, 0, 0, NULL);
        bm_cli_error(&err);
        rc = r == BM_ENOMEM || r == BM_EINTERNAL ? BM_EXIT_INTERNAL : BM_EXIT_INPUT;
        goto out;
    }
    bm_cli_progress_phase(progress, "computing the metrics");
    r = bm_cube_analyze(ds.cube, threads, &analysis, &err);
    bm_cli_progress_stop(progress);
    if (r) {
        bm_cli_error(&err);
        goto out;
    }
    if (bm_json_write(analysis, 2, &out) || bm_buf_putc(&out, '\n')) {
        fprintf(stderr, "biasmon: out of memory writing analysis.json\n");
        goto out;
    }
    char path[4096], cpath[4096];
    if (bm_uri_join(out_dir, "analysis.json", path, sizeof(path)) ||
        bm_uri_join(out_dir, BM_COUNTS_NAME, cpath, sizeof(cpath))) {
        fprintf(stderr, "biasmon analyze: --output is too long\n");
        rc = BM_EXIT_USAGE;
        goto out;
    }
    /* the counts beside analysis.json, for the statistical alarm rule when this is a baseline:
     * written first, and removed when analysis.json cannot be, so the pair is complete or absent */
    if (bm_cube_counts(ds.cube, &counts, &err) || bm_json_write(counts, 2, &cbuf) ||
        bm_buf_putc(&cbuf, '\n')) {
        fprintf(stderr, "biasmon: out of memory writing %s\n", BM_COUNTS_NAME);
        goto out;
    }
    if ((r = bm_store_write(cpath, cbuf.data, cbuf.len, &err))) {
        bm_cli_error(&err);
        rc = BM_EXIT_OUTPUT;
        goto out;
    }
    if ((r = bm_store_write(path, out.data, out.len, &err))) {
        bm_cli_error(&err);
        bm_error ignored;
        if (bm_store_remove(
                cpath, &ignored)) /* reported above already: the write of analysis.json failed */
            fprintf(stderr, "biasmon analyze: %s could not be removed either\n", cpath);
        rc = BM_EXIT_OUTPUT;
        goto out;
    }
    /* Clarify writes the reports when the config's methods has report */
    if (cfg.report_requested && (r = write_report(&cfg, ds.cube, analysis, out_dir, &err))) {
        bm_cli_error(&err);
        rc = r == BM_ENOMEM ? BM_EXIT_INTERNAL : BM_EXIT_OUTPUT;
        goto out;
    }
    if (cube_path) {
        bm_buf_reset(&out);
        if (bm_cube_write(ds.cube, &out)) {
            fprintf(stderr, "biasmon: out of memory writing the cube\n");
            goto out;
        }
        if ((r = bm_store_write(cube_path, out.data, out.len, &err))) {
            bm_cli_error(&err);
            rc = BM_EXIT_OUTPUT;
            goto out;
        }
    }
    fprintf(stderr, "biasmon: analysed %llu rows; wrote %s\n",
            (unsigned long long)bm_cube_rows(ds.cube), path);
    if (as_json || bm_cli_summary_wanted(summary)) {
        json_t *groups = NULL, *account = NULL;
        if (!bm_cube_facet_groups(ds.cube, &groups, &err))
            account = json_pack("{s:{s:I},s:o}", "counts", "rows",
                                (json_int_t)bm_cube_rows(ds.cube), "facet_groups", groups);
        char report[128];
        snprintf(report, sizeof(report), "%s.html", cfg.report_name ? cfg.report_name : "report");
        if (account)
            bm_cli_summary(out_dir, NULL, account, cfg.report_requested ? report : NULL, as_json);
        json_decref(account);
    }
    rc = BM_EXIT_OK;
out:
    if (data_fd >= 0) close(data_fd);
    if (pred_fd >= 0) close(pred_fd);
    json_decref(analysis);
    json_decref(counts);
    bm_buf_release(&cbuf);
    bm_dataset_result_release(&ds);
    bm_analysis_config_release(&cfg);
    bm_buf_release(&out);
    return rc;
}
