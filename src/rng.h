/* Internal: a deterministic counter-based random number generator.  Every
 * value is a pure function of (seed, stream, counter), so results do not
 * depend on thread count or on the order in which streams are consumed. */
#ifndef MUTINF_SRC_RNG_H
#define MUTINF_SRC_RNG_H

#include <stdint.h>

/* 64 random bits: splitmix64's finalizer applied to a Weyl sequence keyed by
 * (seed, stream); passes BigCrush as a counter-based generator. */
uint64_t mutinf__rng_bits(uint64_t seed, uint64_t stream, uint64_t counter);

/* Uniform in the open interval (0, 1), 53 random bits. */
double mutinf__rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter);

/* n standard normals (Box–Muller, two per pair of counters) from counters
 * first_counter, first_counter + 1, ... of (seed, stream); uses
 * 2 * ceil(n / 2) counters. */
void mutinf__rng_normals(uint64_t seed, uint64_t stream, uint64_t first_counter, double *out,
                         int64_t n);

/* Uniform integer in [0, bound), bound >= 1, without modulo bias (Lemire). */
uint64_t mutinf__rng_below(uint64_t seed, uint64_t stream, uint64_t counter, uint64_t bound);

#endif
