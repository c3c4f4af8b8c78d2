/* The steps every module estimator subcommand (lingauss, jacobian, gaussian,
 * quantized) shares, so that each command keeps only its own options, its
 * estimator call and its own result fields. */
#ifndef MUTINF_TOOLS_CLI_ESTIMATOR_H
#define MUTINF_TOOLS_CLI_ESTIMATOR_H

#include "cli.h"

/* The option-table entries cli_estimator_begin reads, with INPUT the input
 * option ("--data" or "--weights"); a command lists its own after them. */
#define CLI_ESTIMATOR_OPTS(INPUT)                                                                  \
    {INPUT, NULL, 1, NULL, 0}, {"--partition", NULL, 1, NULL, 0}, {"--modules", NULL, 1, NULL, 0}, \
        {"--pairwise", NULL, 0, NULL, 0}, {"--json", NULL, 0, NULL, 0},                            \
    {                                                                                              \
        "--bits", NULL, 0, NULL, 0                                                                 \
    }

typedef struct cli_estimator {
    const char *cmd;   /* subcommand, also the result's "estimator" */
    const char *input; /* the file named by the input option (--data, --weights) */
    int json, bits, pairwise;
    cli_opt *partition, *modules;
    /* Made by cli_estimator_setup, freed by cli_estimator_free. */
    mutinf_partition *part;
    mutinf_options *options;
    int64_t k;  /* number of modules */
    double *pw; /* K x K pairwise matrix when --pairwise, else NULL */
} cli_estimator;

/* Parses argv (printing `usage` on --help), requires the input option
 * `input_opt` (named `input_meta` in the message, e.g. "X.npy") and
 * --partition or --modules, and reads --json, --bits and --pairwise.
 * Returns 1 when the command goes on; 0 when it must return *status. */
int cli_estimator_begin(cli_estimator *e, const char *cmd, const char *usage, int argc, char **argv,
                        cli_opt *opts, size_t n_opts, const char *input_opt, const char *input_meta,
                        int *status);

/* Once the input is loaded: builds the partition of its `n_units` units,
 * creates the options with --bits and `threads` (< 0: a command without
 * --threads, which keeps the library's default) and allocates the pairwise
 * matrix when --pairwise.  Returns 0 or the exit status (after printing). */
int cli_estimator_setup(cli_estimator *e, int64_t n_units, int64_t threads);

/* Sets *res to what every estimator reports (estimator, input, bits,
 * modules, pairwise matrix) and zero elsewhere, for the command to fill. */
void cli_estimator_result(const cli_estimator *e, cli_result *res);

/* Frees what cli_estimator_setup made (safe after a failed or no setup). */
void cli_estimator_free(cli_estimator *e);

#endif
