"""Each physical building once: merge duplicated OSM footprints.

OSM maps some buildings twice: a ``building=*`` way that is also the outer
ring of a ``building=*`` multipolygon relation, or an outline with a second
``building=*`` footprint inside it (church towers, a wing with its own
storeys, a ``building:part`` also tagged ``building``). Counting both adds
floor area, residents and energy that do not exist.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["merge_relation_outers", "drop_overlapping", "MAX_OVERLAP_SHARE"]


def merge_relation_outers(buildings: list[tuple[str, dict, Any]], outer_of: dict[str, str]
                          ) -> tuple[list[tuple[str, dict, Any]], list[str]]:
    """Count a building once when a ``building=*`` way is also the outer ring of a building multipolygon.

    The relation is kept (it carries the holes); the way's tags fill the
    relation's missing tags (``building:levels`` is often on the way).

    Parameters
    ----------
    buildings : list of (osm_id, tags, geometry)
        Raw building features.
    outer_of : dict
        ``"way/ID"`` → ``"relation/ID"`` for outer members of building relations.

    Returns
    -------
    (kept, dropped)
        The buildings without the duplicated ways, and the dropped way ids.
    """
    rel_index = {oid: i for i, (oid, _, _) in enumerate(buildings) if oid.startswith("relation/")}
    kept: list[tuple[str, dict, Any]] = []
    dropped: list[str] = []
    way_tags: dict[str, dict] = {}
    for oid, tags, g in buildings:
        rel = outer_of.get(oid)
        if rel is not None and rel in rel_index:
            dropped.append(oid)
            for k, v in tags.items():
                way_tags.setdefault(rel, {}).setdefault(k, v)
            continue
        kept.append((oid, tags, g))
    out = []
    for oid, tags, g in kept:
        if oid in way_tags:
            tags = {**way_tags[oid], **tags}
        out.append((oid, tags, g))
    return out, dropped


#: Share of the smaller footprint above which two buildings are taken as one.
MAX_OVERLAP_SHARE = 0.5


def drop_overlapping(buildings: gpd.GeoDataFrame, *, max_share: float = MAX_OVERLAP_SHARE
                     ) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]]]:
    """Drop footprints that overlap another by more than ``max_share`` of the smaller one's area.

    Such pairs are the same physical building mapped twice (a way and a
    relation, two imports). Overlaps the data explain are kept: different
    ``layer`` tags, a ``location`` tag (underground, roof), or
    ``building=roof``/``bridge`` over another building. Of a pair the
    larger footprint (the outline) is kept (ties: the one with more tags);
    the smaller one is a part of it (towers of a church, a wing with its
    own storeys) and can be passed on as a ``building:part``.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        ``osm_id``, ``tags`` and polygons in a metric CRS.
    max_share : float
        Overlap threshold as a share of the smaller footprint.

    Returns
    -------
    (kept, dropped)
        The buildings without duplicates, and (dropped id, kept id) pairs.
    """
    if len(buildings) < 2:
        return buildings, []
    geoms = buildings.geometry.to_numpy()
    area = shapely.area(geoms)
    left, right = buildings.sindex.query(geoms, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    inter = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    share = inter / np.maximum(np.minimum(area[left], area[right]), 1e-9)
    tags = list(buildings["tags"])
    ids = list(buildings["osm_id"])
    drop: set[int] = set()
    dropped: list[tuple[str, str]] = []
    for i, j in zip(left[share > max_share], right[share > max_share], strict=True):
        if i in drop or j in drop or _overlap_explained(tags[i], tags[j]):
            continue
        keep_i = (round(area[i]), len(tags[i])) >= (round(area[j]), len(tags[j]))
        lose, win = (j, i) if keep_i else (i, j)
        drop.add(int(lose))
        dropped.append((ids[lose], ids[win]))
    mask = np.ones(len(buildings), bool)
    mask[list(drop)] = False
    return buildings[mask], dropped


def _overlap_explained(a: dict[str, str], b: dict[str, str]) -> bool:
    if any(t.get("building:part", "no") != "no" for t in (a, b)):  # says itself that it is a part
        return False
    if a.get("layer", "0") != b.get("layer", "0"):
        return True
    if "location" in a or "location" in b:
        return True
    return bool({a.get("building"), b.get("building")} & {"roof", "bridge", "carport"})
