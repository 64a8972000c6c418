/* Batch transform output: manifests, CSV and JSON Lines rows with their inference id and time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "biasmon/csv.h"
#include "biasmon/isotime.h"
#include "biasmon/store.h"
#include "internal.h"

static int batch_time_ok(bm__run *r, const char *uri, long line, bm_slice t_text, int *in_window)
{
    int64_t t;
    bm_error e;
    bm_error_clear(&e);
    *in_window = 0;
    if (!t_text.n || bm_time_parse(t_text.p, t_text.n, &t, &e)) {
        r->malformed_capture++;
        bm__note_problem(r, uri, line, "%s",
                         t_text.n ? "SageMakerInferenceTime is not a UTC time"
                                  : "no SageMakerInferenceTime");
        return 0;
    }
    if (t < r->ws || t >= r->we) {
        r->outside_window++;
        return 1;
    }
    r->in_window++;
    *in_window = 1;
    return 1;
}

static int batch_row_done(bm__run *r, const char *uri, long line, bm_slice key, int rc,
                          bm_error *err)
{
    uint64_t h = bm__gt_hash(key);
    if (!rc) rc = bm__take_rows(r, key, h, key, err);
    if (rc == BM_ENOMEM) return bm_error_set(err, rc, "out of memory");
    if (rc == BM_EDATA) {
        bm__in_window_problem(r, uri, line);
        return BM_OK;
    }
    return rc;
}

/* A CSV output object: each line ends with the inference id and time columns. */
static int read_batch_csv(bm__run *r, const char *uri, bm_error *err)
{
    /* an object that is not a local file (s3://) is read from a temporary copy */
    char path[4096];
    int temporary = 0, fd = -1;
    int rc = bm_store_local_copy(uri, path, sizeof(path), &temporary, err);
    /* the copy is biasmon's own file under $TMPDIR, outside the folders a confined worker may
     * name: it is opened as made, and the object's URI is what errors name */
    if (!rc && temporary && (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        rc = bm_error_set(err, BM_EIO, "cannot open the local copy of %.300s: %s", uri,
                          strerror(errno));
    if (!rc && !temporary) rc = bm_store_open_fd(uri, &fd, err);
    if (temporary) unlink(path); /* the open descriptor stays readable */
    bm_csv *csv = rc ? NULL : bm_csv_open_fd(fd, uri, NULL, err);
    if (!csv)
        return err->code == BM_ENOMEM
                   ? BM_ENOMEM
                   : (bm__note_problem(r, uri, 0, "cannot read: %s", err->msg), BM_OK);
    r->capture_files++;
    int header = r->jd->input.csv_header;
    for (;;) {
        bm_csv_record rec;
        bm_error e;
        bm_error_clear(&e);
        if ((rc = bm_csv_next(csv, &rec, &e))) {
            if (rc == BM_ENOMEM) break;
            r->malformed_capture++;
            bm__note_problem(r, uri, e.line, "%s", e.msg);
            rc = BM_OK;
            break;
        }
        if (!rec.nfields) break;
        if (header) {
            header = 0;
            continue;
        }
        r->capture_records++;
        if (rec.nfields < 3) {
            r->malformed_capture++;
            bm__note_problem(r, uri, rec.line, "%s",
                             "a batch output line needs the SageMakerInferenceId and time columns "
                             "(GenerateInferenceId)");
            continue;
        }
        int in_window;
        if (!batch_time_ok(r, uri, rec.line, rec.fields[rec.nfields - 1], &in_window) || !in_window)
            continue;
        /* the fields live in the tokenizer: copy the id before extraction reuses memory */
        char key[256];
        bm_slice idf = rec.fields[rec.nfields - 2];
        size_t kn = idf.n < sizeof(key) ? idf.n : sizeof(key) - 1;
        memcpy(key, idf.p, kn);
        bm__extractor_reset(&r->x);
        int xr = bm__extract_batch_csv(&r->x, rec.fields, rec.nfields - 2);
        bm_slice k = {key, kn};
        if ((rc = batch_row_done(r, uri, rec.line, k, xr, err))) break;
    }
    bm_csv_close(csv);
    return rc;
}

/* A JSON Lines batch output record: the id and time are members of the record, or wrap it. */
static int batch_json_line(bm__run *r, const char *uri, bm__staged *s, bm_error *err)
{
    bm_slice line = s->line;
    long lineno = s->lineno;
    r->capture_records++;
    json_error_t je;
    json_t *doc = json_loadb(line.p, line.n, 0, &je);
    json_t *id = doc ? json_object_get(doc, "SageMakerInferenceId") : NULL;
    json_t *tm = doc ? json_object_get(doc, "SageMakerInferenceTime") : NULL;
    if (!doc || !json_is_string(id) || !json_is_string(tm)) {
        r->malformed_capture++;
        char what[JSON_ERROR_TEXT_LENGTH];
        bm__note_problem(
            r, uri, lineno, "%s",
            !doc ? bm_json_error_what(&je, what, sizeof(what))
                 : "no SageMakerInferenceId / SageMakerInferenceTime (GenerateInferenceId)");
        json_decref(doc);
        return BM_OK;
    }
    bm_slice ts = {json_string_value(tm), json_string_length(tm)};
    int in_window, rc = BM_OK;
    if (batch_time_ok(r, uri, lineno, ts, &in_window) && in_window) {
        json_t *body = json_object_get(doc, "SageMakerOutput");
        bm__extractor_reset(&r->x);
        int xr = bm__extract_batch_json(&r->x, body ? body : doc);
        bm_slice k = {json_string_value(id), json_string_length(id)};
        rc = batch_row_done(r, uri, lineno, k, xr, err);
    }
    json_decref(doc);
    return rc;
}

static int read_batch_json(bm__run *r, const char *uri, bm_error *err)
{
    return bm__each_line(r, uri, &r->capture_files, &r->capture_records, &r->malformed_capture,
                         NULL, batch_json_line, err);
}

/* A manifest: [{"prefix": URI}, "relative key", ...]. */
static int read_manifest(bm__run *r, const char *uri, bm_error *err)
{
    bm_buf b;
    bm_buf_init(&b, 64u << 20);
    int rc = bm_store_read(uri, 64u << 20, &b, err);
    if (rc) {
        bm_buf_release(&b);
        if (rc == BM_ENOMEM) return rc;
        bm__note_problem(r, uri, 0, "cannot read manifest: %s", err->msg);
        return BM_OK;
    }
    json_error_t je;
    json_t *m = json_loadb(b.data ? b.data : "", b.len, 0, &je);
    bm_buf_release(&b);
    json_t *first = json_is_array(m) ? json_array_get(m, 0) : NULL;
    json_t *prefix = first ? json_object_get(first, "prefix") : NULL;
    if (!json_is_string(prefix)) {
        r->malformed_capture++;
        bm__note_problem(r, uri, 0, "%s",
                         "not a manifest: expected [{\"prefix\": ...}, \"key\", ...]");
        json_decref(m);
        return BM_OK;
    }
    rc = BM_OK;
    for (size_t k = 1; !rc && k < json_array_size(m); k++) {
        json_t *rel = json_array_get(m, k);
        if (!json_is_string(rel)) continue;
        char obj[4096];
        const char *p = json_string_value(prefix), *q = json_string_value(rel);
        if (!*q)
            snprintf(obj, sizeof(obj), "%s", p);
        else if (bm_uri_join(p, q, obj, sizeof(obj))) {
            r->malformed_capture++;
            bm__note_problem(r, uri, 0, "%s",
                             "a manifest entry whose URI is longer than 4095 bytes: skipped");
            continue;
        }
        rc = r->jd->input.format == BM_FORMAT_CSV ? read_batch_csv(r, obj, err)
                                                  : read_batch_json(r, obj, err);
    }
    json_decref(m);
    return rc;
}

int bm__read_batch(bm__run *r, bm_error *err)
{
    const bm_job_input *in = &r->jd->input;
    if (in->format == BM_FORMAT_PARQUET) {
        bm__fail_run(r, "BatchTransformInput.DatasetFormat.Parquet is not readable by biasmon: use "
                        "Csv or Json");
        return BM_OK;
    }
    char root[4096];
    if (bm_uri_join(in->data_captured_destination, "output", root, sizeof(root))) {
        bm__fail_run(r,
                     "BatchTransformInput.DataCapturedDestinationS3Uri is longer than %zu bytes: "
                     "use a shorter one",
                     sizeof(root) - 8);
        return BM_OK;
    }
    snprintf(r->capture_root, sizeof(r->capture_root), "%s", root);
    bm__hours hs = {0};
    int rc = bm__existing_hours(root, bm_time_hour_floor(r->ws), bm_time_hour_floor(r->we - 1), &hs,
                                err);
    for (size_t i = 0; !rc && i < hs.n; i++) {
        char key[32], prefix[4096];
        bm__hour_key(hs.v[i], key, sizeof(key));
        if (bm_uri_join(root, key, prefix, sizeof(prefix))) {
            rc = bm_error_set(err, BM_ELIMIT,
                              "the hour folder %s under %s has a URI longer than %zu bytes", key,
                              root, sizeof(prefix) - 1);
            break;
        }
        bm_strlist files = {0};
        rc = bm_store_list(prefix, 0, MAX_LIST, &files, err);
        for (size_t k = 0; !rc && k < files.n; k++) {
            char uri[4096];
            if (bm_uri_join(prefix, files.v[k], uri, sizeof(uri)))
                rc = bm_error_set(err, BM_ELIMIT, "a file in %s has a URI longer than %zu bytes",
                                  prefix, sizeof(uri) - 1);
            else
                rc = read_manifest(r, uri, err);
        }
        bm_strlist_release(&files);
    }
    bm__hours_release(&hs);
    if (rc == BM_ENOMEM) return rc;
    if (rc) {
        char msg[1200];
        bm_error_format(err, msg, sizeof(msg));
        bm__fail_run(r, "%s: %s",
                     rc == BM_ELIMIT ? "the batch transform output goes beyond a bound of biasmon"
                                     : "cannot read batch transform output",
                     msg);
    }
    return BM_OK;
}
