/* Fuzz target for hour partials (lib/monitor/partials.c, docs/partials.md). A partial is read back
 * from the output folder, local or S3, that others may write: its checksum tells corruption, not
 * who wrote it. Whatever its bytes, bm__partial_apply either uses it or refuses it with a reason
 * and leaves the run as it was; it never reads out of bounds or allocates what a count claims.
 *
 * The input is a partial without its trailer: the target appends the SHA-256 the reader checks,
 * so that mutations reach the parts after the header (a wrong checksum is refused before any of
 * them is read). The seeds in corpus/partial/ are written by this target:
 * BM_FUZZ_PARTIAL_SEEDS=DIR ./fuzz_partial -runs=0 DIR writes them into DIR. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/bias.h"
#include "biasmon/config.h"
#include "biasmon/sigv4.h"
#include "monitor/internal.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

/* a small plan: the cubes are JSON text, and a partial's seed must fit fuzz.sh's -max_len (the
 * cube reader has fuzz_cube for the larger ones) */
static const char config[] = "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
                             " \"facet\": [{\"name_or_index\": \"sex\"}],"
                             " \"predicted_label\": \"yhat\"}";
static const char *const colnames[] = {"sex", "y", "yhat"};
#define HOUR ((int64_t)1767225600) /* 2026-01-01T00 */

static bm_analysis_config cfg;
static bm_plan *plan;
static bm__run run;
static bm_strlist inputs;
static const char *const ids[] = {"id-1", "id-2", "id-3"};

static void setup(void)
{
    bm_error e;
    CHECK(bm_analysis_config_parse(config, sizeof(config) - 1, NULL, &cfg, &e) == BM_OK);
    CHECK(bm_plan_new(&cfg, colnames, sizeof(colnames) / sizeof(colnames[0]), &plan, &e) == BM_OK);
    memset(&run, 0, sizeof(run));
    run.plan = plan;
    memset(run.cfg_hex, 'a', 64);
    run.ws = HOUR;
    run.we = HOUR + 3600;
    /* ground truth for three ids: replayed records find them, or not */
    bm__gt_init(&run.gt, 100);
    for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
        bm_slice id = {ids[k], strlen(ids[k])}, data = {k ? "p" : "n", 1};
        CHECK(bm__gt_put(&run.gt, id, data, BM__ENC_CSV, 0) == BM_OK);
    }
    CHECK(bm__gt_index(&run.gt) == BM_OK);
    const char *objs[] = {"AllTraffic/00-00-000-aaaa.jsonl\t1200\t1767225700",
                          "AllTraffic/10-00-000-bbbb.jsonl\t800\t1767226300"};
    for (size_t k = 0; k < 2; k++)
        CHECK(bm_strlist_push(&inputs, objs[k], strlen(objs[k])) == BM_OK);
}

/* The run before a partial: no account, no joins, empty cubes. */
static void fresh_run(void)
{
    bm_cube_free(run.all);
    bm_cube_free(run.joined);
    CHECK((run.all = bm_cube_new(plan)) && (run.joined = bm_cube_new(plan)));
    run.capture_files = run.capture_records = run.in_window = run.outside_window = 0;
    run.malformed_capture = run.malformed_in_window = run.malformed_gt = 0;
    run.joined_records = run.rows = run.unjoined_capture = run.duplicate_capture = 0;
    run.nfirst = 0;
    run.first_unmatched_capture[0] = 0;
    for (size_t k = 0; k < run.gt.n; k++)
        run.gt.ents[k].matched = run.gt.ents[k].event_tag = 0;
}

static int untouched(void)
{
    int joins = 0;
    for (size_t k = 0; k < run.gt.n; k++)
        joins |= run.gt.ents[k].matched || run.gt.ents[k].event_tag;
    return !joins && !run.capture_files && !run.capture_records && !run.in_window &&
           !run.outside_window && !run.malformed_capture && !run.malformed_in_window &&
           !run.malformed_gt && !run.joined_records && !run.rows && !run.unjoined_capture &&
           !run.duplicate_capture && !run.nfirst && !run.first_unmatched_capture[0] &&
           !bm_cube_rows(run.all) && !bm_cube_rows(run.joined);
}

static void add_rows(bm_cube *c, size_t n, size_t salt)
{
    static const char *const sex[] = {"F", "M", "X"};
    for (size_t k = 0; k < n; k++) {
        const char *f[3] = {sex[(k + salt) % 3], (k + salt) % 3 ? "p" : "n", (k % 4) ? "p" : "n"};
        bm_slice s[3];
        for (size_t i = 0; i < 3; i++)
            s[i] = (bm_slice){f[i], strlen(f[i])};
        bm_error e;
        CHECK(bm_cube_add_csv(c, s, 3, &e) == BM_OK);
    }
}

/* Seed `name`: a partial of HOUR as the builder writes it, less its checksum. */
static void write_seed(const char *dir, const char *name, size_t rows, int records, int problem)
{
    fresh_run();
    add_rows(run.all, rows, rows);
    add_rows(run.joined, rows / 2, rows);
    run.capture_files = inputs.n;
    run.capture_records = run.in_window = rows;
    bm__hour_build *hb = bm__hour_build_new();
    CHECK(hb);
    run.hb = hb;
    bm__hour_time(hb, HOUR + 100);
    bm__hour_time(hb, HOUR + 3500);
    for (int k = 0; k < records; k++) {
        const char *id = k % 4 == 3 ? "not-labelled" : ids[k % 3];
        bm_slice key = {id, strlen(id)};
        bm__gt_entry *gt = bm__gt_find(&run.gt, key, bm__gt_hash(key));
        /* outcomes: 0 none, 1 a second delivery, 2 labelled, 3 a label that does not read */
        int outcome = !gt ? 0 : k >= 3 ? 1 : k == 2 ? 3 : 2;
        bm__hour_join(&run, key, (uint32_t)(1000 + k), 1, outcome, gt);
    }
    if (problem) {
        bm__problem p = {.line = 7};
        snprintf(p.file, sizeof(p.file), "s3://bucket/capture/AllTraffic/2026/01/01/00/x.jsonl");
        snprintf(p.reason, sizeof(p.reason), "not JSON");
        bm__hour_problem(hb, &p);
        bm__hour_window_problem(hb, &p);
    }
    run.hb = NULL;
    bm_buf out;
    bm_buf_init(&out, 1u << 20);
    CHECK(bm__partial_encode_run(&run, hb, HOUR, &inputs, &out) == BM_OK);
    bm__hour_build_free(hb);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(out.data, 1, out.len - 64, f) == out.len - 64 && fclose(f) == 0);
    bm_buf_release(&out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    setup();
    const char *dir = getenv("BM_FUZZ_PARTIAL_SEEDS");
    if (dir) {
        write_seed(dir, "seed-01-empty-hour", 0, 0, 0);
        write_seed(dir, "seed-02-rows-no-records", 12, 0, 0);
        write_seed(dir, "seed-03-records", 20, 8, 0);
        write_seed(dir, "seed-04-records-problem", 30, 5, 1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (64u << 20)) return 0;
    char *text = bm_malloc(size + 64);
    CHECK(text);
    if (size) memcpy(text, data, size);
    char sum[65];
    bm_sigv4_sha256_hex(text, size, sum);
    memcpy(text + size, sum, 64);
    fresh_run();
    char why[600];
    int used = -1;
    bm_error err;
    bm_error_clear(&err);
    int rc =
        bm__partial_apply(&run, text, size + 64, HOUR, &inputs, 1, why, sizeof(why), &used, &err);
    CHECK(rc == BM_OK); /* out of memory is the only error, and these are small */
    if (used) {
        CHECK(used == 1 && why[0] == 0);
    } else {
        CHECK(why[0] != 0 && strlen(why) < sizeof(why));
        CHECK(untouched()); /* a refused partial leaves the run as it was */
    }
    /* the same bytes with their trailer cut are refused (a truncated upload) */
    fresh_run();
    rc = bm__partial_apply(&run, text, size + 63, HOUR, &inputs, 1, why, sizeof(why), &used, &err);
    CHECK(rc == BM_OK && !used && why[0] && untouched());
    bm_free(text);
    return 0;
}
