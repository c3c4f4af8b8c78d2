/* Total correlation and pairwise matrix of a Gaussian from its covariance,
 * with the rank rules of the design:
 *   r0 = rank C[S,S], r1 = sum_k rank C[Sk,Sk];
 *   r0 == r1 == |S|  -> Cholesky log-determinants;
 *   r0 <  r1         -> +inf (a module is a deterministic function of others);
 *   r0 == r1 <  |S|  -> log pseudo-determinants on the supports.
 * A Cholesky factorization is trusted only under the acceptance rule of
 * linalg.h (a well-conditioned block); otherwise SVD decides the rank with
 * the documented tolerance itself, so the fast path never changes an answer. */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "gauss_tc.h"
#include "linalg.h"
#include "options.h"
#include "partition.h"

typedef struct {
    int64_t rank;
    double logdet; /* log pseudo-determinant when rank < size */
} block_info;

/* Copies C[I,I] (I = idx_a followed by idx_b) into the dense m x m matrix
 * `out`, reading only the lower triangle of C: the lower triangle of `out`
 * only (enough for Cholesky), or both triangles when `full` (for the SVD). */
static void gather(const double *C, int64_t ldc, const int64_t *idx_a, int64_t ma,
                   const int64_t *idx_b, int64_t mb, int full, double *out)
{
    int64_t m = ma + mb;
    /* A contiguous run of units (the common case: all units, in order) is
     * copied column by column. */
    int run = 1;
    for (int64_t a = 1; a < m && run; a++) {
        int64_t prev = a - 1 < ma ? idx_a[a - 1] : idx_b[a - 1 - ma];
        run = (a < ma ? idx_a[a] : idx_b[a - ma]) == prev + 1;
    }
    if (run && !full) {
        int64_t i0 = ma > 0 ? idx_a[0] : idx_b[0];
        for (int64_t b = 0; b < m; b++)
            memcpy(out + b + b * m, C + (i0 + b) + (i0 + b) * ldc, (size_t)(m - b) * sizeof *out);
        return;
    }
    for (int64_t b = 0; b < m; b++) {
        int64_t j = b < ma ? idx_a[b] : idx_b[b - ma];
        for (int64_t a = b; a < m; a++) {
            int64_t i = a < ma ? idx_a[a] : idx_b[a - ma];
            double v = i >= j ? C[i + j * ldc] : C[j + i * ldc];
            out[a + b * m] = v;
            if (full) out[b + a * m] = v;
        }
    }
}

/* Workspace of block_logdet(): the Cholesky acceptance vectors and the
 * SVD's, shared (never both in use). */
typedef struct {
    double *chol; /* 2 x the largest block */
    double *svd;
    size_t svd_size;
} block_work;

static mutinf_status block_logdet(const double *C, int64_t ldc, const int64_t *idx_a, int64_t ma,
                                  const int64_t *idx_b, int64_t mb, const struct mutinf_options *o,
                                  double *mat, const block_work *bw, block_info *info)
{
    int64_t m = ma + mb;
    double rtol = mutinf__rank_tol(o->rank_tol, m);
    gather(C, ldc, idx_a, ma, idx_b, mb, o->strict_rank, mat);
    if (!o->strict_rank) {
        mutinf__chol_summary s;
        mutinf__chol_summarize(m, mat, m, bw->chol, &s);
        if (mutinf__chol_summary_accepts(&s, o->rank_tol, m)) {
            info->rank = m;
            info->logdet = s.logdet;
            return MUTINF_OK;
        }
        gather(C, ldc, idx_a, ma, idx_b, mb, 1, mat);
    }
    return mutinf__rank_logpdet_ws(m, mat, m, rtol, bw->svd, bw->svd_size, &info->rank,
                                   &info->logdet);
}

/* 1 when every covariance between units of modules i and j is exactly 0:
 * the two Gaussian blocks are then independent and their MI is exactly 0. */
static int blocks_uncorrelated(const double *C, int64_t ldc, const mutinf_partition *p, int64_t i,
                               int64_t j)
{
    for (int64_t a = p->offsets[i]; a < p->offsets[i + 1]; a++)
        for (int64_t b = p->offsets[j]; b < p->offsets[j + 1]; b++) {
            int64_t u = p->units[a], v = p->units[b];
            if ((u >= v ? C[u + v * ldc] : C[v + u * ldc]) != 0.0) return 0;
        }
    return 1;
}

static double mi_from_ranks(const block_info *a, const block_info *b, const block_info *joint)
{
    if (joint->rank < a->rank + b->rank) return INFINITY;
    return 0.5 * (a->logdet + b->logdet - joint->logdet);
}

/* Doubles of workspace for block matrices of order up to `cap`: the block
 * matrix, K block_info records (2 doubles each), and the Cholesky
 * acceptance (2 doubles per unit) or SVD workspace. */
static size_t work_size(int64_t cap, int64_t K)
{
    size_t c = (size_t)cap, svd = mutinf__rank_logpdet_work_size(cap);
    return c * c + 2 * (size_t)K + (svd > 2 * c + 2 ? svd : 2 * c + 2);
}

size_t mutinf__gaussian_tc_work_size(const mutinf_partition *p, int want_pairwise)
{
    (void)want_pairwise;
    return work_size(p->n_assigned, p->n_modules);
}

/* The TC and pairwise matrix with blocks of order up to `cap` in `work`
 * (work_size(cap, K) doubles); the joint block of all of S comes from
 * `joint` when not NULL (then cap may be smaller than S). */
static mutinf_status tc_core(const double *C, int64_t ldc, const mutinf_partition *p,
                             const struct mutinf_options *o, const block_info *known, int64_t cap,
                             double *tc, double *pairwise, double *work)
{
    int64_t K = p->n_modules, S = p->n_assigned;
    double *mat = work;
    block_info *mod = (block_info *)(work + cap * cap);
    size_t svd = mutinf__rank_logpdet_work_size(cap);
    const block_work bw = {work + cap * cap + 2 * K, work + cap * cap + 2 * K,
                           svd > (size_t)(2 * cap + 2) ? svd : (size_t)(2 * cap + 2)};
    mutinf_status st;

    int all_uncorrelated = 1;
    for (int64_t i = 0; i < K && all_uncorrelated; i++)
        for (int64_t j = i + 1; j < K && all_uncorrelated; j++)
            all_uncorrelated = blocks_uncorrelated(C, ldc, p, i, j);

    int64_t r1 = 0;
    double sum_logdet = 0.0;
    for (int64_t k = 0; k < K; k++) {
        st = block_logdet(C, ldc, p->units + p->offsets[k], p->offsets[k + 1] - p->offsets[k], NULL,
                          0, o, mat, &bw, &mod[k]);
        if (st != MUTINF_OK) return st;
        r1 += mod[k].rank;
        sum_logdet += mod[k].logdet;
    }

    double total;
    if (all_uncorrelated) {
        total = 0.0;
    } else {
        block_info joint;
        if (known != NULL) {
            joint = *known;
        } else {
            st = block_logdet(C, ldc, p->units, S, NULL, 0, o, mat, &bw, &joint);
            if (st != MUTINF_OK) return st;
        }
        total = joint.rank < r1 ? INFINITY : 0.5 * (sum_logdet - joint.logdet);
    }

    if (pairwise != NULL) {
        for (int64_t i = 0; i < K; i++) {
            int64_t di = p->offsets[i + 1] - p->offsets[i];
            pairwise[i * K + i] =
                mod[i].rank < di ? -INFINITY : 0.5 * ((double)di * MUTINF__LN_2PIE + mod[i].logdet);
            for (int64_t j = i + 1; j < K; j++) {
                double mi = 0.0;
                if (!blocks_uncorrelated(C, ldc, p, i, j)) {
                    block_info joint;
                    st =
                        block_logdet(C, ldc, p->units + p->offsets[i], di, p->units + p->offsets[j],
                                     p->offsets[j + 1] - p->offsets[j], o, mat, &bw, &joint);
                    if (st != MUTINF_OK) return st;
                    mi = mi_from_ranks(&mod[i], &mod[j], &joint);
                }
                pairwise[i * K + j] = mi;
                pairwise[j * K + i] = mi;
            }
        }
    }
    *tc = total;
    return MUTINF_OK;
}

mutinf_status mutinf__gaussian_tc_ws(const double *C, int64_t ldc, const mutinf_partition *p,
                                     const mutinf_options *options, double *tc, double *pairwise,
                                     double *work)
{
    return tc_core(C, ldc, p, mutinf__opts(options), NULL, p->n_assigned, tc, pairwise, work);
}

/* Order of the largest block other than the joint one: a module, or with
 * the pairwise matrix the two largest modules together. */
static int64_t largest_block(const mutinf_partition *p, int want_pairwise)
{
    int64_t first = 0, second = 0;
    for (int64_t k = 0; k < p->n_modules; k++) {
        int64_t dk = p->offsets[k + 1] - p->offsets[k];
        if (dk > first) {
            second = first;
            first = dk;
        } else if (dk > second) {
            second = dk;
        }
    }
    return want_pairwise ? first + second : first;
}

mutinf_status mutinf__gaussian_tc_known(const double *C, int64_t ldc, const mutinf_partition *p,
                                        const mutinf_options *options,
                                        const mutinf__chol_summary *joint, double *tc,
                                        double *pairwise)
{
    const struct mutinf_options *o = mutinf__opts(options);
    int64_t S = p->n_assigned, cap = S;
    block_info known = {S, 0.0};
    int use =
        joint != NULL && !o->strict_rank && mutinf__chol_summary_accepts(joint, o->rank_tol, S);
    if (use) {
        known.logdet = joint->logdet;
        cap = largest_block(p, pairwise != NULL);
    }
    double *work = mutinf__alloc(work_size(cap, p->n_modules), sizeof *work, 0, "block workspace");
    if (work == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    mutinf_status st = tc_core(C, ldc, p, o, use ? &known : NULL, cap, tc, pairwise, work);
    mutinf__free(work);
    return st;
}

mutinf_status mutinf__gaussian_tc(const double *C, int64_t ldc, const mutinf_partition *p,
                                  const mutinf_options *options, double *tc, double *pairwise)
{
    return mutinf__gaussian_tc_known(C, ldc, p, options, NULL, tc, pairwise);
}
