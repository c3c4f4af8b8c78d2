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
 * sums of the centred values.  The cost satisfies the quadrangle inequality,
 * so the leftmost optimal j is non-decreasing in i, and each layer is solved
 * by divide and conquer over i in O(n log n) evaluations (the monotonicity
 * speed-up of Ckmeans' "loglinear" method), vectorised over j with a table
 * of reciprocals instead of divisions; the previous layer's arg-min bounds
 * each search from below (J_{m-1}[i] <= J_m[i]).  The top levels of the
 * recursion run breadth first (each level's searches in parallel), the
 * sub-trees below them in parallel, and sub-trees of at most
 * MUTINF__DP_LEAF rows level by level without recursion; every search has
 * fixed bounds, so the result does not depend on the thread count.
 * Memory: the arg-min table, k * n bytes (delta-coded in segments), for the
 * backtrack. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "error.h"
#include "cpu.h"
#include "kmeans_impl.h"

/* Asks for transparent huge pages on a large buffer: the arg-min table is
 * touched once, page by page, and 4 KiB page faults would cost more than
 * the programme itself.  Advisory only; failures are ignored. */
static void advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)p + 4095u) & ~(uintptr_t)4095u;
    uintptr_t e = ((uintptr_t)p + bytes) & ~(uintptr_t)4095u;
    if (p != NULL && e > a + (2u << 20)) (void)madvise((void *)a, (size_t)(e - a), MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

typedef double mutinf__v4d_x __attribute__((vector_size(32)));
typedef long long mutinf__v4l_x __attribute__((vector_size(32)));

/* Sorts n doubles ascending: LSD radix sort on the order-preserving 64-bit
 * image of each value, 16 bits per pass, skipping passes where every key
 * has the same digit. */
mutinf_status mutinf__km_sort_doubles(double *v, int64_t n)
{
    uint64_t *a = mutinf__alloc((size_t)n, sizeof(uint64_t), 0, "k-means sort keys");
    uint64_t *b = mutinf__alloc((size_t)n, sizeof(uint64_t), 0, "k-means sort keys");
    int64_t *hist = mutinf__alloc(4 * 65536, sizeof(int64_t), 1, "k-means sort histogram");
    if (!a || !b || !hist) {
        mutinf__free(a);
        mutinf__free(b);
        mutinf__free(hist);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    for (int64_t i = 0; i < n; i++) {
        uint64_t u;
        double x = v[i] == 0.0 ? 0.0 : v[i]; /* -0 sorts with +0 */
        memcpy(&u, &x, sizeof(u));
        u = (u >> 63) ? ~u : (u | (1ULL << 63));
        a[i] = u;
        for (int p = 0; p < 4; p++)
            hist[p * 65536 + ((u >> (16 * p)) & 0xFFFF)]++;
    }
    for (int p = 0; p < 4; p++) {
        int64_t *h = hist + p * 65536;
        if (h[(a[0] >> (16 * p)) & 0xFFFF] == n)
            continue; /* one digit value: this pass would not move anything */
        int64_t sum = 0;
        for (int q = 0; q < 65536; q++) {
            int64_t c = h[q];
            h[q] = sum;
            sum += c;
        }
        for (int64_t i = 0; i < n; i++)
            b[h[(a[i] >> (16 * p)) & 0xFFFF]++] = a[i];
        uint64_t *t = a;
        a = b;
        b = t;
    }
    for (int64_t i = 0; i < n; i++) {
        uint64_t u = a[i];
        u = (u >> 63) ? (u & ~(1ULL << 63)) : ~u;
        memcpy(&v[i], &u, sizeof(u));
    }
    mutinf__free(a);
    mutinf__free(b);
    mutinf__free(hist);
    return MUTINF_OK;
}

typedef struct dp_ctx {
    const double *S1, *S2, *inv, *prev;
    double *cur;
    int32_t *J;           /* this layer's arg-min row */
    const int32_t *Jprev; /* the previous layer's, or NULL for layer 2 */
    int64_t m;            /* layer: m clusters; j >= m - 1 */
} dp_ctx;

/* min over j in [jlo, jhi] of prev[j] + cost(j, i); leftmost arg-min. */
static inline __attribute__((always_inline)) int64_t
best_split_body(const dp_ctx *c, int64_t i, int64_t jlo, int64_t jhi, double *value)
{
    const double *S1 = c->S1, *S2 = c->S2, *inv = c->inv, *prev = c->prev;
    double s1i = S1[i], s2i = S2[i];
    double bv = INFINITY;
    int64_t bj = jlo;
    int64_t j = jlo;
    if (jhi - jlo >= 8) {
        mutinf__v4d_x vbest = {INFINITY, INFINITY, INFINITY, INFINITY};
        mutinf__v4l_x jbest = {jlo, jlo, jlo, jlo};
        mutinf__v4l_x jv = {jlo, jlo + 1, jlo + 2, jlo + 3};
        const mutinf__v4l_x four = {4, 4, 4, 4};
        for (; j + 3 <= jhi; j += 4) {
            mutinf__v4d_x p, a1, a2, r;
            memcpy(&p, prev + j, sizeof(p));
            memcpy(&a1, S1 + j, sizeof(a1));
            memcpy(&a2, S2 + j, sizeof(a2));
            /* inv[i - j - q] for q = 0..3: a reversed run */
            r = (mutinf__v4d_x){inv[i - j], inv[i - j - 1], inv[i - j - 2], inv[i - j - 3]};
            mutinf__v4d_x s = s1i - a1;
            mutinf__v4d_x val = p + ((s2i - a2) - s * s * r);
            mutinf__v4l_x lt = val < vbest; /* all ones where smaller */
            vbest = (mutinf__v4d_x)(((mutinf__v4l_x)val & lt) | ((mutinf__v4l_x)vbest & ~lt));
            jbest = (jv & lt) | (jbest & ~lt);
            jv += four;
        }
        for (int q = 0; q < 4; q++)
            if (vbest[q] < bv || (vbest[q] == bv && jbest[q] < bj)) {
                bv = vbest[q];
                bj = jbest[q];
            }
    }
    for (; j <= jhi; j++) {
        double s = s1i - S1[j];
        double val = prev[j] + ((s2i - S2[j]) - s * s * inv[i - j]);
        if (val < bv) {
            bv = val;
            bj = j;
        }
    }
    *value = bv;
    return bj;
}

/* Readable entries beyond the ends of S1, S2, prev (after index n) and inv
 * (before index 0), for best_split_masked. */
#define MUTINF__DP_PAD 4

/* As best_split_body, for the short ranges of the lowest levels: whole
 * vectors of four columns with the lanes past jhi masked, and a branch-free
 * merge of the lanes.  The searches there cover a few columns each, and the
 * data-dependent branches of a scalar tail (trip count, comparisons) are
 * mispredicted at nearly every row.  Same values as best_split_body. */
static inline __attribute__((always_inline)) int64_t
best_split_masked(const dp_ctx *c, int64_t i, int64_t jlo, int64_t jhi, double *value)
{
    const double *S1 = c->S1, *S2 = c->S2, *inv = c->inv, *prev = c->prev;
    double s1i = S1[i], s2i = S2[i];
    mutinf__v4d_x vbest = {INFINITY, INFINITY, INFINITY, INFINITY};
    mutinf__v4l_x jbest = {jlo, jlo, jlo, jlo};
    mutinf__v4l_x jv = {jlo, jlo + 1, jlo + 2, jlo + 3};
    const mutinf__v4l_x four = {4, 4, 4, 4}, last = {jhi, jhi, jhi, jhi};
    for (int64_t j = jlo; j <= jhi; j += 4) {
        mutinf__v4d_x p, a1, a2, r;
        memcpy(&p, prev + j, sizeof(p));
        memcpy(&a1, S1 + j, sizeof(a1));
        memcpy(&a2, S2 + j, sizeof(a2));
        r = (mutinf__v4d_x){inv[i - j], inv[i - j - 1], inv[i - j - 2], inv[i - j - 3]};
        mutinf__v4d_x s = s1i - a1;
        mutinf__v4d_x val = p + ((s2i - a2) - s * s * r);
        mutinf__v4l_x lt = (val < vbest) & (jv <= last);
        vbest = (mutinf__v4d_x)(((mutinf__v4l_x)val & lt) | ((mutinf__v4l_x)vbest & ~lt));
        jbest = (jv & lt) | (jbest & ~lt);
        jv += four;
    }
    /* the least value, then the least column among the lanes holding it */
    double b01 = vbest[0] < vbest[1] ? vbest[0] : vbest[1];
    double b23 = vbest[2] < vbest[3] ? vbest[2] : vbest[3];
    double bv = b01 < b23 ? b01 : b23;
    mutinf__v4d_x vb = {bv, bv, bv, bv};
    const mutinf__v4l_x big = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    mutinf__v4l_x eq = vbest == vb;
    mutinf__v4l_x jc = (jbest & eq) | (big & ~eq);
    int64_t j01 = jc[0] < jc[1] ? jc[0] : jc[1], j23 = jc[2] < jc[3] ? jc[2] : jc[3];
    int64_t bj = j01 < j23 ? j01 : j23;
    if (bj == INT64_MAX) bj = jlo; /* every value NaN: cannot happen with finite data */
    *value = bv;
    return bj;
}

/* Entries per independently coded segment of an arg-min row. */
#define MUTINF__DP_SEG 65536

/* Rows at most this many below a node: solved level by level (rows at
 * stride 2^L between solved neighbours), without recursion. */
#define MUTINF__DP_LEAF 8192

/* The recursion, compiled twice: with AVX2/FMA and for the baseline, each
 * with the split search inlined (a call per row costs as much as the
 * search itself in the deep levels, where ranges hold a few columns). */
#define MUTINF__DEFINE_SOLVE_RANGE(NAME, ATTR)                                                     \
    ATTR static void NAME(const dp_ctx *c, int64_t ilo, int64_t ihi, int64_t jlo, int64_t jhi)     \
    {                                                                                              \
        while (ilo <= ihi) {                                                                       \
            if (ihi - ilo < MUTINF__DP_LEAF) {                                                     \
                /* position p is row ilo - 1 + p; 0 and len + 1 stand for the bounds */            \
                int64_t base = ilo - 1, len = ihi - ilo + 1, s = 1;                                \
                while (2 * s <= len)                                                               \
                    s *= 2;                                                                        \
                for (; s >= 1; s /= 2)                                                             \
                    for (int64_t p = s; p <= len; p += 2 * s) {                                    \
                        int64_t i = base + p;                                                      \
                        int64_t lo = p - s == 0 ? jlo : c->J[i - s];                               \
                        int64_t hi = p + s > len ? jhi : c->J[i + s];                              \
                        hi = hi < i - 1 ? hi : i - 1;                                              \
                        if (c->Jprev != NULL && c->Jprev[i] > lo) lo = c->Jprev[i];                \
                        lo = lo < hi ? lo : hi;                                                    \
                        double v;                                                                  \
                        int64_t bj = best_split_masked(c, i, lo, hi, &v);                          \
                        c->cur[i] = v;                                                             \
                        c->J[i] = (int32_t)bj;                                                     \
                    }                                                                              \
                return;                                                                            \
            }                                                                                      \
            int64_t mid = ilo + (ihi - ilo) / 2;                                                   \
            int64_t hi = jhi < mid - 1 ? jhi : mid - 1;                                            \
            int64_t lo = c->Jprev != NULL && c->Jprev[mid] > jlo ? c->Jprev[mid] : jlo;            \
            lo = lo < hi ? lo : hi; /* a bound broken by rounding must not empty the range */      \
            double v;                                                                              \
            int64_t bj = best_split_body(c, mid, lo, hi, &v);                                      \
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

MUTINF__DEFINE_SOLVE_RANGE(solve_range_avx2, __attribute__((target("avx2,fma"))))
MUTINF__DEFINE_SOLVE_RANGE(solve_range_plain, )

static void solve_range(const dp_ctx *c, int64_t ilo, int64_t ihi, int64_t jlo, int64_t jhi)
{
    if (mutinf__cpu_has_avx2_fma())
        solve_range_avx2(c, ilo, ihi, jlo, jhi);
    else
        solve_range_plain(c, ilo, ihi, jlo, jhi);
}

/* The top levels: one split search per node. */
__attribute__((target_clones("arch=x86-64-v3", "default"))) static int64_t
best_split(const dp_ctx *c, int64_t i, int64_t jlo, int64_t jhi, double *value)
{
    return best_split_body(c, i, jlo, jhi, value);
}

typedef struct dp_node {
    int64_t ilo, ihi, jlo, jhi;
} dp_node;

/* One layer: rows i in [m, n].  The first levels breadth first, then the
 * remaining sub-trees in parallel.  Every node's bounds follow from the same
 * tree of mid-points, so the answer does not depend on the schedule. */
static void solve_layer(const dp_ctx *c, int64_t n, dp_node *nodes, dp_node *next,
                        int64_t max_nodes, int32_t threads)
{
    int64_t count = 1;
    nodes[0] = (dp_node){c->m, n, c->m - 1, n - 1};
    while (count > 0 && count * 2 <= max_nodes && count < 64) {
        int64_t produced = 0;
        /* the upper searches are long (the previous layer's bound is loose
         * for small m): in parallel from the second level on */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (count >= 2 && threads > 1)
        for (int64_t q = 0; q < count; q++) {
            dp_node nd = nodes[q];
            int64_t mid = nd.ilo + (nd.ihi - nd.ilo) / 2;
            int64_t hi = nd.jhi < mid - 1 ? nd.jhi : mid - 1;
            int64_t lo = c->Jprev != NULL && c->Jprev[mid] > nd.jlo ? c->Jprev[mid] : nd.jlo;
            lo = lo < hi ? lo : hi;
            double v;
            int64_t bj = best_split(c, mid, lo, hi, &v);
            c->cur[mid] = v;
            c->J[mid] = (int32_t)bj;
            next[2 * q] = (dp_node){nd.ilo, mid - 1, nd.jlo, bj};
            next[2 * q + 1] = (dp_node){mid + 1, nd.ihi, bj, nd.jhi};
        }
        for (int64_t q = 0; q < 2 * count; q++)
            if (next[q].ilo <= next[q].ihi) nodes[produced++] = next[q];
        count = produced;
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t q = 0; q < count; q++)
        solve_range(c, nodes[q].ilo, nodes[q].ihi, nodes[q].jlo, nodes[q].jhi);
}

mutinf_status mutinf__km_exact_1d(const mutinf__km_data *X, int64_t k, int32_t threads,
                                  mutinf__km_progress *prog, double *centers, int32_t *labels,
                                  double *inertia)
{
    int64_t n = X->n;
    mutinf_status st = MUTINF_OK;
    size_t n1 = (size_t)n + 1;
    double *v = mutinf__alloc((size_t)n, sizeof(double), 0, "k-means 1-D values");
    size_t np = n1 + MUTINF__DP_PAD;
    double *S1 = mutinf__alloc(np, sizeof(double), 1, "k-means 1-D prefix sums");
    double *S2 = mutinf__alloc(np, sizeof(double), 1, "k-means 1-D prefix sums");
    double *inv0 = mutinf__alloc(np, sizeof(double), 1, "k-means 1-D reciprocals");
    double *inv = inv0 != NULL ? inv0 + MUTINF__DP_PAD : NULL;
    double *Da = mutinf__alloc(np, sizeof(double), 1, "k-means 1-D costs");
    double *Db = mutinf__alloc(np, sizeof(double), 1, "k-means 1-D costs");
    /* Arg-min rows: the current and the previous layer in full (int32), and
     * every layer delta-coded in bytes for the backtrack (each row is
     * non-decreasing; a step of 255 or more is escaped to a side list, at
     * most n / 255 + 1 per layer).  A quarter of the memory of an int32
     * table, which matters: fresh pages cost more than the programme. */
    int32_t *Ja = mutinf__alloc(n1, sizeof(int32_t), 0, "k-means 1-D arg-min row");
    int32_t *Jb = mutinf__alloc(n1, sizeof(int32_t), 0, "k-means 1-D arg-min row");
    /* Each row is coded in segments of MUTINF__DP_SEG entries (coded in
     * parallel), each with its start value and its own escape list. */
    size_t nseg = (n1 + MUTINF__DP_SEG - 1) / MUTINF__DP_SEG;
    size_t esc_cap = MUTINF__DP_SEG / 255 + 2, layers = k > 1 ? (size_t)(k - 1) : 1;
    uint8_t *Jd = mutinf__alloc(layers * n1, 1, 0, "k-means 1-D arg-min table (k n bytes)");
    int32_t *Je = mutinf__alloc(layers * nseg * esc_cap, sizeof(int32_t), 0, "k-means 1-D escapes");
    int32_t *J0 = mutinf__alloc(layers * nseg, sizeof(int32_t), 0, "k-means 1-D row starts");
    dp_node *nodes = mutinf__alloc(128, sizeof(dp_node), 0, "k-means 1-D nodes");
    dp_node *next = mutinf__alloc(128, sizeof(dp_node), 0, "k-means 1-D nodes");
    if (!v || !S1 || !S2 || !inv || !Da || !Db || !Ja || !Jb || !Jd || !Je || !J0 || !nodes ||
        !next) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    advise_huge(Jd, layers * n1);
    for (int64_t i = 0; i < n; i++)
        v[i] = X->x64 != NULL ? X->x64[i] : (double)X->x32[i];
    st = mutinf__km_sort_doubles(v, n);
    if (st != MUTINF_OK) goto done;
    /* Centre on the median-ish middle value to keep the prefix sums small. */
    double mu = v[n / 2];
    S1[0] = S2[0] = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double t = v[i] - mu;
        S1[i + 1] = S1[i] + t;
        S2[i + 1] = S2[i] + t * t;
    }
    inv[0] = 0.0;
    for (int64_t i = 1; i <= n; i++)
        inv[i] = 1.0 / (double)i;
    /* Layer 1: one cluster over the first i values. */
    Da[0] = 0.0;
    for (int64_t i = 1; i <= n; i++)
        Da[i] = S2[i] - S1[i] * S1[i] * inv[i];
    double *prev = Da, *cur = Db;
    if (prog->fn != NULL && prog->fn(++prog->done, prog->total, prog->payload) != 0) {
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
        dp_ctx c = {S1, S2, inv, prev, cur, Jcur, m > 2 ? Jprev : NULL, m};
        solve_layer(&c, n, nodes, next, 128, threads);
        /* delta-code the row (rows i < m copy row m, keeping it monotone) */
        int64_t bad = 0;
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : bad) if (nseg > 1)
        for (size_t g = 0; g < nseg; g++) {
            size_t i0 = g * MUTINF__DP_SEG,
                   i1 = i0 + MUTINF__DP_SEG < n1 ? i0 + MUTINF__DP_SEG : n1;
            uint8_t *row = Jd + (size_t)(m - 2) * n1;
            int32_t *esc = Je + ((size_t)(m - 2) * nseg + g) * esc_cap;
            int32_t last = (int64_t)i0 < m ? Jcur[m] : Jcur[i0];
            J0[(size_t)(m - 2) * nseg + g] = last;
            row[i0] = 0;
            size_t ne = 0;
            for (size_t i = i0 + 1; i < i1; i++) {
                int32_t val = (int64_t)i < m ? Jcur[m] : Jcur[i];
                int32_t dlt = val - last;
                if (dlt >= 0 && dlt < 255) {
                    row[i] = (uint8_t)dlt;
                } else {
                    row[i] = 255;
                    esc[ne < esc_cap ? ne : esc_cap - 1] = dlt;
                    ne++;
                }
                last = val;
            }
            bad += ne > esc_cap;
        }
        if (bad != 0) {
            st = mutinf__fail(MUTINF_ERR_INTERNAL,
                              "mutinf_kmeans_fit: 1-D arg-min row %lld is not monotone",
                              (long long)m);
            goto done;
        }
        double *t = prev;
        prev = cur;
        cur = t;
        if (prog->fn != NULL && prog->fn(++prog->done, prog->total, prog->payload) != 0) {
            st = mutinf__fail(MUTINF_ERR_CANCELLED,
                              "mutinf_kmeans_fit: the progress callback asked to stop after "
                              "layer %lld of %lld",
                              (long long)m, (long long)k);
            goto done;
        }
    }
    /* Backtrack the group boundaries; centroids are the exact group means. */
    int64_t hi = n;
    for (int64_t m = k; m >= 1; m--) {
        int64_t lo = 0;
        if (m > 1) { /* decode J_m[hi] */
            size_t g = (size_t)hi / MUTINF__DP_SEG;
            const uint8_t *row = Jd + (size_t)(m - 2) * n1;
            const int32_t *esc = Je + ((size_t)(m - 2) * nseg + g) * esc_cap;
            int64_t val = J0[(size_t)(m - 2) * nseg + g];
            size_t e = 0;
            for (int64_t i = (int64_t)(g * MUTINF__DP_SEG) + 1; i <= hi; i++)
                val += row[i] == 255 ? esc[e++] : row[i];
            lo = val;
        }
        double s = 0.0;
        for (int64_t i = lo; i < hi; i++)
            s += v[i];
        centers[m - 1] = s / (double)(hi - lo);
        hi = lo;
    }
    /* Labels: the nearest centroid (lowest index on ties), by binary search. */
    double total = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double x = X->x64 != NULL ? X->x64[i] : (double)X->x32[i];
        int64_t lo = 0, up = k; /* first centre >= x */
        while (lo < up) {
            int64_t md = lo + (up - lo) / 2;
            if (centers[md] < x)
                lo = md + 1;
            else
                up = md;
        }
        int64_t lab = lo < k ? lo : k - 1;
        if (lo > 0) {
            double a = x - centers[lo - 1], b = lo < k ? x - centers[lo] : INFINITY;
            if (a * a <= b * b) lab = lo - 1;
        }
        labels[i] = (int32_t)lab;
        double t = x - centers[lab];
        total += t * t;
    }
    *inertia = total;
done:
    mutinf__free(v);
    mutinf__free(S1);
    mutinf__free(S2);
    mutinf__free(inv0);
    mutinf__free(Da);
    mutinf__free(Db);
    mutinf__free(Ja);
    mutinf__free(Jb);
    mutinf__free(Jd);
    mutinf__free(Je);
    mutinf__free(J0);
    mutinf__free(nodes);
    mutinf__free(next);
    return st;
}
