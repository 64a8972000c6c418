/* Status texts and the error record. */
#include <stdio.h>
#include <string.h>
#include "biasmon/common.h"

const char *bm_strerror(int status)
{
    switch (status) {
    case BM_OK: return "success";
    case BM_ENOMEM: return "out of memory";
    case BM_EIO: return "input/output error";
    case BM_EPARSE: return "malformed input";
    case BM_ECONFIG: return "invalid configuration";
    case BM_ELIMIT: return "limit exceeded";
    case BM_EDATA: return "data cannot be used";
    case BM_EINVAL: return "invalid argument";
    case BM_EINTERNAL: return "internal error";
    case BM_ENOTFOUND: return "not found";
    case BM_EEXISTS: return "already exists";
    case BM_EBUSY: return "in use";
    case BM_EACCESS: return "access denied";
    }
    return "unknown error";
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
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return code;
}

void bm_error_at(bm_error *e, const char *file, long line, long col, const char *path)
{
    if (!e) return;
    if (file) snprintf(e->file, sizeof(e->file), "%s", file);
    e->line = line;
    e->col = col;
    if (path) snprintf(e->path, sizeof(e->path), "%s", path);
}

void bm_error_format(const bm_error *e, char *out, size_t outlen)
{
    if (!outlen) return;
    out[0] = 0;
    size_t used = 0;
#define PUT(...)                                                                       \
    do {                                                                               \
        int k_ = snprintf(out + used, outlen - used, __VA_ARGS__);                     \
        if (k_ > 0) used = (size_t)k_ >= outlen - used ? outlen - 1 : used + (size_t)k_; \
    } while (0)
    if (e->file[0]) {
        PUT("%s:", e->file);
        if (e->line > 0) PUT("%ld:", e->line);
        if (e->col > 0) PUT("%ld:", e->col);
        PUT(" ");
    }
    if (e->path[0]) PUT("%s: ", e->path);
    PUT("%s", e->msg[0] ? e->msg : bm_strerror(e->code));
#undef PUT
}
