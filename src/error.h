/* Internal: setting the status and the thread-local last-error message. */
#ifndef MUTINF_SRC_ERROR_H
#define MUTINF_SRC_ERROR_H

#include "mutinf/common.h"

#if defined(__GNUC__)
#define MUTINF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MUTINF_PRINTF(a, b)
#endif

/* Records `status` with a printf-style message naming the argument and value
 * at fault, and returns `status` so callers can write `return mutinf__fail(..)`. */
mutinf_status mutinf__fail(mutinf_status status, const char *fmt, ...) MUTINF_PRINTF(2, 3);

/* Shorthand for the most common check. */
#define MUTINF_CHECK_NULL(ptr, fn)                                                                 \
    do {                                                                                           \
        if ((ptr) == NULL)                                                                         \
            return mutinf__fail(MUTINF_ERR_NULL_ARGUMENT, "%s: argument '%s' is NULL", fn, #ptr);  \
    } while (0)

#endif
