/* Printing an estimator's result as a table or as the JSON object of the
 * command-line contract. */
#include <string.h>

#include "cli.h"
#include "json_out.h"

static const char *describe(const char *estimator)
{
    if (strcmp(estimator, "lingauss") == 0) return "exact, linear-Gaussian model y = W x";
    if (strcmp(estimator, "jacobian") == 0)
        return "mean of local Gaussian TCs over a batch of Jacobians";
    if (strcmp(estimator, "gaussian") == 0) return "Gaussian plug-in from the sample covariance";
    if (strcmp(estimator, "quantized") == 0) return "discrete plug-in from quantized activations";
    return "";
}

static void print_json(const cli_result *r)
{
    json_out j;
    json_init(&j, stdout);
    json_object_begin(&j);
    json_key(&j, "estimator");
    json_string(&j, r->estimator);
    json_key(&j, "units");
    json_string(&j, r->bits ? "bits" : "nats");
    json_key(&j, "n_modules");
    json_int(&j, r->n_modules);
    json_key(&j, "n_units");
    json_int(&j, r->n_units);
    if (r->n_samples >= 0) {
        json_key(&j, "n_samples");
        json_int(&j, r->n_samples);
    }
    if (r->bins > 0) {
        json_key(&j, "bins");
        json_int(&j, r->bins);
    }
    if (r->quantizer != NULL) {
        json_key(&j, "quantizer");
        json_string(&j, r->quantizer);
    }
    json_key(&j, "total_correlation");
    json_number(&j, r->total_correlation);
    if (r->has_stderr) {
        json_key(&j, "stderr");
        json_number(&j, r->std_error);
        json_key(&j, "n_infinite");
        json_int(&j, r->n_infinite);
    }
    if (r->pairwise != NULL) {
        json_key(&j, "pairwise");
        json_matrix(&j, r->pairwise, r->n_modules);
    }
    if (r->has_p_value) {
        json_key(&j, "p_value");
        json_number(&j, r->p_value);
    }
    if (r->has_cells) {
        json_key(&j, "occupied_cells");
        json_int(&j, r->occupied_cells);
        json_key(&j, "undersampled");
        json_bool(&j, r->undersampled);
    }
    json_key(&j, "seconds");
    json_number(&j, r->seconds);
    json_object_end(&j);
    fputc('\n', stdout);
}

static void print_table(const cli_result *r)
{
    const char *u = r->bits ? "bits" : "nats";
    char b[64];
    printf("%s: %s\n", r->estimator, describe(r->estimator));
    printf("  input               %s\n", r->input);
    printf("  units               %lld in %lld modules\n", (long long)r->n_units,
           (long long)r->n_modules);
    if (r->n_samples >= 0) printf("  samples             %lld\n", (long long)r->n_samples);
    if (r->bins > 0)
        printf("  quantizer           %s, %lld bins\n", r->quantizer ? r->quantizer : "",
               (long long)r->bins);
    cli_fmt(r->total_correlation, b, sizeof b);
    printf("  total correlation   %s %s\n", b, u);
    if (r->has_stderr) {
        cli_fmt(r->std_error, b, sizeof b);
        printf("  standard error      %s %s\n", b, u);
        printf("  infinite samples    %lld\n", (long long)r->n_infinite);
    }
    if (r->has_p_value) {
        cli_fmt(r->p_value, b, sizeof b);
        printf("  p-value             %s (independence of the modules)\n", b);
    }
    if (r->has_cells)
        printf("  occupied cells      %lld%s\n", (long long)r->occupied_cells,
               r->undersampled ? "  (undersampled: < 5 samples per cell, TC is biased up)" : "");
    printf("  time                %.6f s\n", r->seconds);
    if (r->pairwise != NULL) {
        printf("\npairwise (%s): off-diagonal I(module i; module j), diagonal %s\n", u,
               strcmp(r->estimator, "quantized") == 0 ? "H(module i)" : "h(module i)");
        cli_print_matrix(stdout, r->pairwise, r->n_modules);
    }
}

void cli_print_result(const cli_result *r, int json)
{
    if (json)
        print_json(r);
    else
        print_table(r);
    fflush(stdout);
}
