"""twin — district planning with a digital twin of buildings, energy, mobility and flood risk.

The public API::

    import twin
    district = twin.load_district("twin/data/districts/fornebu")
    scenario = twin.load_scenario("twin/data/scenarios/fornebu-2027.yaml")
    result = twin.evaluate(district, scenario)
    table = twin.compare([result, other])
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

__version__ = "0.1.0"


def _numba_cache_dir() -> None:
    """Keep numba's compiled-kernel cache out of the installed package (issue 10).

    numba writes its cache next to the source (``site-packages/twin/__pycache__``)
    unless ``NUMBA_CACHE_DIR`` is set; files there are not in pip's record, so
    they outlive an uninstall and leave a namespace package ``twin`` behind.
    Use the user's cache folder (XDG: ``~/.cache/twin/numba``) unless the user
    chose one.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    os.environ["NUMBA_CACHE_DIR"] = str(Path(base) / "twin" / "numba")
    config = sys.modules.get("numba.core.config")
    if config is not None:  # numba was imported before twin: tell it too
        config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]


_numba_cache_dir()

__all__ = ["load_district", "load_scenario", "evaluate", "compare", "InputError", "__version__"]

from twin._errors import InputError
from twin.district import load_district


def __getattr__(name: str) -> Any:  # lazy: keep `import twin` fast
    if name == "load_scenario":
        from twin.scenario import load_scenario

        return load_scenario
    if name == "evaluate":
        from twin.pipeline import evaluate

        return evaluate
    if name == "compare":
        from twin.indicators import compare

        return compare
    msg = f"module 'twin' has no attribute {name!r}"
    raise AttributeError(msg)
