"""Benchmark of the tiled fill on dask (``twin flood --chunks``): scale, memory, workers, equality.

Usage::

    python benchmarks/bench_flood_tiled.py make N DEM.tif     # an N x N fractal DEM, written window by window
    python benchmarks/bench_flood_tiled.py run DEM.tif --chunks C [--scheduler S] [--rain-mm MM]
    python benchmarks/bench_flood_tiled.py equal N [--chunks C]   # tiled == in-memory, bit for bit

``make`` writes a seamless fractal DEM: one periodic spectral-synthesis tile
(``bench_flood.periodic_fractal``, the surface of ``fractal_dem`` without its slope, 4096 x 4096,
float32) repeated across the grid, plus one regional slope over the whole
DEM, so depressions cross every tile border and water has to travel across
the whole DEM; only one 4096 x 4096 tile is ever in memory.

``run`` runs ``twin flood DEM --chunks C --scheduler S`` in a child process
and samples the resident memory of the child and all its descendants (the
process pool's workers) every 0.2 s; the peak of that sum and the wall time
are reported with the load average before and after, since the 2 cores are
shared. ``equal`` fills the same DEM in memory and tiled and compares the
surfaces bit for bit.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

BASE = 4096


def make(n: int, path: Path) -> None:
    """Write an n x n DEM (see the module docstring) window by window."""
    from affine import Affine
    from bench_flood import RELIEF_M, TILT, periodic_fractal
    from pyproj import CRS
    from rasterio.windows import Window

    from twin.raster import geotiff_writer

    base = periodic_fractal(BASE)
    ramp = np.linspace(0.0, TILT * RELIEF_M * n / BASE, n)
    t = Affine(1.0, 0.0, 500000.0, 0.0, -1.0, 6600000.0 + n)
    with geotiff_writer(path, (n, n), t, CRS.from_epsg(25833)) as dst:
        for r0 in range(0, n, BASE):
            for c0 in range(0, n, BASE):
                h, w = min(BASE, n - r0), min(BASE, n - c0)
                z = base[:h, :w] + ramp[r0:r0 + h, None] + ramp[None, c0:c0 + w]
                dst.write(z.astype(np.float32), 1, window=Window(c0, r0, w, h))


def _tree_rss_mb(proc) -> float:  # noqa: ANN001
    total = 0
    for p in [proc] + proc.children(recursive=True):
        try:
            total += p.memory_info().rss
        except Exception:  # noqa: BLE001 - a worker that just ended
            pass
    return total / 2**20


def run(dem: Path, chunks: int, scheduler: str, rain_mm: float | None = None) -> dict:
    """``twin flood --chunks [--rain-mm]`` in a child; wall time and peak memory of the process tree."""
    import psutil

    out = Path(tempfile.mkdtemp(prefix="tiled_", dir=dem.parent))
    load0 = os.getloadavg()
    cmd = [sys.executable, "-m", "twin.cli", "flood", str(dem), "--chunks", str(chunks),
           "--scheduler", scheduler, "--out", str(out)] + ([] if rain_mm is None else ["--rain-mm", str(rain_mm)])
    t = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    ps = psutil.Process(child.pid)
    peak = 0.0
    while child.poll() is None:
        peak = max(peak, _tree_rss_mb(ps))
        time.sleep(0.2)
    wall = time.perf_counter() - t
    stdout, stderr = child.communicate()
    res = {"dem": str(dem), "chunks": chunks, "scheduler": scheduler, "rain_mm": rain_mm, "wall_s": round(wall, 1),
           "peak_tree_rss_mb": round(peak), "load_before": [round(v, 2) for v in load0],
           "load_after": [round(v, 2) for v in os.getloadavg()], "exit": child.returncode,
           "stdout": stdout.strip().splitlines(), "stderr": stderr.strip().splitlines()[-3:],
           "out": str(out / "filled.tif")}
    return res


def equal(n: int, chunks: int) -> dict:
    """Fill an n x n DEM in memory and tiled (threads); compare bit for bit."""
    import rasterio

    from twin.flood import fill_depressions
    from twin.flood_tiled import fill_tiled

    with tempfile.TemporaryDirectory() as tmp:
        dem = Path(tmp) / "dem.tif"
        make(n, dem)
        with rasterio.open(dem) as src:
            a = src.read(1)
        t = time.perf_counter()
        ref = fill_depressions(a)
        t_mem = time.perf_counter() - t
        del a
        t = time.perf_counter()
        s, deps, _ = fill_tiled(dem, Path(tmp) / "filled.tif", chunks=chunks, scheduler="threads")
        t_tiled = time.perf_counter() - t
        with rasterio.open(Path(tmp) / "filled.tif") as src:
            got = src.read(1)
        same = bool(np.array_equal(got, ref.astype(np.float32)))
        raised = int((ref > 0).sum())
    return {"cells": n * n, "chunks": chunks, "identical": same, "in_memory_s": round(t_mem, 2),
            "tiled_s": round(t_tiled, 2), "tiles": s.tiles, "graph_nodes": s.graph_nodes,
            "graph_edges": s.graph_edges, "stage_s": {k: round(v, 2) for k, v in s.seconds.items()},
            "valid_cells": raised, "load": [round(v, 2) for v in os.getloadavg()]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("n", type=int)
    m.add_argument("path", type=Path)
    r = sub.add_parser("run")
    r.add_argument("dem", type=Path)
    r.add_argument("--chunks", type=int, default=4096)
    r.add_argument("--scheduler", default="threads")
    r.add_argument("--rain-mm", type=float, default=None)
    e = sub.add_parser("equal")
    e.add_argument("n", type=int)
    e.add_argument("--chunks", type=int, default=1024)
    a = ap.parse_args()
    if a.cmd == "make":
        t = time.perf_counter()
        make(a.n, a.path)
        print(json.dumps({"made": str(a.path), "cells": a.n * a.n, "s": round(time.perf_counter() - t, 1)}))
    elif a.cmd == "run":
        print(json.dumps(run(a.dem, a.chunks, a.scheduler, a.rain_mm)))
    else:
        print(json.dumps(equal(a.n, a.chunks)))


if __name__ == "__main__":
    main()
