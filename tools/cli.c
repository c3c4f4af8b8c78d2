/* Shared machinery of the mutinf command-line tool; see cli.h. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"

void cli_error(const char *what, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One line, whatever the message holds. */
    for (char *c = msg; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    fflush(stdout);
    if (what != NULL && *what)
        fprintf(stderr, "mutinf: %s: %s\n", what, msg);
    else
        fprintf(stderr, "mutinf: %s\n", msg);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mutinf %s: %s (see 'mutinf %s --help')\n", cmd, msg, cmd);
    return CLI_USAGE;
}

int cli_lib_error(mutinf_status st, const char *what)
{
    const char *msg = mutinf_last_error_message();
    cli_error(what, "%s (%s)", (msg && *msg) ? msg : "failed", mutinf_status_string(st));
    switch (st) {
    case MUTINF_ERR_INVALID_ARGUMENT:
        return CLI_USAGE;
    case MUTINF_ERR_DIMENSION_MISMATCH:
    case MUTINF_ERR_SIZE_OVERFLOW:
    case MUTINF_ERR_NON_FINITE:
    case MUTINF_ERR_LABEL_OUT_OF_RANGE:
    case MUTINF_ERR_EMPTY_MODULE:
    case MUTINF_ERR_OVERLAPPING_MODULES:
    case MUTINF_ERR_TOO_FEW_MODULES:
    case MUTINF_ERR_TOO_FEW_SAMPLES:
    case MUTINF_ERR_BAD_MASK_VALUE:
        return CLI_BAD_INPUT;
    default:
        return CLI_NUMERICAL;
    }
}

/* ---- options ---------------------------------------------------------------- */

cli_opt *cli_find(cli_opt *opts, size_t n_opts, const char *name)
{
    for (size_t i = 0; i < n_opts; i++)
        if (strcmp(opts[i].name, name) == 0) return &opts[i];
    return NULL;
}

int cli_parse(const char *cmd, int argc, char **argv, cli_opt *opts, size_t n_opts)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        cli_opt *o = NULL;
        for (size_t j = 0; j < n_opts && o == NULL; j++) {
            if (strlen(opts[j].name) == nlen && strncmp(opts[j].name, a, nlen) == 0)
                o = &opts[j];
            else if (opts[j].alias && eq == NULL && strcmp(opts[j].alias, a) == 0)
                o = &opts[j];
        }
        if (o == NULL) {
            if (a[0] == '-' && a[1] != '\0') return cli_usage_error(cmd, "unknown option '%s'", a);
            return cli_usage_error(cmd, "unexpected argument '%s'", a);
        }
        if (o->seen) return cli_usage_error(cmd, "%s given twice", o->name);
        o->seen = 1;
        if (!o->has_value) {
            if (eq != NULL) return cli_usage_error(cmd, "%s takes no value", o->name);
            continue;
        }
        if (eq != NULL) {
            o->value = eq + 1;
        } else {
            if (i + 1 >= argc) return cli_usage_error(cmd, "%s needs a value", o->name);
            o->value = argv[++i];
        }
        if (o->value[0] == '\0') return cli_usage_error(cmd, "%s needs a value", o->name);
    }
    return 0;
}

int cli_int_value(const char *cmd, const cli_opt *o, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(o->value, &end, 10);
    if (end == o->value || *end != '\0' || errno == ERANGE || isspace((unsigned char)*o->value))
        return cli_usage_error(cmd, "%s: '%s' is not an integer", o->name, o->value);
    if (v < lo || v > hi) {
        if (hi == INT64_MAX)
            return cli_usage_error(cmd, "%s: %lld is out of range (must be >= %lld)", o->name, v,
                                   (long long)lo);
        return cli_usage_error(cmd, "%s: %lld is out of range [%lld, %lld]", o->name, v,
                               (long long)lo, (long long)hi);
    }
    *out = v;
    return 0;
}

int cli_u64_value(const char *cmd, const cli_opt *o, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)o->value[0]))
        return cli_usage_error(cmd, "%s: '%s' is not a non-negative integer", o->name, o->value);
    unsigned long long v = strtoull(o->value, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return cli_usage_error(cmd, "%s: '%s' is not a non-negative 64-bit integer", o->name,
                               o->value);
    *out = v;
    return 0;
}

int cli_double_value(const char *cmd, const cli_opt *o, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(o->value, &end);
    if (end == o->value || *end != '\0' || isspace((unsigned char)*o->value))
        return cli_usage_error(cmd, "%s: '%s' is not a number", o->name, o->value);
    if (!isfinite(v) || v < lo || v > hi)
        return cli_usage_error(cmd, "%s: %s is out of range (must be finite and >= %g)", o->name,
                               o->value, lo);
    *out = v;
    return 0;
}

int cli_begin(const char *cmd, const char *usage, int argc, char **argv, cli_opt *opts,
              size_t n_opts, int *status)
{
    int r = cli_parse(cmd, argc, argv, opts, n_opts);
    if (r < 0) {
        fputs(usage, stdout);
        *status = CLI_OK;
        return 0;
    }
    *status = r;
    return r == 0;
}

int cli_flag(cli_opt *opts, size_t n_opts, const char *name)
{
    return cli_find(opts, n_opts, name)->seen;
}

/* The cli_opt_* readers leave *out at its default when the option is absent,
 * so a command states each default once, where it declares the variable. */
int cli_opt_int(const char *cmd, cli_opt *opts, size_t n_opts, const char *name, int64_t lo,
                int64_t hi, int64_t *out)
{
    const cli_opt *o = cli_find(opts, n_opts, name);
    return o->seen ? cli_int_value(cmd, o, lo, hi, out) : 0;
}

int cli_opt_u64(const char *cmd, cli_opt *opts, size_t n_opts, const char *name, uint64_t *out)
{
    const cli_opt *o = cli_find(opts, n_opts, name);
    return o->seen ? cli_u64_value(cmd, o, out) : 0;
}

int cli_opt_double(const char *cmd, cli_opt *opts, size_t n_opts, const char *name, double lo,
                   double hi, double *out)
{
    const cli_opt *o = cli_find(opts, n_opts, name);
    return o->seen ? cli_double_value(cmd, o, lo, hi, out) : 0;
}

int cli_opt_choice(const char *cmd, cli_opt *opts, size_t n_opts, const char *name, const char *a,
                   int32_t a_value, const char *b, int32_t b_value, int32_t *out)
{
    const cli_opt *o = cli_find(opts, n_opts, name);
    if (!o->seen) return 0;
    if (strcmp(o->value, a) == 0)
        *out = a_value;
    else if (strcmp(o->value, b) == 0)
        *out = b_value;
    else
        return cli_usage_error(cmd, "%s: '%s' is not %s or %s", name, o->value, a, b);
    return 0;
}

/* ---- data ------------------------------------------------------------------- */

static int has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), m = strlen(ext);
    return n >= m && strcasecmp(path + n - m, ext) == 0;
}

int cli_load(const char *path, npy_array *out)
{
    char err[512];
    int r;
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cli_error(path, "cannot open: %s", strerror(errno));
        return CLI_BAD_INPUT;
    }
    fclose(f);
    if (npy_sniff(path) || has_ext(path, ".npy"))
        r = npy_read(path, out, err, sizeof err);
    else if (has_ext(path, ".csv"))
        r = csv_read(path, out, err, sizeof err);
    else {
        cli_error(path, "unknown file type: expected a .npy file or a .csv file");
        return CLI_BAD_INPUT;
    }
    if (r != 0) {
        cli_error(path, "%s", err);
        return CLI_BAD_INPUT;
    }
    return 0;
}

/* Index (in memory order) of the first NaN/Inf of a float array, or -1.
 * Blocks are screened with x * 0, which is 0 for finite x and NaN
 * otherwise, so the common all-finite case is one vectorizable pass. */
static int64_t first_non_finite(const npy_array *a)
{
    const int64_t block = 4096;
    for (int64_t b = 0; b < a->size; b += block) {
        int64_t e = b + block < a->size ? b + block : a->size;
        double acc = 0.0;
        if (a->dtype == NPY_F8) {
            const double *x = (const double *)a->data;
            for (int64_t i = b; i < e; i++)
                acc += x[i] * 0.0;
        } else {
            const float *x = (const float *)a->data;
            float accf = 0.0f;
            for (int64_t i = b; i < e; i++)
                accf += x[i] * 0.0f;
            acc = (double)accf;
        }
        if (acc == 0.0) continue;
        for (int64_t i = b; i < e; i++)
            if (!isfinite(npy_get(a, i))) return i;
    }
    return -1;
}

int cli_load_float(const char *path, int ndim, const char *axes, npy_array *out)
{
    int r = cli_load(path, out);
    if (r != 0) return r;
    char shape[256];
    npy_shape_string(out, shape, sizeof shape);
    if (out->ndim != ndim) {
        cli_error(path, "expected a %d-D array %s, got shape %s%s", ndim, axes, shape,
                  (ndim == 3 && has_ext(path, ".csv")) ? " (3-D data needs a .npy file)" : "");
        goto bad;
    }
    if (out->dtype != NPY_F8 && out->dtype != NPY_F4) {
        cli_error(path, "dtype '%s' is not supported for %s data (expected '<f8' or '<f4')",
                  npy_descr(out->dtype), axes);
        goto bad;
    }
    if (out->size == 0) {
        cli_error(path, "empty array of shape %s", shape);
        goto bad;
    }
    int64_t bad_at = first_non_finite(out);
    if (bad_at >= 0) {
        double v = npy_get(out, bad_at);
        char idx[256];
        npy_index_string(out, bad_at, idx, sizeof idx);
        cli_error(path, "element %s is %s; the data must be finite", idx,
                  isnan(v) ? "NaN"
                  : v > 0  ? "+inf"
                           : "-inf");
        goto bad;
    }
    return 0;
bad:
    npy_free(out);
    return CLI_BAD_INPUT;
}

/* ---- time and progress -------------------------------------------------------- */

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_init(cli_progress *p, const char *label)
{
    p->label = label;
    p->start = p->last = cli_now();
    p->active = isatty(STDERR_FILENO) && getenv("MUTINF_NO_PROGRESS") == NULL;
    p->printed = 0;
    /* Seconds of silence before the first progress line (tests set 0). */
    const char *delay = getenv("MUTINF_PROGRESS_DELAY");
    p->delay = delay != NULL ? strtod(delay, NULL) : 1.0;
}

int32_t cli_progress_cb(int64_t done, int64_t total, void *payload)
{
    cli_progress *p = payload;
    if (p == NULL || !p->active) return 0;
    double t = cli_now();
    if (t - p->start < p->delay || (p->printed && t - p->last < 0.2 && done < total)) return 0;
    p->last = t;
    double pct = total > 0 ? 100.0 * (double)done / (double)total : 0.0;
    fprintf(stderr, "\r%s: %5.1f%% (%lld/%lld, %.0f s)", p->label, pct, (long long)done,
            (long long)total, t - p->start);
    fflush(stderr);
    p->printed = 1;
    return 0;
}

void cli_progress_done(cli_progress *p)
{
    if (p->active && p->printed) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    p->printed = 0;
}

/* ---- output ------------------------------------------------------------------- */

double *cli_alloc_square(int64_t k)
{
    if (k < 1 || (uint64_t)k > SIZE_MAX / sizeof(double) / (uint64_t)k) return NULL;
    return malloc((size_t)k * (size_t)k * sizeof(double));
}

void cli_fmt(double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "nan");
    else if (isinf(v))
        snprintf(buf, len, v > 0 ? "inf" : "-inf");
    else if (v != 0 && (fabs(v) >= 1e6 || fabs(v) < 1e-4))
        snprintf(buf, len, "%.6g", v);
    else
        snprintf(buf, len, "%.6f", v);
}

void cli_print_matrix(FILE *f, const double *m, int64_t k)
{
    char b[64];
    fprintf(f, "%10s", "");
    for (int64_t j = 0; j < k; j++) {
        snprintf(b, sizeof b, "module %lld", (long long)j);
        fprintf(f, " %12s", b);
    }
    fputc('\n', f);
    for (int64_t i = 0; i < k; i++) {
        snprintf(b, sizeof b, "module %lld", (long long)i);
        fprintf(f, "%-10s", b);
        for (int64_t j = 0; j < k; j++) {
            cli_fmt(m[i * k + j], b, sizeof b);
            fprintf(f, " %12s", b);
        }
        fputc('\n', f);
    }
}

int cli_load_activations(const char *path, npy_array *data, mutinf_activations **out)
{
    *out = NULL;
    int r = cli_load_float(path, 2, "(samples, units)", data);
    if (r != 0) return r;
    int64_t s[2];
    npy_strides(data, s);
    mutinf_status st =
        data->dtype == NPY_F8
            ? mutinf_activations_wrap(data->data, data->shape[0], data->shape[1], s[0], s[1], out)
            : mutinf_activations_wrap_f32(data->data, data->shape[0], data->shape[1], s[0], s[1],
                                          out);
    if (st != MUTINF_OK) {
        npy_free(data);
        return cli_lib_error(st, path);
    }
    return 0;
}
