/* Streaming RFC 4180 CSV tokenizer: one bounded read buffer, fields are slices into it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "biasmon/csv.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define INITIAL_FIELDS 32
#define MIN_READ ((size_t)64 << 10) /* smallest read once the range limit is reached */

/* Internal result of parse_record: the window ends inside the record and more input may exist. */
#define REC_MORE (-1)

struct bm_csv {
    int fd;          /* -1 for a memory block */
    char *own;       /* file mode: the read buffer (cap bytes); NULL for a memory block */
    const char *buf; /* the bytes in memory: own, or the caller's block */
    size_t cap;      /* capacity of own */
    size_t pos;      /* cursor: where the next record (or empty line) starts */
    size_t end;      /* bytes of buf that hold input */
    off_t buf_off;   /* input offset of buf[0] */
    off_t limit;     /* records must start before this; < 0 means no limit */
    int eof;         /* nothing follows buf[end - 1] */
    long lines;      /* physical lines consumed */
    size_t max_record;
    size_t max_fields;
    bm_slice *fields; /* fcap slots */
    uint8_t *quoted;  /* fcap slots */
    size_t fcap;
    char *scratch; /* unescaped quoted fields; scratch_cap bytes, allocated on first "" */
    size_t scratch_cap;
    int status;   /* sticky error, BM_OK while usable */
    bm_error err; /* the sticky error's details */
    int has_name;
    char name[256];
};

/* What parse_record found. */
struct parsed {
    size_t nfields;
    long newlines;    /* line breaks inside quoted fields */
    const char *next; /* first byte after the record's line break */
};

/* ---- errors ---- */

static int fail(bm_csv *c, int code, long line, long col, const char *fmt, ...) BM_PRINTF(5, 6);

/* Records a sticky error in c; returns code. */
static int fail(bm_csv *c, int code, long line, long col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err.msg, sizeof(c->err.msg), fmt, ap);
    va_end(ap);
    c->err.code = code;
    c->err.line = line;
    c->err.col = col;
    c->status = code;
    return code;
}

/* Copies the sticky error into err (keeping err->file when the tokenizer has no name). */
static int report(const bm_csv *c, bm_error *err)
{
    bm_error_set(err, c->status, "%s", c->err.msg);
    bm_error_at(err, c->has_name ? c->name : NULL, c->err.line, c->err.col, NULL);
    return c->status;
}

static void describe_errno(char *out, size_t n, int e)
{
    if (strerror_r(e, out, n) != 0) snprintf(out, n, "errno %d", e);
}

/* ---- scanning ---- */

/* First ',' or '\n' in [p, e), or e. */
static inline const char *find_sep(const char *p, const char *e)
{
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), nl = _mm_set1_epi8('\n');
    while (e - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, nl)));
        if (m) return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < e && *p != ',' && *p != '\n')
        p++;
    return p;
}

/* Bit i set when p[i] is ',' or '\n', for the 64 bytes at p. */
static inline uint64_t sep_mask64(const char *p)
{
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), nl = _mm_set1_epi8('\n');
    uint64_t m = 0;
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
        __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, nl));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(hit) << (16 * i);
    }
    return m;
#else
    uint64_t m = 0;
    for (int i = 0; i < 64; i++)
        m |= (uint64_t)(p[i] == ',' || p[i] == '\n') << i;
    return m;
#endif
}

/* Finds separators through precomputed 64-byte masks, so that finding the next field costs a
 * count-trailing-zeros instead of a dependent load and compare per field (short fields are
 * latency-bound otherwise). blk == NULL: fewer than 64 bytes are left, scan byte-wise. */
struct scanner {
    const char *blk; /* the block mask describes */
    uint64_t mask;   /* separators in blk[0..63] at or after the current position */
};

/* Starts scanning at p; e is the end of the window. */
static inline void scan_init(struct scanner *s, const char *p, const char *e)
{
    if (e - p >= 64) {
        s->blk = p;
        s->mask = sep_mask64(p);
    } else {
        s->blk = NULL;
    }
}

/* The first ',' or '\n' at or after p (p is at or after every separator already returned). */
static inline const char *scan_next(struct scanner *s, const char *p, const char *e)
{
    if (s->blk) {
        for (;;) {
            if (s->mask) {
                const char *q = s->blk + __builtin_ctzll(s->mask);
                s->mask &= s->mask - 1;
                return q;
            }
            s->blk += 64;
            if (e - s->blk < 64) break;
            s->mask = sep_mask64(s->blk);
        }
        if (p < s->blk) p = s->blk; /* nothing between p and here */
        s->blk = NULL;
    }
    return find_sep(p, e);
}

static long count_newlines(const char *p, const char *e)
{
    long n = 0;
    while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

static int grow_fields(bm_csv *c, long line)
{
    if (c->fcap >= c->max_fields)
        return fail(c, BM_ELIMIT, line, (long)c->max_fields + 1, "more than %zu fields in a record",
                    c->max_fields);
    size_t n = c->fcap * 2 < c->max_fields ? c->fcap * 2 : c->max_fields;
    bm_slice *f = bm_reallocarray(c->fields, n, sizeof(*f));
    if (!f) return fail(c, BM_ENOMEM, line, (long)c->fcap + 1, "out of memory for fields");
    c->fields = f;
    uint8_t *q = bm_realloc(c->quoted, n);
    if (!q) return fail(c, BM_ENOMEM, line, (long)c->fcap + 1, "out of memory for fields");
    c->quoted = q;
    c->fcap = n;
    return BM_OK;
}

/* Copies the quoted content [s, e) into the scratch area at *used, turning "" into ".
 * Every '"' in [s, e) is the first of a pair (the caller checked). */
static bm_slice unescape(bm_csv *c, size_t *used, const char *s, const char *e)
{
    char *start = c->scratch + *used, *d = start;
    while (s < e) {
        const char *x = memchr(s, '"', (size_t)(e - s));
        if (!x) {
            memcpy(d, s, (size_t)(e - s));
            d += e - s;
            break;
        }
        memcpy(d, s, (size_t)(x - s + 1));
        d += x - s + 1;
        s = x + 2;
    }
    *used += (size_t)(d - start);
    return (bm_slice){start, (size_t)(d - start)};
}

/* Parses one record starting at rs (not an empty line) from the window [rs, e).
 * capped: the window was cut at max_record + 2 bytes, so input goes on after e.
 * Returns BM_OK with out filled, REC_MORE when the window ends inside the record and c is not at
 * the end of input, or a sticky error. */
static int parse_record(bm_csv *c, const char *rs, const char *e, int capped, struct parsed *out)
{
    const int at_eof = c->eof && !capped; /* e is the end of the input */
    const long line = c->lines + 1;       /* where the record starts */
    bm_slice *f = c->fields;
    uint8_t *qd = c->quoted;
    size_t fcap = c->fcap, nf = 0, used = 0;
    long nl = 0;
    const char *p = rs, *cend, *next;
    struct scanner sc;
    int r;

    scan_init(&sc, rs, e);

    for (;;) {
        if (nf == fcap) {
            if ((r = grow_fields(c, line)) != BM_OK) return r;
            f = c->fields;
            qd = c->quoted;
            fcap = c->fcap;
        }
        if (p == e || *p != '"') {
            /* Unquoted fields, up to the next ',' or '\n'; quotes and lone '\r' are data. The
             * hot loop: it stays here while fields are unquoted and slots are free. */
            const char *q;
            for (;;) {
                q = scan_next(&sc, p, e);
                if (q == e || *q != ',') break;
                f[nf] = (bm_slice){p, (size_t)(q - p)};
                qd[nf++] = 0;
                p = q + 1;
                if (nf == fcap || (p < e && *p == '"')) break;
            }
            if (q != e && *q == ',') continue; /* a quoted field or a full field array next */
            if (q == e) {
                if (!at_eof) goto incomplete;
                f[nf] = (bm_slice){p, (size_t)(e - p)};
                qd[nf++] = 0;
                cend = next = e;
                break;
            }
            cend = q > p && q[-1] == '\r' ? q - 1 : q;
            f[nf] = (bm_slice){p, (size_t)(cend - p)};
            qd[nf++] = 0;
            next = q + 1;
            break;
        }

        /* Quoted: find the closing quote, skipping "" pairs. */
        const char *qs = p + 1, *q = qs;
        int escaped = 0;
        for (;;) {
            q = memchr(q, '"', (size_t)(e - q));
            if (!q) {
                if (at_eof)
                    return fail(c, BM_EPARSE, line + nl, (long)nf + 1, "unterminated quoted field");
                goto incomplete;
            }
            if (q + 1 == e) {
                if (at_eof) break;
                goto incomplete;
            }
            if (q[1] != '"') break;
            escaped = 1;
            q += 2;
        }
        nl += count_newlines(qs, q);
        if (escaped) {
            if (!c->scratch) {
                c->scratch = bm_malloc(c->scratch_cap);
                if (!c->scratch)
                    return fail(c, BM_ENOMEM, line, (long)nf + 1,
                                "out of memory for a quoted field");
            }
            f[nf] = unescape(c, &used, qs, q);
        } else {
            f[nf] = (bm_slice){qs, (size_t)(q - qs)};
        }
        qd[nf++] = 1;
        p = q + 1;
        if (p == e) {
            if (!at_eof) goto incomplete;
            cend = next = e;
            break;
        }
        if (*p == ',') {
            p++;
            scan_init(&sc, p, e); /* the masks may hold separators of the quoted field */
            continue;
        }
        if (*p == '\n') {
            cend = p;
            next = p + 1;
            break;
        }
        if (*p == '\r') {
            if (p + 1 == e && !at_eof) goto incomplete;
            if (p + 1 < e && p[1] == '\n') {
                cend = p;
                next = p + 2;
                break;
            }
        }
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x20 && ch < 0x7f)
            return fail(c, BM_EPARSE, line + nl, (long)nf, "'%c' after the closing quote", ch);
        return fail(c, BM_EPARSE, line + nl, (long)nf, "byte 0x%02x after the closing quote", ch);
    }

    if ((size_t)(cend - rs) > c->max_record)
        return fail(c, BM_ELIMIT, line, (long)nf, "record longer than %zu bytes", c->max_record);
    out->nfields = nf;
    out->newlines = nl;
    out->next = next;
    return BM_OK;

incomplete:
    if (capped)
        return fail(c, BM_ELIMIT, line, (long)nf + 1, "record longer than %zu bytes",
                    c->max_record);
    return REC_MORE;
}

/* ---- reading ---- */

/* Moves the unconsumed tail to the front of the buffer and reads more input after it. */
static int refill(bm_csv *c)
{
    if (c->eof) return BM_OK;
    if (c->pos > 0) {
        memmove(c->own, c->own + c->pos, c->end - c->pos);
        c->buf_off += (off_t)c->pos;
        c->end -= c->pos;
        c->pos = 0;
    }
    size_t want = c->cap - c->end;
    if (c->limit >= 0) {
        /* Past the limit only the last record's tail is needed: read less. */
        off_t left = c->limit - (c->buf_off + (off_t)c->end);
        size_t w = left > (off_t)MIN_READ ? (size_t)left : MIN_READ;
        if (w < want) want = w;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(c->fd, c->own + c->end, want - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            char why[128];
            describe_errno(why, sizeof(why), errno);
            return fail(c, BM_EIO, c->lines + 1, 0, "read failed: %s", why);
        }
        if (n == 0) {
            c->eof = 1;
            break;
        }
        c->end += (size_t)n;
        got += (size_t)n;
    }
    return BM_OK;
}

int bm_csv_next(bm_csv *c, bm_csv_record *rec, bm_error *err)
{
    int r;
    rec->fields = c->fields;
    rec->quoted = c->quoted;
    rec->nfields = 0;
    rec->line = 0;
    rec->offset = c->buf_off + (off_t)c->pos;
    if (c->status != BM_OK) return report(c, err);

    for (;;) {
        off_t off = c->buf_off + (off_t)c->pos;
        if (c->limit >= 0 && off >= c->limit) return BM_OK;
        size_t avail = c->end - c->pos;
        if (avail < 2 && !c->eof) {
            if ((r = refill(c)) != BM_OK) return report(c, err);
            continue;
        }
        if (avail == 0) return BM_OK;
        const char *rs = c->buf + c->pos;
        if (rs[0] == '\n' || (rs[0] == '\r' && avail >= 2 && rs[1] == '\n')) {
            c->pos += rs[0] == '\n' ? 1 : 2; /* empty line */
            c->lines++;
            continue;
        }
        size_t window = c->max_record + 2;
        int capped = avail >= window;
        struct parsed res = {0, 0, NULL};
        r = parse_record(c, rs, rs + (capped ? window : avail), capped, &res);
        if (r == REC_MORE) {
            if ((r = refill(c)) != BM_OK) return report(c, err);
            continue;
        }
        if (r != BM_OK) return report(c, err);
        rec->fields = c->fields;
        rec->quoted = c->quoted;
        rec->nfields = res.nfields;
        rec->line = c->lines + 1;
        rec->offset = off;
        c->lines += 1 + res.newlines;
        c->pos = (size_t)(res.next - c->buf);
        return BM_OK;
    }
}

off_t bm_csv_offset(const bm_csv *c)
{
    return c->buf_off + (off_t)c->pos;
}

long bm_csv_lines(const bm_csv *c)
{
    return c->lines;
}

/* ---- lifecycle ---- */

/* Allocates a tokenizer with its field arrays; scratch_max bounds the scratch area. */
static bm_csv *csv_new(const char *name, const bm_csv_opts *opts, size_t scratch_max, bm_error *err)
{
    bm_csv *c = bm_calloc(1, sizeof(*c));
    if (!c) goto nomem;
    c->fd = -1;
    c->limit = -1;
    c->max_record = opts && opts->max_record ? opts->max_record : BM_CSV_DEFAULT_MAX_RECORD;
    c->max_fields = opts && opts->max_fields ? opts->max_fields : BM_CSV_DEFAULT_MAX_FIELDS;
    if (c->max_record > SIZE_MAX / 2) c->max_record = SIZE_MAX / 2;
    if (c->max_fields > SIZE_MAX / (2 * sizeof(bm_slice))) {
        c->max_fields = SIZE_MAX / (2 * sizeof(bm_slice));
    }
    c->scratch_cap = c->max_record + 2 < scratch_max ? c->max_record + 2 : scratch_max;
    c->fcap = c->max_fields < INITIAL_FIELDS ? c->max_fields : INITIAL_FIELDS;
    c->fields = bm_reallocarray(NULL, c->fcap, sizeof(*c->fields));
    if (!c->fields) goto nomem;
    c->quoted = bm_malloc(c->fcap);
    if (!c->quoted) goto nomem;
    if (name) {
        c->has_name = 1;
        snprintf(c->name, sizeof(c->name), "%s", name);
    }
    return c;
nomem:
    bm_csv_close(c);
    bm_error_set(err, BM_ENOMEM, "out of memory opening a CSV tokenizer");
    return NULL;
}

bm_csv *bm_csv_open_mem(const char *data, size_t len, const char *name, const bm_csv_opts *opts,
                        bm_error *err)
{
    bm_error_at(err, name, 0, 0, NULL);
    if (!data && len) {
        bm_error_set(err, BM_EINVAL, "NULL data");
        return NULL;
    }
    bm_csv *c = csv_new(name, opts, len + 1, err);
    if (!c) return NULL;
    c->buf = data ? data : "";
    c->end = len;
    c->eof = 1;
    return c;
}

/* A file tokenizer over fd (taken: closed on failure too) or, when fd < 0, over path opened here.
 */
static bm_csv *open_file(int fd, const char *path, off_t start, off_t limit,
                         const bm_csv_opts *opts, bm_error *err)
{
    bm_csv *c = NULL;
    char why[128];
    bm_error_at(err, path, 0, 0, NULL);
    if (!path || start < 0) {
        bm_error_set(err, BM_EINVAL, "bad CSV range start %lld", (long long)start);
        if (fd >= 0) close(fd);
        return NULL;
    }
    if (!(c = csv_new(path, opts, SIZE_MAX, err))) {
        if (fd >= 0) close(fd);
        return NULL;
    }
    c->fd = fd;
    c->buf_off = start;
    c->limit = limit < 0 ? -1 : limit;
    c->cap = opts && opts->buf_size ? opts->buf_size : BM_CSV_DEFAULT_BUF_SIZE;
    if (c->cap < c->max_record + 2) c->cap = c->max_record + 2;
    if (!(c->own = bm_malloc(c->cap))) {
        bm_error_set(err, BM_ENOMEM, "out of memory for a %zu-byte read buffer", c->cap);
        goto fail;
    }
    c->buf = c->own;
    if (c->fd < 0 && (c->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        describe_errno(why, sizeof(why), errno);
        bm_error_set(err, BM_EIO, "cannot open: %s", why);
        goto fail;
    }
    if (start > 0 && lseek(c->fd, start, SEEK_SET) < 0) {
        describe_errno(why, sizeof(why), errno);
        bm_error_set(err, BM_EIO, "cannot seek to %lld: %s", (long long)start, why);
        goto fail;
    }
    return c;
fail:
    bm_csv_close(c);
    return NULL;
}

bm_csv *bm_csv_open_file(const char *path, off_t start, off_t limit, const bm_csv_opts *opts,
                         bm_error *err)
{
    return open_file(-1, path, start, limit, opts, err);
}

bm_csv *bm_csv_open_fd(int fd, const char *name, const bm_csv_opts *opts, bm_error *err)
{
    return open_file(fd, name ? name : "(input)", 0, -1, opts, err);
}

int bm_csv_record_is(const bm_csv_record *rec, char *const *texts, size_t n)
{
    if (rec->nfields != n) return 0;
    for (size_t k = 0; k < n; k++)
        if (rec->fields[k].n != strlen(texts[k]) ||
            memcmp(rec->fields[k].p, texts[k], rec->fields[k].n) != 0)
            return 0;
    return 1;
}

void bm_csv_close(bm_csv *c)
{
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    bm_free(c->own);
    bm_free(c->fields);
    bm_free(c->quoted);
    bm_free(c->scratch);
    bm_free(c);
}

/* ---- splitting ---- */

int bm_csv_find_boundary(const char *path, off_t pos, off_t *boundary, bm_error *err)
{
    int r = BM_EINTERNAL, fd = -1;
    char why[128], block[16384];
    struct stat st;

    bm_error_at(err, path, 0, 0, NULL);
    if (!path || !boundary || pos < 0) {
        r = bm_error_set(err, BM_EINVAL, "bad arguments to bm_csv_find_boundary");
        goto out;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
        describe_errno(why, sizeof(why), errno);
        r = bm_error_set(err, BM_EIO, "cannot open: %s", why);
        goto out;
    }
    if (pos == 0 || pos >= st.st_size) {
        *boundary = pos == 0 ? 0 : st.st_size;
        r = BM_OK;
        goto out;
    }
    for (off_t at = pos;;) {
        ssize_t n = pread(fd, block, sizeof(block), at);
        if (n < 0) {
            if (errno == EINTR) continue;
            describe_errno(why, sizeof(why), errno);
            r = bm_error_set(err, BM_EIO, "read failed: %s", why);
            goto out;
        }
        if (n == 0) {
            *boundary = at; /* no line break after pos: the end of the file */
            break;
        }
        const char *nl = memchr(block, '\n', (size_t)n);
        if (nl) {
            *boundary = at + (nl - block) + 1;
            break;
        }
        at += n;
    }
    r = BM_OK;
out:
    if (fd >= 0) close(fd);
    return r;
}
