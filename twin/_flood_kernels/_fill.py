"""Depression fill of a DEM: hybrid grayscale reconstruction on packed keys.

:func:`fill_core` -- the one fill kernel (in-memory and tiled fill). The
filled surface is the morphological reconstruction by erosion of the DEM
from its outlets (Soille & Gratin 1994; the surface of Priority-Flood,
Barnes, Lehman & Mulla 2014), computed as in the hybrid algorithm of
Vincent (1993, IEEE Trans. Image Processing 2(2):176-201): raster scans
forward and backward (sequential memory access, no queue) settle most
cells; the cells the last backward scan leaves able to lower a neighbour
seed the rest, which is done in priority order (a heap plus a stack for
the cells at the current level, as in Priority-Flood with the plain-queue
improvement of Zhou, Sun & Fu 2016) instead of Vincent's FIFO queue, so
that each cell is lowered at most once there. Markers only decrease from
an upper bound and every value is one of the DEM's, so the result is exact
(bit for bit that of any exact Priority-Flood). :func:`keys_padded` turns
the DEM into packed order-preserving integer keys (marker in the high
word, DEM in the low word: one 8-byte load per neighbour test);
:func:`filled_from_keys` reads the result back. With a label array the same
kernel also labels every cell with an outlet ("seed") its flood came from
(the watershed labels of the tiled fill, Barnes 2016)."""

from __future__ import annotations

import numpy as np
from numba import njit
from twin._flood_kernels._common import _heapu_pop, _offsets

_LO = 0xFFFFFFFF
_TOP = 0xFFFFFFFF00000000
#: scan pairs go on while more than 1/_QUEUE_SHARE of the cells would be queued
#: (timed 1/8 ... 1/1024 on the smooth, blocky and real DEMs of benchmarks/bench_flood.py
#: at 1M and 16.8M cells: 1/32 is best on smooth and blocky, 1/64 ... 1/256 on real
#: (1/32 is 1.5x slower there); 1/64 is the compromise)
_QUEUE_SHARE = 64
#: at most this many pairs of scans
_MAX_PAIRS = 8


# --------------------------------------------------------------------------- keys
@njit(cache=True, inline="always")
def _sk(b):
    # order-preserving map of float32 bits to unsigned integers
    if b & np.uint32(0x80000000):
        return ~b
    return b | np.uint32(0x80000000)


@njit(cache=True, nogil=True)
def keys_padded(dem, has_nodata, nodata):
    """Packed keys of a DEM with a one-cell wall around it, for :func:`fill_core`.

    Parameters
    ----------
    dem : numpy.ndarray
        2-D float32 or float64 elevations.
    has_nodata : bool
    nodata : float
        Value marking nodata (NaN and +-inf always do).

    Returns
    -------
    w : numpy.ndarray of uint64
        ``(nr + 2) * (nc + 2)`` words, row-major: a valid cell holds the
        marker ``0xFFFFFFFF`` (above every key) in the high word and the
        order-preserving key of its float32 value in the low word (``_sk``,
        never 0); nodata and the border are walls, 0 (key and marker 0: the
        cells next to them are outlets and keep their value).
    exact : bool
        False when some value is not a float32 (then ``w`` is incomplete).
    """
    nr, nc = dem.shape
    pc = nc + 2
    w = np.empty((nr + 2) * pc, dtype=np.uint64)
    w[:pc] = 0
    w[(nr + 1) * pc:] = 0
    top = np.uint64(_TOP)
    one = np.empty(1, dtype=np.float32)
    ob = one.view(np.uint32)
    for r in range(nr):
        b = (r + 1) * pc
        w[b] = 0
        w[b + nc + 1] = 0
        for c in range(nc):
            v = np.float64(dem[r, c])
            if np.isnan(v) or np.isinf(v) or (has_nodata and v == nodata):
                w[b + 1 + c] = 0
                continue
            one[0] = np.float32(v)
            if np.float64(one[0]) != v:
                return w, False
            w[b + 1 + c] = top | np.uint64(_sk(ob[0]))
    return w, True


@njit(cache=True, nogil=True)
def filled_from_keys(w, nr, nc):
    """Unpadded float64 filled DEM from the markers of :func:`fill_core` (NaN = nodata)."""
    out = np.empty((nr, nc), dtype=np.float64)
    pc = nc + 2
    one = np.empty(1, dtype=np.float32)
    ob = one.view(np.uint32)
    for r in range(nr):
        base = (r + 1) * pc + 1
        for c in range(nc):
            k = np.uint32(w[base + c] >> np.uint64(32))
            if k == 0:
                out[r, c] = np.nan
                continue
            if k & np.uint32(0x80000000):
                ob[0] = k & np.uint32(0x7FFFFFFF)
            else:
                ob[0] = ~k
            out[r, c] = one[0]
    return out


# --------------------------------------------------------------------------- scans
@njit(cache=True, nogil=True)
def _scan(w, nr, nc, lab, forward, queue):
    """One raster scan of the reconstruction: ``m(p) = max(z(p), min(m(p), m(q)))``
    over the four neighbours ``q`` the scan has passed.

    Backward scans (``forward`` False) also put on ``queue`` every cell that
    can still lower one of those four neighbours (Vincent 1993: after the
    scan only such pairs can break the reconstruction's fixed point).
    Returns the number of queued cells and of cells whose marker is above
    their elevation after the scan (valid and raised).
    """
    pc = np.uint64(nc + 2)
    one = np.uint64(1)
    s32 = np.uint64(32)
    lo = np.uint64(_LO)
    labelled = lab.shape[0] > 0
    cnt = 0
    raised = 0
    for rr in range(1, nr + 1):
        r = rr if forward else nr + 1 - rr
        b = np.uint64(r) * pc
        # the passed row (above for forward, below for backward)
        u = b - pc if forward else b + pc
        prev = w[b] >> s32 if forward else w[b + pc - one] >> s32
        for cc in range(1, nc + 1):
            c = np.uint64(cc if forward else nc + 1 - cc)
            i = b + c
            x = w[i]
            k = x & lo
            mi = x >> s32
            a0 = w[u + c - one] >> s32
            a1 = w[u + c] >> s32
            a2 = w[u + c + one] >> s32
            m3 = min(min(mi, a0), min(a1, a2))
            v = min(max(k, m3), max(k, prev))
            w[i] = (v << s32) | k
            raised += v > k
            if labelled and v != mi:
                # the passed neighbour that gave the new marker (one no higher)
                q = i - one if forward else i + one
                if a0 <= v:
                    q = u + c - one
                elif a1 <= v:
                    q = u + c
                elif a2 <= v:
                    q = u + c + one
                lab[i] = lab[q]
            if not forward and v != mi:
                # can v lower a passed neighbour (marker above both v and its key)?
                # Only a cell lowered in this scan can: a passed neighbour
                # took this cell's marker of the forward scan into account
                p = w[i + one]
                d0 = w[u + c - one]
                d1 = w[u + c]
                d2 = w[u + c + one]
                if (((p >> s32) > v) & ((p >> s32) > (p & lo))) | (((d0 >> s32) > v) & ((d0 >> s32) > (d0 & lo))) \
                        | (((d1 >> s32) > v) & ((d1 >> s32) > (d1 & lo))) | (((d2 >> s32) > v) & ((d2 >> s32) > (d2 & lo))):
                    queue[cnt] = np.int32(i)
                    cnt += 1
            prev = v
    return cnt, raised


@njit(cache=True, inline="always")
def _sift_up(h, size, key):
    # push ``key`` on the binary min-heap ``h[:size]`` (room is the caller's: an
    # array grown in the loop would be reassigned there, which made numba's loop
    # 10x slower even where it never grew); returns the new size
    i = size
    while i > 0:
        q = (i - 1) >> 1
        if h[q] <= key:
            break
        h[i] = h[q]
        i = q
    h[i] = key
    return size + 1


# --------------------------------------------------------------------------- kernel
@njit(cache=True, nogil=True)
def fill_core(w, nr, nc, lab):
    """The fill kernel: hybrid reconstruction (Vincent 1993) of :func:`keys_padded` keys, in place.

    Both the in-memory fill (:func:`twin.flood.fill_depressions`) and every
    tile of the tiled fill (:mod:`twin.flood_tiled`) run this function; the
    marker (high word of ``w``) ends as the filled surface, read by
    :func:`filled_from_keys`.

    Steps: pairs of raster scans (forward, then backward; a cell's marker
    becomes ``max(z, min(marker, passed neighbours))``), repeated while the
    backward scan leaves many cells that can still lower a neighbour and
    the last pair cut their number well; then those cells go into a binary
    heap at their marker and the rest is flooded in priority order: a popped
    cell whose marker is unchanged is final, and each neighbour it lowers is
    final too, at the popped level (a stack, handled before the next pop) or
    at its own elevation (the heap). Markers only decrease, from above the
    filled surface, to the reconstruction's unique fixed point.

    Parameters
    ----------
    w : numpy.ndarray of uint64
        Packed keys of :func:`keys_padded` (changed in place).
    nr, nc : int
        Unpadded shape.
    lab : numpy.ndarray of int32
        Empty, or one per padded cell (zeros): then the outlets (valid cells
        next to a wall) are numbered ``1, 2, ...`` in raster order and every
        other cell takes the label of the neighbour its marker came from, so
        it carries the label of an outlet joined to it by a path of cells
        whose filled level is not above its own (Barnes 2016).

    Returns
    -------
    numpy.ndarray of int32
        With labels, the flat padded index of the outlet of label ``k`` at
        index ``k - 1``; otherwise empty.
    """
    pc = nc + 2
    n = w.shape[0]
    s32 = np.uint64(32)
    lo = np.uint64(_LO)
    labelled = lab.shape[0] > 0
    seeds = np.empty(0, dtype=np.int32)
    if labelled:
        # outlets first, at their own elevation, each with its own label
        ns = 0
        seeds = np.empty(2 * (nr + nc) + 16, dtype=np.int32)
        for r in range(1, nr + 1):
            for c in range(1, nc + 1):
                i = r * pc + c
                if w[i] == 0:
                    continue
                if (w[i - pc - 1] == 0 or w[i - pc] == 0 or w[i - pc + 1] == 0 or w[i - 1] == 0
                        or w[i + 1] == 0 or w[i + pc - 1] == 0 or w[i + pc] == 0 or w[i + pc + 1] == 0):
                    w[i] = ((w[i] & lo) << s32) | (w[i] & lo)
                    if ns >= seeds.shape[0]:
                        s2 = np.empty(2 * seeds.shape[0], dtype=np.int32)
                        s2[:ns] = seeds[:ns]
                        seeds = s2
                    seeds[ns] = i
                    ns += 1
                    lab[i] = ns
        seeds = seeds[:ns].copy()
    queue = np.empty(max(n, 16), dtype=np.int32)
    nq = 0
    raised = 0
    last = n
    for _ in range(_MAX_PAIRS):
        _scan(w, nr, nc, lab, True, queue)
        nq, raised = _scan(w, nr, nc, lab, False, queue)
        # another pair of scans costs two sequential passes; the queue costs
        # more per cell (random access, a heap), so scan on while more than
        # 1/_QUEUE_SHARE of the cells are queued and the last pair cut the
        # queue by 40 % or more (on rough terrain, e.g. white noise, the scans
        # stop gaining after one pair)
        if nq * _QUEUE_SHARE < n or 5 * nq > 3 * last:
            break
        last = nq
    # the rest in priority order (Dijkstra on the bottleneck): the queued cells
    # enter a binary heap at their marker; a popped cell whose marker is still
    # that value is final (every lower marker has been popped), and so is every
    # neighbour it lowers: to the popped level (then it goes on a stack and is
    # handled at that level) or to its own elevation (then it waits in the heap
    # until its level comes up). So each cell is lowered at most once here; a
    # FIFO queue (Vincent 1993, topotoolbox) lowers cells again and again on
    # rough terrain (2048 x 2048 white noise: 12 s instead of 0.45 s).
    # room for every entry: the queued cells and each raised cell once
    heap = np.empty(nq + raised + 1, dtype=np.uint64)
    hs = 0
    for t in range(nq):
        p = np.int64(queue[t])
        hs = _sift_up(heap, hs, ((w[p] >> s32) << s32) | np.uint64(p))
    stack = queue   # reused: the stack holds each cell at most once
    sp = 0
    off = _offsets(pc)
    while True:
        while sp > 0:
            sp -= 1
            p = np.int64(stack[sp])
            v = w[p] >> s32
            for k in range(8):
                j = p + off[k]
                x = w[j]
                mj = x >> s32
                if mj > v:
                    kj = x & lo
                    if mj > kj:
                        if kj <= v:
                            w[j] = (v << s32) | kj
                            stack[sp] = np.int32(j)
                            sp += 1
                        else:
                            w[j] = (kj << s32) | kj
                            hs = _sift_up(heap, hs, (kj << s32) | np.uint64(j))
                        if labelled:
                            lab[j] = lab[p]
        if hs == 0:
            break
        key, hs = _heapu_pop(heap, hs)
        p = np.int64(key & lo)
        if (w[p] >> s32) == key >> s32:   # else lowered since: handled at its lower level
            stack[sp] = np.int32(p)
            sp += 1
    return seeds
