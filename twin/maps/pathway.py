"""The pathway chart: a scenario's phases against its target path.

The chart plots the indicator the target path is defined on (the path's
``indicator``, e.g. ``co2_direct_t_yr``), names it with its translated label
(unit included), and shows the reference the path is a share of, so the
chart and the targets table speak of the same number.
"""

from __future__ import annotations

import io
import textwrap
from typing import Any

from twin.maps._charts import literal_text, localize_ticks
from twin.maps._format import value_text
from twin.maps._i18n import Strings
from twin.maps.panels import indicator_label

#: Plotted when a pathway has no target path.
DEFAULT_INDICATOR = "co2_total_t_yr"


def pathway_indicator(ds: Any) -> str:
    """The indicator the target path is defined on (else :data:`DEFAULT_INDICATOR`)."""
    if "target_path" in ds:
        ind = ds["target_path"].attrs.get("indicator")
        if isinstance(ind, str) and ind in ds:
            return ind
    return DEFAULT_INDICATOR


def pathway_figure(ds: Any, *, lang: str = "en") -> Any:
    """A matplotlib Figure of the pathway (``ds`` from :func:`twin.pipeline.evaluate_pathway`)."""
    with literal_text():
        return _draw_pathway(ds, Strings(lang))


def _draw_pathway(ds: Any, t: Strings) -> Any:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    key = pathway_indicator(ds)
    label = indicator_label(t, key)
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=120)
    years = ds.year.to_numpy()
    for name in ds.scenario.to_numpy():
        ax.plot(years, ds[key].sel(scenario=name).to_numpy(), marker="o", label=str(name))
    if "target_path" in ds:
        tp = ds["target_path"]
        ax.plot(years, tp.isel(scenario=0).to_numpy(), "--", color="k",
                label=t("chart.target_path"))
        ref = tp.attrs.get("reference")
        if ref is not None:
            ax.axhline(float(ref), color="#777777", linestyle=":", linewidth=1.2,
                       label=t("chart.reference", v=value_text(t, key, float(ref))))
        src = str(tp.attrs.get("source") or "").strip()
        if src:
            note = textwrap.fill(t("chart.source", s=src[:400]), width=150)
            fig.text(0.01, 0.01, note, fontsize=6.5, color="#555555", va="bottom")
    ax.set_title(label, fontsize=10)
    ax.set_xlabel(t("chart.year"))
    unit = label[label.rfind("(") + 1:-1] if label.endswith(")") and "(" in label else label
    ax.set_ylabel(unit, fontsize=9)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years: 2027, never 2 027 or 2027.5
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, pos: str(int(round(v)))))
    localize_ticks(t, ax.yaxis)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


#: The last chart drawn, ``(ds, lang, png)``: a run writes ``pathway.png`` and puts the same
#: chart in every scenario's report, so it is drawn once per dataset and language.
_LAST: list[tuple[Any, str, bytes]] = []


def pathway_png(ds: Any, *, lang: str = "en") -> bytes:
    """The pathway chart as PNG bytes."""
    if _LAST and _LAST[0][0] is ds and _LAST[0][1] == lang:
        return _LAST[0][2]
    import matplotlib.pyplot as plt

    fig = pathway_figure(ds, lang=lang)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    _LAST[:] = [(ds, lang, buf.getvalue())]
    return buf.getvalue()
