/* mutinf quantized: discrete plug-in TC from quantized activations. */
#include <math.h>

#include "cli_estimator.h"

static const char usage[] =
    "usage: mutinf quantized --data X.npy (--partition P | --modules K) --bins B\n"
    "                        [--quantizer kmeans|quantile] [--miller-madow] [--seed N]\n"
    "                        [--n-init N] [--permutations N] [--pairwise] [--threads T]\n"
    "                        [--json] [--bits]\n"
    "\n"
    "Quantized mutual information: each module's activations become one of B\n"
    "symbols per sample (k-means on the module's standardized units, or B\n"
    "equal-frequency bins per unit), then TC = sum_k H(module k) - H(joint) from\n"
    "the symbol counts (plug-in entropies, sparse joint counts).\n"
    "\n"
    "  --data X          activations as (samples, units); .npy ('<f8'/'<f4', C or\n"
    "                    Fortran order) or .csv\n"
    "  --partition P     module label of each unit: \"0,0,1,-1,1\" (-1 = left out),\n"
    "                    or @FILE (integers, or an integer .npy)\n"
    "  --modules K       instead of --partition: K contiguous near-equal modules\n"
    "  --bins B          symbols per module (kmeans) or per unit (quantile), >= 2\n"
    "  --quantizer Q     kmeans (default) or quantile\n"
    "  --miller-madow    Miller-Madow bias correction of every entropy\n"
    "  --seed N          seed of the k-means initialisation and permutations (default 0)\n"
    "  --n-init N        k-means restarts per module (default 1)\n"
    "  --permutations N  permutation test of independence with N shuffles; adds\n"
    "                    the p-value (default 0: none)\n"
    "  --pairwise        also print the K x K matrix (entropies H on the diagonal)\n"
    "  --threads T       threads of libmutinf's own loops (0 = all cores)\n"
    "  --json            print one JSON object instead of the table\n"
    "  --bits            report bits instead of nats\n"
    "\n"
    "Exit status: 0 success, 1 usage error, 2 bad input, 3 numerical failure.\n"
    "\n"
    "example:\n"
    "  mutinf quantized --data activations.npy --modules 2 --bins 5 --miller-madow\n";

int cmd_quantized(int argc, char **argv)
{
    static const char cmd[] = "quantized";
    cli_opt opts[] = {
        CLI_ESTIMATOR_OPTS("--data"),         {"--bins", NULL, 1, NULL, 0},
        {"--quantizer", NULL, 1, NULL, 0},    {"--miller-madow", NULL, 0, NULL, 0},
        {"--seed", NULL, 1, NULL, 0},         {"--n-init", NULL, 1, NULL, 0},
        {"--permutations", NULL, 1, NULL, 0}, {"--threads", NULL, 1, NULL, 0},
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    cli_estimator e;
    int r;
    if (!cli_estimator_begin(&e, cmd, usage, argc, argv, opts, n_opts, "--data", "X.npy", &r))
        return r;
    if (!cli_flag(opts, n_opts, "--bins")) return cli_usage_error(cmd, "missing --bins B");
    int64_t bins = 0, n_init = 1, perms = 0, threads = 0;
    uint64_t seed = 0;
    int32_t quantizer = MUTINF_QUANTIZER_KMEANS;
    if ((r = cli_opt_int(cmd, opts, n_opts, "--bins", 2, INT32_MAX, &bins)) != 0 ||
        (r = cli_opt_int(cmd, opts, n_opts, "--n-init", 1, INT32_MAX, &n_init)) != 0 ||
        (r = cli_opt_int(cmd, opts, n_opts, "--permutations", 0, INT32_MAX, &perms)) != 0 ||
        (r = cli_opt_int(cmd, opts, n_opts, "--threads", 0, 4096, &threads)) != 0 ||
        (r = cli_opt_u64(cmd, opts, n_opts, "--seed", &seed)) != 0 ||
        (r = cli_opt_choice(cmd, opts, n_opts, "--quantizer", "kmeans", MUTINF_QUANTIZER_KMEANS,
                            "quantile", MUTINF_QUANTIZER_QUANTILE, &quantizer)) != 0)
        return r;

    npy_array x;
    mutinf_activations *act = NULL;
    if ((r = cli_load_activations(e.input, &x, &act)) != 0) return r;
    if ((r = cli_estimator_setup(&e, x.shape[1], threads)) != 0) goto done;
    cli_progress prog;
    cli_progress_init(&prog, "mutinf quantized");
    mutinf_status st = mutinf_options_set_bins(e.options, (int32_t)bins);
    if (st == MUTINF_OK) st = mutinf_options_set_quantizer(e.options, quantizer);
    if (st == MUTINF_OK)
        st = mutinf_options_set_miller_madow(e.options, cli_flag(opts, n_opts, "--miller-madow"));
    if (st == MUTINF_OK) st = mutinf_options_set_seed(e.options, seed);
    if (st == MUTINF_OK) st = mutinf_options_set_n_init(e.options, (int32_t)n_init);
    if (st == MUTINF_OK) st = mutinf_options_set_n_permutations(e.options, (int32_t)perms);
    if (st == MUTINF_OK) st = mutinf_options_set_progress(e.options, cli_progress_cb, &prog);
    if (st != MUTINF_OK) {
        r = cli_lib_error(st, "options");
        goto done;
    }
    double t0 = cli_now(), tc = 0.0, p = NAN, null_mean = NAN;
    int64_t cells = 0;
    int32_t under = 0;
    st = mutinf_activations_quantized(act, e.part, e.options, &tc, e.pw, &p, &null_mean, &cells,
                                      &under, NULL);
    double seconds = cli_now() - t0;
    cli_progress_done(&prog);
    if (st != MUTINF_OK) {
        r = cli_lib_error(st, e.input);
        goto done;
    }
    cli_result res;
    cli_estimator_result(&e, &res);
    res.n_units = x.shape[1];
    res.n_samples = x.shape[0];
    res.total_correlation = tc;
    res.bins = bins;
    res.quantizer = quantizer == MUTINF_QUANTIZER_KMEANS ? "kmeans" : "quantile";
    res.has_p_value = perms > 0;
    res.p_value = p;
    res.has_cells = 1;
    res.occupied_cells = cells;
    res.undersampled = under;
    res.seconds = seconds;
    cli_print_result(&res, e.json);
    r = CLI_OK;
done:
    cli_estimator_free(&e);
    mutinf_activations_destroy(act);
    npy_free(&x);
    return r;
}
