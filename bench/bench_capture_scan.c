/* Benchmark of the capture record scanner against jansson's json_loadb on generated JSON Lines. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "biasmon/capture.h"

/* usage: bench_capture_scan [MB [REPS]]   (defaults: 200 MB, 3 repetitions)
 *
 * Generates MB megabytes of capture JSON Lines in memory from a fixed seed (the same bytes on
 * every run), then times, on the same lines:
 *   scanner  bm_capture_scan on every line (best of REPS passes), one thread;
 *   jansson  json_loadb(line, len, 0), a lookup of endpointInput.data and json_decref on every
 *            line (one pass), one thread.
 * MB/s are computed from the thread's CPU time (steady on a busy machine); the wall-clock time
 * of the same pass is printed beside it.
 * The mix, in the key order SageMaker writes:
 *   60%  endpoint capture, CSV: 8-16 numeric features (~100 bytes; 70% end in an escaped \n),
 *        a CSV score, eventId, inferenceId on half of them, inferenceTime;
 *   20%  merged records (the same plus groundTruthData, eventVersion first as in spec 5.5);
 *   12%  endpoint capture, JSON payloads ({\"instances\": ...}, escaped quotes throughout);
 *    8%  ground-truth records.
 * Figures only: nothing is asserted. */

#define SEED 0x5eedca97u

static uint64_t rng = SEED;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Wall time, and this thread's CPU time: on a shared machine the CPU time is the steadier
 * figure (both are printed). */
static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static double cpu(void)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

/* ==================================================================== generation */

typedef struct out {
    char *p;
    size_t len, cap;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->len + n > o->cap) {
        fprintf(stderr, "generation buffer full\n");
        exit(1);
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putf(out *o, const char *fmt, ...) BM_PRINTF(2, 3);
static void putf(out *o, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    put(o, tmp, (size_t)n);
}

static void uuid(out *o)
{
    static const char hex[] = "0123456789abcdef";
    char u[36];
    for (int i = 0; i < 36; i++)
        u[i] = i == 8 || i == 13 || i == 18 || i == 23 ? '-' : hex[below(16)];
    put(o, u, 36);
}

static void csv_features(out *o)
{
    /* arguments are drawn in separate statements: their evaluation order is unspecified */
    unsigned n = 8 + below(9), a;
    for (unsigned i = 0; i < n; i++) {
        if (i) puts_(o, ",");
        switch (below(3)) {
        case 0:
            putf(o, "%u", below(100));
            break;
        case 1:
            a = below(1000);
            putf(o, "%u.%u", a, below(10));
            break;
        default:
            a = below(100000);
            putf(o, "%u.%04u", a, below(10000));
            break;
        }
    }
    if (below(10) < 7) puts_(o, "\\n");
}

static void json_features(out *o)
{
    unsigned n = 1 + below(2);
    puts_(o, "{\\\"instances\\\": [");
    for (unsigned k = 0; k < n; k++) {
        if (k) puts_(o, ", ");
        puts_(o, "{\\\"features\\\": [");
        unsigned m = 4 + below(5);
        for (unsigned i = 0; i < m; i++) {
            unsigned a = below(1000);
            putf(o, i ? ", %u.%u" : "%u.%u", a, below(100));
        }
        puts_(o, "]}");
    }
    puts_(o, "]}");
}

static void metadata(out *o, int with_inference)
{
    puts_(o, "\"eventMetadata\": {\"eventId\": \"");
    uuid(o);
    puts_(o, "\"");
    if (with_inference) putf(o, ", \"inferenceId\": \"%u\"", below(1000000));
    unsigned d = 1 + below(28), h = below(24), m = below(60);
    putf(o, ", \"inferenceTime\": \"2024-01-%02uT%02u:%02u:%02uZ\"}", d, h, m, below(60));
}

static void capture_csv(out *o, int with_gt)
{
    if (with_gt) puts_(o, "{\"eventVersion\": \"0\", \"groundTruthData\": {\"data\": \"");
    if (with_gt) putf(o, "%u\", \"encoding\": \"CSV\"}, ", below(2));
    puts_(o, with_gt ? "\"captureData\": {" : "{\"captureData\": {");
    puts_(o, "\"endpointInput\": {\"observedContentType\": \"text/csv\", \"mode\": \"INPUT\", "
             "\"data\": \"");
    csv_features(o);
    puts_(o, "\", \"encoding\": \"CSV\"}, \"endpointOutput\": {\"observedContentType\": "
             "\"text/csv; charset=utf-8\", \"mode\": \"OUTPUT\", \"data\": \"");
    putf(o, "0.%016" PRIu64, rnd() % 10000000000000000u);
    puts_(o, below(2) ? "\\n" : "");
    puts_(o, "\", \"encoding\": \"CSV\"}}, ");
    metadata(o, below(2));
    puts_(o, with_gt ? "}" : ", \"eventVersion\": \"0\"}");
}

static void capture_json(out *o)
{
    puts_(o, "{\"captureData\": {\"endpointInput\": {\"observedContentType\": "
             "\"application/json\", \"mode\": \"INPUT\", \"data\": \"");
    json_features(o);
    puts_(o, "\", \"encoding\": \"JSON\"}, \"endpointOutput\": {\"observedContentType\": "
             "\"application/json\", \"mode\": \"OUTPUT\", \"data\": \"");
    unsigned score = below(1000000);
    putf(o, "{\\\"predictions\\\": [{\\\"score\\\": 0.%06u, \\\"predicted_label\\\": %u}]}", score,
         below(2));
    puts_(o, "\", \"encoding\": \"JSON\"}}, ");
    metadata(o, 1);
    puts_(o, ", \"eventVersion\": \"0\"}");
}

static void ground_truth(out *o)
{
    putf(o,
         "{\"groundTruthData\": {\"data\": \"%u\", \"encoding\": \"CSV\"}, \"eventMetadata\": "
         "{\"eventId\": \"",
         below(2));
    uuid(o);
    puts_(o, "\"}, \"eventVersion\": \"0\"}");
}

/* ==================================================================== main */

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 200;
    long reps = argc > 2 ? strtol(argv[2], NULL, 10) : 3;
    if (mb == 0 || mb > 16384 || reps <= 0 || reps > 1000) {
        fprintf(stderr, "usage: %s [MB [REPS]]\n", argv[0]);
        return 2;
    }
    size_t target = mb << 20;
    out o = {malloc(target + 4096), 0, target + 4096};
    size_t nlines = 0, lcap = target / 256;
    size_t *starts = malloc((lcap + 1) * sizeof(*starts));
    if (!o.p || !starts) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    double t0 = now();
    while (o.len < target && nlines < lcap) {
        starts[nlines++] = o.len;
        unsigned k = below(100);
        if (k < 60)
            capture_csv(&o, 0);
        else if (k < 80)
            capture_csv(&o, 1);
        else if (k < 92)
            capture_json(&o);
        else
            ground_truth(&o);
        puts_(&o, "\n");
    }
    starts[nlines] = o.len;
    double gen_s = now() - t0;
    double total_mb = (double)o.len / 1e6;
    printf("generated %zu records, %.1f MB (%.0f bytes/record) in %.2f s\n", nlines, total_mb,
           (double)o.len / (double)nlines, gen_s);

    bm_capture_scanner *s = bm_capture_scanner_new((size_t)1 << 20);
    if (!s) return 1;
    double best = 1e30, best_wall = 0;
    uint64_t sum = 0;
    for (long rep = 0; rep < reps; rep++) {
        size_t bad = 0;
        sum = 0;
        double w0 = now(), c0 = cpu();
        for (size_t i = 0; i < nlines; i++) {
            bm_capture_record rec;
            const char *line = o.p + starts[i];
            size_t len = starts[i + 1] - starts[i] - 1;
            if (bm_capture_scan(s, line, len, &rec, NULL) != BM_OK) {
                bad++;
                continue;
            }
            sum += rec.input.data.n + rec.output.data.n + rec.ground_truth.data.n + rec.event_id.n +
                   rec.inference_id.n;
        }
        double t = cpu() - c0, w = now() - w0;
        if (t < best) {
            best = t;
            best_wall = w;
        }
        if (bad) printf("scanner refused %zu lines\n", bad);
    }
    printf("scanner: %8.1f MB/s  %6.2f M records/s  (best of %ld: %.3f s CPU, %.3f s wall; "
           "checksum %" PRIu64 ")\n",
           total_mb / best, (double)nlines / best / 1e6, reps, best, best_wall, sum);
    bm_capture_scanner_free(s);

    size_t bad = 0;
    sum = 0;
    double w0 = now(), c0 = cpu();
    for (size_t i = 0; i < nlines; i++) {
        json_error_t jerr;
        json_t *root = json_loadb(o.p + starts[i], starts[i + 1] - starts[i] - 1, 0, &jerr);
        if (!root) {
            bad++;
            continue;
        }
        json_t *in = json_object_get(json_object_get(root, "captureData"), "endpointInput");
        sum += json_string_length(json_object_get(in, "data"));
        json_decref(root);
    }
    double jt = cpu() - c0, jw = now() - w0;
    if (bad) printf("jansson refused %zu lines\n", bad);
    printf("jansson: %8.1f MB/s  %6.2f M records/s  (one pass: %.3f s CPU, %.3f s wall)\n",
           total_mb / jt, (double)nlines / jt / 1e6, jt, jw);
    printf("speed-up: %.1fx\n", jt / best);
    free(starts);
    free(o.p);
    return 0;
}
