/* The quantized estimator through the public API: closed forms (arcsine
 * law), known plug-in bias, copies, equal-frequency entropies, the
 * undersampling guard, views, threads and every bad input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "mutinf/mutinf.h"
#include "testutil.h"

static mutinf_options *opts(int32_t quantizer, int32_t bins, int32_t mm, int32_t threads)
{
    mutinf_options *o = NULL;
    assert_status(mutinf_options_create(&o), MUTINF_OK);
    assert_status(mutinf_options_set_quantizer(o, quantizer), MUTINF_OK);
    assert_status(mutinf_options_set_bins(o, bins), MUTINF_OK);
    assert_status(mutinf_options_set_miller_madow(o, mm), MUTINF_OK);
    assert_status(mutinf_options_set_threads(o, threads), MUTINF_OK);
    return o;
}

static mutinf_partition *partition_of(const int32_t *labels, int64_t d)
{
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_from_labels(labels, d, 1, 0, &p), MUTINF_OK);
    return p;
}

/* Quantized TC (and pairwise) of a row-major double matrix. */
static double quantized(const double *x, int64_t n, int64_t d, const mutinf_partition *p,
                        const mutinf_options *o, double *pairwise)
{
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    double tc;
    assert_status(
        mutinf_activations_quantized(a, p, o, &tc, pairwise, NULL, NULL, NULL, NULL, NULL),
        MUTINF_OK);
    mutinf_activations_destroy(a);
    return tc;
}

/* Bivariate normal with correlation rho, median split of each unit: the
 * 2 x 2 cell probabilities follow the arcsine law (Sheppard), giving
 * I = 2p ln(4p) + 2q ln(4q), p = 1/4 + asin(rho) / (2 pi), q = 1/2 - p. */
static void test_arcsine_law(void **state)
{
    (void)state;
    const int64_t n = test_quick() ? 50000 : 200000;
    const double rhos[3] = {0.3, 0.6, -0.8};
    double *x = malloc((size_t)(2 * n) * sizeof *x);
    const int32_t labels[2] = {0, 1};
    mutinf_partition *p = partition_of(labels, 2);
    mutinf_options *o = opts(MUTINF_QUANTIZER_QUANTILE, 2, 0, 2);
    for (int r = 0; r < 3; r++) {
        double rho = rhos[r];
        uint64_t s = 100 + (uint64_t)r;
        for (int64_t i = 0; i < n; i++) {
            double z1 = test_rand_normal(&s), z2 = test_rand_normal(&s);
            x[2 * i] = z1;
            x[2 * i + 1] = rho * z1 + sqrt(1 - rho * rho) * z2;
        }
        double pp = 0.25 + asin(rho) / (2 * M_PI), q = 0.5 - pp;
        double truth = 2 * pp * log(4 * pp) + 2 * q * log(4 * q);
        /* sd of the pointwise MI, for the sampling error of the plug-in */
        double m2 = 2 * pp * log(4 * pp) * log(4 * pp) + 2 * q * log(4 * q) * log(4 * q);
        double se = sqrt((m2 - truth * truth) / (double)n);
        double pw[4];
        double tc = quantized(x, n, 2, p, o, pw);
        assert_close(tc, truth, 0, 4 * se + 1.0 / (2.0 * (double)n));
        assert_close(pw[1], tc, 1e-15, 0);
        assert_close(pw[0], M_LN2, 1e-12, 0); /* n even: exact median split */
    }
    mutinf_options_destroy(o);
    mutinf_partition_destroy(p);
    free(x);
}

/* Independent units with b equal-frequency bins: the plug-in MI averages
 * about (b-1)^2 / (2n); Miller–Madow removes most of it. */
static void test_independent_bias(void **state)
{
    (void)state;
    const int64_t n = 2000, b = 4, seeds = test_quick() ? 20 : 100;
    const int32_t labels[2] = {0, 1};
    mutinf_partition *p = partition_of(labels, 2);
    mutinf_options *plain = opts(MUTINF_QUANTIZER_QUANTILE, (int32_t)b, 0, 1);
    mutinf_options *mm = opts(MUTINF_QUANTIZER_QUANTILE, (int32_t)b, 1, 1);
    double *x = malloc((size_t)(2 * n) * sizeof *x);
    double s_plain = 0, s_mm = 0;
    for (int64_t r = 0; r < seeds; r++) {
        test_fill_normal(x, (size_t)(2 * n), 500 + (uint64_t)r);
        s_plain += quantized(x, n, 2, p, plain, NULL);
        s_mm += quantized(x, n, 2, p, mm, NULL);
    }
    double bias = (double)((b - 1) * (b - 1)) / (2.0 * (double)n);
    double mean_plain = s_plain / (double)seeds, mean_mm = s_mm / (double)seeds;
    /* sd of one estimate ~ bias * sqrt(2 / 9) (chi-squared, 9 df); of the mean, / sqrt(seeds) */
    assert_close(mean_plain, bias, 0.25, 0);
    assert_true(fabs(mean_mm) < 0.3 * bias);
    mutinf_options_destroy(plain);
    mutinf_options_destroy(mm);
    mutinf_partition_destroy(p);
    free(x);
}

/* Equal-frequency bins: each single-unit module has entropy ln(bins); a
 * module that copies another has MI equal to its entropy; symbols out. */
static void test_copy_and_diagonal(void **state)
{
    (void)state;
    const int64_t n = 3000, d = 4;
    const int32_t bins = 6;
    double *x = malloc((size_t)(n * d) * sizeof *x);
    test_fill_normal(x, (size_t)(n * d), 77);
    for (int64_t i = 0; i < n; i++)
        x[i * d + 3] = exp(x[i * d + 0]); /* a monotone copy of unit 0 */
    const int32_t labels[4] = {0, 1, 2, 3};
    mutinf_partition *p = partition_of(labels, d);
    mutinf_options *o = opts(MUTINF_QUANTIZER_QUANTILE, bins, 0, 2);
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    double tc, pw[16];
    int64_t cells;
    int32_t under;
    int32_t *sym = malloc((size_t)(n * d) * sizeof *sym);
    assert_status(mutinf_activations_quantized(a, p, o, &tc, pw, NULL, NULL, &cells, &under, sym),
                  MUTINF_OK);
    for (int k = 0; k < 4; k++)
        assert_close(pw[k * 4 + k], log((double)bins), 1e-13, 0);
    assert_close(pw[0 * 4 + 3], log((double)bins), 1e-13, 0);
    assert_close(pw[3 * 4 + 0], log((double)bins), 1e-13, 0);
    assert_true(pw[1] < 0.02 && pw[1] > -1e-15);
    /* symbols: bins of each unit, equal counts, copy identical */
    int64_t count[6] = {0};
    for (int64_t i = 0; i < n; i++) {
        assert_true(sym[i * 4 + 1] >= 0 && sym[i * 4 + 1] < bins);
        count[sym[i * 4 + 1]]++;
        assert_int_equal(sym[i * 4 + 0], sym[i * 4 + 3]);
    }
    for (int b = 0; b < bins; b++)
        assert_int_equal(count[b], n / bins);
    /* ranks agree: a larger value never gets a smaller bin */
    for (int64_t i = 1; i < n; i++)
        if (x[i * d + 2] > x[(i - 1) * d + 2])
            assert_true(sym[i * 4 + 2] >= sym[(i - 1) * 4 + 2]);
        else
            assert_true(sym[i * 4 + 2] <= sym[(i - 1) * 4 + 2]);
    assert_true(cells <= (int64_t)bins * bins * bins);
    assert_int_equal(under, 5 * cells > n);
    mutinf_activations_destroy(a);

    /* Ties: equal values share a bin even across the bin boundary. */
    for (int64_t i = 0; i < n; i++)
        x[i * d + 1] = (double)(i % 3); /* 3 values, 6 bins */
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    assert_status(mutinf_activations_quantized(a, p, o, &tc, pw, NULL, NULL, NULL, NULL, sym),
                  MUTINF_OK);
    for (int64_t i = 3; i < n; i++)
        assert_int_equal(sym[i * 4 + 1], sym[(i - 3) * 4 + 1]);
    assert_close(pw[1 * 4 + 1], log(3.0), 1e-13, 0);
    mutinf_activations_destroy(a);

    mutinf_options_destroy(o);
    mutinf_partition_destroy(p);
    free(sym);
    free(x);
}

/* Multi-unit modules under the quantile quantizer: the module symbol is the
 * tuple of bins, base-bins coded. */
static void test_tuple_symbols(void **state)
{
    (void)state;
    const int64_t n = 1200, d = 3;
    double *x = malloc((size_t)(n * d) * sizeof *x);
    test_fill_normal(x, (size_t)(n * d), 78);
    const int32_t labels[3] = {0, 1, 0};
    mutinf_partition *p = partition_of(labels, d);
    mutinf_options *o = opts(MUTINF_QUANTIZER_QUANTILE, 3, 0, 1);
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    int32_t *sym = malloc((size_t)(n * 2) * sizeof *sym);
    int32_t *s1 = malloc((size_t)(n * 3) * sizeof *s1);
    double tc;
    assert_status(mutinf_activations_quantized(a, p, o, &tc, NULL, NULL, NULL, NULL, NULL, sym),
                  MUTINF_OK);
    mutinf_partition *single = NULL;
    assert_status(mutinf_partition_create_contiguous(3, 3, &single), MUTINF_OK);
    assert_status(mutinf_activations_quantized(a, single, o, &tc, NULL, NULL, NULL, NULL, NULL, s1),
                  MUTINF_OK);
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(sym[i * 2 + 0], s1[i * 3 + 0] * 3 + s1[i * 3 + 2]);
        assert_int_equal(sym[i * 2 + 1], s1[i * 3 + 1]);
    }
    mutinf_partition_destroy(single);
    mutinf_activations_destroy(a);
    free(s1);
    free(sym);
    mutinf_options_destroy(o);
    mutinf_partition_destroy(p);
    free(x);

    /* 12 units x 8 bins: 8^12 tuples exceed int32, so tuples are numbered
     * in order of first appearance; a copy of the module has MI = H. */
    const int64_t m = 500, w = 24;
    double *y = malloc((size_t)(m * w) * sizeof *y);
    test_fill_normal(y, (size_t)(m * w), 79);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 12; j < w; j++)
            y[i * w + j] = 3.0 * y[i * w + j - 12];
    mutinf_partition *halves = NULL;
    assert_status(mutinf_partition_create_contiguous(w, 2, &halves), MUTINF_OK);
    mutinf_options *o8 = opts(MUTINF_QUANTIZER_QUANTILE, 8, 0, 2);
    assert_status(mutinf_activations_wrap(y, m, w, w, 1, &a), MUTINF_OK);
    int32_t *sy = malloc((size_t)(m * 2) * sizeof *sy);
    double pw[4];
    int64_t cells;
    assert_status(
        mutinf_activations_quantized(a, halves, o8, &tc, pw, NULL, NULL, &cells, NULL, sy),
        MUTINF_OK);
    int32_t next = 0;
    for (int64_t i = 0; i < m; i++) {
        assert_true(sy[i * 2] <= next);
        if (sy[i * 2] == next) next++;
        assert_int_equal(sy[i * 2], sy[i * 2 + 1]);
    }
    assert_int_equal(cells, next);
    assert_int_equal(next, m); /* continuous data: every 12-tuple distinct */
    assert_close(pw[1], log((double)m), 1e-13, 0);
    assert_close(pw[0], log((double)m), 1e-13, 0);
    mutinf_activations_destroy(a);
    mutinf_options_destroy(o8);
    mutinf_partition_destroy(halves);
    free(sy);
    free(y);
}

/* The design notebook's failure mode -- every entry about ln n -- cannot
 * happen: independent uniform data, 10 bins, n = 2000 gives a small TC, and
 * where the joint table is too sparse the estimate is flagged. */
static void test_no_ln_n_failure(void **state)
{
    (void)state;
    const int64_t n = 2000, d = 8;
    double *x = malloc((size_t)(n * d) * sizeof *x);
    uint64_t s = 123;
    for (int64_t i = 0; i < n * d; i++)
        x[i] = test_rand_uniform(&s);
    const int32_t two[8] = {0, 1, -1, -1, -1, -1, -1, -1};
    mutinf_partition *p = partition_of(two, d);
    mutinf_options *o = opts(MUTINF_QUANTIZER_QUANTILE, 10, 0, 2);
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    double tc, pw[64];
    int64_t cells;
    int32_t under;
    assert_status(mutinf_activations_quantized(a, p, o, &tc, pw, NULL, NULL, &cells, &under, NULL),
                  MUTINF_OK);
    assert_true(tc < 0.2 && tc >= 0.0);
    assert_true(pw[1] < 0.2);
    assert_true(cells <= 100);
    assert_int_equal(under, 0);
    mutinf_partition_destroy(p);

    /* Eight single-unit modules: 10^8 possible tuples on 2000 samples.
     * Every sample has its own cell, TC = 8 ln 10 - ln n, which is bias:
     * the flag says so, and the pairwise entries stay small. */
    mutinf_partition *p8 = NULL;
    assert_status(mutinf_partition_create_contiguous(d, 8, &p8), MUTINF_OK);
    assert_status(mutinf_activations_quantized(a, p8, o, &tc, pw, NULL, NULL, &cells, &under, NULL),
                  MUTINF_OK);
    assert_int_equal(cells, n);
    assert_int_equal(under, 1);
    assert_close(tc, 8 * log(10.0) - log((double)n), 1e-12, 0);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            if (i != j) assert_true(pw[i * 8 + j] < 0.2);
    mutinf_partition_destroy(p8);
    mutinf_activations_destroy(a);
    mutinf_options_destroy(o);
    free(x);
}

static void test_permutation_outputs(void **state)
{
    (void)state;
    const int64_t n = 1000, d = 3;
    double *x = malloc((size_t)(n * d) * sizeof *x);
    test_fill_normal(x, (size_t)(n * d), 5);
    for (int64_t i = 0; i < n; i++)
        x[i * d + 2] += x[i * d + 0]; /* unit 2 depends on unit 0 */
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(d, 3, &p), MUTINF_OK);
    mutinf_options *o = opts(MUTINF_QUANTIZER_QUANTILE, 4, 0, 2);
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    double tc, pv = 0, nm = 0;
    assert_status(mutinf_activations_quantized(a, p, o, &tc, NULL, &pv, &nm, NULL, NULL, NULL),
                  MUTINF_OK);
    assert_true(isnan(pv) && isnan(nm));
    assert_status(mutinf_options_set_n_permutations(o, 99), MUTINF_OK);
    assert_status(mutinf_options_set_seed(o, 7), MUTINF_OK);
    assert_status(mutinf_activations_quantized(a, p, o, &tc, NULL, &pv, &nm, NULL, NULL, NULL),
                  MUTINF_OK);
    assert_close(pv, 0.01, 1e-15, 0);
    /* null mean ~ plug-in bias (64 - 1 - 3*3) / (2n) */
    assert_close(nm, 54.0 / 2000.0, 0.3, 0);
    assert_true(tc > 10 * nm);
    /* bits */
    double tcb, nmb;
    assert_status(mutinf_options_set_bits(o, 1), MUTINF_OK);
    assert_status(mutinf_activations_quantized(a, p, o, &tcb, NULL, &pv, &nmb, NULL, NULL, NULL),
                  MUTINF_OK);
    assert_close(tcb, tc / M_LN2, 1e-14, 0);
    assert_close(nmb, nm / M_LN2, 1e-14, 0);
    mutinf_activations_destroy(a);
    mutinf_options_destroy(o);
    mutinf_partition_destroy(p);
    free(x);
}

/* float vs double, strided and transposed views, thread counts: identical. */
static void test_views_and_threads(void **state)
{
    (void)state;
    const int64_t n = 1500, d = 6;
    double *x = malloc((size_t)(n * d) * sizeof *x);
    float *xf = malloc((size_t)(n * d) * sizeof *xf);
    double *xt = malloc((size_t)(n * d) * sizeof *xt);
    test_fill_normal(x, (size_t)(n * d), 9);
    for (int64_t i = 0; i < n; i++)
        x[i * d + 4] += x[i * d + 1];
    for (int64_t i = 0; i < n * d; i++) {
        xf[i] = (float)x[i];
        x[i] = (double)xf[i];
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            xt[j * n + i] = x[i * d + j];
    const int32_t labels[6] = {0, 1, 2, 0, 1, -1};
    mutinf_partition *p = partition_of(labels, d);
    for (int q = 0; q < 2; q++) {
        {
            int32_t quantizer = q == 0 ? MUTINF_QUANTIZER_QUANTILE : MUTINF_QUANTIZER_KMEANS;
            double ref_tc = 0, ref_pw[9], ref_pv = 0;
            int32_t *ref_sym = malloc((size_t)(n * 3) * sizeof *ref_sym);
            int32_t *sym = malloc((size_t)(n * 3) * sizeof *sym);
            for (int v = 0; v < 3; v++)
                for (int t = 1; t <= 3; t++) {
                    mutinf_options *o = opts(quantizer, 5, 1, t);
                    assert_status(mutinf_options_set_n_permutations(o, 20), MUTINF_OK);
                    mutinf_activations *a = NULL;
                    if (v == 0)
                        assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
                    else if (v == 1)
                        assert_status(mutinf_activations_wrap_f32(xf, n, d, d, 1, &a), MUTINF_OK);
                    else
                        assert_status(mutinf_activations_wrap(xt, n, d, 1, n, &a), MUTINF_OK);
                    double tc, pw[9], pv;
                    mutinf_status st =
                        mutinf_activations_quantized(a, p, o, &tc, pw, &pv, NULL, NULL, NULL, sym);
                    mutinf_activations_destroy(a);
                    mutinf_options_destroy(o);
                    assert_status(st, MUTINF_OK);
                    if (v == 0 && t == 1) {
                        ref_tc = tc;
                        ref_pv = pv;
                        memcpy(ref_pw, pw, sizeof pw);
                        memcpy(ref_sym, sym, (size_t)(n * 3) * sizeof *sym);
                        continue;
                    }
                    /* the float view holds the same (float-rounded) values:
                     * the k-means quantizer standardises them in double, so
                     * every result is the same for both quantizers */
                    assert_memory_equal(&tc, &ref_tc, sizeof tc);
                    assert_memory_equal(&pv, &ref_pv, sizeof pv);
                    assert_memory_equal(pw, ref_pw, sizeof pw);
                    assert_memory_equal(sym, ref_sym, (size_t)(n * 3) * sizeof *sym);
                }
            free(sym);
            free(ref_sym);
        }
    }
    mutinf_partition_destroy(p);
    free(xt);
    free(xf);
    free(x);
}

/* ---- the k-means quantizer -------------------------------------------- */

static void test_kmeans_quantizer(void **state)
{
    (void)state;
    const int64_t n = 4000, d = 6;
    double *x = malloc((size_t)(n * d) * sizeof *x);
    test_fill_normal(x, (size_t)(n * d), 31);
    /* module 1 (units 3..5) is a scaled, shifted copy of module 0, plus a
     * constant unit that must only be centred */
    for (int64_t i = 0; i < n; i++) {
        x[i * d + 3] = 100.0 * x[i * d + 0] + 5.0;
        x[i * d + 4] = 0.01 * x[i * d + 1] - 3.0;
        x[i * d + 5] = 42.0;
        x[i * d + 2] *= 1e-3;
    }
    const int32_t labels[6] = {0, 0, 0, 1, 1, -1};
    const int32_t labels_copy[6] = {0, 0, -1, 1, 1, 1};
    mutinf_partition *p = partition_of(labels, d), *pc = partition_of(labels_copy, d);
    mutinf_options *o = opts(MUTINF_QUANTIZER_KMEANS, 8, 0, 2);
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    double tc, pw[4];
    int32_t *sym = malloc((size_t)(n * 2) * sizeof *sym);
    assert_status(mutinf_activations_quantized(a, pc, o, &tc, pw, NULL, NULL, NULL, NULL, sym),
                  MUTINF_OK);
    {
        /* standardisation makes module 1 (units 3, 4 and a constant) the
         * same point cloud as module 0 (units 0, 1): MI = entropy */
        assert_close(pw[1], pw[0], 1e-12, 0);
        assert_close(pw[1], pw[3], 1e-12, 0);
        assert_true(pw[0] > 0.8 * log(8.0) && pw[0] <= log(8.0) + 1e-12);
        for (int64_t i = 0; i < n; i++)
            assert_true(sym[i * 2] >= 0 && sym[i * 2] < 8);
        /* independent modules: MI about the plug-in bias 49 / (2n) = 0.006;
         * the default options are k-means */
        double *z = malloc((size_t)(n * d) * sizeof *z);
        test_fill_normal(z, (size_t)(n * d), 32);
        double tz = quantized(z, n, d, p, NULL, pw);
        assert_true(tz > 0.0 && tz < 0.02);
        free(z);
        /* failure mode of the design notebook: independent uniform data,
         * 10 clusters per module, n = 2000: TC < 0.2 */
        const int64_t m = 2000;
        double *u = malloc((size_t)(m * 8) * sizeof *u);
        uint64_t s = 4;
        for (int64_t i = 0; i < m * 8; i++)
            u[i] = test_rand_uniform(&s);
        mutinf_partition *p2 = NULL;
        assert_status(mutinf_partition_create_contiguous(8, 2, &p2), MUTINF_OK);
        mutinf_options *o10 = opts(MUTINF_QUANTIZER_KMEANS, 10, 0, 2);
        double pw2[4];
        double t2 = quantized(u, m, 8, p2, o10, pw2);
        assert_true(t2 < 0.2);
        assert_true(pw2[1] < 0.2);
        mutinf_options_destroy(o10);
        mutinf_partition_destroy(p2);
        free(u);
        /* too few samples for the clusters */
        mutinf_activations *small = NULL;
        assert_status(mutinf_activations_wrap(x, 7, d, d, 1, &small), MUTINF_OK);
        assert_status(
            mutinf_activations_quantized(small, p, o, &tc, NULL, NULL, NULL, NULL, NULL, NULL),
            MUTINF_ERR_TOO_FEW_SAMPLES);
        mutinf_activations_destroy(small);
    }
    mutinf_activations_destroy(a);
    mutinf_options_destroy(o);
    mutinf_partition_destroy(p);
    mutinf_partition_destroy(pc);
    free(sym);
    free(x);
}

/* ---- progress and cancellation ---------------------------------------- */

typedef struct {
    int64_t calls, last_done, total, stop_at;
    int monotone;
} progress_log;

static int32_t on_progress(int64_t done, int64_t total, void *payload)
{
    progress_log *log = payload;
    log->calls++;
    log->monotone &= done > log->last_done && done <= total;
    log->last_done = done;
    log->total = total;
    return log->stop_at > 0 && done >= log->stop_at;
}

static void test_progress(void **state)
{
    (void)state;
    const int64_t n = 800, d = 6;
    double *x = malloc((size_t)(n * d) * sizeof *x);
    test_fill_normal(x, (size_t)(n * d), 91);
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(d, 3, &p), MUTINF_OK);
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    for (int q = 0; q < 2; q++) {
        mutinf_options *o = opts(q ? MUTINF_QUANTIZER_KMEANS : MUTINF_QUANTIZER_QUANTILE, 4, 0, 2);
        assert_status(mutinf_options_set_n_permutations(o, 50), MUTINF_OK);
        progress_log log = {0, 0, 0, 0, 1};
        assert_status(mutinf_options_set_progress(o, on_progress, &log), MUTINF_OK);
        double tc = -7, pv = -7;
        assert_status(mutinf_activations_quantized(a, p, o, &tc, NULL, &pv, NULL, NULL, NULL, NULL),
                      MUTINF_OK);
        assert_true(log.monotone);
        assert_int_equal(log.total, 3 + 50);
        assert_int_equal(log.last_done, 3 + 50);
        assert_true(log.calls >= 2);
        /* stop half-way through the permutations: cancelled, nothing written */
        progress_log stop = {0, 0, 0, 20, 1};
        assert_status(mutinf_options_set_progress(o, on_progress, &stop), MUTINF_OK);
        double tc2 = -7, pv2 = -7;
        assert_status(
            mutinf_activations_quantized(a, p, o, &tc2, NULL, &pv2, NULL, NULL, NULL, NULL),
            MUTINF_ERR_CANCELLED);
        assert_true(tc2 == -7 && pv2 == -7);
        assert_true(stop.last_done >= 20 && stop.last_done < 53);
        /* stop during the quantization (k-means: after the first module) */
        progress_log early = {0, 0, 0, 1, 1};
        assert_status(mutinf_options_set_progress(o, on_progress, &early), MUTINF_OK);
        assert_status(
            mutinf_activations_quantized(a, p, o, &tc2, NULL, &pv2, NULL, NULL, NULL, NULL),
            MUTINF_ERR_CANCELLED);
        assert_int_equal(early.calls, 1);
        assert_true(tc2 == -7);
        mutinf_options_destroy(o);
    }
    mutinf_activations_destroy(a);
    mutinf_partition_destroy(p);
    free(x);
}

/* ---- bad input --------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    const int64_t n = 60, d = 4;
    double *x = malloc((size_t)(n * d) * sizeof *x);
    test_fill_normal(x, (size_t)(n * d), 3);
    mutinf_activations *a = NULL, *one = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    assert_status(mutinf_activations_wrap(x, 1, d, d, 1, &one), MUTINF_OK);
    mutinf_partition *p = NULL, *p3 = NULL;
    assert_status(mutinf_partition_create_contiguous(d, 2, &p), MUTINF_OK);
    assert_status(mutinf_partition_create_contiguous(3, 2, &p3), MUTINF_OK);
    mutinf_options *o = opts(MUTINF_QUANTIZER_QUANTILE, 3, 1, 2);
    assert_status(mutinf_options_set_n_permutations(o, 5), MUTINF_OK);
    double tc = -7, pw[4] = {-7, -7, -7, -7}, pv = -7, nm = -7;
    int64_t cells = -7;
    int32_t under = -7, sym[120];
    for (int i = 0; i < 120; i++)
        sym[i] = -7;
#define CALL(acts, part, tcp)                                                                      \
    mutinf_activations_quantized(acts, part, o, tcp, pw, &pv, &nm, &cells, &under, sym)
    assert_status(CALL(NULL, p, &tc), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(CALL(a, NULL, &tc), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(CALL(a, p, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(CALL(a, p3, &tc), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(CALL(one, p, &tc), MUTINF_ERR_TOO_FEW_SAMPLES);
    /* out of memory at each allocation; outputs untouched */
    mutinf_status st = MUTINF_ERR_OUT_OF_MEMORY;
    for (long k = 0; st == MUTINF_ERR_OUT_OF_MEMORY; k++) {
        assert_true(k < 200);
        mutinf__alloc_fail_after(k);
        st = CALL(a, p, &tc);
        mutinf__alloc_fail_after(-1);
        if (st != MUTINF_OK) {
            assert_status(st, MUTINF_ERR_OUT_OF_MEMORY);
            assert_true(tc == -7 && pv == -7 && nm == -7 && cells == -7 && under == -7);
            for (int i = 0; i < 4; i++)
                assert_true(pw[i] == -7);
            for (int i = 0; i < 120; i++)
                assert_true(sym[i] == -7);
        }
    }
    assert_status(st, MUTINF_OK);
    assert_true(pv > 0 && pv <= 1 && cells > 0 && (under == 0 || under == 1));
#undef CALL
    mutinf_options_destroy(o);
    mutinf_partition_destroy(p);
    mutinf_partition_destroy(p3);
    mutinf_activations_destroy(one);
    mutinf_activations_destroy(a);
    free(x);
}

/* NaN and infinities in an assigned unit: both quantizers, double and
 * float, 1 and 2 threads, fail with MUTINF_ERR_NON_FINITE naming the first
 * bad sample and in it the lowest bad unit, outputs untouched; an
 * unassigned unit is not read. */
static void test_non_finite(void **state)
{
    (void)state;
    const int64_t n = 5000, d = 5;
    double *x = malloc((size_t)(n * d) * sizeof *x);
    float *xf = malloc((size_t)(n * d) * sizeof *xf);
    test_fill_normal(x, (size_t)(n * d), 9);
    const int32_t labels[5] = {1, -1, 0, 1, 0};
    mutinf_partition *p = partition_of(labels, d);
    const double bad[3] = {NAN, INFINITY, -INFINITY};
    const int64_t rows[3] = {0, 4500, n - 1};
    int32_t *sym = malloc((size_t)(2 * n) * sizeof *sym);
    for (int64_t k = 0; k < 2 * n; k++)
        sym[k] = -7;
    for (int b = 0; b < 3; b++)
        for (int r = 0; r < 3; r++) {
            const int64_t i = rows[r];
            double keep[3] = {x[i * d + 4], x[i * d + 3], x[1]};
            x[i * d + 4] = bad[b];
            x[i * d + 3] = bad[(b + 2) % 3];
            x[1] = NAN; /* sample 0, unassigned unit 1 */
            for (int64_t k = 0; k < n * d; k++)
                xf[k] = (float)x[k];
            for (int f32 = 0; f32 < 2; f32++)
                for (int q = 0; q < 2; q++)
                    for (int t = 1; t <= 2; t++) {
                        mutinf_activations *a = NULL;
                        if (f32)
                            assert_status(mutinf_activations_wrap_f32(xf, n, d, d, 1, &a),
                                          MUTINF_OK);
                        else
                            assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
                        mutinf_options *o =
                            opts(q ? MUTINF_QUANTIZER_KMEANS : MUTINF_QUANTIZER_QUANTILE, 3, 0, t);
                        double tc = -7, pw[4] = {-7, -7, -7, -7}, pv = -7, nm = -7;
                        int64_t cells = -7;
                        int32_t under = -7;
                        assert_status(mutinf_activations_quantized(a, p, o, &tc, pw, &pv, &nm,
                                                                   &cells, &under, sym),
                                      MUTINF_ERR_NON_FINITE);
                        const char *msg = mutinf_last_error_message();
                        char want[64];
                        snprintf(want, sizeof want, "[sample %lld, unit 3]", (long long)i);
                        assert_non_null(strstr(msg, want));
                        assert_non_null(strstr(msg, "mutinf_activations_quantized:"));
                        assert_true(tc == -7 && pv == -7 && nm == -7 && cells == -7 && under == -7);
                        for (int k = 0; k < 4; k++)
                            assert_true(pw[k] == -7);
                        for (int64_t k = 0; k < 2 * n; k++)
                            assert_true(sym[k] == -7);
                        mutinf_options_destroy(o);
                        mutinf_activations_destroy(a);
                    }
            x[i * d + 4] = keep[0];
            x[i * d + 3] = keep[1];
            /* only the unassigned NaN left: accepted */
            mutinf_options *o = opts(MUTINF_QUANTIZER_QUANTILE, 3, 0, 2);
            double tc = quantized(x, n, d, p, o, NULL);
            assert_true(isfinite(tc));
            mutinf_options_destroy(o);
            x[1] = keep[2];
        }
    mutinf_partition_destroy(p);

    /* every unit assigned, in order: each row is screened as one run */
    const int32_t all[5] = {0, 0, 1, 1, 1};
    p = partition_of(all, d);
    x[4500 * d + 3] = NAN;
    x[4500 * d + 1] = -INFINITY;
    for (int64_t k = 0; k < n * d; k++)
        xf[k] = (float)x[k];
    for (int f32 = 0; f32 < 2; f32++) {
        mutinf_activations *a = NULL;
        if (f32)
            assert_status(mutinf_activations_wrap_f32(xf, n, d, d, 1, &a), MUTINF_OK);
        else
            assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
        mutinf_options *o = opts(MUTINF_QUANTIZER_QUANTILE, 3, 0, 2);
        double tc = -7;
        assert_status(
            mutinf_activations_quantized(a, p, o, &tc, NULL, NULL, NULL, NULL, NULL, NULL),
            MUTINF_ERR_NON_FINITE);
        assert_non_null(strstr(mutinf_last_error_message(), "[sample 4500, unit 1]"));
        assert_true(tc == -7);
        mutinf_options_destroy(o);
        mutinf_activations_destroy(a);
    }
    mutinf_partition_destroy(p);
    free(sym);
    free(xf);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arcsine_law),       cmocka_unit_test(test_independent_bias),
        cmocka_unit_test(test_copy_and_diagonal), cmocka_unit_test(test_tuple_symbols),
        cmocka_unit_test(test_no_ln_n_failure),   cmocka_unit_test(test_permutation_outputs),
        cmocka_unit_test(test_views_and_threads), cmocka_unit_test(test_kmeans_quantizer),
        cmocka_unit_test(test_progress),          cmocka_unit_test(test_errors),
        cmocka_unit_test(test_non_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
