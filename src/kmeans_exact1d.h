/* Internal: the exact one-dimensional k-means programme
 * (src/kmeans_exact1d.c), its Lagrangian search (src/kmeans_exact1d_lagrange.c)
 * and their test hooks. */
#ifndef MUTINF_SRC_KMEANS_EXACT1D_H
#define MUTINF_SRC_KMEANS_EXACT1D_H

#include <stdint.h>

#include "kmeans_impl.h"

/* Test hook: nonzero makes the programme use its baseline kernels even
 * where AVX2/FMA runs, so that tests reach both.  Not thread-safe: for
 * single-threaded tests. */
void mutinf__km_exact_1d_force_plain(int on);

/* mutinf__km_sort_doubles (kmeans_impl.h) on up to `threads` threads; the
 * result does not depend on them. */
mutinf_status mutinf__km_sort_doubles_threads(double *v, int64_t n, int32_t threads);

/* Which search finds the boundaries. */
enum {
    MUTINF__KM_EXACT_AUTO = 0,    /* the Lagrangian search where it pays, else the layers */
    MUTINF__KM_EXACT_LAYERED = 1, /* the layered programme only */
    MUTINF__KM_EXACT_LAGRANGE = 2 /* the Lagrangian search first, whatever n and k */
};

/* Test hook: the search to use (MUTINF__KM_EXACT_*), and which one found
 * the boundaries of the last fit (LAYERED or LAGRANGE).  Not thread-safe:
 * for single-threaded tests. */
void mutinf__km_exact_1d_force_search(int search);
int mutinf__km_exact_1d_last_search(void);

/* One row-minimisation problem of the programme over the sorted values:
 * for rows i, cur[i] = min_j prev[j] - (S1[i] - S1[j])^2 / (i - j) with its
 * leftmost arg-min J[i], j bounded below by Jprev[i] (if not NULL).  S1 and
 * prev are readable MUTINF__DP_PAD entries past their last row, inv[q] = 1 / q
 * the same before 0 and past n.  prev and cur may be one array when every
 * column searched precedes every row solved. */
typedef struct mutinf__km_dp {
    const double *S1, *inv;
    const double *prev;
    double *cur;
    int32_t *J;
    const int32_t *Jprev;
    int64_t m; /* layer: m clusters; j >= m - 1 */
} mutinf__km_dp;

/* Readable entries beyond the ends of S1, prev, the arg-min rows (after
 * index n) and inv (before index 0 and after index n), for the vector
 * kernels, which read whole vectors past the last column or row. */
#define MUTINF__DP_PAD 8

/* Rows ilo..ihi, whose leftmost arg-mins are known to lie in [jlo, jhi]
 * (and below each row), by divide and conquer on their monotonicity.  Large
 * ranges are split into two OpenMP tasks (waited for), shared by the team
 * when called inside a parallel region; the result is the same either way. */
void mutinf__km_dp_solve_rows(const mutinf__km_dp *c, int64_t ilo, int64_t ihi, int64_t jlo,
                              int64_t jhi);

/* Row i alone over the columns jlo..jhi: the least value and its leftmost
 * column. */
int64_t mutinf__km_dp_best_split(const mutinf__km_dp *c, int64_t i, int64_t jlo, int64_t jhi,
                                 double *value);

/* The Lagrangian search (kmeans_exact1d_lagrange.c): the k + 1 group
 * boundaries bounds[0] = 0 < ... < bounds[k] = n of an optimal clustering
 * of the n sorted values whose centred prefix sums are S1 (padded as
 * above), inv the reciprocals; G and J are scratch of n + 1 +
 * MUTINF__DP_PAD entries.  Returns 1 when found, 0 when the search gave up
 * (the layered programme must run), -1 when out of memory, -2 when the
 * progress callback asked to stop (called after each pass over all values,
 * as layers 1, 2, ... up to k - 1).  v: the sorted values; threads: for
 * the passes over all values (the result does not depend on it). */
int mutinf__km_exact_1d_lagrange(const double *v, const double *S1, const double *inv, int64_t n,
                                 int64_t k, int32_t threads, mutinf__km_progress *prog, double *G,
                                 int32_t *J, int64_t *bounds);

/* Reports `done` layers (never fewer than reported before) to prog's
 * callback; nonzero when it asks to stop. */
int mutinf__km_exact_1d_report(mutinf__km_progress *prog, int64_t done);

#endif
