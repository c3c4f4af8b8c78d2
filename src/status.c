/* Status names, version getters and the thread-local last-error message. */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"

static _Thread_local char last_error[512];

int32_t mutinf_version_number(void)
{
    return MUTINF_VERSION_NUMBER;
}

const char *mutinf_version(void)
{
    return MUTINF_VERSION_STRING;
}

const char *mutinf_status_string(mutinf_status status)
{
    static const char *const names[] = {
        "MUTINF_OK",
        "MUTINF_ERR_NULL_ARGUMENT",
        "MUTINF_ERR_INVALID_ARGUMENT",
        "MUTINF_ERR_DIMENSION_MISMATCH",
        "MUTINF_ERR_SIZE_OVERFLOW",
        "MUTINF_ERR_NON_FINITE",
        "MUTINF_ERR_LABEL_OUT_OF_RANGE",
        "MUTINF_ERR_EMPTY_MODULE",
        "MUTINF_ERR_OVERLAPPING_MODULES",
        "MUTINF_ERR_TOO_FEW_MODULES",
        "MUTINF_ERR_OUT_OF_MEMORY",
        "MUTINF_ERR_NUMERICAL",
        "MUTINF_ERR_NO_CONVERGENCE",
        "MUTINF_ERR_UNSUPPORTED",
        "MUTINF_ERR_INTERNAL",
        "MUTINF_ERR_TOO_FEW_SAMPLES",
        "MUTINF_ERR_CANCELLED",
        "MUTINF_ERR_INVALID_STATE",
        "MUTINF_ERR_BAD_MASK_VALUE",
    };
    if (status < 0 || (size_t)status >= sizeof names / sizeof names[0]) return "MUTINF_ERR_UNKNOWN";
    return names[status];
}

const char *mutinf_last_error_message(void)
{
    return last_error;
}

mutinf_status mutinf__fail(mutinf_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}
