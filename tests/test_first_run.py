"""The first ``twin run`` after install (issue 10, item 12): few numba compilations, same numbers.

Compile time is not tested with a clock (timed tests are flaky); the guard is
the number of numba specialisations a run of the bundled scenarios compiles
(or loads from the cache), counted in a fresh process. The replacements of
numba kernels by library calls are checked against the kernels they replace
and against plain numpy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from numba import njit

from twin import _flood_kernels as _k
from twin._flood_kernels import _warm
from twin.flood import elevation_sorted, _label_components

#: Specialisations of twin's numba functions compiled by the flood screening
#: of the three bundled scenarios with an empty cache: one per function, except
#: ``_grow`` (generic by design: one per array type) and the fill's ``_scan``
#: (specialised on purpose for the forward and the backward raster scan). Before
#: issue 10 item 12 there were 42: ``_grow`` 8, the heap, ``_find`` and
#: ``_intercept`` 2 each (literal-int and int32 specialisations), plus
#: ``label_components`` and ``elevation_order``; 34 after (also with the later
#: fill kernel ``fill_core``, whose ``_heapu_pop`` is one of them); 39 once the
#: flow kernels were split into named steps shared with the tiled path
#: (``d8_steepest``, ``resolve_flats``, ``follow_terminals``, ``flat_search``,
#: ``basin_codes``), each compiled once, and ``_grow`` once more for ``basin_codes``.
MAX_SPECIALISATIONS = 40
#: Array types ``_grow`` is compiled for (int32, int64, float64 1-D; int64, float64 2-D).
MAX_GROW_TYPES = 6  # + basin_codes (pairs of basins on flow paths)
#: Functions specialised on a literal on purpose, and how often.
LITERAL_ON_PURPOSE = {"twin._flood_kernels._fill._scan": 2}

_COUNT = r"""
import gc, json, sys
from pathlib import Path
import twin
from numba.core.registry import CPUDispatcher
from twin.pipeline import Session, evaluate

scenarios = Path(twin.__file__).parent / "data" / "scenarios"
session = Session(draws=0)
for name in ("baseline", "fornebu-2027", "new-quarter"):
    evaluate(scenario=scenarios / f"{name}.yaml", session=session, with_targets=False, draws=0)
sigs = {}
for o in gc.get_objects():  # register_jitable helpers get one dispatcher per signature
    if isinstance(o, CPUDispatcher) and o.py_func.__module__.startswith("twin"):
        sigs.setdefault(o.py_func.__module__ + "." + o.py_func.__qualname__, []).extend(
            str(s) for s in o.signatures)
json.dump(sigs, sys.stdout)
"""


@pytest.fixture(scope="module")
def run_signatures(tmp_path_factory) -> dict[str, list[str]]:
    # an empty cache: a warm cache loads the kernels without compiling their helpers
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path_factory.mktemp("numba_cache"))}
    res = subprocess.run([sys.executable, "-c", _COUNT], capture_output=True, text=True, timeout=900, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout)


def test_bundled_run_compiles_each_kernel_once(run_signatures):
    sigs = dict(run_signatures)
    assert len(sigs.pop("twin._flood_kernels._common._grow")) <= MAX_GROW_TYPES
    for name, n in LITERAL_ON_PURPOSE.items():
        assert len(sigs.pop(name, [])) <= n
    several = {k: v for k, v in sigs.items() if len(v) > 1}
    assert several == {}, f"kernels compiled for more than one signature: {several}"
    literal = {k: v for k, v in sigs.items() if any("Literal" in s for s in v)}
    assert literal == {}, f"kernels specialised on a literal argument: {literal}"


def test_bundled_run_compiles_few_specialisations(run_signatures):
    n = sum(len(v) for v in run_signatures.values())
    assert 0 < n <= MAX_SPECIALISATIONS, {k: len(v) for k, v in run_signatures.items() if v}
    # replaced by scipy.ndimage.label and a numpy sort on the run path
    assert not run_signatures["twin._flood_kernels._hierarchy.label_components"]
    assert not run_signatures.get("twin._flood_kernels._hierarchy.elevation_order")  # removed


def test_label_components_matches_the_numba_kernel():
    rng = np.random.default_rng(12)
    for _ in range(40):
        shape = (int(rng.integers(3, 60)), int(rng.integers(3, 60)))
        m = rng.random(shape) < rng.uniform(0.05, 0.8)
        m[0, :] = m[-1, :] = m[:, 0] = m[:, -1] = False  # padded: border outside
        comp, n = _label_components(m)
        ref, nref = _k.label_components(m)
        assert n == nref and comp.dtype == np.int32
        np.testing.assert_array_equal(comp, ref)


def test_label_components_hand_case():
    # two blobs touching only at a corner are one (8-connected); ids in raster order
    m = np.zeros((6, 7), dtype=bool)
    m[1, 4] = m[2, 5] = True      # first cell in raster order: (1, 4) -> id 0
    m[3, 1] = m[4, 1] = True      # id 1
    m[4, 4] = True                # id 2 (no neighbour)
    comp, n = _label_components(m)
    assert n == 3
    lab = comp.reshape(m.shape)
    assert lab[1, 4] == lab[2, 5] == 0 and lab[3, 1] == lab[4, 1] == 1 and lab[4, 4] == 2
    assert (lab[~m] == -1).all()


def testelevation_sorted_is_a_stable_sort():
    rng = np.random.default_rng(3)
    z = rng.integers(-5, 5, 400).astype(np.float32).astype(np.float64)  # many ties, negatives
    z[::7] = np.float64(np.float32(0.1))
    cells = np.sort(rng.choice(400, 250, replace=False)).astype(np.int64)
    np.testing.assert_array_equal(elevation_sorted(z, cells), cells[np.argsort(z[cells], kind="stable")])
    # values that are not float32: the argsort path
    z64 = z + 1e-12 * np.arange(400)
    np.testing.assert_array_equal(elevation_sorted(z64, cells), cells[np.argsort(z64[cells], kind="stable")])
    assert elevation_sorted(z, cells[:0]).shape == (0,)


@njit(cache=False)
def _fill_by_growing(n, width):
    a = np.zeros((2, width), dtype=np.float64) if width > 0 else np.zeros((2, 1))
    b = np.zeros(1, dtype=np.int32)
    for i in range(n):
        a = _k._grow(a, i)
        b = _k._grow(b, i)
        a[i, 0] = i
        b[i] = -i
    return a, b


def test_grow_keeps_rows_when_doubling():
    a, b = _fill_by_growing(37, 3)
    assert a.shape == (64, 3) and b.shape == (64,)
    np.testing.assert_array_equal(a[:37, 0], np.arange(37.0))
    np.testing.assert_array_equal(b[:37], -np.arange(37))


def test_background_compile_signatures_are_the_runs(run_signatures):
    # the helper process of a first `twin run` compiles exactly what the screening calls
    for name, sig in _warm.signatures().items():
        disp = getattr(_k, name)
        key = f"{disp.py_func.__module__}.{disp.py_func.__qualname__}"
        assert run_signatures[key] == [str(sig)], name


def test_background_compile_process_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("TWIN_NO_BACKGROUND_COMPILE", raising=False)
    monkeypatch.setattr(_warm, "_cached", lambda: False)
    _warm.start()
    proc = _warm._proc
    assert proc is not None and proc.poll() is None
    _warm.start()  # idempotent: one helper
    assert _warm._proc is proc
    _warm.stop()
    assert proc.poll() is not None and _warm._proc is None


def test_no_background_compile_with_a_warm_cache(monkeypatch):
    monkeypatch.setattr(_warm, "_cached", lambda: True)
    _warm.start()
    assert _warm._proc is None


def _assert_same_screening(a, b) -> None:
    import pandas as pd

    pd.testing.assert_frame_equal(a.depressions.drop(columns="geometry"), b.depressions.drop(columns="geometry"),
                                  check_exact=True)
    assert a.depressions.geometry.to_wkb().tolist() == b.depressions.geometry.to_wkb().tolist()
    pd.testing.assert_frame_equal(a.buildings, b.buildings, check_exact=True)
    np.testing.assert_array_equal(a.water_depth, b.water_depth)  # NaN where NaN
    assert a.balance == b.balance


def test_terrain_cache_gives_the_same_screening():
    """Screenings sharing the DEM-only steps equal fresh ones (bundled district, with and without basins)."""
    import twin
    from twin.district import default_district_path
    from twin.flood import screen

    d = twin.load_district(default_district_path())
    b = d.buildings[[d.buildings.geometry.name]].copy()
    cache: dict = {}
    for basins in (d.basins if len(d.basins) else None, None):
        fresh = screen(d.dem, buildings=b, basins=basins, rain_mm=50.0)
        shared = screen(d.dem, buildings=b, basins=basins, rain_mm=50.0, terrain=cache)
        assert len(cache) == 1  # one DEM: computed once, then reused
        _assert_same_screening(shared, fresh)
    # another terrain (one cell raised) is not taken from the cache
    dem2 = d.dem.with_data(d.dem.data.copy())
    dem2.data[10, 10] += 1.0
    screen(dem2, buildings=b, rain_mm=50.0, terrain=cache)
    assert len(cache) == 2
