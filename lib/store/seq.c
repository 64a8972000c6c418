/* A sequence of store objects handed out in order while worker threads open the next ones ahead. */
#include <pthread.h>
#include <string.h>
#include "biasmon/store.h"

enum { SLOT_LISTED = 1, SLOT_OPENING, SLOT_READY };

typedef struct slot {
    int state;
    bm_store_item item;
} slot;

struct bm_store_seq {
    bm_store_seq_fn next;
    void *ctx;
    unsigned ahead, nthreads;
    slot *ring; /* ahead slots; [head, tail) are in use, in the generator's order */
    uint64_t head, tail;
    int gen_busy; /* a thread is in the generator */
    int gen_end;  /* the generator said its last word: gen_rc, gen_err */
    int gen_rc;
    bm_error gen_err;
    int stop;
    int locks; /* 1 when mu and the two conditions were made (threads or not) */
    pthread_mutex_t mu;
    pthread_cond_t work;  /* the workers wait here: each change that makes work wakes one */
    pthread_cond_t ready; /* the caller waits here: an object READY, or the generator's end */
    pthread_t th[BM_STORE_SEQ_MAX_AHEAD];
};

/* Opens it->uri into it->reader, or fills it->error. */
static void open_item(bm_store_item *it)
{
    bm_error_clear(&it->error);
    it->reader = bm_store_reader_open(it->uri, &it->error);
    if (!it->reader && !it->error.code) bm_error_set(&it->error, BM_EIO, "cannot open the object");
}

/* A worker: opens the earliest object listed and not opened, else asks the generator for the next
 * URI while fewer than `ahead` objects are held, else waits. */
static void *worker(void *arg)
{
    bm_store_seq *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        slot *todo = NULL;
        for (uint64_t i = s->head; i < s->tail && !todo; i++)
            if (s->ring[i % s->ahead].state == SLOT_LISTED) todo = &s->ring[i % s->ahead];
        if (todo) {
            todo->state = SLOT_OPENING;
            pthread_mutex_unlock(&s->mu);
            open_item(&todo->item); /* the slot is this thread's until it is READY */
            pthread_mutex_lock(&s->mu);
            todo->state = SLOT_READY;
            pthread_cond_signal(&s->ready);
            continue;
        }
        if (!s->gen_end && !s->gen_busy && s->tail - s->head < s->ahead) {
            slot *sl = &s->ring[s->tail % s->ahead];
            s->gen_busy = 1;
            pthread_mutex_unlock(&s->mu);
            bm_error e;
            bm_error_clear(&e);
            sl->item.uri[0] = 0; /* free slots are touched by the generating thread alone */
            int rc = s->next(s->ctx, sl->item.uri, sizeof(sl->item.uri), &e);
            pthread_mutex_lock(&s->mu);
            s->gen_busy = 0;
            if (rc || !sl->item.uri[0]) {
                s->gen_end = 1;
                s->gen_rc = rc;
                s->gen_err = e;
                pthread_cond_signal(&s->ready);
            } else {
                sl->state = SLOT_LISTED;
                s->tail++;
                /* this thread opens what it listed; another may list the next meanwhile */
                pthread_cond_signal(&s->work);
            }
            continue;
        }
        pthread_cond_wait(&s->work, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

bm_store_seq *bm_store_seq_new(bm_store_seq_fn next, void *ctx, unsigned ahead, bm_error *err)
{
    bm_store_seq *s = bm_calloc(1, sizeof(*s));
    if (!s) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return NULL;
    }
    s->next = next;
    s->ctx = ctx;
    s->ahead = ahead > BM_STORE_SEQ_MAX_AHEAD ? BM_STORE_SEQ_MAX_AHEAD : ahead;
    if (!s->ahead) return s;
    if (!(s->ring = bm_calloc(s->ahead, sizeof(*s->ring)))) {
        bm_free(s);
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return NULL;
    }
    if (pthread_mutex_init(&s->mu, NULL)) {
        s->ahead = 0; /* no threads: the caller's thread does everything */
        return s;
    }
    if (pthread_cond_init(&s->work, NULL)) {
        pthread_mutex_destroy(&s->mu);
        s->ahead = 0;
        return s;
    }
    if (pthread_cond_init(&s->ready, NULL)) {
        pthread_cond_destroy(&s->work);
        pthread_mutex_destroy(&s->mu);
        s->ahead = 0;
        return s;
    }
    s->locks = 1;
    for (unsigned k = 0; k < s->ahead; k++) {
        if (pthread_create(&s->th[k], NULL, worker, s)) break;
        s->nthreads++;
    }
    if (!s->nthreads) s->ahead = 0;
    return s;
}

int bm_store_seq_next(bm_store_seq *s, bm_store_item *it, int *done, bm_error *err)
{
    *done = 0;
    it->reader = NULL;
    bm_error_clear(&it->error);
    if (!s->ahead) { /* in the caller's thread */
        if (s->gen_end) {
            if (s->gen_rc) *err = s->gen_err;
            *done = !s->gen_rc;
            return s->gen_rc;
        }
        bm_error e;
        bm_error_clear(&e);
        it->uri[0] = 0;
        int rc = s->next(s->ctx, it->uri, sizeof(it->uri), &e);
        if (rc || !it->uri[0]) {
            s->gen_end = 1;
            s->gen_rc = rc;
            s->gen_err = e;
            return bm_store_seq_next(s, it, done, err);
        }
        open_item(it);
        return BM_OK;
    }
    pthread_mutex_lock(&s->mu);
    while (!(s->head < s->tail && s->ring[s->head % s->ahead].state == SLOT_READY) &&
           !(s->head == s->tail && s->gen_end))
        pthread_cond_wait(&s->ready, &s->mu);
    int rc = BM_OK;
    if (s->head == s->tail) {
        rc = s->gen_rc;
        if (rc) *err = s->gen_err;
        *done = !rc;
    } else {
        slot *sl = &s->ring[s->head % s->ahead];
        *it = sl->item;
        sl->item.reader = NULL;
        sl->state = 0;
        s->head++;
        pthread_cond_signal(&s->work); /* room for one more */
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void bm_store_seq_free(bm_store_seq *s)
{
    if (!s) return;
    if (s->locks) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_broadcast(&s->work);
        pthread_mutex_unlock(&s->mu);
        for (unsigned k = 0; k < s->nthreads; k++)
            pthread_join(s->th[k], NULL);
        pthread_cond_destroy(&s->ready);
        pthread_cond_destroy(&s->work);
        pthread_mutex_destroy(&s->mu);
    }
    for (unsigned k = 0; s->ring && k < s->ahead; k++)
        if (s->ring[k].state == SLOT_READY) bm_store_reader_close(s->ring[k].item.reader);
    bm_free(s->ring);
    bm_free(s);
}
