/* Tests of the k-means module (include/mutinf/kmeans.h).  Independent
 * references: a naive Lloyd written here, brute force over every contiguous
 * split for the exact 1-D programme, and known blob memberships. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mutinf/kmeans.h"
#include "testutil.h"

#include "alloc.h"
#include "cpu.h"
#include "kmeans_impl.h"
#include "rng.h"

/* ---- helpers ------------------------------------------------------------ */

/* n points in k well-separated Gaussian blobs (centres 20 apart, sd 1). */
static double *make_blobs(int64_t n, int64_t d, int64_t k, uint64_t seed, int32_t *truth)
{
    double *centres = malloc((size_t)(k * d) * sizeof(double));
    double *x = malloc((size_t)(n * d) * sizeof(double));
    uint64_t s = seed;
    for (int64_t j = 0; j < k; j++)
        for (int64_t f = 0; f < d; f++)
            centres[j * d + f] = (f == j % d ? 20.0 * (double)(j / d + 1) : 0.0) +
                                 (double)(j % 7) * (f == (j + 1) % d ? 9.0 : 0.0);
    for (int64_t i = 0; i < n; i++) {
        int64_t j = i % k;
        truth[i] = (int32_t)j;
        for (int64_t f = 0; f < d; f++)
            x[i * d + f] = centres[j * d + f] + test_rand_normal(&s);
    }
    free(centres);
    return x;
}

/* Labels equal truth up to a permutation of the cluster ids. */
static void assert_same_partition(const int32_t *a, const int32_t *b, int64_t n, int64_t k)
{
    int32_t *map = malloc((size_t)k * sizeof(int32_t));
    int32_t *inv = malloc((size_t)k * sizeof(int32_t));
    for (int64_t j = 0; j < k; j++)
        map[j] = inv[j] = -1;
    for (int64_t i = 0; i < n; i++) {
        assert_true(a[i] >= 0 && a[i] < k);
        if (map[a[i]] < 0 && inv[b[i]] < 0) {
            map[a[i]] = b[i];
            inv[b[i]] = a[i];
        }
        assert_int_equal(map[a[i]], b[i]);
        assert_int_equal(inv[b[i]], a[i]);
    }
    free(map);
    free(inv);
}

static mutinf_kmeans *new_km(int32_t k)
{
    mutinf_kmeans *km = NULL;
    assert_status(mutinf_kmeans_create(&km), MUTINF_OK);
    assert_non_null(km);
    assert_status(mutinf_kmeans_set_k(km, k), MUTINF_OK);
    return km;
}

static double exact_inertia(const double *x, int64_t n, int64_t d, const double *c,
                            const int32_t *lab)
{
    long double s = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t f = 0; f < d; f++) {
            long double t = (long double)x[i * d + f] - c[(int64_t)lab[i] * d + f];
            s += t * t;
        }
    return (double)s;
}

/* Naive Lloyd (the reference): nearest centre by exact (x - c)^2, means,
 * stop on unchanged labels, final re-assignment. */
static void naive_lloyd(const double *x, int64_t n, int64_t d, int64_t k, double *c, int iters,
                        int32_t *lab)
{
    double *s = malloc((size_t)(k * d) * sizeof(double));
    int64_t *cnt = malloc((size_t)k * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++)
        lab[i] = -1;
    for (int it = 0; it <= iters; it++) {
        int changed = 0;
        for (int64_t i = 0; i < n; i++) {
            int32_t best = 0;
            double bd = INFINITY;
            for (int64_t j = 0; j < k; j++) {
                double dd = 0;
                for (int64_t f = 0; f < d; f++)
                    dd += (x[i * d + f] - c[j * d + f]) * (x[i * d + f] - c[j * d + f]);
                if (dd < bd) {
                    bd = dd;
                    best = (int32_t)j;
                }
            }
            changed += lab[i] != best;
            lab[i] = best;
        }
        if (it == iters || !changed) break;
        memset(s, 0, (size_t)(k * d) * sizeof(double));
        memset(cnt, 0, (size_t)k * sizeof(int64_t));
        for (int64_t i = 0; i < n; i++) {
            cnt[lab[i]]++;
            for (int64_t f = 0; f < d; f++)
                s[lab[i] * d + f] += x[i * d + f];
        }
        for (int64_t j = 0; j < k; j++)
            for (int64_t f = 0; f < d && cnt[j] > 0; f++)
                c[j * d + f] = s[j * d + f] / (double)cnt[j];
    }
    free(s);
    free(cnt);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_blobs_recovered(void **state)
{
    (void)state;
    const int64_t shapes[][3] = {{3000, 2, 6}, {2000, 5, 5}, {4000, 20, 12}, {1500, 130, 40}};
    const int64_t quick[][3] = {{600, 2, 6}, {500, 5, 5}, {600, 20, 12}, {400, 50, 10}};
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        const int64_t *sh = test_quick() ? quick[s] : shapes[s];
        int64_t n = sh[0], d = sh[1], k = sh[2];
        int32_t *truth = malloc((size_t)n * sizeof(int32_t));
        int32_t *lab = malloc((size_t)n * sizeof(int32_t));
        double *x = make_blobs(n, d, k, 11 + s, truth);
        float *x32 = malloc((size_t)(n * d) * sizeof(float));
        for (int64_t i = 0; i < n * d; i++)
            x32[i] = (float)x[i];
        mutinf_kmeans *km = new_km((int32_t)k);
        assert_status(mutinf_kmeans_set_n_init(km, 3), MUTINF_OK);
        assert_status(mutinf_kmeans_fit(km, x, n, d, d, 1, lab), MUTINF_OK);
        assert_same_partition(lab, truth, n, k);
        int32_t conv, deg;
        assert_status(mutinf_kmeans_converged(km, &conv), MUTINF_OK);
        assert_status(mutinf_kmeans_degenerate(km, &deg), MUTINF_OK);
        assert_int_equal(conv, 1);
        assert_int_equal(deg, 0);
        double *c = malloc((size_t)(k * d) * sizeof(double)), inertia;
        assert_status(mutinf_kmeans_centroids(km, c, k * d), MUTINF_OK);
        assert_status(mutinf_kmeans_inertia(km, &inertia), MUTINF_OK);
        assert_close(inertia, exact_inertia(x, n, d, c, lab), 1e-12, 0.0);
        /* float data: the same partition, nearly the same centroids */
        int32_t *lab32 = malloc((size_t)n * sizeof(int32_t));
        double *c32 = malloc((size_t)(k * d) * sizeof(double)), inertia32;
        assert_status(mutinf_kmeans_fit_f32(km, x32, n, d, d, 1, lab32), MUTINF_OK);
        assert_same_partition(lab32, truth, n, k);
        assert_status(mutinf_kmeans_centroids(km, c32, k * d), MUTINF_OK);
        assert_status(mutinf_kmeans_inertia(km, &inertia32), MUTINF_OK);
        assert_close(inertia32, inertia, 1e-4, 0.0);
        for (int64_t i = 0; i < n; i++)
            assert_int_equal(lab32[i], lab[i]); /* same seed, same init rows */
        for (int64_t e = 0; e < k * d; e++)
            assert_close(c32[e], c[e], 0.0, 1e-4);
        mutinf_kmeans_destroy(km);
        free(truth);
        free(lab);
        free(lab32);
        free(x);
        free(x32);
        free(c);
        free(c32);
    }
}

/* Lloyd from given centroids equals the naive reference, iteration by
 * iteration, and the inertia never increases. */
static void test_lloyd_matches_reference(void **state)
{
    (void)state;
    const int64_t shapes[][3] = {{500, 3, 7}, {600, 24, 9}, {400, 70, 50}};
    const int64_t quick[][3] = {{500, 3, 7}, {200, 24, 9}, {150, 40, 30}};
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        const int64_t *sh = test_quick() ? quick[s] : shapes[s];
        int64_t n = sh[0], d = sh[1], k = sh[2];
        double *x = malloc((size_t)(n * d) * sizeof(double));
        test_fill_normal(x, (size_t)(n * d), 100 + s);
        double *c0 = malloc((size_t)(k * d) * sizeof(double));
        /* initial centroids: clustered in a corner, so that some clusters go empty */
        test_fill_normal(c0, (size_t)(k * d), 200 + s);
        for (int64_t e = 0; e < k * d; e++)
            c0[e] = 0.3 * c0[e] + 1.5;
        int32_t *lab = malloc((size_t)n * sizeof(int32_t));
        int32_t *ref = malloc((size_t)n * sizeof(int32_t));
        double *c = malloc((size_t)(k * d) * sizeof(double));
        double *cref = malloc((size_t)(k * d) * sizeof(double));
        double prev = INFINITY;
        for (int iters = 1; iters <= (test_quick() ? 6 : 12); iters++) {
            mutinf_kmeans *km = new_km((int32_t)k);
            assert_status(mutinf_kmeans_set_init_centroids(km, c0, k, d, d, 1), MUTINF_OK);
            assert_status(mutinf_kmeans_set_tol(km, 0.0), MUTINF_OK);
            assert_status(mutinf_kmeans_set_max_iter(km, iters), MUTINF_OK);
            assert_status(mutinf_kmeans_fit(km, x, n, d, d, 1, lab), MUTINF_OK);
            assert_status(mutinf_kmeans_centroids(km, c, k * d), MUTINF_OK);
            double inertia;
            assert_status(mutinf_kmeans_inertia(km, &inertia), MUTINF_OK);
            for (int64_t e = 0; e < k * d; e++)
                assert_false(isnan(c[e]));
            /* never increases (up to rounding) */
            assert_true(inertia <= prev * (1.0 + 1e-12));
            prev = inertia;
            int32_t it;
            assert_status(mutinf_kmeans_n_iter(km, &it), MUTINF_OK);
            assert_true(it >= 1 && it <= iters);
            /* no cluster is left empty */
            int64_t *cnt = calloc((size_t)k, sizeof(int64_t));
            for (int64_t i = 0; i < n; i++)
                cnt[lab[i]]++;
            if (iters > 1)
                for (int64_t j = 0; j < k; j++)
                    assert_true(cnt[j] > 0);
            free(cnt);
            /* the reference, when no relocation was needed on the way */
            memcpy(cref, c0, (size_t)(k * d) * sizeof(double));
            naive_lloyd(x, n, d, k, cref, iters, ref);
            if (s == 0 && iters <= 2) {
                /* s == 0: d = 3, centroids well inside the data: no empty cluster */
                for (int64_t i = 0; i < n; i++)
                    assert_int_equal(lab[i], ref[i]);
                for (int64_t e = 0; e < k * d; e++)
                    assert_close(c[e], cref[e], 1e-12, 1e-12);
            }
            assert_close(inertia, exact_inertia(x, n, d, c, lab), 1e-12, 0.0);
            mutinf_kmeans_destroy(km);
        }
        free(x);
        free(c0);
        free(lab);
        free(ref);
        free(c);
        free(cref);
    }
}

/* Lloyd from well-placed centroids reproduces the naive reference exactly. */
static void test_lloyd_reference_exact(void **state)
{
    (void)state;
    const int64_t shapes[][3] = {{800, 2, 4}, {700, 16, 6}, {300, 100, 5}};
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        int64_t n = shapes[s][0], d = shapes[s][1], k = shapes[s][2];
        int32_t *truth = malloc((size_t)n * sizeof(int32_t));
        double *x = make_blobs(n, d, k, 300 + s, truth);
        double *c0 = malloc((size_t)(k * d) * sizeof(double));
        for (int64_t j = 0; j < k; j++) /* one point of each blob, shifted */
            for (int64_t f = 0; f < d; f++)
                c0[j * d + f] = x[j * d + f] + 0.5;
        int32_t *lab = malloc((size_t)n * sizeof(int32_t)), *ref = malloc((size_t)n * 4);
        double *c = malloc((size_t)(k * d) * sizeof(double));
        double *cref = malloc((size_t)(k * d) * sizeof(double));
        mutinf_kmeans *km = new_km((int32_t)k);
        assert_status(mutinf_kmeans_set_init_centroids(km, c0, k, d, d, 1), MUTINF_OK);
        assert_status(mutinf_kmeans_set_algorithm(km, MUTINF_KMEANS_ALGORITHM_LLOYD), MUTINF_OK);
        assert_status(mutinf_kmeans_set_tol(km, 0.0), MUTINF_OK);
        assert_status(mutinf_kmeans_fit(km, x, n, d, d, 1, lab), MUTINF_OK);
        assert_status(mutinf_kmeans_centroids(km, c, k * d), MUTINF_OK);
        memcpy(cref, c0, (size_t)(k * d) * sizeof(double));
        naive_lloyd(x, n, d, k, cref, 300, ref);
        for (int64_t i = 0; i < n; i++)
            assert_int_equal(lab[i], ref[i]);
        for (int64_t e = 0; e < k * d; e++)
            assert_close(c[e], cref[e], 1e-12, 1e-12);
        assert_same_partition(lab, truth, n, k);
        mutinf_kmeans_destroy(km);
        free(truth);
        free(x);
        free(c0);
        free(lab);
        free(ref);
        free(c);
        free(cref);
    }
}

/* Brute force: least within-group sum of squares over every split of the
 * sorted values into k contiguous non-empty groups. */
static long double brute_best(const double *v, int64_t lo, int64_t n, int64_t k)
{
    if (k == 1) {
        long double m = 0, s = 0;
        for (int64_t i = lo; i < n; i++)
            m += v[i];
        m /= (long double)(n - lo);
        for (int64_t i = lo; i < n; i++)
            s += (v[i] - m) * (v[i] - m);
        return s;
    }
    long double best = INFINITY;
    for (int64_t e = lo + 1; e <= n - (k - 1); e++) {
        long double a = brute_best(v, lo, e, 1) + brute_best(v, e, n, k - 1);
        if (a < best) best = a;
    }
    return best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_exact_1d_brute_force(void **state)
{
    (void)state;
    uint64_t s = 77;
    for (int trial = 0; trial < 60; trial++) {
        int64_t n = 2 + (int64_t)(test_rand_u64(&s) % 13);
        int64_t k = 1 + (int64_t)(test_rand_u64(&s) % (uint64_t)(n < 5 ? n : 5));
        double v[16], sorted[16];
        for (int64_t i = 0; i < n; i++) {
            v[i] = trial % 3 == 0 ? floor(test_rand_normal(&s) * 30.0) / 7.0
                                  : test_rand_normal(&s) * (1.0 + (double)(i % 3));
            if (trial % 5 == 1) v[i] += 1e6; /* large offset: the prefix sums are centred */
        }
        memcpy(sorted, v, (size_t)n * sizeof(double));
        qsort(sorted, (size_t)n, sizeof(double), cmp_double);
        int64_t distinct = 1;
        for (int64_t i = 1; i < n; i++)
            distinct += sorted[i] != sorted[i - 1];
        mutinf_kmeans *km = new_km((int32_t)k);
        /* one thread: tiny data, and hundreds of parallel regions are slow under valgrind */
        assert_status(mutinf_kmeans_set_threads(km, 1), MUTINF_OK);
        int32_t lab[16], lab2[16];
        /* strided view: every second element of a buffer */
        double buf[32];
        for (int64_t i = 0; i < n; i++)
            buf[2 * i] = v[i], buf[2 * i + 1] = NAN;
        assert_status(mutinf_kmeans_fit(km, buf, n, 1, 2, 1, lab), MUTINF_OK);
        double inertia, c[16];
        int32_t deg, it;
        assert_status(mutinf_kmeans_inertia(km, &inertia), MUTINF_OK);
        assert_status(mutinf_kmeans_degenerate(km, &deg), MUTINF_OK);
        assert_status(mutinf_kmeans_n_iter(km, &it), MUTINF_OK);
        assert_status(mutinf_kmeans_centroids(km, c, k), MUTINF_OK);
        assert_int_equal(deg, distinct < k);
        assert_int_equal(it, 0);
        double best = (double)brute_best(sorted, 0, n, k);
        double scale = (double)brute_best(sorted, 0, n, 1);
        assert_close(inertia, best, 1e-9, 1e-9 * scale + 1e-300);
        assert_close(inertia, exact_inertia(v, n, 1, c, lab), 1e-9, 1e-9 * scale + 1e-300);
        /* centroids ascending (non-degenerate), predict reproduces the labels */
        for (int64_t j = 1; j < k && !deg; j++)
            assert_true(c[j] > c[j - 1]);
        assert_status(mutinf_kmeans_predict(km, v, n, 1, 1, 1, lab2), MUTINF_OK);
        for (int64_t i = 0; i < n; i++)
            assert_int_equal(lab2[i], lab[i]);
        /* the exact optimum is never worse than Lloyd */
        assert_status(mutinf_kmeans_set_algorithm(km, MUTINF_KMEANS_ALGORITHM_LLOYD), MUTINF_OK);
        assert_status(mutinf_kmeans_set_n_init(km, 4), MUTINF_OK);
        assert_status(mutinf_kmeans_fit(km, v, n, 1, 1, 1, lab2), MUTINF_OK);
        double lloyd;
        assert_status(mutinf_kmeans_inertia(km, &lloyd), MUTINF_OK);
        assert_true(inertia <= lloyd * (1 + 1e-12) + 1e-12 * scale);
        mutinf_kmeans_destroy(km);
    }
}

/* Larger 1-D data: the programme beats (or equals) Lloyd with many restarts,
 * float and double agree, and 1 vs 2 threads are bit-identical. */
static void test_exact_1d_large(void **state)
{
    (void)state;
    int64_t n = test_quick() ? 3000 : 40000, k = 13;
    double *x = malloc((size_t)n * sizeof(double));
    float *x32 = malloc((size_t)n * sizeof(float));
    uint64_t s = 5;
    for (int64_t i = 0; i < n; i++) {
        x[i] = test_rand_normal(&s) * (i % 3 == 0 ? 5.0 : 1.0) + (double)(i % 4);
        x32[i] = (float)x[i];
        x[i] = (double)x32[i];
    }
    int32_t *l1 = malloc((size_t)n * 4), *l2 = malloc((size_t)n * 4), *l3 = malloc((size_t)n * 4);
    double c1[13], c2[13], i1, i2, il;
    mutinf_kmeans *km = new_km((int32_t)k);
    assert_status(mutinf_kmeans_set_threads(km, 1), MUTINF_OK);
    assert_status(mutinf_kmeans_fit(km, x, n, 1, 1, 1, l1), MUTINF_OK);
    assert_status(mutinf_kmeans_centroids(km, c1, k), MUTINF_OK);
    assert_status(mutinf_kmeans_inertia(km, &i1), MUTINF_OK);
    assert_status(mutinf_kmeans_set_threads(km, 2), MUTINF_OK);
    assert_status(mutinf_kmeans_fit_f32(km, x32, n, 1, 1, 1, l2), MUTINF_OK);
    assert_status(mutinf_kmeans_centroids(km, c2, k), MUTINF_OK);
    assert_status(mutinf_kmeans_inertia(km, &i2), MUTINF_OK);
    /* the float values are exactly the doubles: identical results */
    assert_memory_equal(l1, l2, (size_t)n * 4);
    assert_memory_equal(c1, c2, sizeof(c1));
    assert_memory_equal(&i1, &i2, sizeof(i1));
    assert_status(mutinf_kmeans_set_algorithm(km, MUTINF_KMEANS_ALGORITHM_LLOYD), MUTINF_OK);
    assert_status(mutinf_kmeans_set_n_init(km, test_quick() ? 2 : 5), MUTINF_OK);
    assert_status(mutinf_kmeans_fit(km, x, n, 1, 1, 1, l3), MUTINF_OK);
    assert_status(mutinf_kmeans_inertia(km, &il), MUTINF_OK);
    assert_true(i1 <= il * (1 + 1e-12));
    mutinf_kmeans_destroy(km);
    free(x);
    free(x32);
    free(l1);
    free(l2);
    free(l3);
}

/* Bit-identical results for 1, 2 and 3 threads, in every distance mode. */
static void test_threads_identical(void **state)
{
    (void)state;
    const int64_t shapes[][3] = {{5000, 3, 9}, {4000, 16, 20}, {3000, 128, 64}, {2000, 40, 7}};
    const int64_t quick[][3] = {{500, 3, 9}, {300, 16, 12}, {150, 64, 40}, {200, 40, 7}};
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        const int64_t *sh = test_quick() ? quick[s] : shapes[s];
        int64_t n = sh[0], d = sh[1], k = sh[2];
        double *x = malloc((size_t)(n * d) * sizeof(double));
        test_fill_normal(x, (size_t)(n * d), 400 + s);
        for (int is_f32 = 0; is_f32 < 2; is_f32++) {
            float *x32 = malloc((size_t)(n * d) * sizeof(float));
            for (int64_t e = 0; e < n * d; e++)
                x32[e] = (float)x[e];
            int32_t *lab[3];
            double *c[3], inertia[3];
            for (int t = 0; t < 3; t++) {
                lab[t] = malloc((size_t)n * sizeof(int32_t));
                c[t] = malloc((size_t)(k * d) * sizeof(double));
                mutinf_kmeans *km = new_km((int32_t)k);
                assert_status(mutinf_kmeans_set_threads(km, t + 1), MUTINF_OK);
                assert_status(mutinf_kmeans_set_n_init(km, 2), MUTINF_OK);
                assert_status(mutinf_kmeans_set_max_iter(km, test_quick() ? 6 : 15), MUTINF_OK);
                assert_status(mutinf_kmeans_set_seed(km, 99), MUTINF_OK);
                if (is_f32)
                    assert_status(mutinf_kmeans_fit_f32(km, x32, n, d, d, 1, lab[t]), MUTINF_OK);
                else
                    assert_status(mutinf_kmeans_fit(km, x, n, d, d, 1, lab[t]), MUTINF_OK);
                assert_status(mutinf_kmeans_centroids(km, c[t], k * d), MUTINF_OK);
                assert_status(mutinf_kmeans_inertia(km, &inertia[t]), MUTINF_OK);
                /* predict on the training data gives the fit's labels */
                int32_t *p = malloc((size_t)n * sizeof(int32_t));
                if (is_f32)
                    assert_status(mutinf_kmeans_predict_f32(km, x32, n, d, d, 1, p), MUTINF_OK);
                else
                    assert_status(mutinf_kmeans_predict(km, x, n, d, d, 1, p), MUTINF_OK);
                assert_memory_equal(p, lab[t], (size_t)n * sizeof(int32_t));
                free(p);
                mutinf_kmeans_destroy(km);
            }
            for (int t = 1; t < 3; t++) {
                assert_memory_equal(lab[t], lab[0], (size_t)n * sizeof(int32_t));
                assert_memory_equal(c[t], c[0], (size_t)(k * d) * sizeof(double));
                assert_memory_equal(&inertia[t], &inertia[0], sizeof(double));
            }
            for (int t = 0; t < 3; t++) {
                free(lab[t]);
                free(c[t]);
            }
            free(x32);
        }
        free(x);
    }
}

/* The three distance modes (exact direct loop, GEMM fused with the sums,
 * BLAS-threaded GEMM panels) agree: same labels, same sums up to rounding,
 * same counts; and each matches the exact nearest centroid. */
static void test_distance_modes_agree(void **state)
{
    (void)state;
    const int64_t shapes[][3] = {{1000, 6, 9}, {1300, 24, 17}, {700, 70, 40}};
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        int64_t n = shapes[s][0], d = shapes[s][1], k = shapes[s][2];
        double *x = malloc((size_t)(n * d) * sizeof(double));
        double *c = malloc((size_t)(k * d) * sizeof(double));
        test_fill_normal(x, (size_t)(n * d), 900 + s);
        test_fill_normal(c, (size_t)(k * d), 950 + s);
        mutinf__km_data X = {x, NULL, n, d};
        int32_t *lab[5];
        double *sums[5];
        int64_t *counts[5];
        int first = d <= 8 ? 0 : 1; /* the direct kernel serves d <= 8 only */
        /* the own dot-product kernel needs AVX2 and FMA */
        int last = mutinf__cpu_has_avx2_fma() ? 5 : 4;
        /* mode 3: fused, with the centroids split over several GEMM calls;
         * mode 4: the own dot-product kernel */
        for (int mode = first; mode < last; mode++) {
            mutinf__km_plan plan;
            mutinf__km_make_plan(&plan, n, d, k, 2);
            plan.mode = mode == 3 ? MUTINF__KM_FUSED : (mode == 4 ? MUTINF__KM_DOTS : mode);
            plan.ksub = mode == 3 ? 4 : k;
            plan.chunk = 64;
            plan.block_rows = 128;
            plan.n_blocks = (n + 127) / 128;
            plan.super_rows = 256;
            mutinf__km_work w;
            assert_status(mutinf__km_work_alloc(&w, &plan, &X, k), MUTINF_OK);
            lab[mode] = malloc((size_t)n * sizeof(int32_t));
            sums[mode] = malloc((size_t)(k * d) * sizeof(double));
            counts[mode] = malloc((size_t)k * sizeof(int64_t));
            for (int64_t i = 0; i < n; i++)
                lab[mode][i] = -1;
            int64_t changed = 0;
            assert_status(mutinf__km_assign(&X, &plan, &w, k, c, lab[mode], sums[mode],
                                            counts[mode], &changed),
                          MUTINF_OK);
            assert_int_equal(changed, n);
            mutinf__km_work_free(&w);
        }
        for (int64_t i = 0; i < n; i++) {
            double best = INFINITY;
            int32_t bj = -1;
            for (int64_t j = 0; j < k; j++) {
                double dd = 0.0;
                for (int64_t f = 0; f < d; f++)
                    dd += (x[i * d + f] - c[j * d + f]) * (x[i * d + f] - c[j * d + f]);
                if (dd < best) {
                    best = dd;
                    bj = (int32_t)j;
                }
            }
            for (int mode = first; mode < last; mode++)
                assert_int_equal(lab[mode][i], bj);
        }
        for (int mode = first + 1; mode < last; mode++) {
            assert_memory_equal(counts[mode], counts[first], (size_t)k * sizeof(int64_t));
            /* same labels, same block order: bit-identical sums */
            assert_memory_equal(sums[mode], sums[first], (size_t)(k * d) * sizeof(double));
        }
        for (int mode = first; mode < last; mode++) {
            free(lab[mode]);
            free(sums[mode]);
            free(counts[mode]);
        }
        free(x);
        free(c);
    }
}

/* Hamerly's bounds change no result: labels, centroids, inertia (bit for
 * bit), iterations and the converged flag equal plain Lloyd's, for double
 * and float data, every thread count, clustered, unclustered and tied
 * (integer grid) data, empty clusters, k not a multiple of four, and d > 8
 * (where it runs plain Lloyd); the final labels are the exact nearest
 * centroids (brute force, lowest index on ties). */
static void test_hamerly_equals_lloyd(void **state)
{
    (void)state;
    /* n, d, k, data (0 normal, 1 blobs, 2 integer grid, 3 normal on the
     * grid 2^-30, where the sums are exact and updated point by point),
     * init (0 k-means++ with 2 restarts, 1 given in a corner: empty
     * clusters), tol x 1e6 */
    const int64_t cases[][6] = {
        {3000, 2, 7, 0, 0, 0},    {2500, 8, 16, 0, 0, 100}, {2000, 5, 6, 1, 0, 0},
        {1500, 3, 9, 2, 0, 0},    {1200, 4, 13, 0, 1, 0},   {800, 1, 5, 0, 0, 0},
        {900, 6, 1, 0, 0, 0},     {700, 12, 5, 0, 0, 0},    {2000, 8, 3, 2, 1, 0},
        {3000, 8, 16, 3, 0, 100}, {1500, 3, 7, 3, 1, 0}};
    for (size_t s = 0; s < sizeof(cases) / sizeof(cases[0]); s++) {
        int64_t n = cases[s][0], d = cases[s][1], k = cases[s][2];
        if (test_quick()) n /= 4;
        double *x;
        if (cases[s][3] == 1) {
            int32_t *truth = malloc((size_t)n * sizeof(int32_t));
            x = make_blobs(n, d, k, 1200 + s, truth);
            free(truth);
        } else {
            x = malloc((size_t)(n * d) * sizeof(double));
            test_fill_normal(x, (size_t)(n * d), 1100 + s);
            if (cases[s][3] == 2)
                for (int64_t e = 0; e < n * d; e++)
                    x[e] = fmin(fmax(round(x[e]), -2.0), 2.0);
            if (cases[s][3] == 3)
                for (int64_t e = 0; e < n * d; e++)
                    x[e] = ldexp(round(ldexp(x[e], 30)), -30);
        }
        double *c0 = malloc((size_t)(k * d) * sizeof(double));
        test_fill_normal(c0, (size_t)(k * d), 1300 + s);
        for (int64_t e = 0; e < k * d; e++)
            c0[e] = cases[s][3] == 2 ? round(c0[e]) : 0.2 * c0[e] + 2.0;
        float *x32 = malloc((size_t)(n * d) * sizeof(float));
        for (int64_t e = 0; e < n * d; e++)
            x32[e] = (float)x[e];
        for (int is_f32 = 0; is_f32 < 2; is_f32++) {
            int32_t *lab[4];
            double *c[4], inertia[4];
            int32_t it[4], conv[4];
            /* run 0: Lloyd, 2 threads; runs 1-3: Hamerly with 1, 2, 3 threads */
            for (int r = 0; r < 4; r++) {
                lab[r] = malloc((size_t)n * sizeof(int32_t));
                c[r] = malloc((size_t)(k * d) * sizeof(double));
                mutinf_kmeans *km = new_km((int32_t)k);
                assert_status(
                    mutinf_kmeans_set_algorithm(km, r == 0 ? MUTINF_KMEANS_ALGORITHM_LLOYD
                                                           : MUTINF_KMEANS_ALGORITHM_HAMERLY),
                    MUTINF_OK);
                assert_status(mutinf_kmeans_set_threads(km, r == 0 ? 2 : r), MUTINF_OK);
                assert_status(mutinf_kmeans_set_tol(km, 1e-6 * (double)cases[s][5]), MUTINF_OK);
                assert_status(mutinf_kmeans_set_max_iter(km, test_quick() ? 30 : 200), MUTINF_OK);
                assert_status(mutinf_kmeans_set_seed(km, 7), MUTINF_OK);
                if (cases[s][4] == 1)
                    assert_status(mutinf_kmeans_set_init_centroids(km, c0, k, d, d, 1), MUTINF_OK);
                else
                    assert_status(mutinf_kmeans_set_n_init(km, 2), MUTINF_OK);
                if (is_f32)
                    assert_status(mutinf_kmeans_fit_f32(km, x32, n, d, d, 1, lab[r]), MUTINF_OK);
                else
                    assert_status(mutinf_kmeans_fit(km, x, n, d, d, 1, lab[r]), MUTINF_OK);
                assert_status(mutinf_kmeans_centroids(km, c[r], k * d), MUTINF_OK);
                assert_status(mutinf_kmeans_inertia(km, &inertia[r]), MUTINF_OK);
                assert_status(mutinf_kmeans_n_iter(km, &it[r]), MUTINF_OK);
                assert_status(mutinf_kmeans_converged(km, &conv[r]), MUTINF_OK);
                mutinf_kmeans_destroy(km);
            }
            for (int r = 1; r < 4; r++) {
                assert_memory_equal(lab[r], lab[0], (size_t)n * sizeof(int32_t));
                assert_memory_equal(c[r], c[0], (size_t)(k * d) * sizeof(double));
                assert_memory_equal(&inertia[r], &inertia[0], sizeof(double));
                assert_int_equal(it[r], it[0]);
                assert_int_equal(conv[r], conv[0]);
            }
            /* the labels are the nearest final centroids (exact distances) */
            for (int64_t i = 0; i < n; i++) {
                double best = INFINITY;
                int32_t bj = -1;
                for (int64_t j = 0; j < k; j++) {
                    double dd = 0.0;
                    for (int64_t f = 0; f < d; f++) {
                        double xv = is_f32 ? (double)x32[i * d + f] : x[i * d + f];
                        dd += (xv - c[1][j * d + f]) * (xv - c[1][j * d + f]);
                    }
                    if (dd < best) {
                        best = dd;
                        bj = (int32_t)j;
                    }
                }
                assert_int_equal(lab[1][i], bj);
            }
            for (int r = 0; r < 4; r++) {
                free(lab[r]);
                free(c[r]);
            }
        }
        free(x);
        free(x32);
        free(c0);
    }
}

/* The true gap of row i: the distance to the second nearest centre minus
 * that to its own (label a), naive in long double. */
static long double true_gap(const double *x, const double *c, int64_t d, int64_t k, int64_t i,
                            int32_t a)
{
    long double own = 0.0L, other = INFINITY;
    for (int64_t j = 0; j < k; j++) {
        long double s = 0.0L;
        for (int64_t f = 0; f < d; f++) {
            long double t = (long double)x[i * d + f] - (long double)c[j * d + f];
            s += t * t;
        }
        if (j == a)
            own = sqrtl(s);
        else if (sqrtl(s) < other)
            other = sqrtl(s);
    }
    return other - own;
}

/* Hamerly's pass on its own, several passes with moving centres: the same
 * labels, sums, counts and change counts as the plain pass every time, on
 * data off any grid (block sums) and on the grid 2^-20 (exact sums,
 * updated point by point); the sums also equal a naive row-order sum.
 * Every stored margin is a lower bound on the row's true gap (long
 * double), for k <= 8, <= 16 (the bound test's table look-ups) and above
 * (its gather). */
static void test_bounded_pass_matches_plain(void **state)
{
    (void)state;
    const int64_t n = 1500, d = 3, ks[] = {5, 10, 16, 24};
    enum { KMAX = 24 };
    for (size_t kc = 0; kc < sizeof(ks) / sizeof(ks[0]); kc++)
        for (int grid = 0; grid < 2; grid++) {
            int64_t k = ks[kc];
            double *x = malloc((size_t)(n * d) * sizeof(double));
            double *c = malloc((size_t)(k * d) * sizeof(double));
            test_fill_normal(x, (size_t)(n * d), 1400);
            test_fill_normal(c, (size_t)(k * d), 1401 + 10 * kc);
            if (grid)
                for (int64_t e = 0; e < n * d; e++)
                    x[e] = ldexp(round(ldexp(x[e], 20)), -20);
            mutinf__km_data X = {x, NULL, n, d};
            assert_int_equal(mutinf__km_sums_exact(&X), grid);
            mutinf__km_plan plan;
            mutinf__km_make_plan(&plan, n, d, k, 2);
            assert_int_equal(plan.mode, MUTINF__KM_DIRECT);
            mutinf__km_work w0, w1;
            assert_status(mutinf__km_work_alloc(&w0, &plan, &X, k), MUTINF_OK);
            assert_status(mutinf__km_work_alloc(&w1, &plan, &X, k), MUTINF_OK);
            int32_t *l0 = malloc((size_t)n * sizeof(int32_t));
            int32_t *l1 = malloc((size_t)n * sizeof(int32_t));
            double s0[KMAX * 3], s1[KMAX * 3], naive[KMAX * 3];
            int64_t n0[KMAX], n1[KMAX], ch0, ch1;
            size_t sb = (size_t)(k * d) * sizeof(double), cb = (size_t)k * sizeof(int64_t);
            for (int64_t i = 0; i < n; i++)
                l0[i] = l1[i] = -1;
            uint64_t rs = 1402;
            for (int pass = 0; pass < 12; pass++) {
                assert_status(mutinf__km_assign(&X, &plan, &w0, k, c, l0, s0, n0, &ch0), MUTINF_OK);
                /* pass 5 without sums: the next pass must rebuild them */
                int with_sums = pass != 5;
                assert_status(mutinf__km_assign_bounded(&X, &plan, &w1, k, c, l1,
                                                        with_sums ? s1 : NULL,
                                                        with_sums ? n1 : NULL, &ch1),
                              MUTINF_OK);
                assert_int_equal(w1.exact_sums, grid);
                assert_memory_equal(l1, l0, (size_t)n * sizeof(int32_t));
                assert_int_equal(ch1, ch0);
                for (int64_t i = 0; i < n; i++)
                    assert_true((long double)w1.slack[i] <= true_gap(x, c, d, k, i, l1[i]));
                if (with_sums) {
                    assert_memory_equal(s1, s0, sb);
                    assert_memory_equal(n1, n0, cb);
                    if (grid) {
                        memset(naive, 0, sizeof naive);
                        for (int64_t i = 0; i < n; i++)
                            for (int64_t f = 0; f < d; f++)
                                naive[l0[i] * d + f] += x[i * d + f];
                        assert_memory_equal(s1, naive, sb);
                    }
                }
                /* move the centres: small steps, and one big jump now and then */
                for (int64_t e = 0; e < k * d; e++)
                    c[e] += (pass % 4 == 3 ? 1.0 : 0.05) * test_rand_normal(&rs);
            }
            mutinf__km_work_free(&w0);
            mutinf__km_work_free(&w1);
            free(x);
            free(c);
            free(l0);
            free(l1);
        }
}

/* Long-double sum of the feature f of the rows in `order` (m rows). */
static long double ordered_sum(const double *x, int64_t d, int64_t f, const int64_t *order,
                               int64_t m, double *dsum)
{
    long double t = 0;
    double s = 0.0;
    for (int64_t q = 0; q < m; q++) {
        t += x[order[q] * d + f];
        s += x[order[q] * d + f];
    }
    *dsum = s;
    return t;
}

/* mutinf__km_sums_exact against its definition: on grids (integers, 2^-40,
 * float data on 2^-20, big multiples of 4, zeros) every subset sum in any
 * order is the exact (long double) sum; off the grid (normal data, values
 * needing more than 51 bits in all) it answers 0. */
static void test_sums_exact(void **state)
{
    (void)state;
    const int64_t n = 600, d = 4;
    double *x = malloc((size_t)(n * d) * sizeof(double));
    float *xf = malloc((size_t)(n * d) * sizeof(float));
    int64_t *order = malloc((size_t)n * sizeof(int64_t));
    for (int kind = 0; kind < 7; kind++) {
        test_fill_normal(x, (size_t)(n * d), 1500 + (uint64_t)kind);
        for (int64_t e = 0; e < n * d; e++) {
            double v = x[e];
            switch (kind) {
            case 0:
                v = round(8.0 * v);
                break; /* integers */
            case 1:
                v = ldexp(round(ldexp(v, 40)), -40);
                break; /* 2^-40 */
            case 2:
                v = ldexp(round(ldexp(v, 20)), -20);
                break; /* float below */
            case 3:
                v = ldexp(round(ldexp(fabs(v), 8)), 40);
                break; /* big, multiples of 4 */
            case 4:
                v = 0.0;
                break;
            case 5:
                break; /* off the grid */
            default:
                v = ldexp(1.0, 60) + (double)(e % 1024);
                break; /* too many bits */
            }
            x[e] = v;
            xf[e] = (float)v;
        }
        mutinf__km_data X = {x, NULL, n, d}, Xf = {NULL, xf, n, d};
        int expect = kind <= 4;
        assert_int_equal(mutinf__km_sums_exact(&X), expect);
        if (kind == 2) assert_int_equal(mutinf__km_sums_exact(&Xf), 1);
        if (!expect) continue;
        /* random subsets in random orders: the double sums are exact */
        uint64_t rs = 1600 + (uint64_t)kind;
        for (int trial = 0; trial < 20; trial++) {
            int64_t m = 0;
            for (int64_t i = 0; i < n; i++)
                if (test_rand_uniform(&rs) < 0.5) order[m++] = i;
            for (int64_t q = m - 1; q > 0; q--) {
                int64_t r = (int64_t)(test_rand_uniform(&rs) * (double)(q + 1)) % (q + 1);
                int64_t t = order[q];
                order[q] = order[r];
                order[r] = t;
            }
            for (int64_t f = 0; f < d; f++) {
                double s;
                long double t = ordered_sum(x, d, f, order, m, &s);
                assert_true((long double)s == t);
            }
        }
    }
    free(x);
    free(xf);
    free(order);
}

/* Column-major (strided) input gives bit-identical results to row-major. */
static void test_strided_views(void **state)
{
    (void)state;
    int64_t n = 700, d = 12, k = 5;
    double *x = malloc((size_t)(n * d) * sizeof(double));
    double *xc = malloc((size_t)(n * d) * sizeof(double));
    test_fill_normal(x, (size_t)(n * d), 5150);
    for (int64_t i = 0; i < n; i++)
        for (int64_t f = 0; f < d; f++)
            xc[i + f * n] = x[i * d + f];
    int32_t *a = malloc((size_t)n * 4), *b = malloc((size_t)n * 4);
    double ca[60], cb[60];
    mutinf_kmeans *km = new_km((int32_t)k);
    assert_status(mutinf_kmeans_fit(km, x, n, d, d, 1, a), MUTINF_OK);
    assert_status(mutinf_kmeans_centroids(km, ca, k * d), MUTINF_OK);
    assert_status(mutinf_kmeans_fit(km, xc, n, d, 1, n, b), MUTINF_OK);
    assert_status(mutinf_kmeans_centroids(km, cb, k * d), MUTINF_OK);
    assert_memory_equal(a, b, (size_t)n * 4);
    assert_memory_equal(ca, cb, sizeof(ca));
    /* negative row stride: the rows reversed */
    assert_status(mutinf_kmeans_fit(km, x + (n - 1) * d, n, d, -d, 1, b), MUTINF_OK);
    double inertia_rev, inertia;
    assert_status(mutinf_kmeans_inertia(km, &inertia_rev), MUTINF_OK);
    assert_status(mutinf_kmeans_fit(km, x, n, d, d, 1, a), MUTINF_OK);
    assert_status(mutinf_kmeans_inertia(km, &inertia), MUTINF_OK);
    assert_true(isfinite(inertia_rev) && inertia_rev > 0.0);
    mutinf_kmeans_destroy(km);
    free(x);
    free(xc);
    free(a);
    free(b);
}

/* n_init keeps the best restart: the inertia never grows with n_init, and
 * on a hard data set it does drop. */
static void test_n_init_keeps_best(void **state)
{
    (void)state;
    int64_t n = 1200, d = 2, k = 15;
    double *x = malloc((size_t)(n * d) * sizeof(double));
    test_fill_normal(x, (size_t)(n * d), 808);
    for (int64_t i = 0; i < n; i++) { /* 30 small blobs, fewer centroids: many local optima */
        x[i * d] = x[i * d] * 0.3 + (double)(i % 6) * 3.0;
        x[i * d + 1] = x[i * d + 1] * 0.3 + (double)((i / 6) % 5) * 3.0;
    }
    double prev = INFINITY;
    int dropped = 0;
    for (int32_t r = 1; r <= 8; r++) {
        mutinf_kmeans *km = new_km((int32_t)k);
        assert_status(mutinf_kmeans_set_init(km, MUTINF_KMEANS_INIT_RANDOM), MUTINF_OK);
        assert_status(mutinf_kmeans_set_n_init(km, r), MUTINF_OK);
        assert_status(mutinf_kmeans_fit(km, x, n, d, d, 1, NULL), MUTINF_OK);
        double inertia;
        assert_status(mutinf_kmeans_inertia(km, &inertia), MUTINF_OK);
        assert_true(inertia <= prev);
        dropped += inertia < prev && r > 1;
        prev = inertia;
        mutinf_kmeans_destroy(km);
    }
    assert_true(dropped > 0);
    free(x);
}

/* Greedy k-means++ picks k distinct data rows; random init likewise. */
static void test_init_picks_rows(void **state)
{
    (void)state;
    int64_t n = 500, d = 6, k = 20;
    double *x = malloc((size_t)(n * d) * sizeof(double));
    test_fill_normal(x, (size_t)(n * d), 31);
    mutinf__km_data X = {x, NULL, n, d};
    mutinf__km_plan plan;
    mutinf__km_make_plan(&plan, n, d, k, 2);
    double *c = malloc((size_t)(k * d) * sizeof(double));
    for (int method = 0; method < 2; method++) {
        if (method == 0)
            assert_status(mutinf__km_init_plusplus(&X, &plan, k, 3, 0, c), MUTINF_OK);
        else
            assert_status(mutinf__km_init_random(&X, k, 3, 0, c), MUTINF_OK);
        for (int64_t j = 0; j < k; j++) {
            int found = 0;
            for (int64_t i = 0; i < n && !found; i++)
                found = memcmp(x + i * d, c + j * d, (size_t)d * sizeof(double)) == 0;
            assert_true(found);
            for (int64_t q = 0; q < j; q++)
                assert_true(memcmp(c + q * d, c + j * d, (size_t)d * sizeof(double)) != 0);
        }
    }
    /* k-means++ spreads out: on 4 far blobs with k = 4 it picks one per blob */
    int32_t *truth = malloc((size_t)n * 4);
    double *b = make_blobs(n, d, 4, 9, truth);
    mutinf__km_data B = {b, NULL, n, d};
    mutinf__km_make_plan(&plan, n, d, 4, 1);
    assert_status(mutinf__km_init_plusplus(&B, &plan, 4, 1, 0, c), MUTINF_OK);
    int hit[4] = {0, 0, 0, 0};
    for (int64_t j = 0; j < 4; j++)
        for (int64_t i = 0; i < n; i++)
            if (memcmp(b + i * d, c + j * d, (size_t)d * sizeof(double)) == 0) hit[truth[i]]++;
    for (int j = 0; j < 4; j++)
        assert_int_equal(hit[j], 1);
    free(truth);
    free(b);
    free(x);
    free(c);
}

static void test_degenerate_and_constant(void **state)
{
    (void)state;
    /* 3 distinct rows, k = 5 */
    double x[] = {1, 2, 3, 4, 1, 2, -0.0, 7, 3, 4, 0.0, 7, 1, 2};
    int32_t lab[7];
    mutinf_kmeans *km = new_km(5);
    assert_status(mutinf_kmeans_fit(km, x, 7, 2, 2, 1, lab), MUTINF_OK);
    int32_t deg, conv;
    double inertia, c[10];
    assert_status(mutinf_kmeans_degenerate(km, &deg), MUTINF_OK);
    assert_status(mutinf_kmeans_converged(km, &conv), MUTINF_OK);
    assert_status(mutinf_kmeans_inertia(km, &inertia), MUTINF_OK);
    assert_status(mutinf_kmeans_centroids(km, c, 10), MUTINF_OK);
    assert_int_equal(deg, 1);
    assert_int_equal(conv, 1);
    assert_true(inertia == 0.0);
    for (int j = 0; j < 5; j++)
        assert_false(isnan(c[2 * j]) || isnan(c[2 * j + 1]));
    assert_int_equal(lab[0], lab[2]);
    assert_int_equal(lab[0], lab[6]);
    assert_int_equal(lab[1], lab[4]);
    assert_int_equal(lab[3], lab[5]);
    assert_true(lab[0] != lab[1] && lab[1] != lab[3] && lab[0] != lab[3]);
    for (int i = 0; i < 7; i++)
        assert_true(c[2 * lab[i]] == x[2 * i] && c[2 * lab[i] + 1] == x[2 * i + 1]);
    /* constant data, k = 1: a normal fit */
    double cst[40];
    for (int i = 0; i < 40; i++)
        cst[i] = 2.5;
    int32_t l2[20];
    assert_status(mutinf_kmeans_set_k(km, 1), MUTINF_OK);
    for (int d = 1; d <= 2; d++) {
        assert_status(mutinf_kmeans_fit(km, cst, 40 / d, d, d, 1, l2), MUTINF_OK);
        assert_status(mutinf_kmeans_degenerate(km, &deg), MUTINF_OK);
        assert_status(mutinf_kmeans_inertia(km, &inertia), MUTINF_OK);
        assert_int_equal(deg, 0);
        assert_true(inertia == 0.0);
        assert_status(mutinf_kmeans_centroids(km, c, 10), MUTINF_OK);
        assert_true(c[0] == 2.5);
    }
    /* constant data, k = 3: degenerate, all centroids equal */
    assert_status(mutinf_kmeans_set_k(km, 3), MUTINF_OK);
    assert_status(mutinf_kmeans_fit(km, cst, 40, 1, 1, 1, NULL), MUTINF_OK);
    assert_status(mutinf_kmeans_degenerate(km, &deg), MUTINF_OK);
    assert_int_equal(deg, 1);
    assert_status(mutinf_kmeans_centroids(km, c, 3), MUTINF_OK);
    assert_true(c[0] == 2.5 && c[1] == 2.5 && c[2] == 2.5);
    /* k == n with distinct points: every point its own cluster */
    double y[] = {5, 1, 4, 2, 3};
    int32_t l3[5];
    assert_status(mutinf_kmeans_set_k(km, 5), MUTINF_OK);
    assert_status(mutinf_kmeans_fit(km, y, 5, 1, 1, 1, l3), MUTINF_OK);
    assert_status(mutinf_kmeans_inertia(km, &inertia), MUTINF_OK);
    assert_true(inertia == 0.0);
    assert_int_equal(l3[0], 4);
    assert_int_equal(l3[1], 0);
    mutinf_kmeans_destroy(km);
}

typedef struct stop_state {
    int64_t calls, stop_at, last_done, last_total;
} stop_state;

static int32_t stop_cb(int64_t done, int64_t total, void *payload)
{
    stop_state *s = payload;
    s->calls++;
    s->last_done = done;
    s->last_total = total;
    return done >= s->stop_at;
}

static void test_progress_stops(void **state)
{
    (void)state;
    int64_t n = 2000, d = 4, k = 30;
    double *x = malloc((size_t)(n * d) * sizeof(double));
    test_fill_normal(x, (size_t)(n * d), 61);
    int32_t *lab = malloc((size_t)n * 4);
    mutinf_kmeans *km = new_km((int32_t)k);
    assert_status(mutinf_kmeans_set_tol(km, 0.0), MUTINF_OK);
    assert_status(mutinf_kmeans_set_n_init(km, 2), MUTINF_OK);
    assert_status(mutinf_kmeans_fit(km, x, n, d, d, 1, NULL), MUTINF_OK);
    double before, after, c_before[120], c_after[120];
    assert_status(mutinf_kmeans_inertia(km, &before), MUTINF_OK);
    assert_status(mutinf_kmeans_centroids(km, c_before, k * d), MUTINF_OK);
    stop_state s = {0, 3, 0, 0};
    assert_status(mutinf_kmeans_set_progress(km, stop_cb, &s), MUTINF_OK);
    for (int64_t i = 0; i < n; i++)
        lab[i] = -7;
    assert_status(mutinf_kmeans_fit(km, x, n, d, d, 1, lab), MUTINF_ERR_CANCELLED);
    assert_int_equal(s.calls, 3);
    assert_int_equal(s.last_total, 2 * 300);
    for (int64_t i = 0; i < n; i++)
        assert_int_equal(lab[i], -7); /* untouched */
    assert_status(mutinf_kmeans_inertia(km, &after), MUTINF_OK);
    assert_status(mutinf_kmeans_centroids(km, c_after, k * d), MUTINF_OK);
    assert_memory_equal(&before, &after, sizeof(double));
    assert_memory_equal(c_before, c_after, sizeof(c_before));
    /* a callback that never stops sees every iteration */
    s = (stop_state){0, INT64_MAX, 0, 0};
    assert_status(mutinf_kmeans_fit(km, x, n, d, d, 1, lab), MUTINF_OK);
    assert_true(s.calls >= 2);
    /* the exact 1-D programme reports its layers and stops too */
    s = (stop_state){0, 2, 0, 0};
    assert_status(mutinf_kmeans_fit(km, x, n, 1, d, 1, lab), MUTINF_ERR_CANCELLED);
    assert_int_equal(s.calls, 2);
    assert_int_equal(s.last_total, k);
    mutinf_kmeans_destroy(km);
    free(x);
    free(lab);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    double x[40];
    test_fill_normal(x, 40, 1);
    int32_t lab[20];
    for (int i = 0; i < 20; i++)
        lab[i] = -9;
    mutinf_kmeans *km = NULL;
    assert_status(mutinf_kmeans_create(NULL), MUTINF_ERR_NULL_ARGUMENT);
    mutinf_kmeans_destroy(NULL);
    km = new_km(3);
    /* setters */
    assert_status(mutinf_kmeans_set_k(NULL, 3), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_set_k(km, 0), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_kmeans_set_k(km, -2), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_kmeans_set_n_init(km, 0), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_kmeans_set_n_init(NULL, 1), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_set_max_iter(km, 0), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_kmeans_set_max_iter(NULL, 1), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_set_tol(km, -1e-3), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_kmeans_set_tol(km, NAN), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_kmeans_set_tol(km, INFINITY), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_kmeans_set_tol(NULL, 0.1), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_set_init(km, 3), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_kmeans_set_init(km, -1), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_kmeans_set_init(NULL, 0), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_set_algorithm(km, 3), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_kmeans_set_algorithm(NULL, 0), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_set_threads(km, -1), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_kmeans_set_threads(NULL, 1), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_set_seed(NULL, 1), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_set_progress(NULL, NULL, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_set_init_centroids(NULL, x, 3, 2, 2, 1), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_set_init_centroids(km, NULL, 3, 2, 2, 1), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_set_init_centroids(km, x, 0, 2, 2, 1),
                  MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_kmeans_set_init_centroids(km, x, 3, 0, 2, 1),
                  MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_kmeans_set_init_centroids(km, x, (int64_t)INT32_MAX + 1, 1, 0, 1),
                  MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_kmeans_set_init_centroids(km, x, 3, 2, INT64_MAX / 2, 1),
                  MUTINF_ERR_SIZE_OVERFLOW);
    double bad[6] = {1, 2, 3, INFINITY, 5, 6};
    assert_status(mutinf_kmeans_set_init_centroids(km, bad, 3, 2, 2, 1), MUTINF_ERR_NON_FINITE);
    assert_non_null(strstr(mutinf_last_error_message(), "centroid 1"));
    /* the failed setters changed nothing: k is still 3, init still k-means++ */
    /* getters and predict before any fit */
    double v;
    int32_t iv;
    int64_t kk, dd;
    assert_status(mutinf_kmeans_inertia(km, &v), MUTINF_ERR_INVALID_STATE);
    assert_status(mutinf_kmeans_n_iter(km, &iv), MUTINF_ERR_INVALID_STATE);
    assert_status(mutinf_kmeans_converged(km, &iv), MUTINF_ERR_INVALID_STATE);
    assert_status(mutinf_kmeans_degenerate(km, &iv), MUTINF_ERR_INVALID_STATE);
    assert_status(mutinf_kmeans_shape(km, &kk, &dd), MUTINF_ERR_INVALID_STATE);
    assert_status(mutinf_kmeans_centroids(km, x, 40), MUTINF_ERR_INVALID_STATE);
    assert_status(mutinf_kmeans_predict(km, x, 20, 2, 2, 1, lab), MUTINF_ERR_INVALID_STATE);
    assert_status(mutinf_kmeans_inertia(NULL, &v), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_shape(NULL, &kk, &dd), MUTINF_ERR_NULL_ARGUMENT);
    /* fit */
    assert_status(mutinf_kmeans_fit(NULL, x, 20, 2, 2, 1, lab), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_fit(km, NULL, 20, 2, 2, 1, lab), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_fit_f32(km, NULL, 20, 2, 2, 1, lab), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_fit(km, x, 0, 2, 2, 1, lab), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_kmeans_fit(km, x, 20, 0, 2, 1, lab), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_kmeans_fit(km, x, -1, 2, 2, 1, lab), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_kmeans_fit(km, x, 2, 2, 2, 1, lab), MUTINF_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(mutinf_last_error_message(), "k = 3 > n = 2"));
    assert_status(mutinf_kmeans_fit(km, x, 20, 2, INT64_MAX / 4, 1, lab), MUTINF_ERR_SIZE_OVERFLOW);
    assert_status(mutinf_kmeans_fit(km, x, 20, 2, INT64_MIN, 1, lab), MUTINF_ERR_SIZE_OVERFLOW);
    assert_status(mutinf_kmeans_fit(km, x, (int64_t)INT32_MAX + 5, 1, 0, 1, lab),
                  MUTINF_ERR_SIZE_OVERFLOW);
    double y[40];
    memcpy(y, x, sizeof(y));
    y[2 * 13 + 1] = NAN;
    assert_status(mutinf_kmeans_fit(km, y, 20, 2, 2, 1, lab), MUTINF_ERR_NON_FINITE);
    assert_non_null(strstr(mutinf_last_error_message(), "row 13"));
    y[2 * 13 + 1] = -INFINITY;
    assert_status(mutinf_kmeans_fit(km, y, 20, 2, 2, 1, lab), MUTINF_ERR_NON_FINITE);
    float yf[40];
    for (int i = 0; i < 40; i++)
        yf[i] = (float)x[i];
    yf[7] = NAN;
    assert_status(mutinf_kmeans_fit_f32(km, yf, 20, 2, 2, 1, lab), MUTINF_ERR_NON_FINITE);
    assert_non_null(strstr(mutinf_last_error_message(), "row 3"));
    for (int i = 0; i < 20; i++)
        assert_int_equal(lab[i], -9); /* untouched by every failure */
    /* given init: missing, wrong shape */
    assert_status(mutinf_kmeans_set_init(km, MUTINF_KMEANS_INIT_GIVEN), MUTINF_OK);
    assert_status(mutinf_kmeans_fit(km, x, 20, 2, 2, 1, lab), MUTINF_ERR_INVALID_STATE);
    assert_status(mutinf_kmeans_set_init_centroids(km, x, 3, 2, 2, 1), MUTINF_OK);
    assert_status(mutinf_kmeans_fit(km, x, 10, 4, 4, 1, lab), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_kmeans_set_k(km, 4), MUTINF_OK);
    assert_status(mutinf_kmeans_fit(km, x, 20, 2, 2, 1, lab), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_kmeans_set_k(km, 3), MUTINF_OK);
    for (int i = 0; i < 20; i++)
        assert_int_equal(lab[i], -9);
    assert_status(mutinf_kmeans_fit(km, x, 20, 2, 2, 1, lab), MUTINF_OK);
    /* after a fit: getters, predict */
    assert_status(mutinf_kmeans_shape(km, &kk, &dd), MUTINF_OK);
    assert_int_equal(kk, 3);
    assert_int_equal(dd, 2);
    assert_status(mutinf_kmeans_shape(km, NULL, NULL), MUTINF_OK);
    assert_status(mutinf_kmeans_inertia(km, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_n_iter(km, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_converged(km, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_degenerate(km, NULL), MUTINF_ERR_NULL_ARGUMENT);
    double c[6] = {-1, -1, -1, -1, -1, -1};
    assert_status(mutinf_kmeans_centroids(km, NULL, 6), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_centroids(km, c, 5), MUTINF_ERR_DIMENSION_MISMATCH);
    for (int i = 0; i < 6; i++)
        assert_true(c[i] == -1.0);
    int32_t p[20];
    for (int i = 0; i < 20; i++)
        p[i] = -5;
    assert_status(mutinf_kmeans_predict(NULL, x, 20, 2, 2, 1, p), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_predict(km, NULL, 20, 2, 2, 1, p), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_predict(km, x, 20, 2, 2, 1, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_predict_f32(km, NULL, 20, 2, 2, 1, p), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_kmeans_predict(km, x, 20, 3, 3, 1, p), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_kmeans_predict(km, x, 0, 2, 2, 1, p), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_kmeans_predict(km, x, 20, 2, INT64_MAX / 3, 1, p),
                  MUTINF_ERR_SIZE_OVERFLOW);
    assert_status(mutinf_kmeans_predict(km, y, 20, 2, 2, 1, p), MUTINF_ERR_NON_FINITE);
    assert_non_null(strstr(mutinf_last_error_message(), "row 13"));
    for (int i = 0; i < 20; i++)
        assert_int_equal(p[i], -5);
    assert_status(mutinf_kmeans_predict(km, x, 20, 2, 2, 1, p), MUTINF_OK);
    assert_memory_equal(p, lab, sizeof(p));
    mutinf_kmeans_destroy(km);
}

/* Every allocation failure is reported as MUTINF_ERR_OUT_OF_MEMORY, leaves
 * the outputs and the previous fit untouched, and leaks nothing. */
static void test_out_of_memory(void **state)
{
    (void)state;
    /* column 3: 1 = random init, 2 = Hamerly */
    const int64_t shapes[][4] = {
        {300, 3, 4, 0}, {300, 20, 5, 0}, {300, 1, 6, 0}, {200, 30, 8, 1}, {300, 5, 6, 2}};
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        int64_t n = shapes[s][0], d = shapes[s][1], k = shapes[s][2];
        double *x = malloc((size_t)(n * d) * sizeof(double));
        test_fill_normal(x, (size_t)(n * d), 1000 + s);
        int32_t *lab = malloc((size_t)n * 4);
        mutinf_kmeans *km = new_km((int32_t)k);
        assert_status(mutinf_kmeans_set_n_init(km, 2), MUTINF_OK);
        if (shapes[s][3] == 1)
            assert_status(mutinf_kmeans_set_init(km, MUTINF_KMEANS_INIT_RANDOM), MUTINF_OK);
        if (shapes[s][3] == 2)
            assert_status(mutinf_kmeans_set_algorithm(km, MUTINF_KMEANS_ALGORITHM_HAMERLY),
                          MUTINF_OK);
        int ok = 0;
        for (long fail = 0; fail < 200 && !ok; fail++) {
            for (int64_t i = 0; i < n; i++)
                lab[i] = -3;
            mutinf__alloc_fail_after(fail);
            /* column-major view: the packed copy is allocated too */
            mutinf_status st = mutinf_kmeans_fit(km, x, n, d, 1, n, lab);
            mutinf__alloc_fail_after(-1);
            if (st == MUTINF_OK) {
                ok = 1;
                break;
            }
            assert_int_equal(st, MUTINF_ERR_OUT_OF_MEMORY);
            for (int64_t i = 0; i < n; i++)
                assert_int_equal(lab[i], -3);
            double v;
            assert_status(mutinf_kmeans_inertia(km, &v), MUTINF_ERR_INVALID_STATE);
        }
        assert_true(ok);
        for (long fail = 0; fail < 50; fail++) {
            mutinf__alloc_fail_after(fail);
            mutinf_status st = mutinf_kmeans_predict(km, x, n, d, 1, n, lab);
            mutinf__alloc_fail_after(-1);
            if (st == MUTINF_OK) break;
            assert_int_equal(st, MUTINF_ERR_OUT_OF_MEMORY);
        }
        mutinf_kmeans *km2 = NULL;
        mutinf__alloc_fail_after(0);
        assert_status(mutinf_kmeans_create(&km2), MUTINF_ERR_OUT_OF_MEMORY);
        assert_null(km2);
        mutinf__alloc_fail_after(0);
        assert_status(mutinf_kmeans_set_init_centroids(km, x, k, d, d, 1),
                      MUTINF_ERR_OUT_OF_MEMORY);
        mutinf__alloc_fail_after(-1);
        mutinf_kmeans_destroy(km);
        free(x);
        free(lab);
    }
}

/* ---- the points-in-lanes kernels for small d (src/kmeans_lanes.c) ---------- */

/* Squared distance in double, (x - c)^2 summed in feature order. */
static double naive_sqdist(const double *x, const double *c, int64_t d)
{
    double s = 0.0;
    for (int64_t f = 0; f < d; f++)
        s += (x[f] - c[f]) * (x[f] - c[f]);
    return s;
}

/* Nearest centroid by naive_sqdist, lowest index on ties. */
static int32_t naive_nearest(const double *x, const double *c, int64_t d, int64_t k)
{
    int32_t best = 0;
    double bd = INFINITY;
    for (int64_t j = 0; j < k; j++) {
        double v = naive_sqdist(x, c + j * d, d);
        if (v < bd) {
            bd = v;
            best = (int32_t)j;
        }
    }
    return best;
}

/* Data for the kernel tests: normal values, or (grid) small integers, so
 * that many points are exactly as far from two centroids; as float when
 * f32 (xd then holds the float values as doubles). */
static void lanes_data(int64_t n, int64_t d, int grid, int f32, uint64_t seed, double *xd,
                       float *xf)
{
    uint64_t st = seed;
    for (int64_t e = 0; e < n * d; e++) {
        double v = grid ? (double)(int)(test_rand_uniform(&st) * 5.0) - 2.0 : test_rand_normal(&st);
        if (f32) {
            xf[e] = (float)v;
            v = (double)xf[e];
        }
        xd[e] = v;
    }
}

/* The direct kernel's labels, and the lane kernel's labels, sums, counts
 * and change count (where AVX2/FMA run), equal a naive double-precision
 * nearest-centroid pass: d = 1..8, n not a multiple of the
 * tile, k not a multiple of 4, duplicated centroids and exact ties (lowest
 * index wins), double and float input, rows from an offset. */
static void test_lanes_labels_reference(void **state)
{
    (void)state;
    int lanes = mutinf__cpu_has_avx2_fma();
    const int64_t ns[] = {1, 5, 12, 13, 37, 203};
    const int64_t ks[] = {1, 3, 5, 13, 16, 17};
    for (int64_t d = 1; d <= MUTINF__KM_DIRECT_MAX_D; d++)
        for (int f32 = 0; f32 < 2; f32++)
            for (int grid = 0; grid < 2; grid++)
                for (size_t a = 0; a < sizeof(ns) / sizeof(ns[0]); a++)
                    for (size_t b = 0; b < sizeof(ks) / sizeof(ks[0]); b++) {
                        int64_t n = ns[a], k = ks[b], kp = (k + 3) / 4 * 4;
                        uint64_t seed = (uint64_t)(1000 * d + 100 * f32 + 10 * grid) + a * 7 + b;
                        double *xd = malloc((size_t)(n * d) * sizeof(double));
                        float *xf = malloc((size_t)(n * d) * sizeof(float));
                        double *c = malloc((size_t)(k * d) * sizeof(double));
                        float *cf = malloc((size_t)(k * d) * sizeof(float));
                        lanes_data(n, d, grid, f32, seed, xd, xf);
                        lanes_data(k, d, grid, 0, seed + 1, c, cf);
                        for (int64_t j = 3; j < k; j += 4) /* duplicates: the first one wins */
                            memcpy(c + j * d, c + (j - 2) * d, (size_t)d * sizeof(double));
                        mutinf__km_data X = {f32 ? NULL : xd, f32 ? xf : NULL, n, d};
                        mutinf__km_plan plan;
                        mutinf__km_make_plan(&plan, n, d, k, 1);
                        assert_int_equal(plan.mode, MUTINF__KM_DIRECT);
                        mutinf__km_work w;
                        assert_status(mutinf__km_work_alloc(&w, &plan, &X, k), MUTINF_OK);
                        mutinf__km_pack_centers(&X, &plan, &w, k, c);
                        int32_t *ref = malloc((size_t)n * sizeof(int32_t));
                        int32_t *lab = malloc((size_t)n * sizeof(int32_t));
                        double *sref = calloc((size_t)(k * d), sizeof(double));
                        double *sums = calloc((size_t)(k * d), sizeof(double));
                        int64_t *cref = calloc((size_t)k, sizeof(int64_t));
                        int64_t *counts = calloc((size_t)k, sizeof(int64_t));
                        int64_t chref = 0, changed = 0;
                        for (int64_t i = 0; i < n; i++)
                            ref[i] = naive_nearest(xd + i * d, c, d, k);
                        mutinf__km_direct_labels(&X, 0, n, w.cpack, kp, lab);
                        for (int64_t i = 0; i < n; i++)
                            assert_int_equal(lab[i], ref[i]);
                        if (lanes) {
                            mutinf__km_lanes_labels(&X, 0, n, w.cpack, k, kp, lab);
                            for (int64_t i = 0; i < n; i++)
                                assert_int_equal(lab[i], ref[i]);
                            if (n > 1) {
                                mutinf__km_lanes_labels(&X, 1, n - 1, w.cpack, k, kp, lab);
                                for (int64_t i = 0; i + 1 < n; i++)
                                    assert_int_equal(lab[i], ref[i + 1]);
                            }
                            /* fused pass: labels on entry right for the odd rows only */
                            for (int64_t i = 0; i < n; i++) {
                                lab[i] = i % 2 ? ref[i] : (ref[i] + 1) % (int32_t)k;
                                chref += lab[i] != ref[i];
                                cref[ref[i]]++;
                                for (int64_t f = 0; f < d; f++)
                                    sref[ref[i] * d + f] += xd[i * d + f];
                            }
                            mutinf__km_lanes_assign(&X, 0, n, w.cpack, k, kp, lab, sums, counts,
                                                    &changed);
                            assert_int_equal(changed, chref);
                            for (int64_t i = 0; i < n; i++)
                                assert_int_equal(lab[i], ref[i]);
                            for (int64_t j = 0; j < k; j++)
                                assert_int_equal(counts[j], cref[j]);
                            for (int64_t e = 0; e < k * d; e++)
                                assert_true(sums[e] == sref[e]); /* row order: exact */
                            changed = 0;
                            mutinf__km_lanes_assign(&X, 0, n, w.cpack, k, kp, lab, NULL, NULL,
                                                    &changed);
                            assert_int_equal(changed, 0);
                        }
                        mutinf__km_work_free(&w);
                        free(xd);
                        free(xf);
                        free(c);
                        free(cf);
                        free(ref);
                        free(lab);
                        free(sref);
                        free(sums);
                        free(cref);
                        free(counts);
                    }
}

/* Second smallest naive_sqdist of x over the k centroids (the smallest
 * again when it is attained twice). */
static double naive_second(const double *x, const double *c, int64_t d, int64_t k)
{
    double b1 = INFINITY, b2 = INFINITY;
    for (int64_t j = 0; j < k; j++) {
        double v = naive_sqdist(x, c + j * d, d);
        if (v < b1) {
            b2 = b1;
            b1 = v;
        } else if (v < b2) {
            b2 = v;
        }
    }
    return b2;
}

/* The lane kernels at near-ties, where the dot-product forms they use
 * first may pick another centroid than the exact (x - c)^2 form: points a
 * few ulps either side of the bisector of two centroids, far from the
 * origin (offset up to 1e6, so that |x|^2 dwarfs the distances), and points
 * on it; one point in eight anywhere around the centroids.  Every scale
 * (1e-12 and 1e17 are outside the single-precision kernel's range).
 * Labels equal the naive nearest centroid; lanes_nearest's d1 is an upper
 * bound on the smallest squared distance and d2 a lower bound on the
 * second smallest, both close to them (1e-5 (|x|^2 + max |c|^2) for the
 * single-precision kernel); k = 70 takes the exact kernel. */
static void test_lanes_near_ties(void **state)
{
    (void)state;
    if (!mutinf__cpu_has_avx2_fma()) skip();
    const double offsets[] = {0.0, 10.0, 1e3, 1e6}, scales[] = {1.0, 1e-12, 1e17};
    const int64_t ks[] = {2, 5, 16, 70};
    for (int64_t d = 1; d <= MUTINF__KM_DIRECT_MAX_D; d++)
        for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++)
            for (size_t b = 0; b < sizeof(ks) / sizeof(ks[0]); b++)
                for (size_t sc = 0; sc < sizeof(scales) / sizeof(scales[0]); sc++) {
                    int64_t k = ks[b], kp = (k + 3) / 4 * 4, n = 301;
                    uint64_t rs = (uint64_t)(5000 + 100 * d + 10 * o + b + 100000 * sc);
                    double *c = malloc((size_t)(k * d) * sizeof(double));
                    double *x = malloc((size_t)(n * d) * sizeof(double));
                    double scale = scales[sc], cmax = 0.0;
                    for (int64_t e = 0; e < k * d; e++)
                        c[e] = scale * (offsets[o] + test_rand_normal(&rs));
                    for (int64_t j = 0; j < k; j++) {
                        double q = 0.0;
                        for (int64_t f = 0; f < d; f++)
                            q += c[j * d + f] * c[j * d + f];
                        cmax = fmax(cmax, q);
                    }
                    for (int64_t i = 0; i < n; i++) {
                        if (i % 8 == 7) {
                            for (int64_t f = 0; f < d; f++)
                                x[i * d + f] = scale * (offsets[o] + 1.5 * test_rand_normal(&rs));
                            continue;
                        }
                        /* between centroids ja and jb, t ulps (of the offset's
                         * scale) along their difference from the midpoint */
                        int64_t ja = (int64_t)(test_rand_uniform(&rs) * (double)k) % k;
                        int64_t jb = (ja + 1) % k;
                        double t = (double)(i % 7) - 3.0;
                        double ulp = ldexp(1.0, ilogb(scale * (offsets[o] + 4.0)) - 52);
                        for (int64_t f = 0; f < d; f++) {
                            double ca = c[ja * d + f], cb = c[jb * d + f];
                            x[i * d + f] = 0.5 * (ca + cb) + t * ulp * (cb > ca ? 1.0 : -1.0);
                        }
                    }
                    mutinf__km_data X = {x, NULL, n, d};
                    mutinf__km_plan plan;
                    mutinf__km_make_plan(&plan, n, d, k, 1);
                    mutinf__km_work w;
                    assert_status(mutinf__km_work_alloc(&w, &plan, &X, k), MUTINF_OK);
                    mutinf__km_pack_centers(&X, &plan, &w, k, c);
                    int32_t *lab = malloc((size_t)n * sizeof(int32_t));
                    int32_t *lab2 = malloc((size_t)n * sizeof(int32_t));
                    int64_t *rows = malloc((size_t)n * sizeof(int64_t));
                    double *d1 = malloc((size_t)n * sizeof(double));
                    double *d2 = malloc((size_t)n * sizeof(double));
                    double *sums = calloc((size_t)(k * d), sizeof(double));
                    int64_t *counts = calloc((size_t)k, sizeof(int64_t)), changed = 0;
                    for (int64_t i = 0; i < n; i++)
                        rows[i] = n - 1 - i; /* reversed: any row order */
                    mutinf__km_lanes_labels(&X, 0, n, w.cpack, k, kp, lab);
                    for (int64_t i = 0; i < n; i++)
                        lab2[i] = -1;
                    mutinf__km_lanes_assign(&X, 0, n, w.cpack, k, kp, lab2, sums, counts, &changed);
                    assert_int_equal(changed, n);
                    for (int64_t i = 0; i < n; i++) {
                        int32_t ref = naive_nearest(x + i * d, c, d, k);
                        assert_int_equal(lab[i], ref);
                        assert_int_equal(lab2[i], ref);
                    }
                    /* the rows packed in float with their norms: the same
                     * numbers as from the data (and the packing as defined) */
                    float *px = malloc((size_t)n * MUTINF__KM_DIRECT_MAX_D * sizeof(float));
                    double *pxx = malloc((size_t)n * sizeof(double));
                    int32_t *plab = malloc((size_t)n * sizeof(int32_t));
                    double *pd1 = malloc((size_t)n * sizeof(double));
                    double *pd2 = malloc((size_t)n * sizeof(double));
                    mutinf__km_lanes_pack_rows(&X, px, pxx);
                    for (int64_t i = 0; i < n; i++) {
                        long double nx = 0.0L;
                        for (int64_t f = 0; f < MUTINF__KM_DIRECT_MAX_D; f++)
                            assert_true(px[i * MUTINF__KM_DIRECT_MAX_D + f] ==
                                        (f < d ? (float)x[i * d + f] : 0.0f));
                        for (int64_t f = 0; f < d; f++)
                            nx += (long double)x[i * d + f] * (long double)x[i * d + f];
                        assert_true(fabsl((long double)pxx[i] - nx) <= 1e-15L * nx);
                    }
                    mutinf__km_lanes_nearest(&X, rows, n, w.cpack, k, kp, NULL, px, pxx, plab, pd1,
                                             pd2);
                    mutinf__km_lanes_nearest(&X, rows, n, w.cpack, k, kp, NULL, NULL, NULL, lab, d1,
                                             d2);
                    assert_memory_equal(plab, lab, (size_t)n * sizeof(int32_t));
                    assert_memory_equal(pd1, d1, (size_t)n * sizeof(double));
                    assert_memory_equal(pd2, d2, (size_t)n * sizeof(double));
                    free(px);
                    free(pxx);
                    free(plab);
                    free(pd1);
                    free(pd2);
                    for (int64_t q = 0; q < n; q++) {
                        const double *xi = x + rows[q] * d;
                        int32_t ref = naive_nearest(xi, c, d, k);
                        assert_int_equal(lab[q], ref);
                        double t1 = naive_sqdist(xi, c + (int64_t)ref * d, d);
                        double t2 = naive_second(xi, c, d, k);
                        /* true bounds up to the naive distances' rounding */
                        double xx = 0.0;
                        for (int64_t f = 0; f < d; f++)
                            xx += xi[f] * xi[f];
                        double slack = 1e-12 * (t1 + t2) + 1e-11 * scale * scale *
                                                               (offsets[o] + 4.0) *
                                                               (offsets[o] + 4.0) * (double)d;
                        if (k <= 64 && cmax >= 1e-20 && cmax <= 1e30) slack += 1e-5 * (xx + cmax);
                        assert_true(d1[q] >= t1 * (1.0 - 1e-14));
                        assert_true(d1[q] <= t1 + slack);
                        assert_true(d2[q] <= t2 * (1.0 + 1e-14));
                        assert_true(d2[q] >= t2 - slack || d2[q] == 0.0);
                    }
                    mutinf__km_work_free(&w);
                    free(c);
                    free(x);
                    free(lab);
                    free(lab2);
                    free(rows);
                    free(d1);
                    free(d2);
                    free(sums);
                    free(counts);
                }
}

/* The seeding fold (AVX2 and plain C) against naive distances: out =
 * min(closest, |x - c|^2) exactly, the potentials close to a naive sum and
 * identical between the two kernels. */
static void test_pp_fold_reference(void **state)
{
    (void)state;
    const int64_t spans[][2] = {{0, 1}, {0, 7}, {4, 41}, {8, 72}, {0, 203}};
    const int64_t Ts[] = {1, 3, 5};
    int kernels = mutinf__cpu_has_avx2_fma() ? 2 : 1;
    for (int64_t d = 1; d <= MUTINF__KM_DIRECT_MAX_D; d++)
        for (int f32 = 0; f32 < 2; f32++)
            for (size_t a = 0; a < sizeof(spans) / sizeof(spans[0]); a++)
                for (size_t b = 0; b < sizeof(Ts) / sizeof(Ts[0]); b++)
                    for (int with_closest = 0; with_closest < 2; with_closest++) {
                        int64_t n = 203, r0 = spans[a][0], r1 = spans[a][1], T = Ts[b];
                        uint64_t seed = (uint64_t)(500 * d + 50 * f32) + a * 5 + b;
                        double *xd = malloc((size_t)(n * d) * sizeof(double));
                        float *xf = malloc((size_t)(n * d) * sizeof(float));
                        double *cand = malloc((size_t)(T * d) * sizeof(double));
                        float *unused = malloc((size_t)(T * d) * sizeof(float));
                        double *closest = malloc((size_t)n * sizeof(double));
                        double *out = malloc((size_t)(2 * T * n) * sizeof(double));
                        lanes_data(n, d, 0, f32, seed, xd, xf);
                        lanes_data(T, d, 0, 0, seed + 1, cand, unused);
                        if (T > 1) /* a candidate that is a data row: distance exactly 0 */
                            memcpy(cand + d, xd + r0 * d, (size_t)d * sizeof(double));
                        uint64_t st = seed + 2;
                        for (int64_t i = 0; i < n; i++)
                            closest[i] = i % 5 == 0 ? 0.0 : 4.0 * test_rand_uniform(&st);
                        mutinf__km_data X = {f32 ? NULL : xd, f32 ? xf : NULL, n, d};
                        double s[2][8];
                        for (int kern = 0; kern < kernels; kern++) {
                            double *slots[8];
                            for (int64_t t = 0; t < T; t++) {
                                slots[t] = out + (kern * T + t) * n;
                                s[kern][t] = 0.25; /* added to */
                            }
                            mutinf__km_pp_fold(kern, &X, r0, r1, cand, T,
                                               with_closest ? closest : NULL, slots, s[kern]);
                            for (int64_t t = 0; t < T; t++) {
                                double naive = 0.25;
                                for (int64_t i = r0; i < r1; i++) {
                                    double v = naive_sqdist(xd + i * d, cand + t * d, d);
                                    if (with_closest && closest[i] < v) v = closest[i];
                                    assert_true(slots[t][i] == v);
                                    naive += v;
                                }
                                assert_close(s[kern][t], naive, 1e-12, 0.0);
                            }
                        }
                        if (kernels == 2)
                            for (int64_t t = 0; t < T; t++)
                                assert_true(s[0][t] == s[1][t]);
                        free(xd);
                        free(xf);
                        free(cand);
                        free(unused);
                        free(closest);
                        free(out);
                    }
}

/* Greedy k-means++ for small d against a naive sequential implementation
 * drawing the same random numbers (the potentials summed row by row in
 * double, the sampled point the first whose running sum exceeds the draw):
 * the same centres, for double and float input and 1 or 2 threads. */
static void naive_plusplus(const double *x, int64_t n, int64_t d, int64_t k, uint64_t seed,
                           uint64_t stream, double *centers)
{
    int64_t T = 2 + (int64_t)log((double)k);
    uint64_t ctr = 0;
    double *closest = malloc((size_t)n * sizeof(double));
    double *trial = malloc((size_t)n * sizeof(double));
    double *best_d = malloc((size_t)n * sizeof(double));
    int64_t first = (int64_t)mutinf__rng_below(seed, stream, ctr++, (uint64_t)n);
    memcpy(centers, x + first * d, (size_t)d * sizeof(double));
    double pot = 0.0;
    for (int64_t i = 0; i < n; i++) {
        closest[i] = naive_sqdist(x + i * d, centers, d);
        pot += closest[i];
    }
    for (int64_t c = 1; c < k; c++) {
        double best_pot = INFINITY;
        int64_t best_idx = 0;
        for (int64_t t = 0; t < T; t++) {
            double r = mutinf__rng_uniform(seed, stream, ctr++) * pot, acc = 0.0;
            int64_t idx = -1;
            for (int64_t i = 0; i < n; i++)
                if (closest[i] > 0.0) {
                    idx = i;
                    acc += closest[i];
                    if (acc > r) break;
                }
            double p = 0.0;
            for (int64_t i = 0; i < n; i++) {
                double v = naive_sqdist(x + i * d, x + idx * d, d);
                trial[i] = v < closest[i] ? v : closest[i];
                p += trial[i];
            }
            if (p < best_pot) {
                best_pot = p;
                best_idx = idx;
                memcpy(best_d, trial, (size_t)n * sizeof(double));
            }
        }
        memcpy(centers + c * d, x + best_idx * d, (size_t)d * sizeof(double));
        memcpy(closest, best_d, (size_t)n * sizeof(double));
        pot = best_pot;
    }
    free(closest);
    free(trial);
    free(best_d);
}

static void test_plusplus_small_reference(void **state)
{
    (void)state;
    const int64_t shapes[][3] = {{777, 2, 6}, {1001, 5, 10}, {613, 8, 16}, {90, 1, 7}};
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
        for (int f32 = 0; f32 < 2; f32++)
            for (int32_t threads = 1; threads <= 2; threads++) {
                int64_t n = shapes[s][0], d = shapes[s][1], k = shapes[s][2];
                double *xd = malloc((size_t)(n * d) * sizeof(double));
                float *xf = malloc((size_t)(n * d) * sizeof(float));
                lanes_data(n, d, 0, f32, 60 + s, xd, xf);
                mutinf__km_data X = {f32 ? NULL : xd, f32 ? xf : NULL, n, d};
                mutinf__km_plan plan;
                mutinf__km_make_plan(&plan, n, d, k, threads);
                double *c = malloc((size_t)(k * d) * sizeof(double));
                double *cref = malloc((size_t)(k * d) * sizeof(double));
                assert_status(mutinf__km_init_plusplus(&X, &plan, k, 11 + s, 3, c), MUTINF_OK);
                naive_plusplus(xd, n, d, k, 11 + s, 3, cref);
                assert_memory_equal(c, cref, (size_t)(k * d) * sizeof(double));
                free(xd);
                free(xf);
                free(c);
                free(cref);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blobs_recovered),
        cmocka_unit_test(test_lloyd_matches_reference),
        cmocka_unit_test(test_lloyd_reference_exact),
        cmocka_unit_test(test_exact_1d_brute_force),
        cmocka_unit_test(test_exact_1d_large),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_distance_modes_agree),
        cmocka_unit_test(test_hamerly_equals_lloyd),
        cmocka_unit_test(test_bounded_pass_matches_plain),
        cmocka_unit_test(test_strided_views),
        cmocka_unit_test(test_n_init_keeps_best),
        cmocka_unit_test(test_init_picks_rows),
        cmocka_unit_test(test_degenerate_and_constant),
        cmocka_unit_test(test_progress_stops),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_sums_exact),
        cmocka_unit_test(test_lanes_labels_reference),
        cmocka_unit_test(test_lanes_near_ties),
        cmocka_unit_test(test_pp_fold_reference),
        cmocka_unit_test(test_plusplus_small_reference),
    };
    if (getenv("MUTINF_TEST_FILTER") != NULL) cmocka_set_test_filter(getenv("MUTINF_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
