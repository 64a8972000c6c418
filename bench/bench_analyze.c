/* Benchmark of the whole analysis (CSV read, count cube, metrics, JSON) on generated data. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include "biasmon/bias.h"
#include "biasmon/config.h"
#include "biasmon/dataset.h"
#include "biasmon/jsonw.h"

/* usage: see usage() below.
 *
 * Scenarios (the targets of the performance issue):
 *   categorical  facet "region" = coast (a string column with 4 values), group variable "grp",
 *                pre-training "all", post-training every metric but FT.
 *   continuous   the same with the facet on the float column x1, threshold 5000.
 *   ft           the flip test alone (post-training ["FT"]), facet region = coast; the features
 *                are the 7 numeric columns x1..x6 and grp; k = 5.
 *   io           `wc -l FILE` and `cat FILE` (stdout to /dev/null): the floor of reading the file.
 *
 * Every data set has the same 10 columns,
 *   x1,x2,x3,x4,x5,x6,grp,region,label,pred
 * x1..x6 uniform in [1000, 10000) with 6 decimals, grp an integer 10..19, region one of north
 * (40%), south (30%), coast (20%), inner (10%), label 0/1 (depends on x2, region and grp), pred 0/1
 * (the label flipped 15% of the time, and 10% of coast's positives turned negative). Every field
 * has a fixed width, so every row is ROW_BYTES long (850 MB for 10^7 rows). The data come from a
 * fixed seed, so a file of a given row count is always the same bytes; an existing file of the
 * expected size is reused.
 *
 * Each (scenario, rows) runs in a forked child, so the peak RSS the parent reads with wait4 is
 * that scenario's alone. A repetition is timed from parsing the config to releasing everything:
 * read = bm_dataset_read, analyze = bm_cube_analyze, json = bm_json_write into a buffer.
 * The page cache is warm (the file was just generated or read). Figures only: nothing is
 * asserted about them. */

#define MAX_LIST 8
#define MAX_REPS 100
#define GEN_BUF (1u << 20)
#define SEED 0x5eedb1a5ULL

/* ==================================================================== options */

typedef struct options {
    const char *dir;
    size_t rows[MAX_LIST], nrows;
    size_t ft_rows[MAX_LIST], nft_rows;
    int reps;
    int threads;
    int want_cat, want_cont, want_ft, want_io;
} options;

static void usage(FILE *out)
{
    fputs("usage: bench_analyze [--dir DIR] [--rows N | --rows-list N,N,...] [--ft-rows N[,N...]]\n"
          "                     [--scenario categorical|continuous|ft|io|all] [--reps R] "
          "[--threads T]\n"
          "\n"
          "  --dir DIR        where the generated CSV files go (default /tmp/biasmon-bench)\n"
          "  --rows N         rows for the categorical, continuous and io scenarios (default 1e7)\n"
          "  --rows-list L    several row counts, e.g. 1000000,10000000 (peak RSS against rows)\n"
          "  --ft-rows L      rows for the ft scenario, one or a list (default 1e6)\n"
          "  --scenario S     which scenario to run; may be repeated (default all)\n"
          "  --reps R         repetitions per scenario (default 3)\n"
          "  --threads T      threads for reading and for the flip test (default 0: one per CPU)\n",
          out);
}

/* Accepts 10000000 as well as 1e7; at least 1, at most 1e10. */
static int parse_count(const char *s, size_t *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || !(d >= 1) || d > 1e10 || d != (double)(uint64_t)d) return -1;
    *v = (size_t)d;
    return 0;
}

static int parse_list(const char *s, size_t *out, size_t *n)
{
    char tmp[256];
    if (strlen(s) >= sizeof(tmp)) return -1;
    memcpy(tmp, s, strlen(s) + 1);
    *n = 0;
    char *p = tmp;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (*n >= MAX_LIST || parse_count(p, &out[*n]) != 0) return -1;
        (*n)++;
        if (!comma) break;
        p = comma + 1;
    }
    return 0;
}

static int parse_int(const char *s, long lo, long hi, int *v)
{
    char *end;
    errno = 0;
    long l = strtol(s, &end, 10);
    if (errno || end == s || *end || l < lo || l > hi) return -1;
    *v = (int)l;
    return 0;
}

static int parse_options(int argc, char **argv, options *o)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"rows", required_argument, NULL, 'r'},
        {"rows-list", required_argument, NULL, 'l'},
        {"ft-rows", required_argument, NULL, 'f'},
        {"scenario", required_argument, NULL, 's'},
        {"reps", required_argument, NULL, 'n'},
        {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->dir = "/tmp/biasmon-bench";
    o->rows[0] = 10000000;
    o->nrows = 1;
    o->ft_rows[0] = 1000000;
    o->nft_rows = 1;
    o->reps = 3;
    int any_scenario = 0, ch;
    while ((ch = getopt_long(argc, argv, "d:r:l:f:s:n:t:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->dir = optarg;
            break;
        case 'r':
            if (parse_count(optarg, &o->rows[0]) != 0) goto bad;
            o->nrows = 1;
            break;
        case 'l':
            if (parse_list(optarg, o->rows, &o->nrows) != 0) goto bad;
            break;
        case 'f':
            if (parse_list(optarg, o->ft_rows, &o->nft_rows) != 0) goto bad;
            break;
        case 's':
            any_scenario = 1;
            if (strcmp(optarg, "categorical") == 0)
                o->want_cat = 1;
            else if (strcmp(optarg, "continuous") == 0)
                o->want_cont = 1;
            else if (strcmp(optarg, "ft") == 0)
                o->want_ft = 1;
            else if (strcmp(optarg, "io") == 0)
                o->want_io = 1;
            else if (strcmp(optarg, "all") == 0)
                o->want_cat = o->want_cont = o->want_ft = o->want_io = 1;
            else
                goto bad;
            break;
        case 'n':
            if (parse_int(optarg, 1, MAX_REPS, &o->reps) != 0) goto bad;
            break;
        case 't':
            if (parse_int(optarg, 0, 64, &o->threads) != 0) goto bad;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            goto bad;
        }
    }
    if (optind < argc) goto bad;
    if (!any_scenario) o->want_cat = o->want_cont = o->want_ft = o->want_io = 1;
    return 0;
bad:
    usage(stderr);
    return -1;
}

/* ==================================================================== data generation */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static const char header[] = "x1,x2,x3,x4,x5,x6,grp,region,label,pred\n";
static const char *const regions[] = {"north", "south", "coast", "inner"}; /* 5 bytes each */
#define ROW_BYTES 85 /* 6 x "dddd.dddddd," + "1d," + "xxxxx," + "l," + "p\n" */

static size_t put_uint(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

/* micro-units as a decimal with 6 digits after the point: what printf("%.6f") gives. */
static size_t put_fixed6(char *p, uint64_t micro)
{
    size_t n = put_uint(p, micro / 1000000);
    p[n++] = '.';
    uint64_t f = micro % 1000000;
    for (int i = 5; i >= 0; i--) {
        p[n + (size_t)i] = (char)('0' + f % 10);
        f /= 10;
    }
    return n + 6;
}

/* Formats one row into p (ROW_BYTES bytes); returns its length. */
static size_t gen_row(uint64_t *s, char *p)
{
    uint64_t x[6];
    size_t n = 0;
    for (int k = 0; k < 6; k++) {
        x[k] = 1000000000ULL + splitmix64(s) % 9000000000ULL;
        n += put_fixed6(p + n, x[k]);
        p[n++] = ',';
    }
    uint64_t g = splitmix64(s) % 10;
    p[n++] = '1';
    p[n++] = (char)('0' + g);
    p[n++] = ',';
    uint64_t u = splitmix64(s) % 100;
    int reg = u < 40 ? 0 : u < 70 ? 1 : u < 90 ? 2 : 3;
    memcpy(p + n, regions[reg], 5);
    n += 5;
    p[n++] = ',';
    int64_t p1 = 300 + (x[1] >= 5000000000ULL ? 200 : 0) - (reg == 2 ? 100 : 0) + 10 * (int64_t)g;
    int label = (int64_t)(splitmix64(s) % 1000) < p1;
    int pred = label;
    if (splitmix64(s) % 100 < 15) pred = !pred;
    if (reg == 2 && pred && splitmix64(s) % 10 == 0) pred = 0;
    p[n++] = (char)('0' + label);
    p[n++] = ',';
    p[n++] = (char)('0' + pred);
    p[n++] = '\n';
    return n;
}

/* Generates rows into f; returns the byte count, or -1 when writing fails. */
static int64_t generate(size_t rows, FILE *f)
{
    char *buf = malloc(GEN_BUF);
    int64_t total = -1;
    if (!buf) goto out;
    uint64_t s = SEED;
    size_t len = sizeof(header) - 1;
    memcpy(buf, header, len);
    total = 0;
    for (size_t i = 0; i < rows; i++) {
        len += gen_row(&s, buf + len);
        if (len > GEN_BUF - 256) {
            if (fwrite(buf, 1, len, f) != len) {
                total = -1;
                goto out;
            }
            total += (int64_t)len;
            len = 0;
        }
    }
    if (len && fwrite(buf, 1, len, f) != len) {
        total = -1;
        goto out;
    }
    total += (int64_t)len;
out:
    free(buf);
    return total;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Makes sure DIR/data-ROWS.csv holds the data set; fills path and its size. */
static int ensure_dataset(const char *dir, size_t rows, char *path, size_t pathlen, int64_t *size)
{
    int r = -1;
    FILE *f = NULL;
    char tmp[4200];
    snprintf(path, pathlen, "%s/data-%zu.csv", dir, rows);
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    int64_t want = (int64_t)(sizeof(header) - 1) + (int64_t)rows * ROW_BYTES;
    struct stat st;
    if (stat(path, &st) == 0 && (int64_t)st.st_size == want) {
        printf("dataset %s: %zu rows, %" PRId64 " bytes (reused)\n", path, rows, want);
        *size = want;
        r = 0;
        goto out;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "bench_analyze: cannot create %s: %s\n", dir, strerror(errno));
        goto out;
    }
    double t0 = now();
    f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "bench_analyze: cannot create %s: %s\n", tmp, strerror(errno));
        goto out;
    }
    int64_t got = generate(rows, f);
    int closed = fclose(f);
    f = NULL;
    if (got != want || closed != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "bench_analyze: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    printf("dataset %s: %zu rows, %" PRId64 " bytes (generated in %.1f s)\n", path, rows, want,
           now() - t0);
    *size = want;
    r = 0;
out:
    if (f) fclose(f);
    fflush(stdout);
    return r;
}

/* ==================================================================== scenarios */

enum { SC_CATEGORICAL, SC_CONTINUOUS, SC_FT, SC_COUNT };
static const char *const scenario_names[SC_COUNT] = {"categorical", "continuous", "ft"};

#define POST_ALL_BUT_FT                                                                            \
    "[\"AD\",\"CDDPL\",\"DAR\",\"DCA\",\"DCR\",\"DI\",\"DPPL\",\"DRR\",\"GE\",\"RD\",\"SD\","      \
    "\"TE\"]"

static const char *const scenario_configs[SC_COUNT] = {
    "{\"dataset_type\": \"text/csv\", \"label\": \"label\", \"label_values_or_threshold\": [1],"
    " \"facet\": [{\"name_or_index\": \"region\", \"value_or_threshold\": [\"coast\"]}],"
    " \"group_variable\": \"grp\", \"predicted_label\": \"pred\","
    " \"methods\": {\"pre_training_bias\": {\"methods\": \"all\"},"
    " \"post_training_bias\": {\"methods\": " POST_ALL_BUT_FT "}}}",

    "{\"dataset_type\": \"text/csv\", \"label\": \"label\", \"label_values_or_threshold\": [1],"
    " \"facet\": [{\"name_or_index\": \"x1\", \"value_or_threshold\": [5000.0]}],"
    " \"group_variable\": \"grp\", \"predicted_label\": \"pred\","
    " \"methods\": {\"pre_training_bias\": {\"methods\": \"all\"},"
    " \"post_training_bias\": {\"methods\": " POST_ALL_BUT_FT "}}}",

    "{\"dataset_type\": \"text/csv\", \"label\": \"label\", \"label_values_or_threshold\": [1],"
    " \"facet\": [{\"name_or_index\": \"region\", \"value_or_threshold\": [\"coast\"]}],"
    " \"predicted_label\": \"pred\","
    " \"methods\": {\"post_training_bias\": {\"methods\": [\"FT\"]}}}",
};

/* The metric printed as a sanity check of each run's result. */
static const char *const scenario_metric[SC_COUNT] = {"DI", "DI", "FT"};

typedef struct rep_time {
    double total, read, analyze, json;
} rep_time;

/* What a child reports to the parent through a pipe. */
typedef struct child_result {
    int ok;
    double med_total, med_read, med_analyze, med_json;
    uint64_t rows_seen;
} child_result;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double s[MAX_REPS];
    memcpy(s, v, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The value of metric `name` for the first facet value, as text ("null" when absent). */
static void metric_text(json_t *analysis, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "absent");
    const char *stages[2] = {"post_training_bias_metrics", "pre_training_bias_metrics"};
    for (int st = 0; st < 2; st++) {
        json_t *facets = json_object_get(json_object_get(analysis, stages[st]), "facets");
        const char *key;
        json_t *arr;
        json_object_foreach(facets, key, arr)
        {
            json_t *metrics = json_object_get(json_array_get(arr, 0), "metrics");
            size_t i;
            json_t *m;
            json_array_foreach(metrics, i, m)
            {
                const char *mname = json_string_value(json_object_get(m, "name"));
                if (!mname || strcmp(mname, name) != 0) continue;
                json_t *v = json_object_get(m, "value");
                if (json_is_real(v))
                    snprintf(out, outlen, "%.6g", json_real_value(v));
                else if (json_is_integer(v))
                    snprintf(out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                else if (json_is_string(v))
                    snprintf(out, outlen, "%s", json_string_value(v));
                else {
                    const char *e = json_string_value(json_object_get(m, "error"));
                    snprintf(out, outlen, "null (%s)", e ? e : "no error text");
                }
                return;
            }
        }
    }
}

/* One repetition: config, read, analyze, JSON; everything released before the clock stops. */
static int run_once(int sc, const char *path, int threads, rep_time *t, uint64_t *rows_seen,
                    size_t *json_len, char *metric, size_t metriclen)
{
    int r = BM_EINTERNAL;
    bm_error err;
    bm_analysis_config cfg;
    int have_cfg = 0;
    bm_dataset_result ds;
    memset(&ds, 0, sizeof(ds));
    json_t *analysis = NULL;
    bm_buf out;
    bm_buf_init(&out, (size_t)1 << 30);
    bm_error_clear(&err);
    const char *text = scenario_configs[sc];

    double t0 = now();
    if ((r = bm_analysis_config_parse(text, strlen(text), "bench", &cfg, &err)) != BM_OK) goto out;
    have_cfg = 1;
    if ((r = bm_dataset_read(&cfg, path, threads, &ds, &err)) != BM_OK) goto out;
    double t1 = now();
    if ((r = bm_cube_analyze(ds.cube, threads, &analysis, &err)) != BM_OK) goto out;
    double t2 = now();
    if ((r = bm_json_write(analysis, 2, &out)) != BM_OK) goto out;
    double t3 = now();
    *rows_seen = bm_cube_rows(ds.cube);
    *json_len = out.len;
    metric_text(analysis, scenario_metric[sc], metric, metriclen);
    json_decref(analysis);
    analysis = NULL;
    bm_dataset_result_release(&ds);
    bm_analysis_config_release(&cfg);
    have_cfg = 0;
    bm_buf_release(&out);
    double t4 = now();
    t->read = t1 - t0;
    t->analyze = t2 - t1;
    t->json = t3 - t2;
    t->total = t4 - t0;
    r = BM_OK;
out:
    if (r != BM_OK) {
        char msg[1200];
        bm_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "bench_analyze: %s: %s (%s)\n", scenario_names[sc], msg, bm_strerror(r));
    }
    json_decref(analysis);
    bm_dataset_result_release(&ds);
    if (have_cfg) bm_analysis_config_release(&cfg);
    bm_buf_release(&out);
    return r;
}

/* The child's work: reps repetitions, printed, medians written to fd. */
static int child_main(int sc, const char *path, const options *o, int fd)
{
    child_result res;
    memset(&res, 0, sizeof(res));
    double tot[MAX_REPS], rd[MAX_REPS], an[MAX_REPS], js[MAX_REPS];
    for (int i = 0; i < o->reps; i++) {
        rep_time t = {0, 0, 0, 0};
        size_t json_len = 0;
        char metric[160];
        if (run_once(sc, path, o->threads, &t, &res.rows_seen, &json_len, metric, sizeof(metric)) !=
            BM_OK)
            goto out;
        tot[i] = t.total;
        rd[i] = t.read;
        an[i] = t.analyze;
        js[i] = t.json;
        printf("  rep %d: %.3f s (read %.3f, analyze %.3f, json %.4f)  rows %" PRIu64
               ", analysis.json %zu bytes, %s = %s\n",
               i + 1, t.total, t.read, t.analyze, t.json, res.rows_seen, json_len,
               scenario_metric[sc], metric);
        fflush(stdout);
    }
    res.med_total = median(tot, o->reps);
    res.med_read = median(rd, o->reps);
    res.med_analyze = median(an, o->reps);
    res.med_json = median(js, o->reps);
    res.ok = 1;
out:
    if (write(fd, &res, sizeof(res)) != (ssize_t)sizeof(res)) return 1;
    return res.ok ? 0 : 1;
}

typedef struct summary_row {
    const char *name;
    size_t rows;
    int64_t bytes;
    child_result res;
    long peak_kib;
    double cpu;
} summary_row;

/* Runs one scenario on one data set in a child process; fills row. */
static int run_scenario(int sc, size_t rows, const options *o, summary_row *row)
{
    char path[4096];
    int64_t bytes;
    int r = -1, fds[2] = {-1, -1};
    memset(row, 0, sizeof(*row));
    row->name = scenario_names[sc];
    row->rows = rows;
    if (ensure_dataset(o->dir, rows, path, sizeof(path), &bytes) != 0) goto out;
    row->bytes = bytes;
    printf("%s: %zu rows, %" PRId64 " bytes, %d reps, threads %d\n", scenario_names[sc], rows,
           bytes, o->reps, o->threads);
    fflush(stdout);
    if (pipe(fds) != 0) goto out;
    pid_t pid = fork();
    if (pid < 0) goto out;
    if (pid == 0) {
        close(fds[0]);
        int rc = child_main(sc, path, o, fds[1]);
        fflush(stdout);
        _exit(rc);
    }
    close(fds[1]);
    fds[1] = -1;
    ssize_t got = read(fds[0], &row->res, sizeof(row->res));
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) goto out;
    row->peak_kib = ru.ru_maxrss;
    row->cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    if (got != (ssize_t)sizeof(row->res) || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        !row->res.ok) {
        printf("  FAILED\n");
        goto out;
    }
    double m = row->res.med_total;
    printf("  median %.3f s (read %.3f, analyze %.3f, json %.4f): %.2f Mrows/s, %.0f MB/s; "
           "peak RSS %.1f MiB; CPU %.2f s over %d reps\n",
           m, row->res.med_read, row->res.med_analyze, row->res.med_json, (double)rows / m / 1e6,
           (double)bytes / m / 1e6, (double)row->peak_kib / 1024, row->cpu, o->reps);
    r = 0;
out:
    fflush(stdout);
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    return r;
}

/* ==================================================================== the I/O floor */

/* Runs argv with stdout to /dev/null; returns the wall time, or -1. */
static double time_command(char *const argv[])
{
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd < 0 || dup2(fd, 1) < 0) _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return now() - t0;
}

static int run_io_floor(size_t rows, const options *o)
{
    char path[4096];
    int64_t bytes;
    if (ensure_dataset(o->dir, rows, path, sizeof(path), &bytes) != 0) return -1;
    char *wc[] = {"wc", "-l", path, NULL};
    char *cat[] = {"cat", path, NULL};
    char *const *cmds[2] = {wc, cat};
    const char *names[2] = {"wc -l FILE > /dev/null", "cat FILE > /dev/null"};
    for (int c = 0; c < 2; c++) {
        double t[MAX_REPS];
        printf("io: %s, %zu rows, %" PRId64 " bytes\n  reps:", names[c], rows, bytes);
        for (int i = 0; i < o->reps; i++) {
            if ((t[i] = time_command(cmds[c])) < 0) {
                printf(" FAILED\n");
                return -1;
            }
            printf(" %.3f", t[i]);
        }
        double m = median(t, o->reps);
        printf(" s\n  median %.3f s: %.0f MB/s\n", m, (double)bytes / m / 1e6);
        fflush(stdout);
    }
    return 0;
}

/* ==================================================================== main */

static void print_machine(void)
{
    char model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof(line), f))
            if (strncmp(line, "model name", 10) == 0) {
                const char *c = strchr(line, ':');
                if (c) {
                    c++;
                    while (*c == ' ')
                        c++;
                    snprintf(model, sizeof(model), "%.*s", (int)strcspn(c, "\n"), c);
                }
                break;
            }
        fclose(f);
    }
    time_t t = time(NULL);
    struct tm tm;
    char date[64] = "";
    if (gmtime_r(&t, &tm)) strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("bench_analyze: %s, %ld CPUs online, %s", date, sysconf(_SC_NPROCESSORS_ONLN), model);
#ifndef __OPTIMIZE__
    printf(" (WARNING: not an optimized build)");
#endif
    printf("\n");
}

int main(int argc, char **argv)
{
    options o;
    if (parse_options(argc, argv, &o) != 0) return 2;
    print_machine();
    summary_row rows[3 * MAX_LIST];
    size_t nrows = 0;
    int failed = 0;
    if (o.want_io) failed |= run_io_floor(o.rows[o.nrows - 1], &o) != 0;
    for (int sc = 0; sc < SC_COUNT; sc++) {
        int want = sc == SC_CATEGORICAL  ? o.want_cat
                   : sc == SC_CONTINUOUS ? o.want_cont
                                         : o.want_ft;
        if (!want) continue;
        const size_t *list = sc == SC_FT ? o.ft_rows : o.rows;
        size_t n = sc == SC_FT ? o.nft_rows : o.nrows;
        for (size_t i = 0; i < n; i++) {
            if (run_scenario(sc, list[i], &o, &rows[nrows]) != 0)
                failed = 1;
            else
                nrows++;
        }
    }
    if (nrows) {
        printf("\nsummary (median of %d reps; peak RSS of the child process that ran them)\n",
               o.reps);
        printf("%-12s %11s %12s %9s %9s %9s %10s %8s %13s\n", "scenario", "rows", "bytes",
               "median s", "read s", "analyze s", "Mrows/s", "MB/s", "peak RSS MiB");
        for (size_t i = 0; i < nrows; i++) {
            summary_row *r = &rows[i];
            double m = r->res.med_total;
            printf("%-12s %11zu %12" PRId64 " %9.3f %9.3f %9.3f %10.2f %8.0f %13.1f\n", r->name,
                   r->rows, r->bytes, m, r->res.med_read, r->res.med_analyze,
                   (double)r->rows / m / 1e6, (double)r->bytes / m / 1e6,
                   (double)r->peak_kib / 1024);
        }
        /* Does the peak grow with the row count? One line per scenario run at several sizes. */
        for (int sc = 0; sc < SC_COUNT; sc++) {
            size_t seen = 0;
            for (size_t i = 0; i < nrows; i++)
                seen += rows[i].name == scenario_names[sc];
            if (seen < 2) continue;
            printf("peak RSS against rows, %s:", scenario_names[sc]);
            for (size_t i = 0; i < nrows; i++)
                if (rows[i].name == scenario_names[sc])
                    printf("  %zu rows: %.1f MiB", rows[i].rows, (double)rows[i].peak_kib / 1024);
            printf("\n");
        }
    }
    return failed ? 1 : 0;
}
