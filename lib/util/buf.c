/* Growable byte buffer with a hard maximum. */
#include <stdio.h>
#include <string.h>
#include "biasmon/common.h"

void bm_buf_init(bm_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void bm_buf_release(bm_buf *b)
{
    bm_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void bm_buf_reset(bm_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

static int reserve(bm_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra) return BM_ELIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return BM_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1) cap = b->max + 1;
    char *p = bm_realloc(b->data, cap);
    if (!p) return BM_ENOMEM;
    b->data = p;
    b->cap = cap;
    return BM_OK;
}

int bm_buf_reserve(bm_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra) return BM_ELIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return BM_OK;
    char *p = bm_realloc(b->data, need);
    if (!p) return BM_ENOMEM;
    b->data = p;
    b->cap = need;
    return BM_OK;
}

int bm_buf_append(bm_buf *b, const void *p, size_t n)
{
    int r = reserve(b, n);
    if (r) return r;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return BM_OK;
}

int bm_buf_puts(bm_buf *b, const char *s)
{
    return bm_buf_append(b, s, strlen(s));
}

int bm_buf_putc(bm_buf *b, char c)
{
    return bm_buf_append(b, &c, 1);
}

int bm_buf_printf(bm_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) return BM_EINTERNAL;
    if ((size_t)n < sizeof(small)) return bm_buf_append(b, small, (size_t)n);
    int r = reserve(b, (size_t)n);
    if (r) return r;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return BM_OK;
}

char *bm_buf_take(bm_buf *b, size_t *len)
{
    char *d = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
