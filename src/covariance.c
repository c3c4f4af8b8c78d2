/* Sample covariance: the Gram kernel, or chunked and direct dsyrk.  See
 * covariance.h for the paths. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "covariance.h"
#include "error.h"
#include "linalg.h"

/* A chunk of about 1M doubles (8 MB) keeps dsyrk near its peak (k large)
 * while the packed block stays a small fraction of the data. */
#define CHUNK_DOUBLES  (1 << 20)
#define CHUNK_MIN_ROWS 256
/* Largest mean^2 / variance for which the direct (uncentred) path is used. */
#define DIRECT_MAX_RATIO 1e3
/* Most units for the Gram kernel.  Beyond, OpenBLAS's dsyrk blocks the
 * triangle better (measured on 2 cores, 100k-sample-scale inputs: the kernel
 * 1.1x dsyrk's speed at 1024 units, 0.95x at 2048 and 0.8x at 4096). */
#define GRAM_MAX_UNITS 1024
/* Rows whose mean shifts the data of the Gram path. */
#define SHIFT_ROWS 1024

/* B[j + r*m] = x[r0 + r, units[j]] - shift[j], r < rows: one sample per
 * column of B, so rows of a row-major input are read contiguously. */
static void pack_rows(const mutinf__view *v, const int64_t *units, int64_t m, int64_t r0,
                      int64_t rows, const double *shift, double *B, int threads)
{
    const int64_t rs = v->stride[0], cs = v->stride[1];
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && rows * m > 65536)
    for (int64_t r = 0; r < rows; r++) {
        double *dst = B + r * m;
        int64_t base = (r0 + r) * rs;
        if (v->is_f32) {
            const float *src = (const float *)v->data + base;
            for (int64_t j = 0; j < m; j++)
                dst[j] = (double)src[units[j] * cs] - shift[j];
        } else {
            const double *src = (const double *)v->data + base;
            for (int64_t j = 0; j < m; j++)
                dst[j] = src[units[j] * cs] - shift[j];
        }
    }
}

/* C (lower) holds sum (x - s)(x - s)^T over n rows, sum_shifted the column
 * sums of x - s: turn them into the unbiased covariance, full symmetric. */
static void finish(int64_t m, int64_t n, const double *shift, const double *sum_shifted, double *C,
                   double *mean_out)
{
    double dn = (double)n;
    for (int64_t j = 0; j < m; j++) {
        double dj = sum_shifted[j] / dn;
        for (int64_t i = j; i < m; i++) {
            double di = sum_shifted[i] / dn;
            C[i + j * m] = (C[i + j * m] - dn * di * dj) / (dn - 1.0);
        }
    }
    mutinf__symmetrize_lower(m, C, m);
    if (mean_out != NULL)
        for (int64_t j = 0; j < m; j++)
            mean_out[j] = shift[j] + sum_shifted[j] / dn;
}

mutinf_status mutinf__covariance_chunked(const mutinf__view *v, const int64_t *units, int64_t m,
                                         int threads, int64_t chunk, double *C, double *mean_out)
{
    const int64_t n = v->dim[0];
    if (chunk > n) chunk = n;
    /* Packing alternates with dsyrk chunk after chunk.  With a threaded
     * BLAS, OpenMP threads that spin after each packing region compete with
     * the BLAS threads for the cores (measured: twice slower on 2 cores), so
     * the packing then stays on the calling thread. */
    if (!mutinf__blas_is_sequential()) threads = 1;
    double *B =
        mutinf__alloc((size_t)m * (size_t)chunk + 2 * (size_t)m, sizeof *B, 0, "covariance chunk");
    if (B == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    double *shift = B + m * chunk, *sum = shift + m;

    /* Shift by the mean of the first chunk: the accumulated co-moment is then
     * that of nearly centred data, free of cancellation. */
    memset(shift, 0, (size_t)m * sizeof *shift);
    pack_rows(v, units, m, 0, chunk, shift, B, threads);
    for (int64_t j = 0; j < m; j++)
        sum[j] = 0.0;
    for (int64_t r = 0; r < chunk; r++)
        for (int64_t j = 0; j < m; j++)
            sum[j] += B[j + r * m];
    for (int64_t j = 0; j < m; j++) {
        shift[j] = sum[j] / (double)chunk;
        sum[j] = 0.0;
    }

    mutinf_status st = MUTINF_OK;
    for (int64_t r0 = 0; r0 < n && st == MUTINF_OK; r0 += chunk) {
        int64_t rows = n - r0 < chunk ? n - r0 : chunk;
        pack_rows(v, units, m, r0, rows, shift, B, threads);
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < m; j++)
                sum[j] += B[j + r * m];
        st = mutinf__syrk('N', m, rows, 1.0, B, m, r0 == 0 ? 0.0 : 1.0, C, m);
    }
    if (st == MUTINF_OK) finish(m, n, shift, sum, C, mean_out);
    mutinf__free(B);
    return st;
}

/* Column sums of the selected double columns, in fixed row blocks combined
 * in block order (independent of the thread count). */
static mutinf_status column_sums(const mutinf__view *v, int64_t u0, int64_t m, int threads,
                                 double *sum)
{
    const int64_t n = v->dim[0], rs = v->stride[0], cs = v->stride[1];
    const double *x = (const double *)v->data;
    const int64_t block = 4096;
    int64_t nb = (n + block - 1) / block;
    double *part = mutinf__alloc((size_t)nb * (size_t)m, sizeof *part, 1, "column sums");
    if (part == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && nb > 1)
    for (int64_t b = 0; b < nb; b++) {
        double *p = part + b * m;
        int64_t end = (b + 1) * block < n ? (b + 1) * block : n;
        if (cs == 1) {
            for (int64_t i = b * block; i < end; i++) {
                const double *row = x + i * rs + u0;
                for (int64_t j = 0; j < m; j++)
                    p[j] += row[j];
            }
        } else {
            for (int64_t j = 0; j < m; j++) {
                const double *col = x + (u0 + j) * cs;
                double s = 0.0;
                for (int64_t i = b * block; i < end; i++)
                    s += col[i * rs];
                p[j] = s;
            }
        }
    }
    for (int64_t j = 0; j < m; j++)
        sum[j] = 0.0;
    for (int64_t b = 0; b < nb; b++)
        for (int64_t j = 0; j < m; j++)
            sum[j] += part[b * m + j];
    mutinf__free(part);
    return MUTINF_OK;
}

/* shift[j] = the mean of column units[j] over the first SHIFT_ROWS rows (or
 * all n), rows outermost so that a row-major input is read row by row. */
static void first_rows_mean(const mutinf__view *v, const int64_t *units, int64_t m, double *shift)
{
    const int64_t rows = v->dim[0] < SHIFT_ROWS ? v->dim[0] : SHIFT_ROWS;
    for (int64_t j = 0; j < m; j++)
        shift[j] = 0.0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < m; j++)
            shift[j] += mutinf__view_at2(v, r, units[j]);
    for (int64_t j = 0; j < m; j++)
        shift[j] /= (double)rows;
}

mutinf_status mutinf__covariance_gram(const mutinf__view *v, const int64_t *units, int64_t m,
                                      int threads, int64_t chunk, double *C, double *mean_out)
{
    if (!mutinf__gram_available()) return MUTINF_ERR_UNSUPPORTED;
    double *shift = mutinf__alloc(2 * (size_t)m, sizeof *shift, 0, "covariance shift");
    if (shift == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    double *sum = shift + m;
    /* A provisional shift near the means: the accumulated co-moment is that
     * of nearly centred data, free of cancellation, and the Gram pass sums
     * the shifted columns for the exact correction in finish(). */
    first_rows_mean(v, units, m, shift);
    mutinf_status st = mutinf__gram(v, units, m, shift, threads, chunk, C, sum);
    if (st == MUTINF_OK) finish(m, v->dim[0], shift, sum, C, mean_out);
    mutinf__free(shift);
    return st;
}

mutinf_status mutinf__covariance(const mutinf__view *v, const int64_t *units, int64_t m,
                                 int threads, double *C, double *mean_out)
{
    if (m <= GRAM_MAX_UNITS && mutinf__gram_available())
        return mutinf__covariance_gram(v, units, m, threads, 0, C, mean_out);
    return mutinf__covariance_blas(v, units, m, threads, C, mean_out);
}

mutinf_status mutinf__covariance_blas(const mutinf__view *v, const int64_t *units, int64_t m,
                                      int threads, double *C, double *mean_out)
{
    const int64_t n = v->dim[0], rs = v->stride[0], cs = v->stride[1];
    int64_t chunk = CHUNK_DOUBLES / (m > 0 ? m : 1);
    if (chunk < CHUNK_MIN_ROWS) chunk = CHUNK_MIN_ROWS;

    int consecutive = 1;
    for (int64_t j = 1; j < m && consecutive; j++)
        consecutive = units[j] == units[0] + j;
    /* X as a BLAS matrix: row-major rows (cs == 1) are the columns of an
     * m x n column-major matrix with ld = rs; column-major data (rs == 1) is
     * an n x m matrix with ld = cs. */
    int row_major = cs == 1 && rs >= m, col_major = rs == 1 && cs >= n;
    /* ... within the BLAS integer range (else the chunks keep k small) */
    int fits = n <= INT32_MAX && (row_major ? rs : cs) <= INT32_MAX;
    if (v->is_f32 || !consecutive || !(row_major || col_major) || !fits)
        return mutinf__covariance_chunked(v, units, m, threads, chunk, C, mean_out);

    double *sum = mutinf__alloc((size_t)m, sizeof *sum, 0, "column sums");
    if (sum == NULL) return MUTINF_ERR_OUT_OF_MEMORY;
    mutinf_status st = column_sums(v, units[0], m, threads, sum);
    if (st == MUTINF_OK) {
        const double *A = (const double *)v->data + units[0] * cs;
        st = row_major ? mutinf__syrk('N', m, n, 1.0, A, rs, 0.0, C, m)
                       : mutinf__syrk('T', m, n, 1.0, A, cs, 0.0, C, m);
    }
    if (st != MUTINF_OK) {
        mutinf__free(sum);
        return st;
    }
    /* Cancellation guard: fall back to the shifted path when a mean
     * dominates its spread. */
    double dn = (double)n;
    for (int64_t j = 0; j < m; j++) {
        double mu = sum[j] / dn;
        double var = (C[j + j * m] - dn * mu * mu) / (dn - 1.0);
        if (!(mu * mu <= DIRECT_MAX_RATIO * var)) {
            mutinf__free(sum);
            return mutinf__covariance_chunked(v, units, m, threads, chunk, C, mean_out);
        }
    }
    double *zero = mutinf__alloc((size_t)m, sizeof *zero, 1, "covariance shift");
    if (zero == NULL) {
        mutinf__free(sum);
        return MUTINF_ERR_OUT_OF_MEMORY;
    }
    finish(m, n, zero, sum, C, mean_out);
    mutinf__free(zero);
    mutinf__free(sum);
    return MUTINF_OK;
}
