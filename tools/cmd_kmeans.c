/* mutinf kmeans: k-means clustering of the rows of a data file. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"

static const char usage[] =
    "usage: mutinf kmeans --data X.npy -k K [--n-init N] [--max-iter N] [--tol T]\n"
    "                     [--seed N] [--init kmeans++|random] [--labels OUT.npy]\n"
    "                     [--centroids OUT.npy] [--threads T] [--json]\n"
    "\n"
    "k-means clustering of the rows (samples) of X: Lloyd's algorithm from\n"
    "k-means++ (or random) seeds, the best of N restarts by inertia\n"
    "sum_i ||x_i - c(x_i)||^2; the exact optimum for one feature.  Deterministic\n"
    "in the seed, whatever the number of threads.\n"
    "\n"
    "  --data X            (samples, features); .npy ('<f8'/'<f4') or .csv\n"
    "  -k K, --k K         number of clusters, 1 <= K <= samples\n"
    "  --n-init N          independent restarts (default 1)\n"
    "  --max-iter N        Lloyd iterations per restart (default 300)\n"
    "  --tol T             relative centroid-shift tolerance (default 1e-4)\n"
    "  --seed N            seed of the initialisation (default 0)\n"
    "  --init I            kmeans++ (default) or random\n"
    "  --labels OUT        write the cluster of each sample as an int32 .npy (samples,)\n"
    "  --centroids OUT     write the centroids as a float64 .npy (K, features)\n"
    "  --threads T         threads of libmutinf's own loops (0 = all cores)\n"
    "  --json              print one JSON object instead of the table:\n"
    "                      {\"k\", \"inertia\", \"n_iter\", \"converged\", \"seconds\", ...}\n"
    "\n"
    "Exit status: 0 success, 1 usage error, 2 bad input, 3 numerical failure.\n"
    "\n"
    "example:\n"
    "  mutinf kmeans --data activations.npy -k 8 --n-init 4 --labels clusters.npy\n";

int cmd_kmeans(int argc, char **argv)
{
    static const char cmd[] = "kmeans";
    cli_opt opts[] = {
        {"--data", NULL, 1, NULL, 0},      {"--k", "-k", 1, NULL, 0},
        {"--n-init", NULL, 1, NULL, 0},    {"--max-iter", NULL, 1, NULL, 0},
        {"--tol", NULL, 1, NULL, 0},       {"--seed", NULL, 1, NULL, 0},
        {"--init", NULL, 1, NULL, 0},      {"--labels", NULL, 1, NULL, 0},
        {"--centroids", NULL, 1, NULL, 0}, {"--threads", NULL, 1, NULL, 0},
        {"--json", NULL, 0, NULL, 0},
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    int r;
    if (!cli_begin(cmd, usage, argc, argv, opts, n_opts, &r)) return r;
    cli_opt *data = cli_find(opts, n_opts, "--data");
    if (!data->seen) return cli_usage_error(cmd, "missing --data X.npy");
    if (!cli_flag(opts, n_opts, "--k")) return cli_usage_error(cmd, "missing -k K");
    int64_t k = 0, n_init = 1, max_iter = 300, threads = 0;
    double tol = 1e-4;
    uint64_t seed = 0;
    int32_t init = MUTINF_KMEANS_INIT_KMEANSPP;
    if ((r = cli_opt_int(cmd, opts, n_opts, "--k", 1, INT32_MAX, &k)) != 0 ||
        (r = cli_opt_int(cmd, opts, n_opts, "--n-init", 1, INT32_MAX, &n_init)) != 0 ||
        (r = cli_opt_int(cmd, opts, n_opts, "--max-iter", 1, INT32_MAX, &max_iter)) != 0 ||
        (r = cli_opt_int(cmd, opts, n_opts, "--threads", 0, 4096, &threads)) != 0 ||
        (r = cli_opt_double(cmd, opts, n_opts, "--tol", 0.0, 1e300, &tol)) != 0 ||
        (r = cli_opt_u64(cmd, opts, n_opts, "--seed", &seed)) != 0 ||
        (r = cli_opt_choice(cmd, opts, n_opts, "--init", "kmeans++", MUTINF_KMEANS_INIT_KMEANSPP,
                            "random", MUTINF_KMEANS_INIT_RANDOM, &init)) != 0)
        return r;
    const char *labels_path = cli_find(opts, n_opts, "--labels")->value;
    const char *centroids_path = cli_find(opts, n_opts, "--centroids")->value;
    const int json = cli_flag(opts, n_opts, "--json");

    npy_array x;
    if ((r = cli_load_float(data->value, 2, "(samples, features)", &x)) != 0) return r;
    const int64_t n = x.shape[0], d = x.shape[1];
    mutinf_kmeans *km = NULL;
    int32_t *labels = NULL;
    double *cent = NULL;
    int64_t *sizes = NULL;
    if (k > n) {
        cli_error(data->value, "%lld samples, fewer than the -k %lld clusters asked for",
                  (long long)n, (long long)k);
        r = CLI_BAD_INPUT;
        goto done;
    }
    labels = malloc((size_t)n * sizeof *labels);
    cent = malloc((size_t)(k * d) * sizeof *cent);
    sizes = calloc((size_t)k, sizeof *sizes);
    if (labels == NULL || cent == NULL || sizes == NULL) {
        cli_error(data->value, "out of memory");
        r = CLI_NUMERICAL;
        goto done;
    }
    cli_progress prog;
    cli_progress_init(&prog, "mutinf kmeans");
    mutinf_status st = mutinf_kmeans_create(&km);
    if (st == MUTINF_OK) st = mutinf_kmeans_set_k(km, (int32_t)k);
    if (st == MUTINF_OK) st = mutinf_kmeans_set_n_init(km, (int32_t)n_init);
    if (st == MUTINF_OK) st = mutinf_kmeans_set_max_iter(km, (int32_t)max_iter);
    if (st == MUTINF_OK) st = mutinf_kmeans_set_tol(km, tol);
    if (st == MUTINF_OK) st = mutinf_kmeans_set_seed(km, seed);
    if (st == MUTINF_OK) st = mutinf_kmeans_set_init(km, init);
    if (st == MUTINF_OK) st = mutinf_kmeans_set_threads(km, (int32_t)threads);
    if (st == MUTINF_OK) st = mutinf_kmeans_set_progress(km, cli_progress_cb, &prog);
    if (st != MUTINF_OK) {
        r = cli_lib_error(st, "k-means settings");
        goto done;
    }
    int64_t s[2];
    npy_strides(&x, s);
    double t0 = cli_now();
    st = x.dtype == NPY_F8 ? mutinf_kmeans_fit(km, x.data, n, d, s[0], s[1], labels)
                           : mutinf_kmeans_fit_f32(km, x.data, n, d, s[0], s[1], labels);
    double seconds = cli_now() - t0;
    cli_progress_done(&prog);
    double inertia = 0.0;
    int32_t n_iter = 0, converged = 0, degenerate = 0;
    if (st == MUTINF_OK) st = mutinf_kmeans_inertia(km, &inertia);
    if (st == MUTINF_OK) st = mutinf_kmeans_n_iter(km, &n_iter);
    if (st == MUTINF_OK) st = mutinf_kmeans_converged(km, &converged);
    if (st == MUTINF_OK) st = mutinf_kmeans_degenerate(km, &degenerate);
    if (st == MUTINF_OK) st = mutinf_kmeans_centroids(km, cent, k * d);
    if (st != MUTINF_OK) {
        r = cli_lib_error(st, data->value);
        goto done;
    }
    char err[512];
    if (labels_path != NULL && npy_write(labels_path, NPY_I4, 1, &n, labels, err, sizeof err)) {
        cli_error(labels_path, "%s", err);
        r = CLI_BAD_INPUT;
        goto done;
    }
    const int64_t cshape[2] = {k, d};
    if (centroids_path != NULL &&
        npy_write(centroids_path, NPY_F8, 2, cshape, cent, err, sizeof err)) {
        cli_error(centroids_path, "%s", err);
        r = CLI_BAD_INPUT;
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        if (labels[i] >= 0 && labels[i] < k) sizes[labels[i]]++;
    if (json) {
        json_out j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_key(&j, "k");
        json_int(&j, k);
        json_key(&j, "inertia");
        json_number(&j, inertia);
        json_key(&j, "n_iter");
        json_int(&j, n_iter);
        json_key(&j, "converged");
        json_bool(&j, converged);
        json_key(&j, "degenerate");
        json_bool(&j, degenerate);
        json_key(&j, "n_samples");
        json_int(&j, n);
        json_key(&j, "n_features");
        json_int(&j, d);
        json_key(&j, "cluster_sizes");
        json_array_begin(&j);
        for (int64_t c = 0; c < k; c++)
            json_int(&j, sizes[c]);
        json_array_end(&j);
        json_key(&j, "seconds");
        json_number(&j, seconds);
        json_object_end(&j);
        fputc('\n', stdout);
    } else {
        char b[64];
        printf("kmeans: %lld clusters of %lld samples x %lld features (%s)\n", (long long)k,
               (long long)n, (long long)d, data->value);
        cli_fmt(inertia, b, sizeof b);
        printf("  inertia             %s\n", b);
        printf("  iterations          %d%s\n", n_iter,
               converged ? " (converged)" : " (stopped at --max-iter, not converged)");
        if (degenerate) printf("  degenerate          fewer distinct points than clusters\n");
        printf("  time                %.6f s\n", seconds);
        printf("  cluster sizes      ");
        for (int64_t c = 0; c < k; c++)
            printf(" %lld", (long long)sizes[c]);
        printf("\n");
        if (labels_path) printf("  labels written to   %s\n", labels_path);
        if (centroids_path) printf("  centroids written to %s\n", centroids_path);
    }
    fflush(stdout);
    r = CLI_OK;
done:
    mutinf_kmeans_destroy(km);
    free(labels);
    free(cent);
    free(sizes);
    npy_free(&x);
    return r;
}
