/* Partition handle: labels, masks, contiguous; every status. */
#include <string.h>

#include "alloc.h"
#include "mutinf/mutinf.h"
#include "testutil.h"

static void expect_modules(const mutinf_partition *p, int64_t k, int64_t n, const int64_t *sizes)
{
    int64_t v = -1;
    assert_status(mutinf_partition_n_modules(p, &v), MUTINF_OK);
    assert_int_equal(v, k);
    assert_status(mutinf_partition_n_units(p, &v), MUTINF_OK);
    assert_int_equal(v, n);
    for (int64_t m = 0; m < k; m++) {
        assert_status(mutinf_partition_module_size(p, m, &v), MUTINF_OK);
        assert_int_equal(v, sizes[m]);
    }
}

static void test_from_labels(void **state)
{
    (void)state;
    const int32_t labels[] = {1, 0, -1, 1, 2, 0};
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_from_labels(labels, 6, 1, 0, &p), MUTINF_OK);
    const int64_t sizes[] = {2, 2, 1};
    expect_modules(p, 3, 6, sizes);
    int64_t units[4] = {-1, -1, -1, -1};
    assert_status(mutinf_partition_module_units(p, 1, units, 4), MUTINF_OK);
    assert_true(units[0] == 0 && units[1] == 3 && units[2] == -1);
    int32_t l = 9;
    assert_status(mutinf_partition_label(p, 2, &l), MUTINF_OK);
    assert_int_equal(l, -1);
    assert_status(mutinf_partition_label(p, 4, &l), MUTINF_OK);
    assert_int_equal(l, 2);
    mutinf_partition_destroy(p);

    /* Explicit n_modules and a strided (every other int) label array. */
    const int32_t strided[] = {0, 99, 1, 99, 1, 99};
    assert_status(mutinf_partition_create_from_labels(strided, 3, 2, 2, &p), MUTINF_OK);
    const int64_t sizes2[] = {1, 2};
    expect_modules(p, 2, 3, sizes2);
    mutinf_partition_destroy(p);
    /* Negative stride reads backwards. */
    assert_status(mutinf_partition_create_from_labels(strided + 4, 3, -2, 0, &p), MUTINF_OK);
    assert_status(mutinf_partition_label(p, 2, &l), MUTINF_OK);
    assert_int_equal(l, 0);
    mutinf_partition_destroy(p);
}

static void test_from_labels_errors(void **state)
{
    (void)state;
    const int32_t ok[] = {0, 1, 1};
    mutinf_partition *p = (mutinf_partition *)&p;
    assert_status(mutinf_partition_create_from_labels(NULL, 3, 1, 0, &p), MUTINF_ERR_NULL_ARGUMENT);
    assert_null(p);
    assert_status(mutinf_partition_create_from_labels(ok, 3, 1, 0, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_partition_create_from_labels(ok, 0, 1, 0, &p),
                  MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_partition_create_from_labels(ok, 3, 0, 0, &p),
                  MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_partition_create_from_labels(ok, 3, 1, -1, &p),
                  MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_partition_create_from_labels(ok, 3, INT64_MAX, 0, &p),
                  MUTINF_ERR_SIZE_OVERFLOW);
    const int32_t high[] = {0, 1, 1, 0, 0, 0, 0, 3};
    assert_status(mutinf_partition_create_from_labels(high, 8, 1, 3, &p),
                  MUTINF_ERR_LABEL_OUT_OF_RANGE);
    assert_string_equal(mutinf_last_error_message(),
                        "mutinf_partition_create_from_labels: labels[7] = 3 but n_modules = 3 "
                        "(labels must be -1 or in [0, n_modules))");
    const int32_t low[] = {0, -2, 1};
    assert_status(mutinf_partition_create_from_labels(low, 3, 1, 0, &p),
                  MUTINF_ERR_LABEL_OUT_OF_RANGE);
    assert_non_null(strstr(mutinf_last_error_message(), "labels[1] = -2"));
    const int32_t gap[] = {0, 2, 2};
    assert_status(mutinf_partition_create_from_labels(gap, 3, 1, 0, &p), MUTINF_ERR_EMPTY_MODULE);
    assert_non_null(strstr(mutinf_last_error_message(), "module 1"));
    assert_status(mutinf_partition_create_from_labels(ok, 3, 1, 3, &p), MUTINF_ERR_EMPTY_MODULE);
    assert_status(mutinf_partition_create_from_labels(ok, 3, 1, 5, &p), MUTINF_ERR_EMPTY_MODULE);
    const int32_t one[] = {0, 0, -1};
    assert_status(mutinf_partition_create_from_labels(one, 3, 1, 0, &p),
                  MUTINF_ERR_TOO_FEW_MODULES);
    const int32_t none[] = {-1, -1};
    assert_status(mutinf_partition_create_from_labels(none, 2, 1, 0, &p),
                  MUTINF_ERR_TOO_FEW_MODULES);
    assert_status(mutinf_partition_create_from_labels(ok, 3, 1, 1, &p),
                  MUTINF_ERR_LABEL_OUT_OF_RANGE);
    assert_null(p);
}

static void test_from_masks(void **state)
{
    (void)state;
    /* 2 modules x 5 units, as NumPy stores a bool array. */
    const uint8_t masks[] = {1, 1, 0, 0, 0, /* module 0 */
                             0, 0, 0, 1, 1 /* module 1; unit 2 in none */};
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_from_masks(masks, 2, 5, 5, 1, &p), MUTINF_OK);
    const int64_t sizes[] = {2, 2};
    expect_modules(p, 2, 5, sizes);
    int32_t l = 0;
    assert_status(mutinf_partition_label(p, 2, &l), MUTINF_OK);
    assert_int_equal(l, -1);
    mutinf_partition_destroy(p);
    /* The transpose (units x modules in memory) through strides. */
    uint8_t t[10];
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 5; i++)
            t[i * 2 + k] = masks[k * 5 + i];
    assert_status(mutinf_partition_create_from_masks(t, 2, 5, 1, 2, &p), MUTINF_OK);
    expect_modules(p, 2, 5, sizes);
    mutinf_partition_destroy(p);
}

static void test_from_masks_errors(void **state)
{
    (void)state;
    uint8_t masks[] = {1, 1, 0, 0, 0, 1};
    mutinf_partition *p = (mutinf_partition *)&p;
    assert_status(mutinf_partition_create_from_masks(NULL, 2, 3, 3, 1, &p),
                  MUTINF_ERR_NULL_ARGUMENT);
    assert_null(p);
    assert_status(mutinf_partition_create_from_masks(masks, 2, 3, 3, 1, NULL),
                  MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_partition_create_from_masks(masks, 0, 3, 3, 1, &p),
                  MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_partition_create_from_masks(masks, 2, -3, 3, 1, &p),
                  MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_partition_create_from_masks(masks, 2, 3, INT64_MAX / 2, 1, &p),
                  MUTINF_ERR_SIZE_OVERFLOW);
    assert_status(mutinf_partition_create_from_masks(masks, 1, 6, 6, 1, &p),
                  MUTINF_ERR_TOO_FEW_MODULES);
    masks[4] = 2;
    assert_status(mutinf_partition_create_from_masks(masks, 2, 3, 3, 1, &p),
                  MUTINF_ERR_BAD_MASK_VALUE);
    assert_non_null(strstr(mutinf_last_error_message(), "masks[1][1] = 2"));
    masks[4] = 0;
    masks[3] = 1; /* unit 0 in both modules */
    assert_status(mutinf_partition_create_from_masks(masks, 2, 3, 3, 1, &p),
                  MUTINF_ERR_OVERLAPPING_MODULES);
    assert_non_null(strstr(mutinf_last_error_message(), "unit 0 is in module 0 and in module 1"));
    const uint8_t empty[] = {1, 1, 0, 0, 0, 0};
    assert_status(mutinf_partition_create_from_masks(empty, 2, 3, 3, 1, &p),
                  MUTINF_ERR_EMPTY_MODULE);
    assert_null(p);
}

static void test_contiguous(void **state)
{
    (void)state;
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(7, 3, &p), MUTINF_OK);
    const int64_t sizes[] = {3, 2, 2};
    expect_modules(p, 3, 7, sizes);
    int32_t l = -5;
    assert_status(mutinf_partition_label(p, 3, &l), MUTINF_OK);
    assert_int_equal(l, 1);
    mutinf_partition_destroy(p);
    p = (mutinf_partition *)&p;
    assert_status(mutinf_partition_create_contiguous(7, 1, &p), MUTINF_ERR_TOO_FEW_MODULES);
    assert_null(p);
    assert_status(mutinf_partition_create_contiguous(2, 3, &p), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_partition_create_contiguous(INT64_MAX, (int64_t)INT32_MAX + 1, &p),
                  MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_partition_create_contiguous(7, 3, NULL), MUTINF_ERR_NULL_ARGUMENT);
}

static void test_accessor_errors_leave_outputs(void **state)
{
    (void)state;
    mutinf_partition *p = NULL;
    assert_status(mutinf_partition_create_contiguous(4, 2, &p), MUTINF_OK);
    int64_t v = 77, units[1] = {77};
    int32_t l = 77;
    assert_status(mutinf_partition_n_modules(NULL, &v), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_partition_n_modules(p, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_partition_n_units(NULL, &v), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_partition_n_units(p, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_partition_module_size(NULL, 0, &v), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_partition_module_size(p, 0, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_partition_module_size(p, 2, &v), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_partition_module_size(p, -1, &v), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_partition_module_units(NULL, 0, units, 1), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_partition_module_units(p, 0, NULL, 1), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_partition_module_units(p, 5, units, 1), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_partition_module_units(p, 0, units, 1), MUTINF_ERR_DIMENSION_MISMATCH);
    assert_status(mutinf_partition_label(NULL, 0, &l), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_partition_label(p, 0, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_partition_label(p, 4, &l), MUTINF_ERR_INVALID_ARGUMENT);
    assert_true(v == 77 && units[0] == 77 && l == 77);
    mutinf_partition_destroy(p);
    mutinf_partition_destroy(NULL);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    const int32_t labels[] = {0, 1, 1};
    const uint8_t masks[] = {1, 0, 0, 1};
    for (int which = 0; which < 3; which++)
        for (long k = 0;; k++) {
            mutinf_partition *p = (mutinf_partition *)&p;
            mutinf__alloc_fail_after(k);
            mutinf_status st = which == 0 ? mutinf_partition_create_from_labels(labels, 3, 1, 0, &p)
                               : which == 1
                                   ? mutinf_partition_create_from_masks(masks, 2, 2, 2, 1, &p)
                                   : mutinf_partition_create_contiguous(5, 2, &p);
            mutinf__alloc_fail_after(-1);
            if (st == MUTINF_OK) {
                mutinf_partition_destroy(p);
                break;
            }
            assert_status(st, MUTINF_ERR_OUT_OF_MEMORY);
            assert_null(p);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_labels),   cmocka_unit_test(test_from_labels_errors),
        cmocka_unit_test(test_from_masks),    cmocka_unit_test(test_from_masks_errors),
        cmocka_unit_test(test_contiguous),    cmocka_unit_test(test_accessor_errors_leave_outputs),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
