/* The version macros, the runtime getters (of the static library linked here
 * and of the shared library, loaded with dlopen) and CMake's project version
 * (passed by tests/headers.cmake) all agree. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "mutinf/mutinf.h"
#include "testutil.h"

#ifndef MUTINF_TEST_PROJECT_VERSION
#error "tests/headers.cmake must define MUTINF_TEST_PROJECT_VERSION"
#endif

static void test_macros_match_project_version(void **state)
{
    (void)state;
    assert_int_equal(MUTINF_VERSION_MAJOR, MUTINF_TEST_PROJECT_VERSION_MAJOR);
    assert_int_equal(MUTINF_VERSION_MINOR, MUTINF_TEST_PROJECT_VERSION_MINOR);
    assert_int_equal(MUTINF_VERSION_PATCH, MUTINF_TEST_PROJECT_VERSION_PATCH);
    assert_string_equal(MUTINF_VERSION_STRING, MUTINF_TEST_PROJECT_VERSION);
}

static void test_macros_are_consistent(void **state)
{
    (void)state;
    char text[64];
    snprintf(text, sizeof text, "%d.%d.%d", MUTINF_VERSION_MAJOR, MUTINF_VERSION_MINOR,
             MUTINF_VERSION_PATCH);
    assert_string_equal(MUTINF_VERSION_STRING, text);
    assert_int_equal(MUTINF_VERSION_NUMBER, MUTINF_VERSION_MAJOR * 10000 +
                                                MUTINF_VERSION_MINOR * 100 + MUTINF_VERSION_PATCH);
    /* The encoding is only unambiguous while minor and patch stay below 100. */
    assert_true(MUTINF_VERSION_MINOR >= 0 && MUTINF_VERSION_MINOR < 100);
    assert_true(MUTINF_VERSION_PATCH >= 0 && MUTINF_VERSION_PATCH < 100);
}

static void test_getters_match_macros(void **state)
{
    (void)state;
    assert_int_equal(mutinf_version_number(), MUTINF_VERSION_NUMBER);
    const char *version = mutinf_version();
    assert_non_null(version);
    assert_string_equal(version, MUTINF_VERSION_STRING);
    /* a static string: the same pointer every time */
    assert_ptr_equal(mutinf_version(), version);
}

typedef int32_t (*version_number_fn)(void);
typedef const char *(*version_fn)(void);

static void test_shared_library_getters_match_macros(void **state)
{
    (void)state;
    void *lib = dlopen(MUTINF_TEST_SHARED_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!lib) fail_msg("dlopen(%s): %s", MUTINF_TEST_SHARED_LIBRARY, dlerror());
    /* POSIX allows converting dlsym's void * to a function pointer; memcpy
     * keeps -pedantic quiet about it. */
    void *sym = dlsym(lib, "mutinf_version_number");
    assert_non_null(sym);
    version_number_fn version_number;
    memcpy(&version_number, &sym, sizeof sym);
    sym = dlsym(lib, "mutinf_version");
    assert_non_null(sym);
    version_fn version;
    memcpy(&version, &sym, sizeof sym);

    int32_t number = version_number();
    const char *text = version();
    assert_int_equal(number, MUTINF_VERSION_NUMBER);
    assert_non_null(text);
    assert_string_equal(text, MUTINF_VERSION_STRING);
    /* OpenBLAS starts threads when loaded and does not support being
     * unloaded by everyone; keep the library loaded. */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_macros_match_project_version),
        cmocka_unit_test(test_macros_are_consistent),
        cmocka_unit_test(test_getters_match_macros),
        cmocka_unit_test(test_shared_library_getters_match_macros),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
