"""Compile the depression-graph and routing kernels in a second process on the first run.

On the first ``twin run`` after install the numba kernels are compiled
before they can run (the compiled code is then cached in the user's cache
folder, see :func:`twin._numba_cache_dir`). Compiling is single-threaded and
numba holds one lock for it per process, so ``twin run`` starts one helper
process (:func:`start`) that compiles the kernels that run *after* the fill
(:func:`signatures`: hierarchy, routing, rasterizing, outlines) into the
cache, last-called first, while the main process reads the district,
estimates energy and compiles the fill kernels. The main process calls the
kernels in order; a kernel is loaded from the cache when the helper has
compiled it by then, else compiled in the main process as without the helper
(where the two meet, one kernel may be compiled twice). With a warm cache no
process is started.

The helper only writes numba's cache (an index and data files, each replaced
atomically by numba; two processes saving the same kernel save the same
entry); it reads no input and is stopped when the main process exits.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys

from numba import types as nt

_proc: subprocess.Popen | None = None


def _arr(dtype: nt.Type, ndim: int = 1, readonly: bool = False) -> nt.Array:
    return nt.Array(dtype, ndim, "C", readonly=readonly)


def signatures() -> dict[str, tuple]:
    """Argument types of the kernels the helper compiles, in the order the flood screening calls them.

    They are the types :func:`twin.flood.screen` passes (``tests/test_first_run.py``
    checks that a run of the bundled scenarios compiles exactly these).
    """
    f8, i8 = nt.float64, nt.int64
    F1, F2 = _arr(f8), _arr(f8, 2)
    I4, I8, B1, B2 = _arr(nt.int32), _arr(i8), _arr(nt.boolean), _arr(nt.boolean, 2)
    I4_2 = _arr(nt.int32, 2)
    return {
        "pit_hierarchy": (F2, B2, I4, i8, F1, I8),
        "flow_terminals": (F2, F2, B2, I4, i8),
        "pour_points": (F2, B2, I4, i8, F1, I8, I8, i8, I4),
        "rasterize_polygons": (F1, F1, I8, I8, I4, i8, i8, I4_2),
        "basin_terminals": (_arr(nt.int8), B2, I8, I4, i8, i8),
        "basin_nodes": (B2, I4, I4, F2, I8, i8, i8),
        "inflow_sums": (I8, F1, i8),
        "kahn_order": (i8, I8, I8),
        "nearest_marked_ancestor": (I8, B1),
        "route": (I8, F1, F1, I8, I8, I8, I8, _arr(f8, readonly=True), I8, I8, I8, i8, i8,
                  I8, I8, I8, I8, F1, I8, I8, I8, i8),
        "water_levels": (F2, I8, I4_2, I8, I8, I8, F1, F1, F1, B1, i8),
        "water_depth_grid": (F1, I8, I4, I4, F1, i8, i8, i8),
        "reported_downstream": (I8, B1),
        "trace_rings": (I4_2,),
        "building_exposure": (I4_2, F2, I4, B1, i8),
    }


def _cached() -> bool:
    """Whether numba's cache already holds every kernel of :func:`signatures` (current source)."""
    from twin import _flood_kernels as k

    try:
        return all(getattr(k, name)._cache._cache_file._load_index() for name in signatures())
    except Exception:  # numba internals changed: assume cold, the helper costs one core at most
        return False


def compile_all() -> None:
    """Compile (or load from the cache) every kernel of :func:`signatures`, last-called first."""
    from twin import _flood_kernels as k

    for name, sig in reversed(signatures().items()):
        getattr(k, name).compile(sig)


def start() -> None:
    """Start the helper process unless the kernels are cached or it already runs."""
    global _proc
    if _proc is not None or os.environ.get("TWIN_NO_BACKGROUND_COMPILE") or _cached():
        return
    try:
        _proc = subprocess.Popen([sys.executable, "-m", "twin._flood_kernels._warm"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    except OSError:  # no process could be started: the main process compiles as before
        _proc = None
        return
    atexit.register(stop)


def stop() -> None:
    """Stop the helper if it still runs (registered to run at exit)."""
    global _proc
    p, _proc = _proc, None
    if p is not None and p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


if __name__ == "__main__":
    import twin  # noqa: F401  (sets NUMBA_CACHE_DIR like the main process)

    compile_all()
