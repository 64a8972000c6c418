/* Progress on a terminal for long runs of analyze and execute: a thread redraws one stderr line
 * (rows and bytes read, the rate) at most 4 times a second while the run goes, from the counters
 * the library adds to (biasmon/progress.h), and clears it at the end. Never when stderr is not a
 * terminal or --json is given. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "biasmon/common.h"
#include "biasmon/progress.h"
#include "cli.h"

#define REFRESH_NS 250000000L /* 4 Hz */

struct bm_cli_progress {
    bm_progress counters;
    const char *what;
    const char *phase; /* after the reading: what the run does now, or NULL */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    int stop, drawn;
    struct timespec started;
};

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* "12,345,678" */
static void grouped(unsigned long long v, char *out, size_t n)
{
    char digits[32];
    int k = snprintf(digits, sizeof(digits), "%llu", v), o = 0;
    for (int i = 0; i < k && (size_t)o + 2 < n; i++) {
        if (i && (k - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = 0;
}

static void draw(struct bm_cli_progress *p)
{
    double t = since(&p->started);
    unsigned long long rows = atomic_load(&p->counters.rows);
    double mib = (double)atomic_load(&p->counters.bytes) / 1048576.0;
    char r[40];
    grouped(rows, r, sizeof(r));
    /* \r and erase-line: the line is redrawn in place */
    if (p->phase)
        fprintf(stderr, "\r\033[K%s: %s rows, %.1f MiB read; %s, %.0f s", p->what, r, mib, p->phase,
                t);
    else
        fprintf(stderr, "\r\033[K%s: %s rows, %.1f MiB read, %.1f MiB/s, %.0f s", p->what, r, mib,
                t > 0 ? mib / t : 0.0, t);
    fflush(stderr);
    p->drawn = 1;
}

static void *progress_main(void *arg)
{
    struct bm_cli_progress *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += REFRESH_NS;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        if (!p->stop) draw(p);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct bm_cli_progress *bm_cli_progress_start(const char *what, int as_json)
{
    if (as_json || !isatty(STDERR_FILENO)) return NULL;
    struct bm_cli_progress *p = bm_calloc(1, sizeof(*p));
    if (!p) return NULL; /* progress is a nicety: the run goes on without it */
    p->what = what;
    clock_gettime(CLOCK_MONOTONIC, &p->started);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    bm_progress_attach(&p->counters);
    if (pthread_create(&p->thread, NULL, progress_main, p)) {
        bm_progress_attach(NULL);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        bm_free(p);
        return NULL;
    }
    return p;
}

void bm_cli_progress_phase(struct bm_cli_progress *p, const char *phase)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->phase = phase;
    pthread_mutex_unlock(&p->mu);
}

void bm_cli_progress_stop(struct bm_cli_progress *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    bm_progress_attach(NULL);
    if (p->drawn) { /* cleared: what follows starts on a clean line */
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    bm_free(p);
}
