/* Estimator 3: Gaussian plug-in total correlation from recorded activations,
 * with the Ince et al. (2017) bias correction, the Gaussian copula and the
 * likelihood-ratio chi-squared p-value; and the same estimator from
 * mergeable moments (count, mean, co-moment) of sharded data. */
#include <math.h>
#include <string.h>

#include "activations.h"
#include "alloc.h"
#include "copula.h"
#include "covariance.h"
#include "error.h"
#include "gauss_tc.h"
#include "options.h"
#include "partition.h"
#include "special.h"

/* corr[p] = c(p) = p (ln 2 - ln(n - 1)) / 2 + sum_{i=1..p} psi((n - i)/2) / 2,
 * the amount by which the plug-in Gaussian entropy of a p-dimensional block
 * overestimates its expectation (Ince et al. 2017, eq. in gcmi's ent_g). */
static void entropy_bias(double n, int64_t m, double *corr)
{
    double dterm = 0.5 * (M_LN2 - log(n - 1.0)), psi_sum = 0.0;
    corr[0] = 0.0;
    for (int64_t p = 1; p <= m; p++) {
        psi_sum += 0.5 * mutinf__digamma(0.5 * (n - (double)p));
        corr[p] = (double)p * dterm + psi_sum;
    }
}

/* Sizes shared by both entry points; MUTINF_ERR_SIZE_OVERFLOW if m*m overflows. */
static mutinf_status check_m(const char *fn, int64_t m, size_t *mm)
{
    if (mutinf__mul_size((size_t)m, (size_t)m, mm) || *mm > ((size_t)1 << 60))
        return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW, "%s: %lld assigned units overflow", fn,
                            (long long)m);
    return MUTINF_OK;
}

/* From the unbiased covariance C (m x m, column-major, over the assigned
 * units in module order) of n samples to the outputs.  `scratch` holds
 * gaussian_tc_work_size + K*K + m + 1 doubles.  Writes outputs only on
 * success. */
static mutinf_status estimate(const double *C, double n, const mutinf_partition *partition,
                              const mutinf_options *options, double *scratch, int64_t *iota,
                              double *tc_out, double *pairwise_out, double *p_value_out)
{
    const struct mutinf_options *o = mutinf__opts(options);
    const int64_t K = partition->n_modules, m = partition->n_assigned;
    size_t work_doubles = mutinf__gaussian_tc_work_size(partition, pairwise_out != NULL);
    double *work = scratch, *pair = work + work_doubles, *corr = pair + K * K;
    for (int64_t j = 0; j < m; j++)
        iota[j] = j;
    struct mutinf_partition compact = {.n_units = m,
                                       .n_modules = K,
                                       .n_assigned = m,
                                       .labels = NULL,
                                       .offsets = partition->offsets,
                                       .units = iota};
    double tc;
    mutinf_status st =
        mutinf__gaussian_tc_ws(C, m, &compact, options, &tc, pairwise_out ? pair : NULL, work);
    if (st != MUTINF_OK) return st;

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
        p_value = mutinf__chi2_sf(fmax(0.0, 2.0 * n * tc), df);
    }

    if (o->bias_correction) {
        entropy_bias(n, m, corr);
        double shift = corr[m];
        for (int64_t k = 0; k < K; k++)
            shift -= corr[partition->offsets[k + 1] - partition->offsets[k]];
        if (isfinite(tc)) tc += shift;
        if (pairwise_out != NULL)
            for (int64_t i = 0; i < K; i++) {
                int64_t di = partition->offsets[i + 1] - partition->offsets[i];
                for (int64_t j = 0; j < K; j++) {
                    int64_t dj = partition->offsets[j + 1] - partition->offsets[j];
                    double c = i == j ? -corr[di] : corr[di + dj] - corr[di] - corr[dj];
                    if (isfinite(pair[i * K + j])) pair[i * K + j] += c;
                }
            }
    }

    *tc_out = mutinf__in_units(options, tc);
    if (pairwise_out != NULL)
        for (int64_t i = 0; i < K * K; i++)
            pairwise_out[i] = mutinf__in_units(options, pair[i]);
    if (p_value_out != NULL) *p_value_out = p_value;
    return MUTINF_OK;
}

static size_t scratch_size(const mutinf_partition *p, int want_pairwise)
{
    return mutinf__gaussian_tc_work_size(p, want_pairwise) + (size_t)(p->n_modules * p->n_modules) +
           (size_t)p->n_assigned + 1;
}

/* 1 when every diagonal entry of the m x m matrix C is finite. */
static int diagonal_finite(const double *C, int64_t m)
{
    int ok = 1;
    for (int64_t j = 0; j < m; j++)
        ok &= isfinite(C[j + j * m]) != 0;
    return ok;
}

/* The covariance of the assigned units (module order) of the handle's data,
 * through the copula when asked; MUTINF_ERR_NON_FINITE (prefixed by `fn`)
 * when one of the units holds a NaN or an infinity. */
static mutinf_status activations_cov(const mutinf_activations *activations,
                                     const mutinf_partition *partition,
                                     const struct mutinf_options *o, int threads, const char *fn,
                                     int64_t *iota, double *C, double *mean_out)
{
    const mutinf__view *v = &activations->view;
    const int64_t n = v->dim[0], m = partition->n_assigned;
    if (o->copula) {
        size_t nm;
        if (mutinf__mul_size((size_t)n, (size_t)m, &nm))
            return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW, "copula buffer of %lld x %lld overflows",
                                (long long)n, (long long)m);
        double *copula = mutinf__alloc(nm, sizeof *copula, 0, "copula-transformed data");
        if (copula == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
        int non_finite = 0;
        mutinf_status st =
            mutinf__copula_transform(v, partition->units, m, threads, copula, &non_finite);
        if (st == MUTINF_OK && non_finite)
            st = mutinf__check_units_finite(v, partition->units, m, threads, fn);
        else if (st == MUTINF_OK) {
            mutinf__view cv = {
                .data = copula, .is_f32 = 0, .rank = 2, .dim = {n, m, 1}, .stride = {1, n, 0}};
            for (int64_t j = 0; j < m; j++)
                iota[j] = j;
            st = mutinf__covariance(&cv, iota, m, threads, C, mean_out);
        }
        mutinf__free(copula);
        return st;
    }
    /* The covariance reads the data once and leaves it unchecked: a NaN or
     * an infinity shows as a non-finite variance, and only then is the data
     * scanned, to name the entry (finite data whose squares overflow passes
     * the scan and goes on with its non-finite covariance: not an input
     * error). */
    mutinf_status st = mutinf__covariance(v, partition->units, m, threads, C, mean_out);
    if (st == MUTINF_OK && !diagonal_finite(C, m))
        st = mutinf__check_units_finite(v, partition->units, m, threads, fn);
    return st;
}

#define FN "mutinf_activations_gaussian"

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
    if (st != MUTINF_OK) return st;
    const int64_t m = partition->n_assigned;
    if (n <= m)
        return mutinf__fail(MUTINF_ERR_TOO_FEW_SAMPLES,
                            "%s: n_samples = %lld but the partition assigns %lld units; the "
                            "Gaussian estimator needs n_samples > units",
                            FN, (long long)n, (long long)m);
    size_t mm;
    if ((st = check_m(FN, m, &mm)) != MUTINF_OK) return st;
    double *buf = mutinf__alloc(mm + scratch_size(partition, pairwise_out != NULL), sizeof *buf, 0,
                                "Gaussian estimator workspace");
    int64_t *iota = mutinf__alloc((size_t)m, sizeof *iota, 0, "unit map");
    if (buf == NULL || iota == NULL) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
    } else {
        st = activations_cov(activations, partition, mutinf__opts(options),
                             mutinf__thread_count(options), FN, iota, buf, NULL);
        if (st == MUTINF_OK)
            st = estimate(buf, (double)n, partition, options, buf + mm, iota, tc_out, pairwise_out,
                          p_value_out);
    }
    mutinf__free(iota);
    mutinf__free(buf);
    return st;
}
#undef FN

/* ---- mergeable moments ---------------------------------------------------- */

mutinf_status mutinf_moments_size(const mutinf_partition *partition, int64_t *size_out)
{
    MUTINF_CHECK_NULL(partition, "mutinf_moments_size");
    MUTINF_CHECK_NULL(size_out, "mutinf_moments_size");
    size_t mm;
    mutinf_status st = check_m("mutinf_moments_size", partition->n_assigned, &mm);
    if (st != MUTINF_OK) return st;
    *size_out = 1 + partition->n_assigned + (int64_t)mm;
    return MUTINF_OK;
}

static mutinf_status check_size(const char *fn, const mutinf_partition *partition, int64_t size)
{
    int64_t m = partition->n_assigned, want;
    size_t mm;
    mutinf_status st = check_m(fn, m, &mm);
    if (st != MUTINF_OK) return st;
    want = 1 + m + (int64_t)mm;
    if (size != want)
        return mutinf__fail(MUTINF_ERR_DIMENSION_MISMATCH,
                            "%s: size = %lld but the partition's %lld assigned units need "
                            "1 + m + m*m = %lld doubles",
                            fn, (long long)size, (long long)m, (long long)want);
    return MUTINF_OK;
}

#define FN "mutinf_activations_moments"

mutinf_status mutinf_activations_moments(const mutinf_activations *activations,
                                         const mutinf_partition *partition,
                                         const mutinf_options *options, double *moments_out,
                                         int64_t size)
{
    MUTINF_CHECK_NULL(activations, FN);
    MUTINF_CHECK_NULL(partition, FN);
    MUTINF_CHECK_NULL(moments_out, FN);
    const mutinf__view *v = &activations->view;
    const int64_t n = v->dim[0], m = partition->n_assigned;
    mutinf_status st = mutinf__partition_check_units(partition, v->dim[1], FN);
    if (st != MUTINF_OK || (st = check_size(FN, partition, size)) != MUTINF_OK) return st;
    if (mutinf__opts(options)->copula)
        return mutinf__fail(MUTINF_ERR_UNSUPPORTED,
                            "%s: the copula needs the ranks over all samples, which shards "
                            "cannot merge; compute moments without the copula option",
                            FN);
    double *buf = mutinf__alloc((size_t)size, sizeof *buf, 0, "moments");
    int64_t *iota = mutinf__alloc((size_t)m, sizeof *iota, 0, "unit map");
    if (buf == NULL || iota == NULL) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    double *mean = buf + 1, *M2 = mean + m;
    buf[0] = (double)n;
    if (n == 1) {
        st = mutinf__check_units_finite(v, partition->units, m, 1, FN);
        if (st != MUTINF_OK) goto done;
        for (int64_t j = 0; j < m; j++)
            mean[j] = mutinf__view_at2(v, 0, partition->units[j]);
        memset(M2, 0, (size_t)(m * m) * sizeof *M2);
    } else {
        st = activations_cov(activations, partition, mutinf__opts(options),
                             mutinf__thread_count(options), FN, iota, M2, mean);
        if (st != MUTINF_OK) goto done;
        for (int64_t i = 0; i < m * m; i++)
            M2[i] *= (double)(n - 1);
    }
    memcpy(moments_out, buf, (size_t)size * sizeof *buf);
done:
    mutinf__free(iota);
    mutinf__free(buf);
    return st;
}
#undef FN

/* Validates one moments buffer: count a non-negative integer, everything finite. */
static mutinf_status check_moments(const char *fn, const char *name, const double *mo, int64_t m)
{
    double n = mo[0];
    if (!(n >= 0.0) || n != floor(n) || n > 9007199254740992.0)
        return mutinf__fail(MUTINF_ERR_INVALID_ARGUMENT,
                            "%s: %s[0] (the sample count) = %g, must be a non-negative integer", fn,
                            name, n);
    for (int64_t i = 1; i < 1 + m + m * m; i++)
        if (!isfinite(mo[i]))
            return mutinf__fail(MUTINF_ERR_NON_FINITE, "%s: %s[%lld] = %g", fn, name, (long long)i,
                                mo[i]);
    return MUTINF_OK;
}

mutinf_status mutinf_moments_merge(double *moments, const double *other, int64_t size)
{
    static const char fn[] = "mutinf_moments_merge";
    MUTINF_CHECK_NULL(moments, fn);
    MUTINF_CHECK_NULL(other, fn);
    /* size = 1 + m + m^2: recover m */
    int64_t m = size > 0 ? (int64_t)sqrt((double)size) : 0;
    while (m > 0 && (m > 3037000000LL || 1 + m + m * m > size))
        m--;
    if (size < 1 || 1 + m + m * m != size)
        return mutinf__fail(MUTINF_ERR_DIMENSION_MISMATCH,
                            "%s: size = %lld is not 1 + m + m*m for any m", fn, (long long)size);
    mutinf_status st = check_moments(fn, "moments", moments, m);
    if (st != MUTINF_OK || (st = check_moments(fn, "other", other, m)) != MUTINF_OK) return st;
    double na = moments[0], nb = other[0], n = na + nb;
    if (nb == 0.0) return MUTINF_OK;
    if (na == 0.0) {
        memmove(moments, other, (size_t)size * sizeof *moments);
        return MUTINF_OK;
    }
    /* Chan, Golub & LeVeque (1979): delta = mean_b - mean_a,
     * mean = mean_a + delta nb / n, M2 = M2_a + M2_b + delta delta^T na nb / n. */
    double *mean = moments + 1, *M2 = mean + m;
    const double *mb = other + 1, *M2b = mb + m;
    double w = na * nb / n;
    for (int64_t j = 0; j < m; j++) {
        double dj = mb[j] - mean[j];
        for (int64_t i = 0; i < m; i++)
            M2[i + j * m] += M2b[i + j * m] + w * (mb[i] - mean[i]) * dj;
    }
    for (int64_t j = 0; j < m; j++)
        mean[j] += (mb[j] - mean[j]) * (nb / n);
    moments[0] = n;
    return MUTINF_OK;
}

#define FN "mutinf_moments_gaussian"

mutinf_status mutinf_moments_gaussian(const double *moments, int64_t size,
                                      const mutinf_partition *partition,
                                      const mutinf_options *options, double *tc_out,
                                      double *pairwise_out, double *p_value_out)
{
    MUTINF_CHECK_NULL(moments, FN);
    MUTINF_CHECK_NULL(partition, FN);
    MUTINF_CHECK_NULL(tc_out, FN);
    mutinf_status st = check_size(FN, partition, size);
    const int64_t m = partition->n_assigned;
    if (st != MUTINF_OK || (st = check_moments(FN, "moments", moments, m)) != MUTINF_OK) return st;
    double n = moments[0];
    if (n <= (double)m)
        return mutinf__fail(MUTINF_ERR_TOO_FEW_SAMPLES,
                            "%s: the moments count %.0f samples but the partition assigns %lld "
                            "units; the Gaussian estimator needs more samples than units",
                            FN, n, (long long)m);
    if (mutinf__opts(options)->copula)
        return mutinf__fail(MUTINF_ERR_UNSUPPORTED,
                            "%s: the copula cannot be applied to merged moments", FN);
    size_t mm = (size_t)(m * m);
    double *buf = mutinf__alloc(mm + scratch_size(partition, pairwise_out != NULL), sizeof *buf, 0,
                                "Gaussian estimator workspace");
    int64_t *iota = mutinf__alloc((size_t)m, sizeof *iota, 0, "unit map");
    if (buf == NULL || iota == NULL) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
    } else {
        const double *M2 = moments + 1 + m;
        for (size_t i = 0; i < mm; i++)
            buf[i] = M2[i] / (n - 1.0);
        st =
            estimate(buf, n, partition, options, buf + mm, iota, tc_out, pairwise_out, p_value_out);
    }
    mutinf__free(iota);
    mutinf__free(buf);
    return st;
}
#undef FN
