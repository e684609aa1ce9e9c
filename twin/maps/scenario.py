"""The scenario map: every layer of one :class:`~twin.result.Result` on one map."""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import shapely
from branca.element import Element

from twin._errors import input_error
from twin.maps._elements import MapScript, TwinMap, js_json
from twin.maps._i18n import Strings, check_audience, check_lang
from twin.maps.layers import (COLOR_BY, add_basins, add_buildings, add_charging_gap,
                              add_charging_points, add_depressions, add_heat_network,
                              add_grid_areas, add_heat_plants, add_streets, coverage_radius_m)
from twin.maps.panels import add_data_note, add_indicator_panel
from twin.result import Result

#: Highest zoom of the maps (OSM tiles are upsampled above 19).
MAX_ZOOM = 20
OSM_MAX_NATIVE_ZOOM = 19
#: Screen padding (px) when fitting the district: the indicator panel (left) and
#: the legend (right) cover these widths.
FIT_PAD_PX: dict[str, tuple[int, int]] = {"planner": (330, 300), "citizen": (420, 310)}


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


def new_map(*, lang: str = "en", audience: str = "planner", offline: bool = False,
            title: str = "") -> folium.Map:
    """An empty map with inlined Leaflet, canvas rendering, zoom buttons and a scale bar.

    Online maps get OpenStreetMap tiles with attribution; offline maps none
    (the district's own streets are drawn instead, see :func:`scenario_map`).
    """
    check_lang(lang)
    check_audience(audience)
    t = Strings(lang)
    m = TwinMap(location=None, tiles=None, prefer_canvas=True, zoom_control=False,
                control_scale=False, max_zoom=MAX_ZOOM)
    if not offline:
        folium.TileLayer("OpenStreetMap", name=t("layer.osm"), control=False,
                         max_zoom=MAX_ZOOM, max_native_zoom=OSM_MAX_NATIVE_ZOOM).add_to(m)
    if title:
        m.get_root().header.add_child(Element(f"<title>{html.escape(title)}</title>"),
                                      name="twin_title")
    MapScript(f"twin.controls({{map}}, {js_json(t('control.zoom_in'))}, "
              f"{js_json(t('control.zoom_out'))});").add_to(m)
    if audience == "citizen":
        MapScript("{map}.getContainer().classList.add('twin-citizen');").add_to(m)
    return m


def scenario_map(result: Result, *, lang: str = "en", audience: str = "planner",
                 offline: bool = False, color_by: str | None = None,
                 panel: bool = True) -> folium.Map:
    """Interactive map of one scenario result.

    Parameters
    ----------
    result : Result
        One scenario evaluation.
    lang : {"en", "nb", "sv", "da"}
        Language of every label.
    audience : {"planner", "citizen"}
        ``planner``: every layer and number; ``citizen``: a few plain-language
        layers, large text, simple legends.
    offline : bool
        No tile layer; the district's streets are drawn as a light basemap.
        Write with ``write_map(m, path, offline=True)``.
    color_by : str, optional
        Initial building colouring, one of :data:`twin.maps.layers.COLOR_BY`.
    panel : bool
        Whether to draw the indicator panel (the comparison page has a table).

    Returns
    -------
    folium.Map

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
    m = new_map(lang=lang, audience=audience, offline=offline,
                title=f"{result.scenario} – {t('panel.title')}")
    ind = result.indicators or {}
    kw = {"lang": lang, "audience": audience}
    L = result.layers
    if offline and _has(result, "streets"):
        add_streets(m, L["streets"], lang=lang)
    if _has(result, "depressions"):
        add_depressions(m, L["depressions"], rain_mm=ind.get("rain_mm"), **kw)
    if _has(result, "basins"):
        add_basins(m, L["basins"], **kw)
    if planner and _has(result, "charging_gap"):
        add_charging_gap(m, L["charging_gap"], **kw)
    if planner and _has(result, "grid_areas"):
        add_grid_areas(m, L["grid_areas"], show=False, **kw)
    if result.buildings is not None and len(result.buildings) > 0:
        add_buildings(m, result.buildings, color_by=color_by, **kw)
    if _has(result, "heat_network"):
        add_heat_network(m, L["heat_network"], **kw)
    if planner and _has(result, "heat_plants"):
        add_heat_plants(m, L["heat_plants"], **kw)
    if _has(result, "charging_points"):
        add_charging_points(m, L["charging_points"], radius_m=coverage_radius_m(result.extra), **kw)
    if panel:
        add_indicator_panel(m, ind, scenario=result.scenario, description=result.description,
                            **kw)
    else:
        MapScript(f"twin.panel({{map}}, 'topleft', 'twin-title', "
                  f"{js_json('<b>' + html.escape(result.scenario) + '</b>')});").add_to(m)
    add_data_note(m, attribution=result.attribution, synthetic=result.synthetic, **kw)
    folium.LayerControl(position="topright", collapsed=not panel).add_to(m)
    b = _bounds(result)
    if b is not None:
        # keep the district clear of the panels on the left and the legend on the right
        left, right = FIT_PAD_PX[audience] if panel else (10, 10)
        m.fit_bounds(b, padding_top_left=(left, 10), padding_bottom_right=(right, 10))
    MapScript("twin.ready({map});").add_to(m)
    return m
