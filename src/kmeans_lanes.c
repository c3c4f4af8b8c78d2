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
 * blend), and the features of a tile stay in registers.
 *
 * For k <= MUTINF__LANES_CERT_MAX_K the label passes run a faster kernel
 * in the dot-product form whose labels are certified to be the exact
 * kernel's (near-ties recomputed exactly; see cert_labels_body): one fused
 * multiply-add per feature and centroid instead of three operations
 * (n = 100000, d = 8, k = 16: 1.37 against 1.83 ms per pass).  The
 * k-means++ fold keeps the exact distances, whose values it uses. */
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
    if (is64 && nr == 4) {
        /* four features of the four rows at a time, transposed in
         * registers (masked loads for the last group: never past a row) */
        for (int64_t fg = 0; fg < d; fg += 4) {
            const int64_t w = d - fg < 4 ? d - fg : 4;
            const __m256i mask =
                _mm256_setr_epi64x(-1, w > 1 ? -1 : 0, w > 2 ? -1 : 0, w > 3 ? -1 : 0);
            __m256d a[4];
            for (int q = 0; q < 4; q++)
                a[q] = w == 4 ? _mm256_loadu_pd(X->x64 + (row + q) * d + fg)
                              : _mm256_maskload_pd(X->x64 + (row + q) * d + fg, mask);
            __m256d t0 = _mm256_unpacklo_pd(a[0], a[1]), t1 = _mm256_unpackhi_pd(a[0], a[1]);
            __m256d t2 = _mm256_unpacklo_pd(a[2], a[3]), t3 = _mm256_unpackhi_pd(a[2], a[3]);
            __m256d f4[4] = {
                _mm256_permute2f128_pd(t0, t2, 0x20), _mm256_permute2f128_pd(t1, t3, 0x20),
                _mm256_permute2f128_pd(t0, t2, 0x31), _mm256_permute2f128_pd(t1, t3, 0x31)};
            for (int64_t q = 0; q < w; q++)
                x[fg + q] = f4[q];
        }
        return;
    }
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

/* Vectors of four points per tile of the label kernel: independent chains
 * (distance sums, compare, blend) in flight per centroid, since one
 * vector's chain of d dependent adds alone leaves the floating-point units
 * mostly idle; three keep the accumulators, minima and indices in the
 * sixteen AVX2 registers. */
#define MUTINF__LANES_V    3
#define MUTINF__LANES_TILE (4 * MUTINF__LANES_V)

/* Rows r[0..3] transposed into xt[f * stride + q] (q < 4), four features
 * at a time with masked loads for the last group (never past the row),
 * then a 4 x 4 transpose in registers. */
MUTINF__LANES static inline __attribute__((always_inline)) void
transpose4(const mutinf__km_data *X, const int64_t *r, const int64_t d, const int is64, double *xt,
           const int64_t stride)
{
    for (int64_t fg = 0; fg < d; fg += 4) {
        const int64_t w = d - fg < 4 ? d - fg : 4;
        __m256d a[4];
        for (int q = 0; q < 4; q++) {
            if (is64) {
                const double *src = X->x64 + r[q] * d + fg;
                if (w == 4)
                    a[q] = _mm256_loadu_pd(src);
                else
                    a[q] = _mm256_maskload_pd(
                        src, _mm256_setr_epi64x(-1, w > 1 ? -1 : 0, w > 2 ? -1 : 0, 0));
            } else {
                const float *src = X->x32 + r[q] * d + fg;
                __m128 v;
                if (w == 4)
                    v = _mm_loadu_ps(src);
                else
                    v = _mm_maskload_ps(src, _mm_setr_epi32(-1, w > 1 ? -1 : 0, w > 2 ? -1 : 0, 0));
                a[q] = _mm256_cvtps_pd(v);
            }
        }
        __m256d t0 = _mm256_unpacklo_pd(a[0], a[1]), t1 = _mm256_unpackhi_pd(a[0], a[1]);
        __m256d t2 = _mm256_unpacklo_pd(a[2], a[3]), t3 = _mm256_unpackhi_pd(a[2], a[3]);
        __m256d f[4] = {_mm256_permute2f128_pd(t0, t2, 0x20), _mm256_permute2f128_pd(t1, t3, 0x20),
                        _mm256_permute2f128_pd(t0, t2, 0x31), _mm256_permute2f128_pd(t1, t3, 0x31)};
        for (int64_t q = 0; q < w; q++)
            _mm256_store_pd(xt + (fg + q) * stride, f[q]);
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

/* A tile's results: with `bounds` the best and second distances (b1, b2)
 * to d1, d2; the labels tmp to lab, and with `fused` the pass's bookkeeping
 * (change count, cluster sums and counts) instead. */
MUTINF__LANES static inline __attribute__((always_inline)) void
finish_tile(const mutinf__km_data *X, int64_t r0, int64_t i, int64_t nr, const int32_t *tmp,
            const double *b1, const double *b2, int32_t *lab, double *d1, double *d2, double *sums,
            int64_t *counts, int64_t *changed, const int64_t d, const int is64, const int fused,
            const int bounds)
{
    if (bounds)
        for (int64_t q = 0; q < nr; q++) {
            d1[i + q] = b1[q];
            d2[i + q] = b2[q];
        }
    if (!fused) {
        for (int64_t q = 0; q < nr; q++)
            lab[i + q] = tmp[q];
        return;
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

/* The tile of rows i..i+nr-1 (of r0 + e, or of rows[e]) transposed into
 * xt, features by lanes; the last row repeats to fill a short tile. */
MUTINF__LANES static inline __attribute__((always_inline)) void
transpose_tile(const mutinf__km_data *X, int64_t r0, const int64_t *rows, int64_t i, int64_t nr,
               const int64_t d, const int is64, double *xt)
{
    for (int v = 0; v < MUTINF__LANES_V; v++) {
        int64_t r[4];
        for (int q = 0; q < 4; q++) {
            int64_t e = i + (4 * v + q < nr ? 4 * v + q : nr - 1);
            r[q] = rows != NULL ? rows[e] : r0 + e;
        }
        transpose4(X, r, d, is64, xt + 4 * v, MUTINF__LANES_TILE);
    }
}

/* Nearest of the k centroids (feature-major in cT, d x kp) for rows
 * [r0, r0 + m), or for the m rows rows[0..m) when rows is non-NULL; lowest
 * index on ties: centroids are visited in index order and a lane takes a
 * new one only when strictly closer.  (c - x)^2 is (x - c)^2 exactly (a
 * negation is exact).  Missing rows of the last tile repeat its last row.
 * With `bounds`, also the smallest (d1) and second smallest (d2) squared
 * distance of every row, as the direct kernel computes them: sec =
 * min(sec, max(acc, best)) before best is updated.  With `fused`, the
 * labels are updated in place with the pass's bookkeeping (see
 * mutinf__km_lanes_assign). */
MUTINF__LANES static inline __attribute__((always_inline)) void
lanes_labels_body(const mutinf__km_data *X, int64_t r0, const int64_t *rows, int64_t m,
                  const double *cT, int64_t k, int64_t kp, int32_t *lab, double *d1, double *d2,
                  double *sums, int64_t *counts, int64_t *changed, const int64_t d, const int is64,
                  const int fused, const int bounds)
{
    enum { V = MUTINF__LANES_V, TILE = MUTINF__LANES_TILE };
    const __m256d one = _mm256_set1_pd(1.0), inf = _mm256_set1_pd(INFINITY);
    double xt[MUTINF__KM_DIRECT_MAX_D * TILE] __attribute__((aligned(32)));
    for (int64_t i = 0; i < m; i += TILE) {
        int64_t nr = m - i < TILE ? m - i : TILE;
        transpose_tile(X, r0, rows, i, nr, d, is64, xt);
        __m256d best[V], bidx[V], sec[V], jv = _mm256_setzero_pd();
        for (int v = 0; v < V; v++) {
            best[v] = sec[v] = inf;
            bidx[v] = jv;
        }
        const double *xp = xt;
        for (int64_t j = 0; j < k; j++) {
            /* keeps the tile in memory (loads are cheap) rather than in
             * spilled registers */
            __asm__("" : "+r"(xp));
            __m256d acc[V], c = _mm256_broadcast_sd(cT + j);
            for (int v = 0; v < V; v++) {
                __m256d t = _mm256_sub_pd(c, _mm256_load_pd(xp + 4 * v));
                acc[v] = _mm256_mul_pd(t, t);
            }
            for (int64_t f = 1; f < d; f++) {
                c = _mm256_broadcast_sd(cT + f * kp + j);
                for (int v = 0; v < V; v++) {
                    __m256d t = _mm256_sub_pd(c, _mm256_load_pd(xp + f * TILE + 4 * v));
                    acc[v] = _mm256_add_pd(acc[v], _mm256_mul_pd(t, t));
                }
            }
            for (int v = 0; v < V; v++) {
                __m256d lt = _mm256_cmp_pd(acc[v], best[v], _CMP_LT_OQ);
                if (bounds) sec[v] = _mm256_min_pd(sec[v], _mm256_max_pd(acc[v], best[v]));
                best[v] = _mm256_min_pd(acc[v], best[v]); /* acc < best ? acc : best */
                bidx[v] = _mm256_blendv_pd(bidx[v], jv, lt);
            }
            jv = _mm256_add_pd(jv, one);
        }
        int32_t tmp[TILE];
        for (int v = 0; v < V; v++)
            _mm_storeu_si128((__m128i *)(void *)(tmp + 4 * v), _mm256_cvttpd_epi32(bidx[v]));
        double b1[TILE], b2[TILE];
        if (bounds)
            for (int v = 0; v < V; v++) {
                _mm256_storeu_pd(b1 + 4 * v, best[v]);
                _mm256_storeu_pd(b2 + 4 * v, sec[v]);
            }
        finish_tile(X, r0, i, nr, tmp, b1, b2, lab, d1, d2, sums, counts, changed, d, is64, fused,
                    bounds);
    }
}

/* ---- certified dot-product form --------------------------------------------
 *
 * The exact (x - c)^2 kernel above spends three operations per feature and
 * centroid.  The form |c|^2 - 2 x.c (|x|^2 dropped, the same for every
 * centroid) takes one fused multiply-add, but its rounding differs, so its
 * arg-min may differ from the exact kernel's at near-ties.  The kernel
 * below computes it with the smallest (best) and second smallest (sec)
 * value of each row and keeps its label only when sec - best exceeds E =
 * 1e-13 (|x|^2 + max_j |c_j|^2) + 1e-300.  Both forms are within
 * 2e-15 (|x| + |c_j|)^2 <= 4e-15 (|x|^2 + max |c|^2) of the true squared
 * distance for d <= 8 (error analysis of d + 1 roundings of terms bounded
 * by (|x| + |c|)^2; 1e-300 covers underflow), so such a gap makes the
 * exact kernel's distance to that centroid strictly the smallest: the
 * label is the exact kernel's.  Every other row (ties, duplicated
 * centroids, overflow, NaN) is recomputed exactly, one row at a time,
 * with the exact kernel's arithmetic.  With `bounds`, d1 and d2 are the
 * exact kernel's for those rows, and for the others best + |x|^2 + E and
 * max(sec + |x|^2 - E, 0): an upper bound on the squared distance to the
 * nearest centroid and a lower bound on that to every other one. */

#define MUTINF__LANES_CERT_REL 1e-13
#define MUTINF__LANES_CERT_ABS 1e-300

/* The exact kernel's label, smallest and second smallest squared distance
 * of one row: the same operations, one lane. */
static inline int32_t exact_row(const mutinf__km_data *X, int64_t row, const double *cT, int64_t k,
                                int64_t kp, const int64_t d, double *o1, double *o2)
{
    double x[MUTINF__KM_DIRECT_MAX_D], best = INFINITY, sec = INFINITY;
    int32_t lab = 0;
    mutinf__km_row(X, row, x);
    for (int64_t j = 0; j < k; j++) {
        double t = cT[j] - x[0], acc = t * t;
        for (int64_t f = 1; f < d; f++) {
            t = cT[f * kp + j] - x[f];
            acc = acc + t * t;
        }
        double hi = acc > best ? acc : best; /* _mm256_max_pd(acc, best) */
        sec = sec < hi ? sec : hi;           /* _mm256_min_pd(sec, hi) */
        if (acc < best) lab = (int32_t)j;
        best = acc < best ? acc : best;
    }
    *o1 = best;
    *o2 = sec;
    return lab;
}

/* As lanes_labels_body (the same labels, and bounds as described above),
 * for k <= MUTINF__LANES_CERT_MAX_K. */
MUTINF__LANES static inline __attribute__((always_inline)) void
cert_labels_body(const mutinf__km_data *X, int64_t r0, const int64_t *rows, int64_t m,
                 const double *cT, int64_t k, int64_t kp, int32_t *lab, double *d1, double *d2,
                 double *sums, int64_t *counts, int64_t *changed, const int64_t d, const int is64,
                 const int fused, const int bounds)
{
    enum { V = MUTINF__LANES_V, TILE = MUTINF__LANES_TILE };
    double m2c[MUTINF__KM_DIRECT_MAX_D * MUTINF__LANES_CERT_MAX_K], cn[MUTINF__LANES_CERT_MAX_K];
    double cmax = 0.0;
    for (int64_t j = 0; j < k; j++) {
        double q = 0.0;
        for (int64_t f = 0; f < d; f++) {
            double c = cT[f * kp + j];
            m2c[f * k + j] = -2.0 * c;
            q += c * c;
        }
        cn[j] = q;
        cmax = cmax > q ? cmax : q;
    }
    const __m256d one = _mm256_set1_pd(1.0), inf = _mm256_set1_pd(INFINITY),
                  zero = _mm256_setzero_pd(), rel = _mm256_set1_pd(MUTINF__LANES_CERT_REL),
                  eabs = _mm256_set1_pd(MUTINF__LANES_CERT_ABS), cm = _mm256_set1_pd(cmax);
    double xt[MUTINF__KM_DIRECT_MAX_D * TILE] __attribute__((aligned(32)));
    for (int64_t i = 0; i < m; i += TILE) {
        int64_t nr = m - i < TILE ? m - i : TILE;
        /* picked rows: ask for those of the tile after next (the
         * processor's prefetching does not see them coming) */
        if (rows != NULL)
            for (int64_t e = i + 2 * TILE; e < i + 3 * TILE && e < m; e++)
                _mm_prefetch((const char *)(is64 ? (const void *)(X->x64 + rows[e] * d)
                                                 : (const void *)(X->x32 + rows[e] * d)),
                             _MM_HINT_T0);
        transpose_tile(X, r0, rows, i, nr, d, is64, xt);
        __m256d best[V], bidx[V], sec[V], jv = _mm256_setzero_pd();
        for (int v = 0; v < V; v++) {
            best[v] = sec[v] = inf;
            bidx[v] = jv;
        }
        const double *xp = xt;
        for (int64_t j = 0; j < k; j++) {
            __asm__("" : "+r"(xp));
            __m256d acc[V], c = _mm256_broadcast_sd(cn + j);
            for (int v = 0; v < V; v++)
                acc[v] = c;
            for (int64_t f = 0; f < d; f++) {
                c = _mm256_broadcast_sd(m2c + f * k + j);
                for (int v = 0; v < V; v++)
                    acc[v] = _mm256_fmadd_pd(_mm256_load_pd(xp + f * TILE + 4 * v), c, acc[v]);
            }
            for (int v = 0; v < V; v++) {
                __m256d lt = _mm256_cmp_pd(acc[v], best[v], _CMP_LT_OQ);
                sec[v] = _mm256_min_pd(sec[v], _mm256_max_pd(acc[v], best[v]));
                best[v] = _mm256_min_pd(acc[v], best[v]);
                bidx[v] = _mm256_blendv_pd(bidx[v], jv, lt);
            }
            jv = _mm256_add_pd(jv, one);
        }
        int32_t tmp[TILE];
        int sure = 0;
        double b1[TILE], b2[TILE];
        for (int v = 0; v < V; v++) {
            __m256d xx = _mm256_setzero_pd();
            for (int64_t f = 0; f < d; f++) {
                __m256d x = _mm256_load_pd(xt + f * TILE + 4 * v);
                xx = _mm256_fmadd_pd(x, x, xx);
            }
            __m256d e = _mm256_fmadd_pd(_mm256_add_pd(xx, cm), rel, eabs);
            /* NaN (inf - inf) compares false: not sure */
            __m256d ok = _mm256_cmp_pd(_mm256_sub_pd(sec[v], best[v]), e, _CMP_GT_OQ);
            sure |= _mm256_movemask_pd(ok) << (4 * v);
            _mm_storeu_si128((__m128i *)(void *)(tmp + 4 * v), _mm256_cvttpd_epi32(bidx[v]));
            if (bounds) {
                _mm256_storeu_pd(b1 + 4 * v, _mm256_add_pd(_mm256_add_pd(best[v], xx), e));
                __m256d lo = _mm256_sub_pd(_mm256_add_pd(sec[v], xx), e);
                _mm256_storeu_pd(b2 + 4 * v, _mm256_max_pd(lo, zero));
            }
        }
        for (int64_t q = 0; q < nr; q++)
            if (!((sure >> q) & 1))
                tmp[q] = exact_row(X, rows != NULL ? rows[i + q] : r0 + i + q, cT, k, kp, d, b1 + q,
                                   b2 + q);
        finish_tile(X, r0, i, nr, tmp, b1, b2, lab, d1, d2, sums, counts, changed, d, is64, fused,
                    bounds);
    }
}

/* ---- certified single-precision form (bounds) ------------------------------
 *
 * The passes of Hamerly's algorithm search the nearest centroid of the rows
 * whose bounds fail, and need labels and bounds, not distances.  This
 * kernel evaluates |c|^2 - 2 x.c in single precision, eight points per
 * vector (twice the lanes of the double kernel), with x, -2c and |c|^2
 * rounded to float.  Error analysis (u = 2^-24): each rounded product
 * errs by (2u + u^2) 2 |x_f c_f|, the chain of d <= 8 fused multiply-adds
 * by 8.01 u (|c|^2 + 2 sum_f |x_f c_f|), the rounding of |c|^2 by 1.01 u
 * |c|^2: in all below 19.1 u (|x|^2 + max_j |c_j|^2) = 1.14e-6 (..), plus
 * 1e-43 for results in the subnormal range.  A label is kept when the gap
 * between the smallest and second smallest value exceeds E = 4e-6 (|x|^2 +
 * max |c|^2) + 1e-40 (more than twice that error plus the exact kernel's
 * own), so that it is the exact kernel's strict arg-min, and only where
 * nothing can overflow: |x|^2 <= 1e30, and 1e-20 <= max |c|^2 <= 1e30
 * for the call (else the double kernel runs; below, products would
 * underflow and every row would be recomputed).  The other rows are
 * recomputed exactly.  The bounds are those of the double kernel with
 * this E: best + |x|^2 + E and max(sec + |x|^2 - E, 0). */
#define MUTINF__LANES_F32_V    3
#define MUTINF__LANES_F32_TILE (8 * MUTINF__LANES_F32_V)
#define MUTINF__LANES_F32_REL  4e-6
#define MUTINF__LANES_F32_ABS  1e-40
#define MUTINF__LANES_F32_MAX  1e30
#define MUTINF__LANES_F32_MIN  1e-20

/* The rows of one tile as floats, xf[f * TILE + q], from their transpose
 * in double (xt, the same layout). */
MUTINF__LANES static inline __attribute__((always_inline)) void
tile_to_float(const double *xt, const int64_t d, float *xf)
{
    enum { TILE = MUTINF__LANES_F32_TILE };
    for (int64_t f = 0; f < d; f++)
        for (int q = 0; q < TILE; q += 8) {
            __m128 lo = _mm256_cvtpd_ps(_mm256_load_pd(xt + f * TILE + q));
            __m128 hi = _mm256_cvtpd_ps(_mm256_load_pd(xt + f * TILE + q + 4));
            _mm256_store_ps(xf + f * TILE + q, _mm256_set_m128(hi, lo));
        }
}

/* Rows r[0..7] of the packed rows (px, MUTINF__KM_DIRECT_MAX_D floats a
 * row) transposed into xf[f * stride + q] for the d features: an 8 x 8
 * transpose in registers. */
MUTINF__LANES static inline __attribute__((always_inline)) void
transpose8_packed(const float *px, const int64_t *r, const int64_t d, float *xf,
                  const int64_t stride)
{
    __m256 a[8], t[8];
    for (int q = 0; q < 8; q++)
        a[q] = _mm256_loadu_ps(px + r[q] * MUTINF__KM_DIRECT_MAX_D);
    for (int q = 0; q < 8; q += 2) {
        t[q] = _mm256_unpacklo_ps(a[q], a[q + 1]);
        t[q + 1] = _mm256_unpackhi_ps(a[q], a[q + 1]);
    }
    /* t: rows (0,1), (2,3), (4,5), (6,7), features pairs interleaved */
    __m256 u[8];
    for (int h = 0; h < 8; h += 4) {
        u[h] = _mm256_shuffle_ps(t[h], t[h + 2], 0x44);
        u[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], 0xEE);
        u[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0x44);
        u[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0xEE);
    }
    /* u[0..3]: features 0-3 (and 4-7 in the high half) of rows 0-3;
     * u[4..7]: the same of rows 4-7 */
    for (int64_t f = 0; f < d; f++) {
        __m256 lo = u[f & 3], hi = u[4 + (f & 3)];
        __m256 v =
            f < 4 ? _mm256_permute2f128_ps(lo, hi, 0x20) : _mm256_permute2f128_ps(lo, hi, 0x31);
        _mm256_store_ps(xf + f * stride, v);
    }
}

MUTINF__LANES void mutinf__km_lanes_pack_rows(const mutinf__km_data *X, float *px, double *pxx)
{
    const int64_t d = X->d;
    for (int64_t i = 0; i < X->n; i++) {
        double x[MUTINF__KM_DIRECT_MAX_D];
        mutinf__km_row(X, i, x);
        /* the fused multiply-adds of the kernel's norm, in feature order */
        __m128d xx = _mm_setzero_pd();
        for (int64_t f = 0; f < MUTINF__KM_DIRECT_MAX_D; f++) {
            if (f < d) {
                __m128d v = _mm_set_sd(x[f]);
                xx = _mm_fmadd_sd(v, v, xx);
            }
            px[i * MUTINF__KM_DIRECT_MAX_D + f] = f < d ? (float)x[f] : 0.0f;
        }
        pxx[i] = _mm_cvtsd_f64(xx);
    }
}

/* mutinf__km_lanes_nearest in single precision (see above), k <=
 * MUTINF__LANES_CERT_MAX_K and the call's centroids within range. */
MUTINF__LANES static inline __attribute__((always_inline)) void
cert_nearest_f32_body(const mutinf__km_data *X, const int64_t *rows, int64_t m, const double *cT,
                      int64_t k, int64_t kp, const float *m2c, const float *cn, double cmax,
                      const float *px, const double *pxx, int32_t *lab, double *d1, double *d2,
                      const int64_t d, const int is64, const int packed)
{
    enum { V = MUTINF__LANES_F32_V, TILE = MUTINF__LANES_F32_TILE };
    const __m256 one = _mm256_set1_ps(1.0f), inf = _mm256_set1_ps(INFINITY);
    const __m256d zero = _mm256_setzero_pd(), rel = _mm256_set1_pd(MUTINF__LANES_F32_REL),
                  eabs = _mm256_set1_pd(MUTINF__LANES_F32_ABS), cm = _mm256_set1_pd(cmax),
                  xmax = _mm256_set1_pd(MUTINF__LANES_F32_MAX);
    double xt[MUTINF__KM_DIRECT_MAX_D * TILE] __attribute__((aligned(32)));
    float xf[MUTINF__KM_DIRECT_MAX_D * TILE] __attribute__((aligned(32)));
    for (int64_t i = 0; i < m; i += TILE) {
        int64_t nr = m - i < TILE ? m - i : TILE;
        for (int64_t e = i + 2 * TILE; e < i + 3 * TILE && e < m; e++)
            _mm_prefetch(packed ? (const char *)(px + rows[e] * MUTINF__KM_DIRECT_MAX_D)
                                : (const char *)(is64 ? (const void *)(X->x64 + rows[e] * d)
                                                      : (const void *)(X->x32 + rows[e] * d)),
                         _MM_HINT_T0);
        if (packed) {
            for (int g = 0; g < TILE / 8; g++) {
                int64_t r[8];
                for (int q = 0; q < 8; q++)
                    r[q] = rows[i + (8 * g + q < nr ? 8 * g + q : nr - 1)];
                transpose8_packed(px, r, d, xf + 8 * g, TILE);
            }
        } else {
            for (int g = 0; g < TILE / 4; g++) {
                int64_t r[4];
                for (int q = 0; q < 4; q++)
                    r[q] = rows[i + (4 * g + q < nr ? 4 * g + q : nr - 1)];
                transpose4(X, r, d, is64, xt + 4 * g, TILE);
            }
            tile_to_float(xt, d, xf);
        }
        __m256 best[V], bidx[V], sec[V], jv = _mm256_setzero_ps();
        for (int v = 0; v < V; v++) {
            best[v] = sec[v] = inf;
            bidx[v] = jv;
        }
        const float *xp = xf;
        for (int64_t j = 0; j < k; j++) {
            __asm__("" : "+r"(xp));
            __m256 acc[V], c = _mm256_broadcast_ss(cn + j);
            for (int v = 0; v < V; v++)
                acc[v] = c;
            for (int64_t f = 0; f < d; f++) {
                c = _mm256_broadcast_ss(m2c + f * k + j);
                for (int v = 0; v < V; v++)
                    acc[v] = _mm256_fmadd_ps(_mm256_load_ps(xp + f * TILE + 8 * v), c, acc[v]);
            }
            for (int v = 0; v < V; v++) {
                __m256 lt = _mm256_cmp_ps(acc[v], best[v], _CMP_LT_OQ);
                sec[v] = _mm256_min_ps(sec[v], _mm256_max_ps(acc[v], best[v]));
                best[v] = _mm256_min_ps(acc[v], best[v]);
                bidx[v] = _mm256_blendv_ps(bidx[v], jv, lt);
            }
            jv = _mm256_add_ps(jv, one);
        }
        int32_t tmp[TILE];
        float bf[TILE], sf[TILE];
        for (int v = 0; v < V; v++) {
            _mm256_storeu_si256((__m256i *)(void *)(tmp + 8 * v), _mm256_cvttps_epi32(bidx[v]));
            _mm256_storeu_ps(bf + 8 * v, best[v]);
            _mm256_storeu_ps(sf + 8 * v, sec[v]);
        }
        double b1[TILE], b2[TILE];
        uint32_t sure = 0;
        for (int g = 0; g < TILE / 4; g++) {
            __m256d xx = _mm256_setzero_pd();
            if (packed) {
                int64_t r[4];
                for (int q = 0; q < 4; q++)
                    r[q] = rows[i + (4 * g + q < nr ? 4 * g + q : nr - 1)];
                xx = _mm256_set_pd(pxx[r[3]], pxx[r[2]], pxx[r[1]], pxx[r[0]]);
            } else {
                for (int64_t f = 0; f < d; f++) {
                    __m256d x = _mm256_load_pd(xt + f * TILE + 4 * g);
                    xx = _mm256_fmadd_pd(x, x, xx);
                }
            }
            __m256d be = _mm256_cvtps_pd(_mm_loadu_ps(bf + 4 * g));
            __m256d se = _mm256_cvtps_pd(_mm_loadu_ps(sf + 4 * g));
            __m256d e = _mm256_fmadd_pd(_mm256_add_pd(xx, cm), rel, eabs);
            /* NaN (inf - inf) compares false: not sure */
            __m256d ok = _mm256_and_pd(_mm256_cmp_pd(_mm256_sub_pd(se, be), e, _CMP_GT_OQ),
                                       _mm256_cmp_pd(xx, xmax, _CMP_LE_OQ));
            sure |= (uint32_t)_mm256_movemask_pd(ok) << (4 * g);
            _mm256_storeu_pd(b1 + 4 * g, _mm256_add_pd(_mm256_add_pd(be, xx), e));
            __m256d lo = _mm256_sub_pd(_mm256_add_pd(se, xx), e);
            _mm256_storeu_pd(b2 + 4 * g, _mm256_max_pd(lo, zero));
        }
        for (int64_t q = 0; q < nr; q++) {
            if (!((sure >> q) & 1))
                tmp[q] = exact_row(X, rows[i + q], cT, k, kp, d, b1 + q, b2 + q);
            lab[i + q] = tmp[q];
            d1[i + q] = b1[q];
            d2[i + q] = b2[q];
        }
    }
}

void mutinf__km_lanes_f32_tables(const double *cT, int64_t k, int64_t kp, int64_t d,
                                 mutinf__km_f32_tables *tab)
{
    double mx = 0.0;
    tab->ok = 0;
    if (k > MUTINF__LANES_CERT_MAX_K) return;
    for (int64_t j = 0; j < k; j++) {
        double q = 0.0;
        for (int64_t f = 0; f < d; f++) {
            double c = cT[f * kp + j];
            tab->m2c[f * k + j] = (float)(-2.0 * c);
            q += c * c;
        }
        tab->cn[j] = (float)q;
        mx = mx > q ? mx : q;
    }
    tab->cmax = mx;
    tab->ok = mx >= MUTINF__LANES_F32_MIN && mx <= MUTINF__LANES_F32_MAX;
}

/* The certified kernel where its tables fit, else the exact one. */
#define MUTINF__LANES_BODY(...)                                                                    \
    (k <= MUTINF__LANES_CERT_MAX_K ? cert_labels_body(__VA_ARGS__) : lanes_labels_body(__VA_ARGS__))

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
    MUTINF__LANES_BODY(X, r0, NULL, m, cT, k, kp, lab, NULL, NULL, NULL, NULL, NULL, D, IS64, 0, 0)
    MUTINF__LANES_SWITCH(MUTINF__LANES_CALL)
#undef MUTINF__LANES_CALL
}

MUTINF__LANES void mutinf__km_lanes_assign(const mutinf__km_data *X, int64_t r0, int64_t m,
                                           const double *cT, int64_t k, int64_t kp, int32_t *labels,
                                           double *sums, int64_t *counts, int64_t *changed){
#define MUTINF__LANES_CALL(D, IS64)                                                                \
    MUTINF__LANES_BODY(X, r0, NULL, m, cT, k, kp, labels, NULL, NULL, sums, counts, changed, D,    \
                       IS64, 1, 0)
    MUTINF__LANES_SWITCH(MUTINF__LANES_CALL)
#undef MUTINF__LANES_CALL
}

MUTINF__LANES void mutinf__km_lanes_nearest(const mutinf__km_data *X, const int64_t *rows,
                                            int64_t m, const double *cT, int64_t k, int64_t kp,
                                            const mutinf__km_f32_tables *tab, const float *px,
                                            const double *pxx, int32_t *lab, double *d1, double *d2)
{
    mutinf__km_f32_tables own;
    if (tab == NULL && m > 0) {
        mutinf__km_lanes_f32_tables(cT, k, kp, X->d, &own);
        tab = &own;
    }
    if (m > 0 && tab->ok) {
        if (px != NULL) {
#define MUTINF__LANES_CALL(D, IS64)                                                                \
    cert_nearest_f32_body(X, rows, m, cT, k, kp, tab->m2c, tab->cn, tab->cmax, px, pxx, lab, d1,   \
                          d2, D, IS64, 1)
            MUTINF__LANES_SWITCH(MUTINF__LANES_CALL)
#undef MUTINF__LANES_CALL
            return;
        }
#define MUTINF__LANES_CALL(D, IS64)                                                                \
    cert_nearest_f32_body(X, rows, m, cT, k, kp, tab->m2c, tab->cn, tab->cmax, NULL, NULL, lab,    \
                          d1, d2, D, IS64, 0)
        MUTINF__LANES_SWITCH(MUTINF__LANES_CALL)
#undef MUTINF__LANES_CALL
        return;
    }
#define MUTINF__LANES_CALL(D, IS64)                                                                \
    MUTINF__LANES_BODY(X, 0, rows, m, cT, k, kp, lab, d1, d2, NULL, NULL, NULL, D, IS64, 0, 1)
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
