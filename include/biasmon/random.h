/* Random bytes for secrets and ids, from OpenSSL's CSPRNG (seeded by the kernel). */
#ifndef BIASMON_RANDOM_H
#define BIASMON_RANDOM_H

#include <stddef.h>
#include "biasmon/common.h"

/* Fills p[0..n) with cryptographically strong random bytes (OpenSSL's RAND_bytes). Returns BM_OK,
 * or BM_EIO when OpenSSL could not seed itself (p then holds nothing to use). Thread-safe. */
int bm_random_bytes(void *p, size_t n) BM_MUST_CHECK;

#endif
