"""Derive the hourly-profile parameter tables in ``twin/params`` from the source data.

Run once when the sources change (not at run time, no network)::

    python scripts/make_hourly_params.py /work/shared/data/profiles

Writes

* ``twin/params/load_profiles_fasit.csv`` — the FASIT temperature-dependent
  hourly load coefficients ``P = A·T + B`` (SINTEF Energi, Eggen 2016, via
  stinefm/relsad, MIT) in a tidy form: one row per customer category, season,
  day type and coefficient, 24 hourly columns.
* ``twin/params/ev_home_charging_profile.csv`` — the share of a week's home
  charging energy in each hour of the week (Monday 00 h … Sunday 23 h), from
  the 6,878 real residential charging sessions in Trondheim (Sørensen et al.,
  Data in Brief 36 (2021) 107105, doi:10.17632/jbks2rcwyj, CC BY 4.0), charging
  uncontrolled: at full power from plug-in until the session's energy is
  delivered (or the car is unplugged).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

PARAMS = Path(__file__).resolve().parents[1] / "twin" / "params"
FASIT_SOURCE = ("Eggen, A.O., FASIT kravspesifikasjon, SINTEF Energi AS (2016): temperature-dependent hourly "
                "load coefficients P = A*T + B per customer category; file load_profiles_fasit.csv of "
                "stinefm/relsad (MIT) at commit 69614d35")
EV_SOURCE = ("Sørensen, Lindberg, Sartori, Andresen, 'Residential electric vehicle charging datasets from "
             "apartment buildings', Data in Brief 36 (2021) 107105; Mendeley Data doi:10.17632/jbks2rcwyj v3 "
             "(CC BY 4.0): 6,878 sessions, Trondheim, Dec 2018 - Jan 2020; spread at full power "
             "(max(7.4 kW, session kWh/duration)) from plug-in")
HOME_KW = 7.4  # twin/params/charging.csv charger_kw home (NEK 400 section 722, 32 A single phase)


def fasit(src: Path) -> pd.DataFrame:
    raw = pd.read_csv(src / "load_profiles_fasit.csv", sep=";", decimal=",", encoding="utf-8-sig",
                      skiprows=[1], dtype=str)
    raw = raw.rename(columns={"Navn": "category", "Måned": "season", "Dag": "day", "AB": "coefficient"})
    hours = [f"{h:02d}" for h in range(1, 25)]
    out = raw[["category", "season", "day", "coefficient"]].copy()
    for k, h in enumerate(hours):
        out[f"h{k:02d}"] = pd.to_numeric(raw[h].str.replace(",", "."), errors="raise")
    out["unit"] = "kW per customer (A: per degC, T capped at 20 degC)"
    out["source"] = FASIT_SOURCE
    return out


def ev_week(src: Path) -> pd.DataFrame:
    d = pd.read_csv(src / "trondheim_Dataset1_EV_charging_reports.csv", sep=";", decimal=",")
    start = pd.to_datetime(d["Start_plugin"], format="%d.%m.%Y %H:%M")
    dur = d["Duration_hours"].to_numpy(float)
    kwh = d["El_kWh"].to_numpy(float)
    ok = np.isfinite(dur) & np.isfinite(kwh) & (kwh > 0) & (dur > 0)
    start, dur, kwh = start[ok], dur[ok], kwh[ok]
    power = np.maximum(HOME_KW, kwh / dur)
    week = np.zeros(168)
    # minute-resolution spreading of each session's energy from plug-in at full power
    t0 = (start.dt.day_of_week * 1440 + start.dt.hour * 60 + start.dt.minute).to_numpy()
    for s, e, p in zip(t0, kwh, power):
        minutes = int(np.ceil(e / p * 60))
        idx = (s + np.arange(minutes)) % (168 * 60)
        per_min = np.full(minutes, p / 60)
        per_min[-1] = e - per_min[:-1].sum()
        np.add.at(week, idx // 60, per_min)
    share = week / week.sum()
    wd, hr = np.divmod(np.arange(168), 24)
    return pd.DataFrame({"weekday": wd, "hour": hr, "share": np.round(share, 8), "source": EV_SOURCE})


def main(src: str) -> int:
    s = Path(src)
    fasit(s).to_csv(PARAMS / "load_profiles_fasit.csv", index=False)
    ev_week(s).to_csv(PARAMS / "ev_home_charging_profile.csv", index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/profiles"))
