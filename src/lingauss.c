/* The linear-Gaussian model handle (estimator 1): C = W W^T + v I computed
 * once at creation; TC and pairwise matrices from its blocks; sampling. */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "gauss_tc.h"
#include "linalg.h"
#include "mutinf/model.h"
#include "options.h"
#include "partition.h"
#include "rng.h"
#include "view.h"

struct mutinf_lingauss {
    int64_t units, inputs;
    double noise_var;
    double *weights; /* units x inputs, row-major (ld = inputs): column-major W^T */
    double *bias;    /* units */
    double *cov;     /* units x units, column-major: C in the lower triangle (the upper
                      * one is left over from the factorization below) */
    /* Cholesky factorization of all of C, made at creation: it stands for
     * the joint block of a partition of every unit (in any order), so that
     * TC needs no working copy of C. */
    mutinf__chol_summary joint;
};

/* C = W W^T + v I into m->cov, its joint factorization summary, and the
 * copy of W into m->weights.  Double weights with contiguous rows feed the
 * product straight from the caller's memory, and the copy (the handle owns
 * W for sampling) comes last, on the calling thread alone: right after the
 * BLAS calls, whose worker threads still spin for a while, a team of
 * OpenMP threads waits for its slowest member (measured on 2 cores,
 * 2048 x 4096 weights: median 13 ms alone against 20-40 ms in two
 * threads, with a tail beyond 100 ms).  Other layouts are packed first. */
static mutinf_status model_cov(mutinf_lingauss *m, const mutinf__view *w, const char *fn)
{
    static const char *const w_index[] = {"row", "column"};
    const int64_t units = m->units, inputs = m->inputs;
    const int threads = mutinf__thread_count(NULL);
    int direct =
        !w->is_f32 && w->stride[1] == 1 && w->stride[0] >= inputs && w->stride[0] <= INT32_MAX;
    const double *A = direct ? (const double *)w->data : m->weights;
    int64_t lda = direct ? w->stride[0] : inputs;
    if (!direct) mutinf__view_pack_rowmajor(w, m->weights, inputs, threads);
    /* C = W W^T = A^T A for the column-major A = W^T (inputs x units). */
    mutinf_status st = mutinf__syrk('T', units, inputs, 1.0, A, lda, 0.0, m->cov, units);
    if (st != MUTINF_OK) return st;
    /* NaN or Inf in row i of W makes C_ii = sum_j W_ij^2 NaN or Inf, so a
     * finite diagonal proves finite weights without a separate pass over
     * them; otherwise the scan names the entry (or finds none: the sum of
     * squares overflowed, which the rank rules handle). */
    int finite = 1;
    for (int64_t i = 0; i < units; i++)
        finite &= isfinite(m->cov[i + i * units]) != 0;
    if (!finite && (st = mutinf__view_check_finite(w, fn, "weights", w_index)) != MUTINF_OK)
        return st;
    for (int64_t i = 0; i < units; i++)
        m->cov[i + i * units] += m->noise_var;
    double *work = mutinf__alloc(3 * (size_t)units, sizeof *work, 0, "factorization workspace");
    if (work == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    mutinf__chol_beside(units, m->cov, units, work, &m->joint);
    mutinf__free(work);
    if (direct) mutinf__view_pack_rowmajor(w, m->weights, inputs, 1);
    return MUTINF_OK;
}

static mutinf_status lingauss_create(const void *weights, int32_t is_f32, int64_t units,
                                     int64_t inputs, int64_t row_stride, int64_t col_stride,
                                     const void *bias, int64_t bias_stride, double noise_var,
                                     const char *fn, mutinf_lingauss **out)
{
    static const char *const b_index[] = {"unit"};
    MUTINF_CHECK_NULL(out, fn);
    *out = NULL;
    MUTINF_CHECK_NULL(weights, fn);
    mutinf__view w, b;
    const int64_t dims[2] = {units, inputs}, strides[2] = {row_stride, col_stride};
    mutinf_status st = mutinf__view_init(&w, fn, "weights", weights, is_f32, 2, dims, strides);
    if (st != MUTINF_OK) return st;
    if (bias != NULL) {
        st = mutinf__view_init(&b, fn, "bias", bias, is_f32, 1, &units, &bias_stride);
        if (st != MUTINF_OK) return st;
    }
    if (!(noise_var >= 0.0) || !isfinite(noise_var))
        return mutinf__fail(MUTINF_ERR_INVALID_ARGUMENT,
                            "%s: noise_var = %g, must be finite and >= 0", fn, noise_var);
    size_t wn;
    if (mutinf__mul_size((size_t)units, (size_t)inputs, &wn) ||
        mutinf__mul_size((size_t)units, (size_t)units, &(size_t){0}))
        return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW, "%s: %lld x %lld weights overflow", fn,
                            (long long)units, (long long)inputs);

    mutinf_lingauss *m = mutinf__alloc(1, sizeof *m, 1, "model");
    if (m == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    m->weights = mutinf__alloc(wn, sizeof(double), 0, "model weights");
    m->bias = m->weights ? mutinf__alloc((size_t)units, sizeof(double), 1, "model bias") : NULL;
    m->cov = m->bias ? mutinf__alloc((size_t)units * (size_t)units, sizeof(double), 0,
                                     "model covariance")
                     : NULL;
    if (m->cov == NULL) {
        mutinf_lingauss_destroy(m);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    m->units = units;
    m->inputs = inputs;
    m->noise_var = noise_var;
    if (bias != NULL)
        for (int64_t i = 0; i < units; i++)
            m->bias[i] = mutinf__view_at2(&b, i, 0);
    st = model_cov(m, &w, fn);
    if (st == MUTINF_OK && bias != NULL) st = mutinf__view_check_finite(&b, fn, "bias", b_index);
    if (st != MUTINF_OK) {
        mutinf_lingauss_destroy(m);
        return st;
    }
    *out = m;
    return MUTINF_OK;
}

mutinf_status mutinf_lingauss_create(const double *weights, int64_t units, int64_t inputs,
                                     int64_t row_stride, int64_t col_stride, const double *bias,
                                     int64_t bias_stride, double noise_var, mutinf_lingauss **out)
{
    return lingauss_create(weights, 0, units, inputs, row_stride, col_stride, bias, bias_stride,
                           noise_var, "mutinf_lingauss_create", out);
}

mutinf_status mutinf_lingauss_create_f32(const float *weights, int64_t units, int64_t inputs,
                                         int64_t row_stride, int64_t col_stride, const float *bias,
                                         int64_t bias_stride, double noise_var,
                                         mutinf_lingauss **out)
{
    return lingauss_create(weights, 1, units, inputs, row_stride, col_stride, bias, bias_stride,
                           noise_var, "mutinf_lingauss_create_f32", out);
}

void mutinf_lingauss_destroy(mutinf_lingauss *model)
{
    if (model == NULL) return;
    mutinf__free(model->weights);
    mutinf__free(model->bias);
    mutinf__free(model->cov);
    mutinf__free(model);
}

mutinf_status mutinf_lingauss_shape(const mutinf_lingauss *model, int64_t *units_out,
                                    int64_t *inputs_out)
{
    MUTINF_CHECK_NULL(model, "mutinf_lingauss_shape");
    MUTINF_CHECK_NULL(units_out, "mutinf_lingauss_shape");
    MUTINF_CHECK_NULL(inputs_out, "mutinf_lingauss_shape");
    *units_out = model->units;
    *inputs_out = model->inputs;
    return MUTINF_OK;
}

/* The model's joint factorization when the partition's joint block holds
 * every unit, else NULL: it is then C with its rows and columns permuted,
 * of the same rank and log-determinant. */
static const mutinf__chol_summary *joint_of(const mutinf_lingauss *model, const mutinf_partition *p)
{
    return p->n_assigned == model->units ? &model->joint : NULL;
}

mutinf_status mutinf_lingauss_total_correlation(const mutinf_lingauss *model,
                                                const mutinf_partition *partition,
                                                const mutinf_options *options, double *tc_out)
{
    static const char fn[] = "mutinf_lingauss_total_correlation";
    MUTINF_CHECK_NULL(model, fn);
    MUTINF_CHECK_NULL(partition, fn);
    MUTINF_CHECK_NULL(tc_out, fn);
    mutinf_status st = mutinf__partition_check_units(partition, model->units, fn);
    if (st != MUTINF_OK) return st;
    double tc;
    st = mutinf__gaussian_tc_known(model->cov, model->units, partition, options,
                                   joint_of(model, partition), &tc, NULL);
    if (st != MUTINF_OK) return st;
    *tc_out = mutinf__in_units(options, tc);
    return MUTINF_OK;
}

mutinf_status mutinf_lingauss_pairwise(const mutinf_lingauss *model,
                                       const mutinf_partition *partition,
                                       const mutinf_options *options, double *pairwise_out)
{
    static const char fn[] = "mutinf_lingauss_pairwise";
    MUTINF_CHECK_NULL(model, fn);
    MUTINF_CHECK_NULL(partition, fn);
    MUTINF_CHECK_NULL(pairwise_out, fn);
    mutinf_status st = mutinf__partition_check_units(partition, model->units, fn);
    if (st != MUTINF_OK) return st;
    int64_t K = partition->n_modules;
    /* Computed into scratch so a failure leaves the caller's buffer untouched. */
    double *m = mutinf__alloc((size_t)(K * K), sizeof *m, 0, "pairwise matrix");
    if (m == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    double tc;
    st = mutinf__gaussian_tc_known(model->cov, model->units, partition, options,
                                   joint_of(model, partition), &tc, m);
    if (st == MUTINF_OK)
        for (int64_t i = 0; i < K * K; i++)
            pairwise_out[i] = mutinf__in_units(options, m[i]);
    mutinf__free(m);
    return st;
}

/* Samples per chunk of the sampler's scratch buffers. */
#define SAMPLE_CHUNK 4096

mutinf_status mutinf_lingauss_sample(const mutinf_lingauss *model, int64_t n, uint64_t seed,
                                     double *x_out, double *y_out)
{
    static const char fn[] = "mutinf_lingauss_sample";
    MUTINF_CHECK_NULL(model, fn);
    MUTINF_CHECK_NULL(y_out, fn);
    if (n < 1)
        return mutinf__fail(MUTINF_ERR_DIMENSION_MISMATCH, "%s: n = %lld, must be >= 1", fn,
                            (long long)n);
    int64_t in = model->inputs, d = model->units, tmp;
    if (mutinf__mul_i64(n, in > d ? in : d, &tmp) || (size_t)tmp > SIZE_MAX / sizeof(double))
        return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW, "%s: %lld samples of %lld values overflow",
                            fn, (long long)n, (long long)(in > d ? in : d));
    int64_t chunk = n < SAMPLE_CHUNK ? n : SAMPLE_CHUNK;
    double *x = mutinf__alloc((size_t)(chunk * in), sizeof *x, 0, "sample inputs");
    double *y = x ? mutinf__alloc((size_t)(chunk * d), sizeof *y, 0, "sample outputs") : NULL;
    double *e = y ? mutinf__alloc((size_t)d, sizeof *e, 0, "sample noise") : NULL;
    if (e == NULL) {
        mutinf__free(x);
        mutinf__free(y);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    double sd = sqrt(model->noise_var);
    mutinf_status st = MUTINF_OK;
    /* Sample s uses stream s: `inputs` normals for x, then `units` for the noise. */
    for (int64_t s0 = 0; s0 < n && st == MUTINF_OK; s0 += chunk) {
        int64_t c = n - s0 < chunk ? n - s0 : chunk;
        for (int64_t s = 0; s < c; s++)
            mutinf__rng_normals(seed, (uint64_t)(s0 + s), 0, x + s * in, in);
        /* Column-major, X^T is inputs x c and Y^T = W X^T = A^T X^T is units x c. */
        st = mutinf__gemm('T', 'N', d, c, in, 1.0, model->weights, in, x, in, 0.0, y, d);
        for (int64_t s = 0; s < c && st == MUTINF_OK; s++) {
            double *ys = y + s * d;
            if (sd > 0.0)
                mutinf__rng_normals(seed, (uint64_t)(s0 + s), (uint64_t)(in + (in & 1)), e, d);
            for (int64_t i = 0; i < d; i++)
                ys[i] += model->bias[i] + (sd > 0.0 ? sd * e[i] : 0.0);
        }
        if (st == MUTINF_OK) {
            memcpy(y_out + s0 * d, y, (size_t)(c * d) * sizeof *y);
            if (x_out != NULL) memcpy(x_out + s0 * in, x, (size_t)(c * in) * sizeof *x);
        }
    }
    mutinf__free(x);
    mutinf__free(y);
    mutinf__free(e);
    return st;
}
