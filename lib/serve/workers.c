/* biasmon serve's worker processes: a bounded pool of fork/exec children (`biasmon execute`,
 * `biasmon analyze`) that the scheduler and the processing jobs start, and a worker's last words.
 * The child path between fork and exec is async-signal-safe. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>
#include "serve/internal.h"

int bm__workers_running(bm_service *s)
{
    int c = 0;
    for (int k = 0; k < BM__MAX_WORKERS; k++)
        c += s->workers[k].pid != 0;
    return c;
}

int bm__workers_free(bm_service *s)
{
    int limit = s->cfg.workers > 0 ? s->cfg.workers : 1;
    if (limit > BM__MAX_WORKERS) limit = BM__MAX_WORKERS;
    int n = limit - bm__workers_running(s);
    return n > 0 ? n : 0;
}

bm__worker *bm__worker_start(bm_service *s, char *const argv[], const char *log_path, char *why,
                             size_t n)
{
    int slot = -1;
    for (int k = 0; k < BM__MAX_WORKERS && slot < 0; k++)
        if (!s->workers[k].pid) slot = k;
    if (slot < 0) {
        snprintf(why, n, "no free worker slot");
        return NULL;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) { /* child: async-signal-safe calls only, then exec */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) dup2(nul, 0);
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0) {
        snprintf(why, n, "cannot start a worker process: %s", strerror(errno));
        return NULL;
    }
    bm__worker *w = &s->workers[slot];
    memset(w, 0, sizeof(*w));
    w->pid = pid;
    w->started_real = bm__mono();
    return w;
}

void bm__worker_last_word(const char *path, char *out, size_t n)
{
    char tail[4096];
    out[0] = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0) return;
    ssize_t got = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        off_t at = st.st_size > (off_t)sizeof(tail) - 1 ? st.st_size - (off_t)sizeof(tail) + 1 : 0;
        got = pread(fd, tail, sizeof(tail) - 1, at);
    }
    close(fd);
    if (got <= 0) return;
    tail[got] = 0;
    const char *line = NULL;
    for (const char *p = tail; (p = strstr(p, "biasmon: ")) != NULL; p++)
        if (p == tail || p[-1] == '\n') line = p + 9;
    if (!line) return;
    size_t k = 0;
    for (; line[k] && line[k] != '\n' && k + 1 < n; k++)
        out[k] = (unsigned char)line[k] < 0x20 || line[k] == 0x7f ? '?' : line[k];
    out[k] = 0;
}
