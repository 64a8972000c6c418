/* The store's S3 back-end: GetObject, ListObjectsV2, PutObject, DeleteObject over libcurl, SigV4.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include "biasmon/file.h"
#include "biasmon/sigv4.h"
#include "store/s3.h"

#define MAX_ERROR_BODY (64u << 10)
#define MAX_LIST_BODY (16u << 20)
#define MAX_URL 6144
#define MAX_PAGES 100000
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ==================================================================================== */
/* Configuration                                                                        */
/* ==================================================================================== */

typedef struct conf {
    char scheme[8]; /* "http" or "https" */
    char host[512]; /* the endpoint's host[:port], the Host header of path-style requests */
    char base[512]; /* a path the endpoint itself has ("" or "/x"), without a trailing '/' */
    int path_style; /* a custom endpoint: endpoint/bucket/key */
    char region[64];
    char id[256], secret[256], token[4096];
    int attempts;
} conf;

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Copies the trimmed text of [p, e) into out; 0 when it did not fit. */
static int copy_trimmed(const char *p, const char *e, char *out, size_t n)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    if ((size_t)(e - p) >= n) return 0;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = 0;
    return 1;
}

/* The profile's keys from the shared credentials file (an INI file: [profile] then key = value). */
static int read_credentials_file(conf *c, bm_error *err)
{
    char path[4096];
    const char *f = env("AWS_SHARED_CREDENTIALS_FILE"), *home = env("HOME");
    if (f)
        snprintf(path, sizeof(path), "%s", f);
    else if (home)
        snprintf(path, sizeof(path), "%s/.aws/credentials", home);
    else
        return BM_OK;
    const char *profile = env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
    if (!strcmp(path, "/dev/null")) return BM_OK; /* the usual way to say "no such file" */
    /* the buffer is allocated whole before reading, so no copy of the keys is left behind by a
     * reallocation; it is wiped before it is freed */
    static const size_t cap = 256u << 10;
    bm_buf b;
    bm_buf_init(&b, cap);
    if (!(b.data = bm_malloc(cap + 1))) return bm_error_set(err, BM_ENOMEM, "out of memory");
    b.cap = cap + 1;
    bm_error fe;
    bm_error_clear(&fe);
    int r = bm_file_read(path, cap, &b, &fe);
    if (r == BM_ENOTFOUND && !f) { /* no file where AWS's tools look by default */
        r = BM_OK;
    } else if (r) {
        bm_error_at(err, path, 0, 0, NULL);
        bm_error_set(err, r = r == BM_ENOMEM ? r : BM_EINVAL,
                     "cannot read the AWS shared credentials file: %s", fe.msg);
    }
    char *text = b.data;
    size_t len = r ? 0 : b.len;
    if (r) {
        OPENSSL_cleanse(b.data, b.cap);
        bm_buf_release(&b);
        return r;
    }
    text[len] = 0;
    int in = 0;
    char id[256] = "", secret[256] = "", token[4096] = "";
    for (char *p = text; p < text + len;) {
        char *e = memchr(p, '\n', (size_t)(text + len - p));
        if (!e) e = text + len;
        char *s = p;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        if (s < e && *s == '[') {
            char name[256];
            char *close_br = memchr(s, ']', (size_t)(e - s));
            in = close_br && copy_trimmed(s + 1, close_br, name, sizeof(name)) &&
                 !strcmp(name, profile);
        } else if (in && s < e && *s != '#' && *s != ';') {
            char *eq = memchr(s, '=', (size_t)(e - s));
            char key[64];
            if (eq && copy_trimmed(s, eq, key, sizeof(key))) {
                if (!strcmp(key, "aws_access_key_id"))
                    copy_trimmed(eq + 1, e, id, sizeof(id));
                else if (!strcmp(key, "aws_secret_access_key"))
                    copy_trimmed(eq + 1, e, secret, sizeof(secret));
                else if (!strcmp(key, "aws_session_token"))
                    copy_trimmed(eq + 1, e, token, sizeof(token));
            }
        }
        p = e + 1;
    }
    OPENSSL_cleanse(b.data, b.cap);
    bm_buf_release(&b);
    if (id[0] && secret[0]) {
        memcpy(c->id, id, sizeof(id));
        memcpy(c->secret, secret, sizeof(secret));
        memcpy(c->token, token, sizeof(token));
    }
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(token, sizeof(token));
    return BM_OK;
}

static void conf_wipe(conf *c)
{
    OPENSSL_cleanse(c->secret, sizeof(c->secret));
    OPENSSL_cleanse(c->token, sizeof(c->token));
}

static int conf_load(conf *c, bm_error *err)
{
    memset(c, 0, sizeof(*c));
    const char *region = env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION");
    if (!region) region = "us-east-1";
    if (strlen(region) >= sizeof(c->region) || strpbrk(region, "/ ,=\t"))
        return bm_error_set(err, BM_EINVAL, "AWS_REGION is not a region name");
    memcpy(c->region, region, strlen(region) + 1);
    c->attempts = 4;
    const char *a = env("AWS_MAX_ATTEMPTS");
    if (a) {
        char *end;
        long v = strtol(a, &end, 10);
        if (*end || v < 1 || v > 10)
            return bm_error_set(err, BM_EINVAL, "AWS_MAX_ATTEMPTS must be 1..10");
        c->attempts = (int)v;
    }
    const char *ep =
        env("AWS_ENDPOINT_URL_S3") ? env("AWS_ENDPOINT_URL_S3") : env("AWS_ENDPOINT_URL");
    if (ep) {
        const char *which = env("AWS_ENDPOINT_URL_S3") ? "AWS_ENDPOINT_URL_S3" : "AWS_ENDPOINT_URL";
        const char *rest;
        if (!strncmp(ep, "http://", 7))
            snprintf(c->scheme, sizeof(c->scheme), "http"), rest = ep + 7;
        else if (!strncmp(ep, "https://", 8))
            snprintf(c->scheme, sizeof(c->scheme), "https"), rest = ep + 8;
        else
            return bm_error_set(err, BM_EINVAL, "%s must start with http:// or https://", which);
        size_t hl = strcspn(rest, "/?#");
        if (!hl || hl >= sizeof(c->host) || rest[hl] == '?' || rest[hl] == '#' ||
            memchr(rest, '@', hl))
            return bm_error_set(err, BM_EINVAL,
                                "%s is not an endpoint URL (scheme://host[:port][/path])", which);
        memcpy(c->host, rest, hl);
        const char *path = rest + hl;
        size_t pl = strlen(path);
        while (pl && path[pl - 1] == '/')
            pl--;
        if (pl >= sizeof(c->base) || strpbrk(path, "?# "))
            return bm_error_set(err, BM_EINVAL, "%s: path too long", which);
        memcpy(c->base, path, pl);
        c->path_style = 1;
    } else {
        snprintf(c->scheme, sizeof(c->scheme), "https");
        snprintf(c->host, sizeof(c->host), "s3.%s.amazonaws.com", c->region);
    }
    const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    if (id && secret) {
        const char *token = env("AWS_SESSION_TOKEN");
        if (strlen(id) >= sizeof(c->id) || strlen(secret) >= sizeof(c->secret) ||
            (token && strlen(token) >= sizeof(c->token)))
            return bm_error_set(err, BM_EINVAL, "AWS credentials in the environment are too long");
        memcpy(c->id, id, strlen(id) + 1);
        memcpy(c->secret, secret, strlen(secret) + 1);
        if (token) memcpy(c->token, token, strlen(token) + 1);
    } else {
        int r = read_credentials_file(c, err);
        if (r) return r;
    }
    if (!c->id[0])
        return bm_error_set(
            err, BM_EACCESS,
            "no AWS credentials for S3: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a "
            "profile "
            "in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE)");
    return BM_OK;
}

/* ==================================================================================== */
/* Addresses                                                                            */
/* ==================================================================================== */

/* Where an object is: bucket, key, and the request's host and (encoded) path. */
typedef struct loc {
    char bucket[64];
    const char *key; /* into the caller's string */
    char host[600];
    char path[4608];  /* base + "/bucket" (path-style) + "/" + encoded key */
    char shown[1100]; /* "s3://bucket/key" for messages */
    int vhost;        /* virtual-hosted: bucket.host/key */
} loc;

static int valid_bucket(const char *b, size_t n)
{
    if (n < 3 || n > 63) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = b[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
              ch == '_' || (ch >= 'A' && ch <= 'Z')))
            return 0;
    }
    return 1;
}

/* Appends s percent-encoded (unreserved bytes as they are, '/' too when keep_slash). */
static int put_uri_encoded(char *out, size_t cap, size_t *o, const char *s, size_t n,
                           int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        int plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~' ||
                    (keep_slash && ch == '/');
        if (*o + (plain ? 1 : 3) >= cap) return BM_ELIMIT;
        if (plain) {
            out[(*o)++] = (char)ch;
        } else {
            out[(*o)++] = '%';
            out[(*o)++] = hex[ch >> 4];
            out[(*o)++] = hex[ch & 15];
        }
    }
    out[*o] = 0;
    return BM_OK;
}

static int loc_make(const conf *c, const char *rest, loc *l, bm_error *err)
{
    memset(l, 0, sizeof(*l));
    snprintf(l->shown, sizeof(l->shown), "s3://%.1000s", rest);
    size_t bl = strcspn(rest, "/");
    if (!valid_bucket(rest, bl)) {
        bm_error_at(err, l->shown, 0, 0, NULL);
        return bm_error_set(
            err, BM_EINVAL,
            "not an S3 URI: s3://BUCKET/KEY with a bucket name of 3-63 letters, digits, '.', '-'");
    }
    memcpy(l->bucket, rest, bl);
    l->key = rest + bl + (rest[bl] == '/');
    size_t o = 0;
    l->vhost = !c->path_style && !memchr(l->bucket, '.', bl);
    if (l->vhost) {
        snprintf(l->host, sizeof(l->host), "%s.%s", l->bucket, c->host);
        o = (size_t)snprintf(l->path, sizeof(l->path), "/");
    } else {
        snprintf(l->host, sizeof(l->host), "%s", c->host);
        o = (size_t)snprintf(l->path, sizeof(l->path), "%s/%s/", c->base, l->bucket);
    }
    if (put_uri_encoded(l->path, sizeof(l->path), &o, l->key, strlen(l->key), 1)) {
        bm_error_at(err, l->shown, 0, 0, NULL);
        return bm_error_set(err, BM_ELIMIT, "S3 key too long");
    }
    return BM_OK;
}

/* ==================================================================================== */
/* HTTP                                                                                 */
/* ==================================================================================== */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLSH *share;
static int init_failed;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

static void lock_cb(CURL *h, curl_lock_data d, curl_lock_access a, void *u)
{
    (void)h, (void)a, (void)u;
    if ((int)d >= 0 && d < CURL_LOCK_DATA_LAST) pthread_mutex_lock(&share_locks[d]);
}

static void unlock_cb(CURL *h, curl_lock_data d, void *u)
{
    (void)h, (void)u;
    if ((int)d >= 0 && d < CURL_LOCK_DATA_LAST) pthread_mutex_unlock(&share_locks[d]);
}

/* libcurl once per process, and one connection cache shared by every request of every thread. */
static void init_once(void)
{
    for (int k = 0; k < CURL_LOCK_DATA_LAST; k++)
        pthread_mutex_init(&share_locks[k], NULL);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(share = curl_share_init())) {
        init_failed = 1;
        return;
    }
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, lock_cb);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, unlock_cb);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

/* Easy handles are kept for the next request, whichever thread makes it: a handle is set up
 * once (libcurl gives each its own event loop with a socket pair, and its receive buffer), not
 * once per object. At most POOL handles wait here; the process's end frees them. */
#define POOL 16
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static CURL *pool[POOL];
static int npool;

static CURL *handle_new(bm_error *err)
{
    pthread_once(&once, init_once);
    CURL *h = NULL;
    pthread_mutex_lock(&pool_mu);
    if (npool) h = pool[--npool];
    pthread_mutex_unlock(&pool_mu);
    if (!h && !init_failed) h = curl_easy_init();
    if (!h) bm_error_set(err, BM_ENOMEM, "cannot start libcurl");
    return h;
}

/* Gives a handle back (NULL is a no-op). Its options are reset by the next perform. */
static void handle_free(CURL *h)
{
    if (!h) return;
    pthread_mutex_lock(&pool_mu);
    if (npool < POOL) pool[npool++] = h, h = NULL;
    pthread_mutex_unlock(&pool_mu);
    if (h) curl_easy_cleanup(h);
}

/* One request and its answer. */
typedef struct call {
    const conf *c;
    const loc *l;
    const char *method; /* GET HEAD PUT DELETE */
    const char *query;  /* encoded and sorted, "" for none */
    const char *range;  /* "bytes=a-b" or NULL */
    const char *if_match;
    const void *body;
    size_t body_len, body_pos;
    /* the answer */
    long status;
    bm_buf *sink; /* 2xx bodies; its max bounds them (BM_ELIMIT) */
    size_t sink_start;
    int sink_full;
    int oom; /* memory ran out for the body */
    bm_buf errbody;
    char content_range[128], etag[256];
} call;

static size_t on_body(char *p, size_t size, size_t nmemb, void *u)
{
    call *k = u;
    size_t n = size * nmemb;
    if (!k->status) k->status = 1; /* a body before any status line cannot happen with HTTP */
    if (k->status >= 200 && k->status < 300) {
        if (!k->sink) return n;
        int rc = bm_buf_append(k->sink, p, n);
        if (rc) {
            if (rc == BM_ENOMEM)
                k->oom = 1;
            else
                k->sink_full = 1;
            return 0;
        }
        return n;
    }
    size_t room = k->errbody.max - k->errbody.len;
    if (n > room) n = room; /* an error body is read up to its bound, the rest dropped */
    if (n && bm_buf_append(&k->errbody, p, n)) return 0;
    return size * nmemb;
}

static void header_value(const char *p, size_t n, size_t namelen, char *out, size_t cap)
{
    const char *v = p + namelen, *e = p + n;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
        e--;
    size_t l = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;
    memcpy(out, v, l);
    out[l] = 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *u)
{
    call *k = u;
    size_t n = size * nmemb;
    if (n >= 5 &&
        !memcmp(p, "HTTP/", 5)) { /* a new status line: an earlier 100 Continue's headers go */
        k->status = 0;
        k->content_range[0] = k->etag[0] = 0;
        const char *sp = memchr(p, ' ', n);
        if (sp && (size_t)(sp - p) + 4 <= n) k->status = strtol(sp + 1, NULL, 10);
    } else if (n > 14 && !strncasecmp(p, "content-range:", 14)) {
        header_value(p, n, 14, k->content_range, sizeof(k->content_range));
    } else if (n > 5 && !strncasecmp(p, "etag:", 5)) {
        header_value(p, n, 5, k->etag, sizeof(k->etag));
    } else if (n > 15 && !strncasecmp(p, "content-length:", 15) && k->sink && k->status >= 200 &&
               k->status < 300) {
        /* room for the whole body at once, so that it is not copied again and again as the
         * buffer doubles; a length past the sink's bound is left to on_body to refuse */
        char v[32], *end;
        header_value(p, n, 15, v, sizeof(v));
        unsigned long long cl = strtoull(v, &end, 10);
        if (v[0] >= '0' && v[0] <= '9' && !*end && cl <= SIZE_MAX &&
            bm_buf_reserve(k->sink, (size_t)cl) == BM_ENOMEM) {
            k->oom = 1;
            return 0; /* the transfer stops, as a failed append would stop it */
        }
    }
    return n;
}

static size_t on_upload(char *p, size_t size, size_t nmemb, void *u)
{
    call *k = u;
    size_t n = size * nmemb, left = k->body_len - k->body_pos;
    if (n > left) n = left;
    if (n) memcpy(p, (const char *)k->body + k->body_pos, n);
    k->body_pos += n;
    return n;
}

static int retryable_code(const char *code)
{
    static const char *const codes[] = {
        "SlowDown",   "RequestTimeout",      "InternalError",       "ServiceUnavailable",
        "Throttling", "ThrottlingException", "RequestTimeTooSkewed"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (!strcmp(code, codes[i])) return 1;
    return 0;
}

static int retryable_curl(CURLcode cc)
{
    return cc == CURLE_COULDNT_CONNECT || cc == CURLE_OPERATION_TIMEDOUT ||
           cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR || cc == CURLE_GOT_NOTHING ||
           cc == CURLE_PARTIAL_FILE || cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_HTTP2 ||
           cc == CURLE_HTTP2_STREAM;
}

/* The wait before attempt n+1 (n >= 1): 100 ms doubling, capped at 5 s, with "equal jitter". */
static void backoff(int n)
{
    long ms = 100L << (n - 1 < 6 ? n - 1 : 6);
    if (ms > 5000) ms = 5000;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)&n;
    ms = ms / 2 + (long)(rand_r(&seed) % (unsigned)(ms / 2 + 1));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int code_status(const char *code, long http)
{
    if (!strcmp(code, "NoSuchKey") || !strcmp(code, "NoSuchBucket") || !strcmp(code, "NotFound") ||
        (!code[0] && http == 404))
        return BM_ENOTFOUND;
    if (!strcmp(code, "AccessDenied") || !strcmp(code, "InvalidAccessKeyId") ||
        !strcmp(code, "SignatureDoesNotMatch") || !strcmp(code, "ExpiredToken") ||
        !strcmp(code, "InvalidToken") || !strcmp(code, "AllAccessDisabled") ||
        (!code[0] && http == 403))
        return BM_EACCESS;
    return BM_EIO;
}

/* Performs the call with retries. h is reused (its connection stays open for the next call). */
static int perform(CURL *h, call *k, bm_error *err)
{
    char url[MAX_URL], hash[65], amz_date[32], auth[1024];
    char h_host[700], h_sha[100], h_date[64], h_auth[1100], h_range[200], h_match[300],
        h_token[4200];
    int r = BM_EIO;
    bm_buf_init(&k->errbody, MAX_ERROR_BODY);
    if (k->sink) k->sink_start = k->sink->len;
    int w = snprintf(url, sizeof(url), "%s://%s%s%s%s", k->c->scheme, k->l->host, k->l->path,
                     k->query[0] ? "?" : "", k->query);
    if (w < 0 || (size_t)w >= sizeof(url)) {
        bm_error_at(err, k->l->shown, 0, 0, NULL);
        return bm_error_set(err, BM_ELIMIT, "S3 request URL too long");
    }
    if (k->body_len)
        bm_sigv4_sha256_hex(k->body, k->body_len, hash);
    else
        memcpy(hash, EMPTY_SHA256, 65);
    char last[400] = "";
    for (int attempt = 1; attempt <= k->c->attempts; attempt++) {
        if (attempt > 1) backoff(attempt - 1);
        bm_http_header hs[5];
        size_t nh = 0;
        hs[nh++] = (bm_http_header){"Host", k->l->host};
        hs[nh++] = (bm_http_header){"x-amz-content-sha256", hash};
        if (k->range) hs[nh++] = (bm_http_header){"Range", k->range};
        if (k->if_match) hs[nh++] = (bm_http_header){"If-Match", k->if_match};
        if (k->c->token[0]) hs[nh++] = (bm_http_header){"x-amz-security-token", k->c->token};
        bm_sigv4_request req = {k->method, k->l->path, k->query, hs, nh, k->body, k->body_len};
        bm_sigv4_key key = {k->c->id, k->c->secret};
        if ((r = bm_sigv4_sign_s3(&req, &key, k->c->region, (int64_t)time(NULL), amz_date,
                                  sizeof(amz_date), auth, sizeof(auth)))) {
            bm_error_at(err, k->l->shown, 0, 0, NULL);
            r = bm_error_set(err, r == BM_ENOMEM ? r : BM_EINVAL, "cannot sign the S3 request (%s)",
                             bm_strerror(r));
            break;
        }
        struct curl_slist *list = NULL, *t;
        snprintf(h_host, sizeof(h_host), "Host: %s", k->l->host);
        snprintf(h_sha, sizeof(h_sha), "x-amz-content-sha256: %s", hash);
        snprintf(h_date, sizeof(h_date), "x-amz-date: %s", amz_date);
        snprintf(h_auth, sizeof(h_auth), "Authorization: %s", auth);
        const char *lines[9] = {
            h_host, h_sha, h_date, h_auth, "Expect:", "Accept:", NULL, NULL, NULL};
        int nl = 6;
        if (k->range)
            snprintf(h_range, sizeof(h_range), "Range: %s", k->range), lines[nl++] = h_range;
        if (k->if_match)
            snprintf(h_match, sizeof(h_match), "If-Match: %s", k->if_match), lines[nl++] = h_match;
        if (k->c->token[0])
            snprintf(h_token, sizeof(h_token), "x-amz-security-token: %s", k->c->token),
                lines[nl++] = h_token;
        int oom = 0;
        for (int i = 0; i < nl && !oom; i++) {
            if (!(t = curl_slist_append(list, lines[i])))
                oom = 1;
            else
                list = t;
        }
        OPENSSL_cleanse(h_token, sizeof(h_token));
        if (oom) {
            curl_slist_free_all(list);
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            break;
        }
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_SHARE, share);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a stalled transfer ends after 30 s */
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, k);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, k);
        /* bodies arrive in pieces of up to this size: 16 times fewer receive calls and turns of
         * libcurl's loop than its default 16 KiB for objects of hundreds of KiB */
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L << 10);
        if (!strcmp(k->method, "HEAD")) {
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        } else if (!strcmp(k->method, "PUT")) {
            k->body_pos = 0;
            curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload);
            curl_easy_setopt(h, CURLOPT_READDATA, k);
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)k->body_len);
        } else if (strcmp(k->method, "GET")) {
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, k->method);
        }
        k->status = 0;
        k->sink_full = 0;
        k->oom = 0;
        k->content_range[0] = k->etag[0] = 0;
        if (k->sink) k->sink->len = k->sink_start;
        bm_buf_reset(&k->errbody);
        CURLcode cc = curl_easy_perform(h);
        curl_slist_free_all(list);
        OPENSSL_cleanse(h_auth, sizeof(h_auth));
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        bm_error_at(err, k->l->shown, 0, 0, NULL);
        if (k->oom) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            break;
        }
        if (k->sink_full) {
            r = bm_error_set(err, BM_ELIMIT, "larger than %zu bytes", k->sink->max - k->sink_start);
            break;
        }
        if (cc != CURLE_OK) {
            (void)bm_fmt_fit(last, sizeof(last), "%s://%s: %s", k->c->scheme, k->l->host,
                             curl_easy_strerror(cc));
            r = bm_error_set(err, BM_EIO, "S3 %s failed: %s (after %d attempt%s)", k->method, last,
                             attempt, attempt == 1 ? "" : "s");
            if (!retryable_curl(cc)) break;
            continue;
        }
        k->status = status;
        if (status >= 200 && status < 300) {
            r = BM_OK;
            break;
        }
        char code[64], msg[256];
        bm__s3_parse_error(k->errbody.data ? k->errbody.data : "", k->errbody.len, code,
                           sizeof(code), msg, sizeof(msg));
        if (!code[0] && status == 404) snprintf(code, sizeof(code), "%s", "NotFound");
        if (!code[0] && status == 403) snprintf(code, sizeof(code), "%s", "Forbidden");
        r = bm_error_set(err, code_status(code, status),
                         "S3 %s: %s%s%s (HTTP %ld, bucket %s, key \"%.300s\")", k->method,
                         code[0] ? code : "error", msg[0] ? ": " : "", msg, status, k->l->bucket,
                         k->l->key);
        if (!(status >= 500 || retryable_code(code))) break;
        if (attempt < k->c->attempts) continue;
        r = bm_error_set(err, BM_EIO,
                         "S3 %s: %s%s%s (HTTP %ld, bucket %s, key \"%.300s\", after %d attempts)",
                         k->method, code[0] ? code : "error", msg[0] ? ": " : "", msg, status,
                         k->l->bucket, k->l->key, attempt);
    }
    bm_buf_release(&k->errbody);
    OPENSSL_cleanse(auth, sizeof(auth));
    return r;
}

/* One request on a new handle (its connection comes from and goes back to the shared cache). */
static int simple(const char *rest, const char *method, const char *query, const void *body,
                  size_t len, bm_buf *sink, call *out, bm_error *err)
{
    conf c;
    loc l;
    int r = conf_load(&c, err);
    if (!r) r = loc_make(&c, rest, &l, err);
    CURL *h = NULL;
    if (!r && !(h = handle_new(err))) r = err->code;
    if (!r) {
        call k = {.c = &c,
                  .l = &l,
                  .method = method,
                  .query = query,
                  .body = body,
                  .body_len = len,
                  .sink = sink};
        r = perform(h, &k, err);
        if (out) *out = k;
    }
    handle_free(h);
    conf_wipe(&c);
    return r;
}

/* ==================================================================================== */
/* Operations                                                                           */
/* ==================================================================================== */

int bm__s3_read(const char *rest, size_t max, bm_buf *out, bm_error *err)
{
    size_t old = out->max;
    if (max < SIZE_MAX - out->len && out->len + max < out->max) out->max = out->len + max;
    int r = simple(rest, "GET", "", NULL, 0, out, NULL, err);
    out->max = old;
    if (r == BM_ELIMIT) r = bm_error_set(err, BM_ELIMIT, "larger than %zu bytes", max);
    return r;
}

int bm__s3_write(const char *rest, const void *data, size_t len, bm_error *err)
{
    size_t bl = strcspn(rest, "/");
    if (!rest[bl] || !rest[bl + 1] || rest[strlen(rest) - 1] == '/') {
        bm_error_at(err, rest, 0, 0, NULL);
        return bm_error_set(err, BM_EINVAL, "names a prefix, not an object");
    }
    return simple(rest, "PUT", "", data, len, NULL, NULL, err);
}

int bm__s3_remove(const char *rest, bm_error *err)
{
    int r = simple(rest, "DELETE", "", NULL, 0, NULL, NULL, err);
    return r == BM_ENOTFOUND && strstr(err->msg, "NoSuchKey") ? BM_OK : r;
}

int bm__s3_size(const char *rest, uint64_t *size, bm_error *err)
{
    conf c;
    loc l;
    *size = 0;
    int r = conf_load(&c, err);
    if (!r) r = loc_make(&c, rest, &l, err);
    CURL *h = NULL;
    if (!r && !(h = handle_new(err))) r = err->code;
    if (!r) {
        call k = {.c = &c, .l = &l, .method = "HEAD", .query = ""};
        if (!(r = perform(h, &k, err))) {
            curl_off_t cl = -1;
            curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
            *size = cl > 0 ? (uint64_t)cl : 0;
        }
    }
    handle_free(h);
    conf_wipe(&c);
    return r;
}

/* Whether entry e ("FOLDER/NAME") lies in the folders [from, to]: -1 before, 0 in, 1 after. */
static int folder_cmp(const char *e, const char *from, const char *to)
{
    size_t fl = strcspn(e, "/");
    size_t a = strlen(from), b = strlen(to);
    int c = strncmp(e, from, fl < a ? fl : a);
    if (c < 0 || (!c && fl < a)) return -1;
    c = strncmp(e, to, fl < b ? fl : b);
    if (c > 0 || (!c && fl > b)) return 1;
    return 0;
}

/* ListObjectsV2 of rest as a prefix: with from == NULL its files (dirs 0) or sub-prefixes
 * (dirs 1), delimited by '/'; with from and to, the files one folder down whose folder lies in
 * [from, to] as "FOLDER/NAME", in one listing without delimiter that starts after from and stops
 * past to. */
static int list_prefix(const char *rest, int dirs, const char *from, const char *to, size_t max,
                       bm_strlist *out, bm_error *err)
{
    conf c;
    loc l;
    int r = conf_load(&c, err);
    if (!r) r = loc_make(&c, rest, &l, err);
    CURL *h = NULL;
    if (!r && !(h = handle_new(err))) r = err->code;
    char prefix[1100], token[2048] = "", query[6000];
    bm_buf body;
    bm_buf_init(&body, MAX_LIST_BODY);
    size_t first = out->n;
    if (!r) {
        /* the listing is of a bucket-relative prefix: bucket "b", key "x/y" -> "x/y/" */
        int w = snprintf(prefix, sizeof(prefix), "%s%s", l.key,
                         l.key[0] && l.key[strlen(l.key) - 1] != '/' ? "/" : "");
        if (w < 0 || (size_t)w >= sizeof(prefix))
            r = bm_error_set(err, BM_ELIMIT, "S3 prefix too long");
        /* the request is the bucket's: "/bucket" (path-style) or "/" */
        if (l.vhost)
            snprintf(l.path, sizeof(l.path), "/");
        else
            snprintf(l.path, sizeof(l.path), "%s/%s", c.base, l.bucket);
    }
    /* pages of S3's default 1,000 keys; BIASMON_S3_MAX_KEYS (1-1000) asks for smaller ones (tests)
     */
    char page_size[8] = "";
    const char *mk = env("BIASMON_S3_MAX_KEYS");
    if (mk) {
        char *end;
        long v = strtol(mk, &end, 10);
        if (!*end && v >= 1 && v <= 1000) snprintf(page_size, sizeof(page_size), "%ld", v);
    }
    for (int page = 0; !r && page < MAX_PAGES; page++) {
        /* the query sorted by name, each part encoded, as the canonical request has it */
        static const char ct[] = "continuation-token=";
        size_t o = token[0] ? sizeof(ct) - 1 : 0;
        memcpy(query, ct, o);
        query[o] = 0;
        if (token[0] && put_uri_encoded(query, sizeof(query), &o, token, strlen(token), 0))
            r = BM_ELIMIT;
        char mid[96];
        snprintf(mid, sizeof(mid), "%s%slist-type=2%s%s&prefix=", token[0] ? "&" : "",
                 from ? "" : "delimiter=%2F&", page_size[0] ? "&max-keys=" : "", page_size);
        if (!r && o + strlen(mid) < sizeof(query)) {
            memcpy(query + o, mid, strlen(mid) + 1);
            o += strlen(mid);
        } else {
            r = BM_ELIMIT;
        }
        if (!r && put_uri_encoded(query, sizeof(query), &o, prefix, strlen(prefix), 0))
            r = BM_ELIMIT;
        if (!r && from &&
            !token[0]) { /* start-after=PREFIX+FROM: the first folder's keys come right after */
            static const char sa[] = "&start-after=";
            if (o + sizeof(sa) >= sizeof(query))
                r = BM_ELIMIT;
            else
                memcpy(query + o, sa, sizeof(sa)), o += sizeof(sa) - 1;
            if (!r && (put_uri_encoded(query, sizeof(query), &o, prefix, strlen(prefix), 0) ||
                       put_uri_encoded(query, sizeof(query), &o, from, strlen(from), 0)))
                r = BM_ELIMIT;
            if (!r) query[o] = 0;
        }
        if (r) {
            r = bm_error_set(err, BM_ELIMIT, "S3 list request too long");
            break;
        }
        bm_buf_reset(&body);
        call k = {.c = &c, .l = &l, .method = "GET", .query = query, .sink = &body};
        if ((r = perform(h, &k, err))) {
            if (r == BM_ELIMIT)
                r = bm_error_set(err, BM_ELIMIT, "S3 list answer larger than %u bytes",
                                 MAX_LIST_BODY);
            break;
        }
        int truncated = 0, past = 0;
        char next[2048];
        size_t before = out->n;
        r = bm__s3_parse_list(body.data ? body.data : "", body.len, prefix, from ? 2 : dirs, max,
                              out, &truncated, next, sizeof(next));
        if (!r && from) { /* keep the folders in [from, to]; a key past to ends the listing */
            size_t keep = before;
            for (size_t i = before; i < out->n; i++) {
                int where = folder_cmp(out->v[i], from, to);
                past |= where > 0;
                if (where)
                    bm_free(out->v[i]);
                else
                    out->v[keep++] = out->v[i];
            }
            out->n = keep;
        }
        bm_error_at(err, l.shown, 0, 0, NULL);
        if (r == BM_ELIMIT)
            r = bm_error_set(err, BM_ELIMIT, "more than %zu entries", max);
        else if (r == BM_ENOMEM)
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
        else if (r)
            r = bm_error_set(err, r, "S3 list answer is not a ListObjectsV2 result");
        if (r || !truncated || past) break;
        if (!next[0] || !strcmp(next, token)) {
            r = bm_error_set(err, BM_EIO,
                             "S3 list answer is truncated without a new continuation token");
            break;
        }
        memcpy(token, next, strlen(next) + 1);
    }
    if (!r && out->n - first > 1) {
        /* S3 lists in UTF-8 binary order already; sorted again so both back-ends agree exactly */
        for (size_t i = first + 1; i < out->n; i++) { /* insertion sort: the input is sorted */
            char *v = out->v[i];
            size_t j = i;
            while (j > first && strcmp(out->v[j - 1], v) > 0) {
                out->v[j] = out->v[j - 1];
                j--;
            }
            out->v[j] = v;
        }
    }
    bm_buf_release(&body);
    handle_free(h);
    conf_wipe(&c);
    return r;
}

int bm__s3_list(const char *rest, int dirs, size_t max, bm_strlist *out, bm_error *err)
{
    return list_prefix(rest, dirs, NULL, NULL, max, out, err);
}

int bm__s3_list_range(const char *rest, const char *from, const char *to, size_t max,
                      bm_strlist *out, bm_error *err)
{
    return list_prefix(rest, 0, from, to, max, out, err);
}

/* ==================================================================================== */
/* The streaming reader                                                                 */
/* ==================================================================================== */

struct bm__s3_reader {
    conf c;
    loc l;
    CURL *h;
    bm_buf chunk;
    size_t pos;
    uint64_t off, total; /* bytes fetched so far; the object's size once known */
    int known, eof;
    char etag[256];
};

bm__s3_reader *bm__s3_reader_open(const char *rest, bm_error *err)
{
    bm__s3_reader *r = bm_calloc(1, sizeof(*r));
    if (!r) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return NULL;
    }
    bm_buf_init(&r->chunk, BM__S3_CHUNK);
    if (conf_load(&r->c, err) || loc_make(&r->c, rest, &r->l, err) || !(r->h = handle_new(err))) {
        bm__s3_reader_close(r);
        return NULL;
    }
    /* the first chunk now, so a missing object fails here as a missing file does */
    if (bm__s3_reader_read(r, NULL, 0, err) < 0) {
        bm__s3_reader_close(r);
        return NULL;
    }
    return r;
}

/* Fetches the next chunk into r->chunk. */
static int fetch(bm__s3_reader *r, bm_error *err)
{
    char range[96];
    snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)r->off,
             (unsigned long long)(r->off + BM__S3_CHUNK - 1));
    bm_buf_reset(&r->chunk);
    r->pos = 0;
    call k = {.c = &r->c,
              .l = &r->l,
              .method = "GET",
              .query = "",
              .range = range,
              .if_match = r->etag[0] ? r->etag : NULL,
              .sink = &r->chunk};
    int rc = perform(r->h, &k, err);
    if (rc && k.status == 416 && r->off == 0) { /* an empty object */
        bm_error_clear(err);
        r->known = 1;
        r->total = 0;
        r->eof = 1;
        return BM_OK;
    }
    if (rc && k.status == 412) {
        bm_error_at(err, r->l.shown, 0, 0, NULL);
        return bm_error_set(err, BM_EIO, "the object changed while it was being read");
    }
    if (rc) return rc;
    if (!r->etag[0]) memcpy(r->etag, k.etag, sizeof(r->etag));
    if (k.status == 206) {
        const char *slash = strrchr(k.content_range, '/');
        char *end;
        unsigned long long total = slash ? strtoull(slash + 1, &end, 10) : 0;
        if (!slash || *end) {
            bm_error_at(err, r->l.shown, 0, 0, NULL);
            return bm_error_set(err, BM_EIO, "S3 answered a ranged GET without the object's size");
        }
        r->known = 1;
        r->total = total;
    } else { /* 200: the server sent the whole object, which fit in one chunk */
        r->known = 1;
        r->total = r->off + r->chunk.len;
    }
    r->off += r->chunk.len;
    if (r->off >= r->total || r->chunk.len == 0) r->eof = 1;
    return BM_OK;
}

long bm__s3_reader_read(bm__s3_reader *r, void *buf, size_t n, bm_error *err)
{
    while (r->pos == r->chunk.len) {
        if (r->eof || (r->known && r->off >= r->total)) return 0;
        if (fetch(r, err)) return -1;
        if (!n) return 0;
    }
    size_t k = r->chunk.len - r->pos;
    if (k > n) k = n;
    if (k > (size_t)LONG_MAX) k = (size_t)LONG_MAX;
    memcpy(buf, r->chunk.data + r->pos, k);
    r->pos += k;
    return (long)k;
}

char *bm__s3_reader_take(bm__s3_reader *r, size_t *len)
{
    if (r->pos || !r->eof || !r->chunk.data) return NULL;
    return bm_buf_take(&r->chunk, len); /* the chunk is now empty and eof set: reads say 0 */
}

int bm__s3_reader_size(const bm__s3_reader *r, uint64_t *size)
{
    *size = r->known ? r->total : 0;
    return r->known ? BM_OK : BM_ENOTFOUND;
}

void bm__s3_reader_close(bm__s3_reader *r)
{
    if (!r) return;
    handle_free(r->h);
    bm_buf_release(&r->chunk);
    conf_wipe(&r->c);
    bm_free(r);
}

/* ==================================================================================== */
/* XML                                                                                  */
/* ==================================================================================== */

/* The next element <name>text</name> in [*p, e): its text; *p moves past it. 0 when none. */
static int element(const char **p, const char *e, const char *name, bm_slice *text)
{
    char open_tag[48], close_tag[48];
    int ol = snprintf(open_tag, sizeof(open_tag), "<%s>", name),
        cl = snprintf(close_tag, sizeof(close_tag), "</%s>", name);
    const char *s = *p;
    for (;;) {
        const char *a = s < e ? memmem(s, (size_t)(e - s), open_tag, (size_t)ol) : NULL;
        if (!a) return 0;
        const char *b = memmem(a + ol, (size_t)(e - a - ol), close_tag, (size_t)cl);
        if (!b) return 0;
        *text = (bm_slice){a + ol, (size_t)(b - a - ol)};
        *p = b + cl;
        return 1;
    }
}

static int hexdig(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* XML text with its five entities and character references decoded, into out (n bytes, NUL-
 * terminated). BM_EPARSE for a bad reference, BM_ELIMIT when it does not fit. */
static int xml_text(bm_slice t, char *out, size_t n, size_t *len)
{
    size_t o = 0;
    for (size_t i = 0; i < t.n; i++) {
        char ch = t.p[i];
        char u[4];
        size_t ul = 1;
        u[0] = ch;
        if (ch == '<') return BM_EPARSE;
        if (ch == '&') {
            const char *semi = memchr(t.p + i, ';', t.n - i < 12 ? t.n - i : 12);
            if (!semi) return BM_EPARSE;
            size_t el = (size_t)(semi - (t.p + i)) + 1;
            const char *ent = t.p + i;
            if (el == 5 && !memcmp(ent, "&amp;", 5))
                u[0] = '&';
            else if (el == 4 && !memcmp(ent, "&lt;", 4))
                u[0] = '<';
            else if (el == 4 && !memcmp(ent, "&gt;", 4))
                u[0] = '>';
            else if (el == 6 && !memcmp(ent, "&quot;", 6))
                u[0] = '"';
            else if (el == 6 && !memcmp(ent, "&apos;", 6))
                u[0] = '\'';
            else if (el > 3 && ent[1] == '#') {
                unsigned long cp = 0;
                int hex = ent[2] == 'x';
                size_t d = hex ? 3 : 2;
                if (d >= el - 1) return BM_EPARSE;
                for (; d < el - 1; d++) {
                    int v =
                        hex ? hexdig(ent[d]) : (ent[d] >= '0' && ent[d] <= '9' ? ent[d] - '0' : -1);
                    if (v < 0) return BM_EPARSE;
                    cp = cp * (hex ? 16 : 10) + (unsigned long)v;
                    if (cp > 0x10FFFF) return BM_EPARSE;
                }
                if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return BM_EPARSE;
                if (cp < 0x80)
                    u[0] = (char)cp;
                else if (cp < 0x800)
                    u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 63)), ul = 2;
                else if (cp < 0x10000)
                    u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 63)),
                    u[2] = (char)(0x80 | (cp & 63)), ul = 3;
                else
                    u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 63)),
                    u[2] = (char)(0x80 | ((cp >> 6) & 63)), u[3] = (char)(0x80 | (cp & 63)), ul = 4;
            } else {
                return BM_EPARSE;
            }
            i += el - 1;
        }
        if (o + ul >= n) return BM_ELIMIT;
        memcpy(out + o, u, ul);
        o += ul;
    }
    out[o] = 0;
    if (len) *len = o;
    return BM_OK;
}

static void printable(bm_slice t, char *out, size_t n);

int bm__s3_parse_list(const char *xml, size_t n, const char *prefix, int dirs, size_t max,
                      bm_strlist *out, int *truncated, char *token, size_t toklen)
{
    const char *e = xml + n, *p = xml;
    bm_slice root, t;
    *truncated = 0;
    if (toklen) token[0] = 0;
    if (!memmem(xml, n, "<ListBucketResult", 17)) return BM_EPARSE;
    root = (bm_slice){xml, n};
    p = root.p;
    if (element(&p, e, "IsTruncated", &t)) *truncated = t.n == 4 && !memcmp(t.p, "true", 4);
    p = root.p;
    if (element(&p, e, "NextContinuationToken", &t)) {
        int r = xml_text(t, token, toklen, NULL);
        if (r) return r;
    }
    size_t pl = strlen(prefix);
    char name[1100];
    p = root.p;
    bm_slice block;
    while (element(&p, e, dirs == 1 ? "CommonPrefixes" : "Contents", &block)) {
        const char *q = block.p;
        size_t len;
        if (!element(&q, block.p + block.n, dirs == 1 ? "Prefix" : "Key", &t)) return BM_EPARSE;
        int r = xml_text(t, name, sizeof(name), &len);
        if (r == BM_ELIMIT) continue; /* a key longer than any URI biasmon can name */
        if (r) return r;
        if (len < pl || memcmp(name, prefix, pl)) continue;
        const char *rel = name + pl;
        size_t rl = len - pl;
        if (dirs == 2) { /* FOLDER/NAME: one folder down, NAME not hidden */
            const char *slash = rl ? memchr(rel, '/', rl) : NULL;
            if (!slash || slash == rel || slash + 1 == rel + rl || slash[1] == '.' ||
                memchr(slash + 1, '/', (size_t)(rel + rl - slash - 1)))
                continue;
        } else if (dirs == 1) {
            if (rl && rel[rl - 1] == '/') rl--;
            if (!rl || memchr(rel, '/', rl)) continue;
        } else if (!rl || memchr(rel, '/', rl) || rel[0] == '.') {
            continue;
        }
        if (memchr(rel, 0, rl)) continue;
        if (out->n >= max) return BM_ELIMIT;
        if (dirs == 3) { /* NAME\tSIZE\tETAG: what identifies this version of the object */
            char stamped[1400], sz[32] = "", tag[200] = "";
            const char *q2 = block.p;
            if (element(&q2, block.p + block.n, "Size", &t)) printable(t, sz, sizeof(sz));
            q2 = block.p;
            if (element(&q2, block.p + block.n, "ETag", &t)) printable(t, tag, sizeof(tag));
            int w = snprintf(stamped, sizeof(stamped), "%.*s\t%s\t%s", (int)rl, rel, sz, tag);
            if (w < 0 || (size_t)w >= sizeof(stamped)) continue;
            if (bm_strlist_push(out, stamped, (size_t)w)) return BM_ENOMEM;
            continue;
        }
        if (bm_strlist_push(out, rel, rl)) return BM_ENOMEM;
    }
    return BM_OK;
}

static void printable(bm_slice t, char *out, size_t n)
{
    char tmp[1024];
    size_t len = 0;
    if (!n) return;
    out[0] = 0;
    if (xml_text((bm_slice){t.p, t.n < 1000 ? t.n : 1000}, tmp, sizeof(tmp), &len)) return;
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < n; i++)
        out[o++] = tmp[i] >= 0x20 && tmp[i] < 0x7f ? tmp[i] : '?';
    out[o] = 0;
}

void bm__s3_parse_error(const char *xml, size_t n, char *code, size_t codelen, char *msg,
                        size_t msglen)
{
    const char *p = xml, *e = xml + n;
    bm_slice t;
    if (codelen) code[0] = 0;
    if (msglen) msg[0] = 0;
    if (element(&p, e, "Code", &t)) printable(t, code, codelen);
    p = xml;
    if (element(&p, e, "Message", &t)) printable(t, msg, msglen);
}
