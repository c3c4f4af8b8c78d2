/* Internal: the options record, read directly by the estimators. */
#ifndef MUTINF_SRC_OPTIONS_H
#define MUTINF_SRC_OPTIONS_H

#include "mutinf/common.h"

struct mutinf_options {
    int32_t threads;         /* 0 = all cores */
    int32_t bits;            /* report in bits */
    double rank_tol;         /* relative; 0 = automatic (n * eps) */
    int32_t strict_rank;     /* SVD for every rank decision */
    double noise_var;        /* added to local covariances */
    int32_t bias_correction; /* Gaussian entropy bias correction */
    int32_t copula;          /* Gaussian copula transform */
    int32_t quantizer;       /* MUTINF_QUANTIZER_* */
    int32_t bins;
    int32_t n_init;
    uint64_t seed;
    int32_t miller_madow;
    int32_t n_permutations;
    mutinf_progress_fn progress;
    void *progress_payload;
};

/* The defaults, used when a caller passes NULL options. */
extern const struct mutinf_options mutinf__default_options;

/* `options` or the defaults. */
static inline const struct mutinf_options *mutinf__opts(const mutinf_options *options)
{
    return options ? options : &mutinf__default_options;
}

/* Number of threads for the library's own loops (resolves 0 to all cores). */
int mutinf__thread_count(const mutinf_options *options);

/* The same rule for a handle's own `threads` setting (k-means). */
int mutinf__resolve_threads(int32_t threads);

/* Converts nats to the unit the options ask for (infinities pass through). */
double mutinf__in_units(const mutinf_options *options, double nats);

#endif
