/**
 * @file mutinf/kmeans.h
 * @brief k-means clustering: Lloyd's algorithm, and the exact optimum in one dimension.
 *
 * A k-means handle holds the settings (k, restarts, iteration limit,
 * tolerance, initialisation, seed, threads, progress callback) and, after a
 * successful fit, the result: k x d centroids, inertia, iterations, a
 * converged flag and a degenerate flag.  Fitting minimises the inertia
 *
 *     inertia = sum_i || x_i - c_{label(i)} ||^2
 *
 * over the n rows x_i of an n x d data view.
 *
 * Algorithms (mutinf_kmeans_set_algorithm()):
 * - ::MUTINF_KMEANS_ALGORITHM_AUTO (default): for d == 1 the exact optimal
 *   clustering by dynamic programming over the sorted values (Wang & Song,
 *   "Ckmeans.1d.dp", The R Journal 3(2), 2011), which needs no
 *   initialisation and no restarts; for 16 <= k <= n/4 it first searches a
 *   cost per cluster for which the penalised programme's optimum has
 *   exactly k clusters (that optimum is then the exact k-clustering; a few
 *   passes instead of k layers), and falls back to the k layers when no
 *   such cost is found within a few passes; for d >= 2 plain Lloyd's
 *   algorithm.
 * - ::MUTINF_KMEANS_ALGORITHM_LLOYD: plain Lloyd's algorithm for every d
 *   (every distance computed in every iteration).
 * - ::MUTINF_KMEANS_ALGORITHM_HAMERLY: Lloyd's algorithm for every d, with
 *   the triangle-inequality bounds of Hamerly ("Making k-means even faster",
 *   SIAM SDM 2010) skipping the distances that cannot change a label.  The
 *   bounds are exact (widened against rounding), so labels, centroids,
 *   inertia and iteration count are bit-identical to those of
 *   ::MUTINF_KMEANS_ALGORITHM_LLOYD.  It costs 4 bytes per point more
 *   (one float margin between the bounds, rounded down); it wins when most labels settle
 *   after the first iterations, which is the usual case, and loses little
 *   when many points fail their bounds.  It applies to the small-d kernel,
 *   d <= 8; for d > 8 it runs plain Lloyd.
 *
 * Lloyd's algorithm: starting from initial centroids (greedy k-means++,
 * random distinct rows, or caller-given centroids), each iteration assigns
 * every point to its nearest centroid and moves each centroid to the mean of
 * its points.  A cluster left empty is given the point farthest from its
 * current centroid (never NaN, never silently empty).  The fit stops when the
 * labels no longer change, or when the total squared centroid shift
 * sum_j ||c_j(new) - c_j(old)||^2 is <= tol * (mean over features of the
 * per-feature variance of the data) (scikit-learn's rule), or after max_iter
 * iterations (then the converged flag is 0; this is not an error).  The
 * labels reported are always those of the nearest final centroid, and the
 * inertia is computed exactly as sum (x - c)^2 (not in the expanded form).
 * Of n_init independent restarts the one with the lowest inertia is kept
 * (the earliest on ties).
 *
 * Precision: double data is processed in double.  Float data is processed
 * with single-precision distance products (as scikit-learn and FAISS do for
 * float32); centroid sums, centroids and the inertia are accumulated in double.
 * On x86-64 with AVX2/FMA, where the library's own distance kernels run
 * (d <= 8; and d <= 4096 when BLAS is multi-threaded, as Debian's default
 * OpenBLAS is), a float row keeps its single-precision label only when no
 * other centroid comes within that arithmetic's proven rounding bound;
 * closer rows are re-decided with the double arithmetic.  There a float fit
 * (and predict) gives exactly the labels, centroids and inertia of
 * mutinf_kmeans_fit() on the same values converted to double.  Elsewhere
 * (sgemm distances) the two may part where rows lie within float rounding
 * of two centroids.
 *
 * Determinism: the same data, settings and seed give bit-identical labels,
 * centroids and inertia for every thread count.
 *
 * Memory: the data are read in place when the view is row-major and
 * contiguous (col_stride 1, row_stride d), else copied once into such a
 * buffer.  Beyond that a fit uses O(n) labels and distances, O(k d) centroid
 * sums per accumulation block (at most 64 blocks, 256 for d <= 8; about
 * 8 MiB), k-means++ seeding a float copy of the data (4 n d bytes) plus
 * (2 + ln k) n doubles, Hamerly's bounds 2 n floats (with AVX2/FMA also the
 * rows packed in float with their norms, 40 bytes a point), and the exact d == 1
 * programme an arg-min table of about k n bytes when it runs layer by layer.
 *
 * Fewer distinct points than k: the fit succeeds with inertia 0, every
 * distinct point a centroid, the remaining centroids duplicates of them
 * (empty clusters), and mutinf_kmeans_degenerate() reports 1.
 *
 * Thread safety: setters and fit modify the handle and need exclusive use;
 * the getters and predict only read it and may run concurrently from many
 * threads (but not concurrently with a setter or fit on the same handle).
 * Different handles are independent.
 */
#ifndef MUTINF_KMEANS_H
#define MUTINF_KMEANS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A k-means handle: settings plus, after mutinf_kmeans_fit(), the fitted model. */
typedef struct mutinf_kmeans mutinf_kmeans;

/** Initialisation (mutinf_kmeans_set_init()). */
#define MUTINF_KMEANS_INIT_KMEANSPP 0 /**< greedy k-means++ (default) */
#define MUTINF_KMEANS_INIT_RANDOM   1 /**< k distinct rows chosen uniformly at random */
#define MUTINF_KMEANS_INIT_GIVEN    2 /**< centroids from mutinf_kmeans_set_init_centroids() */

/** Algorithm (mutinf_kmeans_set_algorithm()). */
#define MUTINF_KMEANS_ALGORITHM_AUTO    0 /**< exact dynamic programme for d == 1, else Lloyd */
#define MUTINF_KMEANS_ALGORITHM_LLOYD   1 /**< plain Lloyd's algorithm for every d */
#define MUTINF_KMEANS_ALGORITHM_HAMERLY 2 /**< Lloyd with Hamerly's bounds: the same results */

/**
 * Create a k-means handle with the defaults: k = 8, n_init = 1,
 * max_iter = 300, tol = 1e-4, init = ::MUTINF_KMEANS_INIT_KMEANSPP,
 * algorithm = ::MUTINF_KMEANS_ALGORITHM_AUTO, seed = 0, threads = 0 (all
 * cores), no progress callback.  The handle holds no fit yet.
 *
 * @param out receives the new handle (NULL on failure); free it with
 *            mutinf_kmeans_destroy().
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT (out NULL);
 *         ::MUTINF_ERR_OUT_OF_MEMORY.
 * Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_create(mutinf_kmeans **out);

/**
 * Free a k-means handle and its fitted model; NULL is a no-op.
 * @param km the handle; invalid afterwards.
 * Thread safety: any thread, once, when no other call uses the handle.  @since 0.1
 */
MUTINF_API void mutinf_kmeans_destroy(mutinf_kmeans *km);

/**
 * Set the number of clusters k >= 1 (default 8).  A fit fails with
 * ::MUTINF_ERR_INVALID_ARGUMENT when k > n.  Setting k different from the
 * row count of given initial centroids makes a later fit with
 * ::MUTINF_KMEANS_INIT_GIVEN fail with ::MUTINF_ERR_DIMENSION_MISMATCH.
 *
 * @param km the handle.
 * @param k  number of clusters, >= 1.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_INVALID_ARGUMENT
 *         (k < 1; the value is left unchanged).
 * Thread safety: exclusive use of the handle.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_set_k(mutinf_kmeans *km, int32_t k);

/**
 * Set the number of independent restarts n_init >= 1 (default 1); the
 * restart with the lowest inertia is kept.  Restart r uses the random stream
 * r of the seed, so results do not depend on the thread count.  Ignored
 * (one run) with ::MUTINF_KMEANS_INIT_GIVEN and by the exact d == 1 programme.
 *
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_INVALID_ARGUMENT (< 1).
 * Thread safety: exclusive use of the handle.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_set_n_init(mutinf_kmeans *km, int32_t n_init);

/**
 * Set the maximum number of Lloyd iterations per restart, >= 1 (default 300).
 *
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_INVALID_ARGUMENT (< 1).
 * Thread safety: exclusive use of the handle.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_set_max_iter(mutinf_kmeans *km, int32_t max_iter);

/**
 * Set the relative tolerance tol >= 0 (default 1e-4).  Lloyd stops when
 * sum_j ||c_j(new) - c_j(old)||^2 <= tol * mean_f var(x[:, f]) (population
 * variance per feature), or when no label changes.  tol = 0 stops only on
 * unchanged labels (or max_iter).
 *
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_INVALID_ARGUMENT
 *         (negative, NaN or infinite).
 * Thread safety: exclusive use of the handle.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_set_tol(mutinf_kmeans *km, double tol);

/**
 * Choose the initialisation: ::MUTINF_KMEANS_INIT_KMEANSPP (default; greedy
 * k-means++ as in scikit-learn: each new centroid is the best, by potential,
 * of 2 + floor(ln k) candidates drawn with probability proportional to the
 * squared distance to the nearest chosen centroid),
 * ::MUTINF_KMEANS_INIT_RANDOM (k rows drawn uniformly without replacement),
 * or ::MUTINF_KMEANS_INIT_GIVEN (the centroids stored by
 * mutinf_kmeans_set_init_centroids(); a fit fails with
 * ::MUTINF_ERR_INVALID_STATE if none are stored).  The exact d == 1
 * programme needs no initialisation and ignores this setting (choose
 * ::MUTINF_KMEANS_ALGORITHM_LLOYD to run Lloyd from it in one dimension).
 *
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_INVALID_ARGUMENT
 *         (another value).
 * Thread safety: exclusive use of the handle.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_set_init(mutinf_kmeans *km, int32_t init);

/**
 * Store caller-given initial centroids (a k x d view, copied), and set
 * k = `k` and init = ::MUTINF_KMEANS_INIT_GIVEN.  Element (j, f) is read
 * at centroids[j * row_stride + f * col_stride].  A later fit on data with a
 * different number of columns fails with ::MUTINF_ERR_DIMENSION_MISMATCH.
 *
 * @param km          the handle.
 * @param centroids   k x d doubles, borrowed (copied before return).
 * @param k           number of centroids, >= 1 (fits into int32_t).
 * @param d           number of features, >= 1.
 * @param row_stride  element stride between centroids (any value, 0 included).
 * @param col_stride  element stride between features.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT (km or centroids NULL);
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (k < 1 or d < 1);
 *         ::MUTINF_ERR_INVALID_ARGUMENT (k > INT32_MAX);
 *         ::MUTINF_ERR_SIZE_OVERFLOW (sizes or strides overflow);
 *         ::MUTINF_ERR_NON_FINITE (a NaN/Inf centroid entry, named);
 *         ::MUTINF_ERR_OUT_OF_MEMORY.  On error the handle is unchanged.
 * Thread safety: exclusive use of the handle.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_set_init_centroids(mutinf_kmeans *km,
                                                          const double *centroids, int64_t k,
                                                          int64_t d, int64_t row_stride,
                                                          int64_t col_stride);

/**
 * Choose the algorithm: ::MUTINF_KMEANS_ALGORITHM_AUTO (default: exact
 * dynamic programme when d == 1, Lloyd otherwise), ::MUTINF_KMEANS_ALGORITHM_LLOYD
 * or ::MUTINF_KMEANS_ALGORITHM_HAMERLY (the same results as LLOYD through
 * triangle-inequality bounds; plain Lloyd for d > 8).
 *
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_INVALID_ARGUMENT
 *         (another value).
 * Thread safety: exclusive use of the handle.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_set_algorithm(mutinf_kmeans *km, int32_t algorithm);

/**
 * Set the seed of every random choice (initialisation).  Default 0; any
 * value is valid.
 *
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT.
 * Thread safety: exclusive use of the handle.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_set_seed(mutinf_kmeans *km, uint64_t seed);

/**
 * Threads for libmutinf's own parallel loops, >= 0 (0, the default, = all
 * cores).  Results are bit-identical for every value.  BLAS keeps its own
 * thread setting (the library never changes it).
 *
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_INVALID_ARGUMENT (< 0).
 * Thread safety: exclusive use of the handle.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_set_threads(mutinf_kmeans *km, int32_t threads);

/**
 * Set a progress callback (NULL, the default, for none).  During a fit it is
 * called from the calling thread after each Lloyd iteration with
 * done = iterations finished over all restarts and
 * total = restarts run * max_iter (n_init, or 1 with given centroids; the
 * exact d == 1 programme reports each penalised pass or layer, done
 * increasing, and finally done = total = k).  A non-zero return stops the fit, which then
 * returns ::MUTINF_ERR_CANCELLED and leaves the handle's previous fit and
 * every output untouched.
 *
 * @param km       the handle.
 * @param progress the callback, or NULL.
 * @param payload  passed back unchanged as the last argument; not owned.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT (km NULL).
 * Thread safety: exclusive use of the handle.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_set_progress(mutinf_kmeans *km, mutinf_progress_fn progress,
                                                    void *payload);

/**
 * Fit k-means to the n x d double view `data`: row i (a point) has its
 * feature f at data[i * row_stride + f * col_stride] (NumPy strides divided
 * by the item size; negative and zero strides allowed).  On success the
 * handle holds the centroids, inertia, iteration count and flags (read them
 * with the getters), replacing any previous fit.
 *
 * @param km          the handle.
 * @param data        n x d doubles, borrowed for the call only.
 * @param n           number of points, >= 1.
 * @param d           number of features, >= 1.
 * @param row_stride  element stride between points.
 * @param col_stride  element stride between features.
 * @param labels_out  NULL, or n int32 entries receiving the cluster of each
 *                    point in [0, k) (the nearest final centroid, the lowest
 *                    index on ties); written only on success.
 * @return ::MUTINF_OK (also when max_iter is reached without convergence);
 *         ::MUTINF_ERR_NULL_ARGUMENT (km or data NULL);
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (n < 1 or d < 1, or d differs from
 *         the columns of given initial centroids, or k differs from their rows);
 *         ::MUTINF_ERR_INVALID_ARGUMENT (k > n);
 *         ::MUTINF_ERR_SIZE_OVERFLOW (sizes or strides overflow, or n beyond
 *         what the BLAS integers can index);
 *         ::MUTINF_ERR_NON_FINITE (a NaN/Inf entry; the message names its row
 *         and column);
 *         ::MUTINF_ERR_INVALID_STATE (init GIVEN but no centroids stored);
 *         ::MUTINF_ERR_CANCELLED (the progress callback asked to stop);
 *         ::MUTINF_ERR_OUT_OF_MEMORY.
 *         On error the handle keeps its previous fit and labels_out is untouched.
 * Thread safety: exclusive use of the handle; `data` is only read.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_fit(mutinf_kmeans *km, const double *data, int64_t n,
                                           int64_t d, int64_t row_stride, int64_t col_stride,
                                           int32_t *labels_out);

/**
 * As mutinf_kmeans_fit() for a float view (single-precision distance
 * products; centroids, sums and inertia in double).
 * @return as mutinf_kmeans_fit().  Thread safety: as mutinf_kmeans_fit().  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_fit_f32(mutinf_kmeans *km, const float *data, int64_t n,
                                               int64_t d, int64_t row_stride, int64_t col_stride,
                                               int32_t *labels_out);

/**
 * Assign each row of the n x d double view `data` to its nearest fitted
 * centroid (squared Euclidean distance, the lowest index on ties).  On the
 * training data this gives the fit's labels.
 *
 * @param km          a fitted handle (only read).
 * @param data        n x d doubles, borrowed; strides as in mutinf_kmeans_fit().
 * @param n           number of points, >= 1.
 * @param d           number of features; must equal the fitted d.
 * @param row_stride  element stride between points.
 * @param col_stride  element stride between features.
 * @param labels_out  n int32 entries receiving labels in [0, k).
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT (km, data or labels_out NULL);
 *         ::MUTINF_ERR_INVALID_STATE (no successful fit yet);
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (n < 1, or d differs from the fit);
 *         ::MUTINF_ERR_SIZE_OVERFLOW; ::MUTINF_ERR_NON_FINITE (row named);
 *         ::MUTINF_ERR_OUT_OF_MEMORY.  On error labels_out is untouched.
 * Thread safety: read-only on the handle; concurrent predicts are safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_predict(const mutinf_kmeans *km, const double *data,
                                               int64_t n, int64_t d, int64_t row_stride,
                                               int64_t col_stride, int32_t *labels_out);

/**
 * As mutinf_kmeans_predict() for a float view, with the distance
 * arithmetic of mutinf_kmeans_fit_f32() (so that predicting the training
 * data reproduces the fit's labels).
 * @return as mutinf_kmeans_predict().  Thread safety: as mutinf_kmeans_predict().  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_predict_f32(const mutinf_kmeans *km, const float *data,
                                                   int64_t n, int64_t d, int64_t row_stride,
                                                   int64_t col_stride, int32_t *labels_out);

/**
 * Copy the fitted centroids, row-major k x d (centroid j, feature f at
 * out[j * d + f]).  With fewer distinct points than k some rows repeat.
 *
 * @param km        a fitted handle (only read).
 * @param out       caller buffer of `capacity` doubles.
 * @param capacity  entries available in out; must be >= k * d.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_INVALID_STATE
 *         (no fit yet); ::MUTINF_ERR_DIMENSION_MISMATCH (capacity < k * d;
 *         nothing written).
 * Thread safety: read-only.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_centroids(const mutinf_kmeans *km, double *out,
                                                 int64_t capacity);

/**
 * Shape of the fitted model: number of clusters k and features d.
 * @param k_out receives k (may be NULL).  @param d_out receives d (may be NULL).
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT (km NULL);
 *         ::MUTINF_ERR_INVALID_STATE (no fit yet).
 * Thread safety: read-only.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_shape(const mutinf_kmeans *km, int64_t *k_out,
                                             int64_t *d_out);

/**
 * The inertia sum_i ||x_i - c_{label(i)}||^2 of the fit (exact, not from the
 * expanded distance form).
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_INVALID_STATE (no fit yet).
 * Thread safety: read-only.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_inertia(const mutinf_kmeans *km, double *inertia_out);

/**
 * Lloyd iterations run by the kept restart (0 for the exact d == 1
 * programme and for the degenerate case).
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_INVALID_STATE (no fit yet).
 * Thread safety: read-only.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_n_iter(const mutinf_kmeans *km, int32_t *n_iter_out);

/**
 * 1 when the kept restart converged (labels unchanged or shift within tol;
 * always 1 for the exact d == 1 programme and the degenerate case), 0 when
 * it stopped at max_iter.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_INVALID_STATE (no fit yet).
 * Thread safety: read-only.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_converged(const mutinf_kmeans *km, int32_t *converged_out);

/**
 * 1 when the data had fewer distinct points than k (the centroids then hold
 * duplicates and some clusters are empty; inertia 0), else 0.
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_INVALID_STATE (no fit yet).
 * Thread safety: read-only.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_kmeans_degenerate(const mutinf_kmeans *km, int32_t *degenerate_out);

#ifdef __cplusplus
}
#endif

#endif /* MUTINF_KMEANS_H */
