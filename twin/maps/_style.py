"""Colour classes for the map: class breaks (from ``classes.csv``) and palettes.

Break values are data (``twin/maps/classes.csv``, each with a source); the
palettes are ColorBrewer schemes (Harrower & Brewer, The Cartographic Journal
40(1), 2003), chosen to read for colour-blind viewers.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from twin.schema import HEATING

_CSV = Path(__file__).with_name("classes.csv")

#: ColorBrewer sequential / diverging palettes, light to dark.
YLORRD5 = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
BLUES5 = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
PURPLES5 = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
#: green (close) to red (far)
RDYLGN5_REV = ("#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c")
#: "no data" fill
NODATA = "#bdbdbd"
#: dry building (flood depth 0)
DRY = "#f7f7f7"

#: Heating systems: ColorBrewer Set2/Paired picks, fossil in dark red/brown.
HEATING_COLOURS: dict[str, str] = {
    "district_heating": "#e7298a",
    "hp_air_water": "#1b9e77",
    "hp_ground": "#006d2c",
    "hp_air_air": "#66c2a5",
    "electric": "#fdd835",
    "oil": "#7f2704",
    "gas": "#a6761d",
    "bio": "#8da0cb",
    "none": "#ffffff",
}
assert set(HEATING_COLOURS) == set(HEATING)

DH_YES = "#e7298a"
DH_NO = "#d9d9d9"


@lru_cache(maxsize=1)
def _table() -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    with _CSV.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["key"], []).append(float(row["value"]))
    return out


def breaks(key: str) -> tuple[float, ...]:
    """Class breaks (ascending) for ``key`` from ``classes.csv``."""
    return tuple(sorted(_table()[key]))


def param(key: str) -> float:
    """A single display parameter from ``classes.csv``."""
    return _table()[key][0]


@dataclass(frozen=True)
class Classes:
    """A classification: breaks and one colour per class.

    ``len(colours) == len(breaks) + 1``; class ``i`` holds values in
    ``[breaks[i-1], breaks[i])``.
    """

    breaks: tuple[float, ...]
    colours: tuple[str, ...]

    def classify(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Class index per value; ``-1`` where the value is NaN (no data)."""
        v = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype="float64")
        idx = np.digitize(v, self.breaks, right=False).astype("int64")
        idx[~np.isfinite(v)] = -1
        return idx


def numeric_classes(key: str, palette: tuple[str, ...]) -> Classes:
    """Classes for a numeric indicator with breaks from ``classes.csv``."""
    b = breaks(key)
    return Classes(b, tuple(palette[: len(b) + 1]))
