/* k-means: the assignment pass (nearest centroid, fused with the per-cluster
 * sums) and the exact inertia.
 *
 * Distances: for d > MUTINF__KM_DIRECT_MAX_D through GEMM as
 * |c|^2 - 2 x.c (|x|^2 is the same for every centroid and is dropped from
 * the argmin); for tiny d an exact (x - c)^2 loop, which beats GEMM there:
 * with AVX2/FMA the points-in-lanes kernel of kmeans_lanes.c, elsewhere a
 * loop vectorised over the centroids, both with the same arithmetic.
 * Points are cut into chunks (a few hundred rows, so the chunk x k
 * distance block stays in cache) and chunks
 * into a fixed number of blocks; each block accumulates its own cluster sums
 * in row order and the block sums are added in block order, so every sum
 * has the same order whatever the thread count.
 *
 * BLAS threading (STYLE.md): in the fused mode a GEMM runs inside the
 * OpenMP loop only when BLAS is sequential or the call is at most
 * MUTINF__BLAS_SMALL multiply-adds (m*k*d; OpenBLAS then stays on the
 * calling thread).  Otherwise (split mode) each GEMM of a large row panel
 * runs outside the parallel region with BLAS's own threads, and only the
 * argmin and the sums run in the OpenMP loop. */
#include <immintrin.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "cpu.h"
#include "error.h"
#include "kmeans_impl.h"
#include "linalg.h"

static int64_t round_up(int64_t a, int64_t b)
{
    return (a + b - 1) / b * b;
}
static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

void mutinf__km_make_plan(mutinf__km_plan *plan, int64_t n, int64_t d, int64_t k, int32_t threads)
{
    int64_t kd = k * d;
    plan->threads = threads < 1 ? 1 : threads;
    plan->super_rows = 0;
    plan->ksub = k;
    /* Distance block of chunk x k doubles within ~256 KiB (L2). */
    int64_t target = clamp64(32768 / k, 64, 512);
    if (d <= MUTINF__KM_DIRECT_MAX_D) {
        plan->mode = MUTINF__KM_DIRECT;
        plan->chunk = 256;
    } else {
        int64_t small = (int64_t)(MUTINF__BLAS_SMALL / (double)kd);
        if (mutinf__blas_is_sequential()) {
            plan->mode = MUTINF__KM_FUSED;
            plan->chunk = target;
        } else if (mutinf__cpu_has_avx2_fma() && sqrt(MUTINF__BLAS_SMALL / (double)d) >= 8.0) {
            /* GEMM calls below the single-thread bound are small enough for
             * OpenBLAS's per-call cost to dominate; the own kernel takes
             * whole chunks against all k centroids inside the parallel loop
             * (measured per pass, 2 threads: n = 100000, d = 16, k = 32:
             * 3.1-4.4 ms against 4.5-8.9 ms for 512-row GEMM calls;
             * n = 180000, d = k = 64: 38 against 43 ms; n = 40000,
             * d = k = 256: 165-171 against 201-205 ms).  Very large d
             * keeps the BLAS-threaded panels below. */
            plan->mode = MUTINF__KM_DOTS;
            plan->chunk = target;
        } else if (small >= 48) {
            plan->mode = MUTINF__KM_FUSED;
            plan->chunk = small < target ? small : target;
        } else if (sqrt(MUTINF__BLAS_SMALL / (double)d) >= 8.0) {
            /* Large k: square-ish calls, chunk rows against as many
             * centroids, each call below the single-thread bound, so the
             * whole pass (GEMMs, arg-min, sums) stays in the library's
             * parallel loop instead of waking BLAS threads for every panel
             * (measured for n = 40000, d = k = 256: 32 x 32 beats 64 x 16,
             * 128 x 8 and the BLAS-threaded panels). */
            int64_t side = (int64_t)sqrt(MUTINF__BLAS_SMALL / (double)d) / 4 * 4;
            plan->mode = MUTINF__KM_FUSED;
            plan->chunk = side;
            plan->ksub = side;
        } else {
            plan->mode = MUTINF__KM_SPLIT;
            plan->chunk = 128;
            /* Panels of ~8 MiB of distances. */
            plan->super_rows = round_up(clamp64((1 << 20) / k, 128, 1 << 16), plan->chunk);
        }
    }
    if (plan->chunk > n) plan->chunk = n;
    int64_t n_chunks = (n + plan->chunk - 1) / plan->chunk;
    /* At most 64 blocks and ~8 MiB of block sums; at least 8 blocks where
     * possible so that threads have work to share.  The direct mode allows
     * up to 256 smaller blocks: Hamerly's pass keeps the block sums of the
     * previous pass and recomputes only those of the (block, cluster) pairs
     * whose labels changed, which are few when the blocks are small. */
    int64_t nb_max = plan->mode == MUTINF__KM_DIRECT ? 256 : 64;
    int64_t nb_target = clamp64((1 << 20) / (kd > 0 ? kd : 1), 8, nb_max);
    int64_t chunks_per_block = (n_chunks + nb_target - 1) / nb_target;
    plan->block_rows = chunks_per_block * plan->chunk;
    plan->n_blocks = (n + plan->block_rows - 1) / plan->block_rows;
    if (plan->mode == MUTINF__KM_SPLIT && plan->super_rows > n)
        plan->super_rows = round_up(n, plan->chunk);
}

mutinf_status mutinf__km_work_alloc(mutinf__km_work *w, const mutinf__km_plan *plan,
                                    const mutinf__km_data *X, int64_t k)
{
    memset(w, 0, sizeof(*w));
    int64_t d = X->d, kp = round_up(k, 4);
    size_t nb = (size_t)plan->n_blocks, T = (size_t)plan->threads;
    size_t kd = (size_t)k * (size_t)d;
    size_t gsz = plan->mode == MUTINF__KM_SPLIT ? (size_t)plan->super_rows * (size_t)k
                                                : T * (size_t)plan->chunk * (size_t)kp;
    int f32 = X->x32 != NULL && plan->mode != MUTINF__KM_DIRECT;
    w->block_sums = mutinf__alloc(nb * kd, sizeof(double), 0, "k-means block sums");
    w->block_counts = mutinf__alloc(nb * (size_t)k, sizeof(int64_t), 0, "k-means block counts");
    w->block_changed = mutinf__alloc(nb, sizeof(int64_t), 0, "k-means block counters");
    w->block_inertia = mutinf__alloc(nb, sizeof(double), 0, "k-means block inertia");
    w->cpack = mutinf__alloc((size_t)kp * (size_t)d, sizeof(double), 1, "k-means centroids");
    w->cnorm = mutinf__alloc((size_t)kp, sizeof(double), 0, "k-means centroid norms");
    if (!w->block_sums || !w->block_counts || !w->block_changed || !w->block_inertia || !w->cpack ||
        !w->cnorm)
        goto oom;
    if (plan->mode == MUTINF__KM_DOTS) {
        if (f32)
            w->panel32 = mutinf__alloc((size_t)((k + 15) / 16 * 16) * (size_t)d, sizeof(float), 0,
                                       "k-means centroid panels");
        else
            w->panel64 = mutinf__alloc((size_t)((k + 7) / 8 * 8) * (size_t)d, sizeof(double), 0,
                                       "k-means centroid panels");
        if (w->panel32 == NULL && w->panel64 == NULL) goto oom;
        size_t rp = T * (size_t)mutinf__km_dots_pack_rows(plan->chunk) * (size_t)d;
        if (f32)
            w->rowpack32 = mutinf__alloc(rp, sizeof(float), 0, "k-means packed rows");
        else
            w->rowpack64 = mutinf__alloc(rp, sizeof(double), 0, "k-means packed rows");
        if (w->rowpack32 == NULL && w->rowpack64 == NULL) goto oom;
    }
    if (f32 && plan->mode == MUTINF__KM_DOTS) { /* for settle32(): the largest row norm */
        double xmax = 0.0;
        const float *x = X->x32;
#pragma omp parallel for num_threads(plan->threads) reduction(max : xmax) schedule(static)
        for (int64_t i = 0; i < X->n; i++) {
            double s = 0.0;
            for (int64_t f = 0; f < d; f++)
                s += (double)x[i * d + f] * (double)x[i * d + f];
            xmax = s > xmax ? s : xmax;
        }
        w->xmax32 = sqrt(xmax) * (1.0 + 0x1p-40); /* rounded up past the sum's error */
    }
    if (f32) {
        w->gbuf32 = mutinf__alloc(gsz, sizeof(float), 0, "k-means distances");
        w->cpack32 = mutinf__alloc(kd, sizeof(float), 0, "k-means float centroids");
        w->cnorm32 = mutinf__alloc((size_t)k, sizeof(float), 0, "k-means centroid norms");
        if (!w->gbuf32 || !w->cpack32 || !w->cnorm32) goto oom;
    } else {
        w->gbuf = mutinf__alloc(gsz, sizeof(double), 0, "k-means distances");
        if (!w->gbuf) goto oom;
    }
    return MUTINF_OK;
oom:
    mutinf__km_work_free(w);
    return MUTINF_ERR_OUT_OF_MEMORY;
}

void mutinf__km_work_free(mutinf__km_work *w)
{
    mutinf__free(w->block_sums);
    mutinf__free(w->block_counts);
    mutinf__free(w->block_changed);
    mutinf__free(w->block_inertia);
    mutinf__free(w->gbuf);
    mutinf__free(w->gbuf32);
    mutinf__free(w->cpack);
    mutinf__free(w->cpack32);
    mutinf__free(w->cnorm);
    mutinf__free(w->cnorm32);
    mutinf__free(w->mindist);
    mutinf__free(w->panel64);
    mutinf__free(w->panel32);
    mutinf__free(w->rowpack64);
    mutinf__free(w->rowpack32);
    mutinf__km_bounds_free(w);
    memset(w, 0, sizeof(*w));
}

double mutinf__km_sqdist(const mutinf__km_data *X, int64_t i, const double *c)
{
    int64_t d = X->d;
    double s = 0.0;
    if (X->x64 != NULL) {
        const double *r = X->x64 + i * d;
        for (int64_t f = 0; f < d; f++) {
            double t = r[f] - c[f];
            s += t * t;
        }
    } else {
        const float *r = X->x32 + i * d;
        for (int64_t f = 0; f < d; f++) {
            double t = (double)r[f] - c[f];
            s += t * t;
        }
    }
    return s;
}

/* ---- distance kernels ------------------------------------------------- */

typedef double mutinf__v4d __attribute__((vector_size(32)));

typedef long long mutinf__v4q __attribute__((vector_size(32)));

/* Lane-wise minimum (a macro: vector arguments by value would change the ABI). */
#define MUTINF__VMIN(a, b)                                                                         \
    ((mutinf__v4d)((((mutinf__v4q)(a)) & ((a) < (b))) | (((mutinf__v4q)(b)) & ~((a) < (b)))))

/* Folds four distances (centroids idx .. idx + 3) into each lane's first
 * minimum (best, its index bidx) and, with `bounds`, its second smallest
 * (sec = min(sec, max(acc, best)) before best is updated). */
#define MUTINF__DIRECT_MERGE(acc)                                                                  \
    do {                                                                                           \
        mutinf__v4q lt_ = (acc) < best;                                                            \
        if (bounds) {                                                                              \
            mutinf__v4d hi_ =                                                                      \
                (mutinf__v4d)(((mutinf__v4q)best & lt_) | ((mutinf__v4q)(acc) & ~lt_));            \
            sec = MUTINF__VMIN(sec, hi_);                                                          \
        }                                                                                          \
        best = (mutinf__v4d)(((mutinf__v4q)(acc)&lt_) | ((mutinf__v4q)best & ~lt_));               \
        bidx = (mutinf__v4d)(((mutinf__v4q)idx & lt_) | ((mutinf__v4q)bidx & ~lt_));               \
        idx += four;                                                                               \
    } while (0)

/* Nearest of the kp padded centroids (feature-major in cT, d x kp; the
 * padding is at distance +inf) for m rows (rows[i], or r0 + i when rows is
 * NULL), by exact (x - c)^2, into lab.  Four centroids per vector; each lane
 * keeps its first minimum, then the lanes are merged without branches: the
 * overall minimum, and the lowest index (kept as a double) among the lanes
 * that reach it -- the first minimum of a sequential scan.  With `bounds`,
 * also the smallest squared distance (d1) and the smallest over the other
 * centroids (d2), for the bounds of Hamerly's algorithm: the same arithmetic
 * as without, so that the labels are those of plain Lloyd. */
static inline __attribute__((always_inline)) void
direct_labels_body(const mutinf__km_data *X, int64_t r0, const int64_t *rows, int64_t m,
                   const double *cT, int64_t kp, int32_t *lab, double *d1, double *d2,
                   const int64_t d, const int is64, const int bounds)
{
    const mutinf__v4q swap_halves = {2, 3, 0, 1}, swap_pairs = {1, 0, 3, 2};
    for (int64_t i = 0; i < m; i++) {
        int64_t row = rows != NULL ? rows[i] : r0 + i;
        double x[MUTINF__KM_DIRECT_MAX_D];
        for (int64_t f = 0; f < d; f++)
            x[f] = is64 ? X->x64[row * d + f] : (double)X->x32[row * d + f];
        mutinf__v4d best = {INFINITY, INFINITY, INFINITY, INFINITY}, sec = best;
        mutinf__v4d bidx = {0.0, 1.0, 2.0, 3.0}, idx = bidx;
        const mutinf__v4d four = {4.0, 4.0, 4.0, 4.0};
        /* Sixteen centroids at a time: four independent accumulation
         * chains hide the add latency; each distance is still summed over
         * the features in order, and the four groups are merged in index
         * order, so the results are those of one group at a time. */
        int64_t j = 0;
        for (; j + 16 <= kp; j += 16) {
            mutinf__v4d a0 = {0.0, 0.0, 0.0, 0.0}, a1 = a0, a2 = a0, a3 = a0;
            for (int64_t f = 0; f < d; f++) {
                mutinf__v4d c0, c1, c2, c3, t0, t1, t2, t3;
                const double *cf = cT + f * kp + j;
                memcpy(&c0, cf, sizeof(c0));
                memcpy(&c1, cf + 4, sizeof(c1));
                memcpy(&c2, cf + 8, sizeof(c2));
                memcpy(&c3, cf + 12, sizeof(c3));
                t0 = x[f] - c0;
                t1 = x[f] - c1;
                t2 = x[f] - c2;
                t3 = x[f] - c3;
                a0 += t0 * t0;
                a1 += t1 * t1;
                a2 += t2 * t2;
                a3 += t3 * t3;
            }
            MUTINF__DIRECT_MERGE(a0);
            MUTINF__DIRECT_MERGE(a1);
            MUTINF__DIRECT_MERGE(a2);
            MUTINF__DIRECT_MERGE(a3);
        }
        for (; j < kp; j += 4) {
            mutinf__v4d acc = {0.0, 0.0, 0.0, 0.0};
            for (int64_t f = 0; f < d; f++) {
                mutinf__v4d c, t;
                memcpy(&c, cT + f * kp + j, sizeof(c));
                t = x[f] - c;
                acc += t * t;
            }
            MUTINF__DIRECT_MERGE(acc);
        }
        mutinf__v4d mn = MUTINF__VMIN(best, __builtin_shuffle(best, swap_halves));
        mn = MUTINF__VMIN(mn, __builtin_shuffle(mn, swap_pairs));
        mutinf__v4q at = best == mn;
        const mutinf__v4d big = {1e300, 1e300, 1e300, 1e300};
        mutinf__v4d cand = (mutinf__v4d)(((mutinf__v4q)bidx & at) | ((mutinf__v4q)big & ~at));
        cand = MUTINF__VMIN(cand, __builtin_shuffle(cand, swap_halves));
        cand = MUTINF__VMIN(cand, __builtin_shuffle(cand, swap_pairs));
        lab[i] = (int32_t)cand[0];
        if (bounds) {
            /* the runner-up: the other lanes' minima and every lane's second */
            const mutinf__v4d inf = {INFINITY, INFINITY, INFINITY, INFINITY};
            mutinf__v4q other = bidx != cand[0];
            mutinf__v4d s2 =
                (mutinf__v4d)(((mutinf__v4q)best & other) | ((mutinf__v4q)inf & ~other));
            s2 = MUTINF__VMIN(s2, sec);
            s2 = MUTINF__VMIN(s2, __builtin_shuffle(s2, swap_halves));
            s2 = MUTINF__VMIN(s2, __builtin_shuffle(s2, swap_pairs));
            d1[i] = mn[0];
            d2[i] = s2[0];
        }
    }
}

/* The body specialised for each d <= 8 and precision, so that the loops
 * over features unroll. */
#define MUTINF__DIRECT_SWITCH(BOUNDS)                                                              \
    switch (X->d) {                                                                                \
        MUTINF__DIRECT_CASE(1, BOUNDS)                                                             \
        MUTINF__DIRECT_CASE(2, BOUNDS)                                                             \
        MUTINF__DIRECT_CASE(3, BOUNDS)                                                             \
        MUTINF__DIRECT_CASE(4, BOUNDS)                                                             \
        MUTINF__DIRECT_CASE(5, BOUNDS)                                                             \
        MUTINF__DIRECT_CASE(6, BOUNDS)                                                             \
        MUTINF__DIRECT_CASE(7, BOUNDS)                                                             \
    default:                                                                                       \
        direct_labels_body(X, r0, rows, m, cT, kp, lab, d1, d2, MUTINF__KM_DIRECT_MAX_D,           \
                           X->x64 != NULL, BOUNDS);                                                \
        break;                                                                                     \
    }
#define MUTINF__DIRECT_CASE(D, BOUNDS)                                                             \
    case D:                                                                                        \
        if (X->x64 != NULL)                                                                        \
            direct_labels_body(X, r0, rows, m, cT, kp, lab, d1, d2, D, 1, BOUNDS);                 \
        else                                                                                       \
            direct_labels_body(X, r0, rows, m, cT, kp, lab, d1, d2, D, 0, BOUNDS);                 \
        break;

__attribute__((target_clones("arch=x86-64-v3", "default"))) void
mutinf__km_direct_labels(const mutinf__km_data *X, int64_t r0, int64_t m, const double *cT,
                         int64_t kp, int32_t *lab)
{
    const int64_t *rows = NULL;
    double *d1 = NULL, *d2 = NULL;
    MUTINF__DIRECT_SWITCH(0)
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) void
mutinf__km_direct_nearest(const mutinf__km_data *X, const int64_t *rows, int64_t m,
                          const double *cT, int64_t kp, int32_t *lab, double *d1, double *d2)
{
    const int64_t r0 = 0;
    MUTINF__DIRECT_SWITCH(1)
}
#undef MUTINF__DIRECT_CASE
#undef MUTINF__DIRECT_SWITCH

/* Distances (up to the per-row constant |x|^2) of rows [r0, r0+m) into the
 * k x m column-major block G (G[j + i*ld]); returns the status of the GEMM. */
static mutinf_status gemm_block(const mutinf__km_data *X, const mutinf__km_work *w, int64_t k,
                                int64_t ksub, int64_t r0, int64_t m, void *G)
{
    int64_t d = X->d;
    mutinf_status st = MUTINF_OK;
    for (int64_t j0 = 0; j0 < k && st == MUTINF_OK; j0 += ksub) {
        int64_t kb = k - j0 < ksub ? k - j0 : ksub;
        if (X->x64 != NULL)
            st = mutinf__gemm('T', 'N', kb, m, d, 1.0, w->cpack + j0 * d, d, X->x64 + r0 * d, d,
                              0.0, (double *)G + j0, k);
        else
            st = mutinf__sgemm('T', 'N', kb, m, d, 1.0f, w->cpack32 + j0 * d, d, X->x32 + r0 * d, d,
                               0.0f, (float *)G + j0, k);
    }
    return st;
}

/* Arg-min over the k centroids of one row of a distance block, lowest
 * index on ties: four (eight for float) lanes each keep their first
 * minimum, then the lanes are merged by value and index, which gives the
 * first index of the overall minimum, exactly as a sequential scan.
 * value(j) = D[j] (direct) or cnorm[j] - 2 G[j] (GEMM form). */
typedef long long mutinf__v4l __attribute__((vector_size(32)));
typedef float mutinf__v8f __attribute__((vector_size(32)));
typedef int mutinf__v8i __attribute__((vector_size(32)));

static inline int32_t argmin64(const double *G, const double *cnorm, int64_t k)
{
    int64_t j = 0;
    int32_t best = 0;
    double bd = INFINITY;
    if (k >= 8) {
        mutinf__v4d vb, v, c;
        memcpy(&vb, G, sizeof(vb));
        if (cnorm != NULL) {
            memcpy(&c, cnorm, sizeof(c));
            vb = c - 2.0 * vb;
        }
        mutinf__v4l ib = {0, 1, 2, 3}, iv = {4, 5, 6, 7};
        const mutinf__v4l four = {4, 4, 4, 4};
        for (j = 4; j + 4 <= k; j += 4) {
            memcpy(&v, G + j, sizeof(v));
            if (cnorm != NULL) {
                memcpy(&c, cnorm + j, sizeof(c));
                v = c - 2.0 * v;
            }
            mutinf__v4l lt = v < vb;
            vb = (mutinf__v4d)(((mutinf__v4l)v & lt) | ((mutinf__v4l)vb & ~lt));
            ib = (iv & lt) | (ib & ~lt);
            iv += four;
        }
        for (int q = 0; q < 4; q++)
            if (vb[q] < bd || (vb[q] == bd && ib[q] < best)) {
                bd = vb[q];
                best = (int32_t)ib[q];
            }
    }
    for (; j < k; j++) {
        double v = cnorm != NULL ? cnorm[j] - 2.0 * G[j] : G[j];
        if (v < bd) {
            bd = v;
            best = (int32_t)j;
        }
    }
    return best;
}

/* argmin32 also gives the smallest value (*first) and the second smallest
 * (*second, counting equal values twice): each lane keeps its two smallest,
 * and the second overall is the best lane's second or another lane's first.
 * The label is exactly argmin32's. */
static inline int32_t argmin32(const float *G, const float *cnorm, int64_t k, float *first,
                               float *second)
{
    int64_t j = 0;
    int32_t best = 0;
    float bd = INFINITY, sd = INFINITY;
    if (k >= 16) {
        mutinf__v8f vb,
            vs = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY},
            v, c;
        memcpy(&vb, G, sizeof(vb));
        memcpy(&c, cnorm, sizeof(c));
        vb = c - 2.0f * vb;
        mutinf__v8i ib = {0, 1, 2, 3, 4, 5, 6, 7}, iv = {8, 9, 10, 11, 12, 13, 14, 15};
        const mutinf__v8i eight = {8, 8, 8, 8, 8, 8, 8, 8};
        for (j = 8; j + 8 <= k; j += 8) {
            memcpy(&v, G + j, sizeof(v));
            memcpy(&c, cnorm + j, sizeof(c));
            v = c - 2.0f * v;
            mutinf__v8i lt = v < vb;
            /* the lane's second: the larger of v and its old first, if smaller */
            mutinf__v8i hi = (lt & (mutinf__v8i)vb) | (~lt & (mutinf__v8i)v);
            mutinf__v8i ls = (mutinf__v8f)hi < vs;
            vs = (mutinf__v8f)((ls & hi) | (~ls & (mutinf__v8i)vs));
            vb = (mutinf__v8f)(((mutinf__v8i)v & lt) | ((mutinf__v8i)vb & ~lt));
            ib = (iv & lt) | (ib & ~lt);
            iv += eight;
        }
        int qbest = 0;
        for (int q = 0; q < 8; q++)
            if (vb[q] < bd || (vb[q] == bd && ib[q] < best)) {
                bd = vb[q];
                best = ib[q];
                qbest = q;
            }
        for (int q = 0; q < 8; q++) {
            float other = q == qbest ? vs[q] : vb[q];
            sd = other < sd ? other : sd;
        }
    }
    for (; j < k; j++) {
        float v = cnorm[j] - 2.0f * G[j];
        if (v < bd) {
            sd = bd;
            bd = v;
            best = (int32_t)j;
        } else if (v < sd) {
            sd = v;
        }
    }
    *first = bd;
    *second = sd;
    return best;
}

/* Float data, dot-product mode: the float value cnorm32[j] - 2 G[j] of a
 * row decides its label only when every other centroid's float value lies
 * beyond t = (smallest value) + tol, tol being twice the bound E on how far
 * a float value can be from the value cnorm[j] - 2 x.c_j of the double
 * kernel (mutinf__km_dots64: one FMA chain over the features in order)
 * plus the rounding of t itself (settle_tol()).  Otherwise settle32()
 * recomputes the candidates below t with exactly that double arithmetic,
 * and the first minimum among them is the label -- the label the double fit
 * gives for the same values, since every other centroid is certified
 * farther.  So a float fit follows the double fit of its data exactly. */
__attribute__((target("avx2,fma"), noinline)) static int32_t
settle32(const float *x, int64_t d, const float *G, const float *cnorm32, const double *centers,
         const double *cnorm, int64_t k, float t)
{
    double bv = INFINITY;
    int32_t label = 0;
    for (int64_t j = 0; j < k; j++) {
        if (cnorm32[j] - 2.0f * G[j] > t) continue; /* certified farther */
        const double *c = centers + j * d;
        /* the double kernel's own instruction (broadcast x times a vector
         * of centroid values, added), so that the sums agree wherever that
         * instruction runs, emulators included; lane 0 is the dot product */
        __m256d g = _mm256_setzero_pd();
        for (int64_t f = 0; f < d; f++)
            g = _mm256_fmadd_pd(_mm256_set1_pd((double)x[f]), _mm256_set1_pd(c[f]), g);
        double val = cnorm[j] - 2.0 * _mm256_cvtsd_f64(g);
        if (val < bv) {
            bv = val;
            label = (int32_t)j;
        }
    }
    return label;
}

/* The tolerance of settle32() for rows of norm <= xmax and centroids of
 * norm <= cmax: twice E, with u = 2^-24, v = 2^-53, g(d, u) = d u / (1 - d u):
 *   float product:  |G_j - x.c_j| <= (g(d,u)(1+u) + u) |x||c|
 *                   (the FMA chain, plus c rounded to float);
 *   float norm:     |cnorm32_j - |c_j|^2| <= 3.01 u |c|^2;
 *   float value:    one rounding, <= 1.01 u (|c|^2 + 2|x||c|);
 *   double value:   g(d,v) |x||c| twice (the chain), g(d,v) |c|^2 (the norm
 *                   sum) and 1.01 v (|c|^2 + 2|x||c|) (the subtraction);
 * all times 1.01 for the rounding of the bound itself.  Infinite when d u
 * is too large for the bound. */
static double settle_tol(int64_t d, double xmax, double cmax)
{
    const double u = 0x1p-24, v = 0x1p-53;
    double du = (double)d * u, dv = (double)d * v;
    if (!(du < 0.01)) return INFINITY;
    double gu = du / (1.0 - du), gv = dv / (1.0 - dv);
    double xc = xmax * cmax, cc = cmax * cmax;
    double e = xc * (2.0 * (gu * (1.0 + u) + u) + 2.02 * u + 2.0 * gv + 2.02 * v) +
               cc * (3.01 * u + 1.01 * u + gv + 1.01 * v);
    /* Twice 2E: t = first + tol is summed in float, which loses at most
     * u (|first| + tol) <= 2E, |first| being at most |c|^2 + 2|x||c|.  Float
     * values that might overflow give no bound. */
    if (!(xc < 1e30 && cc < 1e30)) return INFINITY;
    return 4.0 * 1.01 * e;
}

void mutinf__km_pack_centers(const mutinf__km_data *X, const mutinf__km_plan *plan,
                             mutinf__km_work *w, int64_t k, const double *centers)
{
    int64_t d = X->d;
    if (plan->mode == MUTINF__KM_DIRECT) {
        int64_t kp = round_up(k, 4);
        for (int64_t f = 0; f < d; f++) {
            for (int64_t j = 0; j < k; j++)
                w->cpack[f * kp + j] = centers[j * d + f];
            for (int64_t j = k; j < kp; j++)
                w->cpack[f * kp + j] = INFINITY; /* padding: distance +inf */
        }
        return;
    }
    for (int64_t j = 0; j < k; j++) {
        double s = 0.0;
        for (int64_t f = 0; f < d; f++)
            s += centers[j * d + f] * centers[j * d + f];
        w->cnorm[j] = s;
    }
    /* the double centroids also serve float data: settle32() re-decides
     * close rows with them */
    memcpy(w->cpack, centers, (size_t)(k * d) * sizeof(double));
    if (X->x32 != NULL && plan->mode == MUTINF__KM_DOTS) { /* settle32()'s tolerance, rounded up */
        double cmax = 0.0;
        for (int64_t j = 0; j < k; j++)
            cmax = w->cnorm[j] > cmax ? w->cnorm[j] : cmax;
        double t = settle_tol(d, w->xmax32, sqrt(cmax));
        w->tol32 = (float)t;
        if ((double)w->tol32 < t) w->tol32 = nextafterf(w->tol32, INFINITY);
    }
    if (X->x32 != NULL) {
        for (int64_t j = 0; j < k * d; j++)
            w->cpack32[j] = (float)centers[j];
        for (int64_t j = 0; j < k; j++) {
            double s = 0.0;
            for (int64_t f = 0; f < d; f++) {
                double c = (double)w->cpack32[j * d + f];
                s += c * c;
            }
            w->cnorm32[j] = (float)s;
        }
    }
    if (plan->mode == MUTINF__KM_DOTS)
        mutinf__km_pack_panels(centers, k, d, w->panel64, w->panel32);
}

/* Labels of rows [r0, r1) given distance rows already computed for them in a
 * block starting at row g0 (split mode), or computed here chunk by chunk
 * (direct and fused modes) in the thread scratch `scratch`. */
__attribute__((target_clones("arch=x86-64-v3", "default"))) static mutinf_status
label_rows(const mutinf__km_data *X, const mutinf__km_plan *plan, const mutinf__km_work *w,
           int64_t k, int64_t r0, int64_t r1, void *scratch, size_t tid, int32_t *labels,
           double *sums, int64_t *counts, int64_t *changed)
{
    int64_t d = X->d, kp = round_up(k, 4);
    int lanes = plan->mode == MUTINF__KM_DIRECT && mutinf__cpu_has_avx2_fma();
    /* float data with the library's own kernels: labels of the double kernel */
    int settle = plan->mode == MUTINF__KM_DOTS && X->x32 != NULL;
    size_t rowpack = (size_t)(mutinf__km_dots_pack_rows(plan->chunk) * d) * tid;
    for (int64_t c0 = r0; c0 < r1; c0 += plan->chunk) {
        int64_t m = r1 - c0 < plan->chunk ? r1 - c0 : plan->chunk;
        const void *G;
        if (lanes) {
            /* points in lanes (kmeans_lanes.c): the same distances, so the
             * same labels, as mutinf__km_direct_labels, and the same bookkeeping */
            mutinf__km_lanes_assign(X, c0, m, w->cpack, k, kp, labels, sums, counts, changed);
            continue;
        }
        if (plan->mode == MUTINF__KM_DIRECT) {
            mutinf__km_direct_labels(X, c0, m, w->cpack, kp, (int32_t *)scratch);
            G = scratch;
        } else if (plan->mode == MUTINF__KM_DOTS) {
            if (X->x64 != NULL)
                mutinf__km_dots64(X->x64 + c0 * d, m, d, w->panel64, k, w->rowpack64 + rowpack,
                                  (double *)scratch);
            else
                mutinf__km_dots32(X->x32 + c0 * d, m, d, w->panel32, k, w->rowpack32 + rowpack,
                                  (float *)scratch);
            G = scratch;
        } else if (plan->mode == MUTINF__KM_FUSED) {
            mutinf_status st = gemm_block(X, w, k, plan->ksub, c0, m, scratch);
            if (st != MUTINF_OK) return st;
            G = scratch;
        } else {
            /* split mode: the panel holds rows from a multiple of super_rows */
            int64_t off = (c0 % plan->super_rows) * k;
            G = X->x64 != NULL ? (const void *)(w->gbuf + off) : (const void *)(w->gbuf32 + off);
        }
        for (int64_t i = 0; i < m; i++) {
            int32_t lab;
            float first = 0.0f, second = 0.0f;
            if (plan->mode == MUTINF__KM_DIRECT)
                lab = ((const int32_t *)G)[i];
            else if (X->x64 != NULL)
                lab = argmin64((const double *)G + i * k, w->cnorm, k);
            else
                lab = argmin32((const float *)G + i * k, w->cnorm32, k, &first, &second);
            if (settle && !(second > first + w->tol32)) /* also when it is infinite */
                lab = settle32(X->x32 + (c0 + i) * d, d, (const float *)G + i * k, w->cnorm32,
                               w->cpack, w->cnorm, k, first + w->tol32);
            int64_t row = c0 + i;
            if (labels[row] != lab) {
                (*changed)++;
                labels[row] = lab;
            }
            if (sums != NULL) {
                mutinf__km_add_row(X, row, sums + (int64_t)lab * d);
                counts[lab]++;
            }
        }
    }
    return MUTINF_OK;
}

static void accumulate_rows(const mutinf__km_data *X, int64_t r0, int64_t r1, const int32_t *labels,
                            double *sums, int64_t *counts)
{
    for (int64_t i = r0; i < r1; i++) {
        mutinf__km_add_row(X, i, sums + (int64_t)labels[i] * X->d);
        counts[labels[i]]++;
    }
}

mutinf_status mutinf__km_assign(const mutinf__km_data *X, const mutinf__km_plan *plan,
                                mutinf__km_work *w, int64_t k, const double *centers,
                                int32_t *labels, double *sums, int64_t *counts, int64_t *changed)
{
    int64_t n = X->n, d = X->d, kp = round_up(k, 4), nb = plan->n_blocks;
    int with_sums = sums != NULL;
    mutinf_status status = MUTINF_OK;
    mutinf__km_pack_centers(X, plan, w, k, centers);
    if (with_sums) {
        memset(w->block_sums, 0, (size_t)(nb * k * d) * sizeof(double));
        memset(w->block_counts, 0, (size_t)(nb * k) * sizeof(int64_t));
    }
    memset(w->block_changed, 0, (size_t)nb * sizeof(int64_t));

    if (plan->mode != MUTINF__KM_SPLIT) {
        size_t per_thread = (size_t)(plan->chunk * kp);
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan->threads)
        for (int64_t b = 0; b < nb; b++) {
#ifdef _OPENMP
            size_t tid = (size_t)omp_get_thread_num();
#else
            size_t tid = 0;
#endif
            void *scratch = X->x64 != NULL || plan->mode == MUTINF__KM_DIRECT
                                ? (void *)(w->gbuf + tid * per_thread)
                                : (void *)(w->gbuf32 + tid * per_thread);
            int64_t r0 = b * plan->block_rows;
            int64_t r1 = r0 + plan->block_rows < n ? r0 + plan->block_rows : n;
            mutinf_status st =
                label_rows(X, plan, w, k, r0, r1, scratch, tid, labels,
                           with_sums ? w->block_sums + b * k * d : NULL,
                           with_sums ? w->block_counts + b * k : NULL, w->block_changed + b);
            if (st != MUTINF_OK) {
#pragma omp critical(mutinf_km_status)
                status = st;
            }
        }
    } else {
        for (int64_t s0 = 0; s0 < n && status == MUTINF_OK; s0 += plan->super_rows) {
            int64_t s1 = s0 + plan->super_rows < n ? s0 + plan->super_rows : n;
            /* Large GEMM outside the parallel region: BLAS may use its threads. */
            status = gemm_block(X, w, k, k, s0, s1 - s0,
                                X->x64 != NULL ? (void *)w->gbuf : (void *)w->gbuf32);
            if (status != MUTINF_OK) break;
            /* The argmin and the sums run on this thread: between two
             * BLAS-threaded GEMMs, an OpenMP team would spin on the cores
             * BLAS needs (measured: a third of the time lost), and these
             * passes are a small part of the GEMM's work. */
            int64_t pieces = (s1 - s0 + plan->chunk - 1) / plan->chunk;
            for (int64_t p = 0; p < pieces; p++) {
                int64_t r0 = s0 + p * plan->chunk;
                int64_t r1 = r0 + plan->chunk < s1 ? r0 + plan->chunk : s1;
                int64_t ch = 0;
                (void)label_rows(X, plan, w, k, r0, r1, NULL, 0, labels, NULL, NULL, &ch);
                /* split pieces never straddle blocks (block_rows is a multiple of chunk) */
                w->block_changed[r0 / plan->block_rows] += ch;
            }
        }
        if (status == MUTINF_OK && with_sums) {
            for (int64_t b = 0; b < nb; b++) {
                int64_t r0 = b * plan->block_rows;
                int64_t r1 = r0 + plan->block_rows < n ? r0 + plan->block_rows : n;
                accumulate_rows(X, r0, r1, labels, w->block_sums + b * k * d,
                                w->block_counts + b * k);
            }
        }
    }
    if (status != MUTINF_OK) return status;
    mutinf__km_reduce_blocks(plan, w, k, d, sums, counts, changed);
    return MUTINF_OK;
}

void mutinf__km_reduce_blocks(const mutinf__km_plan *plan, const mutinf__km_work *w, int64_t k,
                              int64_t d, double *sums, int64_t *counts, int64_t *changed)
{
    int64_t nb = plan->n_blocks, ch = 0;
    for (int64_t b = 0; b < nb; b++)
        ch += w->block_changed[b];
    if (changed != NULL) *changed = ch;
    if (sums != NULL) {
        /* Block sums in block order: the same order for every thread count. */
        memcpy(sums, w->block_sums, (size_t)(k * d) * sizeof(double));
        memcpy(counts, w->block_counts, (size_t)k * sizeof(int64_t));
        for (int64_t b = 1; b < nb; b++) {
            const double *bs = w->block_sums + b * k * d;
            const int64_t *bc = w->block_counts + b * k;
            for (int64_t e = 0; e < k * d; e++)
                sums[e] += bs[e];
            for (int64_t j = 0; j < k; j++)
                counts[j] += bc[j];
        }
    }
}

double mutinf__km_inertia(const mutinf__km_data *X, const mutinf__km_plan *plan, mutinf__km_work *w,
                          const double *centers, const int32_t *labels)
{
    int64_t n = X->n, d = X->d, nb = plan->n_blocks;
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan->threads)
    for (int64_t b = 0; b < nb; b++) {
        int64_t r0 = b * plan->block_rows;
        int64_t r1 = r0 + plan->block_rows < n ? r0 + plan->block_rows : n;
        double s = 0.0;
        for (int64_t i = r0; i < r1; i++)
            s += mutinf__km_sqdist(X, i, centers + (int64_t)labels[i] * d);
        w->block_inertia[b] = s;
    }
    double total = 0.0;
    for (int64_t b = 0; b < nb; b++)
        total += w->block_inertia[b];
    return total;
}
