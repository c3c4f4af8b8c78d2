/* Kernels of the Jacobian estimator: row scaling and packing, the
 * covariance J J^T of one sample (SIMD over the inputs, 4 x 3 register
 * tiles, blocked for the cache in the column-major variant), Cholesky
 * factorizations of four small samples at once (SIMD across samples, one
 * sample per lane), and a blocked Cholesky factorization of one large
 * matrix whose trailing updates use the covariance product.
 *
 * Written with GCC vector extensions and compiled twice (target_clones):
 * once for x86-64-v3 (AVX2 + FMA, products contracted into FMAs) and once
 * for the baseline ISA; the loader picks one clone per process, so every
 * sample of every call goes through the same instructions. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "jacobian.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define JAC_SIMD                                                                                   \
    __attribute__((target_clones("arch=x86-64-v3", "default"), optimize("fp-contract=fast")))
#else
#define JAC_SIMD
#endif
#define JAC_INLINE static inline __attribute__((always_inline))

/* The helpers passing vectors by value are always inlined, so the psabi
 * note about 32-byte vector arguments without AVX cannot apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

typedef double v4d __attribute__((vector_size(32)));
/* Unaligned, aliasing-safe view of 4 doubles in memory. */
typedef double v4du __attribute__((vector_size(32), aligned(8), may_alias));

#define LANES MUTINF__JAC_LANES

JAC_INLINE v4d load4(const double *p)
{
    return *(const v4du *)p;
}
JAC_INLINE void store4(double *p, v4d x)
{
    *(v4du *)p = x;
}

/* Horizontal sum in a fixed order. */
JAC_INLINE double hsum(v4d a)
{
    return (a[0] + a[1]) + (a[2] + a[3]);
}

typedef long long v4di __attribute__((vector_size(32)));

#if defined(__clang__)
#define SHUFFLE2(a, b, i0, i1, i2, i3) __builtin_shufflevector(a, b, i0, i1, i2, i3)
#else
#define SHUFFLE2(a, b, i0, i1, i2, i3) __builtin_shuffle(a, b, (v4di){i0, i1, i2, i3})
#endif

/* {hsum(a), hsum(b), hsum(c), hsum(d)}: each sum in hsum()'s order. */
JAC_INLINE v4d hsum4(v4d a, v4d b, v4d c, v4d d)
{
    const v4d ab = SHUFFLE2(a, b, 0, 4, 2, 6) + SHUFFLE2(a, b, 1, 5, 3, 7); /* a01 b01 a23 b23 */
    const v4d cd = SHUFFLE2(c, d, 0, 4, 2, 6) + SHUFFLE2(c, d, 1, 5, 3, 7); /* c01 d01 c23 d23 */
    return SHUFFLE2(ab, cd, 0, 1, 4, 5) + SHUFFLE2(ab, cd, 2, 3, 6, 7);
}

/* Square roots of the four lanes (correctly rounded, NaN for a negative
 * lane): two packed SSE2 instructions on x86-64, where sqrt() of each lane
 * would also test its argument for errno. */
JAC_INLINE v4d sqrt4(v4d x)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    typedef double v2d __attribute__((vector_size(16)));
    const v2d lo = __builtin_ia32_sqrtpd((v2d){x[0], x[1]}),
              hi = __builtin_ia32_sqrtpd((v2d){x[2], x[3]});
    return (v4d){lo[0], lo[1], hi[0], hi[1]};
#else
    v4d r;
    for (int q = 0; q < 4; q++)
        r[q] = sqrt(x[q]);
    return r;
#endif
}

/* max |x_j| over n entries with stride cs, and a poison sum that is 0 for
 * finite data and NaN otherwise (x - x). */
JAC_INLINE void absmax_f64(const double *x, int64_t n, int64_t cs, double *mx, double *poison)
{
    double m0 = 0.0, m1 = 0.0, p0 = 0.0, p1 = 0.0;
    int64_t j = 0;
    if (cs == 1) {
        const v4di absmask = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
        v4d vm0 = {0, 0, 0, 0}, vm1 = vm0, vp0 = vm0, vp1 = vm0;
        for (; j + 8 <= n; j += 8) {
            v4d a = (v4d)((v4di)load4(x + j) & absmask),
                b = (v4d)((v4di)load4(x + j + 4) & absmask);
            v4di ga = a > vm0, gb = b > vm1;
            vm0 = (v4d)(((v4di)a & ga) | ((v4di)vm0 & ~ga));
            vm1 = (v4d)(((v4di)b & gb) | ((v4di)vm1 & ~gb));
            vp0 += a - a;
            vp1 += b - b;
        }
        for (int q = 0; q < 4; q++) {
            m0 = vm0[q] > m0 ? vm0[q] : m0;
            m1 = vm1[q] > m1 ? vm1[q] : m1;
            p0 += vp0[q];
            p1 += vp1[q];
        }
    }
    for (; j < n; j++) {
        double a = fabs(x[j * cs]);
        m0 = a > m0 ? a : m0;
        p0 += a - a;
    }
    *mx = m1 > m0 ? m1 : m0;
    *poison = p0 + p1;
}

JAC_INLINE void absmax_f32(const float *x, int64_t n, int64_t cs, double *mx, double *poison)
{
    double m0 = 0.0, m1 = 0.0, p0 = 0.0, p1 = 0.0;
    int64_t j = 0;
    for (; j + 2 <= n; j += 2) {
        double a = fabs((double)x[j * cs]), b = fabs((double)x[(j + 1) * cs]);
        m0 = a > m0 ? a : m0;
        m1 = b > m1 ? b : m1;
        p0 += a - a;
        p1 += b - b;
    }
    for (; j < n; j++) {
        double a = fabs((double)x[j * cs]);
        m0 = a > m0 ? a : m0;
        p0 += a - a;
    }
    *mx = m1 > m0 ? m1 : m0;
    *poison = p0 + p1;
}

/* The power-of-two exponent of the scale of a row with largest magnitude mx. */
static int scale_exponent(double mx, double noise_floor)
{
    if (noise_floor > mx) mx = noise_floor;
    int e = 0;
    if (mx >= DBL_MIN && mx <= DBL_MAX) {
        /* frexp for normal numbers: mx = f 2^e with f in [0.5, 1) */
        uint64_t bits;
        memcpy(&bits, &mx, sizeof bits);
        e = (int)((bits >> 52) & 0x7ff) - 1022;
    } else if (mx > 0.0 && mx <= DBL_MAX) {
        (void)frexp(mx, &e);
    }
    /* 2^-e must stay a normal double for the scaling to be exact (and
     * mutinf__jac_pow2 needs -1022 <= -e <= 1023); a row clamped at the top
     * is scaled to at most 4 in magnitude, which is as safe. */
    return e < -1021 ? -1021 : (e > 1022 ? 1022 : e);
}

JAC_SIMD
int mutinf__jac_row_scales(const mutinf__view *v, int64_t b, const int64_t *rows, int64_t m,
                           double noise_var, int *exps)
{
    const int64_t n = v->dim[2], cs = v->stride[2];
    const double floor_ = sqrt(noise_var);
    double poison = 0.0;
    for (int64_t r = 0; r < m; r++) {
        ptrdiff_t base = (ptrdiff_t)(b * v->stride[0] + rows[r] * v->stride[1]);
        double mx, p;
        if (v->is_f32)
            absmax_f32((const float *)v->data + base, n, cs, &mx, &p);
        else
            absmax_f64((const double *)v->data + base, n, cs, &mx, &p);
        poison += p;
        exps[r] = scale_exponent(mx, floor_);
    }
    return poison == 0.0 ? 0 : 1;
}

JAC_SIMD
void mutinf__jac_pack(const mutinf__view *v, int64_t b, const int64_t *rows, int64_t m,
                      const int *exps, int64_t k0, int64_t kc, int64_t kcp, double *jp)
{
    const int64_t cs = v->stride[2];
    const int64_t mp = MUTINF__JAC_ROWS(m);
    for (int64_t r = 0; r < m; r++) {
        ptrdiff_t base = (ptrdiff_t)(b * v->stride[0] + rows[r] * v->stride[1] + k0 * cs);
        double inv = exps != NULL ? mutinf__jac_pow2(-exps[r]) : 1.0;
        double *dst = jp + r * kcp;
        if (v->is_f32) {
            const float *x = (const float *)v->data + base;
            for (int64_t j = 0; j < kc; j++)
                dst[j] = (double)x[j * cs] * inv;
        } else if (cs == 1) {
            const double *x = (const double *)v->data + base;
            for (int64_t j = 0; j < kc; j++)
                dst[j] = x[j] * inv;
        } else {
            const double *x = (const double *)v->data + base;
            for (int64_t j = 0; j < kc; j++)
                dst[j] = x[j * cs] * inv;
        }
        for (int64_t j = kc; j < kcp; j++)
            dst[j] = 0.0;
    }
    for (int64_t r = m; r < mp; r++)
        memset(jp + r * kcp, 0, (size_t)kcp * sizeof *jp);
}

/* One step of a 4 x 3 tile: the rows a0..a3 at offset `at`, read by LOAD,
 * times the column vectors x0..x2 into the twelve accumulators c00..c32
 * (shared by syrk_tile() and syrk_tile_shifted(), whose sums must agree bit
 * for bit). */
#define TILE_4X3_STEP(LOAD, at)                                                                    \
    do {                                                                                           \
        y = LOAD(a0 + (at));                                                                       \
        c00 += y * x0;                                                                             \
        c01 += y * x1;                                                                             \
        c02 += y * x2;                                                                             \
        y = LOAD(a1 + (at));                                                                       \
        c10 += y * x0;                                                                             \
        c11 += y * x1;                                                                             \
        c12 += y * x2;                                                                             \
        y = LOAD(a2 + (at));                                                                       \
        c20 += y * x0;                                                                             \
        c21 += y * x1;                                                                             \
        c22 += y * x2;                                                                             \
        y = LOAD(a3 + (at));                                                                       \
        c30 += y * x0;                                                                             \
        c31 += y * x1;                                                                             \
        c32 += y * x2;                                                                             \
    } while (0)

/* One 4 x 3 tile of J J^T: rows a[0..3] against rows b[0..2], twelve
 * independent accumulators (three FMA latencies of two FMA pipes).  The
 * sums go to out[4][3], or, when cm is not NULL, straight into a column-
 * major matrix: entry (r, c) at cm[r + c*ldc], stored (accumulate 0),
 * added (1) or subtracted (2), each column of four by one vector (hsum4
 * gives the same sums as hsum). */
JAC_INLINE void syrk_tile(int64_t kcp, const double *const *a, const double *const *b,
                          double out[4][3], double *cm, int64_t ldc, int accumulate,
                          const double *pf, int64_t pf_lines)
{
    const double *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *b0 = b[0], *b1 = b[1], *b2 = b[2];
    v4d c00 = {0, 0, 0, 0}, c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00, c20 = c00,
        c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
    for (int64_t k = 0; k < kcp; k += 4) {
        /* pf_lines cache lines at pf, one every four steps: spread out,
         * the misses overlap the arithmetic instead of queueing */
        if ((k & 12) == 0 && k < 16 * pf_lines) __builtin_prefetch(pf + k / 2, 0, 3);
        v4d x0 = load4(b0 + k), x1 = load4(b1 + k), x2 = load4(b2 + k);
        v4d y;
        TILE_4X3_STEP(load4, k);
    }
    if (cm != NULL) {
        const v4d col[3] = {hsum4(c00, c10, c20, c30), hsum4(c01, c11, c21, c31),
                            hsum4(c02, c12, c22, c32)};
        for (int c = 0; c < 3; c++) {
            double *dst = cm + c * ldc;
            store4(dst, accumulate == 0
                            ? col[c]
                            : (accumulate == 1 ? load4(dst) + col[c] : load4(dst) - col[c]));
        }
        return;
    }
    /* the twelve sums by three vector reductions (hsum4: hsum()'s order) */
    const v4d col[3] = {hsum4(c00, c10, c20, c30), hsum4(c01, c11, c21, c31),
                        hsum4(c02, c12, c22, c32)};
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 3; c++)
            out[r][c] = col[c][r];
}

/* Row data that start 16 bytes past a 32-byte boundary (as malloc often
 * returns them) would make every other vector load of syrk_tile() cross a
 * cache line.  syrk_tile_shifted() reads such rows by aligned vectors that
 * start at element 2, so lane l of an accumulator sums the elements
 * k = l + 2 (mod 4): the first two elements enter lanes 2 and 3 first
 * (head2), the last two lanes 0 and 1 last (tail2).  Each lane then adds
 * the same products in the same order as the lane of syrk_tile() that
 * sums its class of k, and hsum()'s (l0 + l1) + (l2 + l3) of the rotated
 * lanes is the same pair of sums added the other way round: the same bits.
 * (The zeros the head and tail add to the other lanes change nothing: an
 * accumulator that starts at +0 is never -0.) */
JAC_INLINE v4d head2(const double *p)
{
    return (v4d){0.0, 0.0, p[0], p[1]};
}
JAC_INLINE v4d tail2(const double *p)
{
    return (v4d){p[0], p[1], 0.0, 0.0};
}

/* Whether the rows of a 4 x 3 tile all start 16 bytes past a 32-byte
 * boundary. */
JAC_INLINE int tile_shifted(const double *const *a, const double *const *b)
{
    uintptr_t x = 0;
    for (int r = 0; r < 4; r++)
        x |= (uintptr_t)a[r] ^ 16;
    for (int r = 0; r < 3; r++)
        x |= (uintptr_t)b[r] ^ 16;
    return (x & 31) == 0;
}

/* syrk_tile() into out[4][3] for rows that tile_shifted() accepts, the
 * same sums bit for bit by aligned loads (see head2). */
JAC_INLINE void syrk_tile_shifted(int64_t kcp, const double *const *a, const double *const *b,
                                  double out[4][3], const double *pf, int64_t pf_lines)
{
    const double *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *b0 = b[0], *b1 = b[1], *b2 = b[2];
    const v4d z = {0, 0, 0, 0};
    v4d x0 = head2(b0), x1 = head2(b1), x2 = head2(b2), y = head2(a0);
    v4d c00 = y * x0 + z, c01 = y * x1 + z, c02 = y * x2 + z;
    y = head2(a1);
    v4d c10 = y * x0 + z, c11 = y * x1 + z, c12 = y * x2 + z;
    y = head2(a2);
    v4d c20 = y * x0 + z, c21 = y * x1 + z, c22 = y * x2 + z;
    y = head2(a3);
    v4d c30 = y * x0 + z, c31 = y * x1 + z, c32 = y * x2 + z;
    for (int64_t k = 2; k < kcp - 2; k += 4) {
        /* the next sample's lines as in syrk_tile() */
        if (((k - 2) & 12) == 0 && k - 2 < 16 * pf_lines)
            __builtin_prefetch(pf + (k - 2) / 2, 0, 3);
        x0 = load4(b0 + k);
        x1 = load4(b1 + k);
        x2 = load4(b2 + k);
        TILE_4X3_STEP(load4, k);
    }
    const int64_t t = kcp - 2;
    x0 = tail2(b0 + t);
    x1 = tail2(b1 + t);
    x2 = tail2(b2 + t);
    TILE_4X3_STEP(tail2, t);
    const v4d col[3] = {hsum4(c00, c10, c20, c30), hsum4(c01, c11, c21, c31),
                        hsum4(c02, c12, c22, c32)};
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 3; c++)
            out[r][c] = col[c][r];
}

#undef TILE_4X3_STEP

/* Narrower tiles for the columns left of the diagonal block: 4 x nj. */
JAC_INLINE void syrk_tile_narrow(int64_t kcp, const double *const *a, const double *b0,
                                 const double *b1, double out[4][3])
{
    const double *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
    v4d c00 = {0, 0, 0, 0}, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
        c31 = c00;
    if (b1 != NULL) {
        for (int64_t k = 0; k < kcp; k += 4) {
            v4d x0 = load4(b0 + k), x1 = load4(b1 + k), y = load4(a0 + k);
            c00 += y * x0;
            c01 += y * x1;
            y = load4(a1 + k);
            c10 += y * x0;
            c11 += y * x1;
            y = load4(a2 + k);
            c20 += y * x0;
            c21 += y * x1;
            y = load4(a3 + k);
            c30 += y * x0;
            c31 += y * x1;
        }
    } else {
        for (int64_t k = 0; k < kcp; k += 4) {
            v4d x0 = load4(b0 + k);
            c00 += load4(a0 + k) * x0;
            c10 += load4(a1 + k) * x0;
            c20 += load4(a2 + k) * x0;
            c30 += load4(a3 + k) * x0;
        }
    }
    out[0][0] = hsum(c00);
    out[0][1] = hsum(c01);
    out[1][0] = hsum(c10);
    out[1][1] = hsum(c11);
    out[2][0] = hsum(c20);
    out[2][1] = hsum(c21);
    out[3][0] = hsum(c30);
    out[3][1] = hsum(c31);
}

/* The lower triangle of the diagonal 4 x 4 block: ten accumulators. */
JAC_INLINE void syrk_tile_diag(int64_t kcp, const double *const *a, double out[4][4])
{
    const double *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
    v4d c00 = {0, 0, 0, 0}, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c22 = c00, c30 = c00,
        c31 = c00, c32 = c00, c33 = c00;
    for (int64_t k = 0; k < kcp; k += 4) {
        v4d y0 = load4(a0 + k), y1 = load4(a1 + k), y2 = load4(a2 + k), y3 = load4(a3 + k);
        c00 += y0 * y0;
        c10 += y1 * y0;
        c11 += y1 * y1;
        c20 += y2 * y0;
        c21 += y2 * y1;
        c22 += y2 * y2;
        c30 += y3 * y0;
        c31 += y3 * y1;
        c32 += y3 * y2;
        c33 += y3 * y3;
    }
    /* the ten sums by three vector reductions (hsum4: hsum()'s order) */
    const v4d s0 = hsum4(c00, c10, c20, c30), s1 = hsum4(c11, c21, c31, c22),
              s2 = hsum4(c32, c33, c32, c33);
    out[0][0] = s0[0];
    out[1][0] = s0[1];
    out[2][0] = s0[2];
    out[3][0] = s0[3];
    out[1][1] = s1[0];
    out[2][1] = s1[1];
    out[3][1] = s1[2];
    out[2][2] = s1[3];
    out[3][2] = s2[0];
    out[3][3] = s2[1];
}

/* Writes the lower-triangle entries of a tile at rows i0.., columns j0...:
 * entry (i, j) to out[i*rs + j*cs], stored (accumulate 0), added (1) or
 * subtracted (2). */
JAC_INLINE void store_tile(int64_t m, int64_t i0, int64_t j0, int64_t nj, const double *t,
                           int64_t ldt, double *out, int64_t rs, int64_t cs, int accumulate)
{
    /* a tile wholly inside the lower triangle stores without tests */
    const int whole = i0 + 4 <= m && j0 + nj <= i0 + 1;
    for (int64_t r = 0; r < 4; r++)
        for (int64_t c = 0; c < nj; c++) {
            int64_t i = i0 + r, j = j0 + c;
            if (!whole && (i >= m || j > i)) continue;
            double *dst = out + i * rs + j * cs;
            double x = t[r * ldt + c];
            *dst = accumulate == 0 ? x : (accumulate == 1 ? *dst + x : *dst - x);
        }
}

/* The lower triangle of J J^T into out[i*rs + j*cs], columns in blocks of
 * jb (a multiple of 3) so that the rows a block reads stay in cache.
 * Every entry is the same sum whatever tile, block or order computes it:
 * one 4-wide accumulator over k, then a fixed horizontal sum; tiles sit on
 * a fixed grid (rows by 4, columns by 3). */
JAC_INLINE void syrk_body(int64_t m, int64_t kcp, const double *const *rowp, double *out,
                          int64_t rs, int64_t cs, int64_t jb, int accumulate,
                          const double *const *pf, int64_t pf_rows, int64_t pf_len)
{
    const int64_t mp = (m + 3) & ~(int64_t)3;
    /* Spread the prefetches of the data to come (pf_rows runs of pf_len
     * doubles at pf[0..pf_rows)) over the tiles: one cache line of 8
     * doubles per prefetch. */
    const int64_t tiles = (mp / 4) * (mp / 6 + 2) + 1;
    const int64_t row_lines = (pf_len + 7) / 8, lines = pf != NULL ? pf_rows * row_lines : 0;
    const int64_t per_tile = (lines + tiles - 1) / tiles;
    int64_t next_line = 0, pf_row = 0, pf_off = 0;
#define PREFETCH_SOME()                                                                            \
    for (int64_t q = 0; q < per_tile && next_line < lines; q++, next_line++) {                     \
        __builtin_prefetch(pf[pf_row] + pf_off, 0, 3);                                             \
        pf_off += 8;                                                                               \
        if (pf_off >= pf_len) {                                                                    \
            pf_off = 0;                                                                            \
            pf_row++;                                                                              \
        }                                                                                          \
    }
    for (int64_t jb0 = 0; jb0 < mp; jb0 += jb) {
        const int64_t jb1 = jb0 + jb;
        for (int64_t i0 = jb0 - jb0 % 4; i0 < mp; i0 += 4) {
            int64_t j0 = jb0;
            for (; j0 + 3 <= i0 && j0 < jb1; j0 += 3) {
                /* one run to prefetch (the lane path): inside the tile */
                const double *tpf = NULL;
                int64_t tpf_lines = 0;
                if (pf_rows == 1 && pf != NULL) {
                    tpf_lines = lines - next_line < per_tile ? lines - next_line : per_tile;
                    if (tpf_lines > kcp / 16) tpf_lines = kcp / 16;
                    tpf = pf[0] + next_line * 8;
                    next_line += tpf_lines;
                    pf_off = next_line * 8;
                } else {
                    PREFETCH_SOME();
                }
                double t[4][3];
                if (rs == 1 && i0 + 4 <= m) { /* a whole tile of a column-major matrix */
                    syrk_tile(kcp, rowp + i0, rowp + j0, t, out + i0 + j0 * cs, cs, accumulate, tpf,
                              tpf_lines);
                    continue;
                }
                if (tile_shifted(rowp + i0, rowp + j0))
                    syrk_tile_shifted(kcp, rowp + i0, rowp + j0, t, tpf, tpf_lines);
                else
                    syrk_tile(kcp, rowp + i0, rowp + j0, t, NULL, 0, 0, tpf, tpf_lines);
                store_tile(m, i0, j0, 3, &t[0][0], 3, out, rs, cs, accumulate);
            }
            if (j0 >= jb1 || j0 > i0) continue;
            if (j0 < i0) {
                PREFETCH_SOME();
                double t[4][3];
                int64_t nj = i0 - j0;
                syrk_tile_narrow(kcp, rowp + i0, rowp[j0], nj == 2 ? rowp[j0 + 1] : NULL, t);
                store_tile(m, i0, j0, nj, &t[0][0], 3, out, rs, cs, accumulate);
            }
            PREFETCH_SOME();
            double t[4][4];
            syrk_tile_diag(kcp, rowp + i0, t);
            store_tile(m, i0, i0, 4, &t[0][0], 4, out, rs, cs, accumulate);
        }
    }
#undef PREFETCH_SOME
}

JAC_SIMD
void mutinf__jac_syrk_lane(int64_t m, int64_t kcp, const double *const *rowp, double *cl, int lane,
                           int accumulate, const double *pf, int64_t pf_len)
{
    const int64_t mp = (m + 3) & ~(int64_t)3;
    syrk_body(m, kcp, rowp, cl + lane, m * LANES, LANES, mp + 3, accumulate, pf ? &pf : NULL, 1,
              pf_len);
}

JAC_SIMD
void mutinf__jac_syrk_colmajor(int64_t m, int64_t kcp, const double *const *rowp, double *c,
                               int64_t ldc, int accumulate, const double *const *pf,
                               int64_t pf_rows, int64_t pf_len)
{
    syrk_body(m, kcp, rowp, c, 1, ldc, MUTINF__JAC_JB, accumulate, pf, pf_rows, pf_len);
}

JAC_INLINE void syrk_group_body(int64_t m, int64_t kcp, const double *const *rowp, int64_t ldp,
                                double *cl, const double *pf, int64_t pf_len)
{
    const double *const *r0 = rowp, *const *r1 = rowp + ldp, *const *r2 = rowp + 2 * ldp,
                        *const *r3 = rowp + 3 * ldp;
    const int64_t lines = pf != NULL ? (pf_len + 7) / 8 : 0, per_row = (lines + m - 1) / m;
    int64_t next_line = 0;
    for (int64_t i = 0; i < m; i++) {
        for (int64_t q = 0; q < per_row && next_line < lines; q++, next_line++)
            __builtin_prefetch(pf + next_line * 8, 0, 3);
        const double *a0 = r0[i], *a1 = r1[i], *a2 = r2[i], *a3 = r3[i];
        double *out = cl + i * m * LANES;
        int64_t j = 0;
        for (; j < i; j += 2) { /* columns j and j + 1 (j + 1 <= i) */
            const double *b00 = r0[j], *b10 = r1[j], *b20 = r2[j], *b30 = r3[j];
            const double *b01 = r0[j + 1], *b11 = r1[j + 1], *b21 = r2[j + 1], *b31 = r3[j + 1];
            v4d c00 = {0, 0, 0, 0}, c10 = c00, c20 = c00, c30 = c00, c01 = c00, c11 = c00,
                c21 = c00, c31 = c00;
            for (int64_t k = 0; k < kcp; k += 4) {
                v4d y = load4(a0 + k);
                c00 += y * load4(b00 + k);
                c01 += y * load4(b01 + k);
                y = load4(a1 + k);
                c10 += y * load4(b10 + k);
                c11 += y * load4(b11 + k);
                y = load4(a2 + k);
                c20 += y * load4(b20 + k);
                c21 += y * load4(b21 + k);
                y = load4(a3 + k);
                c30 += y * load4(b30 + k);
                c31 += y * load4(b31 + k);
            }
            store4(out + j * LANES, hsum4(c00, c10, c20, c30));
            store4(out + (j + 1) * LANES, hsum4(c01, c11, c21, c31));
        }
        if (j == i) { /* the diagonal entry, when i is even */
            v4d c0 = {0, 0, 0, 0}, c1 = c0, c2 = c0, c3 = c0;
            for (int64_t k = 0; k < kcp; k += 4) {
                v4d y0 = load4(a0 + k), y1 = load4(a1 + k), y2 = load4(a2 + k), y3 = load4(a3 + k);
                c0 += y0 * y0;
                c1 += y1 * y1;
                c2 += y2 * y2;
                c3 += y3 * y3;
            }
            store4(out + i * LANES, hsum4(c0, c1, c2, c3));
        }
    }
}

JAC_SIMD
void mutinf__jac_syrk_group(int64_t m, int64_t kcp, const double *const *rowp, int64_t ldp,
                            double *cl, const double *pf, int64_t pf_len)
{
    /* The few inputs this kernel serves, each with its k-loop unrolled
     * (the same operations in the same order). */
    switch (kcp) {
    case 4:
        syrk_group_body(m, 4, rowp, ldp, cl, pf, pf_len);
        break;
    case 8:
        syrk_group_body(m, 8, rowp, ldp, cl, pf, pf_len);
        break;
    case 12:
        syrk_group_body(m, 12, rowp, ldp, cl, pf, pf_len);
        break;
    case 16:
        syrk_group_body(m, 16, rowp, ldp, cl, pf, pf_len);
        break;
    default:
        syrk_group_body(m, kcp, rowp, ldp, cl, pf, pf_len);
        break;
    }
}

JAC_SIMD
void mutinf__jac_chol_lanes(int64_t n, const double *src, int64_t lds, const int64_t *idx,
                            double *l, double *d)
{
#define SRC(i, j) (idx ? src + (idx[i] * lds + idx[j]) * LANES : src + ((i)*lds + (j)) * LANES)
#define LL(i, j)  (l + ((i)*n + (j)) * LANES)
    const v4d one = {1.0, 1.0, 1.0, 1.0};
    /* Columns two at a time (j, j + 1): rows share the loads of rows j and
     * j + 1.  Every element still subtracts its products in increasing p,
     * the p = j term of column j + 1 last, exactly as one column at a time. */
    int64_t j = 0;
    /* Columns four at a time: each pass over the rows below reads their
     * earlier entries once for four columns (L of 64 interleaved rows is
     * larger than L1).  Every element still subtracts its products in
     * increasing p, then is scaled, exactly as one column at a time. */
    for (; j + 4 <= n; j += 4) {
        const double *c0 = LL(j, 0), *c1 = LL(j + 1, 0), *c2 = LL(j + 2, 0), *c3 = LL(j + 3, 0);
        v4d s00 = load4(SRC(j, j)), t10 = load4(SRC(j + 1, j)), s11 = load4(SRC(j + 1, j + 1)),
            t20 = load4(SRC(j + 2, j)), t21 = load4(SRC(j + 2, j + 1)),
            s22 = load4(SRC(j + 2, j + 2)), t30 = load4(SRC(j + 3, j)),
            t31 = load4(SRC(j + 3, j + 1)), t32 = load4(SRC(j + 3, j + 2)),
            s33 = load4(SRC(j + 3, j + 3));
        for (int64_t p = 0; p < j; p++) {
            const v4d x0 = load4(c0 + p * LANES), x1 = load4(c1 + p * LANES),
                      x2 = load4(c2 + p * LANES), x3 = load4(c3 + p * LANES);
            s00 -= x0 * x0;
            t10 -= x1 * x0;
            s11 -= x1 * x1;
            t20 -= x2 * x0;
            t21 -= x2 * x1;
            s22 -= x2 * x2;
            t30 -= x3 * x0;
            t31 -= x3 * x1;
            t32 -= x3 * x2;
            s33 -= x3 * x3;
        }
        store4(d + j * LANES, s00);
        const v4d piv0 = sqrt4(s00), r0 = one / piv0;
        const v4d l10 = t10 * r0, l20 = t20 * r0, l30 = t30 * r0;
        s11 -= l10 * l10;
        store4(d + (j + 1) * LANES, s11);
        const v4d piv1 = sqrt4(s11), r1 = one / piv1;
        const v4d l21 = (t21 - l20 * l10) * r1, l31 = (t31 - l30 * l10) * r1;
        s22 -= l20 * l20;
        s22 -= l21 * l21;
        store4(d + (j + 2) * LANES, s22);
        const v4d piv2 = sqrt4(s22), r2 = one / piv2;
        const v4d l32 = ((t32 - l30 * l20) - l31 * l21) * r2;
        s33 -= l30 * l30;
        s33 -= l31 * l31;
        s33 -= l32 * l32;
        store4(d + (j + 3) * LANES, s33);
        const v4d piv3 = sqrt4(s33), r3 = one / piv3;
        store4(LL(j, j), piv0);
        store4(LL(j + 1, j), l10);
        store4(LL(j + 1, j + 1), piv1);
        store4(LL(j + 2, j), l20);
        store4(LL(j + 2, j + 1), l21);
        store4(LL(j + 2, j + 2), piv2);
        store4(LL(j + 3, j), l30);
        store4(LL(j + 3, j + 1), l31);
        store4(LL(j + 3, j + 2), l32);
        store4(LL(j + 3, j + 3), piv3);
        int64_t i = j + 4;
        for (; i + 3 <= n; i += 3) { /* three rows: twelve chains, seven loads per twelve */
            const double *z0 = LL(i, 0), *z1 = LL(i + 1, 0), *z2 = LL(i + 2, 0);
            v4d a0 = load4(SRC(i, j)), b0 = load4(SRC(i, j + 1)), e0 = load4(SRC(i, j + 2)),
                f0 = load4(SRC(i, j + 3)), a1 = load4(SRC(i + 1, j)), b1 = load4(SRC(i + 1, j + 1)),
                e1 = load4(SRC(i + 1, j + 2)), f1 = load4(SRC(i + 1, j + 3)),
                a2 = load4(SRC(i + 2, j)), b2 = load4(SRC(i + 2, j + 1)),
                e2 = load4(SRC(i + 2, j + 2)), f2 = load4(SRC(i + 2, j + 3));
            for (int64_t p = 0; p < j; p++) {
                const v4d x0 = load4(c0 + p * LANES), x1 = load4(c1 + p * LANES),
                          x2 = load4(c2 + p * LANES), x3 = load4(c3 + p * LANES);
                v4d z = load4(z0 + p * LANES);
                a0 -= z * x0;
                b0 -= z * x1;
                e0 -= z * x2;
                f0 -= z * x3;
                z = load4(z1 + p * LANES);
                a1 -= z * x0;
                b1 -= z * x1;
                e1 -= z * x2;
                f1 -= z * x3;
                z = load4(z2 + p * LANES);
                a2 -= z * x0;
                b2 -= z * x1;
                e2 -= z * x2;
                f2 -= z * x3;
            }
            a0 *= r0;
            a1 *= r0;
            a2 *= r0;
            b0 = (b0 - a0 * l10) * r1;
            b1 = (b1 - a1 * l10) * r1;
            b2 = (b2 - a2 * l10) * r1;
            e0 = ((e0 - a0 * l20) - b0 * l21) * r2;
            e1 = ((e1 - a1 * l20) - b1 * l21) * r2;
            e2 = ((e2 - a2 * l20) - b2 * l21) * r2;
            f0 = (((f0 - a0 * l30) - b0 * l31) - e0 * l32) * r3;
            f1 = (((f1 - a1 * l30) - b1 * l31) - e1 * l32) * r3;
            f2 = (((f2 - a2 * l30) - b2 * l31) - e2 * l32) * r3;
            store4(LL(i, j), a0);
            store4(LL(i, j + 1), b0);
            store4(LL(i, j + 2), e0);
            store4(LL(i, j + 3), f0);
            store4(LL(i + 1, j), a1);
            store4(LL(i + 1, j + 1), b1);
            store4(LL(i + 1, j + 2), e1);
            store4(LL(i + 1, j + 3), f1);
            store4(LL(i + 2, j), a2);
            store4(LL(i + 2, j + 1), b2);
            store4(LL(i + 2, j + 2), e2);
            store4(LL(i + 2, j + 3), f2);
        }
        for (; i + 2 <= n; i += 2) { /* two rows: eight chains, six loads per eight */
            const double *z0 = LL(i, 0), *z1 = LL(i + 1, 0);
            v4d a0 = load4(SRC(i, j)), b0 = load4(SRC(i, j + 1)), e0 = load4(SRC(i, j + 2)),
                f0 = load4(SRC(i, j + 3)), a1 = load4(SRC(i + 1, j)), b1 = load4(SRC(i + 1, j + 1)),
                e1 = load4(SRC(i + 1, j + 2)), f1 = load4(SRC(i + 1, j + 3));
            for (int64_t p = 0; p < j; p++) {
                const v4d x0 = load4(c0 + p * LANES), x1 = load4(c1 + p * LANES),
                          x2 = load4(c2 + p * LANES), x3 = load4(c3 + p * LANES);
                v4d z = load4(z0 + p * LANES);
                a0 -= z * x0;
                b0 -= z * x1;
                e0 -= z * x2;
                f0 -= z * x3;
                z = load4(z1 + p * LANES);
                a1 -= z * x0;
                b1 -= z * x1;
                e1 -= z * x2;
                f1 -= z * x3;
            }
            a0 *= r0;
            a1 *= r0;
            b0 = (b0 - a0 * l10) * r1;
            b1 = (b1 - a1 * l10) * r1;
            e0 = ((e0 - a0 * l20) - b0 * l21) * r2;
            e1 = ((e1 - a1 * l20) - b1 * l21) * r2;
            f0 = (((f0 - a0 * l30) - b0 * l31) - e0 * l32) * r3;
            f1 = (((f1 - a1 * l30) - b1 * l31) - e1 * l32) * r3;
            store4(LL(i, j), a0);
            store4(LL(i, j + 1), b0);
            store4(LL(i, j + 2), e0);
            store4(LL(i, j + 3), f0);
            store4(LL(i + 1, j), a1);
            store4(LL(i + 1, j + 1), b1);
            store4(LL(i + 1, j + 2), e1);
            store4(LL(i + 1, j + 3), f1);
        }
        for (; i < n; i++) {
            const double *z0 = LL(i, 0);
            v4d a0 = load4(SRC(i, j)), b0 = load4(SRC(i, j + 1)), e0 = load4(SRC(i, j + 2)),
                f0 = load4(SRC(i, j + 3));
            for (int64_t p = 0; p < j; p++) {
                const v4d z = load4(z0 + p * LANES);
                a0 -= z * load4(c0 + p * LANES);
                b0 -= z * load4(c1 + p * LANES);
                e0 -= z * load4(c2 + p * LANES);
                f0 -= z * load4(c3 + p * LANES);
            }
            a0 *= r0;
            b0 = (b0 - a0 * l10) * r1;
            e0 = ((e0 - a0 * l20) - b0 * l21) * r2;
            f0 = (((f0 - a0 * l30) - b0 * l31) - e0 * l32) * r3;
            store4(LL(i, j), a0);
            store4(LL(i, j + 1), b0);
            store4(LL(i, j + 2), e0);
            store4(LL(i, j + 3), f0);
        }
    }
    for (; j + 2 <= n; j += 2) {
        const double *lj = LL(j, 0), *lk = LL(j + 1, 0);
        v4d s0 = load4(SRC(j, j)), t10 = load4(SRC(j + 1, j)), s1 = load4(SRC(j + 1, j + 1));
        for (int64_t p = 0; p < j; p++) {
            v4d x = load4(lj + p * LANES), y = load4(lk + p * LANES);
            s0 -= x * x;
            t10 -= y * x;
            s1 -= y * y;
        }
        store4(d + j * LANES, s0);
        const v4d piv0 = sqrt4(s0);
        const v4d r0 = one / piv0;
        const v4d l10 = t10 * r0;
        s1 -= l10 * l10;
        store4(d + (j + 1) * LANES, s1);
        const v4d piv1 = sqrt4(s1);
        const v4d r1 = one / piv1;
        store4(LL(j, j), piv0);
        store4(LL(j + 1, j), l10);
        store4(LL(j + 1, j + 1), piv1);
        int64_t i = j + 2;
        for (; i + 4 <= n; i += 4) {
            const double *l0 = LL(i, 0), *l1 = LL(i + 1, 0), *l2 = LL(i + 2, 0), *l3 = LL(i + 3, 0);
            v4d a0 = load4(SRC(i, j)), a1 = load4(SRC(i + 1, j)), a2 = load4(SRC(i + 2, j)),
                a3 = load4(SRC(i + 3, j));
            v4d b0 = load4(SRC(i, j + 1)), b1 = load4(SRC(i + 1, j + 1)),
                b2 = load4(SRC(i + 2, j + 1)), b3 = load4(SRC(i + 3, j + 1));
            for (int64_t p = 0; p < j; p++) {
                v4d x = load4(lj + p * LANES), y = load4(lk + p * LANES);
                v4d z0 = load4(l0 + p * LANES), z1 = load4(l1 + p * LANES),
                    z2 = load4(l2 + p * LANES), z3 = load4(l3 + p * LANES);
                a0 -= z0 * x;
                b0 -= z0 * y;
                a1 -= z1 * x;
                b1 -= z1 * y;
                a2 -= z2 * x;
                b2 -= z2 * y;
                a3 -= z3 * x;
                b3 -= z3 * y;
            }
            a0 *= r0;
            a1 *= r0;
            a2 *= r0;
            a3 *= r0;
            b0 -= a0 * l10;
            b1 -= a1 * l10;
            b2 -= a2 * l10;
            b3 -= a3 * l10;
            store4(LL(i, j), a0);
            store4(LL(i + 1, j), a1);
            store4(LL(i + 2, j), a2);
            store4(LL(i + 3, j), a3);
            store4(LL(i, j + 1), b0 * r1);
            store4(LL(i + 1, j + 1), b1 * r1);
            store4(LL(i + 2, j + 1), b2 * r1);
            store4(LL(i + 3, j + 1), b3 * r1);
        }
        for (; i < n; i++) {
            const double *li = LL(i, 0);
            v4d a = load4(SRC(i, j)), bb = load4(SRC(i, j + 1));
            for (int64_t p = 0; p < j; p++) {
                v4d z = load4(li + p * LANES);
                a -= z * load4(lj + p * LANES);
                bb -= z * load4(lk + p * LANES);
            }
            a *= r0;
            bb -= a * l10;
            store4(LL(i, j), a);
            store4(LL(i, j + 1), bb * r1);
        }
    }
    if (j < n) { /* the last column of an odd order */
        const double *lj = LL(j, 0);
        v4d s0 = load4(SRC(j, j));
        for (int64_t p = 0; p < j; p++) {
            v4d x = load4(lj + p * LANES);
            s0 -= x * x;
        }
        store4(d + j * LANES, s0);
        const v4d piv0 = sqrt4(s0);
        store4(LL(j, j), piv0);
    }
#undef SRC
#undef LL
}

/* y = A^-1 x for A = L L^T, lane-interleaved n-vectors (x may equal y);
 * rd holds the reciprocals of L's diagonal. */
JAC_INLINE void solve_lanes(int64_t n, const double *l, const double *rd, const double *x,
                            double *y)
{
    for (int64_t i = 0; i < n; i++) { /* L z = x, rows of L contiguous */
        const double *li = l + i * n * LANES;
        v4d t = load4(x + i * LANES);
        for (int64_t p = 0; p < i; p++)
            t -= load4(li + p * LANES) * load4(y + p * LANES);
        store4(y + i * LANES, t * load4(rd + i * LANES));
    }
    /* L^T y = z: y_i final once rows > i have been swept; row i of L then
     * updates every y_p, p < i.  Four rows at a time share each y_p load
     * and store; each y_p still takes its updates in decreasing i. */
    int64_t i = n - 1;
    for (; i >= 3; i -= 4) {
        const double *l0 = l + i * n * LANES, *l1 = l0 - n * LANES, *l2 = l1 - n * LANES,
                     *l3 = l2 - n * LANES;
        v4d y0 = load4(y + i * LANES) * load4(rd + i * LANES);
        v4d y1 = (load4(y + (i - 1) * LANES) - load4(l0 + (i - 1) * LANES) * y0) *
                 load4(rd + (i - 1) * LANES);
        v4d t2 = load4(y + (i - 2) * LANES) - load4(l0 + (i - 2) * LANES) * y0;
        v4d y2 = (t2 - load4(l1 + (i - 2) * LANES) * y1) * load4(rd + (i - 2) * LANES);
        v4d t3 = load4(y + (i - 3) * LANES) - load4(l0 + (i - 3) * LANES) * y0;
        t3 -= load4(l1 + (i - 3) * LANES) * y1;
        v4d y3 = (t3 - load4(l2 + (i - 3) * LANES) * y2) * load4(rd + (i - 3) * LANES);
        store4(y + i * LANES, y0);
        store4(y + (i - 1) * LANES, y1);
        store4(y + (i - 2) * LANES, y2);
        store4(y + (i - 3) * LANES, y3);
        for (int64_t p = 0; p < i - 3; p++) {
            v4d t = load4(y + p * LANES) - load4(l0 + p * LANES) * y0;
            t -= load4(l1 + p * LANES) * y1;
            t -= load4(l2 + p * LANES) * y2;
            t -= load4(l3 + p * LANES) * y3;
            store4(y + p * LANES, t);
        }
    }
    for (; i >= 0; i--) {
        const double *li = l + i * n * LANES;
        v4d yi = load4(y + i * LANES) * load4(rd + i * LANES);
        store4(y + i * LANES, yi);
        for (int64_t p = 0; p < i; p++)
            store4(y + p * LANES, load4(y + p * LANES) - load4(li + p * LANES) * yi);
    }
}

JAC_SIMD
void mutinf__jac_inv_norm1_lanes(int64_t n, const double *l, double *work, double *est)
{
    double *x = work, *y = work + n * LANES, *rd = work + 2 * n * LANES;
    const v4di absmask = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    const v4d one = {1.0, 1.0, 1.0, 1.0};
    for (int64_t i = 0; i < n; i++)
        store4(rd + i * LANES, one / load4(l + (i * n + i) * LANES));
    const double inv_n = 1.0 / (double)n;
    for (int64_t i = 0; i < n; i++)
        store4(x + i * LANES, (v4d){inv_n, inv_n, inv_n, inv_n});
    solve_lanes(n, l, rd, x, y);
    v4d best = {0, 0, 0, 0};
    for (int64_t i = 0; i < n; i++)
        best += (v4d)((v4di)load4(y + i * LANES) & absmask);
    /* Hager's step: the sign vector of y, then the unit vector at the
     * largest entry of A^-1 sign(y). */
    for (int64_t i = 0; i < n; i++) {
        v4d yi = load4(y + i * LANES), s;
        for (int q = 0; q < LANES; q++)
            s[q] = yi[q] < 0.0 ? -1.0 : 1.0;
        store4(x + i * LANES, s);
    }
    solve_lanes(n, l, rd, x, y);
    /* First index of the largest |y_i| per lane, without branches. */
    v4d top = {-1.0, -1.0, -1.0, -1.0}, at = {0, 0, 0, 0};
    for (int64_t i = 0; i < n; i++) {
        const v4d a = (v4d)((v4di)load4(y + i * LANES) & absmask),
                  fi = {(double)i, (double)i, (double)i, (double)i};
        const v4di gt = a > top;
        top = (v4d)(((v4di)a & gt) | ((v4di)top & ~gt));
        at = (v4d)(((v4di)fi & gt) | ((v4di)at & ~gt));
    }
    memset(x, 0, (size_t)(n * LANES) * sizeof *x);
    for (int q = 0; q < LANES; q++)
        x[(int64_t)at[q] * LANES + q] = 1.0;
    solve_lanes(n, l, rd, x, y);
    v4d second = {0, 0, 0, 0};
    for (int64_t i = 0; i < n; i++)
        second += (v4d)((v4di)load4(y + i * LANES) & absmask);
    for (int q = 0; q < LANES; q++)
        est[q] = second[q] > best[q] ? second[q] : best[q];
}

JAC_SIMD
void mutinf__jac_inv_norm1_bound_lanes(int64_t n, const double *l, double *work, double *bound)
{
    /* |L^-1| <= M(L)^-1 entrywise for the comparison matrix M(L) (|L_ii| on
     * the diagonal, -|L_ij| below it; an M-matrix), so the row sums of
     * M(L)^-1 and M(L)^-T bound ||L^-1||_inf and ||L^-1||_1 = ||L^-T||_inf,
     * and ||A^-1||_1 <= ||L^-T||_1 ||L^-1||_1 = ||L^-1||_inf ||L^-1||_1
     * (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed.,
     * sec. 8.3).  Every term is non-negative, so the computed sums carry a
     * relative error of a few n eps at most. */
    double *x = work, *y = work + n * LANES, *rd = work + 2 * n * LANES;
    const v4di absmask = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    const v4d one = {1.0, 1.0, 1.0, 1.0};
    v4d mx = {0, 0, 0, 0}, my = mx, poison = mx;
    /* The reciprocals of the diagonal first: independent divisions, out of
     * the solves' dependency chains (one more rounding, within the
     * few n eps). */
    for (int64_t i = 0; i < n; i++)
        store4(rd + i * LANES, one / load4(l + (i * n + i) * LANES));
    for (int64_t i = 0; i < n; i++) { /* M(L) x = e, rows of L contiguous */
        /* four partial sums over p (p mod 4), so that the multiply-adds
         * are not one chain of latencies */
        const double *li = l + i * n * LANES;
        v4d t0 = {0, 0, 0, 0}, t1 = t0, t2 = t0, t3 = t0;
        int64_t p = 0;
        for (; p + 4 <= i; p += 4) {
            t0 += (v4d)((v4di)load4(li + p * LANES) & absmask) * load4(x + p * LANES);
            t1 += (v4d)((v4di)load4(li + (p + 1) * LANES) & absmask) * load4(x + (p + 1) * LANES);
            t2 += (v4d)((v4di)load4(li + (p + 2) * LANES) & absmask) * load4(x + (p + 2) * LANES);
            t3 += (v4d)((v4di)load4(li + (p + 3) * LANES) & absmask) * load4(x + (p + 3) * LANES);
        }
        for (; p < i; p++)
            t0 += (v4d)((v4di)load4(li + p * LANES) & absmask) * load4(x + p * LANES);
        const v4d xi = (one + ((t0 + t1) + (t2 + t3))) * load4(rd + i * LANES);
        store4(x + i * LANES, xi);
        const v4di gt = xi > mx;
        mx = (v4d)(((v4di)xi & gt) | ((v4di)mx & ~gt));
        poison += xi - xi; /* NaN once any entry is NaN or Inf */
    }
    /* M(L)^T y = e by rows of L: once y_i is final, row i adds its terms
     * to the sums t_p = 1 + sum_{i > p} |L_ip| y_i of the rows above
     * (y holds t until its entry is final). */
    for (int64_t i = 0; i < n; i++)
        store4(y + i * LANES, one);
    for (int64_t i = n - 1; i >= 0; i--) {
        const double *li = l + i * n * LANES;
        const v4d yi = load4(y + i * LANES) * load4(rd + i * LANES);
        store4(y + i * LANES, yi);
        const v4di gt = yi > my;
        my = (v4d)(((v4di)yi & gt) | ((v4di)my & ~gt));
        poison += yi - yi;
        for (int64_t p = 0; p < i; p++)
            store4(y + p * LANES,
                   load4(y + p * LANES) + (v4d)((v4di)load4(li + p * LANES) & absmask) * yi);
    }
    store4(bound, mx * my + poison);
}

JAC_SIMD
void mutinf__jac_norm1_lanes(int64_t n, const double *cl, int64_t ld, double *norm)
{
    const v4di absmask = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    v4d best = {0, 0, 0, 0};
    for (int64_t j = 0; j < n; j++) {
        /* column j of the symmetric matrix: row j up to the diagonal, then
         * column j below it */
        v4d col = {0, 0, 0, 0};
        for (int64_t i = 0; i <= j; i++)
            col += (v4d)((v4di)load4(cl + (j * ld + i) * LANES) & absmask);
        for (int64_t i = j + 1; i < n; i++)
            col += (v4d)((v4di)load4(cl + (i * ld + j) * LANES) & absmask);
        v4di gt = col > best;
        best = (v4d)(((v4di)col & gt) | ((v4di)best & ~gt));
    }
    for (int q = 0; q < LANES; q++)
        norm[q] = best[q];
}

JAC_SIMD
double mutinf__jac_norm1_colmajor(int64_t n, const double *a, int64_t lda, double *sums)
{
    const v4di absmask = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    for (int64_t j = 0; j < n; j++)
        sums[j] = 0.0;
    for (int64_t j = 0; j < n; j++) {
        /* Column j below the diagonal: its own sum (vector partial sums in
         * a fixed order) and, entry by entry, the row sums of rows i > j. */
        const double *col = a + j * lda;
        v4d acc = {0, 0, 0, 0};
        int64_t i = j + 1;
        for (; i + 4 <= n; i += 4) {
            const v4d x = (v4d)((v4di)load4(col + i) & absmask);
            acc += x;
            store4(sums + i, load4(sums + i) + x);
        }
        double sum = fabs(col[j]) + hsum(acc);
        for (; i < n; i++) {
            sum += fabs(col[i]);
            sums[i] += fabs(col[i]);
        }
        sums[j] += sum;
    }
    double norm = 0.0;
    for (int64_t j = 0; j < n; j++)
        norm = sums[j] > norm ? sums[j] : norm;
    return norm;
}

JAC_SIMD
void mutinf__jac_finish_group(int64_t m, double *cl, double noise, double lo, double hi, int *exps,
                              double *fac, int *safe)
{
    const v4d vlo = {lo, lo, lo, lo}, vhi = {hi, hi, hi, hi}, vnoise = {noise, noise, noise, noise},
              vmin = {DBL_MIN, DBL_MIN, DBL_MIN, DBL_MIN},
              vmax = {DBL_MAX, DBL_MAX, DBL_MAX, DBL_MAX};
    const v4di expmask = {0x7ff, 0x7ff, 0x7ff, 0x7ff}, bias = {1023, 1023, 1023, 1023};
    v4di ok = (v4di){-1, -1, -1, -1};
    for (int64_t u = 0; u < m; u++) {
        double *cuu = cl + (u * m + u) * LANES;
        v4d x = load4(cuu);
        ok &= (x >= vlo) & (x <= vhi);
        if (noise > 0.0) x += vnoise;
        store4(cuu, x);
        /* x = f 2^ex with f in [0.5, 1) for normal x; e = floor(ex / 2),
         * 0 outside the normal range */
        const v4di ex = (((v4di)x >> 52) & expmask) - (bias - 1);
        const v4di e = (ex >> 1) & ((x >= vmin) & (x <= vmax));
        store4(fac + u * LANES, (v4d)((bias - e) << 52));
        for (int q = 0; q < LANES; q++)
            exps[q * m + u] = (int)e[q];
    }
    for (int q = 0; q < LANES; q++)
        safe[q] = ok[q] != 0;
}

JAC_SIMD
void mutinf__jac_check_pivots(const double *d, int64_t n, const double *maxd, double guard, int *ok)
{
    const v4d mx = load4(maxd), zero = {0, 0, 0, 0};
    const v4d floor_ = (v4d){guard, guard, guard, guard} * mx;
    v4di good = mx > zero;
    for (int64_t u = 0; u < n; u++)
        good &= load4(d + u * LANES) > floor_; /* false for NaN */
    for (int q = 0; q < LANES; q++)
        if (!good[q]) ok[q] = 0;
}

JAC_SIMD
void mutinf__jac_scale_lanes(int64_t m, double *cl, const double *fac, double *sums, double *norm)
{
    const v4di absmask = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    const v4d zero = {0, 0, 0, 0};
    for (int64_t i = 0; i < m; i++)
        store4(sums + i * LANES, zero);
    /* Entry (i, j), j <= i, counts for columns j and i; each column's sum
     * takes its entries in increasing row order, as
     * mutinf__jac_norm1_lanes() does. */
    for (int64_t i = 0; i < m; i++) {
        const v4d fi = load4(fac + i * LANES);
        double *row = cl + i * m * LANES;
        v4d own = load4(sums + i * LANES);
        for (int64_t j = 0; j <= i; j++) {
            const v4d x = load4(row + j * LANES) * (fi * load4(fac + j * LANES));
            store4(row + j * LANES, x);
            const v4d a = (v4d)((v4di)x & absmask);
            own += a;
            if (j < i) store4(sums + j * LANES, load4(sums + j * LANES) + a);
        }
        store4(sums + i * LANES, own);
    }
    v4d best = zero;
    for (int64_t j = 0; j < m; j++) {
        const v4d col = load4(sums + j * LANES);
        const v4di gt = col > best;
        best = (v4d)(((v4di)col & gt) | ((v4di)best & ~gt));
    }
    store4(norm, best);
}

/* Columns per block of mutinf__jac_chol_colmajor (a multiple of 4). */
#define CHOL_NB 64

/* dst[r*kcp + k] = src[r + k*lds] for r < mt, k < nb, and zeros in columns
 * nb..kcp-1 (kcp = nb rounded up to 4): the panel's rows made contiguous.
 * Whole 4 x 4 blocks go through registers (four column loads, four row
 * stores), so neither side is read or written one strided double at a
 * time. */
JAC_INLINE void transpose_panel(int64_t mt, int64_t nb, const double *src, int64_t lds, double *dst,
                                int64_t kcp)
{
    const int64_t nb4 = nb & ~(int64_t)3;
    int64_t r = 0;
    for (; r + 4 <= mt; r += 4) {
        double *d0 = dst + r * kcp, *d1 = d0 + kcp, *d2 = d1 + kcp, *d3 = d2 + kcp;
        int64_t k = 0;
        for (; k < nb4; k += 4) {
            const double *s0 = src + r + k * lds;
            const v4d c0 = load4(s0), c1 = load4(s0 + lds), c2 = load4(s0 + 2 * lds),
                      c3 = load4(s0 + 3 * lds);
            /* rows of the 4 x 4 block whose columns are c0..c3 */
            const v4d t0 = SHUFFLE2(c0, c1, 0, 4, 2, 6), t1 = SHUFFLE2(c0, c1, 1, 5, 3, 7),
                      t2 = SHUFFLE2(c2, c3, 0, 4, 2, 6), t3 = SHUFFLE2(c2, c3, 1, 5, 3, 7);
            store4(d0 + k, SHUFFLE2(t0, t2, 0, 1, 4, 5));
            store4(d1 + k, SHUFFLE2(t1, t3, 0, 1, 4, 5));
            store4(d2 + k, SHUFFLE2(t0, t2, 2, 3, 6, 7));
            store4(d3 + k, SHUFFLE2(t1, t3, 2, 3, 6, 7));
        }
        for (; k < kcp; k++)
            for (int64_t q = 0; q < 4; q++)
                dst[(r + q) * kcp + k] = k < nb ? src[r + q + k * lds] : 0.0;
    }
    for (; r < mt; r++)
        for (int64_t k = 0; k < kcp; k++)
            dst[r * kcp + k] = k < nb ? src[r + k * lds] : 0.0;
}

JAC_SIMD
int mutinf__jac_chol_colmajor(int64_t n, double *a, int64_t lda, double *jp, const double **rowp,
                              const double *zeros)
{
    for (int64_t j0 = 0; j0 < n; j0 += CHOL_NB) {
        const int64_t nb = n - j0 < CHOL_NB ? n - j0 : CHOL_NB;
        /* The block of columns, left-looking within it (the earlier blocks'
         * updates are already applied): column j minus its products with
         * columns j0..j-1 of the block, in increasing order, then scaled. */
        for (int64_t j = j0; j < j0 + nb; j++) {
            double *cj = a + j * lda;
            int64_t p = j0;
            for (; p + 4 <= j; p += 4) { /* four columns per pass, same order */
                const double *c0 = a + p * lda, *c1 = c0 + lda, *c2 = c1 + lda, *c3 = c2 + lda;
                const double f0 = c0[j], f1 = c1[j], f2 = c2[j], f3 = c3[j];
                for (int64_t i = j; i < n; i++) {
                    double x = cj[i] - c0[i] * f0;
                    x -= c1[i] * f1;
                    x -= c2[i] * f2;
                    cj[i] = x - c3[i] * f3;
                }
            }
            for (; p < j; p++) {
                const double *cp = a + p * lda;
                const double f = cp[j];
                for (int64_t i = j; i < n; i++)
                    cj[i] -= cp[i] * f;
            }
            if (!(cj[j] > 0.0)) return 1;
            const double l = sqrt(cj[j]), r = 1.0 / l;
            cj[j] = l;
            for (int64_t i = j + 1; i < n; i++)
                cj[i] *= r;
        }
        /* Trailing update A22 -= L21 L21^T by the covariance product, L21's
         * rows packed contiguously (kcp = nb rounded up to 4, zero padded). */
        const int64_t t0 = j0 + nb, mt = n - t0;
        if (mt <= 0) break;
        const int64_t kcp = (nb + 3) & ~(int64_t)3, rows = MUTINF__JAC_ROWS(mt);
        transpose_panel(mt, nb, a + t0 + j0 * lda, lda, jp, kcp);
        for (int64_t r = 0; r < mt; r++)
            rowp[r] = jp + r * kcp;
        for (int64_t r = mt; r < rows; r++)
            rowp[r] = zeros;
        syrk_body(mt, kcp, rowp, a + t0 * (lda + 1), 1, lda, MUTINF__JAC_JB, 2, NULL, 0, 0);
    }
    return 0;
}

JAC_SIMD
void mutinf__jac_chol_solve_colmajor(int64_t n, const double *l, int64_t ldl, double *y)
{
    for (int64_t j = 0; j < n; j++) { /* L z = y, by columns */
        const double *cj = l + j * ldl;
        const double yj = y[j] / cj[j];
        y[j] = yj;
        for (int64_t i = j + 1; i < n; i++)
            y[i] -= cj[i] * yj;
    }
    for (int64_t j = n - 1; j >= 0; j--) { /* L^T x = z, by dot products */
        const double *cj = l + j * ldl;
        /* Four vector accumulators (independent FMA chains), then a fixed
         * order of sums: the same result whatever the alignment. */
        v4d s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
        int64_t i = j + 1;
        for (; i + 16 <= n; i += 16) {
            s0 += load4(cj + i) * load4(y + i);
            s1 += load4(cj + i + 4) * load4(y + i + 4);
            s2 += load4(cj + i + 8) * load4(y + i + 8);
            s3 += load4(cj + i + 12) * load4(y + i + 12);
        }
        for (; i + 4 <= n; i += 4)
            s0 += load4(cj + i) * load4(y + i);
        double s = hsum((s0 + s1) + (s2 + s3));
        for (; i < n; i++)
            s += cj[i] * y[i];
        y[j] = (y[j] - s) / cj[j];
    }
}
