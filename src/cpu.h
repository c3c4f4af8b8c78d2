/* What the processor can run, asked once at run time. */
#ifndef MUTINF_CPU_H
#define MUTINF_CPU_H

/* 1 when the processor runs AVX2 and FMA instructions (x86-64 only), else 0.
 * Kernels compiled with __attribute__((target("avx2,fma"))) are called only
 * when this says so; the library itself is built for the baseline ISA. */
int mutinf__cpu_has_avx2_fma(void);

#endif
