"""The country of a district and the defaults that differ by country.

A district's ``country`` (ISO 3166 code NO, SE, DK or FI) comes from the
manifest key ``country``; when missing it is inferred from the location of
the buildings. It selects the defaults of ``twin/params/country_defaults.csv``:
the electricity emission-factor set, the district-heat factor and the travel
survey (``mobility_travel.csv`` rows of the country: RVU for Norway, TU
2006-2017 for Denmark, HLT 2021 for Finland; Sweden has none bundled).
Sweden and Denmark have their own district-heat factors (Energiföretagen's
network median, BR18 Tabel 8) and Denmark BR18's electricity trajectory.
Where the table has no national value
for the country (``national`` false: a whole survey, or single travel
parameters the country's survey lacks, which then take Norway's row) the
default falls back to another country's value and a warning names it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

PARAMS = Path(__file__).parent / "params"

#: Countries with defaults.
COUNTRIES: tuple[str, ...] = ("NO", "SE", "DK", "FI")

# Approximate Norway-Sweden border: longitude of the border at a latitude
# (Natural Earth 1:10m admin-0 boundary read at whole degrees); east of it is Sweden.
_NO_SE_BORDER = np.array([
    (58.9, 11.45), (59.5, 11.8), (60.0, 12.4), (61.0, 12.6), (62.0, 12.3), (63.0, 12.1),
    (64.0, 13.9), (65.0, 14.3), (66.0, 15.3), (67.0, 16.4), (68.0, 18.0), (68.5, 19.5),
    (69.0, 20.6),
])


class CountryWarning(UserWarning):
    """A default of another country was used for the district's country."""


@dataclass(frozen=True)
class CountryDefaults:
    """Defaults selected by a district's country.

    Attributes
    ----------
    country : str
        ISO code.
    inferred : bool
        True when the country was inferred from the location.
    emission_set : str
        Electricity emission-factor set (``emission_factors.csv``).
    dh_emission_set : str
        District-heat factor choice (``dh_defaults.csv`` row ``dh_co2_g_kwh_<choice>``).
    travel_survey : str
        Travel survey of the mobility parameters.
    fallbacks : tuple of str
        Parameters whose default is another country's value.
    """

    country: str
    inferred: bool
    emission_set: str
    dh_emission_set: str
    travel_survey: str
    fallbacks: tuple[str, ...] = ()


def country_from_lonlat(lon: float, lat: float) -> str:
    """The Nordic country (NO, SE, DK, FI) of a point, from coarse borders.

    Denmark: Jutland, the islands west of the Øresund, Bornholm; Finland: east
    of the Gulf of Bothnia (21° E south of 63.5° N, 23° E to 65.8° N) and of
    the Torne river (23.9° E) north of it; north of 69.3° N Norway; Norway and
    Sweden: split by the
    Norway-Sweden border polyline (coarse, ±20 km). Good enough to pick
    national defaults; give ``country`` in the manifest near a border.
    """
    if (lat < 56.2 and lon < 12.65) or (lat < 57.8 and lon < 11.0) or (14.6 <= lon <= 15.3 and 54.9 <= lat <= 55.4):
        return "DK"
    if lat > 69.3:
        return "NO"
    fi_lon = 21.0 if lat < 63.5 else (23.0 if lat < 65.8 else 23.9)
    if lat > 59.6 and lon > fi_lon:
        return "FI"
    border = np.interp(lat, _NO_SE_BORDER[:, 0], _NO_SE_BORDER[:, 1])
    return "SE" if lon > border else "NO"


def district_country(district) -> tuple[str, bool]:  # noqa: ANN001
    """A district's country and whether it was inferred from its location.

    Parameters
    ----------
    district : twin.district.District
        The district (manifest key ``country`` checked at load).

    Returns
    -------
    country : str
    inferred : bool
    """
    given = district.manifest.get("country") if district.manifest else None
    if given:
        return str(given), False
    b = district.buildings
    if b is None or len(b) == 0 or b.crs is None:
        return "NO", True
    import pyproj

    x0, y0, x1, y1 = b.total_bounds
    lon, lat = pyproj.Transformer.from_crs(b.crs, "EPSG:4326", always_xy=True).transform(
        (x0 + x1) / 2, (y0 + y1) / 2)
    return country_from_lonlat(float(lon), float(lat)), True


def country_table() -> pd.DataFrame:
    """``twin/params/country_defaults.csv``."""
    return pd.read_csv(PARAMS / "country_defaults.csv", dtype=str)


def country_defaults(country: str, *, inferred: bool = False) -> CountryDefaults:
    """The defaults of a country, with the parameters that fall back to another country's value."""
    t = country_table()
    rows = t[t["country"] == country].set_index("parameter")
    if rows.empty:
        msg = f"unknown country {country!r}; use one of {', '.join(COUNTRIES)}"
        raise ValueError(msg)
    fallbacks = tuple(p for p, nat in rows["national"].items() if str(nat).lower() != "true")
    return CountryDefaults(country=country, inferred=inferred, emission_set=rows.loc["emission_set", "value"],
                           dh_emission_set=rows.loc["dh_emission_set", "value"],
                           travel_survey=rows.loc["travel_survey", "value"], fallbacks=fallbacks)


def warn_fallbacks(defaults: CountryDefaults, *, overridden: tuple[str, ...] = ()) -> None:
    """Warn once per default that uses another country's value (unless the scenario overrides it)."""
    t = country_table()
    rows = t[t["country"] == defaults.country].set_index("parameter")
    how = "inferred from the location" if defaults.inferred else "from district.yaml"
    for p in defaults.fallbacks:
        if p in overridden:
            continue
        warnings.warn(f"country {defaults.country} ({how}): default {p} = {rows.loc[p, 'value']} is not a "
                      f"{defaults.country} value: {rows.loc[p, 'source']}", CountryWarning, stacklevel=2)
