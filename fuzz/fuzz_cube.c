/* Fuzz target for bm_cube_read: malformed cubes are errors; accepted ones analyze and round-trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/bias.h"
#include "biasmon/config.h"
#include "biasmon/jsonw.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

/* The plan every input is read against (the seeds in corpus/cube/ were written for it): a
 * value facet, a one-vs-all facet, a group variable, every metric including the flip test. */
static const char config[] =
    "{\"label\": \"y\", \"label_values_or_threshold\": [\"p\"],"
    " \"facet\": [{\"name_or_index\": \"sex\", \"value_or_threshold\": [\"F\"]},"
    "             {\"name_or_index\": \"region\"}],"
    " \"group_variable\": \"grp\", \"predicted_label\": \"yhat\"}";
static const char *const colnames[] = {"sex", "region", "grp", "x", "y", "yhat"};

static bm_analysis_config cfg;
static bm_plan *plan;

static void setup(void)
{
    bm_error e;
    CHECK(bm_analysis_config_parse(config, sizeof(config) - 1, NULL, &cfg, &e) == BM_OK);
    CHECK(bm_plan_new(&cfg, colnames, sizeof(colnames) / sizeof(colnames[0]), &plan, &e) == BM_OK);
}

static char *write_cube(const bm_cube *c)
{
    bm_buf b;
    bm_buf_init(&b, (size_t)256 << 20);
    CHECK(bm_cube_write(c, &b) == BM_OK);
    char *s = bm_buf_take(&b, NULL);
    CHECK(s);
    return s;
}

static char *analysis_text(const bm_cube *c)
{
    json_t *j = NULL;
    bm_error e;
    CHECK(bm_cube_analyze(c, 1, &j, &e) == BM_OK);
    bm_buf b;
    bm_buf_init(&b, (size_t)256 << 20);
    CHECK(bm_json_write(j, 0, &b) == BM_OK);
    json_decref(j);
    char *s = bm_buf_take(&b, NULL);
    CHECK(s);
    return s;
}

/* The input is "<anything>\n<cube>" (or NUL instead of the newline): the first part is
 * ignored, so seeds can carry a name. Without a separator the whole input is the cube. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!plan) setup();
    const char *text = (const char *)data;
    size_t len = size;
    for (size_t k = 0; k < size; k++)
        if (data[k] == '\n' || data[k] == 0) {
            text = (const char *)data + k + 1;
            len = size - k - 1;
            break;
        }
    bm_cube *c = NULL;
    bm_error e;
    int r = bm_cube_read(plan, text, len, &c, &e);
    if (r != BM_OK) {
        CHECK(r == BM_EPARSE && c == NULL && e.code == r);
        return 0;
    }
    CHECK(c);
    char *a1 = analysis_text(c);
    /* whatever was accepted serializes, reads back, and serializes the same way again */
    char *w1 = write_cube(c);
    bm_cube *c2 = NULL;
    CHECK(bm_cube_read(plan, w1, strlen(w1), &c2, &e) == BM_OK);
    char *w2 = write_cube(c2);
    CHECK(strcmp(w1, w2) == 0);
    char *a2 = analysis_text(c2);
    CHECK(strcmp(a1, a2) == 0);
    /* and merges into an empty cube without changing its analysis */
    bm_cube *m = bm_cube_new(plan);
    CHECK(m);
    CHECK(bm_cube_merge(m, c, &e) == BM_OK);
    CHECK(bm_cube_rows(m) == bm_cube_rows(c));
    char *a3 = analysis_text(m);
    CHECK(strcmp(a1, a3) == 0);
    bm_free(a3);
    bm_free(a1);
    bm_free(a2);
    bm_free(w1);
    bm_free(w2);
    bm_cube_free(c2);
    bm_cube_free(m);
    bm_cube_free(c);
    return 0;
}
