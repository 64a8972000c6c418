/* GET /ui: the read-only dashboard of biasmon serve, HTML rendered here (no script, nothing
 * fetched): the schedules with their last execution and a sparkline of violations, each
 * schedule's metrics over time from the series index (series.c), its executions, and their
 * reports read through the store. Needs the data directory's ui-token when the service listens
 * beyond loopback (docs/serve.md, "The dashboard"). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "biasmon/random.h"
#include "biasmon/reportdoc.h"
#include "biasmon/awsjson.h"
#include "biasmon/execution.h"
#include "biasmon/sagemaker.h"
#include "biasmon/store.h"
#include "serve/internal.h"

#define SPARK_N 48          /* executions in an overview's sparkline */
#define SCHEDULES_PAGE 100  /* schedules on one overview page */
#define EXECUTIONS_PAGE 100 /* executions on one page of a schedule's table */
#define SERIES_N 720        /* executions a schedule's charts draw: 30 days of hourly ones */
#define REASON_SHOWN 300    /* bytes of a failure reason on the overview */
#define REPORT_MAX (64u << 20)
#define COOKIE "biasmon_ui"

/* ==================================================================== the token */

static int token_ok(const char *t, size_t n)
{
    if (n < 32 || n > BM__UI_TOKEN_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'z') ||
              (t[i] >= 'A' && t[i] <= 'Z')))
            return 0;
    return 1;
}

int bm__ui_start(bm_service *s, bm_error *err)
{
    char path[1200], text[BM__UI_TOKEN_MAX + 2];
    snprintf(path, sizeof(path), "%s/ui-token", s->data_dir);
    s->ui_token_required =
        !s->cfg.host || !*s->cfg.host ? 0 : !bm_http_host_is_loopback(s->cfg.host);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
        struct stat st;
        ssize_t n =
            fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, text, sizeof(text) - 1) : -1;
        close(fd);
        bm_error_at(err, path, 0, 0, NULL);
        if (n >= 0 && (st.st_mode & 077))
            return bm_error_set(err, BM_EINVAL,
                                "the dashboard's token file may be read by others (mode %03o): "
                                "chmod 600 it, or remove it for a new one",
                                (unsigned)(st.st_mode & 0777));
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
            n--;
        if (n < 0 || !token_ok(text, (size_t)n))
            return bm_error_set(err, BM_EINVAL,
                                "not a dashboard token (32-%d letters and digits): remove the file "
                                "for a new one",
                                BM__UI_TOKEN_MAX);
        memcpy(s->ui_token, text, (size_t)n);
        s->ui_token[n] = 0;
    } else if (errno == ENOENT) {
        unsigned char raw[32];
        if (bm_random_bytes(raw, sizeof(raw))) {
            bm_error_at(err, path, 0, 0, NULL);
            return bm_error_set(err, BM_EIO, "no random bytes for the dashboard's token");
        }
        for (size_t i = 0; i < sizeof(raw); i++)
            snprintf(s->ui_token + 2 * i, 3, "%02x", raw[i]);
        int n = snprintf(text, sizeof(text), "%s\n", s->ui_token);
        int r = bm_write_file_atomic(path, text, (size_t)n, err);
        if (!r && chmod(path, 0600) != 0) {
            bm_error_at(err, path, 0, 0, NULL);
            r = bm_error_set(err, BM_EIO, "cannot make the token file private: %s",
                             strerror(errno));
        }
        if (r) return r;
    } else {
        bm_error_at(err, path, 0, 0, NULL);
        return bm_error_set(err, BM_EIO, "cannot read the dashboard's token: %s", strerror(errno));
    }
    snprintf(s->ui_cookie, sizeof(s->ui_cookie), COOKIE "=%s; Path=/ui; HttpOnly; SameSite=Strict",
             s->ui_token);
    return BM_OK;
}

/* Equal in time independent of where they differ (the lengths are not secret). */
static int same_secret(const char *a, size_t an, const char *b, size_t bn)
{
    volatile unsigned char d = an != bn;
    for (size_t i = 0; i < an && i < bn; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* The value of name=... in a query string or a Cookie header (separator ';' or '&'). */
static const char *param(const char *list, const char *name, char sep, size_t *len)
{
    size_t nl = strlen(name);
    for (const char *p = list; p && *p;) {
        while (*p == ' ')
            p++;
        const char *end = strchr(p, sep);
        if (!end) end = p + strlen(p);
        if ((size_t)(end - p) > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            *len = (size_t)(end - p) - nl - 1;
            return p + nl + 1;
        }
        p = *end ? end + 1 : end;
    }
    return NULL;
}

static int authorized(bm_service *s, const bm_http_request *req)
{
    if (!s->ui_token_required) return 1;
    size_t tl = strlen(s->ui_token), n;
    const char *auth = bm_http_header_value(req, "Authorization");
    if (auth && !strncmp(auth, "Bearer ", 7) &&
        same_secret(auth + 7, strlen(auth + 7), s->ui_token, tl))
        return 1;
    const char *c = param(bm_http_header_value(req, "Cookie"), COOKIE, ';', &n);
    return c && same_secret(c, n, s->ui_token, tl);
}

/* A non-negative integer parameter of the query; dflt when absent or not one. */
static int64_t int_param(const char *query, const char *name, int64_t dflt)
{
    size_t n;
    const char *v = param(query, name, '&', &n);
    if (!v || !n || n > 18) return dflt;
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') return dflt;
        x = x * 10 + (v[i] - '0');
    }
    return x;
}

/* ==================================================================== the page */

static const char page_css[] =
    "<style>\n"
    ":root{--ink:#1d2430;--mute:#5b6575;--line:#d8dde5;--bad:#b3261e;--badbg:#fdecea;"
    "--ok:#1e6b3a;--warn:#8a5a00;--band:#dcefe2}\n"
    "*{box-sizing:border-box}body{font:14px/1.45 system-ui,'DejaVu Sans',sans-serif;"
    "color:var(--ink);margin:0 auto;max-width:1280px;padding:20px}\n"
    "nav{margin-bottom:12px;color:var(--mute)}nav a{font-weight:600}a{color:#1f4f99}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px;border-bottom:2px "
    "solid var(--line);padding-bottom:4px}h3{font-size:14px;margin:12px 0 2px}\n"
    ".sub{color:var(--mute);margin:0 0 12px}\n"
    "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);"
    "padding:3px 8px;text-align:left;vertical-align:middle}\n"
    "th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:var(--mute)}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.reason{color:var(--bad);font-size:12.5px;max-width:420px}\n"
    ".st{font-weight:600}.st-Completed{color:var(--ok)}.st-CompletedWithViolations,.st-Failed{"
    "color:var(--bad)}.st-Pending,.st-InProgress,.st-Stopped{color:var(--warn)}\n"
    ".state-Scheduled{color:var(--ok)}.state-Stopped,.state-Pending{color:var(--warn)}\n"
    "tr.violation td{background:var(--badbg)}\n"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(590px,1fr));gap:6px "
    "18px}\n"
    "figure{margin:0 0 10px}figcaption{font-size:12.5px;color:var(--mute)}\n"
    "svg .plot{fill:#fbfcfd;stroke:var(--line)}svg .band{fill:var(--band)}svg .line{fill:none;"
    "stroke:#1f4f99;stroke-width:1.5}svg .base{stroke:var(--ok);stroke-width:1.5;"
    "stroke-dasharray:6 3}svg .neutral{stroke:#9aa3af;stroke-dasharray:2 2}svg .dot{fill:#1f4f99}"
    "svg .viol{fill:var(--bad)}svg .marks{fill:none;stroke:var(--bad);stroke-width:7;"
    "stroke-linecap:round}svg .failed{fill:#9aa3af}svg .axis{stroke:var(--line)}"
    "svg .tick{font-size:10px;fill:var(--mute)}\n"
    ".legend{color:var(--mute);font-size:12.5px}\n"
    "</style>\n";

typedef bm_html_out page;
#define put bm_html_put
#define putf bm_html_putf
#define esc bm_html_esc

/* The first n bytes of s escaped, without cutting a UTF-8 character, "..." when cut. */
static void esc_cut(page *p, const char *s, size_t n)
{
    size_t len = strlen(s);
    if (len <= n) return esc(p, s);
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    char *c = bm_malloc(n + 1);
    if (!c) {
        p->rc = BM_ENOMEM;
        return;
    }
    memcpy(c, s, n);
    c[n] = 0;
    esc(p, c);
    bm_free(c);
    put(p, "\xe2\x80\xa6");
}

static void when(page *p, double t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    char text[32];
    if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(text, sizeof(text), "%Y-%m-%d %H:%M", &tm))
        snprintf(text, sizeof(text), "\xe2\x80\x93");
    put(p, text);
}

static void head(page *p, const char *title)
{
    put(p, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    esc(p, title);
    put(p, " \xc2\xb7 biasmon</title>\n");
    put(p, page_css);
    put(p, "</head>\n<body>\n<nav><a href=\"/ui\">biasmon</a> \xc2\xb7 model bias drift "
           "monitor</nav>\n");
}

static void tail(page *p)
{
    put(p, "</body>\n</html>\n");
}

static const char *const sec_headers[][2] = {
    {"Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "script-src 'none'; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Content-Type-Options", "nosniff"},
    {"Cache-Control", "no-store"},
};

static void answer(bm_http_response *res, int status, const char *type)
{
    res->status = status;
    res->content_type = type;
    res->nextra = 0;
    for (size_t i = 0; i < sizeof(sec_headers) / sizeof(sec_headers[0]); i++) {
        res->extra[res->nextra].name = sec_headers[i][0];
        res->extra[res->nextra++].value = sec_headers[i][1];
    }
}

/* A short page that says what went wrong; msg is the service's own words. */
static void message(bm_http_response *res, int status, const char *title, const char *msg)
{
    bm_buf_reset(&res->body);
    answer(res, status, "text/html; charset=utf-8");
    page p = {&res->body, BM_OK};
    head(&p, title);
    put(&p, "<h1>");
    esc(&p, title);
    put(&p, "</h1>\n<p>");
    esc(&p, msg);
    put(&p, "</p>\n");
    tail(&p);
    if (p.rc) bm_buf_reset(&res->body);
}

/* ==================================================================== the overview */

static const char *schedule_state(const bm_resource *r)
{
    return r->status[0] ? r->status : "Pending";
}

static int overview(bm_service *s, const bm_http_request *req, bm_buf *b, bm_error *err)
{
    bm_resource *v = NULL;
    size_t n = 0;
    int r = bm_state_resource_list(s->db, BM_RES_SCHEDULE, &v, &n, err);
    if (r) return r;
    int64_t pages = n ? (int64_t)((n + SCHEDULES_PAGE - 1) / SCHEDULES_PAGE) : 1;
    int64_t pg = int_param(req->query, "page", 1);
    if (pg < 1) pg = 1;
    if (pg > pages) pg = pages;
    size_t from = (size_t)(pg - 1) * SCHEDULES_PAGE,
           to = from + SCHEDULES_PAGE < n ? from + SCHEDULES_PAGE : n;
    page p = {b, BM_OK};
    head(&p, "Monitoring schedules");
    putf(&p,
         "<h1>Monitoring schedules</h1>\n<p class=\"sub\" data-schedules=\"%zu\">%zu schedule%s", n,
         n, n == 1 ? "" : "s");
    if (pages > 1)
        putf(&p, "; page %lld of %lld, schedules %zu\xe2\x80\x93%zu", (long long)pg,
             (long long)pages, from + 1, to);
    put(&p, ". Each row: the schedule's state, its latest execution, and its last executions' "
            "violations (red bars; grey: failed).</p>\n");
    put(&p,
        "<table class=\"schedules\">\n<tr><th>schedule</th><th>endpoint</th><th>state</th>"
        "<th>last execution (scheduled, UTC)</th><th>status</th><th class=\"num\">violations</th>"
        "<th>failure reason</th><th>last executions</th></tr>\n");
    int64_t spark[SPARK_N];
    for (size_t k = from; k < to && !p.rc && !r; k++) {
        bm_exec_record *e = NULL;
        size_t ne = 0;
        if ((r = bm_state_exec_recent(s->db, v[k].name, INT64_MAX, SPARK_N, &e, &ne, err))) break;
        put(&p, "<tr data-schedule=\"");
        esc(&p, v[k].name);
        put(&p, "\"><td><a href=\"/ui/schedules/");
        esc(&p, v[k].name);
        put(&p, "\">");
        esc(&p, v[k].name);
        put(&p, "</a></td><td>");
        esc(&p, v[k].endpoint);
        putf(&p, "</td><td class=\"state state-%s\">%s</td>", schedule_state(&v[k]),
             schedule_state(&v[k]));
        if (ne) {
            put(&p, "<td>");
            when(&p, (double)e[0].scheduled_time);
            put(&p, "</td><td class=\"st st-");
            esc(&p, e[0].status);
            put(&p, "\">");
            esc(&p, e[0].status);
            putf(&p, "</td><td class=\"num\">%lld</td><td class=\"reason\">",
                 (long long)e[0].violations);
            esc_cut(&p, e[0].failure_reason, REASON_SHOWN);
            put(&p, "</td><td>");
            for (size_t i = 0; i < ne; i++) {
                const bm_exec_record *x = &e[ne - 1 - i];
                spark[i] = !strcmp(x->status, "Failed") || !strcmp(x->status, "Stopped") ? -1
                           : !strncmp(x->status, "Completed", 9) ? x->violations
                                                                 : -2;
            }
            if (!p.rc) p.rc = bm_report_sparkline_svg(spark, ne, b);
            put(&p, "</td></tr>\n");
        } else {
            put(&p, "<td>none yet</td><td></td><td></td><td></td><td></td></tr>\n");
        }
        bm_free(e);
    }
    put(&p, "</table>\n");
    if (pages > 1) {
        put(&p, "<p>");
        if (pg > 1) putf(&p, "<a href=\"/ui?page=%lld\">previous page</a> ", (long long)pg - 1);
        if (pg < pages) putf(&p, "<a href=\"/ui?page=%lld\">next page</a>", (long long)pg + 1);
        put(&p, "</p>\n");
    }
    tail(&p);
    bm_resources_free(v, n);
    return r ? r : p.rc;
}

/* ==================================================================== a schedule */

/* The value of a series entry ([stage, facet, value, metric, value, baseline, lo, hi, violated])
 * at position i as a double: numbers and the infinity strings; NAN otherwise. */
static double num_at(json_t *row, size_t i)
{
    json_t *v = json_array_get(row, i);
    if (json_is_number(v)) return json_number_value(v);
    const char *t = json_string_value(v);
    if (t && !strcmp(t, "Infinity")) return INFINITY;
    if (t && !strcmp(t, "-Infinity")) return -INFINITY;
    return NAN;
}

static int same_key(json_t *a, json_t *b)
{
    if (json_integer_value(json_array_get(a, 0)) != json_integer_value(json_array_get(b, 0)))
        return 0;
    for (size_t i = 1; i < 4; i++) {
        const char *x = json_string_value(json_array_get(a, i)),
                   *y = json_string_value(json_array_get(b, i));
        if (!x || !y || strcmp(x, y)) return 0;
    }
    return 1;
}

/* The entry of line's metrics with key's stage, facet, value and metric; hint: where to look
 * first (entries keep their order from one execution to the next). */
static json_t *entry_of(json_t *line, json_t *key, size_t hint)
{
    json_t *m = json_object_get(line, "m"), *e = json_array_get(m, hint);
    if (e && same_key(e, key)) return e;
    size_t i;
    json_array_foreach(m, i, e) if (same_key(e, key)) return e;
    return NULL;
}

static const char *const stage_names[2] = {"pre-training", "post-training"};
static const char *const attr_seps[4] = {" data-stage=\"", "\" data-facet=\"",
                                         "\" data-facet-value=\"", "\" data-metric=\""};
static const char *const caption_seps[4] = {"", " \xc2\xb7 ", " = ", " \xc2\xb7 <b>"};

/* "stage · facet = value · <b>metric</b>" (seps NULL), or the key as data attributes. */
static void key_parts(page *p, json_t *key, const char *const seps[4])
{
    int post = json_integer_value(json_array_get(key, 0)) == 1;
    put(p, seps[0]);
    put(p, seps == attr_seps ? (post ? "post_training_bias_metrics" : "pre_training_bias_metrics")
                             : stage_names[post]);
    for (size_t i = 1; i < 4; i++) {
        put(p, seps[i]);
        esc(p, json_string_value(json_array_get(key, i)));
    }
    put(p, seps == attr_seps ? "\"" : "</b>");
}

/* The latest completed execution's metrics, then a chart per metric over the lines. */
static void series_section(page *p, json_t *lines)
{
    json_t *latest = NULL, *l;
    size_t i, n = json_array_size(lines), ncomplete = 0;
    json_array_foreach(lines, i, l) if (json_object_get(l, "m"))
    {
        latest = l;
        ncomplete++;
    }
    putf(p,
         "<h2>Metrics over time</h2>\n<p class=\"sub\" data-executions=\"%zu\" "
         "data-with-values=\"%zu\">",
         n, ncomplete);
    if (!latest) {
        put(p, "No completed execution yet among the latest ones.</p>\n");
        return;
    }
    putf(p,
         "The last %zu executions (%zu with values). Blue: the value of each execution; green "
         "dashes: the baseline; shaded: the statistical rule's interval around the baseline, "
         "where it ran (its first test, over pooled windows: docs/alarms.md); red: a violation; "
         "grey dotted line: the "
         "neutral value (1 for DI, 0 for the others). Below the charts, the latest execution's "
         "values.</p>\n",
         n, ncomplete);
    json_t *keys = json_object_get(latest, "m"), *k;
    put(p, "<div class=\"charts\">\n");
    bm_report_point *pts = bm_calloc(n ? n : 1, sizeof(*pts));
    if (!pts) {
        p->rc = BM_ENOMEM;
        return;
    }
    int64_t t0 = json_integer_value(json_object_get(json_array_get(lines, 0), "t")),
            t1 = json_integer_value(json_object_get(json_array_get(lines, n - 1), "t"));
    if (t1 <= t0) t0 = t1 - 3600;
    json_array_foreach(keys, i, k)
    {
        size_t np = 0;
        json_t *line;
        size_t j;
        json_array_foreach(lines, j, line)
        {
            json_t *e = json_object_get(line, "m") ? entry_of(line, k, i) : NULL;
            bm_report_point *pt = &pts[np++];
            pt->t = json_integer_value(json_object_get(line, "t"));
            pt->value = e ? num_at(e, 4) : NAN;
            pt->lo = e ? num_at(e, 6) : NAN;
            pt->hi = e ? num_at(e, 7) : NAN;
            pt->violated = e && json_is_true(json_array_get(e, 8));
        }
        bm_report_series sr = {
            json_string_value(json_array_get(k, 3)), pts, np, num_at(k, 5), t0, t1};
        put(p, "<figure");
        key_parts(p, k, attr_seps);
        put(p, "><figcaption>");
        key_parts(p, k, caption_seps);
        put(p, "</figcaption>");
        if (!p->rc) p->rc = bm_report_series_svg(&sr, p->b);
        put(p, "</figure>\n");
    }
    bm_free(pts);
    put(p, "</div>\n");
    put(p, "<h3>Latest completed execution: ");
    when(p, (double)json_integer_value(json_object_get(latest, "t")));
    putf(p,
         "</h3>\n<table class=\"latest\" data-exec-id=\"%lld\"><tr><th>stage</th><th>facet</th>"
         "<th>value</th><th>metric</th><th class=\"num\">value</th><th "
         "class=\"num\">baseline</th><th>check</th></tr>\n",
         (long long)json_integer_value(json_object_get(latest, "id")));
    json_array_foreach(keys, i, k)
    {
        int bad = json_is_true(json_array_get(k, 8));
        put(p, bad ? "<tr class=\"violation\"" : "<tr");
        key_parts(p, k, attr_seps);
        putf(p, "><td>%s</td><td>", stage_names[json_integer_value(json_array_get(k, 0)) == 1]);
        esc(p, json_string_value(json_array_get(k, 1)));
        put(p, "</td><td>");
        esc(p, json_string_value(json_array_get(k, 2)));
        put(p, "</td><td>");
        esc(p, json_string_value(json_array_get(k, 3)));
        put(p, "</td>");
        bm_report_value_cell(p, "value", json_array_get(k, 4));
        bm_report_value_cell(p, "baseline", json_array_get(k, 5));
        put(p,
            bad ? "<td class=\"check\">violation</td></tr>\n" : "<td class=\"check\"></td></tr>\n");
    }
    put(p, "</table>\n");
}

static void executions_section(page *p, const char *name, bm_exec_record *e, size_t n,
                               int64_t before)
{
    put(p, "<h2>Executions</h2>\n");
    if (before != INT64_MAX) {
        put(p, "<p class=\"sub\">Scheduled before ");
        when(p, (double)before);
        put(p, " \xc2\xb7 <a href=\"/ui/schedules/");
        esc(p, name);
        put(p, "\">the latest</a></p>\n");
    }
    put(p, "<table class=\"executions\">\n<tr><th>scheduled (UTC)</th><th>status</th>"
           "<th class=\"num\">violations</th><th>started</th><th>ended</th><th>failure reason</th>"
           "<th>report</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        putf(p, "<tr data-exec-id=\"%lld\" data-scheduled=\"%lld\"><td>", (long long)e[i].id,
             (long long)e[i].scheduled_time);
        when(p, (double)e[i].scheduled_time);
        put(p, "</td><td class=\"st st-");
        esc(p, e[i].status);
        put(p, "\">");
        esc(p, e[i].status);
        putf(p, "</td><td class=\"num\">%lld</td><td>", (long long)e[i].violations);
        when(p, e[i].started);
        put(p, "</td><td>");
        when(p, e[i].ended);
        put(p, "</td><td class=\"reason\">");
        esc(p, e[i].failure_reason);
        put(p, "</td><td>");
        if (!strncmp(e[i].status, "Completed", 9))
            putf(p,
                 "<a class=\"report\" href=\"/ui/executions/%lld/report.html\">report</a> "
                 "<a class=\"analysis\" href=\"/ui/executions/%lld/analysis.json\">json</a>",
                 (long long)e[i].id, (long long)e[i].id);
        put(p, "</td></tr>\n");
    }
    put(p, "</table>\n");
    if (n == EXECUTIONS_PAGE) {
        put(p, "<p><a class=\"older\" href=\"/ui/schedules/");
        esc(p, name);
        putf(p, "?before=%lld\">older executions</a></p>\n", (long long)e[n - 1].scheduled_time);
    }
}

static int schedule_page(bm_service *s, const bm_http_request *req, const char *name,
                         bm_http_response *res, bm_error *err)
{
    bm_resource sc = {0};
    json_t *lines = NULL;
    bm_exec_record *e = NULL;
    size_t ne = 0;
    int r = bm_state_resource_get(s->db, BM_RES_SCHEDULE, name, &sc, err);
    if (r == BM_ENOTFOUND) {
        message(res, 404, "No such schedule", "There is no monitoring schedule of that name.");
        return BM_OK;
    }
    int64_t before = int_param(req->query, "before", INT64_MAX);
    if (!r) r = bm__series_load(s, sc.name, SERIES_N, &lines, err);
    if (!r) r = bm_state_exec_recent(s->db, sc.name, before, EXECUTIONS_PAGE, &e, &ne, err);
    if (!r) {
        answer(res, 200, "text/html; charset=utf-8");
        page p = {&res->body, BM_OK};
        head(&p, sc.name);
        put(&p, "<h1>");
        esc(&p, sc.name);
        putf(&p,
             "</h1>\n<p class=\"sub\">state <b class=\"state state-%s\">%s</b> \xc2\xb7 endpoint ",
             schedule_state(&sc), schedule_state(&sc));
        esc(&p, sc.endpoint);
        put(&p, " \xc2\xb7 job definition ");
        esc(&p, bm_json_string(sc.doc, "MonitoringScheduleConfig.MonitoringJobDefinitionName"));
        put(&p, " \xc2\xb7 ");
        esc(&p,
            bm_json_string(sc.doc, "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression"));
        put(&p, "</p>\n");
        series_section(&p, lines);
        executions_section(&p, sc.name, e, ne, before);
        tail(&p);
        r = p.rc;
    }
    bm_resource_release(&sc);
    json_decref(lines);
    bm_free(e);
    return r;
}

/* ==================================================================== an execution's files */

static int execution_file(bm_service *s, const char *id_text, const char *file,
                          bm_http_response *res)
{
    char *end;
    errno = 0;
    long long id = strtoll(id_text, &end, 10);
    bm_exec_record e;
    bm_error err;
    bm_error_clear(&err);
    char uri[BM_EXECUTION_OUTPUT_MAX + 64];
    if (errno || end == id_text || *end || id <= 0 || bm_state_exec_get(s->db, id, &e, &err) ||
        strncmp(e.status, "Completed", 9)) {
        message(res, 404, "No such report",
                "There is no completed execution of that id: only completed executions have "
                "reports.");
        return BM_OK;
    }
    int r = bm_uri_join(e.output_uri, file, uri, sizeof(uri));
    bm_buf_reset(&res->body);
    if (!r) r = bm_store_read(uri, REPORT_MAX, &res->body, &err);
    if (r) {
        bm__log(s, BM_LOG_WARN, "ui_file_unreadable", "exec=%lld file=%s error=\"%s\"", id, file,
                err.msg);
        message(res, 404, "Report unavailable",
                "The execution's output cannot be read now (the service's log says why).");
        return BM_OK;
    }
    answer(res, 200,
           !strcmp(file, "report.html") ? "text/html; charset=utf-8" : "application/json");
    return BM_OK;
}

/* ==================================================================== routing */

int bm__ui_handle(bm_service *s, const bm_http_request *req, bm_http_response *res)
{
    const char *path = req->path;
    if (strcmp(path, "/ui") && strncmp(path, "/ui/", 4)) return 0;
    if (strcmp(req->method, "GET")) {
        message(res, 405, "Read only", "The dashboard answers GET requests only.");
        return 1;
    }
    if (!strcmp(path, "/ui/login")) {
        size_t n;
        const char *t = param(req->query, "token", '&', &n);
        if (!t || !same_secret(t, n, s->ui_token, strlen(s->ui_token))) {
            bm__log(s, BM_LOG_WARN, "ui_auth_refused", "remote=%s reason=login",
                    req->remote ? req->remote : "?");
            message(res, 401, "Wrong token",
                    "Open /ui/login?token=TOKEN with the token in the data directory's ui-token "
                    "file.");
            return 1;
        }
        message(res, 303, "Signed in", "Signed in: continue to /ui.");
        res->extra[res->nextra].name = "Location";
        res->extra[res->nextra++].value = "/ui";
        res->extra[res->nextra].name = "Set-Cookie";
        res->extra[res->nextra++].value = s->ui_cookie;
        return 1;
    }
    if (!authorized(s, req)) {
        bm__log(s, BM_LOG_WARN, "ui_auth_refused", "remote=%s reason=no_token",
                req->remote ? req->remote : "?");
        message(res, 401, "Token needed",
                "This service listens beyond loopback, so its dashboard needs the token in the "
                "data directory's ui-token file: open /ui/login?token=TOKEN once (a cookie keeps "
                "it), or send Authorization: Bearer TOKEN.");
        return 1;
    }
    bm_error err;
    bm_error_clear(&err);
    int r = BM_OK;
    char name[64];
    if (!strcmp(path, "/ui") || !strcmp(path, "/ui/")) {
        answer(res, 200, "text/html; charset=utf-8");
        r = overview(s, req, &res->body, &err);
    } else if (!strncmp(path, "/ui/schedules/", 14) && strlen(path + 14) < sizeof(name) &&
               path[14] &&
               strspn(path + 14, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789-") == strlen(path + 14)) {
        snprintf(name, sizeof(name), "%s", path + 14);
        r = schedule_page(s, req, name, res, &err);
    } else if (!strncmp(path, "/ui/executions/", 15)) {
        char id[24];
        const char *slash = strchr(path + 15, '/');
        size_t il = slash ? (size_t)(slash - (path + 15)) : 0;
        if (slash && il && il < sizeof(id) &&
            (!strcmp(slash + 1, "report.html") || !strcmp(slash + 1, "analysis.json"))) {
            memcpy(id, path + 15, il);
            id[il] = 0;
            r = execution_file(s, id, slash + 1, res);
        } else {
            message(res, 404, "Not found",
                    "An execution serves report.html and analysis.json only.");
        }
    } else {
        message(res, 404, "Not found", "The dashboard has /ui and /ui/schedules/NAME.");
    }
    if (r) {
        bm__log(s, BM_LOG_ERROR, "ui_error", "path=%s code=%d msg=\"%s\"", path, r, err.msg);
        message(res, 500, "Dashboard error",
                "The page could not be rendered (the service's log says why).");
    }
    return 1;
}
