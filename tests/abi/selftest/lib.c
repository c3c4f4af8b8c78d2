/* Self-test input of tests/abi/selftest.cmake: a library exporting one
 * unlisted symbol and missing a listed one. */
__attribute__((visibility("default"))) int mutinf_selftest_common(void) { return 1; }
__attribute__((visibility("default"))) int mutinf_selftest_documented(void) { return 2; }
__attribute__((visibility("default"))) int mutinf_selftest_unlisted(void) { return 3; }
__attribute__((visibility("default"))) int mutinf_selftest_data = 4;
int selftest_helper_without_prefix(void) { return 5; }
static int selftest_static_helper(void) { return 6; }
int mutinf__selftest_internal(void) { return selftest_static_helper(); }
