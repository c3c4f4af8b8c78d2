/* Internal: total correlation and pairwise matrix of a Gaussian from its
 * covariance, with the rank rules of the design (Cholesky fast path, +inf
 * when r0 < r1, pseudo-determinants when r0 == r1 < |S|).  Shared by every
 * Gaussian estimator. */
#ifndef MUTINF_SRC_GAUSS_TC_H
#define MUTINF_SRC_GAUSS_TC_H

#include <stddef.h>

#include "linalg.h"
#include "mutinf/common.h"
#include "mutinf/partition.h"

/* ln(2 pi e): the differential entropy of N(0, 1) is ln(2 pi e) / 2. */
#define MUTINF__LN_2PIE 2.8378770664093454836

/* Doubles of workspace mutinf__gaussian_tc_ws() needs for this partition. */
size_t mutinf__gaussian_tc_work_size(const mutinf_partition *p, int want_pairwise);

/* TC in nats of N(., C) over partition `p` and, when `pairwise` is not NULL,
 * the K x K pairwise matrix in nats (row-major; off-diagonal MI, diagonal
 * differential entropy, -inf for a singular block).  C is the full
 * symmetric covariance of all p->n_units units (column-major, ldc; only
 * the lower triangle is read).  `work` holds mutinf__gaussian_tc_work_size()
 * doubles.  Options used: rank_tol, strict_rank.  No allocation; BLAS/LAPACK
 * calls of the size of the blocks. */
mutinf_status mutinf__gaussian_tc_ws(const double *C, int64_t ldc, const mutinf_partition *p,
                                     const mutinf_options *options, double *tc, double *pairwise,
                                     double *work);

/* As mutinf__gaussian_tc_ws(), allocating its own workspace. */
mutinf_status mutinf__gaussian_tc(const double *C, int64_t ldc, const mutinf_partition *p,
                                  const mutinf_options *options, double *tc, double *pairwise);

/* As mutinf__gaussian_tc(), with the Cholesky factorization of the joint
 * block C[S,S] already summarized in `joint` (NULL: none), which the
 * caller guarantees to be that of the units p->units in some order (rank
 * and log-determinant do not depend on it).
 * When it passes the acceptance rule for the options' rank tolerance (and
 * strict_rank is off) it stands for the joint block, and the workspace
 * only holds the module and pair blocks; otherwise the joint block is
 * gathered and factored as usual. */
mutinf_status mutinf__gaussian_tc_known(const double *C, int64_t ldc, const mutinf_partition *p,
                                        const mutinf_options *options,
                                        const mutinf__chol_summary *joint, double *tc,
                                        double *pairwise);

#endif
