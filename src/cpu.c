/* Run-time processor feature checks, cached after the first call. */
#include "cpu.h"

int mutinf__cpu_has_avx2_fma(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int cached = -1;
    int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (c < 0) {
        __builtin_cpu_init();
        c = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        __atomic_store_n(&cached, c, __ATOMIC_RELAXED);
    }
    return c;
#else
    return 0;
#endif
}
