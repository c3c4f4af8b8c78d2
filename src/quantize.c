/* Quantizers: per-unit equal-frequency bins, and k-means per module. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "discrete.h"
#include "error.h"
#include "partition.h"
#include "quantize.h"

typedef struct {
    double value;
    int64_t index;
} ranked;

static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->value < b->value)
        return -1;
    if (a->value > b->value)
        return 1;
    return (a->index > b->index) - (a->index < b->index);
}

void mutinf__quantile_bins(const mutinf__view *v, int64_t unit, int32_t bins, void *buf,
                           int32_t *bin_out)
{
    const int64_t n = v->dim[0];
    ranked *r = buf;
    for (int64_t i = 0; i < n; i++) {
        r[i].value = mutinf__view_at2(v, i, unit);
        r[i].index = i;
    }
    qsort(r, (size_t)n, sizeof *r, cmp_ranked);
    for (int64_t a = 0; a < n;) {
        /* floor(bins * a / n) without overflow: a < n < 2^31, bins < 2^31 */
        int32_t b = (int32_t)(((__int128)bins * a) / n);
        int64_t e = a;
        while (e < n && r[e].value == r[a].value)
            bin_out[r[e++].index] = b;
        a = e;
    }
}

mutinf_status mutinf__quantize_quantile(const mutinf__view *v, const mutinf_partition *p,
                                        int32_t bins, int threads, int32_t *symbols)
{
    const int64_t n = v->dim[0], K = p->n_modules, m = p->n_assigned;
    int nt = threads < 1 ? 1 : threads;
    if (nt > m)
        nt = (int)m;
    int32_t *bin = mutinf__alloc((size_t)n * (size_t)m, sizeof *bin, 0, "unit bins");
    ranked *buf = mutinf__alloc((size_t)nt * (size_t)n, sizeof *buf, 0, "sort buffer");
    if (bin == NULL || buf == NULL) {
        mutinf__free(bin);
        mutinf__free(buf);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
    for (int64_t u = 0; u < m; u++) {
#ifdef _OPENMP
        ranked *mine = buf + (int64_t)omp_get_thread_num() * n;
#else
        ranked *mine = buf;
#endif
        mutinf__quantile_bins(v, p->units[u], bins, mine, bin + u * n);
    }
    mutinf__free(buf);

    mutinf_status st = MUTINF_OK;
    mutinf__dtable t = {0};
    int32_t *cur = NULL;
    for (int64_t k = 0; k < K && st == MUTINF_OK; k++) {
        int64_t first = p->offsets[k], dk = p->offsets[k + 1] - first;
        double range = pow((double)bins, (double)dk);
        if (range <= (double)INT32_MAX) {
            for (int64_t i = 0; i < n; i++) {
                int64_t code = 0;
                for (int64_t u = first; u < first + dk; u++)
                    code = code * bins + bin[u * n + i];
                symbols[i * K + k] = (int32_t)code;
            }
            continue;
        }
        /* Too many possible tuples for a number: dense ids, unit by unit. */
        if (cur == NULL) {
            cur = mutinf__alloc((size_t)n, sizeof *cur, 0, "tuple ids");
            if (cur == NULL || (st = mutinf__dtable_init(&t, n)) != MUTINF_OK) {
                st = MUTINF_ERR_OUT_OF_MEMORY;
                break;
            }
        }
        memcpy(cur, bin + first * n, (size_t)n * sizeof *cur);
        for (int64_t u = first + 1; u < first + dk; u++) {
            for (int64_t i = 0; i < n; i++)
                t.keys[i] = (uint64_t)cur[i] * (uint64_t)bins + (uint64_t)bin[u * n + i];
            mutinf__dtable_dense(&t, cur);
        }
        for (int64_t i = 0; i < n; i++)
            symbols[i * K + k] = cur[i];
    }
    mutinf__dtable_free(&t);
    mutinf__free(cur);
    mutinf__free(bin);
    return st;
}
