#!/usr/bin/python3
"""Runs README's worked example verbatim: the Python block of the section
"From a PyTorch model to `mutinf`", then every command of its shell block
with `mutinf` replaced by the built executable.  Exits 77 (skipped) when
PyTorch is not installed.

Usage: readme_example.py MUTINF_EXE SOURCE_DIR
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HEADING = "## From a PyTorch model to `mutinf`"


def section(text):
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    return text[start:end if end >= 0 else len(text)]


def main():
    exe, src = os.path.abspath(sys.argv[1]), sys.argv[2]
    try:
        import numpy as np
        import torch  # noqa: F401
    except ImportError:
        print("PyTorch not installed: skipped")
        return 77
    text = None
    for name in ["README.md"]:
        p = os.path.join(src, name)
        if os.path.exists(p) and HEADING in open(p).read():
            text = section(open(p).read())
            break
    if text is None:
        print(f"no section {HEADING!r} in README.md", file=sys.stderr)
        return 1
    py = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    sh = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    work = tempfile.mkdtemp(prefix="mutinf-readme.")
    try:
        return run_example(exe, py, sh, work, np)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_example(exe, py, sh, work, np):
    subprocess.run([sys.executable, "-c", py], cwd=work, check=True)
    j = np.load(os.path.join(work, "jacobians.npy"))
    a = np.load(os.path.join(work, "activations.npy"))
    assert j.shape == (2000, 12, 20) and a.shape == (2000, 12), (j.shape, a.shape)
    ok = True
    for line in sh.strip().splitlines():
        args = shlex.split(line)
        assert args[0] == "mutinf", line
        p = subprocess.run([exe] + args[1:], cwd=work, capture_output=True, text=True)
        print("$", line)
        print(p.stdout, p.stderr, sep="")
        if p.returncode != 0 or p.stderr:
            print(f"FAIL: exit {p.returncode}", file=sys.stderr)
            ok = False
        if "--json" in args:
            json.loads(p.stdout)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
