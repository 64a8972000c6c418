/* Writing outputs: JSON text the way Python's json module writes it, files renamed into place. */
#ifndef BIASMON_REPORT_H
#define BIASMON_REPORT_H

#include <jansson.h>
#include "biasmon/common.h"

/* Appends v as JSON text to out: keys in insertion order, indent spaces per level (0: compact
 * on one line), reals in Python's shortest repr ("0.1", "1e-05", "2.0"), strings escaped as
 * JSON requires (UTF-8 kept). Returns BM_OK, BM_ELIMIT (out's max) or BM_ENOMEM. */
int bm_json_write(json_t *v, int indent, bm_buf *out) BM_MUST_CHECK;

/* Writes data to path through a temporary file in the same directory (fsync'ed), then renames
 * it into place, so readers see the old file or the whole new one. Creates missing parent
 * directories. Only a regular file is ever replaced: when path names a symbolic link, a device
 * node, a FIFO, a socket or a directory, nothing is written and the error says what it is.
 * BM_EIO with err naming the path on failure. */
int bm_write_file_atomic(const char *path, const void *data, size_t len, bm_error *err) BM_MUST_CHECK;
/* The same in the directory open as dfd (or AT_FDCWD): name is one path component; shown is the
 * path errors name. The temporary file is created with O_EXCL|O_NOFOLLOW. */
int bm_write_file_atomic_at(int dfd, const char *name, const char *shown, const void *data, size_t len,
                            bm_error *err) BM_MUST_CHECK;

/* Creates dir and its parents (mode 0755); BM_EIO on failure. */
int bm_mkdirs(const char *dir, bm_error *err) BM_MUST_CHECK;

#endif
