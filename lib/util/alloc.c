/* The one allocator wrapper: lets tests fail the Nth allocation. */
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <stdint.h>
#ifdef __linux__
#include <sys/mman.h>
#endif
#include "biasmon/common.h"

static _Atomic long fail_countdown; /* 0 = disabled; k > 0: the k-th next allocation fails */
static _Atomic int failing;

void bm_alloc_fail_after(long n)
{
    atomic_store(&failing, 0);
    atomic_store(&fail_countdown, n);
}

static int should_fail(void)
{
    if (atomic_load_explicit(&failing, memory_order_relaxed)) return 1;
    long c = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    if (c <= 0) return 0;
    if (atomic_fetch_sub(&fail_countdown, 1) == 1) {
        atomic_store(&failing, 1);
        return 1;
    }
    return 0;
}

void *bm_malloc(size_t n)
{
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *bm_calloc(size_t count, size_t size)
{
    if (should_fail()) return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *bm_realloc(void *p, size_t n)
{
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void *bm_reallocarray(void *p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    return bm_realloc(p, count * size);
}

char *bm_strndup(const char *s, size_t n)
{
    char *r = bm_malloc(n + 1);
    if (!r) return NULL;
    memcpy(r, s, n);
    r[n] = 0;
    return r;
}

char *bm_strdup(const char *s)
{
    return bm_strndup(s, strlen(s));
}

void bm_free(void *p)
{
    free(p);
}

void bm_advise_random_access(void *p, size_t n)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = 2u << 20;
    if (!p || n < 2 * huge) return; /* a huge page needs an aligned 2 MiB inside the array */
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)p + n) & ~(huge - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}
