/* Status texts and the error record. */
#include <stdio.h>
#include <string.h>
#include "biasmon/common.h"

const char *bm_strerror(int status)
{
    switch (status) {
    case BM_OK:
        return "success";
    case BM_ENOMEM:
        return "out of memory";
    case BM_EIO:
        return "input/output error";
    case BM_EPARSE:
        return "malformed input";
    case BM_ECONFIG:
        return "invalid configuration";
    case BM_ELIMIT:
        return "limit exceeded";
    case BM_EDATA:
        return "data cannot be used";
    case BM_EINVAL:
        return "invalid argument";
    case BM_EINTERNAL:
        return "internal error";
    case BM_ENOTFOUND:
        return "not found";
    case BM_EEXISTS:
        return "already exists";
    case BM_EBUSY:
        return "in use";
    case BM_EACCESS:
        return "access denied";
    }
    return "unknown error";
}

/* Cuts dst (of n bytes, holding a longer text) so that it ends in "..." on a UTF-8 boundary. */
static void mark_cut(char *dst, size_t n)
{
    if (n < 4) return; /* no room for the mark: the bytes that fit stay */
    size_t p = n - 4;
    while (p > 0 && ((unsigned char)dst[p] & 0xC0) == 0x80)
        p--;
    memcpy(dst + p, "...", 4);
}

int bm_vfmt_fit(char *dst, size_t n, const char *fmt, va_list ap)
{
    if (!n) return 1;
    int k = vsnprintf(dst, n, fmt, ap);
    if (k < 0) {
        dst[0] = 0;
        return -1;
    }
    if ((size_t)k < n) return 0;
    mark_cut(dst, n);
    return 1;
}

int bm_fmt_fit(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = bm_vfmt_fit(dst, n, fmt, ap);
    va_end(ap);
    return r;
}

/* A name longer than its field keeps its end (the file, the innermost key) after "...";
 * a JSON path also keeps its root: "$..." then its end. */
static void keep_end(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (len < n) {
        memcpy(dst, src, len + 1);
        return;
    }
    if (n < 4) {
        dst[0] = 0;
        return;
    }
    /* a JSON path keeps its root too ("$..."), so it still reads as a path */
    size_t root = src[0] == '$' && n >= 5 ? 1 : 0;
    const char *tail = src + len - (n - 4 - root);
    while (*tail && ((unsigned char)*tail & 0xC0) == 0x80)
        tail++;
    if (root) dst[0] = '$';
    memcpy(dst + root, "...", 3);
    memcpy(dst + root + 3, tail, strlen(tail) + 1);
}

void bm_error_clear(bm_error *e)
{
    if (!e) return;
    memset(e, 0, sizeof(*e));
}

int bm_error_set(bm_error *e, int code, const char *fmt, ...)
{
    if (!e) return code;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    (void)bm_vfmt_fit(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return code;
}

void bm_error_at(bm_error *e, const char *file, long line, long col, const char *path)
{
    if (!e) return;
    if (file) keep_end(e->file, sizeof(e->file), file);
    e->line = line;
    e->col = col;
    if (path) keep_end(e->path, sizeof(e->path), path);
}

void bm_error_format(const bm_error *e, char *out, size_t outlen)
{
    if (!outlen) return;
    const char *msg = e->msg[0] ? e->msg : bm_strerror(e->code);
    char line[24] = "", col[24] = "";
    if (e->file[0] && e->line > 0) (void)snprintf(line, sizeof(line), "%ld:", e->line);
    if (e->file[0] && e->col > 0) (void)snprintf(col, sizeof(col), "%ld:", e->col);
    (void)bm_fmt_fit(out, outlen, "%s%s%s%s%s%s%s", e->file, e->file[0] ? ":" : "", line, col,
                     e->file[0] ? " " : "", e->path, e->path[0] ? ": " : "");
    size_t used = strlen(out);
    /* the location took it all: the message still ends in "..." rather than vanishing */
    if (used + 1 < outlen) (void)bm_fmt_fit(out + used, outlen - used, "%s", msg);
}
