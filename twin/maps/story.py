"""The citizen map as a short story: one theme per step, one plain sentence each.

Steps ("Your district today" → "Where the energy goes" → "Where water
collects in a cloudburst" → "What the plan changes") switch the map's layers
and the buildings' colouring; buttons or the arrow keys move between them.
Sentences are in ``twin/i18n/<lang>.yaml`` (``story.*``) with the scenario's
numbers filled in by the one formatter (:mod:`twin.maps._format`). A step
whose data is missing (no terrain model, no chargers) is left out.
"""

from __future__ import annotations

from typing import Any

from twin.maps._format import is_num, value_text
from twin.maps._i18n import Strings
from twin.maps.panels import target_status

#: Layers drawn in every step (the background).
BASE_LAYERS: tuple[str, ...] = ("sea", "streets", "street_names")


def story_steps(indicators: dict, *, scenario: str, lang: str,
                layer_keys: set[str]) -> list[dict[str, Any]]:
    """The steps of the story of one scenario.

    Parameters
    ----------
    indicators : dict
        ``indicators.json`` content.
    scenario : str
        The scenario's title.
    lang : str
        Language.
    layer_keys : set of str
        Keys of the layers on the map (steps only name layers that exist).

    Returns
    -------
    list of dict
        ``title``, ``text``, ``layers`` (keys switched on) and ``theme`` (the
        buildings' colouring: ``dh``, ``flood`` or ``charger``) per step.
    """
    t = Strings(lang)
    ind = indicators or {}

    def v(key: str) -> str:
        return value_text(t, key, ind.get(key), audience="citizen")

    def step(key: str, theme: str, layers: tuple[str, ...], **fmt: str) -> dict[str, Any]:
        keep = [k for k in (*BASE_LAYERS, "buildings", *layers) if k in layer_keys]
        return {"title": t(f"story.{key}.title"), "text": t(f"story.{key}.text", **fmt),
                "layers": keep, "theme": theme}

    steps = [step("today", "dh", (), buildings=v("buildings"), residents=v("residents"))]
    if "heat_network" in layer_keys or is_num(ind.get("dh_connected_share")):
        steps.append(step("energy", "dh", ("heat_network",), dh=v("dh_connected_share")))
    if is_num(ind.get("rain_mm")) and ({"water_depth", "depressions"} & layer_keys):
        steps.append(step("water", "flood", ("water_depth", "depressions", "basins"),
                          rain=v("rain_mm"), volume=v("flood_volume_m3"),
                          flooded=v("flooded_buildings")))
    targets = ind.get("targets") if isinstance(ind.get("targets"), dict) else {}
    met = sum(target_status(tg) == "met" for tg in targets.values() if isinstance(tg, dict))
    steps.append(step("plan", "charger", ("charger_coverage", "charging_points"),
                      scenario=scenario, met=t.num(met), n=t.num(len(targets)),
                      coverage=v("charger_coverage_share")))
    return steps


def story_spec(indicators: dict, *, scenario: str, lang: str,
               layer_keys: set[str]) -> dict[str, Any]:
    """The story panel as data: button texts and the steps."""
    t = Strings(lang)
    return {"title": t("story.title"), "prev": t("story.prev"), "next": t("story.next"),
            "close": t("story.close"),
            "steps": story_steps(indicators, scenario=scenario, lang=lang,
                                 layer_keys=layer_keys)}
