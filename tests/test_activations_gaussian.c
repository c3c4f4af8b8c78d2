/* The activations handle and the Gaussian plug-in estimator, against an
 * independent long-double reference, the linear-Gaussian model's analytical
 * TC, and the known null distribution. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "covariance.h"
#include "mutinf/mutinf.h"
#include "testutil.h"
#include "view.h"

#define EULER 0.57721566490153286060651209008240243L

/* ------------------------------------------------------------------ */
/* Independent reference                                                */
/* ------------------------------------------------------------------ */

/* psi(k/2) from the closed forms at integers and half-integers. */
static long double digamma_half(int64_t k)
{
    long double s;
    if (k % 2 == 0) {
        s = -EULER;
        for (int64_t i = 1; i < k / 2; i++)
            s += 1.0L / (long double)i;
    } else {
        s = -EULER - 2.0L * logl(2.0L);
        for (int64_t i = 1; i <= k / 2; i++)
            s += 2.0L / (long double)(2 * i - 1);
    }
    return s;
}

/* gcmi's ent_g bias term for a p-dimensional block and n samples. */
static double bias_ref(int64_t n, int64_t p)
{
    long double c = (long double)p * 0.5L * (logl(2.0L) - logl((long double)n - 1));
    for (int64_t i = 1; i <= p; i++)
        c += 0.5L * digamma_half(n - i);
    return (double)c;
}

/* Covariance (two-pass, long double) of the listed columns of the row-major
 * n x d matrix x, as a row-major m x m double matrix. */
static void cov_ref(const double *x, int64_t n, int64_t d, const int64_t *cols, int64_t m,
                    double *C)
{
    long double *mean = calloc((size_t)m, sizeof *mean);
    for (int64_t i = 0; i < n; i++)
        for (int64_t a = 0; a < m; a++)
            mean[a] += x[i * d + cols[a]];
    for (int64_t a = 0; a < m; a++)
        mean[a] /= (long double)n;
    for (int64_t a = 0; a < m; a++)
        for (int64_t b = 0; b <= a; b++) {
            long double s = 0;
            for (int64_t i = 0; i < n; i++)
                s += (x[i * d + cols[a]] - mean[a]) * (x[i * d + cols[b]] - mean[b]);
            C[a * m + b] = C[b * m + a] = (double)(s / ((long double)n - 1));
        }
    free(mean);
}

static double logdet_cols(const double *x, int64_t n, int64_t d, const int64_t *cols, int64_t m)
{
    double *C = malloc((size_t)(m * m) * sizeof *C);
    cov_ref(x, n, d, cols, m, C);
    double ld = test_logdet_ref(C, (int)m);
    free(C);
    return ld;
}

/* Reference TC and pairwise matrix from labels (-1 = unassigned). */
static void tc_ref(const double *x, int64_t n, int64_t d, const int32_t *labels, int64_t K,
                   int bias, double *tc, double *pairwise)
{
    int64_t *cols = malloc((size_t)d * sizeof *cols), *dims = calloc((size_t)K, sizeof *dims);
    int64_t m = 0;
    double sum = 0.0, cs = 0.0;
    double *h = malloc((size_t)K * sizeof *h);
    for (int64_t k = 0; k < K; k++) {
        int64_t mk = 0;
        for (int64_t j = 0; j < d; j++)
            if (labels[j] == k) cols[mk++] = j;
        dims[k] = mk;
        h[k] = 0.5 * logdet_cols(x, n, d, cols, mk);
        sum += h[k];
        cs += bias ? bias_ref(n, mk) : 0.0;
    }
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = 0; j < d; j++)
            if (labels[j] == k) cols[m++] = j;
    double joint = 0.5 * logdet_cols(x, n, d, cols, m);
    *tc = sum - joint - (bias ? cs - bias_ref(n, m) : 0.0);
    if (pairwise != NULL)
        for (int64_t a = 0; a < K; a++)
            for (int64_t b = 0; b < K; b++) {
                if (a == b) {
                    pairwise[a * K + a] = h[a] + 0.5 * (double)dims[a] * log(2 * M_PI * M_E) -
                                          (bias ? bias_ref(n, dims[a]) : 0.0);
                    continue;
                }
                int64_t q = 0;
                for (int64_t j = 0; j < d; j++)
                    if (labels[j] == a || labels[j] == b) cols[q++] = j;
                double hab = 0.5 * logdet_cols(x, n, d, cols, q);
                pairwise[a * K + b] =
                    h[a] + h[b] - hab -
                    (bias ? bias_ref(n, dims[a]) + bias_ref(n, dims[b]) - bias_ref(n, q) : 0.0);
            }
    free(h);
    free(dims);
    free(cols);
}

/* n x d correlated test data: x = z A with A lower-triangular-ish mixing. */
static double *mixed_data(int64_t n, int64_t d, uint64_t seed, double mix)
{
    double *z = malloc((size_t)(n * d) * sizeof *z), *x = malloc((size_t)(n * d) * sizeof *x);
    test_fill_normal(z, (size_t)(n * d), seed);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double s = z[i * d + j];
            if (j > 0) s += mix * z[i * d + j - 1];
            if (j > 2) s -= 0.5 * mix * z[i * d + j - 3];
            x[i * d + j] = 1.5 + (double)j * 0.1 + s;
        }
    free(z);
    return x;
}

static mutinf_partition *make_partition(const int32_t *labels, int64_t d)
{
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_from_labels(labels, d, 1, 0, &p), MUTINF_OK);
    return p;
}

static mutinf_options *make_options(int bias, int copula, int threads)
{
    mutinf_options *o = NULL;
    assert_status(mutinf_options_create(&o), MUTINF_OK);
    assert_status(mutinf_options_set_bias_correction(o, bias), MUTINF_OK);
    assert_status(mutinf_options_set_copula(o, copula), MUTINF_OK);
    assert_status(mutinf_options_set_threads(o, threads), MUTINF_OK);
    return o;
}

/* ------------------------------------------------------------------ */
/* Exactness against the reference                                      */
/* ------------------------------------------------------------------ */

static void check_against_ref(const double *x, int64_t n, int64_t d, const int32_t *labels,
                              int64_t K, const mutinf_activations *acts, int bias, double rtol)
{
    mutinf_partition *p = make_partition(labels, d);
    mutinf_options *o = make_options(bias, 0, 2);
    double tc, pw[64], ref_tc, ref_pw[64], pv;
    assert_status(mutinf_activations_gaussian(acts, p, o, &tc, pw, &pv), MUTINF_OK);
    tc_ref(x, n, d, labels, K, bias, &ref_tc, ref_pw);
    assert_close(tc, ref_tc, rtol, 1e-11);
    for (int64_t i = 0; i < K * K; i++)
        assert_close(pw[i], ref_pw[i], rtol, 1e-11);
    assert_true(pv >= 0.0 && pv <= 1.0);
    mutinf_options_destroy(o);
    mutinf_partition_destroy(p);
}

static void test_reference_contiguous(void **state)
{
    (void)state;
    const int64_t n = 3000, d = 7;
    double *x = mixed_data(n, d, 11, 0.8);
    const int32_t labels[7] = {0, 0, 1, 1, 1, 2, 2};
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    check_against_ref(x, n, d, labels, 3, a, 0, 1e-10);
    check_against_ref(x, n, d, labels, 3, a, 1, 1e-10);
    /* Unassigned and interleaved units: the chunked path. */
    const int32_t labels2[7] = {1, -1, 0, 1, 2, 0, 2};
    check_against_ref(x, n, d, labels2, 3, a, 1, 1e-10);
    mutinf_activations_destroy(a);
    free(x);
}

static void test_strided_and_float_views(void **state)
{
    (void)state;
    const int64_t n = 2000, d = 6;
    double *x = mixed_data(n, d, 12, 0.6);
    const int32_t labels[6] = {0, 1, 1, 0, 2, 2};
    mutinf_partition *p = make_partition(labels, d);
    double tc0, pw0[9], pv0;
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    assert_status(mutinf_activations_gaussian(a, p, NULL, &tc0, pw0, &pv0), MUTINF_OK);
    mutinf_activations_destroy(a);

    /* Column-major copy (a transposed/Fortran view). */
    double *xt = malloc((size_t)(n * d) * sizeof *xt);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            xt[j * n + i] = x[i * d + j];
    double tc, pw[9], pv;
    assert_status(mutinf_activations_wrap(xt, n, d, 1, n, &a), MUTINF_OK);
    assert_status(mutinf_activations_gaussian(a, p, NULL, &tc, pw, &pv), MUTINF_OK);
    assert_close(tc, tc0, 1e-11, 1e-13);
    for (int i = 0; i < 9; i++)
        assert_close(pw[i], pw0[i], 1e-11, 1e-13);
    mutinf_activations_destroy(a);

    /* Reversed rows through a negative stride, every other unit of a wider
     * buffer: the same samples. */
    double *xw = calloc((size_t)(n * 2 * d), sizeof *xw);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            xw[(n - 1 - i) * 2 * d + 2 * j] = x[i * d + j];
    assert_status(mutinf_activations_wrap(xw + (n - 1) * 2 * d, n, d, -2 * d, 2, &a), MUTINF_OK);
    assert_status(mutinf_activations_gaussian(a, p, NULL, &tc, pw, &pv), MUTINF_OK);
    assert_close(tc, tc0, 1e-11, 1e-13);
    mutinf_activations_destroy(a);

    /* Float data: the estimate of the float-rounded data. */
    float *xf = malloc((size_t)(n * d) * sizeof *xf);
    double *xr = malloc((size_t)(n * d) * sizeof *xr);
    for (int64_t i = 0; i < n * d; i++) {
        xf[i] = (float)x[i];
        xr[i] = (double)xf[i];
    }
    assert_status(mutinf_activations_wrap_f32(xf, n, d, d, 1, &a), MUTINF_OK);
    int64_t ns, nu;
    assert_status(mutinf_activations_shape(a, &ns, &nu), MUTINF_OK);
    assert_int_equal(ns, n);
    assert_int_equal(nu, d);
    check_against_ref(xr, n, d, labels, 3, a, 1, 1e-10);
    assert_status(mutinf_activations_gaussian(a, p, NULL, &tc, pw, &pv), MUTINF_OK);
    assert_close(tc, tc0, 1e-5, 1e-7);
    mutinf_activations_destroy(a);

    free(xr);
    free(xf);
    free(xw);
    free(xt);
    mutinf_partition_destroy(p);
    free(x);
}

/* A large common offset forces the shifted (chunked) covariance path. */
static void test_large_offset(void **state)
{
    (void)state;
    const int64_t n = 1500, d = 4;
    double *x = mixed_data(n, d, 13, 0.7);
    double *y = malloc((size_t)(n * d) * sizeof *y);
    for (int64_t i = 0; i < n * d; i++)
        y[i] = x[i] + 1e7;
    const int32_t labels[4] = {0, 0, 1, 1};
    mutinf_activations *a = NULL, *b = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    assert_status(mutinf_activations_wrap(y, n, d, d, 1, &b), MUTINF_OK);
    mutinf_partition *p = make_partition(labels, d);
    double t0, t1;
    assert_status(mutinf_activations_gaussian(a, p, NULL, &t0, NULL, NULL), MUTINF_OK);
    assert_status(mutinf_activations_gaussian(b, p, NULL, &t1, NULL, NULL), MUTINF_OK);
    assert_close(t1, t0, 1e-7, 1e-9);
    mutinf_partition_destroy(p);
    mutinf_activations_destroy(a);
    mutinf_activations_destroy(b);
    free(y);
    free(x);
}

/* The dsyrk paths: the chunked accumulation with tiny chunks and the direct
 * dsyrk both equal the long-double reference. */
static void test_covariance_paths(void **state)
{
    (void)state;
    const int64_t n = 1003, d = 9;
    double *x = mixed_data(n, d, 14, 0.9);
    mutinf__view v;
    const int64_t dims[2] = {n, d}, strides[2] = {d, 1};
    assert_status(mutinf__view_init(&v, "t", "x", x, 0, 2, dims, strides), MUTINF_OK);
    int64_t units[9];
    for (int j = 0; j < 9; j++)
        units[j] = j;
    double C0[81], C1[81], C2[81], m0[9], m1[9], ref[81];
    assert_status(mutinf__covariance_blas(&v, units, d, 1, C0, m0), MUTINF_OK);
    assert_status(mutinf__covariance_chunked(&v, units, d, 1, 7, C1, m1), MUTINF_OK);
    assert_status(mutinf__covariance_chunked(&v, units, d, 3, 7, C2, NULL), MUTINF_OK);
    cov_ref(x, n, d, units, d, ref);
    for (int i = 0; i < 81; i++) {
        assert_close(C0[i], ref[i], 1e-12, 1e-14);
        assert_close(C1[i], ref[i], 1e-12, 1e-14);
        assert_true(C1[i] == C2[i]); /* bit-identical for any thread count */
    }
    for (int j = 0; j < 9; j++)
        assert_close(m0[j], m1[j], 1e-13, 1e-14);
    free(x);
}

/* Data far from zero (1e8 + N(0,1)) whose mean moves after the rows that
 * set the shift of the Gram path (a step of 3 at half the samples): every
 * covariance path matches the long-double two-pass covariance to 1e-10
 * relative, and the means the long-double means. */
static void test_offset_covariance(void **state)
{
    (void)state;
    const int64_t n = 6000, d = 7;
    double *x = mixed_data(n, d, 16, 0.6);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            x[i * d + j] += 1e8 + (i >= n / 2 ? 3.0 : 0.0) - 0.5 * (double)j;
    int64_t units[7];
    for (int j = 0; j < 7; j++)
        units[j] = j;
    /* the reference works on x minus its first sample (exact: the values
     * are within a factor 2 of each other), so that it keeps its accuracy
     * where long double is double (valgrind) */
    double *y = malloc((size_t)(n * d) * sizeof *y);
    for (int64_t i = 0; i < n * d; i++)
        y[i] = x[i] - x[i % d];
    double ref[49], C[49], mean[7];
    cov_ref(y, n, d, units, d, ref);
    long double mref[7] = {0};
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            mref[j] += y[i * d + j];
    for (int64_t j = 0; j < d; j++)
        mref[j] = x[j] + mref[j] / (long double)n;
    mutinf__view v;
    const int64_t dims[2] = {n, d}, strides[2] = {d, 1};
    assert_status(mutinf__view_init(&v, "t", "x", x, 0, 2, dims, strides), MUTINF_OK);
    for (int path = 0; path < 4; path++) {
        mutinf_status st;
        if (path == 0)
            st = mutinf__covariance(&v, units, d, 2, C, mean);
        else if (path == 1)
            st = mutinf__covariance_blas(&v, units, d, 2, C, mean);
        else if (path == 2)
            st = mutinf__covariance_chunked(&v, units, d, 2, 100, C, mean);
        else if (mutinf__gram_available())
            st = mutinf__covariance_gram(&v, units, d, 2, 16, C, mean);
        else
            continue;
        assert_status(st, MUTINF_OK);
        for (int64_t a = 0; a < d; a++) {
            for (int64_t b = 0; b < d; b++)
                assert_close(C[a + b * d], ref[a * d + b], 0.0,
                             1e-10 * sqrt(ref[a * d + a] * ref[b * d + b]));
            assert_close(mean[a], (double)mref[a], 1e-15, 0.0);
        }
    }
    free(y);
    free(x);
}

/* Sum over the rows of column u of a view, in long double. */
static double view_col_sum(const mutinf__view *v, int64_t u)
{
    long double s = 0;
    for (int64_t i = 0; i < v->dim[0]; i++)
        s += mutinf__view_at2(v, i, u);
    return (double)s;
}

/* The Gram kernel against the long-double two-pass covariance on awkward
 * shapes: unit counts leaving 1, 2 or 3 panels in the last tile and a
 * partial last panel, chunks that do not divide n, several slabs and column
 * ranges, row-major, column-major, reversed and strided, and float views,
 * non-consecutive units; bit-identical for 1, 2 and 3 threads. */
static void test_gram_kernel(void **state)
{
    (void)state;
    if (!mutinf__gram_available()) {
        assert_status(mutinf__covariance_gram(NULL, NULL, 0, 1, 0, NULL, NULL),
                      MUTINF_ERR_UNSUPPORTED);
        return;
    }
    const int64_t n = 1003, D = 23;
    double *x = mixed_data(n, D, 15, 0.7);
    for (int64_t i = 0; i < n; i++) /* means away from zero, unequal scales */
        for (int64_t j = 0; j < D; j++)
            x[i * D + j] = x[i * D + j] * (1.0 + 0.25 * (double)j) + 40.0 * (double)j - 300.0;
    double *xt = malloc((size_t)(n * D) * sizeof *xt);
    double *xw = calloc((size_t)(n * 2 * D), sizeof *xw);
    float *xf = malloc((size_t)(n * D) * sizeof *xf);
    double *xr = malloc((size_t)(n * D) * sizeof *xr);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < D; j++) {
            xt[j * n + i] = x[i * D + j];
            xw[(n - 1 - i) * 2 * D + 2 * j] = x[i * D + j];
            xf[i * D + j] = (float)x[i * D + j];
        }
    /* a loop of its own: GCC 12.2 at -O3 drops the float rounding when this
     * conversion shares the loop above */
    for (int64_t i = 0; i < n * D; i++)
        xr[i] = (double)xf[i];
    mutinf__view views[4];
    const int64_t dims[2] = {n, D};
    const int64_t st[4][2] = {{D, 1}, {1, n}, {-2 * D, 2}, {D, 1}};
    const void *data[4] = {x, xt, xw + (n - 1) * 2 * D, xf};
    for (int k = 0; k < 4; k++)
        assert_status(mutinf__view_init(&views[k], "t", "x", data[k], k == 3, 2, dims, st[k]),
                      MUTINF_OK);

    int64_t lists[9][23];
    const int64_t sizes[9] = {1, 3, 4, 5, 8, 13, 14, 15, 23};
    for (int l = 0; l < 8; l++)
        for (int64_t j = 0; j < sizes[l]; j++)
            lists[l][j] = j;
    /* every unit, in an order mixing runs of 4 with scattered units */
    const int64_t perm[23] = {4,  5,  6,  7,  22, 0, 9,  1,  12, 13, 14, 15,
                              16, 17, 18, 19, 3,  2, 11, 10, 21, 20, 8};
    memcpy(lists[8], perm, sizeof perm);
    const int64_t chunks[3] = {0, 16, 7};
    double *C = malloc(3 * (size_t)(D * D) * sizeof *C),
           *ref = malloc((size_t)(D * D) * sizeof *ref);
    double mean[3][23], sums[23];
    for (int k = 0; k < 4; k++)
        for (int l = test_quick() ? 5 : 0; l < 9; l++) {
            const int64_t m = sizes[l] < 23 ? sizes[l] : 23, *units = lists[l];
            cov_ref(k == 3 ? xr : x, n, D, units, m, ref);
            for (int64_t j = 0; j < m; j++)
                sums[j] = view_col_sum(&views[k], units[j]);
            for (int c = 0; c < 3; c++) {
                for (int t = 0; t < 3; t++)
                    assert_status(mutinf__covariance_gram(&views[k], units, m, t + 1, chunks[c],
                                                          C + t * m * m, mean[t]),
                                  MUTINF_OK);
                for (int64_t a = 0; a < m; a++) {
                    for (int64_t b = 0; b < m; b++) {
                        double scale = sqrt(ref[a * m + a] * ref[b * m + b]);
                        assert_close(C[a + b * m], ref[a * m + b], 0.0, 1e-13 * scale);
                    }
                    assert_close(mean[0][a], sums[a] / (double)n, 1e-14, 1e-12);
                }
                for (int t = 1; t < 3; t++) {
                    assert_memory_equal(C + t * m * m, C, (size_t)(m * m) * sizeof *C);
                    assert_memory_equal(mean[t], mean[0], (size_t)m * sizeof mean[0][0]);
                }
            }
        }

    /* out of memory: status only, C untouched */
    for (long k = 0;; k++) {
        C[0] = -7.0;
        mutinf__alloc_fail_after(k);
        mutinf_status s = mutinf__covariance_gram(&views[0], lists[8], 23, 2, 16, C, NULL);
        mutinf__alloc_fail_after(-1);
        if (s == MUTINF_OK) break;
        assert_status(s, MUTINF_ERR_OUT_OF_MEMORY);
        assert_true(C[0] == -7.0);
    }
    free(ref);
    free(C);
    free(xr);
    free(xf);
    free(xw);
    free(xt);
    free(x);
}

/* More panels than one packing pass over a row takes (300 units: 75
 * panels), runs of consecutive units broken by a gap and a reversed pair,
 * double and float rows: the Gram kernel against the long-double two-pass
 * covariance, bit-identical for 1, 2 and 3 threads. */
static void test_gram_wide(void **state)
{
    (void)state;
    if (!mutinf__gram_available()) return;
    const int64_t n = 200, D = 310, m = 300;
    double *x = mixed_data(n, D, 17, 0.4);
    float *xf = malloc((size_t)(n * D) * sizeof *xf);
    double *xr = malloc((size_t)(n * D) * sizeof *xr);
    for (int64_t i = 0; i < n * D; i++)
        xf[i] = (float)x[i];
    for (int64_t i = 0; i < n * D; i++)
        xr[i] = (double)xf[i];
    int64_t units[300];
    for (int64_t j = 0; j < m; j++)
        units[j] = j < 150 ? j + 2 : j + 10;
    units[201] = 212, units[202] = 211;
    double *C = malloc(3 * (size_t)(m * m) * sizeof *C),
           *ref = malloc((size_t)(m * m) * sizeof *ref);
    const int64_t dims[2] = {n, D}, strides[2] = {D, 1};
    for (int f32 = 0; f32 < 2; f32++) {
        mutinf__view v;
        assert_status(mutinf__view_init(&v, "t", "x", f32 ? (const void *)xf : (const void *)x, f32,
                                        2, dims, strides),
                      MUTINF_OK);
        cov_ref(f32 ? xr : x, n, D, units, m, ref);
        for (int t = 0; t < 3; t++)
            assert_status(mutinf__covariance_gram(&v, units, m, t + 1, 0, C + t * m * m, NULL),
                          MUTINF_OK);
        for (int64_t a = 0; a < m; a++)
            for (int64_t b = 0; b < m; b++)
                assert_close(C[a + b * m], ref[a * m + b], 0.0,
                             1e-13 * sqrt(ref[a * m + a] * ref[b * m + b]));
        for (int t = 1; t < 3; t++)
            assert_memory_equal(C + t * m * m, C, (size_t)(m * m) * sizeof *C);
    }
    free(ref);
    free(C);
    free(xr);
    free(xf);
    free(x);
}

/* ------------------------------------------------------------------ */
/* Statistics                                                           */
/* ------------------------------------------------------------------ */

/* Samples of a linear-Gaussian model: the bias-corrected TC lies within 4
 * standard errors of the analytical TC; the standard error comes from the
 * spread of the estimate over 20 disjoint batches. */
static void test_model_tc(void **state)
{
    (void)state;
    const int64_t d = 9, inputs = 6, K = 3;
    const int64_t n = test_quick() ? 20000 : 100000, B = 20, nb = n / B;
    double W[9 * 6];
    test_fill_normal(W, 54, 21);
    mutinf_lingauss *model = NULL;
    assert_status(mutinf_lingauss_create(W, d, inputs, inputs, 1, NULL, 1, 0.5, &model), MUTINF_OK);
    double *y = malloc((size_t)(n * d) * sizeof *y);
    assert_status(mutinf_lingauss_sample(model, n, 99, NULL, y), MUTINF_OK);
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(d, K, &p), MUTINF_OK);
    double truth, truth_pw[9];
    assert_status(mutinf_lingauss_total_correlation(model, p, NULL, &truth), MUTINF_OK);
    assert_status(mutinf_lingauss_pairwise(model, p, NULL, truth_pw), MUTINF_OK);

    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(y, n, d, d, 1, &a), MUTINF_OK);
    double tc, pw[9], pv;
    assert_status(mutinf_activations_gaussian(a, p, NULL, &tc, pw, &pv), MUTINF_OK);
    mutinf_activations_destroy(a);

    double s1 = 0.0, s2 = 0.0;
    for (int64_t b = 0; b < B; b++) {
        double t;
        assert_status(mutinf_activations_wrap(y + b * nb * d, nb, d, d, 1, &a), MUTINF_OK);
        assert_status(mutinf_activations_gaussian(a, p, NULL, &t, NULL, NULL), MUTINF_OK);
        mutinf_activations_destroy(a);
        s1 += t;
        s2 += t * t;
    }
    double sd_batch = sqrt((s2 - s1 * s1 / (double)B) / (double)(B - 1));
    double se = sd_batch / sqrt((double)B);
    assert_true(se > 0.0 && se < 0.05 * truth);
    assert_close(tc, truth, 0, 4.0 * se);
    /* Off-diagonal MI within a few percent; entropies within 0.02 nats. */
    for (int64_t i = 0; i < K; i++)
        for (int64_t j = 0; j < K; j++)
            assert_close(pw[i * K + j], truth_pw[i * K + j], i == j ? 0 : 0.05,
                         i == j ? 0.02 : 0.005);
    assert_true(pv < 1e-12);

    free(y);
    mutinf_partition_destroy(p);
    mutinf_lingauss_destroy(model);
}

/* Independent modules: the corrected TC averages ~0 while the uncorrected
 * one averages its known bias df / (2 n); the chi-squared p-value is
 * roughly uniform. */
static void test_null(void **state)
{
    (void)state;
    const int64_t n = 1000, d = 8, K = 4, seeds = 200;
    const int32_t labels[8] = {0, 0, 1, 1, 2, 2, 3, 3};
    const double df = 0.5 * (64 - 4 * 4);
    mutinf_partition *p = make_partition(labels, d);
    mutinf_options *raw = make_options(0, 0, 0);
    double *x = malloc((size_t)(n * d) * sizeof *x);
    double sum_c = 0.0, sum_u = 0.0;
    int below = 0;
    for (int64_t s = 0; s < seeds; s++) {
        test_fill_normal(x, (size_t)(n * d), 1000 + (uint64_t)s);
        mutinf_activations *a = NULL;
        assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
        double tc, tu, pv;
        assert_status(mutinf_activations_gaussian(a, p, NULL, &tc, NULL, &pv), MUTINF_OK);
        assert_status(mutinf_activations_gaussian(a, p, raw, &tu, NULL, NULL), MUTINF_OK);
        mutinf_activations_destroy(a);
        sum_c += tc;
        sum_u += tu;
        below += pv < 0.05;
    }
    double mean_c = sum_c / (double)seeds, mean_u = sum_u / (double)seeds;
    /* sd of one plug-in TC under the null: sqrt(2 df) / (2 n) = 0.0035; of
     * the mean over 200 seeds: 0.00024. */
    double bias = df / (2.0 * (double)n);
    assert_close(mean_u, bias, 0, 0.001);
    assert_close(mean_c, 0.0, 0, 0.001);
    assert_true(mean_u - mean_c > 0.8 * bias);
    double frac = (double)below / (double)seeds;
    assert_true(frac >= 0.02 && frac <= 0.09);
    (void)K;
    free(x);
    mutinf_options_destroy(raw);
    mutinf_partition_destroy(p);
}

/* ------------------------------------------------------------------ */
/* Copula                                                               */
/* ------------------------------------------------------------------ */

/* Reference copnorm: O(n^2) average ranks, Phi^-1 by bisection on erfc. */
static double quantile_bisect(double p)
{
    double lo = -40, hi = 40;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2.0)) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static void test_copula(void **state)
{
    (void)state;
    const int64_t n = 600, d = 4;
    double *x = mixed_data(n, d, 31, 1.0);
    /* ties in unit 3 */
    for (int64_t i = 0; i < n; i++)
        x[i * d + 3] = round(x[i * d + 3] * 2.0);
    const int32_t labels[4] = {0, 1, 1, 0};
    mutinf_partition *p = make_partition(labels, d);
    mutinf_options *o = make_options(0, 1, 2);

    double *g = malloc((size_t)(n * d) * sizeof *g);
    for (int64_t j = 0; j < d; j++)
        for (int64_t i = 0; i < n; i++) {
            double less = 0, equal = 0;
            for (int64_t k = 0; k < n; k++) {
                less += x[k * d + j] < x[i * d + j];
                equal += x[k * d + j] == x[i * d + j];
            }
            double rank = less + 0.5 * (equal + 1.0); /* 1-based average rank */
            g[i * d + j] = quantile_bisect(rank / (double)(n + 1));
        }
    double ref_tc, ref_pw[4];
    tc_ref(g, n, d, labels, 2, 0, &ref_tc, ref_pw);
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    double tc, pw[4];
    assert_status(mutinf_activations_gaussian(a, p, o, &tc, pw, NULL), MUTINF_OK);
    assert_close(tc, ref_tc, 1e-10, 1e-12);
    for (int i = 0; i < 4; i++)
        assert_close(pw[i], ref_pw[i], 1e-10, 1e-12);
    mutinf_activations_destroy(a);

    /* Invariance under increasing transforms of single units. */
    double *y = malloc((size_t)(n * d) * sizeof *y);
    for (int64_t i = 0; i < n; i++) {
        y[i * d + 0] = exp(x[i * d + 0]);
        y[i * d + 1] = pow(x[i * d + 1], 3);
        y[i * d + 2] = x[i * d + 2];
        y[i * d + 3] = 5 * x[i * d + 3] - 2;
    }
    double tcy, pwy[4];
    assert_status(mutinf_activations_wrap(y, n, d, d, 1, &a), MUTINF_OK);
    assert_status(mutinf_activations_gaussian(a, p, o, &tcy, pwy, NULL), MUTINF_OK);
    assert_close(tcy, tc, 1e-12, 1e-14);
    for (int i = 0; i < 4; i++)
        assert_close(pwy[i], pw[i], 1e-12, 1e-14);
    /* ... which the plain estimator is not. */
    double plain_x, plain_y;
    mutinf_options *o2 = make_options(0, 0, 2);
    assert_status(mutinf_activations_gaussian(a, p, o2, &plain_y, NULL, NULL), MUTINF_OK);
    mutinf_activations_destroy(a);
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    assert_status(mutinf_activations_gaussian(a, p, o2, &plain_x, NULL, NULL), MUTINF_OK);
    assert_true(fabs(plain_x - plain_y) > 1e-3);
    mutinf_activations_destroy(a);

    mutinf_options_destroy(o2);
    free(y);
    free(g);
    mutinf_options_destroy(o);
    mutinf_partition_destroy(p);
    free(x);
}

/* ------------------------------------------------------------------ */
/* Threads, ranks, units                                                */
/* ------------------------------------------------------------------ */

static void test_threads_bit_identical(void **state)
{
    (void)state;
    const int64_t n = 5000, d = 12;
    double *x = mixed_data(n, d, 41, 0.5);
    float *xf = malloc((size_t)(n * d) * sizeof *xf);
    for (int64_t i = 0; i < n * d; i++)
        xf[i] = (float)x[i];
    const int32_t labels[12] = {0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 3, -1};
    mutinf_partition *p = make_partition(labels, d);
    for (int view = 0; view < 2; view++)
        for (int copula = 0; copula < 2; copula++) {
            mutinf_activations *a = NULL;
            if (view == 0)
                assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
            else
                assert_status(mutinf_activations_wrap_f32(xf, n, d, d, 1, &a), MUTINF_OK);
            double tc[3], pw[3][16], pv[3];
            const int threads[3] = {1, 2, 3};
            for (int t = 0; t < 3; t++) {
                mutinf_options *o = make_options(1, copula, threads[t]);
                assert_status(mutinf_activations_gaussian(a, p, o, &tc[t], pw[t], &pv[t]),
                              MUTINF_OK);
                mutinf_options_destroy(o);
            }
            for (int t = 1; t < 3; t++) {
                assert_memory_equal(&tc[t], &tc[0], sizeof tc[0]);
                assert_memory_equal(pw[t], pw[0], sizeof pw[0]);
                assert_memory_equal(&pv[t], &pv[0], sizeof pv[0]);
            }
            mutinf_activations_destroy(a);
        }
    mutinf_partition_destroy(p);
    free(xf);
    free(x);
}

static void test_degenerate_and_bits(void **state)
{
    (void)state;
    const int64_t n = 500, d = 4;
    double *x = mixed_data(n, d, 51, 0.5);
    for (int64_t i = 0; i < n; i++)
        x[i * d + 3] = 2.0 * x[i * d + 0] - 1.0; /* module 1 determined by module 0 */
    const int32_t labels[4] = {0, 0, 1, 1};
    mutinf_partition *p = make_partition(labels, d);
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    double tc, pw[4], pv;
    assert_status(mutinf_activations_gaussian(a, p, NULL, &tc, pw, &pv), MUTINF_OK);
    assert_true(isinf(tc) && tc > 0);
    assert_true(isinf(pw[1]) && pw[1] > 0);
    assert_close(pv, 0.0, 0, 0);
    mutinf_activations_destroy(a);
    free(x);

    x = mixed_data(n, d, 52, 0.5);
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    double tn, tb, pwn[4], pwb[4];
    mutinf_options *o = make_options(1, 0, 1);
    assert_status(mutinf_activations_gaussian(a, p, o, &tn, pwn, NULL), MUTINF_OK);
    assert_status(mutinf_options_set_bits(o, 1), MUTINF_OK);
    assert_status(mutinf_activations_gaussian(a, p, o, &tb, pwb, NULL), MUTINF_OK);
    assert_close(tb, tn / M_LN2, 1e-14, 0);
    for (int i = 0; i < 4; i++)
        assert_close(pwb[i], pwn[i] / M_LN2, 1e-14, 0);
    mutinf_options_destroy(o);
    mutinf_activations_destroy(a);
    mutinf_partition_destroy(p);
    free(x);
}

/* ------------------------------------------------------------------ */
/* Bad input                                                            */
/* ------------------------------------------------------------------ */

static void test_wrap_errors(void **state)
{
    (void)state;
    double x[12] = {0};
    float xf[12] = {0};
    mutinf_activations *a = (mutinf_activations *)x;
    assert_status(mutinf_activations_wrap(NULL, 3, 4, 4, 1, &a), MUTINF_ERR_NULL_ARGUMENT);
    assert_null(a);
    assert_status(mutinf_activations_wrap(x, 3, 4, 4, 1, NULL), MUTINF_ERR_NULL_ARGUMENT);
    a = (mutinf_activations *)x;
    assert_status(mutinf_activations_wrap(x, 0, 4, 4, 1, &a), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_null(a);
    assert_status(mutinf_activations_wrap(x, 3, -1, 4, 1, &a), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_activations_wrap(x, 3, 4, INT64_MAX / 2, 1, &a), MUTINF_ERR_SIZE_OVERFLOW);
    assert_status(mutinf_activations_wrap_f32(xf, 3, 4, INT64_MIN, 1, &a),
                  MUTINF_ERR_SIZE_OVERFLOW);
    /* the wrap does not read the data: the estimators reject NaN and
     * infinities (test_non_finite) */
    x[2 * 4 + 1] = NAN;
    assert_status(mutinf_activations_wrap(x, 3, 4, 4, 1, &a), MUTINF_OK);
    mutinf_activations_destroy(a);
    xf[1 * 4 + 3] = -INFINITY;
    assert_status(mutinf_activations_wrap_f32(xf, 3, 4, 4, 1, &a), MUTINF_OK);
    mutinf_activations_destroy(a);
    /* zero strides are a valid (constant) view */
    assert_status(mutinf_activations_wrap(x, 3, 4, 0, 0, &a), MUTINF_OK);
    mutinf_activations_destroy(a);
    mutinf_activations_destroy(NULL);
    int64_t ns;
    assert_status(mutinf_activations_shape(NULL, &ns, &ns), MUTINF_ERR_NULL_ARGUMENT);
}

/* Fails unless the last error message holds "sample <i>" and "unit <u>". */
static void assert_names(int64_t i, int64_t u)
{
    char want[64];
    const char *msg = mutinf_last_error_message();
    snprintf(want, sizeof want, "sample %lld,", (long long)i);
    assert_non_null(strstr(msg, want));
    snprintf(want, sizeof want, "unit %lld]", (long long)u);
    assert_non_null(strstr(msg, want));
}

/* One call of the Gaussian estimator (kind 0: plain, 1: copula) or of the
 * moments (kind 2) with `threads`; the outputs must stay untouched on
 * failure. */
static mutinf_status call_estimator(int kind, const mutinf_activations *a,
                                    const mutinf_partition *p, int threads, double *tc_out)
{
    mutinf_options *o = make_options(1, kind == 1, threads);
    double tc = -7, pw[9], pv = -7, mo[1 + 7 + 49];
    for (int i = 0; i < 9; i++)
        pw[i] = -7;
    for (int i = 0; i < 57; i++)
        mo[i] = -7;
    mutinf_status st;
    if (kind < 2) {
        st = mutinf_activations_gaussian(a, p, o, &tc, pw, &pv);
    } else {
        int64_t size = 0;
        assert_status(mutinf_moments_size(p, &size), MUTINF_OK);
        assert_true(size == 57);
        st = mutinf_activations_moments(a, p, o, mo, size);
        tc = mo[0];
    }
    if (st != MUTINF_OK) {
        assert_true(tc == -7 && pv == -7);
        for (int i = 0; i < 9; i++)
            assert_true(pw[i] == -7);
        for (int i = 0; i < 57; i++)
            assert_true(mo[i] == -7);
    }
    if (tc_out != NULL) *tc_out = tc;
    mutinf_options_destroy(o);
    return st;
}

/* NaN and infinities: each estimator (plain, copula, moments), double and
 * float, row-major and column-major, 1 to 3 threads, fails with
 * MUTINF_ERR_NON_FINITE naming the first bad sample and in it the lowest bad
 * assigned unit, outputs untouched; entries of unassigned units are not
 * read.  Bad entries sit in the rows that shift the Gram path, in the last
 * row, and past several screening blocks. */
static void test_non_finite(void **state)
{
    (void)state;
    const int64_t n = 9000, d = 8;
    double *x = mixed_data(n, d, 81, 0.5);
    double *xt = malloc((size_t)(n * d) * sizeof *xt);
    float *xf = malloc((size_t)(n * d) * sizeof *xf);
    /* unit 7 unassigned; module order puts unit 5 before unit 2 */
    const int32_t labels[8] = {1, 2, 1, 2, 0, 0, 0, -1};
    mutinf_partition *p = make_partition(labels, d);
    double clean[3];
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    for (int kind = 0; kind < 3; kind++)
        assert_status(call_estimator(kind, a, p, 2, &clean[kind]), MUTINF_OK);
    mutinf_activations_destroy(a);

    const double bad[3] = {NAN, INFINITY, -INFINITY};
    const int64_t rows[4] = {0, 700, 8500, n - 1};
    for (int b = 0; b < 3; b++)
        for (int r = 0; r < 4; r++) {
            const int64_t i = rows[r];
            double *y = malloc((size_t)(n * d) * sizeof *y);
            memcpy(y, x, (size_t)(n * d) * sizeof *y);
            y[i * d + 5] = bad[b];
            y[i * d + 2] = bad[(b + 1) % 3];
            if (i + 1 < n) y[(i + 1) * d + 0] = bad[b]; /* a later sample */
            y[0 * d + 7] = NAN;                         /* unassigned: ignored */
            for (int64_t s = 0; s < n; s++)
                for (int64_t j = 0; j < d; j++) {
                    xt[j * n + s] = y[s * d + j];
                    xf[s * d + j] = (float)y[s * d + j];
                }
            for (int layout = 0; layout < 3; layout++) {
                if (layout == 0)
                    assert_status(mutinf_activations_wrap(y, n, d, d, 1, &a), MUTINF_OK);
                else if (layout == 1)
                    assert_status(mutinf_activations_wrap(xt, n, d, 1, n, &a), MUTINF_OK);
                else
                    assert_status(mutinf_activations_wrap_f32(xf, n, d, d, 1, &a), MUTINF_OK);
                for (int kind = 0; kind < 3; kind++)
                    for (int t = 1; t <= 3; t += test_quick() ? 2 : 1) {
                        assert_status(call_estimator(kind, a, p, t, NULL), MUTINF_ERR_NON_FINITE);
                        assert_names(i, 2);
                        assert_non_null(strstr(mutinf_last_error_message(),
                                               kind < 2 ? "mutinf_activations_gaussian:"
                                                        : "mutinf_activations_moments:"));
                    }
                mutinf_activations_destroy(a);
            }
            /* the same data without the bad assigned entries: only the
             * unassigned NaN is left, and the estimates are those of the
             * clean data */
            y[i * d + 5] = x[i * d + 5];
            y[i * d + 2] = x[i * d + 2];
            if (i + 1 < n) y[(i + 1) * d + 0] = x[(i + 1) * d + 0];
            assert_status(mutinf_activations_wrap(y, n, d, d, 1, &a), MUTINF_OK);
            for (int kind = 0; kind < 3; kind++) {
                double tc;
                assert_status(call_estimator(kind, a, p, 2, &tc), MUTINF_OK);
                assert_memory_equal(&tc, &clean[kind], sizeof tc);
            }
            mutinf_activations_destroy(a);
            free(y);
            if (test_quick()) break;
        }

    /* one sample: the moments read it directly */
    double one[8] = {1, 2, 3, 4, 5, 6, 7, NAN};
    assert_status(mutinf_activations_wrap(one, 1, d, d, 1, &a), MUTINF_OK);
    assert_status(call_estimator(2, a, p, 1, NULL), MUTINF_OK);
    one[4] = -INFINITY;
    assert_status(call_estimator(2, a, p, 1, NULL), MUTINF_ERR_NON_FINITE);
    assert_names(0, 4);
    mutinf_activations_destroy(a);
    mutinf_partition_destroy(p);
    free(xf);
    free(xt);
    free(x);
}

/* Finite data whose squares overflow is not mistaken for non-finite data. */
static void test_overflow_is_not_non_finite(void **state)
{
    (void)state;
    const int64_t n = 300, d = 4;
    double *x = mixed_data(n, d, 82, 0.5);
    for (int64_t i = 0; i < n; i++)
        x[i * d + 1] *= 1e160;
    const int32_t labels[4] = {0, 0, 1, 1};
    mutinf_partition *p = make_partition(labels, d);
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    double tc = -7;
    mutinf_status st = mutinf_activations_gaussian(a, p, NULL, &tc, NULL, NULL);
    assert_true(st != MUTINF_ERR_NON_FINITE);
    mutinf_activations_destroy(a);
    mutinf_partition_destroy(p);
    free(x);
}

/* Every covariance path leaves a NaN or an infinity of a column in that
 * column's variance, wherever the entry sits (in the rows that set the
 * shift or after them): the estimators rely on it to detect bad data. */
static void test_covariance_non_finite(void **state)
{
    (void)state;
    const int64_t n = 3000, d = 6;
    double *x = mixed_data(n, d, 83, 0.5);
    float *xf = malloc((size_t)(n * d) * sizeof *xf);
    const int64_t units[6] = {0, 1, 2, 3, 4, 5}, scattered[3] = {4, 1, 3};
    const int64_t dims[2] = {n, d}, strides[2] = {d, 1};
    const double bad[3] = {NAN, INFINITY, -INFINITY};
    const int64_t rows[3] = {0, 1500, n - 1};
    double C[36], mean[6];
    for (int b = 0; b < 3; b++)
        for (int r = 0; r < 3; r++) {
            double keep = x[rows[r] * d + 3];
            x[rows[r] * d + 3] = bad[b];
            for (int64_t i = 0; i < n * d; i++)
                xf[i] = (float)x[i];
            mutinf__view v, vf;
            assert_status(mutinf__view_init(&v, "t", "x", x, 0, 2, dims, strides), MUTINF_OK);
            assert_status(mutinf__view_init(&vf, "t", "x", xf, 1, 2, dims, strides), MUTINF_OK);
            for (int path = 0; path < 5; path++) {
                const mutinf__view *w = path == 3 ? &vf : &v;
                const int64_t *u = path == 2 ? scattered : units;
                int64_t m = path == 2 ? 3 : 6, col = path == 2 ? 2 : 3;
                mutinf_status st;
                if (path == 4) { /* the Gram kernel, where the CPU has it */
                    if (!mutinf__gram_available()) continue;
                    st = mutinf__covariance_gram(w, u, m, 2, 16, C, mean);
                } else if (path == 1) {
                    st = mutinf__covariance_chunked(w, u, m, 2, 7, C, mean);
                } else { /* direct dsyrk; scattered units and floats: chunked */
                    st = mutinf__covariance_blas(w, u, m, 2, C, mean);
                }
                assert_status(st, MUTINF_OK);
                assert_false(isfinite(C[col + col * m]));
                for (int64_t j = 0; j < m; j++)
                    if (j != col) assert_true(isfinite(C[j + j * m]));
            }
            x[rows[r] * d + 3] = keep;
        }
    free(xf);
    free(x);
}

static void test_gaussian_errors(void **state)
{
    (void)state;
    const int64_t n = 50, d = 6;
    double *x = mixed_data(n, d, 61, 0.5);
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    mutinf_partition *p = NULL, *p5 = NULL;
    assert_status(mutinf_partition_create_contiguous(d, 2, &p), MUTINF_OK);
    assert_status(mutinf_partition_create_contiguous(5, 2, &p5), MUTINF_OK);
    double tc = -7, pw[4] = {-7, -7, -7, -7}, pv = -7;
    assert_status(mutinf_activations_gaussian(NULL, p, NULL, &tc, pw, &pv),
                  MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_activations_gaussian(a, NULL, NULL, &tc, pw, &pv),
                  MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_activations_gaussian(a, p, NULL, NULL, pw, &pv), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_activations_gaussian(a, p5, NULL, &tc, pw, &pv),
                  MUTINF_ERR_DIMENSION_MISMATCH);
    mutinf_activations_destroy(a);
    /* n <= assigned units */
    assert_status(mutinf_activations_wrap(x, 6, d, d, 1, &a), MUTINF_OK);
    assert_status(mutinf_activations_gaussian(a, p, NULL, &tc, pw, &pv),
                  MUTINF_ERR_TOO_FEW_SAMPLES);
    mutinf_activations_destroy(a);
    /* out of memory at every allocation, for both paths */
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    for (int copula = 0; copula < 2; copula++) {
        mutinf_options *o = make_options(1, copula, 1);
        mutinf_status st = MUTINF_ERR_OUT_OF_MEMORY;
        for (long k = 0; st == MUTINF_ERR_OUT_OF_MEMORY; k++) {
            assert_true(k < 100);
            mutinf__alloc_fail_after(k);
            st = mutinf_activations_gaussian(a, p, o, &tc, pw, &pv);
            mutinf__alloc_fail_after(-1);
            if (st != MUTINF_OK) {
                assert_status(st, MUTINF_ERR_OUT_OF_MEMORY);
                assert_true(tc == -7 && pv == -7);
                for (int i = 0; i < 4; i++)
                    assert_true(pw[i] == -7);
            }
        }
        assert_status(st, MUTINF_OK);
        tc = pv = pw[0] = pw[1] = pw[2] = pw[3] = -7;
        mutinf_options_destroy(o);
    }
    mutinf__alloc_fail_after(0);
    mutinf_activations *b = (mutinf_activations *)x;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &b), MUTINF_ERR_OUT_OF_MEMORY);
    mutinf__alloc_fail_after(-1);
    assert_null(b);
    mutinf_activations_destroy(a);
    mutinf_partition_destroy(p);
    mutinf_partition_destroy(p5);
    free(x);
}

/* ------------------------------------------------------------------ */
/* Mergeable moments                                                    */
/* ------------------------------------------------------------------ */

static void test_moments_merge(void **state)
{
    (void)state;
    const int64_t n = 3001, d = 7;
    double *x = mixed_data(n, d, 71, 0.8);
    const int32_t labels[7] = {1, -1, 0, 1, 2, 0, 2};
    mutinf_partition *p = make_partition(labels, d);
    int64_t size;
    assert_status(mutinf_moments_size(p, &size), MUTINF_OK);
    assert_int_equal(size, 1 + 6 + 36);
    mutinf_options *o = make_options(1, 0, 2);

    /* the whole data set */
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    double tc, pw[9], pv, full[43];
    assert_status(mutinf_activations_gaussian(a, p, o, &tc, pw, &pv), MUTINF_OK);
    assert_status(mutinf_activations_moments(a, p, o, full, size), MUTINF_OK);
    mutinf_activations_destroy(a);
    /* against the long-double reference: count, means, co-moment */
    const int64_t cols[6] = {2, 5, 0, 3, 4, 6}; /* module order */
    double C[36];
    cov_ref(x, n, d, cols, 6, C);
    assert_close(full[0], (double)n, 0, 0);
    for (int64_t j = 0; j < 6; j++) {
        long double s = 0;
        for (int64_t i = 0; i < n; i++)
            s += x[i * d + cols[j]];
        assert_close(full[1 + j], (double)(s / n), 1e-13, 1e-14);
    }
    for (int i = 0; i < 36; i++)
        assert_close(full[7 + i], C[i] * (double)(n - 1), 1e-11, 1e-11);

    /* three shards, one of a single sample, merged in two orders */
    const int64_t cut[4] = {0, 1000, 1001, n};
    double shard[3][43], acc[43], rev[43];
    for (int s = 0; s < 3; s++) {
        assert_status(mutinf_activations_wrap(x + cut[s] * d, cut[s + 1] - cut[s], d, d, 1, &a),
                      MUTINF_OK);
        assert_status(mutinf_activations_moments(a, p, NULL, shard[s], size), MUTINF_OK);
        mutinf_activations_destroy(a);
    }
    memset(acc, 0, sizeof acc);
    memset(rev, 0, sizeof rev);
    for (int s = 0; s < 3; s++) {
        assert_status(mutinf_moments_merge(acc, shard[s], size), MUTINF_OK);
        assert_status(mutinf_moments_merge(rev, shard[2 - s], size), MUTINF_OK);
    }
    for (int i = 0; i < 43; i++) {
        assert_close(acc[i], full[i], 1e-11, 1e-11);
        assert_close(rev[i], acc[i], 1e-12, 1e-12);
    }
    double tcm, pwm[9], pvm;
    assert_status(mutinf_moments_gaussian(acc, size, p, o, &tcm, pwm, &pvm), MUTINF_OK);
    assert_close(tcm, tc, 1e-10, 1e-12);
    assert_close(pvm, pv, 1e-8, 1e-300);
    for (int i = 0; i < 9; i++)
        assert_close(pwm[i], pw[i], 1e-10, 1e-12);
    /* a buffer merged with itself doubles the count, keeps the mean */
    double twice[43];
    memcpy(twice, full, sizeof twice);
    assert_status(mutinf_moments_merge(twice, twice, size), MUTINF_OK);
    assert_close(twice[0], 2.0 * (double)n, 0, 0);
    assert_close(twice[1], full[1], 1e-15, 0);
    assert_close(twice[10], 2.0 * full[10], 1e-15, 0);

    /* errors; outputs untouched */
    double keep[43];
    memcpy(keep, acc, sizeof keep);
    assert_status(mutinf_moments_size(NULL, &size), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_moments_merge(NULL, acc, size), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_moments_merge(acc, acc, 4), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_moments_merge(acc, acc, 0), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_moments_merge(acc, acc, INT64_MAX), MUTINF_ERR_DIMENSION_MISMATCH);
    double bad[43];
    memcpy(bad, full, sizeof bad);
    bad[0] = 2.5;
    assert_status(mutinf_moments_merge(acc, bad, size), MUTINF_ERR_INVALID_ARGUMENT);
    bad[0] = -1;
    assert_status(mutinf_moments_gaussian(bad, size, p, NULL, &tcm, NULL, NULL),
                  MUTINF_ERR_INVALID_ARGUMENT);
    bad[0] = (double)n;
    bad[12] = NAN;
    assert_status(mutinf_moments_merge(acc, bad, size), MUTINF_ERR_NON_FINITE);
    assert_non_null(strstr(mutinf_last_error_message(), "other[12]"));
    assert_memory_equal(acc, keep, sizeof keep);
    bad[12] = 0;
    bad[0] = 6;
    double t0 = -7;
    assert_status(mutinf_moments_gaussian(bad, size, p, NULL, &t0, NULL, NULL),
                  MUTINF_ERR_TOO_FEW_SAMPLES);
    assert_status(mutinf_moments_gaussian(acc, size - 1, p, NULL, &t0, NULL, NULL),
                  MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_moments_gaussian(NULL, size, p, NULL, &t0, NULL, NULL),
                  MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_moments_gaussian(acc, size, p, NULL, NULL, NULL, NULL),
                  MUTINF_ERR_NULL_ARGUMENT);
    mutinf_options *cop = make_options(1, 1, 1);
    assert_status(mutinf_moments_gaussian(acc, size, p, cop, &t0, NULL, NULL),
                  MUTINF_ERR_UNSUPPORTED);
    assert_true(t0 == -7);
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    assert_status(mutinf_activations_moments(a, p, cop, keep, size), MUTINF_ERR_UNSUPPORTED);
    assert_status(mutinf_activations_moments(a, p, NULL, keep, size + 1),
                  MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_activations_moments(a, p, NULL, NULL, size), MUTINF_ERR_NULL_ARGUMENT);
    assert_memory_equal(keep, acc, sizeof keep);
    for (long k = 0;; k++) {
        assert_true(k < 50);
        mutinf__alloc_fail_after(k);
        mutinf_status st = mutinf_activations_moments(a, p, NULL, keep, size);
        mutinf__alloc_fail_after(-1);
        if (st == MUTINF_OK) break;
        assert_status(st, MUTINF_ERR_OUT_OF_MEMORY);
        assert_memory_equal(keep, acc, sizeof keep);
    }
    for (long k = 0;; k++) {
        assert_true(k < 50);
        t0 = -7;
        mutinf__alloc_fail_after(k);
        mutinf_status st = mutinf_moments_gaussian(acc, size, p, NULL, &t0, pwm, NULL);
        mutinf__alloc_fail_after(-1);
        if (st == MUTINF_OK) break;
        assert_status(st, MUTINF_ERR_OUT_OF_MEMORY);
        assert_true(t0 == -7);
    }
    mutinf_activations_destroy(a);
    mutinf_options_destroy(cop);
    mutinf_options_destroy(o);
    mutinf_partition_destroy(p);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_contiguous),
        cmocka_unit_test(test_strided_and_float_views),
        cmocka_unit_test(test_large_offset),
        cmocka_unit_test(test_covariance_paths),
        cmocka_unit_test(test_offset_covariance),
        cmocka_unit_test(test_gram_kernel),
        cmocka_unit_test(test_gram_wide),
        cmocka_unit_test(test_model_tc),
        cmocka_unit_test(test_null),
        cmocka_unit_test(test_copula),
        cmocka_unit_test(test_threads_bit_identical),
        cmocka_unit_test(test_degenerate_and_bits),
        cmocka_unit_test(test_wrap_errors),
        cmocka_unit_test(test_non_finite),
        cmocka_unit_test(test_overflow_is_not_non_finite),
        cmocka_unit_test(test_covariance_non_finite),
        cmocka_unit_test(test_gaussian_errors),
        cmocka_unit_test(test_moments_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
