/* Reading capture and ground-truth files line by line, as a two-stage pipeline of scanned records.
 */
#include <stdio.h>
#include <string.h>
#include "biasmon/progress.h"
#include "internal.h"

static int each_open_line(bm__run *r, const char *uri, bm__lines *lines, uint64_t *files,
                          uint64_t *records, uint64_t *malformed, bm__stage_fn one, bm__line_fn two,
                          bm_error *err);

/* Reads uri line by line (empty lines skipped) as a two-stage pipeline: stage one of line i
 * runs before stage two of line i - 1, so a memory access that stage one starts (the join
 * table's slot for the record's id) has arrived by the time stage two needs it. Line i - 1
 * stays valid meanwhile: it is finished before the reader has to refill. A line that cannot be
 * read (longer than MAX_LINE: skipped; a read error: the rest of the file is lost) counts in
 * *malformed, and in *records unless records is NULL (stage two counts the other lines). */
int bm__each_line(bm__run *r, const char *uri, uint64_t *files, uint64_t *records,
                  uint64_t *malformed, bm__stage_fn one, bm__line_fn two, bm_error *err)
{
    bm__lines l;
    int rc = bm__lines_open(&l, uri, MAX_LINE, err);
    if (rc)
        return rc == BM_ENOMEM ? rc
                               : (bm__note_problem(r, uri, 0, "cannot read: %s", err->msg), BM_OK);
    return each_open_line(r, uri, &l, files, records, malformed, one, two, err);
}

/* bm__each_line over an object a sequence opened (it->reader, which this takes) or could not open
 * (it->error). */
int bm__each_item_line(bm__run *r, bm_store_item *it, uint64_t *files, uint64_t *records,
                       uint64_t *malformed, bm__stage_fn one, bm__line_fn two, bm_error *err)
{
    bm__lines l;
    int rc;
    if (it->reader) {
        rc = bm__lines_take(&l, it->reader, MAX_LINE, err);
    } else {
        *err = it->error;
        rc = err->code ? err->code : BM_EIO;
    }
    it->reader = NULL;
    if (rc)
        return rc == BM_ENOMEM
                   ? rc
                   : (bm__note_problem(r, it->uri, 0, "cannot read: %s", err->msg), BM_OK);
    return each_open_line(r, it->uri, &l, files, records, malformed, one, two, err);
}

/* bm__each_line's loop over lines already open (closed here). */
static int each_open_line(bm__run *r, const char *uri, bm__lines *lines, uint64_t *files,
                          uint64_t *records, uint64_t *malformed, bm__stage_fn one, bm__line_fn two,
                          bm_error *err)
{
    bm__lines l = *lines;
    int rc;
    (*files)++;
    bm__staged *prev = NULL;
    int slot = 0;
    uint64_t told_rows = 0, told_bytes = 0; /* progress: told every 4096 lines */
    for (;;) {
        if (told_rows >= 4096) {
            bm_progress_add(told_bytes, told_rows);
            told_rows = told_bytes = 0;
        }
        if (prev && !bm__lines_ready(&l)) {
            rc = two(r, uri, prev, err);
            prev = NULL;
            if (rc) break;
        }
        bm_slice line;
        int done;
        bm_error e;
        e.code = 0;
        e.msg[0] = e.path[0] = e.file[0] = 0;
        e.line = e.col = 0;
        if ((rc = bm__lines_next(&l, &line, &done, &e))) {
            if (rc == BM_ENOMEM) break;
            (*malformed)++;
            if (records) (*records)++;
            bm__note_problem(r, uri, e.line ? e.line : l.line + 1, "%s", e.msg);
            if (rc == BM_ELIMIT) { /* a line too long: skipped, the file goes on */
                rc = BM_OK;
                continue;
            }
            rc = BM_OK; /* cannot read on: the rest of the file is lost, and said so */
            if (r->hb) bm__hour_lost(r->hb);
            break;
        }
        if (done) break;
        told_rows++;
        told_bytes += line.n + 1;
        if (!line.n) continue;
        bm__staged *s = &r->stage[slot];
        s->lineno = l.line;
        s->line = line;
        s->scanned = 0;
        if (one) one(r, s, slot);
        slot ^= 1;
        if (prev && (rc = two(r, uri, prev, err))) {
            prev = NULL;
            break;
        }
        prev = s;
    }
    if (prev && !rc) rc = two(r, uri, prev, err);
    bm_progress_add(told_bytes, told_rows);
    bm__lines_close(&l);
    return rc;
}

/* Scans s->line into s->rec with the scanner of slot, unless a stage one already did. */
void bm__scan_record(bm__run *r, bm__staged *s, int slot)
{
    if (s->scanned) return;
    s->e.code = 0;
    s->e.msg[0] = s->e.path[0] = s->e.file[0] = 0;
    s->rc = bm_capture_scan(r->scan[slot], s->line.p, s->line.n, &s->rec, &s->e);
    s->scanned = 1;
}

/* The scan of s as a usable record: 1 when s->rec is usable, 0 when the line was malformed
 * (counted in *malformed, noted with its JSON path), -1 when memory ran out. */
int bm__scanned_record(bm__run *r, const char *uri, bm__staged *s, uint64_t *malformed,
                       bm_error *err)
{
    bm__scan_record(r, s, 0);
    if (!s->rc) return 1;
    if (s->rc == BM_ENOMEM) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return -1;
    }
    (*malformed)++;
    char msg[600];
    (void)bm_fmt_fit(msg, sizeof(msg), "%s%s%s", s->e.path, s->e.path[0] ? ": " : "", s->e.msg);
    bm__note_problem(r, uri, s->lineno, "%s", msg);
    return 0;
}
