/**
 * @file mutinf/activations.h
 * @brief Recorded activations: Gaussian plug-in and quantized estimators.
 *
 * An activation matrix holds n samples (rows) of d units (columns) recorded
 * from a network.  Given a partition of the units into modules S_1..S_K, the
 * estimators return the total correlation
 *
 *     TC = sum_k H(Y_Sk) - H(Y_S1, .., Y_SK)
 *
 * and the K x K pairwise matrix (row-major): `M[i][j] = I(Y_Si; Y_Sj)` for
 * i != j, `M[i][i] = H(Y_Si)`, in nats (or bits, mutinf_options_set_bits()).
 *
 * - mutinf_activations_gaussian(): the Gaussian plug-in estimator, from the
 *   sample covariance, with the analytic bias correction (on by default),
 *   an optional Gaussian copula and the asymptotic chi-squared p-value.
 * - mutinf_activations_quantized(): each module's activations become one
 *   symbol per sample (k-means or per-unit quantile bins); discrete plug-in
 *   entropies from sparse counts, optional Miller–Madow correction and a
 *   permutation null.
 * - mutinf_activations_moments(), mutinf_moments_merge(),
 *   mutinf_moments_gaussian(): the Gaussian estimator over data split in
 *   shards (machines, files, batches), through mergeable plain-double
 *   moments (count, means, co-moment).
 *
 * The handle is a borrowed view: it keeps the caller's pointer, never a
 * copy.  The data must stay valid and unchanged while the handle is used.
 * A handle is immutable after creation: any number of threads may run
 * estimators on it concurrently.
 *
 * Non-finite data: the wrap does not read the data.  Each estimator checks
 * the units the partition assigns (the only ones it reads; unassigned units
 * are never read) and fails with ::MUTINF_ERR_NON_FINITE on a NaN or an
 * infinity, the message naming the first such sample (row) and in it the
 * lowest such unit (column), e.g. "data[sample 17, unit 3] = nan".
 */
#ifndef MUTINF_ACTIVATIONS_H
#define MUTINF_ACTIVATIONS_H

#include "common.h"
#include "partition.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A borrowed n x d view of recorded activations (double or float). */
typedef struct mutinf_activations mutinf_activations;

/**
 * Wrap an n x d matrix of double activations without copying it.
 *
 * Element (i, j) (sample i, unit j) is `data[i * row_stride + j * col_stride]`.
 * Any strides are accepted, including negative, zero and transposed ones, so
 * a C-ordered or Fortran-ordered NumPy array, a transposed view or a PyTorch
 * tensor passes as it is (strides in elements, not bytes).  The view is
 * validated (shape, span) but its elements are not read: the estimators
 * read them and reject NaN and infinities (::MUTINF_ERR_NON_FINITE, see the
 * top of this header), so the wrap costs O(1) whatever the size.
 *
 * @param data        the activations; borrowed: must outlive the handle and
 *                    stay unchanged while it is used.
 * @param n_samples   rows n, >= 1.
 * @param n_units     columns d, >= 1.
 * @param row_stride  element stride between samples.
 * @param col_stride  element stride between units.
 * @param out         receives the handle (NULL on failure); free with
 *                    mutinf_activations_destroy().
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT (data or out);
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (n_samples or n_units < 1);
 *         ::MUTINF_ERR_SIZE_OVERFLOW (the strided span overflows the address space);
 *         ::MUTINF_ERR_OUT_OF_MEMORY.
 * Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_activations_wrap(const double *data, int64_t n_samples,
                                                 int64_t n_units, int64_t row_stride,
                                                 int64_t col_stride, mutinf_activations **out);

/**
 * As mutinf_activations_wrap(), for float activations.  Computation is in
 * double precision (each element converted when read).
 *
 * @return as mutinf_activations_wrap().  Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_activations_wrap_f32(const float *data, int64_t n_samples,
                                                     int64_t n_units, int64_t row_stride,
                                                     int64_t col_stride, mutinf_activations **out);

/**
 * Free the handle (not the data it borrows); NULL is a no-op.
 * Thread safety: any thread, once, after every call on it has returned.  @since 0.1
 */
MUTINF_API void mutinf_activations_destroy(mutinf_activations *activations);

/**
 * The shape of the view.
 *
 * @param activations    the handle.
 * @param n_samples_out  receives n.
 * @param n_units_out    receives d.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT.  Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_activations_shape(const mutinf_activations *activations,
                                                  int64_t *n_samples_out, int64_t *n_units_out);

/**
 * Gaussian plug-in estimate of the total correlation and pairwise matrix.
 *
 * Let S be the units assigned to some module (|S| = m, units outside every
 * module are ignored) and C the unbiased sample covariance (divisor n - 1)
 * of those units, computed without copying the data (memory O(m^2 +
 * chunk)): on CPUs with AVX2 and FMA and m <= 1024, one read of the data:
 * the rows shifted by the mean of the first 1024 samples, in chunks packed
 * in double (summing the shifted columns), accumulated by the library's
 * own kernel, then corrected by the shifted means,
 * C = (G - n s s^T) / (n - 1) with G the shifted co-moment and s the mean
 * of the shifted data (small: no cancellation); otherwise one dsyrk on the
 * caller's memory when the units of S are consecutive double columns of a
 * row- or column-contiguous matrix and no mean exceeds ~30 standard
 * deviations (C = (X^T X - n mean mean^T) / (n - 1), after a pass for the
 * means), else dsyrk over chunks of rows packed in double and shifted by
 * the mean of the first chunk.  The data is checked without a pass of its
 * own: a NaN or an infinity makes a variance non-finite, and only then is
 * the data scanned to name the entry.  Then
 *
 *     TC = 1/2 (sum_k logdet C[Sk,Sk] - logdet C[S,S]),
 *
 * with the rank rules of mutinf/model.h (+inf when a module is an exact
 * linear function of the others; pseudo-determinants when degenerate).
 * The diagonal of the pairwise matrix is the Gaussian differential entropy
 * `h_k = 1/2 (d_k ln(2 pi e) + logdet C[Sk,Sk])`.
 *
 * Options used:
 * - bias_correction (default on): each Gaussian entropy of a block of
 *   dimension p is reduced by
 *   `c(p) = p (ln 2 - ln(n - 1)) / 2 + sum_{i=1..p} psi((n - i) / 2) / 2`
 *   (Ince et al. 2017, Hum. Brain Mapp. 38:1541, as in `gcmi`), so that
 *   `TC -= sum_k c(d_k) - c(m)` and `M[i][j] -= c(d_i) + c(d_j) - c(d_i + d_j)`.
 *   The corrected estimates are not clamped: on independent data they
 *   scatter around 0 and may be slightly negative.  Infinite values are
 *   left as they are.  For rank-deficient blocks the correction still uses
 *   the block dimensions.
 * - copula (default off): each unit is first replaced by
 *   `Phi^-1(r / (n + 1))`, r its rank among the n samples (ties averaged),
 *   which makes the estimate invariant to strictly increasing transforms of
 *   each unit.  This needs n*m doubles of scratch memory (the copy into it
 *   checks the data).
 * - bits, rank_tol, strict_rank, threads (packing, ranking, sums; BLAS
 *   keeps its own threads).  Results are bit-identical for every `threads`.
 *   The progress callback is not called (one pass over the data).
 *
 * p-value: under independence of the modules `2 n TC` (uncorrected TC) is
 * asymptotically chi-squared with `sum_{k<l} d_k d_l` degrees of freedom
 * (the likelihood-ratio test); `*p_value_out` is its upper tail, 0 when TC
 * is infinite.  It is approximate when n is not much larger than m.
 *
 * @param activations   the data (n samples, d units).
 * @param partition     a partition made for exactly d units.
 * @param options       NULL for defaults.
 * @param tc_out        receives TC; required.
 * @param pairwise_out  NULL, or a caller buffer of K*K doubles (row-major).
 * @param p_value_out   NULL, or receives the p-value in [0, 1].
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT (activations, partition, tc_out);
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (partition for a different d);
 *         ::MUTINF_ERR_TOO_FEW_SAMPLES (n <= m: the covariance would be singular);
 *         ::MUTINF_ERR_SIZE_OVERFLOW (m beyond the BLAS integer range);
 *         ::MUTINF_ERR_NON_FINITE (a NaN or an infinity in an assigned unit;
 *         the message names the sample and the unit);
 *         ::MUTINF_ERR_OUT_OF_MEMORY; ::MUTINF_ERR_NUMERICAL (an SVD did not converge).
 *         On error no output is written.
 * Thread safety: concurrent calls on one handle are safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_activations_gaussian(const mutinf_activations *activations,
                                                     const mutinf_partition *partition,
                                                     const mutinf_options *options, double *tc_out,
                                                     double *pairwise_out, double *p_value_out);

/**
 * Quantized (discrete) estimate of the total correlation and pairwise matrix.
 *
 * Each module's activations become one symbol per sample:
 * - ::MUTINF_QUANTIZER_KMEANS (default): every unit of the module is
 *   standardised (centred and divided by its population standard
 *   deviation; a unit of zero variance is only centred; the standardised
 *   values are rounded to multiples of 2^-g with n 2^g <= 2^50, at most
 *   6e-11 standard deviations for n = 1e5, so that cluster sums are exact
 *   in any order and can be updated point by point), then the k-means
 *   module (mutinf/kmeans.h, default settings: greedy k-means++, tol 1e-4,
 *   max_iter 300, exact optimum for a one-unit module) clusters the
 *   module's samples into `bins` clusters with `n_init` restarts and `seed`
 *   (the same seed for every module); the symbol is the cluster index in
 *   [0, bins).
 * - ::MUTINF_QUANTIZER_QUANTILE: every unit gets `bins` equal-frequency
 *   bins, sample i of a unit going to bin floor(bins * r / n) with r the
 *   0-based rank of the first sample equal to it (equal values always share
 *   a bin, so a unit with few distinct values may use fewer bins); the
 *   module symbol is the tuple of its units' bins, written as the base-`bins`
 *   number b_1 b_2 .. b_dk (first unit most significant) when bins^d_k fits
 *   in int32, else numbered 0, 1, .. in order of first appearance.
 *
 * Entropies are plug-in `H = ln n - (1/n) sum_c n_c ln n_c` over the occupied
 * cells only, counted sparsely (hashing of symbol tuples: memory O(n K),
 * never a dense bins^K table).  `TC = sum_k H_k - H_joint`,
 * `M[i][j] = H_i + H_j - H_ij`, `M[i][i] = H_i`.
 *
 * Options used:
 * - miller_madow (default off): every entropy gets `+ (c - 1) / (2 n)`, c its
 *   number of occupied cells, which removes the leading plug-in bias (for
 *   two independent modules of b symbols, `(b - 1)^2 / (2 n)`).
 * - n_permutations P (default 0): the null distribution of TC under
 *   independence of the modules, from P data sets in which each module's
 *   symbols are shuffled independently (modules 2..K; shuffling the first
 *   too would give the same distribution), deterministic in `seed`, with
 *   the same correction as the observed TC.  `*p_value_out = (1 + #{TC_null >= TC}) /
 *   (1 + P)` and `*null_mean_out` = mean of TC_null.  With P = 0 both are
 *   written as NaN.
 * - quantizer, bins, n_init, seed, bits, threads (results bit-identical for
 *   every value).
 * - progress: called from the calling thread with total = K + P, after each
 *   module's k-means (or once, done = K, after the quantile bins) and after
 *   each batch of permutations; a non-zero return stops the call with
 *   ::MUTINF_ERR_CANCELLED.
 *
 * Undersampling: the plug-in TC is dominated by its bias when the number of
 * occupied joint cells (distinct K-tuples of symbols) approaches n; with
 * every sample in its own cell TC = sum_k H_k - ln n whatever the data.
 * `*undersampled_out` is 1 when `5 * occupied_cells > n` (fewer than five
 * samples per occupied joint cell on average, the classic rule of thumb for
 * contingency tables); then treat TC as an upper bound dominated by bias.
 *
 * @param activations        the data (n samples, d units).
 * @param partition          a partition made for exactly d units.
 * @param options            NULL for defaults.
 * @param tc_out             receives TC; required.
 * @param pairwise_out       NULL or K*K doubles (row-major).
 * @param p_value_out        NULL or receives the permutation p-value (NaN if P = 0).
 * @param null_mean_out      NULL or receives the mean null TC (NaN if P = 0).
 * @param occupied_cells_out NULL or receives the number of occupied joint cells.
 * @param undersampled_out   NULL or receives the undersampled flag (0/1).
 * @param symbols_out        NULL or n*K int32, row-major: symbols_out[i*K + k]
 *                           is the symbol of sample i in module k.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT (activations, partition, tc_out);
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (partition for a different d);
 *         ::MUTINF_ERR_TOO_FEW_SAMPLES (n < 2, or n < bins for k-means);
 *         ::MUTINF_ERR_SIZE_OVERFLOW (n beyond the int32 range of the symbols);
 *         ::MUTINF_ERR_NON_FINITE (a NaN or an infinity in an assigned unit,
 *         found by a parallel pass over those units before quantizing; the
 *         message names the sample and the unit);
 *         ::MUTINF_ERR_OUT_OF_MEMORY; ::MUTINF_ERR_NO_CONVERGENCE and the other
 *         statuses of the k-means module (k-means quantizer);
 *         ::MUTINF_ERR_CANCELLED (the progress callback asked to stop).
 *         On error no output is written.
 * Thread safety: concurrent calls on one handle are safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_activations_quantized(
    const mutinf_activations *activations, const mutinf_partition *partition,
    const mutinf_options *options, double *tc_out, double *pairwise_out, double *p_value_out,
    double *null_mean_out, int64_t *occupied_cells_out, int32_t *undersampled_out,
    int32_t *symbols_out);

/* ------------------------------------------------------------------------ */
/* Mergeable moments: the Gaussian estimator over sharded data              */
/* ------------------------------------------------------------------------ */

/**
 * Number of doubles of a moments buffer for a partition: `1 + m + m*m`,
 * m = the number of units assigned to some module.
 *
 * A moments buffer holds the sufficient statistics of the Gaussian
 * estimator for a set of samples, as plain doubles so that any engine
 * (MPI, a database, a file) can store, send and combine them:
 * `[0]` the sample count n; `[1 .. m]` the mean of each assigned unit;
 * `[1 + m ..]` the co-moment `M2 = sum_i (x_i - mean)(x_i - mean)^T`, an
 * m x m symmetric matrix (column-major = row-major).  Units are in the
 * partition's module order (module 0's units in increasing index, then
 * module 1's, ...).
 *
 * @param partition the partition.
 * @param size_out  receives the size.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_SIZE_OVERFLOW.
 * Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_moments_size(const mutinf_partition *partition, int64_t *size_out);

/**
 * The moments (count, means, co-moment; see mutinf_moments_size()) of the
 * assigned units over the handle's samples, computed as the covariance of
 * mutinf_activations_gaussian() (n = 1 gives a zero co-moment).
 *
 * @param activations  the data (n samples, d units); n may be any value >= 1.
 * @param partition    a partition made for exactly d units.
 * @param options      NULL for defaults; uses threads.  The copula is refused
 *                     (ranks over all samples cannot be merged).
 * @param moments_out  caller buffer of `size` doubles.
 * @param size         mutinf_moments_size() of the partition.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT;
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (partition for another d, or a wrong size);
 *         ::MUTINF_ERR_UNSUPPORTED (copula option set); ::MUTINF_ERR_SIZE_OVERFLOW;
 *         ::MUTINF_ERR_NON_FINITE (as mutinf_activations_gaussian());
 *         ::MUTINF_ERR_OUT_OF_MEMORY.  On error moments_out is untouched.
 * Thread safety: concurrent calls on one handle are safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_activations_moments(const mutinf_activations *activations,
                                                    const mutinf_partition *partition,
                                                    const mutinf_options *options,
                                                    double *moments_out, int64_t size);

/**
 * Merge the moments of another set of samples into `moments` (pairwise
 * update of Chan, Golub & LeVeque 1979): with delta = mean_b - mean_a,
 * n = n_a + n_b, mean = mean_a + delta n_b / n and
 * M2 = M2_a + M2_b + delta delta^T n_a n_b / n.  A buffer with count 0 is
 * the neutral element (an all-zero buffer can start a reduction).  The
 * merge is commutative and associative up to rounding, so it can serve as
 * a user-defined MPI reduction operator.
 *
 * @param moments  the accumulator, `size` doubles, updated in place.
 * @param other    the moments to add, `size` doubles (may equal `moments`).
 * @param size     1 + m + m*m for some m >= 0.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT;
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (size not of the form 1 + m + m*m);
 *         ::MUTINF_ERR_INVALID_ARGUMENT (a count that is negative or not an integer);
 *         ::MUTINF_ERR_NON_FINITE (a NaN or infinite mean or co-moment, named by index).
 *         On error `moments` is untouched.
 * Thread safety: safe on distinct buffers.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_moments_merge(double *moments, const double *other, int64_t size);

/**
 * The Gaussian estimator of mutinf_activations_gaussian() from moments:
 * C = M2 / (n - 1), then TC, pairwise matrix, bias correction (with the
 * merged count n) and p-value exactly as there.
 *
 * @param moments       `size` doubles (see mutinf_moments_size()).
 * @param size          mutinf_moments_size() of the partition.
 * @param partition     the partition the moments were computed for.
 * @param options       NULL for defaults; as mutinf_activations_gaussian()
 *                      (the copula is refused).
 * @param tc_out        receives TC; required.
 * @param pairwise_out  NULL or K*K doubles (row-major).
 * @param p_value_out   NULL or receives the chi-squared p-value.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT;
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (wrong size);
 *         ::MUTINF_ERR_INVALID_ARGUMENT (bad count); ::MUTINF_ERR_NON_FINITE;
 *         ::MUTINF_ERR_TOO_FEW_SAMPLES (count <= m); ::MUTINF_ERR_UNSUPPORTED (copula);
 *         ::MUTINF_ERR_SIZE_OVERFLOW; ::MUTINF_ERR_OUT_OF_MEMORY;
 *         ::MUTINF_ERR_NUMERICAL.  On error no output is written.
 * Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_moments_gaussian(const double *moments, int64_t size,
                                                 const mutinf_partition *partition,
                                                 const mutinf_options *options, double *tc_out,
                                                 double *pairwise_out, double *p_value_out);

#ifdef __cplusplus
}
#endif

#endif /* MUTINF_ACTIVATIONS_H */
