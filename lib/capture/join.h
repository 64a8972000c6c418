/* The ground-truth table: labels by id, waiting for their capture records. */
#ifndef BIASMON_CAPTURE_JOIN_H
#define BIASMON_CAPTURE_JOIN_H

#include <stdint.h>
#include "biasmon/common.h"

/* About 24 bytes of entry, 16 of index (8-byte slots at most half full) and the id and label
 * bytes per pending id. */
typedef struct bm__gt_entry {
    uint64_t hash;
    uint32_t off;     /* id, then data, in the arena */
    uint32_t idlen;
    uint32_t datalen;
    uint8_t encoding; /* BM__ENC_* */
    uint8_t json;     /* content type says JSON */
    uint8_t matched;
} bm__gt_entry;

enum { BM__ENC_CSV, BM__ENC_JSON, BM__ENC_BASE64, BM__ENC_OTHER };

typedef struct bm__gt_table {
    bm__gt_entry *ents;
    size_t n, cap, max;
    uint64_t *slots; /* entry index + 1, and a hash tag */
    size_t nslots;
    char *arena;
    size_t alen, acap;
    uint64_t duplicates;
} bm__gt_table;

void bm__gt_init(bm__gt_table *t, size_t max_entries);
void bm__gt_release(bm__gt_table *t);
/* Sizes the table for about `entries` ids and `bytes` of ids and labels (an estimate: growing
 * past it stays possible). */
int bm__gt_reserve(bm__gt_table *t, size_t entries, size_t bytes) BM_MUST_CHECK;
/* Adds (or replaces: a later upload wins) the label data of id. BM_ELIMIT beyond max entries. */
int bm__gt_put(bm__gt_table *t, bm_slice id, bm_slice data, int encoding, int json) BM_MUST_CHECK;
bm__gt_entry *bm__gt_get(bm__gt_table *t, bm_slice id);
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
