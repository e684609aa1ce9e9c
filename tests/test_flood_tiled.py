"""Tiled fill on dask (twin.flood_tiled): the same surface as the in-memory fill."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner

from twin.cli import main
from twin.flood import fill_depressions
from twin.flood_tiled import fill_tiled, fill_tiled_array

T = Affine(1.0, 0.0, 500000.0, 0.0, -1.0, 6600000.0)
FORNEBU = "twin/data/districts/fornebu/dem.tif"


def write_tif(path, a, *, nodata=-9999.0, dtype="float32"):
    with rasterio.open(path, "w", driver="GTiff", height=a.shape[0], width=a.shape[1], count=1,
                       dtype=dtype, crs="EPSG:25833", transform=T, nodata=nodata) as dst:
        dst.write(np.where(np.isnan(a), nodata, a).astype(dtype), 1)
    return path


def bowl_on_tile_corners() -> np.ndarray:
    # a 6x6 bowl at 1 m whose centre lies on the corner of four 4x4 tiles and whose
    # rim (10 m) has a channel at 6 m to the north edge: by hand it fills to 6 m
    a = np.full((12, 12), 10.0)
    a[3:9, 3:9] = 1.0
    a[0:3, 5] = 6.0
    return a


def test_bowl_across_tile_corners_fills_to_the_channel():
    a = bowl_on_tile_corners()
    got = fill_tiled_array(a, 4)
    expect = a.copy()
    expect[3:9, 3:9] = 6.0
    assert np.array_equal(got, expect)


def test_outlet_in_the_neighbour_tile_is_seen_through_the_halo():
    # the bowl's only low exit is a nodata cell in another tile, next to the tile
    # border: the bowl drains into it at the rim cell's level (5 m), not at the 10 m rim
    a = np.full((8, 8), 10.0)
    a[1:4, 1:4] = 1.0
    a[2, 4] = 5.0        # rim cell, first column of the right-hand tile (chunks 4)
    a[2, 5] = np.nan     # nodata: an outlet
    got = fill_tiled_array(a, 4)
    assert np.array_equal(got, fill_depressions(a), equal_nan=True)
    assert (got[1:4, 1:4] == 5.0).all()


@pytest.mark.parametrize("seed", range(16))
def test_tiled_equals_in_memory_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(9, 70, size=2))
    a = (rng.random(shape) * 10 + np.linspace(0, 3, shape[1])[None, :]).astype("float32")
    if seed % 2:
        a = np.round(a)                          # ties and flats across tile borders
    if seed % 3 == 0:
        a[rng.random(shape) < 0.05] = np.nan     # nodata inside tiles and on their borders
    if seed % 4 == 1:
        a = a.astype("float64") + rng.random(shape) * 1e-4   # not float32: rank surrogate per tile
    chunks = int(rng.integers(3, 25))
    assert np.array_equal(fill_tiled_array(a, chunks), fill_depressions(a), equal_nan=True)


def test_integer_dem_with_nodata_value():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 20, size=(40, 33)).astype("int16")
    a[5, 5] = -1
    assert np.array_equal(fill_tiled_array(a, 8, nodata=-1), fill_depressions(a, nodata=-1), equal_nan=True)


def test_fornebu_tiled_file_equals_in_memory(tmp_path):
    # the bundled real DEM (1450 x 1550), tiles of 300 cells with a ragged last row and column
    from twin.raster import read_dem

    dem = read_dem(FORNEBU)
    ref = fill_depressions(dem.data)
    s, _, _ = fill_tiled(FORNEBU, tmp_path / "filled.tif", chunks=300, scheduler="threads")
    assert s.tiles == 30 and s.graph_nodes > 1000
    with rasterio.open(tmp_path / "filled.tif") as src:
        got = src.read(1, masked=True).filled(np.nan).astype("float64")
        assert src.transform == dem.transform
    assert np.array_equal(got, ref, equal_nan=True)
    assert (got > dem.data).sum() > 1000   # real depressions were filled


def test_cli_chunks_writes_filled_and_equals_the_in_memory_run(tmp_path):
    rng = np.random.default_rng(11)
    a = (rng.random((90, 70)) * 5).astype("float32")
    a[rng.random(a.shape) < 0.03] = np.nan
    dem = write_tif(tmp_path / "dem.tif", a)
    r1 = CliRunner().invoke(main, ["flood", str(dem), "--out", str(tmp_path / "mem")])
    r2 = CliRunner().invoke(main, ["flood", str(dem), "--chunks", "16", "--out", str(tmp_path / "tiled")])
    assert r1.exit_code == 0, r1.output
    assert r2.exit_code == 0, r2.output
    with rasterio.open(tmp_path / "mem" / "filled.tif") as m, rasterio.open(tmp_path / "tiled" / "filled.tif") as t:
        assert np.array_equal(m.read(1), t.read(1))
        assert m.nodata == t.nodata and m.transform == t.transform


@pytest.mark.parametrize("args, word", [
    (["--chunks", "16", "--scheduler", "bogus"], "--scheduler"),
    (["--chunks", "16", "--basins", "b.gpkg"], "b.gpkg"),
    (["--chunks", "4"], "--chunks"),
])
def test_cli_bad_tiled_options_exit_2(tmp_path, args, word):
    dem = write_tif(tmp_path / "dem.tif", np.ones((20, 20)))
    r = CliRunner().invoke(main, ["flood", str(dem), "--out", str(tmp_path / "o")] + args)
    assert r.exit_code == 2
    assert word in r.output and "Traceback" not in r.output


def test_on_a_dask_distributed_local_cluster(tmp_path):
    # CI-sized: an in-process LocalCluster (processes=False), driven both through the
    # Python API (a Client) and through the CLI (the scheduler's address)
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(21)
    a = (rng.random((64, 80)) * 8 + np.linspace(0, 2, 80)[None, :]).astype("float32")
    a[rng.random(a.shape) < 0.02] = np.nan
    dem = write_tif(tmp_path / "dem.tif", a)
    ref = fill_depressions(a)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        s, _, _ = fill_tiled(dem, tmp_path / "api" / "filled.tif", chunks=20, scheduler=client)
        assert s.tiles == 16 and s.scheduler == "Client"
        r = CliRunner().invoke(main, ["flood", str(dem), "--chunks", "20", "--scheduler",
                                      cluster.scheduler_address, "--out", str(tmp_path / "cli")])
        assert r.exit_code == 0, r.output
    for folder in ("api", "cli"):
        with rasterio.open(tmp_path / folder / "filled.tif") as src:
            got = src.read(1, masked=True).filled(np.nan).astype("float64")
        assert np.array_equal(got, ref, equal_nan=True)


def test_processes_scheduler(tmp_path):
    rng = np.random.default_rng(5)
    a = np.round(rng.random((50, 45)) * 6).astype("float32")
    dem = write_tif(tmp_path / "dem.tif", a)
    fill_tiled(dem, tmp_path / "filled.tif", chunks=16, scheduler="processes")
    with rasterio.open(tmp_path / "filled.tif") as src:
        assert np.array_equal(src.read(1).astype("float64"), fill_depressions(a))


def test_unreachable_scheduler_address_is_an_input_error(tmp_path, monkeypatch):
    import twin.flood_tiled

    monkeypatch.setattr(twin.flood_tiled, "CONNECT_TIMEOUT_S", 2)
    dem = write_tif(tmp_path / "dem.tif", np.ones((20, 20)))
    r = CliRunner().invoke(main, ["flood", str(dem), "--chunks", "16", "--scheduler", "tcp://127.0.0.1:1",
                                  "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "cannot reach" in r.output


def _compare_depressions(tiled, mem):
    assert list(tiled["depression_id"]) == list(mem["depression_id"])
    for col in ("area_m2", "max_depth_m", "spill_elev_m"):
        assert np.array_equal(tiled[col].to_numpy(), mem[col].to_numpy()), col
    assert np.allclose(tiled["volume_m3"], mem["volume_m3"], rtol=1e-9, atol=0)
    for col in ("pour_x", "pour_y", "watershed_area_m2", "downstream_id"):
        assert np.array_equal(tiled[col].to_numpy(dtype="float64"), mem[col].to_numpy(dtype="float64"),
                              equal_nan=True), col
    for g1, g2 in zip(tiled.geometry, mem.geometry):
        # the same cells; a depression joined through a cell corner is one self-touching
        # polygon in memory (as GDAL's polygonize) and a valid multipolygon when its
        # pieces were unioned across tiles, so compare point sets, not representations
        assert g1.area == g2.area
        assert g1.symmetric_difference(g2).area == 0


@pytest.mark.parametrize("seed", range(6))
def test_depressions_across_tiles_equal_in_memory(seed):
    # one id, one volume and one outline per depression, wherever the tile borders cut it
    from twin.flood import FloodParams, screen
    from twin.flood_tiled import depressions_tiled
    from twin.raster import Raster
    from pyproj import CRS

    rng = np.random.default_rng(50 + seed)
    a = (rng.random((60, 75)) * 4 + np.linspace(0, 1, 75)[None, :]).astype("float32").astype("float64")
    if seed % 2:
        a = np.round(a * 2) / 2
    if seed % 3 == 0:
        a[rng.random(a.shape) < 0.03] = np.nan
    dem = Raster(a, T, CRS.from_epsg(25833))
    params = FloodParams(min_depth_m=0.0, min_area_m2=0.0, min_volume_m3=0.0) if seed < 3 else FloodParams()
    mem = screen(dem, params=params).depressions
    tiled, _ = depressions_tiled(dem, int(rng.integers(5, 20)), params=params)
    assert len(mem) > (20 if seed < 3 else 0)
    _compare_depressions(tiled, mem)


def test_bowl_on_tile_corners_is_one_depression():
    from pyproj import CRS

    from twin.flood import FloodParams
    from twin.flood_tiled import depressions_tiled
    from twin.raster import Raster

    d, _ = depressions_tiled(Raster(bowl_on_tile_corners(), T, CRS.from_epsg(25833)), 4,
                          params=FloodParams(min_depth_m=0.0, min_area_m2=0.0, min_volume_m3=0.0))
    assert len(d) == 1
    assert d["volume_m3"].iloc[0] == pytest.approx(36 * 5.0)     # 6 x 6 cells, 5 m deep, 1 m2 each
    assert d.geometry.iloc[0].area == pytest.approx(36.0)


def two_pits_sharing_a_flat() -> np.ndarray:
    # B (cols 1-2) and A (cols 6-7), both 1 m deep pits in a 9 m wall, joined by a flat F
    # at 3 m (cols 3-5) that has no exit of its own; A's rim (col 8, 3 m) drains down a
    # channel at 2 m to the east edge. By hand: both fill to 3 m; B's rim is F, which
    # drains into a pit at the same level, so B has no exit of its own: its overflow
    # goes over F (first F cell in raster order: row 2, col 3) into A (Barnes et al.
    # 2021: they merge once full), and A's overflow leaves the area at col 8.
    a = np.full((7, 14), 9.0)
    a[2:4, 1:3] = 1.0
    a[2:4, 3:6] = 3.0
    a[2:4, 6:8] = 1.0
    a[2:4, 8] = 3.0
    a[2:4, 9:14] = 2.0
    return a


@pytest.mark.parametrize("chunks", [3, 4, 5, 7])
def test_pour_points_and_targets_across_tiles_by_hand(chunks):
    from pyproj import CRS

    from twin.flood import FloodParams
    from twin.flood_tiled import depressions_tiled
    from twin.raster import Raster

    from twin.flood import screen

    dem = Raster(two_pits_sharing_a_flat(), T, CRS.from_epsg(25833))
    params = FloodParams(min_depth_m=0.0, min_area_m2=0.0, min_volume_m3=0.0)
    d, _ = depressions_tiled(dem, chunks, params=params)
    assert list(d["depression_id"]) == [1, 2] and list(d["downstream_id"]) == [2, -1]
    # cell centres: x = 500000 + col + 0.5, y = 6600000 - row - 0.5
    assert list(d["pour_x"]) == [500003.5, 500008.5] and list(d["pour_y"]) == [6599997.5, 6599997.5]
    assert list(d["watershed_area_m2"]) == list(screen(dem, params=params).depressions["watershed_area_m2"])


@pytest.mark.parametrize("seed", range(8))
def test_flats_and_sea_across_tiles_equal_in_memory(seed):
    # coarse elevations (flats and ties everywhere), a sea at -1 m on the raster edge (one
    # flat across many tiles), a plateau, nodata: flow directions on flats are drained
    # breadth-first, so a flat cut by tile borders must give the same watersheds and targets
    from pyproj import CRS

    from twin.flood import FloodParams, screen
    from twin.flood_tiled import depressions_tiled
    from twin.raster import Raster

    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(20, 80, size=2))
    a = np.round(rng.random(shape) * 3 + np.linspace(0, 2, shape[1])[None, :])
    if seed % 2:
        a[: shape[0] // 3, : shape[1] // 2] = -1.0
    if seed % 3 == 0:
        a[rng.random(shape) < 0.04] = np.nan
    if seed % 4 == 0:
        a[5:15, 5:25] = 2.0
    dem = Raster(a, Affine(2.0, 0.0, 500000.0, 0.0, -2.0, 6600000.0), CRS.from_epsg(25833))
    params = FloodParams(min_depth_m=0.0, min_area_m2=0.0, min_volume_m3=0.0)
    mem = screen(dem, params=params).depressions
    tiled, _ = depressions_tiled(dem, int(rng.integers(3, 17)), params=params)
    assert len(mem) > 20
    _compare_depressions(tiled, mem)


def test_fornebu_depressions_tiled_equal_in_memory(tmp_path):
    from twin.flood import screen
    from twin.raster import read_dem

    dem = read_dem(FORNEBU)
    mem = screen(dem).depressions
    r = CliRunner().invoke(main, ["flood", FORNEBU, "--chunks", "256", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    import geopandas as gpd

    tiled = gpd.read_file(tmp_path / "depressions.gpkg").sort_values("depression_id", ignore_index=True)
    assert len(tiled) == len(mem) > 20
    _compare_depressions(tiled, mem)


def test_building_exposure_across_tiles_equals_in_memory():
    # footprints crossing tile borders and corners, water within the 1-cell buffer in
    # the neighbour tile, tiny sheds that cover no cell centre (their point's cell)
    import geopandas as gpd
    import shapely
    from pyproj import CRS

    from twin.flood import FloodParams, screen
    from twin.flood_tiled import depressions_tiled
    from twin.raster import Raster

    rng = np.random.default_rng(8)
    a = (rng.random((70, 64)) * 3 + np.linspace(0, 1, 64)[None, :]).astype("float32").astype("float64")
    a[rng.random(a.shape) < 0.02] = np.nan
    dem = Raster(a, T, CRS.from_epsg(25833))
    # footprints do not overlap (as in a building register): one per 7 m lattice cell
    gx, gy = np.meshgrid(np.arange(9) * 7.0, np.arange(10) * 7.0)
    n = gx.size
    size = np.where(np.arange(n) % 10 == 0, 0.3, rng.uniform(1, 6.5, n))
    x = 500000 + gx.ravel() + rng.uniform(0, 7 - size)
    y = 6600000 - 70 + gy.ravel() + rng.uniform(0, 7 - size)
    b = gpd.GeoDataFrame({"building_id": np.arange(n)}, geometry=shapely.box(x, y, x + size, y + size),
                         crs="EPSG:25833")
    params = FloodParams(min_depth_m=0.0, min_area_m2=2.0, min_volume_m3=0.0, building_buffer_m=1.0)
    mem = screen(dem, buildings=b, params=params)
    deps, tiled = depressions_tiled(dem, 16, params=params, buildings=b)
    assert np.array_equal(tiled["in_low_lying_area"], mem.buildings["in_low_lying_area"])
    assert np.allclose(tiled["flood_depth_m"], mem.buildings["flood_depth_m"], rtol=1e-9, atol=0, equal_nan=True)
    assert mem.buildings["in_low_lying_area"].sum() > 10 and (mem.buildings["flood_depth_m"] > 0).sum() > 20


def test_fornebu_cli_tiled_buildings(tmp_path):
    import geopandas as gpd

    from twin.flood import screen
    from twin.raster import read_dem

    bpath = "twin/data/districts/fornebu/buildings.gpkg"
    dem = read_dem(FORNEBU)
    b = gpd.read_file(bpath).to_crs(dem.crs)
    mem = screen(dem, buildings=b)
    r = CliRunner().invoke(main, ["flood", FORNEBU, "--chunks", "400", "--buildings", bpath, "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    tiled = gpd.read_file(tmp_path / "buildings.gpkg")
    assert np.array_equal(tiled["in_low_lying_area"], mem.buildings["in_low_lying_area"])
    assert np.allclose(tiled["flood_depth_m"], mem.buildings["flood_depth_m"], rtol=1e-9, atol=0, equal_nan=True)
    assert f"flooded buildings: {mem.flooded_buildings:,}" in r.output


def test_cli_chunks_bad_dem_is_one_line_exit_2(tmp_path):
    # validated at open, as the in-memory path does: missing file, degrees
    r = CliRunner().invoke(main, ["flood", str(tmp_path / "nope.tif"), "--chunks", "64", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "file not found" in r.output
    with rasterio.open(tmp_path / "deg.tif", "w", driver="GTiff", height=20, width=20, count=1, dtype="float32",
                       crs="EPSG:4326", transform=Affine(0.001, 0, 10.6, 0, -0.001, 59.9)) as dst:
        dst.write(np.ones((1, 20, 20), dtype="float32"))
    r = CliRunner().invoke(main, ["flood", str(tmp_path / "deg.tif"), "--chunks", "64", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "not in metres" in r.output and "Traceback" not in r.output


def _tiled_rain(dem, chunks, rain_mm, params, buildings=None):
    """fill_tiled with rain on an in-memory Raster: (summary, depressions, buildings, water depth)."""
    import tempfile
    from pathlib import Path

    import pandas as pd

    from twin.raster import write_geotiff

    parts = []
    with tempfile.TemporaryDirectory() as tmp:
        path = write_geotiff(Path(tmp) / "dem.tif", dem, dtype="float64")
        s, _, out_b = fill_tiled(path, Path(tmp) / "filled.tif", chunks=chunks, scheduler="synchronous",
                                 params=params, buildings=buildings, sink=parts.append, rain_mm=rain_mm)
        with rasterio.open(Path(tmp) / "water_depth.tif") as src:
            wd = src.read(1, masked=True).filled(np.nan).astype("float64")
        assert sorted(p.name for p in Path(tmp).iterdir()) == ["dem.tif", "filled.tif", "water_depth.tif"]
    return s, pd.concat(parts).sort_values("depression_id", ignore_index=True), out_b, wd


WATER = ("water_volume_m3", "water_level_m", "water_depth_max_m", "filled_share")


def _compare_rain(s, deps, wd, mem):
    _compare_depressions(deps, mem.depressions)
    for col in WATER:
        assert np.allclose(deps[col], mem.depressions[col], rtol=1e-9, atol=1e-12, equal_nan=True), col
    for k, v in mem.balance.items():
        assert s.balance[k] == pytest.approx(v, rel=1e-9, abs=1e-9), k
    # water depth file: float32 of the in-memory grid
    assert np.array_equal(wd, mem.water_depth.astype("float32").astype("float64"), equal_nan=True)


@pytest.mark.parametrize("seed", range(8))
def test_rain_across_tiles_equals_in_memory(seed):
    # fill-spill-merge on depressions cut by tile borders and corners: the water in every
    # depression, its level and depth, the water depth grid and the balance
    from pyproj import CRS

    from twin.flood import FloodParams, screen
    from twin.raster import Raster

    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(20, 70, size=2))
    a = (rng.random(shape) * 4 + np.linspace(0, 2, shape[1])[None, :]).astype("float32").astype("float64")
    if seed % 2:
        a = np.round(a * 2) / 2
    if seed % 3 == 0:
        a[rng.random(shape) < 0.04] = np.nan
    dem = Raster(a, T, CRS.from_epsg(25833))
    rain = float(rng.choice([5.0, 30.0, 200.0]))
    params = FloodParams(min_depth_m=0.0, min_area_m2=0.0, min_volume_m3=0.0) if seed < 5 else FloodParams()
    mem = screen(dem, rain_mm=rain, params=params)
    s, deps, _, wd = _tiled_rain(dem, int(rng.integers(3, 17)), rain, params)
    assert mem.balance["stored_m3"] > 0 and mem.balance["outflow_m3"] > 0
    _compare_rain(s, deps, wd, mem)


def test_rain_water_balance_closes_by_hand():
    # the bowl on four tile corners (36 cells, 5 m below its 6 m channel): 100 mm on the
    # 144 cells of 1 m2 is 14.4 m3; by hand the bowl keeps the rain of the cells that drain
    # into it and the rest flows out; the balance closes whatever the tiling
    from pyproj import CRS

    from twin.flood import FloodParams
    from twin.raster import Raster

    dem = Raster(bowl_on_tile_corners(), T, CRS.from_epsg(25833))
    s, deps, _, wd = _tiled_rain(dem, 4, 100.0, FloodParams(min_depth_m=0.0, min_area_m2=0.0, min_volume_m3=0.0))
    b = s.balance
    assert b["rain_m3"] == pytest.approx(14.4) and b["loss_m3"] == pytest.approx(0.0)
    assert b["stored_m3"] + b["outflow_m3"] == pytest.approx(b["rain_m3"])
    assert len(deps) == 1 and deps["water_volume_m3"].iloc[0] == pytest.approx(b["stored_m3"])
    # far from full (180 m3): the water lies flat at 1 m + stored / 36 m2
    assert deps["water_level_m"].iloc[0] == pytest.approx(1.0 + b["stored_m3"] / 36.0)
    assert np.allclose(wd[3:9, 3:9], b["stored_m3"] / 36.0, rtol=1e-6)


def test_fornebu_rain_50mm_tiled_equals_in_memory(tmp_path):
    # the bundled real DEM with its basins, 50 mm, roofs as runoff surfaces, buildings
    # flooded by the water after the rain; tiles of 256 cells cut its depressions
    import geopandas as gpd

    from twin.flood import FloodParams, screen
    from twin.raster import read_dem

    bpath = "twin/data/districts/fornebu/buildings.gpkg"
    basins_path = "twin/data/districts/fornebu/basins.gpkg"
    dem = read_dem(FORNEBU)
    b = gpd.read_file(bpath).to_crs(dem.crs)
    basins = gpd.read_file(basins_path).to_crs(dem.crs)
    params = FloodParams(uniform_runoff=False)
    mem = screen(dem, buildings=b, basins=basins, rain_mm=50.0, params=params)
    assert mem.basins["stored_m3"].sum() > 0
    r = CliRunner().invoke(main, ["flood", FORNEBU, "--chunks", "256", "--rain-mm", "50", "--runoff-coefficients",
                                  "--buildings", bpath, "--basins", basins_path, "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    deps = gpd.read_file(tmp_path / "depressions.gpkg").sort_values("depression_id", ignore_index=True)
    assert len(deps) == len(mem.depressions) > 20
    _compare_depressions(deps, mem.depressions)
    for col in WATER:
        assert np.allclose(deps[col], mem.depressions[col], rtol=1e-9, atol=1e-12, equal_nan=True), col
    tb = gpd.read_file(tmp_path / "buildings.gpkg")
    assert np.allclose(tb["flood_depth_m"], mem.buildings["flood_depth_m"], rtol=1e-9, atol=0, equal_nan=True)
    assert np.array_equal(tb["in_low_lying_area"], mem.buildings["in_low_lying_area"])
    assert f"flooded buildings: {mem.flooded_buildings:,}" in r.output
    assert f"rain {mem.balance['rain_m3']:,.0f} m³: {mem.balance['stored_m3']:,.0f} m³ stays" in r.output
    with rasterio.open(tmp_path / "water_depth.tif") as src:
        wd = src.read(1, masked=True).filled(np.nan).astype("float64")
    assert np.array_equal(wd, mem.water_depth.astype("float32").astype("float64"), equal_nan=True)


@pytest.mark.parametrize("seed", range(6))
def test_basins_across_tiles_equal_in_memory(seed):
    # basins on flow paths (catching upstream runoff, passing the rest on along each path),
    # in depressions (attached to the smallest sub-depression holding them), over tile
    # borders, and tiny ones covering no cell centre (their point's cell)
    import geopandas as gpd
    import shapely
    from pyproj import CRS

    from twin.flood import FloodParams, screen
    from twin.raster import Raster

    rng = np.random.default_rng(100 + seed)
    shape = tuple(int(v) for v in rng.integers(30, 70, size=2))
    a = (rng.random(shape) * 3 + np.linspace(0, 4, shape[1])[None, :]).astype("float32").astype("float64")
    if seed % 2:
        a = np.round(a * 2) / 2
    if seed % 3 == 0:
        a[rng.random(shape) < 0.03] = np.nan
    dem = Raster(a, T, CRS.from_epsg(25833))
    n = 14
    size = np.where(np.arange(n) % 5 == 0, 0.3, rng.uniform(1.5, 6, n))
    x = 500000 + rng.uniform(0, shape[1] - 6, n)
    y = 6600000 - rng.uniform(6, shape[0], n)
    basins = gpd.GeoDataFrame({"basin_id": [f"b{k}" for k in range(n)], "volume_m3": rng.uniform(0.02, 2, n)},
                              geometry=shapely.box(x, y, x + size, y + size), crs="EPSG:25833")
    params = FloodParams(min_depth_m=0.0, min_area_m2=0.0, min_volume_m3=0.0) if seed < 3 else FloodParams()
    rain = float(rng.choice([20.0, 80.0]))
    mem = screen(dem, basins=basins, rain_mm=rain, params=params)
    import tempfile
    from pathlib import Path

    import pandas as pd

    from twin.raster import write_geotiff

    parts = []
    with tempfile.TemporaryDirectory() as tmp:
        path = write_geotiff(Path(tmp) / "dem.tif", dem, dtype="float64")
        s, _, _ = fill_tiled(path, Path(tmp) / "filled.tif", chunks=int(rng.integers(4, 17)), scheduler="synchronous",
                             params=params, sink=parts.append, rain_mm=rain, basins=basins)
        with rasterio.open(Path(tmp) / "water_depth.tif") as src:
            wd = src.read(1, masked=True).filled(np.nan).astype("float64")
    deps = pd.concat(parts).sort_values("depression_id", ignore_index=True)
    assert mem.basins["stored_m3"].sum() > 0 and (mem.basins["overflow_m3"] > 0).any()
    _compare_rain(s, deps, wd, mem)
    for col in ("capacity_m3", "inflow_m3", "stored_m3", "overflow_m3"):
        assert np.allclose(s.basins[col], mem.basins[col], rtol=1e-9, atol=1e-9), col


def test_twin_run_uses_the_tiled_path_above_the_memory_limit(monkeypatch):
    # the bundled Fornebu district (1450 x 1550 cells, about 0.34 GB in memory at
    # 150 B/cell) with its basins and the 50 mm baseline rain: with the limit lowered to
    # 0.1 GB it is screened in tiles of 577 cells (2 workers), which cut its depressions;
    # every indicator equals the in-memory run, and `twin check` accepts the district
    import twin
    from twin.flood import FloodParams
    from twin.flood_tiled import tile_side

    folder = "twin/data/districts/fornebu"
    scenario = twin.load_scenario("twin/data/scenarios/baseline.yaml")
    ref = twin.evaluate(twin.load_district(folder), scenario)
    monkeypatch.setenv("TWIN_FLOOD_MAX_MEMORY_GB", "0.1")
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert tile_side(FloodParams()) == 577
    import twin.flood_tiled as ft

    calls = []
    real = ft.fill_tiled
    monkeypatch.setattr(ft, "fill_tiled", lambda *a, **k: calls.append(k["chunks"]) or real(*a, **k))
    got = twin.evaluate(twin.load_district(folder), scenario)
    assert calls and set(calls) == {577}   # the scenario and its reference year
    assert got.indicators["flood_volume_m3"] > 0 and got.indicators["rain_mm"] == 50
    for name, v in ref.indicators.items():
        w = got.indicators[name]
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v:
            assert w == pytest.approx(v, rel=1e-9, abs=1e-9), name
        else:
            assert w == v or (v != v and w != w), name
    for k, v in ref.extra["flood_balance"].items():
        assert got.extra["flood_balance"][k] == pytest.approx(v, rel=1e-9, abs=1e-9), k
    r = CliRunner().invoke(main, ["check", folder])
    assert r.exit_code == 0, r.output


def test_memory_limit_variable_is_checked(monkeypatch, tmp_path):
    dem = write_tif(tmp_path / "dem.tif", np.ones((20, 20)))
    monkeypatch.setenv("TWIN_FLOOD_MAX_MEMORY_GB", "lots")
    r = CliRunner().invoke(main, ["flood", str(dem), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "TWIN_FLOOD_MAX_MEMORY_GB" in r.output and "Traceback" not in r.output
    monkeypatch.setenv("TWIN_FLOOD_MAX_MEMORY_GB", "0.00001")    # 400 cells x 150 B = 0.00006 GB
    r = CliRunner().invoke(main, ["flood", str(dem), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "--chunks" in r.output
