/* The activations handle: a validated borrowed view. */
#include "activations.h"
#include "alloc.h"
#include "error.h"

static mutinf_status wrap(const char *fn, const void *data, int32_t is_f32, int64_t n_samples,
                          int64_t n_units, int64_t row_stride, int64_t col_stride,
                          mutinf_activations **out)
{
    MUTINF_CHECK_NULL(out, fn);
    *out = NULL;
    const int64_t dims[2] = {n_samples, n_units};
    const int64_t strides[2] = {row_stride, col_stride};
    static const char *const names[2] = {"sample", "unit"};
    mutinf__view v;
    mutinf_status st = mutinf__view_init(&v, fn, "data", data, is_f32, 2, dims, strides);
    if (st != MUTINF_OK)
        return st;
    st = mutinf__view_check_finite(&v, fn, "data", names);
    if (st != MUTINF_OK)
        return st;
    mutinf_activations *a = mutinf__alloc(1, sizeof *a, 0, "activations handle");
    if (a == NULL)
        return MUTINF_ERR_OUT_OF_MEMORY;
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
    return wrap("mutinf_activations_wrap_f32", data, 1, n_samples, n_units, row_stride,
                col_stride, out);
}

void mutinf_activations_destroy(mutinf_activations *activations) { mutinf__free(activations); }

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
