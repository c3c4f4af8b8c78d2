/* mutinf jacobian: local (Jacobian) TC over a batch of Jacobians. */
#include <stdlib.h>

#include "cli_estimator.h"

static const char usage[] =
    "usage: mutinf jacobian --data J.npy (--partition P | --modules K) [--noise-var V]\n"
    "                       [--pairwise] [--per-sample OUT.npy] [--threads T] [--json]\n"
    "                       [--bits]\n"
    "\n"
    "Jacobian (local) mutual information: for every Jacobian J_b of the batch the\n"
    "local covariance C_b = J_b J_b^T + V I gives a Gaussian TC_b between the\n"
    "modules; prints their mean, its standard error and the number of infinite\n"
    "TC_b.  For a linear network y = W x it equals 'mutinf lingauss' on W.\n"
    "\n"
    "  --data J          Jacobians as (batch, units, inputs), as\n"
    "                    torch.autograd.functional.jacobian stacks them; .npy\n"
    "                    ('<f8'/'<f4', C or Fortran order)\n"
    "  --partition P     module label of each unit: \"0,0,1,-1,1\" (-1 = left out),\n"
    "                    or @FILE (integers, or an integer .npy)\n"
    "  --modules K       instead of --partition: K contiguous near-equal modules\n"
    "  --noise-var V     variance of isotropic noise added to each C_b (default 0)\n"
    "  --pairwise        also print the batch-mean K x K pairwise matrix\n"
    "  --per-sample OUT  write every TC_b as a float64 .npy of shape (batch,)\n"
    "  --threads T       threads of libmutinf's own loops (0 = all cores)\n"
    "  --json            print one JSON object instead of the table\n"
    "  --bits            report bits instead of nats\n"
    "\n"
    "Exit status: 0 success, 1 usage error, 2 bad input, 3 numerical failure.\n"
    "\n"
    "example:\n"
    "  mutinf jacobian --data jacobians.npy --modules 4 --per-sample tc.npy\n";

int cmd_jacobian(int argc, char **argv)
{
    static const char cmd[] = "jacobian";
    cli_opt opts[] = {
        CLI_ESTIMATOR_OPTS("--data"),
        {"--noise-var", NULL, 1, NULL, 0},
        {"--per-sample", NULL, 1, NULL, 0},
        {"--threads", NULL, 1, NULL, 0},
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    cli_estimator e;
    int r;
    if (!cli_estimator_begin(&e, cmd, usage, argc, argv, opts, n_opts, "--data", "J.npy", &r))
        return r;
    double noise_var = 0.0;
    int64_t threads = 0;
    if ((r = cli_opt_double(cmd, opts, n_opts, "--noise-var", 0.0, 1e300, &noise_var)) != 0 ||
        (r = cli_opt_int(cmd, opts, n_opts, "--threads", 0, 4096, &threads)) != 0)
        return r;
    const char *per_sample_path = cli_find(opts, n_opts, "--per-sample")->value;

    npy_array jac;
    if ((r = cli_load_float(e.input, 3, "(batch, units, inputs)", &jac)) != 0) return r;
    const int64_t batch = jac.shape[0], units = jac.shape[1], inputs = jac.shape[2];
    mutinf_jacobians *jh = NULL;
    double *per = NULL;
    if ((r = cli_estimator_setup(&e, units, threads)) != 0) goto done;
    cli_progress prog;
    cli_progress_init(&prog, "mutinf jacobian");
    mutinf_status st = mutinf_options_set_noise_var(e.options, noise_var);
    if (st == MUTINF_OK) st = mutinf_options_set_progress(e.options, cli_progress_cb, &prog);
    if (st != MUTINF_OK) {
        r = cli_lib_error(st, "options");
        goto done;
    }
    if (per_sample_path && (per = malloc((size_t)batch * sizeof *per)) == NULL) {
        cli_error(e.input, "out of memory");
        r = CLI_NUMERICAL;
        goto done;
    }
    int64_t s[3];
    npy_strides(&jac, s);
    double t0 = cli_now(), tc = 0.0, se = 0.0;
    int64_t n_inf = 0;
    st = jac.dtype == NPY_F8
             ? mutinf_jacobians_wrap(jac.data, batch, units, inputs, s[0], s[1], s[2], &jh)
             : mutinf_jacobians_wrap_f32(jac.data, batch, units, inputs, s[0], s[1], s[2], &jh);
    if (st == MUTINF_OK)
        st = mutinf_jacobians_total_correlation(jh, e.part, e.options, &tc, &se, &n_inf, per, e.pw);
    double seconds = cli_now() - t0;
    cli_progress_done(&prog);
    if (st != MUTINF_OK) {
        r = cli_lib_error(st, e.input);
        goto done;
    }
    char err[512];
    if (per_sample_path != NULL &&
        npy_write(per_sample_path, NPY_F8, 1, &batch, per, err, sizeof err) != 0) {
        cli_error(per_sample_path, "%s", err);
        r = CLI_BAD_INPUT;
        goto done;
    }
    cli_result res;
    cli_estimator_result(&e, &res);
    res.n_units = units;
    res.n_samples = batch;
    res.total_correlation = tc;
    res.has_stderr = 1;
    res.std_error = se;
    res.n_infinite = n_inf;
    res.seconds = seconds;
    cli_print_result(&res, e.json);
    r = CLI_OK;
done:
    mutinf_jacobians_destroy(jh);
    cli_estimator_free(&e);
    free(per);
    npy_free(&jac);
    return r;
}
