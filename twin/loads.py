"""Hourly loads: per-building annual energy spread over a weather year, peaks and grid headroom.

Every building's annual delivered energy per carrier (the columns of
:func:`twin.energy.estimate_buildings` and :func:`twin.mobility.estimate_mobility`)
is spread over the hours of a weather year with an *archetype shape*, a
profile that sums to 1 over the year. Shapes are shared by all buildings of
one building category × building-code period × heating system, so a district
of 100,000 buildings needs a few hundred shapes, never a dense
hours × buildings matrix: hourly district and grid-area loads are
``(area × building) @ (building × shape) @ (shape × hour)``; the first two
factors are sparse (:mod:`scipy.sparse`), their product is a small dense
area × shape weight matrix multiplied onto the shapes in blocks of areas.

Shapes
------
* **Space heating** (heat delivered into the building): heating degree-hours
  ``max(0, H·(T_i − T_e) − g − S)`` per m², i.e. degree-hours above the
  archetype's heating-limit (balance-point) temperature ``T_b = T_i − g / H``
  lowered further by the sun (degree-day method, ASHRAE Handbook —
  Fundamentals, ch. 19): ``g`` is the archetype's internal gain from lighting
  and appliances (its NVE EBM need per m², all ending as heat), ``S`` the
  solar gain through the windows (global radiation × an aperture per m² of
  floor), ``T_i`` the NS 3031 set-point, ``T_e`` the outdoor temperature
  smoothed by the building's time constant ``C/H`` (EN ISO 13790) and ``H``
  (W/m²·K) the heat-loss coefficient that makes the year's sum equal the
  archetype's space-heating need. Better insulated periods (small ``H``) stop
  heating at lower outdoor temperatures.
* **Heat pumps**: the compressor covers the heat load up to a capacity sized
  so that it delivers the heating system's ``base_coverage`` of the annual
  heat (``heating_systems.csv``, NVE EBM); above it (outdoor temperature
  below the bivalence point) the electric back-up heater takes the rest. The
  compressor's electricity is heat / COP(T), with the when2heat COP as a
  quadratic in the temperature lift (``heat_pump_cop.csv``).
* **Hot water and electricity** by the FASIT hourly load coefficients per
  customer category (SINTEF Energi), ``P = A·T + B`` evaluated at the
  temperature cap of 20 °C (the load without space heating), high-load or
  low-load season by the day's mean temperature, working day or weekend and
  Norwegian public holiday.
* **EV charging**: at home by the week profile of 6,878 real Trondheim
  sessions charged at full power from plug-in; at work by the FASIT office
  shape (at buildings in proportion to jobs); public by the FASIT retail
  shape (at public charging points). ``ev_smart_charging`` (0–1) moves that
  share of home charging in 16–07 h into the hours of the same window where
  the grid area's load is lowest (valley filling), so no day's peak rises
  and each day's energy stays.

The annual sum of each building's hourly values equals its annual columns
(scaled exactly), so ``hourly.csv`` agrees with ``buildings.gpkg``.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from twin._errors import InputError, Problem

PARAMS_DIR = Path(__file__).parent / "params"

#: Carriers of the hourly output (delivered energy; EV charging is electricity).
CARRIERS: tuple[str, ...] = ("electricity", "district_heat", "oil", "gas", "bio")
_CARRIER_COLUMN = {c: f"delivered_{c}_kwh_yr" for c in CARRIERS}
#: Heat-pump heating systems: (heat source, heat sink curve) in ``heat_pump_cop.csv``.
HEAT_PUMPS: dict[str, tuple[str, str]] = {
    "hp_air_water": ("air", "radiator"),
    "hp_ground": ("ground", "radiator"),
    "hp_air_air": ("air", "floor"),
}
_NEED = ("need_space_heating_kwh_yr", "need_hot_water_kwh_yr", "need_lighting_kwh_yr",
         "need_appliances_kwh_yr", "need_fans_pumps_kwh_yr", "need_cooling_kwh_yr")


def _scalars(name: str) -> dict[str, float]:
    t = pd.read_csv(PARAMS_DIR / name)
    return dict(zip(t["parameter"], t["value"].astype(float)))


_P = _scalars("hourly.csv")


@dataclass(frozen=True, kw_only=True)
class HourlyParams:
    """Parameters of the hourly model (defaults from ``twin/params/hourly.csv``).

    Parameters
    ----------
    ev_smart_charging : float
        Share (0–1) of home EV charging in the smart-charging window that is
        moved to the window's hours of lowest load.
    indoor_temperature_c : float
        Heating set-point for the balance-point temperature (NS 3031).
    heating_threshold_daily_mean_c : float
        Days with a mean temperature below it use FASIT's high-load season.
    fasit_temperature_cap_c : float
        Temperature at which FASIT's ``A·T + B`` gives the load without heating.
    smart_window_start_hour, smart_window_end_hour : int
        The smart-charging window (from start hour to end hour, over midnight).
    solar_aperture : float
        Solar gain per m² of floor per W/m² of global horizontal irradiance
        (window share × g-value × glazed share × façade/horizontal ratio × shading).
    internal_heat_capacity_j_m2k : float
        Building heat capacity per m² (EN ISO 13790 class "medium"); with the
        heat-loss coefficient it gives the time constant over which the
        heating load follows the outdoor temperature.
    """

    ev_smart_charging: float = 0.0
    indoor_temperature_c: float = _P["indoor_temperature_c"]
    heating_threshold_daily_mean_c: float = _P["heating_threshold_daily_mean_c"]
    fasit_temperature_cap_c: float = _P["fasit_temperature_cap_c"]
    smart_window_start_hour: int = int(_P["smart_window_start_hour"])
    smart_window_end_hour: int = int(_P["smart_window_end_hour"])
    internal_heat_capacity_j_m2k: float = _P["internal_heat_capacity_j_m2k"]
    solar_aperture: float = (_P["window_floor_ratio"] * _P["glazing_g_value"] * _P["frame_factor"]
                             * _P["facade_to_horizontal_irradiance"] * _P["solar_shading_factor"])

    def __post_init__(self) -> None:
        problems = []
        if not 0.0 <= float(self.ev_smart_charging) <= 1.0:
            problems.append(Problem("HourlyParams", f"ev_smart_charging {self.ev_smart_charging!r} is not in 0…1",
                                    "give a share between 0 and 1", column="ev_smart_charging"))
        for name in ("smart_window_start_hour", "smart_window_end_hour"):
            if not 0 <= int(getattr(self, name)) <= 23:
                problems.append(Problem("HourlyParams", f"{name} must be an hour 0…23",
                                        "give an hour of the day", column=name))
        if problems:
            raise InputError(problems)


# --------------------------------------------------------------------------- calendar
def norwegian_holidays(year: int) -> set[_dt.date]:
    """Public holidays in Norway (helligdagsloven; 1 and 17 May by law of 1947).

    Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    """
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * l_) // 433
    month = (h + l_ - 7 * m + 90) // 25
    day = (h + l_ - 7 * m + 33 * month + 19) % 32
    easter = _dt.date(year, month, day)
    offsets = (-3, -2, 0, 1, 39, 49, 50)  # Maundy Thu, Good Fri, Easter, Easter Mon, Ascension, Whitsun
    return {easter + _dt.timedelta(days=o) for o in offsets} | {
        _dt.date(year, 1, 1), _dt.date(year, 5, 1), _dt.date(year, 5, 17),
        _dt.date(year, 12, 25), _dt.date(year, 12, 26)}


@dataclass(frozen=True)
class Calendar:
    """Hour-of-day, day type and season per hour of a (part of a) year."""

    hour: np.ndarray        # 0…23
    weekday: np.ndarray     # 0 = Monday
    day_off: np.ndarray     # Saturday, Sunday or public holiday
    high_season: np.ndarray  # FASIT high-load season (day colder than the heating threshold)
    day: np.ndarray         # day number from 0


def calendar(time: pd.DatetimeIndex, temperature_c: np.ndarray, *, threshold_c: float) -> Calendar:
    """The :class:`Calendar` of hourly times with their temperatures."""
    time = pd.DatetimeIndex(time)
    dates = time.normalize()
    day = ((dates - dates[0]) // pd.Timedelta(days=1)).to_numpy().astype(np.int64)
    daily_mean = np.bincount(day, weights=temperature_c) / np.maximum(np.bincount(day), 1)
    hol: set[_dt.date] = set()
    for y in np.unique(time.year):
        hol |= norwegian_holidays(int(y))
    is_hol = np.isin(dates.date, list(hol)) if hol else np.zeros(len(time), bool)
    weekday = time.day_of_week.to_numpy()
    return Calendar(hour=time.hour.to_numpy(), weekday=weekday, day_off=(weekday >= 5) | is_hol,
                    high_season=daily_mean[day] < threshold_c, day=day)


# --------------------------------------------------------------------------- parameter tables
@functools.lru_cache(maxsize=1)
def _fasit() -> dict[tuple[str, str, str, str], np.ndarray]:
    t = pd.read_csv(PARAMS_DIR / "load_profiles_fasit.csv")
    hours = [f"h{h:02d}" for h in range(24)]
    return {(r.category, r.season, r.day, r.coefficient): t.loc[k, hours].to_numpy(float)
            for k, r in t.iterrows()}


@functools.lru_cache(maxsize=1)
def _cop_params() -> dict[tuple[str, str], float]:
    t = pd.read_csv(PARAMS_DIR / "heat_pump_cop.csv")
    return {(r, k): float(v) for r, k, v in zip(t["parameter"], t["key"], t["value"])}


def cop(temperature_c: np.ndarray, *, source: str, sink: str, ground_c: float) -> np.ndarray:
    """Heat-pump COP at outdoor temperatures (when2heat, Ruhnau et al. 2019).

    ``COP = 0.85 · (c0 + c1·ΔT + c2·ΔT²)`` with ``ΔT`` = sink − source
    temperature; sink by the heating curve (radiator ``40 − T``, floor
    ``30 − 0.5·T``), source the outdoor air or, for ground source, ``ground_c``.
    """
    p = _cop_params()
    t = np.asarray(temperature_c, float)
    t_sink = p[("sink_intercept_c", sink)] + p[("sink_slope", sink)] * t
    t_src = t if source == "air" else np.full_like(t, ground_c)
    dt = np.maximum(t_sink - t_src, 0.0)
    raw = p[("cop_c0", source)] + p[("cop_c1", source)] * dt + p[("cop_c2", source)] * dt ** 2
    return np.maximum(p[("correction", "all")] * raw, 1.0)


def _ev_week() -> np.ndarray:
    t = pd.read_csv(PARAMS_DIR / "ev_home_charging_profile.csv").sort_values(["weekday", "hour"])
    return t["share"].to_numpy(float).reshape(7, 24)


def _categories() -> tuple[dict[str, str], dict[str, str]]:
    uc = pd.read_csv(PARAMS_DIR / "use_categories.csv")
    use_cat = dict(zip(uc["use"], uc["building_category"].where(uc["heated"].astype(bool), "")))
    fc = pd.read_csv(PARAMS_DIR / "load_profile_categories.csv")
    return {k: ("" if pd.isna(v) else v) for k, v in use_cat.items()}, dict(zip(fc["building_category"],
                                                                                fc["fasit_category"]))


# --------------------------------------------------------------------------- archetype shapes
def smoothed_temperature(temperature_c: np.ndarray, tau_h: np.ndarray) -> np.ndarray:
    """Outdoor temperature seen through the building's thermal mass.

    A first-order low-pass (exponential smoothing) with time constant ``tau_h``
    hours per row, the response of a single-capacity building (EN ISO 13790's
    5R1C model without gains): ``T_e[t] = T_e[t-1] + (T[t] − T_e[t-1])·(1 − e^(−1/τ))``.
    The year is run twice so that the first January hours start warm.

    Returns
    -------
    numpy.ndarray
        ``(len(tau_h), hours)``.
    """
    from scipy.signal import lfilter

    t = np.asarray(temperature_c, float)
    out = np.empty((len(tau_h), len(t)))
    twice = np.concatenate([t, t])
    for i, tau in enumerate(np.asarray(tau_h, float)):
        a = 1.0 - np.exp(-1.0 / max(tau, 1e-6))
        y = lfilter([a], [1.0, -(1.0 - a)], twice, zi=[(1.0 - a) * t[0]])[0]
        out[i] = y[len(t):]
    return out


def heat_loss_coefficient(q_kwh_m2: np.ndarray, gain_w_m2: np.ndarray, temperature_c: np.ndarray,
                          solar_w_m2: np.ndarray | None = None, *, indoor_c: float) -> np.ndarray:
    """Heat-loss coefficient ``H`` (W/m²·K) per archetype from its annual space-heating need.

    Solves ``1000·q = Σ_t max(0, H·(T_i − T_t) − g − S_t)`` for ``H`` by Newton's
    method from above (the sum is convex and increasing in ``H``, so the
    iteration is monotone and ends exactly on a linear piece). ``g`` is the
    internal gain (W/m²), ``S_t`` the solar gain (W/m²) per hour.

    Parameters
    ----------
    q_kwh_m2 : numpy.ndarray
        ``(archetypes,)`` space-heating need per m² and year.
    gain_w_m2 : numpy.ndarray
        ``(archetypes,)`` internal gains.
    temperature_c : numpy.ndarray
        ``(hours,)`` or ``(archetypes, hours)`` outdoor temperature the building follows.
    solar_w_m2 : numpy.ndarray, optional
        ``(hours,)`` or ``(archetypes, hours)`` solar gains.
    indoor_c : float
        Heating set-point.
    """
    q = np.asarray(q_kwh_m2, float) * 1000.0
    g = np.asarray(gain_w_m2, float)[:, None]
    a = indoor_c - np.atleast_2d(np.asarray(temperature_c, float))
    bsum = g + (0.0 if solar_w_m2 is None else np.atleast_2d(np.asarray(solar_w_m2, float)))
    pos = np.where(a > 0, a, 0.0)
    h = (q + np.sum(np.where(a > 0, bsum, 0.0), axis=1)) / np.maximum(pos.sum(axis=1), 1e-12)
    for _ in range(100):
        active = h[:, None] * a - bsum > 0
        f = np.sum(np.where(active, h[:, None] * a - bsum, 0.0), axis=1)
        df = np.sum(np.where(active, a, 0.0), axis=1)
        step = np.divide(f - q, df, out=np.zeros_like(f), where=df > 0)
        h = h - step
        if np.all(np.abs(step) <= 1e-12 * np.maximum(h, 1e-12)):
            break
    return np.where(q > 0, h, np.nan)


def balance_point(q_kwh_m2: np.ndarray, gain_kwh_m2: np.ndarray, temperature_c: np.ndarray, *,
                  indoor_c: float) -> tuple[np.ndarray, np.ndarray]:
    """Heating-limit (balance-point) temperature and heat-loss coefficient, without sun.

    ``T_b = T_i − g / H`` with ``H`` from :func:`heat_loss_coefficient` and
    ``g`` the annual internal gain (kWh/m²) spread evenly over the hours.

    Returns
    -------
    t_b, h : numpy.ndarray
        °C (NaN where ``q`` is 0) and W/m²·K.
    """
    n_h = np.atleast_2d(temperature_c).shape[1]
    g = np.asarray(gain_kwh_m2, float) * 1000.0 / n_h
    h = heat_loss_coefficient(q_kwh_m2, g, temperature_c, indoor_c=indoor_c)
    return indoor_c - g / h, h


def _capacity_share(q: np.ndarray, coverage: float) -> float:
    """Capacity ``c`` (share of annual heat per hour) with ``Σ min(q, c) = coverage · Σ q``."""
    if coverage >= 1.0 or q.sum() <= 0:
        return float(q.max()) if q.size else 0.0
    s = np.sort(q)[::-1]  # descending
    excess = np.cumsum(s) - np.arange(1, len(s) + 1) * s  # Σ max(q - s_k, 0) for c = s_k
    target = (1.0 - coverage) * q.sum()
    k = int(np.searchsorted(excess, target))  # excess is non-decreasing
    if k == 0:
        return float(s[0])
    # between s[k] and s[k-1]: excess(c) = sum(s[:k]) - k*c
    return float((np.sum(s[:k]) - target) / k)


@dataclass
class _Shapes:
    """Archetype shapes: unnormalised raw values for any hours, normalised over the year."""

    keys: list[str]
    index: dict[str, int]
    z: np.ndarray            # annual sums of the raw shapes (normalisers)
    values: np.ndarray       # (n_shapes, n_hours) annual shapes, rows sum to 1 (or 0)
    info: dict[tuple[str, ...], dict[str, float]] = field(default_factory=dict)


class _ShapeMaker:
    """Raw shape values of archetype keys for given hours and temperatures."""

    def __init__(self, arche: pd.DataFrame, params: HourlyParams, annual_t: np.ndarray,
                 heat_annual: np.ndarray) -> None:
        self.arche = arche  # index (cat, code): t_b, h_w_m2k, gain_w_m2
        self.row = {k: i for i, k in enumerate(arche.index)}
        self.tb = dict(zip(arche.index, arche["t_b"].astype(float)))
        self.h = dict(zip(arche.index, arche["h_w_m2k"].astype(float)))
        self.g = dict(zip(arche.index, arche["gain_w_m2"].astype(float)))
        self.heat_annual = heat_annual  # (archetypes, hours) space-heating load per m² over the year
        self.params = params
        self.fasit = _fasit()
        self.ev = _ev_week()
        self.ground_c = float(np.mean(annual_t))
        self.annual_t = annual_t
        self.caps: dict[tuple, float] = {}
        self.heat_z: dict[tuple, float] = {}

    def _fasit_shape(self, cat: str, t: np.ndarray, cal: Calendar) -> np.ndarray:
        cap = self.params.fasit_temperature_cap_c
        out = np.empty(len(t))
        for season, hs in (("høylast", cal.high_season), ("lavlast", ~cal.high_season)):
            for day, ds in (("helg", cal.day_off), ("hverdag", ~cal.day_off)):
                m = hs & ds
                if m.any():
                    p = self.fasit[(cat, season, day, "A")] * cap + self.fasit[(cat, season, day, "B")]
                    out[m] = np.maximum(p, 0.0)[cal.hour[m]]
        return out

    def raw(self, key_text: str, t: np.ndarray, cal: Calendar, *, annual: bool = True) -> np.ndarray:
        """Unnormalised shape values; ``annual`` uses the smoothed temperatures of the year,
        else ``t`` as a steady temperature (a design day)."""
        key = tuple(key_text.split("|"))
        kind = key[0]
        if kind == "fasit":
            return self._fasit_shape(key[1], t, cal)
        if kind == "ev_home":
            return self.ev[cal.weekday, cal.hour]
        tb = self.tb[(key[1], key[2])]
        if not np.isfinite(tb):
            return np.zeros(len(t))
        ak = (key[1], key[2])
        if annual:
            heat = self.heat_annual[self.row[ak]]
        else:  # steady state, no sun (design conditions)
            heat = np.maximum(0.0, self.h[ak] * (self.params.indoor_temperature_c - t) - self.g[ak])
        if kind == "heat":
            return heat
        hz = self.heat_z[(key[1], key[2])]
        q = heat / hz if hz > 0 else heat  # share of the annual heat per hour
        c = self.caps[tuple(key[1:])]
        if kind == "hp":
            src, sink = HEAT_PUMPS[key[3]]
            return np.minimum(q, c) / cop(t, source=src, sink=sink, ground_c=self.ground_c)
        if kind == "backup":
            return np.maximum(q - c, 0.0)
        msg = f"unknown shape kind {kind!r}"
        raise ValueError(msg)

    def build(self, keys: list[str], t: np.ndarray, cal: Calendar, coverage: dict[str, float]) -> _Shapes:
        # heat shapes first: HP capacities need the normalised heat shape
        for key_text in keys:
            key = tuple(key_text.split("|"))
            if key[0] in ("hp", "backup"):
                ck = (key[1], key[2])
                heat_text = "|".join(("heat", *ck))
                if ck not in self.heat_z:
                    self.heat_z[ck] = float(self.raw(heat_text, t, cal).sum())
                if key[1:] not in self.caps:
                    q = self.raw(heat_text, t, cal)
                    q = q / self.heat_z[ck] if self.heat_z[ck] > 0 else q
                    self.caps[key[1:]] = _capacity_share(q, coverage.get(key[3], 1.0))
        vals = np.zeros((len(keys), len(t)))
        for i, key in enumerate(keys):
            vals[i] = self.raw(key, t, cal)
        z = vals.sum(axis=1)
        norm = np.where(z > 0, z, 1.0)
        shapes = _Shapes(keys=keys, index={k: i for i, k in enumerate(keys)}, z=norm, values=vals / norm[:, None])
        for key_text in keys:
            key = tuple(key_text.split("|"))
            if key[0] == "hp":
                tb = self.tb[(key[1], key[2])]
                hz = self.heat_z[(key[1], key[2])]
                shapes.info[key[1:]] = {"heating_limit_c": tb,
                                        "bivalence_c": tb - self.caps[key[1:]] * hz if np.isfinite(tb) else np.nan}
        return shapes

    def design(self, shapes: _Shapes, t: np.ndarray, cal: Calendar) -> np.ndarray:
        """Shapes over other hours (e.g. a design day), normalised by the annual sums."""
        vals = np.zeros((len(shapes.keys), len(t)))
        for i, key in enumerate(shapes.keys):
            vals[i] = self.raw(key, t, cal, annual=False)
        return vals / shapes.z[:, None]


# --------------------------------------------------------------------------- smart charging
def valley_fill(base: np.ndarray, flexible: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Place each day's flexible energy in the window hours of lowest load.

    Parameters
    ----------
    base : numpy.ndarray
        ``(m, days, 24)`` load without the flexible part (kW).
    flexible : numpy.ndarray
        ``(m, days)`` flexible energy per day (kWh).
    window : numpy.ndarray
        ``(24,)`` bool, the hours the energy may be placed in.

    Returns
    -------
    numpy.ndarray
        ``(m, days, 24)`` the flexible load placed (kW): water-filling of the
        window's valley, the min-max optimal placement, so the window's
        maximum never exceeds that of any other placement of the same energy.
    """
    b = base[..., window]
    s = np.sort(b, axis=-1)
    k = np.arange(1, s.shape[-1] + 1)
    levels = (flexible[..., None] + np.cumsum(s, axis=-1)) / k
    ok = s <= levels + 1e-12
    kstar = ok.sum(axis=-1)  # a prefix
    level = np.take_along_axis(levels, np.maximum(kstar - 1, 0)[..., None], axis=-1)
    x = np.maximum(level - b, 0.0)
    x = np.where(flexible[..., None] > 0, x, 0.0)
    out = np.zeros_like(base)
    out[..., window] = x
    return out


# --------------------------------------------------------------------------- result
@dataclass
class HourlyLoads:
    """Hourly loads of a district (all in kW, hours of the weather year).

    Attributes
    ----------
    time : pandas.DatetimeIndex
        Start of each hour (local standard time).
    carrier_kw : numpy.ndarray
        ``(hours, carriers)`` district delivered power per carrier (EV
        charging in electricity, smart charging applied).
    ev_kw : numpy.ndarray
        ``(hours,)`` EV charging (smart charging applied).
    area_ids : list of str
        Grid areas (empty without a ``grid_areas`` layer).
    area_kw : numpy.ndarray
        ``(hours, areas)`` electricity per grid area.
    area_capacity_kw : numpy.ndarray
        ``(areas,)`` capacity of each grid area.
    design_kw : numpy.ndarray
        ``(24, carriers)`` district load on a working day at the design
        outdoor temperature.
    building_peak_kw : numpy.ndarray
        Electricity of each building in the district's peak hour (before the
        smart-charging shift, which is a per-area operation).
    dut_c, weather_label, ev_smart_charging
        The design temperature, the weather year's label and the smart share used.
    archetypes : pandas.DataFrame
        Per category × period (× heat-pump system): heating limit ``t_b``,
        heat-loss coefficient, time constant, bivalence temperature.
    """

    time: pd.DatetimeIndex
    carrier_kw: np.ndarray
    ev_kw: np.ndarray
    area_ids: list[str]
    area_kw: np.ndarray
    area_capacity_kw: np.ndarray
    design_kw: np.ndarray
    building_peak_kw: np.ndarray
    dut_c: float
    weather_label: str
    ev_smart_charging: float
    archetypes: pd.DataFrame
    buildings_outside_areas: int = 0
    n_shapes: int = 0

    def peak(self, carrier: str) -> tuple[float, pd.Timestamp]:
        """Peak power (kW) of a carrier and its hour."""
        col = self.carrier_kw[:, CARRIERS.index(carrier)]
        k = int(np.argmax(col))
        return float(col[k]), self.time[k]

    def grid_areas(self) -> dict[str, dict[str, Any]]:
        """Per grid area: ``peak_kw``, ``capacity_kw``, ``headroom_kw``, ``hours_over``, ``peak_hour``."""
        out = {}
        for j, aid in enumerate(self.area_ids):
            col = self.area_kw[:, j]
            k = int(np.argmax(col))
            cap = float(self.area_capacity_kw[j])
            out[aid] = {"peak_kw": float(col[k]), "capacity_kw": cap, "headroom_kw": cap - float(col[k]),
                        "hours_over": int(np.sum(col > cap)), "peak_hour": self.time[k].isoformat()}
        return out

    def indicators(self) -> dict[str, Any]:
        """The hourly indicators of ``indicators.json``."""
        el, el_t = self.peak("electricity")
        dh, dh_t = self.peak("district_heat")
        e = CARRIERS.index("electricity")
        d = CARRIERS.index("district_heat")
        areas = self.grid_areas()
        return {
            "peak_electricity_mw": el / 1000.0,
            "peak_electricity_hour": el_t.isoformat(),
            "peak_district_heat_mw": dh / 1000.0,
            "peak_district_heat_hour": dh_t.isoformat(),
            "design_peak_electricity_mw": float(self.design_kw[:, e].max()) / 1000.0,
            "design_peak_district_heat_mw": float(self.design_kw[:, d].max()) / 1000.0,
            "design_temperature_c": self.dut_c,
            "ev_charging_peak_mw": float(self.ev_kw.max()) / 1000.0,
            "ev_smart_charging": self.ev_smart_charging,
            "grid_areas_over_capacity": int(sum(a["hours_over"] > 0 for a in areas.values())),
            "hourly_weather": self.weather_label,
            "grid_areas": areas,
        }

    def dataset(self, *, scenario: str = "") -> Any:
        """The loads as an :class:`xarray.Dataset` (CF-style units and names)."""
        import xarray as xr

        n = len(self.time)
        ds = xr.Dataset(coords={"time": ("time", self.time.to_numpy()), "carrier": list(CARRIERS),
                                "duration_hour": ("duration_hour", np.arange(1, n + 1))})
        ds["time"].attrs.update(standard_name="time", long_name="start of the hour, local standard time")
        ds["load_kw"] = (("time", "carrier"), self.carrier_kw)
        ds["load_kw"].attrs.update(units="kW", long_name="delivered power per energy carrier (hourly mean)")
        ds["ev_charging_kw"] = ("time", self.ev_kw)
        ds["ev_charging_kw"].attrs.update(units="kW", long_name="EV charging power (part of electricity)")
        ds["load_duration_kw"] = (("duration_hour", "carrier"), -np.sort(-self.carrier_kw, axis=0))
        ds["load_duration_kw"].attrs.update(units="kW", long_name="load-duration curve (hours sorted by load)")
        ds["design_day_kw"] = (("design_hour", "carrier"), self.design_kw)
        ds["design_day_kw"].attrs.update(units="kW", long_name=f"working day at the design outdoor "
                                                               f"temperature {self.dut_c:g} degC")
        ds = ds.assign_coords(design_hour=np.arange(24))
        if self.area_ids:
            ds = ds.assign_coords(grid_area=list(self.area_ids))
            ds["grid_area_electricity_kw"] = (("time", "grid_area"), self.area_kw)
            ds["grid_area_electricity_kw"].attrs.update(units="kW", long_name="electricity per grid area")
            ds["grid_area_capacity_kw"] = ("grid_area", self.area_capacity_kw)
            ds["grid_area_capacity_kw"].attrs.update(units="kW")
        ds.attrs.update(title=f"twin hourly loads: {scenario}", Conventions="CF-1.8",
                        weather=self.weather_label, ev_smart_charging=self.ev_smart_charging,
                        design_temperature_c=self.dut_c)
        return ds

    def table(self) -> pd.DataFrame:
        """District totals per hour (``hourly.csv``)."""
        df = pd.DataFrame(self.carrier_kw, columns=[f"{c}_kw" for c in CARRIERS])
        df.insert(0, "time", self.time.strftime("%Y-%m-%dT%H:%M"))
        df["ev_charging_kw"] = self.ev_kw
        return df


# --------------------------------------------------------------------------- the model
def _require(buildings: pd.DataFrame) -> None:
    need = ("use", "heating", "building_code", "floor_area_m2", *_NEED, *_CARRIER_COLUMN.values())
    missing = [c for c in need if c not in buildings.columns]
    if missing:
        msg = (f"hourly_loads needs the per-building energy columns; missing {', '.join(missing)} "
               f"(run twin.energy.estimate_buildings first)")
        raise ValueError(msg)


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.zeros(len(df))
    return pd.to_numeric(df[col], errors="coerce").fillna(0.0).to_numpy(float)


def _area_membership(buildings: gpd.GeoDataFrame, grid_areas: gpd.GeoDataFrame | None,
                     points: gpd.GeoDataFrame | None) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Area index per building and per point (-1 outside), area ids and capacities."""
    n = len(buildings)
    if grid_areas is None or not len(grid_areas):
        return [], np.full(n, -1), np.full(0 if points is None else len(points), -1), np.zeros(0)
    ids = grid_areas["area_id"].astype(str).tolist()
    cap = pd.to_numeric(grid_areas["capacity_kw"], errors="coerce").to_numpy(float)
    polys = np.asarray(grid_areas.geometry.array)

    def locate(geoms: np.ndarray) -> np.ndarray:
        import shapely

        out = np.full(len(geoms), -1)
        if not len(geoms):
            return out
        tree = shapely.STRtree(polys)
        pts = shapely.centroid(geoms)  # as everywhere in twin: a building is where its centroid is
        gi, ai = tree.query(pts, predicate="within")
        out[gi[::-1]] = ai[::-1]  # first area wins where areas overlap
        return out

    bi = locate(np.asarray(buildings.geometry.array))
    pi = locate(np.asarray(points.geometry.array)) if points is not None and len(points) else np.zeros(0, int)
    return ids, bi, pi, cap


def hourly_loads(buildings: gpd.GeoDataFrame, weather: Any, *, params: HourlyParams | None = None,
                 charging_points: gpd.GeoDataFrame | None = None,
                 grid_areas: gpd.GeoDataFrame | None = None) -> HourlyLoads:
    """Hourly delivered power per carrier, per grid area, peaks and the design day.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Per-building results with the energy columns of
        :func:`twin.energy.estimate_buildings` and, optionally, the charging
        columns of :func:`twin.mobility.estimate_mobility`
        (``charging_kwh_yr_home/work/public``) and ``jobs``.
    weather : twin.weather.Weather
        The weather year.
    params : HourlyParams, optional
        Parameters (defaults: no smart charging).
    charging_points : GeoDataFrame, optional
        Charging points; public charging is placed at the public ones (by kW).
    grid_areas : GeoDataFrame, optional
        Grid areas (``area_id``, ``capacity_kw``) for per-area loads.

    Returns
    -------
    HourlyLoads
    """
    params = params or HourlyParams()
    _require(buildings)
    b = buildings
    n = len(b)
    t = np.asarray(weather.temperature_c, float)
    cal = calendar(weather.time, t, threshold_c=params.heating_threshold_daily_mean_c)
    use_cat, cat_fasit = _categories()
    cat = b["use"].astype(str).map(use_cat).fillna("").to_numpy(dtype=object)
    code = b["building_code"].astype(str).to_numpy(dtype=object)
    heating = b["heating"].astype(str).to_numpy(dtype=object)
    area = _num(b, "floor_area_m2")
    need = {c: _num(b, c) for c in _NEED}

    # archetypes (category × period): balance point from the buildings' own EBM need per m²
    heated = (cat != "") & (area > 0)
    ak = pd.DataFrame({"cat": cat[heated], "code": code[heated], "area": area[heated],
                       "q": need["need_space_heating_kwh_yr"][heated],
                       "g": need["need_lighting_kwh_yr"][heated] + need["need_appliances_kwh_yr"][heated]})
    arche = ak.groupby(["cat", "code"])[["area", "q", "g"]].sum()
    heat_annual = np.zeros((len(arche), len(t)))
    if len(arche):
        q_m2 = (arche["q"] / arche["area"]).to_numpy()
        g_w = (arche["g"] / arche["area"]).to_numpy() * 1000.0 / len(t)
        ghi = np.zeros(len(t)) if weather.ghi_w_m2 is None else np.asarray(weather.ghi_w_m2, float)
        solar = params.solar_aperture * ghi
        hcoef = heat_loss_coefficient(q_m2, g_w, t, solar, indoor_c=params.indoor_temperature_c)
        for _ in range(2):  # time constant from H, H from the smoothed drivers
            tau = params.internal_heat_capacity_j_m2k / (np.nan_to_num(hcoef, nan=1.0) * 3600.0)
            t_eff, s_eff = smoothed_temperature(t, tau), smoothed_temperature(solar, tau)
            hcoef = heat_loss_coefficient(q_m2, g_w, t_eff, s_eff, indoor_c=params.indoor_temperature_c)
        h2 = np.nan_to_num(hcoef, nan=0.0)[:, None]
        heat_annual = np.maximum(0.0, h2 * (params.indoor_temperature_c - t_eff) - g_w[:, None] - s_eff)
        arche["t_b"] = params.indoor_temperature_c - g_w / hcoef
        arche["h_w_m2k"], arche["tau_h"], arche["gain_w_m2"] = hcoef, tau, g_w
    else:
        arche["t_b"], arche["h_w_m2k"], arche["tau_h"], arche["gain_w_m2"] = [], [], [], []

    hs = pd.read_csv(PARAMS_DIR / "heating_systems.csv").set_index("heating")
    coverage = {h: float(hs.loc[h, "base_coverage"]) for h in HEAT_PUMPS}
    hi = hs.reindex(heating)
    fasit_of = np.array([cat_fasit.get(c, "Husholdning") for c in cat], dtype=object)

    # parts: (integer shape key per building, carrier per building, kWh per building);
    # key = kind · K + (category, period) · H + heating, spelled out only for the shapes present
    sh = need["need_space_heating_kwh_yr"]
    is_hp = np.isin(heating, list(HEAT_PUMPS))
    a_id, a_uni = pd.factorize(pd.Series(cat, dtype=object) + "|" + pd.Series(code, dtype=object))
    h_id, h_uni = pd.factorize(pd.Series(heating, dtype=object))
    f_id, f_uni = pd.factorize(pd.Series(fasit_of, dtype=object))
    n_h_ids = max(len(h_uni), 1)
    big = (len(a_uni) + 1) * n_h_ids + len(f_uni) + 1
    kinds = ("heat", "hp", "backup", "fasit")

    def key_text(k: int) -> str:
        kind, rest = divmod(int(k), big)
        if kinds[kind] == "fasit":
            return f"fasit|{f_uni[rest]}"
        a, h = divmod(rest, n_h_ids)
        if kinds[kind] == "heat":
            return f"heat|{a_uni[a]}"
        return f"{kinds[kind]}|{a_uni[a]}|{h_uni[h]}"

    def keys_for(kind: int) -> np.ndarray:
        return np.where(is_hp, kind * big + a_id * n_h_ids + h_id, a_id * n_h_ids)

    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    base_share = (hi["base_coverage"] / hi["base_efficiency"]).fillna(0.0).to_numpy(float)
    peak_share = (hi["peak_coverage"] / hi["peak_efficiency"]).fillna(0.0).to_numpy(float)
    parts.append((keys_for(1), hi["base_carrier"].fillna("none").to_numpy(dtype=object), sh * base_share))
    parts.append((keys_for(2), hi["peak_carrier"].fillna("none").to_numpy(dtype=object), sh * peak_share))
    fasit_key = 3 * big + f_id
    dhw = need["need_hot_water_kwh_yr"] / hi["dhw_efficiency"].fillna(1.0).to_numpy(float)
    parts.append((fasit_key, hi["dhw_carrier"].fillna("none").to_numpy(dtype=object), dhw))
    other = (need["need_lighting_kwh_yr"] + need["need_appliances_kwh_yr"] + need["need_fans_pumps_kwh_yr"]
             + need["need_cooling_kwh_yr"] / hi["cooling_efficiency"].fillna(1.0).to_numpy(float))
    parts.append((fasit_key, np.full(n, "electricity", dtype=object), other))

    # EV charging: home at the building, work at buildings by jobs, public at public chargers
    home = _num(b, "charging_kwh_yr_home")
    work_total = float(_num(b, "charging_kwh_yr_work").sum())
    public_total = float(_num(b, "charging_kwh_yr_public").sum())
    jobs = _num(b, "jobs")
    work = work_total * jobs / jobs.sum() if jobs.sum() > 0 else _num(b, "charging_kwh_yr_work")

    # shapes present: the three EV shapes, then every key with energy
    present = np.unique(np.concatenate([kk[kwh > 0] for kk, _, kwh in parts] or [np.zeros(0, int)]))
    keys: list[str] = ["ev_home", "fasit|Kontor", "fasit|Varehandel"]
    keys += [x for x in (key_text(k) for k in present) if x not in keys]
    maker = _ShapeMaker(arche, params, t, heat_annual)
    shapes = maker.build(keys, t, cal, coverage)
    n_s = len(keys)
    col_of = shapes.index
    lookup = np.full(4 * big, -1, dtype=np.int64)  # integer key -> shape row
    lookup[present] = [col_of[key_text(k)] for k in present]

    # sparse building × shape matrices per carrier, scaled to the annual columns exactly
    mats: dict[str, sp.csr_matrix] = {}
    for c in CARRIERS:
        rows, cols, data = [], [], []
        for kk, carr, kwh in parts:
            m = (carr == c) & (kwh > 0)
            if m.any():
                rows.append(np.flatnonzero(m))
                cols.append(lookup[kk[m]])
                data.append(kwh[m])
        if rows:
            r, cc, dd = np.concatenate(rows), np.concatenate(cols), np.concatenate(data)
            tot = np.bincount(r, weights=dd, minlength=n)
            target = _num(b, _CARRIER_COLUMN[c])
            scale = np.divide(target, tot, out=np.zeros(n), where=tot > 0)
            mats[c] = sp.csr_matrix((dd * scale[r], (r, cc)), shape=(n, n_s))
        else:
            mats[c] = sp.csr_matrix((n, n_s))

    # groups: grid areas (+ the rest of the district) — the units of smart charging
    ids, b_area, p_area, cap = _area_membership(b, grid_areas, charging_points)
    m_groups = len(ids) + 1
    g = np.where(b_area >= 0, b_area, len(ids))
    member = sp.csr_matrix((np.ones(n), (g, np.arange(n))), shape=(m_groups, n))
    pub = np.zeros(m_groups)
    cp = charging_points
    if public_total > 0:
        if cp is not None and len(cp) and cp["public"].fillna(False).astype(bool).any():
            w = (pd.to_numeric(cp["kw"], errors="coerce").fillna(0) *
                 pd.to_numeric(cp["connectors"], errors="coerce").fillna(1)).to_numpy(float)
            w = np.where(cp["public"].fillna(False).astype(bool).to_numpy(), w, 0.0)
            pg = np.where(p_area >= 0, p_area, len(ids)) if len(p_area) else np.full(len(cp), len(ids))
            pub = np.bincount(pg, weights=w, minlength=m_groups) / w.sum() * public_total
        else:  # no public chargers: where the residents live
            res = _num(b, "residents")
            pub = np.bincount(g, weights=res, minlength=m_groups) / max(res.sum(), 1e-12) * public_total

    k_home, k_work, k_pub = col_of["ev_home"], col_of["fasit|Kontor"], col_of["fasit|Varehandel"]
    w_home = np.asarray(member @ home).ravel()
    w_work = np.asarray(member @ work).ravel()
    # (groups × shapes) weights, dense: a few hundred shape columns; work and public charging
    # use the office and retail shapes, home charging its own column unless it is shifted
    w_el = (member @ mats["electricity"]).toarray()
    w_el[:, k_work] += w_work
    w_el[:, k_pub] += pub
    hrs = np.arange(24)
    win = (hrs >= params.smart_window_start_hour) | (hrs < params.smart_window_end_hour)
    smart = float(params.ev_smart_charging)
    if smart == 0:
        w_el[:, k_home] += w_home
    w_el32 = w_el.astype(np.float32)

    def group_loads(s: np.ndarray, days: int, *, chunk: int = 128) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Electricity per group (float32, incl. EV), the district's electricity and EV charging (float64).

        Groups are computed in blocks (single-precision matrix products: the
        per-area loads carry 7 significant digits, the district totals are
        summed in double precision).
        """
        s32 = s.astype(np.float32)
        el = np.empty((m_groups, s.shape[1]), dtype=np.float32)
        ev = w_work.sum() * s[k_work] + pub.sum() * s[k_pub]
        district = w_el.sum(axis=0) @ s
        if smart == 0:
            ev = ev + w_home.sum() * s[k_home]
        for a in range(0, m_groups, chunk):
            g = slice(a, min(a + chunk, m_groups))
            blk = w_el32[g] @ s32
            if smart > 0:
                n = blk.shape[0]
                hm3 = np.outer(w_home[g], s[k_home]).reshape(n, days, 24)
                flex_kw = np.zeros_like(hm3)
                flex_kw[..., win] = smart * hm3[..., win]
                hm3 -= flex_kw
                base = blk.reshape(n, days, 24) + hm3
                hm3 += valley_fill(base, flex_kw.sum(axis=-1), win)
                hm = hm3.reshape(n, -1)
                blk += hm
                shifted = hm.sum(axis=0)
                ev += shifted
                district += shifted
            el[g] = blk
        return el, district, ev

    s = shapes.values
    days = len(t) // 24
    grp_el, district_el, ev_total = group_loads(s, days)
    carrier_kw = np.zeros((len(t), len(CARRIERS)))
    carrier_kw[:, 0] = district_el
    for j, c in enumerate(CARRIERS[1:], start=1):
        carrier_kw[:, j] = np.asarray(mats[c].sum(axis=0)).ravel() @ s

    # design day: a working day in the high-load season at the DUT
    td = np.full(24, float(weather.dut_c))
    dcal = Calendar(hour=np.arange(24), weekday=np.full(24, 2), day_off=np.zeros(24, bool),
                    high_season=np.ones(24, bool), day=np.zeros(24, int))
    sd = maker.design(shapes, td, dcal)
    _, d_el, _ = group_loads(sd, 1)
    design_kw = np.zeros((24, len(CARRIERS)))
    design_kw[:, 0] = d_el
    for j, c in enumerate(CARRIERS[1:], start=1):
        design_kw[:, j] = np.asarray(mats[c].sum(axis=0)).ravel() @ sd

    # electricity per building in the district's peak hour
    k_peak = int(np.argmax(carrier_kw[:, 0]))
    building_peak = (np.asarray(mats["electricity"] @ s[:, k_peak]).ravel() + work * s[k_work, k_peak]
                     + home * s[k_home, k_peak])

    info = arche.reset_index()
    hp_rows = [{"cat": k[0], "code": k[1], "heating": k[2], **v} for k, v in shapes.info.items()]
    if hp_rows:
        info = info.merge(pd.DataFrame(hp_rows), on=["cat", "code"], how="left")
    return HourlyLoads(
        time=pd.DatetimeIndex(weather.time), carrier_kw=carrier_kw, ev_kw=ev_total,
        area_ids=ids, area_kw=grp_el[: len(ids)].T.astype(np.float64), area_capacity_kw=cap, design_kw=design_kw,
        building_peak_kw=building_peak, dut_c=float(weather.dut_c), weather_label=str(weather.label),
        ev_smart_charging=float(params.ev_smart_charging), archetypes=info,
        buildings_outside_areas=int(np.sum(b_area < 0)) if ids else 0, n_shapes=n_s)


def grid_area_layer(grid_areas: gpd.GeoDataFrame, loads: HourlyLoads) -> gpd.GeoDataFrame:
    """The grid-areas layer with ``peak_kw``, ``headroom_kw``, ``hours_over`` and ``peak_hour``."""
    out = grid_areas.copy()
    per = loads.grid_areas()
    ids = out["area_id"].astype(str)
    for col in ("peak_kw", "headroom_kw", "hours_over", "peak_hour"):
        out[col] = [per.get(i, {}).get(col) for i in ids]
    out["headroom_share"] = out["headroom_kw"].astype(float) / pd.to_numeric(out["capacity_kw"]).replace(0, np.nan)
    return out
