/* Internal: the one allocation entry point, overflow-checked, with a fault
 * injection hook so tests can reach every out-of-memory path. */
#ifndef MUTINF_SRC_ALLOC_H
#define MUTINF_SRC_ALLOC_H

#include <stddef.h>

#include "mutinf/common.h"

/* Allocates count * size bytes (uninitialized; zeroed when `zero`).  On
 * overflow or failure returns NULL after recording MUTINF_ERR_OUT_OF_MEMORY
 * with a message naming `what`; callers return MUTINF_ERR_OUT_OF_MEMORY. */
void *mutinf__alloc(size_t count, size_t size, int zero, const char *what);
void mutinf__free(void *p);

/* Test hook: the allocation after `n` more successful ones fails (n < 0:
 * never, the default).  Not exported from the shared library; tests link the
 * static library to use it.  Not thread-safe: for single-threaded tests. */
void mutinf__alloc_fail_after(long n);

#endif
