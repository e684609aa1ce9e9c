"""District-heating network: linear heat density and extension report.

Linear heat density is the heat sold per metre of trench per year
(MWh/m·yr), the main indicator of a heat network's economy (Persson & Werner
2011, *Heat distribution and the future competitiveness of district
heating*, Applied Energy 88:568–576). Each district-heat-connected building
is assigned to its nearest segment (shapely ``STRtree``); its heat is the
district heat it buys (``delivered_district_heat_kwh_yr`` from
:func:`twin.energy.estimate_buildings`, else ``heat_kwh_yr``). Densities are
classified with the bands of ``twin/params/dh_feasibility.csv``
(< 0.5 poor: KfW minimum; > 1.5 good: C.A.R.M.E.N. guideline).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin._errors import InputError, Problem
from twin.energy import nearest_segment

PARAMS_DIR = Path(__file__).parent / "params"
_MWH = 1000.0  # kWh per MWh (unit conversion, not a parameter)


def feasibility_bands() -> pd.DataFrame:
    """Density classes with lower/upper bounds (MWh/m·yr) and sources."""
    return pd.read_csv(PARAMS_DIR / "dh_feasibility.csv")


def classify_density(density: np.ndarray | pd.Series) -> np.ndarray:
    """Class (``poor``/``fair``/``good``) of each linear heat density; NaN → ``unknown``."""
    bands = feasibility_bands().sort_values("min_mwh_m_yr")
    d = np.asarray(density, dtype=float)
    idx = np.searchsorted(bands["min_mwh_m_yr"].to_numpy(float), d, side="right") - 1
    names = bands["density_class"].to_numpy(dtype=object)
    out = names[np.clip(idx, 0, len(names) - 1)]
    return np.where(np.isfinite(d), out, "unknown").astype(object)


def _building_heat_kwh(buildings: pd.DataFrame) -> np.ndarray:
    for col in ("delivered_district_heat_kwh_yr", "heat_kwh_yr"):
        if col in buildings:
            return pd.to_numeric(buildings[col], errors="coerce").fillna(0.0).to_numpy(float)
    raise InputError(Problem("buildings", "no heat column",
                             "run twin.energy.estimate_buildings first (it adds heat_kwh_yr)",
                             column="heat_kwh_yr"))


def _check(heat_network: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> None:
    if "dh_connected" not in buildings:
        raise InputError(Problem("buildings", "missing column 'dh_connected'",
                                 "run twin.energy.estimate_buildings first",
                                 column="dh_connected"))
    if (buildings.crs is not None and heat_network.crs is not None
            and not buildings.crs.equals(heat_network.crs)):
        raise InputError(Problem(
            "heat_network", f"CRS {heat_network.crs.to_string()} differs from the buildings' "
                            f"{buildings.crs.to_string()}",
            "reproject one layer with `to_crs()` so both share the district CRS"))


def _planned(heat_network: pd.DataFrame) -> np.ndarray:
    if "planned" not in heat_network:
        return np.zeros(len(heat_network), bool)
    return heat_network["planned"].astype("boolean").fillna(False).to_numpy(dtype=bool)


def linear_heat_density(heat_network: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
                        ) -> gpd.GeoDataFrame:
    """Heat carried per metre of each network segment.

    Parameters
    ----------
    heat_network : geopandas.GeoDataFrame
        Network lines.
    buildings : geopandas.GeoDataFrame
        Result of :func:`twin.energy.estimate_buildings` (``dh_connected`` and
        ``delivered_district_heat_kwh_yr`` or ``heat_kwh_yr``).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of the network with ``length_m``, ``buildings_connected``,
        ``heat_mwh_yr`` (heat of the connected buildings whose nearest segment
        it is), ``heat_density_mwh_m_yr`` (NaN for zero-length segments) and
        ``density_class``.
    """
    _check(heat_network, buildings)
    out = heat_network.copy()
    length = shapely.length(np.asarray(out.geometry.array))
    connected = buildings["dh_connected"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    geoms = np.asarray(buildings.geometry.array)[connected]
    seg, _ = nearest_segment(geoms, out)
    heat = _building_heat_kwh(buildings)[connected]
    ok = seg >= 0
    heat_seg = np.bincount(seg[ok], weights=heat[ok], minlength=len(out)) / _MWH
    count = np.bincount(seg[ok], minlength=len(out))
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(length > 0, heat_seg / length, np.nan)
    out["length_m"] = length
    out["buildings_connected"] = count
    out["heat_mwh_yr"] = heat_seg
    out["heat_density_mwh_m_yr"] = density
    out["density_class"] = pd.array(classify_density(density), dtype="str")
    return out


def _summary(length_m: float, heat_mwh: float) -> dict:
    density = heat_mwh / length_m if length_m > 0 else float("nan")
    return {"length_m": length_m, "heat_mwh_yr": heat_mwh,
            "heat_density_mwh_m_yr": density,
            "density_class": str(classify_density(np.array([density]))[0])}


def network_report(heat_network: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, *,
                   within_m: float | None = None) -> dict:
    """Existing network versus planned extension: length, heat, density.

    Parameters
    ----------
    heat_network : geopandas.GeoDataFrame
        Network lines; a true ``planned`` column marks extension segments.
    buildings : geopandas.GeoDataFrame
        Result of :func:`twin.energy.estimate_buildings`.
    within_m : float | None
        For ``extension_potential_heat_mwh_yr``: only buildings within this
        distance of their nearest (planned) segment; None takes all.

    Returns
    -------
    dict
        ``existing``, ``planned`` and ``total`` (each ``length_m``,
        ``heat_mwh_yr``, ``heat_density_mwh_m_yr``, ``density_class``),
        ``extension_heat_mwh_yr`` (heat of connected buildings served by
        planned segments, i.e. the heat the extension carries),
        ``extension_potential_heat_mwh_yr`` (space heating + hot water of all
        heated buildings whose nearest segment is planned, connected or not),
        ``buildings_connected`` and ``networks`` (per ``network_id`` summary).
    """
    segs = linear_heat_density(heat_network, buildings)
    planned = _planned(segs)
    length = segs["length_m"].to_numpy(float)
    heat = segs["heat_mwh_yr"].to_numpy(float)
    report: dict = {
        "existing": _summary(float(length[~planned].sum()), float(heat[~planned].sum())),
        "planned": _summary(float(length[planned].sum()), float(heat[planned].sum())),
        "total": _summary(float(length.sum()), float(heat.sum())),
        "extension_heat_mwh_yr": float(heat[planned].sum()),
        "buildings_connected": int(segs["buildings_connected"].sum()),
    }
    # potential: every heated building whose nearest segment is planned
    potential = 0.0
    if planned.any() and "heat_kwh_yr" in buildings:
        seg, dist = nearest_segment(np.asarray(buildings.geometry.array), segs)
        near = seg >= 0
        on_planned = near & planned[np.maximum(seg, 0)]
        if within_m is not None:
            on_planned &= dist <= within_m
        h = pd.to_numeric(buildings["heat_kwh_yr"], errors="coerce").fillna(0.0).to_numpy(float)
        potential = float(h[on_planned].sum()) / _MWH
    report["extension_potential_heat_mwh_yr"] = potential
    networks = {}
    if "network_id" in segs:
        for nid, g in pd.DataFrame(segs.drop(columns="geometry")).groupby("network_id", sort=True):
            networks[str(nid)] = _summary(float(g["length_m"].sum()), float(g["heat_mwh_yr"].sum()))
    report["networks"] = networks
    return report
