/* What analyze and execute tell a person at the end (a summary) or a program (--json). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "biasmon/jsonw.h"
#include "biasmon/reportdoc.h"
#include "biasmon/store.h"
#include "cli.h"

/* An object read back from the store, or NULL when it is absent or not JSON. */
static json_t *load(const char *dir, const char *name)
{
    char uri[4200];
    bm_buf b;
    bm_error e;
    json_t *v = NULL;
    if (bm_uri_join(dir, name, uri, sizeof(uri))) return NULL;
    bm_buf_init(&b, (size_t)256 << 20);
    if (!bm_store_read(uri, b.max, &b, &e)) v = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    bm_buf_release(&b);
    return v;
}

int bm_cli_summary_wanted(int flag)
{
    return flag || isatty(STDOUT_FILENO);
}

void bm_cli_summary(const char *dir, const char *baseline_uri, json_t *account, const char *report,
                    int as_json)
{
    bm_buf out;
    bm_buf_init(&out, (size_t)64 << 20);
    char path[4200] = "";
    if (report && bm_uri_join(dir, report, path, sizeof(path))) path[0] = 0;
    if (as_json) {
        json_t *o = json_deep_copy(account);
        if (o && (json_object_set_new(o, "output", json_string(dir)) ||
                  json_object_set_new(o, "report", path[0] ? json_string(path) : json_null()))) {
            json_decref(o);
            o = NULL;
        }
        if (o && !bm_json_write(o, 2, &out))
            printf("%s\n", out.data);
        else
            fprintf(stderr, "biasmon: out of memory writing the summary\n");
        json_decref(o);
        bm_buf_release(&out);
        return;
    }
    json_t *analysis = load(dir, "analysis.json");
    json_t *violations = load(dir, "constraint_violations.json");
    json_t *baseline = NULL;
    if (baseline_uri) {
        bm_buf b;
        bm_error e;
        bm_buf_init(&b, (size_t)64 << 20);
        if (!bm_store_read(baseline_uri, b.max, &b, &e))
            baseline = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
        bm_buf_release(&b);
    }
    bm_report_input in = {NULL, analysis, baseline, violations, account, NULL};
    if (analysis && !bm_report_text(&in, &out)) fputs(out.data ? out.data : "", stdout);
    if (path[0]) printf("report: %s\n", path);
    fflush(stdout);
    json_decref(analysis);
    json_decref(violations);
    json_decref(baseline);
    bm_buf_release(&out);
}
