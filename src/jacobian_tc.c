/* The Jacobian estimator: local total correlation of each sample's
 * covariance C_b = J_b J_b^T + v I over a partition, batch mean, standard
 * error, per-sample values and the mean pairwise matrix.
 *
 * Three paths, chosen by the number m of assigned units and by what is
 * asked (never by the batch size or the thread count, so a sample's value
 * does not depend on the batch it is in):
 *
 * - m <= PLAIN_MAX_UNITS: the library's own kernels inside its parallel
 *   loop (no BLAS there).  Each sample's rows in partition order give C_b
 *   by a register-tiled SIMD product (read in place when they are
 *   contiguous doubles), scaled to a unit-order diagonal by powers of two;
 *   four samples are factored at once, one per SIMD lane.  With units
 *   ordered by module, the full Cholesky factor's pivots D_u are the
 *   conditional variances of unit u given the units before it, and each
 *   module's own factor gives D^k_u given the earlier units of its module,
 *   so
 *
 *       TC_b = 1/2 sum_{k >= 1} sum_{u in S_k} log(D^k_u / D_u)
 *
 *   (module 0's pivots are the first pivots of the full factor).  The
 *   factor loops subtract products in a fixed order, so modules whose
 *   cross-covariances are exactly zero give ratios of exactly 1 and TC
 *   exactly 0, as mutinf__gaussian_tc() does.  A sample whose factorization
 *   misses the acceptance rule of gauss_tc.c (condition estimate, pivots),
 *   or every sample under strict_rank, is redone after the parallel loop by
 *   mutinf__gaussian_tc_ws(), which applies the SVD rank rules and may use
 *   BLAS threads.
 *
 * - PLAIN_MAX_UNITS < m <= QUICK_MAX_UNITS, TC alone (quick_path): one
 *   sample per thread inside the library's parallel loop, no BLAS there:
 *   the covariance of the packed rows by the same register-tiled product,
 *   blocked for the cache, then the same ratio of pivots from the
 *   library's own blocked Cholesky factorization, with the acceptance rule
 *   and pivot guards.  Samples whose diagonal over- or underflows or that
 *   miss the rule are redone after the loop by the BLAS path below.
 *
 * - otherwise, m > PLAIN_MAX_UNITS (blas_path): the covariance by BLAS
 *   dsyrk (directly on the caller's memory when one stride is 1), then the
 *   same ratio of pivots with LAPACK dpotrf and the same acceptance rule;
 *   mutinf__gaussian_tc_ws() for the pairwise matrix, strict_rank and
 *   samples that miss the rule.  One sample at a time outside any parallel
 *   region, BLAS using its threads; in parallel over samples only when
 *   mutinf__blas_is_sequential() says BLAS cannot start threads of its own
 *   there (STYLE.md).
 *
 * Determinism: per-sample values depend on their sample only; the batch
 * sums run over chunks of samples (their size depends on the shape only)
 * combined in chunk order. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "error.h"
#include "gauss_tc.h"
#include "jacobian.h"
#include "linalg.h"
#include "options.h"
#include "partition.h"

/* Largest m handled by the in-library kernels (bench/jacobian measures the
 * crossover against the BLAS path). */
#define PLAIN_MAX_UNITS 160
/* The Cholesky acceptance rule of linalg.h (mutinf__chol_min_rcond):
 * the in-library path applies it to the full matrix of each sample (every
 * principal block of a well-conditioned matrix is at least as well
 * conditioned) and also requires every pivot of every block to exceed
 * CHOL_GUARD * rank_tol * its largest diagonal entry. */
#define CHOL_GUARD MUTINF__CHOL_GUARD
/* Chunks of samples are the unit of work of the parallel loop and of the
 * pairwise sums (combined in chunk order, so the thread count never
 * changes a bit).  A chunk holds about CHUNK_WORK multiply-adds, between 4
 * and 256 samples, and there are at most MAX_CHUNKS of them. */
#define CHUNK_WORK 4e6
#define MAX_CHUNKS 65536
/* Chunks per parallel round; the progress callback runs between rounds. */
#define ROUND_CHUNKS 64
/* Ratios multiplied before one log: each ratio is below 1 / (CHOL_GUARD *
 * DBL_EPSILON) < 1e14, so 8 of them stay far from overflow. */
#define LOG_BATCH 8

#define LANES MUTINF__JAC_LANES

enum { SAMPLE_OK = 0, SAMPLE_FALLBACK = 1, SAMPLE_NON_FINITE = 2 };

typedef struct {
    const mutinf__view *v;
    const mutinf_partition *p;  /* the caller's partition */
    const mutinf_partition *pp; /* the same modules over packed rows 0..m-1 */
    const struct mutinf_options *o;
    int64_t m, K, bmax;
    int64_t chunk; /* samples per chunk, a multiple of LANES */
    int want_pairwise;
} jac_ctx;

/* Per-thread workspace of the in-library path. */
typedef struct {
    double *jp;          /* mp x MUTINF__JAC_KC packed rows */
    double *cl;          /* m x m x LANES covariances, then the full factor */
    double *lb;          /* bmax x bmax x LANES block / pair factor */
    double *dfull;       /* m x LANES pivots of the full factor */
    double *dblk;        /* m x LANES pivots of each module's own factor */
    double *dpair;       /* bmax x LANES pivots of a pair's factor */
    double *maxd;        /* (K + 1) x LANES largest diagonal entry per module, then all */
    int64_t *idx;        /* bmax gather indices */
    int *exps;           /* LANES x m row scale exponents */
    double *pw;          /* LANES x K x K pairwise values of the current group */
    const double **rowp; /* LANES x MUTINF__JAC_ROWS(m) row pointers for the products */
    double *zeros;       /* MUTINF__JAC_KC zeros (padding rows) */
    double *fac;         /* m x LANES row scale factors 2^-e */
    double *solve;       /* 3 x m x LANES condition estimate vectors */
    void *block;         /* the allocation holding all of the above */
} lane_ws;

static void lane_ws_free(lane_ws *w)
{
    mutinf__free(w->block);
    memset(w, 0, sizeof *w);
}

/* Bytes of `count` items of `size`, rounded up to whole cache lines. */
static size_t lines_of(size_t count, size_t size)
{
    return (count * size + 63) & ~(size_t)63;
}

/* One block per thread, every buffer on its own cache lines and the block
 * padded at both ends, so that threads never write to a shared line. */
static int lane_ws_alloc(lane_ws *w, const jac_ctx *c)
{
    size_t m = (size_t)c->m, mp = (size_t)MUTINF__JAC_ROWS(c->m), b = (size_t)c->bmax,
           K = (size_t)c->K;
    const size_t sizes[] = {
        lines_of(mp * MUTINF__JAC_KC, sizeof(double)),
        lines_of(m * m * LANES, sizeof(double)),
        lines_of(b * b * LANES, sizeof(double)),
        lines_of(m * LANES, sizeof(double)),
        lines_of(m * LANES, sizeof(double)),
        lines_of(b * LANES, sizeof(double)),
        lines_of((K + 1) * LANES, sizeof(double)),
        lines_of(b, sizeof(int64_t)),
        lines_of(m * LANES, sizeof(int)),
        lines_of(K * K * LANES, sizeof(double)),
        lines_of(mp * LANES, sizeof(double *)),
        lines_of(MUTINF__JAC_KC, sizeof(double)),
        lines_of(m * LANES, sizeof(double)),
        lines_of(3 * m * LANES, sizeof(double)),
    };
    size_t total = 192;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        total += sizes[i];
    memset(w, 0, sizeof *w);
    w->block = mutinf__alloc(total, 1, 0, "thread workspace");
    if (w->block == NULL) return 0;
    char *at = (char *)(((uintptr_t)w->block + 127) & ~(uintptr_t)63);
    void *parts[14];
    for (size_t i = 0; i < 14; i++) {
        parts[i] = at;
        at += sizes[i];
    }
    w->jp = parts[0];
    w->cl = parts[1];
    w->lb = parts[2];
    w->dfull = parts[3];
    w->dblk = parts[4];
    w->dpair = parts[5];
    w->maxd = parts[6];
    w->idx = parts[7];
    w->exps = parts[8];
    w->pw = parts[9];
    w->rowp = parts[10];
    w->zeros = parts[11];
    w->fac = parts[12];
    w->solve = parts[13];
    memset(w->zeros, 0, MUTINF__JAC_KC * sizeof(double));
    return 1;
}

/* Diagonal entries of an unscaled covariance inside [2^-900, 2^900] mean
 * that no product of the rows over- or underflowed in a way that matters. */
#define SAFE_LO 0x1p-900
#define SAFE_HI 0x1p900

/* C'_b into lane `lane` of w->cl: the covariance of the sample's rows in
 * partition order plus noise, scaled to a unit-order diagonal by powers of
 * two, C' = S C S with S = diag(2^-exps[r]) (exps in w->exps).  The last
 * factor of S, which brings the diagonal into [0.5, 2), is left in lane
 * `lane` of w->fac for mutinf__jac_scale_lanes() (all lanes of a group at
 * once) or scale_lane() to apply.
 *
 * First pass: the raw rows (read in place when they are contiguous
 * doubles).  When a diagonal entry is outside [SAFE_LO, SAFE_HI] (or not
 * finite: NaN and Inf in the data end up there), a second pass scans the
 * rows, divides each by a power of two near its largest entry and starts
 * again.  Power-of-two scalings commute with every rounding of the product
 * and of the Cholesky factorization, so the result does not depend on the
 * memory layout, and TC not on the scales.  While the first pass
 * multiplies, sample `next` (the one this thread takes up after b; -1:
 * none) is prefetched.  Returns 0, or 1 when the sample holds NaN or Inf. */
static void finish_cov_lane(const jac_ctx *c, lane_ws *w, int lane);

static int sample_cov_lane(const jac_ctx *c, lane_ws *w, int64_t b, int lane, int64_t next)
{
    const mutinf__view *v = c->v;
    const int64_t m = c->m, n = v->dim[2], rows = MUTINF__JAC_ROWS(m);
    const double noise = c->o->noise_var;
    int *e = w->exps + lane * m;
    /* Rows read in place: doubles, unit column stride, whole vectors. */
    const int in_place = !v->is_f32 && v->stride[2] == 1 && n % 4 == 0;
    /* Prefetch the next sample while this one is multiplied, when its data
     * is one contiguous block. */
    const double *pf = NULL;
    int64_t pf_len = 0;
    if (!v->is_f32 && v->stride[2] == 1 && v->stride[1] == n && next >= 0) {
        pf = (const double *)v->data + next * v->stride[0];
        pf_len = v->dim[1] * n;
    }
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0) {
            memset(e, 0, (size_t)m * sizeof *e);
        } else if (mutinf__jac_row_scales(v, b, c->p->units, m, noise, e)) {
            return 1;
        }
        for (int64_t k0 = 0; k0 < n; k0 += MUTINF__JAC_KC) {
            int64_t kc = n - k0 < MUTINF__JAC_KC ? n - k0 : MUTINF__JAC_KC;
            int64_t kcp = (kc + 3) & ~(int64_t)3;
            if (in_place && pass == 0) {
                const double *base = (const double *)v->data + b * v->stride[0] + k0;
                for (int64_t r = 0; r < m; r++)
                    w->rowp[r] = base + c->p->units[r] * v->stride[1];
            } else {
                mutinf__jac_pack(v, b, c->p->units, m, pass ? e : NULL, k0, kc, kcp, w->jp);
                for (int64_t r = 0; r < m; r++)
                    w->rowp[r] = w->jp + r * kcp;
            }
            for (int64_t r = m; r < rows; r++)
                w->rowp[r] = w->zeros;
            mutinf__jac_syrk_lane(m, kcp, w->rowp, w->cl, lane, k0 > 0,
                                  k0 == 0 && pass == 0 ? pf : NULL, pf_len);
        }
        if (pass == 1) break;
        int safe = 1;
        for (int64_t u = 0; u < m; u++) {
            double x = w->cl[(u * m + u) * LANES + lane];
            safe &= x >= SAFE_LO && x <= SAFE_HI;
        }
        if (safe) break;
    }
    finish_cov_lane(c, w, lane);
    return 0;
}

/* The last step of sample_cov_lane(): noise in the current scale (row
 * scales in lane `lane` of w->exps), then a power of two per row that
 * brings the diagonal into [0.5, 2), left in w->fac. */
static void finish_cov_lane(const jac_ctx *c, lane_ws *w, int lane)
{
    const int64_t m = c->m;
    const double noise = c->o->noise_var;
    int *e = w->exps + lane * m;
    for (int64_t u = 0; u < m; u++) {
        double *cuu = &w->cl[(u * m + u) * LANES + lane];
        if (noise > 0.0) *cuu += ldexp(noise, -2 * e[u]);
        int eu = 0;
        if (*cuu >= DBL_MIN && *cuu <= DBL_MAX) {
            uint64_t bits;
            memcpy(&bits, cuu, sizeof bits);
            int ex = (int)((bits >> 52) & 0x7ff) - 1022; /* cuu = f 2^ex, f in [0.5, 1) */
            eu = ex >= 0 ? ex / 2 : -((1 - ex) / 2);
        }
        w->fac[u * LANES + lane] = mutinf__jac_pow2(-eu);
        e[u] += eu;
    }
}

/* The scaling sample_cov_lane() leaves in w->fac, for lane `lane` alone (as
 * mutinf__jac_scale_lanes() does for every lane). */
static void scale_lane(int64_t m, lane_ws *w, int lane)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j <= i; j++)
            w->cl[(i * m + j) * LANES + lane] *=
                w->fac[i * LANES + lane] * w->fac[j * LANES + lane];
}

/* 0.5 * sum_u log(num[u] / den[u]) over n lane-interleaved entries, lane q. */
static double half_log_ratio(const double *num, const double *den, int64_t n, int q)
{
    double sum = 0.0;
    for (int64_t u0 = 0; u0 < n; u0 += LOG_BATCH) {
        double prod = 1.0;
        for (int64_t u = u0; u < n && u < u0 + LOG_BATCH; u++)
            prod *= num[u * LANES + q] / den[u * LANES + q];
        sum += log(prod);
    }
    return 0.5 * sum;
}

/* out[q] += half_log_ratio(num, den, n, q) for every lane q, the same
 * operations lane by lane, with the divisions of the lanes side by side. */
static void add_half_log_ratios(const double *num, const double *den, int64_t n, double *out)
{
    double sum[LANES] = {0.0};
    for (int64_t u0 = 0; u0 < n; u0 += LOG_BATCH) {
        double prod[LANES];
        for (int q = 0; q < LANES; q++)
            prod[q] = 1.0;
        for (int64_t u = u0; u < n && u < u0 + LOG_BATCH; u++)
            for (int q = 0; q < LANES; q++)
                prod[q] *= num[u * LANES + q] / den[u * LANES + q];
        for (int q = 0; q < LANES; q++)
            sum[q] += log(prod[q]);
    }
    for (int q = 0; q < LANES; q++)
        out[q] += 0.5 * sum[q];
}

/* Largest m for which factor_group() tries the comparison-matrix bound
 * before Hager's steps: that bound can exceed ||A^-1||_1 by a factor
 * growing exponentially with m (about 4 at 8 x 16, 130 at 64 x 256, 1e7 at
 * 128 x 160 for uniform random rows), so for larger m it would rarely
 * spare the estimate. */
#define BOUND_MAX_UNITS 64

/* Factors the group in w->cl (anorm: the 1-norm of each lane's matrix).
 * On return tc[q] holds TC of lane q (nats) and ok[q] says whether every
 * pivot cleared its guard; with pairwise, w->pw holds the lane's K x K
 * values (nats, of the scaled covariance). */
static void factor_group(const jac_ctx *c, lane_ws *w, const double *anorm, double *tc, int *ok)
{
    const int64_t m = c->m, K = c->K;
    const int64_t *off = c->pp->offsets;
    const struct mutinf_options *o = c->o;
    for (int q = 0; q < LANES; q++) {
        ok[q] = 1;
        w->maxd[K * LANES + q] = 0.0;
    }
    for (int64_t k = 0; k < K; k++) {
        double mx[LANES] = {0.0};
        for (int64_t u = off[k]; u < off[k + 1]; u++)
            for (int q = 0; q < LANES; q++) {
                double x = w->cl[(u * m + u) * LANES + q];
                mx[q] = x > mx[q] ? x : mx[q];
            }
        for (int q = 0; q < LANES; q++) {
            w->maxd[k * LANES + q] = mx[q];
            if (mx[q] > w->maxd[K * LANES + q]) w->maxd[K * LANES + q] = mx[q];
        }
    }
    /* Each module's own factor (module 0's pivots come from the full one,
     * but its guard uses its own size). */
    for (int64_t k = 1; k < K; k++) {
        int64_t dk = off[k + 1] - off[k];
        mutinf__jac_chol_lanes(dk, w->cl + (off[k] * m + off[k]) * LANES, m, NULL, w->lb,
                               w->dblk + off[k] * LANES);
        mutinf__jac_check_pivots(w->dblk + off[k] * LANES, dk, w->maxd + k * LANES,
                                 CHOL_GUARD * mutinf__rank_tol(o->rank_tol, dk), ok);
    }
    if (c->want_pairwise) {
        for (int64_t i = 0; i < K; i++)
            for (int64_t j = i + 1; j < K; j++) {
                int64_t di = off[i + 1] - off[i], dj = off[j + 1] - off[j];
                for (int64_t a = 0; a < di; a++)
                    w->idx[a] = off[i] + a;
                for (int64_t a = 0; a < dj; a++)
                    w->idx[di + a] = off[j] + a;
                mutinf__jac_chol_lanes(di + dj, w->cl, m, w->idx, w->lb, w->dpair);
                double mx[LANES];
                for (int q = 0; q < LANES; q++)
                    mx[q] = fmax(w->maxd[i * LANES + q], w->maxd[j * LANES + q]);
                mutinf__jac_check_pivots(w->dpair, di + dj, mx,
                                         CHOL_GUARD * mutinf__rank_tol(o->rank_tol, di + dj), ok);
                for (int q = 0; q < LANES; q++) {
                    double mi =
                        half_log_ratio(w->dblk + off[j] * LANES, w->dpair + di * LANES, dj, q);
                    w->pw[(q * K + i) * K + j] = mi;
                    w->pw[(q * K + j) * K + i] = mi;
                }
            }
    }
    double guard = CHOL_GUARD * mutinf__rank_tol(o->rank_tol, m);
    mutinf__jac_chol_lanes(m, w->cl, m, NULL, w->cl, w->dfull);
    mutinf__jac_check_pivots(w->dfull, m, w->maxd + K * LANES, guard, ok);
    /* The acceptance rule estimates ||A^-1||_1 from below by Hager's
     * steps (est); the comparison-matrix bound U >= ||A^-1||_1 is cheaper.
     * In exact arithmetic est <= ||A^-1||_1 <= U.  The computed est
     * exceeds its exact value by a relative kappa_1(A) m^2 eps at most;
     * where the bound passes, kappa_1 <= anorm U < 1 / (2 min_rcond) <=
     * 5e7, so by less than 160^2 * 5e7 * 2.2e-16 < 1e-3 for the m <= 160
     * of this path.  The computed U is within a few m eps of its exact
     * value.  So 1 / (anorm U) > 2 min_rcond implies 1 / (anorm est) >
     * min_rcond (the factor 2 covers both roundings with room): a
     * lane that passes with U would pass the rule, and Hager's steps run
     * only for a group with a lane that does not (borderline, ill-
     * conditioned or failed). */
    const double min_rcond = mutinf__chol_min_rcond(o->rank_tol, m);
    double inv_norm[LANES];
    int sure[LANES] = {0}, borderline = 1;
    if (m <= BOUND_MAX_UNITS) {
        borderline = 0;
        mutinf__jac_inv_norm1_bound_lanes(m, w->cl, w->solve, inv_norm);
        for (int q = 0; q < LANES; q++) {
            sure[q] = 1.0 / (anorm[q] * inv_norm[q]) > 2.0 * min_rcond;
            borderline |= !sure[q];
        }
    }
    if (borderline) {
        mutinf__jac_inv_norm1_lanes(m, w->cl, w->solve, inv_norm);
        for (int q = 0; q < LANES; q++)
            if (!sure[q] && !(1.0 / (anorm[q] * inv_norm[q]) > min_rcond)) ok[q] = 0;
    }
    /* Module 0 alone: its guard uses its own size and diagonal. */
    mutinf__jac_check_pivots(w->dfull, off[1], w->maxd,
                             CHOL_GUARD * mutinf__rank_tol(o->rank_tol, off[1]), ok);
    memcpy(w->dblk, w->dfull, (size_t)off[1] * LANES * sizeof(double));
    for (int q = 0; q < LANES; q++)
        tc[q] = 0.0;
    for (int64_t k = 1; k < K; k++)
        add_half_log_ratios(w->dblk + off[k] * LANES, w->dfull + off[k] * LANES,
                            off[k + 1] - off[k], tc);
    if (c->want_pairwise)
        for (int q = 0; q < LANES; q++)
            for (int64_t k = 0; k < K; k++) {
                double s = 0.0;
                for (int64_t u = off[k]; u < off[k + 1]; u++)
                    s += log(w->dblk[u * LANES + q]);
                w->pw[(q * K + k) * K + k] = s;
            }
}

/* Adds 1/2 (d_k ln(2 pi e)) and the row scales back to the diagonal (which
 * holds logdet of the scaled block, or -inf) of a K x K pairwise matrix. */
static void pairwise_unscale(const jac_ctx *c, const int *exps, double *pw)
{
    const int64_t K = c->K;
    const int64_t *off = c->pp->offsets;
    for (int64_t k = 0; k < K; k++) {
        double logdet = pw[k * K + k];
        if (logdet == -INFINITY) continue;
        double s = 0.0;
        for (int64_t u = off[k]; u < off[k + 1]; u++)
            s += (double)exps[u];
        pw[k * K + k] =
            0.5 * ((double)(off[k + 1] - off[k]) * MUTINF__LN_2PIE + logdet + 2.0 * M_LN2 * s);
    }
}

/* Largest number of inputs for which group_cov() runs: with few inputs
 * the horizontal sums of the per-sample tiles dominate and the four-sample
 * product saves them; from 32 inputs on (8 x 32, 16 x 32, 64 x 256
 * measured) the per-sample 4 x 3 tiles, which load less per multiply-add,
 * are faster. */
#define GROUP_MAX_INPUTS 16

/* The first pass of sample_cov_lane() for the whole group of samples
 * g..g+LANES-1 at once, when their rows can be read in place in one k-chunk
 * (contiguous doubles, n a multiple of 4 and at most GROUP_MAX_INPUTS):
 * done[q] = 1 for each lane whose diagonal lies in [SAFE_LO, SAFE_HI], now
 * finished exactly as sample_cov_lane() would (same sums, bit for bit).
 * Lanes left at 0 go through sample_cov_lane(). */
static void group_cov(const jac_ctx *c, lane_ws *w, int64_t g, const uint8_t *flags, int *done)
{
    const mutinf__view *v = c->v;
    const int64_t m = c->m, n = v->dim[2], rows = MUTINF__JAC_ROWS(m);
    if (v->is_f32 || v->stride[2] != 1 || n % 4 != 0 || n > GROUP_MAX_INPUTS) return;
    for (int q = 0; q < LANES; q++)
        if (flags[g + q] != SAMPLE_OK) return;
    /* w->rowp holds LANES * rows pointers (lane q's rows at q * rows). */
    for (int q = 0; q < LANES; q++) {
        const double *base = (const double *)v->data + (g + q) * v->stride[0];
        for (int64_t r = 0; r < m; r++)
            w->rowp[q * rows + r] = base + c->p->units[r] * v->stride[1];
    }
    /* The next group, when the batch is one contiguous block. */
    const double *pf = NULL;
    int64_t pf_len = 0;
    if (v->stride[1] == n && v->stride[0] == v->dim[1] * n && g + 2 * LANES <= v->dim[0]) {
        pf = (const double *)v->data + (g + LANES) * v->stride[0];
        pf_len = LANES * v->stride[0];
    }
    mutinf__jac_syrk_group(m, n, w->rowp, rows, w->cl, pf, pf_len);
    /* finish_cov_lane() for every lane at once (exponents from 0); a lane
     * that is not safe is redone from scratch by sample_cov_lane(). */
    mutinf__jac_finish_group(m, w->cl, c->o->noise_var, SAFE_LO, SAFE_HI, w->exps, w->fac, done);
}

/* The chunks of a parallel round, handed out in order to whichever thread
 * asks first. */
typedef struct {
    int64_t next, end;
} chunk_queue;

/* The next chunk of the round, or -1 when none is left. */
static int64_t claim_chunk(chunk_queue *queue)
{
    int64_t ch;
#pragma omp atomic capture
    ch = queue->next++;
    return ch < queue->end ? ch : -1;
}

/* Processes one chunk of samples [s0, s1) on the in-library path.  As the
 * chunk's last group starts, the thread claims its next chunk from `queue`
 * (into *next_chunk, -1 when none is left), so that the last sample's
 * product prefetches the first sample of that chunk rather than a sample
 * another thread will take. */
static void plain_chunk(const jac_ctx *c, lane_ws *w, int64_t s0, int64_t s1, double *tcs,
                        uint8_t *flags, double *pw_sum, chunk_queue *queue, int64_t *next_chunk)
{
    const int64_t m = c->m, K = c->K;
    int64_t after = -1; /* the first sample of the next chunk */
    for (int64_t g = s0; g < s1; g += LANES) {
        int live[LANES], done[LANES] = {0};
        if (g + LANES >= s1) {
            *next_chunk = claim_chunk(queue);
            after = *next_chunk >= 0 ? *next_chunk * c->chunk : -1;
        }
        if (g + LANES <= s1) group_cov(c, w, g, flags, done);
        for (int q = 0; q < LANES; q++) {
            int64_t b = g + q;
            live[q] = done[q];
            if (!done[q] && b < s1 && flags[b] == SAMPLE_OK) {
                if (sample_cov_lane(c, w, b, q, b + 1 < s1 ? b + 1 : after))
                    flags[b] = SAMPLE_NON_FINITE;
                else
                    live[q] = 1;
            }
            if (!live[q])
                for (int64_t i = 0; i < m; i++) {
                    w->fac[i * LANES + q] = 1.0;
                    for (int64_t j = 0; j <= i; j++)
                        w->cl[(i * m + j) * LANES + q] = i == j ? 1.0 : 0.0;
                }
        }
        /* the scaling, and the 1-norm of the full matrix for the condition
         * estimate in the same pass */
        double tc[LANES], anorm[LANES];
        int ok[LANES];
        mutinf__jac_scale_lanes(m, w->cl, w->fac, w->solve, anorm);
        factor_group(c, w, anorm, tc, ok);
        for (int q = 0; q < LANES; q++) {
            if (!live[q]) continue;
            int64_t b = g + q;
            if (!ok[q]) {
                flags[b] = SAMPLE_FALLBACK;
                continue;
            }
            tcs[b] = tc[q];
            if (pw_sum != NULL) {
                double *pw = w->pw + q * K * K;
                pairwise_unscale(c, w->exps + q * m, pw);
                for (int64_t i = 0; i < K * K; i++)
                    pw_sum[i] += pw[i];
            }
        }
    }
}

/* MUTINF_ERR_NON_FINITE naming the first NaN/Inf entry of sample b among
 * the rows the partition uses. */
static mutinf_status fail_non_finite(const jac_ctx *c, int64_t b)
{
    const mutinf__view *v = c->v;
    for (int64_t r = 0; r < c->m; r++)
        for (int64_t j = 0; j < v->dim[2]; j++) {
            double x = mutinf__view_at3(v, b, c->p->units[r], j);
            if (!isfinite(x))
                return mutinf__fail(MUTINF_ERR_NON_FINITE,
                                    "mutinf_jacobians_total_correlation: data[sample %lld, row "
                                    "%lld, column %lld] = %g",
                                    (long long)b, (long long)c->p->units[r], (long long)j, x);
        }
    return mutinf__fail(MUTINF_ERR_NON_FINITE,
                        "mutinf_jacobians_total_correlation: sample %lld holds NaN or Inf "
                        "(it changed during the call)",
                        (long long)b);
}

/* A sample on the rank-rule path: C'_b in column-major `cm` (m x m), then
 * mutinf__gaussian_tc_ws() with the packed partition. */
static mutinf_status fallback_sample(const jac_ctx *c, lane_ws *w, double *cm, double *gwork,
                                     double *pwtmp, int64_t b, double *tc)
{
    const int64_t m = c->m;
    if (sample_cov_lane(c, w, b, 0, -1)) return fail_non_finite(c, b);
    scale_lane(m, w, 0);
    for (int64_t j = 0; j < m; j++)
        for (int64_t i = j; i < m; i++)
            cm[i + j * m] = w->cl[(i * m + j) * LANES];
    mutinf_status st = mutinf__gaussian_tc_ws(cm, m, c->pp, c->o, tc, pwtmp, gwork);
    if (st != MUTINF_OK) return st;
    if (pwtmp != NULL) {
        /* gauss_tc gives entropies of the scaled block; turn them back into
         * log-determinants, then unscale as on the fast path. */
        for (int64_t k = 0; k < c->K; k++) {
            double h = pwtmp[k * c->K + k];
            if (h != -INFINITY)
                pwtmp[k * c->K + k] =
                    2.0 * h - (double)(c->pp->offsets[k + 1] - c->pp->offsets[k]) * MUTINF__LN_2PIE;
        }
        pairwise_unscale(c, w->exps, pwtmp);
    }
    return MUTINF_OK;
}

static mutinf_status report_progress(const struct mutinf_options *o, int64_t done, int64_t total)
{
    if (o->progress != NULL && o->progress(done, total, o->progress_payload) != 0)
        return mutinf__fail(MUTINF_ERR_CANCELLED,
                            "mutinf_jacobians_total_correlation: cancelled by the progress "
                            "callback after %lld of %lld samples",
                            (long long)done, (long long)total);
    return MUTINF_OK;
}

static mutinf_status plain_path(const jac_ctx *c, int nthreads, double *tcs, uint8_t *flags,
                                double *pw_chunks)
{
    const int64_t B = c->v->dim[0], m = c->m, K = c->K;
    const int64_t n_chunks = (B + c->chunk - 1) / c->chunk;
    if (nthreads > n_chunks) nthreads = (int)n_chunks;
    lane_ws *ws = mutinf__alloc((size_t)nthreads, sizeof *ws, 1, "thread workspaces");
    if (ws == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    mutinf_status st = MUTINF_OK;
    for (int t = 0; t < nthreads && st == MUTINF_OK; t++)
        if (!lane_ws_alloc(&ws[t], c)) st = MUTINF_ERR_OUT_OF_MEMORY;
    if (st == MUTINF_OK && c->o->strict_rank) memset(flags, SAMPLE_FALLBACK, (size_t)B);
    /* One parallel region per call (one barrier), or rounds between which
     * the progress callback runs. */
    const int64_t round = c->o->progress != NULL ? ROUND_CHUNKS : n_chunks;
    for (int64_t r0 = 0; r0 < n_chunks && st == MUTINF_OK && !c->o->strict_rank; r0 += round) {
        int64_t r1 = r0 + round < n_chunks ? r0 + round : n_chunks;
        chunk_queue queue = {r0, r1};
        /* A dynamic schedule of chunks, each thread claiming its next chunk
         * one step ahead (see plain_chunk). */
#pragma omp parallel num_threads(nthreads)
        {
            int tid = 0;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
            for (int64_t ch = claim_chunk(&queue); ch >= 0;) {
                int64_t s1 = (ch + 1) * c->chunk < B ? (ch + 1) * c->chunk : B, next = -1;
                plain_chunk(c, &ws[tid], ch * c->chunk, s1, tcs, flags,
                            pw_chunks ? pw_chunks + ch * K * K : NULL, &queue, &next);
                ch = next;
            }
        }
        st = report_progress(c->o, r1 * c->chunk < B ? r1 * c->chunk : B, B);
    }
    /* Samples whose ranks need the SVD rules, in sample order, outside the
     * parallel region (LAPACK may start BLAS threads here). */
    double *cm = NULL, *gwork = NULL, *pwtmp = NULL;
    for (int64_t b = 0; b < B && st == MUTINF_OK; b++) {
        if (flags[b] == SAMPLE_NON_FINITE) {
            st = fail_non_finite(c, b);
            break;
        }
        if (flags[b] != SAMPLE_FALLBACK) continue;
        if (cm == NULL) {
            cm = mutinf__alloc((size_t)(m * m), sizeof *cm, 0, "covariance");
            gwork = cm ? mutinf__alloc(mutinf__gaussian_tc_work_size(c->pp, c->want_pairwise),
                                       sizeof *gwork, 0, "block workspace")
                       : NULL;
            pwtmp = gwork ? mutinf__alloc((size_t)(K * K), sizeof *pwtmp, 0, "pairwise") : NULL;
            if (pwtmp == NULL) {
                st = MUTINF_ERR_OUT_OF_MEMORY;
                break;
            }
        }
        st = fallback_sample(c, &ws[0], cm, gwork, c->want_pairwise ? pwtmp : NULL, b, &tcs[b]);
        if (st == MUTINF_OK && pw_chunks != NULL)
            for (int64_t i = 0; i < K * K; i++)
                pw_chunks[(b / c->chunk) * K * K + i] += pwtmp[i];
        if (st == MUTINF_OK && c->o->strict_rank && (b + 1) % (c->chunk * ROUND_CHUNKS) == 0)
            st = report_progress(c->o, b + 1, B);
    }
    if (st == MUTINF_OK && c->o->strict_rank) st = report_progress(c->o, B, B);
    mutinf__free(cm);
    mutinf__free(gwork);
    mutinf__free(pwtmp);
    for (int t = 0; t < nthreads; t++)
        lane_ws_free(&ws[t]);
    mutinf__free(ws);
    return st;
}

/* Buffers of the library's own blocked Cholesky factorization. */
typedef struct {
    double *jp;          /* MUTINF__JAC_ROWS(n) x 64 (or more) doubles */
    const double **rowp; /* MUTINF__JAC_ROWS(n) pointers */
    const double *zeros; /* 64 (or more) zeros */
} own_chol;

/* mutinf__logdet_chol()'s factorization and acceptance rule (1-norm, two
 * Hager steps as LAPACK's dpocon, reciprocal condition above min_rcond),
 * without the log-determinant, by LAPACK (own == NULL) or by the library's
 * own kernels.  `work` holds 2 n doubles. */
static mutinf_status logdet_chol(int64_t n, double *A, int64_t lda, double min_rcond, double *work,
                                 const own_chol *own)
{
    if (own == NULL) return mutinf__logdet_chol(n, A, lda, min_rcond, work, NULL);
    if (n == 0) return MUTINF_ERR_NUMERICAL;
    double *y = work;
    const double anorm = mutinf__jac_norm1_colmajor(n, A, lda, work + n);
    if (!(anorm > 0.0) || !(anorm <= DBL_MAX)) return MUTINF_ERR_NUMERICAL;
    if (mutinf__jac_chol_colmajor(n, A, lda, own->jp, own->rowp, own->zeros))
        return MUTINF_ERR_NUMERICAL;
    double est = mutinf__hager_inv_norm1(n, A, lda, mutinf__jac_chol_solve_colmajor, y);
    if (!(1.0 / (anorm * est) > min_rcond)) return MUTINF_ERR_NUMERICAL;
    return MUTINF_OK;
}

/* TC (nats) of a covariance whose first m rows and columns are the
 * assigned units in partition order (column-major, ldc; lower triangle
 * read; destroyed), by the ratio of Cholesky pivots as on the in-library
 * path but with LAPACK: TC = sum_{k >= 1} sum_{u in S_k} log(L^k_uu / L_uu).
 * Modules whose cross-covariances are exactly zero give exactly 0, as in
 * gauss_tc.c.  Returns MUTINF_ERR_NUMERICAL (no message) when a
 * factorization misses the acceptance rule of gauss_tc.c or a pivot misses
 * its guard as on the in-library path (the condition estimate alone can
 * miss a null vector orthogonal to its probes, e.g. a unit repeated in two
 * modules): the caller then applies the rank rules.
 * `blk` holds (largest module)^2 + 3 m doubles.  The factorizations are
 * LAPACK's (BLAS may start threads) when `own` is NULL, else the library's
 * own (no BLAS: safe inside the parallel region), under the same rule. */
static mutinf_status ordered_tc(const jac_ctx *c, double *C, int64_t ldc, double *blk,
                                const own_chol *own, double *tc)
{
    const int64_t m = c->m, K = c->K;
    const int64_t *off = c->pp->offsets;
    const double rank_tol = c->o->rank_tol;
    int uncorrelated = 1;
    for (int64_t v = 0; v < off[K - 1] && uncorrelated; v++) {
        int64_t k = 0;
        while (off[k + 1] <= v)
            k++;
        for (int64_t u = off[k + 1]; u < m; u++)
            if (C[u + v * ldc] != 0.0) {
                uncorrelated = 0;
                break;
            }
    }
    if (uncorrelated) {
        *tc = 0.0;
        return MUTINF_OK;
    }
    int64_t bmax = 0;
    for (int64_t k = 0; k < K; k++)
        bmax = off[k + 1] - off[k] > bmax ? off[k + 1] - off[k] : bmax;
    double *piv = blk + bmax * bmax, *vec = piv + m;
    double max0 = 0.0, max_all = 0.0;
    for (int64_t u = 0; u < off[1]; u++)
        max0 = fmax(max0, C[u + u * ldc]);
    for (int64_t u = 0; u < m; u++)
        max_all = fmax(max_all, C[u + u * ldc]);
    for (int64_t k = 1; k < K; k++) {
        int64_t dk = off[k + 1] - off[k];
        const double *src = C + off[k] * (ldc + 1);
        double maxk = 0.0;
        for (int64_t j = 0; j < dk; j++)
            maxk = fmax(maxk, src[j * (ldc + 1)]);
        for (int64_t j = 0; j < dk; j++)
            memcpy(blk + j * dk + j, src + j * ldc + j, (size_t)(dk - j) * sizeof *blk);
        mutinf_status st = logdet_chol(dk, blk, dk, mutinf__chol_min_rcond(rank_tol, dk), vec, own);
        if (st != MUTINF_OK) return st;
        const double guard = CHOL_GUARD * mutinf__rank_tol(rank_tol, dk) * maxk;
        for (int64_t i = 0; i < dk; i++) {
            double l = blk[i + i * dk];
            if (!(l * l > guard)) return MUTINF_ERR_NUMERICAL;
            piv[off[k] + i] = l;
        }
    }
    mutinf_status st = logdet_chol(m, C, ldc, mutinf__chol_min_rcond(rank_tol, m), vec, own);
    if (st != MUTINF_OK) return st;
    const double guard0 = CHOL_GUARD * mutinf__rank_tol(rank_tol, off[1]) * max0;
    const double guard = CHOL_GUARD * mutinf__rank_tol(rank_tol, m) * max_all;
    for (int64_t u = 0; u < m; u++) {
        double l = C[u + u * ldc];
        if (!(l * l > guard) || (u < off[1] && !(l * l > guard0))) return MUTINF_ERR_NUMERICAL;
    }
    double sum = 0.0;
    for (int64_t u0 = off[1]; u0 < m; u0 += LOG_BATCH) {
        double prod = 1.0;
        for (int64_t u = u0; u < m && u < u0 + LOG_BATCH; u++)
            prod *= piv[u] / C[u + u * ldc];
        sum += log(prod);
    }
    *tc = sum;
    return MUTINF_OK;
}

/* How the BLAS path reads the batch. */
typedef struct {
    char trans;      /* 'T': rows with column stride 1; 'N': row stride 1; 0: packed */
    int64_t lda, dc; /* leading dimension of the direct product; covariance order */
    int ordered;     /* the modules are units 0..m-1 in increasing order */
    int quick;       /* TC alone, no strict rank: the ratio of pivots */
    size_t work;     /* doubles of block workspace */
} large_plan;

/* Buffers of one thread of the BLAS path. */
typedef struct {
    double *cov, *gwork, *pwtmp, *jc, *cp;
    int *exps;
} large_ws;

static void large_ws_free(large_ws *w)
{
    mutinf__free(w->cov);
    mutinf__free(w->gwork);
    mutinf__free(w->pwtmp);
    mutinf__free(w->exps);
    mutinf__free(w->jc);
    mutinf__free(w->cp);
    memset(w, 0, sizeof *w);
}

static mutinf_status large_ws_alloc(const jac_ctx *c, const large_plan *pl, large_ws *w)
{
    memset(w, 0, sizeof *w);
    w->cov = mutinf__alloc((size_t)(pl->dc * pl->dc), sizeof(double), 0, "covariance");
    w->gwork = w->cov ? mutinf__alloc(pl->work, sizeof(double), 0, "block workspace") : NULL;
    w->pwtmp =
        w->gwork ? mutinf__alloc((size_t)(c->K * c->K), sizeof(double), 0, "pairwise") : NULL;
    w->exps = w->pwtmp ? mutinf__alloc((size_t)c->m, sizeof(int), 0, "row scales") : NULL;
    if (w->exps == NULL) {
        large_ws_free(w);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    return MUTINF_OK;
}

/* One sample on the BLAS path: *tc, and the pairwise values in w->pwtmp
 * when they are wanted. */
static mutinf_status large_sample(const jac_ctx *c, const large_plan *pl, large_ws *w, int64_t b,
                                  double *tc)
{
    const mutinf__view *v = c->v;
    const int64_t d = v->dim[1], n = v->dim[2], m = c->m, K = c->K;
    const double noise = c->o->noise_var;
    double *pw = c->want_pairwise ? w->pwtmp : NULL, *cov = w->cov;
    mutinf_status st = MUTINF_OK;
    if (pl->trans) {
        const double *a = (const double *)v->data + b * v->stride[0];
        st = mutinf__syrk(pl->trans, d, n, 1.0, a, pl->lda, 0.0, cov, d);
        if (st != MUTINF_OK) return st;
        /* Trust the unscaled product only where no square can have under-
         * or overflowed (0 may be an underflow). */
        int direct = 1;
        for (int64_t r = 0; r < m && direct; r++) {
            double x = cov[c->p->units[r] * (d + 1)];
            direct = x >= 0x1p-900 && x <= 0x1p900;
        }
        if (direct) {
            for (int64_t u = 0; u < d; u++)
                cov[u * (d + 1)] += noise;
            st = MUTINF_ERR_NUMERICAL;
            if (pl->quick && pl->ordered) {
                st = ordered_tc(c, cov, d, w->gwork, NULL, tc);
            } else if (pl->quick) {
                /* C[S,S] in partition order (lower triangle), a copy */
                if (w->cp == NULL && (w->cp = mutinf__alloc((size_t)(m * m), sizeof(double), 0,
                                                            "covariance")) == NULL)
                    return MUTINF_ERR_OUT_OF_MEMORY;
                const int64_t *u = c->p->units;
                for (int64_t j = 0; j < m; j++)
                    for (int64_t i = j; i < m; i++)
                        w->cp[i + j * m] =
                            u[i] >= u[j] ? cov[u[i] + u[j] * d] : cov[u[j] + u[i] * d];
                st = ordered_tc(c, w->cp, m, w->gwork, NULL, tc);
            }
            if (st != MUTINF_ERR_NUMERICAL) return st;
            if (pl->quick && pl->ordered) { /* ordered_tc consumed the matrix */
                st = mutinf__syrk(pl->trans, d, n, 1.0, a, pl->lda, 0.0, cov, d);
                if (st != MUTINF_OK) return st;
                for (int64_t u = 0; u < d; u++)
                    cov[u * (d + 1)] += noise;
            }
            return mutinf__gaussian_tc_ws(cov, d, c->p, c->o, tc, pw, w->gwork);
        }
    }
    /* Packed: rows in partition order, each divided by a power of two near
     * its largest entry. */
    if (w->jc == NULL) {
        w->jc = mutinf__alloc((size_t)m * (size_t)n, sizeof(double), 0, "packed Jacobian");
        if (w->jc == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    }
    if (w->cp == NULL &&
        (w->cp = mutinf__alloc((size_t)(m * m), sizeof(double), 0, "covariance")) == NULL)
        return MUTINF_ERR_OUT_OF_MEMORY;
    if (mutinf__jac_row_scales(v, b, c->p->units, m, noise, w->exps)) return fail_non_finite(c, b);
    for (int64_t r = 0; r < m; r++) { /* column-major m x n: column j is input j */
        double inv = mutinf__jac_pow2(-w->exps[r]);
        for (int64_t j = 0; j < n; j++)
            w->jc[r + j * m] = mutinf__view_at3(v, b, c->p->units[r], j) * inv;
    }
    for (int pass = 0; pass < 2; pass++) {
        st = mutinf__syrk('N', m, n, 1.0, w->jc, m, 0.0, w->cp, m);
        if (st != MUTINF_OK) return st;
        for (int64_t u = 0; u < m; u++)
            w->cp[u * (m + 1)] += ldexp(noise, -2 * w->exps[u]);
        if (pass == 0 && pl->quick) {
            st = ordered_tc(c, w->cp, m, w->gwork, NULL, tc);
            if (st != MUTINF_ERR_NUMERICAL) return st;
            continue; /* consumed: recompute, then the rank rules */
        }
        st = mutinf__gaussian_tc_ws(w->cp, m, c->pp, c->o, tc, pw, w->gwork);
        if (st == MUTINF_OK && pw != NULL) {
            for (int64_t k = 0; k < K; k++) {
                double h = pw[k * K + k];
                if (h != -INFINITY)
                    pw[k * K + k] = 2.0 * h - (double)(c->pp->offsets[k + 1] - c->pp->offsets[k]) *
                                                  MUTINF__LN_2PIE;
            }
            pairwise_unscale(c, w->exps, pw);
        }
        break;
    }
    return st;
}

/* The first failure of a parallel loop, by sample, re-raised on the
 * calling thread (the message is thread-local). */
typedef struct {
    int64_t sample; /* -1: none */
    mutinf_status status;
    char message[512];
} first_error;

/* Largest m on quick_path(): it runs one sample per thread, so for larger
 * matrices (few samples, each worth BLAS's own threads) the BLAS path is
 * kept.  A shape rule, so a sample's path never depends on the batch. */
#define QUICK_MAX_UNITS 2048

/* Samples per parallel region of quick_path() when a progress callback
 * runs between regions (without one, the whole batch is one region: one
 * barrier, no thread left idle at the end of each group).  The samples that
 * need the rank rules are redone after their region. */
#define QUICK_GROUP 64

/* Buffers of one thread of quick_path(). */
typedef struct {
    double *cov;          /* m x m, column-major, lower triangle */
    double *blk;          /* ordered_tc's block workspace */
    double *jp;           /* MUTINF__JAC_ROWS(m) x MUTINF__JAC_KC packed rows */
    const double **rowp;  /* MUTINF__JAC_ROWS(m) row pointers */
    const double **pfrow; /* m pointers: the rows of the next k-chunk */
    double *zeros;        /* MUTINF__JAC_KC zeros (padding rows) */
} cov_ws;

static void cov_ws_free(cov_ws *w)
{
    mutinf__free(w->cov);
    mutinf__free(w->blk);
    mutinf__free(w->jp);
    mutinf__free((void *)w->rowp);
    mutinf__free((void *)w->pfrow);
    mutinf__free(w->zeros);
    memset(w, 0, sizeof *w);
}

static int cov_ws_alloc(const jac_ctx *c, size_t blk, cov_ws *w)
{
    const size_t m = (size_t)c->m, rows = (size_t)MUTINF__JAC_ROWS(c->m);
    memset(w, 0, sizeof *w);
    w->cov = mutinf__alloc(m * m, sizeof(double), 0, "covariance");
    w->blk = w->cov ? mutinf__alloc(blk, sizeof(double), 0, "block workspace") : NULL;
    w->jp = w->blk ? mutinf__alloc(rows * MUTINF__JAC_KC, sizeof(double), 0, "packed rows") : NULL;
    w->rowp = w->jp ? mutinf__alloc(rows, sizeof(double *), 0, "row pointers") : NULL;
    w->pfrow = w->rowp ? mutinf__alloc(m, sizeof(double *), 0, "row pointers") : NULL;
    w->zeros = w->pfrow ? mutinf__alloc(MUTINF__JAC_KC, sizeof(double), 1, "zeros") : NULL;
    if (w->zeros == NULL) {
        cov_ws_free(w);
        return 0;
    }
    return 1;
}

/* The covariance of sample b's rows in partition order (no noise, no
 * scaling) into w->cov by the library's own product, in k-chunks of
 * MUTINF__JAC_KC.  Returns 1 when every diagonal entry lies in [SAFE_LO,
 * SAFE_HI] (no square under- or overflowed, no NaN or Inf), else 0. */
static int sample_cov_colmajor(const jac_ctx *c, cov_ws *w, int64_t b)
{
    const mutinf__view *v = c->v;
    const int64_t m = c->m, n = v->dim[2], rows = MUTINF__JAC_ROWS(m);
    /* Always packed: the chunks of rows a cache block reads then sit
     * contiguously instead of one per row stride (a power-of-two stride
     * would map them all to a few cache sets).  While one chunk is
     * multiplied, the next one's rows (doubles with unit column stride)
     * are prefetched, so that packing it does not wait for memory. */
    const int prefetch = !v->is_f32 && v->stride[2] == 1;
    for (int64_t k0 = 0; k0 < n; k0 += MUTINF__JAC_KC) {
        int64_t kc = n - k0 < MUTINF__JAC_KC ? n - k0 : MUTINF__JAC_KC;
        int64_t kcp = (kc + 3) & ~(int64_t)3;
        mutinf__jac_pack(v, b, c->p->units, m, NULL, k0, kc, kcp, w->jp);
        for (int64_t r = 0; r < m; r++)
            w->rowp[r] = w->jp + r * kcp;
        for (int64_t r = m; r < rows; r++)
            w->rowp[r] = w->zeros;
        const int64_t k1 = k0 + MUTINF__JAC_KC;
        const int64_t next =
            prefetch && k1 < n ? (n - k1 < MUTINF__JAC_KC ? n - k1 : MUTINF__JAC_KC) : 0;
        for (int64_t r = 0; r < m && next > 0; r++)
            w->pfrow[r] =
                (const double *)v->data + b * v->stride[0] + c->p->units[r] * v->stride[1] + k1;
        mutinf__jac_syrk_colmajor(m, kcp, w->rowp, w->cov, m, k0 > 0, next > 0 ? w->pfrow : NULL, m,
                                  next);
    }
    int safe = 1;
    for (int64_t u = 0; u < m; u++) {
        double x = w->cov[u * (m + 1)];
        safe &= x >= SAFE_LO && x <= SAFE_HI;
    }
    return safe;
}

/* Large m, TC alone (no pairwise matrix, no strict rank), entirely with the
 * library's own kernels inside its parallel loop (no BLAS there): each
 * sample's covariance by the blocked product, then the ratio of Cholesky
 * pivots (ordered_tc) with the blocked factorization.  A sample whose
 * diagonal over- or underflowed or whose factorization misses the
 * acceptance rule is redone after the region by large_sample() (BLAS
 * threads, scaled rows, rank rules).  Each sample's value depends on that
 * sample alone, whatever the thread count. */
static mutinf_status quick_path(const jac_ctx *c, const large_plan *pl, int nthreads, double *tcs)
{
    const int64_t B = c->v->dim[0], m = c->m;
    const int64_t G = B < QUICK_GROUP || c->o->progress == NULL ? B : QUICK_GROUP;
    if (nthreads > G) nthreads = (int)G;
    cov_ws *cw = mutinf__alloc((size_t)nthreads, sizeof *cw, 1, "thread workspaces");
    uint8_t *redo = cw ? mutinf__alloc((size_t)G, 1, 1, "flags") : NULL;
    large_ws lw;
    memset(&lw, 0, sizeof lw);
    mutinf_status st = redo ? large_ws_alloc(c, pl, &lw) : MUTINF_ERR_OUT_OF_MEMORY;
    for (int t = 0; t < nthreads && st == MUTINF_OK; t++)
        if (!cov_ws_alloc(c, pl->work, &cw[t])) st = MUTINF_ERR_OUT_OF_MEMORY;
    for (int64_t g = 0; g < B && st == MUTINF_OK; g += G) {
        const int64_t cnt = B - g < G ? B - g : G;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads) if (nthreads > 1 && cnt > 1)
        for (int64_t t = 0; t < cnt; t++) {
            int tid = 0;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
            cov_ws *w = &cw[tid];
            redo[t] = 1;
            if (sample_cov_colmajor(c, w, g + t)) {
                for (int64_t u = 0; u < m; u++)
                    w->cov[u * (m + 1)] += c->o->noise_var;
                const own_chol own = {w->jp, w->rowp, w->zeros};
                redo[t] = ordered_tc(c, w->cov, m, w->blk, &own, &tcs[g + t]) != MUTINF_OK;
            }
        }
        for (int64_t t = 0; t < cnt && st == MUTINF_OK; t++) {
            const int64_t b = g + t;
            if (redo[t]) st = large_sample(c, pl, &lw, b, &tcs[b]);
            if (st == MUTINF_OK && ((b + 1) % c->chunk == 0 || b + 1 == B))
                st = report_progress(c->o, b + 1, B);
        }
    }
    for (int t = 0; cw != NULL && t < nthreads; t++)
        cov_ws_free(&cw[t]);
    large_ws_free(&lw);
    mutinf__free(cw);
    mutinf__free(redo);
    return st;
}

/* Large m: BLAS for the covariance.  With a BLAS that cannot start threads
 * of its own inside a parallel region (sequential or OpenMP OpenBLAS, or one
 * BLAS thread), samples run in parallel over chunks with one BLAS thread
 * each; otherwise one sample at a time with BLAS threads.  Pairwise sums
 * per chunk in sample order either way, so both give the same bits. */
static mutinf_status blas_path(const jac_ctx *c, int nthreads, double *tcs, double *pw_chunks)
{
    const mutinf__view *v = c->v;
    const int64_t B = v->dim[0], d = v->dim[1], n = v->dim[2], m = c->m, K = c->K;
    large_plan pl = {0, 0, 0, 1, !c->want_pairwise && !c->o->strict_rank, 0};
    if (!v->is_f32 && v->stride[2] == 1 && v->stride[1] >= n && v->stride[1] > 0) {
        pl.trans = 'T';
        pl.lda = v->stride[1];
    } else if (!v->is_f32 && v->stride[1] == 1 && v->stride[2] >= d && v->stride[2] > 0) {
        pl.trans = 'N';
        pl.lda = v->stride[2];
    }
    for (int64_t r = 0; r < m && pl.ordered; r++)
        pl.ordered = c->p->units[r] == r;
    pl.dc = pl.trans ? d : m;
    int64_t bmax = 0;
    for (int64_t k = 0; k < K; k++)
        bmax = c->pp->offsets[k + 1] - c->pp->offsets[k] > bmax
                   ? c->pp->offsets[k + 1] - c->pp->offsets[k]
                   : bmax;
    size_t gsize = mutinf__gaussian_tc_work_size(c->p, c->want_pairwise);
    size_t bsize = (size_t)(bmax * bmax + 3 * m);
    pl.work = gsize > bsize ? gsize : bsize;
    if (pl.quick && m <= QUICK_MAX_UNITS) return quick_path(c, &pl, nthreads, tcs);

    const int64_t n_chunks = (B + c->chunk - 1) / c->chunk;
    if (!mutinf__blas_is_sequential() || nthreads > n_chunks)
        nthreads = mutinf__blas_is_sequential() ? (int)n_chunks : 1;
    large_ws *ws = mutinf__alloc((size_t)nthreads, sizeof *ws, 1, "thread workspaces");
    first_error *errs = ws ? mutinf__alloc((size_t)nthreads, sizeof *errs, 0, "errors") : NULL;
    mutinf_status st = errs ? MUTINF_OK : MUTINF_ERR_OUT_OF_MEMORY;
    for (int t = 0; t < nthreads && st == MUTINF_OK; t++)
        st = large_ws_alloc(c, &pl, &ws[t]);
    /* One parallel region, or rounds between which the progress callback
     * runs (every chunk when serial). */
    const int64_t round = c->o->progress == NULL ? n_chunks : (nthreads > 1 ? ROUND_CHUNKS : 1);
    for (int64_t r0 = 0; r0 < n_chunks && st == MUTINF_OK; r0 += round) {
        int64_t r1 = r0 + round < n_chunks ? r0 + round : n_chunks;
        for (int t = 0; t < nthreads; t++)
            errs[t].sample = -1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads) if (nthreads > 1)
        for (int64_t ch = r0; ch < r1; ch++) {
            int tid = 0;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
            first_error *e = &errs[tid];
            int64_t s1 = (ch + 1) * c->chunk < B ? (ch + 1) * c->chunk : B;
            for (int64_t b = ch * c->chunk; b < s1; b++) {
                if (e->sample >= 0 && e->sample < b) break;
                mutinf_status sst = large_sample(c, &pl, &ws[tid], b, &tcs[b]);
                if (sst != MUTINF_OK) {
                    if (e->sample < 0 || b < e->sample) {
                        e->sample = b;
                        e->status = sst;
                        snprintf(e->message, sizeof e->message, "%s", mutinf_last_error_message());
                    }
                    break;
                }
                if (pw_chunks != NULL)
                    for (int64_t i = 0; i < K * K; i++)
                        pw_chunks[ch * K * K + i] += ws[tid].pwtmp[i];
            }
        }
        int best = -1;
        for (int t = 0; t < nthreads; t++)
            if (errs[t].sample >= 0 && (best < 0 || errs[t].sample < errs[best].sample)) best = t;
        if (best >= 0) st = mutinf__fail(errs[best].status, "%s", errs[best].message);
        if (st == MUTINF_OK) st = report_progress(c->o, r1 * c->chunk < B ? r1 * c->chunk : B, B);
    }
    for (int t = 0; ws != NULL && t < nthreads; t++)
        large_ws_free(&ws[t]);
    mutinf__free(ws);
    mutinf__free(errs);
    return st;
}

/* Mean, standard error and count of infinities of x[0..n), in index order.
 * The mean is x0 + mean(x - x0), so equal values give exactly that value
 * and a standard error of exactly 0. */
static void batch_stats(const double *x, int64_t n, double *mean, double *se, int64_t *n_inf)
{
    int64_t inf = 0;
    for (int64_t i = 0; i < n; i++)
        inf += isinf(x[i]) ? 1 : 0;
    *n_inf = inf;
    if (inf > 0) {
        *mean = INFINITY;
        *se = INFINITY;
        return;
    }
    double x0 = x[0], s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += x[i] - x0;
    double mu = x0 + s / (double)n, ss = 0.0;
    for (int64_t i = 0; i < n; i++)
        ss += (x[i] - mu) * (x[i] - mu);
    *mean = mu;
    *se = n > 1 ? sqrt(ss / (double)(n - 1)) / sqrt((double)n) : NAN;
}

mutinf_status mutinf_jacobians_total_correlation(const mutinf_jacobians *jacobians,
                                                 const mutinf_partition *partition,
                                                 const mutinf_options *options, double *tc_out,
                                                 double *stderr_out, int64_t *n_infinite_out,
                                                 double *per_sample_out, double *pairwise_out)
{
    static const char fn[] = "mutinf_jacobians_total_correlation";
    MUTINF_CHECK_NULL(jacobians, fn);
    MUTINF_CHECK_NULL(partition, fn);
    MUTINF_CHECK_NULL(tc_out, fn);
    const mutinf__view *v = &jacobians->view;
    mutinf_status st = mutinf__partition_check_units(partition, v->dim[1], fn);
    if (st != MUTINF_OK) return st;
    const struct mutinf_options *o = mutinf__opts(options);
    const int64_t B = v->dim[0], m = partition->n_assigned, K = partition->n_modules;
    int64_t bmax = 0;
    for (int64_t k = 0; k < K; k++) {
        int64_t dk = partition->offsets[k + 1] - partition->offsets[k];
        bmax = dk > bmax ? dk : bmax;
    }
    if (pairwise_out != NULL) {
        /* the largest pair of modules */
        int64_t second = 0, first = 0;
        for (int64_t k = 0; k < K; k++) {
            int64_t dk = partition->offsets[k + 1] - partition->offsets[k];
            if (dk > first) {
                second = first;
                first = dk;
            } else if (dk > second) {
                second = dk;
            }
        }
        bmax = first + second;
    }
    double work = (double)m * (double)m * (double)v->dim[2];
    int64_t chunk = (int64_t)(CHUNK_WORK / work) / LANES * LANES;
    chunk = chunk < LANES ? LANES : (chunk > 256 ? 256 : chunk);
    while ((B + chunk - 1) / chunk > MAX_CHUNKS)
        chunk *= 2;
    size_t tmp;
    const int64_t n_chunks = (B + chunk - 1) / chunk;
    if (mutinf__mul_size((size_t)m, (size_t)m, &tmp) ||
        mutinf__mul_size(tmp, LANES * sizeof(double), &tmp) ||
        mutinf__mul_size((size_t)m, (size_t)v->dim[2], &tmp) ||
        mutinf__mul_size(tmp, sizeof(double), &tmp) ||
        mutinf__mul_size((size_t)v->dim[1], (size_t)v->dim[1], &tmp) ||
        mutinf__mul_size(tmp, sizeof(double), &tmp) ||
        mutinf__mul_size((size_t)n_chunks, (size_t)(K * K), &tmp) ||
        mutinf__mul_size(tmp, sizeof(double), &tmp))
        return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW,
                            "%s: workspace for %lld units x %lld inputs overflows", fn,
                            (long long)v->dim[1], (long long)v->dim[2]);

    /* The partition over packed rows 0..m-1 (the order the kernels use). */
    int64_t *iota = mutinf__alloc((size_t)m, sizeof *iota, 0, "row indices");
    double *tcs = iota ? mutinf__alloc((size_t)B, sizeof *tcs, 0, "per-sample values") : NULL;
    uint8_t *flags = tcs ? mutinf__alloc((size_t)B, 1, 1, "sample flags") : NULL;
    double *pw_chunks = NULL;
    if (flags != NULL && pairwise_out != NULL)
        pw_chunks =
            mutinf__alloc((size_t)(n_chunks * K * K), sizeof *pw_chunks, 1, "pairwise sums");
    if (flags == NULL || (pairwise_out != NULL && pw_chunks == NULL)) {
        mutinf__free(iota);
        mutinf__free(tcs);
        mutinf__free(flags);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    for (int64_t i = 0; i < m; i++)
        iota[i] = i;
    struct mutinf_partition packed = *partition;
    packed.n_units = m;
    packed.labels = NULL;
    packed.units = iota;
    jac_ctx c = {v, partition, &packed, o, m, K, bmax, chunk, pairwise_out != NULL};

    if (m <= PLAIN_MAX_UNITS)
        st = plain_path(&c, mutinf__thread_count(options), tcs, flags, pw_chunks);
    else
        st = blas_path(&c, mutinf__thread_count(options), tcs, pw_chunks);

    double mean = 0.0, se = 0.0;
    int64_t n_inf = 0;
    if (st == MUTINF_OK) {
        for (int64_t b = 0; b < B; b++)
            if (isnan(tcs[b])) {
                st = fail_non_finite(&c, b);
                break;
            }
    }
    if (st == MUTINF_OK) {
        batch_stats(tcs, B, &mean, &se, &n_inf);
        *tc_out = mutinf__in_units(options, mean);
        if (stderr_out != NULL) *stderr_out = mutinf__in_units(options, se);
        if (n_infinite_out != NULL) *n_infinite_out = n_inf;
        if (per_sample_out != NULL)
            for (int64_t b = 0; b < B; b++)
                per_sample_out[b] = mutinf__in_units(options, tcs[b]);
        if (pairwise_out != NULL) {
            for (int64_t i = 0; i < K * K; i++) {
                double s = 0.0;
                for (int64_t ch = 0; ch < n_chunks; ch++)
                    s += pw_chunks[ch * K * K + i];
                pairwise_out[i] = mutinf__in_units(options, s / (double)B);
            }
        }
    }
    mutinf__free(iota);
    mutinf__free(tcs);
    mutinf__free(flags);
    mutinf__free(pw_chunks);
    return st;
}
