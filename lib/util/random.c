/* Random bytes from OpenSSL (biasmon/random.h): one source for credentials and request ids. */
#include <limits.h>
#include <openssl/rand.h>
#include "biasmon/random.h"

int bm_random_bytes(void *p, size_t n)
{
    unsigned char *u = p;
    while (n) { /* RAND_bytes takes an int */
        int k = n > (size_t)INT_MAX ? INT_MAX : (int)n;
        if (RAND_bytes(u, k) != 1) return BM_EIO;
        u += k;
        n -= (size_t)k;
    }
    return BM_OK;
}
