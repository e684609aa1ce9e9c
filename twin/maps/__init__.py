"""Interactive maps of scenario results (Leaflet, inlined for offline use).

Public API (used by the CLI):

- :func:`scenario_map` — one scenario on one map, one small function per layer
  (:mod:`twin.maps.layers`, :mod:`twin.maps.panels`);
- :func:`write_map` — atomic HTML, self-contained when offline;
- :func:`compare_page` — two scenarios side by side with the indicator table;
- :func:`save_png` — screenshot with headless Chromium.

No template engine is used: a page is one fixed HTML skeleton plus one JSON
blob holding every datum (:mod:`twin.maps._page`); ``runtime.js`` puts text
on the page with ``textContent``. Strings come from ``twin/i18n/<lang>.yaml``.
"""

from twin.maps._i18n import AUDIENCES, LANGS, Strings
from twin.maps._page import TwinMap
from twin.maps.compare import compare_page
from twin.maps.layers import (COLOR_BY, add_basins, add_buildings, add_charger_coverage,
                              add_charging_gap, add_charging_points, add_depressions,
                              add_grid_areas, add_heat_network, add_heat_plants, add_streets,
                              add_water_depth, vector_layer)
from twin.maps.output import save_pdf, save_png, write_map
from twin.maps.panels import add_data_note, add_indicator_panel
from twin.maps.scenario import new_map, scenario_map

__all__ = [
    "AUDIENCES", "COLOR_BY", "LANGS", "Strings", "TwinMap", "add_basins", "add_buildings",
    "add_charger_coverage", "add_charging_gap", "add_charging_points", "add_data_note",
    "add_depressions", "add_grid_areas", "add_heat_network", "add_heat_plants",
    "add_indicator_panel", "add_streets", "add_water_depth", "compare_page", "new_map",
    "save_pdf", "save_png", "scenario_map", "vector_layer", "write_map",
]
