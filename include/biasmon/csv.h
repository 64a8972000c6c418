/* Streaming RFC 4180 CSV tokenizer: quotes, doubled quotes, embedded commas and newlines, CRLF. */
#ifndef BIASMON_CSV_H
#define BIASMON_CSV_H

#include <stdint.h>
#include <sys/types.h>
#include "biasmon/common.h"

#define BM_CSV_DEFAULT_MAX_RECORD (1u << 20) /* bytes in one record */
#define BM_CSV_DEFAULT_MAX_FIELDS 4096       /* fields in one record */
#define BM_CSV_DEFAULT_BUF_SIZE (4u << 20)   /* read buffer of a file tokenizer */

typedef struct bm_csv bm_csv;

typedef struct bm_csv_record {
    const bm_slice *fields; /* unquoted field contents; valid until the next bm_csv_next/close */
    const uint8_t *quoted;  /* quoted[i] != 0 when field i was written in quotes */
    size_t nfields;         /* 0 means end of input */
    long line;              /* 1-based physical line where the record starts, relative to the
                               start of the range that was opened (add the lines before it) */
    off_t offset;           /* byte offset of the record's first byte in the file */
} bm_csv_record;

typedef struct bm_csv_opts {
    size_t max_record; /* 0 = BM_CSV_DEFAULT_MAX_RECORD; bytes before the line break */
    size_t max_fields; /* 0 = BM_CSV_DEFAULT_MAX_FIELDS */
    size_t buf_size;   /* files only: read buffer bytes, 0 = BM_CSV_DEFAULT_BUF_SIZE; raised to
                          max_record + 2 when smaller (tests use tiny buffers) */
} bm_csv_opts;

/* Opens a CSV file for reading records whose first byte lies in [start, limit).
 * start must be a record boundary (0, or just after a record's line break); limit = -1 means
 * the end of the file. The last record may extend past limit. Reads through a bounded buffer
 * (memory does not depend on the file size). Returns NULL with err set on failure.
 * err->file is set to path. opts may be NULL. Errors: BM_EINVAL (start < 0; any negative
 * limit means the end of the file), BM_EIO (open/seek failed), BM_ENOMEM.
 * Memory: buf_size (or max_record + 2) bytes of buffer, 17 bytes per field slot (slots double
 * up to the widest record's field count, at most max_fields), and max_record + 2 bytes of
 * scratch once a quoted field contains "". */
bm_csv *bm_csv_open_file(const char *path, off_t start, off_t limit, const bm_csv_opts *opts,
                         bm_error *err);
/* Like bm_csv_open_file over the whole of an open descriptor, which the tokenizer takes (it is
 * closed by bm_csv_close, or here on failure); name is used in errors. */
bm_csv *bm_csv_open_fd(int fd, const char *name, const bm_csv_opts *opts, bm_error *err);
/* Opens an in-memory block (not copied: it must outlive the tokenizer). name is used in errors
 * and may be NULL (then err->file is left as the caller set it). Offsets are relative to data;
 * records, limits and errors behave exactly as for a file. */
bm_csv *bm_csv_open_mem(const char *data, size_t len, const char *name, const bm_csv_opts *opts,
                        bm_error *err);

/* Reads the next record. Empty lines (zero bytes between line breaks) are skipped, as pandas does.
 * Returns BM_OK and rec->nfields > 0 for a record, BM_OK and rec->nfields == 0 at the end of the
 * range, or an error (BM_EPARSE: unterminated quote, text after a closing quote; BM_ELIMIT: record
 * or field count too large; BM_EIO) with err's line and col (field number) set. A quote that
 * appears inside an unquoted field is kept as a literal character.
 * Line breaks are "\n" and "\r\n"; any other '\r' is data (also one just before the end of input).
 * A record ending in ',' has a last, empty field. Quoted fields are returned without their
 * quotes and with "" turned into " (such fields point into a scratch area, the others into the
 * input). Error locations: err->line is the physical line (1-based, relative to the range) of
 * the record start (BM_ELIMIT), of the opening quote (unterminated quote) or of the offending
 * character (text after a closing quote); err->col is the 1-based field number. Errors are
 * final: later calls return the same error. rec must not be NULL; err may be NULL. */
int bm_csv_next(bm_csv *c, bm_csv_record *rec, bm_error *err) BM_MUST_CHECK;

/* Byte offset just past the last record returned (where the next record would start). After
 * bm_csv_next reported the end of the range it also covers the empty lines skipped before the
 * limit, so for ranges split with bm_csv_find_boundary it equals the next range's start exactly
 * when the split point was a real record boundary. */
off_t bm_csv_offset(const bm_csv *c);
/* Number of physical lines consumed so far (line breaks inside quoted fields count, skipped
 * empty lines count, a last line without a line break counts). Adding it to the lines of the
 * ranges before gives absolute line numbers. */
long bm_csv_lines(const bm_csv *c);

/* Frees the tokenizer and closes its file; NULL is a no-op. */
void bm_csv_close(bm_csv *c);

/* 1 when record rec has exactly the n fields texts, byte for byte (a header row), else 0. */
int bm_csv_record_is(const bm_csv_record *rec, char *const *texts, size_t n);

/* The offset of the first record boundary at or after pos, assuming pos is not inside a quoted
 * field: the byte after the first '\n' at or after pos (or pos itself when pos == 0). Returns the
 * file size when there is none. Used to split a file into ranges for parallel parsing; the
 * caller must verify that the previous range ended exactly there (bm_csv_offset); when it did
 * not, the split fell inside a quoted field and the next range must start at bm_csv_offset
 * instead. Errors: BM_EINVAL (pos < 0 or boundary NULL), BM_EIO, with err->file = path. */
int bm_csv_find_boundary(const char *path, off_t pos, off_t *boundary, bm_error *err) BM_MUST_CHECK;

#endif
