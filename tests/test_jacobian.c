/* Tests of the Jacobian (local) mutual information estimator.
 *
 * Independent references: the linear-Gaussian model (every J_b = W), and
 * covariances and log-determinants computed here in long double without
 * BLAS (test_logdet_ref).  Sizes cover both paths of the estimator (the
 * in-library kernels for up to 160 units in modules, BLAS above). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "jacobian.h"
#include "linalg.h"
#include "mutinf/mutinf.h"
#include "testutil.h"

#define LN_2PIE 2.8378770664093454836

/* ---------------------------------------------------------------- helpers */

static double *normals(size_t n, uint64_t seed)
{
    double *x = malloc(n * sizeof *x);
    assert_non_null(x);
    test_fill_normal(x, n, seed);
    return x;
}

static mutinf_partition *make_partition(const int32_t *labels, int64_t n)
{
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_from_labels(labels, n, 1, 0, &p), MUTINF_OK);
    return p;
}

/* Labels with `K` modules over `d` units, every `skip`-th unit in no module
 * (skip 0: all assigned), modules interleaved (not contiguous). */
static mutinf_partition *interleaved_partition(int64_t d, int64_t K, int64_t skip)
{
    int32_t *labels = malloc((size_t)d * sizeof *labels);
    for (int64_t i = 0; i < d; i++)
        labels[i] = (skip > 0 && i % skip == skip - 1) ? -1 : (int32_t)((i * 7 / 3) % K);
    mutinf_partition *p = make_partition(labels, d);
    free(labels);
    return p;
}

/* Local covariance of one row-major d x n Jacobian, row-major d x d, in long double. */
static void cov_ref(const double *J, int d, int n, double noise, double *C)
{
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++) {
            long double s = 0;
            for (int k = 0; k < n; k++)
                s += (long double)J[i * n + k] * J[j * n + k];
            C[i * d + j] = C[j * d + i] = (double)s + (i == j ? noise : 0.0);
        }
}

/* logdet of C[I, I] (row-major d x d) by the long double reference. */
static double logdet_sub(const double *C, int d, const int64_t *I, int64_t m)
{
    double *S = malloc((size_t)(m * m) * sizeof *S);
    for (int64_t a = 0; a < m; a++)
        for (int64_t b = 0; b < m; b++)
            S[a * m + b] = C[I[a] * d + I[b]];
    double r = test_logdet_ref(S, (int)m);
    free(S);
    return r;
}

/* Units of module k (in increasing order), count returned. */
static int64_t module_units(const mutinf_partition *p, int64_t k, int64_t *out, int64_t cap)
{
    int64_t s = 0;
    assert_status(mutinf_partition_module_size(p, k, &s), MUTINF_OK);
    assert_status(mutinf_partition_module_units(p, k, out, cap), MUTINF_OK);
    return s;
}

/* Independent TC (and pairwise, when pw != NULL, accumulated with weight w)
 * of one full-rank sample. */
static double tc_ref(const double *J, int d, int n, double noise, const mutinf_partition *p,
                     double *pw, double w)
{
    int64_t K = 0;
    assert_status(mutinf_partition_n_modules(p, &K), MUTINF_OK);
    double *C = malloc((size_t)(d * d) * sizeof *C);
    int64_t *all = malloc((size_t)d * sizeof *all), *mods = malloc((size_t)d * sizeof *mods);
    int64_t *size = malloc((size_t)K * sizeof *size), *start = malloc((size_t)K * sizeof *start);
    double *ld = malloc((size_t)K * sizeof *ld);
    cov_ref(J, d, n, noise, C);
    int64_t m = 0;
    for (int64_t k = 0; k < K; k++) {
        start[k] = m;
        size[k] = module_units(p, k, mods + m, d - m);
        m += size[k];
    }
    double sum = 0.0;
    for (int64_t k = 0; k < K; k++) {
        ld[k] = logdet_sub(C, d, mods + start[k], size[k]);
        sum += ld[k];
    }
    for (int64_t i = 0; i < m; i++)
        all[i] = mods[i];
    double tc = 0.5 * (sum - logdet_sub(C, d, all, m));
    if (pw != NULL)
        for (int64_t i = 0; i < K; i++) {
            pw[i * K + i] += w * 0.5 * ((double)size[i] * LN_2PIE + ld[i]);
            for (int64_t j = i + 1; j < K; j++) {
                int64_t cnt = 0;
                for (int64_t a = 0; a < size[i]; a++)
                    all[cnt++] = mods[start[i] + a];
                for (int64_t a = 0; a < size[j]; a++)
                    all[cnt++] = mods[start[j] + a];
                double mi = 0.5 * (ld[i] + ld[j] - logdet_sub(C, d, all, cnt));
                pw[i * K + j] += w * mi;
                pw[j * K + i] += w * mi;
            }
        }
    free(C);
    free(all);
    free(mods);
    free(size);
    free(start);
    free(ld);
    return tc;
}

static mutinf_options *opts_threads(int32_t threads)
{
    mutinf_options *o = NULL;
    assert_status(mutinf_options_create(&o), MUTINF_OK);
    assert_status(mutinf_options_set_threads(o, threads), MUTINF_OK);
    return o;
}

/* Everything at once, for comparisons. */
typedef struct {
    double tc, se;
    int64_t n_inf;
    double *per;
    double *pw;
} result;

static void run(const mutinf_jacobians *j, const mutinf_partition *p, const mutinf_options *o,
                result *r)
{
    int64_t B, d, n, K;
    assert_status(mutinf_jacobians_shape(j, &B, &d, &n), MUTINF_OK);
    assert_status(mutinf_partition_n_modules(p, &K), MUTINF_OK);
    r->per = malloc((size_t)B * sizeof *r->per);
    r->pw = malloc((size_t)(K * K) * sizeof *r->pw);
    assert_status(
        mutinf_jacobians_total_correlation(j, p, o, &r->tc, &r->se, &r->n_inf, r->per, r->pw),
        MUTINF_OK);
}

static void result_free(result *r)
{
    free(r->per);
    free(r->pw);
}

static void assert_bits_equal(const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(double)) != 0) {
            print_error("entry %zu: %.17g != %.17g\n", i, a[i], b[i]);
            fail();
        }
}

/* ------------------------------------------------------------ the tests */

/* Every J_b = W (batch stride 0): the linear-Gaussian analytical value,
 * standard error exactly 0, pairwise equal to the model's. */
static void check_linear(int64_t d, int64_t n, int64_t K, int64_t skip, double noise, uint64_t seed)
{
    double *W = normals((size_t)(d * n), seed);
    mutinf_partition *p = NULL;
    if (skip < 0) /* contiguous modules in unit order */
        assert_status(mutinf_partition_create_contiguous(d, K, &p), MUTINF_OK);
    else
        p = interleaved_partition(d, K, skip);
    mutinf_options *o = opts_threads(2);
    assert_status(mutinf_options_set_noise_var(o, noise), MUTINF_OK);
    mutinf_lingauss *model = NULL;
    assert_status(mutinf_lingauss_create(W, d, n, n, 1, NULL, 1, noise, &model), MUTINF_OK);
    double expect = 0.0;
    double *pw_expect = malloc((size_t)(K * K) * sizeof *pw_expect);
    assert_status(mutinf_lingauss_total_correlation(model, p, o, &expect), MUTINF_OK);
    assert_status(mutinf_lingauss_pairwise(model, p, o, pw_expect), MUTINF_OK);
    assert_true(isfinite(expect) && expect > 0.0);

    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(W, 6, d, n, 0, n, 1, &j), MUTINF_OK);
    result r;
    run(j, p, o, &r);
    assert_close(r.tc, expect, 1e-12, 0.0);
    assert_true(r.se == 0.0);
    assert_int_equal(r.n_inf, 0);
    for (int b = 0; b < 6; b++)
        assert_true(r.per[b] == r.tc);
    for (int64_t i = 0; i < K * K; i++)
        assert_close(r.pw[i], pw_expect[i], 1e-12, 1e-13);
    result_free(&r);
    mutinf_jacobians_destroy(j);
    mutinf_lingauss_destroy(model);
    mutinf_partition_destroy(p);
    mutinf_options_destroy(o);
    free(pw_expect);
    free(W);
}

static void test_linear_small(void **state)
{
    (void)state;
    check_linear(8, 16, 2, 0, 0.0, 1);
    check_linear(13, 21, 3, 5, 0.0, 2);
    check_linear(13, 21, 3, 5, 0.25, 3);
}

static void test_linear_medium(void **state)
{
    (void)state;
    check_linear(64, 300, 4, 0, 0.0, 4); /* two input chunks */
    check_linear(90, 120, 5, 9, 0.0, 5);
}

static void test_linear_large(void **state)
{
    (void)state;
    int q = test_quick();
    check_linear(q ? 170 : 220, q ? 200 : 300, 5, 0, 0.0, 6); /* BLAS path */
    check_linear(q ? 175 : 230, q ? 180 : 250, 4, 11, 0.5, 7);
    check_linear(q ? 170 : 256, q ? 190 : 300, 4, -1, 0.0, 8); /* modules in unit order */
    check_linear(q ? 170 : 256, q ? 190 : 300, 8, -1, 0.2, 9);
    check_linear(40, 50, 3, -1, 0.0, 10);
}

/* Random batch: mean, standard error and pairwise against the long double
 * reference, sample by sample. */
static void check_random(int64_t B, int64_t d, int64_t n, int64_t K, int64_t skip, double noise,
                         uint64_t seed)
{
    double *J = normals((size_t)(B * d * n), seed);
    mutinf_partition *p = interleaved_partition(d, K, skip);
    mutinf_options *o = opts_threads(2);
    assert_status(mutinf_options_set_noise_var(o, noise), MUTINF_OK);
    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(J, B, d, n, d * n, n, 1, &j), MUTINF_OK);
    result r;
    run(j, p, o, &r);
    double *ref = malloc((size_t)B * sizeof *ref);
    double *pw = calloc((size_t)(K * K), sizeof *pw);
    double mean = 0.0;
    for (int64_t b = 0; b < B; b++) {
        ref[b] = tc_ref(J + b * d * n, (int)d, (int)n, noise, p, pw, 1.0 / (double)B);
        assert_close(r.per[b], ref[b], 1e-10, 1e-12);
        mean += ref[b] / (double)B;
    }
    double ss = 0.0;
    for (int64_t b = 0; b < B; b++)
        ss += (ref[b] - mean) * (ref[b] - mean);
    assert_close(r.tc, mean, 1e-10, 1e-12);
    assert_close(r.se, sqrt(ss / (double)(B - 1)) / sqrt((double)B), 1e-8, 1e-12);
    assert_int_equal(r.n_inf, 0);
    for (int64_t i = 0; i < K * K; i++)
        assert_close(r.pw[i], pw[i], 1e-10, 1e-11);
    result_free(&r);
    free(ref);
    free(pw);
    mutinf_jacobians_destroy(j);
    mutinf_partition_destroy(p);
    mutinf_options_destroy(o);
    free(J);
}

static void test_random_reference(void **state)
{
    (void)state;
    check_random(11, 8, 16, 2, 0, 0.0, 10);
    check_random(9, 17, 12, 3, 4, 0.1, 11); /* units > inputs, finite thanks to the noise */
    check_random(5, 40, 70, 4, 7, 0.0, 12);
    if (!test_quick()) check_random(3, 180, 200, 6, 0, 0.0, 13); /* BLAS path */
}

/* Samples scaled by 1e-150 and 1e150 in one batch give the unscaled value;
 * an invertible map within each module leaves TC_b unchanged. */
static void check_invariance(int64_t d, int64_t n, int64_t K)
{
    double *J0 = normals((size_t)(d * n), 20 + (uint64_t)d);
    double *J = malloc((size_t)(7 * d * n) * sizeof *J);
    /* samples 0-2 and 4-6: scaled copies; sample 3: mixed within modules */
    const double scale[7] = {1.0, 1e-150, 1e150, 0.0, 1e-300, 1e300, 0x1p1020};
    for (int s = 0; s < 7; s++)
        for (int64_t i = 0; i < d * n && s != 3; i++)
            J[s * d * n + i] = J0[i] * scale[s];
    mutinf_partition *p = interleaved_partition(d, K, 0);
    /* Sample 3: each module's rows mixed by a random invertible matrix
     * (identity plus a small random part, diagonally dominant). */
    for (int64_t k = 0; k < K; k++) {
        int64_t u[512];
        int64_t dk = module_units(p, k, u, 512);
        double *A = normals((size_t)(dk * dk), 30 + (uint64_t)k);
        for (int64_t a = 0; a < dk; a++)
            for (int64_t b = 0; b < dk; b++)
                A[a * dk + b] = (a == b ? 3.0 : 0.0) + A[a * dk + b] / sqrt((double)dk);
        for (int64_t a = 0; a < dk; a++)
            for (int64_t c = 0; c < n; c++) {
                double s = 0.0;
                for (int64_t b = 0; b < dk; b++)
                    s += A[a * dk + b] * J0[u[b] * n + c];
                J[3 * d * n + u[a] * n + c] = s;
            }
        free(A);
    }
    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(J, 7, d, n, d * n, n, 1, &j), MUTINF_OK);
    result r;
    run(j, p, NULL, &r);
    assert_true(isfinite(r.per[0]) && r.per[0] > 0.0);
    for (int b = 1; b < 7; b++)
        assert_close(r.per[b], r.per[0], 1e-11, 0.0);
    assert_close(r.tc, r.per[0], 1e-11, 0.0);
    /* Entropies shift by log of the scale; MI does not move. */
    int64_t K2 = K * K;
    (void)K2;
    result_free(&r);
    mutinf_jacobians_destroy(j);
    mutinf_partition_destroy(p);
    free(J);
    free(J0);
}

static void test_scale_and_module_maps(void **state)
{
    (void)state;
    check_invariance(8, 16, 2);
    check_invariance(50, 80, 4);
    check_invariance(test_quick() ? 170 : 200, 240, 5); /* BLAS path: direct, then rescaled */
}

/* A batch where det() overflows (C ~ 100 I): the finite value by the long
 * double reference. */
static void test_det_overflow(void **state)
{
    (void)state;
    int d = test_quick() ? 200 : 512, n = d + 40, K = 8, B = 2;
    double *J = normals((size_t)(B * d * n), 40);
    for (int64_t i = 0; i < (int64_t)B * d * n; i++)
        J[i] *= 10.0 / sqrt((double)n) * 1.0;
    /* The determinant itself overflows: its log is far above log(DBL_MAX). */
    double *C = malloc((size_t)(d * d) * sizeof *C);
    cov_ref(J, d, n, 0.0, C);
    assert_true(test_logdet_ref(C, d) > log(DBL_MAX));
    free(C);
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(d, K, &p), MUTINF_OK);
    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(J, B, d, n, d * n, n, 1, &j), MUTINF_OK);
    result r;
    run(j, p, NULL, &r);
    double ref0 = tc_ref(J, d, n, 0.0, p, NULL, 0.0),
           ref1 = tc_ref(J + d * n, d, n, 0.0, p, NULL, 0.0);
    assert_true(isfinite(r.tc));
    assert_close(r.per[0], ref0, 1e-9, 0.0);
    assert_close(r.per[1], ref1, 1e-9, 0.0);
    result_free(&r);
    mutinf_jacobians_destroy(j);
    mutinf_partition_destroy(p);
    free(J);
}

/* units > inputs: +inf per sample and the count; rank-deficient but
 * consistent modules: the finite pseudo-determinant value of the model. */
static void test_rank_rules(void **state)
{
    (void)state;
    const int64_t B = 5, d = 6, n = 4;
    double *J = normals((size_t)(B * d * n), 50);
    int32_t labels[6] = {0, 0, 0, 1, 1, 1};
    mutinf_partition *p = make_partition(labels, d);
    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(J, B, d, n, d * n, n, 1, &j), MUTINF_OK);
    result r;
    run(j, p, NULL, &r);
    assert_true(r.tc == INFINITY && r.se == INFINITY);
    assert_int_equal(r.n_inf, B);
    for (int64_t b = 0; b < B; b++)
        assert_true(r.per[b] == INFINITY);
    assert_true(r.pw[1] == INFINITY && r.pw[2] == INFINITY && isfinite(r.pw[0]));
    result_free(&r);
    /* With noise the value is finite: long double reference. */
    mutinf_options *o = opts_threads(1);
    assert_status(mutinf_options_set_noise_var(o, 0.3), MUTINF_OK);
    run(j, p, o, &r);
    assert_int_equal(r.n_inf, 0);
    for (int64_t b = 0; b < B; b++)
        assert_close(r.per[b], tc_ref(J + b * d * n, (int)d, (int)n, 0.3, p, NULL, 0.0), 1e-11,
                     1e-13);
    result_free(&r);
    mutinf_jacobians_destroy(j);

    /* Mixed: sample 2 alone has units > inputs in effect (its module-1 rows
     * copy module 0's), the others are ordinary. */
    double *J2 = normals((size_t)(B * d * 9), 51);
    for (int64_t c = 0; c < 9; c++)
        for (int64_t i = 0; i < 3; i++)
            J2[2 * d * 9 + (3 + i) * 9 + c] = 2.0 * J2[2 * d * 9 + i * 9 + c];
    assert_status(mutinf_jacobians_wrap(J2, B, d, 9, d * 9, 9, 1, &j), MUTINF_OK);
    run(j, p, NULL, &r);
    assert_int_equal(r.n_inf, 1);
    assert_true(r.per[2] == INFINITY && isfinite(r.per[0]) && isfinite(r.per[4]));
    assert_true(r.tc == INFINITY);
    result_free(&r);
    mutinf_jacobians_destroy(j);

    /* A module of zero rows: rank 0 == 0, finite pseudo-determinant value
     * (the model's), entropy -inf on the diagonal. */
    double *W = normals((size_t)(d * 9), 52);
    for (int64_t c = 0; c < 9; c++)
        W[5 * 9 + c] = 0.0;
    int32_t labels3[6] = {0, 0, 1, 1, 2, 2};
    mutinf_partition *p3 = make_partition(labels3, d);
    mutinf_lingauss *model = NULL;
    assert_status(mutinf_lingauss_create(W, d, 9, 9, 1, NULL, 1, 0.0, &model), MUTINF_OK);
    double expect;
    double pwm[9];
    assert_status(mutinf_lingauss_total_correlation(model, p3, NULL, &expect), MUTINF_OK);
    assert_status(mutinf_lingauss_pairwise(model, p3, NULL, pwm), MUTINF_OK);
    assert_status(mutinf_jacobians_wrap(W, 3, d, 9, 0, 9, 1, &j), MUTINF_OK);
    run(j, p3, NULL, &r);
    assert_true(isfinite(expect));
    assert_close(r.tc, expect, 1e-12, 1e-14);
    assert_int_equal(r.n_inf, 0);
    assert_true(r.pw[8] == -INFINITY);
    for (int i = 0; i < 8; i++)
        assert_close(r.pw[i], pwm[i], 1e-12, 1e-13);
    result_free(&r);
    mutinf_jacobians_destroy(j);
    mutinf_lingauss_destroy(model);
    mutinf_partition_destroy(p3);
    free(W);
    free(J2);
    mutinf_options_destroy(o);
    mutinf_partition_destroy(p);
    free(J);
}

/* Nearly collinear units in two modules (relative distance 1e-5): every
 * pivot passes, the condition number does not, and the sample goes to the
 * SVD rules as the model's covariance does; TC is large but finite. */
static void check_ill_conditioned(int64_t d, int64_t n)
{
    double *W = normals((size_t)(d * n), 56);
    for (int64_t c = 0; c < n; c++)
        W[(d - 1) * n + c] = W[c] + 1e-5 * W[(d - 1) * n + c];
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(d, 2, &p), MUTINF_OK);
    mutinf_lingauss *model = NULL;
    assert_status(mutinf_lingauss_create(W, d, n, n, 1, NULL, 1, 0.0, &model), MUTINF_OK);
    double expect;
    assert_status(mutinf_lingauss_total_correlation(model, p, NULL, &expect), MUTINF_OK);
    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(W, 2, d, n, 0, n, 1, &j), MUTINF_OK);
    result r;
    run(j, p, NULL, &r);
    assert_true(isfinite(expect) && expect > 5.0);
    /* condition ~1e10: both agree with the long double reference to what
     * the conditioning allows */
    double ref = tc_ref(W, (int)d, (int)n, 0.0, p, NULL, 0.0);
    assert_close(r.tc, expect, 1e-6, 0.0);
    assert_close(r.tc, ref, 1e-5, 0.0);
    result_free(&r);
    mutinf_jacobians_destroy(j);
    mutinf_lingauss_destroy(model);
    mutinf_partition_destroy(p);
    free(W);
}

static void test_ill_conditioned(void **state)
{
    (void)state;
    check_ill_conditioned(12, 30);
    check_ill_conditioned(170, 200);
}

/* The same rules on the BLAS path (more than 160 units in modules). */
static void test_rank_rules_large(void **state)
{
    (void)state;
    const int64_t B = 2, d = 165, n = 120;
    double *J = normals((size_t)(B * d * n), 53);
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(d, 3, &p), MUTINF_OK);
    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(J, B, d, n, d * n, n, 1, &j), MUTINF_OK);
    result r;
    run(j, p, NULL, &r);
    assert_int_equal(r.n_inf, B);
    assert_true(r.tc == INFINITY && r.per[0] == INFINITY && r.per[1] == INFINITY);
    result_free(&r);
    mutinf_jacobians_destroy(j);
    /* block-diagonal: exactly 0 */
    double *W = normals((size_t)(d * d), 54);
    for (int64_t i = 0; i < d; i++)
        for (int64_t c = 0; c < d; c++)
            if (i / 55 != c / 55) W[i * d + c] = 0.0;
    assert_status(mutinf_jacobians_wrap(W, B, d, d, 0, d, 1, &j), MUTINF_OK);
    run(j, p, NULL, &r);
    assert_true(r.tc == 0.0 && r.per[1] == 0.0 && r.pw[1] == 0.0);
    result_free(&r);
    mutinf_jacobians_destroy(j);
    mutinf_partition_destroy(p);
    free(W);
    free(J);
}

/* Modules with exactly zero cross-covariance: TC exactly 0, as the model says. */
static void test_uncorrelated_exact_zero(void **state)
{
    (void)state;
    const int64_t d = 9, n = 12;
    double *W = normals((size_t)(d * n), 60);
    int32_t labels[9] = {0, 0, 0, 1, 1, 1, 2, 2, 2};
    for (int64_t i = 0; i < d; i++)
        for (int64_t c = 0; c < n; c++)
            if (c / 4 != labels[i]) W[i * n + c] = 0.0;
    mutinf_partition *p = make_partition(labels, d);
    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(W, 2, d, n, 0, n, 1, &j), MUTINF_OK);
    result r;
    run(j, p, NULL, &r);
    assert_true(r.tc == 0.0 && r.per[0] == 0.0);
    assert_true(r.pw[1] == 0.0 && r.pw[5] == 0.0);
    result_free(&r);
    mutinf_jacobians_destroy(j);
    mutinf_partition_destroy(p);
    free(W);
}

/* per_sample[b] equals a call on sample b alone, bit for bit. */
static void check_single(int64_t B, int64_t d, int64_t n, int64_t K, uint64_t seed)
{
    double *J = normals((size_t)(B * d * n), seed);
    mutinf_partition *p = interleaved_partition(d, K, 6);
    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(J, B, d, n, d * n, n, 1, &j), MUTINF_OK);
    result r;
    run(j, p, NULL, &r);
    for (int64_t b = 0; b < B; b++) {
        mutinf_jacobians *one = NULL;
        assert_status(mutinf_jacobians_wrap(J + b * d * n, 1, d, n, 0, n, 1, &one), MUTINF_OK);
        double tc, se, per;
        int64_t ninf;
        assert_status(mutinf_jacobians_total_correlation(one, p, NULL, &tc, &se, &ninf, &per, NULL),
                      MUTINF_OK);
        assert_bits_equal(&per, &r.per[b], 1);
        assert_bits_equal(&tc, &r.per[b], 1);
        assert_true(isnan(se)); /* one sample: no standard error */
        mutinf_jacobians_destroy(one);
    }
    result_free(&r);
    mutinf_jacobians_destroy(j);
    mutinf_partition_destroy(p);
    free(J);
}

static void test_per_sample_equals_single(void **state)
{
    (void)state;
    check_single(9, 10, 15, 3, 70);
    check_single(6, 33, 40, 4, 71);
    check_single(2, 170, 180, 3, 72);
}

/* Large modules, TC alone: the covariances of a group of samples by the
 * library's own product inside the parallel region, their factorizations
 * after it.  Against the long double reference; bit-identical for 1, 2 and
 * 3 threads, float data and transposed memory; with a sample whose squares
 * underflow (redone with scaled rows: same TC as unscaled) and one where a
 * unit of module 1 repeats a unit of module 0 (+inf).  The full size spans
 * two groups of samples and several column blocks of the product. */
static void test_large_tc_only(void **state)
{
    (void)state;
    const int q = test_quick();
    const int64_t B = q ? 5 : 16, d = q ? 200 : 520, n = 2 * d, K = 4;
    const size_t N = (size_t)(B * d * n);
    double *J = normals(N, 91);
    float *Jf = malloc(N * sizeof *Jf);
    double *Jt = malloc(N * sizeof *Jt);
    for (size_t i = 0; i < N; i++) {
        Jf[i] = (float)J[i];
        J[i] = (double)Jf[i];
    }
    for (int64_t c = 0; c < n; c++) {
        for (int64_t i = 0; i < d; i++) /* sample 1: sample 0 times 2^-700 */
            J[1 * d * n + i * n + c] = 0x1p-700 * J[i * n + c];
        /* sample 2: unit d/K + 5 (module 1) repeats unit 0 (module 0) */
        J[2 * d * n + (d / K + 5) * n + c] = J[2 * d * n + c];
        Jf[2 * d * n + (d / K + 5) * n + c] = Jf[2 * d * n + c];
    }
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < d; i++)
            for (int64_t c = 0; c < n; c++)
                Jt[b * d * n + c * d + i] = J[b * d * n + i * n + c];
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(d, K, &p), MUTINF_OK);
    mutinf_jacobians *jc = NULL, *jf = NULL, *jt = NULL;
    assert_status(mutinf_jacobians_wrap(J, B, d, n, d * n, n, 1, &jc), MUTINF_OK);
    assert_status(mutinf_jacobians_wrap_f32(Jf, B, d, n, d * n, n, 1, &jf), MUTINF_OK);
    assert_status(mutinf_jacobians_wrap(Jt, B, d, n, d * n, 1, d, &jt), MUTINF_OK);
    double *per[5];
    double tc[5];
    int64_t ninf[5];
    const mutinf_jacobians *views[5] = {jc, jc, jc, jf, jt};
    const int32_t threads[5] = {1, 2, 3, 2, 2};
    for (int r = 0; r < 5; r++) {
        mutinf_options *o = opts_threads(threads[r]);
        per[r] = malloc((size_t)B * sizeof *per[r]);
        assert_status(mutinf_jacobians_total_correlation(views[r], p, o, &tc[r], NULL, &ninf[r],
                                                         per[r], NULL),
                      MUTINF_OK);
        mutinf_options_destroy(o);
    }
    for (int r = 1; r < 5; r++) {
        if (r == 3) /* the float batch keeps sample 1 unscaled */
            per[r][1] = per[0][1];
        assert_bits_equal(per[0], per[r], (size_t)B);
    }
    assert_int_equal(ninf[0], 1);
    assert_true(per[0][2] == INFINITY && tc[0] == INFINITY);
    assert_close(per[0][1], per[0][0], 1e-12, 0.0);
    const int64_t check[2] = {0, B - 1};
    for (int i = 0; i < 2; i++) {
        int64_t b = check[i];
        double ref = tc_ref(J + b * d * n, (int)d, (int)n, 0.0, p, NULL, 0.0);
        assert_true(isfinite(ref) && ref > 0.0);
        assert_close(per[0][b], ref, 1e-10, 1e-12);
    }
    for (int r = 0; r < 5; r++)
        free(per[r]);
    mutinf_jacobians_destroy(jc);
    mutinf_jacobians_destroy(jf);
    mutinf_jacobians_destroy(jt);
    mutinf_partition_destroy(p);
    free(J);
    free(Jf);
    free(Jt);
}

/* Float data vs the same values in double; transposed and negative strides
 * vs contiguous; 1 vs 2 threads: bit-identical. */
static void check_layouts(int64_t B, int64_t d, int64_t n, int64_t K, int exact)
{
    size_t N = (size_t)(B * d * n);
    double *J = normals(N, 80 + (uint64_t)d);
    float *Jf = malloc(N * sizeof *Jf);
    for (size_t i = 0; i < N; i++) {
        Jf[i] = (float)J[i];
        J[i] = (double)Jf[i];
    }
    /* (batch, inputs, units) memory, and a reversed batch order. */
    double *Jt = malloc(N * sizeof *Jt);
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < d; i++)
            for (int64_t c = 0; c < n; c++)
                Jt[(B - 1 - b) * d * n + c * d + i] = J[b * d * n + i * n + c];
    mutinf_partition *p = interleaved_partition(d, K, 5);
    mutinf_options *o1 = opts_threads(1), *o2 = opts_threads(2);
    mutinf_jacobians *jc = NULL, *jf = NULL, *jt = NULL, *jneg = NULL;
    assert_status(mutinf_jacobians_wrap(J, B, d, n, d * n, n, 1, &jc), MUTINF_OK);
    assert_status(mutinf_jacobians_wrap_f32(Jf, B, d, n, d * n, n, 1, &jf), MUTINF_OK);
    assert_status(mutinf_jacobians_wrap(Jt + (B - 1) * d * n, B, d, n, -d * n, 1, d, &jt),
                  MUTINF_OK);
    /* negative column stride: reversed inputs (TC is invariant under it) */
    assert_status(mutinf_jacobians_wrap(J + n - 1, B, d, n, d * n, n, -1, &jneg), MUTINF_OK);
    result r1, r2, rf, rt, rn;
    run(jc, p, o1, &r1);
    run(jc, p, o2, &r2);
    run(jf, p, o2, &rf);
    run(jt, p, o2, &rt);
    run(jneg, p, o1, &rn);
    int64_t K2 = K * K;
    assert_bits_equal(r1.per, r2.per, (size_t)B);
    assert_bits_equal(&r1.tc, &r2.tc, 1);
    assert_bits_equal(&r1.se, &r2.se, 1);
    assert_bits_equal(r1.pw, r2.pw, (size_t)K2);
    if (exact) {
        assert_bits_equal(r1.per, rf.per, (size_t)B);
        assert_bits_equal(r1.pw, rf.pw, (size_t)K2);
        assert_bits_equal(r1.per, rt.per, (size_t)B);
        assert_bits_equal(r1.pw, rt.pw, (size_t)K2);
    } else {
        for (int64_t b = 0; b < B; b++) {
            assert_close(rf.per[b], r1.per[b], 1e-12, 1e-14);
            assert_close(rt.per[b], r1.per[b], 1e-12, 1e-14);
        }
    }
    for (int64_t b = 0; b < B; b++)
        assert_close(rn.per[b], r1.per[b], 1e-12, 1e-14);
    result_free(&r1);
    result_free(&r2);
    result_free(&rf);
    result_free(&rt);
    result_free(&rn);
    mutinf_jacobians_destroy(jc);
    mutinf_jacobians_destroy(jf);
    mutinf_jacobians_destroy(jt);
    mutinf_jacobians_destroy(jneg);
    mutinf_options_destroy(o1);
    mutinf_options_destroy(o2);
    mutinf_partition_destroy(p);
    free(J);
    free(Jf);
    free(Jt);
}

static void test_layouts_precision_threads(void **state)
{
    (void)state;
    check_layouts(test_quick() ? 70 : 203, 8, 16, 2, 1); /* several chunks, ragged */
    check_layouts(37, 30, 50, 3, 1);
    check_layouts(3, 170, 175, 4, 0); /* BLAS path: direct vs packed */
}

/* Bits, strict rank, progress. */
static int32_t count_progress(int64_t done, int64_t total, void *payload)
{
    int64_t *calls = payload;
    assert_true(done >= 1 && done <= total);
    (*calls)++;
    return 0;
}

static int32_t cancel_progress(int64_t done, int64_t total, void *payload)
{
    (void)done;
    (void)total;
    (void)payload;
    return 1;
}

static void test_options(void **state)
{
    (void)state;
    const int64_t B = 7, d = 12, n = 20;
    double *J = normals((size_t)(B * d * n), 90);
    mutinf_partition *p = interleaved_partition(d, 3, 0);
    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(J, B, d, n, d * n, n, 1, &j), MUTINF_OK);
    result nats, bits, strict;
    run(j, p, NULL, &nats);
    mutinf_options *o = opts_threads(2);
    assert_status(mutinf_options_set_bits(o, 1), MUTINF_OK);
    run(j, p, o, &bits);
    assert_close(bits.tc, nats.tc / M_LN2, 1e-15, 0.0);
    assert_close(bits.se, nats.se / M_LN2, 1e-15, 0.0);
    assert_close(bits.pw[1], nats.pw[1] / M_LN2, 1e-15, 0.0);
    assert_status(mutinf_options_set_bits(o, 0), MUTINF_OK);
    assert_status(mutinf_options_set_strict_rank(o, 1), MUTINF_OK);
    int64_t calls = 0;
    assert_status(mutinf_options_set_progress(o, count_progress, &calls), MUTINF_OK);
    run(j, p, o, &strict);
    assert_true(calls >= 1);
    for (int64_t b = 0; b < B; b++)
        assert_close(strict.per[b], nats.per[b], 1e-12, 1e-14);
    for (int i = 0; i < 9; i++)
        assert_close(strict.pw[i], nats.pw[i], 1e-12, 1e-13);
    result_free(&nats);
    result_free(&bits);
    result_free(&strict);
    mutinf_options_destroy(o);
    mutinf_jacobians_destroy(j);
    mutinf_partition_destroy(p);
    free(J);
}

/* ------------------------------------------------------- error statuses */

#define SENTINEL_WRAP 4321.25

static void test_wrap_errors(void **state)
{
    (void)state;
    double J[2 * 3 * 4];
    test_fill_normal(J, 24, 100);
    float Jf[24];
    for (int i = 0; i < 24; i++)
        Jf[i] = (float)J[i];
    mutinf_jacobians *j = (mutinf_jacobians *)J; /* any non-NULL: must become NULL */
    assert_status(mutinf_jacobians_wrap(NULL, 2, 3, 4, 12, 4, 1, &j), MUTINF_ERR_NULL_ARGUMENT);
    assert_null(j);
    assert_status(mutinf_jacobians_wrap(J, 2, 3, 4, 12, 4, 1, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_jacobians_wrap_f32(NULL, 2, 3, 4, 12, 4, 1, &j), MUTINF_ERR_NULL_ARGUMENT);
    j = (mutinf_jacobians *)J;
    assert_status(mutinf_jacobians_wrap(J, 0, 3, 4, 12, 4, 1, &j), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_null(j);
    assert_status(mutinf_jacobians_wrap(J, 2, -1, 4, 12, 4, 1, &j), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_jacobians_wrap(J, 2, 3, 0, 12, 4, 1, &j), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_jacobians_wrap(J, 2, 3, 4, INT64_MAX, 4, 1, &j), MUTINF_ERR_SIZE_OVERFLOW);
    assert_status(mutinf_jacobians_wrap(J, 2, 3, 4, 12, INT64_MIN, 1, &j),
                  MUTINF_ERR_SIZE_OVERFLOW);
    assert_status(mutinf_jacobians_wrap(J, INT64_MAX, 3, 4, 1LL << 40, 4, 1, &j),
                  MUTINF_ERR_SIZE_OVERFLOW);
    assert_null(j);
    /* NaN / Inf are found by the estimator: the message names sample, row
     * and column, and no output is written. */
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(3, 3, &p), MUTINF_OK);
    double tc = SENTINEL_WRAP, per[2] = {SENTINEL_WRAP, SENTINEL_WRAP};
    J[1 * 12 + 2 * 4 + 3] = NAN;
    assert_status(mutinf_jacobians_wrap(J, 2, 3, 4, 12, 4, 1, &j), MUTINF_OK);
    assert_status(mutinf_jacobians_total_correlation(j, p, NULL, &tc, NULL, NULL, per, NULL),
                  MUTINF_ERR_NON_FINITE);
    assert_non_null(strstr(mutinf_last_error_message(), "sample 1, row 2, column 3"));
    assert_true(tc == SENTINEL_WRAP && per[0] == SENTINEL_WRAP && per[1] == SENTINEL_WRAP);
    mutinf_jacobians_destroy(j);
    Jf[0 * 12 + 1 * 4 + 2] = -INFINITY;
    assert_status(mutinf_jacobians_wrap_f32(Jf, 2, 3, 4, 12, 4, 1, &j), MUTINF_OK);
    assert_status(mutinf_jacobians_total_correlation(j, p, NULL, &tc, NULL, NULL, per, NULL),
                  MUTINF_ERR_NON_FINITE);
    assert_non_null(strstr(mutinf_last_error_message(), "sample 0, row 1, column 2"));
    assert_non_null(strstr(mutinf_last_error_message(), "-inf"));
    mutinf_jacobians_destroy(j);
    mutinf_partition_destroy(p);
    /* transposed strides name the logical indices */
    assert_status(mutinf_partition_create_contiguous(4, 2, &p), MUTINF_OK);
    assert_status(mutinf_jacobians_wrap(J, 2, 4, 3, 12, 1, 4, &j), MUTINF_OK);
    assert_status(mutinf_jacobians_total_correlation(j, p, NULL, &tc, NULL, NULL, per, NULL),
                  MUTINF_ERR_NON_FINITE);
    assert_non_null(strstr(mutinf_last_error_message(), "sample 1, row 3, column 2"));
    assert_true(tc == SENTINEL_WRAP && per[0] == SENTINEL_WRAP);
    mutinf_jacobians_destroy(j);
    /* a NaN in a unit of no module is not read */
    int32_t labels[4] = {0, 0, 1, -1};
    mutinf_partition *p3 = NULL;
    assert_status(mutinf_partition_create_from_labels(labels, 4, 1, 0, &p3), MUTINF_OK);
    assert_status(mutinf_jacobians_wrap(J, 2, 4, 3, 12, 1, 4, &j), MUTINF_OK);
    assert_status(mutinf_jacobians_total_correlation(j, p3, NULL, &tc, NULL, NULL, per, NULL),
                  MUTINF_OK);
    assert_true(isfinite(tc));
    mutinf_jacobians_destroy(j);
    mutinf_partition_destroy(p3);
    mutinf_partition_destroy(p);
    /* shape */
    J[1 * 12 + 2 * 4 + 3] = 0.5;
    assert_status(mutinf_jacobians_wrap(J, 2, 3, 4, 12, 4, 1, &j), MUTINF_OK);
    int64_t B = -1, d = -1, n = -1;
    assert_status(mutinf_jacobians_shape(NULL, &B, &d, &n), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_jacobians_shape(j, NULL, &d, &n), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_jacobians_shape(j, &B, NULL, &n), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_jacobians_shape(j, &B, &d, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_true(B == -1 && d == -1 && n == -1);
    assert_status(mutinf_jacobians_shape(j, &B, &d, &n), MUTINF_OK);
    assert_true(B == 2 && d == 3 && n == 4);
    mutinf_jacobians_destroy(j);
    mutinf_jacobians_destroy(NULL);
    /* out of memory */
    mutinf__alloc_fail_after(0);
    j = (mutinf_jacobians *)J;
    assert_status(mutinf_jacobians_wrap(J, 2, 3, 4, 12, 4, 1, &j), MUTINF_ERR_OUT_OF_MEMORY);
    mutinf__alloc_fail_after(-1);
    assert_null(j);
}

#define SENTINEL 12345.5

typedef struct {
    double tc, se, per[70], pw[16];
    int64_t ninf;
} outputs;

static void outputs_reset(outputs *x)
{
    x->tc = x->se = SENTINEL;
    x->ninf = -7;
    for (int i = 0; i < 70; i++)
        x->per[i] = SENTINEL;
    for (int i = 0; i < 16; i++)
        x->pw[i] = SENTINEL;
}

static void assert_untouched(const outputs *x)
{
    assert_true(x->tc == SENTINEL && x->se == SENTINEL && x->ninf == -7);
    for (int i = 0; i < 70; i++)
        assert_true(x->per[i] == SENTINEL);
    for (int i = 0; i < 16; i++)
        assert_true(x->pw[i] == SENTINEL);
}

static mutinf_status call(const mutinf_jacobians *j, const mutinf_partition *p,
                          const mutinf_options *o, outputs *x)
{
    return mutinf_jacobians_total_correlation(j, p, o, &x->tc, &x->se, &x->ninf, x->per, x->pw);
}

static void check_tc_errors(int64_t B, int64_t d, int64_t n, uint64_t seed, int strict_oom)
{
    double *J = normals((size_t)(B * d * n), seed);
    mutinf_partition *p = interleaved_partition(d, 4, 0), *wrong = NULL;
    assert_status(mutinf_partition_create_contiguous(d + 1, 2, &wrong), MUTINF_OK);
    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(J, B, d, n, d * n, n, 1, &j), MUTINF_OK);
    outputs x;
    outputs_reset(&x);
    assert_status(
        mutinf_jacobians_total_correlation(NULL, p, NULL, &x.tc, &x.se, &x.ninf, x.per, x.pw),
        MUTINF_ERR_NULL_ARGUMENT);
    assert_status(
        mutinf_jacobians_total_correlation(j, NULL, NULL, &x.tc, &x.se, &x.ninf, x.per, x.pw),
        MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_jacobians_total_correlation(j, p, NULL, NULL, &x.se, &x.ninf, x.per, x.pw),
                  MUTINF_ERR_NULL_ARGUMENT);
    assert_untouched(&x);
    assert_status(call(j, wrong, NULL, &x), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_non_null(strstr(mutinf_last_error_message(), "units"));
    assert_untouched(&x);
    /* cancellation */
    mutinf_options *o = opts_threads(2);
    assert_status(mutinf_options_set_progress(o, cancel_progress, NULL), MUTINF_OK);
    assert_status(call(j, p, o, &x), MUTINF_ERR_CANCELLED);
    assert_untouched(&x);
    assert_status(mutinf_options_set_progress(o, NULL, NULL), MUTINF_OK);
    /* every allocation failing in turn (one thread: the hook is not thread-safe) */
    assert_status(mutinf_options_set_threads(o, 1), MUTINF_OK);
    for (int strict = 0; strict <= strict_oom; strict++) {
        assert_status(mutinf_options_set_strict_rank(o, strict), MUTINF_OK);
        int reached_ok = 0;
        for (long k = 0; k < 4000 && !reached_ok; k++) {
            mutinf__alloc_fail_after(k);
            mutinf_status st = call(j, p, o, &x);
            mutinf__alloc_fail_after(-1);
            if (st == MUTINF_OK) {
                reached_ok = 1;
            } else {
                assert_status(st, MUTINF_ERR_OUT_OF_MEMORY);
                assert_untouched(&x);
            }
        }
        assert_true(reached_ok);
        outputs_reset(&x);
    }
    assert_status(mutinf_options_set_strict_rank(o, 0), MUTINF_OK);
    /* NaN / Inf in the data, on every path */
    char expect[96];
    snprintf(expect, sizeof expect, "data[sample %lld, row 1, column 3] = ", (long long)(B - 1));
    for (int strict = 0; strict <= 1; strict++) {
        assert_status(mutinf_options_set_strict_rank(o, strict), MUTINF_OK);
        J[(B - 1) * d * n + n + 3] = NAN;
        assert_status(call(j, p, o, &x), MUTINF_ERR_NON_FINITE);
        assert_untouched(&x);
        assert_non_null(strstr(mutinf_last_error_message(), expect));
        J[(B - 1) * d * n + n + 3] = INFINITY;
        assert_status(call(j, p, o, &x), MUTINF_ERR_NON_FINITE);
        assert_untouched(&x);
        assert_non_null(strstr(mutinf_last_error_message(), expect));
        J[(B - 1) * d * n + n + 3] = 0.0;
    }
    assert_status(mutinf_options_set_strict_rank(o, 0), MUTINF_OK);
    /* NULL optional outputs are fine */
    double tc = SENTINEL;
    assert_status(mutinf_jacobians_total_correlation(j, p, o, &tc, NULL, NULL, NULL, NULL),
                  MUTINF_OK);
    assert_true(isfinite(tc));
    mutinf_options_destroy(o);
    mutinf_jacobians_destroy(j);
    mutinf_partition_destroy(p);
    mutinf_partition_destroy(wrong);
    free(J);
}

static void test_tc_errors(void **state)
{
    (void)state;
    /* in-library path, several chunks; BLAS path (its SVDs are slow under valgrind) */
    check_tc_errors(test_quick() ? 9 : 70, 12, 20, 110, 1);
    check_tc_errors(2, 165, 170, 111, !test_quick());
}

/* ------------------------------------------- lane kernels and group path */

/* ||A^-1||_1 of the n x n row-major A (n <= 32) by Gauss-Jordan with
 * partial pivoting in long double. */
static long double inv_norm1_ref(const long double *A, int n)
{
    long double a[32][64];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 2 * n; j++)
            a[i][j] = j < n ? A[i * n + j] : (j - n == i ? 1.0L : 0.0L);
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++)
            if (fabsl(a[r][c]) > fabsl(a[piv][c])) piv = r;
        for (int j = 0; j < 2 * n; j++) {
            long double t = a[c][j];
            a[c][j] = a[piv][j];
            a[piv][j] = t;
        }
        for (int r = 0; r < n; r++) {
            if (r == c) continue;
            long double f = a[r][c] / a[c][c];
            for (int j = 0; j < 2 * n; j++)
                a[r][j] -= f * a[c][j];
        }
    }
    long double best = 0.0L;
    for (int j = 0; j < n; j++) {
        long double s = 0.0L;
        for (int i = 0; i < n; i++)
            s += fabsl(a[i][n + j] / a[i][i]);
        best = s > best ? s : best;
    }
    return best;
}

/* The comparison-matrix bound bounds ||A^-1||_1 of A = L L^T from above
 * (long double reference from the computed L) and Hager's estimate from
 * above, for conditions from 1 to 1e14; a lane with a negative pivot
 * gives NaN. */
static void test_inv_norm_bound(void **state)
{
    (void)state;
    enum { L4 = 4 };
    int sure_lanes = 0, total_lanes = 0;
    /* orders around the factorization's blocks of four and two columns
     * and the bound's four partial sums */
    static const int orders[] = {1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 19, 30};
    for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
        const int n = orders[o];
        for (int trial = 0; trial < 6; trial++) {
            /* lane q: J J^T of an n x n J with singular values spread over
             * 10^(-trial-q/2) .. 1, rows mixed */
            double *src = calloc((size_t)(n * n * L4), sizeof *src);
            double *l = calloc((size_t)(n * n * L4), sizeof *l);
            double *dd = calloc((size_t)(n * L4), sizeof *dd);
            double *work = calloc((size_t)(3 * n * L4), sizeof *work);
            long double *A = malloc((size_t)(n * n) * sizeof *A);
            double bound[L4], est[L4];
            for (int q = 0; q < L4; q++) {
                double *G = normals((size_t)(n * n), 500 + (uint64_t)(n * 40 + trial * 4 + q));
                double *J = malloc((size_t)(n * n) * sizeof *J);
                for (int i = 0; i < n; i++)
                    for (int k = 0; k < n; k++)
                        J[i * n + k] = G[i * n + k] * pow(10.0, -(trial + 0.5 * q) * (double)k / n);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j <= i; j++) {
                        long double t = 0.0L;
                        for (int k = 0; k < n; k++)
                            t += (long double)J[i * n + k] * J[j * n + k];
                        src[(i * n + j) * L4 + q] = (double)t + (i == j ? 1e-300 : 0.0);
                    }
                free(G);
                free(J);
            }
            mutinf__jac_chol_lanes(n, src, n, NULL, l, dd);
            mutinf__jac_inv_norm1_bound_lanes(n, l, work, bound);
            mutinf__jac_inv_norm1_lanes(n, l, work, est);
            /* the estimator's shortcut: a lane that passes the rule with
             * the bound and a factor 2 passes it with Hager's estimate */
            double anorm[L4];
            mutinf__jac_norm1_lanes(n, src, n, anorm);
            const double min_rcond = mutinf__chol_min_rcond(0.0, n);
            for (int q = 0; q < L4; q++) {
                if (!(1.0 / (anorm[q] * bound[q]) > 2.0 * min_rcond)) continue;
                assert_true(1.0 / (anorm[q] * est[q]) > min_rcond);
                sure_lanes++;
            }
            for (int q = 0; q < L4; q++) {
                int pos = 1;
                for (int i = 0; i < n; i++)
                    pos &= dd[i * L4 + q] > 0.0;
                if (!pos) {
                    assert_true(isnan(bound[q]));
                    continue;
                }
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) {
                        long double t = 0.0L;
                        for (int p = 0; p <= (i < j ? i : j); p++)
                            t += (long double)l[(i * n + p) * L4 + q] * l[(j * n + p) * L4 + q];
                        A[i * n + j] = t;
                    }
                /* the factor reproduces the matrix: L L^T = A */
                for (int i = 0; i < n; i++)
                    for (int j = 0; j <= i; j++)
                        assert_close(
                            (double)A[i * n + j], src[(i * n + j) * L4 + q], 1e-13,
                            1e-13 * sqrt(src[(i * n + i) * L4 + q] * src[(j * n + j) * L4 + q]));
                long double exact = inv_norm1_ref(A, n);
                total_lanes++;
                /* The reference carries a relative error ~ kappa eps_ld (eps_ld
                 * is DBL_EPSILON where long double is emulated as double, as
                 * under valgrind); compared up to kappa ~ 1e10. */
                assert_true(isfinite(bound[q]));
                assert_true(bound[q] * (1.0 + 1e-12 + 1e-14 * bound[q]) >= est[q]);
                if (exact < 1e10L) {
                    assert_true((long double)bound[q] * (1.0L + 1e-12L + 1e-13L * exact) >= exact);
                    assert_true((long double)est[q] <= exact * (1.0L + 1e-6L + 1e-13L * exact));
                }
            }
            /* a negative pivot in lane 2 */
            for (int i = 0; i < n; i++)
                src[(i * n + i) * L4 + 2] = -1.0;
            mutinf__jac_chol_lanes(n, src, n, NULL, l, dd);
            mutinf__jac_inv_norm1_bound_lanes(n, l, work, bound);
            assert_true(isnan(bound[2]));
            free(src);
            free(l);
            free(dd);
            free(work);
            free(A);
        }
    }
    /* both sides of the threshold are covered */
    assert_true(sure_lanes > 10 && sure_lanes < total_lanes - 10);
}

/* A batch of 8 x 16 samples whose condition numbers sweep the acceptance
 * threshold (1e2 .. 1e14): the default call (the lane kernels with the
 * cheap bound, Hager's steps for borderline groups) agrees with the
 * careful path (strict_rank: every sample through the SVD rules) and with
 * the long double reference, and with a coarse rank tolerance both give
 * +inf for the same samples.  Row-scaled and odd-count groups included. */
static void check_borderline(int64_t d, int64_t n, int64_t K, int64_t B)
{
    double *J = malloc((size_t)(B * d * n) * sizeof *J);
    for (int64_t b = 0; b < B; b++) {
        double *G = normals((size_t)(d * n), 900 + (uint64_t)b);
        /* one direction of row space shrunk by 10^-(b/2): C's condition ~10^b */
        double shrink = pow(10.0, -0.5 * (double)(b % 15));
        for (int64_t i = 0; i < d; i++)
            for (int64_t k = 0; k < n; k++) {
                double x = G[i * n + k];
                if (i == d - 1) x = G[k] + shrink * x; /* last unit ~ first unit */
                J[(b * d + i) * n + k] = x * (b % 7 == 3 ? 1e-170 : 1.0);
            }
        free(G);
    }
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(d, K, &p), MUTINF_OK);
    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(J, B, d, n, d * n, n, 1, &j), MUTINF_OK);
    mutinf_options *strict = opts_threads(2);
    assert_status(mutinf_options_set_strict_rank(strict, 1), MUTINF_OK);
    result fast, careful;
    run(j, p, NULL, &fast);
    run(j, p, strict, &careful);
    for (int64_t b = 0; b < B; b++) {
        double ref = tc_ref(J + b * d * n, (int)d, (int)n, 0.0, p, NULL, 0.0);
        double cond = pow(10.0, (double)(b % 15));
        assert_int_equal(isinf(fast.per[b]) != 0, isinf(careful.per[b]) != 0);
        if (isinf(fast.per[b])) continue;
        assert_close(fast.per[b], careful.per[b], 1e-15 * cond + 1e-13, 1e-13);
        /* the reference is only double where long double is emulated */
        if (b % 7 != 3) assert_close(fast.per[b], ref, 1e-13 * cond + 1e-12, 1e-12);
    }
    result_free(&fast);
    result_free(&careful);
    /* rank_tol 1e-7: rcond threshold 1e-5; samples with C nearly singular
     * at that tolerance are +inf on both paths */
    mutinf_options *coarse = opts_threads(2), *coarse_strict = opts_threads(1);
    assert_status(mutinf_options_set_rank_tol(coarse, 1e-7), MUTINF_OK);
    assert_status(mutinf_options_set_rank_tol(coarse_strict, 1e-7), MUTINF_OK);
    assert_status(mutinf_options_set_strict_rank(coarse_strict, 1), MUTINF_OK);
    run(j, p, coarse, &fast);
    run(j, p, coarse_strict, &careful);
    int64_t n_inf = 0;
    for (int64_t b = 0; b < B; b++) {
        assert_int_equal(isinf(fast.per[b]) != 0, isinf(careful.per[b]) != 0);
        n_inf += isinf(fast.per[b]) ? 1 : 0;
        if (!isinf(fast.per[b])) assert_close(fast.per[b], careful.per[b], 1e-6, 1e-9);
    }
    assert_true(n_inf > 0 && n_inf < B);
    result_free(&fast);
    result_free(&careful);
    mutinf_options_destroy(strict);
    mutinf_options_destroy(coarse);
    mutinf_options_destroy(coarse_strict);
    mutinf_jacobians_destroy(j);
    mutinf_partition_destroy(p);
    free(J);
}

static void test_borderline_conditioning(void **state)
{
    (void)state;
    check_borderline(8, 16, 2, 45);
    check_borderline(6, 12, 3, 31);
}

/* The four-sample product of the in-place layout gives the same bits as
 * the packed product of the transposed layout (one sample per call), for
 * every lane of a group, with odd batch tails, a NaN sample reported by
 * index, and samples that need the row scaling in the same group. */
static void test_group_product(void **state)
{
    (void)state;
    const int64_t d = 8, n = 16, B = 23;
    double *J = normals((size_t)(B * d * n), 77);
    for (int64_t i = 0; i < d * n; i++) {
        J[5 * d * n + i] *= 1e200;
        J[10 * d * n + i] *= 1e-200;
    }
    double *Jt = malloc((size_t)(B * d * n) * sizeof *Jt);
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < d; i++)
            for (int64_t k = 0; k < n; k++)
                Jt[(b * n + k) * d + i] = J[(b * d + i) * n + k];
    mutinf_partition *p = interleaved_partition(d, 3, 0);
    mutinf_jacobians *jc = NULL, *jt = NULL;
    assert_status(mutinf_jacobians_wrap(J, B, d, n, d * n, n, 1, &jc), MUTINF_OK);
    assert_status(mutinf_jacobians_wrap(Jt, B, d, n, d * n, 1, d, &jt), MUTINF_OK);
    result rc, rt;
    run(jc, p, NULL, &rc);
    run(jt, p, NULL, &rt);
    assert_bits_equal(rc.per, rt.per, (size_t)B);
    for (int64_t b = 0; b < B; b++)
        if (b != 5 && b != 10)
            assert_close(rc.per[b], tc_ref(J + b * d * n, (int)d, (int)n, 0.0, p, NULL, 0.0), 1e-12,
                         1e-13);
    result_free(&rc);
    result_free(&rt);
    J[(17 * d + 6) * n + 9] = NAN;
    double tc = 0.0;
    assert_status(mutinf_jacobians_total_correlation(jc, p, NULL, &tc, NULL, NULL, NULL, NULL),
                  MUTINF_ERR_NON_FINITE);
    assert_non_null(strstr(mutinf_last_error_message(), "sample 17, row 6, column 9"));
    mutinf_jacobians_destroy(jc);
    mutinf_jacobians_destroy(jt);
    mutinf_partition_destroy(p);
    free(J);
    free(Jt);
}

/* The large-module kernels against naive long double references: the
 * blocked Cholesky factor (an order that leaves partial 4 x 4 blocks in the
 * panel transposes), the solve of the condition estimate, the 1-norm. */
static void test_colmajor_kernels(void **state)
{
    (void)state;
    const int64_t n = 203, lda = 207, k = n + 9;
    double *g = normals((size_t)(n * k), 13);
    double *a = malloc((size_t)(lda * n) * sizeof *a);
    long double *ref = malloc((size_t)(n * n) * sizeof *ref);
    assert_non_null(a);
    assert_non_null(ref);
    for (int64_t j = 0; j < n; j++) /* A = G G^T / k, well conditioned */
        for (int64_t i = 0; i < n; i++) {
            long double s = 0.0L;
            for (int64_t t = 0; t < k; t++)
                s += (long double)g[i * k + t] * g[j * k + t];
            a[i + j * lda] = (double)(s / k);
            ref[i + j * n] = (long double)a[i + j * lda];
        }
    /* 1-norm: largest absolute column sum of the symmetric matrix */
    long double norm_ref = 0.0L;
    for (int64_t j = 0; j < n; j++) {
        long double s = 0.0L;
        for (int64_t i = 0; i < n; i++)
            s += fabsl(ref[i + j * n]);
        norm_ref = s > norm_ref ? s : norm_ref;
    }
    double *sums = malloc((size_t)n * sizeof *sums);
    assert_close(mutinf__jac_norm1_colmajor(n, a, lda, sums), (double)norm_ref, 1e-13, 0.0);
    /* Cholesky, right-looking in long double */
    for (int64_t j = 0; j < n; j++) {
        ref[j + j * n] = sqrtl(ref[j + j * n]);
        for (int64_t i = j + 1; i < n; i++)
            ref[i + j * n] /= ref[j + j * n];
        for (int64_t c = j + 1; c < n; c++)
            for (int64_t i = c; i < n; i++)
                ref[i + c * n] -= ref[i + j * n] * ref[c + j * n];
    }
    const int64_t rows = MUTINF__JAC_ROWS(n);
    double *jp = malloc((size_t)(rows * 64) * sizeof *jp), *zeros = calloc(64, sizeof *zeros);
    const double **rowp = malloc((size_t)rows * sizeof *rowp);
    assert_int_equal(mutinf__jac_chol_colmajor(n, a, lda, jp, rowp, zeros), 0);
    for (int64_t j = 0; j < n; j++)
        for (int64_t i = j; i < n; i++)
            assert_close(a[i + j * lda], (double)ref[i + j * n], 1e-11, 1e-12);
    /* A^-1 y: the residual of the solve against the original matrix */
    double *y = malloc((size_t)n * sizeof *y);
    for (int64_t i = 0; i < n; i++)
        y[i] = g[i] + 0.5;
    mutinf__jac_chol_solve_colmajor(n, a, lda, y);
    for (int64_t i = 0; i < n; i++) {
        long double s = 0.0L;
        for (int64_t j = 0; j < n; j++) {
            long double lij = 0.0L;
            for (int64_t t = 0; t <= (i < j ? i : j); t++)
                lij += ref[i + t * n] * ref[j + t * n];
            s += lij * y[j];
        }
        assert_close((double)s, g[i] + 0.5, 1e-10, 1e-10);
    }
    free(g);
    free(a);
    free(ref);
    free(sums);
    free(jp);
    free(zeros);
    free((void *)rowp);
    free(y);
}

/* The group finishing step and the pivot guards against scalar references
 * (frexp for the exponents). */
static void test_group_finish_and_guards(void **state)
{
    (void)state;
    enum { M = 5, L = MUTINF__JAC_LANES };
    double cl[M * M * L], fac[M * L];
    int exps[L * M], safe[L];
    const double diag[L][M] = {{1.0, 3.0, 0.3, 1e10, 7e-10},
                               {1e-300, 2.0, 2.0, 2.0, 2.0},
                               {0.75, 1.5, 6.0, 1e200, 0.1},
                               {INFINITY, 1.0, 1.0, 1.0, 1.0}};
    for (int run = 0; run < 2; run++) {
        const double noise = run ? 0.25 : 0.0;
        memset(cl, 0, sizeof cl);
        for (int q = 0; q < L; q++)
            for (int u = 0; u < M; u++)
                cl[(u * M + u) * L + q] = diag[q][u];
        mutinf__jac_finish_group(M, cl, noise, 0x1p-900, 0x1p900, exps, fac, safe);
        for (int q = 0; q < L; q++) {
            int ok = 1;
            for (int u = 0; u < M; u++)
                ok &= diag[q][u] >= 0x1p-900 && diag[q][u] <= 0x1p900;
            assert_int_equal(safe[q], ok);
            if (!ok) continue;
            for (int u = 0; u < M; u++) {
                const double x = diag[q][u] + noise;
                assert_true(cl[(u * M + u) * L + q] == x);
                int ex = 0;
                (void)frexp(x, &ex);
                const int e = (int)floor(ex / 2.0);
                assert_int_equal(exps[q * M + u], e);
                assert_true(fac[u * L + q] == ldexp(1.0, -e));
                const double scaled = x * fac[u * L + q] * fac[u * L + q];
                assert_true(scaled >= 0.5 && scaled < 2.0);
            }
        }
    }
    /* scaling with the 1-norm in the same pass, against the scaled entries
     * and column sums computed here */
    {
        enum { N = 7 };
        double *g = normals(N * N * L + N * L, 5), a[N * N * L], f[N * L], sums[N * L], norm[L],
               norm2[L];
        for (int i = 0; i < N * L; i++)
            f[i] = ldexp(1.0, (int)(g[N * N * L + i] * 4.0));
        memcpy(a, g, sizeof a);
        mutinf__jac_scale_lanes(N, a, f, sums, norm);
        for (int q = 0; q < L; q++) {
            long double best = 0.0L;
            for (int j = 0; j < N; j++) {
                long double col = 0.0L;
                for (int i = 0; i < N; i++) {
                    const int r = i > j ? i : j, c = i > j ? j : i;
                    const double x = g[(r * N + c) * L + q] * f[r * L + q] * f[c * L + q];
                    if (i >= j) assert_true(a[(i * N + j) * L + q] == x);
                    col += fabsl((long double)x);
                }
                best = col > best ? col : best;
            }
            assert_close(norm[q], (double)best, 1e-14, 0.0);
        }
        mutinf__jac_norm1_lanes(N, a, N, norm2);
        assert_memory_equal(norm, norm2, sizeof norm);
        free(g);
    }
    /* pivots: lane 0 passes, lane 1 has one pivot at the guard, lane 2 a
     * NaN pivot, lane 3 a zero largest diagonal */
    double d[3 * L], maxd[L] = {4.0, 4.0, 4.0, 0.0};
    for (int u = 0; u < 3; u++)
        for (int q = 0; q < L; q++)
            d[u * L + q] = 1.0;
    d[1 * L + 1] = 0.5 * 4.0 * 0.25;
    d[2 * L + 2] = NAN;
    int ok[L] = {1, 1, 1, 1};
    mutinf__jac_check_pivots(d, 3, maxd, 0.125, ok);
    assert_int_equal(ok[0], 1);
    assert_int_equal(ok[1], 0);
    assert_int_equal(ok[2], 0);
    assert_int_equal(ok[3], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_small),
        cmocka_unit_test(test_linear_medium),
        cmocka_unit_test(test_linear_large),
        cmocka_unit_test(test_random_reference),
        cmocka_unit_test(test_scale_and_module_maps),
        cmocka_unit_test(test_det_overflow),
        cmocka_unit_test(test_rank_rules),
        cmocka_unit_test(test_rank_rules_large),
        cmocka_unit_test(test_ill_conditioned),
        cmocka_unit_test(test_uncorrelated_exact_zero),
        cmocka_unit_test(test_per_sample_equals_single),
        cmocka_unit_test(test_large_tc_only),
        cmocka_unit_test(test_layouts_precision_threads),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_wrap_errors),
        cmocka_unit_test(test_tc_errors),
        cmocka_unit_test(test_inv_norm_bound),
        cmocka_unit_test(test_borderline_conditioning),
        cmocka_unit_test(test_group_product),
        cmocka_unit_test(test_colmajor_kernels),
        cmocka_unit_test(test_group_finish_and_guards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
