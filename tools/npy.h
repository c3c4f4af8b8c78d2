/* Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0).
 *
 * Only little-endian float64/float32 ('<f8', '<f4') and integer ('|i1',
 * '|u1', '<i2', '<u2', '<i4', '<u4', '<i8', '<u8') arrays are read, in C or
 * Fortran order; everything else (big-endian,
 * other or structured dtypes, object arrays, malformed headers, truncated
 * data, shapes whose byte size overflows) is rejected with a one-line
 * message.  The byte size implied by the header is checked against the file
 * size before anything is allocated, so a hostile header cannot trigger a
 * huge allocation. */
#ifndef MUTINF_TOOLS_NPY_H
#define MUTINF_TOOLS_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_DIMS 64

/* Element types the tool understands. */
enum npy_dtype {
    NPY_F8 = 0,
    NPY_F4 = 1,
    NPY_I4 = 2,
    NPY_I8 = 3,
    NPY_I1 = 4,
    NPY_U1 = 5,
    NPY_I2 = 6,
    NPY_U2 = 7,
    NPY_U4 = 8,
    NPY_U8 = 9
};

/* 1 for the integer dtypes. */
int npy_is_integer(enum npy_dtype dtype);

/* An n-dimensional array read from a file: data owned by the struct. */
typedef struct npy_array {
    enum npy_dtype dtype;
    int ndim;
    int64_t shape[NPY_MAX_DIMS];
    int fortran_order; /* 1: first index varies fastest */
    int64_t size;      /* number of elements */
    void *data;        /* size elements of dtype, aligned for it */
} npy_array;

/* Bytes per element of a dtype. */
size_t npy_itemsize(enum npy_dtype dtype);

/* Its NumPy descr string, e.g. "<f8". */
const char *npy_descr(enum npy_dtype dtype);

/* Element strides (in elements) of the array's memory layout. */
void npy_strides(const npy_array *a, int64_t *strides);

/* Element i (in memory order) as a double. */
double npy_get(const npy_array *a, int64_t i);

/* Element i of an integer array as an int64; returns -1 when it does not
 * fit (a '<u8' value above INT64_MAX), else 0. */
int npy_get_int(const npy_array *a, int64_t i, int64_t *v);

/* Formats the shape as "(2, 3)" into buf. */
void npy_shape_string(const npy_array *a, char *buf, size_t len);

/* Formats the multi-index of memory element `i` as "[r, c]" into buf. */
void npy_index_string(const npy_array *a, int64_t i, char *buf, size_t len);

/* 1 when the file starts with the .npy magic string, 0 otherwise (also when
 * it cannot be read). */
int npy_sniff(const char *path);

/* Reads `path`.  Returns 0 and fills *out (free with npy_free), or -1 with a
 * one-line reason in err (without the file name); *out is then empty. */
int npy_read(const char *path, npy_array *out, char *err, size_t errlen);

/* Parses a complete .npy image held in memory (the same checks). */
int npy_parse(const unsigned char *buf, size_t len, npy_array *out, char *err, size_t errlen);

/* Frees the data of an array read by npy_read (the struct itself is the
 * caller's); safe on a zeroed struct. */
void npy_free(npy_array *a);

/* Writes a C-order array of `ndim` dims as a version 1.0 .npy file.
 * Returns 0, or -1 with the reason in err. */
int npy_write(const char *path, enum npy_dtype dtype, int ndim, const int64_t *shape,
              const void *data, char *err, size_t errlen);

#endif
