/* The process's progress counters (include/biasmon/progress.h). */
#include "biasmon/progress.h"

static _Atomic(bm_progress *) attached;

void bm_progress_attach(bm_progress *p)
{
    atomic_store(&attached, p);
}

void bm_progress_add(uint64_t bytes, uint64_t rows)
{
    bm_progress *p = atomic_load_explicit(&attached, memory_order_acquire);
    if (!p) return;
    atomic_fetch_add_explicit(&p->bytes, bytes, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->rows, rows, memory_order_relaxed);
}
