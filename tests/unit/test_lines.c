/* Unit tests for the line reader of executions (lib/capture/lines.c): line ends, lines longer
 * than the limit (an error, then the reader goes on after them), lines across refills, and
 * bm__lines_ready's promise that earlier lines stay put. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "biasmon/capture_lines.h"

static char path[64];

static void write_file(const char *data, size_t n)
{
    snprintf(path, sizeof(path), "/tmp/bm-test-lines-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

/* Reads every line (max bytes per line) into out as "line:text|" or "line:!|" for an error. */
static void read_all(size_t max, char *out, size_t outn)
{
    bm__lines l;
    bm_error e;
    bm_error_clear(&e);
    assert_int_equal(bm__lines_open(&l, path, max, &e), BM_OK);
    size_t o = 0;
    out[0] = 0;
    for (int guard = 0; guard < 100000; guard++) {
        bm_slice line;
        int done = 0;
        bm_error_clear(&e);
        int rc = bm__lines_next(&l, &line, &done, &e);
        if (rc) {
            assert_int_equal(rc, BM_ELIMIT);
            o += (size_t)snprintf(out + o, outn - o, "%ld:!|", e.line);
            continue;
        }
        if (done) break;
        o += (size_t)snprintf(out + o, outn - o, "%ld:%.*s|", l.line, (int)line.n, line.p);
        assert_true(o < outn);
    }
    bm__lines_close(&l);
    unlink(path);
}

/* Reads data with a line limit of max and compares what read_all reports with want. */
static void expect_lines(const char *data, size_t max, const char *want)
{
    char out[256];
    write_file(data, strlen(data));
    read_all(max, out, sizeof(out));
    assert_string_equal(out, want);
}

static void test_line_ends(void **state)
{
    (void)state;
    expect_lines("a\r\nbb\n\nccc\r\n\rd\nlast", 100, "1:a|2:bb|3:|4:ccc|5:\rd|6:last|");
    expect_lines("", 100, "");
    expect_lines("x\n", 100, "1:x|");
}

/* A line over the limit is an error with its number; the lines after it are read. */
static void test_long_line_skipped(void **state)
{
    (void)state;
    expect_lines("ok\n0123456789abcdefghij\nnext\n0123456789abcdefghijklmnopqrstuvwxyz\nend", 10,
                 "1:ok|2:!|3:next|4:!|5:end|");
    /* one of exactly the limit, and a too-long last line without a line break */
    expect_lines("0123456789\n0123456789X", 10, "1:0123456789|2:!|");
}

/* Lines spanning many refills (2 MiB lines over a 1 MiB first buffer) and a skipped line much
 * longer than the buffer. */
static void test_big_lines(void **state)
{
    (void)state;
    size_t big = 2u << 20, huge = 9u << 20;
    char *d = malloc(big + huge + 64);
    assert_non_null(d);
    size_t n = 0;
    memset(d + n, 'a', big), n += big, d[n++] = '\n';
    memset(d + n, 'b', huge), n += huge, d[n++] = '\n';
    memcpy(d + n, "tail\n", 5), n += 5;
    write_file(d, n);
    free(d);
    bm__lines l;
    bm_error e;
    bm_error_clear(&e);
    assert_int_equal(bm__lines_open(&l, path, 4u << 20, &e), BM_OK);
    bm_slice line;
    int done;
    assert_int_equal(bm__lines_next(&l, &line, &done, &e), BM_OK);
    assert_int_equal(line.n, big);
    assert_true(line.p[0] == 'a' && line.p[big - 1] == 'a');
    assert_int_equal(bm__lines_next(&l, &line, &done, &e), BM_ELIMIT);
    assert_int_equal(e.line, 2);
    assert_int_equal(bm__lines_next(&l, &line, &done, &e), BM_OK);
    assert_int_equal(done, 0);
    assert_int_equal(l.line, 3);
    assert_int_equal(line.n, 4);
    assert_memory_equal(line.p, "tail", 4);
    assert_int_equal(bm__lines_next(&l, &line, &done, &e), BM_OK);
    assert_int_equal(done, 1);
    bm__lines_close(&l);
    unlink(path);
}

/* The text of line k of the ready test's file. */
static int line_text(int k, char *out, size_t n)
{
    return snprintf(out, n, "line %d %.*s", k, k % 50,
                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

/* While bm__lines_ready says 1, lines returned earlier keep their bytes; when it says 0 the
 * next call does read. */
static void test_ready_keeps_lines(void **state)
{
    (void)state;
    enum { LINES = 50000 };
    char *d = malloc(LINES * 80);
    assert_non_null(d);
    size_t n = 0;
    for (int k = 0; k < LINES; k++) {
        n += (size_t)line_text(k, d + n, 80);
        d[n++] = '\n';
    }
    write_file(d, n);
    free(d);
    bm__lines l;
    bm_error e;
    bm_error_clear(&e);
    assert_int_equal(bm__lines_open(&l, path, 1u << 20, &e), BM_OK);
    bm_slice prev = {NULL, 0};
    char want[128];
    int got = 0, not_ready = 0;
    for (;;) {
        int ready = bm__lines_ready(&l);
        if (!ready) {
            not_ready++;
            prev.p = NULL;
        }
        bm_slice line;
        int done;
        assert_int_equal(bm__lines_next(&l, &line, &done, &e), BM_OK);
        if (done) break;
        if (prev.p) { /* the previous line is still intact */
            int len = line_text(got - 1, want, sizeof(want));
            assert_int_equal(prev.n, (size_t)len);
            assert_memory_equal(prev.p, want, prev.n);
        }
        int len = line_text(got, want, sizeof(want));
        assert_int_equal(line.n, (size_t)len);
        assert_memory_equal(line.p, want, line.n);
        prev = line;
        got++;
    }
    assert_int_equal(got, LINES);
    assert_true(not_ready >= 2); /* at the start, and at least once more for a file over 1 MiB */
    bm__lines_close(&l);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_long_line_skipped),
        cmocka_unit_test(test_big_lines),
        cmocka_unit_test(test_ready_keeps_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
