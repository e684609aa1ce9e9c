"""Kernels of the tiled fill (Barnes 2016): tile-edge spill graph and raising tiles to their spill levels.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.typed import Dict
from twin._flood_kernels._common import _grow, _heap_push, _heap_pop



# --------------------------------------------------------------------------- tiles
@njit(cache=True, nogil=True)
def label_edges(lab, f, node):
    """Edges of the watershed graph of one tile (Barnes 2016).

    Two labels are joined where two of their cells are 8-neighbours; the
    edge weight is the lowest ``max(f[a], f[b])`` over such pairs (``f`` the
    tile's own filled surface), the level at which water passes from one
    watershed to the other.

    Parameters
    ----------
    lab : int32 flat array
        Labels of the padded tile grid (0 = nodata).
    f : float64 2-D array
        Filled surface of the tile (unpadded).
    node : int64 array
        Graph node of every label (index = label; 0 = the outlet node).

    Returns
    -------
    a, b : int64 arrays (a < b), w : float64 array
    """
    nr, nc = f.shape
    pc = nc + 2
    best = Dict.empty(key_type=types.int64, value_type=types.float64)
    big = np.int64(node.max() + 1)
    for r in range(nr):
        for c in range(nc):
            li = lab[(r + 1) * pc + c + 1]
            if li == 0:
                continue
            a = node[li]
            fa = f[r, c]
            for k in range(4):
                rr = r + (0 if k == 0 else 1)
                cc = c + (1 if k == 0 else k - 2)
                if rr >= nr or cc < 0 or cc >= nc:
                    continue
                lj = lab[(rr + 1) * pc + cc + 1]
                if lj == 0:
                    continue
                b = node[lj]
                if a == b:
                    continue
                wgt = max(fa, f[rr, cc])
                key = min(a, b) * big + max(a, b)
                if key in best:
                    if wgt < best[key]:
                        best[key] = wgt
                else:
                    best[key] = wgt
    m = len(best)
    ea = np.empty(m, dtype=np.int64)
    eb = np.empty(m, dtype=np.int64)
    ew = np.empty(m)
    q = 0
    for key, wgt in best.items():
        ea[q] = key // big
        eb[q] = key % big
        ew[q] = wgt
        q += 1
    return ea, eb, ew


@njit(cache=True)
def spill_levels(nnodes, ea, eb, ew):
    """Lowest level at which each node of a watershed graph drains to node 0.

    Priority-Flood on the graph (Barnes 2016, stage 2): node 0 (the outlets)
    starts at -inf; a node is reached from a neighbour at ``max(level of the
    neighbour, edge weight)`` and keeps the lowest such level (a minimax
    path, Dijkstra-style with a binary heap). Unreached nodes stay +inf.
    """
    deg = np.zeros(nnodes + 1, dtype=np.int64)
    for e in range(ea.shape[0]):
        deg[ea[e] + 1] += 1
        deg[eb[e] + 1] += 1
    for u in range(nnodes):
        deg[u + 1] += deg[u]
    adj = np.empty(deg[nnodes], dtype=np.int64)
    adw = np.empty(deg[nnodes])
    pos = deg[:-1].copy()
    for e in range(ea.shape[0]):
        adj[pos[ea[e]]] = eb[e]
        adw[pos[ea[e]]] = ew[e]
        pos[ea[e]] += 1
        adj[pos[eb[e]]] = ea[e]
        adw[pos[eb[e]]] = ew[e]
        pos[eb[e]] += 1
    level = np.full(nnodes, np.inf)
    level[0] = -np.inf
    keys = np.empty(1024)
    vals = np.empty(1024, dtype=np.int64)
    keys, vals, hs = _heap_push(keys, vals, 0, -np.inf, 0)
    while hs > 0:
        lv, u, hs = _heap_pop(keys, vals, hs)
        if lv > level[u]:
            continue
        for q in range(deg[u], deg[u + 1]):
            v = adj[q]
            cand = max(lv, adw[q])
            if cand < level[v]:
                level[v] = cand
                keys, vals, hs = _heap_push(keys, vals, hs, cand, v)
    return level


@njit(cache=True, nogil=True)
def raise_to_spill(f, lab, node_level):
    """``max(f, level of the cell's label)`` in place (stage 3 of Barnes 2016)."""
    nr, nc = f.shape
    pc = nc + 2
    for r in range(nr):
        for c in range(nc):
            li = lab[(r + 1) * pc + c + 1]
            if li == 0:
                continue
            lv = node_level[li]
            if lv > f[r, c]:
                f[r, c] = lv


@njit(cache=True, nogil=True)
def pour_candidates(f, dep, comp, core, gidx, term, level, tlevel):
    """First exit and fallback rim cells of the depressions in one tile (the rim scan of
    :func:`twin._flood_kernels.pour_points`, keyed for a merge over tiles).

    The tile's own depression cells (``core``) are scanned in raster order and
    their neighbours in neighbour order; a neighbour outside the depressions
    at the depression's level is its *exit* unless its terminal (``term``, a
    depression id or -1) is a depression at the same or a higher level, then
    it is a *fallback* (``level`` per depression, ``tlevel`` per terminal code). Keys are ``global cell * 8 + neighbour``, so the first
    over all tiles is the smallest key.

    Returns
    -------
    comps, exit_key, exit_cell, exit_target, fallback_key, fallback_cell : int64 arrays
        One entry per depression met; -1 where none was found.
    """
    nr, nc = f.shape
    n = nr * nc
    ff = f.ravel()
    d = dep.ravel()
    off = np.array([-nc - 1, -nc, -nc + 1, -1, 1, nc - 1, nc, nc + 1], dtype=np.int64)
    slot = Dict.empty(key_type=types.int64, value_type=types.int64)
    m = 0
    cap = 16
    out = np.full((cap, 6), -1, dtype=np.int64)
    for i in range(n):
        if not (d[i] and core[i]):
            continue
        k = np.int64(comp[i])
        if k in slot:
            s = slot[k]
        else:
            if m >= cap:
                cap *= 2
                grown = np.full((cap, 6), -1, dtype=np.int64)
                grown[:m] = out[:m]
                out = grown
            s = m
            slot[k] = s
            out[s, 0] = k
            m += 1
        if out[s, 1] >= 0:
            continue
        lk = level[k]
        for q in range(8):
            j = i + off[q]
            if d[j] or np.isnan(ff[j]) or ff[j] != lk:
                continue
            t = term[j]
            if t >= 0 and tlevel[t] >= lk:
                if out[s, 4] < 0:
                    out[s, 4] = gidx[i] * 8 + q
                    out[s, 5] = gidx[j]
                continue
            out[s, 1] = gidx[i] * 8 + q
            out[s, 2] = gidx[j]
            out[s, 3] = t
            break
    out = out[:m]
    return (out[:, 0].copy(), out[:, 1].copy(), out[:, 2].copy(), out[:, 3].copy(), out[:, 4].copy(),
            out[:, 5].copy())


@njit(cache=True, nogil=True)
def basin_codes(dirs, stop, dep, init, basin, nc, pair0, step):
    """Terminal codes with basins on the flow paths in one tile window (the path rule of
    :func:`twin._flood_kernels.basin_terminals`, with codes for a merge over tiles).

    Paths end at ``stop`` cells, whose code is ``init`` (a leaf, -1, a code of
    another tile's making); a path passing cells of basin ``b`` before a code
    ``t`` gets the pair ``(b, t)`` unless the next cell is in the same basin
    (outside the depressions, ``dep``). Pair ``k`` of the tile is coded
    ``pair0 + step * k`` and listed as ``(basin, inner code)`` in creation
    order (inner pairs first).

    Returns
    -------
    term : int64 flat array (-2 nodata, -3 cells never reached)
    pairs : int64 array (npair, 2)
    """
    n = dirs.shape[0]
    off = np.array([-nc - 1, -nc, -nc + 1, -1, 1, nc - 1, nc, nc + 1], dtype=np.int64)
    term = np.full(n, -3, dtype=np.int64)
    for i in range(n):
        if stop[i]:
            term[i] = init[i]
        elif dirs[i] == -2:
            term[i] = -2
    # the pairs of each basin: a linked list (phead/pnext) searched by inner code (a basin
    # has a few; no typed Dict, whose hashing is slow to compile)
    nbas = 0
    for i in range(n):
        if basin[i] + 1 > nbas:
            nbas = basin[i] + 1
    phead = np.full(nbas, -1, dtype=np.int64)
    pnext = np.empty(64, dtype=np.int64)
    pb = np.empty(64, dtype=np.int64)
    pe = np.empty(64, dtype=np.int64)
    npair = 0
    path = np.empty(1024, dtype=np.int64)
    for i in range(n):
        if term[i] != -3:
            continue
        np_ = 0
        j = i
        nt = np.int64(-1)
        nb = -1
        while True:
            path = _grow(path, np_)
            path[np_] = j
            np_ += 1
            if dirs[j] < 0:
                break
            j = j + off[dirs[j]]
            if term[j] != -3:
                nt = term[j]
                nb = basin[j] if not dep[j] else -1
                break
        for q in range(np_ - 1, -1, -1):
            p = path[q]
            bp = basin[p]
            if bp >= 0 and bp != nb:
                pr = phead[bp]
                while pr >= 0 and pe[pr] != nt:
                    pr = pnext[pr]
                if pr >= 0:
                    nt = pair0 + step * pr
                else:
                    pb = _grow(pb, npair)
                    pe = _grow(pe, npair)
                    pnext = _grow(pnext, npair)
                    pb[npair] = bp
                    pe[npair] = nt
                    pnext[npair] = phead[bp]
                    phead[bp] = npair
                    nt = pair0 + step * npair
                    npair += 1
            term[p] = nt
            nb = bp
    pairs = np.empty((npair, 2), dtype=np.int64)
    for k in range(npair):
        pairs[k, 0] = pb[k]
        pairs[k, 1] = pe[k]
    return term, pairs
