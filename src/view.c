/* Validation and packing of borrowed strided views. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "error.h"
#include "view.h"

mutinf_status mutinf__view_init(mutinf__view *v, const char *fn, const char *name, const void *data,
                                int32_t is_f32, int32_t rank, const int64_t *dims,
                                const int64_t *strides)
{
    if (data == NULL)
        return mutinf__fail(MUTINF_ERR_NULL_ARGUMENT, "%s: argument '%s' is NULL", fn, name);
    int64_t span = 0;
    for (int32_t a = 0; a < rank; a++) {
        if (dims[a] < 1)
            return mutinf__fail(MUTINF_ERR_DIMENSION_MISMATCH,
                                "%s: dimension %d of '%s' is %lld, must be >= 1", fn, (int)a, name,
                                (long long)dims[a]);
        int64_t mag = strides[a] == INT64_MIN ? -1 : (strides[a] < 0 ? -strides[a] : strides[a]);
        int64_t ext;
        if (mag < 0 || mutinf__mul_i64(mag, dims[a] - 1, &ext) ||
            __builtin_add_overflow(span, ext, &span))
            return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW,
                                "%s: '%s' with dimension %d = %lld and stride %lld overflows", fn,
                                name, (int)a, (long long)dims[a], (long long)strides[a]);
    }
    int64_t bytes;
    if (mutinf__mul_i64(span, is_f32 ? 4 : 8, &bytes) || bytes > PTRDIFF_MAX)
        return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW, "%s: '%s' spans more than the address space",
                            fn, name);
    v->data = data;
    v->is_f32 = is_f32;
    v->rank = rank;
    for (int32_t a = 0; a < 3; a++) {
        v->dim[a] = a < rank ? dims[a] : 1;
        v->stride[a] = a < rank ? strides[a] : 0;
    }
    return MUTINF_OK;
}

static mutinf_status report_nonfinite(const mutinf__view *v, const char *fn, const char *name,
                                      const char *const *index_names)
{
    for (int64_t i = 0; i < v->dim[0]; i++)
        for (int64_t j = 0; j < v->dim[1]; j++)
            for (int64_t k = 0; k < v->dim[2]; k++) {
                double x = mutinf__view_at3(v, i, j, k);
                if (isfinite(x)) continue;
                if (v->rank == 1)
                    return mutinf__fail(MUTINF_ERR_NON_FINITE, "%s: %s[%s %lld] = %g", fn, name,
                                        index_names[0], (long long)i, x);
                if (v->rank == 2)
                    return mutinf__fail(MUTINF_ERR_NON_FINITE, "%s: %s[%s %lld, %s %lld] = %g", fn,
                                        name, index_names[0], (long long)i, index_names[1],
                                        (long long)j, x);
                return mutinf__fail(MUTINF_ERR_NON_FINITE, "%s: %s[%s %lld, %s %lld, %s %lld] = %g",
                                    fn, name, index_names[0], (long long)i, index_names[1],
                                    (long long)j, index_names[2], (long long)k, x);
            }
    return MUTINF_OK;
}

mutinf_status mutinf__view_check_finite(const mutinf__view *v, const char *fn, const char *name,
                                        const char *const *index_names)
{
    /* Scan with the axis of smallest |stride| innermost (contiguous memory
     * for NumPy/PyTorch arrays in either order); name the first bad entry in
     * index order only once one is found. */
    int32_t inner = 0;
    for (int32_t a = 1; a < 3; a++) {
        int64_t sa = v->stride[a] < 0 ? -v->stride[a] : v->stride[a];
        int64_t si = v->stride[inner] < 0 ? -v->stride[inner] : v->stride[inner];
        if (v->dim[a] > 1 && (v->dim[inner] == 1 || sa < si)) inner = a;
    }
    int32_t o1 = inner == 0 ? 1 : 0, o2 = inner == 2 ? 1 : 2;
    for (int64_t i = 0; i < v->dim[o1]; i++)
        for (int64_t j = 0; j < v->dim[o2]; j++) {
            int64_t off = i * v->stride[o1] + j * v->stride[o2];
            if (mutinf__view_run_nonfinite(v, off, v->dim[inner], v->stride[inner]))
                return report_nonfinite(v, fn, name, index_names);
        }
    return MUTINF_OK;
}

void mutinf__view_pack_colmajor(const mutinf__view *v, int64_t i0, double *dst, int64_t ld)
{
    int32_t r = v->rank == 3 ? 1 : 0; /* first matrix axis */
    int64_t rows = v->dim[r], cols = v->dim[r + 1];
    int64_t rs = v->stride[r], cs = v->stride[r + 1];
    ptrdiff_t base = v->rank == 3 ? (ptrdiff_t)(i0 * v->stride[0]) : 0;
    if (v->is_f32) {
        const float *src = (const float *)v->data + base;
        for (int64_t j = 0; j < cols; j++)
            for (int64_t i = 0; i < rows; i++)
                dst[i + j * ld] = (double)src[i * rs + j * cs];
    } else {
        const double *src = (const double *)v->data + base;
        for (int64_t j = 0; j < cols; j++)
            for (int64_t i = 0; i < rows; i++)
                dst[i + j * ld] = src[i * rs + j * cs];
    }
}

void mutinf__view_pack_rowmajor(const mutinf__view *v, double *dst, int64_t ld, int threads)
{
    int64_t rows = v->dim[0], cols = v->dim[1], rs = v->stride[0], cs = v->stride[1];
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && rows > 1)
    for (int64_t i = 0; i < rows; i++) {
        double *out = dst + i * ld;
        if (v->is_f32) {
            const float *src = (const float *)v->data + i * rs;
            for (int64_t j = 0; j < cols; j++)
                out[j] = (double)src[j * cs];
        } else if (cs == 1) {
            memcpy(out, (const double *)v->data + i * rs, (size_t)cols * sizeof *out);
        } else {
            const double *src = (const double *)v->data + i * rs;
            for (int64_t j = 0; j < cols; j++)
                out[j] = src[j * cs];
        }
    }
}
