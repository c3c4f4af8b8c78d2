/* Internal: the only door to BLAS/LAPACK.  Every matrix is column-major with
 * an explicit leading dimension; sizes are int64_t and are checked against
 * the BLAS integer range before any call (callers get MUTINF_ERR_SIZE_OVERFLOW
 * instead of an xerbla message on stdout).
 *
 * BLAS threading: these wrappers may start OpenBLAS threads.  Inside the
 * library's own OpenMP regions call them only when mutinf__blas_is_sequential()
 * says it is safe, or with matrices below MUTINF__BLAS_SMALL (see linalg.c). */
#ifndef MUTINF_SRC_LINALG_H
#define MUTINF_SRC_LINALG_H

#include <stdint.h>

#include "mutinf/common.h"

/* Below this many flops per call OpenBLAS 0.3.x runs GEMM/SYRK on the
 * calling thread (its GEMM_MULTITHREAD_THRESHOLD region: m*n*k < 65536 *
 * threshold 4), so such calls are safe inside a parallel region. */
#define MUTINF__BLAS_SMALL 262144.0

/* 1 when BLAS calls made inside an OpenMP parallel region cannot start BLAS
 * threads (sequential or OpenMP-built OpenBLAS, or a single BLAS thread),
 * looked up once at run time. */
int mutinf__blas_is_sequential(void);

/* C = alpha * op(A) op(A)^T + beta * C, lower triangle of C (n x n) written.
 * trans 'N': A is n x k (lda >= n); 'T': A is k x n (lda >= k).
 * Up to order MUTINF__SYRK_LEAF this is one dsyrk.  Above, the triangle is
 * halved recursively and each off-diagonal half-block is one dgemm, so that
 * all but the diagonal blocks run at the GEMM rate (OpenBLAS's dsyrk runs a
 * few percent below it; measured on 2 cores, n = 2048, k = 4096, medians of
 * 13: 0.261 s against 0.268 s for one dsyrk and 0.231 s for a 2048^3 dgemm,
 * the same flops). */
mutinf_status mutinf__syrk(char trans, int64_t n, int64_t k, double alpha, const double *A,
                           int64_t lda, double beta, double *C, int64_t ldc);

/* Diagonal blocks of mutinf__syrk() up to this order go to dsyrk:
 * 256 measured as fast, with twice the BLAS calls (each a synchronization
 * of the BLAS threads, costly when other processes share the cores). */
#define MUTINF__SYRK_LEAF 512

/* C = alpha * op(A) op(B) + beta * C, C is m x n, op(A) m x k, op(B) k x n. */
mutinf_status mutinf__gemm(char transa, char transb, int64_t m, int64_t n, int64_t k, double alpha,
                           const double *A, int64_t lda, const double *B, int64_t ldb, double beta,
                           double *C, int64_t ldc);

/* Single-precision GEMM, same conventions (k-means on float data). */
mutinf_status mutinf__sgemm(char transa, char transb, int64_t m, int64_t n, int64_t k, float alpha,
                            const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                            float *C, int64_t ldc);

/* Copies the lower triangle of the n x n matrix C into its upper triangle. */
void mutinf__symmetrize_lower(int64_t n, double *C, int64_t ldc);

/* Default relative rank tolerance for an n x n block when rank_tol == 0:
 * n * DBL_EPSILON, as numpy.linalg.matrix_rank. */
double mutinf__rank_tol(double rank_tol, int64_t n);

/* The rule that decides when a Cholesky factorization may stand for the
 * rank decision (shared by every Gaussian estimator): the block must be well
 * conditioned, reciprocal condition above max(MUTINF__CHOL_MIN_RCOND,
 * MUTINF__CHOL_GUARD x the relative rank tolerance), so that the fast path
 * never changes an answer the SVD would give. */
#define MUTINF__CHOL_GUARD     100.0
#define MUTINF__CHOL_MIN_RCOND 1e-8

/* The threshold above for an n x n block (rank_tol as in the options). */
double mutinf__chol_min_rcond(double rank_tol, int64_t n);

/* Applies A^-1 in place to y, from the lower Cholesky factor L of A
 * (column-major, leading dimension lda). */
typedef void (*mutinf__chol_solve_fn)(int64_t n, const double *L, int64_t lda, double *y);

/* Hager's lower bound of ||A^-1||_1 (LAPACK dpocon's two probes) from the
 * Cholesky factor L of A, applying A^-1 through `solve`; y: n doubles of
 * workspace.  Used by mutinf__logdet_chol and the Jacobian large-module path. */
double mutinf__hager_inv_norm1(int64_t n, const double *L, int64_t lda, mutinf__chol_solve_fn solve,
                               double *y);

/* Cholesky factorization of the symmetric n x n matrix A in place (lower
 * triangle read and overwritten by the factor L) with the acceptance rule:
 * MUTINF_OK when A is positive definite and its reciprocal condition number,
 * ||A||_1 times Hager's lower bound of ||A^-1||_1 (two steps, as LAPACK's
 * dpocon), exceeds min_rcond; then *logdet = 2 sum log L_ii unless logdet
 * is NULL.  MUTINF_ERR_NUMERICAL (no message set) otherwise, in which case
 * the caller decides the rank by SVD.  `work` holds 2 n doubles; no
 * allocation.  BLAS may start threads for large n. */
mutinf_status mutinf__logdet_chol(int64_t n, double *A, int64_t lda, double min_rcond, double *work,
                                  double *logdet);

/* Cholesky factorization A = U^T U in place of the upper triangle of the
 * symmetric n x n matrix A (column-major, lda), as LAPACK's dpotrf('U')
 * and with its return value (0, or the order i of the first leading minor
 * that is not positive definite), by halves: U11, then U12 = U11^-T A12 by
 * dtrsm, A22 - U12^T U12 by dsyrk, and U22, so that most of the flops are
 * in large BLAS-3 calls (measured on 2 cores, n = 2048, medians of 21 in
 * three runs: 52-55 ms against 57 ms for OpenBLAS's dpotrf).  Blocks of order
 * <= MUTINF__POTRF_LEAF go to dpotrf.  Sizes must fit the BLAS integers.
 * BLAS may start threads. */
int mutinf__potrf_upper_halved(int64_t n, double *A, int64_t lda);

#define MUTINF__POTRF_LEAF 512

/* Blocks up to this order are factored by LAPACK's unblocked dpotf2, which
 * never starts BLAS threads: OpenBLAS's dpotrf starts its thread pool for
 * any order above 32, and up to a few hundred that costs more than it saves
 * (measured on 2 cores: order 256 takes 0.29 ms threaded and 0.47 ms
 * unblocked warm, but about 9 ms threaded right after an OpenMP region
 * whose idle threads still spin). */
#define MUTINF__CHOL_UNBLOCKED 256

/* What the acceptance rule needs to know of one Cholesky factorization, so
 * that it can be decided later for any rank tolerance. */
typedef struct {
    int ok;            /* factored: positive pivots, finite nonzero 1-norm */
    double rcond;      /* 1 / (||A||_1 x Hager's bound of ||A^-1||_1) */
    double min_pivot2; /* smallest squared pivot */
    double max_diag;   /* largest diagonal entry of A */
    double logdet;     /* 2 sum log pivot */
} mutinf__chol_summary;

/* Cholesky factorization in place of the symmetric n x n matrix A (lower
 * triangle read and overwritten by the factor), summarized in *s for
 * mutinf__chol_summary_accepts().  Blocks of order <= MUTINF__CHOL_UNBLOCKED
 * go through dpotf2 and never start BLAS threads.  `work` holds 2 n
 * doubles; no allocation. */
void mutinf__chol_summarize(int64_t n, double *A, int64_t lda, double *work,
                            mutinf__chol_summary *s);

/* Factors the symmetric n x n matrix whose lower triangle A holds without
 * disturbing it: the factor is built in the strictly upper triangle (read
 * and overwritten: afterwards it holds no matrix) and on the diagonal, and
 * the diagonal is restored.  `work` holds 3 n doubles.  Fills *s (s->ok = 0
 * when A is not numerically positive definite); BLAS may start threads. */
void mutinf__chol_beside(int64_t n, double *A, int64_t lda, double *work, mutinf__chol_summary *s);

/* 1 when the factorization summarized by `s` passes the acceptance rule
 * that mutinf__logdet_chol() and the Gaussian estimators apply to an n x n
 * block for relative rank tolerance rtol (mutinf__rank_tol): reciprocal
 * condition above mutinf__chol_min_rcond(rank_tol, n) and every squared
 * pivot above MUTINF__CHOL_GUARD x rtol x the largest diagonal entry. */
int mutinf__chol_summary_accepts(const mutinf__chol_summary *s, double rank_tol, int64_t n);

/* Rank and log pseudo-determinant of the symmetric positive semi-definite
 * n x n matrix A (full matrix read; destroyed) from its singular values:
 * s counts as zero when s <= rtol * s_max; *logpdet = sum of log s over the
 * rest (0 for rank 0).  MUTINF_ERR_NUMERICAL with a message if dgesvd fails. */
mutinf_status mutinf__rank_logpdet(int64_t n, double *A, int64_t lda, double rtol, int64_t *rank,
                                   double *logpdet);

/* Test hook: the next `n` calls of mutinf__rank_logpdet fail as if dgesvd
 * had not converged (n = 0, the default: never).  Not exported; for
 * single-threaded tests linked with the static library. */
void mutinf__linalg_fail_svd(int n);

/* Doubles of workspace mutinf__rank_logpdet_ws() needs for blocks of order
 * up to n (the singular values and dgesvd's optimal workspace, queried
 * once). */
size_t mutinf__rank_logpdet_work_size(int64_t n);

/* As mutinf__rank_logpdet(), without allocating (the gaussian_tc fallback
 * runs once per block and sample): `work` holds `work_size` doubles, at
 * least mutinf__rank_logpdet_work_size(n).  The failure hook of
 * mutinf__linalg_fail_svd() applies here too. */
mutinf_status mutinf__rank_logpdet_ws(int64_t n, double *A, int64_t lda, double rtol, double *work,
                                      size_t work_size, int64_t *rank, double *logpdet);

#endif
