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

/* What a non-regular file is, for messages. */
static const char *file_kind(mode_t m)
{
    return S_ISLNK(m)    ? "a symbolic link"
           : S_ISDIR(m)  ? "a directory"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISCHR(m) || S_ISBLK(m) ? "a device"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

int bm_write_file_atomic_at(int dfd, const char *name, const char *shown, const void *data, size_t len, bm_error *err)
{
    char tmp[300];
    int w = snprintf(tmp, sizeof(tmp), ".%s.tmp.%ld", name, (long)getpid());
    if (w < 0 || (size_t)w >= sizeof(tmp) || strchr(name, '/') || !*name) {
        bm_error_at(err, shown, 0, 0, NULL);
        return bm_error_set(err, BM_EIO, "cannot write: bad file name");
    }
    /* never replace a symbolic link, device node, FIFO or directory: rename would swap the
     * node itself (as root, a file would take the place of /dev/full) */
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
        bm_error_at(err, shown, 0, 0, NULL);
        return bm_error_set(err, BM_EIO, "cannot write: the destination is %s, not a regular file; "
                            "biasmon replaces regular files only", file_kind(st.st_mode));
    }
    unlinkat(dfd, tmp, 0); /* a leftover of a crashed writer with this pid; never followed */
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    int e;
    if (fd < 0) goto fail;
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t k = write(fd, p, left);
        if (k < 0) {
            if (errno == EINTR) continue;
            goto fail_fd;
        }
        p += k;
        left -= (size_t)k;
    }
    if (fsync(fd) != 0) goto fail_fd;
    if (close(fd) != 0) {
        fd = -1;
        goto fail_tmp;
    }
    fd = -1;
    if (renameat(dfd, tmp, dfd, name) != 0) goto fail_tmp;
    return BM_OK;
fail_fd:
    e = errno;
    close(fd);
    errno = e;
fail_tmp:
    e = errno;
    unlinkat(dfd, tmp, 0);
    errno = e;
fail:
    e = errno;
    bm_error_at(err, shown, 0, 0, NULL);
    return bm_error_set(err, BM_EIO, "cannot write: %s", strerror(e));
}

int bm_write_file_atomic(const char *path, const void *data, size_t len, bm_error *err)
{
    char dir[4096];
    size_t n = strlen(path);
    if (n >= sizeof(dir)) return bm_error_set(err, BM_EIO, "path too long: %.100s...", path);
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    const char *base = path;
    int dfd = AT_FDCWD;
    if (slash) {
        *slash = 0;
        base = path + (slash - dir) + 1;
        const char *d = slash == dir ? "/" : dir;
        int r = bm_mkdirs(d, err);
        if (r) return r;
        if ((dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
            int e = errno;
            bm_error_at(err, path, 0, 0, NULL);
            return bm_error_set(err, BM_EIO, "cannot open its directory: %s", strerror(e));
        }
    }
    int r = bm_write_file_atomic_at(dfd, base, path, data, len, err);
    if (dfd != AT_FDCWD) close(dfd);
    return r;
}
