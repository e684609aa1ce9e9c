"""Tests of twin.flood: hand-made DEMs with exact answers, peers, conservation, properties."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pyproj import CRS

from twin.flood import FloodParams, fill_depressions, screen
from twin.raster import Raster

CRS_ = CRS.from_epsg(25833)
X0, Y0 = 500000.0, 6600000.0
T = Affine(1.0, 0.0, X0, 0.0, -1.0, Y0)
ALL = FloodParams(uniform_runoff=True, min_depth_m=0.0, min_area_m2=0.0, min_volume_m3=0.0)


def raster(a: np.ndarray) -> Raster:
    return Raster(np.asarray(a, dtype="float64"), T, CRS_)


def balance_ok(b: dict) -> bool:
    lhs = b["rain_m3"]
    rhs = b["stored_m3"] + b["basin_m3"] + b["outflow_m3"] + b["loss_m3"]
    return abs(lhs - rhs) <= 1e-6 * max(1.0, lhs)


# --------------------------------------------------------------------------- fixtures
def bowl() -> np.ndarray:
    """5x5: interior 3x3 at 1 m, rim 3 m, an outlet notch at 2.5 m in the top edge."""
    a = np.full((5, 5), 3.0)
    a[1:4, 1:4] = 1.0
    a[0, 2] = 2.5
    return a


def two_bowls() -> np.ndarray:
    """Left bowl (5 m, saddle 6 m) spills down a slope into the right bowl (0 m, outlet 2 m)."""
    a = np.full((5, 10), 9.0)
    a[1:4, 1:4] = 5.0
    a[2, 4] = 6.0
    a[2, 5] = 4.5
    a[1:4, 6:9] = 0.0
    a[2, 9] = 2.0
    return a


def nested() -> np.ndarray:
    """Two sub-bowls (1 m and 0 m) merging at a 3 m saddle under a common 4 m spill."""
    a = np.full((5, 9), 10.0)
    a[1:4, 1:4] = 1.0
    a[2, 4] = 3.0
    a[1:4, 5:8] = 0.0
    a[2, 8] = 4.0
    return a


# --------------------------------------------------------------------------- filling
def test_wang_liu_example_exact():
    # Wang & Liu (2006) 5x7 example as used in pyflwdir's tests/test_dem.py
    a = np.array([[15, 15, 14, 15, 12, 6, 12],
                  [14, 13, 10, 12, 15, 17, 15],
                  [15, 15, 9, 11, 8, 15, 15],
                  [16, 17, 8, 16, 15, 7, 5],
                  [19, 18, 19, 18, 17, 15, 14]], dtype="float64")
    expected = a.copy()
    expected[1:4, 2] = 11
    assert np.array_equal(fill_depressions(a), expected)


def test_bowl_fill_exact():
    f = fill_depressions(bowl())
    expected = bowl()
    expected[1:4, 1:4] = 2.5
    assert np.array_equal(f, expected)


def test_flats_and_plateau():
    a = np.full((6, 6), 5.0)       # a flat plateau: nothing to fill
    assert np.array_equal(fill_depressions(a), a)
    a[2:4, 2:4] = 4.0              # a flat-bottomed pit
    assert np.array_equal(fill_depressions(a), np.full((6, 6), 5.0))


def test_nodata_hole_is_an_outlet_and_stays_nan():
    a = bowl()
    a[2, 2] = np.nan               # a hole in the bowl: the bowl drains into it
    f = fill_depressions(a)
    assert np.isnan(f[2, 2])
    assert np.array_equal(f[~np.isnan(a)], a[~np.isnan(a)])
    b = bowl()
    b[2, 2] = -9999.0
    assert np.isnan(fill_depressions(b, nodata=-9999.0)[2, 2])


def test_nodata_border_cells_next_to_nodata_are_outlets():
    a = np.full((7, 7), np.nan)
    a[1:6, 1:6] = bowl()
    a[1, 3] = 3.0                  # close the notch: the bowl now fills to the rim
    f = fill_depressions(a)
    assert np.array_equal(f[2:5, 2:5], np.full((3, 3), 3.0))
    assert np.isnan(f[0]).all() and np.isnan(f[:, 0]).all()


def test_float64_path_and_negative_elevations():
    # values that are not float32 take the float64 kernel; below sea level works too
    a = bowl() - 10.0 + 1e-9
    f = fill_depressions(a)
    assert np.array_equal(f[1:4, 1:4], np.full((3, 3), a[0, 2]))
    b = bowl().astype("float32").astype("float64") - 10.0
    assert np.array_equal(fill_depressions(b)[1:4, 1:4], np.full((3, 3), -7.5))


@pytest.mark.parametrize("seed", range(12))
def test_fill_equals_pyflwdir(seed):
    pyflwdir_dem = pytest.importorskip("pyflwdir.dem")
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(2, 40, size=2))
    a = rng.random(shape).astype("float32").astype("float64") * 10 - 5
    if seed % 4 == 1:
        a = a + rng.random(shape) * 1e-3   # not float32: the float64 kernel
    if seed % 3 == 0:
        a = np.round(a)             # many flats and ties
    if seed % 2 == 0:
        a[rng.random(shape) < 0.1] = -9999.0
    ref, _ = pyflwdir_dem.fill_depressions(a.copy(), nodata=-9999.0)
    ours = fill_depressions(a, nodata=-9999.0)
    valid = a != -9999.0
    assert np.allclose(ours[valid], ref[valid], rtol=0, atol=1e-5)
    assert np.isnan(ours[~valid]).all()


@pytest.mark.parametrize("seed", range(4))
def test_fill_paths_agree_on_pitted_terrain(seed):
    # the float32 key path and the rank-surrogate path (any dtype) of the one kernel
    # and pyflwdir give the same surface; rounding makes ties, which put far more than
    # one 7-key block of rim cells into one queue bin; the caller's array is left as it was
    pyflwdir_dem = pytest.importorskip("pyflwdir.dem")
    from twin.flood import from_rank_surrogate, rank_surrogate

    rng = np.random.default_rng(100 + seed)
    a = (rng.random((120, 97)) * 10 + np.linspace(0, 3, 97)[None, :]).astype("float32")
    if seed % 2:
        a = np.round(a)
    a[rng.random(a.shape) < 0.02] = np.nan
    before = a.copy()
    ours = fill_depressions(a)
    assert np.array_equal(a, before, equal_nan=True)
    sur, values = rank_surrogate(a, None)
    assert sur.dtype == np.float32 and len(values) == len(np.unique(a[~np.isnan(a)]))
    by_rank = from_rank_surrogate(fill_depressions(sur), values)
    assert np.array_equal(ours, by_rank, equal_nan=True)
    ref, _ = pyflwdir_dem.fill_depressions(np.nan_to_num(a, nan=-9999.0).astype("float64"), nodata=-9999.0)
    valid = ~np.isnan(a)
    assert np.allclose(ours[valid], ref[valid], rtol=0, atol=1e-5)
    assert (ours[valid] >= a[valid]).all() and (ours[valid] > a[valid]).sum() > 100


def _priority_flood(a: np.ndarray) -> np.ndarray:
    """Plain Priority-Flood (Barnes, Lehman & Mulla 2014, Algorithm 1) with a heap:
    an independent reference for tiny DEMs (NaN = nodata, the edge and cells next to
    nodata are outlets, 8-connectivity)."""
    import heapq

    nr, nc = a.shape
    f = a.astype("float64").copy()
    closed = np.isnan(f)
    heap = []
    for r in range(nr):
        for c in range(nc):
            if closed[r, c]:
                continue
            nb = [(r + dr, c + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]
            if any(not (0 <= rr < nr and 0 <= cc < nc) or np.isnan(a[rr, cc]) for rr, cc in nb):
                closed[r, c] = True
                heapq.heappush(heap, (f[r, c], r, c))
    while heap:
        z, r, c = heapq.heappop(heap)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = r + dr, c + dc
                if (dr or dc) and 0 <= rr < nr and 0 <= cc < nc and not closed[rr, cc]:
                    closed[rr, cc] = True
                    f[rr, cc] = max(f[rr, cc], z)
                    heapq.heappush(heap, (f[rr, cc], rr, cc))
    return f


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.int8, st.tuples(st.integers(1, 14), st.integers(1, 14)), elements=st.integers(-1, 5)))
def test_property_fill_equals_plain_priority_flood(a):
    # small integer DEMs: many flats and ties, -1 = nodata; bit for bit equal
    dem = np.where(a < 0, np.nan, a.astype("float64"))
    assert np.array_equal(fill_depressions(dem), _priority_flood(dem), equal_nan=True)


def serpentine(n: int = 15) -> np.ndarray:
    """An n x n grid (n odd) of 9 m walls with a 1 m corridor that enters through a notch
    in the top edge and winds row by row, left to right then right to left, down to a
    0 m pit at its end: the pit's only way out is the whole corridor, which runs
    against one of the two raster scans on every other row (the slow case of the scans)."""
    a = np.full((n, n), 9.0)
    a[0, 1] = 1.0                       # the notch: an outlet at 1 m
    rows = list(range(1, n - 1, 2))
    for k, r in enumerate(rows):
        a[r, 1:n - 1] = 1.0
        if k + 1 < len(rows):
            a[r + 1, n - 2 if k % 2 == 0 else 1] = 1.0   # the turn to the next row
    last = rows[-1]
    a[last, n - 2 if len(rows) % 2 == 1 else 1] = 0.0    # the end of the corridor
    return a


def test_serpentine_corridor_fills_its_end_pit_to_the_corridor():
    # by hand: the pit at the end of the corridor spills back along it at 1 m; walls,
    # corridor and notch keep their values
    for n in (9, 15, 41):
        a = serpentine(n)
        assert (a == 0.0).sum() == 1 and (a == 1.0).sum() > 2 * n
        expected = np.where(a == 0.0, 1.0, a)
        assert np.array_equal(fill_depressions(a), expected)
        assert np.array_equal(fill_depressions(a.astype("float32")), expected)
        assert np.array_equal(fill_depressions(a.T.copy()), expected.T)


def test_spill_against_the_forward_scan():
    # a pit that drains only through its bottom-right corner (the forward scan comes
    # from the top-left): by hand it fills to the 2 m notch, not to the 8 m rim
    a = np.full((6, 6), 8.0)
    a[1:5, 1:5] = 1.0
    a[5, 5] = 2.0
    a[4, 4] = 0.5
    expected = np.full((6, 6), 8.0)
    expected[1:5, 1:5] = 2.0
    expected[5, 5] = 2.0
    assert np.array_equal(fill_depressions(a), expected)
    assert np.array_equal(fill_depressions(a[::-1, ::-1].copy()), expected[::-1, ::-1])


def _peer_cases():
    """Small DEMs for the peers: fractal-like noise with a tilt, with nodata holes, with
    flats (rounded), blocky flats, and the bundled Fornebu DEM's corner (real terrain)."""
    rng = np.random.default_rng(42)
    base = (rng.random((150, 130)) * 6 + np.linspace(0, 4, 130)[None, :]).astype("float32")
    holes = base.copy()
    holes[rng.random(base.shape) < 0.03] = np.nan
    holes[40:60, 30:55] = np.nan
    flats = np.round(base)
    blocks = (np.kron(rng.uniform(0, 30, (20, 17)), np.ones((8, 8))) + 0.5 * rng.integers(0, 2, (160, 136)))
    return {"noise": base, "nodata": holes, "flats": flats, "blocky": blocks.astype("float32")}


def _fornebu_corner():
    import rasterio

    from twin.district import default_district_path
    with rasterio.open(default_district_path() / "dem.tif") as src:
        return src.read(1, window=((300, 560), (200, 470))).astype("float32")


@pytest.mark.parametrize("case", ["noise", "nodata", "flats", "blocky", "fornebu"])
def test_fill_bit_identical_to_topotoolbox_and_richdem(case):
    # two independent exact implementations (topotoolbox: hybrid reconstruction in C;
    # richdem2: Priority-Flood in C++) give the same float32 surface bit for bit
    tt = pytest.importorskip("topotoolbox")
    rd = pytest.importorskip("richdem")
    a = _fornebu_corner() if case == "fornebu" else _peer_cases()[case]
    ours = fill_depressions(a)
    g = tt.GridObject()
    g.z = a.copy()
    g.cellsize = 1.0
    topo = np.asarray(g.fillsinks(hybrid=True).z, dtype="float64")
    assert np.array_equal(ours, topo, equal_nan=True)
    if case != "nodata":
        # richdem2 2.4 fills no_data cells as if they were terrain (its rdarray no_data is
        # not an outlet), so it is compared on the DEMs without nodata only
        rdin = rd.rdarray(a.copy(), no_data=-9999.0)
        rich = np.asarray(rd.FillDepressions(rdin, epsilon=False, topology="D8", in_place=False), dtype="float64")
        assert np.array_equal(ours, rich)
    else:
        assert np.isnan(ours[np.isnan(a)]).all()


@pytest.mark.parametrize("seed", range(6))
def test_labels_join_each_cell_to_its_seed_below_its_level(seed):
    # the kernel's watershed labels (tiled fill, Barnes 2016): every cell's seed is an
    # outlet, and a path of cells no higher (filled) than the cell joins them
    from collections import deque

    from twin.flood import flood_keys

    rng = np.random.default_rng(seed)
    a = np.round(rng.random((17, 23)) * 5 + np.linspace(0, 2, 23)[None, :], 1)
    if seed % 2:
        a[rng.random(a.shape) < 0.08] = np.nan
    f, lab, seeds = flood_keys(a, None, label=True)
    nr, nc = a.shape
    lab2 = lab.reshape(nr + 2, nc + 2)[1:-1, 1:-1]
    valid = ~np.isnan(a)
    assert (lab2[valid] > 0).all() and (lab2[~valid] == 0).all()
    assert np.array_equal(np.sort(seeds), seeds) and len(seeds) == lab.max()
    for k, s in enumerate(seeds, 1):
        r, c = divmod(int(s), nc + 2)
        assert lab[s] == k and f[r - 1, c - 1] == a[r - 1, c - 1]   # an outlet keeps its value
    for r, c in zip(*np.nonzero(valid)):
        s = int(seeds[lab2[r, c] - 1])
        start = (s // (nc + 2) - 1, s % (nc + 2) - 1)
        seen = {start}
        todo = deque([start])
        while todo and (r, c) not in seen:
            y, x = todo.popleft()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    q = (y + dy, x + dx)
                    if 0 <= q[0] < nr and 0 <= q[1] < nc and q not in seen and valid[q] and f[q] <= f[r, c]:
                        seen.add(q)
                        todo.append(q)
        assert (r, c) in seen


def test_fill_float32_input_same_as_float64():
    # the float32 fast path (keys read straight from the input) equals the float64 path;
    # nodata compares in the array's dtype, as ``dem == nodata`` does
    rng = np.random.default_rng(7)
    a32 = (rng.random((30, 41)) * 10).astype("float32")
    a32[rng.random(a32.shape) < 0.1] = np.float32(0.1)
    ours = fill_depressions(a32, nodata=0.1)
    ref = fill_depressions(np.where(a32 == np.float32(0.1), np.nan, a32.astype("float64")))
    assert np.array_equal(ours, ref, equal_nan=True)
    assert ours.dtype == np.float64 and np.isnan(ours[a32 == np.float32(0.1)]).all()


@pytest.mark.parametrize("seed", range(4))
def test_depression_polygons_equal_gdal_polygonize(seed):
    # outlines traced by twin equal GDAL's polygonize (rasterio.features.shapes,
    # 8-connectivity) cell for cell, holes and corner contacts included
    from rasterio.features import shapes

    rng = np.random.default_rng(seed)
    a = np.round(rng.random((25, 33)) * 4)
    res = screen(raster(a), params=ALL)
    dep = res.filled > a
    lab = np.zeros(a.shape, dtype="int32")
    cc, rr = np.meshgrid(np.arange(a.shape[1]) + 0.5, np.arange(a.shape[0]) + 0.5)
    xs, ys = X0 + cc, Y0 - rr
    for k, g in enumerate(res.depressions.geometry, start=1):
        lab[shapely.contains_xy(g, xs, ys)] = k
    assert np.array_equal(lab > 0, dep)
    gdal = {int(v): shapely.geometry.shape(geom) for geom, v in
            shapes(lab, mask=lab > 0, connectivity=8, transform=T)}
    assert len(gdal) == len(res.depressions)
    for k, g in enumerate(res.depressions.geometry, start=1):
        assert shapely.equals_exact(shapely.normalize(g), shapely.normalize(gdal[k]), tolerance=0)


# --------------------------------------------------------------------------- depressions
def test_bowl_statistics():
    res = screen(raster(bowl()), params=ALL)
    d = res.depressions
    assert len(d) == 1
    row = d.iloc[0]
    assert row.area_m2 == 9.0
    assert row.volume_m3 == pytest.approx(13.5)
    assert row.max_depth_m == pytest.approx(1.5)
    assert row.spill_elev_m == 2.5
    assert (row.pour_x, row.pour_y) == (X0 + 2.5, Y0 - 0.5)
    assert row.downstream_id == -1
    assert d.geometry.iloc[0].area == pytest.approx(9.0)
    assert res.balance["fill_volume_m3"] == pytest.approx(13.5)


def test_filters_drop_small_depressions():
    p = FloodParams(uniform_runoff=True, min_depth_m=2.0, min_area_m2=0.0, min_volume_m3=0.0)
    assert len(screen(raster(bowl()), params=p).depressions) == 0


def test_bowl_rain_level_from_hypsometry():
    res = screen(raster(bowl()), rain_mm=100.0, params=ALL)
    row = res.depressions.iloc[0]
    inflow = row.watershed_area_m2 * 0.1
    assert row.water_volume_m3 == pytest.approx(inflow)
    assert row.water_level_m == pytest.approx(1.0 + inflow / 9.0)
    assert np.allclose(res.water_depth[1:4, 1:4], inflow / 9.0)
    assert res.water_depth[0].max() == 0.0
    assert balance_ok(res.balance)


def test_two_bowls_left_spills_into_right():
    a = two_bowls()
    res = screen(raster(a), params=ALL)
    d = res.depressions.sort_values("spill_elev_m")
    right, left = d.iloc[0], d.iloc[1]
    assert (left.volume_m3, right.volume_m3) == (pytest.approx(9.0), pytest.approx(18.0))
    assert (left.spill_elev_m, right.spill_elev_m) == (6.0, 2.0)
    assert left.downstream_id == right.depression_id
    assert right.downstream_id == -1
    # a rain that overfills the left bowl only
    rain_m = 0.6
    res = screen(raster(a), rain_mm=rain_m * 1000, params=ALL)
    d = res.depressions.set_index("spill_elev_m")
    ws_l, ws_r = d.loc[6.0, "watershed_area_m2"], d.loc[2.0, "watershed_area_m2"]
    assert ws_l * rain_m > 9.0
    assert d.loc[6.0, "water_volume_m3"] == pytest.approx(9.0)
    expect_r = min(18.0, ws_r * rain_m + ws_l * rain_m - 9.0)
    assert d.loc[2.0, "water_volume_m3"] == pytest.approx(expect_r)
    assert balance_ok(res.balance)


def test_nested_pits_fill_spill_merge():
    a = nested()
    res = screen(raster(a), params=ALL)
    assert len(res.depressions) == 1
    assert res.depressions.volume_m3.iloc[0] == pytest.approx(27 + 36 + 1)
    # 1 m of rain: total inflow (43-45 m3) overfills the left sub-bowl (18 m3 to the
    # saddle) and the right one holds the rest below the 3 m saddle
    res = screen(raster(a), rain_mm=1000.0, params=ALL)
    stored = res.balance["stored_m3"]
    assert 18.0 + 9 * 0.0 < stored < 18.0 + 27.0
    wd = res.water_depth
    assert np.allclose(wd[1:4, 1:4], 2.0)                  # left full to the saddle
    assert np.allclose(wd[1:4, 5:8], (stored - 18.0) / 9)  # right from its hypsometry
    assert wd[2, 4] == 0.0
    # 2 m of rain: both merge and fill to the common spill at 4 m
    res = screen(raster(a), rain_mm=2000.0, params=ALL)
    assert res.balance["stored_m3"] == pytest.approx(64.0)
    assert np.allclose(res.water_depth[1:4, 1:4], 3.0)
    assert np.allclose(res.water_depth[1:4, 5:8], 4.0)
    assert res.water_depth[2, 4] == pytest.approx(1.0)
    assert res.depressions.filled_share.iloc[0] == pytest.approx(1.0)


def test_equal_level_depressions_pass_water_across_their_shared_rim():
    # A (left) and B (right) both fill to 5 m; A's only rim cell at 5 m is the
    # cell between them, B also spills out to the right edge
    a = np.full((3, 7), 9.0)
    a[1, :] = [9.0, 0.0, 5.0, 0.0, 5.0, 4.0, 3.0]
    res = screen(raster(a), params=ALL)
    d = res.depressions.sort_values("pour_x")
    assert list(d.spill_elev_m) == [5.0, 5.0]
    assert d.downstream_id.iloc[0] == d.depression_id.iloc[1]
    assert d.downstream_id.iloc[1] == -1
    res = screen(raster(a), rain_mm=10_000.0, params=ALL)   # 10 m: both full
    assert res.balance["stored_m3"] == pytest.approx(10.0)
    assert balance_ok(res.balance)


def test_huge_rain_fills_everything_and_balance_closes():
    rng = np.random.default_rng(3)
    a = rng.random((30, 30)) * 5
    res = screen(raster(a), rain_mm=1e6, params=ALL)
    assert res.balance["stored_m3"] == pytest.approx(res.balance["fill_volume_m3"], rel=1e-9)
    assert np.allclose(res.water_depth, res.filled - a)
    assert balance_ok(res.balance)


def test_basin_upstream_reduces_storage_downstream():
    a = two_bowls()
    base = screen(raster(a), rain_mm=600.0, params=ALL)
    basin = gpd.GeoDataFrame({"basin_id": ["b1"], "volume_m3": [5.0]},
                             geometry=[shapely.box(X0 + 1, Y0 - 4, X0 + 4, Y0 - 1)], crs=CRS_)
    res = screen(raster(a), rain_mm=600.0, basins=basin, params=ALL)
    s0 = base.depressions.set_index("spill_elev_m").water_volume_m3
    s1 = res.depressions.set_index("spill_elev_m").water_volume_m3
    assert s1.sum() < s0.sum()
    assert s1.loc[2.0] < s0.loc[2.0]
    assert res.basins.stored_m3.iloc[0] == pytest.approx(5.0)
    assert res.balance["basin_m3"] == pytest.approx(5.0)
    assert balance_ok(res.balance)


def box_cells(r0: int, c0: int, r1: int, c1: int) -> shapely.Polygon:
    """Polygon over cells rows r0..r1-1, columns c0..c1-1 of the test grid."""
    return shapely.box(X0 + c0, Y0 - r1, X0 + c1, Y0 - r0)


def basin_layer(geom: shapely.Polygon, volume: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"basin_id": ["b"], "volume_m3": [volume]}, geometry=[geom], crs=CRS_)


@pytest.mark.parametrize(("rain_mm", "volume"), [(200.0, 2.0), (200.0, 10.0), (1000.0, 4.0), (1000.0, 20.0)])
def test_basin_in_a_bowl_stores_first(rain_mm, volume):
    # 22 of the 25 cells drain into the bowl (13.5 m3 to its 2.5 m notch); the notch
    # and its two edge neighbours drain out over the filled surface. A basin on the
    # bowl's floor holds the first `volume` m3: stored = min(13.5, max(0, inflow - V))
    a = bowl()
    inflow = 22 * rain_mm / 1000.0
    res = screen(raster(a), rain_mm=rain_mm, basins=basin_layer(box_cells(2, 2, 3, 3), volume), params=ALL)
    assert res.balance["stored_m3"] == pytest.approx(min(13.5, max(0.0, inflow - volume)))
    assert res.balance["basin_m3"] == pytest.approx(min(volume, inflow))
    assert res.basins.inflow_m3.iloc[0] == pytest.approx(inflow)
    assert res.balance["outflow_m3"] == pytest.approx(3 * rain_mm / 1000.0 + max(0.0, inflow - volume - 13.5))
    assert balance_ok(res.balance)


def test_basin_on_the_flow_path_catches_its_contributing_area():
    # the left bowl's overflow runs over the saddle (2,4) and the slope cell (2,5)
    # into the right bowl; a basin on (2,5) catches it and passes the rest on
    a = two_bowls()
    base = screen(raster(a), rain_mm=500.0, params=ALL)
    res = screen(raster(a), rain_mm=500.0, basins=basin_layer(box_cells(2, 5, 3, 6), 2.0), params=ALL)
    right0 = base.depressions.set_index("spill_elev_m").water_volume_m3.loc[2.0]
    right1 = res.depressions.set_index("spill_elev_m").water_volume_m3.loc[2.0]
    left = res.depressions.set_index("spill_elev_m").water_volume_m3.loc[6.0]
    assert left == pytest.approx(base.depressions.set_index("spill_elev_m").water_volume_m3.loc[6.0])
    b = res.basins.iloc[0]
    assert left == pytest.approx(9.0)                # full: it spills over the saddle
    assert b.inflow_m3 > 0.5 + 1e-9                  # more than the rain on its own cell
    assert b.stored_m3 == pytest.approx(2.0)
    assert right0 - right1 == pytest.approx(2.0)     # right bowl is not full in either run
    assert balance_ok(res.balance)


def test_three_equal_level_depressions_have_no_overflow_cycle():
    # A, B and C all fill to 5 m over rim cells at 5 m; only C has an exit (to the right)
    a = np.full((3, 9), 9.0)
    a[1, :] = [9.0, 0.0, 5.0, 0.0, 5.0, 0.0, 5.0, 4.0, 3.0]
    res = screen(raster(a), params=ALL)
    d = res.depressions.sort_values("pour_x").reset_index(drop=True)
    assert list(d.spill_elev_m) == [5.0, 5.0, 5.0]
    down = dict(zip(d.depression_id, d.downstream_id))
    assert down[d.depression_id[2]] == -1
    for k in d.depression_id:   # every overflow chain ends outside the area
        seen = set()
        while k != -1:
            assert k not in seen
            seen.add(k)
            k = down[k]
    res = screen(raster(a), rain_mm=10_000.0, params=ALL)
    assert res.balance["stored_m3"] == pytest.approx(15.0)
    assert balance_ok(res.balance)


def test_runoff_coefficients_and_loss():
    a = bowl()
    roof = gpd.GeoDataFrame({"building_id": ["r"]}, geometry=[shapely.box(X0, Y0 - 5, X0 + 5, Y0 - 4)],
                            crs=CRS_)
    p = FloodParams(min_depth_m=0, min_area_m2=0, min_volume_m3=0, uniform_runoff=False)
    res = screen(raster(a), rain_mm=100.0, buildings=roof, params=p)
    b = res.balance
    expected_runoff = 0.1 * (5 * p.runoff_roof + 20 * p.runoff_default)
    assert b["runoff_m3"] == pytest.approx(expected_runoff)
    assert b["loss_m3"] == pytest.approx(2.5 - expected_runoff)
    assert balance_ok(b)


def test_buildings_exposure():
    a = bowl()
    b = gpd.GeoDataFrame(
        {"building_id": ["in", "next", "far"]},
        geometry=[shapely.box(X0 + 2.2, Y0 - 2.8, X0 + 2.8, Y0 - 2.2),   # inside the bowl
                  shapely.box(X0 + 4.1, Y0 - 2.9, X0 + 4.9, Y0 - 2.1),   # on the rim, next to water
                  shapely.box(X0 + 100, Y0 - 3, X0 + 101, Y0 - 2)],      # off the DEM
        crs=CRS_)
    res = screen(raster(a), buildings=b, params=ALL)          # no rain: fill depth
    out = res.buildings.set_index("building_id")
    assert out.loc["in", "flood_depth_m"] == pytest.approx(1.5)
    assert out.loc["next", "flood_depth_m"] == pytest.approx(1.5)
    assert bool(out.loc["in", "in_low_lying_area"]) and not bool(out.loc["next", "in_low_lying_area"])
    assert np.isnan(out.loc["far", "flood_depth_m"])
    res = screen(raster(a), buildings=b, rain_mm=100.0, params=ALL)
    out = res.buildings.set_index("building_id")
    depth = res.water_depth[2, 2]
    assert out.loc["in", "flood_depth_m"] == pytest.approx(depth)
    assert res.flooded_buildings == int(depth >= ALL.flooded_depth_m) * 2
    assert list(res.buildings.columns[:1]) == ["building_id"]


# --------------------------------------------------------------------------- properties
dems = arrays(np.float64, st.tuples(st.integers(2, 12), st.integers(2, 12)),
              elements=st.floats(0, 20, allow_nan=False, width=32))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dems)
def test_property_filled_has_no_interior_pit(a):
    f = fill_depressions(a)
    assert (f >= a).all()
    pad = np.pad(f, 1, constant_values=-np.inf)
    inner = f[1:-1, 1:-1] if min(f.shape) > 2 else np.zeros((0, 0))
    if inner.size:
        neigh = np.min([pad[1 + dr:1 + dr + f.shape[0], 1 + dc:1 + dc + f.shape[1]]
                        for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)], axis=0)
        # every interior cell has a neighbour not higher than itself (it can drain)
        assert (neigh[1:-1, 1:-1] <= inner).all()
    assert np.array_equal(fill_depressions(f), f)   # idempotent


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dems, st.floats(0, 500), st.floats(0, 500))
def test_property_more_rain_never_stores_less(a, r1, r2):
    lo, hi = sorted((r1, r2))
    s_lo = screen(raster(a), rain_mm=lo, params=ALL)
    s_hi = screen(raster(a), rain_mm=hi, params=ALL)
    assert s_hi.balance["stored_m3"] >= s_lo.balance["stored_m3"] - 1e-9
    assert (s_hi.water_depth >= s_lo.water_depth - 1e-9).all()
    assert balance_ok(s_hi.balance)
    assert (s_hi.water_depth <= s_hi.filled - a + 1e-9).all()


basin_cases = st.tuples(st.integers(0, 11), st.integers(0, 11), st.integers(1, 4), st.integers(1, 4),
                        st.floats(0, 50))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dems, st.lists(basin_cases, min_size=1, max_size=3), st.floats(1, 3000))
def test_property_a_basin_never_adds_water(a, cases, rain):
    geoms = [box_cells(r, c, r + h, c + w) for r, c, h, w, _ in cases]
    basins = gpd.GeoDataFrame({"basin_id": [f"b{i}" for i in range(len(cases))],
                               "volume_m3": [v for *_, v in cases]}, geometry=geoms, crs=CRS_)
    house = gpd.GeoDataFrame({"building_id": ["h"]}, geometry=[box_cells(0, 0, 2, 2)], crs=CRS_)
    base = screen(raster(a), rain_mm=rain, params=ALL, buildings=house)
    for k in range(1, len(cases) + 1):   # adding basins one by one
        res = screen(raster(a), rain_mm=rain, params=ALL, basins=basins.iloc[:k], buildings=house)
        assert balance_ok(res.balance)
        assert (res.depressions.water_volume_m3.to_numpy()
                <= base.depressions.water_volume_m3.to_numpy() + 1e-9).all()
        assert (res.water_depth <= base.water_depth + 1e-9).all()
        assert (res.buildings.flood_depth_m.fillna(0).to_numpy()
                <= base.buildings.flood_depth_m.fillna(0).to_numpy() + 1e-9).all()
        assert res.balance["basin_m3"] <= basins.volume_m3.iloc[:k].sum() + 1e-9
        base = res
