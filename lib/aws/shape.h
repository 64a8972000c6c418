/* Service-model shapes: a table-driven validator for AWS JSON request bodies (internal to lib/aws;
 * other modules use include/biasmon/sagemaker.h). */
#ifndef BIASMON_AWS_SHAPE_H
#define BIASMON_AWS_SHAPE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "biasmon/common.h"
#include "biasmon/sagemaker.h"

/*
 * A bm__shape (the public, opaque bm_shape) mirrors one shape of an AWS service model (botocore's
 * service-2.json): its type and the constraint traits the service enforces. Shapes are static const
 * tables that point at each other; bm_shape_validate() (biasmon/sagemaker.h) walks a jansson tree
 * against them and stops at the first violation, filling err (BM_ECONFIG) with the JSON path of the
 * offending member ("$.A.B[0].C") and a message saying what is expected. Validation allocates
 * nothing.
 *
 * Semantics, chosen to match what the service does:
 *  - patterns are matched against the whole value (the service rejects "\"a\"" for [a-z]+);
 *    Java's "." does not match line terminators (\n \r U+0085 U+2028 U+2029), so neither do ours;
 *  - lengths count UTF-16 code units, as Java's String.length() does;
 *  - a member whose value is JSON null counts as absent;
 *  - unknown members are errors (biasmon is stricter than the service, which ignores them);
 *  - strings containing NUL are rejected (biasmon hands them on as C strings).
 * The first problem found is reported: unknown members of an object before its declared members,
 * declared members in table order, then the one_of group, then the check hook.
 */

typedef enum bm__shape_kind {
    BM__STRUCT,    /* JSON object with declared members */
    BM__STRING,    /* JSON string */
    BM__INTEGER,   /* JSON integer (a number with a fraction or exponent is rejected) */
    BM__DOUBLE,    /* any JSON number */
    BM__BOOLEAN,   /* true or false */
    BM__TIMESTAMP, /* JSON number, epoch seconds (the JSON protocol's default timestamp format) */
    BM__LIST,      /* JSON array of member */
    BM__MAP,       /* JSON object: keys validated against key, values against member */
} bm__shape_kind;

/* A pattern trait: the model's regex (shown in messages) and a hand-written full-match test. */
typedef struct bm__pattern {
    const char *text;
    int (*match)(const char *s, size_t n); /* 1 when all of s[0..n) matches text, 0 when not,
                                            * -1 when memory ran out */
} bm__pattern;

typedef struct bm_shape bm__shape;

typedef struct bm__member {
    const char *name; /* NULL ends a member table */
    const bm__shape *shape;
    int required;
} bm__member;

/* A semantic check run after v passed every declarative check of its shape. path is v's JSON
 * path; report problems with bm__shape_fail(). Returns BM_OK or the error code. */
typedef int (*bm__check_fn)(json_t *v, const char *path, bm_error *err);

/* Flags for strings. */
enum {
    /* biasmon extension for URI members: besides the pattern, accept a file:/// URI or a local
     * absolute or relative path (no scheme prefix, no line terminators). */
    BM__LOCAL_URI = 1u << 0,
};

struct bm_shape {
    bm__shape_kind kind;
    const char *name; /* the service model's shape name (messages, documentation) */
    /* BM__STRING */
    size_t min_len, max_len;    /* UTF-16 code units; max_len 0 = unbounded */
    const bm__pattern *pattern; /* NULL: any string */
    const char *const *enums;   /* NULL-terminated allowed values; NULL: not an enum */
    unsigned flags;             /* BM__LOCAL_URI */
    /* BM__INTEGER, BM__DOUBLE, BM__TIMESTAMP: inclusive range, each end only when has_* is set */
    int has_min, has_max;
    double min, max;
    /* BM__STRUCT */
    const bm__member *members; /* terminated by {NULL} */
    const char *const *one_of; /* NULL-terminated member names of which exactly one must be set */
    /* BM__LIST (member = items), BM__MAP (key = keys, a BM__STRING; member = values) */
    const bm__shape *member;
    const bm__shape *key;
    size_t min_items, max_items; /* max_items 0 = unbounded */
    /* any kind */
    bm__check_fn check; /* NULL: none */
};

/* Initializers for the common shapes: a string with a UTF-16 length range and a pattern; a URI
 * member (also a local path or file:// URI, biasmon's storage); an integer range. */
#define BM__SHAPE_STRING(shape_name, lo, hi, pat)                                                  \
    {                                                                                              \
        .kind = BM__STRING, .name = shape_name, .min_len = lo, .max_len = hi, .pattern = pat       \
    }
#define BM__SHAPE_URI(shape_name, hi, pat)                                                         \
    {                                                                                              \
        .kind = BM__STRING, .name = shape_name, .max_len = hi, .pattern = pat,                     \
        .flags = BM__LOCAL_URI                                                                     \
    }
#define BM__SHAPE_INTEGER(shape_name, lo, hi)                                                      \
    {                                                                                              \
        .kind = BM__INTEGER, .name = shape_name, .has_min = 1, .min = lo, .has_max = 1, .max = hi  \
    }

/* Sets err to BM_ECONFIG at path with a formatted message; returns BM_ECONFIG. */
int bm__shape_fail(bm_error *err, const char *path, const char *fmt, ...) BM_PRINTF(3, 4);

/* UTF-8 and character classes shared by the walker and the model's pattern matchers. */
/* Decodes the code point at s[0..n): its length in bytes (1..4), or 0 when the bytes are not
 * well-formed UTF-8 (overlong forms, surrogates and values above U+10FFFF included). */
size_t bm__utf8_next(const char *s, size_t n, uint32_t *cp);
/* 1 when s[0..n) holds one of Java's line terminators (\n \r U+0085 U+2028 U+2029). */
int bm__has_line_terminator(const char *s, size_t n);
/* 1 when every byte of s[0..n) is ASCII alphanumeric or in extra (a NUL never is). */
int bm__all_in(const char *s, size_t n, const char *extra);
static inline int bm__is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static inline int bm__is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline int bm__is_alnum(char c)
{
    return bm__is_alpha(c) || bm__is_digit(c);
}

/* ---- patterns of the SageMaker model (sagemaker_model.c), shared by its operations ---- */
extern const bm__pattern bm__pat_resource_name; /* [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} */
extern const bm__pattern bm__pat_s3_uri;        /* (https|s3)://([^/]+)/?(.*) */
extern const bm__pattern bm__pat_dest_s3_uri;   /* (https|s3)://([^/])/?(.*) */
extern const bm__pattern bm__pat_line;          /* .* */
extern const bm__pattern bm__pat_kms_key_id;    /* [a-zA-Z0-9:/_-]* */
extern const bm__pattern bm__pat_vpc_id;        /* [-0-9a-zA-Z]+ */
extern const bm__pattern bm__pat_env_key;       /* [a-zA-Z_][a-zA-Z0-9_]* */
extern const bm__pattern bm__pat_time_offset;   /* .?P.* */
extern const bm__pattern bm__pat_role_arn;      /* arn:aws[a-z\-]*:iam::\d{12}:role/?[...]+ */
extern const bm__pattern bm__pat_tag;           /* ([\p{L}\p{Z}\p{N}_.:/=+\-@]*) */

/* 1 when s[0..n) is acceptable as biasmon local storage: file:///path or a path without scheme. */
int bm__is_local_uri(const char *s, size_t n);

/* ---- SageMaker shapes used outside sagemaker_model.c (job_definition.c) ---- */
extern const bm__shape bm__shape_create_model_bias_job_definition; /* the whole request */

#endif
