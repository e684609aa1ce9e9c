"""Building use from OpenStreetMap evidence: the building's tags, what lies inside it, where it stands.

OSM marks most city-centre buildings ``building=yes``; the use must then be
read from other evidence. :func:`infer_uses` weighs, in this order (first
decisive rule wins; every rule is a row of ``twin/params/osm_tags.csv`` with
its source):

1. **The building's own tags** (``tagged``): a specific ``building`` value
   (``apartments``, ``school``); for generic or form-only values (``yes``,
   ``commercial``, ``tower``, ``construction``) the building's ``amenity``,
   ``shop``, ``office``, ``tourism``, ``healthcare`` or ``leisure`` tag
   (``building=tower`` + ``tourism=hotel`` is a hotel). A ``shop`` tag on a
   building taller than ``retail_max_floors`` or tagged
   ``building=residential`` is its ground-floor shop (department stores and
   malls excepted) and counts as in rule 2.
2. **Points of interest inside the footprint** (``inferred``): the most
   frequent use of the non-retail POIs (offices, hotels, clinics, schools)
   decides. Shops, cafés and restaurants sit on ground floors: they decide
   only for buildings of at most ``retail_max_floors`` storeys; a taller
   building with shops is judged by rule 3-5 (flats or offices above shops).
3. **The area it stands in** (``inferred``): a campus or grounds tagged
   ``amenity=school|hospital|university|...`` around it, else the
   ``landuse`` polygon around it (``commercial`` → office, ``retail`` →
   retail, ``industrial`` → industrial, ``residential`` → homes by size).
4. **Size** (``inferred``): an untyped footprint below
   ``unheated_max_footprint_m2`` with no other evidence is an outbuilding
   (unheated); homes are apartment blocks from ``apartment_min_floors``
   storeys or above ``house_max_footprint_m2`` footprint, else houses.
5. **Defaults** (``default``): generic values with a documented fallback
   (``use_commercial``, ``use_tower``, ...); values the table does not know
   (``atrium``, ``ship``, ``guardhouse``) get ``use_unknown``, never a home;
   ``building=yes`` with no evidence at all gets ``use`` (the commonest
   dwelling type) or the size rule.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from twin.importers.osm import TagTable

__all__ = ["infer_uses", "USE_KEYS"]

#: Tags of a building (or of a POI) that name a use, in order of precedence.
USE_KEYS = ("amenity", "healthcare", "office", "tourism", "shop", "leisure")
#: Special result in the landuse rows: homes, apartment or house by storeys and size.
RESIDENTIAL = "residential"
#: Shops that fill a whole building whatever its height (OSM Wiki, Tag:shop=department_store, shop=mall).
WHOLE_BUILDING_SHOPS = ("department_store", "mall")


def _value(tags: dict[str, str], key: str) -> str | None:
    v = tags.get(key)
    return v.split(";")[0].strip() if v else None


def use_of_tags(tags: dict[str, str], table: "TagTable") -> str | None:
    """The use named by a feature's ``amenity``/``healthcare``/``office``/... tags, or None."""
    for key in USE_KEYS:
        r = table.lookup(key, "use", _value(tags, key))
        if r is not None and r != "*":
            return r
    return None


def _contained(points: gpd.GeoDataFrame | None, buildings: gpd.GeoDataFrame) -> dict[int, list[dict]]:
    """Tags of the points inside each building (by positional index)."""
    out: dict[int, list[dict]] = {}
    if points is None or len(points) == 0:
        return out
    b_idx, p_idx = buildings.sindex.query(points.geometry.to_numpy(), predicate="within")[::-1]
    tags = list(points["tags"])
    for b, p in zip(b_idx, p_idx, strict=True):
        out.setdefault(int(b), []).append(tags[int(p)])
    return out


def _containing(areas: gpd.GeoDataFrame | None, buildings: gpd.GeoDataFrame) -> dict[int, list[dict]]:
    """Tags of the areas that contain each building's representative point, smallest area first."""
    out: dict[int, list[dict]] = {}
    if areas is None or len(areas) == 0:
        return out
    pts = buildings.geometry.representative_point().to_numpy()
    a_idx, b_idx = areas.sindex.query(pts, predicate="within")[::-1]
    area = areas.geometry.area.to_numpy()
    tags = list(areas["tags"])
    for b, a in sorted(zip(b_idx, a_idx, strict=True), key=lambda ba: (ba[0], area[ba[1]])):
        out.setdefault(int(b), []).append(tags[int(a)])
    return out


def infer_uses(buildings: gpd.GeoDataFrame, floors: np.ndarray, floors_known: np.ndarray, *,
               table: "TagTable", pois: gpd.GeoDataFrame | None = None,
               areas: gpd.GeoDataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Use of every building and where it came from (``tagged``, ``inferred``, ``default``).

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        ``tags`` and polygons in a metric CRS.
    floors : numpy.ndarray
        Storeys per building (NaN when unknown).
    floors_known : numpy.ndarray of bool
        Whether ``floors`` came from tags (or height).
    table : TagTable
        The tag table (``building``, ``amenity``, ..., ``landuse`` rows and
        the defaults ``retail_max_floors``, ``apartment_min_floors``,
        ``house_max_footprint_m2``, ``unheated_max_footprint_m2``,
        ``use``, ``use_unknown``, ``use_<building value>``).
    pois : geopandas.GeoDataFrame, optional
        Points with ``tags`` (shops, offices, ... mapped as nodes).
    areas : geopandas.GeoDataFrame, optional
        Polygons with ``tags``: ``landuse=*`` and non-building areas with a
        use tag (school grounds, hospital campuses).

    Returns
    -------
    (use, source) : tuple of numpy.ndarray
        Object arrays, one entry per building.
    """
    n = len(buildings)
    tags_list: list[dict[str, str]] = list(buildings["tags"])
    footprint = buildings.geometry.area.to_numpy()
    small = float(table.default("unheated_max_footprint_m2"))
    house_max = float(table.default("house_max_footprint_m2"))
    apt_min = float(table.default("apartment_min_floors"))
    retail_max = float(table.default("retail_max_floors"))
    inside = _contained(pois, buildings)
    around = _containing(areas, buildings)
    building_map = table.maps.get(("building", "use"), {})

    def homes(i: int) -> str:
        if floors_known[i]:
            return "apartment" if floors[i] >= apt_min or footprint[i] > house_max else "house"
        return "apartment" if footprint[i] > house_max else table.default("use")

    use = np.empty(n, dtype=object)
    src = np.empty(n, dtype=object)
    for i, t in enumerate(tags_list):
        bval = _value(t, "building") or "yes"
        known = bval in building_map
        res = building_map.get(bval)
        # 1. the building's own tags
        own = use_of_tags(t, table)
        tall = floors_known[i] and floors[i] > retail_max
        if own == "retail" and (res == RESIDENTIAL or tall) and _value(t, "shop") not in WHOLE_BUILDING_SHOPS:
            own = None  # a shop tag on a tall or residential building: the shop on its ground floor
        if res == RESIDENTIAL:  # building=residential: a home; its type from storeys and size
            use[i], src[i] = (own, "tagged") if own is not None else (homes(i), "inferred")
            continue
        if known and res != "*":
            use[i], src[i] = res, "tagged"
            if bval in table.large and footprint[i] >= small:
                use[i] = table.large[bval]
            continue
        if own is not None:
            use[i], src[i] = own, "tagged"
            continue
        # 2. points of interest inside the footprint
        votes = Counter(u for u in (use_of_tags(p, table) for p in inside.get(i, [])) if u is not None)
        upper = Counter({u: c for u, c in votes.items() if u not in ("retail", "unheated")})
        low_rise = floors_known[i] and floors[i] <= retail_max
        if use_of_tags(t, table) == "retail":  # its own shop tag counts as a shop inside
            votes["retail"] += 1
        if upper:
            use[i], src[i] = upper.most_common(1)[0][0], "inferred"
            continue
        if votes.get("retail") and (low_rise or not floors_known[i] and footprint[i] <= house_max):
            use[i], src[i] = "retail", "inferred"
            continue
        fallback = table.defaults.get(f"use_{bval}") if known else table.default("use_unknown")
        if known and fallback is not None:  # a generic value with its own default (commercial, tower)
            use[i], src[i] = fallback, "default"
            continue
        # 3. the campus or landuse around it
        placed = None
        for a in around.get(i, []):
            placed = use_of_tags(a, table) or table.lookup("landuse", "use", _value(a, "landuse"))
            if placed is not None:
                break
        if placed == RESIDENTIAL and known:  # small untyped buildings among homes are outbuildings
            use[i], src[i] = ("unheated" if footprint[i] < small else homes(i)), "inferred"
            continue
        if placed is not None and placed != RESIDENTIAL:
            use[i], src[i] = placed, "inferred"
            continue
        if not known:  # 5. a value the table does not know: never a home by default
            use[i], src[i] = ("unheated" if footprint[i] < small else fallback), "default"
            continue
        # 4. size; 5. default
        if footprint[i] < small:
            use[i], src[i] = "unheated", "inferred"
        elif floors_known[i] or footprint[i] > house_max:
            use[i], src[i] = homes(i), "inferred"
        else:
            use[i], src[i] = table.default("use"), "default"
    return use, src
