/* A JMESPath subset over jansson values: a lexer, a Pratt parser into a node pool, an evaluator. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/jmespath.h"

/* The parser follows the reference implementation (jmespath.py): a top-down operator precedence
 * parser whose binding powers come from the specification's grammar. Nodes live in one pool and
 * refer to each other by index, so a failed compile is freed in one call. Sub-expressions,
 * index expressions and pipes all mean "apply the left side, then the right side to its result";
 * they become one CHAIN node whose steps run in a loop, so a long a.b.c.d | e keeps the tree flat.
 * Only projections and flattens nest, and both the parser's recursion and the tree's depth are
 * bounded by MAX_DEPTH, which bounds the evaluator's recursion too. */

#define MAX_EXPR_LEN 1024
#define MAX_DEPTH 64
#define NONE (-1)                    /* the identity: evaluates to its input ("@") */
#define NUM_LIMIT ((int64_t)1 << 62) /* numbers saturate here; no array is this long */
#define PROJECTION_STOP 10           /* tokens that bind less than this end a projection */

/* ==================================================================================== */
/* Tokens                                                                               */
/* ==================================================================================== */

enum tok {
    T_EOF,
    T_UNQUOTED, /* foo */
    T_QUOTED,   /* "foo bar" */
    T_NUMBER,   /* -?[0-9]+ */
    T_CURRENT,  /* @ */
    T_RBRACKET, /* ] */
    T_COLON,    /* : */
    T_PIPE,     /* | */
    T_FLATTEN,  /* [] (no space inside, as in the reference lexer) */
    T_STAR,     /* * */
    T_DOT,      /* . */
    T_LBRACKET, /* [ */
};

static const int binding_power[] = {
    [T_EOF] = 0,     [T_UNQUOTED] = 0, [T_QUOTED] = 0, [T_NUMBER] = 0,
    [T_CURRENT] = 0, [T_RBRACKET] = 0, [T_COLON] = 0,  [T_PIPE] = 1,
    [T_FLATTEN] = 9, [T_STAR] = 20,    [T_DOT] = 40,   [T_LBRACKET] = 55,
};

struct token {
    enum tok type;
    size_t pos;      /* byte offset of its first character in the source */
    size_t len;      /* bytes it spans in the source */
    int64_t num;     /* T_NUMBER, saturated at +-NUM_LIMIT */
    size_t name_off; /* identifiers: the decoded name is names[name_off, name_off + name_len) */
    size_t name_len;
};

/* ==================================================================================== */
/* Nodes                                                                                */
/* ==================================================================================== */

enum node_kind {
    N_FIELD,   /* value of a key in an object */
    N_INDEX,   /* element of an array, negative from the end */
    N_SLICE,   /* [start:stop:step] of an array */
    N_CHAIN,   /* steps applied one after another */
    N_PROJECT, /* right applied to each element of the array left yields */
    N_VALUES,  /* right applied to each value of the object left yields */
    N_FLATTEN, /* the array child yields, with nested arrays merged one level */
};

struct node {
    enum node_kind kind;
    int depth;    /* 1 for leaves; bounded by MAX_DEPTH */
    int32_t next; /* the following step when this node is a step of a chain, else NONE */
    union {
        struct {
            size_t off, len;
        } field;
        int64_t index;
        struct {
            int64_t start, stop, step;
            bool has_start, has_stop;
        } slice;
        struct {
            int32_t first, last;
        } chain;
        struct {
            int32_t left, right;
        } proj; /* N_PROJECT and N_VALUES */
        int32_t child;
    } u;
};

struct bm_jmespath {
    char *source;       /* the expression as given */
    char *names;        /* decoded identifiers, back to back; no terminators */
    struct node *nodes; /* the pool */
    size_t nnodes, cap;
    int32_t root;
};

/* ==================================================================================== */
/* Parser state and errors                                                              */
/* ==================================================================================== */

struct parser {
    bm_jmespath *e;
    const char *src;
    size_t len;
    struct token *toks; /* len + 1 entries: every token spans at least one byte, plus T_EOF */
    size_t ntoks;
    size_t pos;       /* the current token */
    size_t names_len; /* bytes used in e->names */
    int depth;        /* recursion depth of expression() */
    bm_error *err;
};

static int syntax_error(struct parser *p, size_t at, const char *what)
{
    bm_error_set(p->err, BM_EPARSE, "JMESPath column %zu: %s", at + 1, what);
    if (p->err) p->err->col = (long)at + 1;
    return BM_EPARSE;
}

/* "unexpected 'x'" style error naming the offending token. */
static int token_error(struct parser *p, const struct token *t, const char *what)
{
    if (t->type == T_EOF) {
        bm_error_set(p->err, BM_EPARSE, "JMESPath column %zu: %s, found the end of the expression",
                     t->pos + 1, what);
    } else {
        int n = t->len > 24 ? 24 : (int)t->len;
        bm_error_set(p->err, BM_EPARSE, "JMESPath column %zu: %s, found '%.*s%s'", t->pos + 1, what,
                     n, p->src + t->pos, t->len > 24 ? "..." : "");
    }
    if (p->err) p->err->col = (long)t->pos + 1;
    return BM_EPARSE;
}

static int nomem(struct parser *p)
{
    return bm_error_set(p->err, BM_ENOMEM, "out of memory compiling a JMESPath expression");
}

/* ==================================================================================== */
/* Lexer                                                                                */
/* ==================================================================================== */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || is_digit(c);
}

/* Length of the well-formed UTF-8 sequence (2-4 bytes; no overlongs or surrogates) at s, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp, min;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2, cp = s[0] & 0x1Fu, min = 0x80;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3, cp = s[0] & 0x0Fu, min = 0x800;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4, cp = s[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

static size_t utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Four hex digits at s[i..i+3] (bounds checked against n); -1 when malformed. */
static long hex4(const char *s, size_t i, size_t n)
{
    long v = 0;
    if (n < 4 || i > n - 4) return -1;
    for (size_t k = 0; k < 4; k++) {
        char c = s[i + k];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A quoted identifier starting at the '"' at t->pos: JSON string rules (escapes, no raw control
 * characters, well-formed UTF-8, paired surrogates). The decoded name is never longer than the
 * source text, so names (len + 1 bytes) always has room. */
static int lex_quoted(struct parser *p, struct token *t)
{
    const char *s = p->src;
    size_t n = p->len, i = t->pos + 1;
    char *out = p->e->names + p->names_len;
    size_t k = 0;
    for (;;) {
        if (i >= n) return syntax_error(p, t->pos, "unterminated quoted identifier");
        unsigned char c = (unsigned char)s[i];
        if (c == '"') {
            i++;
            break;
        }
        if (c < 0x20) return syntax_error(p, i, "control character in a quoted identifier");
        if (c >= 0x80) {
            size_t m = utf8_seq((const unsigned char *)s + i, n - i);
            if (!m) return syntax_error(p, i, "invalid UTF-8 in a quoted identifier");
            memcpy(out + k, s + i, m);
            k += m, i += m;
            continue;
        }
        if (c != '\\') {
            out[k++] = (char)c, i++;
            continue;
        }
        if (i + 1 >= n) return syntax_error(p, t->pos, "unterminated quoted identifier");
        char esc = s[i + 1];
        switch (esc) {
        case '"':
            out[k++] = '"';
            break;
        case '\\':
            out[k++] = '\\';
            break;
        case '/':
            out[k++] = '/';
            break;
        case 'b':
            out[k++] = '\b';
            break;
        case 'f':
            out[k++] = '\f';
            break;
        case 'n':
            out[k++] = '\n';
            break;
        case 'r':
            out[k++] = '\r';
            break;
        case 't':
            out[k++] = '\t';
            break;
        case 'u': {
            long hi = hex4(s, i + 2, n);
            if (hi < 0) return syntax_error(p, i, "\\u must be followed by four hex digits");
            uint32_t cp = (uint32_t)hi;
            if (hi >= 0xDC00 && hi <= 0xDFFF)
                return syntax_error(p, i, "unpaired UTF-16 surrogate in a quoted identifier");
            if (hi >= 0xD800 && hi <= 0xDBFF) {
                long lo = -1;
                if (i + 7 < n && s[i + 6] == '\\' && s[i + 7] == 'u') lo = hex4(s, i + 8, n);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return syntax_error(p, i, "unpaired UTF-16 surrogate in a quoted identifier");
                cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                i += 6;
            }
            k += utf8_put(out + k, cp);
            i += 4; /* the hex digits; the two escape characters are skipped below */
            break;
        }
        default:
            return syntax_error(p, i, "invalid escape in a quoted identifier");
        }
        i += 2;
    }
    t->type = T_QUOTED;
    t->len = i - t->pos;
    t->name_off = p->names_len;
    t->name_len = k;
    p->names_len += k;
    return BM_OK;
}

/* Names the unsupported feature a character starts, or NULL. */
static const char *unsupported(const char *s, size_t i, size_t n)
{
    char c = s[i], d = i + 1 < n ? s[i + 1] : 0;
    switch (c) {
    case '|':
        return d == '|' ? "or-expressions (||) are not supported" : NULL;
    case '&':
        return d == '&' ? "and-expressions (&&) are not supported"
                        : "expression references (&) are not supported";
    case '!':
        return "not-expressions and comparisons (!, !=) are not supported";
    case '<':
    case '>':
    case '=':
        return "comparisons are not supported";
    case '`':
        return "literals (`...`) are not supported";
    case '\'':
        return "raw string literals ('...') are not supported";
    case '(':
    case ')':
        return "functions and parentheses are not supported";
    case '{':
    case '}':
        return "multi-select hashes ({...}) are not supported";
    case ',':
        return "multi-select lists and function arguments are not supported";
    case '[':
        return d == '?' ? "filter expressions ([?...]) are not supported" : NULL;
    }
    return NULL;
}

static int lex(struct parser *p)
{
    const char *s = p->src;
    size_t n = p->len, i = 0;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            i++;
        struct token *t = &p->toks[p->ntoks];
        memset(t, 0, sizeof(*t));
        t->pos = i;
        t->len = 1;
        if (i == n) {
            t->type = T_EOF;
            t->len = 0;
            p->ntoks++;
            return BM_OK;
        }
        const char *why = unsupported(s, i, n);
        if (why) return syntax_error(p, i, why);
        char c = s[i];
        if (is_ident_start(c)) {
            size_t j = i + 1;
            while (j < n && is_ident_char(s[j]))
                j++;
            t->type = T_UNQUOTED;
            t->len = j - i;
            t->name_off = p->names_len;
            t->name_len = t->len;
            memcpy(p->e->names + p->names_len, s + i, t->len);
            p->names_len += t->len;
        } else if (c == '"') {
            int r = lex_quoted(p, t);
            if (r != BM_OK) return r;
        } else if (is_digit(c) || c == '-') {
            size_t j = i + (c == '-');
            if (j >= n || !is_digit(s[j])) return syntax_error(p, i, "'-' must start a number");
            int64_t v = 0;
            for (; j < n && is_digit(s[j]); j++) {
                int d = s[j] - '0';
                v = v > (NUM_LIMIT - d) / 10 ? NUM_LIMIT : v * 10 + d;
            }
            t->type = T_NUMBER;
            t->num = c == '-' ? -v : v;
            t->len = j - i;
        } else if (c == '[' && i + 1 < n && s[i + 1] == ']') {
            t->type = T_FLATTEN;
            t->len = 2;
        } else {
            switch (c) {
            case '[':
                t->type = T_LBRACKET;
                break;
            case ']':
                t->type = T_RBRACKET;
                break;
            case '.':
                t->type = T_DOT;
                break;
            case '*':
                t->type = T_STAR;
                break;
            case '@':
                t->type = T_CURRENT;
                break;
            case ':':
                t->type = T_COLON;
                break;
            case '|':
                t->type = T_PIPE;
                break;
            default: {
                char what[64];
                unsigned char u = (unsigned char)c;
                if (u >= 0x20 && u < 0x7F)
                    snprintf(what, sizeof(what), "unexpected character '%c'", c);
                else
                    snprintf(what, sizeof(what), "unexpected byte 0x%02x", u);
                return syntax_error(p, i, what);
            }
            }
        }
        i += t->len;
        p->ntoks++;
    }
}

/* ==================================================================================== */
/* Node construction                                                                    */
/* ==================================================================================== */

static int depth_of(const struct parser *p, int32_t n)
{
    return n == NONE ? 0 : p->e->nodes[n].depth;
}

/* Appends a node of the given kind and depth; at names the source offset for a depth error. */
static int new_node(struct parser *p, enum node_kind kind, int depth, size_t at, int32_t *out)
{
    bm_jmespath *e = p->e;
    if (depth > MAX_DEPTH) return syntax_error(p, at, "expression is nested too deeply");
    if (e->nnodes == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        struct node *nodes = bm_reallocarray(e->nodes, cap, sizeof(*nodes));
        if (!nodes) return nomem(p);
        e->nodes = nodes;
        e->cap = cap;
    }
    struct node *nd = &e->nodes[e->nnodes];
    memset(nd, 0, sizeof(*nd));
    nd->kind = kind;
    nd->depth = depth;
    nd->next = NONE;
    *out = (int32_t)e->nnodes++;
    return BM_OK;
}

static int new_pair(struct parser *p, enum node_kind kind, int32_t left, int32_t right, size_t at,
                    int32_t *out)
{
    int dl = depth_of(p, left), dr = depth_of(p, right);
    int r = new_node(p, kind, 1 + (dl > dr ? dl : dr), at, out);
    if (r != BM_OK) return r;
    p->e->nodes[*out].u.proj.left = left;
    p->e->nodes[*out].u.proj.right = right;
    return BM_OK;
}

/* left, then right: merges into an existing chain on either side; the identity disappears. */
static int chain(struct parser *p, int32_t left, int32_t right, size_t at, int32_t *out)
{
    struct node *nodes = p->e->nodes;
    if (left == NONE || right == NONE) {
        *out = left == NONE ? right : left;
        return BM_OK;
    }
    if (nodes[left].kind == N_CHAIN) {
        struct node *l = &nodes[left];
        int d = nodes[right].kind == N_CHAIN ? nodes[right].depth : nodes[right].depth + 1;
        if (d > MAX_DEPTH) return syntax_error(p, at, "expression is nested too deeply");
        if (nodes[right].kind == N_CHAIN) {
            nodes[l->u.chain.last].next = nodes[right].u.chain.first;
            l->u.chain.last = nodes[right].u.chain.last;
        } else {
            nodes[l->u.chain.last].next = right;
            l->u.chain.last = right;
        }
        if (d > l->depth) l->depth = d;
        *out = left;
        return BM_OK;
    }
    if (nodes[right].kind == N_CHAIN) {
        struct node *rt = &nodes[right];
        int d = nodes[left].depth + 1;
        if (d > MAX_DEPTH) return syntax_error(p, at, "expression is nested too deeply");
        nodes[left].next = rt->u.chain.first;
        rt->u.chain.first = left;
        if (d > rt->depth) rt->depth = d;
        *out = right;
        return BM_OK;
    }
    int dl = nodes[left].depth, dr = nodes[right].depth;
    int r = new_node(p, N_CHAIN, 1 + (dl > dr ? dl : dr), at, out);
    if (r != BM_OK) return r;
    nodes = p->e->nodes; /* the pool may have moved */
    nodes[*out].u.chain.first = left;
    nodes[*out].u.chain.last = right;
    nodes[left].next = right;
    return BM_OK;
}

/* ==================================================================================== */
/* Parser                                                                               */
/* ==================================================================================== */

static const struct token *cur(const struct parser *p)
{
    return &p->toks[p->pos];
}

static enum tok peek(const struct parser *p, size_t k)
{
    size_t i = p->pos + k;
    return i < p->ntoks ? p->toks[i].type : T_EOF;
}

static void advance(struct parser *p)
{
    if (p->toks[p->pos].type != T_EOF) p->pos++;
}

static int expect(struct parser *p, enum tok type, const char *what)
{
    if (cur(p)->type != type) return token_error(p, cur(p), what);
    advance(p);
    return BM_OK;
}

static int expression(struct parser *p, int bp, int32_t *out);

/* What follows '.': an identifier or '*' (multi-select lists and hashes are not supported). */
static int dot_rhs(struct parser *p, int bp, int32_t *out)
{
    enum tok t = cur(p)->type;
    if (t == T_UNQUOTED || t == T_QUOTED || t == T_STAR) return expression(p, bp, out);
    if (t == T_LBRACKET)
        return syntax_error(p, cur(p)->pos, "multi-select lists (.[...]) are not supported");
    return token_error(p, cur(p), "expected an identifier or '*' after '.'");
}

/* The part of a projection applied to each element: nothing when the next token stops the
 * projection (']', '|', '[]', end, ...), else a bracket expression or a '.' path. */
static int projection_rhs(struct parser *p, int bp, int32_t *out)
{
    enum tok t = cur(p)->type;
    if (binding_power[t] < PROJECTION_STOP) {
        *out = NONE;
        return BM_OK;
    }
    if (t == T_LBRACKET) return expression(p, bp, out);
    if (t == T_DOT) {
        advance(p);
        return dot_rhs(p, bp, out);
    }
    return token_error(p, cur(p), "expected '.', '[' or the end of the projection");
}

/* After '[' when the next token is a number or ':': [n] or [start:stop:step]. */
static int index_expression(struct parser *p, int32_t *out)
{
    const struct token *open = &p->toks[p->pos - 1];
    int r;
    if (cur(p)->type != T_COLON && peek(p, 1) != T_COLON) {
        int64_t v = cur(p)->num;
        advance(p);
        if ((r = expect(p, T_RBRACKET, "expected ']' after an index")) != BM_OK) return r;
        if ((r = new_node(p, N_INDEX, 1, open->pos, out)) != BM_OK) return r;
        p->e->nodes[*out].u.index = v;
        return BM_OK;
    }
    int64_t parts[3] = {0, 0, 1};
    bool has[3] = {false, false, false};
    size_t step_at = 0;
    int part = 0;
    while (cur(p)->type != T_RBRACKET) {
        const struct token *t = cur(p);
        if (t->type == T_COLON) {
            if (++part == 3) return token_error(p, t, "a slice has at most two ':'");
        } else if (t->type == T_NUMBER && !has[part]) {
            parts[part] = t->num;
            has[part] = true;
            step_at = t->pos;
        } else {
            return token_error(p, t, "expected a number, ':' or ']' in a slice");
        }
        advance(p);
    }
    advance(p);
    if (has[2] && parts[2] == 0) return syntax_error(p, step_at, "a slice step cannot be 0");
    if ((r = new_node(p, N_SLICE, 1, open->pos, out)) != BM_OK) return r;
    struct node *nd = &p->e->nodes[*out];
    nd->u.slice.start = parts[0];
    nd->u.slice.stop = parts[1];
    nd->u.slice.step = parts[2];
    nd->u.slice.has_start = has[0];
    nd->u.slice.has_stop = has[1];
    return BM_OK;
}

/* left[index] is a plain step; left[slice] is a projection over the sliced array. */
static int project_if_slice(struct parser *p, int32_t left, int32_t right, size_t at, int32_t *out)
{
    bool slice = p->e->nodes[right].kind == N_SLICE;
    int32_t base, rhs;
    int r = chain(p, left, right, at, &base);
    if (r != BM_OK) return r;
    if (!slice) {
        *out = base;
        return BM_OK;
    }
    if ((r = projection_rhs(p, binding_power[T_STAR], &rhs)) != BM_OK) return r;
    return new_pair(p, N_PROJECT, base, rhs, at, out);
}

/* left[*] and [*]: the caller has consumed "[*]". */
static int list_projection(struct parser *p, int32_t left, size_t at, int32_t *out)
{
    int32_t rhs;
    int r = projection_rhs(p, binding_power[T_STAR], &rhs);
    if (r != BM_OK) return r;
    return new_pair(p, N_PROJECT, left, rhs, at, out);
}

/* left[] and []: the caller has consumed "[]". */
static int flatten_projection(struct parser *p, int32_t left, size_t at, int32_t *out)
{
    int32_t flat = -1, rhs = -1;
    int r = new_node(p, N_FLATTEN, depth_of(p, left) + 1, at, &flat);
    if (r != BM_OK) return r;
    p->e->nodes[flat].u.child = left;
    if ((r = projection_rhs(p, binding_power[T_FLATTEN], &rhs)) != BM_OK) return r;
    return new_pair(p, N_PROJECT, flat, rhs, at, out);
}

/* left.* and *: the caller has consumed the '*'. */
static int value_projection(struct parser *p, int32_t left, int bp, size_t at, int32_t *out)
{
    int32_t rhs = NONE;
    int r;
    if (cur(p)->type != T_RBRACKET && (r = projection_rhs(p, bp, &rhs)) != BM_OK) return r;
    return new_pair(p, N_VALUES, left, rhs, at, out);
}

/* A token that starts an expression. */
static int nud(struct parser *p, int32_t *out)
{
    const struct token *t = cur(p);
    size_t at = t->pos;
    int r;
    switch (t->type) {
    case T_UNQUOTED:
    case T_QUOTED:
        if ((r = new_node(p, N_FIELD, 1, at, out)) != BM_OK) return r;
        p->e->nodes[*out].u.field.off = t->name_off;
        p->e->nodes[*out].u.field.len = t->name_len;
        advance(p);
        return BM_OK;
    case T_CURRENT:
        advance(p);
        *out = NONE;
        return BM_OK;
    case T_STAR:
        advance(p);
        return value_projection(p, NONE, binding_power[T_STAR], at, out);
    case T_FLATTEN:
        advance(p);
        return flatten_projection(p, NONE, at, out);
    case T_LBRACKET: {
        advance(p);
        enum tok next = cur(p)->type;
        if (next == T_NUMBER || next == T_COLON) {
            int32_t right;
            if ((r = index_expression(p, &right)) != BM_OK) return r;
            return project_if_slice(p, NONE, right, at, out);
        }
        if (next == T_STAR && peek(p, 1) == T_RBRACKET) {
            advance(p);
            advance(p);
            return list_projection(p, NONE, at, out);
        }
        return token_error(p, cur(p),
                           "expected a number, ':' or '*' after '[' (multi-select lists are "
                           "not supported)");
    }
    case T_EOF:
        if (p->pos == 0) return syntax_error(p, t->pos, "empty expression");
        return token_error(p, t, "expected an expression");
    default:
        return token_error(p, t, "expected an expression");
    }
}

/* A token that continues the expression left. */
static int led(struct parser *p, int32_t left, int32_t *out)
{
    const struct token *t = cur(p);
    size_t at = t->pos;
    int32_t right;
    int r;
    switch (t->type) {
    case T_DOT:
        advance(p);
        if (cur(p)->type == T_STAR) {
            advance(p);
            return value_projection(p, left, binding_power[T_DOT], at, out);
        }
        if ((r = dot_rhs(p, binding_power[T_DOT], &right)) != BM_OK) return r;
        return chain(p, left, right, at, out);
    case T_PIPE:
        advance(p);
        if ((r = expression(p, binding_power[T_PIPE], &right)) != BM_OK) return r;
        return chain(p, left, right, at, out);
    case T_LBRACKET: {
        advance(p);
        enum tok next = cur(p)->type;
        if (next == T_NUMBER || next == T_COLON) {
            if ((r = index_expression(p, &right)) != BM_OK) return r;
            return project_if_slice(p, left, right, at, out);
        }
        if ((r = expect(p, T_STAR,
                        "expected a number, ':' or '*' after '[' (multi-select lists are not "
                        "supported)")) != BM_OK)
            return r;
        if ((r = expect(p, T_RBRACKET, "expected ']' after '[*'")) != BM_OK) return r;
        return list_projection(p, left, at, out);
    }
    case T_FLATTEN:
        advance(p);
        return flatten_projection(p, left, at, out);
    default:
        return token_error(p, t, "unexpected token");
    }
}

static int expression(struct parser *p, int bp, int32_t *out)
{
    int32_t left;
    int r;
    if (++p->depth > MAX_DEPTH)
        return syntax_error(p, cur(p)->pos, "expression is nested too deeply");
    if ((r = nud(p, &left)) != BM_OK) return r;
    while (bp < binding_power[cur(p)->type]) {
        if ((r = led(p, left, &left)) != BM_OK) return r;
    }
    p->depth--;
    *out = left;
    return BM_OK;
}

/* ==================================================================================== */
/* Public: compile, source, free                                                        */
/* ==================================================================================== */

bm_jmespath *bm_jmespath_compile(const char *expr, bm_error *err)
{
    struct parser p;
    int r = BM_ENOMEM;
    memset(&p, 0, sizeof(p));
    p.err = err;
    if (!expr) {
        bm_error_set(err, BM_EINVAL, "no JMESPath expression");
        return NULL;
    }
    p.src = expr;
    p.len = strnlen(expr, MAX_EXPR_LEN + 1);
    if (p.len > MAX_EXPR_LEN) {
        syntax_error(&p, MAX_EXPR_LEN, "expression is longer than 1024 bytes");
        return NULL;
    }
    if (!(p.e = bm_calloc(1, sizeof(*p.e)))) goto out;
    p.e->root = NONE;
    if (!(p.e->source = bm_strndup(expr, p.len))) goto out;
    if (!(p.e->names = bm_malloc(p.len + 1))) goto out;
    if (!(p.toks = bm_reallocarray(NULL, p.len + 1, sizeof(*p.toks)))) goto out;
    if ((r = lex(&p)) != BM_OK) goto out;
    if ((r = expression(&p, 0, &p.e->root)) != BM_OK) goto out;
    r = expect(&p, T_EOF, "unexpected token");
out:
    if (r == BM_ENOMEM) nomem(&p);
    bm_free(p.toks);
    if (r != BM_OK) {
        bm_jmespath_free(p.e);
        return NULL;
    }
    return p.e;
}

const char *bm_jmespath_source(const bm_jmespath *e)
{
    return e ? e->source : "";
}

void bm_jmespath_free(bm_jmespath *e)
{
    if (!e) return;
    bm_free(e->source);
    bm_free(e->names);
    bm_free(e->nodes);
    bm_free(e);
}

/* ==================================================================================== */
/* Evaluator                                                                            */
/* ==================================================================================== */

/* Every eval_* returns a new reference, JSON null for "nothing", or NULL when memory runs out.
 * v is borrowed. Results hold references to input values plus arrays the projections build. */
static json_t *eval(const bm_jmespath *e, int32_t n, json_t *v);

static json_t *eval_field(const bm_jmespath *e, const struct node *nd, json_t *v)
{
    json_t *r = NULL;
    if (json_is_object(v)) r = json_object_getn(v, e->names + nd->u.field.off, nd->u.field.len);
    return r ? json_incref(r) : json_null();
}

static json_t *eval_index(const struct node *nd, json_t *v)
{
    if (!json_is_array(v)) return json_null();
    int64_t len = (int64_t)json_array_size(v), i = nd->u.index;
    if (i < 0) i += len;
    if (i < 0 || i >= len) return json_null();
    return json_incref(json_array_get(v, (size_t)i));
}

/* The specification's capSlice: clamps an endpoint into the array for the step's direction. */
static int64_t cap_slice(int64_t len, int64_t at, int64_t step)
{
    if (at < 0) {
        at += len;
        if (at < 0) at = step < 0 ? -1 : 0;
    } else if (at >= len) {
        at = step < 0 ? len - 1 : len;
    }
    return at;
}

static json_t *eval_slice(const struct node *nd, json_t *v)
{
    if (!json_is_array(v)) return json_null();
    int64_t len = (int64_t)json_array_size(v), step = nd->u.slice.step;
    int64_t start =
        nd->u.slice.has_start ? cap_slice(len, nd->u.slice.start, step) : (step > 0 ? 0 : len - 1);
    int64_t stop =
        nd->u.slice.has_stop ? cap_slice(len, nd->u.slice.stop, step) : (step > 0 ? len : -1);
    json_t *out = json_array();
    if (!out) return NULL;
    /* |step| <= 2^62 and -1 <= i <= len, so i + step cannot overflow. */
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        if (json_array_append(out, json_array_get(v, (size_t)i))) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *eval_chain(const bm_jmespath *e, const struct node *nd, json_t *v)
{
    json_t *cur = json_incref(v);
    for (int32_t s = nd->u.chain.first; s != NONE && !json_is_null(cur); s = e->nodes[s].next) {
        json_t *next = eval(e, s, cur);
        json_decref(cur);
        if (!next) return NULL;
        cur = next;
    }
    return cur;
}

/* Appends right(el) to out unless it is null; -1 when memory runs out. */
static int project_one(const bm_jmespath *e, int32_t right, json_t *el, json_t *out)
{
    json_t *r = eval(e, right, el);
    if (!r) return -1;
    if (json_is_null(r)) {
        json_decref(r);
        return 0;
    }
    return json_array_append_new(out, r); /* consumes r, also on failure */
}

static json_t *eval_project(const bm_jmespath *e, const struct node *nd, json_t *v)
{
    json_t *base = eval(e, nd->u.proj.left, v), *out = NULL, *el;
    size_t i;
    const char *key;
    if (!base) return NULL;
    if (nd->kind == N_PROJECT ? !json_is_array(base) : !json_is_object(base)) {
        out = json_null();
        goto out;
    }
    if (!(out = json_array())) goto out;
    if (nd->kind == N_PROJECT) {
        json_array_foreach(base, i, el)
        {
            if (project_one(e, nd->u.proj.right, el, out)) goto fail;
        }
    } else {
        json_object_foreach(base, key, el)
        {
            if (project_one(e, nd->u.proj.right, el, out)) goto fail;
        }
    }
    goto out;
fail:
    json_decref(out);
    out = NULL;
out:
    json_decref(base);
    return out;
}

static json_t *eval_flatten(const bm_jmespath *e, const struct node *nd, json_t *v)
{
    json_t *base = eval(e, nd->u.child, v), *out = NULL, *el;
    size_t i;
    if (!base) return NULL;
    if (!json_is_array(base)) {
        out = json_null();
        goto out;
    }
    if (!(out = json_array())) goto out;
    json_array_foreach(base, i, el)
    {
        if (json_is_array(el) ? json_array_extend(out, el) : json_array_append(out, el)) {
            json_decref(out);
            out = NULL;
            goto out;
        }
    }
out:
    json_decref(base);
    return out;
}

static json_t *eval(const bm_jmespath *e, int32_t n, json_t *v)
{
    if (n == NONE) return json_incref(v);
    const struct node *nd = &e->nodes[n];
    switch (nd->kind) {
    case N_FIELD:
        return eval_field(e, nd, v);
    case N_INDEX:
        return eval_index(nd, v);
    case N_SLICE:
        return eval_slice(nd, v);
    case N_CHAIN:
        return eval_chain(e, nd, v);
    case N_PROJECT:
    case N_VALUES:
        return eval_project(e, nd, v);
    case N_FLATTEN:
        return eval_flatten(e, nd, v);
    }
    return json_null();
}

json_t *bm_jmespath_eval(const bm_jmespath *e, json_t *doc)
{
    if (!e || !doc) return json_null();
    return eval(e, e->root, doc);
}
