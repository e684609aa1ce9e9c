"""Benchmark: distance to the nearest public charge point for a large district.

100,000 building footprints, 5,000 public charge points and a street network
of about 20,000 edges (a jittered 100 x 100 lattice, 10 km x 10 km, EPSG:25833):

- straight line by spatial index (:func:`twin.charging.nearest_distance_straight`);
- along the streets by one multi-source Dijkstra
  (:func:`twin.charging.nearest_distance_network`), with its stages timed;
- the whole :func:`twin.mobility.estimate_mobility` with streets;
- peer: networkx ``multi_source_dijkstra_path_length`` on the same graph
  (same snapped charge-point nodes), checked for identical distances.

Time (best of ``--repeat``) and peak traced memory (tracemalloc; numpy buffers
are traced) per step. Writes ``benchmarks/results_mobility.md`` atomically.

Run: ``python benchmarks/bench_mobility.py [--repeat 2] [--no-peer]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import geopandas as gpd
import numpy as np
import scipy
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twin.charging import (  # noqa: E402
    _snap,
    nearest_distance_network,
    nearest_distance_straight,
    street_graph,
)
from twin.mobility import MobilityParams, estimate_mobility  # noqa: E402

CRS = "EPSG:25833"
SIDE_M = 10_000.0
GRID = 100  # 100 x 100 nodes -> 2 * 100 * 99 = 19,800 edges
N_BUILDINGS = 100_000
N_CHARGERS = 5_000


def make_data(seed: int = 1) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Synthetic buildings, charge points and streets."""
    rng = np.random.default_rng(seed)
    step = SIDE_M / (GRID - 1)
    gx, gy = np.meshgrid(np.arange(GRID) * step, np.arange(GRID) * step, indexing="ij")
    jit = rng.uniform(-0.2 * step, 0.2 * step, (2, GRID, GRID))
    nx_, ny_ = gx + jit[0], gy + jit[1]
    a = np.stack([nx_[:-1, :], ny_[:-1, :]], -1).reshape(-1, 2)
    b = np.stack([nx_[1:, :], ny_[1:, :]], -1).reshape(-1, 2)
    c = np.stack([nx_[:, :-1], ny_[:, :-1]], -1).reshape(-1, 2)
    d = np.stack([nx_[:, 1:], ny_[:, 1:]], -1).reshape(-1, 2)
    starts, ends = np.vstack([a, c]), np.vstack([b, d])
    lines = shapely.linestrings(np.stack([starts, ends], 1))
    streets = gpd.GeoDataFrame({"street_id": np.arange(len(lines)).astype(str)}, geometry=lines, crs=CRS)

    xy = rng.uniform(0, SIDE_M, (N_BUILDINGS, 2))
    w = rng.uniform(8, 30, N_BUILDINGS)
    h = rng.uniform(8, 30, N_BUILDINGS)
    uses = rng.choice(["apartment", "house", "row_house", "office", "retail"], N_BUILDINGS,
                      p=[0.35, 0.35, 0.1, 0.12, 0.08])
    floors = rng.integers(1, 8, N_BUILDINGS)
    buildings = gpd.GeoDataFrame(
        {"building_id": np.arange(N_BUILDINGS).astype(str), "use": uses,
         "floor_area_m2": w * h * floors},
        geometry=shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + w, xy[:, 1] + h), crs=CRS)
    cxy = rng.uniform(0, SIDE_M, (N_CHARGERS, 2))
    chargers = gpd.GeoDataFrame(
        {"charger_id": np.arange(N_CHARGERS).astype(str), "kw": 22.0, "connectors": 2, "public": True},
        geometry=shapely.points(cxy), crs=CRS)
    return buildings, chargers, streets


def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best wall time (s) over ``repeat`` runs and peak traced memory (MB) of one run."""
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, peak, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--out", default=str(Path(__file__).with_name("results_mobility.md")))
    args = ap.parse_args()

    t0 = time.perf_counter()
    buildings, chargers, streets = make_data()
    t_make = time.perf_counter() - t0
    rows: list[tuple[str, float, float]] = []

    t, m, d_straight = measure(lambda: nearest_distance_straight(buildings.geometry, chargers.geometry),
                               args.repeat)
    rows.append(("straight line, STRtree nearest (`nearest_distance_straight`)", t, m))

    t, m, graph = measure(lambda: street_graph(streets), args.repeat)
    rows.append((f"  street graph build, densified to 25 m ({graph.n_nodes:,} nodes, {graph.n_edges:,} edges)", t, m))
    t, m, _ = measure(lambda: _snap(graph, np.asarray(buildings.geometry.values, dtype=object)), args.repeat)
    rows.append(("  snap 100k footprints to nearest node (STRtree)", t, m))

    p_node, p_snap = _snap(graph, np.asarray(chargers.geometry.values, dtype=object))
    nn, mm = graph.n_nodes, len(chargers)
    src = nn + np.arange(mm)
    g = sp.csr_matrix((np.concatenate([graph.length_m, p_snap]),
                       (np.concatenate([graph.u, src]), np.concatenate([graph.v, p_node]))),
                      shape=(nn + mm, nn + mm))
    t, m, node_dist = measure(lambda: dijkstra(g, directed=False, indices=src, min_only=True), args.repeat)
    t_scipy_dijkstra = t
    rows.append(("  multi-source Dijkstra, scipy csgraph `min_only=True`", t, m))

    t, m, d_net = measure(lambda: nearest_distance_network(buildings.geometry, chargers.geometry, streets),
                          args.repeat)
    t_network = t
    rows.append(("**network distance, total (`nearest_distance_network`)**", t, m))

    params = MobilityParams()
    t, m, est = measure(lambda: estimate_mobility(buildings, chargers, params=params, streets=streets), 1)
    rows.append(("`estimate_mobility` with streets (all columns)", t, m))

    peer_line = "networkx not run (`--no-peer`)"
    if not args.no_peer:
        try:
            import networkx as nx

            G = nx.Graph()
            G.add_weighted_edges_from(zip(graph.u.tolist(), graph.v.tolist(), graph.length_m.tolist()))
            G.add_weighted_edges_from(zip(src.tolist(), p_node.tolist(), p_snap.tolist()))
            t, m, nxd = measure(lambda: nx.multi_source_dijkstra_path_length(G, src.tolist()), 1)
            theirs = np.full(nn, np.inf)
            keys = np.fromiter((k for k in nxd if k < nn), dtype=np.int64)
            theirs[keys] = [nxd[k] for k in keys]
            same = np.allclose(theirs, node_dist[:nn], rtol=1e-12, atol=1e-9)
            rows.append((f"  peer: networkx {nx.__version__} `multi_source_dijkstra_path_length`", t, m))
            peer_line = (f"networkx {nx.__version__} multi-source Dijkstra on the same graph: "
                         f"{t:.3f} s vs scipy {t_scipy_dijkstra:.3f} s "
                         f"(scipy {t / t_scipy_dijkstra:.1f}x faster); node distances identical: {same}")
        except ImportError:
            peer_line = "networkx not installed"

    finite = np.isfinite(d_net)
    ratio = d_net[finite] / np.maximum(d_straight[finite], 1.0)
    cov = float((est["dist_charger_m"] <= 300).mean())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        "# Mobility benchmark: nearest public charge point",
        "",
        f"Date: {dt.date.today().isoformat()}. Machine: {platform.machine()}, {os.cpu_count()} cores "
        f"({platform.processor() or 'AMD EPYC'}), one process, single-threaded kernels. "
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"shapely {shapely.__version__}, geopandas {gpd.__version__}.",
        "",
        f"Data (synthetic, built in {t_make:.1f} s): {len(buildings):,} building boxes (8-30 m), "
        f"{len(chargers):,} public charge points, {len(streets):,} street edges "
        f"(jittered {GRID} x {GRID} lattice, {SIDE_M / 1000:.0f} km square), EPSG:25833.",
        "",
        f"Time = best of {args.repeat} warm runs (1 for estimate_mobility and the peer); "
        "peak = tracemalloc peak of one run (numpy buffers included).",
        "",
        "| step | time (s) | peak traced memory (MB) |",
        "|---|---:|---:|",
        *[f"| {name} | {t:.3f} | {m:.0f} |" for name, t, m in rows],
        "",
        f"Target: network version < 5 s on one core — measured {t_network:.2f} s: "
        f"{'met' if t_network < 5 else 'NOT met'}.",
        "",
        f"Peer: {peer_line}.",
        "",
        f"Checks: network / straight-line distance ratio median {np.median(ratio):.2f} "
        f"(p95 {np.percentile(ratio, 95):.2f}); every building reached: {bool(finite.all())}; "
        f"share of buildings within 300 m along streets: {cov:.3f}. Process max RSS {rss:.0f} MB.",
        "",
        "Not run: osmnx and pandana are not installed (no network access to add them in this run).",
        "",
    ]
    text = "\n".join(lines)
    out = Path(args.out)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".results_mobility.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, out)
    print(text)


if __name__ == "__main__":
    main()
