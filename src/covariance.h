/* Internal: the sample covariance of a subset of the columns of a strided
 * view, accumulated with dsyrk over chunks of rows (memory O(m^2 + chunk),
 * never a copy of the data). */
#ifndef MUTINF_SRC_COVARIANCE_H
#define MUTINF_SRC_COVARIANCE_H

#include <stdint.h>

#include "mutinf/common.h"
#include "view.h"

/* Unbiased sample covariance (divisor n - 1) of the columns units[0..m) of
 * the rank-2 view `v` (rows are samples, n = v->dim[0] >= 2), written to `C`
 * as a full symmetric column-major m x m matrix (leading dimension m);
 * `mean_out` (NULL or m doubles) receives the column means.  `col_sums`
 * (NULL, or the m column sums already known) spares the direct path its
 * pass over the data.
 *
 * Two paths, the same result up to rounding:
 * - direct: double data whose selected columns form one BLAS matrix (unit
 *   stride along rows or along columns, consecutive units): one dsyrk on
 *   the caller's memory and C = (X^T X - n m m^T) / (n - 1), used only when
 *   every mean is small against its standard deviation (mean^2 <= 1e3 var),
 *   so the cancellation costs at most ~3 digits;
 * - chunked: rows packed in chunks, shifted by the mean of the first chunk,
 *   accumulated with dsyrk (beta = 1) and corrected by the shifted mean.
 * Packing runs in `threads` OpenMP threads when BLAS is sequential (else
 * on the calling thread, see covariance.c); BLAS is called outside the
 * parallel region only.  Bit-identical for every `threads`. */
mutinf_status mutinf__covariance(const mutinf__view *v, const int64_t *units, int64_t m,
                                 int threads, const double *col_sums, double *C, double *mean_out);

/* The same, forcing the chunked path with `chunk` rows per dsyrk (tests). */
mutinf_status mutinf__covariance_chunked(const mutinf__view *v, const int64_t *units, int64_t m,
                                         int threads, int64_t chunk, double *C, double *mean_out);

#endif
