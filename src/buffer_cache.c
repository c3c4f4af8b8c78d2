/* The cache of large buffers.  Fresh memory costs a page fault per page on
 * its first touch, and on virtual machines whose host takes freed guest
 * memory back that was measured at 0.5-3 ms per MiB: a 2048-unit model's
 * 100 MB of weights and covariance took 0.05-0.3 s to touch, against 0.33 s
 * for its whole creation with warm memory.  Buffers of at least
 * MUTINF__CACHE_MIN_BYTES are therefore kept when freed, up to a limit, and
 * handed to the next allocation of about their size.
 *
 * A small table under one mutex: large buffers are few (a handful per call)
 * and every operation on them is followed by work that touches megabytes. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "buffer_cache.h"
#include "mutinf/common.h"

/* Under memcheck a kept buffer is inaccessible, and a reused one undefined
 * up to the size asked and inaccessible beyond, as if it had been freed and
 * allocated anew. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define MARK_KEPT(p, n) VALGRIND_MAKE_MEM_NOACCESS(p, n)
#define MARK_TAKEN(p, n, cap)                                                                      \
    (VALGRIND_MAKE_MEM_UNDEFINED(p, n), VALGRIND_MAKE_MEM_NOACCESS((char *)(p) + (n), (cap) - (n)))
#endif
#endif
#ifndef MARK_KEPT
#define MARK_KEPT(p, n)       ((void)(p), (void)(n))
#define MARK_TAKEN(p, n, cap) ((void)(p), (void)(n), (void)(cap))
#endif

#define TRACKED       64
#define DEFAULT_LIMIT ((size_t)256 << 20)

typedef struct {
    void *p; /* NULL: a free slot */
    size_t cap;
    int kept;       /* 0: in use */
    uint64_t stamp; /* when it was kept: the oldest is freed first */
} block;

static block table[TRACKED];
static size_t kept_bytes, limit = DEFAULT_LIMIT;
static uint64_t kept_count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void lock_table(void)
{
    pthread_mutex_lock(&lock);
}

static void unlock_table(void)
{
    pthread_mutex_unlock(&lock);
}

/* A child forked while another thread held the lock must not inherit it
 * held: fork waits for the lock and both sides release it. */
static void register_fork_handlers(void)
{
    pthread_atfork(lock_table, unlock_table, unlock_table);
}

/* Frees kept buffers, oldest first, until at most `target` bytes are kept.
 * Called with the lock held; the buffers go into `out` (freed by the caller
 * after unlocking). */
static int trim_to(size_t target, void **out)
{
    int n = 0;
    while (kept_bytes > target) {
        int old = -1;
        for (int i = 0; i < TRACKED; i++)
            if (table[i].p != NULL && table[i].kept &&
                (old < 0 || table[i].stamp < table[old].stamp))
                old = i;
        out[n++] = table[old].p;
        kept_bytes -= table[old].cap;
        table[old] = (block){0};
    }
    return n;
}

static void free_all(void **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
}

void *mutinf__cache_take(size_t bytes)
{
    void *p = NULL;
    size_t cap = 0;
    lock_table();
    int best = -1;
    for (int i = 0; i < TRACKED; i++)
        if (table[i].p != NULL && table[i].kept && table[i].cap >= bytes &&
            table[i].cap / 2 <= bytes && (best < 0 || table[i].cap < table[best].cap))
            best = i;
    if (best >= 0) {
        table[best].kept = 0;
        kept_bytes -= table[best].cap;
        p = table[best].p;
        cap = table[best].cap;
    }
    unlock_table();
    if (p != NULL) MARK_TAKEN(p, bytes, cap);
    return p;
}

void mutinf__cache_track(void *p, size_t bytes)
{
    pthread_once(&fork_once, register_fork_handlers);
    lock_table();
    for (int i = 0; i < TRACKED; i++)
        if (table[i].p == NULL) {
            table[i] = (block){p, bytes, 0, 0};
            break;
        }
    unlock_table();
}

int mutinf__cache_keep(void *p)
{
    void *evicted[TRACKED + 1];
    int n = 0, found = 0;
    lock_table();
    for (int i = 0; i < TRACKED && !found; i++) {
        if (table[i].p != p || table[i].kept) continue;
        found = 1;
        if (table[i].cap > limit) {
            evicted[n++] = p;
            table[i] = (block){0};
            break;
        }
        n = trim_to(limit - table[i].cap, evicted);
        table[i].kept = 1;
        table[i].stamp = ++kept_count;
        kept_bytes += table[i].cap;
        MARK_KEPT(p, table[i].cap);
    }
    unlock_table();
    free_all(evicted, n);
    return found;
}

size_t mutinf_buffer_cache_set_limit(size_t max_bytes)
{
    void *evicted[TRACKED];
    lock_table();
    size_t old = limit;
    limit = max_bytes;
    int n = trim_to(limit, evicted);
    unlock_table();
    free_all(evicted, n);
    return old;
}

size_t mutinf_buffer_cache_size(void)
{
    lock_table();
    size_t n = kept_bytes;
    unlock_table();
    return n;
}

void mutinf_buffer_cache_release(void)
{
    void *evicted[TRACKED];
    lock_table();
    int n = trim_to(0, evicted);
    unlock_table();
    free_all(evicted, n);
}

/* Kept buffers go back to the system when the library is unloaded. */
__attribute__((destructor)) static void release_at_unload(void)
{
    mutinf_buffer_cache_release();
}
