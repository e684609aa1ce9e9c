"""The comparison page: two scenario maps side by side, synchronised, and the indicator table."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from twin._errors import input_error
from twin.maps._elements import add_assets, js_json
from twin.maps._i18n import Strings, check_audience, check_lang
from twin.maps.output import atomic_write_bytes, render_html
from twin.maps.panels import (CITIZEN_INDICATORS, PLANNER_INDICATORS, _is_num, fmt_value,
                              indicator_label, target_label, target_mark,
                              target_value_key)
from twin.maps.scenario import scenario_map
from twin.result import Result

_CSS = """
html, body { margin: 0; height: 100%; font: 14px/1.35 system-ui, "Noto Sans", Arial, sans-serif; }
.folium-map { border-right: 2px solid #555; box-sizing: border-box; }
.twin-cmp-bar { position: absolute; top: 64%; left: 0; right: 0; bottom: 0; overflow: auto;
  padding: 6px 12px; border-top: 3px solid #555; background: #fff; }
.twin-cmp-bar table { border-collapse: collapse; }
.twin-cmp-bar th, .twin-cmp-bar td { padding: 2px 10px; border-bottom: 1px solid #ddd; }
.twin-cmp-bar td { text-align: right; white-space: nowrap; }
.twin-cmp-bar th { text-align: left; font-weight: normal; }
.twin-cmp-bar thead th { font-weight: 600; text-align: right; }
.twin-up { color: #b71c1c; } .twin-down { color: #1b5e20; }
.twin-met { color: #1a7f37; font-weight: 700; } .twin-missed { color: #c62828; font-weight: 700; }
.twin-legend { max-height: 38vh; max-width: 210px; font-size: 11px; padding: 4px 6px !important; }
"""


class _Sync(MacroElement):
    """Synchronise the left map with the right maps; a selector picks the right one."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var left = {{ this.left }}, rights = [{{ this.rights|join(', ') }}];
            var ids = {{ this.ids_js }};
            function show(k) {
                for (var i = 0; i < rights.length; i++) {
                    var el = document.getElementById(ids[i]);
                    el.style.display = i === k ? "" : "none";
                }
                rights[k].invalidateSize();
                rights[k].setView(left.getCenter(), left.getZoom(), {animate: false});
            }
            for (var i = 0; i < rights.length; i++) {
                left.sync(rights[i]);
                rights[i].sync(left);
            }
            var sel = document.getElementById("twin-cmp-select");
            if (sel) sel.addEventListener("change", function () { show(parseInt(sel.value, 10)); });
            show(0);
        })();
        {% endmacro %}
    """)

    def __init__(self, left: str, rights: list[str], ids: list[str]) -> None:
        super().__init__()
        self._name = "Sync"
        self.left = left
        self.rights = rights
        self.ids_js = js_json(ids)


def _delta(t: Strings, key: str, v: Any, base: Any, dec: int | str | None) -> str:
    if not (_is_num(v) and _is_num(base)):
        return "–"
    d = v - base
    if dec == "%" or (dec is None and key.endswith("share")):
        txt = t.num(100.0 * d, 0) + " " + t("compare.pp")
    else:
        txt = fmt_value(t, key, abs(d), dec)
    if d > 0:
        return f'<span class="twin-up">+{html.escape(txt.lstrip("-"))}</span>'
    if d < 0:
        return f'<span class="twin-down">−{html.escape(txt.lstrip("-"))}</span>'
    return "±0"


def comparison_table_html(results: list[Result], *, lang: str = "en",
                          audience: str = "planner") -> str:
    """Indicator table (escaped HTML): one column per scenario, differences to the first."""
    t = Strings(lang)
    base = results[0]
    names = [html.escape(r.scenario) for r in results]
    head = "<th></th>" + "".join(f"<th>{n}</th>" for n in names)
    head += "".join(f"<th>{t.h('compare.delta', a=r.scenario, b=base.scenario)}</th>"
                    for r in results[1:])
    keys: list[tuple[str, int | str | None]]
    if audience == "citizen":
        dec = dict(PLANNER_INDICATORS)
        keys = [(k, dec.get(k)) for k in CITIZEN_INDICATORS]
    else:
        keys = list(PLANNER_INDICATORS)
    rows = []
    for key, dec in keys:
        vals = [r.indicators.get(key) for r in results]
        if all(v is None for v in vals):
            continue
        cells = "".join(f"<td>{fmt_value(t, key, v, dec)}</td>" for v in vals)
        cells += "".join(f"<td>{_delta(t, key, v, vals[0], dec)}</td>" for v in vals[1:])
        rows.append(f"<tr><th>{indicator_label(t, key, audience)}</th>{cells}</tr>")
    tnames: list[str] = []
    for r in results:
        for n in (r.indicators.get("targets") or {}):
            if n not in tnames:
                tnames.append(n)
    trows = []
    for n in tnames:
        first = next(((r.indicators.get("targets") or {}).get(n) for r in results
                      if (r.indicators.get("targets") or {}).get(n)), None)
        cells = ""
        for r in results:
            tg = (r.indicators.get("targets") or {}).get(n) or {}
            key = target_value_key(str(n), tg)
            cells += (f"<td>{fmt_value(t, key, tg.get('value'), dict(PLANNER_INDICATORS).get(key))} "
                      f"{target_mark(t, tg.get('met'), audience)}</td>")
        trows.append(f"<tr><th>{target_label(t, str(n), first, audience)}</th>{cells}"
                     + "<td></td>" * (len(results) - 1) + "</tr>")
    targets = (f"<tr><th colspan='{1 + 2 * len(results) - 1}'><b>{t.h('panel.targets')}</b>"
               f"</th></tr>{''.join(trows)}") if trows else ""
    return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}{targets}"
            f"</tbody></table>")


def compare_page(results: list[Result], path: str | os.PathLike, *, lang: str = "en",
                 audience: str = "planner", offline: bool = False) -> Path:
    """Write ``compare.html``: two scenario maps side by side and the indicator table.

    The left map is the first scenario, the right one any other (a selector
    picks it when there are more than two). Panning and zooming are
    synchronised (leaflet.sync). The table gives every scenario's indicators,
    the difference to the first and the targets met (✓) or missed (✗).

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
    fig = Figure()
    add_assets(fig, sync=True)
    fig.header.add_child(Element(f"<title>{t.h('compare.title')}</title>"), name="twin_title")
    fig.header.add_child(Element(f"<style>{_CSS}</style>"), name="twin_cmp_css")
    maps = [scenario_map(r, lang=lang, audience=audience, offline=offline, panel=False)
            for r in results]
    for i, m in enumerate(maps):
        m.left = (0.0 if i == 0 else 50.0, "%")
        m.width, m.height, m.top, m.position = (50.0, "%"), (64.0, "%"), (0.0, "%"), "absolute"
        fig.add_child(m)
    select = ""
    if len(results) > 2:
        opts = "".join(f'<option value="{i}">{html.escape(r.scenario)}</option>'
                       for i, r in enumerate(results[1:]))
        select = (f'<label>{t.h("compare.right_map")} '
                  f'<select id="twin-cmp-select">{opts}</select></label>')
    bar = (f'<div class="twin-cmp-bar"><b>{t.h("compare.title")}</b> {select}'
           f"{comparison_table_html(results, lang=lang, audience=audience)}</div>")
    fig.html.add_child(Element(bar), name="twin_bar")
    fig.add_child(_Sync(maps[0].get_name(), [m.get_name() for m in maps[1:]],
                        [m.get_name() for m in maps[1:]]))
    page = render_html(fig, offline=offline)
    return atomic_write_bytes(Path(path), page.encode("utf-8"))
