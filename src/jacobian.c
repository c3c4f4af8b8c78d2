/* The Jacobian batch handle: a validated borrowed view of B Jacobians.
 * Wrapping is O(1): the values themselves are checked for NaN and Inf by
 * the estimator, in the pass that reads them anyway (a separate scan here
 * would read the whole batch from memory once more). */
#include "alloc.h"
#include "error.h"
#include "jacobian.h"

static mutinf_status jacobians_wrap(const void *data, int32_t is_f32, int64_t batch, int64_t units,
                                    int64_t inputs, int64_t batch_stride, int64_t row_stride,
                                    int64_t col_stride, const char *fn, mutinf_jacobians **out)
{
    MUTINF_CHECK_NULL(out, fn);
    *out = NULL;
    MUTINF_CHECK_NULL(data, fn);
    const int64_t dims[3] = {batch, units, inputs};
    const int64_t strides[3] = {batch_stride, row_stride, col_stride};
    mutinf__view v;
    mutinf_status st = mutinf__view_init(&v, fn, "data", data, is_f32, 3, dims, strides);
    if (st != MUTINF_OK) return st;
    mutinf_jacobians *j = mutinf__alloc(1, sizeof *j, 1, "Jacobian view");
    if (j == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    j->view = v;
    *out = j;
    return MUTINF_OK;
}

mutinf_status mutinf_jacobians_wrap(const double *data, int64_t batch, int64_t units,
                                    int64_t inputs, int64_t batch_stride, int64_t row_stride,
                                    int64_t col_stride, mutinf_jacobians **out)
{
    return jacobians_wrap(data, 0, batch, units, inputs, batch_stride, row_stride, col_stride,
                          "mutinf_jacobians_wrap", out);
}

mutinf_status mutinf_jacobians_wrap_f32(const float *data, int64_t batch, int64_t units,
                                        int64_t inputs, int64_t batch_stride, int64_t row_stride,
                                        int64_t col_stride, mutinf_jacobians **out)
{
    return jacobians_wrap(data, 1, batch, units, inputs, batch_stride, row_stride, col_stride,
                          "mutinf_jacobians_wrap_f32", out);
}

void mutinf_jacobians_destroy(mutinf_jacobians *jacobians)
{
    mutinf__free(jacobians);
}

mutinf_status mutinf_jacobians_shape(const mutinf_jacobians *jacobians, int64_t *batch_out,
                                     int64_t *units_out, int64_t *inputs_out)
{
    static const char fn[] = "mutinf_jacobians_shape";
    MUTINF_CHECK_NULL(jacobians, fn);
    MUTINF_CHECK_NULL(batch_out, fn);
    MUTINF_CHECK_NULL(units_out, fn);
    MUTINF_CHECK_NULL(inputs_out, fn);
    *batch_out = jacobians->view.dim[0];
    *units_out = jacobians->view.dim[1];
    *inputs_out = jacobians->view.dim[2];
    return MUTINF_OK;
}
