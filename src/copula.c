/* Column ranks by radix sort; the Gaussian copula on top of them. */
#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "copula.h"
#include "special.h"

#define RADIX_BITS 16
#define RADIX_SIZE (1 << RADIX_BITS)

size_t mutinf__sort_work_bytes(int64_t n)
{
    /* two key buffers, two index buffers, one histogram */
    return (size_t)n * (2 * sizeof(uint64_t) + 2 * sizeof(int64_t)) + RADIX_SIZE * sizeof(int64_t);
}

/* Order-preserving map of doubles to unsigned integers (IEEE 754 total
 * order for non-NaN values; -0.0 is first turned into +0.0). */
static uint64_t sort_key(double x)
{
    x += 0.0;
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return (u >> 63) ? ~u : u | ((uint64_t)1 << 63);
}

void mutinf__sort_column(const mutinf__view *v, int64_t unit, void *work, double *values_out,
                         int64_t *order_out)
{
    const int64_t n = v->dim[0];
    uint64_t *key = work, *key2 = key + n;
    int64_t *idx = (int64_t *)(key2 + n), *idx2 = idx + n, *hist = idx2 + n;
    for (int64_t i = 0; i < n; i++) {
        key[i] = sort_key(mutinf__view_at2(v, i, unit));
        idx[i] = i;
    }
    for (int shift = 0; shift < 64; shift += RADIX_BITS) {
        memset(hist, 0, RADIX_SIZE * sizeof *hist);
        for (int64_t i = 0; i < n; i++)
            hist[(key[i] >> shift) & (RADIX_SIZE - 1)]++;
        if (hist[(key[0] >> shift) & (RADIX_SIZE - 1)] == n)
            continue; /* every key has this digit: the pass would not move anything */
        int64_t sum = 0;
        for (int64_t b = 0; b < RADIX_SIZE; b++) {
            int64_t c = hist[b];
            hist[b] = sum;
            sum += c;
        }
        for (int64_t i = 0; i < n; i++) {
            int64_t at = hist[(key[i] >> shift) & (RADIX_SIZE - 1)]++;
            key2[at] = key[i];
            idx2[at] = idx[i];
        }
        uint64_t *tk = key;
        key = key2;
        key2 = tk;
        int64_t *ti = idx;
        idx = idx2;
        idx2 = ti;
    }
    for (int64_t r = 0; r < n; r++) {
        /* the value back from its key (no second, random-order read) */
        uint64_t u = key[r];
        u = (u >> 63) ? u & ~((uint64_t)1 << 63) : ~u;
        memcpy(&values_out[r], &u, sizeof u);
        order_out[r] = idx[r];
    }
}

mutinf_status mutinf__copula_transform(const mutinf__view *v, const int64_t *units, int64_t m,
                                       int threads, double *out, int *non_finite_out)
{
    const int64_t n = v->dim[0];
    int nt = threads < 1 ? 1 : threads;
    if (nt > m) nt = (int)m;
    /* The columns are gathered into `out` first (column-major), in blocks of
     * rows so that a row-major input is read row by row and the written
     * column pieces stay in cache; sorting then reads contiguous columns. */
    const int64_t block = 256;
    int bad = 0; /* a NaN or infinity: ranks would be meaningless */
#pragma omp parallel for num_threads(nt) schedule(static) reduction(| : bad) if (nt > 1)
    for (int64_t i0 = 0; i0 < n; i0 += block) {
        int64_t i1 = i0 + block < n ? i0 + block : n;
        for (int64_t i = i0; i < i1; i++)
            for (int64_t j = 0; j < m; j++) {
                double x = mutinf__view_at2(v, i, units[j]);
                bad |= !isfinite(x);
                out[i + j * n] = x;
            }
    }
    *non_finite_out = bad;
    if (bad) return MUTINF_OK;

    /* Averaged ranks are half-integers: the average of ranks a..b (1-based)
     * is (a + b) / 2, so Phi^-1 is tabulated once at the 2n - 1 values
     * s / (2 (n + 1)), s = a + b in [2, 2n]. */
    double *table = mutinf__alloc((size_t)(2 * n + 1), sizeof *table, 0, "copula table");
    if (table == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    /* per thread: sort workspace, sorted values, order */
    size_t per = mutinf__sort_work_bytes(n) / sizeof(uint64_t) + 2 * (size_t)n;
    uint64_t *scratch = mutinf__alloc((size_t)nt * per, sizeof *scratch, 0, "copula sort buffer");
    if (scratch == NULL) {
        mutinf__free(table);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    const double denom = 2.0 * (double)(n + 1);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t s = 2; s <= 2 * n; s++)
        table[s] = mutinf__norm_quantile((double)s / denom);

    const mutinf__view cols = {
        .data = out, .is_f32 = 0, .rank = 2, .dim = {n, m, 1}, .stride = {1, n, 0}};

#pragma omp parallel num_threads(nt) if (nt > 1)
    {
#ifdef _OPENMP
        uint64_t *mine = scratch + (size_t)omp_get_thread_num() * per;
#else
        uint64_t *mine = scratch;
#endif
        double *val = (double *)(mine + mutinf__sort_work_bytes(n) / sizeof(uint64_t));
        int64_t *order = (int64_t *)(val + n);
#pragma omp for schedule(dynamic, 1)
        for (int64_t j = 0; j < m; j++) {
            mutinf__sort_column(&cols, j, mine, val, order); /* reads column j once */
            double *col = out + j * n;
            for (int64_t a = 0; a < n;) {
                int64_t b = a;
                while (b + 1 < n && val[b + 1] == val[a])
                    b++;
                /* 0-based a..b are 1-based ranks a+1..b+1: s = a + b + 2. */
                double q = table[a + b + 2];
                for (int64_t t = a; t <= b; t++)
                    col[order[t]] = q;
                a = b + 1;
            }
        }
    }
    mutinf__free(scratch);
    mutinf__free(table);
    return MUTINF_OK;
}
