"""Map layers: one small function per layer of a scenario result.

Every ``add_*`` function takes the map (:class:`~twin.maps._page.TwinMap`)
first, appends one layer spec (GeoJSON, style, tooltip/popup values and its
legend, all plain data) and returns it. Text from data stays plain text here:
``runtime.js`` puts it on the page with ``textContent``. Numbers are formatted
for the map's language by :mod:`twin.maps._format`.

Adding a layer is one function: select and format the columns, then call
:func:`vector_layer` (see :func:`add_charging_gap` for a short example).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from twin._errors import input_error
from twin._text import local
from twin.maps._context import street_label_points
from twin.maps._format import nums
from twin.maps._geo import bounds_latlon, display_geometry, feature_collection
from twin.maps._i18n import Strings, check_audience
from twin.maps._page import TwinMap
from twin.maps._water import depth_png
from twin.maps._style import (DH_NO, DH_YES, HEATING_COLOURS, NODATA, PURPLES5,
                              RDYLGN5_REV, YLORRD5, Classes, numeric_classes, param)
from twin.raster import Raster
from twin.schema import HEATING

_FLOOD_PALETTE = ("#f7f7f7", "#9ecae1", "#4292c6", "#2171b5", "#08306b")
#: Water depth classes (ColorBrewer Blues, light to dark).
WATER_PALETTE = ("#deebf7", "#9ecae1", "#4292c6", "#2171b5", "#08306b")


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    """Numeric column, NaN where missing or not a number (NaN = no data)."""
    if name not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype="float64")
    return pd.to_numeric(df[name], errors="coerce").astype("float64")


def _text(df: pd.DataFrame, name: str) -> list[str | None]:
    """Plain text per row (stripped), None where missing or empty."""
    if name not in df.columns:
        return [None] * len(df)
    out: list[str | None] = []
    for v in df[name].tolist():
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            out.append(None)
        else:
            s = str(v).strip()
            out.append(s or None)
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
    yes, no = t("common.yes"), t("common.no")
    return ["–" if v is None else (yes if v else no) for v in values]


def _vocab(t: Strings, prefix: str, values: list[str | None]) -> list[str]:
    """Translate vocabulary words; the word itself if unknown."""
    out = []
    for v in values:
        if v is None:
            out.append("–")
            continue
        tr = t.get(f"{prefix}.{v}")
        out.append(tr if tr is not None else v)
    return out


def _ratio(a: pd.Series, b: pd.Series) -> pd.Series:
    b = b.where(b > 0)
    return a / b


def legend_rows(t: Strings, cls: Classes, *, decimals: int = 0, nodata: bool = True,
                labels: list[str] | None = None, shape: str = "") -> list[dict[str, str]]:
    """Legend rows (``c`` colour, ``t`` text, ``k`` swatch shape) for classes or given labels."""
    if labels is None:
        b = [t.num(x, decimals) for x in cls.breaks]
        labels = ([t("legend.below", x=b[0])]
                  + [t("legend.range", a=b[i], b=b[i + 1]) for i in range(len(b) - 1)]
                  + [t("legend.above", x=b[-1])])
    rows = [{"c": c, "t": lab, "k": shape} for c, lab in zip(cls.colours, labels, strict=True)]
    if nodata:
        rows.append({"c": NODATA, "t": t("legend.nodata"), "k": shape})
    return rows


def vector_layer(m: TwinMap, key: str, gdf: gpd.GeoDataFrame,
                 props: Callable[[pd.DataFrame], list[dict[str, Any]]], *, name: str,
                 kind: str, show: bool = True, legend: dict[str, Any] | None = None,
                 **options: Any) -> dict[str, Any]:
    """Add a GeoJSON layer whose style, tooltip and popup come from feature properties.

    Parameters
    ----------
    m : TwinMap
        Map to add to.
    key : str
        Layer key (``buildings``, ``grid_areas``, ...); names the layer in errors.
    gdf : GeoDataFrame
        The layer (any metric CRS); empty geometries are left out.
    props : callable
        Given the attribute rows kept (a DataFrame), the properties of each
        feature: ``h`` tooltip/popup header, ``v`` popup values (plain text,
        matching ``options["labels"]``), ``s`` colour, ``c`` class indices,
        ``d`` dashed, ``r`` radius.
    name : str
        Name in the layer control (plain text).
    kind : {"poly", "line", "point"}
        Geometry kind.
    show : bool
        Whether the layer is on when the map opens.
    legend : dict, optional
        ``{"title": str, "rows": [{"c", "t", "k"}]}`` shown while the layer is on.
    **options
        ``style``, ``tooltip``, ``labels``, ``radius``, ``interactive``, ...

    Returns
    -------
    dict
        The layer spec added.
    """
    geoms, keep = display_geometry(gdf, where=key)
    rows = pd.DataFrame(gdf.iloc[keep].drop(columns=gdf.geometry.name))
    layer = {"key": key, "name": name, "show": bool(show), "kind": kind,
             "data": feature_collection(geoms, props(rows)), "bounds": bounds_latlon(geoms),
             "legend": legend, **options}
    return m.add_layer(layer)


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
#: The themes of citizen maps (one shown at a time).
CITIZEN_THEMES: tuple[str, ...] = ("dh", "flood", "charger")


def _building_legend_rows(t: Strings, ind: _Indicator, audience: str) -> list[dict[str, str]]:
    if ind.key == "heating":
        return legend_rows(t, ind.classes, labels=[t(f"heating.{h}") for h in HEATING])
    if ind.key == "dh":
        return legend_rows(t, ind.classes, labels=[t("legend.dh_no"), t("legend.dh_yes")])
    if audience == "citizen" and ind.key == "flood":
        return legend_rows(t, ind.classes, labels=[t(f"citizen.flood_class.{i}")
                                                   for i in range(len(ind.classes.colours))])
    return legend_rows(t, ind.classes, decimals=ind.decimals)


def _building_popups(t: Strings, b: pd.DataFrame, audience: str) -> tuple[list[str], list[list]]:
    """Popup row labels and per-building values (plain text)."""
    area = _col(b, "floor_area_m2")
    if audience == "citizen":
        labels = [t("popup.address"), t("citizen.popup.heating"),
                  t("citizen.popup.dh"), t("citizen.popup.water_cm"),
                  t("citizen.popup.charger_m")]
        cols = [
            [v or "–" for v in _text(b, "address")],
            _vocab(t, "heating", _text(b, "heating")),
            _yes_no(t, _bool(b, "dh_connected")),
            nums(t, _col(b, "flood_depth_m") * 100.0),
            nums(t, _col(b, "dist_charger_m")),
        ]
    else:
        labels = [t(f"popup.{k}") for k in (
            "building_id", "address", "use", "floor_area_m2", "residents", "jobs", "heating",
            "dh_connected", "energy_kwh_yr", "energy_kwh_m2_yr", "heat_kwh_yr",
            "electricity_kwh_yr", "co2_kg_yr", "dist_heat_network_m", "car_km_yr", "ev_kwh_yr",
            "co2_transport_kg_yr", "dist_charger_m", "flood_depth_m", "in_low_lying_area")]
        cols = [
            [v or "–" for v in _text(b, "building_id")],
            [v or "–" for v in _text(b, "address")],
            _vocab(t, "use", _text(b, "use")),
            nums(t, area),
            nums(t, _col(b, "residents"), 1),
            nums(t, _col(b, "jobs"), 1),
            _vocab(t, "heating", _text(b, "heating")),
            _yes_no(t, _bool(b, "dh_connected")),
            nums(t, _col(b, "energy_kwh_yr")),
            nums(t, _ratio(_col(b, "energy_kwh_yr"), area)),
            nums(t, _col(b, "heat_kwh_yr")),
            nums(t, _col(b, "electricity_kwh_yr")),
            nums(t, _col(b, "co2_kg_yr")),
            nums(t, _col(b, "dist_heat_network_m")),
            nums(t, _col(b, "car_km_yr")),
            nums(t, _col(b, "ev_kwh_yr")),
            nums(t, _col(b, "co2_transport_kg_yr")),
            nums(t, _col(b, "dist_charger_m")),
            nums(t, _col(b, "flood_depth_m"), 2),
            _yes_no(t, _bool(b, "in_low_lying_area")),
        ]
        if "electricity_kw_at_peak" in b.columns:  # hourly loads were computed (a weather year)
            labels.append(t("popup.electricity_kw_at_peak"))
            cols.append(nums(t, _col(b, "electricity_kw_at_peak"), 1))
    return labels, [list(r) for r in zip(*cols, strict=True)]


def _heat_pump_notes(t: Strings, b: pd.DataFrame, audience: str) -> list[str | None]:
    """Per building: why heat can exceed delivered energy (heat pumps), else None."""
    h = b["heating"].tolist() if "heating" in b.columns else [None] * len(b)
    note = t("popup.heat_pump_note") if audience == "planner" else None
    return [note if isinstance(v, str) and v.startswith("hp_") else None for v in h]


def add_buildings(m: TwinMap, buildings: gpd.GeoDataFrame, *, lang: str = "en",
                  audience: str = "planner", color_by: str | None = None,
                  show: bool = True) -> dict[str, Any]:
    """Buildings coloured by an indicator, with tooltip, popup and legend.

    Planners get a selector in the legend to colour by energy per m², CO2 per
    m², heating system, flood depth, distance to a charger or district heating;
    citizens see one theme (district heating by default).

    Parameters
    ----------
    m : TwinMap
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
    dict
        The layer spec added.
    """
    t = Strings(lang)
    check_audience(audience)
    if color_by is not None and color_by not in COLOR_BY:
        raise input_error("map options", f"unknown color_by {color_by!r}",
                          f"use one of: {', '.join(COLOR_BY)}", column="color_by")
    first = color_by or ("energy" if audience == "planner" else "dh")
    # citizens: one theme shown (no selector); the story mode switches between these
    choices = COLOR_BY if audience == "planner" else (first,) + tuple(
        k for k in CITIZEN_THEMES if k != first)
    if "electricity_kw_at_peak" not in buildings.columns and color_by != "peak":
        choices = tuple(k for k in choices if k != "peak")  # no hourly loads: no weather year
    inds = _indicators()

    def props(b: pd.DataFrame) -> list[dict[str, Any]]:
        cls = np.stack([inds[k].classes.classify(inds[k].values(b)) for k in choices], axis=1)
        _, values = _building_popups(t, b, audience)
        notes = _heat_pump_notes(t, b, audience)
        out = []
        for n, a, i, c, v, note in zip(_text(b, "name"), _text(b, "address"),
                                       _text(b, "building_id"), cls.tolist(), values, notes,
                                       strict=True):
            p: dict[str, Any] = {"h": n or a or i or "", "c": c, "v": v}
            if note:
                p["f"] = note
            out.append(p)
        return out

    labels, _ = _building_popups(t, buildings.iloc[:0], audience)
    name = t("layer.buildings") if audience == "planner" else t(f"citizen.layer.buildings_{first}")
    prefix = "indicator" if audience == "planner" else "citizen.indicator"
    legend = {"title": t("legend.buildings_by") if audience == "planner" else name,
              "names": [t(f"{prefix}.{k}") for k in choices],
              "select": [_building_legend_rows(t, inds[k], audience) for k in choices],
              "selector": audience == "planner",
              "titles": None if audience == "planner" else [
                  t(f"citizen.layer.buildings_{k}") for k in choices]}
    return vector_layer(
        m, "buildings", buildings, props, name=name, kind="poly", show=show, legend=legend,
        tooltip=True, labels=labels, cur=choices.index(first), choices=list(choices),
        palettes=[list(inds[k].classes.colours) for k in choices], nodata=NODATA,
        style={"color": "#555555", "weight": 0.6, "opacity": 0.9, "fillOpacity": 0.85})


# --------------------------------------------------------------------------- networks
def add_heat_network(m: TwinMap, network: gpd.GeoDataFrame, *, lang: str = "en",
                     audience: str = "planner", show: bool = True) -> dict[str, Any]:
    """District-heating network coloured by linear heat density (MWh/m·yr).

    Planned segments (``planned`` true) are dashed.
    """
    t = Strings(lang)
    check_audience(audience)
    cls = numeric_classes("heat_density_mwh_m_yr", PURPLES5[1:] + ("#3f007d",))

    def props(n: pd.DataFrame) -> list[dict[str, Any]]:
        dens = _col(n, "heat_density_mwh_m_yr")
        idx = cls.classify(dens).tolist()
        planned = _bool(n, "planned")
        yes_no = _yes_no(t, planned)
        if audience == "citizen":
            return [{"s": cls.colours[i] if i >= 0 else NODATA, "d": 1 if p else 0,
                     "h": t("citizen.layer.heat_network"), "v": [yn]}
                    for i, p, yn in zip(idx, planned, yes_no, strict=True)]
        dens_txt = nums(t, dens, 2)
        return [{"s": cls.colours[i] if i >= 0 else NODATA, "d": 1 if p else 0,
                 "h": t("tooltip.heat_density", v=d), "v": [nid or "–", d, k or "–", yn]}
                for i, p, d, k, nid, yn in zip(idx, planned, dens_txt, _text(n, "density_class"),
                                               _text(n, "network_id"), yes_no, strict=True)]

    if audience == "citizen":
        labels = [t("citizen.popup.planned")]
        legend = {"title": t("citizen.layer.heat_network"),
                  "rows": [{"c": cls.colours[2], "t": t("citizen.legend.heat_pipe"), "k": "line"},
                           {"c": "", "t": t("legend.planned"), "k": "dash"}]}
        name = t("citizen.layer.heat_network")
    else:
        labels = [t("popup.network_id"), t("popup.heat_density"), t("popup.density_class"),
                  t("popup.planned")]
        legend = {"title": t("legend.heat_density"),
                  "rows": legend_rows(t, cls, decimals=1, shape="line")
                  + [{"c": "", "t": t("legend.planned"), "k": "dash"}]}
        name = t("layer.heat_network")
    return vector_layer(m, "heat_network", network, props, name=name, kind="line", show=show,
                        legend=legend, tooltip=True, labels=labels,
                        style={"weight": 4, "opacity": 0.95})


def add_heat_plants(m: TwinMap, plants: gpd.GeoDataFrame, *, lang: str = "en",
                    audience: str = "planner", show: bool = True) -> dict[str, Any]:
    """Heat plants as purple markers with name, capacity and heat source."""
    t = Strings(lang)
    check_audience(audience)
    key = "layer.heat_plants" if audience == "planner" else "citizen.layer.heat_plants"

    def props(p: pd.DataFrame) -> list[dict[str, Any]]:
        return [{"h": n or i or t(key), "v": [c, s or "–"]}
                for n, i, c, s in zip(_text(p, "name"), _text(p, "plant_id"),
                                      nums(t, _col(p, "capacity_mw"), 1), _text(p, "source"),
                                      strict=True)]

    return vector_layer(m, "heat_plants", plants, props, name=t(key), kind="point", show=show,
                        tooltip=True, labels=[t("popup.capacity_mw"), t("popup.heat_source")],
                        radius=8, style={"color": "#3f007d", "weight": 2,
                                         "fillColor": "#807dba", "fillOpacity": 1.0})


def coverage_radius_m(extra: dict | None = None) -> float:
    """Walking distance the charger-coverage indicator counts as covered.

    ``Result.extra["mobility_params"].walk_distance_m``, else the fallback
    in ``classes.csv`` (the mobility model's default).
    """
    mp = (extra or {}).get("mobility_params")
    v = getattr(mp, "walk_distance_m", None)
    if isinstance(v, (int, float)) and np.isfinite(v) and v > 0:
        return float(v)
    return param("charger_walk_radius_m")


_COVER_STYLE = {"color": "#41ab5d", "weight": 1, "opacity": 0.7, "fillColor": "#74c476",
                "fillOpacity": 0.18}


def _charger_legend(t: Strings, radius_txt: str) -> list[dict[str, str]]:
    return [{"c": "#238b45", "t": t("legend.charger_public"), "k": "ring"},
            {"c": "#737373", "t": t("legend.charger_private"), "k": "ring"},
            {"c": "#c7e9c0", "t": t("legend.walk_radius", r=radius_txt), "k": ""}]


def add_charger_coverage(m: TwinMap, area: gpd.GeoDataFrame, *, lang: str = "en",
                         audience: str = "planner", radius_m: float = 300.0,
                         show: bool = False) -> dict[str, Any]:
    """The area within walking distance of a public charger (not clickable).

    ``area`` is the service area along the street network
    (:func:`twin.maps._service_area.service_area`), so the map shows what the
    charger-coverage indicator counts.
    """
    t = Strings(lang)
    check_audience(audience)
    r = t.num(radius_m)
    return vector_layer(m, "charger_coverage", area, lambda a: [{} for _ in range(len(a))],
                        name=t("layer.charger_coverage", r=r), kind="poly", show=show,
                        interactive=False, style=_COVER_STYLE,
                        legend={"title": t("layer.charger_coverage", r=r),
                                "rows": [{"c": "#c7e9c0", "t": t("legend.walk_radius", r=r),
                                          "k": ""}]})


def add_charging_points(m: TwinMap, chargers: gpd.GeoDataFrame, *, lang: str = "en",
                        audience: str = "planner", radius_m: float | None = None,
                        show: bool = True) -> dict[str, Any]:
    """Charging points: public ones green, private grey; name, power, connectors."""
    t = Strings(lang)
    check_audience(audience)
    r = coverage_radius_m() if radius_m is None else float(radius_m)

    def props(c: pd.DataFrame) -> list[dict[str, Any]]:
        public = _bool(c, "public")
        col = ["#238b45" if p or p is None else "#737373" for p in public]
        kw, pub = nums(t, _col(c, "kw")), _yes_no(t, public)
        if audience == "planner":
            return [{"h": n or i or "", "s": cl, "v": [i or "–", k, cn, pb]}
                    for n, i, k, cn, pb, cl in zip(_text(c, "name"), _text(c, "charger_id"), kw,
                                                   nums(t, _col(c, "connectors")), pub, col,
                                                   strict=True)]
        return [{"h": n or t("citizen.layer.chargers_one"), "s": cl, "v": [k, pb]}
                for n, k, pb, cl in zip(_text(c, "name"), kw, pub, col, strict=True)]

    if audience == "planner":
        labels = [t("popup.charger_id"), t("popup.kw"), t("popup.connectors"), t("popup.public")]
        name = t("layer.charging_points")
    else:
        labels = [t("citizen.popup.kw"), t("citizen.popup.public")]
        name = t("citizen.layer.chargers")
    return vector_layer(m, "charging_points", chargers, props, name=name, kind="point",
                        show=show, legend={"title": name, "rows": _charger_legend(t, t.num(r))},
                        tooltip=True, labels=labels, radius=7 if audience == "planner" else 10,
                        style={"color": "#ffffff", "weight": 2, "fillOpacity": 1.0})


# --------------------------------------------------------------------------- water
def add_basins(m: TwinMap, basins: gpd.GeoDataFrame, *, lang: str = "en",
               audience: str = "planner", show: bool = True) -> dict[str, Any]:
    """Rain-water basins with volume and water stored in the rain event."""
    t = Strings(lang)
    check_audience(audience)
    key = "layer.basins" if audience == "planner" else "citizen.layer.basins"

    def props(b: pd.DataFrame) -> list[dict[str, Any]]:
        vol, stored = _col(b, "volume_m3"), _col(b, "stored_m3")
        share = _ratio(stored, vol) * 100.0
        ids = _text(b, "basin_id")
        if audience == "planner":
            vals = [list(r) for r in zip([i or "–" for i in ids], nums(t, vol), nums(t, stored),
                                         nums(t, share), strict=True)]
        else:
            vals = [list(r) for r in zip(nums(t, vol), nums(t, share), strict=True)]
        return [{"h": n or i or t(key), "v": v}
                for n, i, v in zip(_text(b, "name"), ids, vals, strict=True)]

    if audience == "planner":
        labels = [t("popup.basin_id"), t("popup.volume_m3"), t("popup.stored_m3"),
                  t("popup.fill_pct")]
    else:
        labels = [t("citizen.popup.basin_m3"), t("citizen.popup.basin_used_pct")]
    return vector_layer(m, "basins", basins, props, name=t(key), kind="poly", show=show,
                        legend={"title": t(key), "rows": [{"c": "#41b6c4",
                                                           "t": t("legend.basin"), "k": ""}]},
                        tooltip=True, labels=labels,
                        style={"color": "#225ea8", "weight": 2, "fillColor": "#41b6c4",
                               "fillOpacity": 0.55})


def add_depressions(m: TwinMap, depressions: gpd.GeoDataFrame, *, lang: str = "en",
                    audience: str = "planner", rain_mm: float | None = None,
                    show: bool = True) -> dict[str, Any]:
    """Outlines of low-lying areas with area, water volume, maximum and typical depth.

    The water itself is drawn cell by cell by :func:`add_water_depth`; an
    outline is not filled with one colour (its deepest cell would overstate
    the depth of the whole area). Popups give the area, the water volume after
    the rain, the maximum and the median (typical) depth of the wet cells
    (``water_depth_median_m``, see :func:`twin.maps._water.depth_stats`).
    Citizens only see areas that get water.
    """
    t = Strings(lang)
    check_audience(audience)
    d = depressions
    depth_col = next((c for c in ("water_depth_max_m", "water_depth_m") if c in d.columns), None)
    if audience == "citizen" and depth_col is not None:
        d = d.loc[(_col(d, depth_col) > 0).to_numpy()]

    def props(dd: pd.DataFrame) -> list[dict[str, Any]]:
        dmax = _col(dd, depth_col or "__none__")
        med = _col(dd, "water_depth_median_m")
        if audience == "planner":
            vals = zip([i or "–" for i in _text(dd, "depression_id")],
                       nums(t, _col(dd, "area_m2")), nums(t, _col(dd, "water_volume_m3")),
                       nums(t, dmax, 2), nums(t, med, 2), nums(t, _col(dd, "max_depth_m"), 2),
                       nums(t, _col(dd, "volume_m3")), strict=True)
            head = t("tooltip.depression")
        else:
            vals = zip(nums(t, _col(dd, "area_m2")), nums(t, _col(dd, "water_volume_m3")),
                       nums(t, med * 100.0), nums(t, dmax * 100.0), strict=True)
            head = t("citizen.layer.water")
        return [{"h": head, "v": list(v)} for v in vals]

    if audience == "planner":
        labels = [t("popup.depression_id"), t("popup.area_m2"), t("popup.water_volume_m3"),
                  t("popup.water_depth_m"), t("popup.water_depth_median_m"),
                  t("popup.max_depth_m"), t("popup.volume_m3")]
        rain = t.num(rain_mm) if rain_mm is not None else "–"
        name = t("layer.depressions_rain", rain=rain) if depth_col else t("layer.depressions_full")
    else:
        labels = [t("citizen.popup.area_m2"), t("citizen.popup.water_m3"),
                  t("citizen.popup.water_median_cm"), t("citizen.popup.water_max_cm")]
        name = t("citizen.layer.depressions")
    return vector_layer(m, "depressions", d, props, name=name, kind="poly", show=show,
                        tooltip=True, labels=labels,
                        style={"color": "#08306b", "weight": 1.2, "opacity": 0.8,
                               "fill": True, "fillOpacity": 0.0})


def add_charging_gap(m: TwinMap, gap: gpd.GeoDataFrame, *, lang: str = "en",
                     audience: str = "planner", show: bool = False) -> dict[str, Any]:
    """Grid cells coloured by unmet charging demand (kWh/day); cells with none left out."""
    t = Strings(lang)
    check_audience(audience)
    cls = numeric_classes("gap_kwh_day", PURPLES5)
    key = "layer.charging_gap" if audience == "planner" else "citizen.layer.charging_gap"

    def props(g: pd.DataFrame) -> list[dict[str, Any]]:
        val = _col(g, "gap_kwh_day")
        return [{"h": t("tooltip.gap", v=v), "s": cls.colours[i] if i >= 0 else NODATA}
                for i, v in zip(cls.classify(val).tolist(), nums(t, val), strict=True)]

    return vector_layer(m, "charging_gap", gap.loc[(_col(gap, "gap_kwh_day") > 0).to_numpy()],
                        props, name=t(key), kind="poly", show=show, tooltip=True,
                        legend={"title": t("legend.gap_kwh_day"),
                                "rows": legend_rows(t, cls, nodata=False)},
                        style={"color": "#54278f", "weight": 0.5, "fillOpacity": 0.45})


def add_streets(m: TwinMap, streets: gpd.GeoDataFrame, *, lang: str = "en",
                show: bool = True) -> dict[str, Any]:
    """Street lines as a light basemap for offline maps (not clickable)."""
    t = Strings(lang)
    return vector_layer(m, "streets", streets, lambda s: [{} for _ in range(len(s))],
                        name=t("layer.streets"), kind="line", show=show, interactive=False,
                        casing={"color": "#c8c2b8", "weight": 6, "opacity": 1.0},
                        style={"color": "#ffffff", "weight": 4, "opacity": 1.0})


def add_water_depth(m: TwinMap, water_depth: Raster, *, lang: str = "en",
                    audience: str = "planner", rain_mm: float | None = None,
                    show: bool = True) -> dict[str, Any] | None:
    """Water depth per cell after the rain event, as an inlined image (None when all dry)."""
    t = Strings(lang)
    check_audience(audience)
    cls = numeric_classes("flood_depth_m", WATER_PALETTE)
    png = depth_png(water_depth, cls)
    if png is None:
        return None
    url, bounds = png
    rain = t.num(rain_mm) if rain_mm is not None else "–"
    if audience == "planner":
        name = t("layer.water_depth", rain=rain)
        rows = legend_rows(t, cls, decimals=1, nodata=False)
    else:
        name = t("citizen.layer.water")
        rows = legend_rows(t, cls, nodata=False, labels=[
            t(f"citizen.flood_class.{i}") for i in range(len(cls.colours))])
    title = t("legend.water_depth_m") if audience == "planner" else t("citizen.legend.water",
                                                                        rain=rain)
    return m.add_layer({"key": "water_depth", "name": name, "show": bool(show), "kind": "image",
                        "url": url, "bounds": bounds, "opacity": 1.0,
                        "legend": {"title": title, "rows": rows}})


def add_grid_areas(m: TwinMap, areas: gpd.GeoDataFrame, *, lang: str = "en",
                   audience: str = "planner", show: bool = False) -> dict[str, Any]:
    """Grid areas (e.g. substation supply areas) coloured by peak load / rated capacity.

    Columns used: ``area_id``, ``name``, ``peak_kw``, ``capacity_kw``,
    ``headroom_kw``, ``hours_over`` (missing ones show as no data).
    """
    t = Strings(lang)
    check_audience(audience)
    cls = numeric_classes("grid_load_share", RDYLGN5_REV)

    def props(a: pd.DataFrame) -> list[dict[str, Any]]:
        peak, cap = _col(a, "peak_kw"), _col(a, "capacity_kw")
        load = _ratio(peak, cap)
        idx = cls.classify(load).tolist()
        vals = zip([i or "–" for i in _text(a, "area_id")], nums(t, peak), nums(t, cap),
                   nums(t, _col(a, "headroom_kw")), nums(t, load * 100.0),
                   nums(t, _col(a, "hours_over")), strict=True)
        return [{"h": n or i or t("layer.grid_areas"), "s": cls.colours[k] if k >= 0 else NODATA,
                 "v": list(v)} for n, i, k, v in zip(_text(a, "name"), _text(a, "area_id"), idx,
                                                     vals, strict=True)]

    labels = [t("popup.area_id"), t("popup.peak_kw"), t("popup.capacity_kw"),
              t("popup.headroom_kw"), t("popup.load_pct"), t("popup.hours_over")]
    return vector_layer(m, "grid_areas", areas, props, name=t("layer.grid_areas"), kind="poly",
                        show=show, tooltip=True, labels=labels,
                        legend={"title": t("legend.grid_load_pct"),
                                "rows": legend_rows(t, Classes(tuple(100 * b for b in cls.breaks),
                                                               cls.colours))},
                        style={"color": "#444444", "weight": 1.2, "fillOpacity": 0.35})


def add_sea(m: TwinMap, sea: gpd.GeoDataFrame, *, lang: str = "en",
            show: bool = True) -> dict[str, Any]:
    """The sea (from the terrain model) as the offline map's background water."""
    t = Strings(lang)
    return vector_layer(m, "sea", sea, lambda s: [{} for _ in range(len(s))], name=t("layer.sea"),
                        kind="poly", show=show, interactive=False,
                        style={"stroke": False, "fillColor": "#aad3df", "fillOpacity": 1.0})


def add_street_names(m: TwinMap, streets: gpd.GeoDataFrame, *, lang: str = "en",
                     show: bool = True) -> dict[str, Any] | None:
    """Street names (one label per name) shown from zoom ``street_label_min_zoom``."""
    t = Strings(lang)
    pts = street_label_points(streets)
    if len(pts) == 0:
        return None
    return vector_layer(m, "street_names", pts,
                        lambda p: [{"h": n} for n in _text(p, "name")],
                        name=t("layer.street_names"), kind="labels", show=show,
                        minZoom=int(param("street_label_min_zoom")), priority=1)


def add_places(m: TwinMap, places: gpd.GeoDataFrame, *, lang: str = "en",
               show: bool = True) -> dict[str, Any] | None:
    """Place names (the district manifest's ``places:``) as permanent text labels."""
    t = Strings(lang)
    if len(places) == 0:
        return None
    return vector_layer(m, "places", places,
                        lambda p: [{"h": local(n, lang)} for n in p["name"]],
                        name=t("layer.places"), kind="labels", show=show, cls="twin-label twin-place",
                        priority=0)
