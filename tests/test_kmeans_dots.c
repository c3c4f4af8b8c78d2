/* Tests of the k-means dot-product kernel (src/kmeans_dots.c) and of the
 * assignment pass that uses it.  Independent references: each dot product
 * as a plain fma() chain over the features in order (the summation order
 * the kernel promises, so equality is exact) and in long double (the
 * value), and nearest centroids by brute force over exact squared
 * distances. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "cpu.h"
#include "kmeans_impl.h"

/* Shapes that are not multiples of the register blocks (6 rows, 8 or 16
 * centroids) nor of the feature slabs (256), including several slabs. */
static const struct {
    int64_t m, k, d;
} shapes[] = {{1, 1, 9},     {5, 7, 10},    {6, 8, 16},    {7, 9, 13},  {13, 17, 33}, {12, 16, 64},
              {19, 31, 255}, {11, 23, 257}, {25, 40, 300}, {8, 5, 515}, {3, 33, 1000}};

static void fill(double *v, int64_t n, uint64_t *s)
{
    for (int64_t i = 0; i < n; i++)
        v[i] = test_rand_normal(s);
}

static void test_dots64(void **state)
{
    (void)state;
    if (!mutinf__cpu_has_avx2_fma()) skip();
    uint64_t s = 11;
    for (size_t c = 0; c < sizeof(shapes) / sizeof(shapes[0]); c++) {
        int64_t m = shapes[c].m, k = shapes[c].k, d = shapes[c].d;
        double *x = malloc((size_t)(m * d) * sizeof(double));
        double *cen = malloc((size_t)(k * d) * sizeof(double));
        double *panels = malloc((size_t)((k + 7) / 8 * 8 * d) * sizeof(double));
        double *xpack = malloc((size_t)(mutinf__km_dots_pack_rows(m) * d) * sizeof(double));
        double *G = malloc((size_t)(m * k) * sizeof(double));
        fill(x, m * d, &s);
        fill(cen, k * d, &s);
        mutinf__km_pack_panels(cen, k, d, panels, NULL);
        mutinf__km_dots64(x, m, d, panels, k, xpack, G);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < k; j++) {
                double chain = 0.0, absum = 0.0;
                long double ref = 0.0L;
                for (int64_t f = 0; f < d; f++) {
                    chain = fma(x[i * d + f], cen[j * d + f], chain);
                    ref += (long double)x[i * d + f] * (long double)cen[j * d + f];
                    absum += fabs(x[i * d + f] * cen[j * d + f]);
                }
                assert_true(G[i * k + j] == chain);
                assert_close(G[i * k + j], (double)ref, 0.0, (double)d * 0x1p-52 * absum);
            }
        /* one row alone gives the same numbers as inside the chunk */
        double *g1 = malloc((size_t)k * sizeof(double));
        for (int64_t i = 0; i < m; i++) {
            mutinf__km_dots64(x + i * d, 1, d, panels, k, xpack, g1);
            assert_memory_equal(g1, G + i * k, (size_t)k * sizeof(double));
        }
        free(g1);
        free(x);
        free(cen);
        free(panels);
        free(xpack);
        free(G);
    }
}

static void test_dots32(void **state)
{
    (void)state;
    if (!mutinf__cpu_has_avx2_fma()) skip();
    uint64_t s = 12;
    for (size_t c = 0; c < sizeof(shapes) / sizeof(shapes[0]); c++) {
        int64_t m = shapes[c].m, k = shapes[c].k, d = shapes[c].d;
        double *xd = malloc((size_t)(m * d) * sizeof(double));
        double *cen = malloc((size_t)(k * d) * sizeof(double));
        float *x = malloc((size_t)(m * d) * sizeof(float));
        float *panels = malloc((size_t)((k + 15) / 16 * 16 * d) * sizeof(float));
        float *xpack = malloc((size_t)(mutinf__km_dots_pack_rows(m) * d) * sizeof(float));
        float *G = malloc((size_t)(m * k) * sizeof(float));
        fill(xd, m * d, &s);
        fill(cen, k * d, &s);
        for (int64_t e = 0; e < m * d; e++)
            x[e] = (float)xd[e];
        mutinf__km_pack_panels(cen, k, d, NULL, panels);
        mutinf__km_dots32(x, m, d, panels, k, xpack, G);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < k; j++) {
                float chain = 0.0f;
                double absum = 0.0;
                long double ref = 0.0L;
                for (int64_t f = 0; f < d; f++) {
                    float cf = (float)cen[j * d + f];
                    chain = fmaf(x[i * d + f], cf, chain);
                    ref += (long double)x[i * d + f] * (long double)cf;
                    absum += fabs((double)x[i * d + f] * (double)cf);
                }
                assert_true(G[i * k + j] == chain);
                assert_close((double)G[i * k + j], (double)ref, 0.0, (double)d * 0x1p-23 * absum);
            }
        float *g1 = malloc((size_t)k * sizeof(float));
        for (int64_t i = 0; i < m; i++) {
            mutinf__km_dots32(x + i * d, 1, d, panels, k, xpack, g1);
            assert_memory_equal(g1, G + i * k, (size_t)k * sizeof(float));
        }
        free(g1);
        free(xd);
        free(cen);
        free(x);
        free(panels);
        free(xpack);
        free(G);
    }
}

/* Brute-force nearest centroid by exact squared distance in long double
 * (lowest index on ties); *margin = second smallest minus smallest. */
static int32_t nearest(const double *x, const double *cen, int64_t k, int64_t d, double *margin)
{
    long double best = INFINITY, second = INFINITY;
    int32_t lab = 0;
    for (int64_t j = 0; j < k; j++) {
        long double s = 0.0L;
        for (int64_t f = 0; f < d; f++) {
            long double t = (long double)x[f] - (long double)cen[j * d + f];
            s += t * t;
        }
        if (s < best) {
            second = best;
            best = s;
            lab = (int32_t)j;
        } else if (s < second) {
            second = s;
        }
    }
    *margin = (double)(second - best);
    return lab;
}

/* The assignment pass in dots mode: labels of the nearest centroid, and
 * the cluster sums and counts of those labels, for 1 and 2 threads. */
static void check_assign(int64_t n, int64_t d, int64_t k, int f32)
{
    uint64_t s = (uint64_t)(n * 131 + d * 7 + k);
    double *x = malloc((size_t)(n * d) * sizeof(double));
    float *x32 = malloc((size_t)(n * d) * sizeof(float));
    double *cen = malloc((size_t)(k * d) * sizeof(double));
    fill(x, n * d, &s);
    for (int64_t e = 0; e < n * d; e++) {
        x32[e] = (float)x[e];
        if (f32) x[e] = (double)x32[e]; /* the reference sees the float data */
    }
    for (int64_t j = 0; j < k; j++) /* centroids near data rows, spread out */
        for (int64_t f = 0; f < d; f++)
            cen[j * d + f] = x[(j * 7 % n) * d + f] + 0.5 * test_rand_normal(&s);
    mutinf__km_data X = {f32 ? NULL : x, f32 ? x32 : NULL, n, d};
    int32_t *ref = malloc((size_t)n * sizeof(int32_t));
    double *margin = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++)
        ref[i] = nearest(x + i * d, cen, k, d, margin + i);
    int32_t *lab[2];
    double *sums[2];
    int64_t *counts[2];
    for (int t = 0; t < 2; t++) {
        mutinf__km_plan plan;
        mutinf__km_make_plan(&plan, n, d, k, t + 1);
        /* the dots mode whatever the BLAS threading of this process */
        plan.mode = MUTINF__KM_DOTS;
        mutinf__km_work w;
        assert_int_equal(mutinf__km_work_alloc(&w, &plan, &X, k), MUTINF_OK);
        lab[t] = malloc((size_t)n * sizeof(int32_t));
        sums[t] = malloc((size_t)(k * d) * sizeof(double));
        counts[t] = malloc((size_t)k * sizeof(int64_t));
        for (int64_t i = 0; i < n; i++)
            lab[t][i] = -1;
        int64_t changed = 0;
        assert_int_equal(
            mutinf__km_assign(&X, &plan, &w, k, cen, lab[t], sums[t], counts[t], &changed),
            MUTINF_OK);
        assert_int_equal(changed, n);
        mutinf__km_work_free(&w);
    }
    /* the GEMM form |c|^2 - 2 x.c rounds differently from the exact
     * distance, so only clear winners must agree */
    double tol = f32 ? 1e-3 * (double)d : 1e-9 * (double)d;
    int64_t checked = 0;
    for (int64_t i = 0; i < n; i++)
        if (margin[i] > tol) {
            assert_int_equal(lab[0][i], ref[i]);
            checked++;
        }
    assert_true(checked > n / 2);
    /* sums and counts of the labels returned, by a plain loop */
    double *rs = calloc((size_t)(k * d), sizeof(double));
    int64_t *rc = calloc((size_t)k, sizeof(int64_t));
    for (int64_t i = 0; i < n; i++) {
        rc[lab[0][i]]++;
        for (int64_t f = 0; f < d; f++)
            rs[lab[0][i] * d + f] += x[i * d + f];
    }
    for (int64_t j = 0; j < k; j++) {
        assert_int_equal(counts[0][j], rc[j]);
        for (int64_t f = 0; f < d; f++)
            assert_close(sums[0][j * d + f], rs[j * d + f], 1e-12, 1e-9);
    }
    /* bit-identical for 1 and 2 threads */
    assert_memory_equal(lab[0], lab[1], (size_t)n * sizeof(int32_t));
    assert_memory_equal(sums[0], sums[1], (size_t)(k * d) * sizeof(double));
    assert_memory_equal(counts[0], counts[1], (size_t)k * sizeof(int64_t));
    for (int t = 0; t < 2; t++) {
        free(lab[t]);
        free(sums[t]);
        free(counts[t]);
    }
    free(rs);
    free(rc);
    free(ref);
    free(margin);
    free(x);
    free(x32);
    free(cen);
}

static void test_assign_labels(void **state)
{
    (void)state;
    if (!mutinf__cpu_has_avx2_fma()) skip();
    int64_t n = test_quick() ? 700 : 3001;
    for (int f32 = 0; f32 < 2; f32++) {
        check_assign(n, 9, 3, f32);
        check_assign(n, 13, 37, f32);
        check_assign(n, 70, 21, f32);
        check_assign(n / 2 + 1, 300, 45, f32);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dots64),
        cmocka_unit_test(test_dots32),
        cmocka_unit_test(test_assign_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
