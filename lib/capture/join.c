/* The ground-truth table: an open-addressing index over compact entries and one byte arena. */
#include <string.h>
#include "join.h"

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t k = 0; k < n; k++) h = (h ^ (unsigned char)s[k]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 29);
}

void bm__gt_init(bm__gt_table *t, size_t max_entries)
{
    memset(t, 0, sizeof(*t));
    t->max = max_entries;
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

static int rehash(bm__gt_table *t, size_t nslots)
{
    uint64_t *s = bm_calloc(nslots, sizeof(uint64_t));
    if (!s) return BM_ENOMEM;
    for (size_t i = 0; i < t->n; i++) {
        size_t k = t->ents[i].hash & (nslots - 1);
        while (s[k]) k = (k + 1) & (nslots - 1);
        s[k] = SLOT(i, t->ents[i].hash);
    }
    bm_free(t->slots);
    t->slots = s;
    t->nslots = nslots;
    return BM_OK;
}

static bm__gt_entry *lookup(bm__gt_table *t, bm_slice id, uint64_t h, size_t *slot)
{
    if (!t->nslots) return NULL;
    size_t k = h & (t->nslots - 1);
    uint32_t tag = (uint32_t)(h >> 32);
    while (t->slots[k]) {
        if (SLOT_TAG(t->slots[k]) != tag) {
            k = (k + 1) & (t->nslots - 1);
            continue;
        }
        bm__gt_entry *e = &t->ents[SLOT_INDEX(t->slots[k])];
        if (e->hash == h && e->idlen == id.n && memcmp(t->arena + e->off, id.p, id.n) == 0) {
            if (slot) *slot = k;
            return e;
        }
        k = (k + 1) & (t->nslots - 1);
    }
    if (slot) *slot = k;
    return NULL;
}

bm__gt_entry *bm__gt_get(bm__gt_table *t, bm_slice id)
{
    return lookup(t, id, hash_bytes(id.p, id.n), NULL);
}

static int arena_put(bm__gt_table *t, bm_slice a, bm_slice b, uint32_t *off)
{
    size_t need = a.n + b.n;
    if (t->alen + need > UINT32_MAX) return BM_ELIMIT;
    if (t->alen + need > t->acap) {
        size_t nc = t->acap ? t->acap : 1u << 16;
        while (nc < t->alen + need) nc *= 2;
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
    if (id.n > UINT32_MAX / 2 || data.n > UINT32_MAX / 2) return BM_ELIMIT;
    uint64_t h = hash_bytes(id.p, id.n);
    size_t slot = 0;
    bm__gt_entry *e = lookup(t, id, h, &slot);
    uint32_t off;
    int r = arena_put(t, id, data, &off);
    if (r) return r;
    if (e) { /* a later upload of the same id replaces the label (old bytes stay in the arena) */
        t->duplicates++;
        e->off = off;
        e->datalen = (uint32_t)data.n;
        e->encoding = (uint8_t)encoding;
        e->json = (uint8_t)json;
        return BM_OK;
    }
    if (t->n >= t->max) return BM_ELIMIT;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 1024;
        bm__gt_entry *ne = bm_reallocarray(t->ents, nc, sizeof(*ne));
        if (!ne) return BM_ENOMEM;
        t->ents = ne;
        t->cap = nc;
    }
    if ((t->n + 1) * 2 > t->nslots) {
        if (rehash(t, t->nslots ? t->nslots * 2 : 2048)) return BM_ENOMEM;
        lookup(t, id, h, &slot);
    }
    e = &t->ents[t->n];
    e->hash = h;
    e->off = off;
    e->idlen = (uint32_t)id.n;
    e->datalen = (uint32_t)data.n;
    e->encoding = (uint8_t)encoding;
    e->json = (uint8_t)json;
    e->matched = 0;
    t->slots[slot] = SLOT(t->n, h);
    t->n++;
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
    size_t want = 2048;
    while (want < entries * 2) want *= 2;
    if (want > t->nslots && rehash(t, want)) return BM_ENOMEM;
    if (bytes > t->acap && bytes < UINT32_MAX) {
        char *na = bm_realloc(t->arena, bytes);
        if (!na) return BM_ENOMEM;
        t->arena = na;
        t->acap = bytes;
    }
    return BM_OK;
}
