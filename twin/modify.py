"""Scenario modifications: pure functions from one District to another.

Each modification kind of a scenario file (:data:`twin.scenario.MODIFICATIONS`)
has a function here. Files named by a modification are read at this edge and
validated against the layer schema; the district given is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin import schema as sch
from twin._errors import input_error
from twin.district import District, district_extent, read_layer
from twin.scenario import Modification, Scenario, Where

#: Planned buildings added by scenarios may be built up to this year.
PLANNED_YEAR_MAX = 2100


@dataclass(frozen=True)
class Applied:
    """A modified district and the settings modifications hand to the models."""

    district: District
    connect_within_m: float | None = None
    connect_min_heat_kwh_yr: float | None = None
    log: tuple[str, ...] = ()


def _unknown_ids(have: pd.Series, wanted: list[str], where: str, key: str, layer: str) -> None:
    missing = sorted(set(wanted) - set(have.astype(str)))
    if missing:
        listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise input_error(where, f"no {layer} with id {listed} in the district",
                          f"use ids from the district's {layer} layer", column=key)


def select(buildings: gpd.GeoDataFrame, where: Where, *, base: Path, label: str = "scenario",
           key: str = "where") -> np.ndarray:
    """Boolean mask of the buildings a :class:`~twin.scenario.Where` picks.

    Raises
    ------
    InputError
        When ``ids`` names a building the district does not have.
    """
    m = np.ones(len(buildings), bool)
    if where.ids is not None:
        _unknown_ids(buildings["building_id"], where.ids, label, f"{key}.ids", "building")
        m &= buildings["building_id"].astype(str).isin(where.ids).to_numpy()
    if where.use is not None:
        m &= buildings["use"].isin(where.use).to_numpy()
    if where.heating is not None:
        m &= buildings["heating"].isin(where.heating).to_numpy()
    if where.year_min is not None:
        m &= (buildings["year"].astype("float64") >= where.year_min).to_numpy()
    if where.year_max is not None:
        m &= (buildings["year"].astype("float64") <= where.year_max).to_numpy()
    if where.building_code is not None:
        from twin.energy import building_code_from_year

        codes = building_code_from_year(buildings["year"])
        if "building_code" in buildings.columns:
            given = buildings["building_code"].astype(object).to_numpy()
            codes = np.where(pd.notna(given), given, codes)
        m &= np.isin(np.asarray(codes, dtype=object), where.building_code)
    if where.area is not None:
        area = _read_area(base / where.area, buildings.crs, tuple(buildings.total_bounds))
        m &= buildings.geometry.representative_point().within(area).to_numpy()
    if where.share is not None and m.any():
        idx = np.flatnonzero(m)
        fa = buildings.geometry.area.to_numpy()[idx]
        keep = idx[np.argsort(-fa, kind="stable")][: int(round(where.share * len(idx)))]
        m = np.zeros(len(buildings), bool)
        m[keep] = True
    return m


def _read_area(path: Path, crs: object, near: tuple | None = None) -> shapely.Geometry:
    gdf = read_layer(path, sch.LOW_LYING, crs=crs, near=near)  # any polygon layer: schema needs only polygons
    return shapely.union_all(gdf.geometry.to_numpy())


def _concat(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    b = b.to_crs(a.crs)
    if len(a) == 0:
        return b.reset_index(drop=True)
    return gpd.GeoDataFrame(pd.concat([a, b], ignore_index=True), geometry=a.geometry.name, crs=a.crs)


def _check_new_ids(existing: pd.Series, new: pd.Series, where: str, column: str) -> None:
    dup = set(existing.astype(str)) & set(new.astype(str))
    if dup:
        listed = ", ".join(sorted(dup)[:5])
        raise input_error(where, f"ids already in the district: {listed}",
                          "give the added features ids of their own", column=column)


def apply_modification(applied: Applied, mod: Modification, scenario: Scenario) -> Applied:
    """Apply one modification; returns a new :class:`Applied`."""
    d = applied.district
    a = mod.args
    base = scenario.folder
    b = d.buildings
    log = applied.log
    label = str(scenario.path or scenario.name)
    if mod.kind == "demolish":
        m = select(b, a, base=base, label=label, key="demolish")
        d = d.replace(buildings=b.loc[~m].reset_index(drop=True))
        log += (f"demolish: {int(m.sum())} buildings",)
    elif mod.kind == "retrofit":
        m = select(b, a.where, base=base, label=label, key="retrofit.where")
        b = b.copy()
        b["building_condition"] = b["building_condition"].astype(object) if "building_condition" in b else None
        if a.to is not None:  # rebuilt to a newer code: that code's need, in its original condition
            b["building_code"] = b["building_code"].astype(object) if "building_code" in b else None
            b.loc[m, "building_code"] = a.to
            b.loc[m, "building_condition"] = "original_condition"
        if a.condition is not None:  # NVE EBM renovation state (twin.ebm)
            b.loc[m, "building_condition"] = a.condition
        d = d.replace(buildings=b)
        log += (f"retrofit: {int(m.sum())} buildings to {a.to or a.condition}",)
    elif mod.kind == "change_heating":
        m = select(b, a.where, base=base, label=label, key="change_heating.where") & (b["use"] != "unheated").to_numpy()
        b = b.copy()
        b.loc[m, "heating"] = a.to
        if "dh_connected" in b.columns:
            b.loc[m, "dh_connected"] = a.to == "district_heating"
        d = d.replace(buildings=b)
        log += (f"change_heating: {int(m.sum())} buildings to {a.to}",)
    elif mod.kind == "connect_district_heating":
        applied = Applied(d, a.within_m, a.min_heat_kwh_yr, log + (f"connect within {a.within_m:g} m",))
        return applied
    elif mod.kind == "add_buildings":
        path = scenario.resolve(a.file)
        new = read_layer(path, sch.BUILDINGS, crs=d.crs, layer=a.layer,
                         overrides={"year": {"max": PLANNED_YEAR_MAX}}, near=district_extent(d))
        _check_new_ids(b["building_id"], new["building_id"], f"{path}: layer buildings", "building_id")
        d = d.replace(buildings=_concat(b, new))
        log += (f"add_buildings: {len(new)} from {path.name}",)
    elif mod.kind == "new_quarter":
        from twin.quarter import generate_quarter

        area = _read_area(scenario.resolve(a.area), d.crs, district_extent(d))
        occupied = b.geometry.intersects(area).to_numpy()
        if occupied.any():
            area = area.difference(shapely.union_all(b.geometry.to_numpy()[occupied]).buffer(5))
        nb, ns = generate_quarter(area, crs=str(d.crs.to_string()), gross_floor_area_m2=a.gross_floor_area_m2,
                                  use_mix=dict(a.use_mix), floors=tuple(a.floors), building_code=a.building_code,
                                  year=a.year, heating=a.heating, id_prefix=a.id_prefix, seed=a.seed)
        _check_new_ids(b["building_id"], nb["building_id"], str(scenario.path), "new_quarter.id_prefix")
        d = d.replace(buildings=_concat(b, nb), streets=_concat(d.streets, ns))
        log += (f"new_quarter: {len(nb)} buildings, {nb['floor_area_m2'].sum():,.0f} m2",)
    elif mod.kind == "extend_heat_network":
        path = scenario.resolve(a.file)
        new = read_layer(path, sch.HEAT_NETWORK, crs=d.crs, layer=a.layer, near=district_extent(d))
        new = new.copy()
        new["planned"] = True
        net = d.heat_network.copy()
        if "planned" not in net.columns or len(net) == 0:
            net["planned"] = False
        net["planned"] = net["planned"].fillna(False).astype(bool)
        new["planned"] = new["planned"].astype(bool)
        d = d.replace(heat_network=_concat(net, new))
        log += (f"extend_heat_network: {new.length.sum():,.0f} m",)
    elif mod.kind == "add_chargers":
        if a.file is not None:
            path = scenario.resolve(a.file)
            new = read_layer(path, sch.CHARGING_POINTS, crs=d.crs, layer=a.layer, near=district_extent(d))
            _check_new_ids(d.charging_points["charger_id"], new["charger_id"], f"{path}: layer charging_points",
                           "charger_id")
        else:
            from twin.mobility import estimate_mobility, place_chargers

            from twin.country import district_country

            mp = mobility_params(scenario, country=district_country(d)[0])
            streets = d.streets if len(d.streets) else None
            est = estimate_mobility(_with_floor_area(b), d.charging_points, params=mp, streets=streets)
            if a.area is not None:
                inside = est.geometry.representative_point().within(
                    _read_area(scenario.resolve(a.area), d.crs, district_extent(d)))
                est = est.loc[inside.to_numpy()].reset_index(drop=True)
            new = place_chargers(est, d.charging_points, target_coverage=a.target_coverage,
                                 walk_distance_m=mp.walk_distance_m, kw=a.kw, connectors=a.connectors,
                                 max_new=a.max_new, streets=streets)
            new["charger_id"] = [f"{scenario.name}-{len(d.charging_points)}-{c}" for c in new["charger_id"]]
        d = d.replace(charging_points=_concat(d.charging_points, new))
        log += (f"add_chargers: {len(new)}",)
    elif mod.kind == "remove_chargers":
        _unknown_ids(d.charging_points["charger_id"], a.ids, label, "remove_chargers.ids", "charging point")
        keep = ~d.charging_points["charger_id"].astype(str).isin(a.ids)
        d = d.replace(charging_points=d.charging_points.loc[keep].reset_index(drop=True))
        log += (f"remove_chargers: {int((~keep).sum())}",)
    elif mod.kind == "add_basins":
        path = scenario.resolve(a.file)
        new = read_layer(path, sch.BASINS, crs=d.crs, layer=a.layer, near=district_extent(d))
        _check_new_ids(d.basins["basin_id"], new["basin_id"], f"{path}: layer basins", "basin_id")
        d = d.replace(basins=_concat(d.basins, new))
        log += (f"add_basins: {len(new)}",)
    else:  # pragma: no cover - the scenario schema rejects unknown kinds
        msg = f"unknown modification {mod.kind}"
        raise ValueError(msg)
    return Applied(d, applied.connect_within_m, applied.connect_min_heat_kwh_yr, log)


def _with_floor_area(b: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from twin.energy import EnergyParams, floor_area

    p = EnergyParams(year=2025)  # only the floor-area factors are used
    out = b.copy()
    out["floor_area_m2"] = floor_area(b, storey_height_m=p.storey_height_m,
                                      gross_to_heated_factor=p.gross_to_heated_factor)
    return out


def mobility_params(scenario: Scenario, year: int | None = None, *, country: str = "NO"):  # noqa: ANN201
    """Mobility parameters of a scenario (the country's defaults where the scenario is silent)."""
    from twin.mobility import MobilityParams

    p = scenario.parameters
    kw: dict = {"country": country}
    for key in ("ev_share", "mode_shares", "walk_distance_m", "car_ownership_factor"):
        v = getattr(p, key)
        if v is not None:
            kw[key] = v
    return MobilityParams(**kw)


def apply_scenario(district: District, scenario: Scenario,
                   modifications: tuple[Modification, ...] | None = None) -> Applied:
    """Apply a scenario's modifications in order."""
    applied = Applied(district)
    for mod in scenario.modifications if modifications is None else modifications:
        applied = apply_modification(applied, mod, scenario)
    return applied
