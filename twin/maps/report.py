"""A planner's report: ``OUT/<scenario>/report.html``, readable offline.

The scenario in numbers (with ranges where the run drew them), its targets,
charts (energy by use and by carrier, emissions by source, car-km of
residents and commuters, the cloudburst's water balance with the buildings
affected, the pathway against its target path), the assumptions of the run
and the sources of the parameter tables. Charts are matplotlib PNGs inlined
as ``data:`` URLs; the page is the same fixed skeleton + JSON blob as the
maps (:mod:`twin.maps._page`), built by ``runtime.js`` with ``textContent``.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import html
import math
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from twin._text import local
from twin.maps._format import is_num, value_text
from twin.maps._i18n import Strings, check_lang
from twin.maps._page import page_html
from twin.maps.panels import indicator_label, indicator_panel
from twin.maps.scenario import scenario_title
from twin.result import Result

PARAMS = Path(__file__).resolve().parent.parent / "params"
#: Sources listed per parameter table (the first distinct ones).
MAX_SOURCES = 3


def _bar_chart(t: Strings, labels: list[str], values: list[float], *, unit: str,
               title: str) -> str:
    """A horizontal bar chart as an SVG data URL (drawn here: no plotting library).

    Every text (labels may come from data) is XML-escaped and shown in an
    ``<img>``, where an SVG runs no script; numbers go through ``t.num``.
    """
    esc = partial(html.escape, quote=True)
    width, row, top_pad, left = 640, 24, 34, 12
    label_w = min(300, 12 + 6.6 * max((len(x) for x in labels), default=0))
    value_w = 70
    plot_w = width - left - label_w - value_w
    top = max([v for v in values if math.isfinite(v)], default=0.0)
    height = top_pad + row * len(labels) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
             f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
             f'<text x="{width / 2:.1f}" y="20" font-size="14" text-anchor="middle">{esc(title)}</text>']
    x0 = left + label_w
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y = top_pad + i * row
        w = plot_w * v / top if top > 0 and math.isfinite(v) and v > 0 else 0.0
        parts.append(f'<text x="{x0 - 6:.1f}" y="{y + row * 0.62:.1f}" font-size="12" '
                     f'text-anchor="end">{esc(lab)}</text>')
        parts.append(f'<rect x="{x0:.1f}" y="{y + 3:.1f}" width="{w:.1f}" height="{row - 6}" fill="#3182bd"/>')
        parts.append(f'<text x="{x0 + w + 4:.1f}" y="{y + row * 0.62:.1f}" font-size="11" '
                     f'fill="#333333">{esc(t.num(v))}</text>')
    ya = top_pad + row * len(labels)
    parts.append(f'<line x1="{x0:.1f}" y1="{top_pad - 2}" x2="{x0:.1f}" y2="{ya}" stroke="#777777"/>')
    parts.append(f'<text x="{x0 + plot_w / 2:.1f}" y="{ya + 20}" font-size="12" text-anchor="middle" '
                 f'fill="#333333">{esc(unit)}</text>')
    parts.append("</svg>")
    svg = "".join(parts).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _charts(t: Strings, result: Result, pathway_ds: Any) -> list[dict[str, str]]:
    """Each chart: ``title``, ``src`` (PNG data URL), ``note``."""
    ind = result.indicators or {}
    out: list[dict[str, str]] = []
    totals = result.extra.get("energy_totals") or {}
    by_use = totals.get("by_use") or {}
    if by_use:
        items = sorted(by_use.items(), key=lambda kv: -kv[1].get("energy_mwh_yr", 0.0))
        out.append({"title": t("report.chart.energy_use"), "note": "",
                    "src": _bar_chart(t, [t.get(f"use.{k}") or k for k, _ in items],
                                      [float(v.get("energy_mwh_yr", 0.0)) for _, v in items],
                                      unit="MWh", title=t("report.chart.energy_use"))})
    carriers = totals.get("delivered_mwh_yr") or {}
    if carriers:
        items = sorted(((k, float(v)) for k, v in carriers.items() if is_num(v) and v > 0),
                       key=lambda kv: -kv[1])
        out.append({"title": t("report.chart.energy_carrier"), "note": "",
                    "src": _bar_chart(t, [t.get(f"carrier.{k}") or k for k, _ in items],
                                      [v for _, v in items], unit="MWh",
                                      title=t("report.chart.energy_carrier"))})
    src = [k for k in ("co2_buildings_t_yr", "co2_transport_t_yr", "co2_ev_charging_t_yr")
           if is_num(ind.get(k))]
    if src:
        out.append({"title": t("report.chart.co2"), "note": "",
                    "src": _bar_chart(t, [indicator_label(t, k) for k in src],
                                      [float(ind[k]) for k in src], unit="t CO₂",
                                      title=t("report.chart.co2"))})
    b = result.buildings
    km = [c for c in ("car_km_resident_yr", "car_km_commuter_yr") if c in b.columns]
    if km:
        vals = [float(np.nansum(b[c].to_numpy(float))) / 1e6 for c in km]
        out.append({"title": t("report.chart.car_km"), "note": "",
                    "src": _bar_chart(t, [t(f"report.{c}") for c in km], vals,
                                      unit=t("report.million_km"),
                                      title=t("report.chart.car_km"))})
    bal = result.extra.get("flood_balance") or {}
    parts = [k for k in ("stored_m3", "basin_m3", "outflow_m3", "loss_m3") if is_num(bal.get(k))]
    if parts and bal.get("rain_m3"):
        note = t("report.flooded", n=value_text(t, "flooded_buildings",
                                                 ind.get("flooded_buildings")),
                 rain=value_text(t, "rain_mm", ind.get("rain_mm")))
        out.append({"title": t("report.chart.water"), "note": note,
                    "src": _bar_chart(t, [t(f"report.water.{k}") for k in parts],
                                      [float(bal[k]) for k in parts], unit="m³",
                                      title=t("report.chart.water"))})
    if pathway_ds is not None:
        from twin.maps.pathway import pathway_png

        png = pathway_png(pathway_ds, lang=t.lang)
        out.append({"title": t("report.chart.pathway"), "note": "",
                    "src": "data:image/png;base64," + base64.b64encode(png).decode("ascii")})
    return out


def _assumptions(t: Strings, result: Result) -> list[list[str]]:
    """Rows ``[parameter, value]`` of the run's mobility and flood parameters."""
    rows = []
    for key in ("mobility_params", "flood_params"):
        p = result.extra.get(key)
        if p is None:
            continue
        fields = (dataclasses.asdict(p) if dataclasses.is_dataclass(p)
                  else p.model_dump() if hasattr(p, "model_dump") else {})
        for name, v in fields.items():
            if isinstance(v, bool) or v is None:
                txt = "–" if v is None else t("common.yes" if v else "common.no")
            elif is_num(v):
                txt = t.num(v) if float(v).is_integer() else (
                    t.num(v, 3).rstrip("0").rstrip(t("number.decimal")))
            elif isinstance(v, (str, int)):
                txt = str(v)
            else:
                continue
            rows.append([f"{key.removesuffix('_params')}.{name}", txt])
    return rows


def _sources() -> list[list[str]]:
    """Rows ``[table, sources]`` of the parameter tables in ``twin/params``."""
    rows = []
    for path in sorted(PARAMS.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            seen: list[str] = []
            for row in csv.DictReader(f):
                s = (row.get("source") or "").strip()
                if s and s not in seen:
                    seen.append(s)
        if seen:
            more = f" (+{len(seen) - MAX_SOURCES})" if len(seen) > MAX_SOURCES else ""
            rows.append([path.name, " · ".join(seen[:MAX_SOURCES]) + more])
    return rows


def report_page(result: Result, *, lang: str = "en", pathway_ds: Any = None,
                baseline: Result | None = None) -> str:
    """The report of one scenario as an HTML page (offline, no template engine).

    With ``baseline`` (another scenario of the run, e.g. today) a section
    gives what changed: each indicator in both and the difference.
    """
    check_lang(lang)
    t = Strings(lang)
    name = scenario_title(result, lang)
    panel = indicator_panel(result.indicators or {}, scenario=name,
                            description=local(result.description, lang), lang=lang,
                            audience="planner")
    report = {
        "title": t("report.title", s=name), "description": panel["description"],
        "synthetic": t("note.synthetic") if result.synthetic else "",
        "sections": {"numbers": t("report.numbers"), "targets": t("panel.targets"),
                     "charts": t("report.charts"), "assumptions": t("report.assumptions"),
                     "sources": t("report.sources")},
        "rows": panel["rows"], "hint": panel["hint"], "targets": panel["targets"],
        "charts": _charts(t, result, pathway_ds),
        "assumptions": _assumptions(t, result), "sources": _sources(),
        "attribution": local(result.attribution, lang),
        "changes": None,
    }
    if baseline is not None and baseline is not result:
        from twin.maps.compare import comparison_table

        table = comparison_table([baseline, result], lang=lang)
        report["changes"] = {"title": t("report.changes", b=scenario_title(baseline, lang)),
                             "head": table["head"], "rows": table["rows"]}
    return page_html(report["title"], {"maps": [], "report": report})
