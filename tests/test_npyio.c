/* The mutinf tool's input readers (tools/npy.c, tools/csv.c): every format
 * version, dtype and memory order the tool accepts, and every class of bad
 * input, each rejected with a message and without a crash or a huge
 * allocation.  The .npy images are built here byte by byte from the format
 * specification (numpy/lib/format.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "csv.h"
#include "npy.h"

/* A .npy image: magic, version, header length (2 or 4 bytes), the dict
 * padded with spaces to a 64-byte boundary and '\n', then the data. */
static unsigned char *make_npy(int major, const char *dict, const void *data, size_t nbytes,
                               size_t *len)
{
    size_t pre = major == 1 ? 10 : 12;
    size_t hl = strlen(dict) + 1;
    size_t pad = (64 - (pre + hl) % 64) % 64;
    hl += pad;
    *len = pre + hl + nbytes;
    unsigned char *b = malloc(*len);
    assert_non_null(b);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    if (major == 1) {
        b[8] = (unsigned char)(hl & 0xff);
        b[9] = (unsigned char)(hl >> 8);
    } else {
        for (int i = 0; i < 4; i++)
            b[8 + i] = (unsigned char)(hl >> (8 * i));
    }
    memcpy(b + pre, dict, strlen(dict));
    memset(b + pre + strlen(dict), ' ', pad);
    b[pre + hl - 1] = '\n';
    if (nbytes) memcpy(b + pre + hl, data, nbytes);
    return b;
}

/* Parses an image that must fail, and checks the message mentions `needle`. */
static void expect_npy_error(const unsigned char *buf, size_t len, const char *needle)
{
    npy_array a;
    char err[512] = "";
    assert_int_equal(npy_parse(buf, len, &a, err, sizeof err), -1);
    assert_null(a.data);
    if (strstr(err, needle) == NULL) fail_msg("message '%s' does not mention '%s'", err, needle);
}

static void test_versions_and_dtypes(void **state)
{
    (void)state;
    const double d[6] = {1, 2, 3, 4, 5, 6.5};
    for (int major = 1; major <= 3; major++) {
        size_t len;
        unsigned char *b =
            make_npy(major, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", d,
                     sizeof d, &len);
        npy_array a;
        char err[256];
        assert_int_equal(npy_parse(b, len, &a, err, sizeof err), 0);
        assert_int_equal(a.dtype, NPY_F8);
        assert_int_equal(a.ndim, 2);
        assert_int_equal(a.shape[0], 2);
        assert_int_equal(a.shape[1], 3);
        assert_int_equal(a.size, 6);
        assert_int_equal(a.fortran_order, 0);
        for (int i = 0; i < 6; i++)
            assert_true(npy_get(&a, i) == d[i]);
        int64_t s[2];
        npy_strides(&a, s);
        assert_int_equal(s[0], 3);
        assert_int_equal(s[1], 1);
        npy_free(&a);
        free(b);
    }
    /* float32, Fortran order, keys in another order and double quotes. */
    const float f[6] = {1, 2, 3, 4, 5, 6};
    size_t len;
    unsigned char *b = make_npy(
        1, "{\"shape\": (2, 3), \"fortran_order\": True, \"descr\": \"<f4\"}", f, sizeof f, &len);
    npy_array a;
    char err[256];
    assert_int_equal(npy_parse(b, len, &a, err, sizeof err), 0);
    assert_int_equal(a.dtype, NPY_F4);
    assert_int_equal(a.fortran_order, 1);
    int64_t s[2];
    npy_strides(&a, s);
    assert_int_equal(s[0], 1);
    assert_int_equal(s[1], 2);
    /* Element (1, 2) of a Fortran 2 x 3 array is memory element 1 + 2*2 = 5. */
    assert_true(npy_get(&a, 1 * s[0] + 2 * s[1]) == 6.0);
    char idx[64];
    npy_index_string(&a, 5, idx, sizeof idx);
    assert_string_equal(idx, "[1, 2]");
    npy_free(&a);
    free(b);
    /* Integer labels, 1-D, Python-2 style long. */
    const int32_t l4[3] = {0, -1, 1};
    b = make_npy(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (3L,), }", l4, sizeof l4,
                 &len);
    assert_int_equal(npy_parse(b, len, &a, err, sizeof err), 0);
    assert_int_equal(a.dtype, NPY_I4);
    assert_int_equal(a.ndim, 1);
    assert_true(npy_get(&a, 1) == -1.0);
    char sh[64];
    npy_shape_string(&a, sh, sizeof sh);
    assert_string_equal(sh, "(3,)");
    npy_free(&a);
    free(b);
    const int64_t l8[2] = {5, -1};
    b = make_npy(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", l8, sizeof l8,
                 &len);
    assert_int_equal(npy_parse(b, len, &a, err, sizeof err), 0);
    assert_int_equal(a.dtype, NPY_I8);
    assert_true(npy_get(&a, 0) == 5.0);
    npy_free(&a);
    free(b);
    /* Every integer width, for labels. */
    const int8_t i1[3] = {-1, 0, 5};
    b = make_npy(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }", i1, sizeof i1,
                 &len);
    assert_int_equal(npy_parse(b, len, &a, err, sizeof err), 0);
    assert_int_equal(a.dtype, NPY_I1);
    assert_true(npy_is_integer(a.dtype));
    int64_t v = 0;
    assert_int_equal(npy_get_int(&a, 0, &v), 0);
    assert_int_equal(v, -1);
    npy_free(&a);
    free(b);
    const uint8_t u1[2] = {200, 3};
    b = make_npy(1, "{'descr': '<u1', 'fortran_order': False, 'shape': (2,), }", u1, sizeof u1,
                 &len);
    assert_int_equal(npy_parse(b, len, &a, err, sizeof err), 0);
    assert_int_equal(a.dtype, NPY_U1);
    assert_int_equal(npy_get_int(&a, 0, &v), 0);
    assert_int_equal(v, 200);
    npy_free(&a);
    free(b);
    const int16_t i2[2] = {-300, 7};
    b = make_npy(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", i2, sizeof i2,
                 &len);
    assert_int_equal(npy_parse(b, len, &a, err, sizeof err), 0);
    assert_int_equal(npy_get_int(&a, 0, &v), 0);
    assert_int_equal(v, -300);
    assert_true(npy_get(&a, 1) == 7.0);
    npy_free(&a);
    free(b);
    const uint64_t u8[2] = {5, UINT64_MAX};
    b = make_npy(1, "{'descr': '<u8', 'fortran_order': False, 'shape': (2,), }", u8, sizeof u8,
                 &len);
    assert_int_equal(npy_parse(b, len, &a, err, sizeof err), 0);
    assert_int_equal(npy_get_int(&a, 0, &v), 0);
    assert_int_equal(v, 5);
    assert_int_equal(npy_get_int(&a, 1, &v), -1);
    assert_false(npy_is_integer(NPY_F8));
    npy_free(&a);
    free(b);
    /* 3-D and empty arrays parse (the tool rejects empty ones itself). */
    const double z[8] = {0};
    b = make_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }", z, sizeof z,
                 &len);
    assert_int_equal(npy_parse(b, len, &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 3);
    npy_free(&a);
    free(b);
    b = make_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4), }", NULL, 0, &len);
    assert_int_equal(npy_parse(b, len, &a, err, sizeof err), 0);
    assert_int_equal(a.size, 0);
    npy_free(&a);
    free(b);
}

static void test_bad_npy(void **state)
{
    (void)state;
    const double d[4] = {1, 2, 3, 4};
    struct {
        int major;
        const char *dict;
        size_t nbytes;
        const char *needle;
    } cases[] = {
        {1, "{'descr': '>f8', 'fortran_order': False, 'shape': (4,), }", 32, "big-endian"},
        {1, "{'descr': '|O', 'fortran_order': False, 'shape': (4,), }", 32, "object"},
        {1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (4,), }", 32, "structured"},
        {1, "{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", 32, "not supported"},
        {1, "{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }", 4, "not supported"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }", 32, "truncated"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 32, "unexpected bytes"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 32,
         "overflows"},
        {2, "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", 32,
         "overflow"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }", 32,
         "truncated"},
        {1, "{'descr': '<f8', 'shape': (4,), }", 32, "missing 'fortran_order'"},
        {1, "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (4,), }", 32, "fortran_order"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': [4], }", 32, "not a tuple"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (-4,), }", 32, "shape"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), 'x': 1}", 32,
         "unexpected key"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,)", 32, "malformed"},
        {1, "['descr', '<f8']", 32, "not a dict"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        unsigned char *b = make_npy(cases[i].major, cases[i].dict, d, cases[i].nbytes, &len);
        expect_npy_error(b, len, cases[i].needle);
        free(b);
    }
    /* Bad magic, unsupported versions, truncated preambles and headers. */
    size_t len;
    unsigned char *b =
        make_npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", d, 32, &len);
    expect_npy_error(b, 5, "not a .npy");
    expect_npy_error(b, 9, "truncated");
    expect_npy_error(b, 40, "truncated .npy header");
    b[6] = 4;
    expect_npy_error(b, len, "version 4.0");
    b[6] = 1;
    b[7] = 1;
    expect_npy_error(b, len, "version 1.1");
    b[7] = 0;
    b[0] = 'X';
    expect_npy_error(b, len, "not a .npy");
    free(b);
    /* A version 2.0 header length of 4 GiB is refused before reading it. */
    b = make_npy(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", d, 32, &len);
    b[8] = b[9] = b[10] = b[11] = 0xff;
    expect_npy_error(b, len, "implausible");
    free(b);
}

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void test_files_and_writer(void **state)
{
    (void)state;
    /* Writer round trip, then npy_read of the file. */
    const int64_t shape[2] = {3, 2};
    const double d[6] = {1.5, -2, 3e-300, 4e300, 0, -0.25};
    char err[512];
    const char *p = tmp_path("w.npy");
    assert_int_equal(npy_write(p, NPY_F8, 2, shape, d, err, sizeof err), 0);
    assert_int_equal(npy_sniff(p), 1);
    npy_array a;
    assert_int_equal(npy_read(p, &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 3);
    assert_int_equal(a.shape[1], 2);
    assert_memory_equal(a.data, d, sizeof d);
    npy_free(&a);
    /* The data of a written file starts on a 64-byte boundary. */
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    assert_int_equal((ftell(f) - (long)sizeof d) % 64, 0);
    fclose(f);
    const int32_t l[3] = {0, 1, -1};
    const int64_t n3 = 3;
    assert_int_equal(npy_write(p, NPY_I4, 1, &n3, l, err, sizeof err), 0);
    assert_int_equal(npy_read(p, &a, err, sizeof err), 0);
    assert_int_equal(a.dtype, NPY_I4);
    assert_memory_equal(a.data, l, sizeof l);
    npy_free(&a);

    /* A truncated file and a huge claimed shape: rejected from the header,
     * without allocating the claimed size. */
    size_t len;
    unsigned char *b = make_npy(
        1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", d, 48, &len);
    write_file(p, b, len);
    assert_int_equal(npy_read(p, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "truncated"));
    free(b);
    b = make_npy(3, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", d, 48, &len);
    write_file(p, b, len - 3);
    assert_int_equal(npy_read(p, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "truncated"));
    write_file(p, b, len);
    assert_int_equal(npy_read(p, &a, err, sizeof err), 0);
    npy_free(&a);
    write_file(p, b, 30);
    assert_int_equal(npy_read(p, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "truncated"));
    write_file(p, b, 4);
    assert_int_equal(npy_read(p, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a .npy"));
    free(b);
    assert_int_equal(npy_read(tmp_path("missing.npy"), &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    assert_int_equal(npy_sniff(tmp_path("missing.npy")), 0);
    assert_int_equal(npy_read(tmpdir, &a, err, sizeof err), -1);
}

static void expect_csv(const char *text, int64_t rows, int64_t cols, const double *want)
{
    npy_array a;
    char err[512] = "";
    if (csv_parse(text, strlen(text), &a, err, sizeof err) != 0) fail_msg("csv rejected: %s", err);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.dtype, NPY_F8);
    assert_int_equal(a.shape[0], rows);
    assert_int_equal(a.shape[1], cols);
    for (int64_t i = 0; i < rows * cols; i++)
        assert_true(npy_get(&a, i) == want[i]);
    npy_free(&a);
}

static void expect_csv_error(const char *text, const char *needle)
{
    npy_array a;
    char err[512] = "";
    assert_int_equal(csv_parse(text, strlen(text), &a, err, sizeof err), -1);
    assert_null(a.data);
    if (strstr(err, needle) == NULL) fail_msg("message '%s' does not mention '%s'", err, needle);
}

static void test_csv(void **state)
{
    (void)state;
    const double w1[6] = {1, 2, 3, 4.5, -5e-3, 6e10};
    expect_csv("1,2,3\n4.5,-5e-3,6e10\n", 2, 3, w1);
    expect_csv("a,b,c\n1,2,3\n4.5,-5e-3,6e10", 2, 3, w1); /* header, no final newline */
    expect_csv(" x , \"y\" ,z\r\n 1 ,2,\t3\r\n\r\n4.5,-5e-3,6e10\r\n\n", 2, 3,
               w1); /* CRLF, blanks */
    const double w2[3] = {1, 2, 3};
    expect_csv("1\n2\n3\n", 3, 1, w2);
    expect_csv("unit\n1\n2\n3\n", 3, 1, w2);
    /* NaN/inf text are numbers here; the tool rejects non-finite data later. */
    npy_array a;
    char err[256];
    assert_int_equal(csv_parse("1,nan\n", 6, &a, err, sizeof err), 0);
    assert_true(isnan(npy_get(&a, 1)));
    npy_free(&a);

    expect_csv_error("1,2,3\n4,5\n", "line 2 has 2 fields, expected 3");
    expect_csv_error("a,b\n1,2\n3,4,5\n", "line 3 has 3 fields");
    expect_csv_error("1,2\n3,x\n", "line 2, column 2: 'x' is not a number");
    expect_csv_error("1,2\n3,4q\n", "line 2, column 2");
    expect_csv_error("a,b\n1,2\n\n3,,\n", "line 4, column 2: empty field");
    expect_csv_error("1,a\n", "line 1, column 2");
    expect_csv_error("1,2,\n", "line 1, column 3: empty field");
    expect_csv_error("1,2\n3,4,\n", "line 2 has 3 fields, expected 2");
    expect_csv_error("1,2\n3\v,4\n", "line 2, column 1");
    expect_csv_error("1,2\n3,\v\n5,6\n", "line 2, column 2");
    expect_csv_error("1 2,3\n", "line 1, column 1: '1 2' is not a number");
    expect_csv_error("a,b\n1,2\n3,4\nx,y\n", "line 4, column 1: 'x'");
    const double w3[4] = {-1500, 0.25, 1e-300, 7};
    expect_csv("  -1.5e3  ,\t.25\n1e-300,+7", 2, 2, w3);
    expect_csv_error("a,b,c\n", "no data rows");
    expect_csv_error("", "no data rows");
    expect_csv_error("\n \n", "no data rows");

    /* csv_read: a file with a NUL byte is binary, not CSV. */
    const char *p = tmp_path("bin.csv");
    write_file(p, "1,2\n\0\0", 6);
    assert_int_equal(csv_read(p, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "NUL"));
    write_file(p, "h1,h2\n1,2\n3,4\n", 14);
    assert_int_equal(csv_read(p, &a, err, sizeof err), 0);
    assert_int_equal(a.shape[0], 2);
    npy_free(&a);
    assert_int_equal(csv_read(tmp_path("missing.csv"), &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
}

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/npyio.XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"w.npy", "bin.csv"};
    for (size_t i = 0; i < 2; i++)
        unlink(tmp_path(names[i]));
    return rmdir(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_and_dtypes),
        cmocka_unit_test(test_bad_npy),
        cmocka_unit_test(test_files_and_writer),
        cmocka_unit_test(test_csv),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
