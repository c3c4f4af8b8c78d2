/* Benchmark of the activations estimators (run it with `bench/run activations`).
 *
 *   gaussian_n100k_d256_K16     Gaussian plug-in TC + 16 x 16 pairwise matrix of
 *                               100000 samples x 256 units, against one bare dsyrk
 *                               over the same data (printed here, peer=dsyrk-floor)
 *                               and NumPy (bench/peers/activations_peers.py);
 *   quantized_n100k_d64_K8_b16  k-means quantized TC + pairwise, 100000 x 64 units,
 *                               8 modules, 16 clusters, n_init 1, against
 *                               scikit-learn KMeans per module + NumPy counting.
 *
 * Arguments name the cases to run (default: all), e.g.
 * `bench/run activations gaussian_n100k_d256_K16`.
 *
 * Writes the data (.npy) and its own timings (results.json) to
 * $MUTINF_BENCH_DIR for the peers script; prints one line per case it can
 * time alone.  Times are medians over repetitions (wall clock). */
#define _GNU_SOURCE /* dladdr */
#include <cblas.h>
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "mutinf/mutinf.h"

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void normals(double *x, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i += 2) {
        double u = ((double)(splitmix(&s) >> 11) + 0.5) / 9007199254740992.0;
        double v = ((double)(splitmix(&s) >> 11) + 0.5) / 9007199254740992.0;
        double r = sqrt(-2.0 * log(u));
        x[i] = r * cos(2 * M_PI * v);
        if (i + 1 < n) x[i + 1] = r * sin(2 * M_PI * v);
    }
}

/* n x d activations: latent factors mixed into every unit, plus unit noise. */
static double *make_data(int64_t n, int64_t d, int64_t latent, uint64_t seed)
{
    double *z = malloc((size_t)(n * latent) * sizeof *z);
    double *w = malloc((size_t)(latent * d) * sizeof *w);
    double *x = malloc((size_t)(n * d) * sizeof *x);
    if (z == NULL || w == NULL || x == NULL) {
        fprintf(stderr, "activations: out of memory\n");
        exit(1);
    }
    normals(z, (size_t)(n * latent), seed);
    normals(w, (size_t)(latent * d), seed + 1);
    normals(x, (size_t)(n * d), seed + 2);
    for (int64_t i = 0; i < latent * d; i++)
        w[i] *= 0.5;
    /* x = noise + z w (row-major) */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)d, (int)latent, 1.0, z,
                (int)latent, w, (int)d, 1.0, x, (int)d);
    for (int64_t i = 0; i < n * d; i++)
        x[i] = x[i] > 0 ? x[i] : 0.1 * x[i]; /* leaky-ReLU-like activations */
    free(w);
    free(z);
    return x;
}

static void check(mutinf_status st, const char *what)
{
    if (st != MUTINF_OK) {
        fprintf(stderr, "activations: %s failed: %s: %s\n", what, mutinf_status_string(st),
                mutinf_last_error_message());
        exit(1);
    }
}

/* 1 when the command line asks for case `name` (no arguments: every case). */
static int wanted(int argc, char **argv, const char *name)
{
    int want = argc < 2;
    for (int a = 1; a < argc; a++)
        want |= strcmp(argv[a], name) == 0;
    return want;
}

int main(int argc, char **argv)
{
    const char *dir = getenv("MUTINF_BENCH_DIR");
    int reps = 9;
    FILE *json = NULL;
    const char *sep = ""; /* between the members of results.json */
    if (dir != NULL) {
        char path[4096];
        snprintf(path, sizeof path, "%s/results.json", dir);
        json = fopen(path, "w");
    }
    if (json) {
        /* the peers script loads the same shared library through ctypes to
         * time libmutinf interleaved with each peer (same machine load) */
        Dl_info info;
        fprintf(json, "{");
        if (dladdr((void *)mutinf_activations_gaussian, &info) && info.dli_fname != NULL) {
            fprintf(json, "\n  \"library\": \"%s\"", info.dli_fname);
            sep = ",";
        }
    }

    /* ---- Gaussian: n = 100000, d = 256, K = 16 ------------------------- */
    if (wanted(argc, argv, "gaussian_n100k_d256_K16")) {
        const int64_t n = 100000, d = 256, K = 16;
        double *x = make_data(n, d, 64, 1);
        if (dir) bench_save_matrix("activations", dir, "gaussian.npy", x, n, d);
        mutinf_partition *p = NULL;
        mutinf_options *o = NULL;
        check(mutinf_partition_create_contiguous(d, K, &p), "partition");
        check(mutinf_options_create(&o), "options");
        check(mutinf_options_set_threads(o, 2), "threads");
        /* the peers compute the plain plug-in: compare like with like */
        check(mutinf_options_set_bias_correction(o, 0), "bias");
        double *pw = malloc((size_t)(K * K) * sizeof *pw), tc = 0, t[16], f[16];
        double *C = malloc((size_t)(d * d) * sizeof *C);
        /* libmutinf (wrap included, as a caller pays it) and the bare dsyrk
         * alternate, so load changes hit both */
        for (int r = 0; r < reps; r++) {
            bench_settle();
            double t0 = bench_now();
            mutinf_activations *a = NULL;
            check(mutinf_activations_wrap(x, n, d, d, 1, &a), "wrap");
            check(mutinf_activations_gaussian(a, p, o, &tc, pw, NULL), "gaussian");
            mutinf_activations_destroy(a);
            t[r] = bench_now() - t0;
            bench_settle();
            t0 = bench_now();
            cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, (int)d, (int)n, 1.0, x, (int)d,
                        0.0, C, (int)d);
            f[r] = bench_now() - t0;
        }
        double lib = bench_median(t, reps), floor_s = bench_median(f, reps);
        printf("shape=gaussian_n100k_d256_K16 libmutinf_s=%.4f peer=dsyrk-floor peer_s=%.4f "
               "speedup=%.2f\n",
               lib, floor_s, floor_s / lib);
        fflush(stdout);
        if (json) {
            fprintf(json,
                    "%s\n  \"gaussian_n100k_d256_K16\": {\"libmutinf_s\": %.6f, \"tc\": %.17g, "
                    "\"pairwise01\": %.17g}",
                    sep, lib, tc, pw[1]);
            sep = ",";
        }
        free(C);
        free(pw);
        mutinf_options_destroy(o);
        mutinf_partition_destroy(p);
        free(x);
    }

    /* ---- Quantized: n = 100000, d = 64, K = 8, bins = 16 ---------------- */
    if (wanted(argc, argv, "quantized_n100k_d64_K8_b16")) {
        const int64_t n = 100000, d = 64, K = 8;
        reps = 3;
        double *x = make_data(n, d, 8, 2);
        if (dir) bench_save_matrix("activations", dir, "quantized.npy", x, n, d);
        mutinf_partition *p = NULL;
        mutinf_options *o = NULL;
        check(mutinf_partition_create_contiguous(d, K, &p), "partition");
        check(mutinf_options_create(&o), "options");
        check(mutinf_options_set_threads(o, 2), "threads");
        check(mutinf_options_set_quantizer(o, MUTINF_QUANTIZER_KMEANS), "quantizer");
        check(mutinf_options_set_bins(o, 16), "bins");
        check(mutinf_options_set_n_init(o, 1), "n_init");
        double *pw = malloc((size_t)(K * K) * sizeof *pw), tc = 0, t[16];
        int64_t cells = 0;
        int32_t under = 0;
        for (int r = 0; r < reps; r++) {
            bench_settle();
            double t0 = bench_now();
            mutinf_activations *a = NULL;
            check(mutinf_activations_wrap(x, n, d, d, 1, &a), "wrap");
            check(mutinf_activations_quantized(a, p, o, &tc, pw, NULL, NULL, &cells, &under, NULL),
                  "quantized");
            mutinf_activations_destroy(a);
            t[r] = bench_now() - t0;
        }
        double lib = bench_median(t, reps);
        fprintf(stderr, "activations: quantized TC %.4f, occupied cells %lld, undersampled %d\n",
                tc, (long long)cells, (int)under);
        if (json)
            fprintf(json,
                    "%s\n  \"quantized_n100k_d64_K8_b16\": {\"libmutinf_s\": %.6f, \"tc\": %.17g, "
                    "\"occupied_cells\": %lld}",
                    sep, lib, tc, (long long)cells);
        if (!dir) printf("shape=quantized_n100k_d64_K8_b16 libmutinf_s=%.4f\n", lib);
        free(pw);
        mutinf_options_destroy(o);
        mutinf_partition_destroy(p);
        free(x);
    }
    if (json) {
        fprintf(json, "\n}\n");
        fclose(json);
    }
    return 0;
}
