/* The allocation entry point with its fault-injection hook. */
#include <stdlib.h>

#include "alloc.h"
#include "error.h"

static long fail_after = -1;

void mutinf__alloc_fail_after(long n) { fail_after = n; }

void *mutinf__alloc(size_t count, size_t size, int zero, const char *what)
{
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        mutinf__fail(MUTINF_ERR_OUT_OF_MEMORY, "cannot allocate %s: %zu x %zu bytes overflows",
                     what, count, size);
        return NULL;
    }
    if (fail_after >= 0 && fail_after-- == 0) {
        mutinf__fail(MUTINF_ERR_OUT_OF_MEMORY, "cannot allocate %s (%zu bytes): injected failure",
                     what, bytes);
        return NULL;
    }
    if (bytes == 0)
        bytes = 1;
    void *p = zero ? calloc(1, bytes) : malloc(bytes);
    if (p == NULL)
        mutinf__fail(MUTINF_ERR_OUT_OF_MEMORY, "cannot allocate %s (%zu bytes)", what, bytes);
    return p;
}

void mutinf__free(void *p) { free(p); }
