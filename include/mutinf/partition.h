/**
 * @file mutinf/partition.h
 * @brief Partition of units into modules.
 *
 * A partition assigns each of `n_units` units to at most one of `n_modules`
 * modules (K >= 2, none empty).  Units in no module are ignored by every
 * estimator.  A partition is immutable once created: any number of threads
 * may use it concurrently.
 */
#ifndef MUTINF_PARTITION_H
#define MUTINF_PARTITION_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An immutable, validated partition of units into modules. */
typedef struct mutinf_partition mutinf_partition;

/**
 * Create a partition from one label per unit.
 *
 * `labels[i]` is the module of unit i, in [0, n_modules), or -1 for a unit in
 * no module.  With `n_modules == 0` the number of modules is max(label) + 1.
 *
 * @param labels      n_units labels read with element stride `stride`; borrowed,
 *                    copied before return.
 * @param n_units     number of units, >= 1.
 * @param stride      element stride of `labels` (any non-zero value; 1 = contiguous).
 * @param n_modules   number of modules, or 0 to infer it.
 * @param out         receives the new partition (NULL on failure).
 * @return ::MUTINF_OK;
 *         ::MUTINF_ERR_NULL_ARGUMENT (labels or out NULL);
 *         ::MUTINF_ERR_DIMENSION_MISMATCH (n_units < 1);
 *         ::MUTINF_ERR_INVALID_ARGUMENT (n_modules < 0, stride 0);
 *         ::MUTINF_ERR_SIZE_OVERFLOW (n_units * stride overflows);
 *         ::MUTINF_ERR_LABEL_OUT_OF_RANGE (a label < -1 or >= n_modules);
 *         ::MUTINF_ERR_EMPTY_MODULE (some module in [0, n_modules) has no unit);
 *         ::MUTINF_ERR_TOO_FEW_MODULES (fewer than 2 modules);
 *         ::MUTINF_ERR_OUT_OF_MEMORY.
 * Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_partition_create_from_labels(const int32_t *labels, int64_t n_units,
                                                             int64_t stride, int64_t n_modules,
                                                             mutinf_partition **out);

/**
 * Create a partition from a boolean mask matrix (modules x units), as a
 * NumPy `bool` array stores it: `masks[k * module_stride + i * unit_stride]`
 * is 1 when unit i belongs to module k, else 0.
 *
 * @param masks          n_modules x n_units bytes, each 0 or 1; borrowed.
 * @param n_modules      number of modules (rows), >= 1.
 * @param n_units        number of units (columns), >= 1.
 * @param module_stride  element stride between modules (rows).
 * @param unit_stride    element stride between units (columns).
 * @param out            receives the new partition (NULL on failure).
 * @return ::MUTINF_OK;
 *         ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_DIMENSION_MISMATCH (a size < 1);
 *         ::MUTINF_ERR_SIZE_OVERFLOW (sizes or strides overflow);
 *         ::MUTINF_ERR_BAD_MASK_VALUE (an entry other than 0 or 1);
 *         ::MUTINF_ERR_OVERLAPPING_MODULES (a unit in two modules);
 *         ::MUTINF_ERR_EMPTY_MODULE (a row with no unit);
 *         ::MUTINF_ERR_TOO_FEW_MODULES (n_modules < 2);
 *         ::MUTINF_ERR_OUT_OF_MEMORY.
 * Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_partition_create_from_masks(const uint8_t *masks, int64_t n_modules,
                                                            int64_t n_units, int64_t module_stride,
                                                            int64_t unit_stride,
                                                            mutinf_partition **out);

/**
 * Create a partition of `n_units` units into `n_modules` contiguous modules of
 * near-equal size (the first n_units % n_modules modules get one unit more).
 *
 * @return ::MUTINF_OK; ::MUTINF_ERR_NULL_ARGUMENT; ::MUTINF_ERR_DIMENSION_MISMATCH
 *         (n_units < n_modules or n_units < 1); ::MUTINF_ERR_TOO_FEW_MODULES (n_modules < 2);
 *         ::MUTINF_ERR_OUT_OF_MEMORY.
 * Thread safety: safe.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_partition_create_contiguous(int64_t n_units, int64_t n_modules,
                                                            mutinf_partition **out);

/** Free a partition; NULL is a no-op.  Thread safety: any thread, once.  @since 0.1 */
MUTINF_API void mutinf_partition_destroy(mutinf_partition *partition);

/**
 * Number of modules K.
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_partition_n_modules(const mutinf_partition *partition,
                                                    int64_t *n_modules_out);

/**
 * Number of units the partition was made for (including units in no module).
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT.  @since 0.1
 */
MUTINF_API mutinf_status mutinf_partition_n_units(const mutinf_partition *partition,
                                                  int64_t *n_units_out);

/**
 * Number of units in module `module`.
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT
 *         (module outside [0, K)).  @since 0.1
 */
MUTINF_API mutinf_status mutinf_partition_module_size(const mutinf_partition *partition,
                                                      int64_t module, int64_t *size_out);

/**
 * The units of module `module`, in increasing order.
 * @param units_out caller buffer of `capacity` entries.
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT
 *         (module outside [0, K)), ::MUTINF_ERR_DIMENSION_MISMATCH (capacity
 *         smaller than the module size; nothing written).  @since 0.1
 */
MUTINF_API mutinf_status mutinf_partition_module_units(const mutinf_partition *partition,
                                                       int64_t module, int64_t *units_out,
                                                       int64_t capacity);

/**
 * The module of unit `unit` (-1 when in no module).
 * @return ::MUTINF_OK, ::MUTINF_ERR_NULL_ARGUMENT, ::MUTINF_ERR_INVALID_ARGUMENT
 *         (unit outside [0, n_units)).  @since 0.1
 */
MUTINF_API mutinf_status mutinf_partition_label(const mutinf_partition *partition, int64_t unit,
                                                int32_t *label_out);

#ifdef __cplusplus
}
#endif

#endif /* MUTINF_PARTITION_H */
