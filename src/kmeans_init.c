/* k-means initialisation: greedy k-means++ (Arthur & Vassilvitskii 2007,
 * with the greedy candidate selection of scikit-learn's _kmeans_plusplus) and
 * k random distinct rows.  Random numbers come from the counter-based RNG
 * (stream = restart), and every potential is summed block by block in a
 * fixed order, so the result does not depend on the thread count. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "kmeans_impl.h"
#include "rng.h"

#ifdef _OPENMP
#include <omp.h>
#define THREAD_NUM() omp_get_thread_num()
#else
#define THREAD_NUM() 0
#endif

/* Dot products of the float row x (d entries) with the T candidates (T x d
 * doubles, row-major), four candidates at a time, four partial sums each,
 * combined in a fixed order.  The squared distances are then
 * |x|^2 + |c|^2 - 2 x.c, as in scikit-learn's seeding.  The seeding reads
 * the data once per centre and is bound by memory bandwidth, so it works on
 * a centred float copy of the data (half the bytes of double); the sampling
 * weights need no more accuracy, and the chosen centres are the exact rows. */
__attribute__((target("avx2,fma"))) static void dots_avx2(const float *x, const double *cand,
                                                          int64_t T, int64_t d, double *out)
{
    /* two candidates at a time, four partial sums each: eight independent
     * multiply-add chains hide the FMA latency */
    int64_t d16 = d / 16 * 16, d4 = d / 4 * 4;
    for (int64_t t0 = 0; t0 < T; t0 += 2) {
        const double *c0 = cand + t0 * d, *c1 = cand + (t0 + 1 < T ? t0 + 1 : t0) * d;
        __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
        __m256d b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int64_t f = 0;
        for (; f < d16; f += 16) {
            __m256d x0 = _mm256_cvtps_pd(_mm_loadu_ps(x + f));
            __m256d x1 = _mm256_cvtps_pd(_mm_loadu_ps(x + f + 4));
            __m256d x2 = _mm256_cvtps_pd(_mm_loadu_ps(x + f + 8));
            __m256d x3 = _mm256_cvtps_pd(_mm_loadu_ps(x + f + 12));
            a0 = _mm256_fmadd_pd(x0, _mm256_loadu_pd(c0 + f), a0);
            a1 = _mm256_fmadd_pd(x1, _mm256_loadu_pd(c0 + f + 4), a1);
            a2 = _mm256_fmadd_pd(x2, _mm256_loadu_pd(c0 + f + 8), a2);
            a3 = _mm256_fmadd_pd(x3, _mm256_loadu_pd(c0 + f + 12), a3);
            b0 = _mm256_fmadd_pd(x0, _mm256_loadu_pd(c1 + f), b0);
            b1 = _mm256_fmadd_pd(x1, _mm256_loadu_pd(c1 + f + 4), b1);
            b2 = _mm256_fmadd_pd(x2, _mm256_loadu_pd(c1 + f + 8), b2);
            b3 = _mm256_fmadd_pd(x3, _mm256_loadu_pd(c1 + f + 12), b3);
        }
        for (; f < d4; f += 4) {
            __m256d x0 = _mm256_cvtps_pd(_mm_loadu_ps(x + f));
            a0 = _mm256_fmadd_pd(x0, _mm256_loadu_pd(c0 + f), a0);
            b0 = _mm256_fmadd_pd(x0, _mm256_loadu_pd(c1 + f), b0);
        }
        a0 = _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3));
        b0 = _mm256_add_pd(_mm256_add_pd(b0, b1), _mm256_add_pd(b2, b3));
        double sa[4], sb[4];
        _mm256_storeu_pd(sa, a0);
        _mm256_storeu_pd(sb, b0);
        double ta = 0.0, tb = 0.0;
        for (int64_t g = d4; g < d; g++) {
            ta += (double)x[g] * c0[g];
            tb += (double)x[g] * c1[g];
        }
        out[t0] = ((sa[0] + sa[1]) + (sa[2] + sa[3])) + ta;
        if (t0 + 1 < T) out[t0 + 1] = ((sb[0] + sb[1]) + (sb[2] + sb[3])) + tb;
    }
}

static void dots_plain(const float *x, const double *cand, int64_t T, int64_t d, double *out)
{
    int64_t d4 = d / 4 * 4;
    for (int64_t t = 0; t < T; t++) {
        const double *c = cand + t * d;
        double a[4] = {0.0, 0.0, 0.0, 0.0}, tail = 0.0;
        for (int64_t f = 0; f < d4; f += 4)
            for (int q = 0; q < 4; q++)
                a[q] += (double)x[f + q] * c[f + q];
        for (int64_t f = d4; f < d; f++)
            tail += (double)x[f] * c[f];
        out[t] = ((a[0] + a[1]) + (a[2] + a[3])) + tail;
    }
}

static int have_avx2_fma(void)
{
    static int cached = -1;
    int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (c < 0) {
        __builtin_cpu_init();
        c = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        __atomic_store_n(&cached, c, __ATOMIC_RELAXED);
    }
    return c;
}

static void dots(int fma, const float *x, const double *cand, int64_t T, int64_t d, double *out)
{
    if (fma)
        dots_avx2(x, cand, T, d, out);
    else
        dots_plain(x, cand, T, d, out);
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

mutinf_status mutinf__km_init_plusplus(const mutinf__km_data *X, const mutinf__km_plan *plan,
                                       int64_t k, uint64_t seed, uint64_t stream, double *centers)
{
    int64_t n = X->n, d = X->d, nb = plan->n_blocks, br = plan->block_rows;
    int64_t T = 2 + (int64_t)log((double)k);
    mutinf_status st = MUTINF_OK;
    uint64_t ctr = 0;
    double *closest = mutinf__alloc((size_t)n, sizeof(double), 0, "k-means++ distances");
    double *cmin = mutinf__alloc((size_t)n * (size_t)T, sizeof(double), 0, "k-means++ candidates");
    double *cand = mutinf__alloc((size_t)(T * d), sizeof(double), 0, "k-means++ candidates");
    double *block_pot = mutinf__alloc((size_t)nb, sizeof(double), 0, "k-means++ potentials");
    double *block_cpot = mutinf__alloc((size_t)(nb * T), sizeof(double), 0, "k-means++ potentials");
    double *xnorm = mutinf__alloc((size_t)n, sizeof(double), 0, "k-means++ norms");
    double *mean = mutinf__alloc((size_t)d, sizeof(double), 1, "k-means++ means");
    double *xbuf = mutinf__alloc((size_t)plan->threads * (size_t)d, sizeof(double), 0,
                                 "k-means++ row scratch");
    float *xs = mutinf__alloc((size_t)n * (size_t)d, sizeof(float), 0, "k-means++ float copy");
    double cn[64];
    int fma = have_avx2_fma();
    if (!closest || !cmin || !cand || !block_pot || !block_cpot || !xnorm || !mean || !xbuf ||
        !xs) {
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
        double *xb = xbuf + (size_t)THREAD_NUM() * (size_t)d;
        for (int64_t i = r0; i < r1; i++) {
            float *xi = xs + i * d;
            for (int64_t f = 0; f < d; f++) {
                double v = X->x64 != NULL ? X->x64[i * d + f] : (double)X->x32[i * d + f];
                xi[f] = (float)(v - mean[f]);
                xb[f] = (double)xi[f];
            }
            dots(fma, xi, xb, 1, d, xnorm + i);
        }
    }
    int64_t first = (int64_t)mutinf__rng_below(seed, stream, ctr++, (uint64_t)n);
    mutinf__km_row(X, first, centers);
    for (int64_t f = 0; f < d; f++)
        cand[f] = (double)xs[first * d + f];
    cn[0] = xnorm[first];
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan->threads)
    for (int64_t b = 0; b < nb; b++) {
        int64_t r0 = b * br, r1 = r0 + br < n ? r0 + br : n;
        double s = 0.0, dot;
        for (int64_t i = r0; i < r1; i++) {
            dots(fma, xs + i * d, cand, 1, d, &dot);
            double v = xnorm[i] + cn[0] - 2.0 * dot;
            closest[i] = v > 0.0 ? v : 0.0;
            s += closest[i];
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
                cand[t * d + f] = (double)xs[idx[t] * d + f];
            cn[t] = xnorm[idx[t]];
        }
        /* Potential of each candidate: sum_i min(closest_i, |x_i - cand_t|^2). */
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan->threads)
        for (int64_t b = 0; b < nb; b++) {
            int64_t r0 = b * br, r1 = r0 + br < n ? r0 + br : n;
            double s[64], dt[64];
            for (int64_t t = 0; t < T; t++)
                s[t] = 0.0;
            for (int64_t i = r0; i < r1; i++) {
                dots(fma, xs + i * d, cand, T, d, dt);
                for (int64_t t = 0; t < T; t++) {
                    double v = xnorm[i] + cn[t] - 2.0 * dt[t];
                    v = v > 0.0 ? v : 0.0;
                    double m = v < closest[i] ? v : closest[i];
                    cmin[t * n + i] = m;
                    s[t] += m;
                }
            }
            for (int64_t t = 0; t < T; t++)
                block_cpot[b * T + t] = s[t];
        }
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
        mutinf__km_row(X, idx[best], centers + c * d);
        memcpy(closest, cmin + best * n, (size_t)n * sizeof(double));
        for (int64_t b = 0; b < nb; b++)
            block_pot[b] = block_cpot[b * T + best];
        pot = best_pot;
    }
done:
    mutinf__free(closest);
    mutinf__free(cmin);
    mutinf__free(cand);
    mutinf__free(block_pot);
    mutinf__free(block_cpot);
    mutinf__free(xnorm);
    mutinf__free(mean);
    mutinf__free(xbuf);
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
