"""Ranges instead of false precision: Latin hypercube propagation of uncertain parameters.

Every uncertain parameter has a ``low`` and ``high`` value (and the source of
that range, ``range_source``) in its parameter table; the table's own value is
the central estimate. Each parameter is drawn from a triangular distribution
(low, central, high), so the point results of ``twin run`` stay the central
estimate and the draws show how far they could move.

The model is linear in every one of these parameters once the buildings,
their heating systems and the trips are fixed, so a draw does not re-run the
model: the per-building results are summed once into a few components
(delivered energy per carrier of homes and of workplaces, residents' and
in-commuters' car-km) and every draw recombines those sums with its
parameter values. All draws are one numpy expression, vectorised across
draws.

Parameters (table: row):

=====================  ==========================================  =====================================
name                   table / row                                 acts on
=====================  ==========================================  =====================================
need_factor            need_range.csv: need_factor                 every building's need (all carriers)
electricity_g_kwh      emission_factors.csv: the set's row         building and EV charging electricity
dh_g_kwh               dh_defaults.csv: the default DH factor      district heat of segments without
                                                                   their own ``co2_g_kwh``
trips_per_person_day   mobility_travel.csv                         residents' car-km
car_driver_trip_km     mobility_travel.csv                         residents' car-km
commute_trip_km        mobility_travel.csv                         in-commuters' car-km
ev_share               mobility_vehicles.csv (±offset)             electric share of car-km
ev_kwh_per_km          mobility_vehicles.csv                       EV charging electricity
fuel_l_per_km          mobility_vehicles.csv (petrol and diesel)   tailpipe CO2 (one draw scales both)
=====================  ==========================================  =====================================

Outputs: ``ranges`` (p10, p50, p90 per headline indicator), per target
``probability_met`` (share of draws meeting it, the same rule as the point
value) and a sensitivity table of Spearman rank correlations between each
parameter and each indicator.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PARAMS = Path(__file__).parent / "params"

#: Default number of draws of ``twin run`` (``--draws``).
DEFAULT_DRAWS = 200
#: Seed of the Latin hypercube (results are reproducible run to run).
SEED = 20261130

#: Indicators given a range.
RANGE_INDICATORS: tuple[str, ...] = (
    "energy_mwh_yr", "electricity_mwh_yr", "co2_buildings_t_yr", "co2_ev_charging_t_yr", "co2_transport_t_yr",
    "co2_total_t_yr", "co2_direct_t_yr", "co2_per_resident_kg_yr", "co2_workplace_per_job_kg_yr",
    "car_km_yr", "ev_charging_mwh_yr",
)


@dataclass(frozen=True)
class Parameter:
    """One uncertain parameter: central value, range and where they come from."""

    name: str
    central: float
    low: float
    high: float
    source: str

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Triangular(low, central, high) quantiles of uniform draws ``u``."""
        a, c, b = self.low, self.central, self.high
        if not b > a:
            return np.full_like(u, c)
        fc = (c - a) / (b - a)
        return np.where(u < fc, a + np.sqrt(u * (b - a) * (c - a)),
                        b - np.sqrt((1 - u) * (b - a) * (b - c)))


def _row(table: str, **key: str) -> pd.Series:
    t = pd.read_csv(PARAMS / table, dtype=str, keep_default_na=False)
    m = np.ones(len(t), bool)
    for c, v in key.items():
        m &= (t[c] == v).to_numpy()
    if m.sum() != 1:
        msg = f"twin/params/{table}: expected one row {key}, found {int(m.sum())}"
        raise ValueError(msg)
    return t[m].iloc[0]


def _param(name: str, table: str, central: float | None = None, **key: str) -> Parameter:
    r = _row(table, **key)
    c = float(r["value"]) if central is None else float(central)
    return Parameter(name, c, float(r["low"]), float(r["high"]), f"{table}: {r['range_source']}")


def parameters(*, emission_set: str, electricity_g_kwh: float, dh_g_kwh: float,
               ev_share: float, ev_kwh_per_km: float, country: str = "NO",
               dh_emission_set: str = "no_national_mix") -> list[Parameter]:
    """The uncertain parameters of one evaluation, centred on the values the run used.

    Ranges are relative to the table's central value and moved to the value
    used (a scenario's own ``ev_share``, the year's electricity factor, ...).
    """
    out = [_param("need_factor", "need_range.csv", parameter="need_factor")]
    ef = pd.read_csv(PARAMS / "emission_factors.csv", dtype=str, keep_default_na=False)
    rows = ef[(ef["emission_set"] == emission_set) & (ef["low"] != "")]
    if len(rows):
        r = rows.iloc[-1]
        k = electricity_g_kwh / float(r["g_co2e_kwh"])
        out.append(Parameter("electricity_g_kwh", electricity_g_kwh, float(r["low"]) * k, float(r["high"]) * k,
                             f"emission_factors.csv: {r['range_source']}"))
    if dh_g_kwh > 0:  # the default factor (segments with their own co2_g_kwh keep theirs, components())
        r = _row("dh_defaults.csv", parameter=f"dh_co2_g_kwh_{dh_emission_set}")
        if r["low"] == "":  # a choice without a range (zero_at_building): the national mix's relative range
            r = _row("dh_defaults.csv", parameter="dh_co2_g_kwh_no_national_mix")
        k = dh_g_kwh / float(r["value"])
        out.append(Parameter("dh_g_kwh", dh_g_kwh, float(r["low"]) * k, float(r["high"]) * k,
                             f"dh_defaults.csv: {r['range_source']}"))
    from twin.mobility import travel_row

    for name in ("trips_per_person_day", "car_driver_trip_km", "commute_trip_km"):
        r = travel_row(name, country=country)
        out.append(Parameter(name, float(r["value"]), float(r["low"]), float(r["high"]),
                             f"mobility_travel.csv ({r['country']}): {r['range_source']}"))
    r = _row("mobility_vehicles.csv", parameter="ev_share", key="all")
    out.append(Parameter("ev_share", ev_share, max(0.0, ev_share + float(r["low"])),
                         min(1.0, ev_share + float(r["high"])), f"mobility_vehicles.csv: {r['range_source']}"))
    p = _param("ev_kwh_per_km", "mobility_vehicles.csv", parameter="ev_kwh_per_km", key="all")
    k = ev_kwh_per_km / p.central
    out.append(Parameter("ev_kwh_per_km", ev_kwh_per_km, p.low * k, p.high * k, p.source))
    pet = _param("petrol", "mobility_vehicles.csv", parameter="petrol_l_per_km", key="all")
    out.append(Parameter("fuel_l_per_km", 1.0, pet.low / pet.central, pet.high / pet.central,
                         pet.source + " (one factor scales petrol and diesel use per km)"))
    return out


def latin_hypercube(n: int, d: int, *, seed: int = SEED) -> np.ndarray:
    """``n`` × ``d`` Latin hypercube sample on [0, 1) (one stratum per draw and parameter)."""
    rng = np.random.default_rng(seed)
    u = (np.argsort(rng.random((n, d)), axis=0) + rng.random((n, d))) / n
    return u


def components(buildings: pd.DataFrame, factors: dict[str, float]) -> dict[str, float]:
    """Sums of the per-building results that the draws recombine.

    Keys: ``<group>_<carrier>_kwh`` delivered energy of homes / workplaces per
    carrier; ``<group>_dh_default_kwh`` the district heat charged at the
    default factor; ``<group>_dh_fixed_kg`` CO2 of district heat at network
    factors; ``km_res`` and ``km_com`` car-km of residents and in-commuters
    (each split by group of the building they are attributed to);
    ``residents``, ``jobs``.
    """
    from twin.indicators import homes, resident_travel_share

    b = buildings
    home = homes(b)

    def col(c: str) -> np.ndarray:
        return (pd.to_numeric(b[c], errors="coerce").fillna(0.0).to_numpy(float) if c in b
                else np.zeros(len(b)))

    out: dict[str, float] = {"residents": float(col("residents").sum()), "jobs": float(col("jobs").sum())}
    dh = col("delivered_district_heat_kwh_yr")
    dh_f = col("dh_co2_g_kwh")
    default = np.isclose(dh_f, factors["district_heat"])
    km = col("car_km_yr")
    km_res = km * resident_travel_share(b)
    km_com = km - km_res
    for g, m in (("home", home), ("work", ~home)):
        for c in ("electricity", "oil", "gas", "bio"):
            out[f"{g}_{c}_kwh"] = float(col(f"delivered_{c}_kwh_yr")[m].sum())
        out[f"{g}_dh_default_kwh"] = float(dh[m & default].sum())
        out[f"{g}_dh_fixed_kg"] = float((dh * dh_f / 1000.0)[m & ~default].sum())
        out[f"{g}_dh_kwh"] = float(dh[m].sum())
        out[f"{g}_km_res"] = float(km_res[m].sum())
        out[f"{g}_km_com"] = float(km_com[m].sum())
    return out


def draws(comp: dict[str, float], params: list[Parameter], *, n: int, factors: dict[str, float],
          co2_per_fossil_km: float, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indicator values of ``n`` Latin-hypercube draws.

    Returns
    -------
    samples : DataFrame
        One row per draw, one column per parameter.
    values : DataFrame
        One row per draw, one column per indicator of :data:`RANGE_INDICATORS`.
    """
    u = latin_hypercube(n, len(params), seed=seed)
    s = pd.DataFrame({p.name: p.sample(u[:, j]) for j, p in enumerate(params)})
    central = {p.name: p.central for p in params}

    def v(name: str, default: float = 1.0) -> np.ndarray:
        """Draws of a parameter; a parameter without a range stays at ``default``."""
        return s[name].to_numpy() if name in s else np.full(n, default)

    def scale(name: str) -> np.ndarray:
        """Draws relative to the central value (1 without a range)."""
        return v(name) / central[name] if name in s else np.ones(n)

    need = v("need_factor")
    el = v("electricity_g_kwh", factors["electricity"])
    dhf = v("dh_g_kwh", factors["district_heat"])
    res_scale = scale("trips_per_person_day") * scale("car_driver_trip_km")
    com_scale = scale("commute_trip_km")
    ev = v("ev_share")
    kwh_km = v("ev_kwh_per_km")
    fuel = v("fuel_l_per_km")
    out: dict[str, np.ndarray] = {k: np.zeros(n) for k in RANGE_INDICATORS}
    group_co2 = {}
    group_travel = {}
    for g in ("home", "work"):
        e_el = comp[f"{g}_electricity_kwh"] * need
        co2 = (e_el * el + comp[f"{g}_oil_kwh"] * need * factors["oil"] + comp[f"{g}_gas_kwh"] * need * factors["gas"]
               + comp[f"{g}_bio_kwh"] * need * factors.get("bio", 0.0)
               + comp[f"{g}_dh_default_kwh"] * need * dhf + comp[f"{g}_dh_fixed_kg"] * 1000.0 * need) / 1e6
        fossil_bld = (comp[f"{g}_oil_kwh"] * factors["oil"] + comp[f"{g}_gas_kwh"] * factors["gas"]) * need / 1e6
        energy = need * (comp[f"{g}_electricity_kwh"] + comp[f"{g}_oil_kwh"] + comp[f"{g}_gas_kwh"]
                         + comp[f"{g}_bio_kwh"] + comp[f"{g}_dh_kwh"]) / 1000.0
        km_r = comp[f"{g}_km_res"] * res_scale
        km_c = comp[f"{g}_km_com"] * com_scale
        km = km_r + km_c
        ev_kwh = km * ev * kwh_km
        tail_r = km_r * (1 - ev) * co2_per_fossil_km * fuel / 1000.0
        tail_c = km_c * (1 - ev) * co2_per_fossil_km * fuel / 1000.0
        ev_co2_r = km_r * ev * kwh_km * el / 1e6
        ev_co2_c = km_c * ev * kwh_km * el / 1e6
        out["energy_mwh_yr"] += energy
        out["electricity_mwh_yr"] += e_el / 1000.0
        out["co2_buildings_t_yr"] += co2
        out["co2_ev_charging_t_yr"] += ev_co2_r + ev_co2_c
        out["co2_transport_t_yr"] += tail_r + tail_c
        out["co2_direct_t_yr"] += fossil_bld + tail_r + tail_c
        out["car_km_yr"] += km
        out["ev_charging_mwh_yr"] += ev_kwh / 1000.0
        group_co2[g] = co2
        group_travel[g] = (tail_r + ev_co2_r, tail_c + ev_co2_c)
    out["co2_total_t_yr"] = out["co2_buildings_t_yr"] + out["co2_ev_charging_t_yr"] + out["co2_transport_t_yr"]
    res_travel = group_travel["home"][0] + group_travel["work"][0]
    com_travel = group_travel["home"][1] + group_travel["work"][1]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["co2_per_resident_kg_yr"] = (group_co2["home"] + res_travel) * 1000.0 / comp["residents"] \
            if comp["residents"] > 0 else np.full(n, np.nan)
        out["co2_workplace_per_job_kg_yr"] = (group_co2["work"] + com_travel) * 1000.0 / comp["jobs"] \
            if comp["jobs"] > 0 else np.full(n, np.nan)
    return s, pd.DataFrame(out)


def ranges(values: pd.DataFrame) -> dict[str, dict[str, float]]:
    """``{indicator: {p10, p50, p90}}`` of the draws."""
    q = values.quantile([0.1, 0.5, 0.9])
    return {k: {"p10": float(q.loc[0.1, k]), "p50": float(q.loc[0.5, k]), "p90": float(q.loc[0.9, k])}
            for k in values.columns if np.isfinite(values[k]).any()}


def sensitivity(samples: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Spearman rank correlation of each parameter (rows) with each indicator (columns).

    Parameters that do not vary get 0; indicators that do not vary get NaN.
    """
    rs = samples.rank().to_numpy()
    rv = values.rank().to_numpy()
    rs = rs - rs.mean(axis=0)
    rv = rv - rv.mean(axis=0)
    num = rs.T @ rv
    den = np.sqrt((rs ** 2).sum(axis=0))[:, None] * np.sqrt((rv ** 2).sum(axis=0))[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(den > 0, num / den, np.nan)
    rho[(rs ** 2).sum(axis=0) == 0, :] = 0.0
    return pd.DataFrame(rho, index=samples.columns, columns=values.columns)


def probability_met(target: dict[str, Any], values: pd.DataFrame,
                    reference: pd.DataFrame | None = None) -> float | None:
    """Share of draws in which an evaluated target is met (None when the indicator has no draws).

    ``reference`` holds the draws of the scenario a ``reduction`` or
    ``not_above`` target refers to, drawn from the same Latin hypercube
    (common random numbers): draw *i* of the scenario is compared with draw
    *i* of the reference. Without it the reference is its central value.
    """
    from twin.indicators import target_met

    ind = target["indicator"]
    if ind not in values or target.get("status") not in ("met", "missed"):
        return None
    v = values[ind].to_numpy()
    paired = reference is not None and ind in reference and len(reference) == len(v)
    if target["kind"] == "reduction":
        ref = reference[ind].to_numpy() if paired else np.full_like(v, float(target["reference"]))
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(ref != 0, 1 - v / ref, np.nan)
        return float(np.mean(target_met("reduction", v, float(target["threshold"]))))
    if target["kind"] == "not_above" and paired:
        ref = reference[ind].to_numpy()
        return float(np.mean(v <= ref * (1 + 1e-9) + 1e-9))
    return float(np.mean(target_met(target["kind"], v, float(target["threshold"]))))


def summarise(sens: pd.DataFrame, *, top: int = 3) -> dict[str, dict[str, float]]:
    """The ``top`` parameters by absolute rank correlation, per indicator."""
    out = {}
    for ind in sens.columns:
        col = sens[ind].dropna()
        col = col.reindex(col.abs().sort_values(ascending=False).index)[:top]
        out[ind] = {k: round(float(v), 3) for k, v in col.items()}
    return out
