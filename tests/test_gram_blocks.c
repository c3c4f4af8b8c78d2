/* The Gram kernel's packing of runs of consecutive units (blocks of eight
 * panels read as one run of adjacent elements per row) and its prefetch of
 * the next chunk's rows, on the layouts that reach them: row-major double
 * and float views with positive, negative and padded row strides, blocks
 * at unaligned unit offsets, blocks followed by runs, gaps and a partial
 * panel, chunks giving one or many slabs and column ranges.  Reference: the
 * two-pass covariance and the column means in long double over the plain
 * row-major array; bit-identical results for 1, 2 and 3 threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "covariance.h"
#include "testutil.h"
#include "view.h"

/* Correlated columns with means far from zero and unequal scales, so that
 * a panel packed from the wrong units or a wrong shift shows. */
static double *block_data(int64_t n, int64_t d, uint64_t seed)
{
    double *z = malloc((size_t)(n * d) * sizeof *z), *x = malloc((size_t)(n * d) * sizeof *x);
    test_fill_normal(z, (size_t)(n * d), seed);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double s = z[i * d + j] + (j > 0 ? 0.6 * z[i * d + j - 1] : 0.0);
            x[i * d + j] = s * (1.0 + 0.05 * (double)j) + 25.0 * (double)(j % 7) - 60.0;
        }
    free(z);
    return x;
}

/* Long-double two-pass covariance (row-major m x m, divisor n - 1) and
 * means of the columns cols[0..m) of the row-major n x d array x. */
static void ref_covariance(const double *x, int64_t n, int64_t d, const int64_t *cols, int64_t m,
                           double *C, double *mean)
{
    long double *mu = calloc((size_t)m, sizeof *mu);
    for (int64_t i = 0; i < n; i++)
        for (int64_t a = 0; a < m; a++)
            mu[a] += x[i * d + cols[a]];
    for (int64_t a = 0; a < m; a++) {
        mu[a] /= (long double)n;
        mean[a] = (double)mu[a];
    }
    for (int64_t a = 0; a < m; a++)
        for (int64_t b = 0; b <= a; b++) {
            long double s = 0;
            for (int64_t i = 0; i < n; i++)
                s += (x[i * d + cols[a]] - mu[a]) * (x[i * d + cols[b]] - mu[b]);
            C[a * m + b] = C[b * m + a] = (double)(s / ((long double)n - 1));
        }
    free(mu);
}

/* The Gram covariance of `v` for 1, 2 and 3 threads and every chunk size
 * against the reference; the three results bit-identical. */
static void check_view(const mutinf__view *v, const int64_t *units, int64_t m, const double *ref,
                       const double *mref)
{
    const int64_t chunks[3] = {0, 16, 7};
    double *C = malloc(3 * (size_t)(m * m) * sizeof *C),
           *mean = malloc(3 * (size_t)m * sizeof *mean);
    for (int c = 0; c < 3; c++) {
        for (int t = 0; t < 3; t++)
            assert_status(
                mutinf__covariance_gram(v, units, m, t + 1, chunks[c], C + t * m * m, mean + t * m),
                MUTINF_OK);
        for (int64_t a = 0; a < m; a++) {
            for (int64_t b = 0; b < m; b++)
                assert_close(C[a + b * m], ref[a * m + b], 0.0,
                             1e-13 * sqrt(ref[a * m + a] * ref[b * m + b]));
            assert_close(mean[a], mref[a], 1e-14, 1e-12);
        }
        for (int t = 1; t < 3; t++) {
            assert_memory_equal(C + t * m * m, C, (size_t)(m * m) * sizeof *C);
            assert_memory_equal(mean + t * m, mean, (size_t)m * sizeof *mean);
        }
    }
    free(mean);
    free(C);
}

enum { N = 1003, D = 90, M_MAX = 80, PAD = 7 };

/* Unit lists: [0] 80 consecutive units from 0 (two blocks, four run
 * panels); [1] 80 from 5 (blocks at an odd offset); [2] 64 consecutive then
 * 9 scattered (two blocks, gathered panels, a partial one); [3] 38
 * consecutive, a gap, 36 consecutive (a block, runs, a broken panel);
 * [4] 33 consecutive in reverse order (no block: the order differs). */
static int64_t unit_lists(int64_t lists[5][M_MAX], int64_t sizes[5])
{
    sizes[0] = 80, sizes[1] = 80, sizes[2] = 73, sizes[3] = 76, sizes[4] = 33;
    for (int64_t j = 0; j < 80; j++) {
        lists[0][j] = j;
        lists[1][j] = j + 5;
    }
    for (int64_t j = 0; j < 64; j++)
        lists[2][j] = j + 3;
    const int64_t scattered[9] = {88, 70, 1, 69, 0, 89, 2, 75, 80};
    memcpy(lists[2] + 64, scattered, sizeof scattered);
    for (int64_t j = 0; j < 76; j++)
        lists[3][j] = j < 38 ? j + 1 : j + 9;
    for (int64_t j = 0; j < 33; j++)
        lists[4][j] = 60 - j;
    return 5;
}

/* Every unit list of unit_lists() through each of the nv views of the
 * row-major N x D values x, against the long-double reference on x. */
static void check_views(const mutinf__view *views, int nv, const double *x)
{
    int64_t lists[5][M_MAX], sizes[5];
    int64_t nl = unit_lists(lists, sizes);
    double *ref = malloc((size_t)(M_MAX * M_MAX) * sizeof *ref), mref[M_MAX];
    for (int64_t l = test_quick() ? 2 : 0; l < nl; l++) {
        ref_covariance(x, N, D, lists[l], sizes[l], ref, mref);
        for (int k = 0; k < nv; k++)
            check_view(&views[k], lists[l], sizes[l], ref, mref);
    }
    free(ref);
}

/* check_views() over N x D views of data[k] with strides[k] (double, or
 * float when is_f32). */
static void check_layouts(const void *const *data, int is_f32, const int64_t (*strides)[2],
                          int count, const double *ref)
{
    const int64_t dims[2] = {N, D};
    mutinf__view views[3];
    assert_true(count <= 3);
    for (int k = 0; k < count; k++)
        assert_status(mutinf__view_init(&views[k], "t", "x", data[k], is_f32, 2, dims, strides[k]),
                      MUTINF_OK);
    check_views(views, count, ref);
}

/* Row-major double views: plain, rows reversed (negative row stride) and
 * rows padded (row stride D + PAD). */
static void test_blocks_f64(void **state)
{
    (void)state;
    if (!mutinf__gram_available()) return;
    double *x = block_data(N, D, 41);
    double *xrev = malloc((size_t)(N * D) * sizeof *xrev);
    double *xpad = calloc((size_t)(N * (D + PAD)), sizeof *xpad);
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < D; j++) {
            xrev[(N - 1 - i) * D + j] = x[i * D + j];
            xpad[i * (D + PAD) + j] = x[i * D + j];
        }
    const int64_t strides[3][2] = {{D, 1}, {-D, 1}, {D + PAD, 1}};
    const void *data[3] = {x, xrev + (N - 1) * D, xpad};
    check_layouts(data, 0, strides, 3, x);
    free(xpad);
    free(xrev);
    free(x);
}

/* The same through float views (plain and rows reversed): the reference
 * runs on the float values widened to double. */
static void test_blocks_f32(void **state)
{
    (void)state;
    if (!mutinf__gram_available()) return;
    double *x = block_data(N, D, 43);
    float *xf = malloc((size_t)(N * D) * sizeof *xf),
          *xfrev = malloc((size_t)(N * D) * sizeof *xfrev);
    double *xr = malloc((size_t)(N * D) * sizeof *xr);
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < D; j++) {
            xf[i * D + j] = (float)x[i * D + j];
            xfrev[(N - 1 - i) * D + j] = xf[i * D + j];
        }
    for (int64_t i = 0; i < N * D; i++)
        xr[i] = (double)xf[i];
    const int64_t strides[2][2] = {{D, 1}, {-D, 1}};
    const void *data[2] = {xf, xfrev + (N - 1) * D};
    check_layouts(data, 1, strides, 2, xr);
    free(xr);
    free(xfrev);
    free(xf);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_f64),
        cmocka_unit_test(test_blocks_f32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
