/* Internal: special functions for the estimators' corrections and nulls,
 * written here so that libmutinf depends on nothing beyond libm. */
#ifndef MUTINF_SRC_SPECIAL_H
#define MUTINF_SRC_SPECIAL_H

/* Digamma psi(x) = d/dx ln Gamma(x) for x > 0 (NaN otherwise): recurrence
 * psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series
 * (Abramowitz & Stegun 6.3.18).  Absolute error below 1e-14. */
double mutinf__digamma(double x);

/* Regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x)
 * for a > 0, x >= 0 (NaN otherwise): the power series when x < a + 1, else
 * the continued fraction by modified Lentz (Numerical Recipes 6.2), each
 * computed directly so the small one keeps its relative accuracy.  x = +inf
 * gives P = 1, Q = 0. */
double mutinf__gamma_p(double a, double x);
double mutinf__gamma_q(double a, double x);

/* Upper tail of the chi-squared distribution with `df` > 0 degrees of
 * freedom: Pr(X >= x) = Q(df/2, x/2). */
double mutinf__chi2_sf(double x, double df);

/* Standard normal distribution function Phi(x), through erfc so that both
 * tails keep their relative accuracy. */
double mutinf__norm_cdf(double x);

/* Standard normal quantile Phi^-1(p) for 0 < p < 1 (-inf at 0, +inf at 1,
 * NaN outside): the Abramowitz & Stegun 26.2.23 rational start refined by
 * Halley steps on erfc, accurate to a few ulps. */
double mutinf__norm_quantile(double p);

#endif
