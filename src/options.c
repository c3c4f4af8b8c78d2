/* The options handle: typed setters with validation, and defaults. */
#include <math.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "error.h"
#include "options.h"

const struct mutinf_options mutinf__default_options = {
    .threads = 0,
    .bits = 0,
    .rank_tol = 0.0,
    .strict_rank = 0,
    .noise_var = 0.0,
    .bias_correction = 1,
    .copula = 0,
    .quantizer = MUTINF_QUANTIZER_KMEANS,
    .bins = 8,
    .n_init = 1,
    .seed = 0,
    .miller_madow = 0,
    .n_permutations = 0,
    .progress = NULL,
    .progress_payload = NULL,
};

int mutinf__resolve_threads(int32_t threads)
{
    int t = threads;
#ifdef _OPENMP
    if (t <= 0) t = omp_get_num_procs();
#else
    t = 1;
#endif
    return t < 1 ? 1 : t;
}

int mutinf__thread_count(const mutinf_options *options)
{
    return mutinf__resolve_threads(mutinf__opts(options)->threads);
}

double mutinf__in_units(const mutinf_options *options, double nats)
{
    return mutinf__opts(options)->bits ? nats / M_LN2 : nats;
}

mutinf_status mutinf_options_create(mutinf_options **out)
{
    MUTINF_CHECK_NULL(out, "mutinf_options_create");
    *out = NULL;
    mutinf_options *o = mutinf__alloc(1, sizeof *o, 0, "options");
    if (o == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    *o = mutinf__default_options;
    *out = o;
    return MUTINF_OK;
}

void mutinf_options_destroy(mutinf_options *options)
{
    mutinf__free(options);
}

/* Setters and getters share one shape; the macros keep the validation rule
 * of each key next to its name. */
#define FLAG_VALID(v) ((v) == 0 || (v) == 1)
#define DEFINE_OPTION(key, type, fmt, valid, rule)                                                 \
    mutinf_status mutinf_options_set_##key(mutinf_options *options, type key)                      \
    {                                                                                              \
        MUTINF_CHECK_NULL(options, "mutinf_options_set_" #key);                                    \
        if (!(valid))                                                                              \
            return mutinf__fail(MUTINF_ERR_INVALID_ARGUMENT,                                       \
                                "mutinf_options_set_" #key ": " #key " = " fmt " but must be %s",  \
                                key, rule);                                                        \
        options->key = key;                                                                        \
        return MUTINF_OK;                                                                          \
    }                                                                                              \
    mutinf_status mutinf_options_get_##key(const mutinf_options *options, type *key##_out)         \
    {                                                                                              \
        MUTINF_CHECK_NULL(options, "mutinf_options_get_" #key);                                    \
        MUTINF_CHECK_NULL(key##_out, "mutinf_options_get_" #key);                                  \
        *key##_out = options->key;                                                                 \
        return MUTINF_OK;                                                                          \
    }

DEFINE_OPTION(threads, int32_t, "%d", threads >= 0, ">= 0")
DEFINE_OPTION(bits, int32_t, "%d", FLAG_VALID(bits), "0 or 1")
DEFINE_OPTION(rank_tol, double, "%g", rank_tol >= 0.0 && rank_tol < 1.0, "in [0, 1)")
DEFINE_OPTION(strict_rank, int32_t, "%d", FLAG_VALID(strict_rank), "0 or 1")
DEFINE_OPTION(noise_var, double, "%g", noise_var >= 0.0 && isfinite(noise_var), "finite and >= 0")
DEFINE_OPTION(bias_correction, int32_t, "%d", FLAG_VALID(bias_correction), "0 or 1")
DEFINE_OPTION(copula, int32_t, "%d", FLAG_VALID(copula), "0 or 1")
DEFINE_OPTION(quantizer, int32_t, "%d",
              quantizer == MUTINF_QUANTIZER_KMEANS || quantizer == MUTINF_QUANTIZER_QUANTILE,
              "MUTINF_QUANTIZER_KMEANS (0) or MUTINF_QUANTIZER_QUANTILE (1)")
DEFINE_OPTION(bins, int32_t, "%d", bins >= 2, ">= 2")
DEFINE_OPTION(n_init, int32_t, "%d", n_init >= 1, ">= 1")
DEFINE_OPTION(miller_madow, int32_t, "%d", FLAG_VALID(miller_madow), "0 or 1")
DEFINE_OPTION(n_permutations, int32_t, "%d", n_permutations >= 0, ">= 0")

mutinf_status mutinf_options_set_seed(mutinf_options *options, uint64_t seed)
{
    MUTINF_CHECK_NULL(options, "mutinf_options_set_seed");
    options->seed = seed;
    return MUTINF_OK;
}

mutinf_status mutinf_options_get_seed(const mutinf_options *options, uint64_t *seed_out)
{
    MUTINF_CHECK_NULL(options, "mutinf_options_get_seed");
    MUTINF_CHECK_NULL(seed_out, "mutinf_options_get_seed");
    *seed_out = options->seed;
    return MUTINF_OK;
}

mutinf_status mutinf_options_set_progress(mutinf_options *options, mutinf_progress_fn progress,
                                          void *payload)
{
    MUTINF_CHECK_NULL(options, "mutinf_options_set_progress");
    options->progress = progress;
    options->progress_payload = payload;
    return MUTINF_OK;
}
