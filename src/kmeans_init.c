/* k-means initialisation: greedy k-means++ (Arthur & Vassilvitskii 2007,
 * with the greedy candidate selection of scikit-learn's _kmeans_plusplus) and
 * k random distinct rows.  Random numbers come from the counter-based RNG
 * (stream = restart), and every potential is summed block by block in a
 * fixed order, so the result does not depend on the thread count.  For
 * d <= MUTINF__KM_DIRECT_MAX_D the distances are exact differences computed
 * with the points in SIMD lanes (plusplus_small); above, dot products. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "cpu.h"
#include "kmeans_impl.h"
#include "rng.h"

/* Dot products of two float rows x0, x1 (d entries each) with G <= 6
 * candidates (G x d floats, row-major): out0[t] = x0.c_t, out1[t] = x1.c_t.
 * The squared distances are then |x|^2 + |c|^2 - 2 x.c, as in
 * scikit-learn's seeding.  The seeding reads every point once per centre and
 * is bound by these products, so it works on a centred float copy of the
 * data and multiplies in float, eight lanes wide (a lane sums d / 8 terms;
 * the lanes are combined in double): the sampling weights need no more
 * accuracy, and the chosen centres are the exact rows.  Each row meets every
 * candidate in one pass: twelve independent multiply-add chains.  Every
 * (row, candidate) pair follows the same sequence of operations, whatever
 * its slot, so a row's product with itself is the same number whichever
 * call made it (a chosen point, or a copy of it, is at distance exactly 0). */
#define MUTINF__PP_G 6

/* The lane sums of four float accumulators, each as
 * ((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7)) in double. */
__attribute__((target("avx2,fma"))) static inline __m256d hsum4_avx2(__m256 a, __m256 b, __m256 c,
                                                                     __m256 e)
{
#define MUTINF__PP_HALVES(v)                                                                       \
    _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)),                                      \
                  _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)))
    __m256d ab = _mm256_hadd_pd(MUTINF__PP_HALVES(a), MUTINF__PP_HALVES(b));
    __m256d ce = _mm256_hadd_pd(MUTINF__PP_HALVES(c), MUTINF__PP_HALVES(e));
#undef MUTINF__PP_HALVES
    return _mm256_add_pd(_mm256_permute2f128_pd(ab, ce, 0x20),
                         _mm256_permute2f128_pd(ab, ce, 0x31));
}

__attribute__((target("avx2,fma"))) static void dots2_avx2(const float *x0, const float *x1,
                                                           const float *cand, int64_t G, int64_t d,
                                                           double *out0, double *out1)
{
    int64_t d8 = d / 8 * 8;
    /* padding repeats the last candidate */
    const float *c0 = cand, *c1 = cand + (1 < G ? 1 : G - 1) * d,
                *c2 = cand + (2 < G ? 2 : G - 1) * d, *c3 = cand + (3 < G ? 3 : G - 1) * d,
                *c4 = cand + (4 < G ? 4 : G - 1) * d, *c5 = cand + (5 < G ? 5 : G - 1) * d;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0;
    for (int64_t f = 0; f < d8; f += 8) {
        __m256 u = _mm256_loadu_ps(x0 + f), w = _mm256_loadu_ps(x1 + f);
        __m256 ct = _mm256_loadu_ps(c0 + f);
        a0 = _mm256_fmadd_ps(u, ct, a0);
        b0 = _mm256_fmadd_ps(w, ct, b0);
        ct = _mm256_loadu_ps(c1 + f);
        a1 = _mm256_fmadd_ps(u, ct, a1);
        b1 = _mm256_fmadd_ps(w, ct, b1);
        ct = _mm256_loadu_ps(c2 + f);
        a2 = _mm256_fmadd_ps(u, ct, a2);
        b2 = _mm256_fmadd_ps(w, ct, b2);
        ct = _mm256_loadu_ps(c3 + f);
        a3 = _mm256_fmadd_ps(u, ct, a3);
        b3 = _mm256_fmadd_ps(w, ct, b3);
        ct = _mm256_loadu_ps(c4 + f);
        a4 = _mm256_fmadd_ps(u, ct, a4);
        b4 = _mm256_fmadd_ps(w, ct, b4);
        ct = _mm256_loadu_ps(c5 + f);
        a5 = _mm256_fmadd_ps(u, ct, a5);
        b5 = _mm256_fmadd_ps(w, ct, b5);
    }
    double r[12];
    _mm256_storeu_pd(r, hsum4_avx2(a0, a1, a2, a3));
    _mm256_storeu_pd(r + 4, hsum4_avx2(a4, a5, b0, b1));
    _mm256_storeu_pd(r + 8, hsum4_avx2(b2, b3, b4, b5));
    const float *c[MUTINF__PP_G] = {c0, c1, c2, c3, c4, c5};
    for (int64_t t = 0; t < G; t++) {
        double ta = r[t], tb = r[6 + t];
        for (int64_t f = d8; f < d; f++) {
            ta += (double)x0[f] * (double)c[t][f];
            tb += (double)x1[f] * (double)c[t][f];
        }
        out0[t] = ta;
        out1[t] = tb;
    }
}

/* The same sums without AVX2 (float products, eight lanes). */
static void dots2_plain(const float *x0, const float *x1, const float *cand, int64_t G, int64_t d,
                        double *out0, double *out1)
{
    int64_t d8 = d / 8 * 8;
    for (int64_t t = 0; t < G; t++) {
        const float *c = cand + t * d;
        for (int r = 0; r < 2; r++) {
            const float *x = r ? x1 : x0;
            float a[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
            for (int64_t f = 0; f < d8; f += 8)
                for (int q = 0; q < 8; q++)
                    a[q] += x[f + q] * c[f + q];
            double h[4];
            for (int q = 0; q < 4; q++)
                h[q] = (double)a[q] + (double)a[q + 4];
            double tail = (h[0] + h[1]) + (h[2] + h[3]);
            for (int64_t f = d8; f < d; f++)
                tail += (double)x[f] * (double)c[f];
            (r ? out1 : out0)[t] = tail;
        }
    }
}

/* out0[t] = x0.c_t and out1[t] = x1.c_t for all T candidates. */
static void dots2(int fma, const float *x0, const float *x1, const float *cand, int64_t T,
                  int64_t d, double *out0, double *out1)
{
    for (int64_t g = 0; g < T; g += MUTINF__PP_G) {
        int64_t G = T - g < MUTINF__PP_G ? T - g : MUTINF__PP_G;
        if (fma)
            dots2_avx2(x0, x1, cand + g * d, G, d, out0 + g, out1 + g);
        else
            dots2_plain(x0, x1, cand + g * d, G, d, out0 + g, out1 + g);
    }
}

/* Index of the point where the running sum of `closest` first exceeds r
 * (scikit-learn: searchsorted(cumsum(closest), r)); blocks are skipped by
 * their sums.  Points with closest == 0 (already centres) are never chosen. */
static int64_t sample_index(const double *closest, const double *block_pot, int64_t n,
                            int64_t block_rows, int64_t n_blocks, double r)
{
    double acc = 0.0;
    int64_t b = 0;
    for (; b < n_blocks - 1; b++) {
        if (acc + block_pot[b] > r) break;
        acc += block_pot[b];
    }
    int64_t last = -1;
    for (; b < n_blocks; b++) {
        int64_t r0 = b * block_rows, r1 = r0 + block_rows < n ? r0 + block_rows : n;
        for (int64_t i = r0; i < r1; i++) {
            if (closest[i] > 0.0) {
                last = i;
                acc += closest[i];
                if (acc > r) return i;
            }
        }
    }
    return last; /* r rounded beyond the total: the last point of positive weight */
}

/* Rows per chunk of the candidate pass: the products of a chunk with every
 * candidate are kept (transposed) and then folded into the distances. */
#define MUTINF__PP_CHUNK 64

/* For the rows r0 + [0, len) and each candidate t: out[t][i] =
 * min(closest[i], max(0, |x_i|^2 + cn[t] - 2 dt[t][i - r0])), and s[t] += the
 * sum of those, as four partial sums combined in a fixed order. */
__attribute__((target_clones("arch=x86-64-v3", "default"))) static void
fold_chunk(const double *dt, int64_t T, int64_t len, int64_t r0, const double *xnorm,
           const double *closest, const double *cn, double *const *out, double *s)
{
    const double *xn = xnorm + r0, *cl = closest + r0;
    for (int64_t t = 0; t < T; t++) {
        const double *dtt = dt + t * MUTINF__PP_CHUNK;
        double *o = out[t] + r0, c = cn[t];
        double p[4] = {0.0, 0.0, 0.0, 0.0};
        int64_t r = 0;
        for (; r + 4 <= len; r += 4)
            for (int q = 0; q < 4; q++) {
                double v = xn[r + q] + c - 2.0 * dtt[r + q];
                v = v > 0.0 ? v : 0.0;
                double m = v < cl[r + q] ? v : cl[r + q];
                o[r + q] = m;
                p[q] += m;
            }
        for (; r < len; r++) {
            double v = xn[r] + c - 2.0 * dtt[r];
            v = v > 0.0 ? v : 0.0;
            double m = v < cl[r] ? v : cl[r];
            o[r] = m;
            p[0] += m;
        }
        s[t] += (p[0] + p[1]) + (p[2] + p[3]);
    }
}

/* The candidate of least potential (written to *pot), its blocks'
 * potentials (nb x T) summed in block order; the first one wins a tie. */
static int64_t best_candidate(const double *block_cpot, int64_t nb, int64_t T, double *pot)
{
    int64_t best = 0;
    double best_pot = INFINITY;
    for (int64_t t = 0; t < T; t++) {
        double p = 0.0;
        for (int64_t b = 0; b < nb; b++)
            p += block_cpot[b * T + t];
        if (p < best_pot) {
            best_pot = p;
            best = t;
        }
    }
    *pot = best_pot;
    return best;
}

/* Greedy k-means++ for d <= MUTINF__KM_DIRECT_MAX_D: the exact squared
 * differences of the direct kernel, points in SIMD lanes
 * (mutinf__km_pp_fold), straight from the data: with so few features the
 * dot-product form saves nothing and needs the float copy and the norms.
 * The same sampling as below; every potential is summed per block in a
 * fixed order. */
static mutinf_status plusplus_small(const mutinf__km_data *X, const mutinf__km_plan *plan,
                                    int64_t k, uint64_t seed, uint64_t stream, double *centers)
{
    int64_t n = X->n, d = X->d, nb = plan->n_blocks, br = plan->block_rows;
    int64_t T = 2 + (int64_t)log((double)k);
    mutinf_status st = MUTINF_OK;
    uint64_t ctr = 0;
    double *dist =
        mutinf__alloc((size_t)n * (size_t)(T + 1), sizeof(double), 0, "k-means++ distances");
    double *block_pot = mutinf__alloc((size_t)nb, sizeof(double), 0, "k-means++ potentials");
    double *block_cpot = mutinf__alloc((size_t)(nb * T), sizeof(double), 0, "k-means++ potentials");
    if (!dist || !block_pot || !block_cpot) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    double *slot[MUTINF__KM_PP_MAX_T + 1];
    for (int64_t t = 0; t <= T; t++)
        slot[t] = dist + (size_t)t * (size_t)n;
    double *closest = slot[T];
    double cand[MUTINF__KM_PP_MAX_T * MUTINF__KM_DIRECT_MAX_D];
    int avx2 = mutinf__cpu_has_avx2_fma();
    int64_t first = (int64_t)mutinf__rng_below(seed, stream, ctr++, (uint64_t)n);
    mutinf__km_row(X, first, centers);
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan->threads)
    for (int64_t b = 0; b < nb; b++) {
        int64_t r0 = b * br, r1 = r0 + br < n ? r0 + br : n;
        double s = 0.0;
        mutinf__km_pp_fold(avx2, X, r0, r1, centers, 1, NULL, &closest, &s);
        block_pot[b] = s;
    }
    double pot = 0.0;
    for (int64_t b = 0; b < nb; b++)
        pot += block_pot[b];

    for (int64_t c = 1; c < k; c++) {
        int64_t idx[MUTINF__KM_PP_MAX_T];
        for (int64_t t = 0; t < T; t++) {
            double r = mutinf__rng_uniform(seed, stream, ctr++) * pot;
            idx[t] = sample_index(closest, block_pot, n, br, nb, r);
            if (idx[t] < 0) idx[t] = 0; /* pot == 0 cannot happen with >= k distinct points */
            mutinf__km_row(X, idx[t], cand + t * d);
        }
        /* Potential of each candidate: sum_i min(closest_i, |x_i - cand_t|^2). */
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan->threads)
        for (int64_t b = 0; b < nb; b++) {
            int64_t r0 = b * br, r1 = r0 + br < n ? r0 + br : n;
            double s[MUTINF__KM_PP_MAX_T];
            for (int64_t t = 0; t < T; t++)
                s[t] = 0.0;
            mutinf__km_pp_fold(avx2, X, r0, r1, cand, T, closest, slot, s);
            for (int64_t t = 0; t < T; t++)
                block_cpot[b * T + t] = s[t];
        }
        double best_pot;
        int64_t best = best_candidate(block_cpot, nb, T, &best_pot);
        memcpy(centers + c * d, cand + best * d, (size_t)d * sizeof(double));
        closest = slot[best];
        slot[best] = slot[T];
        slot[T] = closest;
        for (int64_t b = 0; b < nb; b++)
            block_pot[b] = block_cpot[b * T + best];
        pot = best_pot;
    }
done:
    mutinf__free(dist);
    mutinf__free(block_pot);
    mutinf__free(block_cpot);
    return st;
}

mutinf_status mutinf__km_init_plusplus(const mutinf__km_data *X, const mutinf__km_plan *plan,
                                       int64_t k, uint64_t seed, uint64_t stream, double *centers)
{
    if (X->d <= MUTINF__KM_DIRECT_MAX_D) return plusplus_small(X, plan, k, seed, stream, centers);
    int64_t n = X->n, d = X->d, nb = plan->n_blocks, br = plan->block_rows;
    int64_t T = 2 + (int64_t)log((double)k);
    mutinf_status st = MUTINF_OK;
    uint64_t ctr = 0;
    /* T + 1 distance rows: the current one and one per candidate; choosing a
     * candidate swaps its row with the current one (no copy). */
    double *dist =
        mutinf__alloc((size_t)n * (size_t)(T + 1), sizeof(double), 0, "k-means++ distances");
    double *slot[65];
    for (int64_t t = 0; t <= T; t++)
        slot[t] = dist != NULL ? dist + (size_t)t * (size_t)n : NULL;
    double *closest = slot[T];
    float *cand = mutinf__alloc((size_t)(T * d), sizeof(float), 0, "k-means++ candidates");
    double *block_pot = mutinf__alloc((size_t)nb, sizeof(double), 0, "k-means++ potentials");
    double *block_cpot = mutinf__alloc((size_t)(nb * T), sizeof(double), 0, "k-means++ potentials");
    double *xnorm = mutinf__alloc((size_t)n, sizeof(double), 0, "k-means++ norms");
    double *mean = mutinf__alloc((size_t)d, sizeof(double), 1, "k-means++ means");
    float *xs = mutinf__alloc((size_t)n * (size_t)d, sizeof(float), 0, "k-means++ float copy");
    double cn[64];
    int fma = mutinf__cpu_has_avx2_fma();
    if (!dist || !cand || !block_pot || !block_cpot || !xnorm || !mean || !xs) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    /* Centred float copy (centring keeps |x|^2 + |c|^2 - 2 x.c accurate) and
     * the squared norms, each computed by the same kernel as the dot products
     * so that a chosen point is at distance exactly 0 from itself. */
    for (int64_t i = 0; i < n; i++)
        for (int64_t f = 0; f < d; f++)
            mean[f] += X->x64 != NULL ? X->x64[i * d + f] : (double)X->x32[i * d + f];
    for (int64_t f = 0; f < d; f++)
        mean[f] /= (double)n;
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan->threads)
    for (int64_t b = 0; b < nb; b++) {
        int64_t r0 = b * br, r1 = r0 + br < n ? r0 + br : n;
        for (int64_t i = r0; i < r1; i++) {
            float *xi = xs + i * d;
            for (int64_t f = 0; f < d; f++) {
                double v = X->x64 != NULL ? X->x64[i * d + f] : (double)X->x32[i * d + f];
                xi[f] = (float)(v - mean[f]);
            }
            double unused;
            dots2(fma, xi, xi, xi, 1, d, xnorm + i, &unused);
        }
    }
    int64_t first = (int64_t)mutinf__rng_below(seed, stream, ctr++, (uint64_t)n);
    mutinf__km_row(X, first, centers);
    for (int64_t f = 0; f < d; f++)
        cand[f] = xs[first * d + f];
    cn[0] = xnorm[first];
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan->threads)
    for (int64_t b = 0; b < nb; b++) {
        int64_t r0 = b * br, r1 = r0 + br < n ? r0 + br : n;
        double s = 0.0, dot[2];
        for (int64_t i = r0; i < r1; i += 2) {
            int64_t i1 = i + 1 < r1 ? i + 1 : i;
            dots2(fma, xs + i * d, xs + i1 * d, cand, 1, d, dot, dot + 1);
            for (int64_t r = 0; r <= i1 - i; r++) {
                double v = xnorm[i + r] + cn[0] - 2.0 * dot[r];
                closest[i + r] = v > 0.0 ? v : 0.0;
                s += closest[i + r];
            }
        }
        block_pot[b] = s;
    }
    double pot = 0.0;
    for (int64_t b = 0; b < nb; b++)
        pot += block_pot[b];

    for (int64_t c = 1; c < k; c++) {
        int64_t idx[64];
        for (int64_t t = 0; t < T; t++) {
            double r = mutinf__rng_uniform(seed, stream, ctr++) * pot;
            idx[t] = sample_index(closest, block_pot, n, br, nb, r);
            if (idx[t] < 0) idx[t] = 0; /* pot == 0 cannot happen with >= k distinct points */
            for (int64_t f = 0; f < d; f++)
                cand[t * d + f] = xs[idx[t] * d + f];
            cn[t] = xnorm[idx[t]];
        }
        /* Potential of each candidate: sum_i min(closest_i, |x_i - cand_t|^2). */
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan->threads)
        for (int64_t b = 0; b < nb; b++) {
            int64_t r0 = b * br, r1 = r0 + br < n ? r0 + br : n;
            double s[64], dt[64 * MUTINF__PP_CHUNK], d0[64], d1[64];
            for (int64_t t = 0; t < T; t++)
                s[t] = 0.0;
            for (int64_t c0 = r0; c0 < r1; c0 += MUTINF__PP_CHUNK) {
                int64_t len = r1 - c0 < MUTINF__PP_CHUNK ? r1 - c0 : MUTINF__PP_CHUNK;
                for (int64_t r = 0; r < len; r += 2) {
                    int64_t r2 = r + 1 < len ? r + 1 : r;
                    dots2(fma, xs + (c0 + r) * d, xs + (c0 + r2) * d, cand, T, d, d0, d1);
                    for (int64_t t = 0; t < T; t++) {
                        dt[t * MUTINF__PP_CHUNK + r] = d0[t];
                        dt[t * MUTINF__PP_CHUNK + r2] = d1[t];
                    }
                }
                fold_chunk(dt, T, len, c0, xnorm, closest, cn, slot, s);
            }
            for (int64_t t = 0; t < T; t++)
                block_cpot[b * T + t] = s[t];
        }
        double best_pot;
        int64_t best = best_candidate(block_cpot, nb, T, &best_pot);
        mutinf__km_row(X, idx[best], centers + c * d);
        closest = slot[best];
        slot[best] = slot[T];
        slot[T] = closest;
        for (int64_t b = 0; b < nb; b++)
            block_pot[b] = block_cpot[b * T + best];
        pot = best_pot;
    }
done:
    mutinf__free(dist);
    mutinf__free(cand);
    mutinf__free(block_pot);
    mutinf__free(block_cpot);
    mutinf__free(xnorm);
    mutinf__free(mean);
    mutinf__free(xs);
    return st;
}

mutinf_status mutinf__km_init_random(const mutinf__km_data *X, int64_t k, uint64_t seed,
                                     uint64_t stream, double *centers)
{
    int64_t n = X->n;
    /* Partial Fisher-Yates over the row indices: k distinct rows. */
    int64_t *idx = mutinf__alloc((size_t)n, sizeof(int64_t), 0, "k-means random init");
    if (idx == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    for (int64_t j = 0; j < k; j++) {
        int64_t r = j + (int64_t)mutinf__rng_below(seed, stream, (uint64_t)j, (uint64_t)(n - j));
        int64_t t = idx[j];
        idx[j] = idx[r];
        idx[r] = t;
        mutinf__km_row(X, idx[j], centers + j * X->d);
    }
    mutinf__free(idx);
    return MUTINF_OK;
}
