/* Status codes, error records, the allocator wrapper and byte slices shared by every module. */
#ifndef BIASMON_COMMON_H
#define BIASMON_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#if defined(__GNUC__)
#define BM_MUST_CHECK __attribute__((warn_unused_result))
#define BM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define BM_MUST_CHECK
#define BM_PRINTF(a, b)
#endif

/* One status enum for the library. Values are stable. */
typedef enum bm_status {
    BM_OK = 0,
    BM_ENOMEM = 1,    /* an allocation failed */
    BM_EIO = 2,       /* reading or writing a file failed */
    BM_EPARSE = 3,    /* malformed input (CSV, JSON, expression) */
    BM_ECONFIG = 4,   /* input is well formed but not a valid configuration */
    BM_ELIMIT = 5,    /* a configured bound was exceeded */
    BM_EDATA = 6,     /* the data cannot be used as configured */
    BM_EINVAL = 7,    /* bad argument from the caller */
    BM_EINTERNAL = 8, /* a bug */
    BM_ENOTFOUND = 9, /* a named thing does not exist */
    BM_EEXISTS = 10,  /* a named thing already exists */
    BM_EBUSY = 11,    /* the thing is in use (e.g. a job definition referenced by a schedule) */
    BM_EACCESS = 12,  /* outside what this process may touch (the store's allowed roots) */
} bm_status;

/* Returns a static description of a status code; never NULL. */
const char *bm_strerror(int status);

/* An error record filled by parsers and the engine. The library never prints;
 * callers render it as "file:line:col: message" (or as an API error body). */
typedef struct bm_error {
    int code;       /* a bm_status */
    char msg[512];  /* human text, always NUL-terminated */
    char file[256]; /* input file name, "" when not applicable */
    long line;      /* 1-based line, 0 when not applicable */
    long col;       /* 1-based column (CSV: field number), 0 when not applicable */
    char path[256]; /* JSON path such as "$.facet[0].name_or_index", "" when not applicable */
} bm_error;

/* Text for a human that does not fit its buffer is shortened visibly, never silently:
 * bm_fmt_fit formats like snprintf into dst (n > 0 bytes, always NUL-terminated) and, when the
 * text is longer, ends it in "..." (cut on a UTF-8 character boundary). Returns 1 when it cut,
 * 0 when the whole text fits, -1 on a format error (dst is then ""). For messages only: a path,
 * URI or key that is used, not just shown, must never be cut (check snprintf's return and fail). */
int bm_fmt_fit(char *dst, size_t n, const char *fmt, ...) BM_PRINTF(3, 4);
int bm_vfmt_fit(char *dst, size_t n, const char *fmt, va_list ap) BM_PRINTF(3, 0);

/* Clears an error record (code BM_OK, empty strings). NULL is allowed. */
void bm_error_clear(bm_error *e);
/* Sets code and formatted message (a message longer than msg ends in "..."); keeps
 * file/line/col/path. Returns code. NULL e is allowed. */
int bm_error_set(bm_error *e, int code, const char *fmt, ...) BM_PRINTF(3, 4);
/* Sets the location fields; file or path may be NULL to leave them unchanged. A file name or
 * JSON path longer than its field keeps its end (the most specific part) after a leading "...". */
void bm_error_at(bm_error *e, const char *file, long line, long col, const char *path);
/* Writes "file:line:col: [path: ]message" into out (always NUL-terminated; ends in "..." when
 * out is too small). */
void bm_error_format(const bm_error *e, char *out, size_t outlen);

/* jansson parse errors, described without quoting the input (jansson's text ends in
 * "near '<the bytes read>'", which would echo a file's content into API answers and terminals).
 * bm_json_error sets err to BM_EPARSE "invalid JSON: <what>" with file (may be NULL), line and
 * column, or BM_ENOMEM; returns the code. bm_json_error_what returns the description (buf, of n
 * bytes, may hold it). */
struct json_error_t;
int bm_json_error(bm_error *err, const char *file, const struct json_error_t *je);
const char *bm_json_error_what(const struct json_error_t *je, char *buf, size_t n);

/* ---- allocation: every allocation goes through these so tests can fail the Nth one ---- */
void *bm_malloc(size_t n);
void *bm_calloc(size_t count, size_t size);
void *bm_realloc(void *p, size_t n);
/* Like realloc for an array of count elements of size each; fails (NULL, p untouched) on overflow.
 */
void *bm_reallocarray(void *p, size_t count, size_t size);
char *bm_strndup(const char *s, size_t n);
char *bm_strdup(const char *s);
void bm_free(void *p);
/* A hint, never an error: the n bytes at p are a large array read at random (a hash index), so
 * back them with transparent huge pages where the system allows it (fewer TLB misses). */
void bm_advise_random_access(void *p, size_t n);
/* Test hook: the Nth allocation from now (1-based) and every later one fail; 0 disables. */
void bm_alloc_fail_after(long n);

/* A read-only byte range; not NUL-terminated. */
typedef struct bm_slice {
    const char *p;
    size_t n;
} bm_slice;

/* ---- growable byte buffer with a hard maximum ---- */
typedef struct bm_buf {
    char *data; /* NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
    size_t max; /* appends that would exceed this fail with BM_ELIMIT */
} bm_buf;

void bm_buf_init(bm_buf *b, size_t max);
void bm_buf_release(bm_buf *b);
void bm_buf_reset(bm_buf *b);
int bm_buf_append(bm_buf *b, const void *p, size_t n) BM_MUST_CHECK;
int bm_buf_puts(bm_buf *b, const char *s) BM_MUST_CHECK;
int bm_buf_putc(bm_buf *b, char c) BM_MUST_CHECK;
int bm_buf_printf(bm_buf *b, const char *fmt, ...) BM_PRINTF(2, 3) BM_MUST_CHECK;
/* Makes room for extra more bytes (and the NUL) in one allocation, so that appends up to that
 * size neither reallocate nor copy; BM_ELIMIT past max (nothing changes), BM_ENOMEM. */
int bm_buf_reserve(bm_buf *b, size_t extra) BM_MUST_CHECK;
/* Hands the data over to the caller (who frees it with bm_free) and resets b. */
char *bm_buf_take(bm_buf *b, size_t *len);

#endif
