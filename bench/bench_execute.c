/* Benchmark of one monitoring execution (bm_execute) over a generated 24-hour endpoint capture
 * tree with ground truth, compared in the same run with jq as a reference JSON parser. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "biasmon/execution.h"
#include "biasmon/isotime.h"
#include "biasmon/jobdef.h"

/* usage: see usage() below.
 *
 * The data (generated once under --dir from a fixed splitmix64 seed, streamed to files; reused
 * when DIR/bench-manifest.txt says it was made with the same parameters and every file is there
 * with the recorded total size):
 *
 *   DIR/capture/adult-income-ep/AllTraffic/2026/11/23/HH/MM-SS-mmm-{uuid}.jsonl
 *       24 hours x --files-per-hour files (default 12, one per 5 minutes), --records records in
 *       all (default 2,500,000, about 1.1 GB), more in the afternoon than at night. One SageMaker
 *       capture record (eventVersion "0") per line, compact JSON as the service writes it:
 *       endpointInput text/csv with 8 Adult-like features and a trailing "\n"
 *       ("39,State-gov,77516,Bachelors,13,Never-married,Male,40\n"), endpointOutput the model's
 *       score as CSV ("0.7310585786300049"), eventMetadata with an eventId (UUID), an inferenceId
 *       ("req-" and 16 hex digits, the caller's id) on half of the records and an inferenceTime
 * inside the file's 5 minutes. DIR/gt/2026/11/23/HH/labels.jsonl and
 * DIR/gt/2026/11/24/00/labels.jsonl ground truth ("1" or "0", CSV) for 95% of the records, keyed by
 * the inferenceId when the record has one, else by its eventId, uploaded 1 to 60 minutes after the
 * inference (so the labels of hour HH land in hour HH or HH+1, the last ones on the next day at
 * 00). DIR/analysis_config.json, DIR/jobdef.json headers age, workclass, fnlwgt, education,
 * education-num, marital-status, sex, hours-per-week and the label income; facet sex = Female;
 * group variable education; label_values [1]; pre-training "all", post-training every metric but FT
 * (the flip test keeps every row, see bm_plan_wants_ft). The job definition reads the endpoint's
 *       capture with StartTimeOffset -P1D, EndTimeOffset -PT0H and ProbabilityAttribute "0"
 *       (the score, thresholded at 0.5), ground truth from DIR/gt, outputs under DIR/out.
 *
 * Each execution runs in a forked child: bm_job_definition_load, then bm_execute at
 * 2026-11-24T00:00:00Z (window [2026-11-23T00:00Z, 2026-11-24T00:00Z), ground-truth hours
 * 2026-11-23T00..2026-11-24T00), then everything released. Wall time is measured in the child
 * around those calls; CPU time (user + sys) and peak RSS come from wait4 on the child. Every
 * record is in the window and every label is read, so the execution must be Completed with
 * joined_records = the ground-truth records generated: this is checked (not the timings).
 *
 * In the same run: `jq -c . FILES > /dev/null` over all capture files (jq as a reference JSON
 * parser) and `cat FILES > /dev/null` (the I/O floor), each a child whose CPU time and peak RSS
 * come from wait4. With --perf, `perf record -g` over one more execution (this program with
 * --execute-once) and the top self-time symbols of `perf report`. Figures only: nothing is
 * asserted about them. */

#define SEED 0x5eedca97ULL
#define GEN_VERSION 1
#define DEFAULT_RECORDS 2500000
#define MAX_REPS 100
#define HOURS 24
#define GT_PERCENT 95
#define ENDPOINT "adult-income-ep"
#define SCHEDULE "bench-sched"
#define SCHEDULED_TIME "2026-11-24T00:00:00Z"
#define PERF_TOP 12

/* ==================================================================== options */

typedef struct options {
    const char *dir;
    uint64_t records;
    int files_per_hour;
    int reps;
    int jq_reps; /* -1: as reps */
    int want_exec, want_jq, want_io, want_perf;
    int execute_once;
} options;

static void usage(FILE *out)
{
    fputs("usage: bench_execute [--dir DIR] [--records N] [--files-per-hour F] [--reps R]\n"
          "                     [--jq-reps R] [--no-exec] [--no-jq] [--no-io] [--perf]\n"
          "\n"
          "  --dir DIR           the capture tree, ground truth, configs and outputs\n"
          "                      (default /tmp/biasmon-bench-exec)\n"
          "  --records N         capture records over the 24 hours (default 2500000, ~1.1 GB)\n"
          "  --files-per-hour F  capture files per hour (default 12)\n"
          "  --reps R            executions, each in a forked child (default 3)\n"
          "  --jq-reps R         runs of jq and of cat (default: as --reps; 0 skips them)\n"
          "  --no-exec, --no-jq, --no-io   skip the executions, jq, or cat\n"
          "  --perf              perf record -g over one more execution; prints the top self-time\n"
          "                      symbols (needs perf in PATH)\n"
          "  --execute-once      (internal) one execution in this process, for perf\n",
          out);
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || !(d >= (double)lo) || d > (double)hi || d != floor(d))
        return -1;
    *v = (uint64_t)d;
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
        {"records", required_argument, NULL, 'r'},
        {"files-per-hour", required_argument, NULL, 'f'},
        {"reps", required_argument, NULL, 'n'},
        {"jq-reps", required_argument, NULL, 'q'},
        {"no-exec", no_argument, NULL, 'E'},
        {"no-jq", no_argument, NULL, 'J'},
        {"no-io", no_argument, NULL, 'I'},
        {"perf", no_argument, NULL, 'p'},
        {"execute-once", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->dir = "/tmp/biasmon-bench-exec";
    o->records = DEFAULT_RECORDS;
    o->files_per_hour = 12;
    o->reps = 3;
    o->jq_reps = -1;
    o->want_exec = o->want_jq = o->want_io = 1;
    uint64_t v;
    int ch;
    while ((ch = getopt_long(argc, argv, "d:r:f:n:q:EJIpxh", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->dir = optarg;
            break;
        case 'r':
            if (parse_u64(optarg, 1000, 1000000000, &v) != 0) goto bad;
            o->records = v;
            break;
        case 'f':
            if (parse_int(optarg, 1, 60, &o->files_per_hour) != 0) goto bad;
            break;
        case 'n':
            if (parse_int(optarg, 1, MAX_REPS, &o->reps) != 0) goto bad;
            break;
        case 'q':
            if (parse_int(optarg, 0, MAX_REPS, &o->jq_reps) != 0) goto bad;
            break;
        case 'E':
            o->want_exec = 0;
            break;
        case 'J':
            o->want_jq = 0;
            break;
        case 'I':
            o->want_io = 0;
            break;
        case 'p':
            o->want_perf = 1;
            break;
        case 'x':
            o->execute_once = 1;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            goto bad;
        }
    }
    if (optind < argc) goto bad;
    if (o->jq_reps < 0) o->jq_reps = o->reps;
    return 0;
bad:
    usage(stderr);
    return -1;
}

/* ==================================================================== small helpers */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

static double ru_cpu(const struct rusage *ru)
{
    return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
           (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1e-6;
}

static void print_load(const char *when)
{
    char buf[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof(buf), f)) snprintf(buf, sizeof(buf), "?");
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    printf("load average %s: %s\n", when, buf);
    fflush(stdout);
}

/* A kB figure ("VmRSS:", "VmHWM:") of /proc/self/status, or -1. */
static long proc_status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, kl) == 0) {
            v = strtol(line + kl, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(tmp)) return -1;
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0') continue;
        char c = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
        tmp[i] = c;
    }
    return 0;
}

/* Removes a tree (files and directories, no symlinks followed); a missing path is fine. */
static int remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlink(path);
    DIR *d = opendir(path);
    if (!d) return -1;
    struct dirent *e;
    int r = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char sub[4096];
        if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= (int)sizeof(sub)) {
            r = -1;
            continue;
        }
        if (remove_tree(sub) != 0) r = -1;
    }
    closedir(d);
    return r == 0 ? rmdir(path) : r;
}

/* Regular files under a directory, recursively, sorted by path. */
typedef struct file_list {
    char **v;
    size_t n, cap;
    uint64_t bytes;
} file_list;

static void file_list_release(file_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int walk(const char *path, file_list *l)
{
    DIR *d = opendir(path);
    if (!d) return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    int r = 0;
    while (r == 0 && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char sub[4096];
        if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= (int)sizeof(sub)) {
            r = -1;
            break;
        }
        struct stat st;
        if (lstat(sub, &st) != 0) {
            r = -1;
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            r = walk(sub, l);
        } else if (S_ISREG(st.st_mode)) {
            if (l->n == l->cap) {
                size_t nc = l->cap ? l->cap * 2 : 256;
                char **nv = realloc(l->v, nc * sizeof(char *));
                if (!nv) {
                    r = -1;
                    break;
                }
                l->v = nv;
                l->cap = nc;
            }
            if (!(l->v[l->n] = strdup(sub))) {
                r = -1;
                break;
            }
            l->n++;
            l->bytes += (uint64_t)st.st_size;
        }
    }
    closedir(d);
    return r;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_files(const char *path, file_list *l)
{
    memset(l, 0, sizeof(*l));
    if (walk(path, l) != 0) {
        file_list_release(l);
        return -1;
    }
    if (l->n) qsort(l->v, l->n, sizeof(char *), cmp_str);
    return 0;
}

/* ==================================================================== data generation */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double u01(uint64_t *s)
{
    return (double)(splitmix64(s) >> 11) * 0x1.0p-53;
}

/* A random (version 4) UUID, 36 characters, into p. */
static size_t put_uuid(uint64_t *s, char *p)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t a = splitmix64(s), b = splitmix64(s);
    a = (a & ~0xf000ULL) | 0x4000ULL;                        /* version 4 */
    b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* variant 10 */
    size_t n = 0;
    for (int i = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20) p[n++] = '-';
        uint64_t w = i < 16 ? a : b;
        p[n++] = hex[(w >> (60 - 4 * (i % 16))) & 0xf];
    }
    return n;
}

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

static size_t put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return n;
}

static size_t put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return 2;
}

/* Picks an index by weights (per mille, summing to 1000). */
static int pick(uint64_t *s, const int *w, int n)
{
    int u = (int)(splitmix64(s) % 1000);
    for (int i = 0; i < n - 1; i++) {
        if (u < w[i]) return i;
        u -= w[i];
    }
    return n - 1;
}

/* Adult-like marginals (rounded from the UCI Adult data set). */
static const char *const workclasses[] = {"Private",     "Self-emp-not-inc", "Local-gov",
                                          "?",           "State-gov",        "Self-emp-inc",
                                          "Federal-gov", "Without-pay"};
static const int workclass_w[] = {697, 78, 64, 56, 40, 34, 29, 2};
static const char *const educations[] = {"Preschool", "1st-4th",      "5th-6th",     "7th-8th",
                                         "9th",       "10th",         "11th",        "12th",
                                         "HS-grad",   "Some-college", "Assoc-voc",   "Assoc-acdm",
                                         "Bachelors", "Masters",      "Prof-school", "Doctorate"};
static const int education_w[] = {2, 5, 10, 20, 16, 29, 36, 13, 322, 223, 42, 33, 165, 53, 18, 13};
static const char *const maritals[] = {
    "Married-civ-spouse",    "Never-married",    "Divorced", "Separated", "Widowed",
    "Married-spouse-absent", "Married-AF-spouse"};
static const int marital_w[] = {460, 328, 136, 31, 31, 13, 1};

#define HEADERS                                                                                    \
    "\"age\", \"workclass\", \"fnlwgt\", \"education\", \"education-num\", \"marital-status\", "   \
    "\"sex\", \"hours-per-week\", \"income\""

/* One invocation's features (CSV, without the line break) into p; *score gets the model's
 * score for them. */
static size_t gen_features(uint64_t *s, char *p, double *score)
{
    size_t n = 0;
    int age = 17 + (int)((u01(s) + u01(s) + u01(s)) / 3.0 * 74.0);
    int wc = pick(s, workclass_w, 8);
    uint64_t fnlwgt = 12285 + (uint64_t)(u01(s) * u01(s) * 600000.0) + splitmix64(s) % 90000;
    int edu = pick(s, education_w, 16);
    int ms = pick(s, marital_w, 7);
    int male = splitmix64(s) % 1000 < 669;
    int hours = splitmix64(s) % 100 < 47 ? 40 : 1 + (int)((u01(s) + u01(s)) / 2.0 * 98.0);
    n += put_uint(p + n, (uint64_t)age);
    p[n++] = ',';
    n += put_str(p + n, workclasses[wc]);
    p[n++] = ',';
    n += put_uint(p + n, fnlwgt);
    p[n++] = ',';
    n += put_str(p + n, educations[edu]);
    p[n++] = ',';
    n += put_uint(p + n, (uint64_t)(edu + 1));
    p[n++] = ',';
    n += put_str(p + n, maritals[ms]);
    p[n++] = ',';
    n += put_str(p + n, male ? "Male" : "Female");
    p[n++] = ',';
    n += put_uint(p + n, (uint64_t)hours);
    double z = -8.6 + 0.035 * age + 0.33 * (edu + 1) + (ms == 0 || ms == 6 ? 1.9 : 0.0) +
               0.03 * hours + (male ? 0.4 : 0.0) + 0.6 * (u01(s) - 0.5);
    double sc = 1.0 / (1.0 + exp(-z));
    if (sc < 0.0001) sc = 0.0001 + sc; /* no exponent notation in the output */
    *score = sc;
    return n;
}

typedef struct gen_totals {
    uint64_t records, inference_ids, gt_records, positives_gt, capture_files, capture_bytes,
        gt_files, gt_bytes;
} gen_totals;

typedef struct gt_file {
    FILE *f;
    char path[4096];
} gt_file;

static int gt_open(const char *dir, int64_t hour, gt_file *g, gen_totals *t)
{
    if (g->f) return 0;
    bm_civil c;
    bm_time_civil(hour, &c);
    char d[4096];
    int n =
        snprintf(d, sizeof(d), "%s/gt/%04d/%02d/%02d/%02d", dir, c.year, c.month, c.day, c.hour);
    if (n < 0 || (size_t)n >= sizeof(d)) return -1; /* too long a path */
    if (mkdirs(d) != 0) return -1;
    n = snprintf(g->path, sizeof(g->path), "%s/labels.jsonl", d);
    if (n < 0 || (size_t)n >= sizeof(g->path)) return -1;
    g->f = fopen(g->path, "wb");
    if (!g->f) return -1;
    setvbuf(g->f, NULL, _IOFBF, 1u << 20);
    t->gt_files++;
    return 0;
}

static int gt_close(gt_file *g)
{
    if (!g->f) return 0;
    int r = fclose(g->f);
    g->f = NULL;
    return r;
}

/* The day's records per hour: a daily cycle peaking around 15:00, summing to total. */
static void hour_counts(uint64_t total, uint64_t *counts)
{
    double w[HOURS], sum = 0;
    for (int h = 0; h < HOURS; h++) {
        w[h] = 1.0 + 0.6 * sin(2.0 * M_PI * (h - 9) / 24.0);
        sum += w[h];
    }
    uint64_t used = 0;
    for (int h = 0; h < HOURS; h++) {
        counts[h] = (uint64_t)floor((double)total * w[h] / sum);
        used += counts[h];
    }
    for (int h = 0; used < total; h = (h + 1) % HOURS, used++)
        counts[h]++;
}

/* Writes the capture tree and the ground truth; fills t. */
static int generate(const options *o, int64_t day0, gen_totals *t)
{
    memset(t, 0, sizeof(*t));
    uint64_t s = SEED;
    uint64_t counts[HOURS];
    hour_counts(o->records, counts);
    gt_file gt[HOURS + 1];
    memset(gt, 0, sizeof(gt));
    char rec[2048];
    int r = -1;
    FILE *f = NULL;
    for (int h = 0; h < HOURS; h++) {
        int64_t hour = day0 + (int64_t)h * 3600;
        bm_civil c;
        bm_time_civil(hour, &c);
        char hdir[4096];
        snprintf(hdir, sizeof(hdir), "%s/capture/%s/AllTraffic/%04d/%02d/%02d/%02d", o->dir,
                 ENDPOINT, c.year, c.month, c.day, c.hour);
        if (mkdirs(hdir) != 0) goto out;
        int nf = o->files_per_hour;
        int64_t slot = 3600 / nf;
        for (int k = 0; k < nf; k++) {
            uint64_t n = counts[h] / (uint64_t)nf + ((uint64_t)k < counts[h] % (uint64_t)nf);
            int64_t start = hour + (int64_t)k * slot;
            int64_t len = k == nf - 1 ? 3600 - (int64_t)k * slot : slot;
            /* the file's name: when it was written, shortly after its first record */
            int64_t written = start + (int64_t)(splitmix64(&s) % 60);
            if (written >= start + len) written = start;
            char uuid[40], path[4200];
            uuid[put_uuid(&s, uuid)] = '\0';
            snprintf(path, sizeof(path), "%s/%02d-%02d-%03d-%s.jsonl", hdir,
                     (int)(written % 3600 / 60), (int)(written % 60), (int)(splitmix64(&s) % 1000),
                     uuid);
            f = fopen(path, "wb");
            if (!f) goto out;
            setvbuf(f, NULL, _IOFBF, 1u << 20);
            t->capture_files++;
            for (uint64_t i = 0; i < n; i++) {
                int64_t when = start + (int64_t)((uint64_t)len * i / n);
                bm_civil w;
                bm_time_civil(when, &w);
                double score;
                size_t m = 0;
                m +=
                    put_str(rec + m, "{\"captureData\":{\"endpointInput\":{\"observedContentType\":"
                                     "\"text/csv\",\"mode\":\"INPUT\",\"data\":\"");
                m += gen_features(&s, rec + m, &score);
                m +=
                    put_str(rec + m, "\\n\",\"encoding\":\"CSV\"},\"endpointOutput\":{"
                                     "\"observedContentType\":\"text/csv; charset=utf-8\",\"mode\":"
                                     "\"OUTPUT\",\"data\":\"");
                m += (size_t)snprintf(rec + m, 32, "%.16g", score);
                m +=
                    put_str(rec + m, "\",\"encoding\":\"CSV\"}},\"eventMetadata\":{\"eventId\":\"");
                char *event_id = rec + m;
                m += put_uuid(&s, rec + m);
                char *key = event_id;
                size_t keylen = 36;
                if (splitmix64(&s) & 1) { /* the caller's own request id */
                    m += put_str(rec + m, "\",\"inferenceId\":\"");
                    key = rec + m;
                    keylen = (size_t)snprintf(key, 32, "req-%016" PRIx64, splitmix64(&s));
                    m += keylen;
                    t->inference_ids++;
                }
                m += put_str(rec + m, "\",\"inferenceTime\":\"");
                m += put_uint(rec + m, (uint64_t)w.year);
                rec[m++] = '-';
                m += put2(rec + m, w.month);
                rec[m++] = '-';
                m += put2(rec + m, w.day);
                rec[m++] = 'T';
                m += put2(rec + m, w.hour);
                rec[m++] = ':';
                m += put2(rec + m, w.minute);
                rec[m++] = ':';
                m += put2(rec + m, w.second);
                m += put_str(rec + m, "Z\"},\"eventVersion\":\"0\"}\n");
                if (fwrite(rec, 1, m, f) != m) goto out;
                t->capture_bytes += m;
                t->records++;
                /* the label: drawn from the model's score, so the model is about right */
                int label = u01(&s) < score;
                if (splitmix64(&s) % 100 >= GT_PERCENT) continue;
                int64_t upload = when + 60 + (int64_t)(splitmix64(&s) % 3540);
                int gh = (int)((upload - day0) / 3600);
                if (gh > HOURS) gh = HOURS;
                if (gt_open(o->dir, day0 + (int64_t)gh * 3600, &gt[gh], t) != 0) goto out;
                char g[256];
                size_t gn = put_str(g, "{\"groundTruthData\":{\"data\":\"");
                g[gn++] = (char)('0' + label);
                gn += put_str(g + gn, "\",\"encoding\":\"CSV\"},\"eventMetadata\":{\"eventId\":\"");
                memcpy(g + gn, key, keylen);
                gn += keylen;
                gn += put_str(g + gn, "\"},\"eventVersion\":\"0\"}\n");
                if (fwrite(g, 1, gn, gt[gh].f) != gn) goto out;
                t->gt_bytes += gn;
                t->gt_records++;
                t->positives_gt += (uint64_t)label;
            }
            int closed = fclose(f);
            f = NULL;
            if (closed != 0) goto out;
        }
        if (gt_close(&gt[h]) != 0) goto out; /* nothing later lands in hour h */
    }
    r = 0;
out:
    if (r != 0) fprintf(stderr, "bench_execute: writing the data failed: %s\n", strerror(errno));
    if (f) fclose(f);
    for (int h = 0; h <= HOURS; h++)
        if (gt_close(&gt[h]) != 0) r = -1;
    return r;
}

/* The parameters the data depend on: the manifest's first line. */
static void manifest_key(const options *o, char *out, size_t n)
{
    snprintf(out, n,
             "bench_execute data v%d seed=%#llx records=%" PRIu64
             " files_per_hour=%d gt_percent=%d",
             GEN_VERSION, (unsigned long long)SEED, o->records, o->files_per_hour, GT_PERCENT);
}

typedef struct dataset {
    gen_totals t;
    file_list capture; /* sorted capture file paths */
    char capture_root[4096], gt_root[4096];
} dataset;

static int read_manifest(const char *path, const char *key, gen_totals *t)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    int ok = fgets(line, sizeof(line), f) && (line[strcspn(line, "\n")] = '\0', !strcmp(line, key));
    unsigned long long v[8];
    if (ok)
        ok = fscanf(f,
                    "records=%llu inference_ids=%llu gt_records=%llu positives_gt=%llu "
                    "capture_files=%llu "
                    "capture_bytes=%llu gt_files=%llu gt_bytes=%llu",
                    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8;
    fclose(f);
    if (!ok) return -1;
    t->records = v[0];
    t->inference_ids = v[1];
    t->gt_records = v[2];
    t->positives_gt = v[3];
    t->capture_files = v[4];
    t->capture_bytes = v[5];
    t->gt_files = v[6];
    t->gt_bytes = v[7];
    return 0;
}

/* Makes sure the data set is under o->dir (reused when the manifest and the files agree). */
static int ensure_data(const options *o, int64_t day0, dataset *ds, int quiet)
{
    memset(ds, 0, sizeof(*ds));
    char manifest[4200], key[512];
    snprintf(manifest, sizeof(manifest), "%s/bench-manifest.txt", o->dir);
    snprintf(ds->capture_root, sizeof(ds->capture_root), "%s/capture", o->dir);
    snprintf(ds->gt_root, sizeof(ds->gt_root), "%s/gt", o->dir);
    manifest_key(o, key, sizeof(key));
    gen_totals want;
    if (read_manifest(manifest, key, &want) == 0) {
        file_list gt;
        if (list_files(ds->capture_root, &ds->capture) == 0 && list_files(ds->gt_root, &gt) == 0) {
            int same = ds->capture.n == want.capture_files &&
                       ds->capture.bytes == want.capture_bytes && gt.n == want.gt_files &&
                       gt.bytes == want.gt_bytes;
            file_list_release(&gt);
            if (same) {
                ds->t = want;
                if (!quiet) printf("data under %s: reused (%s)\n", o->dir, key);
                return 0;
            }
        }
        file_list_release(&ds->capture);
    }
    if (mkdirs(o->dir) != 0) {
        fprintf(stderr, "bench_execute: cannot create %s: %s\n", o->dir, strerror(errno));
        return -1;
    }
    unlink(manifest);
    if (remove_tree(ds->capture_root) != 0 || remove_tree(ds->gt_root) != 0) {
        fprintf(stderr, "bench_execute: cannot clear %s/{capture,gt}: %s\n", o->dir,
                strerror(errno));
        return -1;
    }
    printf("generating %" PRIu64 " capture records under %s ...\n", o->records, o->dir);
    fflush(stdout);
    double t0 = now();
    if (generate(o, day0, &ds->t) != 0) return -1;
    double t1 = now();
    FILE *f = fopen(manifest, "w");
    if (!f) return -1;
    fprintf(f,
            "%s\nrecords=%" PRIu64 " inference_ids=%" PRIu64 " gt_records=%" PRIu64
            " positives_gt=%" PRIu64 " capture_files=%" PRIu64 " capture_bytes=%" PRIu64
            " gt_files=%" PRIu64 " gt_bytes=%" PRIu64 "\n",
            key, ds->t.records, ds->t.inference_ids, ds->t.gt_records, ds->t.positives_gt,
            ds->t.capture_files, ds->t.capture_bytes, ds->t.gt_files, ds->t.gt_bytes);
    if (fclose(f) != 0) return -1;
    if (list_files(ds->capture_root, &ds->capture) != 0 || ds->capture.n != ds->t.capture_files ||
        ds->capture.bytes != ds->t.capture_bytes) {
        fprintf(stderr, "bench_execute: the capture tree under %s is not what was written\n",
                o->dir);
        return -1;
    }
    printf("generated in %.1f s (%.0f MB/s written)\n", t1 - t0,
           (double)(ds->t.capture_bytes + ds->t.gt_bytes) / (t1 - t0) / 1e6);
    return 0;
}

/* The analysis config and the job definition (JSON through jansson, so any --dir is quoted). */
static int write_configs(const char *dir, char *jobdef_path, size_t n)
{
    char ac[4200], gt[4200], out[4200];
    snprintf(ac, sizeof(ac), "%s/analysis_config.json", dir);
    snprintf(gt, sizeof(gt), "%s/gt", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(jobdef_path, n, "%s/jobdef.json", dir);
    const char *ac_text =
        "{\"dataset_type\": \"text/csv\",\n"
        " \"headers\": [" HEADERS "],\n"
        " \"label\": \"income\", \"label_values_or_threshold\": [1],\n"
        " \"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"Female\"]}],\n"
        " \"group_variable\": \"education\",\n"
        " \"methods\": {\"pre_training_bias\": {\"methods\": \"all\"},\n"
        "             \"post_training_bias\": {\"methods\": [\"AD\", \"CDDPL\", \"DAR\", \"DCA\", "
        "\"DCR\", "
        "\"DI\", \"DPPL\", \"DRR\", \"GE\", \"RD\", \"SD\", \"TE\"]}}}\n";
    FILE *f = fopen(ac, "w");
    if (!f || fputs(ac_text, f) < 0) {
        if (f) fclose(f);
        return -1;
    }
    if (fclose(f) != 0) return -1;
    json_t *jd = json_pack(
        "{s:s, s:{s:s, s:s, s:{s:s}},"
        " s:{s:{s:s, s:s, s:s, s:s, s:s, s:f}, s:{s:s}},"
        " s:{s:[{s:{s:s, s:s, s:s}}]},"
        " s:{s:{s:i, s:s, s:i}}, s:{s:i}, s:s}",
        "JobDefinitionName", "bench-bias-jd", "ModelBiasAppSpecification", "ImageUri", "biasmon",
        "ConfigUri", ac, "Environment", "publish_cloudwatch_metrics", "Enabled",
        "ModelBiasJobInput", "EndpointInput", "EndpointName", ENDPOINT, "LocalPath",
        "/opt/ml/processing/input/endpoint", "StartTimeOffset", "-P1D", "EndTimeOffset", "-PT0H",
        "ProbabilityAttribute", "0", "ProbabilityThresholdAttribute", 0.5, "GroundTruthS3Input",
        "S3Uri", gt, "ModelBiasJobOutputConfig", "MonitoringOutputs", "S3Output", "S3Uri", out,
        "LocalPath", "/opt/ml/processing/output", "S3UploadMode", "EndOfJob", "JobResources",
        "ClusterConfig", "InstanceCount", 1, "InstanceType", "ml.m5.xlarge", "VolumeSizeInGB", 30,
        "StoppingCondition", "MaxRuntimeInSeconds", 3600, "RoleArn",
        "arn:aws:iam::012345678901:role/SageMakerRole");
    if (!jd) return -1;
    int r = json_dump_file(jd, jobdef_path, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(jd);
    return r;
}

/* ==================================================================== executions */

/* What an execution child reports through a pipe. */
typedef struct exec_report {
    int ok;     /* bm_execute returned BM_OK */
    int status; /* bm_exec_status */
    char failure[512];
    char output_uri[1024];
    double wall; /* load + execute + release */
    long rss_before_kib, hwm_kib;
    int64_t capture_files, capture_records, in_window, outside, malformed_capture, gt_files,
        gt_records, malformed_gt, duplicates, joined, rows, without_gt, gt_without_capture;
} exec_report;

static int64_t count_of(json_t *counts, const char *k)
{
    json_t *v = json_object_get(counts, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static int execute_once(const char *jobdef_path, const char *capture_root, int64_t T,
                        exec_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    rep->rss_before_kib = proc_status_kib("VmRSS:");
    bm_error err;
    bm_error_clear(&err);
    double t0 = now();
    bm_job_definition jd;
    int r = bm_job_definition_load(jobdef_path, &jd, &err);
    if (r) {
        char msg[1200];
        bm_error_format(&err, msg, sizeof(msg));
        (void)bm_fmt_fit(rep->failure, sizeof(rep->failure), "job definition: %s", msg);
        return r;
    }
    bm_execution_params p;
    memset(&p, 0, sizeof(p));
    p.job = &jd;
    p.scheduled_time = T;
    p.schedule_name = SCHEDULE;
    p.capture_uri = capture_root;
    bm_execution_result res;
    r = bm_execute(&p, &res, &err);
    if (r) {
        char msg[1200];
        bm_error_format(&err, msg, sizeof(msg));
        (void)bm_fmt_fit(rep->failure, sizeof(rep->failure), "bm_execute: %s", msg);
    } else {
        rep->ok = 1;
        rep->status = (int)res.status;
        (void)bm_fmt_fit(rep->failure, sizeof(rep->failure), "%s", res.failure_reason);
        (void)bm_fmt_fit(rep->output_uri, sizeof(rep->output_uri), "%s",
                         res.output_uri); /* shown only */
        json_t *c = json_object_get(res.account, "counts");
        rep->capture_files = count_of(c, "capture_files");
        rep->capture_records = count_of(c, "capture_records");
        rep->in_window = count_of(c, "records_in_window");
        rep->outside = count_of(c, "records_outside_window");
        rep->malformed_capture = count_of(c, "malformed_capture_records");
        rep->gt_files = count_of(c, "ground_truth_files");
        rep->gt_records = count_of(c, "ground_truth_records");
        rep->malformed_gt = count_of(c, "malformed_ground_truth_records");
        rep->duplicates = count_of(c, "duplicate_ground_truth_ids");
        rep->joined = count_of(c, "joined_records");
        rep->rows = count_of(c, "rows");
        rep->without_gt = count_of(c, "capture_records_without_ground_truth");
        rep->gt_without_capture = count_of(c, "ground_truth_without_capture");
    }
    json_decref(res.account);
    bm_job_definition_release(&jd);
    rep->wall = now() - t0;
    rep->hwm_kib = proc_status_kib("VmHWM:");
    return r;
}

typedef struct exec_rep {
    exec_report rep;
    double cpu, user, sys;
    long maxrss_kib;
} exec_rep;

/* One execution in a forked child; fills out. */
static int run_execution(const char *jobdef_path, const dataset *ds, int64_t T, exec_rep *out)
{
    memset(out, 0, sizeof(*out));
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        exec_report rep;
        int r = execute_once(jobdef_path, ds->capture_root, T, &rep);
        ssize_t w = write(fds[1], &rep, sizeof(rep));
        _exit(r == 0 && w == (ssize_t)sizeof(rep) ? 0 : 1);
    }
    close(fds[1]);
    ssize_t got = 0;
    while (got < (ssize_t)sizeof(out->rep)) {
        ssize_t n = read(fds[0], (char *)&out->rep + got, sizeof(out->rep) - (size_t)got);
        if (n <= 0) break;
        got += n;
    }
    close(fds[0]);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) return -1;
    out->cpu = ru_cpu(&ru);
    out->user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
    out->sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    out->maxrss_kib = ru.ru_maxrss;
    if (got != (ssize_t)sizeof(out->rep)) return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The value of a metric for the facet's first value in analysis.json, as text. */
static void metric_text(json_t *analysis, const char *stage, const char *name, char *out, size_t n)
{
    snprintf(out, n, "absent");
    json_t *facets = json_object_get(json_object_get(analysis, stage), "facets");
    json_t *metrics = json_object_get(json_array_get(json_object_get(facets, "sex"), 0), "metrics");
    size_t i;
    json_t *m;
    json_array_foreach(metrics, i, m)
    {
        const char *mn = json_string_value(json_object_get(m, "name"));
        if (!mn || strcmp(mn, name) != 0) continue;
        json_t *v = json_object_get(m, "value");
        if (json_is_number(v))
            snprintf(out, n, "%.6g", json_number_value(v));
        else
            snprintf(out, n, "null");
        return;
    }
}

static int run_executions(const options *o, const char *jobdef_path, const dataset *ds, int64_t T)
{
    exec_rep reps[MAX_REPS];
    double wall[MAX_REPS], cpu[MAX_REPS], rss[MAX_REPS], grow[MAX_REPS];
    const double cap_mb = (double)ds->t.capture_bytes / 1e6;
    const double all_mb = (double)(ds->t.capture_bytes + ds->t.gt_bytes) / 1e6;
    int bad = 0;
    printf("\nexecutions: bm_execute at %s, window -P1D..-PT0H, %d reps, each in a forked child\n",
           SCHEDULED_TIME, o->reps);
    print_load("before the executions");
    for (int i = 0; i < o->reps; i++) {
        exec_rep *e = &reps[i];
        if (run_execution(jobdef_path, ds, T, e) != 0) {
            printf("  rep %d: FAILED: %s\n", i + 1,
                   e->rep.failure[0] ? e->rep.failure : "the child failed");
            return -1;
        }
        const exec_report *r = &e->rep;
        wall[i] = r->wall;
        cpu[i] = e->cpu;
        rss[i] = (double)e->maxrss_kib / 1024;
        grow[i] = (double)(r->hwm_kib - r->rss_before_kib) / 1024;
        printf("  rep %d: %.3f s wall, %.1f MB/s capture (%.1f MB/s capture + ground truth), %.3f "
               "M records/s;"
               " CPU %.2f s (user %.2f, sys %.2f): %.1f MB/s per CPU-second; peak RSS %.1f MiB"
               " (%.1f MiB above the child's RSS at the start)\n",
               i + 1, r->wall, cap_mb / r->wall, all_mb / r->wall,
               (double)ds->t.records / r->wall / 1e6, e->cpu, e->user, e->sys, cap_mb / e->cpu,
               rss[i], grow[i]);
        printf("         status %s%s%s; capture_files %" PRId64 ", capture_records %" PRId64
               ", records_in_window %" PRId64 ", malformed %" PRId64
               ", ground_truth_records %" PRId64 " (duplicates %" PRId64
               "), joined_records %" PRId64 ", rows %" PRId64
               ", capture_records_without_ground_truth %" PRId64
               ", ground_truth_without_capture %" PRId64 "\n",
               bm_exec_status_name((bm_exec_status)r->status), r->failure[0] ? ": " : "",
               r->failure, r->capture_files, r->capture_records, r->in_window,
               r->malformed_capture + r->malformed_gt, r->gt_records, r->duplicates, r->joined,
               r->rows, r->without_gt, r->gt_without_capture);
        /* the checks: the run is Completed and joined exactly what was generated */
        int want_ok =
            r->status == BM_EXEC_COMPLETED && r->capture_records == (int64_t)ds->t.records &&
            r->in_window == (int64_t)ds->t.records && r->gt_records == (int64_t)ds->t.gt_records &&
            r->joined == (int64_t)ds->t.gt_records && r->rows == (int64_t)ds->t.gt_records &&
            r->without_gt == (int64_t)(ds->t.records - ds->t.gt_records) &&
            r->gt_without_capture == 0 && r->malformed_capture == 0 && r->malformed_gt == 0 &&
            r->capture_files == (int64_t)ds->t.capture_files;
        printf(
            "         check: %s (generated: %" PRIu64 " records, %" PRIu64 " with ground truth)\n",
            want_ok ? "Completed, joined_records = rows = generated ground truth: OK" : "MISMATCH",
            ds->t.records, ds->t.gt_records);
        if (!want_ok) bad = 1;
        fflush(stdout);
    }
    print_load("after the executions");
    const exec_report *r0 = &reps[0].rep;
    int64_t pending = r0->gt_records - r0->duplicates;
    double mw = median(wall, o->reps), mc = median(cpu, o->reps), mr = median(rss, o->reps),
           mg = median(grow, o->reps);
    printf("  median of %d: %.3f s wall: %.1f MB/s capture JSON Lines (%.1f MB/s with the ground "
           "truth),"
           " %.3f M records/s; CPU %.2f s: %.1f MB/s per CPU-second; peak RSS %.1f MiB\n",
           o->reps, mw, cap_mb / mw, all_mb / mw, (double)ds->t.records / mw / 1e6, mc, cap_mb / mc,
           mr);
    printf("  pending ground-truth ids (ground_truth_records - duplicates): %" PRId64
           "; peak RSS per pending id %.1f bytes; (peak - RSS at the child's start) per pending id "
           "%.1f bytes\n",
           pending, mr * 1048576.0 / (double)pending, mg * 1048576.0 / (double)pending);
    printf("  target 300 MB/s of capture per core: %s (%.1f MB/s per CPU-second)\n",
           cap_mb / mc >= 300 ? "met" : "NOT met", cap_mb / mc);
    /* the analysis, as a sanity check of what was computed */
    char ap[1200];
    snprintf(ap, sizeof(ap), "%s/analysis.json", r0->output_uri);
    json_error_t je;
    json_t *a = json_load_file(ap, 0, &je);
    if (a) {
        char di[64], ci[64], dppl[64];
        metric_text(a, "post_training_bias_metrics", "DI", di, sizeof(di));
        metric_text(a, "pre_training_bias_metrics", "CI", ci, sizeof(ci));
        metric_text(a, "post_training_bias_metrics", "DPPL", dppl, sizeof(dppl));
        printf("  %s: sex = Female: CI %s, DPPL %s, DI %s\n", ap, ci, dppl, di);
        json_decref(a);
    } else {
        printf("  cannot read %s: %s\n", ap, je.text);
        bad = 1;
    }
    fflush(stdout);
    return bad ? -1 : 0;
}

/* ==================================================================== jq and cat */

typedef struct cmd_result {
    double wall, cpu;
    long maxrss_kib;
} cmd_result;

/* Runs argv with stdout to /dev/null; fills out; -1 when it fails. */
static int time_command(char *const argv[], cmd_result *out)
{
    fflush(stdout);
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
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) return -1;
    out->wall = now() - t0;
    out->cpu = ru_cpu(&ru);
    out->maxrss_kib = ru.ru_maxrss;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int have_program(const char *name)
{
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    char buf[4096];
    while (*path) {
        size_t n = strcspn(path, ":");
        if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name) < (int)sizeof(buf) &&
            access(buf, X_OK) == 0)
            return 1;
        path += n;
        if (*path == ':') path++;
    }
    return 0;
}

static int run_reference(const char *name, const char *const *prefix, int nprefix, const options *o,
                         const dataset *ds)
{
    if (!have_program(prefix[0])) {
        printf("\n%s: %s is not installed (apt-get install -y %s); skipped\n", name, prefix[0],
               prefix[0]);
        return 0;
    }
    size_t argc = (size_t)nprefix + ds->capture.n + 1;
    char **argv = calloc(argc, sizeof(char *));
    if (!argv) return -1;
    for (int i = 0; i < nprefix; i++)
        argv[i] = (char *)prefix[i];
    for (size_t i = 0; i < ds->capture.n; i++)
        argv[(size_t)nprefix + i] = ds->capture.v[i];
    const double mb = (double)ds->capture.bytes / 1e6;
    double wall[MAX_REPS], cpu[MAX_REPS], rss[MAX_REPS];
    printf("\n%s over the %zu capture files (%.1f MB), %d reps\n", name, ds->capture.n, mb,
           o->jq_reps);
    print_load("before");
    int r = 0;
    for (int i = 0; i < o->jq_reps; i++) {
        cmd_result c;
        if (time_command(argv, &c) != 0) {
            printf("  rep %d: FAILED\n", i + 1);
            r = -1;
            break;
        }
        wall[i] = c.wall;
        cpu[i] = c.cpu;
        rss[i] = (double)c.maxrss_kib / 1024;
        printf("  rep %d: %.3f s wall, %.1f MB/s; CPU %.2f s: %.1f MB/s per CPU-second; peak RSS "
               "%.1f MiB\n",
               i + 1, c.wall, mb / c.wall, c.cpu, mb / c.cpu, rss[i]);
        fflush(stdout);
    }
    if (r == 0 && o->jq_reps > 0) {
        print_load("after");
        double mw = median(wall, o->jq_reps), mc = median(cpu, o->jq_reps);
        printf("  median of %d: %.3f s wall, %.1f MB/s; CPU %.2f s: %.1f MB/s per CPU-second; peak "
               "RSS %.1f MiB\n",
               o->jq_reps, mw, mb / mw, mc, mb / mc, median(rss, o->jq_reps));
    }
    free(argv);
    fflush(stdout);
    return r;
}

/* ==================================================================== perf */

static int run_perf(const options *o)
{
    if (!have_program("perf")) {
        printf("\nperf: not installed; skipped\n");
        return 0;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) return -1;
    self[n] = '\0';
    char data[4200], recs[32], fph[16];
    snprintf(data, sizeof(data), "%s/perf-execute.data", o->dir);
    snprintf(recs, sizeof(recs), "%" PRIu64, o->records);
    snprintf(fph, sizeof(fph), "%d", o->files_per_hour);
    char *argv[] = {"perf",
                    "record",
                    "-g",
                    "-q",
                    "-o",
                    data,
                    "--",
                    self,
                    "--dir",
                    (char *)o->dir,
                    "--records",
                    recs,
                    "--files-per-hour",
                    fph,
                    "--execute-once",
                    NULL};
    printf(
        "\nperf record -g -o %s -- %s --dir %s --records %s --files-per-hour %s --execute-once\n",
        data, self, o->dir, recs, fph);
    print_load("before");
    cmd_result c;
    if (time_command(argv, &c) != 0) {
        printf("  perf record FAILED\n");
        return -1;
    }
    printf("  %.3f s wall under perf, CPU %.2f s\n", c.wall, c.cpu);
    const char *sorts[2] = {"symbol", "dso"};
    const int tops[2] = {PERF_TOP, 6};
    for (int k = 0; k < 2; k++) {
        char cmd[4600];
        snprintf(cmd, sizeof(cmd),
                 "perf report -i '%s' --no-children --sort %s -g none --stdio 2>/dev/null", data,
                 sorts[k]);
        printf("  %s\n", cmd);
        FILE *p = popen(cmd, "r");
        if (!p) return -1;
        char line[1024];
        int shown = 0;
        while (fgets(line, sizeof(line), p)) {
            if (line[0] == '#') {
                if (strstr(line, "Samples:") || strstr(line, "Event count")) printf("  %s", line);
                continue;
            }
            const char *q = line;
            while (*q == ' ')
                q++;
            if (shown < tops[k] && *q >= '0' && *q <= '9' && strchr(q, '%')) {
                /* drop the empty IPC columns ("-      -") perf adds without a hardware PMU */
                size_t len = strlen(line);
                for (;;) {
                    while (len && (line[len - 1] == ' ' || line[len - 1] == '\n'))
                        len--;
                    if (len >= 2 && line[len - 1] == '-' && line[len - 2] == ' ')
                        len -= 2;
                    else
                        break;
                }
                line[len] = '\0';
                printf("  %2d %s\n", shown + 1, q);
                shown++;
            }
        }
        pclose(p);
    }
    fflush(stdout);
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
    printf("bench_execute: %s, %ld CPUs online, %s", date, sysconf(_SC_NPROCESSORS_ONLN), model);
#ifndef __OPTIMIZE__
    printf(" (WARNING: not an optimized build)");
#endif
    printf("\n");
}

int main(int argc, char **argv)
{
    options o;
    if (parse_options(argc, argv, &o) != 0) return 2;
    int64_t day0, T;
    if (bm_time_parse("2026-11-23T00:00:00Z", 20, &day0, NULL) ||
        bm_time_parse(SCHEDULED_TIME, strlen(SCHEDULED_TIME), &T, NULL))
        return 5;
    dataset ds;
    char jobdef[4200];
    if (o.execute_once) {
        /* under perf: one execution in this process, on data that must already be there */
        if (ensure_data(&o, day0, &ds, 1) != 0 || write_configs(o.dir, jobdef, sizeof(jobdef)) != 0)
            return 1;
        exec_report rep;
        int r = execute_once(jobdef, ds.capture_root, T, &rep);
        fprintf(stderr,
                "bench_execute --execute-once: %.3f s, %s, joined_records %" PRId64 "%s%s\n",
                rep.wall, r ? "error" : bm_exec_status_name((bm_exec_status)rep.status), rep.joined,
                rep.failure[0] ? ": " : "", rep.failure);
        file_list_release(&ds.capture);
        return r || rep.status != BM_EXEC_COMPLETED;
    }
    print_machine();
    if (ensure_data(&o, day0, &ds, 0) != 0) return 1;
    if (write_configs(o.dir, jobdef, sizeof(jobdef)) != 0) {
        fprintf(stderr, "bench_execute: cannot write the configs under %s\n", o.dir);
        return 1;
    }
    const gen_totals *t = &ds.t;
    printf("capture: %" PRIu64 " records in %" PRIu64 " files, %" PRIu64
           " bytes (%.1f MB, %.1f bytes/record),"
           " %" PRIu64 " with an inferenceId\n",
           t->records, t->capture_files, t->capture_bytes, (double)t->capture_bytes / 1e6,
           (double)t->capture_bytes / (double)t->records, t->inference_ids);
    printf("ground truth: %" PRIu64 " records (%.2f%%, %" PRIu64 " labelled 1) in %" PRIu64
           " files, %" PRIu64 " bytes (%.1f MB)\n",
           t->gt_records, 100.0 * (double)t->gt_records / (double)t->records, t->positives_gt,
           t->gt_files, t->gt_bytes, (double)t->gt_bytes / 1e6);
    printf("job definition %s, analysis config %s/analysis_config.json\n", jobdef, o.dir);
    fflush(stdout);
    int failed = 0;
    if (o.want_exec) failed |= run_executions(&o, jobdef, &ds, T) != 0;
    if (o.want_jq && o.jq_reps > 0) {
        const char *jq[] = {"jq", "-c", "."};
        failed |= run_reference("jq -c . FILES > /dev/null", jq, 3, &o, &ds) != 0;
    }
    if (o.want_io && o.jq_reps > 0) {
        const char *cat[] = {"cat"};
        failed |= run_reference("cat FILES > /dev/null", cat, 1, &o, &ds) != 0;
    }
    if (o.want_perf) failed |= run_perf(&o) != 0;
    file_list_release(&ds.capture);
    return failed ? 1 : 0;
}
