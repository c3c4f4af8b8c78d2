/* k-means for small d (d <= MUTINF__KM_DIRECT_MAX_D): distance kernels with
 * the points in the SIMD lanes.  Four rows are transposed so that one AVX2
 * vector holds one feature of four points; each centroid's coordinates are
 * broadcast, and (x_f - c_f)^2 is accumulated over the features with a
 * separate multiply and add, in feature order.  That is exactly the
 * arithmetic of the centroid-lane kernel in kmeans_assign.c and of
 * mutinf__km_sqdist, so every distance, and so every label, is the same
 * number whichever kernel produced it.  With d <= 8 the centroid-lane
 * layout spends most of its time on the horizontal arg-min of every row;
 * here the running minimum and its index stay in the lanes (compare and
 * blend), and the features of a tile stay in registers. */
#include <immintrin.h>
#include <math.h>

#include "cpu.h"
#include "kmeans_impl.h"

#define MUTINF__LANES __attribute__((target("avx2,fma")))

/* Rows row .. row + nr - 1 (1 <= nr <= 4) as d vectors, feature-major; the
 * missing rows repeat the last one. */
MUTINF__LANES static inline __attribute__((always_inline)) void
load_tile(const mutinf__km_data *X, int64_t row, int64_t nr, const int64_t d, const int is64,
          __m256d *x)
{
    int64_t q1 = row + (nr > 1 ? 1 : 0), q2 = row + (nr > 2 ? 2 : nr - 1),
            q3 = row + (nr > 3 ? 3 : nr - 1);
    for (int64_t f = 0; f < d; f++) {
        if (is64)
            x[f] = _mm256_set_pd(X->x64[q3 * d + f], X->x64[q2 * d + f], X->x64[q1 * d + f],
                                 X->x64[row * d + f]);
        else
            x[f] = _mm256_cvtps_pd(_mm_set_ps(X->x32[q3 * d + f], X->x32[q2 * d + f],
                                              X->x32[q1 * d + f], X->x32[row * d + f]));
    }
}

/* |x - c|^2 of the four points of a tile to the point whose coordinate f
 * is c[f * stride]. */
MUTINF__LANES static inline __attribute__((always_inline)) __m256d
tile_sqdist(const __m256d *x, const double *c, int64_t stride, const int64_t d)
{
    __m256d t = _mm256_sub_pd(x[0], _mm256_broadcast_sd(c));
    __m256d acc = _mm256_mul_pd(t, t);
    for (int64_t f = 1; f < d; f++) {
        t = _mm256_sub_pd(x[f], _mm256_broadcast_sd(c + f * stride));
        acc = _mm256_add_pd(acc, _mm256_mul_pd(t, t));
    }
    return acc;
}

/* Rows per tile of the label kernel: four vectors of four points, so that
 * four independent chains (distance sums, compare, blend) are in flight per
 * centroid; one vector's chain of d dependent adds alone leaves the
 * floating-point units mostly idle. */
#define MUTINF__LANES_TILE 16

/* Rows row .. row + nr - 1 (1 <= nr <= MUTINF__LANES_TILE) transposed into
 * xt (d x MUTINF__LANES_TILE); the missing rows repeat the last one. */
static inline __attribute__((always_inline)) void transpose_tile(const mutinf__km_data *X,
                                                                 int64_t row, int64_t nr,
                                                                 const int64_t d, const int is64,
                                                                 double *xt)
{
    for (int64_t q = 0; q < MUTINF__LANES_TILE; q++) {
        int64_t r = row + (q < nr ? q : nr - 1);
        for (int64_t f = 0; f < d; f++)
            xt[f * MUTINF__LANES_TILE + q] = is64 ? X->x64[r * d + f] : (double)X->x32[r * d + f];
    }
}

/* s[f] += x[row][f] for the d features, four at a time: each sum still
 * takes the rows in order. */
MUTINF__LANES static inline __attribute__((always_inline)) void
add_row(const mutinf__km_data *X, int64_t row, double *s, const int64_t d, const int is64)
{
    int64_t f = 0;
    for (; f + 4 <= d; f += 4) {
        __m256d v = is64 ? _mm256_loadu_pd(X->x64 + row * d + f)
                         : _mm256_cvtps_pd(_mm_loadu_ps(X->x32 + row * d + f));
        _mm256_storeu_pd(s + f, _mm256_add_pd(_mm256_loadu_pd(s + f), v));
    }
    for (; f < d; f++)
        s[f] += is64 ? X->x64[row * d + f] : (double)X->x32[row * d + f];
}

/* Nearest of the k centroids (feature-major in cT, d x kp) for rows
 * [r0, r0 + m), lowest index on ties: centroids are visited in index order
 * and a lane takes a new one only when strictly closer.  (c - x)^2 is
 * (x - c)^2 exactly (a negation is exact). */
MUTINF__LANES static inline __attribute__((always_inline)) void
lanes_labels_body(const mutinf__km_data *X, int64_t r0, int64_t m, const double *cT, int64_t k,
                  int64_t kp, int32_t *lab, double *sums, int64_t *counts, int64_t *changed,
                  const int64_t d, const int is64, const int fused)
{
    const __m256d one = _mm256_set1_pd(1.0);
    double xt[MUTINF__KM_DIRECT_MAX_D * MUTINF__LANES_TILE] __attribute__((aligned(32)));
    for (int64_t i = 0; i < m; i += MUTINF__LANES_TILE) {
        int64_t nr = m - i < MUTINF__LANES_TILE ? m - i : MUTINF__LANES_TILE;
        transpose_tile(X, r0 + i, nr, d, is64, xt);
        const __m256d inf = _mm256_set1_pd(INFINITY);
        __m256d b0 = inf, b1 = inf, b2 = inf, b3 = inf;
        __m256d i0 = _mm256_setzero_pd(), i1 = i0, i2 = i0, i3 = i0, jv = i0;
        for (int64_t j = 0; j < k; j++) {
            __m256d c = _mm256_broadcast_sd(cT + j);
            __m256d t0 = _mm256_sub_pd(c, _mm256_load_pd(xt));
            __m256d t1 = _mm256_sub_pd(c, _mm256_load_pd(xt + 4));
            __m256d t2 = _mm256_sub_pd(c, _mm256_load_pd(xt + 8));
            __m256d t3 = _mm256_sub_pd(c, _mm256_load_pd(xt + 12));
            __m256d a0 = _mm256_mul_pd(t0, t0), a1 = _mm256_mul_pd(t1, t1);
            __m256d a2 = _mm256_mul_pd(t2, t2), a3 = _mm256_mul_pd(t3, t3);
            for (int64_t f = 1; f < d; f++) {
                const double *xf = xt + f * MUTINF__LANES_TILE;
                c = _mm256_broadcast_sd(cT + f * kp + j);
                t0 = _mm256_sub_pd(c, _mm256_load_pd(xf));
                t1 = _mm256_sub_pd(c, _mm256_load_pd(xf + 4));
                t2 = _mm256_sub_pd(c, _mm256_load_pd(xf + 8));
                t3 = _mm256_sub_pd(c, _mm256_load_pd(xf + 12));
                a0 = _mm256_add_pd(a0, _mm256_mul_pd(t0, t0));
                a1 = _mm256_add_pd(a1, _mm256_mul_pd(t1, t1));
                a2 = _mm256_add_pd(a2, _mm256_mul_pd(t2, t2));
                a3 = _mm256_add_pd(a3, _mm256_mul_pd(t3, t3));
            }
#define MUTINF__LANES_FOLD(a, b, ix)                                                               \
    do {                                                                                           \
        __m256d lt_ = _mm256_cmp_pd(a, b, _CMP_LT_OQ);                                             \
        b = _mm256_blendv_pd(b, a, lt_);                                                           \
        ix = _mm256_blendv_pd(ix, jv, lt_);                                                        \
    } while (0)
            MUTINF__LANES_FOLD(a0, b0, i0);
            MUTINF__LANES_FOLD(a1, b1, i1);
            MUTINF__LANES_FOLD(a2, b2, i2);
            MUTINF__LANES_FOLD(a3, b3, i3);
#undef MUTINF__LANES_FOLD
            jv = _mm256_add_pd(jv, one);
        }
        int32_t tmp[MUTINF__LANES_TILE];
        _mm_storeu_si128((__m128i *)(void *)tmp, _mm256_cvttpd_epi32(i0));
        _mm_storeu_si128((__m128i *)(void *)(tmp + 4), _mm256_cvttpd_epi32(i1));
        _mm_storeu_si128((__m128i *)(void *)(tmp + 8), _mm256_cvttpd_epi32(i2));
        _mm_storeu_si128((__m128i *)(void *)(tmp + 12), _mm256_cvttpd_epi32(i3));
        if (!fused) {
            for (int64_t q = 0; q < nr; q++)
                lab[i + q] = tmp[q];
            continue;
        }
        for (int64_t q = 0; q < nr; q++) {
            int64_t row = r0 + i + q;
            if (lab[row] != tmp[q]) {
                (*changed)++;
                lab[row] = tmp[q];
            }
            if (sums != NULL) {
                add_row(X, row, sums + (int64_t)tmp[q] * d, d, is64);
                counts[tmp[q]]++;
            }
        }
    }
}

#define MUTINF__LANES_SWITCH(CALL)                                                                 \
    switch (X->d) {                                                                                \
        MUTINF__LANES_CASE(1, CALL)                                                                \
        MUTINF__LANES_CASE(2, CALL)                                                                \
        MUTINF__LANES_CASE(3, CALL)                                                                \
        MUTINF__LANES_CASE(4, CALL)                                                                \
        MUTINF__LANES_CASE(5, CALL)                                                                \
        MUTINF__LANES_CASE(6, CALL)                                                                \
        MUTINF__LANES_CASE(7, CALL)                                                                \
    default:                                                                                       \
        if (X->x64 != NULL)                                                                        \
            CALL(MUTINF__KM_DIRECT_MAX_D, 1);                                                      \
        else                                                                                       \
            CALL(MUTINF__KM_DIRECT_MAX_D, 0);                                                      \
        break;                                                                                     \
    }
#define MUTINF__LANES_CASE(D, CALL)                                                                \
    case D:                                                                                        \
        if (X->x64 != NULL)                                                                        \
            CALL(D, 1);                                                                            \
        else                                                                                       \
            CALL(D, 0);                                                                            \
        break;

MUTINF__LANES void mutinf__km_lanes_labels(const mutinf__km_data *X, int64_t r0, int64_t m,
                                           const double *cT, int64_t k, int64_t kp, int32_t *lab){
#define MUTINF__LANES_CALL(D, IS64)                                                                \
    lanes_labels_body(X, r0, m, cT, k, kp, lab, NULL, NULL, NULL, D, IS64, 0)
    MUTINF__LANES_SWITCH(MUTINF__LANES_CALL)
#undef MUTINF__LANES_CALL
}

MUTINF__LANES void mutinf__km_lanes_assign(const mutinf__km_data *X, int64_t r0, int64_t m,
                                           const double *cT, int64_t k, int64_t kp, int32_t *labels,
                                           double *sums, int64_t *counts, int64_t *changed)
{
#define MUTINF__LANES_CALL(D, IS64)                                                                \
    lanes_labels_body(X, r0, m, cT, k, kp, labels, sums, counts, changed, D, IS64, 1)
    MUTINF__LANES_SWITCH(MUTINF__LANES_CALL)
#undef MUTINF__LANES_CALL
}

/* ---- greedy k-means++ for small d ------------------------------------------ */

/* One row's squared distance to c (d entries), in the lanes' order. */
static inline double row_sqdist(const mutinf__km_data *X, int64_t i, const double *c)
{
    return mutinf__km_sqdist(X, i, c);
}

/* The fold without AVX2: lane q of the partial sums takes the rows
 * r0 + q, r0 + q + 4, ... as the AVX2 kernel's lanes do. */
static void pp_fold_plain(const mutinf__km_data *X, int64_t r0, int64_t r1, const double *cand,
                          int64_t T, const double *closest, double *const *out, double *s)
{
    int64_t d = X->d;
    for (int64_t t = 0; t < T; t++) {
        double p[4] = {0.0, 0.0, 0.0, 0.0};
        for (int64_t i = r0; i < r1; i++) {
            double v = row_sqdist(X, i, cand + t * d);
            if (closest != NULL) v = v < closest[i] ? v : closest[i];
            out[t][i] = v;
            p[(i - r0) & 3] += v;
        }
        s[t] += (p[0] + p[1]) + (p[2] + p[3]);
    }
}

MUTINF__LANES static inline __attribute__((always_inline)) void
pp_fold_body(const mutinf__km_data *X, int64_t r0, int64_t r1, const double *cand, int64_t T,
             const double *closest, double *const *out, double *s, const int64_t d, const int is64)
{
    __m256d p[MUTINF__KM_PP_MAX_T];
    for (int64_t t = 0; t < T; t++)
        p[t] = _mm256_setzero_pd();
    int64_t i = r0;
    for (; i + 4 <= r1; i += 4) {
        __m256d x[MUTINF__KM_DIRECT_MAX_D];
        load_tile(X, i, 4, d, is64, x);
        __m256d cl = closest != NULL ? _mm256_loadu_pd(closest + i) : _mm256_setzero_pd();
        for (int64_t t = 0; t < T; t++) {
            __m256d v = tile_sqdist(x, cand + t * d, 1, d);
            /* min(v, closest) as v < closest ? v : closest */
            if (closest != NULL) v = _mm256_min_pd(v, cl);
            _mm256_storeu_pd(out[t] + i, v);
            p[t] = _mm256_add_pd(p[t], v);
        }
    }
    for (int64_t t = 0; t < T; t++) {
        double q[4];
        _mm256_storeu_pd(q, p[t]);
        for (int64_t r = i; r < r1; r++) {
            double v = row_sqdist(X, r, cand + t * d);
            if (closest != NULL) v = v < closest[r] ? v : closest[r];
            out[t][r] = v;
            q[(r - r0) & 3] += v;
        }
        s[t] += (q[0] + q[1]) + (q[2] + q[3]);
    }
}

MUTINF__LANES static void pp_fold_avx2(const mutinf__km_data *X, int64_t r0, int64_t r1,
                                       const double *cand, int64_t T, const double *closest,
                                       double *const *out, double *s)
{
#define MUTINF__LANES_CALL(D, IS64) pp_fold_body(X, r0, r1, cand, T, closest, out, s, D, IS64)
    MUTINF__LANES_SWITCH(MUTINF__LANES_CALL)
#undef MUTINF__LANES_CALL
}

void mutinf__km_pp_fold(int avx2, const mutinf__km_data *X, int64_t r0, int64_t r1,
                        const double *cand, int64_t T, const double *closest, double *const *out,
                        double *s)
{
    if (avx2)
        pp_fold_avx2(X, r0, r1, cand, T, closest, out, s);
    else
        pp_fold_plain(X, r0, r1, cand, T, closest, out, s);
}
#undef MUTINF__LANES_CASE
#undef MUTINF__LANES_SWITCH
