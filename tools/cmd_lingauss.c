/* mutinf lingauss: exact TC of the linear-Gaussian model y = W x + noise. */
#include "cli_estimator.h"

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
        CLI_ESTIMATOR_OPTS("--weights"),
        {"--noise-var", NULL, 1, NULL, 0},
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    cli_estimator e;
    int r;
    if (!cli_estimator_begin(&e, cmd, usage, argc, argv, opts, n_opts, "--weights", "W.npy", &r))
        return r;
    double noise_var = 0.0;
    if ((r = cli_opt_double(cmd, opts, n_opts, "--noise-var", 0.0, 1e300, &noise_var)) != 0)
        return r;

    npy_array w;
    if ((r = cli_load_float(e.input, 2, "(units, inputs)", &w)) != 0) return r;
    const int64_t units = w.shape[0], inputs = w.shape[1];
    mutinf_lingauss *model = NULL;
    /* No --threads: the linear-Gaussian model does not use that option. */
    if ((r = cli_estimator_setup(&e, units, -1)) != 0) goto done;
    int64_t strides[2];
    npy_strides(&w, strides);
    double t0 = cli_now(), tc = 0.0;
    mutinf_status st;
    if (w.dtype == NPY_F8)
        st = mutinf_lingauss_create(w.data, units, inputs, strides[0], strides[1], NULL, 0,
                                    noise_var, &model);
    else
        st = mutinf_lingauss_create_f32(w.data, units, inputs, strides[0], strides[1], NULL, 0,
                                        noise_var, &model);
    if (st == MUTINF_OK) st = mutinf_lingauss_total_correlation(model, e.part, e.options, &tc);
    if (st == MUTINF_OK && e.pairwise)
        st = mutinf_lingauss_pairwise(model, e.part, e.options, e.pw);
    double seconds = cli_now() - t0;
    if (st != MUTINF_OK) {
        r = cli_lib_error(st, e.input);
        goto done;
    }
    cli_result res;
    cli_estimator_result(&e, &res);
    res.n_units = units;
    res.n_samples = -1;
    res.total_correlation = tc;
    res.seconds = seconds;
    cli_print_result(&res, e.json);
    r = CLI_OK;
done:
    mutinf_lingauss_destroy(model);
    cli_estimator_free(&e);
    npy_free(&w);
    return r;
}
