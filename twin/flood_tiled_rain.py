"""Rain across tiles: depression hierarchy, fill-spill-merge and water depth, tile by tile.

The tiled counterpart of the rain part of :func:`twin.flood.screen`, equal to
it to rounding. What runs where:

* **Hierarchy** (Barnes, Callaghan & Wickert 2020) per *unit*: a depression
  lies in one tile (then all the tile's such depressions are one unit, run
  on the tile) or crosses tile borders (then it is a unit of its own, run
  on a window around it). The merge tree of a depression depends only on
  its own cells, so each unit gives the same tree as the in-memory sweep;
  the trees are numbered into one graph (leaves first, then the merge
  nodes, parents after their children as in memory) and the leaf of every
  depression cell is written to a work raster, window by window.
* **Runoff** reaches the leaves along the D8 paths of
  :mod:`twin.flood_tiled_flow` (per tile, chained across tile borders).
* **Fill-spill-merge** (Barnes, Callaghan & Wickert 2021) on the client,
  on the graph only (:func:`twin.flood.fill_spill_merge`, the in-memory
  routing).
* **Water levels** per unit from its cells' hypsometry
  (:func:`twin._flood_kernels.water_levels`), **water depth** per tile.

Memory on the client: the graph (a few numbers per depression and merge)
and the cells of the depressions that cross tile borders while the leaf
raster is written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from twin import _flood_kernels as _k
from twin.flood_tiled_flow import FlowFiles, _window


@dataclass(frozen=True)
class Runoff:
    """The runoff (m3) of every cell of a tile: rain times the runoff coefficient of
    its surface (:func:`twin.flood._runoff_coefficient`, cell-centre rule)."""

    rain_cell_m3: float
    transform: Any
    crs: Any
    params: Any
    buildings: Any = None
    paved: Any = None
    green: Any = None

    def tile(self, rs: slice, cs: slice) -> np.ndarray:
        """Runoff (m3) of the tile's cells (nodata included; the caller drops them)."""
        from affine import Affine

        from twin.flood import _runoff_coefficient
        from twin.raster import Raster

        shape = (rs.stop - rs.start, cs.stop - cs.start)
        if self.params.uniform_runoff:
            return np.full(shape, self.rain_cell_m3)
        win = Raster(np.broadcast_to(np.float64(0), shape), self.transform @ Affine.translation(cs.start, rs.start),
                     self.crs)
        return _runoff_coefficient(shape, win, self.buildings, self.paved, self.green, self.params) * \
            self.rain_cell_m3


# --------------------------------------------------------------------------- units
@dataclass(frozen=True)
class Unit:
    """Depressions whose hierarchy is built together: a tile's own, or one crossing tiles."""

    rows: slice
    cols: slice
    comps: np.ndarray     # sorted global depression ids


def units(windows: list[tuple[slice, slice]], piece_gid: list[np.ndarray], npieces: np.ndarray,
          box: np.ndarray, first: np.ndarray, width: int) -> list[Unit]:
    """One unit per tile with its depressions in one piece, then, per tile, one unit with the
    depressions in several pieces that start in it, on the window that holds them all (one
    read instead of one per depression)."""
    out = []
    for (rs, cs), g in zip(windows, piece_gid):
        out.append(Unit(rs, cs, np.unique(g[npieces[g] == 1])))
    multi = np.flatnonzero(npieces > 1)
    if len(multi):
        rows = np.array([rs.start for rs, _ in windows])
        cols = np.array([cs.start for _, cs in windows])
        r, c = np.divmod(first[multi], width)
        tr = np.searchsorted(np.unique(rows), r, side="right") - 1
        tc = np.searchsorted(np.unique(cols), c, side="right") - 1
        key = tr * len(np.unique(cols)) + tc
        order = np.argsort(key, kind="stable")
        bounds = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0, True])
        for a, b in zip(bounds[:-1], bounds[1:]):
            ks = np.sort(multi[order[a:b]])
            bx = box[ks]
            out.append(Unit(slice(int(bx[:, 0].min()), int(bx[:, 1].max()) + 1),
                            slice(int(bx[:, 2].min()), int(bx[:, 3].max()) + 1), ks))
    return out


def _unit_cells(files: FlowFiles, u: Unit) -> tuple[np.ndarray, ...]:
    """The unit's window (padded, halo 0), its depression mask and local depression ids."""
    z, f, _dep, comp, code = _window(files, u.rows, u.cols, 0)
    pos = np.searchsorted(u.comps, comp)
    mine = (comp >= 0) & (pos < len(u.comps))
    mine[mine] = u.comps[pos[mine]] == comp[mine]
    local = np.where(mine, pos, -1).astype(np.int32)
    return z, mine, local, code


def unit_hierarchy(files: FlowFiles, u: Unit, level: np.ndarray, with_leaf: bool = True) -> dict[str, Any]:
    """The merge tree of a unit's depressions (:func:`twin._flood_kernels.pit_hierarchy`,
    local numbering) and, ``with_leaf``, the leaf of each of its cells (``leaf``, window
    grid, -1 elsewhere)."""
    from twin.flood import elevation_sorted

    z, mine, local, _code = _unit_cells(files, u)
    dcells = np.flatnonzero(mine.ravel())
    order = elevation_sorted(z.ravel(), dcells)
    leaf, nleaf, nodes, _top = _k.pit_hierarchy(z, mine, local.ravel(), len(u.comps), level[u.comps], order)
    parent, child1, child2, spill, cap, geolink, node_comp, _bottom = nodes
    return {"nleaf": int(nleaf), "parent": parent, "child1": child1, "child2": child2, "spill": spill,
            "cap": cap, "geolink": geolink, "node_comp": u.comps[node_comp],
            "leaf": leaf.reshape(z.shape)[1:-1, 1:-1] if with_leaf else None}


@dataclass
class Graph:
    """The units' trees numbered into one graph: leaves ``0..nleaf-1`` (unit by unit),
    then the merge nodes (unit by unit)."""

    nleaf: int
    leaf_off: np.ndarray
    int_off: np.ndarray
    parent: np.ndarray
    child1: np.ndarray
    child2: np.ndarray
    spill: np.ndarray
    cap: np.ndarray
    geolink: np.ndarray
    node_comp: np.ndarray

    def ids(self, u: int, nleaf_u: int, x: np.ndarray) -> np.ndarray:
        """Global ids of the local nodes ``x`` of unit ``u`` (-1 stays -1)."""
        x = np.asarray(x, dtype=np.int64)
        g = np.where(x < nleaf_u, self.leaf_off[u] + x, self.nleaf + self.int_off[u] + x - nleaf_u)
        return np.where(x >= 0, g, -1)


def join_trees(trees: list[dict[str, Any]]) -> Graph:
    """One graph from the units' trees (:func:`unit_hierarchy`)."""
    nl = np.array([t["nleaf"] for t in trees], dtype=np.int64)
    ni = np.array([len(t["parent"]) - t["nleaf"] for t in trees], dtype=np.int64)
    leaf_off = np.concatenate([[0], np.cumsum(nl)[:-1]]).astype(np.int64)
    int_off = np.concatenate([[0], np.cumsum(ni)[:-1]]).astype(np.int64)
    nleaf = int(nl.sum())
    nn = nleaf + int(ni.sum())
    g = Graph(nleaf, leaf_off, int_off, np.full(nn, -1, dtype=np.int64), np.full(nn, -1, dtype=np.int64),
              np.full(nn, -1, dtype=np.int64), np.full(nn, np.nan), np.zeros(nn), np.full(nn, -1, dtype=np.int64),
              np.full(nn, -1, dtype=np.int64))
    for u, t in enumerate(trees):
        n_u = t["nleaf"]
        ids = g.ids(u, n_u, np.arange(len(t["parent"])))
        g.parent[ids] = g.ids(u, n_u, t["parent"])
        g.child1[ids] = g.ids(u, n_u, t["child1"])
        g.child2[ids] = g.ids(u, n_u, t["child2"])
        g.spill[ids] = t["spill"]
        g.cap[ids] = t["cap"]
        g.geolink[ids] = g.ids(u, n_u, t["geolink"])   # leaves of the same unit
        g.node_comp[ids] = t["node_comp"]
    return g


def local_tree(g: Graph, u: int, n_u: int, nn_u: int) -> tuple[np.ndarray, ...]:
    """The global ids of unit ``u``'s nodes and its tree in local numbering."""
    ids = g.ids(u, n_u, np.arange(nn_u))

    def loc(a: np.ndarray) -> np.ndarray:
        x = np.where(a < g.nleaf, a - g.leaf_off[u], a - g.nleaf - g.int_off[u] + n_u)
        return np.where(a >= 0, x, -1)

    return ids, loc(g.parent[ids]), loc(g.child1[ids]), loc(g.child2[ids])


def unit_levels(files: FlowFiles, u: Unit, leaf_off: int, ids: np.ndarray, parent: np.ndarray, child1: np.ndarray,
                child2: np.ndarray, cap: np.ndarray, spill: np.ndarray, own_cells: np.ndarray, full: np.ndarray,
                nleaf_u: int) -> np.ndarray:
    """Water level of each leaf of a unit (NaN where dry), from the leaf raster and
    the routed water (:func:`twin._flood_kernels.water_levels`; ``own_cells`` in
    m3 / cell area)."""
    from twin.flood import elevation_sorted

    z, mine, _local, leaf = _unit_cells(files, u)
    leaf_local = np.where(mine, leaf - leaf_off, -1).astype(np.int32)
    dcells = np.flatnonzero(mine.ravel())
    order = elevation_sorted(z.ravel(), dcells)
    return _k.water_levels(z, order, leaf_local, parent, child1, child2, cap, spill, own_cells, full, nleaf_u)


def tile_water(files: FlowFiles, rs: slice, cs: slice, lev: np.ndarray) -> tuple[np.ndarray, ...]:
    """Water depth (m) of a tile's cells (NaN = nodata), and per depression met the
    deepest water and the highest water level (as :func:`twin._flood_kernels.water_depth_grid`)."""
    z, _f, _dep, comp, leaf = _window(files, rs, cs, 0)
    z, comp, leaf = z[1:-1, 1:-1], comp[1:-1, 1:-1], leaf[1:-1, 1:-1]
    out = np.where(np.isnan(z), np.nan, 0.0)
    cells = leaf >= 0
    lv = np.full(z.shape, np.nan)
    lv[cells] = lev[leaf[cells]]
    wet = cells & ~np.isnan(lv)
    out[wet] = np.maximum(lv[wet] - z[wet], 0.0)
    ks, inv = np.unique(comp[wet], return_inverse=True)
    wmax = np.zeros(len(ks))
    np.maximum.at(wmax, inv, out[wet])
    wlev = np.full(len(ks), -np.inf)
    np.maximum.at(wlev, inv, lv[wet])
    return out, ks, wmax, wlev


def _win(rs: slice, cs: slice) -> Any:
    from rasterio.windows import Window

    return Window(cs.start, rs.start, cs.stop - cs.start, rs.stop - rs.start)


@dataclass
class RainResult:
    """What :func:`route_rain_tiled` gives: per depression the water columns, the balance,
    and the leaf of each depression (``leaf_comp``)."""

    columns: dict[str, np.ndarray]
    balance: dict[str, float]
    leaf_comp: np.ndarray
    basins: Any = None


def route_rain_tiled(files: FlowFiles, windows: list[tuple[slice, slice]], sched: Any, m: Any,
                     piece_gid: list[np.ndarray], runoff: Runoff, transform: Any, crs: Any,
                     water_path: Any, water64_path: Any, basins: Any = None,
                     water_dtype: str = "float32") -> tuple[RainResult, Any]:
    """The rain event over the whole DEM, tile by tile (module docstring).

    ``files.comp`` must be written; writes ``files.leaf`` (and, with
    ``basins``, ``files.basin``), the water depth (``water_path``, float32,
    and the exact ``water64_path`` for the buildings). Returns the rain
    result and the :class:`~twin.flood_tiled_flow.Flow`.
    """
    from twin.flood import _Graph, fill_spill_merge
    from twin.flood_tiled import _batches
    from twin.flood_tiled_flow import depression_flow
    from twin.raster import geotiff_writer

    area = abs(transform.a * transform.e)
    ncomp = len(m.level)
    us = units(windows, piece_gid, m.npieces, m.box, m.first, files.width)
    ntile = len(windows)
    nbasin = 0 if basins is None else len(basins)
    if nbasin:
        from twin.flood import _basin_capacity

        basin_cap = _basin_capacity(basins)
        write_basins(files.basin, windows, sched, basins, transform, crs, (files.height, files.width))
    base = replace(files, leaf=None)   # the leaf raster is written below
    trees = [t for _, t in _batches(unit_hierarchy, [(base, u, m.level, q >= ntile) for q, u in enumerate(us)],
                                    sched)]
    g = join_trees(trees)
    # crossing units' cells go into the leaf raster with the tiles they lie in
    cross = []
    for q in range(ntile, len(us)):
        lf = trees[q]["leaf"]
        rr, cc = np.nonzero(lf >= 0)
        cross.append((rr + us[q].rows.start, cc + us[q].cols.start, lf[rr, cc] + g.leaf_off[q]))
    cr = np.concatenate([c[0] for c in cross] + [np.zeros(0, dtype=np.int64)])
    cc_ = np.concatenate([c[1] for c in cross] + [np.zeros(0, dtype=np.int64)])
    cl = np.concatenate([c[2] for c in cross] + [np.zeros(0, dtype=np.int64)])
    for t in trees:
        t["leaf"] = None
    leaf_path = files.leaf
    with geotiff_writer(leaf_path, (files.height, files.width), transform, crs, dtype="int32", nodata=None) as dst:
        for q, t in _batches(unit_hierarchy, [(base, u, m.level) for u in us[:ntile]], sched):
            rs, cs = windows[q]
            block = np.where(t["leaf"] >= 0, t["leaf"] + g.leaf_off[q], -1).astype(np.int32)
            sel = (cr >= rs.start) & (cr < rs.stop) & (cc_ >= cs.start) & (cc_ < cs.stop)
            block[cr[sel] - rs.start, cc_[sel] - cs.start] = cl[sel]
            dst.write(block, 1, window=_win(rs, cs))
    leaf_comp = g.node_comp[:g.nleaf]
    flow = depression_flow(files, windows, sched, m.level, m.first, tlevel=m.level[leaf_comp],
                           runoff=None if nbasin else runoff)
    nn = len(g.parent)
    e = np.zeros(0, dtype=np.int64)
    graph = _Graph(None, g.nleaf, g.parent, g.child1, g.child2, g.spill, g.cap, g.geolink, g.node_comp, None, None,
                   flow.pour, flow.target, flow.target, np.zeros(0), e, e, e)
    basins_df = None
    if nbasin:
        inflow, totals = _basin_graph(files, windows, sched, us, trees, g, flow, graph, basin_cap, runoff)
        flow.totals = totals
    else:
        inflow = flow.inflow_m3
    own, full, basin_stored, outflow, basin_inflow = fill_spill_merge(graph, inflow[:g.nleaf], inflow[g.nleaf:],
                                                                       ncomp, area)
    if nbasin:
        import pandas as pd

        basins_df = pd.DataFrame({"basin_id": basins["basin_id"].to_numpy(), "capacity_m3": basin_cap,
                                  "inflow_m3": basin_inflow, "stored_m3": basin_stored,
                                  "overflow_m3": basin_inflow - basin_stored})
    # water levels per unit, then water depth per tile
    lev = np.full(g.nleaf, np.nan)
    args = []
    for q, (u, t) in enumerate(zip(us, trees)):
        n_u, nn_u = t["nleaf"], len(t["parent"])
        ids, parent, child1, child2 = local_tree(g, q, n_u, nn_u)
        args.append((files, u, int(g.leaf_off[q]), ids, parent, child1, child2, g.cap[ids], g.spill[ids],
                     own[ids] / area, full[ids], n_u))
    for q, lv in _batches(unit_levels, args, sched):
        lev[g.leaf_off[q]:g.leaf_off[q] + trees[q]["nleaf"]] = lv
    del nn
    wmax = np.zeros(ncomp)
    wlev = np.full(ncomp, -np.inf)
    shape = (files.height, files.width)
    with geotiff_writer(water_path, shape, transform, crs, dtype=water_dtype) as d32, \
            geotiff_writer(water64_path, shape, transform, crs, dtype="float64", nodata=np.nan) as d64:
        for q, (depth, ks, wm, wl) in _batches(tile_water, [(files, rs, cs, lev) for rs, cs in windows], sched):
            rs, cs = windows[q]
            d32.write(np.where(np.isnan(depth), -9999.0, depth).astype(water_dtype), 1, window=_win(rs, cs))
            d64.write(depth, 1, window=_win(rs, cs))
            np.maximum.at(wmax, ks, wm)
            np.maximum.at(wlev, ks, wl)
    wlev[np.isinf(wlev)] = np.nan
    node_water = np.bincount(g.node_comp, weights=own, minlength=ncomp)
    vol = m.vol
    columns = {"water_volume_m3": node_water, "water_level_m": wlev, "water_depth_max_m": wmax,
               "filled_share": np.divide(node_water, vol, out=np.zeros(ncomp), where=vol > 0)}
    t = flow.totals
    rain_m3 = runoff.rain_cell_m3 * t["rain_cells"]
    balance = dict(rain_m3=float(rain_m3), runoff_m3=float(t["runoff_m3"]), loss_m3=float(rain_m3 - t["runoff_m3"]),
                   stored_m3=float(own.sum()), basin_m3=float(basin_stored.sum()),
                   outflow_m3=float(outflow + t["direct_m3"]), outflow_direct_m3=float(t["direct_m3"]))
    return RainResult(columns, balance, leaf_comp, basins_df), flow


def _basin_graph(files: FlowFiles, windows: list[tuple[slice, slice]], sched: Any, us: list[Unit],
                 trees: list[dict[str, Any]], g: Graph, flow: Any, graph: Any, basin_cap: np.ndarray,
                 runoff: Runoff) -> tuple[np.ndarray, dict[str, float]]:
    """Basins on the graph (as :func:`twin.flood._depression_graph`): the node each basin in
    a depression is attached to, the pairs of basins on flow paths, the runoff reaching
    each leaf and pair, and the overflow targets through basins; fills ``graph`` in place."""
    from twin.flood_tiled import _batches
    from twin.flood_tiled_flow import _in_tile, ring_terms

    nbasin = len(basin_cap)
    # basins in depressions: the unit with the lowest basin cell decides
    args = []
    for q, (u, t) in enumerate(zip(us, trees)):
        ids, parent, _c1, _c2 = local_tree(g, q, t["nleaf"], len(t["parent"]))
        args.append((files, u, int(g.leaf_off[q]), ids, parent, nbasin))
    bnode = np.full(nbasin, -1, dtype=np.int64)
    best_z = np.full(nbasin, np.inf)
    best_i = np.full(nbasin, np.iinfo(np.int64).max, dtype=np.int64)
    for _, (node, lz, li) in _batches(unit_basin_nodes, args, sched):
        better = (lz < best_z) | ((lz == best_z) & (li < best_i))
        better &= np.isfinite(lz)
        bnode[better], best_z[better], best_i[better] = node[better], lz[better], li[better]
    # basins on flow paths: pairs (basin, exit code) across tiles
    flat_idx, flat_dir = flow.flats
    per_tile = [(flat_idx[s], flat_dir[s]) for s in (_in_tile(flat_idx, files.width, rs, cs) for rs, cs in windows)]
    pair0 = -(4 + files.width * files.height)
    paths = [r for _, r in _batches(tile_basin_paths, [(files, rs, cs, fi, fd, pair0)
                                                       for (rs, cs), (fi, fd) in zip(windows, per_tile)], sched)]
    book = PairBook(g.nleaf)
    idx, code = resolve_basin_perimeter(paths, pair0, book)
    del paths
    pour = flow.pour
    cells = [pour[(pour >= 0) & _in_tile(pour, files.width, rs, cs)] for rs, cs in windows]
    args = [(files, rs, cs, fi, fd, np.column_stack(ring_terms(files, rs, cs, idx, code)), runoff, c)
            for (rs, cs), (fi, fd), c in zip(windows, per_tile, cells)]
    sums: dict[int, float] = {}
    at_cell: dict[int, int] = {}
    totals = {"direct_m3": 0.0, "runoff_m3": 0.0, "rain_cells": 0}
    for q, r in _batches(tile_basin_inflow, args, sched):
        gl = book.local(r["pairs"])

        def glob(c: np.ndarray) -> np.ndarray:
            return np.where(c <= -4, gl[np.maximum(-4 - c, 0)] if len(gl) else c, c)

        for c, v in zip(glob(r["codes"]).tolist(), r["inflow_m3"].tolist()):
            sums[c] = sums.get(c, 0.0) + v
        for cell, c in zip(cells[q].tolist(), glob(r["cells_code"]).tolist()):
            at_cell[cell] = c
        for k in totals:
            totals[k] += r[k]
    npair = len(book.basin)
    inflow = np.zeros(g.nleaf + npair)
    for c, v in sums.items():
        inflow[c] += v
    term_at_pour = np.array([at_cell.get(int(p), -1) if p >= 0 else -1 for p in pour], dtype=np.int64)
    via = (pour >= 0) & (term_at_pour >= g.nleaf)
    graph.route_target = np.where(via, term_at_pour, flow.target)
    graph.basin_cap = basin_cap
    graph.pair_basin = np.array(book.basin, dtype=np.int64)
    graph.pair_exit = np.array(book.exit, dtype=np.int64)
    graph.bnode = bnode
    return inflow, totals


# --------------------------------------------------------------------------- basins
def tile_basins(rs: slice, cs: slice, basins: Any, transform: Any, crs: Any,
                points: np.ndarray | None = None) -> np.ndarray:
    """Basin index (row of ``basins``) of every cell of a tile, -1 elsewhere: footprints
    by the cell-centre rule of :func:`twin.flood._rasterize_index`; ``points`` (rows
    ``global row, col, basin``) are the cells of basins that cover no cell centre anywhere."""
    from affine import Affine

    from twin.flood import _rasterize_index
    from twin.raster import Raster

    shape = (rs.stop - rs.start, cs.stop - cs.start)
    win = Raster(np.broadcast_to(np.float64(0), shape), transform @ Affine.translation(cs.start, rs.start), crs)
    out = _rasterize_index(basins, win, all_touched=False)
    if points is not None and len(points):
        inside = (points[:, 0] >= rs.start) & (points[:, 0] < rs.stop) & (points[:, 1] >= cs.start) & \
            (points[:, 1] < cs.stop)
        out[points[inside, 0] - rs.start, points[inside, 1] - cs.start] = points[inside, 2]
    return out


def write_basins(path: str, windows: list[tuple[slice, slice]], sched: Any, basins: Any, transform: Any, crs: Any,
                 shape: tuple[int, int]) -> None:
    """The basin raster of :func:`twin.flood.screen` (``all_touched``), window by window:
    a first pass finds the basins that cover a cell centre in some tile; the others get
    the cell under their representative point, as in memory."""
    import shapely

    from twin.flood import _apply
    from twin.flood_tiled import _batches
    from twin.raster import geotiff_writer

    seen = np.zeros(len(basins), dtype=bool)
    for _, b in _batches(tile_basins, [(rs, cs, basins, transform, crs) for rs, cs in windows], sched):
        seen[b[b >= 0]] = True
    geoms = np.asarray(basins.geometry.array, dtype=object)
    miss = np.flatnonzero(~seen & ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    points = np.zeros((0, 3), dtype=np.int64)
    if len(miss):
        pts = shapely.point_on_surface(geoms[miss])
        cols, rows = _apply(~transform, shapely.get_x(pts), shapely.get_y(pts))
        rows, cols = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
        inside = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
        points = np.column_stack([rows[inside], cols[inside], miss[inside]])
    with geotiff_writer(path, shape, transform, crs, dtype="int32", nodata=None) as dst:
        for q, b in _batches(tile_basins, [(rs, cs, basins, transform, crs, points) for rs, cs in windows], sched):
            dst.write(b.astype(np.int32), 1, window=_win(*windows[q]))


def unit_basin_nodes(files: FlowFiles, u: Unit, leaf_off: int, ids: np.ndarray, parent: np.ndarray,
                     nbasin: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per basin, the node it is attached to within this unit
    (:func:`twin._flood_kernels.basin_nodes`, global id) and its lowest depression cell
    here (elevation, global index): the unit holding the lowest cell overall decides."""
    from twin.flood_tiled_flow import _ids

    z, mine, _local, leaf = _unit_cells(files, u)
    basin = _ids(files.basin, u.rows, u.cols, 0).ravel()
    leaf_local = np.where(mine, leaf - leaf_off, -1).astype(np.int32)
    node = _k.basin_nodes(mine, leaf_local, basin, z, parent, nbasin, len(parent))
    node = np.where(node >= 0, ids[np.maximum(node, 0)], -1) if len(ids) else np.full(nbasin, -1, dtype=np.int64)
    low_z = np.full(nbasin, np.inf)
    low_i = np.full(nbasin, np.iinfo(np.int64).max, dtype=np.int64)
    cells = np.flatnonzero(mine.ravel() & (basin >= 0))
    if len(cells):
        w = z.shape[1]
        g = (cells // w - 1 + u.rows.start) * files.width + (cells % w - 1 + u.cols.start)
        o = np.lexsort((g, z.ravel()[cells]))[::-1]      # highest first, so the lowest is written last
        low_z[basin[cells[o]]] = z.ravel()[cells[o]]
        low_i[basin[cells[o]]] = g[o]
    return node, low_z, low_i


def _basin_window(files: FlowFiles, rs: slice, cs: slice, flat_idx: np.ndarray, flat_dir: np.ndarray,
                  ring: np.ndarray | None, pair0: int) -> tuple[Any, ...]:
    """Codes with basins of one tile's cells; ring cells are exits ``-(4 + cell)`` or,
    with ``ring`` (rows ``cell, code``), their resolved codes."""
    from twin.flood_tiled_flow import HALO, _ids, _tile_dirs

    z, f, dep, comp, code, dirs, core, gidx, _ = _tile_dirs(files, rs, cs, flat_idx, flat_dir)
    basin = _ids(files.basin, rs, cs, HALO).ravel()
    near = np.zeros(f.shape, dtype=bool)
    near[HALO:-HALO, HALO:-HALO] = True
    ringm = near.ravel() & ~core & (gidx >= 0) & ~np.isnan(f.ravel())
    stop = (dep.ravel() & core) | ringm
    init = np.where(core, code.ravel(), -1).astype(np.int64)
    if ring is None:
        init[ringm] = -(4 + gidx[ringm])
    else:
        init[ringm] = ring[np.searchsorted(ring[:, 0], gidx[ringm]), 1]
    term, pairs = _k.basin_codes(dirs, stop, dep.ravel(), init, basin, f.shape[1], pair0, -1)
    return f, core, gidx, term, pairs


def tile_basin_paths(files: FlowFiles, rs: slice, cs: slice, flat_idx: np.ndarray, flat_dir: np.ndarray,
                     pair0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Perimeter cells' codes with basins (exits and tile pairs unresolved) and the tile's pairs."""
    from twin.flood_tiled_flow import _perimeter

    f, _core, gidx, term, pairs = _basin_window(files, rs, cs, flat_idx, flat_dir, None, pair0)
    per = _perimeter(rs, cs, f.shape)
    return gidx[per], term[per], pairs


def tile_basin_inflow(files: FlowFiles, rs: slice, cs: slice, flat_idx: np.ndarray, flat_dir: np.ndarray,
                      ring: np.ndarray, runoff: Runoff, cells: np.ndarray) -> dict[str, Any]:
    """Runoff per code with basins (tile pairs ``-4 - k``), the tile's pairs, the codes of
    ``cells`` (global indices in the tile) and the rain totals."""
    from twin.flood_tiled_flow import HALO

    f, core, gidx, term, pairs = _basin_window(files, rs, cs, flat_idx, flat_dir, ring, -4)
    tq = term.reshape(f.shape)[HALO + 1:-HALO - 1, HALO + 1:-HALO - 1].ravel()
    q = np.where(tq == -2, 0.0, runoff.tile(rs, cs).ravel())
    to = (tq >= 0) | (tq <= -4)
    codes, inv = np.unique(tq[to], return_inverse=True)
    w = f.shape[1]
    r, c = np.divmod(cells, files.width)
    at = term[(r - rs.start + HALO + 1) * w + (c - cs.start + HALO + 1)]
    return {"codes": codes, "inflow_m3": np.bincount(inv, weights=q[to], minlength=len(codes)), "pairs": pairs,
            "cells_code": at, "direct_m3": float(q[tq == -1].sum()), "runoff_m3": float(q.sum()),
            "rain_cells": int((tq != -2).sum())}


class PairBook:
    """Global basin pairs ``(basin, exit code)`` numbered as they are met (codes ``nleaf + k``)."""

    def __init__(self, nleaf: int) -> None:
        self.nleaf = nleaf
        self.ids: dict[tuple[int, int], int] = {}
        self.basin: list[int] = []
        self.exit: list[int] = []

    def code(self, b: int, inner: int) -> int:
        key = (int(b), int(inner))
        k = self.ids.get(key)
        if k is None:
            k = self.ids[key] = len(self.basin)
            self.basin.append(int(b))
            self.exit.append(int(inner))
        return self.nleaf + k

    def local(self, pairs: np.ndarray) -> np.ndarray:
        """Global codes of a tile's pairs (coded ``-4 - k``, inner codes global or earlier pairs)."""
        out = np.empty(len(pairs), dtype=np.int64)
        for k, (b, inner) in enumerate(pairs):
            out[k] = self.code(b, out[-4 - inner] if inner <= -4 else inner)
        return out


def resolve_basin_perimeter(paths: list[tuple[np.ndarray, np.ndarray, np.ndarray]], pair0: int,
                            book: PairBook) -> tuple[np.ndarray, np.ndarray]:
    """Global codes of every perimeter cell: exits ``-(4 + cell)`` followed to the cell's
    own tile, tile pairs ``pair0 - k`` made global in ``book``."""
    import sys

    where: dict[int, tuple[int, int]] = {}
    for t, (idx, code, _pairs) in enumerate(paths):
        for i, v in zip(idx.tolist(), code.tolist()):
            where[i] = (t, v)
    memo: dict[tuple[int, int], int] = {}

    def resolve(t: int, v: int) -> int:
        if v >= -2:                         # a leaf, -1 (out) or -2 (nodata)
            return v
        key = (t, v)
        if key in memo:
            return memo[key]
        if v > pair0:                       # an exit into another tile's perimeter cell
            tx, vx = where[-(v + 4)]
            out = resolve(tx, vx)
        else:
            b, inner = paths[t][2][pair0 - v]
            out = book.code(b, resolve(t, int(inner)))
        memo[key] = out
        return out

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 200000))
    try:
        idx = np.fromiter(where.keys(), dtype=np.int64, count=len(where))
        code = np.array([resolve(t, v) for t, v in where.values()], dtype=np.int64)
    finally:
        sys.setrecursionlimit(old)
    o = np.argsort(idx)
    return idx[o], code[o]
