/* The dot-product kernel of src/kmeans_dots.c for one precision, included
 * there once for double and once for float with these defined:
 *   DOTS_T       element type            DOTS_V       vector of DOTS_HALF elements
 *   DOTS_NR      centroids per panel     DOTS_SUFFIX  64 or 32 (function names)
 *   DOTS_LOADU, DOTS_STOREU, DOTS_BCAST, DOTS_FMADD, DOTS_ZERO: the intrinsics.
 * The two precisions run the same operations in the same order. */
#define DOTS_CAT_(a, b) a##b
#define DOTS_CAT(a, b)  DOTS_CAT_(a, b)
#define DOTS_HALF       (DOTS_NR / 2)

/* Rows [0, m) of x (d columns) into micro-panels of MR rows, feature-major
 * (xp[(mp * d + f) * MR + r]), the rows past m zero. */
static void DOTS_CAT(pack_rows, DOTS_SUFFIX)(const DOTS_T *x, int64_t m, int64_t d, DOTS_T *xp)
{
    for (int64_t i0 = 0; i0 < m; i0 += MR) {
        DOTS_T *dst = xp + i0 * d;
        int64_t mr = m - i0 < MR ? m - i0 : MR;
        if (mr == MR) {
            /* six sequential reads, one sequential write */
            const DOTS_T *s0 = x + i0 * d, *s1 = s0 + d, *s2 = s1 + d, *s3 = s2 + d, *s4 = s3 + d,
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
                dst[f * MR + r] = r < mr ? x[(i0 + r) * d + f] : (DOTS_T)0;
    }
}

/* The 6 x DOTS_NR block G[r * k + q] (r < mr, q < nj) over features [0, kc) of
 * the micro-panel a and the panel slab b, continuing the sums already in G
 * unless `first`. */
__attribute__((target("avx2,fma"))) static void
DOTS_CAT(kernel, DOTS_SUFFIX)(const DOTS_T *a, const DOTS_T *b, int64_t kc, DOTS_T *G, int64_t k,
                              int64_t mr, int64_t nj, int first)
{
    DOTS_V c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    DOTS_T t[MR * DOTS_NR];
    int full = mr == MR && nj == DOTS_NR;
    if (first) {
        c00 = DOTS_ZERO();
        c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c00;
    } else {
        if (!full)
            for (int64_t r = 0; r < mr; r++)
                memcpy(t + r * DOTS_NR, G + r * k, (size_t)nj * sizeof(DOTS_T));
        const DOTS_T *g = full ? G : t;
        int64_t ld = full ? k : DOTS_NR;
        c00 = DOTS_LOADU(g), c01 = DOTS_LOADU(g + DOTS_HALF);
        c10 = DOTS_LOADU(g + ld), c11 = DOTS_LOADU(g + ld + DOTS_HALF);
        c20 = DOTS_LOADU(g + 2 * ld), c21 = DOTS_LOADU(g + 2 * ld + DOTS_HALF);
        c30 = DOTS_LOADU(g + 3 * ld), c31 = DOTS_LOADU(g + 3 * ld + DOTS_HALF);
        c40 = DOTS_LOADU(g + 4 * ld), c41 = DOTS_LOADU(g + 4 * ld + DOTS_HALF);
        c50 = DOTS_LOADU(g + 5 * ld), c51 = DOTS_LOADU(g + 5 * ld + DOTS_HALF);
    }
#pragma GCC unroll 4
    for (int64_t f = 0; f < kc; f++) {
        DOTS_V b0 = DOTS_LOADU(b + f * DOTS_NR), b1 = DOTS_LOADU(b + f * DOTS_NR + DOTS_HALF);
        const DOTS_T *af = a + f * MR;
        DOTS_V x = DOTS_BCAST(af);
        c00 = DOTS_FMADD(x, b0, c00);
        c01 = DOTS_FMADD(x, b1, c01);
        x = DOTS_BCAST(af + 1);
        c10 = DOTS_FMADD(x, b0, c10);
        c11 = DOTS_FMADD(x, b1, c11);
        x = DOTS_BCAST(af + 2);
        c20 = DOTS_FMADD(x, b0, c20);
        c21 = DOTS_FMADD(x, b1, c21);
        x = DOTS_BCAST(af + 3);
        c30 = DOTS_FMADD(x, b0, c30);
        c31 = DOTS_FMADD(x, b1, c31);
        x = DOTS_BCAST(af + 4);
        c40 = DOTS_FMADD(x, b0, c40);
        c41 = DOTS_FMADD(x, b1, c41);
        x = DOTS_BCAST(af + 5);
        c50 = DOTS_FMADD(x, b0, c50);
        c51 = DOTS_FMADD(x, b1, c51);
    }
    DOTS_T *g = full ? G : t;
    int64_t ld = full ? k : DOTS_NR;
    DOTS_STOREU(g, c00), DOTS_STOREU(g + DOTS_HALF, c01);
    DOTS_STOREU(g + ld, c10), DOTS_STOREU(g + ld + DOTS_HALF, c11);
    DOTS_STOREU(g + 2 * ld, c20), DOTS_STOREU(g + 2 * ld + DOTS_HALF, c21);
    DOTS_STOREU(g + 3 * ld, c30), DOTS_STOREU(g + 3 * ld + DOTS_HALF, c31);
    DOTS_STOREU(g + 4 * ld, c40), DOTS_STOREU(g + 4 * ld + DOTS_HALF, c41);
    DOTS_STOREU(g + 5 * ld, c50), DOTS_STOREU(g + 5 * ld + DOTS_HALF, c51);
    if (!full)
        for (int64_t r = 0; r < mr; r++)
            memcpy(G + r * k, t + r * DOTS_NR, (size_t)nj * sizeof(DOTS_T));
}

void DOTS_CAT(mutinf__km_dots, DOTS_SUFFIX)(const DOTS_T *x, int64_t m, int64_t d,
                                            const DOTS_T *panels, int64_t k, DOTS_T *xpack,
                                            DOTS_T *G)
{
    int64_t np = (k + DOTS_NR - 1) / DOTS_NR, ns, kc;
    slabs(d, &ns, &kc);
    DOTS_CAT(pack_rows, DOTS_SUFFIX)(x, m, d, xpack);
    /* addresses as integers: they may lie past the end of x (a prefetch does not fault) */
    uintptr_t next = (uintptr_t)(x + m * d), end = next + (uintptr_t)(m * d) * sizeof(DOTS_T);
    int64_t step = next_step(m, d * (int64_t)sizeof(DOTS_T), np * ns);
    for (int64_t s = 0; s < ns; s++) {
        int64_t f0 = s * kc, w = d - f0 < kc ? d - f0 : kc;
        for (int64_t p = 0; p < np; p++) {
            const DOTS_T *b = panels + (p * d + f0) * DOTS_NR;
            int64_t j0 = p * DOTS_NR, nj = k - j0 < DOTS_NR ? k - j0 : DOTS_NR;
            for (int64_t i0 = 0; i0 < m; i0 += MR) {
                for (int64_t q = 0; q < step && next < end; q++, next += 64)
                    _mm_prefetch((const char *)next, _MM_HINT_T1);
                DOTS_CAT(kernel, DOTS_SUFFIX)
                (xpack + i0 * d + f0 * MR, b, w, G + i0 * k + j0, k, m - i0 < MR ? m - i0 : MR, nj,
                 s == 0);
            }
        }
    }
}

#undef DOTS_CAT_
#undef DOTS_CAT
#undef DOTS_HALF
