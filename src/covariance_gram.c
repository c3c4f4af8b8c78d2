/* The Gram accumulation of covariance.c with AVX2 + FMA register tiles.
 *
 * OpenBLAS's dsyrk reaches about half of the machine's dgemm speed on tall,
 * skinny inputs (m ~ 256 units, k ~ 1e5 samples): it splits the triangle
 * into dgemm calls whose packing and threading are sized for square shapes.
 * Here the rows go through in chunks of `kc` that stay in L2, each chunk
 * packed once into panels of 4 units (kc x 4, contiguous) after the shift
 * is subtracted, and every 12 x 4 tile of the lower triangle is accumulated
 * in 12 ymm registers over the chunk (3 panel loads and 4 broadcasts per
 * sample and 12 FMAs), then added to the accumulator in memory.  While
 * the tiles of a chunk run, the next chunk's rows are prefetched a few
 * lines per tile, so that packing reads them from cache (see row_prefetch).
 *
 * Work items and determinism: the rows form P contiguous slabs (the last
 * four lighter, see slab_weight) and the panel columns Q contiguous
 * ranges, P, Q and the slab boundaries fixed by the shape alone.  An
 * item (slab, range) owns its tiles of its slab's accumulator, so every
 * entry is one sequential sum over the slab's rows, and the slabs are added
 * in slab order: the same bits for every thread count.  No BLAS call is
 * made, so the OpenMP region cannot start BLAS threads. */
#include <immintrin.h>
#include <omp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "covariance.h"
#include "cpu.h"

/* Packed chunk target: 48 Ki doubles (384 KB), within one core's L2 next to
 * the accumulator tiles it updates. */
#define PACK_DOUBLES (48 * 1024)
#define KC_MIN       64
#define KC_MAX       512
/* At most MAX_SLABS slabs, of at least SLAB_MIN_CHUNKS chunks on average
 * (see slab_weight), and their accumulators within SLAB_BUDGET doubles
 * (one always allowed).  16 slabs keep the items small enough for the
 * threads to stay balanced when one of them is slowed by other work on the
 * machine (measured on 2 cores, 1e5 samples x 256 units: ~3% faster than 8
 * slabs, 32 no better). */
#define MAX_SLABS       16
#define SLAB_MIN_CHUNKS 8
#define SLAB_BUDGET     ((int64_t)1 << 22)
/* Work items aimed at (slabs x column ranges). */
#define MIN_ITEMS 8
/* Panels packed per pass over a row. */
#define ROW_GROUP 64

#if defined(__x86_64__) && defined(__GNUC__)
#define GRAM_TARGET      __attribute__((target("avx2,fma")))
#define GRAM_HAVE_KERNEL 1
#else
#define GRAM_HAVE_KERNEL 0
#endif

int mutinf__gram_available(void)
{
#if GRAM_HAVE_KERNEL
    return mutinf__cpu_has_avx2_fma();
#else
    return 0;
#endif
}

int64_t mutinf__gram_default_chunk(int64_t m)
{
    int64_t mp = (m + 3) / 4 * 4;
    int64_t kc = PACK_DOUBLES / (mp > 0 ? mp : 1);
    kc = kc < KC_MIN ? KC_MIN : kc > KC_MAX ? KC_MAX : kc;
    return kc / 16 * 16;
}

#if GRAM_HAVE_KERNEL

/* Doubles between the starts of consecutive packed panels: kc * 4 plus one
 * cache line, so that the panels (kc * 32 bytes apart, often a multiple of
 * 2 KB) do not all map to the same few L1 sets, which made the packing and
 * the tiles miss L1 on every access. */
static int64_t panel_stride(int64_t kc)
{
    return kc * 4 + 8;
}

/* 1 when panel p holds four consecutive units of a view with unit column
 * stride: each of its samples is one contiguous vector. */
static int unit_run(const mutinf__view *v, const int64_t *units, int64_t m, int64_t p)
{
    const int64_t *u = units + 4 * p;
    return 4 * p + 4 <= m && v->stride[1] == 1 && u[1] == u[0] + 1 && u[2] == u[0] + 2 &&
           u[3] == u[0] + 3;
}

/* sum[4 p + c] += lane c of s, c < w. */
GRAM_TARGET static void add_sums(__m256d s, int64_t p, int64_t w, double *sum)
{
    double t[4];
    _mm256_storeu_pd(t, s);
    for (int64_t c = 0; c < w; c++)
        sum[4 * p + c] += t[c];
}

/* Panels per block of the block packer. */
#define BLOCK_PANELS 8

/* 1 when panels p..p+BLOCK_PANELS-1 hold 4 * BLOCK_PANELS consecutive units
 * of a view with unit column stride: one run of adjacent elements per row. */
static int consecutive_block(const mutinf__view *v, const int64_t *units, int64_t m, int64_t p)
{
    const int64_t j0 = 4 * p, len = 4 * BLOCK_PANELS;
    if (v->stride[1] != 1 || j0 + len > m) return 0;
    for (int64_t j = 1; j < len; j++)
        if (units[j0 + j] != units[j0] + j) return 0;
    return 1;
}

/* Loads 4 elements of a row as doubles. */
GRAM_TARGET static inline __attribute__((always_inline)) __m256d load4(const void *row, int64_t e,
                                                                       int is_f32)
{
    if (is_f32) return _mm256_cvtps_pd(_mm_loadu_ps((const float *)row + e));
    return _mm256_loadu_pd((const double *)row + e);
}

/* A consecutive block (see consecutive_block) packed into panels dst,
 * dst + ps, ...: the shifts and the partial sums of the block's eight
 * panels stay in registers, where the general loop below keeps them in
 * memory, a load and a store more per vector.  The block is read in a
 * pass over the chunk's rows of its own, which the prefetch of the chunk
 * (see row_prefetch) serves from cache.  Row r of the input starts
 * at element r * rs of `src` (at the block's first unit).  part[k] = sum
 * over the rows of panel k, in row order (as pack_runs). */
GRAM_TARGET static inline __attribute__((always_inline)) void
pack_block(const void *src, int64_t rs, int is_f32, int64_t rows, const double *shift, int64_t ps,
           double *dst, __m256d part[BLOCK_PANELS])
{
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    const __m256d h0 = _mm256_loadu_pd(shift), h1 = _mm256_loadu_pd(shift + 4),
                  h2 = _mm256_loadu_pd(shift + 8), h3 = _mm256_loadu_pd(shift + 12),
                  h4 = _mm256_loadu_pd(shift + 16), h5 = _mm256_loadu_pd(shift + 20),
                  h6 = _mm256_loadu_pd(shift + 24), h7 = _mm256_loadu_pd(shift + 28);
    const int64_t es = is_f32 ? (int64_t)sizeof(float) : (int64_t)sizeof(double);
    for (int64_t r = 0; r < rows; r++) {
        const char *row = (const char *)src + (ptrdiff_t)(r * rs * es);
        double *d = dst + 4 * r;
#define PACK_ONE(k)                                                                                \
    do {                                                                                           \
        __m256d x = _mm256_sub_pd(load4(row, 4 * k, is_f32), h##k);                                \
        _mm256_storeu_pd(d + k * ps, x);                                                           \
        s##k = _mm256_add_pd(s##k, x);                                                             \
    } while (0)
        PACK_ONE(0);
        PACK_ONE(1);
        PACK_ONE(2);
        PACK_ONE(3);
        PACK_ONE(4);
        PACK_ONE(5);
        PACK_ONE(6);
        PACK_ONE(7);
#undef PACK_ONE
    }
    part[0] = s0, part[1] = s1, part[2] = s2, part[3] = s3;
    part[4] = s4, part[5] = s5, part[6] = s6, part[7] = s7;
}

GRAM_TARGET static void pack_block_f64(const void *src, int64_t rs, int64_t rows,
                                       const double *shift, int64_t ps, double *dst,
                                       __m256d part[BLOCK_PANELS])
{
    pack_block(src, rs, 0, rows, shift, ps, dst, part);
}

GRAM_TARGET static void pack_block_f32(const void *src, int64_t rs, int64_t rows,
                                       const double *shift, int64_t ps, double *dst,
                                       __m256d part[BLOCK_PANELS])
{
    pack_block(src, rs, 1, rows, shift, ps, dst, part);
}

/* The leading consecutive blocks among panels first..np-1 (buffer panel 0
 * is panel p0); returns the first panel not packed. */
GRAM_TARGET static int64_t pack_blocks(const mutinf__view *v, const int64_t *units, int64_t m,
                                       int64_t r0, int64_t rows, const double *shift, int64_t p0,
                                       int64_t np, int64_t ps, double *buf, double *sum)
{
    int64_t p = p0;
    for (; p + BLOCK_PANELS <= np && consecutive_block(v, units, m, p); p += BLOCK_PANELS) {
        __m256d part[BLOCK_PANELS];
        const int64_t e = r0 * v->stride[0] + units[4 * p];
        double *dst = buf + (p - p0) * ps;
        if (v->is_f32)
            pack_block_f32((const float *)v->data + e, v->stride[0], rows, shift + 4 * p, ps, dst,
                           part);
        else
            pack_block_f64((const double *)v->data + e, v->stride[0], rows, shift + 4 * p, ps, dst,
                           part);
        if (sum != NULL)
            for (int64_t k = 0; k < BLOCK_PANELS; k++)
                add_sums(part[k], p + k, 4, sum);
    }
    return p;
}

/* The unit-run panels among first..np-1 (see pack(); buffer panel 0 is
 * panel p0), read row by row so that a row-major input is read
 * contiguously, ROW_GROUP panels per pass (their partial sums stay in L1). */
GRAM_TARGET static void pack_runs(const mutinf__view *v, const int64_t *units, int64_t m,
                                  int64_t r0, int64_t rows, const double *shift, int64_t p0,
                                  int64_t first, int64_t np, int64_t ps, double *buf, double *sum)
{
    const int64_t rs = v->stride[0];
    for (int64_t g0 = first; g0 < np; g0 += ROW_GROUP) {
        int64_t g1 = np - g0 < ROW_GROUP ? np : g0 + ROW_GROUP, list[ROW_GROUP], nl = 0;
        __m256d part[ROW_GROUP];
        for (int64_t p = g0; p < g1; p++)
            if (unit_run(v, units, m, p)) {
                part[nl] = _mm256_setzero_pd();
                list[nl++] = p;
            }
        for (int64_t r = 0; r < rows; r++) {
            double *dst = buf + 4 * r - p0 * ps;
            if (v->is_f32) {
                const float *src = (const float *)v->data + (r0 + r) * rs;
                for (int64_t k = 0; k < nl; k++) {
                    int64_t j0 = 4 * list[k];
                    __m256d x = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(src + units[j0])),
                                              _mm256_loadu_pd(shift + j0));
                    _mm256_storeu_pd(dst + list[k] * ps, x);
                    part[k] = _mm256_add_pd(part[k], x);
                }
            } else {
                const double *src = (const double *)v->data + (r0 + r) * rs;
                for (int64_t k = 0; k < nl; k++) {
                    int64_t j0 = 4 * list[k];
                    __m256d x = _mm256_sub_pd(_mm256_loadu_pd(src + units[j0]),
                                              _mm256_loadu_pd(shift + j0));
                    _mm256_storeu_pd(dst + list[k] * ps, x);
                    part[k] = _mm256_add_pd(part[k], x);
                }
            }
        }
        if (sum != NULL)
            for (int64_t k = 0; k < nl; k++)
                add_sums(part[k], list[k], 4, sum);
    }
}

/* Panels p0..np-1 of rows [r0, r0 + rows): buf[(p - p0) * ps + r * 4 + c]
 * = x[r0 + r, units[4 p + c]] - shift[4 p + c], zero beyond m.  With `sum`,
 * sum[j] += the packed values of unit j (p0 must be 0 then), summed over
 * the chunk's rows in order before being added. */
GRAM_TARGET static void pack(const mutinf__view *v, const int64_t *units, int64_t m, int64_t r0,
                             int64_t rows, const double *shift, int64_t p0, int64_t np, int64_t ps,
                             double *buf, double *sum)
{
    const int64_t first = pack_blocks(v, units, m, r0, rows, shift, p0, np, ps, buf, sum);
    pack_runs(v, units, m, r0, rows, shift, p0, first, np, ps, buf, sum);
    /* the other panels (any strides, units and width): one at a time,
     * gathering one sample at a time */
    const int64_t rs = v->stride[0], cs = v->stride[1];
    for (int64_t p = first; p < np; p++) {
        if (unit_run(v, units, m, p)) continue;
        double *dst = buf + (p - p0) * ps;
        int64_t j0 = 4 * p, w = m - j0 < 4 ? m - j0 : 4;
        double t[4] = {0, 0, 0, 0};
        int64_t off[4] = {0, 0, 0, 0};
        for (int64_t c = 0; c < w; c++) {
            t[c] = shift[j0 + c];
            off[c] = units[j0 + c] * cs;
        }
        __m256d s = _mm256_setzero_pd(), sh = _mm256_loadu_pd(t);
        for (int64_t r = 0; r < rows; r++) {
            int64_t base = (r0 + r) * rs;
            if (v->is_f32)
                for (int64_t c = 0; c < w; c++)
                    t[c] = (double)((const float *)v->data)[base + off[c]];
            else
                for (int64_t c = 0; c < w; c++)
                    t[c] = ((const double *)v->data)[base + off[c]];
            __m256d x = _mm256_sub_pd(_mm256_loadu_pd(t), sh);
            if (w < 4) { /* padding units stay exactly zero */
                double z[4];
                _mm256_storeu_pd(z, x);
                for (int64_t c = w; c < 4; c++)
                    z[c] = 0.0;
                x = _mm256_loadu_pd(z);
            }
            _mm256_storeu_pd(dst + 4 * r, x);
            s = _mm256_add_pd(s, x);
        }
        if (sum != NULL) add_sums(s, p, w, sum);
    }
}

/* C[0..4 NI) x [0..4) (leading dimension ld) += A^T B over `rows` samples,
 * A = NI consecutive panels (stride ps), B one panel.  One named variable per
 * accumulator (GCC keeps an array of them in memory); `ni` is a constant in
 * each inlined copy, so the unused ones vanish. */
/* Column q of the tile: one broadcast, live next to the 3 panel loads and
 * the 12 accumulators (16 registers). */
#define FMA_COL(q)                                                                                 \
    do {                                                                                           \
        __m256d b = _mm256_broadcast_sd(B + 4 * r + q);                                            \
        x##q = _mm256_fmadd_pd(a0, b, x##q);                                                       \
        if (ni > 1) y##q = _mm256_fmadd_pd(a1, b, y##q);                                           \
        if (ni > 2) z##q = _mm256_fmadd_pd(a2, b, z##q);                                           \
    } while (0)
#define ADD4(dst, c, ld)                                                                           \
    do {                                                                                           \
        _mm256_storeu_pd(dst, _mm256_add_pd(_mm256_loadu_pd(dst), c##0));                          \
        _mm256_storeu_pd(dst + ld, _mm256_add_pd(_mm256_loadu_pd(dst + ld), c##1));                \
        _mm256_storeu_pd(dst + 2 * ld, _mm256_add_pd(_mm256_loadu_pd(dst + 2 * ld), c##2));        \
        _mm256_storeu_pd(dst + 3 * ld, _mm256_add_pd(_mm256_loadu_pd(dst + 3 * ld), c##3));        \
    } while (0)

GRAM_TARGET static inline __attribute__((always_inline)) void
tile(int ni, const double *A, int64_t ps, const double *B, int64_t rows, double *C, int64_t ld)
{
    __m256d x0 = _mm256_setzero_pd(), x1 = x0, x2 = x0, x3 = x0;
    __m256d y0 = x0, y1 = x0, y2 = x0, y3 = x0;
    __m256d z0 = x0, z1 = x0, z2 = x0, z3 = x0;
    const double *A1 = A + ps, *A2 = A + 2 * ps;
    for (int64_t r = 0; r < rows; r++) {
        __m256d a0 = _mm256_loadu_pd(A + 4 * r), a1 = a0, a2 = a0;
        if (ni > 1) a1 = _mm256_loadu_pd(A1 + 4 * r);
        if (ni > 2) a2 = _mm256_loadu_pd(A2 + 4 * r);
        FMA_COL(0);
        FMA_COL(1);
        FMA_COL(2);
        FMA_COL(3);
    }
    ADD4(C, x, ld);
    if (ni > 1) ADD4(C + 4, y, ld);
    if (ni > 2) ADD4(C + 8, z, ld);
}

GRAM_TARGET __attribute__((noinline)) static void
tile3(const double *A, int64_t ps, const double *B, int64_t rows, double *C, int64_t ld)
{
    tile(3, A, ps, B, rows, C, ld);
}
GRAM_TARGET __attribute__((noinline)) static void
tile2(const double *A, int64_t ps, const double *B, int64_t rows, double *C, int64_t ld)
{
    tile(2, A, ps, B, rows, C, ld);
}
GRAM_TARGET __attribute__((noinline)) static void
tile1(const double *A, int64_t ps, const double *B, int64_t rows, double *C, int64_t ld)
{
    tile(1, A, ps, B, rows, C, ld);
}
#undef FMA_COL
#undef ADD4

/* Software prefetch of the next chunk's rows, a few cache lines before each
 * tile of the current chunk.  Nothing else overlaps the packing's reads of
 * the input with arithmetic: a chunk read from memory while the FMA units
 * wait cost ~10% of the time (1e5 x 256, 2 threads); spread over the
 * tiles, the whole next chunk is in cache when it is packed.  Only for
 * views whose selected columns lie close together in a row (row-major
 * input).  The non-temporal hint measured best on the AMD EPYC (Zen 4) it
 * was tuned on: the packing's share of the time fell from ~10% to ~6.5%
 * with it, to ~7% with T0 and ~10.5% with T1. */
typedef struct row_prefetch {
    uintptr_t line;    /* next line to fetch, in the current row */
    uintptr_t row_lo;  /* first byte of the current row's span */
    int64_t row_bytes; /* bytes from one row to the next (any sign) */
    int64_t span;      /* bytes of each row's span */
    int64_t rows_left; /* rows to fetch, the current one included */
    int64_t per_tile;  /* lines fetched before each tile */
} row_prefetch;

#define LINE_BYTES 64

/* Element offsets of the selected columns within a row: lo..hi, the same
 * for every row. */
typedef struct row_span {
    int64_t lo, hi;
    int dense; /* 1 when hi - lo + 1 is at most twice the selected elements */
} row_span;

static row_span selected_span(const mutinf__view *v, const int64_t *units, int64_t m)
{
    row_span s = {0, 0, 0};
    if (m <= 0) return s;
    s.lo = s.hi = units[0] * v->stride[1];
    for (int64_t j = 1; j < m; j++) {
        int64_t e = units[j] * v->stride[1];
        s.lo = e < s.lo ? e : s.lo;
        s.hi = e > s.hi ? e : s.hi;
    }
    s.dense = s.hi - s.lo + 1 <= 2 * m;
    return s;
}

/* Starts fetching rows [r0, r0 + rows) over `tiles` calls of prefetch_step. */
static row_prefetch prefetch_start(const mutinf__view *v, row_span s, int64_t r0, int64_t rows,
                                   int64_t tiles)
{
    row_prefetch pf = {0, 0, 0, 0, 0, 0};
    if (!s.dense || rows <= 0 || tiles <= 0) return pf;
    const int64_t es = v->is_f32 ? (int64_t)sizeof(float) : (int64_t)sizeof(double);
    pf.row_bytes = v->stride[0] * es;
    pf.span = (s.hi - s.lo + 1) * es;
    pf.row_lo = (uintptr_t)v->data + (uintptr_t)((r0 * v->stride[0] + s.lo) * es);
    pf.line = pf.row_lo & ~(uintptr_t)(LINE_BYTES - 1);
    pf.rows_left = rows;
    int64_t lines = rows * (pf.span / LINE_BYTES + 2);
    pf.per_tile = (lines + tiles - 1) / tiles;
    return pf;
}

/* The next per_tile lines of the rows being fetched. */
GRAM_TARGET static inline void prefetch_step(row_prefetch *pf)
{
    for (int64_t k = 0; k < pf->per_tile && pf->rows_left > 0; k++) {
        _mm_prefetch((const char *)pf->line, _MM_HINT_NTA);
        pf->line += LINE_BYTES;
        if (pf->line >= pf->row_lo + (uintptr_t)pf->span) {
            pf->rows_left--;
            pf->row_lo += (uintptr_t)pf->row_bytes;
            pf->line = pf->row_lo & ~(uintptr_t)(LINE_BYTES - 1);
        }
    }
}

/* Tile calls per chunk for panel columns [J0, J1) of np panels. */
static int64_t tiles_per_chunk(int64_t np, int64_t J0, int64_t J1)
{
    int64_t t = 0;
    for (int64_t J = J0; J < J1; J++)
        t += (np - J + 2) / 3;
    return t;
}

/* One work item: panel columns [J0, J1) of the tiles of rows [r0, r1),
 * accumulated into acc (mp x mp, column-major); with `sum`, the shifted
 * column sums of those rows too. */
GRAM_TARGET static void item(const mutinf__view *v, const int64_t *units, int64_t m, int64_t mp,
                             const double *shift, row_span span, int64_t r0, int64_t r1, int64_t J0,
                             int64_t J1, int64_t kc, double *buf, double *acc, double *sum)
{
    const int64_t np = mp / 4, ps = panel_stride(kc), tiles = tiles_per_chunk(np, J0, J1);
    for (int64_t c0 = r0; c0 < r1; c0 += kc) {
        int64_t rows = r1 - c0 < kc ? r1 - c0 : kc, c1 = c0 + rows;
        pack(v, units, m, c0, rows, shift, J0, np, ps, buf, sum);
        row_prefetch pf = prefetch_start(v, span, c1, r1 - c1 < kc ? r1 - c1 : kc, tiles);
        for (int64_t J = J0; J < J1; J++) {
            const double *B = buf + (J - J0) * ps;
            for (int64_t I = J; I < np; I += 3) {
                const double *A = buf + (I - J0) * ps;
                double *C = acc + 4 * I + 4 * J * mp;
                prefetch_step(&pf);
                if (np - I >= 3)
                    tile3(A, ps, B, rows, C, mp);
                else if (np - I == 2)
                    tile2(A, ps, B, rows, C, mp);
                else
                    tile1(A, ps, B, rows, C, mp);
            }
        }
    }
}

/* Relative rows of slab p of P.  With enough slabs, the last four are
 * lighter (two halves, two quarters): the items that end the loop are
 * short, so the threads finish together even when one of them was slowed
 * down by other work on the machine (1e5 x 256, 2 threads: the first
 * thread done waited ~5 ms for the other with equal slabs, ~1.8 ms so;
 * lighter still, the last six slabs, was no better).  Slabs are fixed by
 * the shape alone, so the results stay the same for every thread count. */
static int64_t slab_weight(int64_t P, int64_t p)
{
    if (P < 8) return 4;
    return p >= P - 2 ? 1 : p >= P - 4 ? 2 : 4;
}

/* First row of slab p of P over n rows (p = P: n). */
static int64_t slab_start(int64_t n, int64_t P, int64_t p)
{
    int64_t before = 0, total = 0;
    for (int64_t q = 0; q < P; q++) {
        total += slab_weight(P, q);
        if (q < p) before += slab_weight(P, q);
    }
    return n / total * before + n % total * before / total;
}

/* First panel column of range q of Q, splitting the tile count
 * sum_J (np - J) of the triangle evenly. */
static int64_t range_start(int64_t np, int64_t Q, int64_t q)
{
    int64_t total = np * (np + 1) / 2, want = total * q / Q, done = 0, J = 0;
    while (J < np && done < want) {
        done += np - J;
        J++;
    }
    return J;
}

/* G (lower triangle, ld m) = the P slab accumulators (mp x mp each) added
 * in slab order, so every entry has the same bits for every thread count.
 * Column by column, each slab's part of a column added as one contiguous
 * (vectorized) run, the columns shared among T threads: the serial loop
 * over the entries with the slabs innermost, strided by mp^2, kept the
 * other thread idle for ~0.5% of the time (1e5 x 256, 2 threads). */
static void add_slabs(const double *acc, int64_t P, int64_t m, int64_t mp, int T, double *G)
{
#pragma omp parallel for num_threads(T) schedule(dynamic, 16) if (T > 1)
    for (int64_t j = 0; j < m; j++) {
        double *g = G + j + j * m;
        const double *a = acc + j + j * mp;
        memcpy(g, a, (size_t)(m - j) * sizeof *g);
        for (int64_t p = 1; p < P; p++)
            for (int64_t i = 0; i < m - j; i++)
                g[i] += a[p * mp * mp + i];
    }
}

mutinf_status mutinf__gram(const mutinf__view *v, const int64_t *units, int64_t m,
                           const double *shift, int threads, int64_t kc, double *G, double *sum)
{
    const int64_t n = v->dim[0], mp = (m + 3) / 4 * 4, np = mp / 4;
    if (kc <= 0) kc = mutinf__gram_default_chunk(m);
    if (kc > n) kc = n > 0 ? n : 1;
    int64_t P = n / (SLAB_MIN_CHUNKS * kc);
    P = P < 1 ? 1 : P > MAX_SLABS ? MAX_SLABS : P;
    while (P > 1 && P * mp * mp > SLAB_BUDGET)
        P--;
    int64_t Q = (MIN_ITEMS + P - 1) / P;
    if (Q > np) Q = np > 0 ? np : 1;
    int64_t items = P * Q;
    int T = threads < 1 ? 1 : threads;
    if (T > items) T = (int)items;

    double *acc = mutinf__alloc((size_t)(P * (mp * mp + mp)), sizeof *acc, 1, "Gram accumulators");
    const size_t per_thread = (size_t)(panel_stride(kc) * np);
    double *buf = mutinf__alloc((size_t)T * per_thread, sizeof *buf, 0, "Gram chunk");
    if (acc == NULL || buf == NULL) {
        mutinf__free(buf);
        mutinf__free(acc);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    double *sums = acc + P * mp * mp;
    const row_span span = selected_span(v, units, m);

#pragma omp parallel for num_threads(T) schedule(dynamic, 1) if (T > 1)
    for (int64_t it = 0; it < items; it++) {
        int64_t p = it / Q, q = it % Q;
        double *mine = buf + (size_t)omp_get_thread_num() * per_thread;
        item(v, units, m, mp, shift, span, slab_start(n, P, p), slab_start(n, P, p + 1),
             range_start(np, Q, q), range_start(np, Q, q + 1), kc, mine, acc + p * mp * mp,
             q == 0 ? sums + p * mp : NULL);
    }

    add_slabs(acc, P, m, mp, T, G);
    for (int64_t j = 0; j < m; j++) {
        double s = sums[j];
        for (int64_t p = 1; p < P; p++)
            s += sums[p * mp + j];
        sum[j] = s;
    }
    mutinf__free(buf);
    mutinf__free(acc);
    return MUTINF_OK;
}

#else

mutinf_status mutinf__gram(const mutinf__view *v, const int64_t *units, int64_t m,
                           const double *shift, int threads, int64_t kc, double *G, double *sum)
{
    (void)v, (void)units, (void)m, (void)shift, (void)threads, (void)kc, (void)G, (void)sum;
    return MUTINF_ERR_UNSUPPORTED;
}

#endif
