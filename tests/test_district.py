"""District loading and validation: every bad input gives one clear line and exit code 2."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import yaml
from affine import Affine
from click.testing import CliRunner
from shapely.geometry import LineString, Point, Polygon, box

from twin import InputError, load_district
from twin.cli import main
from twin.district import TwinWarning, write_district

CRS = "EPSG:25833"
X0, Y0 = 590000.0, 6640000.0


def _buildings(**overrides) -> gpd.GeoDataFrame:
    data = {
        "building_id": ["b1", "b2", "b3"],
        "use": ["apartment", "office", "house"],
        "floors": [5, 3, 2],
        "year": [1965, 2018, 1990],
        "heating": ["oil", "district_heating", "hp_air_water"],
        "name": ["Blokk A", "Kontor", "Hus"],
    }
    data.update(overrides)
    geoms = [box(X0 + 10, Y0 + 10, X0 + 40, Y0 + 25), box(X0 + 60, Y0 + 60, X0 + 90, Y0 + 100),
             box(X0 + 120, Y0 + 20, X0 + 130, Y0 + 30)]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)


def _dem(path: Path, *, crs: str = CRS, x0: float = X0, y0: float = Y0, size: int = 100, cell: float = 2.0) -> Path:
    z = np.fromfunction(lambda r, c: 10 + 0.01 * r + 0.02 * c, (size, size)).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1, dtype="float32",
                       crs=crs, transform=Affine(cell, 0, x0, 0, -cell, y0 + size * cell), nodata=-9999) as dst:
        dst.write(z, 1)
    return path


def make_district(tmp_path: Path, buildings: gpd.GeoDataFrame | None = None, *, dem: bool = True) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    folder = tmp_path / "d"
    net = gpd.GeoDataFrame({"network_id": ["n1"]}, geometry=[LineString([(X0, Y0 + 50), (X0 + 150, Y0 + 50)])],
                           crs=CRS)
    cp = gpd.GeoDataFrame({"charger_id": ["c1"], "kw": [22.0], "connectors": [2], "public": [True]},
                          geometry=[Point(X0 + 50, Y0 + 50)], crs=CRS)
    dem_path = _dem(tmp_path / "dem_src.tif") if dem else None
    write_district(folder, name="Test", crs=CRS, layers={
        "buildings": _buildings() if buildings is None else buildings, "heat_network": net, "charging_points": cp,
    }, dem_path=dem_path, synthetic=True)
    return folder


def check(folder: Path) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["check", str(folder)])
    return res.exit_code, res.stderr if hasattr(res, "stderr") else res.output


def test_clean_district_loads(tmp_path):
    d = load_district(make_district(tmp_path))
    assert len(d.buildings) == 3
    assert d.crs.to_epsg() == 25833
    assert d.dem is not None and d.dem.shape == (100, 100)
    assert d.synthetic
    assert d.buildings["floors"].tolist() == [5, 3, 2]
    code, _ = check(make_district(tmp_path / "again"))
    assert code == 0


def test_layers_are_brought_to_the_manifest_crs(tmp_path):
    b = _buildings().to_crs("EPSG:4326")
    folder = make_district(tmp_path, b)
    d = load_district(folder)
    assert d.buildings.crs.to_epsg() == 25833
    np.testing.assert_allclose(d.buildings.geometry.area.to_numpy(), [450.0, 1200.0, 100.0], rtol=1e-6)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"floors": [5, -1, 2]}, ["row 2 (building_id=b2)", "column 'floors'", "below the allowed minimum"]),
        ({"year": [1965, 2999, 1990]}, ["row 2 (building_id=b2)", "column 'year'", "year in the future"]),
        ({"use": ["apartment", "offce", "house"]}, ["column 'use'", "unknown word 'offce'", "did you mean 'office'"]),
        ({"heating": ["oil", "district heat", "hp_air_water"]}, ["column 'heating'", "unknown word 'district heat'"]),
        ({"building_id": ["b1", "b1", "b3"]}, ["column 'building_id'", "duplicate id 'b1'"]),
        ({"floors": ["5", "three", "2"]}, ["column 'floors'", "not of type int"]),
    ],
)
def test_bad_values_exit_2_with_one_line(tmp_path, overrides, expected):
    folder = make_district(tmp_path, _buildings(**overrides))
    code, err = check(folder)
    assert code == 2
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    for part in expected:
        assert part in lines[0]
    assert "buildings.gpkg" in lines[0] and "fix:" in lines[0]
    assert "Traceback" not in err


def test_all_problems_listed_at_once(tmp_path):
    folder = make_district(tmp_path, _buildings(floors=[5, -1, 2], use=["apartment", "office", "hosue"]))
    (folder / "charging_points.gpkg").unlink()  # and a missing file in another layer
    code, err = check(folder)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert any("floors" in ln for ln in lines)
    assert any("hosue" in ln for ln in lines)
    assert any("charging_points.gpkg" in ln and "file not found" in ln for ln in lines)


def test_missing_required_column(tmp_path):
    b = _buildings().drop(columns=["heating"])
    code, err = check(make_district(tmp_path, b))
    assert code == 2
    assert "column 'heating': missing required column" in err


def test_layer_without_crs(tmp_path):
    folder = make_district(tmp_path)
    b = _buildings()
    b = b.set_crs(None, allow_override=True)
    (folder / "buildings.gpkg").unlink()
    b.to_file(folder / "buildings.gpkg", driver="GPKG")
    code, err = check(folder)
    assert code == 2
    assert "layer buildings: the layer has no CRS" in err
    assert "ogr2ogr -a_srs" in err


def test_empty_and_invalid_geometry(tmp_path):
    b = _buildings()
    geoms = b.geometry.to_numpy().copy()
    geoms[0] = Polygon()
    geoms[2] = Polygon([(X0, Y0), (X0 + 10, Y0), (X0 + 20, Y0)])  # collapses to a line
    b = b.set_geometry(gpd.GeoSeries(geoms, crs=CRS))
    code, err = check(make_district(tmp_path, b))
    assert code == 2
    assert "row 1 (building_id=b1): empty geometry" in err
    assert "row 3 (building_id=b3): invalid geometry that cannot be repaired" in err


def test_self_intersecting_ring_is_repaired_with_a_counted_warning(tmp_path):
    b = _buildings()
    geoms = b.geometry.to_numpy().copy()
    geoms[1] = Polygon([(X0 + 60, Y0 + 60), (X0 + 90, Y0 + 100), (X0 + 90, Y0 + 60), (X0 + 60, Y0 + 100)])  # bow-tie
    b = b.set_geometry(gpd.GeoSeries(geoms, crs=CRS))
    folder = make_district(tmp_path, b)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        d = load_district(folder)
    msgs = [str(w.message) for w in rec if issubclass(w.category, TwinWarning)]
    assert any("repaired 1 invalid geometry" in m for m in msgs)
    assert d.buildings.geometry.is_valid.all()
    assert d.buildings.geometry.iloc[1].area == pytest.approx(600.0)  # two triangles of 300 m2


def test_empty_layer(tmp_path):
    folder = make_district(tmp_path)
    empty = _buildings().iloc[0:0]
    (folder / "buildings.gpkg").unlink()
    empty.to_file(folder / "buildings.gpkg", driver="GPKG")
    code, err = check(folder)
    assert code == 2
    assert "layer buildings: the layer is empty" in err


def test_dem_in_degrees(tmp_path):
    folder = make_district(tmp_path)
    (folder / "dem.tif").unlink()
    _dem(folder / "dem.tif", crs="EPSG:4326", x0=10.6, y0=59.9, cell=0.0001)
    code, err = check(folder)
    assert code == 2
    assert "dem.tif" in err and "not in metres" in err and "gdalwarp" in err


def test_dem_not_covering_buildings(tmp_path):
    folder = make_district(tmp_path)
    (folder / "dem.tif").unlink()
    _dem(folder / "dem.tif", x0=X0 + 100)
    code, err = check(folder)
    assert code == 2
    assert "does not cover 2 building(s): b1, b2" in err


def test_truncated_geotiff(tmp_path):
    folder = make_district(tmp_path)
    data = (folder / "dem.tif").read_bytes()
    (folder / "dem.tif").write_bytes(data[: len(data) // 3])
    code, err = check(folder)
    assert code == 2
    assert "dem.tif" in err and "cannot read the GeoTIFF" in err
    assert len(err.strip().splitlines()) == 1


def test_manifest_typo_and_broken_yaml(tmp_path):
    folder = make_district(tmp_path)
    m = yaml.safe_load((folder / "district.yaml").read_text())
    m["attribtion"] = "x"
    (folder / "district.yaml").write_text(yaml.safe_dump(m))
    code, err = check(folder)
    assert code == 2 and "unknown key 'attribtion'" in err and "did you mean 'attribution'" in err
    (folder / "district.yaml").write_text("name: [unclosed\ncrs: EPSG:25833\n")
    code, err = check(folder)
    assert code == 2 and re.search(r"line \d+: broken YAML", err)


def test_manifest_country_is_checked_at_load(tmp_path):
    folder = make_district(tmp_path)
    m = yaml.safe_load((folder / "district.yaml").read_text())
    m["country"] = "Norway"
    (folder / "district.yaml").write_text(yaml.safe_dump(m))
    code, err = check(folder)
    assert code == 2 and "unknown country 'Norway'" in err and "NO, SE, DK, FI" in err
    m["country"] = "SE"
    (folder / "district.yaml").write_text(yaml.safe_dump(m))
    from twin.country import district_country

    assert district_country(load_district(folder)) == ("SE", False)


@pytest.mark.parametrize("entry, message", [
    ({"name": "Storøya", "lon": 10.6}, "`places[1]` needs numbers lon and lat"),
    ({"name": "Storøya", "lon": 610000.0, "lat": 6640000.0}, "`places[1]` lon 610000.0, lat 6640000.0 is outside WGS 84"),
    ({"lon": 10.6, "lat": 59.9}, "`places[1].name` is missing"),
    ({"name": {"no": "Storøya"}, "x": 1.0, "y": 2.0}, "`places[1].name` unknown language 'no'"),
    ("Storøya", "`places[1]` is a str, not a mapping"),
])
def test_manifest_places_checked_at_load(tmp_path, entry, message):
    folder = make_district(tmp_path)
    m = yaml.safe_load((folder / "district.yaml").read_text())
    m["places"] = [{"name": {"en": "Oxen island", "nb": "Oksenøya"}, "x": X0 + 10.0, "y": Y0 + 10.0}, entry]
    (folder / "district.yaml").write_text(yaml.safe_dump(m, allow_unicode=True))
    proc = subprocess.run([sys.executable, "-m", "twin.cli", "check", str(folder)], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert message in proc.stderr and "district.yaml" in proc.stderr and "Traceback" not in proc.stderr


def test_manifest_places_lon_lat_and_x_y_become_points(tmp_path):
    from twin.district import places_layer

    folder = make_district(tmp_path)
    m = yaml.safe_load((folder / "district.yaml").read_text())
    # Storøya, Fornebu: 10.5990 E, 59.8930 N is x 253 850.5 m, y 6 647 679.2 m in UTM 33N (EPSG:25833,
    # central meridian 15 E), by Snyder's transverse Mercator series (Map Projections - A Working
    # Manual, USGS PP 1395, 1987, eqs. 8-9 and 8-10, GRS80), evaluated by hand
    m["places"] = [{"name": "Storøya", "lon": 10.599, "lat": 59.893}, {"name": {"nb": "Hjem"}, "x": X0, "y": Y0}]
    (folder / "district.yaml").write_text(yaml.safe_dump(m, allow_unicode=True))
    d = load_district(folder)
    pl = places_layer(d.manifest, d.crs)
    assert pl["name"].tolist() == ["Storøya", {"nb": "Hjem"}]
    assert pl.geometry.iloc[0].x == pytest.approx(253_850.5, abs=0.5)
    assert pl.geometry.iloc[0].y == pytest.approx(6_647_679.2, abs=0.5)
    assert (pl.geometry.iloc[1].x, pl.geometry.iloc[1].y) == (X0, Y0)
    out = subprocess.run([sys.executable, "-m", "twin.cli", "check", str(folder)], capture_output=True, text=True)
    assert out.returncode == 0 and "2 place labels" in out.stdout


def test_manifest_geographic_crs(tmp_path):
    folder = make_district(tmp_path)
    m = yaml.safe_load((folder / "district.yaml").read_text())
    m["crs"] = "EPSG:4326"
    (folder / "district.yaml").write_text(yaml.safe_dump(m))
    with pytest.raises(InputError, match="not metric"):
        load_district(folder)


def test_cli_exit_code_in_a_real_process(tmp_path):
    folder = make_district(tmp_path, _buildings(floors=[5, -1, 2]))
    proc = subprocess.run([sys.executable, "-m", "twin.cli", "check", str(folder)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
    missing = subprocess.run([sys.executable, "-m", "twin.cli", "check", str(tmp_path / "nope")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "district folder not found" in missing.stderr


def test_write_district_never_overwrites(tmp_path):
    folder = make_district(tmp_path)
    before = (folder / "buildings.gpkg").read_bytes()
    with pytest.raises(InputError, match="not empty"):
        write_district(folder, name="x", crs=CRS, layers={"buildings": _buildings()})
    assert (folder / "buildings.gpkg").read_bytes() == before
