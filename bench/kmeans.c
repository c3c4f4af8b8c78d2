/* bench/kmeans: Lloyd iterations, k-means++ seeding and the exact 1-D fit of
 * libmutinf, and the floor of a Lloyd iteration on this machine (one dgemm
 * of the same shape plus one read of the data).  Run through `bench/run
 * kmeans`, which then runs bench/peers/kmeans_peers.py on the same data.
 *
 * Writes to $MUTINF_BENCH_DIR: X_<shape>.npy (float64 n x d; the float32
 * runs use its rounding), C0_<shape>.npy (the common initial centroids),
 * X1.npy (the 1-D data) and results.json (timings, inertias, iterations).
 * Prints the floor lines.  Per-iteration times are differences between fits
 * of N2 and N1 iterations (same start, tol = 0), so the fixed costs of a fit
 * (validation, final assignment, inertia) cancel out; medians of R runs. */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "mutinf/mutinf.h"

#define N1 2
#define N2 12

static int repeats = 5;

static uint64_t rng_state = 12345;
static double rnd_normal(void)
{
    uint64_t z;
    double u[2];
    for (int q = 0; q < 2; q++) {
        z = (rng_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        u[q] = ((double)(z >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2.0 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

static void check(mutinf_status st, const char *what)
{
    if (st != MUTINF_OK) {
        fprintf(stderr, "bench/kmeans: %s failed: %s: %s\n", what, mutinf_status_string(st),
                mutinf_last_error_message());
        exit(1);
    }
}

typedef struct fit_result {
    double seconds, inertia;
    int32_t n_iter;
} fit_result;

/* One fit of `iters` Lloyd iterations from C0 (init GIVEN) or from k-means++. */
static fit_result fit_once(const void *x, int is_f32, int64_t n, int64_t d, int64_t k,
                           const double *C0, int iters, int plusplus)
{
    mutinf_kmeans *km = NULL;
    check(mutinf_kmeans_create(&km), "create");
    check(mutinf_kmeans_set_threads(km, 2), "set_threads");
    check(mutinf_kmeans_set_algorithm(km, MUTINF_KMEANS_ALGORITHM_LLOYD), "set_algorithm");
    check(mutinf_kmeans_set_tol(km, 0.0), "set_tol");
    check(mutinf_kmeans_set_max_iter(km, iters), "set_max_iter");
    check(mutinf_kmeans_set_k(km, (int32_t)k), "set_k");
    if (!plusplus)
        check(mutinf_kmeans_set_init_centroids(km, C0, k, d, d, 1), "set_init_centroids");
    int32_t *labels = malloc((size_t)n * sizeof(int32_t));
    fit_result r;
    double t0 = bench_now();
    if (is_f32)
        check(mutinf_kmeans_fit_f32(km, x, n, d, d, 1, labels), "fit_f32");
    else
        check(mutinf_kmeans_fit(km, x, n, d, d, 1, labels), "fit");
    r.seconds = bench_now() - t0;
    check(mutinf_kmeans_inertia(km, &r.inertia), "inertia");
    check(mutinf_kmeans_n_iter(km, &r.n_iter), "n_iter");
    free(labels);
    mutinf_kmeans_destroy(km);
    return r;
}

static fit_result fit_median(const void *x, int is_f32, int64_t n, int64_t d, int64_t k,
                             const double *C0, int iters, int plusplus)
{
    double t[64];
    fit_result r = {0, 0, 0};
    for (int q = 0; q < repeats; q++) {
        r = fit_once(x, is_f32, n, d, k, C0, iters, plusplus);
        t[q] = r.seconds;
    }
    r.seconds = bench_median(t, repeats);
    return r;
}

/* The floor: one dgemm (n x d) (d x k) -> n x k with BLAS's threads, plus one
 * read of the data with two threads. */
static double floor_seconds(const double *x, int64_t n, int64_t d, int64_t k, const double *C0)
{
    double *G = malloc((size_t)(n * k) * sizeof(double));
    double tg[64], tr[64];
    volatile double sink = 0.0;
    for (int q = 0; q < repeats; q++) {
        double t0 = bench_now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)k, (int)d, 1.0, x, (int)d,
                    C0, (int)d, 0.0, G, (int)k);
        tg[q] = bench_now() - t0;
        t0 = bench_now();
        double s = 0.0;
        int64_t total = n * d;
#pragma omp parallel for reduction(+ : s) num_threads(2) schedule(static)
        for (int64_t i = 0; i < total; i++)
            s += x[i];
        tr[q] = bench_now() - t0;
        sink += s + G[q];
    }
    (void)sink;
    free(G);
    return bench_median(tg, repeats) + bench_median(tr, repeats);
}

/* With arguments, only the named cases run (shape names, "d1", or "init" for
 * the k-means++ seeding of n180k_d64_k64 alone). */
static int wanted(int argc, char **argv, const char *name)
{
    if (argc < 2) return 1;
    for (int a = 1; a < argc; a++)
        if (strcmp(argv[a], name) == 0) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = getenv("MUTINF_BENCH_DIR");
    if (dir == NULL) {
        fprintf(stderr, "bench/kmeans: set MUTINF_BENCH_DIR (run it through bench/run kmeans)\n");
        return 1;
    }
    if (getenv("MUTINF_BENCH_REPEATS") != NULL) repeats = atoi(getenv("MUTINF_BENCH_REPEATS"));
    if (repeats < 1 || repeats > 64) repeats = 5;
    static const struct {
        const char *name;
        int64_t n, d, k;
    } shapes[] = {{"n100k_d16_k32", 100000, 16, 32},
                  {"n180k_d64_k64", 180000, 64, 64},
                  {"n40k_d256_k256", 40000, 256, 256},
                  {"n1m_d4_k16", 1000000, 4, 16}};
    const int n_shapes = (int)(sizeof(shapes) / sizeof(shapes[0]));
    char path[4096];
    snprintf(path, sizeof(path), "%s/results.json", dir);
    FILE *js = fopen(path, "w");
    if (js == NULL) {
        fprintf(stderr, "bench/kmeans: cannot write %s\n", path);
        return 1;
    }
    fprintf(js, "{\"n1\": %d, \"n2\": %d, \"repeats\": %d, \"shapes\": [\n", N1, N2, repeats);
    int first_written = 1;
    for (int s = 0; s < n_shapes; s++) {
        int is_init = strcmp(shapes[s].name, "n180k_d64_k64") == 0;
        /* "init": the k-means++ seeding of that shape alone, without Lloyd */
        int init_only = is_init && !wanted(argc, argv, shapes[s].name) && argc >= 2 &&
                        wanted(argc, argv, "init");
        if (!wanted(argc, argv, shapes[s].name) && !init_only) continue;
        int64_t n = shapes[s].n, d = shapes[s].d, k = shapes[s].k;
        double *x = malloc((size_t)(n * d) * sizeof(double));
        float *x32 = malloc((size_t)(n * d) * sizeof(float));
        double *C0 = malloc((size_t)(k * d) * sizeof(double));
        for (int64_t e = 0; e < n * d; e++) {
            x[e] = rnd_normal();
            x32[e] = (float)x[e];
        }
        for (int64_t j = 0; j < k; j++) /* rows spread over the data */
            memcpy(C0 + j * d, x + (j * (n / k)) * d, (size_t)d * sizeof(double));
        char name[256];
        snprintf(name, sizeof(name), "X_%s.npy", shapes[s].name);
        bench_save_matrix("bench/kmeans", dir, name, x, n, d);
        snprintf(name, sizeof(name), "C0_%s.npy", shapes[s].name);
        bench_save_matrix("bench/kmeans", dir, name, C0, k, d);
        fprintf(js, "%s  {\"name\": \"%s\", \"n\": %lld, \"d\": %lld, \"k\": %lld",
                first_written ? "" : ",\n", shapes[s].name, (long long)n, (long long)d,
                (long long)k);
        if (init_only) fprintf(js, ", \"init_only\": true");
        double lib_f64 = 0.0;
        for (int is_f32 = 0; is_f32 < 2 && !init_only; is_f32++) {
            const void *data = is_f32 ? (const void *)x32 : (const void *)x;
            fit_result a = fit_median(data, is_f32, n, d, k, C0, N1, 0);
            fit_result b = fit_median(data, is_f32, n, d, k, C0, N2, 0);
            double per_iter = (b.seconds - a.seconds) / (double)(b.n_iter - a.n_iter);
            if (!is_f32) lib_f64 = per_iter;
            fprintf(js,
                    ", \"%s\": {\"ms_per_iter\": %.6f, \"inertia\": %.17g, \"n_iter\": %d, "
                    "\"fit_ms\": %.6f}",
                    is_f32 ? "f32" : "f64", 1e3 * per_iter, b.inertia, (int)b.n_iter,
                    1e3 * b.seconds);
        }
        double fl = init_only ? 0.0 : floor_seconds(x, n, d, k, C0);
        if (!init_only)
            printf("shape=%s dtype=f64 libmutinf_ms_per_iter=%.3f peer=floor peer_ms_per_iter=%.3f "
                   "speedup=%.3f\n",
                   shapes[s].name, 1e3 * lib_f64, 1e3 * fl, fl / lib_f64);
        fflush(stdout);
        if (is_init) {
            /* k-means++ seeding alone: a k-means++ fit minus a given-start fit, one iteration each
             */
            double tp[64], tg[64];
            for (int q = 0; q < repeats; q++) {
                tp[q] = fit_once(x, 0, n, d, k, C0, 1, 1).seconds;
                tg[q] = fit_once(x, 0, n, d, k, C0, 1, 0).seconds;
            }
            fprintf(js, ", \"init_ms\": %.6f",
                    1e3 * (bench_median(tp, repeats) - bench_median(tg, repeats)));
        }
        fprintf(js, "}");
        first_written = 0;
        free(x);
        free(x32);
        free(C0);
    }
    fprintf(js, "\n  ]");
    /* One-dimensional data: a mixture, as a unit's activations might look. */
    if (wanted(argc, argv, "d1")) {
        int64_t n = 1000000, k = 64;
        double *x = malloc((size_t)n * sizeof(double));
        for (int64_t i = 0; i < n; i++) {
            double z = rnd_normal();
            x[i] = i % 3 == 0 ? fmax(z, 0.0) * 2.0 : (i % 3 == 1 ? tanh(z) : 0.3 * z + 4.0);
        }
        bench_save_matrix("bench/kmeans", dir, "X1.npy", x, n, 1);
        double t[64], inertia = 0.0;
        for (int q = 0; q < repeats; q++) {
            mutinf_kmeans *km = NULL;
            check(mutinf_kmeans_create(&km), "create");
            check(mutinf_kmeans_set_threads(km, 2), "set_threads");
            check(mutinf_kmeans_set_k(km, (int32_t)k), "set_k");
            int32_t *labels = malloc((size_t)n * sizeof(int32_t));
            double t0 = bench_now();
            check(mutinf_kmeans_fit(km, x, n, 1, 1, 1, labels), "fit 1-D");
            t[q] = bench_now() - t0;
            check(mutinf_kmeans_inertia(km, &inertia), "inertia");
            free(labels);
            mutinf_kmeans_destroy(km);
        }
        fprintf(js,
                ",\n  \"d1\": {\"name\": \"n1m_d1_k64\", \"k\": %lld, \"fit_ms\": %.6f, "
                "\"inertia\": %.17g}",
                (long long)k, 1e3 * bench_median(t, repeats), inertia);
        free(x);
    }
    fprintf(js, "\n}\n");
    fclose(js);
    return 0;
}
