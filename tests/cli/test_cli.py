#!/usr/bin/python3
"""Command-line tests of the `mutinf` tool.

Usage: test_cli.py MUTINF_EXE GROUP...

Every input is made here, in a temporary folder; JSON output is parsed and
checked against values computed independently with NumPy (slogdet,
covariances, counts), never against the tool's own code.  Each group is a
separate ctest test.
"""
import json
import math
import os
import resource
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

EXE = None
TMP = None
# A command prefix for every run of the tool, e.g. valgrind (memcheck tests).
WRAPPER = shlex.split(os.environ.get("MUTINF_CLI_WRAPPER", ""))
FAILURES = []


# ---- helpers -------------------------------------------------------------------

def run(*args, env=None, preexec=None, timeout=300):
    """Runs the tool; returns (exit status, stdout, stderr)."""
    e = dict(os.environ)
    e.setdefault("OMP_NUM_THREADS", "2")
    if env:
        e.update(env)
    p = subprocess.run(WRAPPER + [EXE] + [str(a) for a in args], capture_output=True, text=True,
                       env=e, cwd=TMP, preexec_fn=preexec, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def run_pty(*args, env=None):
    """Runs the tool with stderr on a pseudo-terminal; returns (status, stdout, stderr)."""
    import pty
    import threading
    master, slave = pty.openpty()
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.Popen(WRAPPER + [EXE] + [str(a) for a in args], stdout=subprocess.PIPE,
                         stderr=slave, env=e, cwd=TMP)
    os.close(slave)
    chunks = []

    def drain():
        while True:
            try:
                b = os.read(master, 4096)
            except OSError:
                return
            if not b:
                return
            chunks.append(b)
    t = threading.Thread(target=drain)
    t.start()
    out = p.stdout.read().decode()
    rc = p.wait()
    t.join(timeout=10)
    os.close(master)
    return rc, out, b"".join(chunks).decode(errors="replace")


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, file=sys.stderr)


def close(a, b, rtol=1e-9, atol=1e-12):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


def run_json(*args, **kw):
    rc, out, err = run(*args, "--json", **kw)
    check(rc == 0, f"{args}: exit {rc}, stderr {err!r}")
    if rc != 0:
        return None
    lines = [l for l in out.splitlines() if l.strip()]
    check(len(lines) == 1, f"{args}: --json printed {len(lines)} lines")
    try:
        return json.loads(out)
    except json.JSONDecodeError as e:
        check(False, f"{args}: invalid JSON {out!r}: {e}")
        return None


def expect_fail(status, args, *needles, one_line=True):
    """The tool must exit with `status` and print one stderr line that
    contains every needle (file name and problem)."""
    rc, out, err = run(*args)
    check(rc == status, f"{args}: exit {rc}, expected {status}; stderr {err!r}")
    lines = err.strip("\n").split("\n") if err.strip() else []
    if one_line:
        check(len(lines) == 1, f"{args}: stderr has {len(lines)} lines: {err!r}")
    for n in needles:
        check(n.lower() in err.lower(), f"{args}: stderr {err!r} lacks {n!r}")
    check(out == "", f"{args}: printed on stdout on failure: {out!r}")


def path(name):
    return os.path.join(TMP, name)


def save(name, arr, version=None):
    p = path(name)
    with open(p, "wb") as f:
        if version is None:
            np.save(f, arr)
        else:
            np.lib.format.write_array(f, np.asanyarray(arr), version=version)
    return name


def raw_npy(name, header, data=b"", major=1):
    """A .npy file with a hand-written header dict."""
    h = header.encode("latin1")
    pre = 10 if major == 1 else 12
    pad = (64 - (pre + len(h) + 1) % 64) % 64
    h = h + b" " * pad + b"\n"
    lenb = struct.pack("<H", len(h)) if major == 1 else struct.pack("<I", len(h))
    with open(path(name), "wb") as f:
        f.write(b"\x93NUMPY" + bytes([major, 0]) + lenb + h + data)
    return name


def logdet(c):
    s, l = np.linalg.slogdet(c)
    return l if s > 0 else -math.inf


def gauss_tc(c, modules):
    """TC = 1/2 (sum_k logdet C_kk - logdet C_SS) for a full-rank C."""
    allu = [u for m in modules for u in m]
    return 0.5 * (sum(logdet(c[np.ix_(m, m)]) for m in modules) - logdet(c[np.ix_(allu, allu)]))


def gauss_pairwise(c, modules):
    k = len(modules)
    m = np.zeros((k, k))
    for i in range(k):
        a = modules[i]
        m[i, i] = 0.5 * (len(a) * math.log(2 * math.pi * math.e) + logdet(c[np.ix_(a, a)]))
        for j in range(k):
            if i != j:
                m[i, j] = gauss_tc(c, [a, modules[j]])
    return m


def modules_of(labels):
    k = max(labels) + 1
    return [[i for i, l in enumerate(labels) if l == m] for m in range(k)]


def contiguous(d, k):
    base, extra = divmod(d, k)
    out, s = [], 0
    for m in range(k):
        n = base + (1 if m < extra else 0)
        out.append(list(range(s, s + n)))
        s += n
    return out


def matrix_close(got, want, rtol=1e-9, atol=1e-12):
    if got is None or len(got) != len(want):
        return False
    return all(close(got[i][j], float(want[i][j]), rtol, atol)
               for i in range(len(want)) for j in range(len(want)))


# ---- groups ----------------------------------------------------------------------

def group_usage():
    rc, out, err = run()
    check(rc == 1 and "usage" in err, f"no arguments: exit {rc}")
    rc, out, err = run("--help")
    check(rc == 0 and "lingauss" in out and "demo" in out, "mutinf --help")
    rc, out, err = run("--version")
    check(rc == 0 and "mutinf" in out, "mutinf --version")
    rc, out, err = run("frobnicate")
    check(rc == 1 and "unknown command" in err and len(err.splitlines()) == 1,
          "unknown command exits 1")
    for cmd in COMMANDS:
        rc, out, err = run(cmd, "--help")
        check(rc == 0 and "usage: mutinf " + cmd in out and "example" in out
              and "mutinf " + cmd + " " in out.split("example")[1],
              f"{cmd} --help: exit {rc}, needs usage and an example")
    save("w.npy", np.eye(4))
    expect_fail(1, ("lingauss",), "--weights")
    expect_fail(1, ("lingauss", "--weights", "w.npy"), "--partition")
    expect_fail(1, ("lingauss", "--weights", "w.npy", "--modules", "2", "--partition", "0,0,1,1"),
                "not both")
    expect_fail(1, ("lingauss", "--weights", "w.npy", "--modules", "2", "--bogus"), "--bogus")
    expect_fail(1, ("lingauss", "--weights", "w.npy", "--modules", "2", "extra"), "extra")
    expect_fail(1, ("lingauss", "--weights", "w.npy", "--modules"), "needs a value")
    expect_fail(1, ("lingauss", "--weights", "w.npy", "--modules", "two"), "not an integer")
    expect_fail(1, ("lingauss", "--weights", "w.npy", "--modules", "1"), "--modules")
    expect_fail(1, ("lingauss", "--weights", "w.npy", "--modules", "2", "--noise-var", "abc"),
                "--noise-var")
    expect_fail(1, ("lingauss", "--weights", "w.npy", "--modules", "2", "--noise-var", "-1"),
                "--noise-var")
    expect_fail(1, ("lingauss", "--weights", "w.npy", "--modules", "2", "--json", "--json"),
                "twice")
    expect_fail(1, ("demo", "--units", "3", "--modules", "4"), "--modules")
    expect_fail(1, ("demo", "--samples", "x"), "--samples")
    expect_fail(1, ("demo", "--samples", "7"), "--samples", "--units")
    expect_fail(1, ("demo", "--samples", "10000000", "--units", "10"), "too large")
    expect_fail(1, ("demo", "--seed", "-3"), "--seed")
    # --opt=value works like --opt value.
    a = run_json("lingauss", "--weights=w.npy", "--modules=2")
    check(a is not None and a["n_modules"] == 2, "--opt=value form")


def group_readers():
    """Every class of bad input: exit 2 and one stderr line naming the file
    and the problem.  Also every accepted format gives the same answer."""
    rng = np.random.default_rng(7)
    w = rng.standard_normal((5, 9))
    labels = [0, 0, 1, 1, 1]
    want = gauss_tc(w @ w.T, modules_of(labels))
    part = ",".join(map(str, labels))
    names = [save("c8.npy", w), save("f8.npy", np.asfortranarray(w)),
             save("v2.npy", w, (2, 0)), save("v3.npy", w, (3, 0)),
             save("f8v2.npy", np.asfortranarray(w), (2, 0))]
    for n in names:
        a = run_json("lingauss", "--weights", n, "--partition", part)
        check(a is not None and close(a["total_correlation"], want), f"{n}: TC")
    w32 = w.astype("<f4")
    want32 = gauss_tc(w32.astype(float) @ w32.astype(float).T, modules_of(labels))
    for n in [save("c4.npy", w32), save("f4.npy", np.asfortranarray(w32)),
              save("f4v3.npy", np.asfortranarray(w32), (3, 0))]:
        a = run_json("lingauss", "--weights", n, "--partition", part)
        check(a is not None and close(a["total_correlation"], want32, 1e-7), f"{n}: TC")
    # CSV with and without a header, full precision.
    with open(path("w.csv"), "w") as f:
        f.write(",".join(f"in{j}" for j in range(9)) + "\n")
        for row in w:
            f.write(", ".join(repr(float(x)) for x in row) + "\n")
    with open(path("w_nohead.csv"), "w") as f:
        for row in w:
            f.write(",".join(repr(float(x)) for x in row) + "\r\n")
    for n in ["w.csv", "w_nohead.csv"]:
        a = run_json("lingauss", "--weights", n, "--partition", part)
        check(a is not None and close(a["total_correlation"], want), f"{n}: TC")

    L = ("lingauss", "--partition", part, "--weights")
    expect_fail(2, L + ("missing.npy",), "missing.npy", "cannot open")
    with open(path("w.txt"), "w") as f:
        f.write("1,2\n")
    expect_fail(2, L + ("w.txt",), "w.txt", "unknown file type")
    save("be.npy", w.astype(">f8"))
    expect_fail(2, L + ("be.npy",), "be.npy", "big-endian")
    np.save(path("obj.npy"), np.array([[1, "a"], [2, "b"]], dtype=object), allow_pickle=True)
    expect_fail(2, L + ("obj.npy",), "obj.npy", "object")
    save("struct.npy", np.zeros(3, dtype=[("a", "<f8"), ("b", "<f8")]))
    expect_fail(2, L + ("struct.npy",), "struct.npy", "structured")
    save("c16.npy", w.astype(complex))
    expect_fail(2, L + ("c16.npy",), "c16.npy", "not supported")
    save("i8.npy", np.ones((5, 3), dtype="<i8"))
    expect_fail(2, L + ("i8.npy",), "i8.npy", "<i8")
    save("rank1.npy", w[0])
    expect_fail(2, L + ("rank1.npy",), "rank1.npy", "2-D", "(9,)")
    save("rank3.npy", np.ones((2, 5, 9)))
    expect_fail(2, L + ("rank3.npy",), "rank3.npy", "2-D", "(2, 5, 9)")
    save("empty.npy", np.zeros((5, 0)))
    expect_fail(2, L + ("empty.npy",), "empty.npy", "empty")
    with open(path("c8.npy"), "rb") as f:
        blob = f.read()
    with open(path("trunc.npy"), "wb") as f:
        f.write(blob[:-7])
    expect_fail(2, L + ("trunc.npy",), "trunc.npy", "truncated")
    with open(path("trunchead.npy"), "wb") as f:
        f.write(blob[:40])
    expect_fail(2, L + ("trunchead.npy",), "trunchead.npy", "truncated")
    with open(path("notnpy.npy"), "wb") as f:
        f.write(b"hello world, not numpy\n")
    expect_fail(2, L + ("notnpy.npy",), "notnpy.npy", "not a .npy")
    raw_npy("huge.npy", "{'descr': '<f8', 'fortran_order': False, "
            "'shape': (4611686018427387904, 4611686018427387904), }", b"\0" * 64)
    expect_fail(2, L + ("huge.npy",), "huge.npy", "overflows")
    # Huge but not overflowing: refused from the header, no 8 TB allocation.
    raw_npy("big.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }",
            b"\0" * 64)
    expect_fail(2, L + ("big.npy",), "big.npy", "truncated")
    raw_npy("bad_header.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (5, 9)",
            w.tobytes())
    expect_fail(2, L + ("bad_header.npy",), "bad_header.npy", "malformed")
    with open(path("v9.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x09\x00" + blob[8:])
    expect_fail(2, L + ("v9.npy",), "v9.npy", "version 9.0")
    with open(path("ragged.csv"), "w") as f:
        f.write("1,2,3\n4,5,6\n7,8\n")
    expect_fail(2, L + ("ragged.csv",), "ragged.csv", "line 3", "2 fields")
    with open(path("word.csv"), "w") as f:
        f.write("a,b\n1,2\n3,oops\n")
    expect_fail(2, L + ("word.csv",), "word.csv", "line 3, column 2", "oops")
    with open(path("emptyfield.csv"), "w") as f:
        f.write("1,2\n,4\n")
    expect_fail(2, L + ("emptyfield.csv",), "emptyfield.csv", "line 2, column 1")
    with open(path("nodata.csv"), "w") as f:
        f.write("a,b,c\n")
    expect_fail(2, L + ("nodata.csv",), "nodata.csv", "no data")
    wn = w.copy()
    wn[3, 4] = np.nan
    save("nan.npy", wn)
    expect_fail(2, L + ("nan.npy",), "nan.npy", "[3, 4]", "NaN")
    wn[3, 4] = -np.inf
    save("inf.npy", np.asfortranarray(wn))
    expect_fail(2, L + ("inf.npy",), "inf.npy", "[3, 4]", "inf")
    with open(path("nan.csv"), "w") as f:
        f.write("1,2\n3,nan\n")
    expect_fail(2, ("lingauss", "--partition", "0,1", "--weights", "nan.csv"), "nan.csv", "NaN")
    os.mkdir(path("adir.npy"))
    expect_fail(2, L + ("adir.npy",), "adir.npy")


def group_partition():
    rng = np.random.default_rng(3)
    w = rng.standard_normal((6, 10))
    save("w.npy", w)
    c = w @ w.T
    labels = [1, 0, -1, 1, 0, 2]
    want = gauss_tc(c, modules_of(labels))
    inline = ",".join(map(str, labels))
    with open(path("p.txt"), "w") as f:
        f.write("1 0\n-1,1\t0 , 2\n")
    save("p4.npy", np.array(labels, dtype="<i4"))
    save("p8.npy", np.array(labels, dtype="<i8"))
    for spec in [inline, "@p.txt", "@p4.npy", "@p8.npy"]:
        a = run_json("lingauss", "--weights", "w.npy", "--partition", spec)
        check(a is not None and close(a["total_correlation"], want) and a["n_modules"] == 3
              and a["n_units"] == 6, f"--partition {spec}")
    for k in [2, 3, 4, 6]:
        a = run_json("lingauss", "--weights", "w.npy", "--modules", k)
        check(a is not None and close(a["total_correlation"], gauss_tc(c, contiguous(6, k)))
              and a["n_modules"] == k, f"--modules {k}")
    W = ("lingauss", "--weights", "w.npy", "--partition")
    expect_fail(2, W + ("0,0,1,1,1",), "--partition", "5 labels", "6 units")
    expect_fail(2, W + ("0,0,1,1,1,-2",), "--partition", "-2")
    expect_fail(2, W + ("0,0,2,2,2,2",), "--partition", "no unit")
    expect_fail(2, W + ("0,0,0,0,0,0",), "--partition", "modules")
    expect_fail(2, W + ("0,0,1,x,1,1",), "--partition", "'x' is not an integer")
    expect_fail(2, W + ("0,0,1,,1,1",), "--partition", "empty")
    expect_fail(2, W + ("0,0,1,1,1,1,",), "--partition", "trailing")
    expect_fail(2, W + ("@nope.txt",), "nope.txt", "cannot open")
    expect_fail(2, W + ("p.txt",), "--partition", "@p.txt")
    for dt in ["|u1", "<u2", "<i2", "|i1", "<u8"]:
        lab = [1, 0, 0, 1, 0, 2]
        save("pu.npy", np.array(lab, dtype=dt))
        a = run_json("lingauss", "--weights", "w.npy", "--partition", "@pu.npy")
        check(a is not None and close(a["total_correlation"], gauss_tc(c, modules_of(lab))),
              f"labels of dtype {dt}")
    save("pbig.npy", np.array([0, 1, 2**40, 0, 1, 1], dtype="<i8"))
    expect_fail(2, W + ("@pbig.npy",), "pbig.npy", "out of range")
    save("pf.npy", np.array(labels, dtype=float))
    expect_fail(2, W + ("@pf.npy",), "pf.npy", "integers")
    save("p2d.npy", np.array([labels], dtype="<i4"))
    expect_fail(2, W + ("@p2d.npy",), "p2d.npy", "1-D")
    expect_fail(2, ("lingauss", "--weights", "w.npy", "--modules", "7"), "--modules", "6 units")


def group_lingauss():
    rng = np.random.default_rng(11)
    w = rng.standard_normal((7, 15))
    save("w.npy", w)
    labels = [0, 0, 0, 1, 1, 2, 2]
    mods = modules_of(labels)
    part = ",".join(map(str, labels))
    c = w @ w.T
    a = run_json("lingauss", "--weights", "w.npy", "--partition", part, "--pairwise")
    if a is not None:
        check(a["estimator"] == "lingauss" and a["units"] == "nats" and a["n_modules"] == 3
              and a["n_units"] == 7 and "n_samples" not in a, f"lingauss JSON keys {a}")
        check(close(a["total_correlation"], gauss_tc(c, mods)), "lingauss TC")
        check(matrix_close(a["pairwise"], gauss_pairwise(c, mods)), "lingauss pairwise")
        check(isinstance(a["seconds"], float) and a["seconds"] >= 0, "lingauss seconds")
    b = run_json("lingauss", "--weights", "w.npy", "--partition", part, "--bits",
                 "--noise-var", "0.5")
    cn = c + 0.5 * np.eye(7)
    check(b is not None and b["units"] == "bits" and "pairwise" not in b
          and close(b["total_correlation"], gauss_tc(cn, mods) / math.log(2)), "lingauss bits+noise")
    # A unit copied into another module: TC is +inf, reported as "inf".
    w2 = w.copy()
    w2[4] = 2.0 * w2[0]
    save("dup.npy", w2)
    d = run_json("lingauss", "--weights", "dup.npy", "--partition", part, "--pairwise")
    check(d is not None and d["total_correlation"] == "inf" and d["pairwise"][0][1] == "inf",
          f"lingauss infinite TC: {d}")
    # Rank-deficient but finite: more units than inputs inside one module only.
    # (units 0..2 depend on 2 inputs, 3..6 on 4 others): block-diagonal, TC = 0.
    w3 = np.zeros((7, 6))
    w3[:3, :2] = rng.standard_normal((3, 2))
    w3[3:, 2:] = rng.standard_normal((4, 4))
    save("blk.npy", w3)
    e = run_json("lingauss", "--weights", "blk.npy", "--partition", "0,0,0,1,1,1,1")
    check(e is not None and abs(e["total_correlation"]) < 1e-9, f"block-diagonal TC = 0: {e}")
    # The table: a person reads the TC and the pairwise matrix.
    rc, out, err = run("lingauss", "--weights", "w.npy", "--partition", part, "--pairwise")
    check(rc == 0 and "total correlation" in out and "module 2" in out
          and f"{gauss_tc(c, mods):.6f}" in out, f"lingauss table: {out}")
    if WRAPPER:
        return  # valgrind cannot run under the address-space limit below
    # Exit 3: the computation itself fails (here: out of memory for the
    # 20000 x 20000 covariance under a 1 GiB address-space limit).
    save("tall.npy", rng.standard_normal((20000, 2)))

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    rc, out, err = run("lingauss", "--weights", "tall.npy", "--modules", "2", preexec=limit,
                       env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    check(rc == 3 and len(err.strip().splitlines()) == 1 and "tall.npy" in err,
          f"exit 3 on out of memory: {rc} {err!r}")


# --- activations: Gaussian ---------------------------------------------------------

def digamma(x):
    r = 0.0
    while x < 6.0:
        r -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    return r + math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (
        1 / 240 - f * (1 / 132)))))


def gauss_bias(p, n):
    """Bias of a p-dimensional Gaussian entropy from n samples (Ince et al. 2017)."""
    return p * (math.log(2) - math.log(n - 1)) / 2 + sum(digamma((n - i) / 2)
                                                          for i in range(1, p + 1)) / 2


def chi2_sf(x, df):
    """Upper tail of chi-squared: regularized upper incomplete gamma Q(df/2, x/2)."""
    a, z = df / 2.0, x / 2.0
    if z <= 0:
        return 1.0
    lg = a * math.log(z) - z - math.lgamma(a)
    if z < a + 1:  # series for P
        term = s = 1.0 / a
        ap = a
        for _ in range(10000):
            ap += 1
            term *= z / ap
            s += term
            if abs(term) < abs(s) * 1e-16:
                break
        return 1.0 - s * math.exp(lg)
    b, c, d = z + 1 - a, 1e300, 1.0 / (z + 1 - a)  # Lentz continued fraction for Q
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1.0 / d
        h *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return math.exp(lg) * h


def gaussian_ref(x, labels, bias=True, copula=False):
    """TC, pairwise and p-value of the Gaussian plug-in estimator, from NumPy."""
    n = x.shape[0]
    if copula:
        from statistics import NormalDist
        nd = NormalDist()
        x = x.copy()
        for j in range(x.shape[1]):
            col = x[:, j]
            order = np.argsort(col, kind="mergesort")
            ranks = np.empty(n)
            ranks[order] = np.arange(1, n + 1)
            for v in np.unique(col):  # average ranks of ties
                idx = col == v
                if idx.sum() > 1:
                    ranks[idx] = ranks[idx].mean()
            x[:, j] = [nd.inv_cdf(r / (n + 1)) for r in ranks]
    mods = modules_of(labels)
    c = np.cov(x, rowvar=False, ddof=1)
    tc0 = gauss_tc(c, mods)
    pw = gauss_pairwise(c, mods)
    sizes = [len(m) for m in mods]
    df = sum(sizes[i] * sizes[j] for i in range(len(sizes)) for j in range(i + 1, len(sizes)))
    p = chi2_sf(2 * n * tc0, df)
    tc = tc0
    if bias:
        tc -= sum(gauss_bias(d, n) for d in sizes) - gauss_bias(sum(sizes), n)
        for i in range(len(sizes)):
            pw[i, i] -= gauss_bias(sizes[i], n)
            for j in range(len(sizes)):
                if i != j:
                    pw[i, j] -= (gauss_bias(sizes[i], n) + gauss_bias(sizes[j], n)
                                 - gauss_bias(sizes[i] + sizes[j], n))
    return tc, pw, p


def correlated(n, d, seed, inputs=None):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((inputs or d, d))
    return rng.standard_normal((n, inputs or d)) @ a


def group_gaussian():
    x = correlated(400, 6, 21)
    labels = [0, 1, 0, -1, 1, 2]
    part = ",".join(map(str, labels))
    save("x.npy", x)
    save("xf.npy", np.asfortranarray(x))
    tc, pw, p = gaussian_ref(x, labels)
    for name in ["x.npy", "xf.npy"]:
        a = run_json("gaussian", "--data", name, "--partition", part, "--pairwise")
        if a is None:
            continue
        check(a["estimator"] == "gaussian" and a["n_samples"] == 400 and a["n_units"] == 6
              and a["n_modules"] == 3 and a["units"] == "nats", f"gaussian keys {a}")
        check(close(a["total_correlation"], tc, 1e-8), f"gaussian TC {a['total_correlation']} {tc}")
        check(matrix_close(a["pairwise"], pw, 1e-8, 1e-10), f"gaussian pairwise {a['pairwise']}")
        check(close(a["p_value"], p, 1e-6, 1e-12), f"gaussian p-value {a['p_value']} vs {p}")
    tc0, pw0, _ = gaussian_ref(x, labels, bias=False)
    b = run_json("gaussian", "--data", "x.npy", "--partition", part, "--no-bias-correction",
                 "--bits", "--pairwise")
    check(b is not None and b["units"] == "bits"
          and close(b["total_correlation"], tc0 / math.log(2), 1e-8)
          and matrix_close(b["pairwise"], pw0 / math.log(2), 1e-8, 1e-10), "gaussian plain, bits")
    # float32 data, CSV data.
    x32 = x.astype("<f4")
    save("x32.npy", np.asfortranarray(x32))
    c = run_json("gaussian", "--data", "x32.npy", "--partition", part)
    check(c is not None and close(c["total_correlation"], gaussian_ref(x32.astype(float), labels)[0],
                                  1e-6), "gaussian float32")
    np.savetxt(path("x.csv"), x, delimiter=",", fmt="%.17g", header="a,b,c,d,e,f", comments="")
    c = run_json("gaussian", "--data", "x.csv", "--modules", 2)
    check(c is not None and close(c["total_correlation"],
                                  gaussian_ref(x, [0, 0, 0, 1, 1, 1])[0], 1e-8), "gaussian csv")
    # Copula: invariant to increasing transforms of each unit.
    y = x.copy()
    y[:, 0] = np.exp(y[:, 0] / 3)
    y[:, 4] = y[:, 4] ** 3
    y[5, 2] = y[6, 2]  # a tie
    save("y.npy", y)
    d = run_json("gaussian", "--data", "y.npy", "--partition", part, "--copula")
    check(d is not None and close(d["total_correlation"],
                                  gaussian_ref(y, labels, copula=True)[0], 1e-7), "gaussian copula")
    # Threads do not change the result.
    t1 = run_json("gaussian", "--data", "x.npy", "--partition", part, "--threads", 1)
    t2 = run_json("gaussian", "--data", "x.npy", "--partition", part, "--threads", 2)
    check(t1 is not None and t2 is not None
          and t1["total_correlation"] == t2["total_correlation"], "gaussian threads")
    # A unit copied into another module: +inf.
    z = x.copy()
    z[:, 1] = z[:, 0]
    save("z.npy", z)
    e = run_json("gaussian", "--data", "z.npy", "--partition", part)
    check(e is not None and e["total_correlation"] == "inf", f"gaussian inf: {e}")
    # Bad input: too few samples, NaN, wrong rank, partition of the wrong size.
    save("few.npy", x[:5])
    expect_fail(2, ("gaussian", "--data", "few.npy", "--partition", part), "few.npy", "sample")
    xn = x.copy()
    xn[17, 3] = np.nan
    save("nan.npy", xn)
    expect_fail(2, ("gaussian", "--data", "nan.npy", "--partition", part), "nan.npy", "[17, 3]")
    save("r3.npy", x.reshape(2, 200, 6))
    expect_fail(2, ("gaussian", "--data", "r3.npy", "--partition", part), "r3.npy",
                "(samples, units)")
    expect_fail(2, ("gaussian", "--data", "x.npy", "--partition", "0,1,0"), "3 labels", "6 units")
    expect_fail(1, ("gaussian", "--partition", part), "--data")
    expect_fail(1, ("gaussian", "--data", "x.npy", "--partition", part, "--threads", "-1"),
                "--threads")


# --- activations: quantized ---------------------------------------------------------

def entropy_of(rows):
    """Plug-in entropy (nats) and occupied cells of a sequence of hashables."""
    from collections import Counter
    cnt = Counter(rows)
    n = len(rows)
    return math.log(n) - sum(c * math.log(c) for c in cnt.values()) / n, len(cnt)


def discrete_ref(symbols, mm=False):
    """TC and pairwise from per-module symbol sequences (list of K lists)."""
    n = len(symbols[0])
    k = len(symbols)

    def h(cols):
        rows = list(zip(*[symbols[c] for c in cols]))
        e, c = entropy_of(rows)
        return e + ((c - 1) / (2 * n) if mm else 0.0), c
    hk = [h([i])[0] for i in range(k)]
    hj, cells = h(list(range(k)))
    pw = np.zeros((k, k))
    for i in range(k):
        pw[i, i] = hk[i]
        for j in range(k):
            if i != j:
                pw[i, j] = hk[i] + hk[j] - h([i, j])[0]
    return sum(hk) - hj, pw, cells


def quantile_symbols(x, labels, bins):
    n = x.shape[0]
    ub = np.empty(x.shape, dtype=int)
    for j in range(x.shape[1]):
        col = x[:, j]
        srt = np.sort(col)
        r = np.searchsorted(srt, col, side="left")  # rank of the first equal sample
        ub[:, j] = (bins * r) // n
    return [[tuple(row) for row in ub[:, m]] for m in modules_of(labels)]


def blobs(n, seed):
    """Two modules whose units sit on 3 well-separated blobs each; module 1's
    blob depends on module 0's, so the symbols are known exactly."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3, n)
    b = (a + (rng.random(n) < 0.3) * rng.integers(1, 3, n)) % 3
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    x = np.hstack([centres[a] + 0.3 * rng.standard_normal((n, 2)),
                   centres[b] * 3 + 0.3 * rng.standard_normal((n, 2))])
    return x, [list(a), list(b)]


def group_quantized():
    x = correlated(600, 5, 31)
    labels = [0, 1, 1, -1, 0]
    part = ",".join(map(str, labels))
    save("x.npy", x)
    for bins in [2, 3, 4]:
        tc, pw, cells = discrete_ref(quantile_symbols(x, labels, bins))
        a = run_json("quantized", "--data", "x.npy", "--partition", part, "--bins", bins,
                     "--quantizer", "quantile", "--pairwise")
        if a is None:
            continue
        check(a["estimator"] == "quantized" and a["n_samples"] == 600 and a["n_units"] == 5
              and a["n_modules"] == 2 and a["bins"] == bins, f"quantized keys {a}")
        check(close(a["total_correlation"], tc, 1e-10, 1e-12), f"quantile TC bins {bins}")
        check(matrix_close(a["pairwise"], pw, 1e-10, 1e-12), f"quantile pairwise bins {bins}")
        check(a["occupied_cells"] == cells, f"occupied cells {a['occupied_cells']} vs {cells}")
    tc, pw, _ = discrete_ref(quantile_symbols(x, labels, 3), mm=True)
    b = run_json("quantized", "--data", "x.npy", "--partition", part, "--bins", 3,
                 "--quantizer", "quantile", "--miller-madow", "--bits")
    check(b is not None and b["units"] == "bits"
          and close(b["total_correlation"], tc / math.log(2), 1e-10), "quantile Miller-Madow bits")
    expect_fail(1, ("quantized", "--data", "x.npy", "--partition", part), "--bins")
    expect_fail(1, ("quantized", "--data", "x.npy", "--partition", part, "--bins", 1), "--bins")
    expect_fail(1, ("quantized", "--data", "x.npy", "--partition", part, "--bins", 3,
                    "--quantizer", "magic"), "--quantizer")
    expect_fail(1, ("quantized", "--data", "x.npy", "--partition", part, "--bins", 3,
                    "--n-init", 0), "--n-init")
    save("tiny.npy", x[:1])
    expect_fail(2, ("quantized", "--data", "tiny.npy", "--partition", part, "--bins", 2),
                "tiny.npy", "sample")
    expect_fail(2, ("quantized", "--data", "x.npy", "--partition", "0,0,0,0,0", "--bins", 2),
                "--partition")
    # Permutation test: dependent modules give the smallest possible p-value.
    d = run_json("quantized", "--data", "x.npy", "--partition", part, "--bins", 3,
                 "--quantizer", "quantile", "--permutations", 19, "--seed", 3)
    check(d is not None and close(d["p_value"], 1 / 20), f"permutation p-value {d}")
    rc, out, err = run("quantized", "--data", "x.npy", "--partition", part, "--bins", 3,
                       "--quantizer", "quantile")
    check(rc == 0 and "total correlation" in out and "quantile" in out, "quantized table")
    if not HAVE_KMEANS:
        return
    # k-means quantizer on well-separated blobs: the symbols are the blobs.
    xb, sym = blobs(900, 5)
    save("blobs.npy", np.asfortranarray(xb.astype("<f4")))
    tc, pw, _ = discrete_ref(sym)
    c = run_json("quantized", "--data", "blobs.npy", "--modules", 2, "--bins", 3, "--n-init", 3,
                 "--seed", 4, "--pairwise", "--threads", 1)
    check(c is not None and close(c["total_correlation"], tc, 1e-9) and c["quantizer"] == "kmeans"
          and matrix_close(c["pairwise"], pw, 1e-9, 1e-12), f"k-means quantizer on blobs: {c}")
    c2 = run_json("quantized", "--data", "blobs.npy", "--modules", 2, "--bins", 3, "--n-init", 3,
                  "--seed", 4, "--pairwise", "--threads", 2)
    check(c is not None and c2 is not None and c2["total_correlation"] == c["total_correlation"],
          "quantized threads")
    rc, out, err = run("quantized", "--data", "blobs.npy", "--modules", 2, "--bins", 3)
    check(rc == 0 and "total correlation" in out and "kmeans" in out, "quantized k-means table")


# --- jacobian ----------------------------------------------------------------------

def jacobian_ref(j, labels, v=0.0):
    mods = modules_of(labels)
    tcs, pws = [], []
    for jb in j:
        c = jb @ jb.T + v * np.eye(jb.shape[0])
        allu = [u for m in mods for u in m]
        ranks = [np.linalg.matrix_rank(c[np.ix_(m, m)]) for m in mods]
        if np.linalg.matrix_rank(c[np.ix_(allu, allu)]) < sum(ranks):
            tcs.append(math.inf)
        else:
            tcs.append(gauss_tc(c, mods))
        pws.append(gauss_pairwise(c, mods))
    tcs = np.array(tcs)
    b = len(tcs)
    fin = np.isfinite(tcs).all()
    se = (np.std(tcs, ddof=1) / math.sqrt(b) if b > 1 else math.nan) if fin else math.inf
    return float(tcs.mean()) if fin else math.inf, se, int((~np.isfinite(tcs)).sum()), tcs, \
        np.mean(pws, axis=0)


def group_jacobian():
    rng = np.random.default_rng(41)
    j = rng.standard_normal((12, 6, 9))
    labels = [0, 0, 1, 1, 2, -1]
    part = ",".join(map(str, labels))
    save("j.npy", j)
    save("jf.npy", np.asfortranarray(j))
    tc, se, ninf, per, pw = jacobian_ref(j, labels)
    for name in ["j.npy", "jf.npy"]:
        a = run_json("jacobian", "--data", name, "--partition", part, "--pairwise",
                     "--per-sample", "per.npy")
        if a is None:
            continue
        check(a["estimator"] == "jacobian" and a["n_samples"] == 12 and a["n_units"] == 6
              and a["n_modules"] == 3 and a["units"] == "nats", f"jacobian keys {a}")
        check(close(a["total_correlation"], tc, 1e-9), f"jacobian TC {a['total_correlation']}")
        check(close(a["stderr"], se, 1e-8) and a["n_infinite"] == 0, "jacobian stderr")
        check(matrix_close(a["pairwise"], pw, 1e-9, 1e-12), "jacobian pairwise")
        got = np.load(path("per.npy"))
        check(got.dtype == np.float64 and got.shape == (12,) and np.allclose(got, per, 1e-9, 0),
              "jacobian --per-sample file")
    j32 = j.astype("<f4")
    save("j32.npy", j32)
    b = run_json("jacobian", "--data", "j32.npy", "--partition", part, "--noise-var", "0.25",
                 "--bits", "--threads", 1)
    tc32 = jacobian_ref(j32.astype(float), labels, 0.25)[0]
    check(b is not None and b["units"] == "bits" and close(b["total_correlation"],
                                                           tc32 / math.log(2), 1e-7),
          "jacobian float32, noise, bits")
    b2 = run_json("jacobian", "--data", "j32.npy", "--partition", part, "--noise-var", "0.25",
                  "--bits", "--threads", 2)
    check(b is not None and b2 is not None and b["total_correlation"] == b2["total_correlation"],
          "jacobian threads")
    # A linear network: every Jacobian is W, the estimate equals lingauss.
    w = rng.standard_normal((6, 9))
    save("w.npy", w)
    save("lin.npy", np.repeat(w[None], 5, axis=0))
    lin = run_json("jacobian", "--data", "lin.npy", "--partition", part)
    lg = run_json("lingauss", "--weights", "w.npy", "--partition", part)
    check(lin is not None and lg is not None
          and close(lin["total_correlation"], lg["total_correlation"], 1e-10)
          and abs(lin["stderr"]) < 1e-12, "jacobian of a linear network = lingauss")
    # One sample with a unit copied across modules: +inf, counted.
    ji = j.copy()
    ji[3, 2] = ji[3, 0]
    save("ji.npy", ji)
    c = run_json("jacobian", "--data", "ji.npy", "--partition", part)
    check(c is not None and c["total_correlation"] == "inf" and c["n_infinite"] == 1
          and c["stderr"] == "inf", f"jacobian infinite sample: {c}")
    save("one.npy", j[:1])
    d = run_json("jacobian", "--data", "one.npy", "--partition", part)
    check(d is not None and d["stderr"] == "nan", f"jacobian batch of one: {d}")
    rc, out, err = run("jacobian", "--data", "j.npy", "--modules", 2)
    check(rc == 0 and "standard error" in out, "jacobian table")
    save("j2d.npy", j[0])
    expect_fail(2, ("jacobian", "--data", "j2d.npy", "--partition", part), "j2d.npy", "3-D",
                "(batch, units, inputs)")
    np.savetxt(path("j.csv"), j[0], delimiter=",")
    expect_fail(2, ("jacobian", "--data", "j.csv", "--partition", part), "j.csv", ".npy")
    jn = j.copy()
    jn[4, 1, 7] = np.inf
    save("jn.npy", jn)
    expect_fail(2, ("jacobian", "--data", "jn.npy", "--partition", part), "jn.npy", "[4, 1, 7]")
    expect_fail(2, ("jacobian", "--data", "j.npy", "--partition", "0,1"), "2 labels", "6 units")
    expect_fail(2, ("jacobian", "--data", "j.npy", "--partition", part, "--per-sample",
                    "nodir/per.npy"), "nodir/per.npy")
    expect_fail(1, ("jacobian", "--data", "j.npy", "--partition", part, "--noise-var", "nan"),
                "--noise-var")


# --- kmeans ------------------------------------------------------------------------

def kmeans_1d_optimum(v, k):
    """Optimal 1-D k-means inertia by dynamic programming over sorted values."""
    v = np.sort(v)
    n = len(v)
    s1 = np.concatenate([[0], np.cumsum(v)])
    s2 = np.concatenate([[0], np.cumsum(v * v)])

    def cost(i, j):  # points i..j-1
        m = j - i
        return s2[j] - s2[i] - (s1[j] - s1[i]) ** 2 / m
    inf = float("inf")
    dp = [[inf] * (n + 1) for _ in range(k + 1)]
    dp[0][0] = 0.0
    for c in range(1, k + 1):
        for j in range(1, n + 1):
            dp[c][j] = min((dp[c - 1][i] + cost(i, j) for i in range(c - 1, j)), default=inf)
    return dp[k][n]


def group_kmeans():
    xb, sym = blobs(300, 8)
    x = xb[:, :2]
    save("x.npy", x)
    a = run_json("kmeans", "--data", "x.npy", "-k", 3, "--n-init", 3, "--seed", 2,
                 "--labels", "lab.npy", "--centroids", "cen.npy")
    if a is not None:
        check(a["k"] == 3 and isinstance(a["converged"], bool) and a["converged"]
              and a["n_iter"] >= 1 and a["seconds"] >= 0, f"kmeans keys {a}")
        lab = np.load(path("lab.npy"))
        cen = np.load(path("cen.npy"))
        check(lab.dtype == np.int32 and lab.shape == (300,) and cen.shape == (3, 2)
              and cen.dtype == np.float64, "kmeans output files")
        # Independent check: the centroids are the means of their clusters,
        # every label is the nearest centroid, and the inertia follows.
        means = np.array([x[lab == c].mean(axis=0) for c in range(3)])
        dist = ((x[:, None, :] - cen[None]) ** 2).sum(axis=2)
        check(np.allclose(means, cen, 1e-9, 1e-12), "centroids are cluster means")
        check((dist.argmin(axis=1) == lab).all(), "labels are the nearest centroids")
        check(close(a["inertia"], float(dist.min(axis=1).sum()), 1e-9), "inertia")
        # The blobs are recovered (up to renaming).
        check(len(set(zip(lab.tolist(), sym[0]))) == 3, "k-means finds the blobs")
        check(sorted(a["cluster_sizes"]) == sorted(np.bincount(lab).tolist()), "cluster sizes")
    try:
        from sklearn.cluster import KMeans
        ref = KMeans(3, n_init=5, random_state=0).fit(x).inertia_
        check(a is not None and close(a["inertia"], ref, 1e-6), "inertia matches scikit-learn")
    except ImportError:
        pass
    # 1-D: the exact optimum.
    rng = np.random.default_rng(9)
    v = np.concatenate([rng.normal(0, 1, 15), rng.normal(4, 0.5, 10), rng.normal(9, 2, 15)])
    save("v.npy", v[:, None])
    b = run_json("kmeans", "--data", "v.npy", "-k", 4)
    check(b is not None and close(b["inertia"], kmeans_1d_optimum(v, 4), 1e-9),
          "1-D k-means is the exact optimum")
    # float32, random init, determinism, threads.
    save("x32.npy", np.asfortranarray(x.astype("<f4")))
    runs = [run_json("kmeans", "--data", "x32.npy", "--k", 3, "--init", "random", "--seed", 7,
                     "--threads", t, "--max-iter", 50, "--tol", "0") for t in (1, 2, 1)]
    check(all(r is not None for r in runs) and runs[0]["inertia"] == runs[1]["inertia"]
          == runs[2]["inertia"], "kmeans deterministic across threads")
    c = run_json("kmeans", "--data", "x.npy", "-k", 3, "--max-iter", 1, "--init", "random")
    check(c is not None and c["n_iter"] <= 1, f"kmeans --max-iter 1: {c}")
    rc, out, err = run("kmeans", "--data", "x.npy", "-k", 3)
    check(rc == 0 and "inertia" in out, "kmeans table")
    # Progress: on stderr only when it is a terminal (here with no initial
    # delay, so that even this short run reports).
    args = ("kmeans", "--data", "x.npy", "-k", 8, "--n-init", 4, "--json")
    rc, out, err = run(*args, env={"MUTINF_PROGRESS_DELAY": "0"})
    check(rc == 0 and err == "", f"no progress when stderr is not a terminal: {err!r}")
    rc, out, err = run_pty(*args, env={"MUTINF_PROGRESS_DELAY": "0"})
    check(rc == 0 and "mutinf kmeans:" in err and "%" in err, f"progress on a terminal: {err!r}")
    check(json.loads(out)["k"] == 8, "stdout stays clean with progress on stderr")
    expect_fail(2, ("kmeans", "--data", "x.npy", "-k", 301), "x.npy", "300 samples")
    expect_fail(1, ("kmeans", "--data", "x.npy"), "-k")
    expect_fail(1, ("kmeans", "--data", "x.npy", "-k", 0), "--k")
    expect_fail(1, ("kmeans", "--data", "x.npy", "-k", 3, "--init", "best"), "--init")
    expect_fail(1, ("kmeans", "--data", "x.npy", "-k", 3, "--tol", "-1"), "--tol")
    expect_fail(2, ("kmeans", "--data", "missing.csv", "-k", 3), "missing.csv")
    expect_fail(2, ("kmeans", "--data", "x.npy", "-k", 3, "--labels", "nodir/l.npy"),
                "nodir/l.npy")


# --- demo --------------------------------------------------------------------------

def demo_weights(units, inputs, seed):
    """The demo's W, regenerated from its documented recipe (splitmix64 +
    Box-Muller) to check the exact value independently."""
    M = (1 << 64) - 1
    s = [(seed ^ 0x6D75746966) & M]

    def sm():
        s[0] = (s[0] + 0x9E3779B97F4A7C15) & M
        z = s[0]
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        return z ^ (z >> 31)

    def u():
        return ((sm() >> 11) + 0.5) * 2.0 ** -53
    n = units * inputs
    out = []
    while len(out) < n:
        u1, u2 = u(), u()
        r, t = math.sqrt(-2 * math.log(u1)), 2 * math.pi * u2
        out += [r * math.cos(t), r * math.sin(t)]
    return np.array(out[:n]).reshape(units, inputs)


def group_demo():
    a = run_json("demo")
    if a is None:
        return
    w = demo_weights(7, 15, 1)
    truth = gauss_tc(w @ w.T, contiguous(7, 2))
    check(close(a["true"], truth, 1e-9), f"demo true TC {a['true']} vs {truth}")
    check(a["n_units"] == 7 and a["n_modules"] == 2 and a["n_samples"] == 2000
          and a["n_inputs"] == 15, "demo defaults")
    est = {(e["estimator"], e["bins"]): e for e in a["estimates"]}
    for e in a["estimates"]:
        check(set(e) >= {"estimator", "bins", "total_correlation", "seconds"}, f"demo row {e}")
        check(e["seconds"] >= 0, "demo seconds")
    if ("jacobian", None) in est:
        check(close(est[("jacobian", None)]["total_correlation"], truth, 1e-9),
              "demo: Jacobian equals the exact value")
    if ("gaussian", None) in est:
        g = est[("gaussian", None)]["total_correlation"]
        check(abs(g - truth) < 0.15 * truth, f"demo: Gaussian {g} near {truth}")
    q = [est[k] for k in sorted(k for k in est if k[0] == "quantized")]
    if q:
        check([e["bins"] for e in q] == [2, 3, 5, 10], "demo quantized bins 2, 3, 5, 10")
        for e in q:
            check(0 <= e["total_correlation"] < truth * 1.2, f"demo quantized {e}")
    if EXPECT_DEMO_ROWS:
        check(set(est) >= set(EXPECT_DEMO_ROWS), f"demo rows {sorted(est, key=str)}")
    # Same seed, same numbers; other sizes and seeds follow the options.
    b = run_json("demo")
    check(b is not None and b["true"] == a["true"] and
          [e["total_correlation"] for e in b["estimates"]] ==
          [e["total_correlation"] for e in a["estimates"]], "demo is deterministic")
    c = run_json("demo", "--seed", 5, "--inputs", 9, "--units", 6, "--modules", 3,
                 "--samples", 500)
    if c is not None:
        w = demo_weights(6, 9, 5)
        check(close(c["true"], gauss_tc(w @ w.T, contiguous(6, 3)), 1e-9), "demo options")
        check(c["n_samples"] == 500 and c["n_modules"] == 3, "demo options echoed")
    rc, out, err = run("demo")
    check(rc == 0 and "exact" in out and f"{truth:.6f}" in out and out.strip().endswith("."),
          f"demo table: {out}")
    # More units than inputs: the exact TC is infinite, the demo still runs.
    d = run_json("demo", "--inputs", 3, "--units", 6)
    check(d is not None and d["true"] == "inf", f"demo with infinite TC: {d}")


# The k-means quantizer of the quantized estimator.
HAVE_KMEANS = True
COMMANDS = ["demo", "lingauss", "jacobian", "gaussian", "quantized", "kmeans"]
EXPECT_DEMO_ROWS = [("jacobian", None), ("gaussian", None)] + (
    [("quantized", 2), ("quantized", 3), ("quantized", 5), ("quantized", 10)] if HAVE_KMEANS
    else [])
GROUPS = {
    "usage": group_usage,
    "readers": group_readers,
    "partition": group_partition,
    "lingauss": group_lingauss,
    "jacobian": group_jacobian,
    "gaussian": group_gaussian,
    "quantized": group_quantized,
    "kmeans": group_kmeans,
    "demo": group_demo,
}


def main():
    global EXE, TMP
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    EXE = os.path.abspath(sys.argv[1])
    for g in sys.argv[2:]:
        TMP = tempfile.mkdtemp(prefix=f"mutinf-cli-{g}.")
        try:
            GROUPS[g]()
        finally:
            shutil.rmtree(TMP, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed", file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
