"""Benchmark: hourly loads for 100,000 buildings, district and per grid area.

Synthetic district: 100,000 buildings (random use, year, heating, floors on a
jittered grid, as in ``bench_energy.py``) estimated with
:func:`twin.energy.estimate_buildings`, with home/work/public EV charging,
and square grid areas of 400 m (about 600 areas). Times
:func:`twin.loads.hourly_loads` on the bundled Rygge 2019 weather year with
smart charging on, records peak Python memory (tracemalloc, which counts
numpy buffers) and compares with the naive approach, a dense
hours × buildings matrix (timed on 10,000 buildings; at 100,000 it would
need 7 GB).

Also measures what the hourly stage adds to ``twin run`` on the bundled
district: :func:`twin.loads.hourly_loads` on the baseline's buildings plus
writing ``hourly.nc`` and ``hourly.csv``.

Run: ``OPENBLAS_NUM_THREADS=1 python3 benchmarks/bench_hourly.py [--buildings N] [--repeat R]``
(one core; CPU time is reported beside wall time because the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from twin.district import default_district_path, load_district
from twin.energy import EnergyParams, estimate_buildings
from twin.loads import HourlyParams, hourly_loads

from bench_energy import synthetic as energy_synthetic  # noqa: E402  (benchmarks/ is on sys.path)

CRS = "EPSG:25833"


def synthetic(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    """The 100k-building district of ``bench_energy.py``, estimated, with EV charging and jobs."""
    rng = np.random.default_rng(seed)
    b, _ = energy_synthetic(n, 1, seed=seed)
    b = estimate_buildings(b, None, params=EnergyParams(year=2025))
    homes = b["use"].isin(["house", "row_house", "apartment"]).to_numpy()
    ev = np.where(homes, rng.uniform(1000, 8000, n), 0.0)
    b["charging_kwh_yr_home"] = 0.75 * ev
    b["charging_kwh_yr_work"] = 0.10 * ev
    b["charging_kwh_yr_public"] = 0.15 * ev
    b["jobs"] = np.where(b["use"].isin(["office", "retail", "school"]).to_numpy(), rng.uniform(5, 200, n), 0.0)
    return b


def areas_for(b: gpd.GeoDataFrame, cell: float = 400.0) -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = b.total_bounds
    xs, ys = np.arange(x0, x1 + cell, cell), np.arange(y0, y1 + cell, cell)
    xx, yy = np.meshgrid(xs[:-1], ys[:-1])
    geoms = shapely.box(xx.ravel(), yy.ravel(), xx.ravel() + cell, yy.ravel() + cell)
    return gpd.GeoDataFrame({"area_id": [f"a{k}" for k in range(len(geoms))], "capacity_kw": 2000.0},
                            geometry=geoms, crs=CRS)


def dense_naive(b: gpd.GeoDataFrame, weather) -> float:
    """The approach the issue rules out: one 8,760-value profile per building, summed."""
    t = np.asarray(weather.temperature_c)
    heat = np.maximum(0.0, 17.0 - t)
    t0 = time.perf_counter()
    prof = np.empty((len(t), len(b)))
    ann = b["energy_kwh_yr"].to_numpy(float)
    prof[:] = (heat / heat.sum())[:, None] * ann[None, :]
    total = prof.sum(axis=1)
    assert np.isclose(total.sum(), ann.sum())
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--buildings", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    d = load_district(default_district_path())
    w = d.weather
    print(f"# bench_hourly  {platform.processor() or platform.machine()}  python {platform.python_version()}  "
          f"{time.strftime('%Y-%m-%d %H:%M')}")

    b = synthetic(args.buildings)
    areas = areas_for(b)
    params = HourlyParams(ev_smart_charging=0.5)
    hourly_loads(b.iloc[:1000], w, params=params)  # warm imports and caches
    times, cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        h = hourly_loads(b, w, params=params, grid_areas=areas)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    tracemalloc.start()
    h = hourly_loads(b, w, params=params, grid_areas=areas)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{len(b):,} buildings, {len(areas)} grid areas, {h.n_shapes} archetype shapes: "
          f"hourly_loads {min(times):.2f} s wall, {min(cpu):.2f} s CPU (best of {args.repeat}; wall "
          f"{', '.join(f'{x:.2f}' for x in times)}; load average {os.getloadavg()[0]:.1f}), "
          f"peak traced memory {peak / 1e6:.0f} MB")
    print(f"  district peak electricity {h.peak('electricity')[0] / 1000:.1f} MW, "
          f"areas over capacity {sum(v['hours_over'] > 0 for v in h.grid_areas().values())}")

    n_dense = min(10_000, len(b))
    c0 = time.process_time()
    t_dense = dense_naive(b.iloc[:n_dense], w)
    c_dense = time.process_time() - c0
    print(f"naive dense hours x buildings matrix, {n_dense:,} buildings: {t_dense:.2f} s wall, {c_dense:.2f} s CPU, "
          f"{8760 * n_dense * 8 / 1e6:.0f} MB (at {len(b):,}: {8760 * len(b) * 8 / 1e9:.1f} GB)")

    # cost added to `twin run` on the bundled district
    from twin.pipeline import evaluate
    from twin.writers import write_hourly

    r = evaluate(d, None)
    base = r.buildings
    run = []
    with tempfile.TemporaryDirectory() as tmp:
        run_cpu = []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            hh = hourly_loads(base, w, charging_points=d.charging_points, grid_areas=d.grid_areas)
            write_hourly(hh, Path(tmp), scenario="baseline")
            run.append(time.perf_counter() - t0)
            run_cpu.append(time.process_time() - c0)
    print(f"bundled Fornebu ({len(base):,} buildings, {len(d.grid_areas)} grid areas): hourly stage + hourly.nc/csv "
          f"{min(run):.2f} s wall, {min(run_cpu):.2f} s CPU (best of {args.repeat}; wall "
          f"{', '.join(f'{x:.2f}' for x in run)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
