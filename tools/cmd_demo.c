/* mutinf demo: the design experiment, self-contained.  A random linear
 * network y = W x with x ~ N(0, I) is a linear-Gaussian model, so its exact
 * total correlation is known; the estimators are run on it and compared. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"

static const char usage[] =
    "usage: mutinf demo [--seed N] [--inputs N] [--units D] [--modules K] [--samples N]\n"
    "                   [--json]\n"
    "\n"
    "Runs the estimators on a random linear network y = W x, x ~ N(0, I), whose\n"
    "exact total correlation between modules is known, and prints each estimate\n"
    "with its time.  Needs no files.\n"
    "\n"
    "  --seed N      seed of the weights and the samples (default 1)\n"
    "  --inputs N    inputs of the network (default 15)\n"
    "  --units D     units (outputs) of the network (default 7)\n"
    "  --modules K   contiguous modules of near-equal size (default 2)\n"
    "  --samples N   samples drawn for the activation estimators, more than D\n"
    "                (default 2000); also the Jacobian batch size\n"
    "  --json        print one JSON object instead of the table:\n"
    "                {\"true\": x, \"estimates\": [{\"estimator\", \"bins\",\n"
    "                 \"total_correlation\", \"seconds\"}, ...], ...}\n"
    "\n"
    "example:\n"
    "  mutinf demo --units 12 --modules 3 --samples 5000\n";

#define DEMO_MAX_ROWS 16

typedef struct {
    const char *estimator; /* JSON name */
    const char *label;     /* table label */
    int bins;              /* 0: not applicable */
    double tc, seconds;
} demo_row;

typedef struct {
    int64_t inputs, units, modules, samples;
    uint64_t seed;
    double *w; /* units x inputs, row-major */
    double *y; /* samples x units, row-major */
    mutinf_lingauss *model;
    mutinf_partition *part;
    double truth, truth_seconds;
    demo_row rows[DEMO_MAX_ROWS];
    int n_rows;
    int no_kmeans; /* the library was built without the k-means module */
} demo;

/* splitmix64 and Box–Muller: the weights depend on the seed alone. */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s)
{
    return ((double)(splitmix64(s) >> 11) + 0.5) * 0x1p-53;
}

static void fill_normal(double *x, int64_t n, uint64_t seed)
{
    uint64_t s = seed ^ 0x6D75746966ull;
    for (int64_t i = 0; i < n; i += 2) {
        double u1 = uniform01(&s), u2 = uniform01(&s);
        double r = sqrt(-2.0 * log(u1)), t = 2.0 * M_PI * u2;
        x[i] = r * cos(t);
        if (i + 1 < n) x[i + 1] = r * sin(t);
    }
}

static int add_row(demo *d, const char *estimator, const char *label, int bins, double tc,
                   double seconds)
{
    if (d->n_rows >= DEMO_MAX_ROWS) return 0;
    demo_row *r = &d->rows[d->n_rows++];
    r->estimator = estimator;
    r->label = label;
    r->bins = bins;
    r->tc = tc;
    r->seconds = seconds;
    return 0;
}

/* The exact TC and the samples every activation estimator uses. */
static int demo_setup(demo *d)
{
    mutinf_status st;
    d->w = malloc((size_t)(d->units * d->inputs) * sizeof *d->w);
    d->y = malloc((size_t)(d->samples * d->units) * sizeof *d->y);
    if (d->w == NULL || d->y == NULL) {
        cli_error("demo", "out of memory");
        return CLI_NUMERICAL;
    }
    fill_normal(d->w, d->units * d->inputs, d->seed);
    st = mutinf_partition_create_contiguous(d->units, d->modules, &d->part);
    if (st != MUTINF_OK) return cli_lib_error(st, "demo partition");
    double t0 = cli_now();
    st = mutinf_lingauss_create(d->w, d->units, d->inputs, d->inputs, 1, NULL, 0, 0.0, &d->model);
    if (st == MUTINF_OK) st = mutinf_lingauss_total_correlation(d->model, d->part, NULL, &d->truth);
    d->truth_seconds = cli_now() - t0;
    if (st == MUTINF_OK) st = mutinf_lingauss_sample(d->model, d->samples, d->seed, NULL, d->y);
    if (st != MUTINF_OK) return cli_lib_error(st, "demo model");
    return 0;
}

/* Gaussian plug-in on the samples (bias-corrected, the default). */
static int demo_gaussian(demo *d)
{
    mutinf_activations *act = NULL;
    double tc = 0.0;
    double t0 = cli_now();
    mutinf_status st = mutinf_activations_wrap(d->y, d->samples, d->units, d->units, 1, &act);
    if (st == MUTINF_OK) st = mutinf_activations_gaussian(act, d->part, NULL, &tc, NULL, NULL);
    double t = cli_now() - t0;
    mutinf_activations_destroy(act);
    if (st != MUTINF_OK) return cli_lib_error(st, "demo gaussian");
    return add_row(d, "gaussian", "Gaussian plug-in", 0, tc, t);
}

/* Jacobian estimate: for y = W x every Jacobian is W, so the batch is one
 * copy of W seen `samples` times through a batch stride of 0. */
static int demo_jacobian(demo *d)
{
    mutinf_jacobians *jh = NULL;
    double tc = 0.0;
    double t0 = cli_now();
    mutinf_status st =
        mutinf_jacobians_wrap(d->w, d->samples, d->units, d->inputs, 0, d->inputs, 1, &jh);
    if (st == MUTINF_OK)
        st = mutinf_jacobians_total_correlation(jh, d->part, NULL, &tc, NULL, NULL, NULL, NULL);
    double t = cli_now() - t0;
    mutinf_jacobians_destroy(jh);
    if (st != MUTINF_OK) return cli_lib_error(st, "demo jacobian");
    return add_row(d, "jacobian", "Jacobian (local)", 0, tc, t);
}

/* Quantized estimates (k-means quantizer, plug-in) for a few bin counts. */
static int demo_quantized(demo *d)
{
    static const int bins[] = {2, 3, 5, 10};
    mutinf_activations *act = NULL;
    mutinf_options *opt = NULL;
    mutinf_status st = mutinf_activations_wrap(d->y, d->samples, d->units, d->units, 1, &act);
    if (st == MUTINF_OK) st = mutinf_options_create(&opt);
    if (st == MUTINF_OK) st = mutinf_options_set_seed(opt, d->seed);
    for (size_t i = 0; st == MUTINF_OK && i < sizeof bins / sizeof bins[0]; i++) {
        if (bins[i] > d->samples) break;
        double tc = 0.0;
        double t0 = cli_now();
        st = mutinf_options_set_bins(opt, bins[i]);
        if (st == MUTINF_OK)
            st = mutinf_activations_quantized(act, d->part, opt, &tc, NULL, NULL, NULL, NULL, NULL,
                                              NULL);
        if (st == MUTINF_ERR_UNSUPPORTED) {
            /* A build without the k-means module: no quantized rows (per-unit
             * quantile bins would make bins^units symbols per module, which
             * is no comparison at 2000 samples). */
            d->no_kmeans = 1;
            st = MUTINF_OK;
            break;
        }
        if (st == MUTINF_OK)
            add_row(d, "quantized", "quantized (k-means)", bins[i], tc, cli_now() - t0);
    }
    mutinf_options_destroy(opt);
    mutinf_activations_destroy(act);
    return st == MUTINF_OK ? 0 : cli_lib_error(st, "demo quantized");
}

static void demo_free(demo *d)
{
    mutinf_lingauss_destroy(d->model);
    mutinf_partition_destroy(d->part);
    free(d->w);
    free(d->y);
}

static void print_json(const demo *d)
{
    json_out j;
    json_init(&j, stdout);
    json_object_begin(&j);
    json_key(&j, "true");
    json_number(&j, d->truth);
    json_key(&j, "estimates");
    json_array_begin(&j);
    for (int i = 0; i < d->n_rows; i++) {
        const demo_row *r = &d->rows[i];
        json_object_begin(&j);
        json_key(&j, "estimator");
        json_string(&j, r->estimator);
        json_key(&j, "bins");
        if (r->bins > 0)
            json_int(&j, r->bins);
        else
            json_null(&j);
        json_key(&j, "total_correlation");
        json_number(&j, r->tc);
        json_key(&j, "seconds");
        json_number(&j, r->seconds);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_key(&j, "units");
    json_string(&j, "nats");
    json_key(&j, "seed");
    json_int(&j, (int64_t)d->seed);
    json_key(&j, "n_inputs");
    json_int(&j, d->inputs);
    json_key(&j, "n_units");
    json_int(&j, d->units);
    json_key(&j, "n_modules");
    json_int(&j, d->modules);
    json_key(&j, "n_samples");
    json_int(&j, d->samples);
    json_key(&j, "seconds");
    json_number(&j, d->truth_seconds);
    json_object_end(&j);
    fputc('\n', stdout);
}

static const demo_row *find_row(const demo *d, const char *estimator)
{
    for (int i = 0; i < d->n_rows; i++)
        if (strcmp(d->rows[i].estimator, estimator) == 0) return &d->rows[i];
    return NULL;
}

/* One line saying what the numbers show, from the numbers themselves. */
static void print_summary(const demo *d)
{
    if (!isfinite(d->truth)) {
        printf("The exact TC is infinite: with more units than inputs some module is a\n"
               "deterministic function of the others.\n");
        return;
    }
    const demo_row *jac = find_row(d, "jacobian"), *gau = find_row(d, "gaussian");
    const demo_row *qlo = NULL, *qhi = NULL;
    for (int i = 0; i < d->n_rows; i++)
        if (strcmp(d->rows[i].estimator, "quantized") == 0) {
            if (qlo == NULL) qlo = &d->rows[i];
            qhi = &d->rows[i];
        }
    const double tol = 1e-9 * fmax(1.0, fabs(d->truth));
    char line[1024];
    size_t n = 0;
    line[0] = '\0';
    if (jac != NULL)
        n += (size_t)snprintf(line + n, sizeof line - n, "Jacobian %s the exact value%s",
                              fabs(jac->tc - d->truth) <= tol ? "equals" : "differs from",
                              " (a linear network has J = W)");
    if (gau != NULL && n < sizeof line)
        n += (size_t)snprintf(line + n, sizeof line - n, "%sGaussian plug-in is off by %.1f%%",
                              n ? "; " : "",
                              100.0 * fabs(gau->tc - d->truth) / fmax(fabs(d->truth), 1e-300));
    if (qlo != NULL && qhi != NULL && qlo != qhi && n < sizeof line)
        n += (size_t)snprintf(line + n, sizeof line - n,
                              "%squantized %s from %.0f%% to %.0f%% of it as bins go %d -> %d "
                              "(quantizing loses information)",
                              n ? "; " : "", qhi->tc >= qlo->tc ? "climbs" : "moves",
                              100.0 * qlo->tc / fmax(fabs(d->truth), 1e-300),
                              100.0 * qhi->tc / fmax(fabs(d->truth), 1e-300), qlo->bins, qhi->bins);
    if (n == 0)
        snprintf(line, sizeof line, "The exact value is computed from W alone, no sampling");
    printf("%s.\n", line);
}

static void print_table(const demo *d)
{
    char b[64];
    printf("mutinf demo: random linear network y = W x, x ~ N(0, I)\n"
           "  %lld inputs -> %lld units in %lld contiguous modules, %lld samples, seed %llu\n\n",
           (long long)d->inputs, (long long)d->units, (long long)d->modules, (long long)d->samples,
           (unsigned long long)d->seed);
    printf("  %-26s %5s %16s %10s %11s\n", "estimator", "bins", "TC (nats)", "error", "time (s)");
    cli_fmt(d->truth, b, sizeof b);
    printf("  %-26s %5s %16s %10s %11.6f\n", "exact (W W^T, analytical)", "-", b, "-",
           d->truth_seconds);
    for (int i = 0; i < d->n_rows; i++) {
        const demo_row *r = &d->rows[i];
        char bins[16], err[32];
        if (r->bins > 0)
            snprintf(bins, sizeof bins, "%d", r->bins);
        else
            snprintf(bins, sizeof bins, "-");
        cli_fmt(r->tc, b, sizeof b);
        if (isfinite(r->tc) && isfinite(d->truth))
            snprintf(err, sizeof err, "%+.2e", r->tc - d->truth);
        else
            snprintf(err, sizeof err, "-");
        printf("  %-26s %5s %16s %10s %11.6f\n", r->label, bins, b, err, r->seconds);
    }
    printf("\n");
    if (d->no_kmeans) printf("(no quantized rows: this libmutinf lacks the k-means quantizer)\n");
    print_summary(d);
}

int cmd_demo(int argc, char **argv)
{
    static const char cmd[] = "demo";
    cli_opt opts[] = {
        {"--seed", NULL, 1, NULL, 0},    {"--inputs", NULL, 1, NULL, 0},
        {"--units", NULL, 1, NULL, 0},   {"--modules", NULL, 1, NULL, 0},
        {"--samples", NULL, 1, NULL, 0}, {"--json", NULL, 0, NULL, 0},
    };
    const size_t n_opts = sizeof opts / sizeof opts[0];
    int r;
    if (!cli_begin(cmd, usage, argc, argv, opts, n_opts, &r)) return r;
    demo d;
    memset(&d, 0, sizeof d);
    d.inputs = 15;
    d.units = 7;
    d.modules = 2;
    d.samples = 2000;
    d.seed = 1;
    /* Bounds keep W and the samples below a few hundred megabytes. */
    if ((r = cli_opt_u64(cmd, opts, n_opts, "--seed", &d.seed)) != 0 ||
        (r = cli_opt_int(cmd, opts, n_opts, "--inputs", 1, 4096, &d.inputs)) != 0 ||
        (r = cli_opt_int(cmd, opts, n_opts, "--units", 2, 4096, &d.units)) != 0 ||
        (r = cli_opt_int(cmd, opts, n_opts, "--modules", 2, 4096, &d.modules)) != 0 ||
        (r = cli_opt_int(cmd, opts, n_opts, "--samples", 2, 10000000, &d.samples)) != 0)
        return r;
    if (d.modules > d.units)
        return cli_usage_error(cmd, "--modules %lld is more than --units %lld",
                               (long long)d.modules, (long long)d.units);
    if (d.samples <= d.units)
        return cli_usage_error(cmd,
                               "--samples %lld must exceed --units %lld (the covariance "
                               "of the samples must be invertible)",
                               (long long)d.samples, (long long)d.units);
    if (d.samples * d.units > 20000000)
        return cli_usage_error(cmd, "--samples x --units = %lld is too large (max 2e7)",
                               (long long)(d.samples * d.units));
    r = demo_setup(&d);
    if (r == 0) r = demo_jacobian(&d);
    if (r == 0) r = demo_gaussian(&d);
    if (r == 0) r = demo_quantized(&d);
    if (r == 0) {
        if (cli_flag(opts, n_opts, "--json"))
            print_json(&d);
        else
            print_table(&d);
    }
    demo_free(&d);
    return r;
}
