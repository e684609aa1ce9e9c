"""Fixed panels on the map: indicators and targets, data note, synthetic label."""

from __future__ import annotations

import html
import math
from typing import Any

import folium

from twin.maps._elements import MapScript, js_json
from twin.maps._i18n import Strings, check_audience

#: Contract indicators in display order, with decimals (``%`` = share shown in percent).
PLANNER_INDICATORS: tuple[tuple[str, int | str], ...] = (
    ("buildings", 0), ("floor_area_m2", 0), ("residents", 0), ("jobs", 0),
    ("energy_mwh_yr", 0), ("heat_mwh_yr", 0), ("electricity_mwh_yr", 0),
    ("energy_kwh_m2_yr", 0), ("co2_buildings_t_yr", 1), ("co2_transport_t_yr", 1),
    ("co2_total_t_yr", 1), ("co2_direct_t_yr", 1), ("co2_per_resident_kg_yr", 0),
    ("co2_buildings_kg_m2_yr", 1), ("dh_connected_share", "%"), ("fossil_heating_share", "%"),
    ("charger_coverage_share", "%"), ("public_chargers", 0), ("ev_charging_mwh_yr", 1),
    ("car_km_yr", 0), ("zero_emission_car_share", "%"), ("rain_mm", 0), ("flood_volume_m3", 0),
    ("basin_storage_m3", 0), ("flooded_buildings", 0), ("max_flood_depth_m", 2),
    ("peak_electricity_mw", 1), ("peak_district_heat_mw", 1), ("design_peak_electricity_mw", 1),
    ("ev_charging_peak_mw", 1), ("grid_areas_over_capacity", 0),
)
#: Keys of indicators.json that are not indicators.
_NOT_INDICATORS: frozenset[str] = frozenset({"scenario", "targets", "year", "district",
                                             "synthetic"})
#: The few indicators citizens see, in plain language.
CITIZEN_INDICATORS: tuple[str, ...] = (
    "co2_per_resident_kg_yr", "dh_connected_share", "charger_coverage_share",
    "flooded_buildings",
)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def fmt_value(t: Strings, key: str, v: Any, dec: int | str | None = None) -> str:
    """Format an indicator value (shares in percent; decimals by size otherwise)."""
    if not _is_num(v):
        return "–"
    if dec == "%" or (dec is None and key.endswith("share")):
        return t.num(100.0 * v, 0) + " %"
    if dec is None or isinstance(dec, str):
        a = abs(v)
        dec = 0 if a >= 100 else (1 if a >= 10 else 2)
    return t.num(v, dec)


def indicator_label(t: Strings, key: str, audience: str = "planner") -> str:
    """Label of an indicator (escaped); the escaped key itself when unknown."""
    lab = t.get(f"citizen.ind.{key}") if audience == "citizen" else None
    lab = lab or t.get(f"ind.{key}")
    return html.escape(lab if lab is not None else key)


def target_label(t: Strings, name: str, target: dict | None = None,
                 audience: str = "planner") -> str:
    """Label of a target (escaped HTML).

    A translated label when the name is known; otherwise the label of the
    target's indicator (target names are identifiers from the scenario file,
    kept in a ``title`` for planners), "– reduction" added for reduction
    targets; else the escaped name.
    """
    lab = t.get(f"target.{name}")
    if lab is not None:
        return html.escape(lab)
    tg = target or {}
    ind = tg.get("indicator")
    if isinstance(ind, str) and (t.get(f"citizen.ind.{ind}") or t.get(f"ind.{ind}")):
        text = indicator_label(t, ind, audience)
        if tg.get("kind") == "reduction":
            text += " – " + t.h("panel.reduction")
        if audience == "planner":
            return f'<span title="{html.escape(str(name), quote=True)}">{text}</span>'
        return text
    return html.escape(str(name))


def target_mark(t: Strings, met: Any, audience: str = "planner") -> str:
    """✓ / ✗ with colour and words (escaped HTML)."""
    if met is True:
        word = t.h("citizen.target_met" if audience == "citizen" else "panel.met")
        return f'<span class="twin-met">✓ {word}</span>'
    if met is False:
        word = t.h("citizen.target_missed" if audience == "citizen" else "panel.missed")
        return f'<span class="twin-missed">✗ {word}</span>'
    return "–"


def target_value_key(name: str, target: dict) -> str:
    """Key that decides how a target's value is formatted (``*_share`` = percent).

    A ``reduction`` target's value is a share; otherwise the value is in the
    unit of the target's indicator (``indicator`` key of the entry).
    """
    if target.get("kind") == "reduction":
        return "reduction_share"
    return str(target.get("indicator") or name)


def _targets_html(t: Strings, targets: dict, audience: str) -> str:
    if not isinstance(targets, dict) or not targets:
        return ""
    rows = []
    for name, tg in targets.items():
        tg = tg if isinstance(tg, dict) else {}
        key = target_value_key(str(name), tg)
        dec = dict(PLANNER_INDICATORS).get(key)
        val = fmt_value(t, key, tg.get("value"), dec)
        thr = fmt_value(t, key, tg.get("threshold"), dec)
        mark = target_mark(t, tg.get("met"), audience)
        if audience == "citizen":
            rows.append(f"<tr><th>{target_label(t, str(name), tg, audience)}</th>"
                        f"<td>{mark}</td></tr>")
        else:
            rows.append(f"<tr><th>{target_label(t, str(name), tg)}</th><td>{val}</td>"
                        f"<td>{thr}</td><td>{mark}</td></tr>")
    head = ("" if audience == "citizen" else
            f"<tr><th></th><td>{t.h('panel.value')}</td><td>{t.h('panel.threshold')}</td>"
            f"<td></td></tr>")
    title = t.h("citizen.goals" if audience == "citizen" else "panel.targets")
    return f'<div class="twin-sec">{title}</div><table>{head}{"".join(rows)}</table>'


def indicator_panel_html(indicators: dict, *, scenario: str, description: str, lang: str,
                         audience: str) -> str:
    """HTML (escaped) of the indicator panel."""
    t = Strings(lang)
    check_audience(audience)
    ind = indicators or {}
    rows = []
    if audience == "citizen":
        for key in CITIZEN_INDICATORS:
            v = ind.get(key)
            if key == "co2_per_resident_kg_yr" and _is_num(v):
                txt = t.num(v / 1000.0, 1)
            else:
                txt = fmt_value(t, key, v, dict(PLANNER_INDICATORS).get(key))
            rows.append(f"<tr><th>{indicator_label(t, key, 'citizen')}</th><td>{txt}</td></tr>")
        title = t.h("citizen.panel_title")
    else:
        known = dict(PLANNER_INDICATORS)
        for key, dec in PLANNER_INDICATORS:
            if key in ind:
                rows.append(f"<tr><th>{indicator_label(t, key)}</th>"
                            f"<td>{fmt_value(t, key, ind[key], dec)}</td></tr>")
        for key, v in ind.items():
            if key not in known and key not in _NOT_INDICATORS and _is_num(v):
                rows.append(f"<tr><th>{indicator_label(t, key)}</th>"
                            f"<td>{fmt_value(t, key, v)}</td></tr>")
        title = t.h("panel.title")
    desc = (f'<div class="twin-desc">{html.escape(description)}</div>'
            if description and description.strip() else "")
    return (f"<details open><summary>{title}: {html.escape(scenario)}</summary>{desc}"
            f"<table>{''.join(rows)}</table>"
            f"{_targets_html(t, ind.get('targets', {}), audience)}</details>")


def add_indicator_panel(m: folium.Map, indicators: dict, *, scenario: str = "",
                        description: str = "", lang: str = "en",
                        audience: str = "planner") -> MapScript:
    """A collapsible panel with the scenario's indicators and targets met (✓) or missed (✗).

    Parameters
    ----------
    m : folium.Map
        Map to add to.
    indicators : dict
        ``indicators.json`` content (contract keys and ``targets``).
    scenario, description : str
        Scenario name and description (user text; escaped here).
    lang, audience : str
        Language and audience.
    """
    body = indicator_panel_html(indicators, scenario=scenario, description=description,
                                lang=lang, audience=audience)
    el = MapScript(f"twin.panel({{map}}, 'topleft', 'twin-panel', {js_json(body)});")
    el.add_to(m)
    return el


def add_data_note(m: folium.Map, *, attribution: str = "", synthetic: bool = False,
                  lang: str = "en", audience: str = "planner") -> MapScript:
    """A note on data sources; with ``synthetic`` also a banner on top of the map."""
    t = Strings(lang)
    check_audience(audience)
    # the sources can be long: folded, one click away
    src = (html.escape(attribution).replace("\n", "<br>") if attribution.strip()
           else t.h("note.no_attribution"))
    lines = [f"<details><summary><b>{t.h('note.sources')}</b></summary>{src}</details>"]
    lines.append(t.h("note.estimates" if audience == "planner" else "citizen.note.estimates"))
    if synthetic:
        lines.append(f"<b>{t.h('note.synthetic')}</b>")
    body = lines[0] + "<br>".join(lines[1:])
    code = f"twin.panel({{map}}, 'bottomleft', 'twin-note', {js_json(body)});"
    if synthetic:
        code += f"twin.banner({{map}}, {js_json(t.h('banner.synthetic'))});"
    el = MapScript(code)
    el.add_to(m)
    return el
