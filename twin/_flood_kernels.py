"""Numba kernels of the flood screening (numpy in, numpy out; no file formats).

All kernels work on *padded* grids: the caller adds a one-cell NaN border so
that the eight neighbours of every interior cell are reached by constant
offsets of the flat index, without bounds checks. NaN marks nodata.

Algorithms
----------
* :func:`flood_core` -- the one priority-flood kernel (in-memory and tiled
  fill): Priority-Flood (Barnes, Lehman & Mulla 2014, Computers &
  Geosciences 62:117-127) with the improvement of Zhou, Sun & Fu (2016,
  Int. J. Digital Earth 9(8)) and Wei, Zhou & Fu (2019, Int. J. Digital
  Earth 12(4)) that keeps most cells out of the priority queue: a neighbour
  that is not lower than an already final cell is final at its own
  elevation, so it is handled by a plain stack; only cells that have a
  lower, still open neighbour enter the queue, an exact monotone bucket
  queue on order-preserving integer keys of float32 values.
  :func:`keys_seeded` does the key conversion, the raising of single-cell
  pits (to their lowest neighbour, not above their filled level, so the
  result is unchanged) and the seeding in one pass over the DEM;
  :func:`flood_core` drops the queue entries whose neighbours are all
  closed by then (most of them) with a look-up in a 1-bit-per-cell bitmap,
  and optionally labels every cell with the seed it was flooded from (the
  watershed labels of the tiled fill, Barnes 2016).
* :func:`pit_hierarchy` -- the depression hierarchy of Barnes, Callaghan &
  Wickert (2020, Earth Surf. Dynam. 8:431-445): the depression cells are
  visited in elevation order (the pop order of a flood from all pits), take
  the label of the pit they drain to (lowest visited neighbour), and where two
  labels meet at a saddle a Kruskal-style union builds the merge tree with
  the volume of each sub-depression at its spill level.
* :func:`trace_rings` -- outlines of labelled regions (the polygons of GDAL's
  polygonize with 8-connectivity) by walking the cell edges once.
* :func:`route` -- fill-spill-merge (Barnes, Callaghan & Wickert 2021,
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
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.typed import Dict

_SQRT2 = np.sqrt(2.0)


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Hint the CPU to load ``arr[idx]`` into cache (``llvm.prefetch``; no effect on results)."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), "llvm.prefetch.p0i8")
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), i8p)
        # read, high temporal locality, data cache
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True)
def _offsets(nc):
    return np.array([-nc - 1, -nc, -nc + 1, -1, 1, nc - 1, nc, nc + 1], dtype=np.int64)


# --------------------------------------------------------------------------- heap
@njit(cache=True)
def _heap_push(keys, vals, size, key, val):
    if size >= keys.shape[0]:
        nk = np.empty(keys.shape[0] * 2, dtype=keys.dtype)
        nv = np.empty(vals.shape[0] * 2, dtype=vals.dtype)
        nk[:size] = keys[:size]
        nv[:size] = vals[:size]
        keys = nk
        vals = nv
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] <= key:
            break
        keys[i] = keys[p]
        vals[i] = vals[p]
        i = p
    keys[i] = key
    vals[i] = val
    return keys, vals, size + 1


@njit(cache=True)
def _heap_pop(keys, vals, size):
    key = keys[0]
    val = vals[0]
    size -= 1
    lk = keys[size]
    lv = vals[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and keys[c + 1] < keys[c]:
            c += 1
        if keys[c] >= lk:
            break
        keys[i] = keys[c]
        vals[i] = vals[c]
        i = c
    if size > 0:
        keys[i] = lk
        vals[i] = lv
    return key, val, size



@njit(cache=True)
def _heapu_push(h, size, key):
    if size >= h.shape[0]:
        nh = np.empty(h.shape[0] * 2, dtype=h.dtype)
        nh[:size] = h[:size]
        h = nh
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if h[p] <= key:
            break
        h[i] = h[p]
        i = p
    h[i] = key
    return h, size + 1


@njit(cache=True)
def _heapu_pop(h, size):
    top = h[0]
    size -= 1
    last = h[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and h[c + 1] < h[c]:
            c += 1
        if h[c] >= last:
            break
        h[i] = h[c]
        i = c
    if size > 0:
        h[i] = last
    return top, size


# --------------------------------------------------------------------------- fill
@njit(cache=True, inline="always")
def _sk(b):
    # order-preserving map of float32 bits to unsigned integers
    if b & np.uint32(0x80000000):
        return ~b
    return b | np.uint32(0x80000000)


@njit(cache=True, inline="always")
def _close_bit(bm, i):
    bm[i >> 6] |= np.uint64(1) << np.uint64(i & 63)


@njit(cache=True, inline="always")
def _closed3(bm, b):
    # bits b, b+1, b+2 of the bitmap all set
    wd = b >> 6
    bit = b & 63
    x = bm[wd] >> np.uint64(bit)
    if bit > 61:
        x |= bm[wd + 1] << np.uint64(64 - bit)
    return (x & np.uint64(7)) == np.uint64(7)


@njit(cache=True, inline="always")
def _stale(bm, i, nc):
    # every neighbour of the closed cell i is closed too
    return _closed3(bm, i - nc - 1) and _closed3(bm, i - 1) and _closed3(bm, i + nc - 1)


@njit(cache=True, nogil=True)
def flood_core(w, nc, stack, sp, smin, smax, bm, lab):
    """The priority-flood kernel: stack + bucket-queue flood from the ``sp`` seeds on ``stack``.

    Both the in-memory fill (:func:`twin.flood.fill_depressions`) and every
    tile of the tiled fill (:mod:`twin.flood_tiled`) run this function on the
    keys of :func:`keys_seeded`; :func:`filled_from_keys` reads the result.
    ``w`` holds per cell ``closed << 32 | key`` so each neighbour test reads
    one 8-byte word. Cells not lower than the cell they are reached from are
    final at their own key and go through the plain stack (Zhou, Sun & Fu
    2016; Wei, Zhou & Fu 2019); only cells that still have a lower open
    neighbour when the stack has drained enter the monotone bucket queue
    (bins on the high key bits, an exact small binary heap for the current
    bin).

    ``smin``/``smax`` bound the keys of the open cells; ``stack`` has room
    for every cell; ``bm`` is a bitmap of the closed cells (bit ``i & 63`` of
    word ``i >> 6``), kept in step with the closed flag of ``w``. Most queue
    entries are rim cells of a depression that has been flooded from its
    spill point by the time they come up (3.6M of 3.8M pops on the
    16.8M-cell fractal DEM): the 2 MB bitmap tells so without touching the
    128 MB key grid, and such entries are dropped (processing them would
    change nothing).

    ``lab`` (int32, one per cell, or empty) is the watershed labelling of
    the flood (Barnes 2016): when it is not empty, every cell reached from
    a cell takes that cell's label, so each cell carries the label of the
    seed whose flood reached it, along a path no higher than its filled
    level. The seeds' labels are set by the caller.
    """
    n = w.shape[0]
    labelled = lab.shape[0] > 0
    off = _offsets(nc)
    CL = np.uint64(1) << np.uint64(32)
    LO = np.uint64(0xFFFFFFFF)
    maxbins = max(1024, min(1 << 22, n // 16))
    shift = 0
    while ((np.int64(smax) - np.int64(smin)) >> shift) >= maxbins:
        shift += 1
    nbins = ((np.int64(smax) - np.int64(smin)) >> shift) + 1 if smax >= smin else 1
    # a bin is a linked list of blocks of one cache line each (8 words: the
    # next block, then up to 7 keys, 0 = free slot) in one array, so a bin
    # is drained with about one cache miss per 7 entries; block 0 ends a list
    heads = np.zeros(nbins, dtype=np.int64)
    pcap = max(1024, n // 64)
    plist = np.empty(8 * pcap + 8, dtype=np.uint64)
    psize = 1
    hp = np.empty(4096, dtype=np.uint64)
    hs = 0
    cur = np.int64(-1)
    defer = np.empty(1024, dtype=np.int32)
    nd = 0
    level = np.uint64(0)
    started = False
    while True:
        while sp > 0:
            sp -= 1
            i = stack[sp]
            zi = w[i] & LO
            low = started and zi <= level
            need = False
            for k in range(8):
                j = i + off[k]
                wj = w[j]
                if wj >= CL:
                    continue
                if wj >= zi:
                    w[j] = wj | CL
                elif low:
                    w[j] = zi | CL
                else:
                    need = True
                    continue
                _close_bit(bm, j)
                if labelled:
                    lab[j] = lab[i]
                stack[sp] = j
                sp += 1
            if need:
                if nd >= defer.shape[0]:
                    ndf = np.empty(defer.shape[0] * 2, dtype=np.int32)
                    ndf[:nd] = defer[:nd]
                    defer = ndf
                defer[nd] = i
                nd += 1
        for q in range(nd):
            i = defer[q]
            zi = w[i] & LO
            push = False
            for k in range(8):
                wj = w[i + off[k]]
                if wj < CL and wj < zi:
                    push = True
                    break
            if push:
                key = (zi << np.uint64(32)) | np.uint64(i)
                bn = (np.int64(zi) - np.int64(smin)) >> shift
                if bn <= cur:
                    hp, hs = _heapu_push(hp, hs, key)
                else:
                    hb = heads[bn]
                    if hb == 0 or plist[8 * hb + 7] != 0:
                        if 8 * psize + 8 > plist.shape[0]:
                            nl2 = np.empty(plist.shape[0] * 2, dtype=np.uint64)
                            nl2[:8 * psize] = plist[:8 * psize]
                            plist = nl2
                        b8 = 8 * psize
                        plist[b8] = np.uint64(hb)
                        plist[b8 + 1] = key
                        for t in range(2, 8):
                            plist[b8 + t] = 0
                        heads[bn] = psize
                        psize += 1
                    else:
                        t = 8 * hb + 2
                        while plist[t] != 0:
                            t += 1
                        plist[t] = key
        nd = 0
        while hs == 0:
            cur += 1
            if cur >= nbins:
                break
            q = heads[cur]
            heads[cur] = 0
            while q > 0:
                qn = np.int64(plist[8 * q])
                _prefetch(plist, 8 * qn)
                for t in range(8 * q + 1, 8 * q + 8):
                    key = plist[t]
                    if key == 0:
                        break
                    # the cells of this bin are popped next, from anywhere in the
                    # grid: start loading their three rows now
                    ci = np.int64(key & LO)
                    if not _stale(bm, ci, nc):
                        _prefetch(w, ci - nc)
                        _prefetch(w, ci)
                        _prefetch(w, ci + nc)
                        hp, hs = _heapu_push(hp, hs, key)
                q = qn
        if hs == 0:
            break
        key, hs = _heapu_pop(hp, hs)
        i = np.int32(key & LO)
        if _stale(bm, np.int64(i), nc):
            continue
        level = key >> np.uint64(32)
        started = True
        stack[sp] = i
        sp += 1


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
                    if sp >= stack.shape[0]:
                        ns = np.empty(stack.shape[0] * 2, dtype=np.int64)
                        ns[:sp] = stack[:sp]
                        stack = ns
                    stack[sp] = b
                    sp += 1
        ncomp += 1
    return comp, ncomp


# --------------------------------------------------------------------------- hierarchy
@njit(cache=True)
def _find(uf, a):
    root = a
    while uf[root] != root:
        root = uf[root]
    while uf[a] != root:
        nxt = uf[a]
        uf[a] = root
        a = nxt
    return root


@njit(cache=True)
def _grow(a, n):
    """``a`` with room for at least ``n + 1`` rows (doubled when full; first ``n`` rows kept)."""
    if n < a.shape[0]:
        return a
    shape = (a.shape[0] * 2,) + a.shape[1:]
    b = np.zeros(shape, dtype=a.dtype)
    b[:n] = a[:n]
    return b


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
            lj = leaf[j]
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
    comp_o[:nleaf] = comp_of[:nleaf]
    bot[:nleaf] = bottom[:nleaf]
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
    # flats: BFS from resolved non-depression cells, then from depression cells
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
                    if qt >= queue.shape[0]:
                        nq = np.empty(queue.shape[0] * 2, dtype=np.int64)
                        nq[:qt] = queue[:qt]
                        queue = nq
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
                    if qt >= queue.shape[0]:
                        nq = np.empty(queue.shape[0] * 2, dtype=np.int64)
                        nq[:qt] = queue[:qt]
                        queue = nq
                    queue[qt] = b
                    qt += 1
    for i in range(n):
        if dirs[i] == -3:
            dirs[i] = -1
    # terminals
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
            if np_ >= path.shape[0]:
                npth = np.empty(path.shape[0] * 2, dtype=np.int64)
                npth[:np_] = path[:np_]
                path = npth
            path[np_] = j
            np_ += 1
            if dirs[j] < 0:
                t = -1
                break
            j = j + off[dirs[j]]
        for q in range(np_):
            term[path[q]] = t
    return dirs, term


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
    n = term0.shape[0]
    d = dep.ravel()
    off = _offsets(nc)
    term = np.full(n, -3, dtype=np.int64)
    for i in range(n):
        if term0[i] == -2 or d[i]:
            term[i] = term0[i]
    keys = Dict.empty(key_type=types.int64, value_type=types.int64)
    big = np.int64(2 * n + 4)
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
            if np_ >= path.shape[0]:
                npth = np.empty(path.shape[0] * 2, dtype=np.int64)
                npth[:np_] = path[:np_]
                path = npth
            path[np_] = j
            np_ += 1
            if dirs[j] < 0:
                break
            j = j + off[dirs[j]]
            if term[j] != -3:
                nt = term[j]
                nb = basin[j] if not d[j] else -1
                break
        for q in range(np_ - 1, -1, -1):
            p = path[q]
            bp = basin[p]
            if bp >= 0 and bp != nb:
                key = bp * big + nt + 1
                if key in keys:
                    nt = nleaf + keys[key]
                else:
                    if npair >= pb.shape[0]:
                        pb2 = np.empty(pb.shape[0] * 2, dtype=np.int64)
                        pe2 = np.empty(pb.shape[0] * 2, dtype=np.int64)
                        pb2[:npair] = pb[:npair]
                        pe2[:npair] = pe[:npair]
                        pb = pb2
                        pe = pe2
                    pb[npair] = bp
                    pe[npair] = nt
                    keys[key] = npair
                    nt = nleaf + npair
                    npair += 1
            term[p] = nt
            nb = bp
    return term, pb[:npair].copy(), pe[:npair].copy()


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
        lev = fill_level[k]
        qh = 0
        qt = 1
        queue[0] = first[k]
        seen[first[k]] = True
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
        for m in range(nm):
            km = members[m]
            pour[km] = fallback[km]
            target[km] = exit_leaf  # -1 (leaves the area) if the flat has no exit
    return pour, target


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


@njit(cache=True)
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


# --------------------------------------------------------------------------- rasterizing
@njit(cache=True)
def rasterize_polygons(px, py, ring_off, poly_off, value, nr, nc, out):
    """Burn polygons into ``out`` by the cell-centre rule (even-odd), last wins.

    Parameters
    ----------
    px, py : float64 arrays
        Vertex coordinates in pixel space (column, row).
    ring_off : int64 array
        Start of every ring in ``px``/``py`` (length rings + 1).
    poly_off : int64 array
        Start of every polygon in ``ring_off`` (length polygons + 1).
    value : int32 array
        Value burnt for every polygon.
    out : int32 2-D array
        Target raster (changed in place).
    """
    npoly = poly_off.shape[0] - 1
    xs = np.empty(64, dtype=np.float64)
    for p in range(npoly):
        r0 = ring_off[poly_off[p]]
        r1 = ring_off[poly_off[p + 1]]
        ymin = np.inf
        ymax = -np.inf
        for v in range(r0, r1):
            if py[v] < ymin:
                ymin = py[v]
            if py[v] > ymax:
                ymax = py[v]
        rs = max(0, int(np.ceil(ymin - 0.5)))
        re = min(nr - 1, int(np.ceil(ymax - 0.5)) - 1)
        for r in range(rs, re + 1):
            yc = r + 0.5
            nx = 0
            for q in range(poly_off[p], poly_off[p + 1]):
                a0 = ring_off[q]
                a1 = ring_off[q + 1]
                for v in range(a0, a1 - 1):
                    y1 = py[v]
                    y2 = py[v + 1]
                    if (y1 <= yc < y2) or (y2 <= yc < y1):
                        if nx >= xs.shape[0]:
                            nxs = np.empty(xs.shape[0] * 2, dtype=np.float64)
                            nxs[:nx] = xs[:nx]
                            xs = nxs
                        xs[nx] = px[v] + (yc - y1) * (px[v + 1] - px[v]) / (y2 - y1)
                        nx += 1
            if nx < 2:
                continue
            xs[:nx].sort()
            for t in range(0, nx - 1, 2):
                cs = max(0, int(np.ceil(xs[t] - 0.5)))
                ce = min(nc - 1, int(np.ceil(xs[t + 1] - 0.5)) - 1)
                for c in range(cs, ce + 1):
                    out[r, c] = value[p]


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


@njit(cache=True)
def elevation_order(zf, cells):
    """``cells`` sorted by ``zf`` (stable), via packed ``key << 32 | cell`` integers.

    Returns an empty array when some value is not a float32 or a cell index
    does not fit 32 bits (then the caller sorts with numpy).
    """
    m = cells.shape[0]
    packed = np.empty(m, dtype=np.uint64)
    one = np.empty(1, dtype=np.float32)
    ob = one.view(np.uint32)
    for q in range(m):
        v = zf[cells[q]]
        one[0] = np.float32(v)
        if one[0] != v or cells[q] >= 4294967296:
            return np.empty(0, dtype=np.uint64)
        packed[q] = (np.uint64(_sk(ob[0])) << np.uint64(32)) | np.uint64(cells[q])
    return packed


@njit(cache=True, nogil=True)
def keys_seeded(dem, has_nodata, nodata):
    """Keys, pit raising, key range and seeds for :func:`flood_core`, in one pass over the DEM.

    Reads the unpadded DEM once and, one row behind, raises the single-cell
    pits (a cell lower than all eight valid neighbours is raised to the
    lowest of them: not above its filled level, so the result is unchanged,
    but it spares the queue the rim cells of such pits, about one per 15
    cells on fractal terrain), takes the key range and seeds the outlets
    (cells next to nodata or the raster edge).

    Returns
    -------
    w : numpy.ndarray of uint64
        Padded keys: ``sortable(float32 bits)`` in the low word (0 for nodata),
        bit 32 set for closed cells (nodata, border, outlets).
    stack : numpy.ndarray of int32
        Room for every cell; the outlets in raster order in ``stack[:sp]``.
    sp : int
    smin, smax : numpy.uint64
        Key range of the valid cells.
    bm : numpy.ndarray of uint64
        Bitmap of the closed cells (nodata, border, outlets), see
        :func:`flood_core`.
    exact : bool
        False when some value is not a float32 (then the rest is incomplete).
    """
    nr, nc = dem.shape
    pc = nc + 2
    n = (nr + 2) * pc
    w = np.empty(n, dtype=np.uint64)
    stack = np.empty(n + 1, dtype=np.int32)
    bm = np.zeros((n >> 6) + 2, dtype=np.uint64)
    sp = 0
    CL = np.uint64(1) << np.uint64(32)
    LO = np.uint64(0xFFFFFFFF)
    off = _offsets(pc)
    smin = np.uint64(0xFFFFFFFF)
    smax = np.uint64(0)
    for c in range(pc):
        w[c] = CL
        _close_bit(bm, c)
    one = np.empty(1, dtype=np.float32)
    ob = one.view(np.uint32)
    for pr in range(1, nr + 2):
        base = pr * pc
        if pr <= nr:
            w[base] = CL
            w[base + nc + 1] = CL
            _close_bit(bm, base)
            _close_bit(bm, base + nc + 1)
            for c in range(nc):
                v = np.float64(dem[pr - 1, c])
                if np.isnan(v) or np.isinf(v) or (has_nodata and v == nodata):
                    w[base + c + 1] = CL
                    _close_bit(bm, base + c + 1)
                    continue
                one[0] = np.float32(v)
                if np.float64(one[0]) != v:
                    return w, stack, 0, smin, smax, bm, False
                w[base + c + 1] = np.uint64(_sk(ob[0]))
        else:
            for c in range(pc):
                w[base + c] = CL
                _close_bit(bm, base + c)
        # row pr - 1 now has all its neighbours: raise its single-cell pits
        # (rows above are already raised, as in raster order)
        # and seed its outlets
        if pr < 2:
            continue
        rb = base - pc
        for c in range(1, nc + 1):
            i = rb + c
            wi = w[i]
            if wi >= CL:
                continue
            # fast path (no closed or nodata neighbour): branch-free min/max
            a0 = w[i - pc - 1]
            a1 = w[i - pc]
            a2 = w[i - pc + 1]
            a3 = w[i - 1]
            a4 = w[i + 1]
            a5 = w[i + pc - 1]
            a6 = w[i + pc]
            a7 = w[i + pc + 1]
            m = min(min(min(a0, a1), min(a2, a3)), min(min(a4, a5), min(a6, a7)))
            mx = max(max(max(a0, a1), max(a2, a3)), max(max(a4, a5), max(a6, a7)))
            if mx < CL:
                if m > wi:
                    wi = m
                    w[i] = wi
                smin = min(smin, wi)
                smax = max(smax, wi)
                continue
            m = CL
            edge = False
            for k in range(8):
                wj = w[i + off[k]]
                if wj >= CL:
                    if (wj & LO) == 0:  # nodata: this cell is an outlet
                        edge = True
                        break
                    wj &= LO  # an outlet seeded above or to the left
                if wj < m:
                    m = wj
            if edge:
                w[i] = wi | CL
                _close_bit(bm, i)
                stack[sp] = i
                sp += 1
            elif m > wi:
                wi = m
                w[i] = wi
            if wi < smin:
                smin = wi
            if wi > smax:
                smax = wi
    return w, stack, sp, smin, smax, bm, True


@njit(cache=True, nogil=True)
def filled_from_keys(w, nr, nc):
    """Unpadded float64 filled DEM from the keys of :func:`flood_core` (NaN = nodata)."""
    out = np.empty((nr, nc), dtype=np.float64)
    pc = nc + 2
    one = np.empty(1, dtype=np.float32)
    ob = one.view(np.uint32)
    for r in range(nr):
        base = (r + 1) * pc + 1
        for c in range(nc):
            x = w[base + c]
            k = np.uint32(x & np.uint64(0xFFFFFFFF))
            if k == 0:
                out[r, c] = np.nan
                continue
            if k & np.uint32(0x80000000):
                ob[0] = k & np.uint32(0x7FFFFFFF)
            else:
                ob[0] = ~k
            out[r, c] = one[0]
    return out


# --------------------------------------------------------------------------- polygons
@njit(cache=True, inline="always")
def _fg(lab, r, c):
    if r < 0 or c < 0 or r >= lab.shape[0] or c >= lab.shape[1]:
        return False
    return lab[r, c] > 0


@njit(cache=True)
def trace_rings(lab):
    """Outline rings of the labelled regions of a raster (8-connected regions).

    Cell edges between a labelled cell and any other cell are linked into
    rings on the grid of cell corners, each edge walked with its cell on the
    same side. Where two labelled cells touch only at a corner, the ring goes
    on to the diagonal cell, so a region joined through a corner is one
    polygon (like GDAL's polygonize with 8-connectivity). Regions with
    different labels must not touch (not even at a corner): then the labels
    around every corner are one label or 0.

    Parameters
    ----------
    lab : numpy.ndarray of int32
        2-D labels; 0 = background.

    Returns
    -------
    vr, vc : int32 arrays
        Ring vertices (corner row, corner column), each ring closed (first
        vertex repeated); only corners where the ring turns (and its start).
    ring_off : int64 array
        Start of every ring in ``vr``/``vc`` (length rings + 1).
    ring_lab : int32 array
        Label of every ring. A region's first ring is its outer ring (rings
        are found in raster order and the first edge of a region in that
        order is on its outline); the others are holes.
    """
    nr, nc = lab.shape
    # visited cell sides: 1 top, 2 right, 4 bottom, 8 left
    seen = np.zeros((nr, nc), dtype=np.uint8)
    vr = np.empty(1024, dtype=np.int32)
    vc = np.empty(1024, dtype=np.int32)
    nv = 0
    roff = np.empty(64, dtype=np.int64)
    rlab = np.empty(64, dtype=np.int32)
    nring = 0
    # directions: 0 N (row - 1), 1 E (col + 1), 2 S (row + 1), 3 W (col - 1)
    for r0 in range(nr):
        for c0 in range(nc):
            lv = lab[r0, c0]
            if lv <= 0:
                continue
            for side in range(4):
                bit = np.uint8(1 << side)
                if seen[r0, c0] & bit:
                    continue
                if side == 0:
                    if _fg(lab, r0 - 1, c0):
                        continue
                    vr0, vc0, d0 = r0, c0 + 1, 3
                elif side == 1:
                    if _fg(lab, r0, c0 + 1):
                        continue
                    vr0, vc0, d0 = r0 + 1, c0 + 1, 0
                elif side == 2:
                    if _fg(lab, r0 + 1, c0):
                        continue
                    vr0, vc0, d0 = r0 + 1, c0, 1
                else:
                    if _fg(lab, r0, c0 - 1):
                        continue
                    vr0, vc0, d0 = r0, c0, 2
                if nring + 1 >= roff.shape[0]:
                    ro2 = np.empty(roff.shape[0] * 2, dtype=np.int64)
                    ro2[:nring] = roff[:nring]
                    roff = ro2
                    rl2 = np.empty(rlab.shape[0] * 2, dtype=np.int32)
                    rl2[:nring] = rlab[:nring]
                    rlab = rl2
                roff[nring] = nv
                rlab[nring] = lv
                nring += 1
                first_v = nv
                vr_ = vr0
                vc_ = vc0
                d = d0
                prev = -1
                while True:
                    if d != prev:
                        if nv + 2 >= vr.shape[0]:
                            a2 = np.empty(vr.shape[0] * 2, dtype=np.int32)
                            a2[:nv] = vr[:nv]
                            vr = a2
                            b2 = np.empty(vc.shape[0] * 2, dtype=np.int32)
                            b2[:nv] = vc[:nv]
                            vc = b2
                        vr[nv] = vr_
                        vc[nv] = vc_
                        nv += 1
                    prev = d
                    # mark the edge leaving (vr_, vc_) in direction d and walk it
                    if d == 0:    # right side of the cell up-left of the corner
                        seen[vr_ - 1, vc_ - 1] |= np.uint8(2)
                        vr_ -= 1
                    elif d == 1:  # bottom side of the cell up-right
                        seen[vr_ - 1, vc_] |= np.uint8(4)
                        vc_ += 1
                    elif d == 2:  # left side of the cell down-right
                        seen[vr_, vc_] |= np.uint8(8)
                        vr_ += 1
                    else:         # top side of the cell down-left
                        seen[vr_, vc_ - 1] |= np.uint8(1)
                        vc_ -= 1
                    tl = _fg(lab, vr_ - 1, vc_ - 1)
                    tr = _fg(lab, vr_ - 1, vc_)
                    bl = _fg(lab, vr_, vc_ - 1)
                    br = _fg(lab, vr_, vc_)
                    if tl and br and not tr and not bl:
                        nd_ = 0 if d == 3 else 2
                    elif tr and bl and not tl and not br:
                        nd_ = 1 if d == 0 else 3
                    elif tl and not tr:
                        nd_ = 0
                    elif br and not bl:
                        nd_ = 2
                    elif bl and not tl:
                        nd_ = 3
                    else:
                        nd_ = 1
                    if vr_ == vr0 and vc_ == vc0 and nd_ == d0:
                        break
                    d = nd_
                if d == d0 and nv - first_v > 1:
                    # the start lies on a straight run: drop it
                    for q in range(first_v, nv - 1):
                        vr[q] = vr[q + 1]
                        vc[q] = vc[q + 1]
                    nv -= 1
                vr[nv] = vr[first_v]
                vc[nv] = vc[first_v]
                nv += 1
    roff[nring] = nv
    return vr[:nv].copy(), vc[:nv].copy(), roff[:nring + 1].copy(), rlab[:nring].copy()


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


@njit(cache=True)
def pad_nan(dem):
    """The DEM with a one-cell NaN border; +-inf become NaN (nodata)."""
    nr, nc = dem.shape
    out = np.empty((nr + 2, nc + 2))
    for c in range(nc + 2):
        out[0, c] = np.nan
        out[nr + 1, c] = np.nan
    for r in range(nr):
        out[r + 1, 0] = np.nan
        out[r + 1, nc + 1] = np.nan
        for c in range(nc):
            v = dem[r, c]
            out[r + 1, c + 1] = np.nan if np.isinf(v) else v
    return out


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
