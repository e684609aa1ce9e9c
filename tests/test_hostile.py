"""Hostile and broken inputs against the real CLI (issue 10).

Every case runs ``python -m twin.cli`` in a real process and checks the exit
code and one fragment of the message; the table :data:`CASES` is the
catalogue (``tests/hostile/CATALOGUE.md`` lists the same cases in prose).
Environment failures that cannot be produced for real by an unprivileged test
(a full disk, a read-only file system, out of memory) patch the one call that
fails, inside the real process.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import yaml

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "twin" / "data" / "districts" / "fornebu"
CRS = "EPSG:25833"
X0, Y0 = 262_000.0, 6_649_000.0  # central Oslo, UTM 33N

BOMB = textwrap.dedent("""\
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
    """)


def twin_cli(*args: str, cwd: Path | None = None, patch: str = "", timeout: float = 300
             ) -> subprocess.CompletedProcess:
    """Run the CLI in a real process; ``patch`` is Python run first (to simulate a failing disk)."""
    code = patch + "\nimport sys\nfrom twin.cli import main\nmain(sys.argv[1:], prog_name='twin')\n"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def tiny_district(folder: Path, *, name: str = "Tiny", buildings: gpd.GeoDataFrame | None = None,
                  extra: dict | None = None, fmt: str = "gpkg") -> Path:
    """Three buildings in central Oslo, no DEM (fast to evaluate)."""
    folder.mkdir(parents=True, exist_ok=True)
    if buildings is None:
        buildings = gpd.GeoDataFrame(
            {"building_id": ["b1", "b2", "b3"], "use": ["apartment", "office", "house"],
             "floors": [5, 4, 2], "year": [1990, 2005, 1950],
             "heating": ["district_heating", "hp_air_water", "electric"]},
            geometry=[shapely.box(X0 + 50 * i, Y0, X0 + 50 * i + 20, Y0 + 15) for i in range(3)], crs=CRS)
    fname = "buildings.shp" if fmt == "shp" else "buildings.gpkg"
    buildings.to_file(folder / fname, engine="pyogrio")
    manifest = {"name": name, "crs": CRS, "synthetic": True, "layers": {"buildings": fname, **(extra or {})}}
    (folder / "district.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return folder


def scenario(folder: Path, fname: str, text: str) -> Path:
    p = folder / fname
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def points_far_away(path: Path, km: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame({"charger_id": ["far1"], "kw": [22.0], "connectors": [2], "public": [True]},
                     geometry=[shapely.Point(X0 + km * 1000, Y0)], crs=CRS).to_file(path)
    return path


# --------------------------------------------------------------------------------------------
# The catalogue: id -> (setup(tmp) -> (args, patch), exit code, message fragment)
# --------------------------------------------------------------------------------------------

Setup = Callable[[Path], "tuple[list, str]"]


def _yaml_case(text: str | bytes, cmd: str = "check") -> Setup:
    def setup(tmp: Path) -> tuple[list, str]:
        p = tmp / "s.yaml"
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        return ([cmd, p] + (["--out", tmp / "out", "--district", tiny_district(tmp / "d")] if cmd == "run"
                            else []), "")
    return setup


def _district_yaml_case(text: str) -> Setup:
    def setup(tmp: Path) -> tuple[list, str]:
        d = tiny_district(tmp / "d")
        (d / "district.yaml").write_text(text, encoding="utf-8")
        return ["check", d], ""
    return setup


def _extends(target: str) -> Setup:
    return _yaml_case(f"name: s\nextends: {target}\n")


def _run_named(name_a: str, name_b: str) -> Setup:
    def setup(tmp: Path) -> tuple[list, str]:
        a = scenario(tmp, "a.yaml", f"name: '{name_a}'\n")
        b = scenario(tmp, "b.yaml", f"name: '{name_b}'\n")
        return ["run", a, b, "--district", tiny_district(tmp / "d"), "--out", tmp / "out"], ""
    return setup


def _over_district(tmp: Path) -> tuple[list, str]:
    d = tiny_district(tmp / "layers" / "tiny")
    s = scenario(tmp, "s.yaml", "name: tiny\nmodifications:\n  - demolish: {use: [office]}\n")
    return ["run", s, "--district", d, "--out", tmp / "layers"], ""


def _into_default_district(tmp: Path) -> tuple[list, str]:
    s = scenario(tmp, "s.yaml", "name: s\n")
    return ["run", s, "--out", BUNDLED / "results"], ""


def _into_own_district(tmp: Path) -> tuple[list, str]:
    tiny_district(tmp / "d")
    s = scenario(tmp, "s.yaml", "name: s\ndistrict: d\n")
    return ["run", s, "--out", tmp / "d" / "out"], ""


def _scenario_named_like_its_data(tmp: Path) -> tuple[list, str]:
    tiny_district(tmp / "d")
    points_far_away(tmp / "data" / "chargers.gpkg", 0.1)
    s = scenario(tmp, "s.yaml", "name: data\ndistrict: d\nmodifications:\n"
                                "  - add_chargers: {file: data/chargers.gpkg}\n")
    return ["run", s, "--out", tmp], ""


def _out_is_file(tmp: Path) -> tuple[list, str]:
    (tmp / "f.txt").write_text("x")
    return ["run", "--district", tiny_district(tmp / "d"), "--out", tmp / "f.txt"], ""


def _out_under_file(tmp: Path) -> tuple[list, str]:
    (tmp / "f.txt").write_text("x")
    return ["run", "--district", tiny_district(tmp / "d"), "--out", tmp / "f.txt" / "out"], ""


def _patched_run(patch: str) -> Setup:
    def setup(tmp: Path) -> tuple[list, str]:
        return ["run", "--district", tiny_district(tmp / "d"), "--out", tmp / "out", "--no-map"], patch
    return setup


ENOSPC = """
import errno, twin.writers as w
def full(path, *a, **k):
    raise OSError(errno.ENOSPC, "No space left on device", str(path))
w.write_json = full
"""
EROFS = """
import errno, tempfile
def ro(*a, **k):
    raise OSError(errno.EROFS, "Read-only file system", k.get("dir") or "out")
tempfile.mkdtemp = ro
"""
OOM = """
import twin.pipeline as p
def oom(*a, **k):
    raise MemoryError
p.evaluate = oom
"""


def _long_name(tmp: Path) -> tuple[list, str]:
    s = scenario(tmp, "s.yaml", f"name: {'x' * 300}\n")
    return ["run", s, "--district", tiny_district(tmp / "d"), "--out", tmp / "out"], ""


def _long_out(tmp: Path) -> tuple[list, str]:
    return ["run", "--district", tiny_district(tmp / "d"), "--out", tmp / ("o" * 300), "--no-map"], ""


def _big_dem(tmp: Path) -> tuple[list, str]:
    import rasterio
    from rasterio.transform import from_origin

    d = tiny_district(tmp / "d", extra={"dem": "dem.tif"})
    with rasterio.open(d / "dem.tif", "w", driver="GTiff", width=100_000, height=100_000, count=1,
                       dtype="float32", crs=CRS, transform=from_origin(X0 - 1000, Y0 + 1000, 0.5, 0.5),
                       tiled=True, compress="deflate", sparse_ok=True) as dst:
        dst.write_band(1, __import__("numpy").zeros((16, 16), "float32"),
                       window=rasterio.windows.Window(0, 0, 16, 16))
    return ["check", d], ""


def _not_twin_folder(tmp: Path) -> tuple[list, str]:
    (tmp / "out" / "baseline").mkdir(parents=True)
    (tmp / "out" / "baseline" / "thesis.docx").write_text("precious")
    return ["run", "--district", tiny_district(tmp / "d"), "--out", tmp / "out", "--no-map"], ""


def _degenerate(tmp: Path) -> tuple[list, str]:
    b = gpd.GeoDataFrame({"building_id": ["ok", "sliver"], "use": ["house", "house"], "floors": [2, 2],
                          "year": [1990, 1990], "heating": ["electric", "electric"]},
                         geometry=[shapely.box(X0, Y0, X0 + 10, Y0 + 10),
                                   shapely.box(X0 + 20, Y0, X0 + 20.5, Y0 + 0.5)], crs=CRS)
    return ["check", tiny_district(tmp / "d", buildings=b)], ""


def _bad_population(tmp: Path) -> tuple[list, str]:
    d = tiny_district(tmp / "d", extra={"population": "pop.gpkg"})
    gpd.GeoDataFrame({"persons": [3]}, geometry=[shapely.box(X0, Y0, X0 + 250, Y0 + 250)],
                     crs=CRS).to_file(d / "pop.gpkg")
    return ["check", d], ""


def _far_chargers(tmp: Path) -> tuple[list, str]:
    tiny_district(tmp / "d")
    points_far_away(tmp / "chargers.gpkg", 800)
    s = scenario(tmp, "s.yaml", "name: s\ndistrict: d\nmodifications:\n"
                                "  - add_chargers: {file: chargers.gpkg}\n")
    return ["check", s], ""


def _flood_points(tmp: Path) -> tuple[list, str]:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(tmp / "dem.tif", "w", driver="GTiff", width=20, height=20, count=1, dtype="float64",
                       crs=CRS, transform=from_origin(X0, Y0 + 40, 2, 2)) as dst:
        dst.write(np.add.outer(np.arange(20.0), np.arange(20.0))[None])
    points_far_away(tmp / "pts.gpkg", 0.01)
    return ["flood", tmp / "dem.tif", "--buildings", tmp / "pts.gpkg", "--out", tmp / "o"], ""


def _scenarios_folder_with_bad_one(tmp: Path) -> tuple[list, str]:
    tiny_district(tmp / "d")
    scenario(tmp / "sc", "good.yaml", "name: good\ndistrict: ../d\n")
    scenario(tmp / "sc", "bad.yaml", "name: bad\ndistrict: ../d\nparameters: {emission_set: coal}\n")
    return ["check", tmp / "sc"], ""


def _control_chars(tmp: Path) -> tuple[list, str]:
    s = scenario(tmp, "s.yaml", 'name: s\n"evil\\e[2J\\e]0;owned\\a": 1\n')
    return ["check", s], ""


#: The catalogue: case id -> (setup, expected exit code, fragment of stderr).
CASES: dict[str, tuple[Setup, int, str]] = {
    # hostile YAML (issue 10 item 3)
    "billion laughs scenario": (_yaml_case("name: s\n" + BOMB), 2, "aliases and anchors are not allowed"),
    "billion laughs as extends": (_yaml_case(BOMB + "name: s\nextends: *i\n"), 2, "not allowed"),
    "billion laughs in district name": (_district_yaml_case(
        BOMB + "name: *i\ncrs: EPSG:25833\nlayers: {buildings: buildings.gpkg}\n"), 2, "not allowed"),
    "billion laughs in run": (_yaml_case("name: s\n" + BOMB, cmd="run"), 2, "not allowed"),
    "extends /dev/zero": (_extends("/dev/zero"), 2, "not a regular file"),
    "extends a folder": (_extends("/tmp"), 2, "is a folder"),
    "extends a list": (_yaml_case("name: s\nextends: [a, b]\n"), 2, "`extends` is not a file name"),
    "scenario is /dev/zero": (lambda tmp: (["check", "/dev/zero"], ""), 2, "not a regular file"),
    "6 MB scenario": (_yaml_case("name: s\n" + "# padding\n" * 600_000), 2, "above the limit of 5 MB"),
    "duplicate key": (_yaml_case("name: s\nyear: 2030\nyear: 2040\n"), 2, "duplicate key 'year'"),
    "duplicate key in district.yaml": (_district_yaml_case(
        "name: a\nname: b\ncrs: EPSG:25833\nlayers: {buildings: buildings.gpkg}\n"), 2, "duplicate key 'name'"),
    "crs is a mapping": (_district_yaml_case(
        "name: a\ncrs: {proj: longlat}\nlayers: {buildings: buildings.gpkg}\n"), 2, "`crs` is not a CRS code"),
    # encodings, binary, folders, nesting (item 4)
    "latin-1 scenario": (_yaml_case("name: Kafé\n".encode("latin-1")), 2, "save it as UTF-8"),
    "cp1252 scenario": (_yaml_case("name: “Plan”\n".encode("cp1252")), 2, "not UTF-8"),
    "binary scenario": (_yaml_case(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 2, "binary file"),
    "scenario is a folder": (lambda tmp: (["run", tmp, "--out", tmp / "o"], ""), 2, "is a folder"),
    "20,000 levels flow": (_yaml_case("name: s\nx: " + "[" * 20_000 + "]" * 20_000 + "\n"), 2, "nested more than"),
    "20,000 levels block": (_yaml_case("name: s\nx:\n" + "- " * 20_000 + "1\n"), 2, "nested more than"),
    "latin-1 mapping": (lambda tmp: (["import-vector", tiny_district(tmp / "d") / "buildings.gpkg", "--mapping",
                                      _write(tmp / "m.yaml", "columns: {building_id: Bygningsnr}\n# Kafé\n"
                                             .encode("latin-1")), "--out", tmp / "o"], ""), 2, "not UTF-8"),
    # check == run (item 5)
    "unknown indicator": (_yaml_case("name: s\ntargets:\n  - {name: t, indicator: co2_totl_t_yr, max: 1}\n"),
                          2, "did you mean 'co2_total_t_yr'"),
    "unknown emission_set": (_yaml_case("name: s\nparameters: {emission_set: coal}\n"), 2, "unknown emission_set"),
    "bad mode_shares keys": (_yaml_case("name: s\nparameters: {mode_shares: {car: 1.0}}\n"), 2, "mode_shares"),
    "folder of scenarios": (_scenarios_folder_with_bad_one, 2, "bad.yaml: line 3"),
    # paths: never write into or over an input (item 2)
    "scenario named like its district": (_over_district, 2, "would write over the input"),
    "--out inside the default district": (_into_default_district, 2, "inside the input"),
    "--out inside the scenario's district": (_into_own_district, 2, "inside the input"),
    "scenario named like its data folder": (_scenario_named_like_its_data, 2, "would write over the input"),
    "Plan A vs Plan/A": (_run_named("Plan A", "Plan/A"), 2, "would be written to"),
    "name vs compare.csv": (_run_named("compare.csv", "b"), 2, "would be written to"),
    "--out is a file": (_out_is_file, 2, "is a file, not a folder"),
    "--out under a file": (_out_under_file, 2, "lies under the file"),
    "--out folder not written by twin": (_not_twin_folder, 2, "was not written by `twin run`"),
    # output environment (item 7)
    "disk full": (_patched_run(ENOSPC), 2, "no space left on the disk"),
    "read-only --out": (_patched_run(EROFS), 2, "the file system is read-only"),
    "out of memory": (_patched_run(OOM), 2, "out of memory"),
    "scenario name too long": (_long_name, 2, "too long for a folder name"),
    "--out name too long": (_long_out, 2, "file name too long"),
    "DEM too large": (_big_dem, 2, "GB of memory"),
    # smaller items (item 9)
    "degenerate footprint": (_degenerate, 2, "row 2 (building_id=sliver): degenerate polygon"),
    "population layer": (_bad_population, 2, "pop.gpkg: layer population: no population column"),
    "chargers 800 km away": (_far_chargers, 2, "chargers.gpkg: layer charging_points: 1 of 1 features lie far"),
    "flood --buildings points": (_flood_points, 2, "pts.gpkg: layer buildings: holds Point features"),
    "control characters": (_control_chars, 2, "unknown key 'evil[2J]0;owned'"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_input(case, tmp_path):
    setup, code, fragment = CASES[case]
    args, patch = setup(tmp_path)
    t0 = time.perf_counter()
    res = twin_cli(*args, patch=patch, cwd=tmp_path)
    elapsed = time.perf_counter() - t0
    assert res.returncode == code, (case, res.returncode, res.stderr[-2000:])
    assert fragment in res.stderr, (case, res.stderr[-2000:])
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    assert all(line.startswith("error: ") for line in res.stderr.splitlines() if line.strip()), res.stderr
    assert not any(c in res.stderr for c in "\x1b\x07"), "control characters reached the terminal"
    assert elapsed < 120, elapsed
    leftovers = [p for p in tmp_path.rglob(".*") if p.name.endswith((".tmp", ".old", ".lock"))]
    assert not leftovers, leftovers


def test_alias_bomb_and_dev_zero_fail_within_a_second(tmp_path):
    from twin import InputError
    from twin.scenario import load_scenario

    for text in ("name: s\n" + BOMB, BOMB + "name: s\nextends: *i\n", "name: s\nextends: /dev/zero\n"):
        p = scenario(tmp_path, "s.yaml", text)
        t0 = time.perf_counter()
        with pytest.raises(InputError):
            load_scenario(p)
        assert time.perf_counter() - t0 < 1.0


def test_three_problems_are_all_listed(tmp_path):
    s = scenario(tmp_path, "s.yaml", """\
        name: s
        parameters:
          emission_set: coal
          ev_share: 1.5
        targets:
          - {name: t, indicator: co2_everything, max: 1}
        """)
    res = twin_cli("check", s)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2 and len(lines) == 3, res.stderr
    assert any("line 3" in x and "unknown emission_set 'coal'" in x for x in lines)
    assert any("line 4" in x and "ev_share" in x for x in lines)
    assert any("line 6" in x and "unknown indicator 'co2_everything'" in x for x in lines)


def test_a_bad_reference_scenario_fails_check_not_run(tmp_path):
    scenario(tmp_path, "ref.yaml", "name: ref\nparameters: {emission_set: coal}\n")
    s = scenario(tmp_path, "s.yaml", "name: s\ntargets:\n  - {name: t, indicator: co2_total_t_yr, "
                                     "reduction: 0.5, reference: ref.yaml}\n")
    res = twin_cli("check", s)
    assert res.returncode == 2 and "ref.yaml: line 2" in res.stderr and "coal" in res.stderr


# --------------------------------------------------------------------------------------------
# Outputs as a set, lock, signals (items 7 and 8)
# --------------------------------------------------------------------------------------------

def test_rerun_replaces_the_scenario_folder_as_a_whole(tmp_path):
    d = tiny_district(tmp_path / "d")
    out = tmp_path / "out"
    res = twin_cli("run", "--district", d, "--out", out, "--no-map")
    assert res.returncode == 0, res.stderr
    stale = out / "baseline" / "water_depth.tif"
    stale.write_bytes(b"from an earlier run with rain")
    res = twin_cli("run", "--district", d, "--out", out, "--no-map")
    assert res.returncode == 0, res.stderr
    assert not stale.exists()
    assert {"buildings.gpkg", "indicators.json"} <= {p.name for p in (out / "baseline").iterdir()}
    assert sorted(p.name for p in out.iterdir()) == ["baseline"]  # no lock or temp folder left


def test_a_second_run_on_the_same_out_is_refused(tmp_path):
    d = tiny_district(tmp_path / "d")
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".twin-run.lock", "w") as f:  # what a running `twin run` holds
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        res = twin_cli("run", "--district", d, "--out", out, "--no-map")
    assert res.returncode == 2 and "another `twin run` is writing into this folder" in res.stderr
    assert not (out / "baseline").exists()
    res = twin_cli("run", "--district", d, "--out", out, "--no-map")  # the lock is free again
    assert res.returncode == 0, res.stderr


SLOW_WRITE = """
import time, twin.writers as w
orig = w.write_result
def slow(result, folder, **kw):
    out = orig(result, folder, **kw)
    print("WRITING", flush=True)
    time.sleep(60)
    return out
w.write_result = slow
"""


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGTERM, 143, "terminated"),
                                                   (signal.SIGINT, 130, "interrupted")])
def test_signal_leaves_no_temporary_files(tmp_path, sig, code, word):
    d = tiny_district(tmp_path / "d")
    out = tmp_path / "out"
    code_text = SLOW_WRITE + "\nimport sys\nfrom twin.cli import main\nmain(sys.argv[1:], prog_name='twin')\n"
    proc = subprocess.Popen([sys.executable, "-c", code_text, "run", "--district", str(d), "--out", str(out),
                             "--no-map"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "WRITING"
    assert any(p.name.endswith(".tmp") for p in out.iterdir())  # a half-written scenario folder exists
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert word in err and "Traceback" not in err
    assert list(out.iterdir()) == []  # no temp folder, no lock, no half-written outputs


# --------------------------------------------------------------------------------------------
# Data repairs that are not errors (item 9)
# --------------------------------------------------------------------------------------------

def test_real_ids_and_shapefile_column_names(tmp_path):
    import twin

    b = gpd.GeoDataFrame({"building_id": [1.0, 2.0], "use": ["house", "house"], "floor_area_m2": [120.0, 90.0],
                          "year": [1990, 1991], "heating": ["electric", "electric"],
                          "dh_connected": [0, 1]},
                         geometry=[shapely.box(X0, Y0, X0 + 10, Y0 + 10),
                                   shapely.box(X0 + 20, Y0, X0 + 30, Y0 + 10)], crs=CRS)
    with pytest.warns(RuntimeWarning, match="laundered"):  # GDAL: names cut to 10 characters
        d = tiny_district(tmp_path / "d", buildings=b, fmt="shp")
    cols = list(gpd.read_file(d / "buildings.shp").columns)
    assert "building_i" in cols and "floor_area" in cols and "dh_connect" in cols
    district = twin.load_district(d)
    assert district.buildings["building_id"].tolist() == ["1", "2"]
    assert district.buildings["floor_area_m2"].tolist() == [120.0, 90.0]
    assert district.buildings["dh_connected"].tolist() == [False, True]


def test_every_indicator_a_run_reports_is_in_the_registry(tmp_path):
    """Targets are validated against twin.indicators.INDICATORS: it must list every number a run reports."""
    import numbers

    import twin
    from twin.indicators import INDICATORS

    r = twin.evaluate(twin.load_district(tiny_district(tmp_path / "d")), None)
    reported = {k for k, v in r.indicators.items() if isinstance(v, numbers.Number) and not isinstance(v, bool)}
    settings = {"year", "draws"}  # the scenario year and the number of range draws: settings echoed, not indicators
    assert reported - set(INDICATORS) - settings == set()
    assert {"co2_total_t_yr", "car_km_yr", "flooded_buildings"} <= set(INDICATORS)


def test_catalogue_lists_every_case():
    text = (Path(__file__).parent / "hostile" / "CATALOGUE.md").read_text(encoding="utf-8")
    missing = [case for case in CASES if f"| {case} |" not in text]
    assert not missing, f"add to tests/hostile/CATALOGUE.md: {missing}"
