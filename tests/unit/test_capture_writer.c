/* Unit tests for the data capture writer (lib/capture/writer.c): records reach files named as
 * SageMaker names them, one file per prefix, whole lines only; a full queue drops and counts
 * instead of waiting; a destination that cannot be written counts the records as failed (and
 * leaves no file); allocation failures are counted, never fatal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "biasmon/capture_writer.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/bm-test-capw-XXXXXX");
    assert_non_null(mkdtemp(dir));
    alarm(60);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    alarm(0);
    return 0;
}

/* The names of the files in path (at most 16), and how many. */
static int list(const char *path, char names[16][256])
{
    DIR *d = opendir(path);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 16)
        if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
            snprintf(names[n++], 256, "%s", e->d_name);
    closedir(d);
    return n;
}

static void test_file_name(void **state)
{
    (void)state;
    unsigned char u[16];
    for (int k = 0; k < 16; k++)
        u[k] = (unsigned char)(k * 17);
    char name[64];
    /* 2024-01-19T19:27:57.062Z */
    bm_capture_file_name(1705692477062LL, u, name, sizeof(name));
    assert_string_equal(name, "27-57-062-00112233-4455-6677-8899-aabbccddeeff.jsonl");
    char id[40];
    assert_int_equal(bm_uuid4(id, sizeof(id)), BM_OK);
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[14], '4');
    assert_non_null(strchr("89ab", id[19]));
}

static void test_records_reach_files(void **state)
{
    (void)state;
    bm_error err;
    bm_error_clear(&err);
    bm_capture_writer *w = bm_capture_writer_new(NULL, &err);
    assert_non_null(w);
    char a[128], b[128];
    snprintf(a, sizeof(a), "%s/ep/AllTraffic/2024/01/19/19", dir);
    snprintf(b, sizeof(b), "%s/ep/AllTraffic/2024/01/19/20", dir);
    assert_int_equal(bm_capture_writer_put(w, a, 1705692477062LL, "{\"n\":1}", 7), BM_OK);
    assert_int_equal(bm_capture_writer_put(w, a, 1705692478000LL, "{\"n\":2}", 7), BM_OK);
    assert_int_equal(bm_capture_writer_put(w, b, 1705696000000LL, "{\"n\":3}", 7), BM_OK);
    bm_capture_writer_flush(w);
    bm_capture_stats st;
    bm_capture_writer_stats(w, &st);
    assert_int_equal(st.written, 3);
    assert_int_equal(st.files, 2);
    assert_int_equal(st.queued_bytes, 0);
    char names[16][256];
    assert_int_equal(list(a, names), 1);
    assert_memory_equal(names[0], "27-57-062-", 10); /* the first record's time */
    char path[400], text[64] = "";
    snprintf(path, sizeof(path), "%s/%s", a, names[0]);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = 0;
    assert_string_equal(text, "{\"n\":1}\n{\"n\":2}\n");
    assert_int_equal(list(b, names), 1);
    bm_capture_writer_free(w);
}

static void test_full_queue_drops(void **state)
{
    (void)state;
    bm_error err;
    bm_error_clear(&err);
    /* a long flush period: nothing leaves the memory budget during the test */
    bm_capture_writer_opts o = {.max_queued_bytes = 100, .flush_s = 3600};
    bm_capture_writer *w = bm_capture_writer_new(&o, &err);
    assert_non_null(w);
    char p[128], rec[40];
    snprintf(p, sizeof(p), "%s/full", dir);
    memset(rec, 'x', sizeof(rec));
    int ok = 0, dropped = 0;
    for (int k = 0; k < 10; k++) {
        int rc = bm_capture_writer_put(w, p, 0, rec, 39); /* 40 bytes with its newline */
        if (rc == BM_OK)
            ok++;
        else {
            assert_int_equal(rc, BM_ELIMIT);
            dropped++;
        }
    }
    assert_int_equal(ok, 2);
    assert_int_equal(dropped, 8);
    bm_capture_stats st;
    bm_capture_writer_stats(w, &st);
    assert_int_equal(st.dropped_full, 8);
    bm_capture_writer_free(w); /* writes out the two */
}

static void test_unwritable_destination(void **state)
{
    (void)state;
    char blocker[128], p[160];
    snprintf(blocker, sizeof(blocker), "%s/file", dir);
    FILE *f = fopen(blocker, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/below/hour", blocker); /* a folder under a regular file */
    bm_error err;
    bm_error_clear(&err);
    bm_capture_writer *w = bm_capture_writer_new(NULL, &err);
    assert_non_null(w);
    assert_int_equal(bm_capture_writer_put(w, p, 0, "{}", 2), BM_OK);
    assert_int_equal(bm_capture_writer_put(w, p, 0, "{}", 2), BM_OK);
    bm_capture_writer_flush(w);
    bm_capture_stats st;
    bm_capture_writer_stats(w, &st);
    assert_int_equal(st.failed, 2);
    assert_int_equal(st.written, 0);
    assert_int_equal(st.queued_bytes, 0);
    bm_capture_writer_free(w);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof(p), "%s/alloc", dir);
    for (long n = 1; n <= 40; n++) {
        bm_error err;
        bm_error_clear(&err);
        bm_alloc_fail_after(n);
        bm_capture_writer *w = bm_capture_writer_new(NULL, &err);
        int rc = w ? bm_capture_writer_put(w, p, 0, "{}", 2) : BM_ENOMEM;
        if (w) bm_capture_writer_flush(w);
        bm_alloc_fail_after(0);
        if (w) {
            bm_capture_stats st;
            bm_capture_writer_stats(w, &st);
            /* every record is accounted for, written or counted as lost */
            assert_int_equal(st.written + st.failed + st.dropped_full, 1);
            assert_true(rc == BM_OK || rc == BM_ENOMEM);
            bm_capture_writer_free(w);
        } else
            assert_int_equal(err.code, BM_ENOMEM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_name),
        cmocka_unit_test_setup_teardown(test_records_reach_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_queue_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_destination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
