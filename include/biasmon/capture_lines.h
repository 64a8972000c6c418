/* A bounded line reader over a storage object.
 * Part of the capture row source's interface to lib/monitor/, which runs it (and to the tests);
 * the bm__ names mark it as not meant for programs using the library. Not thread-safe: one
 * object per thread. */
#ifndef BIASMON_CAPTURE_LINES_H
#define BIASMON_CAPTURE_LINES_H

#include "biasmon/store.h"

typedef struct bm__lines {
    bm_store_reader *r;
    char *buf;
    size_t cap, len, pos, max;
    int eof;
    int skip;       /* dropping the rest of a line that was too long */
    const char *nl; /* the next line's '\n' when bm__lines_ready found it, else NULL */
    long line;      /* 1-based number of the line last returned */
} bm__lines;

/* Opens uri; a line longer than max bytes is an error (BM_ELIMIT, err->line its number) and
 * the next call goes on with the line after it. */
int bm__lines_open(bm__lines *l, const char *uri, size_t max, bm_error *err);
/* The same over a reader already open (a sequence's object), which l now owns: closed by
 * bm__lines_close, or here when memory runs out. */
int bm__lines_take(bm__lines *l, bm_store_reader *r, size_t max, bm_error *err);
/* Next line without its '\n' (and '\r'); *done = 1 at the end. The slice lives until a call
 * that has to read more: while bm__lines_ready says 1, the lines returned so far stay valid. */
int bm__lines_next(bm__lines *l, bm_slice *line, int *done, bm_error *err);
/* 1 when the next bm__lines_next answers from the buffer (a whole line, or the end) without
 * reading, so it moves nothing; 0 when it will read (and may move earlier lines). */
int bm__lines_ready(bm__lines *l);
void bm__lines_close(bm__lines *l);

#endif
