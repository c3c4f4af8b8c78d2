/* mutinf gaussian: Gaussian plug-in TC from recorded activations. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: mutinf gaussian --data X.npy (--partition P | --modules K) [--pairwise]\n"
    "                       [--no-bias-correction] [--copula] [--threads T] [--json] [--bits]\n"
    "\n"
    "Gaussian plug-in estimate of the total correlation between modules of units\n"
    "from recorded activations: the sample covariance C (divisor n - 1) and\n"
    "TC = 1/2 (sum_k logdet C[Sk,Sk] - logdet C), with the analytic bias\n"
    "correction of the Gaussian entropies (Ince et al. 2017) unless disabled.\n"
    "Also prints the asymptotic chi-squared p-value of independence.\n"
    "\n"
    "  --data X             activations as (samples, units); .npy ('<f8'/'<f4', C or\n"
    "                       Fortran order) or .csv\n"
    "  --partition P        module label of each unit: \"0,0,1,-1,1\" (-1 = left out),\n"
    "                       or @FILE (integers, or an integer .npy)\n"
    "  --modules K          instead of --partition: K contiguous near-equal modules\n"
    "  --pairwise           also print the K x K matrix (entropies on the diagonal)\n"
    "  --no-bias-correction plain plug-in log-determinants\n"
    "  --copula             Gaussian copula transform of each unit first (rank-based)\n"
    "  --threads T          threads of libmutinf's own loops (0 = all cores)\n"
    "  --json               print one JSON object instead of the table\n"
    "  --bits               report bits instead of nats\n"
    "\n"
    "Exit status: 0 success, 1 usage error, 2 bad input, 3 numerical failure.\n"
    "\n"
    "example:\n"
    "  mutinf gaussian --data activations.npy --partition @modules.txt --pairwise\n";

int cmd_gaussian(int argc, char **argv)
{
    static const char cmd[] = "gaussian";
    cli_opt opts[] = {
        {"--data", NULL, 1, NULL, 0},
        {"--partition", NULL, 1, NULL, 0},
        {"--modules", NULL, 1, NULL, 0},
        {"--pairwise", NULL, 0, NULL, 0},
        {"--no-bias-correction", NULL, 0, NULL, 0},
        {"--copula", NULL, 0, NULL, 0},
        {"--threads", NULL, 1, NULL, 0},
        {"--json", NULL, 0, NULL, 0},
        {"--bits", NULL, 0, NULL, 0},
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    int r = cli_parse(cmd, argc, argv, opts, n_opts);
    if (r < 0) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (r != 0) return r;
    cli_opt *data = cli_find(opts, n_opts, "--data");
    if (!data->seen) return cli_usage_error(cmd, "missing --data X.npy");
    if (!cli_find(opts, n_opts, "--partition")->seen && !cli_find(opts, n_opts, "--modules")->seen)
        return cli_usage_error(cmd, "missing --partition P (or --modules K)");
    int64_t threads = 0;
    cli_opt *th = cli_find(opts, n_opts, "--threads");
    if (th->seen && (r = cli_int_value(cmd, th, 0, 4096, &threads)) != 0) return r;
    const int json = cli_find(opts, n_opts, "--json")->seen;
    const int bits = cli_find(opts, n_opts, "--bits")->seen;
    const int pairwise = cli_find(opts, n_opts, "--pairwise")->seen;

    npy_array x;
    mutinf_activations *act = NULL;
    if ((r = cli_load_activations(data->value, &x, &act)) != 0) return r;
    mutinf_partition *part = NULL;
    mutinf_options *options = NULL;
    double *pw = NULL;
    r = cli_partition(cmd, cli_find(opts, n_opts, "--partition"),
                      cli_find(opts, n_opts, "--modules"), x.shape[1], data->value, &part);
    if (r != 0) goto done;
    int64_t k = 0;
    mutinf_partition_n_modules(part, &k);
    mutinf_status st = mutinf_options_create(&options);
    if (st == MUTINF_OK) st = mutinf_options_set_bits(options, bits);
    if (st == MUTINF_OK) st = mutinf_options_set_threads(options, (int32_t)threads);
    if (st == MUTINF_OK)
        st = mutinf_options_set_bias_correction(
            options, !cli_find(opts, n_opts, "--no-bias-correction")->seen);
    if (st == MUTINF_OK)
        st = mutinf_options_set_copula(options, cli_find(opts, n_opts, "--copula")->seen);
    if (st != MUTINF_OK) {
        r = cli_lib_error(st, "options");
        goto done;
    }
    if (pairwise && (pw = cli_alloc_square(k)) == NULL) {
        cli_error(data->value, "out of memory");
        r = CLI_NUMERICAL;
        goto done;
    }
    double t0 = cli_now(), tc = 0.0, p = 0.0;
    st = mutinf_activations_gaussian(act, part, options, &tc, pw, &p);
    double seconds = cli_now() - t0;
    if (st != MUTINF_OK) {
        r = cli_lib_error(st, data->value);
        goto done;
    }
    cli_result res;
    memset(&res, 0, sizeof res);
    res.estimator = "gaussian";
    res.input = data->value;
    res.bits = bits;
    res.n_modules = k;
    res.n_units = x.shape[1];
    res.n_samples = x.shape[0];
    res.total_correlation = tc;
    res.pairwise = pw;
    res.has_p_value = 1;
    res.p_value = p;
    res.seconds = seconds;
    cli_print_result(&res, json);
    r = CLI_OK;
done:
    mutinf_options_destroy(options);
    mutinf_partition_destroy(part);
    mutinf_activations_destroy(act);
    free(pw);
    npy_free(&x);
    return r;
}
