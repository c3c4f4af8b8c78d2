/* k-means: Lloyd iterations from given centers, with the relocation of
 * empty clusters and scikit-learn's stopping rules (labels unchanged, or the
 * total squared centroid shift within the absolute tolerance). */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "kmeans_impl.h"

/* Gives every empty cluster the point farthest from the centre it was
 * assigned to (exact distances to `old_centers`; ties to the lowest index),
 * taking it out of its cluster's sum, as scikit-learn does.  A point is only
 * taken from a cluster that keeps at least one other point, so no cluster is
 * emptied in turn.  *moved = number of clusters refilled. */
static mutinf_status relocate_empty(const mutinf__km_data *X, const mutinf__km_plan *plan,
                                    mutinf__km_work *w, int64_t k, const double *old_centers,
                                    const int32_t *labels, double *sums, int64_t *counts,
                                    int64_t *moved)
{
    int64_t n = X->n, d = X->d, n_empty = 0;
    *moved = 0;
    for (int64_t j = 0; j < k; j++)
        n_empty += counts[j] == 0;
    if (n_empty == 0) return MUTINF_OK;
    if (w->mindist == NULL) {
        w->mindist = mutinf__alloc((size_t)n, sizeof(double), 0, "k-means relocation distances");
        if (w->mindist == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    }
    double *dist = w->mindist;
#pragma omp parallel for schedule(static) num_threads(plan->threads)
    for (int64_t i = 0; i < n; i++)
        dist[i] = mutinf__km_sqdist(X, i, old_centers + (int64_t)labels[i] * d);
    double row[64], *x = d <= 64 ? row : NULL;
    if (x == NULL) {
        x = mutinf__alloc((size_t)d, sizeof(double), 0, "k-means relocation row");
        if (x == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    }
    for (int64_t j = 0; j < k; j++) {
        if (counts[j] != 0) continue;
        int64_t best = -1;
        double bd = -1.0;
        for (int64_t i = 0; i < n; i++)
            if (dist[i] > bd && counts[labels[i]] > 1) {
                bd = dist[i];
                best = i;
            }
        if (best < 0) break; /* every cluster holds a single point: nothing to give */
        int32_t from = labels[best];
        mutinf__km_row(X, best, x);
        for (int64_t f = 0; f < d; f++) {
            sums[(int64_t)from * d + f] -= x[f];
            sums[j * d + f] = x[f];
        }
        counts[from]--;
        counts[j] = 1;
        dist[best] = -1.0; /* taken */
        (*moved)++;
    }
    if (x != row) mutinf__free(x);
    return MUTINF_OK;
}

mutinf_status mutinf__km_lloyd(const mutinf__km_data *X, const mutinf__km_plan *plan,
                               mutinf__km_work *w, int64_t k, int32_t bounded, int32_t max_iter,
                               double tol_abs, double *centers, int32_t *labels, double *inertia,
                               int32_t *n_iter, int32_t *converged, mutinf__km_progress *prog)
{
    int64_t n = X->n, d = X->d;
    mutinf_status st = MUTINF_OK;
    double *sums = mutinf__alloc((size_t)(k * d), sizeof(double), 0, "k-means cluster sums");
    int64_t *counts = mutinf__alloc((size_t)k, sizeof(int64_t), 0, "k-means cluster counts");
    if (sums == NULL || counts == NULL) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        labels[i] = -1;
    w->bounds_valid = 0;
    int32_t it = 0, strict = 0, conv = 0;
    while (it < max_iter) {
        int64_t changed = 0, moved = 0;
        st = bounded
                 ? mutinf__km_assign_bounded(X, plan, w, k, centers, labels, sums, counts, &changed)
                 : mutinf__km_assign(X, plan, w, k, centers, labels, sums, counts, &changed);
        if (st != MUTINF_OK) goto done;
        it++;
        st = relocate_empty(X, plan, w, k, centers, labels, sums, counts, &moved);
        if (st != MUTINF_OK) goto done;
        double shift = 0.0;
        for (int64_t j = 0; j < k; j++) {
            if (counts[j] == 0) continue; /* nothing to move it to: keep the old centre */
            double inv = 1.0 / (double)counts[j];
            for (int64_t f = 0; f < d; f++) {
                double c = sums[j * d + f] * inv;
                double t = c - centers[j * d + f];
                shift += t * t;
                centers[j * d + f] = c;
            }
        }
        if (prog->fn != NULL) {
            prog->done++;
            if (prog->fn(prog->done, prog->total, prog->payload) != 0) {
                st = mutinf__fail(MUTINF_ERR_CANCELLED,
                                  "mutinf_kmeans_fit: the progress callback asked to stop after "
                                  "%lld of %lld iterations",
                                  (long long)prog->done, (long long)prog->total);
                goto done;
            }
        }
        if (changed == 0 && moved == 0) {
            strict = 1;
            conv = 1;
            break;
        }
        if (shift <= tol_abs) {
            conv = 1;
            break;
        }
    }
    if (!strict) {
        /* Labels of the final centres, so that labels, centres and predict agree. */
        st = bounded ? mutinf__km_assign_bounded(X, plan, w, k, centers, labels, NULL, NULL, NULL)
                     : mutinf__km_assign(X, plan, w, k, centers, labels, NULL, NULL, NULL);
        if (st != MUTINF_OK) goto done;
    }
    *inertia = mutinf__km_inertia(X, plan, w, centers, labels);
    *n_iter = it;
    *converged = conv;
done:
    mutinf__free(sums);
    mutinf__free(counts);
    return st;
}
