/* Internal: the quantizers of the quantized estimator.  Each turns the
 * activations of every module into one int32 symbol per sample, written to
 * symbols[i*K + k] (n x K, row-major). */
#ifndef MUTINF_SRC_QUANTIZE_H
#define MUTINF_SRC_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

#include "mutinf/common.h"
#include "mutinf/partition.h"
#include "discrete.h"
#include "view.h"

/* Equal-frequency bins of one column: bin_out[i] = floor(bins * r / n), r the
 * 0-based rank of the first sample equal to sample i (so equal values share
 * a bin).  `buf` is scratch of mutinf__quantile_work_bytes(n) bytes,
 * aligned for uint64_t. */
size_t mutinf__quantile_work_bytes(int64_t n);
void mutinf__quantile_bins(const mutinf__view *v, int64_t unit, int32_t bins, void *buf,
                           int32_t *bin_out);

/* Quantile quantizer: every unit binned as above; a module's symbol is the
 * tuple of its units' bins, as the base-`bins` number (first unit most
 * significant) when bins^d_k fits in int32, else numbered in order of first
 * appearance.  Units run in `threads` OpenMP threads. */
mutinf_status mutinf__quantize_quantile(const mutinf__view *v, const mutinf_partition *p,
                                        int32_t bins, int threads, int32_t *symbols);

/* k-means quantizer: each module's units standardised (population standard
 * deviation, the result rounded to a multiple of 2^-g with n 2^g <= 2^50 so
 * that the cluster sums are exact; zero-variance units only centred), clustered into `bins`
 * clusters by the public k-means module (n_init restarts, `seed`, `threads`);
 * the symbol is the cluster label.  One progress step per module. */
mutinf_status mutinf__quantize_kmeans(const mutinf__view *v, const mutinf_partition *p,
                                      int32_t bins, int32_t n_init, uint64_t seed, int threads,
                                      mutinf__progress *progress, int32_t *symbols);

#endif
