/* Quantizers: per-unit equal-frequency bins, and k-means per module. */
#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "copula.h"
#include "discrete.h"
#include "error.h"
#include "partition.h"
#include "quantize.h"

void mutinf__quantile_bins(const mutinf__view *v, int64_t unit, int32_t bins, void *buf,
                           int32_t *bin_out)
{
    const int64_t n = v->dim[0];
    double *val = (double *)((char *)buf + mutinf__sort_work_bytes(n));
    int64_t *order = (int64_t *)(val + n);
    mutinf__sort_column(v, unit, buf, val, order);
    for (int64_t a = 0; a < n;) {
        /* floor(bins * a / n) without overflow: a < n < 2^31, bins < 2^31 */
        int32_t b = (int32_t)(((__int128)bins * a) / n);
        int64_t e = a;
        while (e < n && val[e] == val[a])
            bin_out[order[e++]] = b;
        a = e;
    }
}

size_t mutinf__quantile_work_bytes(int64_t n)
{
    return mutinf__sort_work_bytes(n) + (size_t)n * (sizeof(double) + sizeof(int64_t));
}

mutinf_status mutinf__quantize_quantile(const mutinf__view *v, const mutinf_partition *p,
                                        int32_t bins, int threads, int32_t *symbols)
{
    const int64_t n = v->dim[0], K = p->n_modules, m = p->n_assigned;
    int nt = threads < 1 ? 1 : threads;
    if (nt > m) nt = (int)m;
    int32_t *bin = mutinf__alloc((size_t)n * (size_t)m, sizeof *bin, 0, "unit bins");
    size_t per = mutinf__quantile_work_bytes(n) / sizeof(uint64_t) + 1;
    uint64_t *buf = mutinf__alloc((size_t)nt * per, sizeof *buf, 0, "sort buffer");
    if (bin == NULL || buf == NULL) {
        mutinf__free(bin);
        mutinf__free(buf);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
    for (int64_t u = 0; u < m; u++) {
#ifdef _OPENMP
        uint64_t *mine = buf + (size_t)omp_get_thread_num() * per;
#else
        uint64_t *mine = buf;
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
