/* The ground-truth table: entries and bytes in arrival order, and an open-addressing index
 * built over them in batches. */
#include <string.h>
#include "biasmon/capture_join.h"

/* How many entries ahead the index build prefetches their slots. */
#define PREFETCH_AHEAD 16

/* Eight bytes at a time (ids are 20 to 40 bytes in practice), then a final avalanche. */
uint64_t bm__gt_hash(bm_slice id)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)id.n * 0xc2b2ae3d27d4eb4fULL);
    size_t k = 0;
    for (; k + 8 <= id.n; k += 8) {
        uint64_t w;
        memcpy(&w, id.p + k, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    if (k < id.n) {
        uint64_t w = 0;
        memcpy(&w, id.p + k, id.n - k);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 29);
}

void bm__gt_init(bm__gt_table *t, size_t max_entries)
{
    memset(t, 0, sizeof(*t));
    t->max = max_entries < UINT32_MAX - 1 ? max_entries : UINT32_MAX - 2;
}

void bm__gt_release(bm__gt_table *t)
{
    bm_free(t->ents);
    bm_free(t->slots);
    bm_free(t->arena);
    memset(t, 0, sizeof(*t));
}

/* A slot: the entry's index + 1 in the low half, the top of its hash in the high half, so
 * probes that do not match are rejected without touching the entry. */
#define SLOT(i, h) (((uint64_t)((h) >> 32) << 32) | (uint64_t)((uint32_t)(i) + 1))
#define SLOT_INDEX(s) ((uint32_t)(s)-1)
#define SLOT_TAG(s) ((uint32_t)((s) >> 32))

static int same_id(const bm__gt_table *t, const bm__gt_entry *e, bm_slice id, uint64_t h)
{
    return e->hash == h && e->idlen == id.n && memcmp(t->arena + e->off, id.p, id.n) == 0;
}

bm__gt_entry *bm__gt_find(const bm__gt_table *t, bm_slice id, uint64_t h)
{
    if (!t->nslots) return NULL;
    size_t mask = t->nslots - 1, k = h & mask;
    uint32_t tag = (uint32_t)(h >> 32);
    for (uint64_t s; (s = t->slots[k]) != 0; k = (k + 1) & mask) {
        if (SLOT_TAG(s) != tag) continue;
        bm__gt_entry *e = &t->ents[SLOT_INDEX(s)];
        if (same_id(t, e, id, h)) return e;
    }
    return NULL;
}

/* Puts entry i into slots; an entry of the same id already there is superseded by it. */
static void index_one(bm__gt_table *t, uint64_t *slots, size_t mask, size_t i)
{
    bm__gt_entry *e = &t->ents[i];
    bm_slice id = bm__gt_id(t, e);
    size_t k = e->hash & mask;
    uint32_t tag = (uint32_t)(e->hash >> 32);
    for (uint64_t s; (s = slots[k]) != 0; k = (k + 1) & mask) {
        if (SLOT_TAG(s) != tag) continue;
        bm__gt_entry *old = &t->ents[SLOT_INDEX(s)];
        if (same_id(t, old, id, e->hash)) {
            old->superseded = 1;
            t->duplicates++;
            break;
        }
    }
    slots[k] = SLOT(i, e->hash);
}

/* Indexes ents[from .. n) into slots, prefetching the slots of the entries a little ahead:
 * the hashes are already in the entries, so the random accesses overlap instead of queueing. */
static void index_range(bm__gt_table *t, uint64_t *slots, size_t mask, size_t from)
{
    for (size_t i = from; i < t->n; i++) {
        if (i + PREFETCH_AHEAD < t->n)
            __builtin_prefetch(&slots[t->ents[i + PREFETCH_AHEAD].hash & mask], 1);
        if (!t->ents[i].superseded) index_one(t, slots, mask, i);
    }
}

int bm__gt_index(bm__gt_table *t)
{
    size_t want = t->nslots ? t->nslots : 2048;
    while (want < t->n * 2)
        want *= 2;
    if (want != t->nslots) { /* a new index over every entry (superseded ones stay out) */
        uint64_t *s = bm_calloc(want, sizeof(uint64_t));
        if (!s) return BM_ENOMEM;
        bm_advise_random_access(s, want * sizeof(uint64_t));
        index_range(t, s, want - 1, 0);
        bm_free(t->slots);
        t->slots = s;
        t->nslots = want;
    } else {
        index_range(t, t->slots, want - 1, t->indexed);
    }
    t->indexed = t->n;
    return BM_OK;
}

static int arena_put(bm__gt_table *t, bm_slice a, bm_slice b, uint32_t *off)
{
    size_t need = a.n + b.n;
    if (t->alen + need > UINT32_MAX) return BM_ELIMIT;
    if (t->alen + need > t->acap) {
        size_t nc = t->acap ? t->acap : 1u << 16;
        while (nc < t->alen + need)
            nc *= 2;
        if (nc > UINT32_MAX) nc = UINT32_MAX;
        char *na = bm_realloc(t->arena, nc);
        if (!na) return BM_ENOMEM;
        t->arena = na;
        t->acap = nc;
    }
    *off = (uint32_t)t->alen;
    memcpy(t->arena + t->alen, a.p, a.n);
    if (b.n) memcpy(t->arena + t->alen + a.n, b.p, b.n);
    t->alen += need;
    return BM_OK;
}

int bm__gt_put(bm__gt_table *t, bm_slice id, bm_slice data, int encoding, int json)
{
    if (id.n > UINT32_MAX / 2 || data.n > UINT32_MAX / 2 || t->n >= t->max) return BM_ELIMIT;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 1024;
        bm__gt_entry *ne = bm_reallocarray(t->ents, nc, sizeof(*ne));
        if (!ne) return BM_ENOMEM;
        t->ents = ne;
        t->cap = nc;
    }
    uint32_t off;
    int r = arena_put(t, id, data, &off);
    if (r) return r;
    bm__gt_entry *e = &t->ents[t->n++];
    memset(e, 0, sizeof(*e));
    e->hash = bm__gt_hash(id);
    e->off = off;
    e->idlen = (uint32_t)id.n;
    e->datalen = (uint32_t)data.n;
    e->encoding = (unsigned)encoding & 3u;
    e->json = json ? 1u : 0u;
    return BM_OK;
}

int bm__gt_reserve(bm__gt_table *t, size_t entries, size_t bytes)
{
    if (entries > t->max) entries = t->max;
    if (entries > t->cap) {
        bm__gt_entry *ne = bm_reallocarray(t->ents, entries, sizeof(*ne));
        if (!ne) return BM_ENOMEM;
        t->ents = ne;
        t->cap = entries;
    }
    if (bytes > t->acap && bytes < UINT32_MAX) {
        char *na = bm_realloc(t->arena, bytes);
        if (!na) return BM_ENOMEM;
        t->arena = na;
        t->acap = bytes;
    }
    return BM_OK;
}
