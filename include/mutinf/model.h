/**
 * @file mutinf/model.h
 * @brief The linear-Gaussian model: exact (analytical) mutual information.
 *
 * The model is `y = W x + b + sqrt(v) e` with `x ~ N(0, I_inputs)` and
 * `e ~ N(0, I_units)` independent, so `y ~ N(b, C)` with
 * `C = W W^T + v I`.  For a partition S_1..S_K of the units
 *
 *     TC = 1/2 (sum_k logdet C[S_k,S_k] - logdet C[S,S]),  S = S_1 u .. u S_K,
 *
 * computed with the rank rules below, never through det():
 *
 * - r0 = rank C[S,S] == r1 = sum_k rank C[S_k,S_k] == |S|: Cholesky log-determinants;
 * - r0 < r1: some module is a deterministic function of the others, TC = +inf
 *   (returned with ::MUTINF_OK);
 * - r0 == r1 < |S|: log pseudo-determinants (sum of the logs of the non-zero
 *   singular values) of every block, which is finite.
 *
 * Ranks use the relative tolerance of mutinf_options_set_rank_tol().  A
 * Cholesky factorization is accepted only for a well-conditioned block
 * (estimated reciprocal condition number above max(1e-8, 100 x the rank
 * tolerance)); otherwise, or with mutinf_options_set_strict_rank(), the
 * singular values (dgesvd) decide the rank, so the fast path never changes
 * an answer.
 *
 * The handle owns C and an attempted Cholesky factorization of the whole
 * of C with its condition estimate, both computed once, at creation (the
 * factor fills the other triangle of C's buffer).  Queries whose partition
 * holds every unit (in any order) reuse that factorization when the rule
 * above accepts it, instead of factoring C again.  The handle is immutable
 * afterwards: any number of threads may query it concurrently.
 */
#ifndef MUTINF_MODEL_H
#define MUTINF_MODEL_H

#include "common.h"
#include "partition.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A linear-Gaussian model with its output covariance. */
typedef struct mutinf_lingauss mutinf_lingauss;

/**
 * Create a linear-Gaussian model from W (units x inputs), in double precision.
 *
 * Element (i, j) of W is `weights[i * row_stride + j * col_stride]`; any
 * strides (including negative and transposed) are accepted.  W and bias are
 * copied into the handle; the caller keeps ownership.
 *
 * Cost: the product W W^T (units^2 x inputs / 2 multiply-adds, through
 * BLAS at about its matrix-multiply rate; double W with col_stride 1 and
 * row_stride >= inputs is read in place, other layouts are packed first),
 * one Cholesky factorization of C (units^3 / 6 multiply-adds) and the copy
 * of W.  The handle holds W and C (8 x units x (inputs + units) bytes).
 *
 * @param weights     W; borrowed.
 * @param units       rows of W, >= 1.
 * @param inputs      columns of W, >= 1.
 * @param row_stride  element stride between rows of W.
 * @param col_stride  element stride between columns of W.
 * @param bias        `units` offsets b with element stride `bias_stride`, or NULL for b = 0.
 * @param bias_stride element stride of bias (ignored when bias is NULL).
 * @param noise_var   noise variance v >= 0.
 * @param out         receives the model (NULL on failure).
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT (weights or out);
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (units or inputs < 1);
 *         ::MUTINF_ERR_SIZE_OVERFLOW (sizes or strides overflow);
 *         ::MUTINF_ERR_INVALID_ARGUMENT (noise_var negative or not finite);
 *         ::MUTINF_ERR_NON_FINITE (NaN/Inf in W or b, the message names the entry);
 *         ::MUTINF_ERR_OUT_OF_MEMORY.
 * Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_lingauss_create(const double *weights, int64_t units,
                                                int64_t inputs, int64_t row_stride,
                                                int64_t col_stride, const double *bias,
                                                int64_t bias_stride, double noise_var,
                                                mutinf_lingauss **out);

/** As mutinf_lingauss_create(), for single-precision W and b (computed in double).  @since 0.1 */
MUTINF_API mutinf_status mutinf_lingauss_create_f32(const float *weights, int64_t units,
                                                    int64_t inputs, int64_t row_stride,
                                                    int64_t col_stride, const float *bias,
                                                    int64_t bias_stride, double noise_var,
                                                    mutinf_lingauss **out);

/** Free a model; NULL is a no-op.  Thread safety: any thread, once.  @since 0.1 */
MUTINF_API void mutinf_lingauss_destroy(mutinf_lingauss *model);

/**
 * Number of units (rows of W) and inputs (columns of W).
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_lingauss_shape(const mutinf_lingauss *model, int64_t *units_out,
                                               int64_t *inputs_out);

/**
 * Total correlation of the model's outputs over a partition.
 *
 * @param model      the model.
 * @param partition  a partition made for exactly `units` units.
 * @param options    NULL for defaults; uses bits, rank_tol, strict_rank.
 * @param tc_out     receives TC (nats, or bits), possibly +inf.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT;
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (partition for a different number of units);
 *         ::MUTINF_ERR_OUT_OF_MEMORY; ::MUTINF_ERR_NUMERICAL (the SVD did not converge).
 * Thread safety: concurrent calls on one model are safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_lingauss_total_correlation(const mutinf_lingauss *model,
                                                           const mutinf_partition *partition,
                                                           const mutinf_options *options,
                                                           double *tc_out);

/**
 * The K x K pairwise matrix of a partition, row-major in `pairwise_out`:
 * off-diagonal `M[i][j] = I(Y_Si; Y_Sj)` (rank rules as above, possibly
 * +inf), diagonal `M[i][i] = h(Y_Si) = 1/2 (d_i ln(2 pi e) + logdet C[Si,Si])`,
 * the differential entropy, which is -inf when C[Si,Si] is singular.
 *
 * @param pairwise_out caller buffer of at least K*K doubles.
 * @return as mutinf_lingauss_total_correlation().
 * Thread safety: concurrent calls on one model are safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_lingauss_pairwise(const mutinf_lingauss *model,
                                                  const mutinf_partition *partition,
                                                  const mutinf_options *options,
                                                  double *pairwise_out);

/**
 * Draw `n` independent samples (x, y) of the model, deterministically from
 * `seed`: the same seed gives the same samples on every machine and thread
 * count.  Sample s uses only the random stream (seed, s).
 *
 * @param n          number of samples, >= 1.
 * @param seed       any value.
 * @param x_out      NULL, or n x inputs doubles, row-major contiguous.
 * @param y_out      n x units doubles, row-major contiguous.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT (model or y_out);
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (n < 1); ::MUTINF_ERR_SIZE_OVERFLOW;
 *         ::MUTINF_ERR_OUT_OF_MEMORY.
 * Thread safety: concurrent calls on one model are safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_lingauss_sample(const mutinf_lingauss *model, int64_t n,
                                                uint64_t seed, double *x_out, double *y_out);

#ifdef __cplusplus
}
#endif

#endif /* MUTINF_MODEL_H */
