/* Gaussian copula: each column replaced by the normal quantile of its ranks. */
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "alloc.h"
#include "copula.h"
#include "special.h"

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

mutinf_status mutinf__copula_transform(const mutinf__view *v, const int64_t *units, int64_t m,
                                       int threads, double *out)
{
    const int64_t n = v->dim[0];
    /* Averaged ranks are half-integers: the average of ranks a..b (1-based)
     * is (a + b) / 2, so Phi^-1 is tabulated once at the 2n - 1 values
     * s / (2 (n + 1)), s = a + b in [2, 2n]. */
    double *table = mutinf__alloc((size_t)(2 * n + 1), sizeof *table, 0, "copula table");
    if (table == NULL)
        return MUTINF_ERR_OUT_OF_MEMORY;
    int nt = threads < 1 ? 1 : threads;
    if (nt > m)
        nt = (int)m;
    ranked *pairs = mutinf__alloc((size_t)nt * (size_t)n, sizeof *pairs, 0, "copula sort buffer");
    if (pairs == NULL) {
        mutinf__free(table);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    const double denom = 2.0 * (double)(n + 1);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t s = 2; s <= 2 * n; s++)
        table[s] = mutinf__norm_quantile((double)s / denom);

#pragma omp parallel num_threads(nt) if (nt > 1)
    {
#ifdef _OPENMP
        ranked *buf = pairs + (int64_t)omp_get_thread_num() * n;
#else
        ranked *buf = pairs;
#endif
#pragma omp for schedule(dynamic, 1)
        for (int64_t j = 0; j < m; j++) {
            for (int64_t i = 0; i < n; i++) {
                buf[i].value = mutinf__view_at2(v, i, units[j]);
                buf[i].index = i;
            }
            qsort(buf, (size_t)n, sizeof *buf, cmp_ranked);
            double *col = out + j * n;
            for (int64_t a = 0; a < n;) {
                int64_t b = a;
                while (b + 1 < n && buf[b + 1].value == buf[a].value)
                    b++;
                /* 0-based a..b are 1-based ranks a+1..b+1: s = a + b + 2. */
                double q = table[a + b + 2];
                for (int64_t t = a; t <= b; t++)
                    col[buf[t].index] = q;
                a = b + 1;
            }
        }
    }
    mutinf__free(pairs);
    mutinf__free(table);
    return MUTINF_OK;
}
