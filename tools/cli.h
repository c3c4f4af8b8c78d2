/* Shared machinery of the mutinf command-line tool: exit statuses, option
 * parsing, error messages, data loading, partitions, timing. */
#ifndef MUTINF_TOOLS_CLI_H
#define MUTINF_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <mutinf/mutinf.h>

#include "npy.h"

/* Exit statuses (the command-line contract). */
#define CLI_OK        0 /* success */
#define CLI_USAGE     1 /* usage error: unknown command/option, bad option value */
#define CLI_BAD_INPUT 2 /* unreadable/malformed file, shape mismatch, NaN/Inf, bad partition */
#define CLI_NUMERICAL 3 /* numerical failure (or out of memory) */

/* ---- messages --------------------------------------------------------------- */

/* Prints "mutinf: WHAT: MESSAGE" as one line on stderr. */
void cli_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints a usage error "mutinf CMD: MESSAGE (see 'mutinf CMD --help')" and
 * returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports a failed library call on input WHAT (usually a file name) and
 * returns the exit status it maps to. */
int cli_lib_error(mutinf_status st, const char *what);

/* ---- options ---------------------------------------------------------------- */

typedef struct cli_opt {
    const char *name;  /* long form, e.g. "--partition" */
    const char *alias; /* short form, e.g. "-k", or NULL */
    int has_value;     /* 1: takes a value ("--x V" or "--x=V"); 0: a flag */
    const char *value; /* the value, when given */
    int seen;          /* how many times it was given */
} cli_opt;

/* Parses argv[0..argc) against opts.  Returns 0, CLI_USAGE after printing
 * the problem, or -1 when --help/-h was given. */
int cli_parse(const char *cmd, int argc, char **argv, cli_opt *opts, size_t n_opts);

/* Finds an option by long name (must exist). */
cli_opt *cli_find(cli_opt *opts, size_t n_opts, const char *name);

/* Integer value of an option in [lo, hi]; returns 0 or CLI_USAGE. */
int cli_int_value(const char *cmd, const cli_opt *o, int64_t lo, int64_t hi, int64_t *out);

/* Unsigned 64-bit value (seeds); returns 0 or CLI_USAGE. */
int cli_u64_value(const char *cmd, const cli_opt *o, uint64_t *out);

/* Finite double value in [lo, hi]; returns 0 or CLI_USAGE. */
int cli_double_value(const char *cmd, const cli_opt *o, double lo, double hi, double *out);

/* Parses argv against opts and prints `usage` on --help.  Returns 1 when the
 * command goes on; 0 when it must return *status (CLI_OK after --help,
 * CLI_USAGE after printing the problem). */
int cli_begin(const char *cmd, const char *usage, int argc, char **argv, cli_opt *opts,
              size_t n_opts, int *status);

/* Whether the flag (or option) `name` was given. */
int cli_flag(cli_opt *opts, size_t n_opts, const char *name);

/* Optional values: when option `name` was given, its value replaces *out
 * (checked as by cli_int_value etc.); otherwise *out keeps its default.
 * Each returns 0 or CLI_USAGE. */
int cli_opt_int(const char *cmd, cli_opt *opts, size_t n_opts, const char *name, int64_t lo,
                int64_t hi, int64_t *out);
int cli_opt_u64(const char *cmd, cli_opt *opts, size_t n_opts, const char *name, uint64_t *out);
int cli_opt_double(const char *cmd, cli_opt *opts, size_t n_opts, const char *name, double lo,
                   double hi, double *out);

/* An optional choice between two words: a_value for `a`, b_value for `b`;
 * any other word is a usage error "NAME: 'WORD' is not A or B". */
int cli_opt_choice(const char *cmd, cli_opt *opts, size_t n_opts, const char *name, const char *a,
                   int32_t a_value, const char *b, int32_t b_value, int32_t *out);

/* ---- data ------------------------------------------------------------------- */

/* Loads a .npy file (recognised by its magic) or a .csv file (by its
 * extension); anything else is an error.  Returns 0, or CLI_BAD_INPUT after
 * printing "mutinf: PATH: problem". */
int cli_load(const char *path, npy_array *out);

/* Loads a float data file of rank `ndim` whose axes are described by
 * `axes` (e.g. "(samples, units)"), rejecting integer dtypes, wrong ranks,
 * empty arrays and NaN/Inf with a message naming the file. */
int cli_load_float(const char *path, int ndim, const char *axes, npy_array *out);

/* ---- partitions --------------------------------------------------------------- */

/* Builds the partition from --partition SPEC or --modules K (exactly one of
 * them non-NULL) for `n_units` units of the input named `what`.  Returns 0,
 * CLI_USAGE or CLI_BAD_INPUT (after printing). */
int cli_partition(const char *cmd, const cli_opt *partition, const cli_opt *modules,
                  int64_t n_units, const char *what, mutinf_partition **out);

/* ---- time and progress -------------------------------------------------------- */

/* Wall-clock seconds from an arbitrary origin (monotonic). */
double cli_now(void);

/* Progress reporting on stderr: active only when stderr is a terminal,
 * prints nothing during the first second. */
typedef struct cli_progress {
    const char *label;
    double start, last, delay;
    int active, printed;
} cli_progress;

void cli_progress_init(cli_progress *p, const char *label);
/* A mutinf_progress_fn; payload is a cli_progress. */
int32_t cli_progress_cb(int64_t done, int64_t total, void *payload);
/* Erases the progress line, if one was printed. */
void cli_progress_done(cli_progress *p);

/* ---- output ------------------------------------------------------------------- */

/* A K x K matrix of doubles (malloc), or NULL when out of memory or when
 * the size overflows. */
double *cli_alloc_square(int64_t k);

/* Formats a value for the table: "%.6f"-like, "inf", "-inf". */
void cli_fmt(double v, char *buf, size_t len);

/* Prints a K x K row-major matrix as a table with module headers. */
void cli_print_matrix(FILE *f, const double *m, int64_t k);

#endif

/* ---- estimator results ---------------------------------------------------------- */

/* What the estimator subcommands report (the JSON contract). */
typedef struct cli_result {
    const char *estimator; /* "lingauss", "jacobian", "gaussian", "quantized" */
    const char *input;     /* file name, for the table */
    int bits;              /* 1: bits, 0: nats */
    int64_t n_modules, n_units;
    int64_t n_samples; /* -1: absent (lingauss) */
    double total_correlation;
    int has_stderr; /* jacobian: standard error and infinite count */
    double std_error;
    int64_t n_infinite;
    const double *pairwise; /* K x K row-major, or NULL */
    int64_t bins;           /* quantized: bins, else 0 */
    const char *quantizer;  /* quantized: "kmeans"/"quantile", else NULL */
    int has_p_value;        /* gaussian (asymptotic), quantized (permutations) */
    double p_value;
    int has_cells; /* quantized: occupied joint cells, undersampled flag */
    int64_t occupied_cells;
    int undersampled;
    double seconds;
} cli_result;

/* Prints the result as one JSON object (json = 1) or as a table. */
void cli_print_result(const cli_result *r, int json);

/* Commands: each returns the exit status. */
int cmd_lingauss(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_gaussian(int argc, char **argv);
int cmd_quantized(int argc, char **argv);
int cmd_jacobian(int argc, char **argv);
int cmd_kmeans(int argc, char **argv);

/* Loads activations (samples, units) from `path` and wraps them (borrowed
 * from *data, which must outlive *out).  Returns 0 or an exit status. */
int cli_load_activations(const char *path, npy_array *data, mutinf_activations **out);
