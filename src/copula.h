/* Internal: ranks of the columns of a view (a radix argsort) and the
 * Gaussian copula transform built on them. */
#ifndef MUTINF_SRC_COPULA_H
#define MUTINF_SRC_COPULA_H

#include <stddef.h>
#include <stdint.h>

#include "mutinf/common.h"
#include "view.h"

/* Bytes of workspace mutinf__sort_column() needs for n samples. */
size_t mutinf__sort_work_bytes(int64_t n);

/* Sorts column `unit` of the rank-2 view `v`: values_out[r] is the r-th
 * smallest value and order_out[r] its sample index; equal values keep
 * their sample order (-0.0 and +0.0 count as equal).  A stable LSD radix
 * sort on order-preserving 64-bit keys, 16 bits per pass, skipping passes
 * whose digit is constant.  `work` holds mutinf__sort_work_bytes(n) bytes,
 * suitably aligned for uint64_t. */
void mutinf__sort_column(const mutinf__view *v, int64_t unit, void *work, double *values_out,
                         int64_t *order_out);

/* out[i + j*n] = Phi^-1(r_ij / (n + 1)) where r_ij is the rank (1-based,
 * ties averaged) of sample i among the n samples of column units[j] of the
 * rank-2 view `v` (Ince et al. 2017, "copnorm").  `out` holds n*m doubles
 * (column-major n x m).  Columns are processed in parallel by `threads`
 * OpenMP threads, each column independently: bit-identical for any count.
 * `*non_finite_out` is 1 when an entry read is NaN or infinite (`out` then
 * holds no ranks; the caller names the entry), else 0.
 * Memory: n*m doubles in `out` plus ~48 n bytes + 512 KiB per thread. */
mutinf_status mutinf__copula_transform(const mutinf__view *v, const int64_t *units, int64_t m,
                                       int threads, double *out, int *non_finite_out);

#endif
