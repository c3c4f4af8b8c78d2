/* Numeric CSV reader; see csv.h. */
#include "csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err != NULL && errlen > 0) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* One field [b, e) trimmed of blanks; parses it as a number.  Returns 0 on
 * success, 1 when empty, 2 when not a number. */
static int parse_field(const char *b, const char *e, double *v)
{
    while (b < e && is_blank(*b))
        b++;
    while (e > b && is_blank(e[-1]))
        e--;
    if (b == e) return 1;
    char tmp[128];
    size_t n = (size_t)(e - b);
    if (n >= sizeof tmp) return 2;
    memcpy(tmp, b, n);
    tmp[n] = '\0';
    char *endp;
    errno = 0;
    double x = strtod(tmp, &endp);
    if (endp != tmp + n) return 2;
    *v = x;
    return 0;
}

/* A short printable excerpt of a field for messages. */
static void excerpt(const char *b, const char *e, char *out, size_t outlen)
{
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

int csv_parse(const char *text, size_t len, npy_array *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
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
        /* Count and parse the fields of this line. */
        size_t nf = 0, nnum = 0;
        const char *fb = p;
        int bad = 0;
        size_t bad_col = 0;
        const char *bad_b = NULL, *bad_e = NULL;
        for (;;) {
            const char *fe = memchr(fb, ',', (size_t)(eol - fb));
            if (fe == NULL) fe = eol;
            double v;
            int r = parse_field(fb, fe, &v);
            nf++;
            if (r == 0) {
                nnum++;
            } else if (!bad) {
                bad = r;
                bad_col = nf;
                bad_b = fb;
                bad_e = fe;
            }
            if (fe == eol) break;
            fb = fe + 1;
        }
        if (first && nnum == 0 && !(nf == 1 && bad == 1)) {
            /* A header line: no field is a number. */
            first = 0;
            p = eol + 1;
            continue;
        }
        first = 0;
        if (bad == 1) {
            free(data);
            return fail(err, errlen, "line %ld, column %zu: empty field", line, bad_col);
        }
        if (bad == 2) {
            char ex[40];
            excerpt(bad_b, bad_e, ex, sizeof ex);
            free(data);
            return fail(err, errlen, "line %ld, column %zu: '%s' is not a number", line, bad_col,
                        ex);
        }
        if (cols == 0)
            cols = nf;
        else if (nf != cols) {
            free(data);
            return fail(err, errlen, "line %ld has %zu fields, expected %zu like the first row",
                        line, nf, cols);
        }
        if ((rows + 1) * cols > cap) {
            size_t ncap = cap ? 2 * cap : 1024;
            while (ncap < (rows + 1) * cols)
                ncap *= 2;
            double *nd = realloc(data, ncap * sizeof *nd);
            if (nd == NULL) {
                free(data);
                return fail(err, errlen, "out of memory at line %ld", line);
            }
            data = nd;
            cap = ncap;
        }
        fb = p;
        for (size_t j = 0; j < cols; j++) {
            const char *fe = memchr(fb, ',', (size_t)(eol - fb));
            if (fe == NULL) fe = eol;
            parse_field(fb, fe, &data[rows * cols + j]);
            fb = fe + 1;
        }
        rows++;
        p = eol + 1;
    }
    if (rows == 0) {
        free(data);
        return fail(err, errlen, "no data rows");
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

int csv_read(const char *path, npy_array *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return fail(err, errlen, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return fail(err, errlen, "not a regular file");
    }
    size_t n = (size_t)st.st_size;
    char *text = malloc(n > 0 ? n : 1);
    if (text == NULL) {
        fclose(f);
        return fail(err, errlen, "out of memory for %zu bytes", n);
    }
    if (n > 0 && fread(text, 1, n, f) != n) {
        free(text);
        fclose(f);
        return fail(err, errlen, "read error");
    }
    fclose(f);
    for (size_t i = 0; i < n; i++)
        if (text[i] == '\0') {
            free(text);
            return fail(err, errlen, "binary data (NUL byte at offset %zu); not a CSV file", i);
        }
    int r = csv_parse(text, n, out, err, errlen);
    free(text);
    return r;
}
