/* The little-endian binary encoding of the monitor's own files (hour partials, ground-truth
 * summaries: docs/partials.md): u32, u64 and length-prefixed bytes, written into a bm_buf and read
 * back through a bounds-checked cursor. Reading past the end sets cursor.bad and yields zeros or an
 * empty slice, so a decoder checks bad once after a run of reads; nothing here allocates. */
#ifndef BM_MONITOR_WIRE_H
#define BM_MONITOR_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "biasmon/common.h"
#include "internal.h"

/* BM_OK, or nonzero when the buffer cannot grow (its limit or memory). */
static inline int bm__put_u32(bm_buf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return bm_buf_append(b, x, 4);
}

static inline int bm__put_u64(bm_buf *b, uint64_t v)
{
    return bm__put_u32(b, (uint32_t)v) || bm__put_u32(b, (uint32_t)(v >> 32)) ? BM_ELIMIT : BM_OK;
}

/* n bytes after their u32 length; BM_ELIMIT beyond 4 GiB. */
static inline int bm__put_bytes(bm_buf *b, const void *p, size_t n)
{
    if (n > UINT32_MAX) return BM_ELIMIT;
    return bm__put_u32(b, (uint32_t)n) || bm_buf_append(b, p, n) ? BM_ELIMIT : BM_OK;
}

typedef struct bm__cursor {
    const unsigned char *p, *e; /* next byte, end */
    int bad;                    /* set by the first read past e; sticky */
} bm__cursor;

static inline uint32_t bm__get_u32(bm__cursor *c)
{
    if (c->bad || c->e - c->p < 4) {
        c->bad = 1;
        return 0;
    }
    uint32_t v = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 |
                 (uint32_t)c->p[3] << 24;
    c->p += 4;
    return v;
}

static inline uint64_t bm__get_u64(bm__cursor *c)
{
    uint64_t lo = bm__get_u32(c);
    return lo | (uint64_t)bm__get_u32(c) << 32;
}

/* The bytes after a u32 length, borrowed from the cursor's memory. */
static inline bm_slice bm__get_bytes(bm__cursor *c)
{
    uint32_t n = bm__get_u32(c);
    bm_slice s = {"", 0};
    if (c->bad || (size_t)(c->e - c->p) < n) {
        c->bad = 1;
        return s;
    }
    s.p = (const char *)c->p;
    s.n = n;
    c->p += n;
    return s;
}

#endif
