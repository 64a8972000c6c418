/* Pre-signs API requests of biasmon serve for load generators that cannot sign (wrk: its LuaJIT
 * has no HMAC-SHA256). A SigV4 signature stays valid while X-Amz-Date is within 15 minutes of the
 * server's clock, so requests signed once can be replayed for a short benchmark.
 *
 * usage: sign_request --data-dir DIR --host HOST:PORT --target TARGET [--region REGION] [--time
 * EPOCH]
 *
 * Reads request bodies from stdin, one JSON body per line, and writes one line per body:
 *     X-Amz-Date value <TAB> Authorization value <TAB> body
 * The signed headers are host (exactly HOST:PORT, which the client must send as its Host header),
 * content-type (application/x-amz-json-1.1), x-amz-target (TARGET, e.g.
 * SageMaker.DescribeMonitoringSchedule) and x-amz-date, as `biasmon call` signs them. The keys come
 * from DIR/credentials (bm_credentials_load), the region defaults to us-east-1 and the time to now.
 * bench/bench_serve.sh uses it for the signed wrk run. Exit status 0, 2 for a bad command line,
 * 3 when the credentials cannot be read or a request cannot be signed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "biasmon/sigv4.h"

static int usage(void)
{
    fputs(
        "usage: sign_request --data-dir DIR --host HOST:PORT --target TARGET [--region REGION] "
        "[--time EPOCH]\n"
        "  stdin: one JSON body per line; stdout: X-Amz-Date<TAB>Authorization<TAB>body per line\n",
        stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *host = NULL, *target = NULL, *region = "us-east-1";
    long long when = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) return usage();
        if (!strcmp(a, "--data-dir"))
            dir = argv[++i];
        else if (!strcmp(a, "--host"))
            host = argv[++i];
        else if (!strcmp(a, "--target"))
            target = argv[++i];
        else if (!strcmp(a, "--region"))
            region = argv[++i];
        else if (!strcmp(a, "--time"))
            when = strtoll(argv[++i], NULL, 10);
        else
            return usage();
    }
    if (!dir || !host || !target) return usage();
    if (!when) when = (long long)time(NULL);

    char id[160], secret[160];
    bm_error err;
    bm_error_clear(&err);
    if (bm_credentials_load(dir, id, sizeof(id), secret, sizeof(secret), &err)) {
        fprintf(stderr, "sign_request: %s\n", err.msg);
        return 3;
    }
    bm_sigv4_key key = {id, secret};
    size_t cap = 1 << 20;
    char *line = malloc(cap);
    if (!line) return 3;
    long n = 0;
    while (fgets(line, (int)cap, stdin)) {
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (!len) continue;
        bm_http_header hs[3] = {{"host", host},
                                {"content-type", "application/x-amz-json-1.1"},
                                {"x-amz-target", target}};
        bm_sigv4_request req = {"POST", "/", "", hs, 3, line, len};
        char date[32], auth[1024];
        int rc = bm_sigv4_sign(&req, &key, region, "sagemaker", (int64_t)when, date, sizeof(date),
                               auth, sizeof(auth));
        if (rc) {
            fprintf(stderr, "sign_request: cannot sign request %ld (status %d)\n", n + 1, rc);
            free(line);
            return 3;
        }
        printf("%s\t%s\t%s\n", date, auth, line);
        n++;
    }
    memset(secret, 0, sizeof(secret));
    free(line);
    return fflush(stdout) ? 3 : 0;
}
