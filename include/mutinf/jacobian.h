/**
 * @file mutinf/jacobian.h
 * @brief Jacobian (local) mutual information over a batch of Jacobians.
 *
 * A batch holds B Jacobians J_b (units x inputs) of a network, e.g. the
 * output of `torch.autograd.functional.jacobian` for B inputs.  For each
 * sample b the local covariance is
 *
 *     C_b = J_b J_b^T + v I        (v = mutinf_options_set_noise_var(), default 0)
 *
 * and for a partition S_1..S_K of the units the local total correlation is
 *
 *     TC_b = 1/2 (sum_k logdet C_b[S_k,S_k] - logdet C_b[S,S]),  S = S_1 u .. u S_K,
 *
 * with the rank rules of mutinf/model.h applied to every sample: Cholesky
 * log-determinants when every block is well conditioned; TC_b = +inf when
 * rank C_b[S,S] < sum_k rank C_b[S_k,S_k] (for instance units > inputs
 * with v = 0 and modules that are not themselves rank deficient); log
 * pseudo-determinants when the ranks agree below |S|.  A Cholesky
 * factorization is trusted when its estimated reciprocal condition number
 * exceeds max(1e-8, 100 rank_tol), as in mutinf/model.h; otherwise the SVD
 * decides.  det() is never formed, so the result is right at every scale:
 * C_b is brought to a unit-order diagonal by a power of two per unit (TC is
 * invariant under per-unit scaling; rows are rescaled before the product
 * when a square would under- or overflow), so Jacobians of size 1e-300 or
 * 1e300 give the same TC as Jacobians of size 1, and rank decisions do not
 * depend on the units' scales.
 *
 * For a linear model y = W x every J_b = W, and the result equals
 * mutinf_lingauss_total_correlation() for W.
 */
#ifndef MUTINF_JACOBIAN_H
#define MUTINF_JACOBIAN_H

#include "common.h"
#include "partition.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A borrowed, validated view of a batch of Jacobians.
 *
 * The view does not copy the data: the caller's array must stay alive and
 * unchanged until mutinf_jacobians_destroy().  Thread safety: the handle is
 * immutable; any number of threads may use it concurrently.
 */
typedef struct mutinf_jacobians mutinf_jacobians;

/**
 * Wrap a batch of double-precision Jacobians without copying them.
 *
 * Element (b, i, j) -- sample b, unit (row) i, input (column) j -- is
 * `data[b * batch_stride + i * row_stride + j * col_stride]`.  Strides are in
 * elements and may be any value, including 0 and negative values, so a
 * contiguous PyTorch tensor of shape (batch, units, inputs) passes as
 * (units * inputs, inputs, 1) and any transposed view passes as it is.
 * Wrapping costs O(1): the values are checked for NaN and infinities by the
 * estimator, in the same pass that reads them.
 *
 * @param data          the Jacobians; borrowed (not copied), must outlive the handle.
 * @param batch         number of samples B, >= 1.
 * @param units         rows of each Jacobian (network units), >= 1.
 * @param inputs        columns of each Jacobian (network inputs), >= 1.
 * @param batch_stride  element stride between samples.
 * @param row_stride    element stride between rows (units).
 * @param col_stride    element stride between columns (inputs).
 * @param out           receives the handle (NULL on failure); free with
 *                      mutinf_jacobians_destroy().
 * @return ::MUTINF_OK;
 *         ::MUTINF_ERR_NULL_ARGUMENT (data or out NULL);
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (batch, units or inputs < 1);
 *         ::MUTINF_ERR_SIZE_OVERFLOW (the sizes and strides span more than
 *         the address space);
 *         ::MUTINF_ERR_OUT_OF_MEMORY.
 * Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_jacobians_wrap(const double *data, int64_t batch, int64_t units,
                                               int64_t inputs, int64_t batch_stride,
                                               int64_t row_stride, int64_t col_stride,
                                               mutinf_jacobians **out);

/**
 * As mutinf_jacobians_wrap(), for single-precision Jacobians.  Every
 * computation is in double precision.
 *
 * @param data  the Jacobians as float; borrowed, must outlive the handle.
 * @return as mutinf_jacobians_wrap().
 * Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_jacobians_wrap_f32(const float *data, int64_t batch, int64_t units,
                                                   int64_t inputs, int64_t batch_stride,
                                                   int64_t row_stride, int64_t col_stride,
                                                   mutinf_jacobians **out);

/**
 * Free a Jacobian view (the caller's data is not touched); NULL is a no-op.
 * Thread safety: any thread, once, after every call using the handle.  @since 0.1
 */
MUTINF_API void mutinf_jacobians_destroy(mutinf_jacobians *jacobians);

/**
 * The shape of the batch.
 *
 * @param jacobians   the handle.
 * @param batch_out   receives B.
 * @param units_out   receives the number of units (rows).
 * @param inputs_out  receives the number of inputs (columns).
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT (nothing written).
 * Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_jacobians_shape(const mutinf_jacobians *jacobians,
                                                int64_t *batch_out, int64_t *units_out,
                                                int64_t *inputs_out);

/**
 * Local total correlation of a batch of Jacobians over a partition of the units.
 *
 * For each sample, TC_b as described at the top of this header.  The
 * results are
 *
 * - `*tc_out`: the batch mean (1/B) sum_b TC_b, or +inf when some TC_b is +inf;
 * - `*stderr_out`: the standard error of the mean, s / sqrt(B) with s the
 *   sample standard deviation (divisor B - 1) of the TC_b; +inf when some
 *   TC_b is +inf; NaN when B = 1;
 * - `*n_infinite_out`: the number of samples with TC_b = +inf;
 * - `per_sample_out[b]` = TC_b;
 * - `pairwise_out`: the K x K batch-mean pairwise matrix, row-major:
 *   off-diagonal `M[i][j]` = mean over b of I_b(Y_Si; Y_Sj) (rank rules as
 *   above, +inf when any sample's is +inf); diagonal `M[i][i]` = mean over b
 *   of the differential entropy 1/2 (d_i ln(2 pi e) + logdet C_b[Si,Si]),
 *   -inf when some sample's block C_b[Si,Si] is singular.
 *
 * Everything is in nats, or bits with mutinf_options_set_bits().  Every
 * result is bit-identical for every thread count.  Cost: one covariance per
 * sample (n_assigned^2 * inputs multiply-adds) and one Cholesky
 * factorization per sample and module; the pairwise matrix adds one
 * factorization per pair of modules.
 *
 * @param jacobians       the batch.
 * @param partition       a partition made for exactly `units` units (units in
 *                        no module are ignored).
 * @param options         NULL for defaults; uses threads, bits, noise_var,
 *                        rank_tol, strict_rank, progress (called with the
 *                        number of samples done; a non-zero return cancels).
 * @param tc_out          receives the batch mean; required.
 * @param stderr_out      NULL, or receives the standard error of the mean.
 * @param n_infinite_out  NULL, or receives the number of infinite TC_b.
 * @param per_sample_out  NULL, or a caller buffer of B doubles for every TC_b.
 * @param pairwise_out    NULL, or a caller buffer of K*K doubles for the mean
 *                        pairwise matrix.
 * @return ::MUTINF_OK;
 *         ::MUTINF_ERR_NULL_ARGUMENT (jacobians, partition or tc_out NULL);
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (partition for a different number of units);
 *         ::MUTINF_ERR_SIZE_OVERFLOW (a covariance or workspace size overflows);
 *         ::MUTINF_ERR_NON_FINITE (a NaN or infinite entry in a row of a
 *         unit in some module; the message names its sample, row and
 *         column, e.g. "data[sample 3, row 7, column 12] = nan"; rows of
 *         units in no module are not read);
 *         ::MUTINF_ERR_OUT_OF_MEMORY;
 *         ::MUTINF_ERR_NUMERICAL (an SVD did not converge);
 *         ::MUTINF_ERR_CANCELLED (the progress callback asked to stop).
 *         On any error no output is written.
 * Thread safety: concurrent calls on one handle are safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_jacobians_total_correlation(
    const mutinf_jacobians *jacobians, const mutinf_partition *partition,
    const mutinf_options *options, double *tc_out, double *stderr_out, int64_t *n_infinite_out,
    double *per_sample_out, double *pairwise_out);

#ifdef __cplusplus
}
#endif

#endif /* MUTINF_JACOBIAN_H */
