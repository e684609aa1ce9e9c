"""Priority-flood fill of a padded DEM.

:func:`flood_core` -- the one priority-flood kernel (in-memory and tiled
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
"""

from __future__ import annotations

import numpy as np
from numba import njit
from twin._flood_kernels._common import _prefetch, _offsets, _heapu_push, _heapu_pop


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
