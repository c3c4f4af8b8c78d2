/* --partition "0,0,1,-1,1" | --partition @FILE | --modules K. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Parses integers separated by commas and/or whitespace.  Returns 0, or -1
 * after printing a message about `what`. */
static int parse_labels_text(const char *text, size_t len, const char *what, int32_t **labels,
                             int64_t *n)
{
    size_t cap = 64, cnt = 0;
    int32_t *l = malloc(cap * sizeof *l);
    if (l == NULL) {
        cli_error(what, "out of memory");
        return -1;
    }
    size_t i = 0;
    int need_value = 0; /* after a comma, another value must follow */
    for (;;) {
        while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
            i++;
        if (i >= len) break;
        if (text[i] == ',') {
            if (cnt == 0 || need_value) {
                cli_error(what, "empty label at position %zu", cnt + 1);
                free(l);
                return -1;
            }
            need_value = 1;
            i++;
            continue;
        }
        size_t b = i;
        while (i < len && text[i] != ',' && text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
               text[i] != '\r')
            i++;
        char tok[64];
        size_t tl = i - b < sizeof tok - 1 ? i - b : sizeof tok - 1;
        memcpy(tok, text + b, tl);
        tok[tl] = '\0';
        char *end;
        errno = 0;
        long long v = strtoll(tok, &end, 10);
        if (end == tok || *end != '\0' || i - b != tl) {
            cli_error(what, "label %zu: '%s' is not an integer", cnt + 1, tok);
            free(l);
            return -1;
        }
        if (errno == ERANGE || v < INT32_MIN || v > INT32_MAX) {
            cli_error(what, "label %zu: %s is out of range", cnt + 1, tok);
            free(l);
            return -1;
        }
        if (cnt == cap) {
            cap *= 2;
            int32_t *nl = realloc(l, cap * sizeof *nl);
            if (nl == NULL) {
                free(l);
                cli_error(what, "out of memory");
                return -1;
            }
            l = nl;
        }
        l[cnt++] = (int32_t)v;
        need_value = 0;
    }
    if (need_value) {
        cli_error(what, "trailing comma after label %zu", cnt);
        free(l);
        return -1;
    }
    if (cnt == 0) {
        cli_error(what, "no labels");
        free(l);
        return -1;
    }
    *labels = l;
    *n = (int64_t)cnt;
    return 0;
}

static int read_labels_npy(const char *path, int32_t **labels, int64_t *n)
{
    char err[512];
    npy_array a;
    if (npy_read(path, &a, err, sizeof err) != 0) {
        cli_error(path, "%s", err);
        return -1;
    }
    char shape[256];
    npy_shape_string(&a, shape, sizeof shape);
    if (!npy_is_integer(a.dtype)) {
        cli_error(path, "labels must be integers (e.g. '<i4' or '<i8'), got dtype '%s'",
                  npy_descr(a.dtype));
        npy_free(&a);
        return -1;
    }
    if (a.ndim != 1 || a.size == 0) {
        cli_error(path, "labels must be a non-empty 1-D array, got shape %s", shape);
        npy_free(&a);
        return -1;
    }
    int32_t *l = malloc((size_t)a.size * sizeof *l);
    if (l == NULL) {
        cli_error(path, "out of memory");
        npy_free(&a);
        return -1;
    }
    for (int64_t i = 0; i < a.size; i++) {
        int64_t v = 0;
        if (npy_get_int(&a, i, &v) != 0 || v < INT32_MIN || v > INT32_MAX) {
            cli_error(path, "label [%lld] = %.17g is out of range", (long long)i, npy_get(&a, i));
            free(l);
            npy_free(&a);
            return -1;
        }
        l[i] = (int32_t)v;
    }
    *labels = l;
    *n = a.size;
    npy_free(&a);
    return 0;
}

static int read_labels_file(const char *path, int32_t **labels, int64_t *n)
{
    size_t len = strlen(path);
    if (npy_sniff(path) || (len >= 4 && strcmp(path + len - 4, ".npy") == 0))
        return read_labels_npy(path, labels, n);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cli_error(path, "cannot open: %s", strerror(errno));
        return -1;
    }
    size_t cap = 4096, used = 0;
    char *text = malloc(cap);
    while (text != NULL) {
        size_t got = fread(text + used, 1, cap - used, f);
        used += got;
        if (used < cap) break;
        char *nt = realloc(text, cap * 2);
        if (nt == NULL) {
            free(text);
            text = NULL;
            break;
        }
        text = nt;
        cap *= 2;
    }
    int rd_err = ferror(f);
    fclose(f);
    if (text == NULL || rd_err) {
        free(text);
        cli_error(path, "%s", text == NULL ? "out of memory" : "read error");
        return -1;
    }
    int r = parse_labels_text(text, used, path, labels, n);
    free(text);
    return r;
}

int cli_partition(const char *cmd, const cli_opt *partition, const cli_opt *modules,
                  int64_t n_units, const char *what, mutinf_partition **out)
{
    *out = NULL;
    if (partition->seen && modules->seen)
        return cli_usage_error(cmd, "give either --partition or --modules, not both");
    if (!partition->seen && !modules->seen)
        return cli_usage_error(cmd, "missing --partition P (or --modules K)");
    mutinf_status st;
    if (modules->seen) {
        int64_t k;
        int r = cli_int_value(cmd, modules, 2, INT32_MAX, &k);
        if (r != 0) return r;
        if (k > n_units) {
            cli_error("--modules", "%lld modules, but %s has only %lld units", (long long)k, what,
                      (long long)n_units);
            return CLI_BAD_INPUT;
        }
        st = mutinf_partition_create_contiguous(n_units, k, out);
        return st == MUTINF_OK ? 0 : cli_lib_error(st, "--modules");
    }
    const char *spec = partition->value;
    const char *src = spec[0] == '@' ? spec + 1 : "--partition";
    if (spec[0] != '@' && strspn(spec, "0123456789-+, \t\n") != strlen(spec) &&
        access(spec, F_OK) == 0) {
        cli_error("--partition", "'%s' is a file; write --partition @%s to read labels from it",
                  spec, spec);
        return CLI_BAD_INPUT;
    }
    int32_t *labels = NULL;
    int64_t n = 0;
    int r = spec[0] == '@' ? read_labels_file(spec + 1, &labels, &n)
                           : parse_labels_text(spec, strlen(spec), "--partition", &labels, &n);
    if (r != 0) return CLI_BAD_INPUT;
    if (n != n_units) {
        cli_error(src, "the partition has %lld labels, but %s has %lld units", (long long)n, what,
                  (long long)n_units);
        free(labels);
        return CLI_BAD_INPUT;
    }
    st = mutinf_partition_create_from_labels(labels, n, 1, 0, out);
    free(labels);
    if (st != MUTINF_OK) {
        int code = cli_lib_error(st, src);
        return code == CLI_USAGE ? CLI_BAD_INPUT : code;
    }
    return 0;
}
