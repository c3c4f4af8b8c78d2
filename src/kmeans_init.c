/* k-means initialisation: greedy k-means++ (Arthur & Vassilvitskii 2007,
 * with the greedy candidate selection of scikit-learn's _kmeans_plusplus) and
 * k random distinct rows.  Random numbers come from the counter-based RNG
 * (stream = restart), and every potential is summed block by block in a
 * fixed order, so the result does not depend on the thread count. */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "kmeans_impl.h"
#include "rng.h"

typedef double mutinf__v4d_i __attribute__((vector_size(32)));

/* Squared distances of row i to the T candidates (T x d, row-major): exact
 * (x - c)^2 with four partial sums per candidate, combined in a fixed order. */
__attribute__((target_clones("arch=x86-64-v3", "default"))) static void
cand_dists(const mutinf__km_data *X, int64_t i, const double *cand, int64_t T, double *out)
{
    int64_t d = X->d, d4 = d / 4 * 4;
    double xb[8];
    for (int64_t t = 0; t < T; t++) {
        const double *c = cand + t * d;
        mutinf__v4d_i acc = {0.0, 0.0, 0.0, 0.0};
        double tail = 0.0;
        if (X->x64 != NULL) {
            const double *x = X->x64 + i * d;
            for (int64_t f = 0; f < d4; f += 4) {
                mutinf__v4d_i xv, cv;
                memcpy(&xv, x + f, sizeof(xv));
                memcpy(&cv, c + f, sizeof(cv));
                xv -= cv;
                acc += xv * xv;
            }
            for (int64_t f = d4; f < d; f++) {
                double u = x[f] - c[f];
                tail += u * u;
            }
        } else {
            const float *x = X->x32 + i * d;
            for (int64_t f = 0; f < d4; f += 4) {
                mutinf__v4d_i xv, cv;
                for (int q = 0; q < 4; q++)
                    xb[q] = (double)x[f + q];
                memcpy(&xv, xb, sizeof(xv));
                memcpy(&cv, c + f, sizeof(cv));
                xv -= cv;
                acc += xv * xv;
            }
            for (int64_t f = d4; f < d; f++) {
                double u = (double)x[f] - c[f];
                tail += u * u;
            }
        }
        out[t] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail;
    }
}

/* Index of the point where the running sum of `closest` first exceeds r
 * (scikit-learn: searchsorted(cumsum(closest), r)); blocks are skipped by
 * their sums.  Points with closest == 0 (already centres) are never chosen. */
static int64_t sample_index(const double *closest, const double *block_pot, int64_t n,
                            int64_t block_rows, int64_t n_blocks, double r)
{
    double acc = 0.0;
    int64_t b = 0;
    for (; b < n_blocks - 1; b++) {
        if (acc + block_pot[b] > r)
            break;
        acc += block_pot[b];
    }
    int64_t last = -1;
    for (; b < n_blocks; b++) {
        int64_t r0 = b * block_rows, r1 = r0 + block_rows < n ? r0 + block_rows : n;
        for (int64_t i = r0; i < r1; i++) {
            if (closest[i] > 0.0) {
                last = i;
                acc += closest[i];
                if (acc > r)
                    return i;
            }
        }
    }
    return last; /* r rounded beyond the total: the last point of positive weight */
}

mutinf_status mutinf__km_init_plusplus(const mutinf__km_data *X, const mutinf__km_plan *plan,
                                       int64_t k, uint64_t seed, uint64_t stream,
                                       double *centers)
{
    int64_t n = X->n, d = X->d, nb = plan->n_blocks, br = plan->block_rows;
    int64_t T = 2 + (int64_t)log((double)k);
    mutinf_status st = MUTINF_OK;
    uint64_t ctr = 0;
    double *closest = mutinf__alloc((size_t)n, sizeof(double), 0, "k-means++ distances");
    double *cmin = mutinf__alloc((size_t)n * (size_t)T, sizeof(double), 0, "k-means++ candidates");
    double *cand = mutinf__alloc((size_t)(T * d), sizeof(double), 0, "k-means++ candidates");
    double *block_pot = mutinf__alloc((size_t)nb, sizeof(double), 0, "k-means++ potentials");
    double *block_cpot = mutinf__alloc((size_t)(nb * T), sizeof(double), 0, "k-means++ potentials");
    if (!closest || !cmin || !cand || !block_pot || !block_cpot) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    int64_t first = (int64_t)mutinf__rng_below(seed, stream, ctr++, (uint64_t)n);
    mutinf__km_row(X, first, centers);
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan->threads)
    for (int64_t b = 0; b < nb; b++) {
        int64_t r0 = b * br, r1 = r0 + br < n ? r0 + br : n;
        double s = 0.0;
        for (int64_t i = r0; i < r1; i++) {
            cand_dists(X, i, centers, 1, closest + i);
            s += closest[i];
        }
        block_pot[b] = s;
    }
    double pot = 0.0;
    for (int64_t b = 0; b < nb; b++)
        pot += block_pot[b];

    for (int64_t c = 1; c < k; c++) {
        for (int64_t t = 0; t < T; t++) {
            double r = mutinf__rng_uniform(seed, stream, ctr++) * pot;
            int64_t idx = sample_index(closest, block_pot, n, br, nb, r);
            if (idx < 0)
                idx = 0; /* pot == 0 cannot happen with >= k distinct points */
            mutinf__km_row(X, idx, cand + t * d);
        }
        /* Potential of each candidate: sum_i min(closest_i, |x_i - cand_t|^2). */
#pragma omp parallel for schedule(dynamic, 1) num_threads(plan->threads)
        for (int64_t b = 0; b < nb; b++) {
            int64_t r0 = b * br, r1 = r0 + br < n ? r0 + br : n;
            double s[64], dt[64];
            for (int64_t t = 0; t < T; t++)
                s[t] = 0.0;
            for (int64_t i = r0; i < r1; i++) {
                cand_dists(X, i, cand, T, dt);
                for (int64_t t = 0; t < T; t++) {
                    double m = dt[t] < closest[i] ? dt[t] : closest[i];
                    cmin[t * n + i] = m;
                    s[t] += m;
                }
            }
            for (int64_t t = 0; t < T; t++)
                block_cpot[b * T + t] = s[t];
        }
        int64_t best = 0;
        double best_pot = INFINITY;
        for (int64_t t = 0; t < T; t++) {
            double p = 0.0;
            for (int64_t b = 0; b < nb; b++)
                p += block_cpot[b * T + t];
            if (p < best_pot) {
                best_pot = p;
                best = t;
            }
        }
        memcpy(centers + c * d, cand + best * d, (size_t)d * sizeof(double));
        memcpy(closest, cmin + best * n, (size_t)n * sizeof(double));
        for (int64_t b = 0; b < nb; b++)
            block_pot[b] = block_cpot[b * T + best];
        pot = best_pot;
    }
done:
    mutinf__free(closest);
    mutinf__free(cmin);
    mutinf__free(cand);
    mutinf__free(block_pot);
    mutinf__free(block_cpot);
    return st;
}

mutinf_status mutinf__km_init_random(const mutinf__km_data *X, int64_t k, uint64_t seed,
                                     uint64_t stream, double *centers)
{
    int64_t n = X->n;
    /* Partial Fisher-Yates over the row indices: k distinct rows. */
    int64_t *idx = mutinf__alloc((size_t)n, sizeof(int64_t), 0, "k-means random init");
    if (idx == NULL)
        return MUTINF_ERR_OUT_OF_MEMORY;
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    for (int64_t j = 0; j < k; j++) {
        int64_t r = j + (int64_t)mutinf__rng_below(seed, stream, (uint64_t)j, (uint64_t)(n - j));
        int64_t t = idx[j];
        idx[j] = idx[r];
        idx[r] = t;
        mutinf__km_row(X, idx[j], centers + j * X->d);
    }
    mutinf__free(idx);
    return MUTINF_OK;
}
