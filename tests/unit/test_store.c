/* Unit tests for storage by URI (lib/store/store.c) and atomic writes (lib/report/jsonw.c): only
 * regular files are read (a FIFO, device or directory is refused at once, never waited on), and an
 * atomic write never replaces a symbolic link, device node or directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "biasmon/report.h"
#include "biasmon/store.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/bm-test-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    alarm(60); /* a read that waits on a FIFO fails the test instead of hanging it */
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

static void at(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static void put(const char *name, const char *text)
{
    char p[256];
    at(p, sizeof(p), name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void expect_content(const char *name, const char *want)
{
    char p[256], got[256] = "";
    at(p, sizeof(p), name);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    size_t n = fread(got, 1, sizeof(got) - 1, f);
    got[n] = 0;
    fclose(f);
    assert_string_equal(got, want);
}

/* Reading a path that is not a regular file fails at once with a message saying what it is. */
static void expect_read_refused(const char *path, const char *what)
{
    bm_buf b;
    bm_buf_init(&b, 1 << 20);
    bm_error e;
    bm_error_clear(&e);
    int rc = bm_store_read(path, 1 << 20, &b, &e);
    bm_buf_release(&b);
    assert_int_equal(rc, BM_EIO);
    assert_non_null(strstr(e.msg, "not a regular file"));
    assert_non_null(strstr(e.msg, what));
    bm_error_clear(&e);
    bm_store_reader *r = bm_store_open(path, &e);
    assert_null(r);
    assert_non_null(strstr(e.msg, "not a regular file"));
}

static void test_read_fifo_directory_device(void **state)
{
    (void)state;
    char p[256], uri[300];
    at(p, sizeof(p), "fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    expect_read_refused(p, "FIFO");
    snprintf(uri, sizeof(uri), "file://%s", p);
    expect_read_refused(uri, "FIFO");
    expect_read_refused(dir, "directory");
    expect_read_refused("/dev/null", "device");
}

static void test_read_regular_file(void **state)
{
    (void)state;
    char p[256];
    put("a.json", "{\"x\": 1}\n");
    at(p, sizeof(p), "a.json");
    bm_buf b;
    bm_buf_init(&b, 1 << 20);
    bm_error e;
    bm_error_clear(&e);
    assert_int_equal(bm_store_read(p, 1 << 20, &b, &e), BM_OK);
    assert_int_equal(b.len, 9);
    bm_buf_release(&b);
    bm_error_clear(&e);
    bm_store_reader *r = bm_store_open(p, &e);
    assert_non_null(r);
    char buf[64];
    assert_int_equal(bm_store_reader_read(r, buf, sizeof(buf), &e), 9);
    bm_store_reader_close(r);
}

typedef int (*write_fn)(const char *path, const void *data, size_t len, bm_error *err);

/* Both writers (the store's and the report's) refuse to replace what is not a regular file. */
static void expect_no_replace(write_fn w)
{
    char link[256], target[256], fifo[256], sub[256], reg[256];
    bm_error e;
    put("target", "precious");
    at(target, sizeof(target), "target");
    at(link, sizeof(link), "link");
    unlink(link);
    assert_int_equal(symlink(target, link), 0);
    bm_error_clear(&e);
    assert_int_equal(w(link, "new", 3, &e), BM_EIO);
    assert_non_null(strstr(e.msg, "symbolic link"));
    assert_string_equal(e.file, link);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    expect_content("target", "precious");

    at(fifo, sizeof(fifo), "out-fifo");
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    bm_error_clear(&e);
    assert_int_equal(w(fifo, "new", 3, &e), BM_EIO);
    assert_non_null(strstr(e.msg, "FIFO"));
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));

    at(sub, sizeof(sub), "subdir");
    mkdir(sub, 0700);
    bm_error_clear(&e);
    assert_int_equal(w(sub, "new", 3, &e), BM_EIO);
    assert_non_null(strstr(e.msg, "directory"));

    /* a regular file is replaced, and no temporary file is left behind */
    at(reg, sizeof(reg), "reg");
    bm_error_clear(&e);
    assert_int_equal(w(reg, "one", 3, &e), BM_OK);
    assert_int_equal(w(reg, "two", 3, &e), BM_OK);
    expect_content("reg", "two");
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s' | grep tmp)\"", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_atomic_write_no_replace(void **state)
{
    (void)state;
    expect_no_replace(bm_write_file_atomic);
}

static void test_store_write_no_replace(void **state)
{
    (void)state;
    expect_no_replace(bm_store_write);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_fifo_directory_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_regular_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_write_no_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_write_no_replace, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
