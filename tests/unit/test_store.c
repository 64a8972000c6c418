/* Unit tests for storage by URI (lib/store/store.c) and atomic writes (lib/store/atomic.c): only
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
    bm_store_reader *r = bm_store_reader_open(path, &e);
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
    bm_store_reader *r = bm_store_reader_open(p, &e);
    assert_non_null(r);
    char buf[64];
    /* a local file has a size and is read as a stream: nothing to take whole */
    uint64_t size = 0;
    size_t len = 1;
    assert_int_equal(bm_store_reader_size(r, &size), BM_OK);
    assert_int_equal(size, 9);
    assert_null(bm_store_reader_take_all(r, &len));
    assert_int_equal(len, 0);
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

/* ---- confinement (process-wide: these tests come last, each sets its own roots) ---- */

static char root[128], outside[128];

static void confine_to_root(void)
{
    snprintf(root, sizeof(root), "%s/root", dir);
    snprintf(outside, sizeof(outside), "%s/outside", dir);
    assert_int_equal(mkdir(root, 0700), 0);
    assert_int_equal(mkdir(outside, 0700), 0);
    put("outside/secret", "root:x:0:0:secret\n");
    const char *roots[] = {root};
    bm_error e;
    bm_error_clear(&e);
    assert_int_equal(bm_store_confine(roots, 1, &e), BM_OK);
}

static void expect_code(int rc, int want, const bm_error *e, const char *needle)
{
    if (rc != want || (needle && !strstr(e->msg, needle)))
        fail_msg("got %d (%s), want %d /%s/", rc, e->msg, want, needle ? needle : "");
}

static void test_confine_syntax_and_roots(void **state)
{
    (void)state;
    confine_to_root();
    char u[512];
    bm_error e;
    bm_error_clear(&e);
    expect_code(bm_store_check("relative/x", &e), BM_EINVAL, &e, "not absolute");
    snprintf(u, sizeof(u), "file://%s/../outside/secret", root);
    bm_error_clear(&e);
    expect_code(bm_store_check(u, &e), BM_EINVAL, &e, "\"..\" part");
    snprintf(u, sizeof(u), "%s/./x", root);
    bm_error_clear(&e);
    expect_code(bm_store_check(u, &e), BM_EINVAL, &e, "\".\" part");
    bm_error_clear(&e);
    expect_code(bm_store_check("gs://bucket/key", &e), BM_EINVAL, &e, "no storage back-end");
    /* confinement is of the local file system: s3:// stays allowed */
    expect_code(bm_store_check("s3://bucket/key", &e), BM_OK, &e, NULL);
    bm_error_clear(&e);
    expect_code(bm_store_check("file:///etc/passwd", &e), BM_EACCESS, &e,
                root); /* the message names the roots */
    bm_error_clear(&e);
    snprintf(u, sizeof(u), "file://%s/secret", outside);
    bm_buf b;
    bm_buf_init(&b, 1 << 20);
    expect_code(bm_store_read(u, 1 << 20, &b, &e), BM_EACCESS, &e, "is outside the folders");
    assert_int_equal(b.len, 0);
    bm_buf_release(&b);
    /* a root's own prefix is not enough: "/x/root2" is not inside "/x/root" */
    snprintf(u, sizeof(u), "%s2/x", root);
    bm_error_clear(&e);
    expect_code(bm_store_check(u, &e), BM_EACCESS, &e, NULL);
    /* inside: fine, whether it exists or not; written with its folders, read, removed */
    snprintf(u, sizeof(u), "file://%s/a/b/c.json", root);
    bm_error_clear(&e);
    expect_code(bm_store_check(u, &e), BM_OK, &e, NULL);
    expect_code(bm_store_write(u, "{}", 2, &e), BM_OK, &e, NULL);
    expect_content("root/a/b/c.json", "{}");
    bm_buf_init(&b, 1 << 20);
    expect_code(bm_store_read(u, 1 << 20, &b, &e), BM_OK, &e, NULL);
    assert_int_equal(b.len, 2);
    bm_buf_release(&b);
    bm_strlist l = {0};
    snprintf(u, sizeof(u), "%s/a/b", root);
    expect_code(bm_store_list(u, 0, 10, &l, &e), BM_OK, &e, NULL);
    assert_int_equal(l.n, 1);
    bm_strlist_release(&l);
    snprintf(u, sizeof(u), "%s/a/b/c.json", root);
    expect_code(bm_store_remove(u, &e), BM_OK, &e, NULL);
    expect_code(bm_store_remove(u, &e), BM_OK, &e, NULL);
}

static void test_confine_symlinks(void **state)
{
    (void)state;
    confine_to_root();
    char link[256], u[512];
    /* a link planted inside the root that leads out: refused for every operation */
    snprintf(link, sizeof(link), "%s/planted", root);
    assert_int_equal(symlink(outside, link), 0);
    bm_error e;
    bm_error_clear(&e);
    snprintf(u, sizeof(u), "%s/planted/secret", root);
    expect_code(bm_store_check(u, &e), BM_EACCESS, &e, "through a symbolic link");
    bm_buf b;
    bm_buf_init(&b, 1 << 20);
    bm_error_clear(&e);
    expect_code(bm_store_read(u, 1 << 20, &b, &e), BM_EACCESS, &e, "through a symbolic link");
    assert_null(strstr(e.msg, "root:x"));
    assert_int_equal(b.len, 0);
    bm_buf_release(&b);
    bm_error_clear(&e);
    assert_null(bm_store_reader_open(u, &e));
    bm_strlist l = {0};
    snprintf(u, sizeof(u), "%s/planted", root);
    bm_error_clear(&e);
    expect_code(bm_store_list(u, 0, 10, &l, &e), BM_EACCESS, &e, NULL);
    assert_int_equal(l.n, 0);
    snprintf(u, sizeof(u), "%s/planted/new/out.json", root);
    bm_error_clear(&e);
    expect_code(bm_store_write(u, "x", 1, &e), BM_EACCESS, &e, NULL);
    struct stat st;
    char p[256];
    at(p, sizeof(p), "outside/new");
    assert_int_equal(stat(p, &st), -1); /* nothing was made outside */
    /* a file link to a file outside, and an absolute link back into the root (RESOLVE_BENEATH
     * refuses absolute links: a link must be relative to stay usable) */
    snprintf(link, sizeof(link), "%s/cfg.json", root);
    at(p, sizeof(p), "outside/secret");
    assert_int_equal(symlink(p, link), 0);
    bm_error_clear(&e);
    bm_buf_init(&b, 1 << 20);
    expect_code(bm_store_read(link, 1 << 20, &b, &e), BM_EACCESS, &e, NULL);
    bm_buf_release(&b);
    /* a relative link that stays inside is followed */
    put("root/real.json", "{}");
    snprintf(link, sizeof(link), "%s/alias.json", root);
    assert_int_equal(symlink("real.json", link), 0);
    bm_error_clear(&e);
    bm_buf_init(&b, 1 << 20);
    expect_code(bm_store_read(link, 1 << 20, &b, &e), BM_OK, &e, NULL);
    bm_buf_release(&b);
}

static void test_confine_root_through_a_link(void **state)
{
    (void)state;
    char real[128], alias[128], u[300];
    snprintf(real, sizeof(real), "%s/real-root", dir);
    snprintf(alias, sizeof(alias), "%s/alias-root", dir);
    assert_int_equal(mkdir(real, 0700), 0);
    assert_int_equal(symlink(real, alias), 0);
    const char *roots[] = {alias};
    bm_error e;
    bm_error_clear(&e);
    assert_int_equal(bm_store_confine(roots, 1, &e), BM_OK);
    /* the roots for messages: whole when they fit, else visibly cut */
    char list[300], small[16];
    assert_int_equal(bm_store_roots(list, sizeof(list)), 1);
    assert_string_equal(list, alias);
    assert_true(strlen(alias) >= sizeof(small));
    assert_int_equal(bm_store_roots(small, sizeof(small)), 1);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_string_equal(small + sizeof(small) - 4, "...");
    /* the root is named either way: as configured, and as it resolves */
    snprintf(u, sizeof(u), "%s/x.json", alias);
    expect_code(bm_store_write(u, "1", 1, &e), BM_OK, &e, NULL);
    snprintf(u, sizeof(u), "%s/x.json", real);
    bm_buf b;
    bm_buf_init(&b, 1 << 20);
    expect_code(bm_store_read(u, 1 << 20, &b, &e), BM_OK, &e, NULL);
    bm_buf_release(&b);
    /* a missing root fails, and then nothing is allowed */
    const char *missing[] = {"/nonexistent-bm-root"};
    assert_int_equal(bm_store_confine(missing, 1, &e), BM_EIO);
    bm_error_clear(&e);
    expect_code(bm_store_check(u, &e), BM_EACCESS, &e, "none");
}

/* A processing input names an object, or a folder that holds just one. */
/* bm_store_list_range on local files: the files of the folders in [from, to], "FOLDER/NAME",
 * sorted, as bm_store_list gives each folder's (hidden names and deeper folders left out). */
static void test_list_range(void **state)
{
    (void)state;
    static const char *const dirs[] = {"day",    "day/09", "day/10", "day/10/deeper",
                                       "day/11", "day/12", "day/11x"};
    for (size_t k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
        char d[256];
        at(d, sizeof(d), dirs[k]);
        assert_int_equal(mkdir(d, 0755), 0);
    }
    static const char *const files[] = {"day/09/a",       "day/10/b",        "day/10/a c",
                                        "day/10/.hidden", "day/10/deeper/x", "day/11/c",
                                        "day/11x/d",      "day/12/e",        "day/top"};
    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++)
        put(files[k], "x\n");
    char u[256];
    bm_error e;
    bm_error_clear(&e);
    bm_strlist l = {0};
    at(u, sizeof(u), "day");
    expect_code(bm_store_list_range(u, "10", "11", 100, &l, &e), BM_OK, &e, NULL);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0], "10/a c");
    assert_string_equal(l.v[1], "10/b");
    assert_string_equal(l.v[2], "11/c");
    bm_strlist_release(&l);
    expect_code(bm_store_list_range(u, "10", "12", 3, &l, &e), BM_ELIMIT, &e, "more than 3");
    bm_strlist_release(&l);
    at(u, sizeof(u), "missing");
    expect_code(bm_store_list_range(u, "10", "12", 3, &l, &e), BM_OK, &e, NULL);
    assert_int_equal(l.n, 0);
}

static void test_resolve_one(void **state)
{
    (void)state;
    char u[256], got[512], want[512];
    bm_error e;
    bm_error_clear(&e);
    put("data.csv", "a,b\n");
    at(u, sizeof(u), "data.csv"); /* an object: itself */
    expect_code(bm_store_resolve_one(u, got, sizeof(got), &e), BM_OK, &e, NULL);
    assert_string_equal(got, u);
    at(u, sizeof(u), "missing.csv"); /* missing: itself, for its reader to report */
    expect_code(bm_store_resolve_one(u, got, sizeof(got), &e), BM_OK, &e, NULL);
    assert_string_equal(got, u);
    char d[256];
    at(d, sizeof(d), "one");
    assert_int_equal(mkdir(d, 0755), 0);
    put("one/train.csv", "a\n");
    at(u, sizeof(u), "one/sub");
    assert_int_equal(mkdir(u, 0755), 0); /* sub-folders do not count */
    at(u, sizeof(u), "one");
    expect_code(bm_store_resolve_one(u, got, sizeof(got), &e), BM_OK, &e, NULL);
    at(want, sizeof(want), "one/train.csv");
    assert_string_equal(got, want);
    put("one/test.csv", "a\n");
    expect_code(bm_store_resolve_one(u, got, sizeof(got), &e), BM_EDATA, &e,
                "holds 2 objects (test.csv, train.csv)");
    char small[8];
    at(u, sizeof(u), "data.csv");
    expect_code(bm_store_resolve_one(u, small, sizeof(small), &e), BM_ELIMIT, &e, "too long");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resolve_one, setup,
                                        teardown), /* before any confinement */
        cmocka_unit_test_setup_teardown(test_list_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_fifo_directory_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_regular_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_write_no_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_write_no_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confine_syntax_and_roots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confine_symlinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confine_root_through_a_link, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
