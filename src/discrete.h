/* Internal: discrete entropies, pairwise MI and total correlation of
 * symbol sequences, counted sparsely (hashing of symbol tuples: memory
 * O(n K), never a dense table over all possible tuples), with the
 * Miller–Madow correction and a permutation null. */
#ifndef MUTINF_SRC_DISCRETE_H
#define MUTINF_SRC_DISCRETE_H

#include <stdint.h>

#include "mutinf/common.h"

/* Counting table for n keys: open addressing over 2^ceil(log2(2n)) slots. */
typedef struct mutinf__dtable {
    int64_t n;          /* keys per call */
    int64_t mask;       /* slots - 1 */
    uint64_t *slot_key; /* EMPTY or a key */
    int32_t *slot_id;
    uint64_t *keys;  /* n keys, filled by the caller before mutinf__dtable_dense() */
    int64_t *counts; /* n counts, indexed by dense id */
} mutinf__dtable;

mutinf_status mutinf__dtable_init(mutinf__dtable *t, int64_t n);
void mutinf__dtable_free(mutinf__dtable *t);

/* Dense ids of t->keys[0..n): ids_out[i] in [0, distinct), numbered in order
 * of first appearance; t->counts[id] = multiplicity.  Keys must differ from
 * UINT64_MAX.  Returns the number of distinct keys. */
int64_t mutinf__dtable_dense(mutinf__dtable *t, int32_t *ids_out);

/* Plug-in entropy in nats of `cells` counts summing to n:
 * H = ln n - (1/n) sum c ln c, plus (cells - 1) / (2 n) with Miller–Madow. */
double mutinf__entropy_counts(const int64_t *counts, int64_t cells, int64_t n, int miller_madow);

/* Progress reporting through the options' callback, from the calling
 * thread only (between parallel regions). */
typedef struct mutinf__progress {
    mutinf_progress_fn fn; /* NULL: no reporting */
    void *payload;
    int64_t done, total;
} mutinf__progress;

/* Adds `step` to pr->done and calls the callback; MUTINF_ERR_CANCELLED
 * (message naming `fn`) when it returns non-zero.  `pr` may be NULL. */
mutinf_status mutinf__progress_step(mutinf__progress *pr, int64_t step, const char *fn);

typedef struct mutinf__discrete_result {
    double tc;        /* nats */
    int64_t occupied; /* distinct K-tuples (occupied joint cells) */
    double p_value;   /* permutation p-value, NaN without permutations */
    double null_mean; /* mean TC over the permutations, NaN without */
} mutinf__discrete_result;

/* Total correlation of the K symbol sequences symbols[i*K + k] (i < n, any
 * int32 values), TC = sum_k H_k - H_joint, and when `pairwise` is not NULL
 * the K x K matrix (row-major, nats) with H_k on the diagonal and
 * H_i + H_j - H_ij off it.  `n_permutations` > 0 adds the permutation null:
 * in permutation p the symbols of modules 1..K-1 are each shuffled by an
 * independent Fisher–Yates permutation drawn from (seed, stream p*K + k)
 * (module 0 stays: shuffling it too gives the same null distribution);
 * p_value = (1 + #{TC_p >= TC}) / (1 + P).  Modules, pairs and permutations
 * run in `threads` OpenMP threads; each result is computed by one thread
 * and combined in a fixed order, so results are bit-identical for any
 * thread count.  Permutations run in batches, with one progress step per
 * permutation reported after each batch (MUTINF_ERR_CANCELLED if the
 * callback asks to stop). */
mutinf_status mutinf__discrete_tc(const int32_t *symbols, int64_t n, int64_t K, int miller_madow,
                                  int64_t n_permutations, uint64_t seed, int threads,
                                  mutinf__progress *progress, double *pairwise,
                                  mutinf__discrete_result *res);

#endif
