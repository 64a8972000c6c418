/* SigV4 (AWS4-HMAC-SHA256) verification and signing, as botocore signs; the credentials file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "biasmon/isotime.h"
#include "biasmon/random.h"
#include "biasmon/sigv4.h"
#include "aws/sigv4_internal.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
#define MSG_MISMATCH                                                                               \
    "The request signature we calculated does not match the signature you provided. Check your "   \
    "AWS Secret Access Key and signing method."

/* Headers botocore never signs (SIGNED_HEADERS_BLACKLIST): proxies and HTTP stacks rewrite them. */
static const char *const unsigned_headers[] = {
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
};

/* ==================================================================================== */
/* ASCII helpers (no locale)                                                            */
/* ==================================================================================== */

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

/* RFC 9110 token characters: what a header name may consist of. */
static int is_tchar(unsigned char c)
{
    return is_unreserved(c) || (c != 0 && strchr("!#$%&'*+^`|", c) != NULL);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int ieq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn) return 0;
    for (size_t i = 0; i < an; i++)
        if (lower(a[i]) != lower(b[i])) return 0;
    return 1;
}

static int ieq_cstr(const char *a, const char *lit)
{
    return a && ieq(a, strlen(a), lit, strlen(lit));
}

static int eq(bm_slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bm_slice trim(const char *p, size_t n)
{
    while (n && is_ws(*p))
        p++, n--;
    while (n && is_ws(p[n - 1]))
        n--;
    return (bm_slice){p, n};
}

/* A client-supplied slice made fit for a message: printable ASCII only, at most 80 bytes. */
static const char *shown(bm_slice s, char *tmp, size_t tmplen)
{
    size_t k = 0, cap = tmplen - 1;
    for (size_t i = 0; i < s.n && k < cap; i++) {
        if (k == 80 && cap >= 83) {
            memcpy(tmp + k, "...", 3);
            k += 3;
            break;
        }
        unsigned char c = (unsigned char)s.p[i];
        tmp[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    tmp[k] = 0;
    return tmp;
}

static void hex_of(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = 0;
}

void bm_sigv4_sha256_hex(const void *p, size_t n, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(n ? p : "", n, md, &len, EVP_sha256(), NULL) || len != 32) {
        memset(hex, '0', 64); /* cannot happen with a working libcrypto; matches nothing real */
        hex[64] = 0;
        return;
    }
    hex_of(md, 32, hex);
}

/* ==================================================================================== */
/* Canonical request                                                                    */
/* ==================================================================================== */

/* Appends p percent-encoded as AWS's UriEncode does: unreserved bytes as they are, every other
 * byte as %XY with upper-case hex. */
static int put_encoded(bm_buf *b, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789ABCDEF";
    int r = BM_OK;
    size_t i = 0;
    while (i < n && r == BM_OK) {
        size_t j = i;
        while (j < n && is_unreserved(p[j]))
            j++;
        if (j > i) r = bm_buf_append(b, p + i, j - i);
        if (r == BM_OK && j < n) {
            char e[3] = {'%', digits[p[j] >> 4], digits[p[j] & 15]};
            r = bm_buf_append(b, e, 3);
            j++;
        }
        i = j;
    }
    return r;
}

/* The canonical URI of a non-S3 service, as botocore computes it: dot segments and empty
 * segments removed (RFC 3986 5.2.4 plus AWS's collapsing of "//"), then every byte but the
 * unreserved ones and '/' percent-encoded. The path is taken as sent, so an already encoded
 * "%20" becomes "%2520": the "encode twice" rule of AWS's documentation. */
static int put_canonical_uri(bm_buf *b, const char *path)
{
    size_t n = path ? strlen(path) : 0, nseg = 1;
    for (size_t i = 0; i < n; i++)
        nseg += path[i] == '/';
    bm_slice *seg = bm_reallocarray(NULL, nseg, sizeof(*seg));
    if (!seg) return BM_ENOMEM;
    size_t top = 0;
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && path[j] != '/')
            j++;
        size_t len = j - i;
        if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
            if (top) top--;
        } else if (len > 0 && !(len == 1 && path[i] == '.')) {
            seg[top++] = (bm_slice){path + i, len};
        }
        i = j + 1;
    }
    int r = BM_OK;
    if (top == 0) {
        r = bm_buf_putc(b, '/');
    } else {
        if (path[0] == '/') r = bm_buf_putc(b, '/');
        for (size_t k = 0; k < top && r == BM_OK; k++) {
            if (k) r = bm_buf_putc(b, '/');
            if (r == BM_OK) r = put_encoded(b, (const unsigned char *)seg[k].p, seg[k].n);
        }
        if (r == BM_OK && path[n - 1] == '/') r = bm_buf_putc(b, '/');
    }
    bm_free(seg);
    return r;
}

/* Appends a query component decoded ("%XY" -> byte, '+' -> space; a '%' without two hex
 * digits stays a '%') and re-encoded with put_encoded. */
static int put_requoted(bm_buf *b, const char *p, size_t n)
{
    int r = BM_OK;
    for (size_t i = 0; i < n && r == BM_OK; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
            c = (unsigned char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        r = put_encoded(b, &c, 1);
    }
    return r;
}

typedef struct qpair {
    size_t k, kn, v, vn; /* offsets into the encoded text while building */
    const char *kp, *vp; /* pointers once the text stops moving */
} qpair;

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

static int cmp_qpair(const void *x, const void *y)
{
    const qpair *a = x, *b = y;
    int c = cmp_bytes(a->kp, a->kn, b->kp, b->kn);
    return c ? c : cmp_bytes(a->vp, a->vn, b->vp, b->vn);
}

/* The canonical query string: each name and value decoded and re-encoded with UriEncode,
 * "name=value" (an absent value is ""), sorted by encoded name then value, joined by '&'.
 * Empty pieces ("a=1&&b=2") are skipped. */
static int put_canonical_query(bm_buf *b, const char *query)
{
    size_t n = query ? strlen(query) : 0;
    if (n == 0) return BM_OK;
    size_t npairs = 1;
    for (size_t i = 0; i < n; i++)
        npairs += query[i] == '&';
    qpair *pairs = bm_reallocarray(NULL, npairs, sizeof(*pairs));
    if (!pairs) return BM_ENOMEM;
    bm_buf enc;
    bm_buf_init(&enc, BM__SIGV4_MAX_CANONICAL);
    size_t m = 0;
    int r = BM_OK;
    for (size_t i = 0; i <= n && r == BM_OK;) {
        size_t j = i;
        while (j < n && query[j] != '&')
            j++;
        if (j > i) {
            const char *eqs = memchr(query + i, '=', j - i);
            size_t kend = eqs ? (size_t)(eqs - query) : j;
            qpair *q = &pairs[m++];
            q->k = enc.len;
            r = put_requoted(&enc, query + i, kend - i);
            q->kn = enc.len - q->k;
            q->v = enc.len;
            if (r == BM_OK && eqs) r = put_requoted(&enc, eqs + 1, j - kend - 1);
            q->vn = enc.len - q->v;
        }
        i = j + 1;
    }
    if (r == BM_OK) {
        for (size_t k = 0; k < m; k++) {
            pairs[k].kp = enc.data ? enc.data + pairs[k].k : "";
            pairs[k].vp = enc.data ? enc.data + pairs[k].v : "";
        }
        qsort(pairs, m, sizeof(*pairs), cmp_qpair);
        for (size_t k = 0; k < m && r == BM_OK; k++) {
            if (k) r = bm_buf_putc(b, '&');
            if (r == BM_OK) r = bm_buf_append(b, pairs[k].kp, pairs[k].kn);
            if (r == BM_OK) r = bm_buf_putc(b, '=');
            if (r == BM_OK) r = bm_buf_append(b, pairs[k].vp, pairs[k].vn);
        }
    }
    bm_buf_release(&enc);
    bm_free(pairs);
    return r;
}

/* Appends a header value trimmed, with every run of whitespace inside collapsed to one space. */
static int put_trimall(bm_buf *b, const char *v)
{
    size_t n = v ? strlen(v) : 0;
    bm_slice t = trim(v ? v : "", n);
    int r = BM_OK;
    size_t i = 0;
    while (i < t.n && r == BM_OK) {
        size_t j = i;
        while (j < t.n && !is_ws(t.p[j]))
            j++;
        r = bm_buf_append(b, t.p + i, j - i);
        if (j < t.n && r == BM_OK) r = bm_buf_putc(b, ' ');
        while (j < t.n && is_ws(t.p[j]))
            j++;
        i = j;
    }
    return r;
}

/* The canonical URI of S3, as botocore's S3SigV4Auth computes it: the path as sent, neither
 * normalized nor encoded twice. Each byte but the unreserved ones and '/' is percent-encoded
 * once; an existing "%XY" is decoded first, so a path encoded with UriEncode is kept as it is. */
static int put_s3_uri(bm_buf *b, const char *path)
{
    size_t n = path ? strlen(path) : 0;
    int r = n ? BM_OK : bm_buf_putc(b, '/');
    for (size_t i = 0; i < n && r == BM_OK; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c == '/') {
            r = bm_buf_putc(b, '/');
            continue;
        }
        if (c == '%' && i + 2 < n && hexval(path[i + 1]) >= 0 && hexval(path[i + 2]) >= 0) {
            c = (unsigned char)(hexval(path[i + 1]) * 16 + hexval(path[i + 2]));
            i += 2;
        }
        r = put_encoded(b, &c, 1);
    }
    return r;
}

static int canonical_request(const bm_sigv4_request *req, int s3, const char *signed_headers,
                             size_t n, const char *payload_hash, bm_buf *out, bm_slice *missing)
{
    int r = bm_buf_puts(out, req->method ? req->method : "");
    if (r == BM_OK) r = bm_buf_putc(out, '\n');
    if (r == BM_OK) r = s3 ? put_s3_uri(out, req->path) : put_canonical_uri(out, req->path);
    if (r == BM_OK) r = bm_buf_putc(out, '\n');
    if (r == BM_OK) r = put_canonical_query(out, req->query);
    if (r == BM_OK) r = bm_buf_putc(out, '\n');
    for (size_t i = 0; i <= n && r == BM_OK;) {
        size_t j = i;
        while (j < n && signed_headers[j] != ';')
            j++;
        if (j == i) return BM_EPARSE;
        for (size_t k = i; k < j && r == BM_OK; k++)
            r = bm_buf_putc(out, lower(signed_headers[k]));
        if (r == BM_OK) r = bm_buf_putc(out, ':');
        int found = 0;
        for (size_t h = 0; h < req->nheaders && r == BM_OK; h++) {
            const char *name = req->headers[h].name;
            if (!name || !ieq(name, strlen(name), signed_headers + i, j - i)) continue;
            if (found) r = bm_buf_putc(out, ',');
            if (r == BM_OK) r = put_trimall(out, req->headers[h].value);
            found = 1;
        }
        if (r == BM_OK && !found) {
            if (missing) *missing = (bm_slice){signed_headers + i, j - i};
            return BM_ENOTFOUND;
        }
        if (r == BM_OK) r = bm_buf_putc(out, '\n');
        i = j + 1;
    }
    if (r == BM_OK) r = bm_buf_putc(out, '\n');
    if (r == BM_OK) r = bm_buf_append(out, signed_headers, n);
    if (r == BM_OK) r = bm_buf_putc(out, '\n');
    if (r == BM_OK) r = bm_buf_puts(out, payload_hash);
    return r;
}

int bm__sigv4_canonical_request(const bm_sigv4_request *req, const char *signed_headers, size_t n,
                                const char *payload_hash, bm_buf *out, bm_slice *missing)
{
    return canonical_request(req, 0, signed_headers, n, payload_hash, out, missing);
}

int bm__sigv4_string_to_sign(const char *amz_date, const char *scope, size_t scope_len,
                             const char *creq, size_t creq_len, bm_buf *out)
{
    char hash[65];
    bm_sigv4_sha256_hex(creq, creq_len, hash);
    int r = bm_buf_puts(out, ALGORITHM "\n");
    if (r == BM_OK) r = bm_buf_puts(out, amz_date);
    if (r == BM_OK) r = bm_buf_putc(out, '\n');
    if (r == BM_OK) r = bm_buf_append(out, scope, scope_len);
    if (r == BM_OK) r = bm_buf_putc(out, '\n');
    if (r == BM_OK) r = bm_buf_append(out, hash, 64);
    return r;
}

static int hmac(const void *key, size_t keylen, const void *msg, size_t len, unsigned char out[32])
{
    unsigned int outlen = 0;
    if (keylen > INT_MAX) return BM_EINVAL;
    if (!HMAC(EVP_sha256(), key, (int)keylen, len ? msg : (const void *)"", len, out, &outlen) ||
        outlen != 32)
        return BM_EINTERNAL;
    return BM_OK;
}

int bm__sigv4_signature(const char *secret, const char *date8, const char *region,
                        size_t region_len, const char *service, size_t service_len, const char *sts,
                        size_t sts_len, char hex[65])
{
    size_t sl = strlen(secret);
    unsigned char a[32], b[32];
    unsigned char *k = sl <= SIZE_MAX - 4 ? bm_malloc(sl + 4) : NULL;
    if (!k) return BM_ENOMEM;
    memcpy(k, "AWS4", 4);
    memcpy(k + 4, secret, sl);
    int r = hmac(k, sl + 4, date8, 8, a);
    if (r == BM_OK) r = hmac(a, 32, region, region_len, b);
    if (r == BM_OK) r = hmac(b, 32, service, service_len, a);
    if (r == BM_OK) r = hmac(a, 32, TERMINATOR, strlen(TERMINATOR), b);
    if (r == BM_OK) r = hmac(b, 32, sts, sts_len, a);
    if (r == BM_OK) hex_of(a, 32, hex);
    OPENSSL_cleanse(k, sl + 4);
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(b, sizeof(b));
    bm_free(k);
    return r;
}

/* ==================================================================================== */
/* Verification                                                                         */
/* ==================================================================================== */

static bm_sigv4_result say(bm_sigv4_result res, char *why, size_t whylen, const char *fmt, ...)
    BM_PRINTF(4, 5);

static bm_sigv4_result say(bm_sigv4_result res, char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return res;
}

/* The headers named name: how many, and the first one's value. */
static size_t find_header(const bm_sigv4_request *req, const char *name, const char **value)
{
    size_t count = 0, nl = strlen(name);
    *value = NULL;
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *h = req->headers[i].name;
        if (!h || !ieq(h, strlen(h), name, nl)) continue;
        if (!count++) *value = req->headers[i].value ? req->headers[i].value : "";
    }
    return count;
}

/* Whether the (raw) query carries the parameters of a presigned URL. */
static int presigned_query(const char *query)
{
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        if ((n >= 16 && ieq(p, 16, "X-Amz-Signature=", 16)) ||
            (n >= 17 && ieq(p, 17, "X-Amz-Credential=", 17)))
            return 1;
        p = amp ? amp + 1 : p + n;
    }
    return 0;
}

/* YYYYMMDDTHHMMSSZ -> epoch; -1 when not a valid time from 1970 on. */
static int parse_amz_date(bm_slice s, int64_t *epoch)
{
    if (s.n != 16 || s.p[8] != 'T' || s.p[15] != 'Z') return -1;
    for (size_t i = 0; i < 15; i++)
        if (i != 8 && !is_digit(s.p[i])) return -1;
    int v[6];
    static const size_t at[6] = {0, 4, 6, 9, 11, 13}, w[6] = {4, 2, 2, 2, 2, 2};
    for (size_t f = 0; f < 6; f++) {
        v[f] = 0;
        for (size_t i = 0; i < w[f]; i++)
            v[f] = v[f] * 10 + (s.p[at[f] + i] - '0');
    }
    bm_civil c = {v[0], v[1], v[2], v[3], v[4], v[5]};
    if (c.year < 1970 || c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31 || c.hour > 23 ||
        c.minute > 59 || c.second > 59)
        return -1;
    int64_t t = bm_time_from_civil(&c);
    bm_civil back;
    bm_time_civil(t, &back);
    if (back.year != c.year || back.month != c.month || back.day != c.day) return -1; /* Feb 30 */
    *epoch = t;
    return 0;
}

static void format_amz_date(int64_t t, char out[32])
{
    bm_civil c;
    bm_time_civil(t, &c);
    snprintf(out, 32, "%04d%02d%02dT%02d%02d%02dZ", c.year, c.month, c.day, c.hour, c.minute,
             c.second);
}

/* "15 min." as AWS writes the allowed skew, or seconds when not whole minutes. */
static void format_skew(int64_t s, char out[32])
{
    if (s % 60 == 0)
        snprintf(out, 32, "%lld min.", (long long)(s / 60));
    else
        snprintf(out, 32, "%lld s", (long long)s);
}

/* The parsed Authorization header. */
typedef struct auth_parts {
    bm_slice credential, signed_headers, signature;
    int have_credential, have_signed_headers, have_signature;
} auth_parts;

static bm_sigv4_result parse_authorization(const char *value, auth_parts *a, char *why,
                                           size_t whylen)
{
    char tmp[96];
    static const size_t alen = sizeof(ALGORITHM) - 1;
    bm_slice v = trim(value, strlen(value));
    memset(a, 0, sizeof(*a));
    if (v.n < alen || memcmp(v.p, ALGORITHM, alen) != 0 || (v.n > alen && !is_ws(v.p[alen])))
        return say(BM_SIGV4_MALFORMED, why, whylen,
                   "Unsupported Authorization Type: only " ALGORITHM
                   " (Credential=..., SignedHeaders=..., Signature=...) is accepted.");
    const char *p = v.p + alen, *end = v.p + v.n;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        bm_slice part = trim(p, (size_t)(stop - p));
        p = comma ? comma + 1 : end;
        if (part.n == 0 && !comma) break; /* "AWS4-HMAC-SHA256" alone or a trailing blank */
        const char *eqs = memchr(part.p, '=', part.n);
        if (!eqs)
            return say(BM_SIGV4_MALFORMED, why, whylen,
                       "Authorization header parameter '%s' is not of the form Name=Value.",
                       shown(part, tmp, sizeof(tmp)));
        bm_slice name = {part.p, (size_t)(eqs - part.p)};
        bm_slice val = {eqs + 1, part.n - name.n - 1};
        bm_slice *dst = NULL;
        int *have = NULL;
        if (eq(name, "Credential"))
            dst = &a->credential, have = &a->have_credential;
        else if (eq(name, "SignedHeaders"))
            dst = &a->signed_headers, have = &a->have_signed_headers;
        else if (eq(name, "Signature"))
            dst = &a->signature, have = &a->have_signature;
        else
            return say(BM_SIGV4_MALFORMED, why, whylen,
                       "Authorization header has an unknown parameter '%s'.",
                       shown(name, tmp, sizeof(tmp)));
        if (*have)
            return say(BM_SIGV4_MALFORMED, why, whylen,
                       "Authorization header has the parameter '%s' more than once.",
                       shown(name, tmp, sizeof(tmp)));
        *have = 1;
        *dst = val;
    }
    return BM_SIGV4_OK;
}

/* Sets the result and the message, and leaves through out. */
#define FAIL(code, ...)                                                                            \
    do {                                                                                           \
        res = say((code), why, whylen, __VA_ARGS__);                                               \
        goto out;                                                                                  \
    } while (0)

bm_sigv4_result bm_sigv4_verify(const bm_sigv4_request *req, const bm_sigv4_key *keys, size_t nkeys,
                                const char *region, const char *service, int64_t now,
                                int64_t max_skew, size_t *key_index, char *why, size_t whylen)
{
    char tmp[96], tmp2[96], t1[32], t2[32], t3[32], skew[32], computed[65] = {0};
    bm_buf creq, sts;
    bm_buf_init(&creq, BM__SIGV4_MAX_CANONICAL);
    bm_buf_init(&sts, BM__SIGV4_MAX_CANONICAL);
    bm_sigv4_result res = BM_SIGV4_MALFORMED;
    if (why && whylen) why[0] = 0;
    if (!req) FAIL(BM_SIGV4_MISSING, "Missing Authentication Token");
    if (max_skew < 0) max_skew = 0;

    /* The Authorization header and X-Amz-Date. */
    const char *authz, *date_value;
    size_t nauthz = find_header(req, "authorization", &authz);
    if (nauthz == 0) {
        if (presigned_query(req->query))
            FAIL(BM_SIGV4_MALFORMED,
                 "Presigned requests (X-Amz-Signature in the query string) are not "
                 "supported; sign with the Authorization header.");
        FAIL(BM_SIGV4_MISSING, "Missing Authentication Token");
    }
    if (nauthz > 1) FAIL(BM_SIGV4_MALFORMED, "Only one Authorization header is allowed.");
    auth_parts a;
    if ((res = parse_authorization(authz, &a, why, whylen)) != BM_SIGV4_OK) goto out;
    size_t ndate = find_header(req, "x-amz-date", &date_value);
    if (!a.have_credential || !a.have_signed_headers || !a.have_signature || ndate == 0) {
        const char *what[4] = {
            a.have_credential ? NULL : "Authorization header requires 'Credential' parameter.",
            a.have_signature ? NULL : "Authorization header requires 'Signature' parameter.",
            a.have_signed_headers ? NULL
                                  : "Authorization header requires 'SignedHeaders' parameter.",
            ndate ? NULL : "Authorization header requires existence of a 'X-Amz-Date' header.",
        };
        const char *sep[4] = {"", "", "", ""};
        for (int i = 0, seen = 0; i < 4; i++) {
            if (what[i] && seen++) sep[i] = " ";
            if (!what[i]) what[i] = "";
        }
        FAIL(BM_SIGV4_MALFORMED, "%s%s%s%s%s%s%s%s", sep[0], what[0], sep[1], what[1], sep[2],
             what[2], sep[3], what[3]);
    }
    if (ndate > 1) FAIL(BM_SIGV4_MALFORMED, "Only one X-Amz-Date header is allowed.");
    bm_slice date = trim(date_value, strlen(date_value));
    int64_t when = 0;
    if (parse_amz_date(date, &when) != 0)
        FAIL(BM_SIGV4_MALFORMED,
             "Date must be in ISO-8601 'basic format'. Got '%s'. See "
             "http://en.wikipedia.org/wiki/ISO_8601",
             shown(date, tmp, sizeof(tmp)));

    /* Credential = keyid/YYYYMMDD/region/service/aws4_request */
    bm_slice part[5];
    size_t np = 0;
    const char *c = a.credential.p, *cend = c + a.credential.n;
    for (;;) {
        const char *slash = memchr(c, '/', (size_t)(cend - c));
        const char *stop = slash ? slash : cend;
        if (np < 5) part[np] = (bm_slice){c, (size_t)(stop - c)};
        np++;
        if (!slash) break;
        c = slash + 1;
    }
    int empty = 0;
    for (size_t i = 0; i < np && i < 5; i++)
        empty |= part[i].n == 0;
    if (np != 5 || empty)
        FAIL(BM_SIGV4_MALFORMED,
             "Credential must have exactly 5 slash-delimited elements, e.g. "
             "keyid/date/region/service/term, got '%s'",
             shown(a.credential, tmp, sizeof(tmp)));
    if (!eq(part[4], TERMINATOR))
        FAIL(BM_SIGV4_MALFORMED,
             "Credential should be scoped with a valid terminator: '" TERMINATOR "', not '%s'.",
             shown(part[4], tmp, sizeof(tmp)));
    if (part[1].n != 8 || memcmp(part[1].p, date.p, 8) != 0)
        FAIL(BM_SIGV4_MISMATCH,
             "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
             "date from HTTP: '%s' != '%.8s', from '%.16s'.",
             shown(part[1], tmp, sizeof(tmp)), date.p, date.p);
    if (service && !eq(part[3], service))
        FAIL(BM_SIGV4_MISMATCH, "Credential should be scoped to correct service: '%s'.", service);
    /* The region is part of the key derivation, so a request signed for another region could
     * only fail as an unexplained mismatch; say which region this server expects instead. */
    if (region && !eq(part[2], region))
        FAIL(BM_SIGV4_MISMATCH,
             "Credential should be scoped to a valid region: this server's region is '%s', "
             "the request was signed for '%s'.",
             region, shown(part[2], tmp, sizeof(tmp)));

    /* The key. */
    size_t kidx = nkeys;
    for (size_t i = 0; i < nkeys && kidx == nkeys; i++)
        if (keys[i].access_key_id && keys[i].secret_access_key &&
            eq(part[0], keys[i].access_key_id))
            kidx = i;
    if (kidx == nkeys)
        FAIL(BM_SIGV4_UNKNOWN_KEY, "The security token included in the request is invalid.");

    /* The clock. The unsigned differences cannot overflow: the larger minus the smaller. */
    if (when < now && (uint64_t)now - (uint64_t)when > (uint64_t)max_skew) {
        format_amz_date(when, t1);
        format_amz_date(now - max_skew, t2);
        format_amz_date(now, t3);
        format_skew(max_skew, skew);
        FAIL(BM_SIGV4_EXPIRED, "Signature expired: %s is now earlier than %s (%s - %s)", t1, t2, t3,
             skew);
    }
    if (when > now && (uint64_t)when - (uint64_t)now > (uint64_t)max_skew) {
        format_amz_date(when, t1);
        format_amz_date(now + max_skew, t2);
        format_amz_date(now, t3);
        format_skew(max_skew, skew);
        FAIL(BM_SIGV4_EXPIRED, "Signature not yet current: %s is still later than %s (%s + %s)", t1,
             t2, t3, skew);
    }

    /* What must be signed: the host (as AWS requires) and the operation (biasmon's rule: an
     * unsigned X-Amz-Target would let a captured request be replayed as another operation). */
    int host_signed = 0, target_signed = 0;
    const char *sh = a.signed_headers.p;
    for (size_t i = 0; i <= a.signed_headers.n;) {
        size_t j = i;
        while (j < a.signed_headers.n && sh[j] != ';')
            j++;
        host_signed |= ieq(sh + i, j - i, "host", 4);
        target_signed |= ieq(sh + i, j - i, "x-amz-target", 12);
        i = j + 1;
    }
    const char *ignored;
    if (!host_signed)
        FAIL(BM_SIGV4_MALFORMED,
             "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    if (!target_signed && find_header(req, "x-amz-target", &ignored))
        FAIL(BM_SIGV4_MALFORMED,
             "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");

    /* The payload hash: the body's, or the declared one, which must then be the body's. */
    char body_hash[65], declared_hash[65];
    bm_sigv4_sha256_hex(req->body, req->body ? req->body_len : 0, body_hash);
    const char *declared;
    const char *payload_hash = body_hash;
    if (find_header(req, "x-amz-content-sha256", &declared)) {
        bm_slice d = trim(declared, strlen(declared));
        int ok = d.n == 64;
        for (size_t i = 0; ok && i < 64; i++)
            ok = hexval(d.p[i]) >= 0;
        if (!ok)
            FAIL(BM_SIGV4_MALFORMED,
                 "x-amz-content-sha256 must be the hex SHA-256 of the body; '%s' is not "
                 "accepted.",
                 shown(d, tmp, sizeof(tmp)));
        if (!ieq(d.p, 64, body_hash, 64))
            FAIL(BM_SIGV4_MISMATCH,
                 "The provided 'x-amz-content-sha256' header does not match what was "
                 "computed.");
        memcpy(declared_hash, d.p, 64);
        declared_hash[64] = 0;
        payload_hash = declared_hash;
    }

    /* Canonical request, string to sign, signature. */
    bm_slice missing = {"", 0};
    char scope_date[9], given[64];
    int r = bm__sigv4_canonical_request(req, a.signed_headers.p, a.signed_headers.n, payload_hash,
                                        &creq, &missing);
    memcpy(scope_date, date.p, 8);
    scope_date[8] = 0;
    const char *scope = part[1].p;
    size_t scope_len = (size_t)(cend - scope);
    char date_text[17];
    memcpy(date_text, date.p, 16);
    date_text[16] = 0;
    if (r == BM_OK)
        r = bm__sigv4_string_to_sign(date_text, scope, scope_len, creq.data, creq.len, &sts);
    if (r == BM_OK)
        r = bm__sigv4_signature(keys[kidx].secret_access_key, scope_date, part[2].p, part[2].n,
                                part[3].p, part[3].n, sts.data, sts.len, computed);
    switch (r) {
    case BM_OK:
        break;
    case BM_ENOTFOUND:
        FAIL(BM_SIGV4_MISMATCH, "%s (the signed header '%s' is not in the request)", MSG_MISMATCH,
             shown(missing, tmp2, sizeof(tmp2)));
    case BM_EPARSE:
        FAIL(BM_SIGV4_MALFORMED, "SignedHeaders must be header names separated by ';', got '%s'.",
             shown(a.signed_headers, tmp, sizeof(tmp)));
    case BM_ELIMIT:
        FAIL(BM_SIGV4_MALFORMED, "The request is too large to verify.");
    default: /* fail closed */
        FAIL(BM_SIGV4_MISMATCH, "The signature could not be verified (%s).", bm_strerror(r));
    }
    res = say(BM_SIGV4_MISMATCH, why, whylen, "%s", MSG_MISMATCH);
    if (a.signature.n == 64) {
        for (size_t i = 0; i < 64; i++)
            given[i] = lower(a.signature.p[i]);
        if (CRYPTO_memcmp(given, computed, 64) == 0) {
            res = BM_SIGV4_OK;
            if (why && whylen) why[0] = 0;
            if (key_index) *key_index = kidx;
        }
    }
out:
    /* Messages echo what the client sent (its credential, its date); a client that put a
     * secret there does not get it back, nor does the server log it. */
    for (size_t i = 0; why && whylen && i < nkeys; i++) {
        const char *secret = keys[i].secret_access_key;
        size_t sl = secret ? strlen(secret) : 0;
        for (char *p = sl ? strstr(why, secret) : NULL; p; p = strstr(p + sl, secret))
            memset(p, '*', sl);
    }
    OPENSSL_cleanse(computed, sizeof(computed));
    bm_buf_release(&creq);
    bm_buf_release(&sts);
    return res;
}

/* ==================================================================================== */
/* Signing                                                                              */
/* ==================================================================================== */

static int is_unsigned_header(const char *name)
{
    for (size_t i = 0; i < sizeof(unsigned_headers) / sizeof(unsigned_headers[0]); i++)
        if (ieq_cstr(name, unsigned_headers[i])) return 1;
    return ieq_cstr(name, "x-amz-date");
}

/* A credential-scope element: non-empty, no '/', ',', '=', whitespace or control bytes. */
static int scope_ok(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= 0x20 || ch == 0x7f || ch == '/' || ch == ',' || ch == '=') return 0;
    }
    return 1;
}

static int cmp_cstr(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* bm_sigv4_sign, with S3's canonical URI when s3. */
static int sign(const bm_sigv4_request *req, const bm_sigv4_key *key, const char *region,
                const char *service, int s3, int64_t now, char *amz_date, size_t amz_date_len,
                char *authorization, size_t auth_len)
{
    int r = BM_EINVAL;
    bm_http_header *hs = NULL;
    char **names = NULL, *lowered = NULL;
    bm_buf sh, creq, sts;
    bm_buf_init(&sh, BM__SIGV4_MAX_CANONICAL);
    bm_buf_init(&creq, BM__SIGV4_MAX_CANONICAL);
    bm_buf_init(&sts, BM__SIGV4_MAX_CANONICAL);
    if (authorization && auth_len) authorization[0] = 0;
    if (!req || !key || !scope_ok(key->access_key_id) || !key->secret_access_key ||
        !scope_ok(region) || !scope_ok(service) || !amz_date || !authorization)
        goto out;
    if (req->nheaders && !req->headers) goto out;
    bm_civil cv;
    bm_time_civil(now, &cv);
    if (cv.year < 0 || cv.year > 9999) goto out;
    char date[32];
    format_amz_date(now, date);

    /* The headers to sign: the request's, minus the ones botocore leaves out, plus ours. */
    hs = bm_reallocarray(NULL, req->nheaders + 1, sizeof(*hs));
    names = bm_reallocarray(NULL, req->nheaders + 1, sizeof(*names));
    r = BM_ENOMEM;
    if (!hs || !names) goto out;
    size_t m = 0, total = 0;
    int have_host = 0;
    r = BM_EINVAL;
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *name = req->headers[i].name;
        if (!name || !*name) goto out;
        for (const char *p = name; *p; p++)
            if (!is_tchar((unsigned char)*p)) goto out;
        if (is_unsigned_header(name)) continue;
        have_host |= ieq_cstr(name, "host");
        hs[m++] = req->headers[i];
        total += strlen(name) + 1;
    }
    if (!have_host) goto out;
    hs[m++] = (bm_http_header){"X-Amz-Date", date};
    total += sizeof("x-amz-date");
    r = BM_ENOMEM;
    if (!(lowered = bm_malloc(total))) goto out;
    char *w = lowered;
    for (size_t i = 0; i < m; i++) {
        names[i] = w;
        for (const char *p = hs[i].name; *p; p++)
            *w++ = lower(*p);
        *w++ = 0;
    }
    qsort(names, m, sizeof(*names), cmp_cstr);
    for (size_t i = 0; i < m; i++) {
        if (i && strcmp(names[i], names[i - 1]) == 0) continue;
        if (sh.len && (r = bm_buf_putc(&sh, ';')) != BM_OK) goto out;
        if ((r = bm_buf_puts(&sh, names[i])) != BM_OK) goto out;
    }

    /* The payload hash: a declared x-amz-content-sha256 is signed as it is (as botocore does). */
    char payload[65];
    const char *declared = NULL;
    bm_sigv4_request sub = *req;
    sub.headers = hs;
    sub.nheaders = m;
    if (find_header(&sub, "x-amz-content-sha256", &declared)) {
        bm_slice d = trim(declared, strlen(declared));
        r = BM_EINVAL;
        if (d.n != 64) goto out;
        memcpy(payload, d.p, 64);
        payload[64] = 0;
    } else {
        bm_sigv4_sha256_hex(req->body, req->body ? req->body_len : 0, payload);
    }

    char scope[512], sig[65];
    int k = snprintf(scope, sizeof(scope), "%.8s/%s/%s/" TERMINATOR, date, region, service);
    r = BM_ELIMIT;
    if (k < 0 || (size_t)k >= sizeof(scope)) goto out;
    if ((r = canonical_request(&sub, s3, sh.data, sh.len, payload, &creq, NULL)) != BM_OK) goto out;
    if ((r = bm__sigv4_string_to_sign(date, scope, (size_t)k, creq.data, creq.len, &sts)) != BM_OK)
        goto out;
    if ((r = bm__sigv4_signature(key->secret_access_key, date, region, strlen(region), service,
                                 strlen(service), sts.data, sts.len, sig)) != BM_OK)
        goto out;
    r = BM_ELIMIT;
    if (amz_date_len < 17) goto out;
    k = snprintf(authorization, auth_len,
                 ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s", key->access_key_id,
                 scope, sh.data, sig);
    if (k < 0 || (size_t)k >= auth_len) {
        if (auth_len) authorization[0] = 0;
        goto out;
    }
    memcpy(amz_date, date, 17);
    r = BM_OK;
out:
    bm_free(hs);
    bm_free(names);
    bm_free(lowered);
    bm_buf_release(&sh);
    bm_buf_release(&creq);
    bm_buf_release(&sts);
    return r;
}

int bm_sigv4_sign(const bm_sigv4_request *req, const bm_sigv4_key *key, const char *region,
                  const char *service, int64_t now, char *amz_date, size_t amz_date_len,
                  char *authorization, size_t auth_len)
{
    return sign(req, key, region, service, 0, now, amz_date, amz_date_len, authorization, auth_len);
}

int bm_sigv4_sign_s3(const bm_sigv4_request *req, const bm_sigv4_key *key, const char *region,
                     int64_t now, char *amz_date, size_t amz_date_len, char *authorization,
                     size_t auth_len)
{
    const char *declared = NULL;
    if (!req || !find_header(req, "x-amz-content-sha256", &declared)) return BM_EINVAL;
    return sign(req, key, region, "s3", 1, now, amz_date, amz_date_len, authorization, auth_len);
}

/* ==================================================================================== */
/* The credentials file                                                                 */
/* ==================================================================================== */

#define CREDENTIALS_MAX 4096
#define FIELD_MAX 128

/* Fills out[0..n) with characters of alphabet drawn uniformly (rejection sampling). */
static int random_text(char *out, size_t n, const char *alphabet)
{
    size_t na = strlen(alphabet), limit = 256 - 256 % na, k = 0;
    unsigned char pool[64];
    int r = BM_OK;
    while (k < n && r == BM_OK) {
        if ((r = bm_random_bytes(pool, sizeof(pool))) != BM_OK) break;
        for (size_t i = 0; i < sizeof(pool) && k < n; i++)
            if (pool[i] < limit) out[k++] = alphabet[pool[i] % na];
    }
    OPENSSL_cleanse(pool, sizeof(pool));
    return r;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int copy_out(const char *v, size_t n, char *out, size_t outlen, const char *what,
                    const char *path, bm_error *err)
{
    if (!out || outlen <= n)
        return bm_error_set(err, BM_ELIMIT, "%s: the %s (%zu characters) does not fit the buffer",
                            path, what, n);
    memcpy(out, v, n);
    out[n] = 0;
    return BM_OK;
}

/* Parses the file's text: "access_key_id=..." and "secret_access_key=..." lines; blank lines
 * and lines starting with '#' are ignored. */
static int parse_credentials(const char *text, size_t n, const char *path, char *id, size_t idlen,
                             char *secret, size_t secretlen, bm_error *err)
{
    bm_slice idv = {NULL, 0}, sv = {NULL, 0};
    long line = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && text[j] != '\n')
            j++;
        line++;
        bm_slice l = trim(text + i, j - i);
        i = j + 1;
        if (l.n == 0 || l.p[0] == '#') continue;
        const char *eqs = memchr(l.p, '=', l.n);
        bm_slice k = trim(l.p, eqs ? (size_t)(eqs - l.p) : l.n);
        bm_slice v = eqs ? trim(eqs + 1, (size_t)(l.p + l.n - eqs - 1)) : (bm_slice){"", 0};
        bm_slice *dst = eq(k, "access_key_id") ? &idv : eq(k, "secret_access_key") ? &sv : NULL;
        if (!eqs || !dst) {
            bm_error_at(err, path, line, 1, NULL);
            return bm_error_set(err, BM_EPARSE,
                                "expected access_key_id=... or secret_access_key=...");
        }
        if (dst->p) {
            bm_error_at(err, path, line, 1, NULL);
            return bm_error_set(err, BM_EPARSE, "%s is set twice",
                                dst == &idv ? "access_key_id" : "secret_access_key");
        }
        int ok = v.n >= 1 && v.n <= FIELD_MAX;
        for (size_t x = 0; ok && x < v.n; x++) {
            unsigned char ch = (unsigned char)v.p[x];
            ok = dst == &idv ? is_unreserved(ch) && ch != '.' && ch != '~' && ch != '-'
                             : ch > 0x20 && ch < 0x7f;
        }
        if (!ok) {
            bm_error_at(err, path, line, (long)(v.p - l.p) + 1, NULL);
            return bm_error_set(err, BM_EPARSE,
                                dst == &idv ? "access_key_id must be 1-128 letters, digits or '_'"
                                            : "secret_access_key must be 1-128 printable "
                                              "characters without spaces");
        }
        *dst = v;
    }
    if (!idv.p || !sv.p) {
        bm_error_at(err, path, 0, 0, NULL);
        return bm_error_set(err, BM_EPARSE, "%s is missing",
                            !idv.p ? "access_key_id" : "secret_access_key");
    }
    int r = copy_out(idv.p, idv.n, id, idlen, "access key id", path, err);
    if (r == BM_OK) r = copy_out(sv.p, sv.n, secret, secretlen, "secret access key", path, err);
    return r;
}

/* Reads an open credentials file after checking what it is and who may read it. */
static int read_credentials(int fd, const char *path, char *id, size_t idlen, char *secret,
                            size_t secretlen, bm_error *err)
{
    struct stat st;
    char text[CREDENTIALS_MAX + 1];
    if (fstat(fd, &st) != 0) return bm_error_set(err, BM_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return bm_error_set(err, BM_EINVAL, "%s: not a regular file", path);
    if (st.st_mode & 077)
        return bm_error_set(err, BM_EINVAL,
                            "%s: mode %04o lets group or others access the keys; "
                            "run chmod 600 %s",
                            path, (unsigned)(st.st_mode & 07777), path);
    size_t n = 0;
    while (n < sizeof(text)) {
        ssize_t k = read(fd, text + n, sizeof(text) - n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            int e = errno;
            OPENSSL_cleanse(text, n);
            return bm_error_set(err, BM_EIO, "%s: %s", path, strerror(e));
        }
        if (k == 0) break;
        n += (size_t)k;
    }
    int r;
    if (n > CREDENTIALS_MAX)
        r = bm_error_set(err, BM_EINVAL, "%s: larger than %d bytes", path, CREDENTIALS_MAX);
    else
        r = parse_credentials(text, n, path, id, idlen, secret, secretlen, err);
    OPENSSL_cleanse(text, sizeof(text));
    return r;
}

/* Writes text into a new file at path (O_CREAT|O_EXCL, mode 0600), fsync'ed. Returns 0, or -1
 * with errno. */
static int create_file(const char *path, const char *text, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    int rc = 0;
    if (fchmod(fd, 0600) != 0 || write_all(fd, text, n) != 0 || fsync(fd) != 0) rc = -1;
    int e = errno;
    if (close(fd) != 0 && rc == 0) rc = -1, e = errno;
    if (rc != 0) {
        unlink(path);
        errno = e;
    }
    return rc;
}

/* Creates {dir}/credentials with fresh keys, complete or not at all: the text goes to a
 * temporary file that is then hard-linked into place (link fails if another process got there
 * first). Where hard links are unsupported the file is created in place. Returns BM_OK,
 * BM_EEXISTS when the file appeared meanwhile, or an error. */
static int create_credentials(const char *dir, const char *path, char *id, char *secret,
                              bm_error *err)
{
    static const char upper_digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char text[256], tmp[4200], suffix[17];
    int r;
    memcpy(id, "BM", 2);
    if ((r = random_text(id + 2, 18, upper_digits)) != BM_OK ||
        (r = random_text(secret, 40, b64)) != BM_OK ||
        (r = random_text(suffix, 16, upper_digits)) != BM_OK)
        return bm_error_set(err, BM_EIO, "no random bytes for new credentials: %s",
                            strerror(errno));
    id[20] = secret[40] = suffix[16] = 0;
    int n = snprintf(text, sizeof(text), "access_key_id=%s\nsecret_access_key=%s\n", id, secret);
    int k = snprintf(tmp, sizeof(tmp), "%s/.credentials.%s.tmp", dir, suffix);
    if (k < 0 || (size_t)k >= sizeof(tmp)) {
        r = bm_error_set(err, BM_EINVAL, "%s: path too long", dir);
        goto out;
    }
    if (create_file(tmp, text, (size_t)n) != 0) {
        r = bm_error_set(err, BM_EIO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    if (link(tmp, path) == 0) {
        r = BM_OK;
    } else if (errno == EEXIST) {
        r = BM_EEXISTS;
    } else if (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS || errno == EXDEV) {
        if (create_file(path, text, (size_t)n) == 0)
            r = BM_OK;
        else if (errno == EEXIST)
            r = BM_EEXISTS;
        else
            r = bm_error_set(err, BM_EIO, "%s: %s", path, strerror(errno));
    } else {
        r = bm_error_set(err, BM_EIO, "%s: %s", path, strerror(errno));
    }
    unlink(tmp);
    if (r == BM_OK) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) { /* best effort: the entry survives a crash on most file systems anyway */
            (void)fsync(dfd);
            close(dfd);
        }
    }
out:
    OPENSSL_cleanse(text, sizeof(text));
    return r;
}

int bm_credentials_load(const char *dir, char *id, size_t idlen, char *secret, size_t secretlen,
                        bm_error *err)
{
    char path[4096], new_id[32], new_secret[48];
    int r = BM_EINVAL;
    if (!dir || !*dir || !id || !secret) return bm_error_set(err, BM_EINVAL, "no data directory");
    int k = snprintf(path, sizeof(path), "%s/credentials", dir);
    if (k < 0 || (size_t)k >= sizeof(path))
        return bm_error_set(err, BM_EINVAL, "%s: path too long", dir);
    for (int attempt = 0; attempt < 3; attempt++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0) {
            r = read_credentials(fd, path, id, idlen, secret, secretlen, err);
            close(fd);
            goto out;
        }
        if (errno != ENOENT) {
            r = bm_error_set(err, BM_EIO, "%s: %s", path, strerror(errno));
            goto out;
        }
        r = create_credentials(dir, path, new_id, new_secret, err);
        if (r == BM_EEXISTS) continue; /* another process created it: read theirs */
        if (r == BM_OK) {
            r = copy_out(new_id, 20, id, idlen, "access key id", path, err);
            if (r == BM_OK)
                r = copy_out(new_secret, 40, secret, secretlen, "secret access key", path, err);
        }
        goto out;
    }
    r = bm_error_set(err, BM_EIO, "%s: could not be read or created", path);
out:
    OPENSSL_cleanse(new_secret, sizeof(new_secret));
    return r;
}
