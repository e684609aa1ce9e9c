"""Tiled depression filling on dask: DEMs larger than memory, on any dask scheduler.

Barnes (2016), "Parallel priority-flood depression filling for trillion cell
digital elevation models", Computers & Geosciences 94:30-40, in three stages:

1. **Tiles** (in parallel): each tile, read with a one-cell halo (a
   rasterio window per task, :func:`read_halo`, so a worker holds only its
   own tile; the grid and tiling come from the lazily opened, dask-backed
   rioxarray DataArray, :func:`twin.raster.open_dem_lazy`), is filled
   by the same kernel as the in-memory path
   (:func:`twin._flood_kernels.fill_core`) with its own perimeter as seeds,
   labelling every cell with the seed its flood came from. Perimeter cells
   next to nodata or the raster edge (seen through the halo) are true
   outlets and share node 0; every other perimeter cell is a node of the
   *watershed graph*. A tile returns only its graph: the edges between its
   watersheds (the lowest ``max(filled a, filled b)`` over neighbouring cells
   of two watersheds) and its perimeter cells.
2. **Spill graph** (on the client): perimeter cells of neighbouring tiles
   are joined at ``max(z a, z b)``; a priority-flood on the graph from node 0
   gives every node its spill level (the lowest level at which its water
   can leave the DEM). Only tile borders travel: the graph has about
   ``4 * chunks`` nodes per tile.
3. **Raise** (in parallel): each tile is filled again (the same labels) and
   every cell is raised to ``max(tile filled level, spill level of its
   label)``; tiles are written to ``filled.tif`` window by window.

Why it equals the in-memory fill: a cell's filled level is the lowest, over
paths to an outlet, of the highest elevation on the path. Every such path
leaves the cell's tile through a perimeter cell (or ends at an outlet in
it), so it is at least the tile fill; chaining tile-fill paths along graph
edges gives a path at ``max(tile fill, spill level)``, and every outlet path
crosses watersheds only at levels the edges bound from below. All levels
are elevations of the DEM, so the result is bit-identical.

Memory: a tile needs about 50 bytes per cell in flight (keys, stack,
labels, filled surface, depression pieces), so ``--chunks 4096`` takes about 0.8 GB per worker,
whatever the DEM's size.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from twin import _flood_kernels as _k
from twin._errors import input_error
from twin.flood import _label_components, flood_keys
from twin.flood_tiled_flow import FlowFiles, depression_flow, flow_columns, write_comp
from twin.raster import LazyDem, geotiff_writer, open_dem_lazy

#: dask's local schedulers by the name ``--scheduler`` takes
LOCAL_SCHEDULERS = ("threads", "processes", "synchronous")
#: seconds to wait for a dask.distributed scheduler at ``--scheduler ADDRESS``
CONNECT_TIMEOUT_S = 10


@dataclass
class TiledSummary:
    """What a tiled fill did: tiles, graph size, seconds per stage."""

    shape: tuple[int, int]
    chunks: int
    tiles: int
    graph_nodes: int = 0
    graph_edges: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    scheduler: str = "threads"
    flooded_buildings: int = 0
    balance: dict[str, float] = field(default_factory=dict)
    basins: Any = None


# --------------------------------------------------------------------------- one tile
def _tile_flood(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Fill one tile (``block`` = tile plus a one-cell halo, NaN = nodata/outside).

    Returns the tile's filled surface, its labels (flat, padded grid), the
    graph node of every label (0 = outlet) and the number of non-outlet nodes.
    """
    core = np.ascontiguousarray(block[1:-1, 1:-1])
    if core.dtype not in (np.float32, np.float64):
        core = core.astype(np.float64)
    filled, lab, seeds = flood_keys(core, None, label=True)
    pc = block.shape[1]
    off = np.array([-pc - 1, -pc, -pc + 1, -1, 1, pc - 1, pc, pc + 1], dtype=np.int64)
    # the padded tile grid is the block's grid, so the halo tells which seeds are outlets
    outlet = np.isnan(block.ravel()[seeds.astype(np.int64)[:, None] + off[None, :]]).any(axis=1)
    inner = ~outlet
    node = np.zeros(len(seeds) + 1, dtype=np.int64)
    nnodes = int(inner.sum())
    node[1:][inner] = np.arange(1, nnodes + 1)
    return filled, lab, node, nnodes


def _ring(filled: np.ndarray, lab: np.ndarray, node: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Elevation and graph node of the tile's four perimeter lines (NaN = nodata)."""
    nr, nc = filled.shape
    labs = lab.reshape(nr + 2, nc + 2)[1:-1, 1:-1]
    nodes = node[labs]
    return {"top": (filled[0].copy(), nodes[0].copy()), "bottom": (filled[-1].copy(), nodes[-1].copy()),
            "left": (filled[:, 0].copy(), nodes[:, 0].copy()), "right": (filled[:, -1].copy(), nodes[:, -1].copy())}


def tile_graph(block: np.ndarray) -> dict[str, Any]:
    """Stage 1 for one tile: its watershed edges (local node ids) and perimeter."""
    filled, lab, node, nnodes = _tile_flood(block)
    ea, eb, ew = _k.label_edges(lab, filled, node)
    return {"nnodes": nnodes, "edges": (ea, eb, ew), "ring": _ring(filled, lab, node)}


def tile_filled(block: np.ndarray, level: np.ndarray,
                report: tuple[float, float, float] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Stage 3 for one tile: its cells raised to the spill level of their watershed,
    and the pieces of the depressions in it (:func:`tile_depressions`).

    ``level[k]`` is the spill level of local node ``k`` (``level[0]`` = -inf).
    """
    filled, lab, node, _ = _tile_flood(block)
    del _
    _k.raise_to_spill(filled, lab, level[node])
    del lab
    return filled, tile_depressions(np.asarray(block[1:-1, 1:-1], dtype=np.float64), filled, report)


def _piece_labels(z: np.ndarray, filled: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected pieces of the depression cells (``filled > z``) of a tile; -1 elsewhere."""
    nr, nc = z.shape
    dep = np.zeros((nr + 2, nc + 2), dtype=np.bool_)
    np.greater(filled, z, out=dep[1:-1, 1:-1], where=~np.isnan(z))
    comp, n = _label_components(dep)
    return comp.reshape(nr + 2, nc + 2)[1:-1, 1:-1], int(n)


def tile_fill_depth(block: np.ndarray, level: np.ndarray, piece_keep: np.ndarray) -> np.ndarray:
    """Fill depth (m) of one tile's cells in reported depressions, 0 elsewhere (nodata too).

    ``piece_keep[k]``: whether the depression of the tile's piece ``k`` is reported.
    """
    filled, lab, node, _ = _tile_flood(block)
    _k.raise_to_spill(filled, lab, level[node])
    del lab
    z = np.asarray(block[1:-1, 1:-1], dtype=np.float64)
    pieces, _n = _piece_labels(z, filled)
    kept = pieces >= 0
    kept[kept] = piece_keep[pieces[kept]]
    return np.where(kept, filled - z, 0.0)


def tile_depressions(z: np.ndarray, filled: np.ndarray,
                     report: tuple[float, float, float] | None = None) -> dict[str, Any]:
    """The depression cells (``filled > z``) of one tile as 8-connected pieces.

    Per piece: cells, summed fill depth (m), deepest fill, level, first cell
    (row, column in the tile, raster order); the piece of every cell of the
    four perimeter lines (-1: none) and the outline rings of the pieces
    (:func:`twin._flood_kernels.trace_rings`, tile cell corners).
    """
    nc = z.shape[1]
    lab, n = _piece_labels(z, filled)
    cells = np.flatnonzero(lab.ravel() >= 0)
    pc = lab.ravel()[cells]
    depth = (filled.ravel()[cells] - z.ravel()[cells])
    cnt = np.bincount(pc, minlength=n)
    sdepth = np.bincount(pc, weights=depth, minlength=n)
    maxd = np.zeros(n)
    np.maximum.at(maxd, pc, depth)
    level = np.full(n, np.nan)
    level[pc] = filled.ravel()[cells]
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, pc, cells)
    rows, cols = np.divmod(cells, nc)
    box = np.empty((n, 4), dtype=np.int64)     # first row, last row, first column, last column
    box[:, 0] = box[:, 2] = np.iinfo(np.int64).max
    box[:, 1] = box[:, 3] = -1
    np.minimum.at(box[:, 0], pc, rows)
    np.maximum.at(box[:, 1], pc, rows)
    np.minimum.at(box[:, 2], pc, cols)
    np.maximum.at(box[:, 3], pc, cols)
    # outlines only of pieces that may be reported: a piece off the tile's perimeter is a
    # whole depression, decided here by ``report`` (least max depth m, cells, fill depth
    # sum m); the others are decided after the merge (keeps the client's memory small)
    outline = np.ones(n, dtype=bool)
    if report is not None and n:
        edge = np.zeros(n, dtype=bool)
        for line in (lab[0], lab[-1], lab[:, 0], lab[:, -1]):
            edge[line[line >= 0]] = True
        outline = edge | ((maxd >= report[0]) & (cnt >= report[1]) & (sdepth >= report[2]))
    sel = np.zeros(n + 1, dtype=np.int32)
    sel[1:] = np.where(outline, np.arange(1, n + 1), 0)
    vr, vc, ring_off, ring_lab = _k.trace_rings(sel[lab + 1])
    return {"n": int(n), "cnt": cnt, "sdepth": sdepth, "maxd": maxd, "level": level,
            "first": np.column_stack(np.divmod(first, nc)) if n else np.zeros((0, 2), dtype=np.int64),
            "box": box,
            "ring": {"top": lab[0].copy(), "bottom": lab[-1].copy(), "left": lab[:, 0].copy(),
                     "right": lab[:, -1].copy()},
            "outline": (vr, vc, ring_off, ring_lab)}


# --------------------------------------------------------------------------- the graph
def _facing(n_a: int, n_b: int, shifts: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs of two facing perimeter lines: cell ``i`` of a touches ``i + s`` of b."""
    ia = np.concatenate([np.arange(max(0, -s), min(n_a, n_b - s)) for s in shifts])
    ib = ia + np.repeat(np.array(shifts), [max(0, min(n_a, n_b - s) - max(0, -s)) for s in shifts])
    return ia, ib


def _contacts(ty: int, tx: int) -> Iterator[tuple[tuple[int, int], str, Any, tuple[int, int], str, Any, tuple[int, ...]]]:
    """Every pair of 8-neighbouring tiles and the perimeter cells by which they touch.

    Yields ``(tile a, line of a, cells of a, tile b, line of b, cells of b,
    shifts)``: cells are a slice (whole line) or a one-cell index list (a
    corner across diagonal tiles); cell ``i`` of a touches cells ``i + s``.
    """
    whole = slice(None)
    for r in range(ty):
        for c in range(tx):
            if c + 1 < tx:
                yield (r, c), "right", whole, (r, c + 1), "left", whole, (-1, 0, 1)
            if r + 1 < ty:
                yield (r, c), "bottom", whole, (r + 1, c), "top", whole, (-1, 0, 1)
                if c + 1 < tx:
                    yield (r, c), "bottom", [-1], (r + 1, c + 1), "top", [0], (0,)
                if c >= 1:
                    yield (r, c), "bottom", [0], (r + 1, c - 1), "top", [-1], (0,)


def spill_graph(graphs: np.ndarray) -> tuple[list[np.ndarray], int, int]:
    """Stage 2: join the tiles' graphs and flood it from the outlets.

    Parameters
    ----------
    graphs : numpy.ndarray of dict
        :func:`tile_graph` of every tile, in the tile grid's shape.

    Returns
    -------
    levels : list of numpy.ndarray
        Per tile (row-major), the spill level of each local node (index 0 = -inf).
    nodes, edges : int
        Size of the global graph.
    """
    ty, tx = graphs.shape
    counts = np.array([[g["nnodes"] for g in row] for row in graphs], dtype=np.int64)
    offs = (1 + np.concatenate([[0], np.cumsum(counts.ravel())[:-1]])).reshape(ty, tx) - 1
    ea, eb, ew = [], [], []
    for r in range(ty):
        for c in range(tx):
            a, b, w = graphs[r, c]["edges"]
            o = offs[r, c]
            ea.append(np.where(a > 0, a + o, 0))
            eb.append(np.where(b > 0, b + o, 0))
            ew.append(w)
    for ta, la, sa, tb, lb, sb, shifts in _contacts(ty, tx):
        za, na = (v[sa] for v in graphs[ta]["ring"][la])
        zb, nb = (v[sb] for v in graphs[tb]["ring"][lb])
        ia, ib = _facing(len(za), len(zb), shifts)
        ok = ~(np.isnan(za[ia]) | np.isnan(zb[ib]))
        ia, ib = ia[ok], ib[ok]
        ea.append(np.where(na[ia] > 0, na[ia] + offs[ta], 0))
        eb.append(np.where(nb[ib] > 0, nb[ib] + offs[tb], 0))
        ew.append(np.maximum(za[ia], zb[ib]))
    a = np.concatenate(ea).astype(np.int64)
    b = np.concatenate(eb).astype(np.int64)
    w = np.concatenate(ew).astype(np.float64)
    keep = a != b
    a, b, w = a[keep], b[keep], w[keep]
    nnodes = int(counts.sum()) + 1
    level = _k.spill_levels(nnodes, a, b, w)
    levels = []
    for r in range(ty):
        for c in range(tx):
            lv = np.empty(counts[r, c] + 1)
            lv[0] = -np.inf
            lv[1:] = level[offs[r, c] + 1:offs[r, c] + 1 + counts[r, c]]
            levels.append(lv)
    return levels, nnodes, len(a)


# --------------------------------------------------------------------------- depressions
@dataclass
class MergedDepressions:
    """The depressions of the whole DEM from the tiles' pieces (:func:`merge_pieces`).

    ``gid``: depression of every piece (all tiles, row-major), numbered in
    raster order of the first cell as in :func:`twin.flood.screen`;
    ``offs``: index of each tile's first piece; per depression ``cnt``
    (cells), ``vol`` (m3), ``maxd`` (m), ``level`` (spill elevation, m) and
    ``first`` (global flat index of its first cell), ``box`` (first and
    last row and column) and ``npieces``.
    """

    gid: np.ndarray
    offs: np.ndarray
    cnt: np.ndarray
    vol: np.ndarray
    maxd: np.ndarray
    level: np.ndarray
    first: np.ndarray
    box: np.ndarray
    npieces: np.ndarray

    def piece_gid(self, pieces: list[dict[str, Any]]) -> list[np.ndarray]:
        """Per tile, the depression of each of its pieces."""
        return [self.gid[off:off + p["n"]] for p, off in zip(pieces, self.offs)]


def merge_pieces(pieces: list[dict[str, Any]], windows: list[tuple[slice, slice]], grid: tuple[int, int],
                 area: float) -> MergedDepressions:
    """Pieces that touch across a tile border (8-connectivity) are one depression
    (connected components of the piece graph); its statistics are summed over its pieces."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ty, tx = grid
    counts = np.array([p["n"] for p in pieces], dtype=np.int64)
    offs = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    total = int(counts.sum())
    ea, eb = [], []
    for ta, la, sa, tb, lb, sb, shifts in _contacts(ty, tx):
        qa, qb = ta[0] * tx + ta[1], tb[0] * tx + tb[1]
        ca = pieces[qa]["ring"][la][sa]
        cb = pieces[qb]["ring"][lb][sb]
        ia, ib = _facing(len(ca), len(cb), shifts)
        ok = (ca[ia] >= 0) & (cb[ib] >= 0)
        ea.append(ca[ia][ok] + offs[qa])
        eb.append(cb[ib][ok] + offs[qb])
    a = np.concatenate(ea + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    b = np.concatenate(eb + [np.zeros(0, dtype=np.int64)]).astype(np.int64)
    _, piece_comp = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(total, total)),
                                         directed=False)
    cat = {k: np.concatenate([p[k] for p in pieces]) for k in ("cnt", "sdepth", "maxd", "level")}
    first = np.concatenate([p["first"] + [w[0].start, w[1].start] for p, w in zip(pieces, windows)])
    width = windows[-1][1].stop
    first_flat = first[:, 0].astype(np.int64) * width + first[:, 1]
    ncomp = int(piece_comp.max()) + 1 if total else 0
    comp_first = np.full(ncomp, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(comp_first, piece_comp, first_flat)
    rank = np.empty(ncomp, dtype=np.int64)
    order = np.argsort(comp_first, kind="stable")
    rank[order] = np.arange(ncomp)
    gid = rank[piece_comp]                      # depression of every piece, raster order
    cnt = np.bincount(gid, weights=cat["cnt"], minlength=ncomp)
    vol = np.bincount(gid, weights=cat["sdepth"], minlength=ncomp) * area
    maxd = np.zeros(ncomp)
    np.maximum.at(maxd, gid, cat["maxd"])
    level = np.full(ncomp, np.nan)
    level[gid] = cat["level"]
    pbox = np.concatenate([p["box"] + [w[0].start, w[0].start, w[1].start, w[1].start]
                           for p, w in zip(pieces, windows)]) if total else np.zeros((0, 4), dtype=np.int64)
    box = np.empty((ncomp, 4), dtype=np.int64)
    box[:, [0, 2]] = np.iinfo(np.int64).max
    box[:, [1, 3]] = -1
    for j, fn in ((0, np.minimum), (1, np.maximum), (2, np.minimum), (3, np.maximum)):
        fn.at(box[:, j], gid, pbox[:, j])
    return MergedDepressions(gid, offs, cnt, vol, maxd, level, comp_first[order], box,
                             np.bincount(gid, minlength=ncomp))


def depression_keep(m: MergedDepressions, area: float, params: Any) -> np.ndarray:
    """The reported depressions: the thresholds of :func:`twin.flood.screen`."""
    return (m.maxd >= params.min_depth_m) & (m.cnt * area >= params.min_area_m2) & (m.vol >= params.min_volume_m3)


def emit_depressions(pieces: list[dict[str, Any]], windows: list[tuple[slice, slice]], m: MergedDepressions,
                     keep: np.ndarray, table: Any, transform: Any, crs: Any, sink: Any,
                     outline: Any = None) -> None:
    """One polygon per reported depression, with its row of ``table`` (one row per
    depression, reported or not), passed to ``sink`` as GeoDataFrames.

    A depression in one tile goes to ``sink`` with its tile (so only one
    tile's polygons are in memory at once); depressions in several tiles
    come at the end, outlined by ``outline(ids)`` (:func:`outlines_from_ids`)
    or, without it, as the union of their pieces' outlines. Each
    GeoDataFrame is sorted by id.
    """
    import geopandas as gpd
    import shapely

    gid, offs = m.gid, m.offs
    npieces = m.npieces
    multi_polys, multi_owner = [], []
    for p, w, off in zip(pieces, windows, offs):
        vr, vc, ring_off, ring_lab = p.pop("outline")
        if len(ring_lab) == 0:
            continue
        piece_gid = gid[off + ring_lab - 1]
        sel = np.flatnonzero(keep[piece_gid])
        if len(sel) == 0:
            continue
        sizes = np.diff(ring_off)
        xs = transform.c + transform.a * (vc.astype(np.float64) + w[1].start)
        ys = transform.f + transform.e * (vr.astype(np.float64) + w[0].start)
        lr = shapely.linearrings(np.column_stack([xs, ys]), indices=np.repeat(np.arange(len(sizes)), sizes))
        del xs, ys, vr, vc
        ro = sel[np.argsort(ring_lab[sel], kind="stable")]
        labs, owner = np.unique(ring_lab[ro], return_inverse=True)
        polys = shapely.polygons(lr[ro], indices=owner)
        del lr
        owners = gid[off + labs - 1]
        single = npieces[owners] == 1
        if single.any():
            o = np.argsort(owners[single], kind="stable")
            ids = owners[single][o]
            sink(gpd.GeoDataFrame(table.iloc[ids].reset_index(drop=True), geometry=polys[single][o], crs=crs))
        multi_polys.append(polys[~single])
        multi_owner.append(owners[~single])
    if outline is not None:
        ids = np.flatnonzero(keep & (npieces > 1))
        if len(ids):
            sink(gpd.GeoDataFrame(table.iloc[ids].reset_index(drop=True), geometry=outline(ids), crs=crs))
    elif multi_polys:
        polys = np.concatenate(multi_polys)
        owner = np.concatenate(multi_owner)
        order = np.argsort(owner, kind="stable")
        ids, start = np.unique(owner[order], return_index=True)
        stop = np.r_[start[1:], len(order)]
        geoms = [shapely.union_all(polys[order[start[q]:stop[q]]]) for q in range(len(ids))]
        if len(ids):
            sink(gpd.GeoDataFrame(table.iloc[ids].reset_index(drop=True), geometry=geoms, crs=crs))


def outlines_from_ids(comp_path: str, ids: np.ndarray, m: MergedDepressions, windows: list[tuple[slice, slice]],
                      transform: Any, crs: Any) -> list[Any]:
    """Polygons of the depressions ``ids`` (sorted) traced on the depression-id raster, the
    same outlines as :func:`twin.flood.screen` draws (:func:`twin.flood._polygons`). The
    depressions are grouped by the tile of their first cell and each group is traced on
    the window holding it: one read per group, no polygon union (GEOS overlay)."""
    from affine import Affine

    from twin.flood import _polygons
    from twin.raster import Raster

    width = windows[-1][1].stop
    starts_r = np.unique([rs.start for rs, _ in windows])
    starts_c = np.unique([cs.start for _, cs in windows])
    r, c = np.divmod(m.first[ids], width)
    key = (np.searchsorted(starts_r, r, side="right") - 1) * len(starts_c) + \
        np.searchsorted(starts_c, c, side="right") - 1
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0, True])
    geoms = np.empty(len(ids), dtype=object)
    sel = np.zeros(len(m.level), dtype=bool)
    for a, b in zip(bounds[:-1], bounds[1:]):
        group = order[a:b]
        bx = m.box[ids[group]]
        rs = slice(int(bx[:, 0].min()), int(bx[:, 1].max()) + 1)
        cs = slice(int(bx[:, 2].min()), int(bx[:, 3].max()) + 1)
        comp = read_halo(comp_path, rs, cs, halo=1, fill=-1.0).astype(np.int32)
        comp[0, :] = comp[-1, :] = -1
        comp[:, 0] = comp[:, -1] = -1
        h, w = rs.stop - rs.start, cs.stop - cs.start
        win = Raster(np.broadcast_to(np.float64(0), (h, w)), transform @ Affine.translation(cs.start, rs.start), crs)
        sel[ids[group]] = True
        polys = _polygons(comp.ravel(), sel, len(sel), win)   # in id order of the group
        sel[ids[group]] = False
        geoms[np.sort(group)] = np.asarray(polys.array, dtype=object)
    return list(geoms)


def merge_depressions(pieces: list[dict[str, Any]], windows: list[tuple[slice, slice]], grid: tuple[int, int],
                      transform: Any, crs: Any, params: Any,
                      sink: Any, columns: Any = None) -> tuple[dict[str, Any], list[np.ndarray]]:
    """One row and polygon per reported depression from the tiles' pieces.

    Pieces that touch across a tile border (8-connectivity) are one
    depression (:func:`merge_pieces`); depressions are numbered in raster
    order of their first cell, as the in-memory :func:`twin.flood.screen`
    numbers them, and reported by the same thresholds (``params``:
    :class:`twin.flood.FloodParams`). Polygons of depressions in several
    tiles are the union of their pieces' outlines (:func:`emit_depressions`).

    ``columns(merged, keep)``, if given, returns further columns (and may
    carry an ``outline`` for :func:`emit_depressions`) (one value per
    depression, reported or not) such as the pour points and watersheds of
    :mod:`twin.flood_tiled_flow`; they follow ``depression_id, area_m2,
    max_depth_m, volume_m3, spill_elev_m``.

    Returns
    -------
    dict
        ``depressions`` (count) and ``fill_volume_m3``.
    list of numpy.ndarray
        Per tile, whether each of its pieces is reported.
    """
    import pandas as pd

    area = abs(transform.a * transform.e)
    m = merge_pieces(pieces, windows, grid, area)
    keep = depression_keep(m, area, params)
    ncomp = len(keep)
    table = pd.DataFrame({"depression_id": np.arange(1, ncomp + 1), "area_m2": m.cnt * area, "max_depth_m": m.maxd,
                          "volume_m3": m.vol, "spill_elev_m": m.level})
    outline = None
    if columns is not None:
        for name, values in columns(m, keep).items():
            table[name] = values
        outline = getattr(columns, "outline", None)
    emit_depressions(pieces, windows, m, keep, table, transform, crs, sink, outline)
    return ({"depressions": int(keep.sum()), "fill_volume_m3": float(m.vol[keep].sum())},
            [keep[g] for g in m.piece_gid(pieces)])


def exposure_tiled(depth_path: str | os.PathLike, windows: list[tuple[slice, slice]], transform: Any, crs: Any,
                   buildings: Any, params: Any, water_path: str | os.PathLike | None = None) -> tuple[Any, int]:
    """``flood_depth_m`` and ``in_low_lying_area`` of buildings, tile by tile.

    ``depth_path`` holds the fill depth of the reported depressions
    (:func:`tile_fill_depth`): a footprint on a cell with fill depth is in a
    low-lying area. ``flood_depth_m`` is the deepest value of ``water_path``
    (the water depth after rain, NaN = nodata) or, without it, of the fill
    depth (every depression full). Every tile is read with a halo of the
    building buffer, so the deepest water within ``building_buffer_m`` of a
    footprint is found across tile borders. Footprints are burnt by the same
    cell-centre rule as :func:`twin.flood.screen`; a building that covers no
    cell centre in any tile gets the cell under its representative point.
    """
    import shapely
    from affine import Affine

    from twin.flood import _apply, _max_filter, _rasterize_index
    from twin.raster import Raster

    radius = int(np.ceil(params.building_buffer_m / abs(transform.a) - 1e-9))
    nb = len(buildings)
    fd = np.full(nb, -np.inf)
    touched = np.zeros(nb, dtype=bool)
    low = np.zeros(nb, dtype=bool)
    sindex = buildings.sindex
    one = np.array([True])
    for rs, cs in windows:
        (x0, x1), (y0, y1) = _apply(transform, np.array([cs.start, cs.stop]), np.array([rs.stop, rs.start]))
        cand = np.sort(sindex.query(shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))))
        if len(cand) == 0:
            continue
        h, w = rs.stop - rs.start, cs.stop - cs.start
        # the window's grid (only its shape and transform are read)
        win = Raster(np.broadcast_to(np.float64(0), (h, w)), transform @ Affine.translation(cs.start, rs.start),
                     crs)
        idx = _rasterize_index(buildings.iloc[cand], win, all_touched=False)
        depth = read_halo(str(depth_path), rs, cs, halo=radius, fill=0.0)
        water = depth if water_path is None else \
            np.nan_to_num(read_halo(str(water_path), rs, cs, halo=radius, fill=0.0), nan=0.0)
        near = _max_filter(water, radius)[radius:radius + h, radius:radius + w]
        core = depth[radius:radius + h, radius:radius + w]
        comp = np.full((h + 2, w + 2), -1, dtype=np.int32)
        comp[1:-1, 1:-1][core > 0] = 0
        f_s, t_s, l_s = _k.building_exposure(idx, np.ascontiguousarray(near), comp.ravel(), one, len(cand))
        np.maximum.at(fd, cand[t_s], f_s[t_s])
        touched[cand] |= t_s
        low[cand] |= l_s
    geoms = np.asarray(buildings.geometry.array, dtype=object)
    miss = np.flatnonzero(~touched & ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if len(miss):
        pts = shapely.point_on_surface(geoms[miss])
        cols, rows = _apply(~transform, shapely.get_x(pts), shapely.get_y(pts))
        height, width = windows[-1][0].stop, windows[-1][1].stop
        for b, r, c in zip(miss, np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)):
            if not (0 <= r < height and 0 <= c < width):
                continue
            around = read_halo(str(depth_path), slice(r, r + 1), slice(c, c + 1), halo=radius, fill=0.0)
            water = around if water_path is None else np.nan_to_num(
                read_halo(str(water_path), slice(r, r + 1), slice(c, c + 1), halo=radius, fill=0.0), nan=0.0)
            touched[b] = True
            fd[b] = water.max()
            low[b] = around[radius, radius] > 0
    fd = np.where(touched, fd, np.nan)
    out = buildings.copy()
    out["flood_depth_m"] = fd
    out["in_low_lying_area"] = low
    # strictly deeper, as screen() and the indicators count
    return out, int(np.sum(np.nan_to_num(fd, nan=-1.0) > params.flooded_depth_m))


# --------------------------------------------------------------------------- dask plumbing
@contextmanager
def dask_scheduler(scheduler: Any = "threads") -> Iterator[Any]:
    """What ``dask.compute(scheduler=...)`` takes for a ``--scheduler`` value.

    ``threads``, ``processes`` or ``synchronous`` (dask's local schedulers),
    a ``dask.distributed.Client``, or the address of a running
    ``dask.distributed`` scheduler (``tcp://host:8786``), connected for the
    duration of the block.
    """
    if not isinstance(scheduler, str):
        yield scheduler  # a Client (or anything dask.compute takes)
        return
    if scheduler == "processes":
        # one pool for all stages (dask's own "processes" starts a pool per compute call)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool
        return
    if scheduler in LOCAL_SCHEDULERS:
        yield scheduler
        return
    if "://" not in scheduler and ":" not in scheduler:
        raise input_error("--scheduler", f"'{scheduler}' is neither threads, processes nor a scheduler address",
                          "use threads, processes or e.g. tcp://10.0.0.5:8786")
    from distributed import Client

    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise input_error("--scheduler", f"cannot reach the dask scheduler at {scheduler} ({exc})",
                          "start it (`dask scheduler`) or check the address") from None
    try:
        yield client
    finally:
        client.close()


def _workers(sched: Any) -> int:
    if isinstance(sched, str):
        return 1 if sched == "synchronous" else (os.cpu_count() or 1)
    if hasattr(sched, "_max_workers"):
        return int(sched._max_workers)
    try:
        return max(1, sum(sched.nthreads().values()))
    except Exception:  # noqa: BLE001 - anything dask.compute takes
        return os.cpu_count() or 1


def _halo_blocks(data: Any) -> np.ndarray:
    """Delayed tiles of a dask array, each with a one-cell halo (NaN beyond the raster edge)."""
    import dask.array as da

    if not np.issubdtype(data.dtype, np.floating):
        data = data.astype(np.float64)
    ov = da.overlap.overlap(data, depth={0: 1, 1: 1}, boundary=np.nan)
    return ov.to_delayed()


def _windows(chunks: tuple[tuple[int, ...], tuple[int, ...]]) -> list[tuple[slice, slice]]:
    rows = np.concatenate([[0], np.cumsum(chunks[0])]).astype(int)
    cols = np.concatenate([[0], np.cumsum(chunks[1])]).astype(int)
    return [(slice(rows[r], rows[r + 1]), slice(cols[c], cols[c + 1]))
            for r in range(len(rows) - 1) for c in range(len(cols) - 1)]


def read_halo(path: str, rows: slice, cols: slice, *, halo: int = 1, fill: float = np.nan) -> np.ndarray:
    """One tile of a GeoTIFF with a halo of ``halo`` cells, read as a rasterio window.

    NaN for nodata; ``fill`` beyond the raster edge; float32 files stay
    float32, others become float64. Each task opens the file itself, so only
    its own window is ever in memory (on any worker, in any process).
    """
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(path) as src:
        r0, r1 = max(rows.start - halo, 0), min(rows.stop + halo, src.height)
        c0, c1 = max(cols.start - halo, 0), min(cols.stop + halo, src.width)
        a = src.read(1, window=Window(c0, r0, c1 - c0, r1 - r0))
        nodata = src.nodata
    dtype = np.float32 if a.dtype == np.float32 else np.float64
    out = np.full((rows.stop - rows.start + 2 * halo, cols.stop - cols.start + 2 * halo), fill, dtype=dtype)
    tile = out[r0 - rows.start + halo:r1 - rows.start + halo, c0 - cols.start + halo:c1 - cols.start + halo]
    tile[...] = a
    if nodata is not None and not np.isnan(nodata):
        tile[a.astype(np.float64) == nodata] = np.nan
    tile[np.isinf(tile)] = np.nan
    return out


def _batches(fn: Any, args: list[tuple[Any, ...]], sched: Any) -> Iterator[tuple[int, Any]]:
    """``fn(*args[q])`` for every q, computed a few tiles at a time (twice the workers), in order."""
    import dask

    batch = max(1, 2 * _workers(sched))
    for s in range(0, len(args), batch):
        part = dask.compute(*[dask.delayed(fn)(*a) for a in args[s:s + batch]], scheduler=sched)
        yield from enumerate(part, start=s)


def fill_blocks(sources: list[Any], windows: list[tuple[slice, slice]], grid: tuple[int, int],
                scheduler: Any = "threads", summary: TiledSummary | None = None,
                pieces: list[dict[str, Any]] | None = None,
                levels: list[np.ndarray] | None = None,
                report: tuple[float, float, float] | None = None) -> Iterator[tuple[tuple[slice, slice], np.ndarray]]:
    """Filled tiles, as ``((rows, cols), values)``, a few at a time.

    Parameters
    ----------
    sources : list of dask.delayed
        Every tile with a one-cell halo (NaN = nodata or outside), row-major.
    windows : list of (slice, slice)
        The rows and columns of every tile.
    grid : (int, int)
        Tiles per column and per row.
    scheduler
        See :func:`dask_scheduler`.
    summary : TiledSummary, optional
        Filled in with the graph size and the seconds per stage.
    pieces : list, optional
        Receives every tile's :func:`tile_depressions`, row-major.
    levels : list, optional
        Receives every tile's spill levels (:func:`spill_graph`).
    report : (float, float, float), optional
        Reporting thresholds in cell units (see :func:`tile_depressions`).
    """
    import dask

    with dask_scheduler(scheduler) as sched:
        t0 = time.perf_counter()
        graphs = dask.compute(*[dask.delayed(tile_graph)(b) for b in sources], scheduler=sched)
        t1 = time.perf_counter()
        table = np.empty(grid, dtype=object)
        for q, g in enumerate(graphs):
            table.flat[q] = g
        del graphs
        tile_levels, nnodes, nedges = spill_graph(table)
        del table
        if levels is not None:
            levels.extend(tile_levels)
        t2 = time.perf_counter()
        args = [(src, lv, report) for src, lv in zip(sources, tile_levels)]
        for q, (arr, deps) in _batches(tile_filled, args, sched):
            if pieces is not None:
                pieces.append(deps)
            yield windows[q], arr
        t3 = time.perf_counter()
    if summary is not None:
        summary.graph_nodes, summary.graph_edges = nnodes, nedges
        summary.seconds.update(tiles=t1 - t0, graph=t2 - t1, raise_write=t3 - t2)


def fill_tiled_array(dem: np.ndarray, chunks: int, *, nodata: float | None = None,
                     scheduler: Any = "synchronous",
                     pieces: list[dict[str, Any]] | None = None) -> np.ndarray:
    """Tiled fill of an in-memory DEM (for tests and comparisons): same result as
    :func:`twin.flood.fill_depressions`, computed tile by tile (``pieces``: see
    :func:`fill_blocks`)."""
    import dask.array as da

    a = np.asarray(dem)
    if not np.issubdtype(a.dtype, np.floating) or (nodata is not None and not np.isnan(nodata)):
        a = a.astype(np.float64)
        a[~np.isfinite(a)] = np.nan
        if nodata is not None and not np.isnan(nodata):
            a[np.asarray(dem) == nodata] = np.nan
    else:
        a = np.where(np.isinf(a), np.nan, a).astype(a.dtype)
    out = np.empty(a.shape)
    data = da.from_array(a, chunks=chunks)
    blocks = _halo_blocks(data)
    for (rs, cs), block in fill_blocks(list(blocks.ravel()), _windows(data.chunks), blocks.shape, scheduler,
                                       pieces=pieces):
        out[rs, cs] = block
    return out


def depressions_tiled(dem: Any, chunks: int, *, params: Any = None, buildings: Any = None,
                      scheduler: Any = "synchronous") -> tuple[Any, Any]:
    """Depressions (and building exposure) of an in-memory :class:`twin.raster.Raster`,
    computed tile by tile: the tiled counterpart of :func:`twin.flood.screen` without rain.

    Returns the depression table and the buildings with ``flood_depth_m`` and
    ``in_low_lying_area`` (``None`` without buildings).
    """
    import tempfile

    from twin.raster import write_geotiff

    import geopandas as gpd
    import pandas as pd

    parts: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = write_geotiff(Path(tmp) / "dem.tif", dem, dtype="float64")
        _, _, out_b = fill_tiled(path, Path(tmp) / "filled.tif", chunks=chunks, scheduler=scheduler,
                                 params=params, buildings=buildings, sink=parts.append)
    cols = ["depression_id", "area_m2", "max_depth_m", "volume_m3", "spill_elev_m", "pour_x", "pour_y",
            "watershed_area_m2", "downstream_id"]
    deps = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=dem.crs) if parts else \
        gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=dem.crs)
    return deps.sort_values("depression_id", ignore_index=True), out_b


def tile_side(params: Any, workers: int | None = None) -> int:
    """Tile side (cells) for a DEM above the in-memory limit: each of the ``workers``
    concurrent tiles may use a ``1 / workers`` share of :func:`twin.flood_io.max_memory_gb`
    at the in-memory estimate of ``bytes_per_cell`` (at least 64 cells)."""
    from twin.flood_io import max_memory_gb

    workers = workers or os.cpu_count() or 1
    return max(64, int(np.sqrt(max_memory_gb(params) * 1e9 / params.bytes_per_cell / workers)))


def screen_tiled(dem: Any, *, buildings: Any = None, basins: Any = None, rain_mm: float | None = None,
                 params: Any = None, chunks: int | None = None, scheduler: Any = "threads") -> Any:
    """:func:`twin.flood.screen` tile by tile (:func:`fill_tiled`), for a DEM above the
    in-memory limit: the same :class:`twin.flood.FloodResult`. The DEM is written to a
    temporary GeoTIFF and read back window by window; ``chunks`` defaults to :func:`tile_side`.

    ``filled`` holds the filled surface as written (float32).
    """
    import tempfile

    import geopandas as gpd
    import pandas as pd

    from twin.flood import FloodParams, FloodResult, _check_inputs
    from twin.raster import write_geotiff

    params = params or FloodParams()
    buildings, basins = _check_inputs(dem, rain_mm, buildings, basins, None, None)
    parts: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        dtype = "float32" if dem.data.dtype == np.float32 else "float64"
        path = write_geotiff(Path(tmp) / "dem.tif", dem, dtype=dtype)
        s, _, out_b = fill_tiled(path, Path(tmp) / "filled.tif", chunks=chunks or tile_side(params),
                                 scheduler=scheduler, params=params, buildings=buildings, sink=parts.append,
                                 rain_mm=rain_mm, basins=basins, water_dtype="float64")
        filled = read_halo(str(Path(tmp) / "filled.tif"), slice(0, dem.shape[0]), slice(0, dem.shape[1]), halo=0)
        water = None
        if rain_mm is not None:
            water = read_halo(str(Path(tmp) / "water_depth.tif"), slice(0, dem.shape[0]), slice(0, dem.shape[1]),
                              halo=0).astype(np.float64)
    cols = ["depression_id", "area_m2", "max_depth_m", "volume_m3", "spill_elev_m", "pour_x", "pour_y",
            "watershed_area_m2", "downstream_id"]
    deps = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=dem.crs) if parts else \
        gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=dem.crs)
    return FloodResult(filled=filled.astype(np.float64), depressions=deps.sort_values("depression_id",
                                                                                      ignore_index=True),
                       water_depth=water, buildings=out_b, balance=dict(s.balance), basins=s.basins,
                       flooded_buildings=s.flooded_buildings)


def fill_tiled(dem_path: str | os.PathLike, out_path: str | os.PathLike, *, chunks: int = 4096,
               scheduler: Any = "threads", params: Any = None, buildings: Any = None,
               sink: Any = None, rain_mm: float | None = None,
               water_path: str | os.PathLike | None = None,
               basins: Any = None, water_dtype: str = "float32") -> tuple[TiledSummary, dict[str, Any], Any]:
    """Fill a GeoTIFF DEM tile by tile and write the filled surface window by window.

    Parameters
    ----------
    dem_path : path-like
        Single-band GeoTIFF in metres (read lazily, ``chunks`` x ``chunks``).
    out_path : path-like
        The filled GeoTIFF (float32, nodata -9999, written atomically).
    chunks : int
        Tile side in cells.
    scheduler : str or dask.distributed.Client
        ``threads`` (default), ``processes``, ``synchronous``, a scheduler
        address or a Client.

    params : twin.flood.FloodParams, optional
        Reporting thresholds of the depressions, building buffer and the
        flooded depth.
    buildings : geopandas.GeoDataFrame, optional
        Footprints in the DEM's CRS: they get ``flood_depth_m`` (fill depth of
        the reported depressions on or within ``building_buffer_m`` of the
        footprint: the worst case, every depression full) and
        ``in_low_lying_area``.

    sink : callable, optional
        Receives the reported depressions as GeoDataFrames, a tile at a time
        (:func:`merge_depressions`); default: dropped.
    rain_mm : float, optional
        Uniform rain (mm), routed by fill-spill-merge across tiles
        (:mod:`twin.flood_tiled_rain`): the depressions get the water
        columns of :func:`twin.flood.screen`, ``summary.balance`` its
        balance, the buildings (roofs for the runoff unless
        ``params.uniform_runoff``) the depth of the water after the rain.
    water_path : path-like, optional
        The water depth GeoTIFF after the rain (default ``water_depth.tif``
        next to ``out_path``), of ``water_dtype`` (nodata -9999).
    basins : geopandas.GeoDataFrame, optional
        Rain-water basins (``basin_id``, ``volume_m3`` or ``depth_m``) in the
        DEM's CRS, with ``rain_mm``: stores on the flow paths and in the
        depressions as in :func:`twin.flood.screen`; ``summary.basins`` gets
        their table.

    Returns
    -------
    TiledSummary
    dict
        ``depressions`` (count) and ``fill_volume_m3``.
    geopandas.GeoDataFrame or None
        The buildings with the flood columns.
    """
    import dask
    from rasterio.windows import Window

    from twin.flood import FloodParams

    params = params or FloodParams()
    dem: LazyDem = open_dem_lazy(dem_path, chunks)
    out_path = Path(out_path)
    if out_path.resolve() == Path(dem_path).resolve():
        raise input_error(str(out_path), "the output would overwrite the input DEM", "choose another --out folder")
    summary = TiledSummary(shape=dem.shape, chunks=chunks, tiles=int(np.prod(dem.data.numblocks)),
                           scheduler=scheduler if isinstance(scheduler, str) else type(scheduler).__name__)
    windows = _windows(dem.data.chunks)
    sources = [dask.delayed(read_halo)(str(dem_path), rs, cs) for rs, cs in windows]

    def window(rs: slice, cs: slice) -> Window:
        return Window(cs.start, rs.start, cs.stop - cs.start, rs.stop - rs.start)

    out_b = None
    # hidden work files next to the output: the exact (float64) filled surface and the depression ids
    work = {k: out_path.parent / f".{out_path.stem}.{k}.tif"
            for k in ("filled64", "comp", "leaf", "water64", "basin")}
    if rain_mm is not None:
        water_path = Path(water_path) if water_path is not None else out_path.parent / "water_depth.tif"
        if water_path.resolve() == Path(dem_path).resolve():
            raise input_error(str(water_path), "the output would overwrite the input DEM",
                              "choose another --out folder")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with dask_scheduler(scheduler) as sched:
            pieces: list[dict[str, Any]] = []
            levels: list[np.ndarray] = []
            with geotiff_writer(out_path, dem.shape, dem.transform, dem.crs) as dst, \
                    geotiff_writer(work["filled64"], dem.shape, dem.transform, dem.crs, dtype="float64",
                                   nodata=np.nan) as dst64:
                area = abs(dem.transform.a * dem.transform.e)
                # a little below the thresholds: the tile only drops outlines; merge_depressions decides
                lax = 1.0 - 1e-9
                report = (params.min_depth_m * lax, params.min_area_m2 / area * lax,
                          params.min_volume_m3 / area * lax)
                for (rs, cs), block in fill_blocks(sources, windows, dem.data.numblocks, sched, summary, pieces,
                                                   levels, report):
                    dst.write(np.where(np.isnan(block), -9999.0, block).astype("float32"), 1,
                              window=window(rs, cs))
                    dst64.write(block, 1, window=window(rs, cs))
            t = time.perf_counter()
            files = FlowFiles(str(dem_path), str(work["filled64"]), str(work["comp"]), dem.shape[1], dem.shape[0])

            def columns(m: MergedDepressions, keep: np.ndarray) -> dict[str, np.ndarray]:
                t0 = time.perf_counter()
                summary.balance["fill_volume_m3"] = float(m.vol.sum())   # all depressions, as screen()
                write_comp(files, windows, sched, m.piece_gid(pieces), dem.transform, dem.crs)
                columns.outline = lambda ids: outlines_from_ids(files.comp, ids, m, windows, dem.transform, dem.crs)
                if rain_mm is None:
                    flow = depression_flow(files, windows, sched, m.level, m.first)
                    summary.seconds["flow"] = time.perf_counter() - t0
                    return flow_columns(flow, keep, dem.transform, dem.shape[1])
                from twin.flood_tiled_rain import Runoff, route_rain_tiled

                runoff = Runoff(rain_mm / 1000.0 * area, dem.transform, dem.crs, params,
                                buildings=None if buildings is None else buildings[[buildings.geometry.name]])
                rain, flow = route_rain_tiled(replace(files, leaf=str(work["leaf"]), basin=str(work["basin"])),
                                              windows, sched, m, m.piece_gid(pieces), runoff, dem.transform,
                                              dem.crs, water_path, work["water64"], basins=basins,
                                              water_dtype=water_dtype)
                summary.balance.update(rain.balance)
                summary.basins = rain.basins
                summary.seconds["flow_rain"] = time.perf_counter() - t0
                return {**flow_columns(flow, keep, dem.transform, dem.shape[1], rain.leaf_comp), **rain.columns}

            depressions, piece_keep = merge_depressions(pieces, windows, dem.data.numblocks, dem.transform,
                                                        dem.crs, params,
                                                        sink if sink is not None else (lambda gdf: None), columns)
            del pieces
            summary.seconds["depressions"] = time.perf_counter() - t - summary.seconds.get("flow", 0.0) - \
                summary.seconds.get("flow_rain", 0.0)
            if buildings is not None:
                t = time.perf_counter()
                depth_path = out_path.parent / f".{out_path.stem}.fill_depth.tif"
                try:
                    with geotiff_writer(depth_path, dem.shape, dem.transform, dem.crs, dtype="float64") as dst:
                        for q, depth in _batches(tile_fill_depth, list(zip(sources, levels, piece_keep)), sched):
                            dst.write(depth, 1, window=window(*windows[q]))
                    out_b, summary.flooded_buildings = exposure_tiled(
                        depth_path, windows, dem.transform, dem.crs, buildings, params,
                        None if rain_mm is None else work["water64"])
                finally:
                    if depth_path.exists():
                        depth_path.unlink()
                summary.seconds["buildings"] = time.perf_counter() - t
    finally:
        for p in work.values():
            p.unlink(missing_ok=True)
    return summary, depressions, out_b
