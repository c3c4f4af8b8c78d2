/* k-means: a register-blocked AVX2/FMA kernel for the dot products of a
 * chunk of rows with every centroid (the x.c part of |c|^2 - 2 x.c).
 *
 * Why not GEMM: with a multi-threaded (pthread) OpenBLAS, a GEMM inside the
 * library's parallel loop must stay below its single-thread bound
 * (MUTINF__BLAS_SMALL multiply-adds), which for large k d means tiny calls
 * (32 x 32 x 256 for d = k = 256) whose per-call packing and dispatch cost
 * more than the arithmetic.  This kernel has no such bound.
 *
 * Layout, as in a GEMM micro-kernel (Goto and van de Geijn, "Anatomy of
 * high-performance matrix multiplication", TOMS 34(3), 2008): the centroids
 * are packed once per pass in feature-major panels of 8 (double) or 16
 * (float); the rows of the chunk are packed here in feature-major
 * micro-panels of 6 rows, so that both operands stream sequentially.  A
 * 6 x 8 (double) or 6 x 16 (float) block of results lives in 12 of the 16
 * ymm registers: per feature, 2 panel loads and 6 broadcasts feed 12 FMAs.
 * The features are cut into slabs of at most KC_MAX so that one panel slab
 * (16 KiB) stays in L1 while the row micro-panels of the chunk stream from
 * L2.
 *
 * Each dot product is one FMA chain over the features in order, started
 * from zero and carried across the feature slabs through G, whatever the
 * position of the row in the chunk, so the result does not depend on the
 * thread count or on the chunking. */
#include <immintrin.h>
#include <string.h>

#include "cpu.h"
#include "kmeans_impl.h"

#define MR     6   /* rows per micro-panel */
#define KC_MAX 256 /* features per slab: a panel slab of 8 doubles or 16 floats is 16 KiB */

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

int64_t mutinf__km_dots_pack_rows(int64_t m)
{
    return (m + MR - 1) / MR * MR;
}

/* Number of feature slabs and the width of each but the last (even split). */
static void slabs(int64_t d, int64_t *ns, int64_t *kc)
{
    *ns = (d + KC_MAX - 1) / KC_MAX;
    *kc = (d + *ns - 1) / *ns;
}

/* The rows after the chunk (usually this thread's next chunk) are read
 * from memory into L2 while the chunk computes, a few cache lines before
 * each kernel call: the number per call that covers m rows of `row_bytes`
 * over the calls of the chunk (`sweeps` passes over its micro-panels). */
static int64_t next_step(int64_t m, int64_t row_bytes, int64_t sweeps)
{
    int64_t lines = (m * row_bytes + 63) / 64, calls = sweeps * ((m + MR - 1) / MR);
    return (lines + calls - 1) / calls;
}

/* ---- double ----------------------------------------------------------- */

/* Rows [0, m) of x (d columns) into micro-panels of MR rows, feature-major
 * (xp[(mp * d + f) * MR + r]), the rows past m zero. */
static void pack_rows64(const double *x, int64_t m, int64_t d, double *xp)
{
    for (int64_t i0 = 0; i0 < m; i0 += MR) {
        double *dst = xp + i0 * d;
        int64_t mr = m - i0 < MR ? m - i0 : MR;
        if (mr == MR) {
            /* six sequential reads, one sequential write */
            const double *s0 = x + i0 * d, *s1 = s0 + d, *s2 = s1 + d, *s3 = s2 + d, *s4 = s3 + d,
                         *s5 = s4 + d;
            for (int64_t f = 0; f < d; f++) {
                dst[f * MR] = s0[f];
                dst[f * MR + 1] = s1[f];
                dst[f * MR + 2] = s2[f];
                dst[f * MR + 3] = s3[f];
                dst[f * MR + 4] = s4[f];
                dst[f * MR + 5] = s5[f];
            }
            continue;
        }
        for (int64_t f = 0; f < d; f++)
            for (int64_t r = 0; r < MR; r++)
                dst[f * MR + r] = r < mr ? x[(i0 + r) * d + f] : 0.0;
    }
}

/* The 6 x 8 block G[r * k + q] (r < mr, q < nj) over features [0, kc) of
 * the micro-panel a and the panel slab b, continuing the sums already in G
 * unless `first`. */
__attribute__((target("avx2,fma"))) static void kernel64(const double *a, const double *b,
                                                         int64_t kc, double *G, int64_t k,
                                                         int64_t mr, int64_t nj, int first)
{
    __m256d c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    double t[MR * 8];
    int full = mr == MR && nj == 8;
    if (first) {
        c00 = _mm256_setzero_pd();
        c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c00;
    } else {
        if (!full)
            for (int64_t r = 0; r < mr; r++)
                memcpy(t + r * 8, G + r * k, (size_t)nj * sizeof(double));
        const double *g = full ? G : t;
        int64_t ld = full ? k : 8;
        c00 = _mm256_loadu_pd(g), c01 = _mm256_loadu_pd(g + 4);
        c10 = _mm256_loadu_pd(g + ld), c11 = _mm256_loadu_pd(g + ld + 4);
        c20 = _mm256_loadu_pd(g + 2 * ld), c21 = _mm256_loadu_pd(g + 2 * ld + 4);
        c30 = _mm256_loadu_pd(g + 3 * ld), c31 = _mm256_loadu_pd(g + 3 * ld + 4);
        c40 = _mm256_loadu_pd(g + 4 * ld), c41 = _mm256_loadu_pd(g + 4 * ld + 4);
        c50 = _mm256_loadu_pd(g + 5 * ld), c51 = _mm256_loadu_pd(g + 5 * ld + 4);
    }
#pragma GCC unroll 4
    for (int64_t f = 0; f < kc; f++) {
        __m256d b0 = _mm256_loadu_pd(b + f * 8), b1 = _mm256_loadu_pd(b + f * 8 + 4);
        const double *af = a + f * MR;
        __m256d x = _mm256_broadcast_sd(af);
        c00 = _mm256_fmadd_pd(x, b0, c00);
        c01 = _mm256_fmadd_pd(x, b1, c01);
        x = _mm256_broadcast_sd(af + 1);
        c10 = _mm256_fmadd_pd(x, b0, c10);
        c11 = _mm256_fmadd_pd(x, b1, c11);
        x = _mm256_broadcast_sd(af + 2);
        c20 = _mm256_fmadd_pd(x, b0, c20);
        c21 = _mm256_fmadd_pd(x, b1, c21);
        x = _mm256_broadcast_sd(af + 3);
        c30 = _mm256_fmadd_pd(x, b0, c30);
        c31 = _mm256_fmadd_pd(x, b1, c31);
        x = _mm256_broadcast_sd(af + 4);
        c40 = _mm256_fmadd_pd(x, b0, c40);
        c41 = _mm256_fmadd_pd(x, b1, c41);
        x = _mm256_broadcast_sd(af + 5);
        c50 = _mm256_fmadd_pd(x, b0, c50);
        c51 = _mm256_fmadd_pd(x, b1, c51);
    }
    double *g = full ? G : t;
    int64_t ld = full ? k : 8;
    _mm256_storeu_pd(g, c00), _mm256_storeu_pd(g + 4, c01);
    _mm256_storeu_pd(g + ld, c10), _mm256_storeu_pd(g + ld + 4, c11);
    _mm256_storeu_pd(g + 2 * ld, c20), _mm256_storeu_pd(g + 2 * ld + 4, c21);
    _mm256_storeu_pd(g + 3 * ld, c30), _mm256_storeu_pd(g + 3 * ld + 4, c31);
    _mm256_storeu_pd(g + 4 * ld, c40), _mm256_storeu_pd(g + 4 * ld + 4, c41);
    _mm256_storeu_pd(g + 5 * ld, c50), _mm256_storeu_pd(g + 5 * ld + 4, c51);
    if (!full)
        for (int64_t r = 0; r < mr; r++)
            memcpy(G + r * k, t + r * 8, (size_t)nj * sizeof(double));
}

void mutinf__km_dots64(const double *x, int64_t m, int64_t d, const double *panels, int64_t k,
                       double *xpack, double *G)
{
    int64_t np = (k + 7) / 8, ns, kc;
    slabs(d, &ns, &kc);
    pack_rows64(x, m, d, xpack);
    /* addresses as integers: they may lie past the end of x (a prefetch does not fault) */
    uintptr_t next = (uintptr_t)(x + m * d), end = next + (uintptr_t)(m * d) * sizeof(double);
    int64_t step = next_step(m, d * (int64_t)sizeof(double), np * ns);
    for (int64_t s = 0; s < ns; s++) {
        int64_t f0 = s * kc, w = d - f0 < kc ? d - f0 : kc;
        for (int64_t p = 0; p < np; p++) {
            const double *b = panels + (p * d + f0) * 8;
            int64_t j0 = p * 8, nj = k - j0 < 8 ? k - j0 : 8;
            for (int64_t i0 = 0; i0 < m; i0 += MR) {
                for (int64_t q = 0; q < step && next < end; q++, next += 64)
                    _mm_prefetch((const char *)next, _MM_HINT_T1);
                kernel64(xpack + i0 * d + f0 * MR, b, w, G + i0 * k + j0, k,
                         m - i0 < MR ? m - i0 : MR, nj, s == 0);
            }
        }
    }
}

/* ---- float ------------------------------------------------------------ */

static void pack_rows32(const float *x, int64_t m, int64_t d, float *xp)
{
    for (int64_t i0 = 0; i0 < m; i0 += MR) {
        float *dst = xp + i0 * d;
        int64_t mr = m - i0 < MR ? m - i0 : MR;
        if (mr == MR) {
            /* six sequential reads, one sequential write */
            const float *s0 = x + i0 * d, *s1 = s0 + d, *s2 = s1 + d, *s3 = s2 + d, *s4 = s3 + d,
                        *s5 = s4 + d;
            for (int64_t f = 0; f < d; f++) {
                dst[f * MR] = s0[f];
                dst[f * MR + 1] = s1[f];
                dst[f * MR + 2] = s2[f];
                dst[f * MR + 3] = s3[f];
                dst[f * MR + 4] = s4[f];
                dst[f * MR + 5] = s5[f];
            }
            continue;
        }
        for (int64_t f = 0; f < d; f++)
            for (int64_t r = 0; r < MR; r++)
                dst[f * MR + r] = r < mr ? x[(i0 + r) * d + f] : 0.0f;
    }
}

/* As kernel64 with 6 x 16 floats. */
__attribute__((target("avx2,fma"))) static void kernel32(const float *a, const float *b, int64_t kc,
                                                         float *G, int64_t k, int64_t mr,
                                                         int64_t nj, int first)
{
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    float t[MR * 16];
    int full = mr == MR && nj == 16;
    if (first) {
        c00 = _mm256_setzero_ps();
        c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c00;
    } else {
        if (!full)
            for (int64_t r = 0; r < mr; r++)
                memcpy(t + r * 16, G + r * k, (size_t)nj * sizeof(float));
        const float *g = full ? G : t;
        int64_t ld = full ? k : 16;
        c00 = _mm256_loadu_ps(g), c01 = _mm256_loadu_ps(g + 8);
        c10 = _mm256_loadu_ps(g + ld), c11 = _mm256_loadu_ps(g + ld + 8);
        c20 = _mm256_loadu_ps(g + 2 * ld), c21 = _mm256_loadu_ps(g + 2 * ld + 8);
        c30 = _mm256_loadu_ps(g + 3 * ld), c31 = _mm256_loadu_ps(g + 3 * ld + 8);
        c40 = _mm256_loadu_ps(g + 4 * ld), c41 = _mm256_loadu_ps(g + 4 * ld + 8);
        c50 = _mm256_loadu_ps(g + 5 * ld), c51 = _mm256_loadu_ps(g + 5 * ld + 8);
    }
#pragma GCC unroll 4
    for (int64_t f = 0; f < kc; f++) {
        __m256 b0 = _mm256_loadu_ps(b + f * 16), b1 = _mm256_loadu_ps(b + f * 16 + 8);
        const float *af = a + f * MR;
        __m256 x = _mm256_broadcast_ss(af);
        c00 = _mm256_fmadd_ps(x, b0, c00);
        c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(af + 1);
        c10 = _mm256_fmadd_ps(x, b0, c10);
        c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(af + 2);
        c20 = _mm256_fmadd_ps(x, b0, c20);
        c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(af + 3);
        c30 = _mm256_fmadd_ps(x, b0, c30);
        c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(af + 4);
        c40 = _mm256_fmadd_ps(x, b0, c40);
        c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(af + 5);
        c50 = _mm256_fmadd_ps(x, b0, c50);
        c51 = _mm256_fmadd_ps(x, b1, c51);
    }
    float *g = full ? G : t;
    int64_t ld = full ? k : 16;
    _mm256_storeu_ps(g, c00), _mm256_storeu_ps(g + 8, c01);
    _mm256_storeu_ps(g + ld, c10), _mm256_storeu_ps(g + ld + 8, c11);
    _mm256_storeu_ps(g + 2 * ld, c20), _mm256_storeu_ps(g + 2 * ld + 8, c21);
    _mm256_storeu_ps(g + 3 * ld, c30), _mm256_storeu_ps(g + 3 * ld + 8, c31);
    _mm256_storeu_ps(g + 4 * ld, c40), _mm256_storeu_ps(g + 4 * ld + 8, c41);
    _mm256_storeu_ps(g + 5 * ld, c50), _mm256_storeu_ps(g + 5 * ld + 8, c51);
    if (!full)
        for (int64_t r = 0; r < mr; r++)
            memcpy(G + r * k, t + r * 16, (size_t)nj * sizeof(float));
}

void mutinf__km_dots32(const float *x, int64_t m, int64_t d, const float *panels, int64_t k,
                       float *xpack, float *G)
{
    int64_t np = (k + 15) / 16, ns, kc;
    slabs(d, &ns, &kc);
    pack_rows32(x, m, d, xpack);
    /* addresses as integers: they may lie past the end of x (a prefetch does not fault) */
    uintptr_t next = (uintptr_t)(x + m * d), end = next + (uintptr_t)(m * d) * sizeof(float);
    int64_t step = next_step(m, d * (int64_t)sizeof(float), np * ns);
    for (int64_t s = 0; s < ns; s++) {
        int64_t f0 = s * kc, w = d - f0 < kc ? d - f0 : kc;
        for (int64_t p = 0; p < np; p++) {
            const float *b = panels + (p * d + f0) * 16;
            int64_t j0 = p * 16, nj = k - j0 < 16 ? k - j0 : 16;
            for (int64_t i0 = 0; i0 < m; i0 += MR) {
                for (int64_t q = 0; q < step && next < end; q++, next += 64)
                    _mm_prefetch((const char *)next, _MM_HINT_T1);
                kernel32(xpack + i0 * d + f0 * MR, b, w, G + i0 * k + j0, k,
                         m - i0 < MR ? m - i0 : MR, nj, s == 0);
            }
        }
    }
}
