/* The whole-file reader (biasmon/file.h): bounded, errors name the file, nothing half-appended. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "biasmon/file.h"

/* "16 MiB", "256 KiB" or "1000 bytes": a bound the way a person writes it. */
static void size_text(size_t n, char *out, size_t cap)
{
    if (n >= (1u << 20) && n % (1u << 20) == 0)
        snprintf(out, cap, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, cap, "%zu KiB", n >> 10);
    else
        snprintf(out, cap, "%zu bytes", n);
}

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m)                 ? "a directory"
           : S_ISFIFO(m)              ? "a FIFO"
           : S_ISCHR(m) || S_ISBLK(m) ? "a device"
           : S_ISSOCK(m)              ? "a socket"
                                      : "not a regular file";
}

int bm_file_read_fd(int fd, const char *shown, size_t max, bm_buf *out, bm_error *err)
{
    size_t start = out->len, total = 0;
    char chunk[65536];
    int r = BM_OK;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            bm_error_at(err, shown, 0, 0, NULL);
            r = bm_error_set(err, BM_EIO, "cannot read: %s", strerror(e));
            break;
        }
        if (n == 0) break;
        if ((size_t)n > max - total) {
            char lim[32];
            size_text(max, lim, sizeof(lim));
            bm_error_at(err, shown, 0, 0, NULL);
            r = bm_error_set(err, BM_ELIMIT,
                             "larger than %s, more than biasmon reads for this file", lim);
            break;
        }
        total += (size_t)n;
        if ((r = bm_buf_append(out, chunk, (size_t)n)) != BM_OK) {
            bm_error_at(err, shown, 0, 0, NULL);
            if (r == BM_ELIMIT)
                bm_error_set(err, r, "larger than the memory allowed for it");
            else
                bm_error_set(err, r, "out of memory");
            break;
        }
    }
    if (r) out->len = start; /* nothing half-appended */
    if (out->data && out->len < out->cap) out->data[out->len] = 0;
    return r;
}

int bm_file_read(const char *path, size_t max, bm_buf *out, bm_error *err)
{
    /* O_NONBLOCK: opening a FIFO does not wait for a writer; cleared once it is a regular file */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        bm_error_at(err, path, 0, 0, NULL);
        return bm_error_set(err, e == ENOENT ? BM_ENOTFOUND : BM_EIO, "cannot open: %s",
                            strerror(e));
    }
    struct stat st;
    int r = BM_OK, fl;
    if (fstat(fd, &st) != 0 || (fl = fcntl(fd, F_GETFL)) < 0) {
        int e = errno;
        bm_error_at(err, path, 0, 0, NULL);
        r = bm_error_set(err, BM_EIO, "cannot open: %s", strerror(e));
    } else if (!S_ISREG(st.st_mode)) {
        bm_error_at(err, path, 0, 0, NULL);
        r = bm_error_set(err, BM_EIO, "cannot read: it is %s, not a regular file",
                         kind_of(st.st_mode));
    } else if (fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int e = errno;
        bm_error_at(err, path, 0, 0, NULL);
        r = bm_error_set(err, BM_EIO, "cannot open: %s", strerror(e));
    } else {
        r = bm_file_read_fd(fd, path, max, out, err);
    }
    close(fd);
    return r;
}
