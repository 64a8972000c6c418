/* The data capture writer: records queue in memory (bounded) and one thread gathers them into
 * files per hour prefix, each written whole (bm_store_write: temporary name then rename, or one
 * PUT) when it is big enough, old enough, or on flush. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "biasmon/capture_writer.h"
#include "biasmon/isotime.h"
#include "biasmon/random.h"
#include "biasmon/store.h"

typedef struct node {
    struct node *next;
    int64_t at;
    size_t len;
    char *prefix; /* points into the same allocation */
    char data[];  /* len bytes, then the prefix */
} node;

typedef struct file {
    char *prefix;
    int64_t at;    /* the first record's time: the file's name */
    double opened; /* monotonic seconds */
    bm_buf buf;
    size_t records;
    size_t accounted; /* bytes counted in queued_bytes for these records */
} file;

struct bm_capture_writer {
    bm_capture_writer_opts o;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    pthread_t thread;
    int started, stopping;
    node *head, *tail;
    uint64_t flush_req, flush_done;
    bm_capture_stats st;
    /* the writer thread's own */
    file *files;
    size_t nfiles;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int bm_uuid4(char *out, size_t n)
{
    unsigned char b[16];
    if (n < 37 || bm_random_bytes(b, sizeof(b)) != BM_OK) return BM_EIO;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    return BM_OK;
}

void bm_capture_file_name(int64_t at, const unsigned char u[16], char *out, size_t n)
{
    int64_t s = at >= 0 ? at / 1000 : 0;
    bm_civil c;
    bm_time_civil(s, &c);
    snprintf(
        out, n,
        "%02d-%02d-%03d-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x.jsonl",
        c.minute, c.second, (int)(at >= 0 ? at % 1000 : 0), u[0], u[1], u[2], u[3], u[4], u[5],
        u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* ---- the writer thread ---- */

static void release_bytes(bm_capture_writer *w, size_t bytes, size_t written, size_t failed,
                          int file_done)
{
    pthread_mutex_lock(&w->mu);
    w->st.queued_bytes -= bytes;
    w->st.written += written;
    w->st.failed += failed;
    w->st.files += (uint64_t)file_done;
    pthread_mutex_unlock(&w->mu);
}

static void write_out(bm_capture_writer *w, size_t k)
{
    file *f = &w->files[k];
    unsigned char u[16];
    char name[64], uri[2048];
    bm_error e;
    bm_error_clear(&e);
    int rc = BM_OK;
    if (bm_random_bytes(u, sizeof(u)) != BM_OK)
        rc = bm_error_set(&e, BM_EIO, "no randomness for the file name");
    if (!rc) {
        u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
        u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
        bm_capture_file_name(f->at, u, name, sizeof(name));
        if (bm_uri_join(f->prefix, name, uri, sizeof(uri)))
            rc = bm_error_set(&e, BM_ELIMIT, "the capture path is too long");
    }
    if (!rc) rc = bm_store_write(uri, f->buf.data ? f->buf.data : "", f->buf.len, &e);
    if (rc && w->o.on_fail) w->o.on_fail(w->o.ctx, f->prefix, f->records, &e);
    release_bytes(w, f->accounted, rc ? 0 : f->records, rc ? f->records : 0, !rc);
    bm_buf_release(&f->buf);
    bm_free(f->prefix);
    w->files[k] = w->files[--w->nfiles];
}

/* The file being filled for prefix, opening one (and writing out the oldest when all slots are
 * taken); NULL when out of memory. */
static file *file_for(bm_capture_writer *w, const char *prefix, int64_t at)
{
    for (size_t k = 0; k < w->nfiles; k++)
        if (!strcmp(w->files[k].prefix, prefix)) return &w->files[k];
    if (w->nfiles == w->o.max_open) {
        size_t old = 0;
        for (size_t k = 1; k < w->nfiles; k++)
            if (w->files[k].opened < w->files[old].opened) old = k;
        write_out(w, old);
    }
    char *p = bm_strdup(prefix);
    if (!p) return NULL;
    file *f = &w->files[w->nfiles++];
    memset(f, 0, sizeof(*f));
    f->prefix = p;
    f->at = at;
    f->opened = mono();
    bm_buf_init(&f->buf, w->o.max_queued_bytes + 1);
    return f;
}

static void take(bm_capture_writer *w, node *n)
{
    size_t bytes = n->len + 1;
    file *f = file_for(w, n->prefix, n->at);
    size_t before = f ? f->buf.len : 0;
    if (!f || bm_buf_append(&f->buf, n->data, n->len) || bm_buf_putc(&f->buf, '\n')) {
        if (f) f->buf.len = before; /* never a torn record */
        bm_error e;
        bm_error_clear(&e);
        bm_error_set(&e, BM_ENOMEM, "out of memory gathering capture records");
        if (w->o.on_fail) w->o.on_fail(w->o.ctx, n->prefix, 1, &e);
        release_bytes(w, bytes, 0, 1, 0);
        return;
    }
    f->records++;
    f->accounted += bytes;
    if (f->buf.len >= w->o.max_file_bytes) write_out(w, (size_t)(f - w->files));
}

static void *run(void *arg)
{
    bm_capture_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        if (!w->head && !w->stopping && w->flush_req == w->flush_done) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&w->wake, &w->mu, &ts);
        }
        node *list = w->head;
        w->head = w->tail = NULL;
        uint64_t req = w->flush_req;
        int stopping = w->stopping;
        pthread_mutex_unlock(&w->mu);

        while (list) {
            node *next = list->next;
            take(w, list);
            bm_free(list);
            list = next;
        }
        double now = mono();
        for (size_t k = w->nfiles; k-- > 0;)
            if (stopping || req != w->flush_done || now - w->files[k].opened >= w->o.flush_s)
                write_out(w, k);

        pthread_mutex_lock(&w->mu);
        if (req != w->flush_done) {
            w->flush_done = req;
            pthread_cond_broadcast(&w->done);
        }
        if (stopping && !w->head) break;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- the API ---- */

bm_capture_writer *bm_capture_writer_new(const bm_capture_writer_opts *opts, bm_error *err)
{
    bm_capture_writer *w = bm_calloc(1, sizeof(*w));
    if (!w) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return NULL;
    }
    if (opts) w->o = *opts;
    if (!w->o.max_queued_bytes) w->o.max_queued_bytes = 64u << 20;
    if (!w->o.max_file_bytes) w->o.max_file_bytes = 4u << 20;
    if (!w->o.flush_s) w->o.flush_s = 10;
    if (!w->o.max_open) w->o.max_open = 64;
    w->files = bm_calloc(w->o.max_open, sizeof(file));
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, &ca);
    pthread_cond_init(&w->done, NULL);
    pthread_condattr_destroy(&ca);
    if (!w->files) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        bm_capture_writer_free(w);
        return NULL;
    }
    int e = pthread_create(&w->thread, NULL, run, w);
    if (e) {
        bm_error_set(err, BM_EIO, "cannot start the capture writer thread: %s", strerror(e));
        bm_capture_writer_free(w);
        return NULL;
    }
    w->started = 1;
    return w;
}

int bm_capture_writer_put(bm_capture_writer *w, const char *prefix, int64_t at, const char *rec,
                          size_t len)
{
    size_t pl = strlen(prefix);
    pthread_mutex_lock(&w->mu);
    int rc = BM_OK;
    if (w->stopping)
        rc = BM_EINVAL;
    else if (len + 1 > w->o.max_queued_bytes - w->st.queued_bytes ||
             w->st.queued_bytes > w->o.max_queued_bytes)
        rc = BM_ELIMIT;
    else
        w->st.queued_bytes += len + 1; /* reserved before the allocation, given back on failure */
    if (rc) {
        if (rc == BM_ELIMIT)
            w->st.dropped_full++;
        else
            w->st.failed++;
        pthread_mutex_unlock(&w->mu);
        return rc;
    }
    pthread_mutex_unlock(&w->mu);
    node *n =
        len < SIZE_MAX - sizeof(node) - pl - 2 ? bm_malloc(sizeof(node) + len + pl + 2) : NULL;
    pthread_mutex_lock(&w->mu);
    if (!n) {
        w->st.queued_bytes -= len + 1;
        w->st.failed++;
        pthread_mutex_unlock(&w->mu);
        return BM_ENOMEM;
    }
    n->next = NULL;
    n->at = at;
    n->len = len;
    memcpy(n->data, rec, len);
    n->data[len] = 0;
    n->prefix = n->data + len + 1;
    memcpy(n->prefix, prefix, pl + 1);
    if (w->tail)
        w->tail->next = n;
    else
        w->head = n;
    w->tail = n;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    return BM_OK;
}

void bm_capture_writer_flush(bm_capture_writer *w)
{
    if (!w || !w->started) return;
    pthread_mutex_lock(&w->mu);
    uint64_t mine = ++w->flush_req;
    pthread_cond_signal(&w->wake);
    while (w->flush_done < mine && !(w->stopping && !w->started))
        pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

void bm_capture_writer_stats(bm_capture_writer *w, bm_capture_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    *out = w->st;
    pthread_mutex_unlock(&w->mu);
}

void bm_capture_writer_free(bm_capture_writer *w)
{
    if (!w) return;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->stopping = 1;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    for (node *n = w->head, *next; n; n = next) {
        next = n->next;
        bm_free(n);
    }
    for (size_t k = 0; k < w->nfiles; k++) {
        bm_buf_release(&w->files[k].buf);
        bm_free(w->files[k].prefix);
    }
    bm_free(w->files);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->done);
    bm_free(w);
}
