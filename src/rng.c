/* Deterministic counter-based random numbers. */
#include <math.h>

#include "rng.h"

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t mutinf__rng_bits(uint64_t seed, uint64_t stream, uint64_t counter)
{
    uint64_t key = mix64(seed ^ 0x6a09e667f3bcc909ULL) ^ mix64(stream + 0x3c6ef372fe94f82bULL);
    return mix64(key + (counter + 1) * 0x9e3779b97f4a7c15ULL);
}

double mutinf__rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter)
{
    return ((double)(mutinf__rng_bits(seed, stream, counter) >> 11) + 0.5) *
           (1.0 / 9007199254740992.0);
}

void mutinf__rng_normals(uint64_t seed, uint64_t stream, uint64_t first_counter, double *out,
                         int64_t n)
{
    for (int64_t i = 0; i < n; i += 2) {
        uint64_t c = first_counter + (uint64_t)i;
        double r = sqrt(-2.0 * log(mutinf__rng_uniform(seed, stream, c)));
        double t = 2.0 * M_PI * mutinf__rng_uniform(seed, stream, c + 1);
        out[i] = r * cos(t);
        if (i + 1 < n) out[i + 1] = r * sin(t);
    }
}

uint64_t mutinf__rng_below(uint64_t seed, uint64_t stream, uint64_t counter, uint64_t bound)
{
    /* Lemire's multiply-shift with rejection; the retry draws use counters
     * far from the caller's so they never collide with later draws. */
    uint64_t x = mutinf__rng_bits(seed, stream, counter);
    unsigned __int128 m = (unsigned __int128)x * bound;
    uint64_t low = (uint64_t)m;
    if (low < bound) {
        uint64_t threshold = -bound % bound;
        for (uint64_t retry = 1; low < threshold; retry++) {
            x = mutinf__rng_bits(seed ^ (retry * 0xd1b54a32d192ed03ULL), stream, counter);
            m = (unsigned __int128)x * bound;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}
