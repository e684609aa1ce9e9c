"""Small shared numba helpers of the flood kernels: neighbour offsets, binary heaps, union-find, padding.
"""

from __future__ import annotations

import numpy as np
from numba import njit


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
