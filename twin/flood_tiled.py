"""Tiled depression filling on dask: DEMs larger than memory, on any dask scheduler.

Barnes (2016), "Parallel priority-flood depression filling for trillion cell
digital elevation models", Computers & Geosciences 94:30-40, in three stages:

1. **Tiles** (in parallel): each tile, read with a one-cell halo (a
   rasterio window per task, :func:`read_halo`, so a worker holds only its
   own tile; the grid and tiling come from the lazily opened, dask-backed
   rioxarray DataArray, :func:`twin.raster.open_dem_lazy`), is filled
   by the same kernel as the in-memory path
   (:func:`twin._flood_kernels.flood_core`) with its own perimeter as seeds,
   labelling every cell with the seed its flood came from. Perimeter cells
   next to nodata or the raster edge (seen through the halo) are true
   outlets and share node 0; every other perimeter cell is a node of the
   *watershed graph*. A tile returns only its graph: the edges between its
   watersheds (the lowest ``max(filled a, filled b)`` over neighbouring cells
   of two watersheds) and its perimeter cells.
2. **Spill graph** (on the client): perimeter cells of neighbouring tiles
   are joined at ``max(z a, z b)``; a priority-flood on the graph from node 0
   gives every node its spill level (the lowest level at which its water
   can leave the DEM). Only tile borders travel: the graph has about
   ``4 * chunks`` nodes per tile.
3. **Raise** (in parallel): each tile is filled again (the same labels) and
   every cell is raised to ``max(tile filled level, spill level of its
   label)``; tiles are written to ``filled.tif`` window by window.

Why it equals the in-memory fill: a cell's filled level is the lowest, over
paths to an outlet, of the highest elevation on the path. Every such path
leaves the cell's tile through a perimeter cell (or ends at an outlet in
it), so it is at least the tile fill; chaining tile-fill paths along graph
edges gives a path at ``max(tile fill, spill level)``, and every outlet path
crosses watersheds only at levels the edges bound from below. All levels
are elevations of the DEM, so the result is bit-identical.

Memory: a tile needs about 40 bytes per cell in flight (keys, stack,
labels, filled surface), so ``--chunks 4096`` takes about 0.7 GB per worker,
whatever the DEM's size.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from twin import _flood_kernels as _k
from twin._errors import input_error
from twin.flood import flood_keys
from twin.raster import LazyDem, geotiff_writer, open_dem_lazy

#: dask's local schedulers by the name ``--scheduler`` takes
LOCAL_SCHEDULERS = ("threads", "processes", "synchronous")
#: seconds to wait for a dask.distributed scheduler at ``--scheduler ADDRESS``
CONNECT_TIMEOUT_S = 10


@dataclass
class TiledSummary:
    """What a tiled fill did: tiles, graph size, seconds per stage."""

    shape: tuple[int, int]
    chunks: int
    tiles: int
    graph_nodes: int = 0
    graph_edges: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    scheduler: str = "threads"


# --------------------------------------------------------------------------- one tile
def _tile_flood(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Fill one tile (``block`` = tile plus a one-cell halo, NaN = nodata/outside).

    Returns the tile's filled surface, its labels (flat, padded grid), the
    graph node of every label (0 = outlet) and the number of non-outlet nodes.
    """
    core = np.ascontiguousarray(block[1:-1, 1:-1])
    if core.dtype not in (np.float32, np.float64):
        core = core.astype(np.float64)
    filled, lab, seeds = flood_keys(core, None, label=True)
    pc = block.shape[1]
    off = np.array([-pc - 1, -pc, -pc + 1, -1, 1, pc - 1, pc, pc + 1], dtype=np.int64)
    # the padded tile grid is the block's grid, so the halo tells which seeds are outlets
    outlet = np.isnan(block.ravel()[seeds.astype(np.int64)[:, None] + off[None, :]]).any(axis=1)
    inner = ~outlet
    node = np.zeros(len(seeds) + 1, dtype=np.int64)
    nnodes = int(inner.sum())
    node[1:][inner] = np.arange(1, nnodes + 1)
    return filled, lab, node, nnodes


def _ring(filled: np.ndarray, lab: np.ndarray, node: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Elevation and graph node of the tile's four perimeter lines (NaN = nodata)."""
    nr, nc = filled.shape
    labs = lab.reshape(nr + 2, nc + 2)[1:-1, 1:-1]
    nodes = node[labs]
    return {"top": (filled[0].copy(), nodes[0].copy()), "bottom": (filled[-1].copy(), nodes[-1].copy()),
            "left": (filled[:, 0].copy(), nodes[:, 0].copy()), "right": (filled[:, -1].copy(), nodes[:, -1].copy())}


def tile_graph(block: np.ndarray) -> dict[str, Any]:
    """Stage 1 for one tile: its watershed edges (local node ids) and perimeter."""
    filled, lab, node, nnodes = _tile_flood(block)
    ea, eb, ew = _k.label_edges(lab, filled, node)
    return {"nnodes": nnodes, "edges": (ea, eb, ew), "ring": _ring(filled, lab, node)}


def tile_filled(block: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Stage 3 for one tile: its cells raised to the spill level of their watershed.

    ``level[k]`` is the spill level of local node ``k`` (``level[0]`` = -inf).
    """
    filled, lab, node, _ = _tile_flood(block)
    _k.raise_to_spill(filled, lab, level[node])
    return filled


# --------------------------------------------------------------------------- the graph
def _join(za: np.ndarray, na: np.ndarray, zb: np.ndarray, nb: np.ndarray,
          offa: int, offb: int, shifts: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges between two facing perimeter lines (cell ``i`` of a meets ``i + s`` of b)."""
    out_a, out_b, out_w = [], [], []
    n = len(za)
    for s in shifts:
        ia = np.arange(max(0, -s), min(n, len(zb) - s))
        ib = ia + s
        ok = ~(np.isnan(za[ia]) | np.isnan(zb[ib]))
        ia, ib = ia[ok], ib[ok]
        ga = np.where(na[ia] > 0, na[ia] + offa, 0)
        gb = np.where(nb[ib] > 0, nb[ib] + offb, 0)
        out_a.append(ga)
        out_b.append(gb)
        out_w.append(np.maximum(za[ia], zb[ib]))
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_w)


def spill_graph(graphs: np.ndarray) -> tuple[list[np.ndarray], int, int]:
    """Stage 2: join the tiles' graphs and flood it from the outlets.

    Parameters
    ----------
    graphs : numpy.ndarray of dict
        :func:`tile_graph` of every tile, in the tile grid's shape.

    Returns
    -------
    levels : list of numpy.ndarray
        Per tile (row-major), the spill level of each local node (index 0 = -inf).
    nodes, edges : int
        Size of the global graph.
    """
    ty, tx = graphs.shape
    counts = np.array([[g["nnodes"] for g in row] for row in graphs], dtype=np.int64)
    offs = (1 + np.concatenate([[0], np.cumsum(counts.ravel())[:-1]])).reshape(ty, tx) - 1
    ea, eb, ew = [], [], []
    for r in range(ty):
        for c in range(tx):
            g = graphs[r, c]
            a, b, w = g["edges"]
            o = offs[r, c]
            ea.append(np.where(a > 0, a + o, 0))
            eb.append(np.where(b > 0, b + o, 0))
            ew.append(w)
            ring = g["ring"]
            if c + 1 < tx:  # right line against the next tile's left line
                e = _join(*ring["right"], *graphs[r, c + 1]["ring"]["left"], o, offs[r, c + 1], (-1, 0, 1))
                ea.append(e[0]); eb.append(e[1]); ew.append(e[2])  # noqa: E702
            if r + 1 < ty:  # bottom line against the lower tile's top line
                e = _join(*ring["bottom"], *graphs[r + 1, c]["ring"]["top"], o, offs[r + 1, c], (-1, 0, 1))
                ea.append(e[0]); eb.append(e[1]); ew.append(e[2])  # noqa: E702
            for dc, mine, theirs in ((1, -1, 0), (-1, 0, -1)):  # corners across diagonal tiles
                if r + 1 < ty and 0 <= c + dc < tx:
                    zb, nb = graphs[r + 1, c + dc]["ring"]["top"]
                    za, na = ring["bottom"]
                    e = _join(za[[mine]], na[[mine]], zb[[theirs]], nb[[theirs]], o, offs[r + 1, c + dc], (0,))
                    ea.append(e[0]); eb.append(e[1]); ew.append(e[2])  # noqa: E702
    a = np.concatenate(ea).astype(np.int64)
    b = np.concatenate(eb).astype(np.int64)
    w = np.concatenate(ew).astype(np.float64)
    keep = a != b
    a, b, w = a[keep], b[keep], w[keep]
    nnodes = int(counts.sum()) + 1
    level = _k.spill_levels(nnodes, a, b, w)
    levels = []
    for r in range(ty):
        for c in range(tx):
            lv = np.empty(counts[r, c] + 1)
            lv[0] = -np.inf
            lv[1:] = level[offs[r, c] + 1:offs[r, c] + 1 + counts[r, c]]
            levels.append(lv)
    return levels, nnodes, len(a)


# --------------------------------------------------------------------------- dask plumbing
@contextmanager
def dask_scheduler(scheduler: Any = "threads") -> Iterator[Any]:
    """What ``dask.compute(scheduler=...)`` takes for a ``--scheduler`` value.

    ``threads``, ``processes`` or ``synchronous`` (dask's local schedulers),
    a ``dask.distributed.Client``, or the address of a running
    ``dask.distributed`` scheduler (``tcp://host:8786``), connected for the
    duration of the block.
    """
    if not isinstance(scheduler, str):
        yield scheduler  # a Client (or anything dask.compute takes)
        return
    if scheduler == "processes":
        # one pool for all stages (dask's own "processes" starts a pool per compute call)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool
        return
    if scheduler in LOCAL_SCHEDULERS:
        yield scheduler
        return
    if "://" not in scheduler and ":" not in scheduler:
        raise input_error("--scheduler", f"'{scheduler}' is neither threads, processes nor a scheduler address",
                          "use threads, processes or e.g. tcp://10.0.0.5:8786")
    from distributed import Client

    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise input_error("--scheduler", f"cannot reach the dask scheduler at {scheduler} ({exc})",
                          "start it (`dask scheduler`) or check the address") from None
    try:
        yield client
    finally:
        client.close()


def _workers(sched: Any) -> int:
    if isinstance(sched, str):
        return 1 if sched == "synchronous" else (os.cpu_count() or 1)
    if hasattr(sched, "_max_workers"):
        return int(sched._max_workers)
    try:
        return max(1, sum(sched.nthreads().values()))
    except Exception:  # noqa: BLE001 - anything dask.compute takes
        return os.cpu_count() or 1


def _halo_blocks(data: Any) -> np.ndarray:
    """Delayed tiles of a dask array, each with a one-cell halo (NaN beyond the raster edge)."""
    import dask.array as da

    if not np.issubdtype(data.dtype, np.floating):
        data = data.astype(np.float64)
    ov = da.overlap.overlap(data, depth={0: 1, 1: 1}, boundary=np.nan)
    return ov.to_delayed()


def _windows(chunks: tuple[tuple[int, ...], tuple[int, ...]]) -> list[tuple[slice, slice]]:
    rows = np.concatenate([[0], np.cumsum(chunks[0])]).astype(int)
    cols = np.concatenate([[0], np.cumsum(chunks[1])]).astype(int)
    return [(slice(rows[r], rows[r + 1]), slice(cols[c], cols[c + 1]))
            for r in range(len(rows) - 1) for c in range(len(cols) - 1)]


def read_halo(path: str, rows: slice, cols: slice) -> np.ndarray:
    """One tile of a GeoTIFF with a one-cell halo, read as a rasterio window.

    NaN for nodata and beyond the raster edge; float32 files stay float32,
    others become float64. Each task opens the file itself, so only its own
    window is ever in memory (on any worker, in any process).
    """
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(path) as src:
        r0, r1 = max(rows.start - 1, 0), min(rows.stop + 1, src.height)
        c0, c1 = max(cols.start - 1, 0), min(cols.stop + 1, src.width)
        a = src.read(1, window=Window(c0, r0, c1 - c0, r1 - r0))
        nodata = src.nodata
    dtype = np.float32 if a.dtype == np.float32 else np.float64
    out = np.full((rows.stop - rows.start + 2, cols.stop - cols.start + 2), np.nan, dtype=dtype)
    tile = out[r0 - rows.start + 1:r1 - rows.start + 1, c0 - cols.start + 1:c1 - cols.start + 1]
    tile[...] = a
    if nodata is not None and not np.isnan(nodata):
        tile[a.astype(np.float64) == nodata] = np.nan
    tile[np.isinf(tile)] = np.nan
    return out


def fill_blocks(sources: list[Any], windows: list[tuple[slice, slice]], grid: tuple[int, int],
                scheduler: Any = "threads",
                summary: TiledSummary | None = None) -> Iterator[tuple[tuple[slice, slice], np.ndarray]]:
    """Filled tiles, as ``((rows, cols), values)``, a few at a time.

    Parameters
    ----------
    sources : list of dask.delayed
        Every tile with a one-cell halo (NaN = nodata or outside), row-major.
    windows : list of (slice, slice)
        The rows and columns of every tile.
    grid : (int, int)
        Tiles per column and per row.
    scheduler
        See :func:`dask_scheduler`.
    summary : TiledSummary, optional
        Filled in with the graph size and the seconds per stage.
    """
    import dask

    with dask_scheduler(scheduler) as sched:
        t0 = time.perf_counter()
        graphs = dask.compute(*[dask.delayed(tile_graph)(b) for b in sources], scheduler=sched)
        t1 = time.perf_counter()
        table = np.empty(grid, dtype=object)
        for q, g in enumerate(graphs):
            table.flat[q] = g
        del graphs
        levels, nnodes, nedges = spill_graph(table)
        del table
        t2 = time.perf_counter()
        batch = max(1, 2 * _workers(sched))
        for s in range(0, len(sources), batch):
            part = dask.compute(*[dask.delayed(tile_filled)(sources[q], levels[q])
                                  for q in range(s, min(s + batch, len(sources)))], scheduler=sched)
            for q, arr in enumerate(part):
                yield windows[s + q], arr
        t3 = time.perf_counter()
    if summary is not None:
        summary.graph_nodes, summary.graph_edges = nnodes, nedges
        summary.seconds.update(tiles=t1 - t0, graph=t2 - t1, raise_write=t3 - t2)


def fill_tiled_array(dem: np.ndarray, chunks: int, *, nodata: float | None = None,
                     scheduler: Any = "synchronous") -> np.ndarray:
    """Tiled fill of an in-memory DEM (for tests and comparisons): same result as
    :func:`twin.flood.fill_depressions`, computed tile by tile."""
    import dask.array as da

    a = np.asarray(dem)
    if not np.issubdtype(a.dtype, np.floating) or (nodata is not None and not np.isnan(nodata)):
        a = a.astype(np.float64)
        a[~np.isfinite(a)] = np.nan
        if nodata is not None and not np.isnan(nodata):
            a[np.asarray(dem) == nodata] = np.nan
    else:
        a = np.where(np.isinf(a), np.nan, a).astype(a.dtype)
    out = np.empty(a.shape)
    data = da.from_array(a, chunks=chunks)
    blocks = _halo_blocks(data)
    for (rs, cs), block in fill_blocks(list(blocks.ravel()), _windows(data.chunks), blocks.shape, scheduler):
        out[rs, cs] = block
    return out


def fill_tiled(dem_path: str | os.PathLike, out_path: str | os.PathLike, *, chunks: int = 4096,
               scheduler: Any = "threads") -> TiledSummary:
    """Fill a GeoTIFF DEM tile by tile and write the filled surface window by window.

    Parameters
    ----------
    dem_path : path-like
        Single-band GeoTIFF in metres (read lazily, ``chunks`` x ``chunks``).
    out_path : path-like
        The filled GeoTIFF (float32, nodata -9999, written atomically).
    chunks : int
        Tile side in cells.
    scheduler : str or dask.distributed.Client
        ``threads`` (default), ``processes``, ``synchronous``, a scheduler
        address or a Client.

    Returns
    -------
    TiledSummary
    """
    dem: LazyDem = open_dem_lazy(dem_path, chunks)
    out_path = Path(out_path)
    if out_path.resolve() == Path(dem_path).resolve():
        raise input_error(str(out_path), "the output would overwrite the input DEM", "choose another --out folder")
    summary = TiledSummary(shape=dem.shape, chunks=chunks, tiles=int(np.prod(dem.data.numblocks)),
                           scheduler=scheduler if isinstance(scheduler, str) else type(scheduler).__name__)
    import dask

    windows = _windows(dem.data.chunks)
    sources = [dask.delayed(read_halo)(str(dem_path), rs, cs) for rs, cs in windows]
    with geotiff_writer(out_path, dem.shape, dem.transform, dem.crs) as dst:
        from rasterio.windows import Window

        for (rs, cs), block in fill_blocks(sources, windows, dem.data.numblocks, scheduler, summary):
            values = np.where(np.isnan(block), -9999.0, block).astype("float32")
            dst.write(values, 1, window=Window(cs.start, rs.start, cs.stop - cs.start, rs.stop - rs.start))
    return summary
