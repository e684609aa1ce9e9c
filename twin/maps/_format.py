"""The one number formatter of every map page, with display units from one table.

Every number on a map, a popup, a panel or the comparison page is formatted
here (``Strings.num`` does the locale separators). :data:`DISPLAY` gives, per
indicator, how it is shown: a scale from the stored unit to the displayed one
(``co2_per_resident_kg_yr`` is stored in kg and shown to citizens in tonnes,
as its label says) and the decimals. Shares (keys ending in ``_share``) are
shown in percent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twin.maps._i18n import Strings


@dataclass(frozen=True)
class Display:
    """How one indicator is shown: ``value * scale`` with ``decimals``; ``percent`` for shares."""

    decimals: int = 0
    scale: float = 1.0
    percent: bool = False


_PCT = Display(0, 100.0, True)

#: Contract indicators in planner display order (stored unit = displayed unit).
DISPLAY: dict[str, Display] = {
    "buildings": Display(0), "floor_area_m2": Display(0), "residents": Display(0),
    "jobs": Display(0), "energy_mwh_yr": Display(0), "heat_mwh_yr": Display(0),
    "electricity_mwh_yr": Display(0), "energy_kwh_m2_yr": Display(0),
    "co2_buildings_t_yr": Display(1), "co2_transport_t_yr": Display(1),
    "co2_total_t_yr": Display(1), "co2_direct_t_yr": Display(1),
    "co2_per_resident_kg_yr": Display(0), "co2_buildings_kg_m2_yr": Display(1),
    "dh_connected_share": _PCT, "fossil_heating_share": _PCT, "charger_coverage_share": _PCT,
    "public_chargers": Display(0), "ev_charging_mwh_yr": Display(1), "car_km_yr": Display(0),
    "zero_emission_car_share": _PCT, "rain_mm": Display(0), "flood_volume_m3": Display(0),
    "basin_storage_m3": Display(0), "flooded_buildings": Display(0),
    "max_flood_depth_m": Display(2), "co2_ev_charging_t_yr": Display(1),
    "co2_workplace_per_job_kg_yr": Display(0), "electricity_co2_g_kwh": Display(1),
    "floors_default_buildings": Display(0),
    "peak_electricity_mw": Display(1), "peak_district_heat_mw": Display(1),
    "design_peak_electricity_mw": Display(1), "ev_charging_peak_mw": Display(1),
    "grid_areas_over_capacity": Display(0),
}
#: Citizen display where it differs (labels in ``citizen.ind.*`` name these units).
CITIZEN_DISPLAY: dict[str, Display] = {
    "co2_per_resident_kg_yr": Display(1, 0.001),  # kg -> tonnes per resident and year
    "car_km_yr": Display(1, 1e-6),  # km -> million km
}


def display_of(key: str, audience: str = "planner") -> Display:
    """The :class:`Display` of an indicator key (shares in percent, else by size)."""
    if audience == "citizen" and key in CITIZEN_DISPLAY:
        return CITIZEN_DISPLAY[key]
    if key in DISPLAY:
        return DISPLAY[key]
    if key.endswith("share"):
        return _PCT
    return Display(-1)  # decimals by size


def is_num(v: Any) -> bool:
    """A finite real number (not a bool)."""
    return (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            and math.isfinite(float(v)))


def _auto_decimals(x: float) -> int:
    a = abs(x)
    return 0 if a >= 100 else (1 if a >= 10 else 2)


def value_text(t: Strings, key: str, v: Any, *, audience: str = "planner",
               extra_decimals: int = 0) -> str:
    """An indicator value as shown on every page; ``–`` for no data."""
    if not is_num(v):
        return "–"
    d = display_of(key, audience)
    x = float(v) * d.scale
    dec = (_auto_decimals(x) if d.decimals < 0 else d.decimals) + extra_decimals
    return t.num(x, dec) + (" %" if d.percent else "")


def delta_text(t: Strings, key: str, v: Any, base: Any, *, audience: str = "planner") -> str:
    """Unsigned size of ``v - base`` (percentage points for shares); ``–`` for no data."""
    if not (is_num(v) and is_num(base)):
        return "–"
    d = display_of(key, audience)
    diff = abs(float(v) - float(base)) * d.scale
    dec = _auto_decimals(diff) if d.decimals < 0 else d.decimals
    return t.num(diff, dec) + (" " + t("compare.pp") if d.percent else "")


def pair_text(t: Strings, key: str, value: Any, threshold: Any, *,
              audience: str = "planner") -> tuple[str, str]:
    """Value and threshold with enough decimals to tell them apart (up to 3 more).

    A target missed by 0.108 % against 0 % shows "0.11 %", not "0 %".
    """
    for extra in range(4):
        a = value_text(t, key, value, audience=audience, extra_decimals=extra)
        b = value_text(t, key, threshold, audience=audience, extra_decimals=extra)
        if a != b or not (is_num(value) and is_num(threshold)) or value == threshold:
            return a, b
    return a, b


def range_text(t: Strings, key: str, v: Any, rng: Any, *, audience: str = "planner") -> str:
    """``value (p10–p90)`` when a range is given, else the value alone."""
    txt = value_text(t, key, v, audience=audience)
    if isinstance(rng, dict) and is_num(rng.get("p10")) and is_num(rng.get("p90")):
        lo = value_text(t, key, rng["p10"], audience=audience)
        hi = value_text(t, key, rng["p90"], audience=audience)
        txt += f" ({lo.removesuffix(' %')}–{hi})"
    return txt


def nums(t: Strings, s: pd.Series | np.ndarray | list, decimals: int = 0) -> list[str]:
    """Per-row numbers (popups) with this language's separators; ``–`` for no data."""
    return [t.num(v, decimals) for v in (s.tolist() if hasattr(s, "tolist") else s)]
