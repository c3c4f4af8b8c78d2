/* Float k-means against the double fit of the same values
 * (include/mutinf/kmeans.h, "Precision"): on the library's own kernels a
 * float fit must give exactly the labels, centroids and inertia of
 * mutinf_kmeans_fit() on its data converted to double, which is an
 * independent path (double products, no rounding bound).  Without the
 * float rows' re-decision the two fits part within a few iterations on
 * data with close rows (tens of differing labels here). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mutinf/kmeans.h"
#include "testutil.h"

#include "cpu.h"
#include "linalg.h"

typedef struct {
    int32_t *labels;
    double *centroids;
    double inertia;
    int32_t n_iter;
} fit_out;

/* A fixed number of Lloyd iterations from the given centroids. */
static fit_out fit(const void *x, int is_f32, int64_t n, int64_t d, int64_t k, const double *c0,
                   int32_t threads, int32_t iters)
{
    mutinf_kmeans *km = NULL;
    assert_status(mutinf_kmeans_create(&km), MUTINF_OK);
    assert_status(mutinf_kmeans_set_threads(km, threads), MUTINF_OK);
    assert_status(mutinf_kmeans_set_algorithm(km, MUTINF_KMEANS_ALGORITHM_LLOYD), MUTINF_OK);
    assert_status(mutinf_kmeans_set_tol(km, 0.0), MUTINF_OK);
    assert_status(mutinf_kmeans_set_max_iter(km, iters), MUTINF_OK);
    assert_status(mutinf_kmeans_set_k(km, (int32_t)k), MUTINF_OK);
    assert_status(mutinf_kmeans_set_init_centroids(km, c0, k, d, d, 1), MUTINF_OK);
    fit_out r;
    r.labels = malloc((size_t)n * sizeof(int32_t));
    r.centroids = malloc((size_t)(k * d) * sizeof(double));
    if (is_f32)
        assert_status(mutinf_kmeans_fit_f32(km, x, n, d, d, 1, r.labels), MUTINF_OK);
    else
        assert_status(mutinf_kmeans_fit(km, x, n, d, d, 1, r.labels), MUTINF_OK);
    assert_status(mutinf_kmeans_centroids(km, r.centroids, k * d), MUTINF_OK);
    assert_status(mutinf_kmeans_inertia(km, &r.inertia), MUTINF_OK);
    assert_status(mutinf_kmeans_n_iter(km, &r.n_iter), MUTINF_OK);
    if (is_f32) { /* predicting the training data gives the fit's labels */
        int32_t *p = malloc((size_t)n * sizeof(int32_t));
        assert_status(mutinf_kmeans_predict_f32(km, x, n, d, d, 1, p), MUTINF_OK);
        assert_memory_equal(p, r.labels, (size_t)n * sizeof(int32_t));
        free(p);
    }
    mutinf_kmeans_destroy(km);
    return r;
}

static void fit_free(fit_out *r)
{
    free(r->labels);
    free(r->centroids);
}

/* Float data and its exact double image; starting centroids are rows spread
 * over the data.  kind 0: normal; 1: small integers (exact ties in every
 * precision, decided by the lowest index); 2: normal rows repeated with a
 * perturbation of one float ulp; 3: every other row exactly equidistant
 * from the first two starting centroids (3, 4, r) and (5, 0, r), reached by
 * different rounding paths (x0 = 2 x1, so 3 x0 + 4 x1 = 5 x0), so that the
 * float and double values break the tie each their own way unless the
 * float labels are re-decided. */
static void make_data(int kind, int64_t n, int64_t d, int64_t k, uint64_t seed, float *x32,
                      double *x64, double *c0)
{
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++)
        for (int64_t f = 0; f < d; f++) {
            float v;
            if (kind == 1)
                v = (float)(test_rand_u64(&s) % 7) - 3.0f;
            else if (kind == 2 && i % 2 == 1)
                v = nextafterf(x32[(i - 1) * d + f], INFINITY);
            else
                v = (float)test_rand_normal(&s);
            x32[i * d + f] = v;
            x64[i * d + f] = (double)v;
        }
    if (kind == 3)
        for (int64_t i = 0; i < n; i += 2) {
            float *r = x32 + i * d;
            r[0] = 2.0f * r[1];
            for (int64_t f = 2; f < d; f++)
                r[f] = 0.5f * r[f] + (float)(f % 5) - 2.0f; /* near the centroids' r */
            for (int64_t f = 0; f < d; f++)
                x64[i * d + f] = (double)r[f];
        }
    for (int64_t j = 0; j < k; j++)
        memcpy(c0 + j * d, x64 + (j * (n / k)) * d, (size_t)d * sizeof(double));
    if (kind == 3) {
        for (int64_t f = 2; f < d; f++)
            c0[f] = c0[d + f] = (double)(f % 5) - 2.0;
        c0[0] = 3.0, c0[1] = 4.0, c0[d] = 5.0, c0[d + 1] = 0.0;
    }
}

/* Fits float and double data; asserts that they agree when `exact`. */
static void check_shape(int64_t n, int64_t d, int64_t k, int exact)
{
    if (test_quick()) n /= 8; /* memcheck: the same paths on fewer rows */
    float *x32 = malloc((size_t)(n * d) * sizeof(float));
    double *x64 = malloc((size_t)(n * d) * sizeof(double));
    double *c0 = malloc((size_t)(k * d) * sizeof(double));
    for (int kind = 0; kind < 4; kind++) {
        make_data(kind, n, d, k, 1000 + (uint64_t)(kind * 31 + d), x32, x64, c0);
        fit_out ref = fit(x64, 0, n, d, k, c0, 1, 12);
        for (int32_t threads = 1; threads <= 2; threads++) {
            fit_out got = fit(x32, 1, n, d, k, c0, threads, 12);
            if (exact) {
                assert_int_equal(got.n_iter, ref.n_iter);
                assert_memory_equal(got.labels, ref.labels, (size_t)n * sizeof(int32_t));
                assert_memory_equal(got.centroids, ref.centroids, (size_t)(k * d) * sizeof(double));
                assert_true(got.inertia == ref.inertia);
            }
            fit_free(&got);
        }
        fit_free(&ref);
    }
    free(x32);
    free(x64);
    free(c0);
}

static void test_float_fit_equals_double_fit(void **state)
{
    (void)state;
    /* Where kmeans.h promises it: the own dot-product kernel runs with AVX2/FMA
     * and a multi-threaded BLAS (else float distances go through sgemm). */
    int avx2 = mutinf__cpu_has_avx2_fma(), dots = avx2 && !mutinf__blas_is_sequential();
    check_shape(3000, 16, 32, dots);
    check_shape(2000, 64, 64, dots);
    check_shape(600, 256, 40, dots);
    check_shape(1500, 9, 7, dots);
    /* The points-in-lanes kernel for small d.  Under valgrind (test_quick)
     * the emulated fused multiply-adds do not always round as the hardware
     * does, and there this case parts on the constructed ties; natively it
     * holds exactly. */
    check_shape(4000, 4, 16, avx2 && !test_quick());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_fit_equals_double_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
