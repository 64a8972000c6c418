/* Tests for the service's SQLite state: every operation, case-insensitive names, executions and
 * tags, threads, SIGKILL at random moments, reopening, and allocation failures (SQLite's own
 * allocations included, routed through bm_malloc). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "biasmon/state.h"

/* ==================================================================================== */
/* Fixture: a fresh directory and an open state per test                                */
/* ==================================================================================== */

typedef struct fixture {
    char dir[256];
    char path[320];
    bm_state *s;
} fixture;

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
        char p[600];
        snprintf(p, sizeof(p), "%s/%s", dir, ent->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof(f->dir), "%s/test_state.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/state.db", f->dir);
    bm_error e;
    int r = bm_state_open(f->path, &f->s, &e);
    if (r != BM_OK) fail_msg("open: %s", e.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    bm_state_close(f->s);
    remove_dir(f->dir);
    free(f);
    return 0;
}

static void reopen(fixture *f)
{
    bm_error e;
    bm_state_close(f->s);
    f->s = NULL;
    int r = bm_state_open(f->path, &f->s, &e);
    if (r != BM_OK) fail_msg("reopen: %s", e.msg);
}

/* ---- plain SQLite on the same file, to look under the API ---- */

static void sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* The first column of the first row as text into out ("" when no row). */
static void sql_text(const char *path, const char *sql, char *out, size_t outlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    out[0] = 0;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* ---- builders ---- */

static bm_resource make_res(const char *kind, const char *name, double created)
{
    bm_resource r;
    memset(&r, 0, sizeof(r));
    snprintf(r.kind, sizeof(r.kind), "%s", kind);
    snprintf(r.name, sizeof(r.name), "%s", name);
    snprintf(r.arn, sizeof(r.arn), "arn:aws:sagemaker:us-east-1:123456789012:%s/%s", kind, name);
    r.created = created;
    r.modified = created;
    snprintf(r.status, sizeof(r.status), "InService");
    r.next_tick = -1;
    r.doc = json_pack("{s:s,s:f,s:[i,i],s:{s:b}}", "Name", name, "CreationTime", created, "List", 1,
                      2, "Nested", "Flag", 1);
    assert_non_null(r.doc);
    return r;
}

static bm_exec_record make_exec(const char *schedule, int64_t tick, double created)
{
    bm_exec_record x;
    memset(&x, 0, sizeof(x));
    snprintf(x.schedule, sizeof(x.schedule), "%s", schedule);
    x.scheduled_time = tick;
    x.created = x.modified = created;
    snprintf(x.status, sizeof(x.status), "Pending");
    snprintf(x.endpoint, sizeof(x.endpoint), "ep");
    snprintf(x.job_definition, sizeof(x.job_definition), "jd");
    return x;
}

static void assert_res_equal(const bm_resource *a, const bm_resource *b)
{
    assert_string_equal(a->kind, b->kind);
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->arn, b->arn);
    assert_true(a->created == b->created);
    assert_true(a->modified == b->modified);
    assert_string_equal(a->status, b->status);
    assert_string_equal(a->endpoint, b->endpoint);
    assert_string_equal(a->ref, b->ref);
    assert_int_equal(a->next_tick, b->next_tick);
    assert_non_null(b->doc);
    assert_true(json_equal(a->doc, b->doc));
}

static void assert_exec_equal(const bm_exec_record *a, const bm_exec_record *b)
{
    assert_int_equal(a->id, b->id);
    assert_string_equal(a->schedule, b->schedule);
    assert_int_equal(a->scheduled_time, b->scheduled_time);
    assert_true(a->created == b->created);
    assert_true(a->modified == b->modified);
    assert_string_equal(a->status, b->status);
    assert_string_equal(a->failure_reason, b->failure_reason);
    assert_string_equal(a->job_name, b->job_name);
    assert_string_equal(a->endpoint, b->endpoint);
    assert_string_equal(a->job_definition, b->job_definition);
    assert_string_equal(a->output_uri, b->output_uri);
    assert_int_equal(a->violations, b->violations);
    assert_true(a->started == b->started);
    assert_true(a->ended == b->ended);
}

/* The error record of OK and FAILS; tests run on the main thread only. */
static bm_error e_;

#define OK(call)                                                                                   \
    do {                                                                                           \
        int r_ = (call);                                                                           \
        if (r_ != BM_OK) fail_msg("%s: %d %s", #call, r_, e_.msg);                                 \
    } while (0)
#define FAILS(want, call)                                                                          \
    do {                                                                                           \
        bm_error_clear(&e_);                                                                       \
        int r_ = (call);                                                                           \
        if (r_ != (want)) fail_msg("%s: expected %d, got %d (%s)", #call, (want), r_, e_.msg);     \
        assert_int_equal(e_.code, (want));                                                         \
        assert_true(e_.msg[0] != 0);                                                               \
    } while (0)

static const char *const kinds[] = {BM_RES_ENDPOINT_CONFIG, BM_RES_ENDPOINT, BM_RES_JOB_DEFINITION,
                                    BM_RES_SCHEDULE};

/* ==================================================================================== */
/* Opening and the schema                                                               */
/* ==================================================================================== */

static void test_open_creates_wal_schema(void **state)
{
    fixture *f = *state;
    char v[64];
    sql_text(f->path, "PRAGMA journal_mode", v, sizeof(v));
    assert_string_equal(v, "wal");
    sql_text(f->path, "SELECT version FROM schema_version", v, sizeof(v));
    assert_string_equal(v, "2");
    sql_text(f->path,
             "SELECT count(*) FROM sqlite_master WHERE name IN "
             "('resources', 'executions', 'tags', 'executions_by_job')",
             v, sizeof(v));
    assert_string_equal(v, "4");
    /* opening again migrates nothing and keeps the version */
    reopen(f);
    sql_text(f->path, "SELECT count(*) || ':' || max(version) FROM schema_version", v, sizeof(v));
    assert_string_equal(v, "1:2");
}

static void test_open_refuses(void **state)
{
    fixture *f = *state;
    bm_state *o = (bm_state *)&o; /* must be reset to NULL on failure */
    char p[400];
    /* a newer schema than this build knows */
    bm_state_close(f->s);
    f->s = NULL;
    sql_exec(f->path, "UPDATE schema_version SET version = 99");
    FAILS(BM_ECONFIG, bm_state_open(f->path, &o, &e_));
    assert_null(o);
    assert_non_null(strstr(e_.msg, "99"));
    /* a version 1 database (no index on job names) is migrated to version 2 */
    sql_exec(f->path, "DROP INDEX executions_by_job; UPDATE schema_version SET version = 1");
    OK(bm_state_open(f->path, &f->s, &e_));
    char v[64];
    sql_text(f->path,
             "SELECT (SELECT version FROM schema_version) || ':' || count(*) FROM sqlite_master"
             " WHERE name = 'executions_by_job'",
             v, sizeof(v));
    assert_string_equal(v, "2:1");
    /* a directory that does not exist */
    snprintf(p, sizeof(p), "%s/missing/state.db", f->dir);
    FAILS(BM_EIO, bm_state_open(p, &o, &e_));
    assert_non_null(strstr(e_.msg, "missing/state.db"));
    /* a file that is not a database */
    snprintf(p, sizeof(p), "%s/junk.db", f->dir);
    FILE *fp = fopen(p, "wb");
    assert_non_null(fp);
    for (int k = 0; k < 100; k++)
        fputs("this is not an SQLite database\n", fp);
    fclose(fp);
    FAILS(BM_EIO, bm_state_open(p, &o, &e_));
    FAILS(BM_EINVAL, bm_state_open("", &o, &e_));
    FAILS(BM_EINVAL, bm_state_open(NULL, &o, &e_));
    assert_null(o);
    bm_state_close(NULL);
}

/* ==================================================================================== */
/* Resources                                                                            */
/* ==================================================================================== */

static void test_resource_crud_each_kind(void **state)
{
    fixture *f = *state;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        bm_resource r = make_res(kinds[k], "Res-1", 1700000000.125 + (double)k);
        snprintf(r.endpoint, sizeof(r.endpoint), "my-endpoint");
        snprintf(r.ref, sizeof(r.ref), "ref-%zu", k);
        r.next_tick = 1700003600;
        OK(bm_state_resource_create(f->s, &r, &e_));

        bm_resource got;
        OK(bm_state_resource_get(f->s, kinds[k], "Res-1", &got, &e_));
        assert_res_equal(&r, &got);
        assert_true(got.doc != r.doc);
        bm_resource_release(&got);
        assert_null(got.doc);

        /* update replaces every column */
        r.modified += 10.5;
        snprintf(r.status, sizeof(r.status), "Stopped");
        snprintf(r.endpoint, sizeof(r.endpoint), "other");
        snprintf(r.ref, sizeof(r.ref), "ref-new");
        snprintf(r.arn, sizeof(r.arn), "arn:new/%zu", k);
        r.next_tick = -1;
        assert_int_equal(json_object_set_new(r.doc, "Status", json_string("Stopped")), 0);
        OK(bm_state_resource_update(f->s, &r, &e_));
        OK(bm_state_resource_get(f->s, kinds[k], "Res-1", &got, &e_));
        assert_res_equal(&r, &got);
        bm_resource_release(&got);

        bm_resource *v = NULL;
        size_t n = 0;
        OK(bm_state_resource_list(f->s, kinds[k], &v, &n, &e_));
        assert_int_equal(n, 1);
        assert_res_equal(&r, &v[0]);
        bm_resources_free(v, n);

        OK(bm_state_resource_delete(f->s, kinds[k], "Res-1", &e_));
        FAILS(BM_ENOTFOUND, bm_state_resource_get(f->s, kinds[k], "Res-1", &got, &e_));
        assert_null(got.doc);
        FAILS(BM_ENOTFOUND, bm_state_resource_delete(f->s, kinds[k], "Res-1", &e_));
        FAILS(BM_ENOTFOUND, bm_state_resource_update(f->s, &r, &e_));
        OK(bm_state_resource_list(f->s, kinds[k], &v, &n, &e_));
        assert_int_equal(n, 0);
        assert_null(v);
        bm_resource_release(&r);
    }
}

static void test_resource_names_case_insensitive(void **state)
{
    fixture *f = *state;
    bm_resource a = make_res(BM_RES_SCHEDULE, "My-Schedule", 1.0);
    bm_resource b = make_res(BM_RES_SCHEDULE, "my-schedule", 2.0);
    bm_resource c = make_res(BM_RES_ENDPOINT, "MY-SCHEDULE", 3.0);
    OK(bm_state_resource_create(f->s, &a, &e_));
    FAILS(BM_EEXISTS, bm_state_resource_create(f->s, &b, &e_));
    FAILS(BM_EEXISTS, bm_state_resource_create(f->s, &a, &e_));
    OK(bm_state_resource_create(f->s, &c, &e_)); /* another kind: its own namespace */

    /* found by any spelling; the stored spelling is the creator's */
    bm_resource got;
    OK(bm_state_resource_get(f->s, BM_RES_SCHEDULE, "MY-SCHEDULE", &got, &e_));
    assert_string_equal(got.name, "My-Schedule");
    assert_true(got.created == 1.0);
    bm_resource_release(&got);

    /* update through another spelling keeps the original name */
    b.created = 1.0;
    OK(bm_state_resource_update(f->s, &b, &e_));
    OK(bm_state_resource_get(f->s, BM_RES_SCHEDULE, "my-schedule", &got, &e_));
    assert_string_equal(got.name, "My-Schedule");
    assert_true(json_equal(got.doc, b.doc));
    bm_resource_release(&got);

    /* the kind itself is exact */
    FAILS(BM_ENOTFOUND,
          bm_state_resource_get(f->s, "monitoringschedule", "my-schedule", &got, &e_));

    OK(bm_state_resource_delete(f->s, BM_RES_SCHEDULE, "mY-sChEdUlE", &e_));
    OK(bm_state_resource_create(f->s, &b, &e_)); /* the name is free again */
    OK(bm_state_resource_get(f->s, BM_RES_ENDPOINT, "my-schedule", &got, &e_));
    assert_string_equal(got.name, "MY-SCHEDULE");
    bm_resource_release(&got);
    bm_resource_release(&a);
    bm_resource_release(&b);
    bm_resource_release(&c);
}

static void test_resource_list_order(void **state)
{
    fixture *f = *state;
    /* created order first, then name (case-insensitively) for equal times */
    const struct {
        const char *name;
        double created;
    } in[] = {{"delta", 30.0}, {"Bravo", 10.0}, {"alpha", 10.0}, {"charlie", 20.5}, {"echo", 5.0}};
    const char *want[] = {"echo", "alpha", "Bravo", "charlie", "delta"};
    for (size_t k = 0; k < 5; k++) {
        bm_resource r = make_res(BM_RES_ENDPOINT, in[k].name, in[k].created);
        OK(bm_state_resource_create(f->s, &r, &e_));
        bm_resource_release(&r);
    }
    bm_resource other = make_res(BM_RES_ENDPOINT_CONFIG, "alpha", 1.0);
    OK(bm_state_resource_create(f->s, &other, &e_));
    bm_resource_release(&other);

    bm_resource *v = NULL;
    size_t n = 0;
    OK(bm_state_resource_list(f->s, BM_RES_ENDPOINT, &v, &n, &e_));
    assert_int_equal(n, 5);
    for (size_t k = 0; k < 5; k++) {
        assert_string_equal(v[k].name, want[k]);
        assert_string_equal(json_string_value(json_object_get(v[k].doc, "Name")), want[k]);
    }
    bm_resources_free(v, n);
    OK(bm_state_resource_list(f->s, BM_RES_JOB_DEFINITION, &v, &n, &e_));
    assert_int_equal(n, 0);
    assert_null(v);
    bm_resources_free(NULL, 0);

    /* more rows than the first allocation holds */
    for (int k = 0; k < 40; k++) {
        char name[32];
        snprintf(name, sizeof(name), "many-%02d", k);
        bm_resource r = make_res(BM_RES_SCHEDULE, name, 100.0 - k);
        OK(bm_state_resource_create(f->s, &r, &e_));
        bm_resource_release(&r);
    }
    OK(bm_state_resource_list(f->s, BM_RES_SCHEDULE, &v, &n, &e_));
    assert_int_equal(n, 40);
    for (size_t k = 0; k < 40; k++) {
        char name[32];
        snprintf(name, sizeof(name), "many-%02zu", 39 - k);
        assert_string_equal(v[k].name, name);
    }
    bm_resources_free(v, n);
}

static void test_resource_bounds(void **state)
{
    fixture *f = *state;
    char name64[65], name63[64];
    memset(name64, 'n', 64);
    name64[64] = 0;
    memset(name63, 'n', 63);
    name63[63] = 0;
    bm_resource got;

    bm_resource r = make_res(BM_RES_ENDPOINT, name63, 1.0);
    OK(bm_state_resource_create(f->s, &r, &e_));
    OK(bm_state_resource_get(f->s, BM_RES_ENDPOINT, name63, &got, &e_));
    bm_resource_release(&got);
    FAILS(BM_EINVAL, bm_state_resource_get(f->s, BM_RES_ENDPOINT, name64, &got, &e_));
    assert_non_null(strstr(e_.msg, "longer than 63"));
    FAILS(BM_EINVAL, bm_state_resource_delete(f->s, BM_RES_ENDPOINT, name64, &e_));
    FAILS(BM_EINVAL, bm_state_resource_get(f->s, BM_RES_ENDPOINT, "", &got, &e_));
    FAILS(BM_EINVAL, bm_state_resource_get(f->s, NULL, "x", &got, &e_));
    FAILS(BM_EINVAL, bm_state_resource_get(NULL, BM_RES_ENDPOINT, "x", &got, &e_));

    /* fields filled to the brim, without a terminating NUL */
    bm_resource bad = r;
    memset(bad.name, 'x', sizeof(bad.name));
    FAILS(BM_EINVAL, bm_state_resource_create(f->s, &bad, &e_));
    bad = r;
    memset(bad.arn, 'a', sizeof(bad.arn));
    FAILS(BM_EINVAL, bm_state_resource_create(f->s, &bad, &e_));
    bad = r;
    memset(bad.status, 's', sizeof(bad.status));
    FAILS(BM_EINVAL, bm_state_resource_update(f->s, &bad, &e_));
    bad = r;
    memset(bad.kind, 'k', sizeof(bad.kind));
    FAILS(BM_EINVAL, bm_state_resource_create(f->s, &bad, &e_));
    bad = r;
    bad.name[0] = 0;
    FAILS(BM_EINVAL, bm_state_resource_create(f->s, &bad, &e_));
    bad = r;
    bad.arn[0] = 0;
    FAILS(BM_EINVAL, bm_state_resource_create(f->s, &bad, &e_));

    /* documents: an object, at most 1 MiB of compact JSON */
    bad = r;
    snprintf(bad.name, sizeof(bad.name), "doc");
    bad.doc = NULL;
    FAILS(BM_EINVAL, bm_state_resource_create(f->s, &bad, &e_));
    bad.doc = json_array();
    FAILS(BM_EINVAL, bm_state_resource_create(f->s, &bad, &e_));
    json_decref(bad.doc);
    char *big = malloc(1024 * 1024);
    assert_non_null(big);
    memset(big, 'b', 1024 * 1024 - 1);
    big[1024 * 1024 - 1] = 0;
    bad.doc = json_pack("{s:s}", "B", big); /* 1 MiB - 1 + {"B":""} */
    assert_non_null(bad.doc);
    FAILS(BM_ELIMIT, bm_state_resource_create(f->s, &bad, &e_));
    assert_non_null(strstr(e_.msg, "1 MiB"));
    FAILS(BM_ELIMIT, bm_state_resource_update(f->s, &bad, &e_));
    json_decref(bad.doc);
    big[1024 * 1024 - 8] = 0; /* exactly 1 MiB once encoded */
    bad.doc = json_pack("{s:s}", "B", big);
    assert_non_null(bad.doc);
    OK(bm_state_resource_create(f->s, &bad, &e_));
    OK(bm_state_resource_get(f->s, BM_RES_ENDPOINT, "doc", &got, &e_));
    assert_true(json_equal(got.doc, bad.doc));
    bm_resource_release(&got);
    json_decref(bad.doc);
    free(big);
    FAILS(BM_ENOTFOUND, bm_state_resource_get(f->s, BM_RES_ENDPOINT, "nothing", &got, &e_));
    bm_resource_release(&r);
}

static void test_resource_count_ref(void **state)
{
    fixture *f = *state;
    const char *refs[] = {"jd-a", "JD-A", "jd-b", "", "jd-a"};
    for (int k = 0; k < 5; k++) {
        char name[16];
        snprintf(name, sizeof(name), "sched-%d", k);
        bm_resource r = make_res(BM_RES_SCHEDULE, name, k);
        snprintf(r.ref, sizeof(r.ref), "%s", refs[k]);
        OK(bm_state_resource_create(f->s, &r, &e_));
        bm_resource_release(&r);
    }
    bm_resource ep = make_res(BM_RES_ENDPOINT, "ep", 1);
    snprintf(ep.ref, sizeof(ep.ref), "jd-a");
    OK(bm_state_resource_create(f->s, &ep, &e_));
    bm_resource_release(&ep);

    size_t count = 99;
    OK(bm_state_resource_count_ref(f->s, BM_RES_SCHEDULE, "jd-a", &count, &e_));
    assert_int_equal(count, 3);
    OK(bm_state_resource_count_ref(f->s, BM_RES_SCHEDULE, "Jd-B", &count, &e_));
    assert_int_equal(count, 1);
    OK(bm_state_resource_count_ref(f->s, BM_RES_SCHEDULE, "jd-c", &count, &e_));
    assert_int_equal(count, 0);
    OK(bm_state_resource_count_ref(f->s, BM_RES_ENDPOINT, "jd-a", &count, &e_));
    assert_int_equal(count, 1);
    OK(bm_state_resource_delete(f->s, BM_RES_SCHEDULE, "sched-1", &e_));
    OK(bm_state_resource_count_ref(f->s, BM_RES_SCHEDULE, "jd-a", &count, &e_));
    assert_int_equal(count, 2);
    FAILS(BM_EINVAL, bm_state_resource_count_ref(f->s, BM_RES_SCHEDULE, "", &count, &e_));
}

/* ==================================================================================== */
/* Executions                                                                           */
/* ==================================================================================== */

static void test_exec_insert_duplicate_tick(void **state)
{
    fixture *f = *state;
    bm_exec_record a = make_exec("hourly", 1700000000, 1700000001.5);
    a.id = 12345; /* ignored */
    OK(bm_state_exec_insert(f->s, &a, &e_));
    assert_true(a.id > 0 && a.id != 12345);

    /* the same tick, however the schedule is spelled, never runs twice */
    bm_exec_record b = make_exec("hourly", 1700000000, 1700000002.0);
    FAILS(BM_EEXISTS, bm_state_exec_insert(f->s, &b, &e_));
    snprintf(b.schedule, sizeof(b.schedule), "HOURLY");
    FAILS(BM_EEXISTS, bm_state_exec_insert(f->s, &b, &e_));

    /* the next tick, or the same tick of another schedule, is new */
    b.scheduled_time += 3600;
    OK(bm_state_exec_insert(f->s, &b, &e_));
    assert_true(b.id > a.id);
    bm_exec_record c = make_exec("daily", 1700000000, 1700000003.0);
    OK(bm_state_exec_insert(f->s, &c, &e_));

    bm_exec_record got;
    OK(bm_state_exec_get(f->s, a.id, &got, &e_));
    assert_exec_equal(&a, &got);
    FAILS(BM_ENOTFOUND, bm_state_exec_get(f->s, 999999, &got, &e_));
    FAILS(BM_ENOTFOUND, bm_state_exec_get(f->s, -1, &got, &e_));
}

static void test_exec_update_get(void **state)
{
    fixture *f = *state;
    bm_exec_record a = make_exec("sched", 3600, 10.25);
    OK(bm_state_exec_insert(f->s, &a, &e_));

    a.modified = 20.5;
    snprintf(a.status, sizeof(a.status), "CompletedWithViolations");
    snprintf(a.job_name, sizeof(a.job_name), "model-bias-monitoring-202611241000-abcdef");
    snprintf(a.output_uri, sizeof(a.output_uri), "s3://bucket/out/sched/2026/11/24/10");
    snprintf(a.failure_reason, sizeof(a.failure_reason), "%s", "");
    a.violations = 7;
    a.started = 11.0;
    a.ended = 19.75;
    OK(bm_state_exec_update(f->s, &a, &e_));
    bm_exec_record got;
    OK(bm_state_exec_get(f->s, a.id, &got, &e_));
    assert_exec_equal(&a, &got);

    /* the longest texts the record holds */
    memset(a.failure_reason, 'r', sizeof(a.failure_reason) - 1);
    memset(a.output_uri, 'u', sizeof(a.output_uri) - 1);
    snprintf(a.status, sizeof(a.status), "Failed");
    OK(bm_state_exec_update(f->s, &a, &e_));
    OK(bm_state_exec_get(f->s, a.id, &got, &e_));
    assert_exec_equal(&a, &got);

    /* schedule, tick and creation time are fixed at insert */
    bm_exec_record moved = a;
    snprintf(moved.schedule, sizeof(moved.schedule), "elsewhere");
    moved.scheduled_time = 7200;
    moved.created = 99;
    OK(bm_state_exec_update(f->s, &moved, &e_));
    OK(bm_state_exec_get(f->s, a.id, &got, &e_));
    assert_string_equal(got.schedule, "sched");
    assert_int_equal(got.scheduled_time, 3600);
    assert_true(got.created == 10.25);

    bm_exec_record bad = a;
    bad.id = a.id + 100;
    FAILS(BM_ENOTFOUND, bm_state_exec_update(f->s, &bad, &e_));
    bad = a;
    snprintf(bad.status, sizeof(bad.status), "Running");
    FAILS(BM_EINVAL, bm_state_exec_update(f->s, &bad, &e_));
    FAILS(BM_EINVAL, bm_state_exec_insert(f->s, &bad, &e_));
    bad = a;
    memset(bad.failure_reason, 'r', sizeof(bad.failure_reason));
    FAILS(BM_EINVAL, bm_state_exec_update(f->s, &bad, &e_));
    bad = a;
    memset(bad.schedule, 's', sizeof(bad.schedule));
    FAILS(BM_EINVAL, bm_state_exec_insert(f->s, &bad, &e_));
    bad = a;
    bad.schedule[0] = 0;
    FAILS(BM_EINVAL, bm_state_exec_insert(f->s, &bad, &e_));
    OK(bm_state_exec_get(f->s, a.id, &got, &e_));
    assert_string_equal(got.status, "Failed");
}

static void test_exec_list_filters_and_order(void **state)
{
    fixture *f = *state;
    /* inserted out of tick order */
    const struct {
        const char *schedule;
        int64_t tick;
        const char *status;
    } in[] = {
        {"a", 7200, "Completed"}, {"b", 3600, "Failed"},    {"a", 3600, "Failed"},
        {"a", 10800, "Pending"},  {"b", 7200, "Completed"}, {"A", 0, "Completed"},
    };
    int64_t ids[6];
    for (int k = 0; k < 6; k++) {
        bm_exec_record x = make_exec(in[k].schedule, in[k].tick, 100.0 + k);
        snprintf(x.status, sizeof(x.status), "%s", in[k].status);
        OK(bm_state_exec_insert(f->s, &x, &e_));
        ids[k] = x.id;
    }
    bm_exec_record *v = NULL;
    size_t n = 0;
    /* everything, by tick then id */
    OK(bm_state_exec_list(f->s, NULL, NULL, 0, &v, &n, &e_));
    assert_int_equal(n, 6);
    int64_t want_all[] = {ids[5], ids[1], ids[2], ids[0], ids[4], ids[3]};
    for (size_t k = 0; k < n; k++)
        assert_int_equal(v[k].id, want_all[k]);
    bm_free(v);
    /* one schedule, any spelling */
    OK(bm_state_exec_list(f->s, "a", NULL, 0, &v, &n, &e_));
    assert_int_equal(n, 4);
    int64_t want_a[] = {ids[5], ids[2], ids[0], ids[3]};
    for (size_t k = 0; k < n; k++)
        assert_int_equal(v[k].id, want_a[k]);
    bm_free(v);
    /* by status */
    OK(bm_state_exec_list(f->s, NULL, "Completed", 0, &v, &n, &e_));
    assert_int_equal(n, 3);
    int64_t want_c[] = {ids[5], ids[0], ids[4]};
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(v[k].id, want_c[k]);
        assert_string_equal(v[k].status, "Completed");
    }
    bm_free(v);
    /* both, with a limit */
    OK(bm_state_exec_list(f->s, "A", "Failed", 0, &v, &n, &e_));
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, ids[2]);
    bm_free(v);
    OK(bm_state_exec_list(f->s, "a", NULL, 2, &v, &n, &e_));
    assert_int_equal(n, 2);
    assert_int_equal(v[0].id, ids[5]);
    assert_int_equal(v[1].id, ids[2]);
    bm_free(v);
    /* nothing matches */
    OK(bm_state_exec_list(f->s, "c", NULL, 0, &v, &n, &e_));
    assert_int_equal(n, 0);
    assert_null(v);
    OK(bm_state_exec_list(f->s, NULL, "Stopped", 0, &v, &n, &e_));
    assert_int_equal(n, 0);
    char long_name[80];
    memset(long_name, 'l', 79);
    long_name[79] = 0;
    FAILS(BM_EINVAL, bm_state_exec_list(f->s, long_name, NULL, 0, &v, &n, &e_));
    FAILS(BM_EINVAL, bm_state_exec_list(f->s, NULL, long_name, 0, &v, &n, &e_));

    /* many rows */
    for (int k = 0; k < 100; k++) {
        bm_exec_record x = make_exec("many", 1000000 - k * 3600, k);
        OK(bm_state_exec_insert(f->s, &x, &e_));
    }
    OK(bm_state_exec_list(f->s, "many", NULL, 0, &v, &n, &e_));
    assert_int_equal(n, 100);
    for (size_t k = 1; k < n; k++)
        assert_true(v[k - 1].scheduled_time < v[k].scheduled_time);
    bm_free(v);
}

/* bm_state_exec_stats against the loop over every record that GET /metrics used to run: a few
 * hundred executions of schedules with two spellings, ticks inserted out of order, every status,
 * fractional durations (so the order of the additions shows) and endpoints that change. */
static void test_exec_stats_match_full_scan(void **state)
{
    fixture *f = *state;
    static const char *const names[] = {"s0", "s1", "S1", "s2", "late", "Mixed", "mixed"};
    static const char *const st[] = {
        "Pending", "InProgress", "Completed", "CompletedWithViolations", "Failed", "Stopped"};
    uint64_t rng = 88172645463325252ull;
    for (int k = 0; k < 420; k++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        int sch = (int)(rng % 7);
        /* distinct ticks per spelling-insensitive schedule: k is unique; shuffled order */
        int64_t tick = (int64_t)((k * 7919) % 420) * 3600 + (sch == 4 ? 5000000 : 0);
        bm_exec_record x = make_exec(names[sch], tick, 1000.0 + (double)(rng % 977) / 7.0);
        snprintf(x.status, sizeof(x.status), "%s", st[(rng >> 8) % 6]);
        snprintf(x.endpoint, sizeof(x.endpoint), "ep-%d", (int)((rng >> 16) % 5));
        if ((rng >> 20) % 4) {
            x.started = 1000.0 + (double)((rng >> 24) % 1000) / 3.0;
            x.ended = (rng >> 34) % 5 ? x.started + (double)((rng >> 40) % 997) / 11.0 : 0;
        }
        x.violations = (int64_t)((rng >> 44) % 9);
        int r = bm_state_exec_insert(f->s, &x, &e_);
        if (r == BM_EEXISTS) continue; /* "S1" and "s1" (or "Mixed"/"mixed") at one tick */
        OK(r);
    }
    bm_exec_record *v = NULL;
    size_t n = 0;
    OK(bm_state_exec_list(f->s, NULL, NULL, 0, &v, &n, &e_));
    assert_true(n > 300);
    /* the reference: first appearance in (scheduled_time, id) order, exact names */
    struct ref {
        const char *name, *endpoint;
        uint64_t by[6];
        double sum;
        uint64_t count;
        const bm_exec_record *latest;
    } ref[16];
    size_t nr = 0;
    const double scale = 3.0;
    memset(ref, 0, sizeof(ref));
    for (size_t k = 0; k < n; k++) {
        struct ref *x = NULL;
        for (size_t j = 0; j < nr && !x; j++)
            if (!strcmp(ref[j].name, v[k].schedule)) x = &ref[j];
        if (!x) {
            assert_true(nr < 16);
            x = &ref[nr++];
            x->name = v[k].schedule;
        }
        x->endpoint = v[k].endpoint;
        for (int q = 0; q < 6; q++)
            if (!strcmp(v[k].status, st[q])) x->by[q]++;
        if (v[k].ended > 0 && v[k].started > 0) {
            x->sum += (v[k].ended - v[k].started) / scale;
            x->count++;
        }
        if (!strcmp(v[k].status, "Completed") || !strcmp(v[k].status, "CompletedWithViolations"))
            if (!x->latest || v[k].scheduled_time >= x->latest->scheduled_time) x->latest = &v[k];
    }
    bm_exec_stats *got = NULL;
    size_t ng = 0;
    OK(bm_state_exec_stats(f->s, scale, &got, &ng, &e_));
    assert_int_equal(ng, nr);
    assert_int_equal(nr, 7);
    for (size_t k = 0; k < ng; k++) {
        assert_string_equal(got[k].schedule, ref[k].name);
        assert_string_equal(got[k].endpoint, ref[k].endpoint);
        for (int q = 0; q < 6; q++) {
            assert_string_equal(bm_exec_status_names[q], st[q]);
            assert_int_equal(got[k].by_status[q], ref[k].by[q]);
        }
        assert_true(got[k].duration_sum == ref[k].sum); /* the same double, bit for bit */
        assert_int_equal(got[k].duration_count, ref[k].count);
        assert_int_equal(got[k].latest_finished, ref[k].latest ? ref[k].latest->id : 0);
    }
    bm_free(got);
    bm_free(v);
    /* an empty state and bad arguments */
    FAILS(BM_EINVAL, bm_state_exec_stats(f->s, 0, &got, &ng, &e_));
    FAILS(BM_EINVAL, bm_state_exec_stats(NULL, 1, &got, &ng, &e_));
}

static void test_exec_stats_empty(void **state)
{
    fixture *f = *state;
    bm_exec_stats *got = (bm_exec_stats *)1;
    size_t ng = 5;
    OK(bm_state_exec_stats(f->s, 1.0, &got, &ng, &e_));
    assert_int_equal(ng, 0);
    bm_free(got);
}

/* One execution by (schedule, tick) and by its job's name, without case. */
static void test_exec_at_and_by_job(void **state)
{
    fixture *f = *state;
    bm_exec_record a = make_exec("Sched", 3600, 10), b = make_exec("sched2", 3600, 11),
                   c = make_exec("Sched", 7200, 12), d = make_exec("other", 0, 13), got;
    snprintf(a.job_name, sizeof(a.job_name), "job-A");
    snprintf(c.job_name, sizeof(c.job_name), "job-a"); /* the same name, another spelling */
    snprintf(b.job_name, sizeof(b.job_name), "job-b");
    OK(bm_state_exec_insert(f->s, &c, &e_));
    OK(bm_state_exec_insert(f->s, &b, &e_));
    OK(bm_state_exec_insert(f->s, &a, &e_));
    OK(bm_state_exec_insert(f->s, &d, &e_));
    OK(bm_state_exec_at(f->s, "sched", 3600, &got, &e_));
    assert_int_equal(got.id, a.id);
    assert_string_equal(got.job_name, "job-A");
    OK(bm_state_exec_at(f->s, "SCHED", 7200, &got, &e_));
    assert_int_equal(got.id, c.id);
    FAILS(BM_ENOTFOUND, bm_state_exec_at(f->s, "Sched", 0, &got, &e_));
    FAILS(BM_ENOTFOUND, bm_state_exec_at(f->s, "none", 3600, &got, &e_));
    FAILS(BM_EINVAL, bm_state_exec_at(f->s, "", 3600, &got, &e_));
    /* the earliest scheduled of the two spellings, though inserted last */
    OK(bm_state_exec_by_job(f->s, "JOB-A", &got, &e_));
    assert_int_equal(got.id, a.id);
    OK(bm_state_exec_by_job(f->s, "job-b", &got, &e_));
    assert_int_equal(got.id, b.id);
    assert_string_equal(got.schedule, "sched2");
    FAILS(BM_ENOTFOUND, bm_state_exec_by_job(f->s, "job-c", &got, &e_));
    FAILS(BM_EINVAL, bm_state_exec_by_job(f->s, NULL, &got, &e_));
    /* the query goes through the index, not a scan of every execution */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "EXPLAIN QUERY PLAN SELECT id FROM executions WHERE"
                                        " job_name = 'x' COLLATE NOCASE"
                                        " ORDER BY scheduled_time, id LIMIT 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    int uses_index = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        if (detail && strstr(detail, "executions_by_job")) uses_index = 1;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_true(uses_index);
}

/* bm_state_exec_page against filtering and stably sorting every record in memory (what
 * ListMonitoringExecutions did): ties in created, in schedule names and in statuses, every sort
 * both ways, filters alone and together, and pages that cut through ties. */
static const bm_exec_filter *ref_f;
static int ref_cmp(const void *pa, const void *pb)
{
    const bm_exec_record *a = pa, *b = pb;
    int c;
    if (ref_f->sort == BM_EXEC_BY_STATUS) {
        c = strcasecmp(a->status, b->status);
        if (!c) c = (a->created > b->created) - (a->created < b->created);
    } else {
        double x = ref_f->sort == BM_EXEC_BY_CREATED ? a->created : (double)a->scheduled_time;
        double y = ref_f->sort == BM_EXEC_BY_CREATED ? b->created : (double)b->scheduled_time;
        c = x < y ? -1 : x > y ? 1 : strcmp(a->schedule, b->schedule);
    }
    if (ref_f->descending) c = -c;
    if (!c) c = (a->scheduled_time > b->scheduled_time) - (a->scheduled_time < b->scheduled_time);
    if (!c) c = (a->id > b->id) - (a->id < b->id);
    return c;
}

static int ref_keep(const bm_exec_record *e, const bm_exec_filter *f)
{
    if (f->schedule && strcasecmp(f->schedule, e->schedule)) return 0;
    if (f->status && strcmp(f->status, e->status)) return 0;
    if (f->endpoint && strcasecmp(f->endpoint, e->endpoint)) return 0;
    if (f->job_definition && strcasecmp(f->job_definition, e->job_definition)) return 0;
    double t = (double)e->scheduled_time;
    if (f->scheduled_before && !(t < *f->scheduled_before)) return 0;
    if (f->scheduled_after && !(t > *f->scheduled_after)) return 0;
    if (f->created_before && !(e->created < *f->created_before)) return 0;
    if (f->created_after && !(e->created > *f->created_after)) return 0;
    if (f->modified_before && !(e->modified < *f->modified_before)) return 0;
    if (f->modified_after && !(e->modified > *f->modified_after)) return 0;
    return 1;
}

static void test_exec_page_matches_in_memory(void **state)
{
    fixture *f = *state;
    static const char *const names[] = {"alpha", "Beta", "beta2", "BETA", "gamma"};
    static const char *const st[] = {
        "Pending", "InProgress", "Completed", "CompletedWithViolations", "Failed", "Stopped"};
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (int k = 0; k < 300; k++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        int64_t tick = (int64_t)((k * 131) % 300) * 600; /* unique, shuffled */
        /* created in a few dozen values: many ties */
        bm_exec_record x = make_exec(names[rng % 5], tick, 1000.0 + (double)((rng >> 8) % 40));
        snprintf(x.status, sizeof(x.status), "%s", st[(rng >> 16) % 6]);
        snprintf(x.endpoint, sizeof(x.endpoint), "%s", (rng >> 24) % 2 ? "EP-1" : "ep-2");
        snprintf(x.job_definition, sizeof(x.job_definition), "%s", (rng >> 28) % 3 ? "jd" : "JD2");
        x.modified = x.created + (double)((rng >> 32) % 7);
        OK(bm_state_exec_insert(f->s, &x, &e_));
    }
    bm_exec_record *all = NULL, *got = NULL;
    size_t nall = 0, ngot = 0, total = 0;
    OK(bm_state_exec_list(f->s, NULL, NULL, 0, &all, &nall, &e_));
    assert_int_equal(nall, 300);
    bm_exec_record *want = calloc(nall, sizeof(*want));
    assert_non_null(want);
    double b1 = 1020, b2 = 1010.5, b3 = 90000, b4 = 1030;
    bm_exec_filter filters[] = {
        {0},
        {.schedule = "BETA"},
        {.status = "Completed"},
        {.endpoint = "ep-1", .job_definition = "jd"},
        {.created_before = &b1, .created_after = &b2},
        {.scheduled_before = &b3, .modified_after = &b1, .modified_before = &b4},
        {.schedule = "beta", .status = "Failed", .endpoint = "EP-2"},
        {.status = "Stopping"}, /* never stored */
    };
    size_t pages[][2] = {{0, 10}, {0, 100}, {7, 13}, {95, 100}, {290, 100}, {0, 0}, {400, 10}};
    int checked = 0;
    for (size_t fi = 0; fi < sizeof(filters) / sizeof(filters[0]); fi++)
        for (int sort = BM_EXEC_BY_CREATED; sort <= BM_EXEC_BY_STATUS; sort++)
            for (int desc = 0; desc < 2; desc++)
                for (size_t pi = 0; pi < sizeof(pages) / sizeof(pages[0]); pi++) {
                    bm_exec_filter q = filters[fi];
                    q.sort = sort;
                    q.descending = desc;
                    q.offset = pages[pi][0];
                    q.limit = pages[pi][1];
                    size_t nw = 0;
                    for (size_t k = 0; k < nall; k++)
                        if (ref_keep(&all[k], &q)) want[nw++] = all[k];
                    ref_f = &q;
                    qsort(want, nw, sizeof(*want), ref_cmp);
                    OK(bm_state_exec_page(f->s, &q, &got, &ngot, &total, &e_));
                    assert_int_equal(total, nw);
                    size_t from = q.offset < nw ? q.offset : nw;
                    size_t expect = nw - from < q.limit ? nw - from : q.limit;
                    assert_int_equal(ngot, expect);
                    for (size_t k = 0; k < ngot; k++) {
                        assert_int_equal(got[k].id, want[from + k].id);
                        assert_string_equal(got[k].schedule, want[from + k].schedule);
                    }
                    checked += ngot > 0;
                    bm_free(got);
                    got = NULL;
                }
    assert_true(checked > 120); /* most combinations had rows to compare */
    free(want);
    bm_free(all);
    bm_exec_filter bad = {.sort = 7};
    FAILS(BM_EINVAL, bm_state_exec_page(f->s, &bad, &got, &ngot, &total, &e_));
}

static void test_exec_latest(void **state)
{
    fixture *f = *state;
    bm_exec_record got;
    FAILS(BM_ENOTFOUND, bm_state_exec_latest(f->s, "s", &got, &e_));
    /* latest by created, not by tick or id */
    bm_exec_record a = make_exec("s", 7200, 50.0);
    bm_exec_record b = make_exec("s", 3600, 80.0);
    bm_exec_record c = make_exec("s", 10800, 60.0);
    bm_exec_record d = make_exec("t", 0, 999.0);
    OK(bm_state_exec_insert(f->s, &a, &e_));
    OK(bm_state_exec_insert(f->s, &b, &e_));
    OK(bm_state_exec_insert(f->s, &c, &e_));
    OK(bm_state_exec_insert(f->s, &d, &e_));
    OK(bm_state_exec_latest(f->s, "S", &got, &e_));
    assert_exec_equal(&b, &got);
    /* equal created times: the later insert */
    bm_exec_record e = make_exec("s", 14400, 80.0);
    OK(bm_state_exec_insert(f->s, &e, &e_));
    OK(bm_state_exec_latest(f->s, "s", &got, &e_));
    assert_int_equal(got.id, e.id);
    FAILS(BM_EINVAL, bm_state_exec_latest(f->s, "", &got, &e_));
}

/* A page of a schedule's history: newest scheduled first, before a time, at most max. */
static void test_exec_recent(void **state)
{
    fixture *f = *state;
    bm_exec_record *v = NULL;
    size_t n = 0;
    const int64_t ticks[] = {7200, 3600, 14400, 10800, 0}; /* inserted out of order */
    int64_t ids[5];
    for (int k = 0; k < 5; k++) {
        bm_exec_record x = make_exec("s", ticks[k], 100.0 + k);
        OK(bm_state_exec_insert(f->s, &x, &e_));
        ids[k] = x.id;
    }
    bm_exec_record other = make_exec("t", 99999, 1.0);
    OK(bm_state_exec_insert(f->s, &other, &e_));
    OK(bm_state_exec_recent(f->s, "S", INT64_MAX, 10, &v, &n, &e_));
    assert_int_equal(n, 5);
    int64_t want[] = {ids[2], ids[3], ids[0], ids[1], ids[4]};
    for (size_t k = 0; k < n; k++)
        assert_int_equal(v[k].id, want[k]);
    bm_free(v);
    /* the next page: before the last one shown, at most 2 */
    OK(bm_state_exec_recent(f->s, "s", 7200, 2, &v, &n, &e_));
    assert_int_equal(n, 2);
    assert_int_equal(v[0].id, ids[1]);
    assert_int_equal(v[1].id, ids[4]);
    bm_free(v);
    OK(bm_state_exec_recent(f->s, "s", 0, 2, &v, &n, &e_));
    assert_int_equal(n, 0);
    assert_null(v);
    FAILS(BM_EINVAL, bm_state_exec_recent(f->s, "s", INT64_MAX, 0, &v, &n, &e_));
    FAILS(BM_EINVAL, bm_state_exec_recent(f->s, "", INT64_MAX, 1, &v, &n, &e_));
}

static void test_exec_fail_unfinished(void **state)
{
    fixture *f = *state;
    const char *statuses[] = {"Pending", "InProgress", "Completed", "CompletedWithViolations",
                              "Failed",  "Stopped",    "InProgress"};
    int64_t ids[7];
    for (int k = 0; k < 7; k++) {
        bm_exec_record x = make_exec("s", k * 3600, 10.0 + k);
        snprintf(x.status, sizeof(x.status), "%s", statuses[k]);
        if (k == 1) x.ended = 5.0; /* kept when already set */
        OK(bm_state_exec_insert(f->s, &x, &e_));
        ids[k] = x.id;
    }
    size_t count = 99;
    OK(bm_state_exec_fail_unfinished(f->s, "biasmon restarted while the execution ran", 1234.5,
                                     &count, &e_));
    assert_int_equal(count, 2); /* the InProgress ones; Pending stays queued */
    for (int k = 0; k < 7; k++) {
        bm_exec_record got;
        OK(bm_state_exec_get(f->s, ids[k], &got, &e_));
        if (k == 1 || k == 6) {
            assert_string_equal(got.status, "Failed");
            assert_string_equal(got.failure_reason, "biasmon restarted while the execution ran");
            assert_true(got.modified == 1234.5);
            assert_true(got.ended == (k == 1 ? 5.0 : 1234.5));
        } else {
            assert_string_equal(got.status, statuses[k]);
            assert_string_equal(got.failure_reason, "");
            assert_true(got.modified == 10.0 + k);
        }
    }
    OK(bm_state_exec_fail_unfinished(f->s, "again", 2000, &count, &e_));
    assert_int_equal(count, 0);
    char reason[1100];
    memset(reason, 'r', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = 0;
    FAILS(BM_EINVAL, bm_state_exec_fail_unfinished(f->s, reason, 2000, &count, &e_));
}

/* ==================================================================================== */
/* Tags                                                                                 */
/* ==================================================================================== */

static json_t *tag_array(int first, int count, const char *value)
{
    json_t *a = json_array();
    assert_non_null(a);
    for (int k = first; k < first + count; k++) {
        char key[16];
        snprintf(key, sizeof(key), "key-%02d", k);
        assert_int_equal(
            json_array_append_new(a, json_pack("{s:s,s:s}", "Key", key, "Value", value)), 0);
    }
    return a;
}

static size_t tag_count(fixture *f, const char *arn)
{
    json_t *l = NULL;
    OK(bm_state_tags_list(f->s, arn, &l, &e_));
    assert_true(json_is_array(l));
    size_t n = json_array_size(l);
    json_decref(l);
    return n;
}

static void test_tags(void **state)
{
    fixture *f = *state;
    const char *arn = "arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/s";
    json_t *l = NULL;
    OK(bm_state_tags_list(f->s, arn, &l, &e_));
    assert_int_equal(json_array_size(l), 0);
    json_decref(l);

    json_t *t = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "Key", "team", "Value", "risk", "Key",
                          "env", "Value", "prod", "Key", "Team", "Value", "");
    OK(bm_state_tags_add(f->s, arn, t, &e_));
    json_decref(t);
    /* replace one value, add one key */
    t = json_pack("[{s:s,s:s},{s:s,s:s}]", "Key", "env", "Value", "staging", "Key", "a", "Value",
                  "1");
    OK(bm_state_tags_add(f->s, arn, t, &e_));
    json_decref(t);
    OK(bm_state_tags_list(f->s, arn, &l, &e_));
    json_t *want = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "Key", "Team", "Value",
                             "", "Key", "a", "Value", "1", "Key", "env", "Value", "staging", "Key",
                             "team", "Value", "risk");
    if (!json_equal(l, want)) {
        char *s = json_dumps(l, JSON_COMPACT);
        fail_msg("tags: %s", s);
    }
    json_decref(l);
    json_decref(want);

    /* delete: absent keys are ignored, keys are case-sensitive */
    json_t *keys = json_pack("[s,s,s]", "team", "nope", "ENV");
    OK(bm_state_tags_delete(f->s, arn, keys, &e_));
    json_decref(keys);
    OK(bm_state_tags_list(f->s, arn, &l, &e_));
    want = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "Key", "Team", "Value", "", "Key", "a",
                     "Value", "1", "Key", "env", "Value", "staging");
    assert_true(json_equal(l, want));
    json_decref(l);
    json_decref(want);
    /* other ARNs are separate */
    assert_int_equal(tag_count(f, "arn:other"), 0);

    /* bad shapes */
    t = json_pack("[{s:s}]", "Key", "k");
    FAILS(BM_EINVAL, bm_state_tags_add(f->s, arn, t, &e_));
    json_decref(t);
    t = json_pack("[{s:s,s:s}]", "Key", "", "Value", "v");
    FAILS(BM_EINVAL, bm_state_tags_add(f->s, arn, t, &e_));
    json_decref(t);
    t = json_pack("[{s:i,s:s}]", "Key", 1, "Value", "v");
    FAILS(BM_EINVAL, bm_state_tags_add(f->s, arn, t, &e_));
    json_decref(t);
    t = json_pack("[s]", "k");
    FAILS(BM_EINVAL, bm_state_tags_add(f->s, arn, t, &e_));
    json_decref(t);
    t = json_pack("{s:s}", "Key", "k");
    FAILS(BM_EINVAL, bm_state_tags_add(f->s, arn, t, &e_));
    FAILS(BM_EINVAL, bm_state_tags_delete(f->s, arn, t, &e_));
    json_decref(t);
    t = json_pack("[{s:s%,s:s}]", "Key", "a\0b", (size_t)3, "Value", "v");
    FAILS(BM_EINVAL, bm_state_tags_add(f->s, arn, t, &e_));
    json_decref(t);
    /* 128 characters (multi-byte ones count once) are allowed, 129 are not */
    char key[600] = "";
    for (int k = 0; k < 128; k++)
        strncat(key, "\xc3\xa9", sizeof(key) - strlen(key) - 1);
    t = json_pack("[{s:s,s:s}]", "Key", key, "Value", "v");
    OK(bm_state_tags_add(f->s, arn, t, &e_));
    json_decref(t);
    strncat(key, "x", sizeof(key) - strlen(key) - 1);
    t = json_pack("[{s:s,s:s}]", "Key", key, "Value", "v");
    FAILS(BM_EINVAL, bm_state_tags_add(f->s, arn, t, &e_));
    json_decref(t);
    keys = json_pack("[i]", 3);
    FAILS(BM_EINVAL, bm_state_tags_delete(f->s, arn, keys, &e_));
    json_decref(keys);
    assert_int_equal(tag_count(f, arn), 4);
    char long_arn[300];
    memset(long_arn, 'a', 299);
    long_arn[299] = 0;
    FAILS(BM_EINVAL, bm_state_tags_list(f->s, long_arn, &l, &e_));
    assert_null(l);
}

static void test_tags_limit(void **state)
{
    fixture *f = *state;
    const char *arn = "arn:limit";
    json_t *t = tag_array(0, 50, "v");
    OK(bm_state_tags_add(f->s, arn, t, &e_));
    json_decref(t);
    assert_int_equal(tag_count(f, arn), 50);
    /* a 51st key is refused and nothing of the call is kept */
    t = json_pack("[{s:s,s:s},{s:s,s:s}]", "Key", "key-00", "Value", "changed", "Key", "key-50",
                  "Value", "v");
    FAILS(BM_ELIMIT, bm_state_tags_add(f->s, arn, t, &e_));
    assert_non_null(strstr(e_.msg, "51"));
    json_decref(t);
    json_t *l = NULL;
    OK(bm_state_tags_list(f->s, arn, &l, &e_));
    assert_int_equal(json_array_size(l), 50);
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "Value")), "v");
    json_decref(l);
    /* replacing at the limit is fine */
    t = tag_array(10, 5, "w");
    OK(bm_state_tags_add(f->s, arn, t, &e_));
    json_decref(t);
    assert_int_equal(tag_count(f, arn), 50);
    /* more than 50 in one call */
    t = tag_array(0, 51, "v");
    FAILS(BM_ELIMIT, bm_state_tags_add(f->s, "arn:fresh", t, &e_));
    json_decref(t);
    json_t *many = json_array();
    for (int k = 0; k < 51; k++)
        json_array_append_new(many, json_string("key-00"));
    FAILS(BM_ELIMIT, bm_state_tags_delete(f->s, arn, many, &e_));
    json_decref(many);
    assert_int_equal(tag_count(f, "arn:fresh"), 0);
    /* after deleting, there is room again */
    json_t *keys = json_pack("[s,s]", "key-01", "key-02");
    OK(bm_state_tags_delete(f->s, arn, keys, &e_));
    json_decref(keys);
    t = tag_array(60, 2, "x");
    OK(bm_state_tags_add(f->s, arn, t, &e_));
    json_decref(t);
    assert_int_equal(tag_count(f, arn), 50);
}

static void test_delete_removes_tags(void **state)
{
    fixture *f = *state;
    bm_resource r = make_res(BM_RES_JOB_DEFINITION, "jd", 1);
    OK(bm_state_resource_create(f->s, &r, &e_));
    json_t *t = tag_array(0, 3, "v");
    OK(bm_state_tags_add(f->s, r.arn, t, &e_));
    OK(bm_state_tags_add(f->s, "arn:unrelated", t, &e_));
    json_decref(t);
    assert_int_equal(tag_count(f, r.arn), 3);
    OK(bm_state_resource_delete(f->s, BM_RES_JOB_DEFINITION, "JD", &e_));
    assert_int_equal(tag_count(f, r.arn), 0);
    assert_int_equal(tag_count(f, "arn:unrelated"), 3);
    bm_resource_release(&r);
}

/* ==================================================================================== */
/* Persistence, threads, SIGKILL                                                        */
/* ==================================================================================== */

static void test_reopen_persistence(void **state)
{
    fixture *f = *state;
    bm_resource rs[4];
    for (int k = 0; k < 4; k++) {
        rs[k] = make_res(kinds[k], "persist", 1700000000.5 + k);
        OK(bm_state_resource_create(f->s, &rs[k], &e_));
    }
    bm_exec_record x = make_exec("persist", 3600, 2.5);
    OK(bm_state_exec_insert(f->s, &x, &e_));
    snprintf(x.status, sizeof(x.status), "Completed");
    OK(bm_state_exec_update(f->s, &x, &e_));
    json_t *t = tag_array(0, 2, "kept");
    OK(bm_state_tags_add(f->s, rs[3].arn, t, &e_));
    json_decref(t);

    for (int round = 0; round < 2; round++) {
        reopen(f);
        for (int k = 0; k < 4; k++) {
            bm_resource got;
            OK(bm_state_resource_get(f->s, kinds[k], "PERSIST", &got, &e_));
            assert_res_equal(&rs[k], &got);
            bm_resource_release(&got);
        }
        bm_exec_record gx;
        OK(bm_state_exec_get(f->s, x.id, &gx, &e_));
        assert_exec_equal(&x, &gx);
        assert_int_equal(tag_count(f, rs[3].arn), 2);
        /* the tick is still taken */
        bm_exec_record dup = make_exec("persist", 3600, 3);
        FAILS(BM_EEXISTS, bm_state_exec_insert(f->s, &dup, &e_));
    }
    /* ids are not reused after the newest execution is gone */
    sql_exec(f->path, "DELETE FROM executions");
    bm_exec_record y = make_exec("persist", 7200, 4);
    OK(bm_state_exec_insert(f->s, &y, &e_));
    assert_true(y.id > x.id);
    for (int k = 0; k < 4; k++)
        bm_resource_release(&rs[k]);
}

#define THREADS 4
#define THREAD_ITERS 150

typedef struct worker {
    bm_state *s;
    int id;
    int failed;
    char msg[700];
} worker;

#define WORKER_CHECK(w, cond, ...)                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            snprintf((w)->msg, sizeof((w)->msg), __VA_ARGS__);                                     \
            (w)->failed = 1;                                                                       \
            return NULL;                                                                           \
        }                                                                                          \
    } while (0)

static void *work(void *arg)
{
    worker *w = arg;
    bm_error e;
    char name[64], sched[32];
    snprintf(sched, sizeof(sched), "thread-%d", w->id);
    for (int i = 0; i < THREAD_ITERS; i++) {
        snprintf(name, sizeof(name), "t%d-%d", w->id, i);
        bm_resource r;
        memset(&r, 0, sizeof(r));
        snprintf(r.kind, sizeof(r.kind), "%s", BM_RES_ENDPOINT);
        snprintf(r.name, sizeof(r.name), "%s", name);
        snprintf(r.arn, sizeof(r.arn), "arn:%s", name);
        r.created = r.modified = w->id * 1000 + i;
        r.next_tick = -1;
        r.doc = json_pack("{s:s,s:i}", "Name", name, "I", i);
        WORKER_CHECK(w, r.doc, "json_pack");
        int rc = bm_state_resource_create(w->s, &r, &e);
        json_decref(r.doc);
        WORKER_CHECK(w, rc == BM_OK, "create %s: %s", name, e.msg);

        bm_resource got;
        rc = bm_state_resource_get(w->s, BM_RES_ENDPOINT, name, &got, &e);
        WORKER_CHECK(w, rc == BM_OK, "get %s: %s", name, e.msg);
        int same =
            json_integer_value(json_object_get(got.doc, "I")) == i && strcmp(got.name, name) == 0;
        bm_resource_release(&got);
        WORKER_CHECK(w, same, "get %s: wrong row", name);

        bm_exec_record x = make_exec(sched, i, i);
        rc = bm_state_exec_insert(w->s, &x, &e);
        WORKER_CHECK(w, rc == BM_OK, "exec %s: %s", name, e.msg);
        rc = bm_state_exec_insert(w->s, &x, &e);
        WORKER_CHECK(w, rc == BM_EEXISTS, "exec twice %s: %d", name, rc);

        json_t *t = json_pack("[{s:s,s:s}]", "Key", "owner", "Value", sched);
        rc = bm_state_tags_add(w->s, r.arn, t, &e);
        json_decref(t);
        WORKER_CHECK(w, rc == BM_OK, "tags %s: %s", name, e.msg);

        if (i % 10 == 0) {
            bm_exec_record *v = NULL;
            size_t n = 0;
            rc = bm_state_exec_list(w->s, sched, NULL, 0, &v, &n, &e);
            bm_free(v);
            WORKER_CHECK(w, rc == BM_OK && n == (size_t)i + 1, "exec list %s: %d %zu", sched, rc,
                         n);
            bm_resource *rv = NULL;
            rc = bm_state_resource_list(w->s, BM_RES_ENDPOINT, &rv, &n, &e);
            bm_resources_free(rv, n);
            WORKER_CHECK(w, rc == BM_OK && n >= (size_t)i + 1, "list: %d %zu", rc, n);
        }
    }
    return NULL;
}

static void test_threads(void **state)
{
    fixture *f = *state;
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int k = 0; k < THREADS; k++) {
        memset(&w[k], 0, sizeof(w[k]));
        w[k].s = f->s;
        w[k].id = k;
        assert_int_equal(pthread_create(&th[k], NULL, work, &w[k]), 0);
    }
    for (int k = 0; k < THREADS; k++)
        assert_int_equal(pthread_join(th[k], NULL), 0);
    for (int k = 0; k < THREADS; k++)
        if (w[k].failed) fail_msg("thread %d: %s", k, w[k].msg);

    bm_resource *v = NULL;
    size_t n = 0;
    OK(bm_state_resource_list(f->s, BM_RES_ENDPOINT, &v, &n, &e_));
    assert_int_equal(n, THREADS * THREAD_ITERS);
    bm_resources_free(v, n);
    bm_exec_record *x = NULL;
    OK(bm_state_exec_list(f->s, NULL, NULL, 0, &x, &n, &e_));
    assert_int_equal(n, THREADS * THREAD_ITERS);
    bm_free(x);
    char c[32];
    sql_text(f->path, "SELECT count(*) FROM tags WHERE key = 'owner'", c, sizeof(c));
    assert_int_equal(strtol(c, NULL, 10), THREADS * THREAD_ITERS);
}

/* A child process writes in a loop and reports each committed write in a log (one line per
 * write, after the call returned) and with one byte on a pipe; the parent SIGKILLs it once it
 * has reported a number of writes drawn from the seed (plus a few microseconds, so the kill
 * lands inside a transaction as often as between two), then checks that the database is intact
 * and holds every reported write. Counting reported writes instead of sleeping keeps the test
 * the same on a loaded machine: a slow child is killed later, never before it wrote. */

#define KILL_ROUNDS 10
#define KILL_MAX_ITERS 20000
#define KILL_MAX_REPORTS 3000 /* writes a round may run before its kill (about 5 per iteration) */
#define KILL_MAX_EXTRA_US 400

static int child_progress_fd = -1;

typedef struct kill_row {
    unsigned char created, tagged, updated, deleted, exec_done;
    int64_t exec_id;
} kill_row;

static void child_log(int fd, const char *fmt, ...) BM_PRINTF(2, 3);
static void child_log(int fd, const char *fmt, ...)
{
    char line[700];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0 && write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
        _exit(4);
    if (child_progress_fd >= 0 && line[0] != 'X' && write(child_progress_fd, "w", 1) != 1) _exit(4);
}

static void child_fail(int fd, const char *what, const bm_error *e)
{
    child_log(fd, "X %s: %s\n", what, e->msg);
    _exit(3);
}

static void child_writer(const char *db, const char *log, int round)
{
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0) _exit(5);
    bm_state *s = NULL;
    bm_error e;
    if (bm_state_open(db, &s, &e) != BM_OK) child_fail(fd, "open", &e);
    char pad[300];
    memset(pad, 'p', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = 0;
    for (int i = 0; i < KILL_MAX_ITERS; i++) {
        bm_resource r;
        memset(&r, 0, sizeof(r));
        snprintf(r.kind, sizeof(r.kind), "%s", BM_RES_ENDPOINT);
        snprintf(r.name, sizeof(r.name), "k%d-%d", round, i);
        snprintf(r.arn, sizeof(r.arn), "arn:k%d-%d", round, i);
        snprintf(r.status, sizeof(r.status), "InService");
        r.created = r.modified = i;
        r.next_tick = -1;
        r.doc = json_pack("{s:i,s:i,s:s}", "Round", round, "Seq", i, "Pad", pad);
        if (!r.doc || bm_state_resource_create(s, &r, &e) != BM_OK) child_fail(fd, "create", &e);
        child_log(fd, "R %d %d\n", round, i);

        json_t *t = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "Key", "a", "Value", "1", "Key",
                              "b", "Value", "2", "Key", "c", "Value", "3");
        if (!t || bm_state_tags_add(s, r.arn, t, &e) != BM_OK) child_fail(fd, "tags", &e);
        json_decref(t);
        child_log(fd, "T %d %d\n", round, i);

        bm_exec_record x = make_exec("kill", (int64_t)round * 100000 + i, i);
        if (bm_state_exec_insert(s, &x, &e) != BM_OK) child_fail(fd, "exec insert", &e);
        child_log(fd, "E %d %d %lld\n", round, i, (long long)x.id);
        snprintf(x.status, sizeof(x.status), "Completed");
        x.violations = i;
        if (bm_state_exec_update(s, &x, &e) != BM_OK) child_fail(fd, "exec update", &e);
        child_log(fd, "C %d %d\n", round, i);

        if (i % 7 == 0) {
            snprintf(r.status, sizeof(r.status), "Updating");
            if (json_object_set_new(r.doc, "Rev", json_integer(1)) != 0 ||
                bm_state_resource_update(s, &r, &e) != BM_OK)
                child_fail(fd, "update", &e);
            child_log(fd, "U %d %d\n", round, i);
        }
        json_decref(r.doc);
        if (i >= 3 && i % 5 == 0) {
            char victim[64];
            snprintf(victim, sizeof(victim), "k%d-%d", round, i - 3);
            if (bm_state_resource_delete(s, BM_RES_ENDPOINT, victim, &e) != BM_OK)
                child_fail(fd, "delete", &e);
            child_log(fd, "D %d %d\n", round, i - 3);
        }
    }
    _exit(0); /* not killed in time: still a valid round */
}

/* Reads the child's log into rows[round][i]; returns how many complete lines it had. */
static size_t read_kill_log(const char *log, kill_row (*rows)[KILL_MAX_ITERS])
{
    FILE *fp = fopen(log, "r");
    if (!fp) return 0;
    char line[800];
    size_t lines = 0;
    while (fgets(line, sizeof(line), fp)) {
        size_t len = strlen(line);
        if (!len || line[len - 1] != '\n') break; /* cut short by the kill */
        if (line[0] == 'X') fail_msg("child: %s", line);
        char op;
        int round, i;
        long long id = 0;
        if (sscanf(line, "%c %d %d %lld", &op, &round, &i, &id) < 3 || round < 0 ||
            round >= KILL_ROUNDS || i < 0 || i >= KILL_MAX_ITERS)
            fail_msg("bad log line: %s", line);
        kill_row *r = &rows[round][i];
        switch (op) {
        case 'R':
            r->created = 1;
            break;
        case 'T':
            r->tagged = 1;
            break;
        case 'E':
            r->exec_id = id;
            break;
        case 'C':
            r->exec_done = 1;
            break;
        case 'U':
            r->updated = 1;
            break;
        case 'D':
            r->deleted = 1;
            break;
        default:
            fail_msg("bad log line: %s", line);
        }
        lines++;
    }
    fclose(fp);
    return lines;
}

static void check_after_kill(fixture *f, kill_row (*rows)[KILL_MAX_ITERS], int rounds)
{
    bm_error e;
    char v[64];
    sql_text(f->path, "PRAGMA integrity_check", v, sizeof(v));
    assert_string_equal(v, "ok");
    for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < KILL_MAX_ITERS; i++) {
            kill_row *k = &rows[round][i];
            if (!k->created && !k->exec_id) continue;
            char name[64], arn[64];
            snprintf(name, sizeof(name), "k%d-%d", round, i);
            snprintf(arn, sizeof(arn), "arn:k%d-%d", round, i);
            bm_resource got;
            int r = bm_state_resource_get(f->s, BM_RES_ENDPOINT, name, &got, &e);
            /* row i is deleted by iteration i + 3 when that is a multiple of 5: once that
             * iteration began, the delete may have committed without being reported */
            int maybe_deleted =
                (i + 3) % 5 == 0 && i + 3 < KILL_MAX_ITERS && rows[round][i + 3].created;
            if (k->deleted || (maybe_deleted && r == BM_ENOTFOUND)) {
                if (r != BM_ENOTFOUND) fail_msg("%s: deleted but %d", name, r);
                assert_int_equal(tag_count(f, arn), 0);
            } else if (k->created) {
                if (r != BM_OK) fail_msg("%s: committed but %d %s", name, r, e.msg);
                assert_int_equal(json_integer_value(json_object_get(got.doc, "Seq")), i);
                assert_int_equal(json_integer_value(json_object_get(got.doc, "Round")), round);
                /* the update is whole or absent */
                int has_rev = json_object_get(got.doc, "Rev") != NULL;
                assert_int_equal(has_rev, strcmp(got.status, "Updating") == 0);
                if (k->updated) assert_true(has_rev);
                bm_resource_release(&got);
                if (k->tagged) assert_int_equal(tag_count(f, arn), 3);
            }
            if (k->exec_id) {
                bm_exec_record x;
                r = bm_state_exec_get(f->s, k->exec_id, &x, &e);
                if (r != BM_OK) fail_msg("execution %lld: %s", (long long)k->exec_id, e.msg);
                assert_int_equal(x.scheduled_time, (int64_t)round * 100000 + i);
                if (k->exec_done) {
                    assert_string_equal(x.status, "Completed");
                    assert_int_equal(x.violations, i);
                }
            }
        }
    }
    /* recovery: nothing stays InProgress */
    size_t failed = 0, n = 0;
    bm_exec_record *x = NULL;
    OK(bm_state_exec_fail_unfinished(f->s, "killed", 1, &failed, &e_));
    OK(bm_state_exec_list(f->s, "kill", "InProgress", 0, &x, &n, &e_));
    assert_int_equal(n, 0);
    bm_free(x);
}

static void test_sigkill_durability(void **state)
{
    fixture *f = *state;
    /* the child creates the database itself, so a kill can land during creation too */
    bm_state_close(f->s);
    f->s = NULL;
    remove_dir(f->dir);
    assert_int_equal(mkdir(f->dir, 0700), 0);
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    const char *env = getenv("BM_TEST_SEED");
    if (env && *env) seed = (unsigned)strtoul(env, NULL, 10);
    print_message("sigkill: seed %u (BM_TEST_SEED=%u reproduces)\n", seed, seed);

    kill_row(*rows)[KILL_MAX_ITERS] = calloc(KILL_ROUNDS, sizeof(*rows));
    assert_non_null(rows);
    char log[400];
    snprintf(log, sizeof(log), "%s/kill.log", f->dir);
    size_t total = 0;
    int killed = 0;
    for (int round = 0; round < KILL_ROUNDS; round++) {
        /* round 0 is killed while it may still be creating the database */
        long reports = round == 0 ? 0 : 1 + (long)(rand_r(&seed) % KILL_MAX_REPORTS);
        long extra_us = (long)(rand_r(&seed) % KILL_MAX_EXTRA_US);
        int progress[2];
        assert_int_equal(pipe(progress), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(progress[0]);
            child_progress_fd = progress[1];
            child_writer(f->path, log, round);
        }
        close(progress[1]);
        /* bounded: at most `reports` bytes, and EOF when the child ends on its own */
        char buf[256];
        for (long seen = 0; seen < reports;) {
            size_t want =
                (size_t)(reports - seen) < sizeof(buf) ? (size_t)(reports - seen) : sizeof(buf);
            ssize_t got = read(progress[0], buf, want);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) break;
            seen += got;
        }
        struct timespec ts = {0, extra_us * 1000};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        close(progress[0]);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status)) {
            assert_int_equal(WTERMSIG(status), SIGKILL);
            killed++;
        }
        total = read_kill_log(log, rows); /* fails on a child's error line */
        assert_true(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));

        int r;
        bm_error e;
        if ((r = bm_state_open(f->path, &f->s, &e)) != BM_OK)
            fail_msg("round %d: reopen: %s", round, e.msg);
        check_after_kill(f, rows, round + 1);
        bm_state_close(f->s); /* never across fork */
        f->s = NULL;
    }
    print_message("sigkill: %d of %d children killed mid-run, %zu committed writes checked\n",
                  killed, KILL_ROUNDS, total);
    assert_true(killed > 0);
    assert_true(total > 0);
    free(rows);
    reopen(f);
}

/* ==================================================================================== */
/* Allocation failures                                                                  */
/* ==================================================================================== */

#define SWEEP_MAX 40
enum {
    OP_CREATE,
    OP_GET,
    OP_LIST,
    OP_TAGS_ADD,
    OP_TAGS_LIST,
    OP_EXEC_INSERT,
    OP_EXEC_LIST,
    OP_DELETE,
    OP_COUNT
};
static const char *const op_names[OP_COUNT] = {"create",    "get",         "list",      "tags add",
                                               "tags list", "exec insert", "exec list", "delete"};

static void check_sweep(int r, const bm_error *e, long n, int op, int *ok, int *nomem)
{
    if (r == BM_OK) {
        ok[op] = 1;
    } else if (r == BM_ENOMEM) {
        nomem[op] = 1;
        assert_int_equal(e->code, BM_ENOMEM);
        assert_non_null(strstr(e->msg, "out of memory"));
    } else {
        fail_msg("%s with allocation %ld failing: %d (%s)", op_names[op], n, r, e->msg);
    }
}

/* Each operation with its nth allocation (and every later one) failing: it fails with
 * BM_ENOMEM or succeeds, and writes happen whole or not at all. */
static void sweep_ops(fixture *f, const char *tag, const bm_resource *seed, json_t *seed_tags,
                      int *ok, int *nomem)
{
    for (long n = 1; n <= SWEEP_MAX; n++) {
        bm_error e;
        int r;
        char name[32], arn[64];

        /* create */
        snprintf(name, sizeof(name), "%s-%ld", tag, n);
        bm_resource res = make_res(BM_RES_ENDPOINT, name, (double)n);
        bm_alloc_fail_after(n);
        r = bm_state_resource_create(f->s, &res, &e);
        bm_alloc_fail_after(0);
        check_sweep(r, &e, n, OP_CREATE, ok, nomem);
        bm_resource got;
        assert_int_equal(bm_state_resource_get(f->s, BM_RES_ENDPOINT, name, &got, &e),
                         r == BM_OK ? BM_OK : BM_ENOTFOUND);
        bm_resource_release(&got);
        bm_resource_release(&res);

        /* get */
        bm_alloc_fail_after(n);
        r = bm_state_resource_get(f->s, BM_RES_SCHEDULE, seed->name, &got, &e);
        bm_alloc_fail_after(0);
        check_sweep(r, &e, n, OP_GET, ok, nomem);
        if (r == BM_OK)
            assert_res_equal(seed, &got);
        else
            assert_null(got.doc);
        bm_resource_release(&got);

        /* list */
        bm_resource *v = NULL;
        size_t cnt = 0;
        bm_alloc_fail_after(n);
        r = bm_state_resource_list(f->s, BM_RES_SCHEDULE, &v, &cnt, &e);
        bm_alloc_fail_after(0);
        check_sweep(r, &e, n, OP_LIST, ok, nomem);
        if (r == BM_OK)
            assert_int_equal(cnt, 1);
        else
            assert_true(v == NULL && cnt == 0);
        bm_resources_free(v, cnt);

        /* tags add */
        snprintf(arn, sizeof(arn), "arn:%s-%ld", tag, n);
        json_t *t = tag_array(0, 5, "x");
        bm_alloc_fail_after(n);
        r = bm_state_tags_add(f->s, arn, t, &e);
        bm_alloc_fail_after(0);
        json_decref(t);
        check_sweep(r, &e, n, OP_TAGS_ADD, ok, nomem);
        assert_int_equal(tag_count(f, arn), r == BM_OK ? 5 : 0);

        /* tags list */
        json_t *l = NULL;
        bm_alloc_fail_after(n);
        r = bm_state_tags_list(f->s, seed->arn, &l, &e);
        bm_alloc_fail_after(0);
        check_sweep(r, &e, n, OP_TAGS_LIST, ok, nomem);
        if (r == BM_OK)
            assert_true(json_equal(l, seed_tags));
        else
            assert_null(l);
        json_decref(l);

        /* executions */
        bm_exec_record x = make_exec(tag, n, n);
        bm_alloc_fail_after(n);
        r = bm_state_exec_insert(f->s, &x, &e);
        bm_alloc_fail_after(0);
        check_sweep(r, &e, n, OP_EXEC_INSERT, ok, nomem);
        bm_exec_record *xs = NULL;
        bm_alloc_fail_after(n);
        r = bm_state_exec_list(f->s, "seed", NULL, 0, &xs, &cnt, &e);
        bm_alloc_fail_after(0);
        check_sweep(r, &e, n, OP_EXEC_LIST, ok, nomem);
        if (r == BM_OK)
            assert_int_equal(cnt, 20);
        else
            assert_null(xs);
        bm_free(xs);

        /* delete: the row and its tags go together */
        snprintf(name, sizeof(name), "%s-del-%ld", tag, n);
        res = make_res(BM_RES_ENDPOINT, name, (double)n);
        OK(bm_state_resource_create(f->s, &res, &e_));
        t = tag_array(0, 2, "d");
        OK(bm_state_tags_add(f->s, res.arn, t, &e_));
        json_decref(t);
        bm_alloc_fail_after(n);
        r = bm_state_resource_delete(f->s, BM_RES_ENDPOINT, name, &e);
        bm_alloc_fail_after(0);
        check_sweep(r, &e, n, OP_DELETE, ok, nomem);
        assert_int_equal(bm_state_resource_get(f->s, BM_RES_ENDPOINT, name, &got, &e),
                         r == BM_OK ? BM_ENOTFOUND : BM_OK);
        bm_resource_release(&got);
        assert_int_equal(tag_count(f, res.arn), r == BM_OK ? 0 : 2);
        bm_resource_release(&res);
    }
}

static void test_alloc_failure_operations(void **state)
{
    fixture *f = *state;
    bm_resource seed = make_res(BM_RES_SCHEDULE, "seed", 1);
    json_decref(seed.doc); /* small enough for get and list to succeed within the sweep */
    seed.doc = json_pack("{s:s}", "Name", "seed");
    assert_non_null(seed.doc);
    OK(bm_state_resource_create(f->s, &seed, &e_));
    json_t *seed_tags = tag_array(0, 4, "v");
    OK(bm_state_tags_add(f->s, seed.arn, seed_tags, &e_));
    for (int k = 0; k < 20; k++) {
        bm_exec_record x = make_exec("seed", k * 3600, k);
        OK(bm_state_exec_insert(f->s, &x, &e_));
    }
    int ok[OP_COUNT] = {0}, nomem[OP_COUNT] = {0};
    /* cold: a new connection prepares its statements under failing allocations (preparing
     * takes up to ~140 allocations, so most of these calls fail) */
    reopen(f);
    sweep_ops(f, "cold", &seed, seed_tags, ok, nomem);
    /* warm: the statements are cached; every operation gets to succeed within the sweep */
    bm_resource *v = NULL;
    bm_exec_record *xs = NULL, x = make_exec("warm-up", 0, 0);
    size_t cnt = 0;
    OK(bm_state_resource_list(f->s, BM_RES_SCHEDULE, &v, &cnt, &e_));
    bm_resources_free(v, cnt);
    OK(bm_state_exec_list(f->s, "seed", NULL, 0, &xs, &cnt, &e_));
    bm_free(xs);
    OK(bm_state_exec_insert(f->s, &x, &e_));
    bm_resource w = make_res(BM_RES_ENDPOINT, "warm-up", 0);
    OK(bm_state_resource_create(f->s, &w, &e_));
    bm_resource_release(&w);
    OK(bm_state_resource_delete(f->s, BM_RES_ENDPOINT, "warm-up", &e_));
    memset(ok, 0, sizeof(ok));
    sweep_ops(f, "warm", &seed, seed_tags, ok, nomem);
    for (int k = 0; k < OP_COUNT; k++) {
        if (!nomem[k]) fail_msg("%s never saw an allocation failure", op_names[k]);
        if (!ok[k]) fail_msg("%s never succeeded within %d allocations", op_names[k], SWEEP_MAX);
    }
    char check[64];
    sql_text(f->path, "PRAGMA integrity_check", check, sizeof(check));
    assert_string_equal(check, "ok");
    json_decref(seed_tags);
    bm_resource_release(&seed);
}

/* Opening, with the nth allocation failing: for n = 1..40 and then in steps until it succeeds
 * (creating the schema takes ~1,600 allocations, opening an existing database ~400). */
static void test_alloc_failure_open(void **state)
{
    fixture *f = *state;
    char fresh[400];
    snprintf(fresh, sizeof(fresh), "%s/fresh.db", f->dir);
    const char *paths[2] = {fresh, f->path};
    bm_state_close(f->s);
    f->s = NULL;
    for (int k = 0; k < 2; k++) {
        int nomem = 0, ok = 0;
        for (long n = 1; n <= 5000 && !ok; n += n < SWEEP_MAX ? 1 : 47) {
            bm_error e;
            bm_state *o = (bm_state *)&o;
            bm_alloc_fail_after(n);
            int r = bm_state_open(paths[k], &o, &e);
            bm_alloc_fail_after(0);
            if (r == BM_OK) {
                ok = 1;
                bm_state_close(o);
            } else {
                if (r != BM_ENOMEM) fail_msg("open with allocation %ld failing: %s", n, e.msg);
                assert_null(o);
                nomem = 1;
            }
        }
        assert_true(nomem && ok);
        /* whatever the failed attempts left behind opens and works */
        bm_state *o = NULL;
        OK(bm_state_open(paths[k], &o, &e_));
        bm_resource r = make_res(BM_RES_ENDPOINT, "after", 1);
        OK(bm_state_resource_create(o, &r, &e_));
        bm_resource_release(&r);
        bm_state_close(o);
        char v[64];
        sql_text(paths[k], "PRAGMA integrity_check", v, sizeof(v));
        assert_string_equal(v, "ok");
        sql_text(paths[k], "SELECT version FROM schema_version", v, sizeof(v));
        assert_string_equal(v, "2");
    }
    reopen(f);
}

/* ==================================================================================== */
/* SQLite allocates through bm_malloc, so that the sweep reaches it too                 */
/* ==================================================================================== */

#define HDR 16 /* keeps malloc's alignment */

static void *sq_malloc(int n)
{
    if (n <= 0) return NULL;
    unsigned char *p = bm_malloc((size_t)n + HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof(n));
    return p + HDR;
}

static void sq_free(void *p)
{
    if (p) bm_free((unsigned char *)p - HDR);
}

static void *sq_realloc(void *p, int n)
{
    if (!p) return sq_malloc(n);
    if (n <= 0) return NULL;
    unsigned char *q = bm_realloc((unsigned char *)p - HDR, (size_t)n + HDR);
    if (!q) return NULL;
    memcpy(q, &n, sizeof(n));
    return q + HDR;
}

static int sq_size(void *p)
{
    int n = 0;
    if (p) memcpy(&n, (unsigned char *)p - HDR, sizeof(n));
    return n;
}

static int sq_roundup(int n)
{
    return (n + 7) & ~7;
}

static int sq_init(void *unused)
{
    return SQLITE_OK;
}

static void sq_shutdown(void *unused) {}

int main(void)
{
    static const sqlite3_mem_methods mem = {sq_malloc,  sq_free, sq_realloc,  sq_size,
                                            sq_roundup, sq_init, sq_shutdown, NULL};
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &mem) != SQLITE_OK) {
        fprintf(stderr, "cannot route SQLite's allocations\n");
        return 1;
    }
    json_set_alloc_funcs(bm_malloc, bm_free);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_open_creates_wal_schema),
        T(test_open_refuses),
        T(test_resource_crud_each_kind),
        T(test_resource_names_case_insensitive),
        T(test_resource_list_order),
        T(test_resource_bounds),
        T(test_resource_count_ref),
        T(test_exec_insert_duplicate_tick),
        T(test_exec_update_get),
        T(test_exec_list_filters_and_order),
        T(test_exec_stats_match_full_scan),
        T(test_exec_stats_empty),
        T(test_exec_at_and_by_job),
        T(test_exec_page_matches_in_memory),
        T(test_exec_latest),
        T(test_exec_recent),
        T(test_exec_fail_unfinished),
        T(test_tags),
        T(test_tags_limit),
        T(test_delete_removes_tags),
        T(test_reopen_persistence),
        T(test_threads),
        T(test_sigkill_durability),
        T(test_alloc_failure_operations),
        T(test_alloc_failure_open),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
