#!/usr/bin/env python3
"""Generate the bundled demo district "Fornebu" (synthetic, fixed seed).

Real: the location (Fornebu peninsula, Bærum, Norway) and Statistics Norway's
2023 population grid (250 m cells, 9,507 residents), which residents per
building are fitted to exactly. Invented: every building, street, the
district-heating network, charging points, rain-water basins and the DEM.

Run from the repository root::

    python3 scripts/make_fornebu.py            # writes twin/data/districts/fornebu and twin/data/scenarios/data
    python3 scripts/make_fornebu.py --out-layers /tmp/f --out-scenarios /tmp/s --no-preview

The output is deterministic (same bytes of data for the same seed; GeoPackage
files carry a write timestamp, so compare their content, not their bytes).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from scipy import ndimage
from shapely import affinity
from shapely.geometry import LineString, MultiLineString, Point, Polygon, box
from shapely.ops import nearest_points, unary_union

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from twin import schema  # noqa: E402

SEED = 20231118
CRS = "EPSG:25833"
SSB_SRC = Path("/work/shared/data/fornebu/ssb_population_250m_2023.gpkg")
SSB_NAME = "population_ssb_250m_2023.gpkg"
SSB_ATTRIBUTION = "Statistics Norway, population by 250 m grid cell 2023, CC BY 4.0"

# DEM grid: 2 m cells over the district (x 253300-256400, y 6646300-6649200).
CELL = 2.0
X0, Y0, X1, Y1 = 253300.0, 6646300.0, 256400.0, 6649200.0
NCOLS, NROWS = int((X1 - X0) / CELL), int((Y1 - Y0) / CELL)
TRANSFORM = Affine(CELL, 0.0, X0, 0.0, -CELL, Y1)
SEA_LEVEL_M = -1.0  # sea cells: a low value (not nodata) so water can leave the land

# Design choices of the demo (documented in twin/data/districts/fornebu/README.md).
HOUSEHOLD_SIZE = 2.2      # persons per dwelling used to size residential building stock
APT_M2_PER_DWELLING = 80.0  # gross floor area per apartment incl. circulation
BRA_PER_BTA = 0.85        # heated usable floor area per gross footprint x floors
OFFICE_M2_PER_JOB = 25.0  # only for the printed job estimate
OFFICE_KEEP = 0.45        # share of office plots built on (the rest: parking, green)
NATURAL_PIT_KEEP = 0.03   # share of the depth of noise-made pits kept
DH_CO2_G_KWH = 20.0
DH_SUPPLY_C = 80.0
RUNWAY_BEARING_DEG = 62.0  # old runway 06/24, bearing in grid north (UTM 33)
LOCAL_ANGLE = 90.0 - RUNWAY_BEARING_DEG  # 28 deg from the x axis


# --------------------------------------------------------------------------- helpers
def rect(cx: float, cy: float, length: float, depth: float, angle: float) -> Polygon:
    """Rectangle centred at (cx, cy), `length` along the rotated x axis."""
    p = box(-length / 2, -depth / 2, length / 2, depth / 2)
    return affinity.translate(affinity.rotate(p, angle, origin=(0, 0)), cx, cy)


def lshape(cx: float, cy: float, length: float, depth: float, wing: float, angle: float,
           side: int) -> Polygon:
    """L-shaped block: a slab plus a perpendicular wing at one end."""
    slab = box(-length / 2, -depth / 2, length / 2, depth / 2)
    x0 = length / 2 - depth if side > 0 else -length / 2
    wing_p = box(x0, depth / 2 - 0.01, x0 + depth, depth / 2 + wing)
    p = unary_union([slab, wing_p]).simplify(0.01)
    return affinity.translate(affinity.rotate(p, angle, origin=(0, 0)), cx, cy)


def write_atomic_gpkg(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".gpkg", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        gdf.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic_text(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def copy_atomic(src: Path, dst: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dst)


def write_dem(z: np.ndarray, path: Path) -> None:
    """float32 GeoTIFF, deflate + floating-point predictor, tiled, atomic."""
    import rasterio

    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tif", dir=path.parent)
    os.close(fd)
    try:
        profile = dict(driver="GTiff", height=z.shape[0], width=z.shape[1], count=1,
                       dtype="float32", crs=CRS, transform=TRANSFORM, nodata=-9999.0,
                       compress="deflate", predictor=3, zlevel=9, tiled=True,
                       blockxsize=256, blockysize=256)
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(z.astype("float32"), 1)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def cell_centres() -> tuple[np.ndarray, np.ndarray]:
    xs = X0 + CELL * (np.arange(NCOLS) + 0.5)
    ys = Y1 - CELL * (np.arange(NROWS) + 0.5)
    return np.meshgrid(xs, ys)


# --------------------------------------------------------------------------- land
def interp_noise(rng: np.random.Generator, t: np.ndarray, step: float, amp: float) -> np.ndarray:
    knots = np.arange(t.min() - step, t.max() + 2 * step, step)
    vals = rng.normal(0.0, amp, knots.size)
    return np.interp(t, knots, vals)


def make_land(rng: np.random.Generator) -> np.ndarray:
    """Boolean land mask on the DEM grid: Lysakerfjorden east, Holtekilen/Storøykilen west."""
    X, Y = cell_centres()
    ys = Y[:, 0]
    east_y = [6646300, 6646800, 6647300, 6647700, 6648000, 6648300, 6648450, 6649200]
    east_x = [256080, 256030, 256090, 256010, 256170, 256330, 256520, 256600]
    shore_e = np.interp(ys, east_y, east_x) + interp_noise(rng, ys, 60.0, 12.0)
    sea = X > shore_e[:, None]
    bay = Polygon([(253250, 6646800), (253560, 6646790), (253800, 6646900), (253950, 6647150),
                   (253985, 6647450), (253960, 6647700), (253880, 6647950), (253780, 6648070),
                   (253600, 6648140), (253420, 6648190), (253250, 6648200)])
    south_w = Polygon([(253250, 6646250), (253430, 6646250), (253440, 6646500),
                       (253420, 6646800), (253250, 6646800)])
    water = unary_union([bay, south_w])
    # wiggle the bay shore: distance to the polygon boundary perturbed by noise
    from rasterio import features

    wmask = features.rasterize([(water, 1)], out_shape=(NROWS, NCOLS), transform=TRANSFORM,
                               dtype="uint8").astype(bool)
    d_in = ndimage.distance_transform_edt(wmask) * CELL
    d_out = ndimage.distance_transform_edt(~wmask) * CELL
    sd = np.where(wmask, -d_in, d_out)  # signed distance, negative inside water
    wig = ndimage.zoom(rng.normal(0.0, 10.0, (NROWS // 25 + 2, NCOLS // 25 + 2)), 25, order=3)
    sea |= (sd + wig[:NROWS, :NCOLS]) < 0
    land = ~sea
    # keep the largest land body only (no stray islets)
    lab, n = ndimage.label(land)
    if n > 1:
        sizes = ndimage.sum(land, lab, index=np.arange(1, n + 1))
        land = lab == (1 + int(np.argmax(sizes)))
    sea_l, n = ndimage.label(~land)
    edge = np.unique(np.concatenate([sea_l[0], sea_l[-1], sea_l[:, 0], sea_l[:, -1]]))
    lakes = np.setdiff1d(np.arange(1, n + 1), edge)
    land |= np.isin(sea_l, lakes)  # water bodies not touching the edge become land
    return land


def land_polygon(land: np.ndarray) -> Polygon:
    from rasterio import features

    polys = [shapely.geometry.shape(g) for g, v in
             features.shapes(land.astype("uint8"), mask=land, transform=TRANSFORM) if v == 1]
    poly = max(polys, key=lambda p: p.area)
    return poly.simplify(1.5).buffer(0)


# --------------------------------------------------------------------------- zones
@dataclass(frozen=True)
class Zone:
    name: str
    boxes: tuple[tuple[float, float, float, float], ...]
    angle: float
    spacing: tuple[float, float]
    street_names: tuple[str, ...]

    @property
    def polygon(self) -> Polygon:
        return unary_union([box(*b) for b in self.boxes])


ZONES: tuple[Zone, ...] = (
    Zone("snaroya", ((253250, 6646250, 254750, 6647000),), 18.0, (115, 95),
         ("Måkeveien", "Ternestien", "Skjærgårdsveien", "Fjordlia", "Løkkeveien", "Åsveien",
          "Solbærveien", "Blåbærstien")),
    Zone("storoya", ((254000, 6647000, 254750, 6647750), (254750, 6647500, 255000, 6647750)),
         -8.0, (105, 85), ("Storøyveien", "Hundsundveien", "Kiléveien", "Ærfuglstien",
                           "Strandengveien", "Siv Jensens vei")),
    Zone("oksenoya", ((254750, 6646250, 256600, 6647500),), LOCAL_ANGLE, (125, 95),
         ("Oksenøyveien", "Rolfsbuktveien", "Bryggetorget", "Sjøflyveien", "Fjordbyen",
          "Øvre Oksenøy")),
    Zone("nansen", ((255000, 6647500, 255500, 6648250),), LOCAL_ANGLE, (115, 85),
         ("Nansenparken", "Fridtjof Nansens vei", "Framveien", "Polarstien", "Gjøaveien")),
    Zone("office", ((255500, 6647500, 256600, 6649250), (255250, 6648250, 255500, 6649250)),
         LOCAL_ANGLE, (170, 135), ("Martin Linges vei", "Widerøeveien", "Terminalveien",
                                   "Hangarveien", "Tårnveien")),
    Zone("north", ((253250, 6648250, 255250, 6649250),), 4.0, (110, 90),
         ("Holtekilveien", "Granstubben", "Lønneveien", "Bjørkeveien", "Kløverstien",
          "Fornebu nord", "Rypeveien", "Gåsebu")),
    Zone("park", ((253250, 6647750, 255000, 6648250), (253250, 6647000, 254000, 6647750)),
         0.0, (0, 0), ()),
)
ZONE_BY_NAME = {z.name: z for z in ZONES}

# Main roads (hand-drawn after the real layout, simplified).
MAIN_ROADS: tuple[tuple[str, str, tuple[tuple[float, float], ...]], ...] = (
    ("Snarøyveien", "primary", ((255700, 6649200), (255620, 6648700), (255520, 6648250),
                                (255430, 6647900), (255230, 6647350), (254950, 6647050),
                                (254600, 6646800), (254150, 6646620), (253700, 6646520),
                                (253480, 6646380))),
    ("Forneburingen", "secondary", ((254250, 6648330), (254800, 6648520), (255250, 6648480),
                                    (255520, 6648250), (255440, 6647700), (255100, 6647470),
                                    (254700, 6647380), (254250, 6647560), (254060, 6647900),
                                    (254250, 6648330))),
    ("Rolfsbuktveien", "tertiary", ((255430, 6647900), (255980, 6647720))),
    ("Fornebuveien", "secondary", ((254250, 6648330), (254100, 6648700), (254000, 6649200))),
    ("Holtekilveien", "tertiary", ((253320, 6648420), (253800, 6648300), (254250, 6648330))),
    ("Lysakerveien", "tertiary", ((255620, 6648700), (256000, 6648850), (256380, 6649050))),
    ("Oksenøyveien", "tertiary", ((255230, 6647350), (255650, 6647150), (255900, 6646800),
                                  (255700, 6646400), (255200, 6646330))),
    ("Storøyveien", "tertiary", ((254250, 6647560), (254120, 6647200), (254150, 6646620))),
)


def zone_of(x: float, y: float) -> str:
    for z in ZONES:
        for b in z.boxes:
            if b[0] <= x < b[2] and b[1] <= y < b[3]:
                return z.name
    return "park"


# --------------------------------------------------------------------------- streets
def make_streets(rng: np.random.Generator, land: Polygon) -> gpd.GeoDataFrame:
    rows: list[dict] = []
    for name, hw, pts in MAIN_ROADS:
        g = LineString(pts).intersection(land)
        for part in getattr(g, "geoms", [g]):
            if part.geom_type == "LineString" and part.length > 5:
                rows.append(dict(name=name, highway=hw, geometry=part))
    for z in ZONES:
        if not z.street_names:
            continue
        zp = z.polygon.buffer(20).intersection(land.buffer(-6))
        c = z.polygon.centroid
        r = math.hypot(*(np.array(z.polygon.bounds[2:]) - np.array(z.polygon.bounds[:2])))
        k = 0
        for axis, sp in ((0, z.spacing[0]), (1, z.spacing[1])):
            phase = rng.uniform(0, sp)
            for off in np.arange(-r + phase, r, sp):
                if axis == 0:
                    ln = LineString([(off, -r), (off, r)])
                else:
                    ln = LineString([(-r, off), (r, off)])
                ln = affinity.translate(affinity.rotate(ln, z.angle, origin=(0, 0)), c.x, c.y)
                g = ln.intersection(zp)
                for part in getattr(g, "geoms", [g]):
                    if part.geom_type == "LineString" and part.length > 40:
                        rows.append(dict(name=z.street_names[k % len(z.street_names)],
                                         highway="residential", geometry=part))
                        k += 1
    streets = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    return connect_streets(streets)


def street_graph(lines: list) -> tuple[nx.Graph, list[LineString]]:
    noded = shapely.line_merge(shapely.unary_union(shapely.set_precision(lines, 0.01), grid_size=0.01))
    noded = shapely.unary_union(noded, grid_size=0.01)
    segs = list(getattr(noded, "geoms", [noded]))
    G = nx.Graph()
    for i, s in enumerate(segs):
        a = tuple(np.round(s.coords[0], 2))
        b = tuple(np.round(s.coords[-1], 2))
        G.add_edge(a, b, length=s.length, seg=i)
    return G, segs


def connect_streets(streets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add short service connectors until the street graph is one component."""
    for _ in range(10):
        G, segs = street_graph(list(streets.geometry))
        comps = sorted(nx.connected_components(G), key=lambda c: -sum(
            G.edges[e]["length"] for e in G.subgraph(c).edges))
        if len(comps) == 1:
            break
        main_lines = MultiLineString([segs[G.edges[e]["seg"]] for e in G.subgraph(comps[0]).edges])
        new = []
        for comp in comps[1:]:
            geom = MultiLineString([segs[G.edges[e]["seg"]] for e in G.subgraph(comp).edges])
            a, b = nearest_points(geom, main_lines)
            if a.distance(b) < 0.02:  # touching but not noded: extend across the gap
                d = np.array([b.x - a.x, b.y - a.y])
                d = d / (np.linalg.norm(d) + 1e-12) * 0.05 if np.linalg.norm(d) > 0 else np.array([0.05, 0.0])
                ln = LineString([(a.x - d[0], a.y - d[1]), (b.x + d[0], b.y + d[1])])
            else:
                ln = LineString([a, b])
            near = streets.iloc[int(np.argmin(streets.distance(a)))]
            new.append(dict(name=near["name"], highway="service", geometry=ln))
        if not new:
            break
        streets = pd.concat([streets, gpd.GeoDataFrame(new, geometry="geometry", crs=CRS)],
                            ignore_index=True)
    streets = streets.reset_index(drop=True)
    streets["geometry"] = shapely.set_precision(streets.geometry.values, 0.01)
    streets.insert(0, "street_id", [f"s{i:04d}" for i in range(len(streets))])
    return streets


# --------------------------------------------------------------------------- buildings
@dataclass
class Bld:
    geom: Polygon
    use: str
    floors: int
    year: int
    zone: str
    name: str = ""
    dwellings: int = 0
    fixed: bool = False  # explicitly placed (public buildings)


PUBLIC: tuple[tuple[str, str, float, float, float, float, str, int, int], ...] = (
    # name, use, x, y, length, depth, shape, floors, year
    ("Storøya skole", "school", 254330, 6647330, 70, 18, "L", 3, 2009),
    ("Hundsund skole", "school", 254640, 6647120, 64, 18, "L", 2, 2004),
    ("Snarøya skole", "school", 253900, 6646460, 60, 16, "L", 2, 1962),
    ("Fornebulandet skole", "school", 255520, 6647280, 72, 18, "L", 3, 2018),
    ("Fornebu nord skole", "school", 254560, 6648640, 66, 18, "L", 3, 2021),
    ("Nansen barnehage", "kindergarten", 255210, 6647640, 28, 16, "R", 1, 2012),
    ("Storøya barnehage", "kindergarten", 254480, 6647640, 26, 15, "R", 2, 2006),
    ("Hundsund barnehage", "kindergarten", 254330, 6647090, 26, 15, "R", 1, 2001),
    ("Rolfsbukta barnehage", "kindergarten", 255700, 6646950, 28, 16, "R", 2, 2019),
    ("Snarøya barnehage", "kindergarten", 254370, 6646720, 24, 14, "R", 1, 1985),
    ("Oksenøya barnehage", "kindergarten", 255160, 6646900, 28, 16, "R", 2, 2016),
    ("Holtekilen barnehage", "kindergarten", 253700, 6648600, 24, 14, "R", 1, 1978),
    ("Flyplassen barnehage", "kindergarten", 255080, 6648680, 28, 16, "R", 2, 2022),
    ("Fjordbyen barnehage", "kindergarten", 255850, 6647130, 26, 15, "R", 2, 2020),
    ("Fornebu bo- og omsorgssenter", "nursing_home", 255080, 6647300, 60, 16, "L", 4, 2017),
    ("Fornebuhallen", "sports", 254420, 6648080, 70, 45, "R", 2, 2011),
    ("Fornebu Arena", "sports", 255900, 6648520, 150, 110, "R", 3, 2009),
    ("Snarøya idrettshall", "sports", 254170, 6646420, 48, 32, "R", 1, 1991),
    ("Fornebu S", "retail", 255120, 6648370, 130, 85, "R", 2, 2021),
    ("Snarøya senter", "retail", 253980, 6646700, 40, 22, "R", 1, 1974),
    ("Fornebu kulturhus", "culture", 255330, 6648120, 45, 30, "R", 3, 2020),
    ("Snarøya kirke", "culture", 253640, 6646620, 30, 14, "R", 1, 1962),
    ("Fornebu hotell", "hotel", 256010, 6648250, 70, 18, "L", 8, 2008),
    ("Fornebu energisentral", "industrial", 255930, 6647760, 40, 25, "R", 2, 2002),
    ("Dagligvare Oksenøya", "retail", 255380, 6647020, 35, 22, "R", 1, 2019),
    ("Dagligvare Storøya", "retail", 254560, 6647480, 30, 20, "R", 1, 2005),
    ("Nærsenter Fornebu nord", "retail", 254900, 6648780, 40, 24, "R", 2, 2022),
    ("Bensinstasjon Snarøyveien", "retail", 255580, 6648620, 20, 14, "R", 1, 1999),
)

OFFICE_NAMES = ("Fornebuporten", "Fjordkontoret", "Tårnbygget", "Vingehuset", "Hangar Øst",
                "Propellen", "Kystkontoret", "Øvre Fornebu næringspark", "Terminalbygget",
                "Sjøflyhavna kontorpark", "Lysakerfjorden kontorsenter", "Rullebanen",
                "Fornebu teknologipark", "Ankerhuset", "Nordlyset", "Bølgen", "Kompasset",
                "Fyrlykta", "Havblikk", "Sjøbris", "Måkeberget", "Brygga kontorbygg")

YEARS = {  # (start, end, weight) periods per zone for residential buildings
    "snaroya": ((1925, 1949, 0.18), (1950, 1969, 0.32), (1970, 1989, 0.28), (1990, 2022, 0.22)),
    "storoya": ((1998, 2006, 0.55), (2007, 2016, 0.45)),
    "oksenoya": ((2010, 2016, 0.4), (2017, 2024, 0.6)),
    "nansen": ((2008, 2016, 0.65), (2017, 2022, 0.35)),
    "office": ((1998, 2007, 0.45), (2008, 2016, 0.35), (2017, 2023, 0.2)),
    "north": ((1935, 1969, 0.45), (1970, 1999, 0.25), (2016, 2024, 0.30)),
    "park": ((2005, 2020, 1.0),),
}


def draw_year(rng: np.random.Generator, zone: str, use: str) -> int:
    periods = YEARS[zone]
    if zone == "north":  # old houses, new apartments
        periods = periods[:2] if use in ("house", "row_house", "unheated") else periods[2:]
    w = np.array([p[2] for p in periods])
    i = int(rng.choice(len(periods), p=w / w.sum()))
    return int(rng.integers(periods[i][0], periods[i][1] + 1))


def public_buildings() -> list[Bld]:
    out = []
    for name, use, x, y, ln, dp, shp, fl, yr in PUBLIC:
        z = zone_of(x, y)
        ang = ZONE_BY_NAME[z].angle
        g = lshape(x, y, ln, dp, dp * 1.6, ang, 1) if shp == "L" else rect(x, y, ln, dp, ang)
        dw = 60 if use == "nursing_home" else 0
        out.append(Bld(g, use, fl, yr, z, name=name, dwellings=dw, fixed=True))
    return out


def pack_block(rng: np.random.Generator, block: Polygon, angle: float, kind: str
               ) -> list[tuple[Polygon, str, int]]:
    """Candidate footprints in rows along the local street grid.

    Returns (footprint, use, dwellings-per-floor proxy) tuples; the dwelling count
    is set later from floors.
    """
    c = block.centroid
    loc = affinity.rotate(block, -angle, origin=c)
    setback = {"house": 4.0, "row": 4.0, "apartment": 5.0, "office": 6.0}[kind]
    inner = loc.buffer(-setback)
    if inner.is_empty:
        return []
    minx, miny, maxx, maxy = inner.bounds
    minx, miny = minx + 0.5, miny + 0.5  # edges are not exactly axis-parallel
    out = []
    if kind == "house":
        lot_w, lot_d = rng.uniform(20, 25), rng.uniform(24, 30)
    elif kind == "row":
        lot_w, lot_d = 0.0, rng.uniform(26, 32)
    elif kind == "apartment":
        lot_w, lot_d = 0.0, rng.uniform(34, 42)
    else:
        lot_w, lot_d = 0.0, rng.uniform(48, 60)
    y = miny
    while y < maxy:
        x = minx
        while x < maxx:
            if kind == "house":
                w, d = rng.uniform(8, 10), rng.uniform(9.5, 12)
                fp = box(x + (lot_w - w) / 2, y + 3, x + (lot_w + w) / 2, y + 3 + d)
                step, use = lot_w, "house"
            elif kind == "row":
                n = int(rng.integers(3, 7))
                w, d = 7.0 * n, rng.uniform(8.5, 10)
                fp = box(x, y + 2, x + w, y + 2 + d)
                step, use = w + rng.uniform(7, 10), "row_house"
            elif kind == "apartment":
                d = rng.uniform(12.5, 17.5)
                ln = rng.uniform(24, 50)
                if rng.random() < 0.3:
                    wing = rng.uniform(10, max(10.5, min(22, lot_d - d - 8)))
                    fp = lshape(x + ln / 2, y + d / 2, ln, d, wing, 0.0, 1 if rng.random() < .5 else -1)
                else:
                    fp = box(x, y, x + ln, y + d)
                step, use = ln + rng.uniform(14, 20), "apartment"
            else:
                d = rng.uniform(18, 26)
                ln = rng.uniform(45, 110)
                if rng.random() < 0.4:
                    wing = rng.uniform(12, max(12.5, min(28, lot_d - d - 10)))
                    fp = lshape(x + ln / 2, y + d / 2, ln, d, wing, 0.0, 1 if rng.random() < .5 else -1)
                else:
                    fp = box(x, y, x + ln, y + d)
                step, use = ln + rng.uniform(18, 28), "office"
            if inner.contains(fp):
                out.append((affinity.rotate(fp, angle, origin=c), use))
            x += step
        y += lot_d
    return out


def make_buildings(rng: np.random.Generator, land: Polygon, streets: gpd.GeoDataFrame,
                   ssb: gpd.GeoDataFrame, keep_free: Polygon) -> list[Bld]:
    pub = public_buildings()
    road_w = streets.highway.map({"primary": 11.0, "secondary": 9.0, "tertiary": 8.0,
                                  "residential": 6.5, "service": 4.0}).to_numpy()
    road_area = unary_union(list(shapely.buffer(streets.geometry.values, road_w, cap_style="flat")))
    blocked = unary_union([road_area, keep_free, unary_union([b.geom.buffer(8) for b in pub])])
    blocks_geom = land.buffer(-4).difference(blocked)
    blocks = [g for g in getattr(blocks_geom, "geoms", [blocks_geom]) if g.area > 400]

    # dwelling targets per SSB cell and land area per cell
    cells = ssb.geometry.values
    target = (ssb.pop_tot.to_numpy() / HOUSEHOLD_SIZE)
    cell_land_ha = np.array([c.intersection(land).area / 1e4 for c in cells])
    tree = shapely.STRtree(cells)

    def cell_index(p: Point) -> int:
        hit = tree.query(p, predicate="within")
        return int(hit[0]) if len(hit) else -1

    cands: list[Bld] = []
    for blk in blocks:
        rp = blk.representative_point()
        zname = zone_of(rp.x, rp.y)
        if zname == "park":
            continue
        z = ZONE_BY_NAME[zname]
        ci = cell_index(rp)
        dens = target[ci] / max(cell_land_ha[ci], 0.5) if ci >= 0 else 0.0
        if zname == "office":
            kind = "office"
        elif dens == 0:
            if zname in ("nansen", "oksenoya", "north") and rng.random() < 0.5:
                kind = "office"
            else:
                continue
        elif zname == "nansen" or dens > 28:
            kind = "apartment"
        elif dens > 11 and zname != "snaroya":
            kind = "row" if rng.random() < 0.6 else "apartment"
        elif dens > 14:
            kind = "row"
        else:
            kind = "house"
        for fp, use in pack_block(rng, blk, z.angle, kind):
            fl = {"house": int(rng.choice([1, 2, 2, 2])), "row_house": 2,
                  "apartment": int(rng.integers(4, 7)) if zname != "nansen" else int(rng.integers(5, 9)),
                  "office": int(rng.integers(4, 9))}[use]
            if use == "office":
                if rng.random() > OFFICE_KEEP:  # parking, green space, not yet built
                    continue
                fl = int(rng.integers(3, 8))
                if fp.area > 2500 and rng.random() < 0.08:
                    fl = int(rng.integers(9, 14))
            cands.append(Bld(fp, use, fl, draw_year(rng, zname, use), zname))

    # residential candidates in cells without residents: drop them (or convert big ones)
    for b in cands:
        b.dwellings = dwellings_of(b, rng)
    kept: list[Bld] = []
    by_cell: dict[int, list[Bld]] = {}
    for b in cands:
        ci = cell_index(b.geom.centroid)
        if b.use in schema.RESIDENTIAL_USES:
            if ci < 0:
                if b.use == "apartment" and b.zone in ("office", "nansen", "oksenoya"):
                    b.use, b.dwellings, b.year = "office", 0, draw_year(rng, "office", "office")
                    kept.append(b)
                continue
            by_cell.setdefault(ci, []).append(b)
        else:
            kept.append(b)
    # pick residential candidates per cell until the dwelling target is met
    for ci in sorted(by_cell):
        group = by_cell[ci]
        order = rng.permutation(len(group))
        acc = 0
        for j in order:
            if acc >= target[ci]:
                break
            kept.append(group[j])
            acc += group[j].dwellings
        if acc < 0.8 * target[ci]:  # short: raise apartment floors in the cell
            apts = [group[j] for j in order if group[j].use == "apartment" and group[j] in kept]
            for b in apts * 4:
                if acc >= target[ci]:
                    break
                if b.floors < 9:
                    before = b.dwellings
                    b.floors += 1
                    b.dwellings = dwellings_of(b, rng)
                    acc += b.dwellings - before
    out = pub + kept
    out = top_up(rng, out, ssb, land, road_area, keep_free, target, tree)
    out = add_garages(rng, out, road_area)
    return out


def dwellings_of(b: Bld, rng: np.random.Generator) -> int:
    if b.use == "house":
        return 2 if rng.random() < 0.12 else 1
    if b.use == "row_house":
        return max(2, int(round(b.geom.minimum_rotated_rectangle.length / 2 / 7.5)))
    if b.use == "apartment":
        return max(4, int(round(b.geom.area * b.floors * BRA_PER_BTA / APT_M2_PER_DWELLING)))
    return b.dwellings


def top_up(rng, blds: list[Bld], ssb, land, road_area, keep_free, target, tree) -> list[Bld]:
    """Every populated SSB cell gets residential buildings for ~its residents."""
    occupied = unary_union([b.geom.buffer(6) for b in blds])
    dw = np.zeros(len(ssb))
    for b in blds:
        if b.use in schema.RESIDENTIAL_USES:
            hit = tree.query(b.geom.centroid, predicate="within")
            if len(hit):
                dw[hit[0]] += b.dwellings
    free_all = land.buffer(-5).difference(unary_union([road_area, keep_free, occupied]))
    for ci in range(len(ssb)):
        need = target[ci] - dw[ci]
        if ssb.pop_tot.iloc[ci] <= 0 or (dw[ci] > 0 and need < 0.3 * target[ci]):
            continue
        cell = ssb.geometry.iloc[ci]
        free = free_all.intersection(cell)
        if free.is_empty:
            raise SystemExit(f"SSB cell {ssb.ru250m.iloc[ci]} has residents but no free land")
        zname = zone_of(cell.centroid.x, cell.centroid.y)
        ang = ZONE_BY_NAME[zname].angle
        big = need > 25
        minx, miny, maxx, maxy = free.bounds
        pts = [(x, y) for y in np.arange(miny + 6, maxy, 14.0) for x in np.arange(minx + 6, maxx, 14.0)]
        order = rng.permutation(len(pts))
        placed = 0
        for j in order:
            if need <= 0:
                break
            x, y = pts[j]
            if big:
                fp = rect(x, y, rng.uniform(30, 45), rng.uniform(13, 16), ang)
                use, fl = "apartment", int(rng.integers(4, 7))
            else:
                fp = rect(x, y, rng.uniform(8, 10), rng.uniform(10, 12), ang)
                use, fl = "house", 2
            if not free.contains(fp.buffer(3)):
                continue
            b = Bld(fp, use, fl, draw_year(rng, zname if zname != "park" else "storoya", use), zname)
            b.dwellings = dwellings_of(b, rng)
            blds.append(b)
            free = free.difference(fp.buffer(8))
            free_all = free_all.difference(fp.buffer(8))
            need -= b.dwellings
            placed += 1
        if placed == 0 and dw[ci] == 0:
            raise SystemExit(f"could not place a dwelling in SSB cell {ssb.ru250m.iloc[ci]}")
    return blds


def add_garages(rng, blds: list[Bld], road_area) -> list[Bld]:
    allg = shapely.STRtree([b.geom for b in blds])
    geoms = [b.geom for b in blds]
    new = []
    for b in blds:
        if b.use != "house" or rng.random() > 0.6:
            continue
        mrr = b.geom.minimum_rotated_rectangle
        xy = np.asarray(mrr.exterior.coords)[:4]
        ang = math.degrees(math.atan2(xy[1, 1] - xy[0, 1], xy[1, 0] - xy[0, 0]))
        c = b.geom.centroid
        off = rng.choice([-1, 1]) * (np.hypot(*(xy[1] - xy[0])) / 2 + 5.5)
        gx = c.x + off * math.cos(math.radians(ang))
        gy = c.y + off * math.sin(math.radians(ang))
        g = rect(gx, gy, 6.0, 4.0 if rng.random() < .5 else 7.0, ang + 90)
        near = allg.query(g.buffer(2.5))
        if any(geoms[i].intersects(g.buffer(2.5)) for i in near) or g.intersects(road_area):
            continue
        if any(n.geom.intersects(g.buffer(2.5)) for n in new):
            continue
        new.append(Bld(g, "unheated", 1, b.year, b.zone))
    # bicycle / waste sheds by apartment blocks, carports by row houses
    for b in blds:
        if b.use not in ("apartment", "row_house") or rng.random() > 0.7:
            continue
        mrr = b.geom.minimum_rotated_rectangle
        xy = np.asarray(mrr.exterior.coords)[:4]
        e = int(rng.integers(0, 4))
        a, c2 = xy[e], xy[(e + 1) % 4]
        ang = math.degrees(math.atan2(c2[1] - a[1], c2[0] - a[0]))
        mid = (a + c2) / 2
        cen = np.array(b.geom.centroid.coords[0])
        v = (mid - cen) / (np.linalg.norm(mid - cen) + 1e-9)
        L = 12.0 if b.use == "row_house" else float(rng.uniform(5, 9))
        g = rect(mid[0] + v[0] * 7, mid[1] + v[1] * 7, L, 4.0, ang)
        near = allg.query(g.buffer(2.5))
        if any(geoms[i].intersects(g.buffer(2.5)) for i in near) or g.intersects(road_area):
            continue
        if any(n.geom.intersects(g.buffer(2.5)) for n in new):
            continue
        new.append(Bld(g, "unheated", 1, b.year, b.zone))
    return blds + new


# --------------------------------------------------------------------------- DEM
def fractal(rng: np.random.Generator, octaves: tuple[tuple[float, float], ...]) -> np.ndarray:
    z = np.zeros((NROWS, NCOLS))
    for wavelength, amp in octaves:
        step = max(int(wavelength / CELL / 2), 1)
        coarse = rng.normal(0.0, 1.0, (NROWS // step + 4, NCOLS // step + 4))
        f = ndimage.zoom(coarse, step, order=3, mode="mirror")[:NROWS, :NCOLS]
        z += amp * f / f.std()
    return z


def make_dem(rng: np.random.Generator, land: np.ndarray) -> np.ndarray:
    """Natural terrain: rising from the shore, gentle hills, a flat old runway.

    Natural depressions of the noise are filled and kept at 10 % of their depth,
    so the closed hollows of the district are the designed ones.
    """
    import pyflwdir.dem

    X, Y = cell_centres()
    d = ndimage.distance_transform_edt(land) * CELL
    base = 0.4 + 12.5 * (1.0 - np.exp(-d / 220.0))
    hills = fractal(rng, ((900, 3.0), (450, 1.6), (220, 0.7), (110, 0.3), (50, 0.12), (20, 0.05)))
    taper = np.clip(d / 120.0, 0, 1) ** 1.5
    z = base + hills * taper
    # flat old runway 06/24 at ~12 m, 2.2 km long, 150 m wide, faded over 80 m
    ux, uy = math.sin(math.radians(RUNWAY_BEARING_DEG)), math.cos(math.radians(RUNWAY_BEARING_DEG))
    cx, cy = 254900.0, 6647950.0
    along = (X - cx) * ux + (Y - cy) * uy
    across = -(X - cx) * uy + (Y - cy) * ux
    dist = np.maximum(np.abs(across) - 75.0, 0) + np.maximum(np.abs(along) - 1100.0, 0)
    w = np.clip(1 - dist / 80.0, 0, 1) ** 2 * (d > 40) * np.clip((d - 40) / 60, 0, 1)
    z = z * (1 - w) + (12.0 + 0.004 * along / 10 + 0.02 * hills) * w
    z = np.where(land, z, SEA_LEVEL_M)
    filled, _ = pyflwdir.dem.fill_depressions(z.astype("float32"), outlets="edge", nodata=-9999.0)
    filled = filled.astype("float64")
    z = filled - NATURAL_PIT_KEEP * (filled - z)
    z += rng.normal(0.0, 0.01, z.shape) * land  # sensor-like micro texture
    return np.where(land, z, SEA_LEVEL_M)


@dataclass
class Hollow:
    x: float
    y: float
    r: float
    depth: float
    kind: str  # park | next_to_building | under_building | new_quarter


def apply_hollows(z: np.ndarray, hollows: list[Hollow], land: np.ndarray) -> np.ndarray:
    z = z.copy()
    for h in hollows:
        r_out = h.r * 1.5
        c0 = int((h.x - r_out - X0) / CELL)
        c1 = int((h.x + r_out - X0) / CELL) + 1
        r0 = int((Y1 - (h.y + r_out)) / CELL)
        r1 = int((Y1 - (h.y - r_out)) / CELL) + 1
        c0, r0 = max(c0, 0), max(r0, 0)
        sub = z[r0:r1, c0:c1]
        xs = X0 + CELL * (np.arange(c0, c0 + sub.shape[1]) + 0.5)
        ys = Y1 - CELL * (np.arange(r0, r0 + sub.shape[0]) + 0.5)
        XX, YY = np.meshgrid(xs, ys)
        rr = np.hypot(XX - h.x, YY - h.y)
        ring = (rr >= h.r) & (rr < r_out)
        ref = float(np.max(sub[ring])) if ring.any() else float(sub.mean())
        wgt = np.clip((r_out - rr) / (r_out - h.r), 0, 1)
        wgt = wgt * wgt * (3 - 2 * wgt)  # smoothstep
        flat = sub * (1 - wgt) + ref * wgt
        bowl = h.depth * np.clip(1 - (rr / h.r) ** 2, 0, 1) ** 1.5
        z[r0:r1, c0:c1] = np.where(land[r0:r1, c0:c1], flat - bowl, sub)
    return z


def level_pads(z: np.ndarray, geoms: list[Polygon], keep: float = 0.25) -> np.ndarray:
    """Building footprints on levelled ground: keep 25 % of the natural relief."""
    from rasterio import features

    ids = features.rasterize([(g, i + 1) for i, g in enumerate(geoms)], out_shape=z.shape,
                             transform=TRANSFORM, dtype="int32", all_touched=True)
    m = ids > 0
    n = len(geoms) + 1
    s = np.bincount(ids[m], weights=z[m], minlength=n)
    c = np.bincount(ids[m], minlength=n)
    mean = np.divide(s, c, out=np.zeros(n), where=c > 0)
    z = z.copy()
    z[m] = mean[ids[m]] + keep * (z[m] - mean[ids[m]])
    return z


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-layers", type=Path, default=ROOT / "twin" / "data" / "districts" / "fornebu")
    ap.add_argument("--out-scenarios", type=Path, default=ROOT / "twin" / "data" / "scenarios" / "data")
    ap.add_argument("--ssb", type=Path, default=SSB_SRC)
    ap.add_argument("--weather", type=Path,
                    default=ROOT / "twin" / "data" / "districts" / "fornebu" / "weather_rygge_2019.csv",
                    help="hourly weather year (Rygge 2019, see the district README)")
    ap.add_argument("--preview", type=Path, default=Path("/tmp/fornebu_preview.png"))
    ap.add_argument("--no-preview", action="store_true")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(SEED)
    out, scen = args.out_layers, args.out_scenarios
    out.mkdir(parents=True, exist_ok=True)
    scen.mkdir(parents=True, exist_ok=True)

    ssb = gpd.read_file(args.ssb).to_crs(CRS).reset_index(drop=True)
    land_mask = make_land(rng)
    land = land_polygon(land_mask)
    print(f"land {land.area / 1e4:.0f} ha", flush=True)

    # open land kept free for the new-quarter scenario: part of the old runway
    new_quarter = rect(254760, 6648010, 470, 420, LOCAL_ANGLE).intersection(
        box(254520, 6647770, 254990, 6648240))
    streets = make_streets(rng, land)
    print(f"streets {len(streets)}  {streets.length.sum() / 1000:.1f} km", flush=True)

    # park hollows with basins (existing), plus two hollows in the new quarter
    park_h = [Hollow(254150, 6647900, 28, 1.2, "park"), Hollow(254330, 6647800, 22, 0.9, "park"),
              Hollow(255030, 6647180, 20, 0.8, "park"), Hollow(253850, 6648500, 20, 0.7, "park"),
              Hollow(255700, 6648050, 26, 1.1, "park"), Hollow(254700, 6646880, 18, 0.6, "park"),
              Hollow(254050, 6647350, 24, 0.9, "park"), Hollow(255300, 6648650, 18, 0.5, "park")]
    nq_h = [Hollow(254660, 6647900, 30, 1.0, "new_quarter"),
            Hollow(254860, 6648110, 26, 0.8, "new_quarter")]
    basin_keep = unary_union([Point(h.x, h.y).buffer(h.r + 4) for h in park_h[:6]])
    blds = make_buildings(rng, land, streets, ssb, unary_union([new_quarter.buffer(10), basin_keep]))
    print(f"buildings {len(blds)}", flush=True)

    # ------------------------------------------------------------ attributes
    geoms = [b.geom for b in blds]
    gdf = gpd.GeoDataFrame({
        "use": [b.use for b in blds], "floors": [int(b.floors) for b in blds],
        "year": [int(b.year) for b in blds], "zone": [b.zone for b in blds],
        "name": [b.name for b in blds], "dwellings": [int(b.dwellings) for b in blds],
    }, geometry=geoms, crs=CRS)
    # sort spatially (north to south, west to east) for stable ids
    cen = gdf.geometry.centroid
    gdf = gdf.iloc[np.lexsort((np.round(cen.x.to_numpy(), 1), -np.round(cen.y.to_numpy(), 1)))]
    gdf = gdf.reset_index(drop=True)
    gdf.insert(0, "building_id", [f"FB{i + 1:05d}" for i in range(len(gdf))])
    gdf["floor_area_m2"] = np.round(gdf.geometry.area * gdf.floors * BRA_PER_BTA, 1)
    # office names
    offices = np.flatnonzero((gdf.use == "office").to_numpy())
    big = offices[np.argsort(-gdf.floor_area_m2.to_numpy()[offices], kind="stable")]
    names = gdf.name.to_numpy(dtype=object)
    for k, i in enumerate(big):
        base = OFFICE_NAMES[k % len(OFFICE_NAMES)]
        names[i] = base if k < len(OFFICE_NAMES) else f"{base} {k // len(OFFICE_NAMES) + 1}"
    gdf["name"] = pd.Series(names, dtype=object).where(lambda s: s != "", None)

    # heat network: streets in the DH core connected to the plant
    plant_pt = Point(255975, 6647730)
    dh_area = unary_union([ZONE_BY_NAME["office"].polygon, ZONE_BY_NAME["nansen"].polygon,
                           box(255100, 6646900, 256600, 6647500), box(254990, 6648250, 255250, 6648500)])
    G, segs = street_graph(list(streets.geometry))
    plant_node = min(G.nodes, key=lambda n: Point(n).distance(plant_pt))
    # the network: shortest street paths from the plant to the larger buildings of the core
    nodes = np.array(list(G.nodes))
    in_core = gdf.geometry.centroid.within(dh_area).to_numpy()
    tgt = gdf[in_core & ~gdf.use.isin(["house", "unheated"]).to_numpy()
              & (gdf.floor_area_m2.to_numpy() > 800)]
    dist0, paths0 = nx.single_source_dijkstra(G, plant_node, weight="length")
    sel = nx.Graph()
    sel.add_node(plant_node)
    for c in tgt.geometry.centroid:
        k = int(np.argmin(np.hypot(nodes[:, 0] - c.x, nodes[:, 1] - c.y)))
        p = paths0.get(tuple(nodes[k]))
        if p is None:
            continue
        for a, b in zip(p[:-1], p[1:]):
            sel.add_edge(a, b, **G.edges[a, b])
    comp = set(sel.nodes)
    net_lines = [segs[sel.edges[e]["seg"]] for e in sel.edges]
    net_lines.append(LineString([plant_pt, Point(plant_node)]))
    nl = len(net_lines)
    heat = gpd.GeoDataFrame({"network_id": ["fornebu-dh"] * nl, "co2_g_kwh": [DH_CO2_G_KWH] * nl,
                             "supply_temp_c": [DH_SUPPLY_C] * nl, "planned": [False] * nl},
                            geometry=net_lines, crs=CRS)
    heat = heat[heat.length > 0.5].reset_index(drop=True)
    heat["planned"] = heat["planned"].astype(bool)
    plants = gpd.GeoDataFrame({"plant_id": ["fornebu-hp1"], "network_id": ["fornebu-dh"],
                               "name": ["Fornebu energisentral (sjøvannsvarmepumpe)"],
                               "capacity_mw": [24.0], "source": ["seawater heat pump"]},
                              geometry=[plant_pt], crs=CRS)

    # heating systems
    net_union = unary_union(list(heat.geometry))
    dist_net = gdf.geometry.distance(net_union).to_numpy()
    heating = np.empty(len(gdf), dtype=object)
    u = gdf.use.to_numpy()
    yr = gdf.year.to_numpy()
    for i in range(len(gdf)):
        r = rng.random()
        if u[i] == "unheated":
            heating[i] = "none"
        elif (dist_net[i] < 40 and in_core[i] and u[i] not in ("house",)
              and (yr[i] >= 1998 or r < 0.5)):
            heating[i] = "district_heating" if rng.random() < 0.92 else "hp_ground"
        elif u[i] in ("house", "row_house"):
            if yr[i] < 1970:
                heating[i] = rng.choice(["hp_air_air", "electric", "hp_air_water", "hp_ground", "bio"],
                                        p=[0.42, 0.28, 0.12, 0.1, 0.08])
            elif yr[i] < 2000:
                heating[i] = rng.choice(["hp_air_air", "electric", "hp_air_water", "hp_ground"],
                                        p=[0.45, 0.3, 0.13, 0.12])
            else:
                heating[i] = rng.choice(["hp_air_water", "hp_ground", "hp_air_air", "electric"],
                                        p=[0.4, 0.3, 0.2, 0.1])
        else:
            heating[i] = rng.choice(["hp_ground", "hp_air_water", "electric"], p=[0.5, 0.35, 0.15])
    # a handful of legacy fossil systems in the oldest houses (fossil oil banned 2020)
    old = np.flatnonzero((u == "house") & (yr < 1960))
    old = old[np.argsort(yr[old], kind="stable")][:9]
    heating[old[:5]] = "oil"
    heating[old[5:9]] = "gas"
    gdf["heating"] = [str(h) for h in heating]
    gdf["dh_connected"] = (gdf.heating == "district_heating").astype(bool)

    # residents: exactly the SSB cell total, shared by dwellings
    tree = shapely.STRtree(ssb.geometry.values)
    cen = gdf.geometry.centroid
    ci = np.full(len(gdf), -1)
    idx_in, idx_cell = tree.query(cen.values, predicate="within")
    ci[idx_in] = idx_cell
    res = np.zeros(len(gdf))
    dw = gdf.dwellings.to_numpy().astype(float)
    isres = np.isin(u, schema.RESIDENTIAL_USES)
    for c in range(len(ssb)):
        m = (ci == c) & isres & (dw > 0)
        pop = float(ssb.pop_tot.iloc[c])
        if pop > 0 and not m.any():
            raise SystemExit(f"SSB cell {ssb.ru250m.iloc[c]} has no dwelling")
        if m.any():
            res[m] = pop * dw[m] / dw[m].sum()
    # residential buildings outside populated cells hold no registered residents
    gdf["residents"] = res
    gdf.loc[isres & (ci < 0), "dwellings"] = 0
    gdf.loc[~isres, "dwellings"] = 0

    # addresses: nearest named street, house number from position along it
    st_named = streets[streets.highway != "service"].reset_index(drop=True)
    stree = shapely.STRtree(st_named.geometry.values)
    near = stree.nearest(cen.values)
    numbers: dict[str, set[int]] = {}
    addr = []
    for i, p in enumerate(cen.values):
        line = st_named.geometry.iloc[int(near[i])]
        nm = st_named.name.iloc[int(near[i])]
        s = line.project(p)
        q = line.interpolate(s)
        q2 = line.interpolate(min(s + 1, line.length))
        side = (q2.x - q.x) * (p.y - q.y) - (q2.y - q.y) * (p.x - q.x)
        no = 1 + 2 * int(s / 12.0) + (1 if side < 0 else 0)
        used = numbers.setdefault(nm, set())
        letter = ""
        k = 0
        while (no, letter) in used:
            k += 1
            letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(k - 1) % 26] * (1 + (k - 1) // 26)
        used.add((no, letter))
        addr.append(f"{nm} {no}{letter}, 1364 Fornebu" if "Snarøy" not in nm and gdf.zone.iloc[i] != "snaroya"
                    else f"{nm} {no}{letter}, 1367 Snarøya")
    gdf["address"] = addr
    gdf["building_code"] = None
    gdf = gdf.drop(columns=["building_code", "zone"])
    gdf = gdf[["building_id", "use", "floors", "year", "heating", "dwellings", "floor_area_m2",
               "residents", "dh_connected", "name", "address", "geometry"]]

    # ------------------------------------------------------------ DEM
    z = make_dem(rng, land_mask)
    # hollows next to / under buildings
    cand = np.flatnonzero(np.isin(gdf.use.to_numpy(), ["apartment", "house", "row_house", "office",
                                                       "school", "kindergarten"]))
    pick = rng.choice(cand, size=20, replace=False)
    bld_h: list[Hollow] = []
    hollow_bld: list[str] = []
    all_geoms = gdf.geometry.values
    for k, i in enumerate(sorted(pick)):
        g = all_geoms[i]
        c = g.centroid
        if k < 14:
            xy = np.asarray(g.minimum_rotated_rectangle.exterior.coords)[:4]
            e = int(rng.integers(0, 4))
            mid = (xy[e] + xy[(e + 1) % 4]) / 2
            v = mid - np.array([c.x, c.y])
            v /= np.linalg.norm(v)
            r = float(rng.uniform(14, 24))
            pt = mid + v * r * 0.55
            bld_h.append(Hollow(float(pt[0]), float(pt[1]), r, float(rng.uniform(0.4, 1.2)),
                                "next_to_building"))
        else:
            r = float(math.sqrt(g.area) / 2 + 10)
            bld_h.append(Hollow(c.x, c.y, r, float(rng.uniform(0.3, 0.8)), "under_building"))
        hollow_bld.append(gdf.building_id.iloc[i])
    hollows = park_h + nq_h + bld_h
    z = apply_hollows(z, hollows, land_mask)
    z = level_pads(z, list(all_geoms))
    z = np.where(land_mask, np.round(np.maximum(z, 0.1), 2), SEA_LEVEL_M).astype("float32")

    # ------------------------------------------------------------ basins
    bnames = ["Storøykilen fordrøyning", "Storøya dam", "Oksenøya regnbed", "Holtekilen fangdam",
              "Fornebuparken dam", "Snarøya regnbed"]
    b_geoms, b_vol = [], []
    for h in park_h[:6]:
        p = affinity.scale(Point(h.x, h.y).buffer(h.r * 0.75), 1.3, 0.8)
        p = affinity.rotate(p, float(rng.uniform(0, 180)))
        b_geoms.append(p)
        b_vol.append(round(p.area * h.depth * 0.8, 0))
    basins = gpd.GeoDataFrame({"basin_id": [f"B{i + 1:02d}" for i in range(len(b_geoms))],
                               "volume_m3": np.array(b_vol, dtype=float), "name": bnames},
                              geometry=b_geoms, crs=CRS)

    # ------------------------------------------------------------ chargers
    chargers = make_chargers(rng, gdf, streets)

    # ------------------------------------------------------------ scenarios
    ext = dh_extension(G, segs, sel.subgraph(comp), gdf, net_union)
    bl_union = unary_union(list(all_geoms))
    nb = []
    for h, bid in zip(bld_h[:14], hollow_bld[:14]):
        p = Point(h.x, h.y).buffer(h.r * 0.6).difference(bl_union.buffer(3))
        if p.geom_type == "MultiPolygon":
            p = max(p.geoms, key=lambda q: q.area)
        if p.area > 20:
            nb.append((p, round(p.area * 1.2, 0), bid))
    new_basins = gpd.GeoDataFrame({"basin_id": [f"NB{i + 1:02d}" for i in range(len(nb))],
                                   "volume_m3": [float(v) for _, v, _ in nb],
                                   "name": [f"Regnbed ved {b}" for _, _, b in nb]},
                                  geometry=[p for p, _, _ in nb], crs=CRS)
    nq = gpd.GeoDataFrame({"area_id": ["new-quarter-1"], "name": ["Rullebanen nye kvarter"],
                           "area_ha": [round(new_quarter.area / 1e4, 2)]},
                          geometry=[new_quarter], crs=CRS)
    nqb = gpd.GeoDataFrame({"basin_id": ["NQ01", "NQ02"],
                            "volume_m3": [float(round(Point(h.x, h.y).buffer(h.r * 0.7).area * h.depth * 0.8))
                                          for h in nq_h],
                            "name": ["Rullebanen park dam", "Rullebanen regnbed"]},
                           geometry=[Point(h.x, h.y).buffer(h.r * 0.7) for h in nq_h], crs=CRS)
    new_ch = new_chargers(rng, gdf, chargers, streets)

    # ------------------------------------------------------------ write
    layers = {"buildings": gdf, "heat_network": heat, "heat_plants": plants,
              "charging_points": chargers, "basins": basins, "streets": streets}
    for key, layer in layers.items():
        write_atomic_gpkg(layer, out / f"{key}.gpkg", key)
    write_dem(z, out / "dem.tif")
    copy_atomic(args.ssb, out / SSB_NAME)
    write_atomic_gpkg(ext, scen / "fornebu_dh_extension.gpkg", "heat_network")
    write_atomic_gpkg(new_ch, scen / "fornebu_new_chargers.gpkg", "charging_points")
    write_atomic_gpkg(new_basins, scen / "fornebu_new_basins.gpkg", "basins")
    write_atomic_gpkg(nq, scen / "new_quarter_area.gpkg", "area")
    write_atomic_gpkg(nqb, scen / "new_quarter_basins.gpkg", "basins")
    write_atomic_text(MANIFEST, out / "district.yaml")
    write_atomic_text(README, out / "README.md")
    weather_out = out / "weather_rygge_2019.csv"
    if Path(args.weather).resolve() != weather_out.resolve():
        copy_atomic(args.weather, weather_out)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_fornebu_grid_areas import make_grid_areas

    make_grid_areas(out)

    validate(out, scen, ssb)
    summary(gdf, heat, chargers, basins, streets, z, land_mask)
    depression_stats(z)
    if not args.no_preview:
        preview(args.preview, gdf, heat, chargers, basins, streets, z, ssb, ext, new_basins, nq)
    return 0


def make_chargers(rng, gdf: gpd.GeoDataFrame, streets) -> gpd.GeoDataFrame:
    rows = []
    u = gdf.use.to_numpy()

    def spot(i: int, off: float = 6.0) -> Point:
        g = gdf.geometry.iloc[i]
        c = g.centroid
        line = streets.geometry.iloc[int(np.argmin(streets.distance(c)))]
        q = line.interpolate(line.project(c))
        v = np.array([c.x - q.x, c.y - q.y])
        v = v / (np.linalg.norm(v) + 1e-9)
        # from the street side of the building wall, off metres towards the street
        b = g.exterior.interpolate(g.exterior.project(q))
        return Point(b.x - v[0] * off, b.y - v[1] * off)

    def add(i, kw, conn, public, name, operator):
        rows.append(dict(kw=float(kw), connectors=int(conn), public=bool(public), name=name,
                         operator=operator, geometry=spot(i)))

    fs = int(np.flatnonzero(gdf.name.fillna("").to_numpy() == "Fornebu S")[0])
    add(fs, 150, 8, True, "Fornebu S hurtiglader", "Ladeoperatør A")
    add(fs, 22, 12, True, "Fornebu S parkeringshus", "Ladeoperatør A")
    arena = int(np.flatnonzero(gdf.name.fillna("").to_numpy() == "Fornebu Arena")[0])
    add(arena, 50, 6, True, "Fornebu Arena", "Ladeoperatør B")
    offices = np.flatnonzero(u == "office")
    offices = offices[np.argsort(-gdf.floor_area_m2.to_numpy()[offices], kind="stable")][:14]
    for i in offices:
        add(i, rng.choice([11.0, 22.0]), int(rng.integers(6, 30)), rng.random() < 0.3,
            f"{gdf.name.iloc[i]} P-hus", "Eiendomsforvalter")
    apts = np.flatnonzero(u == "apartment")
    apts = rng.choice(apts, size=16, replace=False)
    for i in sorted(apts):
        add(i, rng.choice([3.7, 7.4, 11.0]), int(rng.integers(4, 40)), False,
            "Borettslag garasjeanlegg", "Sameie")
    pub = rng.choice(np.flatnonzero(np.isin(u, ["school", "sports", "culture", "retail", "kindergarten"])),
                     size=8, replace=False)
    for i in sorted(pub):
        add(i, rng.choice([22.0, 50.0]), int(rng.integers(2, 6)), True,
            f"Gatelader {gdf.address.iloc[i].split(',')[0]}", "Bærum kommune")
    ch = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    ch.insert(0, "charger_id", [f"C{i + 1:03d}" for i in range(len(ch))])
    return ch


def new_chargers(rng, gdf, chargers, streets) -> gpd.GeoDataFrame:
    """12 public street chargers in residential areas farthest from existing ones."""
    res = gdf[np.isin(gdf.use.to_numpy(), ["apartment", "row_house", "house"])]
    pts = res.geometry.centroid.to_numpy()
    have = list(chargers.geometry)
    chosen = []
    for _ in range(12):
        d = np.array([min(p.distance(h) for h in have) for p in pts])
        j = int(np.argmax(d))
        p = pts[j]
        line = streets.geometry.iloc[int(np.argmin(streets.distance(p)))]
        q = line.interpolate(line.project(p))
        v = np.array([p.x - q.x, p.y - q.y])
        v = v / (np.linalg.norm(v) + 1e-9)
        c = Point(q.x + v[0] * 4, q.y + v[1] * 4)
        chosen.append(c)
        have.append(c)
    return gpd.GeoDataFrame({"charger_id": [f"NC{i + 1:02d}" for i in range(len(chosen))],
                             "kw": [22.0 if i % 3 else 50.0 for i in range(len(chosen))],
                             "connectors": [2] * len(chosen), "public": [True] * len(chosen),
                             "name": ["Ny gatelader"] * len(chosen),
                             "operator": ["Bærum kommune"] * len(chosen)},
                            geometry=chosen, crs=CRS)


def dh_extension(G: nx.Graph, segs, net: nx.Graph, gdf, net_union) -> gpd.GeoDataFrame:
    """Planned lines: street paths from the network to large buildings not on DH."""
    u = gdf.use.to_numpy()
    cand = gdf[(~gdf.dh_connected.to_numpy()) & np.isin(u, ["apartment", "school", "kindergarten",
                                                              "nursing_home", "office", "sports",
                                                              "row_house"])
               & (gdf.floor_area_m2.to_numpy() > 1200)]
    cand = cand.sort_values("floor_area_m2", ascending=False, kind="stable")
    nodes = np.array(list(G.nodes))
    H = G.copy()
    src = "SRC"
    for n in net.nodes:
        H.add_edge(src, n, length=0.0, seg=-1)
    dist, paths = nx.single_source_dijkstra(H, src, weight="length")
    chosen: set[int] = set()
    count = 0
    for _, b in cand.iterrows():
        c = b.geometry.centroid
        k = int(np.argmin(np.hypot(nodes[:, 0] - c.x, nodes[:, 1] - c.y)))
        tgt = tuple(nodes[k])
        if tgt not in paths or dist[tgt] > 900 or dist[tgt] == 0:
            continue
        p = paths[tgt][1:]
        for a, bb in zip(p[:-1], p[1:]):
            s = H.edges[a, bb]["seg"]
            if s >= 0 and not net.has_edge(a, bb):
                chosen.add(s)
        count += 1
        if count >= 30:
            break
    lines = [segs[s] for s in sorted(chosen)]
    n = len(lines)
    return gpd.GeoDataFrame({"network_id": ["fornebu-dh"] * n, "co2_g_kwh": [DH_CO2_G_KWH] * n,
                             "supply_temp_c": [DH_SUPPLY_C] * n, "planned": [True] * n},
                            geometry=lines, crs=CRS)


# --------------------------------------------------------------------------- checks
def check_types(gdf: gpd.GeoDataFrame, sch: schema.LayerSchema, where: str) -> list[str]:
    errs = []
    for col in sch.columns:
        if col.name not in gdf.columns:
            if col.required:
                errs.append(f"{where}: missing column {col.name}")
            continue
        s = gdf[col.name]
        ok = {"str": lambda s: s.dropna().map(lambda v: isinstance(v, str)).all(),
              "int": lambda s: pd.api.types.is_integer_dtype(s.dtype),
              "float": lambda s: pd.api.types.is_float_dtype(s.dtype),
              "bool": lambda s: pd.api.types.is_bool_dtype(s.dtype)}[col.dtype](s)
        if not ok:
            errs.append(f"{where}: column {col.name} has dtype {s.dtype}, expected {col.dtype}")
        if col.unique and s.duplicated().any():
            errs.append(f"{where}: duplicate {col.name}")
        if col.vocabulary is not None and not s.dropna().isin(col.vocabulary).all():
            errs.append(f"{where}: {col.name} outside vocabulary")
        if col.min is not None and (s.dropna() < col.min).any():
            errs.append(f"{where}: {col.name} below {col.min}")
        if col.max is not None and (s.dropna() > col.max).any():
            errs.append(f"{where}: {col.name} above {col.max}")
        if not col.nullable and s.isna().any():
            errs.append(f"{where}: {col.name} has missing values")
    if not gdf.geometry.geom_type.isin(sch.geometry).all():
        errs.append(f"{where}: geometry types {set(gdf.geometry.geom_type)} not in {sch.geometry}")
    if not gdf.geometry.is_valid.all() or gdf.geometry.is_empty.any():
        errs.append(f"{where}: invalid or empty geometry")
    return errs


def validate(out: Path, scen: Path, ssb: gpd.GeoDataFrame) -> None:
    import rasterio
    import yaml

    man = yaml.safe_load((out / "district.yaml").read_text(encoding="utf-8"))
    errs: list[str] = []
    layers = {}
    for key, fname in man["layers"].items():
        if key == "dem":
            continue
        g = gpd.read_file(out / fname)
        layers[key] = g
        if g.crs is None or g.crs.to_epsg() != 25833:
            errs.append(f"{fname}: CRS {g.crs} is not EPSG:25833")
        if key in schema.LAYERS:
            errs += check_types(g, schema.LAYERS[key], fname)
    for f, key in (("fornebu_dh_extension.gpkg", "heat_network"),
                   ("fornebu_new_chargers.gpkg", "charging_points"),
                   ("fornebu_new_basins.gpkg", "basins"), ("new_quarter_basins.gpkg", "basins")):
        g = gpd.read_file(scen / f)
        if g.crs.to_epsg() != 25833:
            errs.append(f"{f}: CRS")
        errs += check_types(g, schema.LAYERS[key], f)
    b = layers["buildings"]
    pop = gpd.read_file(out / man["layers"]["population"])
    j = gpd.sjoin(gpd.GeoDataFrame(b[["residents"]], geometry=b.geometry.centroid, crs=b.crs),
                  pop[["ru250m", "pop_tot", "geometry"]], predicate="within", how="left")
    got = j.groupby("ru250m").residents.sum()
    want = pop.set_index("ru250m").pop_tot.astype(float)
    diff = (got.reindex(want.index).fillna(0.0) - want).abs()
    outside = float(j.loc[j.ru250m.isna(), "residents"].sum())
    print(f"residents per SSB cell: max abs diff {diff.max():.2e}, outside cells {outside:.2e}, "
          f"total {b.residents.sum():.3f} (SSB {want.sum():.0f})")
    if diff.max() > 1e-6 or outside > 1e-6:
        errs.append("residents do not match the SSB grid")
    with rasterio.open(out / man["layers"]["dem"]) as src:
        if src.crs.to_epsg() != 25833:
            errs.append("dem.tif: CRS")
        db = src.bounds
        data = src.read(1)
    tb = b.total_bounds
    if not (db.left <= tb[0] and db.bottom <= tb[1] and db.right >= tb[2] and db.top >= tb[3]):
        errs.append("DEM does not cover the buildings")
    if (data == -9999).any():
        errs.append("DEM has nodata cells")
    nq = gpd.read_file(scen / "new_quarter_area.gpkg")
    if b.intersects(nq.geometry.iloc[0]).any():
        errs.append("buildings inside the new-quarter area")
    if b.geometry.intersects(layers["basins"].union_all()).any():
        errs.append("buildings overlap basins")
    # overlaps between buildings
    tree = shapely.STRtree(b.geometry.values)
    l, r = tree.query(b.geometry.values, predicate="overlaps")
    if (l != r).any():
        errs.append(f"{int((l != r).sum() // 2)} overlapping building pairs")
    # street connectivity
    G, _ = street_graph(list(layers["streets"].geometry))
    if nx.number_connected_components(G) != 1:
        errs.append(f"street network has {nx.number_connected_components(G)} components")
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    size += sum(f.stat().st_size for f in scen.glob("*.gpkg"))
    print(f"data size: {size / 1e6:.2f} MB")
    if size > 20e6:
        errs.append("data larger than 20 MB")
    if errs:
        raise SystemExit("validation failed:\n" + "\n".join(errs))
    print("validation: OK")


def summary(gdf, heat, chargers, basins, streets, z, land) -> None:
    t = gdf.groupby("use").agg(buildings=("building_id", "size"), floor_area_m2=("floor_area_m2", "sum"),
                               dwellings=("dwellings", "sum"), residents=("residents", "sum"))
    print(t.round(0).to_string())
    print(f"buildings {len(gdf)}, residents {gdf.residents.sum():.1f}, dwellings {gdf.dwellings.sum()}")
    jobs = gdf.loc[gdf.use == "office", "floor_area_m2"].sum() / OFFICE_M2_PER_JOB
    print(f"office floor area {gdf.loc[gdf.use == 'office', 'floor_area_m2'].sum():,.0f} m2 "
          f"-> ~{jobs:,.0f} office jobs at {OFFICE_M2_PER_JOB:.0f} m2/job")
    print("heating:", gdf.heating.value_counts().to_dict())
    print(f"years {gdf.year.min()}-{gdf.year.max()}, pre-1970 {int((gdf.year < 1970).sum())}, "
          f">=2017 {int((gdf.year >= 2017).sum())}")
    print(f"heat network {heat.length.sum() / 1000:.2f} km, chargers {len(chargers)}, "
          f"basins {len(basins)} ({basins.volume_m3.sum():.0f} m3), streets {streets.length.sum() / 1000:.1f} km")
    print(f"DEM land {z[land].min():.2f}..{z[land].max():.2f} m, sea {SEA_LEVEL_M} m")


def depression_stats(z: np.ndarray) -> None:
    import pyflwdir.dem

    filled, _ = pyflwdir.dem.fill_depressions(z, outlets="edge", nodata=-9999.0)
    dep = filled - z
    lab, n = ndimage.label(dep > 0.005)
    if n == 0:
        print("no depressions")
        return
    mx = ndimage.maximum(dep, lab, np.arange(1, n + 1))
    area = np.bincount(lab.ravel())[1:] * CELL * CELL
    big = mx >= 0.2
    print(f"depressions: {n} (> 5 mm), {int(big.sum())} deeper than 0.2 m; "
          f"max depth {mx.max():.2f} m; area deeper than 0.2 m {(dep > 0.2).sum() * CELL * CELL / 1e4:.2f} ha; "
          f"area of depressions > 5 mm {area.sum() / 1e4:.1f} ha")


def preview(path, gdf, heat, chargers, basins, streets, z, ssb, ext, new_basins, nq) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LightSource

    fig, ax = plt.subplots(figsize=(13, 12), dpi=110)
    ls = LightSource(azdeg=315, altdeg=45)
    zz = np.where(z < 0, np.nan, z)
    ax.imshow(ls.hillshade(np.nan_to_num(zz, nan=-1), vert_exag=4, dx=CELL, dy=CELL), cmap="gray",
              extent=(X0, X1, Y0, Y1), alpha=0.6)
    ax.imshow(np.ma.masked_invalid(zz), cmap="terrain", extent=(X0, X1, Y0, Y1), alpha=0.35, vmin=-5, vmax=25)
    ax.imshow(np.ma.masked_where(z >= 0, z), cmap="Blues", extent=(X0, X1, Y0, Y1), alpha=0.5)
    ssb.boundary.plot(ax=ax, color="k", lw=0.3, alpha=0.4)
    streets.plot(ax=ax, color="#666", lw=0.8)
    colors = {"house": "#e8b04b", "row_house": "#d98c3f", "apartment": "#c4533a", "office": "#3a6fc4",
              "retail": "#9b3ac4", "school": "#2ca25f", "kindergarten": "#7fcd91", "nursing_home": "#e377c2",
              "sports": "#17becf", "culture": "#8c564b", "hotel": "#bcbd22", "industrial": "#555",
              "unheated": "#bbb"}
    gdf.plot(ax=ax, color=gdf.use.map(colors).fillna("k"), lw=0)
    heat.plot(ax=ax, color="red", lw=1.6)
    ext.plot(ax=ax, color="red", lw=1.2, linestyle="--")
    basins.plot(ax=ax, color="#1f77b4", alpha=0.8)
    new_basins.plot(ax=ax, color="cyan", alpha=0.8)
    nq.boundary.plot(ax=ax, color="purple", lw=1.5)
    chargers.plot(ax=ax, color="lime", markersize=25, edgecolor="k")
    ax.set_title("Fornebu (synthetic demo district) — buildings by use, DH (red), basins, chargers")
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    print(f"preview: {path}")


MANIFEST = f"""\
# Bundled demo district. Generated by scripts/make_fornebu.py (seed {SEED}); do not edit by hand.
name: Fornebu
crs: "{CRS}"
synthetic: true
synthetic_note:
  en: >-
    Real: the location (the Fornebu peninsula in Bærum, Norway) and Statistics
    Norway's 2023 population grid (250 m cells, 9,507 residents), to which the
    residents per building are fitted exactly. Invented: all buildings and their
    attributes, the street network, the district-heating network and plant, the
    charging points, the rain-water basins and the terrain model (DEM).
  nb: >-
    Ekte: stedet (Fornebulandet i Bærum) og SSBs befolkningsrutenett for 2023
    (ruter på 250 m, 9 507 innbyggere), som beboerne per bygning er tilpasset
    nøyaktig. Oppdiktet: alle bygninger og deres egenskaper, gatenettet,
    fjernvarmenettet og varmesentralen, ladepunktene, fordrøyningsbassengene og
    terrengmodellen.
  sv: >-
    Verkligt: platsen (Fornebuhalvön i Bærum, Norge) och Statistisk sentralbyrås
    befolkningsrutnät för 2023 (rutor på 250 m, 9 507 invånare), som invånarna per
    byggnad är exakt anpassade till. Påhittat: alla byggnader och deras egenskaper,
    gatunätet, fjärrvärmenätet och värmeverket, laddpunkterna,
    dagvattenmagasinen och terrängmodellen.
  da: >-
    Virkeligt: stedet (Fornebu-halvøen i Bærum, Norge) og Statistisk sentralbyrås
    befolkningsgitter for 2023 (felter på 250 m, 9.507 indbyggere), som beboerne
    pr. bygning er tilpasset nøjagtigt. Opdigtet: alle bygninger og deres
    egenskaber, gadenettet, fjernvarmenettet og varmecentralen, ladepunkterne,
    regnvandsbassinerne og terrænmodellen.
description:
  en: >-
    Synthetic demo district at Fornebu, a former airport on a low peninsula in the
    Oslofjord: office campuses in the east, apartment quarters (Nansenparken,
    Oksenøya), row and detached houses (Storøya, Hundsund), older houses at
    Snarøya and Fornebu nord, schools, kindergartens, a retail centre, a nursing
    home and sports halls; district heating and cooling from a seawater heat-pump
    plant. Heat network emission factor {DH_CO2_G_KWH:.0f} g CO2e/kWh is an
    illustrative assumption (see README.md).
  nb: >-
    Syntetisk demoområde på Fornebu, en tidligere flyplass på et lavt nes i
    Oslofjorden: kontorområder i øst, boligkvartaler (Nansenparken, Oksenøya),
    rekkehus og eneboliger (Storøya, Hundsund), eldre hus på Snarøya og Fornebu
    nord, skoler, barnehager, et kjøpesenter, et sykehjem og idrettshaller;
    fjernvarme og fjernkjøling fra en sjøvannsvarmepumpe. Utslippsfaktoren
    {DH_CO2_G_KWH:.0f} g CO2e/kWh for fjernvarmen er en antakelse til illustrasjon (se README.md).
  sv: >-
    Syntetiskt demoområde på Fornebu, en före detta flygplats på en låg udde i
    Oslofjorden: kontorsområden i öster, bostadskvarter (Nansenparken, Oksenøya),
    rad- och villor (Storøya, Hundsund), äldre hus på Snarøya och Fornebu nord,
    skolor, förskolor, ett köpcentrum, ett äldreboende och idrottshallar;
    fjärrvärme och fjärrkyla från en havsvattenvärmepump. Utsläppsfaktorn
    {DH_CO2_G_KWH:.0f} g CO2e/kWh för fjärrvärmen är ett antagande för illustration (se README.md).
  da: >-
    Syntetisk demoområde på Fornebu, en tidligere lufthavn på et lavt næs i
    Oslofjorden: kontorområder mod øst, boligkarréer (Nansenparken, Oksenøya),
    række- og enfamiliehuse (Storøya, Hundsund), ældre huse på Snarøya og Fornebu
    nord, skoler, børnehaver, et butikscenter, et plejehjem og idrætshaller;
    fjernvarme og fjernkøling fra en havvandsvarmepumpe. Emissionsfaktoren
    {DH_CO2_G_KWH:.0f} g CO2e/kWh for fjernvarmen er en antagelse til illustration (se README.md).
attribution: "{SSB_ATTRIBUTION}. Synthetic layers: twin project, generated data."
licence: "Population grid CC BY 4.0 (Statistics Norway); synthetic layers CC0 1.0"
# Real place names of the Fornebu peninsula at approximate locations (WGS 84, placed by hand,
# not surveyed: check against norgeskart.no before citing); the district around them is synthetic.
places:
  - name: Fornebulandet
    lon: 10.6180
    lat: 59.8960
  - name: Storøya
    lon: 10.5990
    lat: 59.8930
  - name: Oksenøya
    lon: 10.6260
    lat: 59.8860
  - name: Rolfsbukta
    lon: 10.6350
    lat: 59.9010
  - name: Koksa
    lon: 10.6080
    lat: 59.9030
  - name: Nansenparken
    lon: 10.6210
    lat: 59.8945
weather:
  file: weather_rygge_2019.csv
  place: Bærum
  label: "Measured hourly weather, Rygge 2019 (Agrometeorology Norway, lmt.nibio.no, via stinefm/relsad, MIT); about 50 km south of Fornebu; a real year, not a typical year"
layers:
  buildings: buildings.gpkg
  heat_network: heat_network.gpkg
  heat_plants: heat_plants.gpkg
  charging_points: charging_points.gpkg
  basins: basins.gpkg
  streets: streets.gpkg
  dem: dem.tif
  grid_areas: grid_areas.gpkg
  population: {SSB_NAME}
"""

README = f"""\
# Fornebu — bundled demo district (synthetic)

**This district is synthetic.** It sits at the real location of Fornebu (Bærum,
Norway) and its residents match Statistics Norway's 2023 population grid, but
every building, street, pipe, charger, basin and the terrain are invented by
`scripts/make_fornebu.py` (fixed seed {SEED}). Do not use it to make decisions
about the real Fornebu.

## What is real
- The location and rough shape of the peninsula (bounds 10.591–10.640 E,
  59.882–59.906 N): Lysakerfjorden to the east, Holtekilen/Storøykilen to the
  west, the old runway 06/24 across the middle.
- `{SSB_NAME}`: an unmodified copy of Statistics Norway's population by 250 m
  grid cell, 2023, cut to Fornebu (63 cells, 9,507 residents; columns `ru250m`,
  `pop_tot`). Attribution: **{SSB_ATTRIBUTION}**.
- The residents per building (`residents`) add up to the SSB figure in every
  250 m cell (exactly, up to floating-point rounding): the residents of a cell
  are shared among its residential buildings in proportion to their dwellings.
  Residential buildings outside populated cells have no residents and no
  dwellings.
- The district-heating and cooling at Fornebu is supplied by seawater heat
  pumps (Fortum Fjernvarme AS, "Søknad om fjernvarmekonsesjon for
  Fornebu-Lysaker-Lilleaker", describing seawater heat pumps with oil peak
  boilers; Norsk Fjernvarme, fjernkontrollen.no, lists the Fornebu network as
  heat-pump based).

## What is invented
- `buildings.gpkg`: footprints (rectangles and L-shapes in rows along a street
  grid per neighbourhood), use, floors, construction year, heating system,
  dwellings, names and addresses. Sizing rules: {HOUSEHOLD_SIZE} persons per
  dwelling to size the housing stock of a cell, {APT_M2_PER_DWELLING:.0f} m²
  gross floor area per apartment, heated floor area = footprint × floors ×
  {BRA_PER_BTA}. Construction years: Snarøya and Fornebu nord houses mostly
  1925–1999, Storøya/Hundsund 1998–2016, Nansenparken 2008–2022, Oksenøya
  2010–2024, offices 1998–2023. Heating: district heating for non-house
  buildings within 40 m of the network, heat pumps and direct electric
  elsewhere, and a handful of legacy oil (5) and gas (4) boilers in the oldest
  houses (fossil heating oil has been banned in Norway since 2020; these stand
  for systems awaiting conversion).
- Office floor space sized for the order of 15,000–20,000 office jobs (the
  generator prints its estimate at {OFFICE_M2_PER_JOB:.0f} m² per job).
- `streets.gpkg`: main roads drawn after the real layout (names such as
  Snarøyveien and Forneburingen are real street names, their geometry is not),
  local grids per neighbourhood, and short `service` connectors; the network is
  one connected graph.
- `heat_network.gpkg` / `heat_plants.gpkg`: network `fornebu-dh` along streets
  of the eastern core, supply {DH_SUPPLY_C:.0f} °C, and one seawater heat-pump
  plant. **`co2_g_kwh` = {DH_CO2_G_KWH:.0f} g CO2e/kWh is an illustrative
  assumption**, not a published figure: a seawater heat pump with a seasonal
  COP of about 3 uses about 0.33 kWh of electricity per kWh of heat, which with
  a Norwegian electricity mix of the order of 10–30 g/kWh and a small peak-load
  share gives a delivered factor of the order of 10–30 g/kWh. Look up the
  network's current value in its varedeklarasjon on fjernkontrollen.no (Norsk
  Fjernvarme) before quoting it.
- `charging_points.gpkg`: public fast chargers at Fornebu S and the arena,
  office car parks, housing-cooperative garages and street chargers.
- `basins.gpkg`: six rain-water basins (ponds / rain beds) in parks, on the
  designed hollows of the DEM, volume = area × 0.8 × hollow depth.
- `dem.tif`: 2 m float32 GeoTIFF (deflate + floating-point predictor), EPSG:25833,
  values rounded to 1 cm. Land rises from the shore to 10–20 m with gentle
  fractal hills; the old runway is flat at about 12 m. **The sea is −1.0 m, not
  nodata**, so water can leave the land at the shore (no nodata cells).
  Depressions produced by the noise are filled to 90 % of their depth, so the
  closed hollows that matter are designed ones (0.2–1.5 m deep): in parks
  where basins are, in the new-quarter area, next to 14 buildings and under 6
  buildings. Building footprints are levelled (25 % of the natural relief
  kept).

## Scenario inputs (`twin/data/scenarios/data/`)
- `fornebu_dh_extension.gpkg`: planned DH lines (`planned: true`) along streets
  from the network to large buildings not on district heating.
- `fornebu_new_chargers.gpkg`: 12 public street chargers where housing is
  farthest from existing chargers.
- `fornebu_new_basins.gpkg`: rain beds on the hollows that reach buildings.
- `new_quarter_area.gpkg`: about 20 ha of open land on the old runway, kept
  free of buildings; `new_quarter_basins.gpkg`: two basins inside it.

## Weather year (`weather_rygge_2019.csv`, real)
Measured hourly weather at Rygge (Østfold, about 50 km south of Fornebu),
calendar year 2019, 8,760 hours: air temperature at 2 m (TT, °C), wind speed
(FM2, m/s) and global radiation (Q0, W/m²); times carry their UTC offset
(+01 winter, +02 summer) and are read as local standard time (UTC+01).
Source: the GitHub repository `stinefm/relsad` (MIT licence, © 2021 Stine
Fleischer Myhre), `relsad/examples/load/data/weather_data_rygge.csv` at commit
69614d35; upstream (inferred from the element codes): Norwegian
agrometeorological service — credit "Agrometeorology Norway, lmt.nibio.no,
Rygge, 2019". It is a real year, not a typical (TMY) year for Oslo; the
design outdoor temperature used with it is Oslo's −20 °C
(`twin/params/design_temperature.csv`).

## Grid areas (`grid_areas.gpkg`, synthetic)
24 invented secondary-substation supply areas (`area_id` ss01…ss24,
`capacity_kw`, `synthetic: true`), made by `scripts/make_fornebu_grid_areas.py`:
Voronoi cells around k-means clusters of the buildings; capacity = the
smallest number of 1,000 kVA transformers (IEC 60076-1 rating, power factor
0.95) carrying the baseline scenario's hourly peak of the area with a 10 %
margin. No real grid data (Elvia) is used; the layer only demonstrates the
headroom check.

## Licence
Population grid: CC BY 4.0, Statistics Norway. Weather year: MIT (relsad), data credit Agrometeorology Norway (NIBIO). Synthetic layers: CC0 1.0.
"""

if __name__ == "__main__":
    raise SystemExit(main())
