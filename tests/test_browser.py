"""Maps in a real headless Chromium (/usr/bin/chromium driven by Playwright).

No network: every request that is not ``file://`` is aborted and recorded.
Chromium missing fails these tests with a clear message, unless
``TWIN_SKIP_BROWSER=1`` is set.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import HOSTILE, make_result

from twin.maps import compare_page, scenario_map, write_map
from twin.maps._i18n import load_strings
from twin.maps.output import CHROMIUM, launch_chromium

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("TWIN_SKIP_BROWSER") == "1":
        pytest.skip("TWIN_SKIP_BROWSER=1 and no Chromium", allow_module_level=True)
    pytest.fail(f"Chromium not found at {CHROMIUM}: install the Debian package `chromium` "
                "(the browser tests must run in CI), or set TWIN_SKIP_BROWSER=1 to skip them",
                pytrace=False)

from playwright.sync_api import sync_playwright  # noqa: E402

READY_MS = 20_000


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def maps(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("maps")
    r = make_result()
    targets = {k: v for k, v in r.indicators["targets"].items() if "<" not in k}
    nb = replace(r, description="Fjernvarme til hele Bakken", attribution="Testdata (CC0)",
                 indicators={**r.indicators, "targets": targets})
    return {
        "planner": write_map(scenario_map(r, offline=True), d / "planner.html", offline=True),
        "compare": compare_page([r, make_result("district heating", co2=55.0)],
                                d / "compare.html", offline=True),
        "citizen_nb": write_map(scenario_map(nb, lang="nb", audience="citizen", offline=True),
                                d / "citizen_nb.html", offline=True),
    }


class Page:
    """A loaded map page with recorded requests, console errors and dialogs."""

    def __init__(self, browser, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_function("window.twinReady !== undefined", timeout=READY_MS)

    def _dialog(self, d) -> None:
        self.dialogs.append(d.message)
        d.dismiss()

    def _route(self, route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def click_building(self, building_id: str) -> str:
        """Click a building at its pixel (canvas rendering) and return the popup text.

        The building is found by its id among the popup values or by its
        tooltip header (citizen popups show no ids).
        """
        xy = self.page.evaluate("""(id) => {
            const map = window.twinMaps[0];
            let hit = null;
            map.eachLayer(l => {
                const p = l.feature && l.feature.properties;
                if (p && p.c && (p.h === id || (p.v && p.v.includes(id))) && l.getBounds) hit = l;
            });
            map.setView(hit.getBounds().getCenter(), 19, {animate: false});
            const pt = map.latLngToContainerPoint(hit.getBounds().getCenter());
            const r = map.getContainer().getBoundingClientRect();
            return [r.left + pt.x, r.top + pt.y];
        }""", building_id)
        self.page.wait_for_timeout(100)
        self.page.mouse.click(xy[0], xy[1])
        popup = self.page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5000)
        return popup.inner_text()

    def close(self) -> None:
        self.page.close()


def test_offline_map_no_network_no_console_error(browser, maps) -> None:
    for path in maps.values():
        pg = Page(browser, path)
        n = pg.page.evaluate("Object.keys(window.twinMaps[0]._layers).length")
        assert n > 10
        assert pg.requests == []
        assert pg.errors == []
        pg.close()


def test_layer_control_toggles_a_layer(browser, maps) -> None:
    pg = Page(browser, maps["planner"])
    count = "Object.keys(window.twinMaps[0]._layers).length"
    before = pg.page.evaluate(count)
    box = pg.page.locator(".leaflet-control-layers-overlays label",
                          has_text="Buildings").locator("input")
    assert box.is_checked()
    legend = pg.page.locator(".twin-legend-sec", has_text="Colour buildings by")
    assert legend.is_visible()
    box.click()
    # 6 buildings off the map (plus their GeoJSON group); its legend hides
    assert pg.page.evaluate(count) == before - 7
    assert not legend.is_visible()
    box.click()
    assert pg.page.evaluate(count) == before
    assert pg.errors == []
    pg.close()


def test_popup_shows_the_right_buildings_numbers(browser, maps) -> None:
    pg = Page(browser, maps["planner"])
    text = pg.click_building("B1")
    assert "Solbakken borettslag" in text
    assert "240,000" in text  # energy 180 000 + 60 000 kWh/yr
    assert "120" in text  # 240 000 kWh / 2 000 m2
    assert "Storgata 1" in text and "Storgata 7" not in text
    pg.close()


def test_hostile_name_stays_text(browser, maps) -> None:
    pg = Page(browser, maps["planner"])
    text = pg.click_building("B2")
    assert HOSTILE in text
    assert "Storgata 3 & 5" in text
    assert pg.page.locator(".leaflet-popup-content img").count() == 0
    assert pg.page.locator("img[src=x]").count() == 0
    body = pg.page.inner_text("body")
    assert "<script>alert('desc')</script>" in body  # the description, as text
    assert pg.dialogs == [] and pg.errors == []
    pg.close()


def test_citizen_map_in_norwegian_has_no_english_ui_string(browser, maps) -> None:
    pg = Page(browser, maps["citizen_nb"])
    popup = pg.click_building("Solbakken borettslag")
    assert "Storgata 1" in popup and "ja" in popup  # address; district heating: yes
    visible = pg.page.inner_text("body") + "\n" + popup
    titles = pg.page.evaluate(
        "Array.from(document.querySelectorAll('[title]')).map(e => e.title).join('\\n')")
    text = visible + "\n" + titles
    en, nb = load_strings("en"), load_strings("nb")
    english = {v for k, v in en.items() if v != nb[k] and "{" not in v and len(v) >= 3
               and any(c.isalpha() for c in v)}
    found = sorted(s for s in english
                   if re.search(r"(?<!\w)" + re.escape(s) + r"(?!\w)", text))
    assert found == []
    assert "Her samler vannet seg ved styrtregn" in text
    assert "Bygninger som varmes med fjernvarme" in text
    assert "SYNTETISKE DATA" in text
    assert pg.errors == [] and pg.requests == []
    pg.close()


def test_compare_page_maps_move_together(browser, maps) -> None:
    pg = Page(browser, maps["compare"])
    pg.page.wait_for_function("window.twinMaps.length === 2", timeout=READY_MS)
    moved = pg.page.evaluate("""() => {
        const [a, b] = window.twinMaps;
        a.setView([a.getCenter().lat + 0.0005, a.getCenter().lng + 0.001], 18, {animate: false});
        return [a.getCenter().lat, a.getCenter().lng, a.getZoom(),
                b.getCenter().lat, b.getCenter().lng, b.getZoom()];
    }""")
    assert moved[2] == moved[5] == 18
    assert moved[0] == pytest.approx(moved[3], abs=1e-6)
    assert moved[1] == pytest.approx(moved[4], abs=1e-6)
    assert "−14.9" in pg.page.inner_text(".twin-cmp-bar")
    assert pg.requests == [] and pg.errors == []
    pg.close()
