/* k-means: the exact optimal clustering of one-dimensional data.
 *
 * In one dimension an optimal k-means clustering splits the sorted values
 * into k contiguous groups (Wang & Song, "Ckmeans.1d.dp: optimal k-means
 * clustering in one dimension by dynamic programming", The R Journal 3(2),
 * 2011).  With D_m[i] the least cost of m clusters over the first i sorted
 * values and cost(j, i) the within-group sum of squares of values j..i-1,
 *
 *     D_m[i] = min_{m-1 <= j < i} D_{m-1}[j] + cost(j, i),
 *
 * and cost(j, i) = (S2[i] - S2[j]) - (S1[i] - S1[j])^2 / (i - j) from prefix
 * sums of the centred values.  The S2 terms telescope: E_m[i] = D_m[i] -
 * S2[i] obeys
 *
 *     E_m[i] = min_{m-1 <= j < i} E_{m-1}[j] - (S1[i] - S1[j])^2 / (i - j),
 *
 * with the same arg-mins, so the programme runs on E (one prefix sum, one
 * multiply-add per candidate; the inertia is recomputed from the labels).
 * The cost satisfies the quadrangle inequality, so the leftmost optimal j
 * is non-decreasing in i, and each layer is solved by divide and conquer
 * over i in O(n log n) evaluations (the monotonicity speed-up of Ckmeans'
 * "loglinear" method), vectorised over j with a table of reciprocals
 * instead of divisions; the previous layer's arg-min bounds each search
 * from below (J_{m-1}[i] <= J_m[i]).  The top of the recursion runs as
 * tasks (sub-trees of MUTINF__DP_TASK rows or more), sub-trees of at most
 * MUTINF__DP_LEAF rows are solved level by level without recursion down to
 * stride MUTINF__DP_BLOCK, and the rows between are solved in blocks,
 * vectorised over rows (solve_block_avx2).  Every search has fixed bounds,
 * so the result does not depend on the thread count.
 * Memory: the arg-min table, k * n bytes (delta-coded in segments), for the
 * backtrack.
 *
 * From k = 16 on, the Lagrangian search of kmeans_exact1d_lagrange.c runs
 * first: a few penalised passes of about one layer each, on the same
 * kernels, instead of k layers, and no arg-min table.  The layers run where
 * it gives up (D_k nearly linear in k around k). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>
#include <omp.h>

#include "alloc.h"
#include "error.h"
#include "cpu.h"
#include "kmeans_exact1d.h"
#include "kmeans_impl.h"

/* The radix sort's digits: 13 bits, five passes over the 64-bit keys, and a
 * histogram of 8192 counts per thread (64 KiB).  On 10^6 values and two
 * threads this sorted faster than 8-, 11- or 16-bit digits. */
#define MUTINF__SORT_BITS   13
#define MUTINF__SORT_PASSES 5

/* The order-preserving 64-bit image of a double (-0 maps to +0), and back. */
static inline uint64_t sort_key(double x)
{
    uint64_t u;
    x = x == 0.0 ? 0.0 : x; /* -0 sorts with +0 */
    memcpy(&u, &x, sizeof(u));
    return (u >> 63) ? ~u : (u | (1ULL << 63));
}

static inline double sort_value(uint64_t u)
{
    double x;
    u = (u >> 63) ? (u & ~(1ULL << 63)) : ~u;
    memcpy(&x, &u, sizeof(x));
    return x;
}

/* The scatter offsets of one pass from the team's histograms (T of R
 * counts each, thread t's for its own slice of the keys): digit by digit,
 * then thread by thread within a digit, so that the pass is stable.  0 when
 * one digit holds all n keys (the pass would not move anything). */
static int sort_offsets(int64_t *hist, int T, int64_t R, int64_t n)
{
    for (int64_t d = 0; d < R; d++) {
        int64_t count = 0;
        for (int t = 0; t < T; t++)
            count += hist[(size_t)t * (size_t)R + (size_t)d];
        if (count == n) return 0;
    }
    int64_t sum = 0;
    for (int64_t d = 0; d < R; d++)
        for (int t = 0; t < T; t++) {
            int64_t *h = &hist[(size_t)t * (size_t)R + (size_t)d], c = *h;
            *h = sum;
            sum += c;
        }
    return 1;
}

/* Sorts n doubles ascending: LSD radix sort on the order-preserving 64-bit
 * image of each value, skipping passes where every key has the same
 * digit. */
mutinf_status mutinf__km_sort_doubles(double *v, int64_t n)
{
    return mutinf__km_sort_doubles_threads(v, n, 1);
}

mutinf_status mutinf__km_sort_doubles_threads(double *v, int64_t n, int32_t threads)
{
    const int64_t R = (int64_t)1 << MUTINF__SORT_BITS;
    const uint64_t mask = (uint64_t)R - 1;
    if (threads < 1 || n < 65536) threads = 1;
    uint64_t *a = mutinf__alloc((size_t)n, sizeof(uint64_t), 0, "k-means sort keys");
    uint64_t *b = mutinf__alloc((size_t)n, sizeof(uint64_t), 0, "k-means sort keys");
    int64_t *hist =
        mutinf__alloc((size_t)threads * (size_t)R, sizeof(int64_t), 0, "k-means sort histograms");
    if (!a || !b || !hist) {
        mutinf__free(a);
        mutinf__free(b);
        mutinf__free(hist);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    uint64_t *src = a, *dst = b;
    int moves = 0;
    /* Each thread keys, counts and scatters its own slice, in order; the
     * sorted result is unique, whatever the team. */
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        int T = omp_get_num_threads(), t = omp_get_thread_num();
        int64_t i0 = n * t / T, i1 = n * (t + 1) / T, *h = hist + (size_t)t * (size_t)R;
        for (int64_t i = i0; i < i1; i++)
            a[i] = sort_key(v[i]);
        for (int p = 0; p < MUTINF__SORT_PASSES; p++) {
            int shift = p * MUTINF__SORT_BITS;
            memset(h, 0, (size_t)R * sizeof(int64_t));
#pragma omp barrier
            for (int64_t i = i0; i < i1; i++)
                h[(src[i] >> shift) & mask]++;
#pragma omp barrier
#pragma omp single
            moves = sort_offsets(hist, T, R, n);
            if (moves) {
                for (int64_t i = i0; i < i1; i++) {
                    uint64_t u = src[i];
                    dst[h[(u >> shift) & mask]++] = u;
                }
#pragma omp barrier
#pragma omp single
                {
                    uint64_t *swap = src;
                    src = dst;
                    dst = swap;
                }
            }
        }
        for (int64_t i = i0; i < i1; i++)
            v[i] = sort_value(src[i]);
    }
    mutinf__free(a);
    mutinf__free(b);
    mutinf__free(hist);
    return MUTINF_OK;
}

typedef mutinf__km_dp dp_ctx;

/* min over j in [jlo, jhi] of prev[j] - (S1[i] - S1[j])^2 / (i - j);
 * leftmost arg-min.  The baseline build's search. */
static inline __attribute__((always_inline)) int64_t
split_plain(const dp_ctx *c, int64_t i, int64_t jlo, int64_t jhi, double *value)
{
    const double *S1 = c->S1, *inv = c->inv, *prev = c->prev;
    double s1i = S1[i], bv = INFINITY;
    int64_t bj = jlo;
    for (int64_t j = jlo; j <= jhi; j++) {
        double s = s1i - S1[j];
        double val = prev[j] - s * s * inv[i - j];
        if (val < bv) {
            bv = val;
            bj = j;
        }
    }
    *value = bv;
    return bj;
}

/* The least lane of v (in every lane). */
__attribute__((target("avx2,fma"))) static inline __m256d hmin_avx2(__m256d v)
{
    v = _mm256_min_pd(v, _mm256_permute4x64_pd(v, 0x4E));
    return _mm256_min_pd(v, _mm256_permute_pd(v, 0x5));
}

/* One step of split_avx2: columns jv (four consecutive, from j) of row i
 * into the running least values vb and their columns jb; lanes past
 * `last` masked when `masked`.  Only the min is on the loop-carried path
 * (min(val, vb) keeps vb on ties and when val is NaN, as val < vb does). */
#define MUTINF__SPLIT_STEP(vb, jb, jv, masked)                                                     \
    do {                                                                                           \
        /* inv[i - j - q] for q = 0..3: a reversed run */                                          \
        __m256d r_ = _mm256_permute4x64_pd(_mm256_loadu_pd(inv + (i - j - 3)), 0x1B);              \
        __m256d sd_ = _mm256_sub_pd(s1i, _mm256_loadu_pd(S1 + j));                                 \
        __m256d val_ = _mm256_fnmadd_pd(_mm256_mul_pd(sd_, sd_), r_, _mm256_loadu_pd(prev + j));   \
        if (masked) val_ = _mm256_blendv_pd(inf, val_, _mm256_cmp_pd(jv, last, _CMP_LE_OQ));       \
        jb = _mm256_blendv_pd(jb, jv, _mm256_cmp_pd(val_, vb, _CMP_LT_OQ));                        \
        vb = _mm256_min_pd(val_, vb);                                                              \
    } while (0)

/* As split_plain, with AVX2/FMA: two independent running minima of four
 * columns each (the loop-carried min is what limits a long window), a
 * masked last step, then the least value and the least column holding it.
 * Every value is fnmadd((S1[i] - S1[j])^2, inv[i - j], prev[j]), as in
 * solve_block_avx2. */
__attribute__((target("avx2,fma"))) static inline int64_t
split_avx2(const dp_ctx *c, int64_t i, int64_t jlo, int64_t jhi, double *value)
{
    const double *S1 = c->S1, *inv = c->inv, *prev = c->prev;
    const __m256d s1i = _mm256_set1_pd(S1[i]), last = _mm256_set1_pd((double)jhi);
    const __m256d inf = _mm256_set1_pd(INFINITY), four = _mm256_set1_pd(4.0);
    __m256d va = inf, vb = inf, ja = _mm256_set1_pd((double)jlo), jb = ja;
    __m256d jva =
        _mm256_setr_pd((double)jlo, (double)(jlo + 1), (double)(jlo + 2), (double)(jlo + 3));
    __m256d jvb = _mm256_add_pd(jva, four);
    const __m256d eight = _mm256_add_pd(four, four);
    int64_t j = jlo;
    for (; j + 7 <= jhi; j += 8) {
        MUTINF__SPLIT_STEP(va, ja, jva, 0);
        j += 4;
        MUTINF__SPLIT_STEP(vb, jb, jvb, 0);
        j -= 4;
        jva = _mm256_add_pd(jva, eight);
        jvb = _mm256_add_pd(jvb, eight);
    }
    if (j <= jhi) {
        MUTINF__SPLIT_STEP(va, ja, jva, 1);
        j += 4;
        if (j <= jhi) MUTINF__SPLIT_STEP(vb, jb, jvb, 1);
    }
    /* lane by lane: the less value, the less column on a tie */
    __m256d take = _mm256_or_pd(
        _mm256_cmp_pd(vb, va, _CMP_LT_OQ),
        _mm256_and_pd(_mm256_cmp_pd(vb, va, _CMP_EQ_OQ), _mm256_cmp_pd(jb, ja, _CMP_LT_OQ)));
    va = _mm256_blendv_pd(va, vb, take);
    ja = _mm256_blendv_pd(ja, jb, take);
    __m256d bv = hmin_avx2(va);
    __m256d jc = _mm256_blendv_pd(inf, ja, _mm256_cmp_pd(va, bv, _CMP_EQ_OQ));
    double bj = _mm256_cvtsd_f64(hmin_avx2(jc));
    *value = _mm256_cvtsd_f64(bv);
    return bj < INFINITY ? (int64_t)bj : jlo; /* every value NaN: not with finite data */
}

/* Rows per block at the bottom of the recursion: the rows strictly between
 * two solved rows MUTINF__DP_BLOCK apart are solved together.  Must be 8
 * (two vectors of rows in solve_block_avx2). */
#define MUTINF__DP_BLOCK 8

/* Row i of a block: the start of its window, as divide and conquer would
 * have it: max(Jprev[i], the arg-min `left` of the row before), at most
 * the window's end hi. */
static inline __attribute__((always_inline)) int64_t block_lo(const dp_ctx *c, int64_t i,
                                                              int64_t left, int64_t hi)
{
    int64_t lo = c->Jprev != NULL && c->Jprev[i] > left ? c->Jprev[i] : left;
    return lo < hi ? lo : hi; /* a bound broken by rounding must not empty the range */
}

/* The rows r0..r1 of a block between solved rows with arg-mins jl and jh,
 * one after the other: row i over [block_lo(i, J[i - 1]), min(jh, i - 1)]
 * (the baseline build). */
static void solve_block_plain(const dp_ctx *c, int64_t r0, int64_t r1, int64_t jl, int64_t jh)
{
    int64_t last = jl;
    for (int64_t i = r0; i <= r1; i++) {
        int64_t hi = jh < i - 1 ? jh : i - 1;
        double v;
        int64_t bj = split_plain(c, i, block_lo(c, i, last, hi), hi, &v);
        c->cur[i] = v;
        c->J[i] = (int32_t)bj;
        last = bj;
    }
}

/* One column j (all lanes of jv) of a block: both row vectors, each lane
 * keeping its least value and (being the first column to reach it) its
 * leftmost arg-min; the lanes outside their rows' windows masked when
 * `masked`. */
#define MUTINF__BLOCK_STEP(masked)                                                                 \
    do {                                                                                           \
        __m256d pj = _mm256_broadcast_sd(prev + j), a1 = _mm256_broadcast_sd(S1 + j);              \
        for (int h = 0; h < 2; h++) {                                                              \
            __m256d sd = _mm256_sub_pd(s1[h], a1);                                                 \
            __m256d val = _mm256_fnmadd_pd(_mm256_mul_pd(sd, sd),                                  \
                                           _mm256_loadu_pd(inv + (r0 + 4 * h - j)), pj);           \
            if (masked)                                                                            \
                val = _mm256_blendv_pd(inf, val,                                                   \
                                       _mm256_and_pd(_mm256_cmp_pd(jv, lo[h], _CMP_GE_OQ),         \
                                                     _mm256_cmp_pd(jv, hi[h], _CMP_LE_OQ)));       \
            jb[h] = _mm256_blendv_pd(jb[h], jv, _mm256_cmp_pd(val, vb[h], _CMP_LT_OQ));            \
            vb[h] = _mm256_min_pd(val, vb[h]);                                                     \
        }                                                                                          \
        jv = _mm256_add_pd(jv, one);                                                               \
    } while (0)

/* Lane q of a block's arg-mins (a, b: rows r0..r0+7) against lane q - 1
 * (jl for lane 0): a bit per row r0..r0+6 whose arg-min is less. */
__attribute__((target("avx2,fma"))) static inline int block_unordered(__m256d a, __m256d b,
                                                                      double jl)
{
    __m256d pa = _mm256_blend_pd(_mm256_permute4x64_pd(a, 0x90), _mm256_set1_pd(jl), 0x1);
    __m256d pb = _mm256_shuffle_pd(_mm256_permute2f128_pd(a, b, 0x21), b, 0x5);
    return _mm256_movemask_pd(_mm256_cmp_pd(a, pa, _CMP_LT_OQ)) |
           (_mm256_movemask_pd(_mm256_cmp_pd(b, pb, _CMP_LT_OQ)) & 0x7) << 4;
}

/* As solve_block_plain, with AVX2/FMA.  Every row's arg-min lies in
 * [jl, jh], so the block is searched column by column with a vector over
 * four consecutive rows: the reciprocals inv[i - j] are one contiguous
 * load, each lane keeps its own running minimum, and there is neither a
 * horizontal reduction nor a branch per row (divide and conquer would
 * spend a search, a reduction and a mispredicted loop exit on each of
 * these rows, for windows of two to eight columns).  Each row is searched
 * over [block_lo(i, jl), min(jh, i - 1)], which contains its window in
 * solve_block_plain; the leftmost arg-min found is that of the plain
 * window unless it lies before the previous row's, and such a row (rare:
 * only rounding puts it there) is searched again over the plain window. */
__attribute__((target("avx2,fma"))) static void solve_block_avx2(const dp_ctx *c, int64_t r0,
                                                                 int64_t r1, int64_t jl, int64_t jh)
{
    const double *S1 = c->S1, *inv = c->inv, *prev = c->prev;
    const __m256d inf = _mm256_set1_pd(INFINITY), one = _mm256_set1_pd(1.0);
    const __m256d jlv = _mm256_set1_pd((double)jl), jhv = _mm256_set1_pd((double)jh);
    __m256d s1[2], lo[2], hi[2], vb[2], jb[2];
    __m256d iv = _mm256_setr_pd((double)r0, (double)(r0 + 1), (double)(r0 + 2), (double)(r0 + 3));
    for (int h = 0; h < 2; h++) {
        /* row i: [max(jl, Jprev[i]), min(jh, i - 1)]; rows past r1: empty */
        hi[h] = _mm256_min_pd(jhv, _mm256_sub_pd(iv, one));
        hi[h] = _mm256_blendv_pd(hi[h], _mm256_set1_pd(-1.0),
                                 _mm256_cmp_pd(iv, _mm256_set1_pd((double)r1), _CMP_GT_OQ));
        lo[h] = jlv;
        if (c->Jprev != NULL)
            lo[h] = _mm256_max_pd(lo[h], _mm256_cvtepi32_pd(_mm_loadu_si128(
                                             (const __m128i *)(c->Jprev + r0 + 4 * h))));
        lo[h] = _mm256_min_pd(lo[h], hi[h]);
        s1[h] = _mm256_loadu_pd(S1 + r0 + 4 * h);
        vb[h] = inf;
        jb[h] = lo[h];
        iv = _mm256_add_pd(iv, _mm256_set1_pd(4.0));
    }
    __m256d lm = _mm256_max_pd(lo[0], lo[1]);
    lm = _mm256_max_pd(lm, _mm256_permute4x64_pd(lm, 0x4E));
    lm = _mm256_max_pd(lm, _mm256_permute_pd(lm, 0x5));
    int64_t lomax = (int64_t)_mm256_cvtsd_f64(lm);
    int64_t himin = jh < r0 - 1 ? jh : r0 - 1, jmax = jh < r1 - 1 ? jh : r1 - 1;
    /* the columns every row searches need no window test */
    int64_t j = jl;
    __m256d jv = jlv;
    if (lomax <= himin) {
        for (; j < lomax; j++)
            MUTINF__BLOCK_STEP(1);
        for (; j <= himin; j++)
            MUTINF__BLOCK_STEP(0);
    }
    for (; j <= jmax; j++)
        MUTINF__BLOCK_STEP(1);
    if (r1 == r0 + MUTINF__DP_BLOCK - 2 && block_unordered(jb[0], jb[1], (double)jl) == 0) {
        /* the usual block: seven rows, in order */
        const __m256i seven = _mm256_setr_epi64x(-1, -1, -1, 0);
        _mm256_storeu_pd(c->cur + r0, vb[0]);
        _mm256_maskstore_pd(c->cur + r0 + 4, seven, vb[1]);
        _mm_storeu_si128((__m128i *)(c->J + r0), _mm256_cvttpd_epi32(jb[0]));
        _mm_maskstore_epi32(c->J + r0 + 4, _mm_setr_epi32(-1, -1, -1, 0),
                            _mm256_cvttpd_epi32(jb[1]));
        return;
    }
    double val[8], arg[8], hiv[8];
    for (int h = 0; h < 2; h++) {
        _mm256_storeu_pd(val + 4 * h, vb[h]);
        _mm256_storeu_pd(arg + 4 * h, jb[h]);
        _mm256_storeu_pd(hiv + 4 * h, hi[h]);
    }
    int64_t last = jl;
    for (int64_t i = r0; i <= r1; i++) {
        double v = val[i - r0];
        int64_t bj = (int64_t)arg[i - r0];
        if (bj < last) {
            int64_t hb = (int64_t)hiv[i - r0];
            bj = split_avx2(c, i, block_lo(c, i, last, hb), hb, &v);
        }
        c->cur[i] = v;
        c->J[i] = (int32_t)bj;
        last = bj;
    }
}

/* Entries per independently coded segment of an arg-min row. */
#define MUTINF__DP_SEG 65536

/* Rows at most this many below a node: solved level by level (rows at
 * stride 2^L between solved neighbours), without recursion, down to the
 * blocks. */
#define MUTINF__DP_LEAF 8192

/* The recursion, compiled twice: with AVX2/FMA and for the baseline, each
 * with its split search and block solver inlined (a call per row costs as
 * much as the search itself in the deep levels, where ranges hold a few
 * columns). */
#define MUTINF__DEFINE_SOLVE_RANGE(NAME, ATTR, SPLIT, BLOCK)                                       \
    ATTR static void NAME(const dp_ctx *c, int64_t ilo, int64_t ihi, int64_t jlo, int64_t jhi)     \
    {                                                                                              \
        while (ilo <= ihi) {                                                                       \
            if (ihi - ilo < MUTINF__DP_LEAF) {                                                     \
                /* position p is row ilo - 1 + p; 0 and len + 1 stand for the bounds */            \
                int64_t base = ilo - 1, len = ihi - ilo + 1, s = 1;                                \
                while (2 * s <= len)                                                               \
                    s *= 2;                                                                        \
                for (; s >= MUTINF__DP_BLOCK; s /= 2)                                              \
                    for (int64_t p = s; p <= len; p += 2 * s) {                                    \
                        int64_t i = base + p;                                                      \
                        int64_t lo = p - s == 0 ? jlo : c->J[i - s];                               \
                        int64_t hi = p + s > len ? jhi : c->J[i + s];                              \
                        hi = hi < i - 1 ? hi : i - 1;                                              \
                        if (c->Jprev != NULL && c->Jprev[i] > lo) lo = c->Jprev[i];                \
                        lo = lo < hi ? lo : hi;                                                    \
                        double v;                                                                  \
                        int64_t bj = SPLIT(c, i, lo, hi, &v);                                      \
                        c->cur[i] = v;                                                             \
                        c->J[i] = (int32_t)bj;                                                     \
                    }                                                                              \
                for (int64_t p = 0; p < len; p += MUTINF__DP_BLOCK) {                              \
                    int64_t r1 = p + MUTINF__DP_BLOCK - 1 < len ? p + MUTINF__DP_BLOCK - 1 : len;  \
                    int64_t jl = p == 0 ? jlo : c->J[base + p];                                    \
                    int64_t jh =                                                                   \
                        p + MUTINF__DP_BLOCK > len ? jhi : c->J[base + p + MUTINF__DP_BLOCK];      \
                    if (p + 1 <= r1) BLOCK(c, base + p + 1, base + r1, jl, jh);                    \
                }                                                                                  \
                return;                                                                            \
            }                                                                                      \
            int64_t mid = ilo + (ihi - ilo) / 2;                                                   \
            int64_t hi = jhi < mid - 1 ? jhi : mid - 1;                                            \
            int64_t lo = c->Jprev != NULL && c->Jprev[mid] > jlo ? c->Jprev[mid] : jlo;            \
            lo = lo < hi ? lo : hi; /* a bound broken by rounding must not empty the range */      \
            double v;                                                                              \
            int64_t bj = SPLIT(c, mid, lo, hi, &v);                                                \
            c->cur[mid] = v;                                                                       \
            c->J[mid] = (int32_t)bj;                                                               \
            /* recurse on the smaller half, loop on the other */                                   \
            if (mid - ilo < ihi - mid) {                                                           \
                NAME(c, ilo, mid - 1, jlo, bj);                                                    \
                ilo = mid + 1;                                                                     \
                jlo = bj;                                                                          \
            } else {                                                                               \
                NAME(c, mid + 1, ihi, bj, jhi);                                                    \
                ihi = mid - 1;                                                                     \
                jhi = bj;                                                                          \
            }                                                                                      \
        }                                                                                          \
    }

MUTINF__DEFINE_SOLVE_RANGE(solve_range_avx2, __attribute__((target("avx2,fma"))), split_avx2,
                           solve_block_avx2)
MUTINF__DEFINE_SOLVE_RANGE(solve_range_plain, , split_plain, solve_block_plain)

static int force_plain;

void mutinf__km_exact_1d_force_plain(int on)
{
    force_plain = on;
}

/* The AVX2/FMA kernels, unless the processor lacks them or a test asks for
 * the baseline ones. */
static int use_avx2(void)
{
    return !force_plain && mutinf__cpu_has_avx2_fma();
}

static void solve_range(const dp_ctx *c, int64_t ilo, int64_t ihi, int64_t jlo, int64_t jhi)
{
    if (use_avx2())
        solve_range_avx2(c, ilo, ihi, jlo, jhi);
    else
        solve_range_plain(c, ilo, ihi, jlo, jhi);
}

/* The top levels: one split search per node. */
static int64_t best_split(const dp_ctx *c, int64_t i, int64_t jlo, int64_t jhi, double *value)
{
    return use_avx2() ? split_avx2(c, i, jlo, jhi, value) : split_plain(c, i, jlo, jhi, value);
}

/* Solves the middle row of [ilo, ihi] (searching [jlo, jhi], raised to the
 * previous layer's arg-min when there is one) and returns it in *mid; the
 * return value is its arg-min, which splits the search of the two halves. */
static int64_t solve_middle(const dp_ctx *c, int64_t ilo, int64_t ihi, int64_t jlo, int64_t jhi,
                            int64_t *mid)
{
    int64_t i = ilo + (ihi - ilo) / 2;
    int64_t hi = jhi < i - 1 ? jhi : i - 1;
    int64_t lo = c->Jprev != NULL && c->Jprev[i] > jlo ? c->Jprev[i] : jlo;
    lo = lo < hi ? lo : hi; /* a bound broken by rounding must not empty the range */
    double v;
    int64_t bj = best_split(c, i, lo, hi, &v);
    c->cur[i] = v;
    c->J[i] = (int32_t)bj;
    *mid = i;
    return bj;
}

/* Rows at least this many: mutinf__km_dp_solve_rows solves the middle row,
 * then one half as a task. */
#define MUTINF__DP_SPLIT 1024

void mutinf__km_dp_solve_rows(const mutinf__km_dp *c, int64_t ilo, int64_t ihi, int64_t jlo,
                              int64_t jhi)
{
    if (ihi - ilo < MUTINF__DP_SPLIT) {
        if (ilo <= ihi) solve_range(c, ilo, ihi, jlo, jhi);
        return;
    }
    int64_t mid;
    int64_t bj = solve_middle(c, ilo, ihi, jlo, jhi, &mid);
#pragma omp task
    solve_range(c, ilo, mid - 1, jlo, bj);
    solve_range(c, mid + 1, ihi, bj, jhi);
#pragma omp taskwait
}

int64_t mutinf__km_dp_best_split(const mutinf__km_dp *c, int64_t i, int64_t jlo, int64_t jhi,
                                 double *value)
{
    return best_split(c, i, jlo, jhi, value);
}

/* Rows at most this many below a node of the recursion's top: solved by one
 * thread. */
#define MUTINF__DP_TASK 16384

/* The recursion's top: one split search per node, its two sub-trees as
 * tasks (a thread that finishes early takes the next, and there is no
 * barrier per level).  Every node's bounds follow from the same tree of
 * mid-points, so the answer does not depend on the schedule. */
static void solve_tree(const dp_ctx *c, int64_t ilo, int64_t ihi, int64_t jlo, int64_t jhi)
{
    if (ihi - ilo < MUTINF__DP_TASK) {
        if (ilo <= ihi) solve_range(c, ilo, ihi, jlo, jhi);
        return;
    }
    int64_t mid;
    int64_t bj = solve_middle(c, ilo, ihi, jlo, jhi, &mid);
#pragma omp task
    solve_tree(c, ilo, mid - 1, jlo, bj);
    solve_tree(c, mid + 1, ihi, bj, jhi);
}

/* One layer: rows i in [m, n]. */
static void solve_layer(const dp_ctx *c, int64_t n, int32_t threads)
{
#pragma omp parallel num_threads(threads) if (threads > 1)
#pragma omp single
    solve_tree(c, c->m, n, c->m - 1, n - 1);
}

/* The layered programme: layers 1..k over the n sorted values (prefix sums
 * S1, reciprocals inv, padded), reporting each layer to prog; writes the
 * k + 1 group boundaries. */
static mutinf_status layered_bounds(const double *S1, const double *inv, int64_t n, int64_t k,
                                    int32_t threads, mutinf__km_progress *prog, int64_t *bounds)
{
    mutinf_status st = MUTINF_OK;
    size_t n1 = (size_t)n + 1, np = n1 + MUTINF__DP_PAD;
    double *Da = mutinf__alloc(np, sizeof(double), 1, "k-means 1-D costs");
    double *Db = mutinf__alloc(np, sizeof(double), 1, "k-means 1-D costs");
    /* Arg-min rows: the current and the previous layer in full (int32), and
     * every layer delta-coded in bytes for the backtrack (each row is
     * non-decreasing; a step of 255 or more is escaped to a side list, at
     * most n / 255 + 1 per layer).  A quarter of the memory of an int32
     * table, which matters: fresh pages cost more than the programme (the
     * allocator backs it with huge pages from 4 MiB on). */
    int32_t *Ja = mutinf__alloc(np, sizeof(int32_t), 1, "k-means 1-D arg-min row");
    int32_t *Jb = mutinf__alloc(np, sizeof(int32_t), 1, "k-means 1-D arg-min row");
    /* Each row is coded in segments of MUTINF__DP_SEG entries (coded in
     * parallel), each with its start value and the offset of its escapes in
     * the row's escape list.  The steps of a non-decreasing row from 0 sum
     * to at most n, so a row has at most n / 255 escapes wherever they
     * fall; the list is sized for that, the segments' shares counted first. */
    size_t nseg = (n1 + MUTINF__DP_SEG - 1) / MUTINF__DP_SEG;
    size_t esc_row = n1 / 255 + 1, layers = k > 1 ? (size_t)(k - 1) : 1;
    uint8_t *Jd = mutinf__alloc(layers * n1, 1, 0, "k-means 1-D arg-min table (k n bytes)");
    int32_t *Je = mutinf__alloc(layers * esc_row, sizeof(int32_t), 0, "k-means 1-D escapes");
    int32_t *J0 = mutinf__alloc(layers * nseg, sizeof(int32_t), 0, "k-means 1-D row starts");
    int32_t *Jo = mutinf__alloc(layers * nseg, sizeof(int32_t), 0, "k-means 1-D escape offsets");
    if (!Da || !Db || !Ja || !Jb || !Jd || !Je || !J0 || !Jo) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    /* Layer 1: one cluster over the first i values. */
    Da[0] = 0.0;
    for (int64_t i = 1; i <= n; i++)
        Da[i] = -(S1[i] * S1[i]) * inv[i];
    double *prev = Da, *cur = Db;
    if (mutinf__km_exact_1d_report(prog, 1)) {
        st = mutinf__fail(MUTINF_ERR_CANCELLED,
                          "mutinf_kmeans_fit: the progress callback asked to stop after layer 1 "
                          "of %lld",
                          (long long)k);
        goto done;
    }
    for (int64_t m = 2; m <= k; m++) {
        for (int64_t i = 0; i < m; i++)
            cur[i] = INFINITY; /* fewer values than clusters */
        int32_t *Jcur = (m % 2) ? Ja : Jb, *Jprev = (m % 2) ? Jb : Ja;
        dp_ctx c = {S1, inv, prev, cur, Jcur, m > 2 ? Jprev : NULL, m};
        if (m < k) {
            solve_layer(&c, n, threads);
        } else { /* the last layer: only row n is backtracked from */
            int64_t lo = c.Jprev != NULL && c.Jprev[n] > m - 1 ? c.Jprev[n] : m - 1;
            int64_t bj = best_split(&c, n, lo < n - 1 ? lo : n - 1, n - 1, &cur[n]);
            for (int64_t i = 0; i <= n; i++)
                Jcur[i] = (int32_t)bj;
        }
        /* delta-code the row (rows i < m copy row m, keeping it monotone):
         * bytes in one branch-free pass, then the escapes, if any */
        for (int64_t i = 0; i < m; i++)
            Jcur[i] = Jcur[m];
        uint8_t *row = Jd + (size_t)(m - 2) * n1;
        int32_t *starts = J0 + (size_t)(m - 2) * nseg, *offsets = Jo + (size_t)(m - 2) * nseg;
        int32_t *esc = Je + (size_t)(m - 2) * esc_row;
        int64_t bad = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : bad) if (nseg > 1)
        for (size_t g = 0; g < nseg; g++) {
            size_t i0 = g * MUTINF__DP_SEG,
                   i1 = i0 + MUTINF__DP_SEG < n1 ? i0 + MUTINF__DP_SEG : n1;
            starts[g] = Jcur[i0];
            row[i0] = 0;
            int32_t ne = 0, down = 0;
            for (size_t i = i0 + 1; i < i1; i++) {
                int32_t d = Jcur[i] - Jcur[i - 1];
                row[i] = (uint8_t)(d < 255 ? d : 255);
                ne += d >= 255;
                down |= d < 0;
            }
            offsets[g] = ne; /* this segment's count; offsets after the scan */
            bad += down != 0;
        }
        size_t total = 0;
        for (size_t g = 0; g < nseg; g++) {
            size_t ne = (size_t)offsets[g];
            offsets[g] = (int32_t)total;
            total += ne;
        }
        if (bad != 0 || total > esc_row) {
            st = mutinf__fail(MUTINF_ERR_INTERNAL,
                              "mutinf_kmeans_fit: 1-D arg-min row %lld is not monotone",
                              (long long)m);
            goto done;
        }
#pragma omp parallel for schedule(static) num_threads(threads) if (nseg > 1 && total > 0)
        for (size_t g = 0; g < nseg; g++) {
            size_t i0 = g * MUTINF__DP_SEG,
                   i1 = i0 + MUTINF__DP_SEG < n1 ? i0 + MUTINF__DP_SEG : n1;
            size_t e = (size_t)offsets[g], end = g + 1 < nseg ? (size_t)offsets[g + 1] : total;
            for (size_t i = i0 + 1; e < end && i < i1; i++)
                if (row[i] == 255) esc[e++] = Jcur[i] - Jcur[i - 1];
        }
        double *t = prev;
        prev = cur;
        cur = t;
        if (mutinf__km_exact_1d_report(prog, m)) {
            st = mutinf__fail(MUTINF_ERR_CANCELLED,
                              "mutinf_kmeans_fit: the progress callback asked to stop after "
                              "layer %lld of %lld",
                              (long long)m, (long long)k);
            goto done;
        }
    }
    /* Backtrack the group boundaries. */
    int64_t hi = n;
    for (int64_t m = k; m >= 1; m--) {
        int64_t lo = 0;
        if (m > 1) { /* decode J_m[hi] */
            size_t g = (size_t)hi / MUTINF__DP_SEG;
            const uint8_t *row = Jd + (size_t)(m - 2) * n1;
            const int32_t *esc = Je + (size_t)(m - 2) * esc_row + Jo[(size_t)(m - 2) * nseg + g];
            int64_t val = J0[(size_t)(m - 2) * nseg + g];
            size_t e = 0;
            for (int64_t i = (int64_t)(g * MUTINF__DP_SEG) + 1; i <= hi; i++)
                val += row[i] == 255 ? esc[e++] : row[i];
            lo = val;
        }
        bounds[m] = hi;
        hi = lo;
    }
    bounds[0] = 0;
done:
    mutinf__free(Da);
    mutinf__free(Db);
    mutinf__free(Ja);
    mutinf__free(Jb);
    mutinf__free(Jd);
    mutinf__free(Je);
    mutinf__free(J0);
    mutinf__free(Jo);
    return st;
}

int mutinf__km_exact_1d_report(mutinf__km_progress *prog, int64_t done)
{
    if (done > prog->done) prog->done = done;
    return prog->fn != NULL && prog->fn(prog->done, prog->total, prog->payload) != 0;
}

static int forced_search = MUTINF__KM_EXACT_AUTO, last_search = MUTINF__KM_EXACT_LAYERED;

void mutinf__km_exact_1d_force_search(int search)
{
    forced_search = search;
}

int mutinf__km_exact_1d_last_search(void)
{
    return last_search;
}

/* Whether the Lagrangian search goes first.  It costs a few passes of about
 * one layer each whatever k (and, where it gives up, up to k / 16 + 6 more
 * before the layers run), so it pays from about sixteen layers on; k close to
 * n leaves it little to gain (and rounding more room to hide the exact
 * count). */
static int lagrange_first(int64_t n, int64_t k)
{
    if (forced_search == MUTINF__KM_EXACT_LAYERED) return 0;
    if (forced_search == MUTINF__KM_EXACT_LAGRANGE) return k >= 2 && k < n;
    return k >= 16 && k <= n / 4;
}

/* The Lagrangian search, with its scratch: 1 found, 0 not, -1 out of
 * memory, -2 cancelled. */
static int lagrange_bounds(const double *v, const double *S1, const double *inv, int64_t n,
                           int64_t k, int32_t threads, mutinf__km_progress *prog, int64_t *bounds)
{
    size_t np = (size_t)n + 1 + MUTINF__DP_PAD;
    double *G = mutinf__alloc(np, sizeof(double), 1, "k-means 1-D penalised costs");
    int32_t *J = mutinf__alloc(np, sizeof(int32_t), 1, "k-means 1-D arg-mins");
    int found = G != NULL && J != NULL
                    ? mutinf__km_exact_1d_lagrange(v, S1, inv, n, k, threads, prog, G, J, bounds)
                    : -1;
    mutinf__free(G);
    mutinf__free(J);
    return found;
}

/* The first of the k sorted centres c that is not below x (k when none):
 * a binary search whose steps depend on k alone, with a conditional move
 * instead of a branch (which x would mispredict half the time). */
static inline int64_t first_not_below(const double *c, int64_t k, double x)
{
    int64_t base = 0, len = k;
    while (len > 1) {
        int64_t half = len / 2;
        base += (int64_t)(c[base + half] < x) * half; /* [base, base + len] holds it */
        len -= half;
    }
    return base + (int64_t)(c[base] < x);
}

mutinf_status mutinf__km_exact_1d(const mutinf__km_data *X, int64_t k, int32_t threads,
                                  mutinf__km_progress *prog, double *centers, int32_t *labels,
                                  double *inertia)
{
    int64_t n = X->n;
    mutinf_status st = MUTINF_OK;
    size_t n1 = (size_t)n + 1;
    size_t np = n1 + MUTINF__DP_PAD;
    size_t nch = ((size_t)n + MUTINF__DP_SEG - 1) / MUTINF__DP_SEG;
    double *v = mutinf__alloc((size_t)n, sizeof(double), 0, "k-means 1-D values");
    double *S1 = mutinf__alloc(np, sizeof(double), 1, "k-means 1-D prefix sums");
    double *inv0 = mutinf__alloc(np + MUTINF__DP_PAD, sizeof(double), 1, "k-means 1-D reciprocals");
    double *inv = inv0 != NULL ? inv0 + MUTINF__DP_PAD : NULL;
    int64_t *bounds = mutinf__alloc((size_t)k + 1, sizeof(int64_t), 0, "k-means 1-D boundaries");
    double *part = mutinf__alloc(nch, sizeof(double), 0, "k-means 1-D partial sums");
    if (!v || !S1 || !inv || !bounds || !part) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        v[i] = X->x64 != NULL ? X->x64[i] : (double)X->x32[i];
    st = mutinf__km_sort_doubles_threads(v, n, threads);
    if (st != MUTINF_OK) goto done;
    /* Centre on the median-ish middle value to keep the prefix sums small. */
    double mu = v[n / 2];
    S1[0] = 0.0;
    for (int64_t i = 0; i < n; i++)
        S1[i + 1] = S1[i] + (v[i] - mu);
    inv[0] = 0.0;
#pragma omp parallel for schedule(static) num_threads(threads) if (n > 65536)
    for (int64_t i = 1; i <= n; i++)
        inv[i] = 1.0 / (double)i;
    int found = lagrange_first(n, k) ? lagrange_bounds(v, S1, inv, n, k, threads, prog, bounds) : 0;
    if (found < 0) {
        st = found == -1 ? MUTINF_ERR_OUT_OF_MEMORY
                         : mutinf__fail(MUTINF_ERR_CANCELLED,
                                        "mutinf_kmeans_fit: the progress callback asked to stop "
                                        "during the search for %lld groups",
                                        (long long)k);
        goto done;
    }
    last_search = found ? MUTINF__KM_EXACT_LAGRANGE : MUTINF__KM_EXACT_LAYERED;
    if (found) {
        if (mutinf__km_exact_1d_report(prog, k)) {
            st = mutinf__fail(MUTINF_ERR_CANCELLED,
                              "mutinf_kmeans_fit: the progress callback asked to stop after the "
                              "search for %lld groups",
                              (long long)k);
            goto done;
        }
    } else {
        st = layered_bounds(S1, inv, n, k, threads, prog, bounds);
        if (st != MUTINF_OK) goto done;
    }
    /* Centroids: the exact group means. */
    for (int64_t m = 0; m < k; m++) {
        double s = 0.0;
        for (int64_t i = bounds[m]; i < bounds[m + 1]; i++)
            s += v[i];
        centers[m] = s / (double)(bounds[m + 1] - bounds[m]);
    }
    /* Labels: the nearest centroid (lowest index on ties), by binary search;
     * the squared distances summed chunk by chunk, then the chunk sums in
     * order, so that the inertia does not depend on the thread count. */
#pragma omp parallel for schedule(static) num_threads(threads) if (nch > 1)
    for (size_t g = 0; g < nch; g++) {
        int64_t i0 = (int64_t)g * MUTINF__DP_SEG,
                i1 = i0 + MUTINF__DP_SEG < n ? i0 + MUTINF__DP_SEG : n;
        double sum = 0.0;
        for (int64_t i = i0; i < i1; i++) {
            double x = X->x64 != NULL ? X->x64[i] : (double)X->x32[i];
            int64_t lo = first_not_below(centers, k, x);
            int64_t lab = lo < k ? lo : k - 1;
            if (lo > 0) {
                double a = x - centers[lo - 1], b = lo < k ? x - centers[lo] : INFINITY;
                if (a * a <= b * b) lab = lo - 1;
            }
            labels[i] = (int32_t)lab;
            double t = x - centers[lab];
            sum += t * t;
        }
        part[g] = sum;
    }
    double total = 0.0;
    for (size_t g = 0; g < nch; g++)
        total += part[g];
    *inertia = total;
done:
    mutinf__free(v);
    mutinf__free(S1);
    mutinf__free(inv0);
    mutinf__free(bounds);
    mutinf__free(part);
    return st;
}
