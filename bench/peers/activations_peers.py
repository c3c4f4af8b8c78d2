#!/usr/bin/python3
"""Peers of bench/activations: NumPy (Gaussian) and scikit-learn + NumPy (quantized).

Usage: activations_peers.py DIR   (DIR = $MUTINF_BENCH_DIR, written by the C benchmark)
Prints one line per case: shape=... libmutinf_s=... peer=... peer_s=... speedup=...
with speedup = peer time / libmutinf time, times being medians over repetitions.
"""
import json
import os
import statistics
import sys
import time


def timed(fn, reps):
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def line(shape, lib_s, peer, peer_s):
    print(f"shape={shape} libmutinf_s={lib_s:.4f} peer={peer} peer_s={peer_s:.4f} "
          f"speedup={peer_s / lib_s:.2f}", flush=True)


def gaussian_numpy(np, x, K):
    """Plug-in TC and pairwise matrix: np.cov, then slogdet per block."""
    d = x.shape[1]
    C = np.cov(x, rowvar=False)
    size = d // K
    blocks = [np.arange(k * size, (k + 1) * size) for k in range(K)]
    ld = [np.linalg.slogdet(C[np.ix_(b, b)])[1] for b in blocks]
    tc = 0.5 * (sum(ld) - np.linalg.slogdet(C)[1])
    pw = np.empty((K, K))
    for i in range(K):
        pw[i, i] = 0.5 * (size * np.log(2 * np.pi * np.e) + ld[i])
        for j in range(i + 1, K):
            b = np.concatenate([blocks[i], blocks[j]])
            pw[i, j] = pw[j, i] = 0.5 * (ld[i] + ld[j] - np.linalg.slogdet(C[np.ix_(b, b)])[1])
    return tc, pw


def entropy(np, counts, n):
    c = counts.astype(np.float64)
    return np.log(n) - np.sum(c * np.log(c)) / n


def quantized_sklearn(np, x, K, bins):
    """scikit-learn KMeans per standardised module, then NumPy counting."""
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler
    n, d = x.shape
    size = d // K
    labels = np.empty((n, K), dtype=np.int64)
    for k in range(K):
        xs = StandardScaler().fit_transform(x[:, k * size:(k + 1) * size])
        km = KMeans(n_clusters=bins, n_init=1, tol=1e-4, max_iter=300, random_state=0)
        labels[:, k] = km.fit_predict(xs)
    h = [entropy(np, np.unique(labels[:, k], return_counts=True)[1], n) for k in range(K)]
    pw = np.diag(h)
    for i in range(K):
        for j in range(i + 1, K):
            hij = entropy(np, np.unique(labels[:, i] * bins + labels[:, j],
                                        return_counts=True)[1], n)
            pw[i, j] = pw[j, i] = h[i] + h[j] - hij
    joint = np.unique(labels, axis=0, return_counts=True)[1]
    return sum(h) - entropy(np, joint, n), pw, len(joint)


def main():
    bench_dir = sys.argv[1] if len(sys.argv) > 1 else os.environ["MUTINF_BENCH_DIR"]
    with open(os.path.join(bench_dir, "results.json")) as f:
        ours = json.load(f)
    try:
        import numpy as np
    except ImportError:
        print("activations_peers: numpy not installed; peers skipped", file=sys.stderr)
        return

    g = ours["gaussian_n100k_d256_K16"]
    x = np.load(os.path.join(bench_dir, "gaussian.npy"))
    peer_s, (tc, pw) = timed(lambda: gaussian_numpy(np, x, 16), 5)
    print(f"activations_peers: gaussian TC numpy {tc:.10f} libmutinf {g['tc']:.10f}; "
          f"pairwise[0,1] numpy {pw[0, 1]:.10f} libmutinf {g['pairwise01']:.10f}",
          file=sys.stderr)
    line("gaussian_n100k_d256_K16", g["libmutinf_s"], "numpy", peer_s)
    del x

    q = ours["quantized_n100k_d64_K8_b16"]
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("activations_peers: scikit-learn not installed; quantized peer skipped",
              file=sys.stderr)
        return
    x = np.load(os.path.join(bench_dir, "quantized.npy"))
    reps = int(os.environ.get("MUTINF_BENCH_SKLEARN_REPS", "3"))
    peer_s, (tc, pw, cells) = timed(lambda: quantized_sklearn(np, x, 8, 16), reps)
    print(f"activations_peers: quantized TC sklearn {tc:.4f} (cells {cells}) "
          f"libmutinf {q['tc']:.4f} (cells {q['occupied_cells']})", file=sys.stderr)
    line("quantized_n100k_d64_K8_b16", q["libmutinf_s"], "sklearn-kmeans+numpy", peer_s)


if __name__ == "__main__":
    main()
