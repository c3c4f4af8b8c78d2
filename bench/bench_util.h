/* Helpers shared by the benchmark programs: a monotonic clock, medians, and
 * a writer of float64 .npy files for the peer scripts. */
#ifndef MUTINF_BENCH_UTIL_H
#define MUTINF_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Waits until the worker threads of the previous timed call are idle.
 * OpenBLAS's workers spin (calling sched_yield) for 2^28 cycles, about
 * 0.1 s here, after each call, and on 2 cores they take time from whatever
 * is timed next; every timed call, ours or a peer's, starts after this. */
static inline void bench_settle(void)
{
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v). */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Writes a C-order float64 array of `ndim` (1..3) dimensions as a version
 * 1.0 .npy file.  Returns 0 on success, 1 on any I/O error. */
static inline int bench_write_npy(const char *path, const double *x, int ndim, const int64_t *shape)
{
    char dict[192], dims[96] = "";
    size_t count = 1;
    int used = 0;
    for (int a = 0; a < ndim; a++) {
        used += snprintf(dims + used, sizeof dims - (size_t)used, "%lld,%s", (long long)shape[a],
                         a + 1 < ndim ? " " : "");
        count *= (size_t)shape[a];
    }
    int len = snprintf(dict, sizeof dict,
                       "{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }", dims);
    int pad = (64 - (10 + len + 1) % 64) % 64;
    uint16_t hl = (uint16_t)(len + pad + 1);
    const unsigned char magic[10] = {
        0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff), (unsigned char)(hl >> 8)};
    FILE *f = fopen(path, "wb");
    if (f == NULL) return 1;
    int bad = fwrite(magic, 1, sizeof magic, f) != sizeof magic;
    bad |= fwrite(dict, 1, (size_t)len, f) != (size_t)len;
    for (int i = 0; i < pad; i++)
        bad |= fputc(' ', f) == EOF;
    bad |= fputc('\n', f) == EOF;
    bad |= fwrite(x, sizeof *x, count, f) != count;
    /* Flushed to disk before any timing starts: the kernel otherwise writes
     * the file back while the next cases run, and on 2 cores that
     * writeback took up to a third of a BLAS-bound case's time (lingauss2048
     * measured 0.53-0.61 s right after the medium file against 0.39 s with
     * the file in tmpfs). */
    bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
    return (fclose(f) != 0) | bad;
}

/* Writes dir/name as an n x d float64 .npy file, or exits naming `prog`. */
static inline void bench_save_matrix(const char *prog, const char *dir, const char *name,
                                     const double *x, int64_t n, int64_t d)
{
    char path[4096];
    const int64_t shape[2] = {n, d};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (bench_write_npy(path, x, 2, shape)) {
        fprintf(stderr, "%s: cannot write %s\n", prog, path);
        exit(1);
    }
}

#endif
