"""Map layers: one small function per layer of a scenario result.

Every function takes the map first, adds one layer (and its legend) and
returns the layer. Text from data is HTML-escaped here, before it is put into
a feature's properties; numbers are formatted for the map's language.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from jinja2 import Template

from twin._errors import input_error
from twin.maps._elements import FastGeoJson, MapScript, js_json
from twin.maps._geo import bounds_latlon, display_geometry, feature_collection_js
from twin.maps._i18n import Strings, check_audience
from twin.maps._style import (DH_NO, DH_YES, HEATING_COLOURS, NODATA, PURPLES5,
                              RDYLGN5_REV, YLORRD5, Classes, numeric_classes, param)
from twin.schema import HEATING

_FLOOD_PALETTE = ("#f7f7f7", "#9ecae1", "#4292c6", "#2171b5", "#08306b")
_WATER_PALETTE = ("#deebf7", "#9ecae1", "#4292c6", "#2171b5", "#08306b")


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    """Numeric column, NaN where missing or not a number (NaN = no data)."""
    if name not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype="float64")
    return pd.to_numeric(df[name], errors="coerce").astype("float64")


def _text(df: pd.DataFrame, name: str) -> list[str | None]:
    """Escaped text per row, None where missing or empty."""
    if name not in df.columns:
        return [None] * len(df)
    out: list[str | None] = []
    for v in df[name].tolist():
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            out.append(None)
        else:
            s = str(v).strip()
            out.append(html.escape(s) if s else None)
    return out


def _bool(df: pd.DataFrame, name: str) -> list[bool | None]:
    if name not in df.columns:
        return [None] * len(df)
    out: list[bool | None] = []
    for v in df[name].tolist():
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
        else:
            out.append(bool(v))
    return out


def _yes_no(t: Strings, values: list[bool | None]) -> list[str]:
    yes, no = t.h("common.yes"), t.h("common.no")
    return ["–" if v is None else (yes if v else no) for v in values]


def _vocab(t: Strings, prefix: str, values: list[str | None]) -> list[str]:
    """Translate vocabulary words (values already escaped); raw escaped if unknown."""
    out = []
    for v in values:
        if v is None:
            out.append("–")
            continue
        tr = t.get(f"{prefix}.{html.unescape(v)}")
        out.append(html.escape(tr) if tr is not None else v)
    return out


def _nums(t: Strings, s: pd.Series, decimals: int = 0) -> list[str]:
    return [t.num(v, decimals) for v in s.tolist()]


def _ratio(a: pd.Series, b: pd.Series) -> pd.Series:
    b = b.where(b > 0)
    return a / b


def _legend_rows(t: Strings, cls: Classes, *, decimals: int = 0, nodata: bool = True,
                 labels: list[str] | None = None, shape: str = "") -> str:
    """Legend rows (escaped HTML) for numeric classes or given labels."""
    if labels is None:
        b = [t.num(x, decimals) for x in cls.breaks]
        labels = ([t("legend.below", x=b[0])]
                  + [t("legend.range", a=b[i], b=b[i + 1]) for i in range(len(b) - 1)]
                  + [t("legend.above", x=b[-1])])
    rows = [f'<div><span class="twin-swatch {shape}" style="background:{c}"></span>'
            f"{html.escape(lab)}</div>" for c, lab in zip(cls.colours, labels, strict=True)]
    if nodata:
        rows.append(f'<div><span class="twin-swatch {shape}" style="background:{NODATA}">'
                    f"</span>{t.h('legend.nodata')}</div>")
    return "".join(rows)


def _legend(m: folium.Map, layer: FastGeoJson, title: str, rows: str) -> None:
    html_ = f'<div class="twin-legend-title">{html.escape(title)}</div>{rows}'
    MapScript(f"twin.legend({{map}}, {layer.get_name()}, {js_json(html_)});").add_to(m)


# --------------------------------------------------------------------------- buildings
@dataclass(frozen=True)
class _Indicator:
    key: str
    values: Callable[[pd.DataFrame], pd.Series | list[str | None]]
    classes: Classes
    decimals: int = 0


def _indicators() -> dict[str, _Indicator]:
    def heating_idx(df: pd.DataFrame) -> pd.Series:
        h = df["heating"].astype("object") if "heating" in df.columns else pd.Series(
            None, index=df.index, dtype="object")
        pos = {k: i for i, k in enumerate(HEATING)}
        return pd.Series([pos.get(v, np.nan) if isinstance(v, str) else np.nan
                          for v in h.tolist()], index=df.index, dtype="float64")

    def dh(df: pd.DataFrame) -> pd.Series:
        return pd.Series([np.nan if v is None else float(v) for v in _bool(df, "dh_connected")],
                         index=df.index, dtype="float64")

    heat_cls = Classes(tuple(float(i) + 0.5 for i in range(len(HEATING) - 1)),
                       tuple(HEATING_COLOURS[h] for h in HEATING))
    return {
        "energy": _Indicator("energy", lambda d: _ratio(_col(d, "energy_kwh_yr"),
                                                        _col(d, "floor_area_m2")),
                             numeric_classes("energy_kwh_m2_yr", YLORRD5)),
        "co2": _Indicator("co2", lambda d: _ratio(_col(d, "co2_kg_yr"), _col(d, "floor_area_m2")),
                          numeric_classes("co2_kg_m2_yr", YLORRD5)),
        "heating": _Indicator("heating", heating_idx, heat_cls),
        "flood": _Indicator("flood", lambda d: _col(d, "flood_depth_m"),
                            numeric_classes("flood_depth_m", _FLOOD_PALETTE), decimals=1),
        "charger": _Indicator("charger", lambda d: _col(d, "dist_charger_m"),
                              numeric_classes("dist_charger_m", RDYLGN5_REV)),
        "dh": _Indicator("dh", dh, Classes((0.5,), (DH_NO, DH_YES))),
        "peak": _Indicator("peak", lambda d: _col(d, "electricity_kw_at_peak"),
                           numeric_classes("peak_kw", YLORRD5)),
    }


#: Colour-by choices for buildings, in selector order.
COLOR_BY: tuple[str, ...] = ("energy", "co2", "heating", "flood", "charger", "dh", "peak")
_CITIZEN_COLOR_BY: tuple[str, ...] = ("dh", "flood", "charger")


def _building_legend_rows(t: Strings, ind: _Indicator, audience: str) -> str:
    if ind.key == "heating":
        return _legend_rows(t, ind.classes, labels=[t(f"heating.{h}") for h in HEATING])
    if ind.key == "dh":
        return _legend_rows(t, ind.classes, labels=[t("legend.dh_no"), t("legend.dh_yes")])
    if audience == "citizen" and ind.key == "flood":
        return _legend_rows(t, ind.classes, labels=[t(f"citizen.flood_class.{i}")
                                                    for i in range(len(ind.classes.colours))])
    return _legend_rows(t, ind.classes, decimals=ind.decimals)


def _building_popups(t: Strings, b: pd.DataFrame, audience: str) -> tuple[list[str], list[list]]:
    """Popup row labels (escaped) and per-building values (escaped)."""
    area = _col(b, "floor_area_m2")
    if audience == "citizen":
        labels = [t.h("popup.address"), t.h("citizen.popup.heating"),
                  t.h("citizen.popup.dh"), t.h("citizen.popup.water_cm"),
                  t.h("citizen.popup.charger_m")]
        cols = [
            [v or "–" for v in _text(b, "address")],
            _vocab(t, "heating", _text(b, "heating")),
            _yes_no(t, _bool(b, "dh_connected")),
            _nums(t, _col(b, "flood_depth_m") * 100.0),
            _nums(t, _col(b, "dist_charger_m")),
        ]
    else:
        labels = [t.h(f"popup.{k}") for k in (
            "building_id", "address", "use", "floor_area_m2", "residents", "jobs", "heating",
            "dh_connected", "energy_kwh_yr", "energy_kwh_m2_yr", "heat_kwh_yr",
            "electricity_kwh_yr", "co2_kg_yr", "dist_heat_network_m", "car_km_yr", "ev_kwh_yr",
            "co2_transport_kg_yr", "dist_charger_m", "flood_depth_m", "in_low_lying_area",
            "electricity_kw_at_peak")]
        cols = [
            [v or "–" for v in _text(b, "building_id")],
            [v or "–" for v in _text(b, "address")],
            _vocab(t, "use", _text(b, "use")),
            _nums(t, area),
            _nums(t, _col(b, "residents"), 1),
            _nums(t, _col(b, "jobs"), 1),
            _vocab(t, "heating", _text(b, "heating")),
            _yes_no(t, _bool(b, "dh_connected")),
            _nums(t, _col(b, "energy_kwh_yr")),
            _nums(t, _ratio(_col(b, "energy_kwh_yr"), area)),
            _nums(t, _col(b, "heat_kwh_yr")),
            _nums(t, _col(b, "electricity_kwh_yr")),
            _nums(t, _col(b, "co2_kg_yr")),
            _nums(t, _col(b, "dist_heat_network_m")),
            _nums(t, _col(b, "car_km_yr")),
            _nums(t, _col(b, "ev_kwh_yr")),
            _nums(t, _col(b, "co2_transport_kg_yr")),
            _nums(t, _col(b, "dist_charger_m")),
            _nums(t, _col(b, "flood_depth_m"), 2),
            _yes_no(t, _bool(b, "in_low_lying_area")),
            _nums(t, _col(b, "electricity_kw_at_peak"), 1),
        ]
    return labels, [list(r) for r in zip(*cols, strict=True)]


def add_buildings(m: folium.Map, buildings: gpd.GeoDataFrame, *, lang: str = "en",
                  audience: str = "planner", color_by: str | None = None,
                  show: bool = True) -> FastGeoJson:
    """Buildings coloured by an indicator, with tooltip, popup and legend.

    Planners get a selector in the legend to colour by energy per m², CO2 per
    m², heating system, flood depth, distance to a charger or district heating;
    citizens see which buildings are heated by district heating.

    Parameters
    ----------
    m : folium.Map
        Map to add to.
    buildings : GeoDataFrame
        Per-building results (``Result.buildings``); missing columns and NaN
        values show as "no data".
    lang, audience : str
        Language and audience of the labels.
    color_by : str, optional
        Initial colouring, one of :data:`COLOR_BY` (default ``"energy"`` for
        planners, ``"dh"`` for citizens).
    show : bool
        Whether the layer is on when the map opens.

    Returns
    -------
    FastGeoJson
        The layer added.
    """
    t = Strings(lang)
    check_audience(audience)
    if color_by is not None and color_by not in COLOR_BY:
        raise input_error("map options", f"unknown color_by {color_by!r}",
                          f"use one of: {', '.join(COLOR_BY)}", column="color_by")
    choices = COLOR_BY if audience == "planner" else (color_by or "dh",)
    if audience == "planner" and "electricity_kw_at_peak" not in buildings.columns and color_by != "peak":
        choices = tuple(k for k in choices if k != "peak")  # no hourly loads: no weather year
    first = color_by or ("energy" if audience == "planner" else "dh")
    inds = _indicators()
    geoms, keep = display_geometry(buildings, where="buildings")
    b = pd.DataFrame(buildings.iloc[keep].drop(columns=buildings.geometry.name))
    cls = np.stack([inds[k].classes.classify(inds[k].values(b)) for k in choices], axis=1)
    labels, values = _building_popups(t, b, audience)
    names = _text(b, "name")
    addr = _text(b, "address")
    ids = _text(b, "building_id")
    props = [{"h": n or a or i or "", "c": c, "v": v}
             for n, a, i, c, v in zip(names, addr, ids, cls.tolist(), values, strict=True)]
    opts = {
        "kind": "poly", "tooltip": True, "labels": labels, "cur": choices.index(first),
        "palettes": [list(inds[k].classes.colours) for k in choices], "nodata": NODATA,
        "style": {"color": "#555555", "weight": 0.6, "opacity": 0.9, "fillOpacity": 0.85},
    }
    name = t("layer.buildings") if audience == "planner" else t(f"citizen.layer.buildings_{first}")
    layer = FastGeoJson(feature_collection_js(geoms, props), bounds_latlon(geoms), opts,
                        name=name, show=show)
    layer.add_to(m)
    prefix = "indicator" if audience == "planner" else "citizen.indicator"
    sel_names = [t.h(f"{prefix}.{k}") for k in choices]
    legends = [_building_legend_rows(t, inds[k], audience) for k in choices]
    title = t.h("legend.buildings_by") if audience == "planner" else html.escape(name)
    MapScript(f"twin.selectLegend({{map}}, {layer.get_name()}, {js_json(title)}, "
              f"{js_json(sel_names)}, {js_json(legends)});").add_to(m)
    return layer


# --------------------------------------------------------------------------- networks
def add_heat_network(m: folium.Map, network: gpd.GeoDataFrame, *, lang: str = "en",
                     audience: str = "planner", show: bool = True) -> FastGeoJson:
    """District-heating network coloured by linear heat density (MWh/m·yr).

    Planned segments (``planned`` true) are dashed.
    """
    t = Strings(lang)
    check_audience(audience)
    geoms, keep = display_geometry(network, where="heat_network")
    n = pd.DataFrame(network.iloc[keep].drop(columns=network.geometry.name))
    cls = numeric_classes("heat_density_mwh_m_yr", PURPLES5[1:] + ("#3f007d",))
    dens = _col(n, "heat_density_mwh_m_yr")
    idx = cls.classify(dens)
    planned = _bool(n, "planned")
    dens_txt = _nums(t, dens, 2)
    klass = [v or "–" for v in _text(n, "density_class")]
    net = [v or "–" for v in _text(n, "network_id")]
    yes_no = _yes_no(t, planned)
    if audience == "citizen":
        labels = [t.h("citizen.popup.planned")]
        props = [{"s": cls.colours[i] if i >= 0 else NODATA, "d": 1 if p else 0,
                  "h": t.h("citizen.layer.heat_network"), "v": [yn]}
                 for i, p, yn in zip(idx.tolist(), planned, yes_no, strict=True)]
    else:
        labels = [t.h("popup.network_id"), t.h("popup.heat_density"),
                  t.h("popup.density_class"), t.h("popup.planned")]
        props = [{"s": cls.colours[i] if i >= 0 else NODATA, "d": 1 if p else 0,
                  "h": t.h("tooltip.heat_density", v=d), "v": [nid, d, k, yn]}
                 for i, p, d, k, nid, yn in zip(idx.tolist(), planned, dens_txt, klass, net,
                                                yes_no, strict=True)]
    opts = {"kind": "line", "tooltip": True, "labels": labels,
            "style": {"weight": 4, "opacity": 0.95}}
    name = t("layer.heat_network") if audience == "planner" else t("citizen.layer.heat_network")
    layer = FastGeoJson(feature_collection_js(geoms, props), bounds_latlon(geoms), opts,
                        name=name, show=show)
    layer.add_to(m)
    rows = _legend_rows(t, cls, decimals=1, shape="line")
    rows += f'<div><span class="twin-swatch dash"></span>{t.h("legend.planned")}</div>'
    if audience == "planner":
        _legend(m, layer, t("legend.heat_density"), rows)
    else:
        _legend(m, layer, t("citizen.layer.heat_network"),
                f'<div><span class="twin-swatch line" style="background:{cls.colours[2]}">'
                f'</span>{t.h("citizen.legend.heat_pipe")}</div>'
                f'<div><span class="twin-swatch dash"></span>{t.h("legend.planned")}</div>')
    return layer


def add_heat_plants(m: folium.Map, plants: gpd.GeoDataFrame, *, lang: str = "en",
                    audience: str = "planner", show: bool = True) -> FastGeoJson:
    """Heat plants as purple markers with name, capacity and heat source."""
    t = Strings(lang)
    check_audience(audience)
    geoms, keep = display_geometry(plants, where="heat_plants")
    p = pd.DataFrame(plants.iloc[keep].drop(columns=plants.geometry.name))
    names = _text(p, "name")
    ids = _text(p, "plant_id")
    labels = [t.h("popup.capacity_mw"), t.h("popup.heat_source")]
    props = [{"h": n or i or t.h("layer.heat_plants"), "v": [c, s or "–"]}
             for n, i, c, s in zip(names, ids, _nums(t, _col(p, "capacity_mw"), 1),
                                   _text(p, "source"), strict=True)]
    opts = {"kind": "point", "tooltip": True, "labels": labels, "radius": 8,
            "style": {"color": "#3f007d", "weight": 2, "fillColor": "#807dba",
                      "fillOpacity": 1.0}}
    key = "layer.heat_plants" if audience == "planner" else "citizen.layer.heat_plants"
    layer = FastGeoJson(feature_collection_js(geoms, props), bounds_latlon(geoms), opts,
                        name=t(key), show=show)
    layer.add_to(m)
    return layer


def coverage_radius_m(extra: dict | None = None) -> float:
    """Walking radius drawn around public chargers.

    The radius the mobility model counted as covered
    (``Result.extra["mobility_params"].walk_distance_m``), else the fallback
    in ``classes.csv``.
    """
    mp = (extra or {}).get("mobility_params")
    v = getattr(mp, "walk_distance_m", None)
    if isinstance(v, (int, float)) and np.isfinite(v) and v > 0:
        return float(v)
    return param("charger_walk_radius_m")


def add_charging_points(m: folium.Map, chargers: gpd.GeoDataFrame, *, lang: str = "en",
                        audience: str = "planner", radius_m: float | None = None,
                        show: bool = True) -> list[FastGeoJson]:
    """Charging points and the walking-distance circles around the public ones.

    The circles show where the charger-coverage indicator counts a building as
    covered (public chargers within ``radius_m``). Planners get two layers (points; coverage circles); citizens one
    ("Charging points near you") with both.

    Returns
    -------
    list of FastGeoJson
        The layers added (coverage first, drawn below the points).
    """
    t = Strings(lang)
    check_audience(audience)
    r = coverage_radius_m() if radius_m is None else float(radius_m)
    geoms, keep = display_geometry(chargers, where="charging_points")
    c = pd.DataFrame(chargers.iloc[keep].drop(columns=chargers.geometry.name))
    public = _bool(c, "public")
    names = _text(c, "name")
    ids = _text(c, "charger_id")
    kw = _nums(t, _col(c, "kw"))
    conn = _nums(t, _col(c, "connectors"))
    pub = _yes_no(t, public)
    col = ["#238b45" if p or p is None else "#737373" for p in public]
    radius_txt = t.num(r)
    if audience == "planner":
        labels = [t.h("popup.charger_id"), t.h("popup.kw"), t.h("popup.connectors"),
                  t.h("popup.public")]
        props = [{"h": n or i or "", "s": cl, "v": [i or "–", k, cn, pb]}
                 for n, i, k, cn, pb, cl in zip(names, ids, kw, conn, pub, col, strict=True)]
    else:
        labels = [t.h("citizen.popup.kw"), t.h("citizen.popup.public")]
        props = [{"h": n or t.h("citizen.layer.chargers_one"), "s": cl, "v": [k, pb]}
                 for n, k, pb, cl in zip(names, kw, pub, col, strict=True)]
    pub_idx = np.array([p is True for p in public], dtype=bool)
    circles = [{"s": "#74c476", "r": r, "n": 1,
                "st": {"color": "#41ab5d", "weight": 1, "opacity": 0.6, "fillOpacity": 0.12}}
               for _ in range(int(pub_idx.sum()))]
    circ_opts = {"kind": "point", "metres": True, "interactive": False,
                 "style": {"color": "#41ab5d", "weight": 1, "opacity": 0.6, "fillOpacity": 0.12}}
    pt_opts = {"kind": "point", "tooltip": True, "labels": labels,
               "radius": 7 if audience == "planner" else 10,
               "style": {"color": "#ffffff", "weight": 2, "fillOpacity": 1.0}}
    bounds = bounds_latlon(geoms)
    swatches = (f'<div><span class="twin-swatch ring" style="background:#238b45"></span>'
                f'{t.h("legend.charger_public")}</div>'
                f'<div><span class="twin-swatch ring" style="background:#737373"></span>'
                f'{t.h("legend.charger_private")}</div>'
                f'<div><span class="twin-swatch ring" style="background:#c7e9c0;'
                f'border-color:#41ab5d"></span>{t.h("legend.walk_radius", r=radius_txt)}</div>')
    if audience == "planner":
        cov = FastGeoJson(feature_collection_js(geoms[pub_idx], circles), bounds, circ_opts,
                          name=t("layer.charger_coverage", r=radius_txt), show=show)
        cov.add_to(m)
        pts = FastGeoJson(feature_collection_js(geoms, props), bounds, pt_opts,
                          name=t("layer.charging_points"), show=show)
        pts.add_to(m)
        _legend(m, pts, t("layer.charging_points"), swatches)
        return [cov, pts]
    both = np.concatenate([geoms[pub_idx], geoms])
    layer = FastGeoJson(feature_collection_js(both, circles + props), bounds,
                        pt_opts,
                        name=t("citizen.layer.chargers"), show=show)
    layer.add_to(m)
    _legend(m, layer, t("citizen.layer.chargers"), swatches)
    return [layer]


# --------------------------------------------------------------------------- water
def add_basins(m: folium.Map, basins: gpd.GeoDataFrame, *, lang: str = "en",
               audience: str = "planner", show: bool = True) -> FastGeoJson:
    """Rain-water basins with volume and water stored in the rain event."""
    t = Strings(lang)
    check_audience(audience)
    geoms, keep = display_geometry(basins, where="basins")
    b = pd.DataFrame(basins.iloc[keep].drop(columns=basins.geometry.name))
    vol, stored = _col(b, "volume_m3"), _col(b, "stored_m3")
    share = _ratio(stored, vol) * 100.0
    names, ids = _text(b, "name"), _text(b, "basin_id")
    if audience == "planner":
        labels = [t.h("popup.basin_id"), t.h("popup.volume_m3"), t.h("popup.stored_m3"),
                  t.h("popup.fill_pct")]
        vals = [list(r) for r in zip([i or "–" for i in ids], _nums(t, vol), _nums(t, stored),
                                     _nums(t, share), strict=True)]
    else:
        labels = [t.h("citizen.popup.basin_m3"), t.h("citizen.popup.basin_used_pct")]
        vals = [list(r) for r in zip(_nums(t, vol), _nums(t, share), strict=True)]
    key = "layer.basins" if audience == "planner" else "citizen.layer.basins"
    props = [{"h": n or i or t.h(key), "v": v} for n, i, v in zip(names, ids, vals, strict=True)]
    opts = {"kind": "poly", "tooltip": True, "labels": labels,
            "style": {"color": "#225ea8", "weight": 2, "fillColor": "#41b6c4",
                      "fillOpacity": 0.55}}
    layer = FastGeoJson(feature_collection_js(geoms, props), bounds_latlon(geoms), opts,
                        name=t(key), show=show)
    layer.add_to(m)
    _legend(m, layer, t(key), f'<div><span class="twin-swatch" style="background:#41b6c4;'
                              f'border-color:#225ea8"></span>{t.h("legend.basin")}</div>')
    return layer


def add_depressions(m: folium.Map, depressions: gpd.GeoDataFrame, *, lang: str = "en",
                    audience: str = "planner", rain_mm: float | None = None,
                    show: bool = True) -> FastGeoJson:
    """Low-lying areas (depressions) coloured by water depth after the rain event.

    Uses ``water_depth_max_m`` (or ``water_depth_m``); without either, the
    depth when full (``max_depth_m``). Citizens only see areas that get water.
    """
    t = Strings(lang)
    check_audience(audience)
    d = depressions
    depth_col = next((c for c in ("water_depth_max_m", "water_depth_m") if c in d.columns), None)
    depth = _col(d, depth_col or "max_depth_m")
    if audience == "citizen" and depth_col is not None:
        d = d.loc[(depth > 0).to_numpy()]
        depth = depth.loc[d.index]
    geoms, keep = display_geometry(d, where="depressions")
    dd = pd.DataFrame(d.iloc[keep].drop(columns=d.geometry.name))
    depth = depth.iloc[keep]
    cls = numeric_classes("flood_depth_m", _WATER_PALETTE)
    idx = cls.classify(depth)
    rain = t.num(rain_mm) if rain_mm is not None else "–"
    if audience == "planner":
        labels = [t.h("popup.depression_id"), t.h("popup.area_m2"), t.h("popup.max_depth_m"),
                  t.h("popup.volume_m3"), t.h("popup.water_depth_m"), t.h("popup.water_volume_m3")]
        vals = zip([i or "–" for i in _text(dd, "depression_id")], _nums(t, _col(dd, "area_m2")),
                   _nums(t, _col(dd, "max_depth_m"), 2), _nums(t, _col(dd, "volume_m3")),
                   _nums(t, depth if depth_col else _col(dd, "__none__"), 2),
                   _nums(t, _col(dd, "water_volume_m3")), strict=True)
        head = t.h("tooltip.depression")
    else:
        labels = [t.h("citizen.popup.water_cm"), t.h("citizen.popup.water_m3")]
        vals = zip(_nums(t, depth * 100.0), _nums(t, _col(dd, "water_volume_m3")), strict=True)
        head = t.h("citizen.layer.water")
    props = [{"h": head, "s": cls.colours[i] if i >= 0 else NODATA, "v": list(v)}
             for i, v in zip(idx.tolist(), vals, strict=True)]
    opts = {"kind": "poly", "tooltip": True, "labels": labels,
            "style": {"color": "#2171b5", "weight": 0.8, "fillOpacity": 0.6}}
    if audience == "planner":
        name = (t("layer.depressions_rain", rain=rain) if depth_col
                else t("layer.depressions_full"))
        title = t("legend.water_depth_m") if depth_col else t("legend.max_depth_m")
        rows = _legend_rows(t, cls, decimals=1)
    else:
        name = t("citizen.layer.water")
        title = t("citizen.legend.water", rain=rain)
        rows = _legend_rows(t, cls, nodata=False, labels=[
            t(f"citizen.flood_class.{i}") for i in range(len(cls.colours))])
    layer = FastGeoJson(feature_collection_js(geoms, props), bounds_latlon(geoms), opts,
                        name=name, show=show)
    layer.add_to(m)
    _legend(m, layer, title, rows)
    return layer


def add_charging_gap(m: folium.Map, gap: gpd.GeoDataFrame, *, lang: str = "en",
                     audience: str = "planner", show: bool = False) -> FastGeoJson:
    """Grid cells coloured by unmet charging demand (kWh/day); cells with none left out."""
    t = Strings(lang)
    check_audience(audience)
    g = gap.loc[(_col(gap, "gap_kwh_day") > 0).to_numpy()]
    geoms, keep = display_geometry(g, where="charging_gap")
    val = _col(g, "gap_kwh_day").iloc[keep]
    cls = numeric_classes("gap_kwh_day", PURPLES5)
    idx = cls.classify(val)
    key = "layer.charging_gap" if audience == "planner" else "citizen.layer.charging_gap"
    props = [{"h": t.h("tooltip.gap", v=v), "s": cls.colours[i] if i >= 0 else NODATA}
             for i, v in zip(idx.tolist(), _nums(t, val), strict=True)]
    opts = {"kind": "poly", "tooltip": True,
            "style": {"color": "#54278f", "weight": 0.5, "fillOpacity": 0.45}}
    layer = FastGeoJson(feature_collection_js(geoms, props), bounds_latlon(geoms), opts,
                        name=t(key), show=show)
    layer.add_to(m)
    _legend(m, layer, t("legend.gap_kwh_day"), _legend_rows(t, cls, nodata=False))
    return layer


def add_streets(m: folium.Map, streets: gpd.GeoDataFrame, *, lang: str = "en",
                show: bool = True) -> FastGeoJson:
    """Street lines as a light basemap for offline maps (not clickable)."""
    t = Strings(lang)
    geoms, _ = display_geometry(streets, where="streets")
    opts = {"kind": "line", "interactive": False,
            "style": {"color": "#ffffff", "weight": 4, "opacity": 1.0}}
    casing = {"kind": "line", "interactive": False,
              "style": {"color": "#c8c2b8", "weight": 6, "opacity": 1.0}}
    fc = feature_collection_js(geoms, [{} for _ in range(len(geoms))])
    bounds = bounds_latlon(geoms)
    # casing and fill in one layer group: draw casing first, then the street fill
    layer = FastGeoJson(fc, bounds, opts, name=t("layer.streets"), show=show)
    layer.casing_js = js_json(casing)
    layer._template = _STREETS_TEMPLATE
    layer.add_to(m)
    return layer


_STREETS_TEMPLATE = Template("""
    {% macro script(this, kwargs) %}
    var {{ this.get_name() }} = (function () {
        var d = {{ this.data_js }};
        return L.layerGroup([twin.geojson(d, {{ this.casing_js }}),
                             twin.geojson(d, {{ this.options_js }})]);
    })();
    {% endmacro %}
""")


def add_grid_areas(m: folium.Map, areas: gpd.GeoDataFrame, *, lang: str = "en",
                   audience: str = "planner", show: bool = True) -> FastGeoJson:
    """Grid areas coloured by headroom at their peak hour (share of capacity; red = over).

    Uses the result layer of :func:`twin.loads.grid_area_layer` (``area_id``,
    ``capacity_kw``, ``peak_kw``, ``headroom_kw``, ``hours_over``, ``peak_hour``).
    """
    t = Strings(lang)
    check_audience(audience)
    geoms, keep = display_geometry(areas, where="grid_areas")
    a = pd.DataFrame(areas.iloc[keep].drop(columns=areas.geometry.name))
    cap, peak, head = _col(a, "capacity_kw"), _col(a, "peak_kw"), _col(a, "headroom_kw")
    share = _ratio(head, cap)
    palette = tuple(reversed(RDYLGN5_REV))  # red (no headroom) … green
    cls = numeric_classes("headroom_share", palette)
    idx = cls.classify(share)
    labels = [t.h("popup.area_id"), t.h("popup.peak_kw"), t.h("popup.capacity_kw"),
              t.h("popup.headroom_kw"), t.h("popup.hours_over"), t.h("popup.peak_hour")]
    hours = [t.num(v) for v in _col(a, "hours_over").tolist()]
    when = [h or "–" for h in _text(a, "peak_hour")]
    ids = [i or "–" for i in _text(a, "area_id")]
    vals = zip(ids, _nums(t, peak), _nums(t, cap), _nums(t, head), hours, when, strict=True)
    names = _text(a, "name")
    props = [{"h": n or i, "s": cls.colours[k] if k >= 0 else NODATA, "v": list(v)}
             for n, i, k, v in zip(names, ids, idx.tolist(), vals, strict=True)]
    opts = {"kind": "poly", "tooltip": True, "labels": labels,
            "style": {"color": "#525252", "weight": 1.2, "fillOpacity": 0.35}}
    layer = FastGeoJson(feature_collection_js(geoms, props), bounds_latlon(geoms), opts,
                        name=t("layer.grid_areas"), show=show)
    layer.add_to(m)
    b = [t.num(100 * x) for x in cls.breaks]
    rows = _legend_rows(t, cls, labels=[t("legend.over_capacity")]
                        + [t("legend.range", a=b[i], b=b[i + 1]) for i in range(len(b) - 1)]
                        + [t("legend.above", x=b[-1])])
    _legend(m, layer, t("legend.headroom"), rows)
    return layer
