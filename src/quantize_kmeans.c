/* The k-means quantizer on top of the public k-means module.
 *
 * Modules are independent fits.  When every module has at most
 * MUTINF__KM_DIRECT_MAX_D units, their fits use no BLAS at all (direct
 * distances, k-means++ without BLAS), so several modules run at once, one
 * per thread, each fit single-threaded: no thread barrier per Lloyd
 * iteration, and the k-means++ seeding (a serial loop over k centres) runs
 * in parallel too.  Each fit is deterministic and independent of its thread
 * count, so the symbols are identical for any thread count.  Larger modules
 * run one after the other with the threads inside each fit (their GEMMs may
 * use BLAS threads, which must not start inside our parallel region). */
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "error.h"
#include "kmeans_impl.h"
#include "mutinf/kmeans.h"
#include "partition.h"
#include "quantize.h"

/* Units per pass of the standardisation: their sums and maxima stay on
 * the stack. */
#define STD_GROUP 8

/* Exponent g of the grid 2^-g that the standardised values are rounded to:
 * the largest with n 2^g <= 2^50.  A standardised unit has sum_i |x_i| <=
 * sqrt(n sum_i x_i^2) = n, so every partial sum of its rounded values is an
 * exact multiple of 2^-g (mutinf__km_sums_exact), which lets Hamerly's
 * passes update the cluster sums point by point and still give exactly
 * Lloyd's results.  The rounding moves a value by at most 2^-(g+1) (for
 * n = 100000, 6e-11 standard deviations), far below float resolution. */
static int grid_exponent(int64_t n)
{
    int lg = 0;
    while (lg < 62 && (INT64_C(1) << lg) < n)
        lg++;
    return 50 - lg;
}

/* Units [u0, u0 + g) of module k (first unit `first`) standardised into
 * columns u0.. of the row-major n x dk matrix x, in three passes over the
 * rows (copy with sum and maximum, sum of squares of the centred values,
 * centre and scale).
 * Row by row, so that the units of a row, often adjacent in memory, are
 * read together; each unit's sums still take the rows in order.  With AVX2
 * the rounding to the grid is an instruction, not a library call. */
__attribute__((target_clones("arch=x86-64-v3", "default"))) static void
standardise_group(const mutinf__view *v, const mutinf_partition *p, int64_t first, int64_t dk,
                  int64_t u0, int64_t g, double *x)
{
    const int64_t n = v->dim[0];
    double s[STD_GROUP] = {0}, amax[STD_GROUP] = {0}, ss[STD_GROUP] = {0}, mean[STD_GROUP];
    int64_t unit[STD_GROUP];
    for (int64_t u = 0; u < g; u++)
        unit[u] = p->units[first + u0 + u];
    for (int64_t i = 0; i < n; i++)
        for (int64_t u = 0; u < g; u++) {
            double val = mutinf__view_at2(v, i, unit[u]);
            x[i * dk + u0 + u] = val;
            s[u] += val;
            /* fmax(amax, |val|) without the library call (amax is never NaN) */
            amax[u] = fabs(val) > amax[u] ? fabs(val) : amax[u];
        }
    for (int64_t u = 0; u < g; u++)
        mean[u] = s[u] / (double)n;
    /* the centred values are not stored here but made again by the last
     * pass (the same numbers): one write of the module fewer */
    for (int64_t i = 0; i < n; i++)
        for (int64_t u = 0; u < g; u++) {
            double c = x[i * dk + u0 + u] - mean[u];
            ss[u] += c * c;
        }
    /* A constant unit leaves only rounding noise after centring. */
    double sd[STD_GROUP];
    int scale[STD_GROUP];
    for (int64_t u = 0; u < g; u++) {
        sd[u] = sqrt(ss[u] / (double)n);
        scale[u] = sd[u] > 1e-12 * amax[u];
        if (!scale[u]) sd[u] = 1.0; /* x / 1 is x exactly */
    }
    /* scaled units on the grid; the others only centred */
    const double up = ldexp(1.0, grid_exponent(n)), down = ldexp(1.0, -grid_exponent(n));
    for (int64_t i = 0; i < n; i++)
        for (int64_t u = 0; u < g; u++) {
            double *e = &x[i * dk + u0 + u], c = *e - mean[u];
            *e = scale[u] ? nearbyint(c / sd[u] * up) * down : c;
        }
}

/* Module k of the view as a row-major n x dk matrix, each column
 * standardised (and rounded to the grid of grid_exponent). */
static void standardise_module(const mutinf__view *v, const mutinf_partition *p, int64_t k,
                               double *x)
{
    const int64_t first = p->offsets[k], dk = p->offsets[k + 1] - first;
    for (int64_t u0 = 0; u0 < dk; u0 += STD_GROUP)
        standardise_group(v, p, first, dk, u0, dk - u0 < STD_GROUP ? dk - u0 : STD_GROUP, x);
}

static mutinf_status new_kmeans(int32_t bins, int32_t n_init, uint64_t seed, int threads,
                                mutinf_kmeans **out)
{
    mutinf_kmeans *km = NULL;
    mutinf_status st;
    if ((st = mutinf_kmeans_create(&km)) != MUTINF_OK ||
        (st = mutinf_kmeans_set_k(km, bins)) != MUTINF_OK ||
        (st = mutinf_kmeans_set_n_init(km, n_init)) != MUTINF_OK ||
        (st = mutinf_kmeans_set_seed(km, seed)) != MUTINF_OK ||
        (st = mutinf_kmeans_set_threads(km, threads)) != MUTINF_OK ||
        (st = mutinf_kmeans_set_algorithm(km, MUTINF_KMEANS_ALGORITHM_HAMERLY)) != MUTINF_OK) {
        mutinf_kmeans_destroy(km);
        return st;
    }
    *out = km;
    return MUTINF_OK;
}

/* One module: standardise, fit, write its column of the symbols. */
static mutinf_status quantize_module(const mutinf__view *v, const mutinf_partition *p, int64_t k,
                                     mutinf_kmeans *km, double *x, int32_t *labels,
                                     int32_t *symbols)
{
    const int64_t n = v->dim[0], K = p->n_modules, dk = p->offsets[k + 1] - p->offsets[k];
    standardise_module(v, p, k, x);
    mutinf_status st = mutinf_kmeans_fit(km, x, n, dk, dk, 1, labels);
    if (st != MUTINF_OK) return st;
    for (int64_t i = 0; i < n; i++)
        symbols[i * K + k] = labels[i];
    return MUTINF_OK;
}

/* A worker's failure: the first one's status and message are kept (a
 * message is thread-local), and every worker stops at its next module. */
static void record_failure(mutinf_status s, mutinf_status *first, char *message, size_t cap,
                           int *stop)
{
#pragma omp critical(mutinf_quantize_kmeans)
    if (*first == MUTINF_OK) {
        *first = s;
        strncpy(message, mutinf_last_error_message(), cap - 1);
    }
#pragma omp atomic write
    *stop = 1;
}

mutinf_status mutinf__quantize_kmeans(const mutinf__view *v, const mutinf_partition *p,
                                      int32_t bins, int32_t n_init, uint64_t seed, int threads,
                                      mutinf__progress *progress, int32_t *symbols)
{
    static const char *fn = "mutinf_activations_quantized";
    const int64_t n = v->dim[0], K = p->n_modules;
    int64_t dmax = 0;
    for (int64_t k = 0; k < K; k++)
        if (p->offsets[k + 1] - p->offsets[k] > dmax) dmax = p->offsets[k + 1] - p->offsets[k];
    int teams = threads < K ? threads : (int)K;
    if (dmax > MUTINF__KM_DIRECT_MAX_D || teams < 1) teams = 1;
    /* one buffer, labels array and handle per concurrent module */
    double *x = mutinf__alloc((size_t)teams * (size_t)n * (size_t)dmax, sizeof *x, 0,
                              "standardised module");
    int32_t *labels = mutinf__alloc((size_t)teams * (size_t)n, sizeof *labels, 0, "cluster labels");
    mutinf_kmeans **km = mutinf__alloc((size_t)teams, sizeof *km, 1, "k-means handles");
    mutinf_status st = MUTINF_OK;
    if (x == NULL || labels == NULL || km == NULL) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    for (int t = 0; t < teams && st == MUTINF_OK; t++)
        st = new_kmeans(bins, n_init, seed, teams > 1 ? 1 : threads, &km[t]);
    if (st != MUTINF_OK) goto done;

    if (teams == 1) {
        for (int64_t k = 0; k < K; k++) {
            st = quantize_module(v, p, k, km[0], x, labels, symbols);
            if (st == MUTINF_OK) st = mutinf__progress_step(progress, 1, fn);
            if (st != MUTINF_OK) goto done;
        }
        goto done;
    }

    /* Modules in parallel.  Progress is reported by the calling thread
     * (thread 0 of the team) only; a failure or a cancellation stops the
     * modules not yet started.  A worker's error message is carried to the
     * calling thread. */
    int64_t finished = 0, reported = 0;
    int stop = 0;
    mutinf_status worker_st = MUTINF_OK;
    char message[512] = "";
#pragma omp parallel num_threads(teams)
    {
#ifdef _OPENMP
        int t = omp_get_thread_num();
#else
        int t = 0;
#endif
#pragma omp for schedule(dynamic, 1)
        for (int64_t k = 0; k < K; k++) {
            int halt;
#pragma omp atomic read
            halt = stop;
            if (halt) continue;
            mutinf_status s = quantize_module(v, p, k, km[t], x + (size_t)t * (size_t)n * dmax,
                                              labels + (size_t)t * (size_t)n, symbols);
            if (s != MUTINF_OK) {
                record_failure(s, &worker_st, message, sizeof message, &stop);
                continue;
            }
#pragma omp atomic update
            finished++;
            if (t == 0) {
                int64_t now;
#pragma omp atomic read
                now = finished;
                mutinf_status ps = mutinf__progress_step(progress, now - reported, fn);
                reported = now;
                if (ps != MUTINF_OK) record_failure(ps, &worker_st, message, sizeof message, &stop);
            }
        }
    }
    if (worker_st != MUTINF_OK) {
        st = mutinf__fail(worker_st, "%s", message);
        goto done;
    }
    if (finished > reported) st = mutinf__progress_step(progress, finished - reported, fn);
done:
    if (km != NULL)
        for (int t = 0; t < teams; t++)
            mutinf_kmeans_destroy(km[t]);
    mutinf__free(km);
    mutinf__free(labels);
    mutinf__free(x);
    return st;
}
