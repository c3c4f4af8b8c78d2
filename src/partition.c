/* Partition handle: labels or masks -> validated, grouped modules. */
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "partition.h"
#include "view.h"

/* Builds the grouped representation from validated labels (takes ownership
 * of `labels`).  Every module in [0, n_modules) must be non-empty. */
static mutinf_status partition_build(int32_t *labels, int64_t n_units, int64_t n_modules,
                                     const char *fn, mutinf_partition **out)
{
    mutinf_partition *p = mutinf__alloc(1, sizeof *p, 1, "partition");
    int64_t *offsets = mutinf__alloc((size_t)n_modules + 1, sizeof *offsets, 1, "module offsets");
    int64_t *units = mutinf__alloc((size_t)n_units, sizeof *units, 0, "module units");
    if (p == NULL || offsets == NULL || units == NULL) {
        mutinf__free(p);
        mutinf__free(offsets);
        mutinf__free(units);
        mutinf__free(labels);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    for (int64_t i = 0; i < n_units; i++)
        if (labels[i] >= 0) offsets[labels[i] + 1]++;
    for (int64_t k = 0; k < n_modules; k++) {
        if (offsets[k + 1] == 0) {
            mutinf__free(p);
            mutinf__free(offsets);
            mutinf__free(units);
            mutinf__free(labels);
            return mutinf__fail(MUTINF_ERR_EMPTY_MODULE, "%s: module %lld of %lld has no unit", fn,
                                (long long)k, (long long)n_modules);
        }
        offsets[k + 1] += offsets[k];
    }
    int64_t n_assigned = offsets[n_modules];
    /* Counting sort keeps units increasing within each module. */
    int64_t *fill = offsets; /* reuse: shift back afterwards */
    for (int64_t i = 0; i < n_units; i++)
        if (labels[i] >= 0) units[fill[labels[i]]++] = i;
    for (int64_t k = n_modules; k > 0; k--)
        offsets[k] = offsets[k - 1];
    offsets[0] = 0;
    p->n_units = n_units;
    p->n_modules = n_modules;
    p->n_assigned = n_assigned;
    p->labels = labels;
    p->offsets = offsets;
    p->units = units;
    *out = p;
    return MUTINF_OK;
}

mutinf_status mutinf_partition_create_from_labels(const int32_t *labels, int64_t n_units,
                                                  int64_t stride, int64_t n_modules,
                                                  mutinf_partition **out)
{
    static const char fn[] = "mutinf_partition_create_from_labels";
    MUTINF_CHECK_NULL(out, fn);
    *out = NULL;
    MUTINF_CHECK_NULL(labels, fn);
    if (n_units < 1)
        return mutinf__fail(MUTINF_ERR_DIMENSION_MISMATCH, "%s: n_units = %lld, must be >= 1", fn,
                            (long long)n_units);
    if (stride == 0)
        return mutinf__fail(MUTINF_ERR_INVALID_ARGUMENT, "%s: stride = 0, must be non-zero", fn);
    if (n_modules < 0)
        return mutinf__fail(MUTINF_ERR_INVALID_ARGUMENT, "%s: n_modules = %lld, must be >= 0", fn,
                            (long long)n_modules);
    mutinf__view v;
    mutinf_status st =
        mutinf__view_init(&v, fn, "labels", labels, 1 /* 4-byte elements */, 1, &n_units, &stride);
    if (st != MUTINF_OK) return st;
    int32_t max_label = -1;
    for (int64_t i = 0; i < n_units; i++) {
        int32_t l = labels[i * stride];
        if (l < -1 || (n_modules > 0 && l >= n_modules)) {
            if (n_modules > 0)
                return mutinf__fail(MUTINF_ERR_LABEL_OUT_OF_RANGE,
                                    "%s: labels[%lld] = %d but n_modules = %lld (labels must be "
                                    "-1 or in [0, n_modules))",
                                    fn, (long long)i, (int)l, (long long)n_modules);
            return mutinf__fail(MUTINF_ERR_LABEL_OUT_OF_RANGE,
                                "%s: labels[%lld] = %d, must be -1 or >= 0", fn, (long long)i,
                                (int)l);
        }
        if (l > max_label) max_label = l;
    }
    int64_t k = n_modules > 0 ? n_modules : (int64_t)max_label + 1;
    if (k < 2)
        return mutinf__fail(MUTINF_ERR_TOO_FEW_MODULES,
                            "%s: the labels define %lld module(s), at least 2 are needed", fn,
                            (long long)k);
    if (k > n_units)
        return mutinf__fail(MUTINF_ERR_EMPTY_MODULE,
                            "%s: n_modules = %lld exceeds n_units = %lld, some module is empty", fn,
                            (long long)k, (long long)n_units);
    int32_t *copy = mutinf__alloc((size_t)n_units, sizeof *copy, 0, "partition labels");
    if (copy == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    for (int64_t i = 0; i < n_units; i++)
        copy[i] = labels[i * stride];
    return partition_build(copy, n_units, k, fn, out);
}

mutinf_status mutinf_partition_create_from_masks(const uint8_t *masks, int64_t n_modules,
                                                 int64_t n_units, int64_t module_stride,
                                                 int64_t unit_stride, mutinf_partition **out)
{
    static const char fn[] = "mutinf_partition_create_from_masks";
    MUTINF_CHECK_NULL(out, fn);
    *out = NULL;
    MUTINF_CHECK_NULL(masks, fn);
    if (n_modules < 1 || n_units < 1)
        return mutinf__fail(MUTINF_ERR_DIMENSION_MISMATCH,
                            "%s: masks are %lld x %lld, both sizes must be >= 1", fn,
                            (long long)n_modules, (long long)n_units);
    /* Byte elements: validate the span with 4-byte units, which is stricter. */
    int64_t dims[2] = {n_modules, n_units}, strides[2] = {module_stride, unit_stride};
    mutinf__view v;
    mutinf_status st = mutinf__view_init(&v, fn, "masks", masks, 1, 2, dims, strides);
    if (st != MUTINF_OK) return st;
    if (n_modules < 2)
        return mutinf__fail(MUTINF_ERR_TOO_FEW_MODULES,
                            "%s: n_modules = %lld, at least 2 are needed", fn,
                            (long long)n_modules);
    int32_t *labels = mutinf__alloc((size_t)n_units, sizeof *labels, 0, "partition labels");
    if (labels == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    for (int64_t i = 0; i < n_units; i++)
        labels[i] = -1;
    for (int64_t k = 0; k < n_modules; k++)
        for (int64_t i = 0; i < n_units; i++) {
            uint8_t m = masks[k * module_stride + i * unit_stride];
            if (m > 1) {
                mutinf__free(labels);
                return mutinf__fail(MUTINF_ERR_BAD_MASK_VALUE,
                                    "%s: masks[%lld][%lld] = %u, must be 0 or 1", fn, (long long)k,
                                    (long long)i, (unsigned)m);
            }
            if (m == 0) continue;
            if (labels[i] >= 0) {
                int32_t first = labels[i];
                mutinf__free(labels);
                return mutinf__fail(MUTINF_ERR_OVERLAPPING_MODULES,
                                    "%s: unit %lld is in module %d and in module %lld", fn,
                                    (long long)i, (int)first, (long long)k);
            }
            labels[i] = (int32_t)k;
        }
    return partition_build(labels, n_units, n_modules, fn, out);
}

mutinf_status mutinf_partition_create_contiguous(int64_t n_units, int64_t n_modules,
                                                 mutinf_partition **out)
{
    static const char fn[] = "mutinf_partition_create_contiguous";
    MUTINF_CHECK_NULL(out, fn);
    *out = NULL;
    if (n_modules < 2)
        return mutinf__fail(MUTINF_ERR_TOO_FEW_MODULES,
                            "%s: n_modules = %lld, at least 2 are needed", fn,
                            (long long)n_modules);
    if (n_units < n_modules)
        return mutinf__fail(MUTINF_ERR_DIMENSION_MISMATCH,
                            "%s: n_units = %lld is smaller than n_modules = %lld", fn,
                            (long long)n_units, (long long)n_modules);
    if (n_modules > INT32_MAX)
        return mutinf__fail(MUTINF_ERR_INVALID_ARGUMENT, "%s: n_modules = %lld exceeds INT32_MAX",
                            fn, (long long)n_modules);
    int32_t *labels = mutinf__alloc((size_t)n_units, sizeof *labels, 0, "partition labels");
    if (labels == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    int64_t base = n_units / n_modules, extra = n_units % n_modules, i = 0;
    for (int64_t k = 0; k < n_modules; k++)
        for (int64_t c = 0; c < base + (k < extra); c++)
            labels[i++] = (int32_t)k;
    return partition_build(labels, n_units, n_modules, fn, out);
}

void mutinf_partition_destroy(mutinf_partition *partition)
{
    if (partition == NULL) return;
    mutinf__free(partition->labels);
    mutinf__free(partition->offsets);
    mutinf__free(partition->units);
    mutinf__free(partition);
}

mutinf_status mutinf_partition_n_modules(const mutinf_partition *partition, int64_t *n_modules_out)
{
    MUTINF_CHECK_NULL(partition, "mutinf_partition_n_modules");
    MUTINF_CHECK_NULL(n_modules_out, "mutinf_partition_n_modules");
    *n_modules_out = partition->n_modules;
    return MUTINF_OK;
}

mutinf_status mutinf_partition_n_units(const mutinf_partition *partition, int64_t *n_units_out)
{
    MUTINF_CHECK_NULL(partition, "mutinf_partition_n_units");
    MUTINF_CHECK_NULL(n_units_out, "mutinf_partition_n_units");
    *n_units_out = partition->n_units;
    return MUTINF_OK;
}

static mutinf_status check_module(const mutinf_partition *p, int64_t module, const char *fn)
{
    if (module < 0 || module >= p->n_modules)
        return mutinf__fail(MUTINF_ERR_INVALID_ARGUMENT, "%s: module = %lld, must be in [0, %lld)",
                            fn, (long long)module, (long long)p->n_modules);
    return MUTINF_OK;
}

mutinf_status mutinf_partition_module_size(const mutinf_partition *partition, int64_t module,
                                           int64_t *size_out)
{
    static const char fn[] = "mutinf_partition_module_size";
    MUTINF_CHECK_NULL(partition, fn);
    MUTINF_CHECK_NULL(size_out, fn);
    mutinf_status st = check_module(partition, module, fn);
    if (st != MUTINF_OK) return st;
    *size_out = partition->offsets[module + 1] - partition->offsets[module];
    return MUTINF_OK;
}

mutinf_status mutinf_partition_module_units(const mutinf_partition *partition, int64_t module,
                                            int64_t *units_out, int64_t capacity)
{
    static const char fn[] = "mutinf_partition_module_units";
    MUTINF_CHECK_NULL(partition, fn);
    MUTINF_CHECK_NULL(units_out, fn);
    mutinf_status st = check_module(partition, module, fn);
    if (st != MUTINF_OK) return st;
    int64_t size = partition->offsets[module + 1] - partition->offsets[module];
    if (capacity < size)
        return mutinf__fail(MUTINF_ERR_DIMENSION_MISMATCH,
                            "%s: capacity = %lld but module %lld has %lld units", fn,
                            (long long)capacity, (long long)module, (long long)size);
    memcpy(units_out, partition->units + partition->offsets[module],
           (size_t)size * sizeof *units_out);
    return MUTINF_OK;
}

mutinf_status mutinf_partition_label(const mutinf_partition *partition, int64_t unit,
                                     int32_t *label_out)
{
    static const char fn[] = "mutinf_partition_label";
    MUTINF_CHECK_NULL(partition, fn);
    MUTINF_CHECK_NULL(label_out, fn);
    if (unit < 0 || unit >= partition->n_units)
        return mutinf__fail(MUTINF_ERR_INVALID_ARGUMENT, "%s: unit = %lld, must be in [0, %lld)",
                            fn, (long long)unit, (long long)partition->n_units);
    *label_out = partition->labels[unit];
    return MUTINF_OK;
}

mutinf_status mutinf__partition_check_units(const mutinf_partition *p, int64_t n_units,
                                            const char *fn)
{
    if (p->n_units != n_units)
        return mutinf__fail(MUTINF_ERR_DIMENSION_MISMATCH,
                            "%s: the partition is for %lld units but the data has %lld", fn,
                            (long long)p->n_units, (long long)n_units);
    return MUTINF_OK;
}
