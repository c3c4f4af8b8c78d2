/* k-means: the assignment pass of Hamerly's algorithm (G. Hamerly, "Making
 * k-means even faster", SIAM SDM 2010), which gives exactly the labels of
 * plain Lloyd while computing distances only for the points whose bounds do
 * not settle their label.
 *
 * Per point i with label a: an upper bound u_i >= |x_i - c_a| and a lower
 * bound l_i <= min_{j != a} |x_i - c_j|.  When the centres move by drift_j,
 * u_i grows by drift_a and l_i shrinks by the largest drift of the other
 * centres.  The label stays when u_i < l_i; otherwise the nearest centre
 * is found by plain Lloyd's kernel (with AVX2 the lane kernel, whose
 * labels are those of the exact (x - c)^2 kernel), which also gives the
 * new bounds.  Only the test's margin z_i = l_i (1 - SEPARATION) - TINY -
 * u_i (1 + SEPARATION) is stored, as a float, and decreased by (drift_a +
 * the largest other drift) (1 + SEPARATION) per pass: the label stays
 * while z_i > 0.  One float per point is half the memory that the bound
 * test streams with u and l apart; Hamerly's second test, u_i below half
 * the distance of c_a to its nearest other centre, needs u_i and settled
 * under 1 % of the points on standardised activations.  (Tightening u_i to
 * the distance to c_a first settled only a third of the failing points and
 * cost more than it saved; a second lower bound for the second nearest
 * centre settled 7 % and cost more too.)  The bound test, the reset of the
 * bounds and the sums run without branches on the data.
 *
 * Exactness in floating point: the bounds are kept as true bounds on the
 * real distances (every rounded update is widened by the relative margin
 * BOUND_EPS, which exceeds the rounding of the sums of d <= 8 squares and
 * the kernels' bound margins; a difference is widened only when positive,
 * where its rounding is relative), and a label is kept only when the bounds
 * separate its centre from every other by the relative margin SEPARATION,
 * far beyond the relative error (d + 2) 2^-53 of the exact kernel's
 * distances.  A kept label is therefore the exact kernel's strict arg-min,
 * and every other label comes from the kernel itself: the labels, hence
 * the sums (added in the same row and block order), are bit-identical to
 * those of mutinf__km_assign. */
#include <immintrin.h>
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "cpu.h"
#include "kmeans_impl.h"

#define BOUND_EPS  1e-13
#define SEPARATION 1e-12
/* Below this distance the squares may underflow: never decide there. */
#define TINY 1e-150
/* Distances beyond this (squares near overflow) are capped, so that an
 * overflowed distance still gives a true lower bound. */
#define BIG 1e154

static double widen_up(double v)
{
    return v * (1.0 + BOUND_EPS);
}
static double widen_down(double v)
{
    v = (v < BIG ? v : BIG) * (1.0 - BOUND_EPS);
    return v > 0.0 ? v : 0.0; /* branch-free: a maximum */
}

/* The margins are stored as floats, which halves the memory streamed by
 * the bound test of every pass, rounded down: min(v, 1e38) (1 - 2^-22) -
 * 1e-37 rounds to a float <= v in any rounding mode (an underflow to a
 * subnormal errs by less than 1e-37). */
#define FLOAT_DOWN (1.0 - 0x1p-22)
#define FLOAT_TINY 1e-37
#define FLOAT_BIG  1e38

static float store_down(double v)
{
    v = (v < FLOAT_BIG ? v : FLOAT_BIG) * FLOAT_DOWN - FLOAT_TINY;
    return (float)(v > 0.0 ? v : 0.0);
}

/* v rounded up to a float (the nearest float, moved up when below v; NaN
 * and infinities as they are). */
static float float_up(double v)
{
    float f = (float)v;
    return (double)f < v ? nextafterf(f, INFINITY) : f;
}

void mutinf__km_bounds_free(mutinf__km_work *w)
{
    mutinf__free(w->slack);
    mutinf__free(w->bound_centers);
    mutinf__free(w->bound_rows);
    mutinf__free(w->bound_labels);
    mutinf__free(w->bound_dist);
    mutinf__free(w->bound_dirty);
    mutinf__free(w->bound_total);
    mutinf__free(w->bound_delta);
    mutinf__free(w->bound_total_counts);
    mutinf__free(w->bound_delta_counts);
    mutinf__free(w->bound_px);
    mutinf__free(w->bound_pxx);
    w->bound_px = NULL;
    w->bound_pxx = NULL;
    w->slack = NULL;
    w->bound_total = w->bound_delta = NULL;
    w->bound_total_counts = w->bound_delta_counts = NULL;
    w->bound_centers = w->bound_dist = NULL;
    w->bound_rows = NULL;
    w->bound_labels = NULL;
    w->bound_dirty = NULL;
}

/* mutinf__km_sums_exact for d = D: the sums of |x| per feature, then
 * whether every value is a multiple of 2^-g_f, g_f = 50 - ilogb(sum_f), so
 * that sum_f 2^g_f < 2^51 (the computed sum errs by a factor below
 * 1 + n 2^-53, far within the margin to 2^53).  x == rint(x 2^g) 2^-g also
 * rejects a value that would underflow when scaled. */
static inline __attribute__((always_inline)) int sums_exact_body(const mutinf__km_data *X,
                                                                 const int64_t D, const int IS64)
{
    const int64_t n = X->n;
    double s[MUTINF__KM_DIRECT_MAX_D] = {0}, up[MUTINF__KM_DIRECT_MAX_D],
           down[MUTINF__KM_DIRECT_MAX_D];
    for (int64_t i = 0; i < n; i++)
        for (int64_t f = 0; f < D; f++)
            s[f] += fabs(IS64 ? X->x64[i * D + f] : (double)X->x32[i * D + f]);
    for (int64_t f = 0; f < D; f++) {
        if (!isfinite(s[f])) return 0; /* also NaN */
        int g = s[f] > 0.0 ? 50 - ilogb(s[f]) : 0;
        up[f] = ldexp(1.0, g);
        down[f] = ldexp(1.0, -g);
    }
    int off = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t f = 0; f < D; f++) {
            double v = IS64 ? X->x64[i * D + f] : (double)X->x32[i * D + f];
            off |= v != rint(v * up[f]) * down[f];
        }
    return !off;
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) int
mutinf__km_sums_exact(const mutinf__km_data *X)
{
#define MUTINF__EXACT_CASE(D)                                                                      \
    case D:                                                                                        \
        return X->x64 != NULL ? sums_exact_body(X, D, 1) : sums_exact_body(X, D, 0);
    switch (X->d) {
        MUTINF__EXACT_CASE(1)
        MUTINF__EXACT_CASE(2)
        MUTINF__EXACT_CASE(3)
        MUTINF__EXACT_CASE(4)
        MUTINF__EXACT_CASE(5)
        MUTINF__EXACT_CASE(6)
        MUTINF__EXACT_CASE(7)
        MUTINF__EXACT_CASE(8)
    default:
        return 0;
    }
#undef MUTINF__EXACT_CASE
}

static mutinf_status alloc_bounds(const mutinf__km_data *X, const mutinf__km_plan *plan,
                                  mutinf__km_work *w, int64_t k)
{
    if (w->slack != NULL) return MUTINF_OK;
    size_t n = (size_t)X->n, scratch = (size_t)plan->threads * (size_t)plan->chunk;
    w->slack = mutinf__alloc(n, sizeof(float), 0, "k-means bounds");
    w->bound_centers =
        mutinf__alloc((size_t)(k * X->d) + 4 * (size_t)k, sizeof(double), 0, "k-means drifts");
    w->bound_rows = mutinf__alloc(3 * scratch, sizeof(int64_t), 0, "k-means bound scratch");
    w->bound_labels = mutinf__alloc(scratch, sizeof(int32_t), 0, "k-means bound scratch");
    w->bound_dist = mutinf__alloc(2 * scratch, sizeof(double), 0, "k-means bound scratch");
    w->bound_dirty = mutinf__alloc((size_t)plan->threads * (size_t)k, 1, 0, "k-means bound flags");
    size_t kd = (size_t)(k * X->d), th = (size_t)plan->threads;
    w->bound_total = mutinf__alloc(kd, sizeof(double), 0, "k-means exact sums");
    w->bound_delta = mutinf__alloc(th * kd, sizeof(double), 0, "k-means exact sums");
    w->bound_total_counts = mutinf__alloc((size_t)k, sizeof(int64_t), 0, "k-means exact sums");
    w->bound_delta_counts = mutinf__alloc(th * (size_t)k, sizeof(int64_t), 0, "k-means exact sums");
    if (!w->slack || !w->bound_centers || !w->bound_rows || !w->bound_labels || !w->bound_dist ||
        !w->bound_dirty || !w->bound_total || !w->bound_delta || !w->bound_total_counts ||
        !w->bound_delta_counts) {
        mutinf__km_bounds_free(w);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    if (mutinf__cpu_has_avx2_fma()) {
        w->bound_px =
            mutinf__alloc(n, MUTINF__KM_DIRECT_MAX_D * sizeof(float), 0, "k-means packed rows");
        w->bound_pxx = mutinf__alloc(n, sizeof(double), 0, "k-means packed rows");
        if (w->bound_px == NULL || w->bound_pxx == NULL) {
            mutinf__km_bounds_free(w);
            return MUTINF_ERR_OUT_OF_MEMORY;
        }
        mutinf__km_lanes_pack_rows(X, w->bound_px, w->bound_pxx);
    }
    w->bounds_valid = 0;
    w->exact_sums = mutinf__km_sums_exact(X);
    return MUTINF_OK;
}

/* The bounds of one block, passed by value to the kernels. */
typedef struct bound_pass {
    const float *dec; /* k: the decrease of the margin of a point in cluster j,
                         rounded up to a float */
    int64_t k;
    const mutinf__km_f32_tables *tab; /* the lane kernel's tables of the centres */
} bound_pass;

/* Row i added to the sum (sums, k x D) and count of cluster a; four
 * features at a time (each feature's sum still takes the rows in order). */
typedef double mutinf__h4d __attribute__((vector_size(32)));
static inline __attribute__((always_inline)) void add_row(const mutinf__km_data *X, int64_t i,
                                                          int32_t a, double *sums, int64_t *counts,
                                                          const int64_t D, const int IS64)
{
    double *sj = sums + (int64_t)a * D;
    int64_t f = 0;
    if (IS64)
        for (; f + 4 <= D; f += 4) {
            mutinf__h4d s, x;
            memcpy(&s, sj + f, sizeof s);
            memcpy(&x, X->x64 + i * D + f, sizeof x);
            s += x;
            memcpy(sj + f, &s, sizeof s);
        }
    for (; f < D; f++)
        sj[f] += IS64 ? X->x64[i * D + f] : (double)X->x32[i * D + f];
    counts[a]++;
}

/* Row i taken out of the sum and count of cluster a. */
static inline __attribute__((always_inline)) void sub_row(const mutinf__km_data *X, int64_t i,
                                                          int32_t a, double *sums, int64_t *counts,
                                                          const int64_t D, const int IS64)
{
    double *sj = sums + (int64_t)a * D;
    for (int64_t f = 0; f < D; f++)
        sj[f] -= IS64 ? X->x64[i * D + f] : (double)X->x32[i * D + f];
    counts[a]--;
}

/* The bound test in single precision: z = (slack - dec_a) (1 - 2^-21),
 * each operation rounded to float.  With dec_a rounded up, z is a lower
 * bound on the true margin in any rounding mode: for a positive
 * difference the two roundings gain at most a factor (1 + 2^-23)^2 <
 * 1 / (1 - 2^-21), and a difference in the subnormal range is exact (so
 * is not rounded up by the product). */
#define SHRINK_F32 (1.0f - 0x1p-21f)

/* The bound test of rows [c0, c1) (bounds valid): the margins moved by
 * the drifts and stored, and the rows whose margin is gone (or that have
 * no label) appended to `rows`; returns their number.  Branch-free. */
static int64_t filter_rows(const bound_pass *bp, const int32_t *labels, float *slack, int64_t c0,
                           int64_t c1, int64_t *rows)
{
    int64_t m = 0;
    for (int64_t i = c0; i < c1; i++) {
        int32_t a = labels[i], a0 = a < 0 ? 0 : a;
        float z = (slack[i] - bp->dec[a0]) * SHRINK_F32;
        slack[i] = z > 0.0f ? z : 0.0f; /* also 0 for NaN */
        rows[m] = i;
        m += a < 0 || !(z > 0.0f);
    }
    return m;
}

/* For each 4-bit mask, the positions of its set bits (then zeros): the
 * failing rows of four, packed by one table look-up. */
static const int64_t set_bits4[16][4] __attribute__((aligned(32))) = {
    {0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {2, 0, 0, 0}, {0, 2, 0, 0},
    {1, 2, 0, 0}, {0, 1, 2, 0}, {3, 0, 0, 0}, {0, 3, 0, 0}, {1, 3, 0, 0}, {0, 1, 3, 0},
    {2, 3, 0, 0}, {0, 2, 3, 0}, {1, 2, 3, 0}, {0, 1, 2, 3}};

/* dec[a] of eight labels a in [0, k): two in-register permutations for
 * k <= 16 (the k-means quantizer's bins), else a gather. */
__attribute__((target("avx2,fma"))) static inline __m256 lookup8(const bound_pass *bp, __m256i a,
                                                                 __m256 lo, __m256 hi)
{
    if (bp->k > 16) return _mm256_i32gather_ps(bp->dec, a, 4);
    __m256 vlo = _mm256_permutevar8x32_ps(lo, a), vhi = _mm256_permutevar8x32_ps(hi, a);
    return _mm256_blendv_ps(vlo, vhi,
                            _mm256_castsi256_ps(_mm256_cmpgt_epi32(a, _mm256_set1_epi32(7))));
}

/* filter_rows with AVX2, eight rows at a time: the same numbers.  The
 * failing rows of each four are written as four indices at once, of which
 * the first (their number) count: never past the rows tested so far. */
__attribute__((target("avx2,fma"))) static int64_t filter_rows_avx2(const bound_pass *bp,
                                                                    const int32_t *labels,
                                                                    float *slack, int64_t c0,
                                                                    int64_t c1, int64_t *rows)
{
    const __m256 zero = _mm256_setzero_ps(), shrink = _mm256_set1_ps(SHRINK_F32);
    const __m256i zero32 = _mm256_setzero_si256();
    __m256 lo = _mm256_setzero_ps(), hi = lo;
    if (bp->k <= 16) {
        float t[16] = {0.0f};
        for (int64_t j = 0; j < bp->k; j++)
            t[j] = bp->dec[j];
        lo = _mm256_loadu_ps(t);
        hi = _mm256_loadu_ps(t + 8);
    }
    int64_t m = 0, i = c0;
    for (; i + 8 <= c1; i += 8) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(labels + i));
        __m256 dec = lookup8(bp, _mm256_max_epi32(a, zero32), lo, hi);
        __m256 z = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(slack + i), dec), shrink);
        _mm256_storeu_ps(slack + i, _mm256_max_ps(z, zero)); /* NaN: 0 */
        __m256 ok = _mm256_cmp_ps(z, zero, _CMP_GT_OQ);
        __m256 neg = _mm256_castsi256_ps(_mm256_cmpgt_epi32(zero32, a));
        int fail = ~_mm256_movemask_ps(_mm256_andnot_ps(neg, ok)) & 255;
        for (int h = 0; h < 2; h++) {
            int bits = (fail >> (4 * h)) & 15;
            __m256i at =
                _mm256_add_epi64(_mm256_set1_epi64x(i + 4 * h),
                                 _mm256_load_si256((const __m256i *)(const void *)set_bits4[bits]));
            _mm256_storeu_si256((__m256i *)(void *)(rows + m), at);
            m += __builtin_popcount((unsigned)bits);
        }
    }
    return m + filter_rows(bp, labels, slack, i, c1, rows + m);
}

/* store_down of four values (the same numbers). */
__attribute__((target("avx2,fma"))) static inline __m128 store_down4(__m256d v)
{
    v = _mm256_mul_pd(_mm256_min_pd(v, _mm256_set1_pd(FLOAT_BIG)), _mm256_set1_pd(FLOAT_DOWN));
    v = _mm256_sub_pd(v, _mm256_set1_pd(FLOAT_TINY));
    return _mm256_cvtpd_ps(_mm256_max_pd(v, _mm256_setzero_pd()));
}

/* widen_up and widen_down of four values: v (1 + eps); min(v, BIG) (1 -
 * eps), then max(., 0), as the scalar ternaries (v < BIG ? v : BIG; v > 0 ?
 * v : 0). */
__attribute__((target("avx2,fma"))) static inline __m256d widen_up4(__m256d v)
{
    return _mm256_mul_pd(v, _mm256_set1_pd(1.0 + BOUND_EPS));
}
__attribute__((target("avx2,fma"))) static inline __m256d widen_down4(__m256d v)
{
    v = _mm256_mul_pd(_mm256_min_pd(v, _mm256_set1_pd(BIG)), _mm256_set1_pd(1.0 - BOUND_EPS));
    return _mm256_max_pd(v, _mm256_setzero_pd());
}

/* The margin of a row from its smallest (d1) and second smallest (d2)
 * squared distances: widen_down(l (1 - SEPARATION) - TINY - u (1 +
 * SEPARATION)) with u = widen_up(sqrt(d1)), l = widen_down(sqrt(d2)). */
static inline double margin(double d1, double d2)
{
    double u = widen_up(sqrt(d1)), l = widen_down(sqrt(d2));
    return widen_down((l * (1.0 - SEPARATION) - TINY) - u * (1.0 + SEPARATION));
}

/* The margins of the rows rows[q0..m). */
static void reset_bounds(const int64_t *rows, int64_t q0, int64_t m, const double *d1,
                         const double *d2, float *slack)
{
    for (int64_t q = q0; q < m; q++)
        slack[rows[q]] = store_down(margin(d1[q], d2[q]));
}

/* reset_bounds with AVX2, four rows at a time: the same numbers (the
 * square root is correctly rounded in both). */
__attribute__((target("avx2,fma"))) static void
reset_bounds_avx2(const int64_t *rows, int64_t m, const double *d1, const double *d2, float *slack)
{
    const __m256d sep_up = _mm256_set1_pd(1.0 + SEPARATION),
                  sep_down = _mm256_set1_pd(1.0 - SEPARATION), tiny = _mm256_set1_pd(TINY);
    int64_t q = 0;
    for (; q + 4 <= m; q += 4) {
        __m256d u = widen_up4(_mm256_sqrt_pd(_mm256_loadu_pd(d1 + q)));
        __m256d l = widen_down4(_mm256_sqrt_pd(_mm256_loadu_pd(d2 + q)));
        __m256d z = _mm256_sub_pd(_mm256_sub_pd(_mm256_mul_pd(l, sep_down), tiny),
                                  _mm256_mul_pd(u, sep_up));
        float zs[4];
        _mm_storeu_ps(zs, store_down4(widen_down4(z)));
        for (int e = 0; e < 4; e++)
            slack[rows[q + e]] = zs[e];
    }
    reset_bounds(rows, q, m, d1, d2, slack);
}

/* Asks for row rows[q] (when q < m) ahead of its use: picked out of the
 * data, such rows defeat the processor's own prefetching. */
static inline void prefetch_row(const mutinf__km_data *X, const int64_t *rows, int64_t q, int64_t m)
{
    if (q >= m) return;
    if (X->x64 != NULL)
        __builtin_prefetch(X->x64 + rows[q] * X->d);
    else
        __builtin_prefetch(X->x32 + rows[q] * X->d);
}

/* The rows of the chunk starting at c0 (block end r1) whose bounds fail
 * (every row without valid bounds) into rows; returns their number.  The
 * picked rows are asked for from memory. */
static inline __attribute__((always_inline)) int64_t
pick_rows(const mutinf__km_data *X, const float *px, const bound_pass *bp, const int32_t *labels,
          float *slack, int valid, int lanes, int64_t c0, int64_t r1, int64_t chunk, int64_t *rows)
{
    int64_t c1 = r1 - c0 < chunk ? r1 : c0 + chunk, m = 0;
    if (!valid) {
        for (int64_t i = c0; i < c1; i++)
            rows[m++] = i;
        return m;
    }
    m = lanes ? filter_rows_avx2(bp, labels, slack, c0, c1, rows)
              : filter_rows(bp, labels, slack, c0, c1, rows);
    /* the kernel reads the packed rows where there are any */
    for (int64_t q = 0; q < m; q++)
        if (px != NULL)
            __builtin_prefetch(px + rows[q] * MUTINF__KM_DIRECT_MAX_D);
        else
            prefetch_row(X, rows, q, m);
    return m;
}

/* Labels of rows [r0, r1) of one block, and their sums in row order; the
 * body specialised for each d <= 8 and precision (D, IS64) so that the
 * loops over features unroll. */
static inline __attribute__((always_inline)) void
bounded_rows_body(const mutinf__km_data *X, const mutinf__km_plan *plan, mutinf__km_work *w,
                  int64_t k, const bound_pass *bp, int64_t r0, int64_t r1, size_t tid,
                  int32_t *labels, double *sums, int64_t *counts, double *delta,
                  int64_t *delta_counts, int64_t *changed, const int64_t D, const int IS64)
{
    int64_t kp = (k + 3) / 4 * 4, chunk = plan->chunk;
    int64_t *rows = w->bound_rows + 3 * tid * (size_t)chunk, *next_rows = rows + chunk;
    int64_t *moved = rows + 2 * chunk;
    int32_t *lab = w->bound_labels + tid * (size_t)chunk;
    double *d1 = w->bound_dist + 2 * tid * (size_t)chunk, *d2 = d1 + chunk;
    float *slack = w->slack;
    int valid = w->bounds_valid, lanes = mutinf__cpu_has_avx2_fma();
    unsigned char *dirty = w->bound_dirty + tid * (size_t)k;
    /* without the block sums of a previous pass: every sum from scratch */
    int full = !valid || !w->bound_sums_valid, any_dirty = full;
    memset(dirty, 0, (size_t)k);
    /* The rows of the next chunk are picked (and asked for) before the
     * distances of this chunk's are computed, so that they arrive while
     * the kernel runs: picked out of the data, they defeat the processor's
     * own prefetching. */
    int64_t next_m =
        pick_rows(X, w->bound_px, bp, labels, slack, valid, lanes, r0, r1, chunk, next_rows);
    for (int64_t c0 = r0; c0 < r1; c0 += chunk) {
        int64_t c1 = r1 - c0 < chunk ? r1 : c0 + chunk, m = next_m;
        int64_t *swap = rows;
        rows = next_rows;
        next_rows = swap;
        if (c1 < r1)
            next_m = pick_rows(X, w->bound_px, bp, labels, slack, valid, lanes, c1, r1, chunk,
                               next_rows);
        if (lanes)
            mutinf__km_lanes_nearest(X, rows, m, w->cpack, k, kp, bp->tab, w->bound_px,
                                     w->bound_pxx, lab, d1, d2);
        else
            mutinf__km_direct_nearest(X, rows, m, w->cpack, kp, lab, d1, d2);
        /* The rows that change cluster, picked out without branches, are
         * read again for the sums: asked for together, before the bounds
         * are reset. */
        int64_t n_moved = 0;
        for (int64_t q = 0; q < m; q++) {
            moved[n_moved] = q;
            n_moved += labels[rows[q]] != lab[q];
        }
        if (delta != NULL)
            for (int64_t e = 0; e < n_moved; e++)
                prefetch_row(X, rows, moved[e], m);
        if (lanes)
            reset_bounds_avx2(rows, m, d1, d2, slack);
        else
            reset_bounds(rows, 0, m, d1, d2, slack);
        *changed += n_moved;
        any_dirty |= n_moved > 0;
        for (int64_t e = 0; e < n_moved; e++) {
            int64_t q = moved[e], i = rows[q];
            if (delta != NULL) {
                /* exact sums: the point moves from one sum to the other */
                sub_row(X, i, labels[i], delta, delta_counts, D, IS64);
                add_row(X, i, lab[q], delta, delta_counts, D, IS64);
            }
            if (labels[i] >= 0) dirty[labels[i]] = 1;
            dirty[lab[q]] = 1;
            labels[i] = lab[q];
        }
    }
    if (sums == NULL || !any_dirty) return;
    /* The block's sums of the clusters that gained or lost a point, in row
     * order from zero as mutinf__km_assign computes them; the others are
     * those of the previous pass, bit for bit.  The rows of the dirty
     * clusters are picked out first, without branches, so that only those
     * rows are read (each row of 8 doubles is a cache line). */
    int64_t n_dirty = 0;
    for (int64_t j = 0; j < k; j++)
        n_dirty += dirty[j];
    if (full || n_dirty == k) {
        memset(sums, 0, (size_t)(k * D) * sizeof(double));
        memset(counts, 0, (size_t)k * sizeof(int64_t));
        for (int64_t i = r0; i < r1; i++)
            add_row(X, i, labels[i], sums, counts, D, IS64);
        return;
    }
    for (int64_t j = 0; j < k; j++)
        if (dirty[j]) {
            memset(sums + j * D, 0, (size_t)D * sizeof(double));
            counts[j] = 0;
        }
    for (int64_t c0 = r0; c0 < r1; c0 += chunk) {
        int64_t c1 = r1 - c0 < chunk ? r1 : c0 + chunk, m = 0;
        for (int64_t i = c0; i < c1; i++) {
            rows[m] = i;
            m += dirty[labels[i]];
        }
        for (int64_t q = 0; q < m; q++) {
            prefetch_row(X, rows, q + 16, m);
            add_row(X, rows[q], labels[rows[q]], sums, counts, D, IS64);
        }
    }
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) static void
bounded_rows(const mutinf__km_data *X, const mutinf__km_plan *plan, mutinf__km_work *w, int64_t k,
             const bound_pass *bp, int64_t r0, int64_t r1, size_t tid, int32_t *labels,
             double *sums, int64_t *counts, double *delta, int64_t *delta_counts, int64_t *changed)
{
#define MUTINF__BOUNDED_CASE(D)                                                                    \
    case D:                                                                                        \
        if (X->x64 != NULL)                                                                        \
            bounded_rows_body(X, plan, w, k, bp, r0, r1, tid, labels, sums, counts, delta,         \
                              delta_counts, changed, D, 1);                                        \
        else                                                                                       \
            bounded_rows_body(X, plan, w, k, bp, r0, r1, tid, labels, sums, counts, delta,         \
                              delta_counts, changed, D, 0);                                        \
        break;
    switch (X->d) {
        MUTINF__BOUNDED_CASE(1)
        MUTINF__BOUNDED_CASE(2)
        MUTINF__BOUNDED_CASE(3)
        MUTINF__BOUNDED_CASE(4)
        MUTINF__BOUNDED_CASE(5)
        MUTINF__BOUNDED_CASE(6)
        MUTINF__BOUNDED_CASE(7)
    default:
        MUTINF__BOUNDED_CASE(MUTINF__KM_DIRECT_MAX_D)
    }
#undef MUTINF__BOUNDED_CASE
}

mutinf_status mutinf__km_assign_bounded(const mutinf__km_data *X, const mutinf__km_plan *plan,
                                        mutinf__km_work *w, int64_t k, const double *centers,
                                        int32_t *labels, double *sums, int64_t *counts,
                                        int64_t *changed)
{
    int64_t n = X->n, d = X->d, nb = plan->n_blocks;
    mutinf_status st = alloc_bounds(X, plan, w, k);
    if (st != MUTINF_OK) return st;
    double *prev = w->bound_centers, *drift = prev + k * d, *dec = drift + k;
    float *dec32 = (float *)(void *)(dec + k);
    /* Drift of every centre since the bounds were set (widened up), the
     * largest (of centre `far`) and the largest of the others; a margin of
     * cluster j shrinks by (drift_j + the largest other drift) (1 +
     * SEPARATION), widened up. */
    double drift_max = 0.0, drift_next = 0.0;
    int64_t far = -1;
    if (w->bounds_valid) {
        for (int64_t j = 0; j < k; j++) {
            double s = 0.0;
            for (int64_t f = 0; f < d; f++) {
                double t = centers[j * d + f] - prev[j * d + f];
                s += t * t;
            }
            drift[j] = widen_up(sqrt(s));
            if (drift[j] > drift_max) {
                drift_next = drift_max;
                drift_max = drift[j];
                far = j;
            } else if (drift[j] > drift_next) {
                drift_next = drift[j];
            }
        }
        for (int64_t j = 0; j < k; j++)
            dec[j] = widen_up(widen_up(drift[j] + (j == far ? drift_next : drift_max)) *
                              (1.0 + SEPARATION));
        for (int64_t j = 0; j < k; j++)
            dec32[j] = float_up(dec[j]);
    }
    mutinf__km_pack_centers(X, plan, w, k, centers);
    mutinf__km_f32_tables tab;
    if (mutinf__cpu_has_avx2_fma())
        mutinf__km_lanes_f32_tables(w->cpack, k, (k + 3) / 4 * 4, d, &tab);
    const bound_pass bp = {dec32, k, &tab};
    memset(w->block_changed, 0, (size_t)nb * sizeof(int64_t));
    /* With exact sums and the totals of the last pass, only the points that
     * change cluster are added and taken out (any order gives the same
     * numbers); else the block sums as mutinf__km_assign has them. */
    int incremental = sums != NULL && w->exact_sums && w->bounds_valid && w->bound_sums_valid;
    size_t th = (size_t)plan->threads;
    if (incremental) {
        memset(w->bound_delta, 0, th * (size_t)(k * d) * sizeof(double));
        memset(w->bound_delta_counts, 0, th * (size_t)k * sizeof(int64_t));
    }
    double *block_sums = sums != NULL && !incremental ? w->block_sums : NULL;
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan->threads)
    for (int64_t b = 0; b < nb; b++) {
#ifdef _OPENMP
        size_t tid = (size_t)omp_get_thread_num();
#else
        size_t tid = 0;
#endif
        int64_t r0 = b * plan->block_rows;
        int64_t r1 = r0 + plan->block_rows < n ? r0 + plan->block_rows : n;
        bounded_rows(X, plan, w, k, &bp, r0, r1, tid, labels,
                     block_sums != NULL ? block_sums + b * k * d : NULL,
                     block_sums != NULL ? w->block_counts + b * k : NULL,
                     incremental ? w->bound_delta + tid * (size_t)(k * d) : NULL,
                     incremental ? w->bound_delta_counts + tid * (size_t)k : NULL,
                     w->block_changed + b);
    }
    memcpy(prev, centers, (size_t)(k * d) * sizeof(double));
    w->bounds_valid = 1;
    w->bound_sums_valid = sums != NULL;
    if (incremental) {
        mutinf__km_reduce_blocks(plan, w, k, d, NULL, NULL, changed);
        memcpy(sums, w->bound_total, (size_t)(k * d) * sizeof(double));
        memcpy(counts, w->bound_total_counts, (size_t)k * sizeof(int64_t));
        for (size_t t = 0; t < th; t++) {
            for (int64_t e = 0; e < k * d; e++)
                sums[e] += w->bound_delta[t * (size_t)(k * d) + (size_t)e];
            for (int64_t j = 0; j < k; j++)
                counts[j] += w->bound_delta_counts[t * (size_t)k + (size_t)j];
        }
    } else {
        mutinf__km_reduce_blocks(plan, w, k, d, sums, counts, changed);
    }
    if (sums != NULL && w->exact_sums) {
        memcpy(w->bound_total, sums, (size_t)(k * d) * sizeof(double));
        memcpy(w->bound_total_counts, counts, (size_t)k * sizeof(int64_t));
    }
    return MUTINF_OK;
}
