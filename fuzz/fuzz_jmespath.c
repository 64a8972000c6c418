/* Fuzz target for the JMESPath subset: "<expression>\n<JSON document>" per input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/jmespath.h"

/* Values in v counted with multiplicity; results may never exceed their input. */
static size_t count_values(json_t *v)
{
    size_t n = 1, i;
    const char *key;
    json_t *el;
    if (json_is_array(v)) {
        json_array_foreach(v, i, el) n += count_values(el);
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, el) n += count_values(el);
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t elen = nl ? (size_t)(nl - data) : size;
    char *expr = bm_strndup((const char *)data, elen); /* stops at an embedded NUL, as C does */
    if (!expr) return 0;
    bm_error err;
    bm_error_clear(&err);
    bm_jmespath *e = bm_jmespath_compile(expr, &err);
    if (!e) {
        if (err.code != BM_EPARSE || !err.msg[0]) abort();
    } else if (strcmp(bm_jmespath_source(e), expr) != 0) {
        abort();
    }
    if (e && nl) {
        json_error_t jerr;
        json_t *doc = json_loadb((const char *)nl + 1, size - elen - 1, JSON_DECODE_ANY, &jerr);
        if (doc) {
            json_t *r = bm_jmespath_eval(e, doc);
            if (!r || count_values(r) > count_values(doc)) abort();
            json_decref(r);
            /* true, false and null are singletons without a count */
            if ((json_is_array(doc) || json_is_object(doc)) && doc->refcount != 1) abort();
            json_decref(doc);
        }
    }
    bm_jmespath_free(e);
    bm_free(expr);
    return 0;
}
