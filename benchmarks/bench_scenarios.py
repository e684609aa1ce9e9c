"""Benchmark: one scenario evaluation on the bundled district, and the full `twin run`.

Targets (issue 6): evaluating one scenario (everything but writing the map)
under 3 s; the full `twin run` of the bundled scenarios under 30 s.

Run from the repository root::

    python benchmarks/bench_scenarios.py
"""

from __future__ import annotations

import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import twin
    from twin.pipeline import Session, evaluate

    t0 = time.perf_counter()
    district = twin.load_district(ROOT / "twin" / "data" / "districts" / "fornebu")
    t_load = time.perf_counter() - t0
    rows = []
    for name in ("baseline", "fornebu-2027", "new-quarter"):
        sc = twin.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        evaluate(district, sc, session=Session(), with_targets=False)  # warm (numba compile, caches)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            evaluate(district, sc, session=Session(), with_targets=False)
            times.append(time.perf_counter() - t0)
        rows.append((name, min(times)))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "twin.cli", "run", "--out", tmp + "/out"], cwd=ROOT,
                              capture_output=True, text=True)
        t_run = time.perf_counter() - t0
        assert proc.returncode == 0, proc.stderr
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}")
    print(f"load district: {t_load:.2f} s")
    for name, t in rows:
        print(f"evaluate {name} (warm, best of 3, no map, no targets): {t:.2f} s")
    print(f"twin run (3 scenarios, maps, comparison, pathway; cold process): {t_run:.1f} s")
    print(f"peak RSS: this process {peak_mb:.0f} MB, twin run {child_mb:.0f} MB")


if __name__ == "__main__":
    main()
