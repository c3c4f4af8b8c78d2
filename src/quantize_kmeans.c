/* The k-means quantizer on top of the public k-means module. */
#include "error.h"
#include "quantize.h"

mutinf_status mutinf__quantize_kmeans(const mutinf__view *v, const mutinf_partition *p,
                                      int32_t bins, int32_t n_init, uint64_t seed, int threads,
                                      int32_t *symbols)
{
    (void)v;
    (void)p;
    (void)bins;
    (void)n_init;
    (void)seed;
    (void)threads;
    (void)symbols;
    return mutinf__fail(MUTINF_ERR_UNSUPPORTED,
                        "mutinf_activations_quantized: the k-means quantizer needs the k-means "
                        "module, which this build lacks; use MUTINF_QUANTIZER_QUANTILE");
}
