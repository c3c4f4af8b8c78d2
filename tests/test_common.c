/* Status names, the thread-local error message, and the options handle. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "mutinf/mutinf.h"
#include "testutil.h"

static void test_status_strings(void **state)
{
    (void)state;
    assert_string_equal(mutinf_status_string(MUTINF_OK), "MUTINF_OK");
    assert_string_equal(mutinf_status_string(MUTINF_ERR_NON_FINITE), "MUTINF_ERR_NON_FINITE");
    assert_string_equal(mutinf_status_string(MUTINF_ERR_BAD_MASK_VALUE),
                        "MUTINF_ERR_BAD_MASK_VALUE");
    assert_string_equal(mutinf_status_string(-1), "MUTINF_ERR_UNKNOWN");
    assert_string_equal(mutinf_status_string(100000), "MUTINF_ERR_UNKNOWN");
    /* Every code below the last has a distinct name. */
    for (int32_t a = 0; a <= MUTINF_ERR_BAD_MASK_VALUE; a++)
        for (int32_t b = a + 1; b <= MUTINF_ERR_BAD_MASK_VALUE; b++)
            assert_string_not_equal(mutinf_status_string(a), mutinf_status_string(b));
}

static void *fail_in_thread(void *arg)
{
    int *ok = arg;
    *ok = mutinf_last_error_message()[0] == '\0'; /* a new thread starts empty */
    mutinf_options_set_threads(NULL, 1);          /* sets this thread's message */
    *ok = *ok && strstr(mutinf_last_error_message(), "'options' is NULL") != NULL;
    return NULL;
}

static void test_last_error_is_thread_local(void **state)
{
    (void)state;
    mutinf_options *o = NULL;
    assert_status(mutinf_options_create(&o), MUTINF_OK);
    assert_status(mutinf_options_set_bins(o, 1), MUTINF_ERR_INVALID_ARGUMENT);
    assert_string_equal(mutinf_last_error_message(),
                        "mutinf_options_set_bins: bins = 1 but must be >= 2");
    pthread_t th;
    int ok = 0;
    assert_int_equal(pthread_create(&th, NULL, fail_in_thread, &ok), 0);
    pthread_join(th, NULL);
    assert_true(ok);
    /* The other thread's failure did not touch this thread's message. */
    assert_string_equal(mutinf_last_error_message(),
                        "mutinf_options_set_bins: bins = 1 but must be >= 2");
    /* A success leaves it as it was. */
    assert_status(mutinf_options_set_bins(o, 4), MUTINF_OK);
    assert_non_null(strstr(mutinf_last_error_message(), "bins = 1"));
    mutinf_options_destroy(o);
}

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(mutinf_version_number(), MUTINF_VERSION_NUMBER);
    assert_string_equal(mutinf_version(), MUTINF_VERSION_STRING);
}

static void test_options_defaults_and_setters(void **state)
{
    (void)state;
    mutinf_options *o = NULL;
    assert_status(mutinf_options_create(&o), MUTINF_OK);
    int32_t i = -9;
    double d = -9;
    uint64_t u = 9;
#define INT_OPT(key, def, good, bad)                                                               \
    assert_status(mutinf_options_get_##key(o, &i), MUTINF_OK);                                     \
    assert_int_equal(i, def);                                                                      \
    assert_status(mutinf_options_set_##key(o, good), MUTINF_OK);                                   \
    assert_status(mutinf_options_set_##key(o, bad), MUTINF_ERR_INVALID_ARGUMENT);                  \
    assert_status(mutinf_options_get_##key(o, &i), MUTINF_OK);                                     \
    assert_int_equal(i, good);                                                                     \
    assert_status(mutinf_options_set_##key(NULL, good), MUTINF_ERR_NULL_ARGUMENT);                 \
    assert_status(mutinf_options_get_##key(NULL, &i), MUTINF_ERR_NULL_ARGUMENT);                   \
    assert_status(mutinf_options_get_##key(o, NULL), MUTINF_ERR_NULL_ARGUMENT)
    INT_OPT(threads, 0, 3, -1);
    INT_OPT(bits, 0, 1, 2);
    INT_OPT(strict_rank, 0, 1, -1);
    INT_OPT(bias_correction, 1, 0, 7);
    INT_OPT(copula, 0, 1, 2);
    INT_OPT(quantizer, MUTINF_QUANTIZER_KMEANS, MUTINF_QUANTIZER_QUANTILE, 2);
    INT_OPT(bins, 8, 16, 1);
    INT_OPT(n_init, 1, 4, 0);
    INT_OPT(miller_madow, 0, 1, 3);
    INT_OPT(n_permutations, 0, 100, -5);
#define DBL_OPT(key, def, good, bad)                                                               \
    assert_status(mutinf_options_get_##key(o, &d), MUTINF_OK);                                     \
    assert_true(d == def);                                                                         \
    assert_status(mutinf_options_set_##key(o, good), MUTINF_OK);                                   \
    assert_status(mutinf_options_set_##key(o, bad), MUTINF_ERR_INVALID_ARGUMENT);                  \
    assert_status(mutinf_options_set_##key(o, NAN), MUTINF_ERR_INVALID_ARGUMENT);                  \
    assert_status(mutinf_options_get_##key(o, &d), MUTINF_OK);                                     \
    assert_true(d == good);                                                                        \
    assert_status(mutinf_options_set_##key(NULL, good), MUTINF_ERR_NULL_ARGUMENT);                 \
    assert_status(mutinf_options_get_##key(NULL, &d), MUTINF_ERR_NULL_ARGUMENT);                   \
    assert_status(mutinf_options_get_##key(o, NULL), MUTINF_ERR_NULL_ARGUMENT)
    DBL_OPT(rank_tol, 0.0, 1e-10, -1e-10);
    assert_status(mutinf_options_set_rank_tol(o, 1.0), MUTINF_ERR_INVALID_ARGUMENT);
    DBL_OPT(noise_var, 0.0, 0.5, -0.5);
    assert_status(mutinf_options_set_noise_var(o, INFINITY), MUTINF_ERR_INVALID_ARGUMENT);
    assert_status(mutinf_options_get_seed(o, &u), MUTINF_OK);
    assert_true(u == 0);
    assert_status(mutinf_options_set_seed(o, UINT64_MAX), MUTINF_OK);
    assert_status(mutinf_options_get_seed(o, &u), MUTINF_OK);
    assert_true(u == UINT64_MAX);
    assert_status(mutinf_options_set_seed(NULL, 1), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_options_get_seed(NULL, &u), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_options_get_seed(o, NULL), MUTINF_ERR_NULL_ARGUMENT);
    assert_status(mutinf_options_set_progress(o, NULL, NULL), MUTINF_OK);
    assert_status(mutinf_options_set_progress(NULL, NULL, NULL), MUTINF_ERR_NULL_ARGUMENT);
    mutinf_options_destroy(o);
    mutinf_options_destroy(NULL);
}

static void test_options_create_errors(void **state)
{
    (void)state;
    assert_status(mutinf_options_create(NULL), MUTINF_ERR_NULL_ARGUMENT);
    mutinf_options *o = (mutinf_options *)&o;
    mutinf__alloc_fail_after(0);
    assert_status(mutinf_options_create(&o), MUTINF_ERR_OUT_OF_MEMORY);
    mutinf__alloc_fail_after(-1);
    assert_null(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_last_error_is_thread_local),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_options_defaults_and_setters),
        cmocka_unit_test(test_options_create_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
