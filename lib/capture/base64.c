/* Standard base64 (RFC 4648 section 4) decoding of BASE64-encoded capture payloads. */
#include <string.h>
#include "biasmon/capture.h"

/* 1 + the alphabet value of each byte; 0 for bytes outside the alphabet. */
static const unsigned char b64[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

#define CHUNK 3072 /* output bytes decoded on the stack before each append */

int bm_base64_decode(bm_slice in, bm_buf *out)
{
    int r = BM_EINTERNAL;
    const unsigned char *p = (const unsigned char *)in.p;
    size_t n = in.n, old_len = out->len;
    unsigned char tmp[CHUNK];
    size_t t = 0;

    /* Padding: none, or enough '=' to make a multiple of 4 (one or two). */
    if (n && p[n - 1] == '=') {
        if (n % 4 != 0) {
            r = BM_EPARSE;
            goto out;
        }
        n -= p[n - 2] == '=' ? 2 : 1;
    }
    if (n % 4 == 1) { /* one symbol holds only 6 bits: not a byte */
        r = BM_EPARSE;
        goto out;
    }
    size_t full = n / 4 * 4, i;
    for (i = 0; i < full; i += 4) {
        unsigned char a = p[i], b = p[i + 1], c = p[i + 2], d = p[i + 3];
        if (!b64[a] || !b64[b] || !b64[c] || !b64[d]) {
            r = BM_EPARSE;
            goto out;
        }
        uint32_t v = (uint32_t)(b64[a] - 1) << 18 | (uint32_t)(b64[b] - 1) << 12 |
                     (uint32_t)(b64[c] - 1) << 6 | (uint32_t)(b64[d] - 1);
        tmp[t] = (unsigned char)(v >> 16);
        tmp[t + 1] = (unsigned char)(v >> 8);
        tmp[t + 2] = (unsigned char)v;
        t += 3;
        if (t == CHUNK) {
            if ((r = bm_buf_append(out, tmp, t)) != BM_OK) goto out;
            t = 0;
        }
    }
    if (n > full) { /* 2 or 3 symbols: 1 or 2 bytes; the unused low bits are ignored */
        uint32_t v = 0;
        for (size_t k = full; k < n; k++) {
            if (!b64[p[k]]) {
                r = BM_EPARSE;
                goto out;
            }
            v |= (uint32_t)(b64[p[k]] - 1) << (18 - 6 * (k - full));
        }
        tmp[t++] = (unsigned char)(v >> 16);
        if (n - full == 3) tmp[t++] = (unsigned char)(v >> 8);
    }
    if (t && (r = bm_buf_append(out, tmp, t)) != BM_OK) goto out;
    r = BM_OK;
out:
    if (r != BM_OK && out->len != old_len) {
        out->len = old_len;
        out->data[old_len] = 0;
    }
    return r;
}
