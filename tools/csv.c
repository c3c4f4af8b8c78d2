/* Numeric CSV reader; see csv.h. */
#include "csv.h"
#include "reader.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* A short printable excerpt of the field starting at b (up to ',' or eol). */
static void excerpt(const char *b, const char *eol, char *out, size_t outlen)
{
    const char *e = memchr(b, ',', (size_t)(eol - b));
    if (e == NULL) e = eol;
    while (b < e && is_blank(*b))
        b++;
    while (e > b && is_blank(e[-1]))
        e--;
    size_t n = 0;
    for (; b < e && n + 4 < outlen; b++)
        out[n++] = (*b >= 32 && *b < 127) ? *b : '?';
    if (b < e) out[n++] = '.', out[n++] = '.', out[n++] = '.';
    out[n] = '\0';
}

static size_t count_fields(const char *p, const char *eol)
{
    size_t n = 1;
    for (; p < eol; p++)
        n += *p == ',';
    return n;
}

/* Parses the field at *pp (ending at ',' or eol) in place, without copying:
 * strtod stops at the separator.  Returns 0 and advances *pp past the
 * separator, 1 for an empty field, 2 for a field that is not a number. */
static int parse_field(const char **pp, const char *eol, double *v)
{
    const char *b = *pp;
    while (b < eol && is_blank(*b))
        b++;
    if (b == eol || *b == ',') return 1;
    /* strtod would skip other white space, even a newline: refuse it. */
    if (strchr("+-.0123456789iInN", *b) == NULL) return 2;
    char *endp;
    double x = strtod(b, &endp);
    const char *e = endp;
    if (e == b || e > eol) return 2;
    while (e < eol && is_blank(*e))
        e++;
    if (e < eol && *e != ',') return 2;
    *v = x;
    *pp = e < eol ? e + 1 : eol;
    return 0;
}

static int grow(double **data, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 1024;
    while (ncap < need)
        ncap *= 2;
    double *nd = realloc(*data, ncap * sizeof *nd);
    if (nd == NULL) return -1;
    *data = nd;
    *cap = ncap;
    return 0;
}

/* The parser proper: one pass, values stored as they are read.  text[len]
 * must be '\0' so that strtod always stops inside the buffer. */
static int parse_terminated(const char *text, size_t len, npy_array *out, char *err, size_t errlen)
{
    const char *p = text, *end = text + len;
    size_t cols = 0, rows = 0, cap = 0;
    double *data = NULL;
    int first = 1;
    long line = 0;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL) eol = end;
        line++;
        const char *q = p;
        while (q < eol && is_blank(*q))
            q++;
        if (q == eol) { /* blank line */
            p = eol + 1;
            continue;
        }
        const size_t base = rows * cols;
        size_t nf = 0, nnum = 0, bad_col = 0;
        int bad = 0;
        const char *bad_at = NULL, *f = p;
        for (;;) {
            if (cols != 0 && nf == cols) { /* more fields than the first row */
                free(data);
                return reader_fail(err, errlen,
                                   "line %ld has %zu fields, expected %zu like the first row", line,
                                   count_fields(p, eol), cols);
            }
            if (grow(&data, &cap, base + nf + 1) != 0) {
                free(data);
                return reader_fail(err, errlen, "out of memory at line %ld", line);
            }
            const char *fb = f;
            int r = parse_field(&f, eol, &data[base + nf]);
            nf++;
            if (r == 0) {
                nnum++;
            } else {
                if (!bad) bad = r, bad_col = nf, bad_at = fb;
                if (!first) break;
                /* First line: maybe a header; skip to the next field. */
                const char *c = memchr(fb, ',', (size_t)(eol - fb));
                f = c ? c + 1 : eol;
                if (c == NULL) break;
                continue;
            }
            if (f[-1] != ',') break; /* the last field of the line */
        }
        if (first && nnum == 0 && !(nf == 1 && bad == 1)) {
            first = 0; /* a header line: no field is a number */
            p = eol + 1;
            continue;
        }
        first = 0;
        if (bad == 1) {
            free(data);
            return reader_fail(err, errlen, "line %ld, column %zu: empty field", line, bad_col);
        }
        if (bad == 2) {
            char ex[40];
            excerpt(bad_at, eol, ex, sizeof ex);
            free(data);
            return reader_fail(err, errlen, "line %ld, column %zu: '%s' is not a number", line,
                               bad_col, ex);
        }
        if (cols == 0)
            cols = nf;
        else if (nf != cols) {
            free(data);
            return reader_fail(err, errlen,
                               "line %ld has %zu fields, expected %zu like the first row", line, nf,
                               cols);
        }
        rows++;
        p = eol + 1;
    }
    if (rows == 0) {
        free(data);
        return reader_fail(err, errlen, "no data rows");
    }
    out->dtype = NPY_F8;
    out->ndim = 2;
    out->shape[0] = (int64_t)rows;
    out->shape[1] = (int64_t)cols;
    out->fortran_order = 0;
    out->size = (int64_t)(rows * cols);
    out->data = data;
    return 0;
}

int csv_parse(const char *text, size_t len, npy_array *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *copy = malloc(len + 1);
    if (copy == NULL) return reader_fail(err, errlen, "out of memory for %zu bytes", len);
    memcpy(copy, text, len);
    copy[len] = '\0';
    int r = parse_terminated(copy, len, out, err, errlen);
    free(copy);
    return r;
}

int csv_read(const char *path, npy_array *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t n = 0;
    FILE *f = reader_open(path, &n, err, errlen);
    if (f == NULL) return -1;
    char *text = malloc(n + 1);
    if (text == NULL) {
        fclose(f);
        return reader_fail(err, errlen, "out of memory for %zu bytes", n);
    }
    if (n > 0 && fread(text, 1, n, f) != n) {
        free(text);
        fclose(f);
        return reader_fail(err, errlen, "read error");
    }
    fclose(f);
    for (size_t i = 0; i < n; i++)
        if (text[i] == '\0') {
            free(text);
            return reader_fail(err, errlen, "binary data (NUL byte at offset %zu); not a CSV file",
                               i);
        }
    text[n] = '\0';
    int r = parse_terminated(text, n, out, err, errlen);
    free(text);
    return r;
}
