"""Benchmark: energy + district-heating estimates for 100,000 buildings.

Synthetic district: 100,000 rectangular buildings on a jittered grid (random
use, year, heating, floors) and a 5,000-segment heat network on the street
lines between the blocks. Times :func:`twin.energy.estimate_buildings` (with
auto-connection within 30 m), :func:`twin.heat.linear_heat_density` and
:func:`twin.heat.network_report`, and records peak Python memory
(tracemalloc) and process max RSS.

Run: ``python3 benchmarks/bench_energy.py [--buildings N] [--segments M]``
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import tracemalloc

import geopandas as gpd
import numpy as np
import shapely

from twin.energy import EnergyParams, estimate_buildings
from twin.heat import linear_heat_density, network_report
from twin.schema import HEATING, USES

CRS = "EPSG:25833"


def synthetic(n_buildings: int, n_segments: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_buildings)))
    pitch = 40.0
    i = np.arange(n_buildings)
    x0 = (i % side) * pitch + rng.uniform(0, 10, n_buildings)
    y0 = (i // side) * pitch + rng.uniform(0, 10, n_buildings)
    w = rng.uniform(8, 25, n_buildings)
    h = rng.uniform(8, 25, n_buildings)
    geoms = shapely.box(x0, y0, x0 + w, y0 + h)
    heating = np.array([h for h in HEATING if h != "none"])
    b = gpd.GeoDataFrame({
        "building_id": i.astype(str),
        "use": rng.choice(np.array(USES), n_buildings),
        "year": rng.integers(1900, 2030, n_buildings),
        "floors": rng.integers(1, 8, n_buildings),
        "heating": rng.choice(heating, n_buildings),
    }, geometry=geoms, crs=CRS)
    # horizontal street segments of one block length along every other row gap
    extent = side * pitch
    per_row = side
    rows = int(np.ceil(n_segments / per_row))
    k = np.arange(n_segments)
    yy = (k // per_row) * (extent / max(rows, 1)) - 5.0
    xx = (k % per_row) * pitch
    lines = shapely.linestrings(np.stack([np.stack([xx, yy], -1),
                                          np.stack([xx + pitch, yy], -1)], 1))
    net = gpd.GeoDataFrame({"network_id": np.where(k % 2 == 0, "north", "south"),
                            "planned": k >= int(0.8 * n_segments),
                            "co2_g_kwh": np.where(k % 2 == 0, 40.0, 90.0)},
                           geometry=lines, crs=CRS)
    return b, net


def run(n_buildings: int, n_segments: int) -> dict:
    b, net = synthetic(n_buildings, n_segments)
    params = EnergyParams(emission_set="no_physical", year=2025, connect_within_m=30.0)
    estimate_buildings(b.iloc[:100], net, params=params)  # warm caches / imports
    t0 = time.perf_counter()
    r = estimate_buildings(b, net, params=params)
    t1 = time.perf_counter()
    seg = linear_heat_density(net, r)
    t2 = time.perf_counter()
    rep = network_report(net, r)
    t3 = time.perf_counter()
    # peak memory in a second pass (tracemalloc slows allocation, so not timed)
    tracemalloc.start()
    r2 = estimate_buildings(b, net, params=params)
    linear_heat_density(net, r2)
    network_report(net, r2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "estimate_buildings_s": t1 - t0, "linear_heat_density_s": t2 - t1,
        "network_report_s": t3 - t2, "total_s": t3 - t0,
        "peak_tracemalloc_mb": peak / 2**20,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "connected": int(r["dh_connected"].sum()),
        "good_segments": int((seg["density_class"] == "good").sum()),
        "extension_heat_mwh_yr": rep["extension_heat_mwh_yr"],
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--buildings", type=int, default=100_000)
    ap.add_argument("--segments", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    print(platform.platform(), platform.processor(), platform.python_version())
    for _ in range(a.repeat):
        print(run(a.buildings, a.segments))
