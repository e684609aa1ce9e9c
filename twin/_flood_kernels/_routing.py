"""Rain routing on the depression graph and the grids derived from it.

:func:`route` -- fill-spill-merge (Barnes, Callaghan & Wickert 2021,
  Hydrol. Earth Syst. Sci. 25:2109-2131) without time: water entering a leaf
  fills it, spills over the saddle into the sibling (geolink), and when both
  are full the merged parent fills; a full depression passes its overflow
  to its target. Rain-water basins are stores on this graph: a basin on a
  flow path (:func:`basin_terminals`) or in a depression
  (:func:`basin_nodes`) keeps what reaches it up to its volume and passes
  the rest on.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable
from twin._flood_kernels._common import _grow, _offsets
from twin._flood_kernels._tiles import basin_codes

_SQRT2 = np.sqrt(2.0)


# --------------------------------------------------------------------------- routing
@njit(cache=True)
def flow_terminals(z, f, dep, leaf, nleaf):
    """D8 routing on the filled surface and the depression each cell drains to.

    Non-depression cells flow to the neighbour with the steepest descent of
    the filled surface; flats drain by breadth-first search towards their
    lower exit (or, failing that, into the adjacent depression); valid cells
    with a nodata/border neighbour and no lower neighbour are outlets.
    Basins do not change these paths (see :func:`basin_terminals`).

    Returns
    -------
    dirs : int8 flat array (0..7 neighbour, -1 outlet, -2 depression/nodata)
    term : int64 flat array: leaf id (< nleaf) or -1 (leaves the area); -2
        for nodata.
    """
    dirs = d8_steepest(f, dep)
    resolve_flats(dirs, f, dep)
    return dirs, follow_terminals(dirs, f, dep, leaf)


@njit(cache=True)
def d8_steepest(f, dep):
    """D8 steepest descent on a padded filled surface (first step of :func:`flow_terminals`).

    Returns int8 flat directions: 0..7 neighbour, -1 outlet (a nodata/border
    neighbour and no lower one), -2 depression/nodata, -3 flat (unresolved).
    """
    nr, nc = f.shape
    n = nr * nc
    ff = f.ravel()
    d = dep.ravel()
    off = _offsets(nc)
    dist = np.array([_SQRT2, 1.0, _SQRT2, 1.0, 1.0, _SQRT2, 1.0, _SQRT2])
    dirs = np.full(n, -2, dtype=np.int8)
    for i in range(n):
        fi = ff[i]
        if np.isnan(fi) or d[i]:
            continue
        best = -1
        bs = 0.0
        edge = False
        for k in range(8):
            fj = ff[i + off[k]]
            if np.isnan(fj):
                edge = True
                continue
            if fj < fi:
                s = (fi - fj) / dist[k]
                if s > bs:
                    bs = s
                    best = k
        if best >= 0:
            dirs[i] = best
        elif edge:
            dirs[i] = -1
        else:
            dirs[i] = -3  # flat, unresolved
    return dirs


@njit(cache=True)
def resolve_flats(dirs, f, dep):
    """Directions of the flat cells (``dirs == -3``) in place (second step of :func:`flow_terminals`).

    Breadth-first from the flat cells next to a resolved non-depression cell
    at the same level (seeded in raster order), then, for flats without
    such an exit, from the depression cells next to them; flats with
    neither become outlets (-1). Cells marked -4 are left alone.
    """
    nr, nc = f.shape
    n = nr * nc
    ff = f.ravel()
    d = dep.ravel()
    off = _offsets(nc)
    queue = np.empty(1024, dtype=np.int64)
    for phase in range(2):
        qh = 0
        qt = 0
        for i in range(n):
            if dirs[i] != -3:
                continue
            for k in range(8):
                j = i + off[k]
                if ff[j] != ff[i]:
                    continue
                ok = (dirs[j] >= -1) if phase == 0 else d[j]
                if ok:
                    dirs[i] = k
                    queue = _grow(queue, qt)
                    queue[qt] = i
                    qt += 1
                    break
        while qh < qt:
            a = queue[qh]
            qh += 1
            for k in range(8):
                b = a + off[k]
                if dirs[b] == -3 and ff[b] == ff[a]:
                    dirs[b] = 7 - k
                    queue = _grow(queue, qt)
                    queue[qt] = b
                    qt += 1
    for i in range(n):
        if dirs[i] == -3:
            dirs[i] = -1


@njit(cache=True)
def follow_terminals(dirs, f, dep, leaf):
    """The terminal of every cell along its directions (last step of :func:`flow_terminals`).

    Depression cells end at ``leaf`` (which may hold any code other than
    -3), nodata at -2, an outlet at -1.
    """
    nr, nc = f.shape
    n = nr * nc
    ff = f.ravel()
    d = dep.ravel()
    off = _offsets(nc)
    term = np.full(n, -3, dtype=np.int64)
    for i in range(n):
        if np.isnan(ff[i]):
            term[i] = -2
        elif d[i]:
            term[i] = leaf[i]
    path = np.empty(1024, dtype=np.int64)
    for i in range(n):
        if term[i] != -3:
            continue
        np_ = 0
        j = i
        t = -1
        while True:
            if term[j] != -3:
                t = term[j]
                break
            path = _grow(path, np_)
            path[np_] = j
            np_ += 1
            if dirs[j] < 0:
                t = -1
                break
            j = j + off[dirs[j]]
        for q in range(np_):
            term[path[q]] = t
    return term


@njit(cache=True)
def basin_terminals(dirs, dep, term0, basin, nleaf, nc):
    """Terminals with basins on the flow paths (contributing areas of basins).

    Water of a cell whose D8 path (on the filled surface) passes a basin cell
    outside the depressions goes to that basin first and, once the basin is
    full, goes on along the *same* path. A basin can therefore pass water to
    several places; its inflow is kept apart by *pair* ``(basin, exit)``,
    where ``exit`` is the terminal code of the first cell after the basin on
    the path (a leaf, another pair or -1). Depression cells keep their leaf:
    basins lying in a depression catch its inflow in :func:`route`.

    Returns
    -------
    term : int64 flat array: leaf id, ``nleaf + pair`` or -1 (leaves the
        area); -2 for nodata.
    pair_basin, pair_exit : int64 arrays (one entry per pair)
    """
    d = dep.ravel()
    term, pairs = basin_codes(dirs, d, d, term0, basin, nc, nleaf, np.int64(1))
    return term, pairs[:, 0].copy(), pairs[:, 1].copy()


@njit(cache=True)
def pour_points(f, dep, comp, ncomp, fill_level, term, leaf_comp, nleaf, leaf):
    """Pour point (flat index) and overflow target of every depression.

    The pour point is a rim cell at the spill elevation whose flow path does
    not return into the depression and leads lower (or out of the area); the
    target is its terminal. A depression without such a cell lies on a flat
    of the filled surface at its spill level that it shares with other
    depressions at the *same* level (they touch through rim cells at that
    level, or the flat joins them): once full they merge. The flat is
    searched breadth-first, and every member without an exit passes its
    overflow straight to a member that has one, so the overflow graph has no
    cycles and one routing pass suffices.

    ``term`` must not contain basin codes (use the terminals of
    :func:`flow_terminals`).
    """
    nr, nc = f.shape
    n = nr * nc
    ff = f.ravel()
    d = dep.ravel()
    off = _offsets(nc)
    pour = np.full(ncomp, -1, dtype=np.int64)
    target = np.full(ncomp, -1, dtype=np.int64)
    fallback = np.full(ncomp, -1, dtype=np.int64)
    first = np.full(ncomp, -1, dtype=np.int64)
    lf = leaf.ravel()
    for i in range(n):
        if not d[i]:
            continue
        k = comp[i]
        if first[k] < 0:
            first[k] = i
        if pour[k] >= 0:
            continue
        for q in range(8):
            j = i + off[q]
            if d[j] or np.isnan(ff[j]) or ff[j] != fill_level[k]:
                continue
            t = term[j]
            if t >= 0 and t < nleaf and fill_level[leaf_comp[t]] >= fill_level[k]:
                # drains back, or into another depression at the same level
                if fallback[k] < 0:
                    fallback[k] = j
                continue
            pour[k] = j
            target[k] = t
            break
    # depressions without an exit: search the flat at their level
    seen = np.zeros(n, dtype=np.bool_)
    queue = np.empty(1024, dtype=np.int64)
    members = np.empty(16, dtype=np.int64)
    for k in range(ncomp):
        if pour[k] >= 0 or first[k] < 0 or seen[first[k]]:
            continue
        nm, exit_leaf, qt, queue, members = flat_search(ff, d, comp, pour, lf, nc, first[k], fill_level[k],
                                                        seen, queue, members)
        for m in range(nm):
            km = members[m]
            pour[km] = fallback[km]
            target[km] = exit_leaf  # -1 (leaves the area) if the flat has no exit
    return pour, target


@njit(cache=True)
def flat_search(ff, d, comp, pour, lf, nc, start, lev, seen, queue, members):
    """Breadth-first search of the flat at ``lev`` from the depression cell ``start``
    (the second step of :func:`pour_points`).

    Returns the depressions without an exit met on the flat (``members[:nm]``,
    in the order met), the leaf of the first depression cell met whose
    depression has an exit (``pour >= 0``; -1: none), the number of cells
    visited (``queue[:qt]``) and the grown work arrays.
    """
    off = _offsets(nc)
    qh = 0
    qt = 1
    queue[0] = start
    seen[start] = True
    nm = 0
    exit_comp = -1
    exit_leaf = -1
    while qh < qt:
        a = queue[qh]
        qh += 1
        if d[a]:
            ka = comp[a]
            if pour[ka] >= 0:
                if exit_comp < 0:
                    exit_comp = ka
                    exit_leaf = lf[a]
            else:
                known = False
                for m in range(nm):
                    if members[m] == ka:
                        known = True
                        break
                if not known:
                    if nm >= members.shape[0]:
                        mm = np.empty(members.shape[0] * 2, dtype=np.int64)
                        mm[:nm] = members[:nm]
                        members = mm
                    members[nm] = ka
                    nm += 1
        for q in range(8):
            b = a + off[q]
            if seen[b] or np.isnan(ff[b]) or ff[b] != lev:
                continue
            seen[b] = True
            if qt >= queue.shape[0]:
                nq = np.empty(queue.shape[0] * 2, dtype=np.int64)
                nq[:qt] = queue[:qt]
                queue = nq
            queue[qt] = b
            qt += 1
    return nm, exit_leaf, qt, queue, members


@njit(cache=True)
def basin_nodes(dep, leaf, basin, z, parent, nbasin, nnodes):
    """The hierarchy node each basin lying in a depression is attached to.

    It is the smallest node (sub-depression) holding every leaf under the
    basin's depression cells in the component of its lowest depression cell:
    water entering that node's region from outside (runoff of its local
    watershed, spill from a sibling, overflow from upstream) passes the
    basin first. -1 for basins outside the depressions.
    """
    d = dep.ravel()
    lf = leaf.ravel()
    zf = z.ravel()
    n = d.shape[0]
    low = np.full(nbasin, -1, dtype=np.int64)
    for i in range(n):
        b = basin[i]
        if b >= 0 and d[i] and (low[b] < 0 or zf[i] < zf[low[b]]):
            low[b] = i
    depth = np.zeros(nnodes, dtype=np.int64)
    for x in range(nnodes - 1, -1, -1):
        if parent[x] >= 0:
            depth[x] = depth[parent[x]] + 1
    node = np.full(nbasin, -1, dtype=np.int64)
    for b in range(nbasin):
        if low[b] >= 0:
            node[b] = lf[low[b]]
    # the top node of the lowest cell's component bounds the search
    for i in range(n):
        b = basin[i]
        if b < 0 or not d[i] or node[b] < 0:
            continue
        x = lf[i]
        y = node[b]
        # climb to the common ancestor (-1 if in another component)
        while x != y and x >= 0 and y >= 0:
            if depth[x] > depth[y]:
                x = parent[x]
            elif depth[y] > depth[x]:
                y = parent[y]
            else:
                x = parent[x]
                y = parent[y]
        if x >= 0 and x == y:
            node[b] = x
    return node


@register_jitable
def _intercept(y, w, limit, skip, banc, bhead, bnext, parent, cap, stored, inflow):
    """Water entering node ``y`` passes the basins attached to ``y`` and its
    ancestors below ``limit`` (node ids grow towards the root); returns the rest."""
    x = banc[y]
    while x >= 0 and x < limit and w > 0.0:
        b = bhead[x]
        while b >= 0 and w > 0.0:
            if b != skip:
                inflow[b] += w
                st = min(w, cap[b] - stored[b])
                if st > 0.0:
                    stored[b] += st
                    w -= st
            b = bnext[b]
        p = parent[x]
        x = banc[p] if p >= 0 else -1
    return w


@njit(cache=True)
def route(order_units, leaf_in, pair_in, pair_basin, pair_exit, basin_pairs_ptr, basin_pairs,
          basin_cap, comp_leaves_ptr, comp_leaves, comp_target, nleaf, ncomp,
          parent, child1, child2, geolink, own_cap, banc, bhead, bnext, max_passes):
    """Fill-spill-merge over all depressions and basins in upstream-first order.

    Units ``0..ncomp-1`` are depressions, ``ncomp + b`` basins. Target codes:
    leaf id (< nleaf), ``nleaf + pair`` (a basin's inflow bound for one exit)
    or -1 (leaves the area). A basin stores what reaches it up to its
    capacity and passes the rest on, each stream along its own path (in
    proportion), so adding a basin never sends more water anywhere. Basins
    attached to a hierarchy node (``banc``/``bhead``/``bnext``, from
    :func:`basin_nodes`) take water entering that node's region first.

    Returns
    -------
    own : water held by each node above its children (m3)
    full : whether each node is full
    basin_stored : m3 per basin
    outflow : m3 leaving the area
    basin_inflow : m3 that reached each basin
    passes : routing passes used
    """
    nnodes = parent.shape[0]
    own = np.zeros(nnodes)
    full = np.zeros(nnodes, dtype=np.bool_)
    nb = basin_cap.shape[0]
    basin_stored = np.zeros(nb)
    basin_inflow = np.zeros(nb)
    leaf_w = np.zeros(nleaf)
    pair_w = pair_in.copy()
    outflow = 0.0
    for lf in range(nleaf):
        w = leaf_in[lf]
        if w > 0.0 and nb > 0:
            w = _intercept(lf, w, nnodes, -1, banc, bhead, bnext, parent, basin_cap, basin_stored,
                           basin_inflow)
        leaf_w[lf] = w
    # water sent to a unit that was already processed (only on cycles of the
    # overflow graph, which pour_points avoids) is poured in a further pass;
    # what still circulates after ``max_passes`` leaves the area
    passes = 0
    for _ in range(max_passes):
        moved = False
        passes += 1
        for u in range(order_units.shape[0]):
            unit = order_units[u]
            if unit >= ncomp:  # basin
                b = unit - ncomp
                tot = 0.0
                for s in range(basin_pairs_ptr[b], basin_pairs_ptr[b + 1]):
                    tot += pair_w[basin_pairs[s]]
                if tot <= 0.0:
                    continue
                moved = True
                basin_inflow[b] += tot
                st = min(tot, basin_cap[b] - basin_stored[b])
                if st < 0.0:
                    st = 0.0
                basin_stored[b] += st
                r = (tot - st) / tot
                for s in range(basin_pairs_ptr[b], basin_pairs_ptr[b + 1]):
                    pr = basin_pairs[s]
                    w = pair_w[pr] * r
                    pair_w[pr] = 0.0
                    if w <= 0.0:
                        continue
                    t = pair_exit[pr]
                    if t < 0:
                        outflow += w
                    elif t < nleaf:
                        w = _intercept(t, w, nnodes, b, banc, bhead, bnext, parent, basin_cap,
                                       basin_stored, basin_inflow)
                        leaf_w[t] += w
                    else:
                        pair_w[t - nleaf] += w
                continue
            k = unit
            spilled = 0.0
            for q in range(comp_leaves_ptr[k], comp_leaves_ptr[k + 1]):
                lf = comp_leaves[q]
                w = leaf_w[lf]
                if w <= 0.0:
                    continue
                moved = True
                leaf_w[lf] = 0.0
                y = lf
                while w > 0.0:
                    if not full[y]:
                        space = own_cap[y] - own[y]
                        if w <= space:
                            own[y] += w
                            w = 0.0
                            break
                        own[y] = own_cap[y]
                        w -= space
                        full[y] = True
                    p = parent[y]
                    if p < 0:
                        spilled += w
                        w = 0.0
                        break
                    s = child2[p] if child1[p] == y else child1[p]
                    if not full[s]:
                        y = geolink[y]
                        if nb > 0:
                            w = _intercept(y, w, p, -1, banc, bhead, bnext, parent, basin_cap,
                                           basin_stored, basin_inflow)
                    else:
                        y = p
            if spilled > 0.0:
                t = comp_target[k]
                if t < 0:
                    outflow += spilled
                elif t < nleaf:
                    if nb > 0:
                        spilled = _intercept(t, spilled, nnodes, -1, banc, bhead, bnext, parent,
                                             basin_cap, basin_stored, basin_inflow)
                    leaf_w[t] += spilled
                else:
                    pair_w[t - nleaf] += spilled
        if not moved:
            break
    outflow += leaf_w.sum() + pair_w.sum()
    return own, full, basin_stored, outflow, basin_inflow, passes


@njit(cache=True)
def water_levels(z, order, leaf, parent, child1, child2, cap, spill, own, full,
                 nleaf):
    """Water surface elevation per leaf (NaN where dry) from the hypsometry.

    A node holding water below its spill level gets the level L at which
    ``sum(L - z)`` over the cells of its region below L equals its content;
    the cells are visited once in elevation order.
    """
    zf = z.ravel()
    lf = leaf.ravel()
    nnodes = parent.shape[0]
    partial = np.zeros(nnodes, dtype=np.bool_)
    target = np.zeros(nnodes)
    for x in range(nnodes):
        if own[x] > 0.0 and not full[x]:
            partial[x] = True
            t = own[x]
            if child1[x] >= 0:
                t += cap[child1[x]] + cap[child2[x]]
            target[x] = t
    pa = np.full(nnodes, -1, dtype=np.int64)
    for x in range(nnodes - 1, -1, -1):
        if partial[x]:
            pa[x] = x
        elif parent[x] >= 0:
            pa[x] = pa[parent[x]]
    surf = np.full(nnodes, np.nan)
    cnt = np.zeros(nnodes)
    sm = np.zeros(nnodes)
    solved = np.zeros(nnodes, dtype=np.bool_)
    for q in range(order.shape[0]):
        i = order[q]
        x = pa[lf[i]]
        if x < 0 or solved[x]:
            continue
        zi = zf[i]
        if cnt[x] > 0.0 and zi * cnt[x] - sm[x] >= target[x]:
            surf[x] = (target[x] + sm[x]) / cnt[x]
            solved[x] = True
            continue
        cnt[x] += 1.0
        sm[x] += zi
    for x in range(nnodes):
        if partial[x] and not solved[x]:
            surf[x] = min((target[x] + sm[x]) / cnt[x], spill[x])
        elif full[x]:
            surf[x] = spill[x]
    # effective level: the highest water surface among a node and its ancestors
    lev = np.full(nnodes, np.nan)
    for x in range(nnodes - 1, -1, -1):
        v = surf[x]
        p = parent[x]
        if p >= 0 and not np.isnan(lev[p]):
            if np.isnan(v) or lev[p] > v:
                v = lev[p]
        lev[x] = v
    return lev[:nleaf]


@njit(cache=True)
def nearest_marked_ancestor(parent, marked):
    """For every hierarchy node the nearest node at or above it that is marked (-1: none).

    Parents have larger ids than their children, so one pass from the top
    suffices.
    """
    nn = parent.shape[0]
    out = np.full(nn, -1, dtype=np.int64)
    for x in range(nn - 1, -1, -1):
        if marked[x]:
            out[x] = x
        elif parent[x] >= 0:
            out[x] = out[parent[x]]
    return out


# --------------------------------------------------------------------------- ordering
@njit(cache=True)
def kahn_order(n, eptr, dst):
    """Topological order of ``n`` units (Kahn's algorithm, FIFO queue seeded in id order).

    ``dst[eptr[u]:eptr[u + 1]]`` are the edges out of unit ``u``. Units on a
    cycle are appended at the end in id order.
    """
    indeg = np.zeros(n, dtype=np.int64)
    for e in range(dst.shape[0]):
        indeg[dst[e]] += 1
    queue = np.empty(n, dtype=np.int64)
    qt = 0
    for u in range(n):
        if indeg[u] == 0:
            queue[qt] = u
            qt += 1
    qh = 0
    while qh < qt:
        u = queue[qh]
        qh += 1
        for e in range(eptr[u], eptr[u + 1]):
            v = dst[e]
            indeg[v] -= 1
            if indeg[v] == 0:
                queue[qt] = v
                qt += 1
    if qt < n:
        seen = np.zeros(n, dtype=np.bool_)
        for q in range(qt):
            seen[queue[q]] = True
        for u in range(n):
            if not seen[u]:
                queue[qt] = u
                qt += 1
    return queue


@njit(cache=True)
def reported_downstream(down, keep):
    """First reported depression downstream of each depression (-1: none, or a cycle).

    Linear time: every walk stops at a reported depression, the edge, a node
    already resolved or a cycle, and writes its answer to the whole path.
    """
    n = down.shape[0]
    res = np.full(n, -2, dtype=np.int64)  # -2: not resolved yet
    onp = np.zeros(n, dtype=np.bool_)
    path = np.empty(max(n, 1), dtype=np.int64)
    for k in range(n):
        if res[k] != -2:
            continue
        np_ = 1
        path[0] = k
        onp[k] = True
        cur = k
        while True:
            d = down[cur]
            if d < 0:
                ans = -1
                break
            if keep[d]:
                ans = d
                break
            if res[d] != -2:
                ans = res[d]
                break
            if onp[d]:  # a cycle of unreported depressions
                ans = -1
                break
            path[np_] = d
            np_ += 1
            onp[d] = True
            cur = d
        for q in range(np_):
            res[path[q]] = ans
            onp[path[q]] = False
    return res


# --------------------------------------------------------------------------- rain outputs
@njit(cache=True)
def inflow_sums(term, qf, nbins):
    """Runoff (m3) reaching every terminal: ``bincount(term[term >= 0], qf[term >= 0])``."""
    inflow = np.zeros(nbins)
    for i in range(term.shape[0]):
        t = term[i]
        if t >= 0:
            inflow[t] += qf[i]
    return inflow


@njit(cache=True)
def water_depth_grid(zf, dcells, dcomp, leaf, lev, ncomp, nr, nc):
    """Water depth raster (unpadded; NaN = nodata) and per depression the
    deepest water and the highest water level (NaN when dry).

    ``zf`` is the flat padded DEM of ``nr x nc`` cells, ``lev`` the water
    level of every leaf (NaN where dry).
    """
    out = np.empty((nr - 2, nc - 2))
    for r in range(1, nr - 1):
        for c in range(1, nc - 1):
            out[r - 1, c - 1] = np.nan if np.isnan(zf[r * nc + c]) else 0.0
    wmax = np.zeros(ncomp)
    wlev = np.full(ncomp, np.nan)
    for q in range(dcells.shape[0]):
        i = dcells[q]
        lv = lev[leaf[i]]
        if np.isnan(lv):
            continue
        v = lv - zf[i]
        dd = v if v > 0.0 else 0.0
        out[i // nc - 1, i % nc - 1] = dd
        k = dcomp[q]
        if dd > wmax[k]:
            wmax[k] = dd
        if np.isnan(wlev[k]) or lv > wlev[k]:
            wlev[k] = lv
    return out, wmax, wlev


@njit(cache=True)
def building_exposure(idx, near, comp, keep, nb):
    """Per building: deepest ``near`` value under its cells (-inf: no cell),
    whether it has a cell, and whether one of its cells is in a reported
    depression (``comp`` flat padded labels, ``keep`` per label)."""
    nr, nc = idx.shape
    fd = np.full(nb, -np.inf)
    touched = np.zeros(nb, dtype=np.bool_)
    low = np.zeros(nb, dtype=np.bool_)
    for r in range(nr):
        for c in range(nc):
            b = idx[r, c]
            if b < 0:
                continue
            touched[b] = True
            v = near[r, c]
            if v > fd[b] or np.isnan(v):
                fd[b] = v
            k = comp[(r + 1) * (nc + 2) + c + 1]
            if k >= 0 and keep[k]:
                low[b] = True
    return fd, touched, low
