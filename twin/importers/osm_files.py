"""Read OpenStreetMap files into raw features: id, tags and lon/lat geometry.

* ``.osm.pbf`` and ``.osm`` XML through pyosmium (multipolygon relations
  assembled by libosmium's area assembler);
* Overpass JSON (``out body`` with ``>;`` recursion, or ``out geom``;
  multipolygons assembled here with the even-odd rule);
* GeoJSON of OSM features (osmtogeojson, QuickOSM, ...).

Besides buildings, chargers and streets, the readers keep the evidence the
use inference needs (:mod:`twin.importers.uses`): points of interest,
``landuse`` and other use-bearing areas, ``building:part`` areas and which
building ways are outer rings of building relations. Structurally broken
input (an element that is not an object, a way without id, coordinates
outside WGS 84) is an :class:`~twin._errors.InputError` naming the element.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, shape

from twin._errors import InputError, Problem, input_error

__all__ = ["read_osm_file", "assemble_multipolygon", "POI_KEYS"]


@dataclass
class _Raw:
    buildings: list[tuple[str, dict, Any]] = field(default_factory=list)
    chargers: list[tuple[str, dict, Any]] = field(default_factory=list)
    streets: list[tuple[str, dict, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # buildings without a complete geometry
    pois: list[tuple[str, dict, Any]] = field(default_factory=list)  # nodes with a use-bearing tag
    #: landuse=* areas and non-building areas with a use-bearing tag (school grounds, campuses)
    landuse: list[tuple[str, dict, Any]] = field(default_factory=list)
    parts: list[tuple[str, dict, Any]] = field(default_factory=list)  # building:part areas
    #: building way id → building multipolygon relation it is an outer ring of
    outer_of: dict[str, str] = field(default_factory=dict)


def _is_building(tags: dict[str, str]) -> bool:
    b = tags.get("building")
    return b is not None and b != "no"


def _is_charger(tags: dict[str, str]) -> bool:
    return tags.get("amenity") == "charging_station"


#: Keys of points of interest whose tags say what a building is used for.
POI_KEYS = ("amenity", "shop", "office", "tourism", "healthcare", "craft", "leisure")


def _is_poi(tags: dict[str, str]) -> bool:
    return any(k in tags for k in POI_KEYS) and not _is_charger(tags)


def _is_landuse(tags: dict[str, str]) -> bool:
    return "landuse" in tags


def _is_part(tags: dict[str, str]) -> bool:
    p = tags.get("building:part")
    return p is not None and p != "no" and not _is_building(tags)


def _detect(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".pbf"):
        return "pbf"
    if name.endswith((".osm", ".osm.gz", ".osm.bz2", ".xml")):
        return "xml"
    if name.endswith((".json", ".geojson")):
        return "json"
    raise input_error(str(path), f"unknown file type '{path.suffix}'",
                      "give an .osm.pbf, .osm (XML), Overpass .json or .geojson file")


#: libosmium's value for a location that is not set (osmium::Location::undefined_coordinate).
_UNDEFINED_COORDINATE = 2147483647


def _read_osmium(path: Path) -> _Raw:
    import osmium

    raw = _Raw()
    fab = osmium.geom.WKBFactory()
    building_ways: set[int] = set()
    building_rels: set[int] = set()
    got_ways: set[int] = set()
    got_rels: set[int] = set()
    bad_nodes: list[int] = []
    fp = osmium.FileProcessor(str(path)).with_locations().with_areas()
    for o in fp:
        kind = o.type_str()
        if kind == "n":
            loc = o.location
            if not loc.valid() and loc.x != _UNDEFINED_COORDINATE:
                bad_nodes.append(o.id)
            if len(o.tags) and o.location.valid():
                tags = _tags(o)
                if _is_charger(tags):
                    raw.chargers.append((f"node/{o.id}", tags, Point(o.location.lon, o.location.lat)))
                elif _is_poi(tags):
                    raw.pois.append((f"node/{o.id}", tags, Point(o.location.lon, o.location.lat)))
        elif kind == "w":
            if "building" in o.tags and o.tags.get("building") != "no" and o.tags.get("area") != "no":
                building_ways.add(o.id)
            if "highway" in o.tags and all(n.location.valid() for n in o.nodes):
                try:
                    g = shapely.from_wkb(fab.create_linestring(o))
                except (RuntimeError, osmium.InvalidLocationError):
                    continue
                raw.streets.append((f"way/{o.id}", _tags(o), g))
        elif kind == "r":
            if "building" in o.tags and o.tags.get("building") != "no" and \
                    o.tags.get("type") in ("multipolygon", "boundary"):
                building_rels.add(o.id)
                for m in o.members:
                    if m.type == "w" and m.role in ("outer", ""):
                        raw.outer_of[f"way/{m.ref}"] = f"relation/{o.id}"
        elif kind == "a":
            tags = _tags(o)
            is_b, is_c = _is_building(tags), _is_charger(tags)
            is_l, is_p = _is_landuse(tags), _is_part(tags)
            if not (is_b or is_c or is_l or is_p or _is_poi(tags)):
                continue
            try:
                g = shapely.from_wkb(fab.create_multipolygon(o))
            except RuntimeError:
                continue
            oid = f"{'way' if o.from_way() else 'relation'}/{o.orig_id()}"
            if is_b:
                (got_ways if o.from_way() else got_rels).add(o.orig_id())
                raw.buildings.append((oid, tags, _single(g)))
            elif is_c:
                raw.chargers.append((oid, tags, g))
            elif is_p:
                raw.parts.append((oid, tags, _single(g)))
            elif is_l:
                raw.landuse.append((oid, tags, g))
            else:  # a use-bearing area that is not a building (school grounds, a hospital campus)
                raw.landuse.append((oid, tags, g))
    if bad_nodes:
        shown = ", ".join(f"node/{i}" for i in bad_nodes[:5]) + (" ..." if len(bad_nodes) > 5 else "")
        raise input_error(str(path), f"{len(bad_nodes)} node(s) have coordinates outside WGS 84's range "
                          f"(-180..180, -90..90): {shown}",
                          "fix or delete those nodes (the file was edited or is corrupt)")
    raw.skipped = [f"way/{i}" for i in sorted(building_ways - got_ways)] + \
                  [f"relation/{i}" for i in sorted(building_rels - got_rels)]
    return raw


def _tags(o: Any) -> dict[str, str]:
    return {t.k: t.v for t in o.tags}


def _single(g: Any) -> Any:
    """A MultiPolygon of one part becomes a Polygon."""
    if isinstance(g, MultiPolygon) and len(g.geoms) == 1:
        return g.geoms[0]
    return g


def _read_overpass(data: dict, where: str) -> _Raw:
    raw = _Raw()
    elements = data.get("elements")
    if not isinstance(elements, list):
        raise input_error(where, "an Overpass JSON file needs an 'elements' list",
                          "save the Overpass answer with [out:json]")
    _check_elements(elements, where)
    nodes: dict[int, tuple[float, float]] = {}
    ways: dict[int, dict] = {}
    for e in elements:
        if e.get("type") == "node" and "lat" in e and "lon" in e:
            nodes[e["id"]] = (e["lon"], e["lat"])
        elif e.get("type") == "way":
            ways[e["id"]] = e

    def way_coords(w: dict) -> list[tuple[float, float]] | None:
        geom = w.get("geometry")
        if geom:
            if any(p is None for p in geom):
                return None
            return [(p["lon"], p["lat"]) for p in geom]
        refs = w.get("nodes") or []
        if not refs or any(r not in nodes for r in refs):
            return None
        return [nodes[r] for r in refs]

    for e in elements:
        typ, tags = e.get("type"), {str(k): str(v) for k, v in (e.get("tags") or {}).items()}
        oid = f"{typ}/{e.get('id')}"
        if typ == "node":
            if _is_charger(tags) and "lat" in e:
                raw.chargers.append((oid, tags, Point(e["lon"], e["lat"])))
            elif _is_poi(tags) and "lat" in e:
                raw.pois.append((oid, tags, Point(e["lon"], e["lat"])))
        elif typ == "way":
            if not (_is_building(tags) or _is_charger(tags) or "highway" in tags or _is_landuse(tags)
                    or _is_part(tags) or _is_poi(tags)):
                continue
            coords = way_coords(e)
            closed = coords is not None and len(coords) >= 4 and coords[0] == coords[-1]
            if _is_building(tags) and tags.get("area") != "no":
                if closed:
                    raw.buildings.append((oid, tags, _valid(Polygon(coords))))
                else:
                    raw.skipped.append(oid)
            elif _is_charger(tags) and coords:
                raw.chargers.append((oid, tags, Polygon(coords) if closed else LineString(coords)))
            elif closed and _is_part(tags):
                raw.parts.append((oid, tags, _valid(Polygon(coords))))
            elif closed and _is_landuse(tags):
                raw.landuse.append((oid, tags, _valid(Polygon(coords))))
            elif closed and _is_poi(tags) and "highway" not in tags:  # school grounds, campuses
                raw.landuse.append((oid, tags, _valid(Polygon(coords))))
            if "highway" in tags and coords and len(coords) >= 2:
                raw.streets.append((oid, tags, LineString(coords)))
        elif typ == "relation":
            if not (_is_building(tags) or _is_charger(tags) or _is_landuse(tags)):
                continue
            if tags.get("type") not in ("multipolygon", "boundary"):
                continue
            if _is_building(tags):
                for m in e.get("members", []):
                    if m.get("type") == "way" and m.get("role") in ("outer", ""):
                        raw.outer_of[f"way/{m.get('ref')}"] = oid
            lines = []
            complete = True
            for m in e.get("members", []):
                if m.get("type") != "way":
                    continue
                if m.get("geometry"):
                    w = {"geometry": m["geometry"]}
                else:
                    w = ways.get(m.get("ref"))
                c = way_coords(w) if w is not None else None
                if c is None or len(c) < 2:
                    complete = False
                    break
                lines.append(LineString(c))
            g = assemble_multipolygon(lines) if complete and lines else None
            if g is None:
                if _is_building(tags):
                    raw.skipped.append(oid)
                continue
            if _is_building(tags):
                raw.buildings.append((oid, tags, _single(g)))
            elif _is_charger(tags):
                raw.chargers.append((oid, tags, g))
            else:
                raw.landuse.append((oid, tags, g))
    return raw


#: At most this many structural problems are listed for one input file.
MAX_PROBLEMS = 10


def _element_label(i: int, e: Any) -> str:
    if isinstance(e, dict) and e.get("type") in ("node", "way", "relation") and "id" in e:
        return f"{i + 1} ({e['type']}/{e.get('id')})"
    return f"{i + 1}"


def _lonlat_problem(lon: Any, lat: Any) -> str | None:
    """Why (lon, lat) is not a WGS 84 position, or None when it is one."""
    if isinstance(lon, bool) or isinstance(lat, bool) or not isinstance(lon, (int, float)) \
            or not isinstance(lat, (int, float)):
        return f"lon/lat {lon!r}, {lat!r} are not numbers"
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        return f"lon/lat {lon}, {lat} are outside WGS 84's range (-180..180, -90..90)"
    return None


def _check_elements(elements: list, where: str) -> None:
    """Refuse structurally broken Overpass elements, naming each (element number and id).

    Each element must be an object with a ``type``; nodes, ways and
    relations need an integer ``id``; node positions and way/member
    ``geometry`` points must be WGS 84 lon/lat; ``tags`` must be an object,
    ``nodes`` a list of ids and ``members`` a list of objects. Other element
    types (``area``, ``count``) are ignored, as Overpass writes them too.
    """
    problems: list[Problem] = []
    fix = "save the Overpass answer again with [out:json] (the file was edited or is not Overpass JSON)"

    def bad(i: int, e: Any, what: str) -> None:
        problems.append(Problem(where, what, fix, row=_element_label(i, e)))

    for i, e in enumerate(elements):
        if len(problems) >= MAX_PROBLEMS:
            break
        if not isinstance(e, dict):
            bad(i, e, f"is a {type(e).__name__}, not an object")
            continue
        typ = e.get("type")
        if typ not in ("node", "way", "relation"):
            continue
        oid = e.get("id")
        if isinstance(oid, bool) or not isinstance(oid, int):
            bad(i, e, f"a {typ} without an integer id (id={oid!r})")
            continue
        tags = e.get("tags", {})
        if not isinstance(tags, dict):
            bad(i, e, "'tags' is not an object")
            continue
        if typ == "node" and ("lat" in e or "lon" in e):
            why = _lonlat_problem(e.get("lon"), e.get("lat"))
            if why:
                bad(i, e, why)
        elif typ == "way":
            refs = e.get("nodes", [])
            if not isinstance(refs, list) or any(isinstance(r, bool) or not isinstance(r, int) for r in refs):
                bad(i, e, "'nodes' is not a list of node ids")
            _check_geometry(e.get("geometry"), lambda what, i=i, e=e: bad(i, e, what))
        elif typ == "relation":
            members = e.get("members", [])
            if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
                bad(i, e, "'members' is not a list of objects")
                continue
            for m in members:
                _check_geometry(m.get("geometry"), lambda what, i=i, e=e: bad(i, e, f"member: {what}"))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])


def _check_geometry(geom: Any, report: Any) -> None:
    """Check an Overpass ``geometry`` list of {lat, lon} points (None entries are allowed)."""
    if geom is None:
        return
    if not isinstance(geom, list):
        report("'geometry' is not a list of points")
        return
    for p in geom:
        if p is None:
            continue
        if not isinstance(p, dict):
            report("'geometry' holds a point that is not an object")
            return
        why = _lonlat_problem(p.get("lon"), p.get("lat"))
        if why:
            report(why)
            return


def _valid(g: Any) -> Any:
    return g if g.is_valid else shapely.make_valid(g, method="structure")


def assemble_multipolygon(lines: list[LineString]) -> Any | None:
    """Polygon(s) from the member ways of a multipolygon relation (even-odd rule).

    Member ways are merged into rings; the faces of the noded rings are kept
    when they lie inside an odd number of rings. Roles are not trusted
    (inner/outer roles are often wrong in OSM). Returns None when the ways
    do not close into rings.
    """
    closed = [ln for ln in lines if ln.is_closed and len(ln.coords) >= 4]
    open_ = [ln for ln in lines if not (ln.is_closed and len(ln.coords) >= 4)]
    parts = list(closed)
    if open_:
        merged = shapely.line_merge(shapely.MultiLineString(open_))
        parts += list(getattr(merged, "geoms", [merged]))
    rings = []
    for p in parts:
        coords = list(p.coords)
        if len(coords) < 4 or coords[0] != coords[-1]:
            return None
        rings.append(Polygon(coords))
    if not rings:
        return None
    if len(rings) == 1:
        faces = [_valid(rings[0])]
    else:  # node the rings against each other, then take every face
        noded = shapely.union_all([r.exterior for r in rings])
        faces = list(shapely.polygonize([noded]).geoms)
    faces = [f for f in faces if not f.is_empty]
    if not faces:
        return None
    pts = shapely.point_on_surface(np.array(faces, dtype=object))
    inside = shapely.contains(np.array(rings, dtype=object)[:, None], pts[None, :]).sum(axis=0)
    keep = [f for f, k in zip(faces, inside, strict=True) if k % 2 == 1]
    if not keep:
        return None
    out = shapely.union_all(keep)
    if out.geom_type == "Polygon":
        return out
    polys = [g for g in getattr(out, "geoms", []) if g.geom_type == "Polygon"]
    return MultiPolygon(polys) if polys else None


_META_KEYS = {"id", "@id", "type", "osm_id", "osm_type", "full_id", "tags", "meta", "relations",
              "timestamp", "version", "changeset", "user", "uid", "@type", "@timestamp",
              "@version", "@changeset", "@user", "@uid", "@relations"}
_SHORT = {"n": "node", "w": "way", "r": "relation"}


def _read_geojson(data: dict, where: str) -> _Raw:
    raw = _Raw()
    feats = data.get("features")
    if not isinstance(feats, list):
        raise input_error(where, "a GeoJSON FeatureCollection needs a 'features' list",
                          "export the OSM features as a GeoJSON FeatureCollection")
    _check_features(feats, where)
    for i, f in enumerate(feats):
        props = f.get("properties") or {}
        tags = {str(k): str(v) for k, v in props["tags"].items()} if isinstance(props.get("tags"), dict) else \
            {k: str(v) for k, v in props.items() if k not in _META_KEYS and v is not None
             and not k.startswith("@")}
        oid = _geojson_id(f, props, i)
        geom_json = f.get("geometry")
        if geom_json is None:
            if _is_building(tags):
                raw.skipped.append(oid)
            continue
        try:
            g = shape(geom_json)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise input_error(where, f"feature {i} has an invalid geometry ({exc})",
                              "repair or drop the feature") from None
        polygonal = g.geom_type in ("Polygon", "MultiPolygon")
        if _is_building(tags):
            if polygonal:
                raw.buildings.append((oid, tags, _single(_valid(g))))
            else:
                raw.skipped.append(oid)
        elif _is_charger(tags):
            raw.chargers.append((oid, tags, g))
        elif polygonal and _is_part(tags):
            raw.parts.append((oid, tags, _single(_valid(g))))
        elif polygonal and _is_landuse(tags):
            raw.landuse.append((oid, tags, _valid(g)))
        elif polygonal and _is_poi(tags):  # school grounds, campuses
            raw.landuse.append((oid, tags, _valid(g)))
        elif _is_poi(tags) and g.geom_type == "Point":
            raw.pois.append((oid, tags, g))
        elif "highway" in tags and g.geom_type in ("LineString", "MultiLineString"):
            raw.streets.append((oid, tags, g))
    return raw


def _check_features(feats: list, where: str) -> None:
    """Refuse GeoJSON features that are not objects, have odd properties or non-WGS 84 coordinates."""
    problems: list[Problem] = []
    fix = "export the OSM features again as a GeoJSON FeatureCollection in WGS 84 (EPSG:4326)"
    for i, f in enumerate(feats):
        if len(problems) >= MAX_PROBLEMS:
            break
        row = f"{i + 1} (feature)"
        if not isinstance(f, dict):
            problems.append(Problem(where, f"is a {type(f).__name__}, not an object", fix, row=row))
            continue
        props = f.get("properties")
        if props is not None and not isinstance(props, dict):
            problems.append(Problem(where, "'properties' is not an object", fix, row=row))
            continue
        g = f.get("geometry")
        if g is None:
            continue
        if not isinstance(g, dict):
            problems.append(Problem(where, "'geometry' is not an object", fix, row=row))
            continue
        why = next((w for lon, lat in _flat_coords(g.get("coordinates"))
                    if (w := _lonlat_problem(lon, lat))), None)
        if why:
            problems.append(Problem(where, why, fix, row=row))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])


def _flat_coords(c: Any, depth: int = 0) -> Any:
    """Every (x, y) pair of a GeoJSON ``coordinates`` array (extra ordinates dropped)."""
    if depth > 6 or not isinstance(c, list):
        return
    if len(c) >= 2 and not isinstance(c[0], list):
        yield (c[0], c[1])
        return
    for part in c:
        yield from _flat_coords(part, depth + 1)


def _geojson_id(f: dict, props: dict, i: int) -> str:
    for cand in (f.get("id"), props.get("@id"), props.get("id")):
        if isinstance(cand, str) and "/" in cand:
            return cand
    if props.get("type") in ("node", "way", "relation") and props.get("id") is not None:
        return f"{props['type']}/{props['id']}"
    if props.get("osm_type") and props.get("osm_id") is not None:
        return f"{props['osm_type']}/{props['osm_id']}"
    full = props.get("full_id")
    if isinstance(full, str) and full[:1] in _SHORT and full[1:].isdigit():
        return f"{_SHORT[full[0]]}/{full[1:]}"
    return f"feature/{i}"


def read_osm_file(path: Path) -> _Raw:
    """Raw features of an OSM file (type detected from the name), or an InputError naming the problem."""
    kind = _detect(path)
    where = str(path)
    if not path.is_file():
        raise input_error(where, "file not found", "check the path")
    if kind in ("pbf", "xml"):
        try:
            return _read_osmium(path)
        except RuntimeError as exc:
            raise input_error(where, f"cannot read the OSM file ({' '.join(str(exc).split())})",
                              "download the extract again; the file is truncated or corrupt") from None
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        what = "nested too deeply" if isinstance(exc, RecursionError) else ' '.join(str(exc).split())[:200]
        raise input_error(where, f"not valid JSON ({what})",
                          "download the file again; it is truncated, nested too deeply or not JSON") from None
    if isinstance(data, dict) and "elements" in data:
        return _read_overpass(data, where)
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        return _read_geojson(data, where)
    raise input_error(where, "JSON that is neither Overpass JSON nor a GeoJSON FeatureCollection",
                      "use Overpass [out:json] output or GeoJSON of OSM features")
