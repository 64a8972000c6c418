/* Unit tests for the whole-file reader (lib/util/file.c): bounds, file kinds, errors that name
 * the file, nothing half-appended. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "biasmon/file.h"

static char dir[] = "/tmp/test_file_XXXXXX";

static void put(const char *name, const char *text, size_t n)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void test_reads_whole_file(void **state)
{
    (void)state;
    put("a", "hello\0world", 11);
    char p[128];
    snprintf(p, sizeof(p), "%s/a", dir);
    bm_buf b;
    bm_buf_init(&b, 1 << 20);
    bm_error e;
    assert_int_equal(bm_buf_puts(&b, ">"), BM_OK);
    assert_int_equal(bm_file_read(p, 11, &b, &e), BM_OK); /* exactly max bytes is allowed */
    assert_int_equal(b.len, 12);
    assert_memory_equal(b.data, ">hello\0world", 12);
    assert_int_equal(b.data[12], 0);
    bm_buf_release(&b);
}

/* bm_buf_reserve: one allocation that later appends fill without moving, within max */
static void test_buf_reserve(void **state)
{
    (void)state;
    bm_buf b;
    bm_buf_init(&b, 1000);
    assert_int_equal(bm_buf_puts(&b, "ab"), BM_OK);
    assert_int_equal(bm_buf_reserve(&b, 998), BM_OK);
    assert_true(b.cap >= 1001);
    const char *at = b.data;
    char fill[998];
    memset(fill, 'x', sizeof(fill));
    assert_int_equal(bm_buf_append(&b, fill, sizeof(fill)), BM_OK);
    assert_ptr_equal(b.data, at); /* no reallocation */
    assert_int_equal(b.len, 1000);
    assert_memory_equal(b.data, "abxx", 4);
    assert_int_equal(b.data[1000], 0);
    assert_int_equal(bm_buf_reserve(&b, 0), BM_OK);
    assert_int_equal(bm_buf_reserve(&b, 1), BM_ELIMIT); /* past max: nothing changes */
    assert_int_equal(b.len, 1000);
    bm_buf_release(&b);
    bm_buf_init(&b, 10);
    assert_int_equal(bm_buf_reserve(&b, (size_t)-1), BM_ELIMIT);
    assert_null(b.data);
    bm_buf_release(&b);
}

static void test_too_large(void **state)
{
    (void)state;
    static char big[3u << 20];
    memset(big, 's', sizeof(big));
    memcpy(big, "secret", 6);
    put("big", big, sizeof(big));
    char p[128];
    snprintf(p, sizeof(p), "%s/big", dir);
    bm_buf b;
    bm_buf_init(&b, 16u << 20);
    bm_error e;
    assert_int_equal(bm_buf_puts(&b, "kept"), BM_OK);
    assert_int_equal(bm_file_read(p, 2u << 20, &b, &e), BM_ELIMIT);
    assert_string_equal(e.file, p);
    assert_non_null(strstr(e.msg, "larger than 2 MiB"));
    assert_null(strstr(e.msg, "secret")); /* never the content */
    assert_int_equal(b.len, 4);           /* nothing half-appended */
    assert_string_equal(b.data, "kept");
    /* the buffer's own bound is a limit too */
    bm_buf small;
    bm_buf_init(&small, 1000);
    assert_int_equal(bm_file_read(p, 16u << 20, &small, &e), BM_ELIMIT);
    assert_int_equal(small.len, 0);
    assert_int_equal(bm_file_read(p, 1000, &small, &e), BM_ELIMIT);
    assert_non_null(strstr(e.msg, "larger than 1000 bytes"));
    bm_buf_release(&small);
    bm_buf_release(&b);
}

static void test_missing_and_special(void **state)
{
    (void)state;
    char p[128];
    bm_buf b;
    bm_buf_init(&b, 1 << 20);
    bm_error e;
    snprintf(p, sizeof(p), "%s/none", dir);
    assert_int_equal(bm_file_read(p, 100, &b, &e), BM_ENOTFOUND);
    assert_string_equal(e.file, p);
    /* a directory and a FIFO are refused at once (the FIFO has no writer: a read would wait) */
    assert_int_equal(bm_file_read(dir, 100, &b, &e), BM_EIO);
    assert_non_null(strstr(e.msg, "a directory"));
    snprintf(p, sizeof(p), "%s/fifo", dir);
    assert_int_equal(mkfifo(p, 0600), 0);
    alarm(30);
    assert_int_equal(bm_file_read(p, 100, &b, &e), BM_EIO);
    alarm(0);
    assert_non_null(strstr(e.msg, "a FIFO"));
    assert_string_equal(e.file, p);
    unlink(p);
    assert_int_equal(b.len, 0);
    bm_buf_release(&b);
}

static void test_empty(void **state)
{
    (void)state;
    put("empty", "", 0);
    char p[128];
    snprintf(p, sizeof(p), "%s/empty", dir);
    bm_buf b;
    bm_buf_init(&b, 10);
    bm_error e;
    assert_int_equal(bm_file_read(p, 0, &b, &e), BM_OK);
    assert_int_equal(b.len, 0);
    bm_buf_release(&b);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"a", "big", "empty"};
    for (size_t k = 0; k < 3; k++) {
        char p[128];
        snprintf(p, sizeof(p), "%s/%s", dir, names[k]);
        unlink(p);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_whole_file),
        cmocka_unit_test(test_buf_reserve),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_missing_and_special),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
