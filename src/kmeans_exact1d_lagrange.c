/* k-means: the exact optimal clustering of one-dimensional data by a
 * Lagrangian (parametric) search instead of k layers.
 *
 * With D_k the least cost of k contiguous groups of the n sorted values,
 * the penalised programme
 *
 *     F[i] = min_{0 <= j < i} F[j] + cost(j, i) + lambda,     F[0] = 0,
 *
 * has F[n] = min_k D_k + k lambda.  The cost is concave Monge (it satisfies
 * the quadrangle inequality), so D_k is convex in k (Aggarwal, Schieber &
 * Tokuyama, "Finding a minimum-weight k-link path in graphs with the
 * concave Monge property and applications", Discrete Comput. Geom. 12,
 * 1994), and any optimal solution of the penalised programme with exactly k
 * groups is an optimal k-clustering: its cost plus k lambda is F[n] <=
 * D_k + k lambda.  Every lambda strictly between D_k - D_{k+1} and
 * D_{k-1} - D_k gives k groups; the search looks for such a lambda.
 *
 * One pass solves the penalised programme in E-form (G[i] = F[i] - S2[i],
 * as in kmeans_exact1d.c) left to right in blocks: rows (a, a + B] first
 * take the least over the columns j <= a, whose G are final, by the same
 * divide-and-conquer kernels as a layer (leftmost arg-mins are
 * non-decreasing).  That is the true G of every row of the block unless
 * some row's arg-min lies inside the block; then, with i* the first such
 * row and j its arg-min, G[j] is final and, by the quadrangle inequality,
 * column j also beats every column <= a at the last row a + B.  So one
 * search of the last row over the block's own columns decides: when none
 * of them beats the value found, the whole block stands; otherwise the
 * block is halved (its first rows are already solved) and checked again.
 * Blocks grow while they stand, so a pass costs about one layer.
 *
 * lambda: from the costs of equal-count groups, then refined on a regular
 * subsample (the marginal gain D_{k-1} - D_k scales with the number of
 * values), then on all values: while one side of k is known the gain is
 * taken to fall as k^-3 (as for smooth densities), then the bracket is cut
 * in log-log interpolation, never closer than a fifth to its ends.  When
 * the search does not reach k groups within its passes (D not strictly
 * convex at k, or rounding hiding the exact count), the caller runs the
 * layered programme instead.  Single-threaded and deterministic: the result
 * does not depend on the thread count. */
#include <math.h>
#include <stdint.h>

#include "alloc.h"
#include "kmeans_exact1d.h"

/* Rows of a block at most, and at the start of a pass. */
#define MUTINF__LG_BLOCK_MAX 16384
#define MUTINF__LG_BLOCK_MIN 8

/* The subsample: about this many values, when it leaves at least
 * MUTINF__LG_SAMPLE_PER_GROUP values per group. */
#define MUTINF__LG_SAMPLE           65536
#define MUTINF__LG_SAMPLE_PER_GROUP 32

/* Passes on the subsample at most. */
#define MUTINF__LG_SAMPLE_PASSES 32

/* Whether rows (a, a + p] of a block, solved over the columns <= a, stand:
 * no column inside the block beats the last row's value. */
static int block_stands(const mutinf__km_dp *c, int64_t a, int64_t p, double lambda)
{
    int64_t r = a + p;
    if (p <= 1) return 1; /* no column inside */
    double v;
    mutinf__km_dp_best_split(c, r, a + 1, r - 1, &v);
    return !(v + lambda < c->cur[r]);
}

/* One pass of the penalised programme over the n values with prefix sums
 * S1: G and J for rows 0..n; returns the number of groups on the arg-min
 * chain from row n. */
static int64_t penalised_pass(const double *S1, const double *inv, int64_t n, double lambda,
                              int32_t threads, double *G, int32_t *J)
{
    mutinf__km_dp c = {S1, inv, G, G, J, NULL, 1};
    G[0] = 0.0;
    J[0] = 0;
    /* one team for the pass: the blocks' halves run as its tasks */
#pragma omp parallel num_threads(threads) if (threads > 1)
#pragma omp single
    for (int64_t a = 0, B = MUTINF__LG_BLOCK_MIN; a < n;) {
        if (B > n - a) B = n - a;
        mutinf__km_dp_solve_rows(&c, a + 1, a + B, J[a], a);
        for (int64_t i = a + 1; i <= a + B; i++)
            G[i] += lambda;
        int64_t p = B;
        while (!block_stands(&c, a, p, lambda))
            p /= 2;
        a += p;
        B = p < B ? p : (2 * B < MUTINF__LG_BLOCK_MAX ? 2 * B : MUTINF__LG_BLOCK_MAX);
    }
    int64_t groups = 0;
    for (int64_t i = n; i > 0; i = J[i])
        groups++;
    return groups;
}

/* The first lambda: twice the cost of k equal-count groups over k (the
 * marginal gain if D_k fell as k^-2 from there), from the prefix sums; where
 * those groups cost nothing (runs of equal values), the same from one
 * group's cost. */
static double equal_count_lambda(const double *S1, int64_t n, int64_t k)
{
    double squares = 0.0; /* sum of the squared (centred) values */
    double total = 0.0;
    for (int64_t g = 0; g < k; g++) {
        int64_t lo = g * n / k, hi = (g + 1) * n / k;
        double mean = (S1[hi] - S1[lo]) / (double)(hi - lo), ss = 0.0;
        for (int64_t i = lo; i < hi; i++) {
            double d = (S1[i + 1] - S1[i]) - mean;
            ss += d * d;
        }
        total += ss;
        squares += ss + mean * mean * (double)(hi - lo);
    }
    double kk = (double)k, single = squares - S1[n] * S1[n] / (double)n;
    return total > 0.0 ? 2.0 * total / kk : 2.0 * single / (kk * kk * kk);
}

/* Known lambdas on both sides of k: lo gave clo > k groups, hi gave
 * chi < k (lo = 0, hi = infinity while unknown). */
typedef struct lambda_bracket {
    double lo, hi;
    int64_t clo, chi;
    int64_t last; /* the groups of the previous pass */
    double power; /* of the one-sided step */
} lambda_bracket;

/* The next lambda to try after `lambda` gave `groups` (not k), recorded in
 * b; 0 when the bracket cannot shrink further. */
static double next_lambda(lambda_bracket *b, double lambda, int64_t groups, int64_t k)
{
    if (groups > k) {
        b->lo = lambda;
        b->clo = groups;
    } else {
        b->hi = lambda;
        b->chi = groups;
    }
    double next;
    if (b->lo > 0.0 && isfinite(b->hi)) {
        double a = log(b->lo), z = log(b->hi);
        double t =
            (log((double)b->clo) - log((double)k)) / (log((double)b->clo) - log((double)b->chi));
        t = t < 0.2 ? 0.2 : (t > 0.8 ? 0.8 : t);
        next = exp(a + t * (z - a));
    } else {
        /* a step that did not change the count was too short: the next
         * one goes twice as far (in log lambda) */
        b->power = groups == b->last ? 2.0 * b->power : 3.0;
        next = lambda * pow((double)groups / (double)k, b->power);
    }
    b->last = groups;
    /* a bracket narrower than this is rounding's to decide, or the k-th
     * group's gain ties the next one's: the layers decide instead */
    if (b->lo > 0.0 && isfinite(b->hi) && b->hi - b->lo < 1e-9 * b->hi) return 0.0;
    return next > b->lo && next < b->hi && isfinite(next) ? next : 0.0;
}

/* Penalised passes from *lambda until one gives k groups (returns 1, G and
 * J those of that pass) or max_passes ran or the bracket closed (returns 0,
 * *lambda the next guess, or 0); each pass reported to prog (unless NULL),
 * -2 when it asks to stop. */
static int search_lambda(const double *S1, const double *inv, int64_t n, int64_t k, int max_passes,
                         int32_t threads, mutinf__km_progress *prog, double *lambda, double *G,
                         int32_t *J)
{
    lambda_bracket b = {0.0, INFINITY, 0, 0, 0, 3.0};
    for (int pass = 0; pass < max_passes; pass++) {
        double l = *lambda;
        if (!(l > 0.0)) break; /* the bracket closed */
        int64_t groups = penalised_pass(S1, inv, n, l, threads, G, J);
        if (prog != NULL && mutinf__km_exact_1d_report(prog, pass + 1 < k ? pass + 1 : k - 1))
            return -2;
        if (groups == k) return 1;
        *lambda = next_lambda(&b, l, groups, k);
    }
    return 0;
}

/* lambda refined on every step-th value (from the middle of each step), for
 * n / step values, scaled to n values; G and J serve as scratch.  -1 when
 * out of memory. */
static double subsample_lambda(const double *v, const double *inv, int64_t n, int64_t k,
                               int64_t step, double *G, int32_t *J)
{
    int64_t m = n / step;
    double *S1 = mutinf__alloc((size_t)m + 1 + MUTINF__DP_PAD, sizeof(double), 1,
                               "k-means 1-D subsample prefix sums");
    if (S1 == NULL) return -1.0;
    double mu = v[n / 2];
    for (int64_t i = 0; i < m; i++)
        S1[i + 1] = S1[i] + (v[i * step + step / 2] - mu);
    double lambda = equal_count_lambda(S1, m, k), guess = lambda;
    /* the last guess stands in when the subsample never gives k groups */
    if (search_lambda(S1, inv, m, k, MUTINF__LG_SAMPLE_PASSES, 1, NULL, &guess, G, J) == 1 ||
        guess > 0.0)
        lambda = guess;
    mutinf__free(S1);
    return lambda * (double)n / (double)m;
}

/* Passes on all values at most: each costs about one layer, so a few more
 * for larger k (whose bracket is narrower), but never more than a fraction
 * of the k layers that run when the search gives up (where D is nearly
 * linear in k: evenly spaced values, k close to the number of distinct
 * values). */
static int max_passes(int64_t k)
{
    return k / 16 + 6 < 20 ? (int)(k / 16 + 6) : 20;
}

int mutinf__km_exact_1d_lagrange(const double *v, const double *S1, const double *inv, int64_t n,
                                 int64_t k, int32_t threads, mutinf__km_progress *prog, double *G,
                                 int32_t *J, int64_t *bounds)
{
    int64_t step = n / MUTINF__LG_SAMPLE;
    double lambda;
    if (step >= 2 && n / step >= MUTINF__LG_SAMPLE_PER_GROUP * k) {
        lambda = subsample_lambda(v, inv, n, k, step, G, J);
        if (lambda < 0.0) return -1;
    } else {
        lambda = equal_count_lambda(S1, n, k);
    }
    int found = search_lambda(S1, inv, n, k, max_passes(k), threads, prog, &lambda, G, J);
    if (found != 1) return found;
    bounds[k] = n;
    for (int64_t m = k; m >= 1; m--)
        bounds[m - 1] = J[bounds[m]];
    return 1;
}
