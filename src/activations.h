/* Internal: the activations handle, read directly by the estimators. */
#ifndef MUTINF_SRC_ACTIVATIONS_H
#define MUTINF_SRC_ACTIVATIONS_H

#include "mutinf/activations.h"
#include "view.h"

struct mutinf_activations {
    /* rank 2: dim[0] samples, dim[1] units.  The wrap does not read the
     * data: each estimator checks the entries it reads. */
    mutinf__view view;
};

/* MUTINF_ERR_NON_FINITE when an entry of the columns units[0..m) of the
 * rank-2 view `v` is NaN or infinite, the message (prefixed by `fn`) naming
 * the first such sample and in it the lowest such unit; else MUTINF_OK.
 * Row blocks are screened in `threads` OpenMP threads. */
mutinf_status mutinf__check_units_finite(const mutinf__view *v, const int64_t *units, int64_t m,
                                         int threads, const char *fn);

#endif
