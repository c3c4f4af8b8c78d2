/* The activations handle: a validated borrowed view. */
#include <math.h>

#include "activations.h"
#include "alloc.h"
#include "error.h"
#include "options.h"

/* Row blocks of the scan: at most SCAN_BLOCKS of them (so the partial sums
 * take at most SCAN_BLOCKS * d doubles), each of at least SCAN_MIN_ROWS. */
#define SCAN_BLOCKS   64
#define SCAN_MIN_ROWS 1024

/* Sum of column j over rows [r0, r1) into *out, any strides. */
static void block_sums(const mutinf__view *v, int64_t r0, int64_t r1, double *out)
{
    const int64_t d = v->dim[1], rs = v->stride[0], cs = v->stride[1];
    for (int64_t j = 0; j < d; j++)
        out[j] = 0.0;
    if (cs == 1 && !v->is_f32) { /* row-major doubles: add whole rows */
        for (int64_t i = r0; i < r1; i++) {
            const double *row = (const double *)v->data + i * rs;
            for (int64_t j = 0; j < d; j++)
                out[j] += row[j];
        }
    } else if (cs == 1) {
        for (int64_t i = r0; i < r1; i++) {
            const float *row = (const float *)v->data + i * rs;
            for (int64_t j = 0; j < d; j++)
                out[j] += (double)row[j];
        }
    } else if (!v->is_f32) {
        for (int64_t j = 0; j < d; j++) {
            const double *col = (const double *)v->data + j * cs;
            double s = 0.0;
            for (int64_t i = r0; i < r1; i++)
                s += col[i * rs];
            out[j] = s;
        }
    } else {
        for (int64_t j = 0; j < d; j++) {
            const float *col = (const float *)v->data + j * cs;
            double s = 0.0;
            for (int64_t i = r0; i < r1; i++)
                s += (double)col[i * rs];
            out[j] = s;
        }
    }
}

/* One pass over the data: column sums, and finiteness (a NaN or infinity
 * makes its column sum non-finite; then the exact scan names the entry). */
static mutinf_status scan(const mutinf__view *v, const char *fn, double *col_sum, int *overflow)
{
    const int64_t n = v->dim[0], d = v->dim[1];
    int64_t rows = (n + SCAN_BLOCKS - 1) / SCAN_BLOCKS;
    if (rows < SCAN_MIN_ROWS) rows = SCAN_MIN_ROWS;
    int64_t nb = (n + rows - 1) / rows;
    double *part = mutinf__alloc((size_t)nb * (size_t)d, sizeof *part, 0, "column sums");
    if (part == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    int threads = mutinf__thread_count(NULL);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && nb > 1)
    for (int64_t b = 0; b < nb; b++)
        block_sums(v, b * rows, (b + 1) * rows < n ? (b + 1) * rows : n, part + b * d);
    int finite = 1;
    for (int64_t j = 0; j < d; j++) {
        double s = 0.0;
        for (int64_t b = 0; b < nb; b++) {
            finite &= isfinite(part[b * d + j]) != 0;
            s += part[b * d + j];
        }
        col_sum[j] = s;
        finite &= isfinite(s) != 0;
    }
    mutinf__free(part);
    *overflow = 0;
    if (!finite) {
        static const char *const names[2] = {"sample", "unit"};
        mutinf_status st = mutinf__view_check_finite(v, fn, "data", names);
        if (st != MUTINF_OK) return st;
        *overflow = 1; /* finite data whose sums overflow */
    }
    return MUTINF_OK;
}

static mutinf_status wrap(const char *fn, const void *data, int32_t is_f32, int64_t n_samples,
                          int64_t n_units, int64_t row_stride, int64_t col_stride,
                          mutinf_activations **out)
{
    MUTINF_CHECK_NULL(out, fn);
    *out = NULL;
    const int64_t dims[2] = {n_samples, n_units};
    const int64_t strides[2] = {row_stride, col_stride};
    mutinf__view v;
    mutinf_status st = mutinf__view_init(&v, fn, "data", data, is_f32, 2, dims, strides);
    if (st != MUTINF_OK) return st;
    mutinf_activations *a = mutinf__alloc(1, sizeof *a, 0, "activations handle");
    double *sums = mutinf__alloc((size_t)n_units, sizeof *sums, 0, "column sums");
    int overflow = 0;
    if (a == NULL || sums == NULL)
        st = MUTINF_ERR_OUT_OF_MEMORY;
    else
        st = scan(&v, fn, sums, &overflow);
    if (st != MUTINF_OK) {
        mutinf__free(sums);
        mutinf__free(a);
        return st;
    }
    if (overflow) {
        mutinf__free(sums);
        sums = NULL;
    }
    a->view = v;
    a->col_sum = sums;
    *out = a;
    return MUTINF_OK;
}

mutinf_status mutinf_activations_wrap(const double *data, int64_t n_samples, int64_t n_units,
                                      int64_t row_stride, int64_t col_stride,
                                      mutinf_activations **out)
{
    return wrap("mutinf_activations_wrap", data, 0, n_samples, n_units, row_stride, col_stride,
                out);
}

mutinf_status mutinf_activations_wrap_f32(const float *data, int64_t n_samples, int64_t n_units,
                                          int64_t row_stride, int64_t col_stride,
                                          mutinf_activations **out)
{
    return wrap("mutinf_activations_wrap_f32", data, 1, n_samples, n_units, row_stride, col_stride,
                out);
}

void mutinf_activations_destroy(mutinf_activations *activations)
{
    if (activations == NULL) return;
    mutinf__free(activations->col_sum);
    mutinf__free(activations);
}

mutinf_status mutinf_activations_shape(const mutinf_activations *activations,
                                       int64_t *n_samples_out, int64_t *n_units_out)
{
    MUTINF_CHECK_NULL(activations, "mutinf_activations_shape");
    MUTINF_CHECK_NULL(n_samples_out, "mutinf_activations_shape");
    MUTINF_CHECK_NULL(n_units_out, "mutinf_activations_shape");
    *n_samples_out = activations->view.dim[0];
    *n_units_out = activations->view.dim[1];
    return MUTINF_OK;
}
