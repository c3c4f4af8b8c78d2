/* Estimator 4: quantized (discrete) total correlation from activations. */
#include <math.h>
#include <string.h>

#include "activations.h"
#include "alloc.h"
#include "discrete.h"
#include "error.h"
#include "options.h"
#include "partition.h"
#include "quantize.h"

#define FN "mutinf_activations_quantized"

/* Fewer than this many samples per occupied joint cell on average flags
 * the estimate as undersampled (documented in activations.h). */
#define MIN_SAMPLES_PER_CELL 5

mutinf_status mutinf_activations_quantized(const mutinf_activations *activations,
                                           const mutinf_partition *partition,
                                           const mutinf_options *options, double *tc_out,
                                           double *pairwise_out, double *p_value_out,
                                           double *null_mean_out, int64_t *occupied_cells_out,
                                           int32_t *undersampled_out, int32_t *symbols_out)
{
    MUTINF_CHECK_NULL(activations, FN);
    MUTINF_CHECK_NULL(partition, FN);
    MUTINF_CHECK_NULL(tc_out, FN);
    const mutinf__view *v = &activations->view;
    const int64_t n = v->dim[0];
    mutinf_status st = mutinf__partition_check_units(partition, v->dim[1], FN);
    if (st != MUTINF_OK) return st;
    const struct mutinf_options *o = mutinf__opts(options);
    const int64_t K = partition->n_modules;
    if (n < 2)
        return mutinf__fail(MUTINF_ERR_TOO_FEW_SAMPLES,
                            "%s: n_samples = %lld, the quantized estimator needs at least 2", FN,
                            (long long)n);
    if (o->quantizer == MUTINF_QUANTIZER_KMEANS && n < o->bins)
        return mutinf__fail(MUTINF_ERR_TOO_FEW_SAMPLES,
                            "%s: n_samples = %lld is below bins = %d k-means clusters", FN,
                            (long long)n, (int)o->bins);
    size_t nk;
    if (n > INT32_MAX || mutinf__mul_size((size_t)n, (size_t)K, &nk))
        return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW,
                            "%s: n_samples = %lld exceeds the int32 range of the symbols", FN,
                            (long long)n);
    const int threads = mutinf__thread_count(options);
    /* the quantizers assume finite data: one screening pass first */
    st = mutinf__check_units_finite(v, partition->units, partition->n_assigned, threads, FN);
    if (st != MUTINF_OK) return st;

    int32_t *symbols = mutinf__alloc(nk, sizeof *symbols, 0, "module symbols");
    double *pair = pairwise_out != NULL
                       ? mutinf__alloc((size_t)(K * K), sizeof *pair, 0, "pairwise matrix")
                       : NULL;
    if (symbols == NULL || (pairwise_out != NULL && pair == NULL)) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    /* progress: one step per module quantized, one per permutation */
    mutinf__progress progress = {.fn = o->progress,
                                 .payload = o->progress_payload,
                                 .done = 0,
                                 .total = K + o->n_permutations};
    if (o->quantizer == MUTINF_QUANTIZER_QUANTILE) {
        st = mutinf__quantize_quantile(v, partition, o->bins, threads, symbols);
        if (st == MUTINF_OK) st = mutinf__progress_step(&progress, K, FN);
    } else {
        st = mutinf__quantize_kmeans(v, partition, o->bins, o->n_init, o->seed, threads, &progress,
                                     symbols);
    }
    if (st != MUTINF_OK) goto done;

    mutinf__discrete_result res;
    st = mutinf__discrete_tc(symbols, n, K, o->miller_madow, o->n_permutations, o->seed, threads,
                             &progress, pair, &res);
    if (st != MUTINF_OK) goto done;

    *tc_out = mutinf__in_units(options, res.tc);
    if (pairwise_out != NULL)
        for (int64_t i = 0; i < K * K; i++)
            pairwise_out[i] = mutinf__in_units(options, pair[i]);
    if (p_value_out != NULL) *p_value_out = res.p_value;
    if (null_mean_out != NULL) *null_mean_out = mutinf__in_units(options, res.null_mean);
    if (occupied_cells_out != NULL) *occupied_cells_out = res.occupied;
    if (undersampled_out != NULL) *undersampled_out = MIN_SAMPLES_PER_CELL * res.occupied > n;
    if (symbols_out != NULL) memcpy(symbols_out, symbols, nk * sizeof *symbols);
done:
    mutinf__free(pair);
    mutinf__free(symbols);
    return st;
}
