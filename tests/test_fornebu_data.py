"""The committed Fornebu demo district matches what its generator promises.

The data in ``twin/data/districts/fornebu`` and ``twin/data/scenarios/data`` are written by
``scripts/make_fornebu.py``; these tests read the committed files (no
generation step), except the determinism test, which re-runs the generator and
only runs with ``TWIN_SLOW=1``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml

from twin import schema

ROOT = Path(__file__).resolve().parents[1]
DISTRICT = ROOT / "twin" / "data" / "districts" / "fornebu"
SCEN = ROOT / "twin" / "data" / "scenarios" / "data"
SSB_TOTAL = 9507


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((DISTRICT / "district.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def buildings(manifest) -> gpd.GeoDataFrame:
    return gpd.read_file(DISTRICT / manifest["layers"]["buildings"])


@pytest.fixture(scope="module")
def population(manifest) -> gpd.GeoDataFrame:
    return gpd.read_file(DISTRICT / manifest["layers"]["population"])


def _dtype_ok(s: pd.Series, dtype: str) -> bool:
    if dtype == "str":
        return bool(s.dropna().map(lambda v: isinstance(v, str)).all())
    if dtype == "int":
        return pd.api.types.is_integer_dtype(s.dtype)
    if dtype == "float":
        return pd.api.types.is_float_dtype(s.dtype)
    return pd.api.types.is_bool_dtype(s.dtype)


def test_manifest_keys(manifest):
    assert set(manifest) == {"name", "crs", "synthetic", "synthetic_note", "description",
                             "attribution", "licence", "layers", "weather", "places"}
    # real place names of the peninsula, inside the Fornebu study box (lon 10.58-10.65, lat 59.88-59.91)
    assert {p["name"] for p in manifest["places"]} >= {"Fornebulandet", "Storøya", "Oksenøya", "Rolfsbukta"}
    assert all(10.58 <= p["lon"] <= 10.65 and 59.88 <= p["lat"] <= 59.91 for p in manifest["places"])
    assert manifest["name"] == "Fornebu"
    assert manifest["crs"] == "EPSG:25833"
    assert manifest["synthetic"] is True
    assert "Statistics Norway, population by 250 m grid cell 2023, CC BY 4.0" in manifest["attribution"]
    assert set(manifest["layers"]) == {"buildings", "heat_network", "heat_plants", "charging_points",
                                       "basins", "streets", "dem", "population", "grid_areas"}
    for f in manifest["layers"].values():
        assert (DISTRICT / f).is_file(), f


@pytest.mark.parametrize("key", ["buildings", "heat_network", "heat_plants", "charging_points",
                                 "basins", "streets"])
def test_layer_schema_and_crs(manifest, key):
    g = gpd.read_file(DISTRICT / manifest["layers"][key])
    assert g.crs.to_epsg() == 25833
    sch = schema.LAYERS[key]
    assert set(g.geom_type) <= set(sch.geometry)
    assert g.geometry.is_valid.all() and not g.geometry.is_empty.any()
    for col in sch.columns:
        if col.name not in g.columns:
            assert not col.required, f"{key}: missing required column {col.name}"
            continue
        s = g[col.name]
        assert _dtype_ok(s, col.dtype), f"{key}.{col.name}: {s.dtype} is not {col.dtype}"
        if col.unique:
            assert not s.duplicated().any(), f"{key}.{col.name} has duplicates"
        if not col.nullable:
            assert not s.isna().any()
        if col.vocabulary is not None:
            assert s.dropna().isin(col.vocabulary).all()
        if col.min is not None:
            assert (s.dropna() >= col.min).all()
        if col.max is not None:
            assert (s.dropna() <= col.max).all()


def test_residents_match_ssb_per_cell(buildings, population):
    assert int(population.pop_tot.sum()) == SSB_TOTAL
    pts = gpd.GeoDataFrame(buildings[["residents"]], geometry=buildings.geometry.centroid,
                           crs=buildings.crs)
    j = gpd.sjoin(pts, population[["ru250m", "pop_tot", "geometry"]], predicate="within", how="left")
    assert j.loc[j.ru250m.isna(), "residents"].sum() == pytest.approx(0.0, abs=1e-9)
    got = j.groupby("ru250m").residents.sum().reindex(population.ru250m).fillna(0.0).to_numpy()
    want = population.pop_tot.to_numpy(dtype=float)
    np.testing.assert_allclose(got, want, rtol=0.01)
    assert buildings.residents.sum() == pytest.approx(SSB_TOTAL, rel=1e-9)


def test_residents_only_in_residential_buildings(buildings):
    res = buildings.use.isin(schema.RESIDENTIAL_USES)
    assert (buildings.loc[~res, "residents"] == 0).all()
    assert (buildings.loc[~res, "dwellings"] == 0).all()
    # residents per dwelling plausible (SSB household size in Bærum is ~2.3)
    with_dw = buildings[buildings.dwellings > 0]
    ratio = with_dw.residents.sum() / with_dw.dwellings.sum()
    assert 1.5 < ratio < 3.5


def test_building_mix(buildings):
    assert 1000 <= len(buildings) <= 3000
    uses = set(buildings.use)
    assert {"apartment", "house", "row_house", "office", "school", "kindergarten", "retail",
            "nursing_home", "sports"} <= uses
    assert buildings.year.min() < 1970
    assert buildings.year.max() >= 2017
    office = buildings.loc[buildings.use == "office", "floor_area_m2"].sum()
    assert office > 250_000  # order of 15-20k jobs
    fossil = buildings.heating.isin(schema.FOSSIL_HEATING).sum()
    assert 0 < fossil <= 15
    names = buildings.name.dropna()
    assert names.str.contains("[æøåÆØÅ]").any()
    assert buildings.loc[buildings.use.isin(["office", "school", "kindergarten", "nursing_home"]),
                         "name"].notna().all()
    assert buildings.address.notna().all()


def test_no_overlapping_buildings(buildings):
    import shapely

    tree = shapely.STRtree(buildings.geometry.values)
    left, right = tree.query(buildings.geometry.values, predicate="overlaps")
    assert (left == right).all()


def test_network_chargers_basins(manifest, buildings):
    heat = gpd.read_file(DISTRICT / manifest["layers"]["heat_network"])
    assert (heat.network_id == "fornebu-dh").all()
    assert heat.co2_g_kwh.between(0, 100).all()
    plants = gpd.read_file(DISTRICT / manifest["layers"]["heat_plants"])
    assert len(plants) >= 1
    assert heat.union_all().distance(plants.geometry.iloc[0]) < 1.0
    dh = buildings[buildings.heating == "district_heating"]
    assert 0 < len(dh) < len(buildings)
    assert (dh.geometry.distance(heat.union_all()) < 50).all()
    ch = gpd.read_file(DISTRICT / manifest["layers"]["charging_points"])
    assert 20 <= len(ch) <= 60
    assert ch.kw.between(3.7, 150).all()
    assert ch.public.any() and (~ch.public).any()
    basins = gpd.read_file(DISTRICT / manifest["layers"]["basins"])
    assert len(basins) >= 3
    assert (basins.volume_m3 > 0).all()


def test_dem_covers_buildings_and_is_metric(manifest, buildings):
    with rasterio.open(DISTRICT / manifest["layers"]["dem"]) as src:
        assert src.crs.to_epsg() == 25833
        assert src.res == (2.0, 2.0)
        assert src.dtypes[0] == "float32"
        b = src.bounds
        z = src.read(1)
    minx, miny, maxx, maxy = buildings.total_bounds
    assert b.left <= minx and b.bottom <= miny and b.right >= maxx and b.top >= maxy
    land = z > -1.0
    assert 0.5 < land.mean() < 0.98  # a peninsula: land and sea
    assert z[land].min() >= 0.0 and z[land].max() <= 30.0


def test_scenario_inputs(buildings):
    ext = gpd.read_file(SCEN / "fornebu_dh_extension.gpkg")
    assert len(ext) > 0 and ext.planned.all() and (ext.network_id == "fornebu-dh").all()
    assert ext.crs.to_epsg() == 25833
    off_dh = buildings[~buildings.dh_connected & ~buildings.use.isin(["house", "unheated"])]
    assert (off_dh.geometry.distance(ext.union_all()) < 40).any()
    for f in ("fornebu_new_chargers.gpkg", "fornebu_new_basins.gpkg", "new_quarter_basins.gpkg"):
        g = gpd.read_file(SCEN / f)
        assert len(g) > 0 and g.crs.to_epsg() == 25833
    nq = gpd.read_file(SCEN / "new_quarter_area.gpkg")
    assert len(nq) == 1 and 15e4 <= nq.area.iloc[0] <= 25e4
    assert not buildings.intersects(nq.geometry.iloc[0]).any()
    nb = gpd.read_file(SCEN / "fornebu_new_basins.gpkg")
    assert not nb.intersects(buildings.union_all()).any()


def test_total_size_within_budget():
    files = [f for f in DISTRICT.iterdir() if f.is_file()] + list(SCEN.glob("fornebu_*.gpkg")) \
        + list(SCEN.glob("new_quarter_*.gpkg"))
    assert sum(f.stat().st_size for f in files) <= 20_000_000


@pytest.mark.skipif(not os.environ.get("TWIN_SLOW"), reason="slow: set TWIN_SLOW=1 (re-runs the generator, ~40 s)")
def test_generator_is_deterministic(tmp_path):
    out, scen = tmp_path / "l", tmp_path / "s"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_fornebu.py"), "--out-layers", str(out),
                    "--out-scenarios", str(scen), "--no-preview"], check=True, capture_output=True)
    for f in sorted(DISTRICT.glob("*.gpkg")) + sorted(SCEN.glob("*.gpkg")):
        base = DISTRICT if f.parent == DISTRICT else SCEN
        new = (out if base == DISTRICT else scen) / f.name
        pd.testing.assert_frame_equal(gpd.read_file(f).to_wkb(), gpd.read_file(new).to_wkb())
    with rasterio.open(DISTRICT / "dem.tif") as a, rasterio.open(out / "dem.tif") as b:
        np.testing.assert_array_equal(a.read(1), b.read(1))
    for f in ("district.yaml", "README.md"):
        assert (DISTRICT / f).read_text(encoding="utf-8") == (out / f).read_text(encoding="utf-8")
