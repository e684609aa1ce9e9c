"""Interactive maps of scenario results (folium / Leaflet, inlined for offline use).

Public API (used by the CLI):

- :func:`scenario_map` — one scenario on one map, one small function per layer
  (:mod:`twin.maps.layers`, :mod:`twin.maps.panels`);
- :func:`write_map` — atomic HTML, self-contained when offline;
- :func:`compare_page` — two scenarios side by side with the indicator table;
- :func:`save_png` — screenshot with headless Chromium.

Strings come from ``twin/i18n/<lang>.yaml``; every text from data is
HTML-escaped before it reaches the page.
"""

from twin.maps._i18n import AUDIENCES, LANGS, Strings
from twin.maps.compare import compare_page
from twin.maps.layers import (COLOR_BY, add_basins, add_buildings, add_charging_gap,
                              add_charging_points, add_depressions, add_heat_network,
                              add_heat_plants, add_streets)
from twin.maps.output import save_png, write_map
from twin.maps.panels import add_data_note, add_indicator_panel
from twin.maps.scenario import new_map, scenario_map

__all__ = [
    "AUDIENCES", "COLOR_BY", "LANGS", "Strings", "add_basins", "add_buildings",
    "add_charging_gap", "add_charging_points", "add_data_note", "add_depressions",
    "add_heat_network", "add_heat_plants", "add_indicator_panel", "add_streets",
    "compare_page", "new_map", "save_png", "scenario_map", "write_map",
]
