"""Make the synthetic ``grid_areas`` layer of the bundled Fornebu district.

**Synthetic.** No secondary-substation areas or capacities of the real grid
at Fornebu (Elvia) are public; this layer only demonstrates the headroom
check. Areas: Voronoi cells around 24 clusters of the buildings (k-means on
building centroids weighted by floor area, fixed seed), clipped to the
buildings' extent plus 150 m. Capacity: the smallest number of 1,000 kVA
distribution transformers (an IEC 60076-1 preferred rating) at power factor
0.95 that carries the baseline scenario's hourly peak of the area with a 10 %
margin (ASSUMPTION (twin), how a grid company might have sized the area for
today's load), so that the scenarios show where new load runs into the
limit.

Run from the repository root after ``scripts/make_fornebu.py``::

    python scripts/make_fornebu_grid_areas.py
"""

from __future__ import annotations

import numpy as np
import geopandas as gpd
import shapely

from twin._io import write_gpkg
from twin.district import default_district_path, load_district
from twin.loads import hourly_loads
from twin.pipeline import evaluate

N_AREAS = 24
SEED = 20261130
TRANSFORMER_KVA = 1000.0
POWER_FACTOR = 0.95
MARGIN = 1.10


def kmeans(xy: np.ndarray, w: np.ndarray, k: int, seed: int, iters: int = 100) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = xy[rng.choice(len(xy), size=k, replace=False, p=w / w.sum())]
    for _ in range(iters):
        lab = np.argmin(((xy[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        new = np.array([np.average(xy[lab == j], axis=0, weights=w[lab == j]) if (lab == j).any() else c[j]
                        for j in range(k)])
        if np.allclose(new, c):
            break
        c = new
    return c


def _without_grid_areas(folder):
    """Load a district whose manifest names grid_areas.gpkg before the file exists."""
    import shutil
    import tempfile
    from pathlib import Path

    import yaml

    tmp = Path(tempfile.mkdtemp(prefix="fornebu-"))
    for f in Path(folder).iterdir():
        if f.is_file():
            shutil.copy(f, tmp / f.name)
    man = yaml.safe_load((tmp / "district.yaml").read_text(encoding="utf-8"))
    man["layers"].pop("grid_areas", None)
    (tmp / "district.yaml").write_text(yaml.safe_dump(man, allow_unicode=True), encoding="utf-8")
    d = load_district(tmp)
    return d.replace(path=Path(folder))


def make_grid_areas(folder) -> gpd.GeoDataFrame:
    """Write ``grid_areas.gpkg`` into a Fornebu district folder (its other layers and weather present)."""
    from pathlib import Path

    folder = Path(folder)
    d = load_district(folder) if (folder / "grid_areas.gpkg").exists() else _without_grid_areas(folder)
    b = d.buildings
    cent = shapely.centroid(np.asarray(b.geometry.array))
    xy = shapely.get_coordinates(cent)
    fa = b.geometry.area.to_numpy() * b["floors"].fillna(1).to_numpy()
    centers = kmeans(xy, np.maximum(fa, 1.0), N_AREAS, SEED)
    extent = shapely.buffer(shapely.convex_hull(shapely.multipoints(xy)), 150.0)
    cells = shapely.voronoi_polygons(shapely.multipoints(centers), extend_to=extent)
    polys = [shapely.intersection(g, extent) for g in shapely.get_parts(cells)]
    # order areas west→east, south→north for stable ids
    order = np.lexsort((shapely.get_coordinates(shapely.centroid(polys))[:, 1] // 500,
                        shapely.get_coordinates(shapely.centroid(polys))[:, 0]))
    polys = [polys[i] for i in order]
    areas = gpd.GeoDataFrame({"area_id": [f"ss{i + 1:02d}" for i in range(len(polys))],
                              "capacity_kw": 1.0, "synthetic": True,
                              "name": [f"Secondary substation area {i + 1} (synthetic)" for i in range(len(polys))]},
                             geometry=polys, crs=d.crs)
    base = evaluate(d, None)
    h = hourly_loads(base.buildings, d.weather, charging_points=d.charging_points, grid_areas=areas)
    peak = h.area_kw.max(axis=0)
    unit = TRANSFORMER_KVA * POWER_FACTOR
    areas["capacity_kw"] = np.maximum(np.ceil(peak * MARGIN / unit), 1) * unit
    write_gpkg(folder / "grid_areas.gpkg", areas, layer="grid_areas")
    areas["baseline_peak_kw"] = peak
    return areas


def main() -> int:
    areas = make_grid_areas(default_district_path())
    for aid, p, c in zip(areas["area_id"], areas["baseline_peak_kw"], areas["capacity_kw"]):
        print(f"{aid}: baseline peak {p:7.0f} kW, capacity {c:7.0f} kW")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
