/* The k-means quantizer against a reference written here: every unit
 * standardised in long double (population standard deviation) and rounded
 * to the grid 2^-g with n 2^g <= 2^50, then each module clustered by the
 * public k-means module with plain Lloyd's algorithm.  The quantizer runs
 * Hamerly's bounds with exact sums on its rounded units, so its symbols
 * must be those labels exactly, for every thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mutinf/mutinf.h"
#include "testutil.h"

/* Largest g with n 2^g <= 2^50. */
static int grid_of(int64_t n)
{
    int g = 50;
    while (ldexp((double)n, g) > 0x1p50)
        g--;
    return g;
}

/* Units [u0, u0 + dk) of the row-major n x d matrix x, standardised and
 * rounded to the grid, as a row-major n x dk matrix. */
static void reference_module(const double *x, int64_t n, int64_t d, int64_t u0, int64_t dk,
                             double *out)
{
    int g = grid_of(n);
    for (int64_t u = 0; u < dk; u++) {
        long double s = 0, ss = 0;
        for (int64_t i = 0; i < n; i++)
            s += x[i * d + u0 + u];
        long double mean = s / n;
        for (int64_t i = 0; i < n; i++)
            ss += (x[i * d + u0 + u] - mean) * (x[i * d + u0 + u] - mean);
        long double sd = sqrtl(ss / n);
        for (int64_t i = 0; i < n; i++)
            out[i * dk + u] =
                sd == 0
                    ? (double)(x[i * d + u0 + u] - mean) /* constant: only centred */
                    : ldexp(nearbyint((double)((x[i * d + u0 + u] - mean) / sd) * ldexp(1.0, g)),
                            -g);
    }
}

static void test_symbols_match_reference(void **state)
{
    (void)state;
    /* n, units, units per module, bins, constant units (1: units 2..5
     * constant, so that module 0 mixes scaled and constant units and module
     * 1 has only constant ones) */
    const int64_t cases[][5] = {
        {3000, 6, 3, 5, 0}, {2500, 16, 8, 16, 0}, {1200, 4, 2, 7, 0}, {2000, 6, 3, 6, 1}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int64_t n = cases[c][0], d = cases[c][1], dk = cases[c][2], K = d / dk;
        int32_t bins = (int32_t)cases[c][3];
        double *x = malloc((size_t)(n * d) * sizeof(double));
        test_fill_normal(x, (size_t)(n * d), 2000 + c);
        /* correlated, shifted and scaled units, as activations are */
        for (int64_t i = 0; i < n; i++)
            for (int64_t u = 1; u < d; u++)
                x[i * d + u] = 3.0 * x[i * d + u] + 0.5 * x[i * d + u - 1] + (double)u;
        if (cases[c][4])
            for (int64_t i = 0; i < n; i++)
                for (int64_t u = 2; u < 6; u++)
                    x[i * d + u] = 0.75 * (double)u + 1.5;
        double *m = malloc((size_t)(n * dk) * sizeof(double));
        int32_t *ref = malloc((size_t)(n * K) * sizeof(int32_t));
        int32_t *lab = malloc((size_t)n * sizeof(int32_t));
        for (int64_t k = 0; k < K; k++) {
            reference_module(x, n, d, k * dk, dk, m);
            mutinf_kmeans *km = NULL;
            assert_status(mutinf_kmeans_create(&km), MUTINF_OK);
            assert_status(mutinf_kmeans_set_k(km, bins), MUTINF_OK);
            assert_status(mutinf_kmeans_set_seed(km, 9), MUTINF_OK);
            assert_status(mutinf_kmeans_set_algorithm(km, MUTINF_KMEANS_ALGORITHM_LLOYD),
                          MUTINF_OK);
            assert_status(mutinf_kmeans_fit(km, m, n, dk, dk, 1, lab), MUTINF_OK);
            mutinf_kmeans_destroy(km);
            for (int64_t i = 0; i < n; i++)
                ref[i * K + k] = lab[i];
        }
        mutinf_partition *p = NULL;
        assert_status(mutinf_partition_create_contiguous(d, K, &p), MUTINF_OK);
        int32_t *sym = malloc((size_t)(n * K) * sizeof(int32_t));
        for (int32_t threads = 1; threads <= 3; threads++) {
            mutinf_options *o = NULL;
            assert_status(mutinf_options_create(&o), MUTINF_OK);
            assert_status(mutinf_options_set_quantizer(o, MUTINF_QUANTIZER_KMEANS), MUTINF_OK);
            assert_status(mutinf_options_set_bins(o, bins), MUTINF_OK);
            assert_status(mutinf_options_set_n_init(o, 1), MUTINF_OK);
            assert_status(mutinf_options_set_seed(o, 9), MUTINF_OK);
            assert_status(mutinf_options_set_threads(o, threads), MUTINF_OK);
            mutinf_activations *a = NULL;
            assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
            double tc;
            assert_status(
                mutinf_activations_quantized(a, p, o, &tc, NULL, NULL, NULL, NULL, NULL, sym),
                MUTINF_OK);
            assert_memory_equal(sym, ref, (size_t)(n * K) * sizeof(int32_t));
            mutinf_activations_destroy(a);
            mutinf_options_destroy(o);
        }
        mutinf_partition_destroy(p);
        free(sym);
        free(x);
        free(m);
        free(ref);
        free(lab);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symbols_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
