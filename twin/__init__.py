"""twin — district planning with a digital twin of buildings, energy, mobility and flood risk.

The public API::

    import twin
    district = twin.load_district("twin/data/districts/fornebu")
    scenario = twin.load_scenario("twin/data/scenarios/fornebu-2027.yaml")
    result = twin.evaluate(district, scenario)
    table = twin.compare([result, other])
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

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
