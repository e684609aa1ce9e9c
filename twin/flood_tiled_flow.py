"""Flow across tiles: where every cell drains, pour points and overflow targets, tile by tile.

The tiled counterpart of the D8 routing of :mod:`twin.flood`
(:func:`twin._flood_kernels.flow_terminals`, :func:`pour_points`), equal to
it cell for cell. The per-cell work runs per tile (a dask task per tile,
each reading its own window with a two-cell halo from the DEM, the exact
filled surface and the depression-id raster); only what crosses tile
borders comes to the client:

1. **Flats** (:func:`tile_flats`): the steepest-descent direction of a cell
   needs only its 3 x 3 neighbourhood, but a flat of the filled surface is
   drained breadth-first from its exits, so a flat that reaches a tile's
   halo is resolved on the client in a window around it
   (:func:`resolve_border_flats`, the same kernels on the window: the
   breadth-first search of one flat depends only on its own cells and their
   neighbours).
2. **Paths** (:func:`tile_paths`): each tile follows its cells' directions
   to a depression, an outlet or the first cell outside the tile. Its
   perimeter cells' answers are chained on the client
   (:func:`chain_exits`; about ``4 * chunks`` entries per tile).
3. **Watersheds and pour points** (:func:`tile_watersheds`): with the
   terminals of the halo cells known, each tile counts the cells draining
   to each depression and finds its depressions' first exit and fallback
   rim cells in raster order (:func:`twin._flood_kernels.pour_candidates`);
   the client keeps the first over tiles. Depressions without an exit
   search the flat at their level in a window grown until it holds the
   flat (:func:`twin._flood_kernels.flat_search`, as in memory).

Memory on the client: the perimeter table, one row per depression, and the
windows of flats that cross tile borders (a flat crossing many tiles, such as
a sea given as a constant level, is held whole).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from twin import _flood_kernels as _k
from twin.flood import _label_components

#: cells of halo around a tile for the flow work: directions of the halo's first ring
#: (needed by the tile's flats) depend on the second ring
HALO = 2


@dataclass(frozen=True)
class FlowFiles:
    """The rasters the flow tasks read: DEM, exact filled surface (float64), depression ids
    and, for the rain routing, the leaf (sub-depression) of every depression cell
    (``leaf``; without it, paths end at the depression id)."""

    dem: str
    filled: str
    comp: str
    width: int
    height: int
    leaf: str | None = None
    basin: str | None = None


def _ids(path: str, rs: slice, cs: slice, halo: int) -> np.ndarray:
    """A padded window of an integer id raster (-1 beyond the raster and in the padding)."""
    from twin.flood_tiled import read_halo

    out = np.full((rs.stop - rs.start + 2 * halo + 2, cs.stop - cs.start + 2 * halo + 2), -1, dtype=np.int32)
    out[1:-1, 1:-1] = read_halo(path, rs, cs, halo=halo, fill=-1.0)
    return out


def _window(files: FlowFiles, rs: slice, cs: slice, halo: int) -> tuple[np.ndarray, ...]:
    """Padded DEM, filled surface, depression mask, depression ids and terminal codes of
    the depression cells (leaf or depression ids) of a window with a halo.

    NaN beyond the raster and one more NaN ring around it (the padding the
    kernels expect); ids -1 outside depressions.
    """
    from twin.flood_tiled import read_halo

    z = _k.pad_nan(read_halo(files.dem, rs, cs, halo=halo).astype(np.float64))
    f = _k.pad_nan(read_halo(files.filled, rs, cs, halo=halo).astype(np.float64))
    comp = _ids(files.comp, rs, cs, halo)
    code = comp if files.leaf is None else _ids(files.leaf, rs, cs, halo)
    valid = ~np.isnan(z)
    dep = np.zeros(z.shape, dtype=np.bool_)
    np.greater(f, z, out=dep, where=valid)
    return z, f, dep, comp, code


def _global_index(files: FlowFiles, rs: slice, cs: slice, halo: int, shape: tuple[int, int]) -> np.ndarray:
    """Global flat index (row * width + col) of every cell of a padded window; -1 beyond the raster."""
    off = halo + 1
    rows = np.arange(shape[0]) - off + rs.start
    cols = np.arange(shape[1]) - off + cs.start
    g = rows[:, None].astype(np.int64) * files.width + cols[None, :]
    inside = ((rows >= 0) & (rows < files.height))[:, None] & ((cols >= 0) & (cols < files.width))[None, :]
    return np.where(inside, g, -1)


def _core(rs: slice, cs: slice, halo: int, shape: tuple[int, int]) -> np.ndarray:
    """Mask of the tile's own cells in its padded window."""
    off = halo + 1
    m = np.zeros(shape, dtype=bool)
    m[off:off + rs.stop - rs.start, off:off + cs.stop - cs.start] = True
    return m


def _tile_dirs(files: FlowFiles, rs: slice, cs: slice,
               flat_idx: np.ndarray | None = None,
               flat_dir: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Directions of a tile's window; the flats that reach the halo are marked -4
    (or patched from ``flat_idx``/``flat_dir``, resolved on the client)."""
    z, f, dep, comp, code = _window(files, rs, cs, HALO)
    dirs = _k.d8_steepest(f, dep)
    flats, _n = _label_components((dirs == -3).reshape(f.shape))
    core = _core(rs, cs, HALO, f.shape).ravel()
    border = np.unique(flats[~core & (flats >= 0)])
    in_border = np.isin(flats, border) & (flats >= 0)
    dirs[in_border] = -4
    _k.resolve_flats(dirs, f, dep)
    gidx = _global_index(files, rs, cs, HALO, f.shape).ravel()
    if flat_idx is not None and len(flat_idx):
        cells = np.flatnonzero(in_border & core)
        pos = np.searchsorted(flat_idx, gidx[cells])
        dirs[cells] = flat_dir[pos]
    return z, f, dep, comp, code, dirs, core, gidx, in_border


def tile_flats(files: FlowFiles, rs: slice, cs: slice) -> np.ndarray:
    """Stage 1 for one tile: global indices of its cells on flats that reach its halo."""
    *_, core, gidx, in_border = _tile_dirs(files, rs, cs)
    return gidx[in_border & core]


def _groups(idx: np.ndarray, width: int) -> tuple[np.ndarray, int]:
    """8-connected groups of cells given by sorted global indices."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    r, c = np.divmod(idx, width)
    ea, eb = [], []
    for dr, dc in ((0, 1), (1, -1), (1, 0), (1, 1)):
        ok = (c + dc >= 0) & (c + dc < width)
        nb = (r + dr) * width + c + dc
        pos = np.clip(np.searchsorted(idx, nb), 0, len(idx) - 1)
        hit = ok & (idx[pos] == nb)
        ea.append(np.flatnonzero(hit))
        eb.append(pos[hit])
    a, b = np.concatenate(ea), np.concatenate(eb)
    n, lab = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(len(idx), len(idx))),
                                  directed=False)
    return lab, n


def resolve_border_flats(files: FlowFiles, idx: np.ndarray) -> np.ndarray:
    """Directions of the cells of flats that cross tile borders (``idx`` sorted).

    Each group of such cells is drained on a window around it with a
    two-cell halo, by the in-memory kernels: the result for the group's cells
    does not depend on anything beyond.
    """
    dirs = np.empty(len(idx), dtype=np.int8)
    if len(idx) == 0:
        return dirs
    lab, n = _groups(idx, files.width)
    order = np.argsort(lab, kind="stable")
    bounds = np.searchsorted(lab[order], np.arange(n + 1))
    r, c = np.divmod(idx, files.width)
    for g in range(n):
        cells = order[bounds[g]:bounds[g + 1]]
        rs = slice(int(r[cells].min()), int(r[cells].max()) + 1)
        cs = slice(int(c[cells].min()), int(c[cells].max()) + 1)
        z, f, dep, *_ids_ = _window(files, rs, cs, HALO)
        d = _k.d8_steepest(f, dep)
        _k.resolve_flats(d, f, dep)
        wr = r[cells] - rs.start + HALO + 1
        wc = c[cells] - cs.start + HALO + 1
        dirs[cells] = d[wr * f.shape[1] + wc]
    return dirs


def _tile_terms(files: FlowFiles, rs: slice, cs: slice, flat_idx: np.ndarray, flat_dir: np.ndarray,
                ring_idx: np.ndarray | None, ring_term: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Terminal of every cell of a tile: a depression id, -1 (out), -2 (nodata) or, without
    ``ring_term``, ``-(4 + global index)`` of the first cell outside the tile on its path."""
    z, f, dep, comp, dcode, dirs, core, gidx, _ = _tile_dirs(files, rs, cs, flat_idx, flat_dir)
    stop = dep.ravel() & core
    code = np.where(core, dcode.ravel(), -1).astype(np.int64)
    near = np.zeros(f.shape, dtype=bool)
    near[HALO:-HALO, HALO:-HALO] = True   # the tile and its first ring of halo
    ring = near.ravel() & ~core & (gidx >= 0) & ~np.isnan(f.ravel())
    stop |= ring
    if ring_term is None:
        code[ring] = -(4 + gidx[ring])
    else:
        code[ring] = ring_term[np.searchsorted(ring_idx, gidx[ring])]
    term = _k.follow_terminals(dirs, f, stop.reshape(f.shape), code)
    return z, f, dep, comp, core, gidx, term


def _perimeter(rs: slice, cs: slice, shape: tuple[int, int]) -> np.ndarray:
    """Flat window indices of the tile's outermost ring of own cells."""
    off = HALO + 1
    h, w = rs.stop - rs.start, cs.stop - cs.start
    rr, cc = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    edge = (rr == 0) | (rr == h - 1) | (cc == 0) | (cc == w - 1)
    return (rr[edge] + off) * shape[1] + cc[edge] + off


def tile_paths(files: FlowFiles, rs: slice, cs: slice, flat_idx: np.ndarray,
               flat_dir: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stage 2 for one tile: global index and terminal code of its perimeter cells."""
    _z, f, _dep, _comp, _core_m, gidx, term = _tile_terms(files, rs, cs, flat_idx, flat_dir, None, None)
    per = _perimeter(rs, cs, f.shape)
    return gidx[per], term[per]


def chain_exits(idx: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Final terminals of the perimeter cells: follow exit codes ``-(4 + cell)`` from
    perimeter to perimeter (pointer jumping; paths do not cycle)."""
    order = np.argsort(idx)
    idx, code = idx[order], code[order].copy()
    for _ in range(64):
        ex = code <= -4
        if not ex.any():
            break
        code[ex] = code[np.searchsorted(idx, -(code[ex] + 4))]
    else:  # pragma: no cover - D8 paths on a filled surface do not cycle
        raise RuntimeError("tile exits do not resolve")
    return idx, code


def ring_terms(files: FlowFiles, rs: slice, cs: slice, idx: np.ndarray,
               code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The resolved terminals of the cells around a tile (its halo's first ring)."""
    r0, r1 = max(rs.start - 1, 0), min(rs.stop + 1, files.height)
    c0, c1 = max(cs.start - 1, 0), min(cs.stop + 1, files.width)
    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    ring = ~((rr >= rs.start) & (rr < rs.stop) & (cc >= cs.start) & (cc < cs.stop))
    g = np.sort((rr[ring].astype(np.int64) * files.width + cc[ring]))
    pos = np.searchsorted(idx, g)
    return g, code[pos]


def tile_watersheds(files: FlowFiles, rs: slice, cs: slice, flat_idx: np.ndarray, flat_dir: np.ndarray,
                    ring_idx: np.ndarray, ring_term: np.ndarray, level: np.ndarray, tlevel: np.ndarray,
                    runoff: Any = None) -> dict[str, Any]:
    """Stage 3 for one tile: cells draining to each terminal, and its depressions'
    first exit and fallback rim cells (keys ``global cell * 8 + neighbour``).

    ``level`` is the spill level of each depression, ``tlevel`` that of each
    terminal code. With ``runoff`` (:class:`Runoff`) also the runoff (m3) reaching each
    terminal, leaving the area directly, and the rain and runoff of the tile.
    """
    z, f, dep, comp, core, gidx, term = _tile_terms(files, rs, cs, flat_idx, flat_dir, ring_idx, ring_term)
    own = core & (term >= 0)
    ws_code, inv, ws_cells = np.unique(term[own], return_inverse=True, return_counts=True)
    comps, ekey, ej, et, fkey, fj = _k.pour_candidates(f, dep, comp.ravel(), core, gidx, term, level, tlevel)
    out = {"ws_code": ws_code, "ws_cells": ws_cells, "comp": comps, "exit_key": ekey, "exit_cell": ej,
           "exit_target": et, "fallback_key": fkey, "fallback_cell": fj}
    if runoff is not None:
        q = runoff.tile(rs, cs).ravel()
        tq = term.reshape(f.shape)[HALO + 1:-HALO - 1, HALO + 1:-HALO - 1].ravel()
        q = np.where(tq == -2, 0.0, q)
        out["inflow_m3"] = np.bincount(inv, weights=q[tq >= 0], minlength=len(ws_code))
        out["direct_m3"] = float(q[tq == -1].sum())
        out["runoff_m3"] = float(q.sum())
        out["rain_cells"] = int((tq != -2).sum())
    return out


def no_exit_targets(files: FlowFiles, level: np.ndarray, first: np.ndarray, pour: np.ndarray,
                    fallback: np.ndarray, target: np.ndarray) -> None:
    """Pour point and target of the depressions without an exit, in place (as
    :func:`twin._flood_kernels.pour_points`): the flat at their level is searched
    breadth-first from their first cell, in a window grown until it holds the flat."""
    todo = np.flatnonzero(pour < 0)
    done = np.zeros(len(level), dtype=bool)
    for k in todo:
        if done[k]:
            continue
        r, c = divmod(int(first[k]), files.width)
        margin = 16
        while True:
            rs = slice(max(r - margin, 0), min(r + margin + 1, files.height))
            cs = slice(max(c - margin, 0), min(c + margin + 1, files.width))
            _z, f, dep, comp, code = _window(files, rs, cs, 1)
            nc = f.shape[1]
            start = (r - rs.start + 2) * nc + (c - cs.start + 2)
            seen = np.zeros(f.size, dtype=np.bool_)
            nm, exit_comp, qt, queue, members = _k.flat_search(
                f.ravel(), dep.ravel(), comp.ravel(), pour, code.ravel(), nc, start, level[k], seen,
                np.empty(1024, dtype=np.int64), np.empty(16, dtype=np.int64))
            vr, vc = np.divmod(queue[:qt], nc)
            h, w = rs.stop - rs.start, cs.stop - cs.start
            if not ((vr < 2) | (vr >= h + 2) | (vc < 2) | (vc >= w + 2)).any():
                break
            margin *= 2
        for km in members[:nm]:
            pour[km] = fallback[km]
            target[km] = exit_comp
            done[km] = True


def tile_comp(files: FlowFiles, rs: slice, cs: slice, piece_gid: np.ndarray) -> np.ndarray:
    """Depression id of every cell of a tile (-1 elsewhere), from its pieces."""
    from twin.flood_tiled import _piece_labels, read_halo

    z = read_halo(files.dem, rs, cs, halo=0).astype(np.float64)
    f = read_halo(files.filled, rs, cs, halo=0).astype(np.float64)
    pieces, _n = _piece_labels(z, f)
    out = np.full(pieces.shape, -1, dtype=np.int32)
    ok = pieces >= 0
    out[ok] = piece_gid[pieces[ok]]
    return out


def _in_tile(idx: np.ndarray, width: int, rs: slice, cs: slice) -> np.ndarray:
    r, c = np.divmod(idx, width)
    return (r >= rs.start) & (r < rs.stop) & (c >= cs.start) & (c < cs.stop)


@dataclass
class Flow:
    """Per depression: pour point (global flat index, -1 none), overflow target
    (terminal code: depression or leaf id, -1 out of the area); per terminal code
    the cells of its watershed; with rain, the runoff reaching each code (m3) and
    the totals ``direct_m3``, ``runoff_m3``, ``rain_cells``."""

    pour: np.ndarray
    target: np.ndarray
    ws_cells: np.ndarray
    inflow_m3: np.ndarray | None = None
    totals: dict[str, float] | None = None
    flats: tuple[np.ndarray, np.ndarray] | None = None


def write_comp(files: FlowFiles, windows: list[tuple[slice, slice]], sched: Any, piece_gid: list[np.ndarray],
               transform: Any, crs: Any) -> None:
    """Write the depression-id raster ``files.comp`` (the caller removes it)."""
    from rasterio.windows import Window

    from twin.flood_tiled import _batches
    from twin.raster import geotiff_writer

    with geotiff_writer(files.comp, (files.height, files.width), transform, crs, dtype="int32",
                        nodata=None) as dst:
        for q, comp in _batches(tile_comp, [(files, rs, cs, g) for (rs, cs), g in zip(windows, piece_gid)], sched):
            rs, cs = windows[q]
            dst.write(comp, 1, window=Window(cs.start, rs.start, cs.stop - cs.start, rs.stop - rs.start))


def depression_flow(files: FlowFiles, windows: list[tuple[slice, slice]], sched: Any, level: np.ndarray,
                    first: np.ndarray, tlevel: np.ndarray | None = None, runoff: Any = None) -> Flow:
    """Stages 1-3 of the module docstring, on the dask scheduler ``sched``.

    ``files.comp`` (and ``files.leaf``) must be written; ``tlevel`` is the spill
    level of each terminal code (default: ``level``, the codes are depression ids).
    """
    from twin.flood_tiled import _batches

    ncomp = len(level)
    tlevel = level if tlevel is None else tlevel
    flats = [idx for _, idx in _batches(tile_flats, [(files, rs, cs) for rs, cs in windows], sched)]
    flat_idx = np.sort(np.concatenate(flats + [np.zeros(0, dtype=np.int64)]))
    flat_dir = resolve_border_flats(files, flat_idx)
    per_tile = []
    for rs, cs in windows:
        sel = _in_tile(flat_idx, files.width, rs, cs)
        per_tile.append((flat_idx[sel], flat_dir[sel]))
    paths = [r for _, r in _batches(tile_paths, [(files, rs, cs, fi, fd) for (rs, cs), (fi, fd)
                                                  in zip(windows, per_tile)], sched)]
    idx, code = chain_exits(np.concatenate([p[0] for p in paths]), np.concatenate([p[1] for p in paths]))
    del paths
    args = [(files, rs, cs, fi, fd, *ring_terms(files, rs, cs, idx, code), level, tlevel, runoff)
            for (rs, cs), (fi, fd) in zip(windows, per_tile)]
    ncode = len(tlevel)
    ws_cells = np.zeros(ncode, dtype=np.int64)
    inflow = np.zeros(ncode) if runoff is not None else None
    totals = {"direct_m3": 0.0, "runoff_m3": 0.0, "rain_cells": 0}
    big = np.iinfo(np.int64).max
    exit_key = np.full(ncomp, big, dtype=np.int64)
    fb_key = np.full(ncomp, big, dtype=np.int64)
    pour = np.full(ncomp, -1, dtype=np.int64)
    target = np.full(ncomp, -1, dtype=np.int64)
    fallback = np.full(ncomp, -1, dtype=np.int64)
    for _, w in _batches(tile_watersheds, args, sched):
        np.add.at(ws_cells, w["ws_code"], w["ws_cells"])
        if inflow is not None:
            np.add.at(inflow, w["ws_code"], w["inflow_m3"])
            for k in totals:
                totals[k] += w[k]
        c = w["comp"]
        better = (w["exit_key"] >= 0) & (w["exit_key"] < exit_key[c])
        exit_key[c[better]] = w["exit_key"][better]
        pour[c[better]] = w["exit_cell"][better]
        target[c[better]] = w["exit_target"][better]
        better = (w["fallback_key"] >= 0) & (w["fallback_key"] < fb_key[c])
        fb_key[c[better]] = w["fallback_key"][better]
        fallback[c[better]] = w["fallback_cell"][better]
    no_exit_targets(files, level, first, pour, fallback, target)
    return Flow(pour, target, ws_cells, inflow, totals if runoff is not None else None, (flat_idx, flat_dir))


def flow_columns(flow: Flow, keep: np.ndarray, transform: Any, width: int,
                 leaf_comp: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """``pour_x, pour_y, watershed_area_m2, downstream_id`` of every depression, as
    :func:`twin.flood.screen` reports them (downstream among the reported ones);
    ``leaf_comp``: the depression of each leaf when the terminal codes are leaves."""
    area = abs(transform.a * transform.e)
    r, c = np.divmod(flow.pour, width)
    xs = transform.a * (c + 0.5) + transform.b * (r + 0.5) + transform.c
    ys = transform.d * (c + 0.5) + transform.e * (r + 0.5) + transform.f
    target, ws_cells = flow.target, flow.ws_cells
    if leaf_comp is not None:   # terminal codes are leaves
        target = np.where(target >= 0, leaf_comp[np.maximum(target, 0)] if len(leaf_comp) else -1, -1)
        ws_cells = np.bincount(leaf_comp, weights=ws_cells, minlength=len(keep))
    down = _k.reported_downstream(target.astype(np.int64), keep.astype(np.bool_))
    return {"pour_x": np.where(flow.pour >= 0, xs, np.nan), "pour_y": np.where(flow.pour >= 0, ys, np.nan),
            "watershed_area_m2": ws_cells * area,
            "downstream_id": np.where(down >= 0, down + 1, -1)}
