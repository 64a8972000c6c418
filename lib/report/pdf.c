/* report.pdf: report.html printed by headless Chromium (Debian's chromium), run as a child process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "biasmon/reportdoc.h"

extern char **environ;

#define PDF_MAX ((size_t)64 << 20)

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) ? 0 : 0; /* best effort: keep going */
}

static int write_all(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return close(fd);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int bm_report_pdf(const char *renderer, const void *html, size_t len, int timeout_s, bm_buf *out,
                  bm_error *err)
{
    const char *tmp = getenv("TMPDIR");
    char dir[512], page[600], pdf[600], profile[600], print[640], url[640], user[640];
    if (!tmp || !tmp[0] || strlen(tmp) > 400) tmp = "/tmp";
    snprintf(dir, sizeof(dir), "%s/biasmon-pdf-XXXXXX", tmp);
    if (!mkdtemp(dir))
        return bm_error_set(err, BM_EIO, "cannot create a folder under %s for the PDF: %s", tmp,
                            strerror(errno));
    snprintf(page, sizeof(page), "%s/report.html", dir);
    snprintf(pdf, sizeof(pdf), "%s/report.pdf", dir);
    snprintf(profile, sizeof(profile), "%s/profile", dir);
    snprintf(print, sizeof(print), "--print-to-pdf=%s", pdf);
    snprintf(url, sizeof(url), "file://%s", page);
    snprintf(user, sizeof(user), "--user-data-dir=%s", profile);
    int rc = BM_OK;
    pid_t pid = -1;
    if (write_all(page, html, len)) {
        rc = bm_error_set(err, BM_EIO, "cannot write %s: %s", page, strerror(errno));
        goto out;
    }
    /* no sandbox only where Chromium refuses to start with one (as root); the page is our own,
     * escaped, and its Content-Security-Policy allows no script and no fetch */
    const char *argv[16];
    int a = 0;
    argv[a++] = renderer;
    argv[a++] = "--headless";
    argv[a++] = "--disable-gpu";
    argv[a++] = "--no-first-run";
    argv[a++] = "--no-default-browser-check";
    argv[a++] = "--disable-extensions";
    argv[a++] = "--disable-background-networking";
    argv[a++] = "--no-pdf-header-footer";
    argv[a++] = user;
    argv[a++] = print;
    if (geteuid() == 0) argv[a++] = "--no-sandbox";
    argv[a++] = url;
    argv[a] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_setpgroup(&at, 0); /* its own group: a timeout ends all of its processes */
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    int e = posix_spawn(&pid, renderer, &fa, &at, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (e) {
        pid = -1;
        rc = bm_error_set(err, BM_EIO, "cannot run %s to print the PDF: %s", renderer, strerror(e));
        goto out;
    }
    int status = 0;
    double deadline = now() + (timeout_s > 0 ? timeout_s : 120);
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) {
            rc = bm_error_set(err, BM_EINTERNAL, "waiting for %s: %s", renderer, strerror(errno));
            goto out;
        }
        if (now() > deadline) {
            kill(-pid, SIGKILL);
            (void)waitpid(pid, &status, 0);
            pid = -1;
            rc = bm_error_set(err, BM_EIO, "%s did not print the PDF within %d s", renderer,
                              timeout_s > 0 ? timeout_s : 120);
            goto out;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        rc = bm_error_set(err, BM_EIO, "%s failed printing the PDF (%s %d)", renderer,
                          WIFEXITED(status) ? "exit status" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        goto out;
    }
    int fd = open(pdf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        rc = bm_error_set(err, BM_EIO, "%s wrote no PDF", renderer);
        goto out;
    }
    size_t start = out->len;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = bm_error_set(err, BM_EIO, "cannot read the printed PDF: %s", strerror(errno));
            break;
        }
        if (n == 0) break;
        if (out->len - start + (size_t)n > PDF_MAX) {
            rc = bm_error_set(err, BM_ELIMIT, "the PDF is larger than %zu bytes", PDF_MAX);
            break;
        }
        if ((rc = bm_buf_append(out, buf, (size_t)n))) {
            bm_error_set(err, rc, "out of memory reading the PDF");
            break;
        }
    }
    close(fd);
    if (!rc && (out->len - start < 5 || memcmp(out->data + start, "%PDF-", 5)))
        rc = bm_error_set(err, BM_EIO, "%s wrote something that is not a PDF", renderer);
out:
    if (pid > 0) {
        kill(-pid, SIGKILL);
        (void)waitpid(pid, NULL, 0);
    }
    (void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
