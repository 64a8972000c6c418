/* Local files written whole or not at all (temporary name, fsync, rename), and mkdir -p. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "biasmon/store.h"

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
    return S_ISLNK(m)                 ? "a symbolic link"
           : S_ISDIR(m)               ? "a directory"
           : S_ISFIFO(m)              ? "a FIFO"
           : S_ISCHR(m) || S_ISBLK(m) ? "a device"
           : S_ISSOCK(m)              ? "a socket"
                                      : "not a regular file";
}

int bm_write_file_atomic_at(int dfd, const char *name, const char *shown, const void *data,
                            size_t len, bm_error *err)
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
        return bm_error_set(err, BM_EIO,
                            "cannot write: the destination is %s, not a regular file; "
                            "biasmon replaces regular files only",
                            file_kind(st.st_mode));
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
