/* Self-test input of tests/abi/selftest.cmake: a public header breaking the
 * rules the header checks enforce (never installed or compiled). */
#ifndef MUTINF_WRONG_GUARD_H
#define MUTINF_WRONG_GUARD_H
#include <stddef.h>
#include <stdio.h>
#include "common.h"

#define MUTINF_SELFTEST_MACRO(x) \
    MUTINF_API int mutinf_selftest_in_macro(void);

/** Documented.  @since 0.1 */
MUTINF_API int mutinf_selftest_documented(void);

/** Documented, without a version. */
MUTINF_API int mutinf_selftest_no_since(void);

/* A plain comment, not a doc block.  @since 0.1 */
MUTINF_API int mutinf_selftest_plain_comment(void);

/** Two on one line, one block.  @since 0.1 */
MUTINF_API int mutinf_selftest_first(void); MUTINF_API int mutinf_selftest_second(void);

/**
 * Split over lines, with [brackets.  @since 0.1
 */
MUTINF_API const char *
mutinf_selftest_split(int a,
                      int b);

#endif
