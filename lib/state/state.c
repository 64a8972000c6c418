/* biasmon serve's state in SQLite: one WAL connection behind a mutex, a versioned schema and one
 * cached prepared statement per operation. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sqlite3.h>
#include "biasmon/state.h"

#define DOC_MAX (1024 * 1024) /* bytes of compact JSON per resource document */
#define TAGS_MAX 50           /* tags per ARN, and tags or keys per call (SageMaker's limits) */
#define TAG_KEY_MAX 128       /* characters */
#define TAG_VALUE_MAX 256     /* characters */
#define BUSY_TIMEOUT_MS 5000

/* ================================================================================================
 * The schema: migrations[v] takes a database from version v - 1 to version v. A migration is
 * never edited once released; changes are appended as a new version.
 * ============================================================================================== */

static const char *const migrations[] = {
    NULL,
    /* 1: the initial schema */
    "CREATE TABLE resources ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " name TEXT NOT NULL COLLATE NOCASE,"
    " arn TEXT NOT NULL,"
    " created REAL NOT NULL,"
    " modified REAL NOT NULL,"
    " status TEXT NOT NULL,"
    " endpoint TEXT NOT NULL COLLATE NOCASE,"
    " ref TEXT NOT NULL COLLATE NOCASE,"
    " next_tick INTEGER NOT NULL,"
    " doc TEXT NOT NULL,"
    " UNIQUE (kind, name));"
    "CREATE INDEX resources_by_ref ON resources (kind, ref);"
    "CREATE TABLE executions ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " schedule TEXT NOT NULL COLLATE NOCASE,"
    " scheduled_time INTEGER NOT NULL,"
    " created REAL NOT NULL,"
    " modified REAL NOT NULL,"
    " status TEXT NOT NULL,"
    " failure_reason TEXT NOT NULL,"
    " job_name TEXT NOT NULL,"
    " endpoint TEXT NOT NULL,"
    " job_definition TEXT NOT NULL,"
    " output_uri TEXT NOT NULL,"
    " violations INTEGER NOT NULL,"
    " started REAL NOT NULL,"
    " ended REAL NOT NULL,"
    " UNIQUE (schedule, scheduled_time));"
    "CREATE INDEX executions_by_status ON executions (status);"
    "CREATE INDEX executions_by_created ON executions (schedule, created);"
    "CREATE TABLE tags ("
    " arn TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " PRIMARY KEY (arn, key)) WITHOUT ROWID;",
    /* 2: DescribeProcessingJob finds a monitoring execution by its job's name */
    "CREATE INDEX executions_by_job ON executions (job_name COLLATE NOCASE);",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])) - 1)

/* ================================================================================================
 * Statements: prepared on first use, kept until close.
 * ============================================================================================== */

#define RES_COLUMNS "kind, name, arn, created, modified, status, endpoint, ref, next_tick, doc"
#define EXEC_COLUMNS                                                                               \
    "id, schedule, scheduled_time, created, modified, status, failure_reason, job_name, "          \
    "endpoint, job_definition, output_uri, violations, started, ended"

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_RES_INSERT,
    ST_RES_UPDATE,
    ST_RES_GET,
    ST_RES_ARN,
    ST_RES_DELETE,
    ST_RES_LIST,
    ST_RES_COUNT_REF,
    ST_EXEC_INSERT,
    ST_EXEC_UPDATE,
    ST_EXEC_GET,
    ST_EXEC_LIST_ALL,
    ST_EXEC_LIST_SCHEDULE,
    ST_EXEC_LIST_STATUS,
    ST_EXEC_LIST_BOTH,
    ST_EXEC_LATEST,
    ST_EXEC_RECENT,
    ST_EXEC_FAIL_UNFINISHED,
    ST_EXEC_STATS,
    ST_EXEC_AT,
    ST_EXEC_BY_JOB,
    ST_TAG_UPSERT,
    ST_TAG_COUNT,
    ST_TAG_DELETE,
    ST_TAG_DELETE_ARN,
    ST_TAG_LIST,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_RES_INSERT] = ("INSERT INTO resources (" RES_COLUMNS ")"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
    /* kind and name identify the row; the stored name keeps the spelling it was created with */
    [ST_RES_UPDATE] = ("UPDATE resources SET arn = ?3, created = ?4, modified = ?5, status = ?6,"
                       " endpoint = ?7, ref = ?8, next_tick = ?9, doc = ?10"
                       " WHERE kind = ?1 AND name = ?2"),
    [ST_RES_GET] = ("SELECT " RES_COLUMNS " FROM resources WHERE kind = ?1 AND name = ?2"),
    [ST_RES_ARN] = "SELECT arn FROM resources WHERE kind = ?1 AND name = ?2",
    [ST_RES_DELETE] = "DELETE FROM resources WHERE kind = ?1 AND name = ?2",
    [ST_RES_LIST] =
        ("SELECT " RES_COLUMNS " FROM resources WHERE kind = ?1 ORDER BY created, name"),
    [ST_RES_COUNT_REF] = "SELECT count(*) FROM resources WHERE kind = ?1 AND ref = ?2",
    [ST_EXEC_INSERT] = ("INSERT INTO executions (schedule, scheduled_time, created, modified,"
                        " status, failure_reason, job_name, endpoint, job_definition, output_uri,"
                        " violations, started, ended)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
    /* schedule, scheduled_time and created are fixed at insert */
    [ST_EXEC_UPDATE] = ("UPDATE executions SET modified = ?4, status = ?5, failure_reason = ?6,"
                        " job_name = ?7, endpoint = ?8, job_definition = ?9, output_uri = ?10,"
                        " violations = ?11, started = ?12, ended = ?13 WHERE id = ?14"),
    [ST_EXEC_GET] = ("SELECT " EXEC_COLUMNS " FROM executions WHERE id = ?1"),
    [ST_EXEC_LIST_ALL] = ("SELECT " EXEC_COLUMNS " FROM executions"
                          " ORDER BY scheduled_time, id LIMIT ?3"),
    [ST_EXEC_LIST_SCHEDULE] = ("SELECT " EXEC_COLUMNS " FROM executions WHERE schedule = ?1"
                               " ORDER BY scheduled_time, id LIMIT ?3"),
    [ST_EXEC_LIST_STATUS] = ("SELECT " EXEC_COLUMNS " FROM executions WHERE status = ?2"
                             " ORDER BY scheduled_time, id LIMIT ?3"),
    [ST_EXEC_LIST_BOTH] = ("SELECT " EXEC_COLUMNS " FROM executions"
                           " WHERE schedule = ?1 AND status = ?2"
                           " ORDER BY scheduled_time, id LIMIT ?3"),
    [ST_EXEC_LATEST] = ("SELECT " EXEC_COLUMNS " FROM executions WHERE schedule = ?1"
                        " ORDER BY created DESC, id DESC LIMIT 1"),
    [ST_EXEC_RECENT] = ("SELECT " EXEC_COLUMNS " FROM executions WHERE schedule = ?1"
                        " AND scheduled_time < ?4 ORDER BY scheduled_time DESC, id DESC LIMIT ?3"),
    [ST_EXEC_FAIL_UNFINISHED] =
        ("UPDATE executions SET status = 'Failed', failure_reason = ?1,"
         " modified = ?2, ended = CASE WHEN ended = 0 THEN ?2 ELSE ended END"
         " WHERE status = 'InProgress'"),
    /* per exact schedule name (the column compares without case; metrics keep spellings apart);
     * the subqueries find single rows through the UNIQUE (schedule, scheduled_time) index */
    [ST_EXEC_STATS] =
        ("WITH g AS (SELECT schedule COLLATE BINARY AS name, min(scheduled_time) AS t0,"
         " max(scheduled_time) AS t1,"
         " max(CASE WHEN status IN ('Completed', 'CompletedWithViolations')"
         " THEN scheduled_time END) AS tf,"
         " sum(status = 'Pending'), sum(status = 'InProgress'), sum(status = 'Completed'),"
         " sum(status = 'CompletedWithViolations'), sum(status = 'Failed'),"
         " sum(status = 'Stopped'),"
         " bm_duration_sum(scheduled_time, id, started, ended, ?1),"
         " sum(ended > 0 AND started > 0)"
         " FROM executions GROUP BY schedule COLLATE BINARY)"
         " SELECT g.*,"
         " (SELECT id FROM executions e WHERE e.schedule = g.name COLLATE NOCASE"
         " AND e.scheduled_time = g.t0) AS id0,"
         " (SELECT endpoint FROM executions e WHERE e.schedule = g.name COLLATE NOCASE"
         " AND e.scheduled_time = g.t1),"
         " (SELECT id FROM executions e WHERE e.schedule = g.name COLLATE NOCASE"
         " AND e.scheduled_time = g.tf)"
         " FROM g ORDER BY t0, id0"),
    [ST_EXEC_AT] = ("SELECT " EXEC_COLUMNS " FROM executions WHERE schedule = ?1"
                    " AND scheduled_time = ?2"),
    [ST_EXEC_BY_JOB] = ("SELECT " EXEC_COLUMNS " FROM executions"
                        " WHERE job_name = ?1 COLLATE NOCASE ORDER BY scheduled_time, id LIMIT 1"),
    [ST_TAG_UPSERT] = ("INSERT INTO tags (arn, key, value) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value"),
    [ST_TAG_COUNT] = "SELECT count(*) FROM tags WHERE arn = ?1",
    [ST_TAG_DELETE] = "DELETE FROM tags WHERE arn = ?1 AND key = ?2",
    [ST_TAG_DELETE_ARN] = "DELETE FROM tags WHERE arn = ?1",
    [ST_TAG_LIST] = "SELECT key, value FROM tags WHERE arn = ?1 ORDER BY key",
};

struct bm_state {
    pthread_mutex_t lock; /* guards everything below */
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
};

/* ================================================================================================
 * Errors, statements, transactions
 * ============================================================================================== */

static int status_of(int rc)
{
    if (rc == SQLITE_IOERR_NOMEM) return BM_ENOMEM;
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return BM_OK;
    case SQLITE_NOMEM:
        return BM_ENOMEM;
    case SQLITE_TOOBIG:
        return BM_ELIMIT;
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_NOTADB:
        return BM_EIO;
    }
    return BM_EINTERNAL;
}

/* Records a failed SQLite call rc; call it before resetting the statement that failed. */
static int db_fail(sqlite3 *db, int rc, bm_error *err, const char *op)
{
    const char *why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return bm_error_set(err, status_of(rc), "state: %s: %s", op, why);
}

static int is_unique_violation(int rc)
{
    return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

static int stmt(bm_state *s, int id, sqlite3_stmt **out, bm_error *err, const char *op)
{
    if (!s->st[id]) {
        int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id],
                                    NULL);
        if (rc != SQLITE_OK) {
            int r = db_fail(s->db, rc, err, op);
            sqlite3_finalize(s->st[id]);
            s->st[id] = NULL;
            return r;
        }
    }
    *out = s->st[id];
    return BM_OK;
}

/* Readies a cached statement for its next use; NULL is a no-op. */
static void stmt_done(sqlite3_stmt *st)
{
    if (!st) return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no rows. */
static int run(bm_state *s, int id, bm_error *err, const char *op)
{
    sqlite3_stmt *st = NULL;
    int r = stmt(s, id, &st, err, op);
    if (r != BM_OK) return r;
    int rc = sqlite3_step(st);
    r = rc == SQLITE_DONE ? BM_OK : db_fail(s->db, rc, err, op);
    stmt_done(st);
    return r;
}

/* Steps a query: *row is 1 when a row is ready, 0 at the end. */
static int step_row(bm_state *s, sqlite3_stmt *st, int *row, bm_error *err, const char *op)
{
    int rc = sqlite3_step(st);
    *row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return BM_OK;
    return db_fail(s->db, rc, err, op);
}

/* Ends an open transaction without changing anything. SQLite rolls back by itself after some
 * errors (out of memory, I/O, disk full); if ROLLBACK cannot even be prepared, the next call
 * tries again (see enter). */
static void rollback(bm_state *s)
{
    if (sqlite3_get_autocommit(s->db)) return;
    bm_error ignored;
    if (run(s, ST_ROLLBACK, &ignored, "rolling back") != BM_OK && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static void enter(bm_state *s)
{
    pthread_mutex_lock(&s->lock);
    rollback(s); /* a transaction left open by an earlier failure */
}

static void leave(bm_state *s)
{
    pthread_mutex_unlock(&s->lock);
}

static int tx_begin(bm_state *s, bm_error *err, const char *op)
{
    return run(s, ST_BEGIN, err, op);
}

/* Commits when r is BM_OK, else rolls back; returns the outcome. */
static int tx_end(bm_state *s, int r, bm_error *err, const char *op)
{
    if (r == BM_OK) r = run(s, ST_COMMIT, err, op);
    if (r != BM_OK) rollback(s);
    return r;
}

/* ================================================================================================
 * Values in and out
 * ============================================================================================== */

/* BM_OK when v is a NUL-terminated string of at most cap - 1 bytes, not empty unless allowed. */
static int check_text(const char *v, size_t cap, int allow_empty, const char *what, bm_error *err,
                      const char *op)
{
    if (!v) return bm_error_set(err, BM_EINVAL, "state: %s: %s is missing", op, what);
    size_t n = strnlen(v, cap);
    if (n == cap)
        return bm_error_set(err, BM_EINVAL, "state: %s: %s is longer than %zu bytes", op, what,
                            cap - 1);
    if (!n && !allow_empty) return bm_error_set(err, BM_EINVAL, "state: %s: %s is empty", op, what);
    return BM_OK;
}

/* Copies text column col into dst[cap]. */
static int column_text(bm_state *s, sqlite3_stmt *st, int col, char *dst, size_t cap, bm_error *err,
                       const char *op)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    if (!t) {
        if (sqlite3_errcode(s->db) == SQLITE_NOMEM)
            return bm_error_set(err, BM_ENOMEM, "state: %s: out of memory", op);
        n = 0;
    }
    if (n >= cap)
        return bm_error_set(err, BM_EINTERNAL,
                            "state: %s: stored column %d has %zu bytes, more than %zu", op, col, n,
                            cap - 1);
    if (n) memcpy(dst, t, n);
    dst[n] = 0;
    return BM_OK;
}

typedef struct dump_ctx {
    bm_buf buf;
    int status;
} dump_ctx;

static int dump_cb(const char *p, size_t n, void *data)
{
    dump_ctx *c = data;
    int r = bm_buf_append(&c->buf, p, n);
    if (r == BM_OK) return 0;
    c->status = r;
    return -1;
}

/* The document as compact JSON text in out (at most DOC_MAX bytes, NUL-terminated). */
static int doc_encode(const json_t *doc, bm_buf *out, bm_error *err, const char *op)
{
    if (!json_is_object(doc))
        return bm_error_set(err, BM_EINVAL, "state: %s: the document is %s, not a JSON object", op,
                            doc ? "another JSON value" : "missing");
    dump_ctx c = {.status = BM_OK};
    bm_buf_init(&c.buf, DOC_MAX);
    if (json_dump_callback(doc, dump_cb, &c, JSON_COMPACT) != 0 || !c.buf.data) {
        bm_buf_release(&c.buf);
        if (c.status == BM_ELIMIT)
            return bm_error_set(err, BM_ELIMIT, "state: %s: the document is larger than 1 MiB", op);
        return bm_error_set(err, BM_ENOMEM, "state: %s: out of memory encoding the document", op);
    }
    *out = c.buf;
    return BM_OK;
}

static int doc_decode(const char *text, size_t n, json_t **out, bm_error *err, const char *op)
{
    json_error_t je;
    *out = json_loadb(text, n, 0, &je);
    if (*out) return BM_OK;
    int oom = json_error_code(&je) == json_error_out_of_memory;
    if (!oom) {
        /* jansson's lexer reports some allocation failures as syntax errors: a text we stored
         * ourselves is valid JSON, so probe jansson's allocator before blaming the data */
        json_malloc_t jmalloc;
        json_free_t jfree;
        json_get_alloc_funcs(&jmalloc, &jfree);
        void *probe = jmalloc(n + 1);
        oom = !probe;
        jfree(probe);
    }
    if (oom)
        return bm_error_set(err, BM_ENOMEM, "state: %s: out of memory decoding the document", op);
    char what[JSON_ERROR_TEXT_LENGTH];
    return bm_error_set(err, BM_EINTERNAL, "state: %s: the stored document is not valid JSON: %s",
                        op, bm_json_error_what(&je, what, sizeof(what)));
}

/* ================================================================================================
 * Open, migrate, close
 * ============================================================================================== */

static int exec_sql(bm_state *s, const char *sql, bm_error *err, const char *op)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? BM_OK : db_fail(s->db, rc, err, op);
}

/* Runs a one-row query and returns its first column as an integer (-1 when there is no row) or
 * copies it as text into text[cap]. */
static int query_one(bm_state *s, const char *sql, int64_t *num, char *text, size_t cap,
                     bm_error *err, const char *op)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    int r = BM_OK, row = 0;
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    if ((r = step_row(s, st, &row, err, op)) != BM_OK) goto out;
    if (num) *num = row ? sqlite3_column_int64(st, 0) : -1;
    if (text) {
        text[0] = 0;
        if (row && (r = column_text(s, st, 0, text, cap, err, op)) != BM_OK) goto out;
    }
out:
    sqlite3_finalize(st);
    return r;
}

static int migrate(bm_state *s, bm_error *err)
{
    const char *op = "migrating the schema";
    int64_t version = 0;
    int r = exec_sql(s, "BEGIN IMMEDIATE", err, op);
    if (r != BM_OK) return r;
    r = exec_sql(s,
                 "CREATE TABLE IF NOT EXISTS schema_version ("
                 " id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
                 err, op);
    if (r != BM_OK) goto out;
    r = query_one(s, "SELECT version FROM schema_version WHERE id = 1", &version, NULL, 0, err, op);
    if (r != BM_OK) goto out;
    if (version < 0) version = 0; /* no row yet: a new database */
    if (version > SCHEMA_VERSION) {
        r = bm_error_set(err, BM_ECONFIG,
                         "state: the database has schema version %lld, newer than this biasmon's "
                         "%d; upgrade biasmon or use another database",
                         (long long)version, SCHEMA_VERSION);
        goto out;
    }
    for (int v = (int)version + 1; v <= SCHEMA_VERSION; v++) {
        char step[64], sql[128];
        snprintf(step, sizeof(step), "migrating the schema to version %d", v);
        if ((r = exec_sql(s, migrations[v], err, step)) != BM_OK) goto out;
        snprintf(sql, sizeof(sql),
                 "INSERT OR REPLACE INTO schema_version (id, version) VALUES (1, %d)", v);
        if ((r = exec_sql(s, sql, err, step)) != BM_OK) goto out;
    }
    r = exec_sql(s, "COMMIT", err, op);
out:
    if (r != BM_OK && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return r;
}

/* ================================================================================================
 * bm_duration_sum(scheduled_time, id, started, ended, scale): the sum of (ended - started) / scale
 * over rows with both times set, added in (scheduled_time, id) order whatever order SQLite feeds
 * the rows in, so the figure is the same double a loop over the ordered rows would give.
 * ============================================================================================== */

typedef struct dur_item {
    int64_t t, id;
    double v;
} dur_item;

typedef struct dur_acc {
    dur_item *v;
    size_t n, cap;
    int failed;
} dur_acc;

static void dur_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    dur_acc *a = sqlite3_aggregate_context(ctx, sizeof(*a));
    if (!a) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    double started = sqlite3_value_double(argv[2]), ended = sqlite3_value_double(argv[3]);
    if (a->failed || !(ended > 0 && started > 0)) return;
    if (a->n == a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 64;
        dur_item *nv = bm_reallocarray(a->v, ncap, sizeof(*nv));
        if (!nv) {
            a->failed = 1;
            return;
        }
        a->v = nv;
        a->cap = ncap;
    }
    a->v[a->n++] = (dur_item){sqlite3_value_int64(argv[0]), sqlite3_value_int64(argv[1]),
                              (ended - started) / sqlite3_value_double(argv[4])};
}

static int dur_cmp(const void *pa, const void *pb)
{
    const dur_item *a = pa, *b = pb;
    if (a->t != b->t) return a->t < b->t ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

static void dur_final(sqlite3_context *ctx)
{
    dur_acc *a = sqlite3_aggregate_context(ctx, 0);
    double sum = 0;
    if (a && a->failed) {
        sqlite3_result_error_nomem(ctx);
    } else {
        if (a && a->n) qsort(a->v, a->n, sizeof(*a->v), dur_cmp);
        for (size_t k = 0; a && k < a->n; k++)
            sum += a->v[k].v;
        sqlite3_result_double(ctx, sum);
    }
    if (a) bm_free(a->v);
}

int bm_state_open(const char *path, bm_state **out, bm_error *err)
{
    int r = BM_EINTERNAL;
    bm_state *s = NULL;
    char op[320];
    if (!out) return bm_error_set(err, BM_EINVAL, "state: opening: no result pointer");
    *out = NULL;
    if (!path || !*path) return bm_error_set(err, BM_EINVAL, "state: opening: no database path");
    snprintf(op, sizeof(op), "opening '%.256s'", path);
    if (!(s = bm_calloc(1, sizeof(*s))))
        return bm_error_set(err, BM_ENOMEM, "state: %s: out of memory", op);
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        bm_free(s);
        return bm_error_set(err, BM_EINTERNAL, "state: %s: cannot create a mutex", op);
    }
    /* NOMUTEX: s->lock serializes every use of the connection */
    int rc = sqlite3_open_v2(
        path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    if ((rc = sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS)) != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    char mode[16];
    r = query_one(s, "PRAGMA journal_mode = WAL", NULL, mode, sizeof(mode), err, op);
    if (r != BM_OK) goto out;
    if (strcasecmp(mode, "wal") != 0) {
        r = bm_error_set(err, BM_EIO, "state: %s: cannot use a write-ahead log (journal mode %s)",
                         op, mode);
        goto out;
    }
    r = exec_sql(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", err, op);
    if (r != BM_OK) goto out;
    rc = sqlite3_create_function_v2(s->db, "bm_duration_sum", 5,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                    NULL, dur_step, dur_final, NULL);
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    r = migrate(s, err);
out:
    if (r != BM_OK)
        bm_state_close(s);
    else
        *out = s;
    return r;
}

void bm_state_close(bm_state *s)
{
    if (!s) return;
    for (int k = 0; k < ST_COUNT; k++)
        sqlite3_finalize(s->st[k]);
    sqlite3_close(s->db); /* every statement is finalized, so this cannot be left busy */
    pthread_mutex_destroy(&s->lock);
    bm_free(s);
}

/* ================================================================================================
 * Resources
 * ============================================================================================== */

void bm_resource_release(bm_resource *r)
{
    if (!r) return;
    json_decref(r->doc);
    r->doc = NULL;
}

void bm_resources_free(bm_resource *v, size_t n)
{
    if (!v) return;
    for (size_t k = 0; k < n; k++)
        bm_resource_release(&v[k]);
    bm_free(v);
}

/* Validates kind and name and names the operation in op[320]. */
static int check_key(const char *verb, const char *kind, const char *name, char *op, size_t oplen,
                     bm_error *err)
{
    snprintf(op, oplen, "%s %.31s '%.63s'", verb, kind ? kind : "resource", name ? name : "");
    int r = check_text(kind, sizeof(((bm_resource *)0)->kind), 0, "the kind", err, op);
    if (r == BM_OK) r = check_text(name, sizeof(((bm_resource *)0)->name), 0, "the name", err, op);
    return r;
}

static int check_resource(const char *verb, const bm_resource *res, char *op, size_t oplen,
                          bm_error *err)
{
    if (!res) {
        snprintf(op, oplen, "%s a resource", verb);
        return bm_error_set(err, BM_EINVAL, "state: %s: no resource", op);
    }
    int r = check_key(verb, res->kind, res->name, op, oplen, err);
    if (r == BM_OK) r = check_text(res->arn, sizeof(res->arn), 0, "the ARN", err, op);
    if (r == BM_OK) r = check_text(res->status, sizeof(res->status), 1, "the status", err, op);
    if (r == BM_OK)
        r = check_text(res->endpoint, sizeof(res->endpoint), 1, "the endpoint", err, op);
    if (r == BM_OK) r = check_text(res->ref, sizeof(res->ref), 1, "the reference", err, op);
    return r;
}

static int bind_resource(sqlite3_stmt *st, const bm_resource *res, const bm_buf *doc)
{
    int rc = sqlite3_bind_text(st, 1, res->kind, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 2, res->name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 3, res->arn, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 4, res->created);
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 5, res->modified);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 6, res->status, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 7, res->endpoint, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 8, res->ref, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 9, res->next_tick);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 10, doc->data, (int)doc->len, SQLITE_STATIC);
    return rc;
}

static int bind_key(sqlite3_stmt *st, const char *kind, const char *name)
{
    int rc = sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    return rc;
}

/* Fills out from a row of RES_COLUMNS; on failure out->doc is NULL. */
static int read_resource(bm_state *s, sqlite3_stmt *st, bm_resource *out, bm_error *err,
                         const char *op)
{
    memset(out, 0, sizeof(*out));
    int r = column_text(s, st, 0, out->kind, sizeof(out->kind), err, op);
    if (r == BM_OK) r = column_text(s, st, 1, out->name, sizeof(out->name), err, op);
    if (r == BM_OK) r = column_text(s, st, 2, out->arn, sizeof(out->arn), err, op);
    if (r == BM_OK) {
        out->created = sqlite3_column_double(st, 3);
        out->modified = sqlite3_column_double(st, 4);
        r = column_text(s, st, 5, out->status, sizeof(out->status), err, op);
    }
    if (r == BM_OK) r = column_text(s, st, 6, out->endpoint, sizeof(out->endpoint), err, op);
    if (r == BM_OK) r = column_text(s, st, 7, out->ref, sizeof(out->ref), err, op);
    if (r == BM_OK) {
        out->next_tick = sqlite3_column_int64(st, 8);
        const char *text = (const char *)sqlite3_column_text(st, 9);
        size_t n = (size_t)sqlite3_column_bytes(st, 9);
        if (!text && sqlite3_errcode(s->db) == SQLITE_NOMEM)
            r = bm_error_set(err, BM_ENOMEM, "state: %s: out of memory", op);
        else
            r = doc_decode(text ? text : "", n, &out->doc, err, op);
    }
    return r;
}

/* Inserts (update = 0) or replaces (update = 1) a resource row. */
static int write_resource(bm_state *s, const bm_resource *res, int update, bm_error *err)
{
    char op[320];
    bm_buf doc;
    sqlite3_stmt *st = NULL;
    int locked = 0;
    bm_buf_init(&doc, DOC_MAX);
    int r = check_resource(update ? "updating" : "creating", res, op, sizeof(op), err);
    if (r == BM_OK && !s) r = bm_error_set(err, BM_EINVAL, "state: %s: no state", op);
    if (r != BM_OK) goto out;
    if ((r = doc_encode(res->doc, &doc, err, op)) != BM_OK) goto out;
    enter(s);
    locked = 1;
    if ((r = stmt(s, update ? ST_RES_UPDATE : ST_RES_INSERT, &st, err, op)) != BM_OK) goto out;
    int rc = bind_resource(st, res, &doc);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (!update && is_unique_violation(rc))
        r = bm_error_set(err, BM_EEXISTS, "state: %s: a %s of that name already exists", op,
                         res->kind);
    else if (rc != SQLITE_DONE)
        r = db_fail(s->db, rc, err, op);
    else if (update && sqlite3_changes(s->db) == 0)
        r = bm_error_set(err, BM_ENOTFOUND, "state: %s: no such %s", op, res->kind);
    else
        r = BM_OK;
out:
    stmt_done(st);
    if (locked) leave(s);
    bm_buf_release(&doc);
    return r;
}

int bm_state_resource_create(bm_state *s, const bm_resource *res, bm_error *err)
{
    return write_resource(s, res, 0, err);
}

int bm_state_resource_update(bm_state *s, const bm_resource *res, bm_error *err)
{
    return write_resource(s, res, 1, err);
}

int bm_state_resource_get(bm_state *s, const char *kind, const char *name, bm_resource *out,
                          bm_error *err)
{
    char op[320];
    sqlite3_stmt *st = NULL;
    int locked = 0, row = 0;
    if (out) memset(out, 0, sizeof(*out));
    int r = check_key("reading", kind, name, op, sizeof(op), err);
    if (r == BM_OK && (!s || !out)) r = bm_error_set(err, BM_EINVAL, "state: %s: no state", op);
    if (r != BM_OK) goto out;
    enter(s);
    locked = 1;
    if ((r = stmt(s, ST_RES_GET, &st, err, op)) != BM_OK) goto out;
    int rc = bind_key(st, kind, name);
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    if ((r = step_row(s, st, &row, err, op)) != BM_OK) goto out;
    if (!row) {
        r = bm_error_set(err, BM_ENOTFOUND, "state: %s: no such %s", op, kind);
        goto out;
    }
    r = read_resource(s, st, out, err, op);
out:
    stmt_done(st);
    if (locked) leave(s);
    if (r != BM_OK && out) {
        bm_resource_release(out);
        memset(out, 0, sizeof(*out));
    }
    return r;
}

int bm_state_resource_delete(bm_state *s, const char *kind, const char *name, bm_error *err)
{
    char op[320];
    char arn[sizeof(((bm_resource *)0)->arn)];
    sqlite3_stmt *st = NULL;
    int locked = 0, in_tx = 0, row = 0;
    int r = check_key("deleting", kind, name, op, sizeof(op), err);
    if (r == BM_OK && !s) r = bm_error_set(err, BM_EINVAL, "state: %s: no state", op);
    if (r != BM_OK) goto out;
    enter(s);
    locked = 1;
    if ((r = tx_begin(s, err, op)) != BM_OK) goto out;
    in_tx = 1;
    /* the ARN, for the tags */
    if ((r = stmt(s, ST_RES_ARN, &st, err, op)) != BM_OK) goto out;
    int rc = bind_key(st, kind, name);
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    if ((r = step_row(s, st, &row, err, op)) != BM_OK) goto out;
    if (!row) {
        r = bm_error_set(err, BM_ENOTFOUND, "state: %s: no such %s", op, kind);
        goto out;
    }
    if ((r = column_text(s, st, 0, arn, sizeof(arn), err, op)) != BM_OK) goto out;
    stmt_done(st);
    /* the row */
    if ((r = stmt(s, ST_RES_DELETE, &st, err, op)) != BM_OK) goto out;
    if ((rc = bind_key(st, kind, name)) == SQLITE_OK) rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    stmt_done(st);
    /* its tags */
    if ((r = stmt(s, ST_TAG_DELETE_ARN, &st, err, op)) != BM_OK) goto out;
    if ((rc = sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC)) == SQLITE_OK) rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) r = db_fail(s->db, rc, err, op);
out:
    stmt_done(st);
    if (in_tx) r = tx_end(s, r, err, op);
    if (locked) leave(s);
    return r;
}

int bm_state_resource_list(bm_state *s, const char *kind, bm_resource **out, size_t *n,
                           bm_error *err)
{
    char op[320];
    sqlite3_stmt *st = NULL;
    bm_resource *v = NULL;
    size_t len = 0, cap = 0;
    int locked = 0, row = 0;
    snprintf(op, sizeof(op), "listing %.31s", kind ? kind : "resources");
    if (out) *out = NULL;
    if (n) *n = 0;
    int r = check_text(kind, sizeof(v->kind), 0, "the kind", err, op);
    if (r == BM_OK && (!s || !out || !n))
        r = bm_error_set(err, BM_EINVAL, "state: %s: no state or result", op);
    if (r != BM_OK) goto out;
    enter(s);
    locked = 1;
    if ((r = stmt(s, ST_RES_LIST, &st, err, op)) != BM_OK) goto out;
    int rc = sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    for (;;) {
        if ((r = step_row(s, st, &row, err, op)) != BM_OK || !row) break;
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            bm_resource *nv = bm_reallocarray(v, ncap, sizeof(*v));
            if (!nv) {
                r = bm_error_set(err, BM_ENOMEM, "state: %s: out of memory", op);
                break;
            }
            v = nv;
            cap = ncap;
        }
        r = read_resource(s, st, &v[len], err, op);
        if (r != BM_OK) break;
        len++;
    }
out:
    stmt_done(st);
    if (locked) leave(s);
    if (r != BM_OK) {
        bm_resources_free(v, len);
    } else {
        *out = v;
        *n = len;
    }
    return r;
}

int bm_state_resource_count_ref(bm_state *s, const char *kind, const char *ref, size_t *count,
                                bm_error *err)
{
    char op[320];
    sqlite3_stmt *st = NULL;
    int locked = 0, row = 0;
    snprintf(op, sizeof(op), "counting %.31s using '%.63s'", kind ? kind : "resources",
             ref ? ref : "");
    if (count) *count = 0;
    int r = check_text(kind, sizeof(((bm_resource *)0)->kind), 0, "the kind", err, op);
    if (r == BM_OK)
        r = check_text(ref, sizeof(((bm_resource *)0)->ref), 0, "the reference", err, op);
    if (r == BM_OK && (!s || !count))
        r = bm_error_set(err, BM_EINVAL, "state: %s: no state or result", op);
    if (r != BM_OK) goto out;
    enter(s);
    locked = 1;
    if ((r = stmt(s, ST_RES_COUNT_REF, &st, err, op)) != BM_OK) goto out;
    int rc = bind_key(st, kind, ref);
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    if ((r = step_row(s, st, &row, err, op)) != BM_OK) goto out;
    *count = row ? (size_t)sqlite3_column_int64(st, 0) : 0;
out:
    stmt_done(st);
    if (locked) leave(s);
    return r;
}

/* ================================================================================================
 * Executions
 * ============================================================================================== */

const char *const bm_exec_status_names[BM_EXEC_STATUS_COUNT] = {
    "Pending", "InProgress", "Completed", "CompletedWithViolations", "Failed", "Stopped"};

static int check_exec(const bm_exec_record *rec, const char *op, bm_error *err)
{
    if (!rec) return bm_error_set(err, BM_EINVAL, "state: %s: no execution", op);
    int r = check_text(rec->schedule, sizeof(rec->schedule), 0, "the schedule", err, op);
    if (r == BM_OK) r = check_text(rec->status, sizeof(rec->status), 0, "the status", err, op);
    if (r == BM_OK)
        r = check_text(rec->failure_reason, sizeof(rec->failure_reason), 1, "the failure reason",
                       err, op);
    if (r == BM_OK)
        r = check_text(rec->job_name, sizeof(rec->job_name), 1, "the job name", err, op);
    if (r == BM_OK)
        r = check_text(rec->endpoint, sizeof(rec->endpoint), 1, "the endpoint", err, op);
    if (r == BM_OK)
        r = check_text(rec->job_definition, sizeof(rec->job_definition), 1, "the job definition",
                       err, op);
    if (r == BM_OK)
        r = check_text(rec->output_uri, sizeof(rec->output_uri), 1, "the output URI", err, op);
    if (r != BM_OK) return r;
    for (size_t k = 0; k < BM_EXEC_STATUS_COUNT; k++)
        if (strcmp(rec->status, bm_exec_status_names[k]) == 0) return BM_OK;
    return bm_error_set(err, BM_EINVAL, "state: %s: unknown status '%s'", op, rec->status);
}

static int bind_exec(sqlite3_stmt *st, const bm_exec_record *rec)
{
    int rc = sqlite3_bind_text(st, 1, rec->schedule, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 2, rec->scheduled_time);
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 3, rec->created);
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 4, rec->modified);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 5, rec->status, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 6, rec->failure_reason, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 7, rec->job_name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 8, rec->endpoint, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 9, rec->job_definition, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 10, rec->output_uri, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 11, rec->violations);
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 12, rec->started);
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 13, rec->ended);
    return rc;
}

/* Fills out from a row of EXEC_COLUMNS. */
static int read_exec(bm_state *s, sqlite3_stmt *st, bm_exec_record *out, bm_error *err,
                     const char *op)
{
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(st, 0);
    int r = column_text(s, st, 1, out->schedule, sizeof(out->schedule), err, op);
    out->scheduled_time = sqlite3_column_int64(st, 2);
    out->created = sqlite3_column_double(st, 3);
    out->modified = sqlite3_column_double(st, 4);
    if (r == BM_OK) r = column_text(s, st, 5, out->status, sizeof(out->status), err, op);
    if (r == BM_OK)
        r = column_text(s, st, 6, out->failure_reason, sizeof(out->failure_reason), err, op);
    if (r == BM_OK) r = column_text(s, st, 7, out->job_name, sizeof(out->job_name), err, op);
    if (r == BM_OK) r = column_text(s, st, 8, out->endpoint, sizeof(out->endpoint), err, op);
    if (r == BM_OK)
        r = column_text(s, st, 9, out->job_definition, sizeof(out->job_definition), err, op);
    if (r == BM_OK) r = column_text(s, st, 10, out->output_uri, sizeof(out->output_uri), err, op);
    out->violations = sqlite3_column_int64(st, 11);
    out->started = sqlite3_column_double(st, 12);
    out->ended = sqlite3_column_double(st, 13);
    return r;
}

/* Every row of a prepared execution query into a growing array (*v, *len); on error *v holds
 * what was read so far, for the caller to free. */
static int read_execs(bm_state *s, sqlite3_stmt *st, bm_exec_record **v, size_t *len, bm_error *err,
                      const char *op)
{
    size_t cap = 0;
    int row = 0, r;
    for (;;) {
        if ((r = step_row(s, st, &row, err, op)) != BM_OK || !row) break;
        if (*len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            bm_exec_record *nv = bm_reallocarray(*v, ncap, sizeof(**v));
            if (!nv) {
                r = bm_error_set(err, BM_ENOMEM, "state: %s: out of memory", op);
                break;
            }
            *v = nv;
            cap = ncap;
        }
        if ((r = read_exec(s, st, &(*v)[*len], err, op)) != BM_OK) break;
        (*len)++;
    }
    return r;
}

int bm_state_exec_insert(bm_state *s, bm_exec_record *rec, bm_error *err)
{
    char op[160];
    sqlite3_stmt *st = NULL;
    int locked = 0;
    snprintf(op, sizeof(op), "recording an execution of '%.63s'", rec ? rec->schedule : "");
    int r = check_exec(rec, op, err);
    if (r == BM_OK && !s) r = bm_error_set(err, BM_EINVAL, "state: %s: no state", op);
    if (r != BM_OK) goto out;
    enter(s);
    locked = 1;
    if ((r = stmt(s, ST_EXEC_INSERT, &st, err, op)) != BM_OK) goto out;
    int rc = bind_exec(st, rec);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        rec->id = sqlite3_last_insert_rowid(s->db);
        r = BM_OK;
    } else if (is_unique_violation(rc)) {
        r = bm_error_set(err, BM_EEXISTS, "state: %s: the tick %lld already has an execution", op,
                         (long long)rec->scheduled_time);
    } else {
        r = db_fail(s->db, rc, err, op);
    }
out:
    stmt_done(st);
    if (locked) leave(s);
    return r;
}

int bm_state_exec_update(bm_state *s, const bm_exec_record *rec, bm_error *err)
{
    char op[160];
    sqlite3_stmt *st = NULL;
    int locked = 0;
    snprintf(op, sizeof(op), "updating execution %lld", rec ? (long long)rec->id : 0LL);
    int r = check_exec(rec, op, err);
    if (r == BM_OK && !s) r = bm_error_set(err, BM_EINVAL, "state: %s: no state", op);
    if (r != BM_OK) goto out;
    enter(s);
    locked = 1;
    if ((r = stmt(s, ST_EXEC_UPDATE, &st, err, op)) != BM_OK) goto out;
    int rc = bind_exec(st, rec);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 14, rec->id);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        r = db_fail(s->db, rc, err, op);
    else if (sqlite3_changes(s->db) == 0)
        r = bm_error_set(err, BM_ENOTFOUND, "state: %s: no such execution", op);
    else
        r = BM_OK;
out:
    stmt_done(st);
    if (locked) leave(s);
    return r;
}

/* Runs one of the execution queries whose first parameter is text (or num when text is NULL),
 * with num2 as ?2 for ST_EXEC_AT, and returns its first row in out; BM_ENOTFOUND when there is
 * none. */
static int exec_one(bm_state *s, int id, int64_t num, const char *text, int64_t num2,
                    bm_exec_record *out, bm_error *err, const char *op)
{
    sqlite3_stmt *st = NULL;
    int row = 0;
    memset(out, 0, sizeof(*out));
    enter(s);
    int r = stmt(s, id, &st, err, op);
    if (r != BM_OK) goto out;
    int rc =
        text ? sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC) : sqlite3_bind_int64(st, 1, num);
    if (rc == SQLITE_OK && id == ST_EXEC_AT) rc = sqlite3_bind_int64(st, 2, num2);
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    if ((r = step_row(s, st, &row, err, op)) != BM_OK) goto out;
    if (!row) {
        r = bm_error_set(err, BM_ENOTFOUND, "state: %s: no such execution", op);
        goto out;
    }
    r = read_exec(s, st, out, err, op);
out:
    stmt_done(st);
    leave(s);
    if (r != BM_OK) memset(out, 0, sizeof(*out));
    return r;
}

int bm_state_exec_get(bm_state *s, int64_t id, bm_exec_record *out, bm_error *err)
{
    char op[64];
    snprintf(op, sizeof(op), "reading execution %lld", (long long)id);
    if (!s || !out) return bm_error_set(err, BM_EINVAL, "state: %s: no state or result", op);
    return exec_one(s, ST_EXEC_GET, id, NULL, 0, out, err, op);
}

int bm_state_exec_latest(bm_state *s, const char *schedule, bm_exec_record *out, bm_error *err)
{
    char op[128];
    snprintf(op, sizeof(op), "reading the latest execution of '%.63s'", schedule ? schedule : "");
    if (out) memset(out, 0, sizeof(*out));
    int r = check_text(schedule, sizeof(out->schedule), 0, "the schedule", err, op);
    if (r == BM_OK && (!s || !out))
        r = bm_error_set(err, BM_EINVAL, "state: %s: no state or result", op);
    if (r != BM_OK) return r;
    return exec_one(s, ST_EXEC_LATEST, 0, schedule, 0, out, err, op);
}

int bm_state_exec_at(bm_state *s, const char *schedule, int64_t scheduled_time, bm_exec_record *out,
                     bm_error *err)
{
    char op[160];
    snprintf(op, sizeof(op), "reading the execution of '%.63s' at %lld", schedule ? schedule : "",
             (long long)scheduled_time);
    if (out) memset(out, 0, sizeof(*out));
    int r = check_text(schedule, sizeof(out->schedule), 0, "the schedule", err, op);
    if (r == BM_OK && (!s || !out))
        r = bm_error_set(err, BM_EINVAL, "state: %s: no state or result", op);
    if (r != BM_OK) return r;
    return exec_one(s, ST_EXEC_AT, 0, schedule, scheduled_time, out, err, op);
}

int bm_state_exec_by_job(bm_state *s, const char *job_name, bm_exec_record *out, bm_error *err)
{
    char op[128];
    snprintf(op, sizeof(op), "finding the execution of job '%.63s'", job_name ? job_name : "");
    if (out) memset(out, 0, sizeof(*out));
    int r = check_text(job_name, sizeof(out->job_name), 1, "the job name", err, op);
    if (r == BM_OK && (!s || !out))
        r = bm_error_set(err, BM_EINVAL, "state: %s: no state or result", op);
    if (r != BM_OK) return r;
    return exec_one(s, ST_EXEC_BY_JOB, 0, job_name, 0, out, err, op);
}

/* The rows of a list statement (ST_EXEC_LIST_*, ST_EXEC_RECENT): ?1 the schedule and ?2 the
 * status when given, ?3 the limit (-1: none), ?4 `before` for ST_EXEC_RECENT. */
static int list_execs(bm_state *s, int id, const char *schedule, const char *status,
                      sqlite3_int64 limit, int64_t before, bm_exec_record **out, size_t *n,
                      bm_error *err, const char *op)
{
    sqlite3_stmt *st = NULL;
    bm_exec_record *v = NULL;
    size_t len = 0;
    enter(s);
    int r = stmt(s, id, &st, err, op);
    if (r != BM_OK) goto out;
    int rc = SQLITE_OK;
    if (schedule) rc = sqlite3_bind_text(st, 1, schedule, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && status) rc = sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 3, limit);
    if (rc == SQLITE_OK && id == ST_EXEC_RECENT) rc = sqlite3_bind_int64(st, 4, before);
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    r = read_execs(s, st, &v, &len, err, op);
out:
    stmt_done(st);
    leave(s);
    if (r != BM_OK) {
        bm_free(v);
    } else {
        *out = v;
        *n = len;
    }
    return r;
}

int bm_state_exec_list(bm_state *s, const char *schedule, const char *status, size_t max,
                       bm_exec_record **out, size_t *n, bm_error *err)
{
    char op[160];
    int r = BM_OK;
    snprintf(op, sizeof(op), "listing executions%s%.63s", schedule ? " of " : "",
             schedule ? schedule : "");
    if (out) *out = NULL;
    if (n) *n = 0;
    if (schedule)
        r = check_text(schedule, sizeof(((bm_exec_record *)0)->schedule), 0, "the schedule", err,
                       op);
    if (r == BM_OK && status)
        r = check_text(status, sizeof(((bm_exec_record *)0)->status), 0, "the status", err, op);
    if (r == BM_OK && (!s || !out || !n))
        r = bm_error_set(err, BM_EINVAL, "state: %s: no state or result", op);
    if (r != BM_OK) return r;
    int id = schedule ? (status ? ST_EXEC_LIST_BOTH : ST_EXEC_LIST_SCHEDULE)
                      : (status ? ST_EXEC_LIST_STATUS : ST_EXEC_LIST_ALL);
    return list_execs(s, id, schedule, status, max && max <= INT64_MAX ? (sqlite3_int64)max : -1, 0,
                      out, n, err, op);
}

int bm_state_exec_recent(bm_state *s, const char *schedule, int64_t before, size_t max,
                         bm_exec_record **out, size_t *n, bm_error *err)
{
    char op[160];
    snprintf(op, sizeof(op), "listing the recent executions of %.63s", schedule ? schedule : "");
    if (out) *out = NULL;
    if (n) *n = 0;
    int r =
        check_text(schedule, sizeof(((bm_exec_record *)0)->schedule), 0, "the schedule", err, op);
    if (r == BM_OK && (!s || !out || !n || !max))
        r = bm_error_set(err, BM_EINVAL, "state: %s: no state, result or maximum", op);
    if (r != BM_OK) return r;
    return list_execs(s, ST_EXEC_RECENT, schedule, NULL,
                      max <= INT64_MAX ? (sqlite3_int64)max : INT64_MAX, before, out, n, err, op);
}

int bm_state_exec_stats(bm_state *s, double scale, bm_exec_stats **out, size_t *n, bm_error *err)
{
    const char *op = "summing up the executions";
    sqlite3_stmt *st = NULL;
    bm_exec_stats *v = NULL;
    size_t len = 0, cap = 0;
    int locked = 0, row = 0, r = BM_OK;
    if (out) *out = NULL;
    if (n) *n = 0;
    if (!s || !out || !n || !(scale > 0))
        return bm_error_set(err, BM_EINVAL, "state: %s: no state, result or scale", op);
    enter(s);
    locked = 1;
    if ((r = stmt(s, ST_EXEC_STATS, &st, err, op)) != BM_OK) goto out;
    int rc = sqlite3_bind_double(st, 1, scale);
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    for (;;) {
        if ((r = step_row(s, st, &row, err, op)) != BM_OK || !row) break;
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            bm_exec_stats *nv = bm_reallocarray(v, ncap, sizeof(*v));
            if (!nv) {
                r = bm_error_set(err, BM_ENOMEM, "state: %s: out of memory", op);
                break;
            }
            v = nv;
            cap = ncap;
        }
        /* columns: name, t0, t1, tf, six counts, duration sum and count, id0, endpoint, id */
        bm_exec_stats *x = &v[len];
        memset(x, 0, sizeof(*x));
        if ((r = column_text(s, st, 0, x->schedule, sizeof(x->schedule), err, op)) != BM_OK) break;
        for (int q = 0; q < BM_EXEC_STATUS_COUNT; q++)
            x->by_status[q] = (uint64_t)sqlite3_column_int64(st, 4 + q);
        x->duration_sum = sqlite3_column_double(st, 10);
        x->duration_count = (uint64_t)sqlite3_column_int64(st, 11);
        if ((r = column_text(s, st, 13, x->endpoint, sizeof(x->endpoint), err, op)) != BM_OK) break;
        x->latest_finished = sqlite3_column_int64(st, 14); /* NULL reads as 0 */
        len++;
    }
out:
    stmt_done(st);
    if (locked) leave(s);
    if (r != BM_OK) {
        bm_free(v);
    } else {
        *out = v;
        *n = len;
    }
    return r;
}

/* Binds the filter's values in the order page_where wrote their placeholders. */
static int page_bind(sqlite3_stmt *st, const bm_exec_filter *f)
{
    int k = 1, rc = SQLITE_OK;
    const char *texts[] = {f->schedule, f->status, f->endpoint, f->job_definition};
    const double *nums[] = {f->scheduled_before, f->scheduled_after, f->created_before,
                            f->created_after,    f->modified_before, f->modified_after};
    for (size_t q = 0; rc == SQLITE_OK && q < 4; q++)
        if (texts[q]) rc = sqlite3_bind_text(st, k++, texts[q], -1, SQLITE_STATIC);
    for (size_t q = 0; rc == SQLITE_OK && q < 6; q++)
        if (nums[q]) rc = sqlite3_bind_double(st, k++, *nums[q]);
    return rc;
}

/* The WHERE clause of a filter, its placeholders numbered as page_bind binds them. */
static int page_where(bm_buf *b, const bm_exec_filter *f)
{
    static const char *const text_terms[] = {" AND schedule = ?", " AND status = ?",
                                             " AND endpoint = ? COLLATE NOCASE",
                                             " AND job_definition = ? COLLATE NOCASE"};
    static const char *const num_terms[] = {" AND scheduled_time < ?", " AND scheduled_time > ?",
                                            " AND created < ?",        " AND created > ?",
                                            " AND modified < ?",       " AND modified > ?"};
    const char *texts[] = {f->schedule, f->status, f->endpoint, f->job_definition};
    const double *nums[] = {f->scheduled_before, f->scheduled_after, f->created_before,
                            f->created_after,    f->modified_before, f->modified_after};
    int r = bm_buf_puts(b, " FROM executions WHERE 1");
    for (size_t q = 0; r == BM_OK && q < 4; q++)
        if (texts[q]) r = bm_buf_puts(b, text_terms[q]);
    for (size_t q = 0; r == BM_OK && q < 6; q++)
        if (nums[q]) r = bm_buf_puts(b, num_terms[q]);
    return r;
}

int bm_state_exec_page(bm_state *s, const bm_exec_filter *f, bm_exec_record **out, size_t *n,
                       size_t *total, bm_error *err)
{
    const char *op = "listing a page of executions";
    sqlite3_stmt *cnt = NULL, *st = NULL;
    bm_exec_record *v = NULL;
    size_t len = 0;
    int locked = 0, row = 0, r = BM_OK, rc;
    bm_buf q, c;
    bm_buf_init(&q, 4096);
    bm_buf_init(&c, 4096);
    if (out) *out = NULL;
    if (n) *n = 0;
    if (total) *total = 0;
    if (!s || !f || !out || !n || !total || f->sort < BM_EXEC_BY_CREATED ||
        f->sort > BM_EXEC_BY_STATUS) {
        r = bm_error_set(err, BM_EINVAL, "state: %s: no state, filter or result", op);
        goto out;
    }
    const char *dir = f->descending ? " DESC" : "";
    r = bm_buf_puts(&c, "SELECT count(*)");
    if (r == BM_OK) r = page_where(&c, f);
    if (r == BM_OK) r = bm_buf_puts(&q, "SELECT " EXEC_COLUMNS);
    if (r == BM_OK) r = page_where(&q, f);
    if (r == BM_OK && f->sort == BM_EXEC_BY_STATUS)
        r = bm_buf_printf(&q, " ORDER BY status COLLATE NOCASE%s, created%s", dir, dir);
    else if (r == BM_OK)
        r = bm_buf_printf(&q, " ORDER BY %s%s, schedule COLLATE BINARY%s",
                          f->sort == BM_EXEC_BY_CREATED ? "created" : "scheduled_time", dir, dir);
    if (r == BM_OK) r = bm_buf_puts(&q, ", scheduled_time, id LIMIT ? OFFSET ?");
    if (r != BM_OK) {
        r = bm_error_set(err, r, "state: %s: out of memory", op);
        goto out;
    }
    enter(s);
    locked = 1;
    rc = sqlite3_prepare_v2(s->db, c.data, -1, &cnt, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(s->db, q.data, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = page_bind(cnt, f);
    if (rc == SQLITE_OK) rc = page_bind(st, f);
    int nb = sqlite3_bind_parameter_count(st);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, nb - 1, f->limit > INT64_MAX ? -1 : (sqlite3_int64)f->limit);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, nb,
                                f->offset > INT64_MAX ? INT64_MAX : (sqlite3_int64)f->offset);
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    if ((r = step_row(s, cnt, &row, err, op)) != BM_OK) goto out;
    *total = row ? (size_t)sqlite3_column_int64(cnt, 0) : 0;
    r = read_execs(s, st, &v, &len, err, op);
out:
    sqlite3_finalize(cnt);
    sqlite3_finalize(st);
    if (locked) leave(s);
    bm_buf_release(&q);
    bm_buf_release(&c);
    if (r != BM_OK) {
        bm_free(v);
        if (total) *total = 0;
    } else {
        *out = v;
        *n = len;
    }
    return r;
}

int bm_state_exec_fail_unfinished(bm_state *s, const char *reason, double now, size_t *count,
                                  bm_error *err)
{
    const char *op = "failing unfinished executions";
    sqlite3_stmt *st = NULL;
    int locked = 0;
    if (count) *count = 0;
    int r = check_text(reason, sizeof(((bm_exec_record *)0)->failure_reason), 1,
                       "the failure reason", err, op);
    if (r == BM_OK && (!s || !count))
        r = bm_error_set(err, BM_EINVAL, "state: %s: no state or result", op);
    if (r != BM_OK) goto out;
    enter(s);
    locked = 1;
    if ((r = stmt(s, ST_EXEC_FAIL_UNFINISHED, &st, err, op)) != BM_OK) goto out;
    int rc = sqlite3_bind_text(st, 1, reason, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 2, now);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    *count = (size_t)sqlite3_changes(s->db);
out:
    stmt_done(st);
    if (locked) leave(s);
    return r;
}

/* ================================================================================================
 * Tags
 * ============================================================================================== */

/* Characters in a UTF-8 string (jansson guarantees valid UTF-8). */
static size_t utf8_chars(const char *p, size_t n)
{
    size_t c = 0;
    for (size_t k = 0; k < n; k++)
        c += ((unsigned char)p[k] & 0xC0) != 0x80;
    return c;
}

/* BM_OK when v is a JSON string of min..max characters without NUL bytes. */
static int check_tag_text(const json_t *v, size_t min, size_t max, const char *what, size_t index,
                          bm_error *err, const char *op)
{
    if (!json_is_string(v))
        return bm_error_set(err, BM_EINVAL, "state: %s: %s of tag %zu is not a string", op, what,
                            index);
    const char *p = json_string_value(v);
    size_t n = json_string_length(v), chars = utf8_chars(p, n);
    if (strlen(p) != n)
        return bm_error_set(err, BM_EINVAL, "state: %s: %s of tag %zu contains a NUL character", op,
                            what, index);
    if (chars < min || chars > max)
        return bm_error_set(err, BM_EINVAL,
                            "state: %s: %s of tag %zu must have %zu to %zu characters", op, what,
                            index, min, max);
    return BM_OK;
}

static int check_arn(const char *verb, const char *arn, char *op, size_t oplen, bm_error *err)
{
    snprintf(op, oplen, "%s tags of '%.255s'", verb, arn ? arn : "");
    return check_text(arn, sizeof(((bm_resource *)0)->arn), 0, "the ARN", err, op);
}

int bm_state_tags_add(bm_state *s, const char *arn, json_t *tags, bm_error *err)
{
    char op[320];
    sqlite3_stmt *st = NULL;
    int locked = 0, in_tx = 0, row = 0;
    int r = check_arn("adding", arn, op, sizeof(op), err);
    if (r == BM_OK && !s) r = bm_error_set(err, BM_EINVAL, "state: %s: no state", op);
    if (r == BM_OK && !json_is_array(tags))
        r = bm_error_set(err, BM_EINVAL, "state: %s: the tags are not a JSON array", op);
    if (r == BM_OK && json_array_size(tags) > TAGS_MAX)
        r = bm_error_set(err, BM_ELIMIT, "state: %s: %zu tags given, at most %d are allowed", op,
                         json_array_size(tags), TAGS_MAX);
    for (size_t k = 0; r == BM_OK && k < json_array_size(tags); k++) {
        json_t *t = json_array_get(tags, k);
        if (!json_is_object(t))
            r = bm_error_set(err, BM_EINVAL, "state: %s: tag %zu is not a JSON object", op, k);
        if (r == BM_OK)
            r = check_tag_text(json_object_get(t, "Key"), 1, TAG_KEY_MAX, "the Key", k, err, op);
        if (r == BM_OK)
            r = check_tag_text(json_object_get(t, "Value"), 0, TAG_VALUE_MAX, "the Value", k, err,
                               op);
    }
    if (r != BM_OK) goto out;
    enter(s);
    locked = 1;
    if ((r = tx_begin(s, err, op)) != BM_OK) goto out;
    in_tx = 1;
    if ((r = stmt(s, ST_TAG_UPSERT, &st, err, op)) != BM_OK) goto out;
    for (size_t k = 0; k < json_array_size(tags); k++) {
        json_t *key = json_object_get(json_array_get(tags, k), "Key");
        json_t *value = json_object_get(json_array_get(tags, k), "Value");
        int rc = sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(st, 2, json_string_value(key), (int)json_string_length(key),
                                   SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(st, 3, json_string_value(value), (int)json_string_length(value),
                                   SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = sqlite3_step(st);
        if (rc != SQLITE_DONE) {
            r = db_fail(s->db, rc, err, op);
            goto out;
        }
        stmt_done(st);
    }
    st = NULL;
    if ((r = stmt(s, ST_TAG_COUNT, &st, err, op)) != BM_OK) goto out;
    int rc = sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    if ((r = step_row(s, st, &row, err, op)) != BM_OK) goto out;
    int64_t total = row ? sqlite3_column_int64(st, 0) : 0;
    if (total > TAGS_MAX)
        r = bm_error_set(err, BM_ELIMIT,
                         "state: %s: the resource would have %lld tags, at most %d "
                         "are allowed",
                         op, (long long)total, TAGS_MAX);
out:
    stmt_done(st);
    if (in_tx) r = tx_end(s, r, err, op);
    if (locked) leave(s);
    return r;
}

int bm_state_tags_delete(bm_state *s, const char *arn, json_t *keys, bm_error *err)
{
    char op[320];
    sqlite3_stmt *st = NULL;
    int locked = 0, in_tx = 0;
    int r = check_arn("deleting", arn, op, sizeof(op), err);
    if (r == BM_OK && !s) r = bm_error_set(err, BM_EINVAL, "state: %s: no state", op);
    if (r == BM_OK && !json_is_array(keys))
        r = bm_error_set(err, BM_EINVAL, "state: %s: the keys are not a JSON array", op);
    if (r == BM_OK && json_array_size(keys) > TAGS_MAX)
        r = bm_error_set(err, BM_ELIMIT, "state: %s: %zu keys given, at most %d are allowed", op,
                         json_array_size(keys), TAGS_MAX);
    for (size_t k = 0; r == BM_OK && k < json_array_size(keys); k++)
        r = check_tag_text(json_array_get(keys, k), 1, TAG_KEY_MAX, "the Key", k, err, op);
    if (r != BM_OK) goto out;
    enter(s);
    locked = 1;
    if ((r = tx_begin(s, err, op)) != BM_OK) goto out;
    in_tx = 1;
    if ((r = stmt(s, ST_TAG_DELETE, &st, err, op)) != BM_OK) goto out;
    for (size_t k = 0; k < json_array_size(keys); k++) {
        json_t *key = json_array_get(keys, k);
        int rc = sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(st, 2, json_string_value(key), (int)json_string_length(key),
                                   SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = sqlite3_step(st);
        if (rc != SQLITE_DONE) {
            r = db_fail(s->db, rc, err, op);
            goto out;
        }
        stmt_done(st);
    }
out:
    stmt_done(st);
    if (in_tx) r = tx_end(s, r, err, op);
    if (locked) leave(s);
    return r;
}

int bm_state_tags_list(bm_state *s, const char *arn, json_t **out, bm_error *err)
{
    char op[320];
    sqlite3_stmt *st = NULL;
    json_t *list = NULL;
    int locked = 0, row = 0;
    if (out) *out = NULL;
    int r = check_arn("listing", arn, op, sizeof(op), err);
    if (r == BM_OK && (!s || !out))
        r = bm_error_set(err, BM_EINVAL, "state: %s: no state or result", op);
    if (r != BM_OK) goto out;
    if (!(list = json_array())) {
        r = bm_error_set(err, BM_ENOMEM, "state: %s: out of memory", op);
        goto out;
    }
    enter(s);
    locked = 1;
    if ((r = stmt(s, ST_TAG_LIST, &st, err, op)) != BM_OK) goto out;
    int rc = sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        r = db_fail(s->db, rc, err, op);
        goto out;
    }
    for (;;) {
        if ((r = step_row(s, st, &row, err, op)) != BM_OK || !row) break;
        const char *key = (const char *)sqlite3_column_text(st, 0);
        size_t klen = (size_t)sqlite3_column_bytes(st, 0);
        const char *value = (const char *)sqlite3_column_text(st, 1);
        size_t vlen = (size_t)sqlite3_column_bytes(st, 1);
        json_t *tag = NULL;
        if (key && value) tag = json_pack("{s:s%,s:s%}", "Key", key, klen, "Value", value, vlen);
        if (!tag || json_array_append_new(list, tag) != 0) {
            r = bm_error_set(err, BM_ENOMEM, "state: %s: out of memory", op);
            break;
        }
    }
out:
    stmt_done(st);
    if (locked) leave(s);
    if (r != BM_OK)
        json_decref(list);
    else
        *out = list;
    return r;
}
