#!/usr/bin/python3
"""Peers of bench/activations: NumPy (Gaussian) and scikit-learn + NumPy (quantized).

Usage: activations_peers.py DIR   (DIR = $MUTINF_BENCH_DIR, written by the C benchmark)
Runs the peers of the cases the C benchmark ran (those in DIR/results.json).
Prints one line per case: shape=... libmutinf_s=... peer=... peer_s=... speedup=...
with speedup = peer time / libmutinf time, times being medians over repetitions.
libmutinf is timed here too, through ctypes on the shared library the C benchmark
ran (its path is in results.json), alternating with the peer so that both see
the same machine load; wrap + estimator, as in the C benchmark.
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


def settle():
    """Waits until the previous call's worker threads are idle: OpenBLAS's
    spin for about 0.1 s after each call and would otherwise take time from
    whatever is timed next (as bench_settle in bench/bench_util.h)."""
    time.sleep(0.2)


def interleaved(ours, peer, reps):
    """Median times of ours() and peer(), run alternately so that changes of
    the machine's load hit both; returns (ours_s, peer_s, ours_out, peer_out)."""
    t_ours, t_peer, o_out, p_out = [], [], None, None
    for _ in range(reps):
        settle()
        t0 = time.perf_counter()
        o_out = ours()
        t_ours.append(time.perf_counter() - t0)
        settle()
        t0 = time.perf_counter()
        p_out = peer()
        t_peer.append(time.perf_counter() - t0)
    return statistics.median(t_ours), statistics.median(t_peer), o_out, p_out


class Libmutinf:
    """The estimators of the shared library the C benchmark ran, via ctypes."""

    def __init__(self, path):
        import ctypes as C
        self.C = C
        lib = C.CDLL(path)
        vp, i64, i32 = C.c_void_p, C.c_int64, C.c_int32
        lib.mutinf_partition_create_contiguous.argtypes = [i64, i64, C.POINTER(vp)]
        lib.mutinf_options_create.argtypes = [C.POINTER(vp)]
        for name in ("threads", "bias_correction", "quantizer", "bins", "n_init"):
            getattr(lib, "mutinf_options_set_" + name).argtypes = [vp, i32]
        lib.mutinf_activations_wrap.argtypes = [vp, i64, i64, i64, i64, C.POINTER(vp)]
        lib.mutinf_activations_destroy.argtypes = [vp]
        dp = C.POINTER(C.c_double)
        lib.mutinf_activations_gaussian.argtypes = [vp, vp, vp, dp, dp, dp]
        lib.mutinf_activations_quantized.argtypes = [vp, vp, vp, dp, dp, dp, dp,
                                                     C.POINTER(i64), C.POINTER(i32),
                                                     C.POINTER(i32)]
        self.lib = lib

    def check(self, status, what):
        if status != 0:
            raise RuntimeError(f"libmutinf {what} failed with status {status}")

    def setup(self, d, K, **opts):
        C, lib = self.C, self.lib
        p, o = C.c_void_p(), C.c_void_p()
        self.check(lib.mutinf_partition_create_contiguous(d, K, C.byref(p)), "partition")
        self.check(lib.mutinf_options_create(C.byref(o)), "options")
        for name, value in opts.items():
            self.check(getattr(lib, "mutinf_options_set_" + name)(o, value), name)
        return p, o

    def run(self, x, p, o, K, quantized):
        """wrap + estimator (TC and pairwise), as timed by the C benchmark."""
        C, lib = self.C, self.lib
        a = C.c_void_p()
        n, d = x.shape
        ptr = x.ctypes.data_as(C.c_void_p)
        self.check(lib.mutinf_activations_wrap(ptr, n, d, d, 1, C.byref(a)), "wrap")
        tc = C.c_double()
        pw = (C.c_double * (K * K))()
        if quantized:
            cells = C.c_int64()
            st = lib.mutinf_activations_quantized(a, p, o, C.byref(tc), pw, None, None,
                                                  C.byref(cells), None, None)
        else:
            st = lib.mutinf_activations_gaussian(a, p, o, C.byref(tc), pw, None)
        lib.mutinf_activations_destroy(a)
        self.check(st, "estimator")
        return tc.value, pw[1]


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

    lib = None
    try:
        lib = Libmutinf(ours["library"])
    except (KeyError, OSError, AttributeError) as err:
        print(f"activations_peers: libmutinf not loadable ({err}); using the C timings",
              file=sys.stderr)
    if "gaussian_n100k_d256_K16" in ours:
        gaussian_peer(np, lib, bench_dir, ours["gaussian_n100k_d256_K16"])
    if "quantized_n100k_d64_K8_b16" in ours:
        quantized_peer(np, lib, bench_dir, ours["quantized_n100k_d64_K8_b16"])


def gaussian_peer(np, lib, bench_dir, g):
    x = np.load(os.path.join(bench_dir, "gaussian.npy"))
    if lib is not None:
        p, o = lib.setup(256, 16, threads=2, bias_correction=0)
        lib_s, peer_s, _, (tc, pw) = interleaved(lambda: lib.run(x, p, o, 16, False),
                                                 lambda: gaussian_numpy(np, x, 16), 7)
    else:
        lib_s = g["libmutinf_s"]
        peer_s, (tc, pw) = timed(lambda: gaussian_numpy(np, x, 16), 5)
    print(f"activations_peers: gaussian TC numpy {tc:.10f} libmutinf {g['tc']:.10f}; "
          f"pairwise[0,1] numpy {pw[0, 1]:.10f} libmutinf {g['pairwise01']:.10f}",
          file=sys.stderr)
    line("gaussian_n100k_d256_K16", lib_s, "numpy", peer_s)


def quantized_peer(np, lib, bench_dir, q):
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("activations_peers: scikit-learn not installed; quantized peer skipped",
              file=sys.stderr)
        return
    x = np.load(os.path.join(bench_dir, "quantized.npy"))
    reps = int(os.environ.get("MUTINF_BENCH_SKLEARN_REPS", "3"))
    if lib is not None:
        p, o = lib.setup(64, 8, threads=2, quantizer=0, bins=16, n_init=1)
        lib_s, peer_s, _, (tc, pw, cells) = interleaved(
            lambda: lib.run(x, p, o, 8, True), lambda: quantized_sklearn(np, x, 8, 16), reps)
    else:
        lib_s = q["libmutinf_s"]
        peer_s, (tc, pw, cells) = timed(lambda: quantized_sklearn(np, x, 8, 16), reps)
    print(f"activations_peers: quantized TC sklearn {tc:.4f} (cells {cells}) "
          f"libmutinf {q['tc']:.4f} (cells {q['occupied_cells']})", file=sys.stderr)
    line("quantized_n100k_d64_K8_b16", lib_s, "sklearn-kmeans+numpy", peer_s)


if __name__ == "__main__":
    main()
