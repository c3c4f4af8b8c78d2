/* Internal: large buffers kept after mutinf__free for the next allocation
 * of about their size (the public controls are mutinf_buffer_cache_* in
 * mutinf/common.h). */
#ifndef MUTINF_SRC_BUFFER_CACHE_H
#define MUTINF_SRC_BUFFER_CACHE_H

#include <stddef.h>

/* Buffers of at least this many bytes are tracked and may be kept. */
#define MUTINF__CACHE_MIN_BYTES ((size_t)4 << 20)

/* A kept buffer of capacity in [bytes, 2 bytes] (the smallest such one),
 * now in use again and with undefined contents; NULL if there is none. */
void *mutinf__cache_take(size_t bytes);

/* Records a new buffer of `bytes` bytes from malloc's family, so that
 * mutinf__cache_keep() recognises it.  When the table is full it is simply
 * not tracked (and will be freed, not kept). */
void mutinf__cache_track(void *p, size_t bytes);

/* 1 if `p` is a tracked buffer, which the cache now owns (kept, or freed
 * when it is larger than the limit); 0 if it is not the cache's, and the
 * caller frees it. */
int mutinf__cache_keep(void *p);

#endif
