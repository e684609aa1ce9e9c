"""Tests of twin.maps without a browser: strings, classes, escaping, offline pages, output."""

from __future__ import annotations

import html
import json
import re
import string
from dataclasses import replace
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml
from conftest import CRS, HOSTILE, make_result
from hypothesis import given, settings
from hypothesis import strategies as st

from twin._errors import InputError
from twin.maps import (COLOR_BY, LANGS, Strings, add_buildings, compare_page, new_map,
                       scenario_map, write_map)
from twin.maps._elements import FastGeoJson
from twin.maps._geo import display_geometry
from twin.maps._i18n import I18N_DIR, load_strings
from twin.maps._style import breaks, numeric_classes
from twin.maps.output import remote_references
from twin.schema import HEATING, USES

MAPS_SRC = Path(__file__).resolve().parent.parent / "twin" / "maps"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


# ----------------------------------------------------------------------------- i18n
def test_every_key_in_every_language_with_same_placeholders() -> None:
    en = load_strings("en")
    for lang in LANGS:
        other = load_strings(lang)
        assert set(other) == set(en), (lang, set(en) ^ set(other))
        for k, v in en.items():
            assert _fields(other[k]) == _fields(v), (lang, k)
    # the files are plain YAML readable with safe_load, keys are strings (no YAML booleans)
    for lang in LANGS:
        data = yaml.safe_load((I18N_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
        assert all(isinstance(k, str) for k in data["common"])


def test_every_key_used_in_code_exists() -> None:
    en = load_strings("en")
    used = set()
    for py in MAPS_SRC.glob("*.py"):
        used |= set(re.findall(r"""\bt(?:\.h)?\(\s*["']([\w.]+)["']""", py.read_text()))
    assert len(used) > 60
    assert used - set(en) == set()
    for h in HEATING:
        assert f"heating.{h}" in en
    for u in USES:
        assert f"use.{u}" in en
    for k in COLOR_BY:
        assert f"indicator.{k}" in en and f"citizen.indicator.{k}" in en
        assert f"citizen.layer.buildings_{k}" in en


def test_unknown_language_lists_the_allowed_ones(tiny_result) -> None:
    with pytest.raises(InputError) as e:
        scenario_map(tiny_result, lang="de")
    assert all(lang in str(e.value) for lang in LANGS)
    with pytest.raises(InputError, match="planner"):
        scenario_map(tiny_result, audience="mayor")
    with pytest.raises(InputError, match="energy"):
        scenario_map(tiny_result, color_by="colour")


@pytest.mark.parametrize(("lang", "value", "dec", "expected"), [
    ("en", 1234.5, 1, "1,234.5"), ("nb", 1234.5, 1, "1 234,5"), ("sv", 1234567, 0, "1 234 567"),
    ("da", 1234.5, 1, "1.234,5"), ("en", float("nan"), 0, "–"), ("en", None, 0, "–"),
    ("en", -0.04, 1, "0.0"),
])
def test_number_format(lang: str, value: float, dec: int, expected: str) -> None:
    assert Strings(lang).num(value, dec) == expected


# ----------------------------------------------------------------------------- classes
def test_energy_classes_hand_values() -> None:
    cls = numeric_classes("energy_kwh_m2_yr", ("a", "b", "c", "d", "e"))
    assert cls.breaks == (100.0, 150.0, 200.0, 250.0)
    got = cls.classify(np.array([0.0, 99.9, 100.0, 120.0, 250.0, 900.0, np.nan]))
    assert got.tolist() == [0, 0, 1, 1, 4, 4, -1]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=5000, allow_nan=False), min_size=1,
                max_size=30))
def test_classes_are_monotone(values: list[float]) -> None:
    cls = numeric_classes("dist_charger_m", ("1", "2", "3", "4", "5"))
    v = np.sort(np.array(values))
    idx = cls.classify(v)
    assert np.all(np.diff(idx) >= 0)
    assert idx.min() >= 0 and idx.max() <= len(breaks("dist_charger_m"))


# ----------------------------------------------------------------------------- building layer
def _layer_data(layer: FastGeoJson) -> dict:
    return json.loads(layer.data_js)  # \u003c escapes are valid JSON


def test_building_properties_hand_values(tiny_result) -> None:
    m = new_map(offline=True)
    layer = add_buildings(m, tiny_result.buildings, lang="en")
    feats = {f["properties"]["v"][0]: f["properties"] for f in _layer_data(layer)["features"]}
    b1, b2, b4 = feats["B1"], feats["B2"], feats["B4"]
    # B1: energy 240 000 kWh / 2 000 m2 = 120 kWh/m2 -> class 1; co2 4 000/2 000 = 2 -> class 1;
    # district heating -> heating index 0; flood 0 -> class 0; charger 80 m -> 0; dh -> 1
    assert b1["c"] == [1, 1, 0, 0, 0, 1]
    assert b1["v"][8] == "240,000" and b1["v"][9] == "120"
    assert b1["h"] == "Solbakken borettslag"
    # B2: 30 000/150 = 200 -> 3; 7 000/150 = 46.7 -> 4; oil -> 5; 0.42 m -> 2; 260 m -> 2; no DH
    assert b2["c"] == [3, 4, HEATING.index("oil"), 2, 2, 0]
    assert b2["h"] == html.escape(HOSTILE)
    assert b2["v"][1] == "Storgata 3 &amp; 5"
    # B4: every estimate missing -> no data (-1) except heating and dh
    assert b4["c"] == [-1, -1, HEATING.index("electric"), -1, -1, 0]
    assert b4["v"][8] == "–" and b4["h"] == "B4"


def test_display_geometry_simplified_rounded_reprojected() -> None:
    # a 100 m square with 400 extra collinear-ish vertices (0.1 m wiggle) -> 5 vertices
    xs = np.linspace(0, 100, 401)
    ring = [(262_000 + x, 6_649_000 + (0.1 if i % 2 else 0.0)) for i, x in enumerate(xs)]
    ring += [(262_100, 6_649_100), (262_000, 6_649_100)]
    g = gpd.GeoDataFrame({"a": [1, 2]}, geometry=[shapely.Polygon(ring), None], crs=CRS)
    geoms, keep = display_geometry(g, where="test")
    assert keep.tolist() == [0]
    coords = shapely.get_coordinates(geoms)
    assert len(coords) <= 6
    assert np.allclose(coords, np.round(coords, 6))
    assert 10.0 < coords[:, 0].min() < 11.5 and 59.0 < coords[:, 1].min() < 60.5
    with pytest.raises(InputError, match="CRS"):
        display_geometry(g.set_crs(None, allow_override=True), where="test")


# ----------------------------------------------------------------------------- pages
def _page(m: folium.Map) -> str:
    return m.get_root().render()


@pytest.mark.parametrize("audience", ["planner", "citizen"])
def test_data_text_is_escaped_everywhere(tiny_result, audience: str) -> None:
    page = _page(scenario_map(tiny_result, audience=audience, offline=True))
    for raw in ("<img src=x", "<script>alert('desc')", "<i>CC0</i>", "<b>bold</b>"):
        assert raw not in page
    # the texts are there, escaped (HTML entities inside JSON with \u0026)
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in page
    assert "\\u0026lt;script\\u0026gt;alert" in page


def test_offline_page_is_self_contained(tiny_result) -> None:
    page = _page(scenario_map(tiny_result, offline=True))
    assert remote_references(page) == []
    assert "cdn." not in page and "openstreetmap.org/{z}" not in page
    assert "L.Map.include" in page or "L.version" in page or "leaflet" in page.lower()
    assert page.count("<script src") == 0 and "<link rel=\"stylesheet\" href" not in page
    online = _page(scenario_map(tiny_result, offline=False))
    assert "tile.openstreetmap.org" in online
    assert remote_references(online) == []  # tiles are requested by Leaflet, not markup


def test_every_layer_in_the_layer_control(tiny_result) -> None:
    m = scenario_map(tiny_result, offline=True)
    page = _page(m)
    names = [c.layer_name for c in m._children.values() if isinstance(c, FastGeoJson)]
    t = Strings("en")
    expected = ["layer.streets", "layer.basins", "layer.charging_gap", "layer.buildings",
                "layer.heat_network", "layer.heat_plants", "layer.charging_points"]
    for k in expected:
        assert t(k) in names
    assert any(n.startswith("Low-lying areas") for n in names)
    assert any(n.startswith("Walking distance") for n in names)
    ctl = page[page.index("overlays :"): page.index("L.control.layers")]
    assert len(re.findall(r'" : fast_geo_json_', ctl)) == len(names) == 9
    citizen = scenario_map(tiny_result, offline=True, audience="citizen", lang="nb")
    cnames = [c.layer_name for c in citizen._children.values() if isinstance(c, FastGeoJson)]
    assert "Her samler vannet seg ved styrtregn" in cnames
    assert "Bygninger som varmes med fjernvarme" in cnames
    assert len(cnames) <= 6


def test_synthetic_label_only_when_synthetic(tiny_result) -> None:
    banner = Strings("en").h("banner.synthetic")
    assert banner in _page(scenario_map(tiny_result, offline=True))
    real = replace(tiny_result, synthetic=False)
    assert banner not in _page(scenario_map(real, offline=True))


def test_indicator_panel_targets(tiny_result) -> None:
    page = _page(scenario_map(tiny_result, offline=True))
    # co2 69.9 > 60 -> missed; dh 33 % < 50 % -> missed; the bold target met
    assert page.count('class=\\"twin-missed\\"') == 2
    assert page.count('class=\\"twin-met\\"') == 1
    assert "69.9" in page and "33 %" in page


def test_write_map_atomic_and_offline_checks(tiny_result, tmp_path: Path) -> None:
    out = write_map(scenario_map(tiny_result, offline=True), tmp_path / "a" / "map.html",
                    offline=True)
    assert out.is_file() and out.stat().st_size > 150_000
    assert [p.name for p in out.parent.iterdir()] == ["map.html"]
    with pytest.raises(InputError, match="tile layer"):
        write_map(scenario_map(tiny_result, offline=False), tmp_path / "b.html", offline=True)
    assert not (tmp_path / "b.html").exists()


def test_compare_page(tiny_result_pair, tmp_path: Path) -> None:
    out = compare_page(tiny_result_pair, tmp_path / "compare.html", offline=True)
    page = out.read_text(encoding="utf-8")
    assert remote_references(page) == []
    assert ".sync(" in page and page.count('class="folium-map"') == 2
    # CO2 total 55.0 vs 69.9 -> difference -14.9, shown as a decrease
    assert '<span class="twin-down">−14.9</span>' in page
    assert "district heating" in page
    with pytest.raises(InputError, match="two or more"):
        compare_page(tiny_result_pair[:1], tmp_path / "c.html")


def test_maps_for_every_language_and_audience(tiny_result) -> None:
    for lang in LANGS:
        for audience in ("planner", "citizen"):
            page = _page(scenario_map(tiny_result, lang=lang, audience=audience, offline=True))
            assert Strings(lang).h("banner.synthetic") in page


def test_missing_columns_and_empty_layers(tiny_result) -> None:
    b = tiny_result.buildings[["building_id", "use", "geometry"]]
    r = replace(tiny_result, buildings=b, layers={}, indicators={"scenario": "x"})
    page = _page(scenario_map(r, offline=True))
    assert "twinReady" in page and remote_references(page) == []


def test_hostile_name_unused_by_make_result_defaults() -> None:
    # guard: the fixture really carries the payload the escaping tests rely on
    assert HOSTILE in make_result().buildings["name"].tolist()


def test_target_values_formatted_by_kind() -> None:
    from twin.maps.panels import indicator_panel_html
    ind = {"targets": {
        "Cut CO2 by half": {"indicator": "co2_total_t_yr", "kind": "reduction", "value": 0.25,
                            "threshold": 0.5, "met": False},
        "DH share": {"indicator": "dh_connected_share", "kind": "min", "value": 0.61,
                     "threshold": 0.6, "met": True},
    }}
    body = indicator_panel_html(ind, scenario="s", description="", lang="nb", audience="planner")
    assert "<td>25 %</td><td>50 %</td>" in body and "<td>61 %</td><td>60 %</td>" in body
    assert "✗ ikke nådd" in body and "✓ nådd" in body
    # untranslated target names: the indicator's label, the name kept as a title
    assert '<span title="Cut CO2 by half">CO₂ totalt (t/år) – reduksjon</span>' in body
    citizen = indicator_panel_html(ind, scenario="s", description="", lang="nb",
                                   audience="citizen")
    assert "Cut CO2" not in citizen and "Bygninger med fjernvarme" in citizen


def test_coverage_circles_public_chargers_with_the_models_radius(tiny_result) -> None:
    from types import SimpleNamespace

    from twin.maps import add_charging_points
    from twin.maps.layers import coverage_radius_m
    assert coverage_radius_m({}) == 300.0  # classes.csv fallback = twin.mobility default
    extra = {"mobility_params": SimpleNamespace(walk_distance_m=400.0)}
    assert coverage_radius_m(extra) == 400.0
    m = new_map(offline=True)
    cov, pts = add_charging_points(m, tiny_result.layers["charging_points"],
                                   radius_m=coverage_radius_m(extra))
    circles = _layer_data(cov)["features"]
    assert [f["properties"]["r"] for f in circles] == [400.0]  # C1 public; C2 private: none
    assert len(_layer_data(pts)["features"]) == 2
    (citizen,) = add_charging_points(m, tiny_result.layers["charging_points"],
                                     audience="citizen", radius_m=400.0)
    assert sum("n" in f["properties"] for f in _layer_data(citizen)["features"]) == 1
