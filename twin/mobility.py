"""Per-building mobility: residents, jobs, car traffic, EV charging and charger coverage.

The chain, per building (all parameters in ``twin/params/mobility_*.csv`` and
``twin/params/charging.csv``, each row with its source):

1. **Residents** — the ``residents`` column where given; else ``dwellings`` ×
   persons per dwelling (by use; SSB); else, for residential uses, floor area /
   m² per resident (by use). Non-residential buildings without dwellings have
   0 residents.
2. **Jobs** — the ``jobs`` column where given; else floor area / m² per job
   (by use) for non-residential uses and nursing homes; 0 for dwellings and
   unheated structures.
3. **Car traffic** (``car_km_yr``, car-driver km, i.e. vehicle-km):

   - residents: ``residents × share aged 13+ × trips/person/day × car-driver
     share × car_ownership_factor × car-driver trip length × 365`` — all their
     trips, wherever they go, including their own commute;
   - in-commuters: ``jobs × (1 − f_int) × 2 trips × working days × car-driver
     share × car_ownership_factor × commute trip length``, where ``f_int =
     min(1, employed residents of the district × internal_work_share / jobs of
     the district)`` is the share of the district's jobs held by its own
     residents. Those commutes are already counted at the residents' homes,
     so they are not counted again at the workplace (no double counting
     inside the district).

   ``car_ownership_factor`` (parking norms) scales car-driver trips of both
   groups, as parking norms apply to homes and workplaces.
4. **Fleet** — ``ev_kwh_yr = car_km_yr × ev_share × kWh/km``;
   ``co2_transport_kg_yr`` = tailpipe CO2 of the remaining km by the
   petrol/diesel split.
5. **Charging** — ``ev_kwh_yr`` split into ``charging_kwh_yr_home/work/public``
   (shares sum to 1, attributed to the building that generates the km);
   ``dist_charger_m`` to the nearest **public** charge point, straight line or
   along ``streets`` (:mod:`twin.charging`).

Coverage: :func:`charger_coverage_share`; needed charge points:
:func:`chargers_needed`; the 250 m demand/capacity grid:
:func:`charging_gap_grid`; new sites: :func:`place_chargers`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin._errors import InputError, Problem, input_error
from twin.charging import (
    _public_mask,
    nearest_distance_network,
    nearest_distance_straight,
    place_chargers,
)
from twin.schema import RESIDENTIAL_USES, USES

__all__ = [
    "MODES",
    "MobilityParams",
    "estimate_mobility",
    "charger_coverage_share",
    "chargers_needed",
    "charging_gap_grid",
    "place_chargers",
    "mobility_summary",
    "parameter_table",
]

#: Travel modes of the mode-share vector.
MODES: tuple[str, ...] = ("car_driver", "car_passenger", "public_transport", "bicycle", "walking")

_PARAMS_DIR = Path(__file__).with_name("params")
_TABLES = ("mobility_persons", "mobility_travel", "mobility_vehicles", "charging")
_SHARE_TOL = 1e-6


@lru_cache(maxsize=None)
def parameter_table(name: str) -> pd.DataFrame:
    """One mobility parameter table (``parameter, key, value, unit, source, note``).

    Parameters
    ----------
    name : str
        Table name without ``.csv``: one of ``mobility_persons``,
        ``mobility_travel``, ``mobility_vehicles``, ``charging``.

    Returns
    -------
    DataFrame
        The table (cached; do not modify).
    """
    if name not in _TABLES:
        msg = f"unknown mobility parameter table {name!r}; expected one of {_TABLES}"
        raise ValueError(msg)
    path = _PARAMS_DIR / f"{name}.csv"
    table = pd.read_csv(path, dtype={"parameter": str, "key": str, "value": float})
    missing = table["source"].isna() | (table["source"].astype(str).str.strip() == "")
    if missing.any():
        msg = f"{path}: rows without a source: {list(table.index[missing])}"
        raise ValueError(msg)
    return table


def _country_rows(t: pd.DataFrame, country: str) -> pd.DataFrame:
    """Rows of a table for a country: its own, else the shared (``all``), else Norway's (the fallback)."""
    if "country" not in t.columns:
        return t
    for c in (country, "all", "NO"):
        hit = t[t["country"] == c]
        if len(hit):
            return hit
    return t.iloc[:0]


def travel_row(parameter: str, key: str = "all", *, country: str = "NO") -> pd.Series:
    """The ``mobility_travel.csv`` row of a parameter for a country.

    A country without its own row uses Norway's (listed as a fallback in
    ``country_defaults.csv``, which warns).
    """
    t = parameter_table("mobility_travel")
    hit = _country_rows(t[(t["parameter"] == parameter) & (t["key"] == key)], country)
    if len(hit) != 1:
        msg = f"twin/params/mobility_travel.csv: expected one row {parameter}/{key}/{country}, found {len(hit)}"
        raise ValueError(msg)
    return hit.iloc[0]


def travel_countries(parameter: str) -> set[str]:
    """Countries with their own ``mobility_travel.csv`` rows of a parameter."""
    t = parameter_table("mobility_travel")
    return set(t.loc[t["parameter"] == parameter, "country"].astype(str)) - {"all"}


def _value(table: str, parameter: str, key: str = "all", country: str = "NO") -> float:
    if table == "mobility_travel":
        return float(travel_row(parameter, key, country=country)["value"])
    t = parameter_table(table)
    hit = t[(t["parameter"] == parameter) & (t["key"] == key)]
    if len(hit) != 1:
        msg = f"twin/params/{table}.csv: expected one row {parameter}/{key}, found {len(hit)}"
        raise ValueError(msg)
    return float(hit["value"].iloc[0])


def _by_key(table: str, parameter: str, country: str = "NO") -> dict[str, float]:
    t = parameter_table(table)
    hit = _country_rows(t[t["parameter"] == parameter], country)
    return dict(zip(hit["key"].astype(str), hit["value"].astype(float), strict=True))


def _default_mode_shares(country: str = "NO") -> dict[str, float]:
    """Default mode shares of a country's travel survey, car split by the driver share.

    Norway: Bærum's RVU 2018/19 shares; Finland: HLT 2021; Denmark and Sweden:
    Norway's (``mobility_travel.csv``; ``twin.country`` warns).
    """
    raw = _by_key("mobility_travel", "mode_share_raw", country)
    driver = _value("mobility_travel", "driver_share_of_car_trips", country=country)
    shares = {
        "car_driver": raw["car"] * driver,
        "car_passenger": raw["car"] * (1.0 - driver),
        "public_transport": raw["public_transport"],
        "bicycle": raw["bicycle"],
        "walking": raw["walking"],
    }
    total = sum(shares.values())
    return {k: v / total for k, v in shares.items()}


@dataclass(frozen=True)
class MobilityParams:
    """Scenario parameters of the mobility estimate.

    Defaults come from the parameter tables in ``twin/params/`` (see each
    table's ``source`` column); build with keyword arguments to override.

    Parameters
    ----------
    ev_share : float
        Share of car-km driven electric, 0-1 (``mobility_vehicles.csv``:
        ``ev_share``).
    mode_shares : dict of str to float or None
        Trip mode shares with keys ``car_driver, car_passenger,
        public_transport, bicycle, walking`` summing to 1; None = the defaults
        (the country's travel survey, ``mobility_travel.csv``: Bærum RVU
        2018/19 for Norway, HLT 2021 for Finland, Norway's elsewhere,
        including Denmark, whose TU key figures give no mode shares).
    walk_distance_m : float
        Walking distance to a public charge point that counts as covered (300 m).
    car_ownership_factor : float
        Effect of parking norms: multiplies car-driver trips (1.0 = baseline).
    year : int
        Scenario year (a label for reports; the parameters do not change with it).
    ev_kwh_per_km : float
        EV energy use at the plug (``ev_kwh_per_km``).
    charging_share_home, charging_share_work, charging_share_public : float
        Split of EV charging energy (``charging.csv``); must sum to 1.
    public_charger_kw : float
        Power of a public charge point used for "charge points needed".
    public_usable_hours_day : float
        Hours per day a public charge point can deliver energy.
    work_charger_kw, work_usable_hours_day : float
        The same for workplace charge points.
    home_charger_kw, home_usable_hours_day : float
        The same for home charge points.
    country : str
        ISO code (NO, SE, DK, FI) selecting the travel-survey rows of
        ``mobility_travel.csv``; parameters without a row for the country
        use Norway's (``twin.country`` warns).
    """

    ev_share: float = field(default_factory=lambda: _value("mobility_vehicles", "ev_share"))
    mode_shares: dict[str, float] | None = None
    walk_distance_m: float = 300.0
    car_ownership_factor: float = 1.0
    year: int = 2025
    ev_kwh_per_km: float = field(default_factory=lambda: _value("mobility_vehicles", "ev_kwh_per_km"))
    charging_share_home: float = field(
        default_factory=lambda: _value("charging", "charging_share", "home"))
    charging_share_work: float = field(
        default_factory=lambda: _value("charging", "charging_share", "work"))
    charging_share_public: float = field(
        default_factory=lambda: _value("charging", "charging_share", "public"))
    public_charger_kw: float = field(default_factory=lambda: _value("charging", "charger_kw", "public"))
    public_usable_hours_day: float = field(
        default_factory=lambda: _value("charging", "usable_hours_day", "public"))
    work_charger_kw: float = field(default_factory=lambda: _value("charging", "charger_kw", "work"))
    work_usable_hours_day: float = field(
        default_factory=lambda: _value("charging", "usable_hours_day", "work"))
    home_charger_kw: float = field(default_factory=lambda: _value("charging", "charger_kw", "home"))
    home_usable_hours_day: float = field(
        default_factory=lambda: _value("charging", "usable_hours_day", "home"))
    country: str = "NO"

    def __post_init__(self) -> None:
        where = "mobility parameters"
        problems: list[Problem] = []
        if self.country not in ("NO", "SE", "DK", "FI"):
            problems.append(Problem(where, f"unknown country {self.country!r}",
                                    "use one of NO, SE, DK, FI", column="country"))
        if not 0.0 <= self.ev_share <= 1.0:
            problems.append(Problem(where, f"ev_share {self.ev_share} is outside 0-1",
                                    "give the share of car-km driven electric, 0-1",
                                    column="ev_share"))
        if not self.walk_distance_m > 0:
            problems.append(Problem(where, f"walk_distance_m {self.walk_distance_m} is not positive",
                                    "give a distance in metres > 0", column="walk_distance_m"))
        if not self.car_ownership_factor >= 0:
            problems.append(Problem(where, f"car_ownership_factor {self.car_ownership_factor} is negative",
                                    "give a factor >= 0 (1.0 = baseline)",
                                    column="car_ownership_factor"))
        for name in ("ev_kwh_per_km", "public_charger_kw", "public_usable_hours_day",
                     "work_charger_kw", "work_usable_hours_day", "home_charger_kw",
                     "home_usable_hours_day"):
            if not getattr(self, name) > 0:
                problems.append(Problem(where, f"{name} {getattr(self, name)} is not positive",
                                        "give a value > 0", column=name))
        split = (self.charging_share_home, self.charging_share_work, self.charging_share_public)
        if min(split) < 0 or abs(sum(split) - 1.0) > _SHARE_TOL:
            problems.append(Problem(where, f"charging shares home/work/public {split} do not sum to 1",
                                    "give non-negative shares that sum to 1",
                                    column="charging_share_*"))
        if self.mode_shares is not None:
            ms = self.mode_shares
            keys = set(ms)
            if keys != set(MODES):
                problems.append(Problem(
                    where, f"mode_shares keys {sorted(keys)} are not {list(MODES)}",
                    f"give exactly the keys {', '.join(MODES)}", column="mode_shares"))
            else:
                vals = [float(ms[k]) for k in MODES]
                if min(vals) < 0 or not all(math.isfinite(v) for v in vals):
                    problems.append(Problem(where, f"mode_shares has negative or non-finite values {ms}",
                                            "give shares between 0 and 1", column="mode_shares"))
                elif abs(sum(vals) - 1.0) > _SHARE_TOL:
                    problems.append(Problem(where, f"mode_shares sum to {sum(vals):.6g}, not 1",
                                            "make the five shares sum to 1", column="mode_shares"))
        if problems:
            raise InputError(problems)

    @property
    def effective_mode_shares(self) -> dict[str, float]:
        """The mode shares in use (the override or the defaults)."""
        if self.mode_shares is None:
            return _default_mode_shares(self.country)
        return {k: float(self.mode_shares[k]) for k in MODES}

    def as_dict(self) -> dict[str, Any]:
        """All parameters, with the mode shares in use."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["mode_shares"] = self.effective_mode_shares
        return out


# --------------------------------------------------------------------------- validation
def _check_layer(gdf: object, where: str, required: tuple[str, ...]) -> list[Problem]:
    problems: list[Problem] = []
    if not isinstance(gdf, gpd.GeoDataFrame):
        return [Problem(where, f"should be a GeoDataFrame, got {type(gdf).__name__}",
                        "pass a geopandas.GeoDataFrame")]
    if gdf.crs is None:
        problems.append(Problem(where, "has no CRS", "set one with `gdf.set_crs(...)`"))
    elif not gdf.crs.is_projected:
        problems.append(Problem(where, f"CRS {gdf.crs.to_string()} is not metric",
                                "reproject with `gdf.to_crs(25833)` or another metric CRS"))
    for col in required:
        if col not in gdf.columns:
            problems.append(Problem(where, "column is missing", f"add `{col}`", column=col))
    return problems


def _bad_rows(df: pd.DataFrame, mask: np.ndarray, where: str, column: str, what: str,
              fix: str) -> list[Problem]:
    ids = df["building_id"] if "building_id" in df.columns else pd.Series(df.index, index=df.index)
    return [Problem(where, what, fix, row=str(r), column=column) for r in ids[mask].tolist()]


def _validate(buildings: gpd.GeoDataFrame, charging_points: gpd.GeoDataFrame,
              streets: gpd.GeoDataFrame | None) -> None:
    problems = _check_layer(buildings, "buildings", ("use", "floor_area_m2"))
    problems += _check_layer(charging_points, "charging_points", ("kw", "connectors"))
    if streets is not None:
        problems += _check_layer(streets, "streets", ())
    if problems:
        raise InputError(problems)
    if buildings.crs != charging_points.crs:
        problems.append(Problem("charging_points", f"CRS {charging_points.crs} differs from the "
                                f"buildings' {buildings.crs}", "use `to_crs()` to match"))
    if streets is not None and streets.crs != buildings.crs:
        problems.append(Problem("streets", f"CRS {streets.crs} differs from the buildings' "
                                f"{buildings.crs}", "use `to_crs()` to match"))
    use = buildings["use"].astype(object)
    bad_use = ~use.isin(USES).to_numpy()
    problems += _bad_rows(buildings, bad_use, "buildings", "use", "unknown use",
                          f"use one of {', '.join(USES)}")
    for col in ("floor_area_m2", "dwellings", "residents", "jobs"):
        if col not in buildings.columns:
            continue
        vals = pd.to_numeric(buildings[col], errors="coerce").to_numpy(float)
        raw_null = buildings[col].isna().to_numpy()
        bad = (~raw_null & ~np.isfinite(vals)) | (np.nan_to_num(vals, nan=0.0) < 0)
        problems += _bad_rows(buildings, bad, "buildings", col, "is negative or not a number",
                              "give a number >= 0 or leave it empty")
    for col in ("kw", "connectors"):
        vals = pd.to_numeric(charging_points[col], errors="coerce").to_numpy(float)
        bad = ~(np.isfinite(vals) & (vals > 0))
        ids = charging_points["charger_id"] if "charger_id" in charging_points.columns else \
            pd.Series(charging_points.index, index=charging_points.index)
        problems += [Problem("charging_points", "is missing or not positive", "give a number > 0",
                             row=str(r), column=col) for r in ids[bad].tolist()]
    if problems:
        raise InputError(problems)


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(float)


# --------------------------------------------------------------------------- persons
def _residents_jobs(buildings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    use = buildings["use"].astype(object).to_numpy()
    area = _num(buildings, "floor_area_m2")
    dwell = _num(buildings, "dwellings")
    res_data = _num(buildings, "residents")
    jobs_data = _num(buildings, "jobs")

    pph = _by_key("mobility_persons", "persons_per_dwelling")
    m2_res = _by_key("mobility_persons", "m2_per_resident")
    m2_job = _by_key("mobility_persons", "m2_per_job")
    pph_b = np.array([pph.get(u, pph["default"]) for u in use])
    m2r_b = np.array([m2_res.get(u, np.nan) for u in use])
    m2j_b = np.array([m2_job.get(u, np.nan) for u in use])

    from_area_res = np.where(np.isin(use, RESIDENTIAL_USES) & np.isfinite(m2r_b),
                             area / np.where(np.isfinite(m2r_b), m2r_b, 1.0), 0.0)
    residents = np.where(np.isfinite(res_data), res_data,
                         np.where(np.isfinite(dwell), dwell * pph_b, from_area_res))
    from_area_jobs = np.where(np.isfinite(m2j_b), area / np.where(np.isfinite(m2j_b), m2j_b, 1.0), 0.0)
    jobs = np.where(np.isfinite(jobs_data), jobs_data, from_area_jobs)
    missing = ~np.isfinite(residents) | ~np.isfinite(jobs)
    if missing.any():
        raise InputError(_bad_rows(buildings, missing, "buildings", "floor_area_m2",
                                   "is empty and residents/jobs are not given",
                                   "give floor_area_m2 (or residents and jobs)"))
    return residents, jobs


# --------------------------------------------------------------------------- travel
def _travel(residents: np.ndarray, jobs: np.ndarray, params: MobilityParams
            ) -> tuple[np.ndarray, np.ndarray]:
    """Car-driver km per year of residents and of in-commuters, per building."""
    shares = params.effective_mode_shares
    driver = shares["car_driver"] * params.car_ownership_factor
    c = params.country
    days = _value("mobility_travel", "days_per_year", country=c)
    per_resident = (_value("mobility_persons", "share_age_13plus")
                    * _value("mobility_travel", "trips_per_person_day", country=c)
                    * driver * _value("mobility_travel", "car_driver_trip_km", country=c) * days)
    total_jobs = float(jobs.sum())
    employed = float(residents.sum()) * _value("mobility_persons", "employed_per_resident")
    internal = _value("mobility_persons", "internal_work_share")
    f_int = min(1.0, employed * internal / total_jobs) if total_jobs > 0 else 0.0
    per_job = ((1.0 - f_int) * _value("mobility_travel", "commute_trips_per_workday", country=c)
               * _value("mobility_travel", "working_days_yr", country=c) * driver
               * _value("mobility_travel", "commute_trip_km", country=c))
    return residents * per_resident, jobs * per_job


def _co2_per_fossil_km() -> float:
    diesel = _value("mobility_vehicles", "diesel_share_of_fossil_km")
    return (diesel * _value("mobility_vehicles", "diesel_l_per_km")
            * _value("mobility_vehicles", "diesel_kg_co2_per_l")
            + (1.0 - diesel) * _value("mobility_vehicles", "petrol_l_per_km")
            * _value("mobility_vehicles", "petrol_kg_co2_per_l"))


def estimate_mobility(buildings: gpd.GeoDataFrame, charging_points: gpd.GeoDataFrame, *,
                      params: MobilityParams,
                      streets: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Per-building residents, jobs, car traffic, EV energy, CO2 and distance to a charger.

    Parameters
    ----------
    buildings : GeoDataFrame
        Buildings with ``use`` and ``floor_area_m2``; optional ``dwellings``,
        ``residents``, ``jobs`` (non-null values are used as given). Metric CRS.
    charging_points : GeoDataFrame
        Charge points with ``kw``, ``connectors`` and ``public`` (missing
        ``public``: all public). Only public points count for
        ``dist_charger_m``. Same CRS.
    params : MobilityParams
        Scenario parameters.
    streets : GeoDataFrame or None
        Street lines; when given, ``dist_charger_m`` is measured along them
        (see :func:`twin.charging.nearest_distance_network`), else in a
        straight line from the footprint.

    Returns
    -------
    GeoDataFrame
        A copy of ``buildings`` with ``residents``, ``jobs``, ``car_km_yr``
        (residents' and in-commuters' car-driver km; see the module docstring
        for the rule against double counting), ``car_km_resident_yr``,
        ``car_km_commuter_yr``, ``ev_kwh_yr``, ``co2_transport_kg_yr``
        (tailpipe), ``charging_kwh_yr_home``, ``charging_kwh_yr_work``,
        ``charging_kwh_yr_public`` (summing to ``ev_kwh_yr``) and
        ``dist_charger_m`` (NaN when no public charge point is reachable).

    Raises
    ------
    InputError
        Bad layers (type, CRS, unknown use, negative numbers, missing columns).
    """
    _validate(buildings, charging_points, streets)
    out = buildings.copy()
    residents, jobs = _residents_jobs(out)
    km_res, km_com = _travel(residents, jobs, params)
    car_km = km_res + km_com
    ev_kwh = car_km * params.ev_share * params.ev_kwh_per_km
    co2 = car_km * (1.0 - params.ev_share) * _co2_per_fossil_km()
    out["residents"] = residents
    out["jobs"] = jobs
    out["car_km_resident_yr"] = km_res
    out["car_km_commuter_yr"] = km_com
    out["car_km_yr"] = car_km
    out["ev_kwh_yr"] = ev_kwh
    out["co2_transport_kg_yr"] = co2
    out["charging_kwh_yr_home"] = ev_kwh * params.charging_share_home
    out["charging_kwh_yr_work"] = ev_kwh * params.charging_share_work
    out["charging_kwh_yr_public"] = ev_kwh * params.charging_share_public
    public = charging_points[_public_mask(charging_points)] if len(charging_points) else charging_points
    if streets is not None and len(streets) and len(public):
        dist = nearest_distance_network(out.geometry, public.geometry, streets)
    else:
        dist = nearest_distance_straight(out.geometry, public.geometry)
    out["dist_charger_m"] = dist
    return out


# --------------------------------------------------------------------------- charging
def charger_coverage_share(buildings: pd.DataFrame, walk_distance_m: float) -> float:
    """Share of residents within walking distance of a public charge point.

    Parameters
    ----------
    buildings : DataFrame
        With ``residents`` and ``dist_charger_m`` (from :func:`estimate_mobility`;
        NaN distance = no reachable charge point = not covered).
    walk_distance_m : float
        Walking distance in metres (inclusive).

    Returns
    -------
    float
        Covered residents / all residents. A district without residents
        returns 1.0: nobody lacks access, and the indicator stays a number
        (``indicators.json`` has no NaN).
    """
    for col in ("residents", "dist_charger_m"):
        if col not in buildings.columns:
            raise input_error("buildings", "column is missing",
                              "run twin.mobility.estimate_mobility first", column=col)
    res = pd.to_numeric(buildings["residents"], errors="coerce").fillna(0.0).to_numpy(float)
    dist = pd.to_numeric(buildings["dist_charger_m"], errors="coerce").to_numpy(float)
    total = float(res.sum())
    if total <= 0:
        return 1.0
    covered = np.nan_to_num(dist, nan=np.inf) <= walk_distance_m
    return float(res[covered].sum() / total)


def _ensure_estimated(buildings: gpd.GeoDataFrame, charging_points: gpd.GeoDataFrame,
                      params: MobilityParams) -> gpd.GeoDataFrame:
    need = ("residents", "jobs", "car_km_yr", "ev_kwh_yr", "co2_transport_kg_yr",
            "charging_kwh_yr_public", "dist_charger_m")
    if all(c in buildings.columns for c in need):
        return buildings
    return estimate_mobility(buildings, charging_points, params=params)


def chargers_needed(buildings: pd.DataFrame, *, params: MobilityParams) -> dict[str, float]:
    """Charge points that the district's charging demand needs.

    ``points = ceil(energy per day / (power × usable hours per day))`` for
    public, workplace and home charging (power and hours from
    ``charging.csv`` via ``params``).

    Parameters
    ----------
    buildings : DataFrame
        With ``charging_kwh_yr_home``, ``charging_kwh_yr_work``,
        ``charging_kwh_yr_public`` (from :func:`estimate_mobility`).
    params : MobilityParams
        Charger power and usable hours.

    Returns
    -------
    dict
        ``{home,work,public}_kwh_day`` and ``{home,work,public}_points_needed``.
    """
    days = _value("mobility_travel", "days_per_year")
    out: dict[str, float] = {}
    for kind in ("home", "work", "public"):
        col = f"charging_kwh_yr_{kind}"
        if col not in buildings.columns:
            raise input_error("buildings", "column is missing",
                              "run twin.mobility.estimate_mobility first", column=col)
        kwh_day = float(pd.to_numeric(buildings[col], errors="coerce").fillna(0.0).sum()) / days
        per_point = getattr(params, f"{kind}_charger_kw") * getattr(params, f"{kind}_usable_hours_day")
        out[f"{kind}_kwh_day"] = kwh_day
        out[f"{kind}_points_needed"] = int(math.ceil(kwh_day / per_point - 1e-9))
    return out


def charging_gap_grid(buildings: gpd.GeoDataFrame, charging_points: gpd.GeoDataFrame, *,
                      params: MobilityParams, cell_m: float = 250.0) -> gpd.GeoDataFrame:
    """Public-charging demand vs capacity on a square grid.

    Cells are aligned to multiples of ``cell_m`` in the layer CRS (like SSB's
    250 m grid in EPSG:25833). A building's public-charging demand goes to the
    cell holding its centroid; a public charge point's capacity is ``kw ×
    connectors × public_usable_hours_day``.

    Parameters
    ----------
    buildings : GeoDataFrame
        Buildings (estimated by :func:`estimate_mobility` when the columns are
        missing).
    charging_points : GeoDataFrame
        Charge points (only public ones count).
    params : MobilityParams
        Usable hours per day of public charge points.
    cell_m : float
        Cell size in metres.

    Returns
    -------
    GeoDataFrame
        Cells with demand or capacity: ``cell_id`` (``"{x0}_{y0}"`` lower-left
        corner), ``demand_kwh_day``, ``capacity_kwh_day``, ``gap_kwh_day``
        (demand − capacity; > 0 = shortfall), square polygons; same CRS.
    """
    if not cell_m > 0:
        raise input_error("charging_gap_grid", f"cell_m {cell_m} is not positive",
                          "give a cell size in metres > 0", column="cell_m")
    b = _ensure_estimated(buildings, charging_points, params)
    days = _value("mobility_travel", "days_per_year")
    demand = pd.to_numeric(b["charging_kwh_yr_public"], errors="coerce").fillna(0.0).to_numpy(float) / days
    bxy = shapely.get_coordinates(shapely.centroid(np.asarray(b.geometry.values, dtype=object)))
    pub = charging_points[_public_mask(charging_points)] if len(charging_points) else charging_points
    pxy = shapely.get_coordinates(np.asarray(pub.geometry.values, dtype=object)).reshape(-1, 2)
    cap = (_num(pub, "kw") * _num(pub, "connectors") * params.public_usable_hours_day
           if len(pub) else np.zeros(0))
    ij = np.floor(np.vstack([bxy, pxy]) / cell_m).astype(np.int64)
    vals_d = np.concatenate([demand, np.zeros(len(pxy))])
    vals_c = np.concatenate([np.zeros(len(bxy)), np.nan_to_num(cap)])
    if ij.shape[0] == 0:
        cells, inv = np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    else:
        cells, inv = np.unique(ij, axis=0, return_inverse=True)
        inv = inv.ravel()
    d = np.bincount(inv, weights=vals_d, minlength=len(cells))
    c = np.bincount(inv, weights=vals_c, minlength=len(cells))
    keep = (d > 0) | (c > 0)
    cells, d, c = cells[keep], d[keep], c[keep]
    x0 = cells[:, 0] * cell_m
    y0 = cells[:, 1] * cell_m
    geom = shapely.box(x0, y0, x0 + cell_m, y0 + cell_m)
    return gpd.GeoDataFrame(
        {"cell_id": [f"{int(x)}_{int(y)}" for x, y in zip(x0, y0, strict=True)],
         "demand_kwh_day": d, "capacity_kwh_day": c, "gap_kwh_day": d - c},
        geometry=gpd.GeoSeries(geom, crs=buildings.crs), crs=buildings.crs)


def mobility_summary(buildings: gpd.GeoDataFrame, charging_points: gpd.GeoDataFrame, *,
                     params: MobilityParams) -> dict[str, float]:
    """District totals of the mobility estimate, for ``indicators.json``.

    Parameters
    ----------
    buildings : GeoDataFrame
        Buildings (estimated by :func:`estimate_mobility` when the columns are
        missing; pass the estimated layer to keep network distances).
    charging_points : GeoDataFrame
        Charge points.
    params : MobilityParams
        Scenario parameters.

    Returns
    -------
    dict
        ``residents, jobs, car_km_yr, car_km_per_resident_yr,
        ev_charging_mwh_yr, co2_transport_t_yr, charger_coverage_share,
        public_charging_kwh_day, public_chargers_needed, public_chargers_present``
        (connectors of public charge points), ``public_charger_deficit``.
    """
    b = _ensure_estimated(buildings, charging_points, params)
    residents = float(b["residents"].sum())
    car_km = float(b["car_km_yr"].sum())
    need = chargers_needed(b, params=params)
    pub = charging_points[_public_mask(charging_points)] if len(charging_points) else charging_points
    present = int(np.nansum(_num(pub, "connectors"))) if len(pub) else 0
    return {
        "residents": residents,
        "jobs": float(b["jobs"].sum()),
        "car_km_yr": car_km,
        "car_km_per_resident_yr": car_km / residents if residents > 0 else 0.0,
        "ev_charging_mwh_yr": float(b["ev_kwh_yr"].sum()) / 1000.0,
        "co2_transport_t_yr": float(b["co2_transport_kg_yr"].sum()) / 1000.0,
        "charger_coverage_share": charger_coverage_share(b, params.walk_distance_m),
        "public_charging_kwh_day": need["public_kwh_day"],
        "public_chargers_needed": need["public_points_needed"],
        "public_chargers_present": present,
        "public_charger_deficit": max(0, need["public_points_needed"] - present),
    }
