/* Reading a whole local file into memory, with a bound: the one reader every small file
 * (configurations, job definitions, credentials, local objects) goes through. */
#ifndef BIASMON_FILE_H
#define BIASMON_FILE_H

#include <stddef.h>
#include "biasmon/common.h"

/* Appends the whole of the regular file at path (at most max bytes) to out. A FIFO, device,
 * socket or directory is refused before anything is read (the open does not wait on a FIFO).
 * Returns BM_OK; BM_ENOTFOUND when path does not exist; BM_ELIMIT when the file holds more than
 * max bytes ("larger than 16 MiB") or out's own bound is reached; BM_EIO when it cannot be opened
 * or read, or is not a regular file; BM_ENOMEM. On failure out is left as it was and err names
 * path (err->file) and says what failed, never quoting the file's content. Reentrant. */
int bm_file_read(const char *path, size_t max, bm_buf *out, bm_error *err) BM_MUST_CHECK;

/* The same from an open descriptor (read from its current offset to the end; not closed);
 * shown is the name errors give. The caller checks the file's type. */
int bm_file_read_fd(int fd, const char *shown, size_t max, bm_buf *out,
                    bm_error *err) BM_MUST_CHECK;

#endif
