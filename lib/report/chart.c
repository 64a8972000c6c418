/* Charts for people as inline SVG: a metric's time series with its baseline, interval band and
 * violations (the dashboard's schedule page), a sparkline of violations (its overview), and the
 * HTML escaping every page of biasmon uses. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "biasmon/reportdoc.h"

int bm_html_escape(bm_buf *b, const char *s)
{
    int r = BM_OK;
    for (const char *p = s; p && *p && !r; p++) {
        switch (*p) {
        case '&':
            r = bm_buf_puts(b, "&amp;");
            break;
        case '<':
            r = bm_buf_puts(b, "&lt;");
            break;
        case '>':
            r = bm_buf_puts(b, "&gt;");
            break;
        case '"':
            r = bm_buf_puts(b, "&quot;");
            break;
        case '\'':
            r = bm_buf_puts(b, "&#39;");
            break;
        default:
            r = bm_buf_putc(b, *p);
        }
    }
    return r;
}

void bm_html_put(bm_html_out *o, const char *s)
{
    if (!o->rc) o->rc = bm_buf_puts(o->b, s);
}

void bm_html_putf(bm_html_out *o, const char *fmt, ...)
{
    if (o->rc) return;
    char tmp[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    o->rc = n < 0 || (size_t)n >= sizeof(tmp) ? BM_EINTERNAL : bm_buf_append(o->b, tmp, (size_t)n);
}

void bm_html_esc(bm_html_out *o, const char *s)
{
    if (!o->rc) o->rc = bm_html_escape(o->b, s);
}

/* ---- the time series ---- */

#define SW 580.0 /* width */
#define SH 150.0 /* height */
#define ML 52.0  /* left margin: the value labels */
#define MR 8.0
#define MT 8.0
#define MB 20.0 /* bottom margin: the time labels */

typedef struct frame {
    double lo, hi; /* value range */
    int64_t t0, t1;
} frame;

static double fx(const frame *f, int64_t t)
{
    return ML + (double)(t - f->t0) / (double)(f->t1 - f->t0) * (SW - ML - MR);
}

static double fy(const frame *f, double v)
{
    if (v > f->hi) v = f->hi; /* infinities and the like at the edge */
    if (v < f->lo) v = f->lo;
    return MT + (f->hi - v) / (f->hi - f->lo) * (SH - MT - MB);
}

/* "Cx.x y.y": a path command and a point in tenths, without printf (a page draws ~13,000). The
 * coordinates lie within the chart, so they are small and non-negative. */
static int point(bm_buf *b, char cmd, double x, double y)
{
    char t[48];
    size_t n = 0;
    t[n++] = cmd;
    for (int k = 0; k < 2; k++) {
        double v = k ? y : x;
        long q = v > 0 && v < 1e6 ? (long)(v * 10 + 0.5) : 0;
        char d[24];
        int m = 0;
        do
            d[m++] = (char)('0' + q % 10);
        while ((q /= 10) > 0);
        if (m == 1) d[m++] = '0'; /* at least one digit before the point */
        if (k) t[n++] = ' ';
        while (m > 1)
            t[n++] = d[--m];
        t[n++] = '.';
        t[n++] = d[0];
    }
    return bm_buf_append(b, t, n);
}

static void widen(frame *f, double v, int *any)
{
    if (!isfinite(v)) return;
    if (!*any || v < f->lo) f->lo = v;
    if (!*any || v > f->hi) f->hi = v;
    *any = 1;
}

static int time_label(bm_buf *b, double x, int64_t t, const char *anchor)
{
    struct tm tm;
    time_t tt = (time_t)t;
    char text[32];
    if (!gmtime_r(&tt, &tm) || !strftime(text, sizeof(text), "%Y-%m-%d %H:%M", &tm))
        snprintf(text, sizeof(text), "%lld", (long long)t);
    return bm_buf_printf(b,
                         "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>",
                         x, SH - 5, anchor, text);
}

/* The band: one closed path per run of points that have an interval. */
static int band(bm_buf *b, const frame *f, const bm_report_series *s)
{
    int r = BM_OK;
    size_t i = 0;
    while (i < s->n && !r) {
        if (!(isfinite(s->pts[i].lo) && isfinite(s->pts[i].hi))) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < s->n && isfinite(s->pts[j].lo) && isfinite(s->pts[j].hi))
            j++;
        r = bm_buf_puts(b, "<path class=\"band\" d=\"");
        for (size_t k = i; k < j && !r; k++)
            r = point(b, k == i ? 'M' : 'L', fx(f, s->pts[k].t), fy(f, s->pts[k].hi));
        if (j == i + 1 && !r) /* a lone point: a short bar */
            r = bm_buf_printf(b, "L%.1f %.1f", fx(f, s->pts[i].t) + 2, fy(f, s->pts[i].hi));
        if (j == i + 1 && !r)
            r = bm_buf_printf(b, "L%.1f %.1f", fx(f, s->pts[i].t) + 2, fy(f, s->pts[i].lo));
        for (size_t k = j; k > i && !r; k--)
            r = point(b, 'L', fx(f, s->pts[k - 1].t), fy(f, s->pts[k - 1].lo));
        if (!r) r = bm_buf_puts(b, "Z\"/>");
        i = j;
    }
    return r;
}

int bm_report_series_svg(const bm_report_series *s, bm_buf *b)
{
    if (!s || (s->n && !s->pts) || s->t1 <= s->t0) return BM_EINVAL;
    frame f = {0, 0, s->t0, s->t1};
    int any = 0;
    size_t drawn = 0, nviol = 0;
    for (size_t i = 0; i < s->n; i++) {
        widen(&f, s->pts[i].value, &any);
        widen(&f, s->pts[i].lo, &any);
        widen(&f, s->pts[i].hi, &any);
        if (!isnan(s->pts[i].value)) drawn++;
        if (s->pts[i].violated) nviol++;
    }
    widen(&f, s->baseline, &any);
    if (!any) f.lo = 0, f.hi = 1;
    double pad = (f.hi - f.lo) * 0.08;
    if (pad <= 0) pad = fabs(f.hi) > 0 ? fabs(f.hi) * 0.1 : 0.1;
    f.lo -= pad;
    f.hi += pad;
    int r = bm_buf_printf(b,
                          "<svg class=\"series\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f "
                          "%.0f\" role=\"img\" data-points=\"%zu\" data-violations=\"%zu\">",
                          SW, SH, SW, SH, drawn, nviol);
    if (!r)
        r = bm_buf_printf(
            b, "<rect class=\"plot\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", ML,
            MT, SW - ML - MR, SH - MT - MB);
    if (!r) r = band(b, &f, s);
    double neutral = s->metric && !strcmp(s->metric, "DI") ? 1.0 : 0.0;
    if (!r && neutral > f.lo && neutral < f.hi)
        r = bm_buf_printf(
            b, "<line class=\"neutral\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", ML,
            fy(&f, neutral), SW - MR, fy(&f, neutral));
    if (!r && isfinite(s->baseline))
        r = bm_buf_printf(b,
                          "<line class=\"base\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                          ML, fy(&f, s->baseline), SW - MR, fy(&f, s->baseline));
    /* the value: a path broken where an execution has none */
    if (!r && drawn) r = bm_buf_puts(b, "<path class=\"line\" d=\"");
    int pen = 0;
    for (size_t i = 0; i < s->n && !r && drawn; i++) {
        if (isnan(s->pts[i].value)) {
            pen = 0;
            continue;
        }
        r = point(b, pen ? 'L' : 'M', fx(&f, s->pts[i].t), fy(&f, s->pts[i].value));
        pen = 1;
    }
    if (!r && drawn) r = bm_buf_puts(b, "\"/>");
    /* a lone value between gaps would be invisible as a line: a dot for each such point */
    for (size_t i = 0; i < s->n && !r; i++) {
        int alone = !isnan(s->pts[i].value) && (i == 0 || isnan(s->pts[i - 1].value)) &&
                    (i + 1 == s->n || isnan(s->pts[i + 1].value));
        if (alone && !s->pts[i].violated)
            r = bm_buf_printf(b, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/>",
                              fx(&f, s->pts[i].t), fy(&f, s->pts[i].value));
    }
    /* the violations: one path of zero-length segments, each drawn as a dot by its round cap */
    if (!r && nviol) r = bm_buf_puts(b, "<path class=\"marks\" d=\"");
    for (size_t i = 0; i < s->n && !r && nviol; i++)
        if (s->pts[i].violated) {
            r = point(b, 'M', fx(&f, s->pts[i].t),
                      fy(&f, isnan(s->pts[i].value) ? f.hi : s->pts[i].value));
            if (!r) r = bm_buf_puts(b, "h0");
        }
    if (!r && nviol) r = bm_buf_puts(b, "\"/>");
    char lo[32], hi[32];
    snprintf(lo, sizeof(lo), "%.4g", f.lo + pad);
    snprintf(hi, sizeof(hi), "%.4g", f.hi - pad);
    if (!r)
        r = bm_buf_printf(
            b,
            "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>"
            "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
            ML - 4, fy(&f, f.hi - pad) + 3, hi, ML - 4, fy(&f, f.lo + pad) + 3, lo);
    if (!r) r = time_label(b, ML, s->t0, "start");
    if (!r) r = time_label(b, SW - MR, s->t1, "end");
    if (!r) r = bm_buf_puts(b, "</svg>");
    return r;
}

/* ---- the sparkline ---- */

int bm_report_sparkline_svg(const int64_t *counts, size_t n, bm_buf *b)
{
    if (n && !counts) return BM_EINVAL;
    const double w = 150, h = 24, bw = n ? w / (double)n : w;
    int64_t top = 1;
    for (size_t i = 0; i < n; i++)
        if (counts[i] > top) top = counts[i];
    int r =
        bm_buf_printf(b,
                      "<svg class=\"spark\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f "
                      "%.0f\" role=\"img\"><line class=\"axis\" x1=\"0\" y1=\"%.1f\" x2=\"%.0f\" "
                      "y2=\"%.1f\"/>",
                      w, h, w, h, h - 0.5, w, h - 0.5);
    /* two paths, the violations' bars and the failures' marks: a few bytes a bar */
    for (int pass = 0; pass < 2 && !r; pass++) {
        int open = 0;
        for (size_t i = 0; i < n && !r; i++) {
            double x = (double)i * bw, bwid = bw > 1.5 ? bw - 0.5 : bw, bh;
            if (pass == 0 && counts[i] > 0) {
                bh = 3 + (h - 4) * (double)counts[i] / (double)top;
                if (bh > h) bh = h;
            } else if (pass == 1 && counts[i] == -1)
                bh = 4;
            else
                continue;
            if (!open) r = bm_buf_printf(b, "<path class=\"%s\" d=\"", pass ? "failed" : "viol");
            open = 1;
            if (!r) r = bm_buf_printf(b, "M%.1f %.0fh%.1fv%.1fh%.1fz", x, h, bwid, -bh, -bwid);
        }
        if (open && !r) r = bm_buf_puts(b, "\"/>");
    }
    if (!r) r = bm_buf_puts(b, "</svg>");
    return r;
}
