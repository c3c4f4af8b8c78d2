/* The cache of large buffers (src/buffer_cache.c): which buffers it keeps
 * and hands out, its limit, and that estimators given stale, poisoned
 * buffers compute exactly what they compute on fresh memory. */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "mutinf/mutinf.h"
#include "testutil.h"

#define MIB ((size_t)1 << 20)

static void *take(size_t bytes)
{
    void *p = mutinf__alloc(bytes, 1, 0, "test buffer");
    assert_non_null(p);
    memset(p, 0x5a, bytes); /* touched, as a user of the buffer would */
    return p;
}

/* Every test starts from an empty cache with the default limit. */
static int reset(void **state)
{
    (void)state;
    mutinf_buffer_cache_release();
    mutinf_buffer_cache_set_limit(256 * MIB);
    return 0;
}

static void test_reuse_window(void **state)
{
    (void)state;
    assert_int_equal(mutinf_buffer_cache_size(), 0);
    void *a = take(8 * MIB);
    mutinf__free(a);
    assert_int_equal(mutinf_buffer_cache_size(), 8 * MIB);

    /* Too large for the kept buffer, or less than half of it: fresh memory. */
    void *big = take(8 * MIB + 1);
    assert_ptr_not_equal(big, a);
    void *half = take(4 * MIB); /* exactly half of it: allowed */
    assert_ptr_equal(half, a);
    assert_int_equal(mutinf_buffer_cache_size(), 0);
    mutinf__free(half);
    void *small = take(4 * MIB - 8); /* below the tracked size: malloc */
    assert_ptr_not_equal(small, a);
    assert_int_equal(mutinf_buffer_cache_size(), 8 * MIB);
    mutinf__free(small);
    assert_int_equal(mutinf_buffer_cache_size(), 8 * MIB);
    mutinf__free(big);
    assert_int_equal(mutinf_buffer_cache_size(), 16 * MIB + 1);

    /* The smallest kept buffer that fits is taken. */
    void *c = take(5 * MIB);
    assert_ptr_equal(c, a);
    void *d = take(5 * MIB); /* then the next smallest */
    assert_ptr_equal(d, big);
    assert_int_equal(mutinf_buffer_cache_size(), 0);
    mutinf__free(c);
    mutinf__free(d);
}

static void test_zeroed_on_reuse(void **state)
{
    (void)state;
    double *a = take(6 * MIB);
    for (size_t i = 0; i < 6 * MIB / sizeof *a; i++)
        a[i] = NAN;
    mutinf__free(a);
    double *z = mutinf__alloc(6 * MIB / sizeof *z, sizeof *z, 1, "zeroed");
    assert_ptr_equal(z, a);
    for (size_t i = 0; i < 6 * MIB / sizeof *z; i++)
        if (z[i] != 0.0) fail_msg("entry %zu not zeroed", i);
    mutinf__free(z);
}

static void test_limit_and_release(void **state)
{
    (void)state;
    assert_int_equal(mutinf_buffer_cache_set_limit(20 * MIB), 256 * MIB);
    void *a = take(8 * MIB), *b = take(8 * MIB), *c = take(8 * MIB);
    mutinf__free(a);
    mutinf__free(b);
    assert_int_equal(mutinf_buffer_cache_size(), 16 * MIB);
    mutinf__free(c); /* a, kept longest, goes */
    assert_int_equal(mutinf_buffer_cache_size(), 16 * MIB);
    /* Lowering the limit frees the older of b and c at once. */
    assert_int_equal(mutinf_buffer_cache_set_limit(10 * MIB), 20 * MIB);
    assert_int_equal(mutinf_buffer_cache_size(), 8 * MIB);
    void *again = take(8 * MIB);
    assert_ptr_equal(again, c);
    mutinf__free(again);

    /* A buffer larger than the limit is not kept. */
    void *huge = take(12 * MIB);
    mutinf__free(huge);
    assert_int_equal(mutinf_buffer_cache_size(), 8 * MIB);

    mutinf_buffer_cache_release();
    assert_int_equal(mutinf_buffer_cache_size(), 0);
    assert_int_equal(mutinf_buffer_cache_set_limit(0), 10 * MIB);
    void *off = take(8 * MIB);
    mutinf__free(off);
    assert_int_equal(mutinf_buffer_cache_size(), 0);
}

/* An injected allocation failure fails even when a kept buffer would fit,
 * and leaves the kept buffer where it was. */
static void test_injected_failure(void **state)
{
    (void)state;
    void *a = take(8 * MIB);
    mutinf__free(a);
    mutinf__alloc_fail_after(0);
    assert_null(mutinf__alloc(8 * MIB, 1, 0, "injected"));
    mutinf__alloc_fail_after(-1);
    assert_int_equal(mutinf_buffer_cache_size(), 8 * MIB);
    void *b = take(8 * MIB);
    assert_ptr_equal(b, a);
    mutinf__free(b);
}

/* Threads taking and returning buffers at once never share one: each
 * stamps its buffer, yields, and finds its own stamp still there. */
static void test_threads(void **state)
{
    (void)state;
    const int rounds = test_quick() ? 20 : 400;
    mutinf_buffer_cache_set_limit(40 * MIB);
    int clashes = 0;
#pragma omp parallel num_threads(4) reduction(+ : clashes)
    {
        uint64_t rng = 1000 + (uint64_t)omp_get_thread_num();
        for (int r = 0; r < rounds; r++) {
            size_t bytes = 4 * MIB + (size_t)(test_rand_u64(&rng) % (8 * MIB));
            uint64_t stamp = test_rand_u64(&rng);
            uint64_t *p = mutinf__alloc(bytes, 1, 0, "thread buffer");
            if (p == NULL) {
                clashes++;
                continue;
            }
            size_t last = bytes / sizeof *p - 1;
            p[0] = p[last] = stamp;
#pragma omp flush
            for (volatile int spin = 0; spin < 1000; spin++) {
            }
            clashes += p[0] != stamp || p[last] != stamp;
            mutinf__free(p);
        }
    }
    assert_int_equal(clashes, 0);
    assert_true(mutinf_buffer_cache_size() <= 40 * MIB);
}

/* A child forked while other threads take and return buffers can use the
 * cache at once (the fork handlers leave its lock free in the child), and
 * finds the buffers kept before the fork. */
static void test_fork(void **state)
{
    (void)state;
    void *a = take(8 * MIB);
    mutinf__free(a);
    int statuses = 0;
#pragma omp parallel num_threads(2) reduction(+ : statuses)
    {
        if (omp_get_thread_num() == 0) {
            for (int r = 0; r < 50; r++)
                mutinf__free(take(5 * MIB + (size_t)r));
        } else {
            pid_t pid = fork();
            if (pid == 0) {
                void *b = mutinf__alloc(6 * MIB, 1, 0, "child");
                int ok = b != NULL && mutinf_buffer_cache_size() <= 8 * MIB;
                mutinf__free(b);
                _exit(ok && mutinf_buffer_cache_size() >= 6 * MIB ? 0 : 1);
            }
            int st = 1;
            if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
                statuses += WEXITSTATUS(st);
            else
                statuses += 100;
        }
    }
    assert_int_equal(statuses, 0);
}

/* Kept buffers, all filled with NaN, such that every size from 4 MiB to 48
 * (12 under memcheck) is within the reuse window of one of them. */
static void poison_cache(void)
{
    static const size_t sizes[] = {4, 6, 8, 12, 16, 24, 32, 48};
    const size_t count = test_quick() ? 4 : sizeof sizes / sizeof sizes[0];
    size_t total = 0;
    void *p[sizeof sizes / sizeof sizes[0]];
    for (size_t i = 0; i < count; i++) {
        double *d = mutinf__alloc(sizes[i] * MIB / sizeof *d, sizeof *d, 0, "poison");
        assert_non_null(d);
        for (size_t j = 0; j < sizes[i] * MIB / sizeof *d; j++)
            d[j] = NAN;
        p[i] = d;
        total += sizes[i] * MIB;
    }
    for (size_t i = 0; i < count; i++)
        mutinf__free(p[i]);
    assert_int_equal(mutinf_buffer_cache_size(), total);
}

/* The linear-Gaussian model's copy of W (6 MiB here, 4 under memcheck) and
 * its covariance (4.5 MiB; 2 under memcheck, too small to be kept) come from
 * the poisoned cache, and its TC equals the one computed with the cache off,
 * bit for bit. */
static void test_model_on_poisoned_buffers(void **state)
{
    (void)state;
    const int64_t units = test_quick() ? 512 : 768, inputs = 1024;
    const size_t cached_bytes =
        (size_t)(units * inputs + (units * units * 8 >= (int64_t)(4 * MIB) ? units * units : 0)) *
        sizeof(double);
    double *w = test_malloc((size_t)(units * inputs) * sizeof *w);
    test_fill_normal(w, (size_t)(units * inputs), 7);
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(units, 6, &p), MUTINF_OK);
    double tc[2];
    for (int cached = 0; cached < 2; cached++) {
        mutinf_buffer_cache_set_limit(cached ? 256 * MIB : 0);
        if (cached) poison_cache();
        size_t before = mutinf_buffer_cache_size();
        mutinf_lingauss *m = NULL;
        assert_status(mutinf_lingauss_create(w, units, inputs, inputs, 1, NULL, 1, 0.5, &m),
                      MUTINF_OK);
        if (cached) assert_true(mutinf_buffer_cache_size() + cached_bytes <= before);
        assert_status(mutinf_lingauss_total_correlation(m, p, NULL, &tc[cached]), MUTINF_OK);
        mutinf_lingauss_destroy(m);
        assert_int_equal(mutinf_buffer_cache_size(), before);
    }
    assert_true(isfinite(tc[0]));
    assert_memory_equal(&tc[0], &tc[1], sizeof tc[0]);
    mutinf_partition_destroy(p);
    test_free(w);
}

/* The Gaussian estimator's Gram accumulators (zeroed buffers) from the
 * poisoned cache: the same TC, pairwise matrix and p-value as without it. */
static void test_gaussian_on_poisoned_buffers(void **state)
{
    (void)state;
    const int64_t n = test_quick() ? 600 : 3000, d = 256;
    double *x = test_malloc((size_t)(n * d) * sizeof *x);
    test_fill_normal(x, (size_t)(n * d), 11);
    for (int64_t i = 0; i < n; i++) /* some dependence between units */
        for (int64_t j = 1; j < d; j++)
            x[i * d + j] += 0.3 * x[i * d + j - 1];
    mutinf_activations *a = NULL;
    assert_status(mutinf_activations_wrap(x, n, d, d, 1, &a), MUTINF_OK);
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(d, 8, &p), MUTINF_OK);
    mutinf_options *o = NULL;
    assert_status(mutinf_options_create(&o), MUTINF_OK);
    assert_status(mutinf_options_set_threads(o, 2), MUTINF_OK);
    double out[2][2 + 64];
    for (int cached = 0; cached < 2; cached++) {
        mutinf_buffer_cache_set_limit(cached ? 256 * MIB : 0);
        if (cached) poison_cache();
        assert_status(
            mutinf_activations_gaussian(a, p, o, &out[cached][0], &out[cached][2], &out[cached][1]),
            MUTINF_OK);
    }
    assert_true(isfinite(out[0][0]) && out[0][0] > 0.0);
    assert_memory_equal(out[0], out[1], sizeof out[0]);
    mutinf_options_destroy(o);
    mutinf_partition_destroy(p);
    mutinf_activations_destroy(a);
    test_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reuse_window, reset),
        cmocka_unit_test_setup(test_zeroed_on_reuse, reset),
        cmocka_unit_test_setup(test_limit_and_release, reset),
        cmocka_unit_test_setup(test_injected_failure, reset),
        cmocka_unit_test_setup(test_threads, reset),
        cmocka_unit_test_setup(test_fork, reset),
        cmocka_unit_test_setup(test_model_on_poisoned_buffers, reset),
        cmocka_unit_test_setup(test_gaussian_on_poisoned_buffers, reset),
    };
    return cmocka_run_group_tests(tests, NULL, reset);
}
