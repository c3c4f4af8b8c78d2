"""Peers of bench/kmeans: scikit-learn KMeans(algorithm="lloyd") and FAISS
Kmeans on the data the C benchmark wrote to the scratch folder (argv[1]).

Same data, same initial centroids, tol = 0, the same two iteration counts
(N1, N2) as the C program: the time per iteration is the difference of the
two fits' medians divided by the difference of their iteration counts, so
fixed per-fit costs cancel for every contestant.  2 threads for all (OpenMP
and BLAS, as set by bench/run).  Prints one line per shape, precision and
peer with speedup = peer time / libmutinf time and inertia_ratio =
libmutinf inertia / peer inertia; for float32 also the ratio to
scikit-learn's fit rescored in float64 (inertia_ratio_f64), the relative
error of scikit-learn's own float32 inertia, the ratio to scikit-learn's
float64 fit of the same float32 values, and FAISS's float32 fit against
scikit-learn's (both rescored in float64: how far two float32 fits from the
same start drift apart); then k-means++ seeding alone
and the one-dimensional fit to convergence.
"""
import json
import os
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")
bench_dir = sys.argv[1]
res = json.load(open(os.path.join(bench_dir, "results.json")))
N1, N2, R = res["n1"], res["n2"], res["repeats"]

try:
    from sklearn.cluster import KMeans, kmeans_plusplus
except ImportError:
    KMeans = None
    print("kmeans_peers: scikit-learn not found, skipped", file=sys.stderr)
try:
    import faiss

    faiss.omp_set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
except ImportError:
    faiss = None
    print("kmeans_peers: faiss not found, skipped", file=sys.stderr)


def exact_inertia(X, C):
    """sum_i min_j |x_i - c_j|^2, nearest by GEMM in float64, distance exact."""
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    cn = (C * C).sum(1)
    total = 0.0
    for s in range(0, X.shape[0], 65536):
        x = X[s : s + 65536]
        lab = np.argmin(cn[None, :] - 2.0 * x @ C.T, axis=1)
        total += ((x - C[lab]) ** 2).sum()
    return total


def timed(fn):
    times, out = [], None
    for _ in range(R):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def per_iter(run):
    """run(iters) -> (n_iter, inertia); returns (seconds per iteration, inertia)."""
    t1, (i1, _) = timed(lambda: run(N1))
    t2, (i2, inertia) = timed(lambda: run(N2))
    return (t2 - t1) / max(i2 - i1, 1), inertia


def sklearn_run(X, C0):
    def run(iters):
        km = KMeans(n_clusters=C0.shape[0], init=C0, n_init=1, max_iter=iters, tol=0.0,
                    algorithm="lloyd")
        km.fit(X)
        return km.n_iter_, float(km.inertia_)

    return run


def sklearn_inertia64(X, C0, iters):
    """scikit-learn's own labels and centroids after `iters` iterations, its
    inertia recomputed in float64 as sum (x - c_label)^2 (for float32 data
    scikit-learn accumulates the inertia in float32)."""
    km = KMeans(n_clusters=C0.shape[0], init=C0, n_init=1, max_iter=iters, tol=0.0,
                algorithm="lloyd").fit(X)
    X64 = np.asarray(X, dtype=np.float64)
    C = np.asarray(km.cluster_centers_, dtype=np.float64)
    lab = km.labels_
    total = 0.0
    for s in range(0, X64.shape[0], 65536):
        total += ((X64[s : s + 65536] - C[lab[s : s + 65536]]) ** 2).sum()
    return total


def faiss_run(X, C0):
    def run(iters):
        km = faiss.Kmeans(X.shape[1], C0.shape[0], niter=iters, verbose=False, seed=1,
                          max_points_per_centroid=1 << 30, min_points_per_centroid=1)
        km.train(X, init_centroids=C0)
        return iters, None

    def run_with_inertia(iters):
        km = faiss.Kmeans(X.shape[1], C0.shape[0], niter=iters, verbose=False, seed=1,
                          max_points_per_centroid=1 << 30, min_points_per_centroid=1)
        km.train(X, init_centroids=C0)
        return exact_inertia(X, km.centroids)

    return run, run_with_inertia


def line(shape, dtype, lib_ms, peer, peer_ms, inertia_ratio):
    print(f"shape={shape} dtype={dtype} libmutinf_ms_per_iter={lib_ms:.3f} peer={peer} "
          f"peer_ms_per_iter={peer_ms:.3f} speedup={peer_ms / lib_ms:.3f} "
          f"inertia_ratio={inertia_ratio:.9f}", flush=True)


for sh in res["shapes"]:
    name = sh["name"]
    X64 = np.load(os.path.join(bench_dir, f"X_{name}.npy"))
    C064 = np.load(os.path.join(bench_dir, f"C0_{name}.npy"))
    for dtype, np_dtype in (("f64", np.float64), ("f32", np.float32)):
        if sh.get("init_only"):
            break
        X = np.ascontiguousarray(X64.astype(np_dtype))
        C0 = np.ascontiguousarray(C064.astype(np_dtype))
        lib = sh[dtype]
        if KMeans is not None:
            sec, inertia = per_iter(sklearn_run(X, C0))
            line(name, dtype, lib["ms_per_iter"], "sklearn", 1e3 * sec, lib["inertia"] / inertia)
            if dtype == "f32":
                # libmutinf's float32 inertia is summed in double; compare it
                # with scikit-learn's fit rescored the same way
                ref = sklearn_inertia64(X, C0, N2)
                print(f"shape={name} dtype=f32 peer=sklearn inertia_ratio_f64={lib['inertia'] / ref:.9f} "
                      f"sklearn_f32_inertia_rel_err={inertia / ref - 1.0:.3e}", flush=True)
                # the same float32 values fitted by scikit-learn in float64, from
                # libmutinf's start (the float64 centroids C0, not rounded to float32)
                exact = sklearn_inertia64(X.astype(np.float64), C064, N2)
                print(f"shape={name} dtype=f32 peer=sklearn-f64-same-values "
                      f"inertia_ratio={lib['inertia'] / exact:.9f}", flush=True)
        if faiss is not None and dtype == "f32":
            run, run_with_inertia = faiss_run(X, C0)
            sec, _ = per_iter(run)
            inertia = run_with_inertia(N2)
            line(name, dtype, lib["ms_per_iter"], "faiss", 1e3 * sec, lib["inertia"] / inertia)
            if KMeans is not None:
                # how far two float32 fits from the same start can drift apart:
                # the two peers against each other, both rescored in float64
                print(f"shape={name} dtype=f32 peer=faiss-vs-sklearn "
                      f"inertia_ratio_f64={inertia / ref:.9f}", flush=True)
    if "init_ms" in sh and KMeans is not None:
        k = sh["k"]
        t, _ = timed(lambda: kmeans_plusplus(X64, n_clusters=k, random_state=0))
        print(f"shape={name} phase=init libmutinf_ms={sh['init_ms']:.3f} peer=sklearn "
              f"peer_ms={1e3 * t:.3f} speedup={1e3 * t / sh['init_ms']:.3f}", flush=True)

d1 = res.get("d1")
if d1 is not None and KMeans is not None:
    X1 = np.load(os.path.join(bench_dir, "X1.npy"))
    times, inertia = [], None
    for _ in range(max(1, min(R, 3))):
        t0 = time.perf_counter()
        km = KMeans(n_clusters=d1["k"], n_init=1, algorithm="lloyd", random_state=0).fit(X1)
        times.append(time.perf_counter() - t0)
        inertia = float(km.inertia_)
    t = float(np.median(times))
    print(f"shape={d1['name']} libmutinf_ms={d1['fit_ms']:.3f} peer=sklearn "
          f"peer_ms={1e3 * t:.3f} speedup={1e3 * t / d1['fit_ms']:.3f} "
          f"inertia_ratio={d1['inertia'] / inertia:.9f}", flush=True)
