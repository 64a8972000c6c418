/* JSON text output with Python's number formatting, and atomic file writes. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "biasmon/cell.h"
#include "biasmon/report.h"

static int write_string(bm_buf *out, const char *s, size_t n)
{
    int r = bm_buf_putc(out, '"');
    for (size_t k = 0; !r && k < n; k++) {
        unsigned char ch = (unsigned char)s[k];
        switch (ch) {
        case '"': r = bm_buf_puts(out, "\\\""); break;
        case '\\': r = bm_buf_puts(out, "\\\\"); break;
        case '\n': r = bm_buf_puts(out, "\\n"); break;
        case '\r': r = bm_buf_puts(out, "\\r"); break;
        case '\t': r = bm_buf_puts(out, "\\t"); break;
        case '\b': r = bm_buf_puts(out, "\\b"); break;
        case '\f': r = bm_buf_puts(out, "\\f"); break;
        default:
            if (ch < 0x20)
                r = bm_buf_printf(out, "\\u%04x", ch);
            else
                r = bm_buf_putc(out, (char)ch);
        }
    }
    return r ? r : bm_buf_putc(out, '"');
}

static int newline(bm_buf *out, int indent, int depth)
{
    if (!indent) return BM_OK;
    int r = bm_buf_putc(out, '\n');
    for (int k = 0; !r && k < indent * depth; k++) r = bm_buf_putc(out, ' ');
    return r;
}

static int write_value(json_t *v, int indent, int depth, bm_buf *out)
{
    int r = BM_OK;
    if (depth > 256) return BM_ELIMIT;
    switch (json_typeof(v)) {
    case JSON_NULL: return bm_buf_puts(out, "null");
    case JSON_TRUE: return bm_buf_puts(out, "true");
    case JSON_FALSE: return bm_buf_puts(out, "false");
    case JSON_INTEGER: return bm_buf_printf(out, "%lld", (long long)json_integer_value(v));
    case JSON_REAL: {
        double x = json_real_value(v);
        char tmp[64];
        if (isnan(x)) return bm_buf_puts(out, "NaN");
        if (isinf(x)) return bm_buf_puts(out, x > 0 ? "Infinity" : "-Infinity");
        bm_py_float_repr(x, tmp, sizeof(tmp));
        return bm_buf_puts(out, tmp);
    }
    case JSON_STRING: return write_string(out, json_string_value(v), json_string_length(v));
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (!n) return bm_buf_puts(out, "[]");
        r = bm_buf_putc(out, '[');
        for (size_t k = 0; !r && k < n; k++) {
            if (k) r = bm_buf_putc(out, ',');
            if (!r) r = indent ? newline(out, indent, depth + 1) : (k ? bm_buf_putc(out, ' ') : 0);
            if (!r) r = write_value(json_array_get(v, k), indent, depth + 1, out);
        }
        if (!r) r = newline(out, indent, depth);
        return r ? r : bm_buf_putc(out, ']');
    }
    case JSON_OBJECT: {
        if (!json_object_size(v)) return bm_buf_puts(out, "{}");
        r = bm_buf_putc(out, '{');
        const char *key;
        json_t *val;
        int first = 1;
        json_object_foreach(v, key, val) {
            if (r) break;
            if (!first) r = bm_buf_putc(out, ',');
            if (!r) r = indent ? newline(out, indent, depth + 1) : (!first ? bm_buf_putc(out, ' ') : 0);
            first = 0;
            if (!r) r = write_string(out, key, strlen(key));
            if (!r) r = bm_buf_puts(out, ": ");
            if (!r) r = write_value(val, indent, depth + 1, out);
        }
        if (!r) r = newline(out, indent, depth);
        return r ? r : bm_buf_putc(out, '}');
    }
    }
    return BM_EINTERNAL;
}

int bm_json_write(json_t *v, int indent, bm_buf *out)
{
    return write_value(v, indent, 0, out);
}

int bm_mkdirs(const char *dir, bm_error *err)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n == 0) return BM_OK;
    if (n >= sizeof(tmp)) return bm_error_set(err, BM_EIO, "path too long: %s", dir);
    memcpy(tmp, dir, n + 1);
    for (size_t k = 1; k <= n; k++) {
        if (tmp[k] != '/' && tmp[k] != 0) continue;
        char save = tmp[k];
        tmp[k] = 0;
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            bm_error_at(err, tmp, 0, 0, NULL);
            return bm_error_set(err, BM_EIO, "cannot create directory: %s", strerror(e));
        }
        tmp[k] = save;
    }
    return BM_OK;
}

int bm_write_file_atomic(const char *path, const void *data, size_t len, bm_error *err)
{
    char dir[4096], tmp[4200];
    size_t n = strlen(path);
    if (n >= sizeof(dir)) return bm_error_set(err, BM_EIO, "path too long: %s", path);
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    const char *base = path;
    if (slash) {
        *slash = 0;
        base = slash + 1;
        int r = bm_mkdirs(dir, err);
        if (r) return r;
        snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%ld", dir, base, (long)getpid());
    } else {
        snprintf(tmp, sizeof(tmp), ".%s.tmp.%ld", base, (long)getpid());
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) goto fail;
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            goto fail_fd;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0) goto fail_fd;
    if (close(fd) != 0) {
        fd = -1;
        goto fail_tmp;
    }
    fd = -1;
    if (rename(tmp, path) != 0) goto fail_tmp;
    return BM_OK;
fail_fd:;
    int e = errno;
    close(fd);
    errno = e;
fail_tmp:
    e = errno;
    unlink(tmp);
    errno = e;
fail:
    e = errno;
    bm_error_at(err, path, 0, 0, NULL);
    return bm_error_set(err, BM_EIO, "cannot write: %s", strerror(e));
}
