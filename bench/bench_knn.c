/* Benchmark of bm_knn_classify: build and query times and peak memory on uniform random data. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include "biasmon/knn.h"

/* usage: bench_knn [total_rows [threads]]
 * Without total_rows, runs 10^6 and then 10^7 rows. Rows are split 70% training, 30% query;
 * 7 features uniform in [0, 1), labels fair coin flips, k = 5, fixed seed.
 * "build" is timed as a call with a single query (copy, validation and tree build);
 * "queries" is the full call minus that. Peak RSS is the process's high-water mark so far. */

enum { DIM = 7, K = 5 };

static uint64_t rng_state = 0x5eed;

static uint64_t splitmix64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* user + system CPU seconds of the whole process so far */
static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static long peak_rss_mib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return ru.ru_maxrss / 1024; /* Linux reports KiB */
}

static int run(size_t n, int threads)
{
    size_t n_train = n / 10 * 7, n_query = n - n_train;
    double *train = malloc(n_train * DIM * sizeof(double));
    double *query = malloc(n_query * DIM * sizeof(double));
    uint8_t *labels = malloc(n_train);
    uint8_t *out = malloc(n_query);
    int r = BM_ENOMEM;
    if (!train || !query || !labels || !out) goto out;
    for (size_t i = 0; i < n_train * DIM; i++)
        train[i] = (double)(splitmix64() >> 11) * 0x1p-53;
    for (size_t i = 0; i < n_query * DIM; i++)
        query[i] = (double)(splitmix64() >> 11) * 0x1p-53;
    for (size_t i = 0; i < n_train; i++)
        labels[i] = (uint8_t)(splitmix64() & 1);

    double t0 = now(), c0 = cpu_seconds();
    r = bm_knn_classify(train, labels, n_train, DIM, query, 1, K, threads, out);
    double t1 = now(), c1 = cpu_seconds();
    if (r != BM_OK) goto out;
    r = bm_knn_classify(train, labels, n_train, DIM, query, n_query, K, threads, out);
    double t2 = now(), c2 = cpu_seconds();
    if (r != BM_OK) goto out;

    size_t ones = 0;
    for (size_t i = 0; i < n_query; i++)
        ones += out[i];
    double build = t1 - t0, total = t2 - t1;
    printf("rows %zu (train %zu, query %zu, dim %d, k %d, threads %d): build %.3f s, "
           "queries %.3f s, total %.3f s (CPU: build %.3f s, total %.3f s), peak RSS %ld MiB, "
           "predicted 1: %zu\n",
           n, n_train, n_query, DIM, K, threads, build, total - build, total, c1 - c0, c2 - c1,
           peak_rss_mib(), ones);
out:
    if (r != BM_OK) fprintf(stderr, "bench_knn: %zu rows: %s\n", n, bm_strerror(r));
    free(train);
    free(query);
    free(labels);
    free(out);
    return r;
}

static int parse_size(const char *s, size_t *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end); /* accepts 1e7 as well as 10000000 */
    if (errno || end == s || *end || !(d >= 10) || d > 1e10) return -1;
    *v = (size_t)d;
    return 0;
}

int main(int argc, char **argv)
{
    size_t sizes[2] = {1000000, 10000000}, n_sizes = 2;
    int threads = 0;
    if (argc > 1) {
        if (parse_size(argv[1], &sizes[0]) != 0) {
            fprintf(stderr, "usage: bench_knn [total_rows [threads]]\n");
            return 2;
        }
        n_sizes = 1;
    }
    if (argc > 2) threads = (int)strtol(argv[2], NULL, 10);
    for (size_t i = 0; i < n_sizes; i++)
        if (run(sizes[i], threads) != BM_OK) return 1;
    return 0;
}
