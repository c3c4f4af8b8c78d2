/* The activations handle: a validated borrowed view.  The data is read by
 * the estimators only, each checking the entries it reads. */
#include <math.h>

#include "activations.h"
#include "alloc.h"
#include "error.h"

/* Rows per block of the parallel finiteness check. */
#define CHECK_ROWS 4096

/* 1 when an entry of rows [r0, r1) of the units is NaN or infinite.  The
 * axis of smaller |stride| runs innermost (contiguous reads of a row-major
 * or a column-major matrix alike), and consecutive units of a row-major
 * matrix are read as one run. */
static int block_bad(const mutinf__view *v, const int64_t *units, int64_t m, int64_t r0, int64_t r1)
{
    const int64_t rs = v->stride[0], cs = v->stride[1];
    int consecutive = 1;
    for (int64_t j = 1; j < m && consecutive; j++)
        consecutive = units[j] == units[0] + j;
    int bad = 0;
    if ((cs < 0 ? -cs : cs) > (rs < 0 ? -rs : rs)) {
        for (int64_t j = 0; j < m; j++)
            bad |= mutinf__view_run_nonfinite(v, r0 * rs + units[j] * cs, r1 - r0, rs);
    } else if (consecutive) {
        for (int64_t i = r0; i < r1; i++)
            bad |= mutinf__view_run_nonfinite(v, i * rs + units[0] * cs, m, cs);
    } else {
        for (int64_t i = r0; i < r1; i++)
            for (int64_t j = 0; j < m; j++)
                bad |= mutinf__view_run_nonfinite(v, i * rs + units[j] * cs, 1, 1);
    }
    return bad;
}

mutinf_status mutinf__check_units_finite(const mutinf__view *v, const int64_t *units, int64_t m,
                                         int threads, const char *fn)
{
    const int64_t n = v->dim[0], nb = (n + CHECK_ROWS - 1) / CHECK_ROWS;
    int64_t first = nb; /* the first block holding a bad entry */
#pragma omp parallel for num_threads(threads) reduction(min : first) if (threads > 1 && nb > 1)
    for (int64_t b = 0; b < nb; b++) {
        int64_t r1 = (b + 1) * CHECK_ROWS < n ? (b + 1) * CHECK_ROWS : n;
        if (b < first && block_bad(v, units, m, b * CHECK_ROWS, r1)) first = b;
    }
    if (first == nb) return MUTINF_OK;
    /* name the first sample of that block with a bad entry, and in it the
     * lowest such unit */
    for (int64_t i = first * CHECK_ROWS; i < n; i++) {
        int64_t u = -1;
        for (int64_t j = 0; j < m; j++)
            if (mutinf__view_run_nonfinite(v, i * v->stride[0] + units[j] * v->stride[1], 1, 1) &&
                (u < 0 || units[j] < u))
                u = units[j];
        if (u >= 0)
            return mutinf__fail(MUTINF_ERR_NON_FINITE, "%s: data[sample %lld, unit %lld] = %g", fn,
                                (long long)i, (long long)u, mutinf__view_at2(v, i, u));
    }
    return MUTINF_OK; /* not reached while the data stays unchanged */
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
    if (a == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    a->view = v;
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
