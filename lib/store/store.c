/* Object storage by URI: a table of back-ends, of which the local file system is the default. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "biasmon/report.h"
#include "biasmon/store.h"

void bm_strlist_release(bm_strlist *l)
{
    for (size_t k = 0; k < l->n; k++) bm_free(l->v[k]);
    bm_free(l->v);
    memset(l, 0, sizeof(*l));
}

int bm_strlist_push(bm_strlist *l, const char *s, size_t n)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = bm_reallocarray(l->v, cap, sizeof(char *));
        if (!v) return BM_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = bm_strndup(s, n))) return BM_ENOMEM;
    l->n++;
    return BM_OK;
}

int bm_uri_join(const char *uri, const char *key, char *out, size_t outlen)
{
    size_t n = strlen(uri);
    while (n > 1 && uri[n - 1] == '/') n--;
    while (*key == '/') key++;
    int w = snprintf(out, outlen, "%.*s/%s", (int)n, uri, key);
    if (w < 0 || (size_t)w >= outlen) return BM_ELIMIT;
    if (!*key) out[n] = 0;
    return BM_OK;
}

/* ---- back-ends ---- */

typedef struct backend {
    const char *scheme; /* "file" */
    int (*list)(const char *path, int dirs, size_t max, bm_strlist *out, bm_error *err);
    int (*read)(const char *path, size_t max, bm_buf *out, bm_error *err);
    int (*open)(const char *path, int *fd, bm_error *err);
    int (*write)(const char *path, const void *data, size_t len, bm_error *err);
} backend;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int file_list(const char *path, int dirs, size_t max, bm_strlist *out, bm_error *err)
{
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR) return BM_OK;
        bm_error_at(err, path, 0, 0, NULL);
        return bm_error_set(err, BM_EIO, "cannot list: %s", strerror(errno));
    }
    int r = BM_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue; /* hidden and temporary files */
        char full[4096];
        if (bm_uri_join(path, e->d_name, full, sizeof(full))) continue;
        struct stat st;
        if (stat(full, &st) != 0) continue;
        if (dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) continue;
        if (out->n >= max) {
            bm_error_at(err, path, 0, 0, NULL);
            r = bm_error_set(err, BM_ELIMIT, "more than %zu entries", max);
            break;
        }
        if (bm_strlist_push(out, e->d_name, strlen(e->d_name))) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            break;
        }
    }
    closedir(d);
    if (!r && out->n > 1) qsort(out->v, out->n, sizeof(char *), cmp_str);
    return r;
}

static int file_open(const char *path, int *fd, bm_error *err)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) {
        int e = errno;
        bm_error_at(err, path, 0, 0, NULL);
        return bm_error_set(err, e == ENOENT ? BM_ENOTFOUND : BM_EIO, "cannot open: %s", strerror(e));
    }
    return BM_OK;
}

static int file_read(const char *path, size_t max, bm_buf *out, bm_error *err)
{
    int fd, r = file_open(path, &fd, err);
    if (r) return r;
    char chunk[65536];
    size_t total = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            if (errno == EINTR) continue;
            bm_error_at(err, path, 0, 0, NULL);
            r = bm_error_set(err, BM_EIO, "read error: %s", strerror(errno));
            break;
        }
        if (n == 0) break;
        total += (size_t)n;
        if (total > max) {
            bm_error_at(err, path, 0, 0, NULL);
            r = bm_error_set(err, BM_ELIMIT, "larger than %zu bytes", max);
            break;
        }
        if (bm_buf_append(out, chunk, (size_t)n)) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            break;
        }
    }
    close(fd);
    return r;
}

static int file_write(const char *path, const void *data, size_t len, bm_error *err)
{
    return bm_write_file_atomic(path, data, len, err);
}

static const backend backends[] = {
    {"file", file_list, file_read, file_open, file_write},
};

/* Finds the back-end of uri and the path it understands. */
static const backend *resolve(const char *uri, char *path, size_t pathlen, bm_error *err)
{
    const char *colon = strstr(uri, "://");
    if (!colon) {
        if (snprintf(path, pathlen, "%s", uri) >= (int)pathlen) goto toolong;
        return &backends[0];
    }
    size_t sl = (size_t)(colon - uri);
    for (size_t k = 0; k < sizeof(backends) / sizeof(backends[0]); k++) {
        if (strlen(backends[k].scheme) != sl || strncmp(uri, backends[k].scheme, sl)) continue;
        const char *rest = colon + 3;
        if (!strcmp(backends[k].scheme, "file")) {
            if (!strncmp(rest, "localhost/", 10)) rest += 9;
            if (*rest != '/') {
                bm_error_set(err, BM_EINVAL, "file:// URIs need an absolute path (file:///dir): %s", uri);
                return NULL;
            }
        }
        if (snprintf(path, pathlen, "%s", rest) >= (int)pathlen) goto toolong;
        return &backends[k];
    }
    bm_error_set(err, BM_ENOTFOUND,
                 "no storage back-end for \"%.*s://\" (%s): biasmon reads and writes local paths "
                 "and file:// URIs",
                 (int)sl, uri, "supported");
    return NULL;
toolong:
    bm_error_set(err, BM_ELIMIT, "URI too long: %.100s...", uri);
    return NULL;
}

int bm_store_local_path(const char *uri, char *out, size_t outlen, bm_error *err)
{
    const backend *b = resolve(uri, out, outlen, err);
    return b ? BM_OK : err->code;
}

int bm_store_list(const char *prefix, int dirs, size_t max, bm_strlist *out, bm_error *err)
{
    char path[4096];
    const backend *b = resolve(prefix, path, sizeof(path), err);
    if (!b) return err->code;
    return b->list(path, dirs, max, out, err);
}

int bm_store_read(const char *uri, size_t max, bm_buf *out, bm_error *err)
{
    char path[4096];
    const backend *b = resolve(uri, path, sizeof(path), err);
    if (!b) return err->code;
    return b->read(path, max, out, err);
}

int bm_store_write(const char *uri, const void *data, size_t len, bm_error *err)
{
    char path[4096];
    const backend *b = resolve(uri, path, sizeof(path), err);
    if (!b) return err->code;
    return b->write(path, data, len, err);
}

struct bm_store_reader {
    int fd;
    char path[4096];
};

bm_store_reader *bm_store_open(const char *uri, bm_error *err)
{
    bm_store_reader *r = bm_calloc(1, sizeof(*r));
    if (!r) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return NULL;
    }
    const backend *b = resolve(uri, r->path, sizeof(r->path), err);
    if (!b || b->open(r->path, &r->fd, err)) {
        bm_free(r);
        return NULL;
    }
    return r;
}

long bm_store_reader_read(bm_store_reader *r, void *buf, size_t n, bm_error *err)
{
    for (;;) {
        ssize_t k = read(r->fd, buf, n);
        if (k >= 0) return (long)k;
        if (errno == EINTR) continue;
        bm_error_at(err, r->path, 0, 0, NULL);
        bm_error_set(err, BM_EIO, "read error: %s", strerror(errno));
        return -1;
    }
}

void bm_store_reader_close(bm_store_reader *r)
{
    if (!r) return;
    close(r->fd);
    bm_free(r);
}
