"""Tests of twin.flood_io.run_flood: outputs on the same grid, clean input errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from twin._errors import InputError
from twin.flood import FloodParams
from twin.flood_io import run_flood

X0, Y0 = 500000.0, 6600000.0
T = Affine(1.0, 0.0, X0, 0.0, -1.0, Y0)
ALL = FloodParams(uniform_runoff=True, min_depth_m=0.0, min_area_m2=0.0, min_volume_m3=0.0)


def bowl() -> np.ndarray:
    a = np.full((5, 5), 3.0)
    a[1:4, 1:4] = 1.0
    a[0, 2] = 2.5
    return a


def write_tif(path, a, *, crs="EPSG:25833", transform=T, nodata=-9999.0):
    with rasterio.open(path, "w", driver="GTiff", height=a.shape[0], width=a.shape[1], count=1,
                       dtype="float32", crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(a.astype("float32"), 1)
    return path


@pytest.fixture
def dem(tmp_path):
    return write_tif(tmp_path / "dem.tif", bowl())


def test_outputs_on_same_grid(tmp_path, dem):
    b = gpd.GeoDataFrame({"building_id": ["a"]}, geometry=[shapely.box(X0 + 2.2, Y0 - 2.8, X0 + 2.8, Y0 - 2.2)],
                         crs="EPSG:25833").to_crs("EPSG:4326")   # reprojected on read
    b.to_file(tmp_path / "b.gpkg")
    basins = gpd.GeoDataFrame({"basin_id": ["x"], "volume_m3": [0.5]},
                              geometry=[shapely.box(X0 + 3, Y0 - 5, X0 + 5, Y0 - 4)], crs="EPSG:25833")
    basins.to_file(tmp_path / "basins.gpkg")
    out = tmp_path / "out"
    info = run_flood(dem, out, rain_mm=100.0, buildings_path=tmp_path / "b.gpkg",
                     basins_path=tmp_path / "basins.gpkg", params=ALL)
    assert sorted(p.name for p in out.iterdir()) == ["buildings.gpkg", "depressions.gpkg", "filled.tif",
                                                    "map.html", "water_depth.tif"]
    with rasterio.open(out / "filled.tif") as src, rasterio.open(dem) as ref:
        assert src.transform == ref.transform and src.crs == ref.crs and src.shape == ref.shape
        assert np.allclose(src.read(1)[1:4, 1:4], 2.5)
    d = gpd.read_file(out / "depressions.gpkg")
    assert d.volume_m3.iloc[0] == pytest.approx(13.5)
    bo = gpd.read_file(out / "buildings.gpkg")
    assert {"flood_depth_m", "in_low_lying_area"} <= set(bo.columns)
    assert bo.crs.to_epsg() == 25833
    assert info["depressions"] == 1
    bal = info["balance"]
    assert bal["rain_m3"] == pytest.approx(bal["stored_m3"] + bal["basin_m3"] + bal["outflow_m3"] + bal["loss_m3"])


def test_without_rain_writes_only_fill_and_depressions(tmp_path, dem):
    run_flood(dem, tmp_path / "o", params=ALL)
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["depressions.gpkg", "filled.tif",
                                                                  "map.html"]


@pytest.mark.parametrize("case", ["degrees", "nocrs", "allnodata", "broken", "missing"])
def test_bad_dem_is_one_clear_line(tmp_path, case):
    p = tmp_path / "dem.tif"
    if case == "degrees":
        write_tif(p, bowl(), crs="EPSG:4326", transform=Affine(0.0001, 0, 10, 0, -0.0001, 60))
    elif case == "nocrs":
        write_tif(p, bowl(), crs=None)
    elif case == "allnodata":
        write_tif(p, np.full((5, 5), -9999.0))
    elif case == "broken":
        p.write_bytes(b"II*\x00not a tiff")
    with pytest.raises(InputError) as err:
        run_flood(p, tmp_path / "o")
    assert len(err.value.lines) == 1 and "\n" not in err.value.lines[0]
    assert not (tmp_path / "o" / "filled.tif").exists()


@pytest.mark.parametrize("case", ["missing", "broken", "nocrs", "empty"])
def test_bad_vector_is_one_clear_line(tmp_path, dem, case):
    p = tmp_path / "b.geojson"
    if case == "broken":
        p.write_text("{not json")
    elif case == "nocrs":
        p.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                     '"geometry":{"type":"Point","coordinates":[1,2]}}]}')
        with pytest.warns(UserWarning, match="crs"):
            gpd.read_file(p).set_crs(None, allow_override=True).to_file(tmp_path / "b.shp")
        p = tmp_path / "b.shp"
    elif case == "empty":
        p.write_text('{"type":"FeatureCollection","features":[]}')
    with pytest.raises(InputError) as err:
        run_flood(dem, tmp_path / "o", buildings_path=p)
    assert len(err.value.lines) == 1 and "buildings" in err.value.lines[0]


def test_too_large_dem_is_refused(tmp_path, dem):
    with pytest.raises(InputError, match="memory"):
        run_flood(dem, tmp_path / "o", params=FloodParams(max_memory_gb=1e-9))
