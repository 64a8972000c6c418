/* The ground-truth table: labels by id, waiting for their capture records.
 *
 * Two phases, so that neither has to wait on memory at random for every record: puts append
 * entries and bytes in arrival order (sequential writes), bm__gt_index then builds the hash
 * index over the new entries in one pass that prefetches ahead, and lookups take a hash the
 * caller computed early (bm__gt_hash) and may prefetch (bm__gt_prefetch) while it does other
 * work. A lookup sees only entries added before the last bm__gt_index.
 * Part of the capture row source's interface to lib/monitor/, which runs it (and to the tests);
 * the bm__ names mark it as not meant for programs using the library. Not thread-safe: one
 * object per thread. */
#ifndef BIASMON_CAPTURE_JOIN_H
#define BIASMON_CAPTURE_JOIN_H

#include <stdint.h>
#include "biasmon/common.h"

/* Per pending id: a 24-byte entry, 16 to 32 bytes of index (8-byte slots, a power of two at most
 * half full) and the id and label bytes. */
typedef struct bm__gt_entry {
    uint64_t hash;
    uint32_t off; /* id, then data, in the arena */
    uint32_t idlen;
    uint32_t datalen;
    uint32_t encoding : 2;   /* BM__ENC_* */
    uint32_t json : 1;       /* content type says JSON */
    uint32_t matched : 1;    /* a capture record joined it */
    uint32_t superseded : 1; /* a later upload of the same id replaced it: not a pending id */
    uint32_t event_tag : 27; /* when matched: bm__gt_event_tag of the eventId that joined first */
} bm__gt_entry;

/* 27 bits of an eventId's hash: a capture record that joins an entry already joined by the same
 * tag is the same invocation delivered twice. Two distinct invocations that reuse one
 * inferenceId share a tag with probability 2^-27; the second would then be taken for a copy. */
static inline uint32_t bm__gt_event_tag(uint64_t event_hash)
{
    return (uint32_t)(event_hash >> 37);
}

enum { BM__ENC_CSV, BM__ENC_JSON, BM__ENC_BASE64, BM__ENC_OTHER };

typedef struct bm__gt_table {
    bm__gt_entry *ents; /* in arrival order */
    size_t n, cap, max;
    size_t indexed;  /* ents[0 .. indexed) are in the index */
    uint64_t *slots; /* entry index + 1, and a hash tag; 0 = empty */
    size_t nslots;
    char *arena;
    size_t alen, acap;
    uint64_t duplicates; /* uploads that replaced an earlier one of the same id (counted by
                            bm__gt_index) */
} bm__gt_table;

void bm__gt_init(bm__gt_table *t, size_t max_entries);
void bm__gt_release(bm__gt_table *t);
/* Sizes the table for about `entries` ids and `bytes` of ids and labels (an estimate: growing
 * past it stays possible). */
int bm__gt_reserve(bm__gt_table *t, size_t entries, size_t bytes) BM_MUST_CHECK;
/* Appends the label data of id. BM_ELIMIT beyond max entries (an upload that a later one of the
 * same id replaces counts until it is dropped at the end of the execution), BM_ENOMEM. */
int bm__gt_put(bm__gt_table *t, bm_slice id, bm_slice data, int encoding, int json) BM_MUST_CHECK;
/* Indexes the entries put since the last call. Of several uploads of one id the last one wins:
 * the earlier ones are marked superseded and counted in duplicates. BM_ENOMEM leaves the table
 * as it was. */
int bm__gt_index(bm__gt_table *t) BM_MUST_CHECK;
uint64_t bm__gt_hash(bm_slice id);
/* A hint: the lookup of hash h is coming; start loading its slot. */
static inline void bm__gt_prefetch(const bm__gt_table *t, uint64_t h)
{
    if (t->nslots) __builtin_prefetch(&t->slots[h & (t->nslots - 1)]);
}
/* The current entry of id (h = bm__gt_hash(id)), NULL when there is none. */
bm__gt_entry *bm__gt_find(const bm__gt_table *t, bm_slice id, uint64_t h);
static inline bm_slice bm__gt_id(const bm__gt_table *t, const bm__gt_entry *e)
{
    bm_slice s = {t->arena + e->off, e->idlen};
    return s;
}
static inline bm_slice bm__gt_data(const bm__gt_table *t, const bm__gt_entry *e)
{
    bm_slice s = {t->arena + e->off + e->idlen, e->datalen};
    return s;
}

#endif
