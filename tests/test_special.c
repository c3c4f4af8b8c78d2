/* Special functions against closed forms and printed tables. */
#include <math.h>

#include "special.h"
#include "testutil.h"

#define EULER 0.57721566490153286060651209008240243L

/* psi(k/2) for integer k >= 1 from the closed forms
 * psi(j) = -gamma + sum_{i<j} 1/i and psi(j + 1/2) = -gamma - 2 ln 2 + sum_{i<=j} 2/(2i - 1). */
static double digamma_half_ref(int k)
{
    long double s;
    if (k % 2 == 0) {
        s = -EULER;
        for (int i = 1; i < k / 2; i++)
            s += 1.0L / i;
    } else {
        s = -EULER - 2.0L * logl(2.0L);
        for (int i = 1; i <= k / 2; i++)
            s += 2.0L / (2 * i - 1);
    }
    return (double)s;
}

static void test_digamma(void **state)
{
    (void)state;
    for (int k = 1; k <= 400; k++)
        assert_close(mutinf__digamma(0.5 * k), digamma_half_ref(k), 1e-14, 1e-14);
    assert_close(mutinf__digamma(199999.0 / 2), digamma_half_ref(199999), 1e-14, 1e-13);
    /* psi(x + 1) = psi(x) + 1/x at non-half-integer points. */
    for (double x = 0.013; x < 40; x *= 1.7)
        assert_close(mutinf__digamma(x + 1), mutinf__digamma(x) + 1 / x, 1e-13, 1e-13);
    assert_true(isnan(mutinf__digamma(0.0)));
    assert_true(isnan(mutinf__digamma(-1.5)));
    assert_true(isnan(mutinf__digamma(NAN)));
}

/* Q(a, x) for integer a by the Poisson identity Q(a, x) = sum_{k<a} e^-x x^k / k!,
 * summed in log space in long double. */
static double gamma_q_poisson(int a, double x)
{
    long double mx = -INFINITY, terms_max = -INFINITY;
    for (int k = 0; k < a; k++) {
        long double t = -x + k * logl(x) - lgammal(k + 1.0L);
        if (t > terms_max) terms_max = t;
    }
    long double s = 0;
    for (int k = 0; k < a; k++)
        s += expl(-x + k * logl(x) - lgammal(k + 1.0L) - terms_max);
    mx = terms_max + logl(s);
    return (double)expl(mx);
}

static void test_incomplete_gamma_identities(void **state)
{
    (void)state;
    const double xs[] = {1e-3, 0.1, 0.5, 1, 2, 5, 10, 30, 100, 700};
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
        double x = xs[i];
        assert_close(mutinf__gamma_q(1.0, x), exp(-x), 1e-13, 0);
        assert_close(mutinf__gamma_p(1.0, x), -expm1(-x), 1e-13, 0);
        assert_close(mutinf__gamma_q(0.5, x), erfc(sqrt(x)), 1e-12, 0);
        assert_close(mutinf__gamma_p(0.5, x), erf(sqrt(x)), 1e-13, 1e-300);
    }
    const int as[] = {2, 5, 17, 50, 300, 15360};
    const double rel[] = {0.3, 0.7, 0.95, 1.0, 1.05, 1.3, 2.0};
    for (size_t i = 0; i < sizeof as / sizeof *as; i++)
        for (size_t j = 0; j < sizeof rel / sizeof *rel; j++) {
            double x = rel[j] * as[i];
            double q = gamma_q_poisson(as[i], x);
            assert_close(mutinf__gamma_q(as[i], x), q, 1e-9, 1e-300);
            assert_close(mutinf__gamma_p(as[i], x) + mutinf__gamma_q(as[i], x), 1.0, 1e-13, 0);
        }
    assert_close(mutinf__gamma_q(3.0, 0.0), 1.0, 0, 0);
    assert_close(mutinf__gamma_p(3.0, 0.0), 0.0, 0, 0);
    assert_close(mutinf__gamma_q(3.0, INFINITY), 0.0, 0, 0);
    assert_true(isnan(mutinf__gamma_q(0.0, 1.0)));
    assert_true(isnan(mutinf__gamma_q(1.0, -1.0)));
    assert_true(isnan(mutinf__gamma_p(NAN, 1.0)));
}

/* Upper 5% and 1% points of the chi-squared distribution as printed in
 * standard tables (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.4), to 3 decimals. */
static void test_chi2_table(void **state)
{
    (void)state;
    static const struct {
        double df, x05, x01;
    } table[] = {
        {1, 3.841, 6.635},    {2, 5.991, 9.210},    {3, 7.815, 11.345},
        {5, 11.070, 15.086},  {10, 18.307, 23.209}, {20, 31.410, 37.566},
        {30, 43.773, 50.892}, {50, 67.505, 76.154}, {100, 124.342, 135.807},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        /* Rounding the critical value to 3 decimals moves the tail by at
         * most density * 5e-4 < 1e-4. */
        assert_close(mutinf__chi2_sf(table[i].x05, table[i].df), 0.05, 0, 1e-4);
        assert_close(mutinf__chi2_sf(table[i].x01, table[i].df), 0.01, 0, 3e-5);
    }
    /* Exact: df = 2 is the exponential distribution. */
    assert_close(mutinf__chi2_sf(13.0, 2), exp(-6.5), 1e-13, 0);
}

static void test_norm_quantile(void **state)
{
    (void)state;
    /* Tabulated quantiles (e.g. Abramowitz & Stegun table 26.5, 20 digits). */
    assert_close(mutinf__norm_quantile(0.975), 1.959963984540054, 1e-14, 0);
    assert_close(mutinf__norm_quantile(0.95), 1.6448536269514722, 1e-14, 0);
    assert_close(mutinf__norm_quantile(0.995), 2.5758293035489004, 1e-14, 0);
    assert_close(mutinf__norm_quantile(0.999), 3.090232306167813, 1e-14, 0);
    assert_close(mutinf__norm_quantile(1e-10), -6.361340902404056, 1e-13, 0);
    assert_close(mutinf__norm_quantile(0.5), 0.0, 0, 1e-15);
    assert_close(mutinf__norm_quantile(0.8413447460685429), 1.0, 1e-14, 0);
    /* Round trip and symmetry over the whole range, both tails. */
    for (double p = 1e-300; p < 0.5; p *= 3.7) {
        double x = mutinf__norm_quantile(p);
        assert_close(mutinf__norm_cdf(x), p, p > 1e-100 ? 1e-13 : 1e-12, 0);
        assert_close(mutinf__norm_quantile(1.0 - p), -mutinf__norm_quantile(1.0 - (1.0 - p)), 1e-12,
                     0);
    }
    for (int i = 1; i < 1000; i++) {
        double p = i / 1000.0;
        assert_close(mutinf__norm_cdf(mutinf__norm_quantile(p)), p, 1e-14, 0);
    }
    assert_true(isinf(mutinf__norm_quantile(0.0)) && mutinf__norm_quantile(0.0) < 0);
    assert_true(isinf(mutinf__norm_quantile(1.0)) && mutinf__norm_quantile(1.0) > 0);
    assert_true(isnan(mutinf__norm_quantile(1.5)));
    assert_true(isnan(mutinf__norm_quantile(NAN)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digamma),
        cmocka_unit_test(test_incomplete_gamma_identities),
        cmocka_unit_test(test_chi2_table),
        cmocka_unit_test(test_norm_quantile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
