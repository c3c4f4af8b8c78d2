/* Internal: borrowed strided views of caller arrays, checked once at the boundary. */
#ifndef MUTINF_SRC_VIEW_H
#define MUTINF_SRC_VIEW_H

#include <stdint.h>
#include <string.h>

#include "mutinf/common.h"

/* Up to three dimensions; element (i, j, k) lives at
 * data + (i*stride[0] + j*stride[1] + k*stride[2]) elements.  Rank-2 views use
 * dim/stride [0] and [1] only. */
typedef struct mutinf__view {
    const void *data;
    int32_t is_f32;
    int32_t rank;
    int64_t dim[3];
    int64_t stride[3];
} mutinf__view;

/* Validates and fills `v`: data non-NULL, every dim >= 1, and the byte span
 * of the view (sum |stride| * (dim - 1), times the element size) fits in
 * ptrdiff_t.  `fn` and `name` name the function and argument in messages. */
mutinf_status mutinf__view_init(mutinf__view *v, const char *fn, const char *name, const void *data,
                                int32_t is_f32, int32_t rank, const int64_t *dims,
                                const int64_t *strides);

/* 1 when any of n values at p, p + s, ... is NaN or infinite.  Integer
 * tests on the exponent bits: the loop vectorizes (no floating-point
 * reduction order to respect). */
static inline int mutinf__any_nonfinite_f64(const double *p, int64_t n, int64_t s)
{
    const uint64_t mask = 0x7ff0000000000000ULL;
    uint64_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, p + i * s, sizeof bits);
        bad |= (uint64_t)((bits & mask) == mask);
    }
    return bad != 0;
}

static inline int mutinf__any_nonfinite_f32(const float *p, int64_t n, int64_t s)
{
    const uint32_t mask = 0x7f800000U;
    uint32_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, p + i * s, sizeof bits);
        bad |= (uint32_t)((bits & mask) == mask);
    }
    return bad != 0;
}

/* 1 when one of the len entries at element offsets off, off + s, ... of
 * the view's data is NaN or infinite. */
static inline int mutinf__view_run_nonfinite(const mutinf__view *v, int64_t off, int64_t len,
                                             int64_t s)
{
    return v->is_f32 ? mutinf__any_nonfinite_f32((const float *)v->data + off, len, s)
                     : mutinf__any_nonfinite_f64((const double *)v->data + off, len, s);
}

/* Returns MUTINF_ERR_NON_FINITE naming the first NaN/Inf entry by its indices
 * (`index_names` such as {"sample", "row", "column"}), else MUTINF_OK. */
mutinf_status mutinf__view_check_finite(const mutinf__view *v, const char *fn, const char *name,
                                        const char *const *index_names);

static inline double mutinf__view_at2(const mutinf__view *v, int64_t i, int64_t j)
{
    int64_t off = i * v->stride[0] + j * v->stride[1];
    return v->is_f32 ? (double)((const float *)v->data)[off] : ((const double *)v->data)[off];
}

static inline double mutinf__view_at3(const mutinf__view *v, int64_t i, int64_t j, int64_t k)
{
    int64_t off = i * v->stride[0] + j * v->stride[1] + k * v->stride[2];
    return v->is_f32 ? (double)((const float *)v->data)[off] : ((const double *)v->data)[off];
}

/* Copies sub-view `v` (rank 2, or slice `i0` of rank 3 when v->rank == 3)
 * into a column-major double buffer `dst` with leading dimension `ld`,
 * element (i, j) at dst[i + j*ld].  Handles both precisions and any strides. */
void mutinf__view_pack_colmajor(const mutinf__view *v, int64_t i0, double *dst, int64_t ld);

/* Copies rank-2 view `v` into a row-major double buffer `dst` with leading
 * dimension `ld`, element (i, j) at dst[i*ld + j]; rows with unit column
 * stride are copied straight.  Rows are split among `threads` OpenMP
 * threads (a fresh destination is faulted in by all of them). */
void mutinf__view_pack_rowmajor(const mutinf__view *v, double *dst, int64_t ld, int threads);

/* Overflow-checked products: return 0 on success, 1 on overflow. */
static inline int mutinf__mul_i64(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}
static inline int mutinf__mul_size(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

#endif
