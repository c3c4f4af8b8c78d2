/* Internal: the k-means handle and the pieces of the fit (init, Lloyd, exact
 * one-dimensional programme), shared by src/kmeans*.c. */
#ifndef MUTINF_SRC_KMEANS_IMPL_H
#define MUTINF_SRC_KMEANS_IMPL_H

#include <stdint.h>

#include "mutinf/kmeans.h"

struct mutinf_kmeans {
    /* settings */
    int32_t k, n_init, max_iter, init, algorithm, threads;
    double tol;
    uint64_t seed;
    mutinf_progress_fn progress;
    void *payload;
    double *given; /* given_k x given_d row-major, or NULL */
    int64_t given_k, given_d;
    /* the fit (valid when fitted) */
    int32_t fitted;
    int64_t fit_k, fit_d;
    double *centroids; /* fit_k x fit_d row-major */
    double inertia;
    int32_t n_iter, converged, degenerate;
};

/* Row-major contiguous n x d data: exactly one of x64 / x32 is non-NULL. */
typedef struct mutinf__km_data {
    const double *x64;
    const float *x32;
    int64_t n, d;
} mutinf__km_data;

/* How a pass over the points is cut up.  Everything here is a function of
 * (n, d, k, BLAS threading), never of the thread count, so that the order of
 * every floating-point sum is fixed. */
typedef struct mutinf__km_plan {
    int32_t mode;       /* MUTINF__KM_DIRECT, _FUSED or _SPLIT */
    int32_t threads;    /* library threads for the parallel loops */
    int64_t chunk;      /* rows per distance chunk */
    int64_t block_rows; /* rows per accumulation block (a multiple of chunk) */
    int64_t n_blocks;
    int64_t super_rows; /* rows per BLAS-threaded GEMM in split mode */
    int64_t ksub;       /* centroids per GEMM call (k, or fewer to stay below
                           MUTINF__BLAS_SMALL in the fused mode) */
} mutinf__km_plan;

#define MUTINF__KM_DIRECT 0 /* exact (x - c)^2 loop, no BLAS: small d */
#define MUTINF__KM_FUSED  1 /* per-chunk GEMM inside the parallel loop, fused with sums */
#define MUTINF__KM_SPLIT  2 /* large GEMM outside the parallel loop, then argmin + sums */
#define MUTINF__KM_DOTS   3 /* own AVX2/FMA dot-product kernel inside the parallel loop */

/* Largest d served by the direct (exact difference) distance kernel. */
#define MUTINF__KM_DIRECT_MAX_D 8

void mutinf__km_make_plan(mutinf__km_plan *plan, int64_t n, int64_t d, int64_t k, int32_t threads);

/* Scratch for the Lloyd passes, sized once per fit (NULL members unused). */
typedef struct mutinf__km_work {
    double *block_sums;    /* n_blocks x k x d */
    int64_t *block_counts; /* n_blocks x k */
    int64_t *block_changed;
    double *block_inertia;
    double *gbuf;  /* distance scratch: threads x chunk x k (fused/direct) or super_rows x k */
    float *gbuf32; /* as gbuf for float data */
    double *cpack; /* centroids packed for the distance kernel */
    float *cpack32;
    double *cnorm; /* k squared centroid norms */
    float *cnorm32;
    double *panel64; /* centroids in panels for the own kernel (dots mode) */
    float *panel32;
    double *rowpack64; /* dots mode: threads x the chunk's rows packed for the kernel */
    float *rowpack32;
    double *mindist; /* n: used only by the relocation of empty clusters */
    double xmax32;   /* float data, dots mode: an upper bound on the row norms */
    float tol32;     /* float data, dots mode: settle32()'s tolerance for this pass */
    /* Hamerly's bounds (allocated on first use): per point the margin by
     * which a lower bound on the distance to every other centroid exceeds
     * an upper bound on the distance to its own; the centroids the bounds
     * refer to; and per-thread scratch for the rows whose bounds fail. */
    float *slack;               /* stored rounded down (kmeans_hamerly.c) */
    double *bound_centers;      /* k x d centres, then k drifts, then k margin decreases */
    int64_t *bound_rows;        /* threads x 3 chunk (this chunk's, the next's, the moved) */
    int32_t *bound_labels;      /* threads x chunk */
    double *bound_dist;         /* threads x 2 chunk */
    float *bound_px;            /* n x 8: mutinf__km_lanes_pack_rows (AVX2 only, else NULL) */
    double *bound_pxx;          /* n */
    unsigned char *bound_dirty; /* threads x k: clusters whose block sums change */
    /* With exact sums (see mutinf__km_sums_exact): the sums (k x d) and
     * counts (k) of the last pass's labels, and per-thread changes to them
     * (threads x k x d, threads x k). */
    double *bound_total, *bound_delta;
    int64_t *bound_total_counts, *bound_delta_counts;
    int32_t bounds_valid;     /* 0: no bounds yet (first pass computes them) */
    int32_t bound_sums_valid; /* the block sums (or, with exact sums, the totals) are
                                 those of the last pass's labels */
    int32_t exact_sums;       /* mutinf__km_sums_exact of the data, set with the bounds */
} mutinf__km_work;

mutinf_status mutinf__km_work_alloc(mutinf__km_work *w, const mutinf__km_plan *plan,
                                    const mutinf__km_data *X, int64_t k);
void mutinf__km_work_free(mutinf__km_work *w);
/* Frees Hamerly's bounds and their scratch (kmeans_hamerly.c); NULL-safe. */
void mutinf__km_bounds_free(mutinf__km_work *w);

/* Nearest-centroid labels of every point (lowest index on ties); when `sums`
 * is non-NULL also the per-cluster sums (k x d) and counts of the points so
 * labelled, and *changed = number of labels that differ from their value
 * on entry. */
mutinf_status mutinf__km_assign(const mutinf__km_data *X, const mutinf__km_plan *plan,
                                mutinf__km_work *w, int64_t k, const double *centers,
                                int32_t *labels, double *sums, int64_t *counts, int64_t *changed);

/* As mutinf__km_assign, direct mode only, with Hamerly's bounds
 * (kmeans_hamerly.c): the same labels, sums, counts and change count,
 * from distances computed only for the points whose bounds fail.  The
 * bounds live in `w` and refer to the centres of the previous call; clear
 * w->bounds_valid before a pass whose labels on entry are not those of the
 * previous call. */
mutinf_status mutinf__km_assign_bounded(const mutinf__km_data *X, const mutinf__km_plan *plan,
                                        mutinf__km_work *w, int64_t k, const double *centers,
                                        int32_t *labels, double *sums, int64_t *counts,
                                        int64_t *changed);

/* 1 when every sum of any subset of the rows, feature by feature, is
 * exactly representable, whatever the order of the additions: every value
 * of feature f is an integer multiple of 2^-g_f with sum_i |x_if| 2^g_f <
 * 2^51, d <= MUTINF__KM_DIRECT_MAX_D (data on a grid, e.g. integers, or the k-means quantizer's
 * rounded standardised units).  Such sums can then be updated point by point and still equal the
 * row-order sums bit for bit. */
int mutinf__km_sums_exact(const mutinf__km_data *X);

/* Direct-mode pieces shared by the two passes.  Packs the centres for the
 * distance kernels; sums the per-block sums, counts and change counters
 * (block order); and the direct kernel for a list of rows with the smallest
 * (d1) and second smallest (d2) squared distance of each. */
void mutinf__km_pack_centers(const mutinf__km_data *X, const mutinf__km_plan *plan,
                             mutinf__km_work *w, int64_t k, const double *centers);
void mutinf__km_reduce_blocks(const mutinf__km_plan *plan, const mutinf__km_work *w, int64_t k,
                              int64_t d, double *sums, int64_t *counts, int64_t *changed);
/* The direct kernel's labels of rows [r0, r0 + m) (lab[i] for row r0 + i),
 * used where the lane kernel is not (processors without AVX2/FMA). */
void mutinf__km_direct_labels(const mutinf__km_data *X, int64_t r0, int64_t m, const double *cT,
                              int64_t kp, int32_t *lab);
void mutinf__km_direct_nearest(const mutinf__km_data *X, const int64_t *rows, int64_t m,
                               const double *cT, int64_t kp, int32_t *lab, double *d1, double *d2);

/* Points-in-lanes kernels for d <= MUTINF__KM_DIRECT_MAX_D (kmeans_lanes.c).
 * mutinf__km_lanes_labels (only where mutinf__cpu_has_avx2_fma()): the
 * labels of rows [r0, r0 + m) against the k centroids packed as for the
 * direct kernel (cT, d x kp), the same labels as that kernel (lab[i] for
 * row r0 + i).
 * mutinf__km_pp_fold (AVX2 when avx2, else plain C, the same numbers): for
 * rows [r0, r1) and the T <= MUTINF__KM_PP_MAX_T candidates (T x d):
 * out[t][i] = min(closest[i], |x_i - cand_t|^2) (no min when closest is
 * NULL), and s[t] += their sum, as four partial sums (rows r0 + q mod 4)
 * added as (p0 + p1) + (p2 + p3). */
#define MUTINF__KM_PP_MAX_T 64
void mutinf__km_lanes_labels(const mutinf__km_data *X, int64_t r0, int64_t m, const double *cT,
                             int64_t k, int64_t kp, int32_t *lab);
/* mutinf__km_lanes_labels fused with the pass's bookkeeping, as label_rows
 * does it: labels[r0 + i] updated (counting the changes in *changed) and,
 * when sums is non-NULL, the rows added to sums (k x d) and counts in row
 * order. */
void mutinf__km_lanes_assign(const mutinf__km_data *X, int64_t r0, int64_t m, const double *cT,
                             int64_t k, int64_t kp, int32_t *labels, double *sums, int64_t *counts,
                             int64_t *changed);
/* Centroids the certified kernels take (their tables are on the stack). */
#define MUTINF__LANES_CERT_MAX_K 64
/* The centroid tables of mutinf__km_lanes_nearest's single-precision
 * kernel, made once per pass (tab == NULL: made by every call). */
typedef struct mutinf__km_f32_tables {
    float m2c[MUTINF__KM_DIRECT_MAX_D * MUTINF__LANES_CERT_MAX_K]; /* -2 c, feature-major */
    float cn[MUTINF__LANES_CERT_MAX_K];                            /* |c|^2 */
    double cmax;                                                   /* max |c|^2 */
    int32_t ok; /* 0: the kernel does not take these centroids */
} mutinf__km_f32_tables;
void mutinf__km_lanes_f32_tables(const double *cT, int64_t k, int64_t kp, int64_t d,
                                 mutinf__km_f32_tables *tab);

/* The lane kernel's version of mutinf__km_direct_nearest (only where
 * mutinf__cpu_has_avx2_fma()): the same labels of the rows rows[0..m), and
 * bounds on their squared distances: d1 >= the smallest and d2 <= the
 * second smallest (the exact kernel's numbers, or within 1e-13 (|x|^2 +
 * max |c|^2) of them; see kmeans_lanes.c). */
void mutinf__km_lanes_nearest(const mutinf__km_data *X, const int64_t *rows, int64_t m,
                              const double *cT, int64_t k, int64_t kp,
                              const mutinf__km_f32_tables *tab, const float *px, const double *pxx,
                              int32_t *lab, double *d1, double *d2);
/* The rows of X as mutinf__km_lanes_nearest's single-precision kernel reads
 * them (only where mutinf__cpu_has_avx2_fma()): px (n x
 * MUTINF__KM_DIRECT_MAX_D) each row rounded to float, zero padded, and pxx
 * (n) its squared norm as the kernel computes it (fused multiply-adds in
 * feature order).  Passed to mutinf__km_lanes_nearest (else NULL, NULL),
 * they give the same numbers from half the memory, without the kernel's
 * transposes in double. */
void mutinf__km_lanes_pack_rows(const mutinf__km_data *X, float *px, double *pxx);
void mutinf__km_pp_fold(int avx2, const mutinf__km_data *X, int64_t r0, int64_t r1,
                        const double *cand, int64_t T, const double *closest, double *const *out,
                        double *s);

/* The dots mode (kmeans_dots.c, run where mutinf__cpu_has_avx2_fma()): the
 * centroids packed in feature-major panels of 8 (double, p64) or 16
 * (float, p32) centroids, zero padded; and G[i * k + j] = x_i . c_j for the
 * m rows of x (row-major, d columns), each an FMA chain over the features
 * in order.  xpack is scratch of mutinf__km_dots_pack_rows(m) x d
 * elements. */
void mutinf__km_pack_panels(const double *centers, int64_t k, int64_t d, double *p64, float *p32);
int64_t mutinf__km_dots_pack_rows(int64_t m);
void mutinf__km_dots64(const double *x, int64_t m, int64_t d, const double *panels, int64_t k,
                       double *xpack, double *G);
void mutinf__km_dots32(const float *x, int64_t m, int64_t d, const float *panels, int64_t k,
                       float *xpack, float *G);

/* Exact inertia sum_i ||x_i - c_{labels[i]}||^2 in a fixed order. */
double mutinf__km_inertia(const mutinf__km_data *X, const mutinf__km_plan *plan, mutinf__km_work *w,
                          const double *centers, const int32_t *labels);

/* Progress bookkeeping shared by the restarts. */
typedef struct mutinf__km_progress {
    mutinf_progress_fn fn;
    void *payload;
    int64_t done, total;
} mutinf__km_progress;

/* Lloyd from `centers` (k x d, updated in place); writes labels, inertia,
 * iterations and the converged flag.  With `bounded` (direct mode only) the
 * assignment passes use Hamerly's bounds, with the same results.
 * MUTINF_ERR_CANCELLED when the progress callback asks to stop. */
mutinf_status mutinf__km_lloyd(const mutinf__km_data *X, const mutinf__km_plan *plan,
                               mutinf__km_work *w, int64_t k, int32_t bounded, int32_t max_iter,
                               double tol_abs, double *centers, int32_t *labels, double *inertia,
                               int32_t *n_iter, int32_t *converged, mutinf__km_progress *prog);

/* Greedy k-means++ (2 + floor(ln k) candidates per step) or k distinct
 * random rows, from the random stream `stream` of `seed`; writes k x d
 * centers. */
mutinf_status mutinf__km_init_plusplus(const mutinf__km_data *X, const mutinf__km_plan *plan,
                                       int64_t k, uint64_t seed, uint64_t stream, double *centers);
mutinf_status mutinf__km_init_random(const mutinf__km_data *X, int64_t k, uint64_t seed,
                                     uint64_t stream, double *centers);

/* Exact optimal 1-D clustering of the n values of X (d == 1) into k >= 1
 * clusters with at least k distinct values: sorted centroids (k), labels
 * (nearest centroid) and the exact inertia. */
mutinf_status mutinf__km_exact_1d(const mutinf__km_data *X, int64_t k, int32_t threads,
                                  mutinf__km_progress *prog, double *centers, int32_t *labels,
                                  double *inertia);

/* Sorts n doubles ascending (a radix sort; -0.0 comes out as +0.0). */
mutinf_status mutinf__km_sort_doubles(double *v, int64_t n);

/* Number of distinct rows of X, counted up to `limit` (returns min(count, limit)),
 * and, in `first`, the index of the first occurrence of each distinct row
 * found (capacity limit). */
mutinf_status mutinf__km_distinct(const mutinf__km_data *X, int64_t limit, int64_t *count,
                                  int64_t *first);

/* Row i of X, as doubles, into dst. */
static inline void mutinf__km_row(const mutinf__km_data *X, int64_t i, double *dst)
{
    if (X->x64 != NULL) {
        const double *r = X->x64 + i * X->d;
        for (int64_t f = 0; f < X->d; f++)
            dst[f] = r[f];
    } else {
        const float *r = X->x32 + i * X->d;
        for (int64_t f = 0; f < X->d; f++)
            dst[f] = (double)r[f];
    }
}

/* Adds row i of X to the running sum s (d entries). */
static inline void mutinf__km_add_row(const mutinf__km_data *X, int64_t i, double *s)
{
    int64_t d = X->d;
    if (X->x64 != NULL) {
        const double *r = X->x64 + i * d;
        for (int64_t f = 0; f < d; f++)
            s[f] += r[f];
    } else {
        const float *r = X->x32 + i * d;
        for (int64_t f = 0; f < d; f++)
            s[f] += (double)r[f];
    }
}

/* Squared distance of row i of X to the point c (exact difference form). */
double mutinf__km_sqdist(const mutinf__km_data *X, int64_t i, const double *c);

#endif
