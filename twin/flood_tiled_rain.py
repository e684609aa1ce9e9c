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
          box: np.ndarray) -> list[Unit]:
    """One unit per tile (its depressions in one piece) and one per depression in several pieces."""
    out = []
    for (rs, cs), g in zip(windows, piece_gid):
        out.append(Unit(rs, cs, np.unique(g[npieces[g] == 1])))
    for k in np.flatnonzero(npieces > 1):
        r0, r1, c0, c1 = (int(v) for v in box[k])
        out.append(Unit(slice(r0, r1 + 1), slice(c0, c1 + 1), np.array([k], dtype=np.int64)))
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


def route_rain_tiled(files: FlowFiles, windows: list[tuple[slice, slice]], sched: Any, m: Any,
                     piece_gid: list[np.ndarray], runoff: Runoff, transform: Any, crs: Any,
                     water_path: Any, water64_path: Any) -> tuple[RainResult, Any]:
    """The rain event over the whole DEM, tile by tile (module docstring).

    ``files.comp`` must be written; writes ``files.leaf``, the water depth
    (``water_path``, float32, and the exact ``water64_path`` for the
    buildings). Returns the rain result and the :class:`~twin.flood_tiled_flow.Flow`.
    """
    from twin.flood import _Graph, fill_spill_merge
    from twin.flood_tiled import _batches
    from twin.flood_tiled_flow import depression_flow
    from twin.raster import geotiff_writer

    area = abs(transform.a * transform.e)
    ncomp = len(m.level)
    us = units(windows, piece_gid, m.npieces, m.box)
    ntile = len(windows)
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
    flow = depression_flow(files, windows, sched, m.level, m.first, tlevel=m.level[leaf_comp], runoff=runoff)
    nn = len(g.parent)
    e = np.zeros(0, dtype=np.int64)
    graph = _Graph(None, g.nleaf, g.parent, g.child1, g.child2, g.spill, g.cap, g.geolink, g.node_comp, None, None,
                   flow.pour, flow.target, flow.target, np.zeros(0), e, e, e)
    own, full, basin_stored, outflow, _basin_inflow = fill_spill_merge(graph, flow.inflow_m3[:g.nleaf], np.zeros(0),
                                                                        ncomp, area)
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
    with geotiff_writer(water_path, shape, transform, crs) as d32, \
            geotiff_writer(water64_path, shape, transform, crs, dtype="float64", nodata=np.nan) as d64:
        for q, (depth, ks, wm, wl) in _batches(tile_water, [(files, rs, cs, lev) for rs, cs in windows], sched):
            rs, cs = windows[q]
            d32.write(np.where(np.isnan(depth), -9999.0, depth).astype("float32"), 1, window=_win(rs, cs))
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
    return RainResult(columns, balance, leaf_comp), flow
