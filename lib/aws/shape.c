/* The service-model shape walker (see shape.h): validation of a jansson tree against static shape
 * tables, UTF-8 and UTF-16 counting as Java does, and member lookups. The SageMaker model it walks
 * is sagemaker_model.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/pynum.h"
#include "aws/shape.h"

#define PATH_CAP 512   /* working path buffer; err->path keeps the first 255 bytes */
#define QUOTE_BYTES 64 /* how much of an offending string a message quotes */
#define ENUM_SHOWN 6   /* long enums: how many values a message lists */

/* ================================================================================================
 * UTF-8 and character classes
 * ============================================================================================== */

/* Decodes the code point at s[0..n). Returns its length in bytes (1..4), or 0 when the bytes are
 * not well-formed UTF-8 (overlong forms, surrogates and values above U+10FFFF included). */
size_t bm__utf8_next(const char *str, size_t n, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0) return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t c, min;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2, c = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3, c = s[0] & 0x0F, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return len;
}

/* Length as Java's String.length() counts it: UTF-16 code units (malformed bytes count 1). */
static size_t utf16_len(const char *s, size_t n)
{
    size_t units = 0;
    while (n > 0) {
        uint32_t cp;
        size_t k = bm__utf8_next(s, n, &cp);
        if (k == 0) k = 1, cp = 0;
        units += cp >= 0x10000 ? 2 : 1;
        s += k;
        n -= k;
    }
    return units;
}

/* Java's line terminators, which "." does not match: \n \r U+0085 U+2028 U+2029. */
int bm__has_line_terminator(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == '\n' || c == '\r') return 1;
        if (c == 0xC2 && k + 1 < n && (unsigned char)s[k + 1] == 0x85) return 1;
        if (c == 0xE2 && k + 2 < n && (unsigned char)s[k + 1] == 0x80 &&
            ((unsigned char)s[k + 2] == 0xA8 || (unsigned char)s[k + 2] == 0xA9))
            return 1;
    }
    return 0;
}

/* 1 when every byte of s[0..n) is ASCII alphanumeric or in extra. */
int bm__all_in(const char *s, size_t n, const char *extra)
{
    for (size_t k = 0; k < n; k++)
        if (!bm__is_alnum(s[k]) && (s[k] == 0 || !strchr(extra, s[k]))) return 0;
    return 1;
}

int bm__is_local_uri(const char *s, size_t n)
{
    if (n == 0 || bm__has_line_terminator(s, n)) return 0;
    if (n >= 7 && memcmp(s, "file://", 7) == 0) return n > 7 && s[7] == '/';
    /* anything else with a scheme ("http://", "s3:/", "c:") is not a path we take */
    if (bm__is_alpha(s[0])) {
        size_t k = 1;
        while (k < n && (bm__is_alnum(s[k]) || s[k] == '+' || s[k] == '.' || s[k] == '-'))
            k++;
        if (k < n && s[k] == ':') return 0;
    }
    return 1;
}

/* ================================================================================================
 * Messages and paths
 * ============================================================================================== */

int bm__shape_fail(bm_error *err, const char *path, const char *fmt, ...)
{
    if (!err) return BM_ECONFIG;
    err->code = BM_ECONFIG;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    bm_error_at(err, NULL, err->line, err->col, path);
    return BM_ECONFIG;
}

/* Appends printf output to buf (capacity cap, current length len); returns the new length. */
static size_t put(char *buf, size_t cap, size_t len, const char *fmt, ...) BM_PRINTF(4, 5);
static size_t put(char *buf, size_t cap, size_t len, const char *fmt, ...)
{
    if (len + 1 >= cap) return len;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
    if (k < 0) return len;
    return (size_t)k >= cap - len ? cap - 1 : len + (size_t)k;
}

/* Writes s[0..n) as a JSON-style quoted string into buf, shortened to about QUOTE_BYTES bytes. */
static size_t put_quoted(char *buf, size_t cap, size_t len, const char *s, size_t n)
{
    len = put(buf, cap, len, "\"");
    size_t k = 0;
    while (k < n && k < QUOTE_BYTES) {
        unsigned char c = (unsigned char)s[k];
        if (c == '"' || c == '\\') {
            len = put(buf, cap, len, "\\%c", c);
        } else if (c == '\n') {
            len = put(buf, cap, len, "\\n");
        } else if (c < 0x20 || c == 0x7F) {
            len = put(buf, cap, len, "\\u%04x", c);
        } else if (c < 0x80) {
            len = put(buf, cap, len, "%c", c);
        } else {
            uint32_t cp;
            size_t m = bm__utf8_next(s + k, n - k, &cp);
            if (m == 0) {
                len = put(buf, cap, len, "\\x%02x", c);
            } else {
                len = put(buf, cap, len, "%.*s", (int)m, s + k);
                k += m;
                continue;
            }
        }
        k++;
    }
    return put(buf, cap, len, k < n ? "\"..." : "\"");
}

/* x as Python's json module would show it (its repr: "30.0", "0.1", "1e+16"). */
static size_t put_double(char *buf, size_t cap, size_t len, double x)
{
    char tmp[40];
    bm_py_float_repr(x, tmp, sizeof(tmp));
    return put(buf, cap, len, "%s", tmp);
}

/* Describes a JSON value for "(got ...)": scalars by value, containers by kind. */
static size_t put_got(char *buf, size_t cap, size_t len, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return put(buf, cap, len, "an object");
    case JSON_ARRAY:
        return put(buf, cap, len, "a list");
    case JSON_STRING:
        return put_quoted(buf, cap, len, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return put(buf, cap, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return put_double(buf, cap, len, json_real_value(v));
    case JSON_TRUE:
        return put(buf, cap, len, "true");
    case JSON_FALSE:
        return put(buf, cap, len, "false");
    case JSON_NULL:
        return put(buf, cap, len, "null");
    }
    return put(buf, cap, len, "a value");
}

static const char *expected_type(const bm__shape *sh)
{
    switch (sh->kind) {
    case BM__STRUCT:
        return "an object";
    case BM__STRING:
        return "a string";
    case BM__INTEGER:
        return "an integer";
    case BM__DOUBLE:
        return "a number";
    case BM__BOOLEAN:
        return "a boolean";
    case BM__TIMESTAMP:
        return "a number (epoch seconds)";
    case BM__LIST:
        return "a list";
    case BM__MAP:
        return "an object";
    }
    return "a value";
}

/* Appends a member or map key to a path: ".Name" when it is identifier-like, else ["name"]. */
static size_t path_push_key(char *path, size_t len, const char *key, size_t n)
{
    int ident = n > 0 && (bm__is_alpha(key[0]) || key[0] == '_') && bm__all_in(key, n, "_");
    if (ident) return put(path, PATH_CAP, len, ".%.*s", (int)n, key);
    len = put(path, PATH_CAP, len, "[");
    len = put_quoted(path, PATH_CAP, len, key, n);
    return put(path, PATH_CAP, len, "]");
}

static int fail_type(const bm__shape *sh, json_t *v, const char *path, bm_error *err)
{
    char got[160];
    put_got(got, sizeof(got), 0, v);
    return bm__shape_fail(err, path, "must be %s (got %s)", expected_type(sh), got);
}

/* ================================================================================================
 * The walker
 * ============================================================================================== */

static int validate(const bm__shape *sh, json_t *v, char *path, size_t plen, bm_error *err);

/* Checks a string value (or map key) s[0..n) against a string shape; what prefixes the message. */
static int check_string(const bm__shape *sh, const char *s, size_t n, const char *what,
                        const char *path, bm_error *err)
{
    char msg[400];
    size_t len = put(msg, sizeof(msg), 0, "%s", what);
    if (memchr(s, 0, n))
        return bm__shape_fail(err, path, "%smust not contain NUL characters", what);
    if (sh->enums) {
        size_t count = 0;
        for (const char *const *e = sh->enums; *e; e++, count++)
            if (strlen(*e) == n && memcmp(*e, s, n) == 0) return BM_OK;
        if (count > ENUM_SHOWN)
            len = put(msg, sizeof(msg), len, "must be one of the %zu %s values (", count, sh->name);
        else
            len = put(msg, sizeof(msg), len, "must be one of: ");
        for (size_t k = 0; k < count && k < ENUM_SHOWN; k++)
            len = put(msg, sizeof(msg), len, "%s%s", k ? ", " : "", sh->enums[k]);
        if (count > ENUM_SHOWN) len = put(msg, sizeof(msg), len, ", ...)");
        len = put(msg, sizeof(msg), len, " (got ");
        len = put_quoted(msg, sizeof(msg), len, s, n);
        put(msg, sizeof(msg), len, ")");
        return bm__shape_fail(err, path, "%s", msg);
    }
    size_t units = utf16_len(s, n);
    if (units < sh->min_len)
        return bm__shape_fail(err, path, "%smust be at least %zu character%s long (got %zu)", what,
                              sh->min_len, sh->min_len == 1 ? "" : "s", units);
    if (sh->max_len && units > sh->max_len)
        return bm__shape_fail(err, path, "%smust be at most %zu character%s long (got %zu)", what,
                              sh->max_len, sh->max_len == 1 ? "" : "s", units);
    int matched = sh->pattern ? sh->pattern->match(s, n) : 1;
    if (matched < 0) return bm_error_set(err, BM_ENOMEM, "out of memory");
    if (!matched) {
        int local = (sh->flags & BM__LOCAL_URI) != 0;
        if (local && bm__is_local_uri(s, n)) return BM_OK;
        len = put(msg, sizeof(msg), len, "must match %s", sh->pattern->text);
        if (local) len = put(msg, sizeof(msg), len, ", or be a file:/// URI or a local path");
        len = put(msg, sizeof(msg), len, " (got ");
        len = put_quoted(msg, sizeof(msg), len, s, n);
        put(msg, sizeof(msg), len, ")");
        return bm__shape_fail(err, path, "%s", msg);
    }
    return BM_OK;
}

static size_t put_number_bound(char *buf, size_t cap, size_t len, double x)
{
    if (x > -1e15 && x < 1e15 && x == (double)(long long)x)
        return put(buf, cap, len, "%lld", (long long)x);
    return put_double(buf, cap, len, x);
}

static int check_number(const bm__shape *sh, json_t *v, const char *path, bm_error *err)
{
    double x = json_number_value(v);
    int below =
        sh->has_min && (json_is_integer(v) ? (double)json_integer_value(v) < sh->min : x < sh->min);
    int above =
        sh->has_max && (json_is_integer(v) ? (double)json_integer_value(v) > sh->max : x > sh->max);
    if (!below && !above) return BM_OK;
    char msg[200];
    size_t len = 0;
    if (sh->has_min && sh->has_max) {
        len = put(msg, sizeof(msg), len, "must be between ");
        len = put_number_bound(msg, sizeof(msg), len, sh->min);
        len = put(msg, sizeof(msg), len, " and ");
        len = put_number_bound(msg, sizeof(msg), len, sh->max);
    } else {
        len = put(msg, sizeof(msg), len, below ? "must be at least " : "must be at most ");
        len = put_number_bound(msg, sizeof(msg), len, below ? sh->min : sh->max);
    }
    len = put(msg, sizeof(msg), len, " (got ");
    len = put_got(msg, sizeof(msg), len, v);
    put(msg, sizeof(msg), len, ")");
    return bm__shape_fail(err, path, "%s", msg);
}

/* Checks a list or map size; one/many name the unit ("item"/"items"). */
static int check_count(size_t count, size_t min, size_t max, const char *one, const char *many,
                       const char *path, bm_error *err)
{
    if (min == max && count != min)
        return bm__shape_fail(err, path, "must have exactly %zu %s (got %zu)", min,
                              min == 1 ? one : many, count);
    if (count < min)
        return bm__shape_fail(err, path, "must have at least %zu %s (got %zu)", min,
                              min == 1 ? one : many, count);
    if (max && count > max)
        return bm__shape_fail(err, path, "must have at most %zu %s (got %zu)", max,
                              max == 1 ? one : many, count);
    return BM_OK;
}

static const bm__member *find_member(const bm__shape *sh, const char *name)
{
    for (const bm__member *m = sh->members; m && m->name; m++)
        if (strcmp(m->name, name) == 0) return m;
    return NULL;
}

static int validate_struct(const bm__shape *sh, json_t *v, char *path, size_t plen, bm_error *err)
{
    const char *key;
    json_t *val;
    int r;
    json_object_foreach(v, key, val)
    {
        if (find_member(sh, key)) continue;
        char msg[400];
        size_t len = put(msg, sizeof(msg), 0, "unknown member (expected ");
        if (!sh->members || !sh->members[0].name)
            len = put(msg, sizeof(msg), len, "no members");
        else
            len = put(msg, sizeof(msg), len, "one of: ");
        for (const bm__member *m = sh->members; m && m->name; m++)
            len = put(msg, sizeof(msg), len, "%s%s", m == sh->members ? "" : ", ", m->name);
        put(msg, sizeof(msg), len, ")");
        path_push_key(path, plen, key, strlen(key));
        return bm__shape_fail(err, path, "%s", msg);
    }
    for (const bm__member *m = sh->members; m && m->name; m++) {
        val = json_object_get(v, m->name);
        size_t sub = path_push_key(path, plen, m->name, strlen(m->name));
        if (!val || json_is_null(val)) {
            if (m->required)
                return bm__shape_fail(err, path, "missing required member (expected %s)",
                                      expected_type(m->shape));
        } else if ((r = validate(m->shape, val, path, sub, err)) != BM_OK) {
            return r;
        }
        path[plen] = 0;
    }
    if (sh->one_of) {
        size_t total = 0, set = 0;
        const char *first = NULL, *second = NULL;
        for (const char *const *name = sh->one_of; *name; name++, total++) {
            val = json_object_get(v, *name);
            if (!val || json_is_null(val)) continue;
            if (set == 0)
                first = *name;
            else if (set == 1)
                second = *name;
            set++;
        }
        if (set != 1) {
            char msg[400];
            size_t len = put(msg, sizeof(msg), 0, "exactly one of ");
            for (size_t k = 0; k < total; k++)
                len = put(msg, sizeof(msg), len, "%s%s",
                          k == 0           ? ""
                          : k + 1 == total ? " and "
                                           : ", ",
                          sh->one_of[k]);
            len = put(msg, sizeof(msg), len, " is required (got ");
            if (set == 0)
                len = put(msg, sizeof(msg), len, total == 2 ? "neither" : "none");
            else if (set == total && total == 2)
                len = put(msg, sizeof(msg), len, "both");
            else
                len = put(msg, sizeof(msg), len, "%s and %s%s", first, second,
                          set > 2 ? ", ..." : "");
            put(msg, sizeof(msg), len, ")");
            return bm__shape_fail(err, path, "%s", msg);
        }
    }
    return BM_OK;
}

static int validate_list(const bm__shape *sh, json_t *v, char *path, size_t plen, bm_error *err)
{
    int r =
        check_count(json_array_size(v), sh->min_items, sh->max_items, "item", "items", path, err);
    if (r) return r;
    size_t k;
    json_t *item;
    json_array_foreach(v, k, item)
    {
        size_t sub = put(path, PATH_CAP, plen, "[%zu]", k);
        if ((r = validate(sh->member, item, path, sub, err)) != BM_OK) return r;
        path[plen] = 0;
    }
    return BM_OK;
}

static int validate_map(const bm__shape *sh, json_t *v, char *path, size_t plen, bm_error *err)
{
    int r = check_count(json_object_size(v), sh->min_items, sh->max_items, "entry", "entries", path,
                        err);
    if (r) return r;
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val)
    {
        size_t sub = path_push_key(path, plen, key, strlen(key));
        if (sh->key && (r = check_string(sh->key, key, strlen(key), "key ", path, err)) != BM_OK)
            return r;
        if ((r = validate(sh->member, val, path, sub, err)) != BM_OK) return r;
        path[plen] = 0;
    }
    return BM_OK;
}

static int validate(const bm__shape *sh, json_t *v, char *path, size_t plen, bm_error *err)
{
    int r = BM_OK;
    switch (sh->kind) {
    case BM__STRUCT:
        if (!json_is_object(v)) return fail_type(sh, v, path, err);
        r = validate_struct(sh, v, path, plen, err);
        break;
    case BM__STRING:
        if (!json_is_string(v)) return fail_type(sh, v, path, err);
        r = check_string(sh, json_string_value(v), json_string_length(v), "", path, err);
        break;
    case BM__INTEGER:
        if (!json_is_integer(v)) return fail_type(sh, v, path, err);
        r = check_number(sh, v, path, err);
        break;
    case BM__DOUBLE:
    case BM__TIMESTAMP:
        if (!json_is_number(v)) return fail_type(sh, v, path, err);
        r = check_number(sh, v, path, err);
        break;
    case BM__BOOLEAN:
        if (!json_is_boolean(v)) return fail_type(sh, v, path, err);
        break;
    case BM__LIST:
        if (!json_is_array(v)) return fail_type(sh, v, path, err);
        r = validate_list(sh, v, path, plen, err);
        break;
    case BM__MAP:
        if (!json_is_object(v)) return fail_type(sh, v, path, err);
        r = validate_map(sh, v, path, plen, err);
        break;
    }
    if (r == BM_OK && sh->check) r = sh->check(v, path, err);
    return r;
}

int bm_shape_validate(const bm__shape *shape, json_t *v, const char *path, bm_error *err)
{
    char buf[PATH_CAP];
    size_t len = put(buf, sizeof(buf), 0, "%s", path ? path : "$");
    if (!v) return bm__shape_fail(err, buf, "missing (expected %s)", expected_type(shape));
    return validate(shape, v, buf, len, err);
}

/* ================================================================================================
 * Lookups in a validated tree
 * ============================================================================================== */

json_t *bm_json_get(json_t *root, const char *path)
{
    json_t *v = root;
    const char *p = path;
    while (v && *p) {
        if (*p == '[') {
            size_t idx = 0;
            for (p++; bm__is_digit(*p) && idx < 100000000; p++)
                idx = idx * 10 + (size_t)(*p - '0');
            if (*p != ']') return NULL;
            p++;
            v = json_is_array(v) ? json_array_get(v, idx) : NULL;
        } else {
            if (*p == '.') p++;
            size_t n = strcspn(p, ".[");
            v = json_is_object(v) ? json_object_getn(v, p, n) : NULL;
            p += n;
        }
        if (json_is_null(v)) v = NULL;
    }
    return v;
}

const char *bm_json_string(json_t *root, const char *path)
{
    return json_string_value(bm_json_get(root, path));
}
