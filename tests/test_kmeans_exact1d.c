/* Tests of the exact one-dimensional k-means programme and its radix sort
 * (src/kmeans_exact1d.c), its Lagrangian search (src/kmeans_exact1d_lagrange.c),
 * and of the greedy k-means++ seeding
 * (src/kmeans_init.c).  Independent references: qsort, a plain O(k n^2)
 * dynamic programme in long double over every split, and the nearest centre
 * found by a linear scan. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mutinf/kmeans.h"
#include "testutil.h"

#include "kmeans_exact1d.h"
#include "kmeans_impl.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- the radix sort ----------------------------------------------------- */

static void check_sort(const double *v, int64_t n, int32_t threads)
{
    double *a = malloc((size_t)n * sizeof(double)), *b = malloc((size_t)n * sizeof(double));
    memcpy(a, v, (size_t)n * sizeof(double));
    memcpy(b, v, (size_t)n * sizeof(double));
    if (threads == 0)
        assert_status(mutinf__km_sort_doubles(a, n), MUTINF_OK);
    else
        assert_status(mutinf__km_sort_doubles_threads(a, n, threads), MUTINF_OK);
    qsort(b, (size_t)n, sizeof(double), cmp_double);
    for (int64_t i = 0; i < n; i++) {
        assert_true(a[i] == b[i]); /* -0.0 == +0.0 */
        if (b[i] != 0.0) assert_memory_equal(&a[i], &b[i], sizeof(double));
    }
    free(a);
    free(b);
}

/* Every kind of keys, the plain entry point and 1 to 3 threads (the
 * threads split the keys from 65536 on). */
static void test_sort_matches_qsort(void **state)
{
    (void)state;
    uint64_t s = 11;
    int64_t n = test_quick() ? 70000 : 200000;
    double *v = malloc((size_t)n * sizeof(double));
    for (int kind = 0; kind < 7; kind++) {
        for (int64_t i = 0; i < n; i++) {
            double z = test_rand_normal(&s);
            switch (kind) {
            case 0:
                v[i] = z;
                break;
            case 1:
                v[i] = floor(z * 4.0) / 4.0;
                break; /* many duplicates */
            case 2:    /* signed zeros and denormals among normals */
                v[i] = i % 4 == 0   ? (i % 8 ? 0.0 : -0.0)
                       : i % 4 == 1 ? z * DBL_TRUE_MIN * 1e3
                       : i % 4 == 2 ? (z < 0 ? -DBL_MIN : DBL_MIN) * fabs(z)
                                    : z;
                break;
            case 3:
                v[i] = 1e6 + z * 1e-9;
                break; /* keys share their high digits */
            case 4:
                v[i] = ldexp(z, (int)(test_rand_u64(&s) % 2000) - 1000);
                break;
            case 5:
                v[i] = i % 3 ? INFINITY * (z < 0 ? -1 : 1) : z;
                break;
            default:
                v[i] = 42.0;
                break; /* every pass skipped */
            }
        }
        for (int32_t threads = 0; threads <= 3; threads++)
            check_sort(v, n, threads);
        check_sort(v, 20000, 2);
        check_sort(v, 1, 2);
        check_sort(v, 7, 0);
    }
    free(v);
}

/* ---- the exact programme ------------------------------------------------ */

/* Least within-group sum of squares of the sorted values v[0..n) in k
 * contiguous groups: the plain programme over every split, in long double
 * with each group's cost by Welford's update of its own mean (no prefix-sum
 * cancellation), on values shifted by the middle one (exact for values
 * within a factor two of it; valgrind runs long double as double). */
static long double dp_reference(const double *v, int64_t n, int64_t k)
{
    long double *cost = malloc((size_t)(n * (n + 1)) * sizeof(long double));
    long double *D = malloc((size_t)(n + 1) * sizeof(long double));
    long double *E = malloc((size_t)(n + 1) * sizeof(long double));
    /* cost[j * (n + 1) + i] = SSE of v[j..i) */
    for (int64_t j = 0; j < n; j++) {
        long double mean = 0, m2 = 0;
        for (int64_t i = j + 1; i <= n; i++) { /* Welford */
            long double x = (long double)v[i - 1] - (long double)v[n / 2], dlt = x - mean;
            mean += dlt / (long double)(i - j);
            m2 += dlt * (x - mean);
            cost[j * (n + 1) + i] = m2;
        }
    }
    for (int64_t i = 0; i <= n; i++)
        D[i] = i == 0 ? 0.0L : cost[i];
    for (int64_t m = 2; m <= k; m++) {
        for (int64_t i = 0; i <= n; i++) {
            E[i] = INFINITY;
            for (int64_t j = m - 1; j < i; j++) {
                long double t = D[j] + cost[j * (n + 1) + i];
                if (t < E[i]) E[i] = t;
            }
        }
        memcpy(D, E, (size_t)(n + 1) * sizeof(long double));
    }
    long double r = D[n];
    free(cost);
    free(D);
    free(E);
    return r;
}

/* Fits x (n values) with k clusters on `threads` threads and checks the
 * result against the reference programme: the optimum, consistent
 * labels/centroids/inertia, nearest-centre labels. */
static void check_exact(const double *x, int64_t n, int64_t k, int32_t threads)
{
    double *sorted = malloc((size_t)n * sizeof(double));
    memcpy(sorted, x, (size_t)n * sizeof(double));
    qsort(sorted, (size_t)n, sizeof(double), cmp_double);
    int64_t distinct = 1;
    for (int64_t i = 1; i < n; i++)
        distinct += sorted[i] != sorted[i - 1];
    mutinf_kmeans *km = NULL;
    assert_status(mutinf_kmeans_create(&km), MUTINF_OK);
    assert_status(mutinf_kmeans_set_k(km, (int32_t)k), MUTINF_OK);
    assert_status(mutinf_kmeans_set_threads(km, threads), MUTINF_OK);
    int32_t *lab = malloc((size_t)n * sizeof(int32_t));
    double *c = malloc((size_t)k * sizeof(double));
    assert_status(mutinf_kmeans_fit(km, x, n, 1, 1, 1, lab), MUTINF_OK);
    double inertia;
    int32_t deg;
    assert_status(mutinf_kmeans_inertia(km, &inertia), MUTINF_OK);
    assert_status(mutinf_kmeans_centroids(km, c, k), MUTINF_OK);
    assert_status(mutinf_kmeans_degenerate(km, &deg), MUTINF_OK);
    assert_int_equal(deg, distinct < k);
    long double total = dp_reference(sorted, n, 1);
    double best = distinct < k ? 0.0 : (double)dp_reference(sorted, n, k);
    assert_close(inertia, best, 1e-10, 1e-12 * (double)total + 1e-300);
    long double recomputed = 0;
    for (int64_t i = 0; i < n; i++) {
        assert_true(lab[i] >= 0 && lab[i] < k);
        double dl = x[i] - c[lab[i]];
        for (int64_t j = 0; j < k; j++) {
            double dj = x[i] - c[j];
            assert_true(dl * dl <= dj * dj);
        }
        recomputed += (long double)dl * dl;
    }
    assert_close(inertia, (double)recomputed, 1e-12, 1e-300);
    for (int64_t j = 1; j < k && !deg; j++)
        assert_true(c[j] > c[j - 1]);
    mutinf_kmeans_destroy(km);
    free(lab);
    free(c);
    free(sorted);
}

static void test_exact_vs_reference(void **state)
{
    (void)state;
    uint64_t s = 123;
    int64_t n = test_quick() ? 150 : 600;
    double *x = malloc((size_t)n * sizeof(double));
    for (int kind = 0; kind < 8; kind++) {
        for (int64_t i = 0; i < n; i++) {
            double z = test_rand_normal(&s);
            switch (kind) {
            case 0:
                x[i] = z;
                break;
            case 1:
                x[i] = (double)(test_rand_u64(&s) % 9);
                break; /* heavy ties */
            case 2:
                x[i] = i % 2 ? 0.0 : fabs(z);
                break; /* a ReLU: half zeros */
            case 3:
                x[i] = 1e6 + z;
                break; /* large offset */
            case 4:
                x[i] = pow(1.05, (double)(i % 300));
                break; /* geometric spacing */
            case 5:
                x[i] = (double)(i % 5) * 100.0 + z * 1e-3;
                break; /* tight far blobs */
            case 6:
                x[i] = floor(z * 3.0) + (i % 7 == 0 ? 1e-9 * z : 0.0);
                break;
            default:
                x[i] = z * (i % 3 == 0 ? 1e3 : 1.0);
                break; /* outliers */
            }
        }
        for (int64_t k = 1; k <= 12; k += (k < 4 ? 1 : 4))
            check_exact(x, n, k, (int32_t)(1 + kind % 2));
    }
    /* k equal to the number of distinct values, and above it */
    for (int64_t i = 0; i < n; i++)
        x[i] = (double)(i % 6);
    check_exact(x, n, 6, 2);
    check_exact(x, n, 7, 2);
    free(x);
}

/* The baseline kernels (taken where AVX2/FMA does not run) against the
 * reference on the same kinds of data. */
static void test_exact_plain_kernels(void **state)
{
    (void)state;
    mutinf__km_exact_1d_force_plain(1);
    test_exact_vs_reference(state);
    mutinf__km_exact_1d_force_plain(0);
}

/* Ties and edge cases, on both kernel sets and 1 and 3 threads: every value
 * equal (k = 1), two distinct values, k = n, a large run of zeros among
 * distinct values (rows whose arg-min jumps over the run), few distinct
 * values with k up to their number, duplicates a rounding error apart. */
static void test_exact_ties_and_edges(void **state)
{
    (void)state;
    uint64_t s = 77;
    int64_t n = test_quick() ? 160 : 400;
    double *x = malloc((size_t)n * sizeof(double));
    for (int plain = 0; plain < 2; plain++) {
        mutinf__km_exact_1d_force_plain(plain);
        for (int32_t threads = 1; threads <= 3; threads += 2) {
            for (int64_t i = 0; i < n; i++)
                x[i] = 2.5;
            check_exact(x, n, 1, threads);
            for (int64_t i = 0; i < n; i++)
                x[i] = i % 3 == 0 ? -1.0 : 4.0;
            check_exact(x, n, 1, threads);
            check_exact(x, n, 2, threads);
            for (int64_t i = 0; i < 40; i++)
                x[i] = test_rand_normal(&s);
            check_exact(x, 40, 40, threads);
            check_exact(x, 40, 39, threads);
            for (int64_t i = 0; i < n; i++) {
                double z = test_rand_normal(&s);
                x[i] = i % 3 == 0 ? z : 0.0;
            }
            for (int64_t k = 2; k <= 12; k += 5)
                check_exact(x, n, k, threads);
            for (int64_t i = 0; i < n; i++)
                x[i] = (double)(test_rand_u64(&s) % 11) * 0.5;
            for (int64_t k = 3; k <= 11; k += 4)
                check_exact(x, n, k, threads);
            for (int64_t i = 0; i < n; i++)
                x[i] = (double)(i % 4) + (i % 8 == 0 ? 1e-13 : 0.0);
            check_exact(x, n, 4, threads);
            check_exact(x, n, 5, threads);
        }
    }
    mutinf__km_exact_1d_force_plain(0);
    free(x);
}

/* Fits the n values x with k clusters on `threads` threads (default
 * algorithm: the exact programme); returns the labels (to free), writes
 * the k centroids and the inertia. */
static int32_t *fit_1d(const double *x, int64_t n, int64_t k, int32_t threads, double *c,
                       double *inertia)
{
    mutinf_kmeans *km = NULL;
    int32_t *lab = malloc((size_t)n * sizeof(int32_t));
    assert_status(mutinf_kmeans_create(&km), MUTINF_OK);
    assert_status(mutinf_kmeans_set_k(km, (int32_t)k), MUTINF_OK);
    assert_status(mutinf_kmeans_set_threads(km, threads), MUTINF_OK);
    assert_status(mutinf_kmeans_fit(km, x, n, 1, 1, 1, lab), MUTINF_OK);
    assert_status(mutinf_kmeans_centroids(km, c, k), MUTINF_OK);
    assert_status(mutinf_kmeans_inertia(km, inertia), MUTINF_OK);
    mutinf_kmeans_destroy(km);
    return lab;
}

/* Runs of equal values, each longer than 255, across several coding
 * segments of the arg-min rows: every change of an arg-min is then a step of
 * 256 or more, coded as an escape.  Reference: the plain programme over the
 * runs as weighted points (an optimal clustering never splits equal values),
 * each run group's cost by a weighted Welford update in long double. */
static void test_exact_long_runs(void **state)
{
    (void)state;
    int64_t R = test_quick() ? 220 : 700, k = 24, n = 0;
    int64_t *len = malloc((size_t)R * sizeof(int64_t));
    double *val = malloc((size_t)R * sizeof(double));
    for (int64_t t = 0; t < R; t++) {
        len[t] = 256 + (t * 37) % 200;
        val[t] = pow((double)t, 1.5) + (double)((t * 13) % 7);
        n += len[t];
    }
    assert_true(n > 3 * 65536 || test_quick());
    assert_true(n % 7919 != 0); /* the shuffle below is then a permutation */
    double *x = malloc((size_t)n * sizeof(double));
    for (int64_t t = 0, i = 0; t < R; t++)
        for (int64_t q = 0; q < len[t]; q++, i++)
            x[(i * 7919) % n] = val[t]; /* a fixed shuffle: 7919 is prime, n not a multiple */
    /* cost[a * (R + 1) + b]: within-group sum of squares of runs a..b-1 */
    long double *cost = malloc((size_t)(R * (R + 1)) * sizeof(long double));
    for (int64_t a = 0; a < R; a++) {
        long double mean = 0, m2 = 0, w = 0;
        for (int64_t b = a + 1; b <= R; b++) {
            long double xv = (long double)val[b - 1], wt = (long double)len[b - 1];
            long double dlt = xv - mean;
            w += wt;
            mean += wt * dlt / w;
            m2 += wt * dlt * (xv - mean);
            cost[a * (R + 1) + b] = m2;
        }
    }
    long double *D = malloc((size_t)(R + 1) * sizeof(long double));
    long double *E = malloc((size_t)(R + 1) * sizeof(long double));
    for (int64_t b = 0; b <= R; b++)
        D[b] = b == 0 ? 0.0L : cost[b];
    for (int64_t m = 2; m <= k; m++) {
        for (int64_t b = 0; b <= R; b++) {
            E[b] = INFINITY;
            for (int64_t a = m - 1; a < b; a++)
                if (D[a] + cost[a * (R + 1) + b] < E[b]) E[b] = D[a] + cost[a * (R + 1) + b];
        }
        memcpy(D, E, (size_t)(R + 1) * sizeof(long double));
    }
    int32_t *lab[2];
    double c[2][24], in[2];
    for (int t = 0; t < 2; t++) {
        lab[t] = fit_1d(x, n, k, t + 1, c[t], &in[t]);
    }
    assert_close(in[0], (double)D[R], 1e-10, 1e-300);
    assert_memory_equal(lab[0], lab[1], (size_t)n * sizeof(int32_t));
    assert_memory_equal(c[0], c[1], sizeof(c[0]));
    long double recomputed = 0;
    for (int64_t i = 0; i < n; i++) {
        double dl = x[i] - c[0][lab[0][i]];
        recomputed += (long double)dl * dl;
    }
    assert_close(in[0], (double)recomputed, 1e-12, 1e-300);
    free(lab[0]);
    free(lab[1]);
    free(D);
    free(E);
    free(cost);
    free(x);
    free(val);
    free(len);
}

/* Larger n (arg-min rows coded in several segments) on 1, 2 and 3 threads:
 * bit-identical; every centroid the mean of the points labelled with it;
 * never worse than Lloyd; and the optimum against the reference on a
 * subsample. */
static void test_exact_threads_identical(void **state)
{
    (void)state;
    int64_t n = test_quick() ? 70000 : 300000, k = 24;
    double *x = malloc((size_t)n * sizeof(double));
    uint64_t s = 9;
    for (int64_t i = 0; i < n; i++) {
        double z = test_rand_normal(&s);
        x[i] = i % 3 == 0 ? fmax(z, 0.0) * 2.0 : (i % 3 == 1 ? tanh(z) : 0.3 * z + 4.0);
    }
    int32_t *lab[3];
    double c[3][24], in[3];
    for (int t = 0; t < 3; t++) {
        lab[t] = fit_1d(x, n, k, t + 1, c[t], &in[t]);
    }
    for (int t = 1; t < 3; t++) {
        assert_memory_equal(lab[0], lab[t], (size_t)n * sizeof(int32_t));
        assert_memory_equal(c[0], c[t], sizeof(c[0]));
        assert_memory_equal(&in[0], &in[t], sizeof(double));
    }
    long double sum[24] = {0}, total = 0;
    int64_t cnt[24] = {0};
    for (int64_t i = 0; i < n; i++) {
        sum[lab[0][i]] += x[i];
        cnt[lab[0][i]]++;
        total += ((long double)x[i] - c[0][lab[0][i]]) * ((long double)x[i] - c[0][lab[0][i]]);
    }
    for (int64_t j = 0; j < k; j++) {
        assert_true(cnt[j] > 0);
        assert_close(c[0][j], (double)(sum[j] / (long double)cnt[j]), 1e-12, 1e-12);
    }
    assert_close(in[0], (double)total, 1e-11, 0.0);
    mutinf_kmeans *km = NULL;
    assert_status(mutinf_kmeans_create(&km), MUTINF_OK);
    assert_status(mutinf_kmeans_set_k(km, (int32_t)k), MUTINF_OK);
    assert_status(mutinf_kmeans_set_algorithm(km, MUTINF_KMEANS_ALGORITHM_LLOYD), MUTINF_OK);
    assert_status(mutinf_kmeans_set_n_init(km, 2), MUTINF_OK);
    assert_status(mutinf_kmeans_fit(km, x, n, 1, 1, 1, lab[1]), MUTINF_OK);
    double lloyd;
    assert_status(mutinf_kmeans_inertia(km, &lloyd), MUTINF_OK);
    assert_true(in[0] <= lloyd * (1 + 1e-12));
    mutinf_kmeans_destroy(km);
    for (int t = 0; t < 3; t++)
        free(lab[t]);
    check_exact(x, test_quick() ? 300 : 1500, 10, 2);
    free(x);
}

/* ---- the Lagrangian search ------------------------------------------------ */

/* The programme's searches forced, for a test: the Lagrangian search
 * (falling back to the layers where it gives up) or the layers alone. */
static void with_search(int search, void (*test)(void **), void **state)
{
    mutinf__km_exact_1d_force_search(search);
    test(state);
    mutinf__km_exact_1d_force_search(MUTINF__KM_EXACT_AUTO);
}

/* Every kind of data of the reference test, ties and edge cases (k = n,
 * k = n - 1, two values, runs of zeros, k up to the number of distinct
 * values, near-duplicates), both kernel sets, 1 and 3 threads: the
 * Lagrangian search first, against the plain programme in long double. */
static void test_lagrange_vs_reference(void **state)
{
    with_search(MUTINF__KM_EXACT_LAGRANGE, test_exact_vs_reference, state);
    with_search(MUTINF__KM_EXACT_LAGRANGE, test_exact_plain_kernels, state);
    with_search(MUTINF__KM_EXACT_LAGRANGE, test_exact_ties_and_edges, state);
}

/* The Lagrangian search does find the optimum itself (it is not the
 * fallback that passes the tests above): normal, uniform and heavy-tailed
 * data, k from 2 to 40, small n against the long-double reference. */
static void test_lagrange_found(void **state)
{
    (void)state;
    uint64_t s = 5;
    int64_t n = test_quick() ? 160 : 500;
    double *x = malloc((size_t)n * sizeof(double));
    mutinf__km_exact_1d_force_search(MUTINF__KM_EXACT_LAGRANGE);
    int64_t found = 0, fits = 0;
    for (int kind = 0; kind < 3; kind++) {
        for (int64_t i = 0; i < n; i++) {
            double z = test_rand_normal(&s);
            x[i] = kind == 0 ? z : (kind == 1 ? (double)(test_rand_u64(&s) >> 11) : z * z * z);
        }
        for (int64_t k = 2; k <= 40; k += 2 + k / 4) {
            check_exact(x, n, k, 2);
            found += mutinf__km_exact_1d_last_search() == MUTINF__KM_EXACT_LAGRANGE;
            fits++;
        }
    }
    assert_int_equal(found, fits);
    mutinf__km_exact_1d_force_search(MUTINF__KM_EXACT_AUTO);
    free(x);
}

/* Large n (with and without the subsample that seeds lambda, k = 2 to 100):
 * the Lagrangian search against the layered programme, which is exact on its
 * own (tests above); with distinct random values the optimum is unique, so
 * the labels, centroids and inertia are the same bits.  The default choice
 * takes the Lagrangian search here. */
static void test_lagrange_vs_layers(void **state)
{
    (void)state;
    const int64_t cases[][2] = {{20000, 2}, {20000, 9}, {70000, 24}, {140000, 64}, {140000, 100}};
    int ncases = test_quick() ? 4 : 5;
    uint64_t s = 31;
    for (int q = 0; q < ncases; q++) {
        int64_t n = cases[q][0], k = cases[q][1];
        double *x = malloc((size_t)n * sizeof(double));
        for (int64_t i = 0; i < n; i++) {
            double z = test_rand_normal(&s);
            x[i] = i % 3 == 0 ? fmax(z, 0.0) * 2.0 : (i % 3 == 1 ? tanh(z) : 0.3 * z + 4.0);
        }
        double c[2][100], in[2];
        int32_t *lab[2];
        mutinf__km_exact_1d_force_search(MUTINF__KM_EXACT_LAYERED);
        lab[0] = fit_1d(x, n, k, 2, c[0], &in[0]);
        assert_int_equal(mutinf__km_exact_1d_last_search(), MUTINF__KM_EXACT_LAYERED);
        mutinf__km_exact_1d_force_search(MUTINF__KM_EXACT_AUTO);
        lab[1] = fit_1d(x, n, k, 2, c[1], &in[1]);
        assert_int_equal(mutinf__km_exact_1d_last_search(),
                         k >= 16 ? MUTINF__KM_EXACT_LAGRANGE : MUTINF__KM_EXACT_LAYERED);
        if (k < 16) { /* the default keeps the layers: force the search */
            free(lab[1]);
            mutinf__km_exact_1d_force_search(MUTINF__KM_EXACT_LAGRANGE);
            lab[1] = fit_1d(x, n, k, 2, c[1], &in[1]);
            assert_int_equal(mutinf__km_exact_1d_last_search(), MUTINF__KM_EXACT_LAGRANGE);
            mutinf__km_exact_1d_force_search(MUTINF__KM_EXACT_AUTO);
        }
        assert_memory_equal(lab[0], lab[1], (size_t)n * sizeof(int32_t));
        assert_memory_equal(c[0], c[1], (size_t)k * sizeof(double));
        assert_memory_equal(&in[0], &in[1], sizeof(double));
        free(lab[0]);
        free(lab[1]);
        free(x);
    }
}

/* Runs of equal values and the threads test on the layers alone (the
 * default takes the Lagrangian search there). */
static void test_layers_long_runs(void **state)
{
    with_search(MUTINF__KM_EXACT_LAYERED, test_exact_long_runs, state);
}

static void test_layers_threads_identical(void **state)
{
    with_search(MUTINF__KM_EXACT_LAYERED, test_exact_threads_identical, state);
}

/* ---- greedy k-means++ ---------------------------------------------------- */

/* The seeding does not depend on the thread count, for d with and without
 * a tail beyond the eight-lane products, float and double data. */
static void test_plusplus_threads_identical(void **state)
{
    (void)state;
    /* k = 200: 7 candidates per step, more than one group of the kernel */
    const int64_t shapes[][3] = {
        {6000, 64, 20}, {5000, 13, 9}, {3000, 3, 30}, {2000, 1, 5}, {3000, 9, 200}};
    for (size_t q = 0; q < sizeof(shapes) / sizeof(shapes[0]); q++) {
        int64_t n = shapes[q][0] / (test_quick() ? 10 : 1), d = shapes[q][1], k = shapes[q][2];
        double *x = malloc((size_t)(n * d) * sizeof(double));
        float *x32 = malloc((size_t)(n * d) * sizeof(float));
        test_fill_normal(x, (size_t)(n * d), 70 + q);
        for (int64_t e = 0; e < n * d; e++)
            x32[e] = (float)x[e];
        double *c[3];
        for (int is_f32 = 0; is_f32 < 2; is_f32++) {
            mutinf__km_data X = {is_f32 ? NULL : x, is_f32 ? x32 : NULL, n, d};
            for (int t = 0; t < 3; t++) {
                mutinf__km_plan plan;
                mutinf__km_make_plan(&plan, n, d, k, t + 1);
                c[t] = malloc((size_t)(k * d) * sizeof(double));
                assert_status(mutinf__km_init_plusplus(&X, &plan, k, 5, 2, c[t]), MUTINF_OK);
            }
            for (int t = 1; t < 3; t++)
                assert_memory_equal(c[0], c[t], (size_t)(k * d) * sizeof(double));
            for (int t = 0; t < 3; t++)
                free(c[t]);
        }
        free(x);
        free(x32);
    }
}

/* Rows repeated many times, k = the number of distinct rows: every point
 * equal to a chosen centre has weight exactly 0, so the k centres are the k
 * distinct rows (a copy of a chosen row is never chosen again). */
static void test_plusplus_duplicates(void **state)
{
    (void)state;
    const int64_t dims[] = {64, 13, 2};
    for (size_t q = 0; q < sizeof(dims) / sizeof(dims[0]); q++) {
        int64_t d = dims[q], m = 17, n = m * (test_quick() ? 30 : 300);
        double *base = malloc((size_t)(m * d) * sizeof(double));
        double *x = malloc((size_t)(n * d) * sizeof(double));
        test_fill_normal(base, (size_t)(m * d), 90 + q);
        base[0] += 1e3; /* one row far from the rest: the centring matters */
        for (int64_t i = 0; i < n; i++)
            memcpy(x + i * d, base + ((i * 7) % m) * d, (size_t)d * sizeof(double));
        mutinf__km_data X = {x, NULL, n, d};
        mutinf__km_plan plan;
        mutinf__km_make_plan(&plan, n, d, m, 2);
        double *c = malloc((size_t)(m * d) * sizeof(double));
        for (uint64_t seed = 1; seed <= 4; seed++) {
            assert_status(mutinf__km_init_plusplus(&X, &plan, m, seed, 0, c), MUTINF_OK);
            int *hit = calloc((size_t)m, sizeof(int));
            for (int64_t j = 0; j < m; j++)
                for (int64_t r = 0; r < m; r++)
                    if (memcmp(c + j * d, base + r * d, (size_t)d * sizeof(double)) == 0) hit[r]++;
            for (int64_t r = 0; r < m; r++)
                assert_int_equal(hit[r], 1);
            free(hit);
        }
        free(c);
        free(x);
        free(base);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_matches_qsort),
        cmocka_unit_test(test_exact_vs_reference),
        cmocka_unit_test(test_exact_plain_kernels),
        cmocka_unit_test(test_exact_ties_and_edges),
        cmocka_unit_test(test_exact_long_runs),
        cmocka_unit_test(test_exact_threads_identical),
        cmocka_unit_test(test_lagrange_vs_reference),
        cmocka_unit_test(test_lagrange_found),
        cmocka_unit_test(test_lagrange_vs_layers),
        cmocka_unit_test(test_layers_long_runs),
        cmocka_unit_test(test_layers_threads_identical),
        cmocka_unit_test(test_plusplus_threads_identical),
        cmocka_unit_test(test_plusplus_duplicates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
