/* Fuzz target for bm_base64_decode: a reference acceptance rule and a re-encoding round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/capture.h"

/* Checked:
 *   1. the decoder accepts exactly what ref_valid() accepts (the header's rules, written out
 *      plainly);
 *   2. when it accepts, encoding the output again (padded, zero unused bits) reproduces the
 *      input's symbols, the last one up to its unused low bits, and reproduces the input exactly
 *      when the input is canonical (padded to a multiple of 4, unused bits zero);
 *   3. decoding appends to what the buffer held; a failure (including BM_ELIMIT from a buffer
 *      one byte too small) leaves the buffer as it was. */

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int value(unsigned char c)
{
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

/* The symbols (input without padding) or -1 when the input is not base64. */
static long ref_valid(const unsigned char *in, size_t n)
{
    size_t pad = 0;
    if (n % 4 == 0 && n >= 1 && in[n - 1] == '=') pad = n >= 2 && in[n - 2] == '=' ? 2 : 1;
    size_t m = n - pad;
    for (size_t i = 0; i < m; i++)
        if (value(in[i]) < 0) return -1;
    if (m % 4 == 1) return -1;
    return (long)m;
}

static void encode(const unsigned char *b, size_t n, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)b[i] << 16;
        if (i + 1 < n) v |= (uint32_t)b[i + 1] << 8;
        if (i + 2 < n) v |= b[i + 2];
        out[w++] = alphabet[v >> 18];
        out[w++] = alphabet[v >> 12 & 63];
        out[w++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
        out[w++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    out[w] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bm_buf out;
    bm_buf_init(&out, (size_t)1 << 24);
    CHECK(bm_buf_append(&out, "pre", 3) == BM_OK);
    int r = bm_base64_decode((bm_slice){(const char *)data, size}, &out);
    long m = ref_valid(data, size);
    CHECK((r == BM_OK) == (m >= 0));
    CHECK(r == BM_OK || r == BM_EPARSE);
    CHECK(memcmp(out.data, "pre", 3) == 0);
    if (r != BM_OK) {
        CHECK(out.len == 3);
        bm_buf_release(&out);
        return 0;
    }
    size_t nbytes = out.len - 3;
    CHECK(nbytes == (size_t)m * 6 / 8);

    char *enc = malloc(nbytes / 3 * 4 + 8);
    CHECK(enc != NULL);
    encode((const unsigned char *)out.data + 3, nbytes, enc);
    size_t elen = strlen(enc), esym = elen;
    while (esym && enc[esym - 1] == '=')
        esym--;
    CHECK(esym == (size_t)m);
    if (m > 0) {
        CHECK(memcmp(enc, data, (size_t)m - 1) == 0);
        /* the last symbol: equal in the bits that carry data */
        int bits = (int)((size_t)m * 6 % 8); /* unused low bits of the last symbol */
        int a = value((unsigned char)enc[m - 1]), b = value(data[m - 1]);
        CHECK((a >> bits) == (b >> bits) && (a & ((1 << bits) - 1)) == 0);
        if (size % 4 == 0 && (b & ((1 << bits) - 1)) == 0) {
            CHECK(elen == size && memcmp(enc, data, size) == 0); /* canonical input */
        }
    }

    /* one byte short of room: BM_ELIMIT and the buffer unchanged */
    if (nbytes > 0) {
        bm_buf tight;
        bm_buf_init(&tight, nbytes + 2);
        CHECK(bm_buf_append(&tight, "xyz", 3) == BM_OK);
        CHECK(bm_base64_decode((bm_slice){(const char *)data, size}, &tight) == BM_ELIMIT);
        CHECK(tight.len == 3 && memcmp(tight.data, "xyz", 4) == 0);
        bm_buf_release(&tight);
    }
    free(enc);
    bm_buf_release(&out);
    return 0;
}
