/* Estimator 3: Gaussian plug-in total correlation from recorded activations,
 * with the Ince et al. (2017) bias correction, the Gaussian copula and the
 * likelihood-ratio chi-squared p-value. */
#include <math.h>

#include "activations.h"
#include "alloc.h"
#include "copula.h"
#include "covariance.h"
#include "error.h"
#include "gauss_tc.h"
#include "options.h"
#include "partition.h"
#include "special.h"

#define FN "mutinf_activations_gaussian"

/* corr[p] = c(p) = p (ln 2 - ln(n - 1)) / 2 + sum_{i=1..p} psi((n - i)/2) / 2,
 * the amount by which the plug-in Gaussian entropy of a p-dimensional block
 * overestimates its expectation (Ince et al. 2017, eq. in gcmi's ent_g). */
static void entropy_bias(int64_t n, int64_t m, double *corr)
{
    double dn = (double)n, dterm = 0.5 * (M_LN2 - log(dn - 1.0)), psi_sum = 0.0;
    corr[0] = 0.0;
    for (int64_t p = 1; p <= m; p++) {
        psi_sum += 0.5 * mutinf__digamma(0.5 * (dn - (double)p));
        corr[p] = (double)p * dterm + psi_sum;
    }
}

mutinf_status mutinf_activations_gaussian(const mutinf_activations *activations,
                                          const mutinf_partition *partition,
                                          const mutinf_options *options, double *tc_out,
                                          double *pairwise_out, double *p_value_out)
{
    MUTINF_CHECK_NULL(activations, FN);
    MUTINF_CHECK_NULL(partition, FN);
    MUTINF_CHECK_NULL(tc_out, FN);
    const mutinf__view *v = &activations->view;
    const int64_t n = v->dim[0];
    mutinf_status st = mutinf__partition_check_units(partition, v->dim[1], FN);
    if (st != MUTINF_OK)
        return st;
    const struct mutinf_options *o = mutinf__opts(options);
    const int64_t K = partition->n_modules, m = partition->n_assigned;
    if (n <= m)
        return mutinf__fail(MUTINF_ERR_TOO_FEW_SAMPLES,
                            "%s: n_samples = %lld but the partition assigns %lld units; the "
                            "Gaussian estimator needs n_samples > units",
                            FN, (long long)n, (long long)m);
    size_t mm, nm = 0;
    if (mutinf__mul_size((size_t)m, (size_t)m, &mm) ||
        (o->copula && mutinf__mul_size((size_t)n, (size_t)m, &nm)))
        return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW, "%s: %lld assigned units overflow", FN,
                            (long long)m);
    const int threads = mutinf__thread_count(options);

    /* The covariance is built over the assigned units only, in module
     * order, so the estimator sees a compact partition of units 0..m-1. */
    size_t work_doubles = mutinf__gaussian_tc_work_size(partition, pairwise_out != NULL);
    size_t total = mm + work_doubles + (size_t)(K * K) + (size_t)(m + 1);
    double *buf = mutinf__alloc(total, sizeof *buf, 0, "Gaussian estimator workspace");
    int64_t *iota = mutinf__alloc((size_t)m, sizeof *iota, 0, "unit map");
    double *copula = NULL;
    if (buf == NULL || iota == NULL) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    double *C = buf, *work = C + mm, *pair = work + work_doubles, *corr = pair + K * K;
    for (int64_t j = 0; j < m; j++)
        iota[j] = j;

    if (o->copula) {
        copula = mutinf__alloc(nm, sizeof *copula, 0, "copula-transformed data");
        if (copula == NULL) {
            st = MUTINF_ERR_OUT_OF_MEMORY;
            goto done;
        }
        st = mutinf__copula_transform(v, partition->units, m, threads, copula);
        if (st != MUTINF_OK)
            goto done;
        mutinf__view cv = {.data = copula, .is_f32 = 0, .rank = 2,
                           .dim = {n, m, 1}, .stride = {1, n, 0}};
        st = mutinf__covariance(&cv, iota, m, threads, NULL, C, NULL);
    } else {
        /* the column sums of the wrap spare the direct path a pass */
        double *sums = NULL;
        if (activations->col_sum != NULL) {
            sums = corr; /* m + 1 doubles, not needed before the bias step */
            for (int64_t j = 0; j < m; j++)
                sums[j] = activations->col_sum[partition->units[j]];
        }
        st = mutinf__covariance(v, partition->units, m, threads, sums, C, NULL);
    }
    if (st != MUTINF_OK)
        goto done;

    struct mutinf_partition compact = {.n_units = m, .n_modules = K, .n_assigned = m,
                                       .labels = NULL, .offsets = partition->offsets,
                                       .units = iota};
    double tc;
    st = mutinf__gaussian_tc_ws(C, m, &compact, options, &tc, pairwise_out ? pair : NULL, work);
    if (st != MUTINF_OK)
        goto done;

    /* Likelihood-ratio test: 2 n TC ~ chi2(sum_{k<l} d_k d_l); the plug-in
     * TC is the same for the divisors n and n - 1. */
    double p_value = 0.0;
    if (p_value_out != NULL && isfinite(tc)) {
        double sum_sq = 0.0;
        for (int64_t k = 0; k < K; k++) {
            double dk = (double)(partition->offsets[k + 1] - partition->offsets[k]);
            sum_sq += dk * dk;
        }
        double df = 0.5 * ((double)m * (double)m - sum_sq);
        p_value = mutinf__chi2_sf(fmax(0.0, 2.0 * (double)n * tc), df);
    }

    if (o->bias_correction) {
        entropy_bias(n, m, corr);
        double shift = corr[m];
        for (int64_t k = 0; k < K; k++)
            shift -= corr[partition->offsets[k + 1] - partition->offsets[k]];
        if (isfinite(tc))
            tc += shift;
        if (pairwise_out != NULL)
            for (int64_t i = 0; i < K; i++) {
                int64_t di = partition->offsets[i + 1] - partition->offsets[i];
                for (int64_t j = 0; j < K; j++) {
                    int64_t dj = partition->offsets[j + 1] - partition->offsets[j];
                    double c = i == j ? -corr[di] : corr[di + dj] - corr[di] - corr[dj];
                    if (isfinite(pair[i * K + j]))
                        pair[i * K + j] += c;
                }
            }
    }

    *tc_out = mutinf__in_units(options, tc);
    if (pairwise_out != NULL)
        for (int64_t i = 0; i < K * K; i++)
            pairwise_out[i] = mutinf__in_units(options, pair[i]);
    if (p_value_out != NULL)
        *p_value_out = p_value;
done:
    mutinf__free(copula);
    mutinf__free(iota);
    mutinf__free(buf);
    return st;
}
