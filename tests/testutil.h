/* Shared helpers for the cmocka tests. */
#ifndef MUTINF_TESTUTIL_H
#define MUTINF_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Fails the test unless |a - b| <= atol + rtol * |b|, printing both values
 * with all their digits.  Equal infinities of the same sign pass. */
#define assert_close(a, b, rtol, atol)                                                             \
    test_assert_close((a), (b), (rtol), (atol), #a, __FILE__, __LINE__)
void test_assert_close(double a, double b, double rtol, double atol, const char *expr,
                       const char *file, int line);

/* Fails the test unless the status is `expected`, printing both names and
 * the last error message. */
#define assert_status(call, expected)                                                              \
    test_assert_status((call), (expected), #call, __FILE__, __LINE__)
void test_assert_status(int32_t got, int32_t expected, const char *expr, const char *file,
                        int line);

/* Deterministic test data: splitmix64 and standard normals (Box–Muller). */
uint64_t test_rand_u64(uint64_t *state);
double test_rand_uniform(uint64_t *state); /* in (0, 1) */
double test_rand_normal(uint64_t *state);
void test_fill_normal(double *x, size_t n, uint64_t seed);

/* Independent reference: log-determinant of a symmetric positive definite
 * n x n row-major matrix by plain Cholesky in long double (no BLAS).
 * Returns -INFINITY when a pivot is not positive. */
double test_logdet_ref(const double *a, int n);

/* 1 when the environment asks for a shorter run (memcheck). */
int test_quick(void);

#endif
