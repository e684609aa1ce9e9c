"""Generate a new city quarter inside a polygon from planning targets.

A scenario can ask for "a new quarter here": a polygon of open land, a gross
floor area, a use mix and a floor range. :func:`generate_quarter` lays out a
plan-like street grid and builds blocks on it:

1. **Orientation.** The grid follows the longest side of the polygon's minimum
   rotated rectangle, so the streets run along the site.
2. **Streets.** Corridors of ``street_width_m`` split the site into blocks of
   about ``block_size_m`` (the pitch is stretched so the site is filled
   evenly). Street centre lines are clipped to the site; pieces that would be
   cut off from the network are linked to it or dropped, so the network is
   connected.
3. **Blocks.** Site minus a boundary setback minus the street corridors;
   blocks below a minimum area are left as green space.
4. **Typologies.** Apartments and other urban uses (retail, hotel, culture,
   nursing homes) get *perimeter blocks*: a ring of bars ``bar_depth_m`` deep
   around a courtyard, cut into several buildings. Offices and other large
   workplaces get *slabs* (rows of free-standing buildings ``building_gap_m``
   apart). Schools, kindergartens, sports halls and houses get one *low* wing
   along a block edge, leaving a yard.
5. **Uses and floors.** Blocks are given to typologies so that the footprint
   each needs at a common design height is covered; within a typology,
   buildings are given to uses by footprint (splitting the last building where
   needed). Each building draws a floor count within the range (seeded) and the
   counts are then scaled and adjusted one floor at a time, and buildings
   dropped or trimmed where the land is more than needed, until every use's
   floor area matches its share of the target.

All numeric design values are in ``twin/params/quarter.csv`` with sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from twin._errors import InputError, Problem, input_error
from twin.schema import BUILDING_CODES, HEATING, RESIDENTIAL_USES, USES

__all__ = ["generate_quarter", "QuarterCapacityError", "quarter_params", "TYPOLOGY"]

_WHERE = "generate_quarter"
_PARAMS_CSV = Path(__file__).parent / "params" / "quarter.csv"

#: Building typology of each use in a generated quarter.
TYPOLOGY: dict[str, str] = {
    "apartment": "perimeter",
    "nursing_home": "perimeter",
    "hotel": "perimeter",
    "retail": "perimeter",
    "culture": "perimeter",
    "office": "slab",
    "university": "slab",
    "hospital": "slab",
    "industrial": "slab",
    "warehouse": "slab",
    "unheated": "slab",
    "school": "low",
    "kindergarten": "low",
    "sports": "low",
    "row_house": "low",
    "house": "low",
}
_TYPOLOGY_ORDER = ("low", "slab", "perimeter")
_OFFICE_STOREY_USES = ("office", "retail", "university", "hospital", "industrial",
                       "warehouse", "unheated", "culture", "sports")
_AREA_TOL = 1e-6  # m2; floating-point noise, not a design value
_GRID_M = 1e-4    # m; coordinate grid of generated footprints (numerical, not design)


class QuarterCapacityError(InputError):
    """The site cannot hold the target floor area at the highest floor count.

    Attributes
    ----------
    achievable_m2 : float
        The largest gross floor area (heated BRA, m²) the site holds with the
        requested use mix and floor range.
    """

    def __init__(self, problem: Problem, achievable_m2: float) -> None:
        super().__init__(problem)
        self.achievable_m2 = achievable_m2


@lru_cache(maxsize=1)
def _params_cached() -> tuple[tuple[str, float], ...]:
    table = pd.read_csv(_PARAMS_CSV, dtype={"parameter": str, "value": float})
    missing = table["source"].isna() | (table["source"].astype(str).str.strip() == "")
    if missing.any():  # pragma: no cover - guarded by tests on the CSV
        raise RuntimeError(f"{_PARAMS_CSV}: rows without a source: "
                           f"{list(table.loc[missing, 'parameter'])}")
    # one gross-to-heated factor for all of twin (NS 3940, twin/params/floor_area.csv)
    fa = pd.read_csv(_PARAMS_CSV.with_name("floor_area.csv"), dtype={"parameter": str, "value": float})
    k = float(fa.loc[fa["parameter"] == "gross_to_heated_factor", "value"].iloc[0])
    return tuple(zip(table["parameter"], table["value"].astype(float))) + (("gross_to_heated", k),)


def quarter_params() -> dict[str, float]:
    """Design parameters of generated quarters (``twin/params/quarter.csv``).

    Returns
    -------
    dict of str to float
        Parameter name to value; units and sources are in the CSV.
    """
    return dict(_params_cached())


# --------------------------------------------------------------------------
# geometry helpers
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Frame:
    """Rotation that aligns the grid with the x axis (angle in degrees)."""

    angle: float
    origin: tuple[float, float]

    def to_frame(self, g: BaseGeometry) -> BaseGeometry:
        return affinity.rotate(g, -self.angle, origin=self.origin)

    def from_frame(self, g: BaseGeometry) -> BaseGeometry:
        return affinity.rotate(g, self.angle, origin=self.origin)

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> BaseGeometry:
        """An axis-aligned rectangle in the frame, returned in map coordinates."""
        return self.from_frame(box(x0, y0, x1, y1))


def _grid_frame(area: BaseGeometry) -> _Frame:
    """Frame aligned with the longest side of the minimum rotated rectangle."""
    mrr = shapely.oriented_envelope(area)
    c = area.centroid
    if mrr.geom_type != "Polygon":
        return _Frame(0.0, (c.x, c.y))
    xy = np.asarray(mrr.exterior.coords)[:4]
    edges = np.roll(xy, -1, axis=0) - xy
    i = int(np.argmax(np.hypot(edges[:, 0], edges[:, 1])))
    angle = math.degrees(math.atan2(edges[i, 1], edges[i, 0]))
    angle = (angle + 90.0) % 180.0 - 90.0  # keep in (-90, 90]
    return _Frame(angle, (c.x, c.y))


def _polygons(g: BaseGeometry) -> list[Polygon]:
    """The non-empty polygons of any geometry (collections flattened)."""
    if g.is_empty:
        return []
    if g.geom_type == "Polygon":
        return [g]
    if g.geom_type in ("MultiPolygon", "GeometryCollection"):
        out: list[Polygon] = []
        for part in g.geoms:
            out.extend(_polygons(part))
        return out
    return []


def _lines(g: BaseGeometry) -> list[LineString]:
    """The non-empty line strings of any geometry (collections flattened)."""
    if g.is_empty:
        return []
    if g.geom_type == "LineString":
        return [g]
    if g.geom_type in ("MultiLineString", "GeometryCollection"):
        out: list[LineString] = []
        for part in g.geoms:
            out.extend(_lines(part))
        return out
    return []


def _clean(g: BaseGeometry, min_area: float) -> list[Polygon]:
    """Valid polygons of ``g`` with at least ``min_area`` m²."""
    if not g.is_valid:
        g = shapely.make_valid(g)
    # Snapping to a 0.1 mm grid merges near-duplicate vertices and removes the
    # zero-width bridges and spikes that overlays leave where a cut line runs
    # along an existing edge; left in, they make later overlays unreliable.
    out: list[Polygon] = []
    for p in _polygons(g):
        snapped = shapely.set_precision(p, _GRID_M)
        out += [q for q in _polygons(snapped) if q.area >= min_area]
    return out


def _axis_positions(lo: float, hi: float, block: float, street: float) -> list[float]:
    """Centre lines of street corridors that split ``[lo, hi]`` into blocks.

    The number of corridors is chosen so that blocks come closest to ``block``;
    blocks are then stretched equally to fill the extent.
    """
    extent = hi - lo
    k = max(0, int(round((extent - block) / (block + street))))
    if k == 0:
        return []
    width = (extent - k * street) / (k + 1)
    return [lo + (j + 1) * width + j * street + street / 2 for j in range(k)]


# --------------------------------------------------------------------------
# streets
# --------------------------------------------------------------------------

def _components(lines: list[LineString]) -> list[list[int]]:
    """Connected groups of lines (lines that touch or cross)."""
    parent = list(range(len(lines)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    tree = shapely.STRtree(lines)
    for i, line in enumerate(lines):
        for j in tree.query(line, predicate="intersects"):
            a, b = find(i), find(int(j))
            if a != b:
                parent[a] = b
    groups: dict[int, list[int]] = {}
    for i in range(len(lines)):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: -sum(lines[i].length for i in g))


def _street_lines(area: BaseGeometry, frame: _Frame, xs: list[float], ys: list[float],
                  street_width: float) -> list[tuple[LineString, str, int]]:
    """Connected street centre lines clipped to the area.

    Returns (line, direction 'long'/'cross', index along the axis) triples.
    """
    rot = frame.to_frame(area)
    x0, y0, x1, y1 = rot.bounds
    pad = street_width
    raw: list[tuple[LineString, str, int]] = []
    for j, y in enumerate(ys):
        g = frame.from_frame(LineString([(x0 - pad, y), (x1 + pad, y)])).intersection(area)
        raw += [(ln, "long", j) for ln in _lines(g) if ln.length >= street_width]
    for j, x in enumerate(xs):
        g = frame.from_frame(LineString([(x, y0 - pad), (x, y1 + pad)])).intersection(area)
        raw += [(ln, "cross", j) for ln in _lines(g) if ln.length >= street_width]
    if len(raw) <= 1:
        return raw
    groups = _components([r[0] for r in raw])
    keep = list(groups[0])
    main = shapely.union_all([raw[i][0] for i in keep])
    inside = area.buffer(street_width * 1e-3)
    for grp in groups[1:]:
        comp = shapely.union_all([raw[i][0] for i in grp])
        link = shapely.shortest_line(comp, main)
        if link is not None and inside.covers(link):
            keep += grp
            if link.length > 0:
                raw.append((link, "link", len(raw)))
                keep.append(len(raw) - 1)
            main = main.union(comp)
    return [raw[i] for i in sorted(keep)]


# --------------------------------------------------------------------------
# typologies
# --------------------------------------------------------------------------

def _rows(block: Polygon, frame: _Frame, *, depth: float, gap: float, row_gap: float,
          max_len: float, rows_max: int, min_fp: float, one_side: bool) -> list[Polygon]:
    """Free-standing bars along the long side of a block.

    Rows of ``depth`` are spaced ``row_gap`` apart (at most ``rows_max``);
    each row is split into buildings of at most ``max_len`` with ``gap``
    between them. With ``one_side`` a single row is put on the block's lower
    edge (leaving a yard), else single rows are centred.
    """
    bx0, by0, bx1, by1 = frame.to_frame(block).bounds
    along_x = (bx1 - bx0) >= (by1 - by0)
    a0, a1, c0, c1 = (bx0, bx1, by0, by1) if along_x else (by0, by1, bx0, bx1)
    la, lc = a1 - a0, c1 - c0
    d = min(depth, lc)
    n_rows = max(1, min(rows_max, int((lc + row_gap) // (d + row_gap))))
    if n_rows == 1:
        starts = [c0] if one_side else [c0 + (lc - d) / 2]
    else:
        step = (lc - d) / (n_rows - 1)
        starts = [c0 + i * step for i in range(n_rows)]
    n_seg = max(1, math.ceil((la + gap) / (max_len + gap)))
    seg = (la - (n_seg - 1) * gap) / n_seg
    out: list[Polygon] = []
    for s in starts:
        for k in range(n_seg):
            p0 = a0 + k * (seg + gap)
            cell = (frame.rect(p0, s, p0 + seg, s + d) if along_x
                    else frame.rect(s, p0, s + d, p0 + seg))
            out += _clean(block.intersection(cell), min_fp)
    return out


def _perimeter(block: Polygon, frame: _Frame, p: dict[str, float]) -> list[Polygon]:
    """A courtyard block: a ring of bars around a courtyard, cut into buildings.

    Blocks too small for a courtyard of ``min_courtyard_width_m`` get
    free-standing bars instead.
    """
    d, min_fp = p["bar_depth_m"], p["min_footprint_m2"]
    court = block.buffer(-d, join_style="mitre")
    court_ok = (not court.is_empty and
                not court.buffer(-p["min_courtyard_width_m"] / 2).is_empty)
    if not court_ok:
        return _rows(block, frame, depth=d, gap=p["building_gap_m"],
                     row_gap=p["min_courtyard_width_m"], max_len=p["max_building_length_m"],
                     rows_max=2, min_fp=min_fp, one_side=False)
    ring = block.difference(court)
    bx0, by0, bx1, by1 = frame.to_frame(block).bounds
    cx0, cy0, cx1, cy1 = frame.to_frame(court).bounds
    max_len = p["max_building_length_m"]
    pad = 1.0  # m beyond the block so cells cover it; any positive value works
    n_mid = max(1, math.ceil((cx1 - cx0) / max_len))
    xs_mid = [cx0 + (cx1 - cx0) * i / n_mid for i in range(n_mid + 1)]
    n_end = max(1, math.ceil((by1 - by0) / max_len))
    ys_end = [by0 - pad] + [by0 + (by1 - by0) * i / n_end for i in range(1, n_end)] + [by1 + pad]
    cells: list[BaseGeometry] = []
    for xa, xb in ((bx0 - pad, cx0), (cx1, bx1 + pad)):  # end bars, corners included
        cells += [frame.rect(xa, ya, xb, yb) for ya, yb in zip(ys_end[:-1], ys_end[1:])]
    cells += [frame.rect(xa, by0 - pad, xb, by1 + pad)  # long sides, split in length
              for xa, xb in zip(xs_mid[:-1], xs_mid[1:])]
    out: list[Polygon] = []
    for cell in cells:
        out += _clean(ring.intersection(cell), min_fp)
    return out


def _footprints(block: Polygon, frame: _Frame, typology: str,
                p: dict[str, float]) -> list[Polygon]:
    """Building footprints of one typology on one block."""
    if typology == "perimeter":
        return _perimeter(block, frame, p)
    if typology == "slab":
        return _rows(block, frame, depth=p["office_depth_m"], gap=p["building_gap_m"],
                     row_gap=p["min_courtyard_width_m"], max_len=p["max_building_length_m"],
                     rows_max=10**6, min_fp=p["min_footprint_m2"], one_side=False)
    return _rows(block, frame, depth=p["low_depth_m"], gap=p["building_gap_m"],
                 row_gap=p["min_courtyard_width_m"], max_len=2 * p["max_building_length_m"],
                 rows_max=2, min_fp=p["min_footprint_m2"], one_side=True)


def _trim(fp: Polygon, frame: _Frame, target_area: float) -> Polygon | None:
    """Cut ``fp`` along its long axis to about ``target_area`` m² (bisection)."""
    x0, y0, x1, y1 = frame.to_frame(fp).bounds
    along_x = (x1 - x0) >= (y1 - y0)
    lo, hi = 0.0, 1.0
    piece: BaseGeometry | None = None
    for _ in range(30):  # 2**-30 of a building length: far below a millimetre
        t = (lo + hi) / 2
        cell = (frame.rect(x0 - 1, y0 - 1, x0 + t * (x1 - x0), y1 + 1) if along_x
                else frame.rect(x0 - 1, y0 - 1, x1 + 1, y0 + t * (y1 - y0)))
        piece = fp.intersection(cell)
        if piece.area < target_area:
            lo = t
        else:
            hi = t
    parts = _clean(piece, _AREA_TOL) if piece is not None else []
    if not parts:
        return None
    return max(parts, key=lambda q: q.area)


# --------------------------------------------------------------------------
# allocation of blocks and floors
# --------------------------------------------------------------------------

@dataclass
class _Block:
    geom: Polygon
    name: str
    order_centre: float   # distance of centroid to the site centre
    order_end: float      # position along the long axis (frame x)
    fp: dict[str, list[Polygon]] = field(default_factory=dict)

    def footprint(self, typology: str) -> float:
        return float(sum(q.area for q in self.fp[typology]))


def _floor_range(use: str, floors: tuple[int, int], p: dict[str, float]) -> tuple[int, int]:
    """Allowed floor counts of a use: the scenario range, or 1..max for low uses."""
    if TYPOLOGY[use] == "low":
        top = int(min(floors[1], p[f"floors_max_{use}"]))
        return 1, max(1, top)
    return floors


def _assign_blocks(blocks: list[_Block], need: dict[str, float]) -> dict[str, list[int]] | None:
    """Give blocks to typologies until each one's footprint need is covered.

    Low-rise (schools) take central blocks, slabs (offices) one end of the
    site, perimeter blocks the rest, largest first. Returns None when the
    blocks run out before every need is covered.
    """
    orders = {
        "low": sorted(range(len(blocks)), key=lambda i: (blocks[i].order_centre, i)),
        "slab": sorted(range(len(blocks)), key=lambda i: (blocks[i].order_end, i)),
        "perimeter": sorted(range(len(blocks)),
                            key=lambda i: (-round(blocks[i].geom.area, 3), i)),
    }
    free = set(range(len(blocks)))
    out: dict[str, list[int]] = {}
    for t in _TYPOLOGY_ORDER:
        if need.get(t, 0.0) <= 0:
            continue
        got, chosen = 0.0, []
        for i in orders[t]:
            if got >= need[t]:
                break
            if i in free and blocks[i].fp[t]:
                free.discard(i)
                chosen.append(i)
                got += blocks[i].footprint(t)
        if got < need[t]:
            return None
        out[t] = chosen
    return out


def _needs(targets: dict[str, float], n_design: float, floors: tuple[int, int],
           p: dict[str, float]) -> dict[str, float]:
    """Footprint each typology needs at the design floor count."""
    k = p["gross_to_heated"]
    need: dict[str, float] = {}
    for u, a in targets.items():
        lo, hi = _floor_range(u, floors, p)
        n = hi if TYPOLOGY[u] == "low" else min(max(n_design, lo), hi)
        need[TYPOLOGY[u]] = need.get(TYPOLOGY[u], 0.0) + a / (k * n)
    return need


def _fit_floors(fps: list[Polygon], target: float, lo: int, hi: int, rng: np.random.Generator,
                frame: _Frame, p: dict[str, float]) -> tuple[list[Polygon], list[int]]:
    """Floor counts (and, if the land is too much, fewer/trimmed buildings).

    Draws a floor count per building in ``[lo, hi]``, scales the draws to the
    target, then moves one floor at a time on the building that reduces the
    error most. Excess floor area at ``lo`` floors is removed by dropping the
    last buildings and trimming the last one kept.
    """
    k = p["gross_to_heated"]
    fps = list(fps)
    if not fps:
        return [], []
    r = rng.uniform(lo, hi + 1, size=len(fps))  # floor draw, later scaled
    area = np.array([q.area for q in fps])
    scale = target / (k * float(np.sum(area * r)))
    n = np.clip(np.floor(r * scale + 0.5), lo, hi).astype(int)

    def improve(n: np.ndarray, area: np.ndarray) -> np.ndarray:
        while True:
            err = target - k * float(np.sum(area * n))
            step = np.sign(err)
            if step == 0:
                return n
            movable = (n < hi) if step > 0 else (n > lo)
            if not movable.any():
                return n
            new_err = np.abs(err - step * k * area)
            new_err[~movable] = np.inf
            j = int(np.argmin(new_err))
            if new_err[j] >= abs(err):
                return n
            n[j] += int(step)

    n = improve(n, area)
    # too much land: every building is at the lowest floor count and the area is
    # still above target -> drop buildings from the end (the last blocks given out)
    while len(fps) > 1 and np.all(n == lo) and k * float(np.sum(area * n)) > target:
        if k * float(np.sum(area[:-1])) * hi < target:
            break
        fps.pop()
        area = area[:-1]
        n = improve(n[:-1].copy(), area)
    excess = k * float(np.sum(area * n)) - target
    if excess > 0 and np.all(n == lo):
        keep_fp = area[-1] - excess / (k * n[-1])
        if keep_fp >= p["min_footprint_m2"]:
            trimmed = _trim(fps[-1], frame, keep_fp)
            if trimmed is not None:
                fps[-1] = trimmed
        elif len(fps) > 1:
            fps.pop()
            n = improve(n[:-1].copy(), np.array([q.area for q in fps]))
    return fps, [int(v) for v in n]


def _split_uses(typology: str, fps: list[Polygon], targets: dict[str, float],
                n_design: float, floors: tuple[int, int], frame: _Frame,
                p: dict[str, float]) -> dict[str, list[Polygon]]:
    """Share a typology's buildings among its uses by the footprint each needs.

    The largest use takes what is left; smaller uses take buildings in order,
    the last one cut to the footprint still needed.
    """
    k = p["gross_to_heated"]
    uses = sorted((u for u in targets if TYPOLOGY[u] == typology),
                  key=lambda u: (-targets[u], u))
    out: dict[str, list[Polygon]] = {u: [] for u in uses}
    # low-rise uses (a kindergarten beside a school) take whole buildings from
    # the far end so that each gets its own block; urban uses (retail in
    # apartment blocks) take the first buildings and share blocks
    pool = list(fps) if typology != "low" else list(reversed(fps))
    for u in uses[1:]:
        lo, hi = _floor_range(u, floors, p)
        n = hi if typology == "low" else min(max(n_design, lo), hi)
        need = targets[u] / (k * n)
        got = 0.0
        while pool and got < need:
            q = pool.pop(0)
            rest = need - got
            if q.area - rest >= p["min_footprint_m2"] and rest >= p["min_footprint_m2"]:
                part = _trim(q, frame, rest)
                if part is not None:
                    remainder = _clean(q.difference(part), p["min_footprint_m2"])
                    pool[:0] = remainder
                    q = part
            out[u].append(q)
            got += q.area
    out[uses[0]] = pool if typology != "low" else list(reversed(pool))
    return out


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------

def _validate(area: object, crs: str, gfa: float, use_mix: dict[str, float],
              floors: tuple[int, int], building_code: str, heating: str,
              street_width_m: float, block_size_m: float) -> list[Problem]:
    problems: list[Problem] = []
    if not isinstance(area, (Polygon, MultiPolygon)):
        problems.append(Problem(_WHERE, f"area is a {type(area).__name__}, not a Polygon",
                                "pass a shapely Polygon or MultiPolygon", column="area"))
    elif area.is_empty or not area.is_valid or area.area <= 0:
        problems.append(Problem(_WHERE, "area is empty or not a valid polygon",
                                "repair it with shapely.make_valid(area)", column="area"))
    try:
        c = pyproj.CRS.from_user_input(crs)
        if not c.is_projected:
            problems.append(Problem(_WHERE, f"crs {crs} is not projected (metres needed)",
                                    "use a metric CRS such as EPSG:25833", column="crs"))
    except pyproj.exceptions.CRSError:
        problems.append(Problem(_WHERE, f"crs {crs!r} is not a known CRS",
                                "give an EPSG code such as 'EPSG:25833'", column="crs"))
    if not (isinstance(gfa, (int, float)) and math.isfinite(gfa) and gfa > 0):
        problems.append(Problem(_WHERE, f"gross_floor_area_m2 is {gfa!r}",
                                "give a positive number of m2", column="gross_floor_area_m2"))
    if not use_mix:
        problems.append(Problem(_WHERE, "use_mix is empty",
                                f"give shares for some of: {', '.join(USES)}", column="use_mix"))
    for key, share in (use_mix or {}).items():
        if key not in USES:
            problems.append(Problem(_WHERE, f"unknown use {key!r}",
                                    f"use one of: {', '.join(USES)}", column=f"use_mix.{key}"))
        if not (isinstance(share, (int, float)) and math.isfinite(share) and share >= 0):
            problems.append(Problem(_WHERE, f"share of {key!r} is {share!r}",
                                    "give a share between 0 and 1", column=f"use_mix.{key}"))
    if use_mix and all(isinstance(v, (int, float)) for v in use_mix.values()):
        total = float(sum(use_mix.values()))
        if abs(total - 1.0) > 1e-6:
            problems.append(Problem(_WHERE, f"use shares sum to {total:.6g}, not 1",
                                    "make the shares of "
                                    f"{', '.join(map(str, use_mix))} add up to 1",
                                    column="use_mix"))
    lo_hi_ok = (isinstance(floors, (tuple, list)) and len(floors) == 2
                and all(isinstance(f, (int, np.integer)) for f in floors))
    if not lo_hi_ok or not (1 <= floors[0] <= floors[1] <= 120):
        problems.append(Problem(_WHERE, f"floors is {floors!r}",
                                "give (lowest, highest) storeys with 1 <= lowest <= highest <= 120",
                                column="floors"))
    if building_code not in BUILDING_CODES:
        problems.append(Problem(_WHERE, f"unknown building_code {building_code!r}",
                                f"use one of: {', '.join(BUILDING_CODES)}",
                                column="building_code"))
    if heating not in HEATING:
        problems.append(Problem(_WHERE, f"unknown heating {heating!r}",
                                f"use one of: {', '.join(HEATING)}", column="heating"))
    for name, v in (("street_width_m", street_width_m), ("block_size_m", block_size_m)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            problems.append(Problem(_WHERE, f"{name} is {v!r}", "give a positive length in m",
                                    column=name))
    return problems


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------

def _plan(blocks: list[_Block], targets: dict[str, float], floors: tuple[int, int],
          p: dict[str, float]) -> tuple[float, dict[str, list[int]]] | None:
    """Design floor count and block assignment, or None if nothing fits."""
    lo, hi = floors
    n_pref = (lo + hi) / 2
    steps = 8  # candidate design heights between lo and hi
    for n in sorted({lo + (hi - lo) * i / steps for i in range(steps + 1)}):
        if _assign_blocks(blocks, _needs(targets, n, floors, p)) is not None:
            break
    else:
        return None
    # the lowest design height that fits, but not below the middle of the range:
    # spare blocks stay green rather than every building being low
    n = max(n, n_pref)
    assignment = _assign_blocks(blocks, _needs(targets, n, floors, p))
    return (n, assignment) if assignment is not None else None


def _achievable(blocks: list[_Block], shares: dict[str, float], floors: tuple[int, int],
                p: dict[str, float]) -> float:
    """Largest gross floor area that the blocks hold at the highest floors."""
    hi = floors[1]
    total_fp = sum(max(b.footprint(t) for t in b.fp) for b in blocks)
    top = p["gross_to_heated"] * total_fp * hi
    lo_t, hi_t = 0.0, top
    for _ in range(40):  # bisection to well below a square metre
        mid = (lo_t + hi_t) / 2
        tg = {u: s * mid for u, s in shares.items()}
        if _assign_blocks(blocks, _needs(tg, hi, floors, p)) is None:
            hi_t = mid
        else:
            lo_t = mid
    return lo_t


def generate_quarter(
    area: Polygon | MultiPolygon,
    *,
    crs: str,
    gross_floor_area_m2: float,
    use_mix: dict[str, float],
    floors: tuple[int, int] = (4, 7),
    building_code: str = "TEK17",
    year: int = 2030,
    heating: str = "district_heating",
    id_prefix: str = "nq",
    street_width_m: float | None = None,
    block_size_m: float | None = None,
    seed: int = 0,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Lay out streets, blocks and buildings of a new quarter inside ``area``.

    Parameters
    ----------
    area : shapely Polygon or MultiPolygon
        Site of the quarter, in ``crs`` (metres).
    crs : str
        CRS of ``area`` and of the returned layers, e.g. ``"EPSG:25833"``.
    gross_floor_area_m2 : float
        Target heated floor area (BRA, m²) of the quarter; met within 5 %.
    use_mix : dict of str to float
        Share of the floor area per use (keys from :data:`twin.schema.USES`),
        summing to 1.
    floors : tuple of int
        Lowest and highest storeys of perimeter and slab buildings; low-rise
        uses (school, kindergarten, sports, houses) stay at or below their
        maximum in ``quarter.csv``.
    building_code, year, heating : str, int, str
        Energy standard, construction year and heating system of every
        building (``unheated`` buildings get heating ``none``).
    id_prefix : str
        Buildings are ``{id_prefix}-1``, ``{id_prefix}-2`` …, streets
        ``{id_prefix}-s1`` ….
    street_width_m, block_size_m : float, optional
        Street corridor width and block size (defaults from ``quarter.csv``).
    seed : int
        Seed of the floor-count draws; equal inputs give equal outputs.

    Returns
    -------
    buildings : GeoDataFrame
        Columns of the BUILDINGS schema: ``building_id, use, floors, height_m,
        year, heating, building_code, floor_area_m2, dwellings, name, address``.
    streets : GeoDataFrame
        Street centre lines: ``street_id, name, highway, geometry``.

    Raises
    ------
    InputError
        Bad arguments (each problem names the argument and the allowed values).
    QuarterCapacityError
        The target does not fit at the highest floor count; the message and
        ``achievable_m2`` give the largest floor area that fits.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> b, s = generate_quarter(box(0, 0, 300, 200), crs="EPSG:25833",
    ...                         gross_floor_area_m2=60_000,
    ...                         use_mix={"apartment": 0.8, "office": 0.2})
    >>> abs(b.floor_area_m2.sum() / 60_000 - 1) < 0.05
    True
    """
    p = quarter_params()
    street_w = p["street_width_m"] if street_width_m is None else street_width_m
    block_s = p["block_size_m"] if block_size_m is None else block_size_m
    problems = _validate(area, crs, gross_floor_area_m2, use_mix, floors, building_code,
                         heating, street_w, block_s)
    if problems:
        raise InputError(problems)
    floors = (int(floors[0]), int(floors[1]))
    shares = {u: float(s) for u, s in use_mix.items() if s > 0}
    targets = {u: s * gross_floor_area_m2 for u, s in shares.items()}
    k = p["gross_to_heated"]

    # --- grid and streets -------------------------------------------------
    frame = _grid_frame(area)
    x0, y0, x1, y1 = frame.to_frame(area).bounds
    xs = _axis_positions(x0, x1, block_s, street_w)
    ys = _axis_positions(y0, y1, block_s, street_w)
    street_parts = _street_lines(area, frame, xs, ys, street_w)
    corridors = shapely.union_all([ln.buffer(street_w / 2, cap_style="flat")
                                   for ln, _, _ in street_parts]) if street_parts \
        else Polygon()
    site = area.buffer(-p["edge_setback_m"], join_style="mitre")
    block_geoms = [b for b in _clean(site.difference(corridors), p["min_block_area_m2"])
                   if not b.buffer(-p["bar_depth_m"] / 2).is_empty]

    # --- blocks, names and typology footprints ----------------------------
    centre = area.centroid
    blocks: list[_Block] = []
    seen: dict[str, int] = {}
    for g in sorted(block_geoms, key=lambda b: (round(frame.to_frame(b.centroid).y, 3),
                                                round(frame.to_frame(b.centroid).x, 3))):
        c = frame.to_frame(g.centroid)
        row = sum(1 for y in ys if y < c.y)
        col = sum(1 for x in xs if x < c.x)
        name = f"Kvartal {_letters(row)}{col + 1}"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name += chr(ord("a") + seen[name] - 2)
        blk = _Block(g, name, g.centroid.distance(centre), c.x)
        for t in {TYPOLOGY[u] for u in targets}:
            blk.fp[t] = _footprints(g, frame, t, p)
        blocks.append(blk)

    planned = _plan(blocks, targets, floors, p) if blocks else None
    if planned is None:
        best = _achievable(blocks, shares, floors, p) if blocks else 0.0
        raise QuarterCapacityError(Problem(
            _WHERE,
            f"the area holds at most {best:,.0f} m2 of floor area with this use mix at up to "
            f"{floors[1]} floors, less than the target {gross_floor_area_m2:,.0f} m2",
            "give a bigger area, allow more floors (raise the upper value of floors), "
            f"or lower gross_floor_area_m2 to at most {best:,.0f}",
            column="gross_floor_area_m2"), best)
    n_design, assignment = planned

    # --- uses and floors --------------------------------------------------
    rng = np.random.default_rng(seed)
    records: list[dict[str, object]] = []
    for t in _TYPOLOGY_ORDER:
        if t not in assignment:
            continue
        fps: list[Polygon] = []
        names: dict[int, str] = {}
        for i in assignment[t]:
            for q in blocks[i].fp[t]:
                names[id(q)] = blocks[i].name
                fps.append(q)
        by_use = _split_uses(t, fps, targets, n_design, floors, frame, p)
        for u in sorted(by_use, key=lambda u: (-targets[u], u)):
            lo, hi = _floor_range(u, floors, p)
            owners = [_owner(q, blocks, assignment[t]) for q in by_use[u]]
            kept, n = _fit_floors(by_use[u], targets[u], lo, hi, rng, frame, p)
            for q, f, owner in zip(kept, n, owners):
                records.append({"use": u, "floors": f, "geometry": q, "name": owner})

    bld = _buildings_frame(records, crs=crs, k=k, p=p, year=year, heating=heating,
                           building_code=building_code, id_prefix=id_prefix)
    streets = _streets_frame(street_parts, crs=crs, id_prefix=id_prefix)
    bld["address"] = _addresses(bld, streets)
    return bld, streets


def _owner(q: Polygon, blocks: list[_Block], idx: list[int]) -> str:
    """Name of the block holding footprint ``q``."""
    pt = q.representative_point()
    for i in idx:
        if blocks[i].geom.covers(pt):
            return blocks[i].name
    return blocks[idx[0]].name


def _letters(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA (row letters of block names)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(ord("A") + r) + s
    return s


def _buildings_frame(records: list[dict[str, object]], *, crs: str, k: float,
                     p: dict[str, float], year: int, heating: str, building_code: str,
                     id_prefix: str) -> gpd.GeoDataFrame:
    """Buildings in the BUILDINGS schema from (use, floors, geometry, name) records."""
    cols = ["building_id", "use", "floors", "height_m", "year", "heating", "building_code",
            "floor_area_m2", "dwellings", "name", "address", "geometry"]
    if not records:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry="geometry", crs=crs)
    df = pd.DataFrame(records)
    geoms = gpd.GeoSeries(df["geometry"].tolist(), crs=crs)
    floors_ = df["floors"].astype("int64")
    storey = np.where(df["use"].isin(_OFFICE_STOREY_USES), p["storey_height_m_office"],
                      p["storey_height_m_residential"])
    floor_area = geoms.area.to_numpy() * floors_.to_numpy() * k
    per_dwelling = df["use"].map(lambda u: p.get(f"dwelling_m2_{u}", np.nan))
    dwellings = np.where(df["use"].isin(RESIDENTIAL_USES),
                         np.maximum(1, np.floor(floor_area / per_dwelling.to_numpy() + 0.5)),
                         0).astype("int64")
    out = gpd.GeoDataFrame({
        "building_id": [f"{id_prefix}-{i + 1}" for i in range(len(df))],
        "use": df["use"].astype(str).to_numpy(),
        "floors": floors_.to_numpy(),
        "height_m": floors_.to_numpy() * storey,
        "year": np.full(len(df), int(year), dtype="int64"),
        "heating": np.where(df["use"] == "unheated", "none", heating),
        "building_code": np.full(len(df), building_code),
        "floor_area_m2": floor_area.astype(float),
        "dwellings": dwellings,
        "name": df["name"].astype(str).to_numpy(),
        "address": np.full(len(df), ""),
    }, geometry=geoms.to_numpy(), crs=crs)
    return out


_STREET_NAMES = {"long": "Langgata", "cross": "Tverrgata", "link": "Forbindelsen"}


def _streets_frame(parts: list[tuple[LineString, str, int]], *, crs: str,
                   id_prefix: str) -> gpd.GeoDataFrame:
    """Streets layer (STREETS schema) from clipped centre lines."""
    rows = []
    for n, (ln, kind, j) in enumerate(parts):
        rows.append({"street_id": f"{id_prefix}-s{n + 1}",
                     "name": f"{_STREET_NAMES[kind]} {_letters(j if kind != 'link' else n)}",
                     "highway": "residential", "geometry": ln})
    if not rows:
        return gpd.GeoDataFrame({"street_id": [], "name": [], "highway": []},
                                geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def _addresses(bld: gpd.GeoDataFrame, streets: gpd.GeoDataFrame) -> pd.Series:
    """Street address of each building: nearest street, numbered along it.

    Odd numbers on the left of the street's direction, even on the right.
    """
    if bld.empty:
        return pd.Series([], dtype=object, index=bld.index)
    if streets.empty:
        return pd.Series([f"{nm}, bygg {i + 1}" for i, nm in enumerate(bld["name"])],
                         index=bld.index)
    pts = bld.geometry.representative_point()
    lines = list(streets.geometry)
    tree = shapely.STRtree(lines)
    nearest = tree.nearest(pts.to_numpy())
    pos, side = [], []
    for pt, j in zip(pts, nearest):
        ln = lines[int(j)]
        d = ln.project(pt)
        pos.append(d)
        a = ln.interpolate(max(0.0, d - 1.0))
        b = ln.interpolate(min(ln.length, d + 1.0))
        cross = (b.x - a.x) * (pt.y - a.y) - (b.y - a.y) * (pt.x - a.x)
        side.append(1 if cross > 0 else 0)
    df = pd.DataFrame({"street": nearest, "pos": pos, "side": side}, index=bld.index)
    df = df.sort_values(["street", "side", "pos"], kind="stable")
    df["rank"] = df.groupby(["street", "side"]).cumcount()
    df["number"] = 2 * df["rank"] + np.where(df["side"] == 1, 1, 2)
    names = streets["name"].to_numpy()
    return pd.Series([f"{names[int(s)]} {int(n)}" for s, n in zip(df["street"], df["number"])],
                     index=df.index).reindex(bld.index)
