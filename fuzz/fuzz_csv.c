/* Fuzz target for the CSV tokenizer: parse, re-serialize with quoting, re-parse, compare. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/csv.h"

#define MAX_FIELDS 16
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

/* Whether a field must be written in quotes to read back the same. */
static int needs_quotes(const bm_slice *f, size_t nfields)
{
    if (nfields == 1 && f->n == 0) return 1; /* else the record would be an empty line */
    for (size_t i = 0; i < f->n; i++) {
        char ch = f->p[i];
        if (ch == ',' || ch == '"' || ch == '\n' || ch == '\r') return 1;
    }
    return 0;
}

static void put(bm_buf *b, const void *p, size_t n)
{
    CHECK(bm_buf_append(b, p, n) == BM_OK);
}

/* Writes one field, quoted when it has to be or when it was quoted in the input. */
static void write_field(bm_buf *out, const bm_slice *f, int quote)
{
    if (!quote) {
        put(out, f->p, f->n);
        return;
    }
    put(out, "\"", 1);
    for (size_t i = 0; i < f->n; i++) {
        if (f->p[i] == '"') put(out, "\"", 1);
        put(out, &f->p[i], 1);
    }
    put(out, "\"", 1);
}

/* Appends a record to the flat expectation: nfields, then (quoted, length, bytes) per field. */
static void expect_record(bm_buf *flat, const bm_csv_record *rec, const uint8_t *quote)
{
    put(flat, &rec->nfields, sizeof(rec->nfields));
    for (size_t i = 0; i < rec->nfields; i++) {
        put(flat, &quote[i], 1);
        put(flat, &rec->fields[i].n, sizeof(rec->fields[i].n));
        put(flat, rec->fields[i].p, rec->fields[i].n);
    }
}

/* Checks that rec is the record stored at flat->data + *at and moves past it. */
static void match_record(const bm_buf *flat, size_t *at, const bm_csv_record *rec)
{
    size_t n;
    CHECK(*at + sizeof(n) <= flat->len);
    memcpy(&n, flat->data + *at, sizeof(n));
    *at += sizeof(n);
    CHECK(n == rec->nfields);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        CHECK(*at + 1 + sizeof(len) <= flat->len);
        CHECK((flat->data[*at] != 0) == (rec->quoted[i] != 0));
        memcpy(&len, flat->data + *at + 1, sizeof(len));
        *at += 1 + sizeof(len);
        CHECK(len == rec->fields[i].n && *at + len <= flat->len);
        CHECK(len == 0 || memcmp(flat->data + *at, rec->fields[i].p, len) == 0);
        *at += len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    bm_csv_opts small = {.max_record = 512, .max_fields = MAX_FIELDS};
    bm_error err;
    bm_csv_record rec;
    bm_buf out, flat;
    bm_buf_init(&out, (size_t)1 << 26);
    bm_buf_init(&flat, (size_t)1 << 26);
    size_t nrec = 0;
    off_t last_offset = -1;
    long last_line = 0;
    int r;

    /* Pass 1: the input, with small limits so that BM_ELIMIT is reachable. */
    bm_csv *c = bm_csv_open_mem(in, size, "fuzz", &small, &err);
    CHECK(c != NULL);
    while ((r = bm_csv_next(c, &rec, &err)) == BM_OK && rec.nfields > 0) {
        CHECK(rec.nfields <= MAX_FIELDS);
        CHECK(rec.offset > last_offset && rec.offset < (off_t)size);
        CHECK(rec.line > last_line && rec.line <= bm_csv_lines(c));
        CHECK(bm_csv_offset(c) > rec.offset && bm_csv_offset(c) <= (off_t)size);
        uint8_t quote[MAX_FIELDS];
        for (size_t i = 0; i < rec.nfields; i++) {
            const bm_slice *f = &rec.fields[i];
            if (!rec.quoted[i]) CHECK(f->p >= in && f->p + f->n <= in + size);
            quote[i] = rec.quoted[i] || needs_quotes(f, rec.nfields);
            if (i) put(&out, ",", 1);
            write_field(&out, f, quote[i]);
        }
        put(&out, nrec % 2 ? "\r\n" : "\n", nrec % 2 ? 2 : 1);
        expect_record(&flat, &rec, quote);
        last_offset = rec.offset;
        last_line = rec.line;
        nrec++;
    }
    if (r == BM_OK) {
        CHECK(bm_csv_offset(c) == (off_t)size);
    } else {
        CHECK(r == BM_EPARSE || r == BM_ELIMIT);
        CHECK(err.code == r && err.line > last_line && err.col >= 1);
        CHECK(strcmp(err.file, "fuzz") == 0);
        CHECK(bm_csv_next(c, &rec, &err) == r && rec.nfields == 0); /* errors are final */
    }
    bm_csv_close(c);

    /* Pass 2: what pass 1 returned, written back as CSV, must read back the same. */
    bm_csv_opts big = {.max_record = out.len + 1, .max_fields = MAX_FIELDS};
    size_t at = 0, nrec2 = 0;
    c = bm_csv_open_mem(out.data, out.len, NULL, &big, &err);
    CHECK(c != NULL);
    while ((r = bm_csv_next(c, &rec, &err)) == BM_OK && rec.nfields > 0) {
        match_record(&flat, &at, &rec);
        nrec2++;
    }
    CHECK(r == BM_OK && nrec2 == nrec && at == flat.len);
    CHECK(bm_csv_offset(c) == (off_t)out.len);
    bm_csv_close(c);

    bm_buf_release(&out);
    bm_buf_release(&flat);
    return 0;
}
