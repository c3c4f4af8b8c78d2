/* Internal: the Jacobian batch handle and the kernels of the Jacobian
 * estimator (jacobian.c: the handle; jacobian_kernel.c: the SIMD
 * small-matrix kernels; jacobian_tc.c: the estimator driver). */
#ifndef MUTINF_SRC_JACOBIAN_H
#define MUTINF_SRC_JACOBIAN_H

#include <stdint.h>
#include <string.h>

#include "mutinf/jacobian.h"
#include "view.h"

struct mutinf_jacobians {
    mutinf__view view; /* rank 3: sample, row (unit), column (input) */
};

/* Samples factored together, one per SIMD lane (4 doubles = 256 bits). */
#define MUTINF__JAC_LANES 4

/* Inputs packed and multiplied per chunk (bounds the packing buffer). */
#define MUTINF__JAC_KC 256

/* 2^k for -1022 <= k <= 1023, exactly (ldexp without the libm call). */
static inline double mutinf__jac_pow2(int k)
{
    uint64_t bits = (uint64_t)(k + 1023) << 52;
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

/* Rows of the packing buffer for m rows: m rounded up to 4, plus 2 spare
 * zero rows. */
#define MUTINF__JAC_ROWS(m) ((((m) + 3) & ~(int64_t)3) + 2)

/* Power-of-two row scales of sample `b`: for each of the `m` rows
 * rows[r] of the sample, log2 of the scale s_r (s_r = 2^e_r, chosen so that
 * max(max_j |J[r,j]|, sqrt(noise_var)) / s_r lies in [0.5, 1); 0 for a zero
 * row without noise).  Returns 0, or 1 when the row holds NaN or Inf. */
int mutinf__jac_row_scales(const mutinf__view *v, int64_t b, const int64_t *rows, int64_t m,
                           double noise_var, int *exps);

/* Packs columns [k0, k0 + kc) of rows rows[0..m) of sample b, each divided
 * by its scale 2^exps[r] (exps NULL: unscaled), into the row-major m x kcp buffer `jp`
 * (kcp = kc rounded up to a multiple of 4, zero padded). */
void mutinf__jac_pack(const mutinf__view *v, int64_t b, const int64_t *rows, int64_t m,
                      const int *exps, int64_t k0, int64_t kc, int64_t kcp, double *jp);

/* Lower triangle of J J^T, J given by MUTINF__JAC_ROWS(m) row pointers
 * (rows m.. point at zeros), each with kcp readable doubles (kcp % 4 == 0),
 * added to (accumulate = 1) or stored into (0) lane `lane` of the
 * lane-interleaved matrix `cl`: element (i, j), j <= i, of lane l at
 * cl[(i*m + j)*LANES + l].  The summation order is fixed by (m, kcp) alone.
 * While it works it prefetches the pf_len doubles at pf (the next sample;
 * pf may be NULL). */
void mutinf__jac_syrk_lane(int64_t m, int64_t kcp, const double *const *rowp, double *cl, int lane,
                           int accumulate, const double *pf, int64_t pf_len);

/* The lower triangles of J_q J_q^T for the LANES samples of a group at
 * once, stored into the lane-interleaved m x m matrix `cl` (element (i, j),
 * j <= i, of lane q at cl[(i*m + j)*LANES + q]).  Row r of lane q's J is
 * rowp[q*ldp + r], with kcp readable doubles (kcp % 4 == 0).  Each element
 * is the same sum, bit for bit, as mutinf__jac_syrk_lane() gives with the
 * same rows.  Prefetches the pf_len doubles at pf (may be NULL). */
void mutinf__jac_syrk_group(int64_t m, int64_t kcp, const double *const *rowp, int64_t ldp,
                            double *cl, const double *pf, int64_t pf_len);

/* Columns of J J^T per cache block in mutinf__jac_syrk_colmajor (a multiple
 * of 3): 96 rows of MUTINF__JAC_KC doubles take 192 KiB. */
#define MUTINF__JAC_JB 96

/* As mutinf__jac_syrk_lane(), into the lower triangle of the column-major
 * m x m matrix c (element (i, j), j <= i, at c[i + j*ldc]), with the same
 * sum for every entry, blocked for large m.  While it works it prefetches
 * pf_rows runs of pf_len doubles, run r at pf[r] (the rows of the next
 * k-chunk; pf may be NULL). */
void mutinf__jac_syrk_colmajor(int64_t m, int64_t kcp, const double *const *rowp, double *c,
                               int64_t ldc, int accumulate, const double *const *pf,
                               int64_t pf_rows, int64_t pf_len);

/* Cholesky factorization A = L L^T of the column-major n x n matrix a
 * (lower triangle read and overwritten by L), blocked: columns in blocks of
 * 64, each block's trailing update by the product kernel of
 * mutinf__jac_syrk_colmajor.  No BLAS.  `jp` holds MUTINF__JAC_ROWS(n) x 64
 * doubles, `rowp` MUTINF__JAC_ROWS(n) pointers, `zeros` 64 zeros.  Returns
 * 0, or 1 at the first pivot that is not positive (a destroyed). */
int mutinf__jac_chol_colmajor(int64_t n, double *a, int64_t lda, double *jp, const double **rowp,
                              const double *zeros);

/* y <- A^-1 y for A = L L^T, L from mutinf__jac_chol_colmajor. */
void mutinf__jac_chol_solve_colmajor(int64_t n, const double *l, int64_t ldl, double *y);

/* 1-norm of the symmetric n x n matrix whose lower triangle is the column-
 * major a (element (i, j), j <= i, at a[i + j*lda]); a NaN column sum is
 * skipped, as fmax() would (the factorization then fails on it).  `sums`
 * holds n doubles of workspace. */
double mutinf__jac_norm1_colmajor(int64_t n, const double *a, int64_t lda, double *sums);

/* For the LANES samples of a group whose unscaled covariances (row scales
 * 2^0) are in the lane-interleaved m x m matrix cl: safe[l] = 1 when every
 * diagonal entry of lane l lies in [lo, hi]; and, in every lane, what the
 * estimator's per-sample finishing step does: noise_var added to the
 * diagonal (when positive), then for each row u the exponent e = floor(ex
 * / 2) of its diagonal entry f 2^ex, f in [0.5, 1) (0 when the entry is not
 * a normal double), into exps[l*m + u], and 2^-e into fac[u*LANES + l]. */
void mutinf__jac_finish_group(int64_t m, double *cl, double noise_var, double lo, double hi,
                              int *exps, double *fac, int *safe);

/* ok[l] = 0 for each lane l with maxd[l] <= 0 (or NaN) or a pivot
 * d[u*LANES + l], u < n, that is not above guard * maxd[l]; other lanes
 * keep their ok[l]. */
void mutinf__jac_check_pivots(const double *d, int64_t n, const double *maxd, double guard,
                              int *ok);

/* cl[(i*m + j)*LANES + l] *= fac[i*LANES + l] * fac[j*LANES + l] for every
 * j <= i < m and lane l: the power-of-two scalings of a group of samples;
 * and norm[l], the 1-norm of lane l's scaled symmetric matrix, bit for bit
 * what mutinf__jac_norm1_lanes() gives.  `sums` holds m LANES doubles. */
void mutinf__jac_scale_lanes(int64_t m, double *cl, const double *fac, double *sums, double *norm);

/* Cholesky factorization, for the LANES interleaved samples at once, of the
 * n x n symmetric matrix A whose element (i, j), j <= i, of lane l is
 * src[(idx[i]*lds + idx[j])*LANES + l] (lower triangle read; idx == NULL
 * means idx[i] = i).  Writes the factor L (lower, lane-interleaved n x n) to
 * `l` (which may equal src when idx == NULL and lds == n) and the squared
 * pivots D_i = L_ii^2 to d[i*LANES + l].  The operation sequence of each
 * element depends only on the entries of its own lane; rows
 * never read entries of later rows.  No check: a pivot <= 0 yields NaN or
 * Inf in that lane only. */
void mutinf__jac_chol_lanes(int64_t n, const double *src, int64_t lds, const int64_t *idx,
                            double *l, double *d);

/* A lower bound of ||A^-1||_1 per lane for A = L L^T (L from
 * mutinf__jac_chol_lanes, n x n lane-interleaved), by two steps of Hager's
 * estimator as LAPACK's dpocon takes them: est[l] for lane l.  `work` holds
 * 3 n LANES doubles. */
void mutinf__jac_inv_norm1_lanes(int64_t n, const double *l, double *work, double *est);

/* An upper bound of ||A^-1||_1 per lane for A = L L^T (L from
 * mutinf__jac_chol_lanes with positive pivots, n x n lane-interleaved):
 * ||L^-1||_inf ||L^-1||_1 bounded through the comparison matrix of L, two
 * triangular solves with |L|.  NaN in a lane whose factor holds NaN, Inf or
 * a zero pivot.  bound[l] for lane l; `work` holds 3 n LANES doubles. */
void mutinf__jac_inv_norm1_bound_lanes(int64_t n, const double *l, double *work, double *bound);

/* 1-norm per lane of the symmetric n x n lane-interleaved matrix whose
 * lower triangle is cl[(i*ld + j)*LANES + lane], j <= i. */
void mutinf__jac_norm1_lanes(int64_t n, const double *cl, int64_t ld, double *norm);

#endif
