"""The comparison page: two scenario maps side by side, synchronised, and the indicator table."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from twin._errors import input_error
from twin.maps._format import delta_text, is_num, value_text
from twin.maps._i18n import Strings, check_audience, check_lang
from twin._io import write_bytes
from twin.maps.output import render_page
from twin.maps.panels import (CITIZEN_INDICATORS, PLANNER_INDICATORS, indicator_label,
                              status_text, target_label, target_status, target_value_key)
from twin.maps.scenario import scenario_map, scenario_title
from twin.result import Result


def _delta(t: Strings, key: str, v: Any, base: Any, audience: str) -> dict[str, str]:
    """A difference cell: ``+x`` (class ``twin-up``), ``−x`` (``twin-down``) or ``±0``."""
    if not (is_num(v) and is_num(base)):
        return {"t": "–"}
    txt = delta_text(t, key, v, base, audience=audience)
    if v > base:
        return {"t": "+" + txt, "c": "twin-up"}
    if v < base:
        return {"t": "−" + txt, "c": "twin-down"}
    return {"t": "±0"}


def comparison_table(results: list[Result], *, lang: str = "en",
                     audience: str = "planner") -> dict[str, Any]:
    """The indicator table as data: one column per scenario, differences to the first.

    Returns
    -------
    dict
        ``head`` (column titles), ``rows`` (``{"th": label, "cells": [{"t", "c"}]}``)
        and ``targets`` (rows of the targets section).
    """
    t = Strings(lang)
    names = [scenario_title(r, lang) for r in results]
    head = ["", *names, *(t("compare.delta", a=n, b=names[0]) for n in names[1:])]
    keys = CITIZEN_INDICATORS if audience == "citizen" else PLANNER_INDICATORS
    rows = []
    for key in keys:
        vals = [r.indicators.get(key) for r in results]
        if all(v is None for v in vals):
            continue
        cells = [{"t": value_text(t, key, v, audience=audience)} for v in vals]
        cells += [_delta(t, key, v, vals[0], audience) for v in vals[1:]]
        rows.append({"th": indicator_label(t, key, audience), "cells": cells})
    names: list[str] = []
    for r in results:
        for n in (r.indicators.get("targets") or {}):
            if n not in names:
                names.append(n)
    trows = []
    for n in names:
        entries = [(r.indicators.get("targets") or {}).get(n) or {} for r in results]
        first = next((e for e in entries if e), {})
        cells = []
        for e in entries:
            key = target_value_key(str(n), e)
            cells.append({"t": value_text(t, key, e.get("value"), audience=audience) + " "
                          + status_text(t, e, audience) if e else "–",
                          "c": f"twin-{target_status(e)}" if e else ""})
        cells += [{"t": ""} for _ in results[1:]]
        trows.append({"th": target_label(t, str(n), first, audience), "cells": cells})
    return {"head": head, "rows": rows, "targets_title": t("panel.targets"), "targets": trows}


def compare_page(results: list[Result], path: str | os.PathLike, *, lang: str = "en",
                 audience: str = "planner", offline: bool = False) -> Path:
    """Write ``compare.html``: two scenario maps side by side and the indicator table.

    The left map is the first scenario, the right one any other (a selector
    picks it when there are more than two). Panning and zooming are
    synchronised (leaflet.sync). The table gives every scenario's indicators,
    the difference to the first and the targets' status.

    Parameters
    ----------
    results : list of Result
        Two or more scenario results (the first is the reference).
    path : path-like
        Output HTML file.
    lang, audience, offline
        As for :func:`twin.maps.scenario_map`.

    Returns
    -------
    Path
        The file written (atomically).
    """
    check_lang(lang)
    check_audience(audience)
    if len(results) < 2:
        raise input_error("compare", f"{len(results)} scenario(s) given",
                          "pass two or more scenarios to compare")
    t = Strings(lang)
    maps = [scenario_map(r, lang=lang, audience=audience, offline=offline, panel=False)
            for r in results]
    compare = {"title": t("compare.title"), "right_label": t("compare.right_map"),
               "names": [scenario_title(r, lang) for r in results],
               "table": comparison_table(results, lang=lang, audience=audience)}
    page = render_page(maps, title=t("compare.title"), offline=offline,
                       extra={"compare": compare})
    return write_bytes(Path(path), page.encode("utf-8"))
