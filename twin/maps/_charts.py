"""matplotlib set up for twin's charts: text drawn as text, numbers in the reader's language.

Chart labels carry data (scenario names, sources). matplotlib reads a label
with a pair of ``$`` as mathtext, so a name such as ``Plan $x^$`` would stop
the run or be typeset as a formula; every chart is therefore built inside
:func:`literal_text`, where no text is parsed. Axis ticks are formatted by
the same :meth:`~twin.maps._i18n.Strings.num` as every other number.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from twin.maps._i18n import Strings


@contextmanager
def literal_text() -> Iterator[None]:
    """Use the Agg backend, and draw every text created inside as literal text (no mathtext)."""
    import matplotlib

    matplotlib.use("Agg")
    with matplotlib.rc_context({"text.parse_math": False}):
        yield


def _tick_decimals(ticks: Any) -> int:
    """The fewest decimals (0-3) that tell the ticks apart."""
    vals = [float(v) for v in ticks]
    for d in range(4):
        if len({round(v, d) for v in vals}) == len(vals):
            return d
    return 3


def localize_ticks(t: Strings, axis: Any) -> None:
    """Format ``axis``'s tick labels with the language's separators (``12 500``, ``0,5``)."""
    from matplotlib.ticker import FuncFormatter

    def fmt(v: float, pos: int | None) -> str:
        return t.num(v, _tick_decimals(axis.get_ticklocs()))

    axis.set_major_formatter(FuncFormatter(fmt))
