/* NumPy .npy reader and writer; see npy.h.  The format is documented in
 * numpy/lib/format.py: magic "\x93NUMPY", major and minor version bytes, a
 * little-endian header length (2 bytes in 1.0, 4 bytes in 2.0 and 3.0), then
 * an ASCII (3.0: UTF-8) Python dict literal with the keys 'descr',
 * 'fortran_order' and 'shape', padded with spaces and ended by '\n'. */
#include "npy.h"
#include "reader.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NPY_MAGIC     "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* NumPy itself refuses headers above 10 000 bytes unless told otherwise;
 * anything above this bound is a corrupt or hostile file. */
#define NPY_MAX_HEADER (1u << 20)

/* The data buffer.  Large arrays get 2 MiB-aligned memory marked for
 * transparent huge pages: reading 100 MB then costs a few dozen page faults
 * instead of 25 000, which dominated the load time.  Freed with free(). */
static void *alloc_data(size_t nbytes)
{
    const size_t huge = (size_t)2 << 20;
    if (nbytes < 2 * huge) return malloc(nbytes > 0 ? nbytes : 1);
    void *p = NULL;
    if (posix_memalign(&p, huge, nbytes) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, nbytes, MADV_HUGEPAGE); /* advice only: failure is harmless */
#endif
    return p;
}

static const struct {
    const char *descr;
    size_t size;
    int integer;
} dtypes[] = {
    [NPY_F8] = {"<f8", 8, 0}, [NPY_F4] = {"<f4", 4, 0}, [NPY_I4] = {"<i4", 4, 1},
    [NPY_I8] = {"<i8", 8, 1}, [NPY_I1] = {"|i1", 1, 1}, [NPY_U1] = {"|u1", 1, 1},
    [NPY_I2] = {"<i2", 2, 1}, [NPY_U2] = {"<u2", 2, 1}, [NPY_U4] = {"<u4", 4, 1},
    [NPY_U8] = {"<u8", 8, 1},
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])

size_t npy_itemsize(enum npy_dtype dtype)
{
    return (size_t)dtype < N_DTYPES ? dtypes[dtype].size : 0;
}

const char *npy_descr(enum npy_dtype dtype)
{
    return (size_t)dtype < N_DTYPES ? dtypes[dtype].descr : "?";
}

int npy_is_integer(enum npy_dtype dtype)
{
    return (size_t)dtype < N_DTYPES && dtypes[dtype].integer;
}

void npy_strides(const npy_array *a, int64_t *strides)
{
    int64_t s = 1;
    if (a->fortran_order) {
        for (int i = 0; i < a->ndim; i++) {
            strides[i] = s;
            s *= a->shape[i] > 0 ? a->shape[i] : 1;
        }
    } else {
        for (int i = a->ndim - 1; i >= 0; i--) {
            strides[i] = s;
            s *= a->shape[i] > 0 ? a->shape[i] : 1;
        }
    }
}

double npy_get(const npy_array *a, int64_t i)
{
    switch (a->dtype) {
    case NPY_F8:
        return ((const double *)a->data)[i];
    case NPY_F4:
        return (double)((const float *)a->data)[i];
    case NPY_U8:
        return (double)((const uint64_t *)a->data)[i];
    default: {
        int64_t v = 0;
        npy_get_int(a, i, &v);
        return (double)v;
    }
    }
}

int npy_get_int(const npy_array *a, int64_t i, int64_t *v)
{
    switch (a->dtype) {
    case NPY_I1:
        *v = ((const int8_t *)a->data)[i];
        return 0;
    case NPY_U1:
        *v = ((const uint8_t *)a->data)[i];
        return 0;
    case NPY_I2:
        *v = ((const int16_t *)a->data)[i];
        return 0;
    case NPY_U2:
        *v = ((const uint16_t *)a->data)[i];
        return 0;
    case NPY_I4:
        *v = ((const int32_t *)a->data)[i];
        return 0;
    case NPY_U4:
        *v = ((const uint32_t *)a->data)[i];
        return 0;
    case NPY_I8:
        *v = ((const int64_t *)a->data)[i];
        return 0;
    case NPY_U8: {
        uint64_t u = ((const uint64_t *)a->data)[i];
        if (u > (uint64_t)INT64_MAX) return -1;
        *v = (int64_t)u;
        return 0;
    }
    default:
        return -1;
    }
}

static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    if (*pos >= len) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (n > 0) *pos += (size_t)n;
}

void npy_shape_string(const npy_array *a, char *buf, size_t len)
{
    size_t pos = 0;
    if (len == 0) return;
    buf[0] = '\0';
    append(buf, len, &pos, "(");
    for (int i = 0; i < a->ndim; i++)
        append(buf, len, &pos, "%s%" PRId64, i ? ", " : "", a->shape[i]);
    append(buf, len, &pos, a->ndim == 1 ? ",)" : ")");
}

void npy_index_string(const npy_array *a, int64_t i, char *buf, size_t len)
{
    int64_t idx[NPY_MAX_DIMS];
    int64_t rest = i;
    if (a->fortran_order) {
        for (int d = 0; d < a->ndim; d++) {
            idx[d] = rest % a->shape[d];
            rest /= a->shape[d];
        }
    } else {
        for (int d = a->ndim - 1; d >= 0; d--) {
            idx[d] = rest % a->shape[d];
            rest /= a->shape[d];
        }
    }
    size_t pos = 0;
    if (len == 0) return;
    buf[0] = '\0';
    append(buf, len, &pos, "[");
    for (int d = 0; d < a->ndim; d++)
        append(buf, len, &pos, "%s%" PRId64, d ? ", " : "", idx[d]);
    append(buf, len, &pos, "]");
}

void npy_free(npy_array *a)
{
    if (a == NULL) return;
    free(a->data);
    a->data = NULL;
    a->size = 0;
    a->ndim = 0;
}

/* ---- header dict parsing -------------------------------------------------- */

typedef struct {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* A Python string literal in single or double quotes, no escapes needed for
 * the keys and dtypes we accept. */
static int parse_string(cursor *c, char *out, size_t outlen)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return -1;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= outlen) return -1;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end) return -1;
    c->p++;
    out[n] = '\0';
    return 0;
}

static int expect(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p >= c->end || *c->p != ch) return -1;
    c->p++;
    return 0;
}

static int parse_descr(cursor *c, enum npy_dtype *dtype, char *err, size_t errlen)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == '[')
        return reader_fail(err, errlen,
                           "structured dtypes are not supported (expected '<f8' or '<f4')");
    char d[32];
    if (parse_string(c, d, sizeof d) != 0)
        return reader_fail(err, errlen, "malformed .npy header: bad 'descr' value");
    /* NumPy writes '|' for one-byte types; '<' and '=' mean the same there. */
    if ((d[0] == '<' || d[0] == '=') && d[1] != '\0' && d[2] == '1' && d[3] == '\0') d[0] = '|';
    size_t t = 0;
    while (t < N_DTYPES && strcmp(d, dtypes[t].descr) != 0)
        t++;
    if (t < N_DTYPES)
        *dtype = (enum npy_dtype)t;
    else if (d[0] == '>')
        return reader_fail(err, errlen,
                           "big-endian dtype '%s' is not supported; save it as little-endian, "
                           "e.g. a.astype('<f8')",
                           d);
    else if (strchr(d, 'O') != NULL)
        return reader_fail(err, errlen, "object arrays ('%s') are not supported", d);
    else
        return reader_fail(
            err, errlen, "dtype '%s' is not supported (data: '<f8' or '<f4'; labels: integers)", d);
    return 0;
}

static int parse_bool(cursor *c, int *out)
{
    skip_ws(c);
    if ((size_t)(c->end - c->p) >= 4 && memcmp(c->p, "True", 4) == 0) {
        c->p += 4;
        *out = 1;
        return 0;
    }
    if ((size_t)(c->end - c->p) >= 5 && memcmp(c->p, "False", 5) == 0) {
        c->p += 5;
        *out = 0;
        return 0;
    }
    return -1;
}

static int parse_shape(cursor *c, npy_array *a, char *err, size_t errlen)
{
    if (expect(c, '(') != 0)
        return reader_fail(err, errlen, "malformed .npy header: 'shape' is not a tuple");
    a->ndim = 0;
    for (;;) {
        skip_ws(c);
        if (c->p < c->end && *c->p == ')') {
            c->p++;
            return 0;
        }
        if (c->p >= c->end || !isdigit((unsigned char)*c->p))
            return reader_fail(err, errlen, "malformed .npy header: bad 'shape' entry");
        int64_t v = 0;
        while (c->p < c->end && isdigit((unsigned char)*c->p)) {
            int dgt = *c->p++ - '0';
            if (v > (INT64_MAX - dgt) / 10)
                return reader_fail(err, errlen, "shape entry overflows a 64-bit integer");
            v = v * 10 + dgt;
        }
        if (c->p < c->end && (*c->p == 'L' || *c->p == 'l')) c->p++;
        if (a->ndim >= NPY_MAX_DIMS)
            return reader_fail(err, errlen, "more than %d dimensions", NPY_MAX_DIMS);
        a->shape[a->ndim++] = v;
        skip_ws(c);
        if (c->p < c->end && *c->p == ',')
            c->p++;
        else if (c->p < c->end && *c->p == ')')
            continue;
        else
            return reader_fail(err, errlen, "malformed .npy header: bad 'shape' tuple");
    }
}

static int parse_header(const char *text, size_t len, npy_array *a, char *err, size_t errlen)
{
    cursor c = {text, text + len};
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (expect(&c, '{') != 0) return reader_fail(err, errlen, "malformed .npy header: not a dict");
    for (;;) {
        skip_ws(&c);
        if (c.p < c.end && *c.p == '}') {
            c.p++;
            break;
        }
        char key[32];
        if (parse_string(&c, key, sizeof key) != 0 || expect(&c, ':') != 0)
            return reader_fail(err, errlen, "malformed .npy header: bad key");
        if (strcmp(key, "descr") == 0 && !have_descr) {
            if (parse_descr(&c, &a->dtype, err, errlen) != 0) return -1;
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            if (parse_bool(&c, &a->fortran_order) != 0)
                return reader_fail(err, errlen, "malformed .npy header: bad 'fortran_order'");
            have_order = 1;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if (parse_shape(&c, a, err, errlen) != 0) return -1;
            have_shape = 1;
        } else {
            return reader_fail(err, errlen, "malformed .npy header: unexpected key '%s'", key);
        }
        skip_ws(&c);
        if (c.p < c.end && *c.p == ',')
            c.p++;
        else if (!(c.p < c.end && *c.p == '}'))
            return reader_fail(err, errlen, "malformed .npy header: expected ',' or '}'");
    }
    skip_ws(&c);
    if (c.p != c.end) return reader_fail(err, errlen, "malformed .npy header: trailing characters");
    if (!have_descr || !have_order || !have_shape)
        return reader_fail(err, errlen, "malformed .npy header: missing '%s'",
                           !have_descr   ? "descr"
                           : !have_order ? "fortran_order"
                                         : "shape");
    return 0;
}

/* Reads the preamble (magic, version, header length); *offset receives the
 * start of the header text. */
static int parse_preamble(const unsigned char *buf, size_t len, size_t *offset, size_t *hlen,
                          char *err, size_t errlen)
{
    if (len < NPY_MAGIC_LEN + 2 || memcmp(buf, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return reader_fail(err, errlen, "not a .npy file (no \\x93NUMPY magic)");
    unsigned major = buf[6], minor = buf[7];
    if (major == 1) {
        if (len < 10) return reader_fail(err, errlen, "truncated .npy header");
        *hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        *offset = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return reader_fail(err, errlen, "truncated .npy header");
        *hlen =
            (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        *offset = 12;
    } else {
        return reader_fail(err, errlen,
                           "unsupported .npy format version %u.%u (expected 1.0, 2.0, 3.0)", major,
                           minor);
    }
    if (minor != 0)
        return reader_fail(err, errlen,
                           "unsupported .npy format version %u.%u (expected 1.0, 2.0, 3.0)", major,
                           minor);
    if (*hlen > NPY_MAX_HEADER)
        return reader_fail(err, errlen, "implausible .npy header length %zu", *hlen);
    return 0;
}

/* Validates the parsed shape and computes the data byte size. */
static int data_bytes(npy_array *a, size_t *nbytes, char *err, size_t errlen)
{
    int64_t n = 1;
    int overflow = 0;
    for (int i = 0; i < a->ndim; i++) {
        if (a->shape[i] == 0)
            n = 0;
        else if (n != 0 && a->shape[i] > INT64_MAX / n)
            overflow = 1;
        else
            n *= a->shape[i];
    }
    size_t isz = npy_itemsize(a->dtype);
    if (overflow || (n != 0 && (uint64_t)n > (uint64_t)(SIZE_MAX / isz)) ||
        (n != 0 && (uint64_t)n > (uint64_t)(INT64_MAX / (int64_t)isz))) {
        char s[256];
        npy_shape_string(a, s, sizeof s);
        return reader_fail(err, errlen, "shape %s is too large: its byte size overflows", s);
    }
    a->size = n;
    *nbytes = (size_t)n * isz;
    return 0;
}

static int check_data_len(const npy_array *a, size_t need, size_t have, char *err, size_t errlen)
{
    if (have == need) return 0;
    char s[256];
    npy_shape_string(a, s, sizeof s);
    if (have < need)
        return reader_fail(err, errlen, "truncated data: shape %s %s needs %zu bytes, file has %zu",
                           s, npy_descr(a->dtype), need, have);
    return reader_fail(err, errlen, "%zu unexpected bytes after the data of shape %s %s",
                       have - need, s, npy_descr(a->dtype));
}

static int read_header_text(const unsigned char *text, size_t hlen, npy_array *a, char *err,
                            size_t errlen)
{
    for (size_t i = 0; i < hlen; i++)
        if (text[i] == '\0') return reader_fail(err, errlen, "malformed .npy header: NUL byte");
    return parse_header((const char *)text, hlen, a, err, errlen);
}

int npy_parse(const unsigned char *buf, size_t len, npy_array *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    npy_array a;
    memset(&a, 0, sizeof a);
    size_t off, hlen, nbytes;
    if (parse_preamble(buf, len, &off, &hlen, err, errlen) != 0) return -1;
    if (len - off < hlen) return reader_fail(err, errlen, "truncated .npy header");
    if (read_header_text(buf + off, hlen, &a, err, errlen) != 0 ||
        data_bytes(&a, &nbytes, err, errlen) != 0 ||
        check_data_len(&a, nbytes, len - off - hlen, err, errlen) != 0)
        return -1;
    a.data = malloc(nbytes > 0 ? nbytes : 1);
    if (a.data == NULL) return reader_fail(err, errlen, "out of memory for %zu bytes", nbytes);
    if (nbytes > 0) memcpy(a.data, buf + off + hlen, nbytes);
    *out = a;
    return 0;
}

int npy_sniff(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return 0;
    unsigned char m[NPY_MAGIC_LEN];
    size_t n = fread(m, 1, sizeof m, f);
    fclose(f);
    return n == sizeof m && memcmp(m, NPY_MAGIC, NPY_MAGIC_LEN) == 0;
}

int npy_read(const char *path, npy_array *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t fsize = 0;
    FILE *f = reader_open(path, &fsize, err, errlen);
    if (f == NULL) return -1;
    npy_array a;
    memset(&a, 0, sizeof a);
    unsigned char pre[12];
    size_t got = fread(pre, 1, sizeof pre, f);
    size_t off, hlen, nbytes;
    char *text = NULL;
    if (parse_preamble(pre, got, &off, &hlen, err, errlen) != 0) goto fail;
    if (fsize < off || fsize - off < hlen) {
        reader_fail(err, errlen, "truncated .npy header");
        goto fail;
    }
    text = malloc(hlen + 1);
    if (text == NULL || fseek(f, (long)off, SEEK_SET) != 0 || fread(text, 1, hlen, f) != hlen) {
        reader_fail(err, errlen, "cannot read the .npy header");
        goto fail;
    }
    if (read_header_text((const unsigned char *)text, hlen, &a, err, errlen) != 0 ||
        data_bytes(&a, &nbytes, err, errlen) != 0 ||
        check_data_len(&a, nbytes, fsize - off - hlen, err, errlen) != 0)
        goto fail;
    a.data = alloc_data(nbytes);
    if (a.data == NULL) {
        reader_fail(err, errlen, "out of memory for %zu bytes", nbytes);
        goto fail;
    }
    if (nbytes > 0 && fread(a.data, 1, nbytes, f) != nbytes) {
        reader_fail(err, errlen, "read error: %s", ferror(f) ? strerror(errno) : "file shrank");
        goto fail;
    }
    free(text);
    fclose(f);
    *out = a;
    return 0;
fail:
    free(text);
    free(a.data);
    fclose(f);
    return -1;
}

int npy_write(const char *path, enum npy_dtype dtype, int ndim, const int64_t *shape,
              const void *data, char *err, size_t errlen)
{
    char dict[1024];
    size_t pos = 0;
    append(dict, sizeof dict, &pos, "{'descr': '%s', 'fortran_order': False, 'shape': (",
           npy_descr(dtype));
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        append(dict, sizeof dict, &pos, "%s%" PRId64, i ? ", " : "", shape[i]);
        n *= (size_t)shape[i];
    }
    append(dict, sizeof dict, &pos, "%s), }", ndim == 1 ? "," : "");
    if (pos + 80 >= sizeof dict) return reader_fail(err, errlen, "too many dimensions");
    /* Pad with spaces so that the data starts on a 64-byte boundary. */
    size_t total = 10 + pos + 1;
    size_t pad = (64 - total % 64) % 64;
    memset(dict + pos, ' ', pad);
    pos += pad;
    dict[pos++] = '\n';
    unsigned char pre[10] = {0x93,
                             'N',
                             'U',
                             'M',
                             'P',
                             'Y',
                             1,
                             0,
                             (unsigned char)(pos & 0xff),
                             (unsigned char)(pos >> 8)};
    FILE *f = fopen(path, "wb");
    if (f == NULL) return reader_fail(err, errlen, "cannot create: %s", strerror(errno));
    size_t nbytes = n * npy_itemsize(dtype);
    int ok = fwrite(pre, 1, sizeof pre, f) == sizeof pre && fwrite(dict, 1, pos, f) == pos &&
             (nbytes == 0 || fwrite(data, 1, nbytes, f) == nbytes);
    if (fclose(f) != 0) ok = 0;
    if (!ok) return reader_fail(err, errlen, "write error: %s", strerror(errno));
    return 0;
}
