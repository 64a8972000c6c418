/* Progress of a long run for a person watching (biasmon analyze and execute on a terminal): the
 * readers add what they have read, from any thread, to the counters the caller attached; the
 * library never shows them (src/biasmon/progress.c does, on stderr when it is a terminal). */
#ifndef BIASMON_PROGRESS_H
#define BIASMON_PROGRESS_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct bm_progress {
    atomic_uint_least64_t bytes; /* input bytes read (dataset, capture and ground-truth lines) */
    atomic_uint_least64_t rows;  /* dataset rows, capture and ground-truth records read */
} bm_progress;

/* Makes p the process's progress counters (NULL: none, the default); the caller keeps p alive
 * until it attaches NULL. One at a time: the command line attaches it around one run. */
void bm_progress_attach(bm_progress *p);
/* Adds to the attached counters; nothing when none is attached. Thread-safe and cheap (readers
 * call it every few thousand rows, not per row). */
void bm_progress_add(uint64_t bytes, uint64_t rows);

#endif
