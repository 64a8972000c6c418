/* Python's text for numbers: repr(float) and str() of the scalars analysis values hold, once for
 * every output (analysis.json, violations, /metrics, error messages). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/pynum.h"

/* Python's repr: the shortest digit string that reads back as x, fixed notation when the decimal
 * exponent is in [-4, 16), else scientific with at least two exponent digits. */
size_t bm_py_float_repr(double x, char *out, size_t outlen)
{
    char buf[64];
    if (isnan(x)) return (size_t)snprintf(out, outlen, "nan");
    if (isinf(x)) return (size_t)snprintf(out, outlen, x < 0 ? "-inf" : "inf");
    if (x == 0) return (size_t)snprintf(out, outlen, signbit(x) ? "-0.0" : "0.0");
    /* The shortest digit string that reads back as x (Python's repr). printf's correctly
     * rounded digits are tried first at each length; when they do not read back, the next
     * string above or below can (powers of two, whose lower neighbour is closer). */
    char digits[32];
    size_t nd = 0;
    int neg = x < 0, exp10 = 0, found = 0;
    for (int prec = 0; prec < 17 && !found; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec, x);
        const char *p = buf + neg;
        char d[32];
        size_t n = 0;
        for (; *p && *p != 'e'; p++)
            if (isdigit((unsigned char)*p)) d[n++] = *p;
        int e = (int)strtol(p + 1, NULL, 10); /* printf's exponent: a few digits */
        for (int delta = 0; delta < 3 && !found; delta++) {
            char c[32];
            memcpy(c, d, n);
            int ce = e;
            if (delta) { /* +1 or -1 in the last digit, with carry or borrow */
                size_t k = n;
                int carry = delta == 1 ? 1 : -1;
                while (k-- > 0 && carry) {
                    int v = c[k] - '0' + carry;
                    carry = v > 9 ? 1 : v < 0 ? -1 : 0;
                    c[k] = (char)('0' + (v + 10) % 10);
                }
                if (carry || c[0] == '0') continue; /* the digit count would change */
            }
            char t[64];
            size_t o = 0;
            if (neg) t[o++] = '-';
            t[o++] = c[0];
            if (n > 1) {
                t[o++] = '.';
                memcpy(t + o, c + 1, n - 1);
                o += n - 1;
            }
            snprintf(t + o, sizeof(t) - o, "e%d", ce);
            if (strtod(t, NULL) == x) {
                memcpy(digits, c, n);
                nd = n;
                exp10 = ce;
                found = 1;
            }
        }
    }
    if (!found) { /* 17 digits always read back */
        snprintf(buf, sizeof(buf), "%.16e", x);
        const char *p = buf + neg;
        for (nd = 0; *p && *p != 'e'; p++)
            if (isdigit((unsigned char)*p)) digits[nd++] = *p;
        exp10 = (int)strtol(p + 1, NULL, 10);
    }
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = 0;
    int decpt = exp10 + 1; /* digits d1 d2 ... with the point after decpt digits */
    char res[64];
    size_t o = 0;
    if (neg) res[o++] = '-';
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            res[o++] = '0';
            res[o++] = '.';
            for (int k = 0; k < -decpt; k++)
                res[o++] = '0';
            for (size_t k = 0; k < nd; k++)
                res[o++] = digits[k];
        } else {
            for (int k = 0; k < decpt; k++)
                res[o++] = (size_t)k < nd ? digits[k] : '0';
            res[o++] = '.';
            if ((size_t)decpt < nd)
                for (size_t k = (size_t)decpt; k < nd; k++)
                    res[o++] = digits[k];
            else
                res[o++] = '0';
        }
    } else {
        res[o++] = digits[0];
        if (nd > 1) {
            res[o++] = '.';
            for (size_t k = 1; k < nd; k++)
                res[o++] = digits[k];
        }
        int e = decpt - 1;
        o += (size_t)snprintf(res + o, sizeof(res) - o, "e%c%02d", e < 0 ? '-' : '+',
                              e < 0 ? -e : e);
    }
    res[o] = 0;
    return (size_t)snprintf(out, outlen, "%s", res);
}

const char *bm_py_bool_str(int b)
{
    return b ? "True" : "False";
}
