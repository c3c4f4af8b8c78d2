/* Internal: test hook of the exact one-dimensional k-means programme
 * (src/kmeans_exact1d.c). */
#ifndef MUTINF_SRC_KMEANS_EXACT1D_H
#define MUTINF_SRC_KMEANS_EXACT1D_H

/* Test hook: nonzero makes the programme use its baseline kernels even
 * where AVX2/FMA runs, so that tests reach both.  Not thread-safe: for
 * single-threaded tests. */
void mutinf__km_exact_1d_force_plain(int on);

#endif
