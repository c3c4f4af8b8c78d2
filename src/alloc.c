/* The allocation entry point with its fault-injection hook; large buffers
 * go through the cache of buffer_cache.c. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "buffer_cache.h"
#include "error.h"

#define HUGE_PAGE ((size_t)2 << 20)

static long fail_after =
    -1; /* read and decremented atomically: fits may allocate from several threads */

void mutinf__alloc_fail_after(long n)
{
    __atomic_store_n(&fail_after, n, __ATOMIC_SEQ_CST);
}

void *mutinf__alloc(size_t count, size_t size, int zero, const char *what)
{
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        mutinf__fail(MUTINF_ERR_OUT_OF_MEMORY, "cannot allocate %s: %zu x %zu bytes overflows",
                     what, count, size);
        return NULL;
    }
    if (__atomic_load_n(&fail_after, __ATOMIC_RELAXED) >= 0 &&
        __atomic_fetch_sub(&fail_after, 1, __ATOMIC_SEQ_CST) == 0) {
        mutinf__fail(MUTINF_ERR_OUT_OF_MEMORY, "cannot allocate %s (%zu bytes): injected failure",
                     what, bytes);
        return NULL;
    }
    if (bytes == 0) bytes = 1;
    void *p = NULL;
    if (bytes >= MUTINF__CACHE_MIN_BYTES) {
        p = mutinf__cache_take(bytes);
        /* Otherwise a new buffer, 2 MiB-aligned and backed by transparent
         * huge pages where the kernel allows, which cuts the first-touch
         * page faults of a 32 MiB matrix from 8192 to 16. */
        if (p == NULL) {
            if (posix_memalign(&p, HUGE_PAGE, bytes) != 0) p = NULL;
#ifdef MADV_HUGEPAGE
            if (p != NULL) madvise(p, bytes - bytes % HUGE_PAGE, MADV_HUGEPAGE);
#endif
            if (p != NULL) mutinf__cache_track(p, bytes);
        }
        if (p != NULL && zero) memset(p, 0, bytes);
    } else {
        p = zero ? calloc(1, bytes) : malloc(bytes);
    }
    if (p == NULL)
        mutinf__fail(MUTINF_ERR_OUT_OF_MEMORY, "cannot allocate %s (%zu bytes)", what, bytes);
    return p;
}

void mutinf__free(void *p)
{
    if (p != NULL && !mutinf__cache_keep(p)) free(p);
}
