/* The k-means quantizer on top of the public k-means module. */
#include <math.h>

#include "alloc.h"
#include "error.h"
#include "mutinf/kmeans.h"
#include "partition.h"
#include "quantize.h"

mutinf_status mutinf__quantize_kmeans(const mutinf__view *v, const mutinf_partition *p,
                                      int32_t bins, int32_t n_init, uint64_t seed, int threads,
                                      mutinf__progress *progress, int32_t *symbols)
{
    const int64_t n = v->dim[0], K = p->n_modules;
    int64_t dmax = 0;
    for (int64_t k = 0; k < K; k++)
        if (p->offsets[k + 1] - p->offsets[k] > dmax) dmax = p->offsets[k + 1] - p->offsets[k];
    double *x = mutinf__alloc((size_t)n * (size_t)dmax, sizeof *x, 0, "standardised module");
    int32_t *labels = mutinf__alloc((size_t)n, sizeof *labels, 0, "cluster labels");
    mutinf_kmeans *km = NULL;
    mutinf_status st = MUTINF_OK;
    if (x == NULL || labels == NULL) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    if ((st = mutinf_kmeans_create(&km)) != MUTINF_OK ||
        (st = mutinf_kmeans_set_k(km, bins)) != MUTINF_OK ||
        (st = mutinf_kmeans_set_n_init(km, n_init)) != MUTINF_OK ||
        (st = mutinf_kmeans_set_seed(km, seed)) != MUTINF_OK ||
        (st = mutinf_kmeans_set_threads(km, threads)) != MUTINF_OK)
        goto done;
    for (int64_t k = 0; k < K; k++) {
        int64_t first = p->offsets[k], dk = p->offsets[k + 1] - first;
        /* Row-major n x dk, each column standardised (two passes). */
        for (int64_t u = 0; u < dk; u++) {
            int64_t unit = p->units[first + u];
            double s = 0.0, amax = 0.0;
            for (int64_t i = 0; i < n; i++) {
                double val = mutinf__view_at2(v, i, unit);
                x[i * dk + u] = val;
                s += val;
                amax = fmax(amax, fabs(val));
            }
            double mean = s / (double)n, ss = 0.0;
            for (int64_t i = 0; i < n; i++) {
                double c = x[i * dk + u] - mean;
                x[i * dk + u] = c;
                ss += c * c;
            }
            double sd = sqrt(ss / (double)n);
            /* A constant unit leaves only rounding noise after centring. */
            if (sd > 1e-12 * amax)
                for (int64_t i = 0; i < n; i++)
                    x[i * dk + u] /= sd;
        }
        st = mutinf_kmeans_fit(km, x, n, dk, dk, 1, labels);
        if (st != MUTINF_OK) goto done;
        for (int64_t i = 0; i < n; i++)
            symbols[i * K + k] = labels[i];
        st = mutinf__progress_step(progress, 1, "mutinf_activations_quantized");
        if (st != MUTINF_OK) goto done;
    }
done:
    mutinf_kmeans_destroy(km);
    mutinf__free(labels);
    mutinf__free(x);
    return st;
}
