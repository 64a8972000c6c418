/* Python's text for numbers, so that biasmon writes what Clarify (a Python program) writes:
 * repr(float) and str(bool). Parsing numbers as Python's int() and float() do lives with cell
 * typing (biasmon/cell.h: bm_py_parse_int, bm_py_parse_float), whose pandas rules it shares. */
#ifndef BIASMON_PYNUM_H
#define BIASMON_PYNUM_H

#include <stddef.h>

/* Writes Python's repr() of x into out (at most outlen bytes with the NUL, truncated beyond):
 * "0.1", "1e-05", "2.0", "1e+16", "-0.0", "5e-324", "inf", "-inf", "nan". 25 bytes always
 * suffice. Returns the length of the whole text (as snprintf does). Reentrant. */
size_t bm_py_float_repr(double x, char *out, size_t outlen);

/* str() of a Python bool: "True" or "False" (a static string). */
const char *bm_py_bool_str(int b);

#endif
