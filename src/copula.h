/* Internal: the Gaussian copula transform of the columns of a view. */
#ifndef MUTINF_SRC_COPULA_H
#define MUTINF_SRC_COPULA_H

#include <stdint.h>

#include "mutinf/common.h"
#include "view.h"

/* out[i + j*n] = Phi^-1(r_ij / (n + 1)) where r_ij is the rank (1-based,
 * ties averaged) of sample i among the n samples of column units[j] of the
 * rank-2 view `v` (Ince et al. 2017, "copnorm").  `out` holds n*m doubles
 * (column-major n x m).  Columns are processed in parallel by `threads`
 * OpenMP threads, each column independently: bit-identical for any count.
 * Memory: n*m doubles in `out` plus n (value, index) pairs per thread. */
mutinf_status mutinf__copula_transform(const mutinf__view *v, const int64_t *units, int64_t m,
                                       int threads, double *out);

#endif
