#!/usr/bin/env python3
"""Peers of bench/jacobian, run by `bench/run jacobian` after the C program.

Reads the batches the C benchmark wrote (jacobian_SHAPE.npy) and its timings
(results.json) from the scratch folder given as the first argument, times the
same computation with

  torch-notebook  the design notebook's formulation: torch.bmm for
                  C_b = J_b J_b^T, then det() of C_b and of each module's
                  block, TC_b = 1/2 (sum_k log det C_b[Sk,Sk] - log det C_b);
  numpy-slogdet   numpy.matmul and numpy.linalg.slogdet, same formula;

with 2 threads and float64 (median of 7 repetitions, 3 for the large
shape, after warm-up; see time_it), and prints one line per shape and peer:

  shape=S libmutinf_samples_per_s=X peer=P peer_samples_per_s=Y speedup=R peer_finite=yes|no

where speedup = peer time / libmutinf time and peer_finite says whether the
peer's batch mean came out finite.  A peer whose module is missing is
skipped with a message on stderr; nothing is installed.
"""
import json
import math
import os
import sys
import time

THREADS = 2


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


# Each repetition lasts at least this long (several calls when one is
# shorter), so that a short call is not timed alone against a shared
# machine's scheduler noise.
MIN_REP_SECONDS = 0.25


def time_it(fn, reps):
    """Median seconds per call over `reps` repetitions, after warm-up.

    Two warm-up calls (first touch, thread pools, lazily initialised
    kernels; one when it already takes over a second); the faster one sizes
    the repetitions.  Each repetition times
    enough back-to-back calls to last MIN_REP_SECONDS (at least one) and
    counts its mean; the median of the repetitions is reported, so one
    repetition disturbed by another process does not move the result.
    """
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    second = first
    if first < 1.0:
        t0 = time.perf_counter()
        out = fn()
        second = time.perf_counter() - t0
    calls = max(1, int(math.ceil(MIN_REP_SECONDS / max(min(first, second), 1e-9))))
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(calls):
            out = fn()
        ts.append((time.perf_counter() - t0) / calls)
    return median(ts), out


def module_bounds(units, modules):
    """Contiguous modules of near-equal size, as mutinf_partition_create_contiguous."""
    base, extra = divmod(units, modules)
    bounds, start = [], 0
    for k in range(modules):
        size = base + (1 if k < extra else 0)
        bounds.append((start, start + size))
        start += size
    return bounds


def torch_peer(torch, J, bounds):
    Jt = torch.from_numpy(J)

    def run():
        with torch.no_grad():
            C = torch.bmm(Jt, Jt.transpose(1, 2))
            tc = -torch.log(torch.det(C))
            for a, b in bounds:
                tc = tc + torch.log(torch.det(C[:, a:b, a:b]))
            return float((0.5 * tc).mean())

    return run


def numpy_peer(np, J, bounds):
    def run():
        C = np.matmul(J, J.transpose(0, 2, 1))
        tc = -np.linalg.slogdet(C)[1]
        for a, b in bounds:
            tc = tc + np.linalg.slogdet(np.ascontiguousarray(C[:, a:b, a:b]))[1]
        return float((0.5 * tc).mean())

    return run


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MUTINF_BENCH_DIR", ".")
    with open(os.path.join(folder, "results.json")) as f:
        results = json.load(f)
    try:
        import numpy as np
    except ImportError:
        print("jacobian_peers: numpy not found: every peer skipped", file=sys.stderr)
        return 0
    try:
        import torch

        torch.set_num_threads(THREADS)
    except ImportError:
        torch = None
        print("jacobian_peers: torch not found: peer torch-notebook skipped", file=sys.stderr)

    for shape in ("small", "medium", "large"):
        if shape not in results:
            continue
        r = results[shape]
        J = np.load(os.path.join(folder, "jacobian_%s.npy" % shape))
        bounds = module_bounds(r["units"], r["modules"])
        batch, lib_s = r["batch"], r["seconds"]
        reps = 3 if shape == "large" else 7
        peers = []
        if torch is not None:
            peers.append(("torch-notebook", torch_peer(torch, J, bounds)))
        peers.append(("numpy-slogdet", numpy_peer(np, J, bounds)))
        for name, fn in peers:
            sec, mean = time_it(fn, reps)
            finite = math.isfinite(mean)
            if finite and math.isfinite(r["tc"]):
                rel = abs(mean - r["tc"]) / max(abs(r["tc"]), 1e-300)
                print("jacobian_peers: shape=%s peer=%s mean TC %.12g, libmutinf %.12g "
                      "(relative difference %.2g)" % (shape, name, mean, r["tc"], rel),
                      file=sys.stderr)
            else:
                print("jacobian_peers: shape=%s peer=%s mean TC %r, libmutinf %.12g"
                      % (shape, name, mean, r["tc"]), file=sys.stderr)
            print("shape=%s libmutinf_samples_per_s=%.0f peer=%s peer_samples_per_s=%.0f "
                  "speedup=%.2f peer_finite=%s"
                  % (shape, batch / lib_s, name, batch / sec, sec / lib_s,
                     "yes" if finite else "no"))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
