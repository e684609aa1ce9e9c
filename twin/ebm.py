"""NVE EBM's adjustments of the energy need, applied as EBM's own code applies them.

NVE's building-stock energy model (EBM 1.2.0, MIT) does not use the need of
``energy_need_original_condition.csv`` as it stands. Per building category,
building code, purpose and year it multiplies it by

1. a **behaviour factor** (``energy_need_behaviour_factor.csv``, EBM's
   calibration to SSB's energy balance: ×1.15 for non-residential buildings,
   ×2 for retail appliances, ×0.85 for houses before TEK07 and for the
   lighting of newer houses),
2. **yearly improvements** (``energy_need_improvements.csv``: appliances
   −1 %/yr from 2021; lighting −55.6 % by 2030 along a straight line, then
   −0.5 %/yr), and
3. for space heating, a **building-condition reduction**
   (``improvement_building_upgrade.csv``: small measures −7 %, renovation
   −20 %, both −25 %; −2/−5/−7 % for TEK17).

Rules of EBM reproduced here (``ebm.validators.behaviour_factor_parser``,
``ebm.model.column_operations.explode_*``, ``ebm.model.energy_requirement``):
``residential`` = house and apartment block, ``non_residential`` = the other
categories, ``default`` = all; ``A+B`` lists codes; a row naming the purpose
beats a ``default``-purpose row, then a named category beats a group, then a
named code beats ``default``. Yearly reduction in year *y* from start year
*s*: ``(1 - r) ** (y - s + 1)``; policy improvement: linear from 1 at the
start year to ``1 - v`` at the end year, held after it. EBM's model years are
2020-2050: earlier years get no yearly improvement (factor 1), later ones
those of 2050. ``PASSIVE_HOUSE`` gets TEK17's factors.

The **condition** of a building is the ``building_condition`` column (EBM's
``original_condition``, ``small_measure``, ``renovation``,
``renovation_and_small_measure``); where it is missing, the expected
reduction over EBM's shares of the conditions at the building's age is used
(EBM's S-curves, ``s_curve.csv``, combined as
``ebm.areaforecast.s_curve.normalize_scurve_conditions`` does, for the standing
stock: demolition left out).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

PARAMS = Path(__file__).parent / "params"

#: EBM purpose name → twin purpose name.
EBM_PURPOSES: dict[str, str] = {
    "heating_rv": "space_heating", "heating_dhw": "hot_water", "lighting": "lighting",
    "electrical_equipment": "appliances", "fans_and_pumps": "fans_pumps", "cooling": "cooling",
}
#: EBM's residential categories (``BuildingCategory.is_residential``).
RESIDENTIAL: tuple[str, ...] = ("house", "apartment_block")
#: EBM's building conditions of standing buildings.
CONDITIONS: tuple[str, ...] = ("original_condition", "small_measure", "renovation",
                               "renovation_and_small_measure")
#: The condition of a building whose condition is not given (expected value over EBM's shares).
STOCK_AVERAGE = "stock_average"
_FIRST_YEAR, _LAST_YEAR = 2020, 2050


@lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    """An EBM parameter table of twin/params as strings (cached; do not modify)."""
    return pd.read_csv(PARAMS / name, dtype=str, skipinitialspace=True)


def _code_key(code: str) -> str:
    return "TEK17" if code == "PASSIVE_HOUSE" else code


def _match(row_value: str, value: str, *, group: dict[str, tuple[str, ...]] | None = None) -> int:
    """Specificity of a row's key for a value: 2 named, 1 group alias, 0 default, -1 no match."""
    parts = str(row_value).split("+")
    if value in parts:
        return 2
    if group:
        for alias, members in group.items():
            if row_value == alias and value in members:
                return 1
    return 0 if row_value == "default" else -1


@lru_cache(maxsize=None)
def _rows(name: str) -> tuple[dict[str, str], ...]:
    return tuple(_read(name).to_dict("records"))


def _lookup(rows: tuple[dict[str, str], ...], category: str, code: str,
            purpose_ebm: str) -> dict[str, str] | None:
    """The row of an EBM table that applies to one cell (EBM's precedence), or None."""
    groups = {"residential": RESIDENTIAL}
    best, best_key = None, None
    for row in rows:
        p = _match(row["purpose"], purpose_ebm)
        cat = row["building_category"]
        if cat == "non_residential":
            c = 1 if category not in RESIDENTIAL else -1
        else:
            c = _match(cat, category, group=groups)
        k = _match(row["building_code"], _code_key(code))
        if min(p, c, k) < 0:
            continue
        key = (p, c, k)
        if best_key is None or key > best_key:
            best, best_key = row, key
    return best


def behaviour_factor(category: str, code: str, purpose: str) -> float:
    """EBM's behaviour factor of one cell (twin purpose name)."""
    ebm_purpose = {v: k for k, v in EBM_PURPOSES.items()}[purpose]
    row = _lookup(_rows("ebm_behaviour_factors.csv"), category, code, ebm_purpose)
    return 1.0 if row is None else float(row["behaviour_factor"])


def improvement_factor(category: str, code: str, purpose: str, year: int) -> float:
    """EBM's yearly and policy improvements of one cell in a year (product of the rows that apply)."""
    ebm_purpose = {v: k for k, v in EBM_PURPOSES.items()}[purpose]
    y = min(int(year), _LAST_YEAR)
    out = 1.0
    for row in _rows("ebm_need_improvements.csv"):
        if min(_match(row["purpose"], ebm_purpose), _match(row["building_category"], category),
               _match(row["building_code"], _code_key(code))) < 0:
            continue
        start, end, v = int(row["start_year"]), int(row["end_year"]), float(row["value"])
        if row["function"] == "yearly_reduction":
            if y >= start:
                out *= (1.0 - v) ** (min(y, end) - start + 1)
        elif row["function"] == "improvement_at_end_year":
            n = min(max(y - start, 0), end - start)
            out *= 1.0 - v * n / (end - start)
    return out


@lru_cache(maxsize=64)
def factor_cube(categories: tuple[str, ...], codes: tuple[str, ...], purposes: tuple[str, ...],
                year: int) -> np.ndarray:
    """Behaviour × improvement factor as an array ``[category, code, purpose]``."""
    cube = np.ones((len(categories), len(codes), len(purposes)))
    for i, cat in enumerate(categories):
        for j, code in enumerate(codes):
            for k, p in enumerate(purposes):
                cube[i, j, k] = behaviour_factor(cat, code, p) * improvement_factor(cat, code, p, year)
    return cube


@lru_cache(maxsize=1)
def _condition_reductions() -> dict[tuple[str, str], float]:
    t = _read("ebm_condition_reductions.csv")
    return {(r.building_code, r.building_condition): float(r.reduction_share) for r in t.itertuples()}


def condition_reduction(code: str, condition: str) -> float:
    """Share by which a building condition reduces the space-heating need (EBM)."""
    red = _condition_reductions()
    key = _code_key(code)
    return red.get((key, condition), red[("default", condition)])


@lru_cache(maxsize=1)
def _scurves() -> pd.DataFrame:
    return pd.read_csv(PARAMS / "ebm_renovation_scurves.csv")


def condition_shares(category: str, age: np.ndarray) -> dict[str, np.ndarray]:
    """EBM's shares of the building conditions at a building age (standing stock).

    S-curve rates as ``ebm.areaforecast.s_curve.scurve_rates_with_age``: zero
    before the earliest age, a pre-rush rate, the rush rate ``rush_share /
    rush_period`` around the average age, a post-rush rate up to the last age;
    cumulated over ages 1..age and capped at ``1 - never_share``. Small
    measures and renovations are combined as
    ``normalize_scurve_conditions`` (demolition 0).
    """
    t = _scurves()
    age = np.clip(np.asarray(age, dtype=float), 0, 200)
    acc = {}
    never = {}
    for cond in ("small_measure", "renovation"):
        r = t[(t["building_category"] == category) & (t["condition"] == cond)].iloc[0]
        e, a, rp, last = (float(r[c]) for c in ("earliest_age_for_measure", "average_age_for_measure",
                                                 "rush_period_years", "last_age_for_measure"))
        rush, nv = float(r["rush_share"]), float(r["never_share"])
        pre = (1 - rush - nv) * 0.5 / (a - e - rp / 2)
        post = (1 - rush - nv) * 0.5 / (last - a - rp / 2)
        ages = np.arange(1, 201, dtype=float)
        rate = np.select([ages < e, ages < a - rp / 2, ages < a + rp / 2, ages < last],
                         [0.0, pre, rush / rp, post], default=0.0)
        cum = np.concatenate([[0.0], np.cumsum(rate)])
        acc[cond] = cum[np.floor(age).astype(int)]
        never[cond] = nv
    s_max, r_max = 1.0 - never["small_measure"], 1.0 - never["renovation"]
    s_tot = np.clip(np.minimum(acc["small_measure"], s_max), 0, None)
    r_tot = np.clip(np.minimum(acc["renovation"], r_max), 0, None)
    total = np.clip(s_tot + r_tot, 0, None)
    r_from_s = np.clip(r_max - s_tot, 0, None)
    ren = np.where(total < r_max, r_tot, r_from_s)
    both = r_tot - ren
    small = s_tot - both
    return {"original_condition": 1.0 - ren - both - small, "small_measure": small,
            "renovation": ren, "renovation_and_small_measure": both}


def space_heating_condition_factor(categories: np.ndarray, codes: np.ndarray, conditions: np.ndarray,
                                   age: np.ndarray) -> np.ndarray:
    """Factor on the space-heating need of each building from its condition.

    ``conditions`` holds EBM condition names or :data:`STOCK_AVERAGE` (then the
    expected factor over EBM's shares at ``age`` is used).
    """
    n = len(categories)
    out = np.ones(n)
    cats = np.asarray(categories, dtype=object)
    codes = np.asarray(codes, dtype=object)
    conds = np.asarray(conditions, dtype=object)
    age = np.asarray(age, dtype=float)
    for code in set(codes.tolist()):
        if code is None:
            continue
        red = {c: condition_reduction(str(code), c) for c in CONDITIONS}
        m = codes == code
        for c in CONDITIONS:
            out[m & (conds == c)] = 1.0 - red[c]
        avg = m & (conds == STOCK_AVERAGE)
        for cat in set(cats[avg].tolist()):
            if cat is None or (isinstance(cat, float) and np.isnan(cat)):
                continue
            mm = avg & (cats == cat)
            shares = condition_shares(str(cat), age[mm])
            out[mm] = sum(shares[c] * (1.0 - red[c]) for c in CONDITIONS)
    return out
