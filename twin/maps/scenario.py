"""The scenario map: every layer of one :class:`~twin.result.Result` on one map."""

from __future__ import annotations

import geopandas as gpd
import shapely

from twin._errors import input_error
from twin._text import local
from twin.maps._i18n import Strings, check_audience, check_lang
from twin.maps._page import TwinMap
from twin.maps._service_area import service_area
from twin.maps._water import depth_stats
from twin.maps.layers import (COLOR_BY, add_basins, add_buildings, add_charger_coverage,
                              add_charging_gap, add_charging_points, add_depressions,
                              add_grid_areas, add_heat_network, add_heat_plants, add_sea,
                              add_street_names, add_streets, add_water_depth,
                              coverage_radius_m)
from twin.maps.panels import add_data_note, add_indicator_panel
from twin.maps.story import story_spec
from twin.result import Result

#: Highest zoom of the maps (OSM tiles are upsampled above 19).
MAX_ZOOM = 20
OSM_MAX_NATIVE_ZOOM = 19
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"

#: Layers switched on when the map opens, per theme (the building colouring):
#: the layers that answer the map's question; the rest are one click away.
THEME_LAYERS: dict[str, frozenset[str]] = {
    "energy": frozenset({"buildings", "heat_network", "heat_plants"}),
    "co2": frozenset({"buildings", "heat_network", "heat_plants"}),
    "heating": frozenset({"buildings", "heat_network", "heat_plants"}),
    "dh": frozenset({"buildings", "heat_network", "heat_plants"}),
    "flood": frozenset({"buildings", "water_depth", "depressions", "basins"}),
    "charger": frozenset({"buildings", "charger_coverage", "charging_points"}),
    "peak": frozenset({"buildings", "grid_areas"}),
}


def _has(result: Result, key: str) -> bool:
    g = result.layers.get(key)
    return g is not None and len(g) > 0


def _bounds(result: Result) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of the buildings (else the first layer)."""
    for gdf in [result.buildings, *result.layers.values()]:
        if gdf is not None and len(gdf) > 0 and gdf.crs is not None:
            box = gpd.GeoSeries([shapely.box(*gdf.total_bounds)], crs=gdf.crs)
            w, s, e, n = box.to_crs("EPSG:4326").total_bounds
            return [[float(s), float(w)], [float(n), float(e)]]
    return None


def scenario_title(result: Result, lang: str) -> str:
    """The scenario's title in ``lang`` (its ``title``, else its name)."""
    return local(result.title, lang).strip() or result.scenario


def page_strings(t: Strings) -> dict[str, str]:
    """Strings of the page's own controls (zoom, layers, panels)."""
    return {k: t(f"control.{k}") for k in ("zoom_in", "zoom_out", "layers", "legend")}


def new_map(*, lang: str = "en", audience: str = "planner", offline: bool = False,
            title: str = "") -> TwinMap:
    """An empty map: canvas rendering, zoom buttons, scale bar, OSM tiles when online.

    Offline maps get no tiles (the district's own streets are drawn instead,
    see :func:`scenario_map`).
    """
    check_lang(lang)
    check_audience(audience)
    t = Strings(lang)
    tiles = None if offline else {"url": OSM_TILES, "attribution": OSM_ATTRIBUTION,
                                  "maxNativeZoom": OSM_MAX_NATIVE_ZOOM}
    return TwinMap(lang=lang, audience=audience, title=title, tiles=tiles,
                   options={"maxZoom": MAX_ZOOM, "strings": page_strings(t)})


def scenario_map(result: Result, *, lang: str = "en", audience: str = "planner",
                 offline: bool = False, color_by: str | None = None,
                 panel: bool = True) -> TwinMap:
    """Interactive map of one scenario result.

    Parameters
    ----------
    result : Result
        One scenario evaluation.
    lang : {"en", "nb", "sv", "da"}
        Language of every label.
    audience : {"planner", "citizen"}
        ``planner``: every layer and number; ``citizen``: one theme in plain
        language, large text, simple legends.
    offline : bool
        No tile layer; the district's streets are drawn as a light basemap.
        Write with ``write_map(m, path, offline=True)``.
    color_by : str, optional
        Initial building colouring (the map's theme), one of
        :data:`twin.maps.layers.COLOR_BY`; the layers of :data:`THEME_LAYERS`
        start switched on.
    panel : bool
        Whether to draw the indicator panel (the comparison page has a table).

    Returns
    -------
    TwinMap

    Raises
    ------
    InputError
        Unknown ``lang``, ``audience`` or ``color_by``, or a layer without CRS.
    """
    check_lang(lang)
    check_audience(audience)
    if color_by is not None and color_by not in COLOR_BY:
        raise input_error("map options", f"unknown color_by {color_by!r}",
                          f"use one of: {', '.join(COLOR_BY)}", column="color_by")
    t = Strings(lang)
    planner = audience == "planner"
    theme = color_by or ("energy" if planner else "dh")
    on = THEME_LAYERS.get(theme, frozenset({"buildings"}))
    name = scenario_title(result, lang)
    m = new_map(lang=lang, audience=audience, offline=offline,
                title=f"{name} – {t('panel.title')}")
    ind = result.indicators or {}
    kw = {"lang": lang, "audience": audience}
    L = result.layers
    streets = L.get("streets") if _has(result, "streets") else None
    if offline and _has(result, "sea"):
        add_sea(m, L["sea"], lang=lang)
    if offline and streets is not None:
        add_streets(m, streets, lang=lang)
    if result.water_depth is not None:
        add_water_depth(m, result.water_depth, rain_mm=ind.get("rain_mm"),
                        show="water_depth" in on, **kw)
    if _has(result, "depressions"):
        dep = L["depressions"]
        if "water_depth_median_m" not in dep.columns:
            dep = dep.assign(**depth_stats(dep, result.water_depth))
        add_depressions(m, dep, rain_mm=ind.get("rain_mm"), show="depressions" in on, **kw)
    if _has(result, "basins"):
        add_basins(m, L["basins"], show="basins" in on, **kw)
    if planner and _has(result, "grid_areas"):
        add_grid_areas(m, L["grid_areas"], show="grid_areas" in on, **kw)
    if planner and _has(result, "charging_gap"):
        add_charging_gap(m, L["charging_gap"], show="charging_gap" in on, **kw)
    radius = coverage_radius_m(result.extra)
    if _has(result, "charging_points"):
        area = service_area(L["charging_points"], radius, streets)
        if len(area):
            add_charger_coverage(m, area, radius_m=radius, show="charger_coverage" in on, **kw)
    if result.buildings is not None and len(result.buildings) > 0:
        add_buildings(m, result.buildings, color_by=color_by, show=True, **kw)
    if _has(result, "heat_network"):
        add_heat_network(m, L["heat_network"], show="heat_network" in on, **kw)
    if planner and _has(result, "heat_plants"):
        add_heat_plants(m, L["heat_plants"], show="heat_plants" in on, **kw)
    if _has(result, "charging_points"):
        add_charging_points(m, L["charging_points"], radius_m=radius,
                            show="charging_points" in on, **kw)
    if offline and streets is not None:
        add_street_names(m, streets, lang=lang)
    if panel:
        add_indicator_panel(m, ind, scenario=name, description=local(result.description, lang),
                            **kw)
        if not planner:
            m.panels["story"] = story_spec(ind, scenario=name, lang=lang,
                                           layer_keys={la["key"] for la in m.layers})
    else:
        m.panels["title"] = name
    note = add_data_note(m, attribution=local(result.attribution, lang),
                         synthetic=result.synthetic, **kw)
    if planner and "co2_direct_t_yr" in ind:
        note["lines"].insert(1, t("note.co2_direct"))
    m.bounds = _bounds(result)
    return m
