"""Raster <-> polygon kernels: outlines of labelled regions and polygon burning.

:func:`trace_rings` -- outlines of labelled regions (the polygons of GDAL's
  polygonize with 8-connectivity) by walking the cell edges once.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from twin._flood_kernels._common import _grow


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
                        xs = _grow(xs, nx)
                        xs[nx] = px[v] + (yc - y1) * (px[v + 1] - px[v]) / (y2 - y1)
                        nx += 1
            if nx < 2:
                continue
            # insertion sort: a handful of crossings per row (np.sort would
            # compile numba's quicksort into the kernel)
            for t in range(1, nx):
                v = xs[t]
                u = t - 1
                while u >= 0 and xs[u] > v:
                    xs[u + 1] = xs[u]
                    u -= 1
                xs[u + 1] = v
            for t in range(0, nx - 1, 2):
                cs = max(0, int(np.ceil(xs[t] - 0.5)))
                ce = min(nc - 1, int(np.ceil(xs[t + 1] - 0.5)) - 1)
                for c in range(cs, ce + 1):
                    out[r, c] = value[p]


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
                roff = _grow(roff, nring + 1)
                rlab = _grow(rlab, nring + 1)
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
                        vr = _grow(vr, nv + 2)
                        vc = _grow(vc, nv + 2)
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
