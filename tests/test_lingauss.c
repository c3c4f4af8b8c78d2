/* Linear-Gaussian model: closed forms, rank rules, invariances, layouts,
 * concurrency and every failure status. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "linalg.h"
#include "mutinf/mutinf.h"
#include "testutil.h"

static mutinf_partition *labels_partition(const int32_t *labels, int64_t n)
{
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_from_labels(labels, n, 1, 0, &p), MUTINF_OK);
    return p;
}

/* TC of a row-major units x inputs W over `labels`, through the library. */
static double model_tc(const double *w, int64_t units, int64_t inputs, double noise,
                       const int32_t *labels, const mutinf_options *o)
{
    mutinf_lingauss *m = NULL;
    assert_status(mutinf_lingauss_create(w, units, inputs, inputs, 1, NULL, 0, noise, &m),
                  MUTINF_OK);
    mutinf_partition *p = labels_partition(labels, units);
    double tc = NAN;
    assert_status(mutinf_lingauss_total_correlation(m, p, o, &tc), MUTINF_OK);
    mutinf_partition_destroy(p);
    mutinf_lingauss_destroy(m);
    return tc;
}

/* Independent reference: C = W W^T + v I in long double, then
 * TC = 1/2 (sum_k logdet C_k - logdet C_S) by the naive Cholesky of testutil. */
static double reference_tc(const double *w, int units, int inputs, double noise,
                           const int32_t *labels, int k)
{
    double *c = malloc((size_t)units * (size_t)units * sizeof *c);
    int *idx = malloc((size_t)units * sizeof *idx);
    for (int i = 0; i < units; i++)
        for (int j = 0; j < units; j++) {
            long double s = i == j ? noise : 0.0;
            for (int t = 0; t < inputs; t++)
                s += (long double)w[i * inputs + t] * w[j * inputs + t];
            c[i * units + j] = (double)s;
        }
    double *block = malloc((size_t)units * (size_t)units * sizeof *block);
    double sum = 0.0;
    for (int mod = -2; mod < k; mod++) { /* -2: the union of all modules */
        if (mod == -1) continue;
        int m = 0;
        for (int i = 0; i < units; i++)
            if ((mod == -2 && labels[i] >= 0) || labels[i] == mod) idx[m++] = i;
        for (int a = 0; a < m; a++)
            for (int b = 0; b < m; b++)
                block[a * m + b] = c[idx[a] * units + idx[b]];
        double ld = test_logdet_ref(block, m);
        sum += mod == -2 ? -ld : ld;
    }
    free(c);
    free(idx);
    free(block);
    return 0.5 * sum;
}

static void test_bivariate_closed_form(void **state)
{
    (void)state;
    const double rhos[] = {0.0, 0.1, -0.5, 0.9, 0.999999};
    const int32_t labels[] = {0, 1};
    for (size_t r = 0; r < sizeof rhos / sizeof rhos[0]; r++) {
        double rho = rhos[r];
        /* Rows of unequal scale: correlation is rho whatever the scales. */
        double w[2 * 3] = {3.0, 0.0, 0.0, 0.5 * rho, 0.5 * sqrt(1 - rho * rho), 0.0};
        double expected = -0.5 * log1p(-rho * rho);
        assert_close(model_tc(w, 2, 3, 0.0, labels, NULL), expected, 1e-12, 1e-15);
    }
}

static void test_bits(void **state)
{
    (void)state;
    const int32_t labels[] = {0, 1};
    double rho = 0.6, w[4] = {1.0, 0.0, rho, sqrt(1 - rho * rho)};
    mutinf_options *o = NULL;
    assert_status(mutinf_options_create(&o), MUTINF_OK);
    assert_status(mutinf_options_set_bits(o, 1), MUTINF_OK);
    assert_close(model_tc(w, 2, 2, 0.0, labels, o), -0.5 * log1p(-rho * rho) / M_LN2, 1e-12, 0);
    mutinf_options_destroy(o);
}

static void test_independent_blocks_exactly_zero(void **state)
{
    (void)state;
    /* Module 0 = units 0..2 reads inputs 0..3, module 1 = units 3..5 reads 4..7. */
    double w[6 * 8] = {0};
    test_fill_normal(w, 12, 1); /* overwritten below into blocks */
    uint64_t s = 7;
    memset(w, 0, sizeof w);
    for (int i = 0; i < 6; i++)
        for (int t = 0; t < 4; t++)
            w[i * 8 + (i < 3 ? t : 4 + t)] = test_rand_normal(&s);
    const int32_t labels[] = {0, 0, 0, 1, 1, 1};
    double tc = model_tc(w, 6, 8, 0.0, labels, NULL);
    assert_true(tc == 0.0);

    mutinf_lingauss *m = NULL;
    mutinf_partition *p = labels_partition(labels, 6);
    assert_status(mutinf_lingauss_create(w, 6, 8, 8, 1, NULL, 0, 0.0, &m), MUTINF_OK);
    double pw[4];
    assert_status(mutinf_lingauss_pairwise(m, p, NULL, pw), MUTINF_OK);
    assert_true(pw[1] == 0.0 && pw[2] == 0.0);
    mutinf_partition_destroy(p);
    mutinf_lingauss_destroy(m);
}

static void test_duplicated_unit_is_infinite(void **state)
{
    (void)state;
    double w[4 * 6];
    test_fill_normal(w, 24, 3);
    memcpy(w + 3 * 6, w, 6 * sizeof *w); /* unit 3 == unit 0 */
    const int32_t labels[] = {0, 0, 1, 1};
    mutinf_options *o = NULL;
    assert_status(mutinf_options_create(&o), MUTINF_OK);
    assert_true(isinf(model_tc(w, 4, 6, 0.0, labels, NULL)));
    assert_status(mutinf_options_set_strict_rank(o, 1), MUTINF_OK);
    assert_true(isinf(model_tc(w, 4, 6, 0.0, labels, o)));
    /* Noise makes the copy imperfect: finite, and equal to the reference. */
    double tc = model_tc(w, 4, 6, 0.25, labels, NULL);
    assert_true(isfinite(tc));
    assert_close(tc, reference_tc(w, 4, 6, 0.25, labels, 2), 1e-12, 1e-14);
    mutinf_options_destroy(o);

    /* 200 units: the copy's null vector e_0 - e_55 is orthogonal to the
     * condition estimate's first probe (all ones); the pivot guard still
     * sends the matrix to the SVD. */
    enum { D = 200, N = 400 };
    double *big = malloc((size_t)D * N * sizeof *big);
    int32_t *lab = malloc((size_t)D * sizeof *lab);
    test_fill_normal(big, (size_t)D * N, 4);
    memcpy(big + 55 * N, big, N * sizeof *big); /* unit 55 (module 1) == unit 0 */
    for (int i = 0; i < D; i++)
        lab[i] = i / 50;
    assert_true(model_tc(big, D, N, 0.0, lab, NULL) == INFINITY);
    free(big);
    free(lab);
}

static void test_more_units_than_inputs(void **state)
{
    (void)state;
    /* 4 units of 3 inputs: rank C = 3 < 2 + 2 = r1. */
    double w[4 * 3];
    test_fill_normal(w, 12, 5);
    const int32_t labels[] = {0, 0, 1, 1};
    assert_true(isinf(model_tc(w, 4, 3, 0.0, labels, NULL)) &&
                model_tc(w, 4, 3, 0.0, labels, NULL) > 0);

    /* r0 == r1 < d: u1 = 2 u0 inside module 0, module 1 = u2 = (c, s).
     * By hand: pdet C_A = 1 + 4 = 5, C_B = c^2 + s^2, and the rank-2 C_S has
     * pdet = sum of its principal 2x2 minors = 0 + s^2 + 4 s^2 = 5 s^2, so
     * TC = 1/2 ln(5 (c^2 + s^2) / (5 s^2)) = 1/2 ln((c^2 + s^2) / s^2). */
    const double c = 0.8, sn = 0.3;
    double w2[3 * 2] = {1.0, 0.0, 2.0, 0.0, c, sn};
    const int32_t labels2[] = {0, 0, 1};
    double expected = 0.5 * log((c * c + sn * sn) / (sn * sn));
    assert_close(model_tc(w2, 3, 2, 0.0, labels2, NULL), expected, 1e-12, 0);
    mutinf_options *o = NULL;
    assert_status(mutinf_options_create(&o), MUTINF_OK);
    assert_status(mutinf_options_set_strict_rank(o, 1), MUTINF_OK);
    assert_close(model_tc(w2, 3, 2, 0.0, labels2, o), expected, 1e-12, 0);
    mutinf_options_destroy(o);
}

/* The big invariance test: scaling by 1e-150 / 1e150 and an invertible map
 * inside each module leave TC unchanged, where det() itself overflows. */
static void test_invariance_large_model(void **state)
{
    (void)state;
    const int d = test_quick() ? 96 : 512, n = d + d / 4, k = 8, ms = d / k;
    double *w = malloc((size_t)d * n * sizeof *w);
    double *w2 = malloc((size_t)d * n * sizeof *w2);
    int32_t *labels = malloc((size_t)d * sizeof *labels);
    test_fill_normal(w, (size_t)d * n, 11);
    /* Correlate the modules through a shared component. */
    for (int i = 0; i < d; i++) {
        labels[i] = i / ms;
        for (int t = 0; t < 8; t++)
            w[i * n + t] *= 4.0;
    }
    double base = model_tc(w, d, n, 0.0, labels, NULL);
    double ref = reference_tc(w, d, n, 0.0, labels, k);
    assert_true(isfinite(base) && base > 0.1);
    assert_close(base, ref, 1e-9, 0);
    /* det(C) is beyond double range here: the log-determinant is ~ d ln n. */
    if (!test_quick()) assert_true(0.5 * d * log((double)n) > 709.0);

    const double scales[] = {1e-150, 1e150};
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < (size_t)d * n; i++)
            w2[i] = w[i] * scales[s];
        assert_close(model_tc(w2, d, n, 0.0, labels, NULL), base, 1e-10, 0);
    }
    /* Invertible map inside each module: unit-lower-triangular mix of rows. */
    memcpy(w2, w, (size_t)d * n * sizeof *w);
    for (int i = 0; i < d; i++)
        if (i % ms != 0)
            for (int t = 0; t < n; t++)
                w2[i * n + t] += 0.7 * w2[(i - 1) * n + t] * (i % 3 ? 1.0 : -2.0);
    assert_close(model_tc(w2, d, n, 0.0, labels, NULL), base, 1e-9, 0);
    free(w);
    free(w2);
    free(labels);
}

/* A partition of every unit, in unit order or not, takes its joint
 * log-determinant from the factorization made at creation (a 300 x 300
 * joint block, modules of 150 through the unblocked path); strict_rank
 * takes the general path.  All against the long double reference. */
static void test_joint_factor_paths(void **state)
{
    (void)state;
    const int d = 300, n = 360, half = d / 2;
    double *w = malloc((size_t)d * n * sizeof *w);
    int32_t *in_order = malloc((size_t)d * sizeof *in_order);
    int32_t *swapped = malloc((size_t)d * sizeof *swapped);
    test_fill_normal(w, (size_t)d * n, 91);
    for (int i = 0; i < d; i++) {
        in_order[i] = i / half;
        swapped[i] = 1 - i / half;
        for (int t = 0; t < 4; t++)
            w[i * n + t] *= 3.0; /* shared components: TC well above 0 */
    }
    double ref = reference_tc(w, d, n, 0.5, in_order, 2);
    assert_true(ref > 0.1);
    assert_close(model_tc(w, d, n, 0.5, in_order, NULL), ref, 1e-10, 0);
    assert_close(model_tc(w, d, n, 0.5, swapped, NULL), ref, 1e-10, 0);
    mutinf_options *o = NULL;
    assert_status(mutinf_options_create(&o), MUTINF_OK);
    assert_status(mutinf_options_set_strict_rank(o, 1), MUTINF_OK);
    assert_close(model_tc(w, d, n, 0.5, in_order, o), ref, 1e-10, 0);
    mutinf_options_destroy(o);
    /* the pairwise matrix of two modules: its off-diagonal is the TC */
    mutinf_lingauss *m = NULL;
    assert_status(mutinf_lingauss_create(w, d, n, n, 1, NULL, 0, 0.5, &m), MUTINF_OK);
    mutinf_partition *p = labels_partition(in_order, d);
    double pw[4];
    assert_status(mutinf_lingauss_pairwise(m, p, NULL, pw), MUTINF_OK);
    assert_close(pw[1], ref, 1e-10, 0);
    assert_close(pw[2], ref, 1e-10, 0);
    mutinf_partition_destroy(p);
    mutinf_lingauss_destroy(m);
    free(w);
    free(in_order);
    free(swapped);
}

/* Two nearly equal units in two modules, in unit order: the factorization
 * made at creation is too ill-conditioned to be accepted (reciprocal
 * condition ~ 1e-10), so the SVD decides.  At the default tolerance both
 * units count and TC = -1/2 ln(1 - rho^2); at rank_tol 1e-6 the joint rank
 * drops and TC = +inf. */
static void test_joint_factor_rejected(void **state)
{
    (void)state;
    enum { N = 5 };
    double w[2 * N];
    test_fill_normal(w, N, 17);
    for (int t = 0; t < N; t++)
        w[N + t] = w[t] + (t == 2 ? 1e-5 : 0.0);
    long double c00 = 0, c01 = 0, c11 = 0;
    for (int t = 0; t < N; t++) {
        c00 += (long double)w[t] * w[t];
        c01 += (long double)w[t] * w[N + t];
        c11 += (long double)w[N + t] * w[N + t];
    }
    /* 1 - rho^2 = det / (c00 c11); with w1 = w0 + e u2, Lagrange's identity
     * gives det = c00 c11 - c01^2 = e^2 (|w0|^2 - w0_2^2), free of
     * cancellation. */
    long double e = 1e-5L, det = e * e * (c00 - (long double)w[2] * w[2]);
    double expected = (double)(-0.5L * logl(det / (c00 * c11)));
    const int32_t labels[] = {0, 1};
    assert_close(model_tc(w, 2, N, 0.0, labels, NULL), expected, 1e-6, 0);
    mutinf_options *o = NULL;
    assert_status(mutinf_options_create(&o), MUTINF_OK);
    assert_status(mutinf_options_set_rank_tol(o, 1e-6), MUTINF_OK);
    double tc = model_tc(w, 2, N, 0.0, labels, o);
    assert_true(isinf(tc) && tc > 0);
    mutinf_options_destroy(o);
}

/* The tiled lower-to-upper copy (4 x 4 register blocks where AVX2 runs,
 * element copies for the diagonal blocks and the last n % 4 rows) against
 * the plain double loop, with a leading dimension beyond n, on orders of
 * every residue mod 4 and not multiples of the tile. */
static void test_symmetrize_lower(void **state)
{
    (void)state;
    const int64_t orders[] = {1, 2, 3, 4, 5, 7, 8, 33, 64, 150, 151, 153};
    for (size_t o = 0; o < sizeof orders / sizeof *orders; o++) {
        const int64_t n = orders[o], ld = n + 3;
        double *a = malloc((size_t)(ld * n) * sizeof *a), *b = malloc((size_t)(ld * n) * sizeof *b);
        test_fill_normal(a, (size_t)(ld * n), 5 + o);
        memcpy(b, a, (size_t)(ld * n) * sizeof *a);
        mutinf__symmetrize_lower(n, a, ld);
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = j + 1; i < n; i++)
                b[j + i * ld] = b[i + j * ld];
        assert_memory_equal(a, b, (size_t)(ld * n) * sizeof *a);
        free(a);
        free(b);
    }
}

/* The halved product against a long double loop, both layouts, on orders
 * around and above MUTINF__SYRK_LEAF (one and two levels of halving, a
 * split not at half), with leading dimensions beyond the minimum, beta
 * on an existing C and the strictly upper triangle left untouched. */
static void test_syrk_halved(void **state)
{
    (void)state;
    const int64_t orders[] = {1, 2, 7, 300, MUTINF__SYRK_LEAF, MUTINF__SYRK_LEAF + 1, 1100};
    const int64_t k = 5;
    const double alpha = 0.75, beta = -0.5;
    for (size_t o = 0; o < sizeof orders / sizeof *orders; o++)
        for (int t = 0; t < 2; t++) {
            const int64_t n = orders[o], ldc = n + 3;
            const char trans = t ? 'T' : 'N';
            /* 'N': A is n x k; 'T': A is k x n */
            const int64_t lda = (t ? k : n) + 2, cols = t ? n : k;
            double *a = malloc((size_t)(lda * cols) * sizeof *a);
            double *c = malloc((size_t)(ldc * n) * sizeof *c);
            double *c0 = malloc((size_t)(ldc * n) * sizeof *c0);
            test_fill_normal(a, (size_t)(lda * cols), 31 + (uint64_t)o);
            test_fill_normal(c0, (size_t)(ldc * n), 47 + (uint64_t)o);
            memcpy(c, c0, (size_t)(ldc * n) * sizeof *c);
            assert_status(mutinf__syrk(trans, n, k, alpha, a, lda, beta, c, ldc), MUTINF_OK);
            for (int64_t j = 0; j < n; j++)
                for (int64_t i = 0; i < ldc; i++) {
                    double got = c[i + j * ldc];
                    if (i < j || i >= n) {
                        assert_true(got == c0[i + j * ldc]);
                        continue;
                    }
                    long double s = 0.0L, mag = 0.0L;
                    for (int64_t q = 0; q < k; q++) {
                        long double x = t ? a[q + i * lda] : a[i + q * lda];
                        long double y = t ? a[q + j * lda] : a[j + q * lda];
                        s += x * y;
                        mag += fabsl(x * y);
                    }
                    long double want = alpha * s + beta * (long double)c0[i + j * ldc];
                    mag = alpha * mag + fabsl(beta * (long double)c0[i + j * ldc]);
                    assert_close(got, (double)want, 0, 1e-14 * (double)mag);
                }
            free(a);
            free(c);
            free(c0);
        }
    double one = 1.0;
    assert_status(mutinf__syrk('N', 0, 3, 1.0, &one, 1, 0.0, &one, 1), MUTINF_OK);
    assert_true(one == 1.0);
    assert_status(mutinf__syrk('N', (int64_t)INT32_MAX + 1, 1, 1.0, &one, 1, 0.0, &one, 1),
                  MUTINF_ERR_SIZE_OVERFLOW);
}

/* L L^T = A by a plain long double Cholesky, L row-major n x n (lower),
 * read from A's lower triangle (column-major, ld) or, with `upper`, from
 * its upper triangle; the smallest squared pivot and 2 sum log pivot go
 * to *min2 and *logdet when they are not NULL. */
static void ref_cholesky(int n, const double *a, int ld, int upper, long double *l,
                         long double *min2, long double *logdet)
{
    if (min2 != NULL) *min2 = INFINITY;
    if (logdet != NULL) *logdet = 0.0L;
    for (int j = 0; j < n; j++) {
        long double d = a[j + j * ld];
        for (int q = 0; q < j; q++)
            d -= l[j * n + q] * l[j * n + q];
        if (min2 != NULL) *min2 = fminl(*min2, d);
        if (logdet != NULL) *logdet += logl(d);
        l[j * n + j] = sqrtl(d);
        for (int i = j + 1; i < n; i++) {
            long double v = upper ? a[j + i * ld] : a[i + j * ld];
            for (int q = 0; q < j; q++)
                v -= l[i * n + q] * l[j * n + q];
            l[i * n + j] = v / l[j * n + j];
        }
    }
}

/* Solves A z = 1 for the n x n symmetric positive definite A (lower
 * triangle, column-major, ld) by ref_cholesky(); returns the smallest
 * squared pivot and 2 sum log pivot in *min2 and *logdet. */
static void ref_chol_solve_ones(int n, const double *a, int ld, long double *z, long double *min2,
                                long double *logdet)
{
    long double *l = malloc((size_t)n * (size_t)n * sizeof *l);
    ref_cholesky(n, a, ld, 0, l, min2, logdet);
    for (int i = 0; i < n; i++) { /* L y = 1 */
        long double v = 1.0L;
        for (int q = 0; q < i; q++)
            v -= l[i * n + q] * z[q];
        z[i] = v / l[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) { /* L^T z = y */
        long double v = z[i];
        for (int q = i + 1; q < n; q++)
            v -= l[q * n + i] * z[q];
        z[i] = v / l[i * n + i];
    }
    free(l);
}

/* The factorization beside C against a long double reference, on orders
 * not multiples of the copy's tiles, with padding rows (ld > n).  C is a
 * symmetric diagonally dominant M-matrix: A^-1 >= 0 elementwise, so Hager's
 * second probe is exact (||A^-1||_1 = max_i (A^-1 1)_i) and the summary's
 * reciprocal condition must equal 1 / (||A||_1 ||A^-1||_1).  The lower
 * triangle, diagonal and padding stay as they were. */
static void test_chol_beside(void **state)
{
    (void)state;
    const int orders[] = {1, 2, 5, 33, 70, 100};
    for (size_t o = 0; o < sizeof orders / sizeof *orders; o++) {
        const int n = orders[o], ld = n + 3;
        double *a = malloc((size_t)(ld * n) * sizeof *a),
               *a0 = malloc((size_t)(ld * n) * sizeof *a0);
        double *work = malloc(3 * (size_t)n * sizeof *work);
        long double *z = malloc((size_t)n * sizeof *z), *colsum = calloc((size_t)n, sizeof *colsum);
        uint64_t rng = 7 + o;
        for (int j = 0; j < n; j++)
            for (int i = 0; i < ld; i++)
                a[i + j * ld] = i >= n ? 12345.0 : (i < j ? 1e300 : -test_rand_uniform(&rng));
        for (int j = 0; j < n; j++) /* dominance: the diagonal beats its row and column */
            for (int i = j + 1; i < n; i++) {
                colsum[i] += fabs(a[i + j * ld]);
                colsum[j] += fabs(a[i + j * ld]);
            }
        for (int j = 0; j < n; j++) {
            a[j + j * ld] = (double)colsum[j] + 0.5 + test_rand_uniform(&rng);
            colsum[j] += a[j + j * ld];
        }
        long double anorm = 0.0L, inorm = 0.0L, min2, logdet;
        for (int j = 0; j < n; j++)
            anorm = fmaxl(anorm, colsum[j]);
        ref_chol_solve_ones(n, a, ld, z, &min2, &logdet);
        for (int i = 0; i < n; i++)
            inorm = fmaxl(inorm, z[i]);
        memcpy(a0, a, (size_t)(ld * n) * sizeof *a);
        mutinf__chol_summary s;
        mutinf__chol_beside(n, a, ld, work, &s);
        assert_int_equal(s.ok, 1);
        assert_close(s.rcond, (double)(1.0L / (anorm * inorm)), 1e-12, 0);
        assert_close(s.logdet, (double)logdet, 1e-12, 1e-12);
        assert_close(s.min_pivot2, (double)min2, 1e-12, 0);
        double maxd = 0.0;
        for (int j = 0; j < n; j++)
            maxd = fmax(maxd, a0[j + j * ld]);
        assert_true(s.max_diag == maxd);
        for (int j = 0; j < n; j++)
            for (int i = 0; i < ld; i++)
                if (i >= j) assert_true(a[i + j * ld] == a0[i + j * ld]);
        assert_true(mutinf__chol_summary_accepts(&s, 0.0, n));
        free(a);
        free(a0);
        free(work);
        free(z);
        free(colsum);
    }
}

/* The halved Cholesky factorization against a plain long double one, on
 * orders around and above MUTINF__POTRF_LEAF (uneven splits), with padding
 * rows that stay untouched; and the order of the first leading minor that
 * is not positive definite, in the trailing half of a split, as dpotrf. */
static void test_potrf_upper_halved(void **state)
{
    (void)state;
    const int all[] = {1, 7, 300, MUTINF__POTRF_LEAF + 1, 700}, quick[] = {1, 7, 300};
    const int count = test_quick() ? 3 : 5, *orders = test_quick() ? quick : all;
    for (int o = 0; o < count; o++) {
        const int n = orders[o], ld = n + 2, k = n + 4;
        double *b = malloc((size_t)n * (size_t)k * sizeof *b);
        double *a = malloc((size_t)(ld * n) * sizeof *a);
        long double *l = malloc((size_t)n * (size_t)n * sizeof *l);
        test_fill_normal(b, (size_t)n * (size_t)k, 61 + (uint64_t)o);
        for (int j = 0; j < n; j++) /* A = B B^T / k + I, upper triangle and padding */
            for (int i = 0; i < ld; i++) {
                long double v = i == j ? 1.0L : 0.0L;
                for (int q = 0; q < k && i < n; q++)
                    v += (long double)b[i * k + q] * b[j * k + q] / k;
                a[i + j * ld] = i >= n ? -7.0 : (i <= j ? (double)v : NAN);
            }
        ref_cholesky(n, a, ld, 1, l, NULL, NULL); /* L L^T = A in long double, L = U^T */
        assert_int_equal(mutinf__potrf_upper_halved(n, a, ld), 0);
        for (int j = 0; j < n; j++)
            for (int i = 0; i < ld; i++) {
                if (i >= n) assert_true(a[i + j * ld] == -7.0);
                if (i > j || i >= n) continue;
                assert_close(a[i + j * ld], (double)l[j * n + i], 1e-12, 1e-13);
            }
        if (n > MUTINF__POTRF_LEAF) {
            /* C[p][p] far below the sum of squares before it: minor p + 1 fails */
            const int p = n - 50;
            for (int j = 0; j < n; j++)
                for (int i = 0; i <= j; i++)
                    a[i + j * ld] = i == j ? (j == p ? -1.0 : 2.0) : 0.1 / (1 + j - i);
            assert_int_equal(mutinf__potrf_upper_halved(n, a, ld), p + 1);
        }
        assert_int_equal(mutinf__potrf_upper_halved(0, a, ld), 0);
        free(b);
        free(a);
        free(l);
    }
}

static void test_pairwise_matches_reference(void **state)
{
    (void)state;
    const int d = 7, n = 9, k = 3;
    double w[7 * 9];
    test_fill_normal(w, 63, 21);
    const int32_t labels[] = {0, 1, 2, 0, -1, 1, 2};
    mutinf_lingauss *m = NULL;
    mutinf_partition *p = labels_partition(labels, d);
    assert_status(mutinf_lingauss_create(w, d, n, n, 1, NULL, 0, 0.0, &m), MUTINF_OK);
    double pw[9];
    assert_status(mutinf_lingauss_pairwise(m, p, NULL, pw), MUTINF_OK);
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            int32_t pair[7];
            for (int u = 0; u < d; u++)
                pair[u] = labels[u] == i ? 0 : (labels[u] == j ? 1 : -1);
            if (i == j) {
                /* h = 1/2 (d_i ln(2 pi e) + logdet C_i): module i alone as the union. */
                double c[9], rows[3 * 9];
                int mi = 0;
                for (int u = 0; u < d; u++)
                    if (labels[u] == i) memcpy(rows + 9 * mi++, w + u * n, 9 * sizeof *w);
                for (int a = 0; a < mi; a++)
                    for (int b = 0; b < mi; b++) {
                        long double s = 0;
                        for (int t = 0; t < n; t++)
                            s += (long double)rows[a * n + t] * rows[b * n + t];
                        c[a * mi + b] = (double)s;
                    }
                double h = 0.5 * (mi * log(2 * M_PI * M_E) + test_logdet_ref(c, mi));
                assert_close(pw[i * k + i], h, 1e-12, 1e-14);
            } else {
                assert_close(pw[i * k + j], reference_tc(w, d, n, 0.0, pair, 2), 1e-11, 1e-14);
            }
        }
    mutinf_partition_destroy(p);
    mutinf_lingauss_destroy(m);
}

static void test_layouts_and_precisions_agree(void **state)
{
    (void)state;
    enum { D = 5, N = 6, PAD = 9 };
    double w[D * N], wt[N * D], wpad[D * PAD];
    float wf[D * N], bf[D];
    double b[D];
    uint64_t seed = 31;
    for (int i = 0; i < D * N; i++) { /* exactly representable in float */
        wf[i] = (float)test_rand_normal(&seed);
        w[i] = (double)wf[i];
    }
    for (int i = 0; i < D; i++) {
        b[i] = i - 2.0;
        bf[i] = (float)b[i];
        for (int t = 0; t < N; t++) {
            wt[t * D + i] = w[i * N + t];
            wpad[i * PAD + t] = w[i * N + t];
        }
    }
    const int32_t labels[] = {0, 1, 0, 1, 1};
    mutinf_partition *p = labels_partition(labels, D);
    mutinf_lingauss *m[5] = {0};
    assert_status(mutinf_lingauss_create(w, D, N, N, 1, b, 1, 0.1, &m[0]), MUTINF_OK);
    assert_status(mutinf_lingauss_create(wt, D, N, 1, D, b, 1, 0.1, &m[1]), MUTINF_OK);
    assert_status(mutinf_lingauss_create(wpad, D, N, PAD, 1, b, 1, 0.1, &m[2]), MUTINF_OK);
    assert_status(mutinf_lingauss_create_f32(wf, D, N, N, 1, bf, 1, 0.1, &m[3]), MUTINF_OK);
    /* Negative strides: last row first, walking columns backwards. */
    double wrev[D * N];
    for (int i = 0; i < D; i++)
        for (int t = 0; t < N; t++)
            wrev[(D - 1 - i) * N + (N - 1 - t)] = w[i * N + t];
    assert_status(mutinf_lingauss_create(wrev + D * N - 1, D, N, -N, -1, b, 1, 0.1, &m[4]),
                  MUTINF_OK);
    double tc[5], pw[5][4];
    for (int i = 0; i < 5; i++) {
        assert_status(mutinf_lingauss_total_correlation(m[i], p, NULL, &tc[i]), MUTINF_OK);
        assert_status(mutinf_lingauss_pairwise(m[i], p, NULL, pw[i]), MUTINF_OK);
    }
    for (int i = 1; i < 5; i++) {
        assert_close(tc[i], tc[0], 1e-13, 0);
        for (int j = 0; j < 4; j++)
            assert_close(pw[i][j], pw[0][j], 1e-13, 0);
    }
    /* Same samples whatever the layout; the bias shifts y. */
    double y0[3 * D], y1[3 * D], x0[3 * N];
    assert_status(mutinf_lingauss_sample(m[0], 3, 42, x0, y0), MUTINF_OK);
    assert_status(mutinf_lingauss_sample(m[1], 3, 42, NULL, y1), MUTINF_OK);
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < D; i++)
            assert_close(y1[s * D + i], y0[s * D + i], 1e-13, 1e-13);
    for (int i = 0; i < 5; i++)
        mutinf_lingauss_destroy(m[i]);
    mutinf_partition_destroy(p);
}

static void test_sampler(void **state)
{
    (void)state;
    const int n = test_quick() ? 4000 : 40000;
    double w[2 * 3] = {1.0, 0.5, 0.0, -0.3, 0.8, 0.2}, b[2] = {1.0, -2.0};
    mutinf_lingauss *m = NULL;
    assert_status(mutinf_lingauss_create(w, 2, 3, 3, 1, b, 1, 0.5, &m), MUTINF_OK);
    double *x = malloc((size_t)n * 3 * sizeof *x), *y = malloc((size_t)n * 2 * sizeof *y);
    double *y2 = malloc((size_t)n * 2 * sizeof *y2);
    assert_status(mutinf_lingauss_sample(m, n, 9, x, y), MUTINF_OK);
    assert_status(mutinf_lingauss_sample(m, n, 9, NULL, y2), MUTINF_OK);
    assert_memory_equal(y, y2, (size_t)n * 2 * sizeof *y);
    assert_status(mutinf_lingauss_sample(m, n, 10, NULL, y2), MUTINF_OK);
    assert_true(memcmp(y, y2, (size_t)n * 2 * sizeof *y) != 0);
    /* Moments: mean b, covariance W W^T + v I, within 5 standard errors. */
    double mean[2] = {0}, cov[3] = {0};
    for (int s = 0; s < n; s++)
        for (int i = 0; i < 2; i++)
            mean[i] += y[s * 2 + i] / n;
    for (int s = 0; s < n; s++) {
        double a = y[s * 2] - mean[0], c = y[s * 2 + 1] - mean[1];
        cov[0] += a * a / n, cov[1] += a * c / n, cov[2] += c * c / n;
    }
    const double c00 = 1.25 + 0.5, c01 = -0.3 + 0.4, c11 = 0.09 + 0.64 + 0.04 + 0.5;
    double se = 5.0 / sqrt(n);
    assert_close(mean[0], 1.0, 0, se * 2);
    assert_close(mean[1], -2.0, 0, se * 2);
    assert_close(cov[0], c00, 0, se * 2 * c00);
    assert_close(cov[1], c01, 0, se * 2);
    assert_close(cov[2], c11, 0, se * 2 * c11);
    /* Inputs are standard normal. */
    double xm = 0, xv = 0;
    for (int i = 0; i < n * 3; i++)
        xm += x[i] / (n * 3), xv += x[i] * x[i] / (n * 3);
    assert_close(xm, 0.0, 0, se);
    assert_close(xv, 1.0, 0, 2 * se);
    free(x);
    free(y);
    free(y2);
    mutinf_lingauss_destroy(m);
}

typedef struct {
    const mutinf_lingauss *m;
    const mutinf_partition *p;
    double tc, pw[16];
    int ok;
} thread_job;

static void *run_job(void *arg)
{
    thread_job *j = arg;
    j->ok = 1;
    for (int r = 0; r < 20; r++) {
        double tc, pw[16];
        if (mutinf_lingauss_total_correlation(j->m, j->p, NULL, &tc) != MUTINF_OK ||
            mutinf_lingauss_pairwise(j->m, j->p, NULL, pw) != MUTINF_OK)
            j->ok = 0;
        if (r > 0 && (memcmp(&tc, &j->tc, sizeof tc) || memcmp(pw, j->pw, sizeof pw))) j->ok = 0;
        j->tc = tc;
        memcpy(j->pw, pw, sizeof pw);
    }
    return NULL;
}

static void test_concurrent_calls_bit_identical(void **state)
{
    (void)state;
    enum { D = 40, N = 50 };
    double w[D * N];
    test_fill_normal(w, D * N, 77);
    w[3 * N] = w[0]; /* some correlation */
    mutinf_lingauss *m = NULL;
    mutinf_partition *p = NULL;
    assert_status(mutinf_lingauss_create(w, D, N, N, 1, NULL, 0, 0.0, &m), MUTINF_OK);
    assert_status(mutinf_partition_create_contiguous(D, 4, &p), MUTINF_OK);
    thread_job serial = {m, p, 0, {0}, 0};
    run_job(&serial);
    thread_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){m, p, 0, {0}, 0};
        assert_int_equal(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(jobs[i].ok);
        assert_memory_equal(&jobs[i].tc, &serial.tc, sizeof serial.tc);
        assert_memory_equal(jobs[i].pw, serial.pw, sizeof serial.pw);
    }
    mutinf_partition_destroy(p);
    mutinf_lingauss_destroy(m);
}

static void test_create_errors(void **state)
{
    (void)state;
    double w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0, 0};
    mutinf_lingauss *m = (mutinf_lingauss *)&m; /* must be reset to NULL */
    assert_status(mutinf_lingauss_create(NULL, 2, 3, 3, 1, NULL, 0, 0, &m),
                  MUTINF_ERR_NULL_ARGUMENT);
    assert_null(m);
    assert_status(mutinf_lingauss_create(w, 2, 3, 3, 1, NULL, 0, 0, NULL),
                  MUTINF_ERR_NULL_ARGUMENT);
    m = (mutinf_lingauss *)&m;
    assert_status(mutinf_lingauss_create(w, 0, 3, 3, 1, NULL, 0, 0, &m),
                  MUTINF_ERR_DIMENSION_MISMATCH);
    assert_null(m);
    assert_status(mutinf_lingauss_create(w, 2, -1, 3, 1, NULL, 0, 0, &m),
                  MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_lingauss_create(w, 2, 3, INT64_MAX / 2, 1, NULL, 0, 0, &m),
                  MUTINF_ERR_SIZE_OVERFLOW);
    assert_status(mutinf_lingauss_create(w, 2, 3, INT64_MIN, 1, NULL, 0, 0, &m),
                  MUTINF_ERR_SIZE_OVERFLOW);
    assert_status(mutinf_lingauss_create(w, 2, 3, 3, 1, b, INT64_MAX, 0, &m),
                  MUTINF_ERR_SIZE_OVERFLOW);
    assert_status(mutinf_lingauss_create(w, 2, 3, 3, 1, NULL, 0, -1.0, &m),
                  MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_lingauss_create(w, 2, 3, 3, 1, NULL, 0, NAN, &m),
                  MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_lingauss_create(w, 2, 3, 3, 1, NULL, 0, INFINITY, &m),
                  MUTINF_ERR_INVALID_ARGUMENT);
    w[5] = NAN;
    assert_status(mutinf_lingauss_create(w, 2, 3, 3, 1, NULL, 0, 0, &m), MUTINF_ERR_NON_FINITE);
    assert_non_null(strstr(mutinf_last_error_message(), "row 1, column 2"));
    w[5] = 6;
    b[1] = -INFINITY;
    assert_status(mutinf_lingauss_create(w, 2, 3, 3, 1, b, 1, 0, &m), MUTINF_ERR_NON_FINITE);
    assert_non_null(strstr(mutinf_last_error_message(), "bias[unit 1]"));
    float wf[6] = {1, 2, 3, 4, 5, NAN};
    assert_status(mutinf_lingauss_create_f32(wf, 2, 3, 3, 1, NULL, 0, 0, &m),
                  MUTINF_ERR_NON_FINITE);
    assert_null(m);
    /* Inf of either sign in any row, reported before the -inf bias */
    for (int i = 0; i < 6; i++) {
        w[i] = i % 2 ? -INFINITY : INFINITY;
        m = (mutinf_lingauss *)w;
        assert_status(mutinf_lingauss_create(w, 2, 3, 3, 1, b, 1, 0, &m), MUTINF_ERR_NON_FINITE);
        assert_null(m);
        char want[32];
        snprintf(want, sizeof want, "row %d, column %d", i / 3, i % 3);
        assert_non_null(strstr(mutinf_last_error_message(), want));
        w[i] = (double)(i + 1);
    }
    /* Finite weights whose squares overflow are valid input: C_ii = +inf. */
    b[1] = 0.0;
    w[0] = 1e200;
    assert_status(mutinf_lingauss_create(w, 2, 3, 3, 1, b, 1, 0, &m), MUTINF_OK);
    mutinf_lingauss_destroy(m);
    mutinf_lingauss_destroy(NULL);
}

static void test_query_errors_leave_outputs(void **state)
{
    (void)state;
    double w[6] = {1, 2, 3, 4, 5, 6};
    mutinf_lingauss *m = NULL;
    mutinf_partition *p3 = NULL, *p2 = NULL;
    assert_status(mutinf_lingauss_create(w, 2, 3, 3, 1, NULL, 0, 0, &m), MUTINF_OK);
    assert_status(mutinf_partition_create_contiguous(3, 2, &p3), MUTINF_OK);
    assert_status(mutinf_partition_create_contiguous(2, 2, &p2), MUTINF_OK);
    double tc = 123.0, pw[4] = {7, 7, 7, 7};
    assert_status(mutinf_lingauss_total_correlation(m, p3, NULL, &tc),
                  MUTINF_ERR_DIMENSION_MISMATCH);
    assert_true(tc == 123.0);
    assert_status(mutinf_lingauss_pairwise(m, p3, NULL, pw), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_true(pw[0] == 7 && pw[3] == 7);
    assert_status(mutinf_lingauss_total_correlation(NULL, p2, NULL, &tc), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_lingauss_total_correlation(m, NULL, NULL, &tc), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_lingauss_total_correlation(m, p2, NULL, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_lingauss_pairwise(NULL, p2, NULL, pw), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_lingauss_pairwise(m, NULL, NULL, pw), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_lingauss_pairwise(m, p2, NULL, NULL), MUTINF_ERR_NULL_ARGUMENT);
    int64_t u = -1, in = -1;
    assert_status(mutinf_lingauss_shape(m, &u, &in), MUTINF_OK);
    assert_true(u == 2 && in == 3);
    assert_status(mutinf_lingauss_shape(NULL, &u, &in), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_lingauss_shape(m, NULL, &in), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_lingauss_shape(m, &u, NULL), MUTINF_ERR_NULL_ARGUMENT);
    double y[4] = {5, 5, 5, 5};
    assert_status(mutinf_lingauss_sample(NULL, 2, 0, NULL, y), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_lingauss_sample(m, 2, 0, NULL, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_lingauss_sample(m, 0, 0, NULL, y), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_lingauss_sample(m, INT64_MAX / 2, 0, NULL, y), MUTINF_ERR_SIZE_OVERFLOW);
    assert_true(y[0] == 5 && y[3] == 5);
    mutinf_partition_destroy(p3);
    mutinf_partition_destroy(p2);
    mutinf_lingauss_destroy(m);
}

/* Every allocation of every entry point fails once; each must report
 * MUTINF_ERR_OUT_OF_MEMORY, leave outputs untouched and leak nothing
 * (memcheck run). */
static void test_out_of_memory(void **state)
{
    (void)state;
    double w[8] = {1, 2, 3, 4, 4, 3, 2, 1};
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(2, 2, &p), MUTINF_OK);
    for (long k = 0;; k++) {
        mutinf_lingauss *m = NULL;
        mutinf__alloc_fail_after(k);
        mutinf_status st = mutinf_lingauss_create(w, 2, 4, 4, 1, NULL, 0, 0, &m);
        mutinf__alloc_fail_after(-1);
        if (st == MUTINF_OK) {
            mutinf_lingauss_destroy(m);
            break;
        }
        assert_status(st, MUTINF_ERR_OUT_OF_MEMORY);
        assert_null(m);
    }
    mutinf_lingauss *m = NULL;
    assert_status(mutinf_lingauss_create(w, 2, 4, 4, 1, NULL, 0, 0, &m), MUTINF_OK);
    double tc = 5.0, pw[4] = {5, 5, 5, 5}, y[6] = {5, 5, 5, 5, 5, 5};
    mutinf__alloc_fail_after(0);
    assert_status(mutinf_lingauss_total_correlation(m, p, NULL, &tc), MUTINF_ERR_OUT_OF_MEMORY);
    mutinf__alloc_fail_after(0);
    assert_status(mutinf_lingauss_pairwise(m, p, NULL, pw), MUTINF_ERR_OUT_OF_MEMORY);
    mutinf__alloc_fail_after(1);
    assert_status(mutinf_lingauss_pairwise(m, p, NULL, pw), MUTINF_ERR_OUT_OF_MEMORY);
    for (long k = 0; k < 3; k++) {
        mutinf__alloc_fail_after(k);
        assert_status(mutinf_lingauss_sample(m, 3, 1, NULL, y), MUTINF_ERR_OUT_OF_MEMORY);
    }
    mutinf__alloc_fail_after(-1);
    assert_true(tc == 5.0 && pw[0] == 5 && pw[3] == 5 && y[0] == 5 && y[5] == 5);
    mutinf_lingauss_destroy(m);
    mutinf_partition_destroy(p);
}

/* A LAPACK failure (dgesvd not converging) surfaces as MUTINF_ERR_NUMERICAL
 * with the outputs untouched. */
static void test_lapack_failure(void **state)
{
    (void)state;
    double w[4] = {1.0, 0.0, 0.5, 1.0};
    mutinf_lingauss *m = NULL;
    mutinf_partition *p = NULL;
    mutinf_options *o = NULL;
    assert_status(mutinf_lingauss_create(w, 2, 2, 2, 1, NULL, 0, 0, &m), MUTINF_OK);
    assert_status(mutinf_partition_create_contiguous(2, 2, &p), MUTINF_OK);
    assert_status(mutinf_options_create(&o), MUTINF_OK);
    assert_status(mutinf_options_set_strict_rank(o, 1), MUTINF_OK);
    double tc = 5.0, pw[4] = {5, 5, 5, 5};
    mutinf__linalg_fail_svd(1);
    assert_status(mutinf_lingauss_total_correlation(m, p, o, &tc), MUTINF_ERR_NUMERICAL);
    assert_non_null(strstr(mutinf_last_error_message(), "dgesvd did not converge"));
    mutinf__linalg_fail_svd(1);
    assert_status(mutinf_lingauss_pairwise(m, p, o, pw), MUTINF_ERR_NUMERICAL);
    mutinf__linalg_fail_svd(0);
    assert_true(tc == 5.0 && pw[0] == 5 && pw[1] == 5 && pw[2] == 5 && pw[3] == 5);
    assert_status(mutinf_lingauss_total_correlation(m, p, o, &tc), MUTINF_OK);
    assert_close(tc, -0.5 * log(1 - 0.2), 1e-12, 0);
    mutinf_options_destroy(o);
    mutinf_partition_destroy(p);
    mutinf_lingauss_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bivariate_closed_form),
        cmocka_unit_test(test_bits),
        cmocka_unit_test(test_independent_blocks_exactly_zero),
        cmocka_unit_test(test_duplicated_unit_is_infinite),
        cmocka_unit_test(test_more_units_than_inputs),
        cmocka_unit_test(test_invariance_large_model),
        cmocka_unit_test(test_joint_factor_paths),
        cmocka_unit_test(test_joint_factor_rejected),
        cmocka_unit_test(test_symmetrize_lower),
        cmocka_unit_test(test_syrk_halved),
        cmocka_unit_test(test_chol_beside),
        cmocka_unit_test(test_potrf_upper_halved),
        cmocka_unit_test(test_pairwise_matches_reference),
        cmocka_unit_test(test_layouts_and_precisions_agree),
        cmocka_unit_test(test_sampler),
        cmocka_unit_test(test_concurrent_calls_bit_identical),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_query_errors_leave_outputs),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_lapack_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
