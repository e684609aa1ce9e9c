"""District indicators (KPIs), targets and scenario comparison tables.

All totals are sums of the per-building result columns, so ``indicators.json``
always agrees with ``buildings.gpkg``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from twin import schema as sch

#: Indicator keys of the contract, in report order, with units.
INDICATORS: dict[str, str] = {
    "buildings": "count",
    "floor_area_m2": "m2",
    "residents": "persons",
    "jobs": "jobs",
    "energy_mwh_yr": "MWh/yr",
    "heat_mwh_yr": "MWh/yr",
    "electricity_mwh_yr": "MWh/yr",
    "co2_buildings_t_yr": "t CO2/yr",
    "co2_transport_t_yr": "t CO2/yr",
    "co2_total_t_yr": "t CO2/yr",
    "co2_direct_t_yr": "t CO2/yr",
    "co2_per_resident_kg_yr": "kg CO2/yr",
    "co2_buildings_kg_m2_yr": "kg CO2/m2·yr",
    "energy_kwh_m2_yr": "kWh/m2·yr",
    "dh_connected_share": "share of heated buildings",
    "fossil_heating_share": "share of heated floor area",
    "charger_coverage_share": "share of residents",
    "public_chargers": "count",
    "ev_charging_mwh_yr": "MWh/yr",
    "car_km_yr": "km/yr",
    "zero_emission_car_share": "share of car-km",
    "rain_mm": "mm",
    "flood_volume_m3": "m3",
    "basin_storage_m3": "m3",
    "flooded_buildings": "count",
    "max_flood_depth_m": "m",
    "peak_electricity_mw": "MW",
    "peak_district_heat_mw": "MW",
    "design_peak_electricity_mw": "MW",
    "design_peak_district_heat_mw": "MW",
    "ev_charging_peak_mw": "MW",
    "grid_areas_over_capacity": "count",
}


def _sum(b: pd.DataFrame, col: str) -> float:
    if col not in b.columns:
        return float("nan")
    v = pd.to_numeric(b[col], errors="coerce").astype("float64")
    return float(v.sum()) if v.notna().any() else float("nan")


def _ratio(num: float, den: float) -> float:
    return num / den if den and not math.isnan(den) and not math.isnan(num) else float("nan")


def district_indicators(buildings: pd.DataFrame, *, scenario: str, charging_points: pd.DataFrame | None = None,
                        walk_distance_m: float = 300.0, ev_share: float = float("nan"),
                        rain_mm: float | None = None, flood_balance: dict[str, float] | None = None,
                        flooded_depth_m: float = 0.1) -> dict[str, Any]:
    """Indicators of one evaluated district.

    Parameters
    ----------
    buildings : DataFrame
        Per-building results (contract columns).
    scenario : str
        Scenario name.
    charging_points : DataFrame, optional
        Charging points (to count public ones).
    walk_distance_m : float
        Walking distance for charger coverage.
    ev_share : float
        Share of car-km driven electric (scenario parameter).
    rain_mm : float, optional
        Rain event, or None when no rain was routed.
    flood_balance : dict, optional
        Water balance of the rain event (``stored_m3``, ``basin_m3``, ...).
    flooded_depth_m : float
        Water depth at which a building counts as flooded.

    Returns
    -------
    dict
        The contract's keys (see :data:`INDICATORS`), ``targets`` empty.
    """
    b = buildings
    heated = (b["use"] != "unheated").to_numpy() if "use" in b else np.ones(len(b), bool)
    fa = pd.to_numeric(b.get("floor_area_m2"), errors="coerce").astype("float64").to_numpy() \
        if "floor_area_m2" in b else np.full(len(b), np.nan)
    heated_fa = float(np.nansum(fa[heated]))
    res = _sum(b, "residents")
    co2_b = _sum(b, "co2_kg_yr") / 1000
    co2_t = _sum(b, "co2_transport_kg_yr") / 1000
    energy = _sum(b, "energy_kwh_yr") / 1000
    fossil = np.isin(b["heating"].to_numpy(dtype=object), sch.FOSSIL_HEATING) & heated
    dh = b["dh_connected"].fillna(False).astype(bool).to_numpy() if "dh_connected" in b else np.zeros(len(b), bool)
    res_arr = pd.to_numeric(b.get("residents", pd.Series(0.0, index=b.index)), errors="coerce").fillna(0).to_numpy()
    dist = pd.to_numeric(b.get("dist_charger_m", pd.Series(np.nan, index=b.index)), errors="coerce").to_numpy()
    covered = float(res_arr[np.nan_to_num(dist, nan=np.inf) <= walk_distance_m].sum())
    depth = pd.to_numeric(b.get("flood_depth_m", pd.Series(np.nan, index=b.index)), errors="coerce").to_numpy()
    out: dict[str, Any] = {
        "scenario": scenario,
        "buildings": int(len(b)),
        "floor_area_m2": _sum(b, "floor_area_m2"),
        "residents": res,
        "jobs": _sum(b, "jobs"),
        "energy_mwh_yr": energy,
        "heat_mwh_yr": _sum(b, "heat_kwh_yr") / 1000,
        "electricity_mwh_yr": _sum(b, "electricity_kwh_yr") / 1000,
        "co2_buildings_t_yr": co2_b,
        "co2_transport_t_yr": co2_t,
        "co2_total_t_yr": co2_b + co2_t,
        "co2_direct_t_yr": _sum(b, "co2_direct_kg_yr") / 1000,
        "co2_per_resident_kg_yr": _ratio((co2_b + co2_t) * 1000, res),
        "co2_buildings_kg_m2_yr": _ratio(co2_b * 1000, heated_fa),
        "energy_kwh_m2_yr": _ratio(energy * 1000, heated_fa),
        "dh_connected_share": _ratio(float((dh & heated).sum()), float(heated.sum())),
        "fossil_heating_share": _ratio(float(np.nansum(fa[fossil])), heated_fa),
        "charger_coverage_share": _ratio(covered, res) if res > 0 else float("nan"),
        "public_chargers": int(charging_points["public"].fillna(False).astype(bool).sum())
        if charging_points is not None and len(charging_points) else 0,
        "ev_charging_mwh_yr": _sum(b, "ev_kwh_yr") / 1000,
        "car_km_yr": _sum(b, "car_km_yr"),
        "zero_emission_car_share": float(ev_share),
        "rain_mm": float(rain_mm) if rain_mm is not None else 0.0,
        "flood_volume_m3": float(flood_balance.get("stored_m3", 0.0)) if flood_balance else 0.0,
        "basin_storage_m3": float(flood_balance.get("basin_m3", 0.0)) if flood_balance else 0.0,
        "flooded_buildings": int(np.sum(np.nan_to_num(depth, nan=0.0) > flooded_depth_m)) if rain_mm else 0,
        "max_flood_depth_m": float(np.nanmax(depth)) if np.isfinite(depth).any() else 0.0,
        "targets": {},
    }
    return out


def evaluate_targets(indicators: dict[str, Any], targets: Sequence[Any],
                     reference_value: Callable[[Any, str], float]) -> dict[str, dict[str, Any]]:
    """Evaluate declared targets against indicators.

    Parameters
    ----------
    indicators : dict
        Indicators of the scenario.
    targets : sequence of twin.scenario.Target
        The declared targets.
    reference_value : callable
        ``reference_value(ref, indicator)`` gives the indicator value of a
        referenced scenario file (for ``reduction`` and ``not_above``).

    Returns
    -------
    dict
        Target name → ``{"value", "threshold", "met", "indicator", "kind"}``.
    """
    out: dict[str, dict[str, Any]] = {}
    for t in targets:
        if t.indicator not in indicators:
            msg = f"target '{t.name}': unknown indicator '{t.indicator}'; allowed: {', '.join(INDICATORS)}"
            raise ValueError(msg)
        v = float(indicators[t.indicator])
        entry: dict[str, Any] = {"indicator": t.indicator}
        if t.max is not None:
            entry.update(kind="max", value=v, threshold=float(t.max), met=bool(v <= t.max + 1e-12))
        elif t.min is not None:
            entry.update(kind="min", value=v, threshold=float(t.min), met=bool(v >= t.min - 1e-12))
        elif t.reduction is not None:
            ref = float(t.reference) if not isinstance(t.reference, str) else reference_value(t.reference, t.indicator)
            red = 1 - v / ref if ref else float("nan")
            entry.update(kind="reduction", value=red, threshold=float(t.reduction), reference=ref,
                         met=bool(red >= t.reduction - 1e-12) if not math.isnan(red) else False)
            if t.reference_year:
                entry["reference_year"] = t.reference_year
        else:
            ref = reference_value(t.not_above, t.indicator)
            entry.update(kind="not_above", value=v, threshold=ref, met=bool(v <= ref * (1 + 1e-9) + 1e-9))
        if t.source:
            entry["source"] = t.source
        if isinstance(entry.get("value"), float) and math.isnan(entry["value"]):
            entry["met"] = False
        out[t.name] = entry
    return out


def compare(results: Sequence[Any]) -> pd.DataFrame:
    """Indicators side by side, with differences against the first scenario.

    Parameters
    ----------
    results : sequence of twin.result.Result or dict
        Evaluated scenarios (or their indicator dicts); the first is the reference.

    Returns
    -------
    pandas.DataFrame
        One row per indicator (and per target, as ``target:<name>``), columns
        ``unit``, one per scenario, and ``<scenario> - <first>`` differences.
    """
    inds = [r.indicators if hasattr(r, "indicators") else r for r in results]
    if not inds:
        msg = "compare() needs at least one result"
        raise ValueError(msg)
    names = [str(i["scenario"]) for i in inds]
    seen: dict[str, int] = {}
    for k, n in enumerate(names):  # make column names unique
        if n in seen:
            names[k] = f"{n} ({k + 1})"
        seen[n] = k
    rows = []
    for key, unit in INDICATORS.items():
        rows.append({"indicator": key, "unit": unit, **{n: i.get(key, np.nan) for n, i in zip(names, inds)}})
    tnames: list[str] = []
    for i in inds:
        for t in i.get("targets", {}):
            if t not in tnames:
                tnames.append(t)
    for t in tnames:
        row = {"indicator": f"target:{t}", "unit": "met"}
        for n, i in zip(names, inds):
            e = i.get("targets", {}).get(t)
            row[n] = np.nan if e is None else float(bool(e["met"]))
        rows.append(row)
    df = pd.DataFrame(rows).set_index("indicator")
    first = names[0]
    for n in names[1:]:
        df[f"{n} - {first}"] = pd.to_numeric(df[n], errors="coerce") - pd.to_numeric(df[first], errors="coerce")
    return df
