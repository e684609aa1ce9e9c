"""A weather year: hourly outdoor temperature (and radiation, wind) for a district.

A district names its weather year in ``district.yaml``::

    weather: weather_rygge_2019.csv          # a file next to the manifest, or
    weather:
      file: oslo_blindern.epw                 # EnergyPlus EPW or a CSV of hourly values
      dut_c: -20                              # design outdoor temperature (optional)
      place: Oslo                             # looks the DUT up in twin/params/design_temperature.csv
      label: "MET Norway, Oslo-Blindern 2010" # shown on every output

Two formats are read:

* **EPW** (EnergyPlus weather, e.g. IWEC/TMYx): 8 header lines, then one row
  per hour with dry-bulb temperature (field 7), global horizontal radiation
  (field 14) and wind speed (field 22); hours 1–24 in local standard time.
* **CSV** of hourly values (MET Norway Frost / seklima, SMHI, DMI, NIBIO LMT
  exports): a time column and a temperature column, found by name (see
  :data:`TIME_NAMES`, :data:`TEMPERATURE_NAMES`) or given in the manifest
  (``columns: {time: ..., temperature_c: ...}``); ``,`` or ``;`` separated,
  decimal point or comma.

The year must be whole and hourly: 8,760 (or 8,784) consecutive hours, no
gaps, no missing temperatures. Every problem is reported at load time with the
file, row and fix, so ``twin check`` rejects what ``twin run`` would.

The design outdoor temperature (DUT) is the lowest 3-day mean temperature of
a normal period used to size heating (NS-EN 12831 national annex, tabulated
per municipality in SINTEF Byggforsk 451.021); ``twin/params/design_temperature.csv``
holds the values used, with sources.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin._errors import InputError, Problem, input_error

PARAMS_DIR = Path(__file__).parent / "params"

#: Column names recognised as the time column of a CSV (case-insensitive, prefix match).
TIME_NAMES: tuple[str, ...] = ("time", "timestamp", "date", "datetime", "referencetime",
                               "tid", "tidspunkt", "datum", "time measured", "from-time")
#: Column names recognised as the outdoor air temperature (case-insensitive, substring match).
TEMPERATURE_NAMES: tuple[str, ...] = ("temperature_c", "air_temperature", "temperature", "temp_dry",
                                      "lufttemperatur", "(tt)", "temp", "t2m", "tt")
#: Column names recognised as global horizontal radiation (W/m2).
RADIATION_NAMES: tuple[str, ...] = ("ghi_w_m2", "global", "(q0)", "radiation", "stråling", "strålning")
#: Column names recognised as wind speed (m/s).
WIND_NAMES: tuple[str, ...] = ("wind_m_s", "wind_speed", "vindhastighet", "(fm2)", "(ff)", "wind")

#: Plausible outdoor temperatures on Earth (°C); values outside are input errors.
TEMPERATURE_RANGE_C: tuple[float, float] = (-70.0, 60.0)


@dataclass(frozen=True)
class Weather:
    """An hourly weather year.

    Parameters
    ----------
    time : pandas.DatetimeIndex
        Start of each hour (local standard time; naive), consecutive, 8,760 or 8,784 hours.
    temperature_c : numpy.ndarray
        Outdoor air temperature (°C) per hour.
    dut_c : float
        Design outdoor temperature (°C) for heating (NS-EN 12831).
    ghi_w_m2, wind_m_s : numpy.ndarray | None
        Global horizontal radiation (W/m²) and wind speed (m/s) where the source has them.
    label : str
        What the year is and where it comes from (shown on outputs).
    dut_source : str
        Where the DUT comes from.
    path : str
        The file read.
    """

    time: pd.DatetimeIndex
    temperature_c: np.ndarray
    dut_c: float
    ghi_w_m2: np.ndarray | None = None
    wind_m_s: np.ndarray | None = None
    label: str = ""
    dut_source: str = ""
    path: str = ""

    @property
    def hours(self) -> int:
        """Number of hours in the year."""
        return int(len(self.time))


def design_temperature(place: str) -> tuple[float, str]:
    """Design outdoor temperature of a place from ``twin/params/design_temperature.csv``.

    Returns
    -------
    (dut_c, source)
    """
    table = pd.read_csv(PARAMS_DIR / "design_temperature.csv")
    row = table[table["place"].str.casefold() == str(place).casefold()]
    if row.empty:
        msg = f"no design outdoor temperature for place {place!r}"
        raise input_error("twin/params/design_temperature.csv", msg,
                          f"give `dut_c:` under `weather:` in district.yaml, or use one of "
                          f"{', '.join(table['place'])}", column="place")
    return float(row["dut_c"].iloc[0]), str(row["source"].iloc[0])


def _find(columns: list[str], names: tuple[str, ...], *, prefix: bool = False) -> str | None:
    low = {c: str(c).strip().casefold() for c in columns}
    for n in names:
        for c, lc in low.items():
            if (lc.startswith(n) if prefix else (lc == n or n in lc)):
                return c
    return None


def _read_epw(path: Path, where: str) -> pd.DataFrame:
    lines = path.read_text(encoding="latin-1").splitlines()
    if len(lines) < 9 or not lines[0].upper().startswith("LOCATION"):
        raise input_error(where, "not an EPW file (the first line must start with LOCATION)",
                          "give an EnergyPlus weather file (.epw) or a CSV of hourly values")
    rows = [ln.split(",") for ln in lines[8:] if ln.strip()]
    problems: list[Problem] = []
    short = [i + 9 for i, r in enumerate(rows) if len(r) < 22]
    if short:
        problems.append(Problem(where, f"{len(short)} data lines have fewer than 22 fields "
                                       f"(first at line {short[0]})",
                                "give a complete EPW file (35 fields per hour)"))
        raise InputError(problems)
    a = np.array([[r[0], r[1], r[2], r[3], r[6], r[13], r[21]] for r in rows], dtype=object)
    try:
        year, month, day, hour = (a[:, k].astype(int) for k in range(4))
    except ValueError:
        raise input_error(where, "date fields (year, month, day, hour) are not integers",
                          "give a valid EPW file") from None
    years = np.unique(year)
    ref_year = int(years[0]) if len(years) == 1 else 2001  # TMY: months from different years
    if len(years) > 1 and len(rows) == 8784:
        ref_year = 2000
    time = pd.to_datetime(pd.DataFrame({"year": ref_year, "month": month, "day": day, "hour": 0}),
                          errors="coerce") + pd.to_timedelta(hour - 1, unit="h")
    df = pd.DataFrame({"time": time,
                       "temperature_c": pd.to_numeric(a[:, 4], errors="coerce"),
                       "ghi_w_m2": pd.to_numeric(a[:, 5], errors="coerce"),
                       "wind_m_s": pd.to_numeric(a[:, 6], errors="coerce")})
    # EPW "missing" codes: 99.9 dry bulb, 9999 radiation, 999 wind
    df.loc[df["temperature_c"] >= 99.9, "temperature_c"] = np.nan
    df.loc[df["ghi_w_m2"] >= 9999, "ghi_w_m2"] = np.nan
    df.loc[df["wind_m_s"] >= 999, "wind_m_s"] = np.nan
    df.attrs["first_line"] = 9
    return df


def _local_standard_time(t: pd.Series) -> pd.Series:
    """Times as naive local standard time.

    Times with UTC offsets (``+01``/``+02`` with daylight saving time, ``Z``)
    are brought to UTC and shifted by the smallest offset in the file (the
    winter, standard-time offset), so summer hours are not doubled or lost.
    """
    offs = t.str.extract(r"(Z|[+-]\d{2}(?::?\d{2})?)$")[0]
    if offs.isna().all():
        return pd.to_datetime(t, errors="coerce", format="mixed")
    sign = np.where(offs.str[0] == "-", -1, 1)
    digits = offs.str.replace(r"[^0-9]", "", regex=True).fillna("")
    minutes = np.array([int(d[:2]) * 60 + (int(d[2:4]) if len(d) >= 4 else 0) if d else 0 for d in digits]) * sign
    standard = int(minutes[offs.notna().to_numpy()].min())
    utc = pd.to_datetime(t, errors="coerce", utc=True, format="mixed")
    return (utc + pd.Timedelta(minutes=standard)).dt.tz_localize(None)


def _read_csv(path: Path, where: str, columns: dict[str, str] | None) -> pd.DataFrame:
    raw = path.read_bytes().decode("utf-8-sig", errors="replace")
    head = raw.splitlines()[0] if raw else ""
    sep = ";" if head.count(";") > head.count(",") else ","
    decimal = "," if sep == ";" else "."
    try:
        df = pd.read_csv(io.StringIO(raw), sep=sep, decimal=decimal, dtype=str)
    except Exception as exc:  # pandas parser errors name the line
        raise input_error(where, f"cannot read as CSV: {' '.join(str(exc).split())}",
                          "give a CSV with a header line, one row per hour") from None
    cols = list(df.columns)
    columns = dict(columns or {})
    found = {
        "time": columns.get("time") or _find(cols, TIME_NAMES, prefix=True),
        "temperature_c": columns.get("temperature_c") or _find(cols, TEMPERATURE_NAMES),
        "ghi_w_m2": columns.get("ghi_w_m2") or _find(cols, RADIATION_NAMES),
        "wind_m_s": columns.get("wind_m_s") or _find(cols, WIND_NAMES),
    }
    problems: list[Problem] = []
    for key in ("time", "temperature_c"):
        c = found[key]
        if c is None or c not in cols:
            what = f"no {key} column" if c is None else f"column {c!r} given for {key} is not in the file"
            problems.append(Problem(where, what,
                                    f"name it '{key}' or set `weather: {{columns: {{{key}: <column>}}}}` "
                                    f"in district.yaml; columns found: {', '.join(map(str, cols))}",
                                    column=key))
    if problems:
        raise InputError(problems)
    out = pd.DataFrame({"time": _local_standard_time(df[found["time"]].astype(str).str.strip())})
    for key in ("temperature_c", "ghi_w_m2", "wind_m_s"):
        c = found[key]
        if c is not None and c in cols:
            v = df[c].astype(str).str.strip().str.replace(",", ".", regex=False)
            out[key] = pd.to_numeric(v, errors="coerce")
    out.attrs["first_line"] = 2
    out.attrs["time_column"] = found["time"]
    out.attrs["temperature_column"] = found["temperature_c"]
    return out


def _validate(df: pd.DataFrame, where: str) -> None:
    problems: list[Problem] = []
    first = int(df.attrs.get("first_line", 2))
    n = len(df)
    if n not in (8760, 8784):
        problems.append(Problem(where, f"{n} hours; a weather year has 8,760 (or 8,784 in a leap year)",
                                "give one whole year of hourly values"))
    bad_t = df["time"].isna().to_numpy()
    if bad_t.any():
        rows = np.flatnonzero(bad_t)[:5] + first
        problems.append(Problem(where, f"{int(bad_t.sum())} times cannot be read (lines {', '.join(map(str, rows))})",
                                "write times as ISO 8601, e.g. 2019-01-01 00:00", column="time"))
    else:
        step = np.diff(df["time"].to_numpy().astype("datetime64[m]").astype(np.int64))
        wrong = np.flatnonzero(step != 60)
        if len(wrong):
            k = int(wrong[0])
            problems.append(Problem(
                where, f"the hours are not consecutive: {len(wrong)} steps are not 1 hour "
                       f"(first between lines {k + first} and {k + first + 1}: "
                       f"{df['time'].iloc[k]} → {df['time'].iloc[k + 1]})",
                "give every hour once, in order, with no gaps (fill short gaps by interpolation)",
                column="time"))
    if not bad_t.any() and n and (df["time"].iloc[0].hour != 0 or df["time"].iloc[0].minute != 0):
        problems.append(Problem(where, f"the year starts at {df['time'].iloc[0]}, not at 00:00",
                                "start the file at midnight (local standard time) of the first day",
                                column="time"))
    temp = df["temperature_c"].to_numpy(float)
    miss = ~np.isfinite(temp)
    if miss.any():
        rows = np.flatnonzero(miss)[:5] + first
        problems.append(Problem(where, f"{int(miss.sum())} missing temperatures (lines {', '.join(map(str, rows))})",
                                "fill the gaps (e.g. linear interpolation between the neighbouring hours)",
                                column="temperature_c"))
    lo, hi = TEMPERATURE_RANGE_C
    out_of = np.isfinite(temp) & ((temp < lo) | (temp > hi))
    if out_of.any():
        k = int(np.flatnonzero(out_of)[0])
        problems.append(Problem(where, f"{int(out_of.sum())} temperatures outside {lo:g}…{hi:g} °C "
                                       f"(first {temp[k]:g} at line {k + first})",
                                "give the temperature in degrees Celsius", column="temperature_c"))
    if problems:
        raise InputError(problems)


def read_weather(path: str | Path, *, dut_c: float | None = None, place: str | None = None,
                 label: str = "", columns: dict[str, str] | None = None) -> Weather:
    """Read and validate an hourly weather year (EPW or CSV).

    Parameters
    ----------
    path : str or Path
        ``.epw`` file or CSV of hourly values.
    dut_c : float, optional
        Design outdoor temperature (°C); default: the value for ``place``.
    place : str, optional
        Municipality to look the DUT up in ``twin/params/design_temperature.csv``
        (default ``Oslo`` when neither ``dut_c`` nor ``place`` is given).
    label : str
        Description of the year shown on outputs (default: the file name).
    columns : dict, optional
        CSV column names for ``time``, ``temperature_c``, ``ghi_w_m2``, ``wind_m_s``.

    Returns
    -------
    Weather

    Raises
    ------
    twin._errors.InputError
        A missing or unreadable file, a year that is not whole and hourly,
        missing or implausible temperatures; every problem in one error.
    """
    path = Path(path)
    where = f"{path}: weather"
    if not path.exists():
        raise input_error(where, "file not found", "check `weather:` in district.yaml (a path next to it)")
    df = _read_epw(path, where) if path.suffix.lower() == ".epw" else _read_csv(path, where, columns)
    _validate(df, where)
    if dut_c is None:
        dut, dut_source = design_temperature(place or "Oslo")
    else:
        dut, dut_source = float(dut_c), "district.yaml `weather: dut_c`"
    if not np.isfinite(dut) or not (-60.0 <= dut <= 20.0):
        raise input_error(where, f"design outdoor temperature {dut!r} °C is not plausible",
                          "give `dut_c:` between -60 and 20 °C", column="dut_c")

    def opt(key: str) -> np.ndarray | None:
        if key not in df or not np.isfinite(df[key].to_numpy(float)).all():
            return None
        return df[key].to_numpy(float)

    return Weather(time=pd.DatetimeIndex(df["time"]), temperature_c=df["temperature_c"].to_numpy(float),
                   dut_c=dut, ghi_w_m2=opt("ghi_w_m2"), wind_m_s=opt("wind_m_s"),
                   label=label or path.name, dut_source=dut_source, path=str(path))


def weather_from_manifest(entry: Any, folder: Path, *, where: str) -> Weather:
    """Read the weather year a district manifest's ``weather:`` entry names.

    Parameters
    ----------
    entry : str or dict
        A file name, or a mapping with ``file`` and optional ``dut_c``,
        ``place``, ``label``, ``columns``.
    folder : Path
        The district folder (relative file names are resolved against it).
    where : str
        The manifest path, for messages.
    """
    allowed = ("file", "dut_c", "place", "label", "columns")
    if isinstance(entry, str):
        entry = {"file": entry}
    if not isinstance(entry, dict) or "file" not in entry:
        raise input_error(where, "`weather` must be a file name or a mapping with `file:`",
                          "write `weather: weather.csv` or `weather: {file: weather.epw, dut_c: -20}`",
                          column="weather")
    unknown = [k for k in entry if k not in allowed]
    if unknown:
        raise input_error(where, f"unknown key(s) {', '.join(map(str, unknown))} under `weather`",
                          f"allowed: {', '.join(allowed)}", column="weather")
    dut = entry.get("dut_c")
    if dut is not None:
        try:
            dut = float(dut)
        except (TypeError, ValueError):
            raise input_error(where, f"weather dut_c {dut!r} is not a number",
                              "give the design outdoor temperature in °C, e.g. `dut_c: -20`",
                              column="weather.dut_c") from None
    cols = entry.get("columns")
    if cols is not None and not isinstance(cols, dict):
        raise input_error(where, "`weather: columns` must map time/temperature_c to column names",
                          "write `columns: {time: referenceTime, temperature_c: value}`",
                          column="weather.columns")
    return read_weather(folder / str(entry["file"]), dut_c=dut, place=entry.get("place"),
                        label=str(entry.get("label", "")), columns=cols)
