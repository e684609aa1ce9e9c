"""The first ``twin run`` after install vs a later run (issue 10, item 12).

Runs ``twin run`` (the three bundled scenarios, comparison, pathway) in a
subprocess, from an empty folder, with an empty numba cache (``NUMBA_CACHE_DIR``
set to a fresh folder: what a new user gets after ``pip install .``) and then
again with that cache warm; repeated ``--repeat`` times. Prints wall seconds,
CPU seconds (user + system of the run and its helper process) and the load
average before each run (the machine may be shared: compare runs made at the
same load).

``--compile-table`` instead prints numba's compile seconds per function of
one first run (in-process, without the helper process), inclusive of the
functions it compiles in turn, and the self time.

Usage (from the repository root)::

    python3 benchmarks/bench_first_run.py --repeat 3
    python3 benchmarks/bench_first_run.py --compile-table
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_TABLE = r"""
import collections, sys, time
from numba.core import event
incl = collections.defaultdict(float); own = collections.defaultdict(float); n = collections.Counter()
stack = []
class Listener(event.Listener):
    def on_start(self, ev):
        stack.append([time.perf_counter(), 0.0])
    def on_end(self, ev):
        t0, child = stack.pop()
        d = time.perf_counter() - t0
        f = ev.data["dispatcher"].py_func
        name = f.__name__ if f.__module__.startswith("twin") else "numba internal: " + f.__name__
        incl[name] += d; own[name] += d - child; n[name] += 1
        if stack:
            stack[-1][1] += d
event.register("numba:compile", Listener())
t0 = time.perf_counter()
from twin.cli import main
try:
    main(["run", "--out", sys.argv[1]])
except SystemExit:
    pass
total = time.perf_counter() - t0
print(f"{'function':40s} {'n':>3s} {'incl s':>7s} {'self s':>7s}")
for name in sorted(own, key=lambda k: -own[k])[:int(sys.argv[2])]:
    print(f"{name[:40]:40s} {n[name]:3d} {incl[name]:7.2f} {own[name]:7.2f}")
print(f"compile total (self) {sum(own.values()):.1f} s of a {total:.1f} s run; "
      f"{sum(n.values())} compilations")
"""


def _twin() -> list[str]:
    """``twin`` of this interpreter (as the console script does; honours PYTHONPATH)."""
    return [sys.executable, "-m", "twin.cli"]


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (this child and its children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        sys.exit(f"twin run failed ({res.returncode}):\n{res.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="first/warm pairs (default 3)")
    ap.add_argument("--no-helper", action="store_true",
                    help="compile everything in the main process (TWIN_NO_BACKGROUND_COMPILE=1)")
    ap.add_argument("--compile-table", type=int, nargs="?", const=30, default=None, metavar="N",
                    help="print the N functions with the longest compile time of one first run")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    if args.no_helper:
        env["TWIN_NO_BACKGROUND_COMPILE"] = "1"
    with tempfile.TemporaryDirectory(prefix="twin-first-run-") as tmp:
        work = Path(tmp)
        if args.compile_table is not None:
            env.update(NUMBA_CACHE_DIR=str(work / "cache"), TWIN_NO_BACKGROUND_COMPILE="1")
            subprocess.run([sys.executable, "-c", _TABLE, str(work / "out"), str(args.compile_table)],
                           env=env, cwd=work, check=True)
            return
        print(f"{'run':>3s} {'cache':6s} {'wall s':>7s} {'cpu s':>7s} {'load avg':>9s}")
        for i in range(args.repeat):
            cache = work / f"cache{i}"
            for kind in ("first", "warm"):
                out = work / "out"
                shutil.rmtree(out, ignore_errors=True)
                load = os.getloadavg()[0]
                wall, cpu = _run(_twin() + ["run", "--out", str(out)], {**env, "NUMBA_CACHE_DIR": str(cache)}, work)
                print(f"{i + 1:3d} {kind:6s} {wall:7.1f} {cpu:7.1f} {load:9.2f}", flush=True)


if __name__ == "__main__":
    main()
