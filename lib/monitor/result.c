/* The channel from a worker to its scheduler: an execution's outcome as one small JSON file. */
#include <stdio.h>
#include <string.h>
#include "biasmon/execution.h"
#include "biasmon/file.h"
#include "biasmon/jsonw.h"
#include "biasmon/store.h"

#define MAX_RESULT (64u << 10) /* bytes in a result file: four members, the longest 4 KiB */

int bm_execution_result_write(const bm_execution_result *res, const char *path, bm_error *err)
{
    json_t *o = json_pack("{s:s,s:s,s:I,s:s}", "Status", bm_exec_status_name(res->status),
                          "FailureReason", res->failure_reason, "Violations",
                          (json_int_t)res->violations, "OutputUri", res->output_uri);
    bm_buf b;
    bm_buf_init(&b, MAX_RESULT);
    int rc = o ? bm_json_write(o, 2, &b) : BM_ENOMEM;
    if (!rc) rc = bm_buf_putc(&b, '\n');
    if (rc)
        rc = bm_error_set(err, rc, "cannot render the result for %s", path);
    else
        rc = bm_write_file_atomic(path, b.data, b.len, err);
    bm_buf_release(&b);
    json_decref(o);
    return rc;
}

static int bad(bm_error *err, const char *path, const char *member, const char *what)
{
    bm_error_set(err, BM_EDATA, "%s is not a result file: %s", path, what);
    bm_error_at(err, path, 0, 0, member);
    return BM_EDATA;
}

int bm_execution_result_read(const char *path, bm_execution_result *res, bm_error *err)
{
    memset(res, 0, sizeof(*res));
    res->status = BM_EXEC_FAILED;
    bm_buf text;
    bm_buf_init(&text, MAX_RESULT);
    int rc = bm_file_read(path, MAX_RESULT, &text, err);
    json_t *o = rc ? NULL : json_loadb(text.data ? text.data : "", text.len, 0, NULL);
    bm_buf_release(&text);
    if (rc) return rc;
    json_t *st = json_object_get(o, "Status"), *fr = json_object_get(o, "FailureReason");
    json_t *v = json_object_get(o, "Violations"), *out = json_object_get(o, "OutputUri");
    const char *s = json_string_value(st);
    if (!json_is_object(o))
        rc = bad(err, path, "$", "not a JSON object");
    else if (!s || (strcmp(s, "Completed") && strcmp(s, "CompletedWithViolations") &&
                    strcmp(s, "Failed")))
        rc = bad(err, path, "$.Status",
                 "Status must be Completed, CompletedWithViolations or Failed");
    else if (!json_is_string(fr) || json_string_length(fr) >= sizeof(res->failure_reason))
        rc = bad(err, path, "$.FailureReason",
                 "FailureReason must be a string of fewer than 1024 bytes");
    else if (!json_is_integer(v) || json_integer_value(v) < 0)
        rc = bad(err, path, "$.Violations", "Violations must be a count");
    else if (!json_is_string(out) || json_string_length(out) >= sizeof(res->output_uri))
        rc = bad(err, path, "$.OutputUri", "OutputUri must be a string of fewer than 4096 bytes");
    if (!rc) {
        res->status = !strcmp(s, "Completed") ? BM_EXEC_COMPLETED
                      : !strcmp(s, "Failed")  ? BM_EXEC_FAILED
                                              : BM_EXEC_COMPLETED_WITH_VIOLATIONS;
        memcpy(res->failure_reason, json_string_value(fr), json_string_length(fr) + 1);
        memcpy(res->output_uri, json_string_value(out), json_string_length(out) + 1);
        res->violations = (size_t)json_integer_value(v);
    }
    json_decref(o);
    return rc;
}
