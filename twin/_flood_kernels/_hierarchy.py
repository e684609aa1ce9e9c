"""Depression hierarchy (merge tree) of a filled DEM.

:func:`pit_hierarchy` -- the depression hierarchy of Barnes, Callaghan &
  Wickert (2020, Earth Surf. Dynam. 8:431-445): the depression cells are
  visited in elevation order (the pop order of a flood from all pits), take
  the label of the pit they drain to (lowest visited neighbour), and where two
  labels meet at a saddle a Kruskal-style union builds the merge tree with
  the volume of each sub-depression at its spill level.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from twin._flood_kernels._common import _offsets, _find, _grow


# --------------------------------------------------------------------------- components
@njit(cache=True)
def label_components(dep):
    """8-connected components of a padded boolean mask; -1 outside.

    Returns
    -------
    comp : numpy.ndarray of int32 (flat)
    ncomp : int
    """
    nr, nc = dep.shape
    n = nr * nc
    d = dep.ravel()
    off = _offsets(nc)
    comp = np.full(n, -1, dtype=np.int32)
    stack = np.empty(1024, dtype=np.int64)
    ncomp = 0
    for i in range(n):
        if not d[i] or comp[i] >= 0:
            continue
        comp[i] = ncomp
        sp = 1
        stack[0] = i
        while sp > 0:
            sp -= 1
            a = stack[sp]
            for k in range(8):
                b = a + off[k]
                if d[b] and comp[b] < 0:
                    comp[b] = ncomp
                    stack = _grow(stack, sp)
                    stack[sp] = b
                    sp += 1
        ncomp += 1
    return comp, ncomp


@njit(cache=True)
def pit_hierarchy(z, dep, comp, ncomp, fill_level, order):
    """Depression hierarchy inside every depression (connected component).

    The depression cells are visited in non-decreasing elevation (``order``),
    which is the pop order of a flood from all pits, without a priority
    queue. A cell takes the label (leaf) of its lowest already visited
    neighbour, or starts a new leaf when it has none (a pit). When a cell
    touches a visited neighbour of another tree, the two sub-depressions meet
    at a saddle at the cell's elevation m: a Kruskal-style union makes a
    parent node, and each child's capacity at m is ``m * count - sum(z)`` of
    its visited cells. Steps: :func:`_merge_tree` (the sweep),
    :func:`_tree_arrays` (node numbering) and :func:`_top_nodes` (each
    component's root at its spill level).

    Parameters
    ----------
    z : numpy.ndarray
        Padded float64 DEM.
    dep : numpy.ndarray of bool
        Padded mask of depression cells (filled > dem).
    comp : numpy.ndarray of int32
        Flat component id per cell (-1 outside depressions).
    ncomp : int
        Number of components.
    fill_level : numpy.ndarray
        Filled level (spill elevation) of each component.
    order : numpy.ndarray of int64
        The depression cells (flat indices) sorted by elevation.

    Returns
    -------
    leaf : int32 flat array, leaf id of every depression cell (-1 elsewhere)
    nleaf : int
    nodes : tuple of arrays (parent, child1, child2, spill, cap, geolink,
        comp_of_node, bottom); leaves are nodes 0..nleaf-1; ``cap`` in
        m x cells.
    top : int64 array, the top node of each component
    """
    leaf, nleaf, lf_arrays, merges, nint, uf, node_of_root, cnt, sumz = _merge_tree(
        z, dep, comp, order)
    nodes = _tree_arrays(nleaf, lf_arrays, merges, nint)
    top = _top_nodes(nleaf, ncomp, fill_level, uf, node_of_root, cnt, sumz, nodes)
    return leaf, nleaf, nodes, top


@njit(cache=True)
def _merge_tree(z, dep, comp, order):
    """The elevation-ordered sweep of :func:`pit_hierarchy`: leaves and merges.

    Internal nodes are numbered ``-(1 + merge index)`` until the number of
    leaves is known.
    """
    nr, nc = dep.shape
    n = nr * nc
    zf = z.ravel()
    off = _offsets(nc)
    leaf = np.full(n, -1, dtype=np.int32)
    ndep = order.shape[0]
    cap0 = max(16, ndep // 4)
    # per leaf / union-find root
    comp_of = np.full(cap0, -1, dtype=np.int64)
    bottom = np.zeros(cap0)
    uf = np.empty(cap0, dtype=np.int64)
    node_of_root = np.empty(cap0, dtype=np.int64)
    cnt = np.zeros(cap0)
    sumz = np.zeros(cap0)
    nleaf = 0
    # per merge: children a and b, level, geolinks of a and b, capacities of a and b
    ikids = np.empty((cap0, 2), dtype=np.int64)
    ig = np.empty((cap0, 2), dtype=np.int64)
    ilev = np.empty((cap0, 3))
    nint = 0
    for q in range(ndep):
        c = order[q]
        zc = zf[c]
        best = -1
        bz = np.inf
        for k in range(8):
            j = c + off[k]
            # leaf >= 0 only on depression cells already visited
            if leaf[j] >= 0 and zf[j] < bz:
                bz = zf[j]
                best = j
        if best < 0:
            uf = _grow(uf, nleaf)
            node_of_root = _grow(node_of_root, nleaf)
            cnt = _grow(cnt, nleaf)
            sumz = _grow(sumz, nleaf)
            bottom = _grow(bottom, nleaf)
            comp_of = _grow(comp_of, nleaf)
            lc = nleaf
            nleaf += 1
            uf[lc] = lc
            node_of_root[lc] = lc
            cnt[lc] = 0.0
            sumz[lc] = 0.0
            bottom[lc] = zc
            comp_of[lc] = comp[c]
        else:
            lc = leaf[best]
        leaf[c] = lc
        rc = _find(uf, lc)
        cnt[rc] += 1.0
        sumz[rc] += zc
        for k in range(8):
            j = c + off[k]
            lj = np.int64(leaf[j])  # one integer type for _find
            if lj < 0 or lj == lc:
                continue
            ra = _find(uf, lc)
            rb = _find(uf, lj)
            if ra == rb:
                continue
            ikids = _grow(ikids, nint)
            ig = _grow(ig, nint)
            ilev = _grow(ilev, nint)
            ikids[nint, 0] = node_of_root[ra]
            ikids[nint, 1] = node_of_root[rb]
            ig[nint, 0] = lj
            ig[nint, 1] = lc
            ilev[nint, 0] = zc
            ilev[nint, 1] = zc * cnt[ra] - sumz[ra]
            ilev[nint, 2] = zc * cnt[rb] - sumz[rb]
            if cnt[ra] < cnt[rb]:
                ra, rb = rb, ra
            uf[rb] = ra
            cnt[ra] += cnt[rb]
            sumz[ra] += sumz[rb]
            node_of_root[ra] = -(1 + nint)
            nint += 1
    return leaf, nleaf, (comp_of, bottom), (ikids, ig, ilev), nint, uf, node_of_root, cnt, sumz


@njit(cache=True)
def _node_id(x, nleaf):
    return x if x >= 0 else nleaf + (-x - 1)


@njit(cache=True)
def _tree_arrays(nleaf, lf_arrays, merges, nint):
    """Parent/children/spill/capacity/geolink/component/bottom arrays of the merge tree."""
    comp_of, bottom = lf_arrays
    ikids, ig, ilev = merges
    nnodes = nleaf + nint
    parent = np.full(nnodes, -1, dtype=np.int64)
    child1 = np.full(nnodes, -1, dtype=np.int64)
    child2 = np.full(nnodes, -1, dtype=np.int64)
    spill = np.full(nnodes, np.nan)
    cap = np.zeros(nnodes)
    geolink = np.full(nnodes, -1, dtype=np.int64)
    comp_o = np.full(nnodes, -1, dtype=np.int64)
    bot = np.zeros(nnodes)
    for x in range(nleaf):
        comp_o[x] = comp_of[x]
        bot[x] = bottom[x]
    for t in range(nint):
        p = nleaf + t
        a = _node_id(ikids[t, 0], nleaf)
        b = _node_id(ikids[t, 1], nleaf)
        parent[a] = p
        parent[b] = p
        child1[p] = a
        child2[p] = b
        spill[a] = ilev[t, 0]
        spill[b] = ilev[t, 0]
        cap[a] = ilev[t, 1]
        cap[b] = ilev[t, 2]
        geolink[a] = ig[t, 0]
        geolink[b] = ig[t, 1]
        bot[p] = ilev[t, 0]
        comp_o[p] = comp_o[a]
    return parent, child1, child2, spill, cap, geolink, comp_o, bot


@njit(cache=True)
def _top_nodes(nleaf, ncomp, fill_level, uf, node_of_root, cnt, sumz, nodes):
    """Root node of each component; sets its spill level and capacity (in place)."""
    spill = nodes[3]
    cap = nodes[4]
    comp_o = nodes[6]
    top = np.full(ncomp, -1, dtype=np.int64)
    for lf in range(nleaf):
        r = _find(uf, lf)
        t = _node_id(node_of_root[r], nleaf)
        k = comp_o[t]
        if top[k] < 0:
            top[k] = t
            s = fill_level[k]
            spill[t] = s
            cap[t] = s * cnt[r] - sumz[r]
    return top
