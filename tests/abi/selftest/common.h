/* Self-test input of tests/abi/selftest.cmake. */
#ifndef MUTINF_COMMON_H
#define MUTINF_COMMON_H
#ifdef __cplusplus
extern "C" {
#endif
/** Fine.  @since 0.1 */
MUTINF_API int mutinf_selftest_common(void);
#ifdef __cplusplus
}
#endif
#endif
