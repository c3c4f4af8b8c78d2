/**
 * @file mutinf/common.h
 * @brief Version, status codes, error messages and the options handle.
 *
 * Everything in libmutinf returns a ::mutinf_status.  On failure the
 * thread-local mutinf_last_error_message() says which argument and which value
 * were at fault, outputs are left untouched and constructors set `*out = NULL`.
 */
#ifndef MUTINF_COMMON_H
#define MUTINF_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && defined(MUTINF_BUILDING)
#define MUTINF_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(MUTINF_STATIC)
#define MUTINF_API __declspec(dllimport)
#elif defined(__GNUC__) && defined(MUTINF_BUILDING)
#define MUTINF_API __attribute__((visibility("default")))
#else
#define MUTINF_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

#define MUTINF_VERSION_MAJOR 0
#define MUTINF_VERSION_MINOR 1
#define MUTINF_VERSION_PATCH 0
#define MUTINF_VERSION_NUMBER                                                                      \
    (MUTINF_VERSION_MAJOR * 10000 + MUTINF_VERSION_MINOR * 100 + MUTINF_VERSION_PATCH)
#define MUTINF_VERSION_STRING "0.1.0"

/**
 * The version of the library actually loaded, as MAJOR*10000 + MINOR*100 + PATCH.
 *
 * Compare with ::MUTINF_VERSION_NUMBER to detect a header/library mismatch.
 * Thread safety: always safe.  @since 0.1
 */
MUTINF_API int32_t mutinf_version_number(void);

/**
 * The version of the library actually loaded, as "MAJOR.MINOR.PATCH".
 *
 * @return a static string, never NULL.  Thread safety: always safe.  @since 0.1
 */
MUTINF_API const char *mutinf_version(void);

/* ------------------------------------------------------------------------ */
/* Status codes (int32_t; the values are pinned and only ever appended to)  */
/* ------------------------------------------------------------------------ */

/** Return type of every fallible function.  0 is success. */
typedef int32_t mutinf_status;

#define MUTINF_OK                      0  /**< success */
#define MUTINF_ERR_NULL_ARGUMENT       1  /**< a required pointer was NULL */
#define MUTINF_ERR_INVALID_ARGUMENT    2  /**< a scalar argument is out of its domain */
#define MUTINF_ERR_DIMENSION_MISMATCH  3  /**< sizes disagree, or a size is zero/negative */
#define MUTINF_ERR_SIZE_OVERFLOW       4  /**< a product of sizes or strides overflows */
#define MUTINF_ERR_NON_FINITE          5  /**< the data holds NaN or an infinity */
#define MUTINF_ERR_LABEL_OUT_OF_RANGE  6  /**< a partition label is < -1 or >= n_modules */
#define MUTINF_ERR_EMPTY_MODULE        7  /**< a module of the partition has no unit */
#define MUTINF_ERR_OVERLAPPING_MODULES 8  /**< a unit belongs to two modules (masks) */
#define MUTINF_ERR_TOO_FEW_MODULES     9  /**< fewer than two modules */
#define MUTINF_ERR_OUT_OF_MEMORY       10 /**< an allocation failed */
#define MUTINF_ERR_NUMERICAL           11 /**< a factorization failed where it must not */
#define MUTINF_ERR_NO_CONVERGENCE      12 /**< an iterative method did not converge */
#define MUTINF_ERR_UNSUPPORTED         13 /**< valid request this build cannot serve */
#define MUTINF_ERR_INTERNAL            14 /**< a bug in libmutinf; please report it */
#define MUTINF_ERR_TOO_FEW_SAMPLES     15 /**< not enough samples for the estimator */
#define MUTINF_ERR_CANCELLED           16 /**< a progress callback asked to stop */
#define MUTINF_ERR_INVALID_STATE       17 /**< the handle is not ready for this call */
#define MUTINF_ERR_BAD_MASK_VALUE      18 /**< a partition mask entry is neither 0 nor 1 */

/**
 * The symbolic name of a status code, e.g. "MUTINF_ERR_NON_FINITE".
 *
 * @param status any value; unknown values give "MUTINF_ERR_UNKNOWN".
 * @return a static string, never NULL.  Thread safety: always safe.  @since 0.1
 */
MUTINF_API const char *mutinf_status_string(mutinf_status status);

/**
 * A sentence describing the last failure on the calling thread.
 *
 * Every failing call sets it, naming the argument and the value at fault,
 * e.g. "labels[7] = 3 but n_modules = 3".  Successful calls leave it as it
 * was, so read it right after the call that failed.
 *
 * @return a thread-local string owned by the library, valid until the next
 *         libmutinf call on this thread; "" if nothing has failed yet.
 * Thread safety: each thread has its own message.  @since 0.1
 */
MUTINF_API const char *mutinf_last_error_message(void);

/* ------------------------------------------------------------------------ */
/* Buffer cache                                                              */
/* ------------------------------------------------------------------------ */

/**
 * Set how many bytes of freed large buffers libmutinf keeps for reuse.
 *
 * Working buffers of 4 MiB or more (a model's weights and covariance,
 * packed data, accumulators) are kept when a call or handle is done with
 * them, and the next allocation needing between half of a kept buffer and
 * all of it takes that buffer instead of fresh memory.  Fresh memory costs a
 * page fault per page on its first touch; on virtual machines whose host
 * takes freed guest memory back, that was measured at 0.5-3 ms per MiB,
 * which for a 2048-unit model's 100 MB of weights and covariance is up to
 * as long as the rest of its creation.  When the kept bytes would exceed the
 * limit, the buffers kept longest are freed first; a buffer larger than the
 * limit is never kept.  The default limit is 256 MiB; 0 turns the cache off.
 *
 * @param max_bytes  the new limit; buffers kept beyond it are freed now.
 * @return the previous limit.  Thread safety: safe.  @since 0.1
 */
MUTINF_API size_t mutinf_buffer_cache_set_limit(size_t max_bytes);

/** Bytes of freed buffers kept right now.  Thread safety: safe.  @since 0.1 */
MUTINF_API size_t mutinf_buffer_cache_size(void);

/**
 * Free every kept buffer now; the limit stays as it is.  Kept buffers are
 * also freed when the library is unloaded.  Thread safety: safe.  @since 0.1
 */
MUTINF_API void mutinf_buffer_cache_release(void);

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * Tunables shared by the estimators.  Every estimator accepts NULL for
 * "all defaults".  Setters validate and return ::MUTINF_ERR_INVALID_ARGUMENT
 * (leaving the value unchanged) for values out of their domain.
 *
 * Thread safety: an options handle may be read by many concurrent estimator
 * calls; setters need exclusive use.
 */
typedef struct mutinf_options mutinf_options;

/** Quantizers for the quantized estimator (mutinf_options_set_quantizer()). */
#define MUTINF_QUANTIZER_KMEANS   0 /**< k-means on each module's standardized units */
#define MUTINF_QUANTIZER_QUANTILE 1 /**< equal-frequency bins per unit */

/**
 * Progress callback: `done` of `total` units of work finished.
 * Return 0 to continue, non-zero to ask the computation to stop (it then
 * returns ::MUTINF_ERR_CANCELLED).  Called from the thread that made the call.
 */
typedef int32_t (*mutinf_progress_fn)(int64_t done, int64_t total, void *payload);

/**
 * Create an options handle holding the defaults listed at each setter.
 * @param out receives the handle (NULL on failure); free with mutinf_options_destroy().
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_OUT_OF_MEMORY.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_options_create(mutinf_options **out);

/** Free an options handle; NULL is a no-op.  @since 0.1 */
MUTINF_API void mutinf_options_destroy(mutinf_options *options);

/**
 * Threads for libmutinf's own parallel loops.  0 (default) = all cores;
 * results are bit-identical for every value.  BLAS keeps its own setting.
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT (< 0).  @since 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_threads(mutinf_options *options, int32_t threads);
/** Read the threads option.  @return as the setter, for NULL arguments.  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_threads(const mutinf_options *options,
                                                    int32_t *threads_out);

/**
 * Report information in bits (1) instead of nats (0, default).
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT (not 0/1).  @since
 * 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_bits(mutinf_options *options, int32_t bits);
/** Read the bits option.  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_bits(const mutinf_options *options, int32_t *bits_out);

/**
 * Relative tolerance of the numerical rank.  A singular value s of a
 * covariance block counts as zero when s <= rank_tol * s_max.  0 (default)
 * means NumPy's matrix_rank rule, rank_tol = n * DBL_EPSILON for an n x n block.
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT
 *         (negative, >= 1 or NaN).  @since 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_rank_tol(mutinf_options *options, double rank_tol);
/** Read the rank tolerance (0 = automatic).  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_rank_tol(const mutinf_options *options,
                                                     double *rank_tol_out);

/**
 * Strict rank check (1): decide every rank by SVD instead of accepting a
 * well-conditioned Cholesky factorization.  Default 0.
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT (not 0/1).  @since
 * 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_strict_rank(mutinf_options *options,
                                                        int32_t strict_rank);
/** Read the strict rank option.  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_strict_rank(const mutinf_options *options,
                                                        int32_t *strict_rank_out);

/**
 * Variance v >= 0 of isotropic noise added to local covariances,
 * C = J J^T + v I (Jacobian estimator).  Default 0.
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT
 *         (negative, NaN or infinite).  @since 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_noise_var(mutinf_options *options, double noise_var);
/** Read the noise variance.  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_noise_var(const mutinf_options *options,
                                                      double *noise_var_out);

/**
 * Bias correction of Gaussian entropies (Ince et al. 2017), 1 = on (default).
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT (not 0/1).  @since
 * 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_bias_correction(mutinf_options *options,
                                                            int32_t bias_correction);
/** Read the bias correction flag.  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_bias_correction(const mutinf_options *options,
                                                            int32_t *bias_correction_out);

/**
 * Gaussian copula transform of each unit before the Gaussian estimator
 * (1 = on, default 0).
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT (not 0/1).  @since
 * 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_copula(mutinf_options *options, int32_t copula);
/** Read the copula flag.  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_copula(const mutinf_options *options,
                                                   int32_t *copula_out);

/**
 * Quantizer of the quantized estimator: ::MUTINF_QUANTIZER_KMEANS (default)
 * or ::MUTINF_QUANTIZER_QUANTILE.
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_quantizer(mutinf_options *options, int32_t quantizer);
/** Read the quantizer.  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_quantizer(const mutinf_options *options,
                                                      int32_t *quantizer_out);

/**
 * Number of symbols per module (k-means) or per unit (quantile), >= 2.
 * Default 8.
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT (< 2).  @since 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_bins(mutinf_options *options, int32_t bins);
/** Read the number of bins.  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_bins(const mutinf_options *options, int32_t *bins_out);

/**
 * Independent k-means restarts for the k-means quantizer, >= 1 (default 1).
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT (< 1).  @since 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_n_init(mutinf_options *options, int32_t n_init);
/** Read n_init.  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_n_init(const mutinf_options *options,
                                                   int32_t *n_init_out);

/**
 * Seed of every random choice (k-means initialisation, permutations).
 * Default 0.  Any value is valid.
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_seed(mutinf_options *options, uint64_t seed);
/** Read the seed.  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_seed(const mutinf_options *options, uint64_t *seed_out);

/**
 * Miller–Madow correction of the plug-in entropies (1 = on, default 0).
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT (not 0/1).  @since
 * 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_miller_madow(mutinf_options *options,
                                                         int32_t miller_madow);
/** Read the Miller–Madow flag.  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_miller_madow(const mutinf_options *options,
                                                         int32_t *miller_madow_out);

/**
 * Permutations of the quantized estimator's null distribution, >= 0
 * (default 0 = no permutation test).
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT (< 0).  @since 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_n_permutations(mutinf_options *options,
                                                           int32_t n_permutations);
/** Read n_permutations.  @since 0.1 */
MUTINF_API mutinf_status mutinf_options_get_n_permutations(const mutinf_options *options,
                                                           int32_t *n_permutations_out);

/**
 * Progress callback for long computations (NULL, the default, for none).
 * @param payload passed back unchanged to every call; not owned.
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT (options NULL).  @since 0.1
 */
MUTINF_API mutinf_status mutinf_options_set_progress(mutinf_options *options,
                                                     mutinf_progress_fn progress, void *payload);

#ifdef __cplusplus
}
#endif

#endif /* MUTINF_COMMON_H */
