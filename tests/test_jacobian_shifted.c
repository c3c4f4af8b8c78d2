/* Tests of the Jacobian product on rows that start 16 bytes past a 32-byte
 * boundary (the layout malloc often returns), which the product reads by
 * aligned loads with rotated lanes.
 *
 * Independent references: each entry of J J^T summed here in the order the
 * kernel documents (four class sums over k mod 4 by fused multiply-adds,
 * then (s0 + s1) + (s2 + s3)), with libm's correctly rounded fma(); long
 * double dot products; and the total correlation from long double
 * covariances and log-determinants (test_logdet_ref). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jacobian.h"
#include "mutinf/mutinf.h"
#include "testutil.h"

/* A 32-byte aligned block of `count` doubles starting `shift` doubles in. */
static double *aligned_doubles(size_t count, size_t shift, void **block)
{
    *block = aligned_alloc(64, ((count + shift) * sizeof(double) + 63) & ~(size_t)63);
    assert_non_null(*block);
    return (double *)*block + shift;
}

/* Entry (i, j) of J J^T in the documented order of the product kernel. */
static double dot_in_kernel_order(const double *x, const double *y, int64_t n)
{
    double s[4] = {0.0, 0.0, 0.0, 0.0};
    for (int64_t k = 0; k < n; k++)
        s[k % 4] = fma(x[k], y[k], s[k % 4]);
    return (s[0] + s[1]) + (s[2] + s[3]);
}

static long double dot_long(const double *x, const double *y, int64_t n)
{
    long double s = 0.0L;
    for (int64_t k = 0; k < n; k++)
        s += (long double)x[k] * (long double)y[k];
    return s;
}

/* One sample of m rows of n inputs, read in place at 32-byte alignment and
 * 16 bytes past it: the same bits in every lane, the kernel's order of
 * sums, and the long double products.  Rows include zeros, negative zeros
 * and huge and tiny magnitudes. */
static void check_shifted_product(int64_t m, int64_t n, uint64_t seed)
{
    const size_t count = (size_t)(m * n);
    void *ba = NULL, *bs = NULL;
    double *xa = aligned_doubles(count, 0, &ba), *xs = aligned_doubles(count, 2, &bs);
    test_fill_normal(xa, count, seed);
    for (int64_t k = 0; k < n; k++) {
        xa[0 * n + k] = -0.0;            /* a row of negative zeros */
        xa[(m / 2) * n + k] *= 0x1p300;  /* a huge row */
        xa[(m - 1) * n + k] *= 0x1p-300; /* a tiny row */
    }
    xa[1 * n] = 0.0;
    xa[1 * n + n - 1] = -0.0;
    memcpy(xs, xa, count * sizeof *xa);
    const int64_t rows = MUTINF__JAC_ROWS(m);
    double *zeros = calloc((size_t)n, sizeof *zeros);
    const double **pa = malloc((size_t)rows * sizeof *pa), **ps = malloc((size_t)rows * sizeof *ps);
    double *ca = calloc((size_t)(m * m * MUTINF__JAC_LANES), sizeof *ca);
    double *cs = calloc((size_t)(m * m * MUTINF__JAC_LANES), sizeof *cs);
    assert_non_null(zeros);
    assert_non_null(pa);
    assert_non_null(ps);
    assert_non_null(ca);
    assert_non_null(cs);
    for (int64_t r = 0; r < rows; r++) {
        pa[r] = r < m ? xa + r * n : zeros;
        ps[r] = r < m ? xs + r * n : zeros;
    }
    const int kernel_fma = __builtin_cpu_supports("x86-64-v3");
    for (int lane = 0; lane < MUTINF__JAC_LANES; lane++) {
        mutinf__jac_syrk_lane(m, n, pa, ca, lane, 0, NULL, 0);
        mutinf__jac_syrk_lane(m, n, ps, cs, lane, 0, NULL, 0);
    }
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j <= i; j++)
            for (int lane = 0; lane < MUTINF__JAC_LANES; lane++) {
                const size_t at = (size_t)((i * m + j) * MUTINF__JAC_LANES + lane);
                assert_memory_equal(&ca[at], &cs[at], sizeof(double));
                if (kernel_fma) {
                    const double ref = dot_in_kernel_order(xa + i * n, xa + j * n, n);
                    assert_memory_equal(&cs[at], &ref, sizeof(double));
                }
                const double scale = sqrt((double)dot_long(xa + i * n, xa + i * n, n)) *
                                     sqrt((double)dot_long(xa + j * n, xa + j * n, n));
                assert_close(cs[at], (double)dot_long(xa + i * n, xa + j * n, n), 0.0,
                             1e-14 * scale);
            }
    free(zeros);
    free(pa);
    free(ps);
    free(ca);
    free(cs);
    free(ba);
    free(bs);
}

static void test_shifted_product(void **state)
{
    (void)state;
    check_shifted_product(13, 4, 1);   /* head and tail only */
    check_shifted_product(16, 8, 2);   /* one aligned vector */
    check_shifted_product(64, 256, 3); /* the benchmark's shape */
    check_shifted_product(30, 300, 4); /* two k-chunks' worth */
}

/* TC (nats) of one sample: long double covariance, test_logdet_ref. */
static double tc_long(const double *J, int64_t d, int64_t n, int64_t K)
{
    double *c = malloc((size_t)(d * d) * sizeof *c);
    assert_non_null(c);
    for (int64_t i = 0; i < d; i++)
        for (int64_t j = 0; j < d; j++)
            c[i * d + j] = (double)dot_long(J + i * n, J + j * n, n);
    double sum = -test_logdet_ref(c, (int)d);
    const int64_t dk = d / K;
    double *blk = malloc((size_t)(dk * dk) * sizeof *blk);
    assert_non_null(blk);
    for (int64_t k = 0; k < K; k++) {
        for (int64_t i = 0; i < dk; i++)
            for (int64_t j = 0; j < dk; j++)
                blk[i * dk + j] = c[(k * dk + i) * d + k * dk + j];
        sum += test_logdet_ref(blk, (int)dk);
    }
    free(c);
    free(blk);
    return 0.5 * sum;
}

/* The estimator on a batch read in place 16 bytes past alignment and at
 * alignment: the same bits per sample, for 1 and 2 threads, and the long
 * double reference. */
static void test_shifted_estimator(void **state)
{
    (void)state;
    const int64_t B = test_quick() ? 6 : 11, d = 32, n = 64, K = 4;
    const size_t count = (size_t)(B * d * n);
    void *ba = NULL, *bs = NULL;
    double *xa = aligned_doubles(count, 0, &ba), *xs = aligned_doubles(count, 2, &bs);
    test_fill_normal(xa, count, 99);
    memcpy(xs, xa, count * sizeof *xa);
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(d, K, &p), MUTINF_OK);
    mutinf_jacobians *ja = NULL, *js = NULL;
    assert_status(mutinf_jacobians_wrap(xa, B, d, n, d * n, n, 1, &ja), MUTINF_OK);
    assert_status(mutinf_jacobians_wrap(xs, B, d, n, d * n, n, 1, &js), MUTINF_OK);
    double *pa = malloc((size_t)B * sizeof *pa), *ps = malloc((size_t)B * sizeof *ps);
    assert_non_null(pa);
    assert_non_null(ps);
    for (int32_t threads = 1; threads <= 2; threads++) {
        mutinf_options *o = NULL;
        assert_status(mutinf_options_create(&o), MUTINF_OK);
        assert_status(mutinf_options_set_threads(o, threads), MUTINF_OK);
        double tc = 0.0;
        assert_status(mutinf_jacobians_total_correlation(ja, p, o, &tc, NULL, NULL, pa, NULL),
                      MUTINF_OK);
        assert_status(mutinf_jacobians_total_correlation(js, p, o, &tc, NULL, NULL, ps, NULL),
                      MUTINF_OK);
        assert_memory_equal(pa, ps, (size_t)B * sizeof *pa);
        for (int64_t b = 0; b < B; b++)
            assert_close(ps[b], tc_long(xa + b * d * n, d, n, K), 1e-12, 1e-13);
        mutinf_options_destroy(o);
    }
    mutinf_jacobians_destroy(ja);
    mutinf_jacobians_destroy(js);
    mutinf_partition_destroy(p);
    free(pa);
    free(ps);
    free(ba);
    free(bs);
}

typedef struct {
    int64_t calls, last, total;
} progress_log;

static int32_t log_progress(int64_t done, int64_t total, void *payload)
{
    progress_log *log = payload;
    assert_true(done > log->last && done <= total);
    log->calls++;
    log->last = done;
    log->total = total;
    return 0;
}

static int32_t cancel_second(int64_t done, int64_t total, void *payload)
{
    (void)done;
    (void)total;
    return ++*(int *)payload >= 2;
}

/* A batch of more chunks than one parallel round holds, so that the
 * threads' chunk queue restarts between progress reports: two threads
 * with progress give the bits of one thread without, the reports count up
 * to the batch, a cancel stops the call, and samples match the long
 * double reference. */
static void test_rounds_and_progress(void **state)
{
    (void)state;
    const int64_t B = 263, d = 64, n = 256, K = 4; /* chunks of 4: 66 chunks */
    const size_t count = (size_t)(B * d * n);
    void *block = NULL;
    double *x = aligned_doubles(count, 2, &block);
    test_fill_normal(x, count, 7);
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(d, K, &p), MUTINF_OK);
    mutinf_jacobians *j = NULL;
    assert_status(mutinf_jacobians_wrap(x, B, d, n, d * n, n, 1, &j), MUTINF_OK);
    double *p1 = malloc((size_t)B * sizeof *p1), *p2 = malloc((size_t)B * sizeof *p2);
    assert_non_null(p1);
    assert_non_null(p2);
    mutinf_options *o1 = NULL, *o2 = NULL;
    assert_status(mutinf_options_create(&o1), MUTINF_OK);
    assert_status(mutinf_options_set_threads(o1, 1), MUTINF_OK);
    assert_status(mutinf_options_create(&o2), MUTINF_OK);
    assert_status(mutinf_options_set_threads(o2, 2), MUTINF_OK);
    progress_log log = {0, 0, 0};
    assert_status(mutinf_options_set_progress(o2, log_progress, &log), MUTINF_OK);
    double tc1 = 0.0, tc2 = 0.0, se1 = 0.0, se2 = 0.0;
    assert_status(mutinf_jacobians_total_correlation(j, p, o1, &tc1, &se1, NULL, p1, NULL),
                  MUTINF_OK);
    assert_status(mutinf_jacobians_total_correlation(j, p, o2, &tc2, &se2, NULL, p2, NULL),
                  MUTINF_OK);
    assert_memory_equal(p1, p2, (size_t)B * sizeof *p1);
    assert_memory_equal(&tc1, &tc2, sizeof tc1);
    assert_memory_equal(&se1, &se2, sizeof se1);
    assert_true(log.calls >= 2);
    assert_int_equal(log.last, B);
    assert_int_equal(log.total, B);
    for (int64_t b = 0; b < B; b += test_quick() ? 64 : 8)
        assert_close(p2[b], tc_long(x + b * d * n, d, n, K), 1e-12, 1e-13);
    int seen = 0;
    assert_status(mutinf_options_set_progress(o2, cancel_second, &seen), MUTINF_OK);
    assert_status(mutinf_jacobians_total_correlation(j, p, o2, &tc2, NULL, NULL, NULL, NULL),
                  MUTINF_ERR_CANCELLED);
    assert_int_equal(seen, 2);
    mutinf_options_destroy(o1);
    mutinf_options_destroy(o2);
    mutinf_jacobians_destroy(j);
    mutinf_partition_destroy(p);
    free(p1);
    free(p2);
    free(block);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shifted_product),
        cmocka_unit_test(test_shifted_estimator),
        cmocka_unit_test(test_rounds_and_progress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
