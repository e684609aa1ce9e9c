"""Fixed panels on the map: indicators and targets, data note, synthetic label.

Each function returns plain data (texts and numbers already formatted by
:mod:`twin.maps._format`); ``runtime.js`` builds the panel with DOM nodes.
"""

from __future__ import annotations

from typing import Any

from twin.maps._format import DISPLAY, is_num, pair_text, range_text, value_text
from twin.maps._i18n import Strings, check_audience
from twin.maps._page import TwinMap

#: Contract indicators in planner display order.
PLANNER_INDICATORS: tuple[str, ...] = tuple(DISPLAY)
#: Keys of indicators.json that are not indicators.
_NOT_INDICATORS: frozenset[str] = frozenset({"scenario", "targets", "year", "district",
                                             "synthetic", "ranges", "draws", "sensitivity",
                                             "country", "country_inferred"})
#: The few indicators citizens see, in plain language.
CITIZEN_INDICATORS: tuple[str, ...] = (
    "co2_per_resident_kg_yr", "dh_connected_share", "charger_coverage_share",
    "flooded_buildings",
)
#: Target states shown (``status`` of a target entry, else from ``met``).
STATUSES: tuple[str, ...] = ("met", "missed", "not_evaluated", "set_by_input")


def indicator_label(t: Strings, key: str, audience: str = "planner") -> str:
    """Label of an indicator; the key itself when unknown."""
    lab = t.get(f"citizen.ind.{key}") if audience == "citizen" else None
    lab = lab or t.get(f"ind.{key}")
    return lab if lab is not None else key


def target_status(target: dict) -> str:
    """One of :data:`STATUSES` for a target entry (``status``, else from ``met``)."""
    st = target.get("status")
    if st in STATUSES:
        return str(st)
    met = target.get("met")
    return "met" if met is True else "missed" if met is False else "not_evaluated"


def status_text(t: Strings, target: dict, audience: str = "planner") -> str:
    """``✓ met``, ``✗ missed``, not evaluated or set by input; the probability when given."""
    st = target_status(target)
    key = f"citizen.target_{st}" if audience == "citizen" else f"panel.{st}"
    mark = {"met": "✓ ", "missed": "✗ "}.get(st, "")
    text = mark + t(key)
    p = target.get("probability_met")
    if is_num(p):
        pk = "citizen.target_probability_met" if audience == "citizen" else "panel.probability_met"
        text += " · " + t(pk, p=t.num(100.0 * float(p), 0) + " %")
    return text


def target_value_key(name: str, target: dict) -> str:
    """Key that decides how a target's value is formatted (``*_share`` = percent).

    A ``reduction`` target's value is a share; otherwise the value is in the
    unit of the target's indicator (``indicator`` key of the entry).
    """
    if target.get("kind") == "reduction":
        return "reduction_share"
    return str(target.get("indicator") or name)


def target_label(t: Strings, name: str, target: dict | None = None,
                 audience: str = "planner") -> str:
    """Label of a target.

    Planners: a translated label when the name is known, else the label of the
    target's indicator ("– reduction" added for reduction targets), else the
    name. Citizens: the goal in words with its threshold
    (``citizen.goal.<kind>``), e.g. "Car traffic does not grow: at most 124.0".
    """
    tg = target or {}
    ind = tg.get("indicator")
    known = isinstance(ind, str) and (t.get(f"citizen.ind.{ind}") or t.get(f"ind.{ind}"))
    if audience == "citizen" and known:
        what = indicator_label(t, str(ind), audience)
        kind = tg.get("kind") if tg.get("kind") in ("max", "min", "reduction",
                                                    "not_above") else "max"
        key = target_value_key(name, tg)
        _, thr = pair_text(t, key, tg.get("value"), tg.get("threshold"), audience=audience)
        return t(f"citizen.goal.{kind}", what=what, thr=thr)
    lab = t.get(f"target.{name}")
    if lab is not None:
        return lab
    if known:
        text = indicator_label(t, str(ind), audience)
        if tg.get("kind") == "reduction":
            text += " – " + t("panel.reduction")
        return text
    return str(name)


def targets_spec(t: Strings, targets: Any, audience: str) -> dict[str, Any] | None:
    """The targets table: label, value, threshold and status per target."""
    if not isinstance(targets, dict) or not targets:
        return None
    rows = []
    for name, tg in targets.items():
        tg = tg if isinstance(tg, dict) else {}
        key = target_value_key(str(name), tg)
        val, thr = pair_text(t, key, tg.get("value"), tg.get("threshold"), audience=audience)
        rows.append({"label": target_label(t, str(name), tg, audience), "name": str(name),
                     "cells": [val] if audience == "citizen" else [val, thr],
                     "status": target_status(tg), "mark": status_text(t, tg, audience)})
    head = None if audience == "citizen" else ["", t("panel.value"), t("panel.threshold"), ""]
    return {"title": t("citizen.goals" if audience == "citizen" else "panel.targets"),
            "head": head, "rows": rows}


def indicator_panel(indicators: dict, *, scenario: str, description: str, lang: str,
                    audience: str) -> dict[str, Any]:
    """The indicator panel as data: title, description, indicator rows, targets."""
    t = Strings(lang)
    check_audience(audience)
    ind = indicators or {}
    ranges = ind.get("ranges") if isinstance(ind.get("ranges"), dict) else {}
    keys = list(CITIZEN_INDICATORS) if audience == "citizen" else [
        k for k in PLANNER_INDICATORS if k in ind] + [
        k for k, v in ind.items()
        if k not in DISPLAY and k not in _NOT_INDICATORS and is_num(v)]
    rows = [[indicator_label(t, k, audience),
             range_text(t, k, ind.get(k), ranges.get(k), audience=audience)] for k in keys]
    title = t("citizen.panel_title" if audience == "citizen" else "panel.title")
    shown = any(isinstance(ranges.get(k), dict) for k in keys)
    return {"title": f"{title}: {scenario}", "description": (description or "").strip(),
            "rows": rows, "hint": t("panel.range") if shown else None,
            "targets": targets_spec(t, ind.get("targets"), audience)}


def add_indicator_panel(m: TwinMap, indicators: dict, *, scenario: str = "",
                        description: str = "", lang: str = "en",
                        audience: str = "planner") -> dict[str, Any]:
    """A collapsible panel with the scenario's indicators and targets.

    Parameters
    ----------
    m : TwinMap
        Map to add to.
    indicators : dict
        ``indicators.json`` content (contract keys, ``targets``, ``ranges``).
    scenario, description : str
        Scenario name and description (plain text).
    lang, audience : str
        Language and audience.
    """
    spec = indicator_panel(indicators, scenario=scenario, description=description,
                           lang=lang, audience=audience)
    m.panels["indicators"] = spec
    return spec


def add_data_note(m: TwinMap, *, attribution: str = "", synthetic: bool = False,
                  lang: str = "en", audience: str = "planner") -> dict[str, Any]:
    """A note on data sources; with ``synthetic`` also a banner on top of the map."""
    t = Strings(lang)
    check_audience(audience)
    spec = {"title": t("note.sources"),
            "sources": attribution.strip() or t("note.no_attribution"),
            "lines": [t("note.estimates" if audience == "planner" else "citizen.note.estimates")]
            + ([t("note.synthetic")] if synthetic else [])}
    m.panels["note"] = spec
    if synthetic:
        m.panels["banner"] = t("banner.synthetic")
    return spec


def value_cell(t: Strings, key: str, v: Any, audience: str) -> str:
    """One indicator value as on the panel (for the comparison table)."""
    return value_text(t, key, v, audience=audience)
