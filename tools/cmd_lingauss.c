/* mutinf lingauss: exact TC of the linear-Gaussian model y = W x + noise. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: mutinf lingauss --weights W.npy (--partition P | --modules K)\n"
    "                       [--noise-var V] [--pairwise] [--json] [--bits]\n"
    "\n"
    "Exact total correlation between modules of the outputs of a linear-Gaussian\n"
    "model y = W x + sqrt(V) e, x ~ N(0, I), e ~ N(0, I):  C = W W^T + V I and\n"
    "TC = 1/2 (sum_k logdet C[Sk,Sk] - logdet C).  +inf when a module is a\n"
    "deterministic function of the others.\n"
    "\n"
    "  --weights W      W as (units, inputs), like torch nn.Linear.weight; .npy\n"
    "                   ('<f8' or '<f4', C or Fortran order) or .csv\n"
    "  --partition P    module label of each unit: \"0,0,1,-1,1\" (-1 = left out),\n"
    "                   or @FILE (integers separated by spaces/commas, or an\n"
    "                   integer .npy)\n"
    "  --modules K      instead of --partition: K contiguous near-equal modules\n"
    "  --noise-var V    variance of the isotropic output noise (default 0)\n"
    "  --pairwise       also print the K x K matrix of pairwise MI (entropies on\n"
    "                   the diagonal)\n"
    "  --json           print one JSON object instead of the table\n"
    "  --bits           report bits instead of nats\n"
    "\n"
    "Exit status: 0 success, 1 usage error, 2 bad input, 3 numerical failure.\n"
    "\n"
    "example:\n"
    "  mutinf lingauss --weights fc1_weight.npy --modules 2 --pairwise\n";

int cmd_lingauss(int argc, char **argv)
{
    static const char cmd[] = "lingauss";
    cli_opt opts[] = {
        {"--weights", NULL, 1, NULL, 0},  {"--partition", NULL, 1, NULL, 0},
        {"--modules", NULL, 1, NULL, 0},  {"--noise-var", NULL, 1, NULL, 0},
        {"--pairwise", NULL, 0, NULL, 0}, {"--json", NULL, 0, NULL, 0},
        {"--bits", NULL, 0, NULL, 0},
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    int r = cli_parse(cmd, argc, argv, opts, n_opts);
    if (r < 0) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (r != 0) return r;
    cli_opt *weights = cli_find(opts, n_opts, "--weights");
    if (!weights->seen) return cli_usage_error(cmd, "missing --weights W.npy");
    if (!cli_find(opts, n_opts, "--partition")->seen && !cli_find(opts, n_opts, "--modules")->seen)
        return cli_usage_error(cmd, "missing --partition P (or --modules K)");
    double noise_var = 0.0;
    cli_opt *nv = cli_find(opts, n_opts, "--noise-var");
    if (nv->seen && (r = cli_double_value(cmd, nv, 0.0, 1e300, &noise_var)) != 0) return r;
    const int json = cli_find(opts, n_opts, "--json")->seen;
    const int bits = cli_find(opts, n_opts, "--bits")->seen;
    const int pairwise = cli_find(opts, n_opts, "--pairwise")->seen;

    npy_array w;
    if ((r = cli_load_float(weights->value, 2, "(units, inputs)", &w)) != 0) return r;
    const int64_t units = w.shape[0], inputs = w.shape[1];
    mutinf_partition *part = NULL;
    mutinf_options *options = NULL;
    mutinf_lingauss *model = NULL;
    double *pw = NULL;
    r = cli_partition(cmd, cli_find(opts, n_opts, "--partition"),
                      cli_find(opts, n_opts, "--modules"), units, weights->value, &part);
    if (r != 0) goto done;
    int64_t k = 0;
    mutinf_partition_n_modules(part, &k);
    mutinf_status st = mutinf_options_create(&options);
    if (st == MUTINF_OK) st = mutinf_options_set_bits(options, bits);
    if (st != MUTINF_OK) {
        r = cli_lib_error(st, "options");
        goto done;
    }
    if (pairwise && (pw = cli_alloc_square(k)) == NULL) {
        cli_error(weights->value, "out of memory");
        r = CLI_NUMERICAL;
        goto done;
    }
    int64_t strides[2];
    npy_strides(&w, strides);
    double t0 = cli_now(), tc = 0.0;
    if (w.dtype == NPY_F8)
        st = mutinf_lingauss_create(w.data, units, inputs, strides[0], strides[1], NULL, 0,
                                    noise_var, &model);
    else
        st = mutinf_lingauss_create_f32(w.data, units, inputs, strides[0], strides[1], NULL, 0,
                                        noise_var, &model);
    if (st == MUTINF_OK) st = mutinf_lingauss_total_correlation(model, part, options, &tc);
    if (st == MUTINF_OK && pairwise) st = mutinf_lingauss_pairwise(model, part, options, pw);
    double seconds = cli_now() - t0;
    if (st != MUTINF_OK) {
        r = cli_lib_error(st, weights->value);
        goto done;
    }
    cli_result res;
    memset(&res, 0, sizeof res);
    res.estimator = "lingauss";
    res.input = weights->value;
    res.bits = bits;
    res.n_modules = k;
    res.n_units = units;
    res.n_samples = -1;
    res.total_correlation = tc;
    res.pairwise = pw;
    res.seconds = seconds;
    cli_print_result(&res, json);
    r = CLI_OK;
done:
    mutinf_lingauss_destroy(model);
    mutinf_options_destroy(options);
    mutinf_partition_destroy(part);
    free(pw);
    npy_free(&w);
    return r;
}
