/* Sparse counting, discrete entropies, MI, TC and the permutation null,
 * against hand-computed values and a brute-force sort-based reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "copula.h"
#include "discrete.h"
#include "mutinf/mutinf.h"
#include "testutil.h"

/* ---- brute-force reference: sort rows of the selected columns --------- */

static int64_t ref_cols[8], ref_ncols, ref_K;
static const int32_t *ref_sym;

static int cmp_rows(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    for (int64_t c = 0; c < ref_ncols; c++) {
        int32_t x = ref_sym[a * ref_K + ref_cols[c]], y = ref_sym[b * ref_K + ref_cols[c]];
        if (x != y) return x < y ? -1 : 1;
    }
    return 0;
}

/* Plug-in entropy (and cell count) of the selected columns, long double. */
static double ref_entropy(const int32_t *sym, int64_t n, int64_t K, const int64_t *cols,
                          int64_t ncols, int mm, int64_t *cells_out)
{
    ref_sym = sym;
    ref_K = K;
    ref_ncols = ncols;
    memcpy(ref_cols, cols, (size_t)ncols * sizeof *cols);
    int64_t *idx = malloc((size_t)n * sizeof *idx);
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    qsort(idx, (size_t)n, sizeof *idx, cmp_rows);
    long double s = 0;
    int64_t cells = 0;
    for (int64_t a = 0; a < n;) {
        int64_t b = a;
        while (b < n && cmp_rows(&idx[a], &idx[b]) == 0)
            b++;
        long double c = (long double)(b - a);
        s += c * logl(c);
        cells++;
        a = b;
    }
    free(idx);
    if (cells_out) *cells_out = cells;
    long double h = logl((long double)n) - s / (long double)n;
    if (mm) h += (long double)(cells - 1) / (2.0L * (long double)n);
    return (double)h;
}

static void random_symbols(int32_t *sym, int64_t n, int64_t K, const int32_t *card, uint64_t seed)
{
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < K; k++) {
            int32_t v = (int32_t)(test_rand_u64(&s) % (uint64_t)card[k]);
            /* dependence: module k copies module k-1 a third of the time */
            if (k > 0 && test_rand_u64(&s) % 3 == 0) v = sym[i * K + k - 1] % card[k];
            sym[i * K + k] = v;
        }
    for (int64_t i = 0; i < n * K; i++)
        sym[i] = sym[i] * 7919 - 100000; /* arbitrary (negative) symbol values */
}

/* ---- tests ---------------------------------------------------------- */

static void test_entropy_counts(void **state)
{
    (void)state;
    const int64_t c[3] = {1, 1, 2};
    assert_close(mutinf__entropy_counts(c, 3, 4, 0), 1.5 * M_LN2, 1e-15, 0);
    assert_close(mutinf__entropy_counts(c, 3, 4, 1), 1.5 * M_LN2 + 2.0 / 8.0, 1e-15, 0);
    const int64_t one[1] = {9};
    assert_close(mutinf__entropy_counts(one, 1, 9, 1), 0.0, 0, 1e-15);
}

static void test_dense_ids(void **state)
{
    (void)state;
    mutinf__dtable t;
    assert_status(mutinf__dtable_init(&t, 6), MUTINF_OK);
    const uint64_t keys[6] = {5, 3, 5, UINT64_MAX - 1, 3, 5};
    memcpy(t.keys, keys, sizeof keys);
    int32_t ids[6];
    assert_int_equal(mutinf__dtable_dense(&t, ids), 3);
    const int32_t want[6] = {0, 1, 0, 2, 1, 0};
    assert_memory_equal(ids, want, sizeof want);
    assert_int_equal(t.counts[0], 3);
    assert_int_equal(t.counts[1], 2);
    assert_int_equal(t.counts[2], 1);
    mutinf__dtable_free(&t);

    /* Many keys colliding in the low bits: counts against a sort. */
    const int64_t n = 5000;
    assert_status(mutinf__dtable_init(&t, n), MUTINF_OK);
    int32_t *id = malloc((size_t)n * sizeof *id);
    uint64_t s = 3;
    for (int64_t i = 0; i < n; i++)
        t.keys[i] = (test_rand_u64(&s) % 700) << 40;
    int64_t distinct = mutinf__dtable_dense(&t, id);
    int64_t total = 0;
    for (int64_t c = 0; c < distinct; c++)
        total += t.counts[c];
    assert_int_equal(total, n);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = i + 1; j < i + 50 && j < n; j++)
            assert_int_equal(id[i] == id[j], t.keys[i] == t.keys[j]);
    assert_true(distinct <= 700 && distinct > 600);
    free(id);
    mutinf__dtable_free(&t);
}

static void test_closed_forms(void **state)
{
    (void)state;
    /* X, Y independent and uniform on {0,1} in a balanced design, Z = X xor Y:
     * every pair independent, TC = 3 ln 2 - 2 ln 2 = ln 2. */
    const int64_t n = 400, K = 3;
    int32_t sym[400 * 3];
    for (int64_t i = 0; i < n; i++) {
        int32_t x = (int32_t)(i % 2), y = (int32_t)((i / 2) % 2);
        sym[i * K + 0] = x;
        sym[i * K + 1] = y;
        sym[i * K + 2] = x ^ y;
    }
    double pw[9];
    mutinf__discrete_result r;
    assert_status(mutinf__discrete_tc(sym, n, K, 0, 0, 0, 1, NULL, pw, &r), MUTINF_OK);
    assert_close(r.tc, M_LN2, 1e-14, 0);
    assert_int_equal(r.occupied, 4);
    assert_true(isnan(r.p_value) && isnan(r.null_mean));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            assert_close(pw[i * 3 + j], i == j ? M_LN2 : 0.0, 0, 1e-14);

    /* A copy: MI = H. */
    for (int64_t i = 0; i < n; i++) {
        sym[i * K + 0] = (int32_t)(i % 5);
        sym[i * K + 1] = (int32_t)(i % 5) * 3;
        sym[i * K + 2] = 0;
    }
    assert_status(mutinf__discrete_tc(sym, n, K, 0, 0, 0, 2, NULL, pw, &r), MUTINF_OK);
    assert_close(pw[1], log(5.0), 1e-14, 0);
    assert_close(pw[0], log(5.0), 1e-14, 0);
    assert_close(pw[8], 0.0, 0, 1e-15);
    assert_close(r.tc, log(5.0), 1e-14, 0);
}

static void test_against_reference(void **state)
{
    (void)state;
    const int64_t n = 3000, K = 5;
    const int32_t card[5] = {3, 7, 2, 40, 11};
    int32_t *sym = malloc((size_t)(n * K) * sizeof *sym);
    random_symbols(sym, n, K, card, 17);
    for (int mm = 0; mm < 2; mm++) {
        double pw[25];
        mutinf__discrete_result r;
        assert_status(mutinf__discrete_tc(sym, n, K, mm, 0, 0, 2, NULL, pw, &r), MUTINF_OK);
        double h[5], sum = 0;
        for (int64_t k = 0; k < K; k++) {
            h[k] = ref_entropy(sym, n, K, &k, 1, mm, NULL);
            sum += h[k];
            assert_close(pw[k * K + k], h[k], 1e-12, 1e-14);
        }
        const int64_t all[5] = {0, 1, 2, 3, 4};
        int64_t cells;
        double hj = ref_entropy(sym, n, K, all, 5, mm, &cells);
        assert_close(r.tc, sum - hj, 1e-12, 1e-13);
        assert_int_equal(r.occupied, cells);
        for (int64_t a = 0; a < K; a++)
            for (int64_t b = a + 1; b < K; b++) {
                const int64_t cols[2] = {a, b};
                double hab = ref_entropy(sym, n, K, cols, 2, mm, NULL);
                assert_close(pw[a * K + b], h[a] + h[b] - hab, 1e-12, 1e-13);
                assert_true(pw[a * K + b] == pw[b * K + a]);
            }
    }
    free(sym);
}

static void test_permutation_null(void **state)
{
    (void)state;
    const int64_t n = 2000, K = 3, P = test_quick() ? 40 : 200;
    const int32_t card[3] = {4, 4, 4};
    int32_t *sym = malloc((size_t)(n * K) * sizeof *sym);
    random_symbols(sym, n, K, card, 5);
    mutinf__discrete_result r1, r2, r3;
    assert_status(mutinf__discrete_tc(sym, n, K, 0, P, 42, 1, NULL, NULL, &r1), MUTINF_OK);
    assert_status(mutinf__discrete_tc(sym, n, K, 0, P, 42, 2, NULL, NULL, &r2), MUTINF_OK);
    assert_status(mutinf__discrete_tc(sym, n, K, 0, P, 42, 3, NULL, NULL, &r3), MUTINF_OK);
    assert_memory_equal(&r1, &r2, sizeof r1);
    assert_memory_equal(&r1, &r3, sizeof r1);
    /* dependent data: no permutation reaches the observed TC */
    assert_close(r1.p_value, 1.0 / (double)(P + 1), 1e-15, 0);
    /* the null mean is the plug-in bias: about (cells - sum(c_k - 1) - 1) / (2n) */
    double bias = (64.0 - 3 * 3 - 1) / (2.0 * (double)n);
    assert_close(r1.null_mean, bias, 0.25, 0);

    /* independent data: p-value not small, and the seed matters */
    uint64_t s = 9;
    for (int64_t i = 0; i < n * K; i++)
        sym[i] = (int32_t)(test_rand_u64(&s) % 4);
    assert_status(mutinf__discrete_tc(sym, n, K, 0, P, 1, 2, NULL, NULL, &r1), MUTINF_OK);
    assert_status(mutinf__discrete_tc(sym, n, K, 0, P, 2, 2, NULL, NULL, &r2), MUTINF_OK);
    assert_true(r1.p_value > 0.01);
    assert_true(r1.null_mean != r2.null_mean);
    assert_close(r1.null_mean, bias, 0.25, 0);
    free(sym);
}

/* The radix argsort behind the ranks: ascending, stable, -0.0 == +0.0. */
static void test_sort_column(void **state)
{
    (void)state;
    const int64_t n = 3000;
    double *x = malloc((size_t)(2 * n) * sizeof *x);
    uint64_t s = 12;
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = test_rand_u64(&s);
        double v;
        switch (r % 6) {
        case 0:
            v = (double)(r % 7) - 3.0;
            break; /* many ties */
        case 1:
            v = (r & 64) ? -0.0 : 0.0;
            break; /* signed zeros */
        case 2:
            v = ldexp(test_rand_uniform(&s), -1070);
            break; /* subnormals */
        case 3:
            v = -1e300 * test_rand_uniform(&s);
            break;
        default:
            v = test_rand_normal(&s);
            break;
        }
        x[2 * i] = v; /* a strided column (unit 0 of an n x 2 view) */
        x[2 * i + 1] = 0.0;
    }
    mutinf__view v;
    const int64_t dims[2] = {n, 2}, strides[2] = {2, 1};
    assert_status(mutinf__view_init(&v, "t", "x", x, 0, 2, dims, strides), MUTINF_OK);
    void *work = malloc(mutinf__sort_work_bytes(n));
    double *val = malloc((size_t)n * sizeof *val);
    int64_t *order = malloc((size_t)n * sizeof *order);
    mutinf__sort_column(&v, 0, work, val, order);
    char *seen = calloc((size_t)n, 1);
    for (int64_t r = 0; r < n; r++) {
        assert_true(order[r] >= 0 && order[r] < n && !seen[order[r]]);
        seen[order[r]] = 1;
        assert_true(val[r] == x[2 * order[r]]);
        if (r > 0) {
            assert_true(val[r - 1] <= val[r]);
            if (val[r - 1] == val[r]) assert_true(order[r - 1] < order[r]); /* stable */
        }
    }
    free(seen);
    free(order);
    free(val);
    free(work);
    free(x);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    const int64_t n = 100, K = 3;
    const int32_t card[3] = {2, 3, 4};
    int32_t sym[300];
    random_symbols(sym, n, K, card, 8);
    mutinf_status st = MUTINF_ERR_OUT_OF_MEMORY;
    for (long k = 0; st == MUTINF_ERR_OUT_OF_MEMORY; k++) {
        assert_true(k < 100);
        double pw[9];
        mutinf__discrete_result r;
        mutinf__alloc_fail_after(k);
        st = mutinf__discrete_tc(sym, n, K, 1, 5, 0, 2, NULL, pw, &r);
        mutinf__alloc_fail_after(-1);
    }
    assert_status(st, MUTINF_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entropy_counts),   cmocka_unit_test(test_dense_ids),
        cmocka_unit_test(test_closed_forms),     cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_permutation_null), cmocka_unit_test(test_sort_column),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
