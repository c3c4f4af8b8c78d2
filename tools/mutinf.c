/* mutinf: the libmutinf command-line tool.  Dispatches to the subcommands
 * (cmd_*.c); see tools/README-cli.md for the reference. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"demo", cmd_demo, "the design experiment on a random linear network (no files)"},
    {"lingauss", cmd_lingauss, "exact TC of a linear-Gaussian model from its weights"},
    {"jacobian", cmd_jacobian, "local (Jacobian) TC from a batch of Jacobians"},
    {"gaussian", cmd_gaussian, "Gaussian plug-in TC from recorded activations"},
    {"quantized", cmd_quantized, "discrete TC from quantized activations"},
    {"kmeans", cmd_kmeans, "k-means clustering of the rows of a data file"},
};

static void print_usage(FILE *f)
{
    fprintf(f, "usage: mutinf COMMAND [options]    (mutinf COMMAND --help for details)\n\n"
               "Mutual information between modules of units of a neural network.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nData files are .npy ('<f8'/'<f4', C or Fortran order) or .csv.\n"
               "Exit status: 0 success, 1 usage error, 2 bad input, 3 numerical failure.\n"
               "\nexample:\n  mutinf demo\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_usage(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("mutinf %s (libmutinf %s)\n", MUTINF_VERSION_STRING, mutinf_version());
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0) return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "mutinf: unknown command '%s' (see 'mutinf --help')\n", name);
    return CLI_USAGE;
}
