/* The state of one monitoring execution shared by the stages of lib/monitor/ (internal to this
 * folder; the public interface is include/biasmon/execution.h). One bm__run belongs to one
 * bm_execute call on one thread; nothing here is thread-safe. */
#ifndef BIASMON_MONITOR_INTERNAL_H
#define BIASMON_MONITOR_INTERNAL_H

#include <stdint.h>
#include <jansson.h>
#include "biasmon/bias.h"
#include "biasmon/capture.h"
#include "biasmon/cell.h"
#include "biasmon/common.h"
#include "biasmon/config.h"
#include "biasmon/execution.h"
#include "biasmon/jobdef.h"
#include "biasmon/store.h"
#include "biasmon/verdict.h"
#include "biasmon/capture_extract.h"
#include "biasmon/capture_join.h"
#include "biasmon/capture_lines.h"

/* The bounds of one execution (docs/design.md "Limits" lists them with what to do when one is
 * reached). */
#define MAX_LINE (16u << 20) /* bytes in one capture or ground-truth line */
#define MAX_LIST 1000000     /* files in one hour folder */
#define MAX_DIRS 10000       /* sub-folders of one folder of the yyyy/mm/dd/HH layout */
#define MAX_FIRST 5          /* problems quoted in execution.json */
#define MAX_DAYS 400         /* window length, and how far each offset may reach from T */
#define PROBE_HOURS 24       /* hour folders looked at directly; more are found by listing */
#define PROBE_DAYS_REMOTE 7  /* days of hours bm__walk_hours returns without listing (S3) */
#define MAX_HOURS (24 * MAX_DAYS)

/* ==================================================================== the run's state */

typedef struct bm__problem {
    char file[4096]; /* a URI: as long as any the store hands out (bm_store_item.uri) */
    long line;
    char reason[300];
} bm__problem;

/* A line on its way through bm__each_line's two stages. */
typedef struct bm__staged {
    long lineno;
    bm_slice line;
    /* filled by a stage-one function (see bm__each_line) */
    int scanned;
    int rc; /* bm_capture_scan's result, with e */
    bm_error e;
    bm_capture_record rec;
    uint64_t key_hash; /* of the join key, when the record has one */
} bm__staged;

typedef struct bm__run {
    const bm_execution_params *p;
    const bm_job_definition *jd;
    bm_execution_result *res;
    bm_analysis_config cfg;
    int have_cfg;
    bm_analysis_config view;
    char **names; /* columns: features..., label, predicted_label */
    size_t ncols, nfeat;
    bm_plan *plan;
    bm_cube *joined;  /* rows with ground truth */
    bm_cube *all;     /* every in-window row, labelled or not (facet group sizes) */
    bm_cell *cells;   /* one row as typed cells (a row with JSON values) */
    bm_slice *fields; /* one row as texts (a row of text values: the cubes' memoized path) */
    bm__gt_table gt;
    bm__extractor x;
    bm_capture_scanner *scan[2]; /* one per stage slot of bm__each_line (see there) */
    bm__staged *stage;           /* [2] */
    int64_t ws, we, T;
    int64_t gt_end; /* ground truth is read up to this hour; 0: T (a revisit: the current T) */
    /* the statistical rule's own execution: a window with captured rows and no label yet is
     * not yet decidable instead of Failed (docs/alarms.md "Label coverage") */
    int unlabelled_ok;
    /* the account */
    uint64_t capture_files, capture_records, in_window, outside_window, malformed_capture;
    uint64_t gt_files, gt_records, malformed_gt, gt_bytes_seen;
    uint64_t joined_records, rows, unjoined_capture, gt_unmatched, duplicate_capture;
    bm__problem first[MAX_FIRST];
    size_t nfirst;
    char first_unmatched_capture[256], first_unmatched_gt[256];
    char capture_root[4096], gt_root[4096];
    json_t *unchecked;            /* metrics the baseline had no value for (bm_violations_check) */
    json_t *baseline;             /* the baseline analysis, kept for report.html */
    uint64_t malformed_in_window; /* in-window records that could not be used (extraction) */
    bm__problem
        first_in_window; /* the first of them, with the setting's JSON path when one is at fault */
    /* hour partials (partials.c) */
    int partials;              /* on for this run: capture is read hour by hour */
    char cfg_hex[65];          /* what the reduction of an hour depends on, as SHA-256 */
    char partials_root[4096];  /* {S3Uri}/{endpoint}/_partials/{first 16 of cfg_hex} */
    struct bm__hour_build *hb; /* the hour whose partial is being recorded, or NULL */
    uint64_t partials_reused, partials_built, partials_rejected, partials_unsaved;
    char partial_notes[MAX_FIRST][700]; /* why partials were rejected or not saved */
    size_t npartial_notes;
    /* ground-truth file summaries (gtcache.c) */
    int gtc_on;                     /* 1: recording the ground-truth file being read into gtc */
    bm_buf gtc;                     /* its records, encoded as in its summary */
    uint64_t gtc_records;           /* records in gtc */
    uint64_t gtc_stamp[7];          /* the file's size and stamps when its reading began */
    uint64_t gtc_reused, gtc_saved; /* ground-truth files taken from / written to summaries */
    /* sharded executions (shards.c) */
    int nshards;   /* workers reading the capture: threads, or p->comm's processes; 1: none */
    int exchanged; /* this process has called p->comm->gather */
    uint64_t shards_reread; /* workers' parts rank 0 read again itself (shards.c says when) */
    uint64_t shards_bytes;  /* bytes of the parts handed to worker 0 */
} bm__run;

/* Hours in time order (epoch seconds of each hour's start). */
typedef struct bm__hours {
    int64_t *v;
    size_t n, cap;
} bm__hours;

/* The objects of the window's hour folders in order: hour by hour, and in each hour variant by
 * variant (capture: root/VARIANT/yyyy/mm/dd/HH) or the hour's folder alone (ground truth:
 * root/yyyy/mm/dd/HH, variants NULL), each folder's objects as listed. A sequence's generator
 * (bm_store_seq_fn): it may run on another thread and touches nothing of the run. */
typedef struct bm__folder_walk {
    const char *root;
    const bm_strlist *variants;
    const bm__hours *hs;
    size_t i, v, k; /* the hour, the variant, the next object of the folder listed */
    int listed;
    bm_strlist files;
    char prefix[4096];
    /* not local (S3): each day's hour folders of the window are listed at once
     * (bm_store_list_range), one day a variant held at a time */
    int by_day;
    struct bm__day_list {
        int64_t day;  /* its first second plus one; 0: nothing listed yet */
        bm_strlist e; /* "HH/NAME" */
        size_t k;     /* the next entry */
    } * days;
    size_t ndays;
} bm__folder_walk;

/* Stage one: work on line s->line that touches nothing of the run's account (it runs one line
 * ahead of stage two). slot (0 or 1) picks the scanner whose scratch holds this line's record. */
typedef void (*bm__stage_fn)(bm__run *r, bm__staged *s, int slot);
/* Stage two: everything else, in line order. BM_OK to go on, anything else stops the file. */
typedef int (*bm__line_fn)(bm__run *r, const char *uri, bm__staged *s, bm_error *err);

/* ==================================================================== gtcache.c */

/* Takes ground-truth file it from its summary beside the hour partials when one matches the file's
 * size and stamps (1: taken, it->reader closed; 0: not there or not usable; <0: BM_ENOMEM or
 * BM_ELIMIT with err set, as bm__gt_put's). The run's account ends as reading the file would. */
int bm__gtc_take(bm__run *r, bm_store_item *it, bm_error *err);
/* Starts recording the records of the ground-truth file about to be read (r->gtc). */
void bm__gtc_begin(bm__run *r, const char *uri);
/* Records one ground-truth record that was put in the join table. */
void bm__gtc_record(bm__run *r, bm_slice id, bm_slice data, int enc, int json);
/* Saves the summary of the file just read when its reading was clean (nothing malformed), and
 * stops recording. malformed_before is r->malformed_gt before the file. */
void bm__gtc_end(bm__run *r, const char *uri, uint64_t malformed_before, uint64_t files_before,
                 int rc);

/* ==================================================================== execute.c: the account */

/* Keeps a problem among the first MAX_FIRST quoted in execution.json (fmt has one %s, a). */
void bm__note_problem(bm__run *r, const char *file, long line, const char *fmt, const char *a);
/* An in-window record that could not be used (the reason in r->x.why): counted, noted, and the
 * first one kept for the failure reason when no record is left. */
void bm__in_window_problem(bm__run *r, const char *file, long line);
/* Marks the run Failed with a reason; the first reason is kept. */
void bm__fail_run(bm__run *r, const char *fmt, ...) BM_PRINTF(2, 3);

/* Reads the window's rows into the cubes: set-up, ground truth, capture or batch output, and the
 * reason when nothing joined. BM_OK with the run Failed when an input cannot be used; an error
 * when memory ran out or the execution cannot go on. */
int bm__gather(bm__run *r, bm_error *err) BM_MUST_CHECK;
/* Frees what a run holds and zeroes it (r->p, r->jd and r->res are the caller's). */
void bm__run_release(bm__run *r);

/* ==================================================================== setup.c */

/* The window, the analysis config, the plan, the cubes and the extraction settings. A setting
 * that is wrong fails the run (BM_OK with the run Failed); an error only when memory ran out. */
int bm__setup(bm__run *r, bm_error *err) BM_MUST_CHECK;
/* 1 when s is one or more decimal digits. */
int bm__is_digits(const char *s);

/* ==================================================================== window.c */

/* The window [*ws, *we) of an execution at p->scheduled_time T: [T + start offset, T + end
 * offset), the offsets from the schedule's ScheduleConfig (p->window_start/end) or else the job's
 * input (in), by default [T - period, T). BM_OK; or BM_ECONFIG with the failure reason in why (n
 * bytes, cut to fit) when an offset is unreadable, reaches more than MAX_DAYS from T, or the
 * window is empty or longer than MAX_DAYS. *ws and *we are 0 unless both offsets were read and
 * within reach. */
int bm__window_bounds(const bm_execution_params *p, const bm_job_input *in, int64_t *ws,
                      int64_t *we, char *why, size_t n);
/* The run's window into r->ws, r->we and the result; non-zero (the run Failed) when it has none. */
int bm__window(bm__run *r);
/* "yyyy/mm/dd/HH" (the folder key) and "yyyy-mm-ddTHH" (for messages) of the hour of t. */
void bm__hour_key(int64_t t, char *out, size_t n);
void bm__hour_label(int64_t t, char *out, size_t n);
void bm__hours_release(bm__hours *h);
/* The union of two sorted hour lists into *a; BM_ENOMEM leaves *a as it was. */
int bm__hours_merge(bm__hours *a, const bm__hours *b) BM_MUST_CHECK;
/* Appends to out the hours from first to last (hour starts, inclusive) whose folder
 * root/yyyy/mm/dd/HH may exist, in time order. */
int bm__existing_hours(const char *root, int64_t first, int64_t last, bm__hours *out,
                       bm_error *err) BM_MUST_CHECK;
/* The same for a window read with bm__read_walk alone (ground truth): for a root that is not
 * local, up to PROBE_DAYS_REMOTE days of hours are returned without listing, since the walk
 * lists each day of them once anyway (one request a day over S3, where finding them level by
 * level is one request a level, made one after the other). */
int bm__walk_hours(const char *root, int64_t first, int64_t last, bm__hours *out,
                   bm_error *err) BM_MUST_CHECK;
/* Reads the walk's objects in order with take, which takes each item's reader. */
int bm__read_walk(bm__run *r, bm__folder_walk *w,
                  int (*take)(bm__run *r, bm_store_item *it, bm_error *err),
                  bm_error *err) BM_MUST_CHECK;

/* ==================================================================== records.c */

/* Reads uri (or the object it opened) line by line through stages one and two (see there). */
int bm__each_line(bm__run *r, const char *uri, uint64_t *files, uint64_t *records,
                  uint64_t *malformed, bm__stage_fn one, bm__line_fn two,
                  bm_error *err) BM_MUST_CHECK;
int bm__each_item_line(bm__run *r, bm_store_item *it, uint64_t *files, uint64_t *records,
                       uint64_t *malformed, bm__stage_fn one, bm__line_fn two,
                       bm_error *err) BM_MUST_CHECK;
/* Scans s->line into s->rec with the scanner of slot, unless a stage one already did. */
void bm__scan_record(bm__run *r, bm__staged *s, int slot);
/* 1 when s->rec is usable, 0 when the line was malformed (counted in *malformed), -1 out of memory.
 */
int bm__scanned_record(bm__run *r, const char *uri, bm__staged *s, uint64_t *malformed,
                       bm_error *err);

/* ==================================================================== groundtruth.c */

/* Reads the ground truth of hours [window start, T] into r->gt; a read failure fails the run. */
int bm__read_ground_truth(bm__run *r, bm_error *err) BM_MUST_CHECK;
/* Counts the ground truth nothing joined (r->gt_unmatched) and keeps the first such id. */
void bm__count_unmatched_gt(bm__run *r);

/* ==================================================================== rows.c, endpoint.c, batch.c
 */

/* The rows extracted in r->x joined by key with ground truth, into the cubes (BM_EDATA: the
 * record cannot be used, r->x.why says why). */
int bm__take_rows(bm__run *r, bm_slice key, uint64_t key_hash, bm_slice event, bm_error *err);
/* Ground truth joins on the caller's inferenceId when the record has one, else on its eventId. */
bm_slice bm__join_key(const bm_capture_record *rec);
/* The window's rows from endpoint capture or from batch transform output. */
int bm__read_capture(bm__run *r, bm_error *err) BM_MUST_CHECK;
int bm__read_batch(bm__run *r, bm_error *err) BM_MUST_CHECK;

/* One capture file of the window read into the cubes (a bm__read_walk take function). */
int bm__read_capture_file(bm__run *r, bm_store_item *it, bm_error *err) BM_MUST_CHECK;

/* ==================================================================== partials.c */

typedef struct bm__hour_build bm__hour_build;
/* Whether this run uses hour partials (not asked off, endpoint input, an output URI, no FT),
 * and what they depend on: the config's text and the job input's extraction settings. */
int bm__partials_setup(bm__run *r, const char *config_text, size_t config_len,
                       bm_error *err) BM_MUST_CHECK;
/* The capture hours hs (of the variants under root), each from its partial when one fits this
 * run, else read and its partial saved. An error as bm__read_walk's. */
int bm__read_capture_hours(bm__run *r, const char *root, const bm_strlist *variants,
                           const bm__hours *hs, bm_error *err) BM_MUST_CHECK;
/* What the stages tell the hour being recorded (r->hb): a problem noted, the hour's first
 * in-window problem, a record's inference time, a part of a file lost to a read error, and a
 * record's join (outcome: 0 no ground truth, 1 a second delivery, 2 labelled, 3 a label that
 * could not be used; gt the entry it found). */
void bm__hour_problem(bm__hour_build *hb, const bm__problem *p);
void bm__hour_window_problem(bm__hour_build *hb, const bm__problem *p);
void bm__hour_time(bm__hour_build *hb, int64_t t);
void bm__hour_lost(bm__hour_build *hb);
void bm__hour_join(bm__run *r, bm_slice key, uint32_t tag, size_t nrows, int outcome,
                   const bm__gt_entry *gt);

/* Hour partials as containers of any part of a window (shards.c): an encoded partial of the run's
 * capture account, cubes and hb's records, with h and inputs as its hour and objects (BM_ELIMIT:
 * too large, or hb could not record every record); and a partial applied to the run (its records
 * replayed against r's ground truth, cubes merged; *used 0 and why when it cannot be used; the
 * window checked only when window). BM_ENOMEM. */
bm__hour_build *bm__hour_build_new(void);
void bm__hour_build_free(bm__hour_build *hb);
int bm__partial_encode_run(bm__run *r, const bm__hour_build *hb, int64_t h,
                           const bm_strlist *inputs, bm_buf *out) BM_MUST_CHECK;
int bm__partial_apply(bm__run *r, const char *text, size_t n, int64_t h, const bm_strlist *inputs,
                      int window, char *why, size_t whyn, int *used, bm_error *err) BM_MUST_CHECK;

/* ==================================================================== shards.c, endpoint.c */

/* The capture hours hs (of the variants under root) read by r->nshards workers, each a
 * contiguous run of the objects balanced by bytes, their parts merged in object order. An error
 * as bm__read_walk's (the run's failure: bm__capture_failure). */
int bm__read_capture_shards(bm__run *r, const char *root, const bm_strlist *variants,
                            const bm__hours *hs, bm_error *err) BM_MUST_CHECK;
/* A sharded process that has not handed its part over yet hands over an empty one (its run
 * failed before the capture, or the input is batch output, which rank 0 reads alone). */
int bm__shards_settle(bm__run *r, bm_error *err) BM_MUST_CHECK;
/* Fails the run for error rc of reading the capture (not BM_ENOMEM), as every reader says it. */
void bm__capture_failure(bm__run *r, int rc, const bm_error *err);

/* ==================================================================== verdict.c, outputs.c */

/* Fails a run that has no joined rows with the reason that says what was missing. */
void bm__explain_no_data(bm__run *r);
/* 1 when the run is the statistical rule's own execution and its window has captured rows of
 * which none joined a label: not yet decidable, not Failed (docs/alarms.md "Label coverage"). */
int bm__unlabelled_window(const bm__run *r);
/* Checks analysis against the baseline into *violations, or fails the run; BM_ENOMEM only. */
int bm__check_baseline(bm__run *r, json_t *analysis, json_t **violations) BM_MUST_CHECK;
/* The statistical rule (lib/verdict): this window's counts (*counts), the baseline's beside its
 * analysis.json, and those the schedule's executions of the 7 periods before wrote; *violations
 * and *evidence, or the run Failed (a baseline without counts). BM_ENOMEM only. */
int bm__statistical_verdict(bm__run *r, json_t *analysis, json_t **violations, json_t **evidence,
                            json_t **counts, bm_error *err) BM_MUST_CHECK;
/* Late labels (revisions.c): re-evaluates the windows of the s->revisit periods before whose
 * latest record has incomplete labels, records each revision in that window's
 * bias_revisions.json, and fills win[1..BM_ALARM_MAX_WINDOWS - 1] with the counts the current
 * pools use (revised where revised; new references or NULL), *alarms with the revisions' new
 * alarms (violations with "window") and *revisits with what each revisit found. A revision that
 * cannot be written fails the run (BM_OK). BM_ENOMEM only. */
int bm__revisit(bm__run *r, const bm_alarm_settings *s, const json_t *base, const json_t *analysis,
                json_t **win, json_t *alarms, json_t *revisits, bm_error *err) BM_MUST_CHECK;
/* The output folder into r->res->output_uri; BM_ELIMIT when it does not fit. */
int bm__output_folder(bm__run *r) BM_MUST_CHECK;
/* The output folder of the same schedule's execution at T; BM_ELIMIT when it does not fit in n. */
int bm__folder_at(bm__run *r, int64_t T, char *out, size_t n) BM_MUST_CHECK;
/* Analyses, checks, renders and writes the outputs and execution.json (bm_execute's contract). */
int bm__finish(bm__run *r, bm_error *err) BM_MUST_CHECK;

#endif
