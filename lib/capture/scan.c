/* Single-pass validating JSON scanner for one SageMaker capture / ground-truth record (no DOM). */
#include <string.h>
#include "biasmon/capture.h"
#if defined(__SSE2__) && defined(__GNUC__) && !defined(BM_NO_SIMD)
#include <emmintrin.h>
#define HAVE_SSE2 1
#endif

#if defined(__GNUC__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define NOINLINE __attribute__((noinline))
#define COLD __attribute__((cold, noinline))
#else
#define LIKELY(x) (x)
#define UNLIKELY(x) (x)
#define NOINLINE
#define COLD
#endif

/* The acceptance rules are jansson's json_loadb(flags 0) rules, restricted to objects: RFC 8259
 * syntax, whitespace " \t\n\r", valid UTF-8 everywhere, no \u0000 and no lone surrogates in
 * strings, integers (no fraction, no exponent) within int64, reals that do not overflow a double,
 * the last of duplicate keys wins. The differences (capture.h lists them) are the nesting limit
 * (jansson's is 2048), needed members of the wrong type, and a NUL byte after a number or
 * literal (which jansson's lexer drops).
 *
 * Speed: string bodies are skipped 16 bytes at a time (SSE2, or 8 with SWAR; BM_NO_SIMD forces
 * the portable path for tests); the needed members' strings without escapes are slices into the
 * line; known objects are walked by a recursive descent three levels deep, everything else by
 * an iterative skipper. */

#define MAX_DEPTH 64
#define MAX_NAME 20 /* longest member name we look for ("batchTransformOutput") */

/* ==================================================================== the record's slots */

/* Every member the scanner extracts has a slot; an object's members follow it, so clearing an
 * object clears a contiguous run. Bit `slot` of bad is set while the member's value has the
 * wrong type; bad_col[slot] is then the 1-based column of that value. */
enum {
    S_CAPTURE = 0,
    S_INPUT = 1, /* +1 data, +2 encoding, +3 observedContentType, +4 mode */
    S_OUTPUT = 6,
    S_BATCH = 11,
    S_GROUND_TRUTH = 16,
    S_META = 21,
    S_EVENT_ID = 22,
    S_INFERENCE_ID = 23,
    S_INFERENCE_TIME = 24,
    S_EVENT_VERSION = 25,
    NSLOTS = 26
};

static const char *const slot_path[NSLOTS] = {
    "$.captureData",
    "$.captureData.endpointInput",
    "$.captureData.endpointInput.data",
    "$.captureData.endpointInput.encoding",
    "$.captureData.endpointInput.observedContentType",
    "$.captureData.endpointInput.mode",
    "$.captureData.endpointOutput",
    "$.captureData.endpointOutput.data",
    "$.captureData.endpointOutput.encoding",
    "$.captureData.endpointOutput.observedContentType",
    "$.captureData.endpointOutput.mode",
    "$.captureData.batchTransformOutput",
    "$.captureData.batchTransformOutput.data",
    "$.captureData.batchTransformOutput.encoding",
    "$.captureData.batchTransformOutput.observedContentType",
    "$.captureData.batchTransformOutput.mode",
    "$.groundTruthData",
    "$.groundTruthData.data",
    "$.groundTruthData.encoding",
    "$.groundTruthData.observedContentType",
    "$.groundTruthData.mode",
    "$.eventMetadata",
    "$.eventMetadata.eventId",
    "$.eventMetadata.inferenceId",
    "$.eventMetadata.inferenceTime",
    "$.eventVersion",
};

/* What a member's value is to the scanner. */
enum kind {
    K_SKIP,    /* not needed: validate and skip */
    K_STRING,  /* a needed string */
    K_ROOT,    /* the record object */
    K_CAPTURE, /* captureData */
    K_PAYLOAD, /* endpointInput, endpointOutput, batchTransformOutput, groundTruthData */
    K_META,    /* eventMetadata */
};

struct bm_capture_scanner {
    size_t max_scratch;
    char *scratch; /* unescaped strings of the current line */
    size_t cap;    /* bytes allocated at scratch */
};

/* The state of one scan. Scanning functions take a position and return the position after
 * what they scanned, or NULL once they have recorded an error in status and err. */
typedef struct scan {
    const unsigned char *base, *end;
    bm_capture_scanner *s;
    bm_capture_record *out;
    bm_error *err;
    size_t used;            /* scratch bytes used by this line */
    int status;             /* BM_OK, or the error */
    uint32_t bad;           /* one bit per slot */
    size_t bad_col[NSLOTS]; /* meaningful where bad has the bit */
} scan;

/* ==================================================================== errors */

/* Error helpers record the error in sc and return NULL, so scanning functions can return the
 * position after what they scanned, or NULL. */
static COLD const unsigned char *fail(scan *sc, const unsigned char *at, int code, const char *msg)
{
    bm_error *e = sc->err;
    sc->status = code;
    if (e) {
        bm_error_set(e, code, "%s", msg);
        e->col = (long)(at - sc->base) + 1;
        e->path[0] = 0;
    }
    return NULL;
}

/* A premature end of input, or an unexpected byte at p, where `what` was expected. */
static COLD const unsigned char *expected(scan *sc, const unsigned char *p, const char *what)
{
    bm_error *e = sc->err;
    sc->status = BM_EPARSE;
    if (e) {
        if (p >= sc->end)
            bm_error_set(e, BM_EPARSE, "unexpected end of input, expected %s", what);
        else if (*p >= 0x20 && *p < 0x7f)
            bm_error_set(e, BM_EPARSE, "unexpected '%c', expected %s", *p, what);
        else
            bm_error_set(e, BM_EPARSE, "unexpected byte 0x%02x, expected %s", *p, what);
        e->col = (long)(p - sc->base) + 1;
        e->path[0] = 0;
    }
    return NULL;
}

static const char *type_name(unsigned char c)
{
    switch (c) {
    case '"':
        return "a string";
    case '{':
        return "an object";
    case '[':
        return "an array";
    case 't':
    case 'f':
        return "a boolean";
    case 'n':
        return "null";
    default:
        return "a number";
    }
}

/* ==================================================================== bytes */

/* Bytes that end a fast run inside a string: '"', '\\', controls (< 0x20) and non-ASCII. */
static inline int string_special(unsigned c)
{
    return (unsigned char)(c - 0x20) >= 0x60 || c == '"' || c == '\\';
}

/* The first string-special byte in [p, end), or end. */
static inline const unsigned char *find_special(const unsigned char *p, const unsigned char *end)
{
#if HAVE_SSE2
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(' ');
    /* Signed compare: bytes 0x80-0xff are negative, so "< ' '" also catches non-ASCII. */
#define SPECIAL_MASK(v)                                                                            \
    (unsigned)_mm_movemask_epi8(                                                                   \
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),            \
                     _mm_cmplt_epi8(v, space)))
    while (end - p >= 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = SPECIAL_MASK(a);
        if (m) return p + __builtin_ctz(m);
        p += 16;
    }
#undef SPECIAL_MASK
#else
    /* Eight bytes at a time: a word without any special byte is skipped whole. */
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        uint64_t hit = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w;
        if (hit & highs) break;
        p += 8;
    }
#endif
    while (p < end && !string_special(*p))
        p++;
    return p;
}

static inline const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && *p <= ' ' && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* Length of the valid UTF-8 sequence at p (*p >= 0x80), or 0: no overlong forms, no surrogates,
 * nothing above U+10FFFF (jansson's utf8_check_full). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t avail = (size_t)(end - p);
    if (c < 0xc2) return 0;
    if (c < 0xe0) return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c < 0xf0) {
        if (avail < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) return 0;
        if (c == 0xe0 && p[1] < 0xa0) return 0;  /* overlong */
        if (c == 0xed && p[1] >= 0xa0) return 0; /* UTF-16 surrogate */
        return 3;
    }
    if (c < 0xf5) {
        if (avail < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && p[1] < 0x90) return 0;  /* overlong */
        if (c == 0xf4 && p[1] >= 0x90) return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

static int hexval(unsigned c)
{
    if (c - '0' < 10) return (int)(c - '0');
    c |= 0x20;
    if (c - 'a' < 6) return (int)(c - 'a' + 10);
    return -1;
}

/* The code unit of \uXXXX at p (p[0] == '\\', p[1] == 'u'), or -1 when the digits are bad. */
static long hex4(const unsigned char *p, const unsigned char *end)
{
    if (end - p < 6) return -1;
    int a = hexval(p[2]), b = hexval(p[3]), c = hexval(p[4]), d = hexval(p[5]);
    if ((a | b | c | d) < 0) return -1;
    return (long)a << 12 | b << 8 | c << 4 | d;
}

/* ==================================================================== strings */

/* The closing quote of a string (NULL after an error) and whether the string has an escape. */
typedef struct strend {
    const unsigned char *q;
    int esc;
} strend;

/* Validates the escape at p ('\\'); returns the position after it. */
static const unsigned char *check_escape(scan *sc, const unsigned char *p)
{
    const unsigned char *end = sc->end;
    if (end - p < 2) return fail(sc, p, BM_EPARSE, "unexpected end of input in an escape");
    switch (p[1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        return p + 2;
    case 'u':
        break;
    default:
        return fail(sc, p, BM_EPARSE, "invalid escape");
    }
    long u = hex4(p, end);
    if (u < 0) return fail(sc, p, BM_EPARSE, "invalid \\u escape (four hex digits expected)");
    if (u == 0) return fail(sc, p, BM_EPARSE, "\\u0000 is not allowed");
    if (u >= 0xdc00 && u <= 0xdfff)
        return fail(sc, p, BM_EPARSE, "lone low surrogate in \\u escape");
    if (u >= 0xd800 && u <= 0xdbff) {
        long lo = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 6, end) : -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail(sc, p, BM_EPARSE, "high surrogate not followed by a low surrogate");
        return p + 12;
    }
    return p + 6;
}

/* The rest of string_close once a special byte other than the closing quote (or the end) is
 * at q: escapes, non-ASCII and errors. Out of line, so the fast path stays small. */
static NOINLINE strend string_close_slow(scan *sc, const unsigned char *q)
{
    const unsigned char *end = sc->end;
    strend r = {NULL, 0};
    for (;;) {
        if (q == end) {
            fail(sc, q, BM_EPARSE, "unexpected end of input in a string");
            return r;
        }
        unsigned c = *q;
        if (c == '"') {
            r.q = q;
            return r;
        }
        if (c == '\\') {
            r.esc = 1;
            if (!(q = check_escape(sc, q))) return r;
        } else if (c < 0x20) {
            fail(sc, q, BM_EPARSE, "control character in a string (escape it)");
            return r;
        } else {
            size_t n = utf8_len(q, end);
            if (!n) {
                fail(sc, q, BM_EPARSE, "invalid UTF-8");
                return r;
            }
            q += n;
        }
        q = find_special(q, end);
    }
}

/* Validates a string whose body starts at p (after the opening quote). */
static inline strend string_close(scan *sc, const unsigned char *p)
{
    const unsigned char *q = find_special(p, sc->end);
    if (LIKELY(q < sc->end && *q == '"')) return (strend){q, 0};
    return string_close_slow(sc, q);
}

static size_t put_utf8(unsigned long u, char *d)
{
    if (u < 0x80) {
        d[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        d[0] = (char)(0xc0 | u >> 6);
        d[1] = (char)(0x80 | (u & 0x3f));
        return 2;
    }
    if (u < 0x10000) {
        d[0] = (char)(0xe0 | u >> 12);
        d[1] = (char)(0x80 | (u >> 6 & 0x3f));
        d[2] = (char)(0x80 | (u & 0x3f));
        return 3;
    }
    d[0] = (char)(0xf0 | u >> 18);
    d[1] = (char)(0x80 | (u >> 12 & 0x3f));
    d[2] = (char)(0x80 | (u >> 6 & 0x3f));
    d[3] = (char)(0x80 | (u & 0x3f));
    return 4;
}

/* Decodes the escape at p (validated by check_escape) into d; *len gets the escape's length. */
static size_t decode_escape(const unsigned char *p, const unsigned char *end, char *d, size_t *len)
{
    *len = 2;
    switch (p[1]) {
    case 'b':
        *d = '\b';
        return 1;
    case 'f':
        *d = '\f';
        return 1;
    case 'n':
        *d = '\n';
        return 1;
    case 'r':
        *d = '\r';
        return 1;
    case 't':
        *d = '\t';
        return 1;
    case 'u':
        break;
    default:
        *d = (char)p[1];
        return 1; /* " \ / */
    }
    unsigned long u = (unsigned long)hex4(p, end);
    *len = 6;
    if (u >= 0xd800 && u <= 0xdbff) {
        u = 0x10000 + ((u - 0xd800) << 10) + ((unsigned long)hex4(p + 6, end) - 0xdc00);
        *len = 12;
    }
    return put_utf8(u, d);
}

/* Unescapes a validated string body [p, end) into d (room for end - p bytes); returns the bytes
 * written. With d NULL only counts them. */
static size_t unescape(const unsigned char *p, const unsigned char *end, char *d)
{
    size_t w = 0;
    char tmp[4];
    while (p < end) {
        const unsigned char *q = memchr(p, '\\', (size_t)(end - p));
        if (!q) q = end;
        if (d) memcpy(d + w, p, (size_t)(q - p));
        w += (size_t)(q - p);
        if (q == end) break;
        size_t len;
        w += decode_escape(q, end, d ? d + w : tmp, &len);
        p = q + len;
    }
    return w;
}

/* Stores the unescaped form of the validated body [p, end) in the scratch area. The area is
 * sized once per line for every string of the line (unescaping never lengthens), so slices
 * taken earlier in the line stay valid: it is only (re)allocated while it holds nothing.
 * Returns BM_OK or an error (recorded in sc; `at` is the opening quote). */
static NOINLINE int store_escaped(scan *sc, const unsigned char *p, const unsigned char *end,
                                  const unsigned char *at, bm_slice *out)
{
    bm_capture_scanner *s = sc->s;
    size_t line = (size_t)(sc->end - sc->base);
    size_t want = line < s->max_scratch ? line : s->max_scratch;
    if (s->cap < want) {
        /* the first escaped string of this line: sc->used == 0, nothing to keep */
        bm_free(s->scratch);
        s->cap = 0;
        s->scratch = bm_malloc(want);
        if (!s->scratch) {
            fail(sc, at, BM_ENOMEM, "out of memory for the scratch area");
            if (sc->err) sc->err->col = 0;
            return BM_ENOMEM;
        }
        s->cap = want;
    }
    size_t room = s->cap - sc->used;
    if ((size_t)(end - p) > room && unescape(p, end, NULL) > room) {
        /* only when max_scratch < line length can the exact size matter */
        fail(sc, at, BM_ELIMIT, "unescaped strings of the line exceed the scratch limit");
        return BM_ELIMIT;
    }
    char *d = s->scratch + sc->used;
    size_t w = unescape(p, end, d);
    sc->used += w;
    out->p = d;
    out->n = w;
    return BM_OK;
}

/* ==================================================================== numbers and literals */

/* 2^1024 - 2^970, the least positive decimal that strtod rounds to infinity: 309 digits. */
static const char dbl_overflow[] =
    "17976931348623158079372897140530341507993413271003782693617377898044496829276475094664901797"
    "75872070963302864166928879109465555478519404026306574886715058206819089020007083836762738548"
    "45817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711"
    "559699508093042880177904174497792";

/* Whether the real with integer digits ip[0..ni), fraction digits fp[0..nf) and exponent e is at
 * least dbl_overflow, i.e. strtod would fail with ERANGE and jansson reports an overflow. */
static int real_overflows(const unsigned char *ip, size_t ni, const unsigned char *fp, size_t nf,
                          long long e)
{
    long long mag; /* value = 0.d1d2... x 10^mag with d1 != 0 */
    if (ni == 1 && ip[0] == '0') {
        size_t z = 0;
        while (z < nf && fp[z] == '0')
            z++;
        if (z == nf) return 0; /* zero */
        mag = e - (long long)z;
        fp += z;
        nf -= z;
        ni = 0;
    } else {
        mag = e + (long long)ni;
    }
    const long long digits = (long long)sizeof(dbl_overflow) - 1;
    if (mag != digits) return mag > digits;
    for (size_t i = 0; i < (size_t)digits; i++) {
        unsigned char d = i < ni ? ip[i] : i - ni < nf ? fp[i - ni] : '0';
        if (d != (unsigned char)dbl_overflow[i]) return d > (unsigned char)dbl_overflow[i];
    }
    return 1;
}

static inline int is_digit(unsigned c)
{
    return c - '0' < 10;
}

/* Validates a number at p (RFC 8259 grammar, jansson's range rules); returns the position
 * after it. */
static const unsigned char *skip_number(scan *sc, const unsigned char *p)
{
    const unsigned char *end = sc->end, *start = p;
    int neg = 0, real = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    const unsigned char *ip = p;
    if (p < end && *p == '0') {
        p++;
        if (p < end && is_digit(*p)) return fail(sc, p, BM_EPARSE, "leading zero in a number");
    } else if (p < end && is_digit(*p)) {
        while (p < end && is_digit(*p))
            p++;
    } else {
        return fail(sc, p, BM_EPARSE, "digit expected in a number");
    }
    size_t ni = (size_t)(p - ip);
    const unsigned char *fp = p;
    size_t nf = 0;
    if (p < end && *p == '.') {
        real = 1;
        fp = ++p;
        if (p == end || !is_digit(*p))
            return fail(sc, p, BM_EPARSE, "digit expected after the decimal point");
        while (p < end && is_digit(*p))
            p++;
        nf = (size_t)(p - fp);
    }
    long long e = 0;
    if (p < end && (*p | 0x20) == 'e') {
        real = 1;
        int eneg = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p == end || !is_digit(*p))
            return fail(sc, p, BM_EPARSE, "digit expected in an exponent");
        while (p < end && is_digit(*p)) {
            if (e < 1000000000000LL) e = e * 10 + (*p - '0'); /* saturates: far beyond any use */
            p++;
        }
        if (eneg) e = -e;
    }
    if (real) {
        if (real_overflows(ip, ni, fp, nf, e))
            return fail(sc, start, BM_EPARSE, "number too large for a double");
    } else if (ni >= 19) {
        if (ni > 19 || memcmp(ip, neg ? "9223372036854775808" : "9223372036854775807", 19) > 0)
            return fail(sc, start, BM_EPARSE, "integer out of the 64-bit range");
    }
    return p;
}

static const unsigned char *skip_literal(scan *sc, const unsigned char *p)
{
    size_t avail = (size_t)(sc->end - p);
    size_t n = *p == 'f' ? 5 : 4;
    const char *lit = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
    if (avail < n || memcmp(p, lit, n) != 0) return fail(sc, p, BM_EPARSE, "invalid literal");
    return p + n;
}

/* ==================================================================== skipping */

/* Validates `"key" :` at p; returns the position of the value after it. */
static const unsigned char *skip_key(scan *sc, const unsigned char *p)
{
    if (p >= sc->end || *p != '"') return expected(sc, p, "a string (object key)");
    if (!(p = string_close(sc, p + 1).q)) return NULL;
    p = skip_ws(p + 1, sc->end);
    if (p >= sc->end || *p != ':') return expected(sc, p, "':'");
    return skip_ws(p + 1, sc->end);
}

/* Validates the value at p, of any type; returns the position after it. depth is the nesting
 * depth of the container holding the value (the record object is 1). Iterative: containers
 * opened here are tracked in a bit stack (at most MAX_DEPTH levels fit in 64 bits). */
static const unsigned char *skip_value(scan *sc, const unsigned char *p, int depth)
{
    const unsigned char *end = sc->end;
    uint64_t objects = 0; /* bit k: the container at level k of this call is an object */
    int level = 0;
    for (;;) {
        int c = p < end ? *p : -1;
        switch (c) {
        case '"':
            if (!(p = string_close(sc, p + 1).q)) return NULL;
            p++;
            break;
        case '{':
        case '[':
            if (depth + level + 1 > MAX_DEPTH)
                return fail(sc, p, BM_ELIMIT, "nesting deeper than 64 levels");
            level++;
            if (c == '{')
                objects |= (uint64_t)1 << level;
            else
                objects &= ~((uint64_t)1 << level);
            p = skip_ws(p + 1, end);
            if (p < end && *p == (c == '{' ? '}' : ']')) {
                p++;
                level--;
                break;
            }
            if (c == '{' && !(p = skip_key(sc, p))) return NULL;
            continue;
        case '-':
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
        case '8':
        case '9':
            if (!(p = skip_number(sc, p))) return NULL;
            break;
        case 't':
        case 'f':
        case 'n':
            if (!(p = skip_literal(sc, p))) return NULL;
            break;
        default:
            return expected(sc, p, "a value");
        }
        /* a value is complete: close containers until one continues */
        for (;;) {
            if (level == 0) return p;
            int obj = (int)(objects >> level & 1);
            p = skip_ws(p, end);
            c = p < end ? *p : -1;
            if (c == ',') {
                p = skip_ws(p + 1, end);
                if (obj && !(p = skip_key(sc, p))) return NULL;
                break;
            }
            if (c != (obj ? '}' : ']')) return expected(sc, p, obj ? "',' or '}'" : "',' or ']'");
            p++;
            level--;
        }
    }
}

/* ==================================================================== the needed members */

static bm_capture_payload *payload_of(scan *sc, int slot)
{
    switch (slot) {
    case S_INPUT:
        return &sc->out->input;
    case S_OUTPUT:
        return &sc->out->output;
    case S_BATCH:
        return &sc->out->batch_output;
    default:
        return &sc->out->ground_truth;
    }
}

#define RUN(first, n) ((((uint32_t)1 << (n)) - 1) << (first))

/* Forgets what an object slot held (a later duplicate key replaces the whole value). */
static void clear_object(scan *sc, int slot)
{
    bm_capture_record *o = sc->out;
    switch (slot) {
    case S_CAPTURE:
        memset(&o->input, 0, sizeof(o->input));
        memset(&o->output, 0, sizeof(o->output));
        memset(&o->batch_output, 0, sizeof(o->batch_output));
        if (UNLIKELY(sc->bad)) sc->bad &= ~RUN(S_INPUT, 15);
        break;
    case S_META:
        o->event_id = o->inference_id = o->inference_time = (bm_slice){NULL, 0};
        if (UNLIKELY(sc->bad)) sc->bad &= ~RUN(S_EVENT_ID, 3);
        break;
    default:
        memset(payload_of(sc, slot), 0, sizeof(bm_capture_payload));
        if (UNLIKELY(sc->bad)) sc->bad &= ~RUN(slot + 1, 4);
        break;
    }
}

/* Classifies member `key` of an object of kind `kind` (slot `slot`): sets *child_slot and, for
 * strings, *str; returns the member's kind. */
static inline enum kind lookup(scan *sc, enum kind kind, int slot, const unsigned char *k, size_t n,
                               int *child_slot, bm_slice **str)
{
#define KEY_IS(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, sizeof(lit) - 1) == 0)
    bm_capture_record *o = sc->out;
    switch (kind) {
    case K_PAYLOAD: {
        bm_capture_payload *pl = payload_of(sc, slot);
        if (KEY_IS("data")) {
            *child_slot = slot + 1;
            *str = &pl->data;
        } else if (KEY_IS("encoding")) {
            *child_slot = slot + 2;
            *str = &pl->encoding;
        } else if (KEY_IS("observedContentType")) {
            *child_slot = slot + 3;
            *str = &pl->content_type;
        } else if (KEY_IS("mode")) {
            *child_slot = slot + 4;
            *str = &pl->mode;
        } else {
            break;
        }
        return K_STRING;
    }
    case K_META:
        if (KEY_IS("eventId")) {
            *child_slot = S_EVENT_ID;
            *str = &o->event_id;
        } else if (KEY_IS("inferenceId")) {
            *child_slot = S_INFERENCE_ID;
            *str = &o->inference_id;
        } else if (KEY_IS("inferenceTime")) {
            *child_slot = S_INFERENCE_TIME;
            *str = &o->inference_time;
        } else {
            break;
        }
        return K_STRING;
    case K_CAPTURE:
        if (KEY_IS("endpointInput"))
            *child_slot = S_INPUT;
        else if (KEY_IS("endpointOutput"))
            *child_slot = S_OUTPUT;
        else if (KEY_IS("batchTransformOutput"))
            *child_slot = S_BATCH;
        else
            break;
        return K_PAYLOAD;
    case K_ROOT:
        if (KEY_IS("captureData")) {
            *child_slot = S_CAPTURE;
            return K_CAPTURE;
        }
        if (KEY_IS("eventMetadata")) {
            *child_slot = S_META;
            return K_META;
        }
        if (KEY_IS("eventVersion")) {
            *child_slot = S_EVENT_VERSION;
            *str = &o->event_version;
            return K_STRING;
        }
        if (KEY_IS("groundTruthData")) {
            *child_slot = S_GROUND_TRUTH;
            return K_PAYLOAD;
        }
        break;
    default:
        break;
    }
    return K_SKIP;
#undef KEY_IS
}

/* Records that the value at p of a needed member has the wrong type (reported at the end, if
 * no later duplicate replaces it). */
static void wrong_type(scan *sc, int slot, const unsigned char *p)
{
    sc->bad_col[slot] = (size_t)(p - sc->base) + 1;
    sc->bad |= (uint32_t)1 << slot;
}

/* Scans an object we descend into (p at its '{'); depth is its nesting depth. Returns the
 * position after its '}'. */
static const unsigned char *scan_object(scan *sc, const unsigned char *p, enum kind kind, int slot,
                                        int depth)
{
    const unsigned char *end = sc->end, *q;
    strend se;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') return p + 1;
    for (;;) {
        /* the key: compared after unescaping, as jansson stores it */
        if (p >= end || *p != '"') return expected(sc, p, "a string (object key)");
        p++;
        if (!(q = (se = string_close(sc, p)).q)) return NULL;
        const unsigned char *k = p;
        size_t kn = (size_t)(q - p);
        unsigned char kbuf[6 * MAX_NAME];
        if (UNLIKELY(se.esc)) {
            /* an escape takes at most 6 bytes per byte it stands for */
            if (kn <= sizeof(kbuf)) {
                kn = unescape(k, q, (char *)kbuf);
                k = kbuf;
            } else {
                kn = 0;
            }
        }
        p = skip_ws(q + 1, end);
        if (p >= end || *p != ':') return expected(sc, p, "':'");
        p = skip_ws(p + 1, end);

        int child = 0;
        bm_slice *str = NULL;
        enum kind ck = lookup(sc, kind, slot, k, kn, &child, &str);
        int c = p < end ? *p : -1;
        if (ck == K_STRING && c == '"') {
            if (!(q = (se = string_close(sc, p + 1)).q)) return NULL;
            if (LIKELY(!se.esc)) {
                str->p = (const char *)p + 1;
                str->n = (size_t)(q - p - 1);
            } else if (store_escaped(sc, p + 1, q, p, str) != BM_OK) {
                return NULL;
            }
            if (UNLIKELY(sc->bad)) sc->bad &= ~((uint32_t)1 << child);
            p = q + 1;
        } else if (ck == K_SKIP) {
            if (!(p = skip_value(sc, p, depth))) return NULL;
        } else if (ck == K_STRING) {
            *str = (bm_slice){NULL, 0};
            if (c >= 0) wrong_type(sc, child, p);
            if (!(p = skip_value(sc, p, depth))) return NULL;
        } else {
            clear_object(sc, child);
            if (c == '{') {
                if (UNLIKELY(sc->bad)) sc->bad &= ~((uint32_t)1 << child);
                if (ck == K_PAYLOAD) payload_of(sc, child)->present = 1;
                if (!(p = scan_object(sc, p, ck, child, depth + 1))) return NULL;
            } else {
                if (c >= 0) wrong_type(sc, child, p);
                if (!(p = skip_value(sc, p, depth))) return NULL;
            }
        }

        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') return p + 1;
        return expected(sc, p, "',' or '}'");
    }
}

/* After a complete, valid line: the first (leftmost) needed member whose final value has the
 * wrong type, as BM_EPARSE with its path; BM_OK when duplicates replaced them all. */
static int report_wrong_type(scan *sc)
{
    int first = -1;
    for (int i = 0; i < NSLOTS; i++)
        if ((sc->bad >> i & 1) && (first < 0 || sc->bad_col[i] < sc->bad_col[first])) first = i;
    if (first < 0) return BM_OK;
    const unsigned char *at = sc->base + sc->bad_col[first] - 1;
    int object = first == S_CAPTURE || first == S_INPUT || first == S_OUTPUT || first == S_BATCH ||
                 first == S_GROUND_TRUTH || first == S_META;
    if (sc->err) {
        /* the path is in err->path; bm_error_format prints it before the message */
        bm_error_set(sc->err, BM_EPARSE, "must be %s, not %s", object ? "an object" : "a string",
                     type_name(*at));
        bm_error_at(sc->err, NULL, sc->err->line, (long)sc->bad_col[first], slot_path[first]);
    }
    return BM_EPARSE;
}

/* Zeroes a record field by field (a memset of the whole becomes a slow `rep stos`). */
static inline void clear_record(bm_capture_record *o)
{
    static const bm_capture_payload none;
    o->input = none;
    o->output = none;
    o->batch_output = none;
    o->ground_truth = none;
    o->event_id = o->inference_id = o->inference_time = o->event_version = (bm_slice){NULL, 0};
}

/* ==================================================================== public */

bm_capture_scanner *bm_capture_scanner_new(size_t max_scratch)
{
    bm_capture_scanner *s = bm_calloc(1, sizeof(*s));
    if (s) s->max_scratch = max_scratch;
    return s;
}

void bm_capture_scanner_free(bm_capture_scanner *s)
{
    if (!s) return;
    bm_free(s->scratch);
    bm_free(s);
}

int bm_capture_scan(bm_capture_scanner *s, const char *line, size_t len, bm_capture_record *out,
                    bm_error *err)
{
    int r = BM_EINTERNAL;
    scan sc;
    if (!s || !out || (!line && len)) {
        if (out) clear_record(out);
        bm_error_set(err, BM_EINVAL, "bm_capture_scan: NULL argument");
        if (err) err->col = 0;
        return BM_EINVAL;
    }
    clear_record(out);
    sc.base = (const unsigned char *)(line ? line : "");
    sc.end = sc.base + len;
    sc.s = s;
    sc.out = out;
    sc.err = err;
    sc.used = 0;
    sc.status = BM_OK;
    sc.bad = 0;

    const unsigned char *p = skip_ws(sc.base, sc.end);
    if (p >= sc.end || *p != '{') {
        expected(&sc, p, "'{' (a record is a JSON object)");
    } else if ((p = scan_object(&sc, p, K_ROOT, -1, 1)) != NULL) {
        p = skip_ws(p, sc.end);
        if (p != sc.end) fail(&sc, p, BM_EPARSE, "unexpected data after the record object");
    }
    if ((r = sc.status) != BM_OK) goto out;
    if (sc.bad && (r = report_wrong_type(&sc)) != BM_OK) goto out;
    r = BM_OK;
out:
    if (r != BM_OK) clear_record(out);
    return r;
}
