/* SageMaker data-capture and ground-truth records: a streaming scanner for one JSON line. */
#ifndef BIASMON_CAPTURE_H
#define BIASMON_CAPTURE_H

#include <stddef.h>
#include "biasmon/common.h"

/* One payload object: captureData.endpointInput / .endpointOutput / .batchTransformOutput, or
 * groundTruthData. Slices point into the line or into the scanner's scratch buffer (string
 * values with escapes are unescaped there). A member that is absent has p == NULL and n == 0;
 * a member that is the empty string "" has p != NULL and n == 0. */
typedef struct bm_capture_payload {
    int present;           /* the object exists in the record */
    bm_slice data;         /* "data", unescaped */
    bm_slice encoding;     /* "encoding": "CSV", "JSON" or "BASE64" */
    bm_slice content_type; /* "observedContentType" */
    bm_slice mode;         /* "mode": "INPUT" / "OUTPUT" */
} bm_capture_payload;

typedef struct bm_capture_record {
    bm_capture_payload input;        /* captureData.endpointInput */
    bm_capture_payload output;       /* captureData.endpointOutput */
    bm_capture_payload batch_output; /* captureData.batchTransformOutput (merged batch records) */
    bm_capture_payload ground_truth; /* groundTruthData (ground-truth records) */
    bm_slice event_id;               /* eventMetadata.eventId, unescaped; n == 0 when absent */
    bm_slice inference_id;           /* eventMetadata.inferenceId */
    bm_slice inference_time;         /* eventMetadata.inferenceTime */
    bm_slice event_version;          /* eventVersion */
} bm_capture_record;

typedef struct bm_capture_scanner bm_capture_scanner;

/* A scanner with a scratch area of at most max_scratch bytes (unescaped strings of one line).
 * The area is allocated on the first line whose needed strings hold an escape, with
 * min(line length, max_scratch) bytes, and grows only for a longer such line. Returns NULL when
 * out of memory. One scanner serves one thread. */
bm_capture_scanner *bm_capture_scanner_new(size_t max_scratch);
/* Frees the scanner and its scratch area; NULL is a no-op. */
void bm_capture_scanner_free(bm_capture_scanner *s);

/* Scans one line (without its line break) that must be a complete JSON object (RFC 8259,
 * UTF-8): the members above are extracted, every other member is validated and skipped.
 *
 * Acceptance is jansson's json_loadb(line, len, 0): RFC 8259 syntax; whitespace is space, tab,
 * LF and CR; the whole line is valid UTF-8 (no overlong forms, surrogates or code points above
 * U+10FFFF); strings hold no raw control character (< 0x20), no \u0000 and no unpaired
 * surrogate escape; integers (no fraction or exponent) fit in int64; reals do not overflow a
 * double (underflow to 0 is fine); only whitespace may follow the object; of duplicate keys the
 * last one wins (also for whole objects: a later "captureData" replaces every member of an
 * earlier one). Keys are compared after unescaping ("d\u0061ta" is "data"). The extracted
 * strings are byte for byte jansson's string values (a fuzz target holds the two equal).
 *
 * Where the scanner refuses a text jansson accepts:
 *   - the top-level value is not an object (jansson also accepts an array);
 *   - nesting deeper than 64 containers (the record object counts as 1; jansson allows 2048):
 *     BM_ELIMIT at the opening bracket;
 *   - a NUL byte right after a number, true, false or null: jansson 2.14 skips one such byte
 *     (its lexer loses a pushed-back NUL); the scanner refuses it like any other stray byte;
 *   - a needed member has the wrong type: captureData, endpointInput, endpointOutput,
 *     batchTransformOutput, groundTruthData or eventMetadata is not an object, or data,
 *     encoding, observedContentType, mode, eventId, inferenceId, inferenceTime or eventVersion
 *     is not a string (null counts as a wrong type). This is BM_EPARSE with err->path naming
 *     the member, e.g. "$.captureData.endpointInput.data", err->msg such as "must be a string,
 *     not a number" (bm_error_format prints the path before it) and err->col at the value. It is
 *     reported only once the whole line is known to be valid JSON (so a syntax error anywhere
 *     wins), only for the value that stays after duplicate keys (the last), and only for
 *     members jansson would reach: {"captureData": 5} is an error, a "data": 5 inside an
 *     object that a later duplicate replaced is not. With several, the leftmost is reported.
 *
 * Returns BM_OK; BM_EPARSE (malformed line or wrong type); BM_ELIMIT (nesting, or the
 * unescaped needed strings of the line exceed max_scratch: err->col at the opening quote of
 * the string that did not fit; escapes in other strings and in keys cost nothing);
 * BM_ENOMEM (the scratch area);
 * BM_EINVAL (s or out NULL, or line NULL with len > 0). On failure err gets the code, a
 * message, err->col = the 1-based byte offset in the line of the offending byte (len + 1 for
 * a premature end; 0 for BM_ENOMEM and BM_EINVAL) and err->path (the member for a wrong type,
 * "" otherwise); err->file and err->line are left for the caller. err may be NULL.
 * On success *out holds the members (absent ones zeroed); on failure *out is all zeros.
 * The record's slices point into line (strings without escapes, zero copy) or into the
 * scanner's scratch area; they stay valid until the next scan with the same scanner and as
 * long as line does. */
int bm_capture_scan(bm_capture_scanner *s, const char *line, size_t len, bm_capture_record *out,
                    bm_error *err) BM_MUST_CHECK;

/* Decodes standard base64 (RFC 4648 section 4 alphabet, with or without padding; whitespace
 * is refused) and appends the bytes to out. Padding is either absent or complete (the length
 * is then a multiple of 4, ending in "=" or "=="); a length of 4k + 1 symbols is refused; the
 * unused low bits of the last symbol are ignored (not required to be zero). in.p may be NULL
 * when in.n is 0. Returns BM_OK, BM_EPARSE (not base64), BM_ELIMIT (out->max would be
 * exceeded) or BM_ENOMEM; on failure out is as it was before the call. */
int bm_base64_decode(bm_slice in, bm_buf *out) BM_MUST_CHECK;

#endif
