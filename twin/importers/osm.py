"""Import OpenStreetMap data into district layers.

Reads ``.osm.pbf`` and ``.osm`` XML (pyosmium, multipolygon relations
assembled by libosmium's area assembler), Overpass JSON (``out body`` with
``>;`` recursion, or ``out geom``; multipolygons assembled here with the
even-odd rule) and GeoJSON of OSM features (osmtogeojson, QuickOSM, ...).

Tags are mapped to the buildings schema (:data:`twin.schema.BUILDINGS`) by
the table ``twin/params/osm_tags.csv``; every value that is not read from a
tag is flagged in ``use_source``, ``floors_source``, ``year_source`` and
``heating_source`` as ``inferred`` (derived from other tags or from other
buildings of the same import) or ``default`` (a documented default).

The readers (:mod:`twin.importers.osm_files`) turn a file into raw features
(id, tags, lon/lat geometry); duplicated footprints are merged
(:mod:`twin.importers.footprints`); the mapping functions (:func:`buildings_from_tags`,
:func:`chargers_from_tags`, :func:`streets_from_tags`) are pure functions on
GeoDataFrames.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry import Polygon

from twin import schema as sch
from twin._errors import input_error
from twin.district import MIN_POLYGON_AREA_M2
from twin.importers.footprints import MAX_OVERLAP_SHARE, drop_overlapping, merge_relation_outers
from twin.importers.osm_files import read_osm_file
from twin.importers.uses import infer_uses

__all__ = ["import_osm", "buildings_from_tags", "chargers_from_tags", "streets_from_tags",
           "parse_year", "parse_number", "parse_kw", "utm_crs", "tag_table", "OSMWarning"]

TAG_TABLE_PATH = Path(__file__).resolve().parent.parent / "params" / "osm_tags.csv"
ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
LICENCE = "ODbL-1.0 (https://opendatacommons.org/licenses/odbl/)"

class OSMWarning(UserWarning):
    """Input features that could not be turned into geometries (counted)."""


# ---------------------------------------------------------------------------
# The tag table
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TagTable:
    """The parsed ``osm_tags.csv``: tag → schema maps and defaults.

    Parameters
    ----------
    maps : dict
        ``(key, column)`` → {tag value → result}; value ``*`` matches any value.
    large : dict
        Building value → use for footprints at or above the unheated threshold.
    defaults : dict
        Default name → value (str).
    default_floors : dict
        Use → default storeys (``*`` for any other use).
    """

    maps: dict[tuple[str, str], dict[str, str]]
    large: dict[str, str]
    defaults: dict[str, str]
    default_floors: dict[str, int]

    def lookup(self, key: str, column: str, value: str | None) -> str | None:
        """Result for ``key=value`` on ``column``, or None."""
        if value is None:
            return None
        m = self.maps.get((key, column))
        if not m:
            return None
        value = value.split(";")[0].strip()
        return m.get(value, m.get("*"))

    def default(self, name: str) -> str:
        """A default value by name."""
        return self.defaults[name]


def tag_table(path: str | os.PathLike | None = None) -> TagTable:
    """Read the OSM tag table (default ``twin/params/osm_tags.csv``).

    Parameters
    ----------
    path : path-like, optional
        Another table with the same columns.

    Returns
    -------
    TagTable
    """
    if path is None:
        return _default_table()
    return _read_table(Path(path))


@lru_cache(maxsize=1)
def _default_table() -> TagTable:
    return _read_table(TAG_TABLE_PATH)


def _read_table(path: Path) -> TagTable:
    t = pd.read_csv(path, dtype=str, keep_default_na=False)
    maps: dict[tuple[str, str], dict[str, str]] = {}
    large: dict[str, str] = {}
    defaults: dict[str, str] = {}
    default_floors: dict[str, int] = {}
    for row in t.itertuples(index=False):
        if row.key == "default":
            defaults[row.value] = row.result
        elif row.key == "default_floors":
            default_floors[row.value] = int(row.result)
        else:
            maps.setdefault((row.key, row.column), {})[row.value] = row.result
            if row.result_large:
                large[row.value] = row.result_large
    return TagTable(maps, large, defaults, default_floors)


# ---------------------------------------------------------------------------
# Tag value parsers
# ---------------------------------------------------------------------------

_NUM = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def parse_number(text: object) -> float | None:
    """First number in an OSM value (``"3"``, ``"3.5"``, ``"3;4"``, ``"12 m"``, ``"4,5"``).

    Returns None when there is no number. Feet (``'`` or ``ft``) are converted
    to metres.
    """
    if text is None:
        return None
    s = str(text).strip()
    m = _NUM.search(s)
    if not m:
        return None
    v = float(m.group(0).replace(",", "."))
    if "ft" in s or "'" in s:
        v *= 0.3048  # international foot, exact by definition
    return v


_POWER = re.compile(r"(\d+(?:[.,]\d+)?)\s*(kw|mw|w)\b", re.I)
_VOLT = re.compile(r"(\d+(?:[.,]\d+)?)\s*v", re.I)
_AMP = re.compile(r"(\d+(?:[.,]\d+)?)\s*a\b", re.I)


def parse_kw(text: object) -> float | None:
    """Largest power in kW of a capacity text (OSM ``socket:*:output``, NOBIL connector capacity).

    Reads ``"22 kW"``, ``"50kW"``, ``"3700 W"``, ``"22"`` (kW), ``"3,6 kW"``,
    ``"43 kW AC; 50 kW DC"`` (largest part) and NOBIL's texts without a
    power, such as ``"230V 3-phase max 16A"``: P = U·I, times √3 for
    three-phase (IEC 61851-1 supply ratings).
    """
    if text is None:
        return None
    best = None
    for part in str(text).split(";"):
        m = _POWER.search(part)
        if m:
            v = float(m.group(1).replace(",", "."))
            unit = m.group(2).lower()
            v = v * 1000.0 if unit == "mw" else v / 1000.0 if unit == "w" else v
        else:
            u, i = _VOLT.search(part), _AMP.search(part)
            if u and i:
                phases = math.sqrt(3.0) if re.search(r"3[- ]?ph", part, re.I) else 1.0
                v = float(u.group(1).replace(",", ".")) * float(i.group(1).replace(",", ".")) * phases / 1000.0
            else:
                v = parse_number(part)
                if v is None:
                    continue
        best = v if best is None else max(best, v)
    return best


_CENTURY = re.compile(r"^(early|mid|late)?\s*c\s*(\d{1,2})$", re.I)
_DECADE = re.compile(r"^(\d{3})0s$")
_YEAR = re.compile(r"(\d{4})")


def parse_year(text: object) -> tuple[int | None, bool]:
    """Construction year from a ``start_date`` value.

    Handles ``"1965"``, ``"1965-05-01"``, ``"~1960"``, ``"1960s"``,
    ``"C19"``, ``"mid C19"`` and ``"1950..1960"``; ``"before 1900"`` and
    ``"after 1990"`` give no year (see :func:`year_bound`).

    Returns
    -------
    (year, exact) : tuple
        ``exact`` is False when the year was derived from a range, decade or
        century (the middle of the period).
    """
    if text is None:
        return None, False
    s = str(text).strip().lower()
    if not s:
        return None, False
    m = _CENTURY.match(s)
    if m:
        start = (int(m.group(2)) - 1) * 100
        part = {"early": (0, 33), "mid": (33, 67), "late": (67, 100)}.get(m.group(1) or "", (0, 100))
        return start + (part[0] + part[1]) // 2, False
    m = _DECADE.match(s)
    if m:
        return int(m.group(1)) * 10 + 5, False
    years = [int(y) for y in _YEAR.findall(s)]
    if not years:
        return None, False
    if ".." in s or (len(years) == 2 and re.search(r"\d{4}\s*[-–/]\s*\d{4}$", s)):
        return (years[0] + years[-1]) // 2, False
    if year_bound(s) is not None:  # "before 1964" says only that the year is earlier
        return None, False
    exact = s[:1].isdigit()
    return years[0], exact


_BOUND = re.compile(r"^(before|pre|after|post|<|>)\s*-?\s*(\d{4})$")


def year_bound(text: object) -> tuple[str, int] | None:
    """``("before", 1964)`` for ``"before 1964"``, ``"pre-1964"``, ``"<1964"``; ``("after", y)`` likewise."""
    if text is None:
        return None
    m = _BOUND.match(str(text).strip().lower())
    if not m:
        return None
    return ("before" if m.group(1) in ("before", "pre", "<") else "after"), int(m.group(2))


# ---------------------------------------------------------------------------
# Tag → schema mapping (pure functions)
# ---------------------------------------------------------------------------

def buildings_from_tags(raw: gpd.GeoDataFrame, *, table: TagTable | None = None,
                        pois: gpd.GeoDataFrame | None = None, landuse: gpd.GeoDataFrame | None = None,
                        parts: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Map OSM building features to the buildings schema.

    Parameters
    ----------
    raw : geopandas.GeoDataFrame
        Columns ``osm_id`` (e.g. ``"way/123"``), ``tags`` (dict) and polygon
        geometry, in a metric CRS (footprint areas are used).
    table : TagTable, optional
        The tag table; default ``twin/params/osm_tags.csv``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``building_id, use, floors, height_m, year, heating, name, address,
        osm_building`` and the provenance columns ``use_source,
        floors_source, year_source, heating_source`` (``tagged``,
        ``inferred`` or ``default``), same index and CRS as ``raw``.

    Notes
    -----
    Rules, in order:

    * ``use``: :func:`twin.importers.uses.infer_uses` — the building's own
      tags (tagged); else the points of interest inside it, the campus or
      ``landuse`` around it, its size (inferred); else documented defaults.
      Unknown ``building`` values are never homes by default. Garages and
      sheds with a footprint of at least ``unheated_max_footprint_m2``
      become ``warehouse``, smaller ones ``unheated``.
    * ``floors``: ``building:levels`` + ``roof:levels`` (tagged); else
      ``height`` / storey height (inferred); else the area-weighted storeys
      of the ``building:part`` areas inside it (inferred); else the median tagged storeys
      of buildings of the same use in the input (inferred); else the
      default for the use.
    * ``year``: ``start_date`` / ``construction_date`` / ``building:year``
      (tagged; inferred for decades, centuries and ranges); ``before 1964``
      / ``after 1990``: the median tagged year on that side of the bound
      (inferred); else the median tagged year of the input when at least
      ``year_median_min_share`` of the buildings have one (inferred); else
      the default.
    * ``heating``: ``heating`` / ``building:heating`` (tagged); ``none`` for
      unheated uses (inferred); else the default.
    """
    table = table or _default_table()
    if raw.crs is None or not CRS.from_user_input(raw.crs).is_projected:
        msg = "buildings_from_tags needs a projected (metric) CRS; use `to_crs()` first"
        raise ValueError(msg)
    n = len(raw)
    tags_list: list[dict[str, str]] = list(raw["tags"])
    area = raw.geometry.area.to_numpy()
    storey_h = float(table.default("storey_height_m"))
    apt_min = int(float(table.default("apartment_min_floors")))
    small = float(table.default("unheated_max_footprint_m2"))
    house_max = float(table.default("house_max_footprint_m2"))

    # floors and height from tags
    floors = np.full(n, np.nan)
    floors_src = np.array(["default"] * n, dtype=object)
    height = np.full(n, np.nan)
    hcol, fcol = sch.BUILDINGS.column("height_m"), sch.BUILDINGS.column("floors")
    ignored: list[str] = []  # tag values outside the schema's range (vandalism, typos, feet as metres)
    for i, t in enumerate(tags_list):
        h = parse_number(t.get("height") or t.get("building:height"))
        if h is not None and hcol.min <= h <= hcol.max:
            height[i] = h
        elif h is not None and h != 0:
            ignored.append(f"{raw['osm_id'].iloc[i]} height={t.get('height') or t.get('building:height')}")
        lv = parse_number(t.get("building:levels"))
        if lv is not None and lv >= 0:
            rl = parse_number(t.get("roof:levels")) or 0.0
            total = lv + max(rl, 0.0)
            if fcol.min <= round(total) <= fcol.max:
                floors[i] = round(total)
                floors_src[i] = "tagged"
                continue
            if total > fcol.max:
                ignored.append(f"{raw['osm_id'].iloc[i]} building:levels={t.get('building:levels')}")
        if not np.isnan(height[i]):
            floors[i] = min(max(1, round(height[i] / storey_h)), fcol.max)
            floors_src[i] = "inferred"
    if ignored:
        shown = ", ".join(ignored[:5]) + (" ..." if len(ignored) > 5 else "")
        warnings.warn(f"{len(ignored)} tag value(s) outside the schema's range were ignored "
                      f"(floors 1-{fcol.max:g}, height {hcol.min:g}-{hcol.max:g} m): {shown}",
                      OSMWarning, stacklevel=2)

    # floors from building:part areas (area-weighted storeys of the parts inside the outline)
    if parts is not None and len(parts) and (floors_src == "default").any():
        part_floors = _floors_from_parts(raw, parts, storey_h)
        fill = (floors_src == "default") & ~np.isnan(part_floors)
        floors[fill] = np.clip(part_floors[fill], fcol.min, fcol.max)
        floors_src[fill] = "inferred"

    # use (twin.importers.uses: own tags, points inside, area around, size, defaults)
    areas = None
    if landuse is not None and len(landuse):
        areas = landuse[landuse.geom_type.isin(["Polygon", "MultiPolygon"])]
    use, use_src = infer_uses(raw, floors, floors_src != "default", table=table, pois=pois, areas=areas)

    # floors still missing: median of tagged buildings of the same use, else default
    known = floors_src != "default"
    for i in np.flatnonzero(~known):
        same = known & (use == use[i])
        if same.any():
            floors[i] = max(1, round(float(np.median(floors[same]))))
            floors_src[i] = "inferred"
        else:
            floors[i] = table.default_floors.get(use[i], table.default_floors["*"])

    # year
    year = np.full(n, np.nan)
    year_src = np.array(["default"] * n, dtype=object)
    for i, t in enumerate(tags_list):
        for key in ("start_date", "construction_date", "building:year", "year_of_construction"):
            y, exact = parse_year(t.get(key))
            if y is not None and sch.BUILDINGS.column("year").min <= y <= sch.BUILDINGS.column("year").max:
                year[i] = y
                year_src[i] = "tagged" if exact else "inferred"
                break
    have = ~np.isnan(year)
    # the tagged years stand for the others only when enough are tagged (start_date is mapped
    # mostly on historic buildings: a biased sample); else the national default
    representative = have.any() and have.mean() >= float(table.default("year_median_min_share"))
    fill = float(np.median(year[have])) if representative else float(table.default("year"))
    fill_src = "inferred" if representative else "default"
    # "before 1964" / "after 1990": the median of the tagged years on that side, else next to the bound
    for i, t in enumerate(tags_list):
        if have[i]:
            continue
        bound = next((b for k in ("start_date", "construction_date", "building:year", "year_of_construction")
                      if (b := year_bound(t.get(k))) is not None), None)
        if bound is None:
            continue
        side, y0 = bound
        cand = year[have][year[have] < y0] if side == "before" else year[have][year[have] > y0]
        if len(cand):
            year[i] = round(float(np.median(cand)))
        elif (fill < y0) if side == "before" else (fill > y0):
            year[i] = round(fill)
        else:
            year[i] = y0 - 1 if side == "before" else y0 + 1
        year_src[i] = "inferred"
    unset = np.isnan(year)
    year_src[unset] = fill_src
    year[unset] = round(fill)
    ycol = sch.BUILDINGS.column("year")
    year = np.clip(year, ycol.min, ycol.max)

    # heating
    heating = np.empty(n, dtype=object)
    heat_src = np.array(["tagged"] * n, dtype=object)
    for i, t in enumerate(tags_list):
        h = table.lookup("heating", "heating", t.get("heating") or t.get("building:heating"))
        if h is not None:
            heating[i] = h
        elif use[i] == "unheated":
            heating[i], heat_src[i] = "none", "inferred"
        else:
            heating[i], heat_src[i] = table.default("heating"), "default"

    names = [t.get("name") for t in tags_list]
    addresses = [_address(t) for t in tags_list]
    out = gpd.GeoDataFrame(
        {
            "building_id": pd.array(list(raw["osm_id"]), dtype="str"),
            "use": pd.array(list(use), dtype="str"),
            "floors": pd.array(floors.astype(int), dtype="Int64"),
            "height_m": height,
            "year": pd.array(year.astype(int), dtype="Int64"),
            "heating": pd.array(list(heating), dtype="str"),
            "name": pd.array(names, dtype="str"),
            "address": pd.array(addresses, dtype="str"),
            "osm_building": pd.array([t.get("building") for t in tags_list], dtype="str"),
            # Norway's Matrikkel building number (the building import tags it), for linking to the register
            "ref_bygningsnr": pd.array([t.get("ref:bygningsnr") for t in tags_list], dtype="str"),
            "use_source": pd.array(list(use_src), dtype="str"),
            "floors_source": pd.array(list(floors_src), dtype="str"),
            "year_source": pd.array(list(year_src), dtype="str"),
            "heating_source": pd.array(list(heat_src), dtype="str"),
        },
        geometry=list(raw.geometry), crs=raw.crs, index=raw.index,
    )
    return out


def _floors_from_parts(raw: gpd.GeoDataFrame, parts: gpd.GeoDataFrame, storey_h: float) -> np.ndarray:
    """Storeys of each building from the ``building:part`` areas inside it (NaN when none has storeys).

    A part belongs to the building that contains its representative point;
    the building's storeys are the part storeys weighted by part area
    (``building:levels`` + ``roof:levels``, else ``height`` / storey height).
    """
    out = np.full(len(raw), np.nan)
    lv = []
    for t in parts["tags"]:
        v = parse_number(t.get("building:levels"))
        if v is not None and v >= 0:
            v += max(parse_number(t.get("roof:levels")) or 0.0, 0.0)
        else:
            h = parse_number(t.get("height") or t.get("building:height"))
            v = h / storey_h if h is not None and h > 0 else None
        lv.append(np.nan if v is None or v < 1 else v)
    lv_arr = np.array(lv, dtype=float)
    ok = ~np.isnan(lv_arr)
    if not ok.any():
        return out
    sub = parts[ok]
    pts = sub.geometry.representative_point().to_numpy()
    b_idx, p_idx = raw.sindex.query(pts, predicate="within")[::-1]
    w = sub.geometry.area.to_numpy()
    num = np.bincount(b_idx, weights=w[p_idx] * lv_arr[ok][p_idx], minlength=len(raw))
    den = np.bincount(b_idx, weights=w[p_idx], minlength=len(raw))
    has = den > 0
    out[has] = np.round(num[has] / den[has])
    return out


def _address(tags: dict[str, str]) -> str | None:
    street = tags.get("addr:street")
    number = tags.get("addr:housenumber")
    if street and number:
        return f"{street} {number}"
    return street or None


def chargers_from_tags(raw: gpd.GeoDataFrame, *, table: TagTable | None = None) -> gpd.GeoDataFrame:
    """Map ``amenity=charging_station`` features to the charging-points schema.

    Parameters
    ----------
    raw : geopandas.GeoDataFrame
        Columns ``osm_id``, ``tags`` (dict) and any geometry (areas and ways
        become their representative point).
    table : TagTable, optional
        The tag table.

    Returns
    -------
    geopandas.GeoDataFrame
        ``charger_id, kw, connectors, public, name, operator, kw_source,
        connectors_source``.

    Notes
    -----
    ``kw`` is the largest ``socket:*:output`` (or ``maxpower``/``output``);
    ``connectors`` is ``capacity``, else the sum of the ``socket:<type>``
    counts; ``public`` is False for ``access=private|no|permit|employees|
    residents`` and True otherwise (``customers`` counts as public).
    """
    table = table or _default_table()
    rows = []
    for osm_id, t in zip(raw["osm_id"], raw["tags"], strict=True):
        outputs = [parse_kw(v) for k, v in t.items()
                   if (k.startswith("socket:") and k.endswith(":output")) or k in ("maxpower", "output")]
        outputs = [o for o in outputs if o is not None and o > 0]
        kw, kw_src = (max(outputs), "tagged") if outputs else (float(table.default("charger_kw")), "default")
        cap = parse_number(t.get("capacity"))
        if cap is not None and cap >= 1:
            conn, conn_src = int(cap), "tagged"
        else:
            counts = [parse_number(v) for k, v in t.items()
                      if k.startswith("socket:") and k.count(":") == 1]
            total = sum(int(c) for c in counts if c is not None and c >= 1)
            if total >= 1:
                conn, conn_src = total, "inferred"
            else:
                conn, conn_src = int(table.default("charger_connectors")), "default"
        acc = table.lookup("access", "public", t.get("access"))
        public = (acc if acc is not None else table.default("charger_public")) == "true"
        rows.append((osm_id, kw, conn, public, t.get("name"), t.get("operator"), kw_src, conn_src))
    cols = ["charger_id", "kw", "connectors", "public", "name", "operator", "kw_source", "connectors_source"]
    df = pd.DataFrame(rows, columns=cols)
    geom = [_as_point(g) for g in raw.geometry]
    out = gpd.GeoDataFrame(
        {
            "charger_id": pd.array(list(df["charger_id"]), dtype="str"),
            "kw": df["kw"].astype(float).to_numpy(),
            "connectors": pd.array(list(df["connectors"]), dtype="Int64"),
            "public": df["public"].astype(bool).to_numpy(),
            "name": pd.array(list(df["name"]), dtype="str"),
            "operator": pd.array(list(df["operator"]), dtype="str"),
            "kw_source": pd.array(list(df["kw_source"]), dtype="str"),
            "connectors_source": pd.array(list(df["connectors_source"]), dtype="str"),
        },
        geometry=geom, crs=raw.crs,
    )
    return out


def _as_point(g: Any) -> Any:
    if g is None or g.is_empty or g.geom_type == "Point":
        return g
    return g.representative_point()


def streets_from_tags(raw: gpd.GeoDataFrame, *, table: TagTable | None = None) -> gpd.GeoDataFrame:
    """Keep the highway lines that can be walked and map them to the streets schema.

    Parameters
    ----------
    raw : geopandas.GeoDataFrame
        Columns ``osm_id``, ``tags`` and line geometry.
    table : TagTable, optional
        The tag table (``highway`` rows with ``street=walkable``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``street_id, name, highway``; ways tagged ``foot=no``, ``area=yes``
        or ``access=private|no`` (without ``foot=yes|designated``) are dropped.
    """
    table = table or _default_table()
    keep = []
    for t in raw["tags"]:
        ok = table.lookup("highway", "street", t.get("highway")) == "walkable"
        foot = t.get("foot")
        if foot == "no" or t.get("area") == "yes":
            ok = False
        if t.get("access") in ("private", "no") and foot not in ("yes", "designated", "permissive"):
            ok = False
        keep.append(ok)
    sub = raw[np.array(keep, dtype=bool)] if len(raw) else raw
    return gpd.GeoDataFrame(
        {
            "street_id": pd.array(list(sub["osm_id"]), dtype="str"),
            "name": pd.array([t.get("name") for t in sub["tags"]], dtype="str"),
            "highway": pd.array([t.get("highway") for t in sub["tags"]], dtype="str"),
        },
        geometry=list(sub.geometry), crs=raw.crs,
    )


# ---------------------------------------------------------------------------
# CRS
# ---------------------------------------------------------------------------

def utm_crs(lon: float, lat: float) -> str:
    """UTM zone CRS of a lon/lat point: ETRS89 / UTM (EPSG:258zz) in Europe, WGS 84 / UTM elsewhere.

    Examples
    --------
    >>> utm_crs(10.6, 59.9)   # Oslo
    'EPSG:25832'
    >>> utm_crs(24.94, 60.17)  # Helsinki
    'EPSG:25835'
    """
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    # ETRS89 / UTM zones 28N-38N cover Europe (EPSG:25828-25838)
    if 28 <= zone <= 38 and 34.0 <= lat <= 84.0:
        return f"EPSG:{25800 + zone}"
    return f"EPSG:{32600 + zone}" if lat >= 0 else f"EPSG:{32700 + zone}"


#: Smallest footprint imported as a building (the district schema refuses smaller ones).
MIN_FOOTPRINT_M2 = MIN_POLYGON_AREA_M2


def _frame(items: list[tuple[str, dict, Any]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"osm_id": [i[0] for i in items], "tags": [i[1] for i in items]},
                            geometry=[i[2] for i in items], crs="EPSG:4326")


# ---------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------

def import_osm(path: str | os.PathLike, *, bbox: tuple[float, float, float, float] | None = None,
               crs: str | None = None, population: gpd.GeoDataFrame | None = None
               ) -> dict[str, gpd.GeoDataFrame]:
    """Read OSM data into district layers.

    Parameters
    ----------
    path : path-like
        ``.osm.pbf``, ``.osm`` (XML), Overpass JSON or GeoJSON of OSM features.
    bbox : (minx, miny, maxx, maxy), optional
        Longitude/latitude box; features intersecting it are kept (whole).
    crs : str, optional
        Output CRS; default the UTM zone of the buildings' centroid
        (ETRS89 / UTM, EPSG:258zz, in Europe).
    population : geopandas.GeoDataFrame, optional
        A population grid (:func:`twin.population.read_population_grid`):
        ``residents`` are allocated to the buildings by residential floor
        area, each cell's count exactly (buildings of the file outside the
        bbox take their share of the edge cells).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``buildings``, ``charging_points`` (may be empty) and ``streets``
        (walkable highways, may be empty), in the output CRS; with a grid
        also ``population`` (the cells that touch the buildings).

    Raises
    ------
    InputError
        Unknown file type, unreadable or corrupt file, bad bbox, or no
        buildings in the input (or in the bbox).

    Notes
    -----
    Buildings are closed ways and ``type=multipolygon`` relations tagged
    ``building=*`` (not ``building=no``), each physical building once: a
    building way that is also the outer ring of a building multipolygon is
    merged into the relation (:func:`merge_relation_outers`); a footprint
    lying more than half inside a larger one is a part of it
    (:func:`drop_overlapping`), as are ``building:part`` areas, whose storeys
    inform the building's. ``type=building`` relations only group an outline
    with its parts and are not read. Footprints under 1 m² are left out.

    Warns
    -----
    OSMWarning
        When building ways or relations could not be given a geometry
        (nodes or member ways missing from a clipped extract); they are
        counted and the first ids listed.
    """
    path = Path(path)
    raw = read_osm_file(path)
    where = str(path)
    if raw.skipped:
        shown = ", ".join(raw.skipped[:5]) + (" ..." if len(raw.skipped) > 5 else "")
        warnings.warn(f"{where}: {len(raw.skipped)} building(s) have no complete geometry in the "
                      f"file (nodes or member ways missing, e.g. cut by the extract) and were "
                      f"left out: {shown}", OSMWarning, stacklevel=2)
    merged, dropped_ways = merge_relation_outers(raw.buildings, raw.outer_of)
    b, c, s = _frame(merged), _frame(raw.chargers), _frame(raw.streets)
    pois, landuse, parts = _frame(raw.pois), _frame(raw.landuse), _frame(raw.parts)
    b = b[~b.geometry.is_empty]
    outside = b.iloc[:0]
    if bbox is not None:
        box = _bbox(bbox, where)
        inside = b.intersects(box)
        outside = b[~inside]
        b, c, s = b[inside], c[c.intersects(box)], s[s.intersects(box)]
    if len(b) == 0:
        what = "no buildings in the bbox" if bbox is not None else "no building polygons in the file"
        raise input_error(where, what, "check the file and --bbox (lon/lat: minx,miny,maxx,maxy)")
    if crs is None:
        lon, lat = _centroid_lonlat(b)
        crs = utm_crs(lon, lat)
    try:
        target = CRS.from_user_input(crs)
    except Exception:  # pyproj raises CRSError; keep the message short
        raise input_error(where, f"unknown CRS '{crs}'", "give an EPSG code such as EPSG:25833") from None
    if not target.is_projected:
        raise input_error(where, f"CRS '{crs}' is not metric", "give a projected CRS such as EPSG:25833")
    table = _default_table()
    b = b.to_crs(target)
    tiny = (b.geometry.area < MIN_FOOTPRINT_M2).to_numpy()
    if tiny.any():  # slivers and mis-drawn nodes: no building (twin check refuses them)
        ids = list(b["osm_id"][tiny])
        warnings.warn(f"{where}: {len(ids)} building footprint(s) smaller than {MIN_FOOTPRINT_M2:g} m² were "
                      f"left out: {', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}", OSMWarning, stacklevel=2)
        b = b[~tiny]
        if len(b) == 0:
            raise input_error(where, "no building footprint of 1 m² or more", "check the file and --bbox")
    n_in = len(b)
    if population is not None and len(outside):
        # buildings outside the bbox that share its edge cells take their share of those cells
        grid = population.to_crs(target)
        cells = grid.iloc[np.unique(grid.sindex.query(b.geometry.to_numpy(), predicate="intersects")[1])]
        outside = outside.to_crs(target)
        near = np.unique(cells.sindex.query(outside.geometry.to_numpy(), predicate="intersects")[0])
        b = pd.concat([b, outside.iloc[near]])
    b = b.reset_index(drop=True)
    b_all = b
    b, dropped = drop_overlapping(b)
    parts = parts.to_crs(target)
    if dropped:  # the smaller footprint of each pair is a part of the larger one
        gone = b_all[b_all["osm_id"].isin([d for d, _ in dropped])]
        parts = pd.concat([parts, gone], ignore_index=True)
        shown = ", ".join(f"{d} (same as {k})" for d, k in dropped[:5]) + (" ..." if len(dropped) > 5 else "")
        warnings.warn(f"{where}: {len(dropped)} footprint(s) overlapping another building by more than "
                      f"{MAX_OVERLAP_SHARE:.0%} of the smaller one were taken as parts of it and "
                      f"not counted again: {shown}", OSMWarning, stacklevel=2)
    mapped = buildings_from_tags(b, table=table, pois=pois.to_crs(target),
                                 landuse=landuse.to_crs(target), parts=parts)
    in_bbox = mapped.index < n_in
    buildings = mapped[in_bbox].reset_index(drop=True)
    layers = {"buildings": buildings}
    residents_from = "estimated from floor area only (no population grid)"
    if population is not None:
        from twin.population import add_residents

        buildings, cells, residents_from = add_residents(
            buildings, population, context=mapped[~in_bbox].reset_index(drop=True),
            where=str(population.attrs.get("path", "population grid")))
        layers = {"buildings": buildings, "population": cells}
    kept = set(buildings["building_id"])
    buildings.attrs["duplicates_merged"] = (sum(raw.outer_of[w] in kept for w in dropped_ways)
                                            + sum(k in kept for _, k in dropped))
    buildings.attrs["residents_from"] = residents_from
    layers["charging_points"] = chargers_from_tags(c.to_crs(target), table=table).reset_index(drop=True)
    layers["streets"] = streets_from_tags(s.to_crs(target), table=table).reset_index(drop=True)
    for g in layers.values():
        g.attrs["osm"] = True  # write_imported adds the ODbL attribution
    return layers


def _bbox(bbox: tuple[float, float, float, float], where: str) -> Polygon:
    try:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise input_error(where, f"bbox {bbox!r} is not four numbers",
                          "give --bbox minx,miny,maxx,maxy in degrees") from None
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise input_error(where, f"bbox {bbox!r} is not a lon/lat box with min < max",
                          "give --bbox minx,miny,maxx,maxy in degrees (longitude first)")
    return shapely.box(minx, miny, maxx, maxy)


def _centroid_lonlat(gdf: gpd.GeoDataFrame) -> tuple[float, float]:
    minx, miny, maxx, maxy = gdf.total_bounds
    return (minx + maxx) / 2.0, (miny + maxy) / 2.0

