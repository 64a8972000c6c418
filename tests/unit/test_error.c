/* Tests for the error record and bm_fmt_fit: a text longer than its buffer is cut visibly ("...",
 * on a UTF-8 boundary), a file name or JSON path keeps its end, and a fitting text is untouched. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/common.h"

static void test_fmt_fit(void **state)
{
    (void)state;
    char b[8];
    assert_int_equal(bm_fmt_fit(b, sizeof(b), "%s", "1234567"), 0);
    assert_string_equal(b, "1234567");
    assert_int_equal(bm_fmt_fit(b, sizeof(b), "%s%d", "abcdefg", 8), 1);
    assert_string_equal(b, "abcd...");
    /* "é" is two bytes: the cut never leaves half of it */
    assert_int_equal(bm_fmt_fit(b, sizeof(b), "abc\xc3\xa9xyz"), 1);
    assert_string_equal(b, "abc...");
    assert_int_equal(bm_fmt_fit(b, sizeof(b), "ab\xc3\xa9xyzw"), 1);
    assert_string_equal(b, "ab\xc3\xa9...");
    char s[3];
    assert_int_equal(bm_fmt_fit(s, sizeof(s), "%s", "abc"), 1);
    assert_string_equal(s, "ab"); /* no room for the mark: what fits stays, NUL-terminated */
}

static void test_error_set_and_at(void **state)
{
    (void)state;
    bm_error e;
    bm_error_clear(&e);
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    assert_int_equal(bm_error_set(&e, BM_EPARSE, "bad: %s", big), BM_EPARSE);
    assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
    assert_string_equal(e.msg + sizeof(e.msg) - 4, "...");
    assert_memory_equal(e.msg, "bad: xxx", 8);

    /* a long file name keeps its end: the file itself, after "..." */
    char file[600];
    int k = snprintf(file, sizeof(file), "/%0500d/data.csv", 0);
    assert_true(k > 0 && (size_t)k < sizeof(file));
    bm_error_at(&e, file, 3, 2, "$.a.b");
    assert_int_equal(strlen(e.file), sizeof(e.file) - 1);
    assert_memory_equal(e.file, "...", 3);
    assert_string_equal(e.file + strlen(e.file) - 9, "/data.csv");
    assert_string_equal(e.path, "$.a.b");
    /* a long JSON path keeps its root and its innermost keys: "$..." then the end, so that a
     * configuration error's path still starts with "$" (fuzz_jobdef holds that invariant) */
    char path[600];
    k = snprintf(path, sizeof(path), "$.Environment.%0500d.Key", 0);
    assert_true(k > 0 && (size_t)k < sizeof(path));
    bm_error_at(&e, NULL, 0, 0, path);
    assert_int_equal(strlen(e.path), sizeof(e.path) - 1);
    assert_memory_equal(e.path, "$...", 4);
    assert_string_equal(e.path + strlen(e.path) - 4, ".Key");
    bm_error_at(&e, NULL, 0, 0, "$.a.b");
    bm_error_at(&e, "short.csv", 3, 2, NULL);
    assert_string_equal(e.file, "short.csv");
    assert_string_equal(e.path, "$.a.b"); /* NULL leaves it */
}

static void test_error_format(void **state)
{
    (void)state;
    bm_error e;
    bm_error_clear(&e);
    bm_error_set(&e, BM_EPARSE, "unexpected end");
    bm_error_at(&e, "in.json", 4, 7, "$.facet[0]");
    char out[128];
    bm_error_format(&e, out, sizeof(out));
    assert_string_equal(out, "in.json:4:7: $.facet[0]: unexpected end");
    bm_error_at(&e, "", 0, 0, "");
    bm_error_format(&e, out, sizeof(out));
    assert_string_equal(out, "unexpected end");
    e.msg[0] = 0;
    bm_error_format(&e, out, sizeof(out));
    assert_string_equal(out, "malformed input");
    /* too small: cut visibly, whether in the location or in the message */
    bm_error_set(&e, BM_EPARSE, "unexpected end");
    bm_error_at(&e, "in.json", 4, 0, NULL);
    char small[16];
    bm_error_format(&e, small, sizeof(small));
    assert_string_equal(small, "in.json:4: u...");
    char tiny[8];
    bm_error_format(&e, tiny, sizeof(tiny));
    assert_string_equal(tiny, "in.j...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_fit),
        cmocka_unit_test(test_error_set_and_at),
        cmocka_unit_test(test_error_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
