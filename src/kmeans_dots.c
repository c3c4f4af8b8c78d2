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

/* ---- the kernel in double (6 x 8) and in float (6 x 16): pack_rows64,
 * kernel64, mutinf__km_dots64 and their 32 counterparts -------------------- */

#define DOTS_T      double
#define DOTS_V      __m256d
#define DOTS_NR     8
#define DOTS_SUFFIX 64
#define DOTS_LOADU  _mm256_loadu_pd
#define DOTS_STOREU _mm256_storeu_pd
#define DOTS_BCAST  _mm256_broadcast_sd
#define DOTS_FMADD  _mm256_fmadd_pd
#define DOTS_ZERO   _mm256_setzero_pd
#include "kmeans_dots_precision.h"
#undef DOTS_T
#undef DOTS_V
#undef DOTS_NR
#undef DOTS_SUFFIX
#undef DOTS_LOADU
#undef DOTS_STOREU
#undef DOTS_BCAST
#undef DOTS_FMADD
#undef DOTS_ZERO

#define DOTS_T      float
#define DOTS_V      __m256
#define DOTS_NR     16
#define DOTS_SUFFIX 32
#define DOTS_LOADU  _mm256_loadu_ps
#define DOTS_STOREU _mm256_storeu_ps
#define DOTS_BCAST  _mm256_broadcast_ss
#define DOTS_FMADD  _mm256_fmadd_ps
#define DOTS_ZERO   _mm256_setzero_ps
#include "kmeans_dots_precision.h"
