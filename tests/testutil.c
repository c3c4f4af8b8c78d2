/* Shared helpers for the cmocka tests. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "mutinf/mutinf.h"
#include "testutil.h"

void test_assert_close(double a, double b, double rtol, double atol, const char *expr,
                       const char *file, int line)
{
    if (isinf(a) && isinf(b) && (a > 0) == (b > 0)) return;
    if (fabs(a - b) <= atol + rtol * fabs(b)) return;
    print_error("%s = %.17g, expected %.17g (rtol %g, atol %g, diff %.3g)\n", expr, a, b, rtol,
                atol, a - b);
    _fail(file, line);
}

void test_assert_status(int32_t got, int32_t expected, const char *expr, const char *file, int line)
{
    if (got == expected) return;
    print_error("%s returned %s, expected %s (last error: %s)\n", expr, mutinf_status_string(got),
                mutinf_status_string(expected), mutinf_last_error_message());
    _fail(file, line);
}

uint64_t test_rand_u64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double test_rand_uniform(uint64_t *state)
{
    return ((double)(test_rand_u64(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double test_rand_normal(uint64_t *state)
{
    double u = test_rand_uniform(state), v = test_rand_uniform(state);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

void test_fill_normal(double *x, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++)
        x[i] = test_rand_normal(&s);
}

double test_logdet_ref(const double *a, int n)
{
    long double *l = calloc((size_t)n * (size_t)n, sizeof *l);
    long double logdet = 0;
    for (int j = 0; j < n; j++) {
        long double d = a[j * n + j];
        for (int k = 0; k < j; k++)
            d -= l[j * n + k] * l[j * n + k];
        if (!(d > 0)) {
            free(l);
            return -INFINITY;
        }
        long double ljj = sqrtl(d);
        l[j * n + j] = ljj;
        logdet += 2 * logl(ljj);
        for (int i = j + 1; i < n; i++) {
            long double s = a[i * n + j];
            for (int k = 0; k < j; k++)
                s -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = s / ljj;
        }
    }
    free(l);
    return (double)logdet;
}

int test_quick(void)
{
    return getenv("MUTINF_TEST_QUICK") != NULL;
}
