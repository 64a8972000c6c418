/* JSON text the way Python's json module writes it (key order kept, Python's float repr). */
#include <math.h>
#include <string.h>
#include "biasmon/pynum.h"
#include "biasmon/jsonw.h"

static int write_string(bm_buf *out, const char *s, size_t n)
{
    int r = bm_buf_putc(out, '"');
    for (size_t k = 0; !r && k < n; k++) {
        unsigned char ch = (unsigned char)s[k];
        switch (ch) {
        case '"':
            r = bm_buf_puts(out, "\\\"");
            break;
        case '\\':
            r = bm_buf_puts(out, "\\\\");
            break;
        case '\n':
            r = bm_buf_puts(out, "\\n");
            break;
        case '\r':
            r = bm_buf_puts(out, "\\r");
            break;
        case '\t':
            r = bm_buf_puts(out, "\\t");
            break;
        case '\b':
            r = bm_buf_puts(out, "\\b");
            break;
        case '\f':
            r = bm_buf_puts(out, "\\f");
            break;
        default:
            if (ch < 0x20)
                r = bm_buf_printf(out, "\\u%04x", ch);
            else
                r = bm_buf_putc(out, (char)ch);
        }
    }
    return r ? r : bm_buf_putc(out, '"');
}

static int newline(bm_buf *out, int indent, int depth)
{
    if (!indent) return BM_OK;
    int r = bm_buf_putc(out, '\n');
    for (int k = 0; !r && k < indent * depth; k++)
        r = bm_buf_putc(out, ' ');
    return r;
}

static int write_value(json_t *v, int indent, int depth, bm_buf *out)
{
    int r = BM_OK;
    if (depth > 256) return BM_ELIMIT;
    switch (json_typeof(v)) {
    case JSON_NULL:
        return bm_buf_puts(out, "null");
    case JSON_TRUE:
        return bm_buf_puts(out, "true");
    case JSON_FALSE:
        return bm_buf_puts(out, "false");
    case JSON_INTEGER:
        return bm_buf_printf(out, "%lld", (long long)json_integer_value(v));
    case JSON_REAL: {
        double x = json_real_value(v);
        char tmp[64];
        if (isnan(x)) return bm_buf_puts(out, "NaN");
        if (isinf(x)) return bm_buf_puts(out, x > 0 ? "Infinity" : "-Infinity");
        bm_py_float_repr(x, tmp, sizeof(tmp));
        return bm_buf_puts(out, tmp);
    }
    case JSON_STRING:
        return write_string(out, json_string_value(v), json_string_length(v));
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (!n) return bm_buf_puts(out, "[]");
        r = bm_buf_putc(out, '[');
        for (size_t k = 0; !r && k < n; k++) {
            if (k) r = bm_buf_putc(out, ',');
            if (!r) r = indent ? newline(out, indent, depth + 1) : (k ? bm_buf_putc(out, ' ') : 0);
            if (!r) r = write_value(json_array_get(v, k), indent, depth + 1, out);
        }
        if (!r) r = newline(out, indent, depth);
        return r ? r : bm_buf_putc(out, ']');
    }
    case JSON_OBJECT: {
        if (!json_object_size(v)) return bm_buf_puts(out, "{}");
        r = bm_buf_putc(out, '{');
        const char *key;
        json_t *val;
        int first = 1;
        json_object_foreach(v, key, val)
        {
            if (r) break;
            if (!first) r = bm_buf_putc(out, ',');
            if (!r)
                r = indent ? newline(out, indent, depth + 1) : (!first ? bm_buf_putc(out, ' ') : 0);
            first = 0;
            if (!r) r = write_string(out, key, strlen(key));
            if (!r) r = bm_buf_puts(out, ": ");
            if (!r) r = write_value(val, indent, depth + 1, out);
        }
        if (!r) r = newline(out, indent, depth);
        return r ? r : bm_buf_putc(out, '}');
    }
    }
    return BM_EINTERNAL;
}

int bm_json_write(json_t *v, int indent, bm_buf *out)
{
    return write_value(v, indent, 0, out);
}
