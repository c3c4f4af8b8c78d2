/* Self-test input of tests/abi/selftest.cmake: a library exporting one
 * unlisted symbol and missing a listed one. */
__attribute__((visibility("default"))) int mutinf_selftest_common(void) { return 1; }
__attribute__((visibility("default"))) int mutinf_selftest_documented(void) { return 2; }
__attribute__((visibility("default"))) int mutinf_selftest_unlisted(void) { return 3; }
__attribute__((visibility("default"))) int mutinf_selftest_data = 4;
