/* Internal: the activations handle, read directly by the estimators. */
#ifndef MUTINF_SRC_ACTIVATIONS_H
#define MUTINF_SRC_ACTIVATIONS_H

#include "mutinf/activations.h"
#include "view.h"

struct mutinf_activations {
    mutinf__view view; /* rank 2: dim[0] samples, dim[1] units; finite */
    /* Column sums of every unit, accumulated in the finiteness scan of the
     * wrap (fixed row blocks combined in order: independent of threads);
     * NULL when a sum overflowed.  They spare the covariance a pass. */
    double *col_sum;
};

#endif
