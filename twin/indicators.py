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

#: Indicator keys of the contract, in report order, with units. The one registry
#: of indicators: a scenario target or target path may name any of these keys
#: (``twin check`` validates against it), so a new indicator is added here.
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
    "co2_ev_charging_t_yr": "t CO2/yr",
    "co2_total_t_yr": "t CO2/yr",
    "co2_direct_t_yr": "t CO2/yr",
    "co2_per_resident_kg_yr": "kg CO2/yr",
    "co2_workplace_per_job_kg_yr": "kg CO2/yr",
    "co2_buildings_kg_m2_yr": "kg CO2/m2·yr",
    "energy_kwh_m2_yr": "kWh/m2·yr",
    "dh_connected_share": "share of heated floor area",
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
    "floors_default_buildings": "count",
    "electricity_co2_g_kwh": "g CO2/kWh",
    "peak_electricity_mw": "MW",
    "peak_district_heat_mw": "MW",
    "design_peak_electricity_mw": "MW",
    "design_peak_district_heat_mw": "MW",
    "ev_charging_peak_mw": "MW",
    "grid_areas_over_capacity": "count",
    "design_temperature_c": "degC",
    "ev_smart_charging": "share of home charging",
}

#: Indicators that are scenario inputs echoed, not model outcomes: a target on
#: one of them reports ``status: set_by_input`` (the scenario decides it).
INPUT_INDICATORS: frozenset[str] = frozenset({"zero_emission_car_share", "electricity_co2_g_kwh", "rain_mm",
                                              "design_temperature_c", "ev_smart_charging"})

#: Indicators that scenario modifications can set directly (``change_heating``
#: sets ``fossil_heating_share``, ``add_chargers`` with ``target_coverage``
#: places chargers until ``charger_coverage_share`` is reached,
#: ``connect_district_heating`` raises ``dh_connected_share``): their targets
#: are evaluated (met/missed) and flagged ``modification_driven`` when the
#: scenario holds such a modification.
MODIFICATION_INDICATORS: dict[str, tuple[str, ...]] = {
    "fossil_heating_share": ("change_heating",),
    "charger_coverage_share": ("add_chargers",),
    "dh_connected_share": ("connect_district_heating",),
}

#: Flood indicators: not evaluated on a district without a terrain model.
FLOOD_INDICATORS: tuple[str, ...] = ("rain_mm", "flood_volume_m3", "basin_storage_m3", "flooded_buildings",
                                     "max_flood_depth_m")

#: Values of a target's ``status``.
TARGET_STATUSES: tuple[str, ...] = ("met", "missed", "not_evaluated", "set_by_input")


def _sum(b: pd.DataFrame, col: str) -> float:
    if col not in b.columns:
        return float("nan")
    v = pd.to_numeric(b[col], errors="coerce").astype("float64")
    return float(v.sum()) if v.notna().any() else float("nan")


def _ratio(num: float, den: float) -> float:
    return num / den if den and not math.isnan(den) and not math.isnan(num) else float("nan")


def _col(b: pd.DataFrame, col: str, fill: float = 0.0) -> np.ndarray:
    if col not in b.columns:
        return np.full(len(b), fill)
    return pd.to_numeric(b[col], errors="coerce").astype("float64").fillna(fill).to_numpy()


def homes(buildings: pd.DataFrame) -> np.ndarray:
    """Whether each building is a home (use in :data:`twin.schema.RESIDENTIAL_USES`)."""
    b = buildings
    return b["use"].isin(sch.RESIDENTIAL_USES).to_numpy() if "use" in b else np.zeros(len(b), bool)


def resident_travel_share(buildings: pd.DataFrame) -> np.ndarray:
    """Share of each building's car-km driven by residents (the rest: in-commuters).

    ``car_km_resident_yr / car_km_yr``; 1 without car-km; without the split
    column, 1 for homes and 0 for other buildings.
    """
    b = buildings
    if "car_km_resident_yr" not in b.columns:
        return np.where(homes(b), 1.0, 0.0)
    km = _col(b, "car_km_yr")
    return np.divide(_col(b, "car_km_resident_yr"), km, out=np.ones_like(km), where=km > 0)


def emission_accounts(buildings: pd.DataFrame) -> dict[str, float]:
    """District CO2 (t/yr) split by where it is attributed, summing to the total.

    Each building's emissions (``co2_kg_yr``) go to its residents when its use
    is residential (:data:`twin.schema.RESIDENTIAL_USES`), else to its
    workplaces; its travel emissions (tailpipe ``co2_transport_kg_yr`` plus EV
    charging electricity ``co2_ev_charging_kg_yr``) are split between residents'
    own travel and in-commuters' travel by car-km (``car_km_resident_yr`` /
    ``car_km_commuter_yr``).

    Returns
    -------
    dict
        ``homes_t_yr``, ``resident_travel_t_yr``, ``workplaces_t_yr``,
        ``commuter_travel_t_yr``; they add up to ``co2_total_t_yr``.
    """
    b = buildings
    home = homes(b)
    bld = _col(b, "co2_kg_yr")
    travel = _col(b, "co2_transport_kg_yr") + _col(b, "co2_ev_charging_kg_yr")
    share_res = resident_travel_share(b)
    return {
        "homes_t_yr": float(bld[home].sum()) / 1000,
        "resident_travel_t_yr": float((travel * share_res).sum()) / 1000,
        "workplaces_t_yr": float(bld[~home].sum()) / 1000,
        "commuter_travel_t_yr": float((travel * (1.0 - share_res)).sum()) / 1000,
    }


def district_indicators(buildings: pd.DataFrame, *, scenario: str, charging_points: pd.DataFrame | None = None,
                        walk_distance_m: float = 300.0, ev_share: float = float("nan"),
                        rain_mm: float | None = None, flood_balance: dict[str, float] | None = None,
                        flooded_depth_m: float = 0.1, flood_evaluated: bool = True,
                        electricity_co2_g_kwh: float = float("nan")) -> dict[str, Any]:
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
        A building counts as flooded when the water next to it is deeper than
        this (strictly greater, ``> 0.1 m`` by default, as everywhere in twin).
    flood_evaluated : bool
        False when the district has no terrain model: the flood indicators are
        then NaN (not evaluated), not 0.
    electricity_co2_g_kwh : float
        Electricity emission factor used (reported as given).

    Returns
    -------
    dict
        The contract's keys (see :data:`INDICATORS`), ``targets`` empty.
        ``co2_total_t_yr`` is every carrier the district buys: buildings'
        delivered energy, EV charging electricity and tailpipe CO2.
        ``co2_per_resident_kg_yr`` is residents' homes and residents' own
        travel per resident; ``co2_workplace_per_job_kg_yr`` the other
        buildings and in-commuters' travel per job (see :func:`emission_accounts`).
    """
    b = buildings
    heated = (b["use"] != "unheated").to_numpy() if "use" in b else np.ones(len(b), bool)
    fa = _col(b, "floor_area_m2", np.nan)
    heated_fa = float(np.nansum(fa[heated]))
    res = _sum(b, "residents")
    jobs = _sum(b, "jobs")
    co2_b = _sum(b, "co2_kg_yr") / 1000
    co2_t = _sum(b, "co2_transport_kg_yr") / 1000
    co2_ev = _sum(b, "co2_ev_charging_kg_yr") / 1000 if "co2_ev_charging_kg_yr" in b else 0.0
    energy = _sum(b, "energy_kwh_yr") / 1000
    fossil = np.isin(b["heating"].to_numpy(dtype=object), sch.FOSSIL_HEATING) & heated
    dh = b["dh_connected"].fillna(False).astype(bool).to_numpy() if "dh_connected" in b else np.zeros(len(b), bool)
    res_arr = _col(b, "residents")
    dist = _col(b, "dist_charger_m", np.nan)
    covered = float(res_arr[np.nan_to_num(dist, nan=np.inf) <= walk_distance_m].sum())
    depth = _col(b, "flood_depth_m", np.nan)
    acc = emission_accounts(b)
    nan = float("nan")
    out: dict[str, Any] = {
        "scenario": scenario,
        "buildings": int(len(b)),
        "floor_area_m2": _sum(b, "floor_area_m2"),
        "residents": res,
        "jobs": jobs,
        "energy_mwh_yr": energy,
        "heat_mwh_yr": _sum(b, "heat_kwh_yr") / 1000,
        "electricity_mwh_yr": _sum(b, "electricity_kwh_yr") / 1000,
        "co2_buildings_t_yr": co2_b,
        "co2_transport_t_yr": co2_t,
        "co2_ev_charging_t_yr": co2_ev,
        "co2_total_t_yr": co2_b + co2_ev + co2_t,
        "co2_direct_t_yr": _sum(b, "co2_direct_kg_yr") / 1000,
        "co2_per_resident_kg_yr": _ratio((acc["homes_t_yr"] + acc["resident_travel_t_yr"]) * 1000, res),
        "co2_workplace_per_job_kg_yr": _ratio((acc["workplaces_t_yr"] + acc["commuter_travel_t_yr"]) * 1000,
                                              jobs),
        "co2_buildings_kg_m2_yr": _ratio(co2_b * 1000, heated_fa),
        "energy_kwh_m2_yr": _ratio(energy * 1000, heated_fa),
        "dh_connected_share": _ratio(float(np.nansum(fa[dh & heated])), heated_fa),
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
        "floors_default_buildings": int((b["floor_area_source"].astype(str) == "default").sum())
        if "floor_area_source" in b else 0,
        "electricity_co2_g_kwh": float(electricity_co2_g_kwh),
        "targets": {},
    }
    if not flood_evaluated:
        for k in FLOOD_INDICATORS:
            out[k] = nan
    return out


def evaluate_targets(indicators: dict[str, Any], targets: Sequence[Any],
                     reference_value: Callable[[Any, str], float],
                     modification_kinds: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
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
    modification_kinds : sequence of str
        Kinds of the scenario's modifications (to flag targets that a
        modification sets directly, :data:`MODIFICATION_INDICATORS`).

    Returns
    -------
    dict
        Target name → ``{"indicator", "value", "threshold", "kind", "status",
        "met", "probability_met"}``. ``status`` is one of
        :data:`TARGET_STATUSES`: ``set_by_input`` for an indicator that is a
        scenario input (:data:`INPUT_INDICATORS`), ``not_evaluated`` when the
        model could not compute the value (NaN, e.g. a flood target on a
        district without a terrain model), else ``met`` or ``missed``. ``met``
        is true/false for evaluated targets and None otherwise;
        ``probability_met`` is filled by :mod:`twin.uncertainty` (None here).
    """
    out: dict[str, dict[str, Any]] = {}
    kinds = set(modification_kinds)
    for t in targets:
        if t.indicator not in indicators:
            msg = f"target '{t.name}': unknown indicator '{t.indicator}'; allowed: {', '.join(INDICATORS)}"
            raise ValueError(msg)
        v = float(indicators[t.indicator]) if indicators[t.indicator] is not None else float("nan")
        entry: dict[str, Any] = {"indicator": t.indicator}
        if t.max is not None:
            entry.update(kind="max", value=v, threshold=float(t.max))
        elif t.min is not None:
            entry.update(kind="min", value=v, threshold=float(t.min))
        elif t.reduction is not None:
            ref = float(t.reference) if not isinstance(t.reference, str) else reference_value(t.reference, t.indicator)
            red = 1 - v / ref if ref else float("nan")
            entry.update(kind="reduction", value=red, threshold=float(t.reduction), reference=ref)
            if t.reference_year:
                entry["reference_year"] = t.reference_year
        else:
            ref = reference_value(t.not_above, t.indicator)
            entry.update(kind="not_above", value=v, threshold=ref)
        met = target_met(entry["kind"], np.asarray(entry["value"]), entry["threshold"])
        if t.indicator in INPUT_INDICATORS:
            entry.update(status="set_by_input", met=None)
        elif math.isnan(entry["value"]) or math.isnan(entry["threshold"]):
            entry.update(status="not_evaluated", met=None)
        else:
            entry.update(status="met" if bool(met) else "missed", met=bool(met))
        entry["probability_met"] = None
        driven = [k for k in MODIFICATION_INDICATORS.get(t.indicator, ()) if k in kinds]
        if driven:
            entry["modification_driven"] = driven
        if t.source:
            entry["source"] = t.source
        out[t.name] = entry
    return out


def target_met(kind: str, value: np.ndarray, threshold: float) -> np.ndarray:
    """Whether values meet a target (vectorised; one rule for point values and draws).

    ``max`` and ``not_above``: value <= threshold; ``min`` and ``reduction``:
    value >= threshold (a reduction's value is ``1 - value / reference``).
    A small tolerance absorbs floating-point noise. NaN never meets.
    """
    value = np.asarray(value, dtype=float)
    if kind == "max":
        return value <= threshold + 1e-12
    if kind == "not_above":
        return value <= threshold * (1 + 1e-9) + 1e-9
    return value >= threshold - 1e-12


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
        row = {"indicator": f"target:{t}", "unit": "met (1), missed (0); empty: not evaluated or set by input"}
        for n, i in zip(names, inds):
            e = i.get("targets", {}).get(t)
            row[n] = np.nan if e is None or e.get("met") is None else float(bool(e["met"]))
        rows.append(row)
    df = pd.DataFrame(rows).set_index("indicator")
    first = names[0]
    for n in names[1:]:
        df[f"{n} - {first}"] = pd.to_numeric(df[n], errors="coerce") - pd.to_numeric(df[first], errors="coerce")
    return df
