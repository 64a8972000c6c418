/* Fuzz target for the analysis config parser: parse, then plan, fill and analyze a small table. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/bias.h"
#include "biasmon/config.h"
#include "biasmon/jsonw.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

#define NCOLS 10
#define NROWS 10

/* Column names the golden configs use, and a table that mixes ints, floats, strings, bools
 * and empty cells. */
static const char *const colnames[NCOLS] = {"y",   "yhat",   "sex",   "grp",    "f",
                                            "age", "income", "score", "region", "x"};
static const char *const table[NCOLS][NROWS] = {
    {"1", "0", "1", "1", "0", "0", "1", "0", "", "1"},
    {"1", "1", "0", "1", "0", "1", "0", "0", "1", "0"},
    {"F", "M", "M", "F", "", "M", "F", "M", "F", "M"},
    {"1", "2", "1", "2", "1", "2", "1", "2", "1", "2"},
    {"A", "B", "A", "C", "B", "A", "", "B", "True", "C"},
    {"21", "35", "47", "52", "33", "28", "61", "40", "39", "45"},
    {"10.5", "55.5", "20.0", "81.4", "", "33.3", "70.1", "45.0", "60.2", "inf"},
    {"0.9", "0.1", "0.7", "0.75", "0.2", "0.5", "0.95", "0.05", "0.6", "0.8"},
    {"north", "south", "east", "west", "north", "south", "east", "", "west", "north"},
    {"1.0", "2.0", "3.0", "4.0", "5.0", "6.0", "7.0", "8.0", "9.0", "10.0"},
};

static void use_values(const bm_value *v, size_t n)
{
    char out[64];
    for (size_t k = 0; k < n; k++) {
        size_t len = bm_value_str(&v[k], out, sizeof(out));
        CHECK(strlen(out) == (len < sizeof(out) ? len : sizeof(out) - 1));
        if (v[k].kind == BM_VAL_STR) CHECK(v[k].s && strlen(v[k].s) <= v[k].slen);
    }
}

/* Plans the config against the fixed columns (or its own headers) and analyzes the table. */
static void run_config(const bm_analysis_config *c)
{
    const char *const *names = colnames;
    size_t ncols = NCOLS;
    if (c->headers && c->nheaders >= 1 && c->nheaders <= NCOLS) {
        names = (const char *const *)c->headers;
        ncols = c->nheaders;
    }
    bm_plan *plan = NULL;
    bm_error e;
    int r = bm_plan_new(c, names, ncols, &plan, &e);
    if (r != BM_OK) {
        CHECK(r == BM_ECONFIG && plan == NULL && e.path[0] == '$');
        return;
    }
    bm_cube *cube = bm_cube_new(plan);
    CHECK(cube);
    bm_cell cells[NCOLS];
    for (size_t row = 0; row < NROWS; row++) {
        for (size_t k = 0; k < ncols; k++) {
            bm_slice s = {table[k][row], strlen(table[k][row])};
            bm_cell_from_csv(s, &cells[k]);
        }
        CHECK(bm_cube_add(cube, cells, &e) == BM_OK);
    }
    json_t *out = NULL;
    CHECK(bm_cube_analyze(cube, 1, &out, &e) == BM_OK);
    bm_buf b;
    bm_buf_init(&b, (size_t)16 << 20);
    CHECK(bm_json_write(out, 2, &b) == BM_OK);
    bm_buf_release(&b);
    json_decref(out);
    bm_cube_free(cube);
    bm_plan_free(plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bm_analysis_config c;
    bm_error e;
    int r = bm_analysis_config_parse((const char *)data, size, "fuzz.json", &c, &e);
    char msg[1024];
    bm_error_format(&e, msg, sizeof(msg));
    CHECK(e.code == r);
    if (r != BM_OK) {
        CHECK(r == BM_EPARSE || r == BM_ECONFIG);
        if (r == BM_ECONFIG) CHECK(e.path[0] == '$');
        if (r == BM_EPARSE) CHECK(e.path[0] == 0 && e.line >= 0);
        CHECK(c.facets == NULL && c.label_values == NULL && c.headers == NULL);
        return 0;
    }
    CHECK(c.label.set && c.nlabel_values > 0 && c.label_values);
    CHECK(c.nfacets > 0 && c.facets);
    CHECK(c.pre_requested || c.post_requested);
    CHECK(c.pre_mask < (1u << BM_PRE_COUNT) && c.post_mask < (1u << BM_POST_COUNT));
    use_values(c.label_values, c.nlabel_values);
    for (size_t f = 0; f < c.nfacets; f++) {
        CHECK(c.facets[f].col.set);
        CHECK(c.facets[f].col.name || c.facets[f].col.index >= 0);
        CHECK((c.facets[f].nvalues == 0) == (c.facets[f].values == NULL));
        use_values(c.facets[f].values, c.facets[f].nvalues);
    }
    for (size_t k = 0; k < c.nheaders; k++)
        CHECK(c.headers[k]);
    for (size_t k = 0; k < c.nexcluded; k++)
        CHECK(c.excluded[k].set);
    run_config(&c);
    bm_analysis_config_release(&c);
    return 0;
}
