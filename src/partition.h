/* Internal: the partition record, read directly by the estimators. */
#ifndef MUTINF_SRC_PARTITION_H
#define MUTINF_SRC_PARTITION_H

#include "mutinf/partition.h"

struct mutinf_partition {
    int64_t n_units;    /* units the partition was made for */
    int64_t n_modules;  /* K >= 2 */
    int64_t n_assigned; /* units in some module, |S| */
    int32_t *labels;    /* n_units labels, -1 = no module */
    int64_t *offsets;   /* K + 1: module k is units[offsets[k] .. offsets[k+1]) */
    int64_t *units;     /* n_assigned unit indices grouped by module, increasing within each */
};

/* MUTINF_ERR_DIMENSION_MISMATCH with a message unless the partition was
 * made for exactly `n_units` units. */
mutinf_status mutinf__partition_check_units(const mutinf_partition *p, int64_t n_units,
                                            const char *fn);

#endif
