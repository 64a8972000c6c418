/* Object storage by URI: a table of back-ends, of which the local file system is the default. */
#define _GNU_SOURCE /* O_PATH */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "biasmon/file.h"
#include "biasmon/store.h"
#include "store/s3.h"

void bm_strlist_release(bm_strlist *l)
{
    for (size_t k = 0; k < l->n; k++)
        bm_free(l->v[k]);
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
    while (n > 1 && uri[n - 1] == '/')
        n--;
    while (*key == '/')
        key++;
    int w = snprintf(out, outlen, "%.*s/%s", (int)n, uri, key);
    if (w < 0 || (size_t)w >= outlen) return BM_ELIMIT;
    if (!*key) out[n] = 0;
    return BM_OK;
}

/* ---- confinement: the folders a daemon may touch ---- */

typedef struct root {
    char given[1024]; /* as configured, without a trailing '/' ("" for "/") */
    char real[1024];  /* realpath of it, without a trailing '/' */
    int fd;           /* O_PATH descriptor of the directory */
} root;

static root roots[BM_STORE_MAX_ROOTS];
static size_t nroots;
static int confined;

static void strip_slashes(char *p)
{
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == '/')
        p[--n] = 0;
}

int bm_store_confine(const char *const *dirs, size_t n, bm_error *err)
{
    for (size_t k = 0; k < nroots; k++)
        close(roots[k].fd);
    nroots = 0;
    confined = 1; /* from here on, even on failure: nothing is allowed rather than everything */
    if (n > BM_STORE_MAX_ROOTS)
        return bm_error_set(err, BM_ELIMIT, "more than %d allowed roots", BM_STORE_MAX_ROOTS);
    for (size_t k = 0; k < n; k++) {
        root *r = &roots[nroots];
        if (dirs[k][0] != '/') {
            bm_error_at(err, dirs[k], 0, 0, NULL);
            return bm_error_set(err, BM_EINVAL, "an allowed root must be an absolute path");
        }
        if (snprintf(r->given, sizeof(r->given), "%s", dirs[k]) >= (int)sizeof(r->given)) {
            bm_error_at(err, dirs[k], 0, 0, NULL);
            return bm_error_set(err, BM_ELIMIT, "allowed root path too long");
        }
        char real[PATH_MAX];
        if (!realpath(dirs[k], real) || strlen(real) >= sizeof(r->real)) {
            int e = errno;
            bm_error_at(err, dirs[k], 0, 0, NULL);
            return bm_error_set(err, BM_EIO, "cannot use as an allowed root: %s", strerror(e));
        }
        memcpy(r->real, real, strlen(real) + 1);
        strip_slashes(r->given);
        strip_slashes(r->real);
        if ((r->fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
            int e = errno;
            bm_error_at(err, dirs[k], 0, 0, NULL);
            return bm_error_set(err, BM_EIO, "cannot use as an allowed root: %s", strerror(e));
        }
        nroots++;
    }
    return BM_OK;
}

size_t bm_store_roots(char *out, size_t n)
{
    size_t o = 0;
    if (n) out[0] = 0;
    for (size_t k = 0; k < nroots && o + 1 < n; k++) {
        /* for messages: a list too long for out ends in "..." */
        if (bm_fmt_fit(out + o, n - o, "%s%s", k ? ", " : "",
                       roots[k].given[0] ? roots[k].given : "/"))
            break;
        o += strlen(out + o);
    }
    return nroots;
}

/* The root holding path (absolute, normalized) and the path relative to it ("." for the root). */
static const root *find_root(const char *path, const char **rel)
{
    for (size_t k = 0; k < nroots; k++) {
        const char *forms[2] = {roots[k].given, roots[k].real};
        for (int f = 0; f < 2; f++) {
            size_t l = strlen(forms[f]);
            if (strncmp(path, forms[f], l) || (path[l] != '/' && path[l] != 0)) continue;
            const char *r = path + l;
            while (*r == '/')
                r++;
            *rel = *r ? r : ".";
            return &roots[k];
        }
    }
    return NULL;
}

/* Opens rel beneath the root: no "..", absolute or /proc magic link may lead out of it. Returns
 * a descriptor, or -1 with errno (EXDEV or ELOOP: a link leads out). */
static int open_beneath(const root *rt, const char *rel, int flags)
{
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, rt->fd, rel, &how, sizeof(how));
    if (fd >= 0 || errno != ENOSYS) return (int)fd;
    /* kernels before 5.6: open, then check where the descriptor really is */
    char full[4200], link[64], real[PATH_MAX];
    if (snprintf(full, sizeof(full), "%s/%s", rt->real, rel) >= (int)sizeof(full))
        return errno = ENAMETOOLONG, -1;
    int f = open(full, flags);
    if (f < 0) return -1;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", f);
    ssize_t n = readlink(link, real, sizeof(real) - 1);
    size_t rl = strlen(rt->real);
    if (n < 0 || (real[n] = 0, strncmp(real, rt->real, rl)) || (real[rl] != '/' && real[rl] != 0)) {
        close(f);
        return errno = EXDEV, -1;
    }
    return f;
}

static int denied(bm_error *err, const char *path, const char *why)
{
    char list[600];
    size_t n = bm_store_roots(list, sizeof(list));
    return bm_error_set(err, BM_EACCESS,
                        "%s %s the folders biasmon serve may use (%s); name more with --allow-root",
                        path, why, n ? list : "none");
}

/* The syntax a confined process accepts: an absolute path without ".", ".." or empty parts. */
static int check_syntax(const char *path, const char *uri, bm_error *err)
{
    if (path[0] != '/')
        return bm_error_set(err, BM_EINVAL, "\"%.300s\" is not absolute: use file:///absolute/path",
                            uri);
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
            return bm_error_set(err, BM_EINVAL,
                                "\"%.300s\" has a \"%.*s\" part: use a path without . and ..", uri,
                                (int)l, p);
        p += l;
    }
    return BM_OK;
}

/* ---- back-ends ---- */

/* Where an object is: its local path and, when confined, its root and the path below it. */
typedef struct target {
    char path[4096];
    const root *rt; /* NULL: not confined */
    const char *rel;
} target;

static int open_target(const target *t, const char *rel, int flags)
{
    return t->rt ? open_beneath(t->rt, rel, flags) : open(rel, flags);
}

/* A bm_error from a failed open of t. */
static int open_error(const target *t, int e, const char *what, bm_error *err)
{
    bm_error_at(err, t->path, 0, 0, NULL);
    if (t->rt && (e == EXDEV || e == ELOOP))
        return denied(err, t->path, "leads (through a symbolic link) outside");
    return bm_error_set(err, e == ENOENT ? BM_ENOTFOUND : BM_EIO, "cannot %s: %s", what,
                        strerror(e));
}

typedef struct backend {
    const char *scheme; /* "file" */
    int (*list)(const target *t, int dirs, size_t max, bm_strlist *out, bm_error *err);
    /* bm_store_list_range in one request (NULL: list the folders, then each) */
    int (*list_range)(const target *t, const char *from, const char *to, size_t max,
                      bm_strlist *out, bm_error *err);
    int (*open)(const target *t, int *fd, bm_error *err); /* NULL: not a local back-end */
    int (*write)(const target *t, const void *data, size_t len, bm_error *err);
    int (*remove)(const target *t, bm_error *err);
    /* a back-end without descriptors: whole reads and a streaming reader (t->path without scheme)
     */
    int (*read)(const target *t, size_t max, bm_buf *out, bm_error *err);
    bm__s3_reader *(*reader)(const target *t, bm_error *err);
    /* BM_OK when the object exists, BM_ENOTFOUND when not (NULL: ask list() instead) */
    int (*exists)(const target *t, bm_error *err);
} backend;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int file_list(const target *t, int dirs, size_t max, bm_strlist *out, bm_error *err)
{
    int fd = open_target(t, t->rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return BM_OK;
        return open_error(t, errno, "list", err);
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return open_error(t, errno, "list", err);
    }
    int r = BM_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue; /* hidden and temporary files */
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, 0) != 0) continue;
        if (dirs == 1 ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) continue;
        if (out->n >= max) {
            bm_error_at(err, t->path, 0, 0, NULL);
            r = bm_error_set(err, BM_ELIMIT, "more than %zu entries", max);
            break;
        }
        char stamped[600];
        const char *name = e->d_name;
        if (dirs == 3) { /* NAME\tSIZE\tMTIME.NS:INODE: what identifies this version */
            int w = snprintf(stamped, sizeof(stamped), "%s\t%lld\t%lld.%09ld:%llu", e->d_name,
                             (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                             st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
            if (w < 0 || (size_t)w >= sizeof(stamped)) continue;
            name = stamped;
        }
        if (bm_strlist_push(out, name, strlen(name))) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            break;
        }
    }
    closedir(d);
    if (!r && out->n > 1) qsort(out->v, out->n, sizeof(char *), cmp_str);
    return r;
}

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m)                 ? "a directory"
           : S_ISFIFO(m)              ? "a FIFO"
           : S_ISCHR(m) || S_ISBLK(m) ? "a device"
           : S_ISSOCK(m)              ? "a socket"
                                      : "special";
}

/* Objects are regular files: a FIFO, device or directory is refused before anything is read
 * from it (O_NONBLOCK: opening a FIFO does not wait for a writer). */
static int file_open(const target *t, int *fd, bm_error *err)
{
    *fd = open_target(t, t->rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (*fd < 0) return open_error(t, errno, "open", err);
    struct stat st;
    int r = BM_OK;
    if (fstat(*fd, &st) != 0) {
        r = open_error(t, errno, "open", err);
    } else if (!S_ISREG(st.st_mode)) {
        bm_error_at(err, t->path, 0, 0, NULL);
        r = bm_error_set(
            err, BM_EIO,
            "not a regular file (it is %s): biasmon reads objects from regular files only",
            kind_of(st.st_mode));
    } else {
        int fl = fcntl(*fd, F_GETFL);
        if (fl < 0 || fcntl(*fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
            r = open_error(t, errno, "open", err);
    }
    if (r) {
        close(*fd);
        *fd = -1;
    }
    return r;
}

/* Opens the directory of t's object (creating it and its parents when create), beneath the root
 * when confined; *name is the object's last path part. */
static int open_parent(const target *t, int create, int *dfd, const char **name, bm_error *err)
{
    char rel[4096];
    snprintf(rel, sizeof(rel), "%s", t->rel);
    char *slash = strrchr(rel, '/');
    *name = t->rel + (slash ? (size_t)(slash - rel) + 1 : 0);
    if (!**name || !strcmp(*name, ".")) {
        bm_error_at(err, t->path, 0, 0, NULL);
        return bm_error_set(err, BM_EINVAL, "names a folder, not an object");
    }
    if (slash) *slash = 0;
    const char *dir = slash ? (rel[0] ? rel : "/") : ".";
    if (!t->rt) {
        if (create && bm_mkdirs(dir, err)) return err->code;
        if ((*dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            return open_error(t, errno, "open its folder", err);
        return BM_OK;
    }
    /* confined: each part is opened beneath the root, and made in the folder just opened */
    int cur = open_beneath(t->rt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cur < 0) return open_error(t, errno, "open its folder", err);
    char *p = slash ? rel : NULL;
    while (p && *p) {
        char *e = strchr(p, '/');
        if (e) *e = 0;
        int next = open_beneath(t->rt, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && create) {
            if (mkdirat(cur, p, 0755) != 0 && errno != EEXIST) {
                int en = errno;
                close(cur);
                return open_error(t, en, "create its folder", err);
            }
            next = open_beneath(t->rt, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (next < 0) {
            int en = errno;
            close(cur);
            return open_error(t, en, "open its folder", err);
        }
        close(cur);
        cur = next;
        if (e) *e = '/';
        p = e ? e + 1 : NULL;
    }
    *dfd = cur;
    return BM_OK;
}

static int file_write(const target *t, const void *data, size_t len, bm_error *err)
{
    int dfd;
    const char *name;
    int r = open_parent(t, 1, &dfd, &name, err);
    if (r) return r;
    r = bm_write_file_atomic_at(dfd, name, t->path, data, len, err);
    close(dfd);
    return r;
}

static int file_remove(const target *t, bm_error *err)
{
    int dfd;
    const char *name;
    int r = open_parent(t, 0, &dfd, &name, err);
    if (r) return r == BM_ENOTFOUND ? BM_OK : r;
    if (unlinkat(dfd, name, 0) != 0 && errno != ENOENT) r = open_error(t, errno, "remove", err);
    close(dfd);
    return r;
}

/* ---- s3:// (lib/store/s3.c): t->path is "bucket/key" ---- */

static int s3_list(const target *t, int dirs, size_t max, bm_strlist *out, bm_error *err)
{
    return bm__s3_list(t->path, dirs, max, out, err);
}

static int s3_list_range(const target *t, const char *from, const char *to, size_t max,
                         bm_strlist *out, bm_error *err)
{
    return bm__s3_list_range(t->path, from, to, max, out, err);
}

static int s3_write(const target *t, const void *data, size_t len, bm_error *err)
{
    return bm__s3_write(t->path, data, len, err);
}

static int s3_remove(const target *t, bm_error *err)
{
    return bm__s3_remove(t->path, err);
}

static int s3_read(const target *t, size_t max, bm_buf *out, bm_error *err)
{
    return bm__s3_read(t->path, max, out, err);
}

static bm__s3_reader *s3_reader(const target *t, bm_error *err)
{
    return bm__s3_reader_open(t->path, err);
}

static int s3_exists(const target *t, bm_error *err)
{
    uint64_t size;
    return bm__s3_size(t->path, &size, err);
}

static const backend backends[] = {
    {"file", file_list, NULL, file_open, file_write, file_remove, NULL, NULL, NULL},
    {"s3", s3_list, s3_list_range, NULL, s3_write, s3_remove, s3_read, s3_reader, s3_exists},
};

/* Finds the back-end of uri and where the object is; when confined, checks the syntax and root. */
static const backend *resolve(const char *uri, target *t, bm_error *err)
{
    const backend *b = NULL;
    const char *colon = strstr(uri, "://");
    if (!colon) {
        if (snprintf(t->path, sizeof(t->path), "%s", uri) >= (int)sizeof(t->path)) goto toolong;
        b = &backends[0];
    } else {
        size_t sl = (size_t)(colon - uri);
        for (size_t k = 0; k < sizeof(backends) / sizeof(backends[0]) && !b; k++) {
            if (strlen(backends[k].scheme) != sl || strncmp(uri, backends[k].scheme, sl)) continue;
            const char *rest = colon + 3;
            if (!strcmp(backends[k].scheme, "file")) {
                if (!strncmp(rest, "localhost/", 10)) rest += 9;
                if (*rest != '/') {
                    bm_error_set(err, BM_EINVAL,
                                 "file:// URIs need an absolute path (file:///dir): %.300s", uri);
                    return NULL;
                }
            }
            if (snprintf(t->path, sizeof(t->path), "%s", rest) >= (int)sizeof(t->path))
                goto toolong;
            b = &backends[k];
        }
        if (!b) {
            bm_error_set(err, confined ? BM_EINVAL : BM_ENOTFOUND,
                         "no storage back-end for \"%.*s://\" (%.300s): biasmon reads and writes "
                         "local paths, "
                         "file:// and s3:// URIs",
                         (int)(sl < 40 ? sl : 40), uri, uri);
            return NULL;
        }
    }
    t->rt = NULL;
    t->rel = t->path;
    if (!confined || !b->open) return b; /* confinement is of the local file system */
    if (check_syntax(t->path, uri, err)) return NULL;
    if (!(t->rt = find_root(t->path, &t->rel))) {
        bm_error_at(err, t->path, 0, 0, NULL);
        denied(err, t->path, "is outside");
        return NULL;
    }
    return b;
toolong:
    bm_error_set(err, BM_ELIMIT, "URI too long: %.100s...", uri);
    return NULL;
}

int bm_store_check(const char *uri, bm_error *err)
{
    target t;
    if (!resolve(uri, &t, err)) return err->code;
    if (!t.rt) return BM_OK;
    /* the part of the path that exists must not lead out of the root through a link */
    char rel[4096];
    snprintf(rel, sizeof(rel), "%s", t.rel);
    for (int guard = 0; guard < 4096; guard++) {
        int fd = open_beneath(t.rt, rel, O_PATH | O_CLOEXEC);
        if (fd >= 0) {
            close(fd);
            return BM_OK;
        }
        if (errno == EXDEV || errno == ELOOP) return open_error(&t, errno, "open", err);
        if (errno != ENOENT) return BM_OK; /* ENOTDIR, EACCES...: the run will say */
        char *slash = strrchr(rel, '/');
        if (!slash) return BM_OK;
        *slash = 0;
    }
    return BM_OK;
}

int bm_store_local_path(const char *uri, char *out, size_t outlen, bm_error *err)
{
    target t;
    const backend *b = resolve(uri, &t, err);
    if (!b) return err->code;
    if (!b->open)
        return bm_error_set(err, BM_ENOTFOUND, "%.300s is not on the local file system", uri);
    if (snprintf(out, outlen, "%s", t.path) >= (int)outlen)
        return bm_error_set(err, BM_ELIMIT, "path too long");
    return BM_OK;
}

int bm_store_list(const char *prefix, int dirs, size_t max, bm_strlist *out, bm_error *err)
{
    target t;
    const backend *b = resolve(prefix, &t, err);
    if (!b) return err->code;
    return b->list(&t, dirs, max, out, err);
}

int bm_store_list_stamped(const char *prefix, size_t max, bm_strlist *out, bm_error *err)
{
    target t;
    const backend *b = resolve(prefix, &t, err);
    if (!b) return err->code;
    return b->list(&t, 3, max, out, err);
}

int bm_store_list_range(const char *prefix, const char *from, const char *to, size_t max,
                        bm_strlist *out, bm_error *err)
{
    target t;
    const backend *b = resolve(prefix, &t, err);
    if (!b) return err->code;
    if (b->list_range) return b->list_range(&t, from, to, max, out, err);
    bm_strlist dirs = {0};
    int r = b->list(&t, 1, max, &dirs, err);
    for (size_t k = 0; !r && k < dirs.n; k++) {
        if (strcmp(dirs.v[k], from) < 0 || strcmp(dirs.v[k], to) > 0) continue;
        char sub[4096], entry[4096];
        bm_strlist files = {0};
        target st;
        if (bm_uri_join(prefix, dirs.v[k], sub, sizeof(sub))) {
            r = bm_error_set(err, BM_ELIMIT, "%.300s/%.200s is too long", prefix, dirs.v[k]);
        } else if (resolve(sub, &st, err)) {
            r = b->list(&st, 0, max - out->n, &files, err);
            for (size_t f = 0; !r && f < files.n; f++) {
                int n = snprintf(entry, sizeof(entry), "%s/%s", dirs.v[k], files.v[f]);
                if (n < 0 || (size_t)n >= sizeof(entry))
                    r = bm_error_set(err, BM_ELIMIT, "%.300s/%.200s is too long", sub, files.v[f]);
                else if (out->n >= max)
                    r = bm_error_set(err, BM_ELIMIT, "more than %zu entries", max);
                else if (bm_strlist_push(out, entry, (size_t)n))
                    r = bm_error_set(err, BM_ENOMEM, "out of memory");
            }
        } else {
            r = err->code;
        }
        bm_strlist_release(&files);
    }
    bm_strlist_release(&dirs);
    return r;
}

int bm_store_open_fd(const char *uri, int *fd, bm_error *err)
{
    target t;
    const backend *b = resolve(uri, &t, err);
    *fd = -1;
    if (!b) return err->code;
    if (!b->open)
        return bm_error_set(err, BM_EINVAL, "%.300s is not on the local file system", uri);
    return b->open(&t, fd, err);
}

int bm_store_read(const char *uri, size_t max, bm_buf *out, bm_error *err)
{
    target t;
    const backend *b = resolve(uri, &t, err);
    if (!b) return err->code;
    if (b->read) return b->read(&t, max, out, err);
    int fd, r = bm_store_open_fd(uri, &fd, err);
    if (r) return r;
    r = bm_file_read_fd(fd, uri, max, out, err);
    close(fd);
    return r;
}

int bm_store_write(const char *uri, const void *data, size_t len, bm_error *err)
{
    target t;
    const backend *b = resolve(uri, &t, err);
    if (!b) return err->code;
    return b->write(&t, data, len, err);
}

int bm_store_resolve_one(const char *uri, char *out, size_t outlen, bm_error *err)
{
    target t;
    const backend *b = resolve(uri, &t, err);
    if (!b) return err->code;
    /* an object that exists is itself (one HEAD; a listing only for a prefix); when HEAD fails
     * otherwise, the object's reader will say why better than a HEAD answer, which has no body */
    if (b->exists && b->exists(&t, err) != BM_ENOTFOUND) {
        bm_error_clear(err);
        if (strlen(uri) >= outlen) return bm_error_set(err, BM_ELIMIT, "%.300s is too long", uri);
        memcpy(out, uri, strlen(uri) + 1);
        return BM_OK;
    }
    bm_error_clear(err);
    bm_strlist l = {0};
    int r = bm_store_list(uri, 0, 1000, &l, err);
    if (r == BM_ELIMIT)
        r = bm_error_set(err, BM_EDATA, "%.300s holds more than 1000 objects; biasmon reads one",
                         uri);
    if (!r && l.n > 1)
        r = bm_error_set(
            err, BM_EDATA,
            "%.300s holds %zu objects (%.200s, %.200s%s); biasmon reads one object per input: "
            "name the object itself or a folder that holds only it",
            uri, l.n, l.v[0], l.v[1], l.n > 2 ? ", ..." : "");
    if (!r && l.n == 1) {
        if (bm_uri_join(uri, l.v[0], out, outlen))
            r = bm_error_set(err, BM_ELIMIT, "%.300s/%.200s is too long", uri, l.v[0]);
    } else if (!r) { /* not a folder with objects: the object itself, which its reader will find or
                        not */
        if (strlen(uri) >= outlen)
            r = bm_error_set(err, BM_ELIMIT, "%.300s is too long", uri);
        else
            memcpy(out, uri, strlen(uri) + 1);
    }
    bm_strlist_release(&l);
    return r;
}

int bm_store_remove(const char *uri, bm_error *err)
{
    target t;
    const backend *b = resolve(uri, &t, err);
    if (!b) return err->code;
    return b->remove(&t, err);
}

struct bm_store_reader {
    int fd;            /* a local object, else -1 */
    bm__s3_reader *s3; /* an object in S3 */
    char path[4096];
};

bm_store_reader *bm_store_reader_open(const char *uri, bm_error *err)
{
    target t;
    const backend *b = resolve(uri, &t, err);
    if (!b) return NULL;
    bm_store_reader *r = bm_calloc(1, sizeof(*r));
    if (!r) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(r->path, sizeof(r->path), "%s", uri);
    r->fd = -1;
    if (b->reader ? !(r->s3 = b->reader(&t, err)) : bm_store_open_fd(uri, &r->fd, err) != BM_OK) {
        bm_free(r);
        return NULL;
    }
    return r;
}

long bm_store_reader_read(bm_store_reader *r, void *buf, size_t n, bm_error *err)
{
    if (r->s3) return bm__s3_reader_read(r->s3, buf, n, err);
    for (;;) {
        ssize_t k = read(r->fd, buf, n);
        if (k >= 0) return (long)k;
        if (errno == EINTR) continue;
        bm_error_at(err, r->path, 0, 0, NULL);
        bm_error_set(err, BM_EIO, "read error: %s", strerror(errno));
        return -1;
    }
}

char *bm_store_reader_take_all(bm_store_reader *r, size_t *len)
{
    *len = 0;
    return r->s3 ? bm__s3_reader_take(r->s3, len) : NULL;
}

int bm_store_reader_size(bm_store_reader *r, uint64_t *size)
{
    *size = 0;
    if (r->s3) return bm__s3_reader_size(r->s3, size);
    struct stat st;
    if (fstat(r->fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 0) return BM_ENOTFOUND;
    *size = (uint64_t)st.st_size;
    return BM_OK;
}

void bm_store_reader_close(bm_store_reader *r)
{
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    bm__s3_reader_close(r->s3);
    bm_free(r);
}

int bm_store_is_local(const char *uri)
{
    const char *colon = strstr(uri, "://");
    return !colon || ((size_t)(colon - uri) == 4 && !strncmp(uri, "file", 4));
}

int bm_store_local_copy(const char *uri, char *out, size_t outlen, int *temporary, bm_error *err)
{
    *temporary = 0;
    if (bm_store_is_local(uri)) return bm_store_local_path(uri, out, outlen, err);
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    if (snprintf(out, outlen, "%s/biasmon-object-XXXXXX", dir) >= (int)outlen)
        return bm_error_set(err, BM_ELIMIT, "TMPDIR path too long");
    bm_store_reader *r = bm_store_reader_open(uri, err);
    if (!r) return err->code ? err->code : BM_EIO;
    int fd = mkostemp(out, O_CLOEXEC), rc = BM_OK;
    if (fd < 0) {
        int e = errno;
        bm_store_reader_close(r);
        bm_error_at(err, dir, 0, 0, NULL);
        return bm_error_set(err, BM_EIO, "cannot make a temporary copy of %.300s: %s", uri,
                            strerror(e));
    }
    *temporary = 1;
    char *chunk = bm_malloc(1u << 20);
    if (!chunk) rc = bm_error_set(err, BM_ENOMEM, "out of memory");
    while (!rc) {
        long n = bm_store_reader_read(r, chunk, 1u << 20, err);
        if (n < 0) rc = err->code ? err->code : BM_EIO;
        if (n <= 0) break;
        for (long o = 0; !rc && o < n;) {
            ssize_t w = write(fd, chunk + o, (size_t)(n - o));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                bm_error_at(err, out, 0, 0, NULL);
                rc = bm_error_set(err, BM_EIO, "cannot write a temporary copy of %.300s: %s", uri,
                                  strerror(errno));
            } else {
                o += w;
            }
        }
    }
    bm_free(chunk);
    bm_store_reader_close(r);
    if (close(fd) != 0 && !rc)
        rc = bm_error_set(err, BM_EIO, "cannot write a temporary copy of %.300s", uri);
    if (rc) {
        unlink(out);
        *temporary = 0;
    }
    return rc;
}
