/* Shared steps of the module estimator subcommands; see cli_estimator.h. */
#include "cli_estimator.h"

#include <stdlib.h>
#include <string.h>

int cli_estimator_begin(cli_estimator *e, const char *cmd, const char *usage, int argc, char **argv,
                        cli_opt *opts, size_t n_opts, const char *input_opt, const char *input_meta,
                        int *status)
{
    memset(e, 0, sizeof *e);
    e->cmd = cmd;
    if (!cli_begin(cmd, usage, argc, argv, opts, n_opts, status)) return 0;
    const cli_opt *input = cli_find(opts, n_opts, input_opt);
    e->partition = cli_find(opts, n_opts, "--partition");
    e->modules = cli_find(opts, n_opts, "--modules");
    if (!input->seen)
        *status = cli_usage_error(cmd, "missing %s %s", input_opt, input_meta);
    else if (!e->partition->seen && !e->modules->seen)
        *status = cli_usage_error(cmd, "missing --partition P (or --modules K)");
    if (*status != 0) return 0;
    e->input = input->value;
    e->json = cli_flag(opts, n_opts, "--json");
    e->bits = cli_flag(opts, n_opts, "--bits");
    e->pairwise = cli_flag(opts, n_opts, "--pairwise");
    return 1;
}

int cli_estimator_setup(cli_estimator *e, int64_t n_units, int64_t threads)
{
    int r = cli_partition(e->cmd, e->partition, e->modules, n_units, e->input, &e->part);
    if (r != 0) return r;
    mutinf_partition_n_modules(e->part, &e->k);
    mutinf_status st = mutinf_options_create(&e->options);
    if (st == MUTINF_OK) st = mutinf_options_set_bits(e->options, e->bits);
    if (st == MUTINF_OK && threads >= 0)
        st = mutinf_options_set_threads(e->options, (int32_t)threads);
    if (st != MUTINF_OK) return cli_lib_error(st, "options");
    if (e->pairwise && (e->pw = cli_alloc_square(e->k)) == NULL) {
        cli_error(e->input, "out of memory");
        return CLI_NUMERICAL;
    }
    return 0;
}

void cli_estimator_result(const cli_estimator *e, cli_result *res)
{
    memset(res, 0, sizeof *res);
    res->estimator = e->cmd;
    res->input = e->input;
    res->bits = e->bits;
    res->n_modules = e->k;
    res->pairwise = e->pw;
}

void cli_estimator_free(cli_estimator *e)
{
    mutinf_options_destroy(e->options);
    mutinf_partition_destroy(e->part);
    free(e->pw);
    e->options = NULL;
    e->part = NULL;
    e->pw = NULL;
}
