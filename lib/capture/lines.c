/* A bounded line reader over a storage object. */
#include <string.h>
#include "biasmon/capture_lines.h"

int bm__lines_take(bm__lines *l, bm_store_reader *r, size_t max, bm_error *err)
{
    memset(l, 0, sizeof(*l));
    l->max = max;
    /* an object already whole in memory (S3) becomes the buffer itself: no copy, no refill */
    size_t len;
    char *all = bm_store_reader_take_all(r, &len);
    if (all) {
        l->buf = all;
        l->len = len;
        l->cap = len + 1;
        l->eof = 1;
        l->r = r;
        return BM_OK;
    }
    l->cap = 1u << 20;
    if (l->cap > max + 1) l->cap = max + 1;
    l->buf = bm_malloc(l->cap);
    if (!l->buf) {
        bm_store_reader_close(r);
        return bm_error_set(err, BM_ENOMEM, "out of memory");
    }
    l->r = r;
    return BM_OK;
}

int bm__lines_open(bm__lines *l, const char *uri, size_t max, bm_error *err)
{
    memset(l, 0, sizeof(*l));
    bm_store_reader *r = bm_store_reader_open(uri, err);
    if (!r) return err->code ? err->code : BM_EIO;
    return bm__lines_take(l, r, max, err);
}

/* Reads more after the l->len bytes held. */
static int fill(bm__lines *l, bm_error *err)
{
    long n = bm_store_reader_read(l->r, l->buf + l->len, l->cap - l->len, err);
    if (n < 0) return err->code ? err->code : BM_EIO;
    if (n == 0) l->eof = 1;
    l->len += (size_t)n;
    return BM_OK;
}

int bm__lines_next(bm__lines *l, bm_slice *line, int *done, bm_error *err)
{
    *done = 0;
    int rc;
    while (l->skip) { /* the rest of a line that was too long is dropped, up to its '\n' */
        const char *nl = l->pos < l->len ? memchr(l->buf + l->pos, '\n', l->len - l->pos) : NULL;
        if (nl) {
            l->pos = (size_t)(nl - l->buf) + 1;
            l->skip = 0;
            break;
        }
        l->pos = l->len = 0;
        if (l->eof) {
            l->skip = 0;
            break;
        }
        if ((rc = fill(l, err))) return rc;
    }
    for (;;) {
        const char *nl = l->nl             ? l->nl
                         : l->pos < l->len ? memchr(l->buf + l->pos, '\n', l->len - l->pos)
                                           : NULL;
        l->nl = NULL;
        if (nl || (l->eof && l->pos < l->len)) {
            size_t end = nl ? (size_t)(nl - l->buf) : l->len;
            if (end - l->pos > l->max) { /* only in a buffer taken whole: refused as in fill's */
                l->pos = nl ? end + 1 : end;
                l->line++;
                bm_error_at(err, NULL, l->line, 0, NULL);
                return bm_error_set(err, BM_ELIMIT, "line longer than %zu bytes", l->max);
            }
            line->p = l->buf + l->pos;
            line->n = end - l->pos;
            if (line->n && line->p[line->n - 1] == '\r') line->n--;
            l->pos = nl ? end + 1 : end;
            l->line++;
            return BM_OK;
        }
        if (l->eof) {
            *done = 1;
            return BM_OK;
        }
        /* keep the partial line, refill */
        if (l->pos) {
            memmove(l->buf, l->buf + l->pos, l->len - l->pos);
            l->len -= l->pos;
            l->pos = 0;
        }
        if (l->len == l->cap) {
            if (l->cap > l->max) { /* this line is an error; the next call goes on after it */
                l->line++;
                l->skip = 1;
                l->pos = l->len = 0;
                bm_error_at(err, NULL, l->line, 0, NULL);
                return bm_error_set(err, BM_ELIMIT, "line longer than %zu bytes", l->max);
            }
            size_t nc = l->cap * 2 > l->max + 1 ? l->max + 1 : l->cap * 2;
            char *nb = bm_realloc(l->buf, nc);
            if (!nb) return bm_error_set(err, BM_ENOMEM, "out of memory");
            l->buf = nb;
            l->cap = nc;
        }
        if ((rc = fill(l, err))) return rc;
    }
}

int bm__lines_ready(bm__lines *l)
{
    if (l->skip) return 0;
    if (!l->nl && l->pos < l->len) l->nl = memchr(l->buf + l->pos, '\n', l->len - l->pos);
    return l->nl || l->eof;
}

void bm__lines_close(bm__lines *l)
{
    bm_store_reader_close(l->r);
    bm_free(l->buf);
    memset(l, 0, sizeof(*l));
}
