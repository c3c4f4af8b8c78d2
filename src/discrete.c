/* Sparse counting of symbol tuples; entropies, MI, TC, permutation null. */
#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "discrete.h"
#include "error.h"
#include "rng.h"

#define EMPTY UINT64_MAX
/* Random streams of the permutation null, apart from any other use. */
#define PERMUTATION_STREAM 0x7065726d75746573ULL

static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

mutinf_status mutinf__dtable_init(mutinf__dtable *t, int64_t n)
{
    memset(t, 0, sizeof *t);
    int64_t slots = 16;
    while (slots < 2 * n)
        slots *= 2;
    t->n = n;
    t->mask = slots - 1;
    t->slot_key = mutinf__alloc((size_t)slots, sizeof *t->slot_key, 0, "count table");
    t->slot_id = mutinf__alloc((size_t)slots, sizeof *t->slot_id, 0, "count table ids");
    t->keys = mutinf__alloc((size_t)n, sizeof *t->keys, 0, "count keys");
    t->counts = mutinf__alloc((size_t)n, sizeof *t->counts, 0, "counts");
    if (t->slot_key == NULL || t->slot_id == NULL || t->keys == NULL || t->counts == NULL) {
        mutinf__dtable_free(t);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    return MUTINF_OK;
}

void mutinf__dtable_free(mutinf__dtable *t)
{
    mutinf__free(t->slot_key);
    mutinf__free(t->slot_id);
    mutinf__free(t->keys);
    mutinf__free(t->counts);
    memset(t, 0, sizeof *t);
}

int64_t mutinf__dtable_dense(mutinf__dtable *t, int32_t *ids_out)
{
    const int64_t n = t->n, mask = t->mask;
    memset(t->slot_key, 0xff, (size_t)(mask + 1) * sizeof *t->slot_key);
    int64_t distinct = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t key = t->keys[i];
        /* Fibonacci hashing: the high bits of key * 2^64/phi. */
        uint64_t h = (key * 0x9e3779b97f4a7c15ULL) >> 20;
        int64_t s = (int64_t)(h & (uint64_t)mask);
        for (;;) {
            uint64_t k = t->slot_key[s];
            if (k == key) {
                int32_t id = t->slot_id[s];
                ids_out[i] = id;
                t->counts[id]++;
                break;
            }
            if (k == EMPTY) {
                t->slot_key[s] = key;
                t->slot_id[s] = (int32_t)distinct;
                ids_out[i] = (int32_t)distinct;
                t->counts[distinct++] = 1;
                break;
            }
            s = (s + 1) & mask;
        }
    }
    return distinct;
}

mutinf_status mutinf__progress_step(mutinf__progress *pr, int64_t step, const char *fn)
{
    if (pr == NULL) return MUTINF_OK;
    pr->done += step;
    if (pr->fn != NULL && pr->fn(pr->done, pr->total, pr->payload) != 0)
        return mutinf__fail(MUTINF_ERR_CANCELLED,
                            "%s: cancelled by the progress callback at %lld of %lld", fn,
                            (long long)pr->done, (long long)pr->total);
    return MUTINF_OK;
}

double mutinf__entropy_counts(const int64_t *counts, int64_t cells, int64_t n, int miller_madow)
{
    double dn = (double)n, s = 0.0;
    for (int64_t c = 0; c < cells; c++) {
        double x = (double)counts[c];
        s += x * log(x);
    }
    double h = log(dn) - s / dn;
    if (miller_madow) h += (double)(cells - 1) / (2.0 * dn);
    return h;
}

/* Joint entropy of the modules' dense ids; module k > 0 read through
 * perm[k] when perm is not NULL.  `cur` is n int32 of scratch. */
static double joint_entropy(mutinf__dtable *t, const int32_t *ids, const int64_t *card, int64_t K,
                            int32_t *const *perm, int mm, int32_t *cur, int64_t *occupied)
{
    const int64_t n = t->n;
    int64_t distinct = card[0];
    memcpy(cur, ids, (size_t)n * sizeof *cur);
    for (int64_t k = 1; k < K; k++) {
        const int32_t *idk = ids + k * n;
        const int32_t *pk = perm != NULL ? perm[k] : NULL;
        uint64_t ck = (uint64_t)card[k];
        for (int64_t i = 0; i < n; i++)
            t->keys[i] = (uint64_t)cur[i] * ck + (uint64_t)(pk ? idk[pk[i]] : idk[i]);
        distinct = mutinf__dtable_dense(t, cur);
    }
    if (K == 1) {
        memset(t->counts, 0, (size_t)distinct * sizeof *t->counts);
        for (int64_t i = 0; i < n; i++)
            t->counts[cur[i]]++;
    }
    *occupied = distinct;
    return mutinf__entropy_counts(t->counts, distinct, n, mm);
}

mutinf_status mutinf__discrete_tc(const int32_t *symbols, int64_t n, int64_t K, int miller_madow,
                                  int64_t n_permutations, uint64_t seed, int threads,
                                  mutinf__progress *progress, double *pairwise,
                                  mutinf__discrete_result *res)
{
    int nt = threads < 1 ? 1 : threads;
    int64_t jobs = K > n_permutations ? K : n_permutations;
    if (pairwise != NULL && K * (K - 1) / 2 > jobs) jobs = K * (K - 1) / 2;
    if (nt > jobs) nt = (int)jobs;
    if (nt < 1) nt = 1;
    mutinf_status st = MUTINF_OK;
    /* Scratch: dense ids of every module (n*K), per-module cardinality and
     * entropy, and per thread a table, n ids and K-1 permutations. */
    int32_t *ids = mutinf__alloc((size_t)n * (size_t)K, sizeof *ids, 0, "module symbol ids");
    int64_t *card = mutinf__alloc((size_t)K, sizeof *card, 0, "module cardinalities");
    double *hk = mutinf__alloc((size_t)K + (size_t)(n_permutations > 0 ? n_permutations : 1),
                               sizeof *hk, 0, "entropies");
    mutinf__dtable *tables = mutinf__alloc((size_t)nt, sizeof *tables, 1, "count tables");
    int64_t per_thread = n * (n_permutations > 0 ? K : 1);
    int32_t *scratch =
        mutinf__alloc((size_t)nt * (size_t)per_thread, sizeof *scratch, 0, "permutation scratch");
    int32_t **perms = mutinf__alloc((size_t)nt * (size_t)K, sizeof *perms, 0, "permutations");
    int ready = 0;
    if (ids == NULL || card == NULL || hk == NULL || tables == NULL || scratch == NULL ||
        perms == NULL) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    for (ready = 0; ready < nt; ready++)
        if ((st = mutinf__dtable_init(&tables[ready], n)) != MUTINF_OK) goto done;
    double *null_tc = hk + K;

    /* Module entropies (the diagonal). */
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
    for (int64_t k = 0; k < K; k++) {
        mutinf__dtable *t = &tables[thread_id()];
        for (int64_t i = 0; i < n; i++)
            t->keys[i] = (uint64_t)(uint32_t)symbols[i * K + k];
        card[k] = mutinf__dtable_dense(t, ids + k * n);
        hk[k] = mutinf__entropy_counts(t->counts, card[k], n, miller_madow);
    }
    double sum_h = 0.0;
    for (int64_t k = 0; k < K; k++)
        sum_h += hk[k];

    double h_joint =
        joint_entropy(&tables[0], ids, card, K, NULL, miller_madow, scratch, &res->occupied);
    res->tc = sum_h - h_joint;

    if (pairwise != NULL) {
        int64_t npairs = K * (K - 1) / 2;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
        for (int64_t q = 0; q < npairs; q++) {
            /* q -> (a, b), a < b, row by row */
            int64_t a = 0, rem = q;
            while (rem >= K - 1 - a) {
                rem -= K - 1 - a;
                a++;
            }
            int64_t b = a + 1 + rem;
            mutinf__dtable *t = &tables[thread_id()];
            int32_t *tmp = scratch + (int64_t)thread_id() * per_thread;
            const int32_t *ia = ids + a * n, *ib = ids + b * n;
            for (int64_t i = 0; i < n; i++)
                t->keys[i] = (uint64_t)ia[i] * (uint64_t)card[b] + (uint64_t)ib[i];
            int64_t cells = mutinf__dtable_dense(t, tmp);
            double hab = mutinf__entropy_counts(t->counts, cells, n, miller_madow);
            pairwise[a * K + b] = pairwise[b * K + a] = hk[a] + hk[b] - hab;
        }
        for (int64_t k = 0; k < K; k++)
            pairwise[k * K + k] = hk[k];
    }

    res->p_value = NAN;
    res->null_mean = NAN;
    /* Permutations in batches, reporting progress between batches. */
    const int64_t batch = 4 * (int64_t)nt;
    for (int64_t p0 = 0; p0 < n_permutations; p0 += batch) {
        int64_t p1 = p0 + batch < n_permutations ? p0 + batch : n_permutations;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
        for (int64_t p = p0; p < p1; p++) {
            int tid = thread_id();
            int32_t *base = scratch + (int64_t)tid * per_thread;
            int32_t **pk = perms + (int64_t)tid * K;
            pk[0] = NULL;
            for (int64_t k = 1; k < K; k++) {
                int32_t *pi = base + k * n;
                for (int64_t i = 0; i < n; i++)
                    pi[i] = (int32_t)i;
                uint64_t stream = PERMUTATION_STREAM ^ (uint64_t)(p * K + k);
                for (int64_t i = n - 1; i > 0; i--) {
                    int64_t j =
                        (int64_t)mutinf__rng_below(seed, stream, (uint64_t)i, (uint64_t)(i + 1));
                    int32_t tmp = pi[i];
                    pi[i] = pi[j];
                    pi[j] = tmp;
                }
                pk[k] = pi;
            }
            int64_t occ;
            null_tc[p] =
                sum_h - joint_entropy(&tables[tid], ids, card, K, pk, miller_madow, base, &occ);
        }
        st = mutinf__progress_step(progress, p1 - p0, "mutinf_activations_quantized");
        if (st != MUTINF_OK) goto done;
    }
    if (n_permutations > 0) {
        int64_t exceed = 0;
        double s = 0.0;
        for (int64_t p = 0; p < n_permutations; p++) {
            exceed += null_tc[p] >= res->tc;
            s += null_tc[p];
        }
        res->p_value = (double)(1 + exceed) / (double)(1 + n_permutations);
        res->null_mean = s / (double)n_permutations;
    }

done:
    if (tables != NULL)
        for (int i = 0; i < ready; i++)
            mutinf__dtable_free(&tables[i]);
    mutinf__free(perms);
    mutinf__free(scratch);
    mutinf__free(tables);
    mutinf__free(hk);
    mutinf__free(card);
    mutinf__free(ids);
    return st;
}
