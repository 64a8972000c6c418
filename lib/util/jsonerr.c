/* jansson parse errors as biasmon errors: where and what, never the text that was read. */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "biasmon/common.h"

const char *bm_json_error_what(const json_error_t *je, char *buf, size_t n)
{
    switch (json_error_code(je)) {
    case json_error_out_of_memory:
        return "out of memory";
    case json_error_stack_overflow:
        return "nested too deeply";
    case json_error_invalid_utf8:
        return "not UTF-8 text";
    case json_error_premature_end_of_input:
        return "the text ends inside a JSON value";
    case json_error_end_of_input_expected:
        return "text after the end of the JSON value";
    case json_error_null_character:
    case json_error_null_byte_in_key:
        return "a NUL character";
    case json_error_duplicate_key:
        return "a key appears twice in one object";
    case json_error_numeric_overflow:
        return "a number out of range";
    case json_error_invalid_syntax: {
        /* jansson's own words come before " near '<input>'"; its escape and control-character
         * messages carry input values, so those are named, not copied */
        const char *near = strstr(je->text, " near ");
        size_t l = near ? (size_t)(near - je->text) : strlen(je->text);
        if (memchr(je->text, '\\', l) || memchr(je->text, '0', l) ||
            !strncmp(je->text, "invalid Unicode", 15) ||
            !strncmp(je->text, "control character", 17) ||
            !strncmp(je->text, "unable to decode", 16) || !l)
            return "invalid JSON syntax";
        snprintf(buf, n, "%.*s", (int)l, je->text);
        return buf;
    }
    default:
        return "invalid JSON";
    }
}

int bm_json_error(bm_error *err, const char *file, const json_error_t *je)
{
    char buf[JSON_ERROR_TEXT_LENGTH];
    if (json_error_code(je) == json_error_out_of_memory)
        return bm_error_set(err, BM_ENOMEM, "out of memory");
    bm_error_at(err, file, je->line > 0 ? je->line : 0, je->column > 0 ? je->column : 0, NULL);
    return bm_error_set(err, BM_EPARSE, "invalid JSON: %s",
                        bm_json_error_what(je, buf, sizeof(buf)));
}
