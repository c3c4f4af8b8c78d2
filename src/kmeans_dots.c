/* k-means: a register-blocked AVX2/FMA kernel for the dot products of a
 * chunk of rows with every centroid (the x.c part of |c|^2 - 2 x.c).
 *
 * Why not GEMM: with a multi-threaded (pthread) OpenBLAS, a GEMM inside the
 * library's parallel loop must stay below its single-thread bound
 * (MUTINF__BLAS_SMALL multiply-adds), which for large k d means tiny calls
 * (32 x 32 x 256 for d = k = 256) whose per-call packing and dispatch cost
 * more than the arithmetic.  This kernel has no such bound: a chunk of m
 * rows against all k centroids, 4 rows x 8 centroids (double) or 4 x 16
 * (float) per register block, centroids packed feature-major in panels.
 * Each dot product is a fixed sequence of FMAs over the features, so the
 * result does not depend on the thread count. */
#include <immintrin.h>
#include <string.h>

#include "cpu.h"
#include "kmeans_impl.h"

void mutinf__km_pack_panels(const double *centers, int64_t k, int64_t d, double *p64, float *p32)
{
    int64_t w = p64 != NULL ? 8 : 16, np = (k + w - 1) / w;
    for (int64_t p = 0; p < np; p++)
        for (int64_t f = 0; f < d; f++)
            for (int64_t q = 0; q < w; q++) {
                int64_t j = p * w + q;
                double v = j < k ? centers[j * d + f] : 0.0;
                if (p64 != NULL)
                    p64[(p * d + f) * w + q] = v;
                else
                    p32[(p * d + f) * w + q] = (float)v;
            }
}

/* Stores the nj <= W leading lanes of a row block. */
static inline void store_part64(double *dst, const double *tmp, int64_t nj)
{
    memcpy(dst, tmp, (size_t)nj * sizeof(double));
}

__attribute__((target("avx2,fma"))) void
mutinf__km_dots64(const double *x, int64_t m, int64_t d, const double *panels, int64_t k, double *G)
{
    int64_t np = (k + 7) / 8;
    for (int64_t p = 0; p < np; p++) {
        const double *cp = panels + p * d * 8;
        int64_t j0 = p * 8, nj = k - j0 < 8 ? k - j0 : 8;
        int64_t i = 0;
        for (; i + 4 <= m; i += 4) {
            const double *x0 = x + i * d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
            __m256d a00 = _mm256_setzero_pd(), a01 = a00, a10 = a00, a11 = a00;
            __m256d a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int64_t f = 0; f < d; f++) {
                __m256d c0 = _mm256_loadu_pd(cp + f * 8), c1 = _mm256_loadu_pd(cp + f * 8 + 4);
                __m256d b = _mm256_broadcast_sd(x0 + f);
                a00 = _mm256_fmadd_pd(b, c0, a00);
                a01 = _mm256_fmadd_pd(b, c1, a01);
                b = _mm256_broadcast_sd(x1 + f);
                a10 = _mm256_fmadd_pd(b, c0, a10);
                a11 = _mm256_fmadd_pd(b, c1, a11);
                b = _mm256_broadcast_sd(x2 + f);
                a20 = _mm256_fmadd_pd(b, c0, a20);
                a21 = _mm256_fmadd_pd(b, c1, a21);
                b = _mm256_broadcast_sd(x3 + f);
                a30 = _mm256_fmadd_pd(b, c0, a30);
                a31 = _mm256_fmadd_pd(b, c1, a31);
            }
            double *g = G + i * k + j0;
            if (nj == 8) {
                _mm256_storeu_pd(g, a00);
                _mm256_storeu_pd(g + 4, a01);
                _mm256_storeu_pd(g + k, a10);
                _mm256_storeu_pd(g + k + 4, a11);
                _mm256_storeu_pd(g + 2 * k, a20);
                _mm256_storeu_pd(g + 2 * k + 4, a21);
                _mm256_storeu_pd(g + 3 * k, a30);
                _mm256_storeu_pd(g + 3 * k + 4, a31);
            } else {
                double t[8];
                const __m256d lo[4] = {a00, a10, a20, a30}, hi[4] = {a01, a11, a21, a31};
                for (int r = 0; r < 4; r++) {
                    _mm256_storeu_pd(t, lo[r]);
                    _mm256_storeu_pd(t + 4, hi[r]);
                    store_part64(g + r * k, t, nj);
                }
            }
        }
        for (; i < m; i++) {
            const double *x0 = x + i * d;
            __m256d a0 = _mm256_setzero_pd(), a1 = a0;
            for (int64_t f = 0; f < d; f++) {
                __m256d b = _mm256_broadcast_sd(x0 + f);
                a0 = _mm256_fmadd_pd(b, _mm256_loadu_pd(cp + f * 8), a0);
                a1 = _mm256_fmadd_pd(b, _mm256_loadu_pd(cp + f * 8 + 4), a1);
            }
            double t[8];
            _mm256_storeu_pd(t, a0);
            _mm256_storeu_pd(t + 4, a1);
            store_part64(G + i * k + j0, t, nj);
        }
    }
}

__attribute__((target("avx2,fma"))) void mutinf__km_dots32(const float *x, int64_t m, int64_t d,
                                                           const float *panels, int64_t k, float *G)
{
    int64_t np = (k + 15) / 16;
    for (int64_t p = 0; p < np; p++) {
        const float *cp = panels + p * d * 16;
        int64_t j0 = p * 16, nj = k - j0 < 16 ? k - j0 : 16;
        int64_t i = 0;
        for (; i + 4 <= m; i += 4) {
            const float *x0 = x + i * d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
            __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00;
            __m256 a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int64_t f = 0; f < d; f++) {
                __m256 c0 = _mm256_loadu_ps(cp + f * 16), c1 = _mm256_loadu_ps(cp + f * 16 + 8);
                __m256 b = _mm256_broadcast_ss(x0 + f);
                a00 = _mm256_fmadd_ps(b, c0, a00);
                a01 = _mm256_fmadd_ps(b, c1, a01);
                b = _mm256_broadcast_ss(x1 + f);
                a10 = _mm256_fmadd_ps(b, c0, a10);
                a11 = _mm256_fmadd_ps(b, c1, a11);
                b = _mm256_broadcast_ss(x2 + f);
                a20 = _mm256_fmadd_ps(b, c0, a20);
                a21 = _mm256_fmadd_ps(b, c1, a21);
                b = _mm256_broadcast_ss(x3 + f);
                a30 = _mm256_fmadd_ps(b, c0, a30);
                a31 = _mm256_fmadd_ps(b, c1, a31);
            }
            float t[16];
            const __m256 lo[4] = {a00, a10, a20, a30}, hi[4] = {a01, a11, a21, a31};
            for (int r = 0; r < 4; r++) {
                _mm256_storeu_ps(t, lo[r]);
                _mm256_storeu_ps(t + 8, hi[r]);
                memcpy(G + (i + r) * k + j0, t, (size_t)nj * sizeof(float));
            }
        }
        for (; i < m; i++) {
            const float *x0 = x + i * d;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0;
            for (int64_t f = 0; f < d; f++) {
                __m256 b = _mm256_broadcast_ss(x0 + f);
                a0 = _mm256_fmadd_ps(b, _mm256_loadu_ps(cp + f * 16), a0);
                a1 = _mm256_fmadd_ps(b, _mm256_loadu_ps(cp + f * 16 + 8), a1);
            }
            float t[16];
            _mm256_storeu_ps(t, a0);
            _mm256_storeu_ps(t + 8, a1);
            memcpy(G + i * k + j0, t, (size_t)nj * sizeof(float));
        }
    }
}
