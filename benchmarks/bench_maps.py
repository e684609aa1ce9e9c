"""Benchmark: map HTML size and time to a drawn map in headless Chromium.

Compares, on the same synthetic buildings (irregular 10-vertex outlines in
EPSG:25833 with every result column):

- ``twin``: ``twin.maps.scenario_map(..., offline=True)`` (style and popup
  values in feature properties, canvas renderer, simplified + rounded
  geometry) written with ``write_map``;
- ``folium``: plain ``folium.GeoJson(style_function=...)`` with a
  ``GeoJsonTooltip`` of the same fields (Leaflet inlined the same way so that
  it draws without network).

"Ready" is ``performance.now()`` (ms since navigation start) two animation
frames after the last map script ran, i.e. after the first paint of the
layers. Run: ``python3 benchmarks/bench_maps.py [N ...]`` (default 5000 50000).
"""

from __future__ import annotations

import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from twin.maps import scenario_map, write_map
from twin.maps._page import asset_html
from twin.maps._style import numeric_classes, YLORRD5
from twin.maps.output import atomic_write_bytes, launch_chromium
from twin.result import Result

X0, Y0 = 262_000.0, 6_649_000.0
HEAT = ("district_heating", "hp_air_water", "electric", "oil", "bio")


def synthetic_buildings(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    """``n`` L-shaped buildings (10 vertices incl. closing) on a 25 m grid."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x, y = X0 + 25.0 * (i % side), Y0 + 25.0 * (i // side)
    w, h = rng.uniform(8, 18, n), rng.uniform(8, 18, n)
    geoms = []
    for xi, yi, wi, hi in zip(x, y, w, h, strict=True):
        geoms.append(shapely.Polygon([
            (xi, yi), (xi + wi, yi), (xi + wi, yi + hi * 0.5), (xi + wi * 0.75, yi + hi * 0.5),
            (xi + wi * 0.5, yi + hi * 0.5 + 0.2), (xi + wi * 0.5, yi + hi),
            (xi + wi * 0.25, yi + hi), (xi, yi + hi), (xi, yi + hi * 0.5)]))
    area = rng.uniform(80, 3000, n)
    heat = area * rng.uniform(60, 220, n)
    el = area * rng.uniform(30, 80, n)
    df = pd.DataFrame({
        "building_id": [f"B{k}" for k in i], "use": rng.choice(["house", "apartment", "office"], n),
        "name": [f"Bygning {k}" for k in i], "address": [f"Gate {k % 400} nr {k}" for k in i],
        "floor_area_m2": area, "residents": rng.uniform(0, 80, n), "jobs": rng.uniform(0, 50, n),
        "heating": rng.choice(HEAT, n), "dh_connected": rng.random(n) < 0.3,
        "heat_kwh_yr": heat, "electricity_kwh_yr": el, "energy_kwh_yr": heat + el,
        "co2_kg_yr": heat * 0.05, "dist_heat_network_m": rng.uniform(0, 500, n),
        "car_km_yr": rng.uniform(0, 1e5, n), "ev_kwh_yr": rng.uniform(0, 1e4, n),
        "co2_transport_kg_yr": rng.uniform(0, 1e4, n), "dist_charger_m": rng.uniform(0, 1500, n),
        "flood_depth_m": np.where(rng.random(n) < 0.1, rng.uniform(0, 1.5, n), 0.0),
        "in_low_lying_area": rng.random(n) < 0.1,
    })
    return gpd.GeoDataFrame(df, geometry=geoms, crs="EPSG:25833")


class _Ready(MacroElement):
    _template = Template("""{% macro script(this, kwargs) %}
        requestAnimationFrame(function () { requestAnimationFrame(function () {
            window.twinReady = performance.now(); }); });
        {% endmacro %}""")


class _InlinedMap(folium.Map):
    """folium.Map with Leaflet inlined (folium's CDN links draw nothing offline)."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def render(self, **kwargs) -> None:
        self.get_root().header.add_child(Element(asset_html()), name="twin_assets")
        super().render(**kwargs)


def plain_folium(b: gpd.GeoDataFrame) -> folium.Map:
    """The peer variant: GeoJson(style_function) + GeoJsonTooltip on the same fields."""
    cls = numeric_classes("energy_kwh_m2_yr", YLORRD5)
    g = b.to_crs("EPSG:4326").copy()
    g["cls"] = cls.classify(g["energy_kwh_yr"] / g["floor_area_m2"])
    fields = ["building_id", "name", "address", "use", "floor_area_m2", "heating",
              "energy_kwh_yr", "co2_kg_yr", "dist_charger_m", "flood_depth_m"]
    m = _InlinedMap(location=[59.95, 10.75], zoom_start=15, tiles=None)  # Leaflet inlined
    folium.GeoJson(
        g[[*fields, "cls", "geometry"]],
        style_function=lambda f: {"fillColor": cls.colours[f["properties"]["cls"]],
                                  "color": "#555555", "weight": 0.6, "fillOpacity": 0.85},
        tooltip=folium.GeoJsonTooltip(fields=fields),
    ).add_to(m)
    _Ready().add_to(m)
    return m


def ready_ms(browser, path: Path, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                   else r.abort())
        page.goto(path.as_uri(), wait_until="load", timeout=600_000)
        page.wait_for_function("window.twinReady !== undefined", timeout=600_000)
        out.append(page.evaluate("window.twinReady"))
        page.close()
    return out


def main(sizes: list[int]) -> None:
    from playwright.sync_api import sync_playwright

    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="bench_maps_"))
    with sync_playwright() as p:
        browser = launch_chromium(p)
        for n in sizes:
            b = synthetic_buildings(n)
            r = Result(scenario=f"bench{n}", description="", district="bench", crs="EPSG:25833",
                       buildings=b, layers={}, indicators={"scenario": "bench"},
                       synthetic=True, attribution="synthetic")
            t0 = time.perf_counter()
            twin_path = write_map(scenario_map(r, offline=True), tmp / f"twin_{n}.html",
                                  offline=True)
            t_twin = time.perf_counter() - t0
            t0 = time.perf_counter()
            plain_path = atomic_write_bytes(tmp / f"folium_{n}.html",
                                            plain_folium(b).get_root().render().encode())
            t_plain = time.perf_counter() - t0
            rep = 3 if n <= 10_000 else 2
            tw = ready_ms(browser, twin_path, rep)
            pl = ready_ms(browser, plain_path, 1 if n > 10_000 else rep)
            rows.append((n, twin_path.stat().st_size, t_twin, statistics.median(tw),
                         plain_path.stat().st_size, t_plain, statistics.median(pl)))
            print(f"n={n}: twin {rows[-1][1] / 1e6:.1f} MB build {t_twin:.1f} s ready "
                  f"{rows[-1][3] / 1000:.2f} s {tw}; folium {rows[-1][4] / 1e6:.1f} MB build "
                  f"{t_plain:.1f} s ready {rows[-1][6] / 1000:.2f} s {pl}", flush=True)
        browser.close()
    print(f"\nmachine: {platform.platform()}, python {platform.python_version()}, "
          f"folium {folium.__version__}")
    print("| buildings | twin HTML | twin build (Python) | twin ready in Chromium | "
          "folium HTML | folium build | folium ready | ready ratio folium/twin |")
    print("|---|---|---|---|---|---|---|---|")
    for n, s1, b1, r1, s2, b2, r2 in rows:
        print(f"| {n:,} | {s1 / 1e6:.1f} MB | {b1:.1f} s | {r1 / 1000:.2f} s | "
              f"{s2 / 1e6:.1f} MB | {b2:.1f} s | {r2 / 1000:.2f} s | {r2 / r1:.1f}× |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [5000, 50_000])
