/* Internal: the sample covariance of a subset of the columns of a strided
 * view, accumulated over chunks of rows by the library's Gram kernel or by
 * dsyrk (memory O(m^2 + chunk), never a copy of the data). */
#ifndef MUTINF_SRC_COVARIANCE_H
#define MUTINF_SRC_COVARIANCE_H

#include <stdint.h>

#include "mutinf/common.h"
#include "view.h"

/* Unbiased sample covariance (divisor n - 1) of the columns units[0..m) of
 * the rank-2 view `v` (rows are samples, n = v->dim[0] >= 2), written to `C`
 * as a full symmetric column-major m x m matrix (leading dimension m);
 * `mean_out` (NULL or m doubles) receives the column means.  The data is
 * not checked: a NaN or infinite entry in a column makes that column's
 * diagonal entry of C non-finite on every path (as does finite data whose
 * squares overflow), which callers test to decide on an exact scan.
 *
 * Paths, the same result up to rounding:
 * - Gram kernel (CPUs with AVX2 + FMA, m <= 1024, covariance_gram.c): the
 *   data shifted by the mean of the first rows, packed chunk by chunk (the
 *   packing sums the shifted columns) and accumulated by register tiles in
 *   `threads` OpenMP threads, no BLAS call; one read of the data;
 * - direct (otherwise): double data whose selected columns form one BLAS
 *   matrix (unit stride along rows or along columns, consecutive units):
 *   a pass for the column sums, one dsyrk on the caller's memory and
 *   C = (X^T X - n m m^T) / (n - 1),
 *   used only when every mean is small against its standard deviation
 *   (mean^2 <= 1e3 var), so the cancellation costs at most ~3 digits;
 * - chunked (otherwise, other layouts): rows packed in chunks, shifted by
 *   the mean of the first chunk, accumulated with dsyrk (beta = 1) and
 *   corrected by the shifted mean.  Packing runs in `threads` OpenMP
 *   threads when BLAS is sequential (else on the calling thread, see
 *   covariance.c); BLAS is called outside the parallel region only.
 * Every path is bit-identical for every `threads`. */
mutinf_status mutinf__covariance(const mutinf__view *v, const int64_t *units, int64_t m,
                                 int threads, double *C, double *mean_out);

/* The same through the dsyrk paths (direct or chunked), whatever the CPU. */
mutinf_status mutinf__covariance_blas(const mutinf__view *v, const int64_t *units, int64_t m,
                                      int threads, double *C, double *mean_out);

/* The same, forcing the chunked path with `chunk` rows per dsyrk (tests). */
mutinf_status mutinf__covariance_chunked(const mutinf__view *v, const int64_t *units, int64_t m,
                                         int threads, int64_t chunk, double *C, double *mean_out);

/* The same through the Gram kernel with `chunk` rows per packed chunk
 * (0: the default); MUTINF_ERR_UNSUPPORTED when the CPU lacks AVX2 + FMA. */
mutinf_status mutinf__covariance_gram(const mutinf__view *v, const int64_t *units, int64_t m,
                                      int threads, int64_t chunk, double *C, double *mean_out);

/* ---- covariance_gram.c ---------------------------------------------------- */

/* 1 when the CPU runs the Gram kernel (AVX2 and FMA), checked once. */
int mutinf__gram_available(void);

/* Rows per packed chunk for m units: the packed chunk fills about 384 KB. */
int64_t mutinf__gram_default_chunk(int64_t m);

/* G (m x m, column-major, ld m; lower triangle written) = sum over the n
 * rows of (x - shift)(x - shift)^T for the columns units[0..m) of `v`, and
 * sum[j] = sum of x_j - shift_j.  `kc` rows per chunk (<= 0: the default).
 * Own OpenMP region of `threads` threads, no BLAS call; bit-identical for
 * every `threads`.  Requires mutinf__gram_available(). */
mutinf_status mutinf__gram(const mutinf__view *v, const int64_t *units, int64_t m,
                           const double *shift, int threads, int64_t kc, double *G, double *sum);

#endif
