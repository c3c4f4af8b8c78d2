/* k-means: the handle, its setters and getters, argument validation, and
 * the fit driver (degenerate data, exact 1-D programme, or restarts of
 * k-means++/random/given + Lloyd keeping the lowest inertia). */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "kmeans_impl.h"
#include "options.h"
#include "view.h"

/* ---- handle ------------------------------------------------------------ */

mutinf_status mutinf_kmeans_create(mutinf_kmeans **out)
{
    MUTINF_CHECK_NULL(out, "mutinf_kmeans_create");
    *out = NULL;
    mutinf_kmeans *km = mutinf__alloc(1, sizeof(*km), 1, "k-means handle");
    if (km == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    km->k = 8;
    km->n_init = 1;
    km->max_iter = 300;
    km->tol = 1e-4;
    km->init = MUTINF_KMEANS_INIT_KMEANSPP;
    km->algorithm = MUTINF_KMEANS_ALGORITHM_AUTO;
    *out = km;
    return MUTINF_OK;
}

void mutinf_kmeans_destroy(mutinf_kmeans *km)
{
    if (km == NULL) return;
    mutinf__free(km->given);
    mutinf__free(km->centroids);
    mutinf__free(km);
}

#define SETTER_INT(name, cond, domain)                                                             \
    mutinf_status mutinf_kmeans_set_##name(mutinf_kmeans *km, int32_t name)                        \
    {                                                                                              \
        MUTINF_CHECK_NULL(km, "mutinf_kmeans_set_" #name);                                         \
        if (!(cond))                                                                               \
            return mutinf__fail(MUTINF_ERR_INVALID_ARGUMENT,                                       \
                                "mutinf_kmeans_set_" #name ": " #name " = %d, must be " domain,    \
                                (int)name);                                                        \
        km->name = name;                                                                           \
        return MUTINF_OK;                                                                          \
    }

SETTER_INT(k, k >= 1, ">= 1")
SETTER_INT(n_init, n_init >= 1, ">= 1")
SETTER_INT(max_iter, max_iter >= 1, ">= 1")
SETTER_INT(threads, threads >= 0, ">= 0")
SETTER_INT(init,
           init == MUTINF_KMEANS_INIT_KMEANSPP || init == MUTINF_KMEANS_INIT_RANDOM ||
               init == MUTINF_KMEANS_INIT_GIVEN,
           "MUTINF_KMEANS_INIT_KMEANSPP (0), _RANDOM (1) or _GIVEN (2)")
SETTER_INT(algorithm,
           algorithm == MUTINF_KMEANS_ALGORITHM_AUTO ||
               algorithm == MUTINF_KMEANS_ALGORITHM_LLOYD ||
               algorithm == MUTINF_KMEANS_ALGORITHM_HAMERLY,
           "MUTINF_KMEANS_ALGORITHM_AUTO (0), _LLOYD (1) or _HAMERLY (2)")

mutinf_status mutinf_kmeans_set_tol(mutinf_kmeans *km, double tol)
{
    MUTINF_CHECK_NULL(km, "mutinf_kmeans_set_tol");
    if (!(tol >= 0.0) || isinf(tol))
        return mutinf__fail(MUTINF_ERR_INVALID_ARGUMENT,
                            "mutinf_kmeans_set_tol: tol = %g, must be finite and >= 0", tol);
    km->tol = tol;
    return MUTINF_OK;
}

mutinf_status mutinf_kmeans_set_seed(mutinf_kmeans *km, uint64_t seed)
{
    MUTINF_CHECK_NULL(km, "mutinf_kmeans_set_seed");
    km->seed = seed;
    return MUTINF_OK;
}

mutinf_status mutinf_kmeans_set_progress(mutinf_kmeans *km, mutinf_progress_fn progress,
                                         void *payload)
{
    MUTINF_CHECK_NULL(km, "mutinf_kmeans_set_progress");
    km->progress = progress;
    km->payload = payload;
    return MUTINF_OK;
}

mutinf_status mutinf_kmeans_set_init_centroids(mutinf_kmeans *km, const double *centroids,
                                               int64_t k, int64_t d, int64_t row_stride,
                                               int64_t col_stride)
{
    static const char *fn = "mutinf_kmeans_set_init_centroids";
    MUTINF_CHECK_NULL(km, fn);
    mutinf__view v;
    const int64_t dims[2] = {k, d}, strides[2] = {row_stride, col_stride};
    mutinf_status st = mutinf__view_init(&v, fn, "centroids", centroids, 0, 2, dims, strides);
    if (st != MUTINF_OK) return st;
    if (k > INT32_MAX)
        return mutinf__fail(MUTINF_ERR_INVALID_ARGUMENT, "%s: k = %lld exceeds INT32_MAX", fn,
                            (long long)k);
    int64_t kd;
    if (mutinf__mul_i64(k, d, &kd))
        return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW, "%s: k * d = %lld * %lld overflows", fn,
                            (long long)k, (long long)d);
    static const char *const names[] = {"centroid", "feature"};
    st = mutinf__view_check_finite(&v, fn, "centroids", names);
    if (st != MUTINF_OK) return st;
    double *copy = mutinf__alloc((size_t)kd, sizeof(double), 0, "k-means initial centroids");
    if (copy == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    for (int64_t j = 0; j < k; j++)
        for (int64_t f = 0; f < d; f++)
            copy[j * d + f] = mutinf__view_at2(&v, j, f);
    mutinf__free(km->given);
    km->given = copy;
    km->given_k = k;
    km->given_d = d;
    km->k = (int32_t)k;
    km->init = MUTINF_KMEANS_INIT_GIVEN;
    return MUTINF_OK;
}

/* ---- getters ----------------------------------------------------------- */

static mutinf_status check_fitted(const mutinf_kmeans *km, const char *fn)
{
    MUTINF_CHECK_NULL(km, fn);
    if (!km->fitted)
        return mutinf__fail(MUTINF_ERR_INVALID_STATE, "%s: the k-means handle has no fit yet", fn);
    return MUTINF_OK;
}

mutinf_status mutinf_kmeans_centroids(const mutinf_kmeans *km, double *out, int64_t capacity)
{
    static const char *fn = "mutinf_kmeans_centroids";
    mutinf_status st = check_fitted(km, fn);
    if (st != MUTINF_OK) return st;
    MUTINF_CHECK_NULL(out, fn);
    int64_t need = km->fit_k * km->fit_d;
    if (capacity < need)
        return mutinf__fail(
            MUTINF_ERR_DIMENSION_MISMATCH, "%s: capacity = %lld but k * d = %lld * %lld = %lld", fn,
            (long long)capacity, (long long)km->fit_k, (long long)km->fit_d, (long long)need);
    memcpy(out, km->centroids, (size_t)need * sizeof(double));
    return MUTINF_OK;
}

mutinf_status mutinf_kmeans_shape(const mutinf_kmeans *km, int64_t *k_out, int64_t *d_out)
{
    mutinf_status st = check_fitted(km, "mutinf_kmeans_shape");
    if (st != MUTINF_OK) return st;
    if (k_out != NULL) *k_out = km->fit_k;
    if (d_out != NULL) *d_out = km->fit_d;
    return MUTINF_OK;
}

#define GETTER(name, type, field)                                                                  \
    mutinf_status mutinf_kmeans_##name(const mutinf_kmeans *km, type *name##_out)                  \
    {                                                                                              \
        mutinf_status st = check_fitted(km, "mutinf_kmeans_" #name);                               \
        if (st != MUTINF_OK) return st;                                                            \
        MUTINF_CHECK_NULL(name##_out, "mutinf_kmeans_" #name);                                     \
        *name##_out = km->field;                                                                   \
        return MUTINF_OK;                                                                          \
    }

GETTER(inertia, double, inertia)
GETTER(n_iter, int32_t, n_iter)
GETTER(converged, int32_t, converged)
GETTER(degenerate, int32_t, degenerate)

/* ---- shared validation --------------------------------------------------- */

/* Validates an n x d view, checks it for NaN/Inf, and gives a contiguous
 * row-major version of it: the caller's memory when it already is one, else
 * a packed copy in *owned (free it with mutinf__free). */
static mutinf_status prepare_data(const char *fn, const void *data, int32_t is_f32, int64_t n,
                                  int64_t d, int64_t rs, int64_t cs, mutinf__km_data *X,
                                  void **owned)
{
    *owned = NULL;
    mutinf__view v;
    const int64_t dims[2] = {n, d}, strides[2] = {rs, cs};
    mutinf_status st = mutinf__view_init(&v, fn, "data", data, is_f32, 2, dims, strides);
    if (st != MUTINF_OK) return st;
    int64_t nd;
    if (n > INT32_MAX - 1 || d > INT32_MAX || mutinf__mul_i64(n, d, &nd))
        return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW,
                            "%s: n = %lld, d = %lld: beyond the BLAS integer range", fn,
                            (long long)n, (long long)d);
    static const char *const names[] = {"row", "column"};
    st = mutinf__view_check_finite(&v, fn, "data", names);
    if (st != MUTINF_OK) return st;
    X->n = n;
    X->d = d;
    X->x64 = NULL;
    X->x32 = NULL;
    int contiguous = (cs == 1 || d == 1) && (rs == d || n == 1);
    if (contiguous) {
        if (is_f32)
            X->x32 = data;
        else
            X->x64 = data;
        return MUTINF_OK;
    }
    void *copy = mutinf__alloc((size_t)nd, is_f32 ? sizeof(float) : sizeof(double), 0,
                               "k-means packed data");
    if (copy == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    if (is_f32) {
        const float *src = data;
        float *dst = copy;
        for (int64_t i = 0; i < n; i++)
            for (int64_t f = 0; f < d; f++)
                dst[i * d + f] = src[i * rs + f * cs];
        X->x32 = dst;
    } else {
        const double *src = data;
        double *dst = copy;
        for (int64_t i = 0; i < n; i++)
            for (int64_t f = 0; f < d; f++)
                dst[i * d + f] = src[i * rs + f * cs];
        X->x64 = dst;
    }
    *owned = copy;
    return MUTINF_OK;
}

/* ---- distinct rows --------------------------------------------------------- */

static uint64_t hash_row(const mutinf__km_data *X, int64_t i)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (int64_t f = 0; f < X->d; f++) {
        double x = X->x64 != NULL ? X->x64[i * X->d + f] : (double)X->x32[i * X->d + f];
        if (x == 0.0) x = 0.0; /* -0 equals +0 */
        uint64_t u;
        memcpy(&u, &x, sizeof(u));
        h ^= u + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
        h *= 0xBF58476D1CE4E5B9ULL;
    }
    return h ^ (h >> 31);
}

static int rows_equal(const mutinf__km_data *X, int64_t a, int64_t b)
{
    int64_t d = X->d;
    for (int64_t f = 0; f < d; f++) {
        double x = X->x64 != NULL ? X->x64[a * d + f] : (double)X->x32[a * d + f];
        double y = X->x64 != NULL ? X->x64[b * d + f] : (double)X->x32[b * d + f];
        if (x != y) return 0;
    }
    return 1;
}

/* Open addressing table of row indices, capacity a power of two >= 2 limit. */
typedef struct row_set {
    int64_t *slot;
    uint64_t mask;
} row_set;

static int64_t row_set_find_or_add(row_set *s, const mutinf__km_data *X, int64_t i, int add)
{
    uint64_t h = hash_row(X, i) & s->mask;
    for (;;) {
        int64_t r = s->slot[h];
        if (r < 0) {
            if (add) s->slot[h] = i;
            return -1;
        }
        if (rows_equal(X, r, i)) return r;
        h = (h + 1) & s->mask;
    }
}

mutinf_status mutinf__km_distinct(const mutinf__km_data *X, int64_t limit, int64_t *count,
                                  int64_t *first)
{
    uint64_t cap = 4;
    while (cap < 2 * (uint64_t)limit)
        cap *= 2;
    row_set s = {mutinf__alloc(cap, sizeof(int64_t), 0, "k-means distinct rows"), cap - 1};
    if (s.slot == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    for (uint64_t q = 0; q < cap; q++)
        s.slot[q] = -1;
    int64_t c = 0;
    for (int64_t i = 0; i < X->n && c < limit; i++)
        if (row_set_find_or_add(&s, X, i, 1) < 0) first[c++] = i;
    *count = c;
    mutinf__free(s.slot);
    return MUTINF_OK;
}

/* Fewer than k distinct rows: the distinct rows (in order of first
 * appearance) are the centroids, the rest repeat them, every point is
 * labelled with its own row's centroid, and the inertia is 0. */
static mutinf_status fit_degenerate(const mutinf__km_data *X, int64_t k, int64_t m,
                                    const int64_t *first, double *centers, int32_t *labels)
{
    int64_t d = X->d;
    uint64_t cap = 4;
    while (cap < 2 * (uint64_t)m)
        cap *= 2;
    row_set s = {mutinf__alloc(cap, sizeof(int64_t), 0, "k-means distinct rows"), cap - 1};
    int32_t *lab_of = mutinf__alloc((size_t)X->n, sizeof(int32_t), 0, "k-means labels");
    if (s.slot == NULL || lab_of == NULL) {
        mutinf__free(s.slot);
        mutinf__free(lab_of);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    for (uint64_t q = 0; q < cap; q++)
        s.slot[q] = -1;
    for (int64_t j = 0; j < m; j++) {
        (void)row_set_find_or_add(&s, X, first[j], 1);
        lab_of[first[j]] = (int32_t)j;
        mutinf__km_row(X, first[j], centers + j * d);
    }
    for (int64_t j = m; j < k; j++)
        memcpy(centers + j * d, centers + (j % m) * d, (size_t)d * sizeof(double));
    for (int64_t i = 0; i < X->n; i++)
        labels[i] = lab_of[row_set_find_or_add(&s, X, i, 0)];
    mutinf__free(s.slot);
    mutinf__free(lab_of);
    return MUTINF_OK;
}

/* Mean over features of the population variance of each feature: two
 * passes over the rows (mean, then squared deviations), row by row so that
 * the data stream through the cache once per pass. */
static mutinf_status mean_variance(const mutinf__km_data *X, double *out)
{
    int64_t n = X->n, d = X->d;
    double *acc = mutinf__alloc((size_t)(2 * d), sizeof(double), 1, "k-means variances");
    if (acc == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    double *mean = acc, *sq = acc + d;
    for (int64_t i = 0; i < n; i++)
        for (int64_t f = 0; f < d; f++)
            mean[f] += X->x64 != NULL ? X->x64[i * d + f] : (double)X->x32[i * d + f];
    for (int64_t f = 0; f < d; f++)
        mean[f] /= (double)n;
    for (int64_t i = 0; i < n; i++)
        for (int64_t f = 0; f < d; f++) {
            double t = (X->x64 != NULL ? X->x64[i * d + f] : (double)X->x32[i * d + f]) - mean[f];
            sq[f] += t * t;
        }
    double total = 0.0;
    for (int64_t f = 0; f < d; f++)
        total += sq[f] / (double)n;
    *out = total / (double)d;
    mutinf__free(acc);
    return MUTINF_OK;
}

/* ---- fit ------------------------------------------------------------------- */

static mutinf_status run_lloyd(const mutinf_kmeans *km, const mutinf__km_data *X, int64_t k,
                               int32_t threads, double *centers, int32_t *labels, double *inertia,
                               int32_t *n_iter, int32_t *converged)
{
    mutinf__km_plan plan;
    mutinf__km_make_plan(&plan, X->n, X->d, k, threads);
    mutinf__km_work w;
    mutinf_status st = mutinf__km_work_alloc(&w, &plan, X, k);
    if (st != MUTINF_OK) return st;
    /* Hamerly's bounds give Lloyd's results exactly only with the direct
     * (exact difference) distances.  AUTO keeps plain Lloyd, as documented;
     * on unclustered data (standardised activations, k = 16, d = 8) 20-35 %
     * of the points fail their bounds on average, and the fits with bounded
     * passes measured about twice as fast per module as the plain ones on
     * the k-means quantizer's units (n = 100000; exact sums on its grid),
     * which asks for them. */
    int32_t bounded =
        plan.mode == MUTINF__KM_DIRECT && km->algorithm == MUTINF_KMEANS_ALGORITHM_HAMERLY;
    int64_t kd = k * X->d;
    int32_t runs = km->init == MUTINF_KMEANS_INIT_GIVEN ? 1 : km->n_init;
    double *trial = mutinf__alloc((size_t)kd, sizeof(double), 0, "k-means restart centroids");
    int32_t *trial_labels =
        runs > 1 ? mutinf__alloc((size_t)X->n, sizeof(int32_t), 0, "k-means restart labels")
                 : labels;
    if (trial == NULL || trial_labels == NULL) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    double tol_abs = 0.0;
    if (km->tol > 0.0) {
        st = mean_variance(X, &tol_abs);
        if (st != MUTINF_OK) goto done;
        tol_abs *= km->tol;
    }
    mutinf__km_progress prog = {km->progress, km->payload, 0,
                                (int64_t)runs * (int64_t)km->max_iter};
    double best = INFINITY;
    for (int32_t r = 0; r < runs; r++) {
        if (km->init == MUTINF_KMEANS_INIT_GIVEN)
            memcpy(trial, km->given, (size_t)kd * sizeof(double));
        else if (km->init == MUTINF_KMEANS_INIT_RANDOM)
            st = mutinf__km_init_random(X, k, km->seed, (uint64_t)r, trial);
        else
            st = mutinf__km_init_plusplus(X, &plan, k, km->seed, (uint64_t)r, trial);
        if (st != MUTINF_OK) goto done;
        double in;
        int32_t it, conv;
        st = mutinf__km_lloyd(X, &plan, &w, k, bounded, km->max_iter, tol_abs, trial, trial_labels,
                              &in, &it, &conv, &prog);
        if (st != MUTINF_OK) goto done;
        if (in < best) {
            best = in;
            memcpy(centers, trial, (size_t)kd * sizeof(double));
            if (trial_labels != labels)
                memcpy(labels, trial_labels, (size_t)X->n * sizeof(int32_t));
            *inertia = in;
            *n_iter = it;
            *converged = conv;
        }
    }
done:
    mutinf__free(trial);
    if (trial_labels != labels) mutinf__free(trial_labels);
    mutinf__km_work_free(&w);
    return st;
}

static mutinf_status fit_common(mutinf_kmeans *km, const void *data, int32_t is_f32, int64_t n,
                                int64_t d, int64_t rs, int64_t cs, int32_t *labels_out)
{
    const char *fn = is_f32 ? "mutinf_kmeans_fit_f32" : "mutinf_kmeans_fit";
    MUTINF_CHECK_NULL(km, fn);
    if (data == NULL)
        return mutinf__fail(MUTINF_ERR_NULL_ARGUMENT, "%s: argument 'data' is NULL", fn);
    if (n < 1 || d < 1)
        return mutinf__fail(MUTINF_ERR_DIMENSION_MISMATCH, "%s: n = %lld, d = %lld, must be >= 1",
                            fn, (long long)n, (long long)d);
    int64_t k = km->k;
    if (km->init == MUTINF_KMEANS_INIT_GIVEN) {
        if (km->given == NULL)
            return mutinf__fail(MUTINF_ERR_INVALID_STATE,
                                "%s: init is MUTINF_KMEANS_INIT_GIVEN but no centroids were set "
                                "with mutinf_kmeans_set_init_centroids",
                                fn);
        if (km->given_k != k || km->given_d != d)
            return mutinf__fail(MUTINF_ERR_DIMENSION_MISMATCH,
                                "%s: the initial centroids are %lld x %lld but k = %lld, d = %lld",
                                fn, (long long)km->given_k, (long long)km->given_d, (long long)k,
                                (long long)d);
    }
    if (k > n)
        return mutinf__fail(MUTINF_ERR_INVALID_ARGUMENT, "%s: k = %lld > n = %lld points", fn,
                            (long long)k, (long long)n);
    int64_t kd;
    if (mutinf__mul_i64(k, d, &kd))
        return mutinf__fail(MUTINF_ERR_SIZE_OVERFLOW, "%s: k * d overflows", fn);
    mutinf__km_data X;
    void *owned = NULL;
    mutinf_status st = prepare_data(fn, data, is_f32, n, d, rs, cs, &X, &owned);
    if (st != MUTINF_OK) return st;

    int32_t threads = (int32_t)mutinf__resolve_threads(km->threads);
    double *centers = mutinf__alloc((size_t)kd, sizeof(double), 0, "k-means centroids");
    int32_t *labels = mutinf__alloc((size_t)n, sizeof(int32_t), 0, "k-means labels");
    int64_t *first = mutinf__alloc((size_t)k, sizeof(int64_t), 0, "k-means distinct rows");
    double inertia = 0.0;
    int32_t n_iter = 0, converged = 1, degenerate = 0;
    if (centers == NULL || labels == NULL || first == NULL) {
        st = MUTINF_ERR_OUT_OF_MEMORY;
        goto done;
    }
    int64_t distinct;
    st = mutinf__km_distinct(&X, k, &distinct, first);
    if (st != MUTINF_OK) goto done;
    if (distinct < k) {
        degenerate = 1;
        st = fit_degenerate(&X, k, distinct, first, centers, labels);
    } else if (d == 1 && km->algorithm == MUTINF_KMEANS_ALGORITHM_AUTO) {
        mutinf__km_progress prog = {km->progress, km->payload, 0, k};
        st = mutinf__km_exact_1d(&X, k, threads, &prog, centers, labels, &inertia);
    } else {
        st = run_lloyd(km, &X, k, threads, centers, labels, &inertia, &n_iter, &converged);
    }
    if (st != MUTINF_OK) goto done;
    /* Commit: nothing below can fail. */
    mutinf__free(km->centroids);
    km->centroids = centers;
    centers = NULL;
    km->fitted = 1;
    km->fit_k = k;
    km->fit_d = d;
    km->inertia = inertia;
    km->n_iter = n_iter;
    km->converged = converged;
    km->degenerate = degenerate;
    if (labels_out != NULL) memcpy(labels_out, labels, (size_t)n * sizeof(int32_t));
done:
    mutinf__free(centers);
    mutinf__free(labels);
    mutinf__free(first);
    mutinf__free(owned);
    return st;
}

mutinf_status mutinf_kmeans_fit(mutinf_kmeans *km, const double *data, int64_t n, int64_t d,
                                int64_t row_stride, int64_t col_stride, int32_t *labels_out)
{
    return fit_common(km, data, 0, n, d, row_stride, col_stride, labels_out);
}

mutinf_status mutinf_kmeans_fit_f32(mutinf_kmeans *km, const float *data, int64_t n, int64_t d,
                                    int64_t row_stride, int64_t col_stride, int32_t *labels_out)
{
    return fit_common(km, data, 1, n, d, row_stride, col_stride, labels_out);
}

/* ---- predict ----------------------------------------------------------------- */

static mutinf_status predict_common(const mutinf_kmeans *km, const void *data, int32_t is_f32,
                                    int64_t n, int64_t d, int64_t rs, int64_t cs,
                                    int32_t *labels_out)
{
    const char *fn = is_f32 ? "mutinf_kmeans_predict_f32" : "mutinf_kmeans_predict";
    mutinf_status st = check_fitted(km, fn);
    if (st != MUTINF_OK) return st;
    if (data == NULL)
        return mutinf__fail(MUTINF_ERR_NULL_ARGUMENT, "%s: argument 'data' is NULL", fn);
    MUTINF_CHECK_NULL(labels_out, fn);
    if (n < 1 || d != km->fit_d)
        return mutinf__fail(MUTINF_ERR_DIMENSION_MISMATCH,
                            "%s: n = %lld, d = %lld but the fit has d = %lld (n must be >= 1)", fn,
                            (long long)n, (long long)d, (long long)km->fit_d);
    mutinf__km_data X;
    void *owned = NULL;
    st = prepare_data(fn, data, is_f32, n, d, rs, cs, &X, &owned);
    if (st != MUTINF_OK) return st;
    int64_t k = km->fit_k;
    mutinf__km_plan plan;
    mutinf__km_make_plan(&plan, n, d, k, (int32_t)mutinf__resolve_threads(km->threads));
    mutinf__km_work w;
    int32_t *labels = mutinf__alloc((size_t)n, sizeof(int32_t), 0, "k-means labels");
    if (labels == NULL) {
        mutinf__free(owned);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    st = mutinf__km_work_alloc(&w, &plan, &X, k);
    if (st == MUTINF_OK) {
        memset(labels, 0xFF, (size_t)n * sizeof(int32_t));
        st = mutinf__km_assign(&X, &plan, &w, k, km->centroids, labels, NULL, NULL, NULL);
        mutinf__km_work_free(&w);
    }
    if (st == MUTINF_OK) memcpy(labels_out, labels, (size_t)n * sizeof(int32_t));
    mutinf__free(labels);
    mutinf__free(owned);
    return st;
}

mutinf_status mutinf_kmeans_predict(const mutinf_kmeans *km, const double *data, int64_t n,
                                    int64_t d, int64_t row_stride, int64_t col_stride,
                                    int32_t *labels_out)
{
    return predict_common(km, data, 0, n, d, row_stride, col_stride, labels_out);
}

mutinf_status mutinf_kmeans_predict_f32(const mutinf_kmeans *km, const float *data, int64_t n,
                                        int64_t d, int64_t row_stride, int64_t col_stride,
                                        int32_t *labels_out)
{
    return predict_common(km, data, 1, n, d, row_stride, col_stride, labels_out);
}
