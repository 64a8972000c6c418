/* Unit tests for the CSV tokenizer: RFC 4180 cases, errors, limits, ranges, allocation failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "biasmon/csv.h"

static char tmpdir[256];

/* ---- helpers ---- */

/* Writes a file under tmpdir; path receives its name. */
static void write_file(char *path, size_t pathlen, const char *name, const char *data, size_t len)
{
    snprintf(path, pathlen, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Everything a parse produced, in a canonical text form and as a hash. */
struct dump {
    bm_buf text; /* one line per record: line@offset|Qlen:bytes,Ulen:bytes,... */
    uint64_t hash;
    size_t nrec;
    int status;
    bm_error err;
    long lines;
    off_t offset;
};

static void dump_init(struct dump *d, int with_text)
{
    memset(d, 0, sizeof(*d));
    bm_buf_init(&d->text, with_text ? (size_t)64 << 20 : 0);
    d->hash = 1469598103934665603u;
}

static void hash_bytes(struct dump *d, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        d->hash = (d->hash ^ s[i]) * 1099511628211u;
}

/* Appends one record (already decoded) to d. */
static void dump_record(struct dump *d, long line, long long offset, const bm_slice *f,
                        const uint8_t *q, size_t n)
{
    d->nrec++;
    hash_bytes(d, &line, sizeof(line));
    hash_bytes(d, &offset, sizeof(offset));
    hash_bytes(d, &n, sizeof(n));
    for (size_t i = 0; i < n; i++) {
        hash_bytes(d, &q[i], 1);
        hash_bytes(d, &f[i].n, sizeof(f[i].n));
        hash_bytes(d, f[i].p, f[i].n);
    }
    if (!d->text.max) return;
    assert_int_equal(bm_buf_printf(&d->text, "%ld@%lld|", line, offset), BM_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(bm_buf_printf(&d->text, "%c%zu:", q[i] ? 'Q' : 'U', f[i].n), BM_OK);
        assert_int_equal(bm_buf_append(&d->text, f[i].p, f[i].n), BM_OK);
        assert_int_equal(bm_buf_putc(&d->text, ','), BM_OK);
    }
    assert_int_equal(bm_buf_putc(&d->text, '\n'), BM_OK);
}

/* Reads every record of c into d; line_base is added to record lines. */
static void dump_all(bm_csv *c, long line_base, struct dump *d)
{
    bm_csv_record rec;
    for (;;) {
        int r = bm_csv_next(c, &rec, &d->err);
        if (r != BM_OK) {
            d->status = r;
            break;
        }
        if (rec.nfields == 0) break;
        assert_true(rec.line > 0);
        dump_record(d, rec.line + line_base, (long long)rec.offset, rec.fields, rec.quoted,
                    rec.nfields);
    }
    d->lines = bm_csv_lines(c);
    d->offset = bm_csv_offset(c);
}

static void dump_mem(const char *data, size_t len, const bm_csv_opts *o, struct dump *d)
{
    bm_error err;
    bm_error_clear(&err);
    dump_init(d, 1);
    bm_csv *c = bm_csv_open_mem(data, len, "mem.csv", o, &err);
    assert_non_null(c);
    dump_all(c, 0, d);
    bm_csv_close(c);
}

static void dump_file(const char *path, off_t start, off_t limit, long line_base,
                      const bm_csv_opts *o, struct dump *d)
{
    bm_error err;
    bm_error_clear(&err);
    dump_init(d, 1);
    bm_csv *c = bm_csv_open_file(path, start, limit, o, &err);
    assert_non_null(c);
    dump_all(c, line_base, d);
    bm_csv_close(c);
}

static const char *text(struct dump *d)
{
    return d->text.data ? d->text.data : "";
}

/* Parses s (memory) and checks the canonical dump, the lines and the final offset. */
static void expect(const char *s, const char *want, long lines)
{
    struct dump d;
    dump_mem(s, strlen(s), NULL, &d);
    assert_int_equal(d.status, BM_OK);
    assert_string_equal(text(&d), want);
    assert_int_equal(d.lines, lines);
    assert_int_equal(d.offset, (off_t)strlen(s));
    bm_buf_release(&d.text);
}

/* Parses s both from memory and from a file and checks the error it must end with. */
static void expect_error(const char *s, int code, long line, long col)
{
    char path[512];
    struct dump d;
    write_file(path, sizeof(path), "err.csv", s, strlen(s));
    for (int mode = 0; mode < 2; mode++) {
        if (mode == 0) {
            dump_mem(s, strlen(s), NULL, &d);
            assert_string_equal(d.err.file, "mem.csv");
        } else {
            bm_csv_opts o = {.buf_size = 1};
            dump_file(path, 0, -1, 0, &o, &d);
            assert_string_equal(d.err.file, path);
        }
        assert_int_equal(d.status, code);
        assert_int_equal(d.err.code, code);
        assert_int_equal(d.err.line, line);
        assert_int_equal(d.err.col, col);
        assert_true(d.err.msg[0] != 0);
        bm_buf_release(&d.text);
    }
    unlink(path);
}

/* ---- a naive reference parser (byte by byte, no buffering) for differential tests ---- */

static void ref_parse(const char *s, size_t len, struct dump *d)
{
    size_t pos = 0;
    long lines = 0;
    bm_slice f[256];
    uint8_t q[256];
    static char store[1 << 16];
    dump_init(d, 1);
    for (;;) {
        if (pos == len) break;
        if (s[pos] == '\n') {
            pos++, lines++;
            continue;
        }
        if (s[pos] == '\r' && pos + 1 < len && s[pos + 1] == '\n') {
            pos += 2, lines++;
            continue;
        }
        size_t nf = 0, used = 0, start = pos;
        long nl = 0;
        for (;;) {
            assert_true(nf < 256);
            if (pos < len && s[pos] == '"') {
                long open_line = lines + 1 + nl;
                char *out = store + used;
                size_t n = 0;
                pos++;
                for (;;) {
                    if (pos == len) {
                        d->status = d->err.code = BM_EPARSE;
                        d->err.line = open_line;
                        d->err.col = (long)nf + 1;
                        return;
                    }
                    if (s[pos] == '"') {
                        if (pos + 1 < len && s[pos + 1] == '"') {
                            out[n++] = '"';
                            pos += 2;
                            continue;
                        }
                        pos++;
                        break;
                    }
                    if (s[pos] == '\n') nl++;
                    out[n++] = s[pos++];
                }
                used += n;
                f[nf] = (bm_slice){out, n};
                q[nf++] = 1;
                if (pos == len) break;
                if (s[pos] == ',') {
                    pos++;
                    continue;
                }
                if (s[pos] == '\n') {
                    pos++;
                    break;
                }
                if (s[pos] == '\r' && pos + 1 < len && s[pos + 1] == '\n') {
                    pos += 2;
                    break;
                }
                d->status = d->err.code = BM_EPARSE;
                d->err.line = lines + 1 + nl;
                d->err.col = (long)nf;
                return;
            }
            size_t b = pos;
            while (pos < len && s[pos] != ',' && s[pos] != '\n')
                pos++;
            size_t e = pos;
            if (pos < len && s[pos] == ',') {
                f[nf] = (bm_slice){s + b, e - b};
                q[nf++] = 0;
                pos++;
                continue;
            }
            if (pos < len) {
                if (e > b && s[e - 1] == '\r') e--;
                pos++;
            }
            f[nf] = (bm_slice){s + b, e - b};
            q[nf++] = 0;
            break;
        }
        dump_record(d, lines + 1, (long long)start, f, q, nf);
        lines += 1 + nl;
    }
    d->lines = lines;
    d->offset = (off_t)len;
}

static uint64_t rng_state = 88172645463325252u;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random CSV-ish text drawn mostly from the bytes that matter to the grammar; long inputs have
 * longer fields so that the 64-byte block scanner is used too. */
static size_t random_csv(char *out, size_t max)
{
    static const char dense[] = "ab,,\"\"\n\r x";
    static const char sparse[] = "abcdefghijklmnopqrstuvw,,,\"\n\r";
    size_t n = (size_t)(rnd() % max);
    const char *alphabet = n < 64 ? dense : sparse;
    size_t k = n < 64 ? sizeof(dense) - 1 : sizeof(sparse) - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rnd() % k];
    return n;
}

static void assert_same(struct dump *a, struct dump *b)
{
    assert_string_equal(text(a), text(b));
    assert_int_equal(a->status, b->status);
    if (a->status == BM_OK) {
        assert_int_equal(a->lines, b->lines);
        assert_int_equal(a->offset, b->offset);
    } else {
        assert_int_equal(a->err.line, b->err.line);
        assert_int_equal(a->err.col, b->err.col);
    }
}

/* ---- grammar ---- */

static void test_unquoted(void **state)
{
    expect("a,b,c\n1,2,3\n", "1@0|U1:a,U1:b,U1:c,\n2@6|U1:1,U1:2,U1:3,\n", 2);
    expect("x\n", "1@0|U1:x,\n", 1);
    expect("", "", 0);
    /* a quote inside an unquoted field is literal */
    expect("ab\"c,d\"\n", "1@0|U4:ab\"c,U2:d\",\n", 1);
    expect(" \"a\",b\n", "1@0|U4: \"a\",U1:b,\n", 1);
}

static void test_quotes(void **state)
{
    expect("\"a\",\"b,c\",\"\"\n", "1@0|Q1:a,Q3:b,c,Q0:,\n", 1);
    expect("\"d\"\"e\",\"\"\"\"\n", "1@0|Q3:d\"e,Q1:\",\n", 1);
    expect("\"\"\"x\"\"\"\n", "1@0|Q3:\"x\",\n", 1);
    /* a record that is only "" has one empty field; it is not an empty line */
    expect("\"\"\n", "1@0|Q0:,\n", 1);
}

static void test_embedded_newlines(void **state)
{
    expect("a,\"x\ny\",b\nc\n", "1@0|U1:a,Q3:x\ny,U1:b,\n3@10|U1:c,\n", 3);
    expect("\"1\n\n2\"\n\"3\r\n4\"\r\nz", "1@0|Q4:1\n\n2,\n4@7|Q4:3\r\n4,\n6@15|U1:z,\n", 6);
}

static void test_crlf(void **state)
{
    expect("a,b\r\nc,d\r\n", "1@0|U1:a,U1:b,\n2@5|U1:c,U1:d,\n", 2);
    expect("\"a\"\r\n", "1@0|Q1:a,\n", 1);
    expect("a,\r\n", "1@0|U1:a,U0:,\n", 1);
    /* a lone '\r' is data, also just before the end of input and before a comma */
    expect("a\rb,c\r\r\n", "1@0|U3:a\rb,U2:c\r,\n", 1);
    expect("a\r", "1@0|U2:a\r,\n", 1);
    expect("\r,\r\n", "1@0|U1:\r,U0:,\n", 1);
}

static void test_empty_lines(void **state)
{
    expect("\n\na\n\r\n\nb\n\n", "3@2|U1:a,\n6@7|U1:b,\n", 7);
    expect("\n\r\n\n", "", 3);
}

static void test_no_trailing_newline(void **state)
{
    expect("a,b\nc", "1@0|U1:a,U1:b,\n2@4|U1:c,\n", 2);
    expect("a\n\"c\"", "1@0|U1:a,\n2@2|Q1:c,\n", 2);
    expect("a\n\"c\nd\"", "1@0|U1:a,\n2@2|Q3:c\nd,\n", 3);
}

static void test_trailing_empty_field(void **state)
{
    expect("a,b,\n", "1@0|U1:a,U1:b,U0:,\n", 1);
    expect("a,b,", "1@0|U1:a,U1:b,U0:,\n", 1);
    expect(",\n", "1@0|U0:,U0:,\n", 1);
    expect("\"a\",\n", "1@0|Q1:a,U0:,\n", 1);
}

static void test_errors(void **state)
{
    expect_error("a,\"b\"x,c\n", BM_EPARSE, 1, 2);
    expect_error("a\nb,\"c\nd\"e\n", BM_EPARSE, 3, 2);
    expect_error("a\n\n\"b\" \n", BM_EPARSE, 3, 1);
    expect_error("a\n\"b,c\nd", BM_EPARSE, 2, 1);
    expect_error("x,y\n1,\"", BM_EPARSE, 2, 2);
    expect_error("\"a\"\r", BM_EPARSE, 1, 1);
    expect_error("\"a\"\rb\n", BM_EPARSE, 1, 1);
    expect_error("\"a\"\"\n", BM_EPARSE, 1, 1);

    /* errors are final, and carry the location again */
    bm_error err;
    bm_csv_record rec;
    bm_error_clear(&err);
    bm_csv *c = bm_csv_open_mem("a\n\"b\"c\nd\n", 10, "x.csv", NULL, &err);
    assert_non_null(c);
    assert_int_equal(bm_csv_next(c, &rec, &err), BM_OK);
    assert_int_equal(rec.nfields, 1);
    assert_int_equal(bm_csv_next(c, &rec, &err), BM_EPARSE);
    bm_error_clear(&err);
    assert_int_equal(bm_csv_next(c, &rec, &err), BM_EPARSE);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 1);
    char msg[600];
    bm_error_format(&err, msg, sizeof(msg));
    assert_string_equal(msg, "x.csv:2:1: 'c' after the closing quote");
    bm_csv_close(c);

    /* without a name, the caller's err->file is kept */
    bm_error_clear(&err);
    snprintf(err.file, sizeof(err.file), "capture.json");
    c = bm_csv_open_mem("\"", 1, NULL, NULL, &err);
    assert_non_null(c);
    assert_int_equal(bm_csv_next(c, &rec, &err), BM_EPARSE);
    assert_string_equal(err.file, "capture.json");
    bm_csv_close(c);
}

static void test_open_errors(void **state)
{
    bm_error err;
    char path[512];
    off_t b = 0;
    snprintf(path, sizeof(path), "%s/missing.csv", tmpdir);
    bm_error_clear(&err);
    assert_null(bm_csv_open_file(path, 0, -1, NULL, &err));
    assert_int_equal(err.code, BM_EIO);
    assert_string_equal(err.file, path);
    bm_error_clear(&err);
    assert_null(bm_csv_open_file(path, -1, -1, NULL, &err));
    assert_int_equal(err.code, BM_EINVAL);
    bm_error_clear(&err);
    assert_int_equal(bm_csv_find_boundary(path, 3, &b, &err), BM_EIO);
    assert_string_equal(err.file, path);
    bm_csv_close(NULL);
}

/* ---- limits ---- */

static void test_record_limit(void **state)
{
    bm_csv_opts o = {.max_record = 10, .buf_size = 1};
    struct dump d;
    /* exactly 10 bytes before the line break: accepted with every kind of ending */
    const char *ok[] = {"0123456789\n",   "0123456789\r\n",     "0123456789",
                        "\"12345678\"\n", "\"1234\"\"78\"\r\n", "a\n0123,5678\nb"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        dump_mem(ok[i], strlen(ok[i]), &o, &d);
        assert_int_equal(d.status, BM_OK);
        bm_buf_release(&d.text);
    }
    const char *bad[] = {"0123456789a\n",   "0123456789a\r\n",  "0123456789a",
                         "\"123456789\"\n", "0123456789\r\r\n", "a\n\n\"0\n2345678901234\n"};
    const long line[] = {1, 1, 1, 1, 1, 3};
    char path[512];
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        for (int mode = 0; mode < 2; mode++) {
            if (mode == 0) {
                dump_mem(bad[i], strlen(bad[i]), &o, &d);
            } else {
                write_file(path, sizeof(path), "lim.csv", bad[i], strlen(bad[i]));
                dump_file(path, 0, -1, 0, &o, &d);
                unlink(path);
            }
            assert_int_equal(d.status, BM_ELIMIT);
            assert_int_equal(d.err.line, line[i]);
            bm_buf_release(&d.text);
        }
    }

    /* a 3 MiB record in a file with the default limits and buffer */
    size_t n = (size_t)3 << 20;
    char *big = bm_malloc(n + 8);
    assert_non_null(big);
    memcpy(big, "h1,h2\n", 6);
    memset(big + 6, 'x', n);
    memcpy(big + 6 + n, "\n", 1);
    write_file(path, sizeof(path), "big.csv", big, n + 7);
    dump_file(path, 0, -1, 0, NULL, &d);
    assert_int_equal(d.status, BM_ELIMIT);
    assert_int_equal(d.err.line, 2);
    assert_int_equal(d.nrec, 1);
    bm_buf_release(&d.text);
    unlink(path);
    bm_free(big);
}

static void test_field_limit(void **state)
{
    bm_csv_opts o = {.max_fields = 5};
    struct dump d;
    dump_mem("a,b,c,d,e\n", 10, &o, &d);
    assert_int_equal(d.status, BM_OK);
    assert_int_equal(d.nrec, 1);
    bm_buf_release(&d.text);
    dump_mem("x\na,b,c,d,e,\n", 13, &o, &d);
    assert_int_equal(d.status, BM_ELIMIT);
    assert_int_equal(d.err.line, 2);
    assert_int_equal(d.err.col, 6);
    bm_buf_release(&d.text);

    /* default: 4096 fields are fine, 4097 are not */
    size_t n = 2 * 4097;
    char *s = bm_malloc(n);
    assert_non_null(s);
    for (size_t i = 0; i < n; i += 2)
        memcpy(s + i, "1,", 2);
    s[n - 1] = '\n';
    dump_mem(s + 2, n - 2, NULL, &d);
    assert_int_equal(d.status, BM_OK);
    bm_buf_release(&d.text);
    dump_mem(s, n, NULL, &d);
    assert_int_equal(d.status, BM_ELIMIT);
    assert_int_equal(d.err.col, 4097);
    bm_buf_release(&d.text);
    bm_free(s);
}

/* ---- differential: reference vs memory vs file through tiny buffers ---- */

static void test_random_vs_reference(void **state)
{
    char s[400];
    for (int i = 0; i < 30000; i++) {
        size_t n = random_csv(s, sizeof(s));
        struct dump want, got;
        ref_parse(s, n, &want);
        dump_mem(s, n, NULL, &got);
        assert_same(&want, &got);
        bm_buf_release(&want.text);
        bm_buf_release(&got.text);
    }
}

static void test_random_file_vs_mem(void **state)
{
    char s[400], path[512];
    for (int i = 0; i < 3000; i++) {
        size_t n = random_csv(s, sizeof(s));
        /* small limits so that the bounded window and BM_ELIMIT are exercised too */
        bm_csv_opts o = {.max_record = 3 + rnd() % 200,
                         .max_fields = 1 + rnd() % 24,
                         .buf_size = 1 + rnd() % 256};
        struct dump want, got;
        dump_mem(s, n, &o, &want);
        write_file(path, sizeof(path), "rnd.csv", s, n);
        dump_file(path, 0, -1, 0, &o, &got);
        assert_same(&want, &got);
        bm_buf_release(&want.text);
        bm_buf_release(&got.text);
    }
    unlink(path);
}

/* ---- ranges ---- */

/* A file of records with every feature; with_newlines adds line breaks inside quotes. */
static size_t make_file(char *out, size_t max, int with_newlines)
{
    static const char *pieces[] = {"12", "-3.500000", "abc",  "\"q,uo\"\"ted\"",
                                   "",   "\"\"",      "x\"y", "\"sp ace\""};
    size_t n = 0;
    for (int r = 0; r < 120 && n + 200 < max; r++) {
        int nf = 1 + (int)(rnd() % 5);
        for (int i = 0; i < nf; i++) {
            const char *p = pieces[rnd() % (sizeof(pieces) / sizeof(*pieces))];
            if (with_newlines && rnd() % 6 == 0) p = "\"multi\nline\r\n\"";
            n += (size_t)snprintf(out + n, max - n, "%s%s", i ? "," : "", p);
        }
        n += (size_t)snprintf(out + n, max - n, "%s", rnd() % 3 ? "\n" : "\r\n");
        if (rnd() % 10 == 0) n += (size_t)snprintf(out + n, max - n, "\n");
    }
    return n;
}

/* Marks every place where single-pass parsing of s may start a record: 0, after each record,
 * after each empty line. */
static void mark_boundaries(const char *s, size_t len, char *mark)
{
    bm_error err;
    bm_csv_record rec;
    memset(mark, 0, len + 1);
    mark[0] = 1;
    bm_csv *c = bm_csv_open_mem(s, len, NULL, NULL, &err);
    assert_non_null(c);
    for (;;) {
        assert_int_equal(bm_csv_next(c, &rec, &err), BM_OK);
        if (rec.nfields == 0) break;
        mark[bm_csv_offset(c)] = 1;
    }
    bm_csv_close(c);
    for (size_t q = 0; q < len; q++) {
        if (!mark[q]) continue;
        if (s[q] == '\n') mark[q + 1] = 1;
        if (s[q] == '\r' && q + 1 < len && s[q + 1] == '\n') mark[q + 2] = 1;
    }
}

static void check_splits(int with_newlines)
{
    char s[4096], mark[4097], path[512];
    size_t n = make_file(s, sizeof(s), with_newlines);
    mark_boundaries(s, n, mark);
    write_file(path, sizeof(path), "range.csv", s, n);
    bm_csv_opts o = {.max_record = 256, .buf_size = 1};
    struct dump whole;
    dump_file(path, 0, -1, 0, &o, &whole);
    assert_int_equal(whole.status, BM_OK);
    int mismatches = 0;
    for (off_t pos = 0; pos <= (off_t)n; pos++) {
        bm_error err;
        off_t b;
        assert_int_equal(bm_csv_find_boundary(path, pos, &b, &err), BM_OK);
        assert_true(b >= pos && b <= (off_t)n);
        struct dump first, second;
        dump_file(path, 0, b, 0, &o, &first);
        assert_int_equal(first.status, BM_OK);
        off_t next = first.offset;
        /* range 1 ends at the split exactly when the split is a real boundary */
        assert_int_equal(next == b, mark[b]);
        if (next != b) {
            /* the split fell inside a quoted field: detected, and resumed where range 1 ended */
            assert_true(with_newlines);
            assert_true(next > b);
            mismatches++;
        }
        dump_file(path, next, -1, first.lines, &o, &second);
        assert_int_equal(second.status, BM_OK);
        assert_int_equal(first.lines + second.lines, whole.lines);
        assert_int_equal(bm_buf_append(&first.text, text(&second), second.text.len), BM_OK);
        assert_string_equal(text(&first), text(&whole));
        bm_buf_release(&first.text);
        bm_buf_release(&second.text);
    }
    if (with_newlines) assert_true(mismatches > 0);
    bm_buf_release(&whole.text);
    unlink(path);
}

static void test_ranges_plain(void **state)
{
    check_splits(0);
}

static void test_ranges_quoted_newlines(void **state)
{
    check_splits(1);
}

static void test_range_split_in_quotes(void **state)
{
    const char *s = "a,\"x\ny\",b\nc,d\n";
    char path[512];
    bm_error err;
    off_t b;
    write_file(path, sizeof(path), "q.csv", s, strlen(s));
    assert_int_equal(bm_csv_find_boundary(path, 3, &b, &err), BM_OK);
    assert_int_equal(b, 5); /* just after the quoted line break */
    struct dump first;
    dump_file(path, 0, b, 0, NULL, &first);
    assert_int_equal(first.status, BM_OK);
    assert_string_equal(text(&first), "1@0|U1:a,Q3:x\ny,U1:b,\n");
    assert_int_equal(first.offset, 10); /* != 5: the caller sees the split was not a boundary */
    assert_int_equal(first.lines, 2);
    bm_buf_release(&first.text);
    unlink(path);
}

/* A record equals a list of texts only field for field and byte for byte (a header row). */
static void test_record_is(void **state)
{
    (void)state;
    bm_error err;
    bm_csv_record rec;
    bm_error_clear(&err);
    bm_csv *c = bm_csv_open_mem("age,\"se,x\"\nage,sex\nage\n", 23, "h.csv", NULL, &err);
    assert_non_null(c);
    char *h1[] = {"age", "se,x"}, *h2[] = {"age", "sex"}, *h3[] = {"age", "sex", ""};
    assert_int_equal(bm_csv_next(c, &rec, &err), BM_OK);
    assert_true(bm_csv_record_is(&rec, h1, 2));
    assert_false(bm_csv_record_is(&rec, h2, 2));
    assert_int_equal(bm_csv_next(c, &rec, &err), BM_OK);
    assert_true(bm_csv_record_is(&rec, h2, 2));
    assert_false(bm_csv_record_is(&rec, h3, 3));
    assert_false(bm_csv_record_is(&rec, h2, 1));
    assert_int_equal(bm_csv_next(c, &rec, &err), BM_OK);
    assert_false(bm_csv_record_is(&rec, (char *[]){"ag"}, 1));
    bm_csv_close(c);
}

static void test_find_boundary(void **state)
{
    const char *s = "ab\ncd\n\nef";
    char path[512];
    bm_error err;
    off_t b;
    write_file(path, sizeof(path), "fb.csv", s, strlen(s));
    const off_t pos[] = {0, 1, 2, 3, 5, 6, 7, 9, 100};
    const off_t want[] = {0, 3, 3, 6, 6, 7, 9, 9, 9};
    for (size_t i = 0; i < sizeof(pos) / sizeof(*pos); i++) {
        assert_int_equal(bm_csv_find_boundary(path, pos[i], &b, &err), BM_OK);
        assert_int_equal(b, want[i]);
    }
    assert_int_equal(bm_csv_find_boundary(path, -1, &b, &err), BM_EINVAL);

    /* a range that starts at a boundary: lines and offsets are relative/absolute as documented */
    struct dump d;
    dump_file(path, 3, 7, 0, NULL, &d);
    assert_int_equal(d.status, BM_OK);
    assert_string_equal(text(&d), "1@3|U2:cd,\n");
    assert_int_equal(d.offset, 7); /* covers the empty line before the limit */
    assert_int_equal(d.lines, 2);
    bm_buf_release(&d.text);
    unlink(path);
}

/* A large file read through the default 4 MiB buffer matches memory parsing. */
static void test_large_file(void **state)
{
    size_t max = (size_t)10 << 20, n = 0;
    char *s = bm_malloc(max), path[512];
    assert_non_null(s);
    for (long i = 0; n + 100 < max; i++)
        n += (size_t)snprintf(s + n, max - n, "%ld,%ld.%06ld,%s,\"a\"\"b\nc\"\n", i, i % 977,
                              i % 1000003, i % 7 ? "str" : "");
    write_file(path, sizeof(path), "large.csv", s, n);
    struct dump a, b;
    dump_init(&a, 0);
    dump_init(&b, 0);
    bm_error err;
    bm_csv *c = bm_csv_open_mem(s, n, NULL, NULL, &err);
    assert_non_null(c);
    dump_all(c, 0, &a);
    bm_csv_close(c);
    c = bm_csv_open_file(path, 0, -1, NULL, &err);
    assert_non_null(c);
    dump_all(c, 0, &b);
    bm_csv_close(c);
    assert_int_equal(a.status, BM_OK);
    assert_int_equal(b.status, BM_OK);
    assert_true(a.nrec > 100000);
    assert_int_equal(a.nrec, b.nrec);
    assert_true(a.hash == b.hash);
    assert_int_equal(a.lines, b.lines);
    assert_int_equal(b.offset, (off_t)n);
    unlink(path);
    bm_free(s);
}

/* ---- allocation failure ---- */

static void test_alloc_failure(void **state)
{
    /* 1000 fields make the field arrays grow five times; "" needs the scratch area */
    size_t n = 0, max = 8192;
    char s[8192], path[512];
    n += (size_t)snprintf(s, max, "\"a\"\"b\",c\n");
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(s + n, max - n, "%d,", i % 10);
    s[n - 1] = '\n';
    write_file(path, sizeof(path), "alloc.csv", s, n);
    struct dump want;
    dump_mem(s, n, NULL, &want);
    assert_int_equal(want.status, BM_OK);

    int successes = 0;
    for (long k = 1; k <= 40; k++) {
        for (int mode = 0; mode < 2; mode++) {
            struct dump got;
            bm_error err;
            dump_init(&got, 0);
            bm_error_clear(&err);
            bm_alloc_fail_after(k);
            bm_csv *c = mode ? bm_csv_open_file(path, 0, -1, NULL, &err)
                             : bm_csv_open_mem(s, n, "m", NULL, &err);
            if (c) {
                dump_all(c, 0, &got);
                bm_csv_close(c);
                err = got.err;
            }
            bm_alloc_fail_after(0);
            /* 3 allocations to open (+1 buffer for a file), 1 scratch, 10 to grow the fields:
             * every one of them must be reported */
            long total = mode ? 15 : 14;
            if (!c || got.status != BM_OK) {
                assert_int_equal(err.code, BM_ENOMEM);
                assert_true(k <= total);
            } else {
                assert_true(k > total);
                assert_int_equal(got.nrec, want.nrec);
                assert_true(got.hash == want.hash);
                successes++;
            }
        }
    }
    assert_true(successes > 0);
    bm_buf_release(&want.text);
    unlink(path);
}

static int setup(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "%s/bm-csv-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    return rmdir(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unquoted),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_embedded_newlines),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_empty_lines),
        cmocka_unit_test(test_no_trailing_newline),
        cmocka_unit_test(test_trailing_empty_field),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_record_limit),
        cmocka_unit_test(test_field_limit),
        cmocka_unit_test(test_random_vs_reference),
        cmocka_unit_test(test_random_file_vs_mem),
        cmocka_unit_test(test_ranges_plain),
        cmocka_unit_test(test_ranges_quoted_newlines),
        cmocka_unit_test(test_range_split_in_quotes),
        cmocka_unit_test(test_record_is),
        cmocka_unit_test(test_find_boundary),
        cmocka_unit_test(test_large_file),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
