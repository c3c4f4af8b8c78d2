/* The only file that calls CBLAS/LAPACKE.  Sizes are validated here so that
 * neither library ever sees an argument it would reject (LAPACKE's xerbla
 * prints to stdout). */
#include <cblas.h>
#include <dlfcn.h>
#include <float.h>
#include <limits.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

#include "alloc.h"
#include "error.h"
#include "linalg.h"

/* BLAS integers: OpenBLAS and netlib LAPACKE on Debian use 32-bit ints. */
static int fits_blas(int64_t v)
{
    return v >= 0 && v <= INT_MAX;
}

static mutinf_status check_sizes(const char *what, int n, const int64_t *v)
{
    for (int i = 0; i < n; i++)
        if (!fits_blas(v[i]))
            return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW,
                                "%s: size %lld exceeds the BLAS integer range", what,
                                (long long)v[i]);
    return MUTINF_OK;
}

int mutinf__blas_is_sequential(void)
{
    /* openblas_get_parallel(): 0 sequential, 1 pthreads, 2 OpenMP.  Looked up
     * at run time so any BLAS can be linked; an unknown BLAS is assumed to
     * thread on its own. */
    static int cached = -1;
    int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (c >= 0) return c;
    int (*get_parallel)(void) = NULL;
    int (*get_threads)(void) = NULL;
    *(void **)&get_parallel = dlsym(RTLD_DEFAULT, "openblas_get_parallel");
    *(void **)&get_threads = dlsym(RTLD_DEFAULT, "openblas_get_num_threads");
    int seq = 0;
    if (get_parallel != NULL) {
        int mode = get_parallel();
        seq = mode == 0 || mode == 2 || (get_threads != NULL && get_threads() == 1);
    }
    __atomic_store_n(&cached, seq, __ATOMIC_RELAXED);
    return seq;
}

/* The lower triangle of C = alpha op(A) op(A)^T + beta C by halves: the
 * leading diagonal block, the block below it by one dgemm, the trailing
 * diagonal block.  The split is rounded to 64 rows (whole GEMM register
 * tiles for the off-diagonal block).  Sizes already checked. */
static void syrk_halves(CBLAS_TRANSPOSE t, int n, int k, double alpha, const double *A, int lda,
                        double beta, double *C, int ldc)
{
    if (n <= MUTINF__SYRK_LEAF) {
        cblas_dsyrk(CblasColMajor, CblasLower, t, n, k, alpha, A, lda, beta, C, ldc);
        return;
    }
    int h = (n / 2 + 63) / 64 * 64;
    /* op(A) = [A1; A2] by rows: A2 starts at row h of A ('N') or column h ('T'). */
    const double *A2 = t == CblasNoTrans ? A + h : A + (size_t)h * (size_t)lda;
    syrk_halves(t, h, k, alpha, A, lda, beta, C, ldc);
    /* C21 = alpha op(A2) op(A1)^T + beta C21, (n - h) x h */
    cblas_dgemm(CblasColMajor, t, t == CblasNoTrans ? CblasTrans : CblasNoTrans, n - h, h, k, alpha,
                A2, lda, A, lda, beta, C + h, ldc);
    syrk_halves(t, n - h, k, alpha, A2, lda, beta, C + h + (size_t)h * (size_t)ldc, ldc);
}

mutinf_status mutinf__syrk(char trans, int64_t n, int64_t k, double alpha, const double *A,
                           int64_t lda, double beta, double *C, int64_t ldc)
{
    const int64_t sizes[] = {n, k, lda, ldc};
    mutinf_status st = check_sizes("dsyrk", 4, sizes);
    if (st != MUTINF_OK) return st;
    if (n == 0) return MUTINF_OK;
    syrk_halves(trans == 'N' ? CblasNoTrans : CblasTrans, (int)n, (int)k, alpha, A,
                (int)(lda > 0 ? lda : 1), beta, C, (int)(ldc > 0 ? ldc : 1));
    return MUTINF_OK;
}

mutinf_status mutinf__gemm(char transa, char transb, int64_t m, int64_t n, int64_t k, double alpha,
                           const double *A, int64_t lda, const double *B, int64_t ldb, double beta,
                           double *C, int64_t ldc)
{
    const int64_t sizes[] = {m, n, k, lda, ldb, ldc};
    mutinf_status st = check_sizes("dgemm", 6, sizes);
    if (st != MUTINF_OK) return st;
    if (m == 0 || n == 0) return MUTINF_OK;
    cblas_dgemm(CblasColMajor, transa == 'N' ? CblasNoTrans : CblasTrans,
                transb == 'N' ? CblasNoTrans : CblasTrans, (int)m, (int)n, (int)k, alpha, A,
                (int)(lda > 0 ? lda : 1), B, (int)(ldb > 0 ? ldb : 1), beta, C, (int)ldc);
    return MUTINF_OK;
}

mutinf_status mutinf__sgemm(char transa, char transb, int64_t m, int64_t n, int64_t k, float alpha,
                            const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                            float *C, int64_t ldc)
{
    const int64_t sizes[] = {m, n, k, lda, ldb, ldc};
    mutinf_status st = check_sizes("sgemm", 6, sizes);
    if (st != MUTINF_OK) return st;
    if (m == 0 || n == 0) return MUTINF_OK;
    cblas_sgemm(CblasColMajor, transa == 'N' ? CblasNoTrans : CblasTrans,
                transb == 'N' ? CblasNoTrans : CblasTrans, (int)m, (int)n, (int)k, alpha, A,
                (int)(lda > 0 ? lda : 1), B, (int)(ldb > 0 ? ldb : 1), beta, C, (int)ldc);
    return MUTINF_OK;
}

/* Tiles of the transposing copy: a 32 x 32 tile of source and destination
 * (16 KB) stays in L1 while the destination is written along its columns. */
#define SYM_TILE 32

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include "cpu.h"
#define SYM_HAVE_AVX2 1

/* The 4 x 4 block at rows i.., columns j.. (i >= j + 4) transposed into
 * rows j.., columns i.., through registers. */
__attribute__((target("avx2"))) static inline void transpose4(double *C, int64_t ldc, int64_t i,
                                                              int64_t j)
{
    const double *s = C + i + j * ldc;
    __m256d c0 = _mm256_loadu_pd(s), c1 = _mm256_loadu_pd(s + ldc);
    __m256d c2 = _mm256_loadu_pd(s + 2 * ldc), c3 = _mm256_loadu_pd(s + 3 * ldc);
    __m256d a = _mm256_unpacklo_pd(c0, c1), b = _mm256_unpackhi_pd(c0, c1);
    __m256d c = _mm256_unpacklo_pd(c2, c3), d = _mm256_unpackhi_pd(c2, c3);
    double *t = C + j + i * ldc;
    _mm256_storeu_pd(t, _mm256_permute2f128_pd(a, c, 0x20));
    _mm256_storeu_pd(t + ldc, _mm256_permute2f128_pd(b, d, 0x20));
    _mm256_storeu_pd(t + 2 * ldc, _mm256_permute2f128_pd(a, c, 0x31));
    _mm256_storeu_pd(t + 3 * ldc, _mm256_permute2f128_pd(b, d, 0x31));
}

/* The 4 x 4 blocks strictly below the diagonal blocks of the leading
 * n - n % 4 rows and columns (measured on a 2048 x 2048 matrix: 3-4 ms,
 * against 8-12 ms for element copies in the same tiles). */
__attribute__((target("avx2"))) static void copy_blocks_avx2(int64_t n4, double *C, int64_t ldc)
{
    for (int64_t jb = 0; jb < n4; jb += SYM_TILE) {
        int64_t je = jb + SYM_TILE < n4 ? jb + SYM_TILE : n4;
        for (int64_t ib = jb; ib < n4; ib += SYM_TILE) {
            int64_t ie = ib + SYM_TILE < n4 ? ib + SYM_TILE : n4;
            for (int64_t i = ib; i < ie; i += 4)
                for (int64_t j = jb; j < je && j + 4 <= i; j += 4)
                    transpose4(C, ldc, i, j);
        }
    }
}
#else
#define SYM_HAVE_AVX2 0
#endif

/* Entries (i, j), j < i, with i in [i0, i1) and j in [j0, min(j1, i)),
 * copied one by one. */
static void copy_entries(double *C, int64_t ldc, int64_t i0, int64_t i1, int64_t j0, int64_t j1)
{
    for (int64_t i = i0; i < i1; i++) {
        int64_t jend = j1 < i ? j1 : i;
        for (int64_t j = j0; j < jend; j++)
            C[j + i * ldc] = C[i + j * ldc];
    }
}

/* Copies the strictly lower triangle of C into the upper one and, when
 * `sums` (n doubles) is not NULL, leaves there the absolute column sums of
 * the symmetric matrix, each summed down its now complete, contiguous
 * column. */
static void copy_lower_up(int64_t n, double *C, int64_t ldc, double *sums)
{
    int64_t done = 0; /* leading rows and columns copied by whole blocks */
#if SYM_HAVE_AVX2
    if (mutinf__cpu_has_avx2_fma()) {
        done = n - n % 4;
        copy_blocks_avx2(done, C, ldc);
        for (int64_t d = 0; d < done; d += 4)
            copy_entries(C, ldc, d, d + 4, d, d + 4);
    }
#endif
    copy_entries(C, ldc, done, n, 0, done); /* the last n % 4 rows left of them */
    for (int64_t jb = done; jb < n; jb += SYM_TILE)
        for (int64_t ib = jb; ib < n; ib += SYM_TILE)
            copy_entries(C, ldc, ib, ib + SYM_TILE < n ? ib + SYM_TILE : n, jb, jb + SYM_TILE);
    if (sums == NULL) return;
    for (int64_t j = 0; j < n; j++) {
        const double *col = C + j * ldc;
        double s[4] = {0.0, 0.0, 0.0, 0.0};
        int64_t i = 0;
        for (; i + 4 <= n; i += 4)
            for (int k = 0; k < 4; k++)
                s[k] += fabs(col[i + k]);
        for (; i < n; i++)
            s[0] += fabs(col[i]);
        sums[j] = (s[0] + s[1]) + (s[2] + s[3]);
    }
}

void mutinf__symmetrize_lower(int64_t n, double *C, int64_t ldc)
{
    copy_lower_up(n, C, ldc, NULL);
}

double mutinf__rank_tol(double rank_tol, int64_t n)
{
    return rank_tol > 0.0 ? rank_tol : (double)(n > 1 ? n : 1) * DBL_EPSILON;
}

double mutinf__chol_min_rcond(double rank_tol, int64_t n)
{
    return fmax(MUTINF__CHOL_MIN_RCOND, MUTINF__CHOL_GUARD * mutinf__rank_tol(rank_tol, n));
}

/* The largest of v[0..n), at least 0. */
static double max_of(int64_t n, const double *v)
{
    double best = 0.0;
    for (int64_t j = 0; j < n; j++)
        best = fmax(best, v[j]);
    return best;
}

/* 1-norm of a symmetric matrix from its lower triangle, in one column-order
 * pass: entry (i, j), i > j, counts for columns j and i.  `sums` holds n
 * doubles. */
static double sym_norm1_lower(int64_t n, const double *A, int64_t lda, double *sums)
{
    for (int64_t j = 0; j < n; j++)
        sums[j] = 0.0;
    for (int64_t j = 0; j < n; j++) {
        const double *col = A + j * lda;
        double own = fabs(col[j]);
        for (int64_t i = j + 1; i < n; i++) {
            double v = fabs(col[i]);
            own += v;
            sums[i] += v;
        }
        sums[j] += own;
    }
    return max_of(n, sums);
}

/* y <- A^-1 y with A = L L^T. */
static void chol_solve(int64_t n, const double *L, int64_t lda, double *y)
{
    cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, L, (int)lda, y, 1);
    cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, (int)n, L, (int)lda, y, 1);
}

/* Hager's two probes, as in LAPACK's dpocon: ||A^-1 v||_1 for v = 1/n,
 * then for v = e_j at the largest entry of A^-1 sign(A^-1 1/n); both are
 * lower bounds of ||A^-1||_1, and the larger is returned. */
double mutinf__hager_inv_norm1(int64_t n, const double *L, int64_t lda, mutinf__chol_solve_fn solve,
                               double *y)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = 1.0 / (double)n;
    solve(n, L, lda, y);
    double est = 0.0;
    for (int64_t i = 0; i < n; i++) {
        est += fabs(y[i]);
        y[i] = y[i] < 0.0 ? -1.0 : 1.0;
    }
    solve(n, L, lda, y);
    int64_t at = 0;
    for (int64_t i = 1; i < n; i++)
        if (fabs(y[i]) > fabs(y[at])) at = i;
    for (int64_t i = 0; i < n; i++)
        y[i] = 0.0;
    y[at] = 1.0;
    solve(n, L, lda, y);
    double est2 = 0.0;
    for (int64_t i = 0; i < n; i++)
        est2 += fabs(y[i]);
    return fmax(est, est2);
}

mutinf_status mutinf__logdet_chol(int64_t n, double *A, int64_t lda, double min_rcond, double *work,
                                  double *logdet)
{
    const int64_t sizes[] = {n, lda};
    mutinf_status st = check_sizes("dpotrf", 2, sizes);
    if (st != MUTINF_OK) return st;
    if (n == 0) return MUTINF_ERR_NUMERICAL;
    /* A successful factorization does not prove full numerical rank: rounding
     * can leave a positive pivot where the exact matrix is singular.  The
     * condition estimate (O(n^2)) tells a well-conditioned matrix from one
     * that only SVD can judge. */
    double *y = work;
    double anorm = sym_norm1_lower(n, A, lda, work);
    if (!(anorm > 0.0) || !(anorm <= DBL_MAX)) return MUTINF_ERR_NUMERICAL;
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)n, A, (lapack_int)lda) != 0)
        return MUTINF_ERR_NUMERICAL;
    double est = mutinf__hager_inv_norm1(n, A, lda, chol_solve, y);
    if (!(1.0 / (anorm * est) > min_rcond)) return MUTINF_ERR_NUMERICAL;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        if (!(A[i + i * lda] > 0.0)) return MUTINF_ERR_NUMERICAL;
        sum += log(A[i + i * lda]);
    }
    if (logdet != NULL) *logdet = 2.0 * sum;
    return MUTINF_OK;
}

static lapack_int potrf_halves(int n, double *A, int lda)
{
    if (n <= MUTINF__POTRF_LEAF) return LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', n, A, lda);
    int h = (n / 2 + 63) / 64 * 64;
    lapack_int info = potrf_halves(h, A, lda);
    if (info != 0) return info;
    double *A12 = A + (size_t)h * (size_t)lda, *A22 = A12 + h;
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, h, n - h, 1.0, A,
                lda, A12, lda);
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, n - h, h, -1.0, A12, lda, 1.0, A22, lda);
    info = potrf_halves(n - h, A22, lda);
    return info != 0 ? info + h : 0;
}

int mutinf__potrf_upper_halved(int64_t n, double *A, int64_t lda)
{
    if (n == 0) return 0;
    return (int)potrf_halves((int)n, A, (int)lda);
}

/* y <- A^-1 y with A = U^T U (U upper triangular). */
static void chol_solve_upper(int64_t n, const double *U, int64_t lda, double *y)
{
    cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, (int)n, U, (int)lda, y, 1);
    cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, (int)n, U, (int)lda, y, 1);
}

/* The pivots of a successful factorization (diagonal of the factor) into
 * the summary: smallest square and log-determinant; s->ok = 0 unless every
 * pivot is positive. */
static void summarize_pivots(int64_t n, const double *F, int64_t lda, mutinf__chol_summary *s)
{
    double min2 = INFINITY, sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double p = F[i + i * lda];
        if (!(p > 0.0)) {
            s->ok = 0;
            return;
        }
        min2 = fmin(min2, p * p);
        sum += log(p);
    }
    s->min_pivot2 = min2;
    s->logdet = 2.0 * sum;
}

/* Starts the summary with the largest diagonal entry; 0 when there is
 * nothing to factor or the sizes exceed the LAPACK range. */
static int summary_start(int64_t n, const double *A, int64_t lda, mutinf__chol_summary *s)
{
    *s = (mutinf__chol_summary){0, 0.0, 0.0, 0.0, 0.0};
    if (n == 0 || !fits_blas(n) || !fits_blas(lda)) return 0;
    double maxd = 0.0;
    for (int64_t i = 0; i < n; i++)
        maxd = fmax(maxd, A[i + i * lda]);
    s->max_diag = maxd;
    return 1;
}

/* A zero or non-finite 1-norm: the factorization would prove nothing. */
static int norm_usable(double anorm)
{
    return anorm > 0.0 && anorm <= DBL_MAX;
}

void mutinf__chol_summarize(int64_t n, double *A, int64_t lda, double *work,
                            mutinf__chol_summary *s)
{
    if (!summary_start(n, A, lda, s)) return;
    double anorm = sym_norm1_lower(n, A, lda, work);
    if (!norm_usable(anorm)) return;
    lapack_int info = 0, ni = (lapack_int)n, li = (lapack_int)lda;
    if (n <= MUTINF__CHOL_UNBLOCKED)
        LAPACK_dpotf2("L", &ni, A, &li, &info);
    else
        info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', ni, A, li);
    if (info != 0) return;
    s->ok = 1;
    s->rcond = 1.0 / (anorm * mutinf__hager_inv_norm1(n, A, lda, chol_solve, work));
    summarize_pivots(n, A, lda, s);
}

void mutinf__chol_beside(int64_t n, double *A, int64_t lda, double *work, mutinf__chol_summary *s)
{
    double *diag = work + 2 * n;
    if (!summary_start(n, A, lda, s)) return;
    for (int64_t i = 0; i < n; i++)
        diag[i] = A[i + i * lda];
    /* the upper triangle becomes a copy of the lower one, in the pass that
     * takes the 1-norm, then its factor U (A = U^T U) */
    copy_lower_up(n, A, lda, work);
    double anorm = max_of(n, work);
    if (norm_usable(anorm) && mutinf__potrf_upper_halved(n, A, lda) == 0) {
        s->ok = 1;
        s->rcond = 1.0 / (anorm * mutinf__hager_inv_norm1(n, A, lda, chol_solve_upper, work));
        summarize_pivots(n, A, lda, s);
    }
    for (int64_t i = 0; i < n; i++)
        A[i + i * lda] = diag[i];
}

int mutinf__chol_summary_accepts(const mutinf__chol_summary *s, double rank_tol, int64_t n)
{
    /* The smallest eigenvalue is at most the smallest pivot, and the
     * condition estimate alone can miss a null vector orthogonal to its
     * probes (a unit repeated in two modules): both tests. */
    return s->ok && s->rcond > mutinf__chol_min_rcond(rank_tol, n) &&
           s->min_pivot2 > MUTINF__CHOL_GUARD * mutinf__rank_tol(rank_tol, n) * s->max_diag;
}

static int fail_svd = 0;

void mutinf__linalg_fail_svd(int n)
{
    fail_svd = n;
}

mutinf_status mutinf__rank_logpdet(int64_t n, double *A, int64_t lda, double rtol, int64_t *rank,
                                   double *logpdet)
{
    const int64_t sizes[] = {n, lda};
    mutinf_status st = check_sizes("dgesvd", 2, sizes);
    if (st != MUTINF_OK) return st;
    if (n == 0) return mutinf__rank_logpdet_ws(0, A, lda, rtol, NULL, 0, rank, logpdet);
    size_t size = mutinf__rank_logpdet_work_size(n);
    double *work = mutinf__alloc(size, sizeof *work, 0, "SVD workspace");
    if (work == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    st = mutinf__rank_logpdet_ws(n, A, lda, rtol, work, size, rank, logpdet);
    mutinf__free(work);
    return st;
}

size_t mutinf__rank_logpdet_work_size(int64_t n)
{
    if (n <= 0) return 0;
    /* dgesvd's own minimum for singular values only, if the query fails */
    size_t lwork = 5 * (size_t)n;
    if (fits_blas(n)) {
        double wq = 0.0, dummy = 0.0;
        lapack_int ni = (lapack_int)n;
        if (LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', ni, ni, &dummy, ni, NULL, &dummy, 1,
                                &dummy, 1, &wq, -1) == 0 &&
            wq > (double)lwork)
            lwork = (size_t)wq;
    }
    return lwork + (size_t)n;
}

mutinf_status mutinf__rank_logpdet_ws(int64_t n, double *A, int64_t lda, double rtol, double *work,
                                      size_t work_size, int64_t *rank, double *logpdet)
{
    const int64_t sizes[] = {n, lda};
    mutinf_status st = check_sizes("dgesvd", 2, sizes);
    if (st != MUTINF_OK) return st;
    if (n == 0) {
        *rank = 0;
        *logpdet = 0.0;
        return MUTINF_OK;
    }
    if (work_size < 6 * (size_t)n)
        return mutinf__fail(MUTINF_ERR_INTERNAL, "dgesvd workspace of %zu doubles for order %lld",
                            work_size, (long long)n);
    size_t lw = work_size - (size_t)n;
    lapack_int lwork = lw > (size_t)INT_MAX ? INT_MAX : (lapack_int)lw;
    double *s = work, dummy = 0.0;
    lapack_int info =
        LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', (lapack_int)n, (lapack_int)n, A,
                            (lapack_int)lda, s, &dummy, 1, &dummy, 1, work + n, lwork);
    if (fail_svd > 0) {
        fail_svd--;
        info = 1;
    }
    if (info < 0)
        return mutinf__fail(MUTINF_ERR_INTERNAL, "dgesvd rejected argument %d", (int)-info);
    if (info > 0)
        return mutinf__fail(MUTINF_ERR_NUMERICAL,
                            "dgesvd did not converge on a %lld x %lld block (%d superdiagonals)",
                            (long long)n, (long long)n, (int)info);
    double cut = rtol * s[0], sum = 0.0;
    int64_t r = 0;
    for (int64_t i = 0; i < n; i++)
        if (s[i] > cut && s[i] > 0.0) {
            sum += log(s[i]);
            r++;
        }
    *rank = r;
    *logpdet = sum;
    return MUTINF_OK;
}
