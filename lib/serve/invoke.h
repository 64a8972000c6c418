/* biasmon serve's invocation engine (internal): calls to model servers on one thread driving a
 * libcurl multi handle, so that no HTTP server thread ever waits for a model server. */
#ifndef BIASMON_SERVE_INVOKE_H
#define BIASMON_SERVE_INVOKE_H

#include <stddef.h>
#include <curl/curl.h>
#include "biasmon/common.h"

typedef struct bm__invoker bm__invoker;

typedef struct bm__invoker_opts {
    unsigned max_inflight;    /* calls admitted at once, all keys together (>= 1) */
    unsigned max_per_key;     /* calls admitted at once for one key (an endpoint; >= 1) */
    unsigned timeout_s;       /* a whole call, connection included (>= 1) */
    unsigned connect_timeout; /* seconds to connect (>= 1) */
    size_t max_response;      /* response bodies larger than this fail the call */
} bm__invoker_opts;

/* One call to a model server. The caller fills the "in" members, the engine the "out" ones, and
 * calls done on its own thread once; done owns the call from then on (frees it). */
typedef struct bm__upcall bm__upcall;
typedef void (*bm__upcall_done)(bm__upcall *c);
struct bm__upcall {
    /* in */
    const char *url;            /* lives until done */
    struct curl_slist *headers; /* request headers, owned by the caller (lives until done) */
    const char *body;           /* lives until done */
    size_t body_len;
    char key[64]; /* the key it was admitted under (bm__invoker_admit) */
    bm__upcall_done done;
    /* out */
    long status;     /* the model server's HTTP status; 0 when there is none (why says) */
    int cancelled;   /* 1: not made or cut off because the engine stopped */
    char why[300];   /* when status is 0 */
    bm_buf body_out; /* the response body (done takes or releases it) */
    char content_type[257];
    char custom[1025]; /* its X-Amzn-SageMaker-Custom-Attributes, "" when none */
    /* the engine's */
    CURL *h;
    int too_big;
    bm__upcall *prev, *next;
};

/* Starts the engine's thread. NULL with err set on failure. */
bm__invoker *bm__invoker_start(const bm__invoker_opts *o, bm_error *err);

/* Admits one call under key (an endpoint's name, at most 63 bytes): BM_OK (then exactly one
 * bm__invoker_submit or bm__invoker_release must follow), BM_ELIMIT when the key has max_per_key
 * calls admitted, BM_EBUSY when all keys together have max_inflight, BM_EINVAL once the engine
 * stops. Never blocks for long (one mutex). Safe from any thread. */
int bm__invoker_admit(bm__invoker *v, const char *key) BM_MUST_CHECK;
/* Gives back an admission that is not used (its call could not be built). */
void bm__invoker_release(bm__invoker *v, const char *key);
/* Hands an admitted call to the engine (c->key is its key; the out members are set here). Never
 * blocks for long; c->done is called later on the engine's thread, or at once on this one when
 * the engine has stopped. Safe from any thread. */
void bm__invoker_submit(bm__invoker *v, bm__upcall *c);

/* Calls admitted now (made or waiting to be made). */
unsigned bm__invoker_inflight(bm__invoker *v);

/* Refuses new admissions, gives the calls in flight up to grace_s seconds to end, then cuts the
 * others off (done with cancelled = 1) and ends the thread. Idempotent; NULL is a no-op. */
void bm__invoker_stop(bm__invoker *v, unsigned grace_s);
/* Stops (without grace) if not done yet, then frees. NULL is a no-op. */
void bm__invoker_free(bm__invoker *v);

#endif
